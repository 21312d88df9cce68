//! A guild: one Discord server running the bot, described by `guilds/guild-<id>.yaml`.
//!
//! The file format is the seed's contract: snake_case keys, every value a quoted string.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// One resource setting of a guild file, and where in the rendered Deployments it lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceField {
    /// The key in the guild file, e.g. `backend_cpu_limit`.
    pub key: &'static str,
    /// The Deployment (and container) it applies to.
    pub deployment: &'static str,
    /// `cpu` or `memory`.
    pub resource: &'static str,
    /// `requests` or `limits`.
    pub bound: &'static str,
}

const fn field(
    key: &'static str,
    deployment: &'static str,
    resource: &'static str,
    bound: &'static str,
) -> ResourceField {
    ResourceField {
        key,
        deployment,
        resource,
        bound,
    }
}

/// Every resource key of a guild file, in the seed's order.
pub const RESOURCE_FIELDS: [ResourceField; 8] = [
    field(
        "discord_memory_request",
        "discord-bot",
        "memory",
        "requests",
    ),
    field("discord_memory_limit", "discord-bot", "memory", "limits"),
    field("discord_cpu_request", "discord-bot", "cpu", "requests"),
    field("discord_cpu_limit", "discord-bot", "cpu", "limits"),
    field("backend_memory_request", "backend", "memory", "requests"),
    field("backend_memory_limit", "backend", "memory", "limits"),
    field("backend_cpu_request", "backend", "cpu", "requests"),
    field("backend_cpu_limit", "backend", "cpu", "limits"),
];

/// The Deployments a guild runs, each with one container of the same name.
pub const DEPLOYMENTS: [&str; 2] = ["backend", "discord-bot"];

/// Looks up a resource field by its key.
pub fn resource_field(key: &str) -> Option<&'static ResourceField> {
    RESOURCE_FIELDS.iter().find(|f| f.key == key)
}

/// A guild as written in its file. Resource keys the file leaves out take the tier's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guild {
    pub guild_id: String,
    pub tier: String,
    /// The cluster it runs on (with `clusters` in `tenantctl.yaml`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Resource key -> quantity, only the keys the file sets.
    #[serde(flatten)]
    pub resources: BTreeMap<String, String>,
}

impl Guild {
    /// The file a guild lives in, relative to the repo root.
    pub fn path_for(id: &str) -> String {
        format!("guilds/guild-{id}.yaml")
    }

    /// The namespace (and Argo CD Application name) of a guild.
    pub fn namespace_for(id: &str) -> String {
        format!("guild-{id}")
    }

    /// Reads a guild from a value that already passed the guild schema.
    pub fn from_value(value: &Value) -> Option<Guild> {
        let object = value.as_object()?;
        let resources = RESOURCE_FIELDS
            .iter()
            .filter_map(|f| Some((f.key.to_string(), object.get(f.key)?.as_str()?.to_string())))
            .collect();
        Some(Guild {
            guild_id: object.get("guild_id")?.as_str()?.to_string(),
            tier: object.get("tier")?.as_str()?.to_string(),
            cluster: match object.get("cluster") {
                Some(cluster) => Some(cluster.as_str()?.to_string()),
                None => None,
            },
            resources,
        })
    }

    /// The file's text in the seed's shape: fixed key order, every value a double-quoted string.
    pub fn to_yaml(&self) -> String {
        let quote = |s: &str| serde_json::to_string(s).expect("strings always serialize");
        let mut out =
            String::from("# yaml-language-server: $schema=../schemas/guild.schema.json\n");
        out += &format!("guild_id: {}\n", quote(&self.guild_id));
        out += &format!("tier: {}\n", quote(&self.tier));
        if let Some(cluster) = &self.cluster {
            out += &format!("cluster: {}\n", quote(cluster));
        }
        for field in RESOURCE_FIELDS {
            if let Some(value) = self.resources.get(field.key) {
                out += &format!("{}: {}\n", field.key, quote(value));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_seed_shape() {
        let guild = Guild {
            guild_id: "123456789".into(),
            tier: "free".into(),
            cluster: None,
            resources: [("backend_cpu_limit".to_string(), "200m".to_string())].into(),
        };
        let text = guild.to_yaml();
        assert!(
            text.ends_with(
                "guild_id: \"123456789\"\ntier: \"free\"\nbackend_cpu_limit: \"200m\"\n"
            )
        );
        let parsed = crate::yaml::parse(text.as_bytes()).unwrap();
        assert_eq!(Guild::from_value(&parsed.value), Some(guild));
    }
}
