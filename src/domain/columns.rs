//! Aligned text tables for a monospace font (the chat's blocks, `status`,
//! `cases`).

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
