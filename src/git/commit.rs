//! Commits built from a base commit plus exactly the command's paths, never from the user's
//! index or work tree: blobs go through the repo's `.gitattributes` filters as `git add` would,
//! the client hooks run on an index holding exactly the commit (as `git commit -- <paths>` does),
//! and the commit is signed when `commit.gpgsign` asks for it.

use anyhow::Context as _;
use std::collections::BTreeMap;
use std::path::Path;

use git2::{Index, IndexEntry, IndexTime, ObjectType, Oid};

use super::GitRepo;
use super::command::{self, git};
use crate::apply::{FileChange, Plan};
use crate::error::{Error, Result};

/// A commit's worth of change against a base: the plan people see, and the blobs git stores.
#[derive(Debug, Default)]
pub struct TreePlan {
    pub plan: Plan,
    /// Repo-relative path -> the new blob and its mode, or `None` to remove the path.
    blobs: BTreeMap<String, Option<(Oid, u32)>>,
}

impl TreePlan {
    pub fn is_empty(&self) -> bool {
        self.plan.is_empty()
    }
}

/// Which paths `git add` would filter, by the `.gitattributes` of the commit built on (not the
/// work tree's, which may be older or edited): as that commit's own checkout sees them.
struct Filters {
    /// The commit whose attributes count (`--attr-source`), when there is one.
    source: Option<Oid>,
    filtered: std::collections::HashSet<String>,
}

impl Filters {
    fn of(git: &GitRepo, base: Option<Oid>, paths: &[String]) -> Result<Filters> {
        let mut filters = Filters {
            source: base,
            filtered: Default::default(),
        };
        if paths.is_empty() {
            return Ok(filters);
        }
        let mut check = filters.git(git);
        check
            .args(["check-attr", "-z", "--stdin"])
            .args(FILTER_ATTRIBUTES);
        let mut input = Vec::new();
        for path in paths {
            input.extend_from_slice(path.as_bytes());
            input.push(0);
        }
        let ran = command::run(&mut check, Some(&input))?;
        if !ran.success {
            return Err(Error::git(
                format!("reading .gitattributes failed: {}", ran.message()),
                "tenantctl needs git 2.42 or newer (for --attr-source)",
            ));
        }
        // `path NUL attribute NUL value NUL`, per path and attribute.
        let fields: Vec<&str> = ran.stdout.split('\0').collect();
        for triple in fields.chunks(3) {
            if let [path, _attribute, value] = triple
                && !matches!(*value, "unspecified" | "unset" | "")
            {
                filters.filtered.insert((*path).to_string());
            }
        }
        Ok(filters)
    }

    /// `git`, reading attributes from the base commit.
    fn git(&self, repo: &GitRepo) -> std::process::Command {
        let mut command = git(&repo.workdir);
        if let Some(source) = self.source {
            command.arg(format!("--attr-source={source}"));
        }
        command
    }

    /// The id `bytes` get as the blob at `repo_path`, after the repo's clean filters; stored
    /// in the object database when `write`.
    fn blob_id(&self, repo: &GitRepo, repo_path: &str, bytes: &[u8], write: bool) -> Result<Oid> {
        if !self.filtered.contains(repo_path) {
            return Ok(if write {
                repo.repo.blob(bytes)?
            } else {
                Oid::hash_object(ObjectType::Blob, bytes)?
            });
        }
        let mut hash = self.git(repo);
        hash.arg("hash-object");
        if write {
            hash.arg("-w");
        }
        hash.arg(format!("--path={repo_path}")).arg("--stdin");
        let ran = command::run(&mut hash, Some(bytes))?;
        if !ran.success {
            return Err(Error::git(
                format!("the clean filter for {repo_path} failed: {}", ran.message()),
                "check the filter named in .gitattributes (`git check-attr -a <path>`)",
            ));
        }
        Ok(Oid::from_str(ran.stdout.trim())?)
    }
}

/// How to make a commit.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// `Name <email>` instead of git config's author (bots).
    pub author: Option<String>,
    /// Skip the pre-commit, prepare-commit-msg and commit-msg hooks (`--no-verify`).
    pub no_verify: bool,
}

/// Attributes under which `git add` would change a file's bytes on the way into git.
const FILTER_ATTRIBUTES: [&str; 6] = [
    "filter",
    "text",
    "eol",
    "crlf",
    "ident",
    "working-tree-encoding",
];

impl GitRepo {
    /// At most this many wanted paths are looked up in the base tree one by one; more are read
    /// in one walk of the tree (see [`GitRepo::plan_tree`]).
    const FEW_PATHS: usize = 64;

    /// Compares what the repo should hold (`wanted`: config-repo path -> text, or `None` for
    /// absent) with `base`'s tree, by blob id, and stores the blobs that change. Paths in
    /// `known_unchanged` were found holding their text in `base` already (`Source::holds`).
    pub fn plan_tree(
        &self,
        base: Option<Oid>,
        wanted: &BTreeMap<String, Option<String>>,
        known_unchanged: &std::collections::BTreeSet<String>,
    ) -> Result<TreePlan> {
        let tree = match base {
            Some(base) => Some(self.repo.find_commit(base)?.tree()?),
            None => None,
        };
        // The base tree's entries at the wanted paths. Many are read in one walk: looking each
        // up from the root parses the folder of every guild once per file (libgit2 caches no
        // tree over 4 KiB), which grew with the square of the repo. A few (a create on a
        // commit tenantctl made) are looked up one by one: the walk of every entry of a large
        // repo cost more than the rest of the plan.
        let mut entries: std::collections::HashMap<String, (Oid, u32, Option<ObjectType>)> =
            std::collections::HashMap::new();
        if let Some(tree) = &tree
            && wanted.len() <= Self::FEW_PATHS
        {
            for path in wanted.keys() {
                let repo_path = self.repo_path(path);
                match tree.get_path(std::path::Path::new(&repo_path)) {
                    Ok(entry) => {
                        entries.insert(
                            repo_path,
                            (entry.id(), entry.filemode() as u32, entry.kind()),
                        );
                    }
                    Err(error) if error.code() == git2::ErrorCode::NotFound => {}
                    Err(error) => return Err(error.into()),
                }
            }
        } else if let Some(tree) = &tree {
            tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                if let Ok(name) = entry.name() {
                    entries.insert(
                        format!("{dir}{name}"),
                        (entry.id(), entry.filemode() as u32, entry.kind()),
                    );
                }
                git2::TreeWalkResult::Ok
            })?;
        }
        // A file whose bytes hash to the blob already at its path is unchanged, filters or not
        // (a clean filter would have stored something else); only the others need
        // `.gitattributes`, which `git check-attr` answers per path and slowly.
        let mut unchanged_paths = std::collections::HashSet::new();
        let mut written: Vec<String> = Vec::new();
        for (path, text) in wanted {
            let Some(text) = text else { continue };
            let repo_path = self.repo_path(path);
            // Found holding exactly this text in the base's tree already (by blob id).
            if known_unchanged.contains(path) && entries.contains_key(&repo_path) {
                unchanged_paths.insert(repo_path);
                continue;
            }
            let same = entries.get(&repo_path).is_some_and(|(id, mode, kind)| {
                *kind == Some(ObjectType::Blob)
                    && matches!(mode, 0o100644 | 0o100755)
                    && Oid::hash_object(ObjectType::Blob, text.as_bytes()).ok() == Some(*id)
            });
            if same {
                unchanged_paths.insert(repo_path);
            } else {
                written.push(repo_path);
            }
        }
        let filters = Filters::of(self, base, &written)?;
        let mut out = TreePlan::default();
        for (path, new) in wanted {
            let repo_path = self.repo_path(path);
            if unchanged_paths.contains(&repo_path) {
                continue;
            }
            let old = entries.get(&repo_path).copied();
            let old_file = old.filter(|(_, mode, kind)| {
                *kind == Some(ObjectType::Blob) && matches!(mode, 0o100644 | 0o100755)
            });
            let new_blob = match new {
                Some(text) => Some(filters.blob_id(self, &repo_path, text.as_bytes(), false)?),
                None => None,
            };
            let unchanged = match (&old_file, new_blob) {
                (Some((old_id, _, _)), Some(new_id)) => *old_id == new_id,
                (None, None) => old.is_none(),
                _ => false,
            };
            if unchanged {
                continue;
            }
            let old_text = match old_file {
                Some((id, _, _)) => {
                    Some(String::from_utf8_lossy(self.repo.find_blob(id)?.content()).into_owned())
                }
                None => None,
            };
            let blob = match new {
                Some(text) => {
                    let id = filters.blob_id(self, &repo_path, text.as_bytes(), true)?;
                    let mode = match old_file {
                        Some((_, 0o100755, _)) => 0o100755,
                        _ => 0o100644,
                    };
                    Some((id, mode))
                }
                None => None,
            };
            out.blobs.insert(repo_path, blob);
            out.plan.changes.push(FileChange {
                path: path.clone(),
                old: old_text,
                new: new.clone(),
            });
        }
        Ok(out)
    }

    /// Makes the commit `base` + `changes` with `message`, after the pre-commit and commit-msg
    /// hooks agree, signed if `commit.gpgsign` says so. Moves no ref.
    pub fn build_commit(
        &self,
        base: Option<Oid>,
        changes: &TreePlan,
        message: &str,
        options: &CommitOptions,
    ) -> Result<Oid> {
        let tree = self.updated_tree(base, changes)?;

        let scratch = self.scratch_dir();
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("creating {}", scratch.display()))?;
        let message_file = scratch.join("COMMIT_EDITMSG");
        std::fs::write(&message_file, message)
            .with_context(|| format!("writing {}", message_file.display()))?;
        let index_file = scratch.join("index");
        let _ = std::fs::remove_file(&index_file);
        let hooks = self.has_commit_hooks(options);
        if hooks {
            // What `git diff --cached` shows a hook: the commit's tree. Written only for hooks:
            // at 100,000 guilds it is a million entries.
            let mut hook_index = Index::open(&index_file)?;
            hook_index.read_tree(&self.repo.find_tree(tree)?)?;
            hook_index.write()?;
        }

        // The hooks read the committed files from the work tree, as under `git commit`.
        let staged = if hooks {
            let files: Vec<(String, Option<String>)> = changes
                .plan
                .changes
                .iter()
                .map(|c| (c.path.clone(), c.new.clone()))
                .collect();
            Some(super::hook_stage::stage(
                &self.workdir,
                self.repo.path(),
                &files,
            )?)
        } else {
            None
        };
        let result = self.hooks_and_commit(tree, base, &message_file, &index_file, options);
        if let Some(staged) = staged {
            staged.restore()?;
        }
        let _ = std::fs::remove_file(&index_file);
        let _ = std::fs::remove_file(&message_file);
        result
    }

    /// The base commit's tree with `changes` made: only the trees on the changed paths are
    /// rewritten (a first commit is built from an empty index).
    fn updated_tree(&self, base: Option<Oid>, changes: &TreePlan) -> Result<Oid> {
        let Some(base) = base else {
            let mut index = Index::new()?;
            for (path, blob) in &changes.blobs {
                if let Some((id, mode)) = blob {
                    index.add(&index_entry(path, *id, *mode))?;
                }
            }
            return Ok(index.write_tree_to(&self.repo)?);
        };
        let baseline = self.repo.find_commit(base)?.tree()?;
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (path, blob) in &changes.blobs {
            match blob {
                Some((id, mode)) => {
                    let mode = match mode {
                        0o100755 => git2::FileMode::BlobExecutable,
                        0o120000 => git2::FileMode::Link,
                        _ => git2::FileMode::Blob,
                    };
                    update.upsert(path, *id, mode);
                }
                // A path the base does not have is already as wanted.
                None if baseline.get_path(Path::new(path)).is_ok() => {
                    update.remove(path);
                }
                None => {}
            }
        }
        Ok(update.create_updated(&self.repo, &baseline)?)
    }

    fn hooks_and_commit(
        &self,
        tree: Oid,
        base: Option<Oid>,
        message_file: &Path,
        index_file: &Path,
        options: &CommitOptions,
    ) -> Result<Oid> {
        if !options.no_verify {
            self.run_hook("pre-commit", &[], index_file)?;
        }
        let message_arg = message_file.to_string_lossy().into_owned();
        self.run_hook(
            "prepare-commit-msg",
            &[message_arg.as_str(), "message"],
            index_file,
        )?;
        if !options.no_verify {
            self.run_hook("commit-msg", &[message_arg.as_str()], index_file)?;
        }
        let message = std::fs::read_to_string(message_file)
            .with_context(|| format!("reading {}", message_file.display()))?;
        let message = message.trim_end().to_string() + "\n";

        let mut commit = git(&self.workdir);
        commit.arg("commit-tree").arg(tree.to_string());
        if let Some(base) = base {
            commit.arg("-p").arg(base.to_string());
        }
        let sign = self.config_bool("commit.gpgsign").unwrap_or(false);
        if sign {
            commit.arg("-S");
        }
        if let Some(author) = &options.author {
            let (name, email) = parse_author(author)?;
            commit
                .env("GIT_AUTHOR_NAME", name)
                .env("GIT_AUTHOR_EMAIL", email);
        }
        commit.env("GIT_INDEX_FILE", index_file);
        let ran = command::run(&mut commit, Some(message.as_bytes()))?;
        if !ran.success {
            let (what, hint) = if sign {
                (
                    "signing the commit failed (commit.gpgsign is on)",
                    "check user.signingkey and gpg.format (for ssh: the key file or ssh-agent; for openpgp: gpg --list-secret-keys); no commit was made",
                )
            } else {
                ("making the commit failed", "no commit was made")
            };
            return Err(Error::git(format!("{what}: {}", ran.message()), hint));
        }
        Ok(Oid::from_str(ran.stdout.trim())?)
    }

    /// Whether a commit hook that runs for this commit exists (`core.hooksPath` included).
    fn has_commit_hooks(&self, options: &CommitOptions) -> bool {
        let names: &[&str] = if options.no_verify {
            &["prepare-commit-msg"]
        } else {
            &["pre-commit", "prepare-commit-msg", "commit-msg"]
        };
        names.iter().any(|name| self.hook_exists(name))
    }

    /// Whether the client hook `name` exists and is executable (`core.hooksPath` included).
    pub fn hook_exists(&self, name: &str) -> bool {
        let dir = match self.config_string("core.hooksPath") {
            Some(path) => {
                let path = std::path::PathBuf::from(path);
                if path.is_absolute() {
                    path
                } else {
                    self.workdir.join(path)
                }
            }
            None => self.repo.path().join("hooks"),
        };
        std::fs::metadata(dir.join(name)).is_ok_and(|m| {
            m.is_file() && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
        })
    }

    /// Runs a client hook as git would (`core.hooksPath` included); a failing hook stops the
    /// command with its output.
    fn run_hook(&self, name: &str, args: &[&str], index_file: &Path) -> Result<()> {
        let mut hook = command::git_in_foreground(&self.workdir);
        hook.args(["hook", "run", "--ignore-missing", name]);
        if !args.is_empty() {
            hook.arg("--").args(args);
        }
        hook.env("GIT_INDEX_FILE", index_file)
            .env("GIT_EDITOR", ":");
        let ran = command::run(&mut hook, None)?;
        if ran.success {
            return Ok(());
        }
        let output = format!("{}{}", ran.stdout, ran.stderr);
        Err(Error::git(
            format!(
                "the {name} hook refused the commit; nothing was committed:\n{}",
                super::redact::redact(output.trim_end())
            ),
            "fix what the hook reports, or pass --no-verify to skip the commit hooks",
        ))
    }

    /// The post-commit hook, after the branch moved; like git, its failure changes nothing.
    pub fn run_post_commit(&self) {
        let _ = command::run(
            git(&self.workdir).args(["hook", "run", "--ignore-missing", "post-commit"]),
            None,
        );
    }
}

/// `Name <email>` as git's `--author` takes it.
pub fn parse_author(author: &str) -> Result<(String, String)> {
    let parsed = author.trim().strip_suffix('>').and_then(|rest| {
        let (name, email) = rest.rsplit_once('<')?;
        let (name, email) = (name.trim(), email.trim());
        (!name.is_empty() && email.contains('@') && !email.contains(['<', '>', '\n']))
            .then(|| (name.to_string(), email.to_string()))
    });
    parsed.ok_or_else(|| {
        Error::usage(
            format!("--author `{author}` is not `Name <email>`"),
            "write it like --author \"Deploy Bot <bot@example.com>\"",
        )
    })
}

fn index_entry(path: &str, id: Oid, mode: u32) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: 0,
        id,
        flags: u16::try_from(path.len()).unwrap_or(0xfff).min(0xfff),
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}
