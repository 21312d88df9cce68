//! The minijinja environment: strict undefined values, JSON auto-escaping, templates from the
//! repo's `templates/` or the embedded defaults.

use std::collections::BTreeSet;
use std::path::Path;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use crate::embedded::{self, EmbeddedFile};
use crate::error::{Error, Result};
use crate::source::Source;

/// The templates rendering uses, each read from the repo or taken from the binary.
pub struct Templates {
    env: Environment<'static>,
    /// The templates `render` writes files from: each output must start with
    /// [`crate::apply::GENERATED_HEADER`] and fit the size limit of a repo's file.
    generated: BTreeSet<&'static str>,
    /// The tenant schema's text: the CRD is derived from it.
    tenant_schema: String,
    /// Every template's name and text and the tenant schema, in the order added: what the
    /// output depends on besides the model (render::memo keys on it).
    sources: Vec<u8>,
}

impl Templates {
    /// The repo's own templates where it has them, the embedded defaults otherwise.
    pub fn load(root: &Path) -> Result<Templates> {
        Templates::load_from(&crate::source::Disk::new(root))
    }

    /// The templates as `source` (the working tree or a commit) has them.
    pub fn load_from(source: &dyn Source) -> Result<Templates> {
        let tenant_schema = embedded::read_or_default(source, embedded::TENANT_SCHEMA)?;
        let mut templates = Templates {
            env: environment(),
            generated: BTreeSet::new(),
            sources: tenant_schema.as_bytes().to_vec(),
            tenant_schema,
        };
        for file in embedded::render_templates() {
            let text = embedded::read_or_default(source, file)?;
            templates.add(file.path, text)?;
        }
        Ok(templates)
    }

    /// Only the embedded templates (for `init` and tests).
    pub fn embedded(files: &[EmbeddedFile]) -> Result<Templates> {
        let tenant_schema = embedded::TENANT_SCHEMA.text.to_string();
        let mut templates = Templates {
            env: environment(),
            generated: BTreeSet::new(),
            sources: tenant_schema.as_bytes().to_vec(),
            tenant_schema,
        };
        for file in files {
            templates.add(file.path, file.text.to_string())?;
        }
        Ok(templates)
    }

    fn add(&mut self, name: &'static str, text: String) -> Result<()> {
        for part in [name.as_bytes(), &[0], text.as_bytes(), &[0]] {
            self.sources.extend_from_slice(part);
        }
        if embedded::render_templates().iter().any(|f| f.path == name) {
            self.generated.insert(name);
        }
        self.env
            .add_template_owned(name, text)
            .map_err(|e| template_error(name, &e))
    }

    /// Every template's name and text and the tenant schema: equal bytes, equal output.
    pub fn sources(&self) -> &[u8] {
        &self.sources
    }

    /// The tenant schema's text, for deriving the CRD.
    pub fn tenant_schema(&self) -> &str {
        &self.tenant_schema
    }

    pub fn guild_kustomization(&self) -> &'static str {
        embedded::GUILD_KUSTOMIZATION.path
    }

    pub fn application_set(&self) -> &'static str {
        embedded::APPLICATION_SET.path
    }

    /// Renders template `name` with `context`; the output ends with exactly one newline.
    pub fn render(&self, name: &str, context: impl Serialize) -> Result<String> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, &e))?;
        let mut text = template
            .render(minijinja::Value::from(minijinja::value::Serde(context)))
            .map_err(|e| template_error(name, &e))?;
        while text.ends_with("\n\n") {
            text.pop();
        }
        if !text.ends_with('\n') {
            text.push('\n');
        }
        if self.generated.contains(name) {
            check_generated(name, &text)?;
        }
        Ok(text)
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Every template here emits YAML; JSON strings are YAML's double-quoted scalars.
    env.set_auto_escape_callback(|_| AutoEscape::Json);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default syntax is valid");
    env.set_syntax(syntax);
    env
}

/// A template `render` writes a file from is the repo's to change, so what it renders is held
/// to what every generated file must be: a configuration error (exit 1) naming the template.
fn check_generated(name: &str, text: &str) -> Result<()> {
    use crate::apply::GENERATED_HEADER;
    use crate::source::MAX_READ_BYTES;
    if !crate::apply::is_generated(text.as_bytes()) {
        return Err(Error::config(
            anyhow::anyhow!("{name} renders a file without the first line \"{GENERATED_HEADER}\""),
            format!(
                "start {name} with that line: tenantctl overwrites and removes only files that carry it"
            ),
        ));
    }
    if text.len() as u64 > MAX_READ_BYTES {
        return Err(Error::config(
            anyhow::anyhow!(
                "{name} renders {} bytes, over the limit of {MAX_READ_BYTES} bytes (1 MiB) a file in the repo may have",
                text.len()
            ),
            format!(
                "make {name} render less: tenantctl, Argo CD's repo server and kustomize read files of at most 1 MiB"
            ),
        ));
    }
    Ok(())
}

fn template_error(name: &str, error: &minijinja::Error) -> Error {
    let mut message = format!("template {name}: {error}");
    if let Some(line) = error.line() {
        message = format!(
            "{name}:{line}: {}",
            error.detail().unwrap_or(&error.to_string())
        );
    }
    Error::config(
        anyhow::anyhow!(message),
        format!("fix {name} in the repo, or delete it to use the built-in default"),
    )
}
