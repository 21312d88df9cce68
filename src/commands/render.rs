//! render: writes the generated files whose bytes differ; --check only compares.

use tenantctl::ExitCode;
use tenantctl::apply;
use tenantctl::error::{Error, Result};
use tenantctl::load::Snapshot;

use super::{output, root};

const PROGRESS_VERB: &str = "rendering";
use crate::cli::GlobalArgs;

pub fn run(global: &GlobalArgs, check: bool) -> Result<ExitCode> {
    let root = root(global)?;
    // Writing shares the work tree with other tenantctl processes: take the clone's lock.
    let git = (!check && !global.dry_run)
        .then(|| tenantctl::git::GitRepo::open(&root).ok())
        .flatten();
    let _lock = match &git {
        Some(git) => {
            let wait = tenantctl::load::read_config(&root)
                .map(|c| c.git.lock_timeout_seconds)
                .unwrap_or(120);
            Some(git.lock_for_writing(&root, "render", std::time::Duration::from_secs(wait))?)
        }
        None => None,
    };
    let progress = output::Progress::new(global, PROGRESS_VERB);
    let snapshot = Snapshot::load_with_progress(&root, &|n| progress.tick(n))?;
    progress.finish();
    let plan = tenantctl::drift::drift_of_repo(&root, &snapshot)?;
    if !global.quiet {
        for note in &plan.notes {
            outln!("note: {note}");
        }
    }
    if check {
        if plan.is_empty() {
            if !global.quiet {
                outln!("rendered files are up to date");
            }
            return Ok(ExitCode::Ok);
        }
        return Err(Error::Stale {
            count: plan.changes.len(),
            diff: plan.unified_diff(),
        });
    }
    if global.dry_run || global.verbose {
        out!("{}", output::colour_diff(&plan.unified_diff(), false));
    }
    if !global.dry_run {
        apply::apply(&root, &plan)?;
    }
    if !global.quiet {
        for change in &plan.changes {
            outln!("{:>8} {}", change.verb(), change.path);
        }
        if plan.is_empty() {
            outln!("rendered files are up to date");
        }
    }
    Ok(ExitCode::Ok)
}
