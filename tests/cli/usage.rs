//! The command line itself: exit codes, help, unknown IDs with "did you mean", confirmation.

use crate::support::{World, fails_with, ok};

#[test]
fn help_documents_every_command_and_the_exit_codes() {
    let world = World::new();
    let out = ok(&world.tenantctl_in(world.path(), &["--help"]));
    for command in crate::snapshots::COMMANDS.map(|c| c.split(' ').next().unwrap()) {
        assert!(out.contains(command), "{command} missing from help:\n{out}");
    }
    assert!(out.contains("3  git or remote failure"), "{out}");
    let out = ok(&world.tenantctl_in(world.path(), &["create-guild", "--help"]));
    assert!(
        out.contains("tenantctl create-guild 987654321 --tier pro --set backend_memory_limit=1Gi"),
        "{out}"
    );
}

#[test]
fn usage_errors_exit_2_with_what_to_do() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "123456789", "--tier", "free"]));
    fails_with(&world.tenantctl(&["no-such-command"]), 2);
    let out = fails_with(&world.tenantctl(&["lst"]), 2);
    assert!(
        out.contains("similar subcommand") && out.contains("list"),
        "did you mean for commands: {out}"
    );
    let out = fails_with(&world.tenantctl(&["status", "123456788"]), 2);
    assert!(
        out.contains("no guild 123456788") && out.contains("did you mean 123456789?"),
        "{out}"
    );
    let out = fails_with(
        &world.tenantctl(&["create-guild", "../../etc", "--tier", "free"]),
        2,
    );
    assert!(out.contains("1 to 20 digits"), "{out}");
    let out = fails_with(
        &world.tenantctl(&[
            "create-guild",
            "1",
            "--tier",
            "free",
            "--set",
            "backend_cpu_limt=1",
        ]),
        2,
    );
    assert!(out.contains("did you mean `backend_cpu_limit`?"), "{out}");
    let out = fails_with(&world.tenantctl(&["delete-guild", "123456789"]), 2);
    assert!(
        out.contains("--yes"),
        "a script must confirm with --yes: {out}"
    );
    assert!(
        world
            .platform()
            .join("guilds/guild-123456789.yaml")
            .exists()
    );
    let out = fails_with(&world.tenantctl_in(world.path(), &["list"]), 2);
    assert!(out.contains("tenantctl init"), "{out}");
}

#[test]
fn repo_flag_finds_the_config_repo_from_anywhere() {
    let world = World::new();
    world.platform_with_remote();
    let platform = world.platform();
    let out = ok(&world.tenantctl_in(
        world.path(),
        &["--repo", platform.to_str().unwrap(), "list", "-o", "yaml"],
    ));
    assert_eq!(out.trim(), "[]");
    std::fs::create_dir_all(platform.join("guilds/deeper")).unwrap();
    ok(&world.tenantctl_in(&platform.join("guilds/deeper"), &["validate"]));
}

#[test]
fn sync_without_a_cluster_exits_3() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin!("tenantctl"));
    let out = command
        .current_dir(world.platform())
        .env("HOME", world.home())
        .env("KUBECONFIG", world.path().join("no-such-kubeconfig"))
        .args(["sync", "1"])
        .output()
        .unwrap();
    let all = fails_with(&out, 3);
    assert!(all.contains("kubectl"), "{all}");
}
