//! list: every guild with its tier, replicas and effective resources.
//!
//! JSON/YAML shape (stable): a list of
//! `{guild_id, tier, replicas, namespace, cluster, file, valid, resources: {<resource key>: quantity}}`
//! where `cluster` is the file's cluster, or `argocd.destinationServer` without `clusters`.

use std::collections::BTreeMap;

use serde::Serialize;
use tenantctl::ExitCode;
use tenantctl::error::Result;
use tenantctl::load::Snapshot;
use tenantctl::model::Guild;
use tenantctl::validate::effective_resources;

use super::format::{Rows, TableView, listing_writer};
use super::root;
use crate::cli::{GlobalArgs, Kind, OutputFormat};

/// One guild as `list` shows it.
#[derive(Debug, Serialize)]
pub struct Row {
    pub guild_id: String,
    pub tier: String,
    pub replicas: Option<u32>,
    pub namespace: String,
    /// Where Argo CD deploys it: the file's cluster, or argocd.destinationServer.
    pub cluster: Option<String>,
    pub file: String,
    /// False when the file does not parse or names an unknown tier; `validate` says why.
    pub valid: bool,
    pub resources: BTreeMap<String, String>,
}

pub fn run(
    global: &GlobalArgs,
    kind: Kind,
    tier: Option<String>,
    cluster: Option<String>,
    output: OutputFormat,
) -> Result<ExitCode> {
    let root = root(global)?;
    let snapshot = Snapshot::load(&root)?;
    // One verdict: `valid` is exactly "`validate` reports no error for this file".
    let report = tenantctl::verdict::check(
        &root,
        &snapshot,
        &tenantctl::validate::Schemas::load(&root)?,
    )?;
    let verdict = |file: &str| report.is_valid(file);
    let multi_cluster = snapshot
        .parsed_config()
        .is_some_and(|c| !c.clusters.is_empty());
    let on_cluster = |c: &Option<String>| cluster.is_none() || *c == cluster;
    if kind == Kind::Tenant {
        let rows: Vec<TenantRow> = tenant_rows(&snapshot)
            .into_iter()
            .map(|mut r| {
                r.valid = verdict(&r.file);
                r
            })
            .filter(|r| tier.as_ref().is_none_or(|t| *t == r.tenant_type))
            .filter(|r| on_cluster(&r.cluster))
            .collect();
        let table = |rows: &[TenantRow]| {
            let mut header = vec!["TENANT", "TYPE", "ACTIVE", "NAMESPACE"];
            if multi_cluster {
                header.push("CLUSTER");
            }
            header.extend(["DOMAIN", "IMAGE TAG", "SERVICES", "STATUS"]);
            let mut table = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
            for row in rows {
                let mut cells = vec![
                    row.tenant_id.clone(),
                    row.tenant_type.clone(),
                    row.active.to_string(),
                    row.namespace.clone(),
                ];
                if multi_cluster {
                    cells.push(row.cluster.clone().unwrap_or_else(|| "-".into()));
                }
                table.push(cells);
                table.last_mut().expect("just pushed").extend([
                    row.custom_domain.clone().unwrap_or_else(|| "-".into()),
                    row.image_tag.clone().unwrap_or_else(|| "-".into()),
                    row.services.join(","),
                    if row.valid {
                        "ok".into()
                    } else {
                        "invalid (run validate)".into()
                    },
                ]);
            }
            TableView {
                rows: Some(table),
                after: Vec::new(),
                note: None,
            }
        };
        listing_writer(output).write(&Rows { rows: &rows, table }, global.quiet)?;
        return Ok(ExitCode::Ok);
    }
    let rows: Vec<Row> = rows(&snapshot)
        .into_iter()
        .map(|mut r| {
            r.valid = verdict(&r.file);
            r
        })
        .filter(|row| tier.as_ref().is_none_or(|t| *t == row.tier))
        .filter(|row| on_cluster(&row.cluster))
        .collect();
    let table = |rows: &[Row]| guild_table(rows, multi_cluster);
    listing_writer(output).write(&Rows { rows: &rows, table }, global.quiet)?;
    Ok(ExitCode::Ok)
}

/// Files in `dir` that stood where tenantctl reads and were not read (a symbolic link: E102),
/// so that each still gets a row, an invalid one.
fn unread_files(snapshot: &Snapshot, dir: &str) -> Vec<String> {
    snapshot
        .problems
        .iter()
        .filter(|d| d.code == tenantctl::validate::diagnostic::code::SYMLINK)
        .map(|d| d.file.to_string_lossy().into_owned())
        .filter(|path| {
            path.strip_prefix(dir)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|name| {
                    !name.contains('/') && (name.ends_with(".yaml") || name.ends_with(".yml"))
                })
        })
        .collect()
}

/// Reads rows from the snapshot, leniently: one bad file does not hide the others.
pub fn rows(snapshot: &Snapshot) -> Vec<Row> {
    let config = snapshot.parsed_config();
    let mut rows: Vec<Row> = snapshot
        .guilds
        .values()
        .map(|file| {
            let guild = file
                .parsed
                .as_ref()
                .ok()
                .and_then(|doc| Guild::from_value(&doc.value));
            match guild {
                Some(guild) => {
                    let tier = config.as_ref().and_then(|c| c.tiers.get(&guild.tier));
                    Row {
                        replicas: tier.map(|t| t.replicas),
                        resources: config
                            .as_ref()
                            .map(|c| effective_resources(c, &guild))
                            .unwrap_or(guild.resources.clone()),
                        namespace: Guild::namespace_for(&guild.guild_id),
                        cluster: destination(config.as_ref(), guild.cluster.clone()),
                        valid: tier.is_some() && file.path == Guild::path_for(&guild.guild_id),
                        guild_id: guild.guild_id,
                        tier: guild.tier,
                        file: file.path.clone(),
                    }
                }
                None => Row::unreadable(file.path.clone()),
            }
        })
        .collect();
    rows.extend(
        unread_files(snapshot, tenantctl::load::GUILDS_DIR)
            .into_iter()
            .map(Row::unreadable),
    );
    rows.sort_by(|a, b| a.file.cmp(&b.file));
    rows
}

impl Row {
    /// The row of a guild file that could not be read or parsed: the ID its name claims
    /// (`guilds/guild-<ID>.yaml`), invalid.
    fn unreadable(file: String) -> Row {
        Row {
            guild_id: id_in_name(&file, "guilds/guild-"),
            tier: String::new(),
            replicas: None,
            namespace: String::new(),
            cluster: None,
            file,
            valid: false,
            resources: BTreeMap::new(),
        }
    }
}

/// The ID a file's name claims: its path without `prefix` and the YAML extension.
fn id_in_name(path: &str, prefix: &str) -> String {
    path.trim_start_matches(prefix)
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .to_string()
}

/// Where Argo CD deploys a workload placed on `cluster`: that cluster, or, without `clusters`
/// in tenantctl.yaml, `argocd.destinationServer`.
fn destination(
    config: Option<&tenantctl::config::Config>,
    cluster: Option<String>,
) -> Option<String> {
    match config {
        Some(config) if config.clusters.is_empty() => {
            Some(config.argocd.destination_server.clone())
        }
        _ => cluster,
    }
}

fn guild_table(rows: &[Row], multi_cluster: bool) -> TableView {
    let pair = |row: &Row, prefix: &str, resource: &str| {
        let get = |bound: &str| {
            row.resources
                .get(&format!("{prefix}_{resource}_{bound}"))
                .map_or("-", String::as_str)
                .to_string()
        };
        format!("{}/{}", get("request"), get("limit"))
    };
    let mut header = vec!["GUILD ID", "TIER"];
    if multi_cluster {
        header.push("CLUSTER");
    }
    header.extend([
        "REPLICAS",
        "BACKEND CPU",
        "BACKEND MEMORY",
        "BOT CPU",
        "BOT MEMORY",
        "STATUS",
    ]);
    let mut table = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    for row in rows {
        let mut cells = vec![row.guild_id.clone(), row.tier.clone()];
        if multi_cluster {
            cells.push(row.cluster.clone().unwrap_or_else(|| "-".into()));
        }
        table.push(cells);
        table.last_mut().expect("just pushed").extend([
            row.replicas.map_or("-".into(), |r| r.to_string()),
            pair(row, "backend", "cpu"),
            pair(row, "backend", "memory"),
            pair(row, "discord", "cpu"),
            pair(row, "discord", "memory"),
            if row.valid {
                "ok".into()
            } else {
                "invalid (run validate)".into()
            },
        ]);
    }
    TableView {
        rows: Some(table),
        after: if rows.is_empty() {
            vec!["(no guilds; add one with `tenantctl create-guild <ID> --tier <TIER>`)".into()]
        } else {
            Vec::new()
        },
        note: None,
    }
}

/// One tenant as `list --kind tenant` shows it. JSON/YAML shape (stable): a list of
/// `{tenant_id, tenant_type, active, namespace, cluster, custom_domain, image_tag, services, file,
/// valid}`.
#[derive(Debug, Serialize)]
pub struct TenantRow {
    pub tenant_id: String,
    pub tenant_type: String,
    pub active: bool,
    pub namespace: String,
    /// Where Argo CD deploys it: its `spec.placement.cluster`, or argocd.destinationServer.
    pub cluster: Option<String>,
    pub custom_domain: Option<String>,
    pub image_tag: Option<String>,
    pub services: Vec<String>,
    pub file: String,
    /// False when the file does not parse as a Tenant; `validate` says why.
    pub valid: bool,
}

fn tenant_rows(snapshot: &Snapshot) -> Vec<TenantRow> {
    let config = snapshot.parsed_config();
    let unread = unread_files(snapshot, tenantctl::model::tenant::TENANTS_DIR);
    let mut rows: Vec<TenantRow> = snapshot
        .tenants
        .values()
        .map(|file| {
            let tenant = file.parsed.as_ref().ok().and_then(|doc| {
                serde_json::from_value::<tenantctl::model::Tenant>(doc.value.clone()).ok()
            });
            match tenant {
                Some(t) => TenantRow {
                    namespace: t.namespace().unwrap_or_default(),
                    cluster: destination(
                        config.as_ref(),
                        t.spec.placement.as_ref().and_then(|p| p.cluster.clone()),
                    ),
                    active: t.is_active(),
                    services: t.services().to_vec(),
                    tenant_id: t.spec.tenant_id,
                    tenant_type: t.spec.tenant_type,
                    custom_domain: t.spec.custom_domain,
                    image_tag: t.spec.image_tag,
                    file: file.path.clone(),
                    valid: true,
                },
                None => TenantRow::unreadable(file.path.clone()),
            }
        })
        .collect();
    rows.extend(unread.into_iter().map(TenantRow::unreadable));
    rows.sort_by(|a, b| a.file.cmp(&b.file));
    rows
}

impl TenantRow {
    /// The row of a tenant file that could not be read or parsed: the ID its name claims
    /// (`tenants/<ID>.yaml`), invalid.
    fn unreadable(file: String) -> TenantRow {
        TenantRow {
            tenant_id: id_in_name(&file, "tenants/"),
            tenant_type: String::new(),
            active: false,
            namespace: String::new(),
            cluster: None,
            custom_domain: None,
            image_tag: None,
            services: Vec::new(),
            file,
            valid: false,
        }
    }
}
