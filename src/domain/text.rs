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

/// Telegram's limit on a message's length.
pub const TELEGRAM_MAX_LEN: usize = 4096;

/// A message's length as Telegram counts it (UTF-16 code units). Counting the
/// HTML source, tags included, errs on the safe side.
pub fn telegram_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// One piece of Telegram HTML that must not be cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Open {
        name: &'a str,
        raw: &'a str,
    },
    Close {
        name: &'a str,
        raw: &'a str,
    },
    /// A character or an entity such as `&amp;`.
    Text(&'a str),
}

impl<'a> Token<'a> {
    fn raw(&self) -> &'a str {
        match self {
            Token::Open { raw, .. } | Token::Close { raw, .. } | Token::Text(raw) => raw,
        }
    }
}

fn tag_name(inner: &str) -> &str {
    let end = inner
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(inner.len());
    &inner[..end]
}

fn tokenize(html: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        let len = if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => {
                    let raw = &rest[..=end];
                    if let Some(inner) = raw[1..].strip_prefix('/') {
                        out.push(Token::Close {
                            name: tag_name(inner),
                            raw,
                        });
                    } else {
                        out.push(Token::Open {
                            name: tag_name(&raw[1..]),
                            raw,
                        });
                    }
                    raw.len()
                }
                None => push_char(&mut out, rest),
            }
        } else if let Some(after) = rest.strip_prefix('&') {
            // An entity is `&name;` or `&#123;` of at most a few characters.
            match after.find(';').filter(|&e| e <= 10) {
                Some(e) if after[..e].chars().all(|c| c.is_ascii_alphanumeric() || c == '#') => {
                    out.push(Token::Text(&rest[..e + 2]));
                    e + 2
                }
                _ => push_char(&mut out, rest),
            }
        } else {
            push_char(&mut out, rest)
        };
        i += len;
    }
    out
}

fn push_char<'a>(out: &mut Vec<Token<'a>>, rest: &'a str) -> usize {
    let n = rest.chars().next().map_or(1, char::len_utf8);
    out.push(Token::Text(&rest[..n]));
    n
}

fn is_combining(s: &str) -> bool {
    s.chars().next().is_some_and(|c| {
        matches!(c as u32, 0x0300..=0x036F | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x200D)
    })
}

fn closers(stack: &[Token<'_>]) -> String {
    stack
        .iter()
        .rev()
        .map(|t| match t {
            Token::Open { name, .. } => format!("</{name}>"),
            _ => String::new(),
        })
        .collect()
}

fn apply<'a>(stack: &mut Vec<Token<'a>>, t: Token<'a>) {
    match t {
        Token::Open { .. } => stack.push(t),
        Token::Close { name, .. } => {
            if let Some(pos) = stack
                .iter()
                .rposition(|o| matches!(o, Token::Open { name: n, .. } if *n == name))
            {
                stack.truncate(pos);
            }
        }
        Token::Text(_) => {}
    }
}

/// Splits Telegram HTML into messages of at most `max` characters (as
/// [`telegram_len`] counts them): at a line break when one fits, else at a
/// space, else between two characters; never inside a tag or an entity. Tags
/// open at a cut are closed at the end of one part and reopened at the start
/// of the next, so each part is valid on its own. The line break or space at
/// a cut is dropped.
pub fn split_html(html: &str, max: usize) -> Vec<String> {
    if telegram_len(html) <= max {
        return vec![html.to_string()];
    }
    let tokens = tokenize(html);
    let mut parts = Vec::new();
    let mut start = 0;
    let mut open_at_start: Vec<Token<'_>> = Vec::new();
    while start < tokens.len() {
        let mut stack = open_at_start.clone();
        let mut len: usize = open_at_start.iter().map(|t| telegram_len(t.raw())).sum();
        // Cut points after token i: (end index, open tags there, drop the last token).
        let (mut at_line, mut at_space, mut anywhere) = (None, None, None);
        let mut i = start;
        while i < tokens.len() {
            let t = tokens[i];
            let mut next = stack.clone();
            apply(&mut next, t);
            let grown = len + telegram_len(t.raw());
            if grown + telegram_len(&closers(&next)) > max && i > start {
                break;
            }
            len = grown;
            stack = next;
            i += 1;
            match t {
                Token::Text("\n") => at_line = Some((i, stack.clone(), true)),
                Token::Text(" ") => at_space = Some((i, stack.clone(), true)),
                _ => {}
            }
            if tokens.get(i).is_none_or(|n| !is_combining(n.raw())) {
                anywhere = Some((i, stack.clone(), false));
            }
        }
        let (end, open_at_end, drop_last) = if i == tokens.len() {
            (i, stack, false)
        } else {
            match at_line.or(at_space).or(anywhere) {
                Some(cut) => cut,
                None => (i, stack, false),
            }
        };
        let body_end = if drop_last { end - 1 } else { end };
        let mut part: String = open_at_start.iter().map(|t| t.raw()).collect();
        part.extend(tokens[start..body_end].iter().map(|t| t.raw()));
        part.push_str(&closers(&open_at_end));
        if !html_to_plain(&part).trim().is_empty() {
            parts.push(part);
        }
        start = end;
        open_at_start = open_at_end;
    }
    parts
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

/// Rows of cells as aligned text lines: columns from `right_from` on are
/// right-aligned (figures), the others left-aligned; cells are joined by two
/// spaces and trailing blanks are cut. Widths count characters, so
/// Vietnamese diacritics line up in a monospace font.
pub fn align_columns(rows: &[Vec<String>], right_from: usize) -> Vec<String> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = " ".repeat(widths[i].saturating_sub(c.chars().count()));
                    if i >= right_from {
                        format!("{pad}{c}")
                    } else {
                        format!("{c}{pad}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect()
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
    fn headers_match_regardless_of_case_and_spacing() {
        assert_eq!(normalize_header("  Số vụ  án Thụ lý: "), "số vụ án thụ lý");
    }
    fn balanced(part: &str) -> bool {
        let mut stack = Vec::new();
        for t in tokenize(part) {
            match t {
                Token::Open { name, .. } => stack.push(name),
                Token::Close { name, .. } => {
                    if stack.pop() != Some(name) {
                        return false;
                    }
                }
                Token::Text(_) => {}
            }
        }
        stack.is_empty()
    }

    #[test]
    fn a_short_message_is_one_part() {
        assert_eq!(
            split_html("<b>Nhắc nhở</b>: x", 4096),
            vec!["<b>Nhắc nhở</b>: x".to_string()]
        );
    }

    #[test]
    fn long_messages_split_at_line_breaks_and_keep_every_line() {
        let lines: Vec<String> = (0..300).map(|i| format!("• Đơn vị số {i} (@donvi{i})")).collect();
        let html = format!("<b>Quá hạn</b>\n{}", lines.join("\n"));
        let parts = split_html(&html, 1000);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(telegram_len(p) <= 1000, "{}", telegram_len(p));
            assert!(balanced(p), "{p}");
        }
        // Cut only at line breaks: rejoining with them gives the message back.
        assert_eq!(parts.join("\n"), html);
    }

    #[test]
    fn a_tag_open_across_a_cut_is_closed_and_reopened() {
        let body: Vec<String> = (0..50).map(|i| format!("dòng {i}")).collect();
        let html = format!(
            "<pre>{}</pre> <a href=\"https://x.vn/?a=1&amp;b=2\">liên kết</a>",
            body.join("\n")
        );
        let parts = split_html(&html, 120);
        assert!(parts.len() > 2);
        for p in &parts {
            assert!(telegram_len(p) <= 120);
            assert!(balanced(p), "{p}");
        }
        assert!(parts[1].starts_with("<pre>"), "{}", parts[1]);
        assert!(parts[0].ends_with("</pre>"), "{}", parts[0]);
        let plain: Vec<String> = parts.iter().map(|p| html_to_plain(p)).collect();
        assert_eq!(
            plain.join("\n").replace('\n', " "),
            html_to_plain(&html).replace('\n', " ")
        );
    }

    #[test]
    fn a_line_longer_than_the_limit_is_cut_at_a_space_never_inside_an_entity_or_tag() {
        let word = "Tân&amp;Châu <i>&lt;b&gt;</i> ";
        let html = word.repeat(400);
        assert!(telegram_len(&html) > 4096);
        let parts = split_html(&html, 4096);
        assert!(parts.len() >= 3);
        for p in &parts {
            assert!(telegram_len(p) <= 4096);
            assert!(balanced(p), "{p}");
            // Every `&` starts a whole entity, every `<` a whole tag.
            for (i, _) in p.match_indices('&') {
                let rest = &p[i..];
                assert!(
                    rest.starts_with("&amp;") || rest.starts_with("&lt;") || rest.starts_with("&gt;"),
                    "{rest}"
                );
            }
            assert_eq!(p.matches('<').count(), p.matches('>').count());
        }
        let plain: String = parts.iter().map(|p| html_to_plain(p)).collect::<Vec<_>>().join(" ");
        assert_eq!(plain.trim_end(), html_to_plain(&html).trim_end());
    }

    #[test]
    fn a_line_without_spaces_is_cut_between_characters_not_inside_one() {
        let html = format!("<b>{}</b>", "Việt".repeat(2000));
        let parts = split_html(&html, 4096);
        assert_eq!(parts.len(), 2);
        for p in &parts {
            assert!(telegram_len(p) <= 4096);
            assert!(p.starts_with("<b>") && p.ends_with("</b>"), "{p}");
        }
        let plain: String = parts.iter().map(|p| html_to_plain(p)).collect();
        assert_eq!(plain, "Việt".repeat(2000));
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
