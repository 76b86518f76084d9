//! Case versions: each change a unit reports is a new row; nothing is deleted.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row as _;

use super::{Conn, StoreError, flag, ts};
use crate::domain::case::Case;
use crate::domain::submission::CaseRecord;

fn day(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

fn parse_day(s: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    s.map(|s| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|_| StoreError::Corrupt(format!("'{s}' is not a stored date")))
    })
    .transpose()
}

fn same(c: &Case, r: &CaseRecord) -> bool {
    c.kind == r.kind
        && Some(c.received_on) == r.received_on
        && c.accepted_on == r.accepted_on
        && c.complex == r.complex
        && c.extensions == r.extensions
        && c.resolved == r.resolved
        && c.resolved_on == r.resolved_on
}

/// Case versions one INSERT statement carries (12 values each). Few: sqlx
/// binds each value by looking its `$N` name up in SQLite's list of names, a
/// scan, so binding grows with the square of the values (at 64 rows a
/// statement, binding was most of storing a million cases).
const INSERT_ROWS: usize = 16;

/// Records the cases of an accepted submission: a new version for each case
/// that is new or changed since the version in force at `submitted_at`.
/// Returns how many versions were added.
pub async fn record(
    conn: &mut Conn,
    unit: &str,
    report: &str,
    period: &str,
    submitted_at: DateTime<Utc>,
    cases: &[CaseRecord],
) -> Result<usize, StoreError> {
    if cases.is_empty() {
        return Ok(0);
    }
    let current: BTreeMap<String, Case> = cases_at(conn, Some(unit), submitted_at)
        .await?
        .into_iter()
        .map(|c| (c.reference.clone(), c))
        .collect();
    let changed: Vec<(&CaseRecord, NaiveDate)> = cases
        .iter()
        // Validation guarantees a received date; skip defensively otherwise.
        .filter_map(|r| r.received_on.map(|d| (r, d)))
        .filter(|(r, _)| !current.get(&r.reference).is_some_and(|c| same(c, r)))
        .collect();
    // Many rows a statement: a unit reporting a hundred cases is a couple of
    // statements, not a hundred.
    for chunk in changed.chunks(INSERT_ROWS) {
        let mut sql = String::from(
            "INSERT INTO case_versions
               (unit, ref, kind, received_on, accepted_on, complex, extensions, resolved, resolved_on, submitted_at, report, period)
             VALUES ",
        );
        for k in 0..chunk.len() {
            let p = k * 12;
            if k > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 9,
                p + 10,
                p + 11,
                p + 12
            ));
        }
        // Built from placeholders only: every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (r, received_on) in chunk {
            query = query
                .bind(unit)
                .bind(&r.reference)
                .bind(&r.kind)
                .bind(day(Some(*received_on)))
                .bind(day(r.accepted_on))
                .bind(r.complex)
                .bind(i64::from(r.extensions))
                .bind(r.resolved)
                .bind(day(r.resolved_on))
                .bind(ts(submitted_at))
                .bind(report)
                .bind(period);
        }
        query.execute(&mut *conn).await?;
    }
    let added = changed.len();
    Ok(added)
}

/// The version of every case in force at `at` (reported by then), optionally
/// for one unit, ordered by unit and reference.
pub async fn cases_at(conn: &mut Conn, unit: Option<&str>, at: DateTime<Utc>) -> Result<Vec<Case>, StoreError> {
    use futures_util::TryStreamExt;
    // One scan of the versions reported by `at` in the order of the
    // (unit, ref, submitted_at) index, keeping the last version of each case.
    // A correlated "latest version" subquery cost an index probe per stored
    // version, and the stream holds one row at a time, not every version.
    // Two statements, not `($2 IS NULL OR unit = $2)`: that condition keeps
    // the planner off the index, so one unit's cases scanned every version.
    let mut rows = match unit {
        Some(unit) => sqlx::query(
            "SELECT unit, ref, kind, received_on, accepted_on, complex, extensions, resolved, resolved_on
             FROM case_versions WHERE unit = $2 AND submitted_at <= $1
             ORDER BY unit, ref, submitted_at, id",
        )
        .bind(ts(at))
        .bind(unit)
        .fetch(&mut *conn),
        None => sqlx::query(
            "SELECT unit, ref, kind, received_on, accepted_on, complex, extensions, resolved, resolved_on
             FROM case_versions WHERE submitted_at <= $1
             ORDER BY unit, ref, submitted_at, id",
        )
        .bind(ts(at))
        .fetch(&mut *conn),
    };
    let mut out: Vec<Case> = Vec::new();
    while let Some(r) = rows.try_next().await? {
        let unit: String = r.get(0);
        let reference: String = r.get(1);
        let case = Case {
            kind: r.get(2),
            received_on: parse_day(r.get(3))?.ok_or_else(|| StoreError::Corrupt("case without received_on".into()))?,
            accepted_on: parse_day(r.get(4))?,
            complex: flag(&r, 5),
            extensions: u32::try_from(r.get::<i64, _>(6)).unwrap_or(0),
            resolved: flag(&r, 7),
            resolved_on: parse_day(r.get(8))?,
            unit,
            reference,
        };
        match out.last_mut() {
            // A later version of the same case replaces the one in hand.
            Some(last) if last.unit == case.unit && last.reference == case.reference => *last = case,
            _ => out.push(case),
        }
    }
    Ok(out)
}
