//! Security across a busy run: the real daemon at `RUST_LOG=trace` collects
//! from sources that carry a bearer token, a secret header and a token in
//! the URL (one of them failing), polls the bot (commands from the group, a
//! stranger, a document), and delivers through 429s, a 5xx and a refused
//! parse. Then every log line, console line, stored cell and message is
//! scanned: neither the bot token nor any source secret appears anywhere,
//! no case party's name or phone is stored or sent, and unit names full of
//! HTML never break a message.

mod support;

use std::time::{Duration, Instant};

use sqlx::Row;
use support::Office;
use support::daemon::Daemon;
use support::district::{District, Reply};
use support::telegram::{self, FakeTelegram, document, message};

const TOKEN: &str = "987654:TRACE-BOT-SECRET-q7w";
const TOKEN_ENV: &str = "GIAOBAN_TEST_TOKEN";
const GROUP: i64 = -100555;
const ADMIN: i64 = 111;
const STRANGER: i64 = 999;
/// Every secret the config points at, and pieces a careless log would show.
/// People named in a case: never stored, never in a message.
const PARTIES: [&str; 3] = ["Nguyễn Văn Bình", "0912 345 678", "Trần Thị Cúc"];
const SECRETS: [&str; 6] = [
    "TRACE-BOT-SECRET",
    "987654:TRACE",
    "987654%3ATRACE",
    "q-s3cr3t-in-url",
    "bearer-s3cr3t-file",
    "hdr-s3cr3t-key",
];

fn this_month() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%Y-%m")
        .to_string()
}

fn office(district: &District, fake: &FakeTelegram) -> Office {
    let base = district.url();
    let config = format!(
        r#"timezone = "Asia/Ho_Chi_Minh"
language = "vi"

[storage]
url = "sqlite://state/giaoban.db"

[working_hours]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
from = "00:00"
to = "23:59"

[schedule]
tick = "* * * * * *"

[[units]]
id = "an-phu"
name = "<b>An Phú</b> & <i>co"
[units.source]
kind = "http"
url = "{base}/{{unit}}/{{report}}/{{period}}.json?token=q-s3cr3t-in-url"
bearer_file = "bearer-token"
headers = {{ "X-Api-Key" = {{ file = "api-key" }} }}

[[units]]
id = "binh-minh"
name = "Bình Minh </code><a href=\"x\">"
[units.source]
kind = "http"
url = "{base}/{{unit}}/{{report}}/{{period}}.json?token=q-s3cr3t-in-url"
bearer_file = "bearer-token"

[[units]]
id = "cai-be"
name = "Cái Bè &amp; <script>"
[units.source]
kind = "http"
url = "{base}/{{unit}}/{{report}}/{{period}}.json"

[[reports]]
id = "m"
title = "Báo cáo <tháng>"
period = "month"
due = {{ day = 28, time = "17:00" }}
grace = "1wd"
collect = "* * * * * *"

[[reports.metrics]]
key = "cases_accepted"
label = "Số vụ án thụ lý"

[[reports.metrics]]
key = "cases_resolved"
label = "Số vụ án đã giải quyết"

[[reports.rules]]
check = "cases_resolved <= cases_accepted"
message = "Số vụ giải quyết lớn hơn số vụ thụ lý"

[[case_rules]]
kind = "khieu_nai_lan_1"
label = "Khiếu nại lần đầu"
accept_within = "10d"
resolve_within = "30d"
due_soon = "5d"

[collection]
timeout_secs = 1
connect_timeout_secs = 1
retries = 1
retry_backoff_ms = 50

[telegram]
token_env = "{TOKEN_ENV}"
api_url = "{}"
chat_id = {GROUP}
admins = [{ADMIN}]
request_timeout = 2
"#,
        fake.url
    );
    let office = Office::new(&config);
    std::fs::write(office.path().join("bearer-token"), "bearer-s3cr3t-file\n").expect("token file");
    std::fs::write(office.path().join("api-key"), "hdr-s3cr3t-key").expect("key file");
    office
}

/// Telegram HTML as the Bot API checks it: only known tags, each closed in
/// order, `<` and `&` only as tags and entities.
fn valid_telegram_html(s: &str) -> bool {
    const TAGS: [&str; 9] = ["b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['<', '&']) {
        rest = &rest[i..];
        if rest.starts_with('&') {
            let Some(end) = rest.find(';') else { return false };
            let entity = &rest[1..end];
            let known = ["amp", "lt", "gt", "quot"].contains(&entity) || entity.starts_with('#');
            if !known {
                return false;
            }
            rest = &rest[end + 1..];
            continue;
        }
        let Some(end) = rest.find('>') else { return false };
        let tag = &rest[1..end];
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop().as_deref() != Some(name) {
                return false;
            }
        } else {
            let name = tag.split_whitespace().next().unwrap_or("");
            if !TAGS.contains(&name) {
                return false;
            }
            stack.push(name.to_string());
        }
        rest = &rest[end + 1..];
    }
    stack.is_empty()
}

#[test]
fn a_busy_run_at_trace_level_shows_no_secret_anywhere_and_html_in_names_breaks_no_message() {
    let district = District::start();
    let fake = FakeTelegram::start();
    let office = office(&district, &fake);
    let month = this_month();
    let at = (chrono::Utc::now() - chrono::Duration::seconds(60)).to_rfc3339();
    let figures = |unit: &str, accepted: i64, resolved: i64| {
        format!(
            r#"{{"unit": "{unit}", "report": "m", "period": "{month}", "submitted_at": "{at}",
                "metrics": {{"cases_accepted": {accepted}, "cases_resolved": {resolved}}},
                "cases": [{{"ref": "KN-01", "kind": "khieu_nai_lan_1", "received_on": "2024-07-02",
                  "status": "open", "complainant": "Nguyễn Văn Bình", "phone": "0912 345 678",
                  "denouncer_name": "Trần Thị Cúc"}}]}}"#
        )
    };
    // An Phú sends a valid report, then one that breaks a rule; Bình Minh's
    // server fails; Cái Bè sends garbage.
    district.serve(
        &format!("/an-phu/m/{month}.json"),
        vec![
            Reply::body(figures("an-phu", 100, 80)),
            Reply::body(figures("an-phu", 10, 80)),
        ],
    );
    district.serve(&format!("/binh-minh/m/{month}.json"), vec![Reply::Status(500)]);
    district.serve(
        &format!("/cai-be/m/{month}.json"),
        vec![Reply::body("{not json at all")],
    );
    // Delivery meets a 429, a 5xx and a refused parse before it goes through.
    fake.script([
        telegram::Reply::TooManyRequests { retry_after: 1 },
        telegram::Reply::ServerError(502),
    ]);
    // The bot: the admin asks in the group, a stranger writes privately, a
    // document arrives with markup in its caption.
    fake.push_update(message(1, GROUP, ADMIN, "/status"));
    fake.push_update(message(2, STRANGER, STRANGER, "/status"));
    fake.add_file("f1", b"not a spreadsheet");
    fake.push_update(document(
        3,
        GROUP,
        ADMIN,
        "f1",
        "bao-cao.xlsx",
        17,
        "<b>báo cáo</b> & <i>",
    ));
    fake.push_update(message(4, GROUP, ADMIN, "/help"));

    let mut daemon = Daemon::start(&office, &[(TOKEN_ENV, TOKEN), ("RUST_LOG", "trace")]);
    daemon.wait_log("giaoban is running");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = office.sql("SELECT COUNT(*) FROM outbox WHERE state = 'sent'")[0].get::<i64, _>(0);
        let cases = office.sql("SELECT COUNT(*) FROM case_versions")[0].get::<i64, _>(0);
        let pending =
            office.sql("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'failed')")[0].get::<i64, _>(0);
        let handled = office.sql("SELECT COUNT(*) FROM telegram_updates WHERE state != 'pending'")[0].get::<i64, _>(0);
        let collected = district.seen(&format!("/an-phu/m/{month}.json")).len();
        if rows >= 3 && pending == 0 && handled >= 4 && collected >= 3 && cases >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the busy run did not settle: {rows} sent, {pending} pending, {handled} updates handled, {collected} collections, {cases} cases"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(daemon.stop().success());
    daemon.drain();
    assert!(
        daemon.log.len() > 200,
        "trace logging is on: {} lines",
        daemon.log.len()
    );

    // Log lines and console lines.
    for line in daemon.log.iter().chain(daemon.out.iter()) {
        for secret in SECRETS {
            assert!(!line.contains(secret), "a log line shows {secret:?}: {line}");
        }
    }
    // Every cell of every table.
    let tables = office.tables();
    let mut cells = 0;
    for table in &tables {
        for row in office.sql(&format!("SELECT * FROM \"{table}\"")) {
            for i in 0..row.len() {
                let text = row.try_get::<String, _>(i).ok().or_else(|| {
                    row.try_get::<Vec<u8>, _>(i)
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                });
                if let Some(text) = text {
                    cells += 1;
                    for secret in SECRETS.iter().chain(PARTIES.iter()) {
                        assert!(!text.contains(secret), "{table} stores {secret:?}: {text}");
                    }
                }
            }
        }
    }
    assert!(cells > 50, "the scan read the database ({cells} text cells)");
    // Every request body the bot sent, and every message.
    let requests = fake.requests();
    for r in &requests {
        let body = r.body.to_string();
        for secret in SECRETS {
            assert!(
                !body.contains(secret),
                "a {} request carries {secret:?}: {body}",
                r.method
            );
        }
    }
    let messages = fake.messages();
    assert!(messages.len() >= 3, "{messages:?}");
    for m in &messages {
        let text = m.text.clone().unwrap_or_default();
        if m.parse_mode.as_deref() == Some("HTML") {
            assert!(valid_telegram_html(&text), "a message Telegram would refuse: {text}");
        }
        assert!(
            !text.contains("<script>") && !text.contains("<tháng>"),
            "raw markup from the config: {text}"
        );
    }
    assert!(
        messages.iter().all(|m| m.chat_id != Some(STRANGER)),
        "nothing goes to a stranger"
    );
}
