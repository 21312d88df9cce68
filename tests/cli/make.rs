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
