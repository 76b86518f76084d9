//! Collection over HTTP from fake district servers on 127.0.0.1, through the
//! real binary: what an operator sees in `collect`, `status --json` and the
//! chat (`tick --json`) for each way a source can answer.

mod support;

use std::time::{Duration, Instant};

use support::district::{District, Reply};
use support::{OFFICE, Office};

const JSON_PATH: &str = "/an-phu/9m/2024-9M.json";
const CSV_PATH: &str = "/binh-minh/9m/2024-9M.csv";
const XLSX_PATH: &str = "/cai-be/9m/2024-9M.xlsx";

/// The test office with every unit on the fake server: an-phu serves JSON
/// (with a bearer token, a secret header and a token in its query),
/// binh-minh CSV, cai-be XLSX. Short timeout and backoff keep tests fast.
fn office(district: &District) -> Office {
    let file_source = "[units.source]\nkind = \"file\"\npath = \"data/{unit}/{report}-{period}.json\"\n";
    let mut parts = OFFICE.split(file_source);
    let head = parts.next().expect("config head");
    let an_phu = parts.next().expect("an-phu");
    let binh_minh = parts.next().expect("binh-minh");
    let rest = parts.next().expect("cai-be and reports");
    let base = district.url();
    let config = format!(
        r#"{head}[units.source]
kind = "http"
url = "{base}/{{unit}}/{{report}}/{{period}}.json?token=s3cr3t-query"
bearer_file = "bearer-token"
headers = {{ "X-Api-Key" = {{ file = "api-key" }}, "Accept-Language" = "vi" }}
{an_phu}[units.source]
kind = "http"
url = "{base}/{{unit}}/{{report}}/{{period}}.csv"
{binh_minh}[units.source]
kind = "http"
url = "{base}/{{unit}}/{{report}}/{{period}}.xlsx"
{rest}
[collection]
timeout_secs = 1
connect_timeout_secs = 1
retries = 1
retry_backoff_ms = 50
max_body_bytes = 65536
"#
    );
    let office = Office::new(&config);
    std::fs::write(office.path().join("bearer-token"), "bearer-s3cr3t\n").expect("token file");
    std::fs::write(office.path().join("api-key"), "key-s3cr3t").expect("key file");
    office
}

fn figures(unit: &str, period: &str, submitted_at: &str, accepted: i64, resolved: i64) -> String {
    format!(
        r#"{{"unit": "{unit}", "report": "9m", "period": "{period}", "submitted_at": "{submitted_at}",
            "metrics": {{"cases_accepted": {accepted}, "cases_resolved": {resolved}}}}}"#
    )
}

fn collect(office: &Office, unit: &str) -> String {
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M", "--unit", unit])
}

/// Collects as if on 17/09/2024 09:00: a file that declares no time counts
/// from then.
fn collect_on_17_september(office: &Office, unit: &str) -> String {
    office.ok(&[
        "collect",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--unit",
        unit,
        "--at",
        "2024-09-17T09:00:00+07:00",
    ])
}

fn status_of(office: &Office, unit: &str) -> serde_json::Value {
    let doc = office.json(&[
        "status",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-30T12:00:00+07:00",
    ]);
    doc["units"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["unit"] == unit)
        .expect("unit listed")
        .clone()
}

fn assert_no_secret(text: &str) {
    for secret in ["s3cr3t-query", "bearer-s3cr3t", "key-s3cr3t"] {
        assert!(!text.contains(secret), "a secret leaked: {text}");
    }
}

#[test]
fn a_published_report_is_stored_and_an_unchanged_one_is_not_downloaded_again() {
    let district = District::start();
    let office = office(&district);
    district.serve(
        JSON_PATH,
        vec![Reply::with_etag(
            figures("an-phu", "2024-9M", "2024-09-17T15:20:00+07:00", 8651, 7187),
            "\"v1\"",
        )],
    );
    let out = collect(&office, "an-phu");
    assert!(out.contains("new_revision: revision 1"), "{out}");
    let first = &district.seen(JSON_PATH)[0];
    assert_eq!(first.header("authorization").as_deref(), Some("Bearer bearer-s3cr3t"));
    assert_eq!(first.header("x-api-key").as_deref(), Some("key-s3cr3t"));
    assert_eq!(first.header("accept-language").as_deref(), Some("vi"));
    assert_eq!(first.query.as_deref(), Some("token=s3cr3t-query"));
    assert!(first.header("if-none-match").is_none());

    let out = collect(&office, "an-phu");
    assert!(out.contains("unchanged"), "{out}");
    let second = &district.seen(JSON_PATH)[1];
    assert_eq!(second.header("if-none-match").as_deref(), Some("\"v1\""));
    let unit = status_of(&office, "an-phu");
    assert_eq!(unit["state"], "on_time");
    assert_eq!(unit["revisions"], 1);
    assert_eq!(unit["metrics"]["cases_accepted"], 8651);
    assert_eq!(unit["last_collect"]["outcome"], "unchanged");
    assert_eq!(unit["last_collect"]["http_status"], 304);
    assert_no_secret(&unit.to_string());
}

#[test]
fn a_pass_where_nothing_changed_writes_nothing_and_last_collect_keeps_its_first_time() {
    let district = District::start();
    let office = office(&district);
    district.serve(
        JSON_PATH,
        vec![Reply::with_etag(
            figures("an-phu", "2024-9M", "2024-09-17T15:20:00+07:00", 8651, 7187),
            "\"v1\"",
        )],
    );
    let collect_at = |at: &str| {
        office.ok(&[
            "collect", "--report", "9m", "--period", "2024-9M", "--unit", "an-phu", "--at", at,
        ])
    };
    collect_at("2024-09-17T09:00:00+07:00");
    collect_at("2024-09-17T10:00:00+07:00");
    let since = status_of(&office, "an-phu")["last_collect"].clone();
    assert_eq!(since["outcome"], "unchanged");
    assert_eq!(since["at"], "2024-09-17T03:00:00Z");
    // A third pass answered 304 again: the same outcome, so its row is not
    // rewritten (at 10,000 units an unchanged pass wrote 10,000 rows).
    let out = collect_at("2024-09-17T11:00:00+07:00");
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(district.seen(JSON_PATH).len(), 3);
    let unit = status_of(&office, "an-phu");
    assert_eq!(
        unit["last_collect"], since,
        "the unchanged pass rewrote the unit's result"
    );
    assert_eq!(unit["revisions"], 1);
}

#[test]
fn a_report_not_yet_published_is_not_found_without_an_error() {
    let district = District::start();
    let office = office(&district);
    let out = collect(&office, "an-phu");
    assert!(out.contains("not_found"), "{out}");
    let unit = status_of(&office, "an-phu");
    assert_eq!(unit["state"], "missing");
    assert_eq!(unit["last_collect"]["outcome"], "not_found");
    assert_eq!(unit["last_collect"]["http_status"], 404);
    assert!(unit["last_collect"]["detail"].is_null());
}

#[test]
fn a_server_error_is_retried_and_the_next_answer_counts() {
    let district = District::start();
    let office = office(&district);
    district.serve(
        JSON_PATH,
        vec![
            Reply::Status(500),
            Reply::body(figures("an-phu", "2024-9M", "2024-09-17T15:20:00+07:00", 10, 5)),
        ],
    );
    let out = collect(&office, "an-phu");
    assert!(out.contains("new_revision"), "{out}");
    assert_eq!(district.seen(JSON_PATH).len(), 2, "one retry");
    assert_eq!(status_of(&office, "an-phu")["last_collect"]["http_status"], 200);
}

#[test]
fn a_refusal_is_not_retried_and_the_url_shows_no_token() {
    let district = District::start();
    let office = office(&district);
    district.serve(JSON_PATH, vec![Reply::Status(403)]);
    let out = collect(&office, "an-phu");
    assert!(out.contains("error"), "{out}");
    assert!(out.contains("HTTP 403"), "{out}");
    assert!(out.contains("/an-phu/9m/2024-9M.json?…"), "{out}");
    assert_no_secret(&out);
    assert_eq!(district.seen(JSON_PATH).len(), 1, "a 4xx is final");
    assert_eq!(status_of(&office, "an-phu")["last_collect"]["http_status"], 403);
}

#[test]
fn a_source_slower_than_the_timeout_fails_after_its_retries() {
    let district = District::start();
    let office = office(&district);
    district.serve(
        JSON_PATH,
        vec![Reply::Slow(
            Duration::from_secs(10),
            Box::new(Reply::body(figures(
                "an-phu",
                "2024-9M",
                "2024-09-17T15:20:00+07:00",
                10,
                5,
            ))),
        )],
    );
    let started = Instant::now();
    let out = collect(&office, "an-phu");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the timeout cut the wait: {:?}",
        started.elapsed()
    );
    assert!(out.contains("error"), "{out}");
    assert!(out.contains("no complete answer within 1 s (2 attempts)"), "{out}");
    assert_no_secret(&out);
    assert_eq!(district.seen(JSON_PATH).len(), 2);
    let unit = status_of(&office, "an-phu");
    assert_eq!(unit["state"], "missing");
    assert_eq!(unit["last_collect"]["outcome"], "error");
}

#[test]
fn a_body_over_the_limit_is_aborted_while_streaming() {
    let district = District::start();
    let office = office(&district);
    // 1 MiB in chunks, with no Content-Length to refuse it up front.
    district.serve(
        JSON_PATH,
        vec![Reply::Stream {
            chunks: 64,
            chunk_size: 16 * 1024,
        }],
    );
    let out = collect(&office, "an-phu");
    assert!(out.contains("error"), "{out}");
    assert!(out.contains("larger than the limit of 65536 bytes"), "{out}");
    assert_eq!(district.seen(JSON_PATH).len(), 1, "a too large file is not retried");
    assert_eq!(status_of(&office, "an-phu")["last_collect"]["http_status"], 200);
}

#[test]
fn malformed_json_is_rejected_shown_in_status_and_announced_once() {
    let district = District::start();
    let office = office(&district);
    district.serve(JSON_PATH, vec![Reply::body("{\"unit\": \"an-phu\", \"metrics\": {")]);
    let out = collect_on_17_september(&office, "an-phu");
    assert!(out.contains("rejected"), "{out}");
    assert!(out.contains("không phải JSON hợp lệ"), "{out}");
    let unit = status_of(&office, "an-phu");
    assert_eq!(unit["state"], "invalid");
    assert_eq!(unit["errors"].as_array().expect("errors").len(), 1);
    let queued = office.tick("2024-09-17T10:00:00+07:00");
    let invalid: Vec<_> = queued.iter().filter(|q| q.0 == "invalid").collect();
    assert_eq!(invalid.len(), 1, "{queued:?}");
    assert_eq!(invalid[0].2, vec!["an-phu".to_string()]);
    collect_on_17_september(&office, "an-phu");
    assert!(
        office
            .tick("2024-09-17T11:00:00+07:00")
            .iter()
            .all(|q| q.0 != "invalid"),
        "the same fault is not announced twice"
    );
}

#[test]
fn a_corrupt_workbook_is_rejected_and_announced() {
    let district = District::start();
    let office = office(&district);
    district.serve(XLSX_PATH, vec![Reply::body(b"PK\x03\x04 this is no workbook".to_vec())]);
    let out = collect_on_17_september(&office, "cai-be");
    assert!(out.contains("rejected"), "{out}");
    assert!(out.contains("không phải bảng tính XLSX"), "{out}");
    assert_eq!(status_of(&office, "cai-be")["state"], "invalid");
    let queued = office.tick("2024-09-17T10:00:00+07:00");
    assert!(
        queued
            .iter()
            .any(|q| q.0 == "invalid" && q.2 == vec!["cai-be".to_string()]),
        "{queued:?}"
    );
}

#[test]
fn a_file_for_another_period_is_rejected_and_the_earlier_revision_stays() {
    let district = District::start();
    let office = office(&district);
    district.serve(
        JSON_PATH,
        vec![Reply::body(figures(
            "an-phu",
            "2024-9M",
            "2024-09-16T10:00:00+07:00",
            100,
            80,
        ))],
    );
    collect(&office, "an-phu");
    district.serve(
        JSON_PATH,
        vec![Reply::body(figures(
            "an-phu",
            "2024-H1",
            "2024-09-17T10:00:00+07:00",
            5,
            1,
        ))],
    );
    let out = collect(&office, "an-phu");
    assert!(out.contains("rejected"), "{out}");
    assert!(out.contains("tệp ghi kỳ báo cáo '2024-H1'"), "{out}");
    let unit = status_of(&office, "an-phu");
    assert_eq!(unit["state"], "on_time");
    assert_eq!(unit["revision"], 1);
    assert_eq!(unit["metrics"]["cases_accepted"], 100);
    assert_eq!(unit["errors"].as_array().expect("errors").len(), 1);
}

#[test]
fn csv_and_xlsx_in_the_templates_layout_become_revisions() {
    let district = District::start();
    let office = office(&district);
    district.serve(
        CSV_PATH,
        vec![Reply::body(
            "Đơn vị;Huyện Bình Minh\nKỳ báo cáo;2024-9M\nThời gian gửi;17/09/2024 08:30\n\n\
             STT;Chỉ tiêu;Đơn vị tính;Số liệu\n1;Số vụ án thụ lý;vụ;8.651\n2;Số vụ án đã giải quyết;vụ;7.187\n",
        )],
    );
    district.serve(XLSX_PATH, vec![Reply::body(workbook())]);
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    assert!(out.contains("binh-minh          new_revision"), "{out}");
    assert!(out.contains("cai-be             new_revision"), "{out}");
    let csv = status_of(&office, "binh-minh");
    assert_eq!(csv["metrics"]["cases_accepted"], 8651);
    assert_eq!(csv["received_at"], "2024-09-17T01:30:00Z");
    let xlsx = status_of(&office, "cai-be");
    assert_eq!(xlsx["metrics"]["cases_accepted"], 1081);
    assert_eq!(xlsx["metrics"]["cases_resolved"], 898);
    assert_eq!(xlsx["state"], "late", "declared 19/09 17:30, after the grace");
}

/// A workbook as a district office lays it out by hand: titles, STT, unit of
/// measure, notes.
fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows: [[&str; 5]; 4] = [
        ["UBND HUYỆN CÁI BÈ", "", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", ""],
        ["", "BÁO CÁO KẾT QUẢ 9 THÁNG NĂM 2024", "", "", ""],
        ["Kỳ báo cáo:", "2024-9M", "", "", ""],
        ["Thời gian gửi", "2024-09-19 17:30", "", "", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            if !text.is_empty() {
                sheet.write_string(r as u32, c as u16, *text).expect("write");
            }
        }
    }
    for (c, h) in ["STT", "Nội dung", "ĐVT", "Số liệu", "Ghi chú"].iter().enumerate() {
        sheet.write_string(5, c as u16, *h).expect("write");
    }
    sheet.write_string(6, 0, "I").expect("write");
    sheet.write_string(6, 1, "CÔNG TÁC XÉT XỬ").expect("write");
    sheet.write_number(7, 0, 1).expect("write");
    sheet.write_string(7, 1, "Thụ lý").expect("write");
    sheet.write_string(7, 2, "vụ").expect("write");
    sheet.write_number(7, 3, 1081).expect("write");
    sheet.write_number(8, 0, 2).expect("write");
    sheet.write_string(8, 1, "Số vụ án đã giải quyết").expect("write");
    sheet.write_string(8, 2, "vụ").expect("write");
    sheet.write_string(8, 3, "898").expect("write");
    sheet.write_string(8, 4, "đạt 83%").expect("write");
    book.save_to_buffer().expect("workbook")
}

#[test]
fn last_modified_is_the_submission_time_when_the_file_declares_none() {
    let district = District::start();
    let office = office(&district);
    district.serve(
        JSON_PATH,
        vec![Reply::Ok {
            body: br#"{"metrics": {"cases_accepted": 10, "cases_resolved": 5}}"#.to_vec(),
            etag: None,
            last_modified: Some("Wed, 18 Sep 2024 08:00:00 GMT".into()),
        }],
    );
    office.ok(&[
        "collect",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--unit",
        "an-phu",
        "--at",
        "2024-09-19T10:00:00+07:00",
    ]);
    let unit = status_of(&office, "an-phu");
    assert_eq!(unit["received_at"], "2024-09-18T08:00:00Z");
    assert_eq!(unit["state"], "on_time");
    // The validator is sent back next time.
    collect(&office, "an-phu");
    assert_eq!(
        district.seen(JSON_PATH)[1].header("if-modified-since").as_deref(),
        Some("Wed, 18 Sep 2024 08:00:00 GMT")
    );
}

#[test]
fn the_tick_collects_over_http_at_the_deadline() {
    let district = District::start();
    let office = office(&district);
    district.serve(
        JSON_PATH,
        vec![Reply::body(figures(
            "an-phu",
            "2024-9M",
            "2024-09-18T16:00:00+07:00",
            10,
            5,
        ))],
    );
    office.tick("2024-09-18T17:01:00+07:00");
    assert!(!district.seen(JSON_PATH).is_empty(), "the deadline pass fetched");
    assert_eq!(status_of(&office, "an-phu")["state"], "on_time");
}

#[test]
fn the_template_command_writes_a_workbook_that_reads_back() {
    let district = District::start();
    let office = office(&district);
    let file = office.path().join("bieu-mau.xlsx");
    let out = office.ok(&[
        "template",
        "--report",
        "9m",
        "--xlsx",
        file.to_str().expect("path"),
        "--unit",
        "cai-be",
        "--period",
        "2024-9M",
    ]);
    assert!(out.contains("bieu-mau.xlsx"), "{out}");
    let bytes = std::fs::read(&file).expect("template written");
    assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file");
    // Served blank, it reads as a file for the right unit and period with no figures.
    district.serve(XLSX_PATH, vec![Reply::body(bytes)]);
    let out = collect(&office, "cai-be");
    assert!(out.contains("rejected: tệp không có số liệu"), "{out}");
    let bad = office.run(&["template", "--report", "nope", "--xlsx", "x.xlsx"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn units_are_read_concurrently_up_to_the_configured_bound() {
    let district = District::start();
    let slow = |body: Vec<u8>| Reply::Slow(Duration::from_millis(600), Box::new(Reply::body(body)));
    for path in [JSON_PATH, CSV_PATH, XLSX_PATH] {
        district.serve(path, vec![slow(Vec::new())]);
    }
    let office = office(&district);
    let config = std::fs::read_to_string(&office.config).expect("config");
    std::fs::write(&office.config, format!("{config}concurrency = 2\n")).expect("config");
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    assert_eq!(out.matches("rejected").count(), 3, "empty files: {out}");
    assert_eq!(district.max_in_flight(), 2, "two at once, never three");
    let lines: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().nth(2).unwrap_or_default())
        .collect();
    assert_eq!(lines, ["an-phu", "binh-minh", "cai-be"], "config order");
}

#[test]
fn a_file_rejected_before_a_config_fix_is_fetched_unconditionally_and_judged_again() {
    let district = District::start();
    let office = office(&district);
    // "Giải quyết" names no metric until the admin adds the alias.
    district.serve(
        CSV_PATH,
        vec![Reply::with_etag("cases_accepted,10\nGiải quyết,5\n", "\"v1\"")],
    );
    let out = collect(&office, "binh-minh");
    assert!(out.contains("rejected"), "{out}");
    let out = collect(&office, "binh-minh");
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(
        district.seen(CSV_PATH)[1].header("if-none-match").as_deref(),
        Some("\"v1\""),
        "same config: a conditional request"
    );
    let fixed = std::fs::read_to_string(&office.config).expect("config").replace(
        "label = \"Số vụ án đã giải quyết\"",
        "label = \"Số vụ án đã giải quyết\"\naliases = [\"Giải quyết\"]",
    );
    std::fs::write(&office.config, fixed).expect("fix the config");
    let out = collect(&office, "binh-minh");
    assert!(
        out.contains("new_revision"),
        "judged again under the fixed config: {out}"
    );
    assert!(
        district.seen(CSV_PATH)[2].header("if-none-match").is_none(),
        "the rejected file is fetched again unconditionally"
    );
}

#[test]
fn a_slow_source_holds_the_tick_only_for_the_deadline_collection_bound() {
    let district = District::start();
    let office = office(&district);
    let slow = std::fs::read_to_string(&office.config).expect("config").replacen(
        "\ntimeout_secs = 1\n",
        "\ntimeout_secs = 30\ndeadline_collect_secs = 1\n",
        1,
    );
    std::fs::write(&office.config, slow).expect("config");
    district.serve(
        XLSX_PATH,
        vec![Reply::Slow(Duration::from_secs(20), Box::new(Reply::Status(404)))],
    );
    let started = Instant::now();
    // The end of grace: the tick collects first, waits at most 1 s, then plans.
    let queued = office.tick("2024-09-19T17:00:00+07:00");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "the tick waited {took:?}");
    assert!(
        queued.iter().any(|q| q.0 == "late"),
        "the late alert is planned: {queued:?}"
    );
}
