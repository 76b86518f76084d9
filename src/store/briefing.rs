//! The briefing cycle's tables: tasks added in the chat and progress reports
//! on tasks; and the briefing notices already in the outbox.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row as _;

use super::{Conn, StoreError, parse_ts, ts};
use crate::domain::briefing::{Progress, ProgressStatus, TASK_REMIND_BEFORE, Task, TaskDue};
use crate::domain::plan::{NoticeKind, PastNotice};

fn json_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_string())
}

/// Adds a task from the chat; returns its id (`chat-N`).
pub async fn add_task(
    conn: &mut Conn,
    title: &str,
    owners: &[String],
    due: NaiveDate,
    created_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tasks")
        .fetch_one(&mut *conn)
        .await?;
    let id = format!("chat-{}", n + 1);
    sqlx::query("INSERT INTO tasks (id, title, owners, due, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(title)
        .bind(json_list(owners))
        .bind(due.format("%Y-%m-%d").to_string())
        .bind(ts(now))
        .bind(created_by)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

/// The tasks added in the chat by `at`, oldest first.
pub async fn chat_tasks(conn: &mut Conn, at: DateTime<Utc>) -> Result<Vec<Task>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, title, owners, due, created_at FROM tasks WHERE created_at <= $1 ORDER BY created_at, id",
    )
    .bind(ts(at))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let due: String = r.get(3);
            let due = NaiveDate::parse_from_str(&due, "%Y-%m-%d")
                .map_err(|_| StoreError::Corrupt(format!("'{due}' is not a stored date")))?;
            let created = parse_ts(&r.get::<String, _>(4))?;
            Ok(Task {
                id: r.get(0),
                title: r.get(1),
                owners: serde_json::from_str(&r.get::<String, _>(2)).unwrap_or_default(),
                due: TaskDue::On(due),
                measure: None,
                meeting: None,
                set_on: Some(created.date_naive()),
                remind_before: TASK_REMIND_BEFORE,
            })
        })
        .collect()
}

/// Where a progress report came from.
#[derive(Debug, Clone, Copy)]
pub enum ProgressSource<'a> {
    Submission { report: &'a str, period: &'a str },
    Chat,
}

/// Records progress reports; the same report twice is kept once.
pub async fn record_progress(
    conn: &mut Conn,
    items: &[Progress],
    source: ProgressSource<'_>,
) -> Result<(), StoreError> {
    let (src, report, period) = match source {
        ProgressSource::Submission { report, period } => ("submission", Some(report), Some(period)),
        ProgressSource::Chat => ("chat", None, None),
    };
    for p in items {
        sqlx::query(
            "INSERT INTO task_progress (task, unit, status, note, at, source, report, period)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(&p.task)
        .bind(&p.unit)
        .bind(p.status.as_str())
        .bind(&p.note)
        .bind(ts(p.at))
        .bind(src)
        .bind(report)
        .bind(period)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Every progress report made by `at`, oldest first.
pub async fn progress(conn: &mut Conn, at: DateTime<Utc>) -> Result<Vec<Progress>, StoreError> {
    let rows = sqlx::query("SELECT task, unit, status, note, at FROM task_progress WHERE at <= $1 ORDER BY at, id")
        .bind(ts(at))
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            let status: String = r.get(2);
            Ok(Progress {
                task: r.get(0),
                unit: r.get(1),
                status: ProgressStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("'{status}' is not a task status")))?,
                note: r.get(3),
                at: parse_ts(&r.get::<String, _>(4))?,
            })
        })
        .collect()
}

/// Every queued notice of the briefing kinds (any state).
pub async fn past_notices(conn: &mut Conn) -> Result<Vec<PastNotice>, StoreError> {
    let rows = sqlx::query(
        "SELECT kind, key, atoms FROM outbox WHERE kind IN ('meeting', 'pre_read', 'task_reminder', 'task_overdue')",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(PastNotice {
                kind: NoticeKind::parse(&r.get::<String, _>(0))?,
                key: r.get(1),
                atoms: serde_json::from_str(&r.get::<String, _>(2)).unwrap_or_default(),
            })
        })
        .collect())
}

/// A briefing notice as `giaoban meetings` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sent {
    pub kind: String,
    pub key: String,
    /// pending | sent | failed
    pub state: String,
    pub planned_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The invitation, reminder and pre-read rows of a sitting (`{meeting}:{period}`).
pub async fn sitting_notices(conn: &mut Conn, sitting: &str) -> Result<Vec<Sent>, StoreError> {
    let rows = sqlx::query(
        "SELECT kind, key, state, planned_at, sent_at FROM outbox
         WHERE key IN ($1, $2, $3) ORDER BY id",
    )
    .bind(format!("meeting:{sitting}"))
    .bind(format!("meeting:{sitting}:day"))
    .bind(format!("pre_read:{sitting}"))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Sent {
                kind: r.get(0),
                key: r.get(1),
                state: r.get(2),
                planned_at: parse_ts(&r.get::<String, _>(3))?,
                sent_at: r.get::<Option<String>, _>(4).as_deref().map(parse_ts).transpose()?,
            })
        })
        .collect()
}

/// The task ids a sent message listed (its atoms; `id@due` for reminders),
/// found by the chat and message id Telegram gave it: what a reply to it is about.
pub async fn tasks_of_message(conn: &mut Conn, chat_id: i64, message_id: i64) -> Result<Vec<String>, StoreError> {
    let row = sqlx::query(
        "SELECT o.atoms FROM outbox o
         WHERE o.kind IN ('task_reminder', 'task_overdue')
           AND ((o.chat_id = $1 AND o.message_id = $2)
                OR EXISTS (SELECT 1 FROM telegram_messages m WHERE m.outbox_id = o.id AND m.chat_id = $1 AND m.message_id = $2))
         LIMIT 1",
    )
    .bind(chat_id)
    .bind(message_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .map(|r| serde_json::from_str::<Vec<String>>(&r.get::<String, _>(0)).unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.split('@').next().unwrap_or_default().to_string())
        .collect())
}
