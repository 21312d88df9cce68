//! sync: asks Argo CD to refresh guild Applications by annotating them through kubectl.

use std::process::Command;

use tenantctl::ExitCode;
use tenantctl::error::{Error, Result};
use tenantctl::load::Snapshot;
use tenantctl::model::Guild;
use tenantctl::operation::guild::check_exists;

use super::root;
use crate::cli::GlobalArgs;

pub fn run(global: &GlobalArgs, id: Option<String>, all: bool) -> Result<ExitCode> {
    let root = root(global)?;
    let snapshot = Snapshot::load(&root)?;
    let ids: Vec<String> = if all {
        super::list::rows(&snapshot)
            .into_iter()
            .filter(|r| r.valid)
            .map(|r| r.guild_id)
            .collect()
    } else {
        let id = id.expect("clap requires an ID without --all");
        check_exists(&snapshot, &id)?;
        vec![id]
    };
    if ids.is_empty() {
        outln!("no guilds to sync");
        return Ok(ExitCode::Ok);
    }
    let namespace = super::argocd_namespace(&snapshot);
    let applications: Vec<String> = ids.iter().map(|id| Guild::namespace_for(id)).collect();
    let mut command = Command::new("kubectl");
    command
        .args([
            "annotate",
            "applications.argoproj.io",
            "--namespace",
            &namespace,
            "--overwrite",
            "--request-timeout=15s",
        ])
        .args(&applications)
        .arg("argocd.argoproj.io/refresh=normal");
    if global.dry_run {
        outln!("would run: {command:?}");
        return Ok(ExitCode::Ok);
    }
    let result = command.output().map_err(|e| {
        Error::git(
            format!("cannot run kubectl: {e}"),
            "install kubectl and point it at the Argo CD cluster (KUBECONFIG)",
        )
    })?;
    if !result.status.success() {
        let stderr = String::from_utf8_lossy(&result.stderr);
        return Err(Error::git(
            format!(
                "kubectl could not refresh the Applications: {}",
                stderr.trim()
            ),
            "check that kubectl reaches the cluster running Argo CD (`kubectl get applications -n argocd`)",
        ));
    }
    if !global.quiet {
        for application in &applications {
            outln!("refresh requested: {application}");
        }
    }
    Ok(ExitCode::Ok)
}
