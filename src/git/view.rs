//! A commit as Argo CD's repo server sees it, for `apps`: the files `git ls-files` lists, matched
//! with git's pathspec globs (where `*` also matches `/`), symbolic links inside the repository
//! followed, and nothing that is not committed.

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::apps::RepoView;
use crate::error::Result;

/// The config repo in one commit.
pub struct CommitView {
    repo: Repository,
    tree: Oid,
    prefix: String,
    label: String,
    /// Every committed file, read in one walk of the tree on first use: matching each pattern
    /// and reading each file by walking from the root again made `apps` grow with the square of
    /// the repo (34 s at 10,000 guilds).
    index: std::sync::OnceLock<Index>,
}

/// The commit's files: their paths relative to the config repo, sorted, and each one's blob
/// and file mode.
struct Index {
    paths: Vec<String>,
    blobs: std::collections::HashMap<String, (Oid, i32)>,
}

/// A revision as an Argo CD git generator names it (`argocd.targetRevision`), resolved in this
/// clone: the reference it was found as and its commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub reference: String,
    pub commit: Oid,
}

impl super::GitRepo {
    /// The config repo as commit `rev` has it (`HEAD` for what the branch holds).
    pub fn commit_view(&self, rev: &str) -> Result<CommitView> {
        let commit = self.repo.revparse_single(rev)?.peel_to_commit()?;
        let short = commit.id().to_string()[..7].to_string();
        let branch = self.branch().unwrap_or_else(|_| "detached".into());
        self.view_of(
            commit.id(),
            format!(
                "{rev} ({short}, {branch}): what Argo CD reads once it is pushed; `--worktree` previews uncommitted files"
            ),
        )
    }

    /// Where revision `rev` of a git generator (`argocd.targetRevision`) points in this clone, in
    /// the order tenantctl looks: `HEAD` is HEAD; otherwise the local branch `refs/heads/<rev>`,
    /// then `refs/remotes/<remote>/<rev>`, then the tag `refs/tags/<rev>`, then a commit id.
    /// `None` when none of them exists here.
    pub fn resolve_revision(&self, rev: &str, remote: &str) -> Result<Option<Resolved>> {
        let found = |reference: &str| -> Option<Resolved> {
            let commit = self
                .repo
                .find_reference(reference)
                .ok()?
                .peel_to_commit()
                .ok()?;
            Some(Resolved {
                reference: reference.to_string(),
                commit: commit.id(),
            })
        };
        if rev == "HEAD" {
            return Ok(found("HEAD"));
        }
        for reference in [
            format!("refs/heads/{rev}"),
            format!("refs/remotes/{remote}/{rev}"),
            format!("refs/tags/{rev}"),
        ] {
            if let Some(resolved) = found(&reference) {
                return Ok(Some(resolved));
            }
        }
        // A commit id, full or abbreviated (at least 7 hex digits, as git prints them).
        if (7..=40).contains(&rev.len()) && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            let commit = self
                .repo
                .revparse_single(rev)
                .ok()
                .and_then(|object| object.peel_to_commit().ok());
            if let Some(commit) = commit {
                return Ok(Some(Resolved {
                    reference: "a commit id".to_string(),
                    commit: commit.id(),
                }));
            }
        }
        Ok(None)
    }

    /// The config repo as commit `commit` has it, said as `label`.
    pub fn view_of(&self, commit: Oid, label: String) -> Result<CommitView> {
        let commit = self.repo.find_commit(commit)?;
        Ok(CommitView {
            repo: Repository::open(self.repo.path())?,
            tree: commit.tree_id(),
            prefix: self.prefix.clone(),
            label,
            index: std::sync::OnceLock::new(),
        })
    }
}

impl CommitView {
    /// Every committed path under the config repo (files and symbolic links), relative to it.
    fn paths(&self) -> Result<&[String]> {
        Ok(&self.index()?.paths)
    }

    fn index(&self) -> Result<&Index> {
        if let Some(index) = self.index.get() {
            return Ok(index);
        }
        let tree = self.repo.find_tree(self.tree)?;
        let mut paths = Vec::new();
        let mut blobs = std::collections::HashMap::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob)
                && let Ok(name) = entry.name()
            {
                let full = format!("{dir}{name}");
                if let Some(relative) = full.strip_prefix(&self.prefix) {
                    paths.push(relative.to_string());
                    blobs.insert(relative.to_string(), (entry.id(), entry.filemode()));
                }
            }
            TreeWalkResult::Ok
        })?;
        paths.sort();
        Ok(self.index.get_or_init(|| Index { paths, blobs }))
    }
    /// The blob at `path`, following symbolic links that stay inside the repository (Argo CD
    /// refuses ones that leave it: those read as absent).
    fn read_following(&self, path: &str, hops: usize) -> Result<Option<Vec<u8>>> {
        let Some(&(id, mode)) = self.index()?.blobs.get(path) else {
            return Ok(None);
        };
        let blob = self.repo.find_blob(id)?;
        if mode != 0o120000 {
            return Ok(Some(blob.content().to_vec()));
        }
        if hops == 0 {
            return Ok(None);
        }
        let target = String::from_utf8_lossy(blob.content()).into_owned();
        let base = path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
        match crate::apps::resolve_link(base, &target) {
            Some(resolved) => self.read_following(&resolved, hops - 1),
            None => Ok(None),
        }
    }
}

impl RepoView for CommitView {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn matching(&self, pattern: &str) -> Result<Vec<String>> {
        let glob = crate::apps::pathspec(pattern)?;
        // Only the sorted range sharing the pattern's literal start can match.
        let literal = &pattern[..pattern.find(['*', '?', '[', '\\']).unwrap_or(pattern.len())];
        let paths = self.paths()?;
        let start = paths.partition_point(|p| p.as_str() < literal);
        Ok(paths[start..]
            .iter()
            .take_while(|p| p.starts_with(literal))
            .filter(|p| glob.is_match(p.as_str()))
            .cloned()
            .collect())
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        self.read_following(path, 8)
    }

    fn link_target(&self, path: &str) -> Result<Option<String>> {
        let Some(&(id, mode)) = self.index()?.blobs.get(path) else {
            return Ok(None);
        };
        if mode != 0o120000 {
            return Ok(None);
        }
        let target = String::from_utf8_lossy(self.repo.find_blob(id)?.content()).into_owned();
        let base = path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
        Ok(crate::apps::resolve_link(base, &target))
    }

    fn yaml_files_in(&self, dir: &str) -> Result<Vec<String>> {
        let prefix = format!("{dir}/");
        Ok(self
            .paths()?
            .iter()
            .filter(|p| {
                p.strip_prefix(&prefix).is_some_and(|rest| {
                    !rest.contains('/') && (rest.ends_with(".yaml") || rest.ends_with(".yml"))
                })
            })
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::apps::resolve_link as resolve;

    #[test]
    fn links_resolve_inside_the_repository_only() {
        assert_eq!(
            resolve("guilds", "../archive/g.yaml").as_deref(),
            Some("archive/g.yaml")
        );
        assert_eq!(
            resolve("guilds", "g.yaml").as_deref(),
            Some("guilds/g.yaml")
        );
        assert_eq!(resolve("guilds", "../../etc/passwd"), None);
        assert_eq!(resolve("guilds", "/etc/passwd"), None);
    }
}
