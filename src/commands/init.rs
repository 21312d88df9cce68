//! init: writes a new config repo from the embedded defaults, renders it, and commits it.

use anyhow::Context as _;
use std::collections::BTreeMap;
use std::path::PathBuf;

use tenantctl::config::PLACEHOLDER_REPO_URL;
use tenantctl::error::{Error, Result};
use tenantctl::git::GitRepo;
use tenantctl::load::Snapshot;
use tenantctl::operation::plan_change;
use tenantctl::render::scaffold::scaffold_files;
use tenantctl::{ExitCode, apply};

use crate::cli::GlobalArgs;

pub fn run(
    global: &GlobalArgs,
    dir: Option<PathBuf>,
    repo_url: Option<String>,
    force: bool,
) -> Result<ExitCode> {
    let dir = dir
        .or_else(|| global.repo.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    if !global.dry_run {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let existing_git = if dir.exists() {
        GitRepo::open(&dir).ok()
    } else {
        None
    };
    let repo_url = repo_url
        .or_else(|| {
            existing_git
                .as_ref()
                .and_then(|git| git.remote_url("origin"))
        })
        .map(|url| tenantctl::git::redact::strip_credentials(&url))
        .unwrap_or_else(|| PLACEHOLDER_REPO_URL.to_string());
    let files = scaffold_files(&repo_url)?;
    let wanted: BTreeMap<String, Option<String>> =
        files.into_iter().map(|(p, t)| (p, Some(t))).collect();
    let plan = apply::plan(&dir, &wanted)?;
    let overwritten: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.old.is_some())
        .map(|c| c.path.as_str())
        .collect();
    if !overwritten.is_empty() && !force {
        return Err(Error::usage(
            format!(
                "refusing to overwrite existing files: {}",
                overwritten.join(", ")
            ),
            "pass --force to overwrite them, or init into an empty directory",
        ));
    }
    if global.dry_run {
        out!("{}", plan.unified_diff());
        outln!("dry run: {} file(s) would be written", plan.changes.len());
        return Ok(ExitCode::Ok);
    }
    let git = if global.no_commit {
        None
    } else {
        Some(GitRepo::open_or_init(&dir)?)
    };
    let _lock = match &git {
        Some((git, _)) => {
            let lock = git.lock("init", std::time::Duration::from_secs(120))?;
            git.check_can_commit(true)?;
            git.ensure_clean(&plan.paths())?;
            Some(lock)
        }
        None => None,
    };
    apply::apply(&dir, &plan)?;
    let generated = plan_change(&dir, &Snapshot::load(&dir)?, &BTreeMap::new())?;
    apply::apply(&dir, &generated)?;
    let mut paths = plan.paths();
    paths.extend(generated.paths());
    if !global.quiet {
        for path in &paths {
            outln!("{:>8} {path}", "created");
        }
    }
    if let Some((git, created)) = &git {
        if *created && !global.quiet {
            outln!(
                "initialized a git repository (branch main) in {}",
                dir.display()
            );
        }
        let options = super::guild::steps(global)?.commit_options;
        let message = format!(
            "Initialize tenantctl config repo\n\nGenerated-By: tenantctl {}\n",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(commit) = git.commit_work_tree_paths(&dir, &paths, &message, &options)?
            && !global.quiet
        {
            outln!("committed {}", &commit.to_string()[..12]);
        }
    }
    if repo_url == PLACEHOLDER_REPO_URL && !global.quiet {
        outln!(
            "next: set argocd.repoURL in tenantctl.yaml (or rerun with --repo-url), `tenantctl render`, then add a remote and create guilds"
        );
    }
    Ok(ExitCode::Ok)
}
