//! Injection: values from users' files reach the YAML only as quoted scalars. Hostile values
//! (quotes, newlines, `---`, `{{ }}`) come back verbatim as data, adding no key and no document.

use std::collections::BTreeMap;

use serde_json::Value;
use tenantctl::config::Config;
use tenantctl::model::Guild;
use tenantctl::render::{self, Templates};
use tenantctl::validate::Model;

use crate::support::{World, ok, parse_yaml, parse_yaml_stream};

const HOSTILE: [&str; 5] = [
    "a\"b'c",
    "x\nkind: ClusterRole\n",
    "x\n---\napiVersion: v1\nkind: Secret",
    "{{ .guild_id }}{% raw %}{{ 7*7 }}",
    "acme: {injected: true}\n- list",
];

fn count_keys(value: &Value) -> usize {
    match value {
        Value::Object(map) => map.len() + map.values().map(count_keys).sum::<usize>(),
        Value::Array(items) => items.iter().map(count_keys).sum(),
        _ => 0,
    }
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn hostile_config_values_stay_data_in_the_rendered_application_set() {
    let world = World::new();
    world.platform_with_remote();
    let baseline = parse_yaml(&world.read("kustomize/argocd/applicationset.yaml"));
    for hostile in HOSTILE {
        let quoted = serde_json::to_string(hostile).unwrap();
        let config = world
            .read("tenantctl.yaml")
            .lines()
            .map(|line| {
                if line.trim_start().starts_with("repoURL:") {
                    format!("  repoURL: {quoted}")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        world.write("tenantctl.yaml", &format!("{config}\n"));
        if hostile.contains("{{") {
            // Argo CD would evaluate it in the ApplicationSet's template: refused, named.
            let out = crate::support::fails_with(&world.tenantctl(&["render"]), 1);
            assert!(
                out.contains("E334") && out.contains("argocd.repoURL"),
                "{out}"
            );
            continue;
        }
        ok(&world.tenantctl(&["render"]));
        let text = world.read("kustomize/argocd/applicationset.yaml");
        let documents = parse_yaml_stream(&text);
        assert_eq!(documents.len(), 1, "no extra document for {hostile:?}");
        let set = &documents[0];
        assert_eq!(set["spec"]["generators"][0]["git"]["repoURL"], hostile);
        assert_eq!(
            set["spec"]["template"]["spec"]["source"]["repoURL"],
            hostile
        );
        assert_eq!(
            count_keys(set),
            count_keys(&baseline),
            "no extra key for {hostile:?}"
        );
    }
}

#[test]
fn hostile_guild_values_stay_data_even_without_validation() {
    // Validation would refuse these; rendering must be safe on its own all the same.
    let config: Config = serde_json::from_value(parse_yaml(
        tenantctl::render::scaffold::scaffold_files("https://x")
            .unwrap()
            .get("tenantctl.yaml")
            .unwrap(),
    ))
    .unwrap();
    for hostile in HOSTILE {
        let mut config = config.clone();
        config
            .tiers
            .insert(hostile.to_string(), config.tiers["free"].clone());
        let guild = Guild {
            guild_id: hostile.to_string(),
            tier: hostile.to_string(),
            cluster: Some(hostile.to_string()),
            resources: [("backend_cpu_limit".to_string(), hostile.to_string())].into(),
        };
        let model = Model {
            config,
            guilds: BTreeMap::from([(hostile.to_string(), guild)]),
            tenants: BTreeMap::new(),
            secrets: Vec::new(),
        };
        let templates = Templates::embedded(&tenantctl::embedded::render_templates()).unwrap();
        let files = render::render(&model, &templates).unwrap();
        let overlay = files
            .iter()
            .find(|(p, _)| p.starts_with("kustomize/guilds/") && p.ends_with("/kustomization.yaml"))
            .unwrap()
            .1;
        let documents = parse_yaml_stream(overlay);
        assert_eq!(
            documents.len(),
            1,
            "no extra document for {hostile:?}:\n{overlay}"
        );
        let kustomization = &documents[0];
        let keys: Vec<&String> = kustomization.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "apiVersion",
                "kind",
                "namespace",
                "resources",
                "labels",
                "replicas",
                "patches"
            ],
            "{overlay}"
        );
        assert_eq!(
            kustomization["labels"][0]["pairs"]["tenantctl.io/guild-id"],
            hostile
        );
        assert_eq!(
            kustomization["labels"][0]["pairs"]
                .as_object()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(kustomization["namespace"], format!("guild-{hostile}"));
        assert_eq!(kustomization["resources"][0], format!("../../{hostile}"));
        // The patch is a YAML block of operations (one value a line), each value JSON-quoted.
        let patch: Value =
            crate::support::parse_yaml(kustomization["patches"][0]["patch"].as_str().unwrap());
        let mut values = Vec::new();
        strings(&patch, &mut values);
        assert!(
            values.contains(&hostile.to_string()),
            "the patch carries the value verbatim"
        );
    }
}
