//! Snapshots (insta) of what people read: every command's --help, list in each format, and a
//! dry-run diff. `INSTA_UPDATE=always cargo test` rewrites them after an intended change.

use crate::support::{World, ok};

/// Every command (with subcommand where there is one), for tests that must cover them all.
pub const COMMANDS: [&str; 26] = [
    "init",
    "create-guild",
    "update-guild",
    "delete-guild",
    "list",
    "status",
    "validate",
    "render",
    "sync",
    "push",
    "diff",
    "apps",
    "completions",
    "man",
    "create-tenant",
    "update-tenant",
    "suspend-tenant",
    "resume-tenant",
    "rollout",
    "delete-tenant",
    "crd",
    "migrate prstack",
    "schema",
    "secret set",
    "secret list",
    "secret rm",
];

#[test]
fn help_of_every_command() {
    let world = World::new();
    insta::assert_snapshot!("help", ok(&world.tenantctl_in(world.path(), &["--help"])));
    for command in COMMANDS {
        let mut args: Vec<&str> = command.split(' ').collect();
        args.push("--help");
        let help = ok(&world.tenantctl_in(world.path(), &args));
        assert!(help.contains("Examples:"), "{command} --help has examples");
        insta::assert_snapshot!(format!("help-{}", command.replace(' ', "-")), help);
    }
}

fn two_guilds() -> World {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "123456789", "--tier", "free", "--no-push"]));
    ok(&world.tenantctl(&[
        "create-guild",
        "987654321",
        "--tier",
        "pro",
        "--set",
        "backend_memory_limit=1Gi",
        "--no-push",
    ]));
    world
}

#[test]
fn list_in_each_format() {
    let world = two_guilds();
    insta::assert_snapshot!("list-table", ok(&world.tenantctl(&["list"])));
    insta::assert_snapshot!(
        "list-json",
        ok(&world.tenantctl(&["list", "--output", "json"]))
    );
    insta::assert_snapshot!(
        "list-yaml",
        ok(&world.tenantctl(&["list", "--output", "yaml"]))
    );
    insta::assert_snapshot!(
        "list-tier-pro",
        ok(&world.tenantctl(&["list", "--tier", "pro"]))
    );
}

#[test]
fn dry_run_diff() {
    let world = two_guilds();
    insta::assert_snapshot!(
        "dry-run-update",
        ok(&world.tenantctl(&["--dry-run", "update-guild", "123456789", "--tier", "pro"]))
    );
}
