//! The summary spreadsheet: a title row (report, period, as of), units as
//! rows, metrics and indicators as columns with the config's labels (wrapped,
//! the row as high as they need), a totals row, whole numbers for counts and
//! one decimal for rates, real date cells, a frozen header, A4 print setup;
//! a second sheet lists the overdue cases.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use super::ExportError;
use crate::domain::case::{CaseLine, CaseState};
use crate::domain::regime::{IndicatorFormat, Language, Regime, Report};
use crate::domain::status::UnitState;
use crate::domain::summary::Summary;
use crate::domain::text;

/// Excel's paper size code for A4.
const A4: u8 = 9;
/// Width of a figure column, in characters.
const FIGURE_WIDTH: f64 = 14.0;

/// The height (points) a header row needs for `labels` wrapped in columns
/// `width` characters wide.
fn header_height(labels: &[&str], width: f64) -> f64 {
    let per_line = (width * 1.05).max(1.0) as usize;
    let lines = labels
        .iter()
        .map(|l| {
            // Words do not break: count the lines a greedy wrap makes.
            let mut lines = 1;
            let mut used = 0;
            for w in l.split_whitespace() {
                let n = w.chars().count();
                if used > 0 && used + 1 + n > per_line {
                    lines += 1;
                    used = n;
                } else {
                    used += if used > 0 { n + 1 } else { n };
                }
            }
            lines
        })
        .max()
        .unwrap_or(1);
    lines as f64 * 15.0 + 6.0
}

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

/// The workbook as bytes. `cases`: overdue cases to list (others are
/// skipped), `overdue_total` of them in all: the sheet lists the
/// [`OVERDUE_ROWS`] most overdue and says how many more there are.
pub fn summary_workbook(
    regime: &Regime,
    report: &Report,
    s: &Summary,
    cases: &[CaseLine<'_>],
    overdue_total: usize,
) -> Result<Vec<u8>, ExportError> {
    let en = regime.language.is_english();
    let tz = regime.timezone;
    let mut wb = Workbook::new();
    // The fastest deflate: a national sheet is mostly repeated XML, and
    // level 6 spent a fifth of the summary's time squeezing a few more
    // kilobytes out of it.
    wb.set_zip_compression_level(1);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let cell = Format::new().set_border(FormatBorder::Thin);
    let count = cell.clone().set_num_format("#,##0");
    let percent = cell.clone().set_num_format("0.0%");
    let decimal = cell.clone().set_num_format("#,##0.0");
    let stamp = cell
        .clone()
        .set_num_format("dd/mm/yyyy hh:mm")
        .set_align(FormatAlign::Left);
    let dash = cell.clone().set_align(FormatAlign::Right);
    let bold = cell.clone().set_bold();
    let bold_count = bold.clone().set_num_format("#,##0");
    let bold_percent = bold.clone().set_num_format("0.0%");
    let bold_decimal = bold.clone().set_num_format("#,##0.0");
    let bold_dash = bold.clone().set_align(FormatAlign::Right);
    let title_format = Format::new().set_bold().set_font_size(14);
    let subtitle = Format::new().set_italic();
    // A number indicator that is a whole number (a backlog of cases) reads
    // as one, not `1.464,0`.
    let number_format = |v: f64, bold: bool| match (v.fract() == 0.0, bold) {
        (true, false) => &count,
        (true, true) => &bold_count,
        (false, false) => &decimal,
        (false, true) => &bold_decimal,
    };

    let ws: &mut Worksheet = wb.add_worksheet();
    ws.set_name(summary_sheet_name(en))?;
    let title = crate::domain::render::report_title(regime, report, s.period);
    ws.write_string_with_format(0, 0, title.to_uppercase(), &title_format)?;
    let at = text::time_and_date(&s.at.with_timezone(&tz), regime.language);
    let due = text::time_and_date(&s.due.with_timezone(&tz), regime.language);
    let as_of = if en {
        format!("Summary as of {at}; deadline {due}")
    } else {
        format!("Tổng hợp tình hình đến {at}; hạn gửi {due}")
    };
    ws.write_string_with_format(1, 0, as_of, &subtitle)?;
    ws.set_row_height(0, 22)?;
    // The table starts below the title.
    let top: u32 = 3;
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
        ws.write_string_with_format(top, c as u16, *l, &header)?;
    }
    ws.set_row_height(
        top,
        header_height(&labels[3..], FIGURE_WIDTH).max(header_height(&labels[..3], 13.0)),
    )?;
    ws.set_column_width(0, 24)?;
    ws.set_column_width(1, 13)?;
    ws.set_column_width(2, 17)?;
    for c in 3..labels.len() {
        ws.set_column_width(c as u16, FIGURE_WIDTH)?;
    }
    let first_metric = 3u16;
    let first_indicator = first_metric + report.metrics.len() as u16;
    for (i, r) in s.rows.iter().enumerate() {
        let row = top + 1 + i as u32;
        ws.write_string_with_format(row, 0, &r.name, &cell)?;
        ws.write_string_with_format(row, 1, state_label(r.state, regime.language), &cell)?;
        match r.received_at {
            Some(t) => ws.write_datetime_with_format(row, 2, t.with_timezone(&tz).naive_local(), &stamp)?,
            None => ws.write_blank(row, 2, &cell)?,
        };
        for (j, m) in report.metrics.iter().enumerate() {
            let col = first_metric + j as u16;
            match r.metrics.get(&m.key) {
                Some(v) => ws.write_number_with_format(row, col, *v as f64, &count)?,
                None => ws.write_string_with_format(row, col, "—", &dash)?,
            };
        }
        for (j, ind) in report.indicators.iter().enumerate() {
            let col = first_indicator + j as u16;
            match r.indicators.get(j).copied().flatten() {
                Some(v) => {
                    let f = if ind.format == IndicatorFormat::Percent {
                        &percent
                    } else {
                        number_format(v, false)
                    };
                    ws.write_number_with_format(row, col, v, f)?;
                }
                None => {
                    ws.write_string_with_format(row, col, "—", &dash)?;
                }
            }
        }
    }
    let total_row = top + 1 + s.rows.len() as u32;
    ws.write_string_with_format(total_row, 0, if en { "Total" } else { "Toàn tỉnh" }, &bold)?;
    ws.write_blank(total_row, 1, &bold)?;
    ws.write_blank(total_row, 2, &bold)?;
    for (j, m) in report.metrics.iter().enumerate() {
        let col = first_metric + j as u16;
        match s.totals.get(&m.key) {
            Some(v) => ws.write_number_with_format(total_row, col, *v as f64, &bold_count)?,
            None => ws.write_string_with_format(total_row, col, "—", &bold_dash)?,
        };
    }
    for (j, ind) in report.indicators.iter().enumerate() {
        let col = first_indicator + j as u16;
        match s.indicators.get(j).copied().flatten() {
            Some(v) => {
                let f = if ind.format == IndicatorFormat::Percent {
                    &bold_percent
                } else {
                    number_format(v, true)
                };
                ws.write_number_with_format(total_row, col, v, f)?;
            }
            None => {
                ws.write_string_with_format(total_row, col, "—", &bold_dash)?;
            }
        }
    }
    flag_cells(ws, regime, report, s, labels.len() as u16, top)?;
    ws.set_freeze_panes(top + 1, 1)?;
    ws.set_paper_size(A4);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_repeat_rows(top, top)?;
    ws.set_footer(if en { "&CPage &P of &N" } else { "&CTrang &P/&N" });

    let date = Format::new().set_num_format("dd/mm/yyyy");
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
    // A map, not `Regime::unit` per case: that is a scan of every unit, and
    // a million cases over ten thousand units took most of a minute.
    let units = regime.units_by_id();
    // The worst first, at most OVERDUE_ROWS: a national backlog would pass
    // the sheet's row limit (1,048,576) and Telegram's size for a document.
    overdue.truncate(OVERDUE_ROWS);
    let left_out = overdue_total.saturating_sub(overdue.len());
    for (i, l) in overdue.iter().enumerate() {
        let row = (i + 1) as u32;
        let unit = units
            .get(l.case.unit.as_str())
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
            ws.write_date_with_format(row, 4, d, &date)?;
        }
        ws.write_number_with_format(row, 5, l.eval.days_overdue as f64, &count)?;
    }
    if left_out > 0 {
        let note = if en {
            format!("… and {left_out} more overdue cases, each less overdue: giaoban cases --overdue lists them all")
        } else {
            format!("… và {left_out} đơn thư quá hạn khác, ít ngày hơn: xem đầy đủ bằng giaoban cases --overdue")
        };
        ws.write_string((overdue.len() + 1) as u32, 0, note)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_paper_size(A4);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    Ok(wb.save_to_buffer()?)
}

/// Overdue cases the summary's second sheet lists at most (the worst first).
pub const OVERDUE_ROWS: usize = 10_000;

/// Fill of a cell that got worse against the same period last year.
pub const WORSE_FILL: &str = "#F8CBAD";
/// Fill of an indicator below its target.
pub const BELOW_TARGET_FILL: &str = "#FFE699";

/// The flags of the first sheet: flagged figures re-written with a fill
/// (worse: red, below target: yellow) and a last column "Cần lưu ý" naming
/// what each row has flagged. Rows: the header at `top`, units in order
/// below it, then the total.
fn flag_cells(
    ws: &mut Worksheet,
    regime: &Regime,
    report: &Report,
    s: &Summary,
    column: u16,
    top: u32,
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
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    ws.write_string_with_format(top, column, if en { "Needs attention" } else { "Cần lưu ý" }, &header)?;
    ws.set_column_width(column, 40)?;
    let first_metric = 3u16;
    let first_indicator = first_metric + report.metrics.len() as u16;
    let total_row = top + 1 + s.rows.len() as u32;
    let note_format = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let rows = s
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (top + 1 + i as u32, Some(r.unit.as_str()), &r.metrics, &r.indicators))
        .chain(std::iter::once((total_row, None, &s.totals, &s.indicators)));
    for (row, unit, metrics, indicators) in rows {
        let bold = unit.is_none();
        let paint = |worse: bool, num: &str| {
            let mut f = Format::new().set_num_format(num).set_border(FormatBorder::Thin);
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
                } else if v.fract() == 0.0 {
                    "#,##0"
                } else {
                    "#,##0.0"
                };
                ws.write_number_with_format(row, first_indicator + j as u16, v, &paint(worse, num))?;
            }
        }
        let note = row_note(regime, &s.flags, unit);
        if !note.is_empty() {
            ws.write_string_with_format(row, column, note, &note_format)?;
        }
    }
    Ok(())
}
