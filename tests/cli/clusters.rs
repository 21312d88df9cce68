//! Beyond one cluster (issue 12): clusters as data in tenantctl.yaml, placement by tier, type
//! and region written into the files Argo CD's generators read, stable when a pool grows;
//! `move-guild` / `move-tenant`; AppProjects fenced to exactly their pool; autoscaling and
//! disruption budgets per tier with quotas that hold the peak; ServiceMonitors and
//! PrometheusRules the upstream prometheus-operator CRDs accept.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::capacity::peak;
use crate::fence::check_against_crd;
use crate::support::{
    World, fails_with, kubernetes_validate_overlay, kustomize_build, ok, parse_yaml,
    parse_yaml_stream, require_tool, text,
};

/// A shared cluster for free guilds and non-production tenants, and a pro pool of two clusters
/// in two regions for pro guilds and production tenants.
const CLUSTERS: &str = "clusters:
  - name: shared
    server: https://kubernetes.default.svc
    labels:
      pool: shared
      region: eu-west
  - name: pro-eu-west
    server: https://pro-eu-west.example.com
    labels:
      tier: pro
      region: eu-west
  - name: pro-us-east
    server: https://pro-us-east.example.com
    labels:
      tier: pro
      region: us-east
";

/// Appends `text` to tenantctl.yaml's `key:` section (`tiers.free`, say) right after its header.
fn insert_after(world: &World, header: &str, text: &str) {
    let config = world.read("tenantctl.yaml");
    assert!(config.contains(header), "{config}");
    world.write(
        "tenantctl.yaml",
        &config.replacen(header, &format!("{header}{text}"), 1),
    );
}

fn commit_and_push(world: &World, message: &str) {
    world.git(&["add", "-A"]);
    world.git(&["commit", "-q", "-m", message]);
    ok(&world.tenantctl(&["push"]));
}

/// A pushed platform repo with [`CLUSTERS`], tier and tenant-type placement, rendered.
pub(crate) fn multi_cluster() -> World {
    let world = World::new();
    world.platform_with_remote();
    multi_cluster_config(&world);
    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["validate"]));
    commit_and_push(&world, "Clusters");
    world
}

/// Application name -> (cluster, project), from `apps --output json`. `apps` exits 0 (`ok`) only
/// when Argo CD would create and deploy every Application: each project permits its destination.
fn apps(world: &World) -> std::collections::BTreeMap<String, (String, String)> {
    let out = ok(&world.tenantctl(&["apps", "--output", "json"]));
    let apps: Vec<Value> = serde_json::from_str(&out).unwrap();
    apps.iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                (
                    a["cluster"].as_str().unwrap().to_string(),
                    a["project"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

fn tenant(world: &World, args: &[&str]) {
    let mut all = vec![
        "create-tenant",
        args[0],
        "--type",
        args[1],
        "--image-tag",
        "v1.0.0",
        "--services",
        "api,frontend",
    ];
    all.extend(&args[2..]);
    ok(&world.tenantctl(&all));
}

#[test]
fn placement_follows_tier_type_and_region_and_a_new_cluster_moves_nobody() {
    let world = multi_cluster();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro"]));
    ok(&world.tenantctl(&["create-guild", "3", "--tier", "pro"]));
    tenant(&world, &["shop-eu", "production", "--region", "eu-west"]);
    tenant(&world, &["shop-us", "production", "--region", "us-east"]);
    tenant(&world, &["shop-dev", "development"]);
    // Placement is in the files the generators read: the guild file, the tenant's params.
    assert!(
        world
            .read("guilds/guild-1.yaml")
            .contains("cluster: \"shared\"\n")
    );
    assert!(
        world
            .read("kustomize/tenants/shop-eu/params.yaml")
            .contains("cluster: \"pro-eu-west\"")
    );
    let tenant_file = parse_yaml(&world.read("tenants/shop-eu.yaml"));
    assert_eq!(
        tenant_file["spec"]["placement"],
        serde_json::json!({"cluster": "pro-eu-west", "region": "eu-west"})
    );

    let before = apps(&world);
    assert_eq!(before["guild-1"].0, "shared");
    // The pro pool's least loaded cluster each time: one guild on each.
    let pro: std::collections::BTreeSet<&str> = [&before["guild-2"].0, &before["guild-3"].0]
        .into_iter()
        .map(String::as_str)
        .collect();
    assert_eq!(pro, ["pro-eu-west", "pro-us-east"].into());
    assert_eq!(before["tenant-shop-eu"].0, "pro-eu-west");
    assert_eq!(before["tenant-shop-us"].0, "pro-us-east");
    assert_eq!(before["tenant-shop-dev"].0, "shared");
    assert_eq!(before["guild-2"].1, "guilds-pro");

    // A third pro cluster: nobody moves, and it takes the next pro guild (it holds none).
    let guild_files: Vec<String> = ["1", "2", "3"]
        .iter()
        .map(|id| world.read(&format!("guilds/guild-{id}.yaml")))
        .collect();
    let config = world.read("tenantctl.yaml")
        + "  - name: pro-ap-south\n    labels:\n      tier: pro\n      region: ap-south\n";
    world.write("tenantctl.yaml", &config);
    ok(&world.tenantctl(&["render"]));
    commit_and_push(&world, "A third pro cluster");
    let after = apps(&world);
    for (name, (cluster, _)) in &before {
        assert_eq!(&after[name].0, cluster, "{name} stayed where it was");
    }
    for (id, text) in ["1", "2", "3"].iter().zip(&guild_files) {
        assert_eq!(&world.read(&format!("guilds/guild-{id}.yaml")), text);
    }
    ok(&world.tenantctl(&["create-guild", "4", "--tier", "pro"]));
    assert_eq!(apps(&world)["guild-4"].0, "pro-ap-south");
    // The pro project now permits exactly the three pro clusters.
    let projects = parse_yaml_stream(&world.read("kustomize/argocd/appprojects.yaml"));
    let pro_project = projects
        .iter()
        .find(|p| p["metadata"]["name"] == "guilds-pro")
        .unwrap();
    let names: Vec<&str> = pro_project["spec"]["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pro-eu-west", "pro-us-east", "pro-ap-south"]);

    // list and status name the cluster; --cluster filters.
    let listed = ok(&world.tenantctl(&["list", "--cluster", "shared"]));
    assert!(
        listed.contains("CLUSTER") && listed.contains("\n1 "),
        "{listed}"
    );
    assert!(
        !listed.contains("\n2 ") && !listed.contains("\n3 "),
        "{listed}"
    );
    let tenants = ok(&world.tenantctl(&["list", "--kind", "tenant", "--cluster", "pro-us-east"]));
    assert!(
        tenants.contains("shop-us") && !tenants.contains("shop-eu"),
        "{tenants}"
    );
    let status = ok(&world.tenantctl(&["status", "2"]));
    assert!(
        status.contains("replicas   2 (backend: 2 to 4, autoscaled on CPU)"),
        "{status}"
    );
    assert!(
        status.contains(&format!("cluster    {}", before["guild-2"].0)),
        "{status}"
    );
    let status = ok(&world.tenantctl(&["status", "shop-eu"]));
    assert!(
        status.contains("cluster    pro-eu-west (https://pro-eu-west.example.com), region eu-west (pinned to region eu-west)"),
        "{status}"
    );
}

#[test]
fn move_guild_changes_one_placement_in_one_commit_and_refuses_to_leave_the_pool() {
    let world = multi_cluster();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&[
        "create-guild",
        "2",
        "--tier",
        "pro",
        "--cluster",
        "pro-eu-west",
    ]));
    ok(&world.tenantctl(&[
        "create-guild",
        "3",
        "--tier",
        "pro",
        "--cluster",
        "pro-eu-west",
    ]));
    let head = world.git(&["rev-parse", "HEAD"]);

    let out = world.tenantctl(&["move-guild", "2", "--cluster", "pro-us-east"]);
    let said = ok(&out) + &text(&out.stderr);
    assert!(
        said.contains("kubectl --context pro-eu-west delete namespace guild-2"),
        "{said}"
    );
    let changed = world.git(&["diff", "--name-only", &format!("{}..HEAD", head.trim())]);
    assert_eq!(changed, "guilds/guild-2.yaml\n", "one file, one commit");
    assert_eq!(
        world.git(&["rev-list", "--count", &format!("{}..HEAD", head.trim())]),
        "1\n"
    );
    let diff = world.git(&["show", "--format=", "-U0", "HEAD"]);
    assert!(
        diff.contains("-cluster: \"pro-eu-west\"\n+cluster: \"pro-us-east\"\n"),
        "{diff}"
    );
    assert_eq!(
        world.remote_file("guilds/guild-2.yaml"),
        world.read("guilds/guild-2.yaml")
    );
    let after = apps(&world);
    assert_eq!(after["guild-2"].0, "pro-us-east");
    assert_eq!(after["guild-3"].0, "pro-eu-west");

    // A new tier with another pool moves the guild into it, with the same notes.
    let out = world.tenantctl(&["update-guild", "1", "--tier", "pro"]);
    let said = ok(&out) + &text(&out.stderr);
    assert!(
        said.contains("kubectl --context shared delete namespace guild-1"),
        "{said}"
    );
    assert!(apps(&world)["guild-1"].0.starts_with("pro-"));

    // Outside the tier's pool, unknown: refused, nothing committed.
    let head = world.git(&["rev-parse", "HEAD"]);
    let refused = fails_with(
        &world.tenantctl(&["move-guild", "2", "--cluster", "shared"]),
        2,
    );
    assert!(refused.contains("not in the pool of tier pro"), "{refused}");
    let unknown = fails_with(
        &world.tenantctl(&["move-guild", "2", "--cluster", "pro-us-eas"]),
        2,
    );
    assert!(unknown.contains("did you mean `pro-us-east`?"), "{unknown}");
    assert_eq!(world.git(&["rev-parse", "HEAD"]), head);

    // A tenant moves by region: to that region's cluster of its pool.
    tenant(&world, &["shop", "production", "--region", "eu-west"]);
    ok(&world.tenantctl(&["move-tenant", "shop", "--region", "us-east"]));
    let moved = parse_yaml(&world.read("tenants/shop.yaml"));
    assert_eq!(
        moved["spec"]["placement"],
        serde_json::json!({"cluster": "pro-us-east", "region": "us-east"})
    );
    assert_eq!(apps(&world)["tenant-shop"].0, "pro-us-east");
    let wrong = fails_with(
        &world.tenantctl(&["move-tenant", "shop", "--cluster", "shared"]),
        2,
    );
    assert!(
        wrong.contains("not in the pool of tenant type production"),
        "{wrong}"
    );
    // Another type with another pool: the tenant moves into it.
    tenant(&world, &["shop-two", "production", "--region", "eu-west"]);
    let out = world.tenantctl(&["update-tenant", "shop-two", "--type", "staging"]);
    let said = ok(&out) + &text(&out.stderr);
    assert!(
        said.contains("kubectl --context pro-eu-west delete namespace"),
        "{said}"
    );
    assert_eq!(apps(&world)["tenant-shop-two"].0, "shared");
}

#[test]
fn validate_refuses_unknown_missing_and_out_of_pool_placements_and_a_full_pool() {
    let world = multi_cluster();
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro", "--no-push"]));
    let guild = world.read("guilds/guild-2.yaml");
    let cluster_line = guild.lines().find(|l| l.starts_with("cluster:")).unwrap();

    world.write(
        "guilds/guild-2.yaml",
        &guild.replace(cluster_line, "cluster: \"pro-eu-wset\""),
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("guilds/guild-2.yaml:4:10: error[E343]"),
        "{out}"
    );
    assert!(out.contains("did you mean `pro-eu-west`?"), "{out}");

    world.write(
        "guilds/guild-2.yaml",
        &guild.replace(cluster_line, "cluster: \"shared\""),
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("error[E345]: cluster `shared` is not in the pool of guild 2 (tier pro)"),
        "{out}"
    );

    world.write(
        "guilds/guild-2.yaml",
        &guild.replace(&format!("{cluster_line}\n"), ""),
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("error[E344]: guild 2 (tier pro) names no cluster"),
        "{out}"
    );
    assert!(
        out.contains("run `tenantctl place` (its pool: pro-eu-west, pro-us-east)"),
        "{out}"
    );

    world.write("guilds/guild-2.yaml", &guild);
    world.write(
        "tenants/shop.yaml",
        "apiVersion: shop.pilab.hu/v1alpha1\nkind: Tenant\nmetadata:\n  name: shop\nspec:\n  tenantId: shop\n  tenantType: production\n  imageTag: v1.0.0\n  placement:\n    cluster: pro-us-east\n    region: eu-west\n",
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("tenants/shop.yaml:10:14: error[E345]: tenant shop (type production) is pinned to region eu-west, but cluster `pro-us-east` is in us-east"),
        "{out}"
    );
    std::fs::remove_file(world.platform().join("tenants/shop.yaml")).unwrap();
    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["validate"]));

    // Capacity: a full pool is refused naming it; a cluster over capacity is E346.
    let config = world.read("tenantctl.yaml").replace(
        "      region: us-east\n",
        "      region: us-east\n    capacity:\n      guilds: 0\n",
    );
    let config = config.replace(
        "      tier: pro\n      region: eu-west\n",
        "      tier: pro\n      region: eu-west\n    capacity:\n      guilds: 1\n",
    );
    world.write("tenantctl.yaml", &config);
    commit_and_push(&world, "Capacities");
    let head = world.git(&["rev-parse", "HEAD"]);
    let full = fails_with(&world.tenantctl(&["create-guild", "5", "--tier", "pro"]), 2);
    assert!(
        full.contains(
            "the pool of tier pro is full: pro-eu-west holds 1 of 1, pro-us-east holds 0 of 0"
        ),
        "{full}"
    );
    assert_eq!(world.git(&["rev-parse", "HEAD"]), head);
    assert!(!world.platform().join("guilds/guild-5.yaml").exists());
    world.write(
        "guilds/guild-5.yaml",
        "guild_id: \"5\"\ntier: \"pro\"\ncluster: \"pro-eu-west\"\n",
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("error[E346]: cluster `pro-eu-west` holds 2 guilds but takes 1"),
        "{out}"
    );
}

#[test]
fn rendered_argo_cd_resources_validate_against_the_upstream_crds_and_every_app_is_permitted() {
    let world = multi_cluster();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro"]));
    tenant(&world, &["shop", "production", "--region", "us-east"]);
    tenant(&world, &["shop-stage", "staging"]);
    for (file, kind, crd) in [
        (
            "kustomize/argocd/applicationset.yaml",
            "ApplicationSet",
            "applicationset-crd.yaml",
        ),
        (
            "kustomize/argocd/tenants-applicationset.yaml",
            "ApplicationSet",
            "applicationset-crd.yaml",
        ),
        (
            "kustomize/argocd/appprojects.yaml",
            "AppProject",
            "appproject-crd.yaml",
        ),
    ] {
        assert!(check_against_crd(&world, file, kind, crd) > 0, "{file}");
    }
    // Every Application's cluster and namespace, as Argo CD matches them, in its project:
    // apps checks with Argo CD's rules; here by hand as well, from the files alone.
    let listed = apps(&world);
    assert_eq!(listed.len(), 4);
    let projects = parse_yaml_stream(&world.read("kustomize/argocd/appprojects.yaml"));
    let out = ok(&world.tenantctl(&["apps", "--output", "json"]));
    for app in serde_json::from_str::<Vec<Value>>(&out).unwrap() {
        let project = projects
            .iter()
            .find(|p| p["metadata"]["name"] == app["project"])
            .unwrap();
        let namespace = app["namespace"].as_str().unwrap();
        let permitted = project["spec"]["destinations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| {
                d["name"] == app["cluster"] && glob(d["namespace"].as_str().unwrap(), namespace)
            });
        assert!(permitted, "{app} in {project}");
    }
    // No project lets an Application reach a cluster outside its pool.
    let free = projects
        .iter()
        .find(|p| p["metadata"]["name"] == "guilds-free")
        .unwrap();
    assert_eq!(
        free["spec"]["destinations"],
        serde_json::json!([{"name": "shared", "namespace": "guild-*"}])
    );
}

/// Argo CD's destination namespace glob, for the patterns tenantctl renders (`prefix-*`).
fn glob(pattern: &str, namespace: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => namespace.starts_with(prefix),
        None => pattern == namespace,
    }
}

#[test]
fn pro_guilds_autoscale_the_backend_only_free_stays_fixed_and_quotas_hold_the_peak() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro"]));
    // Without `clusters` there is nowhere to place or move anything: refused, not guessed.
    for args in [
        &["move-guild", "2", "--cluster", "pro-eu-west"][..],
        &["place"][..],
        &[
            "create-guild",
            "3",
            "--tier",
            "pro",
            "--cluster",
            "pro-eu-west",
        ][..],
    ] {
        let refused = fails_with(&world.tenantctl(args), 2);
        assert!(
            refused.contains("lists no `clusters`"),
            "{args:?}: {refused}"
        );
    }
    let free = kustomize_build(&world, "kustomize/guilds/guild-1");
    let pro = kustomize_build(&world, "kustomize/guilds/guild-2");
    let of = |built: &[Value], kind: &str| -> Vec<Value> {
        built
            .iter()
            .filter(|m| m["kind"] == kind)
            .cloned()
            .collect()
    };
    // Free: one replica each, no autoscaler, nothing to budget.
    assert!(of(&free, "HorizontalPodAutoscaler").is_empty());
    assert!(of(&free, "PodDisruptionBudget").is_empty());
    for deployment in of(&free, "Deployment") {
        assert_eq!(deployment["spec"]["replicas"], 1, "{deployment}");
    }
    // Pro: the backend's HPA (min 2, max and CPU target from the tier), none for the bot.
    let hpas = of(&pro, "HorizontalPodAutoscaler");
    assert_eq!(hpas.len(), 1);
    let hpa = &hpas[0]["spec"];
    assert_eq!(hpa["scaleTargetRef"]["name"], "backend");
    assert_eq!(hpa["minReplicas"], 2);
    assert_eq!(hpa["maxReplicas"], 4);
    assert_eq!(
        hpa["metrics"][0]["resource"]["target"]["averageUtilization"],
        70
    );
    for deployment in of(&pro, "Deployment") {
        let name = deployment["metadata"]["name"].as_str().unwrap();
        if name == "backend" {
            // The HPA alone owns the count: a count in git would have Argo CD undo scaling.
            assert!(deployment["spec"]["replicas"].is_null(), "{deployment}");
        } else {
            assert_eq!(deployment["spec"]["replicas"], 2, "{deployment}");
        }
    }
    // A PodDisruptionBudget for every Deployment that can run more than one pod.
    let mut budgets: Vec<String> = of(&pro, "PodDisruptionBudget")
        .iter()
        .map(|b| {
            assert_eq!(b["spec"]["minAvailable"], 1);
            b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    budgets.sort();
    assert_eq!(budgets, ["backend", "discord-bot"]);
    // The quota holds the peak: the HPA's ceiling and a surge pod per Deployment.
    for (overlay, built) in [
        ("kustomize/guilds/guild-1", &free),
        ("kustomize/guilds/guild-2", &pro),
    ] {
        kubernetes_validate_overlay(&world, overlay);
        let quota = &of(built, "ResourceQuota")[0]["spec"]["hard"];
        let (pods, cpu, memory) = peak(built);
        assert_eq!(
            quota["pods"].as_str().unwrap().parse::<u64>().unwrap(),
            pods,
            "{overlay}"
        );
        assert!(
            crate::capacity::amount(&quota["limits.cpu"]) >= cpu,
            "{overlay}"
        );
        assert!(
            crate::capacity::memory(&quota["limits.memory"]) >= memory,
            "{overlay}"
        );
    }
    assert_eq!(peak(&pro).0, 4 + 1 + 2 + 1);
}

#[test]
fn monitoring_renders_what_the_upstream_prometheus_operator_crds_accept() {
    let world = multi_cluster();
    let config = world.read("tenantctl.yaml")
        + "monitoring:\n  enabled: true\n  labels:\n    release: kube-prometheus-stack\n  guildProbes:\n    livenessPath: /livez\n    readinessPath: /ready\n";
    world.write("tenantctl.yaml", &config);
    ok(&world.tenantctl(&["render"]));
    commit_and_push(&world, "Monitoring");
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro"]));
    tenant(&world, &["shop", "production"]);
    // The projects let Argo CD sync the two kinds, in every project.
    for project in parse_yaml_stream(&world.read("kustomize/argocd/appprojects.yaml")) {
        let kinds = project["spec"]["namespaceResourceWhitelist"].to_string();
        for kind in ["ServiceMonitor", "PrometheusRule"] {
            assert!(
                kinds.contains(&format!(
                    "{{\"group\":\"monitoring.coreos.com\",\"kind\":\"{kind}\"}}"
                )),
                "{kinds}"
            );
        }
    }
    assert!(
        check_against_crd(
            &world,
            "kustomize/argocd/appprojects.yaml",
            "AppProject",
            "appproject-crd.yaml"
        ) > 0
    );
    let dir = world.path().join("built");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for overlay in ["kustomize/guilds/guild-2", "kustomize/tenants/shop"] {
        kubernetes_validate_overlay(&world, overlay);
        let built = kustomize_build(&world, overlay);
        let monitors: Vec<&Value> = built
            .iter()
            .filter(|m| m["kind"] == "ServiceMonitor")
            .collect();
        assert_eq!(monitors.len(), 1, "{overlay}");
        assert_eq!(
            monitors[0]["metadata"]["labels"]["release"],
            "kube-prometheus-stack"
        );
        let rules: Vec<&Value> = built
            .iter()
            .filter(|m| m["kind"] == "PrometheusRule")
            .collect();
        let alerts: Vec<&str> = rules[0]["spec"]["groups"][0]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["alert"].as_str().unwrap())
            .collect();
        for alert in [
            "TenantctlWorkloadDown",
            "TenantctlCrashLooping",
            "TenantctlMemoryNearLimit",
            "TenantctlQuotaNearlyExhausted",
        ] {
            assert!(alerts.contains(&alert), "{overlay}: {alerts:?}");
        }
        // Prometheus (namespace monitoring) may reach the pods: the namespace denies the rest.
        let scrape = built
            .iter()
            .find(|m| {
                m["kind"] == "NetworkPolicy" && m["metadata"]["name"] == "allow-prometheus-scrape"
            })
            .unwrap_or_else(|| panic!("{overlay} lets Prometheus scrape"));
        assert_eq!(
            scrape["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "monitoring"
        );
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(world.platform().join(overlay))
            .output()
            .unwrap();
        let file = dir.join(format!("{}.yaml", overlay.replace('/', "-")));
        std::fs::write(&file, &out.stdout).unwrap();
        files.push(file);
    }
    // The backend's probes at the configured paths, on its http port.
    let guild = kustomize_build(&world, "kustomize/guilds/guild-2");
    let backend = guild
        .iter()
        .find(|m| m["kind"] == "Deployment" && m["metadata"]["name"] == "backend")
        .unwrap();
    let container = &backend["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/livez");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
    assert_eq!(container["readinessProbe"]["httpGet"]["port"], "http");
    // The judge: the upstream CRD schemas, strictly (tests/judges/prometheus-operator.mjs).
    let node = require_tool("node", "install Node.js");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        repo.join("node_modules/@kubernetes-models/prometheus-operator")
            .is_dir(),
        "run `make test` (npm ci) to install @kubernetes-models/prometheus-operator"
    );
    let judge = repo.join("tests/judges/prometheus-operator.mjs");
    let out = Command::new(&node)
        .arg(&judge)
        .args(&files)
        .output()
        .unwrap();
    let report = text(&out.stdout) + &text(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("checked 2 ServiceMonitor, 2 PrometheusRule"),
        "{report}"
    );
    // The judge can fail: an unknown endpoint field and a `for` that is no duration.
    let bad = dir.join("bad.yaml");
    let mut documents = parse_yaml_stream(&std::fs::read_to_string(&files[0]).unwrap());
    for document in &mut documents {
        if document["kind"] == "ServiceMonitor" {
            let endpoint = document["spec"]["endpoints"][0].as_object_mut().unwrap();
            let port = endpoint.remove("port").unwrap();
            endpoint.insert("prt".into(), port);
        }
        if document["kind"] == "PrometheusRule" {
            document["spec"]["groups"][0]["rules"][0]["for"] = serde_json::json!(5);
        }
    }
    let broken: Vec<String> = documents.iter().map(Value::to_string).collect();
    std::fs::write(&bad, broken.join("\n---\n")).unwrap();
    let out = Command::new(&node).arg(&judge).arg(&bad).output().unwrap();
    let report = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success(), "{report}");
    assert!(report.contains("prt: unknown field"), "{report}");
    assert!(report.contains("for: must be string"), "{report}");
}

#[test]
fn place_puts_every_unplaced_guild_and_tenant_on_its_pool_in_one_commit() {
    // A repo that grew on one cluster turns `clusters` on.
    let world = World::new();
    world.platform_with_remote();
    for (id, tier) in [
        ("1", "free"),
        ("2", "pro"),
        ("3", "pro"),
        ("4", "pro"),
        ("5", "pro"),
    ] {
        ok(&world.tenantctl(&["create-guild", id, "--tier", tier]));
    }
    tenant(&world, &["shop", "production"]);
    // A comment in a guild file survives the placement.
    let commented = format!("# our biggest guild\n{}", world.read("guilds/guild-2.yaml"));
    world.write("guilds/guild-2.yaml", &commented);
    commit_and_push(&world, "A comment");
    let placed_repo = multi_cluster_config(&world);
    assert!(placed_repo.contains("clusters:"));
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("error[E344]: guild 2 (tier pro) names no cluster"),
        "{out}"
    );
    commit_and_push(&world, "Clusters");
    let head = world.git(&["rev-parse", "HEAD"]);

    let out = ok(&world.tenantctl(&["place"]));
    assert!(
        out.contains("Place 5 guild(s) and 1 tenant(s) on clusters"),
        "{out}"
    );
    assert_eq!(
        world.git(&["rev-list", "--count", &format!("{}..HEAD", head.trim())]),
        "1\n"
    );
    ok(&world.tenantctl(&["validate"]));
    let placed = apps(&world);
    assert_eq!(placed["guild-1"].0, "shared");
    let mut pro: Vec<&str> = ["guild-2", "guild-3", "guild-4", "guild-5"]
        .iter()
        .map(|g| placed[*g].0.as_str())
        .collect();
    pro.sort();
    assert_eq!(
        pro,
        ["pro-eu-west", "pro-eu-west", "pro-us-east", "pro-us-east"]
    );
    assert!(placed["tenant-shop"].0.starts_with("pro-"));
    assert!(
        world
            .read("guilds/guild-2.yaml")
            .starts_with("# our biggest guild\n")
    );
    // Nothing left to place: nothing to commit.
    let head = world.git(&["rev-parse", "HEAD"]);
    let said = ok(&world.tenantctl(&["place"]));
    assert!(said.contains("nothing to change"), "{said}");
    assert_eq!(world.git(&["rev-parse", "HEAD"]), head);
}

/// [`multi_cluster`]'s settings written into `world`'s tenantctl.yaml (not committed).
fn multi_cluster_config(world: &World) -> String {
    insert_after(
        world,
        "\n  free:\n    replicas: 1\n",
        "    placement:\n      cluster: shared\n",
    );
    insert_after(
        world,
        "\n  pro:\n    replicas: 2\n",
        "    placement:\n      clusterSelector:\n        tier: pro\n",
    );
    world.set_tenant_settings(
        "  placement:\n    production:\n      clusterSelector:\n        tier: pro\n    staging:\n      cluster: shared\n    development:\n      cluster: shared\n",
    );
    let config = world.read("tenantctl.yaml") + CLUSTERS;
    world.write("tenantctl.yaml", &config);
    config
}

#[test]
fn a_tenant_type_with_two_fixed_replicas_gets_disruption_budgets_and_no_autoscaler() {
    let world = World::new();
    world.platform_with_remote();
    world.set_tenant_settings(
        "  replicas:\n    production: 2\n    staging: 2\n    development: 1\n",
    );
    commit_and_push(&world, "Staging runs two");
    tenant(&world, &["shop-stage", "staging"]);
    tenant(&world, &["shop-dev", "development"]);
    let staging = kustomize_build(&world, "kustomize/tenants/shop-stage");
    let budgets: Vec<&Value> = staging
        .iter()
        .filter(|m| m["kind"] == "PodDisruptionBudget")
        .collect();
    assert_eq!(budgets.len(), 2, "one per service");
    assert!(
        !staging
            .iter()
            .any(|m| m["kind"] == "HorizontalPodAutoscaler")
    );
    for deployment in staging.iter().filter(|m| m["kind"] == "Deployment") {
        assert_eq!(deployment["spec"]["replicas"], 2);
    }
    kubernetes_validate_overlay(&world, "kustomize/tenants/shop-stage");
    let development = kustomize_build(&world, "kustomize/tenants/shop-dev");
    assert!(
        !development
            .iter()
            .any(|m| m["kind"] == "PodDisruptionBudget")
    );
}

#[test]
fn an_application_on_a_cluster_outside_its_project_is_not_permitted_though_its_namespace_is() {
    let world = multi_cluster();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    tenant(&world, &["shop-dev", "development"]);
    let before = apps(&world);
    assert_eq!(before["guild-1"], ("shared".into(), "guilds-free".into()));
    assert_eq!(
        before["tenant-shop-dev"],
        ("shared".into(), "tenants-development".into())
    );
    // By hand, committed: only the clusters change, onto the pro pool; the namespaces stay the
    // ones their projects allow (guild-*, tenant-*).
    let guild = world.read("guilds/guild-1.yaml");
    assert!(guild.contains("cluster: \"shared\"\n"), "{guild}");
    world.write(
        "guilds/guild-1.yaml",
        &guild.replace("cluster: \"shared\"", "cluster: \"pro-eu-west\""),
    );
    let params = world.read("kustomize/tenants/shop-dev/params.yaml");
    assert!(params.contains("cluster: \"shared\""), "{params}");
    world.write(
        "kustomize/tenants/shop-dev/params.yaml",
        &params.replace("cluster: \"shared\"", "cluster: \"pro-us-east\""),
    );
    world.git(&["commit", "-qam", "moved by hand"]);
    // Argo CD would not deploy them: apps leaves them out of its list and says why.
    let ran = world.tenantctl(&["apps", "--output", "json"]);
    assert_eq!(ran.status.code(), Some(1));
    let out = crate::support::text(&ran.stderr);
    for (name, namespace, cluster, project) in [
        ("guild-1", "guild-1", "pro-eu-west", "guilds-free"),
        (
            "tenant-shop-dev",
            "tenant-shop-dev-development",
            "pro-us-east",
            "tenants-development",
        ),
    ] {
        assert!(
            out.contains(&format!(
                "Argo CD would not deploy the Application {name}: AppProject `{project}` does not permit namespace `{namespace}` on {cluster}"
            )),
            "{out}"
        );
    }
    // The list on stdout is JSON, and neither Application is in it.
    let listed: Vec<Value> = serde_json::from_slice(&ran.stdout).expect("apps prints JSON");
    let names: Vec<&str> = listed.iter().filter_map(|a| a["name"].as_str()).collect();
    assert!(
        !names.contains(&"guild-1") && !names.contains(&"tenant-shop-dev"),
        "not listed: {names:?}"
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("E333") && out.contains("Argo CD would not deploy the Application guild-1"),
        "{out}"
    );
    assert!(
        out.contains("Argo CD would not deploy the Application tenant-shop-dev"),
        "{out}"
    );
}
