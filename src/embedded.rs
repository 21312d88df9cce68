//! The default templates and schemas, compiled into the binary from the repo's own files.
//!
//! A config repo's copy of a file (same relative path) overrides the embedded one, so teams can
//! change a template without rebuilding tenantctl; `tenantctl init` writes these out.

use std::path::Path;

/// A file shipped inside the binary: its path in a config repo and its default text.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedFile {
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! embed {
    ($path:literal) => {
        EmbeddedFile {
            path: $path,
            text: include_str!(concat!("../", $path)),
        }
    };
}

pub const GUILD_SCHEMA: EmbeddedFile = embed!("schemas/guild.schema.json");
pub const CONFIG_SCHEMA: EmbeddedFile = embed!("schemas/config.schema.json");
pub const GUILD_KUSTOMIZATION: EmbeddedFile = embed!("templates/guild-kustomization.yaml.j2");
pub const APPLICATION_SET: EmbeddedFile = embed!("templates/applicationset.yaml.j2");

/// Files `init` writes out verbatim: a repo's copies override the embedded ones later.
pub const OVERRIDABLE: [EmbeddedFile; 4] = [
    GUILD_SCHEMA,
    CONFIG_SCHEMA,
    GUILD_KUSTOMIZATION,
    APPLICATION_SET,
];

/// Templates `init` renders once to create a repo; the results are the user's from then on.
pub mod scaffold {
    use super::EmbeddedFile;

    pub const CONFIG: EmbeddedFile = embed!("templates/scaffold/tenantctl.yaml.j2");
    pub const BASE_KUSTOMIZATION: EmbeddedFile =
        embed!("templates/scaffold/base/kustomization.yaml.j2");
    pub const BASE_RESOURCES: EmbeddedFile =
        embed!("templates/scaffold/base/guild-resources.yaml.j2");
    pub const TIER_KUSTOMIZATION: EmbeddedFile =
        embed!("templates/scaffold/tier/kustomization.yaml.j2");
    pub const TIER_RESOURCES: EmbeddedFile =
        embed!("templates/scaffold/tier/tier-resources.yaml.j2");
    pub const MAKEFILE: EmbeddedFile = embed!("templates/scaffold/Makefile");
    pub const GUILDS_README: EmbeddedFile = embed!("templates/scaffold/guilds-README.md");
    pub const GITIGNORE: EmbeddedFile = embed!("templates/scaffold/gitignore");
}

/// The text of `file` as the repo at `root` has it, or the embedded default.
pub fn read_or_default(root: &Path, file: EmbeddedFile) -> std::io::Result<String> {
    match std::fs::read_to_string(root.join(file.path)) {
        Ok(text) => Ok(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(file.text.to_string()),
        Err(error) => Err(error),
    }
}
