//! Summaries through the real binary: the text, exact totals and rates, the
//! comparison lines, the spreadsheet read back, and the chart decoded.

mod support;

use calamine::{Data, Reader, Xlsx, open_workbook};
use support::{OFFICE, Office};

fn submit_period(office: &Office, unit: &str, period: &str, submitted_at: &str, accepted: i64, resolved: i64) {
    let folder = office.path().join("data").join(unit);
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(
        folder.join(format!("9m-{period}.json")),
        format!(
            r#"{{"period": "{period}", "submitted_at": "{submitted_at}",
                "metrics": {{"cases_accepted": {accepted}, "cases_resolved": {resolved}}}}}"#
        ),
    )
    .expect("write");
}

/// Three units: two send 2024 figures (one late), one sends nothing; the
/// totals are 8.651 accepted and 7.187 resolved, a rate of 83,1%.
fn office() -> Office {
    let office = Office::new(OFFICE);
    submit_period(&office, "an-phu", "2024-9M", "2024-09-16T10:00:00+07:00", 5000, 4200);
    submit_period(&office, "binh-minh", "2024-9M", "2024-09-20T09:00:00+07:00", 3651, 2987);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    office
}

fn summary(office: &Office, extra: &[&str]) -> String {
    let mut args = vec![
        "summary",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-25T09:00:00+07:00",
    ];
    args.extend_from_slice(extra);
    office.ok(&args)
}

#[test]
fn the_summary_names_who_sent_and_gives_exact_totals_and_rates() {
    let office = office();
    let text = summary(&office, &[]);
    assert!(
        text.contains("📊 Tổng hợp: Báo cáo giao ban 9 tháng năm 2024"),
        "{text}"
    );
    assert!(
        text.contains("Đã nhận 2/3 đơn vị: 1 gửi đúng hạn, 1 gửi muộn (Huyện Bình Minh)."),
        "{text}"
    );
    assert!(text.contains("Chưa gửi: Huyện Cái Bè."), "{text}");
    assert!(text.contains("• Số vụ án thụ lý: 8.651\n"), "{text}");
    assert!(text.contains("• Số vụ án đã giải quyết: 7.187\n"), "{text}");
    // 7187 / 8651 = 0.83077…: from the totals, not an average of the unit rates.
    assert!(text.contains("• Tỷ lệ giải quyết: 83,1%"), "{text}");
    assert!(text.contains("Huyện An Phú     đúng  5.000  4.200  84,0%"), "{text}");
    assert!(text.contains("Huyện Cái Bè     chưa      —      —      —"), "{text}");
    let totals = text.lines().find(|l| l.starts_with("Toàn tỉnh ")).expect("totals row");
    assert!(totals.ends_with("  8.651  7.187  83,1%"), "{totals}");
    assert!(
        !text.contains("so với cùng kỳ"),
        "no last-year line without last year's data: {text}"
    );
    assert!(!text.contains("NaN"), "{text}");
    let expected = "\
📊 Tổng hợp: Báo cáo giao ban 9 tháng năm 2024
Hạn gửi 17:00 ngày 18/09/2024. Đã nhận 2/3 đơn vị: 1 gửi đúng hạn, 1 gửi muộn (Huyện Bình Minh).
Chưa gửi: Huyện Cái Bè.

Số liệu toàn tỉnh (2/3 đơn vị)
• Số vụ án thụ lý: 8.651
• Số vụ án đã giải quyết: 7.187
• Tỷ lệ giải quyết: 83,1%

Theo đơn vị
Đơn vị           Gửi     (1)    (2)    (3)
Huyện An Phú     đúng  5.000  4.200  84,0%
Huyện Bình Minh  muộn  3.651  2.987  81,8%
Huyện Cái Bè     chưa      —      —      —
Toàn tỉnh              8.651  7.187  83,1%
(1) Số vụ án thụ lý; (2) Số vụ án đã giải quyết; (3) Tỷ lệ giải quyết";
    assert_eq!(text.trim_end(), expected);
}

#[test]
fn the_same_period_last_year_is_compared_only_when_its_data_exists() {
    let office = office();
    submit_period(&office, "an-phu", "2023-9M", "2023-09-15T10:00:00+07:00", 4000, 3000);
    submit_period(&office, "binh-minh", "2023-9M", "2023-09-15T10:00:00+07:00", 4000, 3600);
    office.ok(&["collect", "--report", "9m", "--period", "2023-9M"]);
    let text = summary(&office, &[]);
    // 8651 − 8000 = +651 (+8,1%); 7187 − 6600 = +587 (+8,9%); rate 82,5% a year earlier.
    assert!(
        text.contains("• Số vụ án thụ lý: 8.651 — so với kỳ trước +651 (+8,1%); so với cùng kỳ +651 (+8,1%)"),
        "{text}"
    );
    assert!(text.contains("so với cùng kỳ +587 (+8,9%)"), "{text}");
    assert!(
        text.contains("• Tỷ lệ giải quyết: 83,1% — so với kỳ trước 82,5%; so với cùng kỳ 82,5%"),
        "{text}"
    );
}

#[test]
fn a_rate_with_a_zero_denominator_reads_as_a_dash() {
    let office = Office::new(OFFICE);
    submit_period(&office, "an-phu", "2024-9M", "2024-09-16T10:00:00+07:00", 0, 0);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let text = summary(&office, &[]);
    assert!(text.contains("• Tỷ lệ giải quyết: —"), "{text}");
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
}

#[test]
fn the_spreadsheet_has_a_row_per_unit_a_totals_row_and_the_overdue_cases() {
    let office = office();
    // A case long overdue, to fill the second sheet.
    office.submit(
        "an-phu",
        r#"{"period": "2024-9M", "submitted_at": "2024-09-16T10:00:00+07:00",
            "metrics": {"cases_accepted": 5000, "cases_resolved": 4200},
            "cases": [{"ref": "KN-2024-031", "kind": "khieu_nai_lan_1", "received_on": "2024-07-02", "accepted_on": "2024-07-10"}]}"#,
    );
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let path = office.path().join("tong-hop.xlsx");
    let chart = office.path().join("bieu-do.png");
    summary(
        &office,
        &[
            "--xlsx",
            path.to_str().expect("path"),
            "--chart",
            chart.to_str().expect("path"),
        ],
    );
    let mut book: Xlsx<_> = open_workbook(&path).expect("open xlsx");
    assert_eq!(
        book.sheet_names(),
        vec!["Tổng hợp".to_string(), "Đơn thư quá hạn".to_string()]
    );
    let sheet = book.worksheet_range("Tổng hợp").expect("summary sheet");
    let cell = |r: u32, c: u32| sheet.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    // A title row with the report and period, then when it was made.
    assert_eq!(cell(0, 0), Data::String("BÁO CÁO GIAO BAN 9 THÁNG NĂM 2024".into()));
    assert_eq!(
        cell(1, 0),
        Data::String("Tổng hợp tình hình đến 09:00 ngày 25/09/2024; hạn gửi 17:00 ngày 18/09/2024".into())
    );
    let head = 3;
    assert_eq!(cell(head, 0), Data::String("Đơn vị".into()));
    assert_eq!(cell(head, 3), Data::String("Số vụ án thụ lý".into()));
    assert_eq!(cell(head, 5), Data::String("Tỷ lệ giải quyết".into()));
    assert_eq!(cell(head + 1, 0), Data::String("Huyện An Phú".into()));
    assert_eq!(cell(head + 1, 1), Data::String("Đúng hạn".into()));
    assert_eq!(cell(head + 1, 3), Data::Float(5000.0));
    // The time of sending is a date cell, not text.
    match cell(head + 1, 2) {
        Data::DateTime(t) => assert_eq!(
            t.as_datetime().map(|t| t.to_string()),
            Some("2024-09-16 10:00:00".to_string())
        ),
        other => panic!("sent-at cell is {other:?}"),
    }
    assert_eq!(cell(head + 2, 1), Data::String("Gửi muộn".into()));
    assert_eq!(cell(head + 3, 1), Data::String("Chưa gửi".into()));
    assert_eq!(cell(head + 3, 3), Data::String("—".into()));
    assert_eq!(cell(head + 4, 0), Data::String("Toàn tỉnh".into()));
    assert_eq!(cell(head + 4, 3), Data::Float(8651.0));
    assert_eq!(cell(head + 4, 4), Data::Float(7187.0));
    match cell(head + 4, 5) {
        Data::Float(rate) => assert!((rate - 7187.0 / 8651.0).abs() < 1e-12, "{rate}"),
        other => panic!("rate cell is {other:?}"),
    }
    // Formats and print setup, from the file's XML.
    let styles = support::xlsx::part(&path, "xl/styles.xml");
    assert!(styles.contains(r##"formatCode="#,##0""##), "whole numbers: {styles}");
    assert!(
        styles.contains(r#"formatCode="0.0%""#),
        "one decimal for rates: {styles}"
    );
    assert!(
        !styles.contains(r##"formatCode="#,##0.0""##),
        "no decimals on these counts: {styles}"
    );
    let xml = support::xlsx::part(&path, "xl/worksheets/sheet1.xml");
    assert!(
        xml.contains(r#"paperSize="9""#) && xml.contains(r#"orientation="landscape""#),
        "{xml}"
    );
    assert!(xml.contains(r#"fitToHeight="0""#), "one page wide: {xml}");
    assert!(
        xml.contains(r#"<row r="4" spans="1:6" ht="36" customHeight="1">"#),
        "header row fitted to its wrapped labels: {xml}"
    );
    assert!(support::xlsx::part(&path, "xl/workbook.xml").contains("_xlnm.Print_Titles"));
    let cases = book.worksheet_range("Đơn thư quá hạn").expect("cases sheet");
    assert_eq!(cases.get_value((1, 1)), Some(&Data::String("KN-2024-031".into())));
    // 10/07 + 30 days = 09/08; on 25/09 that is 47 days overdue.
    assert_eq!(cases.get_value((1, 5)), Some(&Data::Float(47.0)));
    assert!(
        matches!(cases.get_value((1, 4)), Some(Data::DateTime(_))),
        "the limit is a date cell"
    );

    let png = image::open(&chart).expect("decode the chart").to_rgb8();
    assert_eq!((png.width(), png.height()), (1080, 1350));
    // The rates are 84,0 % (on time, blue) and 81,8 % (late, orange): on an
    // axis fitted to them (81–85 %) the blue bar is several times the orange;
    // on a 0–112 % axis they would be the same length.
    let bar_length = |color: [u8; 3]| {
        (0..900)
            .map(|y| {
                let xs: Vec<u32> = (0..png.width()).filter(|x| png.get_pixel(*x, y).0 == color).collect();
                match (xs.first(), xs.last()) {
                    (Some(a), Some(b)) => b - a + 1,
                    _ => 0,
                }
            })
            .max()
            .unwrap_or(0)
    };
    let on_time = bar_length([46, 117, 182]);
    let late = bar_length([237, 125, 49]);
    assert!(late > 50, "the late unit's bar is drawn in the late colour: {late}");
    let ratio = f64::from(on_time) / f64::from(late);
    assert!(ratio > 2.5, "bars {on_time} and {late} px: {ratio}");
    let (lo, hi) = giaoban::export::chart::axis_range(&[84.0, 81.8, 83.1]);
    assert!((80.0..81.8).contains(&lo) && (84.0..=86.0).contains(&hi), "{lo}..{hi}");
}

#[test]
fn a_final_summary_goes_out_once_with_its_files_when_the_grace_ends() {
    let office = office();
    let out = office.run(&["tick", "--at", "2024-09-19T17:00:00+07:00"]);
    let chat = String::from_utf8_lossy(&out.stdout);
    assert!(chat.contains("📊 Tổng hợp"), "{chat}");
    assert!(chat.contains("📎 tong-hop-9m-2024-9M.xlsx"), "{chat}");
    assert!(chat.contains("📎 bieu-do-9m-2024-9M.png"), "{chat}");
    assert!(
        office
            .tick("2024-09-19T18:00:00+07:00")
            .iter()
            .all(|q| q.0 != "summary"),
        "once per period"
    );
}

#[test]
fn a_comparison_over_fewer_units_says_how_many() {
    let office = office();
    submit_period(&office, "an-phu", "2023-9M", "2023-09-15T10:00:00+07:00", 4000, 3000);
    office.ok(&["collect", "--report", "9m", "--period", "2023-9M"]);
    let text = summary(&office, &[]);
    assert!(text.contains("so với cùng kỳ (1/3 đơn vị) +4.651 (+116,3%)"), "{text}");
}

#[test]
fn an_english_office_reads_its_summary_in_english() {
    let office = Office::new(&OFFICE.replace("language = \"vi\"", "language = \"en\""));
    submit_period(&office, "an-phu", "2024-9M", "2024-09-16T10:00:00+07:00", 5000, 4200);
    submit_period(&office, "binh-minh", "2024-9M", "2024-09-20T09:00:00+07:00", 3651, 2987);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let text = summary(&office, &[]);
    assert!(
        text.contains("📊 Summary: Báo cáo giao ban 9 tháng — 9 months of 2024"),
        "{text}"
    );
    assert!(
        text.contains("Received from 2 of 3 units: 1 on time, 1 late (Huyện Bình Minh)."),
        "{text}"
    );
    assert!(text.contains("Not received: Huyện Cái Bè."), "{text}");
    assert!(
        text.contains("• Số vụ án thụ lý: 8,651"),
        "English number format: {text}"
    );
    assert!(text.contains("• Tỷ lệ giải quyết: 83.1%"), "{text}");
}

#[test]
fn a_national_backlog_lists_the_ten_thousand_most_overdue_cases_and_says_how_many_more() {
    let office = office();
    // 10,004 overdue cases over two units; the older ones are more overdue.
    for (unit, count, first_day) in [("an-phu", 5_002, 0), ("binh-minh", 5_002, 10)] {
        let cases: Vec<String> = (0..count)
            .map(|i| {
                let received = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date")
                    + chrono::Duration::days(first_day + (i % 150) as i64);
                format!(
                    r#"{{"ref": "{unit}-{i:05}", "kind": "khieu_nai_lan_1", "received_on": "{received}", "accepted_on": "{received}"}}"#
                )
            })
            .collect();
        office.submit(
            unit,
            &format!(
                r#"{{"period": "2024-9M", "submitted_at": "2024-09-16T10:00:00+07:00",
                    "metrics": {{"cases_accepted": 5000, "cases_resolved": 4200}}, "cases": [{}]}}"#,
                cases.join(",")
            ),
        );
    }
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let path = office.path().join("tong-hop.xlsx");
    summary(&office, &["--xlsx", path.to_str().expect("path")]);
    let mut book: Xlsx<_> = open_workbook(&path).expect("open xlsx");
    let cases = book.worksheet_range("Đơn thư quá hạn").expect("cases sheet");
    // The header, 10,000 cases, the line for the rest.
    assert_eq!(cases.height(), 10_002);
    let days = |row: u32| match cases.get_value((row, 5)) {
        Some(Data::Float(d)) => *d,
        other => panic!("row {row}: {other:?}"),
    };
    assert!(days(1) >= days(10_000), "the most overdue first");
    match cases.get_value((10_001, 0)) {
        Some(Data::String(note)) => {
            assert!(note.contains("và 4 đơn thư quá hạn khác"), "{note}");
            assert!(note.contains("giaoban cases --overdue"), "{note}");
        }
        other => panic!("no closing line: {other:?}"),
    }
    // `cases --overdue` lists every one, each once, read in packs of rows:
    // the same from the stored limits and from every version evaluated
    // once they are set aside.
    let listed = |office: &Office| -> Vec<(String, String)> {
        office.json(&["cases", "--overdue", "--at", "2024-09-20T09:00:00+07:00"])["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| {
                (
                    c["unit"].as_str().unwrap_or("").to_string(),
                    c["ref"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let marked = listed(&office);
    assert_eq!(marked.len(), 10_004);
    let distinct: std::collections::BTreeSet<&(String, String)> = marked.iter().collect();
    assert_eq!(distinct.len(), 10_004, "each case once");
    office.sql("UPDATE case_marks SET fingerprint = NULL");
    assert_eq!(listed(&office), marked, "the same from every version");
}
