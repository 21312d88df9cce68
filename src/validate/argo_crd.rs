//! The rendered ApplicationSets and AppProjects against the upstream Argo CD CRD schemas
//! (`schemas/argocd/`, embedded; see its SOURCE.md), made strict as kubeconform's and
//! check-jsonschema's strict modes are: an object whose schema lists its properties refuses any
//! other key, unless the schema says `x-kubernetes-preserve-unknown-fields`. The API server
//! would prune (drop) an unknown field silently, so a misspelt setting would simply not apply;
//! here it fails `validate` at its line.

use std::sync::OnceLock;

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::diagnostic::{Diagnostic, code};
use crate::embedded::{self, CrdSchema};
use crate::yaml::{Position, escape_pointer};

/// The compiled schemas of the kinds tenantctl renders into `kustomize/argocd/`.
pub struct ArgoSchemas {
    application_set: Validator,
    app_project: Validator,
}

/// Compiled once per process (some 50 ms for the ApplicationSet's schema).
static COMPILED: OnceLock<std::result::Result<ArgoSchemas, String>> = OnceLock::new();

impl ArgoSchemas {
    /// The embedded schemas, compiled on first use (then shared). An error only if the
    /// embedded files themselves were broken, which a test rules out.
    pub fn get() -> std::result::Result<&'static ArgoSchemas, String> {
        COMPILED
            .get_or_init(|| {
                Ok(ArgoSchemas {
                    application_set: compile(embedded::ARGOCD_APPLICATION_SET_CRD)?,
                    app_project: compile(embedded::ARGOCD_APP_PROJECT_CRD)?,
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Starts compiling on another thread, so that it overlaps with reading the repo.
    pub fn warm_up() {
        std::thread::spawn(|| {
            let _ = ArgoSchemas::get();
        });
    }

    fn validator(&self, api_version: &str, kind: &str) -> Option<&Validator> {
        match (api_version, kind) {
            ("argoproj.io/v1alpha1", "ApplicationSet") => Some(&self.application_set),
            ("argoproj.io/v1alpha1", "AppProject") => Some(&self.app_project),
            _ => None,
        }
    }

    /// Every ApplicationSet and AppProject in the YAML stream `text` (the file `file`) that
    /// breaks its CRD schema: one diagnostic per violation, at its line; and how many were
    /// checked. Other kinds are not this check's business.
    pub fn check(&self, file: &str, text: &str) -> (Vec<Diagnostic>, usize) {
        let mut out = Vec::new();
        let mut checked = 0;
        for (first_line, document) in documents(text) {
            // The header comment before the first `---` is no object.
            let blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
            if document.lines().all(blank) {
                continue;
            }
            let Ok(parsed) = crate::yaml::parse(document.as_bytes()) else {
                out.push(
                    Diagnostic::error(
                        file,
                        Position {
                            line: first_line,
                            column: 1,
                        },
                        code::ARGO_CRD_SCHEMA,
                        "a document of a rendered Argo CD file is not YAML",
                    )
                    .with_hint(TEMPLATE_HINT),
                );
                continue;
            };
            let manifest = &parsed.value;
            let text_of = |key: &str| manifest[key].as_str().unwrap_or("").to_string();
            let (api_version, kind) = (text_of("apiVersion"), text_of("kind"));
            let Some(validator) = self.validator(&api_version, &kind) else {
                continue;
            };
            checked += 1;
            let name = manifest["metadata"]["name"].as_str().unwrap_or("");
            for error in validator.iter_errors(manifest) {
                let pointer = error.instance_path().as_str().to_string();
                // An unknown key is shown where it is written, not where its parent starts.
                let at = match error.kind() {
                    ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
                        .first()
                        .map(|key| {
                            parsed.key_position(&format!("{pointer}/{}", escape_pointer(key)))
                        })
                        .unwrap_or_else(|| parsed.value_position(&pointer)),
                    _ => parsed.value_position(&pointer),
                };
                out.push(
                    Diagnostic::error(
                        file,
                        Position {
                            line: first_line + at.line - 1,
                            column: at.column,
                        },
                        code::ARGO_CRD_SCHEMA,
                        format!(
                            "{kind} {name} breaks Argo CD's CRD schema at {}: {error}",
                            if pointer.is_empty() { "/" } else { &pointer }
                        ),
                    )
                    .with_hint(TEMPLATE_HINT),
                );
            }
        }
        (out, checked)
    }
}

const TEMPLATE_HINT: &str = "the template that renders this file (templates/ in the repo, or the built-in one) or a value in tenantctl.yaml makes it invalid: fix it and run `tenantctl render`";

/// The documents of a YAML stream with the line each starts on (after its `---`).
fn documents(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (index, line) in text.lines().enumerate() {
        if line.trim_end() == "---" {
            out.push((start, std::mem::take(&mut current)));
            start = index + 2;
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    out.push((start, current));
    out
}

/// A CRD's first version's schema as a strict JSON Schema, compiled.
fn compile(crd: CrdSchema) -> std::result::Result<Validator, String> {
    let mut schema: Value = serde_json::from_str(crd.schema)
        .map_err(|e| format!("the schema extracted from {} is not JSON: {e}", crd.path))?;
    strict(&mut schema);
    jsonschema::draft202012::new(&schema).map_err(|e| {
        format!(
            "the schema of the embedded {} does not compile: {e}",
            crd.path
        )
    })
}

/// Refuses unknown keys wherever the schema lists properties and does not keep unknown fields.
fn strict(node: &mut Value) {
    match node {
        Value::Object(map) => {
            let preserve =
                map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
            if map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && !preserve
            {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(strict);
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &str = "# a comment\napiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: guilds\nspec:\n  goTemplate: true\n  generators: []\n  template:\n    metadata: {}\n    spec:\n      project: p\n      destination: {}\n";

    #[test]
    fn a_valid_application_set_passes_and_an_unknown_field_fails_at_its_line() {
        let schemas = ArgoSchemas::get().unwrap();
        assert_eq!(schemas.check("a.yaml", SET), (vec![], 1));
        let broken = format!(
            "{}---\n{}",
            SET,
            SET.replace("goTemplate: true", "goTemplateOption: true")
        );
        let (found, checked) = schemas.check("a.yaml", &broken);
        assert_eq!(checked, 2);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, code::ARGO_CRD_SCHEMA);
        // Line 7 of the second document, which starts after the separator on line 14.
        assert_eq!(found[0].line, 14 + 7);
        assert!(
            found[0].message.contains("ApplicationSet guilds")
                && found[0].message.contains("goTemplateOption"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn an_app_project_with_a_wrong_type_fails_and_other_kinds_are_skipped() {
        let schemas = ArgoSchemas::get().unwrap();
        let project = "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: p\nspec:\n  sourceRepos: https://example.com/repo.git\n";
        let (found, _) = schemas.check("p.yaml", project);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].line, 6);
        assert!(found[0].message.contains("/spec/sourceRepos"));
        let other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nwhatever: 1\n";
        assert_eq!(schemas.check("c.yaml", other), (vec![], 0));
    }
}
