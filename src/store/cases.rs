//! Case versions: each change a unit reports is a new row; nothing is deleted.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row as _;

use super::{Conn, StoreError, flag, ts};
use crate::domain::case::{Case, Marks, Standing};
use crate::domain::submission::CaseRecord;

fn day(d: Option<NaiveDate>) -> Option<String> {
    d.map(super::day_text)
}

fn parse_day(s: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    s.map(|s| super::parse_day_text(&s).ok_or_else(|| StoreError::Corrupt(format!("'{s}' is not a stored date"))))
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

/// Case versions one INSERT statement carries (20 values each; bound by
/// position, see [`super::placeholders`]).
const INSERT_ROWS: usize = 200;

/// Under which rules the stored marks were computed, and the newest
/// submission that reported a case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarksState {
    /// None: some marks are to be computed again.
    pub fingerprint: Option<String>,
    pub newest: Option<DateTime<Utc>>,
    /// The day `case_counts` holds the counts of (None: none held).
    pub counted_on: Option<NaiveDate>,
    /// How many times the case versions were written: every transaction
    /// that adds versions or computes their marks again counts one.
    pub generation: i64,
}

impl MarksState {
    /// Whether the cases in force at `at` can be read from the marked last
    /// versions: the marks computed under `fingerprint`, and no case reported
    /// after `at` (a view of the past reads the versions).
    pub fn serves(&self, fingerprint: &str, at: DateTime<Utc>) -> bool {
        self.fingerprint.as_deref() == Some(fingerprint) && self.newest.is_none_or(|n| n <= at)
    }
}

pub async fn marks_state(conn: &mut Conn) -> Result<MarksState, StoreError> {
    let row = sqlx::query("SELECT fingerprint, newest, counted_on, generation FROM case_marks WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(MarksState::default());
    };
    let newest: Option<String> = row.get(1);
    Ok(MarksState {
        fingerprint: row.get(0),
        newest: newest.map(|n| super::parse_ts(&n)).transpose()?,
        counted_on: parse_day(row.get(2))?,
        generation: row.get(3),
    })
}

/// The last version of one of a unit's cases: its id, when it was
/// reported, the case and its marks.
struct Last {
    id: i64,
    submitted_at: DateTime<Utc>,
    case: Case,
    marks: Marks,
}

/// Binds a case's marks in the order of [`MARK_COLUMNS`].
fn bind_marks<'q>(q: super::Query<'q>, m: &Marks) -> super::Query<'q> {
    q.bind(m.counted)
        .bind(day(m.closed_from))
        .bind(day(m.accept_until))
        .bind(day(m.accept_over))
        .bind(day(m.accept_soon))
        .bind(day(m.resolve_over))
        .bind(day(m.resolve_soon))
}

/// The columns [`marks_of`] reads, in its order.
const MARK_COLUMNS: &str = "counted, closed_from, accept_until, accept_over, accept_soon, resolve_over, resolve_soon";

fn marks_of(r: &super::Row, from: usize) -> Result<Marks, StoreError> {
    let d = |i: usize| parse_day(r.get(from + i));
    Ok(Marks {
        counted: flag(r, from),
        closed_from: d(1)?,
        accept_until: d(2)?,
        accept_over: d(3)?,
        accept_soon: d(4)?,
        resolve_over: d(5)?,
        resolve_soon: d(6)?,
    })
}

/// The last version of each case of `units`, by unit and reference.
async fn latest_of_units(
    conn: &mut Conn,
    units: &[&str],
) -> Result<HashMap<String, BTreeMap<String, Last>>, StoreError> {
    let mut out: HashMap<String, BTreeMap<String, Last>> = HashMap::new();
    for chunk in units.chunks(REFRESH_ROWS * 8) {
        let list = super::placeholders(conn, 1, chunk.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CASE_COLUMNS}, id, submitted_at, {MARK_COLUMNS} FROM case_versions
             WHERE latest = TRUE AND unit IN {list}"
        )));
        for unit in chunk {
            q = q.bind(*unit);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let last = Last {
                id: r.get(9),
                submitted_at: super::parse_ts(&r.get::<String, _>(10))?,
                case: case_of(&r)?,
                marks: marks_of(&r, 11)?,
            };
            out.entry(last.case.unit.clone())
                .or_default()
                .insert(last.case.reference.clone(), last);
        }
    }
    Ok(out)
}

/// What one case adds to its unit's counts on `day`: (open, overdue, due soon).
fn tally(m: &Marks, day: NaiveDate) -> [i64; 3] {
    match m.state_on(day) {
        None | Some(Standing::Closed) => [0, 0, 0],
        Some(Standing::InTime) => [1, 0, 0],
        Some(Standing::Overdue) => [1, 1, 0],
        Some(Standing::DueSoon) => [1, 0, 1],
    }
}

/// The cases of one accepted submission, with their marks (`marks[i]` of
/// `cases[i]`), for [`record`].
pub struct Reported<'a> {
    pub unit: &'a str,
    pub report: &'a str,
    pub period: &'a str,
    pub submitted_at: DateTime<Utc>,
    pub cases: &'a [CaseRecord],
    pub marks: &'a [Marks],
}

/// Records the cases of accepted submissions: a new version for each case
/// that is new or changed since the version in force at the submission's
/// time, with its marks (computed under `fingerprint`). A new version
/// reported after the case's last one becomes its last. Returns how many
/// versions were added.
///
/// A few statements for many submissions, not several for each: the last
/// versions of every unit are read at once, the versions of every file are
/// written in many-row statements. A unit met twice (two reports or periods)
/// is recorded in a later round, which reads what the first one wrote.
pub async fn record(conn: &mut Conn, files: &[Reported<'_>], fingerprint: &str) -> Result<usize, StoreError> {
    let mut added = 0;
    let mut rest: Vec<&Reported<'_>> = files.iter().filter(|f| !f.cases.is_empty()).collect();
    while !rest.is_empty() {
        let mut met = std::collections::HashSet::new();
        let (round, later): (Vec<_>, Vec<_>) = rest.into_iter().partition(|f| met.insert(f.unit));
        added += record_round(conn, &round, fingerprint).await?;
        rest = later;
    }
    Ok(added)
}

/// [`record`] for submissions of different units.
async fn record_round(conn: &mut Conn, files: &[&Reported<'_>], fingerprint: &str) -> Result<usize, StoreError> {
    let units: Vec<&str> = files.iter().map(|f| f.unit).collect();
    let latest = latest_of_units(conn, &units).await?;
    let none = BTreeMap::new();
    let mut state = marks_state(conn).await?;
    // Per unit: what the new last versions add to the counts of the day they
    // are held for, less what the versions they follow took.
    let mut deltas: BTreeMap<&str, [i64; 3]> = BTreeMap::new();
    let mut retired: Vec<i64> = Vec::new();
    let mut rows: Vec<(&Reported<'_>, &CaseRecord, NaiveDate, Marks, bool)> = Vec::new();
    let mut newest: Option<DateTime<Utc>> = None;
    for f in files {
        let latest = latest.get(f.unit).unwrap_or(&none);
        let at = f.submitted_at;
        // The version in force at `at`: the last one, unless a later
        // submission was stored before this one (then the versions are read).
        let read;
        let current: BTreeMap<&str, &Case> = if latest.values().all(|l| l.submitted_at <= at) {
            latest.iter().map(|(r, l)| (r.as_str(), &l.case)).collect()
        } else {
            read = cases_at(conn, Some(f.unit), at).await?;
            read.iter().map(|c| (c.reference.as_str(), c)).collect()
        };
        let first = rows.len();
        for (r, m) in f
            .cases
            .iter()
            .zip(f.marks.iter().copied().chain(std::iter::repeat(Marks::default())))
        {
            // Validation guarantees a received date; skip defensively otherwise.
            let Some(received) = r.received_on else { continue };
            if current.get(r.reference.as_str()).is_some_and(|c| same(c, r)) {
                continue;
            }
            // A version becomes the case's last unless a later one is stored;
            // the one it follows is the last no more.
            let last = latest.get(&r.reference).is_none_or(|l| l.submitted_at <= at);
            rows.push((f, r, received, m, last));
        }
        if rows.len() == first {
            continue;
        }
        let current_marks = state.fingerprint.as_deref() == Some(fingerprint);
        let follows: Vec<&Last> = rows[first..]
            .iter()
            .filter(|row| row.4)
            .filter_map(|row| latest.get(&row.1.reference))
            .collect();
        if let (Some(day), true) = (state.counted_on, current_marks) {
            let delta = deltas.entry(f.unit).or_default();
            for row in rows[first..].iter().filter(|row| row.4) {
                let add = tally(&row.3, day);
                (0..3).for_each(|i| delta[i] += add[i]);
            }
            for old in &follows {
                let take = tally(&old.marks, day);
                (0..3).for_each(|i| delta[i] -= take[i]);
            }
        }
        retired.extend(follows.iter().map(|l| l.id));
        newest = newest.max(Some(at));
        // Marks of other rules than the stored ones leave the marks (and the
        // counts) to be computed again.
        if !current_marks {
            state.fingerprint = None;
            state.counted_on = None;
        }
    }
    let Some(newest) = newest else { return Ok(0) };
    let deltas: Vec<(&str, [i64; 3])> = deltas.into_iter().filter(|(_, d)| *d != [0, 0, 0]).collect();
    for chunk in deltas.chunks(REFRESH_ROWS * 2) {
        let sql = format!(
            "INSERT{} INTO case_counts (unit, open, overdue, due_soon) VALUES {}
             ON CONFLICT (unit) DO UPDATE SET open = case_counts.open + excluded.open,
               overdue = case_counts.overdue + excluded.overdue, due_soon = case_counts.due_soon + excluded.due_soon",
            super::or_fail(conn),
            super::placeholders(conn, chunk.len(), 4)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (unit, d) in chunk {
            q = q.bind(*unit).bind(d[0]).bind(d[1]).bind(d[2]);
        }
        q.execute(&mut *conn).await?;
    }
    for chunk in retired.chunks(REFRESH_ROWS * 8) {
        let list = super::placeholders(conn, 1, chunk.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE{} case_versions SET latest = FALSE WHERE id IN {list}",
            super::or_fail(conn)
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await?;
    }
    // Many rows a statement: a hundred units reporting a hundred cases each
    // are tens of statements, not ten thousand.
    for chunk in rows.chunks(INSERT_ROWS) {
        let sql = format!(
            "INSERT{} INTO case_versions
               (unit, ref, kind, received_on, accepted_on, complex, extensions, resolved, resolved_on, submitted_at, report, period,
                latest, counted, closed_from, accept_until, accept_over, accept_soon, resolve_over, resolve_soon)
             VALUES {}",
            super::or_fail(conn),
            super::placeholders(conn, chunk.len(), 20)
        );
        // Built from placeholders only: every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (f, r, received_on, m, last) in chunk {
            query = query
                .bind(f.unit)
                .bind(&r.reference)
                .bind(&r.kind)
                .bind(day(Some(*received_on)))
                .bind(day(r.accepted_on))
                .bind(r.complex)
                .bind(i64::from(r.extensions))
                .bind(r.resolved)
                .bind(day(r.resolved_on))
                .bind(ts(f.submitted_at))
                .bind(f.report)
                .bind(f.period)
                .bind(*last);
            query = bind_marks(query, m);
        }
        query.execute(&mut *conn).await?;
    }
    // The newest case submission; marks of other rules than the stored ones
    // leave the marks (and the counts) to be computed again. The case
    // versions were written: one more generation (see [`latest_everywhere`]).
    sqlx::query(
        "UPDATE case_marks SET
           generation = generation + 1,
           newest = CASE WHEN newest IS NULL OR newest < $1 THEN $1 ELSE newest END,
           fingerprint = CASE WHEN $2 THEN fingerprint ELSE NULL END,
           counted_on = CASE WHEN $2 THEN counted_on ELSE NULL END
         WHERE id = 1",
    )
    .bind(ts(newest))
    .bind(state.fingerprint.is_some())
    .execute(&mut *conn)
    .await?;
    Ok(rows.len())
}

/// Last versions whose marks one refresh statement updates (8 values each).
const REFRESH_ROWS: usize = 50;

/// Computes the marks of every case's last version again when they were
/// computed under another `fingerprint` than the one given (the case rules,
/// the calendar or the remote units changed); nothing when they are current.
/// Inside the caller's write transaction. Returns how many were computed.
pub async fn refresh_marks(
    conn: &mut Conn,
    fingerprint: &str,
    marks_of: impl Fn(&Case) -> Marks,
) -> Result<usize, StoreError> {
    if marks_state(conn).await?.fingerprint.as_deref() == Some(fingerprint) {
        return Ok(0);
    }
    let mut after = 0i64;
    let mut done = 0;
    loop {
        // A page at a time, by id: memory stays bounded at any backlog.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CASE_COLUMNS}, id FROM case_versions WHERE latest = TRUE AND id > $1 ORDER BY id LIMIT 2000"
        )))
        .bind(after)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.get(9);
        let page: Vec<(i64, Marks)> = rows
            .iter()
            .map(|r| Ok((r.get::<i64, _>(9), marks_of(&case_of(r)?))))
            .collect::<Result<_, StoreError>>()?;
        for chunk in page.chunks(REFRESH_ROWS) {
            let values = super::placeholders(conn, chunk.len(), 8);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE{} case_versions SET counted = v.column2, closed_from = v.column3, accept_until = v.column4,
                   accept_over = v.column5, accept_soon = v.column6, resolve_over = v.column7, resolve_soon = v.column8
                 FROM (VALUES {values}) AS v
                 WHERE case_versions.id = v.column1",
                super::or_fail(conn)
            )));
            for (id, m) in chunk {
                q = bind_marks(q.bind(*id), m);
            }
            q.execute(&mut *conn).await?;
        }
        done += page.len();
    }
    sqlx::query("UPDATE case_marks SET fingerprint = $1, counted_on = NULL, generation = generation + 1 WHERE id = 1")
        .bind(fingerprint)
        .execute(&mut *conn)
        .await?;
    Ok(done)
}

/// The first day of a case's limit in its stage (overdue from it, due soon
/// from it), in SQL over the mark columns; `$1` is the day. Mirrors
/// [`Marks::state_on`]; a mark that never comes reads as a far day.
const OPEN: &str = "(closed_from IS NULL OR closed_from > $1)";
const OVER: &str = "COALESCE(CASE WHEN accept_until IS NULL OR $1 < accept_until THEN accept_over ELSE resolve_over END, '9999-12-31')";
/// The earliest day a case can be overdue: its limit to accept when that
/// runs out before it was accepted, else its limit to resolve. Overdue on
/// `$1` implies this is `$1` or earlier; indexed (`case_versions_overdue` on
/// SQLite, with every column an overdue listing reads; `_overdue_from` on
/// PostgreSQL; the same text), so the overdue cases are an index range.
const OVERDUE_FROM: &str = "(CASE WHEN accept_over IS NOT NULL AND (accept_until IS NULL OR accept_over < accept_until)
           THEN accept_over ELSE resolve_over END)";
const SOON: &str = "COALESCE(CASE WHEN accept_until IS NULL OR $1 < accept_until THEN accept_soon ELSE resolve_soon END, '9999-12-31')";

/// How many of a unit's cases in force are open, overdue and due soon.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseCounts {
    pub open: usize,
    pub overdue: usize,
    pub due_soon: usize,
}

/// Each unit's counts on `today`, from the marked last versions (see
/// [`MarksState::serves`]): those held for the day when there are (a row
/// per unit), else one aggregate over an index, no case read.
pub async fn counts(conn: &mut Conn, today: NaiveDate) -> Result<BTreeMap<String, CaseCounts>, StoreError> {
    let held = marks_state(conn).await?.counted_on == Some(today);
    let from = if held {
        "FROM case_counts".to_string()
    } else {
        format!("FROM ({}) AS counted", count_sql())
    };
    let today = day(Some(today)).unwrap_or_default();
    let binds: &[&str] = if held { &[] } else { &[today.as_str()] };
    let rows: Vec<(String, i64, i64, i64)> =
        super::packed::fetch(conn, "unit, open, overdue, due_soon", &from, "unit", None, binds).await?;
    let n = |v: i64| usize::try_from(v).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|(unit, open, overdue, due_soon)| {
            (
                unit,
                CaseCounts {
                    open: n(open),
                    overdue: n(overdue),
                    due_soon: n(due_soon),
                },
            )
        })
        .collect())
}

/// How many of each unit's cases in force were resolved by `today`, and how
/// many of those late, from the marked last versions (valid when
/// [`MarksState::serves`]): one aggregate, no case read. Mirrors
/// `domain::case::evaluate`: a resolved case is judged on its limit to
/// resolve, or its limit to accept when it was never accepted (a kind with an
/// acceptance step); late when resolved (by `today`) after that limit. The
/// marks hold the first day past each limit, and `accept_until` is set
/// exactly when the case was accepted or its kind has no acceptance step.
pub async fn resolved_counts(
    conn: &mut Conn,
    today: NaiveDate,
) -> Result<BTreeMap<String, (usize, usize)>, StoreError> {
    let late = "resolved_on IS NOT NULL AND resolved_on <= $1
         AND resolved_on >= (CASE WHEN accept_until IS NOT NULL THEN resolve_over ELSE accept_over END)";
    let from = format!(
        "FROM (SELECT unit, CAST(COUNT(*) AS BIGINT) AS resolved,
                 CAST(SUM(CASE WHEN {late} THEN 1 ELSE 0 END) AS BIGINT) AS late
               FROM case_versions
               WHERE latest = TRUE AND counted = TRUE AND closed_from IS NOT NULL AND closed_from <= $1
               GROUP BY unit) AS resolved"
    );
    let today = day(Some(today)).unwrap_or_default();
    let rows: Vec<(String, i64, i64)> =
        super::packed::fetch(conn, "unit, resolved, late", &from, "unit", None, &[today.as_str()]).await?;
    let n = |v: i64| usize::try_from(v).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|(unit, resolved, late)| (unit, (n(resolved), n(late).min(n(resolved)))))
        .collect())
}

/// Counts every unit's cases for `today` into `case_counts` (kept current
/// from then on as cases are stored), unless they are held for that day.
/// Inside the caller's write transaction; true when it counted.
pub async fn recount(conn: &mut Conn, today: NaiveDate) -> Result<bool, StoreError> {
    if marks_state(conn).await?.counted_on == Some(today) {
        return Ok(false);
    }
    sqlx::query("DELETE FROM case_counts").execute(&mut *conn).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO case_counts (unit, open, overdue, due_soon) {}",
        count_sql()
    )))
    .bind(day(Some(today)))
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE case_marks SET counted_on = $1 WHERE id = 1")
        .bind(day(Some(today)))
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Each unit's open, overdue and due-soon cases on the day `$1`.
fn count_sql() -> String {
    format!(
        "SELECT unit,
           CAST(SUM(CASE WHEN {OPEN} THEN 1 ELSE 0 END) AS BIGINT) AS open,
           CAST(SUM(CASE WHEN {OPEN} AND {OVER} <= $1 THEN 1 ELSE 0 END) AS BIGINT) AS overdue,
           CAST(SUM(CASE WHEN {OPEN} AND {OVER} > $1 AND {SOON} <= $1 THEN 1 ELSE 0 END) AS BIGINT) AS due_soon
         FROM case_versions WHERE latest = TRUE AND counted = TRUE
         GROUP BY unit"
    )
}

/// Which of the cases in force [`latest`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    All,
    Overdue,
    OverdueOrDueSoon,
}

/// The last version of each case (optionally only those of `units`, in
/// ascending order), those `pick` keeps on `today`: by unit and reference,
/// or with `limit` the most overdue first. Valid for an instant
/// [`MarksState::serves`].
pub async fn latest(
    conn: &mut Conn,
    units: Option<&[&str]>,
    pick: Pick,
    today: NaiveDate,
    limit: Option<usize>,
) -> Result<Vec<Case>, StoreError> {
    if units.is_none() && limit.is_none() {
        let mut out = Vec::new();
        read_shard(conn, pick, today, None, &mut out).await?;
        return Ok(out);
    }
    let keep = match pick {
        Pick::All => String::new(),
        Pick::Overdue => format!(" AND {OVERDUE_FROM} <= $1 AND counted = TRUE AND {OPEN} AND {OVER} <= $1"),
        Pick::OverdueOrDueSoon => format!(" AND counted = TRUE AND {OPEN} AND {SOON} <= $1"),
    };
    // With a limit, the most overdue first.
    let order = limit.map(|_| format!("{OVER}, unit, ref"));
    // `$1` is the day where the statement compares with it; the units follow.
    let uses_today = keep.contains("$1") || order.as_ref().is_some_and(|o| o.contains("$1"));
    let first_unit = if uses_today { 2 } else { 1 };
    // A few units a statement: one statement per chunk, each in unit order.
    let chunks: Vec<&[&str]> = match units {
        Some(units) => units.chunks(UNITS_PER_STATEMENT).collect(),
        None => vec![&[]],
    };
    let today = day(Some(today)).unwrap_or_default();
    let mut out = Vec::new();
    for chunk in chunks {
        let of_units = if units.is_some() {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + first_unit)).collect();
            format!(" AND unit IN ({})", list.join(", "))
        } else {
            String::new()
        };
        let binds: Vec<&str> = std::iter::once(today.as_str())
            .filter(|_| uses_today)
            .chain(chunk.iter().copied())
            .collect();
        let table = if units.is_none() && pick == Pick::Overdue {
            overdue_index(conn)
        } else {
            "case_versions"
        };
        let from = format!("FROM {table} WHERE latest = TRUE{keep}{of_units}");
        match &order {
            // Numbered in that order and cut.
            Some(order) => {
                super::packed::each(conn, CASE_COLUMNS, &from, order, limit, &binds, |row: PackedCase| {
                    out.push(packed_case(row)?);
                    Ok(())
                })
                .await?
            }
            None => by_unit(conn, &from, &binds, &mut out).await?,
        }
    }
    Ok(out)
}

/// The rows of `SELECT {CASE_COLUMNS} {from}` as cases, by unit and
/// reference, onto `out`: a pack per unit, in unit order, sorted here (a
/// unit's cases, not every case, in each sort).
async fn by_unit(conn: &mut Conn, from: &str, binds: &[&str], out: &mut Vec<Case>) -> Result<(), StoreError> {
    super::packed::each_unit(conn, CASE_COLUMNS, from, binds, |rows: Vec<PackedCase>| {
        let first = out.len();
        for row in rows {
            out.push(packed_case(row)?);
        }
        out[first..].sort_unstable_by(|a: &Case, b: &Case| a.reference.cmp(&b.reference));
        Ok(())
    })
    .await
}

/// The cases of every unit that `pick` keeps on `today` (optionally only
/// those whose last version's id is in `ids`), by unit and reference, onto
/// `out`.
async fn read_shard(
    conn: &mut Conn,
    pick: Pick,
    today: NaiveDate,
    ids: Option<(i64, i64)>,
    out: &mut Vec<Case>,
) -> Result<(), StoreError> {
    let today = day(Some(today)).unwrap_or_default();
    let (lo, hi) = ids.map(|(lo, hi)| (lo.to_string(), hi.to_string())).unwrap_or_default();
    // `$1` is the day when the statement compares with it; the ids follow.
    // `+id` among the overdue cases: their index range, not the table's range
    // of ids (which the planner prefers, scanning a half of the table). The
    // bounds are bound as text: cast, as `+id` has no affinity.
    let range = |first: usize, column: &str| -> (String, Vec<&str>) {
        match ids {
            Some(_) => (
                format!(
                    " AND {column} BETWEEN CAST(${first} AS BIGINT) AND CAST(${} AS BIGINT)",
                    first + 1
                ),
                vec![lo.as_str(), hi.as_str()],
            ),
            None => (String::new(), Vec::new()),
        }
    };
    let table = if pick == Pick::Overdue {
        overdue_index(conn)
    } else {
        "case_versions"
    };
    let (keep, binds) = match pick {
        Pick::All => range(1, "id"),
        // The cases that can be overdue by now are an index range
        // (`OVERDUE_FROM`) that holds every column read: the table is not
        // read (150,000 of a million cases: 0.03 s against 0.15 s).
        Pick::Overdue => {
            let (range, binds) = range(2, "+id");
            (
                format!(" AND {OVERDUE_FROM} <= $1 AND counted = TRUE AND {OPEN} AND {OVER} <= $1{range}"),
                std::iter::once(today.as_str()).chain(binds).collect(),
            )
        }
        Pick::OverdueOrDueSoon => {
            let (range, binds) = range(2, "id");
            (
                format!(" AND counted = TRUE AND {OPEN} AND {SOON} <= $1{range}"),
                std::iter::once(today.as_str()).chain(binds).collect(),
            )
        }
    };
    by_unit(conn, &format!("FROM {table} WHERE latest = TRUE{keep}"), &binds, out).await
}

/// The table as the whole office's overdue cases are read from it: on
/// SQLite through the index that holds every column they need (without
/// statistics, the planner prefers the index by unit, which spares it a sort
/// by unit and costs it a read of the table for every case in force).
fn overdue_index(conn: &Conn) -> &'static str {
    if conn.backend_name() == "SQLite" {
        "case_versions INDEXED BY case_versions_overdue"
    } else {
        "case_versions"
    }
}

/// Connections that read the whole office's cases side by side on SQLite,
/// which runs a statement on one core: the cores of the machines this is
/// measured on.
const SHARDS: usize = 2;

/// How often the connections of [`latest_everywhere`] begin again when they
/// saw different generations, before one connection reads alone.
const SHARD_TRIES: usize = 3;

/// [`latest`] of every unit, by unit and reference, with the marks state
/// the cases were read under; `None` when those marks do not `serve` (the
/// caller reads the versions instead).
///
/// On SQLite, read in [`SHARDS`] ranges of ids side by side, each on a
/// connection of its own: a national overdue listing is 150,000 cases spread
/// over every page of the table, and one statement reads them on one core.
/// The connections are in read transactions that see one state of the
/// store: the first read of each is `case_marks`, and the generations they
/// see (one more for every write of case versions) must agree, else they
/// begin again; after [`SHARD_TRIES`] the read is one connection's, as it
/// is when the pool has no other connection to give at once.
pub async fn latest_everywhere(
    store: &super::Store,
    pick: Pick,
    today: NaiveDate,
    serves: impl Fn(&MarksState) -> bool,
) -> Result<Option<Vec<Case>>, StoreError> {
    let shards = if store.backend() == super::Backend::Sqlite {
        SHARDS
    } else {
        1
    };
    let mut txs = Vec::with_capacity(shards);
    let mut state = MarksState::default();
    for attempt in 0..=SHARD_TRIES {
        for tx in txs.drain(..) {
            sqlx::Transaction::rollback(tx).await?;
        }
        let wanted = if attempt == SHARD_TRIES { 1 } else { shards };
        let mut generations = Vec::with_capacity(wanted);
        for mut tx in store.read_transactions(wanted).await? {
            state = marks_state(&mut tx).await?;
            generations.push(state.generation);
            txs.push(tx);
        }
        if generations.windows(2).all(|g| g[0] == g[1]) {
            break;
        }
    }
    if !serves(&state) {
        return Ok(None);
    }
    // Two subqueries: `MIN(id), MAX(id)` together scan the table.
    let bounds: (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT (SELECT MIN(id) FROM case_versions), (SELECT MAX(id) FROM case_versions)")
            .fetch_one(&mut *txs[0])
            .await?;
    let ranges: Vec<Option<(i64, i64)>> = match bounds {
        (Some(lo), Some(hi)) if txs.len() > 1 => id_ranges(lo, hi, txs.len()).into_iter().map(Some).collect(),
        _ => vec![None],
    };
    // A task each, so each range's rows are also parsed on a core of its own.
    let reads: Vec<_> = txs
        .into_iter()
        .zip(ranges)
        .map(|(mut tx, ids)| {
            tokio::spawn(async move {
                let mut out = Vec::new();
                read_shard(&mut tx, pick, today, ids, &mut out).await?;
                sqlx::Transaction::rollback(tx).await?;
                Ok::<_, StoreError>(out)
            })
        })
        .collect();
    let mut parts = Vec::with_capacity(reads.len());
    for read in reads {
        match read.await {
            Ok(part) => parts.push(part?),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Err(StoreError::Refused(format!("a read of the cases stopped: {e}"))),
        }
    }
    Ok(Some(parts.into_iter().reduce(merge_by_case).unwrap_or_default()))
}

/// `[lo, hi]` cut into `n` ranges of about as many ids, in order.
fn id_ranges(lo: i64, hi: i64, n: usize) -> Vec<(i64, i64)> {
    let n = i64::try_from(n.max(1)).unwrap_or(1);
    let span = (hi - lo) / n + 1;
    (0..n)
        .map(|i| (lo + i * span, if i == n - 1 { hi } else { lo + (i + 1) * span - 1 }))
        .filter(|(a, b)| a <= b)
        .collect()
}

/// Two lists of cases by unit and reference, merged into one.
fn merge_by_case(a: Vec<Case>, b: Vec<Case>) -> Vec<Case> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => (&x.unit, &x.reference) <= (&y.unit, &y.reference),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_a { a.next() } else { b.next() });
    }
    out
}

/// A row of [`CASE_COLUMNS`], packed.
type PackedCase = (
    String,
    String,
    String,
    String,
    Option<String>,
    super::packed::Flag,
    i64,
    super::packed::Flag,
    Option<String>,
);

fn packed_case(
    (unit, reference, kind, received_on, accepted_on, complex, extensions, resolved, resolved_on): PackedCase,
) -> Result<Case, StoreError> {
    Ok(Case {
        unit,
        reference,
        kind,
        received_on: parse_day(Some(received_on))?
            .ok_or_else(|| StoreError::Corrupt("case without received_on".into()))?,
        accepted_on: parse_day(accepted_on)?,
        complex: complex.0,
        extensions: u32::try_from(extensions).unwrap_or(0),
        resolved: resolved.0,
        resolved_on: parse_day(resolved_on)?,
    })
}

/// Units named in one statement of [`latest`].
const UNITS_PER_STATEMENT: usize = 100;

/// The columns [`case_of`] and [`packed_case`] read, in their order.
const CASE_COLUMNS: &str = "unit, ref, kind, received_on, accepted_on, complex, extensions, resolved, resolved_on";

fn case_of(r: &super::Row) -> Result<Case, StoreError> {
    Ok(Case {
        unit: r.get(0),
        reference: r.get(1),
        kind: r.get(2),
        received_on: parse_day(r.get(3))?.ok_or_else(|| StoreError::Corrupt("case without received_on".into()))?,
        accepted_on: parse_day(r.get(4))?,
        complex: flag(r, 5),
        extensions: u32::try_from(r.get::<i64, _>(6)).unwrap_or(0),
        resolved: flag(r, 7),
        resolved_on: parse_day(r.get(8))?,
    })
}

/// The version of every case in force at `at` (reported by then), optionally
/// for one unit, ordered by unit and reference.
pub async fn cases_at(conn: &mut Conn, unit: Option<&str>, at: DateTime<Utc>) -> Result<Vec<Case>, StoreError> {
    // One scan of the versions reported by `at` in the order of the
    // (unit, ref, submitted_at) index, keeping the last version of each case.
    // A correlated "latest version" subquery cost an index probe per stored
    // version, and the read holds one pack of rows at a time, not every version.
    // Two statements, not `($2 IS NULL OR unit = $2)`: that condition keeps
    // the planner off the index, so one unit's cases scanned every version.
    let at = ts(at);
    let (from, binds): (&str, Vec<&str>) = match unit {
        Some(unit) => (
            "FROM case_versions WHERE unit = $2 AND submitted_at <= $1",
            vec![at.as_str(), unit],
        ),
        None => ("FROM case_versions WHERE submitted_at <= $1", vec![at.as_str()]),
    };
    let mut out: Vec<Case> = Vec::new();
    super::packed::each(
        conn,
        CASE_COLUMNS,
        from,
        "unit, ref, submitted_at, id",
        None,
        &binds,
        |row: PackedCase| {
            let case = packed_case(row)?;
            match out.last_mut() {
                // A later version of the same case replaces the one in hand.
                Some(last) if last.unit == case.unit && last.reference == case.reference => *last = case,
                _ => out.push(case),
            }
            Ok(())
        },
    )
    .await?;
    Ok(out)
}
