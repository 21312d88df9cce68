//! One test per bug that was fixed, named after what broke.

use crate::support::{World, fails_with, ok, text};

fn clone_remote(world: &World, name: &str) -> std::path::PathBuf {
    let out = world.git_in(
        world.path(),
        &["clone", "-q", world.remote().to_str().unwrap(), name],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    world.path().join(name)
}

#[test]
fn a_second_clone_failed_with_commits_not_present_locally_instead_of_replaying() {
    let world = World::new();
    world.platform_with_remote();
    let other = clone_remote(&world, "other");
    ok(&world.tenantctl_in(&other, &["create-guild", "11", "--tier", "free"]));
    // The platform clone is now behind: it used to fail to push; now it replays.
    ok(&world.tenantctl(&["create-guild", "12", "--tier", "free"]));
    let files = world.remote_files();
    assert!(files.contains(&"guilds/guild-11.yaml".to_string()));
    assert!(files.contains(&"guilds/guild-12.yaml".to_string()));
    assert!(world.platform().join("guilds/guild-11.yaml").is_file());
}

#[test]
fn an_uncommitted_config_edit_was_rendered_into_another_guilds_commit() {
    let world = World::new();
    world.platform_with_remote();
    let config = world.read("tenantctl.yaml");
    world.write(
        "tenantctl.yaml",
        &config.replace(
            "preserveResourcesOnDeletion: true",
            "preserveResourcesOnDeletion: false",
        ),
    );
    ok(&world.tenantctl(&["create-guild", "13", "--tier", "free"]));
    let set = world.remote_file("kustomize/argocd/applicationset.yaml");
    let committed_set = world.git(&["show", "HEAD~1:kustomize/argocd/applicationset.yaml"]);
    assert_eq!(set, committed_set, "the ApplicationSet did not change");
    assert_ne!(world.read("tenantctl.yaml"), config, "the edit stays local");
}

#[test]
fn init_copied_the_origin_token_into_tenantctl_yaml() {
    let world = World::new();
    let dir = world.platform();
    std::fs::create_dir_all(&dir).unwrap();
    assert!(world.git_in(&dir, &["init", "-q"]).status.success());
    assert!(
        world
            .git_in(
                &dir,
                &[
                    "remote",
                    "add",
                    "origin",
                    "https://bot:tok3n-xyz@git.example.com/acme/p.git"
                ]
            )
            .status
            .success()
    );
    let out = ok(&world.tenantctl_in(&dir, &["init", "."]));
    assert!(!out.contains("tok3n-xyz"), "{out}");
    let config = world.read("tenantctl.yaml");
    assert!(
        config.contains("repoURL: https://git.example.com/acme/p.git")
            || config.contains("repoURL: \"https://git.example.com/acme/p.git\""),
        "{config}"
    );
    let grep = world.git_in(&dir, &["grep", "-c", "tok3n-xyz", "HEAD"]);
    assert_eq!(text(&grep.stdout), "", "no committed file holds the token");
}

#[test]
fn validate_accepted_a_repo_url_with_credentials() {
    let world = World::new();
    world.platform_with_remote();
    let config = world.read("tenantctl.yaml");
    let url_line = config
        .lines()
        .find(|l| l.trim_start().starts_with("repoURL:"))
        .unwrap()
        .to_string();
    world.write(
        "tenantctl.yaml",
        &config.replace(
            &url_line,
            "  repoURL: https://ci:s3cret@git.example.com/acme/p.git",
        ),
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("E318"), "{out}");
    assert!(
        out.contains("https://git.example.com/acme/p.git"),
        "the fix: {out}"
    );
}

#[test]
fn a_stale_index_lock_was_noticed_only_after_the_commit() {
    let world = World::new();
    world.platform_with_remote();
    let head = world.git(&["rev-parse", "HEAD"]);
    std::fs::write(world.platform().join(".git/index.lock"), "").unwrap();
    let out = fails_with(
        &world.tenantctl(&["create-guild", "14", "--tier", "free"]),
        3,
    );
    assert!(out.contains("index.lock"), "{out}");
    assert!(out.contains("rm "), "says how to remove it: {out}");
    assert!(!world.platform().join("guilds/guild-14.yaml").exists());
    assert_eq!(world.git(&["rev-parse", "HEAD"]), head);
    std::fs::remove_file(world.platform().join(".git/index.lock")).unwrap();
    ok(&world.tenantctl(&["create-guild", "14", "--tier", "free"]));
}

#[test]
fn a_commit_on_a_detached_head_was_made_and_then_orphaned() {
    let world = World::new();
    world.platform_with_remote();
    world.git(&["checkout", "-q", "--detach"]);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "15", "--tier", "free"]),
        3,
    );
    assert!(out.contains("HEAD is detached"), "{out}");
    assert!(out.contains("git switch"), "{out}");
    assert!(!world.platform().join("guilds/guild-15.yaml").exists());
}

#[test]
fn a_push_to_a_local_path_remote_skipped_its_pre_receive_hook() {
    let world = World::new();
    world.platform_with_remote();
    let hook = world.remote().join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'policy: no direct pushes' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = fails_with(
        &world.tenantctl(&["create-guild", "16", "--tier", "free"]),
        3,
    );
    assert!(out.contains("policy: no direct pushes"), "{out}");
    assert!(
        !world
            .remote_files()
            .contains(&"guilds/guild-16.yaml".to_string())
    );
}

#[test]
fn a_ref_lock_left_on_the_remote_by_an_interrupted_push_was_not_named() {
    let world = World::new();
    world.platform_with_remote();
    let lock = world.remote().join("refs/heads/main.lock");
    std::fs::write(&lock, "").unwrap();
    let out = fails_with(
        &world.tenantctl(&["create-guild", "17", "--tier", "free"]),
        3,
    );
    assert!(out.contains("main.lock"), "names the lock: {out}");
    assert!(out.contains("remove"), "says what to do: {out}");
    std::fs::remove_file(&lock).unwrap();
    ok(&world.tenantctl(&["push"]));
    assert!(
        world
            .remote_files()
            .contains(&"guilds/guild-17.yaml".to_string())
    );
}

#[test]
fn a_token_username_in_tenantctl_yaml_was_run_as_shell_code() {
    use crate::servers::{Auth, GitHttpServer};
    let world = World::new();
    world.platform_with_remote();
    let marker = world.path().join("pwned");
    let config = world.read("tenantctl.yaml");
    world.write(
        "tenantctl.yaml",
        &config.replace(
            "git:\n  remote: origin\n",
            &format!(
                "git:\n  remote: origin\n  tokenEnv: TENANTCTL_TEST_TOKEN\n  tokenUsername: \"x;touch {}\"\n",
                marker.display()
            ),
        ),
    );
    world.git(&["commit", "-qam", "hostile user name"]);
    ok(&world.tenantctl(&["push"]));
    let server = GitHttpServer::start(&world, Auth::Everything, "ci", "pw-4711");
    world.git(&["remote", "set-url", "origin", &server.url("remote.git")]);
    let _ = world.tenantctl_with_env(
        &["create-guild", "1", "--tier", "free"],
        &[("TENANTCTL_TEST_TOKEN", "pw-4711")],
    );
    assert!(!marker.exists(), "the user name ran as a command");
}
