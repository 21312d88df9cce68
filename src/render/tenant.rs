//! A tenant's overlay: `kustomize/tenants/<tenantId>/`, one manifest file per concern, each from
//! its template, plus the params file the tenants' ApplicationSet reads.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Files;
use super::engine::Templates;
use crate::config::TenantSettings;
use crate::embedded::{EmbeddedFile, tenant as templates_of};
use crate::error::Result;
use crate::model::Tenant;
use crate::secret::OverlayRefs;

/// Where tenant overlays are written; everything below is generated.
pub const TENANT_OVERLAYS_DIR: &str = "kustomize/tenants";

/// Every file of one tenant's overlay.
pub fn render_overlay(
    settings: &TenantSettings,
    tenant: &Tenant,
    templates: &Templates,
) -> Result<Files> {
    render_overlay_with_secrets(settings, tenant, &OverlayRefs::default(), None, templates)
}

/// Every file of one tenant's overlay, referencing the tenant's secrets (`secrets`).
pub fn render_overlay_with_secrets(
    settings: &TenantSettings,
    tenant: &Tenant,
    secrets: &OverlayRefs,
    monitoring: Option<&crate::config::Monitoring>,
    templates: &Templates,
) -> Result<Files> {
    let facts =
        json!({ "source": Tenant::path_for(&tenant.spec.tenant_id), "t": facts(settings, tenant) });
    // Converted for the template engine once, not once per template.
    let context = minijinja::Value::from(minijinja::value::Serde(&facts));
    let mut manifests: Vec<EmbeddedFile> = vec![
        templates_of::NAMESPACE,
        templates_of::RBAC,
        templates_of::CONFIG,
        templates_of::QUOTA,
        templates_of::NETWORK_POLICIES,
    ];
    if !tenant.services().is_empty() {
        manifests.push(templates_of::SERVICES);
    }
    if tenant.spec.custom_domain.is_some() && !tenant.services().is_empty() {
        manifests.push(templates_of::INGRESS);
    }
    if tenant.backups_enabled() {
        manifests.push(templates_of::BACKUP);
    }
    // Budgets wherever a service can run more than one pod; the HPA only where it autoscales.
    if tenant.is_autoscaled() || facts["t"]["replicas"].as_u64().unwrap_or(0) > 1 {
        manifests.push(templates_of::AVAILABILITY);
    }
    let dir = format!("{TENANT_OVERLAYS_DIR}/{}", tenant.spec.tenant_id);
    let mut files = Files::new();
    // Every manifest of the tenant in one file: Argo CD's repo server clones one file per
    // tenant instead of up to eleven (a million files at 100,000 tenants), and kustomize builds
    // the same objects. Each template keeps its own comments under the one header.
    let mut parts = Vec::new();
    for template in manifests {
        parts.push(templates.render(template.path, &context)?);
    }
    if let Some(monitoring) = monitoring.filter(|m| m.enabled && !tenant.services().is_empty()) {
        parts.push(super::monitoring::tenant(monitoring, tenant, templates)?);
    }
    files.insert(format!("{dir}/{RESOURCES_FILE}"), merge_manifests(&parts));
    let mut names = vec![RESOURCES_FILE.to_string()];
    names.extend(secrets.resources.iter().cloned());
    names.sort();
    // Secrets (a KSOPS generator's output, ExternalSecrets) carry no namespace of their own.
    let has_secrets = !secrets.generators.is_empty() || !secrets.resources.is_empty();
    let kustomization = json!({
        "source": facts["source"],
        "files": names,
        "generators": secrets.generators,
        "namespace": if has_secrets { tenant.namespace().ok() } else { None },
        "id": tenant.spec.tenant_id,
    });
    files.insert(
        format!("{dir}/kustomization.yaml"),
        templates.render(templates_of::KUSTOMIZATION.path, kustomization)?,
    );
    files.insert(
        format!("{dir}/params.yaml"),
        templates.render(templates_of::PARAMS.path, &context)?,
    );
    Ok(files)
}

/// The label prefix of Kubernetes' Pod Security admission; users may not set these labels.
pub const POD_SECURITY_PREFIX: &str = "pod-security.kubernetes.io/";

/// The labels every tenant Namespace carries: the "restricted" profile enforced, warned about
/// and audited, at the cluster's latest version of it.
pub fn pod_security_labels() -> BTreeMap<String, String> {
    ["enforce", "warn", "audit"]
        .iter()
        .flat_map(|mode| {
            [
                (
                    format!("{POD_SECURITY_PREFIX}{mode}"),
                    "restricted".to_string(),
                ),
                (
                    format!("{POD_SECURITY_PREFIX}{mode}-version"),
                    "latest".to_string(),
                ),
            ]
        })
        .collect()
}

/// `templates/tenant/rbac.yaml.j2` -> `rbac.yaml`.
/// The file holding every manifest of a tenant's overlay (beside kustomization.yaml and
/// params.yaml, and the tenant's secrets).
pub const RESOURCES_FILE: &str = "resources.yaml";

/// Rendered manifest files as one YAML stream: the first file's generated header once, then
/// each file without its own header line, separated by `---`.
fn merge_manifests(parts: &[String]) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        let body = if i == 0 {
            part.as_str()
        } else {
            out += "---\n";
            part.split_once('\n').map_or("", |(_, rest)| rest)
        };
        out += body;
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Everything the templates need, worked out once: names, replicas, labels, config data.
fn facts(settings: &TenantSettings, tenant: &Tenant) -> Value {
    let spec = &tenant.spec;
    let id = &spec.tenant_id;
    let namespace = tenant.namespace().unwrap_or_default();
    let config = spec.tenant_config.clone().unwrap_or_default();
    let replicas = if tenant.is_active() {
        settings.replicas_for(&spec.tenant_type)
    } else {
        0
    };

    let mut labels = BTreeMap::from([
        (
            "app.kubernetes.io/part-of".to_string(),
            "pishop".to_string(),
        ),
        ("app.kubernetes.io/instance".to_string(), id.clone()),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "tenantctl".to_string(),
        ),
        ("shop.pilab.hu/tenant-id".to_string(), id.clone()),
    ]);
    let mut namespace_labels = config.labels.clone().unwrap_or_default();
    namespace_labels.extend(labels.clone());
    namespace_labels.insert("app.kubernetes.io/name".into(), "tenant".into());
    namespace_labels.insert("shop.pilab.hu/tenant-type".into(), spec.tenant_type.clone());
    if let Some(tier) = &config.billing_tier {
        namespace_labels.insert("shop.pilab.hu/billing-tier".into(), tier.clone());
    }
    // Pod Security "restricted", enforced: inserted last, so no tenantConfig label (refused by
    // `validate` anyway, E339) can weaken it.
    namespace_labels.retain(|key, _| !key.starts_with(POD_SECURITY_PREFIX));
    namespace_labels.extend(pod_security_labels());
    labels.insert("shop.pilab.hu/tenant-type".into(), spec.tenant_type.clone());
    let mut namespace_annotations = config.annotations.clone().unwrap_or_default();
    if let Some(name) = &config.customer_name {
        namespace_annotations.insert("shop.pilab.hu/customer-name".into(), name.clone());
    }
    if let Some(email) = &config.customer_email {
        namespace_annotations.insert("shop.pilab.hu/customer-email".into(), email.clone());
    }

    let plan = crate::model::capacity::plan(settings, tenant);
    let resources: BTreeMap<&str, &crate::config::ContainerResources> = plan
        .services
        .iter()
        .map(|s| (s.name.as_str(), &s.resources))
        .collect();
    let (min_replicas, max_replicas) = plan
        .services
        .first()
        .map_or((replicas, replicas), |s| (s.min, s.max));
    let services = tenant.services();
    let routes: Vec<Value> = ingress_routes(services);
    let network = network_facts(settings, tenant, &namespace, &routes);
    let backup = spec.backup_config.clone().unwrap_or_default();
    json!({
        "id": id,
        "namespace": namespace,
        "cluster": spec.placement.as_ref().and_then(|p| p.cluster.clone()),
        "type": spec.tenant_type,
        "replicas": replicas,
        "autoscaled": tenant.is_autoscaled(),
        "registry": settings.registry,
        "image_tag": spec.image_tag.clone().unwrap_or_else(|| settings.default_image_tag.clone()),
        "port": settings.container_port,
        "probes": {
            "liveness": settings.liveness_probe_path,
            "readiness": settings.readiness_probe_path,
        },
        // Spread the pods of a service over nodes when there can be more than one.
        "spread": tenant.is_autoscaled() || replicas > 1,
        "services": services,
        "deployed_at": spec.deployed_at,
        "domain": spec.custom_domain,
        "tls_secret": spec.ingress_tls_secret_name,
        "ingress_class": settings.ingress_class_name,
        "ingress_namespace": settings.ingress_controller_namespace,
        "routes": routes,
        "network": network,
        "labels": labels,
        "namespace_labels": namespace_labels,
        "namespace_annotations": namespace_annotations,
        "config_data": config_data(settings, tenant),
        "quota": plan.quota,
        "resources": resources,
        "hpa": {
            "min": min_replicas,
            "max": max_replicas,
            "configured_max": plan.configured_max,
            "capped": max_replicas < plan.configured_max,
        },
        "defaults": settings.container_defaults,
        "mongo_secret": spec.mongo_password_secret_ref,
        "backup": backup_facts(settings, tenant, &backup, plan.backup.as_ref()),
    })
}

/// The backup CronJob: schedule, time zone, deadlines, resources, and where it writes.
fn backup_facts(
    settings: &TenantSettings,
    tenant: &Tenant,
    backup: &crate::model::tenant::BackupConfig,
    resources: Option<&crate::config::ContainerResources>,
) -> Value {
    let target = crate::model::capacity::backup_target(settings, tenant).unwrap_or_default();
    let bucket = target.bucket.map(|b| {
        json!({
            "url": b.url.replace("{tenantId}", &tenant.spec.tenant_id),
            "credentials_secret_name": b.credentials_secret_name,
        })
    });
    json!({
        "schedule": backup.schedule,
        "retention": backup.retention.clone().unwrap_or_else(|| "7d".into()),
        "time_zone": backup.time_zone.clone().unwrap_or_else(|| settings.backup.time_zone.clone()),
        "starting_deadline_seconds": settings.backup.starting_deadline_seconds,
        "active_deadline_seconds": settings.backup.active_deadline_seconds,
        "image": settings.backup_image,
        "resources": resources,
        "volume": target.volume.map(|v| json!({
            "size": crate::model::capacity::backup_volume_size(&v, tenant),
            "storage_class": v.storage_class_name,
        })),
        "bucket": bucket,
    })
}

/// `/api` goes to the `api` service and `/` to `frontend`, when they exist; otherwise `/` goes
/// to the first service.
fn ingress_routes(services: &[String]) -> Vec<Value> {
    let has = |name: &str| services.iter().any(|s| s == name);
    let mut routes = Vec::new();
    if has("api") && services.len() > 1 {
        routes.push(json!({ "path": "/api", "service": "api" }));
    }
    let root = if has("frontend") {
        "frontend"
    } else {
        services.first().map_or("", String::as_str)
    };
    routes.push(json!({ "path": "/", "service": root }));
    routes
}

/// The ConfigMap: environment, feature flags and connection settings without secrets, with
/// the tenant's own database name, NATS subject prefix and Redis key prefix.
fn config_data(settings: &TenantSettings, tenant: &Tenant) -> BTreeMap<String, String> {
    let spec = &tenant.spec;
    let id = &spec.tenant_id;
    let config = spec.tenant_config.clone().unwrap_or_default();
    let features = config.features.clone().unwrap_or_default();
    let mut data = BTreeMap::from([
        ("TENANT_ID".to_string(), id.clone()),
        ("TENANT_TYPE".to_string(), spec.tenant_type.clone()),
        ("ENVIRONMENT".to_string(), tenant.environment().to_string()),
        ("FEATURES".to_string(), features.join(",")),
        (
            "MONGO_DATABASE".to_string(),
            format!("tenant_{}", id.replace('-', "_")),
        ),
        ("NATS_SUBJECT_PREFIX".to_string(), format!("tenant.{id}.")),
        ("REDIS_KEY_PREFIX".to_string(), format!("tenant:{id}:")),
    ]);
    for feature in &features {
        let name: String = feature
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        data.insert(format!("FEATURE_{name}"), "true".into());
    }
    let urls = settings.data_service_urls(tenant);
    for (key, value) in urls.iter().chain(&[
        ("MONGO_USERNAME", spec.mongo_username.clone()),
        ("BILLING_TIER", config.billing_tier.clone()),
    ]) {
        if let Some(value) = value {
            data.insert(key.to_string(), value.clone());
        }
    }
    data
}

/// The cloud metadata address (AWS, GCP, Azure, OpenStack): no policy ever lets a pod reach it.
pub const METADATA_CIDR: &str = "169.254.169.254/32";

/// What "the internet" excludes in every egress policy: the metadata address and the private
/// ranges where pods, services, nodes and other tenants live.
pub const INTERNET_EXCEPT: [&str; 4] = [
    METADATA_CIDR,
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
];

/// The tenant's network policies beyond default-deny: which pods the ingress controller reaches
/// (the services the Ingress routes to, only when an Ingress is rendered), the egress rules to
/// its data services, and whether the internet on 443 is allowed.
fn network_facts(
    settings: &TenantSettings,
    tenant: &Tenant,
    namespace: &str,
    routes: &[Value],
) -> Value {
    let has_ingress = tenant.spec.custom_domain.is_some() && !tenant.services().is_empty();
    let mut routed: Vec<String> = if has_ingress {
        routes
            .iter()
            .filter_map(|r| r["service"].as_str())
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    } else {
        Vec::new()
    };
    routed.sort();
    routed.dedup();
    let mut rules = std::collections::BTreeSet::new();
    let [mongo, nats, redis] = settings.data_service_urls(tenant);
    for (name, url, port) in [
        ("MongoDB (mongoURI)", mongo.1, 27017),
        ("NATS (natsURL)", nats.1, 4222),
        ("Redis (redisURL)", redis.1, 6379),
    ] {
        let Some(url) = url else { continue };
        for (host, port) in endpoints(&url, port) {
            if let Some(peer) = data_peer(&host, namespace) {
                rules.insert((peer, port, name));
            }
        }
    }
    let data: Vec<Value> = rules
        .into_iter()
        .map(|(peer, port, name)| {
            let mut rule = json!({
                "name": name, "port": port, "namespace": null, "cidr": null, "except": [],
            });
            match peer {
                DataPeer::Namespace(ns) => rule["namespace"] = json!(ns),
                DataPeer::Address(cidr) => rule["cidr"] = json!(cidr),
                DataPeer::Anywhere => {
                    rule["cidr"] = json!("0.0.0.0/0");
                    rule["except"] = json!([METADATA_CIDR]);
                }
            }
            rule
        })
        .collect();
    json!({
        "routed_services": routed,
        "data": data,
        "internet": settings.egress_internet,
        "internet_except": INTERNET_EXCEPT,
    })
}

/// Where a data service's host is, as a NetworkPolicy can say it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum DataPeer {
    /// A Service of another namespace (`<name>.<namespace>.svc[.cluster.local]`).
    Namespace(String),
    /// An IP address, as a /32 (or /128).
    Address(String),
    /// A name outside the cluster: any address but the metadata one, on the service's port.
    Anywhere,
}

/// `host:port` pairs of a connection URL: the scheme, user info, path and query are dropped;
/// several hosts (`h1:27017,h2:27017`) each count; a missing port is the service's default
/// (also for `mongodb+srv://`, whose hosts DNS names).
fn endpoints(url: &str, default_port: u16) -> Vec<(String, u16)> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    hosts
        .split(',')
        .filter(|h| !h.is_empty())
        .filter_map(|h| {
            let (host, port) = if let Some(inner) = h.strip_prefix('[') {
                let (host, after) = inner.split_once(']')?;
                (host, after.strip_prefix(':'))
            } else {
                match h.rsplit_once(':') {
                    Some((host, port)) => (host, Some(port)),
                    None => (h, None),
                }
            };
            let port = match port {
                Some(p) => p.parse().ok()?,
                None => default_port,
            };
            (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
        })
        .collect()
}

/// Where `host` is, seen from `namespace`; `None` when no rule is needed (the tenant's own
/// namespace, allowed anyway) or allowed (the link-local metadata range).
fn data_peer(host: &str, namespace: &str) -> Option<DataPeer> {
    let host = host.trim_end_matches('.');
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return match ip {
            std::net::IpAddr::V4(v4) if v4.is_link_local() || v4.is_loopback() => None,
            std::net::IpAddr::V4(v4) => Some(DataPeer::Address(format!("{v4}/32"))),
            std::net::IpAddr::V6(v6) if v6.is_loopback() => None,
            std::net::IpAddr::V6(v6) => Some(DataPeer::Address(format!("{v6}/128"))),
        };
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() == 1 {
        // A Service of the tenant's own namespace (or localhost).
        return None;
    }
    let svc = labels.iter().position(|l| *l == "svc");
    if let Some(i) = svc.filter(|i| *i >= 2) {
        let tail = &labels[i + 1..];
        if tail.is_empty() || tail == ["cluster", "local"] {
            let ns = labels[i - 1];
            return (ns != namespace).then(|| DataPeer::Namespace(ns.to_string()));
        }
    }
    Some(DataPeer::Anywhere)
}

#[cfg(test)]
mod network_tests {
    use super::*;

    #[test]
    fn urls_give_hosts_and_ports() {
        assert_eq!(
            endpoints(
                "mongodb://u@m-0.mongo.data.svc:27018,m-1.mongo.data.svc/db?rs=x",
                27017
            ),
            [
                ("m-0.mongo.data.svc".to_string(), 27018),
                ("m-1.mongo.data.svc".to_string(), 27017)
            ]
        );
        assert_eq!(endpoints("redis", 6379), [("redis".to_string(), 6379)]);
        assert_eq!(
            endpoints("nats://[fd00::1]:4223", 4222),
            [("fd00::1".to_string(), 4223)]
        );
    }

    #[test]
    fn hosts_become_peers_and_never_the_metadata_address() {
        let ns = "tenant-a-production";
        assert_eq!(data_peer("redis", ns), None);
        assert_eq!(data_peer("redis.tenant-a-production.svc", ns), None);
        assert_eq!(
            data_peer("nats.messaging.svc.cluster.local", ns),
            Some(DataPeer::Namespace("messaging".into()))
        );
        assert_eq!(
            data_peer("10.1.2.3", ns),
            Some(DataPeer::Address("10.1.2.3/32".into()))
        );
        assert_eq!(data_peer("169.254.169.254", ns), None);
        assert_eq!(
            data_peer("cluster0.abcde.mongodb.net", ns),
            Some(DataPeer::Anywhere)
        );
        assert_eq!(data_peer("redis.data", ns), Some(DataPeer::Anywhere));
    }
}
