//! init: writes a new config repo from the embedded defaults, renders it, and commits it.

use anyhow::Context as _;
use std::collections::BTreeMap;
use std::path::PathBuf;

use tenantctl::config::PLACEHOLDER_REPO_URL;
use tenantctl::error::{Error, Result};
use tenantctl::git::GitRepo;
use tenantctl::load::Snapshot;
use tenantctl::operation::desired_state;
use tenantctl::render::scaffold::scaffold_files;
use tenantctl::source::Disk;
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
    let options = super::guild::steps(global)?.commit_options;
    apply::apply(&dir, &plan)?;
    // From here on, a failure puts back what was written.
    let generated_wanted = match Snapshot::load(&dir)
        .and_then(|snapshot| desired_state(&Disk::new(&dir), &snapshot, &BTreeMap::new(), false))
    {
        Ok((wanted, _, _)) => wanted,
        Err(error) => return Err(undo(&dir, &[&plan], error)),
    };
    let generated = match apply::plan(&dir, &generated_wanted) {
        Ok(generated) => generated,
        Err(error) => return Err(undo(&dir, &[&plan], error)),
    };
    if let Err(error) = apply::apply(&dir, &generated) {
        return Err(undo(&dir, &[&plan], error));
    }
    // Every file of the new repo, not only those this run wrote: a run that was interrupted
    // (or whose commit failed) left some of them, and this run commits them all.
    let mut paths: Vec<String> = wanted.keys().cloned().collect();
    paths.extend(
        generated_wanted
            .iter()
            .filter(|(_, text)| text.is_some())
            .map(|(path, _)| path.clone()),
    );
    paths.sort();
    paths.dedup();
    let written: Vec<String> = plan.paths().into_iter().chain(generated.paths()).collect();
    if !global.quiet {
        for path in &written {
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
        let message = format!(
            "Initialize tenantctl config repo\n\nGenerated-By: tenantctl {}\n",
            env!("CARGO_PKG_VERSION")
        );
        let committed = match git.commit_work_tree_paths(&dir, &paths, &message, &options) {
            Ok(committed) => committed,
            // A refused commit (a hook, signing) leaves the directory as it was.
            Err(error) => return Err(undo(&dir, &[&generated, &plan], error)),
        };
        if let Some(commit) = committed
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

/// Puts back what `plans` wrote (newest plan first): files they created are removed, files they
/// changed get their old text. Returns `error`, the reason for undoing (its exit code kept),
/// with what could not be put back added to it.
fn undo(dir: &std::path::Path, plans: &[&apply::Plan], error: Error) -> Error {
    let mut left = Vec::new();
    for plan in plans {
        for change in plan.changes.iter().rev() {
            let put_back = match &change.old {
                None => match std::fs::remove_file(dir.join(&change.path)) {
                    Err(e) => e.kind() == std::io::ErrorKind::NotFound,
                    Ok(()) => {
                        // The folders it made for the file go too, once empty (remove_dir
                        // refuses any folder that still holds something).
                        let mut folder = std::path::Path::new(&change.path).parent();
                        while let Some(f) = folder.filter(|f| !f.as_os_str().is_empty()) {
                            if std::fs::remove_dir(dir.join(f)).is_err() {
                                break;
                            }
                            folder = f.parent();
                        }
                        true
                    }
                },
                Some(old) => apply::write_atomic(dir, &change.path, old.as_bytes()).is_ok(),
            };
            if !put_back {
                left.push(change.path.clone());
            }
        }
    }
    if left.is_empty() {
        return error;
    }
    let also = format!("; these files could not be put back: {}", left.join(", "));
    match error {
        Error::Git { message, hint } => Error::Git {
            message: message + &also,
            hint,
        },
        Error::Usage { message, hint } => Error::Usage {
            message: message + &also,
            hint,
        },
        Error::Other(error) => {
            Error::Other(error.context(also.trim_start_matches("; ").to_string()))
        }
        other => other,
    }
}
