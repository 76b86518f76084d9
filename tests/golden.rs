//! The exact text of every notice kind, in Vietnamese and in English, from
//! fixed facts. The expected texts live in `tests/golden/KIND.LANG.txt` so a
//! reviewer reads all the wording of one language at once; after an intended
//! change, `GOLDEN_UPDATE=1 cargo test --test golden` rewrites them (then read
//! the diff).

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use giaoban::config::Config;
use giaoban::domain::case::{Case, CaseState, count_by_unit, evaluate_all};
use giaoban::domain::deadline::deadlines;
use giaoban::domain::period::Period;
use giaoban::domain::plan::period_status;
use giaoban::domain::render;
use giaoban::domain::status::{Rejection, Revision, UnitFacts};
use giaoban::domain::summary;
use support::OFFICE;

fn config(lang: &str) -> Config {
    config_from(&OFFICE.replacen("language = \"vi\"", &format!("language = \"{lang}\""), 1))
}

fn config_from(text: &str) -> Config {
    Config::from_text(Path::new("/nonexistent/giaoban.toml"), text, None).expect("config")
}

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("time")
        .with_timezone(&Utc)
}

fn revision(at: DateTime<Utc>, accepted: i64, resolved: i64) -> Revision {
    Revision {
        revision: 1,
        submitted_at: at,
        metrics: BTreeMap::from([
            ("cases_accepted".to_string(), accepted),
            ("cases_resolved".to_string(), resolved),
        ]),
    }
}

/// An-phu on time, binh-minh 1 day 16 hours late, cai-be nothing.
fn facts() -> Vec<UnitFacts> {
    vec![
        UnitFacts {
            unit: "an-phu".into(),
            revisions: vec![revision(local(2024, 9, 16, 10, 0), 5000, 4200)],
            rejections: vec![],
        },
        UnitFacts {
            unit: "binh-minh".into(),
            revisions: vec![revision(local(2024, 9, 20, 9, 30), 3651, 2987)],
            rejections: vec![],
        },
    ]
}

fn case(unit: &str, reference: &str, received: (u32, u32), accepted: (u32, u32)) -> Case {
    let d = |(m, day): (u32, u32)| NaiveDate::from_ymd_opt(2024, m, day).expect("date");
    Case {
        unit: unit.into(),
        reference: reference.into(),
        kind: "khieu_nai_lan_1".into(),
        received_on: d(received),
        accepted_on: Some(d(accepted)),
        complex: false,
        extensions: 0,
        resolved: false,
        resolved_on: None,
    }
}

/// Every kind's text for one language, in a fixed order.
fn texts(lang: &str) -> Vec<(&'static str, String)> {
    let config = config(lang);
    let regime = &config.regime;
    let report = regime.report("9m").expect("9m");
    let period = Period::parse("2024-9M").expect("period");
    let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
    let all = facts();
    let statuses = period_status(regime, report, period, &all, &d);
    let missing: Vec<_> = statuses.iter().filter(|s| s.facts.is_none()).collect();
    let total = statuses.len();
    let mut out = Vec::new();

    let none: Vec<UnitFacts> = vec![];
    let before = period_status(regime, report, period, &none, &d);
    let all_missing: Vec<_> = before.iter().collect();
    out.push(("reminder", render::reminder(regime, report, &d, &all_missing, total)));
    out.push(("late", render::late(regime, report, &d, &missing, total)));
    out.push((
        "urge",
        render::urge(regime, report, &d, &missing, total, 1, 2, local(2024, 9, 20, 9, 0)),
    ));
    let late_ones: Vec<_> = statuses.iter().filter(|s| s.unit.id == "binh-minh").collect();
    out.push(("received_late", render::received_late(regime, report, &d, &late_ones)));
    let cai_be = regime.unit("cai-be").expect("unit");
    let rejected = Rejection {
        submitted_at: local(2024, 9, 17, 8, 0),
        error: "Số vụ giải quyết lớn hơn số vụ thụ lý".into(),
    };
    out.push((
        "invalid",
        render::invalid(regime, report, period, &[(cai_be, rejected.error.as_str())]),
    ));

    let cases = vec![
        case("an-phu", "KN-2024-031", (7, 2), (7, 10)),
        case("an-phu", "KN-2024-040", (8, 1), (8, 5)),
        case("binh-minh", "KN-2024-052", (8, 12), (8, 22)),
    ];
    let today = NaiveDate::from_ymd_opt(2024, 9, 19).expect("date");
    let lines = evaluate_all(regime, &cases, today);
    let at = local(2024, 9, 25, 9, 0);
    let s = summary::build(
        report,
        &d,
        &statuses,
        &count_by_unit(&lines, |st| st == CaseState::Overdue),
        None,
        None,
        at,
    );
    out.push(("summary", render::summary(regime, report, &s)));
    let nobody = summary::build(report, &d, &before, &Default::default(), None, None, at);
    out.push(("summary_nobody", render::summary(regime, report, &nobody)));
    out.push((
        "case_digest",
        render::case_digest(regime, &lines, &["an-phu#KN-2024-040".into()], local(2024, 9, 19, 8, 0)),
    ));
    out.push((
        "case_digest_empty",
        render::case_digest(regime, &[], &[], local(2024, 9, 19, 8, 0)),
    ));
    out.push((
        "config_error",
        render::config_error(regime, "giaoban.toml:31:8: key `schedule.tick`: cron never fires"),
    ));
    out.push((
        "chat_migrated",
        render::chat_migrated(regime.language, -4512345, -1004512345, &[111111111]),
    ));
    out
}

/// The office's report with seven more figures: too wide for a phone as a table.
fn wide_summary() -> String {
    let extra: String = (1..=7)
        .map(|i| format!("[[reports.metrics]]\nkey = \"extra_{i}\"\nlabel = \"Chỉ tiêu {i}\"\nrequired = false\n\n"))
        .collect();
    let config = config_from(&OFFICE.replacen("[[reports.rules]]", &format!("{extra}[[reports.rules]]"), 1));
    let regime = &config.regime;
    let report = regime.report("9m").expect("9m");
    let period = Period::parse("2024-9M").expect("period");
    let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
    let mut all = facts();
    all[0].revisions[0].metrics.insert("extra_3".into(), 1_234_567);
    let statuses = period_status(regime, report, period, &all, &d);
    let s = summary::build(
        report,
        &d,
        &statuses,
        &Default::default(),
        None,
        None,
        local(2024, 9, 25, 9, 0),
    );
    render::summary(regime, report, &s)
}

#[test]
fn a_summary_too_wide_for_a_phone_lists_each_unit_as_a_card_within_the_width() {
    let text = wide_summary();
    let block = text
        .split("<pre>")
        .nth(1)
        .and_then(|b| b.split("</pre>").next())
        .expect("a monospace block");
    for line in block.lines() {
        assert!(
            line.chars().count() <= render::PHONE_COLUMNS,
            "{} characters: {line}",
            line.chars().count()
        );
    }
    assert!(block.contains("Huyện An Phú · đúng"), "{block}");
    assert!(block.contains("(5) 1.234.567"), "{block}");
    assert!(block.contains("(10) 84,0%"), "{block}");
    assert!(block.contains("Toàn tỉnh\n"), "{block}");
    golden("summary_wide.vi", &text);
}

fn golden(name: &str, text: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.txt"));
    if std::env::var_os("GOLDEN_UPDATE").is_some() {
        std::fs::write(&file, format!("{text}\n")).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(
        expected.strip_suffix('\n').unwrap_or(&expected),
        text,
        "{}",
        file.display()
    );
}

fn check(lang: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("GOLDEN_UPDATE").is_some();
    let mut wrong = Vec::new();
    for (kind, text) in texts(lang) {
        let file = dir.join(format!("{kind}.{lang}.txt"));
        if update {
            std::fs::write(&file, format!("{text}\n")).expect("write golden");
            continue;
        }
        let expected = std::fs::read_to_string(&file).unwrap_or_default();
        if expected.strip_suffix('\n').unwrap_or(&expected) != text {
            wrong.push(format!("--- {}\n{expected}\n+++ got\n{text}\n", file.display()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_notice_kind_reads_as_written_in_vietnamese() {
    check("vi");
}

#[test]
fn every_notice_kind_reads_as_written_in_english() {
    check("en");
}
