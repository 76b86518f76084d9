//! Telegram HTML: escaping every dynamic string, the plain text a reader
//! sees, and splitting a long message into parts Telegram accepts.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_escaped_and_the_console_sees_them_as_written() {
        let name = "<b>Tổ & \"X\"</pre>";
        let html = format!("<b>{}</b>", escape_html(name));
        assert_eq!(html, "<b>&lt;b&gt;Tổ &amp; &quot;X&quot;&lt;/pre&gt;</b>");
        assert_eq!(html_to_plain(&html), name);
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
}
