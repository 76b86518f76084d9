//! The jobs, each "find what is due, act, record": a planner tick, a
//! collection pass, a delivery pass, and the status evaluation behind the
//! `status` command. The daemon schedules them; the CLI runs them once.

pub mod briefing;
pub mod in_force;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::collect::{self, CollectError, Filter, UnitOutcome};
use crate::config::Config;
use crate::domain::case::{CaseState, evaluate_all};
use crate::domain::deadline::{Deadlines, active_periods, deadlines};
use crate::domain::flags;
use crate::domain::period::Period;
use crate::domain::plan::{
    FIRING_CURRENT_FOR, Notice, NoticeKind, PeriodInput, digest_key, period_status, plan_case_digest,
    plan_config_error, plan_period, summary_due,
};
use crate::domain::regime::Report;
use crate::domain::render;
use crate::domain::status::UnitState;
use crate::domain::summary::{Summary, build as build_summary, totals_of};
use crate::store::{Store, StoreError, cases, jobs as runs, outbox, submissions};

/// One queued message, as `tick --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Queued {
    pub kind: &'static str,
    pub key: String,
    pub report: Option<String>,
    pub period: Option<String>,
    pub units: Vec<String>,
    pub not_before: DateTime<Utc>,
}

impl From<&Notice> for Queued {
    fn from(n: &Notice) -> Self {
        Queued {
            kind: n.kind.as_str(),
            key: n.key.clone(),
            report: n.report.clone(),
            period: n.period.map(|p| p.label()),
            units: n.units.clone(),
            not_before: n.not_before,
        }
    }
}

/// One planner pass at `now`: first a collection of every report-period
/// whose deadline or end of grace has passed and was not yet collected after
/// it (so no unit is judged late because of the collection cadence), then
/// plan every active report-period and queue what is new, in one write
/// transaction so concurrent ticks take turns.
///
/// `wall` is the real time the sources are read at: a `tick --at` in the past
/// reads what is on disk today, and each submission keeps its own time.
pub async fn tick(
    config: &Config,
    store: &Store,
    now: DateTime<Utc>,
    wall: DateTime<Utc>,
) -> Result<Vec<Notice>, StoreError> {
    let regime = &config.regime;
    let today = now.with_timezone(&regime.timezone).date_naive();
    collect_after_deadlines(config, store, now, wall).await?;
    // Cases stored under other case rules are worked out again first (the
    // views fall back to evaluating every case until they are), and the
    // day's counts are made.
    if let Err(e) = in_force::ensure_current(config, store, now).await {
        tracing::warn!("the stored cases' limits could not be worked out again: {e}");
    }
    let mut tx = store.write().await?;
    let mut queued = Vec::new();
    for report in &regime.reports {
        // The period a summary-schedule firing is about: the one whose deadline is nearest.
        let firing = config
            .report_jobs(&report.id)
            .and_then(|j| j.summary.as_ref())
            .and_then(|c| c.last_at_or_before(&now.with_timezone(&regime.timezone)))
            .map(|t| t.with_timezone(&Utc));
        let firing_period = firing.and_then(|f| default_period(config, report, f));
        for period in active_periods(&report.timing, today, &regime.timezone, &regime.calendar) {
            let label = period.label();
            let facts = submissions::planning_facts(&mut tx, &report.id, &label, now).await?;
            let past = outbox::past_notices(&mut tx, &report.id, &label).await?;
            let input = PeriodInput {
                report,
                period,
                facts,
                past,
            };
            for notice in plan_period(regime, &input, now) {
                if enqueue(&mut tx, &notice, now, &[]).await? {
                    queued.push(notice);
                }
            }
            let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
            let statuses = period_status(regime, report, period, &input.facts, &d);
            let firing = firing.filter(|_| firing_period == Some(period));
            let Some(due) = summary_due(regime, report, &d, &statuses, firing, &input.past, now) else {
                continue;
            };
            let bundle = summary_bundle(config, &mut tx, report, period, now).await?;
            let notice = Notice {
                kind: NoticeKind::Summary,
                key: due.key,
                report: Some(report.id.clone()),
                period: Some(period),
                units: Vec::new(),
                atoms: due.covers,
                text: bundle.text,
                not_before: due.not_before,
                expires_at: due.expires_at,
            };
            if enqueue(&mut tx, &notice, now, &bundle.files).await? {
                queued.push(notice);
            }
        }
    }
    if let Some(notice) = plan_digest(config, &mut tx, now).await?
        && enqueue(&mut tx, &notice, now, &[]).await?
    {
        queued.push(notice);
    }
    queued.extend(briefing::plan(config, &mut tx, now).await?);
    for notice in plan_mute_ends(config, &mut tx, now).await? {
        if enqueue(&mut tx, &notice, now, &[]).await? {
            queued.push(notice);
        }
    }
    runs::set_last_run(&mut tx, "tick", now, Some(&format!("{} queued", queued.len()))).await?;
    tx.commit().await?;
    Ok(queued)
}

/// Queues a notice (and its files) unless its key exists; true when queued.
async fn enqueue(
    conn: &mut crate::store::Conn,
    notice: &Notice,
    now: DateTime<Utc>,
    files: &[outbox::Attachment],
) -> Result<bool, StoreError> {
    let period = notice.period.map(|p| p.label());
    // The last line of defence: no configured secret is ever queued.
    let text = crate::config::scrub(&notice.text);
    let row = outbox::NewRow {
        key: &notice.key,
        kind: notice.kind.as_str(),
        report: notice.report.as_deref(),
        period: period.as_deref(),
        units: &notice.units,
        atoms: &notice.atoms,
        text: &text,
        planned_at: now,
        not_before: notice.not_before,
        expires_at: notice.expires_at,
        audience: notice.kind.audience(),
        reply_to: None,
    };
    let queued = outbox::enqueue(conn, &row).await?;
    if queued && !files.is_empty() {
        outbox::attach(conn, &notice.key, files).await?;
    }
    Ok(queued)
}

/// A summary with its text and files.
pub struct SummaryBundle {
    pub summary: Summary,
    /// Telegram HTML.
    pub text: String,
    /// The spreadsheet and the chart, when they could be made.
    pub files: Vec<outbox::Attachment>,
    pub xlsx: Option<Vec<u8>>,
    pub chart: Option<Vec<u8>>,
}

/// Builds the summary of a report-period as known at `at`: figures, the
/// previous period and the same period last year, cases; its text, its
/// spreadsheet and its chart. A file that fails to build is logged and left
/// out; the text always goes.
pub async fn summary_bundle(
    config: &Config,
    conn: &mut crate::store::Conn,
    report: &Report,
    period: Period,
    at: DateTime<Utc>,
) -> Result<SummaryBundle, StoreError> {
    let regime = &config.regime;
    let facts = submissions::period_facts(conn, &report.id, &period.label(), at).await?;
    let prev = period.prev();
    let previous = totals_of(
        report,
        prev,
        &submissions::period_facts(conn, &report.id, &prev.label(), at).await?,
    );
    let ly = period.same_period_last_year();
    let ly_facts = submissions::period_facts(conn, &report.id, &ly.label(), at).await?;
    let last_year = totals_of(report, ly, &ly_facts);
    let counts = in_force::counts(config, conn, at).await?;
    let overdue: HashMap<&str, usize> = counts.iter().map(|(u, c)| (u.as_str(), c.overdue)).collect();
    let overdue_total = overdue.values().sum();
    // The sheet lists the most overdue only: those are all that is read.
    let worst = in_force::worst_overdue(config, conn, at, crate::export::xlsx::OVERDUE_ROWS).await?;
    let lines = evaluate_all(regime, &worst, at.with_timezone(&regime.timezone).date_naive());
    let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
    let statuses = period_status(regime, report, period, &facts, &d);
    let mut summary = build_summary(report, &d, &statuses, &overdue, previous, last_year, at);
    summary.flags = flags::evaluate(report, &summary, &unit_figures(&ly_facts));
    let text = crate::domain::render::summary_message(regime, report, &summary);
    let xlsx = crate::export::xlsx::summary_workbook(regime, report, &summary, &lines, overdue_total)
        .map_err(|e| tracing::error!(report = %report.id, %period, "summary spreadsheet: {e}"))
        .ok();
    let chart = crate::export::chart::summary_chart(regime, report, &summary)
        .map_err(|e| tracing::error!(report = %report.id, %period, "summary chart: {e}"))
        .ok();
    let mut files = Vec::new();
    if let Some(bytes) = &xlsx {
        files.push(outbox::Attachment {
            name: format!("tong-hop-{}-{}.xlsx", report.id, period),
            kind: "document".into(),
            bytes: bytes.clone(),
        });
    }
    if let Some(bytes) = &chart {
        files.push(outbox::Attachment {
            name: format!("bieu-do-{}-{}.png", report.id, period),
            kind: "photo".into(),
            bytes: bytes.clone(),
        });
    }
    Ok(SummaryBundle {
        summary,
        text,
        files,
        xlsx,
        chart,
    })
}

/// Each unit's figures of the revision in force.
fn unit_figures(facts: &[crate::domain::status::UnitFacts]) -> BTreeMap<String, BTreeMap<String, i64>> {
    facts
        .iter()
        .filter_map(|f| f.latest().map(|r| (f.unit.clone(), r.metrics.clone())))
        .collect()
}

/// The group is told when a mute an admin set runs out (once: the mute is
/// marked announced in the same transaction).
async fn plan_mute_ends(
    config: &Config,
    conn: &mut crate::store::Conn,
    now: DateTime<Utc>,
) -> Result<Vec<Notice>, StoreError> {
    let regime = &config.regime;
    let ended = crate::store::updates::ended_mutes(conn, now).await?;
    Ok(ended
        .into_iter()
        .map(|m| {
            let name = match m.target.split_once(':') {
                Some(("unit", id)) => regime.unit(id).map_or_else(|| id.to_string(), |u| u.name.clone()),
                Some((_, id)) => regime.report(id).map_or_else(|| id.to_string(), |r| r.title.clone()),
                None => m.target.clone(),
            };
            Notice {
                kind: NoticeKind::Unmute,
                key: format!("unmute:mute:{}", m.id),
                report: None,
                period: None,
                units: Vec::new(),
                atoms: Vec::new(),
                text: crate::domain::reply::mute(regime, &name, None, None),
                not_before: crate::domain::plan::hold(regime, NoticeKind::Unmute, now),
                expires_at: crate::domain::plan::hold(regime, NoticeKind::Unmute, now)
                    + crate::domain::plan::FIRING_CURRENT_FOR,
            }
        })
        .collect())
}

/// The case digest due at `now` (see [`plan_case_digest`]), if any.
async fn plan_digest(
    config: &Config,
    conn: &mut crate::store::Conn,
    now: DateTime<Utc>,
) -> Result<Option<Notice>, StoreError> {
    let regime = &config.regime;
    let Some(spec) = &config.case_digest else {
        return Ok(None);
    };
    let Some(firing) = spec.last_at_or_before(&now.with_timezone(&regime.timezone)) else {
        return Ok(None);
    };
    let firing = firing.with_timezone(&Utc);
    let recent = outbox::recent_of_kind(conn, NoticeKind::CaseDigest, now, 2).await?;
    let key = digest_key(regime, firing);
    // The cases are read only when this firing's digest is still to plan: an
    // idle tick does not load a national office's cases every minute.
    if now - firing >= FIRING_CURRENT_FOR || recent.iter().any(|p| p.key == key) {
        return Ok(None);
    }
    // Each unit's counts, then the cases of the units the digest can show:
    // a national backlog's digest names a few dozen units, not every case.
    let counts = in_force::counts(config, conn, now).await?;
    let digest_counts: render::DigestCounts<'_> = counts
        .iter()
        .map(|(unit, c)| (unit.as_str(), (c.overdue, c.due_soon)))
        .collect();
    let shown = render::digest_units(regime, &digest_counts);
    let stored = in_force::read_units(config, conn, &shown, cases::Pick::OverdueOrDueSoon, now).await?;
    let today = now.with_timezone(&regime.timezone).date_naive();
    let lines = evaluate_all(regime, &stored, today);
    let previous = recent.iter().find(|p| p.key != key);
    Ok(plan_case_digest(
        regime,
        &digest_counts,
        &lines,
        firing,
        previous,
        &recent,
        now,
    ))
}

/// Collects each active report-period once after its deadline and once after
/// its end of grace; the runs are recorded by the deadline's instant, so a
/// restart does not repeat them and a deadline moved later is collected
/// after again. The passes run in the background: the tick waits for them at
/// most `[collection] deadline_collect_secs`, then plans with what is in.
async fn collect_after_deadlines(
    config: &Config,
    store: &Store,
    now: DateTime<Utc>,
    wall: DateTime<Utc>,
) -> Result<(), StoreError> {
    let regime = &config.regime;
    let today = now.with_timezone(&regime.timezone).date_naive();
    let mut shared: Option<std::sync::Arc<Config>> = None;
    let mut passes = Vec::new();
    for report in &regime.reports {
        for period in active_periods(&report.timing, today, &regime.timezone, &regime.calendar) {
            let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
            let mut pending = Vec::new();
            let mut conn = store.read().await?;
            for (tag, at) in [("due", d.due), ("grace", d.late_after)] {
                let job = format!(
                    "deadline_collect:{}:{}:{tag}:{}",
                    report.id,
                    period,
                    crate::store::ts(at)
                );
                if at <= now && runs::last_run(&mut conn, &job).await?.is_none() {
                    pending.push(job);
                }
            }
            drop(conn);
            if pending.is_empty() {
                continue;
            }
            let filter = Filter {
                report: Some(report.id.clone()),
                period: Some(period),
                unit: None,
                force: false,
            };
            let config = shared
                .get_or_insert_with(|| std::sync::Arc::new(config.clone()))
                .clone();
            let store = store.clone();
            let (report, period) = (report.id.clone(), period);
            passes.push(tokio::spawn(async move {
                match collect_pass(&config, &store, &filter, wall).await {
                    Ok(_) => {
                        let done = async {
                            let mut conn = store.read().await?;
                            for job in pending {
                                runs::set_last_run(&mut conn, &job, wall, None).await?;
                            }
                            Ok::<_, StoreError>(())
                        };
                        if let Err(e) = done.await {
                            tracing::error!(%report, %period, "cannot record the collection after the deadline: {e}");
                        }
                    }
                    Err(e) => tracing::error!(%report, %period, "collection after the deadline failed: {e}"),
                }
            }));
        }
    }
    if passes.is_empty() {
        return Ok(());
    }
    let bound = config.collection.deadline_collect;
    if tokio::time::timeout(bound, futures_util::future::join_all(passes))
        .await
        .is_err()
    {
        tracing::warn!(
            "the collection after a deadline is still running after {} s ([collection] deadline_collect_secs); the tick goes on and it finishes in the background",
            bound.as_secs()
        );
    }
    Ok(())
}

/// A collection pass, logged one line per unit and one summary line.
pub async fn collect_pass(
    config: &Config,
    store: &Store,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Vec<UnitOutcome>, CollectError> {
    // Marks computed under the rules in force before new cases are stored.
    if let Err(e) = in_force::ensure_current(config, store, now).await {
        tracing::warn!("the stored cases' limits could not be worked out again: {e}");
    }
    let outcomes = collect::collect(config, store, filter, now).await?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &outcomes {
        *counts.entry(o.outcome.as_str()).or_default() += 1;
        match &o.outcome {
            collect::Outcome::Failed { error } => {
                tracing::warn!(report = %o.report, period = %o.period, unit = %o.unit, outcome = o.outcome.as_str(), http_status = o.http_status, %error, "collect")
            }
            collect::Outcome::Rejected { error } => {
                tracing::warn!(report = %o.report, period = %o.period, unit = %o.unit, outcome = o.outcome.as_str(), http_status = o.http_status, %error, "collect")
            }
            _ => {
                tracing::info!(report = %o.report, period = %o.period, unit = %o.unit, outcome = o.outcome.as_str(), http_status = o.http_status, "collect")
            }
        }
    }
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{k}={v}")).collect();
    tracing::info!(units = outcomes.len(), "collection pass done: {}", summary.join(" "));
    let mut conn = store.read().await?;
    runs::set_last_run(&mut conn, "collect", now, Some(&summary.join(" "))).await?;
    Ok(outcomes)
}

/// One unit's line in `status`.
#[derive(Debug, Clone, Serialize)]
pub struct UnitLine {
    pub unit: String,
    pub name: String,
    pub state: UnitState,
    /// When the valid report that decides timeliness was sent.
    pub received_at: Option<DateTime<Utc>>,
    /// The revision in force.
    pub revision: Option<i64>,
    /// Accepted revisions received so far.
    pub revisions: usize,
    pub metrics: BTreeMap<String, i64>,
    /// Rejections newer than the revision in force.
    pub errors: Vec<String>,
    pub last_collect: Option<LastCollect>,
    /// Complaint cases of the unit still open at the evaluation instant.
    pub cases_open: usize,
    /// Of those, the ones past their legal limit.
    pub cases_overdue: usize,
    /// The unit's indicators that got worse against the same period last year.
    pub worsened: Vec<String>,
    /// The unit's indicators below their target.
    pub below_target: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LastCollect {
    pub at: DateTime<Utc>,
    pub outcome: String,
    pub detail: Option<String>,
    /// What an HTTP source answered (absent for files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
}

/// The `status` document of one report-period.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodStatus {
    pub report: String,
    pub period: String,
    pub at: DateTime<Utc>,
    pub due: DateTime<Utc>,
    pub late_after: DateTime<Utc>,
    pub units: Vec<UnitLine>,
    /// Province figures (metrics and indicators) that got worse against the
    /// same period last year, worst first.
    pub worsened: Vec<String>,
    /// Province indicators below their target, worst first.
    pub below_target: Vec<String>,
    #[serde(skip)]
    pub deadlines: Option<Deadlines>,
}

/// The status view of a report-period (see [`crate::domain::views::status`]),
/// for the console (`giaoban status`, a terminal's width) and the chat
/// (`/status`, a phone's): one view, two widths.
pub fn status_view(config: &Config, st: &PeriodStatus, width: usize) -> Option<String> {
    let regime = &config.regime;
    let report = regime.report(&st.report)?;
    let d = st.deadlines.as_ref()?;
    let rows: Vec<crate::domain::views::UnitRow<'_>> = st
        .units
        .iter()
        .map(|u| crate::domain::views::UnitRow {
            name: &u.name,
            state: u.state,
            received_at: u.received_at,
            revisions: u.revisions,
            metrics: (u.revisions > 0).then_some(&u.metrics),
            cases_open: u.cases_open,
            cases_overdue: u.cases_overdue,
        })
        .collect();
    Some(crate::domain::views::status(regime, report, d, st.at, &rows, width))
}

/// The overdue cases view (see [`crate::domain::reply::overdue`]): what
/// `giaoban cases --overdue` prints and the bot's `/overdue` sends.
pub async fn overdue_view(
    config: &Config,
    store: &Store,
    unit: Option<&str>,
    at: DateTime<Utc>,
) -> Result<String, StoreError> {
    let regime = &config.regime;
    let stored = in_force::read(config, store, unit, cases::Pick::Overdue, at).await?;
    let lines = evaluate_all(regime, &stored, at.with_timezone(&regime.timezone).date_naive());
    let unit = unit.and_then(|u| regime.unit(u));
    Ok(crate::domain::reply::overdue(regime, &lines, unit))
}

/// The period `status` shows when none is given: among the periods open at
/// `at`, the one whose deadline is nearest.
pub fn default_period(config: &Config, report: &Report, at: DateTime<Utc>) -> Option<Period> {
    let regime = &config.regime;
    let today = at.with_timezone(&regime.timezone).date_naive();
    active_periods(&report.timing, today, &regime.timezone, &regime.calendar)
        .into_iter()
        .min_by_key(|p| {
            let d = deadlines(&report.timing, *p, &regime.timezone, &regime.calendar);
            (d.due - at).num_seconds().abs()
        })
}

/// Evaluates a report-period at `at`, counting only what was sent by then.
pub async fn status(
    config: &Config,
    store: &Store,
    report: &Report,
    period: Period,
    at: DateTime<Utc>,
) -> Result<PeriodStatus, StoreError> {
    let regime = &config.regime;
    let label = period.label();
    let mut conn = store.read().await?;
    let facts = submissions::period_facts(&mut conn, &report.id, &label, at).await?;
    let results = submissions::collect_results(&mut conn, &report.id, &label).await?;
    let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
    let counts = in_force::counts(config, &mut conn, at).await?;
    let open: HashMap<&str, usize> = counts.iter().map(|(u, c)| (u.as_str(), c.open)).collect();
    let overdue: HashMap<&str, usize> = counts.iter().map(|(u, c)| (u.as_str(), c.overdue)).collect();
    let count = |unit: &str, of: &HashMap<&str, usize>| of.get(unit).copied().unwrap_or(0);
    let statuses = period_status(regime, report, period, &facts, &d);
    let ly = period.same_period_last_year();
    let ly_facts = submissions::period_facts(&mut conn, &report.id, &ly.label(), at).await?;
    let mut summary = build_summary(
        report,
        &d,
        &statuses,
        &overdue,
        None,
        totals_of(report, ly, &ly_facts),
        at,
    );
    summary.flags = flags::evaluate(report, &summary, &unit_figures(&ly_facts));
    let last_results: HashMap<&str, _> = results.iter().rev().map(|r| (r.unit.as_str(), r)).collect();
    let flags_by_unit: HashMap<&str, _> = summary.flags.units.iter().rev().map(|u| (u.unit.as_str(), u)).collect();
    let unit_flags = |id: &str| {
        flags_by_unit.get(id).map_or((Vec::new(), Vec::new()), |u| {
            (
                u.worsened.iter().map(|w| w.key.clone()).collect(),
                u.below_target.iter().map(|s| s.key.clone()).collect(),
            )
        })
    };
    let units = statuses
        .into_iter()
        .map(|s| {
            let (worsened, below_target) = unit_flags(&s.unit.id);
            let latest = s.facts.and_then(|f| f.latest());
            UnitLine {
                unit: s.unit.id.clone(),
                name: s.unit.name.clone(),
                state: s.state,
                received_at: s.facts.and_then(|f| f.first_received_at()),
                revision: latest.map(|r| r.revision),
                revisions: s.facts.map_or(0, |f| f.revisions.len()),
                metrics: latest.map(|r| r.metrics.clone()).unwrap_or_default(),
                errors: s
                    .facts
                    .map(|f| f.open_errors().map(|r| r.error.clone()).collect())
                    .unwrap_or_default(),
                last_collect: last_results.get(s.unit.id.as_str()).map(|r| LastCollect {
                    at: r.at,
                    outcome: r.outcome.clone(),
                    detail: r.detail.clone(),
                    http_status: r.http_status,
                }),
                cases_open: count(&s.unit.id, &open),
                cases_overdue: count(&s.unit.id, &overdue),
                worsened,
                below_target,
            }
        })
        .collect();
    Ok(PeriodStatus {
        report: report.id.clone(),
        period: label,
        at,
        due: d.due,
        late_after: d.late_after,
        units,
        worsened: summary.flags.worsened_keys(),
        below_target: summary.flags.below_target_keys(),
        deadlines: Some(d),
    })
}

/// One case in `giaoban cases`.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub unit: String,
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: String,
    pub state: CaseState,
    /// The last day of the limit that applies (YYYY-MM-DD).
    pub due: Option<chrono::NaiveDate>,
    pub days_overdue: i64,
    pub stage: crate::domain::case::Stage,
    pub received_on: chrono::NaiveDate,
    pub accepted_on: Option<chrono::NaiveDate>,
    pub resolved_on: Option<chrono::NaiveDate>,
}

/// Every case in force at `at`, optionally one unit's or only the overdue
/// ones: the most overdue first, then by due date.
pub async fn case_rows(
    config: &Config,
    store: &Store,
    unit: Option<&str>,
    overdue_only: bool,
    at: DateTime<Utc>,
) -> Result<Vec<CaseRow>, StoreError> {
    let regime = &config.regime;
    let pick = if overdue_only {
        cases::Pick::Overdue
    } else {
        cases::Pick::All
    };
    let stored = in_force::read(config, store, unit, pick, at).await?;
    let judge = crate::domain::case::evaluator(regime, at.with_timezone(&regime.timezone).date_naive());
    // The cases move into their rows: a national listing is held once.
    let mut rows: Vec<CaseRow> = stored
        .into_iter()
        .filter_map(|case| {
            let (_, eval) = judge(&case)?;
            (!overdue_only || eval.state == CaseState::Overdue).then_some(CaseRow {
                unit: case.unit,
                reference: case.reference,
                kind: case.kind,
                state: eval.state,
                due: eval.due,
                days_overdue: eval.days_overdue,
                stage: eval.stage,
                received_on: case.received_on,
                accepted_on: case.accepted_on,
                resolved_on: case.resolved_on,
            })
        })
        .collect();
    // The most overdue first, then by due day; the cases come by unit and
    // reference, and a stable sort keeps that order among equals (the same
    // order as comparing units too, without comparing their names: a
    // national listing has few distinct days and 150,000 cases).
    rows.sort_by_key(|r| (std::cmp::Reverse(r.days_overdue), r.due));
    Ok(rows)
}

/// How many cases in force at `at` are in each state (see
/// [`in_force::state_totals`]; `/metrics`).
pub async fn case_totals(
    config: &Config,
    store: &Store,
    at: DateTime<Utc>,
) -> Result<std::collections::BTreeMap<CaseState, usize>, StoreError> {
    let mut conn = store.read().await?;
    in_force::state_totals(config, &mut conn, at).await
}

/// Queues a summary asked for on the command line (`summary --send`): sent at
/// once, whatever the working hours, under a key of its own.
pub async fn queue_summary(
    store: &Store,
    bundle: &SummaryBundle,
    report: &Report,
    period: Period,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let notice = Notice {
        kind: NoticeKind::Summary,
        key: format!("summary:{}:{}:manual:{}", report.id, period, crate::store::ts(now)),
        report: Some(report.id.clone()),
        period: Some(period),
        units: Vec::new(),
        atoms: Vec::new(),
        text: bundle.text.clone(),
        not_before: now,
        expires_at: now + crate::domain::plan::FIRING_CURRENT_FOR,
    };
    let mut tx = store.write().await?;
    let queued = enqueue(&mut tx, &notice, now, &bundle.files).await?;
    tx.commit().await?;
    Ok(queued)
}

/// Queues the admins' notice that a reloaded config was refused (see
/// [`plan_config_error`]), planned with the config still in force; false when
/// the same error was announced before.
pub async fn announce_config_error(
    config: &Config,
    store: &Store,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let notice = plan_config_error(&config.regime, error, now);
    let mut conn = store.read().await?;
    enqueue(&mut conn, &notice, now, &[]).await
}

/// How long a one-shot verb (`deliver`, `tick`, `summary --send`) waits for a
/// rate slot or a short `retry_after` before leaving the rest to the daemon.
pub const ONE_SHOT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// One delivery run at `at` (`giaoban deliver`, and the end of `tick`):
/// sends what is due, waiting for rate slots within [`ONE_SHOT_PATIENCE`].
pub async fn deliver(
    config: &Config,
    store: &Store,
    courier: &mut crate::notify::Courier,
    at: DateTime<Utc>,
) -> Result<crate::notify::Delivery, StoreError> {
    let owner = crate::notify::Owner::new();
    crate::notify::deliver_now(config, store, courier, &owner, at, ONE_SHOT_PATIENCE).await
}
