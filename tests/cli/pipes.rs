//! stdout closed by its reader (`tenantctl list | head -1`): every command that prints ends
//! quietly with exit 0, as ripgrep does, and never panics. Other failures of stdout (a full disk)
//! and I/O errors are exit 4, their causes printed as `caused by:` lines.

use std::path::Path;
use std::process::{Output, Stdio};

use crate::support::{World, fails_with, ok, text};

/// Runs tenantctl in `dir` with stdout a pipe whose read end is already closed, so the first
/// write fails with EPIPE whatever the timing.
pub(crate) fn into_closed_pipe_in(world: &World, dir: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    world
        .tenantctl_command(dir, args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run tenantctl")
}

fn into_closed_pipe(world: &World, args: &[&str]) -> Output {
    into_closed_pipe_in(world, &world.platform(), args)
}

fn assert_no_panic(args: &[&str], out: &Output) {
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(!stderr.contains("writing to stdout"), "{args:?}: {stderr}");
}

/// A command that only reads: run with stdout read to the end, then into a closed pipe. It
/// prints something (so the second run does hit the closed pipe), keeps its exit code, and
/// does not panic. Returns the exit code.
fn assert_keeps_its_code(world: &World, args: &[&str]) -> i32 {
    assert!(
        !world.tenantctl(args).stdout.is_empty(),
        "{args:?} prints to stdout"
    );
    same_code(world, args)
}

/// Like [`assert_keeps_its_code`], for a run that may print only to stderr.
fn same_code(world: &World, args: &[&str]) -> i32 {
    let open = world.tenantctl(args);
    let closed = into_closed_pipe(world, args);
    assert_no_panic(args, &closed);
    assert_eq!(
        closed.status.code(),
        open.status.code(),
        "{args:?}: {}",
        text(&closed.stderr)
    );
    open.status.code().expect("an exit code")
}

/// A command that changes the repo, run into a closed pipe: it exits 0 and its work is done.
fn assert_finishes(world: &World, args: &[&str]) {
    let out = into_closed_pipe(world, args);
    assert_no_panic(args, &out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
}

/// The remote's `main`, to see that a command committed and pushed.
fn remote_head(world: &World) -> String {
    let out = world.git_in(&world.remote(), &["rev-parse", "main"]);
    assert!(out.status.success());
    text(&out.stdout)
}

/// Runs a mutating command into a closed pipe and checks that it committed and pushed.
fn assert_committed(world: &World, args: &[&str]) {
    let before = remote_head(world);
    assert_finishes(world, args);
    assert_ne!(remote_head(world), before, "{args:?} committed and pushed");
}

/// A repo with a guild, a tenant and a secret reference, so every listing has rows.
fn world() -> World {
    let world = World::new();
    world.platform_with_remote();
    let config = world.read("tenantctl.yaml")
        + "secrets:\n  form: externalSecret\n  externalSecret:\n    storeName: vault\n";
    world.write("tenantctl.yaml", &config);
    ok(&world.tenantctl(&["render"]));
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "external secrets"]);
    ok(&world.tenantctl(&["push"]));
    ok(&world.tenantctl(&["create-guild", "123456789", "--tier", "free"]));
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "development"]));
    ok(&world.tenantctl(&["secret", "set", "123456789", "token"]));
    world
}

#[test]
fn every_read_only_command_keeps_its_exit_code_when_stdout_is_closed() {
    let world = world();
    for args in [
        &["list"][..],
        &["list", "--output", "json"],
        &["list", "--output", "yaml"],
        &["list", "--kind", "tenant"],
        &["list", "--kind", "tenant", "--output", "json"],
        &["list", "--kind", "tenant", "--output", "yaml"],
        &["apps"],
        &["apps", "--output", "json"],
        &["apps", "--output", "yaml"],
        &["apps", "--worktree"],
        &["validate"],
        &["validate", "--format", "json"],
        &["validate", "--format", "github"],
        &["validate", "--format", "junit"],
        &["render", "--check"],
        &["diff"],
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
        &["status", "shop-a"],
        &["secret", "list"],
        &["secret", "list", "--output", "json"],
        &["--help"],
        &["list", "--help"],
        &["help"],
        &["help", "render"],
        &["--version"],
    ] {
        assert_eq!(assert_keeps_its_code(&world, args), 0, "{args:?}");
    }
    // sync with nothing to sync prints that, exit 0 (with guilds it needs a cluster).
    let empty = World::new();
    empty.platform_with_remote();
    assert_eq!(assert_keeps_its_code(&empty, &["sync", "--all"]), 0);
}

#[test]
fn render_check_with_drift_still_exits_1_when_stdout_is_closed() {
    let world = world();
    let overlay = "kustomize/guilds/guild-123456789/kustomization.yaml";
    std::fs::remove_file(world.platform().join(overlay)).unwrap();
    // The diff goes to stderr; the exit code is what matters here.
    assert_eq!(same_code(&world, &["render", "--check"]), 1);
    assert_eq!(assert_keeps_its_code(&world, &["diff"]), 0);
    // A failing validate keeps its 1 too.
    assert_eq!(same_code(&world, &["validate"]), 1);
    assert_eq!(
        assert_keeps_its_code(&world, &["validate", "--format", "json"]),
        1
    );
    // render writes the file although nobody reads what it says.
    assert_finishes(&world, &["render"]);
    assert!(world.platform().join(overlay).is_file(), "render wrote it");
    assert_eq!(assert_keeps_its_code(&world, &["validate"]), 0);
}

#[test]
fn init_commits_when_stdout_is_closed() {
    let world = World::new();
    assert_finishes_in(&world, world.path(), &["init", "platform"]);
    assert!(world.platform().join("tenantctl.yaml").is_file());
    let log = world.git(&["log", "--format=%s"]);
    assert!(!log.trim().is_empty(), "init committed: {log}");
    assert_eq!(
        world.git(&["status", "--porcelain"]),
        "",
        "nothing left uncommitted"
    );
}

fn assert_finishes_in(world: &World, dir: &Path, args: &[&str]) {
    let out = into_closed_pipe_in(world, dir, args);
    assert_no_panic(args, &out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
}

#[test]
fn every_mutating_command_finishes_its_work_when_stdout_is_closed() {
    let world = world();
    assert_committed(&world, &["create-guild", "42", "--tier", "free"]);
    assert_committed(
        &world,
        &["update-guild", "42", "--set", "backend_memory_limit=1Gi"],
    );
    assert!(world.read("guilds/guild-42.yaml").contains("1Gi"));
    assert_finishes(&world, &["--dry-run", "delete-guild", "42", "--yes"]);
    assert!(world.platform().join("guilds/guild-42.yaml").is_file());
    assert_committed(&world, &["delete-guild", "42", "--yes"]);
    assert!(!world.remote_files().iter().any(|f| f.contains("guild-42")));
    assert_committed(&world, &["create-tenant", "shop-b", "--type", "staging"]);
    assert_committed(&world, &["update-tenant", "shop-b", "--image-tag", "v2"]);
    assert_committed(&world, &["suspend-tenant", "shop-b"]);
    assert_committed(&world, &["resume-tenant", "shop-b"]);
    assert_committed(&world, &["rollout", "shop-b"]);
    assert_committed(&world, &["delete-tenant", "shop-b", "--yes"]);
    assert!(!world.remote_files().iter().any(|f| f.contains("shop-b")));
    assert_committed(&world, &["secret", "set", "123456789", "webhook"]);
    assert_committed(&world, &["secret", "rm", "123456789", "webhook"]);
    let prstack = world.path().join("prstack.yaml");
    std::fs::write(
        &prstack,
        "apiVersion: shop.pilab.hu/v1alpha1\nkind: PRStack\nmetadata:\n  name: pr-7\nspec:\n  prNumber: 7\n  imageTag: pr-7-abc\n",
    )
    .unwrap();
    assert_committed(&world, &["migrate", "prstack", prstack.to_str().unwrap()]);
    assert!(
        world
            .remote_files()
            .contains(&"tenants/pr-7.yaml".to_string())
    );
    // push: a commit made without pushing, pushed with nobody reading.
    ok(&world.tenantctl(&["create-guild", "43", "--tier", "free", "--no-push"]));
    assert_committed(&world, &["push"]);
    assert!(
        world
            .remote_files()
            .contains(&"guilds/guild-43.yaml".to_string())
    );
}

#[test]
fn placement_commands_finish_their_work_when_stdout_is_closed() {
    let world = crate::clusters::multi_cluster();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "pro"]));
    ok(&world.tenantctl(&[
        "create-tenant",
        "shop-p",
        "--type",
        "production",
        "--image-tag",
        "v1",
    ]));
    let other = |path: &str| {
        if world.read(path).contains("pro-eu-west") {
            "pro-us-east"
        } else {
            "pro-eu-west"
        }
    };
    let target = other("guilds/guild-1.yaml");
    assert_committed(&world, &["move-guild", "1", "--cluster", target]);
    assert!(world.read("guilds/guild-1.yaml").contains(target));
    let target = other("tenants/shop-p.yaml");
    assert_committed(&world, &["move-tenant", "shop-p", "--cluster", target]);
    assert!(world.read("tenants/shop-p.yaml").contains(target));
    // An unplaced guild written by hand, placed with nobody reading.
    world.write("guilds/guild-2.yaml", "guild_id: \"2\"\ntier: \"pro\"\n");
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "unplaced"]);
    assert_committed(&world, &["place"]);
    assert!(world.read("guilds/guild-2.yaml").contains("cluster"));
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
