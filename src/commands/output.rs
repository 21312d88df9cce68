//! Printing: errors and diagnostics to stderr, results to stdout, colour only on a terminal.

use console::Style;
use tenantctl::operation::Outcome;
use tenantctl::{Diagnostic, Error};

use crate::cli::GlobalArgs;

/// Whether stderr gets colour: a terminal, and NO_COLOR unset.
fn colour_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none() && console::Term::stderr().features().colors_supported()
}

fn colour_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none() && console::Term::stdout().features().colors_supported()
}

fn style(enabled: bool, style: Style) -> Style {
    if enabled {
        style.force_styling(true)
    } else {
        Style::new().force_styling(false)
    }
}

/// Prints an error: its diagnostics or diff, then one line of cause and one of what to do.
pub fn print_error(error: &Error) {
    let red = style(colour_stderr(), Style::new().red().bold());
    match error {
        Error::Invalid(diagnostics) => print_diagnostics(diagnostics),
        Error::Stale { diff, .. } => eprint!("{}", colour_diff(diff, colour_stderr())),
        _ => {}
    }
    eprintln!("{} {error}", red.apply_to("error:"));
    if let Error::Other(inner) = error {
        for cause in inner.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
    }
    if let Some(hint) = error.hint() {
        eprintln!("  hint: {hint}");
    }
}

/// Prints diagnostics in the human format to stderr.
pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        eprintln!("{}", diagnostic.render_human());
    }
}

/// Colours a unified diff's added and removed lines.
pub fn colour_diff(diff: &str, enabled: bool) -> String {
    if !enabled {
        return diff.to_string();
    }
    diff.lines()
        .map(|line| {
            let styled = if line.starts_with("+++") || line.starts_with("---") {
                Style::new()
                    .bold()
                    .force_styling(true)
                    .apply_to(line)
                    .to_string()
            } else if line.starts_with('+') {
                Style::new()
                    .green()
                    .force_styling(true)
                    .apply_to(line)
                    .to_string()
            } else if line.starts_with('-') {
                Style::new()
                    .red()
                    .force_styling(true)
                    .apply_to(line)
                    .to_string()
            } else if line.starts_with("@@") {
                Style::new()
                    .cyan()
                    .force_styling(true)
                    .apply_to(line)
                    .to_string()
            } else {
                line.to_string()
            };
            styled + "\n"
        })
        .collect()
}

/// Prints what a mutating command did (or, with --dry-run, would do).
pub fn print_outcome(global: &GlobalArgs, outcome: &Outcome) {
    if global.quiet {
        return;
    }
    if outcome.plan.is_empty() {
        println!("nothing to change");
        return;
    }
    if global.dry_run || global.verbose {
        print!(
            "{}",
            colour_diff(&outcome.plan.unified_diff(), colour_stdout())
        );
    }
    if global.dry_run {
        println!(
            "dry run: {} file(s) would change; nothing was written",
            outcome.plan.changes.len()
        );
        return;
    }
    let dim = style(colour_stdout(), Style::new().dim());
    for change in &outcome.plan.changes {
        println!("{:>8} {}", change.verb(), change.path);
    }
    match &outcome.commit {
        Some(commit) => println!(
            "committed {} {}",
            &commit[..12.min(commit.len())],
            dim.apply_to(outcome.message.lines().next().unwrap_or(""))
        ),
        None => println!("not committed (--no-commit)"),
    }
    if let Some(pushed) = &outcome.pushed {
        println!(
            "pushed {} to {} ({})",
            pushed.branch, pushed.remote, pushed.url
        );
    } else if outcome.commit.is_some() {
        println!("not pushed (--no-push); push later with `tenantctl push`");
    }
    for note in &outcome.notes {
        println!("note: {note}");
    }
}
