//! Where a command reads the repo's inputs from: the working tree, or a commit.
//!
//! Reading commands (`validate`, `list`, `render`) look at the working tree. Mutating commands
//! that commit read the commit they build on (see [`crate::git::TreeSource`]), so that an
//! uncommitted edit to `tenantctl.yaml` or a template never leaks into someone else's overlay.
//!
//! **The boundary.** No read follows a symbolic link below the repo root, in the work tree or
//! in a commit (mode 120000): a link where a file or folder is expected is refused with E102,
//! because Argo CD and kustomize would follow it, maybe out of the repository. Every read is
//! bounded before it happens: the size is checked on the open handle and at most
//! [`MAX_READ_BYTES`] + 1 bytes are read; FIFOs, devices and sockets are never read.

use anyhow::Context as _;
use std::collections::HashMap;
use std::io::Read as _;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::error::{Error, Result};
use crate::validate::diagnostic::{Diagnostic, code};
use crate::yaml::Position;

/// The most tenantctl reads of any one file in the repo: guild, tenant and config files (the
/// limit their parser has always had), templates, schemas and generated files alike.
pub const MAX_READ_BYTES: u64 = crate::yaml::MAX_FILE_BYTES as u64;

/// What a directory entry is. Symbolic links are neither files nor directories here: they are
/// never followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    File,
    Dir,
    /// A symbolic link (mode 120000 in a commit).
    Symlink,
    /// A FIFO, socket, device, or a submodule in a commit.
    Other,
}

/// Why tenantctl does not read something that is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `path` (the file itself, or a folder on the way to it) is a symbolic link.
    Symlink { path: String },
    /// `path` is a FIFO, socket, device or folder where a file is expected.
    NotRegular { path: String },
    /// `path` is over `limit` bytes ([`MAX_READ_BYTES`] for the repo's files).
    TooLarge { path: String, size: u64, limit: u64 },
}

impl Refusal {
    /// The path the refusal is about (for a link on the way, the link).
    pub fn path(&self) -> &str {
        match self {
            Refusal::Symlink { path }
            | Refusal::NotRegular { path }
            | Refusal::TooLarge { path, .. } => path,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Symlink { .. } => {
                "a symbolic link where tenantctl reads or writes: it is not followed".to_string()
            }
            Refusal::NotRegular { .. } => {
                "not a regular file (a FIFO, socket, device or folder): it is not read".to_string()
            }
            Refusal::TooLarge { size, limit, .. } => {
                format!("file is {size} bytes, over the limit of {limit} bytes")
            }
        }
    }

    pub fn hint(&self) -> &'static str {
        match self {
            Refusal::Symlink { .. } => {
                "replace the link with the file or folder itself: Argo CD and kustomize would follow it, maybe out of the repository"
            }
            Refusal::NotRegular { .. } => "replace it with a regular file",
            Refusal::TooLarge { path, .. }
                if path.starts_with("guilds/") || path.starts_with("tenants/") =>
            {
                "a tenant file holds a few settings; split or shorten it"
            }
            Refusal::TooLarge { .. } => "no file tenantctl reads or writes is this large",
        }
    }

    /// E102 for a link, E101 (unreadable) otherwise, at the path's first line.
    pub fn diagnostic(&self) -> Diagnostic {
        let code = match self {
            Refusal::Symlink { .. } => code::SYMLINK,
            _ => code::UNREADABLE,
        };
        Diagnostic::error(
            self.path(),
            Position { line: 1, column: 1 },
            code,
            self.message(),
        )
        .with_hint(self.hint())
    }

    /// The refusal as an error: its diagnostic, exit code 1.
    pub fn into_error(self) -> Error {
        Error::Invalid(vec![self.diagnostic()])
    }
}

/// What is at a path where a file is expected.
#[derive(Debug)]
pub enum Fetched {
    Missing,
    /// A regular file's bytes, at most [`MAX_READ_BYTES`] of them.
    File(Vec<u8>),
    Refused(Refusal),
}

/// A read-only view of a config repo's files, by `/`-separated path relative to its root.
pub trait Source: Sync {
    /// The regular file at `path`, read up to [`MAX_READ_BYTES`], or why it is not read: a
    /// symbolic link at `path` or on the way to it, not a regular file, too large.
    fn fetch(&self, path: &str) -> Result<Fetched>;

    /// The bytes of the regular file at `path`; `None` when there is none. A refused file (see
    /// [`Source::fetch`]) is an error carrying its E101 or E102 diagnostic.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match self.fetch(path)? {
            Fetched::Missing => Ok(None),
            Fetched::File(bytes) => Ok(Some(bytes)),
            Fetched::Refused(refusal) => Err(refusal.into_error()),
        }
    }

    /// Whether the regular file at `path` holds exactly `bytes`, when that can be told without
    /// reading it (`None` otherwise, the default): a commit answers from the blob's id alone.
    fn holds(&self, _path: &str, _bytes: &[u8]) -> Result<Option<bool>> {
        Ok(None)
    }

    /// Whether the regular file at `path` is the blob `id`, when that can be told without
    /// reading it ([`Source::holds`] by the id alone).
    #[cfg(feature = "git")]
    fn holds_blob(&self, _path: &str, _id: &git2::Oid) -> Result<Option<bool>> {
        Ok(None)
    }

    /// The entries directly inside `dir`, sorted by name; empty when `dir` does not exist. An
    /// error (E102) when `dir` or a folder on the way to it is a symbolic link.
    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>>;

    /// Every regular file under `dir`, recursively, sorted. A symbolic link inside is an error.
    fn walk_files(&self, dir: &str) -> Result<Vec<String>> {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_string()];
        while let Some(current) = pending.pop() {
            for (name, kind) in self.list(&current)? {
                let path = format!("{current}/{name}");
                match kind {
                    EntryKind::File => files.push(path),
                    EntryKind::Dir => pending.push(path),
                    EntryKind::Symlink => return Err(Refusal::Symlink { path }.into_error()),
                    EntryKind::Other => {}
                }
            }
        }
        files.sort();
        Ok(files)
    }

    /// Whether `path` is a regular file.
    fn is_file(&self, path: &str) -> Result<bool> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        Ok(self
            .list(dir)?
            .iter()
            .any(|(n, kind)| n == name && *kind == EntryKind::File))
    }
}

/// The parts of a repo-relative path; refuses one that could leave its folder (`..`, `.`, an
/// empty part, an absolute path), so no path built from an ID or a file name ever does.
pub fn components(path: &str) -> Result<Vec<&str>> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = path.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\0'))
    {
        return Err(anyhow::anyhow!(
            "`{path}` is not a plain path inside the repository: tenantctl refuses it"
        )
        .into());
    }
    Ok(parts)
}

/// Folder listings of the working tree already read, by folder, for the readers of one
/// read-only command that list the same folders: `validate`'s Argo CD preview and its drift
/// check each list every tenant's overlay (100,000 folders at 100,000 tenants).
#[derive(Debug, Default)]
pub struct Listings(std::sync::Mutex<HashMap<String, Listing>>);

/// A folder's entries, sorted by name.
pub type Listing = Arc<Vec<(String, EntryKind)>>;

/// The working tree at `root`. Read-only and short-lived: folders it opened are kept for the
/// next read (a pool of [`DirCache`]s, one per reading thread at a time), so that reading every
/// generated file does not open every folder above it again.
pub struct Disk {
    pub root: PathBuf,
    folders: std::sync::Mutex<Vec<DirCache>>,
    listings: Option<Arc<Listings>>,
}

impl Disk {
    pub fn new(root: &Path) -> Disk {
        Disk {
            root: root.to_path_buf(),
            folders: std::sync::Mutex::new(Vec::new()),
            listings: None,
        }
    }

    /// The working tree at `root`, each folder listed once with every other reader of
    /// `listings`: for reads that nothing writes between.
    pub fn sharing(root: &Path, listings: &Arc<Listings>) -> Disk {
        Disk {
            listings: Some(Arc::clone(listings)),
            ..Disk::new(root)
        }
    }

    /// The entries of folder `dir`, as [`Source::list`] gives them; from the shared listings
    /// when another reader listed it already.
    pub fn listed(&self, dir: &str) -> Result<Listing> {
        let Some(listings) = &self.listings else {
            return Ok(Arc::new(self.list_dir(dir)?));
        };
        if let Some(found) = listings
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(dir)
        {
            return Ok(Arc::clone(found));
        }
        let listed = Arc::new(self.list_dir(dir)?);
        listings
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(dir.to_string(), Arc::clone(&listed));
        Ok(listed)
    }

    /// A cache of open folders for one read, returned with [`Disk::give_back`].
    fn take(&self) -> DirCache {
        self.folders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_else(|| DirCache::new(&self.root))
    }

    fn give_back(&self, cache: DirCache) {
        self.folders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(cache);
    }

    fn fetch_in(&self, folders: &mut DirCache, path: &str, limit: u64) -> Result<Fetched> {
        let parts = components(path)?;
        let Some((name, dirs)) = parts.split_last() else {
            return Ok(Fetched::Refused(Refusal::NotRegular {
                path: String::new(),
            }));
        };
        let dir = match folders.open(dirs, false)? {
            Ok(dir) => dir,
            Err(Opened::Missing | Opened::NotDir(_) | Opened::Dirs(_)) => {
                return Ok(Fetched::Missing);
            }
            Err(Opened::Refused(refusal)) => return Ok(Fetched::Refused(refusal)),
        };
        Disk::read_file_in(dir, name, path, limit)
    }

    /// Like [`Source::fetch`] with another size limit: for the few files tenantctl reads that
    /// may be larger than a config file (JSON schemas and CRDs in `--schema-dir`).
    pub fn fetch_up_to(&self, path: &str, limit: u64) -> Result<Fetched> {
        let mut folders = self.take();
        let fetched = self.fetch_in(&mut folders, path, limit);
        self.give_back(folders);
        fetched
    }
}

impl Source for Disk {
    fn fetch(&self, path: &str) -> Result<Fetched> {
        let mut folders = self.take();
        let fetched = self.fetch_in(&mut folders, path, MAX_READ_BYTES);
        self.give_back(folders);
        fetched
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        match &self.listings {
            Some(_) => Ok(self.listed(dir)?.as_ref().clone()),
            None => self.list_dir(dir),
        }
    }
}

impl Disk {
    fn read_file_in(dir: &OwnedFd, name: &str, path: &str, limit: u64) -> Result<Fetched> {
        // Look before opening, so a FIFO or a device is never opened at all; the open handle is
        // checked again below, in case the entry changed in between.
        match kind_at(dir, name, path)? {
            None => return Ok(Fetched::Missing),
            Some(EntryKind::File) => {}
            Some(EntryKind::Symlink) => {
                return Ok(Fetched::Refused(Refusal::Symlink { path: path.into() }));
            }
            Some(_) => {
                return Ok(Fetched::Refused(Refusal::NotRegular { path: path.into() }));
            }
        }
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(dir, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT | Errno::NOTDIR) => return Ok(Fetched::Missing),
            Err(Errno::LOOP) => {
                return Ok(Fetched::Refused(Refusal::Symlink { path: path.into() }));
            }
            Err(e) => return Err(io_error("reading", path, e)),
        };
        read_bounded(fd, path, limit)
    }

    fn list_dir(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let parts = components(dir)?;
        let chain = match open_dirs(&self.root, &parts, false)? {
            Opened::Dirs(chain) => chain,
            Opened::Missing | Opened::NotDir(_) => return Ok(Vec::new()),
            Opened::Refused(refusal) => return Err(refusal.into_error()),
        };
        let fd = chain.last().expect("the root is open");
        let entries = rustix::fs::Dir::read_from(fd)
            .map_err(|e| io_error("listing", &format!("{dir}/"), e))?;
        let mut listed = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("listing", &format!("{dir}/"), e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "." || name == ".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::RegularFile => EntryKind::File,
                FileType::Directory => EntryKind::Dir,
                FileType::Symlink => EntryKind::Symlink,
                FileType::Unknown => match kind_at(fd, &name, dir)? {
                    Some(kind) => kind,
                    None => continue,
                },
                _ => EntryKind::Other,
            };
            listed.push((name, kind));
        }
        listed.sort();
        Ok(listed)
    }
}

/// Reads an open file: only a regular file, only up to `limit` bytes (checked on the handle's
/// metadata before reading, and by reading at most one byte more).
fn read_bounded(fd: OwnedFd, path: &str, limit: u64) -> Result<Fetched> {
    let stat = rustix::fs::fstat(&fd).map_err(|e| io_error("reading", path, e))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Ok(Fetched::Refused(Refusal::NotRegular { path: path.into() }));
    }
    let size = u64::try_from(stat.st_size).unwrap_or(0);
    if size > limit {
        return Ok(Fetched::Refused(Refusal::TooLarge {
            path: path.into(),
            size,
            limit,
        }));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    std::fs::File::from(fd)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {path}"))?;
    if bytes.len() as u64 > limit {
        // It grew while being read.
        return Ok(Fetched::Refused(Refusal::TooLarge {
            path: path.into(),
            size: bytes.len() as u64,
            limit,
        }));
    }
    Ok(Fetched::File(bytes))
}

/// A file outside the repo that the user named (`--from-file`, `migrate prstack FILE`): a link
/// given on the command line is followed, but only a regular file is read, and only up to
/// [`MAX_READ_BYTES`].
pub fn read_named_file(
    path: impl AsRef<Path>,
) -> std::io::Result<std::result::Result<Vec<u8>, Refusal>> {
    read_named_file_up_to(path, MAX_READ_BYTES)
}

/// [`read_named_file`] with another size limit.
pub fn read_named_file_up_to(
    path: impl AsRef<Path>,
    limit: u64,
) -> std::io::Result<std::result::Result<Vec<u8>, Refusal>> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    match read_bounded(fd, &shown, limit) {
        Ok(Fetched::File(bytes)) => Ok(Ok(bytes)),
        Ok(Fetched::Refused(refusal)) => Ok(Err(refusal)),
        Ok(Fetched::Missing) => Err(std::io::ErrorKind::NotFound.into()),
        Err(e) => Err(std::io::Error::other(e.to_string())),
    }
}

/// The folders of a path opened one by one from the repo root, none through a symbolic link.
pub(crate) enum Opened {
    /// The root's handle, then one per folder.
    Dirs(Vec<OwnedFd>),
    Missing,
    /// A part of the path is a file, not a folder (named).
    NotDir(String),
    Refused(Refusal),
}

/// Opens `root/dirs[0]/dirs[1]/...` one folder at a time with `O_NOFOLLOW`, so no symbolic link
/// below the root is followed; with `create`, missing folders are made (`mkdirat`) on the way.
/// The handles stay valid if a folder is renamed or replaced later, so what is done through
/// the last one happens in the folder that was checked.
pub(crate) fn open_dirs(root: &Path, dirs: &[&str], create: bool) -> Result<Opened> {
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let root_fd = match rustix::fs::open(root, dir_flags, Mode::empty()) {
        Ok(fd) => fd,
        // No repo there (yet): nothing to read; writing creates nothing above the root.
        Err(Errno::NOENT | Errno::NOTDIR) => return Ok(Opened::Missing),
        Err(e) => return Err(io_error("opening", &root.display().to_string(), e)),
    };
    let mut chain = vec![root_fd];
    let mut so_far = String::new();
    for name in dirs {
        if !so_far.is_empty() {
            so_far.push('/');
        }
        so_far.push_str(name);
        let parent = chain.last().expect("the root is open");
        let mut made = false;
        let fd = loop {
            match rustix::fs::openat(parent, *name, dir_flags | OFlags::NOFOLLOW, Mode::empty()) {
                Ok(fd) => break fd,
                Err(Errno::NOENT) if create && !made => {
                    match rustix::fs::mkdirat(parent, *name, Mode::from_raw_mode(0o777)) {
                        Ok(()) | Err(Errno::EXIST) => made = true,
                        Err(e) => return Err(io_error("creating", &so_far, e)),
                    }
                }
                Err(Errno::NOENT) => return Ok(Opened::Missing),
                Err(Errno::NOTDIR | Errno::LOOP) => {
                    return Ok(match kind_at(parent, name, &so_far)? {
                        Some(EntryKind::Symlink) => {
                            Opened::Refused(Refusal::Symlink { path: so_far })
                        }
                        None => Opened::Missing,
                        Some(_) => Opened::NotDir(so_far),
                    });
                }
                Err(e) => return Err(io_error("opening", &so_far, e)),
            }
        };
        chain.push(fd);
    }
    Ok(Opened::Dirs(chain))
}

/// The folders of the last path opened through it, kept for the next one: writing a sorted set
/// of paths opens each folder once instead of once per file (a first render wrote 13,000 files
/// through 180,000 `openat` calls). Each folder is still opened with `O_NOFOLLOW` from its
/// parent's handle, as [`open_dirs`] does; a handle stays on the folder that was checked.
pub(crate) struct DirCache {
    root: std::path::PathBuf,
    /// The folder names of `chain[1..]`.
    names: Vec<String>,
    /// The root's handle, then one per name.
    chain: Vec<OwnedFd>,
}

impl DirCache {
    pub(crate) fn new(root: &Path) -> DirCache {
        DirCache {
            root: root.to_path_buf(),
            names: Vec::new(),
            chain: Vec::new(),
        }
    }

    /// The handle of `root/dirs...` (made on the way when `create`), or why there is none.
    pub(crate) fn open(&mut self, dirs: &[&str], create: bool) -> Result<Result<&OwnedFd, Opened>> {
        if self.chain.is_empty() {
            match open_dirs(&self.root, &[], false)? {
                Opened::Dirs(mut root) => self.chain.push(root.remove(0)),
                other => return Ok(Err(other)),
            }
        }
        let common = self
            .names
            .iter()
            .zip(dirs)
            .take_while(|(a, b)| a.as_str() == **b)
            .count();
        self.names.truncate(common);
        self.chain.truncate(common + 1);
        for (index, name) in dirs.iter().enumerate().skip(common) {
            let shown = dirs[..=index].join("/");
            let parent = self.chain.last().expect("the root is open");
            match open_in(parent, name, &shown, create)? {
                Ok(fd) => {
                    self.chain.push(fd);
                    self.names.push((*name).to_string());
                }
                Err(opened) => return Ok(Err(opened)),
            }
        }
        Ok(Ok(self.chain.last().expect("the root is open")))
    }
}

/// Opens folder `name` in `parent` without following a link (made first when `create`).
fn open_in(
    parent: &OwnedFd,
    name: &str,
    shown: &str,
    create: bool,
) -> Result<std::result::Result<OwnedFd, Opened>> {
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let mut made = false;
    loop {
        match rustix::fs::openat(parent, name, dir_flags, Mode::empty()) {
            Ok(fd) => return Ok(Ok(fd)),
            Err(Errno::NOENT) if create && !made => {
                match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => made = true,
                    Err(e) => return Err(io_error("creating", shown, e)),
                }
            }
            Err(Errno::NOENT) => return Ok(Err(Opened::Missing)),
            Err(Errno::NOTDIR | Errno::LOOP) => {
                return Ok(Err(match kind_at(parent, name, shown)? {
                    Some(EntryKind::Symlink) => Opened::Refused(Refusal::Symlink {
                        path: shown.to_string(),
                    }),
                    None => Opened::Missing,
                    Some(_) => Opened::NotDir(shown.to_string()),
                }));
            }
            Err(e) => return Err(io_error("opening", shown, e)),
        }
    }
}

/// What `name` in the open folder `dir` is, without following a link; `None` when absent.
pub(crate) fn kind_at(dir: &OwnedFd, name: &str, shown: &str) -> Result<Option<EntryKind>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Some(match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => EntryKind::File,
            FileType::Directory => EntryKind::Dir,
            FileType::Symlink => EntryKind::Symlink,
            _ => EntryKind::Other,
        })),
        Err(Errno::NOENT | Errno::NOTDIR) => Ok(None),
        Err(e) => Err(io_error("reading", shown, e)),
    }
}

pub(crate) fn io_error(doing: &str, path: &str, error: Errno) -> Error {
    anyhow::Error::new(std::io::Error::from(error))
        .context(format!("{doing} {path}"))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk() -> (tempfile::TempDir, Disk) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("guilds")).unwrap();
        let disk = Disk::new(&root);
        (dir, disk)
    }

    #[test]
    fn paths_that_could_leave_their_folder_are_refused() {
        for bad in [
            "..",
            "../x",
            "guilds/../../x",
            "./x",
            "/etc/passwd",
            "a//b",
            "a/",
        ] {
            assert!(components(bad).is_err(), "{bad}");
        }
        assert_eq!(
            components("guilds/guild-1.yaml").unwrap(),
            ["guilds", "guild-1.yaml"]
        );
        assert!(components("").unwrap().is_empty());
    }

    #[test]
    fn reads_refuse_links_on_the_way_and_at_the_file_and_non_regular_and_huge_files() {
        let (dir, disk) = disk();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), "s3cr3t").unwrap();
        std::fs::write(disk.root.join("guilds/guild-1.yaml"), "ok").unwrap();
        std::os::unix::fs::symlink(
            outside.join("secret"),
            disk.root.join("guilds/guild-2.yaml"),
        )
        .unwrap();
        std::os::unix::fs::symlink(&outside, disk.root.join("tenants")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            disk.root.join("guilds/fifo.yaml"),
            FileType::Fifo,
            Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        std::fs::File::create(disk.root.join("guilds/huge.yaml"))
            .unwrap()
            .set_len(3 << 30)
            .unwrap();

        assert!(
            matches!(disk.fetch("guilds/guild-1.yaml").unwrap(), Fetched::File(b) if b == b"ok")
        );
        assert!(matches!(
            disk.fetch("guilds/none.yaml").unwrap(),
            Fetched::Missing
        ));
        let refused = |path: &str| match disk.fetch(path).unwrap() {
            Fetched::Refused(refusal) => refusal,
            other => panic!("{path}: {other:?}"),
        };
        assert_eq!(
            refused("guilds/guild-2.yaml"),
            Refusal::Symlink {
                path: "guilds/guild-2.yaml".into()
            }
        );
        assert_eq!(
            refused("tenants/secret"),
            Refusal::Symlink {
                path: "tenants".into()
            }
        );
        assert_eq!(
            refused("guilds/fifo.yaml"),
            Refusal::NotRegular {
                path: "guilds/fifo.yaml".into()
            }
        );
        assert_eq!(
            refused("guilds/huge.yaml"),
            Refusal::TooLarge {
                path: "guilds/huge.yaml".into(),
                size: 3 << 30,
                limit: MAX_READ_BYTES
            }
        );
        assert_eq!(
            refused("guilds/huge.yaml").diagnostic().code,
            code::UNREADABLE
        );
        assert_eq!(refused("tenants/secret").diagnostic().code, code::SYMLINK);
        assert!(disk.read("tenants/secret").is_err());

        let listed = disk.list("guilds").unwrap();
        assert!(listed.contains(&("guild-2.yaml".into(), EntryKind::Symlink)));
        assert!(listed.contains(&("fifo.yaml".into(), EntryKind::Other)));
        assert!(listed.contains(&("guild-1.yaml".into(), EntryKind::File)));
        assert!(matches!(disk.list("tenants"), Err(Error::Invalid(_))));
        assert!(disk.list("nowhere").unwrap().is_empty());
    }
}
