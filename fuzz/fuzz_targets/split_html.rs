#![no_main]
// The HTML splitter, on HTML as the renderer makes it (escaped text inside
// b/i/code tags): every part fits the limit, every tag opened in a part is
// closed in it, and no text is lost.
use libfuzzer_sys::fuzz_target;

use giaoban::domain::text::{escape_html, html_to_plain, split_html, telegram_len};

const TAGS: [&str; 4] = ["b", "i", "code", "u"];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let max = 64 + usize::from(first) * 16;
    let mut html = String::new();
    for (i, piece) in text.split('\u{1}').enumerate() {
        match i % 5 {
            4 => html.push_str(&escape_html(piece)),
            k => {
                let tag = TAGS[k];
                html.push_str(&format!("<{tag}>{}</{tag}>", escape_html(piece)));
            }
        }
    }
    let parts = split_html(&html, max);
    for part in &parts {
        assert!(telegram_len(part) <= max, "a part of {} > {max}", telegram_len(part));
        assert!(balanced(part), "unbalanced part {part:?}");
    }
    let whole: String = html_to_plain(&html).chars().filter(|c| !c.is_whitespace()).collect();
    let joined: String = parts
        .iter()
        .map(|p| html_to_plain(p))
        .collect::<String>()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert_eq!(whole, joined, "text lost or changed by the split");
});

fn balanced(part: &str) -> bool {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = part;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else {
            return false;
        };
        let tag = &rest[start + 1..start + end];
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop().as_deref() != Some(name) {
                return false;
            }
        } else {
            stack.push(tag.split_whitespace().next().unwrap_or("").to_string());
        }
        rest = &rest[start + end + 1..];
    }
    stack.is_empty()
}
