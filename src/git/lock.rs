//! One tenantctl at a time per clone: an advisory lock on `.git/tenantctl.lock`.
//!
//! The kernel drops the lock when its holder dies, SIGKILL included, so a lock "left behind" by
//! a killed process is free for the next command without anyone removing a file. The file also
//! says who holds it (pid, command, since when), for the message of whoever waits.

use anyhow::Context as _;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Held for as long as it lives.
#[derive(Debug)]
pub struct CloneLock {
    _file: File,
    pub path: PathBuf,
}

/// The lock's place in a git directory.
pub fn lock_path(git_dir: &Path) -> PathBuf {
    git_dir.join("tenantctl.lock")
}

/// Takes the clone's lock, waiting up to `wait` for another tenantctl to finish.
pub fn acquire(git_dir: &Path, what: &str, wait: Duration) -> Result<CloneLock> {
    let path = lock_path(git_dir);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {
                if started.elapsed() >= wait {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    return Err(Error::git(
                        format!(
                            "another tenantctl is working in this clone ({}); waited {} s",
                            if holder.is_empty() {
                                "holder unknown"
                            } else {
                                holder
                            },
                            wait.as_secs()
                        ),
                        "let it finish and run the command again (git.lockTimeoutSeconds in tenantctl.yaml sets how long to wait)",
                    ));
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(250));
            }
            Err(TryLockError::Error(e)) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("locking {}", path.display()))
                    .into());
            }
        }
    }
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(
        file,
        "pid {} running `tenantctl {what}` since unix time {since}",
        std::process::id()
    );
    let _ = file.flush();
    Ok(CloneLock { _file: file, path })
}
