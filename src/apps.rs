//! An offline preview of the Argo CD Applications that the repo's rendered ApplicationSets will
//! generate: each git files generator is evaluated against the working tree and each template is
//! filled in as the ApplicationSet controller does, without a cluster (argo-cd #16334).
//!
//! Supported: git `files` generators (globs with `*`, `?` and `**`), Go templates (`goTemplate:
//! true`) and fasttemplate, with field references such as `{{ .guild_id }}` or `{{path.basename}}`.
//! Anything else is reported as unsupported rather than guessed.

use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::source::{Disk, EntryKind, Refusal, Source};
use crate::validate::diagnostic::{Diagnostic, code};
use crate::yaml::Position;

/// Where rendered ApplicationSets live.
pub const ARGOCD_DIR: &str = "kustomize/argocd";

/// One Application as Argo CD would generate it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedApp {
    pub application_set: String,
    pub name: String,
    pub project: String,
    pub cluster: String,
    pub namespace: String,
    pub path: String,
    /// The file the generator made it from.
    pub source_file: String,
    /// Whether its AppProject (as rendered in `kustomize/argocd/`) permits its destination,
    /// judged with Argo CD's rules.
    pub permitted: bool,
    /// Why not, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// Every Application the ApplicationSets in `kustomize/argocd/` generate from the working tree.
pub fn preview(root: &Path) -> Result<Vec<GeneratedApp>> {
    let mut apps = Vec::new();
    let documents = argocd_documents(root)?;
    for (file, set) in documents
        .iter()
        .filter(|(_, d)| d["kind"] == "ApplicationSet")
    {
        apps.extend(generate(root, file, set)?);
    }
    let projects: Vec<&Value> = documents
        .iter()
        .filter(|(_, d)| d["kind"] == "AppProject")
        .map(|(_, d)| d)
        .collect();
    for app in &mut apps {
        app.refused = refusal(app, &projects);
        app.permitted = app.refused.is_none();
    }
    apps.sort_by(|a, b| (&a.application_set, &a.name).cmp(&(&b.application_set, &b.name)));
    Ok(apps)
}

/// Why Argo CD would refuse `app` under `projects` (`IsDestinationPermitted`: some destination
/// whose server and namespace globs both match), or `None` when it is permitted.
fn refusal(app: &GeneratedApp, projects: &[&Value]) -> Option<String> {
    let Some(project) = projects
        .iter()
        .find(|p| p["metadata"]["name"].as_str() == Some(app.project.as_str()))
    else {
        return Some(format!(
            "no AppProject `{}` in kustomize/argocd/",
            app.project
        ));
    };
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let permitted = project["spec"]["destinations"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|d| {
            let server = text(&d["server"]);
            let name = text(&d["name"]);
            let cluster_matches = (!server.is_empty()
                && crate::validate::fence::glob_matches(&server, &app.cluster))
                || (!name.is_empty() && crate::validate::fence::glob_matches(&name, &app.cluster));
            cluster_matches
                && crate::validate::fence::glob_matches(&text(&d["namespace"]), &app.namespace)
        });
    (!permitted).then(|| {
        format!(
            "AppProject `{}` does not permit namespace `{}` on {}",
            app.project, app.namespace, app.cluster
        )
    })
}

/// Every document of the YAML files in `kustomize/argocd/`, with its file.
fn argocd_documents(root: &Path) -> Result<Vec<(String, Value)>> {
    // Through the repo's boundary (src/source.rs): no symbolic link followed, no file over 1 MiB.
    let disk = Disk::new(root);
    let mut found = Vec::new();
    let names: Vec<String> = disk
        .list(ARGOCD_DIR)?
        .into_iter()
        .map(|(name, _)| name)
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .collect();
    for name in names {
        let path = format!("{ARGOCD_DIR}/{name}");
        let bytes = disk
            .read(&path)?
            .ok_or_else(|| anyhow::anyhow!("reading {path}: it vanished"))?;
        let text = String::from_utf8_lossy(&bytes);
        let documents: Vec<Value> = serde_saphyr::from_multiple(&text).map_err(|e| {
            Error::Invalid(vec![Diagnostic::error(
                &path,
                at_start(),
                code::YAML_SYNTAX,
                format!("invalid YAML: {e}"),
            )])
        })?;
        for document in documents {
            found.push((path.clone(), document));
        }
    }
    Ok(found)
}

fn at_start() -> Position {
    Position { line: 1, column: 1 }
}

fn unsupported(file: &str, what: String) -> Error {
    Error::usage(
        format!("{file}: {what}"),
        "`tenantctl apps` previews git files generators with field references only",
    )
}

fn generate(root: &Path, file: &str, set: &Value) -> Result<Vec<GeneratedApp>> {
    let set_name = set["metadata"]["name"].as_str().unwrap_or("").to_string();
    let go_template = set["spec"]["goTemplate"] == Value::Bool(true);
    let strict = set["spec"]["goTemplateOptions"]
        .as_array()
        .is_some_and(|o| o.iter().any(|v| v == "missingkey=error"));
    let template = &set["spec"]["template"];
    let mut apps = Vec::new();
    for generator in set["spec"]["generators"].as_array().into_iter().flatten() {
        let Some(files) = generator["git"]["files"].as_array() else {
            let kind = generator
                .as_object()
                .and_then(|o| o.keys().next().cloned())
                .unwrap_or_default();
            return Err(unsupported(
                file,
                format!("ApplicationSet {set_name}: the `{kind}` generator"),
            ));
        };
        for pattern in files.iter().filter_map(|f| f["path"].as_str()) {
            for matched in glob(root, pattern)? {
                for params in parameters(root, &matched, go_template)? {
                    let filled = fill(template, &params, go_template, strict).map_err(|e| {
                        unsupported(
                            file,
                            format!("ApplicationSet {set_name}, from {matched}: {e}"),
                        )
                    })?;
                    apps.push(application(&set_name, &matched, &filled));
                }
            }
        }
    }
    Ok(apps)
}

fn application(set: &str, source_file: &str, app: &Value) -> GeneratedApp {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let spec = &app["spec"];
    let source = if spec["source"].is_object() {
        &spec["source"]
    } else {
        &spec["sources"][0]
    };
    let destination = &spec["destination"];
    let cluster = if destination["server"].is_string() {
        &destination["server"]
    } else {
        &destination["name"]
    };
    GeneratedApp {
        application_set: set.to_string(),
        name: text(&app["metadata"]["name"]),
        project: text(&spec["project"]),
        cluster: text(cluster),
        namespace: text(&destination["namespace"]),
        path: text(&source["path"]),
        source_file: source_file.to_string(),
        permitted: false,
        refused: None,
    }
}

/// The parameter sets of one generated file: its content (one set, or one per list item) plus
/// the `path` parameters. A file that does not parse fails the whole generator, as in Argo CD.
fn parameters(root: &Path, file: &str, go_template: bool) -> Result<Vec<Map<String, Value>>> {
    let bytes = Disk::new(root)
        .read(file)?
        .ok_or_else(|| anyhow::anyhow!("reading {file}: it vanished"))?;
    let document = crate::yaml::parse(&bytes).map_err(|e| {
        Error::Invalid(vec![Diagnostic::error(
            file,
            e.position,
            code::YAML_SYNTAX,
            format!("{}: Argo CD's git generator fails on this file and generates no Application at all", e.message),
        )])
    })?;
    let items = match document.value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let path = path_params(file);
    items
        .into_iter()
        .map(|item| {
            let Value::Object(mut params) = item else {
                return Err(Error::Invalid(vec![Diagnostic::error(
                    file,
                    at_start(),
                    code::SCHEMA,
                    "Argo CD's git generator needs a mapping here",
                )]));
            };
            if go_template {
                params.insert("path".into(), path.clone());
            } else {
                params = flatten(&Value::Object(params));
                params.extend(flatten(&serde_json::json!({ "path": path })));
                params.insert("path".into(), path["path"].clone());
            }
            Ok(params)
        })
        .collect()
}

fn path_params(file: &str) -> Value {
    let (dir, filename) = file.rsplit_once('/').unwrap_or((".", file));
    let basename = dir.rsplit('/').next().unwrap_or(dir);
    let normalize = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect::<String>()
    };
    serde_json::json!({
        "path": dir,
        "basename": basename,
        "filename": filename,
        "basenameNormalized": normalize(basename),
        "filenameNormalized": normalize(filename),
        "segments": dir.split('/').collect::<Vec<_>>(),
    })
}

/// Flattens nested maps into `a.b` keys, as fasttemplate parameters are.
fn flatten(value: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    fn walk(prefix: &str, value: &Value, out: &mut Map<String, Value>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let name = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&name, child, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.clone());
            }
        }
    }
    walk("", value, &mut out);
    out
}

/// Fills every string in the template, recursively.
fn fill(
    template: &Value,
    params: &Map<String, Value>,
    go: bool,
    strict: bool,
) -> std::result::Result<Value, String> {
    Ok(match template {
        Value::String(s) => Value::String(fill_string(s, params, go, strict)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| fill(v, params, go, strict))
                .collect::<std::result::Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), fill(v, params, go, strict)?)))
                .collect::<std::result::Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn fill_string(
    text: &str,
    params: &Map<String, Value>,
    go: bool,
    strict: bool,
) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out += &rest[..start];
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` in `{text}`"))?;
        let expression = after[..end]
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        out += &lookup(expression, params, go, strict)?;
        rest = &after[end + 2..];
    }
    out += rest;
    Ok(out)
}

fn lookup(
    expression: &str,
    params: &Map<String, Value>,
    go: bool,
    strict: bool,
) -> std::result::Result<String, String> {
    let value = if go {
        let chain = expression
            .strip_prefix('.')
            .filter(|c| {
                !c.is_empty()
                    && c.split('.').all(|s| {
                        !s.is_empty() && s.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
                    })
            })
            .ok_or_else(|| {
                format!(
                    "template expression `{{{{ {expression} }}}}` is not a plain field reference"
                )
            })?;
        let mut current: Option<&Value> = None;
        for (i, segment) in chain.split('.').enumerate() {
            current = if i == 0 {
                params.get(segment)
            } else {
                current.and_then(|v| v.get(segment))
            };
        }
        current.cloned()
    } else {
        params.get(expression).cloned()
    };
    match value {
        Some(Value::String(s)) => Ok(s),
        Some(Value::Null) | None if go && !strict => Ok("<no value>".into()),
        Some(Value::Null) | None if !go => Ok(format!("{{{{{expression}}}}}")),
        Some(Value::Null) | None => Err(format!(
            "map has no entry for key `{expression}` (missingkey=error)"
        )),
        Some(other) => Ok(other.to_string()),
    }
}

/// Repo-relative files matching a glob with `*`, `?` (within a segment) and `**` (any depth).
fn glob(root: &Path, pattern: &str) -> Result<Vec<String>> {
    let segments: Vec<&str> = pattern.trim_start_matches("./").split('/').collect();
    let fixed: Vec<&str> = segments
        .iter()
        .take_while(|s| !s.contains(['*', '?', '[']))
        .copied()
        .collect();
    let deep = segments.contains(&"**");
    let depth = if deep {
        usize::MAX
    } else {
        segments.len() - fixed.len()
    };
    let mut matched = Vec::new();
    // Listed through the repo's boundary: Argo CD follows symbolic links, so one that matches
    // (or a folder it would descend into) is an error (E102), not a file skipped.
    let disk = Disk::new(root);
    let mut pending = vec![(fixed.join("/"), 0usize)];
    while let Some((dir, level)) = pending.pop() {
        if level == 0 && !dir.is_empty() {
            match disk.fetch(&dir)? {
                // The pattern names one file.
                crate::source::Fetched::File(_) => {
                    let parts: Vec<&str> = dir.split('/').collect();
                    if matches_segments(&segments, &parts) {
                        matched.push(dir);
                    }
                    continue;
                }
                crate::source::Fetched::Refused(refusal @ Refusal::Symlink { .. }) => {
                    return Err(refusal.into_error());
                }
                _ => {}
            }
        }
        let entries = disk.list(&dir)?;
        for (name, kind) in entries {
            let relative = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            let parts: Vec<&str> = relative.split('/').collect();
            let matches = matches_segments(&segments, &parts);
            match kind {
                EntryKind::File if matches => matched.push(relative),
                EntryKind::Dir if level + 1 < depth => pending.push((relative, level + 1)),
                EntryKind::Symlink if matches || level + 1 < depth => {
                    return Err(Refusal::Symlink { path: relative }.into_error());
                }
                _ => {}
            }
        }
    }
    matched.sort();
    Ok(matched)
}

fn matches_segments(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            matches_segments(&pattern[1..], path)
                || (!path.is_empty() && matches_segments(pattern, &path[1..]))
        }
        (Some(p), Some(s)) => {
            matches_segment(p.as_bytes(), s.as_bytes())
                && matches_segments(&pattern[1..], &path[1..])
        }
        _ => false,
    }
}

fn matches_segment(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            matches_segment(&pattern[1..], text)
                || (!text.is_empty() && matches_segment(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => matches_segment(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => matches_segment(&pattern[1..], &text[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_the_git_generator() {
        let m = |p: &str, s: &str| {
            matches_segments(
                &p.split('/').collect::<Vec<_>>(),
                &s.split('/').collect::<Vec<_>>(),
            )
        };
        assert!(m("guilds/guild-*.yaml", "guilds/guild-1.yaml"));
        assert!(!m("guilds/guild-*.yaml", "guilds/README.md"));
        assert!(!m("guilds/*.yaml", "guilds/a/b.yaml"));
        assert!(m("apps/**/config.json", "apps/a/b/config.json"));
        assert!(m("apps/**/config.json", "apps/config.json"));
    }

    #[test]
    fn templates_fill_field_references_and_refuse_the_rest() {
        let params: Map<String, Value> =
            serde_json::from_str(r#"{"guild_id": "7", "path": {"basename": "guilds"}}"#).unwrap();
        assert_eq!(
            fill_string("guild-{{ .guild_id }}", &params, true, true).unwrap(),
            "guild-7"
        );
        assert_eq!(
            fill_string("{{.path.basename}}", &params, true, true).unwrap(),
            "guilds"
        );
        assert!(
            fill_string("{{ .nope }}", &params, true, true)
                .unwrap_err()
                .contains("missingkey")
        );
        assert_eq!(
            fill_string("{{ .nope }}", &params, true, false).unwrap(),
            "<no value>"
        );
        assert!(fill_string("{{ .guild_id | upper }}", &params, true, true).is_err());
    }
}
