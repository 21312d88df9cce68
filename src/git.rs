//! Everything that touches git (and the only module using git2): checking that the paths a
//! command writes are clean, committing exactly those paths, and pushing.
//!
//! Commits are built from HEAD's tree plus our paths in an in-memory index, so whatever else the
//! user has changed or staged stays out of the commit and stays staged.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};

use git2::{
    Cred, CredentialType, Index, IndexEntry, IndexTime, Oid, PushOptions, RemoteCallbacks,
    Repository, Status,
};

use crate::error::{Error, Result};

/// The git repository a config repo lives in (the config repo may be a subdirectory of it).
pub struct GitRepo {
    repo: Repository,
    /// The config repo root relative to the git work tree, `/`-separated, empty or ending in `/`.
    prefix: String,
}

/// What a push did.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub remote: String,
    pub url: String,
    pub branch: String,
}

impl GitRepo {
    /// Opens the repository that contains `root`.
    pub fn open(root: &Path) -> Result<GitRepo> {
        let repo = Repository::discover(root).map_err(|_| {
            Error::git(
                format!("{} is not inside a git repository", root.display()),
                "run `git init` there, or create the repo with `tenantctl init`",
            )
        })?;
        GitRepo::with_repo(repo, root)
    }

    /// Opens the repository containing `root`, creating one (branch `main`) if there is none.
    pub fn open_or_init(root: &Path) -> Result<(GitRepo, bool)> {
        match Repository::discover(root) {
            Ok(repo) => Ok((GitRepo::with_repo(repo, root)?, false)),
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
            .map_err(|e| anyhow::anyhow!("opening the git work tree: {e}"))?;
        let root = root
            .canonicalize()
            .map_err(|e| anyhow::anyhow!("opening {}: {e}", root.display()))?;
        let relative: PathBuf = root
            .strip_prefix(&workdir)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut prefix = crate::apply::to_slash(&relative);
        if !prefix.is_empty() {
            prefix.push('/');
        }
        Ok(GitRepo { repo, prefix })
    }

    fn repo_path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// Checks, before anything is written, that a commit can be made: an author is configured.
    pub fn check_author(&self) -> Result<()> {
        self.signature().map(|_| ())
    }

    /// Refuses when any of `paths` has uncommitted changes that writing would overwrite.
    pub fn ensure_clean(&self, paths: &[String]) -> Result<()> {
        let mut dirty = Vec::new();
        for path in paths {
            match self.repo.status_file(Path::new(&self.repo_path(path))) {
                Ok(status) if status.is_empty() || status.contains(Status::IGNORED) => {}
                Ok(_) => dirty.push(path.clone()),
                Err(e) if e.code() == git2::ErrorCode::NotFound => {}
                Err(e) => return Err(e.into()),
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

    /// The commit author, from git config.
    fn signature(&self) -> Result<git2::Signature<'static>> {
        self.repo.signature().map_err(|_| {
            Error::git(
                "no commit author: git config has no user.name and user.email",
                "set them: git config --global user.name \"Your Name\" && git config --global user.email you@example.com",
            )
        })
    }

    /// Commits the current contents of `paths` (a missing file is a removal) on top of HEAD,
    /// touching nothing else. Returns `None` when that changes nothing.
    pub fn commit_paths(
        &self,
        root: &Path,
        paths: &[String],
        message: &str,
    ) -> Result<Option<Oid>> {
        let signature = self.signature()?;
        let head = match self.repo.head() {
            Ok(head) => Some(head.peel_to_commit()?),
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
                ) =>
            {
                None
            }
            Err(e) => return Err(e.into()),
        };
        let mut index = Index::new()?;
        if let Some(head) = &head {
            index.read_tree(&head.tree()?)?;
        }
        for path in paths {
            let repo_path = self.repo_path(path);
            match std::fs::read(root.join(path)) {
                Ok(bytes) => {
                    let blob = self.repo.blob(&bytes)?;
                    index.add(&index_entry(&repo_path, blob, bytes.len()))?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let _ = index.remove_path(Path::new(&repo_path));
                }
                Err(e) => return Err(anyhow::anyhow!("reading {path}: {e}").into()),
            }
        }
        let tree = self.repo.find_tree(index.write_tree_to(&self.repo)?)?;
        if head.as_ref().is_some_and(|h| h.tree_id() == tree.id()) {
            return Ok(None);
        }
        let parents: Vec<&git2::Commit> = head.iter().collect();
        let oid = self.repo.commit(
            Some("HEAD"),
            &signature,
            &signature,
            message,
            &tree,
            &parents,
        )?;
        self.stage_in_user_index(root, paths)?;
        Ok(Some(oid))
    }

    /// Brings the user's index in line with the commit for our paths only.
    fn stage_in_user_index(&self, root: &Path, paths: &[String]) -> Result<()> {
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

    /// The current branch's name.
    pub fn branch(&self) -> Result<String> {
        let head = self.repo.head()?;
        match head.shorthand() {
            Ok(name) if head.is_branch() => Ok(name.to_string()),
            _ => Err(Error::git(
                "HEAD is detached",
                "check out a branch (`git switch main`) first",
            )),
        }
    }

    /// The remote the current branch pushes to: its upstream's, or `default_remote`.
    fn push_remote(&self, branch: &str, default_remote: &str) -> String {
        self.repo
            .config()
            .and_then(|c| c.get_string(&format!("branch.{branch}.remote")))
            .unwrap_or_else(|_| default_remote.to_string())
    }

    /// Pushes the current branch to its upstream (or `default_remote`), setting the upstream.
    pub fn push(&self, default_remote: &str) -> Result<Pushed> {
        let branch = self.branch()?;
        let remote_name = self.push_remote(&branch, default_remote);
        let mut remote = self.repo.find_remote(&remote_name).map_err(|_| {
            Error::git(
                format!("no remote `{remote_name}` to push to; the commit is kept locally"),
                format!("add it with `git remote add {remote_name} <url>`, then run `tenantctl push` (or pass --no-push)"),
            )
        })?;
        let url = remote.url().unwrap_or_default().to_string();
        let refspec = format!("refs/heads/{branch}:refs/heads/{branch}");
        let rejection: RefCell<Option<String>> = RefCell::new(None);
        let config = self.repo.config()?;
        let attempts = Cell::new(0);
        let mut callbacks = RemoteCallbacks::new();
        callbacks.credentials(|url, username, allowed| {
            credentials(&config, &attempts, url, username, allowed)
        });
        callbacks.push_update_reference(|_, status| {
            if let Some(status) = status {
                *rejection.borrow_mut() = Some(status.to_string());
            }
            Ok(())
        });
        let mut options = PushOptions::new();
        options.remote_callbacks(callbacks);
        let failed = |reason: String| {
            Error::git(
                format!(
                    "push to {remote_name} ({url}) failed: {reason}; the commit is kept locally"
                ),
                "fix the cause (pull if the remote moved on), then run `tenantctl push`",
            )
        };
        remote
            .push(&[refspec.as_str()], Some(&mut options))
            .map_err(|e| failed(e.message().to_string()))?;
        drop(options);
        if let Some(reason) = rejection.take() {
            return Err(failed(format!("the remote refused it ({reason})")));
        }
        self.set_upstream(&branch, &remote_name)?;
        Ok(Pushed {
            remote: remote_name,
            url,
            branch,
        })
    }

    fn set_upstream(&self, branch: &str, remote: &str) -> Result<()> {
        let mut config = self.repo.config()?;
        if config
            .get_string(&format!("branch.{branch}.remote"))
            .is_err()
        {
            config.set_str(&format!("branch.{branch}.remote"), remote)?;
            config.set_str(
                &format!("branch.{branch}.merge"),
                &format!("refs/heads/{branch}"),
            )?;
        }
        Ok(())
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

    /// Whether `path` has uncommitted changes.
    pub fn is_modified(&self, path: &str) -> Result<bool> {
        match self.repo.status_file(Path::new(&self.repo_path(path))) {
            Ok(status) => Ok(!status.is_empty() && !status.contains(Status::IGNORED)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
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
}

fn index_entry(path: &str, id: Oid, size: usize) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100644,
        uid: 0,
        gid: 0,
        file_size: u32::try_from(size).unwrap_or(u32::MAX),
        id,
        flags: u16::try_from(path.len()).unwrap_or(0xfff).min(0xfff),
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// SSH: the agent, then ~/.ssh keys; HTTPS: git's credential helpers. Three tries at most,
/// because libgit2 calls back again after every failure.
fn credentials(
    config: &git2::Config,
    attempts: &Cell<u32>,
    url: &str,
    username: Option<&str>,
    allowed: CredentialType,
) -> std::result::Result<Cred, git2::Error> {
    attempts.set(attempts.get() + 1);
    let user = username.unwrap_or("git");
    if allowed.contains(CredentialType::SSH_KEY) {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        return match attempts.get() {
            1 => Cred::ssh_key_from_agent(user),
            2 => Cred::ssh_key(user, None, &home.join(".ssh/id_ed25519"), None),
            3 => Cred::ssh_key(user, None, &home.join(".ssh/id_rsa"), None),
            _ => Err(git2::Error::from_str(
                "no SSH key was accepted (tried the agent, id_ed25519, id_rsa)",
            )),
        };
    }
    if attempts.get() > 3 {
        return Err(git2::Error::from_str("authentication failed"));
    }
    if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
        return Cred::credential_helper(config, url, username);
    }
    Cred::default()
}
