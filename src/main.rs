//! The tenantctl binary: parse, dispatch, print the error, exit with its code.

use clap::{CommandFactory, FromArgMatches};

mod cli;
mod commands;

/// `tenantctl --version`: the crate version and the commit it was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("TENANTCTL_COMMIT"),
    ")"
);

fn main() {
    let matches = cli::Cli::command()
        .version(VERSION)
        .try_get_matches()
        .unwrap_or_else(|e| exit_clap(e));
    let cli = cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    commands::output::init_colour(cli.global.color);
    let code = match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            commands::output::print_error(&error);
            error.exit_code()
        }
    };
    std::process::exit(commands::output::finish(code));
}

/// `--help`, `--version` and usage errors, printed by clap; stdout that fails (a closed pipe)
/// follows the policy of every other command's output.
fn exit_clap(error: clap::Error) -> ! {
    if error.use_stderr() {
        error.exit()
    }
    if let Err(io) = error.print() {
        commands::output::stdout_failed(io);
    }
    let code = commands::output::finish(tenantctl::ExitCode::Ok);
    std::process::exit(if code == 0 { error.exit_code() } else { code })
}
