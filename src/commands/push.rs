//! push: pushes the current branch, e.g. after a push that failed.

use tenantctl::ExitCode;
use tenantctl::error::Result;
use tenantctl::git::GitRepo;

use super::root;
use crate::cli::GlobalArgs;

pub fn run(global: &GlobalArgs) -> Result<ExitCode> {
    let root = root(global)?;
    let git = GitRepo::open(&root)?;
    let remote = tenantctl::load::read_config(&root)
        .map(|c| c.git)
        .unwrap_or_default()
        .remote;
    let pushed = git.push(&remote)?;
    if !global.quiet {
        println!(
            "pushed {} to {} ({})",
            pushed.branch, pushed.remote, pushed.url
        );
    }
    Ok(ExitCode::Ok)
}
