//! Operations: what systemd and monitoring see of the running daemon — the
//! watchdog, the `/healthz` and `/metrics` listener, and the heartbeat.
//! [`Vitals`] is the little the daemon keeps in memory for them; everything
//! else is read from the database, so it survives a restart.

pub mod health;
pub mod heartbeat;
pub mod metrics;
pub mod trim;
pub mod watchdog;

use std::sync::{Mutex, RwLock};

use chrono::{DateTime, Utc};
use tokio_cron_scheduler::JobScheduler;
use uuid::Uuid;

/// A job on the scheduler: its name (`tick`, `collect:REPORT`), its cron and
/// the scheduler's id for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledJob {
    pub name: String,
    pub cron: String,
    pub id: Uuid,
}

/// Planner ticks run by this process.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TickStats {
    pub count: u64,
    pub failures: u64,
    pub seconds_total: f64,
    pub last_seconds: Option<f64>,
}

/// The running daemon's state as health checks see it.
pub struct Vitals {
    pub started_at: DateTime<Utc>,
    /// `None` before start and after shutdown.
    scheduler: tokio::sync::Mutex<Option<JobScheduler>>,
    jobs: RwLock<Vec<ScheduledJob>>,
    ticks: Mutex<TickStats>,
    /// Since when this process is the active instance; `None` while standby.
    active_since: Mutex<Option<DateTime<Utc>>>,
}

/// What this process does in an active/standby pair (see
/// [`crate::store::leader`]). On SQLite a running daemon is always active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the scheduler, the courier and the bot's polling.
    Active,
    /// Waits for the active instance's lock.
    Standby,
}

impl Vitals {
    pub fn new(started_at: DateTime<Utc>) -> Vitals {
        Vitals {
            started_at,
            scheduler: tokio::sync::Mutex::new(None),
            jobs: RwLock::new(Vec::new()),
            ticks: Mutex::new(TickStats::default()),
            active_since: Mutex::new(None),
        }
    }

    pub fn set_active(&self, since: Option<DateTime<Utc>>) {
        if let Ok(mut a) = self.active_since.lock() {
            *a = since;
        }
    }

    pub fn active_since(&self) -> Option<DateTime<Utc>> {
        self.active_since.lock().ok().and_then(|a| *a)
    }

    pub fn role(&self) -> Role {
        if self.active_since().is_some() {
            Role::Active
        } else {
            Role::Standby
        }
    }

    pub async fn set_scheduler(&self, scheduler: Option<JobScheduler>) {
        *self.scheduler.lock().await = scheduler;
    }

    pub fn set_jobs(&self, jobs: Vec<ScheduledJob>) {
        if let Ok(mut j) = self.jobs.write() {
            *j = jobs;
        }
    }

    pub fn jobs(&self) -> Vec<ScheduledJob> {
        self.jobs.read().map(|j| j.clone()).unwrap_or_default()
    }

    pub fn record_tick(&self, seconds: f64, ok: bool) {
        if let Ok(mut t) = self.ticks.lock() {
            t.count += 1;
            if !ok {
                t.failures += 1;
            }
            t.seconds_total += seconds;
            t.last_seconds = Some(seconds);
        }
    }

    pub fn ticks(&self) -> TickStats {
        self.ticks.lock().map(|t| *t).unwrap_or_default()
    }

    /// Each job with the next firing the scheduler itself holds for it;
    /// `None` when the scheduler is not running.
    pub async fn next_firings(&self) -> Option<Vec<(ScheduledJob, Option<DateTime<Utc>>)>> {
        let mut sched = self.scheduler.lock().await.clone()?;
        let mut out = Vec::new();
        for job in self.jobs() {
            let next = sched.next_tick_for_job(job.id).await.ok().flatten();
            out.push((job, next));
        }
        Some(out)
    }
}

/// What the listener's handlers read: the store, the config in force and the vitals.
#[derive(Clone)]
pub struct OpsState {
    pub store: crate::store::Store,
    pub config: std::sync::Arc<tokio::sync::RwLock<std::sync::Arc<crate::config::Config>>>,
    pub vitals: std::sync::Arc<Vitals>,
    /// One scrape at a time: a monitor that scrapes too often waits, it does
    /// not multiply the queries.
    scrape: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl OpsState {
    pub fn new(
        store: crate::store::Store,
        config: std::sync::Arc<tokio::sync::RwLock<std::sync::Arc<crate::config::Config>>>,
        vitals: std::sync::Arc<Vitals>,
    ) -> OpsState {
        OpsState {
            store,
            config,
            vitals,
            scrape: Default::default(),
        }
    }
}
