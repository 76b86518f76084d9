//! Reporting periods and their labels: `2024-10` (month), `2024-Q3` (quarter),
//! `2024-H1` (half year), `2024-9M` (first nine months), `2024` (year),
//! `2024-W41` (ISO week).

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The kind of a report's period, as written in the config (`period = "quarter"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Week,
    Month,
    Quarter,
    HalfYear,
    NineMonths,
    Year,
}

/// One period. `index` is the month (1–12), quarter (1–4), half (1–2) or ISO
/// week (1–53); it is 1 for `NineMonths` and `Year`. For weeks `year` is the ISO
/// week-numbering year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub kind: PeriodKind,
    pub year: i32,
    pub index: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("'{0}' is not a period label (expected e.g. 2024-10, 2024-Q3, 2024-H1, 2024-9M, 2024, 2024-W41)")]
    BadLabel(String),
    #[error("'{label}' is a {found} period, but this report is {expected}")]
    WrongKind {
        label: String,
        found: &'static str,
        expected: &'static str,
    },
}

impl PeriodKind {
    /// The config spelling: `week`, `month`, `quarter`, `half_year`, `nine_months`, `year`.
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::HalfYear => "half_year",
            PeriodKind::NineMonths => "nine_months",
            PeriodKind::Year => "year",
        }
    }
}

/// The years a label may carry.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

impl Period {
    /// A checked constructor: `None` unless `year` is within the years labels
    /// accept (1900–9999) and `index` exists in that year for `kind` (week 53
    /// only in long ISO years).
    pub fn new(kind: PeriodKind, year: i32, index: u32) -> Option<Period> {
        if !YEARS.contains(&year) {
            return None;
        }
        let max = match kind {
            PeriodKind::Week => iso_weeks_in_year(year),
            PeriodKind::Month => 12,
            PeriodKind::Quarter => 4,
            PeriodKind::HalfYear => 2,
            PeriodKind::NineMonths | PeriodKind::Year => 1,
        };
        (1..=max).contains(&index).then_some(Period { kind, year, index })
    }

    /// Parses any label; the kind follows from its shape.
    pub fn parse(label: &str) -> Result<Period, PeriodError> {
        parse_label(label.trim()).ok_or_else(|| PeriodError::BadLabel(label.to_string()))
    }

    /// Parses a label that must be of `kind` (a report's period kind).
    pub fn parse_as(kind: PeriodKind, label: &str) -> Result<Period, PeriodError> {
        let p = Period::parse(label)?;
        if p.kind == kind {
            Ok(p)
        } else {
            Err(PeriodError::WrongKind {
                label: label.to_string(),
                found: p.kind.as_str(),
                expected: kind.as_str(),
            })
        }
    }

    /// The canonical label (`2024-Q3`); `Display` prints the same.
    pub fn label(&self) -> String {
        let y = self.year;
        match self.kind {
            PeriodKind::Week => format!("{y:04}-W{:02}", self.index),
            PeriodKind::Month => format!("{y:04}-{:02}", self.index),
            PeriodKind::Quarter => format!("{y:04}-Q{}", self.index),
            PeriodKind::HalfYear => format!("{y:04}-H{}", self.index),
            PeriodKind::NineMonths => format!("{y:04}-9M"),
            PeriodKind::Year => format!("{y:04}"),
        }
    }

    pub fn next(&self) -> Period {
        self.shift(true)
    }

    pub fn prev(&self) -> Period {
        self.shift(false)
    }

    /// The same period one year earlier (week 53 maps to week 52 when the earlier
    /// year has none).
    pub fn same_period_last_year(&self) -> Period {
        let year = self.year - 1;
        let index = match self.kind {
            PeriodKind::Week => self.index.min(iso_weeks_in_year(year)),
            _ => self.index,
        };
        Period {
            kind: self.kind,
            year,
            index,
        }
    }

    /// First calendar day (9M and H1 start on 1 January; weeks on Monday).
    pub fn first_day(&self) -> NaiveDate {
        let y = self.year;
        match self.kind {
            PeriodKind::Week => {
                NaiveDate::from_isoywd_opt(y, self.index, Weekday::Mon).expect("a period's week exists in its ISO year")
            }
            PeriodKind::Month => ymd(y, self.index, 1),
            PeriodKind::Quarter => ymd(y, 3 * self.index - 2, 1),
            PeriodKind::HalfYear => ymd(y, 6 * self.index - 5, 1),
            PeriodKind::NineMonths | PeriodKind::Year => ymd(y, 1, 1),
        }
    }

    /// Last calendar day (9M ends 30 September; weeks on Sunday).
    pub fn last_day(&self) -> NaiveDate {
        let y = self.year;
        match self.kind {
            PeriodKind::Week => {
                NaiveDate::from_isoywd_opt(y, self.index, Weekday::Sun).expect("a period's week exists in its ISO year")
            }
            PeriodKind::Month => day_of_month_clamped(y, self.index, 31),
            PeriodKind::Quarter => day_of_month_clamped(y, 3 * self.index, 31),
            PeriodKind::HalfYear => day_of_month_clamped(y, 6 * self.index, 31),
            PeriodKind::NineMonths => ymd(y, 9, 30),
            PeriodKind::Year => ymd(y, 12, 31),
        }
    }

    /// (year, month) of the period's last month: the month of `last_day()`.
    pub fn last_month(&self) -> (i32, u32) {
        let d = self.last_day();
        (d.year(), d.month())
    }

    /// The data window, both ends inclusive. With a cut-off day `c` the window
    /// runs from day `c+1` of the month before the period's first month to day
    /// `c` of its last month (Thanh tra circular 01/2024: Q1 = 15/12 → 14/3,
    /// 9M = 15/12 → 14/9, month 2024-10 = 15/09 → 14/10). A cut-off past the
    /// month's length is clamped to its last day. Without one (and for weeks) the
    /// window is the calendar span.
    pub fn data_window(&self, cutoff_day: Option<u32>) -> (NaiveDate, NaiveDate) {
        match (self.kind, cutoff_day) {
            (PeriodKind::Week, _) | (_, None) => (self.first_day(), self.last_day()),
            (_, Some(c)) => {
                // The start is the day after the previous month's (clamped)
                // cut-off, so consecutive windows tile without gap or overlap.
                let first = self.first_day();
                let (py, pm) = month_before(first.year(), first.month());
                let start = day_of_month_clamped(py, pm, c) + Days::new(1);
                let (ly, lm) = self.last_month();
                (start, day_of_month_clamped(ly, lm, c))
            }
        }
    }

    /// The period of `kind` whose calendar span contains `date`; for
    /// `NineMonths` in October–December, that year's 9M (the latest one begun).
    pub fn containing(kind: PeriodKind, date: NaiveDate) -> Period {
        let (year, index) = match kind {
            PeriodKind::Week => {
                let w = date.iso_week();
                (w.year(), w.week())
            }
            PeriodKind::Month => (date.year(), date.month()),
            PeriodKind::Quarter => (date.year(), (date.month() - 1) / 3 + 1),
            PeriodKind::HalfYear => (date.year(), (date.month() - 1) / 6 + 1),
            PeriodKind::NineMonths | PeriodKind::Year => (date.year(), 1),
        };
        Period { kind, year, index }
    }

    /// A human name for messages: vi "quý III năm 2024", "9 tháng năm 2024",
    /// "6 tháng đầu năm 2024", "tháng 10/2024", "năm 2024", "tuần 41/2024";
    /// en "Q3 2024", "9 months of 2024", "first half of 2024", "October 2024",
    /// "year 2024", "week 41 of 2024".
    pub fn name(&self, english: bool) -> String {
        let (y, i) = (self.year, self.index);
        match (self.kind, english) {
            (PeriodKind::Week, false) => format!("tuần {i}/{y}"),
            (PeriodKind::Week, true) => format!("week {i} of {y}"),
            (PeriodKind::Month, false) => format!("tháng {i}/{y}"),
            (PeriodKind::Month, true) => format!("{} {y}", month_name_en(i)),
            (PeriodKind::Quarter, false) => format!("quý {} năm {y}", roman(i)),
            (PeriodKind::Quarter, true) => format!("Q{i} {y}"),
            (PeriodKind::HalfYear, false) if i == 1 => format!("6 tháng đầu năm {y}"),
            (PeriodKind::HalfYear, false) => format!("6 tháng cuối năm {y}"),
            (PeriodKind::HalfYear, true) if i == 1 => format!("first half of {y}"),
            (PeriodKind::HalfYear, true) => format!("second half of {y}"),
            (PeriodKind::NineMonths, false) => format!("9 tháng năm {y}"),
            (PeriodKind::NineMonths, true) => format!("9 months of {y}"),
            (PeriodKind::Year, false) => format!("năm {y}"),
            (PeriodKind::Year, true) => format!("year {y}"),
        }
    }

    fn shift(&self, forward: bool) -> Period {
        let Period { kind, year, index } = *self;
        let per_year = match kind {
            PeriodKind::Week => {
                // ISO weeks: step a week from Monday and read the week back.
                let monday = self.first_day();
                let moved = if forward {
                    monday + Days::new(7)
                } else {
                    monday - Days::new(7)
                };
                return Period::containing(PeriodKind::Week, moved);
            }
            PeriodKind::Month => 12,
            PeriodKind::Quarter => 4,
            PeriodKind::HalfYear => 2,
            PeriodKind::NineMonths | PeriodKind::Year => 1,
        };
        let (year, index) = match (forward, index) {
            (true, i) if i >= per_year => (year + 1, 1),
            (true, i) => (year, i + 1),
            (false, i) if i <= 1 => (year - 1, per_year),
            (false, i) => (year, i - 1),
        };
        Period { kind, year, index }
    }
}

/// Day `day` of the month, clamped into 1..=the month's length.
pub(crate) fn day_of_month_clamped(year: i32, month: u32, day: u32) -> NaiveDate {
    let len = u32::from(ymd(year, month, 1).num_days_in_month());
    ymd(year, month, day.clamp(1, len))
}

/// A date from a valid period's parts: periods made by `parse`, `new`,
/// `containing`, `next` or `prev` have a month in 1..=12 and a year well
/// inside chrono's range. Only a hand-built `Period` with out-of-range fields
/// can fail here.
fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid period's dates exist")
}

fn month_before(year: i32, month: u32) -> (i32, u32) {
    if month <= 1 { (year - 1, 12) } else { (year, month - 1) }
}

fn iso_weeks_in_year(year: i32) -> u32 {
    if NaiveDate::from_isoywd_opt(year, 53, Weekday::Mon).is_some() {
        53
    } else {
        52
    }
}

fn parse_label(s: &str) -> Option<Period> {
    let (year, suffix) = match s.split_once('-') {
        Some((y, rest)) => (y, Some(rest)),
        None => (s, None),
    };
    let year = i32::try_from(digits(year, 4)?).ok()?;
    let Some(suffix) = suffix else {
        return Period::new(PeriodKind::Year, year, 1);
    };
    let upper = suffix.to_ascii_uppercase();
    let (kind, index) = if upper == "9M" {
        (PeriodKind::NineMonths, 1)
    } else if let Some(q) = upper.strip_prefix('Q') {
        (PeriodKind::Quarter, digits(q, 1)?)
    } else if let Some(h) = upper.strip_prefix('H') {
        (PeriodKind::HalfYear, digits(h, 1)?)
    } else if let Some(w) = upper.strip_prefix('W') {
        (PeriodKind::Week, digits(w, 2)?)
    } else {
        (PeriodKind::Month, digits(&upper, 2)?)
    };
    Period::new(kind, year, index)
}

/// The value of exactly `len` ASCII digits.
fn digits(s: &str, len: usize) -> Option<u32> {
    if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn roman(quarter: u32) -> &'static str {
    match quarter {
        1 => "I",
        2 => "II",
        3 => "III",
        _ => "IV",
    }
}

fn month_name_en(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES[(month.clamp(1, 12) - 1) as usize]
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl std::str::FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL_KINDS: [PeriodKind; 6] = [
        PeriodKind::Week,
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::HalfYear,
        PeriodKind::NineMonths,
        PeriodKind::Year,
    ];

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn p(label: &str) -> Period {
        Period::parse(label).expect("valid test label")
    }

    fn per(kind: PeriodKind, year: i32, index: u32) -> Period {
        Period { kind, year, index }
    }

    #[test]
    fn every_label_shape_parses_to_its_kind() {
        use PeriodKind::*;
        let table = [
            ("2024-10", per(Month, 2024, 10)),
            ("2024-01", per(Month, 2024, 1)),
            ("2024-12", per(Month, 2024, 12)),
            ("2024-Q3", per(Quarter, 2024, 3)),
            ("2024-q3", per(Quarter, 2024, 3)),
            ("2024-H1", per(HalfYear, 2024, 1)),
            ("2024-h2", per(HalfYear, 2024, 2)),
            ("2024-9M", per(NineMonths, 2024, 1)),
            ("2024-9m", per(NineMonths, 2024, 1)),
            ("2024", per(Year, 2024, 1)),
            ("2024-W41", per(Week, 2024, 41)),
            ("2024-w05", per(Week, 2024, 5)),
            ("2020-W53", per(Week, 2020, 53)),
            ("2026-W53", per(Week, 2026, 53)),
            (" 2024-Q3 ", per(Quarter, 2024, 3)),
            ("1900", per(Year, 1900, 1)),
            ("9999-12", per(Month, 9999, 12)),
        ];
        for (label, want) in table {
            assert_eq!(Period::parse(label), Ok(want), "{label:?}");
            assert_eq!(label.parse::<Period>(), Ok(want), "{label:?}");
        }
    }

    #[test]
    fn malformed_or_impossible_labels_are_rejected() {
        let bad = [
            "",
            "2024-",
            "2024-1",
            "2024-13",
            "2024-00",
            "2024-001",
            "2024-Q0",
            "2024-Q5",
            "2024-Q",
            "2024-Q03",
            "2024-H0",
            "2024-H3",
            "2024-8M",
            "2024-9",
            "2024-M9",
            "2024-W53",
            "2025-W53",
            "2024-W00",
            "2024-W5",
            "2024-W054",
            "2024-W",
            "1899",
            "10000",
            "24",
            "+2024",
            "-2024",
            "2024-10-01",
            "2024-Q3x",
            "2024 Q3",
            "2024/10",
            "２０２４",
            "2024-Ｑ3",
            "2024--10",
            "year",
        ];
        for label in bad {
            assert_eq!(
                Period::parse(label),
                Err(PeriodError::BadLabel(label.to_string())),
                "{label:?}"
            );
        }
    }

    #[test]
    fn a_label_of_another_kind_is_a_wrong_kind_error() {
        assert_eq!(
            Period::parse_as(PeriodKind::Month, "2024-Q3"),
            Err(PeriodError::WrongKind {
                label: "2024-Q3".to_string(),
                found: "quarter",
                expected: "month",
            })
        );
        assert_eq!(
            Period::parse_as(PeriodKind::Quarter, "2024-q3"),
            Ok(per(PeriodKind::Quarter, 2024, 3))
        );
        assert!(matches!(
            Period::parse_as(PeriodKind::Quarter, "2024-Q9"),
            Err(PeriodError::BadLabel(_))
        ));
    }

    #[test]
    fn canonical_labels_are_uppercase_and_zero_padded() {
        let table = [
            ("2024-q3", "2024-Q3"),
            ("2024-h2", "2024-H2"),
            ("2024-9m", "2024-9M"),
            ("2024-w05", "2024-W05"),
            ("2024-01", "2024-01"),
            ("2024", "2024"),
        ];
        for (input, canonical) in table {
            assert_eq!(p(input).label(), canonical);
            assert_eq!(p(input).to_string(), canonical);
        }
    }

    #[test]
    fn labels_round_trip_for_every_kind_and_period() {
        for year in [1900, 2015, 2020, 2024, 2025, 2026, 9998] {
            for kind in ALL_KINDS {
                let mut cur = Period::containing(kind, d(year, 1, 10));
                while cur.year == year {
                    assert_eq!(Period::parse_as(kind, &cur.label()), Ok(cur), "{cur:?}");
                    cur = cur.next();
                }
            }
        }
    }

    #[test]
    fn next_and_prev_roll_over_year_ends() {
        let table = [
            ("2024-12", "2025-01"),
            ("2024-01", "2024-02"),
            ("2024-Q4", "2025-Q1"),
            ("2024-Q1", "2024-Q2"),
            ("2024-H2", "2025-H1"),
            ("2024-H1", "2024-H2"),
            ("2024-9M", "2025-9M"),
            ("2024", "2025"),
            ("2024-W52", "2025-W01"),
            ("2020-W52", "2020-W53"),
            ("2020-W53", "2021-W01"),
            ("2024-W41", "2024-W42"),
        ];
        for (from, to) in table {
            assert_eq!(p(from).next(), p(to), "{from}.next()");
            assert_eq!(p(to).prev(), p(from), "{to}.prev()");
        }
    }

    #[test]
    fn same_period_last_year_keeps_the_index_but_week_53_falls_back_to_52() {
        let table = [
            ("2024-Q3", "2023-Q3"),
            ("2024-10", "2023-10"),
            ("2024-H2", "2023-H2"),
            ("2024-9M", "2023-9M"),
            ("2024", "2023"),
            ("2024-W41", "2023-W41"),
            ("2021-W52", "2020-W52"),
            ("2020-W53", "2019-W52"),
            ("2026-W53", "2025-W52"),
        ];
        for (from, want) in table {
            assert_eq!(p(from).same_period_last_year(), p(want), "{from}");
        }
    }

    #[test]
    fn first_and_last_days_follow_the_calendar() {
        let table = [
            ("2024-02", d(2024, 2, 1), d(2024, 2, 29)),
            ("2023-02", d(2023, 2, 1), d(2023, 2, 28)),
            ("2024-12", d(2024, 12, 1), d(2024, 12, 31)),
            ("2024-Q1", d(2024, 1, 1), d(2024, 3, 31)),
            ("2024-Q2", d(2024, 4, 1), d(2024, 6, 30)),
            ("2024-Q4", d(2024, 10, 1), d(2024, 12, 31)),
            ("2024-H1", d(2024, 1, 1), d(2024, 6, 30)),
            ("2024-H2", d(2024, 7, 1), d(2024, 12, 31)),
            ("2024-9M", d(2024, 1, 1), d(2024, 9, 30)),
            ("2024", d(2024, 1, 1), d(2024, 12, 31)),
            ("2024-W41", d(2024, 10, 7), d(2024, 10, 13)),
            ("2025-W01", d(2024, 12, 30), d(2025, 1, 5)),
            ("2020-W53", d(2020, 12, 28), d(2021, 1, 3)),
        ];
        for (label, first, last) in table {
            assert_eq!(p(label).first_day(), first, "{label}");
            assert_eq!(p(label).last_day(), last, "{label}");
        }
    }

    #[test]
    fn the_last_month_is_the_month_of_the_last_day() {
        let table = [
            ("2024-Q3", (2024, 9)),
            ("2024-9M", (2024, 9)),
            ("2024-H1", (2024, 6)),
            ("2024", (2024, 12)),
            ("2024-02", (2024, 2)),
            ("2024-W44", (2024, 11)), // 28/10–3/11
            ("2025-W01", (2025, 1)),  // 30/12/2024–5/1/2025
        ];
        for (label, want) in table {
            assert_eq!(p(label).last_month(), want, "{label}");
        }
    }

    #[test]
    fn data_windows_follow_the_cut_off_of_circular_01_2024() {
        let table = [
            ("2024-Q1", d(2023, 12, 15), d(2024, 3, 14)),
            ("2024-Q2", d(2024, 3, 15), d(2024, 6, 14)),
            ("2024-Q4", d(2024, 9, 15), d(2024, 12, 14)),
            ("2024-H1", d(2023, 12, 15), d(2024, 6, 14)),
            ("2024-H2", d(2024, 6, 15), d(2024, 12, 14)),
            ("2024-9M", d(2023, 12, 15), d(2024, 9, 14)),
            ("2024", d(2023, 12, 15), d(2024, 12, 14)),
            ("2024-10", d(2024, 9, 15), d(2024, 10, 14)),
            ("2024-01", d(2023, 12, 15), d(2024, 1, 14)),
        ];
        for (label, start, end) in table {
            assert_eq!(p(label).data_window(Some(14)), (start, end), "{label}");
        }
    }

    #[test]
    fn without_a_cut_off_the_window_is_the_calendar_span() {
        for label in ["2024-Q1", "2024-9M", "2024-10", "2024", "2024-W41"] {
            let per = p(label);
            assert_eq!(per.data_window(None), (per.first_day(), per.last_day()));
        }
    }

    #[test]
    fn weeks_ignore_the_cut_off() {
        let w = p("2024-W41");
        assert_eq!(w.data_window(Some(14)), (d(2024, 10, 7), d(2024, 10, 13)));
    }

    #[test]
    fn a_cut_off_past_the_month_length_is_clamped() {
        let table = [
            ("2024-02", 31, d(2024, 2, 1), d(2024, 2, 29)),
            ("2024-03", 31, d(2024, 3, 1), d(2024, 3, 31)),
            ("2024-03", 30, d(2024, 3, 1), d(2024, 3, 30)),
            ("2024-04", 30, d(2024, 3, 31), d(2024, 4, 30)),
            ("2023-03", 29, d(2023, 3, 1), d(2023, 3, 29)),
            ("2024-Q2", 31, d(2024, 4, 1), d(2024, 6, 30)),
            ("2024-Q1", 30, d(2023, 12, 31), d(2024, 3, 30)),
        ];
        for (label, cutoff, start, end) in table {
            assert_eq!(p(label).data_window(Some(cutoff)), (start, end), "{label} c={cutoff}");
        }
    }

    #[test]
    fn windows_of_consecutive_periods_tile_without_gap_or_overlap() {
        for kind in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::HalfYear] {
            for cutoff in [1, 14, 15, 28, 29, 30, 31] {
                // Two years from a leap year, so every month length is met.
                let mut cur = Period::containing(kind, d(2023, 12, 1));
                while cur.year <= 2025 {
                    let (start, end) = cur.data_window(Some(cutoff));
                    let (next_start, _) = cur.next().data_window(Some(cutoff));
                    assert!(start <= end, "{cur} c={cutoff}");
                    assert_eq!(end + Days::new(1), next_start, "{cur} c={cutoff}");
                    cur = cur.next();
                }
            }
        }
    }

    #[test]
    fn containing_finds_the_period_of_a_date() {
        use PeriodKind::*;
        let table = [
            (Month, d(2024, 10, 31), "2024-10"),
            (Quarter, d(2024, 3, 31), "2024-Q1"),
            (Quarter, d(2024, 4, 1), "2024-Q2"),
            (Quarter, d(2024, 12, 31), "2024-Q4"),
            (HalfYear, d(2024, 6, 30), "2024-H1"),
            (HalfYear, d(2024, 7, 1), "2024-H2"),
            (NineMonths, d(2024, 2, 10), "2024-9M"),
            (NineMonths, d(2024, 11, 20), "2024-9M"),
            (Year, d(2024, 12, 31), "2024"),
            (Week, d(2024, 10, 9), "2024-W41"),
            (Week, d(2024, 12, 30), "2025-W01"),
            (Week, d(2021, 1, 3), "2020-W53"),
        ];
        for (kind, date, want) in table {
            assert_eq!(Period::containing(kind, date), p(want), "{kind:?} {date}");
        }
    }

    #[test]
    fn names_read_naturally_in_vietnamese_and_english() {
        let table = [
            ("2024-Q1", "quý I năm 2024", "Q1 2024"),
            ("2024-Q2", "quý II năm 2024", "Q2 2024"),
            ("2024-Q3", "quý III năm 2024", "Q3 2024"),
            ("2024-Q4", "quý IV năm 2024", "Q4 2024"),
            ("2024-9M", "9 tháng năm 2024", "9 months of 2024"),
            ("2024-H1", "6 tháng đầu năm 2024", "first half of 2024"),
            ("2024-H2", "6 tháng cuối năm 2024", "second half of 2024"),
            ("2024-10", "tháng 10/2024", "October 2024"),
            ("2024-01", "tháng 1/2024", "January 2024"),
            ("2024", "năm 2024", "year 2024"),
            ("2024-W41", "tuần 41/2024", "week 41 of 2024"),
            ("2024-W05", "tuần 5/2024", "week 5 of 2024"),
        ];
        for (label, vi, en) in table {
            assert_eq!(p(label).name(false), vi);
            assert_eq!(p(label).name(true), en);
        }
    }

    #[test]
    fn kinds_have_their_config_spelling() {
        let spellings: Vec<&str> = ALL_KINDS.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            spellings,
            ["week", "month", "quarter", "half_year", "nine_months", "year"]
        );
    }

    #[test]
    fn the_checked_constructor_rejects_missing_periods() {
        assert!(Period::new(PeriodKind::Week, 2020, 53).is_some());
        assert!(Period::new(PeriodKind::Week, 2024, 53).is_none());
        assert!(Period::new(PeriodKind::Month, 2024, 0).is_none());
        assert!(Period::new(PeriodKind::Year, 2024, 2).is_none());
        assert!(Period::new(PeriodKind::Quarter, 1899, 1).is_none());
    }

    fn any_period() -> impl Strategy<Value = Period> {
        (0usize..6, 0u64..(365 * 200))
            .prop_map(|(k, offset)| Period::containing(ALL_KINDS[k], d(1901, 1, 1) + Days::new(offset)))
    }

    proptest! {
        #[test]
        fn next_and_prev_are_inverse(per in any_period()) {
            prop_assert_eq!(per.next().prev(), per);
            prop_assert_eq!(per.prev().next(), per);
        }

        #[test]
        fn next_starts_the_day_after_this_ends(per in any_period()) {
            // Year-to-date kinds overlap their successor only by design; all
            // others follow each other day by day.
            if !matches!(per.kind, PeriodKind::NineMonths) {
                prop_assert_eq!(per.last_day() + Days::new(1), per.next().first_day());
            }
        }

        #[test]
        fn any_period_round_trips_through_its_label(per in any_period()) {
            prop_assert_eq!(Period::parse(&per.label()), Ok(per));
        }

        #[test]
        fn a_date_lies_in_its_containing_period(k in 0usize..6, offset in 0u64..(365 * 200)) {
            let date = d(1901, 1, 1) + Days::new(offset);
            let per = Period::containing(ALL_KINDS[k], date);
            if per.kind != PeriodKind::NineMonths || date.month() <= 9 {
                prop_assert!(per.first_day() <= date && date <= per.last_day());
            }
        }
    }
}
