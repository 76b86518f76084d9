//! The outbox: every message waits here until the courier has delivered it.
//! The unique `key` is what makes planning idempotent.

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Conn, Row, StoreError, parse_ts, ts};
use crate::domain::plan::{Audience, NoticeKind, PastNotice};

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
    /// Set after a failed attempt: the row (and every row after it) waits
    /// until then (a real, wall-clock instant).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it stops being news; `None` for rows queued before this existed.
    pub expires_at: Option<DateTime<Utc>>,
    pub audience: Audience,
    /// The last error or wait reason noted on the row.
    pub last_error: Option<String>,
    /// The message this one answers (a reply to a command or a file).
    pub reply_to: Option<i64>,
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
    pub expires_at: DateTime<Utc>,
    pub audience: Audience,
    pub reply_to: Option<i64>,
}

fn json_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_string())
}

fn parse_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// Where a kind of notice stands in its audience's queue: bulk text
/// (summaries, case digests) after everything else, so an alert never waits
/// behind it.
pub fn priority_of(kind: &str) -> i64 {
    match kind {
        "summary" | "case_digest" => 1,
        _ => 0,
    }
}

/// Inserts a row unless its key exists; true when it was inserted.
pub async fn enqueue(conn: &mut Conn, row: &NewRow<'_>) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO outbox (key, kind, report, period, units, atoms, text, planned_at, not_before, expires_at, audience,
           reply_to, priority)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (key) DO NOTHING",
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
    .bind(ts(row.expires_at))
    .bind(row.audience.key())
    .bind(row.reply_to)
    .bind(priority_of(row.kind))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The notices already queued for a report-period (any state).
pub async fn past_notices(conn: &mut Conn, report: &str, period: &str) -> Result<Vec<PastNotice>, StoreError> {
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

fn opt_ts(s: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.as_deref().map(parse_ts).transpose()
}

/// A row with who holds it and until when.
type ClaimedRow = (OutboxRow, Option<String>, Option<DateTime<Utc>>);

fn read_row(r: &Row) -> Result<ClaimedRow, StoreError> {
    Ok((
        OutboxRow {
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
            next_attempt_at: opt_ts(r.get(9))?,
            expires_at: opt_ts(r.get(10))?,
            audience: Audience::parse(&r.get::<String, _>(11)),
            last_error: r.get(12),
            reply_to: r.get(15),
        },
        r.get(13),
        opt_ts(r.get(14))?,
    ))
}

/// What the head of an audience's queue is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// Nothing is due for this audience.
    Empty,
    /// The head row is claimed by this process and must be delivered now.
    Claimed(Box<OutboxRow>),
    /// The head row waits for its retry time (wall clock).
    RetryAt(DateTime<Utc>),
    /// Another process holds the head row; its lease ends then (wall clock).
    Leased { owner: String, until: DateTime<Utc> },
}

/// Claims the oldest pending row of `audience` whose planned time has come
/// (`not_before <= at`; alerts before bulk text, see [`priority_of`]),
/// unless it waits for a retry or another process's
/// live lease covers it. Only the head is ever claimed, so messages to one
/// chat go out in order even with several delivering processes. The claim
/// is one conditional UPDATE (compare-and-set on the lease), the same on
/// any SQL backend: of two processes racing for a row, exactly one wins.
///
/// `wall` is the real time, against which leases and retry times are
/// judged; `at` is the delivery instant (`--at`), against which planned
/// times are. `steal` names a dead owner whose lease may be taken at once
/// (a process on this machine that no longer runs).
pub async fn claim_head(
    conn: &mut Conn,
    audience: Audience,
    owner: &str,
    at: DateTime<Utc>,
    wall: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    steal: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Head, StoreError> {
    let head = sqlx::query(
        "SELECT id, key, kind, report, period, units, text, not_before, attempts, next_attempt_at,
           expires_at, audience, last_error, claimed_by, lease_until, reply_to
         FROM outbox WHERE state = 'pending' AND audience = $1 AND not_before <= $2
         ORDER BY priority, id LIMIT 1",
    )
    .bind(audience.key())
    .bind(ts(at))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(head) = head else {
        return Ok(Head::Empty);
    };
    let (mut row, claimed_by, lease) = read_row(&head)?;
    if let Some(retry) = row.next_attempt_at.filter(|t| *t > wall) {
        return Ok(Head::RetryAt(retry));
    }
    let mut expected = None;
    if let (Some(other), Some(until)) = (&claimed_by, lease)
        && other != owner
        && until > wall
    {
        if !steal(other) {
            return Ok(Head::Leased {
                owner: other.clone(),
                until,
            });
        }
        expected = Some(other.clone());
    }
    let won = sqlx::query(
        "UPDATE outbox SET claimed_by = $2, lease_until = $3
         WHERE id = $1 AND state = 'pending'
           AND (claimed_by IS NULL OR claimed_by = $2 OR lease_until IS NULL OR lease_until <= $4 OR claimed_by = $5)",
    )
    .bind(row.id)
    .bind(owner)
    .bind(ts(lease_until))
    .bind(ts(wall))
    .bind(expected.as_deref())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !won {
        // Another process got there first; look again on the next round.
        return Ok(Head::Leased {
            owner: String::new(),
            until: wall,
        });
    }
    row.files = attachments(conn, row.id).await?;
    Ok(Head::Claimed(Box::new(row)))
}

/// The audiences with rows due at `at`: the group first, then the admins,
/// then single chats.
pub async fn due_audiences(conn: &mut Conn, at: DateTime<Utc>) -> Result<Vec<Audience>, StoreError> {
    let rows = sqlx::query("SELECT DISTINCT audience FROM outbox WHERE state = 'pending' AND not_before <= $1")
        .bind(ts(at))
        .fetch_all(&mut *conn)
        .await?;
    let mut list: Vec<Audience> = rows.iter().map(|r| Audience::parse(&r.get::<String, _>(0))).collect();
    list.sort();
    Ok(list)
}

/// The earliest instant something in the outbox may need the courier: a
/// planned time after `at`, or a retry time or lease end after `wall`.
pub async fn next_wake(
    conn: &mut Conn,
    at: DateTime<Utc>,
    wall: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let row = sqlx::query(
        "SELECT MIN(not_before) FILTER (WHERE not_before > $1),
           MIN(next_attempt_at) FILTER (WHERE next_attempt_at > $2),
           MIN(lease_until) FILTER (WHERE lease_until > $2)
         FROM outbox WHERE state = 'pending'",
    )
    .bind(ts(at))
    .bind(ts(wall))
    .fetch_one(&mut *conn)
    .await?;
    let times = [opt_ts(row.get(0))?, opt_ts(row.get(1))?, opt_ts(row.get(2))?];
    Ok(times.into_iter().flatten().min())
}

/// The end of an answered attempt, written only while this process still
/// holds the claim; every variant also releases it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<'a> {
    Sent {
        at: DateTime<Utc>,
        chat_id: Option<i64>,
        message_id: Option<i64>,
    },
    /// A failed attempt, tried again at `at` (wall clock).
    Retry { error: &'a str, at: DateTime<Utc> },
    /// Not attempted (a rate limit, a held chat): no attempt is counted;
    /// `note` is kept on the row for `status` when given.
    Wait { note: Option<&'a str> },
    /// Telegram can never accept this message.
    Failed { error: &'a str },
    /// Past its `expires_at`: not sent.
    Expired,
    /// Nothing left to say (every unit it named has sent since).
    Dropped { note: &'a str },
}

pub async fn finish(conn: &mut Conn, id: i64, owner: &str, outcome: Outcome<'_>) -> Result<(), StoreError> {
    // Every variant releases the claim, and writes only while this process holds it.
    let query = match outcome {
        Outcome::Sent {
            at,
            chat_id,
            message_id,
        } => sqlx::query(
            "UPDATE outbox SET state = 'sent', sent_at = $3, chat_id = $4, message_id = $5, attempts = attempts + 1,
               last_error = NULL, next_attempt_at = NULL, claimed_by = NULL, lease_until = NULL WHERE id = $1 AND claimed_by = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(ts(at))
        .bind(chat_id)
        .bind(message_id),
        Outcome::Retry { error, at } => sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4, claimed_by = NULL, lease_until = NULL WHERE id = $1 AND claimed_by = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(error.to_string())
        .bind(ts(at)),
        Outcome::Wait { note } => sqlx::query(
            "UPDATE outbox SET last_error = COALESCE($3, last_error), claimed_by = NULL, lease_until = NULL WHERE id = $1 AND claimed_by = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(note.map(str::to_string)),
        Outcome::Failed { error } => sqlx::query(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $3, claimed_by = NULL, lease_until = NULL WHERE id = $1 AND claimed_by = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(error.to_string()),
        Outcome::Expired => sqlx::query(
            "UPDATE outbox SET state = 'expired', claimed_by = NULL, lease_until = NULL WHERE id = $1 AND claimed_by = $2",
        )
            .bind(id)
            .bind(owner),
        Outcome::Dropped { note } => sqlx::query(
            "UPDATE outbox SET state = 'dropped', last_error = $3, claimed_by = NULL, lease_until = NULL WHERE id = $1 AND claimed_by = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(note.to_string()),
    };
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Replaces a claimed row's text and units (re-rendered at delivery for the
/// units still concerned).
pub async fn rewrite(conn: &mut Conn, id: i64, owner: &str, text: &str, units: &[String]) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET text = $3, units = $4 WHERE id = $1 AND claimed_by = $2")
        .bind(id)
        .bind(owner)
        .bind(text)
        .bind(json_list(units))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Extends this process's claim on a row (before each part of a long one).
/// False when the claim was lost (it lapsed and another process took it).
pub async fn renew(conn: &mut Conn, id: i64, owner: &str, lease_until: DateTime<Utc>) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE outbox SET lease_until = $3 WHERE id = $1 AND claimed_by = $2 AND state = 'pending'")
            .bind(id)
            .bind(owner)
            .bind(ts(lease_until))
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts by state, for status and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    /// Not sent because they stopped being news first.
    pub expired: i64,
    /// Not sent because every unit they named had sent by then.
    pub dropped: i64,
    /// Pending rows that have failed at least once.
    pub retrying: i64,
}

pub async fn counts(conn: &mut Conn) -> Result<OutboxCounts, StoreError> {
    let row = sqlx::query(
        "SELECT
           CAST(COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN state = 'pending' AND attempts > 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN state = 'expired' THEN 1 ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN state = 'dropped' THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM outbox",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(OutboxCounts {
        pending: row.get(0),
        sent: row.get(1),
        failed: row.get(2),
        retrying: row.get(3),
        expired: row.get(4),
        dropped: row.get(5),
    })
}

/// The most recent notices of `kind` planned at or before `at`, newest first.
pub async fn recent_of_kind(
    conn: &mut Conn,
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
pub async fn attach(conn: &mut Conn, key: &str, files: &[Attachment]) -> Result<(), StoreError> {
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
pub async fn attachments(conn: &mut Conn, outbox_id: i64) -> Result<Vec<Attachment>, StoreError> {
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
pub async fn problems(conn: &mut Conn, limit: i64) -> Result<Vec<Problem>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, key, kind, state, attempts, last_error, next_attempt_at FROM outbox
         WHERE state IN ('failed', 'expired') OR (state = 'pending' AND (attempts > 0 OR last_error IS NOT NULL))
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
