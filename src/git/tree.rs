//! A commit's tree as a [`Source`]: what a mutating command renders from, so that only committed
//! inputs (plus the command's own change) ever reach a commit.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use git2::{ObjectType, Oid, Repository};

use crate::error::Result;
use crate::source::{self, EntryKind, Fetched, MAX_READ_BYTES, Refusal, Source};

/// The config repo as a commit has it. Symbolic links (mode 120000) and submodules are neither
/// files nor directories, as in [`crate::source::Disk`]: a link where a file or folder is
/// expected is refused (E102), never read as absent, and a blob over the limit is refused from
/// its header, before its content is loaded.
pub struct TreeSource {
    inner: Mutex<Inner>,
    /// Handles that read blobs, one per thread at a time: a snapshot reads thousands of files
    /// in parallel, and one handle behind the lock made them take turns.
    readers: Mutex<Vec<Repository>>,
    git_dir: std::path::PathBuf,
    /// `None`: an empty tree (an unborn branch).
    tree: Option<Oid>,
    /// The config repo's place in the git work tree, empty or ending in `/`.
    prefix: String,
}

/// The repository and every tree read so far, parsed once: a render looks up thousands of
/// paths under the same few folders, and parsing `kustomize/guilds` (one entry per guild) for
/// each of them made a lookup cost as much as the whole repo.
struct Inner {
    repo: Repository,
    trees: HashMap<Oid, Arc<Entries>>,
}

/// A tree's entries by name: the object, its type and its file mode.
type Entries = HashMap<String, (Oid, Option<ObjectType>, i32)>;

impl Inner {
    fn entries(&mut self, tree: Oid) -> Result<Arc<Entries>> {
        if let Some(found) = self.trees.get(&tree) {
            return Ok(Arc::clone(found));
        }
        let parsed: Entries = self
            .repo
            .find_tree(tree)?
            .iter()
            .filter_map(|e| Some((e.name().ok()?.to_string(), (e.id(), e.kind(), e.filemode()))))
            .collect();
        let parsed = Arc::new(parsed);
        self.trees.insert(tree, Arc::clone(&parsed));
        Ok(parsed)
    }
}

impl TreeSource {
    pub(crate) fn new(git_dir: &Path, tree: Option<Oid>, prefix: &str) -> Result<TreeSource> {
        // Objects are read by their ID from our own repository, as git itself reads them: no
        // SHA-1 of every object again on each read (libgit2's default, most of a render's time).
        git2::opts::strict_hash_verification(false);
        Ok(TreeSource {
            inner: Mutex::new(Inner {
                repo: Repository::open(git_dir)?,
                trees: HashMap::new(),
            }),
            readers: Mutex::new(Vec::new()),
            git_dir: git_dir.to_path_buf(),
            tree,
            prefix: prefix.to_string(),
        })
    }

    /// `read` with a handle of its own, taken from the pool (or opened) and given back.
    fn with_reader<T>(&self, read: impl FnOnce(&Repository) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let repo = match pooled {
            Some(repo) => repo,
            None => Repository::open(&self.git_dir)?,
        };
        let result = read(&repo);
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(repo);
        result
    }

    /// What `path` is in the commit, found one part at a time so that a symbolic link on the
    /// way is seen, not skipped.
    fn locate(&self, inner: &mut Inner, path: &str) -> Result<Located> {
        let Some(tree) = self.tree else {
            return Ok(Located::Missing);
        };
        let parts = source::components(path)?;
        let prefix: Vec<&str> = self.prefix.split('/').filter(|p| !p.is_empty()).collect();
        let mut current = tree;
        let mut so_far = String::new();
        let all = prefix.len() + parts.len();
        for (index, name) in prefix.iter().chain(parts.iter()).enumerate() {
            if index >= prefix.len() {
                if !so_far.is_empty() {
                    so_far.push('/');
                }
                so_far.push_str(name);
            }
            let Some(&(id, kind, mode)) = inner.entries(current)?.get(*name) else {
                return Ok(Located::Missing);
            };
            if mode == 0o120000 {
                return Ok(Located::Refused(Refusal::Symlink { path: so_far }));
            }
            let last = index + 1 == all;
            match kind {
                Some(ObjectType::Tree) if last => return Ok(Located::Tree(id)),
                Some(ObjectType::Tree) => current = id,
                Some(ObjectType::Blob) if last && matches!(mode, 0o100644 | 0o100755) => {
                    return Ok(Located::Blob(id));
                }
                _ if last => return Ok(Located::Other),
                _ => return Ok(Located::Missing),
            }
        }
        Ok(Located::Tree(current))
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
        let located = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            self.locate(&mut inner, path)?
        };
        match located {
            Located::Missing => Ok(Fetched::Missing),
            Located::Refused(refusal) => Ok(Fetched::Refused(refusal)),
            Located::Tree(_) | Located::Other => Ok(Fetched::Refused(Refusal::NotRegular {
                path: path.to_string(),
            })),
            Located::Blob(id) => self.with_reader(|repo| {
                let odb = repo.odb()?;
                // The size from the object's header: a huge blob is never inflated.
                let (size, _) = odb.read_header(id)?;
                if size as u64 > MAX_READ_BYTES {
                    return Ok(Fetched::Refused(Refusal::TooLarge {
                        path: path.to_string(),
                        size: size as u64,
                        limit: MAX_READ_BYTES,
                    }));
                }
                Ok(Fetched::File(odb.read(id)?.data().to_vec()))
            }),
        }
    }

    fn holds(&self, path: &str, bytes: &[u8]) -> Result<Option<bool>> {
        self.holds_blob(path, &Oid::hash_object(ObjectType::Blob, bytes)?)
    }

    fn holds_blob(&self, path: &str, id: &Oid) -> Result<Option<bool>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        Ok(match self.locate(&mut inner, path)? {
            Located::Blob(found) => Some(found == *id),
            _ => None,
        })
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let tree = match self.locate(&mut inner, dir)? {
            Located::Tree(id) => inner.entries(id)?,
            Located::Refused(refusal) => return Err(refusal.into_error()),
            _ => return Ok(Vec::new()),
        };
        let mut listed: Vec<(String, EntryKind)> = tree
            .iter()
            .map(|(name, (_, kind, mode))| {
                let kind = match (kind, mode) {
                    (_, 0o120000) => EntryKind::Symlink,
                    (Some(ObjectType::Tree), _) => EntryKind::Dir,
                    (Some(ObjectType::Blob), 0o100644 | 0o100755) => EntryKind::File,
                    _ => EntryKind::Other,
                };
                (name.clone(), kind)
            })
            .collect();
        listed.sort();
        Ok(listed)
    }
}
