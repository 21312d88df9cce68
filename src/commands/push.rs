//! push: pushes the current branch, e.g. after a push that failed.

use std::time::Duration;

use tenantctl::ExitCode;
use tenantctl::error::{Error, Result};
use tenantctl::git::remote::PushOutcome;
use tenantctl::git::{GitRepo, RemoteSettings};

use super::root;
use crate::cli::GlobalArgs;

pub fn run(global: &GlobalArgs) -> Result<ExitCode> {
    let root = root(global)?;
    let git = GitRepo::open(&root)?;
    let settings = tenantctl::load::read_config(&root)
        .map(|c| c.git)
        .unwrap_or_default();
    let _lock = git.lock("push", Duration::from_secs(settings.lock_timeout_seconds))?;
    let branch = git.branch()?;
    let Some(head) = git.head()? else {
        return Err(Error::git(
            "the current branch has no commit to push",
            "commit first",
        ));
    };
    let (remote, merge_ref) = git.upstream_of(&branch, &settings.remote);
    if !git.has_remote(&remote) {
        return Err(Error::git(
            format!("no remote `{remote}` to push to"),
            format!("add it with `git remote add {remote} <url>`"),
        ));
    }
    let target = merge_ref.trim_start_matches("refs/heads/");
    let remote_settings = RemoteSettings::from_config(&settings);
    match git.push_commit(&remote, head, target, &remote_settings, global.no_verify)? {
        PushOutcome::Pushed(pushed) => {
            git.set_upstream(&branch, &remote, &merge_ref)?;
            if !global.quiet {
                outln!(
                    "pushed {} to {}/{} ({})",
                    branch,
                    pushed.remote,
                    pushed.branch,
                    pushed.url
                );
            }
            Ok(ExitCode::Ok)
        }
        PushOutcome::RemoteBusy(error) => Err(error),
        PushOutcome::RemoteMoved => Err(Error::git(
            format!("{remote}/{target} has commits this clone lacks; nothing was pushed"),
            "bring them in (`git pull --rebase`), then run `tenantctl push` again",
        )),
    }
}
