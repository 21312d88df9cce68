//! What this binary made of each guild and tenant file it parsed before, by the file's blob id,
//! so that an unchanged file is not parsed again: `.git/tenantctl-parse-memo` (local to the
//! clone, never pushed).
//!
//! Parsing is a function of the bytes alone, so an entry is keyed by the blob id of the bytes
//! and the binary that parsed them ([`crate::render::memo::build_key`]); only files that parsed
//! are kept, with their value as JSON. A hit gives the same value the parse gives, with the
//! positions left to be worked out from the text if a finding asks (as for any valid file).
//! At 10,000 guilds and 10,000 tenants (11 MB of files, 2 cores) reading and parsing them took
//! 0.65-0.93 s, and 0.28-0.35 s through the memo.
//!
//! The memo is a cache: a missing, stale, torn or foreign file only costs the parse. `.git` is
//! trusted as git trusts it (someone who can write it can also change the hooks).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::Oid;
use serde_json::Value;

use crate::load::SourceFile;
use crate::render::memo::{blob_id, build_key, replace_cache};
use crate::yaml::Document;

const FILE: &str = "tenantctl-parse-memo";

/// The memo of one command: what it found, and what it used or added.
pub struct ParseMemo {
    file: Option<PathBuf>,
    header: String,
    /// Blob id -> the value's JSON, as read.
    known: HashMap<Oid, String>,
    /// Entries this command used or added: the next memo.
    used: Mutex<Vec<(Oid, String)>>,
}

impl ParseMemo {
    /// The memo in the git directory of the repo at `root`; an empty one without git.
    pub fn open(root: &Path) -> ParseMemo {
        let file = git2::Repository::discover(root)
            .ok()
            .map(|repo| repo.path().join(FILE));
        let header = format!("tenantctl-parse-memo 1 {}", build_key());
        let known = file
            .as_ref()
            .and_then(|file| std::fs::read_to_string(file).ok())
            .map(|text| read_entries(&text, &header))
            .unwrap_or_default();
        ParseMemo {
            file,
            header,
            known,
            used: Mutex::new(Vec::new()),
        }
    }

    /// `bytes` at `path` parsed: from the memo when this binary parsed the same bytes before.
    pub fn parse(&self, path: String, bytes: &[u8]) -> SourceFile {
        if self.file.is_none() {
            return SourceFile::parse(path, bytes);
        }
        let id = blob_id(bytes);
        if let Some(json) = self.known.get(&id)
            && let Ok(value) = serde_json::from_str::<Value>(json)
            && let Ok(text) = std::str::from_utf8(bytes)
        {
            self.remember(id, json.clone());
            return SourceFile {
                path,
                text: text.to_string(),
                parsed: Ok(Document::parsed_before(value, text)),
            };
        }
        let file = SourceFile::parse(path, bytes);
        if let Ok(document) = &file.parsed
            && !has_float(&document.value)
            && let Ok(json) = serde_json::to_string(&document.value)
        {
            self.remember(id, json);
        }
        file
    }

    fn remember(&self, id: Oid, json: String) {
        self.used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, json));
    }

    /// Writes the entries this command used or added, when they differ from the memo read (a
    /// file added, changed or removed); best effort.
    pub fn save(self) {
        let Some(file) = self.file else {
            return;
        };
        let mut used = self.used.into_inner().unwrap_or_else(|e| e.into_inner());
        used.sort_unstable_by_key(|entry| entry.0);
        used.dedup_by(|a, b| a.0 == b.0);
        if used.len() == self.known.len() && used.iter().all(|(id, _)| self.known.contains_key(id))
        {
            return;
        }
        let mut text = String::with_capacity(used.iter().map(|(_, j)| j.len() + 42).sum());
        text.push_str(&self.header);
        text.push('\n');
        for (id, json) in &used {
            text.push_str(&id.to_string());
            text.push(' ');
            text.push_str(json);
            text.push('\n');
        }
        replace_cache(&file, &text);
    }
}

/// Whether `value` holds a fractional number: serde_json reads floats back to the nearest
/// value only on a best-effort basis (its `float_roundtrip` feature is off), so a document with
/// one is parsed every time rather than risk a last digit. Integers and text read back exactly.
fn has_float(value: &Value) -> bool {
    match value {
        Value::Number(number) => number.is_f64(),
        Value::Array(items) => items.iter().any(has_float),
        Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
}

/// The entries of a memo written for `header` (this binary); none for any other.
fn read_entries(text: &str, header: &str) -> HashMap<Oid, String> {
    let mut lines = text.lines();
    if lines.next() != Some(header) {
        return HashMap::new();
    }
    lines
        .filter_map(|line| {
            let (id, json) = line.split_once(' ')?;
            Some((Oid::from_str(id).ok()?, json.to_string()))
        })
        .collect()
}
