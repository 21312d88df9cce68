//! Create, update and delete a guild, as [`Operation`]s.

use std::collections::BTreeMap;

use super::{Change, Operation};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::load::Snapshot;
use crate::model::guild::resource_field;
use crate::model::{Guild, RESOURCE_FIELDS};
use crate::validate::diagnostic::{Diagnostic, code};
use crate::validate::suggest::closest;

/// `create-guild`: a new guild file with the tier's defaults and any `--set` values.
pub struct CreateGuild {
    pub id: String,
    pub tier: String,
    pub sets: Vec<(String, String)>,
    /// Pins the cluster; otherwise the tier pool's least loaded one (with `clusters`).
    pub cluster: Option<String>,
}

/// `move-guild`: the guild goes to another cluster of its tier's pool.
pub struct MoveGuild {
    pub id: String,
    pub cluster: String,
}

/// `update-guild`: a new tier and/or `--set` values for an existing guild.
pub struct UpdateGuild {
    pub id: String,
    pub tier: Option<String>,
    pub sets: Vec<(String, String)>,
}

/// `delete-guild`: removes the guild's file (its overlay goes with the render).
pub struct DeleteGuild {
    pub id: String,
}

/// Refuses an ID that is no Discord snowflake before it is used to build a path.
pub fn check_id(id: &str) -> Result<()> {
    if crate::validate::formats::is_snowflake(id) {
        return Ok(());
    }
    Err(Error::usage(
        format!(
            "invalid guild ID `{id}`: a Discord guild ID is 1 to 20 digits, at most 18446744073709551615 (64 bits)"
        ),
        "copy it from Discord (Server Settings > Widget > Server ID, or right-click the server with Developer Mode on)",
    ))
}

/// Parses `FIELD=VALUE`, refusing fields a guild file does not have.
pub fn parse_set(text: &str) -> Result<(String, String)> {
    let Some((field, value)) = text.split_once('=') else {
        return Err(Error::usage(
            format!("--set `{text}` is not FIELD=VALUE"),
            "write it like --set backend_memory_limit=1Gi",
        ));
    };
    let field = field.trim();
    if resource_field(field).is_none() {
        let keys = RESOURCE_FIELDS.iter().map(|f| f.key);
        let hint = match closest(field, keys.clone()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("settable fields: {}", keys.collect::<Vec<_>>().join(", ")),
        };
        return Err(Error::usage(
            format!("--set: unknown field `{field}`"),
            hint,
        ));
    }
    Ok((field.to_string(), value.trim().to_string()))
}

/// Refuses an ID that is not valid or has no guild file, with "did you mean" for a near one.
pub fn check_exists(snapshot: &Snapshot, id: &str) -> Result<()> {
    check_id(id)?;
    let path = Guild::path_for(id);
    if snapshot.guilds.contains_key(&path) {
        return Ok(());
    }
    // A symbolic link as the file or as `guilds/` is not followed: E102, not "does not exist".
    if let Some(link) = snapshot.link_refusal(&path) {
        return Err(Error::Invalid(vec![link.clone()]));
    }
    let ids = snapshot
        .guilds
        .keys()
        .filter_map(|p| p.strip_prefix("guilds/guild-")?.strip_suffix(".yaml"));
    let hint = match closest(id, ids) {
        Some(near) => format!("did you mean {near}? `tenantctl list` shows every guild"),
        None => "`tenantctl list` shows every guild".to_string(),
    };
    Err(Error::usage(
        format!("no guild {id}: {path} does not exist"),
        hint,
    ))
}

/// The guild file at `id`, parsed; a usage error (with "did you mean") when there is none.
fn existing(snapshot: &Snapshot, id: &str) -> Result<Guild> {
    check_exists(snapshot, id)?;
    let path = Guild::path_for(id);
    let file = &snapshot.guilds[&path];
    let document = file.parsed.as_ref().map_err(|e| {
        Error::Invalid(vec![Diagnostic::error(
            &path,
            e.position,
            code::YAML_SYNTAX,
            e.message.clone(),
        )])
    })?;
    Guild::from_value(&document.value).ok_or_else(|| {
        Error::Invalid(vec![Diagnostic::error(
            &path,
            document.value_position(""),
            code::SCHEMA,
            "file does not describe a guild; run `tenantctl validate`",
        )])
    })
}

/// The config as it is on disk; commands that need tier defaults cannot work without it.
fn config(snapshot: &Snapshot) -> Result<Config> {
    snapshot.parsed_config().ok_or_else(|| {
        Error::config(
            anyhow::anyhow!("tenantctl.yaml is invalid, so tier defaults are unknown"),
            "run `tenantctl validate` and fix what it reports",
        )
    })
}

/// The commit trailers of a change to guild `id`.
fn guild_trailers(id: &str, tier: &str) -> Vec<(String, String)> {
    vec![
        ("Guild-Id".to_string(), id.to_string()),
        ("Tier".to_string(), tier.to_string()),
    ]
}

fn describe_sets(sets: &[(String, String)]) -> String {
    sets.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Operation for CreateGuild {
    fn name(&self) -> &'static str {
        "create-guild"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        check_id(&self.id)?;
        let path = Guild::path_for(&self.id);
        if let Some(file) = snapshot.guilds.get(&path) {
            let at = file
                .parsed
                .as_ref()
                .map(|d| d.value_position("/guild_id"))
                .unwrap_or_default();
            return Err(Error::Invalid(vec![
                Diagnostic::error(
                    &path,
                    at,
                    code::DUPLICATE_ID,
                    format!("guild {} already exists", self.id),
                )
                .with_hint(format!(
                    "change it with `tenantctl update-guild {}`",
                    self.id
                )),
            ]));
        }
        let config = config(snapshot)?;
        // An unknown tier gets no defaults; validation then reports it against the new file.
        let mut resources: BTreeMap<String, String> = config
            .tiers
            .get(&self.tier)
            .map(|t| t.defaults.clone())
            .unwrap_or_default();
        resources.extend(self.sets.iter().cloned());
        super::placement::check_requested(&config, self.cluster.as_deref(), None)?;
        let cluster = match &self.cluster {
            Some(cluster) => Some(cluster.clone()),
            None if config.clusters.is_empty() || !config.tiers.contains_key(&self.tier) => None,
            None => Some(super::placement::choose(
                &config,
                &crate::model::placement::guild_rule(&config, &self.tier),
                None,
                &super::placement::guild_load(snapshot),
                crate::model::placement::Kind::Guild,
                &format!("tier {}", self.tier),
            )?),
        };
        let guild = Guild {
            guild_id: self.id.clone(),
            tier: self.tier.clone(),
            cluster: cluster.clone(),
            resources,
        };
        let mut message = format!("Add guild {} ({})", self.id, self.tier);
        if let Some(cluster) = &cluster {
            message = format!("Add guild {} ({}, cluster {cluster})", self.id, self.tier);
        }
        if !self.sets.is_empty() {
            message += &format!("\n\nSet {}.", describe_sets(&self.sets));
        }
        Ok(Change {
            files: [(path, Some(guild.to_yaml()))].into(),
            message,
            trailers: guild_trailers(&self.id, &self.tier),
            id: self.id.clone(),
            notes: vec![format!(
                "store the bot token before Argo CD syncs (encrypted, never in plaintext): tenantctl secret set {id} token --from-env DISCORD_TOKEN",
                id = self.id
            )],
        })
    }
}

impl Operation for UpdateGuild {
    fn name(&self) -> &'static str {
        "update-guild"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        let mut guild = existing(snapshot, &self.id)?;
        let old_tier = guild.tier.clone();
        let mut what = Vec::new();
        let mut notes = Vec::new();
        if let Some(tier) = &self.tier
            && *tier != guild.tier
        {
            let config = config(snapshot)?;
            // Values still at the old tier's defaults follow the tier; customised ones stay.
            if let (Some(old), Some(new)) = (config.tiers.get(&guild.tier), config.tiers.get(tier))
            {
                for (key, value) in guild.resources.iter_mut() {
                    if old.defaults.get(key) == Some(value)
                        && let Some(default) = new.defaults.get(key)
                    {
                        *value = default.clone();
                    }
                }
            }
            guild.tier = tier.clone();
            what.push(format!("tier {old_tier} -> {tier}"));
            // A new tier may have another pool: a guild outside it moves to the new pool.
            let rule = crate::model::placement::guild_rule(&config, tier);
            let admitted = guild.cluster.as_ref().is_some_and(|name| {
                config
                    .clusters
                    .iter()
                    .any(|c| c.name == *name && rule.admits(c))
            });
            if !config.clusters.is_empty() && config.tiers.contains_key(tier) && !admitted {
                let to = super::placement::choose(
                    &config,
                    &rule,
                    None,
                    &super::placement::guild_load(snapshot),
                    crate::model::placement::Kind::Guild,
                    &format!("tier {tier}"),
                )?;
                notes.extend(super::placement::move_notes(
                    &config,
                    &Guild::namespace_for(&self.id),
                    &Guild::namespace_for(&self.id),
                    guild.cluster.as_deref(),
                    &to,
                ));
                what.push(format!(
                    "cluster {} -> {to}",
                    guild.cluster.as_deref().unwrap_or("none")
                ));
                guild.cluster = Some(to);
            }
        }
        for (key, value) in &self.sets {
            if guild.resources.get(key) != Some(value) {
                guild.resources.insert(key.clone(), value.clone());
                what.push(format!("{key}={value}"));
            }
        }
        let path = Guild::path_for(&self.id);
        let message = if what.is_empty() {
            format!("Update guild {} (no change)", self.id)
        } else {
            format!("Update guild {} ({})", self.id, what.join(", "))
        };
        // The user's file keeps its comments and layout: only the changed values are edited.
        let (text, note) = super::in_place::edit(&snapshot.guilds[&path], guild.to_yaml());
        notes.extend(note);
        Ok(Change {
            trailers: guild_trailers(&self.id, &guild.tier),
            id: self.id.clone(),
            files: [(path, Some(text))].into(),
            message,
            notes,
        })
    }
}

impl Operation for MoveGuild {
    fn name(&self) -> &'static str {
        "move-guild"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        let mut guild = existing(snapshot, &self.id)?;
        let config = config(snapshot)?;
        super::placement::check_requested(&config, Some(&self.cluster), None)?;
        let rule = crate::model::placement::guild_rule(&config, &guild.tier);
        if let Some(target) = config.clusters.iter().find(|c| c.name == self.cluster)
            && !rule.admits(target)
        {
            let pool = crate::model::placement::pool(&config, &rule, None);
            return Err(Error::usage(
                format!(
                    "cluster `{}` is not in the pool of tier {}: the move would break the tier's placement",
                    self.cluster, guild.tier
                ),
                format!(
                    "its pool: {}; or change the tier with `tenantctl update-guild {} --tier TIER`",
                    pool.iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.id
                ),
            ));
        }
        let from = guild.cluster.replace(self.cluster.clone());
        let path = Guild::path_for(&self.id);
        let (text, note) = super::in_place::edit(&snapshot.guilds[&path], guild.to_yaml());
        let namespace = Guild::namespace_for(&self.id);
        let mut notes = super::placement::move_notes(
            &config,
            &namespace,
            &namespace,
            from.as_deref(),
            &self.cluster,
        );
        if from.as_deref() == Some(self.cluster.as_str()) {
            notes.push(format!("guild {} is on {} already", self.id, self.cluster));
        }
        notes.extend(note);
        let mut trailers = guild_trailers(&self.id, &guild.tier);
        trailers.push(("Cluster".to_string(), self.cluster.clone()));
        Ok(Change {
            files: [(path, Some(text))].into(),
            message: format!(
                "Move guild {} to cluster {} (from {})",
                self.id,
                self.cluster,
                from.as_deref().unwrap_or("no cluster")
            ),
            trailers,
            id: self.id.clone(),
            notes,
        })
    }
}

impl Operation for DeleteGuild {
    fn name(&self) -> &'static str {
        "delete-guild"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        check_exists(snapshot, &self.id)?;
        let path = Guild::path_for(&self.id);
        let tier = existing(snapshot, &self.id)
            .map(|g| g.tier)
            .unwrap_or_else(|_| "unknown tier".into());
        let mut notes = Vec::new();
        if let Some(config) = snapshot.parsed_config() {
            if config.argocd.applications_sync == "create-update"
                || config.argocd.applications_sync == "create-only"
            {
                notes.push(format!(
                    "Argo CD keeps the Application guild-{id} (applicationsSync: {sync}); remove it with: kubectl delete application guild-{id} -n {ns}",
                    id = self.id,
                    sync = config.argocd.applications_sync,
                    ns = config.argocd.namespace,
                ));
            }
            if config.argocd.preserve_resources_on_deletion {
                notes.push(format!(
                    "its resources stay in namespace guild-{id} (preserveResourcesOnDeletion); remove them with: kubectl delete namespace guild-{id}",
                    id = self.id
                ));
            }
        }
        let mut files: BTreeMap<String, Option<String>> = [(path, None)].into();
        let secrets = crate::secret::files_of(snapshot, &crate::secret::Owner::guild(&self.id));
        if !secrets.is_empty() {
            notes.push(format!("its secrets go too: {}", secrets.join(", ")));
        }
        files.extend(secrets.into_iter().map(|p| (p, None)));
        Ok(Change {
            files,
            message: format!("Delete guild {} ({tier})", self.id),
            trailers: guild_trailers(&self.id, &tier),
            id: self.id.clone(),
            notes,
        })
    }
}
