//! `validate --manifests`: build every overlay with the real kustomize (never re-implemented),
//! in parallel, and check each resulting manifest against JSON schemas laid out like
//! kubeconform's (`deployment-apps-v1.json`, `argoproj.io/applicationset_v1alpha1.json`), or
//! CustomResourceDefinition files dropped into the same directory (the Argo CD CRDs, say).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use jsonschema::{Retrieve, Uri, Validator};
use rayon::prelude::*;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::{Guild, Tenant};
use crate::render::{self, tenant::TENANT_OVERLAYS_DIR};
use crate::validate::Model;
use crate::validate::diagnostic::{Diagnostic, code};
use crate::yaml::Position;

/// An overlay to build and the repo paths (files or `dir/` prefixes) its output depends on.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub dir: String,
    pub inputs: Vec<String>,
}

/// Every guild and tenant overlay of the model.
pub fn overlays(model: &Model) -> Vec<Overlay> {
    let shared = ["tenantctl.yaml".to_string(), "templates/".to_string()];
    let mut out = Vec::new();
    for guild in model.guilds.values() {
        let dir = format!("{}/guild-{}", render::GUILD_OVERLAYS_DIR, guild.guild_id);
        let mut inputs = vec![
            Guild::path_for(&guild.guild_id),
            format!("{dir}/"),
            format!("kustomize/{}/", guild.tier),
            "kustomize/base/".into(),
            format!("{}/", crate::secret::Owner::guild(&guild.guild_id).dir()),
        ];
        inputs.extend(shared.clone());
        out.push(Overlay { dir, inputs });
    }
    for tenant in model.tenants.values() {
        let dir = format!("{TENANT_OVERLAYS_DIR}/{}", tenant.spec.tenant_id);
        let mut inputs = vec![
            Tenant::path_for(&tenant.spec.tenant_id),
            format!("{dir}/"),
            format!(
                "{}/",
                crate::secret::Owner::tenant(&tenant.spec.tenant_id).dir()
            ),
        ];
        inputs.extend(shared.clone());
        out.push(Overlay { dir, inputs });
    }
    out
}

/// Keeps the overlays with an input among `changed` (repo-relative paths).
pub fn touched(overlays: Vec<Overlay>, changed: &BTreeSet<String>) -> Vec<Overlay> {
    overlays
        .into_iter()
        .filter(|o| {
            o.inputs.iter().any(|input| {
                changed
                    .iter()
                    .any(|c| c == input || (input.ends_with('/') && c.starts_with(input.as_str())))
            })
        })
        .collect()
}

/// How to run kustomize: `kustomize build` if it is on PATH, else `kubectl kustomize`.
pub fn find_kustomize() -> Result<Vec<String>> {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
    };
    if on_path("kustomize") {
        Ok(vec!["kustomize".into(), "build".into()])
    } else if on_path("kubectl") {
        Ok(vec!["kubectl".into(), "kustomize".into()])
    } else {
        Err(Error::usage(
            "--manifests needs kustomize or kubectl on PATH, and neither is there",
            "install kubectl (it has kustomize built in) or kustomize, or drop --manifests",
        ))
    }
}

/// Builds the overlays in parallel and checks every manifest (and the rendered ApplicationSets
/// and CRD) against `schemas`, if given. Returns the findings and how many manifests were checked.
pub fn check(
    root: &Path,
    overlays: &[Overlay],
    kustomize: &[String],
    schemas: Option<&SchemaDir>,
) -> (Vec<Diagnostic>, usize) {
    let results: Vec<(Vec<Diagnostic>, usize)> = overlays
        .par_iter()
        .map(|overlay| {
            let file = format!("{}/kustomization.yaml", overlay.dir);
            let output = Command::new(&kustomize[0])
                .args(&kustomize[1..])
                .arg(root.join(&overlay.dir))
                .output();
            let built = match output {
                Ok(out) if out.status.success() => {
                    String::from_utf8_lossy(&out.stdout).into_owned()
                }
                Ok(out) => {
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    let reason = stderr
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("kustomize failed")
                        .trim()
                        .to_string();
                    return (
                        vec![Diagnostic::error(
                            &file,
                            start(),
                            code::KUSTOMIZE_FAILED,
                            format!("kustomize cannot build {}: {reason}", overlay.dir),
                        )],
                        0,
                    );
                }
                Err(e) => {
                    return (
                        vec![Diagnostic::error(
                            &file,
                            start(),
                            code::KUSTOMIZE_FAILED,
                            format!("cannot run {}: {e}", kustomize[0]),
                        )],
                        0,
                    );
                }
            };
            check_text(&file, &built, schemas)
        })
        .collect();
    let mut diagnostics = Vec::new();
    let mut count = 0;
    for (found, n) in results {
        diagnostics.extend(found);
        count += n;
    }
    for file in [
        render::APPLICATION_SET_PATH,
        render::TENANTS_APPLICATION_SET_PATH,
        render::APP_PROJECTS_PATH,
        render::crd::CRD_PATH,
    ] {
        // Through the repo's boundary: never a link, never over the limit.
        if let Ok(Some(bytes)) = crate::source::Source::read(&crate::source::Disk::new(root), file)
            && let Ok(text) = String::from_utf8(bytes)
        {
            let (found, n) = check_text(file, &text, schemas);
            diagnostics.extend(found);
            count += n;
        }
    }
    (diagnostics, count)
}

fn start() -> Position {
    Position { line: 1, column: 1 }
}

fn check_text(file: &str, text: &str, schemas: Option<&SchemaDir>) -> (Vec<Diagnostic>, usize) {
    let documents: Vec<Value> = match serde_saphyr::from_multiple(text) {
        Ok(documents) => documents,
        Err(e) => {
            return (
                vec![Diagnostic::error(
                    file,
                    start(),
                    code::KUSTOMIZE_FAILED,
                    format!("the built output is not YAML: {e}"),
                )],
                0,
            );
        }
    };
    let Some(schemas) = schemas else {
        return (Vec::new(), documents.len());
    };
    let mut out = Vec::new();
    for manifest in documents.iter().filter(|d| d.is_object()) {
        let kind = manifest["kind"].as_str().unwrap_or("");
        let name = manifest["metadata"]["name"].as_str().unwrap_or("");
        let api_version = manifest["apiVersion"].as_str().unwrap_or("");
        match schemas.validator(api_version, kind) {
            Err(reason) => out.push(
                Diagnostic::error(
                    file,
                    start(),
                    code::MANIFEST_NO_SCHEMA,
                    format!("{kind} {name}: {reason}"),
                )
                .with_hint("add the kind's schema (or its CRD) to --schema-dir"),
            ),
            Ok(validator) => {
                for error in validator.iter_errors(manifest) {
                    let at = error.instance_path().as_str().to_string();
                    out.push(Diagnostic::error(
                        file,
                        start(),
                        code::MANIFEST_SCHEMA,
                        format!(
                            "{kind} {name}: {}: {error}",
                            if at.is_empty() { "/" } else { &at }
                        ),
                    ));
                }
            }
        }
    }
    (out, documents.len())
}

/// A kind's compiled schema, or why there is none.
type Compiled = std::result::Result<Arc<Validator>, String>;

/// The most bytes read of one file in a `--schema-dir`: schemas are larger than config files
/// (kubernetes-validate's `_definitions.json` is 1.3 MB, Argo CD's ApplicationSet CRD 1.4 MB),
/// but still bounded before they are read.
pub const MAX_SCHEMA_BYTES: u64 = 16 * 1024 * 1024;

/// Where a `--schema-dir` is. One inside the config repo is read through the repo's boundary,
/// as every other file there: no symbolic link is followed (E102), so a committed
/// `schemas/argocd` linking out of the repository is refused rather than read. One outside the
/// repo is the user's own choice on the command line and is read as named.
#[derive(Debug, Clone)]
enum Place {
    Repo { root: PathBuf, dir: String },
    Outside(PathBuf),
}

impl Place {
    /// `dir` as given on the command line (relative to the working directory), placed.
    fn of(root: &Path, dir: &Path) -> Result<Place> {
        let cwd =
            std::env::current_dir().map_err(|e| anyhow::anyhow!("the working directory: {e}"))?;
        // Lexically, without following links: a link is exactly what must not decide.
        let mut absolute = PathBuf::new();
        for part in cwd.join(dir).components() {
            match part {
                std::path::Component::ParentDir => {
                    absolute.pop();
                }
                std::path::Component::CurDir => {}
                other => absolute.push(other),
            }
        }
        let Ok(inside) = absolute.strip_prefix(root) else {
            return if absolute.is_dir() {
                Ok(Place::Outside(absolute))
            } else {
                Err(not_a_directory(dir))
            };
        };
        let parts: Vec<String> = inside
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.is_empty() {
            return Err(Error::usage(
                format!("--schema-dir {} is the config repo itself", dir.display()),
                "give the folder of the schemas, such as schemas/kubernetes",
            ));
        }
        let place = Place::Repo {
            root: root.to_path_buf(),
            dir: parts.join("/"),
        };
        // Listing refuses a link on the way or at the folder itself (E102).
        let disk = crate::source::Disk::new(root);
        let listed = crate::source::Source::list(&disk, &parts.join("/"))?;
        if listed.is_empty() && !absolute.is_dir() {
            return Err(not_a_directory(dir));
        }
        Ok(place)
    }

    /// The path of `name` (`/`-separated, inside this directory), for messages.
    fn shown(&self, name: &str) -> String {
        match self {
            Place::Repo { dir, .. } if dir.is_empty() => name.to_string(),
            Place::Repo { dir, .. } => format!("{dir}/{name}"),
            Place::Outside(dir) => dir.join(name).display().to_string(),
        }
    }

    /// The bytes of `name` inside this directory, at most [`MAX_SCHEMA_BYTES`]; `None` when
    /// there is no such file. A link inside the repo, or a file over the limit, is an error.
    fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        match self {
            Place::Repo { root, .. } => {
                let disk = crate::source::Disk::new(root);
                match disk.fetch_up_to(&self.shown(name), MAX_SCHEMA_BYTES)? {
                    crate::source::Fetched::Missing => Ok(None),
                    crate::source::Fetched::File(bytes) => Ok(Some(bytes)),
                    crate::source::Fetched::Refused(refusal) => Err(refusal.into_error()),
                }
            }
            Place::Outside(dir) => {
                match crate::source::read_named_file_up_to(dir.join(name), MAX_SCHEMA_BYTES) {
                    Ok(Ok(bytes)) => Ok(Some(bytes)),
                    Ok(Err(refusal)) => Err(refusal.into_error()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(anyhow::anyhow!("reading {}: {e}", self.shown(name)).into()),
                }
            }
        }
    }

    /// The YAML files under this directory, recursively, as names inside it.
    fn yaml_files(&self) -> Result<Vec<String>> {
        let is_yaml = |name: &str| name.ends_with(".yaml") || name.ends_with(".yml");
        match self {
            Place::Repo { root, dir } => {
                let disk = crate::source::Disk::new(root);
                // Refuses any link below the folder (E102).
                let files = crate::source::Source::walk_files(&disk, dir)?;
                Ok(files
                    .iter()
                    .filter(|f| is_yaml(f))
                    .map(|f| f.strip_prefix(&format!("{dir}/")).unwrap_or(f).to_string())
                    .collect())
            }
            Place::Outside(dir) => Ok(walkdir::WalkDir::new(dir)
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| !e.file_type().is_dir())
                .filter_map(|e| {
                    let name = e
                        .path()
                        .strip_prefix(dir)
                        .ok()?
                        .to_string_lossy()
                        .into_owned();
                    is_yaml(&name).then_some(name)
                })
                .collect()),
        }
    }
}

fn not_a_directory(dir: &Path) -> Error {
    Error::usage(
        format!("--schema-dir {} is not a directory", dir.display()),
        "give a directory of JSON schemas laid out like kubeconform's",
    )
}

/// JSON schemas by kind, from kubeconform-style file names and CRD files in some directories.
pub struct SchemaDir {
    places: Vec<Place>,
    /// `(apiVersion, kind)` -> the schema of a CRD found in the directories.
    crds: HashMap<(String, String), Value>,
    compiled: Mutex<HashMap<(String, String), Compiled>>,
}

impl SchemaDir {
    /// Reads the directories' CRD files; JSON schemas are compiled on first use. Directories
    /// inside the repo at `root` are read through its boundary (no symbolic link followed);
    /// every file is read bounded ([`MAX_SCHEMA_BYTES`]).
    pub fn open(root: &Path, dirs: &[PathBuf]) -> Result<SchemaDir> {
        let mut crds = HashMap::new();
        let mut places = Vec::new();
        for dir in dirs {
            let place = Place::of(root, dir)?;
            for name in place.yaml_files()? {
                let Some(bytes) = place.read(&name)? else {
                    continue;
                };
                let Ok(text) = String::from_utf8(bytes) else {
                    continue;
                };
                let Ok(documents) = serde_saphyr::from_multiple::<Value>(&text) else {
                    continue;
                };
                for crd in documents
                    .iter()
                    .filter(|d| d["kind"] == "CustomResourceDefinition")
                {
                    let group = crd["spec"]["group"].as_str().unwrap_or("");
                    let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or("");
                    for version in crd["spec"]["versions"].as_array().into_iter().flatten() {
                        let name = version["name"].as_str().unwrap_or("");
                        crds.insert(
                            (format!("{group}/{name}"), kind.to_string()),
                            version["schema"]["openAPIV3Schema"].clone(),
                        );
                    }
                }
            }
            places.push(place);
        }
        Ok(SchemaDir {
            places,
            crds,
            compiled: Mutex::new(HashMap::new()),
        })
    }

    /// The validator for a kind, compiled once and shared by every thread.
    fn validator(
        &self,
        api_version: &str,
        kind: &str,
    ) -> std::result::Result<Arc<Validator>, String> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(found) = self.compiled.lock().expect("not poisoned").get(&key) {
            return found.clone();
        }
        let compiled = self.compile(api_version, kind).map(Arc::new);
        self.compiled
            .lock()
            .expect("not poisoned")
            .insert(key, compiled.clone());
        compiled
    }

    fn compile(&self, api_version: &str, kind: &str) -> std::result::Result<Validator, String> {
        if let Some(schema) = self.crds.get(&(api_version.to_string(), kind.to_string())) {
            return jsonschema::options()
                .build(schema)
                .map_err(|e| format!("its CRD schema does not compile: {e}"));
        }
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let kind_lower = kind.to_lowercase();
        let names = [
            if group.is_empty() {
                format!("{kind_lower}-{version}.json")
            } else {
                format!(
                    "{kind_lower}-{}-{version}.json",
                    group.split('.').next().unwrap_or(group)
                )
            },
            format!("{group}/{kind_lower}_{version}.json"),
        ];
        for place in &self.places {
            for name in &names {
                let shown = place.shown(name);
                let text = match place.read(name) {
                    Ok(Some(bytes)) => bytes,
                    Ok(None) => continue,
                    Err(Error::Invalid(found)) => {
                        let why: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
                        return Err(format!("{shown}: {}", why.join("; ")));
                    }
                    Err(e) => return Err(format!("{shown}: {e}")),
                };
                let schema: Value = serde_json::from_slice(&text)
                    .map_err(|e| format!("{shown} is not JSON: {e}"))?;
                let beside = name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                return jsonschema::options()
                    .with_retriever(SiblingFiles {
                        place: place.clone(),
                        dir: beside.to_string(),
                    })
                    .build(&schema)
                    .map_err(|e| format!("{shown} does not compile: {e}"));
            }
        }
        Err(format!(
            "no schema for {api_version} {kind} (looked for {})",
            names.join(", ")
        ))
    }
}

/// Resolves `$ref`s such as `/api/_definitions.json#/...` to the file of that name beside the
/// schema, as kubernetes-validate's `-local` schemas need; read as the schema was (bounded, and
/// through the repo's boundary when it is inside the repo).
struct SiblingFiles {
    place: Place,
    /// The folder of the schema inside its `--schema-dir` (`""` at the top).
    dir: String,
}

impl Retrieve for SiblingFiles {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> std::result::Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string();
        let inside = if self.dir.is_empty() {
            name.clone()
        } else {
            format!("{}/{name}", self.dir)
        };
        let bytes = self
            .place
            .read(&inside)
            .map_err(|e| format!("{name}: {e}"))?
            .ok_or_else(|| format!("{name}: no such file beside the schema"))?;
        Ok(serde_json::from_slice(&bytes)?)
    }
}
