//! Desired files against the disk: what would change, as a diff, and writing it atomically.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use similar::TextDiff;

use crate::error::Result;
use crate::render::{self, Files};
use crate::source::Source;

/// One file to create, change or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Relative to the repo root, with `/` separators.
    pub path: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl FileChange {
    /// `created`, `updated` or `deleted`.
    pub fn verb(&self) -> &'static str {
        match (&self.old, &self.new) {
            (None, _) => "created",
            (Some(_), Some(_)) => "updated",
            (Some(_), None) => "deleted",
        }
    }
}

/// Every file a command will change, in path order.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<FileChange>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn paths(&self) -> Vec<String> {
        self.changes.iter().map(|c| c.path.clone()).collect()
    }

    /// A unified diff of every change, `a/` and `b/` prefixed like git's.
    pub fn unified_diff(&self) -> String {
        let mut out = String::new();
        for change in &self.changes {
            let old = change.old.as_deref().unwrap_or("");
            let new = change.new.as_deref().unwrap_or("");
            let from = if change.old.is_some() {
                format!("a/{}", change.path)
            } else {
                "/dev/null".into()
            };
            let to = if change.new.is_some() {
                format!("b/{}", change.path)
            } else {
                "/dev/null".into()
            };
            let diff = TextDiff::from_lines(old, new);
            out += &diff
                .unified_diff()
                .context_radius(3)
                .header(&from, &to)
                .to_string();
        }
        out
    }
}

/// The changes that bring the disk to `wanted` (path -> new text, or `None` to remove).
pub fn plan(root: &Path, wanted: &BTreeMap<String, Option<String>>) -> Result<Plan> {
    let mut changes = Vec::new();
    for (path, new) in wanted {
        let old = read_if_exists(&root.join(path))?;
        if old != *new {
            changes.push(FileChange {
                path: path.clone(),
                old,
                new: new.clone(),
            });
        }
    }
    Ok(Plan { changes })
}

/// What `render` must do: write each desired generated file, remove generated files not desired.
/// `source` holds the generated files as they are now (the working tree, or a commit).
pub fn generated_changes(
    source: &dyn Source,
    desired: &Files,
) -> Result<BTreeMap<String, Option<String>>> {
    let mut wanted: BTreeMap<String, Option<String>> = desired
        .iter()
        .map(|(path, text)| (path.clone(), Some(text.clone())))
        .collect();
    for path in existing_generated(source)? {
        wanted.entry(path).or_insert(None);
    }
    Ok(wanted)
}

/// Generated files that exist now.
fn existing_generated(source: &dyn Source) -> Result<Vec<String>> {
    let mut paths = Vec::new();
    for dir in [
        render::GUILD_OVERLAYS_DIR,
        render::tenant::TENANT_OVERLAYS_DIR,
    ] {
        paths.extend(source.walk_files(dir)?);
    }
    for file in [
        render::APPLICATION_SET_PATH,
        render::TENANTS_APPLICATION_SET_PATH,
    ] {
        if source.is_file(file)? {
            paths.push(file.to_string());
        }
    }
    Ok(paths)
}

/// Writes the plan: each file atomically (temp file + rename). If one step fails, the steps
/// already done are undone, so the tree is never left half-changed.
pub fn apply(root: &Path, plan: &Plan) -> Result<()> {
    for (done, change) in plan.changes.iter().enumerate() {
        if let Err(error) = apply_one(root, &change.path, change.new.as_deref()) {
            for undo in plan.changes[..done].iter().rev() {
                let _ = apply_one(root, &undo.path, undo.old.as_deref());
            }
            return Err(error);
        }
    }
    Ok(())
}

fn apply_one(root: &Path, path: &str, text: Option<&str>) -> Result<()> {
    let target = root.join(path);
    match text {
        Some(text) => write_atomic(&target, text.as_bytes()),
        None => {
            match std::fs::remove_file(&target) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(anyhow::anyhow!("removing {path}: {e}").into()),
            }
            remove_empty_parents(root, &target);
            Ok(())
        }
    }
}

/// How tenantctl's temporary files start; one left by a killed process is removed by the next
/// command that holds the clone's lock.
pub const TEMP_PREFIX: &str = ".tenantctl-";

/// Writes `bytes` to `target` through a temporary file in the same directory and a rename.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<()> {
    let dir = target.parent().context("a file path has a parent")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    temp.write_all(bytes)
        .with_context(|| format!("writing {}", target.display()))?;
    temp.as_file()
        .sync_all()
        .with_context(|| format!("writing {}", target.display()))?;
    temp.persist(target)
        .map_err(|e| anyhow::anyhow!("writing {}: {}", target.display(), e.error))?;
    Ok(())
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == root || std::fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}

fn read_if_exists(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("reading {}: {e}", path.display()).into()),
    }
}

/// A relative path with `/` separators, as git and our maps use.
pub fn to_slash(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
