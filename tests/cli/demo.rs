//! `make demo` runs scripts/demo.sh; running the script here keeps the README's first command working.

use std::path::Path;
use std::process::Command;

use crate::support::{World, ok};

#[test]
fn the_demo_script_runs_the_whole_flow() {
    let world = World::new();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo.sh");
    let out = Command::new("bash")
        .arg(script)
        .env("TENANTCTL", assert_cmd::cargo::cargo_bin!("tenantctl"))
        .env("TMPDIR", world.path())
        .env("HOME", world.home())
        .output()
        .unwrap();
    let stdout = ok(&out);
    for step in [
        "Add guild 123456789 (free)",
        "Add guild 987654321 (pro)",
        "Update guild 123456789",
        "Delete guild 987654321",
        "demo finished",
    ] {
        assert!(
            stdout.contains(step),
            "`{step}` missing from the demo:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("replicas: 2"),
        "kustomize output shown:\n{stdout}"
    );
}
