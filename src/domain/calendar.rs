//! The working-day calendar: working weekdays, public holidays and swapped
//! working Saturdays, all from the config.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    workdays: [bool; 7], // indexed by Weekday::num_days_from_monday
    holidays: BTreeSet<NaiveDate>,
    working_days: BTreeSet<NaiveDate>, // swapped working Saturdays (any listed date works)
}

impl Default for WorkCalendar {
    /// Monday to Friday, no holidays.
    fn default() -> Self {
        WorkCalendar::new(
            [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            [],
            [],
        )
    }
}

impl WorkCalendar {
    pub fn new(
        workdays: impl IntoIterator<Item = Weekday>,
        holidays: impl IntoIterator<Item = NaiveDate>,
        working_days: impl IntoIterator<Item = NaiveDate>,
    ) -> Self {
        let mut days = [false; 7];
        for w in workdays {
            days[w.num_days_from_monday() as usize] = true;
        }
        WorkCalendar {
            workdays: days,
            holidays: holidays.into_iter().collect(),
            working_days: working_days.into_iter().collect(),
        }
    }

    /// A listed working day always works; otherwise a workday weekday that is
    /// not a holiday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.working_days.contains(&d) || (self.is_workday_weekday(d) && !self.holidays.contains(&d))
    }

    /// `d` itself when it is a working day, else the next working day.
    pub fn roll_forward(&self, d: NaiveDate) -> NaiveDate {
        if self.is_working_day(d) {
            d
        } else {
            self.add_working_days(d, 1)
        }
    }

    /// The `n`-th working day after `d` (`d` itself not counted); `n = 0` gives `d`.
    pub fn add_working_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        self.step(d, n, Direction::Forward)
    }

    /// The `n`-th working day before `d`; `n = 0` gives `d`.
    pub fn sub_working_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        self.step(d, n, Direction::Backward)
    }

    /// Working days in `(from, to]`: 0 when `to <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        if to <= from {
            return 0;
        }
        // Count by weekday pattern first, then correct for the listed dates in
        // the range, so long ranges cost O(listed dates) rather than O(days).
        let days = (to - from).num_days();
        let mut count = (days / 7) * i64::from(self.per_week());
        let mut w = from.weekday();
        for _ in 0..days % 7 {
            w = w.succ();
            if self.workdays[w.num_days_from_monday() as usize] {
                count += 1;
            }
        }
        let range = (std::ops::Bound::Excluded(from), std::ops::Bound::Included(to));
        for h in self.holidays.range(range) {
            // A holiday only removes a day the weekday pattern counted.
            if self.is_workday_weekday(*h) && !self.working_days.contains(h) {
                count -= 1;
            }
        }
        for x in self.working_days.range(range) {
            // A listed working day only adds a day the pattern did not count.
            if !self.is_workday_weekday(*x) {
                count += 1;
            }
        }
        // The range is at most chrono's whole date range (< 2^32 days).
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    fn is_workday_weekday(&self, d: NaiveDate) -> bool {
        self.workdays[d.weekday().num_days_from_monday() as usize]
    }

    /// Working weekdays per week.
    fn per_week(&self) -> u32 {
        self.workdays.iter().filter(|w| **w).count() as u32
    }

    /// Walks `n` working days from `d`. Beyond the last listed date (forward)
    /// or before the first (backward) the calendar is purely weekly, so whole
    /// weeks are skipped at once: any `n` from the config costs little.
    /// The walk saturates at chrono's date range; a calendar with no working
    /// weekday stops at the end of its listed working days (the result there is
    /// the range's end, which is not a working day).
    fn step(&self, d: NaiveDate, n: u32, dir: Direction) -> NaiveDate {
        let per_week = self.per_week();
        let (edge, limit) = match dir {
            Direction::Forward => (
                self.holidays.last().max(self.working_days.last()).copied(),
                NaiveDate::MAX,
            ),
            Direction::Backward => (
                min_opt(self.holidays.first(), self.working_days.first()).copied(),
                NaiveDate::MIN,
            ),
        };
        let beyond_listed = |x: NaiveDate| match (dir, edge) {
            (_, None) => true,
            (Direction::Forward, Some(e)) => x >= e,
            (Direction::Backward, Some(e)) => x <= e,
        };
        let mut cur = d;
        let mut left = n;
        while left > 0 {
            if per_week == 0 && beyond_listed(cur) {
                // No working weekday and no listed working day ahead: none will come.
                return limit;
            }
            if per_week > 0 && left > per_week && beyond_listed(cur) {
                // Keep at least one day to walk so the result lands on a working day.
                let weeks = (left - 1) / per_week;
                let jump = Days::new(7 * u64::from(weeks));
                let next = match dir {
                    Direction::Forward => cur.checked_add_days(jump),
                    Direction::Backward => cur.checked_sub_days(jump),
                };
                match next {
                    Some(x) => {
                        cur = x;
                        left -= weeks * per_week;
                    }
                    None => return limit,
                }
            }
            let next = match dir {
                Direction::Forward => cur.succ_opt(),
                Direction::Backward => cur.pred_opt(),
            };
            match next {
                Some(x) => cur = x,
                None => return limit,
            }
            if self.is_working_day(cur) {
                left -= 1;
            }
        }
        cur
    }
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Forward,
    Backward,
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn range(a: NaiveDate, b: NaiveDate) -> Vec<NaiveDate> {
        a.iter_days().take_while(|x| *x <= b).collect()
    }

    /// Vietnam 2024–2025: New Year, Tết, Hùng Kings, 30/4–1/5, National Day,
    /// with the swapped working Saturdays 4/5/2024 and 26/4/2025.
    fn vn() -> WorkCalendar {
        let mut holidays = vec![d(2024, 1, 1)];
        holidays.extend(range(d(2024, 2, 8), d(2024, 2, 14)));
        holidays.push(d(2024, 4, 18));
        holidays.extend(range(d(2024, 4, 29), d(2024, 5, 1)));
        holidays.extend(range(d(2024, 8, 31), d(2024, 9, 3)));
        holidays.push(d(2025, 1, 1));
        holidays.extend(range(d(2025, 1, 25), d(2025, 2, 2)));
        holidays.push(d(2025, 4, 7));
        holidays.extend(range(d(2025, 4, 30), d(2025, 5, 2)));
        holidays.extend(range(d(2025, 9, 1), d(2025, 9, 2)));
        WorkCalendar::new(
            [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            holidays,
            [d(2024, 5, 4), d(2025, 4, 26)],
        )
    }

    #[test]
    fn the_default_calendar_works_monday_to_friday() {
        let cal = WorkCalendar::default();
        // 2024-10-07 is a Monday.
        let week: Vec<bool> = range(d(2024, 10, 7), d(2024, 10, 13))
            .into_iter()
            .map(|x| cal.is_working_day(x))
            .collect();
        assert_eq!(week, [true, true, true, true, true, false, false]);
    }

    #[test]
    fn holidays_weekends_and_swapped_saturdays_decide_working_days() {
        let cal = vn();
        let table = [
            (d(2024, 1, 1), false),   // New Year, a Monday
            (d(2024, 1, 2), true),    // Tuesday
            (d(2024, 2, 7), true),    // the day before Tết 2024
            (d(2024, 2, 8), false),   // Tết 2024 begins (Thursday)
            (d(2024, 2, 14), false),  // Tết 2024 ends (Wednesday)
            (d(2024, 2, 15), true),   // back to work
            (d(2024, 5, 4), true),    // swapped working Saturday
            (d(2024, 5, 5), false),   // Sunday
            (d(2024, 4, 29), false),  // swapped-off Monday
            (d(2024, 12, 28), false), // Saturday
            (d(2024, 12, 31), true),  // year end, a Tuesday
            (d(2025, 1, 24), true),   // Friday before Tết 2025
            (d(2025, 1, 27), false),  // Monday in Tết 2025
            (d(2025, 2, 3), true),    // back after Tết 2025
            (d(2025, 4, 26), true),   // swapped working Saturday 2025
        ];
        for (date, working) in table {
            assert_eq!(cal.is_working_day(date), working, "{date}");
        }
    }

    #[test]
    fn a_listed_working_day_works_even_when_also_listed_as_a_holiday() {
        let sat = d(2024, 5, 4);
        let cal = WorkCalendar::new([Weekday::Mon], [sat, d(2024, 5, 6)], [sat]);
        assert!(cal.is_working_day(sat));
        assert!(!cal.is_working_day(d(2024, 5, 6))); // Monday, but a holiday
        assert!(!cal.is_working_day(d(2024, 5, 7))); // Tuesday is not a workday here
    }

    #[test]
    fn roll_forward_keeps_working_days_and_skips_tet() {
        let cal = vn();
        let table = [
            (d(2024, 2, 7), d(2024, 2, 7)),
            (d(2024, 2, 8), d(2024, 2, 15)),
            (d(2024, 2, 10), d(2024, 2, 15)),
            (d(2025, 1, 25), d(2025, 2, 3)),
            (d(2024, 9, 28), d(2024, 9, 30)),   // Saturday → Monday
            (d(2024, 4, 30), d(2024, 5, 2)),    // 30/4 → 2/5
            (d(2024, 8, 31), d(2024, 9, 4)),    // National Day break
            (d(2024, 12, 29), d(2024, 12, 30)), // Sunday at the year end
            (d(2025, 4, 26), d(2025, 4, 26)),   // swapped Saturday works
        ];
        for (from, want) in table {
            assert_eq!(cal.roll_forward(from), want, "{from}");
        }
    }

    #[test]
    fn adding_working_days_skips_weekends_holidays_and_year_ends() {
        let cal = vn();
        let table = [
            (d(2024, 2, 7), 0, d(2024, 2, 7)),
            (d(2024, 2, 7), 1, d(2024, 2, 15)),
            (d(2024, 2, 6), 2, d(2024, 2, 15)),
            (d(2024, 2, 10), 1, d(2024, 2, 15)), // from inside Tết
            (d(2025, 1, 24), 1, d(2025, 2, 3)),
            (d(2024, 12, 31), 1, d(2025, 1, 2)), // 1/1/2025 is a holiday
            (d(2024, 12, 27), 3, d(2025, 1, 2)),
            (d(2024, 5, 3), 1, d(2024, 5, 4)), // swapped Saturday counts
            (d(2024, 4, 26), 1, d(2024, 5, 2)),
            (d(2024, 9, 19), 5, d(2024, 9, 26)),
            (d(2025, 4, 25), 2, d(2025, 4, 28)),
        ];
        for (from, n, want) in table {
            assert_eq!(cal.add_working_days(from, n), want, "{from} + {n}");
        }
    }

    #[test]
    fn subtracting_working_days_mirrors_adding() {
        let cal = vn();
        let table = [
            (d(2024, 2, 15), 0, d(2024, 2, 15)),
            (d(2024, 2, 15), 1, d(2024, 2, 7)),
            (d(2025, 2, 3), 1, d(2025, 1, 24)),
            (d(2025, 1, 2), 1, d(2024, 12, 31)),
            (d(2024, 5, 6), 1, d(2024, 5, 4)),
            (d(2024, 5, 2), 1, d(2024, 4, 26)),
            (d(2024, 2, 11), 1, d(2024, 2, 7)), // from inside Tết
        ];
        for (from, n, want) in table {
            assert_eq!(cal.sub_working_days(from, n), want, "{from} - {n}");
        }
    }

    #[test]
    fn working_days_between_counts_the_half_open_range() {
        let cal = vn();
        let table = [
            (d(2024, 2, 7), d(2024, 2, 7), 0),
            (d(2024, 2, 15), d(2024, 2, 7), 0),
            (d(2024, 2, 7), d(2024, 2, 15), 1),
            (d(2024, 2, 1), d(2024, 2, 29), 15),
            (d(2024, 4, 30), d(2024, 5, 6), 4), // 2, 3, 4 (Saturday), 6
            (d(2024, 12, 31), d(2025, 1, 3), 2),
            (d(2023, 12, 31), d(2024, 12, 31), 262 - 12 + 1),
        ];
        for (from, to, want) in table {
            assert_eq!(cal.working_days_between(from, to), want, "({from}, {to}]");
        }
    }

    #[test]
    fn huge_counts_finish_quickly_and_saturate() {
        let cal = vn();
        let far = cal.add_working_days(d(2024, 1, 1), 1_000_000);
        assert!(cal.is_working_day(far));
        assert_eq!(cal.working_days_between(d(2024, 1, 1), far), 1_000_000);
        assert_eq!(cal.add_working_days(d(2024, 1, 1), u32::MAX), NaiveDate::MAX);
        assert_eq!(cal.sub_working_days(d(2024, 1, 1), u32::MAX), NaiveDate::MIN);
    }

    #[test]
    fn a_calendar_without_workdays_uses_only_listed_days_and_stops() {
        let cal = WorkCalendar::new([], [], [d(2024, 5, 4), d(2024, 6, 1)]);
        assert_eq!(cal.add_working_days(d(2024, 1, 1), 1), d(2024, 5, 4));
        assert_eq!(cal.add_working_days(d(2024, 1, 1), 2), d(2024, 6, 1));
        assert_eq!(cal.add_working_days(d(2024, 1, 1), 3), NaiveDate::MAX);
        assert_eq!(cal.sub_working_days(d(2024, 12, 1), 2), d(2024, 5, 4));
        assert_eq!(cal.sub_working_days(d(2024, 12, 1), 3), NaiveDate::MIN);
    }

    fn day_in_2023_to_2026() -> impl Strategy<Value = NaiveDate> {
        (0u64..1461).prop_map(|k| d(2023, 1, 1) + Days::new(k))
    }

    proptest! {
        #[test]
        fn adding_working_days_lands_on_a_working_day(from in day_in_2023_to_2026(), n in 1u32..400) {
            prop_assert!(vn().is_working_day(vn().add_working_days(from, n)));
        }

        #[test]
        fn subtracting_after_adding_never_passes_the_start(from in day_in_2023_to_2026(), n in 0u32..400) {
            let cal = vn();
            prop_assert!(cal.sub_working_days(cal.add_working_days(from, n), n) <= from);
        }

        #[test]
        fn more_working_days_never_give_an_earlier_date(from in day_in_2023_to_2026(), n in 0u32..400) {
            let cal = vn();
            prop_assert!(cal.add_working_days(from, n) < cal.add_working_days(from, n + 1));
            prop_assert!(cal.sub_working_days(from, n) > cal.sub_working_days(from, n + 1));
        }

        #[test]
        fn working_days_between_counts_what_adding_walked(from in day_in_2023_to_2026(), n in 0u32..400) {
            let cal = vn();
            prop_assert_eq!(cal.working_days_between(from, cal.add_working_days(from, n)), n);
        }

        #[test]
        fn week_skipping_agrees_with_walking_day_by_day(from in day_in_2023_to_2026(), n in 0u32..2000) {
            let cal = vn();
            let mut walked = from;
            for _ in 0..n {
                walked = walked.succ_opt().expect("within range");
                while !cal.is_working_day(walked) {
                    walked = walked.succ_opt().expect("within range");
                }
            }
            prop_assert_eq!(cal.add_working_days(from, n), walked);
        }
    }
}
