//! An offline preview of the Argo CD Applications that the repo's rendered ApplicationSets will
//! generate: each git files generator is evaluated over a [`RepoView`] (the committed tree Argo CD
//! reads, or the work tree for a preview of uncommitted files) and each template is filled in as
//! the ApplicationSet controller does, without a cluster (argo-cd #16334).
//!
//! What Argo CD does that a naive reading would miss, and this module follows: `git ls-files`
//! pathspecs, where `*` also matches `/` (a stray `guilds/archive/guild-1.yaml` matches
//! `guilds/guild-*.yaml`); symbolic links inside the repo followed; files parsed as YAML 1.1 and
//! then JSON (the first document only, the last of duplicate keys, numbers as float64, printed
//! as Go prints them); two parameter sets giving one Application name make the controller create
//! neither. Supported templates: git `files` generators, Go templates (`goTemplate: true`) with
//! field references, trim markers and a documented subset of sprig functions, and fasttemplate.
//! Anything else is refused with the construct rather than guessed.

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

/// Where `apps` reads a repo's files: as Argo CD's repo server sees them.
pub trait RepoView {
    /// What is being read, for the output (e.g. `HEAD (1a2b3c4)`).
    fn label(&self) -> String;
    /// Repo-relative paths a git files generator's `pattern` matches, sorted.
    fn matching(&self, pattern: &str) -> Result<Vec<String>>;
    /// The bytes Argo CD reads at `path`; `None` when there is no such file.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>>;
    /// YAML files directly in `dir`, sorted.
    fn yaml_files_in(&self, dir: &str) -> Result<Vec<String>>;
}

/// Folder listings by folder.
type Listings = std::collections::HashMap<String, std::sync::Arc<Vec<(String, EntryKind)>>>;

/// The work tree, uncommitted and untracked files included: a preview of what is not pushed.
pub struct WorkTree {
    disk: Disk,
    /// Folder listings already read: every shard's pattern lists `guilds/` again otherwise.
    listings: std::sync::Mutex<Listings>,
}

impl WorkTree {
    pub fn new(root: &Path) -> WorkTree {
        WorkTree {
            disk: Disk::new(root),
            listings: Default::default(),
        }
    }

    /// The entries of folder `dir`, listed once per preview.
    fn list(&self, dir: &str) -> Result<std::sync::Arc<Vec<(String, EntryKind)>>> {
        if let Some(found) = self
            .listings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(dir)
        {
            return Ok(std::sync::Arc::clone(found));
        }
        let listed = std::sync::Arc::new(self.disk.list(dir)?);
        self.listings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(dir.to_string(), std::sync::Arc::clone(&listed));
        Ok(listed)
    }
}

impl RepoView for WorkTree {
    fn label(&self) -> String {
        "the work tree (uncommitted files included; Argo CD reads only what is pushed)".into()
    }

    fn matching(&self, pattern: &str) -> Result<Vec<String>> {
        glob(self, pattern)
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        self.disk.read(path)
    }

    fn yaml_files_in(&self, dir: &str) -> Result<Vec<String>> {
        Ok(self
            .list(dir)?
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .map(|n| format!("{dir}/{n}"))
            .collect())
    }
}

/// What Argo CD would make of a repo view.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The Applications Argo CD creates (never one it would not).
    pub apps: Vec<GeneratedApp>,
    /// Where it would misbehave: duplicate names, files it cannot use, sets over their size.
    pub problems: Vec<Diagnostic>,
    /// How many Applications each ApplicationSet generates, by name, with its file.
    pub sets: std::collections::BTreeMap<String, (String, usize)>,
    /// What was read.
    pub view: String,
}

/// Every Application the ApplicationSets in `kustomize/argocd/` generate from the working tree.
pub fn preview(root: &Path) -> Result<Vec<GeneratedApp>> {
    Ok(preview_in(&WorkTree::new(root))?.apps)
}

/// Every Application the ApplicationSets in `view`'s `kustomize/argocd/` generate from `view`.
pub fn preview_in(view: &dyn RepoView) -> Result<Preview> {
    let mut apps = Vec::new();
    let mut sets = std::collections::BTreeMap::new();
    let documents = argocd_documents(view)?;
    for (file, set) in documents
        .iter()
        .filter(|(_, d)| d["kind"] == "ApplicationSet")
    {
        let generated = generate(view, file, set)?;
        let name = set["metadata"]["name"].as_str().unwrap_or("").to_string();
        sets.insert(name, (file.clone(), generated.len()));
        apps.extend(generated);
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
    let mut problems = drop_duplicates(&mut apps);
    problems.extend(shared_namespaces(&apps));
    problems.extend(oversized(view, &sets)?);
    apps.sort_by(|a, b| (&a.application_set, &a.name).cmp(&(&b.application_set, &b.name)));
    Ok(Preview {
        apps,
        problems,
        sets,
        view: view.label(),
    })
}

/// ApplicationSets that generate more Applications than `argocd.shardSize` (W106): rendered by
/// an older template, edited by hand, or not rendered since the limit was lowered.
fn oversized(
    view: &dyn RepoView,
    sets: &std::collections::BTreeMap<String, (String, usize)>,
) -> Result<Vec<Diagnostic>> {
    let size = view
        .read(crate::config::CONFIG_FILE)?
        .and_then(|bytes| serde_saphyr::from_slice::<Value>(&bytes).ok())
        .and_then(|config| config["argocd"]["shardSize"].as_u64())
        .unwrap_or(1000) as usize;
    Ok(sets
        .iter()
        .filter(|(_, (_, count))| *count > size)
        .map(|(name, (file, count))| {
            Diagnostic::warning(
                file,
                at_start(),
                code::OVERSIZED_APPLICATION_SET,
                format!(
                    "the ApplicationSet {name} generates {count} Applications, more than argocd.shardSize ({size})"
                ),
            )
            .with_hint("run `tenantctl render`: it splits the set by ID prefix (the default templates do)")
        })
        .collect())
}

/// The ApplicationSet controller refuses to create Applications whose names two parameter sets
/// share: they go, each source file gets an error.
fn drop_duplicates(apps: &mut Vec<GeneratedApp>) -> Vec<Diagnostic> {
    let mut sources: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for app in apps.iter() {
        sources
            .entry(app.name.clone())
            .or_default()
            .push(app.source_file.clone());
    }
    let mut problems = Vec::new();
    for (name, files) in &sources {
        if files.len() < 2 {
            continue;
        }
        for file in files {
            problems.push(
                Diagnostic::error(
                    file,
                    at_start(),
                    code::DUPLICATE_APPLICATION,
                    format!(
                        "Argo CD generates the Application {name} from {} and creates neither",
                        files.join(" and ")
                    ),
                )
                .with_hint("keep one file per guild: a copy anywhere the generator's pattern matches (git pathspec `*` matches `/` too) counts"),
            );
        }
    }
    apps.retain(|app| sources[&app.name].len() < 2);
    problems
}

/// Applications deploying into one namespace of one cluster (E360). Argo CD refuses neither:
/// a project allows a namespace glob (`tenant-*`) to every Application in it, so a hand-edited
/// `params.yaml` naming another tenant's namespace passes its project, and both Applications
/// then manage (and prune) the one namespace. Clusters are compared as the Applications name
/// them (a server URL, or an Argo CD cluster name).
fn shared_namespaces(apps: &[GeneratedApp]) -> Vec<Diagnostic> {
    let mut by_destination: std::collections::BTreeMap<(&str, &str), Vec<&GeneratedApp>> =
        Default::default();
    for app in apps {
        by_destination
            .entry((app.cluster.as_str(), app.namespace.as_str()))
            .or_default()
            .push(app);
    }
    let mut problems = Vec::new();
    for ((cluster, namespace), sharing) in by_destination {
        if sharing.len() < 2 {
            continue;
        }
        let named: Vec<String> = sharing
            .iter()
            .map(|app| format!("{} (from {})", app.name, app.source_file))
            .collect();
        let all = if sharing.len() == 2 { "both" } else { "all" };
        for app in &sharing {
            problems.push(
                Diagnostic::error(
                    &app.source_file,
                    at_start(),
                    code::SHARED_NAMESPACE,
                    format!(
                        "the Applications {} {all} deploy into namespace `{namespace}` on {cluster}: Argo CD would let {all} manage it",
                        named.join(" and ")
                    ),
                )
                .with_hint("each guild and tenant has a namespace of its own: run `tenantctl render` to undo a hand edit of a generated file, or change the namespace in the guild or tenant file"),
            );
        }
    }
    problems
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
fn argocd_documents(view: &dyn RepoView) -> Result<Vec<(String, Value)>> {
    let mut found = Vec::new();
    for path in view.yaml_files_in(ARGOCD_DIR)? {
        let bytes = view
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

/// A generated file as Argo CD reads it (sigs.k8s.io/yaml: YAML 1.1 into JSON): the first
/// document only, the last of duplicate keys, `on`/`yes` as booleans, numbers as numbers.
fn argo_yaml(bytes: &[u8]) -> std::result::Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        strict_booleans: false,
        legacy_octal_numbers: true,
    };
    let documents: Vec<Value> =
        match serde_saphyr::from_multiple_with_options(text, options.clone()) {
            Ok(documents) => documents,
            // A broken later document does not stop Argo CD, which reads only the first.
            Err(error) => {
                let first = text.split("\n---").next().unwrap_or(text);
                vec![
                    serde_saphyr::from_str_with_options(first, options)
                        .map_err(|_| error.to_string())?,
                ]
            }
        };
    Ok(documents.into_iter().next().unwrap_or(Value::Null))
}

/// A JSON number as a Go template prints it: Argo CD's parameters are `interface{}` from
/// `encoding/json`, so every number is a float64 printed with `%v` (`strconv` 'g', shortest,
/// exponent from 21 digits... and from 6 when the digits run out: `1.23456789e+08`).
pub fn go_number(number: &serde_json::Number) -> String {
    let value = number.as_f64().unwrap_or(f64::NAN);
    if value == 0.0 {
        return "0".into();
    }
    // Shortest round-trip digits and the decimal exponent, as strconv computes them.
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digit_count = digits.len() as i32;
    let decimal_point = exponent + 1;
    let mut precision = 6;
    if precision > digit_count && digit_count >= decimal_point {
        precision = digit_count;
    }
    let sign = if value < 0.0 { "-" } else { "" };
    if exponent < -4 || exponent >= precision {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs())
    } else if decimal_point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-decimal_point) as usize))
    } else if decimal_point >= digit_count {
        format!(
            "{sign}{digits}{}",
            "0".repeat((decimal_point - digit_count) as usize)
        )
    } else {
        let (whole, fraction) = digits.split_at(decimal_point as usize);
        format!("{sign}{whole}.{fraction}")
    }
}

fn at_start() -> Position {
    Position { line: 1, column: 1 }
}

/// A construct of the repo's own ApplicationSet that `apps` does not evaluate: a configuration
/// problem (exit 1) at the line that holds it, never a guess.
fn unsupported(view: &dyn RepoView, file: &str, what: String, needle: &str) -> Error {
    let line = view
        .read(file)
        .ok()
        .flatten()
        .and_then(|bytes| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            text.lines()
                .position(|l| !needle.is_empty() && l.contains(needle))
        })
        .map(|i| i + 1)
        .unwrap_or(1);
    Error::Invalid(vec![
        Diagnostic::error(
            file,
            Position { line, column: 1 },
            code::UNSUPPORTED_TEMPLATE,
            what,
        )
        .with_hint(
            "`tenantctl apps` evaluates git files generators, field references, trim markers and the sprig functions listed in the README",
        ),
    ])
}

fn generate(view: &dyn RepoView, file: &str, set: &Value) -> Result<Vec<GeneratedApp>> {
    let set_name = set["metadata"]["name"].as_str().unwrap_or("").to_string();
    let go_template = set["spec"]["goTemplate"] == Value::Bool(true);
    let strict = set["spec"]["goTemplateOptions"]
        .as_array()
        .is_some_and(|o| o.iter().any(|v| v == "missingkey=error"));
    let template = &set["spec"]["template"];
    if set["spec"].get("templatePatch").is_some() {
        // Argo CD applies it to every generated Application; not predicting it would be a
        // wrong answer.
        return Err(unsupported(
            view,
            file,
            format!("ApplicationSet {set_name}: `templatePatch`"),
            "templatePatch:",
        ));
    }
    let mut apps = Vec::new();
    for generator in set["spec"]["generators"].as_array().into_iter().flatten() {
        let Some(files) = generator["git"]["files"].as_array() else {
            let kind = generator
                .as_object()
                .and_then(|o| o.keys().next().cloned())
                .unwrap_or_default();
            return Err(unsupported(
                view,
                file,
                format!("ApplicationSet {set_name}: the `{kind}` generator"),
                &format!("{kind}:"),
            ));
        };
        for pattern in files.iter().filter_map(|f| f["path"].as_str()) {
            for matched in view.matching(pattern)? {
                for params in parameters(view, &matched, go_template)? {
                    let filled = fill(template, &params, go_template, strict).map_err(|e| {
                        let needle = e
                            .split('`')
                            .nth(1)
                            .map(|c| {
                                c.trim_start_matches("{{")
                                    .trim_end_matches("}}")
                                    .trim()
                                    .to_string()
                            })
                            .unwrap_or_default();
                        unsupported(
                            view,
                            file,
                            format!("ApplicationSet {set_name}, from {matched}: {e}"),
                            &needle,
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
fn parameters(
    view: &dyn RepoView,
    file: &str,
    go_template: bool,
) -> Result<Vec<Map<String, Value>>> {
    let bytes = view
        .read(file)?
        .ok_or_else(|| anyhow::anyhow!("reading {file}: it vanished"))?;
    let document = argo_yaml(&bytes).map_err(|message| {
        Error::Invalid(vec![Diagnostic::error(
            file,
            at_start(),
            code::YAML_SYNTAX,
            format!("{message}: Argo CD's git generator fails on this file and generates no Application at all"),
        )])
    })?;
    let items = match document {
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
        let mut expression = &after[..end];
        // Go's trim markers: `{{- ` and ` -}}` (the space is part of the marker) remove the
        // white space before and after the action.
        let trim_left =
            go && expression.starts_with('-') && expression[1..].starts_with(char::is_whitespace);
        let trim_right = go
            && expression.ends_with('-')
            && expression[..expression.len() - 1].ends_with(char::is_whitespace);
        if trim_left {
            expression = &expression[1..];
            out.truncate(out.trim_end().len());
        }
        if trim_right {
            expression = &expression[..expression.len() - 1];
        }
        out += &lookup(expression.trim(), params, go, strict)?;
        rest = &after[end + 2..];
        if trim_right {
            rest = rest.trim_start();
        }
    }
    out += rest;
    Ok(out)
}

/// Sprig functions (and Go template builtins) `apps` evaluates, exactly as Argo CD's do; any
/// other function is refused, never guessed.
pub const SUPPORTED_FUNCTIONS: [&str; 10] = [
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

fn lookup(
    expression: &str,
    params: &Map<String, Value>,
    go: bool,
    strict: bool,
) -> std::result::Result<String, String> {
    if !go {
        return Ok(match params.get(expression) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => format!("{{{{{expression}}}}}"),
            Some(other) => other.to_string(),
        });
    }
    let mut stages = expression.split('|').map(str::trim);
    let first = stages.next().unwrap_or_default();
    let mut value = go_operand(first, params, strict)?;
    for stage in stages {
        let words = go_words(stage).ok_or_else(|| refuse(expression))?;
        let (function, args) = words.split_first().ok_or_else(|| refuse(expression))?;
        let arg = |i: usize| -> std::result::Result<String, String> {
            args.get(i)
                .map(|a| go_operand(a, params, strict))
                .unwrap_or_else(|| Err(refuse(expression)))
        };
        value = match (function.as_str(), args.len()) {
            ("lower", 0) => value.to_lowercase(),
            ("upper", 0) => value.to_uppercase(),
            ("trim", 0) => value.trim().to_string(),
            ("trimPrefix", 1) => value
                .strip_prefix(arg(0)?.as_str())
                .map(str::to_string)
                .unwrap_or(value),
            ("trimSuffix", 1) => value
                .strip_suffix(arg(0)?.as_str())
                .map(str::to_string)
                .unwrap_or(value),
            ("replace", 2) => value.replace(arg(0)?.as_str(), &arg(1)?),
            ("trunc", 1) => {
                let n: i64 = arg(0)?.parse().map_err(|_| refuse(expression))?;
                let chars: Vec<char> = value.chars().collect();
                if n >= 0 {
                    chars.iter().take(n as usize).collect()
                } else {
                    chars
                        .iter()
                        .skip(chars.len().saturating_sub((-n) as usize))
                        .collect()
                }
            }
            ("default", 1) if value.is_empty() => arg(0)?,
            ("default", 1) => value,
            ("quote", 0) => serde_json::to_string(&value).unwrap_or_default(),
            ("squote", 0) => format!("'{value}'"),
            _ => return Err(refuse(expression)),
        };
    }
    Ok(value)
}

fn refuse(expression: &str) -> String {
    format!(
        "`{{{{ {expression} }}}}` uses a template construct `tenantctl apps` does not evaluate (it evaluates field references, trim markers and {})",
        SUPPORTED_FUNCTIONS.join(", ")
    )
}

/// The words of a pipeline stage: identifiers, field references and double-quoted strings.
fn go_words(stage: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut rest = stage.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"')?;
            words.push(format!("\"{}\"", &quoted[..end]));
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            words.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    Some(words)
}

/// A field reference (`.a.b`), a string literal or a number, as Go prints it.
fn go_operand(
    operand: &str,
    params: &Map<String, Value>,
    strict: bool,
) -> std::result::Result<String, String> {
    if let Some(literal) = operand.strip_prefix('"').and_then(|o| o.strip_suffix('"')) {
        return Ok(literal.to_string());
    }
    if !operand.is_empty() && operand.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return Ok(operand.to_string());
    }
    let chain = operand
        .strip_prefix('.')
        .filter(|c| {
            !c.is_empty()
                && c.split('.')
                    .all(|s| !s.is_empty() && s.chars().all(|ch| ch.is_alphanumeric() || ch == '_'))
        })
        .ok_or_else(|| refuse(operand))?;
    let mut current: Option<&Value> = None;
    for (i, segment) in chain.split('.').enumerate() {
        current = if i == 0 {
            params.get(segment)
        } else {
            current.and_then(|v| v.get(segment))
        };
    }
    match current {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(go_number(n)),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        Some(Value::Null) | None if !strict => Ok("<no value>".into()),
        Some(Value::Null) | None => Err(format!(
            "map has no entry for key `{chain}` (missingkey=error)"
        )),
        Some(other) => Err(format!(
            "`{operand}` is a {} that Argo CD would print as Go prints maps and lists; tenantctl does not predict that",
            if other.is_array() { "list" } else { "map" }
        )),
    }
}

/// Repo-relative files of the work tree that a git files generator's pattern matches, with
/// git's pathspec rules (wildmatch without WM_PATHNAME: `*` also matches `/`), as Argo CD's
/// `git ls-files` does on the committed tree.
fn glob(tree: &WorkTree, pattern: &str) -> Result<Vec<String>> {
    let pattern = pattern.trim_start_matches("./");
    let segments: Vec<&str> = pattern.split('/').collect();
    let fixed: Vec<&str> = segments
        .iter()
        .take_while(|s| !s.contains(['*', '?', '[']))
        .copied()
        .collect();
    let pathspec = pathspec(pattern)?;
    let literal = &pattern[..pattern.find(['*', '?', '[', '\\']).unwrap_or(pattern.len())];
    let depth = usize::MAX;
    let mut matched = Vec::new();
    // Listed through the repo's boundary: Argo CD follows symbolic links, so one that matches
    // (or a folder it would descend into) is an error (E102), not a file skipped.
    let disk = &tree.disk;
    let mut pending = vec![(fixed.join("/"), 0usize)];
    while let Some((dir, level)) = pending.pop() {
        if level == 0 && !dir.is_empty() {
            match disk.fetch(&dir)? {
                // The pattern names one file.
                crate::source::Fetched::File(_) => {
                    if pathspec.is_match(&dir) {
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
        let entries = tree.list(&dir)?;
        for (name, kind) in entries.iter() {
            let relative = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            // Neither under the pattern's literal start nor on the way to it: cannot match,
            // nor can anything below it (a shard's pattern skips every other guild at once).
            if !relative.starts_with(literal) && !literal.starts_with(relative.as_str()) {
                continue;
            }
            let matches = pathspec.is_match(&relative);
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

/// A git pathspec glob (no `:(glob)` magic).
pub fn pathspec(pattern: &str) -> Result<globset::GlobMatcher> {
    Ok(globset::GlobBuilder::new(pattern.trim_start_matches("./"))
        .literal_separator(false)
        .build()
        .map_err(|e| anyhow::anyhow!("the generator pattern `{pattern}`: {e}"))?
        .compile_matcher())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_git_pathspecs() {
        let m = |p: &str, s: &str| pathspec(p).unwrap().is_match(s);
        assert!(m("guilds/guild-*.yaml", "guilds/guild-1.yaml"));
        assert!(!m("guilds/guild-*.yaml", "guilds/README.md"));
        // git ls-files pathspecs: `*` matches `/` too, so a nested copy is generated from.
        assert!(m(
            "guilds/guild-*.yaml",
            "guilds/guild-archive/guild-1001.yaml"
        ));
        assert!(m("guilds/*.yaml", "guilds/a/b.yaml"));
        assert!(m("apps/**/config.json", "apps/a/b/config.json"));
    }

    #[test]
    fn numbers_print_as_go_prints_float64() {
        let n = |text: &str| go_number(&serde_json::from_str(text).unwrap());
        assert_eq!(n("123456789012345678"), "1.2345678901234568e+17");
        assert_eq!(n("123456789"), "1.23456789e+08");
        assert_eq!(n("100"), "100");
        assert_eq!(n("1"), "1");
        assert_eq!(n("0.5"), "0.5");
        assert_eq!(n("0.00001"), "1e-05");
        assert_eq!(n("-42"), "-42");
    }

    #[test]
    fn trim_markers_and_the_sprig_subset_evaluate_as_go_does() {
        let params: Map<String, Value> =
            serde_json::from_str(r#"{"guild_id": "8801", "tier": "Pro", "n": 7}"#).unwrap();
        let f = |t: &str| fill_string(t, &params, true, true);
        assert_eq!(f("guild- {{- .guild_id }}").unwrap(), "guild-8801");
        assert_eq!(f("{{ .guild_id -}}  -x").unwrap(), "8801-x");
        assert_eq!(f("{{ .tier | lower }}").unwrap(), "pro");
        assert_eq!(f("{{ .tier | upper | trunc 2 }}").unwrap(), "PR");
        assert_eq!(f(r#"{{ .tier | replace "P" "p" }}"#).unwrap(), "pro");
        assert_eq!(f("{{ .n }}").unwrap(), "7");
        assert!(f("{{ .tier | b64enc }}").unwrap_err().contains("b64enc"));
        assert!(f("{{ index .m 0 }}").is_err());
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
        assert!(fill_string("{{ .guild_id | b64enc }}", &params, true, true).is_err());
    }
}
