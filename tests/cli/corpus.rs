//! The bad-file corpus: every case is one broken guild, tenant or config file. Each must give
//! exit 1 (never 101: no panic) within a second, name the file, the line and a stable error
//! code, and leave `git status` as it was.

use std::time::{Duration, Instant};

use crate::support::{World, text};

const SEED: &str = include_str!("../fixtures/tenant/seed-example.yaml");
const GUILD: &str = "guilds/guild-1.yaml";
const TENANT: &str = "tenants/customer-shop-1.yaml";
const CONFIG: &str = "tenantctl.yaml";

struct Case {
    name: &'static str,
    path: &'static str,
    content: Vec<u8>,
    code: &'static str,
    line: usize,
}

fn case(
    name: &'static str,
    path: &'static str,
    content: impl Into<Vec<u8>>,
    code: &'static str,
    line: usize,
) -> Case {
    Case {
        name,
        path,
        content: content.into(),
        code,
        line,
    }
}

fn tenant(from: &str, to: &str) -> String {
    assert!(SEED.contains(from), "{from:?} not in the seed");
    SEED.replacen(from, to, 1)
}

fn cases(config: &str) -> Vec<Case> {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    let config_edit = |from: &str, to: &str| {
        assert!(config.contains(from), "{from:?} not in tenantctl.yaml");
        config.replacen(from, to, 1)
    };
    vec![
        case("empty file", GUILD, "", "E101", 1),
        case("only comments", GUILD, "# nothing here\n", "E101", 1),
        case("top-level list", GUILD, "- guild_id\n- tier\n", "E203", 1),
        case("top-level scalar", GUILD, "guild\n", "E203", 1),
        case(
            "two documents",
            GUILD,
            "guild_id: \"1\"\ntier: \"free\"\n---\ntier: \"pro\"\n",
            "E100",
            3,
        ),
        case(
            "tab indentation",
            GUILD,
            "guild_id: \"1\"\ntier:\n\t\"free\"\n",
            "E100",
            3,
        ),
        case(
            "NUL byte",
            GUILD,
            b"guild_id: \"1\"\ntier: \"fr\0ee\"\n".to_vec(),
            "E101",
            2,
        ),
        case(
            "invalid UTF-8",
            GUILD,
            b"guild_id: \"1\"\ntier: \"\xfffree\"\n".to_vec(),
            "E101",
            2,
        ),
        case(
            "merge key",
            GUILD,
            "base: &b {tier: \"free\"}\n<<: *b\nguild_id: \"1\"\n",
            "E100",
            2,
        ),
        case(
            "custom tag",
            GUILD,
            "guild_id: !snowflake \"1\"\ntier: \"free\"\n",
            "E100",
            1,
        ),
        case(
            "duplicate key",
            GUILD,
            "guild_id: \"1\"\ntier: \"free\"\ntier: \"pro\"\n",
            "E100",
            3,
        ),
        case("alias bomb", GUILD, bomb, "E100", 5),
        case(
            "deep nesting",
            GUILD,
            format!("guild_id: {}x\n", "[".repeat(100)),
            "E100",
            1,
        ),
        case(
            "over 1 MiB",
            GUILD,
            format!("guild_id: \"1\"\n{}", "# padding\n".repeat(110_000)),
            "E101",
            1,
        ),
        case(
            "unknown field",
            GUILD,
            "guild_id: \"1\"\ntier: \"free\"\nbackend_cpu_limt: \"200m\"\n",
            "E201",
            3,
        ),
        case("missing tier", GUILD, "guild_id: \"1\"\n", "E202", 1),
        case(
            "unquoted number ID",
            GUILD,
            "guild_id: 1\ntier: \"free\"\n",
            "E203",
            1,
        ),
        case(
            "ID with letters",
            GUILD,
            "guild_id: \"12ab\"\ntier: \"free\"\n",
            "E306",
            1,
        ),
        case(
            "ID of 21 digits",
            GUILD,
            "guild_id: \"123456789012345678901\"\ntier: \"free\"\n",
            "E306",
            1,
        ),
        case(
            "ID not the file name",
            GUILD,
            "guild_id: \"2\"\ntier: \"free\"\n",
            "E303",
            1,
        ),
        case(
            "unknown tier",
            GUILD,
            "guild_id: \"1\"\ntier: \"gold\"\n",
            "E302",
            2,
        ),
        case(
            "YAML 1.1 boolean",
            GUILD,
            "guild_id: \"1\"\ntier: no\n",
            "E204",
            2,
        ),
        case(
            "not a quantity",
            GUILD,
            "guild_id: \"1\"\ntier: \"free\"\nbackend_memory_limit: \"lots\"\n",
            "E300",
            3,
        ),
        case(
            "quantity with a space",
            GUILD,
            "guild_id: \"1\"\ntier: \"free\"\nbackend_memory_limit: \"1 Gi\"\n",
            "E300",
            3,
        ),
        case(
            "negative quantity",
            GUILD,
            "guild_id: \"1\"\ntier: \"free\"\nbackend_cpu_limit: \"-1\"\n",
            "E300",
            3,
        ),
        case(
            "request over limit",
            GUILD,
            "guild_id: \"1\"\ntier: \"free\"\nbackend_cpu_request: \"2\"\nbackend_cpu_limit: \"1\"\n",
            "E301",
            3,
        ),
        case(
            "YAML 1.1 octal",
            GUILD,
            "guild_id: \"1\"\ntier: \"free\"\nbackend_cpu_limit: 0755\n",
            "E204",
            3,
        ),
        case(
            "YAML 1.1 sexagesimal",
            GUILD,
            "guild_id: \"1\"\ntier: \"free\"\nbackend_cpu_limit: 12:30\n",
            "E204",
            3,
        ),
        case("null tier", GUILD, "guild_id: \"1\"\ntier:\n", "E203", 2),
        case(
            "list tier",
            GUILD,
            "guild_id: \"1\"\ntier: [\"free\"]\n",
            "E203",
            2,
        ),
        case(
            "plaintext password",
            TENANT,
            tenant(
                "  active: true\n",
                "  active: true\n  mongoPassword: \"s3cret\"\n",
            ),
            "E310",
            13,
        ),
        case(
            "password in a URL",
            TENANT,
            tenant(
                "  active: true\n",
                "  active: true\n  redisURL: \"redis://:s3cret@redis:6379\"\n",
            ),
            "E310",
            13,
        ),
        case(
            "unknown placeholder",
            TENANT,
            tenant(
                "  environment: \"production\"\n",
                "  environment: \"production\"\n  namespaceConfig:\n    pattern: \"{customer}-{tenantId}\"\n",
            ),
            "E308",
            20,
        ),
        case(
            "namespace too long",
            TENANT,
            tenant(
                "  environment: \"production\"\n",
                &format!(
                    "  environment: \"production\"\n  namespaceConfig:\n    pattern: \"{{tenantId}}-{}\"\n",
                    "x".repeat(60)
                ),
            ),
            "E308",
            20,
        ),
        case(
            "wildcard domain",
            TENANT,
            tenant("\"shop.customer.com\"", "\"*.customer.com\""),
            "E309",
            10,
        ),
        case(
            "domain with a path",
            TENANT,
            tenant("\"shop.customer.com\"", "\"shop.customer.com/store\""),
            "E309",
            10,
        ),
        case(
            "TLS without a domain",
            TENANT,
            tenant("  customDomain: \"shop.customer.com\"\n", ""),
            "E311",
            10,
        ),
        case(
            "service twice",
            TENANT,
            tenant("    - \"worker\"\n", "    - \"frontend\"\n"),
            "E312",
            16,
        ),
        case(
            "cron with 4 fields",
            TENANT,
            tenant("\"0 2 * * *\"", "\"0 2 * *\""),
            "E313",
            25,
        ),
        case(
            "cron minute 60",
            TENANT,
            tenant("\"0 2 * * *\"", "\"60 2 * * *\""),
            "E313",
            25,
        ),
        case(
            "retention in words",
            TENANT,
            tenant("\"30d\"", "\"a month\""),
            "E200",
            26,
        ),
        case(
            "not an e-mail",
            TENANT,
            tenant("\"admin@customer.com\"", "\"admin\""),
            "E314",
            29,
        ),
        case(
            "deployedAt not RFC 3339",
            TENANT,
            tenant(
                "  active: true\n",
                "  active: true\n  deployedAt: \"23/11/2026\"\n",
            ),
            "E315",
            13,
        ),
        case(
            "bad label key",
            TENANT,
            tenant(
                "    billingTier: \"premium\"\n",
                "    billingTier: \"premium\"\n    labels:\n      \"team name\": \"shop\"\n",
            ),
            "E316",
            32,
        ),
        case(
            "bad label value",
            TENANT,
            tenant(
                "    billingTier: \"premium\"\n",
                "    billingTier: \"premium\"\n    labels:\n      team: \"the shop team\"\n",
            ),
            "E316",
            32,
        ),
        case(
            "tenantType typo",
            TENANT,
            tenant("\"production\"\n  imageTag", "\"prod\"\n  imageTag"),
            "E200",
            8,
        ),
        case(
            "unknown nested field",
            TENANT,
            tenant("    cpuLimit: \"2\"", "    cpuLimt: \"2\""),
            "E201",
            20,
        ),
        case(
            "wrong kind",
            TENANT,
            tenant("kind: Tenant", "kind: Tenants"),
            "E200",
            2,
        ),
        case(
            "wrong apiVersion",
            TENANT,
            tenant("shop.pilab.hu/v1alpha1", "shop.pilab.hu/v1"),
            "E200",
            1,
        ),
        case(
            "name differs from tenantId",
            TENANT,
            tenant("  name: customer-shop-1\n", "  name: customer-shop\n"),
            "E307",
            4,
        ),
        case(
            "image tag with a colon",
            TENANT,
            tenant("\"v1.2.3\"", "\"v1.2.3:x\""),
            "E200",
            9,
        ),
        case(
            "service name in capitals",
            TENANT,
            tenant("    - \"api\"", "    - \"API\""),
            "E200",
            14,
        ),
        case(
            "config: unknown key",
            CONFIG,
            format!("{config}colour: blue\n"),
            "E201",
            config.lines().count() + 1,
        ),
        case(
            "config: replicas as text",
            CONFIG,
            config_edit("replicas: 1", "replicas: \"one\""),
            "E203",
            24,
        ),
        case(
            "config: tier request over limit",
            CONFIG,
            config_edit(
                "discord_memory_request: \"64Mi\"",
                "discord_memory_request: \"1Gi\"",
            ),
            "E301",
            26,
        ),
        case(
            "config: applicationsSync typo",
            CONFIG,
            config_edit(
                "applicationsSync: create-update",
                "applicationsSync: create-updte",
            ),
            "E200",
            14,
        ),
        case(
            "config: tier without overlay",
            CONFIG,
            config_edit("  pro:\n", "  gold:\n"),
            "E305",
            34,
        ),
    ]
}

#[test]
fn every_bad_file_gets_a_located_coded_error_and_changes_nothing() {
    let world = World::new();
    world.platform_with_remote();
    let config = world.read(CONFIG);
    let cases = cases(&config);
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let target = world.platform().join(case.path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, &case.content).unwrap();
        let status_before = world.git(&["status", "--porcelain", "--untracked-files=all"]);
        let started = Instant::now();
        let out = world.tenantctl(&["validate", "--format", "json"]);
        let took = started.elapsed();
        let status_after = world.git(&["status", "--porcelain", "--untracked-files=all"]);
        let findings: Vec<serde_json::Value> =
            serde_json::from_slice(&out.stdout).unwrap_or_default();
        let hit = findings
            .iter()
            .any(|d| d["file"] == case.path && d["code"] == case.code && d["line"] == case.line);
        if out.status.code() != Some(1)
            || !hit
            // A hang guard, not a speed target (those are in `make bench`): alias bombs and
            // huge files must be refused, not chewed on.
            || took > Duration::from_secs(20)
            || status_before != status_after
        {
            failures.push(format!(
                "{}: exit {:?} in {took:?}, wanted {} at {}:{}, got {}{}",
                case.name,
                out.status.code(),
                case.code,
                case.path,
                case.line,
                findings
                    .iter()
                    .map(|d| format!("{}:{} {}", d["file"], d["line"], d["code"]))
                    .collect::<Vec<_>>()
                    .join(", "),
                text(&out.stderr)
            ));
        }
        world.git(&["checkout", "--", "."]);
        world.git(&["clean", "-fdq"]);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn hostile_files_stay_within_a_memory_bound() {
    let world = World::new();
    world.platform_with_remote();
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    world.write(GUILD, bomb);
    world.write(
        "guilds/guild-2.yaml",
        &format!("guild_id: {}\n", "[".repeat(100_000)),
    );
    // 1 GiB of address space is far more than tenantctl needs, and far less than a bomb takes.
    let binary = assert_cmd::cargo::cargo_bin!("tenantctl");
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            &format!("ulimit -v 1048576; exec '{}' validate", binary.display()),
        ])
        .current_dir(world.platform())
        .env("HOME", world.home())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("guilds/guild-1.yaml:") && stderr.contains("guilds/guild-2.yaml:"),
        "{stderr}"
    );
}
