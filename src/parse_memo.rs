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
//! Each entry also says whether the bytes hold no YAML 1.1 trap and no credential, the two
//! checks `validate` makes of every file that are functions of its bytes alone; at 100,000 +
//! 100,000 they took a fifth of a warm `validate`'s time.
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
    /// Blob id -> the entry, as read.
    known: HashMap<Oid, Entry>,
    /// Entries this command used or added: the next memo.
    used: Mutex<Vec<(Oid, Entry)>>,
}

/// What this binary made of some bytes.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    /// No YAML 1.1 trap and no credential in them ([`SourceFile::clean`]).
    clean: bool,
    /// The value they parse to, as JSON.
    json: String,
}

impl ParseMemo {
    /// The memo in the git directory of the repo at `root`; an empty one without git.
    pub fn open(root: &Path) -> ParseMemo {
        let file = git2::Repository::discover(root)
            .ok()
            .map(|repo| repo.path().join(FILE));
        let header = format!("tenantctl-parse-memo 3 {}", build_key());
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
        if let Some(entry) = self.known.get(&id)
            && let Ok(value) = serde_json::from_str::<Value>(&entry.json)
            && let Ok(text) = std::str::from_utf8(bytes)
        {
            self.remember(id, entry.clone());
            return SourceFile {
                path,
                text: text.to_string(),
                parsed: Ok(Document::parsed_before(value, text)),
                clean: entry.clean,
            };
        }
        let mut file = SourceFile::parse(path, bytes);
        if let Ok(document) = &file.parsed
            && !has_float(&document.value)
            && let Ok(json) = serde_json::to_string(&document.value)
        {
            // Checked here, in parallel with the other files' parse, and not again in validate.
            file.clean = document.yaml11_traps(&file.text).is_empty()
                && crate::validate::credentials::scan_file(&file).is_empty();
            let clean = file.clean;
            self.remember(id, Entry { clean, json });
        }
        file
    }

    fn remember(&self, id: Oid, entry: Entry) {
        self.used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, entry));
    }

    /// Records the entries this command added; best effort. They are appended while the memo
    /// holds few entries no command used (a create adds one file to a memo of 200,000: writing
    /// the whole memo again grew with the repo); otherwise the memo is written anew with
    /// exactly the entries this command used.
    pub fn save(self) {
        let Some(file) = self.file else {
            return;
        };
        let mut used = self.used.into_inner().unwrap_or_else(|e| e.into_inner());
        used.sort_unstable_by_key(|entry| entry.0);
        used.dedup_by(|a, b| a.0 == b.0);
        let added: Vec<&(Oid, Entry)> = used
            .iter()
            .filter(|(id, _)| !self.known.contains_key(id))
            .collect();
        let kept = used.len() - added.len();
        if added.is_empty() && kept == self.known.len() {
            return;
        }
        let unused = self.known.len() - kept;
        if !self.known.is_empty() && unused <= self.known.len() / 4 {
            if !added.is_empty() {
                append(&file, &self.header, &entries_text(added.into_iter()));
            }
            return;
        }
        let mut text = self.header.clone();
        text.push('\n');
        text.push_str(&entries_text(used.iter()));
        replace_cache(&file, &text);
    }
}

/// One line per entry: the blob id, the length of the JSON, 1 when clean (0 otherwise), the
/// JSON. The length tells a line cut short (a command killed while appending) from a whole one.
fn entries_text<'a>(entries: impl Iterator<Item = &'a (Oid, Entry)>) -> String {
    let mut text = String::new();
    for (id, entry) in entries {
        let clean = u8::from(entry.clean);
        text.push_str(&format!(
            "{id} {} {clean} {}\n",
            entry.json.len(),
            entry.json
        ));
    }
    text
}

/// Appends `text` to the memo in one write, if it is still one for `header` (another binary may
/// have written its own since it was read); best effort. A line cut short before it is ended
/// first, so that it stays one unreadable line.
fn append(file: &Path, header: &str, text: &str) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let Ok(mut memo) = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .open(file)
    else {
        return;
    };
    let mut first = vec![0u8; header.len() + 1];
    if memo.read_exact(&mut first).is_err() || first != format!("{header}\n").as_bytes() {
        return;
    }
    let mut last = [0u8];
    let ended = memo.seek(SeekFrom::End(-1)).is_ok()
        && memo.read_exact(&mut last).is_ok()
        && last[0] == b'\n';
    let text = if ended {
        text.to_string()
    } else {
        format!("\n{text}")
    };
    let _ = memo.write_all(text.as_bytes());
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
fn read_entries(text: &str, header: &str) -> HashMap<Oid, Entry> {
    let mut lines = text.lines();
    if lines.next() != Some(header) {
        return HashMap::new();
    }
    lines
        .filter_map(|line| {
            let (id, rest) = line.split_once(' ')?;
            let (length, rest) = rest.split_once(' ')?;
            let (clean, json) = rest.split_once(' ')?;
            let clean = match clean {
                "1" => true,
                "0" => false,
                _ => return None,
            };
            (length.parse::<usize>().ok()? == json.len()).then(|| {
                let entry = Entry {
                    clean,
                    json: json.to_string(),
                };
                Some((Oid::from_str(id).ok()?, entry))
            })?
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_append_goes_only_to_a_memo_of_the_same_binary() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(FILE);
        // Another binary wrote its memo since this one read its own: nothing is appended.
        std::fs::write(&file, "tenantctl-parse-memo 2 other\n").unwrap();
        append(&file, "tenantctl-parse-memo 2 this", "entry\n");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "tenantctl-parse-memo 2 other\n"
        );
        // Its own memo, its last line cut short: the entry goes on a line of its own.
        std::fs::write(&file, "tenantctl-parse-memo 2 this\ncut").unwrap();
        append(&file, "tenantctl-parse-memo 2 this", "entry\n");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "tenantctl-parse-memo 2 this\ncut\nentry\n"
        );
    }
}
