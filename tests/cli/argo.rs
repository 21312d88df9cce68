//! `apps` and `validate` predict what Argo CD does with the committed tree: git pathspec globs,
//! symbolic links, untracked and ignored files, duplicate names, YAML as Argo CD reads it, and
//! Go templates with trim markers and sprig functions.

use serde_json::Value;

use crate::support::{World, fails_with, ok, text};

pub(crate) fn apps(world: &World, extra: &[&str]) -> (Option<i32>, Vec<Value>, String) {
    let mut args = vec!["apps", "--output", "json"];
    args.extend_from_slice(extra);
    let out = world.tenantctl(&args);
    let apps: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (out.status.code(), apps, text(&out.stderr))
}

pub(crate) fn names(apps: &[Value]) -> Vec<String> {
    apps.iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

pub(crate) fn commit_all(world: &World, message: &str) {
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", message]);
}

#[test]
fn a_nested_stray_copy_makes_argo_cd_create_neither_and_validate_says_so() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1001", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "1002", "--tier", "free"]));
    let copy = world.read("guilds/guild-1001.yaml");
    world.write("guilds/guild-archive/guild-1001.yaml", &copy);
    commit_all(&world, "archive a copy");
    let (code, listed, stderr) = apps(&world, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        names(&listed),
        ["guild-1002"],
        "neither guild-1001 is created"
    );
    assert!(
        stderr.contains("E336") && stderr.contains("creates neither"),
        "{stderr}"
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("guilds/guild-archive/guild-1001.yaml") && out.contains("E336"),
        "{out}"
    );
}

#[test]
fn two_files_with_one_guild_id_make_argo_cd_create_neither() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    world.write("guilds/guild-2.yaml", &world.read("guilds/guild-1.yaml"));
    commit_all(&world, "a copy under another name");
    let (code, listed, stderr) = apps(&world, &[]);
    assert_eq!(code, Some(1));
    assert!(
        !names(&listed).contains(&"guild-1".to_string()),
        "{listed:?}"
    );
    assert!(
        stderr.contains("guilds/guild-1.yaml and guilds/guild-2.yaml"),
        "{stderr}"
    );
}

#[test]
fn untracked_and_ignored_guild_files_are_not_what_argo_cd_sees() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    world.write("guilds/guild-2.yaml", "guild_id: \"2\"\ntier: \"free\"\n");
    world.write(
        ".gitignore",
        &format!("{}guilds/guild-3.yaml\n", world.read(".gitignore")),
    );
    world.write("guilds/guild-3.yaml", "guild_id: \"3\"\ntier: \"free\"\n");
    let (code, listed, stderr) = apps(&world, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(names(&listed), ["guild-1"], "only the committed file");
    assert!(stderr.contains("HEAD ("), "says what it read: {stderr}");
    let (_, listed, stderr) = apps(&world, &["--worktree"]);
    assert_eq!(names(&listed), ["guild-1", "guild-2", "guild-3"]);
    assert!(stderr.contains("work tree"), "labelled: {stderr}");
    let out = world.tenantctl(&["validate"]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        all.contains("guilds/guild-2.yaml") && all.contains("W104") && all.contains("untracked"),
        "{all}"
    );
    assert!(
        all.contains("guilds/guild-3.yaml") && all.contains("ignored"),
        "{all}"
    );
}

#[test]
fn a_committed_symlinked_guild_file_is_followed_as_argo_cd_follows_it() {
    let world = World::new();
    world.platform_with_remote();
    world.write("archive/guild-5.yaml", "guild_id: \"5\"\ntier: \"free\"\n");
    std::os::unix::fs::symlink(
        "../archive/guild-5.yaml",
        world.platform().join("guilds/guild-5.yaml"),
    )
    .unwrap();
    commit_all(&world, "a linked guild");
    let (_, listed, stderr) = apps(&world, &[]);
    assert_eq!(names(&listed), ["guild-5"], "{stderr}");
    // tenantctl itself refuses links where it reads (validate reports it with its position).
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("guilds/guild-5.yaml") && out.contains("E102"),
        "{out}"
    );
}

#[test]
fn guild_files_are_read_as_argo_cd_reads_yaml() {
    let world = World::new();
    world.platform_with_remote();
    // An unquoted 18-digit ID becomes a float64; a duplicated key keeps its last value; a second
    // document is ignored.
    world.write(
        "guilds/guild-123456789012345678.yaml",
        "guild_id: 123456789012345678\ntier: \"free\"\n",
    );
    world.write(
        "guilds/guild-7.yaml",
        "guild_id: \"7\"\ntier: \"pro\"\ntier: \"free\"\n---\nguild_id: \"8\"\n",
    );
    commit_all(&world, "hand-written guilds");
    let (code, listed, stderr) = apps(&world, &[]);
    // `guild-1.2345678901234568e+17` is no Kubernetes name: Argo CD cannot create it, so it
    // is an error, not a row.
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(names(&listed), ["guild-7"], "{stderr}");
    assert!(
        stderr.contains("E350") && stderr.contains("guild-1.2345678901234568e+17"),
        "{stderr}"
    );
    let seven = listed.iter().find(|a| a["name"] == "guild-7").unwrap();
    assert_eq!(seven["project"], "guilds-free", "the last `tier` wins");
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("guilds/guild-123456789012345678.yaml"),
        "{out}"
    );
    assert!(
        out.contains("guilds/guild-7.yaml"),
        "the duplicate key: {out}"
    );
}

pub(crate) fn edit_application_set(world: &World, from: &str, to: &str) {
    let template = world.read("templates/applicationset.yaml.j2");
    assert!(template.contains(from), "{template}");
    world.write(
        "templates/applicationset.yaml.j2",
        &template.replace(from, to),
    );
    ok(&world.tenantctl(&["render"]));
    commit_all(world, "template edit");
}

#[test]
fn trim_markers_and_sprig_functions_evaluate_as_argo_cd_does() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "8801", "--tier", "pro"]));
    // In the source path, so that `apps --output json` shows upper's result.
    edit_application_set(
        &world,
        "path: 'kustomize/guilds/guild-{% raw %}{{ .guild_id }}{% endraw %}'",
        "path: 'kustomize/guilds/guild-{% raw %}{{ .guild_id }}-{{ .tier | upper }}{% endraw %}'",
    );
    edit_application_set(
        &world,
        "name: 'guild-{% raw %}{{ .guild_id }}{% endraw %}'",
        "name: 'guild- {% raw %}{{- .guild_id }}{% endraw %}'",
    );
    let (code, listed, stderr) = apps(&world, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(names(&listed), ["guild-8801"], "trimmed as Go trims");
    assert_eq!(listed[0]["path"], "kustomize/guilds/guild-8801-PRO");
}

#[test]
fn a_template_function_apps_cannot_evaluate_is_refused_with_its_line() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    edit_application_set(
        &world,
        "tenantctl.io/tier: '{% raw %}{{ .tier }}{% endraw %}'",
        "tenantctl.io/tier: '{% raw %}{{ .tier | b64enc }}{% endraw %}'",
    );
    let out = fails_with(&world.tenantctl(&["apps"]), 1);
    assert!(out.contains("E337") && out.contains("b64enc"), "{out}");
    let set = world.read("kustomize/argocd/applicationset.yaml");
    let line = set.lines().position(|l| l.contains("b64enc")).unwrap() + 1;
    assert!(
        out.contains(&format!("kustomize/argocd/applicationset.yaml:{line}:")),
        "at the construct's line {line}: {out}"
    );
}

#[test]
fn a_template_patch_is_refused_with_its_line_by_apps_and_validate() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    // Argo CD applies a templatePatch to every Application it generates; apps does not predict
    // it, so it refuses the set rather than list Applications that differ from Argo CD's.
    edit_application_set(
        &world,
        "  template:\n    metadata:\n",
        "  templatePatch: |\n    spec:\n      source:\n        directory:\n          recurse: true\n  template:\n    metadata:\n",
    );
    let set = world.read("kustomize/argocd/applicationset.yaml");
    let line = set
        .lines()
        .position(|l| l.trim_start().starts_with("templatePatch:"))
        .expect("the rendered set has the templatePatch")
        + 1;
    let at = format!("kustomize/argocd/applicationset.yaml:{line}:");
    let out = fails_with(&world.tenantctl(&["apps"]), 1);
    assert!(
        out.contains(&at) && out.contains("error[E337]") && out.contains("`templatePatch`"),
        "at the construct's line {line}: {out}"
    );
    let (code, listed, _) = apps(&world, &[]);
    assert_eq!(code, Some(1));
    assert!(
        names(&listed).is_empty(),
        "no Application listed: {listed:?}"
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains(&format!("{at}1: error[E337]")) && out.contains("`templatePatch`"),
        "{out}"
    );
}
