//! `[[meetings]]` and the tasks files they name (TOML, or an XLSX laid out
//! like a meeting's list: number, content, owner units, deadline).

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use calamine::{Data, DataType, Reader, Xlsx};
use chrono::{NaiveDateTime, NaiveTime};

use super::super::locate::{KeyPath, line_col, offset_of};
use super::super::raw::{RawMeeting, RawTask, RawTasksFile};
use super::V;
use crate::domain::briefing::{Measure, Meeting, MeetingWhen, TASK_REMIND_BEFORE, Task, TaskDue, parse_day};
use crate::domain::period::{Period, PeriodKind};
use crate::domain::regime::{Report, Unit};
use crate::domain::span::{Span, SpanUnit};
use crate::domain::text::normalize_header;

const INVITE_BEFORE: Span = Span {
    amount: 7,
    unit: SpanUnit::Days,
};
const PREPARE_BEFORE: Span = Span {
    amount: 3,
    unit: SpanUnit::Days,
};

fn period_kind(s: &str) -> Option<PeriodKind> {
    Some(match s {
        "week" => PeriodKind::Week,
        "month" => PeriodKind::Month,
        "quarter" => PeriodKind::Quarter,
        "half_year" => PeriodKind::HalfYear,
        "nine_months" => PeriodKind::NineMonths,
        "year" => PeriodKind::Year,
        _ => return None,
    })
}

const KINDS: &str = "week, month, quarter, half_year, nine_months, year";

/// Validates the meetings and reads their tasks files.
pub(super) fn meetings(
    v: &mut V,
    root: &KeyPath,
    raw: &[RawMeeting],
    base_dir: &Path,
    units: &[Unit],
    reports: &[Report],
) -> (Vec<Meeting>, Vec<Task>) {
    let mut meetings = Vec::new();
    let mut tasks: Vec<Task> = Vec::new();
    let mut ids = BTreeSet::new();
    let mut task_ids = BTreeSet::new();
    for (i, m) in raw.iter().enumerate() {
        let mp = root.key("meetings").index(i);
        if v.id(&mp.key("id"), "meeting", &m.id) && !ids.insert(m.id.clone()) {
            v.err(&mp.key("id"), format!("meeting id '{}' is used twice", m.id));
        }
        if m.title.trim().is_empty() {
            v.err(&mp.key("title"), "a meeting needs a title");
        }
        for (j, r) in m.reports.iter().enumerate() {
            if !reports.iter().any(|x| &x.id == r) {
                v.err(&mp.key("reports").index(j), format!("'{r}' is not a configured report"));
            }
        }
        let first_kind = m
            .reports
            .first()
            .and_then(|r| reports.iter().find(|x| &x.id == r))
            .map(|r| r.timing.period_kind);
        let when = match (&m.at, &m.every) {
            (Some(at), None) => {
                let at = NaiveDateTime::parse_from_str(at.trim(), "%Y-%m-%d %H:%M")
                    .map_err(|_| {
                        v.err(
                            &mp.key("at"),
                            format!("'{at}' is not a local date and time (expected \"YYYY-MM-DD HH:MM\")"),
                        )
                    })
                    .ok();
                let period = match (&m.period, first_kind) {
                    (Some(p), Some(kind)) => Period::parse_as(kind, p)
                        .map_err(|e| v.err(&mp.key("period"), e.to_string()))
                        .ok(),
                    (Some(p), None) => Period::parse(p)
                        .map_err(|e| v.err(&mp.key("period"), e.to_string()))
                        .ok(),
                    (None, _) => {
                        v.err(
                            &mp,
                            "a meeting with `at` needs the `period` it reviews (e.g. \"2024-9M\")",
                        );
                        None
                    }
                };
                at.zip(period).map(|(at, period)| MeetingWhen::Once { at, period })
            }
            (None, Some(every)) => {
                let kind = period_kind(every).or_else(|| {
                    v.err(&mp.key("every"), format!("'{every}' is not a period ({KINDS})"));
                    None
                });
                let day = match m.day {
                    Some(d) if (1..=31).contains(&d) => Some(d),
                    Some(d) => {
                        v.err(&mp.key("day"), format!("day {d} is not a day of the month (1–31)"));
                        None
                    }
                    None => {
                        v.err(
                            &mp,
                            "a recurring meeting needs `day`: the day of the month after the period",
                        );
                        None
                    }
                };
                let time = match &m.time {
                    Some(t) => v.time(&mp.key("time"), t),
                    None => NaiveTime::from_hms_opt(8, 0, 0),
                };
                match (kind, day, time) {
                    (Some(kind), Some(day), Some(time)) => Some(MeetingWhen::Every { kind, day, time }),
                    _ => None,
                }
            }
            _ => {
                v.err(
                    &mp,
                    "give `at` (with `period`) for one meeting, or `every` (with `day`) for a recurring one",
                );
                None
            }
        };
        if m.every.is_some() && m.period.is_some() {
            v.err(
                &mp.key("period"),
                "a recurring meeting reviews each period in turn: leave out `period`",
            );
        }
        let attendees = match &m.attendees {
            Some(list) => {
                for (j, u) in list.iter().enumerate() {
                    if !units.iter().any(|x| &x.id == u) {
                        v.err(&mp.key("attendees").index(j), format!("'{u}' is not a configured unit"));
                    }
                }
                list.clone()
            }
            None => units.iter().map(|u| u.id.clone()).collect(),
        };
        let invite_before = v
            .opt_span(&mp.key("invite_before"), m.invite_before.as_ref())
            .unwrap_or(INVITE_BEFORE);
        let prepare_before = v
            .opt_span(&mp.key("prepare_before"), m.prepare_before.as_ref())
            .unwrap_or(PREPARE_BEFORE);
        let Some(when) = when else { continue };
        let meeting = Meeting {
            id: m.id.clone(),
            title: m.title.trim().to_string(),
            when,
            roll_to_working_day: m.roll_to_working_day.unwrap_or(true),
            reports: m.reports.clone(),
            chair: m.chair.clone(),
            place: m.place.clone(),
            attendees,
            invite_before,
            prepare_before,
        };
        if let Some(file) = &m.tasks {
            let tp = mp.key("tasks");
            let path = {
                let p = PathBuf::from(file);
                if p.is_absolute() { p } else { base_dir.join(p) }
            };
            let standing_kind = match &meeting.when {
                MeetingWhen::Every { kind, .. } => Some(*kind),
                MeetingWhen::Once { period, .. } => Some(period.kind),
            };
            let set_on = match &meeting.when {
                MeetingWhen::Once { at, .. } => Some(at.date()),
                MeetingWhen::Every { .. } => None,
            };
            let ctx = TaskContext {
                meeting: &meeting,
                units,
                reports,
                file,
                standing_kind,
                set_on,
            };
            let read = match std::fs::read(&path) {
                Err(e) => Err(format!("cannot read tasks file {}: {e}", path.display())),
                Ok(bytes) if file.to_ascii_lowercase().ends_with(".xlsx") => tasks_from_xlsx(&ctx, &bytes),
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => tasks_from_toml(&ctx, &text),
                    Err(_) => Err(format!("tasks file {file} is not UTF-8 text")),
                },
            };
            match read {
                Ok(list) => {
                    for t in list {
                        if !task_ids.insert(t.id.clone()) {
                            v.err(&tp, format!("tasks file {file}: task id '{}' is used twice", t.id));
                        }
                        tasks.push(t);
                    }
                }
                Err(problems) => {
                    for p in problems.lines() {
                        v.err(&tp, p.to_string());
                    }
                }
            }
        }
        meetings.push(meeting);
    }
    (meetings, tasks)
}

struct TaskContext<'a> {
    meeting: &'a Meeting,
    units: &'a [Unit],
    reports: &'a [Report],
    file: &'a str,
    standing_kind: Option<PeriodKind>,
    set_on: Option<chrono::NaiveDate>,
}

impl TaskContext<'_> {
    fn is_measure(&self, key: &str) -> bool {
        self.reports
            .iter()
            .any(|r| r.metrics.iter().any(|m| m.key == key) || r.indicators.iter().any(|i| i.key == key))
    }
}

/// Reads a TOML tasks file; every problem is one line naming the file, the
/// line and the key.
fn tasks_from_toml(ctx: &TaskContext<'_>, text: &str) -> Result<Vec<Task>, String> {
    let file = ctx.file;
    let raw: RawTasksFile = toml::from_str(text).map_err(|e| {
        let (line, _) = line_col(text, e.span().map_or(0, |s| s.start));
        format!("tasks file {file}:{line}: {}", e.message().trim())
    })?;
    let mut problems = Vec::new();
    let mut at = |key: &str, msg: String| {
        let line = offset_of(text, &key_path(key)).map_or(0, |o| line_col(text, o).0);
        problems.push(format!("tasks file {file}:{line}: key `{key}`: {msg}"));
    };
    let default_remind = match raw.remind_before.as_deref().map(str::parse::<Span>) {
        None => TASK_REMIND_BEFORE,
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            at("remind_before", e.to_string());
            TASK_REMIND_BEFORE
        }
    };
    let mut out = Vec::new();
    for (i, t) in raw.tasks.iter().enumerate() {
        let k = |field: &str| format!("tasks[{i}].{field}");
        if let Some(task) = toml_task(ctx, t, default_remind, &mut |f, m| at(&k(f), m)) {
            out.push(task);
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.join("\n"))
    }
}

fn key_path(key: &str) -> KeyPath {
    // `tasks[2].due` → tasks, 2, due.
    let mut p = KeyPath::root();
    for part in key.split('.') {
        match part.split_once('[') {
            Some((name, idx)) => {
                p = p.key(name);
                if let Ok(n) = idx.trim_end_matches(']').parse() {
                    p = p.index(n);
                }
            }
            None => p = p.key(part),
        }
    }
    p
}

fn toml_task(
    ctx: &TaskContext<'_>,
    t: &RawTask,
    default_remind: Span,
    err: &mut dyn FnMut(&str, String),
) -> Option<Task> {
    let mut ok = true;
    let id_ok = !t.id.is_empty()
        && t.id.len() <= 64
        && t.id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        err(
            "id",
            format!("task id '{}' must be 1–64 characters of a-z, 0-9 and '-'", t.id),
        );
        ok = false;
    }
    if t.title.trim().is_empty() {
        err("title", "a task needs a title".into());
        ok = false;
    }
    let owners = match &t.owners {
        Some(list) => {
            for o in list {
                if !ctx.units.iter().any(|u| &u.id == o) {
                    err("owners", format!("'{o}' is not a configured unit"));
                    ok = false;
                }
            }
            list.clone()
        }
        None => ctx.meeting.attendees.clone(),
    };
    let due = match (&t.due, &t.every) {
        (Some(d), None) => match parse_day(d) {
            Some(d) => Some(TaskDue::On(d)),
            None => {
                err("due", format!("'{d}' is not a date (expected YYYY-MM-DD)"));
                None
            }
        },
        (None, Some(e)) => match period_kind(e) {
            Some(k) => Some(TaskDue::Every(k)),
            None => {
                err("every", format!("'{e}' is not a period ({KINDS})"));
                None
            }
        },
        _ => {
            err(
                "due",
                "give `due` (a date) or `every` (a period, for a standing task)".into(),
            );
            None
        }
    };
    let measure = t.measure.as_ref().and_then(|m| {
        if ctx.is_measure(&m.key) {
            Some(Measure {
                key: m.key.clone(),
                target: m.target,
            })
        } else {
            err(
                "measure.key",
                format!("'{}' is not a metric or indicator of a report", m.key),
            );
            None
        }
    });
    let remind_before = match t.remind_before.as_deref().map(str::parse::<Span>) {
        None => default_remind,
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            err("remind_before", e.to_string());
            default_remind
        }
    };
    if !ok {
        return None;
    }
    Some(Task {
        id: t.id.clone(),
        title: t.title.trim().to_string(),
        owners,
        due: due?,
        measure,
        meeting: Some(ctx.meeting.id.clone()),
        set_on: ctx.set_on,
        remind_before,
    })
}

/// Which column of a meeting's list a header names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    Number,
    Content,
    Owners,
    Due,
}

fn column_of(header: &str) -> Option<Col> {
    let h = normalize_header(header);
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if h == "stt" || h == "tt" || h == "#" || h == "no" || h == "no." || h == "số tt" {
        Some(Col::Number)
    } else if has(&["nội dung", "nhiệm vụ", "content", "task"]) {
        Some(Col::Content)
    } else if has(&["đơn vị", "chủ trì", "thực hiện", "owner", "unit"]) {
        Some(Col::Owners)
    } else if has(&["thời hạn", "hạn", "deadline", "due"]) {
        Some(Col::Due)
    } else {
        None
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::String(s) => s.trim().to_string(),
        _ => String::new(),
    }
}

/// Reads the first sheet of an XLSX list: a header row with (at least)
/// content, owner units and deadline columns, then one task per row. Task ids
/// are `{meeting}-{number}`. Owners are unit ids or names, separated by `,`,
/// `;` or line breaks, or "tất cả"/"all" for every attendee; a deadline is a
/// date, `DD/MM/YYYY`, or "thường xuyên"/"hằng kỳ" (each period of the meeting).
fn tasks_from_xlsx(ctx: &TaskContext<'_>, bytes: &[u8]) -> Result<Vec<Task>, String> {
    let file = ctx.file;
    let mut book =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("tasks file {file}: not a readable XLSX ({e})"))?;
    let Some(sheet) = book.sheet_names().first().cloned() else {
        return Err(format!("tasks file {file}: no sheet"));
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| format!("tasks file {file}: {e}"))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let rows: Vec<&[Data]> = range.rows().collect();
    let Some((header_at, columns)) = rows.iter().enumerate().find_map(|(i, row)| {
        let cols: Vec<Option<Col>> = row.iter().map(|c| column_of(&cell_text(c))).collect();
        let has = |c: Col| cols.contains(&Some(c));
        (has(Col::Content) && has(Col::Owners) && has(Col::Due)).then_some((i, cols))
    }) else {
        return Err(format!(
            "tasks file {file}: no header row with the columns Nội dung, Đơn vị thực hiện and Thời hạn"
        ));
    };
    let col = |c: Col| columns.iter().position(|x| *x == Some(c));
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(header_at + 1) {
        let line = first_row + i + 1;
        let get = |c: Col| col(c).and_then(|j| row.get(j));
        let content = get(Col::Content).map(cell_text).unwrap_or_default();
        if content.is_empty() {
            continue;
        }
        let number = get(Col::Number)
            .map(cell_text)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| (out.len() + 1).to_string());
        let id = format!("{}-{}", ctx.meeting.id, number.to_lowercase().replace(['.', ' '], "-"));
        let owners_text = get(Col::Owners).map(cell_text).unwrap_or_default();
        let mut owners = Vec::new();
        for part in owners_text
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let norm = normalize_header(part);
            if ["tất cả", "all", "các đơn vị", "các tổ công tác"].contains(&norm.as_str()) {
                owners.extend(ctx.meeting.attendees.iter().cloned());
            } else if let Some(u) = ctx
                .units
                .iter()
                .find(|u| u.id == part || normalize_header(&u.name) == norm)
            {
                owners.push(u.id.clone());
            } else {
                problems.push(format!(
                    "tasks file {file}: row {line}: '{part}' is not a unit id or name"
                ));
            }
        }
        if owners_text.trim().is_empty() {
            owners = ctx.meeting.attendees.clone();
        }
        owners.dedup();
        let due_cell = get(Col::Due);
        let due_text = due_cell.map(cell_text).unwrap_or_default();
        let standing = ["thường xuyên", "hằng kỳ", "hàng kỳ", "each period", "ongoing"];
        let due = if let Some(d) = due_cell.and_then(|c| c.as_datetime()) {
            Some(TaskDue::On(d.date()))
        } else if let Some(d) = parse_day(&due_text) {
            Some(TaskDue::On(d))
        } else if standing.contains(&normalize_header(&due_text).as_str()) {
            ctx.standing_kind.map(TaskDue::Every)
        } else {
            None
        };
        let Some(due) = due else {
            problems.push(format!(
                "tasks file {file}: row {line}: deadline '{due_text}' is not a date (DD/MM/YYYY) or \"thường xuyên\""
            ));
            continue;
        };
        out.push(Task {
            id,
            title: content,
            owners,
            due,
            measure: None,
            meeting: Some(ctx.meeting.id.clone()),
            set_on: ctx.set_on,
            remind_before: TASK_REMIND_BEFORE,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.join("\n"))
    }
}
