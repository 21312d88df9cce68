//! ApplicationSets of bounded size (issue 13, scope 4): with more guilds than
//! `argocd.shardSize`, the guilds' set is split by ID prefix; every guild still gets exactly one
//! Application under its old name, the sets validate against the upstream CRD, and `apps`
//! shows each set's size and warns (W106) about a set over the limit.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::fence::check_against_crd;
use crate::support::{World, ok, parse_yaml_stream};

/// 2,500 guilds whose IDs start with 1 to 9 in turn, so the first digit splits them evenly.
fn write_guilds(world: &World, count: usize) -> BTreeSet<String> {
    (0..count)
        .map(|i| {
            let id = format!("{}{:017}", i % 9 + 1, i * 7919);
            world.write(
                &format!("guilds/guild-{id}.yaml"),
                &format!("guild_id: \"{id}\"\ntier: \"free\"\n"),
            );
            id
        })
        .collect()
}

fn app_names(world: &World) -> BTreeSet<String> {
    let out = ok(&world.tenantctl(&["apps", "--output", "json"]));
    let apps: Vec<Value> = serde_json::from_str(&out).unwrap();
    apps.iter()
        .filter(|a| {
            a["application_set"]
                .as_str()
                .unwrap()
                .starts_with("frolf-bot-guilds")
        })
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

fn commit_all(world: &World, message: &str) {
    world.git(&["add", "-A"]);
    world.git(&["commit", "-q", "-m", message]);
}

#[test]
fn guilds_over_the_shard_size_split_into_sets_that_keep_every_application_name() {
    let world = World::new();
    world.platform_with_remote();
    let ids = write_guilds(&world, 2500);
    world.set_argocd_setting("  shardSize: 5000\n");
    ok(&world.tenantctl(&["render"]));
    commit_all(&world, "2,500 guilds in one set");
    let unsharded = app_names(&world);
    let expected: BTreeSet<String> = ids.iter().map(|id| format!("guild-{id}")).collect();
    assert_eq!(unsharded, expected);

    world.set_argocd_setting("  shardSize: 1000\n");
    ok(&world.tenantctl(&["render"]));
    commit_all(&world, "Shards of 1,000");
    let sets: Vec<Value> = parse_yaml_stream(&world.read("kustomize/argocd/applicationset.yaml"));
    let names: Vec<&str> = sets
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "frolf-bot-guilds-1",
            "frolf-bot-guilds-2",
            "frolf-bot-guilds-3"
        ]
    );
    // Every path of every set, by ID prefix; the first digit 0 is nobody's yet, but has a set.
    let paths: Vec<Vec<&str>> = sets
        .iter()
        .map(|s| {
            s["spec"]["generators"][0]["git"]["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["path"].as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(paths[0][0], "guilds/guild-0*.yaml");
    assert!(paths.concat().contains(&"guilds/guild-9*.yaml"));
    assert_eq!(
        check_against_crd(
            &world,
            "kustomize/argocd/applicationset.yaml",
            "ApplicationSet",
            "applicationset-crd.yaml"
        ),
        3
    );
    // The same Applications, each from exactly one set of at most 1,000.
    assert_eq!(app_names(&world), expected);
    let table = ok(&world.tenantctl(&["apps"]));
    let sizes = table
        .lines()
        .find(|l| l.starts_with("Applications per ApplicationSet:"))
        .unwrap();
    assert_eq!(
        sizes,
        "Applications per ApplicationSet: frolf-bot-guilds-1 834, frolf-bot-guilds-2 834, frolf-bot-guilds-3 832, pishop-tenants 0"
    );
    ok(&world.tenantctl(&["validate"]));

    // A limit lowered without rendering: `apps` says which set is over it.
    world.set_argocd_setting("  shardSize: 500\n");
    commit_all(&world, "Lower the limit, forget to render");
    let out = world.tenantctl(&["apps"]);
    let stderr = crate::support::text(&out.stderr);
    assert!(
        stderr.contains("warning[W106]: the ApplicationSet frolf-bot-guilds-1 generates 834 Applications, more than argocd.shardSize (500)"),
        "{stderr}"
    );
}

#[test]
fn a_new_guild_in_a_sharded_repo_lands_in_exactly_one_set() {
    let world = World::new();
    world.platform_with_remote();
    write_guilds(&world, 30);
    world.set_argocd_setting("  shardSize: 10\n");
    ok(&world.tenantctl(&["render"]));
    commit_all(&world, "30 guilds in shards of 10");
    ok(&world.tenantctl(&[
        "create-guild",
        "5000000000000000001",
        "--tier",
        "pro",
        "--no-push",
    ]));
    let apps: Vec<Value> =
        serde_json::from_str(&ok(&world.tenantctl(&["apps", "--output", "json"]))).unwrap();
    let new: Vec<&Value> = apps
        .iter()
        .filter(|a| a["name"] == "guild-5000000000000000001")
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let sets: Vec<Value> = parse_yaml_stream(&world.read("kustomize/argocd/applicationset.yaml"));
    assert!(sets.len() >= 3, "{} sets", sets.len());
}

/// Modification times of every file under the platform repo (not `.git`).
fn mtimes(world: &World) -> std::collections::BTreeMap<String, std::time::SystemTime> {
    walkdir::WalkDir::new(world.platform())
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let path = e.path().strip_prefix(world.platform()).unwrap();
            (
                path.to_string_lossy().into_owned(),
                e.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect()
}

#[test]
fn create_guild_in_a_2000_guild_repo_writes_and_commits_only_the_new_guilds_files() {
    let world = World::new();
    world.platform_with_remote();
    write_guilds(&world, 2000);
    world.set_argocd_setting("  shardSize: 5000\n");
    ok(&world.tenantctl(&["render"]));
    commit_all(&world, "2,000 guilds");
    let before = mtimes(&world);
    ok(&world.tenantctl(&["create-guild", "4242", "--tier", "pro", "--no-push"]));
    let after = mtimes(&world);
    let written: Vec<&String> = after
        .iter()
        .filter(|(path, time)| before.get(*path) != Some(*time))
        .map(|(path, _)| path)
        .collect();
    let new = [
        "guilds/guild-4242.yaml",
        "kustomize/guilds/guild-4242/availability.yaml",
        "kustomize/guilds/guild-4242/isolation.yaml",
        "kustomize/guilds/guild-4242/kustomization.yaml",
        "kustomize/guilds/guild-4242/leader-election.yaml",
    ];
    assert_eq!(written, new, "only the new guild's files were written");
    assert_eq!(before.len() + new.len(), after.len());
    let committed = world.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(committed.lines().collect::<Vec<_>>(), new);
}
