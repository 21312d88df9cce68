//! Placement rules: every cluster named exists, every guild and tenant is placed (once
//! `clusters` is configured) inside its tier's pool and pinned region, and no cluster holds
//! more than its capacity.

use std::collections::BTreeSet;

use super::diagnostic::{Diagnostic, code};
use super::suggest::closest;
use crate::config::{Config, Placement};
use crate::model::placement::{self, Kind};
use crate::model::{Guild, Tenant};
use crate::yaml::Document;

/// Rules of `tenantctl.yaml`'s `clusters` and of each tier's and tenant type's `placement`.
pub fn config_rules(file: &str, document: &Document, config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, cluster) in config.clusters.iter().enumerate() {
        if !seen.insert(cluster.name.as_str()) {
            out.push(
                Diagnostic::error(
                    file,
                    document.value_position(&format!("/clusters/{i}/name")),
                    code::UNKNOWN_CLUSTER,
                    format!("cluster `{}` is listed twice", cluster.name),
                )
                .with_hint("give each cluster its Argo CD name, once"),
            );
        }
    }
    let rules = config
        .tiers
        .iter()
        .filter_map(|(tier, t)| Some((format!("/tiers/{tier}/placement"), t.placement.as_ref()?)))
        .chain(
            config
                .tenants
                .placement
                .iter()
                .map(|(t, p)| (format!("/tenants/placement/{t}"), p)),
        );
    for (pointer, rule) in rules {
        out.extend(rule_problems(file, document, config, &pointer, rule));
    }
    out
}

fn rule_problems(
    file: &str,
    document: &Document,
    config: &Config,
    pointer: &str,
    rule: &Placement,
) -> Option<Diagnostic> {
    if config.clusters.is_empty() {
        return Some(
            Diagnostic::error(
                file,
                document.key_position(pointer),
                code::UNKNOWN_CLUSTER,
                "a placement, but `clusters` lists no cluster",
            )
            .with_hint("list the clusters under `clusters:` (README, \"Clusters\"), or remove the placement"),
        );
    }
    if let Some(name) = &rule.cluster
        && !config.clusters.iter().any(|c| c.name == *name)
    {
        return Some(unknown_cluster(
            file,
            document.value_position(&format!("{pointer}/cluster")),
            name,
            config,
        ));
    }
    placement::pool(config, rule, None).is_empty().then(|| {
        Diagnostic::error(
            file,
            document.key_position(pointer),
            code::OUTSIDE_POOL,
            "this placement admits no cluster of `clusters`",
        )
        .with_hint("give a cluster the labels of clusterSelector, or change the selector")
    })
}

fn unknown_cluster(
    file: &str,
    at: crate::yaml::Position,
    name: &str,
    config: &Config,
) -> Diagnostic {
    let names = config.clusters.iter().map(|c| c.name.as_str());
    let hint = match closest(name, names.clone()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!(
            "clusters in tenantctl.yaml: {}",
            names.collect::<Vec<_>>().join(", ")
        ),
    };
    Diagnostic::error(
        file,
        at,
        code::UNKNOWN_CLUSTER,
        format!("no cluster `{name}` in tenantctl.yaml's `clusters`"),
    )
    .with_hint(hint)
}

/// One guild's or tenant's placement against its pool.
struct Placed<'a> {
    file: &'a str,
    document: &'a Document,
    /// JSON pointer of the `cluster` key.
    pointer: &'static str,
    cluster: Option<&'a str>,
    region: Option<&'a str>,
    rule: Placement,
    /// `guild 1 (tier pro)`, `tenant shop (type production)`.
    what: String,
}

fn check(placed: Placed<'_>, config: &Config) -> Vec<Diagnostic> {
    let Placed {
        file,
        document,
        pointer,
        cluster,
        region,
        rule,
        what,
    } = placed;
    if config.clusters.is_empty() {
        return match cluster {
            Some(name) => vec![
                Diagnostic::error(
                    file,
                    document.value_position(pointer),
                    code::UNKNOWN_CLUSTER,
                    format!(
                        "{what} names cluster `{name}`, but tenantctl.yaml lists no `clusters`"
                    ),
                )
                .with_hint(
                    "list the clusters in tenantctl.yaml (README, \"Clusters\"), or remove the key",
                ),
            ],
            None => Vec::new(),
        };
    }
    let pool = placement::pool(config, &rule, region);
    let pool_names = || {
        pool.iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let within = region
        .map(|r| format!(" in region {r}"))
        .unwrap_or_default();
    let Some(name) = cluster else {
        let at = document.value_position("");
        let hint = if pool.is_empty() {
            format!("no cluster is in its pool{within}: add one to tenantctl.yaml")
        } else {
            format!(
                "run `tenantctl place` (its pool{within}: {}), which places every unplaced guild and tenant in one commit",
                pool_names()
            )
        };
        return vec![
            Diagnostic::error(
                file,
                at,
                code::UNPLACED,
                format!(
                    "{what} names no cluster; with `clusters` in tenantctl.yaml, Argo CD needs one"
                ),
            )
            .with_hint(hint),
        ];
    };
    // Worked out only for a finding: a position costs the document's positions.
    let at = || document.value_position(pointer);
    let Some(found) = config.clusters.iter().find(|c| c.name == name) else {
        return vec![unknown_cluster(file, at(), name, config)];
    };
    if pool.iter().any(|c| c.name == found.name) {
        return Vec::new();
    }
    let message = match region {
        Some(r) if found.region() != Some(r) => format!(
            "{what} is pinned to region {r}, but cluster `{name}` is in {}",
            found.region().unwrap_or("no region")
        ),
        _ => format!("cluster `{name}` is not in the pool of {what}"),
    };
    let hint = if pool.is_empty() {
        format!("no cluster is in its pool{within}: add one to tenantctl.yaml")
    } else {
        format!("its pool{within}: {}", pool_names())
    };
    vec![Diagnostic::error(file, at(), code::OUTSIDE_POOL, message).with_hint(hint)]
}

/// A guild's `cluster` against its tier's pool.
pub fn guild_rules(
    file: &str,
    document: &Document,
    guild: &Guild,
    config: &Config,
) -> Vec<Diagnostic> {
    if !config.tiers.contains_key(&guild.tier) {
        return Vec::new(); // E-code of its own already
    }
    check(
        Placed {
            file,
            document,
            pointer: "/cluster",
            cluster: guild.cluster.as_deref(),
            region: None,
            rule: placement::guild_rule(config, &guild.tier),
            what: format!("guild {} (tier {})", guild.guild_id, guild.tier),
        },
        config,
    )
}

/// A tenant's `spec.placement` against its type's pool.
pub fn tenant_rules(
    file: &str,
    document: &Document,
    tenant: &Tenant,
    config: &Config,
) -> Vec<Diagnostic> {
    let placement = tenant.spec.placement.clone().unwrap_or_default();
    let spec = &tenant.spec;
    if config.clusters.is_empty()
        && let Some(region) = &placement.region
    {
        return vec![
            Diagnostic::error(
                file,
                document.value_position("/spec/placement/region"),
                code::UNKNOWN_CLUSTER,
                format!("tenant {} is pinned to region {region}, but tenantctl.yaml lists no `clusters`", spec.tenant_id),
            )
            .with_hint("list the clusters in tenantctl.yaml (README, \"Clusters\"), or remove spec.placement"),
        ];
    }
    check(
        Placed {
            file,
            document,
            pointer: "/spec/placement/cluster",
            cluster: placement.cluster.as_deref(),
            region: placement.region.as_deref(),
            rule: placement::tenant_rule(config, &spec.tenant_type),
            what: format!("tenant {} (type {})", spec.tenant_id, spec.tenant_type),
        },
        config,
    )
}

/// Clusters holding more guilds or tenants than their `capacity`.
pub fn capacity_rules<'a>(
    file: &str,
    document: &Document,
    config: &Config,
    guilds: impl Iterator<Item = &'a Guild>,
    tenants: impl Iterator<Item = &'a Tenant>,
) -> Vec<Diagnostic> {
    let guild_load = placement::load(guilds.map(|g| g.cluster.as_deref()));
    let tenant_load = placement::load(
        tenants.map(|t| t.spec.placement.as_ref().and_then(|p| p.cluster.as_deref())),
    );
    let mut out = Vec::new();
    for (i, cluster) in config.clusters.iter().enumerate() {
        for (kind, load) in [(Kind::Guild, &guild_load), (Kind::Tenant, &tenant_load)] {
            let held = load.get(&cluster.name).copied().unwrap_or(0);
            if let Some(capacity) = kind.capacity(cluster)
                && held > capacity
            {
                out.push(
                    Diagnostic::error(
                        file,
                        document.value_position(&format!("/clusters/{i}/capacity/{}", kind.plural())),
                        code::CLUSTER_FULL,
                        format!(
                            "cluster `{}` holds {held} {} but takes {capacity}",
                            cluster.name,
                            kind.plural()
                        ),
                    )
                    .with_hint("raise its capacity, or move some to another cluster of the pool with move-guild / move-tenant"),
                );
            }
        }
    }
    out
}
