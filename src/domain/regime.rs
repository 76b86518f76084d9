//! The validated model of what the office runs: units, reports, case rules,
//! calendar and working hours. Built by `config` from the TOML file; every
//! other module reads it, none changes it.

use chrono::{NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;

use super::calendar::WorkCalendar;
use super::deadline::ReportTiming;
use super::formula::Formula;
use super::period::Period;
use super::span::Span;

/// The language of chat messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Vi,
    En,
}

impl Language {
    pub fn is_english(self) -> bool {
        self == Language::En
    }
}

/// Everything the pure core needs to know about the office.
#[derive(Debug, Clone)]
pub struct Regime {
    pub timezone: Tz,
    pub language: Language,
    pub working_hours: WorkingHours,
    pub calendar: WorkCalendar,
    pub units: Vec<Unit>,
    pub reports: Vec<Report>,
    pub case_rules: Vec<CaseRule>,
}

impl Regime {
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    pub fn report(&self, id: &str) -> Option<&Report> {
        self.reports.iter().find(|r| r.id == id)
    }

    /// The units expected to send `report` for `period`: the report's units that
    /// exist during the period, in config order.
    pub fn expected_units<'a>(&'a self, report: &'a Report, period: Period) -> Vec<&'a Unit> {
        report
            .units
            .iter()
            .filter_map(|id| self.unit(id))
            .filter(|u| u.exists_during(period.first_day(), period.last_day()))
            .collect()
    }
}

/// The window in which messages may be delivered; outside it they are held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    pub days: Vec<Weekday>,
    pub from: NaiveTime,
    pub to: NaiveTime,
    /// Notice kinds (`late`, `invalid`, …) delivered even outside the window.
    pub urgent: Vec<String>,
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours {
            days: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            from: NaiveTime::from_hms_opt(7, 30, 0).expect("valid time"),
            to: NaiveTime::from_hms_opt(17, 0, 0).expect("valid time"),
            urgent: Vec::new(),
        }
    }
}

/// A reporting unit (a district working group today; a commune or a regional
/// body after a reorganisation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub kind: Option<String>,
    pub parent: Option<String>,
    pub remote_area: bool,
    /// Telegram handles mentioned in reminders to this unit.
    pub contacts: Vec<String>,
    /// Telegram user ids allowed to send this unit's report to the bot.
    pub telegram_users: Vec<i64>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub successors: Vec<String>,
}

impl Unit {
    /// Whether the unit existed on any day of `[first, last]`.
    pub fn exists_during(&self, first: NaiveDate, last: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= last) && self.valid_to.is_none_or(|to| to >= first)
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub id: String,
    pub title: String,
    pub timing: ReportTiming,
    /// Ids of the units that send this report, in config order.
    pub units: Vec<String>,
    pub metrics: Vec<Metric>,
    pub rules: Vec<Rule>,
    pub indicators: Vec<Indicator>,
    /// Send the summary by itself once every unit is in or the grace has ended.
    pub summary_when_complete: bool,
}

impl Report {
    pub fn metric(&self, key: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.key == key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    pub key: String,
    pub label: String,
    /// Other header names accepted in CSV/XLSX.
    pub aliases: Vec<String>,
    pub required: bool,
    /// The unit of measure shown in the template (`vụ`, `người`); none = blank.
    pub unit_label: Option<String>,
    /// Which way is better, when it matters: a figure that moved the other
    /// way against the same period last year is flagged as worse.
    pub better: Option<Better>,
}

/// Which way a figure should move (`better = "higher"` or `"lower"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub check: Formula,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndicatorFormat {
    #[default]
    Number,
    Percent,
}

#[derive(Debug, Clone)]
pub struct Indicator {
    pub key: String,
    pub label: String,
    pub formula: Formula,
    pub format: IndicatorFormat,
    pub better: Option<Better>,
    /// A value the indicator should reach (e.g. 0.9 for a 90 % rate); on the
    /// wrong side of it (by `better`, default higher) it is below target.
    pub target: Option<f64>,
}

/// How a case rule counts days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DayCount {
    /// Calendar days; a last day on a non-working day rolls to the next working day.
    #[default]
    Calendar,
    /// Working days.
    Working,
}

/// The legal limits for one kind of case (đơn thư).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRule {
    pub kind: String,
    pub label: String,
    pub accept_within: Option<Span>,
    pub resolve_within: Option<Span>,
    pub resolve_within_complex: Option<Span>,
    pub resolve_within_remote: Option<Span>,
    pub resolve_within_remote_complex: Option<Span>,
    /// Each recorded extension adds this to the resolve limit.
    pub extension: Option<Span>,
    pub max_extensions: u32,
    pub count: DayCount,
    pub due_soon: Span,
    /// The rule applies to cases received on or after this date.
    pub effective_from: Option<NaiveDate>,
}
