//! Delivery benchmark: drains a backlog of 200 queued messages through the
//! real binary (`giaoban deliver`, the same pass the daemon's courier task
//! runs) into a fake Bot API on 127.0.0.1 that enforces the configured limits
//! the way Telegram does (answering 429 beyond them), and prints the achieved
//! rate as a fraction of the allowed one.
//!
//! The allowed rate is the fastest schedule the limits permit: message k may
//! go no earlier than one minute after message k − per_chat_per_minute and one
//! second after message k − per_second. The fraction is the time that
//! schedule needs for the whole backlog over the time the drain took.
//!
//! `cargo bench --bench delivery` (release build); `BENCH_RUNS=N` repeats each
//! scenario (default 3 for the per-second one, 1 for the per-minute one,
//! which takes a minute).

#[path = "../tests/support/telegram.rs"]
#[allow(dead_code)]
mod telegram;

use std::process::Command;
use std::time::Duration;

use telegram::FakeTelegram;

const MESSAGES: usize = 200;
const TOKEN: &str = "123456:BENCH-TOKEN";

fn config(url: &str, per_minute: usize, per_second: usize) -> String {
    format!(
        r#"timezone = "Asia/Ho_Chi_Minh"
[storage]
url = "sqlite://giaoban.db"
[[units]]
id = "u1"
name = "Đơn vị 1"
[units.source]
kind = "file"
path = "data/{{unit}}/{{report}}-{{period}}.json"
[[reports]]
id = "q"
title = "Báo cáo quý"
period = "quarter"
due = {{ day = 18, time = "17:00" }}
[[reports.metrics]]
key = "m"
label = "Chỉ tiêu"
[telegram]
token_env = "GIAOBAN_BENCH_TOKEN"
api_url = "{url}"
chat_id = -100123
per_chat_per_minute = {per_minute}
per_second = {per_second}
"#
    )
}

/// The earliest instant (seconds from the first send) of each message that
/// the limits allow.
fn ideal_span(n: usize, per_minute: usize, per_second: usize) -> f64 {
    let mut t: Vec<f64> = Vec::with_capacity(n);
    for k in 0..n {
        let mut at: f64 = 0.0;
        if k >= per_minute {
            at = at.max(t[k - per_minute] + 60.0);
        }
        if k >= per_second {
            at = at.max(t[k - per_second] + 1.0);
        }
        t.push(at);
    }
    t.last().copied().unwrap_or(0.0)
}

fn giaoban(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_giaoban"))
        .arg("--config")
        .arg(dir.join("giaoban.toml"))
        .args(args)
        .env("GIAOBAN_BENCH_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .output()
        .expect("run giaoban")
}

/// One drain; returns (fraction of the allowed rate, 429s provoked, seconds).
fn drain(per_minute: usize, per_second: usize) -> (f64, usize, f64) {
    let fake = FakeTelegram::start();
    fake.enforce(per_minute, per_second);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("giaoban.toml"),
        config(&fake.url, per_minute, per_second),
    )
    .expect("config");
    // Creates and migrates the database; nothing is due in January.
    let out = giaoban(dir.path(), &["tick", "--at", "2024-01-05T09:00:00+07:00"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let values: Vec<String> = (0..MESSAGES)
        .map(|i| {
            format!(
                "('bench:{i:03}', 'admin', 'Tin số {i:03}', '2024-01-05T02:00:00.000Z', '2024-01-05T02:00:00.000Z')"
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO outbox (key, kind, text, planned_at, not_before) VALUES {}",
        values.join(", ")
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", dir.path().join("giaoban.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("db");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect("queue");
    });
    // One-shot runs wait up to a few seconds for a slot; the daemon would
    // sleep to the slot instead. Repeat until the backlog is gone.
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    while fake.messages().len() - fake.refused() < MESSAGES && std::time::Instant::now() < deadline {
        let before = fake.messages().len();
        let out = giaoban(dir.path(), &["deliver"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        if fake.messages().len() == before {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let sent = fake.messages();
    let first = sent.first().expect("sent").at;
    let last = sent.last().expect("sent").at;
    let span = last.duration_since(first).as_secs_f64();
    let ideal = ideal_span(MESSAGES, per_minute, per_second);
    (ideal / span.max(1e-9), fake.refused(), span)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let runs: Option<usize> = std::env::var("BENCH_RUNS").ok().and_then(|r| r.parse().ok());
    for (name, per_minute, per_second, default_runs) in [
        ("per-second limit binds (1000/min, 20/s)", 1000, 20, 3),
        ("per-chat limit binds (100/min, 20/s)", 100, 20, 1),
    ] {
        let mut fractions = Vec::new();
        let mut refused = 0;
        let mut spans = Vec::new();
        for _ in 0..runs.unwrap_or(default_runs) {
            let (f, r, s) = drain(per_minute, per_second);
            fractions.push(f);
            refused += r;
            spans.push(s);
        }
        println!(
            "delivery: {MESSAGES} messages, {name}: achieved {:.3} of the allowed rate (median of {}), drained in {:.1} s (ideal {:.1} s), 429s provoked: {refused}",
            median(fractions.clone()),
            fractions.len(),
            median(spans),
            ideal_span(MESSAGES, per_minute, per_second),
        );
    }
}
