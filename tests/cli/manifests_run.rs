//! Manifests that run, not only validate (issue 11): the HPA alone owns a production tenant's
//! replica count while suspend still gives exactly 0, production images are pinned, and every
//! rendered tenant object carries the standard `app.kubernetes.io/*` labels.

use serde_json::Value;

use crate::support::{
    World, fails_with, kubernetes_validate_overlay, kustomize_build, ok, parse_yaml, text,
};

const SEED: &str = include_str!("../fixtures/tenant/seed-example.yaml");
const OVERLAY: &str = "kustomize/tenants/customer-shop-1";

/// The seed example, created with `create-tenant --from-file` (committed and pushed).
fn with_seed(world: &World) {
    world.platform_with_remote();
    let manifest = world.path().join("seed.yaml");
    std::fs::write(&manifest, SEED).unwrap();
    ok(&world.tenantctl(&["create-tenant", "--from-file", manifest.to_str().unwrap()]));
}

fn of_kind<'a>(manifests: &'a [Value], kind: &str) -> Vec<&'a Value> {
    manifests.iter().filter(|m| m["kind"] == kind).collect()
}

#[test]
fn the_hpa_alone_owns_replicas_and_suspend_still_gives_zero() {
    let world = World::new();
    with_seed(&world);
    let built = kustomize_build(&world, OVERLAY);
    let deployments = of_kind(&built, "Deployment");
    let autoscalers = of_kind(&built, "HorizontalPodAutoscaler");
    assert_eq!(deployments.len(), 4);
    assert_eq!(autoscalers.len(), 4);
    for deployment in &deployments {
        let name = &deployment["metadata"]["name"];
        assert!(
            deployment["spec"].get("replicas").is_none(),
            "an HPA scales {name}: no spec.replicas for Argo CD to reset: {deployment}"
        );
        let owners: Vec<&&Value> = autoscalers
            .iter()
            .filter(|h| {
                h["spec"]["scaleTargetRef"]["kind"] == "Deployment"
                    && h["spec"]["scaleTargetRef"]["name"] == *name
            })
            .collect();
        assert_eq!(owners.len(), 1, "one HPA for {name}");
        assert_eq!(owners[0]["spec"]["minReplicas"], 2);
        // tenants.maxReplicas asks for 6; limits.cpu 2 holds (2000m - 100m backup) / (4 x 100m)
        // = 4 pods per service, one of them a rollout's surge pod.
        assert_eq!(owners[0]["spec"]["maxReplicas"], 3);
    }

    ok(&world.tenantctl(&["suspend-tenant", "customer-shop-1"]));
    let suspended = kustomize_build(&world, OVERLAY);
    let deployments = of_kind(&suspended, "Deployment");
    assert_eq!(deployments.len(), 4);
    for deployment in deployments {
        assert_eq!(deployment["spec"]["replicas"], 0, "{deployment}");
    }
    assert!(of_kind(&suspended, "HorizontalPodAutoscaler").is_empty());
    kubernetes_validate_overlay(&world, OVERLAY);

    ok(&world.tenantctl(&["resume-tenant", "customer-shop-1"]));
    let resumed = kustomize_build(&world, OVERLAY);
    assert_eq!(resumed, built, "resume gives back the same objects");
}

#[test]
fn a_tenant_without_an_hpa_keeps_its_replicas() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&[
        "create-tenant",
        "shop-s",
        "--type",
        "staging",
        "--image-tag",
        "v2.0.0",
        "--services",
        "api,frontend",
    ]));
    let built = kustomize_build(&world, "kustomize/tenants/shop-s");
    assert!(of_kind(&built, "HorizontalPodAutoscaler").is_empty());
    let deployments = of_kind(&built, "Deployment");
    assert!(!deployments.is_empty());
    for deployment in deployments {
        assert_eq!(deployment["spec"]["replicas"], 1, "{deployment}");
    }
}

#[test]
fn the_tenants_application_set_enforces_replicas_and_validates_against_the_crd() {
    let world = World::new();
    with_seed(&world);
    let file = "kustomize/argocd/tenants-applicationset.yaml";
    let set = parse_yaml(&world.read(file));
    assert_eq!(set["kind"], "ApplicationSet");
    let spec = &set["spec"]["template"]["spec"];
    // Replicas are left out where an HPA owns them, not ignored: an ignored /spec/replicas
    // would also ignore the 0 of a suspended tenant.
    assert!(
        spec.get("ignoreDifferences").is_none(),
        "no ignoreDifferences: {spec}"
    );
    let options = spec["syncPolicy"]["syncOptions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !options
            .iter()
            .any(|o| o.as_str() == Some("RespectIgnoreDifferences=true")),
        "{options:?}"
    );
    assert_eq!(spec["syncPolicy"]["automated"]["selfHeal"], true);
    assert_eq!(spec["syncPolicy"]["automated"]["prune"], true);

    let checked =
        crate::fence::check_against_crd(&world, file, "ApplicationSet", "applicationset-crd.yaml");
    assert_eq!(checked, 1);
}

#[test]
fn production_needs_a_pinned_image_tag() {
    let file = "tenants/customer-shop-1.yaml";
    for (edit, at) in [
        (SEED.replace("\"v1.2.3\"", "\"latest\""), "9:13"),
        (SEED.replace("  imageTag: \"v1.2.3\"\n", ""), "6:1"),
    ] {
        let world = World::new();
        world.platform_with_remote();
        world.write(file, &edit);
        let out = fails_with(&world.tenantctl(&["validate"]), 1);
        assert!(
            out.contains(&format!("{file}:{at}: error[E338]: production tenant:")),
            "{out}"
        );
        assert!(
            out.contains("--image-tag v1.2.3"),
            "the hint says how: {out}"
        );
    }

    let world = World::new();
    world.platform_with_remote();
    let out = fails_with(
        &world.tenantctl(&["create-tenant", "shop-p", "--type", "production"]),
        1,
    );
    assert!(out.contains("error[E338]"), "{out}");
    assert!(out.contains("imageTag"), "{out}");
    assert!(
        !world.platform().join("tenants/shop-p.yaml").exists(),
        "nothing written"
    );
    ok(&world.tenantctl(&[
        "create-tenant",
        "shop-p",
        "--type",
        "production",
        "--image-tag",
        "v1.0.0",
    ]));
}

#[test]
fn other_types_are_warned_about_an_unpinned_image() {
    let world = World::new();
    world.platform_with_remote();
    let created = world.tenantctl(&["create-tenant", "shop-d", "--type", "development"]);
    ok(&created);
    ok(&world.tenantctl(&["update-tenant", "shop-d", "--image-tag", "latest"]));
    let out = world.tenantctl(&["validate"]);
    ok(&out);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        all.contains("tenants/shop-d.yaml:")
            && all.contains("warning[W105]: development tenant: imageTag `latest`"),
        "{all}"
    );
}

#[test]
fn every_rendered_tenant_object_carries_the_standard_labels() {
    let world = World::new();
    with_seed(&world);
    let built = kustomize_build(&world, OVERLAY);
    let kinds: Vec<&str> = built.iter().filter_map(|m| m["kind"].as_str()).collect();
    for kind in [
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "Namespace",
        "Deployment",
        "CronJob",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    for manifest in &built {
        let labels = &manifest["metadata"]["labels"];
        let what = format!("{} {}", manifest["kind"], manifest["metadata"]["name"]);
        assert!(
            labels["app.kubernetes.io/name"]
                .as_str()
                .is_some_and(|n| !n.is_empty()),
            "{what}: {labels}"
        );
        assert_eq!(
            labels["app.kubernetes.io/instance"], "customer-shop-1",
            "{what}"
        );
        assert_eq!(labels["app.kubernetes.io/part-of"], "pishop", "{what}");
        assert_eq!(
            labels["app.kubernetes.io/managed-by"], "tenantctl",
            "{what}"
        );
    }
    // A workload's own objects are named after it; selectors are left as they were.
    for manifest in of_kind(&built, "PodDisruptionBudget") {
        assert_eq!(
            manifest["metadata"]["labels"]["app.kubernetes.io/name"],
            manifest["metadata"]["name"]
        );
        let selector = &manifest["spec"]["selector"]["matchLabels"];
        assert_eq!(selector.as_object().unwrap().len(), 2, "{selector}");
    }
    for manifest in of_kind(&built, "Deployment") {
        let selector = &manifest["spec"]["selector"]["matchLabels"];
        assert_eq!(selector.as_object().unwrap().len(), 2, "{selector}");
    }
    kubernetes_validate_overlay(&world, OVERLAY);
}
