//! create-guild, update-guild, delete-guild: build the operation, execute it, print the outcome.

use anyhow::Context as _;
use std::io::{BufRead as _, IsTerminal as _, Write as _};

use tenantctl::ExitCode;
use tenantctl::error::{Error, Result};
use tenantctl::operation::guild::{CreateGuild, DeleteGuild, UpdateGuild, parse_set};
use tenantctl::operation::{self, Operation, Steps};

use super::{output, root};
use crate::cli::GlobalArgs;

pub fn create(
    global: &GlobalArgs,
    id: String,
    tier: String,
    sets: Vec<String>,
    cluster: Option<String>,
) -> Result<ExitCode> {
    let sets = sets.iter().map(|s| parse_set(s)).collect::<Result<_>>()?;
    execute(
        global,
        &CreateGuild {
            id,
            tier,
            sets,
            cluster,
        },
    )
}

pub fn update(
    global: &GlobalArgs,
    id: String,
    tier: Option<String>,
    sets: Vec<String>,
) -> Result<ExitCode> {
    if tier.is_none() && sets.is_empty() {
        return Err(Error::usage(
            "nothing to update",
            "pass --tier TIER and/or --set FIELD=VALUE",
        ));
    }
    let sets = sets.iter().map(|s| parse_set(s)).collect::<Result<_>>()?;
    execute(global, &UpdateGuild { id, tier, sets })
}

pub fn delete(global: &GlobalArgs, id: String, yes: bool) -> Result<ExitCode> {
    let operation = DeleteGuild { id: id.clone() };
    if !yes && !global.dry_run {
        // Show what will go before asking; this also refuses an unknown ID before the prompt.
        let root = root(global)?;
        let preview = operation::execute(
            &root,
            &operation,
            Steps {
                dry_run: true,
                ..steps(global)?
            },
        )?;
        let mut question = format!("Delete guild {id}? This removes, commits and pushes:\n");
        for change in &preview.plan.changes {
            question += &format!("  {}\n", change.path);
        }
        if !confirm(&(question + "Continue?"))? {
            outln!("not deleted");
            return Ok(ExitCode::Ok);
        }
    }
    execute(global, &operation)
}

/// Asks on a terminal; without one, refuses so that a script has to say --yes.
pub fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "refusing to delete without confirmation: standard input is not a terminal",
            "pass --yes to delete from a script",
        ));
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("reading the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

pub fn execute(global: &GlobalArgs, operation: &dyn Operation) -> Result<ExitCode> {
    let root = root(global)?;
    let outcome = operation::execute(&root, operation, steps(global)?)?;
    output::print_outcome(global, &outcome);
    Ok(ExitCode::Ok)
}

/// How far a mutating command goes, from the global flags.
pub fn steps(global: &GlobalArgs) -> Result<Steps> {
    if let Some(author) = &global.author {
        tenantctl::git::commit::parse_author(author)?;
    }
    Ok(Steps {
        dry_run: global.dry_run,
        commit: !global.no_commit,
        push: !global.no_commit && !global.no_push,
        offline: global.offline,
        review_branch: global.branch.clone(),
        commit_options: tenantctl::git::CommitOptions {
            author: global.author.clone(),
            no_verify: global.no_verify,
        },
    })
}
