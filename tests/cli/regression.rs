//! One test per bug that was fixed, named after what broke.

use crate::support::{World, fails_with, kustomize_build, ok, text, write_hook};

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
    write_hook(
        &world.remote().join("hooks"),
        "pre-receive",
        "#!/bin/sh\necho 'policy: no direct pushes' >&2\nexit 1\n",
    );
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

/// A file outside the platform repo (in the world's directory), for the boundary regressions.
fn file_outside(world: &World, path: &str, text: &str) -> std::path::PathBuf {
    let target = world.path().join("outside").join(path);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, text).unwrap();
    target
}

/// tenantctl `args` in the platform repo with 1 GiB of address space.
fn tenantctl_in_a_gigabyte(world: &World, args: &str) -> std::process::Output {
    let binary = assert_cmd::cargo::cargo_bin!("tenantctl");
    std::process::Command::new("bash")
        .args([
            "-c",
            &format!("ulimit -v 1048576; exec '{}' {args}", binary.display()),
        ])
        .current_dir(world.platform())
        .env("HOME", world.home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

#[test]
fn render_deleted_files_outside_the_repo_through_a_symlinked_overlay_folder() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let text = world.read("kustomize/guilds/guild-1/kustomization.yaml");
    let theirs = file_outside(&world, "overlays/guild-9/kustomization.yaml", &text);
    std::fs::remove_dir_all(world.platform().join("kustomize/guilds")).unwrap();
    std::os::unix::fs::symlink(
        world.path().join("outside/overlays"),
        world.platform().join("kustomize/guilds"),
    )
    .unwrap();
    let out = fails_with(&world.tenantctl(&["render"]), 1);
    assert!(out.contains("kustomize/guilds:1:1: error[E102]"), "{out}");
    assert_eq!(std::fs::read_to_string(&theirs).unwrap(), text);
}

#[test]
fn create_guild_wrote_through_a_symlinked_guilds_folder_and_overlay_folder() {
    let world = World::new();
    world.platform_with_remote();
    let readme = world.read("guilds/README.md");
    file_outside(&world, "guilds/README.md", &readme);
    std::fs::remove_dir_all(world.platform().join("guilds")).unwrap();
    std::os::unix::fs::symlink(
        world.path().join("outside/guilds"),
        world.platform().join("guilds"),
    )
    .unwrap();
    fails_with(
        &world.tenantctl(&["create-guild", "5", "--tier", "free", "--no-commit"]),
        1,
    );
    assert!(!world.path().join("outside/guilds/guild-5.yaml").exists());

    std::fs::remove_file(world.platform().join("guilds")).unwrap();
    world.git(&["checkout", "--", "guilds"]);
    std::fs::create_dir_all(world.path().join("outside/guild-6")).unwrap();
    std::fs::create_dir_all(world.platform().join("kustomize/guilds")).unwrap();
    std::os::unix::fs::symlink(
        world.path().join("outside/guild-6"),
        world.platform().join("kustomize/guilds/guild-6"),
    )
    .unwrap();
    let out = fails_with(
        &world.tenantctl(&["create-guild", "6", "--tier", "free", "--no-commit"]),
        1,
    );
    assert!(
        out.contains("kustomize/guilds/guild-6:1:1: error[E102]"),
        "{out}"
    );
    assert!(
        std::fs::read_dir(world.path().join("outside/guild-6"))
            .unwrap()
            .next()
            .is_none(),
        "nothing written outside"
    );
}

#[test]
fn validate_render_check_and_diff_printed_the_target_of_a_committed_symlink() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let secret = file_outside(&world, "secret.env", "API_TOKEN=s3cr3t-4711\n");
    let path = world
        .platform()
        .join("kustomize/guilds/guild-1/kustomization.yaml");
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&secret, &path).unwrap();
    world.git(&["commit", "-qam", "a link"]);
    for args in [&["validate"][..], &["render", "--check"], &["diff"]] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(!out.contains("s3cr3t"), "{args:?}: {out}");
    }
}

#[test]
fn a_symlinked_template_rendered_its_target_into_the_overlays() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let path = "templates/guild-kustomization.yaml.j2";
    let template = world.read(path);
    let theirs = file_outside(
        &world,
        "t.j2",
        &format!("{template}# API_TOKEN=s3cr3t-4711\n"),
    );
    std::fs::remove_file(world.platform().join(path)).unwrap();
    std::os::unix::fs::symlink(&theirs, world.platform().join(path)).unwrap();
    let out = fails_with(&world.tenantctl(&["render"]), 1);
    assert!(out.contains(&format!("{path}:1:1: error[E102]")), "{out}");
    assert!(
        !world
            .read("kustomize/guilds/guild-1/kustomization.yaml")
            .contains("s3cr3t")
    );
}

#[test]
fn a_symlinked_guild_file_was_silently_skipped() {
    let world = World::new();
    world.platform_with_remote();
    let theirs = file_outside(&world, "guild-7.yaml", "guild_id: \"7\"\ntier: \"free\"\n");
    std::os::unix::fs::symlink(&theirs, world.platform().join("guilds/guild-7.yaml")).unwrap();
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("guilds/guild-7.yaml:1:1: error[E102]"),
        "{out}"
    );
}

#[test]
fn a_huge_guild_file_was_read_whole_before_the_size_check() {
    let world = World::new();
    world.platform_with_remote();
    std::fs::File::create(world.platform().join("guilds/guild-9.yaml"))
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let out = tenantctl_in_a_gigabyte(&world, "validate");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("guilds/guild-9.yaml:1:1: error[E101]: file is 3221225472 bytes"),
        "{stderr}"
    );
}

#[test]
fn a_template_symlinked_to_dev_zero_was_read_until_memory_ran_out() {
    let world = World::new();
    world.platform_with_remote();
    let path = "templates/tenant/params.yaml.j2";
    std::fs::remove_file(world.platform().join(path)).unwrap();
    std::os::unix::fs::symlink("/dev/zero", world.platform().join(path)).unwrap();
    let out = tenantctl_in_a_gigabyte(&world, "render");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{path}:1:1: error[E102]")),
        "{stderr}"
    );
}

#[test]
fn create_guild_deleted_hand_written_files_in_a_guild_overlay_folder() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "free"]));
    let notes = "kustomize/guilds/guild-2/NOTES.md";
    world.write(notes, "hand-written\n");
    world.git(&["add", notes]);
    world.git(&["commit", "-qm", "notes"]);
    ok(&world.tenantctl(&["push"]));
    let out = ok(&world.tenantctl(&["create-guild", "3", "--tier", "free"]));
    assert!(
        out.contains(&format!(
            "note: {notes} is not generated by tenantctl: left as it is"
        )),
        "{out}"
    );
    assert!(world.remote_files().contains(&notes.to_string()));
    assert_eq!(world.read(notes), "hand-written\n");
}

#[test]
fn list_piped_into_head_panicked_with_exit_101() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "free"]));
    for args in [&["list"][..], &["apps"], &["crd"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = world
            .tenantctl_command(&world.platform(), args)
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn an_io_error_exited_1_as_invalid_configuration_with_its_cause_flattened() {
    let world = World::new();
    let file = world.path().join("plain-file");
    std::fs::write(&file, "").unwrap();
    let target = file.join("platform");
    let out = world.tenantctl_in(world.path(), &["init", target.to_str().unwrap()]);
    fails_with(&out, 4);
    let stderr = text(&out.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert_eq!(first, format!("error: creating {}", target.display()));
    assert!(
        stderr.contains("\n  caused by: Not a directory"),
        "{stderr}"
    );
}

#[test]
fn a_syntax_error_in_the_repos_own_template_exited_2_as_a_usage_error() {
    let world = World::new();
    world.platform_with_remote();
    world.write("templates/tenant/params.yaml.j2", "{% if %}\n");
    let all = fails_with(&world.tenantctl(&["render"]), 1);
    assert!(all.contains("templates/tenant/params.yaml.j2"), "{all}");
    assert!(
        all.contains("or delete it to use the built-in default"),
        "{all}"
    );
}

#[test]
fn a_broken_schema_in_the_repo_exited_4_or_1_by_chance() {
    let world = World::new();
    world.platform_with_remote();
    world.write("schemas/guild.schema.json", "{ not json");
    let all = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        all.contains("error: schemas/guild.schema.json is not valid JSON"),
        "{all}"
    );
    assert!(all.contains("  caused by: "), "{all}");
}

#[test]
fn migrate_accepted_a_negative_pr_number() {
    let world = World::new();
    world.platform_with_remote();
    for number in ["-5", "0", "1.5", "\"-5\"", "\"0\""] {
        let prstack = world.path().join("prstack.yaml");
        std::fs::write(
            &prstack,
            format!(
                "apiVersion: shop.pilab.hu/v1alpha1\nkind: PRStack\nmetadata:\n  name: pr\nspec:\n  prNumber: {number}\n  imageTag: t1\n"
            ),
        )
        .unwrap();
        let out = world.tenantctl(&["migrate", "prstack", prstack.to_str().unwrap()]);
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!out.status.success(), "prNumber {number}: {all}");
        assert!(all.contains("positive integer"), "prNumber {number}: {all}");
    }
    assert!(!world.platform().join("tenants/pr--5.yaml").exists());
    assert!(!world.platform().join("tenants/pr-0.yaml").exists());
}

#[test]
fn a_guild_id_beyond_64_bits_was_accepted() {
    let world = World::new();
    world.platform_with_remote();
    let too_big = "18446744073709551616";
    let all = fails_with(
        &world.tenantctl(&["create-guild", too_big, "--tier", "free"]),
        2,
    );
    assert!(all.contains("64 bits"), "{all}");
    ok(&world.tenantctl(&["create-guild", "18446744073709551615", "--tier", "free"]));
    // A hand-written file with such an ID is E306.
    world.write(
        &format!("guilds/guild-{too_big}.yaml"),
        &format!("guild_id: \"{too_big}\"\ntier: \"free\"\n"),
    );
    let all = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        all.contains(&format!("guilds/guild-{too_big}.yaml:1:11: error[E306]")),
        "{all}"
    );
}

#[test]
fn update_guild_dropped_the_files_comments() {
    let world = World::new();
    world.platform_with_remote();
    let path = "guilds/guild-5.yaml";
    let text = "# league night\nguild_id: \"5\"  # from Discord\n\n# sizing\ntier: 'free'\nbackend_cpu_limit: '200m'\n";
    world.write(path, text);
    world.git(&["add", path]);
    world.git(&["commit", "-qm", "hand-written"]);
    ok(&world.tenantctl(&["update-guild", "5", "--set", "backend_cpu_limit=300m"]));
    assert_eq!(
        world.read(path),
        text.replace("'200m'", "\"300m\""),
        "only the value changes"
    );
}

#[test]
fn update_tenant_dropped_comments_of_a_from_file_tenant() {
    let world = World::new();
    world.platform_with_remote();
    let text = "# VIP customer\napiVersion: shop.pilab.hu/v1alpha1\nkind: Tenant\nmetadata:\n  name: vip\nspec:\n  tenantId: vip   # fixed\n  tenantType: staging\n  active: true\n";
    let manifest = world.path().join("vip.yaml");
    std::fs::write(&manifest, text).unwrap();
    ok(&world.tenantctl(&["create-tenant", "--from-file", manifest.to_str().unwrap()]));
    ok(&world.tenantctl(&["update-tenant", "vip", "--image-tag", "v2"]));
    assert_eq!(
        world.read("tenants/vip.yaml"),
        format!("{text}  imageTag: \"v2\"\n")
    );
    ok(&world.tenantctl(&["suspend-tenant", "vip"]));
    assert_eq!(
        world.read("tenants/vip.yaml"),
        format!("{text}  imageTag: \"v2\"\n").replace("active: true", "active: false")
    );
}

#[test]
fn every_written_file_became_mode_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl_with_umask("022", &["create-guild", "6", "--tier", "free"]));
    let file = world.platform().join("guilds/guild-6.yaml");
    let mode =
        |file: &std::path::Path| std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o644, "the umask's default, not 0600");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    ok(&world.tenantctl_with_umask("022", &["update-guild", "6", "--tier", "pro"]));
    assert_eq!(mode(&file), 0o640, "the file's old mode kept");
}

const SEED_TENANT: &str = include_str!("../fixtures/tenant/seed-example.yaml");

/// A world with the seed Tenant, edited by `from` -> `to`; `validate`'s output (it must fail).
fn validate_tenant_edit(from: &str, to: &str) -> String {
    let world = World::new();
    world.platform_with_remote();
    assert!(SEED_TENANT.contains(from), "{from}");
    world.write(
        "tenants/customer-shop-1.yaml",
        &SEED_TENANT.replacen(from, to, 1),
    );
    fails_with(&world.tenantctl(&["validate"]), 1)
}

#[test]
fn a_label_value_with_a_space_passed_validate() {
    let out = validate_tenant_edit(
        "  namespace: default\n",
        "  namespace: default\n  labels:\n    team: \"Platform Team\"\n    -team: x\n    \"owner team\": x\n    tier: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
    );
    assert!(
        out.contains("tenants/customer-shop-1.yaml:7:11: error[E316]: `Platform Team` is not a valid label value"),
        "{out}"
    );
    assert!(
        out.contains(
            "tenants/customer-shop-1.yaml:8:5: error[E316]: `-team` is not a valid label key"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "tenants/customer-shop-1.yaml:9:5: error[E316]: `owner team` is not a valid label key"
        ),
        "{out}"
    );
    assert!(
        out.contains("is not a valid label value: it is 64 characters, over 63"),
        "{out}"
    );
}

#[test]
fn annotations_over_256_kib_passed_validate() {
    let big = "x".repeat(262_144);
    let out = validate_tenant_edit(
        "    billingTier: \"premium\"\n",
        &format!("    billingTier: \"premium\"\n    annotations:\n      note: \"{big}\"\n"),
    );
    assert!(
        out.contains("error[E316]: the tenant Namespace's annotations (tenantConfig.annotations, customerName, customerEmail) total 262239 bytes, over Kubernetes' limit of 256 KiB (262144 bytes, keys and values)"),
        "{out}"
    );
}

#[test]
fn an_underscore_number_passed_the_yaml11_trap_check() {
    let out = validate_tenant_edit("  imageTag: \"v1.2.3\"\n", "  imageTag: 1e1_0\n");
    assert!(
        out.contains("tenants/customer-shop-1.yaml:9:13: error[E204]: unquoted `1e1_0` is the number 10000000000 to YAML 1.1 readers"),
        "{out}"
    );
    assert!(out.contains("help: quote it: \"1e1_0\""), "{out}");
    let out = validate_tenant_edit(
        "    customerName: \"Customer Shop Inc.\"\n",
        "    customerName: 0x_1F\n",
    );
    assert!(
        out.contains("unquoted `0x_1F` is the hexadecimal number 31"),
        "{out}"
    );
    // The issue's other two: an integer and a float with underscores, as kubectl reads them.
    // tenantctl's own reader takes `1_0` as a number too: refused as one where text belongs.
    let out = validate_tenant_edit("  imageTag: \"v1.2.3\"\n", "  imageTag: 1_0\n");
    assert!(
        out.contains(
            "tenants/customer-shop-1.yaml:9:13: error[E203]: `spec.imageTag` must be a string, found a number"
        ),
        "{out}"
    );
    let out = validate_tenant_edit(
        "    customerName: \"Customer Shop Inc.\"\n",
        "    customerName: 0.1_5\n",
    );
    assert!(
        out.contains("error[E204]: unquoted `0.1_5` is the number 0.15 to YAML 1.1 readers"),
        "{out}"
    );
    assert!(out.contains("help: quote it: \"0.1_5\""), "{out}");
}

#[test]
fn an_unquoted_guild_id_lost_digits_as_a_double() {
    let world = World::new();
    world.platform_with_remote();
    world.write(
        "guilds/guild-123456789012345678.yaml",
        "guild_id: 123456789012345678\ntier: \"free\"\n",
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("guilds/guild-123456789012345678.yaml:1:11: error[E203]: `guild_id` must be a string, found a number (YAML -> JSON readers that hold numbers as doubles make it 1.2345678901234568e+17)"),
        "{out}"
    );
    assert!(
        out.contains("help: quote it: \"123456789012345678\""),
        "{out}"
    );
}

#[test]
fn a_tenant_applied_without_tenantctl_had_no_active_default() {
    let world = World::new();
    world.platform_with_remote();
    let crd: serde_json::Value = serde_saphyr::from_str(&ok(&world.tenantctl(&["crd"]))).unwrap();
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    assert_eq!(spec["properties"]["active"]["default"], true);
    assert_eq!(
        spec["x-kubernetes-validations"][1]["rule"],
        "!has(self.mongoPassword)"
    );
}

#[test]
fn list_said_valid_for_a_guild_that_validate_rejects() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    world.write(
        "guilds/guild-2.yaml",
        "guild_id: \"2\"\ntier: \"free\"\nbackend_cpu_limt: \"1\"\n",
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("guilds/guild-2.yaml"), "{out}");
    let rows: serde_json::Value =
        serde_json::from_str(&ok(&world.tenantctl(&["list", "--output", "json"]))).unwrap();
    let valid = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["guild_id"] == id)
            .unwrap()["valid"]
            .clone()
    };
    assert_eq!(valid("2"), false, "one verdict with validate");
    assert_eq!(valid("1"), true);
}

#[test]
fn every_application_ran_in_project_default() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    let apps: serde_json::Value =
        serde_json::from_str(&ok(&world.tenantctl(&["apps", "--output", "json"]))).unwrap();
    let projects: Vec<&str> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["project"].as_str().unwrap())
        .collect();
    assert_eq!(projects, ["guilds-free", "tenants-staging"]);
}

#[test]
fn a_tenant_could_claim_kube_system() {
    let world = World::new();
    world.platform_with_remote();
    let manifest = world.path().join("sys.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: shop.pilab.hu/v1alpha1\nkind: Tenant\nmetadata:\n  name: sys\nspec:\n  tenantId: sys\n  tenantType: staging\n  active: true\n  namespaceConfig:\n    pattern: \"kube-system\"\n",
    )
    .unwrap();
    let out = fails_with(
        &world.tenantctl(&["create-tenant", "--from-file", manifest.to_str().unwrap()]),
        1,
    );
    assert!(out.contains("E330") && out.contains("kube-system"), "{out}");
    assert!(!world.platform().join("tenants/sys.yaml").exists());
}

#[test]
fn a_target_revision_holding_go_template_delimiters_was_rendered_for_argo_cd_to_run() {
    let world = World::new();
    world.platform_with_remote();
    let config = world.read("tenantctl.yaml");
    world.write(
        "tenantctl.yaml",
        &config.replace("targetRevision: HEAD", "targetRevision: \"{{ .tier }}\""),
    );
    let out = fails_with(&world.tenantctl(&["render"]), 1);
    assert!(out.contains("E334"), "{out}");
}

#[test]
fn two_application_sets_could_share_a_name_and_replace_each_other() {
    let world = World::new();
    world.platform_with_remote();
    world.set_tenant_settings("  applicationSetName: frolf-bot-guilds\n");
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("E335"), "{out}");
}

#[test]
fn a_shard_of_the_guilds_application_set_could_share_the_tenants_sets_name() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    world.set_argocd_setting("  shardSize: 1\n");
    world.set_tenant_settings("  applicationSetName: frolf-bot-guilds-1\n");
    // One guild, one shard: the guilds' set keeps its own name, nothing clashes.
    ok(&world.tenantctl(&["render", "--no-commit"]));
    ok(&world.tenantctl(&["validate"]));
    // A second guild splits the guilds' set into frolf-bot-guilds-1 and -2: the first is the
    // tenants' set's name, and one would replace the other in the cluster.
    world.write("guilds/guild-2.yaml", "guild_id: \"2\"\ntier: free\n");
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("E335")
            && out.contains("two ApplicationSets would be named `frolf-bot-guilds-1`")
            && out.contains("shard 1 of 2"),
        "{out}"
    );
    let out = fails_with(&world.tenantctl(&["render", "--no-commit"]), 1);
    assert!(out.contains("E335"), "render refuses too: {out}");
}

#[test]
fn a_params_file_sending_a_tenant_into_another_tenants_namespace_was_only_out_of_date() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    ok(&world.tenantctl(&["create-tenant", "shop-b", "--type", "staging"]));
    let out = world.tenantctl(&["apps"]);
    assert!(!text(&out.stderr).contains("E360"), "{}", text(&out.stderr));
    ok(&out);
    // By hand, bypassing tenantctl, committed: shop-a's Application now deploys into shop-b's
    // namespace, which the staging project's `tenant-*` permits.
    let params = world.read("kustomize/tenants/shop-a/params.yaml");
    assert!(
        params.contains("namespace: \"tenant-shop-a-staging\""),
        "{params}"
    );
    world.write(
        "kustomize/tenants/shop-a/params.yaml",
        &params.replace("tenant-shop-a-staging", "tenant-shop-b-staging"),
    );
    world.git(&["commit", "-qam", "planted by hand"]);
    let both = [
        "tenant-shop-a (from kustomize/tenants/shop-a/params.yaml)",
        "tenant-shop-b (from kustomize/tenants/shop-b/params.yaml)",
    ];
    let out = fails_with(&world.tenantctl(&["apps", "--output", "json"]), 1);
    assert!(
        out.contains("E360")
            && out.contains("namespace `tenant-shop-b-staging`")
            && out.contains("Argo CD would let both manage it")
            && both.iter().all(|app| out.contains(app)),
        "{out}"
    );
    // Argo CD's own rules permit both (apps lists only permitted Applications): this check is
    // what catches it.
    let apps = world.tenantctl(&["apps", "--output", "json"]);
    let apps: Vec<serde_json::Value> = serde_json::from_slice(&apps.stdout).unwrap();
    assert_eq!(apps.len(), 2);
    for app in &apps {
        assert_eq!(app["namespace"], "tenant-shop-b-staging", "{app}");
    }
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    for file in [
        "kustomize/tenants/shop-a/params.yaml",
        "kustomize/tenants/shop-b/params.yaml",
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{file}:1:1: error[E360]"))),
            "{file}: {out}"
        );
    }
}

#[test]
fn delete_tenant_said_no_such_tenant_for_a_symlinked_tenant_file_or_tenants_folder() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    let tenant = world.read("tenants/shop-a.yaml");
    let outside = world.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("shop-a.yaml"), &tenant).unwrap();
    let platform = world.platform();
    std::fs::remove_file(platform.join("tenants/shop-a.yaml")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("shop-a.yaml"),
        platform.join("tenants/shop-a.yaml"),
    )
    .unwrap();
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "the tenant file as a link"]);
    // suspend-tenant said E102 at the link; delete-tenant said the tenant did not exist.
    for args in [
        &["suspend-tenant", "shop-a", "--no-commit"][..],
        &["delete-tenant", "shop-a", "--yes", "--no-commit"],
        &["delete-tenant", "shop-a", "--yes"],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(
            out.contains("tenants/shop-a.yaml:1:1: error[E102]") && !out.contains("no tenant"),
            "{args:?}: {out}"
        );
    }
    // The whole folder as a link.
    std::fs::remove_file(platform.join("tenants/shop-a.yaml")).unwrap();
    std::fs::rename(platform.join("tenants"), outside.join("tenants")).unwrap();
    std::fs::write(outside.join("tenants/shop-a.yaml"), &tenant).unwrap();
    std::os::unix::fs::symlink(outside.join("tenants"), platform.join("tenants")).unwrap();
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "tenants/ as a link"]);
    for args in [
        &["suspend-tenant", "shop-a", "--no-commit"][..],
        &["delete-tenant", "shop-a", "--yes"],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(
            out.contains("tenants:1:1: error[E102]") && !out.contains("no tenant"),
            "{args:?}: {out}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(outside.join("tenants/shop-a.yaml")).unwrap(),
        tenant
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("shop-a.yaml")).unwrap(),
        tenant
    );
}

#[test]
fn the_plaintext_mongo_password_hint_said_kubectl_create_secret_from_literal() {
    let world = World::new();
    world.platform_with_remote();
    let manifest = world.path().join("shop-a.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: shop.pilab.hu/v1alpha1\nkind: Tenant\nmetadata:\n  name: shop-a\nspec:\n  tenantId: shop-a\n  tenantType: staging\n  active: true\n  mongoPassword: \"hunter2\"\n",
    )
    .unwrap();
    let out = fails_with(
        &world.tenantctl(&["create-tenant", "--from-file", manifest.to_str().unwrap()]),
        1,
    );
    assert!(out.contains("E310"), "{out}");
    // The value would end up in shell history and the process list that way.
    assert!(
        !out.contains("--from-literal") && !out.contains("kubectl create secret"),
        "{out}"
    );
    assert!(
        out.contains("tenantctl secret set shop-a mongo-password --stdin")
            && out.contains(
                "mongoPasswordSecretRef: {name: shop-a-mongo-password, key: mongo-password}"
            ),
        "{out}"
    );
}

/// `validate --manifests` with schema folders, in the platform repo.
fn validate_manifests(world: &World, dirs: &[&str]) -> std::process::Output {
    crate::support::require_tool("kubectl", "see https://kubernetes.io/docs/tasks/tools/");
    let mut args = vec!["validate", "--manifests"];
    for dir in dirs {
        args.extend(["--schema-dir", dir]);
    }
    world.tenantctl(&args)
}

#[test]
fn schema_dir_followed_a_symlinked_schemas_folder_out_of_the_repo() {
    let world = World::new();
    world.platform_with_remote();
    let vendored =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas/argocd");
    let crd = std::fs::read_to_string(vendored.join("appproject-crd.yaml")).unwrap();
    let outside = file_outside(&world, "argocd/appproject-crd.yaml", &crd);
    let schemas = world.platform().join("schemas");
    // The whole folder a link leaving the repository.
    std::os::unix::fs::symlink(outside.parent().unwrap(), schemas.join("argocd")).unwrap();
    let out = fails_with(&validate_manifests(&world, &["schemas/argocd"]), 1);
    assert!(out.contains("schemas/argocd:1:1: error[E102]"), "{out}");
    assert!(!out.contains("AppProject"), "nothing of it was read: {out}");
    // A real folder holding a link to a file outside.
    std::fs::remove_file(schemas.join("argocd")).unwrap();
    std::fs::create_dir(schemas.join("argocd")).unwrap();
    std::os::unix::fs::symlink(&outside, schemas.join("argocd/appproject-crd.yaml")).unwrap();
    let out = fails_with(&validate_manifests(&world, &["schemas/argocd"]), 1);
    assert!(
        out.contains("schemas/argocd/appproject-crd.yaml:1:1: error[E102]"),
        "{out}"
    );
    // The same CRD as a file of the repo is read and used: the AppProjects are checked with it.
    std::fs::remove_file(schemas.join("argocd/appproject-crd.yaml")).unwrap();
    std::fs::write(schemas.join("argocd/appproject-crd.yaml"), &crd).unwrap();
    let out = fails_with(&validate_manifests(&world, &["schemas/argocd"]), 1);
    assert!(!out.contains("E102"), "{out}");
    assert!(
        out.contains("no schema for argoproj.io/v1alpha1 ApplicationSet")
            && !out.contains("no schema for argoproj.io/v1alpha1 AppProject"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), crd);
}

#[test]
fn schema_dir_files_were_read_whole_without_a_size_bound() {
    let world = World::new();
    world.platform_with_remote();
    let huge = |path: &std::path::Path| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::File::create(path)
            .unwrap()
            .set_len(3 << 30)
            .unwrap();
    };
    // A CRD file in a folder of the repo, and a kubeconform-named schema outside it.
    huge(&world.platform().join("schemas/big/crd.yaml"));
    let outside = world.path().join("outside/schemas");
    // Read when the rendered CustomResourceDefinition is checked.
    huge(&outside.join("customresourcedefinition-apiextensions-v1.json"));
    crate::support::require_tool("kubectl", "see https://kubernetes.io/docs/tasks/tools/");
    let out = tenantctl_in_a_gigabyte(&world, "validate --manifests --schema-dir schemas/big");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "schemas/big/crd.yaml:1:1: error[E101]: file is 3221225472 bytes, over the limit of 16777216 bytes"
        ),
        "{stderr}"
    );
    let out = tenantctl_in_a_gigabyte(
        &world,
        &format!("validate --manifests --schema-dir '{}'", outside.display()),
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("customresourcedefinition-apiextensions-v1.json: file is 3221225472 bytes, over the limit of 16777216 bytes"),
        "{all}"
    );
}

#[test]
fn deploy_applicationset_applied_only_the_guilds_application_set() {
    let world = World::new();
    world.platform_with_remote();
    let makefile = world.read("Makefile");
    assert!(
        makefile.contains("kubectl apply -k kustomize/argocd"),
        "{makefile}"
    );
    let kustomization = world.read("kustomize/argocd/kustomization.yaml");
    for file in [
        "appprojects.yaml",
        "applicationset.yaml",
        "tenants-applicationset.yaml",
    ] {
        assert!(kustomization.contains(file), "{kustomization}");
    }
}

#[test]
fn a_guild_namespace_had_no_quota_limits_or_network_policy() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let built = crate::support::kustomize_build(&world, "kustomize/guilds/guild-1");
    for kind in ["ResourceQuota", "LimitRange", "NetworkPolicy"] {
        assert!(built.iter().any(|m| m["kind"] == kind), "{kind}");
    }
}

#[test]
fn the_seed_shop_did_not_fit_its_own_quota_with_its_surge_pods_and_backup() {
    let world = crate::capacity::fleet();
    let built = crate::support::kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    let hard = &built.iter().find(|m| m["kind"] == "ResourceQuota").unwrap()["spec"]["hard"];
    let (_, cpu, memory) = crate::capacity::peak(&built);
    // It was 4 services x 2 replicas x 500m = 4 CPU of limits against limits.cpu "2".
    assert!(
        cpu <= crate::capacity::amount(&hard["limits.cpu"]),
        "{cpu}m"
    );
    assert!(
        memory <= crate::capacity::memory(&hard["limits.memory"]),
        "{memory}"
    );
}

#[test]
fn a_backup_cronjob_had_no_target_and_no_database_address() {
    let world = crate::capacity::fleet();
    let built = crate::support::kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    let cron = built.iter().find(|m| m["kind"] == "CronJob").unwrap();
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(
        pod["volumes"][1]["persistentVolumeClaim"]["claimName"],
        "backup"
    );
    let config = built.iter().find(|m| m["kind"] == "ConfigMap").unwrap();
    assert!(config["data"]["MONGO_URI"].is_string(), "{config}");
}

#[test]
fn the_tenant_role_was_bound_to_an_account_whose_token_was_never_mounted() {
    let world = crate::capacity::fleet();
    let built = crate::support::kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    assert!(
        !built
            .iter()
            .any(|m| m["kind"] == "Role" || m["kind"] == "RoleBinding")
    );
}

#[test]
fn two_discord_bot_replicas_on_one_token_both_handled_every_event() {
    let world = crate::capacity::fleet();
    let built = crate::support::kustomize_build(&world, "kustomize/guilds/guild-2");
    let bot = built
        .iter()
        .find(|m| m["kind"] == "Deployment" && m["metadata"]["name"] == "discord-bot")
        .unwrap();
    assert_eq!(bot["spec"]["replicas"], 2);
    let env = bot["spec"]["template"]["spec"]["containers"][0]["env"].to_string();
    assert!(env.contains("LEADER_ELECTION_LEASE"), "{env}");
}

#[test]
fn a_disruption_budget_kept_in_the_pro_overlay_broke_every_pro_guild_build() {
    // Repos made before budgets were rendered per guild have them in kustomize/pro/ too:
    // kustomize refuses two PodDisruptionBudgets named backend. validate says where, first.
    let world = World::new();
    world.platform_with_remote();
    let overlay = world.read("kustomize/pro/pro-resources.yaml")
        + "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: backend\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: backend\n";
    world.write("kustomize/pro/pro-resources.yaml", &overlay);
    let line = overlay
        .lines()
        .position(|l| l == "kind: PodDisruptionBudget")
        .unwrap()
        + 1;
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains(&format!(
            "kustomize/pro/pro-resources.yaml:{line}:1: error[E347]"
        )),
        "{out}"
    );
    // The free tier runs one pod: a budget there clashes with nothing rendered.
    let free = world.read("kustomize/free/free-resources.yaml")
        + "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: other\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: other\n";
    world.write("kustomize/free/free-resources.yaml", &free);
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(!out.contains("kustomize/free/free-resources.yaml"), "{out}");
}

#[test]
fn a_repos_own_older_guild_kustomization_template_failed_on_the_per_deployment_replicas() {
    // A repo's copy of the template from before autoscaling sets every count to `replicas`.
    let world = World::new();
    world.platform_with_remote();
    let template = world.read("templates/guild-kustomization.yaml.j2");
    let start = template.find("replicas:\n").unwrap();
    let end = template[start..].find("patches:").unwrap() + start;
    let older = format!(
        "{}replicas:\n{{% for deployment in deployments %}}\n  - name: {{{{ deployment.name }}}}\n    count: {{{{ replicas }}}}\n{{% endfor %}}\n{}",
        &template[..start],
        &template[end..]
    );
    world.write("templates/guild-kustomization.yaml.j2", &older);
    world.git(&["commit", "-q", "-am", "Our own template"]);
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    let built = kustomize_build(&world, "kustomize/guilds/guild-1");
    let deployments: Vec<_> = built.iter().filter(|m| m["kind"] == "Deployment").collect();
    assert_eq!(deployments.len(), 2);
    assert!(deployments.iter().all(|d| d["spec"]["replicas"] == 1));
}

#[test]
fn service_monitors_were_outside_every_app_projects_whitelist() {
    // Argo CD refuses to sync a kind its project does not list: with monitoring on, every
    // guild and tenant would have failed on its ServiceMonitor and PrometheusRule.
    let world = World::new();
    world.platform_with_remote();
    let config = world.read("tenantctl.yaml") + "monitoring:\n  enabled: true\n";
    world.write("tenantctl.yaml", &config);
    ok(&world.tenantctl(&["render"]));
    let projects =
        crate::support::parse_yaml_stream(&world.read("kustomize/argocd/appprojects.yaml"));
    assert!(!projects.is_empty());
    for project in projects {
        let kinds: Vec<String> = project["spec"]["namespaceResourceWhitelist"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                format!(
                    "{}/{}",
                    k["group"].as_str().unwrap(),
                    k["kind"].as_str().unwrap()
                )
            })
            .collect();
        for kind in [
            "monitoring.coreos.com/ServiceMonitor",
            "monitoring.coreos.com/PrometheusRule",
        ] {
            assert!(kinds.iter().any(|k| k == kind), "{kinds:?}");
        }
    }
}

#[test]
fn an_empty_namespaced_kind_whitelist_rendered_a_project_allowing_every_kind() {
    // `namespaceResourceWhitelist: []` rendered a null whitelist, which Argo CD reads as "every
    // namespaced kind"; an empty cluster whitelist was a null the CRD refuses.
    let world = World::new();
    world.platform_with_remote();
    world.set_argocd_setting("  projects:\n    namespaceResourceWhitelist: []\n");
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("namespaceResourceWhitelist"), "{out}");

    let world = World::new();
    world.platform_with_remote();
    world.set_argocd_setting("  projects:\n    clusterResourceWhitelist: []\n");
    ok(&world.tenantctl(&["render"]));
    let projects =
        crate::support::parse_yaml_stream(&world.read("kustomize/argocd/appprojects.yaml"));
    assert!(!projects.is_empty());
    for project in &projects {
        assert_eq!(
            project["spec"]["clusterResourceWhitelist"],
            serde_json::json!([]),
            "an empty list, not a null: {project}"
        );
    }
    ok(&world.tenantctl(&["validate"]));
}

// Argo CD's view in validate and list (issue 10's audit): each case through `validate`, whose
// findings `list` shares.

/// A pushed repo with guild `id` on the free tier.
fn repo_with_guild(id: &str) -> World {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", id, "--tier", "free"]));
    world
}

/// `validate`'s exit code and everything it printed.
fn validate_all(world: &World) -> (Option<i32>, String) {
    let out = world.tenantctl(&["validate"]);
    (
        out.status.code(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// Paths `validate --format json` reports an error for.
fn files_with_errors(world: &World) -> std::collections::BTreeSet<String> {
    let out = world.tenantctl(&["validate", "--format", "json"]);
    let found: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    found
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["file"].as_str().unwrap().to_string())
        .collect()
}

/// `list --output json`'s `valid` for every row, by file.
fn list_verdicts(world: &World) -> std::collections::BTreeMap<String, bool> {
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&world.tenantctl(&["list", "--output", "json"]))).unwrap();
    rows.iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["valid"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Every listed row's `valid` is "validate reports no error for this file", and there is a
/// row for each of `files`.
fn assert_one_verdict(world: &World, files: &[&str]) {
    let errors = files_with_errors(world);
    let verdicts = list_verdicts(world);
    for file in files {
        assert!(
            verdicts.contains_key(*file),
            "no row for {file}: {verdicts:?}"
        );
    }
    for (file, valid) in &verdicts {
        assert_eq!(
            *valid,
            !errors.contains(file),
            "{file}: list says valid={valid}, validate's errors: {errors:?}"
        );
    }
    assert!(verdicts.values().any(|v| !v), "a case with an invalid file");
}

#[test]
fn validate_passed_a_template_function_apps_refused() {
    let world = repo_with_guild("1");
    crate::argo::edit_application_set(
        &world,
        "tenantctl.io/tier: '{% raw %}{{ .tier }}{% endraw %}'",
        "tenantctl.io/tier: '{% raw %}{{ .tier | b64enc }}{% endraw %}'",
    );
    let (code, out) = validate_all(&world);
    assert_eq!(code, Some(1), "{out}");
    let set = world.read("kustomize/argocd/applicationset.yaml");
    let line = set.lines().position(|l| l.contains("b64enc")).unwrap() + 1;
    assert!(
        out.contains(&format!(
            "kustomize/argocd/applicationset.yaml:{line}:1: error[E337]"
        )) && out.contains("b64enc"),
        "{out}"
    );
}

#[test]
fn validate_missed_a_nested_duplicate_once_a_guild_file_was_a_symlink() {
    let world = repo_with_guild("1001");
    world.write("archive/guild-5.yaml", "guild_id: \"5\"\ntier: \"free\"\n");
    std::os::unix::fs::symlink(
        "../archive/guild-5.yaml",
        world.platform().join("guilds/guild-5.yaml"),
    )
    .unwrap();
    world.write(
        "guilds/guild-archive/guild-1001.yaml",
        &world.read("guilds/guild-1001.yaml"),
    );
    let (code, out) = validate_all(&world);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("guilds/guild-5.yaml:1:1: error[E102]"),
        "{out}"
    );
    assert!(
        out.contains("guilds/guild-archive/guild-1001.yaml:1:1: error[E336]"),
        "the duplicate is still found: {out}"
    );
}

#[test]
fn validate_did_not_report_two_files_with_one_guild_id() {
    let world = repo_with_guild("1");
    world.write("guilds/guild-2.yaml", &world.read("guilds/guild-1.yaml"));
    let (code, out) = validate_all(&world);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("guilds/guild-2.yaml:1:1: error[E336]: Argo CD generates the Application guild-1 from guilds/guild-1.yaml and guilds/guild-2.yaml and creates neither"),
        "{out}"
    );
}

#[test]
fn validate_never_checked_trim_markers_and_sprig_functions_against_argo_cd() {
    let world = repo_with_guild("8801");
    crate::argo::edit_application_set(
        &world,
        "name: 'guild-{% raw %}{{ .guild_id }}{% endraw %}'",
        "name: 'guild- {% raw %}{{- .guild_id }}{% endraw %}'",
    );
    crate::argo::edit_application_set(
        &world,
        "path: 'kustomize/guilds/guild-{% raw %}{{ .guild_id }}{% endraw %}'",
        "path: 'kustomize/guilds/guild-{% raw %}{{ .guild_id }}/{{ .tier | upper }}{% endraw %}'",
    );
    let (code, out) = validate_all(&world);
    assert_eq!(code, Some(0), "Argo CD renders both: {out}");
    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(crate::argo::names(&listed), ["guild-8801"], "trimmed");
    assert_eq!(
        listed[0]["path"], "kustomize/guilds/guild-8801/FREE",
        "upper's result"
    );
}

#[test]
fn list_said_valid_for_files_validate_rejects_as_argo_cd_would() {
    // A nested stray copy and a copy under another name: Argo CD creates neither (E336).
    let world = repo_with_guild("1");
    ok(&world.tenantctl(&["create-guild", "3", "--tier", "free"]));
    world.write(
        "guilds/guild-archive/guild-1.yaml",
        &world.read("guilds/guild-1.yaml"),
    );
    world.write("guilds/guild-2.yaml", &world.read("guilds/guild-3.yaml"));
    assert_one_verdict(
        &world,
        &[
            "guilds/guild-1.yaml",
            "guilds/guild-2.yaml",
            "guilds/guild-3.yaml",
        ],
    );
    let verdicts = list_verdicts(&world);
    assert!(!verdicts["guilds/guild-2.yaml"] && !verdicts["guilds/guild-3.yaml"]);
    // status gives the same verdict.
    let status = ok(&world.tenantctl(&["status", "3"]));
    assert!(status.contains("\nvalid      no: "), "{status}");
}

#[test]
fn list_had_no_row_for_a_symlinked_guild_file() {
    let world = repo_with_guild("1");
    world.write("archive/guild-5.yaml", "guild_id: \"5\"\ntier: \"free\"\n");
    std::os::unix::fs::symlink(
        "../archive/guild-5.yaml",
        world.platform().join("guilds/guild-5.yaml"),
    )
    .unwrap();
    assert_one_verdict(&world, &["guilds/guild-1.yaml", "guilds/guild-5.yaml"]);
    assert!(!list_verdicts(&world)["guilds/guild-5.yaml"]);
}

#[test]
fn apps_worktree_exited_1_on_a_symlinked_guild_file_the_head_view_follows() {
    let world = repo_with_guild("1");
    world.write("archive/guild-5.yaml", "guild_id: \"5\"\ntier: \"free\"\n");
    std::os::unix::fs::symlink(
        "../archive/guild-5.yaml",
        world.platform().join("guilds/guild-5.yaml"),
    )
    .unwrap();
    crate::argo::commit_all(&world, "a linked guild");
    for view in [&[][..], &["--worktree"]] {
        let (code, listed, stderr) = crate::argo::apps(&world, view);
        assert_eq!(code, Some(0), "{view:?}: {stderr}");
        assert_eq!(
            crate::argo::names(&listed),
            ["guild-1", "guild-5"],
            "{view:?}"
        );
        assert!(
            stderr.contains("following guilds/guild-5.yaml -> archive/guild-5.yaml"),
            "labelled: {stderr}"
        );
    }
    // tenantctl itself still refuses to read through the link.
    let (code, out) = validate_all(&world);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("guilds/guild-5.yaml:1:1: error[E102]"),
        "{out}"
    );
}

#[test]
fn init_exited_0_without_committing_when_stdout_was_closed() {
    let world = World::new();
    let out = crate::pipes::into_closed_pipe_in(&world, world.path(), &["init", "platform"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(world.git(&["status", "--porcelain"]), "", "all committed");
    assert!(!world.git(&["log", "--format=%s"]).trim().is_empty());
}

#[test]
fn render_check_exited_0_with_drift_when_stdout_was_closed() {
    let world = repo_with_guild("1");
    std::fs::remove_file(
        world
            .platform()
            .join("kustomize/guilds/guild-1/kustomization.yaml"),
    )
    .unwrap();
    let out = crate::pipes::into_closed_pipe_in(&world, &world.platform(), &["render", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = crate::pipes::into_closed_pipe_in(&world, &world.platform(), &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        world
            .platform()
            .join("kustomize/guilds/guild-1/kustomization.yaml")
            .is_file(),
        "render wrote the file"
    );
}

#[test]
fn apps_listed_an_application_named_after_an_unquoted_id_read_as_a_double() {
    let world = World::new();
    world.platform_with_remote();
    world.write(
        "guilds/guild-123456789012345678.yaml",
        "guild_id: 123456789012345678\ntier: \"free\"\n",
    );
    crate::argo::commit_all(&world, "an unquoted ID");
    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(listed.is_empty(), "Argo CD cannot create it: {listed:?}");
    assert!(
        stderr.contains("guilds/guild-123456789012345678.yaml:1:1: error[E350]: Argo CD cannot create the Application `guild-1.2345678901234568e+17`"),
        "{stderr}"
    );
    let (code, out) = validate_all(&world);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("error[E350]"), "{out}");
}

#[test]
fn apps_listed_applications_argo_cd_skips_for_their_project_with_exit_0() {
    let world = repo_with_guild("1");
    // A tier no AppProject is rendered for, and a tenant sent to a namespace its project
    // does not permit: written by hand, bypassing tenantctl.
    world.write("guilds/guild-2.yaml", "guild_id: \"2\"\ntier: \"gold\"\n");
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    world.write(
        "kustomize/tenants/shop-a/params.yaml",
        "tenant_id: shop-a\nnamespace: kube-system\ntenant_type: staging\n",
    );
    crate::argo::commit_all(&world, "by hand");
    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(crate::argo::names(&listed), ["guild-1"], "{stderr}");
    assert!(
        stderr.contains("guilds/guild-2.yaml:1:1: error[E333]: Argo CD would not deploy the Application guild-2: no AppProject `guilds-gold`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the Application tenant-shop-a: AppProject `tenants-staging` does not permit namespace `kube-system`"),
        "{stderr}"
    );
    let table = fails_with(&world.tenantctl(&["apps"]), 1);
    assert!(!table.contains("PERMITTED"), "{table}");
}

#[test]
fn a_duplicated_key_and_a_second_document_were_reported_in_the_parsers_words() {
    let world = repo_with_guild("7");
    world.write(
        "guilds/guild-7.yaml",
        "guild_id: \"7\"\n# the old tier\ntier: \"pro\"\ntier: \"free\"\n",
    );
    world.write(
        "guilds/guild-8.yaml",
        "guild_id: \"8\"\ntier: \"free\"\n---\nguild_id: \"9\"\n",
    );
    let (code, out) = validate_all(&world);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("guilds/guild-7.yaml:4:1: error[E100]: duplicate key `tier` (first at line 3): Argo CD reads the last one"),
        "{out}"
    );
    assert!(
        out.contains("guilds/guild-8.yaml:3:1: error[E100]: a second YAML document at line 3: Argo CD reads only the first"),
        "{out}"
    );
    for internal in ["DuplicateKeyPolicy", "Options", "budget", "Documents {"] {
        assert!(!out.contains(internal), "{internal}: {out}");
    }
}

const SOURCE_PATH: &str = "path: 'kustomize/guilds/guild-{% raw %}{{ .guild_id }}{% endraw %}'";

/// Guild 8801's source path templated as `path` (a Go template), as apps lists it, with its
/// exit code and stderr.
fn templated_path(world: &World, path: &str) -> (Option<i32>, Option<String>, String) {
    crate::argo::edit_application_set(
        world,
        SOURCE_PATH,
        &format!("path: '{{% raw %}}{path}{{% endraw %}}'"),
    );
    let (code, listed, stderr) = crate::argo::apps(world, &[]);
    let path = listed
        .first()
        .map(|app| app["path"].as_str().unwrap().to_string());
    (code, path, stderr)
}

#[test]
fn trim_markers_trimmed_the_output_of_the_action_before() {
    let world = repo_with_guild("8801");
    // Go trims the text between the actions, never the `"x "` the first one printed.
    let (code, path, stderr) = templated_path(&world, r#"g-{{ "x " }} {{- .guild_id }}"#);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(path.as_deref(), Some("g-x 8801"), "{stderr}");
}

#[test]
fn a_missing_key_under_missingkey_error_was_called_an_unsupported_construct() {
    let world = repo_with_guild("8801");
    let (code, path, stderr) = templated_path(&world, "g-{{ .owner }}");
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(path, None, "Argo CD generates nothing from the set");
    assert!(
        stderr.contains("guilds/guild-8801.yaml:1:1: error[E351]: the ApplicationSet frolf-bot-guilds reads `.owner`, which this file does not set"),
        "{stderr}"
    );
    assert!(!stderr.contains("E337"), "{stderr}");
}

#[test]
fn a_missing_key_without_missingkey_error_was_not_go_s_nil() {
    let world = repo_with_guild("8801");
    crate::argo::edit_application_set(&world, "  goTemplateOptions:\n    - missingkey=error\n", "");
    // nil: `default` replaces it, printed alone it is `<no value>`...
    let (code, path, stderr) =
        templated_path(&world, r#"g-{{ .owner | default "nobody" }}-{{ .owner }}"#);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(path.as_deref(), Some("g-nobody-<no value>"));
    // ...and a function taking a string fails on it, as in Go.
    crate::argo::edit_application_set(
        &world,
        r#"path: '{% raw %}g-{{ .owner | default "nobody" }}-{{ .owner }}{% endraw %}'"#,
        "path: '{% raw %}g-{{ .owner | upper }}{% endraw %}'",
    );
    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    let path = listed.first().map(|a| a["path"].to_string());
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(path, None);
    assert!(
        stderr.contains("error[E352]")
            && stderr.contains("error calling upper: invalid value; expected string"),
        "{stderr}"
    );
}

// The cases issue 10 opened with, each named after what broke (their feature-level tests live
// in argo.rs, edits.rs and crd_rules.rs).

#[test]
fn apps_listed_a_nested_stray_copy_once_that_argo_cd_creates_neither_of() {
    let world = repo_with_guild("1001");
    world.write(
        "guilds/guild-archive/guild-1001.yaml",
        &world.read("guilds/guild-1001.yaml"),
    );
    crate::argo::commit_all(&world, "a stray copy");
    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(listed.is_empty(), "{listed:?}");
    assert!(stderr.contains("error[E336]"), "{stderr}");
}

#[test]
fn apps_listed_untracked_and_ignored_guild_files_argo_cd_never_sees() {
    let world = repo_with_guild("1");
    world.write("guilds/guild-2.yaml", "guild_id: \"2\"\ntier: \"free\"\n");
    world.write(
        ".gitignore",
        &format!("{}guilds/guild-3.yaml\n", world.read(".gitignore")),
    );
    world.write("guilds/guild-3.yaml", "guild_id: \"3\"\ntier: \"free\"\n");
    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(crate::argo::names(&listed), ["guild-1"]);
    let (_, out) = validate_all(&world);
    assert!(
        out.contains("guilds/guild-2.yaml:1:1: warning[W104]: untracked")
            && out.contains("guilds/guild-3.yaml:1:1: warning[W104]: ignored"),
        "{out}"
    );
}

#[test]
fn apps_listed_both_files_with_one_guild_id() {
    let world = repo_with_guild("1");
    world.write("guilds/guild-2.yaml", &world.read("guilds/guild-1.yaml"));
    crate::argo::commit_all(&world, "a copy under another name");
    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(listed.is_empty(), "neither is created: {listed:?}");
}

#[test]
fn trim_markers_did_not_trim() {
    let world = repo_with_guild("8801");
    crate::argo::edit_application_set(
        &world,
        "name: 'guild-{% raw %}{{ .guild_id }}{% endraw %}'",
        "name: 'guild- {% raw %}{{- .guild_id }}{% endraw %}'",
    );
    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(crate::argo::names(&listed), ["guild-8801"]);
}

#[test]
fn a_sprig_function_made_apps_exit_2() {
    let world = repo_with_guild("8801");
    let (code, path, stderr) = templated_path(&world, "g-{{ .tier | upper | trunc 3 }}");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(path.as_deref(), Some("g-FRE"));
}

#[test]
fn apps_said_a_duplicated_key_or_a_second_document_stopped_argo_cd() {
    let world = repo_with_guild("1");
    world.write(
        "guilds/guild-7.yaml",
        "guild_id: \"7\"\ntier: \"pro\"\ntier: \"free\"\n---\nguild_id: \"8\"\n",
    );
    crate::argo::commit_all(&world, "by hand");
    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    assert_eq!(code, Some(0), "Argo CD reads it: {stderr}");
    assert_eq!(crate::argo::names(&listed), ["guild-1", "guild-7"]);
    assert_eq!(listed[1]["project"], "guilds-free", "the last `tier`");
}

#[test]
fn guild_overlay_patches_were_one_escaped_line() {
    let world = repo_with_guild("1");
    let overlay = world.read("kustomize/guilds/guild-1/kustomization.yaml");
    assert!(overlay.contains("    patch: |-\n      - op: "), "{overlay}");
    let longest = overlay.lines().map(str::len).max().unwrap();
    assert!(longest < 120, "a line of {longest} characters: {overlay}");
}

#[test]
fn the_crd_had_no_date_time_format_for_deployed_at() {
    let world = World::new();
    let crd: serde_json::Value =
        serde_saphyr::from_str(&ok(&world.tenantctl_in(world.path(), &["crd"]))).unwrap();
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    assert_eq!(spec["properties"]["deployedAt"]["format"], "date-time");
    assert_eq!(spec["properties"]["active"]["default"], true);
}

#[test]
fn tests_read_schemas_from_a_shared_folder_beside_the_repo() {
    // Built from parts, so that this file does not hold what it looks for.
    let needle = ["..", "shared"].join("/");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut pending = vec![dir];
    let mut offenders = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if std::fs::read(&path)
                .map(|bytes| String::from_utf8_lossy(&bytes).contains(&needle))
                .unwrap_or(false)
            {
                offenders.push(path);
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?} read {needle}");
}

#[test]
fn the_judges_had_to_be_installed_by_hand() {
    let makefile =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Makefile"))
            .unwrap();
    let test_target = makefile
        .lines()
        .find(|l| l.starts_with("test:"))
        .expect("a test target");
    assert!(test_target.contains("$(JUDGES)"), "{test_target}");
    let judges = makefile
        .lines()
        .find(|l| l.starts_with("JUDGES :="))
        .expect("JUDGES");
    assert!(
        judges.contains("$(VENV)/.installed") && judges.contains("node_modules/.installed"),
        "{judges}"
    );
    // Each installs into the project's own environment from the lists kept in the repo.
    assert!(makefile.contains("python3 -m venv $(VENV)"), "{makefile}");
    assert!(
        makefile.contains(
            "$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt"
        ),
        "{makefile}"
    );
    assert!(makefile.contains("npm ci "), "{makefile}");
    // And the tests run with that environment first on PATH.
    assert!(
        makefile.contains("PATH=\"$(abspath $(VENV))/bin:$$PATH\" $(CARGO) test"),
        "{makefile}"
    );
}

#[test]
fn help_did_not_list_exit_code_4_for_io_and_internal_errors() {
    let world = World::new();
    let help = ok(&world.tenantctl_in(world.path(), &["--help"]));
    let codes: Vec<&str> = help
        .lines()
        .skip_while(|l| *l != "Exit codes:")
        .skip(1)
        .take(5)
        .collect();
    assert_eq!(codes.len(), 5, "{help}");
    for (code, line) in codes.iter().enumerate() {
        assert!(line.starts_with(&format!("  {code}  ")), "{line}: {help}");
    }
    assert!(codes[4].contains("internal or I/O error"), "{help}");
}

#[test]
fn init_left_its_files_behind_when_its_commit_was_refused() {
    let world = World::new();
    let dir = world.path().join("fresh");
    std::fs::create_dir_all(&dir).unwrap();
    let out = world.git_in(&dir, &["init", "-q", "-b", "main"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hook = write_hook(
        &dir.join(".git/hooks"),
        "pre-commit",
        "#!/bin/sh\necho 'no commits today' >&2\nexit 1\n",
    );
    let out = fails_with(&world.tenantctl_in(&dir, &["init", "."]), 3);
    assert!(out.contains("no commits today"), "{out}");
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != ".git")
        .collect();
    assert!(left.is_empty(), "nothing is left behind: {left:?}");
    // With the hook gone, a second run makes the whole repo in one commit.
    std::fs::remove_file(&hook).unwrap();
    ok(&world.tenantctl_in(&dir, &["init", "."]));
    assert_whole_repo_committed(&world, &dir);
}

#[test]
fn init_run_again_after_an_interrupted_run_committed_only_what_it_wrote() {
    let world = World::new();
    let dir = world.path().join("fresh");
    // The first run wrote every file and stopped before its commit (as a kill would), then a
    // file was lost.
    ok(&world.tenantctl_in(world.path(), &["init", "fresh", "--no-commit"]));
    let out = world.git_in(&dir, &["init", "-q", "-b", "main"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::remove_file(dir.join("Makefile")).unwrap();
    ok(&world.tenantctl_in(&dir, &["init", "."]));
    assert_whole_repo_committed(&world, &dir);
}

/// One commit holds every file of the new repo and the work tree is clean.
fn assert_whole_repo_committed(world: &World, dir: &std::path::Path) {
    let status = world.git_in(dir, &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(text(&status.stdout), "", "everything is committed");
    let files = text(&world.git_in(dir, &["ls-files"]).stdout);
    for path in [
        "tenantctl.yaml",
        "Makefile",
        "schemas/guild.schema.json",
        "templates/applicationset.yaml.j2",
        "kustomize/argocd/applicationset.yaml",
    ] {
        assert!(
            files.lines().any(|l| l == path),
            "{path} committed: {files}"
        );
    }
    let commits = text(&world.git_in(dir, &["rev-list", "--count", "HEAD"]).stdout);
    assert_eq!(commits.trim(), "1");
}

#[test]
fn a_credential_was_printed_in_the_snippet_under_its_finding() {
    let world = World::new();
    world.platform_with_remote();
    let password = "S3cretPassw0rd-in-url";
    let token = "MTA4NzY1NDMyMTA5ODc2NTQz.GhIjKl.abcdefghijklmnopqrstuvwxyz012345678";
    let config = world.read("tenantctl.yaml");
    let repo_line = config
        .lines()
        .find(|l| l.trim_start().starts_with("repoURL:"))
        .unwrap()
        .to_string();
    world.write(
        "tenantctl.yaml",
        &(config.replace(
            &repo_line,
            &format!("  repoURL: \"https://ci:{password}@git.example.com/platform.git\""),
        ) + &format!("# bot token: {token}\n")),
    );
    for format in ["human", "json", "github", "junit"] {
        let out = fails_with(&world.tenantctl(&["validate", "--format", format]), 1);
        assert!(
            out.contains("E318") && out.contains("E319"),
            "{format}: {out}"
        );
        assert!(
            !out.contains(password),
            "{format} printed the password: {out}"
        );
        assert!(!out.contains(token), "{format} printed the token: {out}");
    }
    let out = world.tenantctl(&["create-guild", "5", "--tier", "free", "--offline"]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(password) && !all.contains(token), "{all}");
}

#[test]
fn commit_hooks_did_not_find_the_committed_files_in_the_work_tree() {
    // A pre-commit hook checking the staged files (as linters do) refused every create: the
    // files reached the work tree only after the push.
    let world = World::new();
    world.platform_with_remote();
    write_hook(
        &world.platform().join(".git/hooks"),
        "pre-commit",
        "#!/bin/sh\ngit diff --cached --name-only --diff-filter=ACM | while read -r f; do test -f \"$f\" || { echo \"missing: $f\" >&2; exit 1; }; done\n",
    );
    ok(&world.tenantctl(&["create-guild", "3", "--tier", "free"]));
    assert_eq!(world.git(&["status", "--porcelain"]), "");
}

/// A secret file `secret list` can read without sops: an ExternalSecret reference.
const EXTERNAL_SECRET: &str = "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: discord-secrets-1-extra\nspec:\n  secretStoreRef:\n    kind: ClusterSecretStore\n    name: vault\n  target:\n    name: discord-secrets-1-extra\n  data:\n    - secretKey: extra\n      remoteRef:\n        key: tenantctl/guild/1/extra\n";

#[test]
fn secret_list_silently_skipped_a_symlinked_secrets_folder_or_file() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    // The owner's folder as a link: it used to say "no secrets" and exit 0.
    let theirs = file_outside(&world, "secrets/extra.yaml", EXTERNAL_SECRET);
    std::fs::create_dir_all(world.platform().join("secrets")).unwrap();
    std::os::unix::fs::symlink(
        theirs.parent().unwrap(),
        world.platform().join("secrets/guild-1"),
    )
    .unwrap();
    let out = fails_with(&world.tenantctl(&["secret", "list"]), 1);
    assert!(
        out.contains("secrets/guild-1:1:1: error[E102]") && !out.contains("no secrets"),
        "{out}"
    );
    // One file as a link beside a real one: it used to be left out of the listing.
    std::fs::remove_file(world.platform().join("secrets/guild-1")).unwrap();
    world.write(
        "secrets/guild-1/token.yaml",
        &EXTERNAL_SECRET.replace("-extra", ""),
    );
    std::os::unix::fs::symlink(&theirs, world.platform().join("secrets/guild-1/extra.yaml"))
        .unwrap();
    let out = fails_with(&world.tenantctl(&["secret", "list"]), 1);
    assert!(
        out.contains("secrets/guild-1/extra.yaml:1:1: error[E102]"),
        "{out}"
    );
    std::fs::remove_file(world.platform().join("secrets/guild-1/extra.yaml")).unwrap();
    let out = ok(&world.tenantctl(&["secret", "list"]));
    assert!(out.contains("guild 1  token"), "{out}");
}

#[test]
fn a_repo_template_without_the_generated_header_exited_2_as_a_usage_error() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    let path = "templates/tenant/quota.yaml.j2";
    let template = world.read(path);
    world.write(path, template.split_once('\n').unwrap().1);
    for args in [
        &["render"][..],
        &["validate"],
        &[
            "create-tenant",
            "shop-b",
            "--type",
            "staging",
            "--no-commit",
        ],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(
            out.contains(&format!(
                "{path} renders a file without the first line \"# Generated by `tenantctl render`\""
            )),
            "{args:?}: {out}"
        );
    }
    assert!(!world.platform().join("tenants/shop-b.yaml").exists());
}

#[test]
fn a_repo_template_rendering_over_a_mebibyte_exited_4_without_naming_the_template() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let path = "templates/guild-leader-election.yaml.j2";
    let template = world.read(path);
    // 300 * 300 lines of 40 bytes: 3.6 MB from a template of a few hundred bytes.
    world.write(
        path,
        &format!(
            "{template}{{% for i in range(300) %}}{{% for j in range(300) %}}\n# padding padding padding padding pad\n{{% endfor %}}{{% endfor %}}\n"
        ),
    );
    let before = world.read("kustomize/guilds/guild-1/kustomization.yaml");
    for args in [&["render"][..], &["render", "--check"], &["validate"]] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(
            out.contains(&format!("{path} renders "))
                && out.contains("over the limit of 1048576 bytes (1 MiB)"),
            "{args:?}: {out}"
        );
    }
    assert_eq!(
        world.read("kustomize/guilds/guild-1/kustomization.yaml"),
        before
    );
}

#[test]
fn list_said_valid_true_for_an_unquoted_tier_on() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging", "--no-push"]));
    // YAML 1.1 (Argo CD, kubectl) reads an unquoted `on` as the boolean true, not a tier name.
    world.write("guilds/guild-2.yaml", "guild_id: \"2\"\ntier: on\n");
    // A tenant planted by hand that claims a reserved namespace (E330).
    world.write(
        "tenants/sys.yaml",
        "apiVersion: shop.pilab.hu/v1alpha1\nkind: Tenant\nmetadata:\n  name: sys\nspec:\n  tenantId: sys\n  tenantType: staging\n  active: true\n  namespaceConfig:\n    pattern: \"kube-system\"\n",
    );
    let out = world.tenantctl(&["validate", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let found: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let errors_in = |file: &str| -> Vec<String> {
        found
            .iter()
            .filter(|d| d["file"] == file && d["severity"] == "error")
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!errors_in("guilds/guild-2.yaml").is_empty(), "{found:?}");
    assert!(errors_in("guilds/guild-1.yaml").is_empty(), "{found:?}");
    assert!(
        errors_in("tenants/sys.yaml").contains(&"E330".to_string()),
        "{found:?}"
    );
    assert!(errors_in("tenants/shop-a.yaml").is_empty(), "{found:?}");

    let verdicts = |args: &[&str]| -> std::collections::BTreeMap<String, serde_json::Value> {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(&ok(&world.tenantctl(args))).unwrap();
        rows.into_iter()
            .map(|r| (r["file"].as_str().unwrap().to_string(), r["valid"].clone()))
            .collect()
    };
    let guilds = verdicts(&["list", "--output", "json"]);
    assert_eq!(guilds["guilds/guild-2.yaml"], false, "{guilds:?}");
    assert_eq!(guilds["guilds/guild-1.yaml"], true, "{guilds:?}");
    let tenants = verdicts(&["list", "--kind", "tenant", "--output", "json"]);
    assert_eq!(tenants["tenants/sys.yaml"], false, "{tenants:?}");
    assert_eq!(tenants["tenants/shop-a.yaml"], true, "{tenants:?}");
}

#[test]
fn apps_read_head_and_ignored_the_branch_argocd_target_revision_names() {
    let world = World::new();
    world.platform_with_remote();
    world.set_argocd_setting("  targetRevision: production\n");
    ok(&world.tenantctl(&["render", "--no-commit"]));
    crate::argo::commit_all(&world, "track production");
    world.git(&["branch", "production"]);
    // main gets guild 1; production gets guild 2: each holds a guild the other does not.
    world.write("guilds/guild-1.yaml", "guild_id: \"1\"\ntier: \"free\"\n");
    ok(&world.tenantctl(&["render", "--no-commit"]));
    crate::argo::commit_all(&world, "guild 1 on main");
    world.git(&["checkout", "-q", "production"]);
    world.write("guilds/guild-2.yaml", "guild_id: \"2\"\ntier: \"free\"\n");
    ok(&world.tenantctl(&["render", "--no-commit"]));
    crate::argo::commit_all(&world, "guild 2 on production");
    let production = world.git(&["rev-parse", "production"]).trim().to_string();
    world.git(&["checkout", "-q", "main"]);

    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        crate::argo::names(&listed),
        ["guild-2"],
        "production's guilds: {stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "reading production ({}, refs/heads/production)",
            &production[..12]
        )),
        "says which tree it read: {stderr}"
    );
    // The work tree preview is main's checkout, labelled as such.
    let (_, listed, stderr) = crate::argo::apps(&world, &["--worktree"]);
    assert_eq!(crate::argo::names(&listed), ["guild-1"], "{stderr}");

    // Only the remote has the branch: refs/remotes/origin/production.
    world.git(&["push", "-q", "origin", "production"]);
    world.git(&["fetch", "-q", "origin"]);
    world.git(&["branch", "-q", "-D", "production"]);
    let (code, listed, stderr) = crate::argo::apps(&world, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(crate::argo::names(&listed), ["guild-2"], "{stderr}");
    assert!(
        stderr.contains("refs/remotes/origin/production"),
        "{stderr}"
    );

    // A tag and a commit id resolve too.
    world.git(&["tag", "release-1", &production]);
    for revision in ["release-1", &production[..12]] {
        // Quoted: a commit id such as 687896046e16 is a number in YAML.
        world.set_argocd_setting(&format!("  targetRevision: \"{revision}\"\n"));
        ok(&world.tenantctl(&["render", "--no-commit"]));
        crate::argo::commit_all(&world, "track another revision");
        let (code, listed, stderr) = crate::argo::apps(&world, &[]);
        assert_eq!(code, Some(0), "{revision}: {stderr}");
        assert_eq!(
            crate::argo::names(&listed),
            ["guild-2"],
            "{revision}: {stderr}"
        );
    }

    // A revision that exists nowhere here: a configuration error, saying so.
    world.set_argocd_setting("  targetRevision: nosuch\n");
    ok(&world.tenantctl(&["render", "--no-commit"]));
    crate::argo::commit_all(&world, "track a branch that is not there");
    let out = fails_with(&world.tenantctl(&["apps"]), 1);
    assert!(
        out.contains("argocd.targetRevision `nosuch` is no branch, tag or commit of this clone")
            && out.contains("Argo CD would find no such revision"),
        "{out}"
    );
}

#[test]
fn apps_summary_counted_applications_it_then_dropped() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "3", "--tier", "free"]));
    // A copy under another name: Argo CD creates neither guild-1, so apps lists guild-3 only.
    world.write("guilds/guild-2.yaml", &world.read("guilds/guild-1.yaml"));
    crate::argo::commit_all(&world, "a copy under another name");
    let out = world.tenantctl(&["apps"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let listed: Vec<&str> = table
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(listed.len(), 1, "{table}");
    assert!(listed[0].starts_with("guild-3 "), "{table}");
    let summary = table
        .lines()
        .find(|l| l.starts_with("Applications per ApplicationSet:"))
        .unwrap_or_else(|| panic!("a summary line: {table}"));
    let counts: Vec<&str> = summary
        .trim_start_matches("Applications per ApplicationSet:")
        .split(',')
        .map(str::trim)
        .collect();
    assert!(counts.contains(&"frolf-bot-guilds 1"), "{summary}");
}

#[test]
fn an_unquoted_inf_or_nan_was_invalid_yaml_rejected_by_the_configured_policy() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    for (line, scalar, what) in [
        ("backend_cpu_limit: .inf", ".inf", "infinity"),
        ("backend_cpu_limit: -.Inf", "-.Inf", "infinity"),
        ("backend_cpu_limit: .NaN", ".NaN", "not a number"),
    ] {
        world.write(
            "guilds/guild-1.yaml",
            &format!("guild_id: \"1\"\ntier: \"free\"\n{line}\n"),
        );
        crate::argo::commit_all(&world, scalar);
        let out = fails_with(&world.tenantctl(&["validate"]), 1);
        assert!(
            out.contains(&format!(
                "guilds/guild-1.yaml:3:20: error[E100]: `{scalar}` is read as a float ({what}) by Argo CD and kubectl, not as text"
            )) && out.contains(&format!("quote it (`\"{scalar}\"`)")),
            "{out}"
        );
        assert!(
            !out.contains("configured policy") && !out.contains("invalid YAML"),
            "no parser internals: {out}"
        );
        // apps says the same of Argo CD's reading, in one line.
        let out = fails_with(&world.tenantctl(&["apps"]), 1);
        assert!(
            out.contains(&format!("`{scalar}` is read as a float ({what})"))
                && !out.contains("configured policy"),
            "{out}"
        );
    }
}

#[test]
fn the_quote_hint_for_an_unquoted_1_0_said_quote_10() {
    let out = validate_tenant_edit("  imageTag: \"v1.2.3\"\n", "  imageTag: 1_0\n");
    assert!(out.contains("help: quote it: \"1_0\""), "{out}");
    assert!(!out.contains("quote it: \"10\""), "{out}");
}

#[test]
fn a_no_op_render_wrote_and_removed_a_journal_file_at_the_root() {
    use std::os::unix::fs::MetadataExt as _;
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "pro"]));
    ok(&world.tenantctl(&["render"]));
    // A file made and removed in a folder changes the folder's modification time.
    let stamp = |dir: &std::path::Path| {
        let meta = std::fs::metadata(dir).unwrap();
        (
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec(),
        )
    };
    let root = world.platform();
    let overlay = root.join("kustomize/guilds/guild-1");
    let before = (stamp(&root), stamp(&overlay));
    std::thread::sleep(std::time::Duration::from_millis(20));
    ok(&world.tenantctl(&["render"]));
    assert_eq!(
        (stamp(&root), stamp(&overlay)),
        before,
        "a render with nothing to write touches no folder"
    );
}
