//! The fence around every tenant: reserved namespaces, namespaces that belong to their tenant,
//! no namespace shared between a guild and a tenant, destinations the AppProjects permit, and
//! values that reach Argo CD's own Go templates kept literal.

use std::collections::BTreeMap;

use globset::Glob;

use super::diagnostic::{Diagnostic, code};
use crate::config::Config;
use crate::model::{Guild, Tenant};
use crate::render::project::app_projects;
use crate::yaml::Document;

/// Argo CD's glob rules for AppProject destinations (gobwas/glob without separators: `*` and
/// `?` match any character, `[...]` a class), as `IsDestinationPermitted` applies them.
pub fn glob_matches(pattern: &str, value: &str) -> bool {
    // Compiled once per pattern and thread: a repo has a handful of globs and tens of
    // thousands of namespaces to match against them.
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, Option<globset::GlobMatcher>>> =
            Default::default();
    }
    COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        let matcher = compiled
            .entry(pattern.to_string())
            .or_insert_with(|| Glob::new(pattern).ok().map(|g| g.compile_matcher()));
        match matcher {
            Some(matcher) => matcher.is_match(value),
            None => pattern == value,
        }
    })
}

/// Every reserved namespace glob: the configured ones, Argo CD's namespace and the ingress
/// controller's.
pub fn reserved(config: &Config) -> Vec<String> {
    let mut globs = config.namespaces.reserved.clone();
    globs.push(config.argocd.namespace.clone());
    globs.push(config.tenants.ingress_controller_namespace.clone());
    globs
}

/// Namespace rules of tenants against each other's guilds, the reserved list and the projects.
pub fn tenant_namespace_rules(
    tenants: &[(&str, &Document, Tenant)],
    guilds: &[(&str, Guild)],
    config: &Config,
) -> Vec<Diagnostic> {
    let reserved = reserved(config);
    let guild_namespaces: BTreeMap<String, &str> = guilds
        .iter()
        .map(|(path, guild)| (Guild::namespace_for(&guild.guild_id), *path))
        .collect();
    let projects = &config.argocd.projects;
    let mut out = Vec::new();
    for (file, document, tenant) in tenants {
        let Ok(namespace) = tenant.namespace() else {
            continue;
        };
        // Asked only for a finding: a position costs the document's positions.
        let at = || {
            document.value_position(if tenant.spec.namespace_config.is_some() {
                "/spec/namespaceConfig"
            } else {
                "/spec/tenantId"
            })
        };
        if let Some(glob) = reserved.iter().find(|g| glob_matches(g, &namespace)) {
            out.push(
                Diagnostic::error(
                    *file,
                    at(),
                    code::RESERVED_NAMESPACE,
                    format!("the namespace `{namespace}` is reserved (`{glob}` in namespaces.reserved)"),
                )
                .with_hint("use the default pattern tenant-{tenantId}-{environment}, or one of your own that stays out of the cluster's namespaces"),
            );
            continue;
        }
        if config.namespaces.require_tenant_id && !namespace.contains(&tenant.spec.tenant_id) {
            out.push(
                Diagnostic::error(
                    *file,
                    at(),
                    code::NAMESPACE_NOT_OWNED,
                    format!(
                        "the namespace `{namespace}` does not contain the tenantId `{}`",
                        tenant.spec.tenant_id
                    ),
                )
                .with_hint("put {tenantId} in namespaceConfig.pattern, so the namespace is the tenant's alone (or set namespaces.requireTenantId: false)"),
            );
        }
        if let Some(guild_file) = guild_namespaces.get(&namespace) {
            out.push(
                Diagnostic::error(
                    *file,
                    at(),
                    code::NAMESPACE_OF_GUILD,
                    format!("the namespace `{namespace}` belongs to the guild of {guild_file}"),
                )
                .with_hint("guild namespaces are guild-<id>: choose another namespace pattern"),
            );
        } else if !projects
            .tenant_namespaces
            .iter()
            .any(|g| glob_matches(g, &namespace))
        {
            out.push(
                Diagnostic::error(
                    *file,
                    at(),
                    code::DESTINATION_NOT_PERMITTED,
                    format!(
                        "Argo CD would refuse the Application: its AppProject {} allows only namespaces {}, not `{namespace}`",
                        projects.tenant_project(&tenant.spec.tenant_type),
                        projects.tenant_namespaces.join(", ")
                    ),
                )
                .with_hint("use a namespace pattern that starts like one of argocd.projects.tenantNamespaces, or add a glob there"),
            );
        }
    }
    out
}

/// Rules of `tenantctl.yaml` for what it puts into Argo CD's objects.
pub fn config_fence_rules(file: &str, document: &Document, config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let argocd = &config.argocd;
    // Inside an ApplicationSet's template Argo CD evaluates `{{ ... }}`: a value with Go
    // template delimiters would be run, not printed.
    let templated = [
        ("/argocd/repoURL", argocd.repo_url.as_str()),
        ("/argocd/targetRevision", argocd.target_revision.as_str()),
        (
            "/argocd/destinationServer",
            argocd.destination_server.as_str(),
        ),
        (
            "/argocd/applicationSetName",
            argocd.application_set_name.as_str(),
        ),
        ("/argocd/namespace", argocd.namespace.as_str()),
        (
            "/argocd/applicationsSync",
            argocd.applications_sync.as_str(),
        ),
        (
            "/tenants/applicationSetName",
            config.tenants.application_set_name.as_str(),
        ),
    ];
    for (pointer, value) in templated {
        if value.contains("{{") || value.contains("}}") {
            out.push(
                Diagnostic::error(
                    file,
                    document.value_position(pointer),
                    code::TEMPLATE_DELIMITERS,
                    format!(
                        "`{}` holds `{{{{` or `}}}}`, which Argo CD's ApplicationSet template would evaluate instead of printing",
                        pointer.trim_start_matches('/').replace('/', ".")
                    ),
                )
                .with_hint("write the literal value: per-guild values come from the guild files, not from tenantctl.yaml"),
            );
        }
    }
    if argocd.project != "default" {
        out.push(
            Diagnostic::warning(
                file,
                document.value_position("/argocd/project"),
                code::PROJECT_UNUSED,
                "argocd.project is no longer used: each Application is in the AppProject of its tier or tenant type",
            )
            .with_hint("remove argocd.project; name the projects with argocd.projects.guildName and tenantName"),
        );
    }
    out
}

/// Names Argo CD keeps one object per: every rendered ApplicationSet (each shard counts, so
/// `frolf-bot-guilds-1` of a sharded guilds' set meets a tenants' set of that name) and every
/// AppProject (of the configured tiers and tenant types and of the types tenants use). A second
/// object of one name silently replaces the first in the cluster (E335); an AppProject named
/// `default` would redefine Argo CD's own project, which allows everything.
pub fn argo_name_rules<'a>(
    file: &str,
    document: &Document,
    config: &Config,
    guild_ids: &[&str],
    tenants: impl Iterator<Item = &'a Tenant>,
) -> Vec<Diagnostic> {
    let tenants: Vec<&Tenant> = tenants.collect();
    let tenant_ids: Vec<&str> = tenants.iter().map(|t| t.spec.tenant_id.as_str()).collect();
    let mut out = Vec::new();
    let guild_sets = crate::render::guild_shards(config, guild_ids);
    let tenant_sets = crate::render::tenant_shards(config, &tenant_ids);
    let describe = |which: &str, key: &str, index: usize, count: usize| {
        if count > 1 {
            format!("shard {} of {count} of the {which}' set ({key})", index + 1)
        } else {
            format!("the {which}' set ({key})")
        }
    };
    let mut sets: Vec<(String, String, &str)> = Vec::new();
    for (index, (name, _)) in guild_sets.iter().enumerate() {
        let what = describe(
            "guilds",
            "argocd.applicationSetName",
            index,
            guild_sets.len(),
        );
        sets.push((name.clone(), what, "/argocd/applicationSetName"));
    }
    for (index, (name, _)) in tenant_sets.iter().enumerate() {
        let what = describe(
            "tenants",
            "tenants.applicationSetName",
            index,
            tenant_sets.len(),
        );
        sets.push((name.clone(), what, "/tenants/applicationSetName"));
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, what, pointer) in &sets {
        match seen.get(name.as_str()) {
            Some(first) => out.push(
                Diagnostic::error(
                    file,
                    document.value_position(pointer),
                    code::DUPLICATE_ARGO_NAME,
                    format!(
                        "two ApplicationSets would be named `{name}`: {first} and {what}; the second would replace the first in the cluster"
                    ),
                )
                .with_hint("give argocd.applicationSetName and tenants.applicationSetName names that no shard suffix (-1, -2, ...) can make equal"),
            ),
            None => {
                seen.insert(name, what);
            }
        }
    }
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for project in app_projects(config, tenants.into_iter()) {
        if project.name == "default" {
            out.push(
                Diagnostic::error(
                    file,
                    document.value_position("/argocd/projects"),
                    code::DUPLICATE_ARGO_NAME,
                    format!(
                        "an AppProject would be named `default` ({}): that is Argo CD's own project, which allows every destination, source and kind",
                        project.description
                    ),
                )
                .with_hint("keep a prefix in argocd.projects.guildName and tenantName, e.g. guilds-{tier} and tenants-{type}"),
            );
        } else if let Some(first) = seen.get(&project.name) {
            out.push(
                Diagnostic::error(
                    file,
                    document.value_position("/argocd/projects"),
                    code::DUPLICATE_ARGO_NAME,
                    format!(
                        "two AppProjects would be named `{}` ({first} and {})",
                        project.name, project.description
                    ),
                )
                .with_hint("make argocd.projects.guildName and tenantName differ, e.g. guilds-{tier} and tenants-{type}"),
            );
        } else {
            seen.insert(project.name.clone(), project.description.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn argo_cd_globs() {
        assert!(glob_matches("guild-*", "guild-123"));
        assert!(!glob_matches("guild-*", "kube-system"));
        assert!(glob_matches("kube-*", "kube-system"));
        assert!(glob_matches("*", "anything"));
        assert!(glob_matches(
            "https://kubernetes.default.svc",
            "https://kubernetes.default.svc"
        ));
        assert!(glob_matches(
            "https://*.example.com",
            "https://a.b.example.com"
        ));
        assert!(!glob_matches("tenant-*", "pr-1"));
    }
}
