//! What the bot received: every update is stored by `update_id` before it is
//! handled, so a crash or a restart never answers twice or loses a file;
//! chats the bot does not answer; and the mutes admins set.

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Conn, Row, StoreError, parse_ts, ts};

/// One stored update: its id and the JSON of what the bot needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUpdate {
    pub update_id: i64,
    pub body: String,
}

/// Stores updates not seen before; the rest are ignored (a second poller, a
/// repeated batch after a restart).
pub async fn store(
    conn: &mut Conn,
    updates: &[(i64, Option<i64>, Option<i64>, String)],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    for (update_id, chat_id, user_id, body) in updates {
        sqlx::query(
            "INSERT INTO telegram_updates (update_id, received_at, chat_id, user_id, body) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (update_id) DO NOTHING",
        )
        .bind(update_id)
        .bind(ts(at))
        .bind(chat_id)
        .bind(user_id)
        .bind(body)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The offset for the next `getUpdates`: one past the newest stored update.
pub async fn next_offset(conn: &mut Conn) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT MAX(update_id) FROM telegram_updates")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.get::<Option<i64>, _>(0).map(|id| id + 1))
}

/// Updates still to handle, oldest first.
pub async fn pending(conn: &mut Conn, limit: i64) -> Result<Vec<StoredUpdate>, StoreError> {
    let rows =
        sqlx::query("SELECT update_id, body FROM telegram_updates WHERE state = 'pending' ORDER BY update_id LIMIT $1")
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| StoredUpdate {
            update_id: r.get(0),
            body: r.get(1),
        })
        .collect())
}

/// Records how an update was handled: `handled`, `ignored` or `failed`.
pub async fn finish(
    conn: &mut Conn,
    update_id: i64,
    state: &str,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE telegram_updates SET state = $2, note = $3, handled_at = $4 WHERE update_id = $1")
        .bind(update_id)
        .bind(state)
        .bind(note)
        .bind(ts(at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Counts an update from a chat the bot does not answer; true the first time
/// that chat is seen (so it is logged once).
pub async fn note_stranger(conn: &mut Conn, chat_id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
    let first = sqlx::query(
        "INSERT INTO telegram_strangers (chat_id, first_seen, last_seen) VALUES ($1, $2, $2)
         ON CONFLICT (chat_id) DO NOTHING",
    )
    .bind(chat_id)
    .bind(ts(at))
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !first {
        sqlx::query("UPDATE telegram_strangers SET last_seen = $2, updates = updates + 1 WHERE chat_id = $1")
            .bind(chat_id)
            .bind(ts(at))
            .execute(&mut *conn)
            .await?;
    }
    Ok(first)
}

/// A mute an admin set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mute {
    pub id: i64,
    /// `unit:{id}` or `report:{id}`.
    pub target: String,
    pub until: DateTime<Utc>,
    pub reason: Option<String>,
    pub by_user: Option<i64>,
}

pub async fn add_mute(
    conn: &mut Conn,
    target: &str,
    until: DateTime<Utc>,
    reason: Option<&str>,
    by_user: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO mutes (target, until, reason, by_user, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(target)
        .bind(ts(until))
        .bind(reason)
        .bind(by_user)
        .bind(ts(at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Lifts every mute of `target` now; how many were in force.
pub async fn lift_mutes(conn: &mut Conn, target: &str, at: DateTime<Utc>) -> Result<u64, StoreError> {
    let done = sqlx::query("UPDATE mutes SET lifted_at = $2 WHERE target = $1 AND lifted_at IS NULL AND until > $2")
        .bind(target)
        .bind(ts(at))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

fn read_mute(r: &Row) -> Result<Mute, StoreError> {
    Ok(Mute {
        id: r.get(0),
        target: r.get(1),
        until: parse_ts(&r.get::<String, _>(2))?,
        reason: r.get(3),
        by_user: r.get(4),
    })
}

/// The mutes in force at `at`.
pub async fn active_mutes(conn: &mut Conn, at: DateTime<Utc>) -> Result<Vec<Mute>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, target, until, reason, by_user FROM mutes WHERE lifted_at IS NULL AND until > $1 AND at <= $1 ORDER BY id",
    )
    .bind(ts(at))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(|r| read_mute(&r)).collect()
}

/// Mutes that ran out by `at` and whose end was not announced yet; each is
/// marked announced (`lifted_at = until`).
pub async fn ended_mutes(conn: &mut Conn, at: DateTime<Utc>) -> Result<Vec<Mute>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, target, until, reason, by_user FROM mutes WHERE lifted_at IS NULL AND until <= $1 ORDER BY id",
    )
    .bind(ts(at))
    .fetch_all(&mut *conn)
    .await?;
    let ended: Vec<Mute> = rows
        .into_iter()
        .map(|r| read_mute(&r))
        .collect::<Result<_, StoreError>>()?;
    for m in &ended {
        sqlx::query("UPDATE mutes SET lifted_at = until WHERE id = $1")
            .bind(m.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(ended)
}
