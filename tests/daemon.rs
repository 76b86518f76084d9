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
        office.pg.is_some() || office.path().join("state/giaoban.db").exists(),
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

/// Two reports on the same collect cron, one of them waiting on a unit whose
/// server answers after 10 s: the other report's firings still run and
/// collect its new file within seconds.
#[test]
fn two_reports_sharing_a_collect_cron_are_both_collected() {
    use support::district::{District, Reply};
    let district = District::start();
    let file_source = "[units.source]\nkind = \"file\"\npath = \"data/{unit}/{report}-{period}.json\"\n";
    let mut parts = OFFICE.split(file_source);
    let head = parts.next().expect("head");
    let an_phu = parts.next().expect("an-phu");
    let binh_minh = parts.next().expect("binh-minh");
    let rest = parts.next().expect("rest");
    let reports_at = rest.find("[[reports]]").expect("reports");
    let (cai_be, reports) = rest.split_at(reports_at);
    let second = "\n[[reports]]\nid = \"khac\"\ntitle = \"Báo cáo khác\"\nperiod = \"nine_months\"\ncutoff_day = 14\n\
                  due = { day = 18, time = \"17:00\" }\nunits = [\"an-phu\", \"binh-minh\"]\ncollect = \"* * * * * *\"\n\
                  [[reports.metrics]]\nkey = \"cases_accepted\"\nlabel = \"Số vụ án thụ lý\"\n";
    let config = format!(
        "{head}{file_source}{an_phu}{file_source}{binh_minh}[units.source]\nkind = \"http\"\nurl = \"{}/{{unit}}.json\"\n{cai_be}{}{second}\n[collection]\ntimeout_secs = 30\nretries = 0\n",
        district.url(),
        reports.replace("collect = \"0 0 */2 * * *\"", "collect = \"* * * * * *\""),
    );
    let office = Office::new(&config);
    district.serve(
        "/cai-be.json",
        vec![Reply::Slow(Duration::from_secs(10), Box::new(Reply::Status(404)))],
    );
    office.touch_db();
    let period = office.json(&["status", "--report", "khac"])["period"]
        .as_str()
        .expect("period")
        .to_string();
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
    let ready = Instant::now() + Duration::from_secs(20);
    let mut log = Vec::new();
    while Instant::now() < ready {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let running = line.contains("giaoban is running");
            log.push(line);
            if running {
                break;
            }
        }
    }
    // Both reports' passes are now waiting on cai-be; each report's new file
    // must still be collected by the next firings.
    std::thread::sleep(Duration::from_millis(1500));
    let written = Instant::now();
    for (report, body) in [
        ("9m", r#"{"metrics": {"cases_accepted": 3, "cases_resolved": 1}}"#),
        ("khac", r#"{"metrics": {"cases_accepted": 3}}"#),
    ] {
        let folder = office.path().join("data").join("an-phu");
        std::fs::create_dir_all(&folder).expect("folder");
        std::fs::write(folder.join(format!("{report}-{period}.json")), body).expect("write");
    }
    let collected = |report: &str| {
        let doc = office.json(&["status", "--report", report, "--period", &period]);
        doc["units"][0]["revision"] == 1
    };
    let mut both = false;
    while written.elapsed() < Duration::from_secs(5) {
        if collected("9m") && collected("khac") {
            both = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(300));
    log.extend(rx.try_iter());
    let docs: Vec<String> = ["9m", "khac"]
        .iter()
        .map(|r| office.json(&["status", "--report", r, "--period", &period]).to_string())
        .collect();
    assert!(
        both,
        "both reports collected within 5 s of the files appearing:\n{}\n{docs:?}",
        log.join("\n")
    );
}
