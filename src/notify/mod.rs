//! Delivery: the courier takes due rows from the outbox, in order, and marks
//! each sent only once it has been delivered. With no bot token configured
//! the courier prints to the console.
//!
//! A delivery pass claims the head of each audience's queue (see
//! [`outbox::claim_head`]), checks that the notice is still news and still
//! concerns the units it names, hands it to the courier and records the
//! answer. It never sleeps: it reports when it should be woken again (a
//! retry time, a rate slot, another process's lease), and the daemon's
//! courier task or a one-shot verb decides whether to wait.

pub mod console;
pub mod limit;
pub mod owner;
pub mod telegram;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};

pub use self::owner::Owner;
use crate::config::Config;
use crate::domain::period::Period;
use crate::domain::plan::{Audience, NoticeKind, PeriodInput, Refresh, refresh};
use crate::store::outbox::{self, Head, OutboxRow, Outcome};
use crate::store::{Store, StoreError, submissions, telegram as chats, updates};

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
    /// Not sent: past the time they were news.
    pub expired: usize,
    /// Not sent: every unit they named had sent by then.
    pub dropped: usize,
    /// Rows left pending for a later pass: a rate limit, a retry time not yet
    /// reached, a chat that refused the bot, or another process's claim.
    pub waiting: usize,
    /// The earliest real instant a later pass can make progress on what was
    /// left waiting (a retry time, a rate slot, a lease end).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wake_at: Option<DateTime<Utc>>,
}

impl Delivery {
    fn wake(&mut self, at: DateTime<Utc>) {
        self.wake_at = Some(self.wake_at.map_or(at, |w| w.min(at)));
    }

    fn add(&mut self, other: Delivery) {
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.failed += other.failed;
        self.expired += other.expired;
        self.dropped += other.dropped;
        self.waiting = other.waiting;
        self.wake_at = other.wake_at;
    }
}

/// The result of handing one row to a courier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Ok {
        chat_id: Option<i64>,
        message_id: Option<i64>,
    },
    /// The attempt failed; try again at `at` (wall clock). Counts an attempt.
    Retry { error: String, at: DateTime<Utc> },
    /// Retrying cannot help: Telegram can never accept this message.
    Failed { error: String },
    /// Not attempted: the row must wait until `until` (a rate limit, a held
    /// chat). `reason`, when given, is noted on the row for `status`.
    Wait {
        until: DateTime<Utc>,
        reason: Option<String>,
    },
}

impl Courier {
    /// Sends one row. `at` is the delivery instant the console shows (the
    /// simulated one under `--at`); rate limits and retry times use the real
    /// clock.
    async fn send(&mut self, row: &OutboxRow, at: DateTime<Utc>) -> Result<Sent, StoreError> {
        match self {
            Courier::Console(c) => Ok(c.send(row, at)),
            Courier::Telegram(t) => t.send(row).await,
        }
    }

    /// How long a claim on `row` must last for the courier to finish it.
    fn lease_for(&self, row: &OutboxRow) -> chrono::Duration {
        match self {
            Courier::Console(_) => chrono::Duration::seconds(30),
            Courier::Telegram(t) => t.lease_for(row),
        }
    }
}

/// How long to wait before attempt `attempts + 1` after a temporary failure:
/// 10 s doubling to 15 minutes, plus up to a quarter more at random so that
/// several instances do not retry in step.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let base = (10_i64 << attempts.clamp(0, 7)).min(900);
    let random = RandomState::new().hash_one(attempts);
    let jitter = (random % (base as u64 / 4 + 1)) as i64;
    chrono::Duration::seconds(base + jitter)
}

/// One delivery pass at `at`: for each audience, sends due rows oldest first
/// and stops at the first that must wait (a retry time not reached, a rate
/// limit, a held chat, another process's claim), so messages to one chat are
/// never delivered out of order. Every outcome is kept on its row; each
/// failure is logged once, here.
pub async fn deliver(
    config: &Config,
    store: &Store,
    courier: &mut Courier,
    owner: &Owner,
    at: DateTime<Utc>,
) -> Result<Delivery, StoreError> {
    let mut report = Delivery::default();
    // Each audience once per pass; one queued meanwhile (an admin notice
    // about a chat migration) is taken in the same pass.
    let mut done = std::collections::BTreeSet::new();
    loop {
        let audiences = {
            let mut conn = store.read().await?;
            outbox::due_audiences(&mut conn, at).await?
        };
        let fresh: Vec<Audience> = audiences.into_iter().filter(|a| !done.contains(a)).collect();
        if fresh.is_empty() {
            return Ok(report);
        }
        for audience in fresh {
            deliver_audience(config, store, courier, owner, audience, at, &mut report).await?;
            done.insert(audience);
        }
    }
}

async fn deliver_audience(
    config: &Config,
    store: &Store,
    courier: &mut Courier,
    owner: &Owner,
    audience: Audience,
    at: DateTime<Utc>,
    report: &mut Delivery,
) -> Result<(), StoreError> {
    loop {
        let wall = Utc::now();
        let head = {
            let mut conn = store.read().await?;
            // A generous first lease; renewed to the row's own need below.
            let lease = wall + chrono::Duration::seconds(60);
            outbox::claim_head(&mut conn, audience, owner.id(), at, wall, lease, &|o| owner.is_dead(o)).await?
        };
        let mut row = match head {
            Head::Empty => return Ok(()),
            Head::RetryAt(t) => {
                tracing::debug!(audience = %audience.key(), retry_at = %t, "delivery waits for the retry time");
                report.waiting += 1;
                report.wake(t);
                return Ok(());
            }
            Head::Leased { owner: other, until } => {
                tracing::debug!(audience = %audience.key(), %other, %until, "another process is delivering");
                report.waiting += 1;
                report.wake(until.max(wall + chrono::Duration::milliseconds(200)));
                return Ok(());
            }
            Head::Claimed(row) => *row,
        };
        let mut conn = store.read().await?;
        if let Some(expired) = row.expires_at.filter(|e| at >= *e) {
            tracing::info!(row = row.id, kind = %row.kind, key = %row.key, expired_at = %expired, "not sent: no longer news");
            outbox::finish(&mut conn, row.id, owner.id(), Outcome::Expired).await?;
            report.expired += 1;
            continue;
        }
        match still_concerned(config, &mut conn, &row, at).await? {
            Refresh::Keep => {}
            Refresh::Drop => {
                tracing::info!(row = row.id, kind = %row.kind, key = %row.key, "not sent: every unit it named has sent since, or is muted");
                let note = "every unit it named has sent since it was planned, or is muted";
                outbox::finish(&mut conn, row.id, owner.id(), Outcome::Dropped { note }).await?;
                report.dropped += 1;
                continue;
            }
            Refresh::Rewrite { text, units } => {
                // The same last line of defence as every queued text.
                let text = crate::config::scrub(&text).into_owned();
                tracing::info!(row = row.id, key = %row.key, left = units.len(), "re-rendered for the units that still owe the report");
                outbox::rewrite(&mut conn, row.id, owner.id(), &text, &units).await?;
                row.text = text;
                row.units = units;
            }
        }
        let lease = Utc::now() + courier.lease_for(&row);
        if !outbox::renew(&mut conn, row.id, owner.id(), lease).await? {
            continue;
        }
        drop(conn);
        let result = courier.send(&row, at).await?;
        let mut conn = store.read().await?;
        match result {
            Sent::Ok { chat_id, message_id } => {
                let outcome = Outcome::Sent {
                    at: Utc::now(),
                    chat_id,
                    message_id,
                };
                outbox::finish(&mut conn, row.id, owner.id(), outcome).await?;
                tracing::debug!(row = row.id, key = %row.key, ?message_id, "sent");
                report.sent += 1;
            }
            Sent::Retry { error, at: retry } => {
                tracing::warn!(row = row.id, kind = %row.kind, key = %row.key, attempt = row.attempts + 1, retry_at = %retry, "delivery failed, will retry: {error}");
                outbox::finish(
                    &mut conn,
                    row.id,
                    owner.id(),
                    Outcome::Retry {
                        error: &error,
                        at: retry,
                    },
                )
                .await?;
                report.retrying += 1;
                report.wake(retry);
                return Ok(());
            }
            Sent::Failed { error } => {
                tracing::error!(row = row.id, kind = %row.kind, key = %row.key, attempts = row.attempts + 1, "delivery failed for good: {error}");
                outbox::finish(&mut conn, row.id, owner.id(), Outcome::Failed { error: &error }).await?;
                report.failed += 1;
            }
            Sent::Wait { until, reason } => {
                tracing::debug!(row = row.id, key = %row.key, until = %until, "delivery waits");
                let note = reason.as_deref();
                outbox::finish(&mut conn, row.id, owner.id(), Outcome::Wait { note }).await?;
                report.waiting += 1;
                report.wake(until);
                return Ok(());
            }
        }
    }
}

/// For a reminder, late alert or urge: whether the units it names still owe
/// the report at `at` (see [`refresh`]).
async fn still_concerned(
    config: &Config,
    conn: &mut crate::store::Conn,
    row: &OutboxRow,
    at: DateTime<Utc>,
) -> Result<Refresh, StoreError> {
    let Some(kind) = NoticeKind::parse(&row.kind) else {
        return Ok(Refresh::Keep);
    };
    let (Some(report_id), Some(label)) = (&row.report, &row.period) else {
        return Ok(Refresh::Keep);
    };
    let mutes = updates::active_mutes(conn, at).await?;
    if mutes.iter().any(|m| m.target == format!("report:{report_id}")) {
        return Ok(Refresh::Drop);
    }
    let muted: Vec<String> = mutes
        .iter()
        .filter_map(|m| m.target.strip_prefix("unit:").map(str::to_string))
        .collect();
    if !matches!(
        kind,
        NoticeKind::Reminder | NoticeKind::Late | NoticeKind::Urge | NoticeKind::ReceivedLate | NoticeKind::Invalid
    ) {
        return Ok(Refresh::Keep);
    }
    let (Some(report), Ok(period)) = (config.regime.report(report_id), Period::parse(label)) else {
        return Ok(Refresh::Keep);
    };
    let facts = submissions::period_facts(conn, report_id, label, at).await?;
    let input = PeriodInput {
        report,
        period,
        facts,
        past: Vec::new(),
    };
    Ok(refresh(&config.regime, &input, kind, &row.key, &row.units, &muted, at))
}

/// Delivery passes until nothing more can go out within `patience` of real
/// time: what one-shot verbs (`deliver`, `tick`, `summary --send`) run. A
/// rate slot or a `retry_after` within `patience` is waited for; anything
/// later is left to the daemon or the next run.
pub async fn deliver_now(
    config: &Config,
    store: &Store,
    courier: &mut Courier,
    owner: &Owner,
    at: DateTime<Utc>,
    patience: StdDuration,
) -> Result<Delivery, StoreError> {
    let started = std::time::Instant::now();
    let mut total = Delivery::default();
    loop {
        let pass = deliver(config, store, courier, owner, at).await?;
        total.add(pass);
        let Some(wake) = total.wake_at else {
            return Ok(total);
        };
        let wait = (wake - Utc::now()).to_std().unwrap_or_default();
        if started.elapsed() + wait > patience {
            return Ok(total);
        }
        tokio::time::sleep(wait).await;
    }
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
    let mut conn = store.read().await?;
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
