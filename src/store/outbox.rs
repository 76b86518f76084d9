//! The outbox: every message waits here until the courier has delivered it.
//! The unique `key` is what makes planning idempotent.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::{StoreError, parse_ts, ts};
use crate::domain::plan::{NoticeKind, PastNotice};

/// A queued message as the courier sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub key: String,
    pub kind: String,
    pub report: Option<String>,
    pub period: Option<String>,
    pub units: Vec<String>,
    pub text: String,
    pub not_before: DateTime<Utc>,
    pub attempts: i64,
    /// Files that go with the message (a summary's spreadsheet and chart).
    pub files: Vec<Attachment>,
    /// Set after a failed attempt: the row (and every row after it) waits until then.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

pub struct NewRow<'a> {
    pub key: &'a str,
    pub kind: &'a str,
    pub report: Option<&'a str>,
    pub period: Option<&'a str>,
    pub units: &'a [String],
    pub atoms: &'a [String],
    pub text: &'a str,
    pub planned_at: DateTime<Utc>,
    pub not_before: DateTime<Utc>,
}

fn json_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_string())
}

fn parse_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// Inserts a row unless its key exists; true when it was inserted.
pub async fn enqueue(conn: &mut SqliteConnection, row: &NewRow<'_>) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO outbox (key, kind, report, period, units, atoms, text, planned_at, not_before)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (key) DO NOTHING",
    )
    .bind(row.key)
    .bind(row.kind)
    .bind(row.report)
    .bind(row.period)
    .bind(json_list(row.units))
    .bind(json_list(row.atoms))
    .bind(row.text)
    .bind(ts(row.planned_at))
    .bind(ts(row.not_before))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The notices already queued for a report-period (any state).
pub async fn past_notices(
    conn: &mut SqliteConnection,
    report: &str,
    period: &str,
) -> Result<Vec<PastNotice>, StoreError> {
    let rows = sqlx::query("SELECT kind, key, atoms FROM outbox WHERE report = $1 AND period = $2")
        .bind(report)
        .bind(period)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let kind = NoticeKind::parse(&r.get::<String, _>(0))?;
            Some(PastNotice {
                kind,
                key: r.get(1),
                atoms: parse_list(&r.get::<String, _>(2)),
            })
        })
        .collect())
}

/// Pending rows whose planned time has come, oldest first, including rows
/// waiting for a retry: the courier stops at the first row that must wait, so
/// a later row never overtakes a retried one.
pub async fn due(conn: &mut SqliteConnection, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, key, kind, report, period, units, text, not_before, attempts, next_attempt_at FROM outbox
         WHERE state = 'pending' AND not_before <= $1
         ORDER BY id LIMIT $2",
    )
    .bind(ts(now))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<OutboxRow> = rows
        .into_iter()
        .map(|r| {
            Ok(OutboxRow {
                id: r.get(0),
                key: r.get(1),
                kind: r.get(2),
                report: r.get(3),
                period: r.get(4),
                units: parse_list(&r.get::<String, _>(5)),
                text: r.get(6),
                not_before: parse_ts(&r.get::<String, _>(7))?,
                attempts: r.get(8),
                files: Vec::new(),
                next_attempt_at: r.get::<Option<String>, _>(9).as_deref().map(parse_ts).transpose()?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    for row in &mut out {
        row.files = attachments(conn, row.id).await?;
    }
    Ok(out)
}

pub async fn mark_sent(
    conn: &mut SqliteConnection,
    id: i64,
    at: DateTime<Utc>,
    chat_id: Option<i64>,
    message_id: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE outbox SET state = 'sent', sent_at = $2, chat_id = $3, message_id = $4,
           attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(ts(at))
    .bind(chat_id)
    .bind(message_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a failed attempt that will be retried at `retry_at`.
pub async fn mark_retry(
    conn: &mut SqliteConnection,
    id: i64,
    error: &str,
    retry_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1")
        .bind(id)
        .bind(error)
        .bind(ts(retry_at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Gives up on a row for a reason that retrying cannot fix.
pub async fn mark_failed(conn: &mut SqliteConnection, id: i64, error: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1")
        .bind(id)
        .bind(error)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Counts by state, for status and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    /// Pending rows that have failed at least once.
    pub retrying: i64,
}

pub async fn counts(conn: &mut SqliteConnection) -> Result<OutboxCounts, StoreError> {
    let row = sqlx::query(
        "SELECT
           COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'sent'), 0),
           COALESCE(SUM(state = 'failed'), 0), COALESCE(SUM(state = 'pending' AND attempts > 0), 0)
         FROM outbox",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(OutboxCounts {
        pending: row.get(0),
        sent: row.get(1),
        failed: row.get(2),
        retrying: row.get(3),
    })
}

/// The most recent notices of `kind` planned at or before `at`, newest first.
pub async fn recent_of_kind(
    conn: &mut SqliteConnection,
    kind: NoticeKind,
    at: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<PastNotice>, StoreError> {
    let rows = sqlx::query(
        "SELECT key, atoms FROM outbox WHERE kind = $1 AND planned_at <= $2 ORDER BY planned_at DESC, id DESC LIMIT $3",
    )
    .bind(kind.as_str())
    .bind(ts(at))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PastNotice {
            kind,
            key: r.get(0),
            atoms: parse_list(&r.get::<String, _>(1)),
        })
        .collect())
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    /// `document` or `photo`.
    pub kind: String,
    pub bytes: Vec<u8>,
}

/// Attaches files to the row with `key` (queued in the same transaction).
pub async fn attach(conn: &mut SqliteConnection, key: &str, files: &[Attachment]) -> Result<(), StoreError> {
    for f in files {
        sqlx::query(
            "INSERT INTO outbox_files (outbox_id, name, kind, bytes) SELECT id, $2, $3, $4 FROM outbox WHERE key = $1",
        )
        .bind(key)
        .bind(&f.name)
        .bind(&f.kind)
        .bind(&f.bytes)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The files of a row, in the order they were attached.
pub async fn attachments(conn: &mut SqliteConnection, outbox_id: i64) -> Result<Vec<Attachment>, StoreError> {
    let rows = sqlx::query("SELECT name, kind, bytes FROM outbox_files WHERE outbox_id = $1 ORDER BY id")
        .bind(outbox_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Attachment {
            name: r.get(0),
            kind: r.get(1),
            bytes: r.get(2),
        })
        .collect())
}
/// A row that failed at least once and is not delivered: what `status` shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub id: i64,
    pub key: String,
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// The newest `limit` rows that are failed, or pending after a failed attempt.
pub async fn problems(conn: &mut SqliteConnection, limit: i64) -> Result<Vec<Problem>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, key, kind, state, attempts, last_error, next_attempt_at FROM outbox
         WHERE state = 'failed' OR (state = 'pending' AND (attempts > 0 OR last_error IS NOT NULL))
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Problem {
                id: r.get(0),
                key: r.get(1),
                kind: r.get(2),
                state: r.get(3),
                attempts: r.get(4),
                last_error: r.get(5),
                next_attempt_at: r.get::<Option<String>, _>(6).as_deref().map(parse_ts).transpose()?,
            })
        })
        .collect()
}

/// Notes why a pending row is not going out (a held chat) without counting an attempt.
pub async fn note_waiting(conn: &mut SqliteConnection, id: i64, reason: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET last_error = $2 WHERE id = $1 AND state = 'pending'")
        .bind(id)
        .bind(reason)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
