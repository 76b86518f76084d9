//! The daemon: storage first, then the courier, a catch-up pass, the
//! scheduler, readiness, and a signal loop (SIGHUP reloads, SIGTERM and
//! Ctrl-C stop). Every job reads the current config from one shared slot.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, RwLock};
use tokio_cron_scheduler::{Job, JobScheduler};
use uuid::Uuid;

use crate::collect::Filter;
use crate::config::{Config, ConfigError, LogSettings, SecretError, Storage};
use crate::jobs;
use crate::notify::telegram::{Telegram, TelegramError};
use crate::notify::{self, Courier, console::Console};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("telegram token: {0}")]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Telegram(#[from] TelegramError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("scheduler: {0}")]
    Scheduler(String),
    #[error("signals: {0}")]
    Signal(std::io::Error),
}

impl DaemonError {
    pub fn exit_code(&self) -> u8 {
        match self {
            DaemonError::Config(_) | DaemonError::Secret(_) | DaemonError::Telegram(_) => 2,
            _ => 1,
        }
    }
}

/// Logs to stderr: plain text without colours when not on a terminal
/// (journald adds its own timestamps), JSON on request; the level comes from
/// `RUST_LOG`, else the config, else `info` for the daemon and `warn` otherwise.
pub fn init_logging(settings: &LogSettings, daemon: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let default = settings
        .level
        .clone()
        .unwrap_or_else(|| if daemon { "info".into() } else { "warn".into() });
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.json {
        let _ = builder.json().try_init();
    } else if std::io::stderr().is_terminal() {
        let _ = builder.try_init();
    } else {
        let _ = builder.with_ansi(false).without_time().try_init();
    }
}

/// The courier the config asks for: the console when there is no
/// `[telegram]`, else the Bot API. The token is read now, so a missing
/// credential stops start-up with an error that names where it was looked for.
pub fn courier(config: &Config, store: &Store) -> Result<Courier, DaemonError> {
    match &config.telegram {
        None => Ok(Courier::Console(Console::stdout(config.regime.timezone))),
        Some(t) => {
            let token = t.token.read(&config.base_dir)?;
            let telegram = Telegram::new(t, token, store.clone(), config.regime.language)?;
            Ok(Courier::Telegram(Box::new(telegram)))
        }
    }
}

pub async fn open_store(config: &Config) -> Result<Store, StoreError> {
    match &config.storage {
        Storage::Sqlite { path } => Store::open(path).await,
    }
}

/// Shared state of the running daemon.
struct Shared {
    config: RwLock<Arc<Config>>,
    store: Store,
    courier: Mutex<Courier>,
    /// Held while a tick (plan + deliver) runs: a tick that fires meanwhile is skipped.
    ticking: Mutex<()>,
    /// Held while a collection pass runs, likewise.
    collecting: Mutex<()>,
}

/// One scheduled tick: plan (after collecting what passed a deadline, see
/// [`jobs::tick`]), then deliver.
async fn tick_cycle(shared: &Shared, now: DateTime<Utc>) {
    let Ok(_guard) = shared.ticking.try_lock() else {
        tracing::warn!("tick skipped: the previous one is still running");
        return;
    };
    let config = shared.config.read().await.clone();
    let started = std::time::Instant::now();
    match jobs::tick(&config, &shared.store, now, now).await {
        Ok(queued) => {
            for n in &queued {
                tracing::info!(kind = n.kind.as_str(), key = %n.key, "queued");
            }
        }
        Err(e) => tracing::error!("tick failed: {e}"),
    }
    let mut courier = shared.courier.lock().await;
    match notify::deliver(&shared.store, &mut courier, now).await {
        Ok(d) if d.retrying > 0 || d.failed > 0 => {
            tracing::warn!(sent = d.sent, retrying = d.retrying, failed = d.failed, "delivery")
        }
        Ok(_) => {}
        Err(e) => tracing::error!("delivery failed: {e}"),
    }
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "tick done");
}

async fn collect_cycle(shared: &Shared, report: String, now: DateTime<Utc>) {
    let Ok(_guard) = shared.collecting.try_lock() else {
        tracing::warn!(%report, "collection skipped: the previous pass is still running");
        return;
    };
    let config = shared.config.read().await.clone();
    let filter = Filter {
        report: Some(report.clone()),
        period: None,
        unit: None,
    };
    if let Err(e) = jobs::collect_pass(&config, &shared.store, &filter, now).await {
        tracing::error!(%report, "collection failed: {e}");
    }
}

/// Adds the config's jobs to the scheduler; returns their ids for a reload.
async fn schedule(sched: &JobScheduler, shared: &Arc<Shared>, config: &Config) -> Result<Vec<Uuid>, DaemonError> {
    let tz = config.regime.timezone;
    let mut ids = Vec::new();
    let err = |e: tokio_cron_scheduler::JobSchedulerError| DaemonError::Scheduler(e.to_string());
    let s = shared.clone();
    let tick = Job::new_async_tz(config.tick.expr.as_str(), tz, move |_id, _l| {
        let s = s.clone();
        Box::pin(async move { tick_cycle(&s, Utc::now()).await })
    })
    .map_err(err)?;
    ids.push(sched.add(tick).await.map_err(err)?);
    for rj in &config.report_jobs {
        if let Some(c) = &rj.collect {
            let s = shared.clone();
            let report = rj.report.clone();
            let job = Job::new_async_tz(c.expr.as_str(), tz, move |_id, _l| {
                let s = s.clone();
                let report = report.clone();
                Box::pin(async move { collect_cycle(&s, report, Utc::now()).await })
            })
            .map_err(err)?;
            ids.push(sched.add(job).await.map_err(err)?);
        }
    }
    Ok(ids)
}

/// Runs until SIGTERM or Ctrl-C.
pub async fn run(config: Config, path: PathBuf) -> Result<(), DaemonError> {
    use tokio::signal::unix::{SignalKind, signal};
    // Signal handlers first: a SIGTERM right after readiness must stop cleanly,
    // not kill the process with the default action.
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signal)?;
    let mut hup = signal(SignalKind::hangup()).map_err(DaemonError::Signal)?;
    let store = open_store(&config).await?;
    tracing::info!(path = %store.path().display(), "storage ready");
    let courier = courier(&config, &store)?;
    let shared = Arc::new(Shared {
        config: RwLock::new(Arc::new(config.clone())),
        store,
        courier: Mutex::new(courier),
        ticking: Mutex::new(()),
        collecting: Mutex::new(()),
    });

    // Catch up on what was missed while down: one collection pass, one tick.
    // The planner sends only the latest due reminder or urge of each series.
    let now = Utc::now();
    {
        let _guard = shared.collecting.lock().await;
        if let Err(e) = jobs::collect_pass(&config, &shared.store, &Filter::default(), now).await {
            tracing::error!("start-up collection failed: {e}");
        }
    }
    tick_cycle(&shared, now).await;

    let mut sched = JobScheduler::new()
        .await
        .map_err(|e| DaemonError::Scheduler(e.to_string()))?;
    let mut ids = schedule(&sched, &shared, &config).await?;
    sched.start().await.map_err(|e| DaemonError::Scheduler(e.to_string()))?;
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    tracing::info!(jobs = ids.len(), "giaoban is running");

    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Reloading]);
                match Config::load(&path) {
                    Ok(new) => {
                        for id in ids.drain(..) {
                            let _ = sched.remove(&id).await;
                        }
                        ids = schedule(&sched, &shared, &new).await?;
                        *shared.config.write().await = Arc::new(new);
                        tracing::info!(jobs = ids.len(), "config reloaded");
                    }
                    Err(e) => tracing::error!("config reload refused, the old config stays in force: {e}"),
                }
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
            }
        }
    }
    tracing::info!("stopping");
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    let _ = sched.shutdown().await;
    // Let a running tick or collection finish, within a bound.
    let _ = tokio::time::timeout(Duration::from_secs(20), async {
        let _a = shared.ticking.lock().await;
        let _b = shared.collecting.lock().await;
    })
    .await;
    shared.store.close().await;
    tracing::info!("stopped");
    Ok(())
}
