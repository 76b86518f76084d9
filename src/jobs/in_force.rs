//! The cases in force as the views and the planner read them: from the
//! marked last versions (counted by the store, see `store::cases::counts`)
//! when their marks serve the instant, else from every stored version,
//! evaluated one by one (a view of the past, or marks computed under other
//! case rules and not yet computed again).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
use crate::domain::case::{Case, CaseState, Marks, evaluate_all, marks_fingerprint, rule_for};
use crate::store::cases::{self, CaseCounts, Pick};
use crate::store::{Conn, Store, StoreError};

fn today(config: &Config, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&config.regime.timezone).date_naive()
}

/// Whether the marked last versions answer for `at`.
async fn marked(config: &Config, conn: &mut Conn, at: DateTime<Utc>) -> Result<bool, StoreError> {
    Ok(cases::marks_state(conn)
        .await?
        .serves(&marks_fingerprint(&config.regime), at))
}

/// Keeps what the views count from current: the stored cases' marks
/// computed again when the case rules, the calendar or the remote units
/// changed since they were, and each unit's counts held for the day of `now`
/// (counted again on another day; kept current as cases are stored). One
/// write transaction when something is to do, one read otherwise. Returns
/// how many cases' marks were computed again.
pub async fn ensure_current(config: &Config, store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let regime = &config.regime;
    let fingerprint = marks_fingerprint(regime);
    let today = today(config, now);
    {
        let mut conn = store.read().await?;
        let state = cases::marks_state(&mut conn).await?;
        if state.fingerprint.as_deref() == Some(fingerprint.as_str()) && state.counted_on == Some(today) {
            return Ok(0);
        }
    }
    let units = regime.units_by_id();
    let mut tx = store.write().await?;
    let n = cases::refresh_marks(&mut tx, &fingerprint, |c| {
        let remote = units.get(c.unit.as_str()).is_some_and(|u| u.remote_area);
        Marks::of(
            rule_for(&regime.case_rules, &c.kind, c.received_on),
            c,
            remote,
            &regime.calendar,
        )
    })
    .await?;
    cases::recount(&mut tx, today).await?;
    tx.commit().await?;
    if n > 0 {
        tracing::info!(
            cases = n,
            "worked out the limits of the stored cases under the case rules in force"
        );
    }
    Ok(n)
}

/// Each unit's open, overdue and due-soon cases at `at`: units of the config
/// that exist on that day only (as the evaluated cases count them).
pub async fn counts(
    config: &Config,
    conn: &mut Conn,
    at: DateTime<Utc>,
) -> Result<HashMap<String, CaseCounts>, StoreError> {
    let regime = &config.regime;
    let today = today(config, at);
    if marked(config, conn, at).await? {
        let counts_on = units_on(config, today);
        return Ok(cases::counts(conn, today)
            .await?
            .into_iter()
            .filter(|(unit, _)| counts_on(unit))
            .collect());
    }
    let stored = cases::cases_at(conn, None, at).await?;
    let mut out: HashMap<String, CaseCounts> = HashMap::new();
    for l in evaluate_all(regime, &stored, today) {
        let c = out.entry(l.case.unit.clone()).or_default();
        match l.eval.state {
            CaseState::Overdue => c.overdue += 1,
            CaseState::DueSoon => c.due_soon += 1,
            _ => {}
        }
        if l.eval.state.is_open() {
            c.open += 1;
        }
    }
    Ok(out)
}

/// The units whose cases count on `today`: those of the config that exist
/// that day (as the evaluation of cases keeps them).
fn units_on(config: &Config, today: NaiveDate) -> impl Fn(&str) -> bool + '_ {
    let units = config.regime.units_by_id();
    move |unit| units.get(unit).is_some_and(|u| u.exists_during(today, today))
}

/// How many cases in force at `at` are in each state (every state present,
/// zero or not), over the units whose cases count that day: from the day's
/// counts and one aggregate of the resolved cases when the marks serve `at`,
/// without reading a case; else by evaluating every stored version.
pub async fn state_totals(
    config: &Config,
    conn: &mut Conn,
    at: DateTime<Utc>,
) -> Result<BTreeMap<CaseState, usize>, StoreError> {
    let today = today(config, at);
    let mut out: BTreeMap<CaseState, usize> = CaseState::ALL.into_iter().map(|s| (s, 0)).collect();
    let mut add = |state, n| *out.entry(state).or_default() += n;
    if marked(config, conn, at).await? {
        let counts_on = units_on(config, today);
        for (_, c) in cases::counts(conn, today).await?.iter().filter(|(u, _)| counts_on(u)) {
            add(CaseState::Overdue, c.overdue);
            add(CaseState::DueSoon, c.due_soon);
            add(CaseState::InTime, c.open.saturating_sub(c.overdue + c.due_soon));
        }
        for (_, (resolved, late)) in cases::resolved_counts(conn, today)
            .await?
            .iter()
            .filter(|(u, _)| counts_on(u))
        {
            add(CaseState::ResolvedOnTime, resolved - late);
            add(CaseState::ResolvedLate, *late);
        }
    } else {
        let stored = cases::cases_at(conn, None, at).await?;
        for l in evaluate_all(&config.regime, &stored, today) {
            add(l.eval.state, 1);
        }
    }
    Ok(out)
}

/// The cases in force at `at` (optionally one unit's) that a view of `pick`
/// needs: the caller evaluates them (at most what `pick` keeps, sometimes
/// more).
pub async fn read(
    config: &Config,
    store: &Store,
    unit: Option<&str>,
    pick: Pick,
    at: DateTime<Utc>,
) -> Result<Vec<Case>, StoreError> {
    let fingerprint = marks_fingerprint(&config.regime);
    if unit.is_none() {
        // The whole office: several connections side by side.
        let serves = |state: &cases::MarksState| state.serves(&fingerprint, at);
        if let Some(read) = cases::latest_everywhere(store, pick, today(config, at), serves).await? {
            return Ok(read);
        }
    }
    let mut conn = store.read().await?;
    if marked(config, &mut conn, at).await? {
        return cases::latest(
            &mut conn,
            unit.as_ref().map(std::slice::from_ref),
            pick,
            today(config, at),
            None,
        )
        .await;
    }
    cases::cases_at(&mut conn, unit, at).await
}

/// The cases in force at `at` of `units` (in ascending order) that a view
/// of `pick` needs, as [`read`] reads them.
pub async fn read_units(
    config: &Config,
    conn: &mut Conn,
    units: &[&str],
    pick: Pick,
    at: DateTime<Utc>,
) -> Result<Vec<Case>, StoreError> {
    if marked(config, conn, at).await? {
        return cases::latest(conn, Some(units), pick, today(config, at), None).await;
    }
    let mut stored = cases::cases_at(conn, None, at).await?;
    stored.retain(|c| units.binary_search(&c.unit.as_str()).is_ok());
    Ok(stored)
}

/// The `limit` most overdue cases in force at `at`, the most overdue first.
pub async fn worst_overdue(
    config: &Config,
    conn: &mut Conn,
    at: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Case>, StoreError> {
    let today = today(config, at);
    if marked(config, conn, at).await? {
        return cases::latest(conn, None, Pick::Overdue, today, Some(limit)).await;
    }
    let stored = cases::cases_at(conn, None, at).await?;
    let mut overdue: Vec<_> = evaluate_all(&config.regime, &stored, today)
        .into_iter()
        .filter(|l| l.eval.state == CaseState::Overdue)
        .collect();
    overdue.sort_by_key(|l| std::cmp::Reverse(l.eval.days_overdue));
    Ok(overdue.into_iter().take(limit).map(|l| l.case.clone()).collect())
}
