//! apps: the Argo CD Applications the rendered ApplicationSets will generate, offline.

use tenantctl::ExitCode;
use tenantctl::error::Result;

use super::root;
use super::table::print_rows;
use crate::cli::{GlobalArgs, OutputFormat};

pub fn run(global: &GlobalArgs, output: OutputFormat) -> Result<ExitCode> {
    let root = root(global)?;
    let apps = tenantctl::apps::preview(&root)?;
    match output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&apps).expect("apps serialize")
        ),
        OutputFormat::Yaml => print!(
            "{}",
            serde_saphyr::to_string(&apps).map_err(|e| anyhow::anyhow!("{e}"))?
        ),
        OutputFormat::Table => {
            let header = [
                "NAME",
                "PROJECT",
                "CLUSTER",
                "NAMESPACE",
                "PATH",
                "APPLICATIONSET",
                "PERMITTED",
            ];
            let mut rows = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
            for app in &apps {
                rows.push(vec![
                    app.name.clone(),
                    app.project.clone(),
                    app.cluster.clone(),
                    app.namespace.clone(),
                    app.path.clone(),
                    app.application_set.clone(),
                    match &app.refused {
                        None => "yes".to_string(),
                        Some(why) => format!("no: {why}"),
                    },
                ]);
            }
            print_rows(&rows);
            if apps.is_empty() {
                println!(
                    "(no Applications: no guild files, or no ApplicationSet in kustomize/argocd/)"
                );
            }
        }
    }
    Ok(ExitCode::Ok)
}
