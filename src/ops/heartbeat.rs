//! The heartbeat: a GET of a monitoring service's URL after every good tick,
//! so an outside monitor notices when giaoban itself stops. Bounded in time;
//! a failure is logged (without the URL, which may hold a secret) and never
//! holds up the tick.

use std::time::Duration;

use crate::config::Secret;

/// The whole request, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum HeartbeatError {
    #[error("heartbeat request failed: {0}")]
    Request(reqwest::Error),
    #[error("heartbeat answered HTTP {0}")]
    Status(u16),
}

/// The client the heartbeat uses (rustls, no proxy surprises, bounded).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("giaoban/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Fetches `url` once.
pub async fn ping(client: &reqwest::Client, url: &Secret) -> Result<(), HeartbeatError> {
    let response = client
        .get(url.expose())
        .send()
        .await
        .map_err(|e| HeartbeatError::Request(e.without_url()))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(HeartbeatError::Status(status.as_u16()))
    }
}
