//! The documented subset of Go's text/template (with sprig functions) that Argo CD's
//! ApplicationSet controller runs on `goTemplate: true` templates, evaluated exactly as Go does,
//! or refused: field references (`.a.b`), string, raw-string and integer literals, pipelines,
//! trim markers and the functions in [`FUNCTIONS`]. Anything else (`if`, `range`, variables,
//! parentheses, comments, any other function) is [`TemplateError::Unsupported`], never guessed.
//!
//! What Go does that a naive reading gets wrong, and this module follows:
//! - a missing key (and a key holding null) is Go's nil: printed as `<no value>`, passed as nil
//!   to functions (`default` then gives its default, `upper` fails); with `missingkey=error`
//!   (what tenantctl's ApplicationSets set) a missing key fails the template instead;
//! - `{{-` / `-}}` trim the white space of the adjacent *text* only, never the output of an
//!   action before or after it;
//! - parameters from JSON are float64, so a function taking a string fails on a number rather
//!   than printing it; `trunc` counts bytes, as sprig does.

use serde_json::{Map, Value};

/// Sprig functions (and Go template builtins) evaluated exactly as Argo CD's are.
pub const FUNCTIONS: [&str; 10] = [
    "lower",
    "upper",
    "trim",
    "trimPrefix",
    "trimSuffix",
    "replace",
    "trunc",
    "default",
    "quote",
    "squote",
];

/// Why a template could not be filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// A construct outside the subset: `construct` is its text, for finding its line.
    Unsupported { construct: String, message: String },
    /// `missingkey=error` and the parameters have no such key.
    MissingKey { key: String },
    /// Go itself fails executing the template here (Argo CD generates nothing from the set).
    Fails { message: String },
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Unsupported { message, .. } => f.write_str(message),
            TemplateError::MissingKey { key } => {
                write!(f, "map has no entry for key \"{key}\" (missingkey=error)")
            }
            TemplateError::Fails { message } => f.write_str(message),
        }
    }
}

type Outcome<T> = std::result::Result<T, TemplateError>;

/// A value as Go's template engine holds it.
#[derive(Debug, Clone, PartialEq)]
enum GoValue {
    /// An absent key or JSON null: Go's nil interface.
    Nil,
    Str(String),
    /// A number from the parameters: float64, as encoding/json makes it.
    Float(serde_json::Number),
    /// An integer literal of the template.
    Int(i64),
    Bool(bool),
    /// A map or list: printed with Go's `%v`, which tenantctl does not predict.
    Composite(&'static str),
}

impl GoValue {
    fn from_json(value: &Value) -> GoValue {
        match value {
            Value::Null => GoValue::Nil,
            Value::String(s) => GoValue::Str(s.clone()),
            Value::Number(n) => GoValue::Float(n.clone()),
            Value::Bool(b) => GoValue::Bool(*b),
            Value::Array(_) => GoValue::Composite("list"),
            Value::Object(_) => GoValue::Composite("map"),
        }
    }

    /// Go's type name, for error messages as Go words them.
    fn type_name(&self) -> &'static str {
        match self {
            GoValue::Nil => "nil",
            GoValue::Str(_) => "string",
            GoValue::Float(_) => "float64",
            GoValue::Int(_) => "int",
            GoValue::Bool(_) => "bool",
            GoValue::Composite("list") => "[]interface {}",
            GoValue::Composite(_) => "map[string]interface {}",
        }
    }

    /// sprig's `strval` (`fmt.Sprintf("%v")`), `None` for what is not predicted.
    fn strval(&self) -> Option<String> {
        match self {
            GoValue::Str(s) => Some(s.clone()),
            GoValue::Float(n) => Some(crate::apps::go_number(n)),
            GoValue::Int(i) => Some(i.to_string()),
            GoValue::Bool(b) => Some(b.to_string()),
            GoValue::Nil => Some("<nil>".into()),
            GoValue::Composite(_) => None,
        }
    }
}

/// Fills in one string of a template as Go's text/template does with Argo CD's parameters.
pub fn fill(text: &str, params: &Map<String, Value>, strict: bool) -> Outcome<String> {
    let mut out = String::new();
    let mut rest = text;
    // Trim markers reach only into text: where the text since the last action starts in `out`.
    while let Some(start) = rest.find("{{") {
        let text_start = out.len();
        out += &rest[..start];
        let after = &rest[start + 2..];
        let end = action_end(after).ok_or_else(|| TemplateError::Fails {
            message: format!("unclosed action `{{{{` in `{text}`"),
        })?;
        let mut action = &after[..end];
        let trim_left = action.starts_with('-') && action[1..].starts_with(go_space);
        let trim_right = action.ends_with('-')
            && action[..action.len() - 1].ends_with(go_space)
            && action.len() >= 2;
        if trim_left {
            action = &action[1..];
            let kept = out[text_start..].trim_end_matches(go_space).len();
            out.truncate(text_start + kept);
        }
        if trim_right {
            action = &action[..action.len() - 1];
        }
        let value = pipeline(action.trim_matches(go_space), params, strict)?;
        out += &print(&value, action)?;
        rest = &after[end + 2..];
        if trim_right {
            rest = rest.trim_start_matches(go_space);
        }
    }
    out += rest;
    Ok(out)
}

/// White space as Go's template lexer sees it (ASCII only).
fn go_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Where the action starting at `text` ends (`}}` outside string literals).
fn action_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The text of a pipeline's final value, as text/template prints it.
fn print(value: &GoValue, action: &str) -> Outcome<String> {
    match value {
        GoValue::Nil => Ok("<no value>".into()),
        GoValue::Composite(kind) => Err(unsupported(
            action,
            format!(
                "`{{{{{action}}}}}` prints a {kind}, which Argo CD would print as Go prints maps and lists; tenantctl does not predict that"
            ),
        )),
        other => Ok(other.strval().unwrap_or_default()),
    }
}

fn unsupported(construct: &str, message: String) -> TemplateError {
    TemplateError::Unsupported {
        construct: construct.trim().to_string(),
        message,
    }
}

fn refuse(construct: &str) -> TemplateError {
    unsupported(
        construct,
        format!(
            "`{{{{ {} }}}}` uses a template construct tenantctl does not evaluate (it evaluates field references, string and integer literals, pipelines, trim markers and {})",
            construct.trim(),
            FUNCTIONS.join(", ")
        ),
    )
}

/// A lexical item of an action.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Field(Vec<String>),
    Str(String),
    Int(i64),
    Ident(String),
    Pipe,
}

fn tokens(action: &str) -> Outcome<Vec<Token>> {
    let mut found = Vec::new();
    let chars: Vec<char> = action.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if go_space(c) {
            i += 1;
        } else if c == '|' {
            found.push(Token::Pipe);
            i += 1;
        } else if c == '"' {
            let mut literal = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(refuse(action)),
                    Some('"') => break,
                    Some('\\') => {
                        literal.push(match chars.get(i + 1) {
                            Some('\\') => '\\',
                            Some('"') => '"',
                            Some('n') => '\n',
                            Some('t') => '\t',
                            // Other escapes (octal, \x, \u) are refused rather than guessed.
                            _ => return Err(refuse(action)),
                        });
                        i += 2;
                    }
                    Some(other) => {
                        literal.push(*other);
                        i += 1;
                    }
                }
            }
            i += 1;
            found.push(Token::Str(literal));
        } else if c == '`' {
            let end = chars[i + 1..]
                .iter()
                .position(|c| *c == '`')
                .ok_or_else(|| refuse(action))?;
            found.push(Token::Str(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else {
            let end = chars[i..]
                .iter()
                .position(|c| go_space(*c) || *c == '|')
                .map_or(chars.len(), |p| i + p);
            let word: String = chars[i..end].iter().collect();
            i = end;
            found.push(word_token(&word).ok_or_else(|| refuse(action))?);
        }
    }
    Ok(found)
}

fn word_token(word: &str) -> Option<Token> {
    let is_name = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    if let Some(chain) = word.strip_prefix('.') {
        let parts: Vec<String> = chain.split('.').map(str::to_string).collect();
        return parts
            .iter()
            .all(|p| is_name(p))
            .then_some(Token::Field(parts));
    }
    // Decimal integers only: Go's other number forms (hex, floats, runes) are refused.
    let digits = word.strip_prefix(['-', '+']).unwrap_or(word);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return word.parse().ok().map(Token::Int);
    }
    let keyword = matches!(
        word,
        "if" | "else"
            | "end"
            | "range"
            | "with"
            | "define"
            | "template"
            | "block"
            | "break"
            | "continue"
            | "nil"
            | "true"
            | "false"
    );
    (is_name(word) && !keyword).then(|| Token::Ident(word.to_string()))
}

fn pipeline(action: &str, params: &Map<String, Value>, strict: bool) -> Outcome<GoValue> {
    let tokens = tokens(action)?;
    let commands: Vec<&[Token]> = tokens.split(|t| *t == Token::Pipe).collect();
    if commands.iter().any(|c| c.is_empty()) {
        return Err(refuse(action));
    }
    let mut value: Option<GoValue> = None;
    for command in commands {
        value = Some(match &command[0] {
            Token::Ident(function) => {
                let mut args = command[1..]
                    .iter()
                    .map(|t| operand(t, action, params, strict))
                    .collect::<Outcome<Vec<_>>>()?;
                // A pipeline passes the previous command's value as the last argument.
                args.extend(value.take());
                call(function, args, action)?
            }
            first if command.len() == 1 && value.is_none() => {
                operand(first, action, params, strict)?
            }
            // An operand with arguments, or a non-function after `|`: Go refuses it too, and
            // tenantctl does not word Go's error.
            _ => return Err(refuse(action)),
        });
    }
    value.ok_or_else(|| refuse(action))
}

fn operand(
    token: &Token,
    action: &str,
    params: &Map<String, Value>,
    strict: bool,
) -> Outcome<GoValue> {
    match token {
        Token::Str(s) => Ok(GoValue::Str(s.clone())),
        Token::Int(i) => Ok(GoValue::Int(*i)),
        Token::Field(chain) => field(chain, params, strict),
        // A function call as an argument needs parentheses, which are refused.
        _ => Err(refuse(action)),
    }
}

/// `.a.b` on the parameters, as text/template's evalField walks maps.
fn field(chain: &[String], params: &Map<String, Value>, strict: bool) -> Outcome<GoValue> {
    let mut current: Option<&Value> = None;
    for (i, key) in chain.iter().enumerate() {
        let map = if i == 0 {
            Some(params)
        } else {
            match current {
                Some(Value::Object(map)) => Some(map),
                // Nil on the way: Go gives nil (or, with missingkey=error, fails).
                Some(Value::Null) | None => None,
                Some(other) => {
                    return Err(TemplateError::Fails {
                        message: format!(
                            "can't evaluate field {key} in type {}",
                            GoValue::from_json(other).type_name()
                        ),
                    });
                }
            }
        };
        current = match map {
            Some(map) => match map.get(key) {
                Some(found) => Some(found),
                None if strict => {
                    return Err(TemplateError::MissingKey {
                        key: chain[..=i].join("."),
                    });
                }
                None => None,
            },
            None if strict => {
                return Err(TemplateError::Fails {
                    message: format!("nil data; no entry for key \"{key}\""),
                });
            }
            None => None,
        };
    }
    Ok(current.map_or(GoValue::Nil, GoValue::from_json))
}

/// A string argument as Go's reflection call checks it.
fn string_arg(function: &str, value: &GoValue) -> Outcome<String> {
    match value {
        GoValue::Str(s) => Ok(s.clone()),
        GoValue::Nil => Err(TemplateError::Fails {
            message: format!("error calling {function}: invalid value; expected string"),
        }),
        other => Err(TemplateError::Fails {
            message: format!(
                "error calling {function}: wrong type for value; expected string; got {}",
                other.type_name()
            ),
        }),
    }
}

/// Go's `unicode.ToLower`/`ToUpper`, a character at a time; a character whose case mapping is
/// not one character (Rust's full mapping differs from Go's simple one there) is refused.
fn map_case(function: &str, text: &str, upper: bool) -> Outcome<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mut mapped: Vec<char> = if upper {
            c.to_uppercase().collect()
        } else {
            c.to_lowercase().collect()
        };
        if mapped.len() != 1 {
            return Err(unsupported(
                function,
                format!(
                    "`{function}` of `{c}`: Go maps its case differently from Rust; tenantctl does not predict it"
                ),
            ));
        }
        out.push(mapped.remove(0));
    }
    Ok(out)
}

/// sprig's `empty`, which `default` tests.
fn empty(value: &GoValue) -> bool {
    match value {
        GoValue::Nil => true,
        GoValue::Str(s) => s.is_empty(),
        GoValue::Float(n) => n.as_f64() == Some(0.0),
        GoValue::Int(i) => *i == 0,
        GoValue::Bool(b) => !b,
        GoValue::Composite(_) => false,
    }
}

/// Go's `strconv.Quote` for the characters it keeps or escapes.
fn go_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            '\n' => out += "\\n",
            '\t' => out += "\\t",
            '\r' => out += "\\r",
            '\u{7}' => out += "\\a",
            '\u{8}' => out += "\\b",
            '\u{c}' => out += "\\f",
            '\u{b}' => out += "\\v",
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out += &format!("\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn call(function: &str, args: Vec<GoValue>, action: &str) -> Outcome<GoValue> {
    let arity = |want: usize| -> Outcome<()> {
        if args.len() == want {
            Ok(())
        } else {
            Err(TemplateError::Fails {
                message: format!(
                    "wrong number of args for {function}: want {want} got {}",
                    args.len()
                ),
            })
        }
    };
    let s = |i: usize| string_arg(function, &args[i]);
    Ok(match function {
        "lower" | "upper" => {
            arity(1)?;
            GoValue::Str(map_case(function, &s(0)?, function == "upper")?)
        }
        "trim" => {
            arity(1)?;
            GoValue::Str(s(0)?.trim().to_string())
        }
        // sprig: trimPrefix(prefix, s), trimSuffix(suffix, s), replace(old, new, s).
        "trimPrefix" => {
            arity(2)?;
            let (prefix, text) = (s(0)?, s(1)?);
            GoValue::Str(text.strip_prefix(&prefix).unwrap_or(&text).to_string())
        }
        "trimSuffix" => {
            arity(2)?;
            let (suffix, text) = (s(0)?, s(1)?);
            GoValue::Str(text.strip_suffix(&suffix).unwrap_or(&text).to_string())
        }
        "replace" => {
            arity(3)?;
            GoValue::Str(s(2)?.replace(&s(0)?, &s(1)?))
        }
        "trunc" => {
            arity(2)?;
            let GoValue::Int(count) = args[0] else {
                return Err(TemplateError::Fails {
                    message: format!(
                        "error calling trunc: wrong type for value; expected int; got {}",
                        args[0].type_name()
                    ),
                });
            };
            let text = s(1)?;
            // sprig slices bytes; a cut inside a character would be invalid UTF-8 in Go.
            let len = text.len() as i64;
            let range = if count < 0 && len + count > 0 {
                (len + count) as usize..text.len()
            } else if count >= 0 && len > count {
                0..count as usize
            } else {
                0..text.len()
            };
            match text.get(range) {
                Some(cut) => GoValue::Str(cut.to_string()),
                None => {
                    return Err(unsupported(
                        action,
                        format!(
                            "`trunc {count}` cuts `{text}` inside a character; tenantctl does not predict the bytes Go gives"
                        ),
                    ));
                }
            }
        }
        // sprig: default(fallback, given...): the given value unless it is empty.
        "default" => {
            if args.is_empty() || args.len() > 2 {
                return Err(TemplateError::Fails {
                    message: format!(
                        "wrong number of args for default: want at least 1 got {}",
                        args.len()
                    ),
                });
            }
            match args.get(1) {
                Some(given) if !empty(given) => given.clone(),
                _ => args[0].clone(),
            }
        }
        // sprig: quote/squote(values...): each non-nil value's strval, quoted, space-separated.
        "quote" | "squote" => {
            let mut quoted = Vec::new();
            for value in args.iter().filter(|v| **v != GoValue::Nil) {
                let text = value.strval().ok_or_else(|| refuse(action))?;
                quoted.push(if function == "quote" {
                    go_quote(&text)
                } else {
                    format!("'{text}'")
                });
            }
            GoValue::Str(quoted.join(" "))
        }
        _ => return Err(refuse(action)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Map<String, Value> {
        serde_json::from_str(
            r#"{"guild_id": "8801", "tier": "Pro", "n": 7, "zero": 0, "nothing": null,
                "path": {"basename": "guilds"}, "list": [1]}"#,
        )
        .unwrap()
    }

    fn go(text: &str) -> Outcome<String> {
        fill(text, &params(), false)
    }

    fn strict(text: &str) -> Outcome<String> {
        fill(text, &params(), true)
    }

    #[test]
    fn field_references_print_as_go_prints_them() {
        assert_eq!(go("guild-{{ .guild_id }}").unwrap(), "guild-8801");
        assert_eq!(go("{{.path.basename}}").unwrap(), "guilds");
        assert_eq!(go("{{ .n }}").unwrap(), "7");
        assert!(matches!(
            go("{{ .path }}"),
            Err(TemplateError::Unsupported { .. })
        ));
    }

    #[test]
    fn a_missing_key_is_nil_without_missingkey_error() {
        // text/template: `<no value>` printed, nil passed to functions.
        assert_eq!(go("{{ .x }}").unwrap(), "<no value>");
        assert_eq!(go("{{ .nothing }}").unwrap(), "<no value>");
        assert_eq!(go(r#"{{ .x | default "d" }}"#).unwrap(), "d");
        assert_eq!(go(r#"{{ default "d" .x }}"#).unwrap(), "d");
        assert_eq!(go("{{ .x.y }}").unwrap(), "<no value>");
        let upper = go("{{ .x | upper }}").unwrap_err();
        assert_eq!(
            upper,
            TemplateError::Fails {
                message: "error calling upper: invalid value; expected string".into()
            }
        );
        // sprig's quote skips nil values.
        assert_eq!(go("{{ .x | quote }}").unwrap(), "");
    }

    #[test]
    fn with_missingkey_error_a_missing_key_fails_with_its_own_error() {
        assert_eq!(
            strict("{{ .x }}").unwrap_err(),
            TemplateError::MissingKey { key: "x".into() }
        );
        assert_eq!(
            strict(r#"{{ .x | default "d" }}"#).unwrap_err(),
            TemplateError::MissingKey { key: "x".into() }
        );
        assert_eq!(
            strict("{{ .path.nope }}").unwrap_err(),
            TemplateError::MissingKey {
                key: "path.nope".into()
            }
        );
        // A key that is there with a null value is not missing.
        assert_eq!(strict("{{ .nothing }}").unwrap(), "<no value>");
    }

    #[test]
    fn trim_markers_trim_only_the_adjacent_text() {
        assert_eq!(go("guild- {{- .guild_id }}").unwrap(), "guild-8801");
        assert_eq!(go("{{ .guild_id -}}  -x").unwrap(), "8801-x");
        assert_eq!(go("a \n\t{{- .n -}} \n b").unwrap(), "a7b");
        // The output of an action is never trimmed: `{{ " x " }} {{- .n }}` is ` x 7`.
        assert_eq!(go(r#"{{ " x " }} {{- .n }}"#).unwrap(), " x 7");
        assert_eq!(go(r#"{{ .n -}} {{ " y " }}"#).unwrap(), "7 y ");
        // `{{-3}}` is the number -3, not a trim marker.
        assert_eq!(go("a {{-3}}").unwrap(), "a -3");
    }

    #[test]
    fn sprig_functions_evaluate_as_sprig_does() {
        assert_eq!(go("{{ .tier | lower }}").unwrap(), "pro");
        assert_eq!(go("{{ upper .tier }}").unwrap(), "PRO");
        assert_eq!(go("{{ .tier | upper | trunc 2 }}").unwrap(), "PR");
        assert_eq!(go("{{ .tier | trunc -2 }}").unwrap(), "ro");
        assert_eq!(go(r#"{{ .tier | replace "P" "p" }}"#).unwrap(), "pro");
        assert_eq!(go(r#"{{ .guild_id | trimPrefix "88" }}"#).unwrap(), "01");
        assert_eq!(go(r#"{{ .guild_id | trimSuffix "01" }}"#).unwrap(), "88");
        assert_eq!(go(r#"{{ " a " | trim }}"#).unwrap(), "a");
        assert_eq!(go("{{ .tier | quote }}").unwrap(), "\"Pro\"");
        assert_eq!(go("{{ .n | quote }}").unwrap(), "\"7\"");
        assert_eq!(go("{{ .tier | squote }}").unwrap(), "'Pro'");
        assert_eq!(go(r#"{{ "a|b" | upper }}"#).unwrap(), "A|B");
        assert_eq!(go(r#"{{ .zero | default "none" }}"#).unwrap(), "none");
        assert_eq!(go(r#"{{ .n | default "none" }}"#).unwrap(), "7");
        assert_eq!(go("{{ `raw` }}").unwrap(), "raw");
    }

    #[test]
    fn go_errors_are_go_errors_not_guesses() {
        // A float64 parameter is not a string: Go fails rather than printing it.
        assert_eq!(
            go("{{ .n | upper }}").unwrap_err(),
            TemplateError::Fails {
                message: "error calling upper: wrong type for value; expected string; got float64"
                    .into()
            }
        );
        assert!(matches!(
            go("{{ upper }}"),
            Err(TemplateError::Fails { .. })
        ));
        assert!(matches!(
            go("{{ .guild_id.x }}"),
            Err(TemplateError::Fails { .. })
        ));
    }

    #[test]
    fn everything_else_is_refused_with_its_construct() {
        for refused in [
            "{{ .tier | b64enc }}",
            "{{ index .list 0 }}",
            "{{ if .tier }}x{{ end }}",
            "{{ $x := 1 }}",
            "{{ (upper .tier) }}",
            "{{/* comment */}}",
            "{{ .list }}",
            "{{ 1.5 }}",
        ] {
            assert!(
                matches!(go(refused), Err(TemplateError::Unsupported { .. })),
                "{refused}: {:?}",
                go(refused)
            );
        }
        let Err(TemplateError::Unsupported { construct, .. }) = go("x {{ .tier | b64enc }}") else {
            panic!("refused")
        };
        assert_eq!(construct, ".tier | b64enc");
    }
}
