//! Network policies say what is needed (issue 11, scope 5): the ingress controller reaches only
//! the services the Ingress routes to, on their container port; egress is denied by default and
//! allowed to DNS, the own namespace, the tenant's data services and (where configured) the
//! internet on 443; no ipBlock ever covers the cloud metadata address.

use serde_json::{Value, json};

use crate::support::{World, kustomize_build, ok};

const SEED: &str = include_str!("../fixtures/tenant/seed-example.yaml");
const TENANT: &str = "kustomize/tenants/customer-shop-1";
const NAMESPACE: &str = "tenant-customer-shop-1-production";

fn policies(manifests: &[Value]) -> Vec<&Value> {
    manifests
        .iter()
        .filter(|m| m["kind"] == "NetworkPolicy")
        .collect()
}

fn named<'a>(policies: &[&'a Value], name: &str) -> &'a Value {
    policies
        .iter()
        .find(|p| p["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no policy {name}"))
}

fn names(policies: &[&Value]) -> Vec<String> {
    let mut names: Vec<String> = policies
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn ipv4(text: &str) -> u32 {
    let ip: std::net::Ipv4Addr = text.parse().unwrap();
    u32::from(ip)
}

fn covers(cidr: &str, ip: &str) -> bool {
    let (net, bits) = cidr.split_once('/').unwrap();
    let bits: u32 = bits.parse().unwrap();
    if net.contains(':') {
        return false;
    }
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    ipv4(net) & mask == ipv4(ip) & mask
}

/// Every rule of every policy: no empty egress rule (allow all), no ipBlock that lets
/// 169.254.169.254 through.
fn assert_no_open_egress_and_no_metadata(policies: &[&Value]) {
    for policy in policies {
        let name = &policy["metadata"]["name"];
        for rule in policy["spec"]["egress"].as_array().into_iter().flatten() {
            let to = rule["to"].as_array().map(Vec::len).unwrap_or(0);
            assert!(
                to > 0,
                "{name}: an egress rule without `to` allows everything"
            );
            for peer in rule["to"].as_array().unwrap() {
                let Some(block) = peer.get("ipBlock") else {
                    continue;
                };
                let cidr = block["cidr"].as_str().unwrap();
                if covers(cidr, "169.254.169.254") {
                    let excepted = block["except"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|e| covers(e.as_str().unwrap(), "169.254.169.254"));
                    assert!(excepted, "{name}: {cidr} reaches the metadata address");
                }
                assert!(
                    rule["ports"].as_array().is_some_and(|p| !p.is_empty()),
                    "{name}: an ipBlock rule without ports"
                );
            }
        }
    }
}

fn dns_rule() -> Value {
    json!([{
        "to": [{
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }])
}

fn assert_deny_and_dns(policies: &[&Value]) {
    let deny = &named(policies, "default-deny-egress")["spec"];
    assert_eq!(
        deny,
        &json!({"podSelector": {}, "policyTypes": ["Egress"]}),
        "egress is denied by default"
    );
    let dns = &named(policies, "allow-dns-egress")["spec"];
    assert_eq!(dns["podSelector"], json!({}));
    assert_eq!(dns["egress"], dns_rule());
    let own = &named(policies, "allow-same-namespace-egress")["spec"];
    assert_eq!(own["egress"], json!([{"to": [{"podSelector": {}}]}]));
}

fn seed_world(config_extra: &str, tenant_extra: &str) -> World {
    let world = World::new();
    world.platform_with_remote();
    if !config_extra.is_empty() {
        world.set_tenant_settings(config_extra);
    }
    let seed = SEED.replace(
        "  active: true\n",
        &format!("  active: true\n{tenant_extra}"),
    );
    world.write("tenants/customer-shop-1.yaml", &seed);
    ok(&world.tenantctl(&["render"]));
    ok(&world.tenantctl(&["validate"]));
    world
}

#[test]
fn the_seed_tenant_lets_the_ingress_controller_reach_only_routed_services_and_denies_egress() {
    let world = seed_world("", "");
    let built = kustomize_build(&world, TENANT);
    let policies = policies(&built);
    assert_eq!(
        names(&policies),
        [
            "allow-data-services-egress",
            "allow-dns-egress",
            "allow-ingress-controller",
            "allow-same-namespace",
            "allow-same-namespace-egress",
            "default-deny-egress",
            "default-deny-ingress",
        ],
        "the platform's shared MongoDB (tenants.dataServices) and no internet by default"
    );
    assert_eq!(
        named(&policies, "allow-data-services-egress")["spec"]["egress"],
        json!([{
            "to": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": "pishop-data"}}}],
            "ports": [{"protocol": "TCP", "port": 27017}],
        }])
    );
    for policy in &policies {
        assert_eq!(policy["metadata"]["namespace"], NAMESPACE);
    }
    let controller = &named(&policies, "allow-ingress-controller")["spec"];
    assert_eq!(
        controller,
        &json!({
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/instance": "customer-shop-1"},
                "matchExpressions": [{
                    "key": "app.kubernetes.io/name",
                    "operator": "In",
                    "values": ["api", "frontend"],
                }],
            },
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"namespaceSelector": {"matchLabels": {
                    "kubernetes.io/metadata.name": "ingress-nginx"}}}],
                "ports": [{"protocol": "TCP", "port": 8080}],
            }],
        })
    );
    // The routed services are exactly the Ingress's backends, and their pods listen on 8080.
    let ingress = built.iter().find(|m| m["kind"] == "Ingress").unwrap();
    let mut backends: Vec<&str> = ingress["spec"]["rules"][0]["http"]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["backend"]["service"]["name"].as_str().unwrap())
        .collect();
    backends.sort();
    assert_eq!(backends, ["api", "frontend"]);
    for deployment in built.iter().filter(|m| m["kind"] == "Deployment") {
        let name = deployment["metadata"]["name"].as_str().unwrap();
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["ports"][0]["containerPort"], 8080, "{name}");
        let labels = &deployment["spec"]["template"]["metadata"]["labels"];
        assert_eq!(labels["app.kubernetes.io/instance"], "customer-shop-1");
    }
    assert_deny_and_dns(&policies);
    assert_no_open_egress_and_no_metadata(&policies);
}

#[test]
fn data_services_and_the_internet_are_allowed_as_configured_never_the_metadata_address() {
    let world = seed_world(
        "  egressInternet: true\n",
        concat!(
            "  mongoURI: \"mongodb://shop@mongo-0.mongo.data.svc.cluster.local:27017,",
            "mongo-1.mongo.data.svc.cluster.local/shop?replicaSet=rs0\"\n",
            "  natsURL: \"nats://nats.tenant-customer-shop-1-production.svc:4222\"\n",
            "  redisURL: \"rediss://cache.example.net:6380\"\n",
        ),
    );
    let built = kustomize_build(&world, TENANT);
    let policies = policies(&built);
    assert_deny_and_dns(&policies);
    let data = &named(&policies, "allow-data-services-egress")["spec"];
    assert_eq!(data["podSelector"], json!({}));
    assert_eq!(
        data["egress"],
        json!([
            {
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data"}}}],
                "ports": [{"protocol": "TCP", "port": 27017}],
            },
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
                "ports": [{"protocol": "TCP", "port": 6380}],
            },
        ]),
        "MongoDB in namespace data, Redis outside the cluster; NATS in the own namespace needs no rule"
    );
    let internet = &named(&policies, "allow-internet-https-egress")["spec"];
    assert_eq!(
        internet["egress"],
        json!([{
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [
                "169.254.169.254/32", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}}],
            "ports": [{"protocol": "TCP", "port": 443}],
        }])
    );
    assert_no_open_egress_and_no_metadata(&policies);
    let report = crate::support::kubernetes_validate_overlay(&world, TENANT);
    assert!(!report.contains("error"), "{report}");
}

#[test]
fn a_tenant_without_ingress_gets_no_ingress_controller_policy() {
    let world = World::new();
    world.platform_with_remote();
    world.write(
        "tenants/tiny.yaml",
        "apiVersion: shop.pilab.hu/v1alpha1\nkind: Tenant\nmetadata:\n  name: tiny\nspec:\n  tenantId: tiny\n  tenantType: development\n  services: [api]\n  natsURL: \"nats://169.254.169.254:4222\"\n",
    );
    ok(&world.tenantctl(&["render"]));
    let built = kustomize_build(&world, "kustomize/tenants/tiny");
    let policies = policies(&built);
    assert_eq!(
        names(&policies),
        [
            "allow-data-services-egress",
            "allow-dns-egress",
            "allow-same-namespace",
            "allow-same-namespace-egress",
            "default-deny-egress",
            "default-deny-ingress",
        ],
        "no Ingress"
    );
    // The platform's MongoDB only: NATS at the metadata address gets no rule at all.
    let data = &named(&policies, "allow-data-services-egress")["spec"]["egress"];
    assert_eq!(data.as_array().unwrap().len(), 1, "{data}");
    assert_eq!(data[0]["ports"][0]["port"], 27017);
    assert_no_open_egress_and_no_metadata(&policies);
}

#[test]
fn a_free_guild_denies_egress_but_dns_its_namespace_and_https() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let built = kustomize_build(&world, "kustomize/guilds/guild-1");
    let policies = policies(&built);
    assert_eq!(
        names(&policies),
        [
            "allow-dns-egress",
            "allow-internet-https-egress",
            "allow-same-namespace",
            "allow-same-namespace-egress",
            "default-deny-egress",
            "default-deny-ingress",
        ]
    );
    for policy in &policies {
        assert_eq!(policy["metadata"]["namespace"], "guild-1");
    }
    assert_deny_and_dns(&policies);
    let internet = &named(&policies, "allow-internet-https-egress")["spec"];
    assert_eq!(internet["podSelector"], json!({}));
    assert_eq!(
        internet["egress"],
        json!([{
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [
                "169.254.169.254/32", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}}],
            "ports": [{"protocol": "TCP", "port": 443}],
        }]),
        "the Discord bot reaches discord.com's gateway on 443"
    );
    assert_no_open_egress_and_no_metadata(&policies);
}

#[test]
fn a_tier_exposing_the_backend_lets_only_the_ingress_controller_reach_its_http_port() {
    let world = World::new();
    world.platform_with_remote();
    let config = world.read("tenantctl.yaml");
    assert!(config.contains("\n  pro:\n"), "{config}");
    world.write(
        "tenantctl.yaml",
        &config.replacen("\n  pro:\n", "\n  pro:\n    exposeBackend: true\n", 1),
    );
    world.set_tenant_settings("  ingressControllerNamespace: traefik\n");
    world.git(&["commit", "-qam", "pro exposes its backend through traefik"]);
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro"]));
    let built = kustomize_build(&world, "kustomize/guilds/guild-2");
    let policies = policies(&built);
    assert_eq!(
        names(&policies),
        [
            "allow-dns-egress",
            "allow-ingress-controller-to-backend",
            "allow-internet-https-egress",
            "allow-same-namespace",
            "allow-same-namespace-egress",
            "default-deny-egress",
            "default-deny-ingress",
        ]
    );
    for policy in &policies {
        assert_eq!(policy["metadata"]["namespace"], "guild-2");
    }
    assert_eq!(
        named(&policies, "allow-same-namespace")["spec"],
        json!({
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {}}]}],
        }),
        "every pod of the guild's namespace, and nothing else"
    );
    let exposed = &named(&policies, "allow-ingress-controller-to-backend")["spec"];
    assert_eq!(
        *exposed,
        json!({
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "backend"}},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}}}],
                "ports": [{"port": "http"}],
            }],
        })
    );
    // The selector and the named port are the backend's own: its pods carry the label and its
    // container the port `http`; the Discord bot's pods are not selected.
    let deployment = |name: &str| {
        built
            .iter()
            .find(|m| m["kind"] == "Deployment" && m["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no Deployment {name}"))
    };
    let backend = &deployment("backend")["spec"]["template"];
    assert_eq!(
        backend["metadata"]["labels"]["app.kubernetes.io/name"],
        "backend"
    );
    let ports = &backend["spec"]["containers"][0]["ports"];
    assert!(
        ports
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "http"),
        "{ports}"
    );
    assert_ne!(
        deployment("discord-bot")["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
        "backend"
    );
    assert_no_open_egress_and_no_metadata(&policies);
    // A tier that does not expose its backend gets no such policy.
    let free = kustomize_build(&world, "kustomize/guilds/guild-1");
    let free = names(
        &free
            .iter()
            .filter(|m| m["kind"] == "NetworkPolicy")
            .collect::<Vec<_>>(),
    );
    assert!(
        free.contains(&"allow-same-namespace".to_string()),
        "{free:?}"
    );
    assert!(
        !free.contains(&"allow-ingress-controller-to-backend".to_string()),
        "{free:?}"
    );
}
