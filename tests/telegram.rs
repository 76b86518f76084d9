//! Delivery to Telegram through the real binary and the real teloxide client,
//! against a fake Bot API on 127.0.0.1 scripted with the answers Telegram
//! really gives. Time moves with `tick --at`; nothing sleeps to wait for it.

mod support;

use std::time::Instant;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;
use support::telegram::{FakeTelegram, Reply};
use support::{OFFICE, Office};

const TOKEN: &str = "123456:SECRET-TOKEN-abc";
const TOKEN_ENV: &str = "GIAOBAN_TEST_TOKEN";
const CHAT: i64 = -100123;
/// Friday 20/09/2024 10:00 in Hà Nội: the late alert (Cái Bè) and Bình Minh's
/// late arrival are both due, in that order.
const T: &str = "2024-09-20T10:00:00+07:00";

/// The office on a fake Telegram. The automatic summary is left out (its
/// delivery has a test of its own), so each test counts only its own messages.
fn telegram_config(base: &str, fake: &FakeTelegram, extra: &str) -> String {
    let base = base.replace(
        "repeat_late_max = 2",
        "repeat_late_max = 2\nsummary_when_complete = false",
    );
    let timeout = if extra.contains("request_timeout") {
        ""
    } else {
        "request_timeout = 5\n"
    };
    format!(
        "{base}\n[telegram]\ntoken_env = \"{TOKEN_ENV}\"\napi_url = \"{}\"\nchat_id = {CHAT}\n{timeout}{extra}\n",
        fake.url
    )
}

/// An office on Telegram with one unit on time and one late: a tick at `T`
/// sends two messages.
fn office(fake: &FakeTelegram, extra: &str) -> Office {
    let office = Office::new(&telegram_config(OFFICE, fake, extra));
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.submit_figures("binh-minh", "2024-09-20T09:00:00+07:00", 50, 40);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    office
}

fn at(offset_seconds: i64) -> String {
    let t = DateTime::parse_from_rfc3339(T).expect("T") + chrono::Duration::seconds(offset_seconds);
    t.to_rfc3339()
}

/// `tick --at` with the token in the environment; returns stderr.
fn tick(office: &Office, when: &str) -> String {
    let out = office.run_with(&["tick", "--at", when], &[(TOKEN_ENV, TOKEN)]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "tick failed: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "with Telegram nothing is printed to stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

fn query(office: &Office, sql: &str) -> Vec<AnyRow> {
    office.sql(sql)
}

/// Makes `seconds` of real time pass for the stored wall-clock instants
/// (retry times, leases, send times, chat rechecks), so a test need not sleep.
fn elapse(office: &Office, seconds: i64) {
    // Stored instants are fixed-width UTC text on both backends.
    let postgres = office.pg.is_some();
    let shift = |col: &str| {
        if postgres {
            format!(
                "{col} = to_char((CAST({col} AS timestamptz) - interval '{seconds} seconds') AT TIME ZONE 'UTC', \
                 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
            )
        } else {
            format!("{col} = strftime('%Y-%m-%dT%H:%M:%fZ', {col}, '-{seconds} seconds')")
        }
    };
    query(
        office,
        &format!(
            "UPDATE outbox SET {}, {} WHERE state = 'pending'",
            shift("next_attempt_at"),
            shift("lease_until")
        ),
    );
    query(office, &format!("UPDATE telegram_messages SET {}", shift("sent_at")));
    query(
        office,
        &format!(
            "UPDATE telegram_chats SET {}, {}",
            shift("recheck_at"),
            shift("held_since")
        ),
    );
}

#[derive(Debug)]
struct OutboxLine {
    key: String,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    next_attempt_at: Option<DateTime<Utc>>,
    chat_id: Option<i64>,
    message_id: Option<i64>,
}

fn outbox(office: &Office) -> Vec<OutboxLine> {
    query(
        office,
        "SELECT key, state, attempts, last_error, next_attempt_at, chat_id, message_id FROM outbox ORDER BY id",
    )
    .into_iter()
    .map(|r| OutboxLine {
        key: r.get(0),
        state: r.get(1),
        attempts: r.get(2),
        last_error: r.get(3),
        next_attempt_at: r
            .get::<Option<String>, _>(4)
            .map(|s| s.parse().expect("stored instant")),
        chat_id: r.get(5),
        message_id: r.get(6),
    })
    .collect()
}

fn status(office: &Office, when: &str) -> serde_json::Value {
    office.json(&["status", "--report", "9m", "--period", "2024-9M", "--at", when])
}

fn texts(fake: &FakeTelegram) -> Vec<String> {
    fake.messages()
        .into_iter()
        .map(|m| m.text.unwrap_or_default())
        .collect()
}

const LATE: &str = "Quá hạn";
const RECEIVED_LATE: &str = "Đã nhận báo cáo gửi muộn";

#[test]
fn messages_reach_the_group_as_html_in_the_topic_and_are_marked_sent_with_their_ids() {
    let fake = FakeTelegram::start();
    let office = office(&fake, "thread_id = 7");
    tick(&office, T);
    let sent = fake.messages();
    assert_eq!(sent.len(), 2, "{sent:?}");
    for m in &sent {
        assert_eq!(m.token, TOKEN);
        assert_eq!(m.chat_id, Some(CHAT));
        assert_eq!(m.parse_mode.as_deref(), Some("HTML"));
        assert_eq!(m.message_thread_id, Some(7));
    }
    let t = texts(&fake);
    assert!(t[0].contains("⚠️ <b>Quá hạn</b>: Báo cáo giao ban 9 tháng"), "{}", t[0]);
    assert!(t[0].contains("• Huyện Cái Bè"), "{}", t[0]);
    assert!(t[1].contains(RECEIVED_LATE), "{}", t[1]);
    let rows = outbox(&office);
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|r| r.state == "sent" && r.chat_id == Some(CHAT)),
        "{rows:?}"
    );
    assert_eq!(rows[0].message_id, Some(1001));
    assert_eq!(rows[1].message_id, Some(1002));
    // Delivered once.
    tick(&office, &at(60));
    assert_eq!(fake.messages().len(), 2);
    let doc = status(&office, &at(60));
    assert_eq!(doc["outbox"]["sent"], 2);
    assert_eq!(doc["outbox"]["pending"], 0);
    assert!(doc["units"].is_array(), "the status document keeps its fields");
}

#[test]
fn a_reminder_mentions_the_units_contacts() {
    let fake = FakeTelegram::start();
    let office = Office::new(&telegram_config(OFFICE, &fake, ""));
    tick(&office, "2024-09-16T08:00:00+07:00");
    let t = texts(&fake);
    assert_eq!(t.len(), 1, "{t:?}");
    assert!(t[0].contains("⏰ <b>Nhắc nhở</b>"), "{}", t[0]);
    assert!(t[0].contains("• Huyện An Phú (@anphu)"), "{}", t[0]);
}

#[test]
fn a_short_429_is_waited_out_in_the_same_run_and_nothing_overtakes_it() {
    let fake = FakeTelegram::start();
    fake.script([Reply::TooManyRequests { retry_after: 1 }]);
    let office = office(&fake, "");
    let log = tick(&office, T);
    assert!(log.contains("will retry") && log.contains("retry after 1"), "{log}");
    let sent = fake.messages();
    let t = texts(&fake);
    assert_eq!(t.len(), 3, "{t:?}");
    assert!(
        t[0].contains(LATE) && t[1].contains(LATE) && t[2].contains(RECEIVED_LATE),
        "order kept: {t:?}"
    );
    let waited = sent[1].at.duration_since(sent[0].at);
    assert!(waited.as_millis() >= 1000, "retry_after is honoured: {waited:?}");
    assert!(outbox(&office).iter().all(|r| r.state == "sent"));
}

#[test]
fn a_long_429_holds_its_row_in_real_time_and_nothing_overtakes_it() {
    let fake = FakeTelegram::start();
    fake.script([Reply::TooManyRequests { retry_after: 30 }]);
    let office = office(&fake, "");
    let before = Utc::now();
    tick(&office, T);
    assert_eq!(fake.messages().len(), 1);
    let rows = outbox(&office);
    assert_eq!((rows[0].state.as_str(), rows[0].attempts), ("pending", 1));
    let wait = rows[0].next_attempt_at.expect("retry time") - before;
    assert!((30..33).contains(&wait.num_seconds()), "a real instant 30 s on: {wait}");
    assert_eq!((rows[1].state.as_str(), rows[1].attempts), ("pending", 0));
    // A later `--at` does not make real time pass: nothing goes out, not even the next row.
    tick(&office, &at(3600));
    assert_eq!(fake.messages().len(), 1);
    elapse(&office, 31);
    tick(&office, &at(40));
    let t = texts(&fake);
    assert_eq!(t.len(), 3);
    assert!(t[1].contains(LATE) && t[2].contains(RECEIVED_LATE), "order kept: {t:?}");
    assert!(outbox(&office).iter().all(|r| r.state == "sent"));
}

#[test]
fn server_errors_are_retried_with_growing_backoff_and_shown_in_logs_and_status() {
    let fake = FakeTelegram::start();
    fake.script([Reply::ServerError(502), Reply::ServerError(502)]);
    // teloxide pauses 10 s after a 5xx answer before reading it; a short
    // request timeout keeps this test fast (the failure then reads as a timeout).
    let office = office(&fake, "request_timeout = 1");
    let started = Utc::now();
    let log = tick(&office, T);
    assert!(
        log.contains("will retry") && log.contains("no answer within 1 s"),
        "{log}"
    );
    assert_eq!(
        log.matches("will retry").count(),
        1,
        "each failure is logged once: {log}"
    );
    let first = outbox(&office)[0].next_attempt_at.expect("retry time") - started;
    assert!(
        (10..=15).contains(&first.num_seconds()),
        "first backoff {first}: {:?}\n{log}",
        outbox(&office)
    );
    let doc = status(&office, &at(0));
    assert_eq!(doc["outbox"]["retrying"], 1);
    assert_eq!(doc["outbox"]["pending"], 2);
    assert!(
        doc["outbox"]["problems"][0]["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("no answer within"),
        "{doc}"
    );
    let table = office.ok(&["status", "--report", "9m", "--period", "2024-9M", "--at", &at(0)]);
    assert!(
        table.contains("1 đang thử lại") && table.contains("no answer within"),
        "{table}"
    );
    // Too early: nothing is tried, and the later row does not go first.
    tick(&office, &at(5));
    assert_eq!(fake.messages().len(), 1);
    elapse(&office, 15);
    let again = Utc::now();
    tick(&office, &at(15));
    assert_eq!(fake.messages().len(), 2);
    let second = outbox(&office)[0].next_attempt_at.expect("retry time") - again;
    assert!((20..=27).contains(&second.num_seconds()), "second backoff {second}");
    assert_eq!(outbox(&office)[0].attempts, 2);
    elapse(&office, 30);
    tick(&office, &at(60));
    let t = texts(&fake);
    assert_eq!(t.len(), 4);
    assert!(
        t[..3].iter().all(|x| x.contains(LATE)) && t[3].contains(RECEIVED_LATE),
        "{t:?}"
    );
    assert!(outbox(&office).iter().all(|r| r.state == "sent"));
    assert_eq!(status(&office, &at(60))["outbox"]["retrying"], 0);
}

#[test]
fn a_stalled_request_times_out_and_the_message_is_sent_again() {
    let fake = FakeTelegram::start();
    fake.script([Reply::Stall(std::time::Duration::from_secs(3))]);
    let office = office(&fake, "request_timeout = 1");
    let started = Instant::now();
    let log = tick(&office, T);
    assert!(started.elapsed().as_secs() < 3, "the tick gives up after the timeout");
    assert!(log.contains("will retry"), "{log}");
    let rows = outbox(&office);
    assert_eq!((rows[0].state.as_str(), rows[0].attempts), ("pending", 1));
    assert!(rows[0].last_error.as_deref().unwrap_or_default().contains("Telegram"));
    elapse(&office, 60);
    tick(&office, &at(60));
    // At least once: the stalled request may have reached the group, so the
    // same message can arrive twice, never zero times, never out of order.
    let t = texts(&fake);
    assert_eq!(t.len(), 3);
    assert_eq!(t[0], t[1]);
    assert!(t[2].contains(RECEIVED_LATE));
    assert!(outbox(&office).iter().all(|r| r.state == "sent"));
}

#[test]
fn chat_not_found_holds_the_chat_and_the_refused_row_goes_out_first_when_it_accepts_again() {
    let fake = FakeTelegram::start();
    fake.script([Reply::ChatNotFound]);
    let office = office(&fake, "refused_retry = 600");
    let log = tick(&office, T);
    assert!(log.contains("chat not found") && log.contains("held"), "{log}");
    assert_eq!(fake.messages().len(), 1);
    let rows = outbox(&office);
    assert_eq!(
        (rows[0].state.as_str(), rows[0].attempts),
        ("pending", 1),
        "the refused row is kept"
    );
    assert!(
        rows[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("chat not found")
    );
    assert_eq!((rows[1].state.as_str(), rows[1].attempts), ("pending", 0));
    let doc = status(&office, &at(0));
    assert_eq!(doc["outbox"]["failed"], 0);
    assert_eq!(doc["outbox"]["chats"][0]["chat_id"], CHAT);
    assert!(
        doc["outbox"]["chats"][0]["held_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("chat not found")
    );
    // Not hammered: runs before the recheck send nothing, and say nothing more about the hold.
    let quiet = tick(&office, &at(60));
    elapse(&office, 300);
    let quiet2 = tick(&office, &at(300));
    assert_eq!(fake.messages().len(), 1);
    assert!(
        !quiet.contains("refuses") && !quiet2.contains("refuses"),
        "{quiet}{quiet2}"
    );
    // The bot was added back; the recheck gets through: the refused row first, then the rest.
    elapse(&office, 301);
    let resumed = tick(&office, &at(601));
    let t = texts(&fake);
    assert_eq!(t.len(), 3, "{t:?}");
    assert!(t[1].contains(LATE) && t[2].contains(RECEIVED_LATE), "{t:?}");
    assert!(outbox(&office).iter().all(|r| r.state == "sent"));
    assert!(status(&office, &at(601))["outbox"]["chats"][0]["held_reason"].is_null());
    assert!(
        resumed.contains("accepts messages again"),
        "the end of the hold is logged: {resumed}"
    );
}

#[test]
fn a_kicked_bot_is_tried_once_per_recheck_and_once_added_back_gets_every_message() {
    let fake = FakeTelegram::start();
    fake.otherwise(Reply::Kicked);
    let office = office(&fake, "refused_retry = 600");
    let log = tick(&office, T);
    assert!(log.contains("bot was kicked from the supergroup chat"), "{log}");
    elapse(&office, 120);
    tick(&office, &at(120));
    assert_eq!(fake.messages().len(), 1);
    elapse(&office, 481);
    let probe = tick(&office, &at(601));
    assert_eq!(fake.messages().len(), 2, "one probe after the recheck interval");
    assert!(
        !probe.contains("refuses the bot"),
        "a failed probe is not logged as a new hold: {probe}"
    );
    let rows = outbox(&office);
    assert_eq!((rows[0].state.as_str(), rows[0].attempts), ("pending", 2));
    assert_eq!((rows[1].state.as_str(), rows[1].attempts), ("pending", 0));
    tick(&office, &at(700));
    assert_eq!(fake.messages().len(), 2);
    // Added back to the group: the refused late alert goes out, then the rest.
    fake.otherwise(Reply::Ok);
    elapse(&office, 601);
    tick(&office, &at(1300));
    let t = texts(&fake);
    assert_eq!(t.len(), 4, "{t:?}");
    assert!(t[2].contains(LATE) && t[3].contains(RECEIVED_LATE), "{t:?}");
    assert!(outbox(&office).iter().all(|r| r.state == "sent"));
}

#[test]
fn not_enough_rights_is_a_refusal_too() {
    let fake = FakeTelegram::start();
    fake.script([Reply::NoRights]);
    let office = office(&fake, "");
    tick(&office, T);
    let rows = outbox(&office);
    assert_eq!(rows[0].state, "pending", "held, not failed");
    assert!(
        rows[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("not enough rights")
    );
    assert_eq!(fake.messages().len(), 1);
    assert!(
        status(&office, &at(0))["outbox"]["chats"][0]["held_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not enough rights")
    );
}

#[test]
fn a_group_upgraded_to_a_supergroup_is_followed_and_the_admins_are_told() {
    let fake = FakeTelegram::start();
    fake.script([Reply::Migrate { to: -100999 }]);
    let office = office(&fake, "admins = [111]");
    let log = tick(&office, T);
    assert!(log.contains("supergroup"), "{log}");
    let sent = fake.messages();
    let chats: Vec<_> = sent.iter().map(|m| m.chat_id).collect();
    assert_eq!(chats, vec![Some(CHAT), Some(-100999), Some(-100999), Some(-100999)]);
    assert_eq!(sent[0].text, sent[1].text, "the same message is resent to the new id");
    let notice = sent[3].text.clone().unwrap_or_default();
    assert!(
        notice.contains("siêu nhóm") && notice.contains("mã nhóm mới <code>-100999</code>"),
        "{notice}"
    );
    assert!(notice.contains("tg://user?id=111"), "admins are mentioned: {notice}");
    assert!(
        !notice.contains("chat_id") && !notice.contains("[telegram]"),
        "no raw config keys: {notice}"
    );
    let rows = outbox(&office);
    assert!(
        rows.iter().all(|r| r.state == "sent" && r.chat_id == Some(-100999)),
        "{rows:?}"
    );
    assert_eq!(rows[2].key, format!("telegram_migrated:{CHAT}:-100999"));
    let doc = status(&office, &at(0));
    assert_eq!(doc["outbox"]["chats"][0]["migrated_to"], -100999);
    // Later messages go straight to the supergroup.
    office.submit_figures("cai-be", "2024-09-20T11:00:00+07:00", 10, 5);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    tick(&office, "2024-09-20T11:30:00+07:00");
    let last = fake.messages().pop().expect("message");
    assert_eq!(last.chat_id, Some(-100999));
}

#[test]
fn html_the_group_cannot_parse_is_resent_once_as_plain_text() {
    let fake = FakeTelegram::start();
    fake.script([Reply::CantParseEntities]);
    let office = office(&fake, "");
    tick(&office, T);
    let sent = fake.messages();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(sent[1].parse_mode, None);
    let plain = sent[1].text.clone().unwrap_or_default();
    assert!(plain.starts_with("⚠️ Quá hạn: Báo cáo giao ban 9 tháng"), "{plain}");
    assert!(!plain.contains("<b>"), "{plain}");
    assert_eq!(
        sent[2].parse_mode.as_deref(),
        Some("HTML"),
        "the next message is HTML again"
    );
    assert!(outbox(&office).iter().all(|r| r.state == "sent"));
}

#[test]
fn a_message_over_4096_characters_goes_out_in_parts_cut_at_line_breaks() {
    let fake = FakeTelegram::start();
    let head = OFFICE.split("[[units]]").next().expect("head");
    let tail = &OFFICE[OFFICE.find("[[reports]]").expect("reports")..];
    let names: Vec<String> = (0..70)
        .map(|i| format!("Ủy ban nhân dân xã số {i:02} thuộc huyện Tân Châu, tỉnh Tây Ninh — tổ công tác thường trực"))
        .collect();
    let mut units = String::new();
    for (i, name) in names.iter().enumerate() {
        units.push_str(&format!(
            "[[units]]\nid = \"xa-{i:02}\"\nname = \"{name}\"\n[units.source]\nkind = \"file\"\npath = \"data/{{unit}}/{{report}}-{{period}}.json\"\n\n"
        ));
    }
    let office = Office::new(&telegram_config(&format!("{head}{units}{tail}"), &fake, ""));
    tick(&office, "2024-09-19T17:00:00+07:00");
    let parts = texts(&fake);
    assert!(parts.len() >= 2, "{}", parts.len());
    let mut joined = String::new();
    for p in &parts {
        assert!(
            p.encode_utf16().count() <= 4096,
            "{} characters",
            p.encode_utf16().count()
        );
        assert_eq!(p.matches("<b>").count(), p.matches("</b>").count(), "{p}");
        joined.push_str(p);
        joined.push('\n');
    }
    // Every unit once, whole, in order.
    let mut last = 0;
    for name in &names {
        let line = format!("• {name}\n");
        assert_eq!(joined.matches(&line).count(), 1, "{name}");
        let pos = joined.find(&line).expect("listed");
        assert!(pos > last, "order");
        last = pos;
    }
    let rows = outbox(&office);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, "sent");
    assert_eq!(rows[0].message_id, Some(1001), "the row keeps its first part's id");
    let stored = query(&office, "SELECT COUNT(*) FROM telegram_messages");
    assert_eq!(stored[0].get::<i64, _>(0), parts.len() as i64);
}

#[test]
fn hostile_unit_names_reach_telegram_escaped() {
    let fake = FakeTelegram::start();
    let config = OFFICE
        .replace("Huyện Cái Bè", "<b>Tổ & Co</pre>")
        .replace("contacts = [\"@anphu\"]", "contacts = [\"@an<i>phu\"]");
    let office = Office::new(&telegram_config(&config, &fake, ""));
    tick(&office, "2024-09-19T17:00:00+07:00");
    let t = texts(&fake);
    assert_eq!(t.len(), 1);
    assert!(t[0].contains("• &lt;b&gt;Tổ &amp; Co&lt;/pre&gt;"), "{}", t[0]);
    assert!(t[0].contains("(@an&lt;i&gt;phu)"), "{}", t[0]);
    assert!(!t[0].contains("<b>Tổ") && !t[0].contains("</pre>"), "{}", t[0]);
}

#[test]
fn a_backlog_drains_at_the_allowed_rate_across_ticks() {
    let fake = FakeTelegram::start();
    let office = Office::new(&telegram_config(OFFICE, &fake, "per_chat_per_minute = 5"));
    tick(&office, "2024-09-05T09:00:00+07:00");
    let mut values = Vec::new();
    for i in 0..23 {
        values.push(format!(
            "('backlog:{i:02}', 'admin', 'Tin số {i:02}', '2024-09-05T02:00:00.000Z', '2024-09-05T02:00:00.000Z')"
        ));
    }
    query(
        &office,
        &format!(
            "INSERT INTO outbox (key, kind, text, planned_at, not_before) VALUES {}",
            values.join(", ")
        ),
    );
    let mut per_tick = Vec::new();
    let started = Instant::now();
    for minute in 0..6 {
        let before = fake.messages().len();
        let when = format!("2024-09-05T10:{minute:02}:00+07:00");
        let out = office.run_with(&["tick", "--json", "--at", &when], &[(TOKEN_ENV, TOKEN)]);
        assert!(out.status.success());
        per_tick.push(fake.messages().len() - before);
        // A minute of real time passes between the runs.
        elapse(&office, 60);
    }
    let elapsed = started.elapsed();
    assert_eq!(per_tick, vec![5, 5, 5, 5, 3, 0]);
    let t = texts(&fake);
    let expected: Vec<String> = (0..23).map(|i| format!("Tin số {i:02}")).collect();
    assert_eq!(t, expected, "in order");
    assert!(elapsed.as_secs() < 20, "no run blocks for the window: {elapsed:?}");
}

#[test]
fn send_times_in_the_future_do_not_hold_delivery() {
    let fake = FakeTelegram::start();
    let office = office(&fake, "per_chat_per_minute = 5");
    // The clock stepped back a day after five messages went out.
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let rows: Vec<String> = (0..5)
        .map(|i| format!("({}, 0, {CHAT}, {}, '{tomorrow}')", 900 + i, 5000 + i))
        .collect();
    query(
        &office,
        &format!(
            "INSERT INTO telegram_messages (outbox_id, part, chat_id, message_id, sent_at) VALUES {}",
            rows.join(", ")
        ),
    );
    tick(&office, T);
    assert_eq!(fake.messages().len(), 2, "both messages go out now");
    assert!(outbox(&office).iter().all(|r| r.state == "sent"));
    // Sends are recorded at real time, not at the `--at` instant.
    let stored = query(&office, "SELECT MAX(sent_at) FROM outbox");
    let sent_at: DateTime<Utc> = stored[0].get::<String, _>(0).parse().expect("instant");
    assert!((Utc::now() - sent_at).num_seconds().abs() < 60, "{sent_at}");
}

#[test]
fn a_missing_token_is_a_clear_start_up_error_that_names_where_it_was_looked_for() {
    let fake = FakeTelegram::start();
    let office = Office::new(&telegram_config(OFFICE, &fake, ""));
    for args in [&["tick", "--at", T][..], &["run"][..]] {
        let out = office.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(TOKEN_ENV), "{err}");
    }
    assert!(fake.requests().is_empty());

    // token_file, relative: looked up in $CREDENTIALS_DIRECTORY.
    let config = telegram_config(OFFICE, &fake, "").replace(
        &format!("token_env = \"{TOKEN_ENV}\""),
        "token_file = \"telegram-token\"",
    );
    let office = Office::new(&config);
    let creds = office.path().join("creds");
    std::fs::create_dir_all(&creds).expect("creds");
    let out = office.run_with(
        &["tick", "--at", T],
        &[("CREDENTIALS_DIRECTORY", creds.to_str().expect("utf-8"))],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("telegram-token"), "{err}");
    std::fs::write(creds.join("telegram-token"), format!("{TOKEN}\n")).expect("token file");
    let out = office.run_with(
        &["tick", "--at", "2024-09-16T08:00:00+07:00"],
        &[("CREDENTIALS_DIRECTORY", creds.to_str().expect("utf-8"))],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sent = fake.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].token, TOKEN);
}

#[test]
fn the_token_never_appears_in_logs_errors_or_the_database() {
    let fake = FakeTelegram::start();
    fake.script([
        Reply::ServerError(500),
        Reply::Stall(std::time::Duration::from_secs(3)),
        Reply::CantParseEntities,
        Reply::TooManyRequests { retry_after: 1 },
        Reply::ChatNotFound,
    ]);
    let office = office(&fake, "request_timeout = 1\nrefused_retry = 60");
    let env = [(TOKEN_ENV, TOKEN), ("RUST_LOG", "trace")];
    let mut captured = String::new();
    let mut run = |office: &Office, args: &[&str]| {
        let out = office.run_with(args, &env);
        captured.push_str(&String::from_utf8_lossy(&out.stdout));
        captured.push_str(&String::from_utf8_lossy(&out.stderr));
    };
    for s in [0, 60, 180, 400, 700, 800, 1000] {
        run(&office, &["tick", "--at", &at(s)]);
        run(&office, &["status", "--json", "--at", &at(s)]);
    }
    run(&office, &["check"]);
    // A server that is not there: the error names the URL, which holds the token.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    // A second office of its own (on PostgreSQL: a database of its own).
    let config = std::fs::read_to_string(&office.config)
        .expect("config")
        .replace(&fake.url, &format!("http://127.0.0.1:{port}"))
        .replace(
            &format!("url = \"{}\"", office.storage_url()),
            r#"url = "sqlite://state/giaoban.db""#,
        );
    let unreachable = Office::new(&config);
    run(&unreachable, &["tick", "--at", "2024-09-16T08:00:00+07:00"]);
    run(&unreachable, &["status", "--at", "2024-09-16T08:00:00+07:00"]);
    assert!(captured.contains("will retry"), "the faults were logged:\n{captured}");
    for secret in ["SECRET-TOKEN", "123456:SECRET", "123456%3ASECRET"] {
        assert!(!captured.contains(secret), "token leaked in the output:\n{captured}");
    }
    for o in [&office, &unreachable] {
        for row in query(
            o,
            "SELECT COALESCE(last_error, '') FROM outbox UNION ALL SELECT COALESCE(held_reason, '') FROM telegram_chats",
        ) {
            let text: String = row.get(0);
            assert!(!text.contains("SECRET"), "token stored: {text}");
        }
    }
}

#[test]
fn the_daemon_posts_through_telegram_when_it_is_configured() {
    use std::io::{BufRead, BufReader};
    let fake = FakeTelegram::start();
    let office = Office::new(&telegram_config(OFFICE, &fake, ""));
    // A queued message from before the start, delivered by the catch-up tick.
    tick(&office, "2024-09-05T09:00:00+07:00");
    query(
        &office,
        "INSERT INTO outbox (key, kind, text, planned_at, not_before)
         VALUES ('queued-before-start', 'admin', '<b>Tin</b> chờ gửi', '2024-09-05T02:00:00.000Z', '2024-09-05T02:00:00.000Z')",
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_giaoban"))
        .arg("--config")
        .arg(&office.config)
        .arg("run")
        .env(TOKEN_ENV, TOKEN)
        .env("RUST_LOG", "info")
        .env_remove("STATE_DIRECTORY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start giaoban run");
    let stderr = child.stderr.take().expect("stderr");
    let mut seen = Vec::new();
    // Ready first, then the courier task delivers the row and the catch-up
    // pass runs in the background.
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        let caught_up = line.contains("catch-up pass done");
        seen.push(line);
        if caught_up {
            break;
        }
    }
    // Until the row is marked sent (the message reaches the fake a moment before).
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while Instant::now() < deadline && outbox(&office).first().is_none_or(|r| r.state != "sent") {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(seen.iter().any(|l| l.contains("giaoban is running")), "{seen:?}");
    assert!(
        !seen.iter().any(|l| l.contains("console")),
        "no console fallback: {seen:?}"
    );
    let sent = fake.messages();
    assert_eq!(sent.len(), 1, "{seen:?}");
    assert_eq!(sent[0].text.as_deref(), Some("<b>Tin</b> chờ gửi"));
    assert_eq!(outbox(&office)[0].state, "sent");
}

#[test]
fn a_summary_reaches_the_group_with_its_spreadsheet_and_chart() {
    let fake = FakeTelegram::start();
    let config = telegram_config(OFFICE, &fake, "thread_id = 7")
        .replace("summary_when_complete = false", "summary_when_complete = true");
    let office = Office::new(&config);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // The grace ends: the late alert, then the summary with its two files.
    tick(&office, "2024-09-19T17:00:00+07:00");
    let requests: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| ["sendmessage", "senddocument", "sendphoto"].contains(&r.method.as_str()))
        .collect();
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        methods,
        ["sendmessage", "sendmessage", "senddocument", "sendphoto"],
        "{requests:?}"
    );
    assert!(
        requests[1]
            .text
            .as_deref()
            .is_some_and(|t| t.starts_with("📊 <b>Tổng hợp</b>"))
    );
    assert_eq!(requests[2].file_name.as_deref(), Some("tong-hop-9m-2024-9M.xlsx"));
    assert_eq!(requests[3].file_name.as_deref(), Some("bieu-do-9m-2024-9M.png"));
    for r in &requests[2..] {
        assert_eq!(r.chat_id, Some(CHAT));
        assert_eq!(r.message_thread_id, Some(7));
    }
    // Delivered once: the next tick sends nothing more.
    tick(&office, "2024-09-19T17:05:00+07:00");
    assert_eq!(
        fake.requests().iter().filter(|r| r.method.starts_with("send")).count(),
        4
    );
}

#[test]
fn admin_notices_go_to_the_admins_chat_when_one_is_set() {
    let fake = FakeTelegram::start();
    fake.script([Reply::Migrate { to: -100999 }]);
    let office = office(&fake, "admins = [111]\nadmin_chat_id = 555\nthread_id = 7");
    tick(&office, T);
    let sent = fake.messages();
    let notice = sent
        .iter()
        .find(|m| m.text.as_deref().unwrap_or_default().contains("siêu nhóm"))
        .expect("the migration notice");
    assert_eq!(notice.chat_id, Some(555), "to the admins' chat");
    assert_eq!(notice.message_thread_id, None, "the group's topic is not used there");
    let group: Vec<_> = sent.iter().filter(|m| m.chat_id == Some(-100999)).collect();
    assert_eq!(group.len(), 2, "the group gets its own messages only: {sent:?}");
    assert!(group.iter().all(|m| m.message_thread_id == Some(7)));
}

#[test]
fn a_two_hour_outage_of_5xx_loses_nothing_and_delivery_resumes_in_order() {
    let fake = FakeTelegram::start();
    fake.otherwise(Reply::ServerError(503));
    let office = office(&fake, "request_timeout = 1");
    tick(&office, T);
    // Two hours of simulated time, a tick every ten minutes: each due retry
    // meets the outage again; nothing overtakes the first row, nothing is
    // given up.
    for i in 1..=12 {
        elapse(&office, 600);
        tick(&office, &at(600 * i));
        let rows = outbox(&office);
        assert!(
            rows.iter().all(|r| r.state == "pending"),
            "still owed at {}0 min: {rows:?}",
            i
        );
    }
    let tries = fake.messages().len();
    assert!(tries >= 5, "retried through the outage: {tries} tries");
    let first = outbox(&office)[0].attempts;
    assert!(first >= 5, "the first row was retried {first} times");
    assert!(
        fake.messages()
            .iter()
            .all(|m| m.text.as_deref().is_some_and(|t| t.contains(LATE))),
        "the later row never went before the first"
    );
    fake.otherwise(Reply::Ok);
    elapse(&office, 7200);
    tick(&office, &at(7200 + 60));
    let after: Vec<String> = texts(&fake)[tries..].to_vec();
    assert_eq!(after.len(), 2, "each once after the outage: {after:?}");
    assert!(after[0].contains(LATE) && after[1].contains(RECEIVED_LATE), "{after:?}");
    assert!(outbox(&office).iter().all(|r| r.state == "sent"));
}
