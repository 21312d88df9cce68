//! apps: the Argo CD Applications the rendered ApplicationSets will generate, offline.

use tenantctl::ExitCode;
use tenantctl::error::Result;

use super::format::{Rows, TableView, listing_writer};
use super::root;
use crate::cli::{GlobalArgs, OutputFormat};

pub fn run(global: &GlobalArgs, output: OutputFormat, worktree: bool) -> Result<ExitCode> {
    let root = root(global)?;
    // What Argo CD reads: the committed tree. Without a commit there is only the work tree.
    let committed = if worktree {
        None
    } else {
        tenantctl::git::GitRepo::open(&root)
            .ok()
            .and_then(|git| git.commit_view("HEAD").ok())
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
