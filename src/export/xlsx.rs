//! The summary spreadsheet: units as rows, metrics and indicators as columns
//! with the config's labels, a totals row, number formats, a frozen header, and
//! a second sheet listing overdue cases.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet};

use super::ExportError;
use crate::domain::case::{CaseLine, CaseState};
use crate::domain::regime::{IndicatorFormat, Language, Regime, Report};
use crate::domain::status::UnitState;
use crate::domain::summary::Summary;

/// A unit's state as a cell: the chat wording with a capital letter.
fn state_label(state: UnitState, lang: Language) -> String {
    let word = crate::domain::render::state_word(state, lang);
    let mut chars = word.chars();
    chars
        .next()
        .map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// The first sheet's name.
pub fn summary_sheet_name(en: bool) -> &'static str {
    if en { "Summary" } else { "Tổng hợp" }
}

/// The second sheet's name.
pub fn cases_sheet_name(en: bool) -> &'static str {
    if en { "Overdue cases" } else { "Đơn thư quá hạn" }
}

/// The workbook as bytes.
pub fn summary_workbook(
    regime: &Regime,
    report: &Report,
    s: &Summary,
    cases: &[CaseLine<'_>],
) -> Result<Vec<u8>, ExportError> {
    let en = regime.language.is_english();
    let tz = regime.timezone;
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_background_color("#DDEBF7");
    let count = Format::new().set_num_format("#,##0");
    let percent = Format::new().set_num_format("0.0%");
    let decimal = Format::new().set_num_format("#,##0.0");
    let bold = Format::new().set_bold();
    let bold_count = Format::new().set_bold().set_num_format("#,##0");
    let bold_percent = Format::new().set_bold().set_num_format("0.0%");
    let bold_decimal = Format::new().set_bold().set_num_format("#,##0.0");

    let ws: &mut Worksheet = wb.add_worksheet();
    ws.set_name(summary_sheet_name(en))?;
    let fixed = if en {
        ["Unit", "Status", "Sent at"]
    } else {
        ["Đơn vị", "Tình trạng", "Thời điểm gửi"]
    };
    let labels: Vec<&str> = fixed
        .iter()
        .copied()
        .chain(report.metrics.iter().map(|m| m.label.as_str()))
        .chain(report.indicators.iter().map(|i| i.label.as_str()))
        .collect();
    for (c, l) in labels.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *l, &header)?;
    }
    ws.set_row_height(0, 45)?;
    ws.set_column_width(0, 24)?;
    ws.set_column_width(1, 13)?;
    ws.set_column_width(2, 17)?;
    for c in 3..labels.len() {
        ws.set_column_width(c as u16, 16)?;
    }
    let first_metric = 3u16;
    let first_indicator = first_metric + report.metrics.len() as u16;
    for (i, r) in s.rows.iter().enumerate() {
        let row = (i + 1) as u32;
        ws.write_string(row, 0, &r.name)?;
        ws.write_string(row, 1, state_label(r.state, regime.language))?;
        if let Some(t) = r.received_at {
            ws.write_string(row, 2, t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string())?;
        }
        for (j, m) in report.metrics.iter().enumerate() {
            if let Some(v) = r.metrics.get(&m.key) {
                ws.write_number_with_format(row, first_metric + j as u16, *v as f64, &count)?;
            }
        }
        for (j, ind) in report.indicators.iter().enumerate() {
            let col = first_indicator + j as u16;
            match r.indicators.get(j).copied().flatten() {
                Some(v) => {
                    let f = if ind.format == IndicatorFormat::Percent {
                        &percent
                    } else {
                        &decimal
                    };
                    ws.write_number_with_format(row, col, v, f)?;
                }
                None => {
                    ws.write_string(row, col, "—")?;
                }
            }
        }
    }
    let total_row = (s.rows.len() + 1) as u32;
    ws.write_string_with_format(total_row, 0, if en { "Total" } else { "Toàn tỉnh" }, &bold)?;
    for (j, m) in report.metrics.iter().enumerate() {
        let v = s.totals.get(&m.key).copied().unwrap_or(0);
        ws.write_number_with_format(total_row, first_metric + j as u16, v as f64, &bold_count)?;
    }
    for (j, ind) in report.indicators.iter().enumerate() {
        let col = first_indicator + j as u16;
        match s.indicators.get(j).copied().flatten() {
            Some(v) => {
                let f = if ind.format == IndicatorFormat::Percent {
                    &bold_percent
                } else {
                    &bold_decimal
                };
                ws.write_number_with_format(total_row, col, v, f)?;
            }
            None => {
                ws.write_string_with_format(total_row, col, "—", &bold)?;
            }
        }
    }
    flag_cells(ws, regime, report, s, labels.len() as u16)?;
    ws.set_freeze_panes(1, 1)?;

    let ws = wb.add_worksheet();
    ws.set_name(cases_sheet_name(en))?;
    let heads = if en {
        ["Unit", "Ref", "Kind", "Stage", "Limit", "Days overdue"]
    } else {
        ["Đơn vị", "Số hiệu", "Loại đơn", "Giai đoạn", "Hạn", "Số ngày quá hạn"]
    };
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &header)?;
    }
    for (c, w) in [24.0, 16.0, 28.0, 14.0, 12.0, 14.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let mut overdue: Vec<&CaseLine<'_>> = cases.iter().filter(|l| l.eval.state == CaseState::Overdue).collect();
    overdue.sort_by_key(|l| std::cmp::Reverse(l.eval.days_overdue));
    for (i, l) in overdue.iter().enumerate() {
        let row = (i + 1) as u32;
        let unit = regime
            .unit(&l.case.unit)
            .map_or(l.case.unit.as_str(), |u| u.name.as_str());
        ws.write_string(row, 0, unit)?;
        ws.write_string(row, 1, &l.case.reference)?;
        ws.write_string(row, 2, &l.rule.label)?;
        let stage = match (l.eval.stage, en) {
            (crate::domain::case::Stage::Accept, false) => "Thụ lý",
            (crate::domain::case::Stage::Resolve, false) => "Giải quyết",
            (crate::domain::case::Stage::Accept, true) => "Accept",
            (crate::domain::case::Stage::Resolve, true) => "Resolve",
        };
        ws.write_string(row, 3, stage)?;
        if let Some(d) = l.eval.due {
            ws.write_string(row, 4, d.format("%d/%m/%Y").to_string())?;
        }
        ws.write_number_with_format(row, 5, l.eval.days_overdue as f64, &count)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(wb.save_to_buffer()?)
}

/// Fill of a cell that got worse against the same period last year.
pub const WORSE_FILL: &str = "#F8CBAD";
/// Fill of an indicator below its target.
pub const BELOW_TARGET_FILL: &str = "#FFE699";

/// The flags of the first sheet: flagged figures re-written with a fill
/// (worse: red, below target: yellow) and a last column "Cần lưu ý" naming
/// what each row has flagged. Rows: units in order, then the total.
fn flag_cells(
    ws: &mut Worksheet,
    regime: &Regime,
    report: &Report,
    s: &Summary,
    column: u16,
) -> Result<(), ExportError> {
    use crate::domain::flags::{cell_flag, row_note};
    if s.flags.is_empty() {
        return Ok(());
    }
    let en = regime.language.is_english();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_background_color("#DDEBF7");
    ws.write_string_with_format(0, column, if en { "Needs attention" } else { "Cần lưu ý" }, &header)?;
    ws.set_column_width(column, 40)?;
    let first_metric = 3u16;
    let first_indicator = first_metric + report.metrics.len() as u16;
    let total_row = (s.rows.len() + 1) as u32;
    let rows = s
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| ((i + 1) as u32, Some(r.unit.as_str()), &r.metrics, &r.indicators))
        .chain(std::iter::once((total_row, None, &s.totals, &s.indicators)));
    for (row, unit, metrics, indicators) in rows {
        let bold = unit.is_none();
        let paint = |worse: bool, num: &str| {
            let mut f = Format::new().set_num_format(num);
            if bold {
                f = f.set_bold();
            }
            f.set_background_color(if worse { WORSE_FILL } else { BELOW_TARGET_FILL })
        };
        for (j, m) in report.metrics.iter().enumerate() {
            let (worse, short) = cell_flag(&s.flags, unit, &m.key);
            if let (true, Some(v)) = (worse || short, metrics.get(&m.key)) {
                ws.write_number_with_format(row, first_metric + j as u16, *v as f64, &paint(worse, "#,##0"))?;
            }
        }
        for (j, ind) in report.indicators.iter().enumerate() {
            let (worse, short) = cell_flag(&s.flags, unit, &ind.key);
            if let (true, Some(v)) = (worse || short, indicators.get(j).copied().flatten()) {
                let num = if ind.format == IndicatorFormat::Percent {
                    "0.0%"
                } else {
                    "#,##0.0"
                };
                ws.write_number_with_format(row, first_indicator + j as u16, v, &paint(worse, num))?;
            }
        }
        let note = row_note(regime, &s.flags, unit);
        if !note.is_empty() {
            ws.write_string(row, column, note)?;
        }
    }
    Ok(())
}
