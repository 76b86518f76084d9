//! What the Telegram courier remembers: the messages it sent (for rate limits
//! across restarts and for skipping parts already delivered) and what Telegram
//! said about a chat (migrated to a supergroup, or refusing the bot).

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Conn, StoreError, parse_ts, ts};

/// Records one delivered message (a part of an outbox row).
pub async fn record_message(
    conn: &mut Conn,
    outbox_id: i64,
    part: usize,
    chat_id: i64,
    message_id: i64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO telegram_messages (outbox_id, part, chat_id, message_id, sent_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (outbox_id, part) DO UPDATE SET chat_id = $3, message_id = $4, sent_at = $5",
    )
    .bind(outbox_id)
    .bind(part as i64)
    .bind(chat_id)
    .bind(message_id)
    .bind(ts(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The parts of a row already delivered: (part, chat id, message id).
pub async fn delivered_parts(conn: &mut Conn, outbox_id: i64) -> Result<Vec<(usize, i64, i64)>, StoreError> {
    let rows =
        sqlx::query("SELECT part, chat_id, message_id FROM telegram_messages WHERE outbox_id = $1 ORDER BY part")
            .bind(outbox_id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get::<i64, _>(0).max(0) as usize, r.get(1), r.get(2)))
        .collect())
}

/// Send times after `since`, oldest first; to one chat when `chat_id` is given.
pub async fn sent_since(
    conn: &mut Conn,
    since: DateTime<Utc>,
    chat_id: Option<i64>,
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    let rows = sqlx::query(
        "SELECT sent_at FROM telegram_messages WHERE sent_at > $1 AND ($2 IS NULL OR chat_id = $2) ORDER BY sent_at",
    )
    .bind(ts(since))
    .bind(chat_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(|r| parse_ts(&r.get::<String, _>(0))).collect()
}

/// What is known about a chat.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChatState {
    pub chat_id: i64,
    pub migrated_to: Option<i64>,
    pub migrated_at: Option<DateTime<Utc>>,
    pub held_reason: Option<String>,
    pub held_since: Option<DateTime<Utc>>,
    pub recheck_at: Option<DateTime<Utc>>,
}

fn opt_ts(s: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.as_deref().map(parse_ts).transpose()
}

pub async fn chats(conn: &mut Conn) -> Result<Vec<ChatState>, StoreError> {
    let rows = sqlx::query(
        "SELECT chat_id, migrated_to, migrated_at, held_reason, held_since, recheck_at FROM telegram_chats ORDER BY chat_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ChatState {
                chat_id: r.get(0),
                migrated_to: r.get(1),
                migrated_at: opt_ts(r.get(2))?,
                held_reason: r.get(3),
                held_since: opt_ts(r.get(4))?,
                recheck_at: opt_ts(r.get(5))?,
            })
        })
        .collect()
}

pub async fn chat(conn: &mut Conn, chat_id: i64) -> Result<Option<ChatState>, StoreError> {
    Ok(chats(conn).await?.into_iter().find(|c| c.chat_id == chat_id))
}

/// Remembers that `from` became the supergroup `to`.
pub async fn set_migrated(conn: &mut Conn, from: i64, to: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO telegram_chats (chat_id, migrated_to, migrated_at) VALUES ($1, $2, $3)
         ON CONFLICT (chat_id) DO UPDATE SET migrated_to = $2, migrated_at = $3",
    )
    .bind(from)
    .bind(to)
    .bind(ts(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Holds delivery to a chat that refused the bot, until `recheck_at`.
pub async fn hold(
    conn: &mut Conn,
    chat_id: i64,
    reason: &str,
    at: DateTime<Utc>,
    recheck_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO telegram_chats (chat_id, held_reason, held_since, recheck_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (chat_id) DO UPDATE SET held_reason = $2,
           held_since = COALESCE(telegram_chats.held_since, $3), recheck_at = $4",
    )
    .bind(chat_id)
    .bind(reason)
    .bind(ts(at))
    .bind(ts(recheck_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Lifts a hold once the chat accepts a message again.
pub async fn release(conn: &mut Conn, chat_id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE telegram_chats SET held_reason = NULL, held_since = NULL, recheck_at = NULL WHERE chat_id = $1",
    )
    .bind(chat_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
