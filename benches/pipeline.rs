//! Pipeline benchmark: collection and planner passes over an office of many
//! units, through the library's own jobs on real SQLite files.
//!
//! `cargo bench --bench pipeline` (release build). Prints the median and the
//! spread of several runs of each step, and beside each step a baseline
//! measured in the same run (bare read-and-parse of the same files, one SQL
//! scan of the same rows) with the ratio; see "Performance" in the README.
//!
//! `BENCH_PG_URL` (a PostgreSQL superuser's URL, e.g. from
//! `scripts/pg-test-server start DIR`) runs it on PostgreSQL, a new database
//! per run, instead of a SQLite file.
//! `BENCH_UNITS` (default 200), `BENCH_CASES` cases per unit (default 3) and
//! `BENCH_RUNS` (default 5) set the scale: `BENCH_UNITS=10000 BENCH_CASES=100`
//! is the national scenario of 1,000,000 cases.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use giaoban::collect::Filter;
use giaoban::config::Config;
use giaoban::jobs;
use giaoban::store::Store;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn units() -> usize {
    env_or("BENCH_UNITS", 200)
}

fn cases_per_unit() -> usize {
    env_or("BENCH_CASES", 3)
}

/// The units' sources: files on disk, or (with `BENCH_NGINX=1`) the same
/// files served by nginx on 127.0.0.1 at `base`.
fn config_text(base: Option<&str>) -> String {
    let mut s = String::from(
        r#"timezone = "Asia/Ho_Chi_Minh"
[storage]
url = "sqlite://giaoban.db"
[calendar]
holidays = ["2024-09-02..2024-09-03"]
[[case_rules]]
kind = "khieu_nai_lan_1"
label = "Khiếu nại lần đầu"
accept_within = "10d"
resolve_within = "30d"
"#,
    );
    for i in 0..units() {
        let source = match base {
            Some(base) => format!("kind = \"http\"\nurl = \"{base}/{{unit}}/{{report}}-{{period}}.json\"\n"),
            None => "kind = \"file\"\npath = \"data/{unit}/{report}-{period}.json\"\n".to_string(),
        };
        s.push_str(&format!(
            "[[units]]\nid = \"u{i:05}\"\nname = \"Đơn vị {i}\"\n[units.source]\n{source}"
        ));
    }
    s.push_str(
        r#"[[reports]]
id = "9m"
title = "Báo cáo giao ban 9 tháng"
period = "nine_months"
cutoff_day = 14
due = { day = 18, time = "17:00" }
grace = "1wd"
remind_before = ["3d", "1d"]
repeat_late_every = "1wd"
repeat_late_max = 5
"#,
    );
    for k in ["a", "b", "c", "d", "e", "f", "g"] {
        s.push_str(&format!(
            "[[reports.metrics]]\nkey = \"m_{k}\"\nlabel = \"Chỉ tiêu {k}\"\n"
        ));
    }
    s.push_str(
        "[[reports.indicators]]\nkey = \"rate\"\nlabel = \"Tỷ lệ\"\nformula = \"m_b / m_a\"\nformat = \"percent\"\n",
    );
    s
}

fn write_files(dir: &std::path::Path) {
    for i in 0..units() {
        let folder = dir.join("data").join(format!("u{i:05}"));
        std::fs::create_dir_all(&folder).expect("folder");
        // An office's backlog, all open: received over the 40 days before
        // the bench's day (19/09/2024), accepted within 5 days; those
        // received more than 35 days before are overdue (a tenth).
        let today = chrono::NaiveDate::from_ymd_opt(2024, 9, 19).expect("day");
        let cases: Vec<String> = (0..cases_per_unit())
            .map(|c| {
                let received = today - chrono::Duration::days(((c * 7 + i) % 40) as i64);
                let accepted = received + chrono::Duration::days(((c + i) % 6) as i64);
                let accepted = if accepted <= today {
                    format!(r#", "accepted_on": "{accepted}""#)
                } else {
                    String::new()
                };
                format!(r#"{{"ref": "KN-{i}-{c}", "kind": "khieu_nai_lan_1", "received_on": "{received}"{accepted}}}"#)
            })
            .collect();
        // Every tenth unit is late.
        let at = if i % 10 == 0 {
            "2024-09-20T09:00:00+07:00"
        } else {
            "2024-09-17T09:00:00+07:00"
        };
        let body = format!(
            r#"{{"unit": "u{i:05}", "period": "2024-9M", "submitted_at": "{at}",
                "metrics": {{"m_a": {}, "m_b": {}, "m_c": 1, "m_d": 2, "m_e": 3, "m_f": 4, "m_g": 5}},
                "cases": [{}]}}"#,
            1000 + i,
            800 + i,
            cases.join(",")
        );
        std::fs::write(folder.join("9m-2024-9M.json"), body).expect("write");
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One line per figure: the median, its target, the same-run baseline and the
/// ratio baseline / giaoban (1.0 is as fast as the bare work).
fn report(name: &str, samples: Vec<Duration>, target: &str, baseline: Option<(&str, Duration)>) {
    let (lo, hi) = (
        samples.iter().min().copied().unwrap_or_default(),
        samples.iter().max().copied().unwrap_or_default(),
    );
    let runs = samples.len();
    let m = median(samples);
    let base = baseline.map_or(String::new(), |(what, b)| {
        format!(
            "   baseline {what} {:.1} ms, ratio {:.2}",
            ms(b),
            b.as_secs_f64() / m.as_secs_f64()
        )
    });
    println!(
        "{name:<40} median {:>9.1} ms (min {:.1}, max {:.1}, {runs} runs)   target {target}{base}",
        ms(m),
        ms(lo),
        ms(hi),
    );
}

/// The bare work a collection pass cannot avoid: read each unit's file and
/// parse its JSON.
fn bare_read_and_parse(dir: &std::path::Path) -> Duration {
    let t = Instant::now();
    let mut n = 0;
    for i in 0..units() {
        let path = dir.join("data").join(format!("u{i:05}")).join("9m-2024-9M.json");
        let bytes = std::fs::read(path).expect("read");
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        n += v["cases"].as_array().map_or(0, Vec::len);
    }
    assert_eq!(n, units() * cases_per_unit());
    t.elapsed()
}

/// nginx (Debian's package) serving `dir/data` on a free port of 127.0.0.1,
/// with ETag and Last-Modified as for any static file; stopped on drop.
struct Nginx {
    child: std::process::Child,
    base: String,
}

impl Nginx {
    fn start(dir: &std::path::Path) -> Nginx {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let conf = dir.join("nginx.conf");
        let d = dir.display();
        std::fs::write(
            &conf,
            format!(
                "daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/nginx.err;
events {{ worker_connections 4096; }}
http {{ access_log off; client_body_temp_path {d}/t1; proxy_temp_path {d}/t2; fastcgi_temp_path {d}/t3;
  uwsgi_temp_path {d}/t4; scgi_temp_path {d}/t5; keepalive_requests 100000;
  default_type application/json;
  server {{ listen 127.0.0.1:{port}; root {d}/data; }} }}"
            ),
        )
        .expect("nginx.conf");
        let child = std::process::Command::new("nginx")
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir)
            .spawn()
            .expect("nginx (apt-get install nginx-light)");
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx { child, base }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bare work of an HTTP pass: fetch every unit's file (16 at once, as
/// the collection's default concurrency) and parse its JSON; with the ETags
/// of a first pass, conditional GETs answered 304. Returns the time and the
/// ETags.
async fn bare_fetch(base: &str, etags: Option<&[String]>) -> (Duration, Vec<String>) {
    use futures_util::StreamExt;
    let client = reqwest::Client::new();
    let t = Instant::now();
    let answers: Vec<String> = futures_util::stream::iter(0..units())
        .map(|i| {
            let client = &client;
            let url = format!("{base}/u{i:05}/9m-2024-9M.json");
            let etag = etags.map(|e| e[i].clone());
            async move {
                let mut req = client.get(&url);
                if let Some(etag) = &etag {
                    req = req.header("If-None-Match", etag);
                }
                let resp = req.send().await.expect("fetch");
                let etag = resp
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
                    return etag;
                }
                let bytes = resp.bytes().await.expect("body");
                let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
                assert!(v["cases"].is_array());
                etag
            }
        })
        .buffered(16)
        .collect()
        .await;
    (t.elapsed(), answers)
}

/// One SQL scan of the rows a tick or a view reads: every submission and every
/// stored case version, streamed (a row at a time: the baseline's own memory
/// once set the run's peak).
async fn bare_scan(store: &Store) -> Duration {
    use futures_util::TryStreamExt;
    use sqlx::Row;
    let t = Instant::now();
    let mut conn = store.read().await.expect("conn");
    let mut n = 0usize;
    for sql in [
        "SELECT unit, metrics, submitted_at FROM submissions",
        "SELECT ref, unit, kind, received_on, accepted_on, submitted_at FROM case_versions",
    ] {
        let mut rows = sqlx::query(sql).fetch(&mut *conn);
        while let Some(r) = rows.try_next().await.expect("scan") {
            n += r.get::<String, _>(0).len();
        }
    }
    assert!(n > 0);
    t.elapsed()
}

/// A new empty database on the PostgreSQL server at `base`.
async fn pg_database(base: &str) -> giaoban::config::Storage {
    use sqlx::Connection;
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "bench_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let mut admin = sqlx::PgConnection::connect(base).await.expect("BENCH_PG_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create the bench database");
    let mut url = url::Url::parse(base).expect("BENCH_PG_URL is a URL");
    url.set_path(&format!("/{name}"));
    giaoban::config::Storage::Postgres { url: url.to_string() }
}

/// Resident memory of this process (VmHWM: the peak), in MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `BENCH_PERF_CTL=FIFO BENCH_PERF_STEP=NAME`: with `perf record --delay=-1
/// --control=fifo:FIFO`, profiles only the step NAME (`first`, `unchanged`,
/// `grace`, `idle`, `status`, `overdue`, `summary`) of each run.
fn perf_ctl(step: &str, on: bool) {
    let (Ok(fifo), Ok(wanted)) = (std::env::var("BENCH_PERF_CTL"), std::env::var("BENCH_PERF_STEP")) else {
        return;
    };
    if wanted == step {
        use std::io::Write;
        let mut ctl = std::fs::OpenOptions::new()
            .write(true)
            .open(fifo)
            .expect("perf control fifo");
        ctl.write_all(if on { b"enable\n" } else { b"disable\n" })
            .expect("perf control");
    }
}

async fn bench() {
    let runs = env_or("BENCH_RUNS", 5);
    let (units, per_unit) = (units(), cases_per_unit());
    let (mut first, mut unchanged, mut tick_grace, mut tick_idle) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut status, mut overdue, mut summary) = (Vec::new(), Vec::new(), Vec::new());
    let (mut bare_parse, mut bare_cond, mut bare_sql) = (Vec::new(), Vec::new(), Vec::new());
    let http = std::env::var("BENCH_NGINX").is_ok_and(|v| v == "1");
    let mut overdue_listed = 0;
    // The peak after each step (VmHWM only grows): which step set it.
    let mut steps: Vec<(&str, f64)> = Vec::new();
    for _ in 0..runs {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("giaoban.toml");
        write_files(dir.path());
        let nginx = http.then(|| Nginx::start(dir.path()));
        std::fs::write(&path, config_text(nginx.as_ref().map(|n| n.base.as_str()))).expect("config");
        let config = Config::load(&path).expect("valid config");
        steps.push(("config loaded", peak_rss_mb()));
        let store = match std::env::var("BENCH_PG_URL") {
            // A fresh database of the server for each run (BENCH_PG_URL: a superuser's URL).
            Ok(base) => Store::connect(&pg_database(&base).await).await.expect("store"),
            Err(_) => Store::open(&dir.path().join("giaoban.db")).await.expect("store"),
        };
        // Collected before the end of grace (17:00), viewed after it: the
        // daemon's ticks and views come after what was collected.
        let collected = at("2024-09-19T16:30:00+07:00");
        let now = at("2024-09-19T18:00:00+07:00");
        let filter = Filter::default();
        match &nginx {
            Some(n) => {
                let (t, etags) = bare_fetch(&n.base, None).await;
                bare_parse.push(t);
                bare_cond.push(bare_fetch(&n.base, Some(&etags)).await.0);
            }
            None => {
                let t = bare_read_and_parse(dir.path());
                bare_parse.push(t);
                bare_cond.push(t);
            }
        }

        let t = Instant::now();
        perf_ctl("first", true);
        let outcomes = jobs::collect_pass(&config, &store, &filter, collected)
            .await
            .expect("collect");
        perf_ctl("first", false);
        first.push(t.elapsed());
        steps.push(("first pass", peak_rss_mb()));
        assert_eq!(outcomes.len(), units);

        let t = Instant::now();
        perf_ctl("unchanged", true);
        jobs::collect_pass(&config, &store, &filter, collected)
            .await
            .expect("collect");
        perf_ctl("unchanged", false);
        unchanged.push(t.elapsed());
        steps.push(("unchanged pass", peak_rss_mb()));
        bare_sql.push(bare_scan(&store).await);

        // The end of grace: late alert over a tenth of the units, the summary
        // with its spreadsheet and chart.
        let t = Instant::now();
        perf_ctl("grace", true);
        let queued = jobs::tick(&config, &store, at("2024-09-19T17:00:00+07:00"), collected)
            .await
            .expect("tick");
        perf_ctl("grace", false);
        tick_grace.push(t.elapsed());
        steps.push(("tick at the end of grace", peak_rss_mb()));
        assert!(queued.iter().any(|n| n.kind.as_str() == "summary"));

        let t = Instant::now();
        perf_ctl("idle", true);
        jobs::tick(&config, &store, at("2024-09-19T17:01:00+07:00"), collected)
            .await
            .expect("tick");
        perf_ctl("idle", false);
        tick_idle.push(t.elapsed());
        // `BENCH_IDLE=N` runs N more idle ticks (not timed): a profile of them.
        for k in 0..env_or("BENCH_IDLE", 0) {
            let at = at("2024-09-19T17:02:00+07:00") + chrono::Duration::seconds(k as i64);
            jobs::tick(&config, &store, at, collected).await.expect("tick");
        }

        let report = &config.regime.reports[0];
        let period = "2024-9M".parse().expect("period");
        let t = Instant::now();
        perf_ctl("status", true);
        jobs::status(&config, &store, report, period, now)
            .await
            .expect("status");
        perf_ctl("status", false);
        status.push(t.elapsed());

        // `BENCH_WARM=1`: list the overdue cases once, untimed, before the
        // timed listing (the figure of a second read; the first read after a
        // million cases were written is slower, see the README).
        if std::env::var("BENCH_WARM").is_ok_and(|v| v == "1") {
            jobs::case_rows(&config, &store, None, true, now).await.expect("cases");
        }
        let t = Instant::now();
        perf_ctl("overdue", true);
        let listed = jobs::case_rows(&config, &store, None, true, now).await.expect("cases");
        perf_ctl("overdue", false);
        overdue.push(t.elapsed());
        overdue_listed = listed.len();
        drop(listed);
        steps.push(("cases --overdue", peak_rss_mb()));

        let t = Instant::now();
        perf_ctl("summary", true);
        let mut conn = store.read().await.expect("conn");
        jobs::summary_bundle(&config, &mut conn, report, period, now)
            .await
            .expect("summary");
        drop(conn);
        perf_ctl("summary", false);
        summary.push(t.elapsed());
        steps.push(("status, cases and summary", peak_rss_mb()));
        store.close().await;
        drop(nginx);
        // `BENCH_KEEP=1` keeps the last run's office (its database) to look at.
        if std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1") {
            eprintln!("kept {}", dir.keep().display());
        }
    }
    let bare_parse = median(bare_parse);
    let bare_sql = median(bare_sql);
    let bare_cond = median(bare_cond);
    let (parse, cond) = if http {
        (Some(("fetch+parse", bare_parse)), Some(("conditional GET", bare_cond)))
    } else {
        (Some(("read+parse", bare_parse)), Some(("read+parse", bare_cond)))
    };
    let scan = Some(("SQL scan", bare_sql));
    println!(
        "giaoban pipeline benchmark: {units} units, 7 metrics, {per_unit} cases each ({} cases), storage: {}, sources: {}",
        units * per_unit,
        if std::env::var("BENCH_PG_URL").is_ok() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        if http { "nginx on 127.0.0.1" } else { "files" }
    );
    report("collect: first pass", first, "< 1 s at 10k units, ratio >= 0.5", parse);
    report("collect: unchanged pass", unchanged, "ratio >= 0.8", cond);
    report("tick at the end of grace", tick_grace, "< 1 s", scan);
    report("tick with nothing new", tick_idle, "< 100 ms", scan);
    report("status (one report-period)", status, "< 300 ms", scan);
    report(
        &format!("cases --overdue ({overdue_listed} listed)"),
        overdue,
        "< 300 ms",
        scan,
    );
    report("summary with XLSX and chart", summary, "< 1 s", scan);
    println!("peak resident memory {:.0} MB (target < 150 MB)", peak_rss_mb());
    let first_run: Vec<String> = steps
        .iter()
        .take(steps.len() / runs.max(1))
        .map(|(step, mb)| format!("{step} {mb:.0} MB"))
        .collect();
    println!("peak after each step of the first run: {}", first_run.join(", "));
}

fn main() {
    // `BENCH_LOG=sqlx=debug` prints every statement with its time.
    let filter = std::env::var("BENCH_LOG").unwrap_or_else(|_| "error".to_string());
    tracing_subscriber::fmt().with_env_filter(filter).init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(bench());
}
