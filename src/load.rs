//! Finding a config repo and reading its files into a [`Snapshot`].
//!
//! A snapshot is the repo's user-written files (config and guild files) as bytes plus their parsed
//! form. Mutating commands apply their change to a snapshot in memory and validate the result
//! before anything touches the disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use rayon::prelude::*;

use crate::config::{CONFIG_FILE, Config};
use crate::error::{Error, Result};
use crate::model::tenant::TENANTS_DIR;
#[cfg(feature = "git")]
use crate::parse_memo::ParseMemo;
use crate::secret::{SECRETS_DIR, SOPS_CONFIG};
use crate::source::{Disk, EntryKind, Fetched, Refusal, Source};
use crate::validate::diagnostic::Diagnostic;
use crate::yaml::{self, Document, ParseError, Position};

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
    /// Known to hold no YAML 1.1 trap and no credential: this binary checked the same bytes
    /// before (see [`crate::parse_memo`]). Both checks are functions of the bytes alone.
    pub clean: bool,
}

impl SourceFile {
    pub fn parse(path: String, bytes: &[u8]) -> SourceFile {
        SourceFile {
            parsed: yaml::parse(bytes),
            text: String::from_utf8_lossy(bytes).into_owned(),
            path,
            clean: false,
        }
    }

    /// A file that was not read (too large, not a regular file): an E101 at its first line, as
    /// the parser reports a file over the limit.
    fn unread(path: String, refusal: &Refusal) -> SourceFile {
        SourceFile {
            parsed: Err(ParseError {
                position: Position { line: 1, column: 1 },
                message: refusal.message(),
                hint: Some(refusal.hint().to_string()),
                syntax: false,
            }),
            text: String::new(),
            path,
            clean: false,
        }
    }
}

/// The user-written files of a config repo, parsed.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub root: PathBuf,
    pub config: SourceFile,
    /// Guild files by path. Shared, so a snapshot with one file changed
    /// ([`Snapshot::with_changes`]) copies no other file.
    pub guilds: BTreeMap<String, Arc<SourceFile>>,
    /// Tenant files by path.
    pub tenants: BTreeMap<String, Arc<SourceFile>>,
    /// Directories under `kustomize/` that hold a `kustomization.yaml` (tier overlays and others).
    pub overlays: BTreeSet<String>,
    /// PodDisruptionBudgets written by hand into those overlays' YAML files (overlay name, file,
    /// line): tenantctl renders them per guild now, and kustomize refuses a second one.
    pub overlay_budgets: Vec<(String, String, usize)>,
    /// What stood where files were read and was not followed: a symbolic link as a guild or
    /// tenant file, as `guilds/`, `tenants/` or `kustomize/`, or directly inside `kustomize/`
    /// (E102). Validation reports them; they make the repo invalid, so nothing is written.
    pub problems: Vec<Diagnostic>,
    /// Secret files (`secrets/<owner>/*.yaml`: ciphertext or references) by path.
    pub secrets: BTreeMap<String, Arc<SourceFile>>,
    /// `.sops.yaml`, whose creation rules `secret set` encrypts with.
    pub sops_config: Option<String>,
    /// Folders of the working tree listed while it is read, for the command's other readers
    /// (see [`Disk::sharing`]); empty for a commit's snapshot and a changed one.
    pub listings: Arc<crate::source::Listings>,
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
        let listings = Arc::default();
        let mut snapshot = Snapshot::load_from(root, &Disk::sharing(root, &listings), progress)?;
        snapshot.listings = listings;
        Ok(snapshot)
    }

    /// Reads the user-written files from `source` (the working tree at `root`, or a commit).
    pub fn load_from(
        root: &Path,
        source: &dyn Source,
        progress: &(dyn Fn(Option<usize>) + Sync),
    ) -> Result<Snapshot> {
        let config = match source.fetch(CONFIG_FILE)? {
            Fetched::File(bytes) => SourceFile::parse(CONFIG_FILE.to_string(), &bytes),
            Fetched::Missing => {
                return Err(anyhow::anyhow!("reading {CONFIG_FILE}: there is none").into());
            }
            Fetched::Refused(refusal @ Refusal::Symlink { .. }) => {
                return Err(refusal.into_error());
            }
            Fetched::Refused(refusal) => SourceFile::unread(CONFIG_FILE.to_string(), &refusal),
        };
        let mut problems = Vec::new();
        let guild_paths = list_yaml_files(source, GUILDS_DIR, &mut problems)?;
        let tenant_paths = list_yaml_files(source, TENANTS_DIR, &mut problems)?;
        let mut secret_paths = Vec::new();
        let secret_dirs = match source.list(SECRETS_DIR) {
            Ok(entries) => entries,
            Err(Error::Invalid(found)) => {
                problems.extend(found);
                Vec::new()
            }
            Err(error) => return Err(error),
        };
        for (name, kind) in secret_dirs {
            let dir = format!("{SECRETS_DIR}/{name}");
            match kind {
                EntryKind::Dir => {
                    secret_paths.extend(list_yaml_files(source, &dir, &mut problems)?);
                }
                EntryKind::Symlink => problems.push(Refusal::Symlink { path: dir }.diagnostic()),
                _ => {}
            }
        }
        progress(Some(
            guild_paths.len() + tenant_paths.len() + secret_paths.len(),
        ));
        // Guild and tenant files parsed before by this binary are not parsed again.
        let memo = ParseMemo::open(root);
        type Read = std::result::Result<SourceFile, Diagnostic>;
        let read = |paths: Vec<String>, memo: Option<&ParseMemo>| -> Result<Vec<(String, Read)>> {
            paths
                .into_par_iter()
                .map(|path| {
                    let file = match source.fetch(&path)? {
                        Fetched::File(bytes) => Ok(match memo {
                            Some(memo) => memo.parse(path.clone(), &bytes),
                            None => SourceFile::parse(path.clone(), &bytes),
                        }),
                        Fetched::Missing => {
                            return Err(anyhow::anyhow!("reading {path}: it vanished").into());
                        }
                        Fetched::Refused(refusal @ Refusal::Symlink { .. }) => {
                            Err(refusal.diagnostic())
                        }
                        Fetched::Refused(refusal) => Ok(SourceFile::unread(path.clone(), &refusal)),
                    };
                    progress(None);
                    Ok((path, file))
                })
                .collect::<Result<Vec<_>>>()
        };
        let mut sorted = |files: Vec<(String, Read)>| -> BTreeMap<String, Arc<SourceFile>> {
            let mut map = BTreeMap::new();
            for (path, file) in files {
                match file {
                    Ok(file) => {
                        map.insert(path, Arc::new(file));
                    }
                    Err(problem) => problems.push(problem),
                }
            }
            map
        };
        let guilds = sorted(read(guild_paths, Some(&memo))?);
        let tenants = sorted(read(tenant_paths, Some(&memo))?);
        memo.save();
        let secrets = sorted(read(secret_paths, None)?);
        let sops_config = match source.fetch(SOPS_CONFIG)? {
            Fetched::File(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            _ => None,
        };
        let overlays = list_overlays(source, &mut problems)?;
        let overlay_budgets = overlay_budgets(source, &overlays, &mut problems)?;
        Ok(Snapshot {
            root: root.to_path_buf(),
            config,
            guilds,
            tenants,
            overlays,
            overlay_budgets,
            problems,
            secrets,
            sops_config,
            listings: Arc::default(),
        })
    }

    /// This snapshot with some guild, tenant or secret files written (`Some`) or removed (`None`).
    pub fn with_changes(&self, changes: &BTreeMap<String, Option<String>>) -> Snapshot {
        let mut next = self.clone();
        next.listings = Arc::default();
        for (path, text) in changes {
            let files = if path.starts_with(&format!("{TENANTS_DIR}/")) {
                &mut next.tenants
            } else if path.starts_with(&format!("{SECRETS_DIR}/")) {
                &mut next.secrets
            } else {
                &mut next.guilds
            };
            match text {
                Some(text) => {
                    files.insert(
                        path.clone(),
                        Arc::new(SourceFile::parse(path.clone(), text.as_bytes())),
                    );
                }
                None => {
                    files.remove(path);
                }
            }
        }
        next
    }

    /// The link (E102) that kept `path` from being read: the file itself, or a folder on the
    /// way to it. A command looking for that file says so instead of "does not exist".
    pub fn link_refusal(&self, path: &str) -> Option<&Diagnostic> {
        self.problems.iter().find(|problem| {
            let at = problem.file.to_string_lossy();
            problem.code == crate::validate::diagnostic::code::SYMLINK
                && (at == path || path.starts_with(&format!("{at}/")))
        })
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
        self.guilds
            .get(path)
            .or_else(|| self.tenants.get(path))
            .or_else(|| self.secrets.get(path))
            .map(|file| &**file)
    }
}

/// `tenantctl.yaml` of the repo at `root`, read leniently, without loading the other files.
pub fn read_config(root: &Path) -> Option<Config> {
    let bytes = Disk::new(root).read(CONFIG_FILE).ok()??;
    serde_json::from_value(yaml::parse(&bytes).ok()?.value).ok()
}

/// `<dir>/*.yaml` and `<dir>/*.yml`, sorted; other files (a README) are not tenant files. A
/// symbolic link among them, or as the folder itself, goes to `problems` (Argo CD would follow
/// it); a FIFO or device is listed, to be reported as unreadable.
fn list_yaml_files(
    source: &dyn Source,
    folder: &str,
    problems: &mut Vec<Diagnostic>,
) -> Result<Vec<String>> {
    let entries = match source.list(folder) {
        Ok(entries) => entries,
        Err(Error::Invalid(found)) => {
            problems.extend(found);
            return Ok(Vec::new());
        }
        Err(error) => return Err(error),
    };
    let mut paths = Vec::new();
    for (name, kind) in entries {
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) || name.starts_with('.') {
            continue;
        }
        let path = format!("{folder}/{name}");
        match kind {
            EntryKind::File | EntryKind::Other => paths.push(path),
            EntryKind::Symlink => problems.push(Refusal::Symlink { path }.diagnostic()),
            EntryKind::Dir => {}
        }
    }
    Ok(paths)
}

/// `kind: PodDisruptionBudget` lines in the YAML files of the hand-written overlays under
/// `kustomize/` (the tier overlays; not the generated guild, tenant and Argo CD folders).
fn overlay_budgets(
    source: &dyn Source,
    overlays: &BTreeSet<String>,
    problems: &mut Vec<Diagnostic>,
) -> Result<Vec<(String, String, usize)>> {
    let mut found = Vec::new();
    for overlay in overlays {
        if ["guilds", "tenants", "argocd", "crds"].contains(&overlay.as_str()) {
            continue;
        }
        for path in list_yaml_files(source, &format!("{KUSTOMIZE_DIR}/{overlay}"), problems)? {
            let Ok(Some(bytes)) = source.read(&path) else {
                continue; // unreadable: kustomize reports it; it is no guild file
            };
            for (i, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
                let value = line
                    .strip_prefix("kind:")
                    .map(|v| v.trim().trim_matches(['"', '\'']));
                if value == Some("PodDisruptionBudget") {
                    found.push((overlay.clone(), path.clone(), i + 1));
                }
            }
        }
    }
    Ok(found)
}

/// Names of the directories directly under `kustomize/` that are kustomizations. A symbolic
/// link there (or as `kustomize/` itself) goes to `problems`: kustomize would follow it.
fn list_overlays(source: &dyn Source, problems: &mut Vec<Diagnostic>) -> Result<BTreeSet<String>> {
    let mut overlays = BTreeSet::new();
    let entries = match source.list(KUSTOMIZE_DIR) {
        Ok(entries) => entries,
        Err(Error::Invalid(found)) => {
            problems.extend(found);
            return Ok(overlays);
        }
        Err(error) => return Err(error),
    };
    for (name, kind) in entries {
        match kind {
            EntryKind::Dir
                if source.is_file(&format!("{KUSTOMIZE_DIR}/{name}/kustomization.yaml"))? =>
            {
                overlays.insert(name);
            }
            EntryKind::Symlink => problems.push(
                Refusal::Symlink {
                    path: format!("{KUSTOMIZE_DIR}/{name}"),
                }
                .diagnostic(),
            ),
            _ => {}
        }
    }
    Ok(overlays)
}

/// Without git there is no place for a memo: every file is parsed.
#[cfg(not(feature = "git"))]
struct ParseMemo;

#[cfg(not(feature = "git"))]
impl ParseMemo {
    fn open(_root: &Path) -> ParseMemo {
        ParseMemo
    }

    fn parse(&self, path: String, bytes: &[u8]) -> SourceFile {
        SourceFile::parse(path, bytes)
    }

    fn save(self) {}
}
