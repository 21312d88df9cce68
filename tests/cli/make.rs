//! The seed's make targets, written by `init`, drive the CLI.

use std::process::Command;

use crate::support::{World, ok, text};

fn make(world: &World, args: &[&str]) -> std::process::Output {
    Command::new("make")
        .current_dir(world.platform())
        .env("HOME", world.home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("TENANTCTL", assert_cmd::cargo::cargo_bin!("tenantctl"))
        .args(args)
        .output()
        .expect("make is installed")
}

#[test]
fn make_targets_wrap_the_cli() {
    let world = World::new();
    world.platform_with_remote();
    ok(&make(
        &world,
        &["create-guild", "GUILD_ID=123456789", "TIER=free"],
    ));
    assert!(
        world
            .remote_files()
            .contains(&"guilds/guild-123456789.yaml".to_string())
    );
    let listed = ok(&make(&world, &["list-guilds"]));
    assert!(listed.contains("123456789  free"), "{listed}");
    assert!(ok(&make(&world, &["guild-status", "GUILD_ID=123456789"])).contains("tier       free"));
    ok(&make(&world, &["validate"]));
    ok(&make(&world, &["delete-guild", "GUILD_ID=123456789"]));
    assert!(
        !world
            .remote_files()
            .contains(&"guilds/guild-123456789.yaml".to_string())
    );
    let missing = make(&world, &["create-guild"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stdout).contains("usage: make create-guild GUILD_ID=<id> TIER=<tier>"));
    let missing = make(&world, &["move-guild", "GUILD_ID=123456789"]);
    assert!(!missing.status.success());
    assert!(
        text(&missing.stdout).contains("usage: make move-guild GUILD_ID=<id> CLUSTER=<cluster>")
    );
}

/// The recipe lines of `target` in the Makefile text, in order (tab-indented lines after the
/// rule, comments and blank lines skipped, up to the next line that is not a recipe line).
fn recipe(makefile: &str, target: &str) -> Vec<String> {
    let mut lines = makefile.lines();
    let rule = format!("{target}:");
    assert!(
        lines.by_ref().any(|l| l.starts_with(&rule)),
        "no rule for {target}:\n{makefile}"
    );
    lines
        .take_while(|l| l.starts_with('\t') || l.trim().is_empty() || l.starts_with('#'))
        .filter(|l| l.starts_with('\t'))
        .map(|l| l.trim().to_string())
        .collect()
}

/// Where the first line containing `needle` is, and that no other line has it.
fn only_position(lines: &[String], needle: &str) -> usize {
    let at: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i].contains(needle))
        .collect();
    assert_eq!(at.len(), 1, "`{needle}` once in {lines:?}");
    at[0]
}

#[test]
fn deploy_applicationset_checks_the_render_before_applying_in_both_makefiles() {
    let world = World::new();
    world.platform_with_remote();
    let own = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (dir, makefile) in [
        (world.platform(), world.read("Makefile")),
        (
            own.to_path_buf(),
            std::fs::read_to_string(own.join("Makefile")).unwrap(),
        ),
    ] {
        let lines = recipe(&makefile, "deploy-applicationset");
        let check = only_position(&lines, "$(TENANTCTL) render --check");
        let apply = only_position(&lines, "kubectl apply -k kustomize/argocd");
        assert!(check < apply, "{}: {lines:?}", dir.display());
        // What make itself would run, in its order (-n: printed, nothing executed).
        let out = Command::new("make")
            .current_dir(&dir)
            .args([
                "-n",
                "--no-print-directory",
                "deploy-applicationset",
                "TENANTCTL=tenantctl",
                "CARGO=cargo",
            ])
            .output()
            .expect("make is installed");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let run: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
        let check = only_position(&run, "tenantctl render --check");
        let apply = only_position(&run, "kubectl apply -k kustomize/argocd");
        assert!(check < apply, "{}: {run:?}", dir.display());
        assert!(
            !run.iter()
                .any(|l| l.contains("kubectl apply") && !l.contains("kustomize/argocd")),
            "nothing else is applied: {run:?}"
        );
    }
}
