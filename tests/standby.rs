//! An active/standby pair on one PostgreSQL database, with real processes:
//! exactly one `giaoban run` is active (it holds the advisory lock and
//! delivers); the other answers `/healthz` as standby and takes over within
//! 30 s when the active one is killed mid-backlog, sending nothing twice
//! beyond the one message in flight. PostgreSQL only: it runs in the
//! PostgreSQL half of the tests (tests/postgres.rs).

mod support;

use std::time::{Duration, Instant};

use sqlx::Row;
use support::daemon::{Daemon, free_port, healthz, wait_health};
use support::telegram::FakeTelegram;
use support::{OFFICE, Office};

const TOKEN: &str = "123456:SECRET-TOKEN-abc";
const TOKEN_ENV: &str = "GIAOBAN_TEST_TOKEN";
const CHAT: i64 = -100123;

fn config(fake: &FakeTelegram, port: u16) -> String {
    let base = OFFICE.replace(r#"tick = "0 * * * * *""#, r#"tick = "0 0 3 * * *""#);
    format!(
        "{base}\n[telegram]\ntoken_env = \"{TOKEN_ENV}\"\napi_url = \"{}\"\nchat_id = {CHAT}\nrequest_timeout = 5\n\
         per_chat_per_minute = 1000\nper_second = 100\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n",
        fake.url
    )
}

/// The config of a second instance of `office`: the same database, its own
/// listener on `port_b`.
fn second_instance(office: &Office, port_a: u16, port_b: u16) -> std::path::PathBuf {
    let text = std::fs::read_to_string(&office.config).expect("config");
    let path = office.path().join("b.toml");
    std::fs::write(&path, text.replace(&format!(":{port_a}\""), &format!(":{port_b}\""))).expect("config b");
    path
}

fn sent(office: &Office) -> i64 {
    office.sql("SELECT COUNT(*) FROM outbox WHERE state = 'sent'")[0].get::<i64, _>(0)
}

#[test]
fn the_standby_takes_over_within_30_s_when_the_active_one_is_killed_and_sends_nothing_twice() {
    let Some(_) = support::postgres() else {
        eprintln!("skipped on SQLite: an active/standby pair needs PostgreSQL (tests/postgres.rs runs it)");
        return;
    };
    let fake = FakeTelegram::start();
    fake.slow(Duration::from_millis(120));
    let (port_a, port_b) = (free_port(), free_port());
    let office = Office::new(&config(&fake, port_a));
    assert!(office.pg.is_some(), "the office is on PostgreSQL");
    // Both instances share the database; each has its own listener.
    let config_b = second_instance(&office, port_a, port_b);
    let out = office.run_with(&["tick", "--at", "2024-01-05T09:00:00+07:00"], &[(TOKEN_ENV, TOKEN)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    const N: usize = 80;
    office.queue_messages(N);

    let mut a = Daemon::start(&office, &[(TOKEN_ENV, TOKEN)]);
    wait_health(port_a, "A active", |h| h["role"] == "active");
    let mut b = Daemon::start_config(&config_b, &[(TOKEN_ENV, TOKEN)]);
    let standby = wait_health(port_b, "B standby", |h| h["role"] == "standby");
    assert_eq!(standby["healthy"], true, "a standby is healthy: {standby}");
    assert_eq!(
        standby["scheduler"]["jobs"].as_array().map(Vec::len),
        Some(0),
        "the standby runs no scheduler: {standby}"
    );
    b.wait_log("standby: another instance is active");
    let (code, h) = healthz(port_a);
    assert_eq!((code, &h["role"]), (200, &serde_json::json!("active")), "{h}");

    // Kill -9 the active one mid-backlog.
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.messages().len() < 15 {
        assert!(Instant::now() < deadline, "the active instance delivers");
        std::thread::sleep(Duration::from_millis(20));
    }
    a.child.kill().expect("kill -9 the active instance");
    let _ = a.child.wait();
    let killed = Instant::now();
    let before = fake.messages().len();
    assert!(before < N, "killed mid-backlog ({before} of {N} sent)");

    let took = wait_health(port_b, "B active", |h| h["role"] == "active");
    let takeover = killed.elapsed();
    eprintln!("takeover after {takeover:?}");
    assert!(takeover < Duration::from_secs(30), "took over in {takeover:?}");
    assert_eq!(took["healthy"], true, "{took}");
    b.wait_log("active: this instance holds the lock");

    let deadline = Instant::now() + Duration::from_secs(60);
    while sent(&office) < N as i64 {
        assert!(
            Instant::now() < deadline,
            "the new active instance delivers the rest ({} of {N})",
            sent(&office)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for m in fake.messages() {
        *counts.entry(m.text.unwrap_or_default()).or_default() += 1;
    }
    for i in 0..N {
        assert!(counts.contains_key(&format!("Tin số {i:03}")), "message {i} lost");
    }
    let duplicates: usize = counts.values().map(|c| c - 1).sum();
    assert!(
        duplicates <= 1,
        "{duplicates} messages sent twice (at most the one in flight)"
    );
    b.stop();
}

#[test]
fn a_clean_stop_of_the_active_instance_hands_over_at_once() {
    let Some(_) = support::postgres() else {
        eprintln!("skipped on SQLite: an active/standby pair needs PostgreSQL (tests/postgres.rs runs it)");
        return;
    };
    let fake = FakeTelegram::start();
    let (port_a, port_b) = (free_port(), free_port());
    let office = Office::new(&config(&fake, port_a));
    let config_b = second_instance(&office, port_a, port_b);
    let mut a = Daemon::start(&office, &[(TOKEN_ENV, TOKEN)]);
    wait_health(port_a, "A active", |h| h["role"] == "active");
    let mut b = Daemon::start_config(&config_b, &[(TOKEN_ENV, TOKEN)]);
    wait_health(port_b, "B standby", |h| h["role"] == "standby");
    // One-shot verbs work beside the pair.
    let status = office.run_with(&["status", "--json"], &[(TOKEN_ENV, TOKEN)]);
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let stopped = Instant::now();
    a.stop();
    wait_health(port_b, "B active", |h| h["role"] == "active");
    assert!(
        stopped.elapsed() < Duration::from_secs(10),
        "a released lock is taken within a few seconds ({:?})",
        stopped.elapsed()
    );
    b.stop();
}

/// A PostgreSQL server of the test's own (the shared one cannot be stopped).
struct OwnServer {
    dir: tempfile::TempDir,
    url: String,
}

impl OwnServer {
    fn script(&self, action: &str) {
        let ok = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-test-server"))
            .args([action, self.dir.path().to_str().expect("utf-8")])
            .status()
            .expect("run scripts/pg-test-server");
        assert!(ok.success(), "pg-test-server {action}");
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.script("stop");
    }
}

#[test]
fn losing_the_database_makes_the_active_instance_stand_by_and_it_heals_without_a_restart() {
    if support::postgres().is_none() {
        eprintln!("skipped on SQLite: needs PostgreSQL (tests/postgres.rs runs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-test-server"))
        .args(["start", dir.path().to_str().expect("utf-8")])
        .output()
        .expect("start a server");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let server = OwnServer {
        dir,
        url: String::from_utf8_lossy(&out.stdout).trim().to_string(),
    };
    support::pg_admin(&server.url, "CREATE DATABASE office");
    let db = support::pg_database_url(&server.url, "office");
    let fake = FakeTelegram::start();
    let port = free_port();
    let office =
        Office::new(&config(&fake, port).replace(r#"url = "sqlite://state/giaoban.db""#, &format!("url = \"{db}\"")));
    let mut daemon = Daemon::start(&office, &[(TOKEN_ENV, TOKEN)]);
    wait_health(port, "active and healthy", |h| {
        h["role"] == "active" && h["healthy"] == true
    });

    // A message queued now waits for the courier's next pass (nothing wakes it).
    support::pg_admin(
        &db,
        "INSERT INTO outbox (key, kind, text, planned_at, not_before)
         VALUES ('while-away', 'admin', 'Tin gửi sau khi cơ sở dữ liệu trở lại', '2024-09-05T02:00:00.000Z', '2024-09-05T02:00:00.000Z')",
    );
    server.script("pause");
    let down = wait_health(port, "the database unreachable", |h| {
        h["healthy"] == false && h["database"]["reachable"] == false
    });
    assert!(down["database"]["error"].is_string(), "{down}");
    daemon.wait_log("lost the active role");
    wait_health(port, "standing by while the database is away", |h| {
        h["role"] == "standby"
    });
    assert!(fake.messages().is_empty(), "nothing was sent before the outage");

    server.script("resume");
    let back = wait_health(port, "active and healthy again", |h| {
        h["role"] == "active" && h["healthy"] == true
    });
    assert_eq!(back["database"]["writable"], true, "{back}");
    assert!(back["database"]["last_write_error"].is_null(), "{back}");
    // The same process delivers again: no restart.
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.messages().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the queued message is delivered after the database is back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        fake.messages()[0].text.as_deref(),
        Some("Tin gửi sau khi cơ sở dữ liệu trở lại")
    );
    assert!(daemon.stop().success());
}
