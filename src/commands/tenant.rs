//! create-tenant, update-tenant, suspend-tenant, resume-tenant, rollout, delete-tenant, crd and
//! migrate prstack: build the operation, execute it, print the outcome.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use tenantctl::ExitCode;
use tenantctl::error::{Error, Result};
use tenantctl::load::Snapshot;
use tenantctl::model::Tenant;
use tenantctl::operation::migrate::prstack_to_tenant;
use tenantctl::operation::tenant::{
    CreateTenant, CreateTenantFromText, DeleteTenant, TenantEdit, UpdateTenant, check_id, existing,
    rfc3339_utc,
};

use super::guild::{confirm, execute};
use super::root;
use crate::cli::{GlobalArgs, TenantFields};

fn edit(tenant_type: Option<String>, fields: TenantFields) -> TenantEdit {
    TenantEdit {
        tenant_type,
        image_tag: fields.image_tag,
        domain: fields.domain,
        tls_secret: fields.tls_secret,
        services: fields.services,
        environment: fields.environment,
        cpu_limit: fields.cpu_limit,
        memory_limit: fields.memory_limit,
        storage_limit: fields.storage_limit,
        backup_schedule: fields.backup_schedule,
        backup_retention: fields.backup_retention,
        customer_name: fields.customer_name,
        customer_email: fields.customer_email,
        billing_tier: fields.billing_tier,
        features: fields.features,
        ..TenantEdit::default()
    }
}

pub fn create(
    global: &GlobalArgs,
    id: Option<String>,
    from_file: Option<PathBuf>,
    tenant_type: Option<String>,
    (cluster, region): (Option<String>, Option<String>),
    fields: TenantFields,
) -> Result<ExitCode> {
    if let Some(file) = from_file {
        return create_from_file(global, &file);
    }
    let id = id.expect("clap requires an ID without --from-file");
    let tenant_type = tenant_type.expect("clap requires --type without --from-file");
    execute(
        global,
        &CreateTenant {
            id,
            tenant_type,
            edit: edit(None, fields),
            cluster,
            region,
        },
    )
}

fn create_from_file(global: &GlobalArgs, file: &PathBuf) -> Result<ExitCode> {
    let (bytes, document) = read_manifest(file, "Tenant")?;
    let id = document.value["spec"]["tenantId"]
        .as_str()
        .or_else(|| document.value["metadata"]["name"].as_str())
        .ok_or_else(|| {
            Error::usage(
                format!("{} has no spec.tenantId", file.display()),
                "a Tenant manifest names its tenant in spec.tenantId",
            )
        })?
        .to_string();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let message = format!(
        "Add tenant {id} (from {})",
        file.file_name().unwrap_or_default().to_string_lossy()
    );
    execute(
        global,
        &CreateTenantFromText {
            id,
            text,
            message,
            notes: Vec::new(),
        },
    )
}

/// Reads and parses a manifest given on the command line, with the same limits as repo files.
fn read_manifest(file: &PathBuf, kind: &str) -> Result<(Vec<u8>, tenantctl::yaml::Document)> {
    // Bounded like a repo file: a regular file of at most 1 MiB (never /dev/zero or a FIFO).
    let bytes = tenantctl::source::read_named_file(file)
        .map_err(|e| e.to_string())
        .and_then(|read| read.map_err(|refused| refused.message()))
        .map_err(|e| {
            Error::usage(
                format!("cannot read {}: {e}", file.display()),
                format!("give the path of a {kind} manifest"),
            )
        })?;
    let document = tenantctl::yaml::parse(&bytes).map_err(|e| {
        let at = format!(
            "{}:{}:{}",
            file.display(),
            e.position.line,
            e.position.column
        );
        Error::usage(
            format!("{at}: {}", e.message),
            e.hint
                .clone()
                .unwrap_or_else(|| "fix the file and try again".into()),
        )
    })?;
    Ok((bytes, document))
}

pub fn update(
    global: &GlobalArgs,
    id: String,
    tenant_type: Option<String>,
    fields: TenantFields,
) -> Result<ExitCode> {
    execute(
        global,
        &UpdateTenant {
            id,
            edit: edit(tenant_type, fields),
            verb: "Update",
        },
    )
}

pub fn suspend(global: &GlobalArgs, id: String, active: bool) -> Result<ExitCode> {
    let edit = TenantEdit {
        active: Some(active),
        ..TenantEdit::default()
    };
    execute(
        global,
        &UpdateTenant {
            id,
            edit,
            verb: if active { "Resume" } else { "Suspend" },
        },
    )
}

pub fn rollout(global: &GlobalArgs, id: String) -> Result<ExitCode> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let edit = TenantEdit {
        deployed_at: Some(rfc3339_utc(now)),
        ..TenantEdit::default()
    };
    execute(
        global,
        &UpdateTenant {
            id,
            edit,
            verb: "Roll out",
        },
    )
}

pub fn delete(global: &GlobalArgs, id: String, yes: bool) -> Result<ExitCode> {
    check_id(&id)?;
    let root = root(global)?;
    let tenant = existing(&Snapshot::load(&root)?, &id)?;
    // Deleting a tenant with backups deletes data that matters: a person confirms it.
    if tenant.backups_enabled() && !yes && !global.dry_run {
        let namespace = tenant.namespace().unwrap_or_default();
        let question = format!(
            "Delete tenant {id}? It has backups enabled; once Argo CD prunes namespace {namespace}, its data is gone.\nContinue?"
        );
        if !confirm(&question)? {
            outln!("not deleted");
            return Ok(ExitCode::Ok);
        }
    }
    execute(global, &DeleteTenant { id })
}

pub fn crd(global: &GlobalArgs) -> Result<ExitCode> {
    // Inside a config repo its own schema counts; elsewhere the built-in one.
    let schema = match root(global) {
        Ok(root) => tenantctl::embedded::read_or_default(
            &tenantctl::source::Disk::new(&root),
            tenantctl::embedded::TENANT_SCHEMA,
        )?,
        Err(_) => tenantctl::embedded::TENANT_SCHEMA.text.to_string(),
    };
    out!("{}", tenantctl::render::crd::tenant_crd(&schema)?);
    Ok(ExitCode::Ok)
}

pub fn migrate_prstack(global: &GlobalArgs, file: &PathBuf) -> Result<ExitCode> {
    let (_, document) = read_manifest(file, "PRStack")?;
    let migrated = prstack_to_tenant(&document.value).map_err(|e| {
        Error::usage(
            format!("{}: {e}", file.display()),
            "give a PRStack manifest",
        )
    })?;
    let id = migrated.tenant.spec.tenant_id.clone();
    let notes: Vec<String> = migrated
        .dropped
        .iter()
        .map(|d| format!("not carried over: {d}"))
        .collect();
    let operation = CreateTenantFromText {
        id: id.clone(),
        text: migrated.tenant.to_yaml(),
        message: format!(
            "Migrate PRStack {} to tenant {id}",
            document.value["metadata"]["name"].as_str().unwrap_or(&id)
        ),
        notes,
    };
    let code = execute(global, &operation)?;
    if migrated.dropped.is_empty() && !global.quiet {
        outln!("every field was carried over to {}", Tenant::path_for(&id));
    }
    Ok(code)
}
