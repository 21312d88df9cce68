//! No credential in git: every file tenantctl reads (`tenantctl.yaml`, guild, tenant and secret
//! files, `.sops.yaml`) is scanned for things that look like a credential (E319), and the secret
//! files must be what `tenantctl secret set` writes (E320).
//!
//! Two kinds of rule. Every line (comments included) is matched against the shapes of known
//! credentials: Discord bot tokens, private keys, AWS, GitHub, GitLab, Slack, Stripe, npm, PyPI,
//! OpenAI, Google and SendGrid keys, JSON Web Tokens, and URLs with a password. And every value
//! whose key names a credential (`password`, `mongoPassword`, `token`, `client_secret`,
//! `apiKey`, ...) must be a reference: empty, `${VAR}`, `$VAR`, `{{ ... }}`, `<placeholder>`,
//! `ENC[...]` or a mapping such as `secretKeyRef`. Keys that only name a credential
//! (`ingressTlsSecretName`, `tokenEnv`, `mongoPasswordSecretRef`) are not values.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::diagnostic::{Diagnostic, code};
use crate::load::{Snapshot, SourceFile};
use crate::secret::{self, Form, SOPS_CONFIG};
use crate::yaml::{Document, Position};

/// The line a finding points at, for files that are not in the snapshot (`.sops.yaml`).
trait WithLine {
    fn with_line(self, line: &str) -> Self;
}

impl WithLine for Diagnostic {
    fn with_line(mut self, line: &str) -> Self {
        self.show_line(line);
        self
    }
}

/// A credential shape: what it is and the pattern of one.
struct Shape {
    what: &'static str,
    regex: Regex,
}

static SHAPES: LazyLock<Vec<Shape>> = LazyLock::new(|| {
    [
        (
            "a Discord bot token",
            r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}",
        ),
        (
            "a private key",
            r"-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----|PuTTY-User-Key-File-[0-9]|AGE-SECRET-KEY-1[0-9A-Z]{58}",
        ),
        (
            "an AWS access key",
            r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b",
        ),
        (
            "a GitHub token",
            r"\b(?:gh[pousr]_[A-Za-z0-9_]{36,255}|github_pat_[A-Za-z0-9_]{22,255})",
        ),
        (
            "a GitLab token",
            r"\b(?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas)-[A-Za-z0-9_-]{20,}|\bGR1348941[A-Za-z0-9_-]{20,}",
        ),
        ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        ("a Stripe key", r"\b[rs]k_live_[A-Za-z0-9]{20,}"),
        (
            "a JSON Web Token",
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        ),
        ("an npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("a PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
        (
            "an OpenAI key",
            r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}",
        ),
        ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        (
            "a SendGrid key",
            r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
        ),
    ]
    .into_iter()
    .map(|(what, pattern)| Shape {
        what,
        regex: Regex::new(pattern).expect("a valid pattern"),
    })
    .collect()
});

/// `scheme://user:password@`: the password is group 1.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@'"]*:([^\s/@'"]+)@"#).expect("a valid pattern")
});

/// The key a line starts with (`  - name: ...` -> `name`).
static LINE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(?:-\s+)?["']?([^\s:"'#]+)["']?\s*:(?:\s|$)"#).expect("a valid pattern")
});

/// `$NAME`: an environment variable, not a value.
static DOLLAR_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\$[A-Za-z_][A-Za-z0-9_]*$").expect("a valid pattern"));

/// Whether a value refers to a credential kept elsewhere rather than being one.
pub fn is_reference(value: &str) -> bool {
    let value = value.trim();
    value.is_empty()
        || value.starts_with("${")
        || value.starts_with("$(")
        || value.starts_with("{{")
        || value.starts_with("ENC[")
        || (value.starts_with('<') && value.ends_with('>'))
        || DOLLAR_NAME.is_match(value)
        || value.chars().all(|c| c == '*')
}

/// Whether a mapping key names a credential value: its last word is password, secret, token,
/// credential(s), passphrase, ..., or it ends in `key` after api, auth, private, client,
/// access, secret, ... (`apiKey`, `private_key`, `AWS_SECRET_ACCESS_KEY`).
pub fn is_credential_key(key: &str) -> bool {
    let words = words(key);
    let Some(last) = words.last() else {
        return false;
    };
    const VALUES: [&str; 11] = [
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "secret",
        "token",
        "credential",
        "credentials",
        "apikey",
        "privatekey",
    ];
    const KEYS_OF: [&str; 16] = [
        "api",
        "auth",
        "private",
        "priv",
        "client",
        "access",
        "secret",
        "service",
        "account",
        "db",
        "database",
        "signing",
        "encryption",
        "master",
        "ssh",
        "deploy",
    ];
    if VALUES.contains(&last.as_str()) {
        return true;
    }
    last == "key" && words.len() >= 2 && KEYS_OF.contains(&words[words.len() - 2].as_str())
}

/// `mongoPasswordSecretRef` -> mongo, password, secret, ref; `AWS_SECRET_ACCESS_KEY` -> aws,
/// secret, access, key.
fn words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = key.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && !current.is_empty()
            && (chars[i - 1].is_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if boundary {
            words.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn hint() -> String {
    "keep it out of git: `tenantctl secret set <ID> <NAME> --stdin` stores it encrypted (or as an ExternalSecret), and files refer to it (secretKeyRef, ${VAR}, ENC[...]); if it was ever pushed, revoke it".to_string()
}

/// What credential `text` holds somewhere, if one of a known shape.
fn shape_of(text: &str) -> Option<&'static str> {
    if let Some(shape) = SHAPES.iter().find(|s| s.regex.is_match(text)) {
        return Some(shape.what);
    }
    URL_PASSWORD
        .captures_iter(text)
        .any(|c| !is_reference(c.get(1).expect("group 1").as_str()))
        .then_some("a URL with a password")
}

/// Every line of `text` that holds a credential of a known shape, at the match.
pub fn scan_lines(path: &str, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let at = |byte: usize| Position {
            line: index + 1,
            column: line[..byte].chars().count() + 1,
        };
        let mut found: Option<(usize, String)> = None;
        for shape in SHAPES.iter() {
            if let Some(m) = shape.regex.find(line)
                && found.as_ref().is_none_or(|(start, _)| m.start() < *start)
            {
                found = Some((m.start(), format!("{} would be stored in git", shape.what)));
            }
        }
        for captures in URL_PASSWORD.captures_iter(line) {
            let password = captures.get(1).expect("group 1");
            let start = captures.get(0).expect("match").start();
            if !is_reference(password.as_str())
                && found.as_ref().is_none_or(|(first, _)| start < *first)
            {
                found = Some((
                    start,
                    "a URL with a password would be stored in git".to_string(),
                ));
            }
        }
        if let Some((start, message)) = found {
            // Named after where it is, so that findings on neighbouring lines stay apart.
            let message = match LINE_KEY.captures(line) {
                _ if line.trim_start().starts_with('#') => format!("a comment: {message}"),
                Some(key) => format!("`{}`: {message}", &key[1]),
                None => message,
            };
            out.push(
                Diagnostic::error(path, at(start), code::CREDENTIAL, message)
                    .with_hint(hint())
                    .with_line(line),
            );
        }
    }
    out
}

/// Every value of `document` whose key names a credential and that is not a reference.
pub fn scan_keys(path: &str, document: &Document, text: &str) -> Vec<Diagnostic> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), &document.value)];
    while let Some((pointer, value)) = stack.pop() {
        match value {
            // A block scalar (`key: |`) spans lines: tools that read YAML (detect-secrets among
            // them) report what it holds at its first line, so it is reported there too.
            Value::String(text) if text.contains('\n') => {
                if let Some(what) = shape_of(text) {
                    let at = document.key_position(&pointer);
                    let mut diagnostic = Diagnostic::error(
                        path,
                        at,
                        code::CREDENTIAL,
                        format!(
                            "`{}` holds {what}, which would be stored in git",
                            pointer.rsplit('/').next().unwrap_or_default()
                        ),
                    )
                    .with_hint(hint());
                    if let Some(line) = lines.get(at.line.saturating_sub(1)) {
                        diagnostic = diagnostic.with_line(line);
                    }
                    out.push(diagnostic);
                }
            }
            Value::Object(map) => {
                for (key, child) in map {
                    let child_pointer = format!("{pointer}/{}", crate::yaml::escape_pointer(key));
                    let plaintext = match child {
                        Value::String(s) => !is_reference(s),
                        Value::Number(_) => true,
                        _ => false,
                    };
                    if plaintext && is_credential_key(key) {
                        let at = document.value_position(&child_pointer);
                        let mut diagnostic = Diagnostic::error(
                            path,
                            at,
                            code::CREDENTIAL,
                            format!(
                                "`{key}` holds a plaintext credential that would be stored in git"
                            ),
                        )
                        .with_hint(hint());
                        if let Some(line) = lines.get(at.line.saturating_sub(1)) {
                            diagnostic = diagnostic.with_line(line);
                        }
                        out.push(diagnostic);
                    }
                    stack.push((child_pointer, child));
                }
            }
            Value::Array(items) => {
                stack.extend(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("{pointer}/{i}"), v)),
                );
            }
            _ => {}
        }
    }
    out
}

/// Both kinds of rule over one user file.
pub(crate) fn scan_file(file: &SourceFile) -> Vec<Diagnostic> {
    let mut out = scan_lines(&file.path, &file.text);
    if let Ok(document) = &file.parsed {
        out.extend(scan_keys(&file.path, document, &file.text));
    }
    out
}

/// Credentials in every file tenantctl reads, and the rules of secret files. Guild and tenant
/// files `trusted` names are not scanned: the scan is a function of the file alone, and they
/// passed it in the commit tenantctl verified (every finding here is an error).
pub fn check(snapshot: &Snapshot, trusted: &(dyn Fn(&str) -> bool + Sync)) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    let mut out = scan_file(&snapshot.config);
    let files: Vec<&SourceFile> = snapshot
        .guilds
        .values()
        .chain(snapshot.tenants.values())
        .filter(|file| !trusted(&file.path) && !file.clean)
        .map(|file| &**file)
        .collect();
    let found: Vec<Vec<Diagnostic>> = files.par_iter().map(|file| scan_file(file)).collect();
    out.extend(found.into_iter().flatten());
    if let Some(text) = &snapshot.sops_config {
        let file = SourceFile::parse(SOPS_CONFIG.to_string(), text.as_bytes());
        out.extend(scan_file(&file));
    }
    for file in snapshot.secrets.values() {
        out.extend(scan_lines(&file.path, &file.text));
        out.extend(secret_file_rules(snapshot, file));
    }
    out
}

/// A secret file must sit at `secrets/<owner>/<name>.yaml` of a guild or tenant that exists and
/// be a SOPS-encrypted Secret (every value `ENC[...]`) or an ExternalSecret, named as
/// tenantctl names it.
fn secret_file_rules(snapshot: &Snapshot, file: &SourceFile) -> Vec<Diagnostic> {
    let start = Position { line: 1, column: 1 };
    let error = |at: Position, code, message: String, hint: String| {
        Diagnostic::error(&file.path, at, code, message).with_hint(hint)
    };
    let Some((owner, name)) = secret::parse_path(&file.path) else {
        return vec![error(
            start,
            code::BAD_SECRET_FILE,
            format!("{} is not where tenantctl keeps a secret", file.path),
            "secrets live at secrets/guild-<id>/<name>.yaml or secrets/tenant-<id>/<name>.yaml (name: a DNS-1123 label); `tenantctl secret set` writes them".into(),
        )];
    };
    let mut out = Vec::new();
    if !owner.exists_in(snapshot) {
        out.push(error(
            start,
            code::BAD_SECRET_FILE,
            format!(
                "a secret of {}, which does not exist ({} is missing)",
                owner.describe(),
                owner.source_file()
            ),
            format!(
                "remove it (`tenantctl secret rm {} {name}`) or restore the {}",
                owner.id,
                owner.kind.as_str()
            ),
        ));
    }
    let document = match &file.parsed {
        Ok(document) => document,
        Err(e) => {
            let code = if e.syntax {
                code::YAML_SYNTAX
            } else {
                code::UNREADABLE
            };
            out.push(Diagnostic::error(
                &file.path,
                e.position,
                code,
                e.message.clone(),
            ));
            return out;
        }
    };
    let value = &document.value;
    let expected = owner.secret_name(&name);
    let plain_str = |pointer: &str| value.pointer(pointer).and_then(Value::as_str);
    let form = Form::of(value);
    let secret_kind = value.get("kind").and_then(Value::as_str) == Some("Secret");
    match form {
        Form::Sops | Form::Unknown if form == Form::Sops || secret_kind => {
            let sops = form == Form::Sops;
            for field in ["data", "stringData"] {
                let Some(Value::Object(map)) = value.get(field) else {
                    continue;
                };
                for (key, item) in map {
                    let text = match item {
                        Value::String(s) => s.as_str(),
                        Value::Null => continue,
                        _ => "?",
                    };
                    if text.is_empty() || text.starts_with("ENC[") {
                        continue;
                    }
                    let pointer = format!("/{field}/{}", crate::yaml::escape_pointer(key));
                    out.push(error(
                        document.value_position(&pointer),
                        code::CREDENTIAL,
                        if sops {
                            format!("{field}.{key} is not encrypted: the value would be stored in git in plaintext")
                        } else {
                            format!("{field}.{key} of a Secret that is not encrypted would be stored in git")
                        },
                        format!(
                            "remove the file and run `tenantctl secret set {} {name} --stdin`, which encrypts with sops; rotate the value if it was pushed",
                            owner.id
                        ),
                    ));
                }
            }
            if !sops {
                out.push(error(
                    start,
                    code::BAD_SECRET_FILE,
                    "a Secret without SOPS encryption: anyone who can read the repo can read it"
                        .into(),
                    format!("use `tenantctl secret set {} {name} --stdin`", owner.id),
                ));
            } else if let Some(actual) = plain_str("/metadata/name")
                && !actual.starts_with("ENC[")
                && actual != expected
            {
                out.push(error(
                    document.value_position("/metadata/name"),
                    code::BAD_SECRET_FILE,
                    format!("the Secret is named `{actual}`, but {} reads `{expected}`", owner.describe()),
                    format!("set it again with `tenantctl secret set {} {name}` (sops protects the name from edits)", owner.id),
                ));
            }
        }
        Form::ExternalSecret => {
            let target = plain_str("/spec/target/name").or_else(|| plain_str("/metadata/name"));
            if target != Some(expected.as_str()) {
                out.push(error(
                    document.value_position("/spec/target/name"),
                    code::BAD_SECRET_FILE,
                    format!(
                        "the ExternalSecret makes the Secret `{}`, but {} reads `{expected}`",
                        target.unwrap_or("?"),
                        owner.describe()
                    ),
                    format!(
                        "write it again with `tenantctl secret set {} {name} --key <KEY>`",
                        owner.id
                    ),
                ));
            }
        }
        _ => out.push(error(
            start,
            code::BAD_SECRET_FILE,
            "neither a SOPS-encrypted Secret nor an ExternalSecret".into(),
            format!("`tenantctl secret set {} {name}` writes one", owner.id),
        )),
    }
    out
}

/// One finding per line: a credential on a line E310 or E318 already reports is not reported
/// twice, nor twice on one line.
pub fn drop_repeats(diagnostics: &mut Vec<Diagnostic>) {
    let taken: std::collections::HashSet<(std::path::PathBuf, usize)> = diagnostics
        .iter()
        .filter(|d| d.code == code::PLAINTEXT_SECRET || d.code == code::CREDENTIALS_IN_URL)
        .map(|d| (d.file.clone(), d.line))
        .collect();
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|d| {
        d.code != code::CREDENTIAL
            || (!taken.contains(&(d.file.clone(), d.line)) && seen.insert((d.file.clone(), d.line)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_keys() {
        for key in [
            "password",
            "mongoPassword",
            "db_password",
            "token",
            "discord_token",
            "apiKey",
            "api_key",
            "client_secret",
            "AWS_SECRET_ACCESS_KEY",
            "privateKey",
            "secret",
        ] {
            assert!(is_credential_key(key), "{key}");
        }
        for key in [
            "ingressTlsSecretName",
            "tokenEnv",
            "tokenUsername",
            "mongoPasswordSecretRef",
            "key",
            "secretKeyRef",
            "passwordFile",
            "bypass",
            "secrets",
        ] {
            assert!(!is_credential_key(key), "{key}");
        }
    }

    #[test]
    fn references_are_not_values() {
        for value in [
            "",
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "{{ .token }}",
            "<TOKEN>",
            "ENC[AES256_GCM,data:x]",
            "***",
        ] {
            assert!(is_reference(value), "{value}");
        }
        assert!(!is_reference("hunter2"));
    }

    #[test]
    fn shapes_on_lines() {
        let text = "a: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\nb: https://u:${PASS}@h/x\nc: https://u:p4ss@h/x\n# -----BEGIN OPENSSH PRIVATE KEY-----\n";
        let found: Vec<usize> = scan_lines("f.yaml", text).iter().map(|d| d.line).collect();
        assert_eq!(found, vec![1, 3, 4]);
    }
}
