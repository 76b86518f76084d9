//! Collection: fetch each unit's file from its source, parse it, validate it
//! and store it. Nothing is lost: an accepted file becomes a new revision, a
//! bad one is recorded with its error and never replaces an earlier revision,
//! and identical content adds nothing.

pub mod file;
pub mod json;

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

use crate::config::{Config, Format, Source, SourceLocation};
use crate::domain::deadline::{active_periods, deadlines};
use crate::domain::period::Period;
use crate::domain::regime::{Regime, Report};
use crate::domain::submission::{self, Submission};
use crate::store::cases;
use crate::store::submissions::{self as subs, NewSubmission};
use crate::store::{Store, StoreError};

/// Largest file read from a source.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Bytes read from a source, with the time the source says they changed.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub modified: Option<DateTime<Utc>>,
    /// Path or URL, without credentials.
    pub location: String,
}

/// What one unit's collection came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new accepted revision.
    NewRevision { revision: i64, submitted_at: DateTime<Utc> },
    /// Same bytes as the last file seen: nothing stored.
    Unchanged,
    /// Nothing published yet.
    NotFound,
    /// The file was read but refused; the error is stored.
    Rejected { error: String },
    /// The source could not be read (kept for the operator; retried next pass).
    Failed { error: String },
    /// The unit has no source configured.
    NoSource,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::NewRevision { .. } => "new_revision",
            Outcome::Unchanged => "unchanged",
            Outcome::NotFound => "not_found",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Failed { .. } => "error",
            Outcome::NoSource => "no_source",
        }
    }

    pub fn detail(&self) -> Option<String> {
        match self {
            Outcome::NewRevision { revision, .. } => Some(format!("revision {revision}")),
            Outcome::Rejected { error } | Outcome::Failed { error } => Some(error.clone()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct UnitOutcome {
    pub report: String,
    pub period: Period,
    pub unit: String,
    pub outcome: Outcome,
}

/// Which report-periods and units a pass covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub report: Option<String>,
    pub period: Option<Period>,
    pub unit: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("no report '{0}' in the config")]
    UnknownReport(String),
    #[error("no unit '{0}' in the config")]
    UnknownUnit(String),
    #[error("{0}")]
    BadPeriod(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The report-periods a pass at `now` covers: the given period, else the
/// periods open for collection (see [`active_periods`]).
pub fn targets<'a>(
    config: &'a Config,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Vec<(&'a Report, Period)>, CollectError> {
    let regime = &config.regime;
    if let Some(u) = &filter.unit
        && regime.unit(u).is_none()
    {
        return Err(CollectError::UnknownUnit(u.clone()));
    }
    let reports: Vec<&Report> = match &filter.report {
        Some(r) => vec![regime.report(r).ok_or_else(|| CollectError::UnknownReport(r.clone()))?],
        None => regime.reports.iter().collect(),
    };
    let today = now.with_timezone(&regime.timezone).date_naive();
    let mut out = Vec::new();
    for report in reports {
        match filter.period {
            Some(p) if p.kind == report.timing.period_kind => out.push((report, p)),
            Some(p) if filter.report.is_some() => {
                return Err(CollectError::BadPeriod(format!(
                    "period {p} is not a {} period of report '{}'",
                    report.timing.period_kind.as_str(),
                    report.id
                )));
            }
            Some(_) => {}
            None => {
                for p in active_periods(&report.timing, today, &regime.timezone, &regime.calendar) {
                    out.push((report, p));
                }
            }
        }
    }
    Ok(out)
}

/// One collection pass at `now` over the filter's report-periods and units.
pub async fn collect(
    config: &Config,
    store: &Store,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Vec<UnitOutcome>, CollectError> {
    let mut results = Vec::new();
    for (report, period) in targets(config, filter, now)? {
        for unit in config.regime.expected_units(report, period) {
            if filter.unit.as_ref().is_some_and(|u| *u != unit.id) {
                continue;
            }
            let outcome = match config.sources.get(&unit.id) {
                None => Outcome::NoSource,
                Some(source) => collect_one(config, store, report, period, &unit.id, source, now).await?,
            };
            if outcome != Outcome::NoSource {
                let mut conn = store.pool().acquire().await.map_err(StoreError::from)?;
                subs::set_collect_result(
                    &mut conn,
                    &report.id,
                    &period.label(),
                    &unit.id,
                    now,
                    outcome.as_str(),
                    outcome.detail().as_deref(),
                )
                .await?;
            }
            results.push(UnitOutcome {
                report: report.id.clone(),
                period,
                unit: unit.id.clone(),
                outcome,
            });
        }
    }
    Ok(results)
}

/// Fills `{unit}`, `{report}`, `{period}` in a source template.
pub fn fill_template(template: &str, unit: &str, report: &str, period: Period) -> String {
    template
        .replace("{unit}", unit)
        .replace("{report}", report)
        .replace("{period}", &period.label())
}

async fn collect_one(
    config: &Config,
    store: &Store,
    report: &Report,
    period: Period,
    unit: &str,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<Outcome, CollectError> {
    let lang = config.regime.language;
    let fetched = match &source.location {
        SourceLocation::File { path } => {
            let filled = PathBuf::from(fill_template(path, unit, &report.id, period));
            let full = if filled.is_absolute() {
                filled
            } else {
                config.base_dir.join(filled)
            };
            match file::fetch(&full, MAX_BYTES).await {
                Ok(Some(f)) => f,
                Ok(None) => return Ok(Outcome::NotFound),
                Err(e) => return Ok(Outcome::Failed { error: e.to_string() }),
            }
        }
        SourceLocation::Http { .. } => {
            return Ok(Outcome::Failed {
                error: "HTTP sources are not supported by this build yet".to_string(),
            });
        }
    };
    let hash = hex(&Sha256::digest(&fetched.bytes));
    let period_label = period.label();
    let mut conn = store.pool().acquire().await.map_err(StoreError::from)?;
    if let Some(last) = subs::last_seen(&mut conn, &report.id, &period_label, unit).await?
        && last.content_hash == hash
    {
        return Ok(Outcome::Unchanged);
    }
    drop(conn);

    let parsed: Result<Submission, String> = match source.format {
        Format::Json => json::parse(&fetched.bytes, &config.regime.timezone, lang),
        Format::Csv | Format::Xlsx => Err(if lang.is_english() {
            format!(
                "the {} format is not supported by this build yet",
                source.format.as_str()
            )
        } else {
            format!("định dạng {} chưa được hỗ trợ", source.format.as_str())
        }),
    };
    let declared = parsed
        .as_ref()
        .ok()
        .and_then(|s| s.submitted_at)
        .map(|t| t.with_timezone(&Utc));
    let submitted_at = submission_time(&config.regime, report, period, declared, fetched.modified, now);
    let new = NewSubmission {
        report: &report.id,
        period: &period_label,
        unit,
        content_hash: &hash,
        submitted_at,
        collected_at: now,
        source: &fetched.location,
        format: source.format.as_str(),
    };
    let verdict = parsed.and_then(|sub| {
        submission::validate(report, unit, period, &sub, &config.regime.case_rules)
            .map(|metrics| (metrics, sub.cases))
            .map_err(|faults| submission::describe(&faults, lang))
    });
    // Check and insert under SQLite's write lock, so two passes reading the
    // same new file at once store it once.
    let mut tx = store.begin_immediate().await?;
    if let Some(last) = subs::last_seen(&mut tx, &report.id, &period_label, unit).await?
        && last.content_hash == hash
    {
        return Ok(Outcome::Unchanged);
    }
    let outcome = match verdict {
        Ok((metrics, reported_cases)) => {
            let revision = subs::insert_accepted(&mut tx, &new, &metrics).await?;
            cases::record(&mut tx, unit, &report.id, &period_label, submitted_at, &reported_cases).await?;
            Outcome::NewRevision { revision, submitted_at }
        }
        Err(error) => {
            subs::insert_rejected(&mut tx, &new, &error).await?;
            Outcome::Rejected { error }
        }
    };
    tx.commit().await.map_err(StoreError::from)?;
    Ok(outcome)
}

/// The time a submission counts as sent: the declared time when it is not in
/// the future and not before the period's data window opens; else the source's
/// modification time; else now.
pub fn submission_time(
    regime: &Regime,
    report: &Report,
    period: Period,
    declared: Option<DateTime<Utc>>,
    modified: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
    let opens = regime
        .timezone
        .from_local_datetime(&d.window.0.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc));
    match declared {
        Some(t) if t <= now && t >= opens => t,
        _ => modified.unwrap_or(now),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
