//! JSON Schema checks of a parsed file, with each error mapped to the line and column it is about.

use jsonschema::Validator;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::diagnostic::{Diagnostic, code};
use super::suggest::closest;
use crate::yaml::{Document, escape_pointer};

/// A compiled schema and its source (for looking up field names in hints).
pub struct Schema {
    validator: Validator,
    source: Value,
}

impl Schema {
    /// Compiles a schema; `name` says which file it came from for the error.
    pub fn compile(name: &str, text: &str) -> anyhow::Result<Schema> {
        use anyhow::Context as _;
        let source: Value =
            serde_json::from_str(text).with_context(|| format!("{name} is not valid JSON"))?;
        let validator = jsonschema::draft202012::new(&source)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("{name} is not a valid JSON Schema"))?;
        Ok(Schema { validator, source })
    }

    /// Every schema violation in `document` (parsed from `text`), located in the file `file`.
    pub fn check(&self, file: &str, text: &str, document: &Document) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for error in self.validator.iter_errors(&document.value) {
            let pointer = error.instance_path().as_str().to_string();
            let schema_path = error.schema_path().as_str().to_string();
            let instance = lookup(&document.value, &pointer);
            match error.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for key in unexpected {
                        out.push(self.unknown_field(file, document, &pointer, key));
                    }
                }
                ValidationErrorKind::Required { property } => {
                    let name = property.as_str().unwrap_or_default();
                    out.push(
                        Diagnostic::error(
                            file,
                            document.value_position(&pointer),
                            code::MISSING_FIELD,
                            format!("missing field `{name}`{}", location_suffix(&pointer)),
                        )
                        .with_hint(format!("add `{name}: ...`")),
                    );
                }
                ValidationErrorKind::Type { kind } => {
                    out.push(wrong_type(file, text, document, &pointer, kind, instance));
                }
                ValidationErrorKind::Pattern { .. } if pointer == "/guild_id" => {
                    out.push(
                        Diagnostic::error(
                            file,
                            document.value_position(&pointer),
                            code::BAD_ID,
                            format!("guild_id `{}` is not a Discord guild ID", plain(instance)),
                        )
                        .with_hint("a Discord guild ID (snowflake) is 1 to 20 digits, quoted: \"123456789\""),
                    );
                }
                ValidationErrorKind::Pattern { .. } if schema_path.contains("quantity") => {
                    out.push(
                        Diagnostic::error(
                            file,
                            document.value_position(&pointer),
                            code::BAD_QUANTITY,
                            format!("{} `{}` is not a Kubernetes quantity", field_name(&pointer), plain(instance)),
                        )
                        .with_hint("write a number with an optional suffix, quoted: \"100m\", \"0.5\", \"128Mi\", \"1Gi\""),
                    );
                }
                ValidationErrorKind::Enum { options } => {
                    let known: Vec<&str> = options
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    let mut diagnostic = Diagnostic::error(
                        file,
                        document.value_position(&pointer),
                        code::SCHEMA,
                        format!(
                            "{} `{}` is not one of {}",
                            field_name(&pointer),
                            plain(instance),
                            known.join(", ")
                        ),
                    );
                    if let Some(near) = closest(&plain(instance), known.iter().copied()) {
                        diagnostic = diagnostic.with_hint(format!("did you mean `{near}`?"));
                    }
                    out.push(diagnostic);
                }
                _ => {
                    let description = self.description_at(&schema_path);
                    let mut diagnostic = Diagnostic::error(
                        file,
                        document.value_position(&pointer),
                        code::SCHEMA,
                        format!("{}: {error}", field_name(&pointer)),
                    );
                    if let Some(description) = description {
                        diagnostic = diagnostic.with_hint(description);
                    }
                    out.push(diagnostic);
                }
            }
        }
        out
    }

    fn unknown_field(
        &self,
        file: &str,
        document: &Document,
        pointer: &str,
        key: &str,
    ) -> Diagnostic {
        let at = document.key_position(&format!("{pointer}/{}", escape_pointer(key)));
        let known = self.known_keys(pointer);
        let diagnostic = Diagnostic::error(
            file,
            at,
            code::UNKNOWN_FIELD,
            format!("unknown field `{key}`{}", location_suffix(pointer)),
        );
        match closest(key, known.iter().map(String::as_str)) {
            Some(near) => diagnostic.with_hint(format!("did you mean `{near}`?")),
            None if !known.is_empty() => {
                diagnostic.with_hint(format!("known fields: {}", known.join(", ")))
            }
            None => diagnostic,
        }
    }

    /// The property names the schema allows in the object at `pointer`.
    fn known_keys(&self, pointer: &str) -> Vec<String> {
        let mut schema = &self.source;
        for segment in pointer.split('/').skip(1) {
            schema = self.resolve(schema);
            schema = match schema.get("properties").and_then(|p| p.get(segment)) {
                Some(child) => child,
                None => match schema.get("additionalProperties") {
                    Some(child) if child.is_object() => child,
                    _ => return Vec::new(),
                },
            };
        }
        self.resolve(schema)
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| props.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(target) => self.source.pointer(target).unwrap_or(schema),
            None => schema,
        }
    }

    /// The `description` of the schema node whose keyword failed, for a hint.
    fn description_at(&self, schema_path: &str) -> Option<String> {
        let parent = &schema_path[..schema_path.rfind('/')?];
        let node = self.source.pointer(parent)?;
        Some(self.resolve(node).get("description")?.as_str()?.to_string())
    }
}

fn wrong_type(
    file: &str,
    text: &str,
    document: &Document,
    pointer: &str,
    kind: &TypeKind,
    instance: &Value,
) -> Diagnostic {
    let expected = match kind {
        TypeKind::Single(t) => t.to_string(),
        TypeKind::Multiple(types) => types
            .into_iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
    };
    let found = match instance {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    };
    let diagnostic = Diagnostic::error(
        file,
        document.value_position(pointer),
        code::WRONG_TYPE,
        format!(
            "{} must be a {expected}, found {found}",
            field_name(pointer)
        ),
    );
    if expected == "string" && matches!(instance, Value::Number(_) | Value::Bool(_)) {
        // An ID such as a Discord guild ID is past 2^53: a reader that holds JSON numbers as
        // doubles (YAML -> JSON in Argo CD's tooling) turns 123456789012345678 into
        // 1.2345678901234568e+17.
        let big = instance
            .as_u64()
            .map(|n| n > 1 << 53)
            .or_else(|| instance.as_i64().map(|n| n.unsigned_abs() > 1 << 53))
            .unwrap_or(false);
        let diagnostic = if big {
            let double = format!("{:e}", instance.as_f64().unwrap_or_default());
            let double = if double.contains("e-") {
                double
            } else {
                double.replacen('e', "e+", 1)
            };
            let mut message = diagnostic.message.clone();
            message.push_str(&format!(
                " (YAML -> JSON readers that hold numbers as doubles make it {double})"
            ));
            Diagnostic {
                message,
                ..diagnostic
            }
        } else {
            diagnostic
        };
        // Quoted as written (`1_0`, not the `10` it parsed to): quoting keeps the user's text.
        let written = document
            .value_span(pointer)
            .and_then(|range| text.get(range))
            .map(str::trim)
            .filter(|written| !written.is_empty())
            .map_or_else(|| plain(instance), str::to_string);
        diagnostic.with_hint(format!("quote it: \"{written}\""))
    } else if expected == "string" && instance.is_null() {
        diagnostic.with_hint("give it a value, quoted")
    } else {
        diagnostic
    }
}

fn lookup<'a>(value: &'a Value, pointer: &str) -> &'a Value {
    value.pointer(pointer).unwrap_or(&Value::Null)
}

/// A value as the user wrote it: strings without quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `the file` for the root, otherwise `field `a.b``.
fn field_name(pointer: &str) -> String {
    if pointer.is_empty() {
        "the file".to_string()
    } else {
        let dotted = pointer[1..]
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect::<Vec<_>>()
            .join(".");
        format!("`{dotted}`")
    }
}

fn location_suffix(pointer: &str) -> String {
    if pointer.is_empty() {
        String::new()
    } else {
        format!(" in {}", field_name(pointer))
    }
}
