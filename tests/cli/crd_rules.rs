//! The Tenant CRD's `x-kubernetes-validations`, evaluated with a real CEL implementation (the
//! `cel` crate) the way the API server does: each rule at its schema node, with `self` bound to
//! the value there, only when that value is present. The seed example passes every rule; one bad
//! Tenant per rule is refused with the rule's message, which is also the message of
//! `tenantctl validate` for the same file.

use serde_json::{Value, json};

use crate::support::{World, fails_with, ok, parse_yaml};

const SEED: &str = include_str!("../fixtures/tenant/seed-example.yaml");

fn crd() -> Value {
    let world = World::new();
    world.platform_with_remote();
    parse_yaml(&ok(&world.tenantctl(&["crd"])))
}

fn schema(crd: &Value) -> &Value {
    &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
}

/// Every rule the API server would evaluate against `object`, with the messages of those that
/// fail. A rule that the `cel` crate cannot compile or run fails the test.
fn failing_rules(schema: &Value, object: &Value) -> Vec<String> {
    let mut failed = Vec::new();
    walk(schema, object, &mut failed);
    failed
}

fn walk(node: &Value, value: &Value, failed: &mut Vec<String>) {
    for rule in node["x-kubernetes-validations"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let expression = rule["rule"].as_str().unwrap();
        let program = cel::Program::compile(expression)
            .unwrap_or_else(|e| panic!("the cel crate cannot compile `{expression}`: {e:?}"));
        let mut context = cel::Context::default();
        context
            .add_variable("self", cel::to_value(value).unwrap())
            .unwrap();
        match program.execute(&context) {
            Ok(cel::Value::Bool(true)) => {}
            Ok(cel::Value::Bool(false)) => failed.push(rule["message"].as_str().unwrap().into()),
            other => panic!("`{expression}` on {value}: {other:?}"),
        }
    }
    if let (Some(properties), Value::Object(map)) = (node["properties"].as_object(), value) {
        for (key, child) in map {
            if let Some(child_schema) = properties.get(key) {
                walk(child_schema, child, failed);
            }
        }
    }
    if let (Some(items), Value::Array(list)) = (node.get("items"), value) {
        for item in list {
            walk(items, item, failed);
        }
    }
}

fn seed() -> Value {
    parse_yaml(SEED)
}

/// The seed example changed by `edit`.
fn bad(edit: impl FnOnce(&mut Value)) -> Value {
    let mut tenant = seed();
    edit(&mut tenant);
    tenant
}

#[test]
fn every_cel_rule_accepts_the_seed_example_and_refuses_its_bad_tenant() {
    let crd = crd();
    let schema = schema(&crd);
    assert_eq!(failing_rules(schema, &seed()), Vec::<String>::new());
    let cases: Vec<(Value, &str)> = vec![
        (
            bad(|t| t["metadata"]["name"] = json!("other-shop")),
            "metadata.name differs from spec.tenantId",
        ),
        (
            bad(|t| {
                t["spec"].as_object_mut().unwrap().remove("customDomain");
            }),
            "ingressTlsSecretName is set but customDomain is not",
        ),
        (
            bad(|t| t["spec"]["mongoPassword"] = json!("hunter2")),
            "a plaintext mongoPassword would be stored in git",
        ),
        (
            bad(|t| t["spec"]["mongoURI"] = json!("mongodb://admin:s3cret@mongo.db:27017/shop")),
            "mongoURI carries a password, which would be stored in git",
        ),
        (
            bad(|t| t["spec"]["natsURL"] = json!("nats://u:p@nats.messaging:4222")),
            "natsURL carries a password, which would be stored in git",
        ),
        (
            bad(|t| t["spec"]["redisURL"] = json!("redis://:p@redis.cache:6379")),
            "redisURL carries a password, which would be stored in git",
        ),
        (
            bad(|t| t["spec"]["customDomain"] = json!("*.customer.com")),
            "customDomain: it must be a fully qualified host name such as shop.example.com",
        ),
        (
            bad(|t| t["spec"]["customDomain"] = json!("Shop.customer.com")),
            "customDomain: it must be a fully qualified host name such as shop.example.com",
        ),
        (
            bad(|t| t["spec"]["customDomain"] = json!("10.0.0.1")),
            "customDomain: it must be a fully qualified host name such as shop.example.com",
        ),
        (
            bad(|t| t["spec"]["namespaceConfig"] = json!({"pattern": "shop-{tenant}"})),
            "unknown placeholder or unclosed `{` in namespace pattern: use only {tenantId}, {environment}, {tenantType}, {prefix} and {suffix}",
        ),
        (
            bad(|t| t["spec"]["namespaceConfig"] = json!({"pattern": "shop-{tenantId"})),
            "unknown placeholder or unclosed `{` in namespace pattern: use only {tenantId}, {environment}, {tenantType}, {prefix} and {suffix}",
        ),
        (
            bad(|t| {
                t["spec"]["backupConfig"]
                    .as_object_mut()
                    .unwrap()
                    .remove("schedule");
            }),
            "backups are enabled but have no schedule",
        ),
    ];
    for (tenant, message) in cases {
        assert_eq!(
            failing_rules(schema, &tenant),
            [message],
            "{}",
            tenant["spec"]
        );
    }
    // What passes tenantctl's own checks passes the CEL rules too.
    let fine = bad(|t| {
        t["spec"]["mongoURI"] = json!("mongodb://admin@mongo.db:27017/shop?authSource=a:b");
        t["spec"]["natsURL"] = json!("nats://nats.messaging:4222");
        t["spec"]["namespaceConfig"] =
            json!({"pattern": "{prefix}{tenantId}-{environment}{suffix}", "prefix": "x-"});
        t["spec"]["backupConfig"] = json!({"enabled": false});
    });
    assert_eq!(failing_rules(schema, &fine), Vec::<String>::new());
}

#[test]
fn the_crd_defaults_active_and_checks_deployed_at_and_services() {
    let crd = crd();
    let spec = &schema(&crd)["properties"]["spec"]["properties"];
    assert_eq!(spec["active"]["default"], json!(true));
    assert_eq!(spec["deployedAt"]["format"], "date-time");
    assert_eq!(spec["services"]["x-kubernetes-list-type"], "set");
}

/// `tenantctl validate` says what the CRD's rule says, for each per-object rule.
#[test]
fn validate_uses_the_words_of_the_crd_rules() {
    let world = World::new();
    world.platform_with_remote();
    for (edit, message) in [
        (
            (
                "  customDomain: \"shop.customer.com\"\n",
                "  customDomain: \"*.customer.com\"\n",
            ),
            "customDomain `*.customer.com`: ",
        ),
        (
            (
                "  active: true\n",
                "  active: true\n  mongoPassword: \"x\"\n",
            ),
            "a plaintext mongoPassword would be stored in git",
        ),
        (
            (
                "  active: true\n",
                "  active: true\n  natsURL: \"nats://u:p@n:4222\"\n",
            ),
            "natsURL carries a password, which would be stored in git",
        ),
        (
            ("  name: customer-shop-1\n", "  name: other-shop\n"),
            "metadata.name `other-shop` differs from spec.tenantId `customer-shop-1`",
        ),
    ] {
        world.write(
            "tenants/customer-shop-1.yaml",
            &SEED.replace(edit.0, edit.1),
        );
        let out = fails_with(&world.tenantctl(&["validate"]), 1);
        assert!(out.contains(message), "{message}\n{out}");
    }
}
