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

/// Parses an XLSX workbook.
pub fn parse(bytes: &[u8], ctx: Context<'_>) -> Result<Submission, String> {
    let en = ctx.regime.language.is_english();
    let unreadable = |e: String| {
        if en {
            format!("the file is not a readable XLSX workbook ({e})")
        } else {
            format!("tệp không phải bảng tính XLSX đọc được ({e})")
        }
    };
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(|e| unreadable(e.to_string()))?;
        let rows: Vec<Vec<Cell>> = range.rows().map(|r| r.iter().map(cell).collect()).collect();
        sheets.push(rows);
    }
    if sheets.is_empty() {
        return Err(unreadable("no sheet".into()));
    }
    let metrics_sheet = sheets.iter().position(|s| table::has_metrics_header(s)).unwrap_or(0);
    let mut sub = Submission::default();
    table::read_metrics(&sheets[metrics_sheet], ctx, &mut sub)?;
    if sub.cases.is_empty() {
        for (i, rows) in sheets.iter().enumerate() {
            if i != metrics_sheet && table::read_cases_sheet(rows, ctx, &mut sub)? {
                break;
            }
        }
    }
    Ok(sub)
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
            let sub =
                crate::collect::json::parse(&json, &config.regime.timezone, config.regime.language).expect("parse");
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
        };
        let err = parse(b"PK\x03\x04 not really a zip", ctx).expect_err("corrupt");
        assert!(err.contains("không phải bảng tính XLSX"), "{err}");
    }
}
