//! Finding a config repo and reading its files into a [`Snapshot`].
//!
//! A snapshot is the repo's user-written files (config and guild files) as bytes plus their parsed
//! form. Mutating commands apply their change to a snapshot in memory and validate the result
//! before anything touches the disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rayon::prelude::*;

use crate::config::{CONFIG_FILE, Config};
use crate::error::{Error, Result};
use crate::model::tenant::TENANTS_DIR;
use crate::source::{Disk, EntryKind, Source};
use crate::yaml::{self, Document, ParseError};

/// Where guild files live, relative to the repo root.
pub const GUILDS_DIR: &str = "guilds";
/// Where tier overlays (and the rendered guild overlays) live.
pub const KUSTOMIZE_DIR: &str = "kustomize";

/// Walks up from `start` to the first directory holding `tenantctl.yaml`.
pub fn find_root(start: &Path) -> Result<PathBuf> {
    let start = start
        .canonicalize()
        .with_context(|| format!("cannot open {}", start.display()))?;
    start
        .ancestors()
        .find(|dir| dir.join(CONFIG_FILE).is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            Error::usage(
                format!("no {CONFIG_FILE} in {} or any parent directory", start.display()),
                "run this inside a config repo, pass --repo DIR, or create one with `tenantctl init DIR`",
            )
        })
}

/// One user-written file: its text and what parsing made of it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repo root, with `/` separators.
    pub path: String,
    pub text: String,
    pub parsed: std::result::Result<Document, ParseError>,
}

impl SourceFile {
    pub fn parse(path: String, bytes: &[u8]) -> SourceFile {
        SourceFile {
            parsed: yaml::parse(bytes),
            text: String::from_utf8_lossy(bytes).into_owned(),
            path,
        }
    }
}

/// The user-written files of a config repo, parsed.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub root: PathBuf,
    pub config: SourceFile,
    /// Guild files by path.
    pub guilds: BTreeMap<String, SourceFile>,
    /// Tenant files by path.
    pub tenants: BTreeMap<String, SourceFile>,
    /// Directories under `kustomize/` that hold a `kustomization.yaml` (tier overlays and others).
    pub overlays: BTreeSet<String>,
}

impl Snapshot {
    /// Reads and parses every user-written file of the repo at `root`, in parallel.
    pub fn load(root: &Path) -> Result<Snapshot> {
        Snapshot::load_with_progress(root, &|_| {})
    }

    /// Like [`Snapshot::load`], telling `progress` the number of guild files first (`Some(n)`)
    /// and then once per file parsed (`None`), for a progress bar.
    pub fn load_with_progress(
        root: &Path,
        progress: &(dyn Fn(Option<usize>) + Sync),
    ) -> Result<Snapshot> {
        Snapshot::load_from(root, &Disk::new(root), progress)
    }

    /// Reads the user-written files from `source` (the working tree at `root`, or a commit).
    pub fn load_from(
        root: &Path,
        source: &dyn Source,
        progress: &(dyn Fn(Option<usize>) + Sync),
    ) -> Result<Snapshot> {
        let config_bytes = source
            .read(CONFIG_FILE)?
            .with_context(|| format!("reading {CONFIG_FILE}: there is none"))?;
        let guild_paths = list_yaml_files(source, GUILDS_DIR)?;
        let tenant_paths = list_yaml_files(source, TENANTS_DIR)?;
        progress(Some(guild_paths.len() + tenant_paths.len()));
        let read = |paths: Vec<String>| -> Result<BTreeMap<String, SourceFile>> {
            paths
                .into_par_iter()
                .map(|path| {
                    let bytes = source
                        .read(&path)?
                        .with_context(|| format!("reading {path}: it vanished"))?;
                    let file = SourceFile::parse(path.clone(), &bytes);
                    progress(None);
                    Ok((path, file))
                })
                .collect::<Result<BTreeMap<_, _>>>()
        };
        let guilds = read(guild_paths)?;
        let tenants = read(tenant_paths)?;
        Ok(Snapshot {
            root: root.to_path_buf(),
            config: SourceFile::parse(CONFIG_FILE.to_string(), &config_bytes),
            guilds,
            tenants,
            overlays: list_overlays(source)?,
        })
    }

    /// This snapshot with some guild or tenant files written (`Some`) or removed (`None`).
    pub fn with_changes(&self, changes: &BTreeMap<String, Option<String>>) -> Snapshot {
        let mut next = self.clone();
        for (path, text) in changes {
            let files = if path.starts_with(&format!("{TENANTS_DIR}/")) {
                &mut next.tenants
            } else {
                &mut next.guilds
            };
            match text {
                Some(text) => {
                    files.insert(
                        path.clone(),
                        SourceFile::parse(path.clone(), text.as_bytes()),
                    );
                }
                None => {
                    files.remove(path);
                }
            }
        }
        next
    }

    /// `tenantctl.yaml` as settings, read leniently: `None` when it does not parse or fit.
    /// Validation reports why; commands that only need a setting fall back to its default.
    pub fn parsed_config(&self) -> Option<Config> {
        let document = self.config.parsed.as_ref().ok()?;
        serde_json::from_value(document.value.clone()).ok()
    }

    /// The file at `path` among the config, guild and tenant files.
    pub fn file(&self, path: &str) -> Option<&SourceFile> {
        if path == self.config.path {
            return Some(&self.config);
        }
        self.guilds.get(path).or_else(|| self.tenants.get(path))
    }
}

/// `tenantctl.yaml` of the repo at `root`, read leniently, without loading the other files.
pub fn read_config(root: &Path) -> Option<Config> {
    let bytes = std::fs::read(root.join(CONFIG_FILE)).ok()?;
    serde_json::from_value(yaml::parse(&bytes).ok()?.value).ok()
}

/// `<dir>/*.yaml` and `<dir>/*.yml`, sorted; other files (a README) are not tenant files.
fn list_yaml_files(source: &dyn Source, folder: &str) -> Result<Vec<String>> {
    Ok(source
        .list(folder)?
        .into_iter()
        .filter(|(name, kind)| {
            *kind == EntryKind::File
                && (name.ends_with(".yaml") || name.ends_with(".yml"))
                && !name.starts_with('.')
        })
        .map(|(name, _)| format!("{folder}/{name}"))
        .collect())
}

/// Names of the directories directly under `kustomize/` that are kustomizations.
fn list_overlays(source: &dyn Source) -> Result<BTreeSet<String>> {
    let mut overlays = BTreeSet::new();
    for (name, kind) in source.list(KUSTOMIZE_DIR)? {
        if kind == EntryKind::Dir
            && source.is_file(&format!("{KUSTOMIZE_DIR}/{name}/kustomization.yaml"))?
        {
            overlays.insert(name);
        }
    }
    Ok(overlays)
}
