//! Which generated files have drifted from what the repo's inputs render to: the one answer
//! `validate`, `render` (and `render --check`), `diff` and `status` share, so that they can
//! never disagree about whether a file is stale.

use std::path::Path;

use crate::apply::{self, Plan};
use crate::error::Result;
use crate::render::{self, Templates};
use crate::source::Disk;
use crate::validate::Model;
use crate::validate::diagnostic::Diagnostic;

/// Which generated files to look at.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every generated file, and generated files no input renders any more.
    All,
    /// The overlay of one guild (by ID).
    Guild(&'a str),
    /// The overlay of one tenant (by tenantId).
    Tenant(&'a str),
}

/// What drifted.
#[derive(Debug, Default)]
pub struct Drift {
    /// The changes that bring the disk to what the inputs render to; empty when nothing drifted.
    pub plan: Plan,
    /// What stands where tenantctl writes (E102 links, E103 files it did not generate) or what
    /// it leaves alone in its folders (W103). Only [`Scope::All`] looks for them.
    pub diagnostics: Vec<Diagnostic>,
    /// What the inputs render to in `kustomize/argocd/` (the ApplicationSets, AppProjects and
    /// their kustomization), path and text: `validate` checks them against Argo CD's CRDs.
    /// Only [`Scope::All`] renders them.
    pub argocd: Vec<(String, String)>,
}

impl Drift {
    /// Whether a link or a hand-written file stands where a generated file must go.
    pub fn is_blocked(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The plan, with a note per file left as it is; an error (every diagnostic) when a link
    /// or a file that is not tenantctl's own stands where it must write.
    pub fn into_plan(self) -> Result<Plan> {
        if self.is_blocked() {
            return Err(crate::error::Error::Invalid(self.diagnostics));
        }
        let mut plan = self.plan;
        plan.notes = apply::kept_notes(&self.diagnostics);
        Ok(plan)
    }
}

/// [`drift`] of everything, for the repo at `root` as `snapshot` holds it: validated first (an
/// invalid repo is an error with every diagnostic), rendered with the repo's templates.
pub fn drift_of_repo(root: &Path, snapshot: &crate::load::Snapshot) -> Result<Plan> {
    let schemas = crate::validate::Schemas::load(root)?;
    let model = crate::validate::validate(snapshot, &schemas).into_model()?;
    drift(root, &model, &Templates::load(root)?, Scope::All)?.into_plan()
}

/// The generated files under `scope` whose bytes on the disk at `root` differ from what
/// `model` renders to with `templates`. Every file is read once (`apply::generated_state`).
pub fn drift(root: &Path, model: &Model, templates: &Templates, scope: Scope) -> Result<Drift> {
    drift_listed(root, &Default::default(), model, templates, scope)
}

/// [`drift`], listing each folder once with the other readers of `listings` (the snapshot's,
/// for a command that reads the work tree and writes nothing).
pub fn drift_listed(
    root: &Path,
    listings: &std::sync::Arc<crate::source::Listings>,
    model: &Model,
    templates: &Templates,
    scope: Scope,
) -> Result<Drift> {
    let desired = match scope {
        Scope::All => {
            let (desired, current) = render_all(root, model, templates)?;
            let argocd = desired
                .range(format!("{}/", crate::apps::ARGOCD_DIR)..)
                .take_while(|(path, _)| path.starts_with(&format!("{}/", crate::apps::ARGOCD_DIR)))
                .map(|(path, text)| (path.clone(), text.clone()))
                .collect();
            let dirs = apply::GENERATED_DIRS.map(String::from);
            let generated = apply::generated_state_under(
                &Disk::sharing(root, listings),
                desired,
                &dirs,
                &current.paths,
            )?;
            // Only now: what was rendered passed the checks every generated file must pass.
            current.save();
            let plan = apply::plan_owning(root, generated.wanted, &generated.unchanged)?;
            return Ok(Drift {
                plan,
                diagnostics: generated.diagnostics,
                argocd,
            });
        }
        Scope::Guild(id) => match model.guilds.get(id) {
            Some(guild) => render::guild::render_overlay(model, guild, templates)?,
            None => Vec::new(),
        },
        Scope::Tenant(id) => match model.tenants.get(id) {
            Some(tenant) => {
                let owner = crate::secret::Owner::tenant(id);
                render::tenant::render_overlay_with_secrets(
                    &model.config.tenants,
                    tenant,
                    &crate::secret::overlay_refs(&owner, &model.secrets),
                    Some(&model.config.monitoring),
                    templates,
                )?
                .into_iter()
                .collect()
            }
            None => Vec::new(),
        },
    };
    let wanted = desired.into_iter().map(|(p, t)| (p, Some(t))).collect();
    Ok(Drift {
        plan: apply::plan(root, &wanted)?,
        diagnostics: Vec::new(),
        argocd: Vec::new(),
    })
}

/// Overlays found current, through the memo (see [`render::memo`]) or once rendered: their
/// paths, and the memo to save once the rendered rest has passed the checks.
struct Current {
    paths: std::collections::BTreeSet<String>,
    #[cfg(feature = "git")]
    memo: render::memo::Memo,
}

impl Current {
    fn save(self) {
        #[cfg(feature = "git")]
        self.memo.save();
    }
}

/// Every generated file `model` renders to, except the overlays whose files on disk are what
/// they render to (known from the memo without rendering, or found so once rendered): those
/// are left out of the files and named in [`Current::paths`].
#[cfg(feature = "git")]
fn render_all(
    root: &Path,
    model: &Model,
    templates: &Templates,
) -> Result<(render::Files, Current)> {
    use crate::render::memo::{Memo, blob_id};
    use crate::source::{Fetched, Source as _};

    let git = crate::git::GitRepo::open(root).ok();
    let memo = Memo::open(root, git.as_ref(), model, templates);
    let disk = Disk::new(root);
    // The index vouches for most files (those `git status` would not read either); the rest
    // are read and hashed.
    let vouched = git
        .as_ref()
        .and_then(|git| git.index_stat(&apply::GENERATED_DIRS));
    let on_disk = |path: &str, id: &git2::Oid| match vouched.as_ref().and_then(|v| v.blob_of(path))
    {
        Some(blob) => blob == *id,
        None => matches!(disk.fetch(path), Ok(Fetched::File(bytes)) if blob_id(&bytes) == *id),
    };
    let (overlays, paths) = overlays_unless_current(model, templates, Some(&memo), &on_disk)?;
    let mut desired = render::render_repo_files(model, templates)?;
    desired.extend(overlays);
    Ok((desired, Current { paths, memo }))
}

/// What every guild's and tenant's overlay renders to, leaving out the overlays found current:
/// those `memo` knows the files of, or that render to files `holds` (a path and the blob id of
/// its wanted bytes) says are there already. Their paths are the second part. Only the text
/// of overlays that must be written is kept, so that memory does not grow with the repo's
/// rendered bytes (362 MB at 10,000 + 10,000).
#[cfg(feature = "git")]
pub(crate) fn overlays_unless_current(
    model: &Model,
    templates: &Templates,
    memo: Option<&render::memo::Memo>,
    holds: &(dyn Fn(&str, &git2::Oid) -> bool + Sync),
) -> Result<(render::Files, std::collections::BTreeSet<String>)> {
    use rayon::prelude::*;

    use crate::render::memo::blob_id;
    use crate::secret::Owner;

    let owners: Vec<Owner> = model
        .guilds
        .keys()
        .map(|id| Owner::guild(id))
        .chain(model.tenants.keys().map(|id| Owner::tenant(id)))
        .collect();
    // Per overlay: the paths of one found current, or what it renders to.
    let found: Vec<std::result::Result<Vec<String>, render::Files>> = owners
        .par_iter()
        .map(|owner| {
            let key = memo.map(|memo| memo.key(model, owner));
            if let (Some(memo), Some(key)) = (memo, key)
                && let Some(files) = memo.lookup(&key)
                && files.iter().all(|(path, id)| holds(path, id))
            {
                memo.remember(key, files.to_vec());
                return Ok(Ok(files.iter().map(|(path, _)| path.clone()).collect()));
            }
            let files = render::render_owner(model, templates, owner)?;
            let ids: Vec<(String, git2::Oid)> = files
                .iter()
                .map(|(path, text)| (path.clone(), blob_id(text.as_bytes())))
                .collect();
            // Rendered and there already (a fresh clone, a memo of another build): found
            // current here, as the memo would. A file that would fail the checks every
            // generated file must pass is kept, for `apply::generated_state_under` to report.
            let current = files.values().all(|text| apply::may_write(text))
                && ids.iter().all(|(path, id)| holds(path, id));
            let paths = current.then(|| ids.iter().map(|(path, _)| path.clone()).collect());
            if let (Some(memo), Some(key)) = (memo, key) {
                memo.remember(key, ids);
            }
            Ok(paths.ok_or(files))
        })
        .collect::<Result<_>>()?;
    let mut desired = render::Files::new();
    let mut paths = std::collections::BTreeSet::new();
    for overlay in found {
        match overlay {
            Ok(current) => paths.extend(current),
            Err(files) => desired.extend(files),
        }
    }
    Ok((desired, paths))
}

/// Without git there is no memo: everything is rendered.
#[cfg(not(feature = "git"))]
fn render_all(
    _root: &Path,
    model: &Model,
    templates: &Templates,
) -> Result<(render::Files, Current)> {
    let paths = std::collections::BTreeSet::new();
    Ok((render::render(model, templates)?, Current { paths }))
}
