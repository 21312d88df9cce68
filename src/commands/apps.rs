//! apps: the Argo CD Applications the rendered ApplicationSets will generate, offline.

use tenantctl::ExitCode;
use tenantctl::apps::RepoView as _;
use tenantctl::config::Config;
use tenantctl::error::{Error, Result};
use tenantctl::git::GitRepo;
use tenantctl::git::view::CommitView;

use super::format::{Rows, TableView, listing_writer};
use super::root;
use crate::cli::{GlobalArgs, OutputFormat};

pub fn run(global: &GlobalArgs, output: OutputFormat, worktree: bool) -> Result<ExitCode> {
    let root = root(global)?;
    // What Argo CD reads: the committed tree of argocd.targetRevision. Without a commit there
    // is only the work tree.
    let committed = if worktree {
        None
    } else {
        match tenantctl::git::GitRepo::open(&root) {
            Ok(git) => tracked_view(&git)?,
            Err(_) => None,
        }
    };
    let preview = match &committed {
        Some(view) => tenantctl::apps::preview_in(view)?,
        None => tenantctl::apps::preview_in(&tenantctl::apps::WorkTree::new(&root))?,
    };
    if !global.quiet {
        eprintln!("reading {}", preview.view);
        // Said, so that a file reached through a link is no surprise (validate refuses links
        // where tenantctl itself reads: E102).
        for (link, target) in &preview.followed {
            eprintln!("following {link} -> {target}, as Argo CD does");
        }
    }
    // Where Argo CD would misbehave, and each Application it would not create: said on stderr,
    // and the command fails.
    super::output::print_diagnostics(&preview.problems);
    let apps = &preview.apps;
    let table = |apps: &[tenantctl::apps::GeneratedApp]| {
        let header = [
            "NAME",
            "PROJECT",
            "CLUSTER",
            "NAMESPACE",
            "PATH",
            "APPLICATIONSET",
        ];
        let mut rows = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
        for app in apps {
            rows.push(vec![
                app.name.clone(),
                app.project.clone(),
                app.cluster.clone(),
                app.namespace.clone(),
                app.path.clone(),
                app.application_set.clone(),
            ]);
        }
        let after = if apps.is_empty() {
            vec![
                "(no Applications: no guild files, or no ApplicationSet in kustomize/argocd/)"
                    .into(),
            ]
        } else {
            // The size of each set: argocd.shardSize bounds it (W106 above when not).
            let sizes: Vec<String> = preview
                .sets
                .iter()
                .map(|(name, (_, count))| format!("{name} {count}"))
                .collect();
            vec![format!(
                "\nApplications per ApplicationSet: {}",
                sizes.join(", ")
            )]
        };
        TableView {
            rows: Some(rows),
            after,
            note: None,
        }
    };
    listing_writer(output).write(&Rows { rows: apps, table }, global.quiet)?;
    Ok(if preview.has_errors() {
        ExitCode::Invalid
    } else {
        ExitCode::Ok
    })
}

/// The commit Argo CD's git generators read: `argocd.targetRevision` (from HEAD's
/// `tenantctl.yaml`; `HEAD` by default) resolved in this clone as a local branch, then
/// `<git.remote>/<rev>`, a tag, a commit id. `None` when HEAD has no commit yet (the work tree is
/// all there is); an error when the revision is found nowhere here.
fn tracked_view(git: &GitRepo) -> Result<Option<CommitView>> {
    let Ok(head) = git.commit_view("HEAD") else {
        return Ok(None);
    };
    let config: Option<Config> = head
        .read(tenantctl::config::CONFIG_FILE)
        .ok()
        .flatten()
        .and_then(|bytes| tenantctl::yaml::parse(&bytes).ok())
        .and_then(|document| serde_json::from_value(document.value).ok());
    let (revision, remote) = match &config {
        Some(config) => (
            config.argocd.target_revision.clone(),
            config.git.remote.clone(),
        ),
        None => ("HEAD".to_string(), "origin".to_string()),
    };
    if revision == "HEAD" {
        return Ok(Some(head));
    }
    match git.resolve_revision(&revision, &remote)? {
        Some(resolved) => {
            let id = resolved.commit.to_string();
            let short = &id[..12];
            let label = format!(
                "{revision} ({short}, {}): argocd.targetRevision, what Argo CD reads once it is pushed; `--worktree` previews uncommitted files",
                resolved.reference
            );
            Ok(Some(git.view_of(resolved.commit, label)?))
        }
        None => Err(Error::config(
            anyhow::anyhow!(
                "argocd.targetRevision `{revision}` is no branch, tag or commit of this clone (looked for refs/heads/{revision}, refs/remotes/{remote}/{revision}, refs/tags/{revision}, a commit id): Argo CD would find no such revision and generate no Application"
            ),
            format!(
                "fetch it (`git fetch {remote} {revision}`), or fix argocd.targetRevision in tenantctl.yaml; `tenantctl apps --worktree` previews the work tree"
            ),
        )),
    }
}
