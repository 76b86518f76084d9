//! HTTP sources: a GET per unit, report and period through one shared client,
//! the way a careful operator would fetch: bounded time and size, retries
//! with backoff only where a retry can help, and conditional requests so an
//! unchanged file is not downloaded again.
//!
//! A URL can carry a token in its query, so errors name a URL only through
//! [`redact`]; credentials (bearer, secret headers) are read at each use and
//! marked sensitive so they never show in `Debug` output.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap, HeaderName};
use reqwest::{Client, StatusCode};

use super::Fetched;
use crate::config::{Collection, HeaderValue, SecretError, Source};
use crate::store::submissions::Validators;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{what}: {source}")]
    Secret { what: String, source: SecretError },
    #[error("header {name}: the value cannot be sent in an HTTP header")]
    BadHeader { name: String },
    #[error("{url}: not a valid URL")]
    BadUrl { url: String },
    #[error("{url}: no complete answer within {secs} s ({attempts} attempts)")]
    Timeout { url: String, secs: u64, attempts: u32 },
    #[error("{url}: cannot connect: {detail} ({attempts} attempts)")]
    Connect { url: String, detail: String, attempts: u32 },
    #[error("{url}: the server answered HTTP {status} ({attempts} attempts)")]
    Status { url: String, status: u16, attempts: u32 },
    #[error(
        "{url}: the file is larger than the limit of {limit} bytes ([collection] max_body_bytes); download aborted"
    )]
    TooLarge { url: String, limit: u64, status: u16 },
    #[error("{url}: reading the answer failed: {detail} ({attempts} attempts)")]
    Transfer { url: String, detail: String, attempts: u32 },
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

impl HttpError {
    /// The HTTP status of the answer, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } | HttpError::TooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// What a source answered.
#[derive(Debug)]
pub enum Answer {
    /// A file, with the validators to send next time.
    Body {
        fetched: Fetched,
        validators: Validators,
        status: u16,
    },
    /// 304: the same file as the one stored last time.
    NotModified,
    /// 404 or 410: the unit has not published it yet.
    NotFound { status: u16 },
}

/// One fetch: the filled URL, the source's credentials and the validators of
/// the file stored last time.
pub struct Request<'a> {
    pub url: &'a str,
    pub source: &'a Source,
    /// Where relative secret files are looked up.
    pub base_dir: &'a Path,
    pub validators: Option<&'a Validators>,
}

/// `scheme://host[:port]/path`, with `?…` in place of a query and no user,
/// password or fragment: what an error, a log line or `check` may show of a
/// URL or a URL template.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(invalid URL)".to_string();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, _)) => (r, "?…"),
        None => (rest, ""),
    };
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}{path}{query}")
}

/// The process's client, shared by every fetch so connections are reused;
/// rebuilt only when a reloaded config changes its connect timeout.
fn client(settings: &Collection) -> Result<Client, HttpError> {
    static CLIENT: Mutex<Option<(Duration, Client)>> = Mutex::new(None);
    let mut slot = CLIENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((connect, client)) = slot.as_ref()
        && *connect == settings.connect_timeout
    {
        return Ok(client.clone());
    }
    let client = Client::builder()
        .connect_timeout(settings.connect_timeout)
        .user_agent(concat!("giaoban/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(settings.concurrency)
        // Follow redirects on the same host only: a secret header would
        // otherwise travel to whatever host a redirect names.
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let same_host = attempt
                .previous()
                .first()
                .is_some_and(|first| first.host_str() == attempt.url().host_str());
            if attempt.previous().len() > 5 || !same_host {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .map_err(|e| HttpError::Client(chain(&e)))?;
    *slot = Some((settings.connect_timeout, client.clone()));
    Ok(client)
}

/// Fetches `req.url`, retrying timeouts, connection errors and 5xx answers
/// with a doubling backoff; a 4xx is final.
pub async fn fetch(settings: &Collection, req: &Request<'_>) -> Result<Answer, HttpError> {
    let shown = redact(req.url);
    let url = reqwest::Url::parse(req.url).map_err(|_| HttpError::BadUrl { url: shown.clone() })?;
    let headers = request_headers(req)?;
    let client = client(settings)?;
    let attempts = settings.retries + 1;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match fetch_once(&client, settings, url.clone(), headers.clone(), &shown).await {
            Ok(answer) => return Ok(answer),
            Err(failure) if failure.retryable() && attempt < attempts => {
                let wait = settings.retry_backoff.saturating_mul(1 << (attempt - 1).min(8));
                tracing::debug!(url = %shown, attempt, ?wait, "retrying: {failure:?}");
                tokio::time::sleep(wait.min(Duration::from_secs(60))).await;
            }
            Err(failure) => return Err(failure.into_error(shown, settings, attempt)),
        }
    }
}

/// Bearer, extra headers and validators; secrets read now, marked sensitive.
fn request_headers(req: &Request<'_>) -> Result<HeaderMap, HttpError> {
    let mut map = HeaderMap::new();
    if let Some(secret) = &req.source.bearer {
        let token = secret.read(req.base_dir).map_err(|source| HttpError::Secret {
            what: "bearer token".into(),
            source,
        })?;
        let mut value =
            header::HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| HttpError::BadHeader {
                name: "Authorization".into(),
            })?;
        value.set_sensitive(true);
        map.insert(header::AUTHORIZATION, value);
    }
    for (name, spec) in &req.source.headers {
        let bad = || HttpError::BadHeader { name: name.clone() };
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        let value = match spec {
            HeaderValue::Plain(text) => header::HeaderValue::from_str(text).map_err(|_| bad())?,
            HeaderValue::Secret(secret) => {
                let value = secret.read(req.base_dir).map_err(|source| HttpError::Secret {
                    what: format!("header {name}"),
                    source,
                })?;
                let mut v = header::HeaderValue::from_str(value.expose()).map_err(|_| bad())?;
                v.set_sensitive(true);
                v
            }
        };
        map.insert(header_name, value);
    }
    if let Some(v) = req.validators {
        if let Some(etag) = v.etag.as_deref().and_then(|e| header::HeaderValue::from_str(e).ok()) {
            map.insert(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = v
            .last_modified
            .as_deref()
            .and_then(|e| header::HeaderValue::from_str(e).ok())
        {
            map.insert(header::IF_MODIFIED_SINCE, lm);
        }
    }
    Ok(map)
}

/// Why one attempt failed.
#[derive(Debug)]
enum Failure {
    Timeout,
    Connect(String),
    Status(u16),
    TooLarge(u16),
    Transfer(String),
}

impl Failure {
    fn retryable(&self) -> bool {
        match self {
            Failure::Timeout | Failure::Connect(_) | Failure::Transfer(_) => true,
            Failure::Status(s) => *s >= 500,
            Failure::TooLarge(_) => false,
        }
    }

    fn into_error(self, url: String, settings: &Collection, attempts: u32) -> HttpError {
        match self {
            Failure::Timeout => HttpError::Timeout {
                url,
                secs: settings.timeout.as_secs(),
                attempts,
            },
            Failure::Connect(detail) => HttpError::Connect { url, detail, attempts },
            Failure::Status(status) => HttpError::Status { url, status, attempts },
            Failure::TooLarge(status) => HttpError::TooLarge {
                url,
                limit: settings.max_body_bytes,
                status,
            },
            Failure::Transfer(detail) => HttpError::Transfer { url, detail, attempts },
        }
    }

    fn from_reqwest(e: reqwest::Error) -> Failure {
        if e.is_timeout() {
            Failure::Timeout
        } else if e.is_connect() {
            Failure::Connect(chain(&e))
        } else {
            Failure::Transfer(chain(&e))
        }
    }
}

/// An error and its causes, without the URL reqwest would print.
fn chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    if parts.is_empty() {
        // reqwest's own text names the URL: use its kind only.
        return if e.is_body() || e.is_decode() {
            "the body could not be read".into()
        } else {
            "request failed".into()
        };
    }
    parts.dedup();
    parts.join(": ")
}

async fn fetch_once(
    client: &Client,
    settings: &Collection,
    url: reqwest::Url,
    headers: HeaderMap,
    shown: &str,
) -> Result<Answer, Failure> {
    let mut response = client
        .get(url)
        .headers(headers)
        .timeout(settings.timeout)
        .send()
        .await
        .map_err(Failure::from_reqwest)?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Answer::NotModified);
    }
    if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
        return Ok(Answer::NotFound {
            status: status.as_u16(),
        });
    }
    if !status.is_success() {
        return Err(Failure::Status(status.as_u16()));
    }
    let limit = settings.max_body_bytes;
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(Failure::TooLarge(status.as_u16()));
    }
    let text_header = |name: header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let validators = Validators {
        etag: text_header(header::ETAG),
        last_modified: text_header(header::LAST_MODIFIED),
    };
    let modified = validators.last_modified.as_deref().and_then(parse_http_date);
    // Read chunk by chunk so a body past the limit is dropped before it is
    // all in memory, whatever Content-Length said.
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Failure::from_reqwest)? {
        if bytes.len() as u64 + chunk.len() as u64 > limit {
            return Err(Failure::TooLarge(status.as_u16()));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Answer::Body {
        fetched: Fetched {
            bytes,
            modified,
            location: shown.to_string(),
        },
        validators,
        status: status.as_u16(),
    })
}

/// An HTTP date (`Wed, 18 Sep 2024 08:20:00 GMT`).
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_url_keeps_host_and_path_and_drops_credentials() {
        assert_eq!(
            redact("https://user:pw@bao-cao.example.vn:8443/tan-chau/9m/2024-9M.json?token=abc"),
            "https://bao-cao.example.vn:8443/tan-chau/9m/2024-9M.json?…"
        );
        assert_eq!(redact("http://127.0.0.1/a.csv"), "http://127.0.0.1/a.csv");
        assert_eq!(
            redact("https://k:v@x.vn/{unit}/{period}.json?key=abc#top"),
            "https://x.vn/{unit}/{period}.json?…"
        );
        assert_eq!(redact("not a url token=abc"), "(invalid URL)");
    }

    #[test]
    fn http_dates_read_as_utc() {
        let t = parse_http_date("Wed, 18 Sep 2024 08:20:00 GMT").expect("date");
        assert_eq!(t.to_rfc3339(), "2024-09-18T08:20:00+00:00");
        assert!(parse_http_date("yesterday").is_none());
    }
}
