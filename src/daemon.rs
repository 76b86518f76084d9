//! The daemon, as a straight list: signal handlers, storage (migrated), the
//! courier, the scheduler with the config's jobs, the health listener,
//! readiness (systemd `READY=1`), the watchdog, a catch-up pass in the
//! background, then a signal loop: SIGHUP reloads the config, SIGTERM and
//! Ctrl-C stop. Every job reads the config in force from one shared slot.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, RwLock};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::collect::Filter;
use crate::config::{Config, ConfigError, LogSettings, SecretError};
use crate::jobs;
use crate::notify::telegram::{Telegram, TelegramError};
use crate::notify::{self, Courier, console::Console};
use crate::ops::{self, OpsState, ScheduledJob, Vitals};
use crate::store::leader::Leadership;
use crate::store::{Store, StoreError};

/// How long SIGTERM waits for a running collection, tick or delivery to
/// finish (the unit's `TimeoutStopSec=` leaves room above it). Work still
/// running then is abandoned; its open transaction is rolled back by SQLite.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

/// Collection passes that may run at once (each report's firings, the
/// catch-up); more is a sign the sources hang, and a firing is skipped.
const COLLECTING_AT_ONCE: u32 = 64;

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
    #[error("cannot listen on {addr} for /healthz and /metrics ([http] listen): {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
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
    // The scheduler crate logs its internals at info; keep them out of the journal.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{default},tokio_cron_scheduler=warn")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.json {
        let _ = builder.json().try_init();
    } else if std::io::stderr().is_terminal() {
        let _ = builder.try_init();
    } else if std::env::var_os("JOURNAL_STREAM").is_some() {
        // systemd connected stderr to the journal: a `<3>` prefix gives each
        // line its priority, so `journalctl -p err` finds the errors.
        let format = tracing_subscriber::fmt::format().with_ansi(false).without_time();
        let _ = builder.with_ansi(false).event_format(SyslogPriority(format)).try_init();
    } else {
        let _ = builder.with_ansi(false).without_time().try_init();
    }
}

/// The syslog priority journald reads from a line's `<N>` prefix
/// (sd-daemon(3)): error 3, warning 4, info 6, debug and trace 7.
pub fn syslog_priority(level: &tracing::Level) -> u8 {
    match *level {
        tracing::Level::ERROR => 3,
        tracing::Level::WARN => 4,
        tracing::Level::INFO => 6,
        _ => 7,
    }
}

/// Writes `<N>` before each event, then the event as the inner format does.
struct SyslogPriority<F>(F);

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for SyslogPriority<F>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        write!(writer, "<{}>", syslog_priority(event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
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
    Store::connect(&config.storage).await
}

/// Shared state of the running daemon.
struct Shared {
    config: Arc<RwLock<Arc<Config>>>,
    store: Store,
    courier: Mutex<Courier>,
    /// Who this process's claims on outbox rows belong to.
    owner: notify::Owner,
    /// Wakes the courier task: rows were queued, or the courier was replaced.
    wake: tokio::sync::Notify,
    /// Held while a planner tick runs: a tick that fires meanwhile is skipped.
    ticking: Mutex<()>,
    /// Collection passes running now: each scheduled firing runs (a unit
    /// still being fetched by an earlier pass is skipped as `busy`, see
    /// [`crate::collect::collect`]); SIGTERM waits for them.
    collecting: Arc<tokio::sync::Semaphore>,
    /// Set by SIGTERM: a job that starts after it does nothing.
    stopping: AtomicBool,
    /// This process is the active instance (see [`crate::store::leader`]);
    /// jobs and the courier stop when it is cleared.
    active: AtomicBool,
    vitals: Arc<Vitals>,
    heartbeat: reqwest::Client,
}

impl Shared {
    /// No new work: SIGTERM, or the active role was lost.
    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst) || !self.active.load(Ordering::SeqCst)
    }
}

/// One scheduled tick: plan (after collecting what passed a deadline, see
/// [`jobs::tick`]) and wake the courier task for what was queued; after a
/// good one, the heartbeat.
async fn tick_cycle(shared: &Arc<Shared>, now: DateTime<Utc>) {
    let Ok(_guard) = shared.ticking.try_lock() else {
        tracing::warn!("tick skipped: the previous one is still running");
        return;
    };
    if shared.stopping() {
        return;
    }
    let config = shared.config.read().await.clone();
    let started = std::time::Instant::now();
    let mut good = true;
    match jobs::tick(&config, &shared.store, now, now).await {
        Ok(queued) => {
            for n in &queued {
                tracing::info!(kind = n.kind.as_str(), key = %n.key, "queued");
            }
            if !queued.is_empty() {
                shared.wake.notify_one();
            }
        }
        Err(e) => {
            good = false;
            shared.store.note_write_error(&e);
            tracing::error!("tick failed: {e}");
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    shared.vitals.record_tick(elapsed, good);
    tracing::debug!(ms = (elapsed * 1000.0) as u64, "tick done");
    if good {
        heartbeat(shared, &config);
    }
}

/// The courier task: delivers what is due, then sleeps until the earliest of
/// the next retry time, the next planned time, the next free rate slot, a
/// lease that lapses, or a wake-up (rows queued, the courier replaced, stop).
/// The one road from the outbox to the chat while the daemon runs.
async fn courier_task(shared: Arc<Shared>) {
    /// Even with nothing known to wait for, look again this often.
    const IDLE: Duration = Duration::from_secs(60);
    /// After a failed pass (the database could not be read or written).
    const AFTER_ERROR: Duration = Duration::from_secs(5);
    let mut failing = false;
    while !shared.stopping() {
        let config = shared.config.read().await.clone();
        let now = Utc::now();
        let pass = {
            let mut courier = shared.courier.lock().await;
            notify::deliver(&config, &shared.store, &mut courier, &shared.owner, now).await
        };
        let sleep = match pass {
            Ok(d) => {
                if failing {
                    tracing::info!("delivery works again");
                    failing = false;
                }
                if d.sent + d.failed + d.retrying + d.expired + d.dropped > 0 {
                    tracing::info!(
                        sent = d.sent,
                        retrying = d.retrying,
                        failed = d.failed,
                        expired = d.expired,
                        dropped = d.dropped,
                        "delivery"
                    );
                }
                let stored = match shared.store.read().await {
                    Ok(mut conn) => crate::store::outbox::next_wake(&mut conn, now, Utc::now())
                        .await
                        .ok()
                        .flatten(),
                    Err(_) => None,
                };
                let wake = [d.wake_at, stored].into_iter().flatten().min();
                wake.map_or(IDLE, |w| (w - Utc::now()).to_std().unwrap_or_default().min(IDLE))
            }
            Err(e) => {
                if !failing {
                    tracing::error!("delivery failed: {e}");
                    failing = true;
                }
                shared.store.note_write_error(&e);
                AFTER_ERROR
            }
        };
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

/// Pings the heartbeat URL in the background: a slow monitor never holds up
/// the next tick, and the request is bounded ([`ops::heartbeat::TIMEOUT`]).
fn heartbeat(shared: &Shared, config: &Config) {
    let Some(hb) = &config.http.heartbeat else {
        return;
    };
    let url = match hb.url(&config.base_dir) {
        Ok(url) => url,
        Err(e) => {
            tracing::warn!("heartbeat skipped: {e}");
            return;
        }
    };
    let client = shared.heartbeat.clone();
    tokio::spawn(async move {
        if let Err(e) = ops::heartbeat::ping(&client, &url).await {
            tracing::warn!("{e}");
        }
    });
}

async fn collect_cycle(shared: &Shared, report: Option<String>, now: DateTime<Utc>) {
    // Passes never exclude each other; the permit only lets SIGTERM wait for them.
    let Ok(_running) = shared.collecting.clone().try_acquire_owned() else {
        tracing::warn!(
            report = report.as_deref().unwrap_or("*"),
            "collection skipped: too many passes are running"
        );
        return;
    };
    if shared.stopping() {
        return;
    }
    let config = shared.config.read().await.clone();
    let filter = Filter {
        report: report.clone(),
        period: None,
        unit: None,
        force: false,
    };
    if let Err(e) = jobs::collect_pass(&config, &shared.store, &filter, now).await {
        tracing::error!(report = report.as_deref().unwrap_or("*"), "collection failed: {e}");
    }
}

/// Adds the config's jobs to the scheduler and logs each with its next firing
/// times. On an error the jobs already added are removed again.
async fn schedule(
    sched: &JobScheduler,
    shared: &Arc<Shared>,
    config: &Config,
) -> Result<Vec<ScheduledJob>, DaemonError> {
    let tz = config.regime.timezone;
    let err = |e: tokio_cron_scheduler::JobSchedulerError| DaemonError::Scheduler(e.to_string());
    let mut wanted: Vec<(String, &crate::config::CronSpec, Option<String>)> = vec![("tick".into(), &config.tick, None)];
    for rj in &config.report_jobs {
        if let Some(c) = &rj.collect {
            wanted.push((format!("collect:{}", rj.report), c, Some(rj.report.clone())));
        }
    }
    let mut added = Vec::new();
    for (name, spec, report) in wanted {
        let s = shared.clone();
        let job = if let Some(report) = report {
            Job::new_async_tz(spec.expr.as_str(), tz, move |_id, _l| {
                let s = s.clone();
                let report = report.clone();
                Box::pin(async move { collect_cycle(&s, Some(report), Utc::now()).await })
            })
        } else {
            Job::new_async_tz(spec.expr.as_str(), tz, move |_id, _l| {
                let s = s.clone();
                Box::pin(async move { tick_cycle(&s, Utc::now()).await })
            })
        };
        let id = match job.map_err(err) {
            Ok(job) => sched.add(job).await.map_err(err),
            Err(e) => Err(e),
        };
        let id = match id {
            Ok(id) => id,
            Err(e) => {
                unschedule(sched, &added).await;
                return Err(e);
            }
        };
        let next: Vec<String> = spec
            .next_times(&Utc::now().with_timezone(&tz), 3)
            .iter()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
            .collect();
        tracing::info!(job = %name, cron = %spec.expr, next = %next.join(", "), "scheduled");
        added.push(ScheduledJob {
            name,
            cron: spec.expr.clone(),
            id,
        });
    }
    Ok(added)
}

async fn unschedule(sched: &JobScheduler, jobs: &[ScheduledJob]) {
    for job in jobs {
        if let Err(e) = sched.remove(&job.id).await {
            tracing::warn!(job = %job.name, "cannot remove the job from the scheduler: {e}");
        }
    }
}

/// How often a standby tries the active instance's lock, and the active one
/// proves it still holds it. With PostgreSQL's release of the lock when the
/// holder's session ends, a takeover comes within this after the active
/// instance dies (plus the server's own detection of a dead connection; see
/// the README on failover).
const LOOK_EVERY: Duration = Duration::from_secs(2);

/// The work only the active instance does: the scheduler with the config's
/// jobs, the courier task, the bot's long polling and the catch-up pass.
struct Active {
    sched: JobScheduler,
    jobs: Vec<ScheduledJob>,
    courier: tokio::task::JoinHandle<()>,
    poll_stop: tokio::sync::watch::Sender<bool>,
    poller: Option<tokio::task::JoinHandle<()>>,
    catch_up: tokio::task::JoinHandle<()>,
}

impl Active {
    async fn start(shared: &Arc<Shared>) -> Result<Active, DaemonError> {
        shared.active.store(true, Ordering::SeqCst);
        let config = shared.config.read().await.clone();
        let sched = JobScheduler::new()
            .await
            .map_err(|e| DaemonError::Scheduler(e.to_string()))?;
        let jobs = schedule(&sched, shared, &config).await?;
        sched.start().await.map_err(|e| DaemonError::Scheduler(e.to_string()))?;
        shared.vitals.set_jobs(jobs.clone());
        shared.vitals.set_scheduler(Some(sched.clone())).await;
        shared.vitals.set_active(Some(Utc::now()));

        let courier = tokio::spawn(courier_task(shared.clone()));
        // The bot's long polling, when there is a bot.
        let (poll_stop, poll_stopped) = tokio::sync::watch::channel(false);
        let poller = config.telegram.is_some().then(|| {
            let woken = shared.clone();
            tokio::spawn(crate::bot::poll::run(
                shared.config.clone(),
                shared.store.clone(),
                move || woken.wake.notify_one(),
                poll_stopped,
            ))
        });
        // Catch up on what was missed while no instance was active: one
        // collection pass, then one tick (the planner sends only the latest
        // due reminder or urge of each series). In the background, so
        // readiness does not wait on slow sources.
        let catch_up = {
            let shared = shared.clone();
            tokio::spawn(async move {
                let now = Utc::now();
                collect_cycle(&shared, None, now).await;
                tick_cycle(&shared, now).await;
                tracing::info!("catch-up pass done");
                // Start-up is over: its code need not stay resident.
                let dropped = crate::ops::trim::after_start_up();
                tracing::debug!(code_bytes = dropped, "start-up memory given back");
            })
        };
        tracing::info!(jobs = jobs.len(), "giaoban is running");
        Ok(Active {
            sched,
            jobs,
            courier,
            poll_stop,
            poller,
            catch_up,
        })
    }

    /// Stops the active work: no new work (the flag, then the scheduler),
    /// then waits up to `grace` for running work. Returns whether it finished.
    async fn stop(self, shared: &Arc<Shared>, grace: Duration) -> bool {
        shared.active.store(false, Ordering::SeqCst);
        shared.vitals.set_active(None);
        shared.wake.notify_one();
        let _ = self.poll_stop.send(true);
        if let Some(p) = self.poller {
            // Updates are stored before they are handled: one cut off here is
            // handled by the next active instance.
            let abort = p.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), p).await.is_err() {
                abort.abort();
            }
        }
        shared.vitals.set_scheduler(None).await;
        let mut sched = self.sched;
        if let Err(e) = sched.shutdown().await {
            tracing::warn!("scheduler shutdown: {e}");
        }
        let (catch_up, courier) = (self.catch_up, self.courier);
        let drained = tokio::time::timeout(grace, async {
            let _ = catch_up.await;
            let _ = courier.await;
            let _a = shared.ticking.lock().await;
            let _b = shared.collecting.acquire_many(COLLECTING_AT_ONCE).await;
            let _c = shared.courier.lock().await;
        })
        .await;
        drained.is_ok()
    }
}

/// Runs until SIGTERM or Ctrl-C.
pub async fn run(config: Config, path: PathBuf) -> Result<(), DaemonError> {
    use tokio::signal::unix::{SignalKind, signal};
    // First, so a SIGTERM during start-up is a clean stop, not a kill.
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signal)?;
    let mut hup = signal(SignalKind::hangup()).map_err(DaemonError::Signal)?;

    let store = open_store(&config).await?;
    tracing::info!(backend = store.backend().as_str(), place = %store.place(), "storage ready");
    let courier = courier(&config, &store)?;
    let vitals = Arc::new(Vitals::new(Utc::now()));
    let shared = Arc::new(Shared {
        config: Arc::new(RwLock::new(Arc::new(config.clone()))),
        store,
        courier: Mutex::new(courier),
        owner: notify::Owner::new(),
        wake: tokio::sync::Notify::new(),
        ticking: Mutex::new(()),
        collecting: Arc::new(tokio::sync::Semaphore::new(COLLECTING_AT_ONCE as usize)),
        stopping: AtomicBool::new(false),
        active: AtomicBool::new(false),
        vitals: vitals.clone(),
        heartbeat: ops::heartbeat::client(),
    });

    let (http_stop, http_task) = match config.http.listen {
        None => (None, None),
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| DaemonError::Listen { addr, source })?;
            let addr = listener.local_addr().unwrap_or(addr);
            let state = OpsState::new(shared.store.clone(), shared.config.clone(), vitals.clone());
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(async move {
                if let Err(e) = ops::health::serve(listener, state, async move {
                    let _ = rx.await;
                })
                .await
                {
                    tracing::error!("the health listener stopped: {e}");
                }
            });
            tracing::info!(%addr, "serving /healthz and /metrics");
            (Some(tx), Some(task))
        }
    };

    // Ready once storage is migrated: a standby is a running service too.
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    let watchdog = ops::watchdog::spawn(shared.store.clone());

    let mut leadership = Leadership::new(&shared.store);
    let mut active: Option<Active> = None;
    let mut waiting_logged = false;
    let mut look = tokio::time::interval(LOOK_EVERY);
    look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                let mut state = vec![sd_notify::NotifyState::Reloading];
                if let Ok(m) = sd_notify::NotifyState::monotonic_usec_now() {
                    state.push(m);
                }
                let _ = sd_notify::notify(&state);
                reload(&shared, active.as_mut(), &path).await;
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
            }
            _ = look.tick() => {
                match leadership.poll().await {
                    Ok(true) if active.is_none() => {
                        if shared.store.backend() == crate::store::Backend::Postgres {
                            tracing::info!("active: this instance holds the lock and runs the scheduler, the courier and the bot");
                        }
                        waiting_logged = false;
                        active = Some(Active::start(&shared).await?);
                    }
                    Ok(true) => {}
                    Ok(false) => {
                        if !waiting_logged {
                            tracing::info!("standby: another instance is active; taking over when its lock is released");
                            waiting_logged = true;
                        }
                    }
                    Err(e) => {
                        if let Some(a) = active.take() {
                            tracing::error!("lost the active role (the lock's connection failed: {e}); standing by");
                            a.stop(&shared, SHUTDOWN_GRACE).await;
                        } else if !waiting_logged {
                            tracing::warn!("standby: cannot reach the database to try the lock: {e}");
                            waiting_logged = true;
                        }
                    }
                }
            }
        }
    }

    tracing::info!(
        "stopping: no new work; waiting up to {}s for running work",
        SHUTDOWN_GRACE.as_secs()
    );
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    shared.stopping.store(true, Ordering::SeqCst);
    shared.wake.notify_one();
    if let Some(w) = watchdog {
        w.abort();
    }
    let drained = match active.take() {
        Some(a) => a.stop(&shared, SHUTDOWN_GRACE).await,
        None => true,
    };
    if !drained {
        tracing::warn!(
            "running work did not finish within {}s and is abandoned; its open transaction is rolled back",
            SHUTDOWN_GRACE.as_secs()
        );
    }
    // The standby, if any, takes over on its next look.
    leadership.release().await;
    if let Some(tx) = http_stop {
        let _ = tx.send(());
    }
    if let Some(task) = http_task {
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
    if drained {
        shared.store.close().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Re-reads the config at `path`. A valid one replaces the config in force
/// (the jobs of the active instance, and the courier when `[telegram]`
/// changed); an invalid one is refused, logged with its error, and announced
/// to the admins in chat, and the old one stays in force.
async fn reload(shared: &Arc<Shared>, active: Option<&mut Active>, path: &Path) {
    let old = shared.config.read().await.clone();
    let loaded = Config::load(path).map_err(DaemonError::from).and_then(|new| {
        // A token that cannot be read refuses the config, as at start-up.
        let courier = if new.telegram != old.telegram {
            Some(courier(&new, &shared.store)?)
        } else {
            None
        };
        Ok((new, courier))
    });
    let (new, new_courier) = match loaded {
        Ok(ok) => ok,
        Err(e) => {
            let error = e.to_string();
            tracing::error!("config reload refused, the old config stays in force: {error}");
            announce_config_error(shared, &old, &error).await;
            return;
        }
    };
    if let Some(active) = active {
        let jobs = match schedule(&active.sched, shared, &new).await {
            Ok(jobs) => jobs,
            Err(e) => {
                let error = e.to_string();
                tracing::error!("config reload refused, the old config stays in force: {error}");
                announce_config_error(shared, &old, &error).await;
                return;
            }
        };
        unschedule(&active.sched, &active.jobs).await;
        active.jobs = jobs;
        shared.vitals.set_jobs(active.jobs.clone());
    }
    if let Some(c) = new_courier {
        *shared.courier.lock().await = c;
        tracing::info!("[telegram] changed: delivery now uses the new settings");
    }
    for (what, changed) in [
        ("[storage]", new.storage != old.storage),
        ("[log]", new.log != old.log),
        ("[http] listen", new.http.listen != old.http.listen),
    ] {
        if changed {
            tracing::warn!("{what} changed: it takes effect only after a restart (systemctl restart giaoban)");
        }
    }
    *shared.config.write().await = Arc::new(new);
    shared.wake.notify_one();
    tracing::info!("config reloaded");
}

/// Queues the refusal for the admins (once per distinct error) and delivers
/// it in the background through the normal courier.
async fn announce_config_error(shared: &Arc<Shared>, config: &Config, error: &str) {
    match jobs::announce_config_error(config, &shared.store, error, Utc::now()).await {
        Ok(true) => {
            tracing::info!("the admins are told in chat that the config was refused");
            shared.wake.notify_one();
        }
        Ok(false) => tracing::info!("this config error was already announced in chat"),
        Err(e) => tracing::error!("cannot queue the config error for the admins: {e}"),
    }
}
