//! The briefing cycle's jobs: plan meeting and task notices in a tick, list
//! meetings and tasks, and record what the chat says (a `/task` from an
//! admin, a reply with progress) for the bot to call.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{enqueue, summary_bundle};
use crate::config::Config;
use crate::domain::briefing::{
    self, Figure, Progress, ReviewedReport, Sitting, SittingNotice, Task, TaskDue, TaskLine, TaskState, sittings,
    task_lines,
};
use crate::domain::period::Period;
use crate::domain::plan::{Notice, NoticeKind, hold};
use crate::store::briefing as stored;
use crate::store::{Store, StoreError, outbox};

/// Every task known at `at`: the meetings' tasks files, then the chat's.
pub async fn all_tasks(
    config: &Config,
    conn: &mut crate::store::Conn,
    at: DateTime<Utc>,
) -> Result<Vec<Task>, StoreError> {
    let mut tasks = config.tasks.clone();
    tasks.extend(stored::chat_tasks(conn, at).await?);
    Ok(tasks)
}

/// The period of `report` a sitting reviews: the sitting's own period, or
/// (when the report runs on another kind of period) the report's period that
/// contains its last day.
fn reviewed_period(kind: crate::domain::period::PeriodKind, sitting: Period) -> Period {
    if sitting.kind == kind {
        sitting
    } else {
        Period::containing(kind, sitting.last_day())
    }
}

/// The tasks a sitting checks: those set before its day.
fn checked_at<'a>(lines: &'a [TaskLine<'a>], s: &Sitting<'_>, tz: &chrono_tz::Tz) -> Vec<TaskLine<'a>> {
    let day = s.at.with_timezone(tz).date_naive();
    lines
        .iter()
        .filter(|l| l.task.set_on.is_none_or(|d| d < day))
        .cloned()
        .collect()
}

/// Plans the briefing notices due at `now` and queues the new ones (inside
/// the tick's transaction); returns what was queued.
pub async fn plan(
    config: &Config,
    conn: &mut crate::store::Conn,
    now: DateTime<Utc>,
) -> Result<Vec<Notice>, StoreError> {
    let regime = &config.regime;
    let tz = regime.timezone;
    let today = now.with_timezone(&tz).date_naive();
    let past = stored::past_notices(conn).await?;
    let tasks = all_tasks(config, conn, now).await?;
    let progress = stored::progress(conn, now).await?;
    let lines = task_lines(&tasks, &progress, &tz, &regime.calendar, now);
    let mut queued = Vec::new();

    for meeting in &config.meetings {
        for s in sittings(meeting, today, &tz, &regime.calendar) {
            for (what, key) in briefing::sitting_notices(regime, &s, &past, now) {
                let (kind, text, files) = match what {
                    SittingNotice::Invitation | SittingNotice::DayReminder => (
                        NoticeKind::Meeting,
                        briefing::invitation(regime, &s, what == SittingNotice::DayReminder),
                        Vec::new(),
                    ),
                    SittingNotice::PreRead => {
                        let (text, files) = pre_read(config, conn, &s, &lines, now).await?;
                        (NoticeKind::PreRead, text, files)
                    }
                };
                let notice = Notice {
                    kind,
                    key,
                    report: None,
                    period: None,
                    units: meeting.attendees.clone(),
                    atoms: Vec::new(),
                    text,
                    not_before: hold(regime, kind, now),
                    // An invitation, a reminder or papers for a meeting that has begun are no news.
                    expires_at: s.at,
                };
                if enqueue(conn, &notice, now, &files).await? {
                    queued.push(notice);
                }
            }
        }
    }

    if let Some(notice) = briefing::plan_task_reminder(regime, &lines, &past, now)
        && enqueue(conn, &notice, now, &[]).await?
    {
        queued.push(notice);
    }
    if let Some(spec) = &config.task_digest
        && let Some(firing) = spec.last_at_or_before(&now.with_timezone(&tz))
        && let Some(notice) = briefing::plan_task_overdue(regime, &lines, firing.with_timezone(&Utc), &past, now)
        && enqueue(conn, &notice, now, &[]).await?
    {
        queued.push(notice);
    }
    Ok(queued)
}

/// The pre-read of a sitting: its text, and the spreadsheet and chart of
/// each reviewed report's summary.
async fn pre_read(
    config: &Config,
    conn: &mut crate::store::Conn,
    s: &Sitting<'_>,
    lines: &[TaskLine<'_>],
    now: DateTime<Utc>,
) -> Result<(String, Vec<outbox::Attachment>), StoreError> {
    let regime = &config.regime;
    let mut reviewed = Vec::new();
    let mut files = Vec::new();
    let mut figures = Vec::new();
    for id in &s.meeting.reports {
        let Some(report) = regime.report(id) else { continue };
        let period = reviewed_period(report.timing.period_kind, s.period);
        let bundle = summary_bundle(config, conn, report, period, now).await?;
        reviewed.push(ReviewedReport {
            summary: bundle.text.clone(),
            owing: bundle
                .summary
                .rows
                .iter()
                .filter(|r| r.state.is_outstanding())
                .map(|r| r.unit.clone())
                .collect(),
            title: crate::domain::render::report_title(regime, report, period),
        });
        for m in &report.metrics {
            figures.push(Figure {
                key: m.key.clone(),
                label: m.label.clone(),
                value: bundle.summary.totals.get(&m.key).map(|v| *v as f64),
                format: None,
            });
        }
        for (i, ind) in report.indicators.iter().enumerate() {
            figures.push(Figure {
                key: ind.key.clone(),
                label: ind.label.clone(),
                value: bundle.summary.indicators.get(i).copied().flatten(),
                format: Some(ind.format),
            });
        }
        files.extend(bundle.files);
    }
    let checked = checked_at(lines, s, &regime.timezone);
    Ok((briefing::pre_read(regime, s, &reviewed, &checked, &figures), files))
}

/// One task in `giaoban tasks`.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    pub id: String,
    pub title: String,
    pub owners: Vec<String>,
    /// The deadline that applies at the instant (YYYY-MM-DD).
    pub due: chrono::NaiveDate,
    pub state: TaskState,
    /// For a standing task, the kind of period it recurs on.
    pub every: Option<&'static str>,
    pub meeting: Option<String>,
    pub days_overdue: i64,
    /// Owners that have not reported it done.
    pub pending: Vec<String>,
    pub note: Option<String>,
}

/// Every task at `at` with its state, optionally one unit's or only the overdue ones.
pub async fn task_rows(
    config: &Config,
    store: &Store,
    unit: Option<&str>,
    overdue_only: bool,
    at: DateTime<Utc>,
) -> Result<Vec<TaskRow>, StoreError> {
    let regime = &config.regime;
    let mut conn = store.read().await?;
    let tasks = all_tasks(config, &mut conn, at).await?;
    let progress = stored::progress(&mut conn, at).await?;
    Ok(task_lines(&tasks, &progress, &regime.timezone, &regime.calendar, at)
        .into_iter()
        .filter(|l| !overdue_only || l.state == TaskState::Overdue)
        .filter(|l| unit.is_none_or(|u| l.task.owners.iter().any(|o| o == u)))
        .map(|l| TaskRow {
            id: l.task.id.clone(),
            title: l.task.title.clone(),
            owners: l.task.owners.clone(),
            due: l.due,
            state: l.state,
            every: match l.task.due {
                TaskDue::Every(k) => Some(k.as_str()),
                TaskDue::On(_) => None,
            },
            meeting: l.task.meeting.clone(),
            days_overdue: l.days_overdue,
            pending: l.pending_owners.clone(),
            note: l.last_note.clone(),
        })
        .collect())
}

/// One sitting in `giaoban meetings`.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingRow {
    pub id: String,
    pub title: String,
    pub period: String,
    pub at: DateTime<Utc>,
    /// The configured date, when the meeting was moved off a non-working day.
    pub moved_from: Option<chrono::NaiveDate>,
    pub place: Option<String>,
    pub chair: Option<String>,
    pub attendees: Vec<String>,
    pub reports: Vec<String>,
    pub invitation_at: DateTime<Utc>,
    pub pre_read_at: DateTime<Utc>,
    /// The notices queued for it, with their delivery state.
    pub sent: Vec<stored::Sent>,
}

/// The sittings near `at` of every meeting, by date, with what was sent.
pub async fn meeting_rows(config: &Config, store: &Store, at: DateTime<Utc>) -> Result<Vec<MeetingRow>, StoreError> {
    let regime = &config.regime;
    let tz = regime.timezone;
    let today = at.with_timezone(&tz).date_naive();
    let mut conn = store.read().await?;
    let mut rows = Vec::new();
    for m in &config.meetings {
        for s in sittings(m, today, &tz, &regime.calendar) {
            let local = s.at.with_timezone(&tz);
            rows.push(MeetingRow {
                id: m.id.clone(),
                title: m.title.clone(),
                period: s.period.label(),
                at: s.at,
                moved_from: s.moved_from,
                place: m.place.clone(),
                chair: m.chair.clone(),
                attendees: m.attendees.clone(),
                reports: m.reports.clone(),
                invitation_at: m.invite_before.before(&local, &regime.calendar).with_timezone(&Utc),
                pre_read_at: m.prepare_before.before(&local, &regime.calendar).with_timezone(&Utc),
                sent: stored::sitting_notices(&mut conn, &s.key()).await?,
            });
        }
    }
    rows.sort_by_key(|r| r.at);
    Ok(rows)
}

/// What the bot answers a `/task` with: the new task's id, or why it was refused.
pub async fn add_task_from_chat(
    config: &Config,
    store: &Store,
    text: &str,
    admin: i64,
    now: DateTime<Utc>,
) -> Result<Result<String, String>, StoreError> {
    let draft = match briefing::parse_task_command(&config.regime, text) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let mut tx = store.write().await?;
    let id = stored::add_task(&mut tx, &draft.title, &draft.owners, draft.due, Some(admin), now).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Records an owner's reply to a task message (`tasks`: the ids the message
/// listed) as progress; `None` when the reply does not read as progress. A
/// reply from someone who is not among the task's owners is taken as the
/// secretariat's word only when `unit` is `None`.
pub async fn progress_from_reply(
    config: &Config,
    store: &Store,
    unit: Option<&str>,
    tasks: &[String],
    text: &str,
    now: DateTime<Utc>,
) -> Result<Option<Progress>, StoreError> {
    let Some((task, status, note)) = briefing::parse_progress_reply(text, tasks) else {
        return Ok(None);
    };
    let mut tx = store.write().await?;
    let known = all_tasks(config, &mut tx, now).await?;
    let Some(t) = known.iter().find(|t| t.id == task) else {
        return Ok(None);
    };
    if let Some(u) = unit
        && !t.owners.iter().any(|o| o == u)
    {
        return Ok(None);
    }
    let p = Progress {
        task,
        unit: unit.map(str::to_string),
        status,
        note,
        at: now,
    };
    stored::record_progress(&mut tx, std::slice::from_ref(&p), stored::ProgressSource::Chat).await?;
    tx.commit().await?;
    Ok(Some(p))
}

/// What the bot calls for a reply to one of its messages: the tasks the
/// replied-to message listed (a task reminder or an overdue digest, found by
/// Telegram's chat and message id), then [`progress_from_reply`]. `None` when
/// the message was not about tasks or the reply does not read as progress.
pub async fn progress_from_reply_to_message(
    config: &Config,
    store: &Store,
    unit: Option<&str>,
    (chat_id, message_id): (i64, i64),
    text: &str,
    now: DateTime<Utc>,
) -> Result<Option<Progress>, StoreError> {
    let tasks = {
        let mut conn = store.read().await?;
        stored::tasks_of_message(&mut conn, chat_id, message_id).await?
    };
    if tasks.is_empty() {
        return Ok(None);
    }
    progress_from_reply(config, store, unit, &tasks, text, now).await
}
