//! Tenants whose workloads must fit and whose backups must work: the peak against the tenant's
//! own quota (E340, with the numbers), and enabled backups with a target (E341) and a database
//! (E342). The arithmetic is `model::capacity`'s, the same that sizes what `render` writes.

use super::diagnostic::{Diagnostic, code};
use crate::config::Config;
use crate::model::Tenant;
use crate::model::capacity;
use crate::yaml::Document;

/// Every capacity and backup rule of every tenant.
pub fn tenant_capacity(tenants: &[(&str, &Document, Tenant)], config: &Config) -> Vec<Diagnostic> {
    let settings = &config.tenants;
    let mut out = Vec::new();
    for (file, document, tenant) in tenants {
        let plan = capacity::plan(settings, tenant);
        for short in &plan.shortfalls {
            out.push(
                Diagnostic::error(
                    file,
                    document.value_position(short.field),
                    code::QUOTA_TOO_SMALL,
                    format!(
                        "the workloads need {} {} at their peak ({}), but the quota gives {}",
                        short.resource, short.needed, short.breakdown, short.quota
                    ),
                )
                .with_hint(hint(short, &tenant.spec.tenant_type)),
            );
        }
        if !tenant.backups_enabled() {
            continue;
        }
        // Worked out only for a finding: a position costs the document's positions.
        let at = || document.key_position("/spec/backupConfig/enabled");
        if capacity::backup_target(settings, tenant).is_none() {
            out.push(
                Diagnostic::error(
                    file,
                    at(),
                    code::BACKUP_WITHOUT_TARGET,
                    String::from("backups are enabled but have nowhere to go"),
                )
                .with_hint(
                    "add `backupConfig.target` (`volume: {size: 10Gi}` or `bucket: {url: s3://..., credentialsSecretName: ...}`), set `tenants.backup.target` in tenantctl.yaml, or disable backups",
                ),
            );
        }
        let [mongo, ..] = settings.data_service_urls(tenant);
        if mongo.1.is_none() {
            out.push(
                Diagnostic::error(
                    file,
                    at(),
                    code::BACKUP_WITHOUT_DATABASE,
                    String::from("backups are enabled but the tenant has no database address"),
                )
                .with_hint(
                    "set `mongoURI` in the tenant, or `tenants.dataServices.mongoURI` in tenantctl.yaml",
                ),
            );
        }
    }
    out
}

/// What to change so the peak fits.
fn hint(short: &capacity::Shortfall, tenant_type: &str) -> String {
    let field = short.field.trim_start_matches("/spec/").replace('/', ".");
    if short.resource == "requests.storage" {
        return format!(
            "raise `{field}` to at least {}, or give `backupConfig.target.volume` a smaller size",
            short.needed
        );
    }
    format!(
        "raise `{field}` to at least {}, run fewer services, or lower `tenants.resources.{tenant_type}` (or `tenants.backup.resources`) in tenantctl.yaml",
        short.needed
    )
}
