//! Resources that add up and backups that work (issue 11, scopes 1 and 3): every overlay of a
//! fleet (the seed example, a guild of each tier, a tenant of each type) is built with
//! `kubectl kustomize`, and the pods' limits at their peak — HPA max or replicas, plus each
//! Deployment's rollout surge, plus the backup Job — are summed here from the built manifests
//! alone and held against the rendered ResourceQuota. Tenants that cannot fit, and backups with
//! nowhere to go or nothing to back up, are refused by `validate` with the numbers.

use std::path::Path;

use serde_json::Value;

use crate::support::{World, fails_with, kubernetes_validate_overlay, kustomize_build, ok};

const SEED: &str = include_str!("../fixtures/tenant/seed-example.yaml");

/// A staging shop: two services, a tight quota, its own database, backups to a bucket.
const STAGING: &str = r#"apiVersion: shop.pilab.hu/v1alpha1
kind: Tenant
metadata:
  name: shop-staging
spec:
  tenantId: "shop-staging"
  tenantType: "staging"
  imageTag: "v2.0.0-rc.1"
  customDomain: "staging.shop.example.com"
  active: true
  mongoURI: "mongodb://shop@mongo.staging-data.svc:27017"
  mongoPasswordSecretRef:
    name: "shop-staging-mongo"
    key: "password"
  services:
    - "api"
    - "frontend"
  resourceLimits:
    cpuLimit: "1"
    memoryLimit: "2Gi"
  backupConfig:
    enabled: true
    schedule: "30 1 * * *"
    timeZone: "Europe/Budapest"
    target:
      bucket:
        url: "s3://shop-backups/staging"
        credentialsSecretName: "backup-s3"
"#;

/// A development shop: one service, no quota of its own, no backups.
const DEVELOPMENT: &str = r#"apiVersion: shop.pilab.hu/v1alpha1
kind: Tenant
metadata:
  name: shop-dev
spec:
  tenantId: "shop-dev"
  tenantType: "development"
  imageTag: "main-4f2a9c1"
  active: true
  services:
    - "worker"
"#;

/// Every overlay of the fleet, by path.
pub const FLEET: [&str; 5] = [
    "kustomize/guilds/guild-1",
    "kustomize/guilds/guild-2",
    "kustomize/tenants/customer-shop-1",
    "kustomize/tenants/shop-staging",
    "kustomize/tenants/shop-dev",
];

/// A platform with a free guild (1), a pro guild (2), the seed tenant (production) and a
/// staging and a development tenant, rendered and valid.
pub fn fleet() -> World {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-push"]));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro", "--no-push"]));
    world.write("tenants/customer-shop-1.yaml", SEED);
    world.write("tenants/shop-staging.yaml", STAGING);
    world.write("tenants/shop-dev.yaml", DEVELOPMENT);
    ok(&world.tenantctl(&["render"]));
    world.git(&["add", "-A"]);
    world.git(&["commit", "-q", "-m", "Tenants of each type"]);
    ok(&world.tenantctl(&["validate"]));
    world
}

fn of_kind<'a>(manifests: &'a [Value], kind: &str) -> Vec<&'a Value> {
    manifests.iter().filter(|m| m["kind"] == kind).collect()
}

/// Millicores or bytes of a quantity; only the suffixes tenantctl writes.
pub fn amount(quantity: &Value) -> u64 {
    let text = quantity.as_str().unwrap_or_else(|| panic!("{quantity}"));
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().unwrap();
    let factor = match suffix {
        "" => 1000.0, // cores, counted in millicores
        "m" => 1.0,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        other => panic!("unexpected quantity suffix {other} in {text}"),
    };
    (number * factor).round() as u64
}

/// Memory in bytes (`amount` counts a bare number as cores).
pub fn memory(quantity: &Value) -> u64 {
    let text = quantity.as_str().unwrap();
    if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().unwrap()
    } else {
        amount(quantity)
    }
}

/// A Deployment's pods at its busiest: the HPA's maxReplicas or its replicas, plus the surge
/// of a rolling update (maxSurge as a count, or a percentage rounded up; Kubernetes' default
/// is 25%).
fn peak_pods(deployment: &Value, autoscalers: &[&Value]) -> u64 {
    let name = &deployment["metadata"]["name"];
    let hpa = autoscalers
        .iter()
        .find(|h| h["spec"]["scaleTargetRef"]["name"] == *name);
    let replicas = match hpa {
        Some(hpa) => hpa["spec"]["maxReplicas"].as_u64().unwrap(),
        None => deployment["spec"]["replicas"].as_u64().unwrap_or(1),
    };
    let strategy = &deployment["spec"]["strategy"];
    if strategy["type"] == "Recreate" || replicas == 0 {
        return replicas;
    }
    let surge = match &strategy["rollingUpdate"]["maxSurge"] {
        Value::Number(n) => n.as_u64().unwrap(),
        Value::String(p) => {
            let percent: u64 = p.trim_end_matches('%').parse().unwrap();
            (replicas * percent).div_ceil(100)
        }
        _ => replicas.div_ceil(4),
    };
    replicas + surge
}

/// Limits of every container of a pod template: (millicores, bytes).
fn pod_limits(pod: &Value) -> (u64, u64) {
    let containers = pod["spec"]["containers"].as_array().unwrap();
    containers.iter().fold((0, 0), |(cpu, mem), c| {
        let limits = &c["resources"]["limits"];
        assert!(
            limits["cpu"].is_string() && limits["memory"].is_string(),
            "every container sets its limits: {c}"
        );
        assert!(
            c["resources"]["requests"]["cpu"].is_string()
                && c["resources"]["requests"]["memory"].is_string(),
            "every container sets its requests: {c}"
        );
        (
            cpu + amount(&limits["cpu"]),
            mem + memory(&limits["memory"]),
        )
    })
}

/// (pods, millicores, bytes) the namespace needs at its peak.
pub fn peak(manifests: &[Value]) -> (u64, u64, u64) {
    let autoscalers = of_kind(manifests, "HorizontalPodAutoscaler");
    let mut total = (0, 0, 0);
    for deployment in of_kind(manifests, "Deployment") {
        let pods = peak_pods(deployment, &autoscalers);
        let (cpu, mem) = pod_limits(&deployment["spec"]["template"]);
        total = (total.0 + pods, total.1 + pods * cpu, total.2 + pods * mem);
    }
    for cron in of_kind(manifests, "CronJob") {
        assert_eq!(
            cron["spec"]["concurrencyPolicy"], "Forbid",
            "one run at a time"
        );
        let (cpu, mem) = pod_limits(&cron["spec"]["jobTemplate"]["spec"]["template"]);
        total = (total.0 + 1, total.1 + cpu, total.2 + mem);
    }
    total
}

#[test]
fn every_namespace_of_the_fleet_holds_its_peak_within_its_quota() {
    let world = fleet();
    for overlay in FLEET {
        // Valid first: every built manifest passes `kubernetes-validate --strict`.
        kubernetes_validate_overlay(&world, overlay);
        let built = kustomize_build(&world, overlay);
        let quotas = of_kind(&built, "ResourceQuota");
        assert_eq!(quotas.len(), 1, "{overlay} has one quota");
        let hard = &quotas[0]["spec"]["hard"];
        let (pods, cpu, mem) = peak(&built);
        assert!(pods > 0, "{overlay} runs pods");
        assert!(
            cpu <= amount(&hard["limits.cpu"]),
            "{overlay}: {cpu}m of CPU limits at the peak, quota {}",
            hard["limits.cpu"]
        );
        assert!(
            mem <= memory(&hard["limits.memory"]),
            "{overlay}: {mem} bytes of memory limits at the peak, quota {}",
            hard["limits.memory"]
        );
        if let Some(hard_pods) = hard["pods"].as_str() {
            assert!(
                pods <= hard_pods.parse().unwrap(),
                "{overlay}: {pods} pods at the peak, quota {hard_pods}"
            );
        }
        for deployment in of_kind(&built, "Deployment") {
            let rolling = &deployment["spec"]["strategy"]["rollingUpdate"];
            if deployment["metadata"]["namespace"]
                .as_str()
                .unwrap()
                .starts_with("tenant-")
            {
                assert_eq!(rolling["maxUnavailable"], 0, "{overlay}: no capacity lost");
                assert_eq!(rolling["maxSurge"], 1, "{overlay}: the quota holds one");
            }
        }
    }
}

#[test]
fn the_seed_shop_fits_exactly_as_computed_and_its_hpas_stop_where_the_quota_does() {
    let world = fleet();
    let built = kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    let hard = &of_kind(&built, "ResourceQuota")[0]["spec"]["hard"];
    // The tenant's own limits are kept as written.
    assert_eq!(hard["limits.cpu"], "2");
    assert_eq!(hard["limits.memory"], "4Gi");
    assert_eq!(hard["requests.storage"], "20Gi");
    // 4 services x (3 + 1 surge) x 100m + the backup's 100m = 1700m of 2000m.
    assert_eq!(peak(&built), (17, 1700, (16 * 192 + 256) * 1024 * 1024));
    for hpa in of_kind(&built, "HorizontalPodAutoscaler") {
        assert_eq!(hpa["spec"]["minReplicas"], 2);
        assert_eq!(hpa["spec"]["maxReplicas"], 3);
    }
    // The design's staging shop (two services on limits.cpu 1) fits with a surge pod each and
    // its backup: 2 x (1 + 1) x 200m + 100m.
    let staging = kustomize_build(&world, "kustomize/tenants/shop-staging");
    assert_eq!(peak(&staging).1, 900);
}

#[test]
fn a_development_tenant_without_limits_gets_a_quota_sized_from_its_peak() {
    let world = fleet();
    let built = kustomize_build(&world, "kustomize/tenants/shop-dev");
    let hard = &of_kind(&built, "ResourceQuota")[0]["spec"]["hard"];
    let (pods, cpu, mem) = peak(&built);
    assert_eq!((pods, cpu), (2, 400), "one replica and its surge pod");
    assert_eq!(amount(&hard["limits.cpu"]), cpu);
    assert_eq!(memory(&hard["limits.memory"]), mem);
    assert_eq!(hard["pods"], "2");
}

#[test]
fn a_tenant_sized_not_to_fit_is_refused_with_the_numbers() {
    let world = fleet();
    let small = SEED
        .replace("cpuLimit: \"2\"", "cpuLimit: \"1\"")
        .replace("memoryLimit: \"4Gi\"", "memoryLimit: \"2Gi\"");
    world.write("tenants/customer-shop-1.yaml", &small);
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("tenants/customer-shop-1.yaml:20:15: error[E340]: the workloads need limits.cpu 1300m at their peak (4 services x (2 replicas + 1 surge) x 100m + backup 100m), but the quota gives 1"),
        "{out}"
    );
    assert!(
        out.contains("error[E340]: the workloads need limits.memory 2560Mi at their peak (4 services x (2 replicas + 1 surge) x 192Mi + backup 256Mi), but the quota gives 2Gi"),
        "{out}"
    );
    assert!(
        out.contains("raise `resourceLimits.cpuLimit` to at least 1300m"),
        "{out}"
    );
    // Committed by hand, it blocks every change until it is fixed: nothing is committed.
    world.git(&["commit", "-q", "-am", "Shrink customer-shop-1"]);
    let head = world.git(&["rev-parse", "HEAD"]);
    let out = fails_with(
        &world.tenantctl(&["update-tenant", "shop-dev", "--image-tag", "main-5e3b0d2"]),
        1,
    );
    assert!(out.contains("E340"), "{out}");
    assert_eq!(world.git(&["rev-parse", "HEAD"]), head);
}

#[test]
fn per_service_resources_override_the_tenant_type() {
    let world = fleet();
    world.set_tenant_settings(concat!(
        "  serviceResources:\n",
        "    worker:\n",
        "      cpuRequest: \"250m\"\n",
        "      memoryRequest: \"256Mi\"\n",
        "      cpuLimit: \"500m\"\n",
        "      memoryLimit: \"512Mi\"\n",
    ));
    // The seed shop's worker at 500m no longer leaves room for 2 replicas + surge of all four.
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("limits.cpu 2500m at their peak ((2 replicas + 1 surge) x (100m + 100m + 500m + 100m) + backup 100m)"),
        "{out}"
    );
    world.write(
        "tenants/customer-shop-1.yaml",
        &SEED.replace("cpuLimit: \"2\"", "cpuLimit: \"3\""),
    );
    ok(&world.tenantctl(&["render"]));
    let built = kustomize_build(&world, "kustomize/tenants/shop-dev");
    let worker = &of_kind(&built, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(worker["resources"]["limits"]["cpu"], "500m");
    assert_eq!(worker["resources"]["requests"]["memory"], "256Mi");
}

#[test]
fn backups_write_to_their_target_and_read_the_tenants_database() {
    let world = fleet();
    // A bucket: credentials from the named Secret, the URL as the target.
    let staging = kustomize_build(&world, "kustomize/tenants/shop-staging");
    let cron = of_kind(&staging, "CronJob")[0];
    assert_eq!(cron["spec"]["timeZone"], "Europe/Budapest");
    assert_eq!(cron["spec"]["startingDeadlineSeconds"], 3600);
    let job = &cron["spec"]["jobTemplate"]["spec"];
    assert_eq!(job["activeDeadlineSeconds"], 7200);
    let container = &job["template"]["spec"]["containers"][0];
    assert_eq!(
        container["envFrom"][1]["secretRef"]["name"], "backup-s3",
        "{container}"
    );
    let env = |name: &str| {
        container["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {container}"))
    };
    assert_eq!(env("BACKUP_TARGET")["value"], "s3://shop-backups/staging");
    assert_eq!(
        env("MONGO_PASSWORD")["valueFrom"]["secretKeyRef"]["name"],
        "shop-staging-mongo"
    );
    let config = &of_kind(&staging, "ConfigMap")[0]["data"];
    assert_eq!(
        config["MONGO_URI"],
        "mongodb://shop@mongo.staging-data.svc:27017"
    );
    assert!(of_kind(&staging, "PersistentVolumeClaim").is_empty());

    // The platform's default: a volume as large as the tenant's storage quota, mounted.
    let seed = kustomize_build(&world, "kustomize/tenants/customer-shop-1");
    let claim = of_kind(&seed, "PersistentVolumeClaim")[0];
    assert_eq!(claim["metadata"]["name"], "backup");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "20Gi");
    let pod = &of_kind(&seed, "CronJob")[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(
        pod["volumes"][1]["persistentVolumeClaim"]["claimName"],
        "backup"
    );
    assert_eq!(
        pod["containers"][0]["volumeMounts"][1]["mountPath"],
        "/backup"
    );
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(
        of_kind(&seed, "ConfigMap")[0]["data"]["MONGO_URI"],
        "mongodb://mongo.pishop-data.svc:27017",
        "the platform's shared database"
    );
}

#[test]
fn enabled_backups_without_a_target_or_a_database_are_refused() {
    let world = fleet();
    let config = world.read("tenantctl.yaml");
    // The platform's defaults (the last section of the file) gone.
    let without = config.split("\ntenants:\n").next().unwrap().to_string() + "\n";
    world.write("tenantctl.yaml", &without);
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("tenants/customer-shop-1.yaml:24:5: error[E341]: backups are enabled but have nowhere to go"),
        "{out}"
    );
    assert!(
        out.contains("tenants/customer-shop-1.yaml:24:5: error[E342]: backups are enabled but the tenant has no database address"),
        "{out}"
    );
    // shop-staging names its own bucket and database: nothing to say about it.
    assert!(!out.contains("tenants/shop-staging.yaml"), "{out}");

    // A volume larger than the tenant's storage quota does not fit either.
    world.write("tenantctl.yaml", &config);
    let big = SEED.replace(
        "    retention: \"30d\"\n",
        "    retention: \"30d\"\n    target:\n      volume:\n        size: \"50Gi\"\n",
    );
    world.write("tenants/customer-shop-1.yaml", &big);
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("error[E340]: the workloads need requests.storage 50Gi at their peak (the backup volume of 50Gi), but the quota gives 20Gi"),
        "{out}"
    );
}

#[test]
fn the_discord_bot_is_leader_elected_and_only_it_gets_a_token() {
    let world = fleet();
    for (overlay, replicas) in [
        ("kustomize/guilds/guild-1", 1),
        ("kustomize/guilds/guild-2", 2),
    ] {
        let built = kustomize_build(&world, overlay);
        let deployment = |name: &str| {
            of_kind(&built, "Deployment")
                .into_iter()
                .find(|d| d["metadata"]["name"] == name)
                .unwrap()
                .clone()
        };
        let bot = deployment("discord-bot");
        assert_eq!(bot["spec"]["replicas"], replicas);
        let pod = &bot["spec"]["template"]["spec"];
        assert_eq!(pod["serviceAccountName"], "discord-bot");
        assert_eq!(pod["automountServiceAccountToken"], true);
        let env = pod["containers"][0]["env"].as_array().unwrap();
        let names: Vec<&str> = env.iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"LEADER_ELECTION_LEASE"), "{names:?}");
        let pod_name = env.iter().find(|e| e["name"] == "POD_NAME").unwrap();
        assert_eq!(
            pod_name["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.name"
        );
        let backend = deployment("backend");
        assert_eq!(
            backend["spec"]["template"]["spec"]["automountServiceAccountToken"],
            false
        );
        // The Role reaches Leases only, and only the bot's own for get and update.
        let role = of_kind(&built, "Role")[0];
        for rule in role["rules"].as_array().unwrap() {
            assert_eq!(rule["apiGroups"][0], "coordination.k8s.io");
            assert_eq!(rule["resources"][0], "leases");
            let verbs: Vec<&str> = rule["verbs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            if verbs != ["create"] {
                assert_eq!(rule["resourceNames"][0], "discord-bot", "{rule}");
            }
        }
        let binding = of_kind(&built, "RoleBinding")[0];
        assert_eq!(binding["subjects"][0]["name"], "discord-bot");
    }
}

/// Writes every built overlay of the fleet to `dir`, one file each; returns the files.
pub fn build_fleet_into(world: &World, dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    FLEET
        .iter()
        .map(|overlay| {
            let out = std::process::Command::new("kubectl")
                .arg("kustomize")
                .arg(world.platform().join(overlay))
                .output()
                .expect("kubectl");
            assert!(out.status.success(), "{overlay}");
            let file = dir.join(format!("{}.yaml", overlay.rsplit('/').next().unwrap()));
            std::fs::write(&file, &out.stdout).unwrap();
            file
        })
        .collect()
}
