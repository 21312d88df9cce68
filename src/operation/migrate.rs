//! `migrate prstack`: a PRStack resource (the PiShop operator's PR environment) as a Tenant.
//!
//! PRStack fields read (the seed names them only in prose): `metadata.name`, `spec.prNumber`,
//! `spec.imageTag`, `spec.active`, `spec.services`, `spec.mongoURI`, `spec.natsURL`,
//! `spec.redisURL`, `spec.resourceLimits.{cpuLimit,memoryLimit,storageLimit}` and
//! `spec.backupConfig.{enabled,schedule,retention}`. Anything else is reported as not carried over.

use serde_json::Value;

use crate::model::Tenant;
use crate::model::tenant::{
    API_VERSION, BackupConfig, KIND, Metadata, NamespaceConfig, ResourceLimits, TenantSpec,
};

/// The Tenant a PRStack becomes, and every field that could not be carried over.
#[derive(Debug)]
pub struct Migrated {
    pub tenant: Tenant,
    pub dropped: Vec<String>,
}

/// Converts a parsed PRStack; an error says what is missing.
pub fn prstack_to_tenant(prstack: &Value) -> Result<Migrated, String> {
    if prstack["kind"] != "PRStack" {
        return Err(format!("expected kind PRStack, found {}", prstack["kind"]));
    }
    let spec = &prstack["spec"];
    let number = match &spec["prNumber"] {
        Value::Number(n) if n.as_u64().is_some_and(|n| n > 0) => n.to_string(),
        Value::String(s)
            if s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u64>().is_ok_and(|n| n > 0) =>
        {
            s.clone()
        }
        _ => {
            return Err(
                "spec.prNumber (the pull request number) is missing or not a positive integer"
                    .into(),
            );
        }
    };
    let id = format!("pr-{number}");
    let text = |v: &Value| v.as_str().map(str::to_string);
    let limits = &spec["resourceLimits"];
    let backup = &spec["backupConfig"];
    let tenant_spec = TenantSpec {
        tenant_id: id.clone(),
        tenant_type: "development".into(),
        image_tag: text(&spec["imageTag"]),
        active: Some(spec["active"].as_bool().unwrap_or(true)),
        mongo_uri: text(&spec["mongoURI"]),
        nats_url: text(&spec["natsURL"]),
        redis_url: text(&spec["redisURL"]),
        services: spec["services"]
            .as_array()
            .map(|s| s.iter().filter_map(&text).collect()),
        environment: Some("development".into()),
        // Keeps the PRStack's namespace: pr-<number>-shop-pilab-hu.
        namespace_config: Some(NamespaceConfig {
            pattern: Some("{tenantId}-{suffix}".into()),
            prefix: None,
            suffix: Some("shop-pilab-hu".into()),
        }),
        resource_limits: limits.is_object().then(|| ResourceLimits {
            cpu_limit: text(&limits["cpuLimit"]),
            memory_limit: text(&limits["memoryLimit"]),
            storage_limit: text(&limits["storageLimit"]),
        }),
        backup_config: backup.is_object().then(|| BackupConfig {
            enabled: backup["enabled"].as_bool(),
            schedule: text(&backup["schedule"]),
            retention: text(&backup["retention"]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let carried = [
        "prNumber",
        "imageTag",
        "active",
        "services",
        "mongoURI",
        "natsURL",
        "redisURL",
        "resourceLimits",
        "backupConfig",
    ];
    let mut dropped = Vec::new();
    for (key, value) in spec.as_object().into_iter().flatten() {
        if !carried.contains(&key.as_str()) {
            dropped.push(format!("spec.{key} = {value}"));
        }
    }
    for (section, known) in [
        (
            "resourceLimits",
            &["cpuLimit", "memoryLimit", "storageLimit"][..],
        ),
        ("backupConfig", &["enabled", "schedule", "retention"][..]),
    ] {
        for (key, value) in spec[section].as_object().into_iter().flatten() {
            if !known.contains(&key.as_str()) {
                dropped.push(format!("spec.{section}.{key} = {value}"));
            }
        }
    }
    if prstack["status"].is_object() {
        dropped.push("status (the operator rebuilds it)".into());
    }
    for key in ["labels", "annotations"] {
        if prstack["metadata"][key].is_object() {
            dropped.push(format!("metadata.{key}"));
        }
    }
    let tenant = Tenant {
        api_version: API_VERSION.into(),
        kind: KIND.into(),
        metadata: Metadata {
            name: id,
            namespace: text(&prstack["metadata"]["namespace"]),
            ..Default::default()
        },
        spec: tenant_spec,
    };
    Ok(Migrated { tenant, dropped })
}
