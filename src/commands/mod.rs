//! One file per command. Each reads its options, calls the library stages, and prints.

// First, so that its `out!`/`outln!` (stdout that never panics on a closed pipe) reach the others.
#[macro_use]
pub mod output;

mod apps;
mod completions;
mod diff;
mod format;
mod guild;
mod init;
mod list;
mod push;
mod render;
mod report;
mod secret;
mod status;
mod sync;
mod table;
mod tenant;
mod validate;

use anyhow::Context as _;
use std::path::PathBuf;

use tenantctl::ExitCode;
use tenantctl::error::Result;

use crate::cli::{Cli, Command, GlobalArgs};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let global = &cli.global;
    match cli.command {
        Command::Init {
            dir,
            repo_url,
            force,
        } => init::run(global, dir, repo_url, force),
        Command::CreateGuild {
            id,
            tier,
            sets,
            cluster,
        } => guild::create(global, id, tier, sets, cluster),
        Command::Place => guild::execute(global, &tenantctl::operation::place::PlaceAll),
        Command::MoveGuild { id, cluster } => guild::execute(
            global,
            &tenantctl::operation::guild::MoveGuild { id, cluster },
        ),
        Command::MoveTenant {
            id,
            cluster,
            region,
        } => guild::execute(
            global,
            &tenantctl::operation::tenant::MoveTenant {
                id,
                cluster,
                region,
            },
        ),
        Command::UpdateGuild { id, tier, sets } => guild::update(global, id, tier, sets),
        Command::DeleteGuild { id, yes } => guild::delete(global, id, yes),
        Command::List {
            kind,
            tier,
            cluster,
            output,
        } => list::run(global, kind, tier, cluster, output),
        Command::CreateTenant {
            id,
            from_file,
            tenant_type,
            cluster,
            region,
            fields,
        } => tenant::create(
            global,
            id,
            from_file,
            tenant_type,
            (cluster, region),
            fields,
        ),
        Command::UpdateTenant {
            id,
            tenant_type,
            fields,
        } => tenant::update(global, id, tenant_type, fields),
        Command::SuspendTenant { id } => tenant::suspend(global, id, false),
        Command::ResumeTenant { id } => tenant::suspend(global, id, true),
        Command::Rollout { id } => tenant::rollout(global, id),
        Command::DeleteTenant { id, yes } => tenant::delete(global, id, yes),
        Command::Crd => tenant::crd(global),
        Command::Migrate(crate::cli::Migrate::Prstack { file }) => {
            tenant::migrate_prstack(global, &file)
        }
        Command::Status { id } => status::run(global, id),
        Command::Validate {
            format,
            manifests,
            since,
            schema_dir,
        } => validate::run(
            global,
            format,
            validate::Manifests {
                enabled: manifests,
                since,
                schema_dirs: schema_dir,
            },
        ),
        Command::Schema { which } => validate::print_schema(global, which),
        Command::Render { check } => render::run(global, check),
        Command::Sync { id, all } => sync::run(global, id, all),
        Command::Push => push::run(global),
        Command::Diff => diff::run(global),
        Command::Apps { output, worktree } => apps::run(global, output, worktree),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
        Command::Secret(command) => secret::run(global, command),
    }
}

/// The config repo root: `--repo`, or found by walking up from the working directory.
fn root(global: &GlobalArgs) -> Result<PathBuf> {
    let start = match &global.repo {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().context("reading the working directory")?,
    };
    tenantctl::load::find_root(&start)
}

/// Where Argo CD runs, from tenantctl.yaml (validation has its own say on the file).
fn argocd_namespace(snapshot: &tenantctl::load::Snapshot) -> String {
    snapshot
        .parsed_config()
        .map(|c| c.argocd.namespace)
        .unwrap_or_else(|| "argocd".to_string())
}
