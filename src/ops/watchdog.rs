//! The systemd watchdog (`WatchdogSec=`): fed at half the interval systemd
//! gives in `$WATCHDOG_USEC`, and only after a write transaction has gone
//! through ([`Store::check_write`]), so a daemon that cannot write (a full
//! disk, a read-only file, a lock held elsewhere) is restarted by systemd
//! rather than trusted.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::store::Store;

/// Starts feeding the watchdog when systemd asked for one; `None` otherwise.
pub fn spawn(store: Store) -> Option<JoinHandle<()>> {
    let interval = sd_notify::watchdog_enabled()?;
    let every = (interval / 2).max(Duration::from_millis(100));
    tracing::info!(interval_ms = interval.as_millis() as u64, "systemd watchdog enabled");
    Some(tokio::spawn(async move {
        let mut timer = tokio::time::interval(every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            match tokio::time::timeout(every, store.check_write(chrono::Utc::now())).await {
                Ok(Ok(())) => {
                    let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
                }
                Ok(Err(e)) => tracing::warn!("the database cannot be written, watchdog not fed: {e}"),
                Err(_) => tracing::warn!("a database write did not finish within {every:?}, watchdog not fed"),
            }
        }
    }))
}
