//! A commit's tree as a [`Source`]: what a mutating command renders from, so that only committed
//! inputs (plus the command's own change) ever reach a commit.

use std::path::Path;
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository};

use crate::error::Result;
use crate::source::{self, EntryKind, Fetched, MAX_READ_BYTES, Refusal, Source};

/// The config repo as a commit has it. Symbolic links (mode 120000) and submodules are neither
/// files nor directories, as in [`crate::source::Disk`]: a link where a file or folder is
/// expected is refused (E102), never read as absent, and a blob over the limit is refused from
/// its header, before its content is loaded.
pub struct TreeSource {
    repo: Mutex<Repository>,
    /// `None`: an empty tree (an unborn branch).
    tree: Option<Oid>,
    /// The config repo's place in the git work tree, empty or ending in `/`.
    prefix: String,
}

impl TreeSource {
    pub(crate) fn new(git_dir: &Path, tree: Option<Oid>, prefix: &str) -> Result<TreeSource> {
        Ok(TreeSource {
            repo: Mutex::new(Repository::open(git_dir)?),
            tree,
            prefix: prefix.to_string(),
        })
    }

    /// What `path` is in the commit, found one part at a time so that a symbolic link on the
    /// way is seen, not skipped.
    fn locate(&self, repo: &Repository, path: &str) -> Result<Located> {
        let Some(tree) = self.tree else {
            return Ok(Located::Missing);
        };
        let parts = source::components(path)?;
        let prefix: Vec<&str> = self.prefix.split('/').filter(|p| !p.is_empty()).collect();
        let mut current = repo.find_tree(tree)?;
        let mut so_far = String::new();
        let all = prefix.len() + parts.len();
        for (index, name) in prefix.iter().chain(parts.iter()).enumerate() {
            if index >= prefix.len() {
                if !so_far.is_empty() {
                    so_far.push('/');
                }
                so_far.push_str(name);
            }
            let Some((id, kind, mode)) = current
                .get_name(name)
                .map(|e| (e.id(), e.kind(), e.filemode()))
            else {
                return Ok(Located::Missing);
            };
            if mode == 0o120000 {
                return Ok(Located::Refused(Refusal::Symlink { path: so_far }));
            }
            let last = index + 1 == all;
            match kind {
                Some(ObjectType::Tree) if last => return Ok(Located::Tree(id)),
                Some(ObjectType::Tree) => current = repo.find_tree(id)?,
                Some(ObjectType::Blob) if last && matches!(mode, 0o100644 | 0o100755) => {
                    return Ok(Located::Blob(id));
                }
                _ if last => return Ok(Located::Other),
                _ => return Ok(Located::Missing),
            }
        }
        Ok(Located::Tree(current.id()))
    }
}

/// What a path is in a commit.
enum Located {
    Missing,
    Tree(Oid),
    /// A regular file (mode 100644 or 100755).
    Blob(Oid),
    /// A submodule, or an object that is not where a file or folder can be.
    Other,
    Refused(Refusal),
}

impl Source for TreeSource {
    fn fetch(&self, path: &str) -> Result<Fetched> {
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        match self.locate(&repo, path)? {
            Located::Missing => Ok(Fetched::Missing),
            Located::Refused(refusal) => Ok(Fetched::Refused(refusal)),
            Located::Tree(_) | Located::Other => Ok(Fetched::Refused(Refusal::NotRegular {
                path: path.to_string(),
            })),
            Located::Blob(id) => {
                // The size from the object's header: a huge blob is never inflated.
                let (size, _) = repo.odb()?.read_header(id)?;
                if size as u64 > MAX_READ_BYTES {
                    return Ok(Fetched::Refused(Refusal::TooLarge {
                        path: path.to_string(),
                        size: size as u64,
                    }));
                }
                Ok(Fetched::File(repo.find_blob(id)?.content().to_vec()))
            }
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let tree = match self.locate(&repo, dir)? {
            Located::Tree(id) => repo.find_tree(id)?,
            Located::Refused(refusal) => return Err(refusal.into_error()),
            _ => return Ok(Vec::new()),
        };
        let mut listed: Vec<(String, EntryKind)> = tree
            .iter()
            .filter_map(|entry| {
                let name = entry.name().ok()?.to_string();
                let kind = match (entry.kind(), entry.filemode()) {
                    (_, 0o120000) => EntryKind::Symlink,
                    (Some(ObjectType::Tree), _) => EntryKind::Dir,
                    (Some(ObjectType::Blob), 0o100644 | 0o100755) => EntryKind::File,
                    _ => EntryKind::Other,
                };
                Some((name, kind))
            })
            .collect();
        listed.sort();
        Ok(listed)
    }
}
