//! Rules a schema cannot express: file names, tiers that exist, request <= limit, unique IDs.

use std::collections::{BTreeMap, BTreeSet};

use super::diagnostic::{Diagnostic, code};
use super::suggest::closest;
use crate::config::{Config, PLACEHOLDER_REPO_URL};
use crate::load::Snapshot;
use crate::model::quantity::Quantity;
use crate::model::{Guild, RESOURCE_FIELDS};
use crate::yaml::Document;

/// Rules of `tenantctl.yaml`: sane tier defaults, an overlay per tier, a real repo URL.
pub fn config_rules(
    file: &str,
    document: &Document,
    config: &Config,
    overlays: &BTreeSet<String>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, tier) in &config.tiers {
        let at = |key: &str| document.value_position(&format!("/tiers/{name}/defaults/{key}"));
        out.extend(requests_within_limits(&tier.defaults, |key| at(key), file));
        if !overlays.contains(name) {
            out.push(
                Diagnostic::error(
                    file,
                    document.key_position(&format!("/tiers/{name}")),
                    code::MISSING_TIER_OVERLAY,
                    format!("tier `{name}` has no overlay: kustomize/{name}/kustomization.yaml is missing"),
                )
                .with_hint(format!("create kustomize/{name}/ (copy kustomize/free/ as a start) or remove the tier")),
            );
        }
    }
    if config.argocd.repo_url == PLACEHOLDER_REPO_URL {
        out.push(
            Diagnostic::warning(
                file,
                document.value_position("/argocd/repoURL"),
                code::PLACEHOLDER_REPO_URL,
                "argocd.repoURL is still the placeholder; Argo CD cannot clone it",
            )
            .with_hint(
                "set it to the URL Argo CD clones this repo from, then run `tenantctl render`",
            ),
        );
    }
    if crate::redact::has_credentials(&config.argocd.repo_url) {
        out.push(
            Diagnostic::error(
                file,
                document.value_position("/argocd/repoURL"),
                code::CREDENTIALS_IN_URL,
                "argocd.repoURL carries credentials (user info before `@`); they would be committed and rendered into the ApplicationSets",
            )
            .with_hint(format!(
                "write it without them ({}) and give Argo CD a repository secret instead; revoke the token if it was ever pushed",
                crate::redact::strip_credentials(&config.argocd.repo_url)
            )),
        );
    }
    out
}

/// Rules of one guild file, given the config when it is valid.
pub fn guild_rules(
    file: &str,
    document: &Document,
    guild: &Guild,
    config: Option<&Config>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let id = &guild.guild_id;
    // The schema's pattern checks the digits; a pattern cannot say "fits in 64 bits".
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !super::formats::is_snowflake(id)
    {
        out.push(
            Diagnostic::error(
                file,
                document.value_position("/guild_id"),
                code::BAD_ID,
                format!("guild_id `{id}` is not a Discord guild ID: it does not fit in 64 bits"),
            )
            .with_hint("a Discord guild ID (snowflake) is at most 18446744073709551615"),
        );
    }
    let expected = Guild::path_for(&guild.guild_id);
    if file != expected {
        out.push(
            Diagnostic::error(
                file,
                document.value_position("/guild_id"),
                code::FILE_NAME_MISMATCH,
                format!(
                    "guild_id \"{}\" does not match the file name",
                    guild.guild_id
                ),
            )
            .with_hint(format!("rename the file to {expected} or fix guild_id")),
        );
    }
    let Some(config) = config else {
        return out;
    };
    let Some(tier) = config.tiers.get(&guild.tier) else {
        let known: Vec<&str> = config.tiers.keys().map(String::as_str).collect();
        let hint = match closest(&guild.tier, known.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "use one of the tiers in tenantctl.yaml: {}",
                known.join(", ")
            ),
        };
        out.push(
            Diagnostic::error(
                file,
                document.value_position("/tier"),
                code::UNKNOWN_TIER,
                format!("unknown tier `{}`", guild.tier),
            )
            .with_hint(hint),
        );
        return out;
    };
    let mut resources = tier.defaults.clone();
    resources.extend(guild.resources.clone());
    let at = |key: &str| {
        if guild.resources.contains_key(key) {
            document.value_position(&format!("/{key}"))
        } else {
            document.value_position("/tier")
        }
    };
    out.extend(requests_within_limits(&resources, at, file));
    out
}

/// Every request must be at most its limit, or Kubernetes refuses the Pod.
fn requests_within_limits(
    resources: &BTreeMap<String, String>,
    at: impl Fn(&str) -> crate::yaml::Position,
    file: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for request in RESOURCE_FIELDS.iter().filter(|f| f.bound == "requests") {
        let Some(limit) = RESOURCE_FIELDS.iter().find(|f| {
            f.bound == "limits"
                && f.deployment == request.deployment
                && f.resource == request.resource
        }) else {
            continue;
        };
        let (Some(request_text), Some(limit_text)) =
            (resources.get(request.key), resources.get(limit.key))
        else {
            continue;
        };
        if let (Some(r), Some(l)) = (Quantity::parse(request_text), Quantity::parse(limit_text))
            && r > l
        {
            out.push(
                Diagnostic::error(
                    file,
                    at(request.key),
                    code::REQUEST_OVER_LIMIT,
                    format!(
                        "{} \"{request_text}\" is more than {} \"{limit_text}\"",
                        request.key, limit.key
                    ),
                )
                .with_hint(format!("lower {} or raise {}", request.key, limit.key)),
            );
        }
    }
    out
}

/// No two files may describe the same guild.
pub fn duplicate_ids(snapshot: &Snapshot, guilds: &[(&str, Guild)]) -> Vec<Diagnostic> {
    let mut first_seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = Vec::new();
    for (path, guild) in guilds {
        if let Some(first) = first_seen.insert(&guild.guild_id, path) {
            first_seen.insert(&guild.guild_id, first);
            let at = snapshot.guilds[*path]
                .parsed
                .as_ref()
                .map(|d| d.value_position("/guild_id"))
                .unwrap_or_default();
            out.push(
                Diagnostic::error(
                    *path,
                    at,
                    code::DUPLICATE_ID,
                    format!("guild_id \"{}\" is already used by {first}", guild.guild_id),
                )
                .with_hint("each guild has exactly one file; remove one of them"),
            );
        }
    }
    out
}
