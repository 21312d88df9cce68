//! stdout closed by its reader (`tenantctl list | head -1`): every command that prints ends
//! quietly with exit 0, as ripgrep does, and never panics. Other failures of stdout (a full disk)
//! and I/O errors are exit 4, their causes printed as `caused by:` lines.

use std::process::{Output, Stdio};

use crate::support::{World, fails_with, ok, text};

/// Runs tenantctl in the platform repo with stdout a pipe whose read end is already closed, so
/// the first write fails with EPIPE whatever the timing.
fn into_closed_pipe(world: &World, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    world
        .tenantctl_command(&world.platform(), args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run tenantctl")
}

fn assert_quiet_exit_0(world: &World, args: &[&str]) {
    let out = into_closed_pipe(world, args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(!stderr.contains("error"), "{args:?}: {stderr}");
}

/// A repo with a guild, a tenant and a secret, so every listing has rows.
fn world() -> World {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "123456789", "--tier", "free"]));
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "development"]));
    world
}

#[test]
fn every_read_only_command_ends_quietly_when_stdout_is_closed() {
    let world = world();
    for args in [
        &["list"][..],
        &["list", "--output", "json"],
        &["list", "--output", "yaml"],
        &["list", "--kind", "tenant"],
        &["apps"],
        &["apps", "--output", "json"],
        &["apps", "--output", "yaml"],
        &["validate"],
        &["validate", "--format", "json"],
        &["validate", "--format", "github"],
        &["validate", "--format", "junit"],
        &["crd"],
        &["schema", "guild"],
        &["schema", "tenant"],
        &["schema", "config"],
        &["completions", "bash"],
        &["completions", "zsh"],
        &["completions", "fish"],
        &["completions", "powershell"],
        &["man"],
        &["status", "123456789"],
        &["secret", "list"],
        &["--help"],
        &["list", "--help"],
        &["help"],
        &["--version"],
    ] {
        assert_quiet_exit_0(&world, args);
    }
}

#[test]
fn diff_and_render_end_quietly_when_stdout_is_closed() {
    let world = world();
    // Stale rendered files, so both have something to print.
    let overlay = "kustomize/guilds/guild-123456789/kustomization.yaml";
    std::fs::remove_file(world.platform().join(overlay)).unwrap();
    assert_quiet_exit_0(&world, &["diff"]);
    assert_quiet_exit_0(&world, &["render"]);
}

#[test]
fn mutating_commands_finish_their_work_and_end_quietly_when_stdout_is_closed() {
    let world = world();
    assert_quiet_exit_0(&world, &["create-guild", "42", "--tier", "free"]);
    assert_quiet_exit_0(
        &world,
        &["update-guild", "42", "--set", "backend_memory_limit=1Gi"],
    );
    assert_quiet_exit_0(&world, &["--dry-run", "delete-guild", "42", "--yes"]);
    assert_quiet_exit_0(&world, &["delete-guild", "42", "--yes"]);
    assert_quiet_exit_0(&world, &["rollout", "shop-a"]);
    assert!(!world.remote_files().iter().any(|f| f.contains("guild-42")));
    let log = world.git(&["log", "--format=%s", "origin/main"]);
    assert!(log.contains("Add guild 42"), "{log}");
}

#[test]
fn a_full_disk_on_stdout_is_an_io_error_exit_4() {
    let world = world();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = world
        .tenantctl_command(&world.platform(), &["list"])
        .stdout(full)
        .output()
        .expect("run tenantctl");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("error: writing to stdout"), "{stderr}");
    assert!(
        stderr.contains("  caused by: No space left on device"),
        "{stderr}"
    );
}

#[test]
fn an_io_error_prints_its_causes_and_exits_4() {
    let world = World::new();
    // A path component that is a regular file: even root cannot create a folder under it.
    let file = world.path().join("plain-file");
    std::fs::write(&file, "not a folder\n").unwrap();
    let target = file.join("platform");
    let out = world.tenantctl_in(world.path(), &["init", target.to_str().unwrap()]);
    let all = fails_with(&out, 4);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("error: creating {}", target.display())),
        "{all}"
    );
    assert!(stderr.contains("  caused by: Not a directory"), "{all}");
}
