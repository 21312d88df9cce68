//! Edits keep the user's file: update-guild, update-tenant, suspend and resume change only the
//! values they change; comments, key order, quoting and blank lines elsewhere stay.

use crate::support::{World, ok, parse_yaml};

const GUILD: &str = "# Guild of the Tuesday league.\n\
# Owner: ops@example.com\n\
\n\
tier: 'free'\n\
guild_id: \"42\"\n\
\n\
# Backend sizing, agreed with the team:\n\
backend_cpu_limit: '200m'\n\
backend_memory_limit: \"256Mi\"   # raised in March\n\
discord_cpu_limit: '100m'\n\
";

const TENANT: &str = r#"# Our first customer.
apiVersion: shop.pilab.hu/v1alpha1
kind: Tenant
metadata:
  name: shop-a   # must equal tenantId
spec:
  # the shop's identity
  tenantId: 'shop-a'
  tenantType: "staging"

  active: true # on
  services:
    - api   # the API
    - frontend
"#;

/// The lines a commit's diff of `path` removes and adds (without the `---`/`+++` headers).
fn changed_lines(world: &World, path: &str) -> (Vec<String>, Vec<String>) {
    let diff = world.git(&["diff", "HEAD~1", "--", path]);
    let removed = diff
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .map(|l| l[1..].to_string())
        .collect();
    let added = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .map(|l| l[1..].to_string())
        .collect();
    (removed, added)
}

fn commit_file(world: &World, path: &str, text: &str) {
    world.write(path, text);
    world.git(&["add", path]);
    world.git(&["commit", "-qm", "hand-written"]);
    world.git(&["push", "-q", "origin", "main"]);
}

fn with_guild(world: &World) -> &'static str {
    world.platform_with_remote();
    let path = "guilds/guild-42.yaml";
    commit_file(world, path, GUILD);
    path
}

#[test]
fn update_guild_set_changes_exactly_one_line() {
    let world = World::new();
    let path = with_guild(&world);
    ok(&world.tenantctl(&["update-guild", "42", "--set", "backend_cpu_limit=300m"]));
    assert_eq!(
        changed_lines(&world, path),
        (
            vec!["backend_cpu_limit: '200m'".to_string()],
            vec!["backend_cpu_limit: \"300m\"".to_string()]
        )
    );
    assert_eq!(
        world.read(path),
        GUILD.replace("backend_cpu_limit: '200m'", "backend_cpu_limit: \"300m\"")
    );
    assert_eq!(world.remote_file(path), world.read(path));
}

#[test]
fn update_guild_tier_changes_the_tier_and_the_values_that_follow_it() {
    let world = World::new();
    let path = with_guild(&world);
    ok(&world.tenantctl(&["update-guild", "42", "--tier", "pro"]));
    // backend_cpu_limit and discord_cpu_limit are at the free defaults and follow the tier;
    // backend_memory_limit is at the free default too; everything else stays byte for byte.
    let expected = GUILD
        .replace("tier: 'free'", "tier: \"pro\"")
        .replace("backend_cpu_limit: '200m'", "backend_cpu_limit: \"500m\"")
        .replace(
            "backend_memory_limit: \"256Mi\"",
            "backend_memory_limit: \"512Mi\"",
        )
        .replace("discord_cpu_limit: '100m'", "discord_cpu_limit: \"200m\"");
    assert_eq!(world.read(path), expected);
    let (removed, added) = changed_lines(&world, path);
    assert_eq!(
        (removed.len(), added.len()),
        (4, 4),
        "{removed:?} {added:?}"
    );
}

#[test]
fn update_guild_inserts_a_new_key_after_its_siblings() {
    let world = World::new();
    let path = with_guild(&world);
    ok(&world.tenantctl(&["update-guild", "42", "--set", "discord_memory_limit=200Mi"]));
    assert_eq!(
        world.read(path),
        format!("{GUILD}discord_memory_limit: \"200Mi\"\n")
    );
}

#[test]
fn a_flow_mapping_guild_is_rewritten_with_a_note() {
    let world = World::new();
    world.platform_with_remote();
    let path = "guilds/guild-43.yaml";
    commit_file(
        &world,
        path,
        "# flow\n{guild_id: \"43\", tier: \"free\", backend_cpu_limit: \"200m\"}\n",
    );
    let out = ok(&world.tenantctl(&["update-guild", "43", "--set", "backend_cpu_limit=300m"]));
    assert!(
        out.contains(&format!(
            "rewrote {path}: its layout could not be edited in place; comments were not kept"
        )),
        "{out}"
    );
    let value = parse_yaml(&world.read(path));
    assert_eq!(value["backend_cpu_limit"], "300m");
    assert_eq!(value["guild_id"], "43");
}

fn with_tenant(world: &World) -> &'static str {
    world.platform_with_remote();
    let manifest = world.path().join("shop-a.yaml");
    std::fs::write(&manifest, TENANT).unwrap();
    ok(&world.tenantctl(&["create-tenant", "--from-file", manifest.to_str().unwrap()]));
    let path = "tenants/shop-a.yaml";
    assert_eq!(world.read(path), TENANT, "--from-file keeps the file");
    path
}

#[test]
fn update_tenant_inserts_nested_limits_and_keeps_comments() {
    let world = World::new();
    let path = with_tenant(&world);
    ok(&world.tenantctl(&["update-tenant", "shop-a", "--cpu-limit", "3"]));
    let expected = format!("{TENANT}  resourceLimits:\n    cpuLimit: \"3\"\n");
    assert_eq!(world.read(path), expected);
    ok(&world.tenantctl(&["update-tenant", "shop-a", "--cpu-limit", "4"]));
    assert_eq!(
        changed_lines(&world, path),
        (
            vec!["    cpuLimit: \"3\"".to_string()],
            vec!["    cpuLimit: \"4\"".to_string()]
        )
    );
    ok(&world.tenantctl(&["update-tenant", "shop-a", "--memory-limit", "1Gi"]));
    assert_eq!(
        world.read(path),
        format!("{TENANT}  resourceLimits:\n    cpuLimit: \"4\"\n    memoryLimit: \"1Gi\"\n")
    );
}

#[test]
fn suspend_and_resume_only_flip_active() {
    let world = World::new();
    let path = with_tenant(&world);
    ok(&world.tenantctl(&["suspend-tenant", "shop-a"]));
    assert_eq!(
        changed_lines(&world, path),
        (
            vec!["  active: true # on".to_string()],
            vec!["  active: false # on".to_string()]
        )
    );
    ok(&world.tenantctl(&["resume-tenant", "shop-a"]));
    assert_eq!(world.read(path), TENANT);
}

#[test]
fn update_tenant_appends_to_a_block_sequence() {
    let world = World::new();
    let path = with_tenant(&world);
    ok(&world.tenantctl(&["update-tenant", "shop-a", "--feature", "beta"]));
    assert_eq!(
        world.read(path),
        format!("{TENANT}  tenantConfig:\n    features:\n      - \"beta\"\n")
    );
    ok(&world.tenantctl(&["update-tenant", "shop-a", "--feature", "gamma"]));
    assert_eq!(
        world.read(path),
        format!("{TENANT}  tenantConfig:\n    features:\n      - \"beta\"\n      - \"gamma\"\n")
    );
}

fn mode(world: &World, path: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(world.platform().join(path))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

fn chmod(world: &World, path: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(
        world.platform().join(path),
        std::fs::Permissions::from_mode(mode),
    )
    .unwrap();
}

#[test]
fn written_files_keep_their_mode_with_and_without_a_commit() {
    let world = World::new();
    let path = with_guild(&world);
    chmod(&world, path, 0o640);
    ok(&world.tenantctl(&["update-guild", "42", "--set", "backend_cpu_limit=300m"]));
    assert!(world.read(path).contains("backend_cpu_limit: \"300m\""));
    assert_eq!(mode(&world, path), 0o640, "after the commit's fast-forward");
    ok(&world.tenantctl(&[
        "--no-commit",
        "update-guild",
        "42",
        "--set",
        "backend_cpu_limit=400m",
    ]));
    assert!(world.read(path).contains("backend_cpu_limit: \"400m\""));
    assert_eq!(mode(&world, path), 0o640, "written in place by --no-commit");
    chmod(&world, path, 0o755);
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "executable"]);
    world.git(&["push", "-q", "origin", "main"]);
    ok(&world.tenantctl(&["update-guild", "42", "--set", "backend_cpu_limit=500m"]));
    assert_eq!(mode(&world, path), 0o755);
}

#[test]
fn new_files_get_the_umasks_default_mode() {
    let world = World::new();
    world.platform_with_remote();
    // Explicit umasks, set in the shell that runs tenantctl: 0666 & !027 and 0666 & !022.
    for (umask, id, expected) in [("027", "77", 0o640), ("022", "78", 0o644)] {
        ok(&world.tenantctl_with_umask(umask, &["create-guild", id, "--tier", "free"]));
        assert_eq!(
            mode(&world, &format!("guilds/guild-{id}.yaml")),
            expected,
            "umask {umask}"
        );
        assert_eq!(
            mode(
                &world,
                &format!("kustomize/guilds/guild-{id}/kustomization.yaml")
            ),
            expected,
            "umask {umask}"
        );
    }
    ok(&world.tenantctl_with_umask(
        "027",
        &["--no-commit", "create-guild", "79", "--tier", "free"],
    ));
    assert_eq!(mode(&world, "guilds/guild-79.yaml"), 0o640);
}

#[test]
fn a_changed_guild_value_is_one_line_of_the_overlays_diff() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "9", "--tier", "free"]));
    ok(&world.tenantctl(&["update-guild", "9", "--set", "backend_cpu_limit=300m"]));
    let overlay = "kustomize/guilds/guild-9/kustomization.yaml";
    let (removed, added) = changed_lines(&world, overlay);
    assert_eq!(
        (removed, added),
        (
            vec!["            cpu: \"200m\"".to_string()],
            vec!["            cpu: \"300m\"".to_string()]
        )
    );
    let built = crate::support::kustomize_build(&world, "kustomize/guilds/guild-9");
    let backend = built
        .iter()
        .find(|m| m["kind"] == "Deployment" && m["metadata"]["name"] == "backend")
        .unwrap();
    let container = &backend["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["resources"]["limits"]["cpu"], "300m");
    assert_eq!(container["env"][0]["value"], "9");
}
