//! The briefing cycle (hội nghị giao ban): meetings with their invitation,
//! pre-read and morning reminder; the meeting's resolutions as tasks with
//! owners, deadlines and progress; and the planning of their notices. Pure:
//! dates come rolled off holidays through the calendar, states from `now`.

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use super::calendar::WorkCalendar;
use super::period::{Period, PeriodKind};
use super::plan::{FIRING_CURRENT_FOR, Notice, NoticeKind, PastNotice, hold};
use super::regime::Regime;
use super::span::{Span, SpanUnit};
use super::text::{self, escape_html};

/// When a meeting is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeetingWhen {
    /// Once, at a local date-time, reviewing one period.
    Once { at: NaiveDateTime, period: Period },
    /// For every period of `kind`: on day `day` of the month after the
    /// period's last month, at `time`.
    Every {
        kind: PeriodKind,
        day: u32,
        time: NaiveTime,
    },
}

/// A briefing meeting as configured (`[[meetings]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    pub id: String,
    pub title: String,
    pub when: MeetingWhen,
    /// A date on a holiday or weekend moves to the next working day.
    pub roll_to_working_day: bool,
    /// The reports it reviews.
    pub reports: Vec<String>,
    pub chair: Option<String>,
    pub place: Option<String>,
    /// Unit ids that must attend.
    pub attendees: Vec<String>,
    /// The invitation goes out this long before the meeting.
    pub invite_before: Span,
    /// The pre-read goes out this long before the meeting.
    pub prepare_before: Span,
}

/// One sitting of a meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct Sitting<'a> {
    pub meeting: &'a Meeting,
    /// The period it reviews.
    pub period: Period,
    pub at: DateTime<Utc>,
    /// The date before rolling, when it was moved off a non-working day.
    pub moved_from: Option<NaiveDate>,
}

impl Sitting<'_> {
    /// `{meeting}:{period}`: what keys and lists name a sitting by.
    pub fn key(&self) -> String {
        format!("{}:{}", self.meeting.id, self.period)
    }
}

fn to_utc<Tz: TimeZone>(tz: &Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => tz
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc)),
    }
}

fn sitting<'a, Tz: TimeZone>(
    meeting: &'a Meeting,
    period: Period,
    at: NaiveDateTime,
    tz: &Tz,
    cal: &WorkCalendar,
) -> Sitting<'a> {
    let day = if meeting.roll_to_working_day {
        cal.roll_forward(at.date())
    } else {
        at.date()
    };
    Sitting {
        meeting,
        period,
        at: to_utc(tz, NaiveDateTime::new(day, at.time())),
        moved_from: (day != at.date()).then_some(at.date()),
    }
}

/// The sitting of `meeting` for `period` (for a recurring meeting), if its date exists.
fn recurring<'a, Tz: TimeZone>(
    meeting: &'a Meeting,
    period: Period,
    day: u32,
    time: NaiveTime,
    tz: &Tz,
    cal: &WorkCalendar,
) -> Option<Sitting<'a>> {
    let (y, m) = period.last_month();
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    // A day past the month's end is its last day.
    let date = (0..4)
        .filter_map(|back| NaiveDate::from_ymd_opt(y, m, day.saturating_sub(back)))
        .next()
        .unwrap_or(first);
    Some(sitting(meeting, period, NaiveDateTime::new(date, time), tz, cal))
}

/// The sittings of `meeting` near `today`: the one sitting of a one-off
/// meeting; for a recurring one, those of the two periods before the one
/// containing `today`, that one and the next, oldest first.
pub fn sittings<'a, Tz: TimeZone>(
    meeting: &'a Meeting,
    today: NaiveDate,
    tz: &Tz,
    cal: &WorkCalendar,
) -> Vec<Sitting<'a>> {
    match &meeting.when {
        MeetingWhen::Once { at, period } => vec![sitting(meeting, *period, *at, tz, cal)],
        MeetingWhen::Every { kind, day, time } => {
            let now = Period::containing(*kind, today);
            [now.prev().prev(), now.prev(), now, now.next()]
                .into_iter()
                .filter_map(|p| recurring(meeting, p, *day, *time, tz, cal))
                .collect()
        }
    }
}

/// When a task falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskDue {
    /// By the end of this day.
    On(NaiveDate),
    /// A standing task: every period of this kind, by its last day.
    Every(PeriodKind),
}

/// A figure that tells how a task is going, with the value it should reach.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// A metric or indicator key of a report.
    pub key: String,
    pub target: Option<f64>,
}

/// A key task (nhiệm vụ trọng tâm): a meeting's resolution, or one an admin
/// added in the chat.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub title: String,
    /// Unit ids.
    pub owners: Vec<String>,
    pub due: TaskDue,
    pub measure: Option<Measure>,
    /// The meeting that set it (`None` for a task from the chat).
    pub meeting: Option<String>,
    /// From when it exists: the meeting's date, or when it was added.
    pub set_on: Option<NaiveDate>,
    /// Owners are reminded this long before the deadline.
    pub remind_before: Span,
}

/// The default lead time of a task reminder.
pub const TASK_REMIND_BEFORE: Span = Span {
    amount: 3,
    unit: SpanUnit::Days,
};

/// What an owner says about a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressStatus {
    Done,
    InProgress,
}

impl ProgressStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressStatus::Done => "done",
            ProgressStatus::InProgress => "in_progress",
        }
    }

    pub fn parse(s: &str) -> Option<ProgressStatus> {
        match s {
            "done" => Some(ProgressStatus::Done),
            "in_progress" => Some(ProgressStatus::InProgress),
            _ => None,
        }
    }
}

/// One progress report on a task.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub task: String,
    /// The owner unit that reported; `None` for the secretariat (an admin),
    /// whose word counts for every owner.
    pub unit: Option<String>,
    pub status: ProgressStatus,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// A task's state at an instant (`giaoban tasks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Overdue,
    DueSoon,
    Open,
    DoneLate,
    Done,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::DueSoon => "due_soon",
            TaskState::Overdue => "overdue",
            TaskState::Done => "done",
            TaskState::DoneLate => "done_late",
        }
    }

    pub fn is_done(self) -> bool {
        matches!(self, TaskState::Done | TaskState::DoneLate)
    }
}

/// A task with its state at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskLine<'a> {
    pub task: &'a Task,
    pub state: TaskState,
    /// The deadline that applies now (for a standing task, the current period's last day).
    pub due: NaiveDate,
    /// Days past `due` (0 unless overdue).
    pub days_overdue: i64,
    /// The owners that have not reported it done.
    pub pending_owners: Vec<String>,
    /// The latest progress note, if any.
    pub last_note: Option<String>,
}

/// The day from which a task is due soon.
fn due_soon_from(due: NaiveDate, span: Span, cal: &WorkCalendar) -> NaiveDate {
    match span.unit {
        SpanUnit::Days => due - Days::new(u64::from(span.amount)),
        SpanUnit::WorkingDays => cal.sub_working_days(due, span.amount),
        SpanUnit::Hours => due - Days::new(u64::from(span.amount.div_ceil(24))),
        SpanUnit::Minutes => due - Days::new(u64::from(span.amount.div_ceil(24 * 60))),
    }
}

/// The state of `task` at `now` given every progress report on it; reports
/// after `now` do not count. A task with several owners is done when each of
/// them (or the secretariat) has reported it done; its date is the last of those.
pub fn task_line<'a>(
    task: &'a Task,
    progress: &[Progress],
    tz: &chrono_tz::Tz,
    cal: &WorkCalendar,
    now: DateTime<Utc>,
) -> TaskLine<'a> {
    let today = now.with_timezone(tz).date_naive();
    let (due, since) = match task.due {
        TaskDue::On(d) => (d, None),
        TaskDue::Every(kind) => {
            let p = Period::containing(kind, today);
            (p.last_day(), Some(p.first_day()))
        }
    };
    let day_of = |p: &Progress| p.at.with_timezone(tz).date_naive();
    let mine: Vec<&Progress> = progress
        .iter()
        .filter(|p| p.task == task.id && p.at <= now && since.is_none_or(|s| day_of(p) >= s))
        .collect();
    let latest = |unit: Option<&str>| {
        mine.iter()
            .filter(|p| p.unit.as_deref() == unit)
            .max_by_key(|p| p.at)
            .copied()
    };
    let secretariat = latest(None).filter(|p| p.status == ProgressStatus::Done);
    let mut done_on: Option<NaiveDate> = secretariat.map(day_of);
    let mut pending_owners = Vec::new();
    if secretariat.is_none() {
        for owner in &task.owners {
            match latest(Some(owner)) {
                Some(p) if p.status == ProgressStatus::Done => {
                    done_on = done_on.max(Some(day_of(p)));
                }
                _ => pending_owners.push(owner.clone()),
            }
        }
        if !pending_owners.is_empty() || task.owners.is_empty() {
            done_on = None;
        }
    }
    let last_note = mine
        .iter()
        .filter(|p| p.note.is_some())
        .max_by_key(|p| p.at)
        .and_then(|p| p.note.clone());
    let (state, days_overdue) = match done_on {
        Some(d) if d <= due => (TaskState::Done, 0),
        Some(_) => (TaskState::DoneLate, 0),
        None if today > due => (TaskState::Overdue, (today - due).num_days()),
        None if today >= due_soon_from(due, task.remind_before, cal) => (TaskState::DueSoon, 0),
        None => (TaskState::Open, 0),
    };
    TaskLine {
        task,
        state,
        due,
        days_overdue,
        pending_owners,
        last_note,
    }
}

/// Every task's line at `now`: overdue first (most overdue first), then due
/// soon, open and done, each by deadline.
pub fn task_lines<'a>(
    tasks: &'a [Task],
    progress: &[Progress],
    tz: &chrono_tz::Tz,
    cal: &WorkCalendar,
    now: DateTime<Utc>,
) -> Vec<TaskLine<'a>> {
    let mut lines: Vec<TaskLine<'a>> = tasks.iter().map(|t| task_line(t, progress, tz, cal, now)).collect();
    lines.sort_by(|a, b| {
        a.state
            .cmp(&b.state)
            .then(b.days_overdue.cmp(&a.days_overdue))
            .then(a.due.cmp(&b.due))
    });
    lines
}

fn en(regime: &Regime) -> bool {
    regime.language.is_english()
}

/// Every configured unit, in any order, and more than three of them.
pub fn is_every_unit(regime: &Regime, ids: &[String]) -> bool {
    ids.len() > 3 && ids.len() == regime.units.len() && regime.units.iter().all(|u| ids.contains(&u.id))
}

/// Unit names joined by `, `, with their contacts when asked; without
/// contacts, every unit reads `tất cả 8 đơn vị` (`all 8 units`).
fn unit_names(regime: &Regime, ids: &[String], contacts: bool) -> String {
    if !contacts && is_every_unit(regime, ids) {
        return if en(regime) {
            format!("all {} units", ids.len())
        } else {
            format!("tất cả {} đơn vị", ids.len())
        };
    }
    ids.iter()
        .map(|id| match regime.unit(id) {
            Some(u) if contacts && !u.contacts.is_empty() => format!(
                "{} ({})",
                escape_html(&u.name),
                u.contacts.iter().map(|c| escape_html(c)).collect::<Vec<_>>().join(", ")
            ),
            Some(u) => escape_html(&u.name),
            None => escape_html(id),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn when_phrase(regime: &Regime, s: &Sitting<'_>) -> String {
    let local = s.at.with_timezone(&regime.timezone);
    let mut out = text::time_and_date(&local, regime.language);
    if let Some(from) = s.moved_from {
        out.push_str(&if en(regime) {
            format!(" (moved from {}, not a working day)", text::date(from))
        } else {
            format!(" (lùi từ ngày {} do trùng ngày nghỉ)", text::date(from))
        });
    }
    out
}

/// 📅 The invitation (kind `meeting`), or with `day_of` the morning reminder.
pub fn invitation(regime: &Regime, s: &Sitting<'_>, day_of: bool) -> String {
    let m = s.meeting;
    let en = en(regime);
    let title = escape_html(&m.title);
    let period = escape_html(&s.period.name(en));
    let mut out = match (day_of, en) {
        (false, false) => format!("📅 <b>Giấy mời họp</b>: {title} (kỳ {period})"),
        (true, false) => format!("📅 <b>Nhắc lịch họp hôm nay</b>: {title} (kỳ {period})"),
        (false, true) => format!("📅 <b>Meeting invitation</b>: {title} ({period})"),
        (true, true) => format!("📅 <b>Meeting today</b>: {title} ({period})"),
    };
    let label = |vi: &'static str, english: &'static str| if en { english } else { vi };
    out.push_str(&format!(
        "\n• {}: {}",
        label("Thời gian", "When"),
        when_phrase(regime, s)
    ));
    if let Some(place) = &m.place {
        out.push_str(&format!("\n• {}: {}", label("Địa điểm", "Where"), escape_html(place)));
    }
    if let Some(chair) = &m.chair {
        out.push_str(&format!("\n• {}: {}", label("Chủ trì", "Chair"), escape_html(chair)));
    }
    if !m.attendees.is_empty() {
        out.push_str(&format!(
            "\n• {} ({}): {}",
            label("Thành phần", "Must attend"),
            m.attendees.len(),
            unit_names(regime, &m.attendees, true)
        ));
    }
    out.push_str(if day_of {
        label(
            "\nĐề nghị các đơn vị dự họp đúng giờ, đầy đủ thành phần.",
            "\nPlease be on time.",
        )
    } else {
        label(
            "\nĐề nghị các đơn vị bố trí dự họp đầy đủ, đúng thành phần.",
            "\nPlease make sure your unit attends.",
        )
    });
    out
}

/// A task's state in words.
pub fn state_word(state: TaskState, en: bool) -> &'static str {
    match (state, en) {
        (TaskState::Open, false) => "đang thực hiện",
        (TaskState::DueSoon, false) => "sắp đến hạn",
        (TaskState::Overdue, false) => "quá hạn",
        (TaskState::Done, false) => "đã hoàn thành",
        (TaskState::DoneLate, false) => "hoàn thành muộn",
        (TaskState::Open, true) => "open",
        (TaskState::DueSoon, true) => "due soon",
        (TaskState::Overdue, true) => "overdue",
        (TaskState::Done, true) => "done",
        (TaskState::DoneLate, true) => "done late",
    }
}

fn due_phrase(regime: &Regime, l: &TaskLine<'_>) -> String {
    let en = en(regime);
    match l.task.due {
        TaskDue::On(d) => format!("{} {}", if en { "due" } else { "hạn" }, text::date(d)),
        TaskDue::Every(_) => format!(
            "{} {}",
            if en {
                "every period, this one by"
            } else {
                "thường xuyên, kỳ này hạn"
            },
            text::date(l.due)
        ),
    }
}

/// One task as a line of a list: `• [id] title — owners — due — state`.
pub fn task_item(regime: &Regime, l: &TaskLine<'_>) -> String {
    let en = en(regime);
    let mut state = state_word(l.state, en).to_string();
    if l.state == TaskState::Overdue {
        state.push_str(&if en {
            format!(" {} days", l.days_overdue)
        } else {
            format!(" {} ngày", l.days_overdue)
        });
    }
    let mut line = format!(
        "• [{}] {} — {} — {} — <b>{state}</b>",
        escape_html(&l.task.id),
        escape_html(&l.task.title),
        unit_names(regime, &l.task.owners, false),
        due_phrase(regime, l),
    );
    if !l.state.is_done() && l.pending_owners.len() < l.task.owners.len() {
        line.push_str(&if en {
            format!(" (still to report: {})", unit_names(regime, &l.pending_owners, false))
        } else {
            format!(" (chưa báo cáo xong: {})", unit_names(regime, &l.pending_owners, false))
        });
    }
    if let Some(note) = &l.last_note {
        line.push_str(&format!(" — “{}”", escape_html(note)));
    }
    line
}

/// A figure of a reviewed report, for the tasks whose measure names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub key: String,
    pub label: String,
    pub value: Option<f64>,
    /// `None` for a metric (a count), the indicator's format otherwise.
    pub format: Option<super::regime::IndicatorFormat>,
}

fn figure_text(regime: &Regime, x: f64, format: Option<super::regime::IndicatorFormat>) -> String {
    match format {
        Some(f) => super::render::indicator_value(f, Some(x), regime.language),
        None if x.fract() == 0.0 => text::int(x as i64, regime.language),
        None => text::decimal(x, 1, regime.language),
    }
}

/// ` — chỉ số: Tỷ lệ giải quyết án 83,1% (mục tiêu 100,0%)` for a task whose
/// measure is among `figures`; empty otherwise.
fn measure_note(regime: &Regime, task: &Task, figures: &[Figure]) -> String {
    let Some(m) = &task.measure else {
        return String::new();
    };
    let Some(f) = figures.iter().find(|f| f.key == m.key) else {
        return String::new();
    };
    let en = en(regime);
    let value = f
        .value
        .map_or_else(|| "—".to_string(), |x| figure_text(regime, x, f.format));
    let target = m.target.map_or_else(String::new, |t| {
        format!(
            " ({} {})",
            if en { "target" } else { "mục tiêu" },
            figure_text(regime, t, f.format)
        )
    });
    format!(
        " — {}: {} {value}{target}",
        if en { "measure" } else { "chỉ số" },
        escape_html(&f.label)
    )
}

/// 📌 The reminder before tasks' deadlines (kind `task_reminder`).
pub fn task_reminder(regime: &Regime, lines: &[&TaskLine<'_>]) -> String {
    let en = en(regime);
    let mut out = if en {
        "📌 <b>Key tasks due soon</b>".to_string()
    } else {
        "📌 <b>Nhiệm vụ sắp đến hạn</b>".to_string()
    };
    for l in lines {
        out.push('\n');
        out.push_str(&task_item(regime, l));
    }
    let mut owners: Vec<String> = Vec::new();
    for l in lines {
        let pending = if l.pending_owners.is_empty() {
            &l.task.owners
        } else {
            &l.pending_owners
        };
        for o in pending {
            if !owners.contains(o) {
                owners.push(o.clone());
            }
        }
    }
    // In config order, each named once with its contacts.
    let owners: Vec<String> = regime
        .units
        .iter()
        .filter(|u| owners.contains(&u.id))
        .map(|u| u.id.clone())
        .collect();
    out.push_str(&format!(
        "\n{}: {}",
        if en { "Owners" } else { "Đơn vị thực hiện" },
        unit_names(regime, &owners, true)
    ));
    out.push_str(if en {
        "\nOwners: please report progress (done / in progress) with your next report or by replying to this message."
    } else {
        "\nĐề nghị các đơn vị báo cáo tiến độ (đã xong / đang thực hiện) trong báo cáo định kỳ hoặc trả lời tin nhắn này."
    });
    out
}

/// ⏳ The digest of overdue tasks (kind `task_overdue`).
pub fn task_overdue(regime: &Regime, lines: &[&TaskLine<'_>], now: DateTime<Utc>) -> String {
    let en = en(regime);
    let today = text::date(now.with_timezone(&regime.timezone).date_naive());
    let mut out = if en {
        format!("⏳ <b>Overdue key tasks</b> — as of {today}: {}", lines.len())
    } else {
        format!(
            "⏳ <b>Nhiệm vụ quá hạn</b> — tình hình ngày {today}: {} nhiệm vụ",
            lines.len()
        )
    };
    for l in lines {
        out.push('\n');
        out.push_str(&task_item(regime, l));
        out.push_str(&format!("\n   → {}", unit_names(regime, &l.pending_owners, true)));
    }
    out
}

/// One reviewed report in the pre-read: its summary text (Telegram HTML) and
/// the units that still owe it.
#[derive(Debug, Clone)]
pub struct ReviewedReport {
    pub summary: String,
    pub owing: Vec<String>,
    pub title: String,
}

/// 📚 The pre-read (kind `pre_read`): the summaries of the reviewed reports,
/// the tasks set before this sitting with their state, the units still owing
/// a report.
pub fn pre_read(
    regime: &Regime,
    s: &Sitting<'_>,
    reviewed: &[ReviewedReport],
    tasks: &[TaskLine<'_>],
    figures: &[Figure],
) -> String {
    let en = en(regime);
    let mut out = if en {
        format!(
            "📚 <b>Pre-read</b>: {} — {}",
            escape_html(&s.meeting.title),
            when_phrase(regime, s)
        )
    } else {
        format!(
            "📚 <b>Tài liệu họp</b>: {} — {}",
            escape_html(&s.meeting.title),
            when_phrase(regime, s)
        )
    };
    if let Some(place) = &s.meeting.place {
        out.push_str(&format!(", {}", escape_html(place)));
    }
    for (i, r) in reviewed.iter().enumerate() {
        out.push_str(&format!("\n\n<b>{}. </b>{}", i + 1, r.summary));
    }
    let n = reviewed.len() + 1;
    out.push_str(&if en {
        format!("\n\n<b>{n}. Key tasks</b>")
    } else {
        format!("\n\n<b>{n}. Tình hình thực hiện nhiệm vụ</b>")
    });
    if tasks.is_empty() {
        out.push_str(if en {
            "\nNo tasks set yet."
        } else {
            "\nChưa có nhiệm vụ."
        });
    } else {
        let count = |st: &[TaskState]| tasks.iter().filter(|l| st.contains(&l.state)).count();
        out.push_str(&if en {
            format!(
                "\n{} tasks: {} done, {} in progress, {} overdue.",
                tasks.len(),
                count(&[TaskState::Done, TaskState::DoneLate]),
                count(&[TaskState::Open, TaskState::DueSoon]),
                count(&[TaskState::Overdue])
            )
        } else {
            format!(
                "\n{} nhiệm vụ: {} đã hoàn thành, {} đang thực hiện, {} quá hạn.",
                tasks.len(),
                count(&[TaskState::Done, TaskState::DoneLate]),
                count(&[TaskState::Open, TaskState::DueSoon]),
                count(&[TaskState::Overdue])
            )
        });
        for l in tasks {
            out.push('\n');
            out.push_str(&task_item(regime, l));
            out.push_str(&measure_note(regime, l.task, figures));
        }
    }
    out.push_str(&if en {
        format!("\n\n<b>{}. Units still owing a report</b>", n + 1)
    } else {
        format!("\n\n<b>{}. Đơn vị chưa gửi báo cáo</b>", n + 1)
    });
    let owing: Vec<&ReviewedReport> = reviewed.iter().filter(|r| !r.owing.is_empty()).collect();
    if owing.is_empty() {
        out.push_str(if en {
            "\nNone: every unit has reported."
        } else {
            "\nKhông: tất cả đơn vị đã gửi."
        });
    }
    for r in owing {
        out.push_str(&format!(
            "\n• {}: {}",
            escape_html(&r.title),
            unit_names(regime, &r.owing, true)
        ));
    }
    out
}

/// What the planner decided a sitting needs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SittingNotice {
    Invitation,
    DayReminder,
    PreRead,
}

/// The notices a sitting calls for at `now` that are not in `past` (with
/// their keys): the invitation from `invite_before` ahead, the pre-read from
/// `prepare_before` ahead, and on the meeting's day the morning reminder
/// (only when the invitation went out on an earlier tick: a first tick on the
/// day sends the invitation alone). Nothing once the meeting has begun.
pub fn sitting_notices(
    regime: &Regime,
    s: &Sitting<'_>,
    past: &[PastNotice],
    now: DateTime<Utc>,
) -> Vec<(SittingNotice, String)> {
    if now >= s.at {
        return Vec::new();
    }
    let cal = &regime.calendar;
    let tz = &regime.timezone;
    let local_at = s.at.with_timezone(tz);
    let already = |k: &str| past.iter().any(|p| p.key == k);
    let mut out = Vec::new();
    let invite_key = format!("meeting:{}", s.key());
    if now >= s.meeting.invite_before.before(&local_at, cal).with_timezone(&Utc) && !already(&invite_key) {
        out.push((SittingNotice::Invitation, invite_key.clone()));
    }
    let day_key = format!("meeting:{}:day", s.key());
    let morning = to_utc(tz, NaiveDateTime::new(local_at.date_naive(), NaiveTime::MIN));
    if now >= morning && already(&invite_key) && !already(&day_key) {
        out.push((SittingNotice::DayReminder, day_key));
    }
    let pre_key = format!("pre_read:{}", s.key());
    if now >= s.meeting.prepare_before.before(&local_at, cal).with_timezone(&Utc) && !already(&pre_key) {
        out.push((SittingNotice::PreRead, pre_key));
    }
    out
}

/// The reminder for tasks newly due soon at `now`, each task (for each
/// deadline) reminded once: atoms `{task}@{due}`.
pub fn plan_task_reminder(
    regime: &Regime,
    lines: &[TaskLine<'_>],
    past: &[PastNotice],
    now: DateTime<Utc>,
) -> Option<Notice> {
    let atom = |l: &TaskLine<'_>| format!("{}@{}", l.task.id, l.due);
    let reminded = |a: &str| {
        past.iter()
            .any(|p| p.kind == NoticeKind::TaskReminder && p.atoms.iter().any(|x| x == a))
    };
    let due: Vec<&TaskLine<'_>> = lines
        .iter()
        .filter(|l| l.state == TaskState::DueSoon && !reminded(&atom(l)))
        .collect();
    if due.is_empty() {
        return None;
    }
    let atoms: Vec<String> = due.iter().map(|l| atom(l)).collect();
    Some(Notice {
        kind: NoticeKind::TaskReminder,
        key: format!("task_reminder:{}", atoms.join(",")),
        report: None,
        period: None,
        units: owners_of(&due),
        text: task_reminder(regime, &due),
        atoms,
        not_before: hold(regime, NoticeKind::TaskReminder, now),
        // News until the last of its deadlines has passed (the end of that day).
        expires_at: due
            .iter()
            .map(|l| {
                let next_day = l.due.succ_opt().unwrap_or(l.due);
                to_utc(&regime.timezone, NaiveDateTime::new(next_day, NaiveTime::MIN))
            })
            .max()
            .unwrap_or(now),
    })
}

fn owners_of(lines: &[&TaskLine<'_>]) -> Vec<String> {
    let mut units: Vec<String> = lines.iter().flat_map(|l| l.pending_owners.iter().cloned()).collect();
    units.sort();
    units.dedup();
    units
}

/// The digest of overdue tasks for the schedule's firing at `firing` (the
/// latest at or before `now`), within a day of it, unless queued already or
/// nothing is overdue. Atoms: the ids listed.
pub fn plan_task_overdue(
    regime: &Regime,
    lines: &[TaskLine<'_>],
    firing: DateTime<Utc>,
    past: &[PastNotice],
    now: DateTime<Utc>,
) -> Option<Notice> {
    if now < firing || now - firing >= FIRING_CURRENT_FOR {
        return None;
    }
    let key = format!(
        "task_overdue:{}",
        firing.with_timezone(&regime.timezone).format("%Y-%m-%dT%H:%M")
    );
    if past.iter().any(|p| p.key == key) {
        return None;
    }
    let overdue: Vec<&TaskLine<'_>> = lines.iter().filter(|l| l.state == TaskState::Overdue).collect();
    if overdue.is_empty() {
        return None;
    }
    Some(Notice {
        kind: NoticeKind::TaskOverdue,
        key,
        report: None,
        period: None,
        units: owners_of(&overdue),
        atoms: overdue.iter().map(|l| l.task.id.clone()).collect(),
        text: task_overdue(regime, &overdue, now),
        not_before: hold(regime, NoticeKind::TaskOverdue, now),
        expires_at: hold(regime, NoticeKind::TaskOverdue, now) + FIRING_CURRENT_FOR,
    })
}

/// A task an admin adds in the chat: `/task <deadline> <owners> <title>`,
/// the deadline `DD/MM/YYYY` or `YYYY-MM-DD`, the owners unit ids joined by
/// `,` (or `all`). The bot calls this with the message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDraft {
    pub title: String,
    pub owners: Vec<String>,
    pub due: NaiveDate,
}

/// Reads a `/task` command; the error, in the chat language, says what is wrong.
pub fn parse_task_command(regime: &Regime, text: &str) -> Result<TaskDraft, String> {
    let en = en(regime);
    let usage = if en {
        "usage: /task DD/MM/YYYY unit-id,unit-id title"
    } else {
        "cú pháp: /task DD/MM/YYYY mã-đơn-vị,mã-đơn-vị nội dung nhiệm vụ"
    };
    let rest = text.trim();
    let rest = match rest.strip_prefix("/task") {
        // `/task@giaoban_bot …` in a group.
        Some(r) => r
            .strip_prefix('@')
            .map_or(r, |r| r.split_once(char::is_whitespace).map_or("", |(_, t)| t))
            .trim(),
        None => rest,
    };
    let mut words = rest.splitn(3, char::is_whitespace);
    let (Some(due), Some(owners), Some(title)) = (words.next(), words.next(), words.next()) else {
        return Err(usage.to_string());
    };
    let due = parse_day(due).ok_or_else(|| {
        if en {
            format!("'{due}' is not a date; {usage}")
        } else {
            format!("'{due}' không phải ngày; {usage}")
        }
    })?;
    let owners: Vec<String> = if matches!(owners, "all" | "tat-ca") {
        regime.units.iter().map(|u| u.id.clone()).collect()
    } else {
        owners
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    if let Some(bad) = owners.iter().find(|o| regime.unit(o).is_none()) {
        return Err(if en {
            format!("'{bad}' is not a unit id")
        } else {
            format!("'{bad}' không phải mã đơn vị")
        });
    }
    let title = title.trim();
    if title.is_empty() || owners.is_empty() {
        return Err(usage.to_string());
    }
    Ok(TaskDraft {
        title: title.to_string(),
        owners,
        due,
    })
}

/// `DD/MM/YYYY` or `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// An owner's reply to a task message (a reminder or a digest): it starts
/// with what was done — vi `xong`, `đã xong`, `hoàn thành`, `đang làm`,
/// `đang thực hiện`; en `done`, `in progress` — optionally preceded by a task
/// id when the message listed several; the rest is the note. `tasks` are the
/// ids the replied-to message listed.
pub fn parse_progress_reply(text: &str, tasks: &[String]) -> Option<(String, ProgressStatus, Option<String>)> {
    let mut rest = text.trim();
    let mut task = None;
    if let Some((first, tail)) = rest.split_once(char::is_whitespace) {
        let first = first.trim_matches(|c: char| c == '[' || c == ']' || c == ':');
        if let Some(id) = tasks.iter().find(|t| t.eq_ignore_ascii_case(first)) {
            task = Some(id.clone());
            rest = tail.trim_start();
        }
    }
    let task = match task {
        Some(t) => t,
        None if tasks.len() == 1 => tasks[0].clone(),
        None => return None,
    };
    let lower = rest.to_lowercase();
    const WORDS: [(&str, ProgressStatus); 8] = [
        ("đã hoàn thành", ProgressStatus::Done),
        ("hoàn thành", ProgressStatus::Done),
        ("đã xong", ProgressStatus::Done),
        ("xong", ProgressStatus::Done),
        ("done", ProgressStatus::Done),
        ("đang thực hiện", ProgressStatus::InProgress),
        ("đang làm", ProgressStatus::InProgress),
        ("in progress", ProgressStatus::InProgress),
    ];
    let (word, status) = WORDS.iter().find(|(w, _)| lower.starts_with(w))?;
    let note = rest
        .get(word.len()..)
        .unwrap_or_default()
        .trim_start_matches([' ', ':', ',', '-', '.', '—'])
        .trim();
    Some((task, *status, (!note.is_empty()).then(|| note.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn task(due: TaskDue, owners: &[&str]) -> Task {
        Task {
            id: "t1".into(),
            title: "Tăng cường an toàn giao thông".into(),
            owners: owners.iter().map(|s| s.to_string()).collect(),
            due,
            measure: None,
            meeting: None,
            set_on: None,
            remind_before: TASK_REMIND_BEFORE,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("instant").with_timezone(&Utc)
    }

    fn progress(unit: Option<&str>, status: ProgressStatus, when: &str) -> Progress {
        Progress {
            task: "t1".into(),
            unit: unit.map(str::to_string),
            status,
            note: None,
            at: at(when),
        }
    }

    #[test]
    fn a_task_is_open_then_due_soon_then_overdue_and_done_only_when_every_owner_says_so() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let cal = WorkCalendar::default();
        let t = task(TaskDue::On(day("2024-12-31")), &["a", "b"]);
        let state = |p: &[Progress], now: &str| task_line(&t, p, &tz, &cal, at(now)).state;
        assert_eq!(state(&[], "2024-12-27T09:00:00+07:00"), TaskState::Open);
        assert_eq!(state(&[], "2024-12-28T09:00:00+07:00"), TaskState::DueSoon);
        assert_eq!(state(&[], "2025-01-01T09:00:00+07:00"), TaskState::Overdue);
        let one = [progress(Some("a"), ProgressStatus::Done, "2024-12-20T09:00:00+07:00")];
        assert_eq!(state(&one, "2025-01-01T09:00:00+07:00"), TaskState::Overdue);
        let both = [
            one[0].clone(),
            progress(Some("b"), ProgressStatus::Done, "2024-12-30T09:00:00+07:00"),
        ];
        assert_eq!(state(&both, "2025-01-01T09:00:00+07:00"), TaskState::Done);
        assert_eq!(
            state(&both, "2024-12-29T09:00:00+07:00"),
            TaskState::DueSoon,
            "a report after the instant does not count"
        );
        let late = [
            one[0].clone(),
            progress(Some("b"), ProgressStatus::Done, "2025-01-03T09:00:00+07:00"),
        ];
        assert_eq!(state(&late, "2025-01-05T09:00:00+07:00"), TaskState::DoneLate);
        let secretariat = [progress(None, ProgressStatus::Done, "2024-12-30T09:00:00+07:00")];
        assert_eq!(state(&secretariat, "2025-01-05T09:00:00+07:00"), TaskState::Done);
    }

    #[test]
    fn a_standing_task_is_due_each_period_and_done_only_within_it() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let cal = WorkCalendar::default();
        let t = task(TaskDue::Every(PeriodKind::Quarter), &["a"]);
        let done_q3 = [progress(Some("a"), ProgressStatus::Done, "2024-08-01T09:00:00+07:00")];
        let l = task_line(&t, &done_q3, &tz, &cal, at("2024-09-10T09:00:00+07:00"));
        assert_eq!((l.state, l.due), (TaskState::Done, day("2024-09-30")));
        let l = task_line(&t, &done_q3, &tz, &cal, at("2024-10-10T09:00:00+07:00"));
        assert_eq!((l.state, l.due), (TaskState::Open, day("2024-12-31")));
    }

    #[test]
    fn a_recurring_meeting_on_a_holiday_moves_to_the_next_working_day() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        // 11/01/2025 is a Saturday: the quarter's briefing moves to Monday 13/01.
        let cal = WorkCalendar::default();
        let m = Meeting {
            id: "quy".into(),
            title: "Giao ban quý".into(),
            when: MeetingWhen::Every {
                kind: PeriodKind::Quarter,
                day: 11,
                time: NaiveTime::from_hms_opt(8, 0, 0).expect("time"),
            },
            roll_to_working_day: true,
            reports: vec![],
            chair: None,
            place: None,
            attendees: vec![],
            invite_before: Span::ZERO,
            prepare_before: Span::ZERO,
        };
        let list = sittings(&m, day("2024-12-20"), &tz, &cal);
        let q4 = list
            .iter()
            .find(|s| s.period.label() == "2024-Q4")
            .expect("the Q4 sitting");
        assert_eq!(q4.at, at("2025-01-13T08:00:00+07:00"));
        assert_eq!(q4.moved_from, Some(day("2025-01-11")));
    }

    #[test]
    fn a_reply_reads_as_progress_on_the_task_it_answers() {
        let one = vec!["t1".to_string()];
        assert_eq!(
            parse_progress_reply("Đã xong: đã tổ chức ra quân", &one),
            Some(("t1".into(), ProgressStatus::Done, Some("đã tổ chức ra quân".into())))
        );
        let two = vec!["t1".to_string(), "t2".to_string()];
        assert_eq!(
            parse_progress_reply("t2 đang thực hiện", &two),
            Some(("t2".into(), ProgressStatus::InProgress, None))
        );
        assert_eq!(parse_progress_reply("đang thực hiện", &two), None, "which task?");
        assert_eq!(parse_progress_reply("cảm ơn", &one), None);
    }
}
