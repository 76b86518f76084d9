//! The XLSX template (biểu mẫu) a unit fills in for a report, laid out as an
//! office's document: letterhead, title with the report and period, the
//! unit's name, one row per figure with its unit of measure, a place and
//! date line and a signature block, printed on A4 one page wide. What it
//! writes, `collect::xlsx` reads back: hidden codes beside the words people
//! see (unit, report, period, metric keys), Vietnamese case kinds in the
//! drop-down that the reader maps to their codes.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use rust_xlsxwriter::{
    DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, Formula, ProtectionOptions, Workbook,
    Worksheet, XlsxError,
};

use crate::config::Letterhead;
use crate::domain::period::Period;
use crate::domain::regime::{Regime, Report};
use crate::domain::render::report_title;
use crate::domain::submission::CaseRecord;

/// What to put in a workbook besides the layout: nothing for the blank
/// template, figures for an example or a test.
#[derive(Debug, Clone, Default)]
pub struct Filling {
    pub unit: Option<String>,
    pub period: Option<Period>,
    pub submitted_at: Option<DateTime<FixedOffset>>,
    pub metrics: BTreeMap<String, i64>,
    pub cases: Vec<CaseRecord>,
}

pub const METRICS_SHEET: &str = "Số liệu";
pub const CASES_SHEET: &str = "Đơn thư";
pub const HELP_SHEET: &str = "Hướng dẫn";

/// Columns of the metrics sheet: A ordinal, B label, C key (hidden), D unit
/// of measure, E value, F notes.
const COL_LABEL: u16 = 1;
pub const COL_KEY: u16 = 2;
const COL_MEASURE: u16 = 3;
const COL_VALUE: u16 = 4;
const COL_NOTE: u16 = 5;
/// Width of the label column in characters; also how row heights are fitted.
const LABEL_WIDTH: f64 = 50.0;
/// Excel's paper size code for A4.
pub const A4: u8 = 9;

/// The height (points) of a row whose `text` wraps in a column `width`
/// characters wide: 15 points a line, and a little air.
fn wrapped_height(text: &str, width: f64) -> f64 {
    let per_line = (width * 1.1).max(1.0) as usize;
    let lines = text
        .split('\n')
        .map(|l| l.chars().count().div_ceil(per_line).max(1))
        .sum::<usize>();
    (lines as f64) * 15.0 + 4.0
}

struct Formats {
    bold_center: Format,
    italic_center: Format,
    title: Format,
    note: Format,
    label: Format,
    head: Format,
    boxed: Format,
    boxed_center: Format,
    fixed: Format,
    input: Format,
    number: Format,
    stamp: Format,
    date: Format,
}

fn formats() -> Formats {
    let font = |f: Format| f.set_font_name("Times New Roman").set_font_size(12);
    let boxed = font(Format::new()).set_border(FormatBorder::Thin).set_text_wrap();
    Formats {
        bold_center: font(Format::new()).set_bold().set_align(FormatAlign::Center),
        italic_center: font(Format::new()).set_italic().set_align(FormatAlign::Center),
        title: font(Format::new())
            .set_bold()
            .set_font_size(14)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap(),
        note: font(Format::new()).set_italic().set_text_wrap(),
        label: font(Format::new()).set_bold(),
        head: font(Format::new())
            .set_bold()
            .set_border(FormatBorder::Thin)
            .set_background_color("#DDEBF7")
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap(),
        boxed_center: boxed.clone().set_align(FormatAlign::Center),
        boxed: boxed.clone().set_align(FormatAlign::VerticalCenter),
        fixed: font(Format::new()).set_border(FormatBorder::Thin),
        input: font(Format::new()).set_border(FormatBorder::Thin).set_unlocked(),
        number: font(Format::new())
            .set_border(FormatBorder::Thin)
            .set_num_format("#,##0")
            .set_unlocked(),
        stamp: font(Format::new())
            .set_border(FormatBorder::Thin)
            .set_num_format("dd/mm/yyyy hh:mm")
            .set_align(FormatAlign::Left)
            .set_unlocked(),
        date: font(Format::new())
            .set_border(FormatBorder::Thin)
            .set_num_format("dd/mm/yyyy")
            .set_unlocked(),
    }
}

/// A workbook laid out as a unit's report of `report`: the metrics sheet,
/// the cases sheet and a sheet of instructions.
pub fn workbook(
    report: &Report,
    regime: &Regime,
    letterhead: &Letterhead,
    fill: &Filling,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let f = formats();
    metrics_sheet(book.add_worksheet(), report, regime, letterhead, fill, &f)?;
    cases_sheet(book.add_worksheet(), regime, fill, &f)?;
    help_sheet(book.add_worksheet(), regime, &f)?;
    book.save_to_buffer()
}

fn metrics_sheet(
    sheet: &mut Worksheet,
    report: &Report,
    regime: &Regime,
    letterhead: &Letterhead,
    fill: &Filling,
    f: &Formats,
) -> Result<(), XlsxError> {
    let en = regime.language.is_english();
    let t = |en_text: &'static str, vi_text: &'static str| if en { en_text } else { vi_text };
    sheet.set_name(METRICS_SHEET)?;
    for (col, width) in [
        (0u16, 6.0),
        (COL_LABEL, LABEL_WIDTH),
        (COL_KEY, 16.0),
        (COL_MEASURE, 11.0),
        (COL_VALUE, 14.0),
        (COL_NOTE, 18.0),
    ] {
        sheet.set_column_width(col, width)?;
    }
    // The codes the reader needs, out of sight and out of reach.
    sheet.set_column_hidden(COL_KEY)?;
    let unit = fill.unit.as_deref().and_then(|u| regime.unit(u));

    // Letterhead: the issuing side on the left, the heading on the right,
    // then the place and date under the heading.
    let left: Vec<String> = letterhead
        .issuer
        .iter()
        .cloned()
        .chain(std::iter::once(unit.map_or_else(
            || t("UNIT", "TÊN ĐƠN VỊ").to_string(),
            |u| u.name.to_uppercase(),
        )))
        .collect();
    let lines = left.len().max(letterhead.heading.len());
    for i in 0..lines {
        let row = i as u32;
        if let Some(l) = left.get(i) {
            sheet.merge_range(row, 0, row, COL_MEASURE - 1, l, &f.bold_center)?;
        }
        if let Some(h) = letterhead.heading.get(i) {
            let format = if i == 0 { &f.bold_center } else { &f.italic_center };
            sheet.merge_range(row, COL_MEASURE, row, COL_NOTE, h, format)?;
        }
    }
    let date_row = lines as u32;
    let place = letterhead.place.as_deref().unwrap_or("……………");
    let date_line = if en {
        format!("{place}, date …… / …… / 20……")
    } else {
        format!("{place}, ngày …… tháng …… năm 20……")
    };
    sheet.merge_range(date_row, COL_MEASURE, date_row, COL_NOTE, &date_line, &f.italic_center)?;

    let title_row = date_row + 2;
    let title = match fill.period {
        Some(p) => report_title(regime, report, p),
        None => report.title.clone(),
    };
    sheet.merge_range(title_row, 0, title_row, COL_NOTE, &title.to_uppercase(), &f.title)?;
    sheet.set_row_height(title_row, 24)?;
    let help_row = title_row + 1;
    let help = t(
        "Fill in the Value column (and the unit, period and time of sending above it). Do not change the layout. Period codes: 2024-9M, 2024-Q3, 2024-10.",
        "Điền cột Số liệu (và đơn vị, kỳ báo cáo, thời gian gửi ở trên). Không thay đổi bố cục biểu mẫu. Mã kỳ báo cáo: 2024-9M, 2024-Q3, 2024-10.",
    );
    sheet.merge_range(help_row, 0, help_row, COL_NOTE, help, &f.note)?;
    sheet.set_row_height(help_row, 32)?;

    // Who, what, when: the code (hidden) first, the words beside it. The
    // reader takes the first filled cell after the label.
    let meta = help_row + 2;
    let period_name = fill.period.map(|p| p.name(en));
    let rows: [(&str, Option<String>, Option<String>, bool); 3] = [
        (
            t("Unit", "Đơn vị"),
            fill.unit.clone(),
            unit.map(|u| u.name.clone()).or(fill.unit.clone()),
            unit.is_none(),
        ),
        (
            t("Report", "Báo cáo"),
            Some(report.id.clone()),
            Some(report.title.clone()),
            false,
        ),
        (
            t("Period", "Kỳ báo cáo"),
            fill.period.map(|p| p.label()),
            period_name,
            fill.period.is_none(),
        ),
    ];
    for (i, (label, code, shown, editable)) in rows.iter().enumerate() {
        let row = meta + i as u32;
        sheet.write_string_with_format(row, COL_LABEL, *label, &f.label)?;
        if let Some(code) = code {
            sheet.write_string(row, COL_KEY, code)?;
        }
        let format = if *editable { &f.input } else { &f.fixed };
        sheet.merge_range(
            row,
            COL_MEASURE,
            row,
            COL_NOTE,
            shown.as_deref().unwrap_or_default(),
            format,
        )?;
    }
    let stamp_row = meta + rows.len() as u32;
    sheet.write_string_with_format(stamp_row, COL_LABEL, t("Submitted at", "Thời gian gửi"), &f.label)?;
    sheet.merge_range(stamp_row, COL_MEASURE, stamp_row, COL_NOTE, "", &f.stamp)?;
    if let Some(at) = fill.submitted_at {
        sheet.write_datetime_with_format(stamp_row, COL_MEASURE, at.naive_local(), &f.stamp)?;
    }

    let header_row = stamp_row + 2;
    let headers = [
        t("No.", "STT"),
        t("Metric", "Chỉ tiêu"),
        t("Key", "Mã"),
        t("Unit of measure", "Đơn vị tính"),
        t("Value", "Số liệu"),
        t("Notes", "Ghi chú"),
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(header_row, c as u16, *h, &f.head)?;
    }
    sheet.set_row_height(header_row, 32)?;
    for (i, m) in report.metrics.iter().enumerate() {
        let r = header_row + 1 + i as u32;
        sheet.write_number_with_format(r, 0, (i + 1) as f64, &f.boxed_center)?;
        sheet.write_string_with_format(r, COL_LABEL, &m.label, &f.boxed)?;
        sheet.write_string_with_format(r, COL_KEY, &m.key, &f.boxed)?;
        sheet.write_string_with_format(
            r,
            COL_MEASURE,
            m.unit_label.as_deref().unwrap_or_default(),
            &f.boxed_center,
        )?;
        match fill.metrics.get(&m.key) {
            Some(v) => sheet.write_number_with_format(r, COL_VALUE, *v as f64, &f.number)?,
            None => sheet.write_blank(r, COL_VALUE, &f.number)?,
        };
        let note = if m.required {
            ""
        } else {
            t("optional", "không bắt buộc")
        };
        sheet.write_string_with_format(r, COL_NOTE, note, &f.input)?;
        sheet.set_row_height(r, wrapped_height(&m.label, LABEL_WIDTH).max(20.0))?;
    }
    let last = header_row + report.metrics.len() as u32;
    if !report.metrics.is_empty() {
        let rule = DataValidation::new()
            .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
            .set_error_message(t("A whole number, 0 or more.", "Nhập số nguyên không âm."))?;
        sheet.add_data_validation(header_row + 1, COL_VALUE, last, COL_VALUE, &rule)?;
    }

    // Signatures: who made the sheet, who answers for it. Nothing in the
    // value column, so the reader passes over these rows; no words that name
    // a person's details ("họ tên"), which the reader refuses in a table.
    let sign = last + 2;
    sheet.write_string_with_format(sign, COL_LABEL, t("PREPARED BY", "NGƯỜI LẬP BIỂU"), &f.bold_center)?;
    sheet.merge_range(
        sign,
        COL_MEASURE,
        sign,
        COL_NOTE,
        t("HEAD OF UNIT", "THỦ TRƯỞNG ĐƠN VỊ"),
        &f.bold_center,
    )?;
    sheet.write_string_with_format(sign + 1, COL_LABEL, t("(signature)", "(Ký tên)"), &f.italic_center)?;
    sheet.merge_range(
        sign + 1,
        COL_MEASURE,
        sign + 1,
        COL_NOTE,
        t("(signature, seal)", "(Ký tên, đóng dấu)"),
        &f.italic_center,
    )?;

    // A4 portrait, one page wide, the column headings on every page.
    sheet.set_paper_size(A4);
    sheet.set_portrait();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_print_center_horizontally(true);
    sheet.set_margins(0.6, 0.5, 0.6, 0.6, 0.3, 0.3);
    sheet.set_repeat_rows(header_row, header_row)?;
    sheet.set_print_area(0, 0, sign + 5, COL_NOTE)?;
    sheet.set_footer(t("&CPage &P of &N", "&CTrang &P/&N"));
    // Locked except the cells a unit fills: the hidden codes cannot be
    // unhidden or overwritten by accident. No password: this guards against
    // slips, not against intent.
    let options = ProtectionOptions {
        format_rows: true,
        ..ProtectionOptions::default()
    };
    sheet.protect_with_options(&options);
    Ok(())
}

fn cases_sheet(cases: &mut Worksheet, regime: &Regime, fill: &Filling, f: &Formats) -> Result<(), XlsxError> {
    let en = regime.language.is_english();
    let t = |en_text: &'static str, vi_text: &'static str| if en { en_text } else { vi_text };
    cases.set_name(CASES_SHEET)?;
    let case_headers = [
        t("Ref", "Số hiệu"),
        t("Kind", "Loại đơn"),
        t("Received on", "Ngày tiếp nhận"),
        t("Accepted on", "Ngày thụ lý"),
        t("Complex", "Phức tạp"),
        t("Extensions", "Số lần gia hạn"),
        t("Status", "Trạng thái"),
        t("Resolved on", "Ngày giải quyết"),
    ];
    for (c, h) in case_headers.iter().enumerate() {
        cases.write_string_with_format(0, c as u16, *h, &f.head)?;
        cases.set_column_width(c as u16, if c == 1 { 30 } else { 15 })?;
    }
    cases.set_row_height(0, 32)?;
    let (yes, no) = (t("yes", "có"), t("no", "không"));
    let (resolved, open) = (t("resolved", "đã giải quyết"), t("open", "đang giải quyết"));
    for (i, case) in fill.cases.iter().enumerate() {
        let r = 1 + i as u32;
        cases.write_string_with_format(r, 0, &case.reference, &f.input)?;
        // The kind's name, as the drop-down offers it; read back as its code.
        let kind = regime
            .case_rules
            .iter()
            .find(|k| k.kind == case.kind)
            .map_or(case.kind.as_str(), |k| k.label.as_str());
        cases.write_string_with_format(r, 1, kind, &f.input)?;
        for (c, d) in [(2u16, case.received_on), (3, case.accepted_on), (7, case.resolved_on)] {
            match d {
                Some(d) => cases.write_date_with_format(r, c, d, &f.date)?,
                None => cases.write_blank(r, c, &f.date)?,
            };
        }
        cases.write_string_with_format(r, 4, if case.complex { yes } else { no }, &f.input)?;
        cases.write_number_with_format(r, 5, f64::from(case.extensions), &f.input)?;
        let done = case.resolved || case.resolved_on.is_some();
        cases.write_string_with_format(r, 6, if done { resolved } else { open }, &f.input)?;
    }
    let kinds = kind_labels(regime);
    if !kinds.is_empty() {
        // A list in the help sheet, not a literal: labels hold commas.
        let range = format!("='{HELP_SHEET}'!$A$5:$A${}", 4 + kinds.len());
        let rule = DataValidation::new()
            .allow_list_formula(Formula::new(range))
            .set_error_message(t(
                "Pick a kind from the list (sheet Hướng dẫn).",
                "Chọn loại đơn trong danh sách (trang Hướng dẫn).",
            ))?;
        cases.add_data_validation(1, 1, 1000, 1, &rule)?;
    }
    cases.add_data_validation(1, 4, 1000, 4, &DataValidation::new().allow_list_strings(&[yes, no])?)?;
    cases.add_data_validation(
        1,
        6,
        1000,
        6,
        &DataValidation::new().allow_list_strings(&[open, resolved])?,
    )?;
    cases.set_freeze_panes(1, 0)?;
    cases.set_paper_size(A4);
    cases.set_landscape();
    cases.set_print_fit_to_pages(1, 0);
    cases.set_repeat_rows(0, 0)?;
    Ok(())
}

/// The case kinds' names, each once, in config order.
fn kind_labels(regime: &Regime) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in &regime.case_rules {
        if !out.iter().any(|(k, _)| *k == r.kind) {
            out.push((r.kind.as_str(), r.label.as_str()));
        }
    }
    out
}

fn help_sheet(help: &mut Worksheet, regime: &Regime, f: &Formats) -> Result<(), XlsxError> {
    let en = regime.language.is_english();
    let t = |en_text: &'static str, vi_text: &'static str| if en { en_text } else { vi_text };
    help.set_name(HELP_SHEET)?;
    help.set_column_width(0, 40)?;
    help.set_column_width(1, 24)?;
    let lines = [
        t(
            "Sheet “Số liệu”: one row per metric; fill in the Value column (8651 or 8.651).",
            "Trang “Số liệu”: mỗi dòng một chỉ tiêu; điền cột Số liệu (8651 hoặc 8.651).",
        ),
        t(
            "Sheet “Đơn thư”: one row per case; pick the kind from the list; dates as DD/MM/YYYY. Never write names of complainants.",
            "Trang “Đơn thư”: mỗi dòng một đơn thư; chọn loại đơn trong danh sách; ngày ghi DD/MM/YYYY. Không ghi họ tên người khiếu nại, tố cáo.",
        ),
    ];
    for (i, l) in lines.iter().enumerate() {
        help.write_string(i as u32, 0, *l)?;
    }
    // Not a cases-table header ("Loại đơn"), which the reader would refuse.
    help.write_string_with_format(3, 0, t("Case kinds", "Các loại đơn thư"), &f.label)?;
    help.write_string_with_format(3, 1, t("Code (JSON/CSV files)", "Mã (tệp JSON/CSV)"), &f.label)?;
    for (i, (kind, label)) in kind_labels(regime).iter().enumerate() {
        help.write_string(4 + i as u32, 0, *label)?;
        help.write_string(4 + i as u32, 1, *kind)?;
    }
    help.set_column_hidden(1)?;
    Ok(())
}
