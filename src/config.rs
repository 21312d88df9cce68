//! `tenantctl.yaml`: the repo's settings. Argo CD, image registry, git remote and tiers are data
//! here, so adding a tier is an edit of this file (and of `kustomize/`), not of Rust code.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The config file's name at the root of a config repo.
pub const CONFIG_FILE: &str = "tenantctl.yaml";

/// The placeholder `init` writes when it does not know the repo's URL yet.
pub const PLACEHOLDER_REPO_URL: &str = "https://git.example.com/platform.git";

/// The whole of `tenantctl.yaml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    pub argocd: ArgoCd,
    #[serde(default)]
    pub git: GitSettings,
    pub image: Image,
    pub tiers: BTreeMap<String, Tier>,
    /// How tenants (`tenants/*.yaml`) are rendered; every field has a default.
    #[serde(default)]
    pub tenants: TenantSettings,
}

/// Settings for rendering tenants.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct TenantSettings {
    /// The ApplicationSet that makes one Application per tenant.
    pub application_set_name: String,
    /// Images are `<registry>/<service>:<imageTag>`.
    pub registry: String,
    /// The tag when a tenant sets no imageTag.
    pub default_image_tag: String,
    pub ingress_class_name: String,
    /// Where the ingress controller runs: its pods may reach every tenant.
    pub ingress_controller_namespace: String,
    /// Replicas per tenant type (production is at least 2 whatever this says).
    pub replicas: BTreeMap<String, u32>,
    /// The image of the backup CronJob.
    pub backup_image: String,
    /// The port every service listens on.
    pub container_port: u16,
    /// LimitRange defaults for each container.
    pub container_defaults: ContainerDefaults,
}

/// Per-container defaults of a tenant's LimitRange.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerDefaults {
    pub cpu_request: String,
    pub memory_request: String,
    pub cpu_limit: String,
    pub memory_limit: String,
}

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings {
            application_set_name: "pishop-tenants".into(),
            registry: "ghcr.io/pishop".into(),
            default_image_tag: "latest".into(),
            ingress_class_name: "nginx".into(),
            ingress_controller_namespace: "ingress-nginx".into(),
            replicas: [
                ("production".to_string(), 2),
                ("staging".to_string(), 1),
                ("development".to_string(), 1),
            ]
            .into(),
            backup_image: "ghcr.io/pishop/backup:1.0.0".into(),
            container_port: 8080,
            container_defaults: ContainerDefaults {
                cpu_request: "100m".into(),
                memory_request: "128Mi".into(),
                cpu_limit: "500m".into(),
                memory_limit: "512Mi".into(),
            },
        }
    }
}

impl TenantSettings {
    /// Replicas of each service of a running tenant of `tenant_type`; production has at least 2.
    pub fn replicas_for(&self, tenant_type: &str) -> u32 {
        let configured = self.replicas.get(tenant_type).copied().unwrap_or(1);
        if tenant_type == "production" {
            configured.max(2)
        } else {
            configured
        }
    }
}

/// How the ApplicationSet is set up and where Applications deploy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCd {
    #[serde(default = "default_application_set_name")]
    pub application_set_name: String,
    #[serde(default = "default_argocd_namespace")]
    pub namespace: String,
    #[serde(default = "default_project")]
    pub project: String,
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    #[serde(default = "default_target_revision")]
    pub target_revision: String,
    #[serde(default = "default_destination_server")]
    pub destination_server: String,
    /// Keep a guild's resources when its Application is deleted (argo-cd #18212).
    #[serde(default = "yes")]
    pub preserve_resources_on_deletion: bool,
    /// What the ApplicationSet controller may do to Applications: `create-only`,
    /// `create-update` (default: never deletes one), `create-delete` or `sync`.
    #[serde(default = "default_applications_sync")]
    pub applications_sync: String,
}

/// Where and how commands push.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct GitSettings {
    /// The remote to push to when the branch has no upstream.
    pub remote: String,
    /// Connect and idle timeout of every fetch and push, in seconds.
    pub timeout_seconds: u64,
    /// How long a command waits for another tenantctl in the same clone, in seconds.
    pub lock_timeout_seconds: u64,
    /// How many times a command fetches, replays and pushes again when others push first.
    pub push_attempts: u32,
    /// An environment variable holding an HTTPS token (CI); git's credential helpers otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// The user name sent with that token.
    pub token_username: String,
    /// Push to a new review branch instead of the tracked one, e.g.
    /// `tenantctl/{operation}-{id}` (placeholders `{operation}`, `{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_branch: Option<String>,
}

impl Default for GitSettings {
    fn default() -> Self {
        GitSettings {
            remote: default_remote(),
            timeout_seconds: 30,
            lock_timeout_seconds: 120,
            push_attempts: 30,
            token_env: None,
            token_username: "x-access-token".into(),
            push_branch: None,
        }
    }
}

/// The images the guild Deployments run.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    pub registry: String,
    pub backend: String,
    pub discord_bot: String,
    pub tag: String,
}

/// A service tier: how many replicas and which resource values a new guild starts with.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tier {
    pub replicas: u32,
    /// Guild resource key -> default quantity.
    pub defaults: BTreeMap<String, String>,
}

fn default_application_set_name() -> String {
    "frolf-bot-guilds".into()
}
fn default_argocd_namespace() -> String {
    "argocd".into()
}
fn default_project() -> String {
    "default".into()
}
fn default_target_revision() -> String {
    "HEAD".into()
}
fn default_destination_server() -> String {
    "https://kubernetes.default.svc".into()
}
fn default_applications_sync() -> String {
    "create-update".into()
}
fn default_remote() -> String {
    "origin".into()
}
fn yes() -> bool {
    true
}
