//! Complaint cases (đơn thư): which legal limit applies, when a case must be
//! accepted and resolved, and its state on a given day.
//!
//! Counting follows the Civil Code (Art. 145–148): the day of the event is not
//! counted, a day ends at 24:00, and under calendar counting a limit whose
//! last day is not a working day ends on the next working day. Complaint
//! limits for complex or remote cases are totals that replace the base limit;
//! recorded extensions (denunciations) are added after it, one by one.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};

use super::calendar::WorkCalendar;
use super::regime::{CaseRule, DayCount, Regime};
use super::span::{Span, SpanUnit};

/// A case as last reported (the version in force at the evaluation instant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub unit: String,
    pub reference: String,
    pub kind: String,
    pub received_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub complex: bool,
    pub extensions: u32,
    pub resolved: bool,
    pub resolved_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    InTime,
    DueSoon,
    Overdue,
    ResolvedOnTime,
    ResolvedLate,
}

impl CaseState {
    /// Every state, in the order of the enum.
    pub const ALL: [CaseState; 5] = [
        CaseState::InTime,
        CaseState::DueSoon,
        CaseState::Overdue,
        CaseState::ResolvedOnTime,
        CaseState::ResolvedLate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::InTime => "in_time",
            CaseState::DueSoon => "due_soon",
            CaseState::Overdue => "overdue",
            CaseState::ResolvedOnTime => "resolved_on_time",
            CaseState::ResolvedLate => "resolved_late",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, CaseState::InTime | CaseState::DueSoon | CaseState::Overdue)
    }
}

/// Which deadline a case is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting to be accepted (thụ lý).
    Accept,
    /// Being resolved (giải quyết).
    Resolve,
}

/// A case's state on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub state: CaseState,
    pub stage: Stage,
    /// The last day of the limit that applies (the case is on time through it).
    pub due: Option<NaiveDate>,
    /// Days past `due` (0 unless overdue or resolved late).
    pub days_overdue: i64,
}

/// The rule in force for a case of `kind` received on `received_on`: the one
/// with the latest `effective_from` not after that day (a rule without one
/// applies from the beginning).
pub fn rule_for<'a>(rules: &'a [CaseRule], kind: &str, received_on: NaiveDate) -> Option<&'a CaseRule> {
    rules
        .iter()
        .filter(|r| r.kind == kind && r.effective_from.is_none_or(|f| f <= received_on))
        .max_by_key(|r| r.effective_from)
}

/// The last day of a limit of `span` counted from the event on `from`.
pub fn limit_end(cal: &WorkCalendar, count: DayCount, from: NaiveDate, span: Span) -> NaiveDate {
    let days = match span.unit {
        SpanUnit::Days | SpanUnit::WorkingDays => span.amount,
        // Limits are in days; an hour-based limit ends on the day it runs out.
        SpanUnit::Hours => span.amount.div_ceil(24),
        SpanUnit::Minutes => span.amount.div_ceil(24 * 60),
    };
    if span.unit == SpanUnit::WorkingDays || count == DayCount::Working {
        cal.add_working_days(from, days)
    } else {
        cal.roll_forward(from + Duration::days(i64::from(days)))
    }
}

/// The last day to accept the case, when the rule sets a limit for it.
pub fn accept_due(rule: &CaseRule, case: &Case, cal: &WorkCalendar) -> Option<NaiveDate> {
    rule.accept_within
        .map(|span| limit_end(cal, rule.count, case.received_on, span))
}

/// The resolve limit that applies: the complex and remote-area variants are
/// totals replacing the base; each falls back to the plainer one.
pub fn resolve_limit(rule: &CaseRule, complex: bool, remote: bool) -> Option<Span> {
    let base = rule.resolve_within;
    match (complex, remote) {
        (true, true) => rule
            .resolve_within_remote_complex
            .or(rule.resolve_within_complex)
            .or(rule.resolve_within_remote)
            .or(base),
        (true, false) => rule.resolve_within_complex.or(base),
        (false, true) => rule.resolve_within_remote.or(base),
        (false, false) => base,
    }
}

/// The last day to resolve the case. Counted from acceptance when the rule has
/// an acceptance step (unknown until the case is accepted), else from receipt;
/// then each recorded extension, up to the rule's maximum, is added.
pub fn resolve_due(rule: &CaseRule, case: &Case, remote: bool, cal: &WorkCalendar) -> Option<NaiveDate> {
    let limit = resolve_limit(rule, case.complex, remote)?;
    let start = if rule.accept_within.is_some() {
        case.accepted_on?
    } else {
        case.accepted_on.unwrap_or(case.received_on)
    };
    let mut due = limit_end(cal, rule.count, start, limit);
    if let Some(ext) = rule.extension {
        for _ in 0..case.extensions.min(rule.max_extensions) {
            due = limit_end(cal, rule.count, due, ext);
        }
    }
    Some(due)
}

/// The case's state on `today` (local date). Resolution is judged on the
/// resolve limit (or the accept limit for a case closed before acceptance);
/// an open case on the limit of its current stage.
pub fn evaluate(rule: &CaseRule, case: &Case, remote: bool, cal: &WorkCalendar, today: NaiveDate) -> Evaluation {
    let accept = accept_due(rule, case, cal);
    let resolve = resolve_due(rule, case, remote, cal);
    let awaiting_acceptance = rule.accept_within.is_some() && case.accepted_on.is_none_or(|a| a > today);
    let (stage, due) = if awaiting_acceptance {
        (Stage::Accept, accept)
    } else {
        (Stage::Resolve, resolve)
    };
    let resolved_on = case.resolved_on.filter(|d| *d <= today);
    if case.resolved || resolved_on.is_some() {
        let due = if case.accepted_on.is_some() || rule.accept_within.is_none() {
            resolve
        } else {
            accept
        };
        let late_by = match (resolved_on, due) {
            (Some(r), Some(d)) if r > d => (r - d).num_days(),
            _ => 0,
        };
        let state = if late_by > 0 {
            CaseState::ResolvedLate
        } else {
            CaseState::ResolvedOnTime
        };
        return Evaluation {
            state,
            stage: Stage::Resolve,
            due,
            days_overdue: late_by,
        };
    }
    let Some(due_day) = due else {
        return Evaluation {
            state: CaseState::InTime,
            stage,
            due: None,
            days_overdue: 0,
        };
    };
    if today > due_day {
        return Evaluation {
            state: CaseState::Overdue,
            stage,
            due,
            days_overdue: (today - due_day).num_days(),
        };
    }
    let state = if today >= soon_from(rule, cal, due_day) {
        CaseState::DueSoon
    } else {
        CaseState::InTime
    };
    Evaluation {
        state,
        stage,
        due,
        days_overdue: 0,
    }
}

/// A case with the rule that applies to it and its state on a day.
#[derive(Debug, Clone)]
pub struct CaseLine<'a> {
    pub case: &'a Case,
    pub rule: &'a CaseRule,
    pub eval: Evaluation,
}

/// Evaluates every case on `today`. Cases whose kind has no rule (a rule removed
/// from the config since) are left out; they stay stored.
pub fn evaluate_all<'a>(regime: &'a Regime, cases: &'a [Case], today: NaiveDate) -> Vec<CaseLine<'a>> {
    let judge = evaluator(regime, today);
    cases
        .iter()
        .filter_map(|case| judge(case).map(|(rule, eval)| CaseLine { case, rule, eval }))
        .collect()
}

/// [`evaluate_all`] one case at a time, for a caller that keeps the cases it
/// takes (a listing moves them into its rows instead of copying them).
pub fn evaluator<'a>(
    regime: &'a Regime,
    today: NaiveDate,
) -> impl Fn(&Case) -> Option<(&'a CaseRule, Evaluation)> + 'a {
    let units = regime.units_by_id();
    move |case| {
        // A unit removed from the config, or closed before `today`, leaves
        // the digests and the status; its cases stay stored.
        let unit = units
            .get(case.unit.as_str())
            .copied()
            .filter(|u| u.exists_during(today, today))?;
        let rule = rule_for(&regime.case_rules, &case.kind, case.received_on)?;
        Some((rule, evaluate(rule, case, unit.remote_area, &regime.calendar, today)))
    }
}

/// How many of `lines` each unit has in a state `pick` accepts: one pass,
/// looked up per unit, instead of a scan of every line per unit.
pub fn count_by_unit<'a>(lines: &[CaseLine<'a>], pick: impl Fn(CaseState) -> bool) -> HashMap<&'a str, usize> {
    let mut out: HashMap<&'a str, usize> = HashMap::new();
    for l in lines.iter().filter(|l| pick(l.eval.state)) {
        *out.entry(l.case.unit.as_str()).or_default() += 1;
    }
    out
}

/// A case's state on any day, worked out once when its version is stored:
/// the first day of each condition `evaluate` tests (None: never). The limits
/// depend on the case, its rule, the unit's remote flag and the calendar,
/// never on the day, so a store can count a million cases' states on a day
/// with comparisons of dates, without evaluating each case.
///
/// `state_on(today)` agrees with `evaluate` on every day (open, overdue, due
/// soon); a store's SQL mirrors it (see `store::cases`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Marks {
    /// A rule applies (a case of a kind without a rule is left out).
    pub counted: bool,
    /// Resolved from this day on ([`BEGINNING`] when reported resolved).
    pub closed_from: Option<NaiveDate>,
    /// The acceptance stage lasts while the day is before this one (None:
    /// for ever, the case not yet accepted; [`BEGINNING`]: no such stage).
    pub accept_until: Option<NaiveDate>,
    /// First day overdue, and first day due soon, in the acceptance stage.
    pub accept_over: Option<NaiveDate>,
    pub accept_soon: Option<NaiveDate>,
    /// The same in the resolution stage.
    pub resolve_over: Option<NaiveDate>,
    pub resolve_soon: Option<NaiveDate>,
}

/// The day before every real one: "always" in [`Marks`] (stored as text, it
/// sorts before every date).
pub const BEGINNING: NaiveDate = NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date");

/// What [`Marks::state_on`] tells of a day: the states a store counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Closed,
    InTime,
    DueSoon,
    Overdue,
}

impl Marks {
    /// The marks of `case` under `rule` (None: no rule applies).
    pub fn of(rule: Option<&CaseRule>, case: &Case, remote: bool, cal: &WorkCalendar) -> Marks {
        let Some(rule) = rule else {
            return Marks::default();
        };
        let next = |d: Option<NaiveDate>| d.map(|d| d + Duration::days(1));
        let soon = |d: Option<NaiveDate>| d.map(|d| soon_from(rule, cal, d));
        let accept = accept_due(rule, case, cal);
        let resolve = resolve_due(rule, case, remote, cal);
        Marks {
            counted: true,
            closed_from: if case.resolved {
                Some(BEGINNING)
            } else {
                case.resolved_on
            },
            accept_until: if rule.accept_within.is_none() {
                Some(BEGINNING)
            } else {
                case.accepted_on
            },
            accept_over: next(accept),
            accept_soon: soon(accept),
            resolve_over: next(resolve),
            resolve_soon: soon(resolve),
        }
    }

    /// The marks of a case as a unit reported it, under the regime's rules.
    pub fn of_record(regime: &Regime, remote: bool, unit: &str, r: &super::submission::CaseRecord) -> Marks {
        let Some(received_on) = r.received_on else {
            return Marks::default();
        };
        let case = Case {
            unit: unit.to_string(),
            reference: r.reference.clone(),
            kind: r.kind.clone(),
            received_on,
            accepted_on: r.accepted_on,
            complex: r.complex,
            extensions: r.extensions,
            resolved: r.resolved,
            resolved_on: r.resolved_on,
        };
        Marks::of(
            rule_for(&regime.case_rules, &r.kind, received_on),
            &case,
            remote,
            &regime.calendar,
        )
    }

    /// The case's standing on `today` (None: not counted).
    pub fn state_on(&self, today: NaiveDate) -> Option<Standing> {
        if !self.counted {
            return None;
        }
        if self.closed_from.is_some_and(|d| d <= today) {
            return Some(Standing::Closed);
        }
        let accepting = self.accept_until.is_none_or(|d| today < d);
        let (over, soon) = if accepting {
            (self.accept_over, self.accept_soon)
        } else {
            (self.resolve_over, self.resolve_soon)
        };
        Some(if over.is_some_and(|d| d <= today) {
            Standing::Overdue
        } else if soon.is_some_and(|d| d <= today) {
            Standing::DueSoon
        } else {
            Standing::InTime
        })
    }
}

/// What feeds [`Marks`]: the case rules, the calendar and which units are
/// remote, as a hash. Stored marks computed under another one are computed
/// again.
pub fn marks_fingerprint(regime: &Regime) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    // The version of the marks' own logic: a change to it recomputes them.
    h.update(b"marks-1|");
    h.update(format!("{:?}|{:?}|", regime.case_rules, regime.calendar).as_bytes());
    for u in regime.units.iter().filter(|u| u.remote_area) {
        h.update(u.id.as_bytes());
        h.update(b",");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The first day a limit ending on `due` counts as due soon.
fn soon_from(rule: &CaseRule, cal: &WorkCalendar, due: NaiveDate) -> NaiveDate {
    match rule.due_soon.unit {
        SpanUnit::WorkingDays => cal.sub_working_days(due, rule.due_soon.amount),
        _ => due - Duration::days(i64::from(limit_days(rule.due_soon))),
    }
}

fn limit_days(span: Span) -> u32 {
    match span.unit {
        SpanUnit::Days | SpanUnit::WorkingDays => span.amount,
        SpanUnit::Hours => span.amount.div_ceil(24),
        SpanUnit::Minutes => span.amount.div_ceil(24 * 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn span(s: &str) -> Span {
        s.parse().expect("test span")
    }

    /// The 2024–2025 calendar around Tết and the swapped Saturday of 2024.
    fn cal() -> WorkCalendar {
        let mut holidays = vec![
            d("2024-01-01"),
            d("2024-04-18"),
            d("2024-09-02"),
            d("2024-09-03"),
            d("2025-01-01"),
        ];
        holidays.extend(d("2024-02-08").iter_days().take(7));
        holidays.extend(d("2024-04-29").iter_days().take(3));
        holidays.extend(d("2025-01-25").iter_days().take(9));
        WorkCalendar::new(
            [
                chrono::Weekday::Mon,
                chrono::Weekday::Tue,
                chrono::Weekday::Wed,
                chrono::Weekday::Thu,
                chrono::Weekday::Fri,
            ],
            holidays,
            [d("2024-05-04")],
        )
    }

    fn rule(kind: &str) -> CaseRule {
        let s = |x: &str| Some(span(x));
        let base = CaseRule {
            kind: kind.into(),
            label: kind.into(),
            accept_within: None,
            resolve_within: None,
            resolve_within_complex: None,
            resolve_within_remote: None,
            resolve_within_remote_complex: None,
            extension: None,
            max_extensions: 0,
            count: DayCount::Calendar,
            due_soon: span("5d"),
            effective_from: None,
        };
        match kind {
            "khieu_nai_lan_1" => CaseRule {
                accept_within: s("10d"),
                resolve_within: s("30d"),
                resolve_within_complex: s("45d"),
                resolve_within_remote: s("45d"),
                resolve_within_remote_complex: s("60d"),
                ..base
            },
            "khieu_nai_lan_2" => CaseRule {
                accept_within: s("10d"),
                resolve_within: s("45d"),
                resolve_within_complex: s("60d"),
                resolve_within_remote: s("60d"),
                resolve_within_remote_complex: s("70d"),
                ..base
            },
            "khieu_nai_ky_luat" => CaseRule {
                accept_within: s("10d"),
                resolve_within: s("30d"),
                resolve_within_complex: s("45d"),
                ..base
            },
            "to_cao" => CaseRule {
                accept_within: s("7wd"),
                resolve_within: s("30d"),
                extension: s("30d"),
                max_extensions: 2,
                ..base
            },
            "kien_nghi_phan_anh" => CaseRule {
                resolve_within: s("10wd"),
                ..base
            },
            "tin_bao_toi_pham" => CaseRule {
                resolve_within: s("20d"),
                resolve_within_complex: s("60d"),
                extension: s("60d"),
                max_extensions: 1,
                ..base
            },
            _ => base,
        }
    }

    fn case(kind: &str, received: &str, accepted: Option<&str>) -> Case {
        Case {
            unit: "u".into(),
            reference: "X-1".into(),
            kind: kind.into(),
            received_on: d(received),
            accepted_on: accepted.map(d),
            complex: false,
            extensions: 0,
            resolved: false,
            resolved_on: None,
        }
    }

    /// The marks stored with a case give the state `evaluate` gives, on every
    /// day, for every rule and every shape of case (accepted later than the
    /// day, resolved with or without a date, complex, remote, extended).
    #[test]
    fn marks_agree_with_evaluate_on_every_day() {
        let cal = cal();
        let kinds = [
            "khieu_nai_lan_1",
            "khieu_nai_lan_2",
            "khieu_nai_ky_luat",
            "to_cao",
            "kien_nghi_phan_anh",
            "tin_bao_toi_pham",
            "bare",
        ];
        let received = d("2024-01-29");
        let mut checked = 0;
        for kind in kinds {
            let r = rule(kind);
            for accepted in [None, Some(0), Some(5), Some(12), Some(40)] {
                for resolved in [
                    (false, None),
                    (true, None),
                    (false, Some(20)),
                    (true, Some(90)),
                    (false, Some(200)),
                ] {
                    for (complex, remote, extensions) in [(false, false, 0), (true, true, 1), (false, true, 3)] {
                        let c = Case {
                            accepted_on: accepted.map(|n| received + Duration::days(n)),
                            complex,
                            extensions,
                            resolved: resolved.0,
                            resolved_on: resolved.1.map(|n| received + Duration::days(n)),
                            ..case(kind, "2024-01-29", None)
                        };
                        let marks = Marks::of(Some(&r), &c, remote, &cal);
                        for day in received.iter_days().take(260) {
                            let want = match evaluate(&r, &c, remote, &cal, day).state {
                                CaseState::ResolvedOnTime | CaseState::ResolvedLate => Standing::Closed,
                                CaseState::InTime => Standing::InTime,
                                CaseState::DueSoon => Standing::DueSoon,
                                CaseState::Overdue => Standing::Overdue,
                            };
                            assert_eq!(marks.state_on(day), Some(want), "{kind} {c:?} remote {remote} on {day}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 100_000);
        assert_eq!(
            Marks::of(None, &case("bare", "2024-01-29", None), false, &cal).state_on(received),
            None
        );
    }

    #[test]
    fn the_marks_fingerprint_changes_with_the_rules_the_calendar_and_remote_units() {
        let mut regime = Regime {
            timezone: chrono_tz::Asia::Ho_Chi_Minh,
            language: crate::domain::regime::Language::Vi,
            working_hours: Default::default(),
            calendar: WorkCalendar::default(),
            units: vec![],
            reports: vec![],
            case_rules: vec![],
        };
        let before = marks_fingerprint(&regime);
        assert_eq!(before, marks_fingerprint(&regime.clone()));
        regime.case_rules.push(rule("to_cao"));
        let with_rule = marks_fingerprint(&regime);
        assert_ne!(before, with_rule);
        regime.calendar = cal();
        assert_ne!(with_rule, marks_fingerprint(&regime));
    }

    #[test]
    fn deadlines_of_every_rule() {
        let cal = cal();
        // (kind, received, accepted, complex, remote, extensions, accept due, resolve due)
        type Row<'a> = (
            &'a str,
            &'a str,
            Option<&'a str>,
            bool,
            bool,
            u32,
            Option<&'a str>,
            Option<&'a str>,
        );
        let table: &[Row] = &[
            // First complaint: 10 days to accept, 30 from acceptance.
            (
                "khieu_nai_lan_1",
                "2024-07-02",
                Some("2024-07-10"),
                false,
                false,
                0,
                Some("2024-07-12"),
                Some("2024-08-09"),
            ),
            // Complex: 45 in total; remote: 45; remote and complex: 60.
            (
                "khieu_nai_lan_1",
                "2024-07-02",
                Some("2024-07-10"),
                true,
                false,
                0,
                Some("2024-07-12"),
                Some("2024-08-26"),
            ),
            (
                "khieu_nai_lan_1",
                "2024-07-02",
                Some("2024-07-10"),
                false,
                true,
                0,
                Some("2024-07-12"),
                Some("2024-08-26"),
            ),
            (
                "khieu_nai_lan_1",
                "2024-07-02",
                Some("2024-07-10"),
                true,
                true,
                0,
                Some("2024-07-12"),
                Some("2024-09-09"),
            ),
            // Second complaint: 45; complex and remote 70 (19/09 + … lands on a Thursday).
            (
                "khieu_nai_lan_2",
                "2024-07-01",
                Some("2024-07-05"),
                false,
                false,
                0,
                Some("2024-07-11"),
                Some("2024-08-19"),
            ),
            (
                "khieu_nai_lan_2",
                "2024-07-01",
                Some("2024-07-05"),
                true,
                true,
                0,
                Some("2024-07-11"),
                Some("2024-09-13"),
            ),
            // Discipline complaint, complex: 45.
            (
                "khieu_nai_ky_luat",
                "2024-03-01",
                Some("2024-03-08"),
                true,
                false,
                0,
                Some("2024-03-11"),
                Some("2024-04-22"),
            ),
            // Denunciation: 7 working days to accept; 30 days, +30 per extension, at most two.
            (
                "to_cao",
                "2024-05-20",
                Some("2024-05-29"),
                false,
                false,
                0,
                Some("2024-05-29"),
                Some("2024-06-28"),
            ),
            (
                "to_cao",
                "2024-05-20",
                Some("2024-05-29"),
                false,
                false,
                1,
                Some("2024-05-29"),
                Some("2024-07-29"),
            ),
            (
                "to_cao",
                "2024-05-20",
                Some("2024-05-29"),
                false,
                false,
                2,
                Some("2024-05-29"),
                Some("2024-08-28"),
            ),
            (
                "to_cao",
                "2024-05-20",
                Some("2024-05-29"),
                false,
                false,
                5,
                Some("2024-05-29"),
                Some("2024-08-28"),
            ),
            // Petition: 10 working days from receipt, across the swapped Saturday 04/05/2024.
            (
                "kien_nghi_phan_anh",
                "2024-04-26",
                None,
                false,
                false,
                0,
                None,
                Some("2024-05-14"),
            ),
            // Crime tip: 20 days; complex 60 plus one extension of 60.
            (
                "tin_bao_toi_pham",
                "2024-06-03",
                None,
                false,
                false,
                0,
                None,
                Some("2024-06-24"),
            ),
            (
                "tin_bao_toi_pham",
                "2024-06-03",
                None,
                true,
                false,
                1,
                None,
                Some("2024-10-01"),
            ),
            // A limit ending during Tết 2024 rolls to the first working day after it.
            (
                "khieu_nai_lan_1",
                "2024-01-30",
                Some("2024-01-10"),
                false,
                false,
                0,
                Some("2024-02-15"),
                Some("2024-02-15"),
            ),
            // Tết 2025: 30 days from 27/12/2024 ends 26/01/2025, inside the break → 03/02/2025.
            (
                "khieu_nai_ky_luat",
                "2024-12-20",
                Some("2024-12-27"),
                false,
                false,
                0,
                Some("2024-12-30"),
                Some("2025-02-03"),
            ),
        ];
        for (kind, received, accepted, complex, remote, ext, accept, resolve) in table {
            let r = rule(kind);
            let mut c = case(kind, received, *accepted);
            c.complex = *complex;
            c.extensions = *ext;
            assert_eq!(
                accept_due(&r, &c, &cal),
                accept.map(d),
                "accept due of {kind} received {received}"
            );
            assert_eq!(
                resolve_due(&r, &c, *remote, &cal),
                resolve.map(d),
                "resolve due of {kind} received {received} complex {complex} remote {remote} ext {ext}"
            );
        }
    }

    #[test]
    fn working_day_counting_uses_swapped_saturdays_and_skips_holidays() {
        let cal = cal();
        let mut r = rule("khieu_nai_lan_1");
        r.count = DayCount::Working;
        // Received Friday 26/04/2024: 29/04–01/05 are holidays, Saturday 04/05 is
        // worked, so the tenth working day is Tuesday 14/05.
        let c = case("khieu_nai_lan_1", "2024-04-26", None);
        assert_eq!(accept_due(&r, &c, &cal), Some(d("2024-05-14")));
    }

    #[test]
    fn states_through_the_life_of_a_case() {
        let cal = cal();
        let r = rule("khieu_nai_lan_1");
        let mut c = case("khieu_nai_lan_1", "2024-07-02", None);
        // Not yet accepted: measured against the accept limit (12/07).
        let e = evaluate(&r, &c, false, &cal, d("2024-07-03"));
        assert_eq!(
            (e.state, e.stage, e.due),
            (CaseState::InTime, Stage::Accept, Some(d("2024-07-12")))
        );
        assert_eq!(evaluate(&r, &c, false, &cal, d("2024-07-08")).state, CaseState::DueSoon);
        let late = evaluate(&r, &c, false, &cal, d("2024-07-15"));
        assert_eq!((late.state, late.days_overdue), (CaseState::Overdue, 3));
        // Accepted on 10/07: resolve by 09/08.
        c.accepted_on = Some(d("2024-07-10"));
        assert_eq!(evaluate(&r, &c, false, &cal, d("2024-07-15")).state, CaseState::InTime);
        assert_eq!(evaluate(&r, &c, false, &cal, d("2024-08-09")).state, CaseState::DueSoon);
        let e = evaluate(&r, &c, false, &cal, d("2024-08-21"));
        assert_eq!(
            (e.state, e.stage, e.days_overdue),
            (CaseState::Overdue, Stage::Resolve, 12)
        );
        c.resolved = true;
        c.resolved_on = Some(d("2024-08-09"));
        assert_eq!(
            evaluate(&r, &c, false, &cal, d("2024-08-21")).state,
            CaseState::ResolvedOnTime
        );
        c.resolved_on = Some(d("2024-08-12"));
        let e = evaluate(&r, &c, false, &cal, d("2024-08-21"));
        assert_eq!((e.state, e.days_overdue), (CaseState::ResolvedLate, 3));
        // Looking back before the resolution, it was still open.
        c.resolved = false;
        assert_eq!(evaluate(&r, &c, false, &cal, d("2024-08-11")).state, CaseState::Overdue);
    }

    #[test]
    fn a_changed_law_applies_to_cases_received_after_it() {
        let old = rule("khieu_nai_lan_1");
        let new = CaseRule {
            resolve_within: Some(span("20d")),
            effective_from: Some(d("2026-07-01")),
            ..old.clone()
        };
        let rules = [old, new];
        assert_eq!(
            rule_for(&rules, "khieu_nai_lan_1", d("2026-06-30")).and_then(|r| r.resolve_within),
            Some(span("30d"))
        );
        assert_eq!(
            rule_for(&rules, "khieu_nai_lan_1", d("2026-07-01")).and_then(|r| r.resolve_within),
            Some(span("20d"))
        );
        assert!(rule_for(&rules, "to_cao", d("2026-07-01")).is_none());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn a_calendar_limit_never_ends_on_a_day_off(offset in 0i64..800, days in 0u32..120) {
                let cal = cal();
                let from = d("2024-01-01") + Duration::days(offset);
                let end = limit_end(&cal, DayCount::Calendar, from, Span { amount: days, unit: SpanUnit::Days });
                prop_assert!(cal.is_working_day(end));
                prop_assert!(end >= from + Duration::days(i64::from(days)));
            }

            #[test]
            fn more_days_never_give_an_earlier_deadline(offset in 0i64..800, days in 0u32..120, more in 0u32..30, working in any::<bool>()) {
                let cal = cal();
                let from = d("2024-01-01") + Duration::days(offset);
                let count = if working { DayCount::Working } else { DayCount::Calendar };
                let a = limit_end(&cal, count, from, Span { amount: days, unit: SpanUnit::Days });
                let b = limit_end(&cal, count, from, Span { amount: days + more, unit: SpanUnit::Days });
                prop_assert!(b >= a);
            }
        }
    }
}
