//! Mutating commands as replayable operations: given a snapshot of the repo, an operation says
//! which user files change. [`execute`] then validates the whole repo with that change, renders,
//! writes only changed bytes, commits only those paths and pushes. Because an operation reads
//! nothing but its snapshot, it can be replayed on a fresh remote head when a push is rejected.

pub mod guild;
pub mod migrate;
pub mod tenant;

use std::collections::BTreeMap;
use std::path::Path;

use crate::apply::{self, Plan};
use crate::error::Result;
#[cfg(feature = "git")]
use crate::git::{GitRepo, Pushed};
use crate::load::Snapshot;
use crate::render::{self, Templates};
use crate::validate::{self, Schemas};

/// The user files an operation writes (`Some`) or removes (`None`), and why.
#[derive(Debug, Clone)]
pub struct Change {
    pub files: BTreeMap<String, Option<String>>,
    /// The commit message, e.g. `Add guild 123456789 (free)`.
    pub message: String,
    /// Things the user should know afterwards (not errors).
    pub notes: Vec<String>,
}

/// A mutating command's effect on the user files, computed from a snapshot alone.
pub trait Operation {
    fn change(&self, snapshot: &Snapshot) -> Result<Change>;
}

/// How far [`execute`] goes.
#[cfg(feature = "git")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Steps {
    /// Compute the plan and stop: nothing is written.
    pub dry_run: bool,
    pub commit: bool,
    pub push: bool,
}

/// What [`execute`] did.
#[cfg(feature = "git")]
#[derive(Debug)]
pub struct Outcome {
    pub plan: Plan,
    pub message: String,
    pub notes: Vec<String>,
    pub commit: Option<String>,
    pub pushed: Option<Pushed>,
}

/// Runs an operation through validate -> render -> apply -> git.
#[cfg(feature = "git")]
pub fn execute(root: &Path, operation: &dyn Operation, steps: Steps) -> Result<Outcome> {
    let snapshot = Snapshot::load(root)?;
    let remote = snapshot
        .parsed_config()
        .map(|c| c.git)
        .unwrap_or_default()
        .remote;
    let change = operation.change(&snapshot)?;
    let plan = plan_change(root, &snapshot, &change.files)?;
    let mut outcome = Outcome {
        plan,
        message: change.message,
        notes: change.notes,
        commit: None,
        pushed: None,
    };
    if steps.dry_run || outcome.plan.is_empty() {
        return Ok(outcome);
    }
    // Without a commit there may be no repository at all; where there is one, the user's
    // uncommitted edits to the files we write are protected all the same.
    let git = if steps.commit {
        Some(GitRepo::open(root)?)
    } else {
        GitRepo::open(root).ok()
    };
    if steps.commit
        && let Some(git) = &git
    {
        git.check_author()?;
    }
    if let Some(git) = &git {
        git.ensure_clean(&outcome.plan.paths())?;
    }
    apply::apply(root, &outcome.plan)?;
    if let Some(git) = git.as_ref().filter(|_| steps.commit) {
        let oid = git.commit_paths(root, &outcome.plan.paths(), &outcome.message)?;
        outcome.commit = oid.map(|o| o.to_string());
        if steps.push && outcome.commit.is_some() {
            outcome.pushed = Some(git.push(&remote)?);
        }
    }
    Ok(outcome)
}

/// Validates the snapshot with `files` changed and plans every write that follows from it:
/// the user files themselves and every generated file.
pub fn plan_change(
    root: &Path,
    snapshot: &Snapshot,
    files: &BTreeMap<String, Option<String>>,
) -> Result<Plan> {
    let next = snapshot.with_changes(files);
    let schemas = Schemas::load(root)?;
    let model = validate::validate(&next, &schemas).into_model()?;
    let desired = render::render(&model, &Templates::load(root)?)?;
    let mut wanted = apply::generated_changes(root, &desired)?;
    wanted.extend(files.clone());
    apply::plan(root, &wanted)
}
