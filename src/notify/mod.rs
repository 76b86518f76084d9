//! Delivery: the courier takes due rows from the outbox, in order, and marks
//! each sent only once it has been delivered. With no bot token configured
//! the courier prints to the console.

pub mod console;

use chrono::{DateTime, Utc};

use crate::store::outbox::{self, OutboxRow};
use crate::store::{Store, StoreError};

/// Where messages go.
pub enum Courier {
    Console(console::Console),
}

/// What one delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The result of handing one row to a courier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Ok {
        chat_id: Option<i64>,
        message_id: Option<i64>,
    },
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    Failed {
        error: String,
    },
}

impl Courier {
    async fn send(&mut self, row: &OutboxRow, now: DateTime<Utc>) -> Sent {
        match self {
            Courier::Console(c) => c.send(row, now),
        }
    }
}

/// Sends every due row, oldest first; stops early if a row must wait, so
/// messages are never delivered out of order.
pub async fn deliver(store: &Store, courier: &mut Courier, now: DateTime<Utc>) -> Result<Delivery, StoreError> {
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
            let result = courier.send(row, now).await;
            let mut conn = store.pool().acquire().await?;
            match result {
                Sent::Ok { chat_id, message_id } => {
                    outbox::mark_sent(&mut conn, row.id, now, chat_id, message_id).await?;
                    report.sent += 1;
                }
                Sent::Retry { error, at } => {
                    tracing::warn!(id = row.id, kind = %row.kind, key = %row.key, attempts = row.attempts + 1, retry_at = %at, "delivery failed, will retry: {error}");
                    outbox::mark_retry(&mut conn, row.id, &error, at).await?;
                    report.retrying += 1;
                    return Ok(report);
                }
                Sent::Failed { error } => {
                    tracing::error!(id = row.id, kind = %row.kind, key = %row.key, attempts = row.attempts + 1, "delivery failed, giving up: {error}");
                    outbox::mark_failed(&mut conn, row.id, &error).await?;
                    report.failed += 1;
                }
            }
        }
    }
    Ok(report)
}
