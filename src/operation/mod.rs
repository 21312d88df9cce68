//! Mutating commands as replayable operations: given a snapshot of the repo, an operation says
//! which user files change. [`execute`] then validates the whole repo with that change, renders,
//! and commits exactly those paths on top of the remote's head; when someone else pushed first,
//! it fetches and replays the operation on the new head (re-validating and re-rendering: the
//! other writer may have taken the ID or changed the ApplicationSet), up to
//! `git.pushAttempts` times, with jittered backoff.
//!
//! Inputs are read from the commit built on, never from the work tree: an uncommitted edit to
//! `tenantctl.yaml` or a template cannot leak into a commit about something else. The clone's
//! branch and work tree move only after the remote took the push (`git reset --keep`), so a
//! command killed at any moment leaves the clone as it was before or as it is after.

pub mod guild;
pub mod in_place;
pub mod migrate;
pub mod place;
pub mod placement;
pub mod secret;
pub mod tenant;

#[cfg(feature = "git")]
mod execute;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::apply::{self, Plan};
use crate::error::Result;
use crate::load::Snapshot;
use crate::render::{self, Templates};
use crate::source::{Disk, Source};
use crate::validate::{self, Schemas};

#[cfg(feature = "git")]
pub use execute::{Outcome, Review, Steps, execute};

/// The user files an operation writes (`Some`) or removes (`None`), and why.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub files: BTreeMap<String, Option<String>>,
    /// The commit message, e.g. `Add guild 123456789 (free)`.
    pub message: String,
    /// Things the user should know afterwards (not errors).
    pub notes: Vec<String>,
    /// `Guild-Id: 1`, `Tier: free`: trailers that make `git log --grep` an audit trail.
    pub trailers: Vec<(String, String)>,
    /// The guild or tenant ID the change is about (review branch names use it).
    pub id: String,
}

impl Change {
    /// The commit message with its trailers and `Generated-By`.
    pub fn commit_message(&self) -> String {
        let mut message = self.message.trim_end().to_string();
        message += "\n\n";
        for (key, value) in &self.trailers {
            message += &format!("{key}: {value}\n");
        }
        message += &format!("Generated-By: tenantctl {}\n", env!("CARGO_PKG_VERSION"));
        message
    }
}

/// A mutating command's effect on the user files, computed from a snapshot alone.
pub trait Operation {
    /// The command's name, e.g. `create-guild` (for locks and review branch names).
    fn name(&self) -> &'static str;
    fn change(&self, snapshot: &Snapshot) -> Result<Change>;
}

/// Validates the snapshot with `files` changed and plans every write that follows from it:
/// the user files themselves and every generated file, against the working tree at `root`.
pub fn plan_change(
    root: &Path,
    snapshot: &Snapshot,
    files: &BTreeMap<String, Option<String>>,
) -> Result<Plan> {
    let (wanted, notes, unchanged) = desired_state(&Disk::new(root), snapshot, files, false)?;
    let mut plan = apply::plan_owning(root, wanted, &unchanged)?;
    plan.notes = notes;
    Ok(plan)
}

/// What the repo should hold once `files` change: those files and every generated file (text,
/// or `None` for a generated file that must go); a note for each file in a generated folder
/// that tenantctl did not generate and so leaves as it is; and the generated paths whose file
/// in `source` holds its wanted text already (never the user files in `files`). Templates,
/// schemas and existing generated files are read from `source`, the same place the snapshot
/// came from. A symbolic link, or a file tenantctl did not generate, where it must write is an
/// error (E102, E103): nothing is written.
///
/// With `current` (the generated files in `source` are known to be what its inputs render to,
/// see [`crate::git::GitRepo::is_verified`]) and a change to guild, tenant or secret files
/// only, just the overlays of the guilds and tenants the change touches are rendered and
/// compared, with the files about the whole repo: the result is the same.
pub fn desired_state(
    source: &dyn Source,
    snapshot: &Snapshot,
    files: &BTreeMap<String, Option<String>>,
    current: bool,
) -> Result<(apply::Wanted, Vec<String>, BTreeSet<String>)> {
    let next = snapshot.with_changes(files);
    let schemas = Schemas::load_from(source)?;
    let touched = if current {
        touched_overlays(snapshot, &next, files)
    } else {
        None
    };
    let model = if touched.is_some() {
        validate::validate_trusting(&next, &schemas, &|path| !files.contains_key(path))
    } else {
        validate::validate(&next, &schemas)
    }
    .into_model()?;
    let templates = Templates::load_from(source)?;
    let generated = match &touched {
        Some((guilds, tenants)) => {
            let desired = render::render_overlays(
                &model,
                &templates,
                render::Overlays::Only { guilds, tenants },
            )?;
            let dirs: Vec<String> = guilds
                .iter()
                .map(|id| crate::secret::Owner::guild(id).overlay_dir())
                .chain(
                    tenants
                        .iter()
                        .map(|id| crate::secret::Owner::tenant(id).overlay_dir()),
                )
                .collect();
            apply::generated_state_under(source, desired, &dirs, &BTreeSet::new())?
        }
        None => whole_repo(source, &model, &templates)?,
    };
    let (mut wanted, notes, mut unchanged) = generated.into_parts()?;
    for path in files.keys() {
        unchanged.remove(path);
    }
    wanted.extend(files.clone());
    Ok((wanted, notes, unchanged))
}

/// Every generated file against `source`. An overlay whose files `source` (a commit) shows to
/// be what it renders to is left out of the comparison as it is rendered, so that the whole
/// repo's rendered text is never held at once (a commit made by hand, a new tenantctl).
#[cfg(feature = "git")]
fn whole_repo(
    source: &dyn Source,
    model: &validate::Model,
    templates: &Templates,
) -> Result<apply::Generated> {
    let holds = |path: &str, id: &git2::Oid| matches!(source.holds_blob(path, id), Ok(Some(true)));
    let (overlays, current) =
        crate::drift::overlays_unless_current(model, templates, None, &holds)?;
    let mut desired = render::render_repo_files(model, templates)?;
    desired.extend(overlays);
    let all = apply::GENERATED_DIRS.map(String::from);
    apply::generated_state_under(source, desired, &all, &current)
}

/// Without git, a source is a folder: every file is rendered and compared.
#[cfg(not(feature = "git"))]
fn whole_repo(
    source: &dyn Source,
    model: &validate::Model,
    templates: &Templates,
) -> Result<apply::Generated> {
    apply::generated_state(source, render::render(model, templates)?)
}

/// The guilds and tenants (by ID) whose overlays a change of `files` from `snapshot` to
/// `next` can alter, before and after; `None` when a changed file is not a guild, tenant or
/// secret file (a change to `tenantctl.yaml` or a template can alter every overlay), or an ID
/// cannot be read.
pub fn touched_overlays(
    snapshot: &Snapshot,
    next: &Snapshot,
    files: &BTreeMap<String, Option<String>>,
) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    use crate::load::GUILDS_DIR;
    use crate::model::tenant::TENANTS_DIR;
    use crate::secret::{OwnerKind, SECRETS_DIR, parse_path};
    let mut guilds = BTreeSet::new();
    let mut tenants = BTreeSet::new();
    for path in files.keys() {
        let (before, after, into, pointer) = if path.starts_with(&format!("{GUILDS_DIR}/")) {
            let (b, a) = (snapshot.guilds.get(path), next.guilds.get(path));
            (b, a, &mut guilds, "/guild_id")
        } else if path.starts_with(&format!("{TENANTS_DIR}/")) {
            let (b, a) = (snapshot.tenants.get(path), next.tenants.get(path));
            (b, a, &mut tenants, "/spec/tenantId")
        } else if path.starts_with(&format!("{SECRETS_DIR}/")) {
            let (owner, _) = parse_path(path)?;
            match owner.kind {
                OwnerKind::Guild => guilds.insert(owner.id),
                OwnerKind::Tenant => tenants.insert(owner.id),
            };
            continue;
        } else {
            return None;
        };
        for file in before.into_iter().chain(after) {
            let document = file.parsed.as_ref().ok()?;
            into.insert(document.value.pointer(pointer)?.as_str()?.to_string());
        }
    }
    Some((guilds, tenants))
}
