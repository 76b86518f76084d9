//! `giaoban demo`: the real pipeline on a simulated clock through the 9-month
//! 2024 cycle of the first office. The reference config and its example data
//! are built in; a temporary folder holds the units' files and the SQLite
//! database. Units publish at the times their files declare; two are late, and
//! one first sends a file that breaks a rule.

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::collect::Filter;
use crate::config::{Config, CronSpec, Storage};
use crate::domain::deadline::deadlines;
use crate::domain::period::Period;
use crate::jobs;
use crate::notify::{self, Courier, console::Console};
use crate::store::Store;

const EXAMPLE_CONFIG: &str = include_str!("../config/example.toml");

/// (unit, file) of the built-in example data.
const EXAMPLE_DATA: [(&str, &str); 8] = [
    (
        "tan-chau",
        include_str!("../config/example-data/tan-chau/9m-2024-9M.json"),
    ),
    (
        "tan-bien",
        include_str!("../config/example-data/tan-bien/9m-2024-9M.json"),
    ),
    (
        "chau-thanh",
        include_str!("../config/example-data/chau-thanh/9m-2024-9M.json"),
    ),
    (
        "duong-minh-chau",
        include_str!("../config/example-data/duong-minh-chau/9m-2024-9M.json"),
    ),
    ("go-dau", include_str!("../config/example-data/go-dau/9m-2024-9M.json")),
    (
        "ben-cau",
        include_str!("../config/example-data/ben-cau/9m-2024-9M.json"),
    ),
    (
        "trang-bang",
        include_str!("../config/example-data/trang-bang/9m-2024-9M.json"),
    ),
    (
        "hoa-thanh",
        include_str!("../config/example-data/hoa-thanh/9m-2024-9M.json"),
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

/// A file that appears in a unit's folder at a simulated instant.
struct Publication {
    at: DateTime<Utc>,
    unit: &'static str,
    body: String,
}

fn publications(tz: &chrono_tz::Tz) -> Result<Vec<Publication>, DemoError> {
    let mut out = Vec::new();
    for (unit, body) in EXAMPLE_DATA {
        let doc: serde_json::Value = serde_json::from_str(body).map_err(|e| DemoError::Setup(e.to_string()))?;
        let at = doc["submitted_at"]
            .as_str()
            .and_then(|s| crate::collect::json::parse_instant(s, tz))
            .ok_or_else(|| DemoError::Setup(format!("example data of {unit} has no submitted_at")))?
            .with_timezone(&Utc);
        if unit == "ben-cau" {
            // First a file that breaks the rule "resolved <= accepted", two days
            // before the corrected one.
            let mut bad = doc.clone();
            bad["submitted_at"] = serde_json::Value::String("2024-09-21T09:00:00+07:00".into());
            bad["metrics"]["cases_resolved"] = serde_json::json!(968);
            out.push(Publication {
                at: at - Duration::days(2),
                unit,
                body: bad.to_string(),
            });
        }
        out.push(Publication {
            at,
            unit,
            body: body.to_string(),
        });
    }
    out.sort_by_key(|p| p.at);
    Ok(out)
}

fn write_file(dir: &Path, unit: &str, body: &str) -> Result<(), DemoError> {
    let folder = dir.join("example-data").join(unit);
    std::fs::create_dir_all(&folder).map_err(io)?;
    std::fs::write(folder.join("9m-2024-9M.json"), body).map_err(io)
}

/// Runs the demo, printing the chat as it would read and the final status.
pub async fn run() -> Result<(), DemoError> {
    let started = std::time::Instant::now();
    let dir = tempfile::Builder::new().prefix("giaoban-demo-").tempdir().map_err(io)?;
    let config_path = dir.path().join("giaoban.toml");
    std::fs::write(&config_path, EXAMPLE_CONFIG).map_err(io)?;
    let mut config = Config::load(&config_path)?;
    config.state_dir = dir.path().to_path_buf();
    config.storage = Storage::Sqlite {
        path: dir.path().join("giaoban.db"),
    };
    config.telegram = None;
    // One report keeps the story readable; the other reports work the same way.
    config.regime.reports.retain(|r| r.id == "9m");
    config.report_jobs.retain(|r| r.report == "9m");
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
    println!(
        "giaoban demo — {} ({}), {} units",
        report.title,
        period.name(false),
        report.units.len()
    );
    println!(
        "Simulated clock {} → {}; deadline {}, late after {}.",
        start.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
        end.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
        d.due.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
        d.late_after.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
    );
    println!(
        "Folder {} (SQLite database and the units' files).\n",
        dir.path().display()
    );

    let mut pending = publications(&tz)?.into_iter().peekable();
    let mut prev = start - Duration::hours(1);
    let mut now = start;
    while now <= end {
        let mut published = false;
        while let Some(p) = pending.next_if(|p| p.at <= now) {
            write_file(dir.path(), p.unit, &p.body)?;
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
        notify::deliver(&store, &mut courier, now).await?;
        prev = now;
        now += Duration::hours(1);
    }

    let st = jobs::status(&config, &store, &report, period, end).await?;
    println!("{}", crate::cli::status_table(&config, &st));
    println!(
        "Demo finished in {:.1} s of real time.",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}
