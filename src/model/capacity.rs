//! What a tenant's namespace holds at its busiest, and the quota that fits it.
//!
//! The peak is every service at its most replicas (the HPA's ceiling, or the fixed count), plus
//! one surge pod per Deployment (every tenant Deployment rolls with `maxSurge: 1`,
//! `maxUnavailable: 0`, and `tenantctl rollout` rolls them all at once), plus the backup Job's
//! one pod. A quota the tenant file sets (`resourceLimits`) is the customer's contract: the
//! HPA's ceiling is lowered until the peak fits it, and when even the fixed replicas do not fit,
//! `validate` refuses the tenant with the numbers. A quota the file leaves out is sized from the
//! peak, so every tenant namespace has a quota and it always fits.

use std::collections::BTreeMap;

use super::quantity::Quantity;
use super::tenant::{BackupTarget, BackupVolume, DEFAULT_BACKUP_VOLUME_SIZE, Tenant};
use crate::config::{ContainerResources, TenantSettings};

/// One service's Deployment: its container's resources and replica range.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    pub name: String,
    pub resources: ContainerResources,
    /// Replicas when idle (the Deployment's count, or the HPA's minimum).
    pub min: u32,
    /// Replicas at most (the HPA's ceiling after the quota; `min` without an HPA).
    pub max: u32,
}

/// A quota dimension the tenant set and the peak does not fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortfall {
    /// The quota key, `limits.cpu`.
    pub resource: &'static str,
    /// The tenant file's field that sets it, as a JSON pointer.
    pub field: &'static str,
    /// What the tenant file says.
    pub quota: String,
    /// What the peak needs, formatted like a quantity.
    pub needed: String,
    /// How the need adds up, for people.
    pub breakdown: String,
}

/// A tenant's namespace at its peak.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantPlan {
    pub services: Vec<ServicePlan>,
    /// The backup container's resources, when backups run.
    pub backup: Option<ContainerResources>,
    /// The HPA ceiling `tenantctl.yaml` asks for, before the quota lowered it.
    pub configured_max: u32,
    /// The ResourceQuota's `hard` map as rendered.
    pub quota: BTreeMap<&'static str, String>,
    /// Where the tenant's own quota is too small; empty when everything fits.
    pub shortfalls: Vec<Shortfall>,
}

/// The amounts one container asks for, in millicores and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Amounts {
    cpu_request: u64,
    memory_request: u64,
    cpu_limit: u64,
    memory_limit: u64,
}

impl Amounts {
    fn of(resources: &ContainerResources) -> Amounts {
        Amounts {
            cpu_request: millicores(&resources.cpu_request),
            memory_request: bytes(&resources.memory_request),
            cpu_limit: millicores(&resources.cpu_limit),
            memory_limit: bytes(&resources.memory_limit),
        }
    }

    fn times(self, n: u64) -> Amounts {
        Amounts {
            cpu_request: self.cpu_request * n,
            memory_request: self.memory_request * n,
            cpu_limit: self.cpu_limit * n,
            memory_limit: self.memory_limit * n,
        }
    }

    fn plus(self, other: Amounts) -> Amounts {
        Amounts {
            cpu_request: self.cpu_request + other.cpu_request,
            memory_request: self.memory_request + other.memory_request,
            cpu_limit: self.cpu_limit + other.cpu_limit,
            memory_limit: self.memory_limit + other.memory_limit,
        }
    }
}

/// The target a tenant's backups use: its own, else the platform's.
pub fn backup_target(settings: &TenantSettings, tenant: &Tenant) -> Option<BackupTarget> {
    tenant
        .spec
        .backup_config
        .as_ref()
        .and_then(|b| b.target.clone())
        .or_else(|| settings.backup.target.clone())
}

/// The backup volume's size: the target's, else the tenant's whole `storageLimit`, else 10Gi.
pub fn backup_volume_size(volume: &BackupVolume, tenant: &Tenant) -> String {
    volume
        .size
        .clone()
        .or_else(|| {
            tenant
                .spec
                .resource_limits
                .as_ref()
                .and_then(|l| l.storage_limit.clone())
        })
        .unwrap_or_else(|| DEFAULT_BACKUP_VOLUME_SIZE.to_string())
}

/// The tenant's namespace at its peak, and the quota to render.
pub fn plan(settings: &TenantSettings, tenant: &Tenant) -> TenantPlan {
    let spec = &tenant.spec;
    let running = tenant.is_active() && !tenant.services().is_empty();
    let min = if tenant.is_active() {
        settings.replicas_for(&spec.tenant_type)
    } else {
        0
    };
    let autoscaled = tenant.is_autoscaled();
    let configured_max = if autoscaled {
        settings.max_replicas_for(&spec.tenant_type, min)
    } else {
        min
    };
    let surge = u64::from(running && min > 0);
    let per_replica = tenant
        .services()
        .iter()
        .map(|s| Amounts::of(settings.resources_for(&spec.tenant_type, s)))
        .fold(Amounts::default(), Amounts::plus);
    let backup = tenant
        .backups_enabled()
        .then(|| settings.backup.resources.clone());
    let fixed = backup.as_ref().map(Amounts::of).unwrap_or_default();
    let service_count = tenant.services().len() as u64;
    let peak_at = |replicas: u32| fixed.plus(per_replica.times(u64::from(replicas) + surge));

    let limits = spec.resource_limits.clone().unwrap_or_default();
    let own_cpu = limits.cpu_limit.as_deref().map(millicores);
    let own_memory = limits.memory_limit.as_deref().map(bytes);
    // The highest ceiling each of the tenant's own limits holds.
    let mut max = configured_max;
    for (own, each, fixed) in [
        (own_cpu, per_replica.cpu_limit, fixed.cpu_limit),
        (own_memory, per_replica.memory_limit, fixed.memory_limit),
    ] {
        if let Some(own) = own
            && each > 0
        {
            let room = own.saturating_sub(fixed) / each;
            let holds = u32::try_from(room.saturating_sub(surge)).unwrap_or(u32::MAX);
            max = max.min(holds);
        }
    }
    let max = max.max(min);
    let peak = peak_at(max);
    let breakdown = |unit: fn(&ContainerResources) -> &str| {
        let mut parts = Vec::new();
        if service_count > 0 && (min > 0 || surge > 0) {
            let each: Vec<&str> = tenant
                .services()
                .iter()
                .map(|s| unit(settings.resources_for(&spec.tenant_type, s)))
                .collect();
            let mut uniform = each.clone();
            uniform.dedup();
            let size = if uniform.len() == 1 {
                uniform[0].to_string()
            } else {
                format!("({})", each.join(" + "))
            };
            let count = if uniform.len() == 1 {
                format!("{service_count} services x ")
            } else {
                String::new()
            };
            let surge_text = if surge > 0 { " + 1 surge" } else { "" };
            parts.push(format!("{count}({min} replicas{surge_text}) x {size}"));
        }
        if let Some(backup) = &backup {
            parts.push(format!("backup {}", unit(backup)));
        }
        parts.join(" + ")
    };

    let mut shortfalls = Vec::new();
    let at_min = peak_at(min);
    if let (Some(own), Some(text)) = (own_cpu, &limits.cpu_limit)
        && at_min.cpu_limit > own
    {
        shortfalls.push(Shortfall {
            resource: "limits.cpu",
            field: "/spec/resourceLimits/cpuLimit",
            quota: text.clone(),
            needed: format_cpu(at_min.cpu_limit),
            breakdown: breakdown(|r| &r.cpu_limit),
        });
    }
    if let (Some(own), Some(text)) = (own_memory, &limits.memory_limit)
        && at_min.memory_limit > own
    {
        shortfalls.push(Shortfall {
            resource: "limits.memory",
            field: "/spec/resourceLimits/memoryLimit",
            quota: text.clone(),
            needed: format_memory(at_min.memory_limit),
            breakdown: breakdown(|r| &r.memory_limit),
        });
    }
    let volume = backup
        .as_ref()
        .and(backup_target(settings, tenant))
        .and_then(|t| t.volume)
        .map(|v| backup_volume_size(&v, tenant));
    if let (Some(size), Some(text)) = (&volume, &limits.storage_limit)
        && bytes(size) > bytes(text)
    {
        shortfalls.push(Shortfall {
            resource: "requests.storage",
            field: "/spec/resourceLimits/storageLimit",
            quota: text.clone(),
            needed: size.clone(),
            breakdown: format!("the backup volume of {size}"),
        });
    }

    let pods = u64::from(max) * service_count + surge * service_count + u64::from(backup.is_some());
    let mut quota = BTreeMap::from([
        ("pods", pods.max(1).to_string()),
        ("requests.cpu", format_cpu(peak.cpu_request)),
        ("requests.memory", format_memory(peak.memory_request)),
        (
            "limits.cpu",
            limits
                .cpu_limit
                .clone()
                .unwrap_or_else(|| format_cpu(peak.cpu_limit)),
        ),
        (
            "limits.memory",
            limits
                .memory_limit
                .clone()
                .unwrap_or_else(|| format_memory(peak.memory_limit)),
        ),
    ]);
    // Requests never exceed limits, but a tenant's limit below the peak's request (a shortfall
    // `validate` reports) must not render a quota that contradicts itself.
    if own_cpu.is_some_and(|own| peak.cpu_request > own) {
        quota.insert("requests.cpu", quota["limits.cpu"].clone());
    }
    if own_memory.is_some_and(|own| peak.memory_request > own) {
        quota.insert("requests.memory", quota["limits.memory"].clone());
    }
    let storage = limits.storage_limit.clone().or(volume);
    if let Some(storage) = storage {
        quota.insert("requests.storage", storage);
    }
    let services = tenant
        .services()
        .iter()
        .map(|name| ServicePlan {
            name: name.clone(),
            resources: settings.resources_for(&spec.tenant_type, name).clone(),
            min,
            max,
        })
        .collect();
    TenantPlan {
        services,
        backup,
        configured_max,
        quota,
        shortfalls,
    }
}

/// Millicores of a CPU quantity (rounded up, as the API server does); 0 when unparsable
/// (schemas refuse those before anything is planned).
pub fn millicores(text: &str) -> u64 {
    Quantity::parse(text).map_or(0, |q| (q.0 * 1000.0 - 1e-6).ceil().max(0.0) as u64)
}

/// Bytes of a memory or storage quantity, rounded up.
pub fn bytes(text: &str) -> u64 {
    Quantity::parse(text).map_or(0, |q| (q.0 - 1e-6).ceil().max(0.0) as u64)
}

/// `2000` -> `2`, `1900` -> `1900m`.
pub fn format_cpu(millicores: u64) -> String {
    if millicores.is_multiple_of(1000) {
        (millicores / 1000).to_string()
    } else {
        format!("{millicores}m")
    }
}

/// Bytes as the largest binary unit that divides them, at least Mi (rounded up).
pub fn format_memory(bytes: u64) -> String {
    const MI: u64 = 1 << 20;
    const GI: u64 = 1 << 30;
    if bytes > 0 && bytes.is_multiple_of(GI) {
        format!("{}Gi", bytes / GI)
    } else {
        format!("{}Mi", bytes.div_ceil(MI))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(yaml: &str) -> Tenant {
        serde_json::from_value(crate::yaml::parse(yaml.as_bytes()).expect("yaml").value)
            .expect("tenant")
    }

    const SHOP: &str = r#"
apiVersion: shop.pilab.hu/v1alpha1
kind: Tenant
metadata: {name: shop}
spec:
  tenantId: shop
  tenantType: production
  services: [api, frontend, worker, scheduler]
  resourceLimits: {cpuLimit: "2", memoryLimit: 4Gi, storageLimit: 20Gi}
  backupConfig: {enabled: true, schedule: "0 2 * * *"}
"#;

    #[test]
    fn the_seed_shop_fits_and_its_ceiling_is_what_the_quota_holds() {
        let plan = plan(&TenantSettings::default(), &tenant(SHOP));
        assert!(plan.shortfalls.is_empty(), "{:?}", plan.shortfalls);
        // CPU: (2000m - 100m backup) / (4 x 100m) = 4 pods per service, one of them the surge.
        assert_eq!(plan.services[0].max, 3);
        assert_eq!(plan.configured_max, 6);
        assert_eq!(plan.quota["limits.cpu"], "2");
        assert_eq!(plan.quota["pods"], "17");
        assert_eq!(plan.quota["requests.cpu"], "850m");
    }

    #[test]
    fn a_quota_smaller_than_the_fixed_replicas_is_a_shortfall_with_the_numbers() {
        let small = SHOP.replace(r#"cpuLimit: "2""#, r#"cpuLimit: "1""#);
        let plan = plan(&TenantSettings::default(), &tenant(&small));
        assert_eq!(plan.shortfalls.len(), 1);
        let short = &plan.shortfalls[0];
        assert_eq!(short.resource, "limits.cpu");
        assert_eq!(short.needed, "1300m");
        assert_eq!(
            short.breakdown,
            "4 services x (2 replicas + 1 surge) x 100m + backup 100m"
        );
    }

    #[test]
    fn without_resource_limits_the_quota_is_sized_from_the_peak() {
        let open = SHOP.replace(
            r#"resourceLimits: {cpuLimit: "2", memoryLimit: 4Gi, storageLimit: 20Gi}"#,
            "",
        );
        let plan = plan(&TenantSettings::default(), &tenant(&open));
        assert_eq!(plan.services[0].max, 6);
        // 4 x (6 + 1) x 100m + 100m.
        assert_eq!(plan.quota["limits.cpu"], "2900m");
        assert_eq!(plan.quota["limits.memory"], "5632Mi");
        assert!(!plan.quota.contains_key("requests.storage"));
    }

    #[test]
    fn quantities_round_up_and_print_back() {
        assert_eq!(millicores("0.1"), 100);
        assert_eq!(millicores("1.0005"), 1001);
        assert_eq!(bytes("1Gi"), 1 << 30);
        assert_eq!(format_cpu(2000), "2");
        assert_eq!(format_memory(3 << 30), "3Gi");
        assert_eq!(format_memory((1 << 20) + 1), "2Mi");
    }
}
