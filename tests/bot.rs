//! The bot through the real daemon and the real teloxide client, against
//! the fake Bot API's `getUpdates` and `getFile`: commands from allowed and
//! other people and chats, admin commands, files from units, restarts.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::Row;
use support::daemon::Daemon;
use support::telegram::{FakeTelegram, Request, document, message};
use support::{OFFICE, Office};

const TOKEN: &str = "123456:SECRET-TOKEN-abc";
const TOKEN_ENV: &str = "GIAOBAN_TEST_TOKEN";
const GROUP: i64 = -100123;
const ADMIN: i64 = 111;
const OFFICER: i64 = 222;
const STRANGER: i64 = 999;

/// The test office on a fake Telegram: An Phú's officer is user 222, the
/// admin is 111; a daily tick at 03:00, so no scheduled tick interferes.
fn office(fake: &FakeTelegram) -> Office {
    let base = OFFICE
        .replace(r#"tick = "0 * * * * *""#, r#"tick = "0 0 3 * * *""#)
        .replace(
            "contacts = [\"@anphu\"]",
            &format!("contacts = [\"@anphu\"]\ntelegram_users = [{OFFICER}]"),
        );
    Office::new(&format!(
        "{base}\n[telegram]\ntoken_env = \"{TOKEN_ENV}\"\napi_url = \"{}\"\nchat_id = {GROUP}\nadmins = [{ADMIN}]\nrequest_timeout = 5\n",
        fake.url
    ))
}

fn start(office: &Office) -> Daemon {
    let mut d = Daemon::start(office, &[(TOKEN_ENV, TOKEN)]);
    d.wait_log("giaoban is running");
    d
}

/// Waits until the fake has `n` sendMessage requests, then returns them.
fn wait_messages(fake: &FakeTelegram, n: usize) -> Vec<Request> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.messages().len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let m = fake.messages();
    assert!(m.len() >= n, "expected {n} messages, got {}: {m:?}", m.len());
    m
}

/// Waits until every stored update is handled or ignored.
fn wait_handled(office: &Office, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let done = office.sql("SELECT COUNT(*) FROM telegram_updates WHERE state != 'pending'")[0].get::<i64, _>(0);
        if done >= n {
            return;
        }
        assert!(Instant::now() < deadline, "updates not handled: {done}/{n}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until no outbox row is left to send.
fn wait_outbox_sent(office: &Office) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = office.sql("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0].get::<i64, _>(0);
        if left == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{left} outbox rows not sent");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn text(r: &Request) -> String {
    r.text.clone().unwrap_or_default()
}

fn reply_to(r: &Request) -> Option<i64> {
    r.body["reply_parameters"]["message_id"].as_i64()
}

#[test]
fn status_from_the_group_is_answered_as_a_reply_with_vietnamese_labels_that_fit_a_phone() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    fake.push_update(message(1, GROUP, STRANGER, "/status 9m 2024-9M"));
    fake.push_update(message(2, GROUP, OFFICER, "/trangthai@giaoban_bot 9m 2024-9M"));
    let mut daemon = start(&office);
    let sent = wait_messages(&fake, 2);
    for (m, asked) in sent.iter().zip([501, 502]) {
        assert_eq!(m.chat_id, Some(GROUP));
        assert_eq!(reply_to(m), Some(asked), "a reply to the asking message");
        let t = text(m);
        assert!(
            t.contains("Huyện An Phú") && t.contains("đúng hạn") && t.contains("chưa gửi"),
            "{t}"
        );
        assert!(t.contains("1/3 đơn vị gửi đúng hạn"), "{t}");
        assert!(
            !t.contains("cases_accepted") && !t.contains("9m") && !t.contains("<="),
            "{t}"
        );
        let block = t
            .split("<pre>")
            .nth(1)
            .and_then(|b| b.split("</pre>").next())
            .expect("a table");
        for line in block.lines() {
            assert!(
                line.chars().count() <= 40,
                "{} characters: {line}",
                line.chars().count()
            );
        }
    }
    // The commands were registered, for the group and private chats.
    let scopes: Vec<Value> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "setmycommands")
        .map(|r| r.body["scope"].clone())
        .collect();
    assert!(
        scopes.iter().any(|s| s["type"] == "chat" && s["chat_id"] == GROUP),
        "{scopes:?}"
    );
    assert!(scopes.iter().any(|s| s["type"] == "all_private_chats"), "{scopes:?}");
    let registered = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "setmycommands")
        .expect("setMyCommands");
    assert!(
        registered.body["commands"].to_string().contains("trangthai"),
        "{}",
        registered.body
    );
    assert!(daemon.stop().success());
}

#[test]
fn strangers_and_other_chats_are_ignored_and_logged_once() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    fake.push_update(message(1, STRANGER, STRANGER, "/status"));
    fake.push_update(message(2, STRANGER, STRANGER, "/late"));
    fake.push_update(message(3, -100777, OFFICER, "/status"));
    fake.push_update(message(4, GROUP, OFFICER, "/units"));
    let mut daemon = start(&office);
    let sent = wait_messages(&fake, 1);
    wait_handled(&office, 4);
    std::thread::sleep(Duration::from_millis(300));
    let sent_now = fake.messages();
    assert_eq!(sent_now.len(), 1, "only the group is answered: {sent_now:?}");
    assert!(text(&sent[0]).contains("Đơn vị báo cáo"), "{}", text(&sent[0]));
    assert!(daemon.stop().success());
    let logged = daemon
        .log
        .iter()
        .filter(|l| l.contains("ignoring a chat") && l.contains(&STRANGER.to_string()))
        .count();
    assert_eq!(logged, 1, "{:?}", daemon.log);
    let strangers = office.sql("SELECT chat_id, updates FROM telegram_strangers ORDER BY chat_id");
    assert_eq!(strangers.len(), 2);
}

#[test]
fn an_admin_command_from_someone_else_is_refused_and_a_wrong_argument_gets_a_usage_line() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    fake.push_update(message(1, GROUP, OFFICER, "/tamdung an-phu 3d"));
    fake.push_update(message(2, GROUP, OFFICER, "/quahan nowhere"));
    fake.push_update(message(3, GROUP, OFFICER, &format!("/status {}", "x".repeat(3000))));
    let mut daemon = start(&office);
    let sent = wait_messages(&fake, 3);
    assert!(
        text(&sent[0]).contains("chỉ dành cho quản trị viên"),
        "{}",
        text(&sent[0])
    );
    assert!(text(&sent[1]).starts_with("Cách dùng: /quahan"), "{}", text(&sent[1]));
    assert!(
        text(&sent[2]).starts_with("Cách dùng: /trangthai"),
        "{}",
        text(&sent[2])
    );
    assert!(text(&sent[2]).chars().count() < 200, "no echo of the argument");
    let mutes = office.sql("SELECT COUNT(*) FROM mutes");
    assert_eq!(mutes[0].get::<i64, _>(0), 0);
    assert!(daemon.stop().success());
}

#[test]
fn an_admin_mutes_a_unit_and_lifts_it_and_the_group_is_told_each_time() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    fake.push_update(message(1, ADMIN, ADMIN, "/tamdung cai-be 30d nghỉ phép"));
    fake.push_update(message(2, ADMIN, ADMIN, "/unmute cai-be"));
    let mut daemon = start(&office);
    let sent = wait_messages(&fake, 4);
    let to_admin: Vec<String> = sent.iter().filter(|m| m.chat_id == Some(ADMIN)).map(text).collect();
    let to_group: Vec<String> = sent.iter().filter(|m| m.chat_id == Some(GROUP)).map(text).collect();
    assert!(
        to_admin[0].contains("Tạm dừng nhắc nhở đối với Huyện Cái Bè"),
        "{to_admin:?}"
    );
    assert!(to_admin[0].contains("Lý do: nghỉ phép"), "{to_admin:?}");
    assert!(
        to_admin[1].contains("Tiếp tục nhắc nhở đối với Huyện Cái Bè"),
        "{to_admin:?}"
    );
    assert_eq!(to_group, to_admin, "the group is told the same");
    assert!(daemon.stop().success());
    let lifted = office.sql("SELECT COUNT(*) FROM mutes WHERE lifted_at IS NOT NULL");
    assert_eq!(lifted[0].get::<i64, _>(0), 1);
}

#[test]
fn a_muted_unit_is_left_out_of_the_late_alert_and_a_muted_report_says_nothing() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // A mute set on 10/09/2024 for a month.
    office.sql(
        "INSERT INTO mutes (target, until, reason, at) VALUES ('unit:cai-be', '2024-10-10T00:00:00.000Z', 'nghỉ', '2024-09-10T00:00:00.000Z')",
    );
    let tick = office.run_with(&["tick", "--at", "2024-09-19T17:00:00+07:00"], &[(TOKEN_ENV, TOKEN)]);
    assert!(tick.status.success(), "{}", String::from_utf8_lossy(&tick.stderr));
    let alert = fake
        .messages()
        .into_iter()
        .map(|m| text(&m))
        .find(|t| t.contains("Quá hạn"))
        .expect("a late alert");
    assert!(
        alert.contains("Huyện Bình Minh") && !alert.contains("Huyện Cái Bè"),
        "{alert}"
    );
    office.sql(
        "INSERT INTO mutes (target, until, reason, at) VALUES ('report:9m', '2024-10-10T00:00:00.000Z', 'họp', '2024-09-10T00:00:00.000Z')",
    );
    let before = fake.messages().len();
    let urge = office.run_with(&["tick", "--at", "2024-09-20T17:00:00+07:00"], &[(TOKEN_ENV, TOKEN)]);
    assert!(urge.status.success());
    assert_eq!(fake.messages().len(), before, "nothing about a muted report");
    let dropped = office.sql("SELECT COUNT(*) FROM outbox WHERE state = 'dropped'");
    assert!(dropped[0].get::<i64, _>(0) >= 1);
}

#[test]
fn a_unit_officer_hands_in_a_file_and_gets_the_outcome_as_a_reply() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    let good = br#"{"unit": "an-phu", "report": "9m", "period": "2024-9M",
        "metrics": {"cases_accepted": 1081, "cases_resolved": 898}}"#;
    let bad = br#"{"unit": "an-phu", "report": "9m", "period": "2024-9M",
        "metrics": {"cases_accepted": 10, "cases_resolved": 98}}"#;
    fake.add_file("f-good", good);
    fake.add_file("f-bad", bad);
    fake.add_file("f-other", good);
    fake.push_update(document(
        1,
        GROUP,
        OFFICER,
        "f-good",
        "bao-cao.json",
        good.len(),
        "9m 2024-9M",
    ));
    fake.push_update(document(
        2,
        GROUP,
        STRANGER,
        "f-other",
        "bao-cao.json",
        good.len(),
        "9m 2024-9M",
    ));
    fake.push_update(document(
        3,
        OFFICER,
        OFFICER,
        "f-bad",
        "bao-cao.json",
        bad.len(),
        "2024-9M",
    ));
    fake.push_update(document(4, OFFICER, OFFICER, "f-bad", "anh.png", bad.len(), ""));
    let mut daemon = start(&office);
    let sent = wait_messages(&fake, 4);
    let by_reply = |id: i64| {
        sent.iter()
            .find(|m| reply_to(m) == Some(id))
            .map(text)
            .unwrap_or_else(|| panic!("no reply to {id}: {sent:?}"))
    };
    let accepted = by_reply(501);
    assert!(
        accepted.contains("Đã nhận báo cáo") && accepted.contains("Bản số 1"),
        "{accepted}"
    );
    assert!(accepted.contains("Số vụ án thụ lý: 1.081"), "{accepted}");
    assert!(accepted.contains("đúng hạn"), "{accepted}");
    let refused = by_reply(502);
    assert!(refused.contains("không được lưu"), "{refused}");
    let rejected = by_reply(503);
    assert!(
        rejected.contains("không hợp lệ") && rejected.contains("Số vụ giải quyết lớn hơn"),
        "{rejected}"
    );
    assert!(
        !rejected.contains("cases_resolved <="),
        "the rule's formula is not shown: {rejected}"
    );
    let wrong_kind = by_reply(504);
    assert!(wrong_kind.contains("XLSX, CSV hoặc JSON"), "{wrong_kind}");
    assert!(daemon.stop().success());
    // Stored exactly as a collected submission: one revision, one rejection.
    let states = office.states("2024-09-20T10:00:00+07:00");
    assert_eq!(states[0], ("an-phu".to_string(), "on_time".to_string()));
    let rejected_rows = office.sql("SELECT COUNT(*) FROM submissions WHERE NOT accepted");
    assert!(rejected_rows[0].get::<i64, _>(0) >= 1);
}

#[test]
fn an_update_stored_before_a_crash_is_answered_once_after_the_restart() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    fake.push_update(message(7, GROUP, OFFICER, "/donvi"));
    let mut daemon = start(&office);
    wait_messages(&fake, 1);
    wait_handled(&office, 1);
    // The answer is recorded as sent before the crash: a kill between
    // Telegram taking a message and the outbox recording it is the courier's
    // at-least-once window (tests/delivery.rs), not what this test is about.
    wait_outbox_sent(&office);
    // Killed without a chance to clean up; then started again.
    let _ = daemon.child.kill();
    let _ = daemon.child.wait();
    // The crash left a stored update unanswered (as if killed between storing and handling).
    let body = office.sql("SELECT body FROM telegram_updates WHERE update_id = 7")[0].get::<String, _>(0);
    let pending = body
        .replace("\"update_id\":7", "\"update_id\":8")
        .replace("\"message_id\":507", "\"message_id\":508");
    office.sql(&format!(
        "INSERT INTO telegram_updates (update_id, received_at, chat_id, user_id, body) VALUES (8, '2026-01-01T00:00:00.000Z', {GROUP}, {OFFICER}, '{pending}')"
    ));
    let mut again = start(&office);
    let sent = wait_messages(&fake, 2);
    wait_handled(&office, 2);
    std::thread::sleep(Duration::from_millis(500));
    let sent_now = fake.messages();
    assert_eq!(sent_now.len(), 2, "update 7 answered once, update 8 once: {sent_now:?}");
    assert_eq!(reply_to(&sent[1]), Some(508));
    // Polling resumed after the stored updates: nothing is fetched twice.
    assert!(fake.offsets().iter().flatten().any(|o| *o == 9), "{:?}", fake.offsets());
    assert!(again.stop().success());
}

#[test]
fn another_poller_is_ridden_out_and_logged_once() {
    let fake = FakeTelegram::start();
    fake.conflict(3);
    let office = office(&fake);
    fake.push_update(message(1, GROUP, OFFICER, "/trogiup"));
    let mut daemon = start(&office);
    let sent = wait_messages(&fake, 1);
    assert!(text(&sent[0]).contains("Hướng dẫn sử dụng"), "{}", text(&sent[0]));
    assert!(
        !text(&sent[0]).contains("/tamdung"),
        "admin commands are not listed to others"
    );
    assert!(daemon.stop().success());
    let logged = daemon
        .log
        .iter()
        .filter(|l| l.contains("another process polls"))
        .count();
    assert_eq!(logged, 1, "{:?}", daemon.log);
    assert!(
        !daemon.log.iter().any(|l| l.contains("SECRET-TOKEN")),
        "the token is never logged"
    );
}

#[test]
fn summary_collect_remind_and_task_answer_in_the_chat() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    fake.push_update(message(1, GROUP, ADMIN, "/thuthap 9m"));
    fake.push_update(message(2, GROUP, OFFICER, "/tonghop 9m 2024-9M"));
    fake.push_update(message(3, GROUP, ADMIN, "/nhacnho"));
    fake.push_update(message(
        4,
        GROUP,
        ADMIN,
        "/nhiemvu 30/12/2026 an-phu,cai-be Rà soát đơn tồn đọng",
    ));
    fake.push_update(message(5, GROUP, ADMIN, "/nhiemvu 31/02/2026 an-phu x"));
    let mut daemon = start(&office);
    let sent = wait_messages(&fake, 5);
    let by_reply = |id: i64| {
        sent.iter()
            .find(|m| reply_to(m) == Some(id))
            .map(text)
            .unwrap_or_else(|| panic!("no reply to {id}: {sent:?}"))
    };
    assert!(by_reply(501).starts_with("📥 Đã thu thập"), "{}", by_reply(501));
    let summary = by_reply(502);
    assert!(summary.contains("Huyện An Phú"), "{summary}");
    // The summary's spreadsheet and chart follow it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !fake.requests().iter().any(|r| r.method == "sendphoto") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let files: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "senddocument" || r.method == "sendphoto")
        .filter_map(|r| r.file_name)
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with(".xlsx")) && files.iter().any(|f| f.ends_with(".png")),
        "{files:?}"
    );
    // No period of the report is before its deadline now: nothing to remind.
    assert!(
        by_reply(503).contains("Không có đơn vị nào cần nhắc"),
        "{}",
        by_reply(503)
    );
    assert!(by_reply(504).contains("Đã ghi nhận nhiệm vụ"), "{}", by_reply(504));
    assert!(by_reply(505).starts_with("❌"), "{}", by_reply(505));
    assert!(daemon.stop().success());
    let tasks = office.json(&["tasks"]);
    assert!(
        tasks["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["title"] == "Rà soát đơn tồn đọng"),
        "{tasks}"
    );
}

#[test]
fn a_file_whose_report_cannot_be_told_gets_a_question() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    // A quarter no report of the office has, and no naming rows in the file.
    let bytes = br#"{"metrics": {"cases_accepted": 1, "cases_resolved": 1}}"#;
    fake.add_file("f", bytes);
    fake.push_update(document(1, OFFICER, OFFICER, "f", "bc.json", bytes.len(), "2024-Q3"));
    let mut daemon = start(&office);
    let sent = wait_messages(&fake, 1);
    assert!(text(&sent[0]).contains("báo cáo nào, kỳ nào"), "{}", text(&sent[0]));
    assert!(daemon.stop().success());
    let stored = office.sql("SELECT COUNT(*) FROM submissions");
    assert_eq!(stored[0].get::<i64, _>(0), 0);
}

#[test]
fn hostile_chat_input_gets_clear_answers_in_bounded_memory_and_leaves_the_units_unharmed() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    let big = vec![b'x'; 50 * 1024 * 1024];
    fake.add_file("f-big", &big);
    fake.add_file("f-liar", &big);
    fake.add_file("f-noise", b"PK\x03\x04 this is not a workbook at all \x00\x01\x02");
    let good = br#"{"unit": "an-phu", "report": "9m", "period": "2024-9M",
        "metrics": {"cases_accepted": 1081, "cases_resolved": 898}}"#;
    fake.add_file("f-good", good);
    // 1: a 50 MB document; 2: one that says 100 bytes and is 50 MB; 3: a
    // workbook that is not one, with markup in its caption; 4–5: absurd
    // arguments; 6: another group; 7: a private chat with a stranger;
    // 8: then a real report from the officer.
    fake.push_update(document(
        1,
        GROUP,
        OFFICER,
        "f-big",
        "bao-cao.xlsx",
        big.len(),
        "9m 2024-9M",
    ));
    fake.push_update(document(2, GROUP, OFFICER, "f-liar", "bao-cao.csv", 100, "9m 2024-9M"));
    fake.push_update(document(
        3,
        GROUP,
        OFFICER,
        "f-noise",
        "bao-cao.xlsx",
        40,
        "<b>9m</b> <script>alert(1)</script> & 2024-9M",
    ));
    fake.push_update(message(4, GROUP, ADMIN, &format!("/status {}", "9m ".repeat(3000))));
    fake.push_update(message(5, GROUP, ADMIN, &format!("/mute {}", "x".repeat(100_000))));
    fake.push_update(message(6, -100999, ADMIN, "/status"));
    fake.push_update(message(7, STRANGER, STRANGER, "/collect"));
    fake.push_update(document(
        8,
        GROUP,
        OFFICER,
        "f-good",
        "bao-cao.json",
        good.len(),
        "9m 2024-9M",
    ));
    let mut daemon = start(&office);
    wait_handled(&office, 8);
    let sent = wait_messages(&fake, 6);
    let peak = daemon.peak_rss_kib().unwrap_or(0);
    let by_reply = |id: i64| {
        sent.iter()
            .find(|m| reply_to(m) == Some(id))
            .map(text)
            .unwrap_or_else(|| panic!("no reply to {id}: {sent:?}"))
    };
    assert!(by_reply(501).contains("MB nên không được đọc"), "{}", by_reply(501));
    assert!(by_reply(502).contains("MB nên không được đọc"), "{}", by_reply(502));
    let noise = by_reply(503);
    assert!(
        noise.contains("không hợp lệ") || noise.contains("XLSX, CSV hoặc JSON"),
        "{noise}"
    );
    assert!(
        !noise.contains("<script>") && !noise.contains("<b>9m"),
        "the caption's markup is not echoed raw: {noise}"
    );
    for id in [504, 505] {
        let usage = by_reply(id);
        assert!(
            usage.chars().count() < 1000,
            "a short usage line, not the argument: {usage}"
        );
    }
    assert!(
        by_reply(508).contains("Đã nhận báo cáo"),
        "the real report after all that: {}",
        by_reply(508)
    );
    assert!(
        sent.iter().all(|m| m.chat_id == Some(GROUP)),
        "nothing to the other group or the stranger: {sent:?}"
    );
    assert!(peak < 200 * 1024, "peak memory {peak} KiB with 50 MB documents offered");
    eprintln!("hostile chat input: peak RSS {peak} KiB");
    assert!(daemon.stop().success());
    let states = office.states("2024-09-20T10:00:00+07:00");
    assert_eq!(states[0], ("an-phu".to_string(), "on_time".to_string()));
    // Stored updates are bounded too: the 100 000-character argument is cut.
    let longest = office.sql("SELECT MAX(LENGTH(body)) FROM telegram_updates")[0].get::<Option<i64>, _>(0);
    assert!(longest.unwrap_or(0) <= 4096, "an update stored {longest:?} characters");
}

#[test]
fn a_mute_that_runs_out_is_announced_once_and_officers_are_mentioned_by_id() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    migrate_db(&office);
    office.sql(
        "INSERT INTO mutes (target, until, reason, at) VALUES ('unit:an-phu', '2024-09-12T00:00:00.000Z', 'họp', '2024-09-10T00:00:00.000Z')",
    );
    // The 1-day reminder before the 18/09 deadline: An Phú's officer is mentioned by user id.
    for at in ["2024-09-17T17:00:00+07:00", "2024-09-17T18:00:00+07:00"] {
        let out = office.run_with(&["tick", "--at", at], &[(TOKEN_ENV, TOKEN)]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let texts: Vec<String> = fake.messages().iter().map(text).collect();
    let ended: Vec<&String> = texts.iter().filter(|t| t.contains("Tiếp tục nhắc nhở")).collect();
    assert_eq!(ended.len(), 1, "{texts:?}");
    assert!(ended[0].contains("Huyện An Phú"));
    let reminder = texts.iter().find(|t| t.contains("Nhắc nhở")).expect("a reminder");
    assert!(
        reminder.contains(&format!("<a href=\"tg://user?id={OFFICER}\">")),
        "{reminder}"
    );
}

/// Creates the database (a tick long before any deadline queues nothing).
fn migrate_db(office: &Office) {
    let out = office.run_with(&["tick", "--at", "2024-01-05T09:00:00+07:00"], &[(TOKEN_ENV, TOKEN)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_unit_whose_only_source_is_the_chat_is_not_collected_and_needs_officers() {
    let fake = FakeTelegram::start();
    let office = office(&fake);
    let text = std::fs::read_to_string(&office.config).expect("config");
    let chat_only = text.replacen(
        "[units.source]\nkind = \"file\"\npath = \"data/{unit}/{report}-{period}.json\"",
        "[units.source]\nkind = \"telegram\"",
        1,
    );
    std::fs::write(&office.config, &chat_only).expect("config");
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    assert!(
        out.lines().any(|l| l.contains("an-phu") && l.contains("no_source")),
        "{out}"
    );
    let without = chat_only.replace(&format!("telegram_users = [{OFFICER}]"), "");
    std::fs::write(&office.config, without).expect("config");
    let refused = office.run(&["check"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("telegram_users"));
}
