//! What each guild's and tenant's overlay rendered to last time, so that `validate`,
//! `render`, `render --check`, `diff` and `status` render only the overlays whose inputs
//! changed. An entry maps the digest of everything an overlay is a function of (this binary,
//! the templates, the config, the guild's or tenant's model and its secret files) to the
//! git blob id of each file it rendered to. An overlay whose files on disk still have those
//! ids is current without rendering it; any other is rendered as before. Tenants' overlays
//! are tens of kilobytes each, so rendering them was most of a `validate` at 10,000 tenants.
//!
//! The memo lives in the git directory (`.git/tenantctl-render-memo`, never committed) and is
//! only ever a shortcut: a missing, stale or unreadable memo means rendering everything, and
//! an entry is written only for output that passed the checks every rendered file must pass.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::{ObjectType, Oid};

use crate::render::Templates;
use crate::secret::{Owner, OwnerKind};
use crate::validate::Model;

const FILE: &str = "tenantctl-render-memo";

/// What one overlay rendered to: (path, blob id) per file.
type Rendered = Vec<(String, Oid)>;

/// The overlays' digests and what they rendered to.
pub struct Memo {
    /// Where it is saved; `None` outside a git repository.
    file: Option<PathBuf>,
    /// The first line: format, the digest of what every overlay depends on, the repo prefix.
    header: String,
    global: Oid,
    known: HashMap<Oid, Rendered>,
    /// The entries this run used or made: what is saved (so it never outgrows the repo).
    used: Mutex<Vec<(Oid, Rendered)>>,
}

impl Memo {
    /// The memo of the config repo at `root` (in `git`'s directory; none without git), for
    /// `model` rendered with `templates`.
    pub fn open(
        root: &Path,
        git: Option<&crate::git::GitRepo>,
        model: &Model,
        templates: &Templates,
    ) -> Memo {
        let mut global = build_key().into_bytes();
        global.push(0);
        global.extend(serde_json::to_vec(&model.config).unwrap_or_default());
        global.push(0);
        global.extend_from_slice(templates.sources());
        let global = digest(&global);
        let file = git.map(|git| git.git_dir().join(FILE));
        let root_id = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let header = format!("tenantctl-render-memo 1 {global} {}", root_id.display());
        let known = file
            .as_ref()
            .and_then(|file| std::fs::read_to_string(file).ok())
            .map(|text| read_entries(&text, &header))
            .unwrap_or_default();
        Memo {
            file,
            header,
            global,
            known,
            used: Mutex::new(Vec::new()),
        }
    }

    /// The digest of everything `owner`'s overlay in `model` is rendered from.
    pub fn key(&self, model: &Model, owner: &Owner) -> Oid {
        let mut bytes =
            format!("{}\0{}\0{}\0", self.global, owner.kind.as_str(), owner.id).into_bytes();
        let entity = match owner.kind {
            OwnerKind::Guild => model.guilds.get(&owner.id).map(serde_json::to_vec),
            OwnerKind::Tenant => model.tenants.get(&owner.id).map(serde_json::to_vec),
        };
        bytes.extend(entity.and_then(Result::ok).unwrap_or_default());
        for secret in model.secrets.iter().filter(|s| &s.owner == owner) {
            for part in [secret.path.as_bytes(), &[0], secret.text.as_bytes(), &[0]] {
                bytes.extend_from_slice(part);
            }
        }
        digest(&bytes)
    }

    /// What the overlay with digest `key` rendered to last time: (path, blob id) per file.
    pub fn lookup(&self, key: &Oid) -> Option<&[(String, Oid)]> {
        self.known.get(key).map(Vec::as_slice)
    }

    /// Keeps `files` (path, blob id) as what the overlay with digest `key` renders to.
    pub fn remember(&self, key: Oid, files: Rendered) {
        self.used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((key, files));
    }

    /// Writes the entries this run used or made, replacing the file. Best effort: without it
    /// the next command renders more, with the same result.
    pub fn save(self) {
        let Some(file) = self.file else {
            return;
        };
        let mut used = self.used.into_inner().unwrap_or_else(|e| e.into_inner());
        used.sort();
        let unchanged = used.len() == self.known.len()
            && used
                .iter()
                .all(|(key, files)| self.known.get(key) == Some(files));
        if unchanged {
            return;
        }
        let mut text = format!("{}\n", self.header);
        for (key, files) in &used {
            for (path, id) in files {
                text += &format!("{key} {id} {path}\n");
            }
        }
        replace_cache(&file, &text);
    }
}

/// Writes a cache file in `.git` beside `file` and renames it over, best effort: a reader sees
/// the old cache or the new one, never a torn one. Not flushed: a cache lost in a crash only
/// costs the work it saved.
pub fn replace_cache(file: &Path, text: &str) {
    let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else {
        return;
    };
    let Ok(mut scratch) = tempfile::Builder::new()
        .prefix(&format!("{}.", name.to_string_lossy()))
        .tempfile_in(dir)
    else {
        return;
    };
    if scratch.write_all(text.as_bytes()).is_ok() {
        let _ = scratch.persist(file);
    }
}

/// The git blob id of `bytes`: what the memo records for each rendered file.
pub fn blob_id(bytes: &[u8]) -> Oid {
    Oid::hash_object(ObjectType::Blob, bytes).unwrap_or(Oid::ZERO_SHA1)
}

fn digest(bytes: &[u8]) -> Oid {
    blob_id(bytes)
}

/// The entries of a memo file written for `header`; none when it was written for anything else.
fn read_entries(text: &str, header: &str) -> HashMap<Oid, Rendered> {
    let mut lines = text.lines();
    if lines.next() != Some(header) {
        return HashMap::new();
    }
    let mut known: HashMap<Oid, Rendered> = HashMap::new();
    for line in lines {
        let mut parts = line.splitn(3, ' ');
        let (Some(key), Some(id), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return HashMap::new();
        };
        let (Ok(key), Ok(id)) = (Oid::from_str(key), Oid::from_str(id)) else {
            return HashMap::new();
        };
        known.entry(key).or_default().push((path.to_string(), id));
    }
    known
}

/// Which binary this is: version, the commit it was built from, and the executable's size and
/// modification time (a local rebuild from a changed work tree keeps the commit id).
pub fn build_key() -> String {
    use std::os::unix::fs::MetadataExt as _;
    let exe = std::env::current_exe().and_then(std::fs::metadata);
    let (size, seconds, nanos) = exe
        .map(|m| (m.size(), m.mtime(), m.mtime_nsec()))
        .unwrap_or_default();
    let key = format!(
        "{}-{}-{size}-{seconds}.{nanos}",
        env!("CARGO_PKG_VERSION"),
        env!("TENANTCTL_COMMIT"),
    );
    key.replace(' ', "_")
}
