//! Choosing a cluster for a new, moved or re-tiered guild or tenant, from the snapshot's
//! current placements (`model::placement`).

use crate::config::{Config, Placement};
use crate::error::{Error, Result};
use crate::load::Snapshot;
use crate::model::placement::{self, Kind, Load};

/// The config as it is in the snapshot; placing anything needs its clusters.
pub fn config(snapshot: &Snapshot) -> Result<Config> {
    snapshot.parsed_config().ok_or_else(|| {
        Error::config(
            anyhow::anyhow!("tenantctl.yaml is invalid, so the clusters are unknown"),
            "run `tenantctl validate` and fix what it reports",
        )
    })
}

/// Guilds per cluster, as the snapshot's guild files place them.
pub fn guild_load(snapshot: &Snapshot) -> Load {
    placement::load(snapshot.guilds.values().map(|file| {
        file.parsed
            .as_ref()
            .ok()
            .and_then(|d| d.value.get("cluster")?.as_str())
    }))
}

/// Tenants per cluster, as the snapshot's tenant files place them.
pub fn tenant_load(snapshot: &Snapshot) -> Load {
    placement::load(snapshot.tenants.values().map(|file| {
        file.parsed
            .as_ref()
            .ok()
            .and_then(|d| d.value.pointer("/spec/placement/cluster")?.as_str())
    }))
}

/// The cluster for one more of `kind` under `rule` (within `region`): the pool's least loaded
/// cluster with room. `what` names the pool in the error (`tier pro`, `tenant type production`).
pub fn choose(
    config: &Config,
    rule: &Placement,
    region: Option<&str>,
    load: &Load,
    kind: Kind,
    what: &str,
) -> Result<String> {
    let pool = placement::pool(config, rule, region);
    placement::choose(&pool, load, kind)
        .map(|c| c.name.clone())
        .map_err(|no_room| {
            Error::usage(
                placement::describe_no_room(&no_room, what, region),
                match no_room {
                    placement::NoRoom::EmptyPool => {
                        "add a cluster with the pool's labels to `clusters` in tenantctl.yaml"
                    }
                    placement::NoRoom::Full(_) => {
                        "add a cluster to the pool, or raise a cluster's `capacity` in tenantctl.yaml"
                    }
                },
            )
        })
}

/// Refuses to place anything when `tenantctl.yaml` lists no clusters.
pub fn require_clusters(config: &Config) -> Result<()> {
    if config.clusters.is_empty() {
        return Err(Error::usage(
            "tenantctl.yaml lists no `clusters`: there is nowhere to place anything",
            "list the clusters in tenantctl.yaml first (README, \"Clusters\")",
        ));
    }
    Ok(())
}

/// Refuses `--cluster` / `--region` when `tenantctl.yaml` lists no clusters, and a cluster name
/// it does not list.
pub fn check_requested(config: &Config, cluster: Option<&str>, region: Option<&str>) -> Result<()> {
    if cluster.is_some() || region.is_some() {
        require_clusters(config)?;
    }
    if let Some(name) = cluster
        && !config.clusters.iter().any(|c| c.name == name)
    {
        let names: Vec<&str> = config.clusters.iter().map(|c| c.name.as_str()).collect();
        return Err(Error::usage(
            format!("no cluster `{name}` in tenantctl.yaml"),
            match crate::validate::suggest::closest(name, names.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("clusters: {}", names.join(", ")),
            },
        ));
    }
    if let Some(region) = region
        && !config.clusters.iter().any(|c| c.region() == Some(region))
    {
        let mut regions: Vec<&str> = config.clusters.iter().filter_map(|c| c.region()).collect();
        regions.sort_unstable();
        regions.dedup();
        return Err(Error::usage(
            format!("no cluster in tenantctl.yaml has the label region: {region}"),
            format!("regions: {}", regions.join(", ")),
        ));
    }
    Ok(())
}

/// What to tell the user about moving a workload from `from` to `to`.
pub fn move_notes(
    config: &Config,
    application: &str,
    namespace: &str,
    from: Option<&str>,
    to: &str,
) -> Vec<String> {
    let Some(from) = from.filter(|f| *f != to) else {
        return Vec::new();
    };
    vec![
        format!(
            "Argo CD updates the Application {application} in place: it deploys to {to} and stops managing what it deployed to {from}, which keeps running there{}",
            if config.argocd.preserve_resources_on_deletion {
                " (preserveResourcesOnDeletion)"
            } else {
                ""
            }
        ),
        format!(
            "once {application} is healthy on {to}, remove the old copy (until then both run): kubectl --context {from} delete namespace {namespace}"
        ),
    ]
}
