//! The file-system boundary: no command reads, writes or deletes through a symbolic link, every
//! read is bounded before it happens, and only generated files are overwritten or removed.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{World, fails_with, ok, text};

/// What a file outside the repository holds; it must never show up in any output.
const SECRET: &str = "API_TOKEN=s3cr3t-4711\n";

/// A file outside the platform repo, in the world's directory.
fn outside(world: &World, path: &str, bytes: &str) -> PathBuf {
    let target = world.path().join("outside").join(path);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, bytes).unwrap();
    target
}

/// Replaces `path` in the platform repo (file or folder) with a symbolic link to `target`.
fn link(world: &World, path: &str, target: &Path) {
    let at = world.platform().join(path);
    if at.is_dir() && !at.is_symlink() {
        std::fs::remove_dir_all(&at).unwrap();
    } else if at.symlink_metadata().is_ok() {
        std::fs::remove_file(&at).unwrap();
    }
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    symlink(target, at).unwrap();
}

fn assert_unchanged(file: &Path, bytes: &str) {
    assert_eq!(
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
        bytes,
        "{} outside the repository changed",
        file.display()
    );
}

/// Runs a command to its end, failing (not hanging) if it has not finished after two minutes.
fn finishes(mut command: Command) -> Output {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the command hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// tenantctl `args` in the platform repo with 1 GiB of address space: a file read whole (or
/// /dev/zero read to the end) cannot fit.
pub fn within_a_gigabyte(world: &World, args: &str) -> Output {
    let binary = assert_cmd::cargo::cargo_bin!("tenantctl");
    let mut command = Command::new("bash");
    command
        .args([
            "-c",
            &format!("ulimit -v 1048576; exec '{}' {args}", binary.display()),
        ])
        .current_dir(world.platform())
        .env("HOME", world.home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1");
    finishes(command)
}

fn exit_code(output: &Output) -> Option<i32> {
    output.status.code()
}

fn all_output(output: &Output) -> String {
    format!("{}{}", text(&output.stdout), text(&output.stderr))
}

#[test]
fn a_symlinked_overlay_folder_outside_the_repo_is_refused_and_the_outside_is_untouched() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let generated = world.read("kustomize/guilds/guild-1/kustomization.yaml");
    let theirs = outside(&world, "overlay/kustomization.yaml", &generated);
    let other = outside(&world, "overlay/keep.txt", "keep me\n");
    link(&world, "kustomize/guilds/guild-1", theirs.parent().unwrap());
    let refused = "kustomize/guilds/guild-1:1:1: error[E102]: a symbolic link";
    for args in [
        &["render"][..],
        &["render", "--check"],
        &["validate"],
        &["diff"],
        &["create-guild", "2", "--tier", "free", "--no-commit"],
        &["delete-guild", "1", "--yes", "--no-commit"],
        &["update-guild", "1", "--tier", "pro", "--no-commit"],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(out.contains(refused), "{args:?}: {out}");
        assert_unchanged(&theirs, &generated);
        assert_unchanged(&other, "keep me\n");
    }
    // Committing: the link is an uncommitted change to paths the command must write.
    let out = fails_with(&world.tenantctl(&["delete-guild", "1", "--yes"]), 3);
    assert!(out.contains("uncommitted changes"), "{out}");
    assert_unchanged(&theirs, &generated);
    assert!(
        world.remote_files().contains(&"guilds/guild-1.yaml".into()),
        "the deletion was not pushed"
    );
    assert!(!world.platform().join("guilds/guild-2.yaml").exists());
}

#[test]
fn a_symlinked_guilds_overlay_root_is_refused_and_an_orphan_outside_is_not_deleted() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    // Looks like the overlay of a guild that is gone: render used to remove it.
    let orphan_text = world
        .read("kustomize/guilds/guild-1/kustomization.yaml")
        .replace("guild-1", "guild-9");
    let orphan = outside(&world, "overlays/guild-9/kustomization.yaml", &orphan_text);
    link(
        &world,
        "kustomize/guilds",
        &world.path().join("outside/overlays"),
    );
    let out = fails_with(&world.tenantctl(&["render"]), 1);
    assert!(out.contains("kustomize/guilds:1:1: error[E102]"), "{out}");
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("kustomize/guilds:1:1: error[E102]"), "{out}");
    let out = fails_with(
        &world.tenantctl(&["create-guild", "2", "--tier", "free", "--no-commit"]),
        1,
    );
    assert!(out.contains("kustomize/guilds:1:1: error[E102]"), "{out}");
    assert_unchanged(&orphan, &orphan_text);
    assert!(!world.path().join("outside/overlays/guild-2").exists());
}

#[test]
fn a_symlinked_guilds_folder_is_an_error_and_nothing_is_written_into_it() {
    let world = World::new();
    world.platform_with_remote();
    let readme = world.read("guilds/README.md");
    let theirs = outside(&world, "guilds/README.md", &readme);
    link(&world, "guilds", theirs.parent().unwrap());
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("guilds:1:1: error[E102]"), "{out}");
    let out = fails_with(
        &world.tenantctl(&["create-guild", "5", "--tier", "free", "--no-commit"]),
        1,
    );
    assert!(out.contains("guilds:1:1: error[E102]"), "{out}");
    assert!(!world.path().join("outside/guilds/guild-5.yaml").exists());
    assert_unchanged(&theirs, &readme);
}

#[test]
fn a_symlinked_guild_file_is_an_error_with_its_position_and_commands_refuse() {
    let world = World::new();
    world.platform_with_remote();
    let guild = "guild_id: \"7\"\ntier: \"free\"\n";
    let theirs = outside(&world, "guild-7.yaml", guild);
    link(&world, "guilds/guild-7.yaml", &theirs);
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("guilds/guild-7.yaml:1:1: error[E102]: a symbolic link"),
        "{out}"
    );
    let json: serde_json::Value = serde_json::from_str(&text(
        &world.tenantctl(&["validate", "--format", "json"]).stdout,
    ))
    .unwrap();
    let found = json
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["file"] == "guilds/guild-7.yaml" && d["code"] == "E102")
        .expect("a diagnostic for the link");
    // Argo CD refuses a link out of the repo too: its generator fails on the file (E101).
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|d| d["file"] == "guilds/guild-7.yaml"
                && d["code"] == "E101"
                && d["message"]
                    .as_str()
                    .unwrap()
                    .contains("Argo CD's git generator fails")),
        "{json}"
    );
    assert_eq!(
        (
            &found["code"],
            &found["severity"],
            &found["line"],
            &found["column"]
        ),
        (
            &serde_json::json!("E102"),
            &serde_json::json!("error"),
            &serde_json::json!(1),
            &serde_json::json!(1)
        )
    );
    for args in [
        &["create-guild", "8", "--tier", "free", "--no-commit"][..],
        &["delete-guild", "7", "--yes", "--no-commit"],
        &["render"],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(
            out.contains("guilds/guild-7.yaml:1:1: error[E102]"),
            "{args:?}: {out}"
        );
    }
    // Committed, as Argo CD would see it: mode 120000 in the tree is refused the same way.
    world.git(&["add", "guilds/guild-7.yaml"]);
    world.git(&["commit", "-qm", "a link"]);
    for args in [
        &["create-guild", "8", "--tier", "free"][..],
        &["delete-guild", "7", "--yes"],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(
            out.contains("guilds/guild-7.yaml:1:1: error[E102]"),
            "{args:?}: {out}"
        );
    }
    assert!(!world.remote_files().contains(&"guilds/guild-8.yaml".into()));
    assert_unchanged(&theirs, guild);
    assert!(world.platform().join("guilds/guild-7.yaml").is_symlink());
}

#[test]
fn a_symlinked_tenants_folder_is_an_error() {
    let world = World::new();
    world.platform_with_remote();
    let tenant = include_str!("../fixtures/tenant/seed-example.yaml");
    let theirs = outside(&world, "tenants/customer-shop-1.yaml", tenant);
    link(&world, "tenants", theirs.parent().unwrap());
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("tenants:1:1: error[E102]"), "{out}");
    let out = fails_with(
        &world.tenantctl(&[
            "create-tenant",
            "shop-2",
            "--type",
            "development",
            "--no-commit",
        ]),
        1,
    );
    assert!(out.contains("tenants:1:1: error[E102]"), "{out}");
    assert!(!world.path().join("outside/tenants/shop-2.yaml").exists());
    assert!(!world.platform().join("kustomize/tenants").exists());
    assert_unchanged(&theirs, tenant);
}

#[test]
fn a_symlinked_tenants_folder_is_refused_by_render_and_delete_tenant_and_the_outside_is_untouched()
{
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    let tenant = world.read("tenants/shop-a.yaml");
    let theirs = outside(&world, "tenants/shop-a.yaml", &tenant);
    link(&world, "tenants", theirs.parent().unwrap());
    for args in [
        &["render"][..],
        &["render", "--check"],
        &["delete-tenant", "shop-a", "--yes", "--no-commit"],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(out.contains("tenants:1:1: error[E102]"), "{args:?}: {out}");
        assert_unchanged(&theirs, &tenant);
    }
    // Committed, as Argo CD would see it: refused the same way, nothing deleted or pushed.
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "tenants/ as a link"]);
    let out = fails_with(&world.tenantctl(&["delete-tenant", "shop-a", "--yes"]), 1);
    assert!(out.contains("tenants:1:1: error[E102]"), "{out}");
    assert_unchanged(&theirs, &tenant);
    assert!(
        world
            .platform()
            .join("kustomize/tenants/shop-a/params.yaml")
            .is_file()
    );
    assert!(
        world
            .remote_files()
            .contains(&"kustomize/tenants/shop-a/params.yaml".into())
    );
}

#[test]
fn a_symlinked_tenant_overlay_folder_outside_the_repo_is_refused_and_the_outside_is_untouched() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    // The overlay as tenantctl rendered it, moved outside the repository and linked back.
    let dir = world.platform().join("kustomize/tenants/shop-a");
    let mut theirs = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let bytes = world.read(&format!("kustomize/tenants/shop-a/{name}"));
        theirs.push((outside(&world, &format!("overlay/{name}"), &bytes), bytes));
    }
    let names: Vec<String> = theirs
        .iter()
        .map(|(f, _)| f.display().to_string())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("/params.yaml")) && names.len() >= 3,
        "{names:?}"
    );
    let kept = outside(&world, "overlay/keep.txt", "keep me\n");
    link(
        &world,
        "kustomize/tenants/shop-a",
        &world.path().join("outside/overlay"),
    );
    let refused = "kustomize/tenants/shop-a:1:1: error[E102]: a symbolic link";
    let untouched = || {
        for (file, bytes) in &theirs {
            assert_unchanged(file, bytes);
        }
        assert_unchanged(&kept, "keep me\n");
    };
    for args in [
        &["render"][..],
        &["render", "--check"],
        &["validate"],
        &["delete-tenant", "shop-a", "--yes", "--no-commit"],
        &[
            "update-tenant",
            "shop-a",
            "--type",
            "development",
            "--no-commit",
        ],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(out.contains(refused), "{args:?}: {out}");
        untouched();
    }
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "the overlay as a link"]);
    let out = fails_with(&world.tenantctl(&["delete-tenant", "shop-a", "--yes"]), 1);
    assert!(out.contains(refused), "{out}");
    untouched();
    assert!(world.platform().join("tenants/shop-a.yaml").is_file());
}

#[test]
fn a_committed_symlink_at_a_generated_path_never_prints_its_target() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let secret = outside(&world, "secret.env", SECRET);
    link(
        &world,
        "kustomize/guilds/guild-1/kustomization.yaml",
        &secret,
    );
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "a link at a generated path"]);
    let at = "kustomize/guilds/guild-1/kustomization.yaml:1:1: error[E102]";
    for args in [
        &["validate"][..],
        &["validate", "--format", "github"],
        &["render", "--check"],
        &["diff"],
        &["render"],
        &["create-guild", "2", "--tier", "free"],
        &["-v", "create-guild", "2", "--tier", "free", "--dry-run"],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(
            !out.contains("s3cr3t"),
            "{args:?} printed the link's target: {out}"
        );
        assert!(
            out.contains(at) || out.contains("kustomize/guilds/guild-1/kustomization.yaml,"),
            "{args:?}: {out}"
        );
    }
    let json = fails_with(&world.tenantctl(&["validate", "--format", "json"]), 1);
    assert!(!json.contains("s3cr3t"), "{json}");
    assert!(json.contains("\"E102\""), "{json}");
    assert_unchanged(&secret, SECRET);
    assert!(
        !world.remote_files().contains(&"guilds/guild-2.yaml".into()),
        "nothing was pushed"
    );
}

#[test]
fn a_symlinked_template_is_refused_and_never_rendered_into_a_commit() {
    let world = World::new();
    world.platform_with_remote();
    let template = world.read("templates/guild-kustomization.yaml.j2");
    let theirs = outside(&world, "template.j2", &format!("{template}# {SECRET}"));
    link(&world, "templates/guild-kustomization.yaml.j2", &theirs);
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "a linked template"]);
    ok(&world.tenantctl(&["push"]));
    let at = "templates/guild-kustomization.yaml.j2:1:1: error[E102]";
    for args in [
        &["create-guild", "2", "--tier", "free"][..],
        &["create-guild", "2", "--tier", "free", "--no-commit"],
        &["render"],
        &["validate"],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(out.contains(at), "{args:?}: {out}");
        assert!(!out.contains("s3cr3t"), "{args:?}: {out}");
    }
    assert!(!world.remote_files().contains(&"guilds/guild-2.yaml".into()));
    assert!(!world.platform().join("kustomize/guilds/guild-2").exists());
    // The environment of the process, the classic target.
    link(
        &world,
        "templates/guild-kustomization.yaml.j2",
        Path::new("/proc/self/environ"),
    );
    let out = fails_with(&world.tenantctl(&["render"]), 1);
    assert!(out.contains(at), "{out}");
}

#[test]
fn a_symlinked_schema_or_config_is_refused_naming_the_path() {
    let world = World::new();
    world.platform_with_remote();
    let schema = world.read("schemas/guild.schema.json");
    let theirs = outside(&world, "guild.schema.json", &schema);
    link(&world, "schemas/guild.schema.json", &theirs);
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("schemas/guild.schema.json:1:1: error[E102]"),
        "{out}"
    );
    world.git(&["checkout", "--", "schemas/guild.schema.json"]);
    let config = world.read("tenantctl.yaml");
    let theirs = outside(&world, "tenantctl.yaml", &config);
    link(&world, "tenantctl.yaml", &theirs);
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("tenantctl.yaml:1:1: error[E102]"), "{out}");
    let out = fails_with(&world.tenantctl(&["render"]), 1);
    assert!(out.contains("tenantctl.yaml:1:1: error[E102]"), "{out}");
}

#[test]
fn a_sparse_three_gigabyte_guild_file_is_refused_without_being_read() {
    let world = World::new();
    world.platform_with_remote();
    let file = std::fs::File::create(world.platform().join("guilds/guild-9.yaml")).unwrap();
    file.set_len(3 << 30).unwrap();
    let out = within_a_gigabyte(&world, "validate");
    assert_eq!(exit_code(&out), Some(1), "{}", all_output(&out));
    assert!(
        all_output(&out).contains(
            "guilds/guild-9.yaml:1:1: error[E101]: file is 3221225472 bytes, over the limit of 1048576 bytes"
        ),
        "{}",
        all_output(&out)
    );
    let out = within_a_gigabyte(&world, "create-guild 1 --tier free --no-commit");
    assert_eq!(exit_code(&out), Some(1), "{}", all_output(&out));
    assert!(all_output(&out).contains("guilds/guild-9.yaml:1:1: error[E101]"));
}

#[test]
fn a_huge_template_and_one_linked_to_dev_zero_are_refused_in_bounded_memory() {
    let world = World::new();
    world.platform_with_remote();
    let path = "templates/tenant/params.yaml.j2";
    std::fs::File::create(world.platform().join(path))
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let out = within_a_gigabyte(&world, "render");
    assert_eq!(exit_code(&out), Some(1), "{}", all_output(&out));
    assert!(
        all_output(&out).contains(&format!(
            "{path}:1:1: error[E101]: file is 3221225472 bytes"
        )),
        "{}",
        all_output(&out)
    );
    link(&world, path, Path::new("/dev/zero"));
    let out = within_a_gigabyte(&world, "render");
    assert_eq!(exit_code(&out), Some(1), "{}", all_output(&out));
    assert!(
        all_output(&out).contains(&format!("{path}:1:1: error[E102]")),
        "{}",
        all_output(&out)
    );
}

#[test]
fn a_fifo_as_a_guild_file_is_unreadable_and_nothing_hangs() {
    let world = World::new();
    world.platform_with_remote();
    let fifo = world.platform().join("guilds/guild-3.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for args in [
        &["validate"][..],
        &["render"],
        &["create-guild", "4", "--tier", "free", "--no-commit"],
    ] {
        let out = finishes(world.tenantctl_command(&world.platform(), args));
        assert_eq!(exit_code(&out), Some(1), "{args:?}: {}", all_output(&out));
        assert!(
            all_output(&out).contains("guilds/guild-3.yaml:1:1: error[E101]: not a regular file"),
            "{args:?}: {}",
            all_output(&out)
        );
    }
    assert!(!world.platform().join("guilds/guild-4.yaml").exists());
}

#[test]
fn hand_written_files_in_overlay_folders_survive_create_delete_and_render_and_are_reported() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "3", "--tier", "free"]));
    let notes = "kustomize/guilds/guild-2/NOTES.md";
    let extra = "kustomize/guilds/guild-3/extra-configmap.yaml";
    let extra_text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n";
    world.write(notes, "# Guild 2\nOn call: team blue\n");
    world.write(extra, extra_text);
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "hand-written files"]);
    ok(&world.tenantctl(&["push"]));

    let out = world.tenantctl(&["validate"]);
    let all = all_output(&out);
    assert_eq!(exit_code(&out), Some(0), "{all}");
    assert!(
        all.contains(&format!(
            "{notes}:1:1: warning[W103]: not generated by tenantctl: left as it is"
        )),
        "{all}"
    );
    assert!(
        all.contains(&format!("{extra}:1:1: warning[W103]")),
        "{all}"
    );
    let out = ok(&world.tenantctl(&["render"]));
    assert!(
        out.contains(&format!(
            "note: {notes} is not generated by tenantctl: left as it is"
        )),
        "{out}"
    );

    let out = ok(&world.tenantctl(&["create-guild", "4", "--tier", "free"]));
    assert!(
        out.contains(&format!("note: {notes} is not generated")),
        "{out}"
    );
    let out = ok(&world.tenantctl(&["update-guild", "2", "--tier", "pro"]));
    assert!(
        out.contains(&format!("note: {notes} is not generated")),
        "{out}"
    );
    let out = ok(&world.tenantctl(&["delete-guild", "2", "--yes"]));
    assert!(
        out.contains(&format!("note: {notes} is not generated")),
        "{out}"
    );
    let remote = world.remote_files();
    assert!(remote.contains(&notes.to_string()), "{remote:?}");
    assert!(!remote.contains(&"kustomize/guilds/guild-2/kustomization.yaml".to_string()));
    assert_eq!(world.read(notes), "# Guild 2\nOn call: team blue\n");

    // A guild file removed by hand: render removes its generated files, not the extra one.
    std::fs::remove_file(world.platform().join("guilds/guild-3.yaml")).unwrap();
    let out = ok(&world.tenantctl(&["render"]));
    assert!(
        out.contains("deleted kustomize/guilds/guild-3/kustomization.yaml"),
        "{out}"
    );
    assert!(!out.contains(&format!("deleted {extra}")), "{out}");
    assert_eq!(world.read(extra), extra_text);
    assert!(
        !world
            .platform()
            .join("kustomize/guilds/guild-3/kustomization.yaml")
            .exists()
    );
}

#[test]
fn a_hand_written_file_where_tenantctl_must_write_is_not_overwritten() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "4", "--tier", "free"]));
    let path = "kustomize/guilds/guild-4/kustomization.yaml";
    let mine = "# my own kustomization\nresources: []\n";
    world.write(path, mine);
    for args in [
        &["render"][..],
        &["update-guild", "4", "--tier", "pro", "--no-commit"],
    ] {
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(
            out.contains(&format!(
                "{path}:1:1: error[E103]: not generated by tenantctl"
            )),
            "{args:?}: {out}"
        );
        assert_eq!(world.read(path), mine);
    }
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains(&format!("{path}:1:1: error[E103]")), "{out}");
    assert!(!out.contains(&format!("{path}:1:1: error[E400]")), "{out}");
}

#[test]
fn a_template_without_the_generated_header_is_refused() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let path = "templates/guild-kustomization.yaml.j2";
    let template = world.read(path);
    let body = template.split_once('\n').unwrap().1;
    world.write(path, body);
    for args in [
        &["render"][..],
        &["create-guild", "2", "--tier", "free", "--no-commit"],
    ] {
        // The repo's own template is broken: a configuration error (1), naming the template.
        let out = fails_with(&world.tenantctl(args), 1);
        assert!(
            out.contains(
                "templates/guild-kustomization.yaml.j2 renders a file without the first line \"# Generated by `tenantctl render`\""
            ),
            "{args:?}: {out}"
        );
    }
    assert!(!world.platform().join("guilds/guild-2.yaml").exists());
}

#[test]
fn ids_never_build_a_path_outside_their_folder() {
    let world = World::new();
    world.platform_with_remote();
    for id in ["../../escape", "1/../../x", "/tmp/x"] {
        let out = fails_with(
            &world.tenantctl(&["create-guild", id, "--tier", "free", "--no-commit"]),
            2,
        );
        assert!(
            out.contains("invalid") || out.contains("snowflake"),
            "{id}: {out}"
        );
        let out = fails_with(
            &world.tenantctl(&["create-tenant", id, "--type", "development", "--no-commit"]),
            2,
        );
        assert!(out.contains("invalid tenant ID"), "{id}: {out}");
    }
    assert!(!world.path().join("escape").exists());
    assert!(!world.path().join("escape.yaml").exists());
}

#[test]
fn secret_list_refuses_a_symlinked_secrets_folder_owner_folder_or_secret_file() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let secret = "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: discord-secrets-1-extra\n";
    let theirs = outside(&world, "secrets/guild-1/extra.yaml", secret);
    let owner_dir = theirs.parent().unwrap().to_path_buf();
    let mut cases: Vec<(&str, PathBuf)> = vec![
        ("secrets", owner_dir.parent().unwrap().to_path_buf()),
        ("secrets/guild-1", owner_dir.clone()),
        ("secrets/guild-1/extra.yaml", theirs.clone()),
    ];
    for (at, target) in cases.drain(..) {
        // A real token file beside the link where there is a real folder to hold it.
        if at == "secrets/guild-1/extra.yaml" {
            world.write("secrets/guild-1/token.yaml", &secret.replace("-extra", ""));
        }
        link(&world, at, &target);
        for args in [
            &["secret", "list"][..],
            &["secret", "list", "1"],
            &["secret", "list", "--output", "json"],
        ] {
            let out = world.tenantctl(args);
            let all = fails_with(&out, 1);
            assert!(
                all.contains(&format!("{at}:1:1: error[E102]: a symbolic link")),
                "{at} {args:?}: {all}"
            );
            assert!(!all.contains("no secrets"), "{at} {args:?}: {all}");
            assert!(text(&out.stdout).trim().is_empty(), "{at} {args:?}: {all}");
        }
        // The others refuse it just the same.
        let out = fails_with(&world.tenantctl(&["validate"]), 1);
        assert!(
            out.contains(&format!("{at}:1:1: error[E102]")),
            "{at}: {out}"
        );
        std::fs::remove_file(world.platform().join(at)).unwrap();
        assert_unchanged(&theirs, secret);
    }
}

/// Every path under `dir` (files, folders, links), relative to it, `.git` folders left out.
fn tree(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == ".git" || entry.file_name() == "remote.git" {
                continue;
            }
            let path = entry.path();
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn ids_taken_from_files_never_build_a_path_outside_their_folder() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    // Planted by hand: IDs that would climb out of kustomize/guilds/ and kustomize/tenants/.
    world.write(
        "guilds/guild-x.yaml",
        "guild_id: \"../../x\"\ntier: \"free\"\n",
    );
    let seed = include_str!("../fixtures/tenant/seed-example.yaml");
    assert!(seed.contains("tenantId: \"customer-shop-1\""));
    world.write(
        "tenants/x.yaml",
        &seed
            .replace("tenantId: \"customer-shop-1\"", "tenantId: \"../x\"")
            .replace("name: customer-shop-1", "name: \"../x\""),
    );
    let before = tree(world.path());
    let guild =
        "guilds/guild-x.yaml:1:11: error[E306]: guild_id `../../x` is not a Discord guild ID";
    for args in [
        &["validate"][..],
        &["render"],
        &["render", "--check"],
        &["diff"],
        &["create-guild", "5", "--tier", "free", "--no-commit"],
        &[
            "create-tenant",
            "shop-b",
            "--type",
            "staging",
            "--no-commit",
        ],
        &["update-guild", "1", "--tier", "pro", "--no-commit"],
        &["delete-tenant", "shop-a", "--yes", "--no-commit"],
    ] {
        let out = world.tenantctl(args);
        let all = all_output(&out);
        assert_eq!(exit_code(&out), Some(1), "{args:?}: {all}");
        assert!(all.contains(guild), "{args:?}: {all}");
        assert!(
            all.lines()
                .any(|l| l.starts_with("tenants/x.yaml:") && l.contains("error[E200]")),
            "{args:?}: {all}"
        );
        assert_eq!(
            tree(world.path()),
            before,
            "{args:?} wrote or removed a file"
        );
    }
    for path in ["kustomize/x", "kustomize/guilds/x", "x", "../x"] {
        assert!(
            world.platform().join(path).symlink_metadata().is_err(),
            "{path} was created"
        );
    }
}
