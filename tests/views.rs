//! The shared status view (`giaoban status` in a terminal, `/status` on a
//! phone): one function, two widths, labels instead of keys.

use std::collections::BTreeMap;

use giaoban::domain::deadline::deadlines;
use giaoban::domain::period::Period;
use giaoban::domain::regime::Regime;
use giaoban::domain::status::UnitState;
use giaoban::domain::views::{PHONE_WIDTH, TERMINAL_WIDTH, UnitRow, status};

fn regime() -> Regime {
    let mut toml = String::from(
        r#"
[[units]]
id = "a"
name = "Ủy ban nhân dân phường Tân Ninh thuộc tỉnh Tây Ninh"
[[units]]
id = "b"
name = "Xã Hòa Hội"
[[reports]]
id = "9m"
title = "Báo cáo giao ban 9 tháng"
period = "nine_months"
due = { day = 18, time = "17:00" }
"#,
    );
    for k in ["a", "b", "c", "d", "e", "f", "g"] {
        toml.push_str(&format!(
            "[[reports.metrics]]\nkey = \"m_{k}\"\nlabel = \"Chỉ tiêu {k} rất dài\"\n"
        ));
    }
    giaoban::config::Config::from_text(std::path::Path::new("t.toml"), &toml, None)
        .expect("config")
        .regime
}

#[test]
fn the_same_view_fits_a_terminal_and_a_phone_with_labels_not_keys() {
    let regime = regime();
    let report = &regime.reports[0];
    let period = Period::parse("2024-9M").expect("period");
    let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
    let figures: BTreeMap<String, i64> = ["m_a", "m_b", "m_c", "m_d", "m_e", "m_f", "m_g"]
        .iter()
        .map(|k| (k.to_string(), 1_234_567))
        .collect();
    let rows = vec![
        UnitRow {
            name: &regime.units[0].name,
            state: UnitState::OnTime,
            received_at: Some(d.due - chrono::Duration::hours(30)),
            revisions: 2,
            metrics: Some(&figures),
            cases_open: 3,
            cases_overdue: 1,
        },
        UnitRow {
            name: &regime.units[1].name,
            state: UnitState::Missing,
            received_at: None,
            revisions: 0,
            metrics: None,
            cases_open: 0,
            cases_overdue: 0,
        },
    ];
    for width in [TERMINAL_WIDTH, PHONE_WIDTH] {
        let view = status(&regime, report, &d, d.due, &rows, width);
        let block = view
            .split("<pre>")
            .nth(1)
            .and_then(|b| b.split("</pre>").next())
            .expect("table");
        for line in block.lines() {
            assert!(line.chars().count() <= width, "{width}: {line}");
        }
        assert!(!view.contains("m_a"), "no metric key: {view}");
        assert!(view.contains("chưa gửi") && view.contains("đúng hạn"), "{view}");
    }
    let wide = status(&regime, report, &d, d.due, &rows, TERMINAL_WIDTH);
    assert!(
        wide.contains("(1) Chỉ tiêu a rất dài"),
        "the legend names the figures: {wide}"
    );
    assert!(
        wide.contains("1.234.567") && wide.contains("17/09/2024 11:00"),
        "{wide}"
    );
    assert!(wide.contains("chỉ tiêu khác"), "what did not fit is said: {wide}");
    let narrow = status(&regime, report, &d, d.due, &rows, PHONE_WIDTH);
    assert!(!narrow.contains("(1)"), "{narrow}");
    assert!(narrow.contains("Ủy ban nhân dân phường"), "{narrow}");
}
