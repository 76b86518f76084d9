//! Delivery: the courier takes due rows from the outbox, in order, and marks
//! each sent only once it has been delivered. With no bot token configured
//! the courier prints to the console.

pub mod console;
pub mod limit;
pub mod telegram;

use std::hash::BuildHasher;

use chrono::{DateTime, Utc};

use crate::store::outbox::{self, OutboxRow};
use crate::store::{Store, StoreError, telegram as chats};

/// Where messages go.
pub enum Courier {
    Console(console::Console),
    Telegram(Box<telegram::Telegram>),
}

/// What one delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Rows left pending for a later pass: a rate limit, a retry time not yet
    /// reached, or a chat that refused the bot.
    pub waiting: usize,
}

/// The result of handing one row to a courier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Ok {
        chat_id: Option<i64>,
        message_id: Option<i64>,
    },
    /// The attempt failed; try again at `at`. Counts an attempt.
    Retry { error: String, at: DateTime<Utc> },
    /// Retrying cannot help.
    Failed { error: String },
    /// Not attempted: the row must wait until `until` (a rate limit, a held
    /// chat). `reason`, when given, is noted on the row for `status`.
    Wait {
        until: DateTime<Utc>,
        reason: Option<String>,
    },
}

/// The delivery clock: the pass's instant (`tick --at`, or now in the
/// daemon) plus the real time elapsed since the pass began, so rate limits
/// count real seconds even when the pass runs at a simulated instant.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base: DateTime<Utc>,
    started: std::time::Instant,
}

impl Clock {
    pub fn starting_at(base: DateTime<Utc>) -> Clock {
        Clock {
            base,
            started: std::time::Instant::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.base + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
    }
}

impl Courier {
    async fn send(&mut self, row: &OutboxRow, clock: &Clock) -> Result<Sent, StoreError> {
        match self {
            Courier::Console(c) => Ok(c.send(row, clock.now())),
            Courier::Telegram(t) => t.send(row, clock).await,
        }
    }
}

/// How long to wait before attempt `attempts + 1` after a temporary failure:
/// 10 s doubling to 15 minutes, plus up to a quarter more at random so that
/// several instances do not retry in step.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let base = (10_i64 << attempts.clamp(0, 7)).min(900);
    let random = std::collections::hash_map::RandomState::new().hash_one(attempts);
    let jitter = (random % (base as u64 / 4 + 1)) as i64;
    chrono::Duration::seconds(base + jitter)
}

/// Sends every due row, oldest first; stops at the first row that must wait
/// (a retry time not reached, a rate limit, a held chat), so messages are
/// never delivered out of order. Every failure is logged and kept on its row.
pub async fn deliver(store: &Store, courier: &mut Courier, now: DateTime<Utc>) -> Result<Delivery, StoreError> {
    let clock = Clock::starting_at(now);
    let mut report = Delivery::default();
    loop {
        let rows = {
            let mut conn = store.pool().acquire().await?;
            outbox::due(&mut conn, now, 100).await?
        };
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            if let Some(at) = row.next_attempt_at.filter(|at| *at > now) {
                tracing::debug!(row = row.id, key = %row.key, retry_at = %at, "delivery waits for the retry time");
                report.waiting += 1;
                return Ok(report);
            }
            let result = courier.send(row, &clock).await?;
            let mut conn = store.pool().acquire().await?;
            match result {
                Sent::Ok { chat_id, message_id } => {
                    outbox::mark_sent(&mut conn, row.id, clock.now(), chat_id, message_id).await?;
                    tracing::debug!(row = row.id, key = %row.key, ?message_id, "sent");
                    report.sent += 1;
                }
                Sent::Retry { error, at } => {
                    tracing::warn!(id = row.id, kind = %row.kind, key = %row.key, attempts = row.attempts + 1, retry_at = %at, "delivery failed, will retry: {error}");
                    outbox::mark_retry(&mut conn, row.id, &error, at).await?;
                    tracing::warn!(
                        row = row.id,
                        key = %row.key,
                        attempt = row.attempts + 1,
                        retry_at = %at,
                        "delivery failed, will retry: {error}"
                    );
                    report.retrying += 1;
                    return Ok(report);
                }
                Sent::Failed { error } => {
                    tracing::error!(id = row.id, kind = %row.kind, key = %row.key, attempts = row.attempts + 1, "delivery failed, giving up: {error}");
                    outbox::mark_failed(&mut conn, row.id, &error).await?;
                    tracing::error!(row = row.id, key = %row.key, "delivery failed for good: {error}");
                    report.failed += 1;
                }
                Sent::Wait { until, reason } => {
                    if let Some(reason) = &reason {
                        outbox::note_waiting(&mut conn, row.id, reason).await?;
                        tracing::warn!(row = row.id, key = %row.key, until = %until, "delivery held: {reason}");
                    } else {
                        tracing::info!(row = row.id, key = %row.key, until = %until, "delivery paused by the rate limit");
                    }
                    report.waiting += 1;
                    return Ok(report);
                }
            }
        }
    }
    Ok(report)
}

/// The outbox as `status` shows it: counts, the rows in trouble, and what
/// Telegram said about the chats (migrations, refusals).
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxStatus {
    #[serde(flatten)]
    pub counts: outbox::OutboxCounts,
    /// When the oldest pending row may be tried again, if it is waiting.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub problems: Vec<outbox::Problem>,
    pub chats: Vec<chats::ChatState>,
}

pub async fn outbox_status(store: &Store) -> Result<OutboxStatus, StoreError> {
    let mut conn = store.pool().acquire().await?;
    let counts = outbox::counts(&mut conn).await?;
    let problems = outbox::problems(&mut conn, 20).await?;
    let next_attempt_at = problems
        .iter()
        .filter(|p| p.state == "pending")
        .min_by_key(|p| p.id)
        .and_then(|p| p.next_attempt_at);
    let chats = chats::chats(&mut conn).await?;
    Ok(OutboxStatus {
        counts,
        next_attempt_at,
        problems,
        chats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds_to_fifteen_minutes_with_some_jitter() {
        for (attempts, base) in [(0, 10), (1, 20), (2, 40), (5, 320), (7, 900), (40, 900)] {
            let d = backoff(attempts).num_seconds();
            assert!(d >= base && d <= base + base / 4, "attempt {attempts}: {d}");
        }
    }
}
