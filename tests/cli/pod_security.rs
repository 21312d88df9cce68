//! Pod Security Standards "restricted" (issue 11, scope 4): every pod spec of the built overlays
//! (the seed tenant, a free and a pro guild) meets the profile's rules, each written out below
//! as a named check; every namespace enforces, warns about and audits `restricted`; a tenant
//! cannot weaken that through its labels; services have probes and spread their replicas.

use serde_json::Value;

use crate::support::{World, fails_with, kustomize_build, ok, parse_yaml};

const SEED: &str = include_str!("../fixtures/tenant/seed-example.yaml");

/// A platform repo with the seed Tenant `customer-shop-1` (production, four services, backups).
fn world_with_seed_tenant() -> World {
    let world = World::new();
    world.platform_with_remote();
    let manifest = world.path().join("seed-tenant.yaml");
    std::fs::write(&manifest, SEED).unwrap();
    ok(&world.tenantctl(&[
        "create-tenant",
        "--from-file",
        manifest.to_str().unwrap(),
        "--no-push",
    ]));
    world
}

/// Volume types the restricted profile allows.
const RESTRICTED_VOLUME_TYPES: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// One rule of the profile: its name, and the problem it finds in a pod spec, if any.
type Check = (&'static str, fn(&Value) -> Option<String>);

fn containers(pod: &Value) -> Vec<&Value> {
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .filter_map(|key| pod[*key].as_array())
        .flatten()
        .collect()
}

/// Every container failing `ok`, by name.
fn failing(pod: &Value, ok: impl Fn(&Value) -> bool) -> Option<String> {
    let bad: Vec<String> = containers(pod)
        .into_iter()
        .filter(|c| !ok(c))
        .map(|c| c["name"].to_string())
        .collect();
    (!bad.is_empty()).then(|| format!("containers {}", bad.join(", ")))
}

/// runAsNonRoot: true at pod level, or on every container.
fn run_as_non_root(pod: &Value) -> Option<String> {
    let pod_level = pod["securityContext"]["runAsNonRoot"] == true;
    failing(pod, |c| {
        let own = &c["securityContext"]["runAsNonRoot"];
        own == true || (pod_level && own.is_null())
    })
}

/// runAsUser, where set, is not 0 (pod and containers).
fn run_as_user_not_root(pod: &Value) -> Option<String> {
    if pod["securityContext"]["runAsUser"] == 0 {
        return Some("pod runAsUser 0".into());
    }
    failing(pod, |c| c["securityContext"]["runAsUser"] != 0)
}

/// seccompProfile.type is RuntimeDefault or Localhost: at pod level, or on every container.
fn seccomp_runtime_default(pod: &Value) -> Option<String> {
    let allowed = |v: &Value| v == "RuntimeDefault" || v == "Localhost";
    let pod_type = &pod["securityContext"]["seccompProfile"]["type"];
    if !pod_type.is_null() && !allowed(pod_type) {
        return Some(format!("pod seccompProfile {pod_type}"));
    }
    failing(pod, |c| {
        let own = &c["securityContext"]["seccompProfile"]["type"];
        if own.is_null() {
            allowed(pod_type)
        } else {
            allowed(own)
        }
    })
}

/// allowPrivilegeEscalation: false on every container.
fn no_privilege_escalation(pod: &Value) -> Option<String> {
    failing(pod, |c| {
        c["securityContext"]["allowPrivilegeEscalation"] == false
    })
}

/// capabilities drop ALL, and add nothing but NET_BIND_SERVICE.
fn drop_all_capabilities(pod: &Value) -> Option<String> {
    failing(pod, |c| {
        let caps = &c["securityContext"]["capabilities"];
        let drops_all = caps["drop"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x == "ALL"));
        let adds_only_bind = caps["add"]
            .as_array()
            .is_none_or(|a| a.iter().all(|x| x == "NET_BIND_SERVICE"));
        drops_all && adds_only_bind
    })
}

/// readOnlyRootFilesystem: true on every container (tenantctl's own rule on top of the profile).
fn read_only_root_filesystem(pod: &Value) -> Option<String> {
    failing(pod, |c| {
        c["securityContext"]["readOnlyRootFilesystem"] == true
    })
}

/// /tmp is an emptyDir mounted in every container, so a read-only root still has scratch space.
fn tmp_is_an_empty_dir(pod: &Value) -> Option<String> {
    let empty_dirs: Vec<&Value> = pod["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v.get("emptyDir").is_some())
        .map(|v| &v["name"])
        .collect();
    failing(pod, |c| {
        c["volumeMounts"].as_array().is_some_and(|mounts| {
            mounts
                .iter()
                .any(|m| m["mountPath"] == "/tmp" && empty_dirs.contains(&&m["name"]))
        })
    })
}

/// Only the volume types the profile allows (no hostPath and the like).
fn restricted_volume_types(pod: &Value) -> Option<String> {
    let bad: Vec<String> = pod["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| {
            !v.as_object()
                .unwrap()
                .keys()
                .any(|k| k != "name" && RESTRICTED_VOLUME_TYPES.contains(&k.as_str()))
        })
        .map(|v| v["name"].to_string())
        .collect();
    (!bad.is_empty()).then(|| format!("volumes {}", bad.join(", ")))
}

/// Not privileged, no host namespaces, no host ports (baseline, which restricted includes).
fn no_host_access(pod: &Value) -> Option<String> {
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[key] == true {
            return Some(key.into());
        }
    }
    failing(pod, |c| {
        c["securityContext"]["privileged"] != true
            && c["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|p| p["hostPort"].is_null() || p["hostPort"] == 0)
    })
}

const RESTRICTED: [Check; 9] = [
    ("runAsNonRoot", run_as_non_root),
    ("runAsUser not 0", run_as_user_not_root),
    ("seccompProfile RuntimeDefault", seccomp_runtime_default),
    ("allowPrivilegeEscalation false", no_privilege_escalation),
    ("capabilities drop ALL", drop_all_capabilities),
    ("readOnlyRootFilesystem", read_only_root_filesystem),
    ("emptyDir at /tmp", tmp_is_an_empty_dir),
    ("restricted volume types", restricted_volume_types),
    ("no privileged or host access", no_host_access),
];

/// `(kind/name, pod spec, replicas)` of every workload in the manifests; replicas `None` where
/// the field is absent (an HPA owns the count).
fn pod_specs(manifests: &[Value]) -> Vec<(String, &Value, Option<u64>)> {
    manifests
        .iter()
        .filter_map(|m| {
            let name = format!(
                "{}/{}",
                m["kind"].as_str()?,
                m["metadata"]["name"].as_str()?
            );
            match m["kind"].as_str()? {
                "Deployment" => Some((
                    name,
                    &m["spec"]["template"]["spec"],
                    m["spec"]["replicas"].as_u64(),
                )),
                "CronJob" => Some((
                    name,
                    &m["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                    Some(1),
                )),
                _ => None,
            }
        })
        .collect()
}

fn restricted_violations(overlay: &str, manifests: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for (name, pod, _) in pod_specs(manifests) {
        for (rule, check) in RESTRICTED {
            if let Some(problem) = check(pod) {
                out.push(format!("{overlay} {name}: {rule}: {problem}"));
            }
        }
    }
    out
}

fn assert_restricted_labels(what: &str, labels: &Value) {
    for mode in ["enforce", "warn", "audit"] {
        assert_eq!(
            labels[format!("pod-security.kubernetes.io/{mode}")],
            "restricted",
            "{what}: {labels}"
        );
    }
}

#[test]
fn every_pod_of_the_built_overlays_meets_the_restricted_profile() {
    let world = world_with_seed_tenant();
    ok(&world.tenantctl(&["create-guild", "123456789", "--tier", "free", "--no-push"]));
    ok(&world.tenantctl(&["create-guild", "987654321", "--tier", "pro", "--no-push"]));
    let mut violations = Vec::new();
    let mut pods = 0;
    for (overlay, expected_pods) in [
        ("kustomize/tenants/customer-shop-1", 5),
        ("kustomize/guilds/guild-123456789", 2),
        ("kustomize/guilds/guild-987654321", 2),
    ] {
        let built = kustomize_build(&world, overlay);
        let specs = pod_specs(&built);
        assert_eq!(specs.len(), expected_pods, "{overlay}");
        pods += specs.len();
        violations.extend(restricted_violations(overlay, &built));
    }
    assert_eq!(pods, 9);
    assert!(violations.is_empty(), "{}", violations.join("\n"));

    // The checks do find what they look for.
    let root = serde_json::json!({"containers": [{"name": "x", "securityContext": {"runAsUser": 0}}],
        "volumes": [{"name": "h", "hostPath": {"path": "/"}}], "hostNetwork": true});
    assert_eq!(
        restricted_violations(
            "bad",
            &[serde_json::json!({"kind": "Deployment",
        "metadata": {"name": "x"}, "spec": {"template": {"spec": root}}})]
        )
        .len(),
        RESTRICTED.len()
    );

    // Namespaces: the tenant's own Namespace, and the guilds' through Argo CD's CreateNamespace.
    let tenant = kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    let namespace = tenant.iter().find(|m| m["kind"] == "Namespace").unwrap();
    assert_restricted_labels("tenant Namespace", &namespace["metadata"]["labels"]);
    let appset = parse_yaml(&world.read("kustomize/argocd/applicationset.yaml"));
    let sync = &appset["spec"]["template"]["spec"]["syncPolicy"];
    assert!(
        sync["syncOptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "CreateNamespace=true")
    );
    assert_restricted_labels(
        "guild namespaces",
        &sync["managedNamespaceMetadata"]["labels"],
    );
}

#[test]
fn services_have_probes_on_the_named_port_and_spread_their_replicas() {
    let world = world_with_seed_tenant();
    ok(&world.tenantctl(&["create-guild", "987654321", "--tier", "pro", "--no-push"]));
    world.set_tenant_settings("  livenessProbePath: /live\n  readinessProbePath: /ready\n");
    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["validate"]));
    let built = kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    let deployments: Vec<_> = pod_specs(&built)
        .into_iter()
        .filter(|(name, ..)| name.starts_with("Deployment/"))
        .collect();
    assert_eq!(deployments.len(), 4);
    for (name, pod, replicas) in deployments {
        assert_eq!(replicas, None, "{name}: the HPA owns the count (min 2)");
        let service = name.trim_start_matches("Deployment/");
        let container = &pod["containers"][0];
        for (probe, path) in [("livenessProbe", "/live"), ("readinessProbe", "/ready")] {
            assert_eq!(container[probe]["httpGet"]["port"], "http", "{name}");
            assert_eq!(container[probe]["httpGet"]["path"], path, "{name}");
        }
        assert_eq!(container["ports"][0]["name"], "http");
        assert_eq!(
            pod["topologySpreadConstraints"],
            serde_json::json!([{
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {
                    "app.kubernetes.io/name": service,
                    "app.kubernetes.io/instance": "customer-shop-1",
                }},
            }]),
            "{name}"
        );
    }
    // The pro guild runs two replicas of each Deployment (the backend's from its HPA's
    // floor): spread too.
    let guild = kustomize_build(&world, "kustomize/guilds/guild-987654321");
    for (name, pod, replicas) in pod_specs(&guild) {
        let expected = if name.contains("backend") {
            None
        } else {
            Some(2)
        };
        assert_eq!(replicas, expected, "{name}");
        let spread = &pod["topologySpreadConstraints"][0];
        assert_eq!(spread["maxSkew"], 1, "{name}");
        assert_eq!(spread["whenUnsatisfiable"], "ScheduleAnyway", "{name}");
        assert_eq!(
            spread["labelSelector"]["matchLabels"]["app.kubernetes.io/name"],
            name.trim_start_matches("Deployment/")
        );
    }
}

#[test]
fn a_tenant_cannot_set_a_pod_security_label() {
    let world = world_with_seed_tenant();
    let seed = world.read("tenants/customer-shop-1.yaml");
    let line = seed
        .lines()
        .position(|l| l == "  tenantConfig:")
        .expect("seed has tenantConfig")
        + 3;
    world.write(
        "tenants/customer-shop-1.yaml",
        &seed.replacen(
            "  tenantConfig:\n",
            "  tenantConfig:\n    labels:\n      pod-security.kubernetes.io/enforce: privileged\n      team: shop\n",
            1,
        ),
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains(&format!(
            "tenants/customer-shop-1.yaml:{line}:7: error[E339]: `pod-security.kubernetes.io/enforce` would set the namespace's Pod Security level"
        )),
        "{out}"
    );
    assert_eq!(out.matches("E339").count(), 1, "{out}");
    // A mutating command refuses the repo as it is, so nothing privileged is ever rendered.
    let refused = world.tenantctl(&["update-tenant", "customer-shop-1", "--image-tag", "v2"]);
    assert!(!refused.status.success());
    let rendered = world.read("kustomize/tenants/customer-shop-1/resources.yaml");
    assert!(
        rendered.contains("\"pod-security.kubernetes.io/enforce\": \"restricted\""),
        "{rendered}"
    );
}
