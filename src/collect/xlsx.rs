//! The XLSX submission format, read with calamine. The template a unit fills
//! in is written by [`crate::export::template`].
//!
//! The metrics sheet is the first sheet with a metrics header row (else the
//! first sheet), read by the rules of [`super::table`]; any other sheet with a
//! cases header row (`Số hiệu`, `Loại đơn`, …) holds the cases.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx};

use super::table::{self, Cell, Context};
use crate::domain::submission::Submission;

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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::collect::tests::office;
    use crate::config::Letterhead;
    use crate::domain::period::Period;
    use crate::domain::submission::CaseRecord;
    use crate::domain::submission::{RawValue, validate};
    use crate::export::template::{Filling, workbook};

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
        let bytes = workbook(&report, &regime, &Letterhead::default(), &fill).expect("workbook");
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
        let bytes = workbook(&report, &regime, &Letterhead::default(), &Filling::default()).expect("workbook");
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

    /// Regenerates `config/example-data/trang-bang/*.xlsx` from the JSON of
    /// the same reports: `cargo test --lib -- --ignored write_the_example_workbook`.
    #[test]
    #[ignore]
    fn write_the_example_workbook() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let config = crate::config::Config::load(&dir.join("example.toml")).expect("example config");
        for (report_id, label) in [("9m", "2024-9M"), ("nam", "2024")] {
            let report = config.regime.report(report_id).expect("report");
            let data = dir.join(format!("example-data/trang-bang/{report_id}-{label}"));
            let json = std::fs::read(data.with_extension("json")).expect("example JSON");
            let sub = crate::collect::json::parse(
                &json,
                &config.regime.timezone,
                config.regime.language,
                Default::default(),
            )
            .expect("parse");
            let period = Period::parse(label).expect("period");
            let fill = Filling {
                unit: sub.unit.clone(),
                period: Some(period),
                submitted_at: sub.submitted_at,
                metrics: validate(report, "trang-bang", period, &sub, &config.regime.case_rules).expect("valid"),
                cases: sub.cases.clone(),
            };
            let bytes = workbook(report, &config.regime, &config.letterhead, &fill).expect("workbook");
            std::fs::write(data.with_extension("xlsx"), bytes).expect("write");
        }
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
