//! Tenants: the seed's example Tenant validates unchanged, renders to manifests that
//! `kubectl kustomize` builds and `kubernetes-validate --strict` accepts, and every rule of the
//! tenant issue gives an error at the right file, line and code.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{
    World, fails_with, kubernetes_validate_overlay, kustomize_build, ok, parse_yaml, require_tool,
    text,
};

const SEED: &str = include_str!("../fixtures/tenant/seed-example.yaml");

fn with_seed_tenant() -> World {
    let world = World::new();
    world.platform_with_remote();
    world.write("tenants/customer-shop-1.yaml", SEED);
    ok(&world.tenantctl(&["render"]));
    world
}

fn of_kind<'a>(manifests: &'a [Value], kind: &str) -> Vec<&'a Value> {
    manifests.iter().filter(|m| m["kind"] == kind).collect()
}

#[test]
fn the_seed_example_validates_and_builds_as_designed() {
    let world = with_seed_tenant();
    ok(&world.tenantctl(&["validate"]));
    let manifests = kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    let namespace = "tenant-customer-shop-1-production";
    assert_eq!(
        of_kind(&manifests, "Namespace")[0]["metadata"]["name"],
        namespace
    );
    for manifest in manifests.iter().filter(|m| m["kind"] != "Namespace") {
        assert_eq!(manifest["metadata"]["namespace"], namespace, "{manifest}");
    }
    let deployments = of_kind(&manifests, "Deployment");
    assert_eq!(deployments.len(), 4);
    for deployment in &deployments {
        let image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap();
        assert!(image.ends_with(":v1.2.3"), "{image}");
        assert!(
            deployment["spec"].get("replicas").is_none(),
            "the HPA owns the replica count: {deployment}"
        );
    }
    for hpa in of_kind(&manifests, "HorizontalPodAutoscaler") {
        assert_eq!(hpa["spec"]["minReplicas"], 2, "production runs at least 2");
    }
    let ingress = of_kind(&manifests, "Ingress")[0];
    assert_eq!(ingress["spec"]["rules"][0]["host"], "shop.customer.com");
    assert_eq!(ingress["spec"]["tls"][0]["secretName"], "customer-shop-tls");
    assert_eq!(ingress["spec"]["tls"][0]["hosts"][0], "shop.customer.com");
    let quota = &of_kind(&manifests, "ResourceQuota")[0]["spec"]["hard"];
    assert_eq!(
        (
            quota["limits.cpu"].as_str(),
            quota["limits.memory"].as_str()
        ),
        (Some("2"), Some("4Gi"))
    );
    assert_eq!(quota["requests.storage"], "20Gi");
    assert_eq!(of_kind(&manifests, "LimitRange").len(), 1);
    let cron = of_kind(&manifests, "CronJob")[0];
    assert_eq!(cron["spec"]["schedule"], "0 2 * * *");
    let args = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(args[1], "30d", "retention is passed on");
    let policies: Vec<&str> = of_kind(&manifests, "NetworkPolicy")
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        policies,
        [
            "allow-data-services-egress",
            "allow-dns-egress",
            "allow-ingress-controller",
            "allow-same-namespace",
            "allow-same-namespace-egress",
            "default-deny-egress",
            "default-deny-ingress"
        ]
    );
    // The pods run as their own account, with no token and no Role to use one with.
    let account = of_kind(&manifests, "ServiceAccount");
    assert_eq!(account.len(), 1);
    assert_eq!(account[0]["automountServiceAccountToken"], false);
    assert!(of_kind(&manifests, "Role").is_empty());
    assert!(of_kind(&manifests, "RoleBinding").is_empty());
    assert_eq!(of_kind(&manifests, "PodDisruptionBudget").len(), 4);
    assert_eq!(of_kind(&manifests, "HorizontalPodAutoscaler").len(), 4);
    let config = &of_kind(&manifests, "ConfigMap")[0]["data"];
    assert_eq!(config["ENVIRONMENT"], "production");
    assert_eq!(config["FEATURE_ADVANCED_ANALYTICS"], "true");
    assert_eq!(config["MONGO_DATABASE"], "tenant_customer_shop_1");
    assert_eq!(config["NATS_SUBJECT_PREFIX"], "tenant.customer-shop-1.");
    assert_eq!(config["REDIS_KEY_PREFIX"], "tenant:customer-shop-1:");
    let labels = &of_kind(&manifests, "Namespace")[0]["metadata"]["labels"];
    assert_eq!(labels["shop.pilab.hu/billing-tier"], "premium");
    assert_eq!(labels["shop.pilab.hu/tenant-type"], "production");
}

#[test]
fn every_tenant_and_guild_manifest_passes_kubernetes_validate_strict() {
    let world = with_seed_tenant();
    let minimal = "apiVersion: shop.pilab.hu/v1alpha1\nkind: Tenant\nmetadata:\n  name: tiny\nspec:\n  tenantId: tiny\n  tenantType: development\n  active: false\n";
    world.write("tenants/tiny.yaml", minimal);
    // A committing command renders from the commit: the hand-written tenant is rendered by
    // `render`, which works on the work tree.
    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "pro", "--no-push"]));
    for overlay in [
        "kustomize/tenants/customer-shop-1",
        "kustomize/tenants/tiny",
        "kustomize/guilds/guild-1",
    ] {
        let report = kubernetes_validate_overlay(&world, overlay);
        assert!(
            report.contains("passed for resource"),
            "{overlay}: {report}"
        );
    }
}

#[test]
fn the_tenants_application_set_validates_and_generates_one_application_per_tenant() {
    let checker = require_tool("check-jsonschema", "pip install check-jsonschema");
    let world = with_seed_tenant();
    let crd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schemas/argocd/applicationset-crd.yaml");
    let crd = parse_yaml(&std::fs::read_to_string(crd).unwrap());
    let schema = world.path().join("schema.json");
    std::fs::write(
        &schema,
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].to_string(),
    )
    .unwrap();
    let set = world
        .platform()
        .join("kustomize/argocd/tenants-applicationset.yaml");
    let out = Command::new(checker)
        .arg("--schemafile")
        .arg(&schema)
        .arg(&set)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stdout));
    // The tenant is not committed here: preview the work tree.
    let apps: Value =
        serde_json::from_str(&ok(&world.tenantctl(&["apps", "--worktree", "-o", "json"]))).unwrap();
    let tenant = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "tenant-customer-shop-1")
        .expect("tenant app");
    assert_eq!(tenant["namespace"], "tenant-customer-shop-1-production");
    assert_eq!(tenant["path"], "kustomize/tenants/customer-shop-1");
    assert_eq!(tenant["application_set"], "pishop-tenants");
}

/// One broken field at a time, on top of the seed example.
fn refused(edit: impl Fn(&str) -> String, expect: &[&str]) {
    let world = World::new();
    world.platform_with_remote();
    world.write("tenants/customer-shop-1.yaml", &edit(SEED));
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    for needle in expect {
        assert!(out.contains(needle), "expected `{needle}` in:\n{out}");
    }
}

#[test]
fn each_tenant_rule_names_file_line_and_code() {
    let f = "tenants/customer-shop-1.yaml";
    refused(
        |s| {
            s.replace(
                "  active: true\n",
                "  active: true\n  mongoPassword: \"hunter2\"\n",
            )
        },
        &[
            &format!("{f}:13:18: error[E310]: a plaintext mongoPassword would be stored in git"),
            "store the password encrypted with `tenantctl secret set customer-shop-1 mongo-password --stdin` (never on a command line, where shell history keeps it) and add `mongoPasswordSecretRef: {name: customer-shop-1-mongo-password, key: mongo-password}`",
        ],
    );
    refused(
        |s| {
            s.replace(
                "  active: true\n",
                "  active: true\n  mongoURI: \"mongodb://admin:pw@db:27017\"\n",
            )
        },
        &["error[E310]: mongoURI carries a password"],
    );
    refused(
        |s| {
            s.replace("  environment: \"production\"\n", "  environment: \"production\"\n  namespaceConfig:\n    pattern: \"{tenant}-{environment}\"\n")
        },
        &[&format!(
            "{f}:20:14: error[E308]: unknown placeholder `{{tenant}}`"
        )],
    );
    refused(
        |s| s.replace("\"shop.customer.com\"", "\"*.customer.com\""),
        &[&format!("{f}:10:17: error[E309]"), "wildcard"],
    );
    refused(
        |s| s.replace("\"shop.customer.com\"", "\"shop.customer.com:8443\""),
        &["without a port"],
    );
    refused(
        |s| s.replace("  customDomain: \"shop.customer.com\"\n", ""),
        &[&format!("{f}:10:25: error[E311]")],
    );
    refused(
        |s| s.replace("    - \"worker\"\n", "    - \"api\"\n"),
        &[&format!(
            "{f}:16:7: error[E312]: service `api` is listed twice"
        )],
    );
    refused(
        |s| s.replace("\"0 2 * * *\"", "\"0 2 * *\""),
        &[&format!("{f}:25:15: error[E313]"), "5 fields"],
    );
    refused(
        |s| s.replace("\"0 2 * * *\"", "\"0 25 * * *\""),
        &["the hour field `25`"],
    );
    refused(
        |s| s.replace("\"30d\"", "\"30 days\""),
        &[&format!("{f}:26:16: error[E200]")],
    );
    refused(
        |s| s.replace("\"admin@customer.com\"", "\"admin at customer\""),
        &[&format!("{f}:29:20: error[E314]")],
    );
    refused(
        |s| {
            s.replace(
                "  active: true\n",
                "  active: true\n  deployedAt: \"yesterday\"\n",
            )
        },
        &["error[E315]: deployedAt `yesterday` is not an RFC 3339 time"],
    );
    refused(
        |s| {
            s.replace(
                "    billingTier: \"premium\"\n",
                "    billingTier: \"premium\"\n    labels:\n      \"bad key!\": \"x\"\n",
            )
        },
        &["error[E316]: `bad key!` is not a valid label key"],
    );
    refused(
        |s| s.replace("  imageTag: \"v1.2.3\"", "  imageTag: \"v1.2.3:latest\""),
        &[&format!("{f}:9:13: error[E200]")],
    );
    refused(
        |s| s.replace("  tenantType: \"production\"", "  tenantType: \"prod\""),
        &[
            &format!("{f}:8:15: error[E200]"),
            "did you mean `production`?",
        ],
    );
    refused(
        |s| s.replace("    cpuLimit: \"2\"", "    cpuLimt: \"2\""),
        &[
            &format!("{f}:20:5: error[E201]: unknown field `cpuLimt`"),
            "did you mean `cpuLimit`?",
        ],
    );
    refused(
        |s| s.replace("    memoryLimit: \"4Gi\"", "    memoryLimit: \"4GB\""),
        &[&format!("{f}:21:18: error[E300]")],
    );
    refused(
        |s| s.replace("  name: customer-shop-1\n", "  name: customer-shop-2\n"),
        &["error[E307]: metadata.name `customer-shop-2` differs from spec.tenantId"],
    );
}

#[test]
fn tenants_may_not_share_an_id_namespace_or_domain() {
    let world = World::new();
    world.platform_with_remote();
    world.write("tenants/customer-shop-1.yaml", SEED);
    let twin = SEED.replace("customer-shop-1", "customer-shop-2");
    world.write("tenants/customer-shop-2.yaml", &twin);
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("tenants/customer-shop-2.yaml:10:17: error[E317]: customDomain `shop.customer.com` is already used by tenants/customer-shop-1.yaml"), "{out}");
    let same_namespace = twin.replace("  environment: \"production\"\n", "  environment: \"production\"\n  namespaceConfig:\n    pattern: \"tenant-customer-shop-1-{environment}\"\n").replace("shop.customer.com", "two.customer.com");
    world.write("tenants/customer-shop-2.yaml", &same_namespace);
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("error[E317]: namespace `tenant-customer-shop-1-production` is already used"),
        "{out}"
    );
}

#[test]
fn a_mongo_password_reference_is_rendered_as_secret_key_ref() {
    let world = World::new();
    world.platform_with_remote();
    let with_ref = SEED.replace(
        "  active: true\n",
        "  active: true\n  mongoURI: \"mongodb://mongo.db:27017\"\n  mongoUsername: \"shop\"\n  mongoPasswordSecretRef:\n    name: \"customer-shop-1-mongo\"\n    key: \"password\"\n",
    );
    world.write("tenants/customer-shop-1.yaml", &with_ref);
    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["validate"]));
    let manifests = kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    for deployment in of_kind(&manifests, "Deployment") {
        let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap();
        let password = env
            .iter()
            .find(|e| e["name"] == "MONGO_PASSWORD")
            .expect("MONGO_PASSWORD");
        assert_eq!(
            password["valueFrom"]["secretKeyRef"]["name"],
            "customer-shop-1-mongo"
        );
        assert_eq!(password["valueFrom"]["secretKeyRef"]["key"], "password");
    }
    let config = &of_kind(&manifests, "ConfigMap")[0]["data"];
    assert_eq!(config["MONGO_URI"], "mongodb://mongo.db:27017");
    assert!(
        !serde_json::to_string(config)
            .unwrap()
            .to_lowercase()
            .contains("password"),
        "no secret in the ConfigMap"
    );
}
