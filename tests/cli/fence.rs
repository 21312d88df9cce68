//! The fence around tenants: AppProjects Argo CD enforces, owned namespaces, literal template
//! values, guild isolation, and deploying everything Argo CD needs.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::manifests::strict_crd_schema;
use crate::support::{
    World, fails_with, kubernetes_validate_overlay, kustomize_build, ok, parse_yaml_stream,
    require_tool, text,
};

fn apps_json(world: &World) -> Vec<Value> {
    let out = ok(&world.tenantctl(&["apps", "--output", "json"]));
    serde_json::from_str(&out).expect("apps --output json")
}

/// Writes each document of `file` as JSON and checks it with check-jsonschema against the
/// strict schema of `crd`.
pub(crate) fn check_against_crd(world: &World, file: &str, kind: &str, crd: &str) -> usize {
    let judged = judge_against_crd(world, file, kind, crd);
    for (i, (passed, report)) in judged.iter().enumerate() {
        assert!(passed, "{file} #{i} against {crd}: {report}");
    }
    judged.len()
}

/// check-jsonschema's verdict on each `kind` document of `file` against the strict schema of
/// the vendored upstream `crd`, with its report.
pub(crate) fn judge_against_crd(
    world: &World,
    file: &str,
    kind: &str,
    crd: &str,
) -> Vec<(bool, String)> {
    let checker = require_tool("check-jsonschema", "pip install check-jsonschema");
    let crd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schemas/argocd")
        .join(crd);
    let schema = world.path().join(format!("{kind}.schema.json"));
    std::fs::write(&schema, strict_crd_schema(&crd).to_string()).unwrap();
    let documents: Vec<Value> = parse_yaml_stream(&world.read(file))
        .into_iter()
        .filter(|d| d["kind"] == kind)
        .collect();
    let mut judged = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        let instance = world.path().join(format!("{kind}-{i}.json"));
        std::fs::write(&instance, document.to_string()).unwrap();
        let out = Command::new(&checker)
            .arg("--schemafile")
            .arg(&schema)
            .arg(&instance)
            .output()
            .unwrap();
        judged.push((
            out.status.success(),
            format!("{}{}", text(&out.stdout), text(&out.stderr)),
        ));
    }
    judged
}

#[test]
fn rendered_app_projects_and_application_sets_validate_against_the_upstream_crds() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    let projects = check_against_crd(
        &world,
        "kustomize/argocd/appprojects.yaml",
        "AppProject",
        "appproject-crd.yaml",
    );
    assert_eq!(projects, 5, "free, pro, and three tenant types");
    for file in [
        "kustomize/argocd/applicationset.yaml",
        "kustomize/argocd/tenants-applicationset.yaml",
    ] {
        assert_eq!(
            check_against_crd(&world, file, "ApplicationSet", "applicationset-crd.yaml"),
            1
        );
    }
    let projects = parse_yaml_stream(&world.read("kustomize/argocd/appprojects.yaml"));
    let free = projects
        .iter()
        .find(|p| p["metadata"]["name"] == "guilds-free")
        .expect("a project for the free tier");
    assert_eq!(free["spec"]["destinations"][0]["namespace"], "guild-*");
    assert_eq!(
        free["spec"]["clusterResourceWhitelist"],
        serde_json::json!([{ "group": "", "kind": "Namespace" }])
    );
    assert_eq!(
        free["spec"]["sourceRepos"][0],
        parse_yaml_stream(&world.read("kustomize/argocd/applicationset.yaml"))[0]["spec"]["template"]
            ["spec"]["source"]["repoURL"]
    );
    // Every Application is in its own project, none in `default`.
    for app in apps_json(&world) {
        assert_ne!(app["project"], "default", "{app}");
    }
}

#[test]
fn validate_checks_every_rendered_application_set_and_app_project_against_the_upstream_crds() {
    let world = World::new();
    world.platform_with_remote();
    // Sharded: two guilds' and two tenants' sets, and the five projects.
    world.set_argocd_setting("  shardSize: 1\n");
    world.git(&["commit", "-qam", "one Application per set"]);
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro"]));
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    ok(&world.tenantctl(&[
        "create-tenant",
        "shop-b",
        "--type",
        "production",
        "--image-tag",
        "v1.0.0",
    ]));
    let out = ok(&world.tenantctl(&["validate"]));
    assert!(
        out.contains("9 Argo CD objects checked against their CRDs"),
        "{out}"
    );
    // This repository's own rendered output passes too.
    let own = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = ok(&world.tenantctl_in(own, &["validate", "--repo", own.to_str().unwrap()]));
    assert!(
        out.contains("7 Argo CD objects checked against their CRDs"),
        "{out}"
    );
}

#[test]
fn an_empty_namespaced_kind_whitelist_is_refused_in_tenantctl_yaml() {
    let world = World::new();
    world.platform_with_remote();
    // Argo CD reads an empty (rendered as null, dropped by the API server) namespaced whitelist
    // as "every kind": the fence would be gone, so the config itself is refused.
    world.set_argocd_setting("  projects:\n    namespaceResourceWhitelist: []\n");
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.lines()
            .any(|l| l.starts_with("tenantctl.yaml:") && l.contains("namespaceResourceWhitelist")),
        "{out}"
    );
}

#[test]
fn a_repos_own_app_project_template_the_crd_refuses_fails_validate_as_check_jsonschema_does() {
    let world = World::new();
    world.platform_with_remote();
    // A typo in the repo's own AppProject template: every project gets a field the CRD lacks.
    let template = world.read("templates/appprojects.yaml.j2");
    assert!(template.contains("  sourceRepos:"), "{template}");
    world.write(
        "templates/appprojects.yaml.j2",
        &template.replace("  sourceRepos:", "  sourceRepo:"),
    );
    ok(&world.tenantctl(&["render", "--no-commit"]));
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.lines()
            .any(|l| l.starts_with("kustomize/argocd/appprojects.yaml:")
                && l.contains("error[E361]: AppProject guilds-free breaks Argo CD's CRD schema")),
        "{out}"
    );
    // check-jsonschema, with the vendored upstream CRD, agrees on every project.
    let judged = judge_against_crd(
        &world,
        "kustomize/argocd/appprojects.yaml",
        "AppProject",
        "appproject-crd.yaml",
    );
    assert_eq!(judged.len(), 5);
    assert!(judged.iter().all(|(passed, _)| !passed), "{judged:?}");
    assert_eq!(out.matches("error[E361]").count(), 5, "{out}");
}

#[test]
fn a_repos_own_application_set_template_with_an_unknown_field_fails_validate() {
    let world = World::new();
    world.platform_with_remote();
    let template = world.read("templates/applicationset.yaml.j2");
    assert!(template.contains("goTemplateOptions:"));
    world.write(
        "templates/applicationset.yaml.j2",
        &template.replace("goTemplateOptions:", "goTemplateOption:"),
    );
    // Before render: the check reads what render would write.
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    let line = parse_line(&out, "kustomize/argocd/applicationset.yaml", "E361");
    assert!(
        out.contains("ApplicationSet frolf-bot-guilds breaks Argo CD's CRD schema at /spec")
            && out.contains("goTemplateOption"),
        "{out}"
    );
    ok(&world.tenantctl(&["render", "--no-commit"]));
    let rendered = world.read("kustomize/argocd/applicationset.yaml");
    assert!(
        rendered
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("goTemplateOption:"),
        "line {line} of {rendered}"
    );
    let judged = judge_against_crd(
        &world,
        "kustomize/argocd/applicationset.yaml",
        "ApplicationSet",
        "applicationset-crd.yaml",
    );
    assert_eq!(judged.len(), 1);
    assert!(!judged[0].0, "check-jsonschema agrees: {judged:?}");
}

/// The line of the first `code` diagnostic about `file` in validate's human output.
fn parse_line(out: &str, file: &str, code: &str) -> usize {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{file}:")) && l.contains(&format!("error[{code}]")))
        .unwrap_or_else(|| panic!("no {code} about {file}: {out}"));
    line[file.len() + 1..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn the_embedded_argo_cd_crds_are_the_vendored_upstream_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for crd in ["applicationset-crd.yaml", "appproject-crd.yaml"] {
        let embedded = std::fs::read(root.join("schemas/argocd").join(crd)).unwrap();
        let vendored = std::fs::read(root.join("tests/fixtures/schemas/argocd").join(crd)).unwrap();
        assert!(
            embedded == vendored,
            "schemas/argocd/{crd} differs from the fixture"
        );
    }
    let source = std::fs::read_to_string(root.join("schemas/argocd/SOURCE.md")).unwrap();
    let fixture =
        std::fs::read_to_string(root.join("tests/fixtures/schemas/argocd/SOURCE.md")).unwrap();
    for record in [
        "37ee0097cf851bc2dd7665fc081bbce61a7e836e",
        "766913b2650719039e535719d131264e54ea8425",
        "1cea1a4d5c90608643d513a30a51b3471a425755",
        "Apache License 2.0",
    ] {
        assert!(
            source.contains(record) && fixture.contains(record),
            "{record}"
        );
    }
}

#[test]
fn hand_planted_files_naming_kube_system_are_refused_by_the_projects_and_by_validate() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "staging"]));
    // Bypassing tenantctl: a tenant params file that sends its Application to kube-system,
    // and a guild file whose tier names no project of ours.
    let params = "tenant_id: shop-a\nnamespace: kube-system\ntenant_type: staging\n";
    world.write("kustomize/tenants/shop-a/params.yaml", params);
    world.write(
        "guilds/guild-2.yaml",
        "guild_id: \"2\"\ntier: \"kube-system\"\n",
    );
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "planted by hand"]);
    // Argo CD would not deploy either: no rows, an error each (E333), and apps fails.
    let out = world.tenantctl(&["apps", "--output", "json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let apps: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = apps.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["guild-1"], "{stderr}");
    assert!(
        stderr.contains("error[E333]: Argo CD would not deploy the Application tenant-shop-a: AppProject `tenants-staging` does not permit namespace `kube-system`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("guilds/guild-2.yaml:1:1: error[E333]: Argo CD would not deploy the Application guild-2: no AppProject `guilds-kube-system`"),
        "{stderr}"
    );
    // The rendered project itself, read with Argo CD's glob rules, allows only tenant-* and pr-*.
    let projects = parse_yaml_stream(&world.read("kustomize/argocd/appprojects.yaml"));
    let staging = projects
        .iter()
        .find(|p| p["metadata"]["name"] == "tenants-staging")
        .unwrap();
    let globs: Vec<&str> = staging["spec"]["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(globs, ["tenant-*", "pr-*"]);
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("E333") && out.contains("kube-system"),
        "validate fails on it: {out}"
    );
}

fn tenant_with_pattern(world: &World, id: &str, pattern: &str) -> String {
    let manifest = world.path().join(format!("{id}.yaml"));
    std::fs::write(
        &manifest,
        format!(
            "apiVersion: shop.pilab.hu/v1alpha1\nkind: Tenant\nmetadata:\n  name: {id}\nspec:\n  tenantId: {id}\n  tenantType: staging\n  active: true\n  namespaceConfig:\n    pattern: \"{pattern}\"\n"
        ),
    )
    .unwrap();
    manifest.to_str().unwrap().to_string()
}

#[test]
fn tenants_cannot_claim_reserved_guild_or_other_tenants_namespaces() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "5", "--tier", "free"]));
    let cases = [
        ("sys", "kube-system", "E330"),
        ("argo", "argocd", "E330"),
        ("plain", "shop", "E331"),
        ("guild-5", "{tenantId}", "E332"),
    ];
    for (id, pattern, code) in cases {
        let manifest = tenant_with_pattern(&world, id, pattern);
        let out = fails_with(
            &world.tenantctl(&["create-tenant", "--from-file", &manifest]),
            1,
        );
        assert!(out.contains(code), "{id} with {pattern}: {out}");
        assert!(!world.platform().join(format!("tenants/{id}.yaml")).exists());
    }
    // Another tenant's namespace, one that holds both tenant IDs: E331 cannot be what refuses
    // shop-b, only uniqueness (E317) can.
    let manifest = tenant_with_pattern(&world, "shop-a", "tenant-shop-a-shop-b");
    ok(&world.tenantctl(&["create-tenant", "--from-file", &manifest]));
    let manifest = tenant_with_pattern(&world, "shop-b", "tenant-shop-a-shop-b");
    let out = fails_with(
        &world.tenantctl(&["create-tenant", "--from-file", &manifest]),
        1,
    );
    assert!(
        out.contains("E317") && out.contains("tenant-shop-a-shop-b") && !out.contains("E331"),
        "{out}"
    );
    assert!(!world.platform().join("tenants/shop-b.yaml").exists());
}

#[test]
fn every_default_reserved_namespace_is_refused_for_a_tenant() {
    let world = World::new();
    world.platform_with_remote();
    // A configured ingress controller's and Argo CD's namespaces are reserved as well.
    world.set_tenant_settings("  ingressControllerNamespace: traefik\n");
    world.set_argocd_setting("  namespace: gitops\n");
    ok(&world.tenantctl(&["render", "--no-commit"]));
    ok(&world.tenantctl(&["validate"]));
    let reserved = [
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "default",
        "argocd",
        "cert-manager",
        "ingress-nginx",
        "traefik",
        "gitops",
    ];
    for (i, namespace) in reserved.iter().enumerate() {
        let id = format!("t{i}");
        world.write(
            &format!("tenants/{id}.yaml"),
            &std::fs::read_to_string(tenant_with_pattern(&world, &id, namespace)).unwrap(),
        );
    }
    let out = world.tenantctl(&["validate", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let found: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    for (i, namespace) in reserved.iter().enumerate() {
        let file = format!("tenants/t{i}.yaml");
        let codes: Vec<&str> = found
            .iter()
            .filter(|d| d["file"] == file.as_str() && d["severity"] == "error")
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["E330"], "{namespace} in {file}: {found:?}");
        assert!(
            found.iter().any(|d| d["file"] == file.as_str()
                && d["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("the namespace `{namespace}` is reserved"))),
            "{namespace}"
        );
    }
}

#[test]
fn require_tenant_id_false_allows_a_namespace_without_the_tenant_id() {
    let world = World::new();
    world.platform_with_remote();
    let manifest = tenant_with_pattern(&world, "shop-a", "tenant-blue-{environment}");
    let out = fails_with(
        &world.tenantctl(&["create-tenant", "--from-file", &manifest, "--no-commit"]),
        1,
    );
    assert!(out.contains("E331"), "refused by default: {out}");
    let config = world.read("tenantctl.yaml");
    world.write(
        "tenantctl.yaml",
        &format!("{config}namespaces:\n  requireTenantId: false\n"),
    );
    world.git(&["commit", "-qam", "namespaces need not hold the tenantId"]);
    ok(&world.tenantctl(&["create-tenant", "--from-file", &manifest]));
    assert!(
        world
            .read("kustomize/tenants/shop-a/params.yaml")
            .contains("namespace: \"tenant-blue-staging\""),
    );
    let out = ok(&world.tenantctl(&["validate"]));
    assert!(!out.contains("E331"), "{out}");
    let app = apps_json(&world)
        .into_iter()
        .find(|a| a["name"] == "tenant-shop-a")
        .unwrap();
    // Listed: apps lists only Applications Argo CD creates and its project permits.
    assert_eq!(app["namespace"], json!("tenant-blue-staging"));
}

#[test]
fn go_template_delimiters_in_tenantctl_yaml_are_refused_not_run_by_argo_cd() {
    let world = World::new();
    world.platform_with_remote();
    let config = world.read("tenantctl.yaml");
    let revision = config
        .lines()
        .find(|l| l.trim_start().starts_with("targetRevision:"))
        .unwrap()
        .to_string();
    world.write(
        "tenantctl.yaml",
        &config.replace(&revision, "  targetRevision: \"{{ .tier }}\""),
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("E334") && out.contains("argocd.targetRevision"),
        "{out}"
    );
    let out = fails_with(&world.tenantctl(&["render"]), 1);
    assert!(out.contains("E334"), "render refuses too: {out}");
    let set = &parse_yaml_stream(&world.read("kustomize/argocd/applicationset.yaml"))[0];
    assert_ne!(
        set["spec"]["template"]["spec"]["source"]["targetRevision"], "{{ .tier }}",
        "nothing rendered"
    );
}

#[test]
fn two_application_sets_with_one_name_are_refused() {
    let world = World::new();
    world.platform_with_remote();
    world.set_tenant_settings("  applicationSetName: frolf-bot-guilds\n");
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(out.contains("E335"), "{out}");
}

/// Renames tier `from` to `to` in tenantctl.yaml and its overlay folder, so the repo stays
/// valid apart from what the test is about.
fn rename_tier(world: &World, from: &str, to: &str) {
    let config = world.read("tenantctl.yaml");
    assert!(config.contains(&format!("\n  {from}:\n")), "{config}");
    world.write(
        "tenantctl.yaml",
        &config.replacen(&format!("\n  {from}:\n"), &format!("\n  {to}:\n"), 1),
    );
    std::fs::rename(
        world.platform().join("kustomize").join(from),
        world.platform().join("kustomize").join(to),
    )
    .unwrap();
}

#[test]
fn two_app_projects_with_one_name_are_refused() {
    let world = World::new();
    world.platform_with_remote();
    // A guild tier named like a tenant type, with guild projects named like tenant projects:
    // both would be `tenants-staging`.
    rename_tier(&world, "pro", "staging");
    let renamed = world.read("tenantctl.yaml");
    world.set_argocd_setting("  projects:\n    guildName: \"tenants-{tier}\"\n");
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("E335") && out.contains("two AppProjects would be named `tenants-staging`"),
        "{out}"
    );
    // The same tier with the default project names is fine: the clash alone failed it.
    world.write("tenantctl.yaml", &renamed);
    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["validate"]));
}

#[test]
fn an_app_project_named_default_is_refused() {
    let world = World::new();
    world.platform_with_remote();
    rename_tier(&world, "free", "efault");
    world.set_argocd_setting("  projects:\n    guildName: \"d{tier}\"\n");
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("E335") && out.contains("an AppProject would be named `default`"),
        "{out}"
    );
    let out = fails_with(&world.tenantctl(&["render"]), 1);
    assert!(out.contains("E335"), "render refuses too: {out}");
    assert!(
        !world
            .read("kustomize/argocd/appprojects.yaml")
            .contains("name: default"),
        "nothing rendered"
    );
}

#[test]
fn guild_overlays_hold_quota_limits_and_network_policy_free_smaller_than_pro() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro"]));
    let limit_ranges = std::cell::RefCell::new(Vec::new());
    let quota = |overlay: &str| -> Value {
        let built = kustomize_build(&world, overlay);
        limit_ranges.borrow_mut().push(
            built
                .iter()
                .find(|m| m["kind"] == "LimitRange")
                .expect("a LimitRange")["spec"]["limits"][0]
                .clone(),
        );
        for kind in ["ResourceQuota", "LimitRange", "NetworkPolicy"] {
            assert!(
                built.iter().any(|m| m["kind"] == kind),
                "{overlay} has a {kind}"
            );
        }
        let deny = built
            .iter()
            .find(|m| m["metadata"]["name"] == "default-deny-ingress")
            .expect("default deny");
        assert_eq!(deny["spec"]["podSelector"], serde_json::json!({}));
        assert_eq!(
            deny["metadata"]["namespace"],
            overlay.rsplit('/').next().unwrap()
        );
        built
            .into_iter()
            .find(|m| m["kind"] == "ResourceQuota")
            .unwrap()["spec"]["hard"]
            .clone()
    };
    let free = quota("kustomize/guilds/guild-1");
    let pro = quota("kustomize/guilds/guild-2");
    let millis = |v: &Value| {
        v.as_str()
            .unwrap()
            .trim_end_matches('m')
            .parse::<u64>()
            .unwrap()
    };
    let mebis = |v: &Value| {
        v.as_str()
            .unwrap()
            .trim_end_matches("Mi")
            .parse::<u64>()
            .unwrap()
    };
    assert!(millis(&free["limits.cpu"]) < millis(&pro["limits.cpu"]));
    assert!(mebis(&free["limits.memory"]) < mebis(&pro["limits.memory"]));
    // Free: 1 replica + 1 surge pod of each Deployment at the tier's limits (100m + 200m).
    assert_eq!(free["limits.cpu"], "600m");
    assert_eq!(free["pods"], "4");
    // The LimitRange's container defaults (limit and request): free's below pro's, each one.
    let ranges = limit_ranges.into_inner();
    let (free_range, pro_range) = (&ranges[0], &ranges[1]);
    for section in ["default", "defaultRequest"] {
        let (free, pro) = (&free_range[section], &pro_range[section]);
        assert!(
            quantity(&free["cpu"]) < quantity(&pro["cpu"]),
            "{section}.cpu: free {free} pro {pro}"
        );
        assert!(
            quantity(&free["memory"]) < quantity(&pro["memory"]),
            "{section}.memory: free {free} pro {pro}"
        );
    }
    for overlay in ["kustomize/guilds/guild-1", "kustomize/guilds/guild-2"] {
        let report = kubernetes_validate_overlay(&world, overlay);
        assert!(report.contains("passed"), "{report}");
    }
}

#[test]
fn deploying_applies_every_app_project_and_application_set_at_once() {
    let world = World::new();
    world.platform_with_remote();
    let built = kustomize_build(&world, "kustomize/argocd");
    let kinds: Vec<&str> = built.iter().filter_map(|m| m["kind"].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "ApplicationSet").count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == "AppProject").count(), 5);
    let makefile = world.read("Makefile");
    assert!(
        makefile.contains("kubectl apply -k kustomize/argocd"),
        "{makefile}"
    );
    let own =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Makefile")).unwrap();
    assert!(own.contains("kubectl apply -k kustomize/argocd"));
}

/// A Kubernetes quantity (`200m`, `1`, `256Mi`, `1Gi`, `1G`) as a number of its base unit.
fn quantity(value: &Value) -> f64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("a quantity: {value}"));
    let suffixes = [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("m", 1e-3),
    ];
    for (suffix, factor) in suffixes {
        if let Some(number) = text.strip_suffix(suffix) {
            return number.parse::<f64>().unwrap() * factor;
        }
    }
    text.parse::<f64>().unwrap()
}
