//! Running an [`Operation`] against git: lock the clone, check it can commit, fetch, build the
//! commit on the remote's head, push, and only then move the local branch; replay when the
//! remote moved.

use std::path::Path;
use std::time::Duration;

use git2::Oid;

use super::{Change, Operation, desired_state, plan_change};
use crate::apply::{self, Plan};
use crate::config::CONFIG_FILE;
use crate::error::{Error, Result};
use crate::git::remote::{PushOutcome, review_url};
use crate::git::{CommitOptions, GitRepo, Pushed, RemoteSettings};
use crate::load::{GUILDS_DIR, KUSTOMIZE_DIR, Snapshot, read_config};
use crate::model::tenant::TENANTS_DIR;

/// How far [`execute`] goes.
#[derive(Debug, Clone, Default)]
pub struct Steps {
    /// Compute the plan and stop: nothing is written, nothing fetched.
    pub dry_run: bool,
    pub commit: bool,
    pub push: bool,
    /// No network: build on the local branch and do not push.
    pub offline: bool,
    /// Push to this new branch (placeholders `{operation}`, `{id}`) instead of the tracked one;
    /// `git.pushBranch` in `tenantctl.yaml` is the default.
    pub review_branch: Option<String>,
    pub commit_options: CommitOptions,
}

/// A review branch that was pushed (or, offline, created locally).
#[derive(Debug, Clone)]
pub struct Review {
    pub branch: String,
    /// The branch it is meant to be merged into.
    pub target: String,
    /// The forge page that opens a pull/merge request, where the remote has one.
    pub url: Option<String>,
}

/// What [`execute`] did.
#[derive(Debug)]
pub struct Outcome {
    pub plan: Plan,
    pub message: String,
    pub notes: Vec<String>,
    pub commit: Option<String>,
    pub pushed: Option<Pushed>,
    pub review: Option<Review>,
    /// How many times the change was computed (more than 1: others pushed first).
    pub attempts: u32,
}

impl Outcome {
    fn new(plan: Plan, change: Change) -> Outcome {
        Outcome {
            plan,
            message: change.message,
            notes: change.notes,
            commit: None,
            pushed: None,
            review: None,
            attempts: 1,
        }
    }
}

/// How often a push may find the remote's ref locked by another push before the lock counts
/// as left behind.
const BUSY_ATTEMPTS: u32 = 6;

/// Inputs whose uncommitted edits are left out of a commit (it is rendered from the commit).
/// `kustomize/` counts without the folders tenantctl generates (added by [`inputs`]): a hand
/// edit there is drift `validate` reports, and at 100,000 guilds and tenants they hold a
/// million files that `git status` would look at for every command.
const INPUTS: [&str; 6] = [
    CONFIG_FILE,
    crate::secret::SECRETS_DIR,
    "templates",
    "schemas",
    GUILDS_DIR,
    TENANTS_DIR,
];

/// [`INPUTS`] and what `kustomize/` holds besides the generated folders (the tier overlays).
fn inputs(root: &Path) -> Vec<String> {
    let generated = [
        crate::render::GUILD_OVERLAYS_DIR,
        crate::render::tenant::TENANT_OVERLAYS_DIR,
        crate::apps::ARGOCD_DIR,
    ];
    let mut inputs: Vec<String> = INPUTS.iter().map(|p| p.to_string()).collect();
    if let Ok(entries) = std::fs::read_dir(root.join(KUSTOMIZE_DIR)) {
        for entry in entries.flatten() {
            let path = format!("{KUSTOMIZE_DIR}/{}", entry.file_name().to_string_lossy());
            if !generated.contains(&path.as_str()) {
                inputs.push(path);
            }
        }
    }
    inputs
}

/// Runs an operation through validate -> render -> commit -> push (see the module docs).
pub fn execute(root: &Path, operation: &dyn Operation, steps: Steps) -> Result<Outcome> {
    if !steps.commit {
        return execute_in_work_tree(root, operation, &steps);
    }
    let git = GitRepo::open(root)?;
    let settings = read_config(root).map(|c| c.git).unwrap_or_default();
    let _lock = if steps.dry_run {
        None
    } else {
        Some(git.lock_for_writing(
            root,
            operation.name(),
            Duration::from_secs(settings.lock_timeout_seconds),
        )?)
    };
    git.check_can_commit(false)?;
    let branch = git.branch()?;
    let (remote, merge_ref) = git.upstream_of(&branch, &settings.remote);
    let target = merge_ref.trim_start_matches("refs/heads/").to_string();
    let remote_exists = git.has_remote(&remote);
    let review_template = steps
        .review_branch
        .clone()
        .or_else(|| settings.push_branch.clone());
    let network = !steps.dry_run && !steps.offline && remote_exists;
    let push = steps.push && !steps.offline;
    let remote_settings = RemoteSettings::from_config(&settings);
    let attempts = settings.push_attempts.max(1);
    let mut attempt = 0;
    let mut busy = 0;
    let mut unreachable: Option<Error> = None;
    let mut left_out_note: Option<String> = None;
    loop {
        attempt += 1;
        let local = git.head()?;
        let fetched = if network {
            match git.fetch(&remote, &merge_ref, &remote_settings) {
                Ok(fetched) => fetched,
                // The remote cannot be reached now: build on the local branch and keep the
                // commit here for `tenantctl push`, as when the push itself fails.
                Err(error) if attempt == 1 && matches!(error, Error::Git { .. }) => {
                    unreachable = Some(error);
                    None
                }
                Err(error) => return Err(error),
            }
        } else {
            None
        };
        let (base, mut notes) = choose_base(
            &git,
            local,
            fetched,
            review_template.is_some(),
            &branch,
            &remote,
            &target,
        )?;
        let source = git.tree_source(base)?;
        let snapshot = Snapshot::load_from(root, &source, &|_| {})?;
        refuse_links(&snapshot)?;
        let change = operation.change(&snapshot)?;
        // On a commit tenantctl made, only what the change touches is rendered.
        let current = git.is_verified(base);
        let (wanted, kept, unchanged) = desired_state(&source, &snapshot, &change.files, current)?;
        let leaves_all_current = kept.is_empty();
        let tree_plan = git.plan_tree(base, &wanted, &unchanged)?;
        let message = change.commit_message();
        let review = match &review_template {
            Some(template) => Some(review_branch_name(template, operation.name(), &change.id)?),
            None => None,
        };
        if review.is_none()
            && let Some(note) = untracked_branch_note(&git, &snapshot, &remote, &target)
        {
            notes.push(note);
        }
        notes.extend(change.notes.iter().cloned());
        notes.extend(kept);
        let mut outcome = Outcome::new(tree_plan.plan.clone(), change);
        outcome.notes = notes;
        outcome.attempts = attempt;
        if steps.dry_run || tree_plan.is_empty() {
            return Ok(outcome);
        }
        if attempt == 1 {
            let ours = tree_plan.plan.paths();
            let left_out: Vec<String> = git
                .dirty_paths(&inputs(root).iter().map(String::as_str).collect::<Vec<_>>())?
                .into_iter()
                .filter(|p| !ours.contains(p))
                .collect();
            if !left_out.is_empty() {
                left_out_note = Some(format!(
                    "rendered from the committed files: your uncommitted edits to {} stay in the work tree and out of this commit",
                    left_out.join(", ")
                ));
            }
        }
        // Said after a replay too: the edits are left out of whichever commit lands.
        outcome.notes.extend(left_out_note.clone());
        if review.is_none() {
            // Everything the work tree must take when the branch moves: our paths, and what
            // the fetch brought in.
            let mut touched = tree_plan.plan.paths();
            if base != local
                && let Some(base) = base
            {
                touched.extend(git.changed_between(local, base)?);
            }
            git.ensure_clean(&touched)?;
            // git would refuse to update a path under a symbolic link only after the push.
            for path in &touched {
                apply::check_writable(root, path)?;
            }
        } else if let Some(name) = &review
            && git.branch_exists(name)
        {
            return Err(Error::git(
                format!("a local branch `{name}` already exists"),
                "choose another name with --branch, or delete it (`git branch -D`)",
            ));
        }
        let subject = outcome.message.lines().next().unwrap_or("").to_string();
        let commit = git.build_commit(base, &tree_plan, &message, &steps.commit_options)?;
        outcome.commit = Some(commit.to_string());
        if leaves_all_current {
            git.record_verified(commit);
        }

        if let Some(error) = unreachable.take() {
            if push {
                finish_locally(&git, local, commit, &subject, review.as_deref(), &target)
                    .map(|r| outcome.review = r)?;
                return Err(kept_locally(error));
            }
            outcome.notes.push(format!(
                "could not fetch from {remote}, so this builds on the local branch: {}",
                error.to_string().lines().next().unwrap_or_default()
            ));
        }
        if !push || !remote_exists {
            finish_locally(&git, local, commit, &subject, review.as_deref(), &target)
                .map(|r| outcome.review = r)?;
            if push && !remote_exists {
                return Err(Error::git(
                    format!("no remote `{remote}` to push to; the commit is kept locally"),
                    format!(
                        "add it with `git remote add {remote} <url>`, then run `tenantctl push` (or pass --no-push)"
                    ),
                ));
            }
            return Ok(outcome);
        }
        let destination = review.as_deref().unwrap_or(&target);
        // A pre-push hook, like the commit hooks, finds the pushed files in the work tree.
        let staged = if !steps.commit_options.no_verify && git.hook_exists("pre-push") {
            let files: Vec<(String, Option<String>)> = tree_plan
                .plan
                .changes
                .iter()
                .map(|c| (c.path.clone(), c.new.clone()))
                .collect();
            Some(crate::git::hook_stage::stage(root, git.git_dir(), &files)?)
        } else {
            None
        };
        let pushed = git.push_commit(
            &remote,
            commit,
            destination,
            &remote_settings,
            steps.commit_options.no_verify,
        );
        if let Some(staged) = staged {
            staged.restore()?;
        }
        let pushed = match pushed {
            Ok(pushed) => pushed,
            Err(error) => {
                // The remote is unreachable or refuses for a reason of its own: keep the
                // commit in this clone, so `tenantctl push` can deliver it later.
                finish_locally(&git, local, commit, &subject, review.as_deref(), &target)?;
                return Err(kept_locally(error));
            }
        };
        match pushed {
            PushOutcome::Pushed(pushed) => {
                if let Some(name) = &review {
                    git.create_branch(name, commit, &subject)?;
                    git.set_upstream(name, &remote, &format!("refs/heads/{name}"))?;
                    outcome.review = Some(Review {
                        branch: name.clone(),
                        target: target.clone(),
                        url: git
                            .remote_url(&remote)
                            .and_then(|url| review_url(&url, name, &target)),
                    });
                } else {
                    git.advance(local, commit, &subject).map_err(|e| {
                        Error::git(
                            format!(
                                "pushed {} to {remote}/{target}, but updating this clone failed: {e}",
                                &commit.to_string()[..12]
                            ),
                            "run `git pull --ff-only` once the files it names are committed or stashed",
                        )
                    })?;
                    git.set_upstream(&branch, &remote, &merge_ref)?;
                    git.run_post_commit();
                }
                outcome.pushed = Some(pushed);
                return Ok(outcome);
            }
            PushOutcome::RemoteBusy(error) => {
                busy += 1;
                if busy >= BUSY_ATTEMPTS || attempt >= attempts {
                    finish_locally(&git, local, commit, &subject, review.as_deref(), &target)?;
                    return Err(kept_locally(error));
                }
                std::thread::sleep(backoff(attempt));
            }
            PushOutcome::RemoteMoved => {
                if let Some(name) = &review {
                    return Err(Error::git(
                        format!("the branch `{name}` already exists on {remote}"),
                        "choose another name with --branch",
                    ));
                }
                if attempt >= attempts {
                    return Err(Error::git(
                        format!(
                            "{remote}/{target} kept moving: others pushed first {attempt} times; nothing was pushed"
                        ),
                        "run the command again (git.pushAttempts in tenantctl.yaml sets how often to retry)",
                    ));
                }
                std::thread::sleep(backoff(attempt));
            }
        }
    }
}

/// What a commit builds on: the remote's head when the local branch is at it or behind it
/// (the branch then fast-forwards), the local branch when it is ahead (its commits go along).
/// A review branch always starts from the remote's head.
fn choose_base(
    git: &GitRepo,
    local: Option<Oid>,
    fetched: Option<Oid>,
    review: bool,
    branch: &str,
    remote: &str,
    target: &str,
) -> Result<(Option<Oid>, Vec<String>)> {
    let Some(fetched) = fetched else {
        return Ok((local, Vec::new()));
    };
    let Some(local) = local else {
        return Ok((Some(fetched), Vec::new()));
    };
    if review || git.is_ancestor(local, fetched)? {
        return Ok((Some(fetched), Vec::new()));
    }
    if git.is_ancestor(fetched, local)? {
        let ahead = git.count_ahead(local, fetched)?;
        return Ok((
            Some(local),
            vec![format!(
                "{branch} had {ahead} commit(s) not yet on {remote}/{target}: they are pushed too"
            )],
        ));
    }
    Err(Error::git(
        format!(
            "{branch} and {remote}/{target} have diverged ({} and {} commits of their own)",
            git.count_ahead(local, fetched)?,
            git.count_ahead(fetched, local)?
        ),
        "bring them together first (`git pull --rebase`), then run the command again",
    ))
}

/// A word when the branch pushed to is not the one Argo CD deploys from.
fn untracked_branch_note(
    git: &GitRepo,
    snapshot: &Snapshot,
    remote: &str,
    target: &str,
) -> Option<String> {
    let tracked = snapshot.parsed_config()?.argocd.target_revision;
    let tracked = if tracked == "HEAD" {
        // The remote's default branch, where the clone knows it.
        git.remote_default_branch(remote)?
    } else {
        tracked
    };
    (tracked != target).then(|| {
        format!(
            "this goes to {target}, but Argo CD deploys {tracked} (argocd.targetRevision): nothing is deployed until it reaches {tracked}"
        )
    })
}

/// A symbolic link where files are read (E102) stops a command before the operation looks at
/// the files, so it is named as such rather than as a missing file.
fn refuse_links(snapshot: &Snapshot) -> Result<()> {
    if snapshot.problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(snapshot.problems.clone()))
    }
}

/// A push failure, with the news that the commit stays in this clone.
fn kept_locally(error: Error) -> Error {
    match error {
        Error::Git { message, hint } => Error::Git {
            message: format!("{message}\nthe commit is kept locally"),
            hint: Some(match hint {
                Some(hint) => format!("{hint}; then run `tenantctl push`"),
                None => "run `tenantctl push` once the cause is fixed".to_string(),
            }),
        },
        other => other,
    }
}

/// Moves the branch (or creates the review branch) for a commit that is not pushed.
fn finish_locally(
    git: &GitRepo,
    local: Option<Oid>,
    commit: Oid,
    subject: &str,
    review: Option<&str>,
    target: &str,
) -> Result<Option<Review>> {
    if let Some(name) = review {
        git.create_branch(name, commit, subject)?;
        return Ok(Some(Review {
            branch: name.to_string(),
            target: target.to_string(),
            url: None,
        }));
    }
    git.advance(local, commit, subject)?;
    git.run_post_commit();
    Ok(None)
}

/// A review branch name from its template, e.g. `tenantctl/{operation}-{id}`.
fn review_branch_name(template: &str, operation: &str, id: &str) -> Result<String> {
    let name = template
        .replace("{operation}", operation)
        .replace("{id}", id);
    if GitRepo::is_valid_branch_name(&name) {
        Ok(name)
    } else {
        Err(Error::usage(
            format!("`{name}` is not a valid branch name"),
            "use letters, digits, `-`, `_`, `.` and `/` (see `git check-ref-format`)",
        ))
    }
}

/// 50 ms doubling to 1.6 s, times a random factor in [0.5, 1.5), so writers that collided
/// do not collide again in step.
fn backoff(attempt: u32) -> Duration {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    hasher.write_u32(std::process::id());
    let jitter = 0.5 + (hasher.finish() % 1000) as f64 / 1000.0;
    let base = 50.0 * f64::from(1u32 << attempt.min(5));
    Duration::from_millis((base * jitter) as u64)
}

/// `--no-commit`: the change goes into the work tree only, rendered from the work tree as it
/// is (uncommitted edits included: this is for trying things out locally).
fn execute_in_work_tree(root: &Path, operation: &dyn Operation, steps: &Steps) -> Result<Outcome> {
    let git = GitRepo::open(root).ok();
    let settings = read_config(root).map(|c| c.git).unwrap_or_default();
    let _lock = match (&git, steps.dry_run) {
        (Some(git), false) => Some(git.lock_for_writing(
            root,
            operation.name(),
            Duration::from_secs(settings.lock_timeout_seconds),
        )?),
        _ => None,
    };
    let snapshot = Snapshot::load(root)?;
    refuse_links(&snapshot)?;
    let change = operation.change(&snapshot)?;
    let plan = plan_change(root, &snapshot, &change.files)?;
    let kept = plan.notes.clone();
    let mut outcome = Outcome::new(plan, change);
    outcome.notes.extend(kept);
    if steps.dry_run || outcome.plan.is_empty() {
        return Ok(outcome);
    }
    // Where there is a repository, the user's uncommitted edits to the files we write are
    // protected all the same.
    if let Some(git) = &git {
        git.ensure_clean(&outcome.plan.paths())?;
    }
    apply::apply(root, &outcome.plan)?;
    Ok(outcome)
}
