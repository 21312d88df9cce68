//! The fuzzing entry point, shared by the cargo-fuzz target (`fuzz/`) and the regression test
//! that replays its corpus: untrusted bytes through load, validate and render, as a guild file
//! and as a tenant file, in memory. Whatever the bytes, this must return, never panic.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::load::{Snapshot, SourceFile};
use crate::render::{self, Templates};
use crate::validate::{self, Schemas};

/// Runs `bytes` through the pipeline as a guild file and as a tenant file; returns how many
/// findings there were in all.
pub fn load_validate_render(bytes: &[u8]) -> usize {
    ["guilds/guild-1.yaml", "tenants/fuzz.yaml"]
        .iter()
        .map(|path| run(path, bytes))
        .sum()
}

/// How many findings `bytes` get as `guilds/guild-1.yaml`.
pub fn guild_findings(bytes: &[u8]) -> usize {
    run("guilds/guild-1.yaml", bytes)
}

/// What every run shares, built once: compiling schemas per input would starve the fuzzer.
struct Fixed {
    schemas: Schemas,
    templates: Templates,
    config: SourceFile,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let scaffold = render::scaffold::scaffold_files("https://git.example.com/fuzz.git")
            .expect("the scaffold renders");
        Fixed {
            schemas: Schemas::load(Path::new(NOWHERE)).expect("the embedded schemas compile"),
            templates: Templates::embedded(&crate::embedded::render_templates())
                .expect("the embedded templates compile"),
            config: SourceFile::parse(
                "tenantctl.yaml".into(),
                scaffold["tenantctl.yaml"].as_bytes(),
            ),
        }
    })
}

/// A path that does not exist: every schema and template is the embedded default.
const NOWHERE: &str = "/nonexistent/tenantctl-fuzz";

fn run(path: &str, bytes: &[u8]) -> usize {
    let fixed = fixed();
    let file = BTreeMap::from([(
        path.to_string(),
        std::sync::Arc::new(SourceFile::parse(path.to_string(), bytes)),
    )]);
    let (guilds, tenants) = if path.starts_with("guilds/") {
        (file, BTreeMap::new())
    } else {
        (BTreeMap::new(), file)
    };
    let snapshot = Snapshot {
        root: PathBuf::from(NOWHERE),
        config: fixed.config.clone(),
        guilds,
        tenants,
        overlays: BTreeSet::from(["free".to_string(), "pro".to_string(), "base".to_string()]),
        overlay_budgets: Vec::new(),
        problems: Vec::new(),
        secrets: BTreeMap::new(),
        sops_config: None,
        listings: Default::default(),
    };
    let report = validate::validate(&snapshot, &fixed.schemas);
    if let Some(model) = &report.model {
        // Rendering a valid model may only fail with an error value, never a panic.
        let _ = render::render(model, &fixed.templates);
    }
    report.diagnostics.len()
}
