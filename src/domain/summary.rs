//! The summary of a report-period that the office reads at its briefing:
//! who sent (on time, late) and who did not, totals across units, indicators
//! computed from the totals (never an average of unit rates), comparisons with
//! the previous period and the same period last year, open errors and overdue
//! cases per unit.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::deadline::Deadlines;
use super::period::Period;
use super::plan::UnitStatus;
use super::regime::{Indicator, Report};
use super::status::{UnitFacts, UnitState};

/// One unit's line.
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub unit: String,
    pub name: String,
    pub state: UnitState,
    pub received_at: Option<DateTime<Utc>>,
    /// Figures of the revision in force (empty when nothing valid came).
    pub metrics: BTreeMap<String, i64>,
    /// The report's indicators for this unit, in config order (None: no value,
    /// e.g. a zero denominator).
    pub indicators: Vec<Option<f64>>,
    /// Errors of rejected files newer than the revision in force.
    pub errors: Vec<String>,
    pub overdue_cases: usize,
}

/// Totals of another period, for comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub period: Period,
    /// Units whose figures make up the totals.
    pub units: usize,
    pub totals: BTreeMap<String, i64>,
    pub indicators: Vec<Option<f64>>,
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub report: String,
    pub period: Period,
    pub at: DateTime<Utc>,
    pub due: DateTime<Utc>,
    pub late_after: DateTime<Utc>,
    pub rows: Vec<UnitRow>,
    /// Sums over the units with a valid report.
    pub totals: BTreeMap<String, i64>,
    pub indicators: Vec<Option<f64>>,
    pub previous: Option<Comparison>,
    pub last_year: Option<Comparison>,
    /// What got worse or missed a target (see [`super::flags::evaluate`]);
    /// empty until the caller evaluates it.
    pub flags: super::flags::Flags,
}

impl Summary {
    pub fn count(&self, state: UnitState) -> usize {
        self.rows.iter().filter(|r| r.state == state).count()
    }

    /// Units whose figures are in the totals.
    pub fn reporting(&self) -> usize {
        self.rows.iter().filter(|r| !r.metrics.is_empty()).count()
    }
}

/// Each indicator's value over `figures`; None where a figure is missing or a
/// denominator is zero.
pub fn indicator_values(indicators: &[Indicator], figures: &BTreeMap<String, i64>) -> Vec<Option<f64>> {
    let lookup = |k: &str| figures.get(k).map(|n| *n as f64);
    indicators.iter().map(|i| i.formula.value(&lookup)).collect()
}

/// Sums the latest valid figures of every unit in `facts`; None when no unit
/// has any (there is nothing to compare with).
pub fn totals_of(report: &Report, period: Period, facts: &[UnitFacts]) -> Option<Comparison> {
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    let mut units = 0;
    for f in facts {
        if let Some(rev) = f.latest() {
            units += 1;
            for (k, v) in &rev.metrics {
                let t = totals.entry(k.clone()).or_default();
                *t = t.saturating_add(*v);
            }
        }
    }
    if units == 0 {
        return None;
    }
    let indicators = indicator_values(&report.indicators, &totals);
    Some(Comparison {
        period,
        units,
        totals,
        indicators,
    })
}

/// Builds the summary from the units' statuses and how many overdue cases
/// each unit has (see [`super::case::count_by_unit`]).
pub fn build(
    report: &Report,
    d: &Deadlines,
    statuses: &[UnitStatus<'_>],
    overdue: &HashMap<&str, usize>,
    previous: Option<Comparison>,
    last_year: Option<Comparison>,
    at: DateTime<Utc>,
) -> Summary {
    let rows: Vec<UnitRow> = statuses
        .iter()
        .map(|s| {
            let metrics = s
                .facts
                .and_then(|f| f.latest())
                .map(|r| r.metrics.clone())
                .unwrap_or_default();
            let indicators = if metrics.is_empty() {
                vec![None; report.indicators.len()]
            } else {
                indicator_values(&report.indicators, &metrics)
            };
            UnitRow {
                unit: s.unit.id.clone(),
                name: s.unit.name.clone(),
                state: s.state,
                received_at: s.facts.and_then(|f| f.first_received_at()),
                metrics,
                indicators,
                errors: s
                    .facts
                    .map(|f| f.open_errors().map(|r| r.error.clone()).collect())
                    .unwrap_or_default(),
                overdue_cases: overdue.get(s.unit.id.as_str()).copied().unwrap_or(0),
            }
        })
        .collect();
    // Only figures somebody reported have a total: none reads `—`, not 0.
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        for (k, v) in &r.metrics {
            let t = totals.entry(k.clone()).or_default();
            *t = t.saturating_add(*v);
        }
    }
    let indicators = if rows.iter().any(|r| !r.metrics.is_empty()) {
        indicator_values(&report.indicators, &totals)
    } else {
        vec![None; report.indicators.len()]
    };
    Summary {
        report: report.id.clone(),
        period: d.period,
        at,
        due: d.due,
        late_after: d.late_after,
        rows,
        totals,
        indicators,
        previous,
        last_year,
        flags: Default::default(),
    }
}
