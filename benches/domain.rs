//! Criterion benchmarks of the pure domain functions a tick, a view and a
//! message spend their time in, at national scale: 10,000 units, 100,000
//! cases. `cargo bench --bench domain` (release build).

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use giaoban::config::Config;
use giaoban::domain::case::{Case, CaseState, count_by_unit, evaluate_all};
use giaoban::domain::deadline::deadlines;
use giaoban::domain::plan::{PeriodInput, period_status, plan_period};
use giaoban::domain::render;
use giaoban::domain::status::{Revision, UnitFacts};
use giaoban::domain::summary;

const UNITS: usize = 10_000;
const CASES_PER_UNIT: usize = 10;

fn config() -> (tempfile::TempDir, Config) {
    let mut s = String::from(
        r#"timezone = "Asia/Ho_Chi_Minh"
[storage]
url = "sqlite://giaoban.db"
[[case_rules]]
kind = "khieu_nai_lan_1"
label = "Khiếu nại lần đầu"
accept_within = "10d"
resolve_within = "30d"
"#,
    );
    for i in 0..UNITS {
        s.push_str(&format!(
            "[[units]]\nid = \"u{i:05}\"\nname = \"Xã số {i}\"\n[units.source]\nkind = \"file\"\npath = \"data/{{unit}}.json\"\n"
        ));
    }
    s.push_str(
        "[[reports]]\nid = \"9m\"\ntitle = \"Báo cáo giao ban 9 tháng\"\nperiod = \"nine_months\"\ncutoff_day = 14\ndue = { day = 18, time = \"17:00\" }\ngrace = \"1wd\"\nremind_before = [\"3d\", \"1d\"]\n",
    );
    for k in ["a", "b", "c", "d", "e", "f", "g"] {
        s.push_str(&format!(
            "[[reports.metrics]]\nkey = \"m_{k}\"\nlabel = \"Chỉ tiêu {k}\"\n"
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("giaoban.toml");
    std::fs::write(&path, s).expect("config");
    let config = Config::load(&path).expect("valid config");
    (dir, config)
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
}

fn cases() -> Vec<Case> {
    let day = |d: u32| NaiveDate::from_ymd_opt(2024, 7, d).expect("date");
    (0..UNITS)
        .flat_map(|i| {
            (0..CASES_PER_UNIT).map(move |c| Case {
                unit: format!("u{i:05}"),
                reference: format!("KN-{i}-{c}"),
                kind: "khieu_nai_lan_1".into(),
                received_on: day(1 + (c % 9) as u32),
                accepted_on: Some(day(10 + (c % 9) as u32)),
                complex: false,
                extensions: 0,
                resolved: false,
                resolved_on: None,
            })
        })
        .collect()
}

fn facts() -> Vec<UnitFacts> {
    (0..UNITS)
        .filter(|i| i % 10 != 0)
        .map(|i| UnitFacts {
            unit: format!("u{i:05}"),
            revisions: vec![Revision {
                revision: 1,
                submitted_at: at("2024-09-17T09:00:00+07:00"),
                metrics: ["m_a", "m_b", "m_c", "m_d", "m_e", "m_f", "m_g"]
                    .iter()
                    .map(|k| ((*k).to_string(), i as i64))
                    .collect::<BTreeMap<_, _>>(),
            }],
            rejections: vec![],
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let (_dir, config) = config();
    let regime = &config.regime;
    let report = &regime.reports[0];
    let period = "2024-9M".parse().expect("period");
    let now = at("2024-09-19T18:00:00+07:00");
    let today = NaiveDate::from_ymd_opt(2024, 9, 19).expect("date");
    let cases = cases();
    let facts = facts();
    let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);

    c.bench_function("evaluate_all: 100,000 cases", |b| {
        b.iter(|| black_box(evaluate_all(regime, &cases, today).len()))
    });
    c.bench_function("period_status: 10,000 units", |b| {
        b.iter(|| black_box(period_status(regime, report, period, &facts, &d).len()))
    });
    let input = PeriodInput {
        report,
        period,
        facts: facts.clone(),
        past: vec![],
    };
    c.bench_function("plan_period: late alert over 1,000 of 10,000 units", |b| {
        b.iter(|| black_box(plan_period(regime, &input, now).len()))
    });
    let lines = evaluate_all(regime, &cases, today);
    c.bench_function("case_digest: 100,000 cases in 10,000 units", |b| {
        b.iter(|| black_box(render::case_digest(regime, &lines, &[], now).len()))
    });
    let statuses = period_status(regime, report, period, &facts, &d);
    let overdue = count_by_unit(&lines, |st| st == CaseState::Overdue);
    c.bench_function("summary build + message: 10,000 units", |b| {
        b.iter(|| {
            let s = summary::build(report, &d, &statuses, &overdue, None, None, now);
            black_box(render::summary_message(regime, report, &s).len())
        })
    });
}

criterion_group! {
    name = domain;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(domain);
