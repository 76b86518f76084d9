//! The daemon and the demo as an operator sees them.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{OFFICE, Office};

#[test]
fn the_daemon_starts_catches_up_and_stops_cleanly_on_sigterm() {
    let office = Office::new(OFFICE);
    let mut child = Command::new(env!("CARGO_BIN_EXE_giaoban"))
        .arg("--config")
        .arg(&office.config)
        .arg("run")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start giaoban run");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                seen.push(line);
                // The catch-up pass runs in the background once ready.
                let ready = seen.iter().any(|l| l.contains("giaoban is running"));
                if ready && seen.iter().any(|l| l.contains("collection pass done")) {
                    break;
                }
            }
            Err(_) => continue,
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("giaoban is running")),
        "not ready: {seen:?}"
    );
    assert!(
        seen.iter().any(|l| l.contains("collection pass done")),
        "a catch-up collection ran: {seen:?}"
    );
    assert!(
        office.path().join("state/giaoban.db").exists(),
        "the database is in the state folder"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let start = Instant::now();
    let code = loop {
        if let Some(code) = child.try_wait().expect("wait") {
            break code;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "did not stop within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(code.success(), "SIGTERM exits 0, got {code}");
}

#[test]
fn the_demo_runs_a_whole_cycle_in_seconds() {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_giaoban"))
        .arg("demo")
        .output()
        .expect("run demo");
    let elapsed = start.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "⏰ Nhắc nhở",
        "⚠️ Quá hạn",
        "🔔 Đôn đốc (lần 1/5)",
        "📥 Đã nhận báo cáo gửi muộn",
        "❌ Báo cáo không hợp lệ",
        "6/8 đơn vị gửi đúng hạn, 2 gửi muộn, 0 chưa gửi",
    ] {
        assert!(text.contains(needle), "demo output lacks {needle}:\n{text}");
    }
    // The late alert names exactly the two late units.
    let late = text
        .split("⚠️ Quá hạn")
        .nth(1)
        .and_then(|s| s.split("────").next())
        .expect("late alert");
    assert!(
        late.contains("Huyện Tân Biên") && late.contains("Huyện Bến Cầu"),
        "{late}"
    );
    assert!(!late.contains("Huyện Gò Dầu"), "{late}");
    assert!(elapsed < Duration::from_secs(30), "demo took {elapsed:?}");
}
