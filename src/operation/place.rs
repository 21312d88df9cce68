//! `place`: every guild and tenant that names no cluster gets one, in one commit. This is how a
//! repo with guilds turns `clusters` on: until every file is placed, validation refuses the repo
//! (E344), so placing them one by one with `move-guild` cannot start.

use super::placement::{choose, guild_load, tenant_load};
use super::{Change, Operation};
use crate::error::Result;
use crate::load::Snapshot;
use crate::model::placement::{self, Kind};
use crate::model::{Guild, Tenant};

/// `tenantctl place`.
pub struct PlaceAll;

impl Operation for PlaceAll {
    fn name(&self) -> &'static str {
        "place"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        let config = super::placement::config(snapshot)?;
        super::placement::require_clusters(&config)?;
        let mut change = Change {
            id: "all".into(),
            ..Change::default()
        };
        // Each choice counts for the next: the pool fills evenly, as one create at a time would.
        let mut load = guild_load(snapshot);
        let mut guilds = 0;
        for (path, file) in &snapshot.guilds {
            let Some(mut guild) = file
                .parsed
                .as_ref()
                .ok()
                .and_then(|d| Guild::from_value(&d.value))
            else {
                continue; // validation reports it
            };
            if guild.cluster.is_some() || !config.tiers.contains_key(&guild.tier) {
                continue;
            }
            let cluster = choose(
                &config,
                &placement::guild_rule(&config, &guild.tier),
                None,
                &load,
                Kind::Guild,
                &format!("tier {}", guild.tier),
            )?;
            *load.entry(cluster.clone()).or_default() += 1;
            guild.cluster = Some(cluster);
            let (text, note) = super::in_place::edit(file, guild.to_yaml());
            change.notes.extend(note);
            change.files.insert(path.clone(), Some(text));
            guilds += 1;
        }
        let mut load = tenant_load(snapshot);
        let mut tenants = 0;
        for (path, file) in &snapshot.tenants {
            let Some(mut tenant) = file
                .parsed
                .as_ref()
                .ok()
                .and_then(|d| serde_json::from_value::<Tenant>(d.value.clone()).ok())
            else {
                continue;
            };
            let mut placed = tenant.spec.placement.clone().unwrap_or_default();
            if placed.cluster.is_some() {
                continue;
            }
            let cluster = choose(
                &config,
                &placement::tenant_rule(&config, &tenant.spec.tenant_type),
                placed.region.as_deref(),
                &load,
                Kind::Tenant,
                &format!("tenant type {}", tenant.spec.tenant_type),
            )?;
            *load.entry(cluster.clone()).or_default() += 1;
            placed.cluster = Some(cluster);
            tenant.spec.placement = Some(placed);
            let (text, note) = super::in_place::edit(file, tenant.to_yaml());
            change.notes.extend(note);
            change.files.insert(path.clone(), Some(text));
            tenants += 1;
        }
        change.message = format!("Place {guilds} guild(s) and {tenants} tenant(s) on clusters");
        change.trailers = vec![
            ("Placed-Guilds".to_string(), guilds.to_string()),
            ("Placed-Tenants".to_string(), tenants.to_string()),
        ];
        Ok(change)
    }
}
