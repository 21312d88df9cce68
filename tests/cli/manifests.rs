//! What Argo CD would apply, judged by real tools: `kubectl kustomize` builds every overlay,
//! `kubernetes-validate --strict` accepts every manifest, and `check-jsonschema` accepts the
//! ApplicationSet against the upstream Argo CD CRD (made strict: no unknown fields).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{
    World, kubernetes_validate_overlay, kustomize_build, ok, parse_yaml, require_tool, text,
};

fn deployments(manifests: &[Value]) -> Vec<&Value> {
    manifests
        .iter()
        .filter(|m| m["kind"] == "Deployment")
        .collect()
}

#[test]
fn kustomize_builds_every_guild_overlay_with_the_guild_s_values() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "123456789", "--tier", "free", "--no-push"]));
    ok(&world.tenantctl(&[
        "create-guild",
        "987654321",
        "--tier",
        "pro",
        "--set",
        "backend_memory_limit=1Gi",
        "--no-push",
    ]));
    for (id, replicas) in [("123456789", 1), ("987654321", 2)] {
        let manifests = kustomize_build(&world, &format!("kustomize/guilds/guild-{id}"));
        let guild = parse_yaml(&world.read(&format!("guilds/guild-{id}.yaml")));
        for manifest in &manifests {
            assert_eq!(
                manifest["metadata"]["namespace"],
                format!("guild-{id}"),
                "{manifest}"
            );
            assert_eq!(manifest["metadata"]["labels"]["tenantctl.io/guild-id"], id);
        }
        let deployments = deployments(&manifests);
        assert_eq!(deployments.len(), 2);
        for deployment in deployments {
            if id == "987654321" && deployment["metadata"]["name"] == "backend" {
                // The pro tier autoscales the backend: its HPA alone owns the count.
                assert!(deployment["spec"]["replicas"].is_null(), "{deployment}");
            } else {
                assert_eq!(deployment["spec"]["replicas"], replicas);
            }
            let container = &deployment["spec"]["template"]["spec"]["containers"][0];
            let prefix = if container["name"] == "backend" {
                "backend"
            } else {
                "discord"
            };
            for (bound, key) in [("requests", "request"), ("limits", "limit")] {
                for resource in ["cpu", "memory"] {
                    assert_eq!(
                        container["resources"][bound][resource],
                        guild[format!("{prefix}_{resource}_{key}")],
                        "{id} {prefix} {bound}.{resource}"
                    );
                }
            }
            assert_eq!(container["env"][0]["value"], id, "GUILD_ID");
            if prefix == "discord" {
                assert_eq!(
                    container["env"][1]["valueFrom"]["secretKeyRef"]["name"],
                    format!("discord-secrets-{id}")
                );
                assert_eq!(
                    container["env"][1]["valueFrom"]["secretKeyRef"]["key"],
                    "token"
                );
            }
        }
        let pdbs = manifests
            .iter()
            .filter(|m| m["kind"] == "PodDisruptionBudget")
            .count();
        assert_eq!(
            pdbs,
            if replicas > 1 { 2 } else { 0 },
            "pro gets PodDisruptionBudgets"
        );
    }
}

#[test]
fn every_built_manifest_passes_kubernetes_validate_strict() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro", "--no-push"]));
    for id in ["1", "2"] {
        let report = kubernetes_validate_overlay(&world, &format!("kustomize/guilds/guild-{id}"));
        assert!(
            report.contains("passed for resource deployment/discord-bot"),
            "{report}"
        );
    }
}

/// The CRD's OpenAPI schema as strict JSON Schema: objects with listed properties and no
/// `x-kubernetes-preserve-unknown-fields` reject unknown keys, as kubeconform's strict mode does.
pub(crate) fn strict_crd_schema(crd: &Path) -> Value {
    let crd = parse_yaml(&std::fs::read_to_string(crd).expect("the vendored upstream CRD"));
    let mut schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
    fn tighten(node: &mut Value) {
        if let Value::Object(map) = node {
            let preserve =
                map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
            if map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && !preserve
            {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(tighten);
        } else if let Value::Array(items) = node {
            items.iter_mut().for_each(tighten);
        }
    }
    tighten(&mut schema);
    schema
}

fn check_application_set(world: &World, application_set: &Path) -> std::process::Output {
    let checker = require_tool("check-jsonschema", "pip install check-jsonschema");
    let crd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schemas/argocd/applicationset-crd.yaml");
    let schema = world.path().join("applicationset.schema.json");
    std::fs::write(
        &schema,
        serde_json::to_string(&strict_crd_schema(&crd)).unwrap(),
    )
    .unwrap();
    Command::new(checker)
        .arg("--schemafile")
        .arg(&schema)
        .arg(application_set)
        .output()
        .unwrap()
}

#[test]
fn rendered_application_set_validates_against_the_upstream_crd() {
    let world = World::new();
    world.platform_with_remote();
    let path = world
        .platform()
        .join("kustomize/argocd/applicationset.yaml");
    let out = check_application_set(&world, &path);
    assert!(
        out.status.success(),
        "check-jsonschema: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let set = parse_yaml(&world.read("kustomize/argocd/applicationset.yaml"));
    assert_eq!(set["metadata"]["name"], "frolf-bot-guilds");
    assert_eq!(set["spec"]["goTemplate"], true);
    assert_eq!(set["spec"]["goTemplateOptions"][0], "missingkey=error");
    assert_eq!(
        set["spec"]["generators"][0]["git"]["files"][0]["path"],
        "guilds/guild-*.yaml"
    );
    let template = &set["spec"]["template"];
    assert_eq!(template["metadata"]["name"], "guild-{{ .guild_id }}");
    assert_eq!(
        template["spec"]["destination"]["namespace"],
        "guild-{{ .guild_id }}"
    );
    assert_eq!(
        template["spec"]["source"]["path"],
        "kustomize/guilds/guild-{{ .guild_id }}"
    );
    assert_eq!(template["spec"]["syncPolicy"]["automated"]["prune"], true);
    assert_eq!(
        template["spec"]["syncPolicy"]["automated"]["selfHeal"],
        true
    );
    assert_eq!(
        template["spec"]["syncPolicy"]["syncOptions"][0],
        "CreateNamespace=true"
    );
    assert_eq!(
        set["spec"]["syncPolicy"]["preserveResourcesOnDeletion"],
        true
    );
    assert_eq!(
        set["spec"]["syncPolicy"]["applicationsSync"],
        "create-update"
    );
}

#[test]
fn the_crd_check_can_fail() {
    let world = World::new();
    world.platform_with_remote();
    let broken = world
        .read("kustomize/argocd/applicationset.yaml")
        .replace("goTemplateOptions:", "goTemplateOption:");
    let path = world.path().join("broken.yaml");
    std::fs::write(&path, broken).unwrap();
    let out = check_application_set(&world, &path);
    assert!(
        !out.status.success(),
        "an unknown field must be rejected: {}",
        text(&out.stdout)
    );
}

#[test]
fn unsafe_deletion_settings_add_the_resources_finalizer() {
    let world = World::new();
    world.platform_with_remote();
    let config = world.read("tenantctl.yaml").replace(
        "preserveResourcesOnDeletion: true",
        "preserveResourcesOnDeletion: false",
    );
    world.write("tenantctl.yaml", &config);
    ok(&world.tenantctl(&["render"]));
    let set = parse_yaml(&world.read("kustomize/argocd/applicationset.yaml"));
    assert_eq!(
        set["spec"]["syncPolicy"]["preserveResourcesOnDeletion"],
        false
    );
    assert_eq!(
        set["spec"]["template"]["metadata"]["finalizers"][0],
        "resources-finalizer.argocd.argoproj.io"
    );
    let out = check_application_set(
        &world,
        &world
            .platform()
            .join("kustomize/argocd/applicationset.yaml"),
    );
    assert!(out.status.success(), "{}", text(&out.stdout));
}
