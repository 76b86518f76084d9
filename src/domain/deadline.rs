//! When a report-period is due, when its grace ends, when to remind and when to
//! urge. All instants are computed in the configured timezone and returned in UTC.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};

use super::calendar::WorkCalendar;
use super::period::{Period, PeriodKind, day_of_month_clamped};
use super::span::{Span, SpanUnit, end_of_time, resolve_local};

/// How a report's due date is set (`due = { day = 18, time = "17:00" }` or
/// `due = { after_end = "5d", time = "17:00" }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueRule {
    /// Day `day` of the period's last month (clamped to the month's length).
    DayOfLastMonth { day: u32, time: NaiveTime },
    /// `after` past the end of the data window (the cut-off day when one is set,
    /// else the period's last calendar day).
    AfterEnd { after: Span, time: NaiveTime },
}

/// The timing settings of one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTiming {
    pub period_kind: PeriodKind,
    pub cutoff_day: Option<u32>,
    pub due: DueRule,
    /// Whether a due date on a non-working day moves to the next working day
    /// (the civil-code rule; default true).
    pub roll_to_working_day: bool,
    pub grace: Span,
    pub remind_before: Vec<Span>,
    pub repeat_late_every: Option<Span>,
    pub repeat_late_max: u32,
}

/// Every instant that matters for one report-period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlines {
    pub period: Period,
    /// The data window, inclusive local dates.
    pub window: (NaiveDate, NaiveDate),
    /// The deadline (hạn gửi).
    pub due: DateTime<Utc>,
    /// Deadline plus grace: a submission after this instant is late.
    pub late_after: DateTime<Utc>,
    /// One reminder per `remind_before` entry, in the same order: (offset, instant).
    pub reminders: Vec<(Span, DateTime<Utc>)>,
    /// Urging instants: `late_after + k * repeat_late_every` for k = 1..=repeat_late_max.
    pub urges: Vec<DateTime<Utc>>,
}

/// Computes the deadlines of `period` under `timing`, in timezone `tz` over `cal`.
/// The due instant is the due date at `time` local; if that date is not a
/// working day and `roll_to_working_day` is set, it moves to the next working day.
pub fn deadlines<Tz: TimeZone>(timing: &ReportTiming, period: Period, tz: &Tz, cal: &WorkCalendar) -> Deadlines {
    let window = period.data_window(timing.cutoff_day);
    let due = due_instant(timing, period, window.1, tz, cal);
    let late_after = timing.grace.after(&due, cal);
    let reminders = timing
        .remind_before
        .iter()
        .map(|s| (*s, s.before(&due, cal).with_timezone(&Utc)))
        .collect();
    let mut urges = Vec::new();
    if let Some(every) = timing.repeat_late_every {
        // Applied successively, so working-day urges step from working day to
        // working day and calendar-day urges keep the wall time.
        let mut at = late_after.clone();
        for _ in 0..timing.repeat_late_max {
            at = every.after(&at, cal);
            urges.push(at.with_timezone(&Utc));
        }
    }
    Deadlines {
        period,
        window,
        due: due.with_timezone(&Utc),
        late_after: late_after.with_timezone(&Utc),
        reminders,
        urges,
    }
}

/// The due instant of `period` whose data window ends on `window_end`.
fn due_instant<Tz: TimeZone>(
    timing: &ReportTiming,
    period: Period,
    window_end: NaiveDate,
    tz: &Tz,
    cal: &WorkCalendar,
) -> DateTime<Tz> {
    let due = match timing.due {
        DueRule::DayOfLastMonth { day, time } => {
            let (year, month) = period.last_month();
            at_local(tz, day_of_month_clamped(year, month, day), time)
        }
        DueRule::AfterEnd { after, time } => match after.unit {
            // Whole days are counted from the cut-off day, which itself is not
            // counted (civil code Art. 147), and land at the configured time.
            SpanUnit::Days => match window_end.checked_add_days(Days::new(u64::from(after.amount))) {
                Some(date) => at_local(tz, date, time),
                None => end_of_time(tz, true),
            },
            SpanUnit::WorkingDays => at_local(tz, cal.add_working_days(window_end, after.amount), time),
            // Hours and minutes run from the end of the cut-off day (24:00);
            // `time` has no meaning for them.
            SpanUnit::Minutes | SpanUnit::Hours => {
                let midnight = match window_end.succ_opt() {
                    Some(next) => at_local(tz, next, NaiveTime::MIN),
                    None => at_local(tz, window_end, NaiveTime::MIN),
                };
                after.after(&midnight, cal)
            }
        },
    };
    if !timing.roll_to_working_day {
        return due;
    }
    let local = due.naive_local();
    let rolled = cal.roll_forward(local.date());
    if rolled == local.date() {
        due
    } else {
        at_local(tz, rolled, local.time())
    }
}

/// `date` at wall time `time` in `tz` (see [`resolve_local`] for folds and
/// gaps). Only dates at the very end of chrono's range fail to resolve; they
/// saturate like spans do.
fn at_local<Tz: TimeZone>(tz: &Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Tz> {
    resolve_local(tz, date.and_time(time)).unwrap_or_else(|| end_of_time(tz, true))
}

/// The periods of a report that are open for collection and planning at the
/// local date `today`: those whose data window has begun (`window.0 <= today`)
/// and whose successor is not yet due (`today <= due date of period.next()`),
/// oldest first. Usually one, two around a deadline.
pub fn active_periods<Tz: TimeZone>(
    timing: &ReportTiming,
    today: NaiveDate,
    tz: &Tz,
    cal: &WorkCalendar,
) -> Vec<Period> {
    let here = Period::containing(timing.period_kind, today);
    let candidates = [here.prev().prev(), here.prev(), here, here.next(), here.next().next()];
    candidates
        .into_iter()
        .filter(|p| {
            let begun = p.data_window(timing.cutoff_day).0 <= today;
            begun && {
                let next = p.next();
                let next_end = next.data_window(timing.cutoff_day).1;
                today <= due_instant(timing, next, next_end, tz, cal).naive_local().date()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;
    use chrono_tz::{Asia::Ho_Chi_Minh, Europe::Berlin};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid test time")
    }

    fn span(s: &str) -> Span {
        s.parse().expect("valid test span")
    }

    fn p(label: &str) -> Period {
        Period::parse(label).expect("valid test label")
    }

    /// An instant given as Vietnamese local time (+07), in UTC.
    fn vn_time(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Ho_Chi_Minh
            .with_ymd_and_hms(y, m, day, h, min, 0)
            .single()
            .expect("Vietnam has no DST")
            .with_timezone(&Utc)
    }

    fn days(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        from.iter_days().take_while(|x| *x <= to).collect()
    }

    /// Monday to Friday with the 2024 holidays and Tết 2025.
    fn vn() -> WorkCalendar {
        let mut holidays = vec![d(2024, 1, 1), d(2024, 4, 18), d(2025, 1, 1)];
        holidays.extend(days(d(2024, 2, 8), d(2024, 2, 14)));
        holidays.extend(days(d(2024, 4, 29), d(2024, 5, 1)));
        holidays.extend(days(d(2024, 8, 31), d(2024, 9, 3)));
        holidays.extend(days(d(2025, 1, 25), d(2025, 2, 2)));
        WorkCalendar::new(
            [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            holidays,
            [d(2024, 5, 4)],
        )
    }

    /// Due on day `day` of the last month at 17:00, grace 1 working day.
    fn timing(kind: PeriodKind, cutoff: Option<u32>, day: u32) -> ReportTiming {
        ReportTiming {
            period_kind: kind,
            cutoff_day: cutoff,
            due: DueRule::DayOfLastMonth { day, time: hm(17, 0) },
            roll_to_working_day: true,
            grace: span("1wd"),
            remind_before: vec![],
            repeat_late_every: None,
            repeat_late_max: 0,
        }
    }

    fn after_end(kind: PeriodKind, cutoff: Option<u32>, after: &str) -> ReportTiming {
        ReportTiming {
            due: DueRule::AfterEnd {
                after: span(after),
                time: hm(17, 0),
            },
            ..timing(kind, cutoff, 1)
        }
    }

    fn due_of(t: &ReportTiming, label: &str) -> DateTime<Utc> {
        deadlines(t, p(label), &Ho_Chi_Minh, &vn()).due
    }

    #[test]
    fn the_nine_month_2024_report_of_the_domain_example() {
        let t = ReportTiming {
            remind_before: vec![span("3d"), span("1d")],
            repeat_late_every: Some(span("1wd")),
            repeat_late_max: 5,
            ..timing(PeriodKind::NineMonths, Some(14), 18)
        };
        let got = deadlines(&t, p("2024-9M"), &Ho_Chi_Minh, &vn());
        assert_eq!(got.period, p("2024-9M"));
        assert_eq!(got.window, (d(2023, 12, 15), d(2024, 9, 14)));
        assert_eq!(got.due, vn_time(2024, 9, 18, 17, 0));
        assert_eq!(
            got.due,
            Utc.with_ymd_and_hms(2024, 9, 18, 10, 0, 0).single().expect("valid")
        );
        assert_eq!(got.late_after, vn_time(2024, 9, 19, 17, 0));
        assert_eq!(
            got.reminders,
            vec![
                (span("3d"), vn_time(2024, 9, 15, 17, 0)),
                (span("1d"), vn_time(2024, 9, 17, 17, 0)),
            ]
        );
        let urge_days: Vec<DateTime<Utc>> = [20, 23, 24, 25, 26]
            .into_iter()
            .map(|day| vn_time(2024, 9, day, 17, 0))
            .collect();
        assert_eq!(got.urges, urge_days);
    }

    #[test]
    fn a_due_date_on_a_saturday_rolls_to_monday() {
        let t = timing(PeriodKind::Month, Some(14), 28);
        assert_eq!(due_of(&t, "2024-09"), vn_time(2024, 9, 30, 17, 0));
    }

    #[test]
    fn a_due_date_on_30_april_rolls_past_the_holidays_to_2_may() {
        let t = timing(PeriodKind::Month, Some(14), 30);
        assert_eq!(due_of(&t, "2024-04"), vn_time(2024, 5, 2, 17, 0));
    }

    #[test]
    fn a_due_date_on_a_tet_holiday_moves_to_the_first_working_day_after() {
        let t = timing(PeriodKind::Month, Some(14), 10);
        assert_eq!(due_of(&t, "2024-02"), vn_time(2024, 2, 15, 17, 0));
        let t = timing(PeriodKind::Month, Some(14), 28);
        assert_eq!(due_of(&t, "2025-01"), vn_time(2025, 2, 3, 17, 0));
    }

    #[test]
    fn without_rolling_a_due_date_stays_on_the_non_working_day() {
        let t = ReportTiming {
            roll_to_working_day: false,
            ..timing(PeriodKind::Month, Some(14), 28)
        };
        assert_eq!(due_of(&t, "2024-09"), vn_time(2024, 9, 28, 17, 0));
        // The grace still counts working days from there.
        let got = deadlines(&t, p("2024-09"), &Ho_Chi_Minh, &vn());
        assert_eq!(got.late_after, vn_time(2024, 9, 30, 17, 0));
    }

    #[test]
    fn a_due_day_past_the_month_length_is_clamped_then_rolled() {
        let t = timing(PeriodKind::Quarter, Some(14), 31);
        // 30/6/2024 is a Sunday.
        assert_eq!(due_of(&t, "2024-Q2"), vn_time(2024, 7, 1, 17, 0));
        assert_eq!(due_of(&t, "2024-Q1"), vn_time(2024, 4, 1, 17, 0)); // 31/3 is a Sunday
        let t = timing(PeriodKind::Month, None, 31);
        assert_eq!(due_of(&t, "2024-02"), vn_time(2024, 2, 29, 17, 0));
    }

    #[test]
    fn due_after_the_end_counts_from_the_cut_off_day() {
        let table = [
            // 14/10/2024 is a Monday; +5d is a Saturday.
            ("5d", Some(14), "2024-10", vn_time(2024, 10, 21, 17, 0)),
            ("3wd", Some(14), "2024-10", vn_time(2024, 10, 17, 17, 0)),
            ("1wd", Some(14), "2024-02", vn_time(2024, 2, 15, 17, 0)), // 14/2 is in Tết
            // Hours and minutes run from 24:00 of the cut-off day; `time` is ignored.
            ("12h", Some(14), "2024-10", vn_time(2024, 10, 15, 12, 0)),
            ("90m", Some(14), "2024-10", vn_time(2024, 10, 15, 1, 30)),
            ("120h", Some(14), "2024-10", vn_time(2024, 10, 21, 0, 0)), // Sunday 0:00 rolls
            // Without a cut-off the window ends on the period's last day.
            ("5d", None, "2024-Q4", vn_time(2025, 1, 6, 17, 0)),
            ("0d", Some(14), "2024-9M", vn_time(2024, 9, 16, 17, 0)), // 14/9 is a Saturday
        ];
        for (after, cutoff, label, want) in table {
            let kind = p(label).kind;
            assert_eq!(due_of(&after_end(kind, cutoff, after), label), want, "{label} {after}");
        }
    }

    #[test]
    fn the_grace_period_counts_working_days_over_tet() {
        let t = timing(PeriodKind::Month, Some(14), 7);
        let got = deadlines(&t, p("2024-02"), &Ho_Chi_Minh, &vn());
        assert_eq!(got.due, vn_time(2024, 2, 7, 17, 0));
        assert_eq!(got.late_after, vn_time(2024, 2, 15, 17, 0));
        let t = ReportTiming {
            grace: Span::ZERO,
            ..timing(PeriodKind::Month, Some(14), 7)
        };
        let got = deadlines(&t, p("2024-02"), &Ho_Chi_Minh, &vn());
        assert_eq!(got.late_after, got.due);
    }

    #[test]
    fn reminders_keep_their_config_order_and_units() {
        let t = ReportTiming {
            remind_before: vec![span("2h"), span("2wd"), span("1d")],
            ..timing(PeriodKind::Month, Some(14), 15)
        };
        // Due Thursday 15/2/2024, the first working day after Tết.
        let got = deadlines(&t, p("2024-02"), &Ho_Chi_Minh, &vn());
        assert_eq!(
            got.reminders,
            vec![
                (span("2h"), vn_time(2024, 2, 15, 15, 0)),
                (span("2wd"), vn_time(2024, 2, 6, 17, 0)),
                (span("1d"), vn_time(2024, 2, 14, 17, 0)),
            ]
        );
    }

    #[test]
    fn urges_repeat_after_the_grace_and_are_empty_when_not_configured() {
        let base = timing(PeriodKind::NineMonths, Some(14), 18);
        let none = deadlines(&base, p("2024-9M"), &Ho_Chi_Minh, &vn());
        assert!(none.urges.is_empty());
        let zero_max = ReportTiming {
            repeat_late_every: Some(span("1d")),
            repeat_late_max: 0,
            ..base.clone()
        };
        assert!(deadlines(&zero_max, p("2024-9M"), &Ho_Chi_Minh, &vn()).urges.is_empty());
        let daily = ReportTiming {
            repeat_late_every: Some(span("1d")),
            repeat_late_max: 3,
            ..base.clone()
        };
        assert_eq!(
            deadlines(&daily, p("2024-9M"), &Ho_Chi_Minh, &vn()).urges,
            vec![
                vn_time(2024, 9, 20, 17, 0),
                vn_time(2024, 9, 21, 17, 0),
                vn_time(2024, 9, 22, 17, 0),
            ]
        );
        let hourly = ReportTiming {
            repeat_late_every: Some(span("4h")),
            repeat_late_max: 2,
            ..base
        };
        assert_eq!(
            deadlines(&hourly, p("2024-9M"), &Ho_Chi_Minh, &vn()).urges,
            vec![vn_time(2024, 9, 19, 21, 0), vn_time(2024, 9, 20, 1, 0)]
        );
    }

    #[test]
    fn a_due_time_in_a_dst_gap_moves_to_the_first_valid_instant() {
        let t = ReportTiming {
            due: DueRule::DayOfLastMonth {
                day: 31,
                time: hm(2, 30),
            },
            roll_to_working_day: false,
            ..timing(PeriodKind::Month, None, 31)
        };
        let got = deadlines(&t, p("2024-03"), &Berlin, &WorkCalendar::default());
        // Berlin jumps from 02:00 CET to 03:00 CEST on 31/3/2024.
        assert_eq!(
            got.due,
            Utc.with_ymd_and_hms(2024, 3, 31, 1, 0, 0).single().expect("valid")
        );
    }

    #[test]
    fn active_periods_run_from_the_window_start_to_the_successors_due_date() {
        use PeriodKind::*;
        let monthly = timing(Month, Some(14), 18);
        let calendar_months = timing(Month, None, 18);
        let no_roll = ReportTiming {
            roll_to_working_day: false,
            ..timing(Month, None, 28)
        };
        let nine = timing(NineMonths, Some(14), 18);
        let quarterly = timing(Quarter, Some(14), 18);
        let weekly = ReportTiming {
            period_kind: Week,
            ..after_end(Week, None, "1wd")
        };
        let table: [(&ReportTiming, NaiveDate, &[&str]); 13] = [
            (&monthly, d(2024, 10, 16), &["2024-09", "2024-10", "2024-11"]),
            (&monthly, d(2024, 10, 18), &["2024-09", "2024-10", "2024-11"]),
            (&monthly, d(2024, 10, 19), &["2024-10", "2024-11"]),
            (&calendar_months, d(2024, 10, 10), &["2024-09", "2024-10"]),
            (&calendar_months, d(2024, 10, 20), &["2024-10"]),
            // 28/9/2024 is a Saturday: the successor is due on Monday 30/9.
            (&timing(Month, None, 28), d(2024, 9, 29), &["2024-08", "2024-09"]),
            (&no_roll, d(2024, 9, 29), &["2024-09"]),
            (&nine, d(2024, 9, 18), &["2023-9M", "2024-9M"]),
            (&nine, d(2024, 9, 20), &["2024-9M"]),
            (&nine, d(2024, 12, 20), &["2024-9M", "2025-9M"]),
            (&quarterly, d(2024, 12, 16), &["2024-Q3", "2024-Q4", "2025-Q1"]),
            (&weekly, d(2024, 10, 14), &["2024-W40", "2024-W41", "2024-W42"]),
            (&weekly, d(2024, 10, 15), &["2024-W41", "2024-W42"]),
        ];
        for (t, today, want) in table {
            let want: Vec<Period> = want.iter().map(|l| p(l)).collect();
            assert_eq!(active_periods(t, today, &Ho_Chi_Minh, &vn()), want, "{today}");
        }
    }

    #[test]
    fn every_day_of_a_year_has_an_active_period() {
        let cal = vn();
        for kind in [
            PeriodKind::Week,
            PeriodKind::Month,
            PeriodKind::Quarter,
            PeriodKind::Year,
        ] {
            for cutoff in [None, Some(14), Some(31)] {
                // A day of the last month means little for weeks: they are due after their end.
                let t = if kind == PeriodKind::Week {
                    after_end(kind, cutoff, "1wd")
                } else {
                    timing(kind, cutoff, 18)
                };
                for today in days(d(2024, 1, 1), d(2024, 12, 31)) {
                    let active = active_periods(&t, today, &Ho_Chi_Minh, &cal);
                    assert!(!active.is_empty(), "{kind:?} {cutoff:?} {today}");
                    assert!(active.windows(2).all(|w| w[0] < w[1]), "oldest first");
                }
            }
        }
    }
}
