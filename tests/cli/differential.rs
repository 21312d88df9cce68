//! A differential test against check-jsonschema: on 1,200 generated guild and tenant files
//! (valid ones and mutants), every file that check-jsonschema rejects with our schemas,
//! tenantctl rejects too.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{Map, Value, json};

use crate::support::{Rng, World, require_tool, text};

const SEED: &str = include_str!("../fixtures/tenant/seed-example.yaml");

const STRINGS: [&str; 18] = [
    "",
    "abc",
    "1Gi",
    "-1",
    "100m",
    "1 Gi",
    "0 2 * * *",
    "UPPER",
    "shop.example.com",
    "*.x.com",
    "a@b.co",
    "123",
    "prod",
    "production",
    "free",
    "pro",
    "v1.2.3",
    "x\ny",
];

/// Every JSON pointer in a value.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let child = format!("{at}/{k}");
                out.push(child.clone());
                pointers(v, child, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let child = format!("{at}/{i}");
                out.push(child.clone());
                pointers(v, child, out);
            }
        }
        _ => {}
    }
}

fn mutate(rng: &mut Rng, doc: &mut Value) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let target = rng.pick(&all).clone();
    let (parent, key) = target.rsplit_once('/').unwrap();
    let replacement = match rng.below(7) {
        0 => None,
        1 => Some(json!(rng.below(1000))),
        2 => Some(json!(rng.below(2) == 0)),
        3 => Some(Value::Null),
        4 => Some(json!([rng.pick(&STRINGS).to_string()])),
        5 => Some(json!({ "nested": rng.pick(&STRINGS).to_string() })),
        _ => Some(json!(rng.pick(&STRINGS).to_string())),
    };
    let parent = if parent.is_empty() {
        Some(&mut *doc)
    } else {
        doc.pointer_mut(parent)
    };
    match (parent, replacement) {
        (Some(Value::Object(map)), None) => {
            map.remove(key);
        }
        (Some(Value::Object(map)), Some(value)) => {
            map.insert(key.to_string(), value);
        }
        (Some(Value::Array(items)), None) => {
            items.remove(key.parse::<usize>().unwrap());
        }
        (Some(Value::Array(items)), Some(value)) => {
            items[key.parse::<usize>().unwrap()] = value;
        }
        _ => {}
    }
    if rng.below(4) == 0
        && let Value::Object(map) = doc
    {
        map.insert(format!("unknown_{}", rng.below(5)), json!("x"));
    }
}

fn guild(n: usize, rng: &mut Rng) -> Value {
    let mut doc: Map<String, Value> = Map::new();
    doc.insert("guild_id".into(), json!(n.to_string()));
    doc.insert(
        "tier".into(),
        json!(if rng.below(2) == 0 { "free" } else { "pro" }),
    );
    if rng.below(2) == 0 {
        doc.insert("backend_cpu_limit".into(), json!("500m"));
        doc.insert("discord_memory_limit".into(), json!("256Mi"));
    }
    Value::Object(doc)
}

fn tenant(n: usize) -> Value {
    let text = SEED
        .replace("customer-shop-1", &format!("shop-{n}"))
        .replace("shop.customer.com", &format!("shop{n}.customer.com"));
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn every_file_check_jsonschema_rejects_is_rejected_by_tenantctl() {
    let checker = require_tool("check-jsonschema", "pip install check-jsonschema");
    let world = World::new();
    world.platform_with_remote();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut guild_files = Vec::new();
    let mut tenant_files = Vec::new();
    for n in 1..=1200usize {
        let is_tenant = n % 3 == 0;
        let mut doc = if is_tenant {
            tenant(n)
        } else {
            guild(n, &mut rng)
        };
        for _ in 0..rng.below(3) {
            mutate(&mut rng, &mut doc);
        }
        let (path, list) = if is_tenant {
            (format!("tenants/shop-{n}.yaml"), &mut tenant_files)
        } else {
            (format!("guilds/guild-{n}.yaml"), &mut guild_files)
        };
        world.write(&path, &serde_json::to_string_pretty(&doc).unwrap());
        list.push(path);
    }
    let mut rejected_by_checker = BTreeSet::new();
    for (schema, files) in [
        ("schemas/guild.schema.json", &guild_files),
        ("schemas/tenant.schema.json", &tenant_files),
    ] {
        let out = Command::new(&checker)
            .args(["-o", "json", "--schemafile", schema])
            .args(files.iter())
            .current_dir(world.platform())
            .output()
            .unwrap();
        let report: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)));
        for error in report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .chain(report["parse_errors"].as_array().unwrap())
        {
            rejected_by_checker.insert(error["filename"].as_str().unwrap().to_string());
        }
    }
    let out = world.tenantctl(&["validate", "--format", "json"]);
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let rejected_by_us: BTreeSet<String> = findings
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["file"].as_str().unwrap().to_string())
        .collect();
    let total = guild_files.len() + tenant_files.len();
    assert!(total >= 1000);
    assert!(
        rejected_by_checker.len() > 200 && rejected_by_checker.len() < total - 200,
        "a meaningful mix: {} of {total} rejected",
        rejected_by_checker.len()
    );
    assert!(
        rejected_by_us.len() < total - 200,
        "tenantctl must accept the valid files too: it rejects {}",
        rejected_by_us.len()
    );
    let missed: Vec<&String> = rejected_by_checker.difference(&rejected_by_us).collect();
    assert!(
        missed.is_empty(),
        "check-jsonschema rejects {} file(s) tenantctl accepts: {missed:?}",
        missed.len()
    );
}
