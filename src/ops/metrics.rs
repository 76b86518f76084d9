//! `/metrics` in Prometheus text format. Counts come from the database (so a
//! restart does not reset them) with one aggregate query each, plus the
//! evaluation `status` does for each report's current period; only tick
//! timings are this process's own.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::OpsState;
use crate::domain::case::CaseState;
use crate::domain::status::UnitState;
use crate::jobs;
use crate::store::{StoreError, jobs as runs, stats};

/// Prometheus text, one family at a time.
#[derive(Default)]
struct Text {
    out: String,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
        let labels = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{}}}", labels.join(","))
        };
        let _ = writeln!(self.out, "{name}{labels} {value}");
    }
}

fn seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

pub async fn render(state: &OpsState, now: DateTime<Utc>) -> Result<String, StoreError> {
    let config = state.config.read().await.clone();
    let mut m = Text::default();

    let up = state.store.ping().await.is_ok();
    m.family("giaoban_database_up", "gauge", "1 when the database answers.");
    m.sample("giaoban_database_up", &[], if up { 1.0 } else { 0.0 });
    let scheduler_up = state.vitals.next_firings().await.is_some();
    m.family("giaoban_scheduler_up", "gauge", "1 while the scheduler runs.");
    m.sample("giaoban_scheduler_up", &[], if scheduler_up { 1.0 } else { 0.0 });
    let active = state.vitals.role() == super::Role::Active;
    m.family(
        "giaoban_active",
        "gauge",
        "1 while this process is the active instance (0: standby, waiting for the lock).",
    );
    m.sample("giaoban_active", &[], if active { 1.0 } else { 0.0 });
    m.family(
        "giaoban_start_time_seconds",
        "gauge",
        "When this process started (Unix time).",
    );
    m.sample("giaoban_start_time_seconds", &[], seconds(state.vitals.started_at));

    let mut conn = state.store.read().await?;
    let s = stats::stats(&mut conn).await?;
    m.family(
        "giaoban_submissions_total",
        "counter",
        "Files stored from units, by outcome (accepted revision or rejected file).",
    );
    for outcome in ["accepted", "rejected"] {
        let n = s.submissions.get(outcome).copied().unwrap_or(0);
        m.sample("giaoban_submissions_total", &[("outcome", outcome)], n as f64);
    }

    m.family(
        "giaoban_outbox_messages",
        "gauge",
        "Messages in the outbox by kind and state (pending = backlog).",
    );
    let mut backlog = 0;
    for ((kind, st), n) in &s.outbox {
        m.sample("giaoban_outbox_messages", &[("kind", kind), ("state", st)], *n as f64);
        if st == "pending" {
            backlog += n;
        }
    }
    m.family("giaoban_outbox_backlog", "gauge", "Messages waiting for delivery.");
    m.sample("giaoban_outbox_backlog", &[], backlog as f64);
    m.family(
        "giaoban_delivery_failures_total",
        "counter",
        "Delivery attempts that failed (retried later or given up).",
    );
    m.sample("giaoban_delivery_failures_total", &[], s.failed_attempts as f64);

    for (job, name, help) in [
        (
            "tick",
            "giaoban_last_tick_timestamp_seconds",
            "When the planner last ticked (Unix time).",
        ),
        (
            "collect",
            "giaoban_last_collect_timestamp_seconds",
            "When a collection pass last ran (Unix time).",
        ),
    ] {
        if let Some(at) = runs::last_run(&mut conn, job).await? {
            m.family(name, "gauge", help);
            m.sample(name, &[], seconds(at));
        }
    }
    drop(conn);

    // Each report's current period, as `status` evaluates it.
    let mut units = Text::default();
    units.family(
        "giaoban_units",
        "gauge",
        "Units of each report's current period by state (on_time, late, missing, invalid).",
    );
    let mut late = Text::default();
    late.family(
        "giaoban_late_units",
        "gauge",
        "Units of each report's current period that sent late, or owe a valid report after the grace.",
    );
    let mut errors = Text::default();
    errors.family(
        "giaoban_collection_errors",
        "gauge",
        "Units of each report's current period whose last collection failed (source unreachable or unreadable).",
    );
    for report in &config.regime.reports {
        let Some(period) = jobs::default_period(&config, report, now) else {
            continue;
        };
        let st = jobs::status(&config, &state.store, report, period, now).await?;
        let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
        for s in [
            UnitState::OnTime,
            UnitState::Late,
            UnitState::Missing,
            UnitState::Invalid,
        ] {
            by_state.insert(s.as_str(), 0);
        }
        let mut late_n = 0;
        let mut error_n = 0;
        for u in &st.units {
            *by_state.entry(u.state.as_str()).or_default() += 1;
            if u.state == UnitState::Late || (u.state.is_outstanding() && now > st.late_after) {
                late_n += 1;
            }
            if u.last_collect.as_ref().is_some_and(|c| c.outcome == "error") {
                error_n += 1;
            }
        }
        let labels = [("report", report.id.as_str()), ("period", st.period.as_str())];
        for (state_name, n) in by_state {
            units.sample(
                "giaoban_units",
                &[labels[0], labels[1], ("state", state_name)],
                n as f64,
            );
        }
        late.sample("giaoban_late_units", &labels, late_n as f64);
        errors.sample("giaoban_collection_errors", &labels, error_n as f64);
    }
    m.out.push_str(&units.out);
    m.out.push_str(&late.out);
    m.out.push_str(&errors.out);

    // Counted from the stored limits: a scrape of a national office reads no case.
    let totals = jobs::case_totals(&config, &state.store, now).await?;
    // By the states' names, as the samples have always come.
    let cases: BTreeMap<&str, usize> = totals.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    m.family("giaoban_cases", "gauge", "Complaint cases in force by state.");
    for (st, n) in &cases {
        m.sample("giaoban_cases", &[("state", st)], *n as f64);
    }
    let open: usize = totals.iter().filter(|(s, _)| s.is_open()).map(|(_, n)| n).sum();
    let overdue = totals.get(&CaseState::Overdue).copied().unwrap_or(0);
    m.family("giaoban_cases_open", "gauge", "Complaint cases not yet resolved.");
    m.sample("giaoban_cases_open", &[], open as f64);
    m.family(
        "giaoban_cases_overdue",
        "gauge",
        "Open complaint cases past their legal limit.",
    );
    m.sample("giaoban_cases_overdue", &[], overdue as f64);

    let t = state.vitals.ticks();
    m.family("giaoban_ticks_total", "counter", "Planner ticks run by this process.");
    m.sample("giaoban_ticks_total", &[], t.count as f64);
    m.family(
        "giaoban_tick_failures_total",
        "counter",
        "Planner ticks that failed in this process.",
    );
    m.sample("giaoban_tick_failures_total", &[], t.failures as f64);
    m.family(
        "giaoban_tick_seconds_total",
        "counter",
        "Time spent in planner ticks (collect after deadlines, plan, deliver) by this process.",
    );
    m.sample("giaoban_tick_seconds_total", &[], t.seconds_total);
    if let Some(last) = t.last_seconds {
        m.family(
            "giaoban_tick_duration_seconds",
            "gauge",
            "How long the last planner tick took.",
        );
        m.sample("giaoban_tick_duration_seconds", &[], last);
    }
    Ok(m.out)
}
