//! Create, update, suspend, resume, roll out and delete a tenant, as [`Operation`]s.

use super::{Change, Operation};
use crate::error::{Error, Result};
use crate::load::Snapshot;
use crate::model::Tenant;
use crate::model::tenant::{
    API_VERSION, BackupConfig, KIND, Metadata, ResourceLimits, TenantConfig, TenantSpec,
};
use crate::validate::diagnostic::{Diagnostic, code};
use crate::validate::formats::is_dns_label;
use crate::validate::suggest::closest;

/// The optional settings a command line can give a tenant; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TenantEdit {
    pub tenant_type: Option<String>,
    pub image_tag: Option<String>,
    pub domain: Option<String>,
    pub tls_secret: Option<String>,
    pub services: Option<Vec<String>>,
    pub environment: Option<String>,
    pub cpu_limit: Option<String>,
    pub memory_limit: Option<String>,
    pub storage_limit: Option<String>,
    pub backup_schedule: Option<String>,
    pub backup_retention: Option<String>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub billing_tier: Option<String>,
    /// Added to the tenant's features.
    pub features: Vec<String>,
    pub active: Option<bool>,
    pub deployed_at: Option<String>,
}

impl TenantEdit {
    /// Applies the edit; returns what changed, for the commit message.
    fn apply(&self, spec: &mut TenantSpec) -> Vec<String> {
        let mut changed = Vec::new();
        let mut set = |name: &str, target: &mut Option<String>, value: &Option<String>| {
            if let Some(value) = value
                && target.as_ref() != Some(value)
            {
                *target = Some(value.clone());
                changed.push(format!("{name}={value}"));
            }
        };
        if let Some(t) = &self.tenant_type
            && spec.tenant_type != *t
        {
            spec.tenant_type = t.clone();
        }
        set("imageTag", &mut spec.image_tag, &self.image_tag);
        set("customDomain", &mut spec.custom_domain, &self.domain);
        set(
            "ingressTlsSecretName",
            &mut spec.ingress_tls_secret_name,
            &self.tls_secret,
        );
        set("environment", &mut spec.environment, &self.environment);
        set("deployedAt", &mut spec.deployed_at, &self.deployed_at);
        let limits = spec
            .resource_limits
            .get_or_insert_with(ResourceLimits::default);
        set("cpuLimit", &mut limits.cpu_limit, &self.cpu_limit);
        set("memoryLimit", &mut limits.memory_limit, &self.memory_limit);
        set(
            "storageLimit",
            &mut limits.storage_limit,
            &self.storage_limit,
        );
        if *limits == ResourceLimits::default() {
            spec.resource_limits = None;
        }
        let backup = spec.backup_config.get_or_insert_with(BackupConfig::default);
        set(
            "backup schedule",
            &mut backup.schedule,
            &self.backup_schedule,
        );
        set(
            "backup retention",
            &mut backup.retention,
            &self.backup_retention,
        );
        if self.backup_schedule.is_some() && backup.enabled != Some(true) {
            backup.enabled = Some(true);
        }
        if *backup == BackupConfig::default() {
            spec.backup_config = None;
        }
        let config = spec.tenant_config.get_or_insert_with(TenantConfig::default);
        set(
            "customerName",
            &mut config.customer_name,
            &self.customer_name,
        );
        set(
            "customerEmail",
            &mut config.customer_email,
            &self.customer_email,
        );
        set("billingTier", &mut config.billing_tier, &self.billing_tier);
        for feature in &self.features {
            let features = config.features.get_or_insert_with(Vec::new);
            if !features.contains(feature) {
                features.push(feature.clone());
                changed.push(format!("feature {feature}"));
            }
        }
        if *config == TenantConfig::default() {
            spec.tenant_config = None;
        }
        if let Some(services) = &self.services
            && spec.services.as_ref() != Some(services)
        {
            spec.services = Some(services.clone());
            changed.push(format!("services={}", services.join(",")));
        }
        if let Some(active) = self.active
            && spec.active != Some(active)
        {
            spec.active = Some(active);
            changed.push(format!("active={active}"));
        }
        changed
    }
}

/// Refuses an ID that cannot be a tenant ID before it is used to build a path.
pub fn check_id(id: &str) -> Result<()> {
    if is_dns_label(id) {
        return Ok(());
    }
    Err(Error::usage(
        format!("invalid tenant ID `{id}`: a tenant ID is a DNS-1123 label"),
        "use up to 63 lowercase letters, digits and `-`, starting and ending with a letter or digit",
    ))
}

/// The parsed tenant `id`; a usage error with "did you mean" when there is no such file.
pub fn existing(snapshot: &Snapshot, id: &str) -> Result<Tenant> {
    check_id(id)?;
    let path = Tenant::path_for(id);
    let Some(file) = snapshot.tenants.get(&path) else {
        // A symbolic link as the file or as `tenants/` is not followed: say that (E102), as
        // every command does, rather than that the tenant does not exist.
        if let Some(link) = snapshot.link_refusal(&path) {
            return Err(Error::Invalid(vec![link.clone()]));
        }
        let ids = snapshot
            .tenants
            .keys()
            .filter_map(|p| p.strip_prefix("tenants/")?.strip_suffix(".yaml"));
        let hint = match closest(id, ids) {
            Some(near) => {
                format!("did you mean {near}? `tenantctl list --kind tenant` shows every tenant")
            }
            None => "`tenantctl list --kind tenant` shows every tenant".to_string(),
        };
        return Err(Error::usage(
            format!("no tenant {id}: {path} does not exist"),
            hint,
        ));
    };
    let invalid = |message: String, at| {
        Error::Invalid(vec![Diagnostic::error(&path, at, code::SCHEMA, message)])
    };
    let document = file
        .parsed
        .as_ref()
        .map_err(|e| invalid(e.message.clone(), e.position))?;
    serde_json::from_value(document.value.clone()).map_err(|e| {
        invalid(
            format!("not a Tenant ({e}); run `tenantctl validate`"),
            document.value_position(""),
        )
    })
}

/// `create-tenant` from flags.
pub struct CreateTenant {
    pub id: String,
    pub tenant_type: String,
    pub edit: TenantEdit,
    /// Pins the cluster (with `clusters` in tenantctl.yaml).
    pub cluster: Option<String>,
    /// Pins the region: the tenant goes to that region's least loaded cluster of its pool.
    pub region: Option<String>,
}

/// `move-tenant`: another cluster, or another region, of the tenant type's pool.
pub struct MoveTenant {
    pub id: String,
    pub cluster: Option<String>,
    pub region: Option<String>,
}

/// Places `spec` on `cluster`, or on the least loaded cluster of its pool (within `region`, or
/// within the region it is pinned to), when `tenantctl.yaml` lists clusters. Returns the old
/// and new cluster when the placement changed.
fn place(
    snapshot: &Snapshot,
    spec: &mut TenantSpec,
    cluster: Option<&str>,
    region: Option<&str>,
) -> Result<Option<(Option<String>, String)>> {
    let Some(config) = snapshot.parsed_config() else {
        return Ok(None);
    };
    super::placement::check_requested(&config, cluster, region)?;
    if config.clusters.is_empty() {
        return Ok(None);
    }
    let current = spec.placement.clone().unwrap_or_default();
    let region = region.map(str::to_string).or(current.region.clone());
    let rule = crate::model::placement::tenant_rule(&config, &spec.tenant_type);
    let pool = crate::model::placement::pool(&config, &rule, region.as_deref());
    let kept = current
        .cluster
        .as_ref()
        .filter(|name| pool.iter().any(|c| c.name == **name));
    let to = match (cluster, kept) {
        (Some(cluster), _) => {
            if !pool.iter().any(|c| c.name == cluster) {
                let within = region
                    .as_ref()
                    .map(|r| format!(" in region {r}"))
                    .unwrap_or_default();
                return Err(Error::usage(
                    format!(
                        "cluster `{cluster}` is not in the pool of tenant type {}{within}: the move would break the type's placement",
                        spec.tenant_type
                    ),
                    format!(
                        "its pool{within}: {}",
                        pool.iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            cluster.to_string()
        }
        (None, Some(kept)) => kept.clone(),
        (None, None) => {
            let mut load = super::placement::tenant_load(snapshot);
            // The tenant itself does not count against the cluster it leaves.
            if let Some(old) = &current.cluster
                && let Some(held) = load.get_mut(old)
            {
                *held = held.saturating_sub(1);
            }
            super::placement::choose(
                &config,
                &rule,
                region.as_deref(),
                &load,
                crate::model::placement::Kind::Tenant,
                &format!("tenant type {}", spec.tenant_type),
            )?
        }
    };
    spec.placement = Some(crate::model::tenant::TenantPlacement {
        cluster: Some(to.clone()),
        region,
    });
    Ok((current.cluster.as_deref() != Some(to.as_str())).then_some((current.cluster, to)))
}

/// The notes of a tenant's move between clusters.
fn moved_notes(snapshot: &Snapshot, tenant: &Tenant, from: Option<&str>, to: &str) -> Vec<String> {
    match snapshot.parsed_config() {
        Some(config) => super::placement::move_notes(
            &config,
            &format!("tenant-{}", tenant.spec.tenant_id),
            &tenant.namespace().unwrap_or_default(),
            from,
            to,
        ),
        None => Vec::new(),
    }
}

/// `create-tenant --from-file` (and `migrate`): the file's own text, comments and all.
pub struct CreateTenantFromText {
    pub id: String,
    pub text: String,
    pub message: String,
    pub notes: Vec<String>,
}

/// update, suspend, resume and rollout: an edit of an existing tenant.
pub struct UpdateTenant {
    pub id: String,
    pub edit: TenantEdit,
    /// The verb for the commit message: `Update`, `Suspend`, `Resume`, `Roll out`.
    pub verb: &'static str,
}

/// `delete-tenant`.
pub struct DeleteTenant {
    pub id: String,
}

fn refuse_existing(snapshot: &Snapshot, id: &str) -> Result<()> {
    let path = Tenant::path_for(id);
    if let Some(file) = snapshot.tenants.get(&path) {
        let at = file
            .parsed
            .as_ref()
            .map(|d| d.value_position("/spec/tenantId"))
            .unwrap_or_default();
        return Err(Error::Invalid(vec![
            Diagnostic::error(
                &path,
                at,
                code::DUPLICATE_TENANT,
                format!("tenant {id} already exists"),
            )
            .with_hint(format!("change it with `tenantctl update-tenant {id}`")),
        ]));
    }
    Ok(())
}

impl Operation for CreateTenant {
    fn name(&self) -> &'static str {
        "create-tenant"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        check_id(&self.id)?;
        refuse_existing(snapshot, &self.id)?;
        let mut tenant = Tenant {
            api_version: API_VERSION.into(),
            kind: KIND.into(),
            metadata: Metadata {
                name: self.id.clone(),
                ..Default::default()
            },
            spec: TenantSpec {
                tenant_id: self.id.clone(),
                tenant_type: self.tenant_type.clone(),
                active: Some(true),
                ..Default::default()
            },
        };
        self.edit.apply(&mut tenant.spec);
        place(
            snapshot,
            &mut tenant.spec,
            self.cluster.as_deref(),
            self.region.as_deref(),
        )?;
        let on = match tenant
            .spec
            .placement
            .as_ref()
            .and_then(|p| p.cluster.as_ref())
        {
            Some(cluster) => format!(", cluster {cluster}"),
            None => String::new(),
        };
        Ok(Change {
            files: [(Tenant::path_for(&self.id), Some(tenant.to_yaml()))].into(),
            message: format!("Add tenant {} ({}{on})", self.id, self.tenant_type),
            notes: Vec::new(),
            trailers: tenant_trailers(&self.id, &self.tenant_type),
            id: self.id.clone(),
        })
    }
}

impl Operation for CreateTenantFromText {
    fn name(&self) -> &'static str {
        "create-tenant"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        check_id(&self.id)?;
        refuse_existing(snapshot, &self.id)?;
        Ok(Change {
            files: [(
                Tenant::path_for(&self.id),
                Some(placed_text(snapshot, &self.text)?),
            )]
            .into(),
            message: self.message.clone(),
            notes: self.notes.clone(),
            trailers: tenant_trailers(&self.id, &type_in_text(&self.text)),
            id: self.id.clone(),
        })
    }
}

impl Operation for UpdateTenant {
    fn name(&self) -> &'static str {
        match self.verb {
            "Suspend" => "suspend-tenant",
            "Resume" => "resume-tenant",
            "Roll out" => "rollout",
            _ => "update-tenant",
        }
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        let mut tenant = existing(snapshot, &self.id)?;
        let old_type = tenant.spec.tenant_type.clone();
        let mut what = self.edit.apply(&mut tenant.spec);
        let mut notes = Vec::new();
        if tenant.spec.tenant_type != old_type {
            what.insert(0, format!("type {old_type} -> {}", tenant.spec.tenant_type));
            // Another type may have another pool: a tenant outside it moves to the new pool.
            if let Some((from, to)) = place(snapshot, &mut tenant.spec, None, None)? {
                notes.extend(moved_notes(snapshot, &tenant, from.as_deref(), &to));
                what.push(format!(
                    "cluster {} -> {to}",
                    from.as_deref().unwrap_or("none")
                ));
            }
        }
        let message = match (self.verb, what.is_empty()) {
            ("Update", true) => format!("Update tenant {} (no change)", self.id),
            ("Update", false) => format!("Update tenant {} ({})", self.id, what.join(", ")),
            (verb, _) => format!("{verb} tenant {}", self.id),
        };
        // The user's file keeps its comments and layout: only the changed values are edited.
        let path = Tenant::path_for(&self.id);
        let (text, note) = super::in_place::edit(&snapshot.tenants[&path], tenant.to_yaml());
        notes.extend(note);
        Ok(Change {
            files: [(path, Some(text))].into(),
            message,
            notes,
            trailers: tenant_trailers(&self.id, &tenant.spec.tenant_type),
            id: self.id.clone(),
        })
    }
}

impl Operation for MoveTenant {
    fn name(&self) -> &'static str {
        "move-tenant"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        let mut tenant = existing(snapshot, &self.id)?;
        let config = super::placement::config(snapshot)?;
        super::placement::require_clusters(&config)?;
        let before = tenant.spec.placement.clone();
        let moved = place(
            snapshot,
            &mut tenant.spec,
            self.cluster.as_deref(),
            self.region.as_deref(),
        )?;
        let placement = tenant.spec.placement.clone().unwrap_or_default();
        let to = placement.cluster.clone().unwrap_or_default();
        let mut notes = match &moved {
            Some((from, to)) => moved_notes(snapshot, &tenant, from.as_deref(), to),
            None => vec![format!("tenant {} is on {to} already", self.id)],
        };
        let path = Tenant::path_for(&self.id);
        let (text, note) = super::in_place::edit(&snapshot.tenants[&path], tenant.to_yaml());
        notes.extend(note);
        let from = before
            .and_then(|p| p.cluster)
            .unwrap_or_else(|| "no cluster".to_string());
        let region = placement
            .region
            .map(|r| format!(", region {r}"))
            .unwrap_or_default();
        let mut trailers = tenant_trailers(&self.id, &tenant.spec.tenant_type);
        trailers.push(("Cluster".to_string(), to.clone()));
        Ok(Change {
            files: [(path, Some(text))].into(),
            message: format!(
                "Move tenant {} to cluster {to}{region} (from {from})",
                self.id
            ),
            notes,
            trailers,
            id: self.id.clone(),
        })
    }
}

/// A Tenant manifest's text with `spec.placement` filled in when tenantctl.yaml lists clusters
/// and the manifest names none; the rest of the text (comments and all) stays as written.
fn placed_text(snapshot: &Snapshot, text: &str) -> Result<String> {
    let Ok(document) = crate::yaml::parse(text.as_bytes()) else {
        return Ok(text.to_string()); // validation reports it against the file
    };
    let Ok(mut tenant) = serde_json::from_value::<Tenant>(document.value.clone()) else {
        return Ok(text.to_string());
    };
    if tenant
        .spec
        .placement
        .as_ref()
        .is_some_and(|p| p.cluster.is_some())
    {
        return Ok(text.to_string());
    }
    if place(snapshot, &mut tenant.spec, None, None)?.is_none() {
        return Ok(text.to_string());
    }
    let mut wanted = document.value.clone();
    wanted["spec"]["placement"] = serde_json::to_value(&tenant.spec.placement).expect("json");
    Ok(
        crate::operation::in_place::surgical(text, &document, &wanted)
            .unwrap_or_else(|| tenant.to_yaml()),
    )
}

impl Operation for DeleteTenant {
    fn name(&self) -> &'static str {
        "delete-tenant"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        let tenant = existing(snapshot, &self.id)?;
        let namespace = tenant.namespace().unwrap_or_default();
        let note = match snapshot.parsed_config() {
            Some(config)
                if matches!(
                    config.argocd.applications_sync.as_str(),
                    "sync" | "create-delete"
                ) && !config.argocd.preserve_resources_on_deletion =>
            {
                format!(
                    "Argo CD deletes the Application tenant-{} and prunes namespace {namespace}, with its data",
                    self.id
                )
            }
            Some(config) => format!(
                "Argo CD keeps the Application tenant-{id} and namespace {namespace} (applicationsSync: {sync}, preserveResourcesOnDeletion: {preserve}); remove them with: kubectl delete application tenant-{id} -n {ns} && kubectl delete namespace {namespace}",
                id = self.id,
                sync = config.argocd.applications_sync,
                preserve = config.argocd.preserve_resources_on_deletion,
                ns = config.argocd.namespace,
            ),
            None => format!(
                "the Argo CD Application tenant-{} may prune namespace {namespace}",
                self.id
            ),
        };
        let mut notes = vec![note];
        let mut files: std::collections::BTreeMap<String, Option<String>> =
            [(Tenant::path_for(&self.id), None)].into();
        let secrets = crate::secret::files_of(snapshot, &crate::secret::Owner::tenant(&self.id));
        if !secrets.is_empty() {
            notes.push(format!("its secrets go too: {}", secrets.join(", ")));
        }
        files.extend(secrets.into_iter().map(|p| (p, None)));
        Ok(Change {
            files,
            message: format!("Delete tenant {} ({})", self.id, tenant.spec.tenant_type),
            notes,
            trailers: tenant_trailers(&self.id, &tenant.spec.tenant_type),
            id: self.id.clone(),
        })
    }
}

/// The commit trailers of a change to tenant `id`.
fn tenant_trailers(id: &str, tenant_type: &str) -> Vec<(String, String)> {
    vec![
        ("Tenant-Id".to_string(), id.to_string()),
        ("Tier".to_string(), tenant_type.to_string()),
    ]
}

/// `spec.tenantType` of a Tenant manifest's text, or `unknown` (validation reports why).
fn type_in_text(text: &str) -> String {
    crate::yaml::parse(text.as_bytes())
        .ok()
        .and_then(|d| {
            d.value
                .pointer("/spec/tenantType")?
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC (`2026-11-23T10:00:00Z`).
pub fn rfc3339_utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339_utc;

    #[test]
    fn formats_utc_times() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_435_200), "2026-11-23T12:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
    }
}
