//! The CSV submission format: metric rows `key,value` (a header row and the
//! rows declaring unit, report, period and time are optional), and optionally
//! a cases table below them that starts at its own header row (`ref,kind,…`).
//! The layout rules are those of [`super::table`]; names may be keys, labels
//! or aliases, Vietnamese with diacritics included, and `8.651` reads 8651.

use super::table::{self, Cell, Context};
use crate::domain::submission::Submission;

/// Parses a CSV file (UTF-8, with or without BOM; `,`, `;` or tab separated).
pub fn parse(bytes: &[u8], ctx: Context<'_>) -> Result<Submission, String> {
    let en = ctx.regime.language.is_english();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| {
        if en {
            "the CSV file is not UTF-8 text (save it as \"CSV UTF-8\")".to_string()
        } else {
            "tệp CSV không phải văn bản UTF-8 (lưu lại với kiểu \"CSV UTF-8\")".to_string()
        }
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let limits = ctx.limits;
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() >= limits.max_rows {
            return Err(ctx.msg(
                format!(
                    "the CSV file has more than {} rows ([collection] max_rows)",
                    limits.max_rows
                ),
                format!("tệp CSV có quá {} dòng", limits.max_rows),
            ));
        }
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            if en {
                format!("the CSV file cannot be read at line {line}")
            } else {
                format!("tệp CSV lỗi ở dòng {line}")
            }
        })?;
        if record.len() > limits.max_columns {
            let line = record.position().map_or(0, |p| p.line());
            return Err(ctx.msg(
                format!(
                    "the CSV file has more than {} columns at line {line} ([collection] max_columns)",
                    limits.max_columns
                ),
                format!("tệp CSV có quá {} cột ở dòng {line}", limits.max_columns),
            ));
        }
        rows.push(record.iter().map(Cell::text).collect::<Vec<_>>());
    }
    table::refuse_unknown_cases_table(&rows, ctx)?;
    let mut sub = Submission::default();
    table::read_metrics(&rows, ctx, &mut sub)?;
    Ok(sub)
}

/// The separator used most in the first lines (outside quotes, roughly):
/// spreadsheets set to Vietnamese write `;`, because `,` is their decimal mark.
fn delimiter(text: &str) -> u8 {
    let head: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(20).collect();
    let count = |d: u8| {
        head.iter()
            .map(|l| l.bytes().filter(|b| *b == d).count())
            .sum::<usize>()
    };
    let (comma, semicolon, tab) = (count(b','), count(b';'), count(b'\t'));
    if semicolon > comma && semicolon >= tab {
        b';'
    } else if tab > comma && tab > semicolon {
        b'\t'
    } else {
        b','
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::tests::office;
    use crate::domain::period::Period;
    use crate::domain::submission::{Fault, RawValue, validate};

    fn read(text: &str) -> Result<Submission, String> {
        let (regime, report) = office();
        parse(
            text.as_bytes(),
            Context {
                report: &report,
                regime: &regime,
                limits: Default::default(),
            },
        )
    }

    fn figures(text: &str) -> std::collections::BTreeMap<String, i64> {
        let (_, report) = office();
        let sub = read(text).expect("parses");
        validate(&report, "an-phu", Period::parse("2024-9M").expect("period"), &sub, &[]).expect("valid")
    }

    #[test]
    fn key_value_rows_without_a_header_read_with_thousands_dots() {
        let f = figures("cases_accepted,8.651\ncases_resolved,7187\n");
        assert_eq!(f["cases_accepted"], 8651);
        assert_eq!(f["cases_resolved"], 7187);
    }

    #[test]
    fn vietnamese_headers_labels_and_an_stt_column_are_understood() {
        let text = "\u{feff}BÁO CÁO GIAO BAN 9 THÁNG\n\
                    Đơn vị;Huyện An Phú\n\
                    Kỳ báo cáo;2024-9M\n\
                    Thời gian gửi;17/09/2024 15:20\n\
                    \n\
                    STT;Chỉ tiêu;Đơn vị tính;Số liệu;Ghi chú\n\
                    1;Số vụ án thụ lý;vụ;8.651;\n\
                    2;  số vụ án ĐÃ giải quyết ;vụ;7.187;tăng 5%\n\
                    3;Số đảng viên được kiểm tra;người;;\n";
        let sub = read(text).expect("parses");
        assert_eq!(sub.unit.as_deref(), Some("an-phu"), "the unit's name maps to its id");
        assert_eq!(sub.period.as_deref(), Some("2024-9M"));
        assert_eq!(
            sub.submitted_at.map(|t| t.to_rfc3339()),
            Some("2024-09-17T15:20:00+07:00".into())
        );
        assert_eq!(
            sub.metrics,
            vec![
                ("Số vụ án thụ lý".to_string(), RawValue::Text("8.651".into())),
                ("số vụ án ĐÃ giải quyết".to_string(), RawValue::Text("7.187".into())),
            ]
        );
        let f = figures(text);
        assert_eq!(f.len(), 2, "an empty optional figure is left out: {f:?}");
        assert_eq!(f["cases_resolved"], 7187);
    }

    #[test]
    fn an_alias_in_a_key_value_header_names_its_metric() {
        let f = figures("key,value\nThụ lý,\"1.081\"\ncases_resolved,898\n");
        assert_eq!(f["cases_accepted"], 1081);
    }

    #[test]
    fn a_cases_table_below_the_metrics_is_read_without_names_of_people() {
        let text = "cases_accepted,10\ncases_resolved,5\n\n\
                    Số hiệu,Loại đơn,Họ tên người khiếu nại,Ngày tiếp nhận,Ngày thụ lý,Phức tạp,Số lần gia hạn,Ngày giải quyết\n\
                    KN-2024-031,Khiếu nại lần đầu,Nguyễn Văn A,02/07/2024,2024-07-10,x,1,\n";
        let sub = read(text).expect("parses");
        assert_eq!(sub.metrics.len(), 2);
        assert_eq!(sub.cases.len(), 1);
        let case = &sub.cases[0];
        assert_eq!(case.reference, "KN-2024-031");
        assert_eq!(case.kind, "khieu_nai_lan_1", "the kind's label maps to its code");
        assert_eq!(case.received_on, chrono::NaiveDate::from_ymd_opt(2024, 7, 2));
        assert!(case.complex);
        assert_eq!(case.extensions, 1);
        assert!(!format!("{case:?}").contains("Nguyễn"));
    }

    #[test]
    fn unknown_names_bad_numbers_and_overflow_are_faults_of_the_file() {
        let (_, report) = office();
        let sub = read("cases_accepted,\"8,5\"\ncases_resolved,99999999999999999999\nvu_an_khac,3\n").expect("parses");
        let faults =
            validate(&report, "an-phu", Period::parse("2024-9M").expect("period"), &sub, &[]).expect_err("bad");
        assert!(faults.contains(&Fault::UnknownMetric {
            name: "vu_an_khac".into()
        }));
        assert!(faults.iter().any(|f| matches!(f, Fault::TooLarge { .. })), "{faults:?}");
        assert!(
            faults.iter().any(|f| matches!(f, Fault::NotACount { .. })),
            "{faults:?}"
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_is_refused_in_vietnamese() {
        let (regime, report) = office();
        let err = parse(
            b"S\xe9 v\xe1,1\n",
            Context {
                report: &report,
                regime: &regime,
                limits: Default::default(),
            },
        )
        .expect_err("not utf-8");
        assert!(err.contains("UTF-8"), "{err}");
    }
}
