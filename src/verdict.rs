//! One verdict for `validate`, `list`, `status` and `apps`: every file against its schema and
//! the rules, plus what Argo CD would do with the files as they are (hand-edited ones
//! included). `list`'s `valid` is exactly "`validate` reports no error for this file".

use std::path::Path;

use crate::apps::{self, WorkTree};
use crate::error::Result;
use crate::load::Snapshot;
use crate::validate::diagnostic::{self, Diagnostic};
use crate::validate::{self, Model, Schemas};

/// Every finding about the user's files, and the model when the rules found no error.
#[derive(Debug)]
pub struct Verdict {
    /// Sorted by file and line, repeats removed.
    pub diagnostics: Vec<Diagnostic>,
    /// The validated configuration, when validation of the files themselves found no error
    /// (what rendering needs; Argo CD's findings do not stop a render that fixes them).
    pub model: Option<Model>,
}

impl Verdict {
    /// Errors reported for the file at `path` (repo-relative).
    pub fn errors_in(&self, path: &str) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.is_error() && d.file.to_string_lossy() == path)
            .count()
    }

    /// Whether `validate` reports no error for `path`, nor for tenantctl.yaml, which every
    /// file's checks (tiers, pools, clusters) are made against.
    pub fn is_valid(&self, path: &str) -> bool {
        self.errors_in(path) == 0 && self.errors_in(crate::config::CONFIG_FILE) == 0
    }
}

/// Validates `snapshot` (read from the work tree at `root`) and previews what Argo CD makes of
/// the same files.
pub fn check(root: &Path, snapshot: &Snapshot, schemas: &Schemas) -> Result<Verdict> {
    let report = validate::validate(snapshot, schemas);
    let mut diagnostics = report.diagnostics;
    let mut argo = argo_findings(root, snapshot)?;
    validate::attach_source_lines(snapshot, &mut argo);
    diagnostics.extend(argo);
    diagnostic::sort(&mut diagnostics);
    diagnostics.dedup_by(|a, b| (&a.file, a.code, &a.message) == (&b.file, b.code, &b.message));
    Ok(Verdict {
        diagnostics,
        model: report.model,
    })
}

/// What Argo CD would do with the work tree's files: the ApplicationSets' preview (duplicate
/// Applications, ones it would not create, files and templates it fails on) and the files it
/// cannot see at all (untracked or ignored: it reads what `git ls-files` lists).
pub fn argo_findings(root: &Path, snapshot: &Snapshot) -> Result<Vec<Diagnostic>> {
    let mut found = apps::preview_in(&WorkTree::with_snapshot(root, snapshot))?.problems;
    found.extend(unseen(root, snapshot));
    Ok(found)
}

/// Guild and tenant files `git ls-files` does not list (untracked or ignored): W104 each.
#[cfg(feature = "git")]
fn unseen(root: &Path, snapshot: &Snapshot) -> Vec<Diagnostic> {
    use crate::validate::diagnostic::code;
    use crate::yaml::Position;
    let Ok(git) = crate::git::GitRepo::open(root) else {
        return Vec::new();
    };
    let files = snapshot.guilds.keys().chain(snapshot.tenants.keys());
    git.unseen_by_argo(files.map(String::as_str))
        .unwrap_or_default()
        .into_iter()
        .map(|(path, why)| {
            Diagnostic::warning(
                &path,
                Position { line: 1, column: 1 },
                code::UNSEEN_BY_ARGO,
                format!("{why}: Argo CD does not see this file (it reads what git ls-files lists)"),
            )
            .with_hint(if why == "ignored" {
                "a .gitignore rule matches it: remove the rule, or the file"
            } else {
                "commit and push it (`git add`), or use tenantctl's commands, which do"
            })
        })
        .collect()
}

/// Without git support there is no index to ask.
#[cfg(not(feature = "git"))]
fn unseen(_root: &Path, _snapshot: &Snapshot) -> Vec<Diagnostic> {
    Vec::new()
}
