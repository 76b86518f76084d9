//! Formatting for officials (`8.651`, `83,1%`, `05/10/2024`, `17:00`) and the
//! HTML escaping every dynamic string gets before it reaches Telegram.

use chrono::{DateTime, NaiveDate, TimeZone};

use super::regime::Language;

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

/// A lateness or age in words, rounded down: vi `2 ngày`, `5 giờ`, `12 phút`.
pub fn elapsed(seconds: i64, lang: Language) -> String {
    let s = seconds.max(0);
    let (n, vi, en) = if s >= 86_400 {
        (s / 86_400, "ngày", "day")
    } else if s >= 3_600 {
        (s / 3_600, "giờ", "hour")
    } else {
        ((s / 60).max(1), "phút", "minute")
    };
    if lang.is_english() {
        format!("{n} {en}{}", if n == 1 { "" } else { "s" })
    } else {
        format!("{n} {vi}")
    }
}

/// Escapes `&`, `<`, `>` and `"` for Telegram's HTML parse mode.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The text a reader sees of a Telegram HTML message: tags dropped, the four
/// entities we write decoded. Used by the console courier.
pub fn html_to_plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => rest = &rest[end + 1..],
                None => {
                    out.push_str(rest);
                    rest = "";
                }
            }
        } else {
            let (entity, ch) = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"')]
                .into_iter()
                .find(|(e, _)| rest.starts_with(e))
                .unwrap_or(("&", '&'));
            out.push(ch);
            rest = &rest[entity.len()..];
        }
    }
    out.push_str(rest);
    out
}

/// A header or label reduced for matching: trimmed, lowercased, inner spaces
/// collapsed, trailing colon and surrounding quotes dropped, Unicode composed
/// (NFC: a file from macOS or the web may carry decomposed diacritics), and
/// the old tone placement of `oa`, `oe`, `uy` at a syllable's end moved to the
/// new one (`hoà` → `hòa`, `thuỷ` → `thủy`), since both are in daily use.
pub fn normalize_header(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let lowered = s.trim().trim_matches(['"', '\'', ':']).trim().to_lowercase();
    let collapsed = lowered.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars: Vec<char> = collapsed.nfd().collect();
    let is_tone = |c: char| matches!(c, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}');
    let mut i = 1;
    while i + 1 < chars.len() {
        let pair = (chars[i - 1], chars[i]);
        let old_style = matches!(pair, ('o', 'a') | ('o', 'e') | ('u', 'y'))
            && is_tone(chars[i + 1])
            && chars.get(i + 2).is_none_or(|c| !c.is_alphanumeric())
            && !(pair.0 == 'u' && i >= 2 && chars[i - 2] == 'q');
        if old_style {
            // o a ◌̀ → o ◌̀ a
            chars.swap(i, i + 1);
        }
        i += 1;
    }
    chars.into_iter().nfc().collect()
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
    fn hostile_names_are_escaped_and_the_console_sees_them_as_written() {
        let name = "<b>Tổ & \"X\"</pre>";
        let html = format!("<b>{}</b>", escape_html(name));
        assert_eq!(html, "<b>&lt;b&gt;Tổ &amp; &quot;X&quot;&lt;/pre&gt;</b>");
        assert_eq!(html_to_plain(&html), name);
    }

    #[test]
    fn elapsed_time_reads_in_days_hours_or_minutes() {
        assert_eq!(elapsed(2 * 86_400 + 5, Language::Vi), "2 ngày");
        assert_eq!(elapsed(5 * 3_600, Language::Vi), "5 giờ");
        assert_eq!(elapsed(30, Language::Vi), "1 phút");
        assert_eq!(elapsed(86_400, Language::En), "1 day");
    }

    #[test]
    fn headers_match_regardless_of_case_and_spacing() {
        assert_eq!(normalize_header("  Số vụ  án Thụ lý: "), "số vụ án thụ lý");
    }

    #[test]
    fn decomposed_diacritics_and_old_tone_placement_match_the_usual_spelling() {
        let decomposed = "So\u{302}\u{301} vu\u{323} a\u{301}n thu\u{323} ly\u{301}";
        assert_eq!(normalize_header(decomposed), "số vụ án thụ lý");
        assert_eq!(
            normalize_header("Thị xã Hoà Thành"),
            normalize_header("Thị xã Hòa Thành")
        );
        assert_eq!(normalize_header("Thuỷ lợi"), "thủy lợi");
        assert_eq!(normalize_header("khoẻ"), "khỏe");
        // A tone inside a syllable, or after qu, stays where it is.
        assert_eq!(normalize_header("Hoàng"), "hoàng");
        assert_eq!(normalize_header("quý"), "quý");
    }
}
