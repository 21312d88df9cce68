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

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::gotemplate::{self, TemplateError};
use crate::source::{Disk, EntryKind, Refusal, Source};
use crate::validate::diagnostic::{Diagnostic, code};
use crate::yaml::Position;

/// Where rendered ApplicationSets live.
pub const ARGOCD_DIR: &str = "kustomize/argocd";

/// One Application as Argo CD would generate it (and create: `apps` lists no other).
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
}

/// Where `apps` reads a repo's files: as Argo CD's repo server sees them.
pub trait RepoView {
    /// What is being read, for the output (e.g. `HEAD (1a2b3c4)`).
    fn label(&self) -> String;
    /// Repo-relative paths a git files generator's `pattern` matches, sorted.
    fn matching(&self, pattern: &str) -> Result<Vec<String>>;
    /// The bytes Argo CD reads at `path`, symbolic links inside the repo followed; `None` when
    /// there is no such file (or a link leads out of the repo, which Argo CD refuses).
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>>;
    /// YAML files directly in `dir`, sorted.
    fn yaml_files_in(&self, dir: &str) -> Result<Vec<String>>;
    /// Where the symbolic link at `path` leads inside the repo, when it is one.
    fn link_target(&self, path: &str) -> Result<Option<String>>;
}

/// The work tree, uncommitted and untracked files included: a preview of what is not pushed.
pub struct WorkTree {
    /// Listing each folder once: every shard's pattern lists `guilds/` again otherwise.
    disk: Disk,
    /// Guild and tenant files a snapshot read already (regular files, valid UTF-8), by path:
    /// the disk is read once per command.
    read: std::collections::HashMap<String, std::sync::Arc<crate::load::SourceFile>>,
}

impl WorkTree {
    pub fn new(root: &Path) -> WorkTree {
        WorkTree {
            disk: Disk::sharing(root, &Default::default()),
            read: Default::default(),
        }
    }

    /// The work tree, with the guild and tenant files `snapshot` read from it taken from the
    /// snapshot rather than read again, and its folders listed once with the snapshot's other
    /// readers. Files it could not parse are read again: Argo CD reads bytes, and the
    /// snapshot's text of a file that is not UTF-8 is not those bytes.
    pub fn with_snapshot(root: &Path, snapshot: &crate::load::Snapshot) -> WorkTree {
        let read = snapshot
            .guilds
            .iter()
            .chain(&snapshot.tenants)
            .filter(|(_, file)| file.parsed.is_ok())
            .map(|(path, file)| (path.clone(), std::sync::Arc::clone(file)))
            .collect();
        WorkTree {
            disk: Disk::sharing(root, &snapshot.listings),
            read,
        }
    }

    /// The entries of folder `dir`, listed once per preview.
    fn list(&self, dir: &str) -> Result<crate::source::Listing> {
        self.disk.listed(dir)
    }
}

/// `target` of a link in directory `base`, normalised relative to the repo; `None` when it
/// leaves the repository (Argo CD refuses those).
pub fn resolve_link(base: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

impl RepoView for WorkTree {
    fn label(&self) -> String {
        "the work tree (uncommitted files included; Argo CD reads only what is pushed)".into()
    }

    fn matching(&self, pattern: &str) -> Result<Vec<String>> {
        glob(self, pattern)
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        if let Some(file) = self.read.get(path) {
            return Ok(Some(file.text.as_bytes().to_vec()));
        }
        // Links are followed as Argo CD's repo server follows them in its checkout: inside the
        // repo only, a few hops at most.
        let mut path = path.to_string();
        for _ in 0..8 {
            match self.disk.fetch(&path)? {
                crate::source::Fetched::File(bytes) => return Ok(Some(bytes)),
                crate::source::Fetched::Refused(Refusal::Symlink { .. }) => {
                    match self.link_target(&path)? {
                        Some(next) => path = next,
                        None => return Ok(None),
                    }
                }
                _ => return Ok(None),
            }
        }
        Ok(None)
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

    fn link_target(&self, path: &str) -> Result<Option<String>> {
        if self.read.contains_key(path) {
            return Ok(None); // read as a regular file, never through a link
        }
        let full = self.disk.root.join(path);
        let Ok(target) = std::fs::read_link(&full) else {
            return Ok(None);
        };
        let base = path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
        Ok(resolve_link(base, &target.to_string_lossy()))
    }
}

/// What Argo CD would make of a repo view.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The Applications Argo CD creates (never one it would not).
    pub apps: Vec<GeneratedApp>,
    /// Where it would misbehave: Applications it would not create and why, files it cannot
    /// use, templates that fail, sets over their size.
    pub problems: Vec<Diagnostic>,
    /// How many Applications of each ApplicationSet Argo CD creates (those in `apps`), by name,
    /// with its file.
    pub sets: std::collections::BTreeMap<String, (String, usize)>,
    /// Generated-from files that are symbolic links, followed as Argo CD follows them, with
    /// where they lead.
    pub followed: Vec<(String, String)>,
    /// What was read.
    pub view: String,
}

impl Preview {
    /// Whether Argo CD would misbehave somewhere (an error among the problems).
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(Diagnostic::is_error)
    }
}

/// Every Application the ApplicationSets in `kustomize/argocd/` generate from the working tree.
pub fn preview(root: &Path) -> Result<Vec<GeneratedApp>> {
    Ok(preview_in(&WorkTree::new(root))?.apps)
}

/// Every Application the ApplicationSets in `view`'s `kustomize/argocd/` generate from `view`
/// and Argo CD would create, and, as diagnostics, everything it would not do. Only an I/O
/// failure is an error: a problem in one set does not hide the others' findings.
pub fn preview_in(view: &dyn RepoView) -> Result<Preview> {
    let mut apps = Vec::new();
    let mut problems = Vec::new();
    let mut sets = std::collections::BTreeMap::new();
    // Application names a failed set would have generated: still duplicates of others'.
    let mut uncreated = Vec::new();
    let documents = match argocd_documents(view) {
        Ok(documents) => documents,
        Err(Error::Invalid(found)) => {
            problems.extend(found);
            Vec::new()
        }
        Err(other) => return Err(other),
    };
    let mut followed = Vec::new();
    for (file, set) in documents
        .iter()
        .filter(|(_, d)| d["kind"] == "ApplicationSet")
    {
        let generated = generate(view, file, set)?;
        let name = set["metadata"]["name"].as_str().unwrap_or("").to_string();
        followed.extend(generated.followed);
        if generated.problems.iter().any(Diagnostic::is_error) {
            // Argo CD stops the whole set at its first generator or template error.
            problems.extend(generated.problems);
            sets.insert(name, (file.clone(), 0));
            uncreated.extend(generated.apps);
        } else {
            sets.insert(name, (file.clone(), generated.apps.len()));
            apps.extend(generated.apps);
        }
    }
    let projects: Vec<&Value> = documents
        .iter()
        .filter(|(_, d)| d["kind"] == "AppProject")
        .map(|(_, d)| d)
        .collect();
    problems.extend(drop_duplicates(&mut apps, &uncreated));
    problems.extend(drop_uncreatable(&mut apps, &projects));
    problems.extend(shared_namespaces(&apps));
    // W106 is about what each set generates; the counts shown are what Argo CD creates.
    problems.extend(oversized(view, &sets)?);
    // Counted in one pass: 200 sets of 1,000 each at 100,000 + 100,000.
    let mut created: std::collections::HashMap<&str, usize> = Default::default();
    for app in &apps {
        *created.entry(app.application_set.as_str()).or_default() += 1;
    }
    for (name, (_, count)) in sets.iter_mut() {
        *count = created.get(name.as_str()).copied().unwrap_or(0);
    }
    apps.sort_by(|a, b| (&a.application_set, &a.name).cmp(&(&b.application_set, &b.name)));
    followed.sort();
    followed.dedup();
    Ok(Preview {
        apps,
        problems,
        sets,
        followed,
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
/// share: they go, each source file gets an error. `uncreated` are those of sets that fail as a
/// whole: not created either way, but still one of two files claiming a name.
fn drop_duplicates(apps: &mut Vec<GeneratedApp>, uncreated: &[GeneratedApp]) -> Vec<Diagnostic> {
    let mut sources: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for app in apps.iter().chain(uncreated) {
        let files = sources.entry(app.name.clone()).or_default();
        if !files.contains(&app.source_file) {
            files.push(app.source_file.clone());
        }
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

/// Applications Argo CD would not create, or would create and never deploy, taken out of the
/// list with an error each: a name the API server refuses (E350); an AppProject that is not
/// there (the ApplicationSet controller's validateGeneratedApplications skips the Application)
/// or does not permit the destination (skipped by older controllers, created and refused every
/// sync by newer ones) (E333).
fn drop_uncreatable(apps: &mut Vec<GeneratedApp>, projects: &[&Value]) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    apps.retain(|app| {
        let found = if let Some(why) = invalid_name(app) {
            Diagnostic::error(
                &app.source_file,
                at_start(),
                code::APPLICATION_NOT_CREATED,
                format!(
                    "Argo CD cannot create the Application `{}`: {why}",
                    app.name
                ),
            )
            .with_hint("an ID is written as a quoted string (`guild_id: \"123\"`): unquoted, a long number becomes a float64 such as 1.2345678901234568e+17")
        } else if let Some(why) = refusal(app, projects) {
            Diagnostic::error(
                &app.source_file,
                at_start(),
                code::DESTINATION_NOT_PERMITTED,
                format!("Argo CD would not deploy the Application {}: {why}", app.name),
            )
            .with_hint("only tenantctl's own rendering may choose namespaces: run `tenantctl render` and check the file against its project")
        } else {
            return true;
        };
        problems.push(found);
        false
    });
    problems
}

/// Why Kubernetes refuses `app`'s name (a DNS-1123 subdomain, as for every custom resource) or
/// its destination namespace (a DNS-1123 label), or `None`.
fn invalid_name(app: &GeneratedApp) -> Option<String> {
    let label = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    if app.name.len() > 253 || !app.name.split('.').all(label) {
        return Some(format!(
            "`{}` is not a valid Kubernetes name (lower-case letters, digits, `-` and `.`, at most 253 characters)",
            app.name
        ));
    }
    if !app.namespace.is_empty() && !label(&app.namespace) {
        return Some(format!(
            "its namespace `{}` is not a valid namespace name (lower-case letters, digits and `-`, at most 63 characters)",
            app.namespace
        ));
    }
    None
}

/// Why Argo CD would refuse `app` under `projects` (`IsDestinationPermitted`: some destination
/// whose server and namespace globs both match), or `None` when it is permitted.
fn refusal(app: &GeneratedApp, projects: &[&Value]) -> Option<String> {
    let Some(project) = projects
        .iter()
        .find(|p| p["metadata"]["name"].as_str() == Some(app.project.as_str()))
    else {
        return Some(format!(
            "no AppProject `{}` in kustomize/argocd/ (Argo CD skips an Application whose project does not exist)",
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
                    serde_saphyr::from_str_with_options(first, options).map_err(|_| {
                        let message = error.to_string();
                        match crate::yaml::non_finite_float(&message) {
                            Some(scalar) => crate::yaml::non_finite_message(&scalar),
                            None => message,
                        }
                    })?,
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

/// The line of `file` holding `needle` (1 when none does): where a construct is written.
fn line_of(view: &dyn RepoView, file: &str, needle: &str) -> Position {
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
    Position { line, column: 1 }
}

/// A construct of the repo's own ApplicationSet that `apps` does not evaluate: a configuration
/// problem at the line that holds it, never a guess.
fn unsupported(view: &dyn RepoView, file: &str, what: String, needle: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        line_of(view, file, needle),
        code::UNSUPPORTED_TEMPLATE,
        what,
    )
    .with_hint(
        "tenantctl evaluates git files generators, field references, literals, pipelines, trim markers and the sprig functions listed in the README",
    )
}

/// How many generated files are read before they are parsed, in parallel.
const PARSE_CHUNK: usize = 1024;

/// What one generated file gives: why Argo CD cannot use it (the whole generator fails), or
/// per parameter set an Application, or the template's failure with the Application's name
/// when that alone fills in.
enum FileOutcome {
    Unusable(Box<Diagnostic>),
    Filled(Vec<Filled>),
}

/// One parameter set through the template: its Application, or why Go's template fails and
/// the Application's name when that alone fills in.
enum Filled {
    App(GeneratedApp),
    Fails(Box<TemplateError>, Option<GeneratedApp>),
}

/// What one ApplicationSet generates: its Applications (or, when `problems` holds an error,
/// those it would have named: Argo CD creates none of them), and what went wrong.
struct Generated {
    apps: Vec<GeneratedApp>,
    problems: Vec<Diagnostic>,
    followed: Vec<(String, String)>,
}

fn generate(view: &dyn RepoView, file: &str, set: &Value) -> Result<Generated> {
    let set_name = set["metadata"]["name"].as_str().unwrap_or("").to_string();
    let go_template = set["spec"]["goTemplate"] == Value::Bool(true);
    let strict = set["spec"]["goTemplateOptions"]
        .as_array()
        .is_some_and(|o| o.iter().any(|v| v == "missingkey=error"));
    let template = &set["spec"]["template"];
    let mut generated = Generated {
        apps: Vec::new(),
        problems: Vec::new(),
        followed: Vec::new(),
    };
    if set["spec"].get("templatePatch").is_some() {
        // Argo CD applies it to every generated Application; not predicting it would be a
        // wrong answer.
        generated.problems.push(unsupported(
            view,
            file,
            format!("ApplicationSet {set_name}: `templatePatch`"),
            "templatePatch:",
        ));
        return Ok(generated);
    }
    for generator in set["spec"]["generators"].as_array().into_iter().flatten() {
        let Some(files) = generator["git"]["files"].as_array() else {
            let kind = generator
                .as_object()
                .and_then(|o| o.keys().next().cloned())
                .unwrap_or_default();
            generated.problems.push(unsupported(
                view,
                file,
                format!("ApplicationSet {set_name}: the `{kind}` generator"),
                &format!("{kind}:"),
            ));
            continue;
        };
        for pattern in files.iter().filter_map(|f| f["path"].as_str()) {
            // Read in order through the view, then parse and fill in parallel (both are pure,
            // and at 100,000 files most of a preview), a chunk at a time so that no more than a
            // chunk's bytes are held at once.
            for chunk in view.matching(pattern)?.chunks(PARSE_CHUNK) {
                let mut read = Vec::new();
                for matched in chunk {
                    if let Some(target) = view.link_target(matched)? {
                        generated.followed.push((matched.clone(), target));
                    }
                    let bytes = view.read(matched)?;
                    read.push((matched.clone(), bytes));
                }
                let filled: Vec<FileOutcome> = read
                    .par_iter()
                    .map(|(matched, bytes)| {
                        let params = match parameters(matched, bytes.as_deref(), go_template) {
                            Ok(params) => params,
                            Err(problem) => return FileOutcome::Unusable(problem),
                        };
                        FileOutcome::Filled(
                            params
                                .iter()
                                .map(|params| match fill(template, params, go_template, strict) {
                                    Ok(filled) => {
                                        Filled::App(application(&set_name, matched, &filled))
                                    }
                                    // Its name, when that alone fills in: two files claiming one
                                    // name are still reported.
                                    Err(error) => Filled::Fails(
                                        Box::new(error),
                                        fill(
                                            &template["metadata"]["name"],
                                            params,
                                            go_template,
                                            strict,
                                        )
                                        .ok()
                                        .map(|name| {
                                            let mut app =
                                                application(&set_name, matched, &Value::Null);
                                            app.name = name.as_str().unwrap_or("").to_string();
                                            app
                                        }),
                                    ),
                                })
                                .collect(),
                        )
                    })
                    .collect();
                for ((matched, _), outcome) in read.iter().zip(filled) {
                    match outcome {
                        FileOutcome::Unusable(problem) => generated.problems.push(*problem),
                        FileOutcome::Filled(results) => {
                            for result in results {
                                match result {
                                    Filled::App(app) => generated.apps.push(app),
                                    Filled::Fails(error, named) => {
                                        generated.problems.push(template_problem(
                                            view, file, &set_name, matched, *error,
                                        ));
                                        generated.apps.extend(named);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(generated)
}

/// A template that does not fill in for one generated file, as a diagnostic: where the
/// construct is written (E337) or what the file lacks (E351) or why Go fails (E352).
fn template_problem(
    view: &dyn RepoView,
    file: &str,
    set_name: &str,
    matched: &str,
    error: TemplateError,
) -> Diagnostic {
    let consequence = "Argo CD generates no Application from this ApplicationSet";
    match error {
        TemplateError::Unsupported { construct, message } => unsupported(
            view,
            file,
            format!("ApplicationSet {set_name}: {message}"),
            &construct,
        ),
        TemplateError::MissingKey { key } => Diagnostic::error(
            matched,
            at_start(),
            code::TEMPLATE_MISSING_KEY,
            format!(
                "the ApplicationSet {set_name} reads `.{key}`, which this file does not set: with missingkey=error {consequence}"
            ),
        )
        .with_hint(format!("set `{key}` in this file, or change the template in {file}")),
        TemplateError::Fails { message } => Diagnostic::error(
            file,
            line_of(view, file, "{{"),
            code::TEMPLATE_FAILS,
            format!("ApplicationSet {set_name}, for {matched}: Go's template fails: {message}; {consequence}"),
        )
        .with_hint("Go passes a missing key as nil and a number as float64: a function taking a string fails on them"),
    }
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
    }
}

/// The parameter sets of one generated file: its content (one set, or one per list item) plus
/// the `path` parameters; or, when Argo CD cannot use the file, why (it fails the whole
/// generator then).
fn parameters(
    file: &str,
    bytes: Option<&[u8]>,
    go_template: bool,
) -> std::result::Result<Vec<Map<String, Value>>, Box<Diagnostic>> {
    let Some(bytes) = bytes else {
        return Err(Box::new(Diagnostic::error(
            file,
            at_start(),
            code::UNREADABLE,
            "a symbolic link leading out of the repository or to nothing: Argo CD's git generator fails on it and generates no Application at all",
        )));
    };
    let document = match argo_yaml(bytes) {
        Ok(document) => document,
        Err(message) => {
            return Err(Box::new(Diagnostic::error(
                file,
                at_start(),
                code::YAML_SYNTAX,
                format!(
                    "{message}: Argo CD's git generator fails on this file and generates no Application at all"
                ),
            )));
        }
    };
    let items = match document {
        Value::Array(items) => items,
        other => vec![other],
    };
    let path = path_params(file);
    let mut sets = Vec::new();
    for item in items {
        let Value::Object(mut params) = item else {
            return Err(Box::new(Diagnostic::error(
                file,
                at_start(),
                code::SCHEMA,
                "Argo CD's git generator needs a mapping here",
            )));
        };
        if go_template {
            params.insert("path".into(), path.clone());
        } else {
            params = flatten(&Value::Object(params));
            params.extend(flatten(&serde_json::json!({ "path": path })));
            params.insert("path".into(), path["path"].clone());
        }
        sets.push(params);
    }
    Ok(sets)
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
) -> std::result::Result<Value, TemplateError> {
    Ok(match template {
        Value::String(s) if go => Value::String(gotemplate::fill(s, params, strict)?),
        Value::String(s) => Value::String(fasttemplate(s, params)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| fill(v, params, go, strict))
                .collect::<std::result::Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), fill(v, params, go, strict)?)))
                .collect::<std::result::Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

/// fasttemplate, Argo CD's template engine without `goTemplate`: `{{ name }}` replaced by the
/// flattened parameter, an unknown name left as it is.
fn fasttemplate(
    text: &str,
    params: &Map<String, Value>,
) -> std::result::Result<String, TemplateError> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out += &rest[..start];
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| TemplateError::Fails {
            message: format!("unclosed `{{{{` in `{text}`"),
        })?;
        // Argo CD writes an unknown tag back as it was, spaces included.
        let tag = &after[..end];
        out += &match params.get(tag.trim()) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => format!("{{{{{tag}}}}}"),
            Some(other) => other.to_string(),
        };
        rest = &after[end + 2..];
    }
    out += rest;
    Ok(out)
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
    // `git ls-files` lists a symbolic link as one entry (never descending into a linked
    // folder) and Argo CD reads through it: a link that matches is generated from.
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
                crate::source::Fetched::Refused(Refusal::Symlink { path }) => {
                    if path == dir && pathspec.is_match(&dir) {
                        matched.push(dir);
                    }
                    continue;
                }
                _ => {}
            }
        }
        let entries = match tree.list(&dir) {
            Ok(entries) => entries,
            // A linked folder on the way: git lists the link, not what is behind it.
            Err(Error::Invalid(_)) => continue,
            Err(other) => return Err(other),
        };
        // One buffer for every entry's path: a folder of 100,000 guilds is listed once per
        // shard, and only the entries that can match are looked at.
        let mut relative = String::new();
        for (name, kind) in candidates(&entries, &dir, literal) {
            relative.clear();
            if !dir.is_empty() {
                relative.push_str(&dir);
                relative.push('/');
            }
            relative.push_str(name);
            // Neither under the pattern's literal start nor on the way to it: cannot match,
            // nor can anything below it (a shard's pattern skips every other guild at once).
            if !relative.starts_with(literal) && !literal.starts_with(relative.as_str()) {
                continue;
            }
            let matches = pathspec.is_match(&relative);
            match kind {
                EntryKind::File | EntryKind::Symlink if matches => matched.push(relative.clone()),
                EntryKind::Dir if level + 1 < depth => pending.push((relative.clone(), level + 1)),
                _ => {}
            }
        }
    }
    matched.sort();
    Ok(matched)
}

/// The entries of folder `dir` (sorted by name) whose path can match a pattern starting with
/// `literal`, or lead to one that can: those whose name starts with what `literal` has after
/// `dir/`, or is the start of it (every entry in a folder below `literal`, none beside it).
/// Found by binary search in the sorted listing, so that each shard's pattern costs its own
/// guilds rather than every guild's.
fn candidates<'a>(
    entries: &'a [(String, EntryKind)],
    dir: &str,
    literal: &str,
) -> Vec<&'a (String, EntryKind)> {
    let folder = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let Some(rest) = literal
        .strip_prefix(&folder)
        .filter(|rest| !rest.is_empty())
    else {
        // Below the literal start every entry can match; beside it, none.
        return if folder.starts_with(literal) {
            entries.iter().collect()
        } else {
            Vec::new()
        };
    };
    let start = entries.partition_point(|(name, _)| name.as_str() < rest);
    let mut found: Vec<&(String, EntryKind)> = (1..rest.len())
        .filter(|end| rest.is_char_boundary(*end))
        .filter_map(|end| {
            let prefix = &rest[..end];
            entries
                .binary_search_by(|(name, _)| name.as_str().cmp(prefix))
                .ok()
                .map(|at| &entries[at])
        })
        .collect();
    found.extend(
        entries[start..]
            .iter()
            .take_while(|(name, _)| name.starts_with(rest)),
    );
    found
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
    fn fasttemplate_leaves_unknown_tags_as_argo_cd_does() {
        let params: Map<String, Value> =
            serde_json::from_str(r#"{"guild_id": "7", "path.basename": "guilds"}"#).unwrap();
        assert_eq!(
            fasttemplate("guild-{{ guild_id }}/{{path.basename}}", &params).unwrap(),
            "guild-7/guilds"
        );
        assert_eq!(fasttemplate("{{ nope }}", &params).unwrap(), "{{ nope }}");
    }

    #[test]
    fn the_candidates_of_a_folder_are_the_entries_the_prefix_check_keeps() {
        let names = [
            "g",
            "gu",
            "guild",
            "guild-",
            "guild-1",
            "guild-1.yaml",
            "guild-10.yaml",
            "guild-100",
            "guild-2.yaml",
            "guilds",
            "guilds-README.md",
            "h",
            "kustomize",
            "shop-004",
            "shop-0041",
            "shop-005",
            "é",
            "éa",
        ];
        let mut entries: Vec<(String, EntryKind)> = names
            .iter()
            .map(|n| (n.to_string(), EntryKind::File))
            .collect();
        entries.sort();
        let cases = [
            ("", "guild-1"),
            ("", "guilds/guild-"),
            ("", ""),
            ("guilds", "guilds/guild-10"),
            ("guilds", "guilds/"),
            ("guilds", "guilds/é"),
            ("kustomize/tenants", "kustomize/tenants/shop-004"),
            ("kustomize/tenants/shop-0041", "kustomize/tenants/shop-004"),
            ("other", "kustomize/"),
        ];
        for (dir, literal) in cases {
            let keep = |name: &str| {
                let relative = if dir.is_empty() {
                    name.to_string()
                } else {
                    format!("{dir}/{name}")
                };
                relative.starts_with(literal) || literal.starts_with(relative.as_str())
            };
            let mut wanted: Vec<&str> = names.iter().copied().filter(|n| keep(n)).collect();
            let mut found: Vec<&str> = candidates(&entries, dir, literal)
                .iter()
                .map(|(name, _)| name.as_str())
                .collect();
            wanted.sort();
            found.sort();
            assert_eq!(found, wanted, "{dir:?} {literal:?}");
        }
    }
}
