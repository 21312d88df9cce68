//! YAML parsing that keeps the position of every key and value.
//!
//! A user's file is parsed once into a JSON value (what schemas and serde see) plus a map from
//! JSON pointer to line and column (what diagnostics point at). The parser is serde-saphyr, set up
//! to refuse the YAML traps that silently change meaning: duplicate keys, merge keys, custom tags,
//! YAML 1.1 booleans such as `no`, and octal-looking numbers such as `0755`.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

/// Files larger than this are refused before parsing: a tenant file is a few hundred bytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Nesting deeper than this is refused: the deepest real document is about eight levels.
pub const MAX_DEPTH: usize = 32;

/// A 1-based position in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A parsed document: its value and where each part of it came from.
///
/// Where each part came from is worked out when first asked: a valid file is never asked, and
/// at 100,000 files the positions of every node were most of the parse and of the memory.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    /// The text parsed, to find positions in when one is first asked for.
    text: std::sync::Arc<str>,
    positions: std::sync::OnceLock<Positions>,
}

/// Where each part of a document came from, by JSON pointer.
#[derive(Debug, Clone, Default)]
struct Positions {
    /// JSON pointer of a value -> where the value starts.
    values: HashMap<String, Position>,
    /// JSON pointer of a mapping entry -> where its key starts.
    keys: HashMap<String, Position>,
    /// JSON pointer of a value -> its byte range in the text, and whether it is an alias.
    spans: HashMap<String, (std::ops::Range<usize>, bool)>,
    /// JSON pointer of a mapping entry -> the byte range of its key.
    key_spans: HashMap<String, std::ops::Range<usize>>,
    /// Keys written twice in one mapping: the key, where it first was, where it is again.
    duplicates: Vec<(String, Position, Position)>,
}

impl Document {
    fn positions(&self) -> &Positions {
        self.positions.get_or_init(|| {
            // The text parsed once already, with the same options: this cannot fail, and if
            // it did, every position falls back to the start of the file.
            serde_saphyr::from_str_with_options::<Spanned<Node>>(&self.text, options())
                .map(|root| {
                    let mut positions = Positions::default();
                    positions.absorb(root, String::new());
                    positions
                })
                .unwrap_or_default()
        })
    }

    /// Where the value at `pointer` starts; falls back to the nearest enclosing value.
    pub fn value_position(&self, pointer: &str) -> Position {
        let values = &self.positions().values;
        let mut pointer = pointer;
        loop {
            if let Some(position) = values.get(pointer) {
                return *position;
            }
            match pointer.rfind('/') {
                Some(cut) => pointer = &pointer[..cut],
                None => return Position { line: 1, column: 1 },
            }
        }
    }

    /// Where the key of the entry at `pointer` starts; falls back to the value's position.
    pub fn key_position(&self, pointer: &str) -> Position {
        self.positions()
            .keys
            .get(pointer)
            .copied()
            .unwrap_or_else(|| self.value_position(pointer))
    }

    /// The byte range of the value at exactly `pointer` in the parsed text, when known and the
    /// value is written there (not an alias of a value written elsewhere).
    pub fn value_span(&self, pointer: &str) -> Option<std::ops::Range<usize>> {
        match self.positions().spans.get(pointer) {
            Some((range, false)) => Some(range.clone()),
            _ => None,
        }
    }

    /// The byte range of the key of the entry at exactly `pointer`, when known.
    pub fn key_span(&self, pointer: &str) -> Option<std::ops::Range<usize>> {
        self.positions().key_spans.get(pointer).cloned()
    }
}

impl Document {
    /// A document whose `text` this binary parsed before, into `value` (a memo of the parse):
    /// the same document the parse gives, positions worked out when first asked for.
    pub fn parsed_before(value: Value, text: &str) -> Document {
        Document {
            value,
            text: text.into(),
            positions: std::sync::OnceLock::new(),
        }
    }
}

/// Why a file could not be parsed, with the position where that was found.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub position: Position,
    pub message: String,
    pub hint: Option<String>,
    /// Whether the text is not YAML as tenantctl reads it (E100), rather than unreadable
    /// (E101: too large, not UTF-8, empty).
    pub syntax: bool,
}

/// Parses one YAML document from raw bytes, enforcing size, depth and safety limits.
pub fn parse(bytes: &[u8]) -> Result<Document, ParseError> {
    let at_start = Position { line: 1, column: 1 };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ParseError {
            position: at_start,
            message: format!(
                "file is {} bytes, over the limit of {MAX_FILE_BYTES} bytes",
                bytes.len()
            ),
            hint: Some("a tenant file holds a few settings; split or shorten it".into()),
            syntax: false,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|error| ParseError {
        position: position_of_offset(bytes, error.valid_up_to()),
        message: "file is not valid UTF-8".into(),
        hint: Some("save the file as UTF-8".into()),
        syntax: false,
    })?;
    if let Some(offset) = text.find('\0') {
        return Err(ParseError {
            position: position_of_offset(bytes, offset),
            message: "file contains a NUL byte".into(),
            hint: Some("remove the NUL byte; YAML files are plain text".into()),
            syntax: false,
        });
    }
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(ParseError {
            position: at_start,
            message: "file is empty".into(),
            hint: Some("fill it in or delete it".into()),
            syntax: false,
        });
    }
    // The common case first: a valid file read straight into its value, positions left for
    // when they are asked for. Anything this path refuses (a duplicate key included) is parsed
    // again the careful way, which words the error.
    if let Ok(Plain(value)) = serde_saphyr::from_str_with_options::<Plain>(text, options()) {
        return Ok(Document {
            value,
            text: text.into(),
            positions: std::sync::OnceLock::new(),
        });
    }
    careful_parse(text)
}

/// The parse that keeps every node's position and words every refusal.
fn careful_parse(text: &str) -> Result<Document, ParseError> {
    let root: Spanned<Node> =
        serde_saphyr::from_str_with_options(text, options()).map_err(|error| {
            match second_document(text, &error) {
                Some(position) => ParseError {
                    position,
                    message: format!(
                        "a second YAML document at line {}: Argo CD reads only the first",
                        position.line
                    ),
                    hint: Some(
                        "a file holds one document: delete the `---` and what follows, or move it into its own file"
                            .into(),
                    ),
                    syntax: true,
                },
                None => from_saphyr(&error),
            }
        })?;
    let mut positions = Positions::default();
    let value = positions.absorb(root, String::new());
    // Duplicates are let through the parser (which would word them for a Rust programmer) and
    // reported here, with both positions and what Argo CD (and kubectl) make of them.
    if let Some((key, first, again)) = positions.duplicates.first() {
        return Err(ParseError {
            position: *again,
            message: format!(
                "duplicate key `{key}` (first at line {}): Argo CD reads the last one",
                first.line
            ),
            hint: Some(
                "each key may appear once in a mapping: delete the one you do not mean".into(),
            ),
            syntax: true,
        });
    }
    Ok(Document {
        value,
        text: text.into(),
        positions: std::sync::OnceLock::from(positions),
    })
}

/// Where a second document starts, when the parser stopped at one (`max_documents` is 1): the
/// first `---` line after content.
fn second_document(text: &str, error: &serde_saphyr::Error) -> Option<Position> {
    let documents = matches!(error, serde_saphyr::Error::MultipleDocuments { .. })
        || error.to_string().contains("Documents");
    if !documents {
        return None;
    }
    let mut content = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        let separator = trimmed == "---" || trimmed.starts_with("--- ") || trimmed == "...";
        if separator && content {
            return Some(Position {
                line: index + 1,
                column: 1,
            });
        }
        let blank = trimmed.trim_start().is_empty() || trimmed.trim_start().starts_with('#');
        if !blank && !separator && !trimmed.starts_with('%') {
            content = true;
        }
    }
    error.location().map(|location| Position {
        line: location.line().max(1) as usize,
        column: location.column().max(1) as usize,
    })
}

fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    // Every entry reaches `Document::absorb`, which reports a repeated key with both positions.
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    options.merge_keys = serde_saphyr::MergeKeyPolicy::Error;
    options.reject_unsupported_tags = true;
    options.with_snippet = false;
    if let Some(budget) = options.budget.as_mut() {
        budget.max_depth = MAX_DEPTH;
        budget.max_documents = 1;
        // A tenant file has about a hundred nodes; these bounds stop alias bombs early.
        budget.max_nodes = 20_000;
        budget.max_aliases = 100;
    }
    options.alias_limits.max_total_replayed_events = 20_000;
    options
}

fn from_saphyr(error: &serde_saphyr::Error) -> ParseError {
    let position = error
        .location()
        .filter(|location| location.line() > 0)
        .map(|location| Position {
            line: location.line() as usize,
            column: location.column().max(1) as usize,
        })
        .unwrap_or(Position { line: 1, column: 1 });
    let message = error.to_string();
    let first_line = message.lines().next().unwrap_or("invalid YAML").trim();
    let first_line = first_line
        .split(" at line ")
        .next()
        .unwrap_or(first_line)
        .to_string();
    if let Some(scalar) = non_finite_float(&message) {
        return ParseError {
            position,
            message: format!("{}: both fail on the file", non_finite_message(&scalar)),
            hint: Some(format!(
                "quote it (`\"{scalar}\"`) where the field holds text; no field takes an infinite or NaN number"
            )),
            syntax: true,
        };
    }
    let hint = hint_for_parse_error(&message);
    ParseError {
        position,
        message: format!("invalid YAML: {first_line}"),
        hint,
        syntax: true,
    }
}

/// The scalar (`.inf`, `-.Inf`, `.NaN`, ...) of the parser's refusal of a non-finite float, if
/// that is what `message` is.
pub fn non_finite_float(message: &str) -> Option<String> {
    let rest = message.split("non-finite float `").nth(1)?;
    rest.split('`').next().map(str::to_string)
}

/// What an unquoted non-finite float is to the tools that read the file: valid YAML, a number
/// to YAML 1.1 readers, and no value JSON can hold.
pub fn non_finite_message(scalar: &str) -> String {
    format!(
        "`{scalar}` is read as a float ({}) by Argo CD and kubectl, not as text, and JSON has no such number",
        if scalar.to_ascii_lowercase().contains("nan") {
            "not a number"
        } else {
            "infinity"
        }
    )
}

fn hint_for_parse_error(message: &str) -> Option<String> {
    let lower = message.to_lowercase();
    let hint = if lower.contains("duplicate") {
        "each key may appear once in a mapping; remove one of them"
    } else if lower.contains("merge") {
        "merge keys (`<<`) are not supported; write the keys out"
    } else if lower.contains("tab") {
        "indent with spaces, not tabs"
    } else if lower.contains("tag") {
        "remove the tag; tenant files hold plain values"
    } else if lower.contains("document") {
        "a file holds one document; move the others into their own files"
    } else if lower.contains("budget") || lower.contains("alias") || lower.contains("depth") {
        "the file is too large or too deeply nested for a tenant file"
    } else {
        return None;
    };
    Some(hint.to_string())
}

fn position_of_offset(bytes: &[u8], offset: usize) -> Position {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    Position {
        line,
        column: String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1,
    }
}

fn byte_range(location: &serde_saphyr::Location) -> Option<std::ops::Range<usize>> {
    let span = location.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    Some(start..start + len)
}

fn to_position(spanned: &serde_saphyr::Location) -> Position {
    Position {
        line: spanned.line().max(1) as usize,
        column: spanned.column().max(1) as usize,
    }
}

impl Positions {
    fn absorb(&mut self, node: Spanned<Node>, pointer: String) -> Value {
        self.values
            .insert(pointer.clone(), to_position(&node.referenced));
        if let Some(range) = byte_range(&node.referenced) {
            let alias = node.referenced != node.defined;
            self.spans.insert(pointer.clone(), (range, alias));
        }
        match node.value {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Number(n) => Value::Number(n),
            Node::String(s) => Value::String(s),
            Node::Seq(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| self.absorb(item, format!("{pointer}/{index}")))
                    .collect(),
            ),
            Node::Map(entries) => {
                let mut map = Map::new();
                let mut seen: HashMap<String, Position> = HashMap::new();
                for (key, value) in entries {
                    let at = to_position(&key.referenced);
                    match seen.get(&key.value) {
                        Some(first) => self.duplicates.push((key.value.clone(), *first, at)),
                        None => {
                            seen.insert(key.value.clone(), at);
                        }
                    }
                    let child = format!("{pointer}/{}", escape_pointer(&key.value));
                    self.keys
                        .insert(child.clone(), to_position(&key.referenced));
                    if let Some(range) = byte_range(&key.referenced) {
                        self.key_spans.insert(child.clone(), range);
                    }
                    let value = self.absorb(value, child);
                    map.insert(key.value, value);
                }
                Value::Object(map)
            }
        }
    }
}

/// A plain (unquoted) string that a YAML 1.1 reader, such as the one Argo CD and kubectl use,
/// reads as something else: a boolean, an octal or sexagesimal number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yaml11Trap {
    pub pointer: String,
    pub value: String,
    pub position: Position,
    /// What a YAML 1.1 reader makes of it, e.g. `the boolean false`.
    pub reading: String,
}

impl Document {
    /// Every plain scalar in the document that YAML 1.1 reads differently than YAML 1.2 does.
    pub fn yaml11_traps(&self, text: &str) -> Vec<Yaml11Trap> {
        self.traps(text, true)
    }

    /// [`Document::yaml11_traps`]; with `shortcut`, a value known to be written quoted is
    /// passed without working out where it is.
    fn traps(&self, text: &str, shortcut: bool) -> Vec<Yaml11Trap> {
        let mut lines: Option<Vec<&str>> = None;
        let mut traps = Vec::new();
        let mut stack = vec![(String::new(), &self.value)];
        while let Some((pointer, value)) = stack.pop() {
            match value {
                Value::String(s) => {
                    // Only a string YAML 1.1 reads otherwise needs its position (and so the
                    // positions of the whole document): almost none does.
                    let Some(reading) = yaml11_reading(s) else {
                        continue;
                    };
                    if shortcut && written_quoted(text, s) {
                        continue;
                    }
                    let position = self.value_position(&pointer);
                    let first = lines
                        .get_or_insert_with(|| text.lines().collect())
                        .get(position.line.wrapping_sub(1))
                        .and_then(|l| l.chars().nth(position.column.wrapping_sub(1)));
                    let plain = !matches!(first, Some('"' | '\'' | '|' | '>') | None);
                    if plain {
                        traps.push(Yaml11Trap {
                            pointer,
                            value: s.clone(),
                            position,
                            reading,
                        });
                    }
                }
                Value::Object(map) => {
                    stack.extend(
                        map.iter()
                            .map(|(k, v)| (format!("{pointer}/{}", escape_pointer(k)), v)),
                    );
                }
                Value::Array(items) => {
                    stack.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (format!("{pointer}/{i}"), v)),
                    );
                }
                _ => {}
            }
        }
        traps.sort_by_key(|t| t.position);
        traps
    }
}

/// Whether the string `value` can only have been written quoted in `text`: no place it is
/// written could be a plain scalar. A plain scalar is written as its value, starting the line
/// or after a space, `:`, `,` or an opening bracket, and ending the line or before a space,
/// `#`, `:`, `,` or a closing bracket; one that YAML 1.1 reads otherwise is a single word.
/// Without anchors (`&`) or tags (`!`) in the text, a value's node is where it is written, so
/// `cpuLimit: "4"` is known to be no trap without working out any position.
fn written_quoted(text: &str, value: &str) -> bool {
    if value.is_empty() || text.contains(['&', '!']) {
        return false;
    }
    let bytes = text.as_bytes();
    !text.match_indices(value).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + value.len()).copied();
        matches!(
            before,
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b':' | b',' | b'[' | b'{')
        ) && matches!(
            after,
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b'#' | b':' | b',' | b']' | b'}')
        )
    })
}

/// What a YAML 1.1 reader resolves a plain scalar to, when not a string: the boolean and null
/// forms and the int and float regular expressions of the YAML 1.1 type repository
/// (yaml.org/type/bool.html, int.html, float.html, null.html), underscores and base 60 included;
/// and, as go-yaml v2 (kubectl's and Argo CD's reader, through sigs.k8s.io/yaml) resolves a
/// scalar starting with a digit or sign: underscores removed, then Go's `strconv.ParseInt` with
/// base 0 (`0x`, `0o`, `0b`, leading-zero octal) or its float pattern (`1e10`, `09`).
fn yaml11_reading(text: &str) -> Option<String> {
    use std::sync::LazyLock;
    static INT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
        )
        .expect("YAML 1.1 int")
    });
    static FLOAT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        )
        .expect("YAML 1.1 float")
    });
    static GO_INT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$",
        )
        .expect("Go int")
    });
    static GO_FLOAT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
            .expect("go-yaml float")
    });
    const TRUE: [&str; 11] = [
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
    ];
    const FALSE: [&str; 11] = [
        "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
    ];
    if TRUE.contains(&text) {
        return Some("the boolean true".into());
    }
    if FALSE.contains(&text) {
        return Some("the boolean false".into());
    }
    if matches!(text, "~" | "null" | "Null" | "NULL") {
        return Some("null".into());
    }
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = unsigned.replace('_', "");
    let go_number = text
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'+');
    let stripped = text.replace('_', "");
    let sign = if negative { -1 } else { 1 };
    if INT.is_match(text) || (go_number && GO_INT.is_match(&stripped)) {
        if digits.contains(':') {
            let value = digits.split(':').try_fold(0i64, |acc, part| {
                acc.checked_mul(60)?.checked_add(part.parse::<i64>().ok()?)
            });
            return Some(match value {
                Some(v) => format!("the base-60 number {}", sign * v),
                None => "a base-60 number".into(),
            });
        }
        let lower = digits.to_ascii_lowercase();
        let parsed = if let Some(rest) = lower.strip_prefix("0b") {
            i64::from_str_radix(rest, 2).ok().map(|v| ("binary ", v))
        } else if let Some(rest) = lower.strip_prefix("0x") {
            i64::from_str_radix(rest, 16)
                .ok()
                .map(|v| ("hexadecimal ", v))
        } else if let Some(rest) = lower.strip_prefix("0o") {
            i64::from_str_radix(rest, 8).ok().map(|v| ("octal ", v))
        } else if lower.len() > 1 && lower.starts_with('0') {
            i64::from_str_radix(&lower, 8).ok().map(|v| ("octal ", v))
        } else {
            lower.parse::<i64>().ok().map(|v| ("", v))
        };
        return Some(match parsed {
            Some((base, v)) => format!("the {base}number {}", sign * v),
            None => "an integer too large for 64 bits".into(),
        });
    }
    let spec_float = FLOAT.is_match(text) && text.bytes().any(|b| b != b'.');
    if spec_float || (go_number && GO_FLOAT.is_match(&stripped)) {
        let lower = digits.to_ascii_lowercase();
        if lower == ".inf" {
            return Some(format!("{}infinity", if negative { "minus " } else { "" }));
        }
        if lower == ".nan" {
            return Some("not-a-number (NaN)".into());
        }
        if digits.contains(':') {
            return Some("a base-60 floating-point number".into());
        }
        return Some(match digits.parse::<f64>() {
            Ok(v) => format!("the number {}", if negative { -v } else { v }),
            Err(_) => "a floating-point number".into(),
        });
    }
    None
}

/// Escapes a key for use as one JSON pointer segment (RFC 6901).
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A YAML node as serde-saphyr hands it over, with spans on every child.
enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::String(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(Node::String(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Number::from_f64(v)
            .map(Node::Number)
            .ok_or_else(|| E::custom("numbers must be finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Node, E> {
        Err(E::custom("binary values are not supported"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

/// A document read straight into its value, as [`Node`] reads each scalar, refusing a key
/// written twice (the careful parse words that).
struct Plain(Value);

impl<'de> Deserialize<'de> for Plain {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PlainVisitor).map(Plain)
    }
}

struct PlainVisitor;

impl<'de> Visitor<'de> for PlainVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Plain::deserialize(d).map(|Plain(value)| value)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("numbers must be finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Value, E> {
        Err(E::custom("binary values are not supported"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Plain(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Plain(value) = map.next_value()?;
            if entries.insert(key, value).is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(Value::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Documents built from scalars written every way that matters to the two parses and the
    /// trap check: plain, quoted, anchored, aliased, tagged, in blocks and flows, repeated.
    fn generated_documents() -> Vec<String> {
        const WRITINGS: &[&str] = &[
            "yes",
            "\"yes\"",
            "'yes'",
            "0755",
            "\"0755\"",
            "1_000",
            "12:30",
            "'12:30'",
            "\"100000000000000001\"",
            "100000000000000001",
            "~",
            "null",
            "\"\"",
            "&a on",
            "*a",
            "!!str yes",
            "|\n    yes",
            ">-\n    off",
            "[yes, \"no\"]",
            "{b: on, c: \"n\"}",
            "\"a \\\"yes\\\"\"",
            "x yes",
            "\"yes\" # yes",
            "170141183460469231731687303715884105728",
            ".inf",
            "\"on\"",
            "- 1\n  - \"y\"",
            "'it''s'",
            "\"\\u0079es\"",
            "&q \"yes\"",
            "*q",
            "!!str \"off\"",
            "4",
            "\"4\"",
            "a4",
            "[4, \"4\"]",
            "4b",
            "\"v1.4\"",
            "{4: \"4\"}",
            "[\"on\",on]",
            "\"x\" # 4",
            "[\n    \"on\",\n    on\n  ]",
            "\"on\" #\n  # on",
        ];
        const KEYS: &[&str] = &["a", "b", "on", "\"yes\"", "a"];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        (0..3000)
            .map(|_| {
                if next(10) == 0 {
                    // A document that is one scalar, written at the start of a line.
                    let comment = if next(2) == 0 { "# a comment\n" } else { "" };
                    return format!("{comment}{}\n", WRITINGS[next(WRITINGS.len())]);
                }
                let entries = 1 + next(4);
                (0..entries)
                    .map(|_| {
                        let key = KEYS[next(KEYS.len())];
                        let value = WRITINGS[next(WRITINGS.len())];
                        if next(4) == 0 {
                            format!("{key}:\n  - {value}\n")
                        } else {
                            format!("{key}: {value}\n")
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_fast_parse_and_the_quoted_shortcut_agree_with_the_careful_parse() {
        let (mut fast, mut careful) = (0, 0);
        for text in generated_documents() {
            let quick = parse(text.as_bytes());
            let slow = careful_parse(&text);
            match (&quick, &slow) {
                (Ok(quick), Ok(slow)) => {
                    assert_eq!(quick.value, slow.value, "{text}");
                    if quick.positions.get().is_none() {
                        fast += 1;
                    }
                    // Positions worked out later are the careful parse's.
                    assert_eq!(
                        quick.value_position("/a"),
                        slow.value_position("/a"),
                        "{text}"
                    );
                    assert_eq!(quick.key_span("/b"), slow.key_span("/b"), "{text}");
                    assert_eq!(quick.traps(&text, true), slow.traps(&text, false), "{text}");
                }
                (Err(quick), Err(slow)) => {
                    careful += 1;
                    assert_eq!(
                        (&quick.message, quick.position),
                        (&slow.message, slow.position),
                        "{text}"
                    );
                }
                _ => panic!("the parses disagree on {text:?}: {quick:?} vs {slow:?}"),
            }
        }
        // Both paths were taken, many times.
        assert!(
            fast > 500 && careful > 500,
            "fast {fast}, refused {careful}"
        );
    }

    #[test]
    fn a_duplicate_key_and_a_second_document_are_said_as_argo_cd_reads_them() {
        let error =
            parse(b"guild_id: \"7\"\ntier: pro\nx: 1\ntier: free\ntier: gold\n").unwrap_err();
        assert_eq!(
            error.message,
            "duplicate key `tier` (first at line 2): Argo CD reads the last one"
        );
        assert_eq!(error.position, Position { line: 4, column: 1 });
        let nested = parse(b"a:\n  b: 1\n  b: 2\n").unwrap_err();
        assert_eq!(nested.position.line, 3);
        let error = parse(b"# c\n---\nguild_id: \"7\"\n\n---\nguild_id: \"8\"\n").unwrap_err();
        assert_eq!(
            error.message,
            "a second YAML document at line 5: Argo CD reads only the first"
        );
        assert_eq!(error.position, Position { line: 5, column: 1 });
    }

    #[test]
    fn positions_point_at_values_and_keys() {
        let doc = parse(b"guild_id: \"1\"\ntier: free\nnested:\n  deep: [a, b]\n").unwrap();
        assert_eq!(doc.value_position("/tier"), Position { line: 2, column: 7 });
        assert_eq!(doc.key_position("/tier"), Position { line: 2, column: 1 });
        assert_eq!(
            doc.value_position("/nested/deep/1"),
            Position {
                line: 4,
                column: 13
            }
        );
        assert_eq!(
            doc.value_position("/missing/x"),
            Position { line: 1, column: 1 }
        );
    }

    #[test]
    fn spans_cover_values_and_keys() {
        let text = "a: \"x\"  # c\nb: 'y'\nd:\n  e: \"é\"\ng: &x q\nh: *x\n";
        let doc = parse(text.as_bytes()).unwrap();
        let value = |p: &str| doc.value_span(p).map(|r| &text[r]);
        assert_eq!(value("/a"), Some("\"x\""));
        assert_eq!(value("/b"), Some("'y'"));
        assert_eq!(value("/d/e"), Some("\"é\""));
        assert_eq!(value("/g"), Some("q"));
        assert_eq!(value("/h"), None, "an alias has no span of its own");
        assert_eq!(doc.key_span("/d/e").map(|r| &text[r]), Some("e"));
    }

    #[test]
    fn yaml_traps_are_refused_or_kept_as_strings() {
        assert!(
            parse(b"a: 1\na: 2\n")
                .unwrap_err()
                .message
                .contains("uplicate")
        );
        assert!(parse(b"a: &x {b: 1}\nc:\n  <<: *x\n").is_err());
        assert!(parse(b"a: !custom x\n").is_err());
        assert_eq!(parse(b"a: 0755\n").unwrap().value["a"], "0755");
        assert_eq!(parse(b"a: no\n").unwrap().value["a"], "no");
        assert!(parse(b"").is_err());
        assert!(parse(b"a: 1\n---\nb: 2\n").is_err());
        assert!(parse(b"a: \xff\n").is_err());
    }

    #[test]
    fn finds_yaml_1_1_traps_in_plain_scalars_only() {
        let text = "a: no\nb: \"no\"\nc: 0755\nd: 12:30\ne: 'on'\nf: 100m\n";
        let doc = parse(text.as_bytes()).unwrap();
        let traps: Vec<(String, String)> = doc
            .yaml11_traps(text)
            .into_iter()
            .map(|t| (t.pointer, t.reading))
            .collect();
        assert_eq!(
            traps,
            [
                ("/a".to_string(), "the boolean false".to_string()),
                ("/c".to_string(), "the octal number 493".to_string()),
                ("/d".to_string(), "the base-60 number 750".to_string()),
            ]
        );
    }

    #[test]
    fn yaml_1_1_numbers_with_underscores_bases_and_base_60() {
        for (text, reading) in [
            ("1_0", "the number 10"),
            ("0x_1F", "the hexadecimal number 31"),
            ("0b1_0", "the binary number 2"),
            ("0o1_7", "the octal number 15"),
            ("0755", "the octal number 493"),
            ("-0_7", "the octal number -7"),
            ("1:20", "the base-60 number 80"),
            ("1:20.5", "a base-60 floating-point number"),
            ("1e1_0", "the number 10000000000"),
            ("0.1_5", "the number 0.15"),
            ("09", "the number 9"),
            ("1_", "the number 1"),
            ("1.2.3", "a floating-point number"),
            ("+.inf", "infinity"),
            (".NaN", "not-a-number (NaN)"),
            ("Yes", "the boolean true"),
            ("FALSE", "the boolean false"),
            ("Null", "null"),
            (
                "123456789012345678901234",
                "an integer too large for 64 bits",
            ),
        ] {
            assert_eq!(yaml11_reading(text).as_deref(), Some(reading), "{text}");
        }
        for text in [
            "v1.2.3", "0x", "100m", "4Gi", "1-0", "abc", ".", "_1", "1e", "1:2:3a",
        ] {
            assert_eq!(yaml11_reading(text), None, "{text}");
        }
    }
}
