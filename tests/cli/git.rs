//! Git behaviour: only our paths are committed, dirty targets are refused, missing author and
//! failed pushes give exit 3 with what to do, and `tenantctl push` retries.

use crate::support::{GitDaemon, World, fails_with, ok, write_hook};

#[test]
fn unrelated_user_edits_stay_out_of_the_commit_and_staged_stays_staged() {
    let world = World::new();
    world.platform_with_remote();
    world.write("notes.txt", "mine\n");
    world.write("Makefile", "# my edit\n");
    world.git(&["add", "notes.txt"]);
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let committed = world.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(
        committed.lines().collect::<Vec<_>>(),
        [
            "guilds/guild-1.yaml",
            "kustomize/guilds/guild-1/isolation.yaml",
            "kustomize/guilds/guild-1/kustomization.yaml",
            "kustomize/guilds/guild-1/leader-election.yaml"
        ]
    );
    let status = world.git(&["status", "--porcelain"]);
    assert!(status.contains("A  notes.txt"), "still staged: {status}");
    assert!(status.contains(" M Makefile"), "still modified: {status}");
}

#[test]
fn refuses_when_a_path_it_must_write_has_uncommitted_changes() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let edited = world
        .read("guilds/guild-1.yaml")
        .replace("\"200m\"", "\"300m\"");
    world.write("guilds/guild-1.yaml", &edited);
    let out = fails_with(&world.tenantctl(&["update-guild", "1", "--tier", "pro"]), 3);
    assert!(
        out.contains("uncommitted changes in files this command must write: guilds/guild-1.yaml"),
        "{out}"
    );
    assert!(out.contains("git stash"), "{out}");
    assert_eq!(
        world.read("guilds/guild-1.yaml"),
        edited,
        "the user's edit survives"
    );
}

#[test]
fn without_a_git_author_it_says_how_to_set_one_and_writes_nothing() {
    let world = World::without_identity();
    let out = fails_with(&world.tenantctl_in(world.path(), &["init", "platform"]), 3);
    assert!(out.contains("git config --global user.name"), "{out}");
    assert!(
        !world.platform().join("tenantctl.yaml").exists(),
        "nothing half-written"
    );
    ok(&world.tenantctl_in(world.path(), &["init", "platform", "--no-commit"]));
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("user.email"), "{out}");
    assert!(!world.platform().join("guilds/guild-1.yaml").exists());
}

#[test]
fn a_push_refused_by_the_server_keeps_the_commit_and_push_retries_it() {
    let world = World::new();
    world.platform_with_remote();
    // Served by a real git daemon: a local-path push would skip the server's hooks.
    let daemon = GitDaemon::start(&world);
    world.git(&["remote", "set-url", "origin", &daemon.url("remote.git")]);
    let hook = write_hook(
        &world.remote().join("hooks"),
        "pre-receive",
        "#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n",
    );
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("origin (git://127.0.0.1:"), "{out}");
    assert!(out.contains("refused the push"), "{out}");
    assert!(
        out.contains("pushes are frozen"),
        "the hook's own message: {out}"
    );
    assert!(out.contains("tenantctl push"), "says how to retry: {out}");
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Add guild 1 (free)",
        "commit kept"
    );
    assert!(
        !world
            .remote_files()
            .contains(&"guilds/guild-1.yaml".to_string())
    );

    std::fs::remove_file(&hook).unwrap();
    ok(&world.tenantctl(&["push"]));
    assert!(
        world
            .remote_files()
            .contains(&"guilds/guild-1.yaml".to_string())
    );
}

#[test]
fn a_remote_that_moved_on_is_fetched_and_the_change_replayed_on_its_head() {
    let world = World::new();
    world.platform_with_remote();
    let other = world.path().join("other");
    assert!(
        world
            .git_in(
                world.path(),
                &["clone", "-q", world.remote().to_str().unwrap(), "other"]
            )
            .status
            .success()
    );
    std::fs::write(other.join("README.md"), "x\n").unwrap();
    assert!(world.git_in(&other, &["add", "README.md"]).status.success());
    assert!(
        world
            .git_in(&other, &["commit", "-qm", "other writer"])
            .status
            .success()
    );
    assert!(
        world
            .git_in(&other, &["push", "-q", "origin", "main"])
            .status
            .success()
    );
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let log = world.git(&["log", "--format=%s", "origin/main"]);
    assert_eq!(
        log.lines().take(2).collect::<Vec<_>>(),
        ["Add guild 1 (free)", "other writer"],
        "linear history on the remote's head: {log}"
    );
    assert_eq!(
        world.git(&["rev-parse", "HEAD"]),
        world.git(&["rev-parse", "origin/main"]),
        "the local branch ends where the push went"
    );
    assert_eq!(
        world.read("README.md"),
        "x\n",
        "the work tree took the other writer's file"
    );
}

#[test]
fn without_a_remote_the_commit_is_kept_and_the_error_says_what_to_do() {
    let world = World::new();
    ok(&world.tenantctl_in(world.path(), &["init", "platform"]));
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("no remote `origin`"), "{out}");
    assert!(out.contains("git remote add origin"), "{out}");
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Add guild 1 (free)"
    );
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "free", "--no-push"]));
}

#[test]
fn init_refuses_to_overwrite_unless_forced_and_commits_everything() {
    let world = World::new();
    ok(&world.tenantctl_in(world.path(), &["init", "platform"]));
    let files = world.git(&["ls-files"]);
    assert!(
        files.contains("kustomize/argocd/applicationset.yaml") && files.contains("tenantctl.yaml"),
        "{files}"
    );
    assert_eq!(
        world.git(&["log", "--format=%s"]).trim(),
        "Initialize tenantctl config repo"
    );
    world.write(
        "tenantctl.yaml",
        &world
            .read("tenantctl.yaml")
            .replace("argocd\n", "argocd-custom\n"),
    );
    world.git(&["commit", "-qam", "customise"]);
    let out = fails_with(&world.tenantctl_in(world.path(), &["init", "platform"]), 2);
    assert!(
        out.contains("refusing to overwrite existing files: tenantctl.yaml")
            && out.contains("--force"),
        "{out}"
    );
    assert!(world.read("tenantctl.yaml").contains("argocd-custom"));
    ok(&world.tenantctl_in(world.path(), &["init", "platform", "--force"]));
    assert!(!world.read("tenantctl.yaml").contains("argocd-custom"));
}
