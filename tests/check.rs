//! `giaoban check`: what it understood, and errors that name file, line and key.

mod support;

use support::{OFFICE, Office};

fn check_fails(config: &str) -> String {
    let office = Office::new(config);
    let out = office.run(&["check"]);
    assert_eq!(out.status.code(), Some(2), "a bad config exits 2");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("giaoban.toml:"), "the message names the file: {err}");
    err
}

#[test]
fn a_valid_config_is_described_with_next_firing_times() {
    let office = Office::new(OFFICE);
    let out = office.ok(&["check"]);
    assert!(out.contains("valid"), "{out}");
    assert!(out.contains("units (3)"), "{out}");
    assert!(out.contains("9m — Báo cáo giao ban 9 tháng"), "{out}");
    assert!(out.contains("collect \"0 0 */2 * * *\": next"), "{out}");
    let tick_line = out
        .lines()
        .find(|l| l.contains("tick \"0 * * * * *\""))
        .expect("tick schedule shown");
    assert_eq!(
        tick_line.matches(", ").count(),
        2,
        "three next firing times: {tick_line}"
    );
}

#[test]
fn the_reference_config_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/example.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_giaoban"))
        .args(["check", "--config", path])
        .output()
        .expect("run giaoban");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    // Nine communes and wards since 1 July 2025, eight former districts.
    assert!(text.contains("units (17)"), "{text}");
    assert!(text.contains("reports (2)"), "{text}");
}

#[test]
fn a_five_field_cron_is_refused_with_its_line_and_key() {
    let config = OFFICE.replace("collect = \"0 0 */2 * * *\"", "collect = \"0 */2 * * *\"");
    let line = config.lines().position(|l| l.starts_with("collect =")).expect("line") + 1;
    let err = check_fails(&config);
    assert!(err.contains(&format!("giaoban.toml:{line}:")), "line {line}: {err}");
    assert!(err.contains("reports[0].collect"), "{err}");
    assert!(err.contains("6, seconds first"), "{err}");
}

#[test]
fn an_unknown_key_is_named() {
    let config = OFFICE.replace("grace = \"1wd\"", "grace = \"1wd\"\nremind_befor = [\"2d\"]");
    let line = config
        .lines()
        .position(|l| l.starts_with("remind_befor"))
        .expect("line")
        + 1;
    let err = check_fails(&config);
    assert!(err.contains(&format!("giaoban.toml:{line}:")), "line {line}: {err}");
    assert!(err.contains("key `reports[0].remind_befor`"), "{err}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let config = OFFICE
        .replace("timezone = \"Asia/Ho_Chi_Minh\"", "timezone = \"Asia/Hanoi_City\"")
        .replace("id = \"cai-be\"", "id = \"an-phu\"")
        .replace("grace = \"1wd\"", "grace = \"1 ngày\"")
        .replace(
            "check = \"cases_resolved <= cases_accepted\"",
            "check = \"cases_resolved <= cases_acepted\"",
        )
        .replace("holidays = [\"2024-01-01\"", "holidays = [\"2024-13-01\"");
    let err = check_fails(&config);
    for needle in [
        "timezone",
        "used twice",
        "reports[0].grace",
        "cases_acepted",
        "calendar.holidays[0]",
    ] {
        assert!(err.contains(needle), "missing {needle}: {err}");
    }
    assert_eq!(err.lines().count(), 5, "{err}");
}

#[test]
fn a_token_written_into_the_api_url_is_refused() {
    // A made-up token, pasted where an admin might paste a real one.
    let token = format!("{}:{}", 123, "ABC");
    let config =
        format!("{OFFICE}\n[telegram]\napi_url = \"https://api.telegram.org/bot{token}\"\nchat_id = -100123\n");
    let err = check_fails(&config);
    assert!(err.contains("telegram.api_url"), "{err}");
    assert!(!err.contains(&token), "the token is not echoed: {err}");
}

#[test]
fn a_missing_config_file_exits_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_giaoban"))
        .args(["check", "--config", "/nonexistent/giaoban.toml"])
        .output()
        .expect("run giaoban");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/giaoban.toml"));
}

#[test]
fn bad_arguments_exit_2() {
    let office = Office::new(OFFICE);
    assert_eq!(office.run(&["tick", "--at", "yesterday"]).status.code(), Some(2));
    assert_eq!(
        office
            .run(&["status", "--report", "9m", "--period", "2024-Q3"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(office.run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn collection_settings_out_of_range_are_refused_with_their_key() {
    let config = format!("{OFFICE}\n[collection]\nconcurrency = 0\ntimeout_secs = 30\nretries = 99\n");
    let err = check_fails(&config);
    assert!(err.contains("key `collection.concurrency`"), "{err}");
    assert!(err.contains("key `collection.retries`"), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
}

#[test]
fn http_sources_take_secret_headers_and_check_hides_their_query() {
    let http = "[units.source]\nkind = \"http\"\nurl = \"https://user:pw@bc.example.vn/{unit}/{period}.xlsx?key=s3cr3t\"\n\
                bearer_env = \"GIAOBAN_SRC_TOKEN\"\nheaders = { \"X-Api-Key\" = { file = \"api-key\" }, \"Accept-Language\" = \"vi\" }\n";
    let config = OFFICE.replacen(
        "[units.source]\nkind = \"file\"\npath = \"data/{unit}/{report}-{period}.json\"\n",
        http,
        1,
    );
    let out = Office::new(&config).ok(&["check"]);
    assert!(
        out.contains("http https://bc.example.vn/{unit}/{period}.xlsx?… (xlsx)"),
        "{out}"
    );
    assert!(!out.contains("s3cr3t") && !out.contains("pw@"), "{out}");

    let both = config.replace("{ file = \"api-key\" }", "{ file = \"api-key\", env = \"KEY\" }");
    assert!(check_fails(&both).contains("units[0].source.headers.X-Api-Key"));
    let auth = config.replace("\"Accept-Language\" = \"vi\"", "\"Authorization\" = \"Bearer x\"");
    assert!(check_fails(&auth).contains("bearer_env or bearer_file"));
}

#[test]
fn a_cron_that_never_fires_is_an_error_naming_its_key() {
    let config = OFFICE.replace("tick = \"0 * * * * *\"", "tick = \"0 0 8 31 2 *\"");
    let err = check_fails(&config);
    assert!(err.contains("key `schedule.tick`"), "{err}");
    assert!(err.contains("never fires"), "{err}");
}

#[test]
fn a_date_the_month_does_not_have_is_named_as_such() {
    let config = OFFICE.replace("holidays = [\"2024-01-01\"", "holidays = [\"2025-04-31\"");
    let err = check_fails(&config);
    assert!(err.contains("calendar.holidays[0]"), "{err}");
    assert!(err.contains("2025-04-31: tháng 4 không có ngày 31"), "{err}");
}

#[test]
fn an_out_of_range_cron_field_is_named() {
    let config = OFFICE.replace("collect = \"0 0 */2 * * *\"", "collect = \"0 0 25 * * *\"");
    let err = check_fails(&config);
    assert!(err.contains("key `reports[0].collect`"), "{err}");
    assert!(err.contains("hour 25 is out of range 0–23"), "{err}");
}
