//! The tenant lifecycle in git: create (flags or file), update, suspend, resume, rollout and
//! delete are each one validated, rendered commit, pushed; plus `crd` and `migrate prstack`.

use std::process::Command;

use serde_json::Value;

use crate::support::{World, fails_with, kustomize_build, ok, parse_yaml, require_tool, text};

const SEED: &str = include_str!("../fixtures/tenant/seed-example.yaml");

fn create_seed_by_flags(world: &World) -> String {
    ok(&world.tenantctl(&[
        "create-tenant",
        "customer-shop-1",
        "--type",
        "production",
        "--image-tag",
        "v1.2.3",
        "--domain",
        "shop.customer.com",
        "--tls-secret",
        "customer-shop-tls",
        "--services",
        "api,frontend,worker,scheduler",
        "--cpu-limit",
        "2",
        "--memory-limit",
        "4Gi",
        "--storage-limit",
        "20Gi",
        "--backup-schedule",
        "0 2 * * *",
        "--backup-retention",
        "30d",
        "--customer-name",
        "Customer Shop Inc.",
        "--customer-email",
        "admin@customer.com",
        "--billing-tier",
        "premium",
        "--feature",
        "advanced-analytics",
        "--feature",
        "custom-themes",
        "--feature",
        "api-access",
        "--environment",
        "production",
    ]))
}

fn spec_of(text: &str) -> Value {
    parse_yaml(text)["spec"].clone()
}

fn last_commit_files(world: &World) -> Vec<String> {
    world
        .git(&["show", "--name-only", "--format=", "HEAD"])
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn create_by_flags_equals_the_seed_example_and_is_pushed() {
    let world = World::new();
    world.platform_with_remote();
    let out = create_seed_by_flags(&world);
    assert!(out.contains("pushed main to origin"), "{out}");
    let written = world.remote_file("tenants/customer-shop-1.yaml");
    assert_eq!(
        spec_of(&written),
        spec_of(SEED),
        "the flags describe the seed's example exactly"
    );
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Add tenant customer-shop-1 (production)"
    );
    assert!(
        world
            .remote_files()
            .contains(&"kustomize/tenants/customer-shop-1/resources.yaml".to_string())
    );
    let listed: Value = serde_json::from_str(&ok(
        &world.tenantctl(&["list", "--kind", "tenant", "-o", "json"])
    ))
    .unwrap();
    assert_eq!(listed[0]["namespace"], "tenant-customer-shop-1-production");
    assert_eq!(listed[0]["active"], true);
    let status = ok(&world.tenantctl(&["status", "customer-shop-1"]));
    for line in [
        "type       production",
        "namespace  tenant-customer-shop-1-production",
        "domain     shop.customer.com",
        "backups    enabled",
        "is current",
        "git        pushed",
    ] {
        assert!(status.contains(line), "`{line}` in:\n{status}");
    }
}

#[test]
fn create_from_file_keeps_the_file_as_written() {
    let world = World::new();
    world.platform_with_remote();
    let manifest = world.path().join("shop.yaml");
    std::fs::write(&manifest, format!("# our biggest customer\n{SEED}")).unwrap();
    ok(&world.tenantctl(&["create-tenant", "--from-file", manifest.to_str().unwrap()]));
    assert_eq!(
        world.read("tenants/customer-shop-1.yaml"),
        format!("# our biggest customer\n{SEED}")
    );
    let out = fails_with(
        &world.tenantctl(&["create-tenant", "--from-file", manifest.to_str().unwrap()]),
        1,
    );
    assert!(
        out.contains("error[E317]: tenant customer-shop-1 already exists"),
        "{out}"
    );
    let bad = world.path().join("bad.yaml");
    std::fs::write(
        &bad,
        SEED.replace("customer-shop-1", "bad-shop")
            .replace("\"production\"\n  imageTag", "\"prod\"\n  imageTag"),
    )
    .unwrap();
    let out = fails_with(
        &world.tenantctl(&["create-tenant", "--from-file", bad.to_str().unwrap()]),
        1,
    );
    assert!(
        out.contains("tenants/bad-shop.yaml:8:15: error[E200]"),
        "{out}"
    );
    assert!(
        !world.platform().join("tenants/bad-shop.yaml").exists(),
        "nothing written"
    );
}

#[test]
fn suspend_scales_everything_to_zero_and_resume_restores_it() {
    let world = World::new();
    world.platform_with_remote();
    create_seed_by_flags(&world);
    let before = world.read("kustomize/tenants/customer-shop-1/resources.yaml");
    ok(&world.tenantctl(&["suspend-tenant", "customer-shop-1"]));
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Suspend tenant customer-shop-1"
    );
    assert_eq!(
        spec_of(&world.remote_file("tenants/customer-shop-1.yaml"))["active"],
        false
    );
    let built = kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    let deployments: Vec<&Value> = built.iter().filter(|m| m["kind"] == "Deployment").collect();
    assert_eq!(deployments.len(), 4);
    assert!(
        deployments.iter().all(|d| d["spec"]["replicas"] == 0),
        "replicas 0 everywhere"
    );
    assert!(
        !built.iter().any(|m| m["kind"] == "HorizontalPodAutoscaler"),
        "no autoscaler to scale a suspended tenant up"
    );
    ok(&world.tenantctl(&["resume-tenant", "customer-shop-1"]));
    assert_eq!(
        world.read("kustomize/tenants/customer-shop-1/resources.yaml"),
        before,
        "resume restores the same manifests"
    );
    let resumed = kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    assert!(
        resumed
            .iter()
            .any(|m| m["kind"] == "HorizontalPodAutoscaler")
    );
}

#[test]
fn rollout_changes_only_the_deployed_at_annotation() {
    let world = World::new();
    world.platform_with_remote();
    create_seed_by_flags(&world);
    let before = kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    ok(&world.tenantctl(&["rollout", "customer-shop-1"]));
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Roll out tenant customer-shop-1"
    );
    assert_eq!(
        last_commit_files(&world),
        [
            "kustomize/tenants/customer-shop-1/resources.yaml",
            "tenants/customer-shop-1.yaml"
        ]
    );
    let deployed_at = spec_of(&world.read("tenants/customer-shop-1.yaml"))["deployedAt"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        deployed_at.ends_with('Z') && deployed_at.len() == 20,
        "{deployed_at}"
    );
    let mut after = kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    for manifest in after.iter_mut().filter(|m| m["kind"] == "Deployment") {
        let annotations = manifest["spec"]["template"]["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("annotations")
            .unwrap();
        assert_eq!(
            annotations["shop.pilab.hu/deployed-at"],
            deployed_at.as_str()
        );
        assert_eq!(annotations.as_object().unwrap().len(), 1);
    }
    assert_eq!(before, after, "nothing else changed");
}

#[test]
fn update_changes_the_named_fields_only() {
    let world = World::new();
    world.platform_with_remote();
    create_seed_by_flags(&world);
    ok(&world.tenantctl(&["update-tenant", "customer-shop-1", "--image-tag", "v1.2.4"]));
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Update tenant customer-shop-1 (imageTag=v1.2.4)"
    );
    let mut expected = spec_of(SEED);
    expected["imageTag"] = "v1.2.4".into();
    assert_eq!(
        spec_of(&world.remote_file("tenants/customer-shop-1.yaml")),
        expected
    );
    let out = fails_with(
        &world.tenantctl(&[
            "update-tenant",
            "customer-shop-1",
            "--domain",
            "*.customer.com",
        ]),
        1,
    );
    assert!(
        out.contains("error[E309]") && out.contains("wildcard"),
        "{out}"
    );
    let out = fails_with(
        &world.tenantctl(&["update-tenant", "customer-shop-l", "--image-tag", "v2"]),
        2,
    );
    assert!(out.contains("did you mean customer-shop-1?"), "{out}");
}

#[test]
fn deleting_a_tenant_with_backups_needs_confirmation() {
    let world = World::new();
    world.platform_with_remote();
    create_seed_by_flags(&world);
    let out = fails_with(&world.tenantctl(&["delete-tenant", "customer-shop-1"]), 2);
    assert!(out.contains("--yes"), "{out}");
    assert!(
        world
            .platform()
            .join("tenants/customer-shop-1.yaml")
            .exists()
    );
    let out = ok(&world.tenantctl(&["delete-tenant", "customer-shop-1", "--yes"]));
    assert!(
        out.contains("namespace tenant-customer-shop-1-production"),
        "says what Argo CD does with the namespace: {out}"
    );
    assert!(
        !world
            .remote_files()
            .iter()
            .any(|f| f.contains("customer-shop-1"))
    );
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Delete tenant customer-shop-1 (production)"
    );
}

#[test]
fn the_crd_installs_as_is_and_accepts_the_seed_example() {
    let validator = require_tool("kubernetes-validate", "pip install kubernetes-validate");
    let checker = require_tool("check-jsonschema", "pip install check-jsonschema");
    let world = World::new();
    world.platform_with_remote();
    let crd_text = ok(&world.tenantctl(&["crd"]));
    assert_eq!(
        crd_text,
        world.read("kustomize/crds/tenant-crd.yaml"),
        "render keeps the committed CRD current"
    );
    let crd_file = world.path().join("crd.yaml");
    std::fs::write(&crd_file, &crd_text).unwrap();
    let out = Command::new(validator)
        .args(["--strict", "-k", "1.30.0"])
        .arg(&crd_file)
        .output()
        .unwrap();
    assert!(
        out.status.success() && text(&out.stdout).contains("passed"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let crd = parse_yaml(&crd_text);
    let version = &crd["spec"]["versions"][0];
    assert_eq!(version["subresources"]["status"], serde_json::json!({}));
    let columns: Vec<&str> = version["additionalPrinterColumns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["Type", "Active", "Domain", "Phase", "Age"]);
    let schema = &version["schema"]["openAPIV3Schema"];
    assert_eq!(
        schema["properties"]["status"]["properties"]["phase"]["enum"],
        serde_json::json!([
            "Initialization",
            "Provisioning",
            "Deployment",
            "Running",
            "Cleaning"
        ])
    );
    let schema_file = world.path().join("openapi.json");
    std::fs::write(&schema_file, schema.to_string()).unwrap();
    let example = world.path().join("example.yaml");
    std::fs::write(&example, SEED).unwrap();
    let out = Command::new(&checker)
        .arg("--schemafile")
        .arg(&schema_file)
        .arg(&example)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the seed example against the CRD: {}",
        text(&out.stdout)
    );
    std::fs::write(
        &example,
        SEED.replace("\"production\"\n  imageTag", "\"prod\"\n  imageTag"),
    )
    .unwrap();
    let out = Command::new(&checker)
        .arg("--schemafile")
        .arg(&schema_file)
        .arg(&example)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the CRD's schema rejects what the file schema rejects"
    );
}

#[test]
fn migrate_prstack_keeps_the_namespace_and_reports_what_it_drops() {
    let world = World::new();
    world.platform_with_remote();
    let prstack = world.path().join("prstack.yaml");
    std::fs::write(
        &prstack,
        "apiVersion: shop.pilab.hu/v1alpha1\nkind: PRStack\nmetadata:\n  name: pr-42\n  namespace: default\nspec:\n  prNumber: 42\n  imageTag: pr-42-abc123\n  active: false\n  githubRepo: pilab/pishop\n  mongoURI: mongodb://mongo.db:27017\n  resourceLimits:\n    cpuLimit: \"1\"\n    memoryLimit: 2Gi\n    storageLimit: 5Gi\n  backupConfig:\n    enabled: true\n    schedule: \"0 3 * * *\"\n    retention: 7d\n    restoreFrom: snap-1\nstatus:\n  phase: Running\n",
    )
    .unwrap();
    let out = ok(&world.tenantctl(&["migrate", "prstack", prstack.to_str().unwrap()]));
    assert!(
        out.contains("not carried over: spec.githubRepo = \"pilab/pishop\""),
        "{out}"
    );
    assert!(
        out.contains("not carried over: spec.backupConfig.restoreFrom"),
        "{out}"
    );
    assert!(out.contains("not carried over: status"), "{out}");
    let listed: Value = serde_json::from_str(&ok(
        &world.tenantctl(&["list", "--kind", "tenant", "-o", "json"])
    ))
    .unwrap();
    assert_eq!(listed[0]["tenant_id"], "pr-42");
    assert_eq!(listed[0]["namespace"], "pr-42-shop-pilab-hu");
    assert_eq!(listed[0]["tenant_type"], "development");
    assert_eq!(listed[0]["active"], false);
    let spec = spec_of(&world.read("tenants/pr-42.yaml"));
    assert_eq!(spec["imageTag"], "pr-42-abc123");
    assert_eq!(spec["resourceLimits"]["memoryLimit"], "2Gi");
    assert_eq!(spec["backupConfig"]["schedule"], "0 3 * * *");
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Migrate PRStack pr-42 to tenant pr-42"
    );
    let built = kustomize_build(&world, "kustomize/tenants/pr-42");
    assert!(
        built.iter().all(
            |m| m["kind"] == "Namespace" || m["metadata"]["namespace"] == "pr-42-shop-pilab-hu"
        )
    );
}
