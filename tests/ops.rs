//! Operations, through the real binary as systemd and an operator drive it:
//! readiness and the watchdog on a test NOTIFY_SOCKET, SIGHUP reloads (good
//! and broken), SIGTERM while a collection runs, /healthz and /metrics, the
//! heartbeat, and `giaoban backup`.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use support::daemon::{Daemon, WAIT, free_port, get, healthz, wait_health};
use support::{OFFICE, Office};

/// The office of the other tests, with a daily tick at 03:00 (so no tick fires
/// during a test), the health listener on `port` and `extra` appended.
fn ops_config(port: u16, extra: &str) -> String {
    let text = OFFICE.replace(r#"tick = "0 * * * * *""#, r#"tick = "0 0 3 * * *""#);
    format!("{text}\n[http]\nlisten = \"127.0.0.1:{port}\"\n{extra}\n")
}

/// The next firing of job `name` as /healthz reports it (local time). The
/// scheduler registers a job's next tick asynchronously after it is added, so
/// this polls (bounded) until it is known.
fn next_firing(port: u16, name: &str) -> String {
    next_firing_where(port, name, |_| true)
}

/// Like [`next_firing`], waiting (bounded) until the firing satisfies `pred`:
/// after a reload the scheduler may still hold the old job for a moment.
fn next_firing_where(port: u16, name: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, doc) = healthz(port);
        let next = doc["scheduler"]["jobs"]
            .as_array()
            .and_then(|jobs| jobs.iter().find(|j| j["job"] == name))
            .and_then(|j| j["next_local"].as_str())
            .map(str::to_string);
        match next {
            Some(n) if pred(&n) => return n,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => panic!("no matching next firing of {name} in {doc}"),
        }
    }
}

fn notify_socket(dir: &Path) -> (UnixDatagram, String) {
    let path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&path).expect("bind the notify socket");
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    (sock, path.display().to_string())
}

/// Waits for a datagram on the notify socket containing `needle`.
fn wait_notify(sock: &UnixDatagram, needle: &str, seen: &mut Vec<String>) {
    let deadline = Instant::now() + WAIT;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        if let Ok(n) = sock.recv(&mut buf) {
            let msg = String::from_utf8_lossy(&buf[..n]).to_string();
            seen.push(msg.clone());
            if msg.lines().any(|l| l == needle) {
                return;
            }
        }
    }
    panic!("no {needle} on NOTIFY_SOCKET within {WAIT:?}: {seen:?}");
}

#[test]
fn the_daemon_tells_systemd_it_is_ready_feeds_the_watchdog_and_stops_with_exit_0() {
    let office = Office::new(&ops_config(free_port(), ""));
    let (sock, path) = notify_socket(office.path());
    let mut daemon = Daemon::start(&office, &[("NOTIFY_SOCKET", &path), ("WATCHDOG_USEC", "1000000")]);
    let mut seen = Vec::new();
    wait_notify(&sock, "READY=1", &mut seen);
    assert!(
        office.pg.is_some() || office.path().join("state/giaoban.db").exists(),
        "ready only once the database exists"
    );
    // Fed at half the interval, after a database ping.
    wait_notify(&sock, "WATCHDOG=1", &mut seen);
    wait_notify(&sock, "WATCHDOG=1", &mut seen);
    let code = daemon.stop();
    assert!(
        code.success(),
        "SIGTERM exits 0, got {code}:\n{}",
        daemon.log.join("\n")
    );
    wait_notify(&sock, "STOPPING=1", &mut seen);
}

#[test]
fn sighup_with_a_changed_cron_moves_the_next_firing_without_a_restart() {
    let port = free_port();
    let office = Office::new(&ops_config(port, ""));
    let mut daemon = Daemon::start(&office, &[]);
    daemon.wait_log("giaoban is running");
    let before = next_firing(port, "tick");
    assert!(before.contains("T03:00:00+07:00"), "{before}");
    let scheduled = daemon
        .log
        .iter()
        .find(|l| l.contains("scheduled") && l.contains("job=tick"));
    assert!(
        scheduled.is_some_and(|l| l.contains("T03:00:00+07:00")),
        "the log names the next firings: {:?}",
        daemon.log
    );

    let text = std::fs::read_to_string(&office.config).expect("config");
    std::fs::write(
        &office.config,
        text.replace(r#"tick = "0 0 3 * * *""#, r#"tick = "0 30 4 * * *""#),
    )
    .expect("write config");
    daemon.signal("HUP");
    daemon.wait_log("config reloaded");
    let after = next_firing_where(port, "tick", |n| n.contains("T04:30:00+07:00"));
    assert!(after.contains("T04:30:00+07:00"), "{after}");
    assert!(
        daemon.child.try_wait().expect("wait").is_none(),
        "still the same process"
    );
    let code = daemon.stop();
    assert!(code.success(), "{code}");
}

#[test]
fn sighup_with_a_broken_config_keeps_the_old_schedule_and_tells_the_admins_once() {
    let port = free_port();
    let office = Office::new(&ops_config(port, ""));
    let mut daemon = Daemon::start(&office, &[]);
    daemon.wait_log("giaoban is running");
    let before = next_firing(port, "tick");

    let text = std::fs::read_to_string(&office.config).expect("config");
    let broken = text
        .replace(r#"tick = "0 0 3 * * *""#, r#"tick = "0 30 4 * * *""#)
        .replace("[schedule]", "[schedule]\ntik = \"0 0 5 * * *\"");
    std::fs::write(&office.config, broken).expect("write config");
    daemon.signal("HUP");
    let line = daemon.wait_log("config reload refused");
    assert!(line.contains("tik"), "the log names the key: {line}");
    assert!(line.contains("giaoban.toml"), "the log names the file: {line}");
    daemon.wait_out("Cấu hình mới chưa được áp dụng");
    daemon.wait_out("giaoban check");
    assert!(
        !daemon.out.iter().any(|l| l.contains("tik") || l.contains("schedule")),
        "the chat gets no raw config keys: {:?}",
        daemon.out
    );
    assert_eq!(next_firing(port, "tick"), before, "the old schedule stays");

    // The same broken file again: refused again, not announced again.
    daemon.signal("HUP");
    daemon.wait_log("already announced");
    // The console line is written just before the row is marked sent: poll.
    let deadline = Instant::now() + WAIT;
    let sent = loop {
        let (_, metrics) = get(port, "/metrics");
        let sent: Vec<String> = metrics
            .lines()
            .filter(|l| l.starts_with("giaoban_outbox_messages{kind=\"config_error\""))
            .map(str::to_string)
            .collect();
        if sent.iter().any(|l| l.contains("state=\"sent\"")) || Instant::now() > deadline {
            break sent;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        sent,
        vec![r#"giaoban_outbox_messages{kind="config_error",state="sent"} 1"#.to_string()]
    );
    let code = daemon.stop();
    assert!(code.success(), "{code}");
}

#[test]
fn sigterm_lets_a_running_collection_finish_then_exits_0() {
    // an-phu's source is a server that answers after 3 s, like a slow share.
    let district = support::district::District::start();
    let file_source = "[units.source]\nkind = \"file\"\npath = \"data/{unit}/{report}-{period}.json\"\n";
    let http_source = format!(
        "[units.source]\nkind = \"http\"\nurl = \"{}/{{unit}}/{{period}}.json\"\n",
        district.url()
    );
    let config = ops_config(free_port(), "").replacen(file_source, &http_source, 1);
    let office = Office::new(&config);
    // `status` reads an existing database only; no collection here, which
    // would ask an-phu's server before the daemon does.
    office.touch_db();
    let period = office.json(&["status", "--report", "9m"])["period"]
        .as_str()
        .expect("the current period")
        .to_string();
    let path = format!("/an-phu/{period}.json");
    district.serve(
        &path,
        vec![support::district::Reply::Slow(
            Duration::from_secs(3),
            Box::new(support::district::Reply::body(format!(
                r#"{{"unit": "an-phu", "report": "9m", "period": "{period}", "submitted_at": "2026-01-01T08:00:00+07:00",
                    "metrics": {{"cases_accepted": 10, "cases_resolved": 7}}}}"#
            ))),
        )],
    );

    let mut daemon = Daemon::start(&office, &[]);
    daemon.wait_log("giaoban is running");
    // The catch-up pass is reading an-phu once the server has its request.
    let asked = Instant::now() + WAIT;
    while district.seen(&path).is_empty() {
        assert!(Instant::now() < asked, "the catch-up pass never asked an-phu's server");
        std::thread::sleep(Duration::from_millis(20));
    }
    daemon.signal("TERM");
    daemon.wait_log("stopping");
    let code = daemon.wait_exit();
    assert!(
        code.success(),
        "exit 0 after SIGTERM, got {code}:\n{}",
        daemon.log.join("\n")
    );
    let log = daemon.log.join("\n");
    let stopping = log.find("stopping").expect("stopping logged");
    let done = log.rfind("collection pass done").expect("the collection finished");
    assert!(done > stopping, "the collection finished after SIGTERM:\n{log}");
    assert!(!log.contains("abandoned"), "{log}");

    let doc = office.json(&["status", "--report", "9m", "--period", &period]);
    let an_phu = doc["units"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["unit"] == "an-phu")
        .expect("an-phu")
        .clone();
    assert_eq!(
        an_phu["revision"], 1,
        "the submission read during shutdown is stored: {an_phu}"
    );
}

#[test]
fn healthz_and_metrics_answer_on_the_configured_port() {
    let port = free_port();
    let office = Office::new(&ops_config(port, ""));
    office.submit_figures("an-phu", "2024-09-10T10:00:00+07:00", 12, 9);
    let mut daemon = Daemon::start(&office, &[]);
    daemon.wait_log("giaoban is running");
    let doc = wait_health(port, "a recorded tick", |d| !d["last_tick"]["at"].is_null());
    let (code, _) = healthz(port);
    assert_eq!(code, 200, "{doc}");
    assert_eq!(doc["healthy"], true, "{doc}");
    assert_eq!(doc["database"]["reachable"], true);
    assert_eq!(doc["scheduler"]["alive"], true);
    assert!(
        doc["last_tick"]["age_seconds"].as_i64().is_some_and(|a| a < 60),
        "{doc}"
    );
    let jobs: Vec<&str> = doc["scheduler"]["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|j| j["job"].as_str())
        .collect();
    assert_eq!(jobs, vec!["tick", "collect:9m"]);

    let (code, metrics) = get(port, "/metrics");
    assert_eq!(code, 200, "{metrics}");
    for family in [
        "giaoban_database_up 1",
        "giaoban_scheduler_up 1",
        "giaoban_submissions_total{outcome=\"accepted\"}",
        "giaoban_submissions_total{outcome=\"rejected\"} 0",
        "giaoban_units{report=\"9m\"",
        "giaoban_late_units{report=\"9m\"",
        "giaoban_collection_errors{report=\"9m\"",
        "giaoban_cases_open 0",
        "giaoban_cases_overdue 0",
        "giaoban_outbox_backlog",
        "giaoban_delivery_failures_total 0",
        "giaoban_last_tick_timestamp_seconds",
        "giaoban_ticks_total 1",
        "giaoban_tick_duration_seconds",
    ] {
        assert!(metrics.contains(family), "/metrics lacks {family}:\n{metrics}");
    }
    let (code, _) = get(port, "/nothing");
    assert_eq!(code, 404);
    let code = daemon.stop();
    assert!(code.success(), "{code}");
}

#[test]
fn the_heartbeat_url_is_fetched_after_a_good_tick_and_never_logged() {
    let monitor = TcpListener::bind("127.0.0.1:0").expect("monitor");
    let monitor_port = monitor.local_addr().expect("addr").port();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = monitor.accept() {
            let mut buf = [0u8; 2048];
            let n = s.read(&mut buf).unwrap_or(0);
            let _ = tx.send(String::from_utf8_lossy(&buf[..n]).to_string());
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nOK");
        }
    });
    let office = Office::new(&ops_config(
        free_port(),
        "heartbeat_url_env = \"GIAOBAN_TEST_HEARTBEAT\"",
    ));
    let url = format!("http://127.0.0.1:{monitor_port}/ping/secret-uuid");
    let mut daemon = Daemon::start(&office, &[("GIAOBAN_TEST_HEARTBEAT", &url)]);
    daemon.wait_log("giaoban is running");
    let request = rx.recv_timeout(WAIT).expect("the heartbeat arrived");
    assert!(request.starts_with("GET /ping/secret-uuid "), "{request}");
    let code = daemon.stop();
    assert!(code.success(), "{code}");
    assert!(
        !daemon.log.iter().any(|l| l.contains("secret-uuid")),
        "the URL is never logged:\n{}",
        daemon.log.join("\n")
    );
}

#[test]
fn backup_writes_a_copy_that_status_reads_and_never_overwrites() {
    if support::sqlite_only("backup copies the SQLite file (PostgreSQL: pg_dump)") {
        return;
    }
    let office = Office::new(&ops_config(free_port(), ""));
    office.submit_figures("an-phu", "2024-09-10T10:00:00+07:00", 12, 9);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let copy = office.path().join("backup.db");
    let out = office.run(&["backup", copy.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&copy).expect("the copy").permissions());
    assert_eq!(mode & 0o777, 0o600, "the copy is readable by its owner only");

    // The copy, opened as the database of another config, has the submission.
    let restored = Office::new(&OFFICE.replace("sqlite://state/giaoban.db", &format!("sqlite://{}", copy.display())));
    let states = restored.states("2024-10-01T00:00:00+07:00");
    assert!(
        states.contains(&("an-phu".to_string(), "on_time".to_string())),
        "{states:?}"
    );

    let again = office.run(&["backup", copy.to_str().expect("utf-8 path")]);
    assert_eq!(again.status.code(), Some(2), "an existing file is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let nowhere = Office::new(&OFFICE.replace("sqlite://state/giaoban.db", "sqlite://none/giaoban.db"));
    let missing = nowhere.run(&["backup", nowhere.path().join("b.db").to_str().expect("utf-8 path")]);
    assert_eq!(missing.status.code(), Some(1), "no database to back up");
    assert!(
        !nowhere.path().join("none/giaoban.db").exists(),
        "backup does not create a database"
    );
}

#[test]
fn check_shows_the_listener_and_where_the_heartbeat_comes_from_never_the_url() {
    let office = Office::new(&ops_config(
        9466,
        "heartbeat_url = \"https://hc.example/ping/secret-uuid\"",
    ));
    let out = office.ok(&["check"]);
    assert!(out.contains("http: /healthz and /metrics on 127.0.0.1:9466"), "{out}");
    assert!(out.contains("heartbeat after every good tick"), "{out}");
    assert!(!out.contains("secret-uuid"), "{out}");

    let bad = Office::new(&format!("{OFFICE}\n[http]\nlisten = \"everywhere\"\n"));
    let out = bad.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("http.listen") && err.contains("everywhere"), "{err}");
}
