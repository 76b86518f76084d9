//! Pipeline benchmark: collection and planner passes over an office of many
//! units, through the library's own jobs on real SQLite files.
//!
//! `cargo bench --bench pipeline` (release build). Prints the median and the
//! spread of several runs of each step; see "Performance" in the README.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use giaoban::collect::Filter;
use giaoban::config::Config;
use giaoban::jobs;
use giaoban::store::Store;

const UNITS: usize = 200;
const RUNS: usize = 5;

fn config_text() -> String {
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
    for i in 0..UNITS {
        s.push_str(&format!(
            "[[units]]\nid = \"u{i:03}\"\nname = \"Đơn vị {i}\"\n[units.source]\nkind = \"file\"\npath = \"data/{{unit}}/{{report}}-{{period}}.json\"\n"
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
    for i in 0..UNITS {
        let folder = dir.join("data").join(format!("u{i:03}"));
        std::fs::create_dir_all(&folder).expect("folder");
        let cases: Vec<String> = (0..3)
            .map(|c| {
                format!(
                    r#"{{"ref": "KN-{i}-{c}", "kind": "khieu_nai_lan_1", "received_on": "2024-07-0{}", "accepted_on": "2024-07-1{}"}}"#,
                    c + 1,
                    c + 1
                )
            })
            .collect();
        // Every tenth unit is late.
        let at = if i % 10 == 0 {
            "2024-09-20T09:00:00+07:00"
        } else {
            "2024-09-17T09:00:00+07:00"
        };
        let body = format!(
            r#"{{"unit": "u{i:03}", "period": "2024-9M", "submitted_at": "{at}",
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

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<44} median {:>8.1} ms   min {:>8.1} ms   max {:>8.1} ms   ({} runs)",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}

async fn bench() {
    let mut first = Vec::new();
    let mut unchanged = Vec::new();
    let mut tick_grace = Vec::new();
    let mut tick_idle = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("giaoban.toml");
        std::fs::write(&path, config_text()).expect("config");
        write_files(dir.path());
        let config = Config::load(&path).expect("valid config");
        let store = Store::open(&dir.path().join("giaoban.db")).await.expect("store");
        let now = at("2024-09-19T18:00:00+07:00");
        let filter = Filter::default();

        let t = Instant::now();
        let outcomes = jobs::collect_pass(&config, &store, &filter, now)
            .await
            .expect("collect");
        first.push(t.elapsed());
        assert_eq!(outcomes.len(), UNITS);

        let t = Instant::now();
        jobs::collect_pass(&config, &store, &filter, now)
            .await
            .expect("collect");
        unchanged.push(t.elapsed());

        // The end of grace: late alert over 20 units, the summary with its
        // spreadsheet and chart.
        let t = Instant::now();
        let queued = jobs::tick(&config, &store, at("2024-09-19T17:00:00+07:00"), now)
            .await
            .expect("tick");
        tick_grace.push(t.elapsed());
        assert!(queued.iter().any(|n| n.kind.as_str() == "summary"));

        let t = Instant::now();
        jobs::tick(&config, &store, at("2024-09-19T17:01:00+07:00"), now)
            .await
            .expect("tick");
        tick_idle.push(t.elapsed());
        store.close().await;
    }
    println!("giaoban pipeline benchmark: {UNITS} units, 7 metrics, 3 cases each");
    report("collect: first pass (new revisions + cases)", first);
    report("collect: unchanged pass (hash equal)", unchanged);
    report("tick at the end of grace (alert + summary)", tick_grace);
    report("tick with nothing new", tick_idle);
}

fn main() {
    tracing_subscriber::fmt().with_env_filter("error").init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(bench());
}
