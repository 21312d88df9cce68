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
    render_overlay_with_secrets(settings, tenant, &OverlayRefs::default(), templates)
}

/// Every file of one tenant's overlay, referencing the tenant's secrets (`secrets`).
pub fn render_overlay_with_secrets(
    settings: &TenantSettings,
    tenant: &Tenant,
    secrets: &OverlayRefs,
    templates: &Templates,
) -> Result<Files> {
    let context =
        json!({ "source": Tenant::path_for(&tenant.spec.tenant_id), "t": facts(settings, tenant) });
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
    if autoscaled(tenant) {
        manifests.push(templates_of::AVAILABILITY);
    }
    let dir = format!("{TENANT_OVERLAYS_DIR}/{}", tenant.spec.tenant_id);
    let mut files = Files::new();
    let mut names = Vec::new();
    for template in manifests {
        let name = file_name(template);
        files.insert(
            format!("{dir}/{name}"),
            templates.render(template.path, &context)?,
        );
        names.push(name);
    }
    names.extend(secrets.resources.iter().cloned());
    names.sort();
    // Secrets (a KSOPS generator's output, ExternalSecrets) carry no namespace of their own.
    let has_secrets = !secrets.generators.is_empty() || !secrets.resources.is_empty();
    let kustomization = json!({
        "source": context["source"],
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

/// Whether the tenant's Deployments get an HPA (`availability.yaml`): an active production tenant
/// with services. The HPA then owns the replica count, so the Deployments render no
/// `spec.replicas` and Argo CD has nothing to reset; a suspended tenant has no HPA and its
/// Deployments say `replicas: 0`.
pub fn autoscaled(tenant: &Tenant) -> bool {
    tenant.spec.tenant_type == "production" && tenant.is_active() && !tenant.services().is_empty()
}

/// `templates/tenant/rbac.yaml.j2` -> `rbac.yaml`.
fn file_name(template: EmbeddedFile) -> String {
    let name = template.path.rsplit('/').next().unwrap_or(template.path);
    name.trim_end_matches(".j2").to_string()
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
    labels.insert("shop.pilab.hu/tenant-type".into(), spec.tenant_type.clone());
    let mut namespace_annotations = config.annotations.clone().unwrap_or_default();
    if let Some(name) = &config.customer_name {
        namespace_annotations.insert("shop.pilab.hu/customer-name".into(), name.clone());
    }
    if let Some(email) = &config.customer_email {
        namespace_annotations.insert("shop.pilab.hu/customer-email".into(), email.clone());
    }

    let limits = spec.resource_limits.clone().unwrap_or_default();
    let mut quota = BTreeMap::new();
    for (key, value) in [
        ("limits.cpu", &limits.cpu_limit),
        ("limits.memory", &limits.memory_limit),
        ("requests.storage", &limits.storage_limit),
    ] {
        if let Some(value) = value {
            quota.insert(key, value.clone());
        }
    }
    let services = tenant.services();
    let routes: Vec<Value> = ingress_routes(services);
    let backup = spec.backup_config.clone().unwrap_or_default();
    json!({
        "id": id,
        "namespace": namespace,
        "type": spec.tenant_type,
        "replicas": replicas,
        "autoscaled": autoscaled(tenant),
        "registry": settings.registry,
        "image_tag": spec.image_tag.clone().unwrap_or_else(|| settings.default_image_tag.clone()),
        "port": settings.container_port,
        "services": services,
        "deployed_at": spec.deployed_at,
        "domain": spec.custom_domain,
        "tls_secret": spec.ingress_tls_secret_name,
        "ingress_class": settings.ingress_class_name,
        "ingress_namespace": settings.ingress_controller_namespace,
        "routes": routes,
        "labels": labels,
        "namespace_labels": namespace_labels,
        "namespace_annotations": namespace_annotations,
        "config_data": config_data(tenant),
        "quota": quota,
        "defaults": settings.container_defaults,
        "mongo_secret": spec.mongo_password_secret_ref,
        "backup": {
            "schedule": backup.schedule,
            "retention": backup.retention.unwrap_or_else(|| "7d".into()),
            "image": settings.backup_image,
        },
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
fn config_data(tenant: &Tenant) -> BTreeMap<String, String> {
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
    for (key, value) in [
        ("MONGO_URI", &spec.mongo_uri),
        ("MONGO_USERNAME", &spec.mongo_username),
        ("NATS_URL", &spec.nats_url),
        ("REDIS_URL", &spec.redis_url),
        ("BILLING_TIER", &config.billing_tier),
    ] {
        if let Some(value) = value {
            data.insert(key.to_string(), value.clone());
        }
    }
    data
}
