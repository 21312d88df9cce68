//! Everything that touches git: where a command may start (branch, locks, operations in
//! progress), what it builds on (the remote's head), the commit it makes (exactly its paths,
//! through the repo's filters, hooks and signing) and the push.
//!
//! libgit2 (git2) reads: refs, trees, blobs, status, config. The `git` program does what users
//! configure git itself to do and libgit2 cannot: transports with the user's ssh and credential
//! helpers, server-side hooks on local remotes, client hooks, signing, clean filters, and moving
//! the work tree (`git reset --keep`), as cargo's `net.git-fetch-with-cli` does for fetching.

pub mod command;
pub mod commit;
pub mod hook_stage;
pub mod index_stat;
pub mod lock;
pub mod remote;
pub mod tree;
pub mod verified;
pub mod view;

pub use crate::redact;

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::{Oid, Repository, RepositoryState, Status};

pub use commit::{CommitOptions, TreePlan};
pub use remote::{Pushed, RemoteSettings};
pub use tree::TreeSource;

use crate::error::{Error, Result};

/// The git repository a config repo lives in (the config repo may be a subdirectory of it).
pub struct GitRepo {
    repo: Repository,
    /// The work tree's top directory.
    workdir: PathBuf,
    /// The config repo root relative to the git work tree, `/`-separated, empty or ending in `/`.
    prefix: String,
}

impl GitRepo {
    /// Opens the repository that contains `root`.
    pub fn open(root: &Path) -> Result<GitRepo> {
        match Repository::discover(root) {
            Ok(repo) => GitRepo::with_repo(repo, root),
            Err(e) if e.code() == git2::ErrorCode::Owner => Err(unsafe_directory(root)),
            Err(_) => Err(Error::git(
                format!("{} is not inside a git repository", root.display()),
                "run `git init` there, or create the repo with `tenantctl init`",
            )),
        }
    }

    /// Opens the repository containing `root`, creating one (branch `main`) if there is none.
    pub fn open_or_init(root: &Path) -> Result<(GitRepo, bool)> {
        match Repository::discover(root) {
            Ok(repo) => Ok((GitRepo::with_repo(repo, root)?, false)),
            Err(e) if e.code() == git2::ErrorCode::Owner => Err(unsafe_directory(root)),
            Err(_) => {
                let mut options = git2::RepositoryInitOptions::new();
                options.initial_head("main");
                let repo = Repository::init_opts(root, &options)?;
                Ok((GitRepo::with_repo(repo, root)?, true))
            }
        }
    }

    fn with_repo(repo: Repository, root: &Path) -> Result<GitRepo> {
        let workdir = repo
            .workdir()
            .ok_or_else(|| {
                Error::git("the git repository is bare", "use a clone with a work tree")
            })?
            .canonicalize()
            .context("opening the git work tree")?;
        let root = root
            .canonicalize()
            .with_context(|| format!("opening {}", root.display()))?;
        let relative: PathBuf = root
            .strip_prefix(&workdir)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut prefix = crate::apply::to_slash(&relative);
        if !prefix.is_empty() {
            prefix.push('/');
        }
        Ok(GitRepo {
            repo,
            workdir,
            prefix,
        })
    }

    fn repo_path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// The work tree's top directory.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The directory shared by all work trees of this clone (where locks and refs live).
    pub fn common_dir(&self) -> PathBuf {
        self.repo.commondir().to_path_buf()
    }

    /// Takes this clone's tenantctl lock, waiting up to `wait` (see [`lock`]).
    pub fn lock(&self, what: &str, wait: Duration) -> Result<lock::CloneLock> {
        lock::acquire(&self.common_dir(), what, wait)
    }

    /// Everything that must hold before a command that commits writes anything: a branch is
    /// checked out (`allow_unborn` for `init`), no merge, rebase, cherry-pick, revert or bisect is
    /// under way, no git process holds the index, and a commit author is configured.
    pub fn check_can_commit(&self, allow_unborn: bool) -> Result<()> {
        self.check_author()?;
        let state = self.repo.state();
        let busy = match state {
            RepositoryState::Clean => None,
            RepositoryState::Merge => {
                Some(("a merge", "git merge --continue` or `git merge --abort"))
            }
            RepositoryState::Revert | RepositoryState::RevertSequence => {
                Some(("a revert", "git revert --continue` or `git revert --abort"))
            }
            RepositoryState::CherryPick | RepositoryState::CherryPickSequence => Some((
                "a cherry-pick",
                "git cherry-pick --continue` or `git cherry-pick --abort",
            )),
            RepositoryState::Bisect => Some(("a bisect", "git bisect reset")),
            RepositoryState::Rebase
            | RepositoryState::RebaseInteractive
            | RepositoryState::RebaseMerge => {
                Some(("a rebase", "git rebase --continue` or `git rebase --abort"))
            }
            RepositoryState::ApplyMailbox | RepositoryState::ApplyMailboxOrRebase => {
                Some(("a `git am`", "git am --continue` or `git am --abort"))
            }
        };
        if let Some((what, fix)) = busy {
            return Err(Error::git(
                format!("{what} is in progress in this clone"),
                format!("finish it first: `{fix}`"),
            ));
        }
        match self.repo.head() {
            Ok(head) if !head.is_branch() => {
                return Err(Error::git(
                    "HEAD is detached: a commit here would belong to no branch",
                    "check out the branch Argo CD tracks first, e.g. `git switch main`",
                ));
            }
            Ok(_) => {}
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
                if !allow_unborn {
                    return Err(Error::git(
                        "the current branch has no commit yet",
                        "create the config repo with `tenantctl init`, or commit its files first",
                    ));
                }
            }
            Err(e) => return Err(e.into()),
        }
        self.check_no_index_lock()
    }

    /// Refuses while `.git/index.lock` exists, after a short wait for a git process to finish.
    pub fn check_no_index_lock(&self) -> Result<()> {
        let lock = self.repo.path().join("index.lock");
        for _ in 0..20 {
            if !lock.exists() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(Error::git(
            format!(
                "{} exists: another git process is running, or one was killed",
                lock.display()
            ),
            format!(
                "if no git command is running in this clone, remove it: rm {}",
                lock.display()
            ),
        ))
    }

    /// Checks, before anything is written, that a commit can be made: an author is configured.
    pub fn check_author(&self) -> Result<()> {
        self.repo.signature().map(|_| ()).map_err(|_| {
            Error::git(
                "no commit author: git config has no user.name and user.email",
                "set them: git config --global user.name \"Your Name\" && git config --global user.email you@example.com",
            )
        })
    }

    /// The checked-out branch's name.
    pub fn branch(&self) -> Result<String> {
        match self.repo.head() {
            Ok(head) => match head.shorthand() {
                Ok(name) if head.is_branch() => Ok(name.to_string()),
                _ => Err(Error::git(
                    "HEAD is detached",
                    "check out a branch (`git switch main`) first",
                )),
            },
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
                let head = self.repo.find_reference("HEAD")?;
                let target = head
                    .symbolic_target()
                    .ok()
                    .flatten()
                    .unwrap_or("refs/heads/main");
                Ok(target.trim_start_matches("refs/heads/").to_string())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The commit HEAD points at; `None` on an unborn branch.
    pub fn head(&self) -> Result<Option<Oid>> {
        match self.repo.head() {
            Ok(head) => Ok(Some(head.peel_to_commit()?.id())),
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        Ok(ancestor == descendant || self.repo.graph_descendant_of(descendant, ancestor)?)
    }

    /// How many commits `from` has that `to` lacks.
    pub fn count_ahead(&self, from: Oid, to: Oid) -> Result<usize> {
        Ok(self.repo.graph_ahead_behind(from, to)?.0)
    }

    /// The config repo as commit `commit` has it (an empty tree for `None`).
    pub fn tree_source(&self, commit: Option<Oid>) -> Result<TreeSource> {
        let tree = match commit {
            Some(commit) => Some(self.repo.find_commit(commit)?.tree_id()),
            None => None,
        };
        TreeSource::new(self.repo.path(), tree, &self.prefix)
    }

    /// Refuses when any of `paths` has uncommitted changes (staged, unstaged or untracked) that
    /// writing would overwrite.
    pub fn ensure_clean(&self, paths: &[String]) -> Result<()> {
        let mut dirty = Vec::new();
        for path in paths {
            if self.is_modified(path)? {
                dirty.push(path.clone());
            }
        }
        if dirty.is_empty() {
            return Ok(());
        }
        Err(Error::git(
            format!(
                "uncommitted changes in files this command must write: {}",
                dirty.join(", ")
            ),
            "commit or stash them first (`git stash`), or discard them (`git checkout -- <file>`)",
        ))
    }

    /// Whether `path` has uncommitted changes.
    pub fn is_modified(&self, path: &str) -> Result<bool> {
        match self.repo.status_file(Path::new(&self.repo_path(path))) {
            Ok(status) => Ok(!status.is_empty() && !status.contains(Status::IGNORED)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(false),
            Err(e) if e.code() == git2::ErrorCode::Ambiguous => Ok(true),
            Err(e) => Err(e.into()),
        }
    }

    /// Which of `paths` (config-repo files) `git ls-files` does not list, so Argo CD cannot see
    /// them, each with why: `"untracked"` or `"ignored"`. An index lookup per path: a status
    /// pass would compare (and, for racily clean entries, re-hash) every tracked file, 5 s of a
    /// 20,000-file validate.
    pub fn unseen_by_argo<'p>(
        &self,
        paths: impl IntoIterator<Item = &'p str>,
    ) -> Result<Vec<(String, &'static str)>> {
        let index = self.repo.index()?;
        let mut unseen = Vec::new();
        for path in paths {
            let in_repo = self.repo_path(path);
            if index.get_path(Path::new(&in_repo), 0).is_some() {
                continue;
            }
            let why = if self.repo.is_path_ignored(Path::new(&in_repo))? {
                "ignored"
            } else {
                "untracked"
            };
            unseen.push((path.to_string(), why));
        }
        Ok(unseen)
    }

    /// Config-repo paths with uncommitted changes under any of `prefixes` (or equal to one).
    /// Only the paths under `prefixes` are looked at (git's pathspecs): the rest of a large
    /// repo costs nothing.
    pub fn dirty_paths(&self, prefixes: &[&str]) -> Result<Vec<String>> {
        let mut dirty = Vec::new();
        // One status per prefix: libgit2 bounds its walk of the index, HEAD and the work tree
        // by the prefix all pathspecs share, which for several is the whole repo (the
        // generated overlays included).
        for prefix in prefixes {
            let mut options = git2::StatusOptions::new();
            options
                .include_untracked(true)
                .recurse_untracked_dirs(true)
                .include_ignored(false)
                .pathspec(format!("{}{prefix}", self.prefix));
            let statuses = self.repo.statuses(Some(&mut options))?;
            for entry in statuses.iter() {
                let Ok(path) = entry.path() else { continue };
                let Some(path) = path.strip_prefix(&self.prefix) else {
                    continue;
                };
                if path == *prefix || path.starts_with(&format!("{prefix}/")) {
                    dirty.push(path.to_string());
                }
            }
        }
        dirty.sort();
        dirty.dedup();
        Ok(dirty)
    }

    /// Config-repo paths that differ between two commits.
    pub fn changed_between(&self, from: Option<Oid>, to: Oid) -> Result<Vec<String>> {
        let old = match from {
            Some(from) => Some(self.repo.find_commit(from)?.tree()?),
            None => None,
        };
        let new = self.repo.find_commit(to)?.tree()?;
        let diff = self
            .repo
            .diff_tree_to_tree(old.as_ref(), Some(&new), None)?;
        let mut changed = Vec::new();
        for delta in diff.deltas() {
            for file in [delta.old_file().path(), delta.new_file().path()]
                .into_iter()
                .flatten()
            {
                let path = crate::apply::to_slash(file);
                if let Some(relative) = path.strip_prefix(&self.prefix)
                    && !changed.iter().any(|c| c == relative)
                {
                    changed.push(relative.to_string());
                }
            }
        }
        Ok(changed)
    }

    /// The permission bits of the regular files in the work tree that differ between two
    /// commits, by absolute path.
    fn work_tree_modes(&self, from: Oid, to: Oid) -> Result<Vec<(PathBuf, u32)>> {
        use std::os::unix::fs::PermissionsExt as _;
        let old = self.repo.find_commit(from)?.tree()?;
        let new = self.repo.find_commit(to)?.tree()?;
        let diff = self.repo.diff_tree_to_tree(Some(&old), Some(&new), None)?;
        let mut modes = Vec::new();
        for delta in diff.deltas() {
            let Some(path) = delta.old_file().path() else {
                continue;
            };
            let full = self.workdir.join(path);
            if let Ok(meta) = std::fs::symlink_metadata(&full)
                && meta.file_type().is_file()
            {
                modes.push((full, meta.permissions().mode() & 0o7777));
            }
        }
        Ok(modes)
    }

    /// Fast-forwards the checked-out branch from `from` to `to` (a descendant), updating the
    /// work tree and index for the paths that differ and keeping every other local change.
    /// Refuses if HEAD is no longer at `from`.
    pub fn advance(&self, from: Option<Oid>, to: Oid, reason: &str) -> Result<()> {
        if self.head()? != from {
            return Err(Error::git(
                "the branch moved while tenantctl was working (a commit made by hand?)",
                "run the command again",
            ));
        }
        match from {
            Some(from) => {
                // Git records only the exec bit and checks a changed file out anew: a 0640
                // file would come back 0644. The modes are noted here and put back after.
                let modes = self.work_tree_modes(from, to)?;
                // A fast-forward, as `git pull` makes it: it carries staged and unstaged edits
                // of other paths along and refuses to overwrite edits of the paths it changes.
                let ran = command::run(
                    command::git(&self.workdir)
                        .args(["merge", "--ff-only", "--quiet", "--no-stat", "--no-verify"])
                        .arg(to.to_string())
                        .env("GIT_REFLOG_ACTION", format!("tenantctl: {reason}")),
                    None,
                )?;
                if !ran.success {
                    return Err(Error::git(
                        format!("updating the work tree failed: {}", ran.message()),
                        "commit or stash the files it names, then run `git merge --ff-only @{u}`",
                    ));
                }
                restore_modes(&modes);
            }
            None => {
                // An unborn branch: the files are already in the work tree (`init`).
                let branch = self.branch()?;
                self.repo.reference(
                    &format!("refs/heads/{branch}"),
                    to,
                    false,
                    &format!("tenantctl: {reason}"),
                )?;
            }
        }
        Ok(())
    }

    /// Commits `paths` as they are in the work tree at `root` (a missing file is a removal) on
    /// top of HEAD, touching nothing else: `init`, whose files are written before the commit.
    /// Returns `None` when that changes nothing.
    pub fn commit_work_tree_paths(
        &self,
        root: &Path,
        paths: &[String],
        message: &str,
        options: &CommitOptions,
    ) -> Result<Option<Oid>> {
        let mut wanted = std::collections::BTreeMap::new();
        for path in paths {
            let text = match std::fs::read(root.join(path)) {
                Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(anyhow::Error::new(e)
                        .context(format!("reading {path}"))
                        .into());
                }
            };
            wanted.insert(path.clone(), text);
        }
        let head = self.head()?;
        let plan = self.plan_tree(head, &wanted, &Default::default())?;
        if plan.is_empty() {
            return Ok(None);
        }
        let commit = self.build_commit(head, &plan, message, options)?;
        let branch = self.branch()?;
        let subject = message.lines().next().unwrap_or_default();
        match head {
            Some(head) => self.repo.reference_matching(
                &format!("refs/heads/{branch}"),
                commit,
                true,
                head,
                &format!("tenantctl: {subject}"),
            )?,
            None => self.repo.reference(
                &format!("refs/heads/{branch}"),
                commit,
                false,
                &format!("tenantctl: {subject}"),
            )?,
        };
        self.stage(root, paths)?;
        self.run_post_commit();
        Ok(Some(commit))
    }

    /// Brings the user's index in line with HEAD for `paths` only (after `advance` from an
    /// unborn branch, where git had no index to update).
    pub fn stage(&self, root: &Path, paths: &[String]) -> Result<()> {
        let mut index = self.repo.index()?;
        for path in paths {
            let repo_path = self.repo_path(path);
            if root.join(path).exists() {
                index.add_path(Path::new(&repo_path))?;
            } else {
                let _ = index.remove_path(Path::new(&repo_path));
            }
        }
        index.write()?;
        Ok(())
    }

    /// Points `refs/heads/<name>` at `commit`, refusing to replace an existing branch.
    pub fn create_branch(&self, name: &str, commit: Oid, reason: &str) -> Result<()> {
        let reference = format!("refs/heads/{name}");
        if self.repo.find_reference(&reference).is_ok() {
            return Err(Error::git(
                format!("a local branch `{name}` already exists"),
                "choose another name with --branch, or delete it (`git branch -D`)",
            ));
        }
        self.repo
            .reference(&reference, commit, false, &format!("tenantctl: {reason}"))?;
        Ok(())
    }

    /// Whether a local branch `name` exists.
    pub fn branch_exists(&self, name: &str) -> bool {
        self.repo
            .find_reference(&format!("refs/heads/{name}"))
            .is_ok()
    }

    /// Whether `name` can be a branch name.
    pub fn is_valid_branch_name(name: &str) -> bool {
        git2::Reference::is_valid_name(&format!("refs/heads/{name}"))
    }

    /// Sets `branch`'s upstream to `remote`'s `merge_ref` when it has none.
    pub fn set_upstream(&self, branch: &str, remote: &str, merge_ref: &str) -> Result<()> {
        let mut config = self.repo.config()?;
        if config
            .get_string(&format!("branch.{branch}.remote"))
            .is_err()
        {
            config.set_str(&format!("branch.{branch}.remote"), remote)?;
            config.set_str(&format!("branch.{branch}.merge"), merge_ref)?;
        }
        Ok(())
    }

    /// The remote and remote branch `branch` tracks: its upstream, or `default_remote`'s branch
    /// of the same name.
    pub fn upstream_of(&self, branch: &str, default_remote: &str) -> (String, String) {
        let config = self.repo.config().ok();
        let get = |key: &str| config.as_ref().and_then(|c| c.get_string(key).ok());
        let remote = get(&format!("branch.{branch}.remote"))
            .filter(|r| r != ".")
            .unwrap_or_else(|| default_remote.to_string());
        let merge = get(&format!("branch.{branch}.merge"))
            .unwrap_or_else(|| format!("refs/heads/{branch}"));
        (remote, merge)
    }

    /// How many local commits the upstream lacks, or `None` without an upstream.
    pub fn unpushed_commits(&self) -> Result<Option<usize>> {
        let branch = self.branch()?;
        let Ok(local) = self.repo.find_branch(&branch, git2::BranchType::Local) else {
            return Ok(None);
        };
        let Ok(upstream) = local.upstream() else {
            return Ok(None);
        };
        let (Some(local), Some(upstream)) = (local.get().target(), upstream.get().target()) else {
            return Ok(None);
        };
        let (ahead, _) = self.repo.graph_ahead_behind(local, upstream)?;
        Ok(Some(ahead))
    }

    /// Paths (relative to the config repo root) that differ between `rev` and the work tree,
    /// uncommitted and untracked changes included: what a pull request touched.
    pub fn changed_since(&self, rev: &str) -> Result<std::collections::BTreeSet<String>> {
        let object = self.repo.revparse_single(rev).map_err(|_| {
            Error::usage(
                format!("--since: no git revision `{rev}`"),
                "give a branch, tag or commit, e.g. --since origin/main",
            )
        })?;
        let tree = object.peel_to_tree()?;
        let mut options = git2::DiffOptions::new();
        options.include_untracked(true).recurse_untracked_dirs(true);
        let diff = self
            .repo
            .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut options))?;
        let mut changed = std::collections::BTreeSet::new();
        for delta in diff.deltas() {
            for file in [delta.old_file().path(), delta.new_file().path()]
                .into_iter()
                .flatten()
            {
                let path = crate::apply::to_slash(file);
                if let Some(relative) = path.strip_prefix(&self.prefix) {
                    changed.insert(relative.to_string());
                }
            }
        }
        Ok(changed)
    }

    /// The URL of a remote, if it exists.
    pub fn remote_url(&self, name: &str) -> Option<String> {
        self.repo
            .find_remote(name)
            .ok()?
            .url()
            .ok()
            .map(str::to_string)
    }

    /// The branch `refs/remotes/<remote>/HEAD` names (the remote's default branch), if known.
    pub fn remote_default_branch(&self, remote: &str) -> Option<String> {
        let head = self
            .repo
            .find_reference(&format!("refs/remotes/{remote}/HEAD"))
            .ok()?;
        let target = head.symbolic_target().ok().flatten()?;
        target
            .strip_prefix(&format!("refs/remotes/{remote}/"))
            .map(str::to_string)
    }

    /// A git config value as git reads it for this repo (global and system included).
    pub fn config_string(&self, key: &str) -> Option<String> {
        self.repo.config().ok()?.get_string(key).ok()
    }

    /// A boolean git config value.
    pub fn config_bool(&self, key: &str) -> Option<bool> {
        self.repo.config().ok()?.get_bool(key).ok()
    }

    /// Takes the clone's lock for a command that writes the work tree, then removes the
    /// temporary files a killed tenantctl left (safe only while holding the lock).
    pub fn lock_for_writing(
        &self,
        root: &Path,
        what: &str,
        wait: Duration,
    ) -> Result<lock::CloneLock> {
        let lock = self.lock(what, wait)?;
        // Files a killed command staged for its commit hooks go back first.
        hook_stage::restore(root, self.repo.path())?;
        self.remove_leftovers(root);
        Ok(lock)
    }

    /// Removes temporary files a killed tenantctl left (in the folders its journals name) and in
    /// its own place under `.git`. Only call while holding the clone lock.
    fn remove_leftovers(&self, root: &Path) {
        let _ = std::fs::remove_dir_all(self.scratch_dir());
        crate::apply::remove_leftovers(root);
    }

    /// Where tenantctl keeps temporary files inside the git directory.
    /// The git directory (`.git`).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    fn scratch_dir(&self) -> PathBuf {
        self.repo.path().join("tenantctl")
    }
}

/// git refuses repositories owned by someone else unless `safe.directory` names them.
fn unsafe_directory(root: &Path) -> Error {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let shown = root
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(&root)
        .to_path_buf();
    Error::git(
        format!(
            "git refuses the repository at {}: it is owned by another user (safe.directory)",
            shown.display()
        ),
        format!(
            "if you trust it: git config --global --add safe.directory {}",
            shown.display()
        ),
    )
}

/// Puts back the modes [`GitRepo::work_tree_modes`] noted, for files still regular files whose exec
/// bit git left as it was (a commit that changes the exec bit wins).
fn restore_modes(modes: &[(PathBuf, u32)]) {
    use std::os::unix::fs::PermissionsExt as _;
    for (path, mode) in modes {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            continue;
        };
        let now = meta.permissions().mode() & 0o7777;
        let same_exec = (now & 0o100 != 0) == (mode & 0o100 != 0);
        if meta.file_type().is_file() && now != *mode && same_exec {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode));
        }
    }
}
