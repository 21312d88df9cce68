//! The files `tenantctl init` creates: config, schemas, templates, and the Kustomize base and
//! tier overlays, which belong to the user from then on.

use anyhow::Context as _;
use serde_json::json;

use super::Files;
use super::engine::Templates;
use crate::config::{CONFIG_FILE, Config};
use crate::embedded::{self, scaffold};
use crate::error::Result;

/// Every file of a new config repo (the generated ones come from `render` afterwards).
pub fn scaffold_files(repo_url: &str) -> Result<Files> {
    let templates = Templates::embedded(&[
        scaffold::CONFIG,
        scaffold::BASE_KUSTOMIZATION,
        scaffold::BASE_RESOURCES,
        scaffold::TIER_KUSTOMIZATION,
        scaffold::TIER_RESOURCES,
    ])?;
    let mut files = Files::new();
    let config_text = templates.render(scaffold::CONFIG.path, json!({ "repo_url": repo_url }))?;
    let document = crate::yaml::parse(config_text.as_bytes())
        .map_err(|e| anyhow::anyhow!("built-in {CONFIG_FILE} does not parse: {}", e.message))?;
    let config: Config = serde_json::from_value(document.value)
        .with_context(|| format!("built-in {CONFIG_FILE} is invalid"))?;
    files.insert(CONFIG_FILE.to_string(), config_text);

    let image = json!({ "image": config.image });
    files.insert(
        "kustomize/base/kustomization.yaml".into(),
        templates.render(scaffold::BASE_KUSTOMIZATION.path, &image)?,
    );
    files.insert(
        "kustomize/base/guild-resources.yaml".into(),
        templates.render(scaffold::BASE_RESOURCES.path, &image)?,
    );
    for (name, tier) in &config.tiers {
        let context = json!({ "tier_name": name, "tier": tier });
        files.insert(
            format!("kustomize/{name}/kustomization.yaml"),
            templates.render(scaffold::TIER_KUSTOMIZATION.path, &context)?,
        );
        files.insert(
            format!("kustomize/{name}/{name}-resources.yaml"),
            templates.render(scaffold::TIER_RESOURCES.path, &context)?,
        );
    }
    for file in embedded::overridable() {
        files.insert(file.path.to_string(), file.text.to_string());
    }
    files.insert(
        "guilds/README.md".into(),
        scaffold::GUILDS_README.text.to_string(),
    );
    files.insert("Makefile".into(), scaffold::MAKEFILE.text.to_string());
    files.insert(".gitignore".into(), scaffold::GITIGNORE.text.to_string());
    Ok(files)
}
