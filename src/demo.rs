//! `giaoban demo`: the real pipeline on a simulated clock through the 9-month
//! 2024 cycle of the first office. The reference config and its example data
//! are built in; a temporary folder holds the units' files and the SQLite
//! database. Units publish at the times their files declare; two are late, and
//! one first sends a file that breaks a rule.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use sha2::{Digest, Sha256};

use crate::collect::Filter;
use crate::config::{Config, CronSpec, SourceLocation, Storage};
use crate::domain::deadline::deadlines;
use crate::domain::period::Period;
use crate::domain::regime::Report;
use crate::jobs;
use crate::notify::{Courier, console::Console};
use crate::store::Store;

const EXAMPLE_CONFIG: &str = include_str!("../config/example.toml");
/// The example meeting's tasks file, which the example config names.
const EXAMPLE_TASKS: (&str, &str) = (
    "example-data/tasks/giao-ban-9m-2024.toml",
    include_str!("../config/example-data/tasks/giao-ban-9m-2024.toml"),
);

/// (unit, file name, bytes) of the built-in example data: JSON, and one
/// unit each in CSV and XLSX.
const EXAMPLE_DATA: [(&str, &str, &[u8]); 8] = [
    (
        "tan-chau",
        "9m-2024-9M.json",
        include_bytes!("../config/example-data/tan-chau/9m-2024-9M.json"),
    ),
    (
        "tan-bien",
        "9m-2024-9M.json",
        include_bytes!("../config/example-data/tan-bien/9m-2024-9M.json"),
    ),
    (
        "chau-thanh",
        "9m-2024-9M.json",
        include_bytes!("../config/example-data/chau-thanh/9m-2024-9M.json"),
    ),
    (
        "duong-minh-chau",
        "9m-2024-9M.json",
        include_bytes!("../config/example-data/duong-minh-chau/9m-2024-9M.json"),
    ),
    (
        "go-dau",
        "9m-2024-9M.csv",
        include_bytes!("../config/example-data/go-dau/9m-2024-9M.csv"),
    ),
    (
        "ben-cau",
        "9m-2024-9M.json",
        include_bytes!("../config/example-data/ben-cau/9m-2024-9M.json"),
    ),
    (
        "trang-bang",
        "9m-2024-9M.xlsx",
        include_bytes!("../config/example-data/trang-bang/9m-2024-9M.xlsx"),
    ),
    (
        "hoa-thanh",
        "9m-2024-9M.json",
        include_bytes!("../config/example-data/hoa-thanh/9m-2024-9M.json"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo set-up: {0}")]
    Setup(String),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Collect(#[from] crate::collect::CollectError),
}

fn io(e: std::io::Error) -> DemoError {
    DemoError::Setup(e.to_string())
}

/// A file that a unit publishes at a simulated instant.
struct Publication {
    at: DateTime<Utc>,
    /// Its path on the sample server: `/{unit}/{file}`.
    path: String,
    body: Vec<u8>,
}

fn publications(config: &Config, report: &Report) -> Result<Vec<Publication>, DemoError> {
    let mut out = Vec::new();
    for (unit, file, body) in EXAMPLE_DATA {
        let format = config
            .sources
            .get(unit)
            .map(|s| s.format)
            .ok_or_else(|| DemoError::Setup(format!("the example config has no source for {unit}")))?;
        let at = crate::collect::parse(format, body, report, &config.regime, (&config.collection).into())
            .ok()
            .and_then(|s| s.submitted_at)
            .ok_or_else(|| DemoError::Setup(format!("example data of {unit} declares no time")))?
            .with_timezone(&Utc);
        let path = format!("/{unit}/{file}");
        if unit == "ben-cau" {
            // First a file that breaks the rule "resolved <= accepted", two days
            // before the corrected one.
            let mut bad: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| DemoError::Setup(e.to_string()))?;
            bad["submitted_at"] = serde_json::Value::String("2024-09-21T09:00:00+07:00".into());
            bad["metrics"]["cases_resolved"] = serde_json::json!(968);
            out.push(Publication {
                at: at - Duration::days(2),
                path: path.clone(),
                body: bad.to_string().into_bytes(),
            });
        }
        out.push(Publication {
            at,
            path,
            body: body.to_vec(),
        });
    }
    out.sort_by_key(|p| p.at);
    Ok(out)
}

/// What the sample server publishes: path → (bytes, ETag).
type Published = Arc<Mutex<HashMap<String, (Vec<u8>, String)>>>;

/// The built-in sample server: the units' files over real HTTP on
/// 127.0.0.1 (a free port), with ETags, so the demo collects exactly as the
/// daemon does from district servers, 304s included.
async fn sample_server(published: Published) -> Result<std::net::SocketAddr, DemoError> {
    use axum::http::{HeaderMap, StatusCode, Uri, header};
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let published = published.clone();
        async move {
            let file = published_files(&published).get(uri.path()).cloned();
            match file {
                None => StatusCode::NOT_FOUND.into_response(),
                Some((_, etag))
                    if headers
                        .get(header::IF_NONE_MATCH)
                        .is_some_and(|v| v.as_bytes() == etag.as_bytes()) =>
                {
                    StatusCode::NOT_MODIFIED.into_response()
                }
                Some((body, etag)) => ([(header::ETAG, etag)], body).into_response(),
            }
        }
    });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("demo sample server stopped: {e}");
        }
    });
    Ok(addr)
}

fn published_files(p: &Published) -> std::sync::MutexGuard<'_, HashMap<String, (Vec<u8>, String)>> {
    p.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs the demo, printing the chat as it would read and the final status.
pub async fn run() -> Result<(), DemoError> {
    let started = std::time::Instant::now();
    let dir = tempfile::Builder::new().prefix("giaoban-demo-").tempdir().map_err(io)?;
    let config_path = dir.path().join("giaoban.toml");
    std::fs::write(&config_path, EXAMPLE_CONFIG).map_err(io)?;
    let tasks_path = dir.path().join(EXAMPLE_TASKS.0);
    if let Some(folder) = tasks_path.parent() {
        std::fs::create_dir_all(folder).map_err(io)?;
    }
    std::fs::write(&tasks_path, EXAMPLE_TASKS.1).map_err(io)?;
    let mut config = Config::load(&config_path)?;
    config.state_dir = dir.path().to_path_buf();
    config.storage = Storage::Sqlite {
        path: dir.path().join("giaoban.db"),
    };
    config.telegram = None;
    // One report keeps the story readable; the other reports work the same way.
    config.regime.reports.retain(|r| r.id == "9m");
    config.report_jobs.retain(|r| r.report == "9m");
    // The period's summary goes out once, when the grace ends (the weekly
    // summary schedule would add two more in these two weeks).
    for jobs in &mut config.report_jobs {
        jobs.summary = None;
    }
    // A weekly case digest keeps the two weeks readable (the default is daily).
    config.case_digest = Some(CronSpec::parse("0 0 8 * * Mon").map_err(DemoError::Setup)?);
    let tz = config.regime.timezone;
    let report = config
        .regime
        .report("9m")
        .cloned()
        .ok_or_else(|| DemoError::Setup("the example config has no 9m report".into()))?;
    let period = Period::parse("2024-9M").map_err(|e| DemoError::Setup(e.to_string()))?;
    let d = deadlines(&report.timing, period, &tz, &config.regime.calendar);
    // Every unit publishes on the sample server; its format stays as configured.
    let server_files: Published = Arc::default();
    let addr = sample_server(server_files.clone()).await?;
    for (unit, file, _) in EXAMPLE_DATA {
        if let Some(source) = config.sources.get_mut(unit) {
            let ext = file.rsplit('.').next().unwrap_or("json");
            source.location = SourceLocation::Http {
                url: format!("http://{addr}/{{unit}}/{{report}}-{{period}}.{ext}"),
            };
        }
    }
    let store = Store::open(&dir.path().join("giaoban.db")).await?;
    let mut courier = Courier::Console(Console::stdout(tz));
    let collect_cron = config.report_jobs("9m").and_then(|j| j.collect.clone());

    let local = |y, m, d, h| {
        tz.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
    };
    let (Some(start), Some(end)) = (local(2024, 9, 12, 8), local(2024, 9, 27, 18)) else {
        return Err(DemoError::Setup("bad demo dates".into()));
    };
    crate::cli::println_out(&format!(
        "giaoban demo — {}, {} units",
        crate::domain::render::report_title(&config.regime, &report, period),
        config.regime.expected_units(&report, period).len()
    ));
    crate::cli::println_out(&format!(
        "Simulated clock {} → {}; deadline {}, late after {}.",
        start.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
        end.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
        d.due.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
        d.late_after.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
    ));
    crate::cli::println_out(&format!(
        "Folder {} (SQLite database); the units publish on http://{addr}/.\n",
        dir.path().display()
    ));

    let mut pending = publications(&config, &report)?.into_iter().peekable();
    let mut prev = start - Duration::hours(1);
    let mut now = start;
    while now <= end {
        let mut published = false;
        while let Some(p) = pending.next_if(|p| p.at <= now) {
            let etag = format!("\"{:x}\"", Sha256::digest(&p.body));
            published_files(&server_files).insert(p.path, (p.body, etag));
            published = true;
        }
        // Collect on the report's cron (the tick itself collects after the
        // deadline and the end of grace).
        let cron_fired = collect_cron.as_ref().is_some_and(|c| {
            !c.times_between(&prev.with_timezone(&tz), &now.with_timezone(&tz), 1)
                .is_empty()
        });
        if cron_fired || (published && now == start) {
            jobs::collect_pass(&config, &store, &Filter::default(), now).await?;
        }
        jobs::tick(&config, &store, now, now).await?;
        jobs::deliver(&config, &store, &mut courier, now).await?;
        prev = now;
        now += Duration::hours(1);
    }

    let st = jobs::status(&config, &store, &report, period, end).await?;
    crate::cli::println_out(&crate::cli::status_table(&config, &st));
    crate::cli::println_out(&format!(
        "Demo finished in {:.1} s of real time.",
        started.elapsed().as_secs_f64()
    ));
    store.close().await;
    Ok(())
}
