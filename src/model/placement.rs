//! Placement: which cluster a guild or tenant runs on.
//!
//! Each tier (and tenant type) has a pool: the clusters its `placement` admits. tenantctl picks a
//! cluster from the pool when a guild or tenant is created (or moved to a region), and writes
//! the choice into the guild or tenant file, which Argo CD's generators read. A placement is
//! therefore stable by construction: adding a cluster to a pool moves nobody, because nobody's
//! placement is ever computed again. Only `move-guild` / `move-tenant` change one.

use std::collections::BTreeMap;

use crate::config::{Cluster, Config, Placement};

/// Guilds or tenants: each kind has its own capacity on a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Guild,
    Tenant,
}

impl Kind {
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Guild => "guilds",
            Kind::Tenant => "tenants",
        }
    }

    /// How many of this kind `cluster` takes; `None` is no limit.
    pub fn capacity(self, cluster: &Cluster) -> Option<u32> {
        let capacity = cluster.capacity.as_ref()?;
        match self {
            Kind::Guild => capacity.guilds,
            Kind::Tenant => capacity.tenants,
        }
    }
}

/// The placement rule of a guild tier (any cluster when the tier has none).
pub fn guild_rule(config: &Config, tier: &str) -> Placement {
    config
        .tiers
        .get(tier)
        .and_then(|t| t.placement.clone())
        .unwrap_or_default()
}

/// The placement rule of a tenant type (any cluster when the type has none).
pub fn tenant_rule(config: &Config, tenant_type: &str) -> Placement {
    config
        .tenants
        .placement
        .get(tenant_type)
        .cloned()
        .unwrap_or_default()
}

/// The clusters `rule` admits, in `tenantctl.yaml`'s order, within `region` when given.
pub fn pool<'c>(config: &'c Config, rule: &Placement, region: Option<&str>) -> Vec<&'c Cluster> {
    config
        .clusters
        .iter()
        .filter(|c| rule.admits(c))
        .filter(|c| region.is_none_or(|r| c.region() == Some(r)))
        .collect()
}

/// How many guilds or tenants each cluster holds now, by cluster name.
pub type Load = BTreeMap<String, u32>;

/// Counts the clusters named in `placements` (unplaced entries are skipped).
pub fn load<'a>(placements: impl Iterator<Item = Option<&'a str>>) -> Load {
    let mut load = Load::new();
    for cluster in placements.flatten() {
        *load.entry(cluster.to_string()).or_default() += 1;
    }
    load
}

/// Why no cluster could be chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRoom {
    /// The rule admits no configured cluster (in that region).
    EmptyPool,
    /// Every cluster of the pool is at its capacity: (name, held, capacity) each.
    Full(Vec<(String, u32, u32)>),
}

/// The cluster a new guild or tenant goes to: of the pool's clusters with room, the one holding
/// the fewest of its kind (the first in `tenantctl.yaml`'s order on a tie).
pub fn choose<'c>(pool: &[&'c Cluster], load: &Load, kind: Kind) -> Result<&'c Cluster, NoRoom> {
    if pool.is_empty() {
        return Err(NoRoom::EmptyPool);
    }
    let held = |c: &Cluster| load.get(&c.name).copied().unwrap_or(0);
    pool.iter()
        .copied()
        .filter(|c| kind.capacity(c).is_none_or(|cap| held(c) < cap))
        .min_by_key(|c| held(c))
        .ok_or_else(|| {
            NoRoom::Full(
                pool.iter()
                    .map(|c| (c.name.clone(), held(c), kind.capacity(c).unwrap_or(0)))
                    .collect(),
            )
        })
}

/// A sentence for `NoRoom`, naming the pool.
pub fn describe_no_room(no_room: &NoRoom, what: &str, region: Option<&str>) -> String {
    let within = region
        .map(|r| format!(" in region {r}"))
        .unwrap_or_default();
    match no_room {
        NoRoom::EmptyPool => format!("no cluster in `clusters` is in the pool of {what}{within}"),
        NoRoom::Full(clusters) => format!(
            "the pool of {what}{within} is full: {}",
            clusters
                .iter()
                .map(|(name, held, cap)| format!("{name} holds {held} of {cap}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClusterCapacity;

    fn cluster(name: &str, labels: &[(&str, &str)], guilds: Option<u32>) -> Cluster {
        Cluster {
            name: name.into(),
            server: None,
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            capacity: guilds.map(|g| ClusterCapacity {
                guilds: Some(g),
                tenants: None,
            }),
        }
    }

    #[test]
    fn chooses_the_least_loaded_cluster_with_room_and_names_a_full_pool() {
        let eu = cluster("pro-eu", &[("tier", "pro"), ("region", "eu-west")], Some(2));
        let us = cluster("pro-us", &[("tier", "pro"), ("region", "us-east")], None);
        let shared = cluster("shared", &[], None);
        let rule = Placement {
            cluster: None,
            cluster_selector: [("tier".to_string(), "pro".to_string())].into(),
        };
        let all = [&eu, &us, &shared];
        let pool: Vec<&Cluster> = all.iter().copied().filter(|c| rule.admits(c)).collect();
        assert_eq!(pool.len(), 2);
        let empty = Load::new();
        assert_eq!(choose(&pool, &empty, Kind::Guild).unwrap().name, "pro-eu");
        let load = load([Some("pro-eu"), None].into_iter());
        assert_eq!(choose(&pool, &load, Kind::Guild).unwrap().name, "pro-us");
        let eu_only = [&eu];
        let full = load_of_two();
        assert_eq!(
            choose(&eu_only, &full, Kind::Guild).map(|c| &c.name),
            Err(NoRoom::Full(vec![("pro-eu".into(), 2, 2)]))
        );
        // Tenants have their own capacity: none set, so no limit.
        assert_eq!(
            choose(&eu_only, &full, Kind::Tenant).unwrap().name,
            "pro-eu"
        );
        assert_eq!(
            choose(&[], &full, Kind::Guild).map(|c| &c.name),
            Err(NoRoom::EmptyPool)
        );
    }

    fn load_of_two() -> Load {
        load([Some("pro-eu"), Some("pro-eu")].into_iter())
    }
}
