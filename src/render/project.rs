//! The AppProjects: one per guild tier and one per tenant type, each allowing exactly the
//! namespaces of its kind, this repository as the only source, and the configured kinds.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::config::Config;
use crate::model::Tenant;

/// The guild namespace glob every guild project allows (`guild-<id>`).
pub const GUILD_NAMESPACES: &str = "guild-*";

/// One AppProject, as the template renders it and as `apps` checks Applications against it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AppProject {
    pub name: String,
    pub description: String,
    /// Destination namespace globs (on the configured cluster).
    pub namespaces: Vec<String>,
}

/// Every AppProject of the repo: configured tiers, configured and used tenant types.
pub fn app_projects<'a>(
    config: &Config,
    tenants: impl Iterator<Item = &'a Tenant>,
) -> Vec<AppProject> {
    let projects = &config.argocd.projects;
    let mut out: Vec<AppProject> = config
        .tiers
        .keys()
        .map(|tier| AppProject {
            name: projects.guild_project(tier),
            description: format!("tenantctl: guilds of tier {tier}"),
            namespaces: vec![GUILD_NAMESPACES.to_string()],
        })
        .collect();
    let mut types: BTreeSet<String> = config.tenants.replicas.keys().cloned().collect();
    types.extend(tenants.map(|t| t.spec.tenant_type.clone()));
    out.extend(types.into_iter().map(|tenant_type| AppProject {
        name: projects.tenant_project(&tenant_type),
        description: format!("tenantctl: tenants of type {tenant_type}"),
        namespaces: projects.tenant_namespaces.clone(),
    }));
    out
}
