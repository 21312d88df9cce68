//! Edits a user's file in place: only the values that change are touched, so comments, key
//! order, quoting and blank lines elsewhere stay as the user wrote them.
//!
//! The edit is computed from the data: the file as parsed against what the full rewrite (the
//! model's `to_yaml`) parses to. Each changed scalar's exact text span is replaced by a
//! JSON-quoted scalar; a new key is inserted after its last sibling, with the siblings'
//! indentation, creating missing mappings; a removed key loses its lines. The result is parsed
//! again and must equal the full rewrite as data: when the file's shape is beyond a safe edit
//! (flow collections, anchors and aliases, block scalars, anything unforeseen) or the check
//! fails, the full rewrite is used and a note says the comments were not kept.

use std::ops::Range;

use serde_json::{Map, Value};

use crate::load::SourceFile;
use crate::yaml::{self, Document, escape_pointer};

/// The text to write to `file` so that it holds what `rewrite` holds; a note when that text is
/// the full rewrite because the file could not be edited in place.
pub fn edit(file: &SourceFile, rewrite: String) -> (String, Option<String>) {
    let edited = file.parsed.as_ref().ok().and_then(|document| {
        let wanted = yaml::parse(rewrite.as_bytes()).ok()?.value;
        surgical(&file.text, document, &wanted)
    });
    match edited {
        Some(text) => (text, None),
        None => (
            rewrite,
            Some(format!(
                "rewrote {}: its layout could not be edited in place; comments were not kept",
                file.path
            )),
        ),
    }
}

/// `text` (parsed as `document`) edited to hold `wanted`, or `None` when that cannot be done
/// safely in place.
pub fn surgical(text: &str, document: &Document, wanted: &Value) -> Option<String> {
    if document.value == *wanted {
        return Some(text.to_string());
    }
    let mut edits = Vec::new();
    diff(text, document, "", &document.value, wanted, &mut edits)?;
    let edited = apply(text, edits)?;
    let reparsed = yaml::parse(edited.as_bytes()).ok()?;
    (reparsed.value == *wanted).then_some(edited)
}

/// Replace `range` of the text with the string.
type Edit = (Range<usize>, String);

fn diff(
    text: &str,
    document: &Document,
    pointer: &str,
    old: &Value,
    new: &Value,
    edits: &mut Vec<Edit>,
) -> Option<()> {
    if old == new {
        return Some(());
    }
    match (old, new) {
        (Value::Object(old_map), Value::Object(new_map)) => {
            let (indent, after) = mapping_layout(text, document, pointer, old_map)?;
            let mut added = String::new();
            for (key, old_value) in old_map {
                let child = format!("{pointer}/{}", escape_pointer(key));
                match new_map.get(key) {
                    Some(new_value) => diff(text, document, &child, old_value, new_value, edits)?,
                    None => edits.push((
                        entry_lines(text, document, &child, old_value)?,
                        String::new(),
                    )),
                }
            }
            for (key, new_value) in new_map {
                if !old_map.contains_key(key) {
                    added += &emit_entry(key, new_value, indent);
                }
            }
            if !added.is_empty() {
                edits.push((after..after, added));
            }
            Some(())
        }
        (Value::Array(old_items), Value::Array(new_items)) => {
            let span = document.value_span(pointer)?;
            if text[span.start..].starts_with('[') || old_items.is_empty() {
                return None;
            }
            // A block sequence that only grows: new items go after the last one, same indent.
            if new_items.len() < old_items.len() || new_items[..old_items.len()] != old_items[..] {
                return None;
            }
            let last = format!("{pointer}/{}", old_items.len() - 1);
            if old_items.last()?.is_object() || old_items.last()?.is_array() {
                return None;
            }
            let last_span = document.value_span(&last)?;
            let line_start = text[..last_span.start].rfind('\n').map_or(0, |i| i + 1);
            let prefix = &text[line_start..last_span.start];
            let dash = prefix.trim_end().strip_suffix('-')?;
            if !dash.chars().all(|c| c == ' ') {
                return None;
            }
            let after = line_end(text, last_span.end);
            let mut added = String::new();
            for item in &new_items[old_items.len()..] {
                if item.is_object() || item.is_array() {
                    return None;
                }
                added += &format!("{dash}- {}\n", scalar(item)?);
            }
            edits.push((after..after, added));
            Some(())
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => None,
        _ => {
            let span = document.value_span(pointer)?;
            if span.is_empty() || !plain_entry(text, document, pointer, &span) {
                return None;
            }
            edits.push((span, scalar(new)?));
            Some(())
        }
    }
}

/// Whether the scalar at `span` is written right after its key's `:` (no anchor, tag or block
/// scalar indicator in between).
fn plain_entry(text: &str, document: &Document, pointer: &str, span: &Range<usize>) -> bool {
    let Some(key) = document.key_span(pointer) else {
        return false;
    };
    if key.end > span.start {
        return false;
    }
    let between = &text[key.end..span.start];
    let between = between.strip_prefix(['"', '\'']).unwrap_or(between);
    between.trim_start().starts_with(':')
        && between.trim_start()[1..].trim().is_empty()
        && !between.contains('\n')
        && !matches!(
            text[span.start..].chars().next(),
            Some('|' | '>' | '&' | '*' | '!')
        )
}

/// A block mapping's child indentation and the byte offset just after its last entry's line.
fn mapping_layout(
    text: &str,
    document: &Document,
    pointer: &str,
    map: &Map<String, Value>,
) -> Option<(usize, usize)> {
    if let Some(span) = document.value_span(pointer)
        && text[span.start..].starts_with('{')
    {
        return None;
    }
    let mut indent = None;
    let mut end = 0;
    for (key, value) in map {
        let child = format!("{pointer}/{}", escape_pointer(key));
        let key_span = document.key_span(&child)?;
        let line_start = text[..key_span.start].rfind('\n').map_or(0, |i| i + 1);
        let column = key_span.start - line_start;
        if !text[line_start..key_span.start].chars().all(|c| c == ' ') {
            return None;
        }
        if *indent.get_or_insert(column) != column {
            return None;
        }
        end = end.max(value_end(document, &child, value)?);
    }
    // An empty mapping (`{}` or null) is not edited in place.
    let indent = indent?;
    Some((indent, line_end(text, end)))
}

/// The byte offset where the value at `pointer` ends: the end of its last scalar.
fn value_end(document: &Document, pointer: &str, value: &Value) -> Option<usize> {
    let own = document.value_span(pointer)?.end;
    let children = match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| value_end(document, &format!("{pointer}/{}", escape_pointer(k)), v))
            .collect::<Option<Vec<_>>>()?,
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| value_end(document, &format!("{pointer}/{i}"), v))
            .collect::<Option<Vec<_>>>()?,
        _ => Vec::new(),
    };
    Some(children.into_iter().fold(own, usize::max))
}

/// The byte offset just after the line that holds `offset` (after its newline).
fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// The whole lines of the entry at `pointer`, from its key's line to its value's last line.
fn entry_lines(
    text: &str,
    document: &Document,
    pointer: &str,
    value: &Value,
) -> Option<Range<usize>> {
    let key = document.key_span(pointer)?;
    let start = text[..key.start].rfind('\n').map_or(0, |i| i + 1);
    if !text[start..key.start].chars().all(|c| c == ' ') {
        return None;
    }
    Some(start..line_end(text, value_end(document, pointer, value)?))
}

/// A scalar as the house writes it: a JSON-quoted string, or a plain boolean or number.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(_) | Value::Bool(_) | Value::Number(_) => serde_json::to_string(value).ok(),
        Value::Null => Some("null".into()),
        _ => None,
    }
}

fn key_text(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && key.starts_with(|c: char| c.is_ascii_alphabetic());
    if plain {
        key.to_string()
    } else {
        serde_json::to_string(key).expect("strings always serialize")
    }
}

/// A new mapping entry as block YAML at `indent`, nested mappings and sequences included.
fn emit_entry(key: &str, value: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut out = format!("{pad}{}:\n", key_text(key));
            for (k, v) in map {
                out += &emit_entry(k, v, indent + 2);
            }
            out
        }
        Value::Array(items) if !items.is_empty() => {
            let mut out = format!("{pad}{}:\n", key_text(key));
            for item in items {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        out += &format!("{pad}  - {item}\n");
                    }
                    _ => out += &format!("{pad}  - {}\n", scalar(item).unwrap_or_default()),
                }
            }
            out
        }
        Value::Object(_) => format!("{pad}{}: {{}}\n", key_text(key)),
        Value::Array(_) => format!("{pad}{}: []\n", key_text(key)),
        _ => format!(
            "{pad}{}: {}\n",
            key_text(key),
            scalar(value).unwrap_or_default()
        ),
    }
}

/// Applies non-overlapping edits; `None` when two overlap.
fn apply(text: &str, mut edits: Vec<Edit>) -> Option<String> {
    edits.sort_by_key(|(range, _)| (range.start, range.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, replacement) in edits {
        if range.start < at {
            return None;
        }
        out += &text[at..range.start];
        out += &replacement;
        at = range.end;
    }
    out += &text[at..];
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edited(text: &str, wanted: &str) -> Option<String> {
        let document = yaml::parse(text.as_bytes()).unwrap();
        let wanted = yaml::parse(wanted.as_bytes()).unwrap().value;
        surgical(text, &document, &wanted)
    }

    #[test]
    fn changes_only_the_changed_value() {
        let text = "# head\ntier: 'free'  # tier\n\n# limits\nguild_id: \"1\"\n";
        assert_eq!(
            edited(text, "guild_id: \"1\"\ntier: \"pro\"\n").unwrap(),
            "# head\ntier: \"pro\"  # tier\n\n# limits\nguild_id: \"1\"\n"
        );
    }

    #[test]
    fn inserts_new_keys_and_mappings_after_their_siblings() {
        let text = "kind: T\nspec:\n  # id\n  id: a   # c\n\n# end\n";
        assert_eq!(
            edited(text, "kind: T\nspec:\n  id: a\n  limits:\n    cpu: \"3\"\n").unwrap(),
            "kind: T\nspec:\n  # id\n  id: a   # c\n  limits:\n    cpu: \"3\"\n\n# end\n"
        );
        assert_eq!(
            edited(
                "a: \"1\"\nb:\n  - x  # one\n  - y\nc: 1\n",
                "a: \"1\"\nb: [x, y, z]\nc: 1\n"
            )
            .unwrap(),
            "a: \"1\"\nb:\n  - x  # one\n  - y\n  - \"z\"\nc: 1\n"
        );
    }

    #[test]
    fn removes_a_key_with_its_line() {
        assert_eq!(
            edited("a: 1 # x\nb: {}\nc: 2\n", "a: 1\nc: 2\n").unwrap(),
            "a: 1 # x\nc: 2\n"
        );
    }

    #[test]
    fn refuses_what_it_cannot_edit_safely() {
        assert_eq!(edited("a: {b: \"1\"}\n", "a:\n  b: \"2\"\n"), None);
        assert_eq!(edited("a: &x \"1\"\nb: *x\n", "a: \"2\"\nb: \"1\"\n"), None);
        assert_eq!(edited("a: |\n  one\n", "a: \"two\"\n"), None);
        assert_eq!(edited("a: !!str 1\n", "a: \"2\"\n"), None);
    }

    #[test]
    fn new_values_are_json_quoted() {
        let out = edited("a: \"1\"\n", "a: \"x\\\"\\n#y: z\"\n").unwrap();
        assert_eq!(out, "a: \"x\\\"\\n#y: z\"\n");
    }
}
