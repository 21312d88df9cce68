//! Printing: errors and diagnostics to stderr, results to stdout. Colour only where it can be
//! seen: `--color`, then `NO_COLOR`, then whether the stream is a terminal.

use std::io::IsTerminal as _;

use console::Style;
use indicatif::{ProgressBar, ProgressStyle};
use tenantctl::operation::Outcome;
use tenantctl::{Diagnostic, Error};

use crate::cli::{ColorChoice, GlobalArgs};

/// Decides colour for stdout and stderr once, from `--color`, `NO_COLOR` and the terminals.
pub fn init_colour(choice: ColorChoice) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (stdout, stderr) = match choice {
        ColorChoice::Always => (true, true),
        ColorChoice::Never => (false, false),
        ColorChoice::Auto if no_color => (false, false),
        ColorChoice::Auto => (
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
        ),
    };
    console::set_colors_enabled(stdout);
    console::set_colors_enabled_stderr(stderr);
}

/// Prints an error: its diagnostics or diff, then one line of cause and one of what to do.
pub fn print_error(error: &Error) {
    match error {
        Error::Invalid(diagnostics) => print_diagnostics(diagnostics),
        Error::Stale { diff, .. } => eprint!("{}", colour_diff(diff, true)),
        _ => {}
    }
    let red = Style::new().for_stderr().red().bold();
    eprintln!("{} {error}", red.apply_to("error:"));
    if let Error::Other(inner) = error {
        for cause in inner.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
    }
    if let Some(hint) = error.hint() {
        eprintln!(
            "  {} {hint}",
            Style::new().for_stderr().cyan().apply_to("hint:")
        );
    }
}

/// Prints diagnostics in the human format to stderr, the severity coloured.
pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let error = Style::new().for_stderr().red().bold();
    let warning = Style::new().for_stderr().yellow().bold();
    for diagnostic in diagnostics {
        let text = diagnostic.render_human();
        let text = text
            .replacen(": error[", &format!(": {}[", error.apply_to("error")), 1)
            .replacen(
                ": warning[",
                &format!(": {}[", warning.apply_to("warning")),
                1,
            );
        eprintln!("{text}");
    }
}

/// Colours a unified diff's added and removed lines, for stdout or stderr.
pub fn colour_diff(diff: &str, for_stderr: bool) -> String {
    let style = |s: Style| {
        if for_stderr {
            s.for_stderr()
        } else {
            s.for_stdout()
        }
    };
    diff.lines()
        .map(|line| {
            let styled = if line.starts_with("+++") || line.starts_with("---") {
                style(Style::new().bold()).apply_to(line).to_string()
            } else if line.starts_with('+') {
                style(Style::new().green()).apply_to(line).to_string()
            } else if line.starts_with('-') {
                style(Style::new().red()).apply_to(line).to_string()
            } else if line.starts_with("@@") {
                style(Style::new().cyan()).apply_to(line).to_string()
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
        print!("{}", colour_diff(&outcome.plan.unified_diff(), false));
    }
    if global.dry_run {
        println!(
            "dry run: {} file(s) would change; nothing was written",
            outcome.plan.changes.len()
        );
        return;
    }
    let dim = Style::new().dim();
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
    if outcome.attempts > 1 {
        println!(
            "others pushed first: replayed on the remote's new head ({} attempts)",
            outcome.attempts
        );
    }
    match (&outcome.pushed, &outcome.review) {
        (Some(pushed), Some(review)) => {
            println!(
                "pushed review branch {} to {} ({}); {} is unchanged",
                review.branch, pushed.remote, pushed.url, review.target
            );
            match &review.url {
                Some(url) => println!("open the pull request: {url}"),
                None => println!(
                    "open a pull request from {} into {}",
                    review.branch, review.target
                ),
            }
        }
        (Some(pushed), None) => println!(
            "pushed {} to {} ({})",
            pushed.branch, pushed.remote, pushed.url
        ),
        (None, Some(review)) => println!(
            "created branch {} (not pushed); push it with `git push -u origin {}`",
            review.branch, review.branch
        ),
        (None, None) if outcome.commit.is_some() => {
            println!("not pushed (--no-push or --offline); push later with `tenantctl push`")
        }
        (None, None) => {}
    }
    if let Some(pushed) = &outcome.pushed
        && global.verbose
    {
        for line in &pushed.remote_messages {
            println!("remote: {line}");
        }
    }
    for note in &outcome.notes {
        println!("note: {note}");
    }
}

/// A progress bar on stderr for reading many files: hidden when stderr is no terminal, with -q,
/// or for a repo small enough to be read in a blink.
pub struct Progress {
    bar: ProgressBar,
    quiet: bool,
}

impl Progress {
    /// Repos with fewer guild files than this finish too fast for a bar to help.
    const MIN_FILES: usize = 200;

    pub fn new(global: &GlobalArgs, verb: &'static str) -> Progress {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} files")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(verb);
        Progress {
            bar,
            quiet: global.quiet || !std::io::stderr().is_terminal(),
        }
    }

    /// The callback the library's loader calls: `Some(total)` first, then once per file.
    pub fn tick(&self, total: Option<usize>) {
        match total {
            Some(total) => {
                if !self.quiet && total >= Self::MIN_FILES {
                    self.bar
                        .set_draw_target(indicatif::ProgressDrawTarget::stderr());
                }
                self.bar.set_length(total as u64);
            }
            None => self.bar.inc(1),
        }
    }

    /// Leaves the finished bar on screen, so a person sees what was read.
    pub fn finish(&self) {
        self.bar.finish();
    }
}
