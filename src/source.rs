//! Where a command reads the repo's inputs from: the working tree, or a commit.
//!
//! Reading commands (`validate`, `list`, `render`) look at the working tree. Mutating commands
//! that commit read the commit they build on (see [`crate::git::TreeSource`]), so that an
//! uncommitted edit to `tenantctl.yaml` or a template never leaks into someone else's overlay.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::error::Result;

/// What a directory entry is. Symbolic links are neither files nor directories here: they are
/// never followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    File,
    Dir,
    Other,
}

/// A read-only view of a config repo's files, by `/`-separated path relative to its root.
pub trait Source: Sync {
    /// The bytes of the regular file at `path`; `None` when there is none.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>>;

    /// The entries directly inside `dir`, sorted by name; empty when `dir` does not exist.
    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>>;

    /// Every regular file under `dir`, recursively, sorted.
    fn walk_files(&self, dir: &str) -> Result<Vec<String>> {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_string()];
        while let Some(current) = pending.pop() {
            for (name, kind) in self.list(&current)? {
                let path = format!("{current}/{name}");
                match kind {
                    EntryKind::File => files.push(path),
                    EntryKind::Dir => pending.push(path),
                    EntryKind::Other => {}
                }
            }
        }
        files.sort();
        Ok(files)
    }

    /// Whether `path` is a regular file.
    fn is_file(&self, path: &str) -> Result<bool> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        Ok(self
            .list(dir)?
            .iter()
            .any(|(n, kind)| n == name && *kind == EntryKind::File))
    }
}

/// The working tree at `root`.
#[derive(Debug, Clone)]
pub struct Disk {
    pub root: PathBuf,
}

impl Disk {
    pub fn new(root: &Path) -> Disk {
        Disk {
            root: root.to_path_buf(),
        }
    }

    fn full(&self, path: &str) -> PathBuf {
        if path.is_empty() {
            self.root.clone()
        } else {
            self.root.join(path)
        }
    }
}

impl Source for Disk {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match std::fs::read(self.full(path)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::Error::new(e)
                .context(format!("reading {path}"))
                .into()),
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let full = self.full(dir);
        let entries = match std::fs::read_dir(&full) {
            Ok(entries) => entries,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(Vec::new());
            }
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("listing {dir}/"))
                    .into());
            }
        };
        let mut listed = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("listing {dir}/"))?;
            let kind = match entry.file_type() {
                Ok(t) if t.is_file() => EntryKind::File,
                Ok(t) if t.is_dir() => EntryKind::Dir,
                _ => EntryKind::Other,
            };
            listed.push((entry.file_name().to_string_lossy().into_owned(), kind));
        }
        listed.sort();
        Ok(listed)
    }
}
