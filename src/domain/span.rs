//! Durations as written in the config: `30m`, `12h`, `3d`, `1wd` (working days).

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};

use super::calendar::WorkCalendar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpanUnit {
    Minutes,
    Hours,
    Days,
    WorkingDays,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub amount: u32,
    pub unit: SpanUnit,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a duration (expected a whole number followed by m, h, d or wd, e.g. 30m, 12h, 3d, 1wd)")]
pub struct SpanError(pub String);

impl Span {
    pub const ZERO: Span = Span {
        amount: 0,
        unit: SpanUnit::Days,
    };

    pub fn is_zero(&self) -> bool {
        self.amount == 0
    }

    /// `t` plus this span. Minutes and hours are absolute time; days move the
    /// local date keeping the local time of day; working days move to the n-th
    /// working day after the local date, keeping the local time of day.
    pub fn after<Tz: TimeZone>(&self, t: &DateTime<Tz>, cal: &WorkCalendar) -> DateTime<Tz> {
        self.shift(t, cal, true)
    }

    /// `t` minus this span, the mirror of [`Span::after`].
    pub fn before<Tz: TimeZone>(&self, t: &DateTime<Tz>, cal: &WorkCalendar) -> DateTime<Tz> {
        self.shift(t, cal, false)
    }

    /// Human wording: vi "3 ngày", "1 ngày làm việc", "12 giờ", "30 phút";
    /// en "3 days", "1 working day", "12 hours", "30 minutes".
    pub fn describe(&self, english: bool) -> String {
        let n = self.amount;
        let word = if english {
            let (one, many) = match self.unit {
                SpanUnit::Minutes => ("minute", "minutes"),
                SpanUnit::Hours => ("hour", "hours"),
                SpanUnit::Days => ("day", "days"),
                SpanUnit::WorkingDays => ("working day", "working days"),
            };
            if n == 1 { one } else { many }
        } else {
            match self.unit {
                SpanUnit::Minutes => "phút",
                SpanUnit::Hours => "giờ",
                SpanUnit::Days => "ngày",
                SpanUnit::WorkingDays => "ngày làm việc",
            }
        };
        format!("{n} {word}")
    }

    /// The span in one spelling whatever the config wrote, for dedup keys:
    /// calendar time in the largest unit that divides it exactly (`24h` and
    /// `1440m` are `1d`, `36h` stays `36h`, `90m` stays `90m`); working days
    /// as written. Today's spellings (`3d`, `1wd`, `12h`) are unchanged.
    pub fn canonical(&self) -> String {
        let minutes = match self.unit {
            SpanUnit::WorkingDays => return self.to_string(),
            SpanUnit::Minutes => u64::from(self.amount),
            SpanUnit::Hours => u64::from(self.amount) * 60,
            SpanUnit::Days => u64::from(self.amount) * 24 * 60,
        };
        if minutes == 0 {
            "0d".to_string()
        } else if minutes % (24 * 60) == 0 {
            format!("{}d", minutes / (24 * 60))
        } else if minutes % 60 == 0 {
            format!("{}h", minutes / 60)
        } else {
            format!("{minutes}m")
        }
    }

    /// The config suffix of the unit.
    fn suffix(&self) -> &'static str {
        match self.unit {
            SpanUnit::Minutes => "m",
            SpanUnit::Hours => "h",
            SpanUnit::Days => "d",
            SpanUnit::WorkingDays => "wd",
        }
    }

    /// `after` (`forward`) or `before`. Results past chrono's range saturate
    /// near its ends ([`end_of_time`]) instead of panicking: amounts come from
    /// config.
    fn shift<Tz: TimeZone>(&self, t: &DateTime<Tz>, cal: &WorkCalendar, forward: bool) -> DateTime<Tz> {
        if self.amount == 0 {
            // Re-resolving the wall time could pick the other instant of a fold.
            return t.clone();
        }
        let n = self.amount;
        let tz = t.timezone();
        let moved = match self.unit {
            SpanUnit::Minutes | SpanUnit::Hours => {
                let minutes = i64::from(n) * if self.unit == SpanUnit::Hours { 60 } else { 1 };
                TimeDelta::try_minutes(minutes).and_then(|delta| {
                    if forward {
                        t.clone().checked_add_signed(delta)
                    } else {
                        t.clone().checked_sub_signed(delta)
                    }
                })
            }
            SpanUnit::Days | SpanUnit::WorkingDays => checked_local(t).and_then(|local| {
                let date = match (self.unit, forward) {
                    (SpanUnit::Days, true) => local.date().checked_add_days(Days::new(u64::from(n))),
                    (SpanUnit::Days, false) => local.date().checked_sub_days(Days::new(u64::from(n))),
                    (_, true) => Some(cal.add_working_days(local.date(), n)),
                    (_, false) => Some(cal.sub_working_days(local.date(), n)),
                };
                date.and_then(|d| resolve_local(&tz, d.and_time(local.time())))
            }),
        };
        moved.unwrap_or_else(|| end_of_time(&tz, forward))
    }
}

/// Where saturated results land: noon UTC one day inside chrono's range, so
/// that the local time in any zone (offsets stay well under a day) is still
/// representable and `naive_local` on the result cannot panic.
pub(crate) fn end_of_time<Tz: TimeZone>(tz: &Tz, forward: bool) -> DateTime<Tz> {
    let date = if forward {
        NaiveDate::MAX.pred_opt()
    } else {
        NaiveDate::MIN.succ_opt()
    }
    .expect("chrono's date range spans more than two days");
    let noon = date.and_hms_opt(12, 0, 0).expect("12:00:00 is a valid time");
    Utc.from_utc_datetime(&noon).with_timezone(tz)
}

/// The local wall time of `t`, or `None` where it falls outside chrono's range.
fn checked_local<Tz: TimeZone>(t: &DateTime<Tz>) -> Option<NaiveDateTime> {
    t.naive_utc().checked_add_offset(t.offset().fix())
}

/// The instant of local wall time `local` in `tz`: the earliest one when the
/// wall time occurs twice, the first valid instant after it when it falls in
/// a gap (clocks jumped forward over it). `None` only outside chrono's range.
pub(crate) fn resolve_local<Tz: TimeZone>(tz: &Tz, local: NaiveDateTime) -> Option<DateTime<Tz>> {
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return Some(t);
    }
    // In a gap. Valid wall times on both sides are found in whole minutes
    // (real gaps last from minutes to a day), then the transition instant is
    // bisected in seconds: it is the first instant whose wall time is >= local.
    const SEARCH_MINUTES: i64 = 48 * 60;
    let valid_near = |sign: i64| {
        (1..=SEARCH_MINUTES).find_map(|k| {
            let probe = local.checked_add_signed(TimeDelta::try_minutes(sign * k)?)?;
            tz.from_local_datetime(&probe).earliest()
        })
    };
    let mut lo = valid_near(-1)?.timestamp(); // wall time < local
    let mut hi = valid_near(1)?.timestamp(); // wall time > local (a minute past, so truncation is safe)
    let at = |secs: i64| DateTime::from_timestamp(secs, 0).map(|u| u.with_timezone(tz));
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if checked_local(&at(mid)?)? >= local {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    at(hi)
}

impl std::str::FromStr for Span {
    type Err = SpanError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SpanError(s.to_string());
        let t = s.trim();
        if t == "0" {
            return Ok(Span::ZERO);
        }
        let (digits, suffix) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
        let unit = match suffix {
            "m" => SpanUnit::Minutes,
            "h" => SpanUnit::Hours,
            "d" => SpanUnit::Days,
            "wd" => SpanUnit::WorkingDays,
            _ => return Err(bad()),
        };
        // `digits` holds ASCII digits only, so a parse error means empty or too large.
        let amount = digits.parse().map_err(|_| bad())?;
        Ok(Span { amount, unit })
    }
}

impl std::fmt::Display for Span {
    /// The config spelling (`3d`, `1wd`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_has_one_key_spelling_whatever_the_config_wrote() {
        let span = |t: &str| t.parse::<Span>().expect("span");
        for (written, key) in [
            ("1d", "1d"),
            ("24h", "1d"),
            ("1440m", "1d"),
            ("3d", "3d"),
            ("72h", "3d"),
            ("36h", "36h"),
            ("12h", "12h"),
            ("720m", "12h"),
            ("90m", "90m"),
            ("1wd", "1wd"),
            ("5wd", "5wd"),
        ] {
            assert_eq!(span(written).canonical(), key, "{written}");
        }
    }
    use chrono::{Datelike, FixedOffset, Weekday};
    use chrono_tz::{America::New_York, Asia::Ho_Chi_Minh, Europe::Berlin, Pacific::Apia, Tz};

    fn span(s: &str) -> Span {
        s.parse().expect("valid test span")
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn local(tz: Tz, y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Tz> {
        tz.with_ymd_and_hms(y, m, day, h, min, 0)
            .single()
            .expect("unambiguous test time")
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, 0)
            .single()
            .expect("valid test time")
    }

    /// Tết 2024 and 2025, 30/4–1/5/2024 and the swapped Saturday 4/5/2024.
    fn vn() -> WorkCalendar {
        let mut holidays: Vec<NaiveDate> = d(2024, 2, 8).iter_days().take(7).collect();
        holidays.extend(d(2025, 1, 25).iter_days().take(9));
        holidays.extend(d(2024, 4, 29).iter_days().take(3));
        holidays.push(d(2025, 1, 1));
        WorkCalendar::new(
            [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            holidays,
            [d(2024, 5, 4)],
        )
    }

    #[test]
    fn config_spellings_parse() {
        let table = [
            ("30m", 30, SpanUnit::Minutes),
            ("12h", 12, SpanUnit::Hours),
            ("3d", 3, SpanUnit::Days),
            ("1wd", 1, SpanUnit::WorkingDays),
            ("0d", 0, SpanUnit::Days),
            ("0", 0, SpanUnit::Days),
            ("  5d \n", 5, SpanUnit::Days),
            ("007h", 7, SpanUnit::Hours),
            ("4294967295m", u32::MAX, SpanUnit::Minutes),
        ];
        for (text, amount, unit) in table {
            assert_eq!(text.parse::<Span>(), Ok(Span { amount, unit }), "{text:?}");
        }
        assert_eq!(span("0"), Span::ZERO);
        assert!(span("0h").is_zero());
    }

    #[test]
    fn anything_else_is_not_a_duration() {
        let bad = [
            "",
            " ",
            "d",
            "wd",
            "3",
            "3 days",
            "3 d",
            "-1d",
            "+1d",
            "1.5d",
            "3D",
            "3w",
            "3dd",
            "1wdx",
            "3s",
            "d3",
            "4294967296m",
            "３d",
            "00",
            "0x",
        ];
        for text in bad {
            assert_eq!(text.parse::<Span>(), Err(SpanError(text.to_string())), "{text:?}");
        }
    }

    #[test]
    fn display_prints_the_config_spelling_back() {
        for text in ["30m", "12h", "3d", "1wd", "0d"] {
            assert_eq!(span(text).to_string(), text);
        }
        assert_eq!(Span::ZERO.to_string(), "0d");
    }

    #[test]
    fn describe_words_spans_for_officials() {
        let table = [
            ("3d", "3 ngày", "3 days"),
            ("1d", "1 ngày", "1 day"),
            ("1wd", "1 ngày làm việc", "1 working day"),
            ("2wd", "2 ngày làm việc", "2 working days"),
            ("12h", "12 giờ", "12 hours"),
            ("1h", "1 giờ", "1 hour"),
            ("30m", "30 phút", "30 minutes"),
            ("1m", "1 phút", "1 minute"),
            ("0d", "0 ngày", "0 days"),
        ];
        for (text, vi, en) in table {
            assert_eq!(span(text).describe(false), vi);
            assert_eq!(span(text).describe(true), en);
        }
    }

    #[test]
    fn minutes_and_hours_are_absolute_time() {
        let cal = vn();
        let t = local(Ho_Chi_Minh, 2024, 12, 31, 20, 0);
        assert_eq!(span("12h").after(&t, &cal), local(Ho_Chi_Minh, 2025, 1, 1, 8, 0));
        assert_eq!(span("30m").before(&t, &cal), local(Ho_Chi_Minh, 2024, 12, 31, 19, 30));
        // Across a DST change an hour count is not a wall-clock count.
        let b = local(Berlin, 2024, 3, 30, 12, 0);
        assert_eq!(span("24h").after(&b, &cal), local(Berlin, 2024, 3, 31, 13, 0));
    }

    #[test]
    fn days_move_the_local_date_and_keep_the_wall_time() {
        let cal = vn();
        let table = [
            ((2024, 9, 18, 17), "3d", (2024, 9, 21, 17)),
            ((2024, 12, 30, 17), "3d", (2025, 1, 2, 17)),
            ((2024, 2, 28, 9), "1d", (2024, 2, 29, 9)),
            ((2024, 2, 7, 17), "1d", (2024, 2, 8, 17)), // a holiday is still a day
        ];
        for ((y, m, day, h), s, (wy, wm, wd, wh)) in table {
            let t = local(Ho_Chi_Minh, y, m, day, h, 0);
            let want = local(Ho_Chi_Minh, wy, wm, wd, wh, 0);
            assert_eq!(span(s).after(&t, &cal), want, "{t} + {s}");
            assert_eq!(span(s).before(&want, &cal), t, "{want} - {s}");
        }
        // Over a DST change a day is a wall-clock day, not 24 hours.
        let b = local(Berlin, 2024, 3, 30, 12, 0);
        assert_eq!(span("1d").after(&b, &cal), local(Berlin, 2024, 3, 31, 12, 0));
    }

    #[test]
    fn working_days_skip_weekends_and_tet_and_keep_the_wall_time() {
        let cal = vn();
        let table = [
            ((2024, 9, 18), "1wd", (2024, 9, 19)),
            ((2024, 9, 20), "1wd", (2024, 9, 23)), // Friday → Monday
            ((2024, 2, 7), "1wd", (2024, 2, 15)),  // over Tết 2024
            ((2025, 1, 24), "1wd", (2025, 2, 3)),  // over Tết 2025
            ((2024, 12, 31), "1wd", (2025, 1, 2)), // over New Year
            ((2024, 5, 3), "1wd", (2024, 5, 4)),   // a swapped working Saturday
        ];
        for ((y, m, day), s, (wy, wm, wd)) in table {
            let t = local(Ho_Chi_Minh, y, m, day, 17, 0);
            let want = local(Ho_Chi_Minh, wy, wm, wd, 17, 0);
            assert_eq!(span(s).after(&t, &cal), want, "{t} + {s}");
            assert_eq!(span(s).before(&want, &cal), t, "{want} - {s}");
        }
        // From a weekend, one working day back is the Friday before.
        let sun = local(Ho_Chi_Minh, 2024, 9, 15, 17, 0);
        assert_eq!(span("1wd").before(&sun, &cal), local(Ho_Chi_Minh, 2024, 9, 13, 17, 0));
    }

    #[test]
    fn a_zero_span_returns_the_same_instant() {
        let cal = vn();
        // The second 02:30 of a fold: re-resolving would give the first.
        let fold = Berlin
            .with_ymd_and_hms(2024, 10, 27, 2, 30, 0)
            .latest()
            .expect("fold exists");
        for s in ["0", "0m", "0h", "0d", "0wd"] {
            assert_eq!(span(s).after(&fold, &cal), fold, "{s}");
            assert_eq!(span(s).before(&fold, &cal), fold, "{s}");
        }
    }

    #[test]
    fn a_wall_time_in_a_dst_gap_moves_to_the_first_valid_instant() {
        let cal = WorkCalendar::default();
        // Berlin skips 02:00–03:00 on 31/3/2024: 02:30 becomes 03:00 CEST.
        let b = local(Berlin, 2024, 3, 30, 2, 30);
        assert_eq!(span("1d").after(&b, &cal).with_timezone(&Utc), utc(2024, 3, 31, 1, 0));
        // New York skips 02:00–03:00 on 10/3/2024 (a Sunday; Friday + 1wd is Monday, no gap).
        let ny = local(New_York, 2024, 3, 9, 2, 15);
        assert_eq!(span("1d").after(&ny, &cal).with_timezone(&Utc), utc(2024, 3, 10, 7, 0));
        // Samoa skipped all of 30/12/2011: the first valid instant is 31/12 00:00 +14.
        let apia = local(Apia, 2011, 12, 29, 12, 0);
        assert_eq!(
            span("1d").after(&apia, &cal).with_timezone(&Utc),
            utc(2011, 12, 30, 10, 0)
        );
    }

    #[test]
    fn an_ambiguous_wall_time_takes_the_earliest_instant() {
        let cal = WorkCalendar::default();
        // Berlin repeats 02:00–03:00 on 27/10/2024; the first 02:30 is CEST (+02).
        let b = local(Berlin, 2024, 10, 26, 2, 30);
        assert_eq!(span("1d").after(&b, &cal).with_timezone(&Utc), utc(2024, 10, 27, 0, 30));
        let after = local(Berlin, 2024, 10, 28, 2, 30);
        assert_eq!(
            span("1d").before(&after, &cal).with_timezone(&Utc),
            utc(2024, 10, 27, 0, 30)
        );
    }

    #[test]
    fn spans_work_in_any_timezone_type() {
        let cal = vn();
        let plus7 = FixedOffset::east_opt(7 * 3600).expect("valid offset");
        let t = plus7.with_ymd_and_hms(2024, 2, 7, 17, 0, 0).single().expect("valid");
        let want = plus7.with_ymd_and_hms(2024, 2, 15, 17, 0, 0).single().expect("valid");
        assert_eq!(span("1wd").after(&t, &cal), want);
        let u = utc(2024, 2, 7, 10, 0);
        assert_eq!(span("1wd").after(&u, &cal), utc(2024, 2, 15, 10, 0));
    }

    #[test]
    fn absurd_amounts_saturate_instead_of_panicking() {
        let cal = vn();
        let t = local(Ho_Chi_Minh, 2024, 9, 18, 17, 0);
        for tz in [Ho_Chi_Minh, New_York, Apia] {
            let t = t.with_timezone(&tz);
            for s in ["4294967295h", "4294967295d", "4294967295wd"] {
                // The local time of a saturated result is still readable.
                let (late, early) = (span(s).after(&t, &cal), span(s).before(&t, &cal));
                assert!(late.naive_local().year() > 262_000, "{s} {tz}");
                assert!(early.naive_local().year() < -262_000, "{s} {tz}");
            }
        }
        // Minutes stay within range: about 8 000 years.
        let far = span("4294967295m").after(&t, &cal);
        assert_eq!(far - t, TimeDelta::minutes(i64::from(u32::MAX)));
    }
}
