//! push: pushes the current branch, e.g. after a push that failed.

use tenantctl::ExitCode;
use tenantctl::error::Result;
use tenantctl::git::GitRepo;

use super::{guild::default_remote, root};
use crate::cli::GlobalArgs;

pub fn run(global: &GlobalArgs) -> Result<ExitCode> {
    let root = root(global)?;
    let git = GitRepo::open(&root)?;
    let pushed = git.push(&default_remote(&root))?;
    if !global.quiet {
        println!(
            "pushed {} to {} ({})",
            pushed.branch, pushed.remote, pushed.url
        );
    }
    Ok(ExitCode::Ok)
}
