//! Validation output for CI: JSON carries the same findings as human output, GitHub workflow
//! commands and JUnit XML are well-formed; `validate --manifests` runs the real kustomize and
//! judges every manifest against kubeconform-style schemas (and CRDs).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{World, fails_with, ok, require_tool, text};

fn broken_world() -> World {
    let world = World::new();
    world.platform_with_remote();
    world.write(
        "guilds/guild-1.yaml",
        "guild_id: \"1\"\ntier: \"free\"\nbackend_cpu_limt: \"1\"\n",
    );
    world.write("guilds/guild-2.yaml", "guild_id: \"2\"\ntier: no\n");
    world.write(
        "guilds/guild-3.yaml",
        "guild_id: \"3\"\ntier: \"free\"\nbackend_memory_limit: \"1 Gi\"\n",
    );
    world
}

#[test]
fn json_has_the_same_findings_as_human_output() {
    let world = broken_world();
    let human = fails_with(&world.tenantctl(&["validate"]), 1);
    let out = world.tenantctl(&["validate", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON output parses");
    assert!(json.len() >= 3);
    for finding in &json {
        let keys: Vec<&String> = finding.as_object().unwrap().keys().collect();
        for key in ["file", "line", "column", "code", "severity", "message"] {
            assert!(keys.iter().any(|k| *k == key), "{key} in {finding}");
        }
        let header = format!(
            "{}:{}:{}: {}[{}]: {}",
            finding["file"].as_str().unwrap(),
            finding["line"],
            finding["column"],
            finding["severity"].as_str().unwrap(),
            finding["code"].as_str().unwrap(),
            finding["message"].as_str().unwrap()
        );
        assert!(
            human.contains(&header),
            "`{header}` in human output:\n{human}"
        );
    }
    let human_count = human
        .lines()
        .filter(|l| l.contains(": error[") || l.contains(": warning["))
        .count();
    assert_eq!(human_count, json.len(), "the same number of findings");
}

#[test]
fn github_output_is_workflow_commands() {
    let world = broken_world();
    let out = world.tenantctl(&["validate", "--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() >= 3, "{stdout}");
    for line in &lines {
        // ::error file=F,line=L,col=C,title=T::message  (no raw newline inside a command)
        let (command, message) = line
            .split_once("::")
            .and_then(|(empty, rest)| {
                assert!(empty.is_empty(), "{line}");
                rest.split_once("::")
            })
            .unwrap_or_else(|| panic!("not a workflow command: {line}"));
        let (level, properties) = command.split_once(' ').unwrap();
        assert!(level == "error" || level == "warning", "{line}");
        let keys: Vec<&str> = properties
            .split(',')
            .map(|p| p.split_once('=').unwrap().0)
            .collect();
        assert_eq!(keys, ["file", "line", "col", "title"], "{line}");
        assert!(!message.is_empty());
    }
    assert!(stdout.contains("::error file=guilds/guild-1.yaml,line=3,col=1,title=E201::unknown field `backend_cpu_limt`%0Ahelp: did you mean `backend_cpu_limit`?"), "{stdout}");
}

#[test]
fn junit_output_has_a_test_case_per_file_and_a_failure_per_error() {
    let world = broken_world();
    let out = world.tenantctl(&["validate", "--format", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = text(&out.stdout);
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"),
        "{xml}"
    );
    assert_eq!(
        xml.matches("<testcase ").count(),
        4,
        "tenantctl.yaml and three guild files: {xml}"
    );
    assert_eq!(xml.matches("</testcase>").count(), 4);
    assert!(
        xml.contains("<testcase classname=\"tenantctl\" name=\"guilds/guild-1.yaml\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<failure type=\"E201\" message=\"unknown field `backend_cpu_limt`\">"),
        "{xml}"
    );
    assert!(xml.contains("tests=\"4\" failures=\"3\""), "{xml}");
    assert!(
        !xml.contains("<failure type=\"E201\" message=\"unknown field `backend_cpu_limt`\"><"),
        "escaped body"
    );
}

fn shared_schemas() -> (PathBuf, PathBuf) {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas");
    (
        shared.join("kubernetes/v1.37.0-standalone-strict"),
        shared.join("argocd"),
    )
}

/// The schemas the kubernetes-validate pip package carries (with `$ref`s into `_definitions.json`).
fn kubernetes_validate_schemas() -> PathBuf {
    require_tool("kubernetes-validate", "pip install kubernetes-validate");
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import kubernetes_validate, os; print(os.path.dirname(kubernetes_validate.__file__))",
        ])
        .output()
        .unwrap();
    PathBuf::from(text(&out.stdout).trim()).join("kubernetes-json-schema/v1.30.0-local-strict")
}

/// The shared strict schemas first, the Argo CD CRDs, then kubernetes-validate's for the rest
/// (the CustomResourceDefinition kind).
fn manifests_args<'a>(kubernetes: &'a Path, argocd: &'a Path, package: &'a Path) -> Vec<&'a str> {
    vec![
        "validate",
        "--manifests",
        "--schema-dir",
        kubernetes.to_str().unwrap(),
        "--schema-dir",
        argocd.to_str().unwrap(),
        "--schema-dir",
        package.to_str().unwrap(),
    ]
}

#[test]
fn manifests_of_every_overlay_pass_the_shared_schemas() {
    require_tool("kubectl", "see https://kubernetes.io/docs/tasks/tools/");
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "pro", "--no-push"]));
    world.write(
        "tenants/customer-shop-1.yaml",
        include_str!("../fixtures/tenant/seed-example.yaml"),
    );
    ok(&world.tenantctl(&["render"]));
    let (kubernetes, argocd) = shared_schemas();
    let package = kubernetes_validate_schemas();
    let out = ok(&world.tenantctl(&manifests_args(&kubernetes, &argocd, &package)));
    // 18 from the guild (7 + quota, limit range, six network policies, the bot's account, Role
    // and RoleBinding; the 7: two Deployments, a Service, the tier's ConfigMap, two
    // PodDisruptionBudgets and the backend's HPA), 31 from the tenant, 2 ApplicationSets,
    // 5 AppProjects and the CRD.
    assert!(out.contains("57 manifests checked"), "{out}");
}

#[test]
fn manifests_catch_a_broken_template() {
    require_tool("kubectl", "see https://kubernetes.io/docs/tasks/tools/");
    let world = World::new();
    world.platform_with_remote();
    world.write(
        "tenants/customer-shop-1.yaml",
        include_str!("../fixtures/tenant/seed-example.yaml"),
    );
    let template = world.read("templates/tenant/services.yaml.j2").replace(
        "spec:\n{% if t.autoscaled %}",
        "spec:\n  replicaz: 1\n{% if t.autoscaled %}",
    );
    world.write("templates/tenant/services.yaml.j2", &template);
    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["validate"]));
    let (kubernetes, argocd) = shared_schemas();
    let package = kubernetes_validate_schemas();
    let out = fails_with(
        &world.tenantctl(&manifests_args(&kubernetes, &argocd, &package)),
        1,
    );
    assert!(out.contains("kustomize/tenants/customer-shop-1/kustomization.yaml:1:1: error[E401]: Deployment api: /spec"), "{out}");
    assert!(out.contains("replicaz"), "{out}");
}

#[test]
fn manifests_since_a_revision_build_only_what_changed() {
    require_tool("kubectl", "see https://kubernetes.io/docs/tasks/tools/");
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "free", "--no-push"]));
    let base = world.git(&["rev-parse", "HEAD"]).trim().to_string();
    ok(&world.tenantctl(&[
        "update-guild",
        "2",
        "--set",
        "backend_cpu_limit=1",
        "--no-push",
    ]));
    let out = ok(&world.tenantctl(&["validate", "--manifests", "--since", &base]));
    // guild-2's overlay (4 resources of the free tier, 8 of its isolation, 3 of its leader
    // election) and the 8 documents always checked (2 ApplicationSets, 5 AppProjects, the CRD).
    assert!(out.contains("23 manifests checked"), "{out}");
    let out = ok(&world.tenantctl(&["validate", "--manifests"]));
    assert!(out.contains("38 manifests checked"), "{out}");
    let out = fails_with(
        &world.tenantctl(&["validate", "--manifests", "--since", "no-such-branch"]),
        2,
    );
    assert!(out.contains("no git revision `no-such-branch`"), "{out}");
}

#[test]
fn manifests_need_kustomize_or_kubectl() {
    let world = World::new();
    world.platform_with_remote();
    let binary = assert_cmd::cargo::cargo_bin!("tenantctl");
    let out = std::process::Command::new(binary)
        .args(["validate", "--manifests"])
        .current_dir(world.platform())
        .env("HOME", world.home())
        .env("PATH", world.path())
        .output()
        .unwrap();
    let all = fails_with(&out, 2);
    assert!(all.contains("needs kustomize or kubectl on PATH"), "{all}");
}

#[test]
fn schema_prints_the_repo_s_schema() {
    let world = World::new();
    world.platform_with_remote();
    for which in ["guild", "tenant", "config"] {
        let printed: Value =
            serde_json::from_str(&ok(&world.tenantctl(&["schema", which]))).unwrap();
        let on_disk: Value =
            serde_json::from_str(&world.read(&format!("schemas/{which}.schema.json"))).unwrap();
        assert_eq!(printed, on_disk, "{which}");
    }
}

#[test]
fn kubernetes_validate_schemas_alone_judge_every_kind() {
    require_tool("kubectl", "see https://kubernetes.io/docs/tasks/tools/");
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "pro", "--no-push"]));
    let package = kubernetes_validate_schemas();
    let (_, argocd) = shared_schemas();
    let out = ok(&world.tenantctl(&[
        "validate",
        "--manifests",
        "--schema-dir",
        package.to_str().unwrap(),
        "--schema-dir",
        argocd.to_str().unwrap(),
    ]));
    // The pro guild's 18, 2 ApplicationSets, 5 AppProjects, the CRD.
    assert!(out.contains("26 manifests checked"), "{out}");
}
