//! What `giaoban meetings` and `giaoban tasks` print.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::briefing::state_word;
use crate::domain::text;
use crate::jobs::briefing::{MeetingRow, TaskRow};

fn names(config: &Config, ids: &[String]) -> String {
    if crate::domain::briefing::is_every_unit(&config.regime, ids) {
        return if config.regime.language.is_english() {
            format!("all {} units", ids.len())
        } else {
            format!("tất cả {} đơn vị", ids.len())
        };
    }
    ids.iter()
        .map(|id| config.regime.unit(id).map_or(id.clone(), |u| u.name.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `check`'s lines on the briefing cycle: the task digest's schedule, each
/// meeting's next sittings, and how many tasks its file holds.
pub fn describe(config: &Config, now: DateTime<Utc>) -> String {
    let r = &config.regime;
    let tz = r.timezone;
    let mut o = String::new();
    if let Some(c) = &config.task_digest {
        let next: Vec<String> = c
            .next_times(&now.with_timezone(&tz), 3)
            .iter()
            .map(|t| t.format("%a %d/%m/%Y %H:%M:%S").to_string())
            .collect();
        let _ = writeln!(o, "  task_digest \"{}\": next {}", c.expr, next.join(", "));
    }
    let _ = writeln!(
        o,
        "
meetings ({}):",
        config.meetings.len()
    );
    let today = now.with_timezone(&tz).date_naive();
    for m in &config.meetings {
        let tasks = config
            .tasks
            .iter()
            .filter(|t| t.meeting.as_deref() == Some(&m.id))
            .count();
        let when: Vec<String> = crate::domain::briefing::sittings(m, today, &tz, &r.calendar)
            .iter()
            .map(|s| {
                let mut w = format!("{} {}", s.period, s.at.with_timezone(&tz).format("%d/%m/%Y %H:%M"));
                if let Some(from) = s.moved_from {
                    w.push_str(&format!(" (moved from {})", text::date(from)));
                }
                w
            })
            .collect();
        let _ = writeln!(
            o,
            "  {}: {}; reviews [{}]; {} attendees; {tasks} tasks",
            m.id,
            when.join(", "),
            m.reports.join(", "),
            m.attendees.len()
        );
    }
    o
}

/// The meetings with their date, place and what was sent for each.
pub fn meetings_table(config: &Config, rows: &[MeetingRow]) -> String {
    let r = &config.regime;
    let en = r.language.is_english();
    let local = |t: DateTime<Utc>| text::time_and_date(&t.with_timezone(&r.timezone), r.language);
    let mut o = String::new();
    if rows.is_empty() {
        let _ = writeln!(
            o,
            "{}",
            if en {
                "No meetings configured."
            } else {
                "Chưa có lịch họp."
            }
        );
    }
    for m in rows {
        let _ = writeln!(o, "{} ({}) — {}", m.title, m.period, local(m.at));
        if let Some(from) = m.moved_from {
            let _ = writeln!(
                o,
                "  {} {}",
                if en { "moved from" } else { "lùi từ ngày" },
                text::date(from)
            );
        }
        if let Some(p) = &m.place {
            let _ = writeln!(o, "  {}: {p}", if en { "place" } else { "địa điểm" });
        }
        if let Some(c) = &m.chair {
            let _ = writeln!(o, "  {}: {c}", if en { "chair" } else { "chủ trì" });
        }
        let _ = writeln!(
            o,
            "  {}: {}",
            if en { "attendees" } else { "thành phần" },
            names(config, &m.attendees)
        );
        let _ = writeln!(
            o,
            "  {} {}; {} {}",
            if en { "invitation from" } else { "giấy mời từ" },
            local(m.invitation_at),
            if en { "pre-read from" } else { "tài liệu từ" },
            local(m.pre_read_at)
        );
        for s in &m.sent {
            let when = s.sent_at.map_or_else(String::new, |t| format!(" {}", local(t)));
            let _ = writeln!(o, "  {} {}: {}{when}", s.kind, s.key, s.state);
        }
    }
    o
}

/// The tasks with owners, deadline and state.
pub fn tasks_table(config: &Config, rows: &[TaskRow], at: DateTime<Utc>) -> String {
    let r = &config.regime;
    let en = r.language.is_english();
    let mut o = String::new();
    let at_text = text::time_and_date(&at.with_timezone(&r.timezone), r.language);
    let _ = writeln!(
        o,
        "{} {at_text}: {}",
        if en {
            "Key tasks as of"
        } else {
            "Nhiệm vụ trọng tâm, tình hình lúc"
        },
        rows.len()
    );
    let mut table: Vec<Vec<String>> = vec![
        if en {
            ["Id", "Task", "Owners", "Due", "State"]
        } else {
            ["Mã", "Nhiệm vụ", "Đơn vị thực hiện", "Hạn", "Tình trạng"]
        }
        .into_iter()
        .map(String::from)
        .collect(),
    ];
    for t in rows {
        let mut state = state_word(t.state, en).to_string();
        if t.days_overdue > 0 {
            state.push_str(&format!(" {} {}", t.days_overdue, if en { "days" } else { "ngày" }));
        }
        let title: String = t.title.chars().take(60).collect();
        table.push(vec![
            t.id.clone(),
            title,
            names(config, &t.owners),
            text::date(t.due),
            state,
        ]);
    }
    for line in text::align_columns(&table, usize::MAX) {
        let _ = writeln!(o, "{line}");
    }
    o
}
