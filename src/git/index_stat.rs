//! Which files the index vouches for, as `git status` decides it: a file whose lstat data
//! (times, inode, device, owner, size) are those the index recorded when it last read the
//! file holds the entry's blob, without reading it. An entry written no earlier than the
//! index file itself is "racily clean" (the file may have changed within the same tick) and
//! vouches for nothing, as in git. `validate` and `render --check` compare hundreds of
//! thousands of generated files with what the render memo says they hold; this spares
//! reading and hashing each one.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt as _;

use git2::Oid;

use super::GitRepo;

/// What an index entry recorded about its file, truncated to 32 bits as the index keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    mtime: (i32, u32),
    ctime: (i32, u32),
    dev: u32,
    ino: u32,
    uid: u32,
    gid: u32,
    size: u32,
}

/// The index entries of the config repo that may vouch for their files.
pub struct IndexStat {
    root: std::path::PathBuf,
    /// Config-repo-relative path -> (blob id, what the index recorded).
    entries: HashMap<String, (Oid, Stat)>,
}

impl GitRepo {
    /// The index's entries under `dirs` (config-repo-relative) that are not racily clean;
    /// `None` when there is no index to read.
    pub fn index_stat(&self, dirs: &[&str]) -> Option<IndexStat> {
        let index = self.repo.index().ok()?;
        let written = std::fs::metadata(self.repo.path().join("index")).ok()?;
        let written = (written.mtime(), written.mtime_nsec());
        let mut entries = HashMap::new();
        for entry in index.iter() {
            let Ok(path) = std::str::from_utf8(&entry.path) else {
                continue;
            };
            let Some(path) = path.strip_prefix(&self.prefix) else {
                continue;
            };
            if !dirs.iter().any(|d| path.starts_with(&format!("{d}/"))) {
                continue;
            }
            // A regular file (not a link, not a submodule), staged at stage 0.
            if entry.mode & 0o170000 != 0o100000 || (entry.flags >> 12) & 3 != 0 {
                continue;
            }
            let mtime = (entry.mtime.seconds(), entry.mtime.nanoseconds());
            let racy = (i64::from(mtime.0), i64::from(mtime.1)) >= written;
            if racy {
                continue;
            }
            let stat = Stat {
                mtime,
                ctime: (entry.ctime.seconds(), entry.ctime.nanoseconds()),
                dev: entry.dev,
                ino: entry.ino,
                uid: entry.uid,
                gid: entry.gid,
                size: entry.file_size,
            };
            entries.insert(path.to_string(), (entry.id, stat));
        }
        Some(IndexStat {
            root: self.workdir.join(&self.prefix),
            entries,
        })
    }
}

impl IndexStat {
    /// The blob the file at `path` (config-repo-relative) holds, when the index vouches for it.
    pub fn blob_of(&self, path: &str) -> Option<Oid> {
        let (id, recorded) = self.entries.get(path)?;
        let meta = std::fs::symlink_metadata(self.root.join(path)).ok()?;
        if !meta.file_type().is_file() {
            return None;
        }
        let now = Stat {
            mtime: (meta.mtime() as i32, meta.mtime_nsec() as u32),
            ctime: (meta.ctime() as i32, meta.ctime_nsec() as u32),
            dev: meta.dev() as u32,
            ino: meta.ino() as u32,
            uid: meta.uid(),
            gid: meta.gid(),
            size: meta.size() as u32,
        };
        (now == *recorded).then_some(*id)
    }
}
