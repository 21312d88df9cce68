//! The rendered tree is a cost too (issue 13, scope 5): a tenant's overlay is three files
//! (kustomization.yaml, params.yaml, resources.yaml) instead of up to eleven, and what
//! `kubectl kustomize` builds from every overlay of the fleet is what it built from the old
//! layout, byte for byte: `tests/fixtures/built/` holds those builds, made before the change.
//! When a template changes on purpose, `UPDATE_BUILT=1 cargo test --test cli layout::` writes
//! them anew (and the diff shows what changed in the built objects).

use std::path::Path;
use std::process::Command;

use crate::capacity::{FLEET, fleet};
use crate::support::text;

#[test]
fn the_fleet_builds_the_same_objects_from_three_files_per_tenant() {
    let world = fleet();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/built");
    for overlay in FLEET {
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(world.platform().join(overlay))
            .output()
            .expect("run kubectl");
        assert!(out.status.success(), "{overlay}: {}", text(&out.stderr));
        let name = overlay.rsplit('/').next().unwrap();
        let fixture = fixtures.join(format!("{name}.yaml"));
        if std::env::var_os("UPDATE_BUILT").is_some() {
            std::fs::write(&fixture, &out.stdout).unwrap();
        }
        let before = std::fs::read_to_string(&fixture).unwrap();
        assert!(
            text(&out.stdout) == before,
            "{overlay} builds other objects than before:\n{}",
            similar_diff(&before, &text(&out.stdout))
        );
        if overlay.starts_with("kustomize/tenants/") {
            let mut files: Vec<String> = std::fs::read_dir(world.platform().join(overlay))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            assert_eq!(
                files,
                ["kustomization.yaml", "params.yaml", "resources.yaml"],
                "{overlay}"
            );
        }
    }
}

/// A unified diff of the two builds, for the failure message.
fn similar_diff(before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .header("before", "after")
        .to_string()
}
