//! `render` writes only changed bytes; `render --check` catches drift and hand edits.

use crate::support::{World, fails_with, ok};

fn mtimes(world: &World) -> Vec<(String, std::time::SystemTime)> {
    walkdir::WalkDir::new(world.platform().join("kustomize"))
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().display().to_string(),
                e.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect()
}

#[test]
fn render_on_an_unchanged_repo_touches_nothing() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    let before = mtimes(&world);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = ok(&world.tenantctl(&["render"]));
    assert!(out.contains("up to date"), "{out}");
    assert_eq!(before, mtimes(&world), "no file rewritten");
    ok(&world.tenantctl(&["render", "--check"]));
    assert!(world.git(&["status", "--porcelain"]).trim().is_empty());
}

#[test]
fn render_check_fails_with_a_diff_after_a_hand_edit_and_render_repairs_it() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    let path = "kustomize/guilds/guild-1/kustomization.yaml";
    let edited = world.read(path).replace("count: 1", "count: 5");
    world.write(path, &edited);
    let out = fails_with(&world.tenantctl(&["render", "--check"]), 1);
    assert!(
        out.contains("--- a/kustomize/guilds/guild-1/kustomization.yaml"),
        "{out}"
    );
    assert!(
        out.contains("-    count: 5") && out.contains("+    count: 1"),
        "{out}"
    );
    assert!(out.contains("tenantctl render"), "says what to do: {out}");
    assert_eq!(world.read(path), edited, "--check changes nothing");
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("kustomize/guilds/guild-1/kustomization.yaml:1:1: error[E400]"),
        "{out}"
    );

    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["render", "--check"]));
    assert!(
        world.git(&["status", "--porcelain"]).trim().is_empty(),
        "back to the committed bytes"
    );
}

#[test]
fn render_removes_the_overlay_of_a_guild_file_deleted_by_hand() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    std::fs::remove_file(world.platform().join("guilds/guild-1.yaml")).unwrap();
    fails_with(&world.tenantctl(&["render", "--check"]), 1);
    let out = ok(&world.tenantctl(&["render"]));
    assert!(
        out.contains("deleted kustomize/guilds/guild-1/kustomization.yaml"),
        "{out}"
    );
    assert!(!world.platform().join("kustomize/guilds").exists());
}

#[test]
fn a_hand_written_guild_file_takes_tier_defaults_for_missing_values() {
    let world = World::new();
    world.platform_with_remote();
    world.write(
        "guilds/guild-31337.yaml",
        "guild_id: \"31337\"\ntier: \"pro\"\nbackend_cpu_limit: \"1\"\n",
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("kustomize/guilds/guild-31337/kustomization.yaml:1:1: error[E400]: generated file is missing"), "{out}");
    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["validate"]));
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&world.tenantctl(&["list", "-o", "json"]))).unwrap();
    assert_eq!(listed[0]["resources"]["backend_cpu_limit"], "1");
    assert_eq!(
        listed[0]["resources"]["backend_cpu_request"], "200m",
        "pro default"
    );
}

#[test]
fn validate_render_check_diff_and_status_agree_on_what_drifted() {
    // One library function (tenantctl::drift) answers for all four commands.
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    ok(&world.tenantctl(&[
        "create-tenant",
        "shop",
        "--type",
        "staging",
        "--image-tag",
        "v1",
        "--services",
        "api",
        "--no-push",
    ]));
    let stale = "kustomize/tenants/shop/resources.yaml";
    let edited = world.read(stale).replace("api:v1", "api:v0");
    assert_ne!(edited, world.read(stale));
    world.write(stale, &edited);

    let validate = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        validate.contains(&format!("{stale}:1:1: error[E400]")),
        "{validate}"
    );
    assert_eq!(validate.matches("error[E400]").count(), 1, "{validate}");
    let check = fails_with(&world.tenantctl(&["render", "--check"]), 1);
    assert!(check.contains(&format!("+++ b/{stale}")), "{check}");
    let diff = ok(&world.tenantctl(&["diff"]));
    assert!(diff.contains(&format!("+++ b/{stale}")), "{diff}");
    assert_eq!(diff.matches("+++ b/").count(), 1, "{diff}");
    let status = ok(&world.tenantctl(&["status", "shop"]));
    assert!(
        status.contains("kustomize/tenants/shop/ is out of date"),
        "{status}"
    );
    let guild = ok(&world.tenantctl(&["status", "1"]));
    assert!(guild.contains("guild-1/ is current"), "{guild}");

    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["validate"]));
    ok(&world.tenantctl(&["render", "--check"]));
    assert!(ok(&world.tenantctl(&["diff"])).contains("no difference"));
    assert!(ok(&world.tenantctl(&["status", "shop"])).contains("shop/ is current"));
}
