//! Invalid input: every error names the file, line and field, exits 1, and changes nothing.

use crate::support::{World, fails_with, ok};

/// Runs an invalid create-guild and checks that neither the tree nor the remote moved.
fn refused(world: &World, args: &[&str], expect: &[&str]) {
    let head = world.git(&["rev-parse", "HEAD"]);
    let remote_before = world.remote_files();
    let out = fails_with(&world.tenantctl(args), 1);
    for needle in expect {
        assert!(out.contains(needle), "expected `{needle}` in:\n{out}");
    }
    assert_eq!(world.git(&["rev-parse", "HEAD"]), head, "no commit");
    assert!(
        world
            .git(&["status", "--porcelain", "--untracked-files=all"])
            .trim()
            .is_empty(),
        "nothing written"
    );
    assert_eq!(world.remote_files(), remote_before, "remote unchanged");
}

#[test]
fn invalid_create_guild_writes_nothing_and_names_the_field() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "123", "--tier", "free"]));
    refused(
        &world,
        &["create-guild", "1", "--tier", "gold"],
        &[
            "guilds/guild-1.yaml:3:7: error[E302]: unknown tier `gold`",
            "tier",
        ],
    );
    refused(
        &world,
        &["create-guild", "1", "--tier", "por"],
        &["unknown tier `por`", "did you mean `pro`?"],
    );
    refused(
        &world,
        &[
            "create-guild",
            "1",
            "--tier",
            "free",
            "--set",
            "backend_memory_limit=lots",
        ],
        &[
            "guilds/guild-1.yaml",
            "error[E300]",
            "`backend_memory_limit` `lots` is not a Kubernetes quantity",
        ],
    );
    refused(
        &world,
        &["create-guild", "123", "--tier", "pro"],
        &[
            "guilds/guild-123.yaml",
            "error[E304]: guild 123 already exists",
        ],
    );
    refused(
        &world,
        &[
            "create-guild",
            "1",
            "--tier",
            "free",
            "--set",
            "backend_cpu_request=2",
            "--set",
            "backend_cpu_limit=1",
        ],
        &[
            "error[E301]",
            "backend_cpu_request \"2\" is more than backend_cpu_limit \"1\"",
        ],
    );
    refused(
        &world,
        &["update-guild", "123", "--set", "discord_memory_request=1Gi"],
        &[
            "guilds/guild-123.yaml:4:",
            "discord_memory_request \"1Gi\" is more than discord_memory_limit \"128Mi\"",
        ],
    );
}

#[test]
fn validate_reports_every_problem_with_file_line_and_column() {
    let world = World::new();
    world.platform_with_remote();
    world.write(
        "guilds/guild-1.yaml",
        "guild_id: \"1\"\ntier: \"free\"\nbackend_cpu_limt: \"200m\"\ndiscord_cpu_limit: 1\n",
    );
    world.write(
        "guilds/guild-2.yaml",
        "guild_id: \"3\"\ntier: \"free\"\ntier: \"pro\"\n",
    );
    world.write("guilds/guild-4.yaml", "guild_id: \"4\"\ntier: no\n");
    world.write(
        "guilds/guild-5.yaml",
        "guild_id: \"5\"\ntier: \"free\"\nbackend_memory_limit: \"1MB\"\n",
    );
    world.write("guilds/guild-6.yaml", "guild_id: \"7\"\ntier: \"free\"\n");
    world.write(
        "guilds/guild-x.yaml",
        "guild_id: \"12ab\"\ntier: \"free\"\n",
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    for needle in [
        "guilds/guild-1.yaml:3:1: error[E201]: unknown field `backend_cpu_limt`",
        "did you mean `backend_cpu_limit`?",
        "guilds/guild-1.yaml:4:20: error[E203]: `discord_cpu_limit` must be a string, found a number",
        "quote it: \"1\"",
        "guilds/guild-2.yaml:3:1: error[E100]",
        "guilds/guild-4.yaml:2:7: error[E204]: unquoted `no` is the boolean false to YAML 1.1 readers such as Argo CD's",
        "quote it: \"no\"",
        "guilds/guild-5.yaml:3:23: error[E300]",
        "guilds/guild-6.yaml:1:11: error[E303]: guild_id \"7\" does not match the file name",
        "rename the file to guilds/guild-7.yaml",
        "guilds/guild-x.yaml:1:11: error[E306]: guild_id `12ab` is not a Discord guild ID",
    ] {
        assert!(out.contains(needle), "expected `{needle}` in:\n{out}");
    }
    // The source line and a caret are shown under the message.
    assert!(
        out.contains("3 | backend_cpu_limt: \"200m\"\n  | ^"),
        "{out}"
    );
    // Sorted by file, then line.
    let first = out.find("guild-1.yaml:3:1").unwrap();
    assert!(
        first < out.find("guild-1.yaml:4:20").unwrap() && first < out.find("guild-5.yaml").unwrap()
    );

    let json: serde_json::Value = serde_json::from_str(&crate::support::text(
        &world.tenantctl(&["validate", "--format", "json"]).stdout,
    ))
    .unwrap();
    let typo = json
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "E201")
        .expect("E201 in json");
    assert_eq!(typo["file"], "guilds/guild-1.yaml");
    assert_eq!(typo["line"], 3);
    assert_eq!(typo["column"], 1);
    assert_eq!(typo["severity"], "error");
    assert_eq!(typo["hint"], "did you mean `backend_cpu_limit`?");
}

#[test]
fn hostile_files_get_an_error_not_a_panic() {
    let world = World::new();
    world.platform_with_remote();
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", b"".to_vec()),
        ("list", b"- a\n- b\n".to_vec()),
        ("scalar", b"just text\n".to_vec()),
        (
            "two documents",
            b"guild_id: \"1\"\n---\ntier: free\n".to_vec(),
        ),
        ("tab", b"guild_id: \"1\"\n\ttier: free\n".to_vec()),
        ("nul", b"guild_id: \"1\0\"\n".to_vec()),
        ("invalid utf-8", b"guild_id: \"\xff\"\n".to_vec()),
        (
            "merge key",
            b"base: &b {tier: free}\n<<: *b\nguild_id: \"1\"\n".to_vec(),
        ),
        (
            "custom tag",
            b"guild_id: !secret \"1\"\ntier: free\n".to_vec(),
        ),
        ("deep", format!("{}x\n", "[".repeat(200)).into_bytes()),
        ("alias bomb", bomb.as_bytes().to_vec()),
        ("huge", vec![b'#'; 2 * 1024 * 1024]),
    ];
    for (name, bytes) in cases {
        std::fs::write(world.platform().join("guilds/guild-1.yaml"), &bytes).unwrap();
        let started = std::time::Instant::now();
        let out = fails_with(&world.tenantctl(&["validate"]), 1);
        assert!(out.contains("guilds/guild-1.yaml:"), "{name}: {out}");
        assert!(out.contains("error[E"), "{name}: {out}");
        assert!(
            started.elapsed().as_secs() < 5,
            "{name} took {:?}",
            started.elapsed()
        );
    }
}
