//! The systemd watchdog (`WatchdogSec=`): fed at half the interval systemd
//! gives in `$WATCHDOG_USEC`, and only after the database has answered, so a
//! daemon whose storage hangs is restarted rather than trusted.

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
            match tokio::time::timeout(every, store.ping()).await {
                Ok(Ok(())) => {
                    let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
                }
                Ok(Err(e)) => tracing::warn!("the database does not answer, watchdog not fed: {e}"),
                Err(_) => tracing::warn!("the database did not answer within {every:?}, watchdog not fed"),
            }
        }
    }))
}
