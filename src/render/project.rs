//! The AppProjects: one per guild tier and one per tenant type, each allowing exactly the
//! namespaces of its kind, this repository as the only source, and the configured kinds.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::config::{Config, Placement};
use crate::model::Tenant;
use crate::model::placement;

/// The guild namespace glob every guild project allows (`guild-<id>`).
pub const GUILD_NAMESPACES: &str = "guild-*";

/// One AppProject, as the template renders it and as `apps` checks Applications against it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AppProject {
    pub name: String,
    pub description: String,
    /// Where its Applications may deploy: each cluster of the pool, with each namespace glob.
    pub destinations: Vec<Destination>,
}

/// An AppProject destination: a cluster by Argo CD name (or, without `clusters`, by server
/// URL) and a namespace glob.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Destination {
    pub name: Option<String>,
    pub server: Option<String>,
    pub namespace: String,
}

/// The destinations of a project whose pool is `rule`'s: exactly the pool's clusters, or the
/// one `argocd.destinationServer` without `clusters`.
fn destinations(config: &Config, rule: &Placement, namespaces: &[String]) -> Vec<Destination> {
    let pool = placement::pool(config, rule, None);
    let mut out = Vec::new();
    if config.clusters.is_empty() {
        for namespace in namespaces {
            out.push(Destination {
                name: None,
                server: Some(config.argocd.destination_server.clone()),
                namespace: namespace.clone(),
            });
        }
    }
    for cluster in pool {
        for namespace in namespaces {
            out.push(Destination {
                name: Some(cluster.name.clone()),
                server: None,
                namespace: namespace.clone(),
            });
        }
    }
    out
}

/// The projects' settings with the kinds `monitoring.yaml` renders (ServiceMonitor,
/// PrometheusRule) added to the namespaced whitelist when monitoring is on: without them Argo
/// CD would refuse to sync every guild and tenant.
pub fn with_monitoring_kinds(
    projects: &crate::config::Projects,
    monitoring: &crate::config::Monitoring,
) -> crate::config::Projects {
    let mut projects = projects.clone();
    if monitoring.enabled {
        for kind in ["ServiceMonitor", "PrometheusRule"] {
            let kind = crate::config::GroupKind {
                group: "monitoring.coreos.com".into(),
                kind: kind.into(),
            };
            if !projects.namespace_resource_whitelist.contains(&kind) {
                projects.namespace_resource_whitelist.push(kind);
            }
        }
    }
    projects
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
            destinations: destinations(
                config,
                &placement::guild_rule(config, tier),
                &[GUILD_NAMESPACES.to_string()],
            ),
        })
        .collect();
    let mut types: BTreeSet<String> = config.tenants.replicas.keys().cloned().collect();
    types.extend(tenants.map(|t| t.spec.tenant_type.clone()));
    out.extend(types.into_iter().map(|tenant_type| AppProject {
        name: projects.tenant_project(&tenant_type),
        description: format!("tenantctl: tenants of type {tenant_type}"),
        destinations: destinations(
            config,
            &placement::tenant_rule(config, &tenant_type),
            &projects.tenant_namespaces,
        ),
    }));
    out
}
