//! The per-guild Kustomize overlay: namespace, labels, replicas from the tier, and JSON6902
//! patches setting each container's resources, GUILD_ID and the bot token's Secret.

use serde_json::{Value, json};

use super::engine::Templates;
use crate::error::Result;
use crate::model::Guild;
use crate::model::guild::{DEPLOYMENTS, RESOURCE_FIELDS};
use crate::validate::Model;

/// The overlay of one guild: its files (kustomization and isolation), by path.
pub fn render_overlay(
    model: &Model,
    guild: &Guild,
    templates: &Templates,
) -> Result<Vec<(String, String)>> {
    let id = &guild.guild_id;
    let resources = model.effective_resources(guild);
    let tier = model.tier_of(guild);
    let scale = Scale::of(tier);
    let deployments: Vec<Value> = DEPLOYMENTS
        .iter()
        .map(|name| {
            let mut ops = patch_ops(name, id, &resources);
            if *name == "backend"
                && let Some(probes) = &model.config.monitoring.guild_probes
            {
                ops.extend(probe_ops(probes));
            }
            let replicas = scale.fixed_replicas(name);
            if replicas.is_none() {
                // The HorizontalPodAutoscaler owns the count: a count in the manifest would
                // have Argo CD's self-heal undo every scaling step.
                ops.push(json!({"op": "remove", "path": "/spec/replicas"}));
            }
            json!({ "name": name, "replicas": replicas, "patch_lines": patch_lines(&ops) })
        })
        .collect();
    let availability = scale.has_availability();
    let monitoring = model.config.monitoring.enabled;
    let context = json!({
        "source": Guild::path_for(id),
        "namespace": Guild::namespace_for(id),
        "guild": guild,
        "deployments": deployments,
        // For a repo's own copy of an older template, which sets every count to this.
        "replicas": tier.replicas,
        "availability": availability,
        "monitoring": monitoring,
        "secrets": crate::secret::overlay_refs(&crate::secret::Owner::guild(id), &model.secrets),
    });
    let dir = format!("{}/guild-{id}", super::GUILD_OVERLAYS_DIR);
    let kustomization = templates.render(templates.guild_kustomization(), context)?;
    let isolation = templates.render(
        crate::embedded::GUILD_ISOLATION.path,
        json!({
            "source": Guild::path_for(id),
            "quota": quota(&resources, &scale),
            "defaults": {
                "cpu_request": resources.get("backend_cpu_request"),
                "cpu_limit": resources.get("backend_cpu_limit"),
                "memory_request": resources.get("backend_memory_request"),
                "memory_limit": resources.get("backend_memory_limit"),
            },
            "expose_backend": tier.expose_backend,
            "ingress_namespace": model.config.tenants.ingress_controller_namespace,
            "internet_except": super::tenant::INTERNET_EXCEPT,
        }),
    )?;
    let leader_election = templates.render(
        crate::embedded::GUILD_LEADER_ELECTION.path,
        json!({ "source": Guild::path_for(id), "namespace": Guild::namespace_for(id) }),
    )?;
    let mut files = vec![
        (format!("{dir}/kustomization.yaml"), kustomization),
        (format!("{dir}/isolation.yaml"), isolation),
        (format!("{dir}/leader-election.yaml"), leader_election),
    ];
    if availability {
        let hpa = tier.autoscaling.as_ref().map(|hpa| {
            json!({
                "min": scale.backend.0,
                "max": scale.backend.1,
                "cpu": hpa.target_cpu_utilization_percentage,
            })
        });
        let text = templates.render(
            crate::embedded::GUILD_AVAILABILITY.path,
            json!({
                "source": Guild::path_for(id),
                "tier": guild.tier,
                "budgets": scale.budgets(),
                "hpa": hpa,
            }),
        )?;
        files.push((format!("{dir}/availability.yaml"), text));
    }
    if monitoring {
        let text = super::monitoring::guild(model, guild, templates)?;
        files.push((format!("{dir}/monitoring.yaml"), text));
    }
    Ok(files)
}

/// How many pods each Deployment of a tier's guild runs: the backend between its HPA's floor
/// and ceiling (both the tier's replicas without autoscaling), the bot at the tier's replicas.
pub struct Scale {
    pub backend: (u32, u32),
    pub bot: u32,
    autoscaled: bool,
}

impl Scale {
    pub fn of(tier: &crate::config::Tier) -> Scale {
        Scale {
            backend: tier.backend_replicas(),
            bot: tier.replicas,
            autoscaled: tier.autoscaling.is_some(),
        }
    }

    /// The most pods of `deployment` at once outside a rollout.
    pub fn peak(&self, deployment: &str) -> u32 {
        if deployment == "backend" {
            self.backend.1
        } else {
            self.bot
        }
    }

    /// The replica count the overlay sets, or `None` when an HPA owns it.
    fn fixed_replicas(&self, deployment: &str) -> Option<u32> {
        match deployment {
            "backend" if self.autoscaled => None,
            "backend" => Some(self.backend.0),
            _ => Some(self.bot),
        }
    }

    /// Deployments that can run more than one pod: each gets a PodDisruptionBudget.
    pub fn budgets(&self) -> Vec<&'static str> {
        DEPLOYMENTS
            .iter()
            .copied()
            .filter(|d| self.peak(d) > 1)
            .collect()
    }

    /// Whether anything can run more than one pod (an autoscaled backend always can).
    fn has_availability(&self) -> bool {
        !self.budgets().is_empty()
    }
}

/// The guild's ResourceQuota: every Deployment at its peak (the HPA's ceiling for an autoscaled
/// backend) plus the one surge pod of a rolling update (maxSurge 25% rounds up to 1), so neither
/// a scale-up nor a rollout is refused by the quota.
fn quota(resources: &std::collections::BTreeMap<String, String>, scale: &Scale) -> Value {
    // In whole units (millicores, bytes), so that 3 x 300m is 900m and not 900.0000001m.
    let total = |resource: &str, bound: &str, unit: f64| -> u64 {
        RESOURCE_FIELDS
            .iter()
            .filter(|f| f.resource == resource && f.bound == bound)
            .filter_map(|f| {
                let q = crate::model::quantity::Quantity::parse(resources.get(f.key)?)?;
                Some((q.0 * unit).ceil() as u64 * u64::from(scale.peak(f.deployment) + 1))
            })
            .sum()
    };
    let cpu = |bound: &str| format!("{}m", total("cpu", bound, 1000.0));
    let memory = |bound: &str| format!("{}Mi", total("memory", bound, 1.0).div_ceil(1_048_576));
    let pods: u32 = DEPLOYMENTS.iter().map(|d| scale.peak(d) + 1).sum();
    json!({
        "pods": pods.to_string(),
        "requests_cpu": cpu("requests"),
        "limits_cpu": cpu("limits"),
        "requests_memory": memory("requests"),
        "limits_memory": memory("limits"),
    })
}

/// JSON6902 operations as the lines of a YAML block sequence, one setting a line, so a pull
/// request's diff shows which value changed. Every scalar is JSON-quoted: no value can end the
/// line or the literal block the template puts these lines in.
fn patch_lines(ops: &[Value]) -> Vec<String> {
    fn quoted(value: &Value) -> String {
        serde_json::to_string(value).expect("json")
    }
    fn key(key: &str) -> String {
        if !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase()) {
            key.to_string()
        } else {
            quoted(&json!(key))
        }
    }
    fn entries(map: &serde_json::Map<String, Value>, indent: usize, lines: &mut Vec<String>) {
        let pad = " ".repeat(indent);
        for (name, value) in map {
            match value {
                Value::Object(inner) if !inner.is_empty() => {
                    lines.push(format!("{pad}{}:", key(name)));
                    entries(inner, indent + 2, lines);
                }
                _ => lines.push(format!("{pad}{}: {}", key(name), quoted(value))),
            }
        }
    }
    let mut lines = Vec::new();
    for op in ops {
        let mut op_lines = Vec::new();
        entries(
            op.as_object().expect("an operation is an object"),
            2,
            &mut op_lines,
        );
        if let Some(first) = op_lines.first_mut() {
            first.replace_range(..2, "- ");
        }
        lines.extend(op_lines);
    }
    lines
}

/// The backend's probe paths from `monitoring.guildProbes`. The `test`s make kustomize fail
/// loudly when the base has no such probe on the `http` port, rather than add a half probe.
fn probe_ops(probes: &crate::config::ProbePaths) -> Vec<Value> {
    let container = "/spec/template/spec/containers/0";
    [
        ("livenessProbe", &probes.liveness_path),
        ("readinessProbe", &probes.readiness_path),
    ]
    .iter()
    .flat_map(|(probe, path)| {
        [
            json!({"op": "test", "path": format!("{container}/{probe}/httpGet/port"), "value": "http"}),
            json!({"op": "replace", "path": format!("{container}/{probe}/httpGet/path"), "value": path}),
        ]
    })
    .collect()
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
    let pod = "/spec/template/spec";
    if deployment == "discord-bot" {
        ops.push(json!({"op": "test", "path": format!("{container}/env/1/name"), "value": "DISCORD_TOKEN"}));
        ops.push(json!({
            "op": "replace",
            "path": format!("{container}/env/1/valueFrom/secretKeyRef/name"),
            "value": format!("discord-secrets-{id}"),
        }));
        // Leader election (leader-election.yaml): the bot's own account, with a token for the
        // Lease API, and the names it campaigns with.
        ops.push(json!({"op": "add", "path": format!("{pod}/serviceAccountName"), "value": "discord-bot"}));
        ops.push(json!({"op": "add", "path": format!("{pod}/automountServiceAccountToken"), "value": true}));
        ops.push(json!({
            "op": "add",
            "path": format!("{container}/env/-"),
            "value": {"name": "LEADER_ELECTION_LEASE", "value": "discord-bot"},
        }));
        ops.push(json!({
            "op": "add",
            "path": format!("{container}/env/-"),
            "value": {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        }));
    } else {
        // Nothing in the backend talks to the Kubernetes API.
        ops.push(json!({"op": "add", "path": format!("{pod}/automountServiceAccountToken"), "value": false}));
    }
    ops
}
