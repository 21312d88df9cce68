//! Rendering: the validated [`Model`] in, the set of desired generated files out. Pure: no disk,
//! no clock, same input gives the same bytes.
//!
//! Every template is a YAML template with JSON auto-escaping, so each value from a user's file is
//! emitted as a quoted scalar and can never add a key or a document.

pub mod crd;
pub mod engine;
pub mod guild;
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
    let only = overlays;
    let mut files = Files::new();
    // Overlays on every core: each is a pure function of the model, and the map orders them.
    let overlays: Vec<Vec<(String, String)>> = model
        .guilds
        .par_iter()
        .filter(|(id, _)| only.guild(id))
        .map(|(_, guild)| guild::render_overlay(model, guild, templates))
        .collect::<crate::error::Result<_>>()?;
    files.extend(overlays.into_iter().flatten());
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
    let overlays: Vec<Files> = model
        .tenants
        .par_iter()
        .filter(|(id, _)| only.tenant(id))
        .map(|(_, tenant)| {
            let owner = crate::secret::Owner::tenant(&tenant.spec.tenant_id);
            tenant::render_overlay_with_secrets(
                &model.config.tenants,
                tenant,
                &crate::secret::overlay_refs(&owner, &model.secrets),
                Some(&model.config.monitoring),
                templates,
            )
        })
        .collect::<crate::error::Result<_>>()?;
    files.extend(overlays.into_iter().flatten());
    crate::secret::render_overlay_files(model, &mut files, &|owner| only.owner(owner))?;
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
