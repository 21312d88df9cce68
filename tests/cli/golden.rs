//! Golden files: the seed's two example guilds and its example Tenant render to exactly
//! `tests/fixtures/seed-guilds/out/`.
//! Run with `UPDATE_GOLDEN=1` to rewrite the expected files after an intended change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{World, ok};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed-guilds")
}

fn files_under(root: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let relative = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (relative, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    for (path, text) in files_under(from) {
        let target = to.join(&path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
}

#[test]
fn seed_examples_render_to_the_golden_files() {
    let world = World::new();
    copy_tree(&fixture().join("in"), &world.platform());
    ok(&world.tenantctl(&["render"]));
    let rendered: BTreeMap<String, String> = files_under(&world.platform())
        .into_iter()
        .filter(|(path, _)| {
            [
                "kustomize/guilds/",
                "kustomize/tenants/",
                "kustomize/argocd/",
                "kustomize/crds/",
            ]
            .iter()
            .any(|dir| path.starts_with(dir))
        })
        .collect();
    let expected_dir = fixture().join("out");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(&expected_dir);
        for (path, text) in &rendered {
            let target = expected_dir.join(path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, text).unwrap();
        }
    }
    let expected = files_under(&expected_dir);
    assert_eq!(
        rendered.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the set of rendered files"
    );
    for (path, text) in &expected {
        similar_asserts(path, text, &rendered[path]);
    }
}

#[test]
fn the_project_root_is_a_current_example_repo() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let world = World::new();
    let out = ok(&world.tenantctl_in(root, &["render", "--check"]));
    assert!(out.contains("up to date"), "{out}");
    ok(&world.tenantctl_in(root, &["validate"]));
    // The root's guilds and tenant are the seed's, rendered exactly like the fixture's.
    let generated = files_under(&fixture().join("out"));
    for (path, golden) in &generated {
        similar_asserts(
            path,
            golden,
            &std::fs::read_to_string(root.join(path)).unwrap(),
        );
    }
}

fn similar_asserts(path: &str, expected: &str, actual: &str) {
    if expected != actual {
        let diff = similar::TextDiff::from_lines(expected, actual)
            .unified_diff()
            .header("expected", "rendered")
            .to_string();
        panic!("{path} differs from its golden file (UPDATE_GOLDEN=1 to accept):\n{diff}");
    }
}
