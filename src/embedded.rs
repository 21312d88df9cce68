//! The default templates and schemas, compiled into the binary from the repo's own files.
//!
//! A config repo's copy of a file (same relative path) overrides the embedded one, so teams can
//! change a template without rebuilding tenantctl; `tenantctl init` writes these out.

use crate::error::{Error, Result};
use crate::source::Source;

/// A file shipped inside the binary: its path in a config repo and its default text.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedFile {
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! embed {
    ($path:literal) => {
        EmbeddedFile {
            path: $path,
            text: include_str!(concat!("../", $path)),
        }
    };
}

pub const GUILD_SCHEMA: EmbeddedFile = embed!("schemas/guild.schema.json");
pub const CONFIG_SCHEMA: EmbeddedFile = embed!("schemas/config.schema.json");
pub const TENANT_SCHEMA: EmbeddedFile = embed!("schemas/tenant.schema.json");
pub const GUILD_KUSTOMIZATION: EmbeddedFile = embed!("templates/guild-kustomization.yaml.j2");
pub const GUILD_ISOLATION: EmbeddedFile = embed!("templates/guild-isolation.yaml.j2");
pub const GUILD_LEADER_ELECTION: EmbeddedFile = embed!("templates/guild-leader-election.yaml.j2");
pub const GUILD_AVAILABILITY: EmbeddedFile = embed!("templates/guild-availability.yaml.j2");
pub const MONITORING: EmbeddedFile = embed!("templates/monitoring.yaml.j2");
pub const APPLICATION_SET: EmbeddedFile = embed!("templates/applicationset.yaml.j2");
pub const TENANTS_APPLICATION_SET: EmbeddedFile =
    embed!("templates/tenants-applicationset.yaml.j2");
pub const APP_PROJECTS: EmbeddedFile = embed!("templates/appprojects.yaml.j2");
pub const ARGOCD_KUSTOMIZATION: EmbeddedFile = embed!("templates/argocd-kustomization.yaml.j2");
/// The schema of an upstream Argo CD CRD `validate` checks the rendered ApplicationSets and
/// AppProjects against: the CRD at `path` (schemas/argocd/SOURCE.md: commit, blob ids,
/// licence), its `openAPIV3Schema` extracted as JSON by build.rs. Never read from a repo: not a
/// default a repo overrides (it could loosen the check), and the ApplicationSet CRD is over the
/// read limit.
#[derive(Debug, Clone, Copy)]
pub struct CrdSchema {
    pub path: &'static str,
    pub schema: &'static str,
}

pub const ARGOCD_APPLICATION_SET_CRD: CrdSchema = CrdSchema {
    path: "schemas/argocd/applicationset-crd.yaml",
    schema: include_str!(concat!(env!("OUT_DIR"), "/applicationset.schema.json")),
};
pub const ARGOCD_APP_PROJECT_CRD: CrdSchema = CrdSchema {
    path: "schemas/argocd/appproject-crd.yaml",
    schema: include_str!(concat!(env!("OUT_DIR"), "/appproject.schema.json")),
};

/// The templates of a tenant's overlay, one manifest file each (plus kustomization and params).
pub mod tenant {
    use super::EmbeddedFile;

    pub const KUSTOMIZATION: EmbeddedFile = embed!("templates/tenant/kustomization.yaml.j2");
    pub const PARAMS: EmbeddedFile = embed!("templates/tenant/params.yaml.j2");
    pub const NAMESPACE: EmbeddedFile = embed!("templates/tenant/namespace.yaml.j2");
    pub const RBAC: EmbeddedFile = embed!("templates/tenant/rbac.yaml.j2");
    pub const CONFIG: EmbeddedFile = embed!("templates/tenant/config.yaml.j2");
    pub const SERVICES: EmbeddedFile = embed!("templates/tenant/services.yaml.j2");
    pub const INGRESS: EmbeddedFile = embed!("templates/tenant/ingress.yaml.j2");
    pub const QUOTA: EmbeddedFile = embed!("templates/tenant/quota.yaml.j2");
    pub const NETWORK_POLICIES: EmbeddedFile = embed!("templates/tenant/network-policies.yaml.j2");
    pub const BACKUP: EmbeddedFile = embed!("templates/tenant/backup.yaml.j2");
    pub const AVAILABILITY: EmbeddedFile = embed!("templates/tenant/availability.yaml.j2");

    pub const ALL: [EmbeddedFile; 11] = [
        KUSTOMIZATION,
        PARAMS,
        NAMESPACE,
        RBAC,
        CONFIG,
        SERVICES,
        INGRESS,
        QUOTA,
        NETWORK_POLICIES,
        BACKUP,
        AVAILABILITY,
    ];
}

/// Every template `render` uses.
pub fn render_templates() -> Vec<EmbeddedFile> {
    let mut files = vec![
        GUILD_KUSTOMIZATION,
        GUILD_ISOLATION,
        GUILD_LEADER_ELECTION,
        GUILD_AVAILABILITY,
        MONITORING,
        APPLICATION_SET,
        TENANTS_APPLICATION_SET,
        APP_PROJECTS,
        ARGOCD_KUSTOMIZATION,
    ];
    files.extend(tenant::ALL);
    files
}

/// Files `init` writes out verbatim: a repo's copies override the embedded ones later.
pub fn overridable() -> Vec<EmbeddedFile> {
    let mut files = vec![GUILD_SCHEMA, CONFIG_SCHEMA, TENANT_SCHEMA];
    files.extend(render_templates());
    files
}

/// Templates `init` renders once to create a repo; the results are the user's from then on.
pub mod scaffold {
    use super::EmbeddedFile;

    pub const CONFIG: EmbeddedFile = embed!("templates/scaffold/tenantctl.yaml.j2");
    pub const BASE_KUSTOMIZATION: EmbeddedFile =
        embed!("templates/scaffold/base/kustomization.yaml.j2");
    pub const BASE_RESOURCES: EmbeddedFile =
        embed!("templates/scaffold/base/guild-resources.yaml.j2");
    pub const TIER_KUSTOMIZATION: EmbeddedFile =
        embed!("templates/scaffold/tier/kustomization.yaml.j2");
    pub const TIER_RESOURCES: EmbeddedFile =
        embed!("templates/scaffold/tier/tier-resources.yaml.j2");
    pub const MAKEFILE: EmbeddedFile = embed!("templates/scaffold/Makefile");
    pub const GUILDS_README: EmbeddedFile = embed!("templates/scaffold/guilds-README.md");
    pub const GITIGNORE: EmbeddedFile = embed!("templates/scaffold/gitignore");
}

/// The text of `file` as the repo in `source` has it, or the embedded default.
pub fn read_or_default(source: &dyn Source, file: EmbeddedFile) -> Result<String> {
    match source.read(file.path)? {
        Some(bytes) => String::from_utf8(bytes).map_err(|e| {
            Error::config(
                anyhow::Error::new(e.utf8_error())
                    .context(format!("reading {}: it is not UTF-8 text", file.path)),
                format!(
                    "fix {} in the repo, or delete it to use the built-in default",
                    file.path
                ),
            )
        }),
        None => Ok(file.text.to_string()),
    }
}
