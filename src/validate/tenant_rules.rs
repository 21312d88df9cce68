//! Rules of tenant files beyond their schema: names that agree, a valid namespace, a real host
//! name, no secret in git, valid cron, times, e-mail and labels; and across files, no two
//! tenants sharing an ID, a namespace or a domain.

use std::collections::{BTreeMap, HashSet};

use super::diagnostic::{Diagnostic, code};
use super::formats;
use crate::model::Tenant;
use crate::render::tenant::POD_SECURITY_PREFIX;
use crate::yaml::Document;

/// Every rule of one tenant file.
pub fn tenant_rules(file: &str, document: &Document, tenant: &Tenant) -> Vec<Diagnostic> {
    let spec = &tenant.spec;
    let at = |pointer: &str| document.value_position(pointer);
    let mut out = Vec::new();
    let mut error = |pointer: &str, code, message: String, hint: String| {
        out.push(Diagnostic::error(file, at(pointer), code, message).with_hint(hint));
    };
    let expected_file = Tenant::path_for(&spec.tenant_id);
    if tenant.metadata.name != spec.tenant_id {
        error(
            "/metadata/name",
            code::TENANT_ID_MISMATCH,
            format!(
                "metadata.name `{}` differs from spec.tenantId `{}`",
                tenant.metadata.name, spec.tenant_id
            ),
            "make them equal: the tenantId is the resource's name".into(),
        );
    }
    if file != expected_file {
        error(
            "/spec/tenantId",
            code::TENANT_ID_MISMATCH,
            format!("tenantId `{}` does not match the file name", spec.tenant_id),
            format!("rename the file to {expected_file} or fix tenantId"),
        );
    }
    match tenant.namespace() {
        Err(problem) => error(
            "/spec/namespaceConfig/pattern",
            code::BAD_NAMESPACE,
            problem,
            "use only {tenantId}, {environment}, {tenantType}, {prefix} and {suffix}".into(),
        ),
        Ok(namespace) if !formats::is_dns_label(&namespace) => error(
            if spec.namespace_config.is_some() { "/spec/namespaceConfig" } else { "/spec/tenantId" },
            code::BAD_NAMESPACE,
            format!("the namespace `{namespace}` is not a DNS-1123 label of at most 63 characters"),
            "shorten the tenantId or change namespaceConfig so the name is lowercase letters, digits and `-`".into(),
        ),
        Ok(_) => {}
    }
    if let Some(domain) = &spec.custom_domain
        && let Some(problem) = formats::fqdn_problem(domain)
    {
        error(
            "/spec/customDomain",
            code::BAD_DOMAIN,
            format!("customDomain `{domain}`: {problem}"),
            "write a host name such as shop.customer.com".into(),
        );
    }
    if spec.ingress_tls_secret_name.is_some() && spec.custom_domain.is_none() {
        error(
            "/spec/ingressTlsSecretName",
            code::TLS_WITHOUT_DOMAIN,
            "ingressTlsSecretName is set but customDomain is not".into(),
            "add customDomain, or remove ingressTlsSecretName".into(),
        );
    }
    if spec.mongo_password.is_some() {
        error(
            "/spec/mongoPassword",
            code::PLAINTEXT_SECRET,
            "a plaintext mongoPassword would be stored in git".into(),
            format!(
                "remove mongoPassword, store the password encrypted with `tenantctl secret set {id} mongo-password --stdin` (never on a command line, where shell history keeps it) and add `mongoPasswordSecretRef: {{name: {id}-mongo-password, key: mongo-password}}`",
                id = spec.tenant_id
            ),
        );
    }
    for (pointer, url) in [
        ("/spec/mongoURI", &spec.mongo_uri),
        ("/spec/natsURL", &spec.nats_url),
        ("/spec/redisURL", &spec.redis_url),
    ] {
        if url.as_deref().is_some_and(formats::url_has_password) {
            error(
                pointer,
                code::PLAINTEXT_SECRET,
                format!(
                    "{} carries a password, which would be stored in git",
                    &pointer[6..]
                ),
                format!(
                    "remove the credentials from the URL; store the password with `tenantctl secret set {} mongo-password --stdin` and reference it with mongoPasswordSecretRef",
                    spec.tenant_id
                ),
            );
        }
    }
    let mut seen = HashSet::new();
    for (index, service) in tenant.services().iter().enumerate() {
        if !seen.insert(service) {
            error(
                &format!("/spec/services/{index}"),
                code::DUPLICATE_SERVICE,
                format!("service `{service}` is listed twice"),
                "list each service once".into(),
            );
        }
    }
    if let Some(schedule) = spec
        .backup_config
        .as_ref()
        .and_then(|b| b.schedule.as_ref())
        && let Err(problem) = formats::check_cron(schedule)
    {
        error(
            "/spec/backupConfig/schedule",
            code::BAD_CRON,
            format!("schedule `{schedule}`: {problem}"),
            "for example \"0 2 * * *\" is every day at 02:00".into(),
        );
    }
    if tenant.backups_enabled()
        && spec
            .backup_config
            .as_ref()
            .and_then(|b| b.schedule.as_ref())
            .is_none()
    {
        error(
            "/spec/backupConfig",
            code::BAD_CRON,
            "backups are enabled but have no schedule".into(),
            "add `schedule: \"0 2 * * *\"`".into(),
        );
    }
    if let Some(email) = spec
        .tenant_config
        .as_ref()
        .and_then(|c| c.customer_email.as_ref())
        && !formats::is_email(email)
    {
        error(
            "/spec/tenantConfig/customerEmail",
            code::BAD_EMAIL,
            format!("customerEmail `{email}` is not an e-mail address"),
            "write it as name@example.com".into(),
        );
    }
    if let Some(time) = &spec.deployed_at
        && !formats::is_rfc3339(time)
    {
        error(
            "/spec/deployedAt",
            code::BAD_TIME,
            format!("deployedAt `{time}` is not an RFC 3339 time"),
            "write it like 2026-11-23T10:00:00Z (`tenantctl rollout` sets it)".into(),
        );
    }
    out.extend(label_rules(file, document, tenant));
    out.extend(image_rule(file, document, tenant));
    if spec.active.is_none() {
        out.push(
            Diagnostic::warning(
                file,
                document.key_position("/spec"),
                code::ACTIVE_UNSET,
                "spec.active is not set: tenantctl treats it as true, the CRD's Go type as false",
            )
            .with_hint("set `active: true` (or false) explicitly"),
        );
    }
    out
}

/// An image tag that names a build: production refuses an absent `imageTag` (which renders
/// `tenants.defaultImageTag`, `latest` by default) or `latest` (E338); other types are warned
/// (W105). `latest` moves under a running tenant, and a rollback has nothing to go back to.
fn image_rule(file: &str, document: &Document, tenant: &Tenant) -> Option<Diagnostic> {
    let spec = &tenant.spec;
    let (at, problem) = match spec.image_tag.as_deref().map(str::trim) {
        None => (
            document.key_position("/spec"),
            "imageTag is not set, so the image is not pinned".to_string(),
        ),
        Some(tag) if tag.is_empty() || tag.eq_ignore_ascii_case("latest") => (
            document.value_position("/spec/imageTag"),
            format!("imageTag `{tag}` is not pinned to a build"),
        ),
        Some(_) => return None,
    };
    let hint = format!(
        "set `imageTag` to a released tag such as v1.2.3 (`tenantctl update-tenant {} --image-tag v1.2.3`)",
        spec.tenant_id
    );
    Some(if spec.tenant_type == "production" {
        Diagnostic::error(
            file,
            at,
            code::UNPINNED_IMAGE,
            format!("production tenant: {problem}"),
        )
        .with_hint(hint)
    } else {
        Diagnostic::warning(
            file,
            at,
            code::UNPINNED_IMAGE_WARNING,
            format!("{} tenant: {problem}", spec.tenant_type),
        )
        .with_hint(hint)
    })
}

/// Labels and annotations, held to Kubernetes' own rules (apimachinery `ValidateLabels` and
/// `ValidateAnnotations`): the Tenant's own metadata, and the maps tenantctl renders onto the
/// tenant's Namespace from `tenantConfig`.
fn label_rules(file: &str, document: &Document, tenant: &Tenant) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let config = tenant.spec.tenant_config.as_ref();
    let maps = [
        ("/metadata", "labels", tenant.metadata.labels.as_ref()),
        (
            "/metadata",
            "annotations",
            tenant.metadata.annotations.as_ref(),
        ),
        (
            "/spec/tenantConfig",
            "labels",
            config.and_then(|c| c.labels.as_ref()),
        ),
        (
            "/spec/tenantConfig",
            "annotations",
            config.and_then(|c| c.annotations.as_ref()),
        ),
    ];
    for (parent, kind, map) in maps {
        let Some(map) = map else { continue };
        let is_label = kind == "labels";
        for (key, value) in map {
            let pointer = format!("{parent}/{kind}/{}", crate::yaml::escape_pointer(key));
            let checked = if is_label {
                key.clone()
            } else {
                key.to_ascii_lowercase()
            };
            if is_label && parent == "/spec/tenantConfig" && key.starts_with(POD_SECURITY_PREFIX) {
                out.push(
                    Diagnostic::error(
                        file,
                        document.key_position(&pointer),
                        code::POD_SECURITY_LABEL,
                        format!(
                            "`{key}` would set the namespace's Pod Security level, which tenantctl owns: every tenant namespace enforces `restricted`"
                        ),
                    )
                    .with_hint("remove this label; pods must meet the restricted profile (see Pod Security in the README)"),
                );
            }
            if let Some(problem) = formats::qualified_key_problem(&checked) {
                out.push(
                    Diagnostic::error(
                        file,
                        document.key_position(&pointer),
                        code::BAD_LABEL,
                        format!("`{key}` is not a valid {} key: {problem}", &kind[..kind.len() - 1]),
                    )
                    .with_hint("use an optional DNS prefix and `/`, then up to 63 of A-Z a-z 0-9 - _ ., e.g. shop.pilab.hu/team"),
                );
            }
            if is_label && !formats::is_label_value(value) {
                let why = if value.len() > 63 {
                    format!("it is {} characters, over 63", value.len())
                } else {
                    "only A-Z a-z 0-9 - _ ., starting and ending with a letter or digit".into()
                };
                out.push(
                    Diagnostic::error(
                        file,
                        document.value_position(&pointer),
                        code::BAD_LABEL,
                        format!("`{value}` is not a valid label value: {why}"),
                    )
                    .with_hint("up to 63 of A-Z a-z 0-9 - _ ., starting and ending with a letter or digit; put free text in annotations"),
                );
            }
        }
    }
    // What Kubernetes counts: the Tenant's own annotations, and the Namespace's, which tenantctl
    // renders from tenantConfig.annotations plus the customer's name and e-mail.
    let own = tenant
        .metadata
        .annotations
        .as_ref()
        .map_or(0, formats::annotations_size);
    let mut rendered = config
        .and_then(|c| c.annotations.as_ref())
        .map_or(0, formats::annotations_size);
    for (key, value) in [
        (
            "shop.pilab.hu/customer-name",
            config.and_then(|c| c.customer_name.as_ref()),
        ),
        (
            "shop.pilab.hu/customer-email",
            config.and_then(|c| c.customer_email.as_ref()),
        ),
    ] {
        rendered += value.map_or(0, |v| key.len() + v.len());
    }
    for (pointer, size, whose) in [
        ("/metadata/annotations", own, "the Tenant's annotations"),
        (
            "/spec/tenantConfig/annotations",
            rendered,
            "the tenant Namespace's annotations (tenantConfig.annotations, customerName, customerEmail)",
        ),
    ] {
        if size > formats::MAX_ANNOTATIONS_BYTES {
            out.push(
                Diagnostic::error(
                    file,
                    document.key_position(pointer),
                    code::BAD_LABEL,
                    format!(
                        "{whose} total {size} bytes, over Kubernetes' limit of 256 KiB ({} bytes, keys and values)",
                        formats::MAX_ANNOTATIONS_BYTES
                    ),
                )
                .with_hint("keep large data out of annotations: use a ConfigMap"),
            );
        }
    }
    out
}

/// No two tenants may share an ID, a namespace or a custom domain.
pub fn tenant_uniqueness<'a>(tenants: &[(&'a str, &Document, Tenant)]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut ids: BTreeMap<String, &'a str> = BTreeMap::new();
    let mut namespaces: BTreeMap<String, &'a str> = BTreeMap::new();
    let mut domains: BTreeMap<String, &'a str> = BTreeMap::new();
    for (file, document, tenant) in tenants {
        let mut check =
            |seen: &mut BTreeMap<String, &'a str>, value: String, what: &str, pointer: &str| {
                if let Some(first) = seen.get(&value) {
                    out.push(
                        Diagnostic::error(
                            *file,
                            document.value_position(pointer),
                            code::DUPLICATE_TENANT,
                            format!("{what} `{value}` is already used by {first}"),
                        )
                        .with_hint(format!("each tenant needs its own {what}")),
                    );
                } else {
                    seen.insert(value, file);
                }
            };
        check(
            &mut ids,
            tenant.spec.tenant_id.clone(),
            "tenantId",
            "/spec/tenantId",
        );
        if let Ok(namespace) = tenant.namespace() {
            check(&mut namespaces, namespace, "namespace", "/spec/tenantId");
        }
        if let Some(domain) = &tenant.spec.custom_domain {
            check(
                &mut domains,
                domain.clone(),
                "customDomain",
                "/spec/customDomain",
            );
        }
    }
    out
}
