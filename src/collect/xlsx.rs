//! The XLSX submission format, read with calamine and written (as the blank
//! template a unit fills in) with rust_xlsxwriter.
//!
//! The metrics sheet is the first sheet with a metrics header row (else the
//! first sheet), read by the rules of [`super::table`]; any other sheet with a
//! cases header row (`Số hiệu`, `Loại đơn`, …) holds the cases.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx};
use chrono::{DateTime, FixedOffset};
use rust_xlsxwriter::{DataValidation, DataValidationRule, Format, FormatBorder, Workbook, XlsxError};

use super::table::{self, Cell, Context};
use crate::domain::period::Period;
use crate::domain::regime::{Regime, Report};
use crate::domain::submission::{CaseRecord, Submission};

/// Parses an XLSX workbook. Nothing is built from what the file declares:
/// the zip members are inflated (and counted) once before calamine opens the
/// workbook, and cells are read one by one into rows bounded by
/// `[collection] max_rows` and `max_columns`.
pub fn parse(bytes: &[u8], ctx: Context<'_>) -> Result<Submission, String> {
    let unreadable = |e: String| {
        let e = crate::domain::text::excerpt(&e, 120);
        ctx.msg(
            format!("the file is not a readable XLSX workbook ({e})"),
            format!("tệp không phải bảng tính XLSX đọc được ({e})"),
        )
    };
    check_members(bytes, ctx).map_err(|e| match e {
        Refusal::Unreadable(e) => unreadable(e),
        Refusal::Limit(m) => m,
    })?;
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let limits = ctx.limits;
    // Cells kept for the whole workbook, empty ones included.
    let mut budget = limits.max_cells();
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let mut reader = match book.worksheet_cells_reader(&name) {
            Ok(r) => r,
            Err(calamine::XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => return Err(unreadable(e.to_string())),
        };
        let declared = reader.dimensions();
        if declared.end.0 as usize >= limits.max_rows || declared.end.1 as usize >= limits.max_columns {
            return Err(too_big(
                ctx,
                &name,
                declared.end.0 as u64 + 1,
                declared.end.1 as u64 + 1,
            ));
        }
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        while let Some(c) = reader.next_cell().map_err(|e| unreadable(e.to_string()))? {
            let value = cell(&Data::from(c.get_value().clone()));
            if value == Cell::Empty {
                continue;
            }
            let (r, col) = c.get_position();
            let (r, col) = (r as usize, col as usize);
            if r >= limits.max_rows || col >= limits.max_columns {
                return Err(too_big(ctx, &name, r as u64 + 1, col as u64 + 1));
            }
            if rows.len() <= r {
                budget = budget.saturating_sub(r + 1 - rows.len());
                rows.resize_with(r + 1, Vec::new);
            }
            let row = &mut rows[r];
            if row.len() <= col {
                budget = budget.saturating_sub(col + 1 - row.len());
                row.resize(col + 1, Cell::Empty);
            }
            if budget == 0 {
                return Err(ctx.msg(
                    format!(
                        "the workbook has more than {} cells; split it or send only the report's sheets",
                        limits.max_cells()
                    ),
                    format!(
                        "bảng tính có quá {} ô; chỉ gửi các trang của báo cáo",
                        limits.max_cells()
                    ),
                ));
            }
            row[col] = value;
        }
        sheets.push(rows);
    }
    if sheets.is_empty() {
        return Err(unreadable("no sheet".into()));
    }
    let metrics_sheet = sheets.iter().position(|s| table::has_metrics_header(s)).unwrap_or(0);
    let mut sub = Submission::default();
    for rows in &sheets {
        table::refuse_unknown_cases_table(rows, ctx)?;
    }
    table::read_metrics(&sheets[metrics_sheet], ctx, &mut sub)?;
    if sub.cases.is_empty() {
        for (i, rows) in sheets.iter().enumerate() {
            if i != metrics_sheet && table::read_cases_sheet(rows, ctx, &mut sub)? {
                break;
            }
        }
    }
    // Progress on key tasks, on a sheet of its own (e.g. `Nhiệm vụ`).
    for (i, rows) in sheets.iter().enumerate() {
        if i != metrics_sheet && table::read_tasks_sheet(rows, ctx, &mut sub)? {
            break;
        }
    }
    Ok(sub)
}

fn too_big(ctx: Context<'_>, sheet: &str, rows: u64, columns: u64) -> String {
    let sheet = crate::domain::text::excerpt(sheet, 40);
    let (max_rows, max_columns) = (ctx.limits.max_rows, ctx.limits.max_columns);
    ctx.msg(
        format!(
            "sheet '{sheet}' reaches row {rows}, column {columns}: at most {max_rows} rows and {max_columns} columns are read ([collection] max_rows, max_columns)"
        ),
        format!(
            "trang '{sheet}' kéo dài tới dòng {rows}, cột {columns}: chỉ đọc tối đa {max_rows} dòng và {max_columns} cột"
        ),
    )
}

enum Refusal {
    Unreadable(String),
    Limit(String),
}

/// Inflates every zip member once, counting the bytes, before calamine reads
/// anything: a workbook that inflates past `max_inflated_bytes` (a zip bomb),
/// or whose shared strings outnumber the cells that could be read, is
/// refused. Memory stays at one buffer, whatever the members declare.
fn check_members(bytes: &[u8], ctx: Context<'_>) -> Result<(), Refusal> {
    use std::io::Read;
    let limit = ctx.limits.max_inflated_bytes;
    let over = || {
        Refusal::Limit(ctx.msg(
            format!("the workbook inflates to more than {limit} bytes ([collection] max_inflated_bytes)"),
            format!("bảng tính giải nén ra quá {limit} byte"),
        ))
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| Refusal::Unreadable(e.to_string()))?;
    let max_strings = ctx.limits.max_cells();
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(|e| Refusal::Unreadable(e.to_string()))?;
        if member.size() > limit.saturating_sub(total) {
            return Err(over());
        }
        let strings = member.name().is_ok_and(|n| n.ends_with("sharedStrings.xml"));
        let mut count = StringCount::default();
        loop {
            let n = member.read(&mut buf).map_err(|e| Refusal::Unreadable(e.to_string()))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limit {
                return Err(over());
            }
            if strings && count.feed(&buf[..n]) > max_strings {
                return Err(Refusal::Limit(ctx.msg(
                    format!("the workbook has more than {max_strings} distinct texts"),
                    format!("bảng tính có quá {max_strings} chuỗi văn bản"),
                )));
            }
        }
    }
    Ok(())
}

/// Counts `<si>` elements (shared strings) across buffer boundaries; the
/// `uniqueCount` the file declares counts too, since calamine reserves it.
#[derive(Default)]
struct StringCount {
    count: usize,
    declared: usize,
    tail: Vec<u8>,
    started: bool,
}

impl StringCount {
    fn feed(&mut self, chunk: &[u8]) -> usize {
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(chunk);
        if !self.started {
            self.started = true;
            let key = b"uniqueCount=\"";
            if let Some(at) = window.windows(key.len()).position(|w| w == key) {
                let digits = window[at + key.len()..].iter().take_while(|b| b.is_ascii_digit());
                self.declared = digits.fold(0usize, |n, d| {
                    n.saturating_mul(10).saturating_add(usize::from(d - b'0'))
                });
            }
        }
        self.count += window
            .windows(4)
            .filter(|w| w[..3] == *b"<si" && (w[3] == b'>' || w[3] == b' ' || w[3] == b'/'))
            .count();
        let keep = window.len().min(3);
        self.tail = window[window.len() - keep..].to_vec();
        self.count.max(self.declared)
    }
}

fn cell(d: &Data) -> Cell {
    match d {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::Int(n) => Cell::Int(*n),
        // `8.651` typed into a sheet set to English becomes the number 8.651:
        // a count has no decimals, so exactly three of them are the
        // Vietnamese thousands group the unit meant.
        Data::Float(f) if f.fract() != 0.0 && f.to_string().split_once('.').is_some_and(|(_, d)| d.len() == 3) => {
            Cell::Text(f.to_string())
        }
        Data::Float(f) => Cell::Float(*f),
        Data::String(s) => Cell::text(s),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(_) | Data::DateTimeIso(_) => d.as_datetime().map_or(Cell::Empty, Cell::DateTime),
        Data::DurationIso(s) => Cell::text(s),
    }
}

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

const METRICS_SHEET: &str = "Số liệu";
const CASES_SHEET: &str = "Đơn thư";
const HELP_SHEET: &str = "Hướng dẫn";

/// A workbook laid out as a unit's report of `report`: the metrics sheet with
/// the config's labels, the cases sheet and a sheet of instructions.
pub fn workbook(report: &Report, regime: &Regime, fill: &Filling) -> Result<Vec<u8>, XlsxError> {
    let en = regime.language.is_english();
    let t = |en_text: &'static str, vi_text: &'static str| if en { en_text } else { vi_text };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7")
        .set_text_wrap();
    let boxed = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let number = Format::new().set_border(FormatBorder::Thin).set_num_format("#,##0");
    let date = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("dd/mm/yyyy");
    let stamp = Format::new().set_num_format("dd/mm/yyyy hh:mm");

    let sheet = book.add_worksheet();
    sheet.set_name(METRICS_SHEET)?;
    sheet.set_column_width(0, 6)?;
    sheet.set_column_width(1, 60)?;
    sheet.set_column_width(2, 24)?;
    sheet.set_column_width(3, 12)?;
    sheet.set_column_width(4, 14)?;
    sheet.set_column_width(5, 24)?;
    sheet.write_string_with_format(0, 0, report.title.to_uppercase(), &title)?;
    sheet.write_string(
        1,
        0,
        t(
            "Fill in the Value column; do not change the Key column.",
            "Điền cột Số liệu; không sửa cột Mã.",
        ),
    )?;
    sheet.write_string_with_format(3, 0, t("Unit", "Đơn vị"), &bold)?;
    sheet.write_string(3, 1, fill.unit.as_deref().unwrap_or_default())?;
    sheet.write_string_with_format(4, 0, t("Report", "Báo cáo"), &bold)?;
    sheet.write_string(4, 1, &report.id)?;
    sheet.write_string_with_format(5, 0, t("Period", "Kỳ báo cáo"), &bold)?;
    sheet.write_string(5, 1, fill.period.map(|p| p.label()).unwrap_or_default())?;
    sheet.write_string(
        5,
        2,
        t("e.g. 2024-9M, 2024-Q3, 2024-10", "ví dụ 2024-9M, 2024-Q3, 2024-10"),
    )?;
    sheet.write_string_with_format(6, 0, t("Submitted at", "Thời gian gửi"), &bold)?;
    if let Some(at) = fill.submitted_at {
        sheet.write_datetime_with_format(6, 1, at.naive_local(), &stamp)?;
    }
    let header_row = 8;
    let headers = [
        t("No.", "STT"),
        t("Metric", "Chỉ tiêu"),
        t("Key", "Mã"),
        t("Unit of measure", "Đơn vị tính"),
        t("Value", "Số liệu"),
        t("Notes", "Ghi chú"),
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(header_row, c as u16, *h, &head)?;
    }
    for (i, m) in report.metrics.iter().enumerate() {
        let r = header_row + 1 + i as u32;
        sheet.write_number_with_format(r, 0, (i + 1) as f64, &boxed)?;
        sheet.write_string_with_format(r, 1, &m.label, &boxed)?;
        sheet.write_string_with_format(r, 2, &m.key, &boxed)?;
        sheet.write_blank(r, 3, &boxed)?;
        match fill.metrics.get(&m.key) {
            Some(v) => sheet.write_number_with_format(r, 4, *v as f64, &number)?,
            None => sheet.write_blank(r, 4, &number)?,
        };
        let note = if m.required {
            ""
        } else {
            t("optional", "không bắt buộc")
        };
        sheet.write_string_with_format(r, 5, note, &boxed)?;
    }
    if !report.metrics.is_empty() {
        let last = header_row + report.metrics.len() as u32;
        let rule = DataValidation::new()
            .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
            .set_error_message(t("A whole number, 0 or more.", "Nhập số nguyên không âm."))?;
        sheet.add_data_validation(header_row + 1, 4, last, 4, &rule)?;
    }

    let cases = book.add_worksheet();
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
        cases.write_string_with_format(0, c as u16, *h, &head)?;
        cases.set_column_width(c as u16, if c == 1 { 28 } else { 16 })?;
    }
    for (i, case) in fill.cases.iter().enumerate() {
        let r = 1 + i as u32;
        cases.write_string_with_format(r, 0, &case.reference, &boxed)?;
        cases.write_string_with_format(r, 1, &case.kind, &boxed)?;
        for (c, d) in [(2u16, case.received_on), (3, case.accepted_on), (7, case.resolved_on)] {
            match d {
                Some(d) => cases.write_date_with_format(r, c, d, &date)?,
                None => cases.write_blank(r, c, &date)?,
            };
        }
        let yes_no = match (case.complex, en) {
            (true, true) => "yes",
            (false, true) => "no",
            (true, false) => "có",
            (false, false) => "không",
        };
        cases.write_string_with_format(r, 4, yes_no, &boxed)?;
        cases.write_number_with_format(r, 5, f64::from(case.extensions), &boxed)?;
        let status = match (case.resolved || case.resolved_on.is_some(), en) {
            (true, true) => "resolved",
            (false, true) => "open",
            (true, false) => "đã giải quyết",
            (false, false) => "đang giải quyết",
        };
        cases.write_string_with_format(r, 6, status, &boxed)?;
    }
    if !regime.case_rules.is_empty() {
        let mut kinds: Vec<&str> = regime.case_rules.iter().map(|r| r.kind.as_str()).collect();
        kinds.dedup();
        if kinds.iter().map(|k| k.len() + 1).sum::<usize>() < 250 {
            let rule = DataValidation::new().allow_list_strings(&kinds)?;
            cases.add_data_validation(1, 1, 1000, 1, &rule)?;
        }
    }

    let help = book.add_worksheet();
    help.set_name(HELP_SHEET)?;
    help.set_column_width(0, 26)?;
    help.set_column_width(1, 60)?;
    let lines = [
        t(
            "Sheet “Số liệu”: one row per metric; fill in the Value column (8651 or 8.651).",
            "Trang “Số liệu”: mỗi dòng một chỉ tiêu; điền cột Số liệu (8651 hoặc 8.651).",
        ),
        t(
            "Sheet “Đơn thư”: one row per case; dates as DD/MM/YYYY. Never write names of complainants.",
            "Trang “Đơn thư”: mỗi dòng một đơn thư; ngày ghi DD/MM/YYYY. Không ghi họ tên người khiếu nại, tố cáo.",
        ),
    ];
    for (i, l) in lines.iter().enumerate() {
        help.write_string(i as u32, 0, *l)?;
    }
    help.write_string_with_format(3, 0, t("Case kind (code)", "Mã loại đơn"), &bold)?;
    help.write_string_with_format(3, 1, t("Label", "Tên loại đơn"), &bold)?;
    for (i, rule) in regime.case_rules.iter().enumerate() {
        help.write_string(4 + i as u32, 0, &rule.kind)?;
        help.write_string(4 + i as u32, 1, &rule.label)?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::tests::office;
    use crate::domain::submission::{RawValue, validate};

    #[test]
    fn a_filled_template_reads_back_as_written() {
        let (regime, report) = office();
        let period = Period::parse("2024-9M").expect("period");
        let fill = Filling {
            unit: Some("an-phu".into()),
            period: Some(period),
            submitted_at: chrono::DateTime::parse_from_rfc3339("2024-09-17T15:20:00+07:00").ok(),
            metrics: BTreeMap::from([("cases_accepted".into(), 8651), ("cases_resolved".into(), 7187)]),
            cases: vec![CaseRecord {
                reference: "KN-2024-031".into(),
                kind: "khieu_nai_lan_1".into(),
                received_on: chrono::NaiveDate::from_ymd_opt(2024, 7, 2),
                accepted_on: chrono::NaiveDate::from_ymd_opt(2024, 7, 10),
                complex: true,
                extensions: 1,
                resolved: false,
                resolved_on: None,
            }],
        };
        let bytes = workbook(&report, &regime, &fill).expect("workbook");
        let ctx = Context {
            report: &report,
            regime: &regime,
            limits: Default::default(),
        };
        let sub = parse(&bytes, ctx).expect("parse");
        assert_eq!(sub.unit.as_deref(), Some("an-phu"));
        assert_eq!(sub.report.as_deref(), Some("9m"));
        assert_eq!(sub.period.as_deref(), Some("2024-9M"));
        assert_eq!(sub.submitted_at, fill.submitted_at);
        assert_eq!(sub.cases, fill.cases);
        let figures = validate(&report, "an-phu", period, &sub, &regime.case_rules).expect("valid");
        assert_eq!(figures, fill.metrics);
    }

    #[test]
    fn a_thousands_dot_typed_into_an_english_sheet_still_reads_as_thousands() {
        assert_eq!(cell(&Data::Float(8.651)), Cell::Text("8.651".into()));
        assert_eq!(cell(&Data::Float(8651.0)), Cell::Float(8651.0));
        assert_eq!(cell(&Data::Float(0.5)), Cell::Float(0.5), "not a count: refused later");
        assert_eq!(cell(&Data::Int(8651)), Cell::Int(8651));
    }

    #[test]
    fn the_blank_template_reads_as_a_file_without_figures() {
        let (regime, report) = office();
        let bytes = workbook(&report, &regime, &Filling::default()).expect("workbook");
        let ctx = Context {
            report: &report,
            regime: &regime,
            limits: Default::default(),
        };
        let sub = parse(&bytes, ctx).expect("parse");
        assert_eq!(sub.metrics, Vec::<(String, RawValue)>::new());
        assert_eq!(sub.report.as_deref(), Some("9m"));
        assert!(sub.cases.is_empty());
    }

    /// Regenerates `config/example-data/trang-bang/9m-2024-9M.xlsx` from the
    /// JSON of the same report: `cargo test --lib -- --ignored write_the_example_workbook`.
    #[test]
    #[ignore]
    fn write_the_example_workbook() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let config = crate::config::Config::load(&dir.join("example.toml")).expect("example config");
        let report = config.regime.report("9m").expect("9m report");
        let data = dir.join("example-data/trang-bang/9m-2024-9M");
        let json = std::fs::read(data.with_extension("json")).expect("example JSON");
        let sub = crate::collect::json::parse(
            &json,
            &config.regime.timezone,
            config.regime.language,
            Default::default(),
        )
        .expect("parse");
        let period = Period::parse("2024-9M").expect("period");
        let fill = Filling {
            unit: sub.unit.clone(),
            period: Some(period),
            submitted_at: sub.submitted_at,
            metrics: validate(report, "trang-bang", period, &sub, &config.regime.case_rules).expect("valid"),
            cases: sub.cases.clone(),
        };
        let bytes = workbook(report, &config.regime, &fill).expect("workbook");
        std::fs::write(data.with_extension("xlsx"), bytes).expect("write");
    }

    #[test]
    fn a_corrupt_workbook_is_refused_in_the_chat_language() {
        let (regime, report) = office();
        let ctx = Context {
            report: &report,
            regime: &regime,
            limits: Default::default(),
        };
        let err = parse(b"PK\x03\x04 not really a zip", ctx).expect_err("corrupt");
        assert!(err.contains("không phải bảng tính XLSX"), "{err}");
    }
}
