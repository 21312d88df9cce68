//! The work tree as the commit hooks expect it. `git commit` runs pre-commit, prepare-commit-msg
//! and commit-msg with the committed files in the work tree, and hooks read them there (linters,
//! lint-staged, pre-commit.com). tenantctl writes the work tree only after the push, so while
//! those hooks run it puts the commit's version of its paths in place, and then puts back what
//! was there: the work tree ends as it was, and the push moves it on as before.
//!
//! A command killed while the files are staged leaves a journal (`.git/tenantctl-hook-stage/`):
//! the next command that takes the clone's lock puts the old files back from it first, so the
//! clone is never left between states.

use anyhow::Context as _;
use std::path::{Path, PathBuf};

use git2::Oid;

use crate::error::Result;

/// The journal folder in the git directory.
fn journal_dir(git_dir: &Path) -> PathBuf {
    git_dir.join("tenantctl-hook-stage")
}

const MANIFEST: &str = "manifest";

/// One path staged for the hooks: what was there (if anything) and what was written.
struct Entry {
    path: String,
    /// The old file's bytes are in the journal as `old-<index>`; `None`: there was no file.
    old_mode: Option<u32>,
    /// The blob id of the bytes written, so only our own bytes are ever replaced.
    written: Option<Oid>,
}

/// The commit's files staged in the work tree; `restore` (or the next command) puts the old
/// ones back.
pub struct Staged {
    root: PathBuf,
    git_dir: PathBuf,
}

/// Puts `files` (path -> the commit's text, `None`: the commit removes it) into the work tree
/// under `root`, journalled in `git_dir`.
pub fn stage(root: &Path, git_dir: &Path, files: &[(String, Option<String>)]) -> Result<Staged> {
    let journal = journal_dir(git_dir);
    let _ = std::fs::remove_dir_all(&journal);
    std::fs::create_dir_all(&journal).with_context(|| format!("creating {}", journal.display()))?;
    let mut manifest = String::new();
    for (index, (path, new)) in files.iter().enumerate() {
        let target = root.join(path);
        let old_mode = match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_file() => {
                std::fs::copy(&target, journal.join(format!("old-{index}")))
                    .with_context(|| format!("keeping {path} while the hooks run"))?;
                Some(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()))
            }
            _ => None,
        };
        let written = new
            .as_ref()
            .map(|text| Oid::hash_object(git2::ObjectType::Blob, text.as_bytes()))
            .transpose()?;
        manifest += &format!(
            "{}\t{}\t{}\n",
            old_mode
                .map(|m| m.to_string())
                .unwrap_or_else(|| "-".into()),
            written.map(|w| w.to_string()).unwrap_or_else(|| "-".into()),
            path
        );
    }
    // The manifest is complete before the first file changes: a kill from here on is undone.
    crate::apply::write_atomic(
        git_dir,
        &format!("tenantctl-hook-stage/{MANIFEST}"),
        manifest.as_bytes(),
    )?;
    let staged = Staged {
        root: root.to_path_buf(),
        git_dir: git_dir.to_path_buf(),
    };
    for (path, new) in files {
        let written = match new {
            Some(text) => crate::apply::write_atomic(root, path, text.as_bytes()),
            None => match std::fs::remove_file(root.join(path)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(anyhow::Error::from(e)
                    .context(format!("removing {path}"))
                    .into()),
                _ => Ok(()),
            },
        };
        if let Err(error) = written {
            let _ = staged.restore();
            return Err(error);
        }
    }
    Ok(staged)
}

impl Staged {
    /// Puts the old files back and drops the journal. What a hook did to the staged files (a
    /// formatter rewriting one) goes too: it was not committed, and the branch's move would
    /// trip over it.
    pub fn restore(self) -> Result<()> {
        put_back(&self.root, &self.git_dir, true)
    }
}

/// Undoes a staging a killed command left, if its journal is in `git_dir`: each path holding the
/// bytes that were written gets its old file back (or goes, if it had none). A path changed
/// since (by hand, after the kill) is left as it is. Call while holding the clone's lock.
pub fn restore(root: &Path, git_dir: &Path) -> Result<()> {
    put_back(root, git_dir, false)
}

/// Puts back the files the journal names; `all`: also those changed since they were written.
fn put_back(root: &Path, git_dir: &Path, all: bool) -> Result<()> {
    let journal = journal_dir(git_dir);
    let manifest = match std::fs::read_to_string(journal.join(MANIFEST)) {
        Ok(manifest) => manifest,
        Err(_) => {
            // No manifest: nothing was changed yet (or all was put back already).
            let _ = std::fs::remove_dir_all(&journal);
            return Ok(());
        }
    };
    let entries: Vec<Entry> = manifest
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let old = fields.next()?;
            let written = fields.next()?;
            let path = fields.next()?.to_string();
            Some(Entry {
                path,
                old_mode: old.parse().ok(),
                written: Oid::from_str(written).ok(),
            })
        })
        .collect();
    for (index, entry) in entries.iter().enumerate() {
        let target = root.join(&entry.path);
        let now = std::fs::symlink_metadata(&target)
            .ok()
            .filter(|m| m.is_file())
            .and_then(|_| std::fs::read(&target).ok())
            .map(|bytes| Oid::hash_object(git2::ObjectType::Blob, &bytes))
            .transpose()?;
        if now != entry.written && !all {
            // Not what tenantctl wrote: someone else's bytes, kept.
            continue;
        }
        match entry.old_mode {
            Some(mode) => {
                let old = std::fs::read(journal.join(format!("old-{index}")))
                    .with_context(|| format!("reading the kept copy of {}", entry.path))?;
                crate::apply::write_atomic(root, &entry.path, &old)?;
                std::fs::set_permissions(
                    &target,
                    std::os::unix::fs::PermissionsExt::from_mode(mode),
                )
                .with_context(|| format!("restoring the mode of {}", entry.path))?;
            }
            None => {
                // Only a regular file: never a link or folder someone else put there.
                if std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()) {
                    std::fs::remove_file(&target)
                        .with_context(|| format!("removing {}", entry.path))?;
                    // And the folders made for it, once empty.
                    let mut folder = Path::new(&entry.path).parent();
                    while let Some(f) = folder.filter(|f| !f.as_os_str().is_empty()) {
                        if std::fs::remove_dir(root.join(f)).is_err() {
                            break;
                        }
                        folder = f.parent();
                    }
                }
            }
        }
    }
    std::fs::remove_file(journal.join(MANIFEST))
        .with_context(|| format!("removing {}", journal.join(MANIFEST).display()))?;
    let _ = std::fs::remove_dir_all(&journal);
    Ok(())
}
