//! `tenantctl.yaml`: the repo's settings. Argo CD, image registry, git remote and tiers are data
//! here, so adding a tier is an edit of this file (and of `kustomize/`), not of Rust code.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The config file's name at the root of a config repo.
pub const CONFIG_FILE: &str = "tenantctl.yaml";

/// The placeholder `init` writes when it does not know the repo's URL yet.
pub const PLACEHOLDER_REPO_URL: &str = "https://git.example.com/platform.git";

/// The whole of `tenantctl.yaml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    pub argocd: ArgoCd,
    #[serde(default)]
    pub git: GitSettings,
    pub image: Image,
    pub tiers: BTreeMap<String, Tier>,
    /// How tenants (`tenants/*.yaml`) are rendered; every field has a default.
    #[serde(default)]
    pub tenants: TenantSettings,
    /// Reserved namespaces and the ownership rules of tenant namespaces.
    #[serde(default)]
    pub namespaces: Namespaces,
    /// How `tenantctl secret set` stores secrets; every field has a default.
    #[serde(default)]
    pub secrets: SecretSettings,
    /// The clusters Applications deploy to (`src/model/placement.rs`). Empty (the default):
    /// every Application goes to `argocd.destinationServer`, and files name no cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<Cluster>,
    /// ServiceMonitors, PrometheusRules and scrape access per guild and tenant, when enabled.
    #[serde(default)]
    pub monitoring: Monitoring,
}

/// One cluster Argo CD deploys to.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cluster {
    /// The cluster's name in Argo CD (its cluster secret's `name`): Applications name their
    /// destination by it, and guild and tenant files place themselves with it.
    pub name: String,
    /// The API server URL, when known: `status` shows it. Applications and AppProjects name
    /// the cluster, so Argo CD's cluster secret must carry this `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Labels tier pools select on (`tier: pro`, `region: eu-west`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// How many guilds and tenants it takes; no limit when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<ClusterCapacity>,
}

impl Cluster {
    /// The cluster's `region` label, if it has one.
    pub fn region(&self) -> Option<&str> {
        self.labels.get("region").map(String::as_str)
    }
}

/// `clusters[].capacity`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterCapacity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guilds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenants: Option<u32>,
}

/// Where a tier's (or tenant type's) workloads go: one named cluster, or the pool of clusters
/// whose labels include every `clusterSelector` pair. Neither: any configured cluster.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Placement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub cluster_selector: BTreeMap<String, String>,
}

impl Placement {
    /// Whether `cluster` is in this placement's pool.
    pub fn admits(&self, cluster: &Cluster) -> bool {
        self.cluster
            .as_ref()
            .is_none_or(|name| *name == cluster.name)
            && self
                .cluster_selector
                .iter()
                .all(|(k, v)| cluster.labels.get(k) == Some(v))
    }
}

/// A tier's HorizontalPodAutoscaler for the guild backend (never the Discord bot: one bot
/// replica holds the guild's gateway session, the others stand by).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Autoscaling {
    /// The floor; defaults to the tier's replicas (and is at least 2: an HPA over one pod
    /// gives no availability).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<u32>,
    pub max_replicas: u32,
    /// The average CPU utilization (percent of requests) the HPA holds.
    #[serde(
        default = "default_cpu_utilization",
        rename = "targetCPUUtilizationPercentage"
    )]
    pub target_cpu_utilization_percentage: u32,
}

fn default_cpu_utilization() -> u32 {
    70
}

/// `monitoring:` in `tenantctl.yaml` (prometheus-operator's CRDs must be installed).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Monitoring {
    pub enabled: bool,
    /// Where Prometheus runs: the only namespace allowed to scrape guild and tenant pods.
    pub prometheus_namespace: String,
    /// Labels on every ServiceMonitor and PrometheusRule, for Prometheus' selectors
    /// (kube-prometheus-stack selects `release: <its release name>`).
    pub labels: BTreeMap<String, String>,
    /// The HTTP path metrics are served on, on each Service's `http` port.
    pub metrics_path: String,
    /// How often Prometheus scrapes.
    pub interval: String,
    /// A container's memory use above this share of its limit raises an alert (percent).
    pub memory_alert_percentage: u32,
    /// A quota's use above this share of its hard limit raises an alert (percent).
    pub quota_alert_percentage: u32,
    /// The HTTP paths of the guild backend's probes (on its `http` port), patched into every
    /// guild overlay; unset: the base's own paths (`/healthz`, `/readyz` as `init` writes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guild_probes: Option<ProbePaths>,
}

/// Liveness and readiness probe paths.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProbePaths {
    pub liveness_path: String,
    pub readiness_path: String,
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring {
            enabled: false,
            prometheus_namespace: "monitoring".into(),
            labels: BTreeMap::new(),
            metrics_path: "/metrics".into(),
            interval: "30s".into(),
            memory_alert_percentage: 90,
            quota_alert_percentage: 90,
            guild_probes: None,
        }
    }
}

/// Settings for rendering tenants.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct TenantSettings {
    /// The ApplicationSet that makes one Application per tenant.
    pub application_set_name: String,
    /// Images are `<registry>/<service>:<imageTag>`.
    pub registry: String,
    /// The tag when a tenant sets no imageTag.
    pub default_image_tag: String,
    pub ingress_class_name: String,
    /// Where the ingress controller runs: it reaches only the services a tenant's Ingress routes to.
    pub ingress_controller_namespace: String,
    /// Whether tenant pods may open HTTPS (TCP 443) connections to the internet (default false).
    pub egress_internet: bool,
    /// Replicas per tenant type (production is at least 2 whatever this says).
    pub replicas: BTreeMap<String, u32>,
    /// The image of the backup CronJob.
    pub backup_image: String,
    /// Where and when backups run, and the backup Job's resources.
    pub backup: BackupSettings,
    /// Platform defaults for a tenant's data services (`mongoURI`, `natsURL`, `redisURL`), used
    /// when the tenant file sets none: one shared MongoDB, each tenant its own database.
    pub data_services: DataServices,
    /// The port every service listens on.
    pub container_port: u16,
    /// LimitRange defaults, for containers that set no resources of their own (sidecars an
    /// admission webhook injects); every container tenantctl renders sets its own.
    pub container_defaults: ContainerResources,
    /// Requests and limits of each service container, per tenant type.
    pub resources: BTreeMap<String, ContainerResources>,
    /// Per service name, whatever the tenant type: overrides `resources`.
    pub service_resources: BTreeMap<String, ContainerResources>,
    /// The most replicas a service's HorizontalPodAutoscaler may reach, per autoscaled tenant
    /// type (default three times the replicas); lowered to what the tenant's quota holds.
    pub max_replicas: BTreeMap<String, u32>,
    /// The HTTP path of every service's liveness probe, on the named port `http`.
    pub liveness_probe_path: String,
    /// The HTTP path of every service's readiness probe, on the named port `http`.
    pub readiness_probe_path: String,
    /// Where each tenant type's workloads go (see `clusters`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub placement: BTreeMap<String, Placement>,
}

/// A container's requests and limits, as Kubernetes quantities.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerResources {
    pub cpu_request: String,
    pub memory_request: String,
    pub cpu_limit: String,
    pub memory_limit: String,
}

impl ContainerResources {
    fn of(cpu_request: &str, memory_request: &str, cpu_limit: &str, memory_limit: &str) -> Self {
        ContainerResources {
            cpu_request: cpu_request.into(),
            memory_request: memory_request.into(),
            cpu_limit: cpu_limit.into(),
            memory_limit: memory_limit.into(),
        }
    }
}

/// `tenants.backup`: the platform's defaults for every tenant's backup CronJob.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct BackupSettings {
    /// Where backups go when the tenant's `backupConfig` names no target; `{tenantId}` in a
    /// bucket URL is the tenant's ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<crate::model::tenant::BackupTarget>,
    /// The time zone the schedule is read in, when the tenant sets none.
    pub time_zone: String,
    /// A run missed by more than this many seconds (controller down) is skipped, not run late.
    pub starting_deadline_seconds: u32,
    /// A run still going after this many seconds is stopped, so it cannot hold the next.
    pub active_deadline_seconds: u32,
    /// Requests and limits of the backup container.
    pub resources: ContainerResources,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings {
            target: None,
            time_zone: "Etc/UTC".into(),
            starting_deadline_seconds: 3600,
            active_deadline_seconds: 7200,
            resources: ContainerResources::of("50m", "64Mi", "100m", "256Mi"),
        }
    }
}

/// `tenants.dataServices`: connection URLs every tenant without its own uses.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataServices {
    #[serde(rename = "mongoURI", skip_serializing_if = "Option::is_none")]
    pub mongo_uri: Option<String>,
    #[serde(rename = "natsURL", skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
    #[serde(rename = "redisURL", skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<String>,
}

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings {
            application_set_name: "pishop-tenants".into(),
            registry: "ghcr.io/pishop".into(),
            default_image_tag: "latest".into(),
            ingress_class_name: "nginx".into(),
            ingress_controller_namespace: "ingress-nginx".into(),
            egress_internet: false,
            replicas: [
                ("production".to_string(), 2),
                ("staging".to_string(), 1),
                ("development".to_string(), 1),
            ]
            .into(),
            backup_image: "ghcr.io/pishop/backup:1.0.0".into(),
            backup: BackupSettings::default(),
            data_services: DataServices::default(),
            container_port: 8080,
            container_defaults: ContainerResources::of("100m", "128Mi", "500m", "512Mi"),
            // Small services on small nodes: sized so the seed's customer-shop-1 (4 services,
            // limits.cpu 2, limits.memory 4Gi) holds 2 replicas, a surge pod each and its
            // backup, and its HPAs can still add one more pod per service.
            resources: [
                (
                    "production",
                    ContainerResources::of("50m", "96Mi", "100m", "192Mi"),
                ),
                (
                    "staging",
                    ContainerResources::of("50m", "64Mi", "200m", "256Mi"),
                ),
                (
                    "development",
                    ContainerResources::of("50m", "64Mi", "200m", "256Mi"),
                ),
            ]
            .map(|(t, r)| (t.to_string(), r))
            .into(),
            service_resources: BTreeMap::new(),
            max_replicas: [("production".to_string(), 6)].into(),
            liveness_probe_path: "/healthz".into(),
            readiness_probe_path: "/readyz".into(),
            placement: BTreeMap::new(),
        }
    }
}

impl TenantSettings {
    /// Replicas of each service of a running tenant of `tenant_type`; production has at least 2.
    pub fn replicas_for(&self, tenant_type: &str) -> u32 {
        let configured = self.replicas.get(tenant_type).copied().unwrap_or(1);
        if tenant_type == "production" {
            configured.max(2)
        } else {
            configured
        }
    }

    /// The requests and limits of `service`'s container in a tenant of `tenant_type`.
    pub fn resources_for(&self, tenant_type: &str, service: &str) -> &ContainerResources {
        self.service_resources
            .get(service)
            .or_else(|| self.resources.get(tenant_type))
            .unwrap_or(&self.container_defaults)
    }

    /// A tenant's data service URL: its own, else the platform's (`tenants.dataServices`).
    pub fn data_service_urls(
        &self,
        tenant: &crate::model::Tenant,
    ) -> [(&'static str, Option<String>); 3] {
        let spec = &tenant.spec;
        let platform = &self.data_services;
        [
            (
                "MONGO_URI",
                spec.mongo_uri
                    .clone()
                    .or_else(|| platform.mongo_uri.clone()),
            ),
            (
                "NATS_URL",
                spec.nats_url.clone().or_else(|| platform.nats_url.clone()),
            ),
            (
                "REDIS_URL",
                spec.redis_url
                    .clone()
                    .or_else(|| platform.redis_url.clone()),
            ),
        ]
    }

    /// The HPA's configured ceiling for a tenant of `tenant_type` with `replicas` replicas.
    pub fn max_replicas_for(&self, tenant_type: &str, replicas: u32) -> u32 {
        self.max_replicas
            .get(tenant_type)
            .copied()
            .unwrap_or(replicas.saturating_mul(3))
            .max(replicas)
    }
}

/// How the ApplicationSet is set up and where Applications deploy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCd {
    #[serde(default = "default_application_set_name")]
    pub application_set_name: String,
    #[serde(default = "default_argocd_namespace")]
    pub namespace: String,
    /// No longer used: every Application is in the AppProject of its tier or tenant type
    /// (`projects`). Kept so existing files stay valid; `validate` warns when it is not `default`.
    #[serde(default = "default_project")]
    pub project: String,
    /// The AppProjects tenantctl renders: the fence around every generated Application.
    #[serde(default)]
    pub projects: Projects,
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    #[serde(default = "default_target_revision")]
    pub target_revision: String,
    #[serde(default = "default_destination_server")]
    pub destination_server: String,
    /// Keep a guild's resources when its Application is deleted (argo-cd #18212).
    #[serde(default = "yes")]
    pub preserve_resources_on_deletion: bool,
    /// What the ApplicationSet controller may do to Applications: `create-only`,
    /// `create-update` (default: never deletes one), `create-delete` or `sync`.
    #[serde(default = "default_applications_sync")]
    pub applications_sync: String,
    /// The most Applications one rendered ApplicationSet generates; more guilds (or tenants)
    /// are split over several sets by ID prefix (`render::shard`).
    #[serde(default = "default_shard_size")]
    pub shard_size: u32,
}

/// One Argo CD AppProject per guild tier and per tenant type. Argo CD itself refuses an
/// Application whose destination or kinds the project does not allow, so a hand-edited file
/// cannot send one elsewhere.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Projects {
    /// The name of a guild tier's project; `{tier}` is the tier.
    pub guild_name: String,
    /// The name of a tenant type's project; `{type}` is the tenant type.
    pub tenant_name: String,
    /// Namespace globs tenant Applications may deploy to (Argo CD's glob rules).
    pub tenant_namespaces: Vec<String>,
    /// Namespaced kinds Applications may create; anything else is refused by Argo CD.
    pub namespace_resource_whitelist: Vec<GroupKind>,
    /// Cluster-scoped kinds Applications may create.
    pub cluster_resource_whitelist: Vec<GroupKind>,
}

/// A Kubernetes API group and kind, as AppProjects list them (`""` is the core group).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GroupKind {
    pub group: String,
    pub kind: String,
}

impl GroupKind {
    fn of(group: &str, kind: &str) -> GroupKind {
        GroupKind {
            group: group.into(),
            kind: kind.into(),
        }
    }
}

impl Default for Projects {
    fn default() -> Self {
        Projects {
            guild_name: "guilds-{tier}".into(),
            tenant_name: "tenants-{type}".into(),
            tenant_namespaces: vec!["tenant-*".into(), "pr-*".into()],
            // What the guild base, the tier overlays and the tenant overlays render, and the
            // secret kinds `tenantctl secret` writes; no ClusterRole, no CRD, no webhook.
            namespace_resource_whitelist: vec![
                GroupKind::of("", "ConfigMap"),
                GroupKind::of("", "Secret"),
                GroupKind::of("", "Service"),
                GroupKind::of("", "ServiceAccount"),
                GroupKind::of("", "ResourceQuota"),
                GroupKind::of("", "LimitRange"),
                GroupKind::of("", "PersistentVolumeClaim"),
                GroupKind::of("apps", "Deployment"),
                GroupKind::of("batch", "CronJob"),
                GroupKind::of("batch", "Job"),
                GroupKind::of("networking.k8s.io", "Ingress"),
                GroupKind::of("networking.k8s.io", "NetworkPolicy"),
                GroupKind::of("policy", "PodDisruptionBudget"),
                GroupKind::of("autoscaling", "HorizontalPodAutoscaler"),
                GroupKind::of("rbac.authorization.k8s.io", "Role"),
                GroupKind::of("rbac.authorization.k8s.io", "RoleBinding"),
                GroupKind::of("external-secrets.io", "ExternalSecret"),
            ],
            cluster_resource_whitelist: vec![GroupKind::of("", "Namespace")],
        }
    }
}

impl Projects {
    /// The project of guild tier `tier`.
    pub fn guild_project(&self, tier: &str) -> String {
        self.guild_name.replace("{tier}", tier)
    }

    /// The project of tenant type `tenant_type`.
    pub fn tenant_project(&self, tenant_type: &str) -> String {
        self.tenant_name.replace("{type}", tenant_type)
    }
}

/// Namespaces no guild or tenant may take.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Namespaces {
    /// Globs of namespaces that belong to the cluster and its operators (Argo CD's own and the
    /// ingress controller's are reserved too, whatever this says).
    pub reserved: Vec<String>,
    /// Every tenant namespace must contain its tenantId, so two tenants can never meet in one.
    pub require_tenant_id: bool,
}

impl Default for Namespaces {
    fn default() -> Self {
        Namespaces {
            reserved: [
                "kube-*",
                "default",
                "argocd",
                "argo-*",
                "cert-manager",
                "ingress-nginx",
                "external-secrets",
                "monitoring",
                "prometheus",
                "flux-system",
                "gatekeeper-system",
                "kyverno",
                "istio-system",
                "linkerd",
                "openshift-*",
                "local-path-storage",
            ]
            .map(String::from)
            .to_vec(),
            require_tenant_id: true,
        }
    }
}

/// Where and how commands push.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct GitSettings {
    /// The remote to push to when the branch has no upstream.
    pub remote: String,
    /// Connect and idle timeout of every fetch and push, in seconds.
    pub timeout_seconds: u64,
    /// How long a command waits for another tenantctl in the same clone, in seconds.
    pub lock_timeout_seconds: u64,
    /// How many times a command fetches, replays and pushes again when others push first.
    pub push_attempts: u32,
    /// An environment variable holding an HTTPS token (CI); git's credential helpers otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// The user name sent with that token.
    pub token_username: String,
    /// Push to a new review branch instead of the tracked one, e.g.
    /// `tenantctl/{operation}-{id}` (placeholders `{operation}`, `{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_branch: Option<String>,
}

impl Default for GitSettings {
    fn default() -> Self {
        GitSettings {
            remote: default_remote(),
            timeout_seconds: 30,
            lock_timeout_seconds: 120,
            push_attempts: 30,
            token_env: None,
            token_username: "x-access-token".into(),
            push_branch: None,
        }
    }
}

/// The images the guild Deployments run.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    pub registry: String,
    pub backend: String,
    pub discord_bot: String,
    pub tag: String,
}

/// A service tier: how many replicas and which resource values a new guild starts with.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tier {
    pub replicas: u32,
    /// Guild resource key -> default quantity.
    pub defaults: BTreeMap<String, String>,
    /// Let the ingress controller reach the backend (port `http`); otherwise a guild's pods
    /// take traffic only from their own namespace.
    #[serde(default)]
    pub expose_backend: bool,
    /// Where the tier's guilds go (see `clusters`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// A HorizontalPodAutoscaler for each guild's backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
}

impl Tier {
    /// The backend's (floor, ceiling) replicas: the HPA's when the tier autoscales.
    pub fn backend_replicas(&self) -> (u32, u32) {
        match &self.autoscaling {
            Some(hpa) => {
                let min = hpa.min_replicas.unwrap_or(self.replicas).max(2);
                (min, hpa.max_replicas.max(min))
            }
            None => (self.replicas, self.replicas),
        }
    }
}

fn default_application_set_name() -> String {
    "frolf-bot-guilds".into()
}
fn default_argocd_namespace() -> String {
    "argocd".into()
}
fn default_project() -> String {
    "default".into()
}
fn default_target_revision() -> String {
    "HEAD".into()
}
fn default_destination_server() -> String {
    "https://kubernetes.default.svc".into()
}
fn default_applications_sync() -> String {
    "create-update".into()
}
fn default_shard_size() -> u32 {
    1000
}
fn default_remote() -> String {
    "origin".into()
}
fn yes() -> bool {
    true
}

/// `secrets:` in `tenantctl.yaml`: the form `tenantctl secret set` writes secrets in.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct SecretSettings {
    /// `sops` (default): a SOPS-encrypted Secret manifest, decrypted by KSOPS when Argo CD
    /// builds the overlay; `externalSecret`: an ExternalSecret naming a key in a secret store.
    pub form: String,
    /// How the rendered KSOPS generator runs KSOPS: `exec` (default; a KRM exec function,
    /// `kustomize build --enable-alpha-plugins --enable-exec`) or `legacy` (an exec plugin
    /// under `$XDG_CONFIG_HOME/kustomize/plugin/`, `--enable-alpha-plugins`).
    pub ksops: String,
    /// Where the `externalSecret` form points.
    pub external_secret: ExternalSecretSettings,
}

/// The secret store ExternalSecrets read from, and how their keys are named.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct ExternalSecretSettings {
    /// `external-secrets.io/v1` (default) or `external-secrets.io/v1beta1`.
    pub api_version: String,
    /// `ClusterSecretStore` (default) or `SecretStore`.
    pub store_kind: String,
    /// The store's name; `secret set` refuses the `externalSecret` form until it is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    /// The key in the store, with placeholders `{kind}` (guild or tenant), `{id}`, `{name}`
    /// and `{secret}` (the Kubernetes Secret's name).
    pub key_template: String,
    /// How often the operator reads the store again.
    pub refresh_interval: String,
}

impl Default for SecretSettings {
    fn default() -> Self {
        SecretSettings {
            form: "sops".into(),
            ksops: "exec".into(),
            external_secret: ExternalSecretSettings::default(),
        }
    }
}

impl Default for ExternalSecretSettings {
    fn default() -> Self {
        ExternalSecretSettings {
            api_version: "external-secrets.io/v1".into(),
            store_kind: "ClusterSecretStore".into(),
            store_name: None,
            key_template: "tenantctl/{kind}/{id}/{name}".into(),
            refresh_interval: "1h".into(),
        }
    }
}
