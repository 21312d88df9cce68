//! status: one guild's settings, whether its overlay is current and committed and pushed, and,
//! where kubectl reaches a cluster, its Argo CD Application's sync and health.

use std::process::Command;

use tenantctl::error::Result;
use tenantctl::git::GitRepo;
use tenantctl::load::Snapshot;
use tenantctl::model::{Guild, RESOURCE_FIELDS, Tenant};
use tenantctl::operation::guild::check_exists;
use tenantctl::validate::Schemas;
use tenantctl::{ExitCode, render};

use super::root;
use crate::cli::GlobalArgs;

pub fn run(global: &GlobalArgs, id: String) -> Result<ExitCode> {
    let root = root(global)?;
    let snapshot = Snapshot::load(&root)?;
    if snapshot.tenants.contains_key(&Tenant::path_for(&id)) {
        return tenant_status(&root, &snapshot, &id);
    }
    check_exists(&snapshot, &id)?;
    let path = Guild::path_for(&id);
    let row = super::list::rows(&snapshot)
        .into_iter()
        .find(|r| r.file == path)
        .expect("the guild file exists");
    let own = snapshot.guilds[&path]
        .parsed
        .as_ref()
        .ok()
        .and_then(|d| Guild::from_value(&d.value));
    let verdict = tenantctl::verdict::check(&root, &snapshot, &Schemas::load(&root)?)?;
    outln!("guild      {id}");
    outln!("file       {path}");
    outln!("valid      {}", validity(&verdict, &path));
    outln!("tier       {}", row.tier);
    let autoscaled = snapshot
        .parsed_config()
        .and_then(|c| c.tiers.get(&row.tier).cloned())
        .filter(|t| t.autoscaling.is_some())
        .map(|t| {
            let (min, max) = t.backend_replicas();
            format!(" (backend: {min} to {max}, autoscaled on CPU)")
        })
        .unwrap_or_default();
    outln!(
        "replicas   {}{autoscaled}",
        row.replicas.map_or("unknown".into(), |r| r.to_string())
    );
    outln!("namespace  {}", row.namespace);
    outln!(
        "cluster    {}",
        cluster_line(&snapshot, row.cluster.as_deref())
    );
    for field in RESOURCE_FIELDS {
        let value = row.resources.get(field.key).map_or("-", String::as_str);
        let from_file = own
            .as_ref()
            .is_some_and(|g| g.resources.contains_key(field.key));
        outln!(
            "  {:<24} {:<8} {}",
            field.key,
            value,
            if from_file { "" } else { "(tier default)" }
        );
    }
    outln!("overlay    {}", overlay_state(&root, verdict, &id)?);
    outln!("git        {}", git_state(&root, &path));
    outln!(
        "argocd     {}",
        argocd_state(
            &Guild::namespace_for(&id),
            &super::argocd_namespace(&snapshot)
        )
    );
    Ok(ExitCode::Ok)
}

/// `validate`'s verdict on one file, as `list` gives it.
fn validity(verdict: &tenantctl::verdict::Verdict, path: &str) -> String {
    match verdict.errors_in(path) {
        _ if verdict.is_valid(path) => "yes".into(),
        0 => "no: tenantctl.yaml has errors (run `tenantctl validate`)".into(),
        n => format!("no: {n} error(s) in this file (run `tenantctl validate`)"),
    }
}

fn overlay_state(
    root: &std::path::Path,
    verdict: tenantctl::verdict::Verdict,
    id: &str,
) -> Result<String> {
    let Some(model) = verdict.model else {
        return Ok("unknown: the repo has errors (run `tenantctl validate`)".into());
    };
    let Some(guild) = model.guilds.get(id) else {
        return Ok("unknown".into());
    };
    let drift = tenantctl::drift::drift(
        root,
        &model,
        &render::Templates::load(root)?,
        tenantctl::drift::Scope::Guild(&guild.guild_id),
    )?;
    let overlay = format!("{}/guild-{id}/", render::GUILD_OVERLAYS_DIR);
    Ok(if drift.plan.is_empty() {
        format!("{overlay} is current")
    } else {
        format!("{overlay} is out of date (run `tenantctl render`)")
    })
}

fn git_state(root: &std::path::Path, path: &str) -> String {
    let Ok(git) = GitRepo::open(root) else {
        return "not a git repository".into();
    };
    let mut parts = Vec::new();
    if git.is_modified(path).unwrap_or(false) {
        parts.push("file has uncommitted changes".to_string());
    }
    parts.push(match git.unpushed_commits() {
        Ok(Some(0)) => "pushed".into(),
        Ok(Some(n)) => format!("{n} commit(s) not pushed (run `tenantctl push`)"),
        Ok(None) => "no upstream branch: never pushed".into(),
        Err(e) => format!("unknown ({e})"),
    });
    parts.join("; ")
}

/// The Application's sync and health, or in one line why kubectl could not tell.
fn argocd_state(application: &str, namespace: &str) -> String {
    let output = Command::new("kubectl")
        .args([
            "get",
            "applications.argoproj.io",
            application,
            "--namespace",
            namespace,
            "--request-timeout=5s",
        ])
        .args([
            "-o",
            "jsonpath={.status.sync.status} {.status.health.status}",
        ])
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut words = text.split_whitespace();
            format!(
                "sync {}, health {}",
                words.next().unwrap_or("unknown"),
                words.next().unwrap_or("unknown")
            )
        }
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let reason = if stderr.contains("connection refused")
                || stderr.contains("no such host")
                || stderr.contains("dial tcp")
            {
                "no cluster reachable (check KUBECONFIG)".to_string()
            } else if stderr.contains("NotFound") || stderr.contains("not found") {
                format!("no Application {application} in namespace {namespace} yet")
            } else {
                stderr
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("kubectl failed")
                    .trim()
                    .chars()
                    .take(160)
                    .collect()
            };
            format!("unknown: {reason}")
        }
        Err(e) => format!("unknown: cannot run kubectl ({e})"),
    }
}

/// The cluster a workload is placed on, with its API server and region when tenantctl.yaml says.
fn cluster_line(snapshot: &Snapshot, cluster: Option<&str>) -> String {
    let Some(name) = cluster else {
        return "none (run `tenantctl validate`)".into();
    };
    let known = snapshot
        .parsed_config()
        .and_then(|c| c.clusters.into_iter().find(|c| c.name == name));
    match known {
        Some(c) => {
            let mut line = name.to_string();
            if let Some(server) = &c.server {
                line += &format!(" ({server})");
            }
            if let Some(region) = c.region() {
                line += &format!(", region {region}");
            }
            line
        }
        None => name.to_string(),
    }
}

/// The tenant side of `status`: settings, overlay, git and Argo CD state.
fn tenant_status(root: &std::path::Path, snapshot: &Snapshot, id: &str) -> Result<ExitCode> {
    let path = Tenant::path_for(id);
    let tenant = tenantctl::operation::tenant::existing(snapshot, id)?;
    let verdict = tenantctl::verdict::check(root, snapshot, &Schemas::load(root)?)?;
    outln!("tenant     {id}");
    outln!("file       {path}");
    outln!("valid      {}", validity(&verdict, &path));
    outln!("type       {}", tenant.spec.tenant_type);
    outln!("active     {}", tenant.is_active());
    outln!(
        "namespace  {}",
        tenant
            .namespace()
            .unwrap_or_else(|e| format!("invalid: {e}"))
    );
    let placement = tenant.spec.placement.clone().unwrap_or_default();
    let mut cluster = match snapshot.parsed_config() {
        Some(config) if config.clusters.is_empty() => config.argocd.destination_server,
        _ => cluster_line(snapshot, placement.cluster.as_deref()),
    };
    if let Some(region) = &placement.region {
        cluster += &format!(" (pinned to region {region})");
    }
    outln!("cluster    {cluster}");
    outln!(
        "domain     {}",
        tenant.spec.custom_domain.as_deref().unwrap_or("-")
    );
    outln!(
        "image tag  {}",
        tenant.spec.image_tag.as_deref().unwrap_or("-")
    );
    outln!("services   {}", tenant.services().join(", "));
    outln!(
        "backups    {}",
        if tenant.backups_enabled() {
            "enabled"
        } else {
            "disabled"
        }
    );
    let overlay = match verdict.model {
        Some(model) => {
            let drift = tenantctl::drift::drift(
                root,
                &model,
                &render::Templates::load(root)?,
                tenantctl::drift::Scope::Tenant(id),
            )?;
            if drift.plan.is_empty() {
                "current".to_string()
            } else {
                "out of date (run `tenantctl render`)".to_string()
            }
        }
        None => "unknown: the repo has errors (run `tenantctl validate`)".to_string(),
    };
    outln!("overlay    kustomize/tenants/{id}/ is {overlay}");
    outln!("git        {}", git_state(root, &path));
    outln!(
        "argocd     {}",
        argocd_state(&format!("tenant-{id}"), &super::argocd_namespace(snapshot))
    );
    Ok(ExitCode::Ok)
}
