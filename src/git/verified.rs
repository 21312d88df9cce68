//! Commits whose files tenantctl itself found valid and whose generated files it made current:
//! the trees of the commits its operations built. On such a base, an operation renders only
//! the overlays its change touches (plus the files about the whole repo), and takes the
//! unchanged guild and tenant files as passing their own checks: every other overlay is
//! already what the inputs render to, and every other file passed, because this binary
//! checked and rendered them. A tree is recorded only when nothing in its generated
//! folders was left as it was (no file tenantctl did not write), so the smaller render plans
//! exactly the writes the whole render would.
//!
//! The record is local (`.git/tenantctl-verified-trees`, never pushed) and says which binary
//! made it: a rebuilt or upgraded tenantctl, whose templates may render other bytes, trusts none
//! of an older binary's trees. A record that cannot be read counts as empty.

use std::io::Write as _;

use git2::Oid;

use super::GitRepo;

/// How many trees the record keeps (the newest); one per commit an operation made.
const KEPT: usize = 64;

/// Beside `.git/tenantctl/`, which every writing command empties when it takes the lock.
const FILE: &str = "tenantctl-verified-trees";

impl GitRepo {
    /// Whether this binary made the generated files of `commit`'s tree (for the config repo at
    /// this prefix) current.
    pub fn is_verified(&self, commit: Option<Oid>) -> bool {
        let Some(line) = commit.and_then(|c| self.verified_line(c)) else {
            return false;
        };
        std::fs::read_to_string(self.git_dir().join(FILE))
            .is_ok_and(|text| text.lines().any(|l| l == line))
    }

    /// Records that `commit`'s generated files are current. Best effort: without the record
    /// the next operation renders everything, which is slower and gives the same result.
    pub fn record_verified(&self, commit: Oid) {
        let Some(line) = self.verified_line(commit) else {
            return;
        };
        let path = self.git_dir().join(FILE);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let mut lines: Vec<&str> = old.lines().filter(|l| *l != line).collect();
        lines.push(&line);
        let start = lines.len().saturating_sub(KEPT);
        let text: String = lines[start..].iter().map(|l| format!("{l}\n")).collect();
        // Written beside and renamed over: a reader sees the old record or the new one.
        let _ = std::fs::create_dir_all(self.scratch_dir());
        let Ok(mut file) = tempfile::NamedTempFile::new_in(self.scratch_dir()) else {
            return;
        };
        if file.write_all(text.as_bytes()).is_ok() {
            let _ = file.persist(&path);
        }
    }

    fn verified_line(&self, commit: Oid) -> Option<String> {
        let tree = self.repo.find_commit(commit).ok()?.tree_id();
        Some(format!(
            "{} {tree} {}",
            crate::render::memo::build_key(),
            self.prefix
        ))
    }
}
