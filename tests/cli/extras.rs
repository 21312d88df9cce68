//! The smaller commands: --version, completions, man, diff, apps.

use std::process::Command;

use crate::support::{World, fails_with, ok, text};

#[test]
fn version_names_the_commit() {
    let world = World::new();
    let out = ok(&world.tenantctl_in(world.path(), &["--version"]));
    let commit = out
        .trim()
        .strip_prefix(concat!("tenantctl ", env!("CARGO_PKG_VERSION"), " ("))
        .and_then(|r| r.strip_suffix(')'));
    let commit = commit.unwrap_or_else(|| panic!("unexpected --version: {out}"));
    assert!(
        commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit()),
        "a commit id: {out}"
    );
}

#[test]
fn bash_completion_loads_without_errors() {
    let world = World::new();
    let script = world.path().join("tenantctl.bash");
    std::fs::write(
        &script,
        ok(&world.tenantctl_in(world.path(), &["completions", "bash"])),
    )
    .unwrap();
    let out = Command::new("bash")
        .args([
            "--norc",
            "-c",
            &format!(
                "set -e; source '{}'; complete -p tenantctl",
                script.display()
            ),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).is_empty(),
        "no errors: {}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("tenantctl"),
        "{}",
        text(&out.stdout)
    );
    // Completing `tenantctl cr` offers create-guild.
    let out = Command::new("bash")
        .args([
            "--norc",
            "-c",
            &format!(
                "source '{}'; COMP_WORDS=(tenantctl cr); COMP_CWORD=1; COMP_LINE='tenantctl cr'; COMP_POINT=12; _tenantctl tenantctl cr tenantctl; echo \"${{COMPREPLY[@]}}\"",
                script.display()
            ),
        ])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("create-guild"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    for shell in ["zsh", "fish", "powershell"] {
        let script = ok(&world.tenantctl_in(world.path(), &["completions", shell]));
        assert!(script.contains("create-guild"), "{shell}");
    }
}

#[test]
fn man_page_is_roff_with_every_command() {
    let world = World::new();
    let page = ok(&world.tenantctl_in(world.path(), &["man"]));
    assert!(page.contains(".TH tenantctl 1"), "{page}");
    for command in ["create\\-guild", "delete\\-guild", "validate", "render"] {
        assert!(page.contains(command), "{command} in the man page");
    }
}

#[test]
fn diff_shows_drift_and_exits_0() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    assert!(ok(&world.tenantctl(&["diff"])).contains("no difference"));
    let path = "kustomize/guilds/guild-1/kustomization.yaml";
    world.write(path, &world.read(path).replace("count: 1", "count: 3"));
    let out = ok(&world.tenantctl(&["diff"]));
    assert!(
        out.contains("-    count: 3") && out.contains("+    count: 1"),
        "{out}"
    );
    assert!(
        world.read(path).contains("count: 3"),
        "diff changes nothing"
    );
}

#[test]
fn apps_lists_the_applications_argo_cd_would_generate() {
    let world = World::new();
    world.platform_with_remote();
    assert!(ok(&world.tenantctl(&["apps"])).contains("no Applications"));
    ok(&world.tenantctl(&["create-guild", "123456789", "--tier", "free", "--no-push"]));
    ok(&world.tenantctl(&["create-guild", "987654321", "--tier", "pro", "--no-push"]));
    let apps: serde_json::Value =
        serde_json::from_str(&ok(&world.tenantctl(&["apps", "-o", "json"]))).unwrap();
    let apps = apps.as_array().unwrap();
    assert_eq!(apps.len(), 2);
    assert_eq!(apps[0]["name"], "guild-123456789");
    assert_eq!(apps[0]["namespace"], "guild-123456789");
    assert_eq!(apps[0]["path"], "kustomize/guilds/guild-123456789");
    assert_eq!(apps[0]["project"], "guilds-free");
    assert_eq!(apps[1]["project"], "guilds-pro");
    assert_eq!(apps[0]["cluster"], "https://kubernetes.default.svc");
    assert_eq!(apps[1]["name"], "guild-987654321");
    // Every generated path is a real overlay in the repo.
    for app in apps {
        assert!(
            world
                .platform()
                .join(app["path"].as_str().unwrap())
                .join("kustomization.yaml")
                .is_file()
        );
    }
    let table = ok(&world.tenantctl(&["apps"]));
    assert!(
        table.starts_with("NAME") && table.contains("guild-987654321  guilds-pro"),
        "{table}"
    );

    // One unparsable file stops the git generator for every guild, as in Argo CD (#22127).
    world.write("guilds/guild-5.yaml", "guild_id: \"5\"\n  tier: [\n");
    // Uncommitted, Argo CD does not see it yet: `--worktree` previews it.
    ok(&world.tenantctl(&["apps"]));
    let out = fails_with(&world.tenantctl(&["apps", "--worktree"]), 1);
    assert!(
        out.contains("guilds/guild-5.yaml:") && out.contains("generates no Application at all"),
        "{out}"
    );
}
