//! What the store knows about a report-period, and each unit's state in it:
//! on time, late, missing, or invalid (only rejected files received).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::deadline::Deadlines;

/// One accepted revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub revision: i64,
    pub submitted_at: DateTime<Utc>,
    pub metrics: BTreeMap<String, i64>,
}

/// One rejected file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub submitted_at: DateTime<Utc>,
    pub error: String,
}

/// Everything received from one unit for one report-period up to the instant
/// of evaluation (the store filters by submission time).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitFacts {
    pub unit: String,
    /// Accepted revisions, oldest first.
    pub revisions: Vec<Revision>,
    /// Rejected files, oldest first.
    pub rejections: Vec<Rejection>,
}

impl UnitFacts {
    /// The revision that counts: the latest accepted one.
    pub fn latest(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    /// When the unit first delivered a valid report: timeliness is judged on it.
    pub fn first_received_at(&self) -> Option<DateTime<Utc>> {
        self.revisions.first().map(|r| r.submitted_at)
    }

    /// Rejections newer than the revision in force (still to be fixed).
    pub fn open_errors(&self) -> impl Iterator<Item = &Rejection> {
        let after = self.latest().map(|r| r.submitted_at);
        self.rejections
            .iter()
            .filter(move |r| after.is_none_or(|a| r.submitted_at > a))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitState {
    OnTime,
    Late,
    Missing,
    Invalid,
}

impl UnitState {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitState::OnTime => "on_time",
            UnitState::Late => "late",
            UnitState::Missing => "missing",
            UnitState::Invalid => "invalid",
        }
    }

    /// Still owes a valid report.
    pub fn is_outstanding(self) -> bool {
        matches!(self, UnitState::Missing | UnitState::Invalid)
    }
}

/// The state of a unit given its facts (already limited to the evaluation instant).
pub fn unit_state(deadlines: &Deadlines, facts: Option<&UnitFacts>) -> UnitState {
    match facts {
        Some(f) => match f.first_received_at() {
            Some(at) if at <= deadlines.late_after => UnitState::OnTime,
            Some(_) => UnitState::Late,
            None if !f.rejections.is_empty() => UnitState::Invalid,
            None => UnitState::Missing,
        },
        None => UnitState::Missing,
    }
}
