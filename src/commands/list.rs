//! list: every guild with its tier, replicas and effective resources.
//!
//! JSON/YAML shape (stable): a list of
//! `{guild_id, tier, replicas, namespace, file, valid, resources: {<resource key>: quantity}}`.

use std::collections::BTreeMap;

use serde::Serialize;
use tenantctl::ExitCode;
use tenantctl::config::Config;
use tenantctl::error::Result;
use tenantctl::load::Snapshot;
use tenantctl::model::Guild;
use tenantctl::validate::effective_resources;

use super::root;
use super::table::print_rows;
use crate::cli::{GlobalArgs, OutputFormat};

/// One guild as `list` shows it.
#[derive(Debug, Serialize)]
pub struct Row {
    pub guild_id: String,
    pub tier: String,
    pub replicas: Option<u32>,
    pub namespace: String,
    pub file: String,
    /// False when the file does not parse or names an unknown tier; `validate` says why.
    pub valid: bool,
    pub resources: BTreeMap<String, String>,
}

pub fn run(global: &GlobalArgs, tier: Option<String>, output: OutputFormat) -> Result<ExitCode> {
    let root = root(global)?;
    let snapshot = Snapshot::load(&root)?;
    let rows: Vec<Row> = rows(&snapshot)
        .into_iter()
        .filter(|row| tier.as_ref().is_none_or(|t| *t == row.tier))
        .collect();
    match output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialize")
        ),
        OutputFormat::Yaml => print!(
            "{}",
            serde_saphyr::to_string(&rows).map_err(|e| anyhow::anyhow!("{e}"))?
        ),
        OutputFormat::Table => print_table(&rows),
    }
    Ok(ExitCode::Ok)
}

/// Reads rows from the snapshot, leniently: one bad file does not hide the others.
pub fn rows(snapshot: &Snapshot) -> Vec<Row> {
    let config: Option<Config> = snapshot
        .config
        .parsed
        .as_ref()
        .ok()
        .and_then(|doc| serde_json::from_value(doc.value.clone()).ok());
    snapshot
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
                        valid: tier.is_some() && file.path == Guild::path_for(&guild.guild_id),
                        guild_id: guild.guild_id,
                        tier: guild.tier,
                        file: file.path.clone(),
                    }
                }
                None => Row {
                    guild_id: file
                        .path
                        .trim_start_matches("guilds/guild-")
                        .trim_end_matches(".yaml")
                        .to_string(),
                    tier: String::new(),
                    replicas: None,
                    namespace: String::new(),
                    file: file.path.clone(),
                    valid: false,
                    resources: BTreeMap::new(),
                },
            }
        })
        .collect()
}

fn print_table(rows: &[Row]) {
    let pair = |row: &Row, prefix: &str, resource: &str| {
        let get = |bound: &str| {
            row.resources
                .get(&format!("{prefix}_{resource}_{bound}"))
                .map_or("-", String::as_str)
                .to_string()
        };
        format!("{}/{}", get("request"), get("limit"))
    };
    let header = [
        "GUILD ID",
        "TIER",
        "REPLICAS",
        "BACKEND CPU",
        "BACKEND MEMORY",
        "BOT CPU",
        "BOT MEMORY",
        "STATUS",
    ];
    let mut table = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    for row in rows {
        table.push(vec![
            row.guild_id.clone(),
            row.tier.clone(),
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
    print_rows(&table);
    if rows.is_empty() {
        println!("(no guilds; add one with `tenantctl create-guild <ID> --tier <TIER>`)");
    }
}
