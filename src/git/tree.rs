//! A commit's tree as a [`Source`]: what a mutating command renders from, so that only committed
//! inputs (plus the command's own change) ever reach a commit.

use std::path::Path;
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository};

use crate::error::Result;
use crate::source::{EntryKind, Source};

/// The config repo as a commit has it. Symbolic links and submodules are neither files nor
/// directories, as in [`crate::source::Disk`].
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

    fn full(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
            .trim_end_matches('/')
            .to_string()
    }
}

impl Source for TreeSource {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let Some(tree) = self.tree else {
            return Ok(None);
        };
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let tree = repo.find_tree(tree)?;
        let Ok(entry) = tree.get_path(Path::new(&self.full(path))) else {
            return Ok(None);
        };
        if entry.kind() != Some(ObjectType::Blob) || entry.filemode() == 0o120000 {
            return Ok(None);
        }
        Ok(Some(repo.find_blob(entry.id())?.content().to_vec()))
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let Some(tree) = self.tree else {
            return Ok(Vec::new());
        };
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let root = repo.find_tree(tree)?;
        let full = self.full(dir);
        let tree = if full.is_empty() {
            root
        } else {
            match root.get_path(Path::new(&full)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                    repo.find_tree(entry.id())?
                }
                _ => return Ok(Vec::new()),
            }
        };
        let mut listed: Vec<(String, EntryKind)> = tree
            .iter()
            .filter_map(|entry| {
                let name = entry.name().ok()?.to_string();
                let kind = match (entry.kind(), entry.filemode()) {
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
