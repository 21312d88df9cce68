//! Aligned tables for people, cut to the terminal's width when there is one.

use std::io::IsTerminal as _;

/// Prints rows (the first is the header) in aligned columns. On a terminal, lines longer than
/// its width are cut with `…`; piped output is never cut.
pub fn print_rows(rows: &[Vec<String>]) {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let width = std::io::stdout()
        .is_terminal()
        .then(|| {
            console::Term::stdout()
                .size_checked()
                .map(|(_, w)| w as usize)
        })
        .flatten();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let line = cells.join("  ").trim_end().to_string();
        match width {
            Some(width) if line.chars().count() > width && width > 1 => {
                outln!("{}…", line.chars().take(width - 1).collect::<String>());
            }
            _ => outln!("{line}"),
        }
    }
}
