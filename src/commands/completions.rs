//! completions and man: shell completion scripts and the man page generated at build time.

use clap::CommandFactory;
use tenantctl::ExitCode;
use tenantctl::error::Result;

use crate::cli::{Cli, Shell};

pub fn completions(shell: Shell) -> Result<ExitCode> {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    // Into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tenantctl", &mut script);
    crate::commands::output::write_stdout_bytes(&script);
    Ok(ExitCode::Ok)
}

/// The man page, rendered from the clap definition by build.rs.
const MAN_PAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tenantctl.1"));

pub fn man() -> Result<ExitCode> {
    crate::commands::output::write_stdout_bytes(MAN_PAGE);
    Ok(ExitCode::Ok)
}
