//! Formatting for officials: `8.651`, `83,1%`, `05/10/2024`, `17:00`,
//! `1 ngày 16 giờ`, a title with its period said once. Telegram HTML is in
//! [`super::html`], header matching in [`super::header`], column alignment
//! in [`super::columns`]; they are re-exported here for existing callers.

use chrono::{DateTime, NaiveDate, TimeZone};

use super::regime::Language;

pub use super::columns::align_columns;
pub use super::header::normalize_header;
pub use super::html::{TELEGRAM_MAX_LEN, escape_html, html_to_plain, split_html, telegram_len};

/// An integer with thousands separators: vi `8.651`, en `8,651`.
pub fn int(n: i64, lang: Language) -> String {
    let sep = if lang.is_english() { ',' } else { '.' };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A number with `decimals` places: vi `83,1`, en `83.1`; thousands grouped.
pub fn decimal(x: f64, decimals: usize, lang: Language) -> String {
    if !x.is_finite() {
        return "—".to_string();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let whole: i64 = whole.parse().unwrap_or(0);
    let sign = if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    let mut out = format!("{sign}{}", int(whole, lang));
    if !frac.is_empty() {
        out.push(if lang.is_english() { '.' } else { ',' });
        out.push_str(frac);
    }
    out
}

/// A ratio as a percentage with one decimal: 0.831 → vi `83,1%`.
pub fn percent(ratio: f64, lang: Language) -> String {
    if !ratio.is_finite() {
        return "—".to_string();
    }
    format!("{}%", decimal(ratio * 100.0, 1, lang))
}

/// `05/10/2024`.
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// `17:00`.
pub fn time<Tz: TimeZone>(t: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.format("%H:%M").to_string()
}

/// vi `17:00 ngày 18/09/2024`, en `17:00 on 18/09/2024`.
pub fn time_and_date<Tz: TimeZone>(t: &DateTime<Tz>, lang: Language) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let word = if lang.is_english() { "on" } else { "ngày" };
    format!("{} {word} {}", time(t), date(t.date_naive()))
}

/// A lateness or age in words, rounded down: vi `3 ngày`, `1 ngày 16 giờ`,
/// `5 giờ`, `12 phút`. Under two days the hours are told too (`1 ngày`
/// alone would hide most of a day).
pub fn elapsed(seconds: i64, lang: Language) -> String {
    let s = seconds.max(0);
    let en = lang.is_english();
    let say = |n: i64, vi: &str, one: &str| {
        if en {
            format!("{n} {one}{}", if n == 1 { "" } else { "s" })
        } else {
            format!("{n} {vi}")
        }
    };
    if s >= 2 * 86_400 {
        say(s / 86_400, "ngày", "day")
    } else if s >= 86_400 {
        let hours = (s % 86_400) / 3_600;
        if hours == 0 {
            say(1, "ngày", "day")
        } else if en {
            format!("{} {}", say(1, "ngày", "day"), say(hours, "giờ", "hour"))
        } else {
            format!("1 ngày {hours} giờ")
        }
    } else if s >= 3_600 {
        say(s / 3_600, "giờ", "hour")
    } else {
        say((s / 60).max(1), "phút", "minute")
    }
}

/// `title` followed by the period's name, the period said once: a title that
/// ends with the words the name begins with shares them (`Báo cáo giao ban 9
/// tháng` + `9 tháng năm 2024` → `Báo cáo giao ban 9 tháng năm 2024`); else the
/// two are joined by a dash (`Báo cáo tuần — tuần 41/2024` stays readable).
pub fn title_with_period(title: &str, period_name: &str) -> String {
    let t: Vec<&str> = title.split_whitespace().collect();
    let p: Vec<&str> = period_name.split_whitespace().collect();
    let same = |a: &str, b: &str| a.to_lowercase() == b.to_lowercase();
    let overlap = (1..=t.len().min(p.len()))
        .rev()
        .find(|&k| (0..k).all(|i| same(t[t.len() - k + i], p[i])));
    match overlap {
        Some(k) if k < p.len() => format!("{} {}", t.join(" "), p[k..].join(" ")),
        _ if title.trim().is_empty() => period_name.to_string(),
        _ => format!("{} — {period_name}", title.trim()),
    }
}

/// A short, printable excerpt of text taken from a file, for a message:
/// control characters become spaces, runs of spaces one, at most `max`
/// characters, `…` when cut. Never reads past what it keeps.
pub fn excerpt(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut kept = 0;
    let mut space = false;
    for c in s.trim().chars() {
        if c.is_control() || c.is_whitespace() {
            space = true;
            continue;
        }
        if kept >= max {
            out.push('…');
            return out;
        }
        if space && !out.is_empty() {
            if kept + 1 >= max {
                out.push('…');
                return out;
            }
            out.push(' ');
            kept += 1;
        }
        space = false;
        out.push(c);
        kept += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_numbers_group_thousands_with_dots() {
        assert_eq!(int(8651, Language::Vi), "8.651");
        assert_eq!(int(1_234_567, Language::Vi), "1.234.567");
        assert_eq!(int(72, Language::Vi), "72");
        assert_eq!(int(-1000, Language::Vi), "-1.000");
        assert_eq!(int(8651, Language::En), "8,651");
    }

    #[test]
    fn rates_read_with_a_decimal_comma_in_vietnamese() {
        assert_eq!(percent(7187.0 / 8651.0, Language::Vi), "83,1%");
        assert_eq!(percent(7187.0 / 8651.0, Language::En), "83.1%");
        assert_eq!(percent(f64::NAN, Language::Vi), "—");
        assert_eq!(decimal(12345.678, 2, Language::Vi), "12.345,68");
        assert_eq!(decimal(-0.04, 1, Language::Vi), "0,0");
    }

    #[test]
    fn dates_are_day_month_year_with_leading_zeros() {
        assert_eq!(date(NaiveDate::from_ymd_opt(2024, 10, 5).unwrap()), "05/10/2024");
    }

    #[test]
    fn elapsed_time_reads_in_days_hours_or_minutes() {
        assert_eq!(elapsed(2 * 86_400 + 5, Language::Vi), "2 ngày");
        assert_eq!(elapsed(5 * 3_600, Language::Vi), "5 giờ");
        assert_eq!(elapsed(30, Language::Vi), "1 phút");
        assert_eq!(elapsed(86_400, Language::En), "1 day");
        assert_eq!(elapsed(86_400 + 16 * 3_600 + 59, Language::Vi), "1 ngày 16 giờ");
        assert_eq!(elapsed(86_400 + 3_600, Language::En), "1 day 1 hour");
        assert_eq!(elapsed(47 * 3_600, Language::En), "1 day 23 hours");
        assert_eq!(elapsed(3 * 86_400 + 20 * 3_600, Language::Vi), "3 ngày");
    }

    #[test]
    fn a_title_that_names_the_period_kind_says_the_period_once() {
        let table = [
            (
                "Báo cáo giao ban 9 tháng",
                "9 tháng năm 2024",
                "Báo cáo giao ban 9 tháng năm 2024",
            ),
            (
                "Báo cáo giao ban quý",
                "quý III năm 2024",
                "Báo cáo giao ban quý III năm 2024",
            ),
            ("Báo cáo giao ban năm", "năm 2024", "Báo cáo giao ban năm 2024"),
            ("Báo cáo tháng", "tháng 10/2024", "Báo cáo tháng 10/2024"),
            (
                "Báo cáo giao ban",
                "9 tháng năm 2024",
                "Báo cáo giao ban — 9 tháng năm 2024",
            ),
            (
                "Báo cáo giao ban 9 tháng",
                "9 months of 2024",
                "Báo cáo giao ban 9 tháng — 9 months of 2024",
            ),
        ];
        for (title, period, expected) in table {
            assert_eq!(title_with_period(title, period), expected, "{title} + {period}");
        }
    }

    #[test]
    fn an_excerpt_is_short_and_printable() {
        assert_eq!(excerpt("  Số vụ\n\t án  ", 40), "Số vụ án");
        assert_eq!(excerpt("HOME=/root\0TOKEN=123:abc", 12), "HOME=/root T…");
        assert_eq!(excerpt(&"x".repeat(1000), 5), "xxxxx…");
        assert_eq!(excerpt("abc", 3), "abc");
    }
}
