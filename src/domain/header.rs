//! Matching the headers and labels people type against the config's: case,
//! spacing, Unicode composition and tone placement do not matter.

/// A header or label reduced for matching: trimmed, lowercased, inner spaces
/// collapsed, trailing colon and surrounding quotes dropped, Unicode composed
/// (NFC: a file from macOS or the web may carry decomposed diacritics), and
/// the old tone placement of `oa`, `oe`, `uy` at a syllable's end moved to the
/// new one (`hoà` → `hòa`, `thuỷ` → `thủy`), since both are in daily use.
pub fn normalize_header(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let lowered = s.trim().trim_matches(['"', '\'', ':']).trim().to_lowercase();
    let collapsed = lowered.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_ascii() {
        // No diacritics to compose or tones to move.
        return collapsed;
    }
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
