//! Monitoring, when `monitoring.enabled`: per guild and per tenant a ServiceMonitor, a
//! PrometheusRule and the NetworkPolicy that lets Prometheus scrape (`templates/monitoring.yaml.j2`).
//!
//! The alerts read kube-state-metrics and cAdvisor series, so they fire even when the workload
//! itself exports nothing: a Deployment without an available pod, a container crash looping, a
//! container's memory near its limit, the namespace's quota near exhaustion.

use serde::Serialize;
use serde_json::json;

use super::engine::Templates;
use crate::config::Monitoring;
use crate::error::Result;
use crate::model::{Guild, Tenant};
use crate::validate::Model;

/// One alerting rule.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub name: String,
    pub expr: String,
    #[serde(rename = "for")]
    pub for_: &'static str,
    pub severity: &'static str,
    pub summary: String,
    pub description: String,
}

/// The alerts of one namespace running `deployments` (`what` names the owner in messages).
pub fn alerts(
    settings: &Monitoring,
    namespace: &str,
    deployments: &[String],
    what: &str,
) -> Vec<Alert> {
    let ns = format!("namespace=\"{namespace}\"");
    let mut out: Vec<Alert> = deployments
        .iter()
        .map(|deployment| Alert {
            name: "TenantctlWorkloadDown".into(),
            expr: format!(
                "kube_deployment_status_replicas_available{{{ns}, deployment=\"{deployment}\"}} < 1"
            ),
            for_: "5m",
            severity: "critical",
            summary: format!("{deployment} of {what} is down"),
            description: format!(
                "Deployment {deployment} in namespace {namespace} has had no available pod for 5 minutes."
            ),
        })
        .collect();
    out.push(Alert {
        name: "TenantctlCrashLooping".into(),
        expr: format!(
            "max_over_time(kube_pod_container_status_waiting_reason{{{ns}, reason=\"CrashLoopBackOff\"}}[5m]) >= 1"
        ),
        for_: "15m",
        severity: "warning",
        summary: format!("a container of {what} is crash looping"),
        description: format!(
            "Container {{{{ $labels.container }}}} of pod {{{{ $labels.pod }}}} in namespace {namespace} has been in CrashLoopBackOff for 15 minutes."
        ),
    });
    let memory = f64::from(settings.memory_alert_percentage) / 100.0;
    out.push(Alert {
        name: "TenantctlMemoryNearLimit".into(),
        expr: format!(
            "max by (pod, container) (container_memory_working_set_bytes{{{ns}, container!=\"\"}}) / max by (pod, container) (kube_pod_container_resource_limits{{{ns}, resource=\"memory\"}}) > {memory}"
        ),
        for_: "15m",
        severity: "warning",
        summary: format!("a container of {what} is near its memory limit"),
        description: format!(
            "Container {{{{ $labels.container }}}} of pod {{{{ $labels.pod }}}} in namespace {namespace} uses more than {}% of its memory limit: it will be OOM-killed.",
            settings.memory_alert_percentage
        ),
    });
    let quota = f64::from(settings.quota_alert_percentage) / 100.0;
    out.push(Alert {
        name: "TenantctlQuotaNearlyExhausted".into(),
        expr: format!(
            "kube_resourcequota{{{ns}, type=\"used\"}} / ignoring(type) (kube_resourcequota{{{ns}, type=\"hard\"}} > 0) > {quota}"
        ),
        for_: "15m",
        severity: "warning",
        summary: format!("the quota of {what} is nearly exhausted"),
        description: format!(
            "{{{{ $labels.resource }}}} of ResourceQuota {{{{ $labels.resourcequota }}}} in namespace {namespace} is above {}% of its hard limit: new pods will be refused.",
            settings.quota_alert_percentage
        ),
    });
    out
}

/// A guild's monitoring.yaml (its overlay sets the namespace).
pub fn guild(model: &Model, guild: &Guild, templates: &Templates) -> Result<String> {
    let settings = &model.config.monitoring;
    let namespace = Guild::namespace_for(&guild.guild_id);
    let deployments: Vec<String> = crate::model::guild::DEPLOYMENTS
        .iter()
        .map(|d| d.to_string())
        .collect();
    let what = format!("guild {}", guild.guild_id);
    templates.render(
        crate::embedded::MONITORING.path,
        json!({
            "source": Guild::path_for(&guild.guild_id),
            "what": "the backend",
            "name": namespace,
            "namespace": null,
            "labels": settings.labels,
            "selector": { "app.kubernetes.io/name": "backend" },
            "target_labels": ["tenantctl.io/guild-id", "tenantctl.io/tier"],
            "metrics_path": settings.metrics_path,
            "interval": settings.interval,
            "alerts": alerts(settings, &namespace, &deployments, &what),
            "alert_labels": {
                "tenantctl_io_guild_id": guild.guild_id,
                "tenantctl_io_tier": guild.tier,
            },
            "scrape_from": settings.prometheus_namespace,
        }),
    )
}

/// A tenant's monitoring.yaml.
pub fn tenant(settings: &Monitoring, tenant: &Tenant, templates: &Templates) -> Result<String> {
    let namespace = tenant.namespace().unwrap_or_default();
    let id = &tenant.spec.tenant_id;
    let what = format!("tenant {id}");
    templates.render(
        crate::embedded::MONITORING.path,
        json!({
            "source": Tenant::path_for(id),
            "what": "every service",
            "name": format!("tenant-{id}"),
            "namespace": namespace,
            "labels": settings.labels,
            "selector": { "app.kubernetes.io/instance": id },
            "target_labels": ["app.kubernetes.io/instance", "app.kubernetes.io/name"],
            "metrics_path": settings.metrics_path,
            "interval": settings.interval,
            "alerts": alerts(settings, &namespace, tenant.services(), &what),
            "alert_labels": {
                "shop_pilab_hu_tenant_id": id,
                "shop_pilab_hu_tenant_type": tenant.spec.tenant_type,
            },
            "scrape_from": settings.prometheus_namespace,
        }),
    )
}
