//! The tenantctl binary: parse, dispatch, print the error, exit with its code.

use clap::Parser;

mod cli;
mod commands;

fn main() {
    let cli = cli::Cli::parse();
    let code = match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            commands::output::print_error(&error);
            error.exit_code()
        }
    };
    std::process::exit(code as i32);
}
