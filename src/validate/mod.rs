//! Validation: schemas and rules over a [`Snapshot`], giving every problem as a [`Diagnostic`]
//! and, when there is none, the [`Model`] that rendering works from.

pub mod argo_crd;
pub mod capacity;
pub mod credentials;
pub mod diagnostic;
pub mod fence;
pub mod formats;
pub mod placement;
pub mod rules;
pub mod schema;
pub mod suggest;
pub mod tenant_rules;

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;

use crate::config::{Config, Tier};
use crate::embedded::{self, EmbeddedFile};
use crate::error::{Error, Result};
use crate::load::{Snapshot, SourceFile};
use crate::model::{Guild, Tenant};
use diagnostic::{Diagnostic, code};
use schema::Schema;

/// The compiled schemas of a repo (its own copies, or the embedded defaults).
pub struct Schemas {
    pub guild: Schema,
    pub tenant: Schema,
    pub config: Schema,
}

impl Schemas {
    pub fn load(root: &Path) -> Result<Schemas> {
        Schemas::load_from(&crate::source::Disk::new(root))
    }

    /// The schemas as `source` (the working tree or a commit) has them.
    pub fn load_from(source: &dyn crate::source::Source) -> Result<Schemas> {
        let compile = |file: EmbeddedFile| -> Result<Schema> {
            let text = embedded::read_or_default(source, file)?;
            Schema::compile(file.path, &text).map_err(|e| {
                Error::config(
                    e,
                    format!(
                        "fix {} in the repo, or delete it to use the built-in default",
                        file.path
                    ),
                )
            })
        };
        Ok(Schemas {
            guild: compile(embedded::GUILD_SCHEMA)?,
            tenant: compile(embedded::TENANT_SCHEMA)?,
            config: compile(embedded::CONFIG_SCHEMA)?,
        })
    }
}

/// A repo's configuration once it has passed validation: what rendering works from.
#[derive(Debug, Clone)]
pub struct Model {
    pub config: Config,
    /// Guilds by ID.
    pub guilds: BTreeMap<String, Guild>,
    /// Tenants by tenantId.
    pub tenants: BTreeMap<String, Tenant>,
    /// Secret files (`secrets/<owner>/<name>.yaml`), sorted by path.
    pub secrets: Vec<crate::secret::SecretFile>,
}

impl Model {
    /// The tier a guild is on; validation guarantees it exists.
    pub fn tier_of(&self, guild: &Guild) -> &Tier {
        &self.config.tiers[&guild.tier]
    }

    /// A guild's resource values: the file's own, the tier's defaults for the rest.
    pub fn effective_resources(&self, guild: &Guild) -> BTreeMap<String, String> {
        effective_resources(&self.config, guild)
    }
}

/// A guild's resource values with the tier's defaults filled in.
pub fn effective_resources(config: &Config, guild: &Guild) -> BTreeMap<String, String> {
    let mut resources = config
        .tiers
        .get(&guild.tier)
        .map(|tier| tier.defaults.clone())
        .unwrap_or_default();
    resources.extend(guild.resources.clone());
    resources
}

/// What validation found.
#[derive(Debug)]
pub struct Report {
    /// Every finding, sorted by file and line.
    pub diagnostics: Vec<Diagnostic>,
    /// The validated configuration, when there is no error.
    pub model: Option<Model>,
}

impl Report {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// The model, or every diagnostic as an error.
    pub fn into_model(self) -> Result<Model> {
        match self.model {
            Some(model) => Ok(model),
            None => Err(Error::Invalid(self.diagnostics)),
        }
    }
}

/// Checks every file of the snapshot: config, each guild (in parallel), then cross-file rules.
pub fn validate(snapshot: &Snapshot, schemas: &Schemas) -> Report {
    validate_trusting(snapshot, schemas, &|_| false)
}

/// [`validate`], with the guild and tenant files `trusted` names taken as passing the checks
/// of the file alone (YAML 1.1 traps, schema, the rules about one file): they count in every
/// rule across files as before. For a change to a commit tenantctl made and found valid, with
/// the same config, schemas and binary: those checks are a function of the file's bytes and
/// path, the config and the schemas, so an unchanged file passes them again.
pub fn validate_trusting(
    snapshot: &Snapshot,
    schemas: &Schemas,
    trusted: &(dyn Fn(&str) -> bool + Sync),
) -> Report {
    // Symbolic links found while reading (E102): errors, so nothing is rendered or written.
    let mut diagnostics = snapshot.problems.clone();
    let config = check_config(snapshot, schemas, &mut diagnostics);
    let checked: Vec<(Vec<Diagnostic>, Option<Guild>)> = snapshot
        .guilds
        .par_iter()
        .map(|(path, file)| {
            let known = trusted(path)
                .then(|| file.parsed.as_ref().ok())
                .flatten()
                .and_then(|document| Guild::from_value(&document.value));
            match known {
                Some(guild) => (Vec::new(), Some(guild)),
                None => check_guild(file, schemas, config.as_ref()),
            }
        })
        .collect();
    let mut guilds: Vec<(&str, Guild)> = Vec::new();
    for ((path, _), (found, guild)) in snapshot.guilds.iter().zip(checked) {
        diagnostics.extend(found);
        if let Some(guild) = guild {
            guilds.push((path, guild));
        }
    }
    diagnostics.extend(rules::duplicate_ids(snapshot, &guilds));
    let checked: Vec<(Vec<Diagnostic>, Option<Tenant>)> = snapshot
        .tenants
        .par_iter()
        .map(|(path, file)| {
            let known = trusted(path)
                .then(|| file.parsed.as_ref().ok())
                .flatten()
                .and_then(|document| serde_json::from_value::<Tenant>(document.value.clone()).ok());
            match known {
                Some(tenant) => (Vec::new(), Some(tenant)),
                None => check_tenant(file, schemas),
            }
        })
        .collect();
    let mut tenants = Vec::new();
    for ((path, file), (found, tenant)) in snapshot.tenants.iter().zip(checked) {
        diagnostics.extend(found);
        if let (Some(tenant), Ok(document)) = (tenant, &file.parsed) {
            tenants.push((path.as_str(), document, tenant));
        }
    }
    diagnostics.extend(tenant_rules::tenant_uniqueness(&tenants));
    if let Some(config) = &config {
        diagnostics.extend(fence::tenant_namespace_rules(&tenants, &guilds, config));
        diagnostics.extend(capacity::tenant_capacity(&tenants, config));
        for (path, document, tenant) in &tenants {
            diagnostics.extend(placement::tenant_rules(path, document, tenant, config));
        }
        diagnostics.extend(duplicate_budgets(snapshot, config));
        if let Ok(document) = &snapshot.config.parsed {
            let guild_ids: Vec<&str> = guilds.iter().map(|(_, g)| g.guild_id.as_str()).collect();
            diagnostics.extend(fence::argo_name_rules(
                &snapshot.config.path,
                document,
                config,
                &guild_ids,
                tenants.iter().map(|(_, _, t)| t),
            ));
        }
        if let Ok(document) = &snapshot.config.parsed {
            diagnostics.extend(placement::capacity_rules(
                &snapshot.config.path,
                document,
                config,
                guilds.iter().map(|(_, g)| g),
                tenants.iter().map(|(_, _, t)| t),
            ));
        }
    }
    diagnostics.extend(credentials::check(snapshot, trusted));
    credentials::drop_repeats(&mut diagnostics);
    attach_source_lines(snapshot, &mut diagnostics);
    diagnostic::sort(&mut diagnostics);
    let has_error = diagnostics.iter().any(Diagnostic::is_error);
    let model = match config {
        Some(config) if !has_error => Some(Model {
            config,
            guilds: guilds
                .into_iter()
                .map(|(_, g)| (g.guild_id.clone(), g))
                .collect(),
            tenants: tenants
                .into_iter()
                .map(|(_, _, t)| (t.spec.tenant_id.clone(), t))
                .collect(),
            secrets: crate::secret::entries(snapshot),
        }),
        _ => None,
    };
    Report { diagnostics, model }
}

/// PodDisruptionBudgets kept in a tier overlay whose guilds get rendered ones: kustomize would
/// refuse every guild overlay of the tier (two objects with one name).
fn duplicate_budgets(snapshot: &Snapshot, config: &Config) -> Vec<Diagnostic> {
    snapshot
        .overlay_budgets
        .iter()
        .filter_map(|(overlay, path, line)| {
            let tier = config.tiers.get(overlay)?;
            let rendered = crate::render::guild::Scale::of(tier).budgets();
            (!rendered.is_empty()).then(|| {
                Diagnostic::error(
                    path,
                    crate::yaml::Position { line: *line, column: 1 },
                    code::DUPLICATE_DISRUPTION_BUDGET,
                    format!(
                        "a PodDisruptionBudget in the `{overlay}` tier overlay: tenantctl renders them for every guild of the tier ({}), and kustomize refuses two with one name",
                        rendered.join(", ")
                    ),
                )
                .with_hint(format!("delete this PodDisruptionBudget from {path}; tiers.{overlay}.replicas and .autoscaling in tenantctl.yaml decide them now"))
            })
        })
        .collect()
}

/// Copies the line each diagnostic points at, so it can be shown even for a file not yet on disk.
pub fn attach_source_lines(snapshot: &Snapshot, diagnostics: &mut [Diagnostic]) {
    for diagnostic in diagnostics {
        let path = diagnostic.file.to_string_lossy();
        let file = snapshot.file(&path);
        if let Some(line) = file.and_then(|f| f.text.lines().nth(diagnostic.line.saturating_sub(1)))
        {
            diagnostic.show_line(line);
        }
    }
}

/// [`yaml11_traps`], unless the file is known to hold none ([`SourceFile::clean`]).
fn known_traps(file: &SourceFile, document: &crate::yaml::Document) -> Vec<Diagnostic> {
    if file.clean {
        Vec::new()
    } else {
        yaml11_traps(file, document)
    }
}

/// Plain scalars that Argo CD's and kubectl's YAML 1.1 readers would read as something else.
fn yaml11_traps(file: &SourceFile, document: &crate::yaml::Document) -> Vec<Diagnostic> {
    document
        .yaml11_traps(&file.text)
        .into_iter()
        .map(|trap| {
            Diagnostic::error(
                &file.path,
                trap.position,
                code::YAML11_TRAP,
                format!(
                    "unquoted `{}` is {} to YAML 1.1 readers such as Argo CD's",
                    trap.value, trap.reading
                ),
            )
            .with_hint(format!("quote it: \"{}\"", trap.value))
        })
        .collect()
}

fn parse_error(file: &SourceFile, error: &crate::yaml::ParseError) -> Diagnostic {
    let code = if error.syntax {
        code::YAML_SYNTAX
    } else {
        code::UNREADABLE
    };
    let diagnostic = Diagnostic::error(&file.path, error.position, code, error.message.clone());
    match &error.hint {
        Some(hint) => diagnostic.with_hint(hint.clone()),
        None => diagnostic,
    }
}

fn check_config(
    snapshot: &Snapshot,
    schemas: &Schemas,
    out: &mut Vec<Diagnostic>,
) -> Option<Config> {
    let file = &snapshot.config;
    let document = match &file.parsed {
        Ok(document) => document,
        Err(error) => {
            out.push(parse_error(file, error));
            return None;
        }
    };
    out.extend(yaml11_traps(file, document));
    let found = schemas.config.check(&file.path, &file.text, document);
    if !found.is_empty() {
        out.extend(found);
        return None;
    }
    match serde_json::from_value::<Config>(document.value.clone()) {
        Ok(config) => {
            out.extend(rules::config_rules(
                &file.path,
                document,
                &config,
                &snapshot.overlays,
            ));
            out.extend(fence::config_fence_rules(&file.path, document, &config));
            out.extend(placement::config_rules(&file.path, document, &config));
            Some(config)
        }
        Err(error) => {
            out.push(Diagnostic::error(
                &file.path,
                document.value_position(""),
                code::SCHEMA,
                error.to_string(),
            ));
            None
        }
    }
}

fn check_guild(
    file: &SourceFile,
    schemas: &Schemas,
    config: Option<&Config>,
) -> (Vec<Diagnostic>, Option<Guild>) {
    let document = match &file.parsed {
        Ok(document) => document,
        Err(error) => return (vec![parse_error(file, error)], None),
    };
    let mut found = known_traps(file, document);
    found.extend(schemas.guild.check(&file.path, &file.text, document));
    if found.iter().any(Diagnostic::is_error) {
        return (found, None);
    }
    let Some(guild) = Guild::from_value(&document.value) else {
        let at = document.value_position("");
        let message = "file does not describe a guild (guild_id and tier as strings)";
        return (
            vec![Diagnostic::error(&file.path, at, code::SCHEMA, message)],
            None,
        );
    };
    found.extend(rules::guild_rules(&file.path, document, &guild, config));
    if let Some(config) = config {
        found.extend(placement::guild_rules(&file.path, document, &guild, config));
    }
    (found, Some(guild))
}

fn check_tenant(file: &SourceFile, schemas: &Schemas) -> (Vec<Diagnostic>, Option<Tenant>) {
    let document = match &file.parsed {
        Ok(document) => document,
        Err(error) => return (vec![parse_error(file, error)], None),
    };
    let mut found = known_traps(file, document);
    found.extend(schemas.tenant.check(&file.path, &file.text, document));
    if found.iter().any(Diagnostic::is_error) {
        return (found, None);
    }
    match serde_json::from_value::<Tenant>(document.value.clone()) {
        Ok(tenant) => {
            found.extend(tenant_rules::tenant_rules(&file.path, document, &tenant));
            (found, Some(tenant))
        }
        Err(error) => {
            let at = document.value_position("");
            found.push(Diagnostic::error(
                &file.path,
                at,
                code::SCHEMA,
                format!("not a Tenant: {error}"),
            ));
            (found, None)
        }
    }
}
