//! Submissions (every revision and every rejected file) and the last
//! collection result per unit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Conn, StoreError, flag, parse_ts, ts};
use crate::domain::status::{Rejection, Revision, UnitFacts};

/// The newest row from a unit for a report-period, whatever its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSeen {
    pub content_hash: String,
    pub accepted: bool,
    /// The config fingerprint it was judged under (none before it was kept).
    pub fingerprint: Option<String>,
}

pub struct NewSubmission<'a> {
    pub report: &'a str,
    pub period: &'a str,
    pub unit: &'a str,
    pub content_hash: &'a str,
    pub submitted_at: DateTime<Utc>,
    pub collected_at: DateTime<Utc>,
    pub source: &'a str,
    pub format: &'a str,
    pub fingerprint: &'a str,
}

pub async fn last_seen(
    conn: &mut Conn,
    report: &str,
    period: &str,
    unit: &str,
) -> Result<Option<LastSeen>, StoreError> {
    let row = sqlx::query(
        "SELECT content_hash, accepted, config_fingerprint FROM submissions
         WHERE report = $1 AND period = $2 AND unit = $3 ORDER BY id DESC LIMIT 1",
    )
    .bind(report)
    .bind(period)
    .bind(unit)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| LastSeen {
        content_hash: r.get(0),
        accepted: flag(&r, 1),
        fingerprint: r.get(2),
    }))
}

/// Stores an accepted file as the next revision; returns its number.
pub async fn insert_accepted(
    conn: &mut Conn,
    s: &NewSubmission<'_>,
    metrics: &BTreeMap<String, i64>,
) -> Result<i64, StoreError> {
    let metrics = serde_json::to_string(metrics).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let row = sqlx::query(
        "INSERT INTO submissions
           (report, period, unit, accepted, revision, content_hash, submitted_at, collected_at, source, format, metrics,
            config_fingerprint)
         VALUES ($1, $2, $3, TRUE,
           (SELECT COALESCE(MAX(revision), 0) + 1 FROM submissions WHERE report = $1 AND period = $2 AND unit = $3),
           $4, $5, $6, $7, $8, $9, $10)
         RETURNING revision",
    )
    .bind(s.report)
    .bind(s.period)
    .bind(s.unit)
    .bind(s.content_hash)
    .bind(ts(s.submitted_at))
    .bind(ts(s.collected_at))
    .bind(s.source)
    .bind(s.format)
    .bind(metrics)
    .bind(s.fingerprint)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

/// Stores a rejected file with its error. It never replaces a revision.
pub async fn insert_rejected(conn: &mut Conn, s: &NewSubmission<'_>, error: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO submissions
           (report, period, unit, accepted, revision, error, content_hash, submitted_at, collected_at, source, format,
            config_fingerprint)
         VALUES ($1, $2, $3, FALSE, NULL, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(s.report)
    .bind(s.period)
    .bind(s.unit)
    .bind(error)
    .bind(s.content_hash)
    .bind(ts(s.submitted_at))
    .bind(ts(s.collected_at))
    .bind(s.source)
    .bind(s.format)
    .bind(s.fingerprint)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Everything each unit submitted for a report-period by `at` (submission
/// time), accepted revisions and rejections each oldest first.
pub async fn period_facts(
    conn: &mut Conn,
    report: &str,
    period: &str,
    at: DateTime<Utc>,
) -> Result<Vec<UnitFacts>, StoreError> {
    facts(conn, report, period, at, true).await
}

/// [`period_facts`] without the figures (each revision's metrics empty):
/// what the planner judges by, without parsing every unit's figures.
pub async fn planning_facts(
    conn: &mut Conn,
    report: &str,
    period: &str,
    at: DateTime<Utc>,
) -> Result<Vec<UnitFacts>, StoreError> {
    facts(conn, report, period, at, false).await
}

async fn facts(
    conn: &mut Conn,
    report: &str,
    period: &str,
    at: DateTime<Utc>,
    figures: bool,
) -> Result<Vec<UnitFacts>, StoreError> {
    type FactRow = (
        String,
        super::packed::Flag,
        Option<i64>,
        Option<String>,
        String,
        Option<String>,
    );
    // Without the figures the last column is NULL: nothing to parse.
    let columns = if figures {
        "unit, accepted, revision, error, submitted_at, metrics"
    } else {
        "unit, accepted, revision, error, submitted_at, NULL"
    };
    let at = ts(at);
    let mut out: Vec<UnitFacts> = Vec::new();
    super::packed::each(
        conn,
        columns,
        "FROM submissions WHERE report = $1 AND period = $2 AND submitted_at <= $3",
        "unit, submitted_at, id",
        None,
        &[report, period, at.as_str()],
        |(unit, accepted, revision, error, submitted_at, metrics): FactRow| {
            if out.last().is_none_or(|f| f.unit != unit) {
                out.push(UnitFacts {
                    unit,
                    ..UnitFacts::default()
                });
            }
            let facts = out.last_mut().expect("pushed above");
            let submitted_at = parse_ts(&submitted_at)?;
            if accepted.0 {
                let metrics = match metrics {
                    Some(m) => serde_json::from_str(&m).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    None => BTreeMap::new(),
                };
                facts.revisions.push(Revision {
                    revision: revision.unwrap_or(0),
                    submitted_at,
                    metrics,
                });
            } else {
                facts.rejections.push(Rejection {
                    submitted_at,
                    error: error.unwrap_or_default(),
                });
            }
            Ok(())
        },
    )
    .await?;
    Ok(out)
}

/// The last collection outcome of a unit for a report-period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectResult {
    pub unit: String,
    pub at: DateTime<Utc>,
    pub outcome: String,
    pub detail: Option<String>,
    pub http_status: Option<u16>,
}

pub async fn set_collect_result(
    conn: &mut Conn,
    report: &str,
    period: &str,
    result: &CollectResult,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO collect_results (report, period, unit, at, outcome, detail, http_status)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (report, period, unit) DO UPDATE SET at = excluded.at, outcome = excluded.outcome,
           detail = excluded.detail, http_status = excluded.http_status",
    )
    .bind(report)
    .bind(period)
    .bind(&result.unit)
    .bind(ts(result.at))
    .bind(&result.outcome)
    .bind(result.detail.as_deref())
    .bind(result.http_status.map(i64::from))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn collect_results(conn: &mut Conn, report: &str, period: &str) -> Result<Vec<CollectResult>, StoreError> {
    type ResultRow = (String, String, String, Option<String>, Option<i64>);
    let rows: Vec<ResultRow> = super::packed::fetch(
        conn,
        "unit, at, outcome, detail, http_status",
        "FROM collect_results WHERE report = $1 AND period = $2",
        "unit",
        None,
        &[report, period],
    )
    .await?;
    rows.into_iter()
        .map(|(unit, at, outcome, detail, http_status)| {
            Ok(CollectResult {
                unit,
                at: parse_ts(&at)?,
                outcome,
                detail,
                http_status: http_status.and_then(|s| u16::try_from(s).ok()),
            })
        })
        .collect()
}

/// The periods of a report that have any submission, newest label last.
pub async fn periods_with_data(conn: &mut Conn, report: &str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT DISTINCT period FROM submissions WHERE report = $1 ORDER BY period")
        .bind(report)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

/// The validators of the last file stored from an HTTP source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The validators kept for a unit's report-period, if they were sent by the
/// same URL (its hash).
pub async fn source_validators(
    conn: &mut Conn,
    report: &str,
    period: &str,
    unit: &str,
    url_hash: &str,
) -> Result<Option<Validators>, StoreError> {
    let row = sqlx::query(
        "SELECT etag, last_modified FROM source_cache
         WHERE report = $1 AND period = $2 AND unit = $3 AND url_hash = $4",
    )
    .bind(report)
    .bind(period)
    .bind(unit)
    .bind(url_hash)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| Validators {
        etag: r.get(0),
        last_modified: r.get(1),
    }))
}

/// Keeps (or, with no validators, forgets) what the source sent with the file
/// just stored.
pub async fn set_source_validators(
    conn: &mut Conn,
    report: &str,
    period: &str,
    unit: &str,
    url_hash: &str,
    validators: &Validators,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if validators.etag.is_none() && validators.last_modified.is_none() {
        sqlx::query("DELETE FROM source_cache WHERE report = $1 AND period = $2 AND unit = $3")
            .bind(report)
            .bind(period)
            .bind(unit)
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO source_cache (report, period, unit, url_hash, etag, last_modified, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (report, period, unit) DO UPDATE SET url_hash = excluded.url_hash, etag = excluded.etag,
           last_modified = excluded.last_modified, updated_at = excluded.updated_at",
    )
    .bind(report)
    .bind(period)
    .bind(unit)
    .bind(url_hash)
    .bind(validators.etag.as_deref())
    .bind(validators.last_modified.as_deref())
    .bind(ts(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// Whole report-period reads and many-row writes for a collection pass: one
// statement per pass or per batch of units, not one per unit.

/// How many units one many-row statement carries. Few: sqlx binds each
/// value by looking its `$N` name up in SQLite's list of names, a scan, so a
/// statement's binding grows with the square of its values (2,000 values
/// cost milliseconds; 200 a few microseconds).
const ROWS_PER_STATEMENT: usize = 20;

/// Units one `unit IN (…)` list names.
const UNITS_PER_LIST: usize = 100;

/// The newest row of every unit (or of the given units) for a report-period:
/// [`last_seen`] for many units in one statement.
pub async fn last_seen_by_unit(
    conn: &mut Conn,
    report: &str,
    period: &str,
    units: Option<&[&str]>,
) -> Result<std::collections::HashMap<String, LastSeen>, StoreError> {
    let mut out = std::collections::HashMap::new();
    let chunks: Vec<Option<&[&str]>> = match units {
        None => vec![None],
        Some(units) => units.chunks(UNITS_PER_LIST).map(Some).collect(),
    };
    for chunk in chunks {
        let mut from = String::from("FROM submissions WHERE report = $1 AND period = $2");
        if let Some(units) = chunk {
            let list: Vec<String> = (0..units.len()).map(|k| format!("${}", k + 3)).collect();
            from.push_str(&format!(" AND unit IN ({})", list.join(", ")));
        }
        let binds: Vec<&str> = [report, period]
            .into_iter()
            .chain(chunk.unwrap_or_default().iter().copied())
            .collect();
        // Oldest first per unit: the last row read of a unit is its newest.
        super::packed::each(
            conn,
            "unit, content_hash, accepted, config_fingerprint",
            &from,
            "unit, id",
            None,
            &binds,
            |(unit, content_hash, accepted, fingerprint): (String, String, super::packed::Flag, Option<String>)| {
                out.insert(
                    unit,
                    LastSeen {
                        content_hash,
                        accepted: accepted.0,
                        fingerprint,
                    },
                );
                Ok(())
            },
        )
        .await?;
    }
    Ok(out)
}

/// The validators kept for every unit of a report-period, with the hash of
/// the URL that sent them.
pub async fn source_validators_by_unit(
    conn: &mut Conn,
    report: &str,
    period: &str,
) -> Result<std::collections::HashMap<String, (String, Validators)>, StoreError> {
    let rows: Vec<(String, String, Option<String>, Option<String>)> = super::packed::fetch(
        conn,
        "unit, url_hash, etag, last_modified",
        "FROM source_cache WHERE report = $1 AND period = $2",
        "unit",
        None,
        &[report, period],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(unit, url_hash, etag, last_modified)| (unit, (url_hash, Validators { etag, last_modified })))
        .collect())
}

/// [`set_collect_result`] for many units of a report-period.
pub async fn set_collect_results(
    conn: &mut Conn,
    report: &str,
    period: &str,
    results: &[&CollectResult],
) -> Result<(), StoreError> {
    for chunk in results.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT{} INTO collect_results (report, period, unit, at, outcome, detail, http_status)
             VALUES {}
             ON CONFLICT (report, period, unit) DO UPDATE SET at = excluded.at, outcome = excluded.outcome,
               detail = excluded.detail, http_status = excluded.http_status",
            super::or_fail(conn),
            super::placeholders(conn, chunk.len(), 7)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for result in chunk {
            query = query
                .bind(report)
                .bind(period)
                .bind(&result.unit)
                .bind(ts(result.at))
                .bind(&result.outcome)
                .bind(result.detail.as_deref())
                .bind(result.http_status.map(i64::from));
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Validators to keep for one unit (see [`set_source_validators`]).
pub struct KeptValidators<'a> {
    pub unit: &'a str,
    pub url_hash: &'a str,
    pub validators: &'a Validators,
}

/// [`set_source_validators`] for many units of a report-period.
pub async fn set_source_validators_many(
    conn: &mut Conn,
    report: &str,
    period: &str,
    kept: &[KeptValidators<'_>],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (keep, forget): (Vec<_>, Vec<_>) = kept
        .iter()
        .partition(|k| k.validators.etag.is_some() || k.validators.last_modified.is_some());
    for k in forget {
        set_source_validators(conn, report, period, k.unit, k.url_hash, k.validators, at).await?;
    }
    for chunk in keep.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT{} INTO source_cache (report, period, unit, url_hash, etag, last_modified, updated_at)
             VALUES {}
             ON CONFLICT (report, period, unit) DO UPDATE SET url_hash = excluded.url_hash, etag = excluded.etag,
               last_modified = excluded.last_modified, updated_at = excluded.updated_at",
            super::or_fail(conn),
            super::placeholders(conn, chunk.len(), 7)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for k in chunk {
            query = query
                .bind(report)
                .bind(period)
                .bind(k.unit)
                .bind(k.url_hash)
                .bind(k.validators.etag.as_deref())
                .bind(k.validators.last_modified.as_deref())
                .bind(ts(at));
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// [`insert_accepted`] for many files of one report-period, each from a
/// different unit; returns each unit's new revision number.
pub async fn insert_accepted_many(
    conn: &mut Conn,
    rows: &[(&NewSubmission<'_>, &BTreeMap<String, i64>)],
) -> Result<std::collections::HashMap<String, i64>, StoreError> {
    let mut out = std::collections::HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut values = String::new();
        for k in 0..chunk.len() {
            let p = k * 10;
            if k > 0 {
                values.push_str(", ");
            }
            // The revision is counted per unit; the units of one statement differ.
            values.push_str(&format!(
                "(${r}, ${pe}, ${u}, TRUE,
                  (SELECT COALESCE(MAX(revision), 0) + 1 FROM submissions WHERE report = ${r} AND period = ${pe} AND unit = ${u}),
                  ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 9,
                p + 10,
                r = p + 1,
                pe = p + 2,
                u = p + 3,
            ));
        }
        let sql = format!(
            "INSERT{} INTO submissions
               (report, period, unit, accepted, revision, content_hash, submitted_at, collected_at, source, format, metrics,
                config_fingerprint)
             VALUES {values}
             RETURNING unit, revision",
            super::or_fail(conn)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (s, metrics) in chunk {
            let metrics = serde_json::to_string(metrics).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            query = query
                .bind(s.report)
                .bind(s.period)
                .bind(s.unit)
                .bind(s.content_hash)
                .bind(ts(s.submitted_at))
                .bind(ts(s.collected_at))
                .bind(s.source)
                .bind(s.format)
                .bind(metrics)
                .bind(s.fingerprint);
        }
        for r in query.fetch_all(&mut *conn).await? {
            out.insert(r.get::<String, _>(0), r.get::<i64, _>(1));
        }
    }
    Ok(out)
}
