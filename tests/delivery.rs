//! Delivery you can trust, through the real binary: claimed rows shared by
//! several processes, the daemon's courier task, notices that stop being
//! news, re-rendered alerts, one summary per firing, kills mid-send, and a
//! write fault that heals without a restart.

mod support;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Row;
use support::daemon::{Daemon, free_port, healthz, wait_health};
use support::telegram::{FakeTelegram, Reply};
use support::{OFFICE, Office};

const TOKEN: &str = "123456:SECRET-TOKEN-abc";
const TOKEN_ENV: &str = "GIAOBAN_TEST_TOKEN";
const CHAT: i64 = -100123;

/// The test office on a fake Telegram, with a daily tick at 03:00 (so no
/// scheduled tick fires while a daemon test runs) and `extra` keys in
/// `[telegram]`.
fn on_telegram(fake: &FakeTelegram, extra: &str) -> Office {
    let base = OFFICE.replace(r#"tick = "0 * * * * *""#, r#"tick = "0 0 3 * * *""#);
    Office::new(&format!(
        "{base}\n[telegram]\ntoken_env = \"{TOKEN_ENV}\"\napi_url = \"{}\"\nchat_id = {CHAT}\nrequest_timeout = 5\n{extra}\n",
        fake.url
    ))
}

/// Creates the database (a tick long before any deadline queues nothing).
fn migrate(office: &Office) {
    let out = office.run_with(&["tick", "--at", "2024-01-05T09:00:00+07:00"], &[(TOKEN_ENV, TOKEN)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn deliver_command(office: &Office) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_giaoban"));
    cmd.arg("--config")
        .arg(&office.config)
        .arg("deliver")
        .env(TOKEN_ENV, TOKEN)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// How often each text reached the group.
fn counts(fake: &FakeTelegram) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in fake.messages() {
        *counts.entry(m.text.unwrap_or_default()).or_default() += 1;
    }
    counts
}

fn states(office: &Office) -> Vec<String> {
    office
        .sql("SELECT state FROM outbox ORDER BY id")
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect()
}

#[test]
fn two_deliver_processes_at_once_send_every_message_exactly_once_and_in_order() {
    let fake = FakeTelegram::start();
    fake.slow(Duration::from_millis(150));
    let office = on_telegram(&fake, "per_chat_per_minute = 1000\nper_second = 100");
    migrate(&office);
    office.queue_messages(12);
    let a = deliver_command(&office).spawn().expect("first deliver");
    let b = deliver_command(&office).spawn().expect("second deliver");
    for child in [a, b] {
        let out = child.wait_with_output().expect("deliver");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let texts: Vec<String> = fake
        .messages()
        .into_iter()
        .map(|m| m.text.unwrap_or_default())
        .collect();
    let expected: Vec<String> = (0..12).map(|i| format!("Tin số {i:03}")).collect();
    assert_eq!(texts, expected, "each message once, in order");
    assert!(states(&office).iter().all(|s| s == "sent"));
    let claims = office.sql("SELECT COUNT(*) FROM outbox WHERE claimed_by IS NOT NULL");
    assert_eq!(claims[0].get::<i64, _>(0), 0, "every claim is released");
}

#[test]
fn the_daemon_retries_a_429_of_three_seconds_within_a_few_seconds() {
    let fake = FakeTelegram::start();
    fake.script([Reply::TooManyRequests { retry_after: 3 }]);
    let office = on_telegram(&fake, "");
    migrate(&office);
    office.queue_messages(2);
    let mut daemon = Daemon::start(&office, &[(TOKEN_ENV, TOKEN)]);
    daemon.wait_log("giaoban is running");
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.messages().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = fake.messages();
    assert_eq!(sent.len(), 3, "the refused one, then both: {sent:?}");
    let waited = sent[1].at.duration_since(sent[0].at);
    assert!(
        waited >= Duration::from_secs(3) && waited < Duration::from_secs(6),
        "retried {waited:?} after the 429, not at the next tick"
    );
    assert_eq!(sent[1].text, sent[0].text, "the same row first");
    assert_eq!(sent[2].text.as_deref(), Some("Tin số 001"));
    assert!(daemon.stop().success());
}

#[test]
fn a_backlog_drains_at_the_configured_rate_without_provoking_a_429() {
    let fake = FakeTelegram::start();
    fake.enforce(1000, 10);
    let office = on_telegram(&fake, "per_chat_per_minute = 1000\nper_second = 10");
    migrate(&office);
    office.queue_messages(35);
    let started = Instant::now();
    let out = deliver_command(&office).output().expect("deliver");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let elapsed = started.elapsed();
    let sent = fake.messages();
    assert_eq!(sent.len(), 35, "all in one run: {elapsed:?}");
    assert_eq!(fake.refused(), 0, "the limits were never exceeded");
    // After the first second's burst, one message per slot: 25 more in ~2.5 s.
    let steady = sent[34].at.duration_since(sent[10].at).as_secs_f64();
    let rate = 24.0 / steady;
    assert!(rate >= 9.0, "{rate:.1} messages/s of 10 allowed");
}

#[test]
fn a_reminder_held_past_its_deadline_is_expired_not_sent() {
    // Due at 07:00; the 12-hour reminder falls at 19:00 the evening before,
    // outside working hours, and would be held to 07:30: after the deadline.
    let config = OFFICE
        .replace(
            r#"due = { day = 18, time = "17:00" }"#,
            r#"due = { day = 18, time = "07:00" }"#,
        )
        .replace(r#"remind_before = ["3d", "1d"]"#, r#"remind_before = ["12h"]"#);
    let office = Office::new(&config);
    let queued = office.tick("2024-09-17T19:05:00+07:00");
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].0, "reminder");
    let doc = office.json(&["tick", "--at", "2024-09-18T07:30:00+07:00"]);
    assert_eq!(doc["delivered"]["sent"], 0, "{doc}");
    assert_eq!(doc["delivered"]["expired"], 1, "{doc}");
    assert_eq!(states(&office), vec!["expired"]);
    let status = office.json(&[
        "status",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-18T08:00:00+07:00",
    ]);
    assert_eq!(
        status["outbox"]["expired"], 1,
        "visible in status: {}",
        status["outbox"]
    );
}

#[test]
fn a_late_alert_held_overnight_names_only_the_units_still_owing() {
    let fake = FakeTelegram::start();
    let office = on_telegram(&fake, "");
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // 17:30 on the day grace ends: the late alert is planned and held to 07:30.
    let tick = |at: &str| {
        let out = office.run_with(&["tick", "--json", "--at", at], &[(TOKEN_ENV, TOKEN)]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    let doc = tick("2024-09-19T17:30:00+07:00");
    assert_eq!(doc["queued"][0]["kind"], "late", "{doc}");
    assert_eq!(doc["queued"][0]["units"], serde_json::json!(["binh-minh", "cai-be"]));
    assert!(fake.messages().is_empty(), "held overnight");
    // Bình Minh sends at 06:00; the alert goes out at 07:30 about Cái Bè alone.
    office.submit_figures("binh-minh", "2024-09-20T06:00:00+07:00", 50, 40);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    tick("2024-09-20T07:30:00+07:00");
    let texts: Vec<String> = fake
        .messages()
        .into_iter()
        .map(|m| m.text.unwrap_or_default())
        .collect();
    let late = texts.iter().find(|t| t.contains("Quá hạn")).expect("the late alert");
    assert!(late.contains("Huyện Cái Bè"), "{late}");
    assert!(!late.contains("Huyện Bình Minh"), "{late}");
    let units = office.sql("SELECT units FROM outbox WHERE kind = 'late'");
    assert_eq!(units[0].get::<String, _>(0), r#"["cai-be"]"#);
}

#[test]
fn a_late_alert_whose_units_have_all_sent_is_dropped() {
    let office = Office::new(OFFICE);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let queued = office.tick("2024-09-19T17:30:00+07:00");
    assert!(queued.iter().any(|q| q.0 == "late"), "{queued:?}");
    office.submit_figures("binh-minh", "2024-09-20T06:00:00+07:00", 50, 40);
    office.submit_figures("cai-be", "2024-09-20T06:10:00+07:00", 60, 50);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let doc = office.json(&["tick", "--at", "2024-09-20T07:30:00+07:00"]);
    assert_eq!(doc["delivered"]["dropped"], 1, "{doc}");
    let late = office.sql("SELECT state FROM outbox WHERE kind = 'late'");
    assert_eq!(late[0].get::<String, _>(0), "dropped");
}

#[test]
fn a_first_tick_on_a_monday_after_the_grace_queues_one_summary() {
    let config = OFFICE.replace(
        r#"collect = "0 0 */2 * * *""#,
        "collect = \"0 0 */2 * * *\"\nsummary = \"0 0 8 * * Mon\"",
    );
    let office = Office::new(&config);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // Grace ended Thursday 19/09 17:00; the first tick is Monday 23/09 08:30,
    // after the weekly firing at 08:00.
    let queued = office.tick("2024-09-23T08:30:00+07:00");
    let summaries: Vec<_> = queued.iter().filter(|q| q.0 == "summary").collect();
    assert_eq!(summaries.len(), 1, "{queued:?}");
    assert_eq!(summaries[0].1, "summary:9m:2024-9M:final");
    let again = office.tick("2024-09-23T09:30:00+07:00");
    assert!(
        again.iter().all(|q| q.0 != "summary"),
        "the firing is covered: {again:?}"
    );
    // The next week's firing is a new summary.
    let next = office.tick("2024-09-30T08:30:00+07:00");
    assert_eq!(
        next.iter()
            .filter(|q| q.0 == "summary")
            .map(|q| q.1.as_str())
            .collect::<Vec<_>>(),
        vec!["summary:9m:2024-9M:2024-09-30T08:00"]
    );
}

#[test]
fn killing_deliver_mid_send_loses_nothing_and_repeats_at_most_one_message_per_kill() {
    let fake = FakeTelegram::start();
    fake.slow(Duration::from_millis(60));
    let office = on_telegram(&fake, "per_chat_per_minute = 1000\nper_second = 100");
    migrate(&office);
    const N: usize = 40;
    office.queue_messages(N);
    let mut kills = 0;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..25 {
        if states(&office).iter().all(|s| s == "sent") {
            break;
        }
        let mut child = deliver_command(&office).spawn().expect("deliver");
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(40 + seed % 250));
        if child.try_wait().expect("wait").is_none() {
            let _ = child.kill();
            kills += 1;
        }
        let _ = child.wait();
    }
    let out = deliver_command(&office).output().expect("last deliver");
    assert!(out.status.success());
    let counts = counts(&fake);
    let duplicates: usize = counts.values().map(|c| c - 1).sum();
    eprintln!("{N} messages, {kills} kills, {duplicates} duplicates");
    assert!(kills >= 5, "the test killed mid-delivery ({kills} kills)");
    for i in 0..N {
        assert!(
            counts.contains_key(&format!("Tin số {i:03}")),
            "message {i} lost: {counts:?}"
        );
    }
    assert!(duplicates <= kills, "{duplicates} duplicates after {kills} kills");
    assert!(states(&office).iter().all(|s| s == "sent"));
}

/// `chattr` works only as root on a filesystem that supports it.
fn can_make_immutable(office: &Office) -> bool {
    let probe = office.path().join("probe");
    std::fs::write(&probe, "x").expect("probe");
    let ok = Command::new("chattr")
        .arg("+i")
        .arg(&probe)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        let _ = Command::new("chattr").arg("-i").arg(&probe).status();
    }
    ok
}

/// Files made immutable (`chattr +i`) until dropped, also when a test fails.
struct Immutable(Vec<std::path::PathBuf>);

impl Immutable {
    fn set(files: &[std::path::PathBuf]) -> Immutable {
        chattr("+i", files);
        Immutable(files.to_vec())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for f in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(f).status();
        }
    }
}

fn chattr(flag: &str, files: &[std::path::PathBuf]) {
    for f in files {
        if f.exists() {
            let ok = Command::new("chattr").arg(flag).arg(f).status().expect("chattr");
            assert!(ok.success(), "chattr {flag} {}", f.display());
        }
    }
}

#[test]
fn a_database_that_cannot_be_written_heals_without_a_restart() {
    if support::sqlite_only("the SQLite file made read-only") {
        return;
    }
    let port = free_port();
    let config = OFFICE.replace(r#"tick = "0 * * * * *""#, r#"tick = "* * * * * *""#);
    let office = Office::new(&format!("{config}\n[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    if !can_make_immutable(&office) {
        eprintln!("skipped: making the database read-only needs chattr as root");
        return;
    }
    // systemd's watchdog at 400 ms: fed every 200 ms while writes work.
    let socket_path = office.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).expect("notify socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let socket_env = socket_path.display().to_string();
    let env = [("NOTIFY_SOCKET", socket_env.as_str()), ("WATCHDOG_USEC", "400000")];
    let mut daemon = Daemon::start(&office, &env);
    daemon.wait_log("giaoban is running");
    wait_health(port, "a healthy start", |d| d["healthy"] == true);
    let feeds = |within: Duration| {
        let until = Instant::now() + within;
        let mut buf = [0u8; 512];
        let mut n = 0;
        while Instant::now() < until {
            if let Ok(len) = socket.recv(&mut buf) {
                n += String::from_utf8_lossy(&buf[..len]).matches("WATCHDOG=1").count();
            }
        }
        n
    };
    assert!(
        feeds(Duration::from_secs(1)) >= 2,
        "the watchdog is fed while writes work"
    );
    let db = office.db();
    let files = vec![db.clone(), db.with_extension("db-wal")];
    let immutable = Immutable::set(&files);
    let sick = wait_health(port, "the write error", |d| {
        d["database"]["writable"] == false && d["database"]["last_write_error"]["error"].is_string()
    });
    assert_eq!(sick["healthy"], false, "{sick}");
    daemon.wait_log("tick failed");
    feeds(Duration::from_millis(300));
    assert_eq!(
        feeds(Duration::from_millis(1500)),
        0,
        "a daemon that cannot write is not kept alive"
    );
    drop(immutable);
    assert!(feeds(Duration::from_secs(3)) >= 1, "fed again once writes work");
    let well = wait_health(port, "the write path back", |d| {
        d["healthy"] == true && d["database"]["last_write_error"].is_null()
    });
    assert_eq!(well["database"]["writable"], true);
    // Ticks work again: the last tick is recent.
    let tick_age = |d: &serde_json::Value| d["last_tick"]["age_seconds"].as_i64().unwrap_or(i64::MAX);
    wait_health(port, "a tick after the fault", |d| tick_age(d) <= 2);
    let (code, _) = healthz(port);
    assert_eq!(code, 200);
    assert!(
        !daemon.log.iter().any(|l| l.contains("non-zero transaction depth")),
        "{:?}",
        daemon.log
    );
    assert!(daemon.stop().success());
}

#[test]
fn an_alert_queued_after_a_summary_goes_to_the_chat_before_it() {
    let fake = FakeTelegram::start();
    let office = on_telegram(&fake, "");
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let tick = |at: &str| {
        let out = office.run_with(&["tick", "--json", "--at", at], &[(TOKEN_ENV, TOKEN)]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    // 17:30 on the day grace ends: the late alert and the summary are
    // planned and held to 07:30.
    let doc = tick("2024-09-19T17:30:00+07:00");
    let kinds: Vec<&str> = doc["queued"]
        .as_array()
        .expect("queued")
        .iter()
        .filter_map(|q| q["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"summary"), "{doc}");
    assert!(fake.messages().is_empty(), "held overnight");
    // Bình Minh sends late at 06:00: its notice is queued after the summary,
    // and still reaches the chat before it.
    office.submit_figures("binh-minh", "2024-09-20T06:00:00+07:00", 50, 40);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    tick("2024-09-20T07:30:00+07:00");
    let kinds: Vec<String> = office
        .sql("SELECT kind FROM outbox WHERE state = 'sent' ORDER BY sent_at, id")
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    let texts: Vec<String> = fake
        .messages()
        .into_iter()
        .map(|m| m.text.unwrap_or_default())
        .collect();
    let summary_at = texts.iter().position(|t| t.contains("Tổng hợp")).expect("the summary");
    let first_bulk = texts.iter().position(|t| t.contains("Tổng hợp") || t.starts_with("📋"));
    assert_eq!(first_bulk, Some(summary_at));
    assert!(
        texts[summary_at..]
            .iter()
            .all(|t| t.contains("Tổng hợp") || !t.contains("Bình Minh")),
        "every alert before the summary: {kinds:?}\n{texts:#?}"
    );
    assert!(
        texts[..summary_at].iter().any(|t| t.contains("Bình Minh")),
        "{kinds:?}\n{texts:#?}"
    );
}
