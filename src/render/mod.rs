//! Rendering: the validated [`Model`] in, the set of desired generated files out. Pure: no disk,
//! no clock, same input gives the same bytes.
//!
//! Every template is a YAML template with JSON auto-escaping, so each value from a user's file is
//! emitted as a quoted scalar and can never add a key or a document.

pub mod crd;
pub mod engine;
pub mod guild;
#[cfg(feature = "git")]
pub mod memo;
pub mod monitoring;
pub mod project;
pub mod scaffold;
pub mod shard;
pub mod tenant;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::json;

pub use engine::Templates;

use crate::validate::Model;

/// Where the ApplicationSet is written.
pub const APPLICATION_SET_PATH: &str = "kustomize/argocd/applicationset.yaml";
/// Where the tenants' ApplicationSet is written.
pub const TENANTS_APPLICATION_SET_PATH: &str = "kustomize/argocd/tenants-applicationset.yaml";
/// Where the AppProjects are written.
pub const APP_PROJECTS_PATH: &str = "kustomize/argocd/appprojects.yaml";
/// The kustomization that applies everything in `kustomize/argocd/` at once.
pub const ARGOCD_KUSTOMIZATION_PATH: &str = "kustomize/argocd/kustomization.yaml";
/// Where the per-guild overlays are written; everything below is generated.
pub const GUILD_OVERLAYS_DIR: &str = "kustomize/guilds";

/// Desired generated files: path relative to the repo root -> content.
pub type Files = BTreeMap<String, String>;

/// Which guild and tenant overlays a render produces. The files that describe the whole repo
/// (ApplicationSets, AppProjects, the tenant CRD) are rendered either way.
#[derive(Debug, Clone, Copy)]
pub enum Overlays<'a> {
    /// Every guild's and tenant's.
    All,
    /// Only these guilds' and tenants' (by ID): a change to a repo whose other overlays are
    /// known to be current renders just what it touches. Each overlay is a pure function of
    /// the config, its own file and its own secrets, so the others would come out the same.
    Only {
        guilds: &'a std::collections::BTreeSet<String>,
        tenants: &'a std::collections::BTreeSet<String>,
    },
}

impl Overlays<'_> {
    fn guild(&self, id: &str) -> bool {
        match self {
            Overlays::All => true,
            Overlays::Only { guilds, .. } => guilds.contains(id),
        }
    }

    fn tenant(&self, id: &str) -> bool {
        match self {
            Overlays::All => true,
            Overlays::Only { tenants, .. } => tenants.contains(id),
        }
    }

    /// Whether the overlay of a secret's owner is rendered.
    pub fn owner(&self, owner: &crate::secret::Owner) -> bool {
        match owner.kind {
            crate::secret::OwnerKind::Guild => self.guild(&owner.id),
            crate::secret::OwnerKind::Tenant => self.tenant(&owner.id),
        }
    }
}

/// Renders every generated file of the repo.
pub fn render(model: &Model, templates: &Templates) -> crate::error::Result<Files> {
    render_overlays(model, templates, Overlays::All)
}

/// Renders the files that describe the whole repo and the overlays `overlays` names.
pub fn render_overlays(
    model: &Model,
    templates: &Templates,
    overlays: Overlays,
) -> crate::error::Result<Files> {
    let mut files = render_repo_files(model, templates)?;
    let owners: Vec<crate::secret::Owner> = model
        .guilds
        .keys()
        .map(|id| crate::secret::Owner::guild(id))
        .chain(
            model
                .tenants
                .keys()
                .map(|id| crate::secret::Owner::tenant(id)),
        )
        .filter(|owner| overlays.owner(owner))
        .collect();
    // Overlays on every core: each is a pure function of the model, and the map orders them.
    let rendered: Vec<Files> = owners
        .par_iter()
        .map(|owner| render_owner(model, templates, owner))
        .collect::<crate::error::Result<_>>()?;
    files.extend(rendered.into_iter().flatten());
    Ok(files)
}

/// The overlay of one guild or tenant of `model`, with the files that deploy its secrets: a
/// function of the config, its own file and its own secret files only.
pub fn render_owner(
    model: &Model,
    templates: &Templates,
    owner: &crate::secret::Owner,
) -> crate::error::Result<Files> {
    use crate::secret::OwnerKind;
    let mut files: Files = match owner.kind {
        OwnerKind::Guild => match model.guilds.get(&owner.id) {
            Some(guild) => guild::render_overlay(model, guild, templates)?
                .into_iter()
                .collect(),
            None => Files::new(),
        },
        OwnerKind::Tenant => match model.tenants.get(&owner.id) {
            Some(tenant) => tenant::render_overlay_with_secrets(
                &model.config.tenants,
                tenant,
                &crate::secret::overlay_refs(owner, &model.secrets),
                Some(&model.config.monitoring),
                templates,
            )?,
            None => Files::new(),
        },
    };
    crate::secret::render_overlay_files(model, &mut files, &|o| o == owner)?;
    Ok(files)
}

/// The files that describe the whole repo: the ApplicationSets, the AppProjects, their
/// kustomization and the tenant CRD.
pub fn render_repo_files(model: &Model, templates: &Templates) -> crate::error::Result<Files> {
    let mut files = Files::new();
    let projects = &model.config.argocd.projects;
    let text = templates.render(
        templates.application_set(),
        json!({
            "argocd": model.config.argocd,
            "clusters": !model.config.clusters.is_empty(),
            // Filled in by Argo CD from each guild file: the project of the file's tier.
            "project": projects.guild_project("{{ .tier }}"),
            "shards": shard_facts(guild_shards(
                &model.config,
                &model.guilds.keys().map(String::as_str).collect::<Vec<_>>(),
            )),
        }),
    )?;
    files.insert(APPLICATION_SET_PATH.to_string(), text);
    let text = templates.render(
        crate::embedded::APP_PROJECTS.path,
        json!({
            "argocd": model.config.argocd,
            "projects_config": project::with_monitoring_kinds(projects, &model.config.monitoring),
            "projects": project::app_projects(&model.config, model.tenants.values()),
        }),
    )?;
    files.insert(APP_PROJECTS_PATH.to_string(), text);
    let text = templates.render(crate::embedded::ARGOCD_KUSTOMIZATION.path, json!({}))?;
    files.insert(ARGOCD_KUSTOMIZATION_PATH.to_string(), text);
    let context = json!({
        "argocd": model.config.argocd,
        "clusters": !model.config.clusters.is_empty(),
        "tenants": model.config.tenants,
        "project": projects.tenant_project("{{ .tenant_type }}"),
        "shards": shard_facts(tenant_shards(
            &model.config,
            &model.tenants.keys().map(String::as_str).collect::<Vec<_>>(),
        )),
    });
    let text = templates.render(crate::embedded::TENANTS_APPLICATION_SET.path, context)?;
    files.insert(TENANTS_APPLICATION_SET_PATH.to_string(), text);
    files.insert(
        crd::CRD_PATH.to_string(),
        crd::tenant_crd(templates.tenant_schema())?,
    );
    Ok(files)
}

/// The guilds' ApplicationSets: each shard's name and generator paths, as rendered. Validation
/// compares these names too (E335), so it must use the same function as rendering.
pub fn guild_shards(config: &crate::config::Config, ids: &[&str]) -> Vec<(String, shard::Shard)> {
    named_shards(
        &config.argocd.application_set_name,
        ids,
        &shard::GUILD_ID_ALPHABET,
        config.argocd.shard_size,
        |glob| format!("{}/guild-{glob}.yaml", crate::load::GUILDS_DIR),
    )
}

/// The tenants' ApplicationSets: each shard's name and generator paths, as rendered.
pub fn tenant_shards(config: &crate::config::Config, ids: &[&str]) -> Vec<(String, shard::Shard)> {
    named_shards(
        &config.tenants.application_set_name,
        ids,
        &shard::TENANT_ID_ALPHABET,
        config.argocd.shard_size,
        |glob| format!("{}/{glob}/params.yaml", tenant::TENANT_OVERLAYS_DIR),
    )
}

fn named_shards(
    name: &str,
    ids: &[&str],
    alphabet: &[char],
    size: u32,
    path: impl Fn(&str) -> String,
) -> Vec<(String, shard::Shard)> {
    let shards = shard::shards(ids, alphabet, size as usize, path);
    let count = shards.len();
    shards
        .into_iter()
        .enumerate()
        .map(|(i, s)| (shard::shard_name(name, i, count), s))
        .collect()
}

/// The shards of one ApplicationSet as the templates use them: a name and generator paths each.
fn shard_facts(shards: Vec<(String, shard::Shard)>) -> serde_json::Value {
    shards
        .into_iter()
        .map(|(name, s)| json!({ "name": name, "paths": s.paths, "count": s.count }))
        .collect()
}
