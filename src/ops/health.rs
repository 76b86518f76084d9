//! The operations listener (`[http] listen`, off by default): `GET /healthz`
//! answers 200 with a JSON document when the database answers, the scheduler
//! runs and the planner ticked when it should have, else 503 with the same
//! document; `GET /metrics` is Prometheus text (see [`super::metrics`]).

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::OpsState;
use crate::config::CronSpec;
use crate::store::jobs as runs;

/// How long a probe waits for the database.
const DB_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// All of the below are fine (a standby: the database is).
    pub healthy: bool,
    /// `active` (runs the scheduler, the courier and the bot) or `standby`
    /// (waits for the active instance's lock; PostgreSQL only).
    pub role: super::Role,
    pub database: DatabaseHealth,
    pub scheduler: SchedulerHealth,
    pub last_tick: TickHealth,
    pub uptime_seconds: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseHealth {
    pub reachable: bool,
    pub error: Option<String>,
    /// A write transaction went through just now.
    pub writable: bool,
    /// The last write that failed, while none has succeeded since.
    pub last_write_error: Option<WriteError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WriteError {
    pub at: DateTime<Utc>,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SchedulerHealth {
    /// Running, and no job's next firing is stuck in the past.
    pub alive: bool,
    pub jobs: Vec<JobHealth>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobHealth {
    pub job: String,
    pub cron: String,
    /// The next firing as the scheduler holds it.
    pub next: Option<DateTime<Utc>>,
    /// The same in the configured timezone.
    pub next_local: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TickHealth {
    /// The last planner tick recorded in the database (by any process).
    pub at: Option<DateTime<Utc>>,
    pub age_seconds: Option<i64>,
    /// The `tick` schedule fired three times since then while this process ran.
    pub stale: bool,
}

/// A job whose next firing is this far in the past has not been picked up:
/// the scheduler is stuck.
const STUCK_AFTER: chrono::Duration = chrono::Duration::seconds(60);

/// Whether the last tick is older than the third most recent firing of the
/// tick schedule that fell while this process was running (one late tick or a
/// tick skipped because the previous one ran long is not yet a fault).
pub fn tick_is_stale(
    spec: &CronSpec,
    tz: &Tz,
    last: Option<DateTime<Utc>>,
    started_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    let mut t = now.with_timezone(tz);
    let mut third = None;
    for _ in 0..3 {
        let Some(f) = spec.last_at_or_before(&t) else {
            return false;
        };
        t = f - chrono::Duration::seconds(1);
        third = Some(f.with_timezone(&Utc));
    }
    let Some(third) = third else { return false };
    started_at < third && last.is_none_or(|l| l < third)
}

/// The health of the daemon at `now`.
pub async fn health(state: &OpsState, now: DateTime<Utc>) -> Health {
    let config = state.config.read().await.clone();
    let tz = config.regime.timezone;
    let (reachable, error) = match tokio::time::timeout(DB_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => (true, None),
        Ok(Err(e)) => (false, Some(e.to_string())),
        Err(_) => (false, Some(format!("no answer within {DB_TIMEOUT:?}"))),
    };
    let writable = reachable
        && match tokio::time::timeout(DB_TIMEOUT, state.store.check_write(now)).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                state.store.note_write_error(&e);
                false
            }
            Err(_) => false,
        };
    let last_write_error = state
        .store
        .write_health()
        .last_error()
        .map(|(at, error)| WriteError { at, error });
    let last = if reachable {
        let read = async {
            let mut conn = state.store.read().await?;
            runs::last_run(&mut conn, "tick").await
        };
        tokio::time::timeout(DB_TIMEOUT, read)
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
    } else {
        None
    };
    let firings = state.vitals.next_firings().await;
    let alive = firings.as_ref().is_some_and(|list| {
        !list.is_empty() && list.iter().all(|(_, next)| next.is_some_and(|n| n > now - STUCK_AFTER))
    });
    let jobs = firings
        .unwrap_or_default()
        .into_iter()
        .map(|(job, next)| JobHealth {
            job: job.name,
            cron: job.cron,
            next,
            next_local: next.map(|n| n.with_timezone(&tz).to_rfc3339()),
        })
        .collect();
    let role = state.vitals.role();
    // Staleness counts from when this process became active: a standby that
    // just took over has not missed the ticks before.
    let since = state.vitals.active_since().unwrap_or(now);
    let stale = role == super::Role::Active && tick_is_stale(&config.tick, &tz, last, since, now);
    let healthy = match role {
        super::Role::Active => reachable && writable && alive && !stale,
        super::Role::Standby => reachable && writable,
    };
    Health {
        healthy,
        role,
        database: DatabaseHealth {
            reachable,
            error,
            writable,
            last_write_error,
        },
        scheduler: SchedulerHealth { alive, jobs },
        last_tick: TickHealth {
            at: last,
            age_seconds: last.map(|l| (now - l).num_seconds()),
            stale,
        },
        uptime_seconds: (now - state.vitals.started_at).num_seconds(),
    }
}

async fn healthz(State(state): State<OpsState>) -> Response {
    let h = health(&state, Utc::now()).await;
    let code = if h.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(h)).into_response()
}

async fn metrics(State(state): State<OpsState>) -> Response {
    let _one = state.scrape.lock().await;
    match super::metrics::render(&state, Utc::now()).await {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!("metrics: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, format!("# metrics unavailable: {e}\n")).into_response()
        }
    }
}

pub fn router(state: OpsState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: OpsState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_tick_missed_three_times_is_stale_but_one_late_tick_is_not() {
        let spec = CronSpec::parse("0 * * * * *").expect("cron");
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let started = utc("2026-11-27T00:00:00Z");
        let now = utc("2026-11-27T10:00:30Z");
        // Firings at 10:00, 09:59, 09:58: the third most recent is 09:58.
        assert!(!tick_is_stale(
            &spec,
            &tz,
            Some(utc("2026-11-27T09:59:00Z")),
            started,
            now
        ));
        assert!(!tick_is_stale(
            &spec,
            &tz,
            Some(utc("2026-11-27T09:58:00Z")),
            started,
            now
        ));
        assert!(tick_is_stale(
            &spec,
            &tz,
            Some(utc("2026-11-27T09:57:59Z")),
            started,
            now
        ));
        assert!(tick_is_stale(&spec, &tz, None, started, now));
    }

    #[test]
    fn a_fresh_process_is_not_stale_before_its_schedule_could_have_fired_three_times() {
        let spec = CronSpec::parse("0 0 3 * * *").expect("cron");
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let now = utc("2026-11-27T10:00:00Z");
        let started = utc("2026-11-27T09:59:00Z");
        assert!(!tick_is_stale(&spec, &tz, None, started, now));
        assert!(!tick_is_stale(
            &spec,
            &tz,
            Some(utc("2025-01-01T00:00:00Z")),
            started,
            now
        ));
    }
}
