//! diff: how the generated files on disk differ from what the config renders to.

use tenantctl::ExitCode;
use tenantctl::error::Result;
use tenantctl::load::Snapshot;

use super::{output, root};
use crate::cli::GlobalArgs;

pub fn run(global: &GlobalArgs) -> Result<ExitCode> {
    let root = root(global)?;
    let plan = tenantctl::drift::drift_of_repo(&root, &Snapshot::load(&root)?)?;
    if !global.quiet {
        for note in &plan.notes {
            outln!("note: {note}");
        }
    }
    if plan.is_empty() {
        if !global.quiet {
            outln!("no difference: the generated files are current");
        }
    } else {
        out!("{}", output::colour_diff(&plan.unified_diff(), false));
    }
    Ok(ExitCode::Ok)
}
