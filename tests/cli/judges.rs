//! Judges from the field on what tenantctl renders (issue 11): checkov's Kubernetes checks
//! (PyPI) with no finding outside `tests/judges/checkov-allowlist.yaml`, and the Pod Security
//! Standards baseline and restricted rules of `@monokle/validation` (npm), run offline by
//! `tests/judges/pod-security.mjs`, with zero violations. Both judge the built overlays of the
//! fleet in `capacity.rs`: the seed example, a guild of each tier and a tenant of each type.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::capacity::{build_fleet_into, fleet};
use crate::support::{parse_yaml, require_tool, text};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `pattern` with `*` matching any run of characters.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = parts.split_first().unwrap();
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    for (i, part) in rest.iter().enumerate() {
        if i == rest.len() - 1 {
            return remaining.ends_with(part);
        }
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.is_empty()
}

#[test]
fn glob_patterns_match_as_the_allowlist_means() {
    assert!(glob_matches("*", "Deployment.a.b"));
    assert!(glob_matches(
        "Deployment.guild-*.discord-bot",
        "Deployment.guild-2.discord-bot"
    ));
    assert!(!glob_matches(
        "Deployment.guild-*.discord-bot",
        "Deployment.guild-2.backend"
    ));
    assert!(glob_matches(
        "*.tenant-*",
        "CronJob.tenant-x-staging.backup"
    ));
    assert!(!glob_matches("*.tenant-*", "Deployment.guild-1.backend"));
}

#[test]
fn checkov_finds_nothing_outside_the_allowlist_and_every_entry_is_needed() {
    let checkov = require_tool("checkov", "pip install checkov (make test installs it)");
    let world = fleet();
    let dir = world.path().join("built");
    let files = build_fleet_into(&world, &dir);
    assert_eq!(files.len(), 5);
    // Files, not the directory: checkov skips directories whose name starts with a dot, as the
    // temporary ones do.
    let mut command = Command::new(checkov);
    command.args(["--framework", "kubernetes", "--output", "json"]);
    for file in &files {
        command.arg("--file").arg(file);
    }
    let out = command.output().expect("run checkov");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON ({e}): {}{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    let report = report.as_array().map_or(&report, |runs| &runs[0]);
    let summary = &report["summary"];
    assert_eq!(summary["parsing_errors"], 0, "{summary}");
    assert!(
        summary["resource_count"].as_u64().unwrap() >= 60,
        "checkov saw every built object: {summary}"
    );
    assert!(summary["passed"].as_u64().unwrap() > 500, "{summary}");

    let allowlist = parse_yaml(
        &std::fs::read_to_string(repo().join("tests/judges/checkov-allowlist.yaml")).unwrap(),
    );
    let entries = allowlist.as_array().unwrap();
    for entry in entries {
        assert!(
            entry["reason"].as_str().is_some_and(|r| r.len() > 20),
            "every allowlist entry says why: {entry}"
        );
    }
    let mut used = vec![false; entries.len()];
    let mut unexplained = Vec::new();
    for failed in report["results"]["failed_checks"].as_array().unwrap() {
        let check = failed["check_id"].as_str().unwrap();
        let resource = failed["resource"].as_str().unwrap();
        let allowed = entries.iter().position(|e| {
            e["check"] == check && glob_matches(e["resource"].as_str().unwrap(), resource)
        });
        match allowed {
            Some(i) => used[i] = true,
            None => unexplained.push(format!(
                "{check} {resource}: {}",
                failed["check_name"].as_str().unwrap_or_default()
            )),
        }
    }
    assert!(
        unexplained.is_empty(),
        "checkov findings outside the allowlist:\n{}",
        unexplained.join("\n")
    );
    let stale: Vec<&Value> = entries
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(e, _)| e)
        .collect();
    assert!(
        stale.is_empty(),
        "allowlist entries nothing needs: {stale:?}"
    );
}

#[test]
fn monokle_finds_no_pod_security_violation_and_does_find_a_bad_pod() {
    let node = require_tool("node", "install Node.js");
    assert!(
        repo().join("node_modules/@monokle/validation").is_dir(),
        "run `make test` (npm ci) to install @monokle/validation"
    );
    let script = repo().join("tests/judges/pod-security.mjs");
    let world = fleet();
    let dir = world.path().join("built");
    let files = build_fleet_into(&world, &dir);
    let out = Command::new(&node)
        .arg(&script)
        .args(&files)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "pod security violations:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let summary = text(&out.stderr);
    assert!(summary.contains("17 rules, 0 violations"), "{summary}");

    // The judge can fail: a pod as Kubernetes' defaults leave it.
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad, namespace: x}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n        - {name: c, image: \"nginx:1.27\"}\n",
    )
    .unwrap();
    let out = Command::new(&node)
        .arg(&script)
        .arg(&bad)
        .output()
        .expect("run node");
    assert_eq!(out.status.code(), Some(1));
    let found = text(&out.stdout);
    for rule in ["PSS202", "PSS203", "PSS205", "PSS206"] {
        assert!(found.contains(rule), "{rule} in {found}");
    }
}
