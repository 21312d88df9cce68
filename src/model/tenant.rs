//! A tenant: one customer shop, a `Tenant` resource (`shop.pilab.hu/v1alpha1`) in
//! `tenants/<tenantId>.yaml`. Field names are the seed's `TenantSpec`, camelCase.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The API version every tenant file declares.
pub const API_VERSION: &str = "shop.pilab.hu/v1alpha1";
/// The kind every tenant file declares.
pub const KIND: &str = "Tenant";
/// Where tenant files live.
pub const TENANTS_DIR: &str = "tenants";
/// The namespace pattern when `namespaceConfig.pattern` is not set.
pub const DEFAULT_NAMESPACE_PATTERN: &str = "tenant-{tenantId}-{environment}";
/// Placeholders a namespace pattern may use.
pub const NAMESPACE_PLACEHOLDERS: [&str; 5] =
    ["tenantId", "environment", "tenantType", "prefix", "suffix"];

/// A whole tenant file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tenant {
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    pub spec: TenantSpec,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// The seed's `TenantSpec`, plus `mongoPasswordSecretRef`: a password never goes into git.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantSpec {
    pub tenant_id: String,
    pub tenant_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_tls_secret_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_at: Option<String>,
    #[serde(default, rename = "mongoURI", skip_serializing_if = "Option::is_none")]
    pub mongo_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongo_username: Option<String>,
    /// Always refused by validation when set; kept so the error can point at it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongo_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongo_password_secret_ref: Option<SecretRef>,
    #[serde(default, rename = "natsURL", skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
    #[serde(default, rename = "redisURL", skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_limits: Option<ResourceLimits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_config: Option<BackupConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_config: Option<NamespaceConfig>,
    /// Where the tenant runs (with `clusters` in `tenantctl.yaml`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<TenantPlacement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_config: Option<TenantConfig>,
}

/// A key of a Kubernetes Secret in the tenant's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    pub name: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_limit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<String>,
    /// The IANA time zone `schedule` is read in (the platform's `tenants.backup.timeZone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Where backups go (the platform's `tenants.backup.target` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<BackupTarget>,
}

/// The backup volume's size when neither the target nor the tenant's `storageLimit` gives one.
pub const DEFAULT_BACKUP_VOLUME_SIZE: &str = "10Gi";

/// Where a tenant's backups are written: a volume of the tenant's own namespace, or an object
/// store bucket with the credentials in a Secret. Exactly one of the two.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<BackupVolume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<BackupBucket>,
}

/// A PersistentVolumeClaim `backup`, counted against the tenant's `requests.storage`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupVolume {
    /// Required in a tenant file; in `tenants.backup.target` absent means the tenant's
    /// `storageLimit` (or [`DEFAULT_BACKUP_VOLUME_SIZE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
}

/// An object store bucket (`s3://bucket/prefix`, `gs://...`); the Secret's keys become the
/// backup container's environment (`AWS_ACCESS_KEY_ID`, ...).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupBucket {
    pub url: String,
    pub credentials_secret_name: String,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
}

/// `spec.placement`: the tenant's cluster, and the region it is pinned to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantPlacement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Tenant {
    /// The file a tenant lives in, relative to the repo root.
    pub fn path_for(id: &str) -> String {
        format!("{TENANTS_DIR}/{id}.yaml")
    }

    /// Whether the tenant runs. An absent `active` counts as true (see the README).
    pub fn is_active(&self) -> bool {
        self.spec.active.unwrap_or(true)
    }

    /// The environment name: `spec.environment`, or the tenant type.
    pub fn environment(&self) -> &str {
        self.spec
            .environment
            .as_deref()
            .unwrap_or(&self.spec.tenant_type)
    }

    pub fn services(&self) -> &[String] {
        self.spec.services.as_deref().unwrap_or_default()
    }

    /// Whether the tenant's Deployments get an HPA (`availability.yaml`): an active production
    /// tenant with services. The HPA then owns the replica count, so the Deployments render no
    /// `spec.replicas` and Argo CD has nothing to reset; a suspended tenant has no HPA and its
    /// Deployments say `replicas: 0`.
    pub fn is_autoscaled(&self) -> bool {
        self.spec.tenant_type == "production" && self.is_active() && !self.services().is_empty()
    }

    pub fn backups_enabled(&self) -> bool {
        self.spec
            .backup_config
            .as_ref()
            .and_then(|b| b.enabled)
            .unwrap_or(false)
    }

    /// The namespace from `namespaceConfig`, or an error naming the unknown placeholder.
    pub fn namespace(&self) -> Result<String, String> {
        let config = self.spec.namespace_config.clone().unwrap_or_default();
        let pattern = config
            .pattern
            .as_deref()
            .unwrap_or(DEFAULT_NAMESPACE_PATTERN);
        let mut out = String::new();
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            out += &rest[..open];
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("unclosed `{{` in namespace pattern `{pattern}`"))?;
            let name = &rest[open + 1..open + close];
            out += match name {
                "tenantId" => &self.spec.tenant_id,
                "environment" => self.environment(),
                "tenantType" => &self.spec.tenant_type,
                "prefix" => config.prefix.as_deref().unwrap_or(""),
                "suffix" => config.suffix.as_deref().unwrap_or(""),
                other => {
                    return Err(format!(
                        "unknown placeholder `{{{other}}}` in namespace pattern `{pattern}`"
                    ));
                }
            };
            rest = &rest[open + close + 1..];
        }
        out += rest;
        Ok(out)
    }

    /// The file's text: `apiVersion`, `kind`, `metadata`, `spec`, in the CRD's field order.
    pub fn to_yaml(&self) -> String {
        let body = serde_saphyr::to_string(self).expect("a tenant always serializes");
        format!("# yaml-language-server: $schema=../schemas/tenant.schema.json\n{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(pattern: Option<&str>) -> Tenant {
        Tenant {
            api_version: API_VERSION.into(),
            kind: KIND.into(),
            metadata: Metadata {
                name: "shop".into(),
                ..Default::default()
            },
            spec: TenantSpec {
                tenant_id: "shop".into(),
                tenant_type: "staging".into(),
                namespace_config: pattern.map(|p| NamespaceConfig {
                    pattern: Some(p.into()),
                    prefix: Some("pi".into()),
                    suffix: None,
                }),
                ..Default::default()
            },
        }
    }

    #[test]
    fn namespace_patterns_fill_placeholders_and_refuse_unknown_ones() {
        assert_eq!(tenant(None).namespace().unwrap(), "tenant-shop-staging");
        assert_eq!(
            tenant(Some("{prefix}-{tenantId}-{tenantType}"))
                .namespace()
                .unwrap(),
            "pi-shop-staging"
        );
        assert!(
            tenant(Some("{tenant}-x"))
                .namespace()
                .unwrap_err()
                .contains("unknown placeholder `{tenant}`")
        );
    }

    #[test]
    fn writes_back_what_it_reads() {
        let text = tenant(None).to_yaml();
        let parsed = crate::yaml::parse(text.as_bytes()).unwrap();
        let back: Tenant = serde_json::from_value(parsed.value).unwrap();
        assert_eq!(back, tenant(None));
    }
}
