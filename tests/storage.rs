//! Storage faults through the real daemon: the database on a full
//! filesystem, locked by another writer, and corrupt at start. The daemon
//! keeps running or exits with a clear message, `/healthz` tells the truth,
//! and nothing is lost when the fault clears. (Made read-only while running:
//! tests/delivery.rs, `a_database_that_cannot_be_written_heals_without_a_restart`.)

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::Row;
use support::daemon::{Daemon, free_port, wait_health};
use support::{OFFICE, Office};

/// The test office with a monthly report (so this month is open for
/// collection in real time), a tick and a collection every second, and a
/// health listener on `port`.
fn busy_office(port: u16) -> Office {
    let config = OFFICE
        .replace(r#"tick = "0 * * * * *""#, r#"tick = "* * * * * *""#)
        .replace(r#"collect = "0 0 */2 * * *""#, r#"collect = "* * * * * *""#)
        .replace("period = \"nine_months\"\ncutoff_day = 14", "period = \"month\"")
        .replace(
            "due = { day = 18, time = \"17:00\" }",
            "due = { day = 28, time = \"17:00\" }",
        );
    Office::new(&format!("{config}\n[http]\nlisten = \"127.0.0.1:{port}\"\n"))
}

/// This month, as the office's clock reads it.
fn this_month() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%Y-%m")
        .to_string()
}

/// A unit's valid report for this month, sent a minute ago.
fn submit(office: &Office, unit: &str, accepted: i64, resolved: i64) {
    let month = this_month();
    let at = (chrono::Utc::now() - chrono::Duration::seconds(60)).to_rfc3339();
    let folder = office.path().join("data").join(unit);
    std::fs::create_dir_all(&folder).expect("unit folder");
    std::fs::write(
        folder.join(format!("9m-{month}.json")),
        format!(
            r#"{{"unit": "{unit}", "report": "9m", "period": "{month}", "submitted_at": "{at}",
                "metrics": {{"cases_accepted": {accepted}, "cases_resolved": {resolved}}}}}"#
        ),
    )
    .expect("write submission");
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn revisions(office: &Office, unit: &str) -> i64 {
    office.sql(&format!(
        "SELECT COUNT(*) FROM submissions WHERE unit = '{unit}' AND accepted = 1"
    ))[0]
        .get::<i64, _>(0)
}

fn wait_until(what: &str, within: Duration, mut pred: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !pred() {
        assert!(Instant::now() < deadline, "{what} did not happen within {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A tmpfs mounted on a folder, unmounted when dropped.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(at: &std::path::Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).expect("mount point");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem holding `dir` until a write fails; returns the file.
fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("filler");
    let block = vec![0u8; 4096];
    while f.write_all(&block).and_then(|_| f.sync_all()).is_ok() {}
    path
}

#[test]
fn a_full_filesystem_shows_in_healthz_and_the_report_sent_meanwhile_is_stored_once_space_returns() {
    if support::sqlite_only("the SQLite file on a full filesystem") {
        return;
    }
    let port = free_port();
    let office = busy_office(port);
    if !is_root() {
        eprintln!("skipped: a full filesystem needs a tmpfs, which needs root");
        return;
    }
    let Some(_fs) = Tmpfs::mount(&office.path().join("state"), "4m") else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    submit(&office, "an-phu", 100, 80);
    let mut daemon = Daemon::start(&office, &[]);
    daemon.wait_log("giaoban is running");
    wait_health(port, "a healthy start", |d| d["healthy"] == true);
    let filler = fill(&office.path().join("state"));
    // Bình Minh reports while the disk is full.
    submit(&office, "binh-minh", 50, 40);
    let sick = wait_health(port, "the full disk", |d| {
        d["healthy"] == false && d["database"]["writable"] == false
    });
    assert!(
        sick["database"]["last_write_error"]["error"].is_string(),
        "the error is shown: {sick}"
    );
    assert!(
        daemon.child.try_wait().expect("wait").is_none(),
        "the daemon keeps running"
    );
    std::fs::remove_file(&filler).expect("free the space");
    wait_health(port, "health back", |d| {
        d["healthy"] == true && d["database"]["last_write_error"].is_null()
    });
    wait_until("Bình Minh's report stored", Duration::from_secs(20), || {
        revisions(&office, "binh-minh") >= 1
    });
    assert_eq!(revisions(&office, "binh-minh"), 1, "stored once");
    assert_eq!(revisions(&office, "an-phu"), 1, "the earlier report is intact");
    assert!(daemon.stop().success());
}

#[test]
fn a_database_locked_by_another_writer_shows_in_healthz_and_nothing_is_lost_when_it_lets_go() {
    if support::sqlite_only("SQLite's write lock held by another process") {
        return;
    }
    let port = free_port();
    let office = busy_office(port);
    submit(&office, "an-phu", 100, 80);
    let mut daemon = Daemon::start(&office, &[]);
    daemon.wait_log("giaoban is running");
    wait_health(port, "a healthy start", |d| d["healthy"] == true);
    wait_until("An Phú's report stored", Duration::from_secs(20), || {
        revisions(&office, "an-phu") >= 1
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("sqlite://{}", office.db().display());
    let mut conn = rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open db");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut c)
            .await
            .expect("take the write lock");
        c
    });
    // Held for 8 s rather than a minute: past the health check's bound, so
    // the truth shows; the daemon's writers wait (busy timeout 30 s) and
    // finish once the lock goes.
    let locked = Instant::now();
    submit(&office, "binh-minh", 50, 40);
    let sick = wait_health(port, "the lock", |d| d["database"]["writable"] == false);
    assert_eq!(sick["healthy"], false, "{sick}");
    assert_eq!(revisions(&office, "binh-minh"), 0, "nothing written under the lock");
    while locked.elapsed() < Duration::from_secs(8) {
        std::thread::sleep(Duration::from_millis(100));
    }
    rt.block_on(async {
        sqlx::query("ROLLBACK").execute(&mut conn).await.expect("let go");
    });
    wait_health(port, "health back", |d| {
        d["healthy"] == true && d["database"]["last_write_error"].is_null()
    });
    wait_until("Bình Minh's report stored", Duration::from_secs(20), || {
        revisions(&office, "binh-minh") >= 1
    });
    assert_eq!(revisions(&office, "binh-minh"), 1, "stored once");
    assert!(
        daemon.child.try_wait().expect("wait").is_none(),
        "the daemon kept running"
    );
    assert!(daemon.stop().success());
}

#[test]
fn a_corrupt_database_at_start_stops_the_daemon_with_a_message_naming_the_file() {
    if support::sqlite_only("a corrupt SQLite file") {
        return;
    }
    let port = free_port();
    let office = busy_office(port);
    std::fs::create_dir_all(office.path().join("state")).expect("state");
    std::fs::write(
        office.db(),
        "this is not a database, it was overwritten by accident\n".repeat(200),
    )
    .expect("corrupt file");
    let mut daemon = Daemon::start(&office, &[]);
    let status = daemon.wait_exit();
    assert!(!status.success(), "a corrupt database is not used");
    let log = daemon.log.join("\n");
    assert!(log.contains("giaoban.db"), "the message names the file:\n{log}");
    assert!(
        log.to_lowercase().contains("not a database") || log.to_lowercase().contains("corrupt"),
        "the message says what is wrong:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    // The file is left as it was, for the operator to restore from a backup.
    let kept = std::fs::read_to_string(office.db()).expect("the file is still there");
    assert!(kept.starts_with("this is not a database"));
}
