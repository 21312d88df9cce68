//! The per-guild Kustomize overlay: namespace, labels, replicas from the tier, and JSON6902
//! patches setting each container's resources, GUILD_ID and the bot token's Secret.

use serde_json::{Value, json};

use super::engine::Templates;
use crate::error::Result;
use crate::model::Guild;
use crate::model::guild::{DEPLOYMENTS, RESOURCE_FIELDS};
use crate::validate::Model;

/// The overlay of one guild: its path and its text.
pub fn render_overlay(
    model: &Model,
    guild: &Guild,
    templates: &Templates,
) -> Result<(String, String)> {
    let id = &guild.guild_id;
    let resources = model.effective_resources(guild);
    let deployments: Vec<Value> = DEPLOYMENTS
        .iter()
        .map(|name| {
            let ops = patch_ops(name, id, &resources);
            json!({ "name": name, "json_patch": serde_json::to_string(&ops).expect("json") })
        })
        .collect();
    let context = json!({
        "source": Guild::path_for(id),
        "namespace": Guild::namespace_for(id),
        "guild": guild,
        "replicas": model.tier_of(guild).replicas,
        "deployments": deployments,
    });
    let text = templates.render(templates.guild_kustomization(), context)?;
    Ok((
        format!(
            "{}/guild-{id}/kustomization.yaml",
            super::GUILD_OVERLAYS_DIR
        ),
        text,
    ))
}

/// JSON6902 operations for one Deployment. `test` operations make kustomize fail loudly if the
/// base's container or env order changed, instead of patching the wrong entry.
fn patch_ops(
    deployment: &str,
    id: &str,
    resources: &std::collections::BTreeMap<String, String>,
) -> Vec<Value> {
    let container = "/spec/template/spec/containers/0";
    let mut requests = serde_json::Map::new();
    let mut limits = serde_json::Map::new();
    for field in RESOURCE_FIELDS
        .iter()
        .filter(|f| f.deployment == deployment)
    {
        if let Some(value) = resources.get(field.key) {
            let target = if field.bound == "requests" {
                &mut requests
            } else {
                &mut limits
            };
            target.insert(field.resource.to_string(), json!(value));
        }
    }
    let mut ops = vec![
        json!({"op": "test", "path": format!("{container}/name"), "value": deployment}),
        json!({"op": "add", "path": format!("{container}/resources"), "value": {"requests": requests, "limits": limits}}),
        json!({"op": "test", "path": format!("{container}/env/0/name"), "value": "GUILD_ID"}),
        json!({"op": "replace", "path": format!("{container}/env/0/value"), "value": id}),
    ];
    if deployment == "discord-bot" {
        ops.push(json!({"op": "test", "path": format!("{container}/env/1/name"), "value": "DISCORD_TOKEN"}));
        ops.push(json!({
            "op": "replace",
            "path": format!("{container}/env/1/valueFrom/secretKeyRef/name"),
            "value": format!("discord-secrets-{id}"),
        }));
    }
    ops
}
