//! Printing: errors and diagnostics to stderr, results to stdout. Colour only where it can be
//! seen: `--color`, then `NO_COLOR`, then whether the stream is a terminal.

use std::io::{IsTerminal as _, Write as _};

use console::Style;
use indicatif::{ProgressBar, ProgressStyle};
use tenantctl::operation::Outcome;
use tenantctl::{Diagnostic, Error};

use crate::cli::{ColorChoice, GlobalArgs};

/// What became of stdout: a closed pipe or another failure ends the *output*, never the
/// command, so a mutating command still finishes its work (and a command's own exit code, such
/// as `render --check`'s 1, is kept).
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static STDOUT_FAILED: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);

/// Writes to stdout. A closed pipe (`tenantctl list | head -1`) discards the rest of the output
/// quietly, as ripgrep does: the reader has all it wanted. Any other failure to write (a full
/// disk) is kept for [`finish`], which makes it an I/O error, exit 4.
pub fn write_stdout(args: std::fmt::Arguments) {
    write_with(|out| out.write_fmt(args));
}

/// Writes bytes to stdout, with the same policy as [`write_stdout`].
pub fn write_stdout_bytes(bytes: &[u8]) {
    write_with(|out| out.write_all(bytes));
}

fn write_with(write: impl FnOnce(&mut std::io::StdoutLock) -> std::io::Result<()>) {
    if stdout_gone() {
        return;
    }
    if let Err(error) = write(&mut std::io::stdout().lock()) {
        stdout_failed(error);
    }
}

/// Whether output to stdout has ended (closed by its reader, or failed).
fn stdout_gone() -> bool {
    STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
        || STDOUT_FAILED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
}

/// Notes that stdout failed: a closed pipe quietly, anything else for [`finish`] to report.
pub fn stdout_failed(error: std::io::Error) {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    } else {
        STDOUT_FAILED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(error);
    }
}

/// Flushes stdout and gives the exit code: the command's own, unless stdout failed otherwise
/// than by a closed pipe while the command succeeded (exit 4, the cause printed).
pub fn finish(code: tenantctl::ExitCode) -> i32 {
    if !stdout_gone()
        && let Err(error) = std::io::stdout().lock().flush()
    {
        stdout_failed(error);
    }
    let failed = STDOUT_FAILED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    match failed {
        Some(error) if code == tenantctl::ExitCode::Ok => {
            let error = Error::from(anyhow::Error::new(error).context("writing to stdout"));
            print_error(&error);
            error.exit_code() as i32
        }
        _ => code as i32,
    }
}

/// `print!` to stdout through [`write_stdout`]: never panics on a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::commands::output::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` to stdout through [`write_stdout`]: never panics on a closed pipe.
macro_rules! outln {
    () => {
        $crate::commands::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::commands::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

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
    for cause in error.causes() {
        eprintln!("  caused by: {cause}");
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
        outln!("nothing to change");
        return;
    }
    if global.dry_run || global.verbose {
        out!("{}", colour_diff(&outcome.plan.unified_diff(), false));
    }
    if global.dry_run {
        outln!(
            "dry run: {} file(s) would change; nothing was written",
            outcome.plan.changes.len()
        );
        return;
    }
    let dim = Style::new().dim();
    for change in &outcome.plan.changes {
        outln!("{:>8} {}", change.verb(), change.path);
    }
    match &outcome.commit {
        Some(commit) => outln!(
            "committed {} {}",
            &commit[..12.min(commit.len())],
            dim.apply_to(outcome.message.lines().next().unwrap_or(""))
        ),
        None => outln!("not committed (--no-commit)"),
    }
    if outcome.attempts > 1 {
        outln!(
            "others pushed first: replayed on the remote's new head ({} attempts)",
            outcome.attempts
        );
    }
    match (&outcome.pushed, &outcome.review) {
        (Some(pushed), Some(review)) => {
            outln!(
                "pushed review branch {} to {} ({}); {} is unchanged",
                review.branch,
                pushed.remote,
                pushed.url,
                review.target
            );
            match &review.url {
                Some(url) => outln!("open the pull request: {url}"),
                None => outln!(
                    "open a pull request from {} into {}",
                    review.branch,
                    review.target
                ),
            }
        }
        (Some(pushed), None) => outln!(
            "pushed {} to {} ({})",
            pushed.branch,
            pushed.remote,
            pushed.url
        ),
        (None, Some(review)) => outln!(
            "created branch {} (not pushed); push it with `git push -u origin {}`",
            review.branch,
            review.branch
        ),
        (None, None) if outcome.commit.is_some() => {
            outln!("not pushed (--no-push or --offline); push later with `tenantctl push`")
        }
        (None, None) => {}
    }
    if let Some(pushed) = &outcome.pushed
        && global.verbose
    {
        for line in &pushed.remote_messages {
            outln!("remote: {line}");
        }
    }
    for note in &outcome.notes {
        outln!("note: {note}");
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
