//! The whole guild lifecycle against a real bare remote: after every step the remote's branch
//! holds exactly the expected files, history is linear, and `git fsck` is clean.

use crate::support::{World, ok};

const SCAFFOLD: [&str; 38] = [
    ".gitignore",
    "Makefile",
    "guilds/README.md",
    "kustomize/argocd/applicationset.yaml",
    "kustomize/argocd/appprojects.yaml",
    "kustomize/argocd/kustomization.yaml",
    "kustomize/argocd/tenants-applicationset.yaml",
    "kustomize/base/guild-resources.yaml",
    "kustomize/crds/tenant-crd.yaml",
    "kustomize/base/kustomization.yaml",
    "kustomize/free/free-resources.yaml",
    "kustomize/free/kustomization.yaml",
    "kustomize/pro/kustomization.yaml",
    "kustomize/pro/pro-resources.yaml",
    "schemas/config.schema.json",
    "schemas/guild.schema.json",
    "schemas/tenant.schema.json",
    "templates/applicationset.yaml.j2",
    "templates/appprojects.yaml.j2",
    "templates/argocd-kustomization.yaml.j2",
    "templates/guild-availability.yaml.j2",
    "templates/guild-isolation.yaml.j2",
    "templates/guild-kustomization.yaml.j2",
    "templates/guild-leader-election.yaml.j2",
    "templates/monitoring.yaml.j2",
    "templates/tenant/availability.yaml.j2",
    "templates/tenant/backup.yaml.j2",
    "templates/tenant/config.yaml.j2",
    "templates/tenant/ingress.yaml.j2",
    "templates/tenant/kustomization.yaml.j2",
    "templates/tenant/namespace.yaml.j2",
    "templates/tenant/network-policies.yaml.j2",
    "templates/tenant/params.yaml.j2",
    "templates/tenant/quota.yaml.j2",
    "templates/tenant/rbac.yaml.j2",
    "templates/tenant/services.yaml.j2",
    "templates/tenants-applicationset.yaml.j2",
    "tenantctl.yaml",
];

/// The remote's files with `guilds` (`ID` of tier free, `ID:pro` of tier pro, whose overlay
/// adds the backend's autoscaler and the disruption budgets).
fn expected(guilds: &[&str]) -> Vec<String> {
    let mut files: Vec<String> = SCAFFOLD.iter().map(|s| s.to_string()).collect();
    for guild in guilds {
        let (id, pro) = match guild.strip_suffix(":pro") {
            Some(id) => (id, true),
            None => (*guild, false),
        };
        if pro {
            files.push(format!("kustomize/guilds/guild-{id}/availability.yaml"));
        }
        files.push(format!("guilds/guild-{id}.yaml"));
        files.push(format!("kustomize/guilds/guild-{id}/isolation.yaml"));
        files.push(format!("kustomize/guilds/guild-{id}/kustomization.yaml"));
        files.push(format!("kustomize/guilds/guild-{id}/leader-election.yaml"));
    }
    files.sort();
    files
}

fn assert_remote_healthy(world: &World, commits: usize) {
    let fsck = world.git_in(&world.remote(), &["fsck", "--strict"]);
    assert!(
        fsck.status.success(),
        "git fsck: {}",
        crate::support::text(&fsck.stderr)
    );
    let merges = world.git(&["rev-list", "--merges", "origin/main"]);
    assert!(merges.trim().is_empty(), "history must be linear");
    let count = world.git(&["rev-list", "--count", "origin/main"]);
    assert_eq!(count.trim(), commits.to_string());
    let local = world.git(&["rev-parse", "HEAD"]);
    let remote =
        crate::support::text(&world.git_in(&world.remote(), &["rev-parse", "main"]).stdout);
    assert_eq!(local, remote, "the remote has the local HEAD");
    assert!(
        world.git(&["status", "--porcelain"]).trim().is_empty(),
        "working tree clean"
    );
}

#[test]
fn init_create_list_update_delete_round_trip() {
    let world = World::new();
    world.platform_with_remote();
    assert_eq!(world.remote_files(), expected(&[]));
    assert_remote_healthy(&world, 1);

    let out = ok(&world.tenantctl(&["create-guild", "123456789", "--tier", "free"]));
    assert!(out.contains("pushed main to origin"), "{out}");
    assert_eq!(world.remote_files(), expected(&["123456789"]));
    assert_remote_healthy(&world, 2);

    ok(&world.tenantctl(&[
        "create-guild",
        "987654321",
        "--tier",
        "pro",
        "--set",
        "backend_memory_limit=1Gi",
    ]));
    assert_eq!(
        world.remote_files(),
        expected(&["123456789", "987654321:pro"])
    );
    assert_remote_healthy(&world, 3);
    let log = world.git(&["log", "--format=%s|%an", "origin/main"]);
    assert!(
        log.starts_with(
            "Add guild 987654321 (pro)|Test Author\nAdd guild 123456789 (free)|Test Author\n"
        ),
        "{log}"
    );

    let listed: serde_json::Value =
        serde_json::from_str(&ok(&world.tenantctl(&["list", "--output", "json"]))).unwrap();
    let rows = listed.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["guild_id"], "123456789");
    assert_eq!(rows[0]["tier"], "free");
    assert_eq!(rows[0]["replicas"], 1);
    assert_eq!(rows[1]["guild_id"], "987654321");
    assert_eq!(rows[1]["replicas"], 2);
    assert_eq!(rows[1]["resources"]["backend_memory_limit"], "1Gi");

    ok(&world.tenantctl(&["update-guild", "123456789", "--tier", "pro"]));
    let updated = world.remote_file("guilds/guild-123456789.yaml");
    assert!(updated.contains("tier: \"pro\""), "{updated}");
    assert!(
        updated.contains("backend_cpu_limit: \"500m\""),
        "defaults follow the tier: {updated}"
    );
    assert_eq!(
        world.remote_files(),
        expected(&["123456789:pro", "987654321:pro"])
    );
    assert_remote_healthy(&world, 4);

    let out = ok(&world.tenantctl(&["delete-guild", "987654321", "--yes"]));
    assert!(
        out.contains("kubectl delete application guild-987654321"),
        "{out}"
    );
    assert_eq!(world.remote_files(), expected(&["123456789:pro"]));
    assert!(
        !world
            .platform()
            .join("kustomize/guilds/guild-987654321")
            .exists()
    );
    assert_remote_healthy(&world, 5);
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Delete guild 987654321 (pro)"
    );
}

#[test]
fn update_keeps_values_set_by_hand_when_the_tier_changes() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&[
        "create-guild",
        "42",
        "--tier",
        "free",
        "--set",
        "backend_memory_limit=1Gi",
    ]));
    ok(&world.tenantctl(&["update-guild", "42", "--tier", "pro"]));
    let file = world.read("guilds/guild-42.yaml");
    assert!(file.contains("backend_memory_limit: \"1Gi\""), "{file}");
    assert!(file.contains("backend_memory_request: \"256Mi\""), "{file}");
}

#[test]
fn status_reports_settings_overlay_and_push_state() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "555", "--tier", "pro", "--no-push"]));
    let out = ok(&world.tenantctl(&["status", "555"]));
    assert!(out.contains("tier       pro"), "{out}");
    assert!(out.contains("replicas   2"), "{out}");
    assert!(
        out.contains("kustomize/guilds/guild-555/ is current"),
        "{out}"
    );
    assert!(out.contains("1 commit(s) not pushed"), "{out}");
    assert!(out.contains("argocd     "), "{out}");
    ok(&world.tenantctl(&["push"]));
    assert!(ok(&world.tenantctl(&["status", "555"])).contains("git        pushed"));
}

#[test]
fn dry_run_prints_the_diff_and_changes_nothing() {
    let world = World::new();
    world.platform_with_remote();
    let out = ok(&world.tenantctl(&["--dry-run", "create-guild", "77", "--tier", "free"]));
    assert!(out.contains("+++ b/guilds/guild-77.yaml"), "{out}");
    assert!(out.contains("+guild_id: \"77\""), "{out}");
    assert!(
        out.contains("+++ b/kustomize/guilds/guild-77/kustomization.yaml"),
        "{out}"
    );
    assert!(!world.platform().join("guilds/guild-77.yaml").exists());
    assert_eq!(world.remote_files(), expected(&[]));
    assert_eq!(world.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
}

#[test]
fn verbose_prints_the_diff_of_what_it_changed() {
    let world = World::new();
    world.platform_with_remote();
    let out = ok(&world.tenantctl(&["-v", "create-guild", "77", "--tier", "free", "--no-push"]));
    assert!(
        out.contains("+++ b/guilds/guild-77.yaml") && out.contains("+tier: \"free\""),
        "{out}"
    );
    assert!(
        out.contains("created guilds/guild-77.yaml") && out.contains("committed "),
        "{out}"
    );
    let quiet = ok(&world.tenantctl(&["-q", "update-guild", "77", "--tier", "pro", "--no-push"]));
    assert!(quiet.is_empty(), "-q prints nothing on success: {quiet}");
}
