//! A problem in a user's file, located at file:line:column, with a stable code and a hint.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use crate::yaml::Position;

/// How bad a finding is: errors fail validation, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Stable error codes; the README lists them. Never renumber one.
pub mod code {
    pub const YAML_SYNTAX: &str = "E100";
    pub const UNREADABLE: &str = "E101";
    /// A symbolic link where tenantctl reads or writes (never followed).
    pub const SYMLINK: &str = "E102";
    /// A file tenantctl must write or remove that it did not generate (no generated header).
    pub const NOT_GENERATED: &str = "E103";
    /// A file in a generated folder that tenantctl did not generate: left as it is.
    pub const NOT_GENERATED_KEPT: &str = "W103";
    pub const SCHEMA: &str = "E200";
    pub const UNKNOWN_FIELD: &str = "E201";
    pub const MISSING_FIELD: &str = "E202";
    pub const WRONG_TYPE: &str = "E203";
    pub const YAML11_TRAP: &str = "E204";
    pub const BAD_QUANTITY: &str = "E300";
    pub const REQUEST_OVER_LIMIT: &str = "E301";
    pub const UNKNOWN_TIER: &str = "E302";
    pub const FILE_NAME_MISMATCH: &str = "E303";
    pub const DUPLICATE_ID: &str = "E304";
    pub const MISSING_TIER_OVERLAY: &str = "E305";
    pub const BAD_ID: &str = "E306";
    pub const TENANT_ID_MISMATCH: &str = "E307";
    pub const BAD_NAMESPACE: &str = "E308";
    pub const BAD_DOMAIN: &str = "E309";
    pub const PLAINTEXT_SECRET: &str = "E310";
    pub const TLS_WITHOUT_DOMAIN: &str = "E311";
    pub const DUPLICATE_SERVICE: &str = "E312";
    pub const BAD_CRON: &str = "E313";
    pub const BAD_EMAIL: &str = "E314";
    pub const BAD_TIME: &str = "E315";
    pub const BAD_LABEL: &str = "E316";
    pub const DUPLICATE_TENANT: &str = "E317";
    pub const CREDENTIALS_IN_URL: &str = "E318";
    pub const CREDENTIAL: &str = "E319";
    pub const BAD_SECRET_FILE: &str = "E320";
    pub const RESERVED_NAMESPACE: &str = "E330";
    pub const NAMESPACE_NOT_OWNED: &str = "E331";
    pub const NAMESPACE_OF_GUILD: &str = "E332";
    pub const DESTINATION_NOT_PERMITTED: &str = "E333";
    pub const TEMPLATE_DELIMITERS: &str = "E334";
    /// Two rendered ApplicationSets (shards included) or AppProjects with one name, or an
    /// AppProject named `default`.
    pub const DUPLICATE_ARGO_NAME: &str = "E335";
    pub const DUPLICATE_APPLICATION: &str = "E336";
    pub const UNSUPPORTED_TEMPLATE: &str = "E337";
    /// A production tenant without a pinned `imageTag` (absent or `latest`).
    pub const UNPINNED_IMAGE: &str = "E338";
    /// A `pod-security.kubernetes.io/*` label in a tenant's labels: tenantctl owns them.
    pub const POD_SECURITY_LABEL: &str = "E339";
    /// The workloads at their peak do not fit the tenant's own quota.
    pub const QUOTA_TOO_SMALL: &str = "E340";
    /// Backups are enabled with nowhere to write them.
    pub const BACKUP_WITHOUT_TARGET: &str = "E341";
    /// Backups are enabled with no database to back up.
    pub const BACKUP_WITHOUT_DATABASE: &str = "E342";
    /// A cluster name `clusters` does not list (or listed twice, or named with none listed).
    pub const UNKNOWN_CLUSTER: &str = "E343";
    /// A guild or tenant without a cluster while `clusters` is configured.
    pub const UNPLACED: &str = "E344";
    /// A placement outside its tier's (or tenant type's) pool or pinned region.
    pub const OUTSIDE_POOL: &str = "E345";
    /// A cluster holding more guilds or tenants than its capacity.
    pub const CLUSTER_FULL: &str = "E346";
    /// A PodDisruptionBudget in a tier overlay that tenantctl now renders per guild.
    pub const DUPLICATE_DISRUPTION_BUDGET: &str = "E347";
    /// Two generated Applications deploying into one namespace of one cluster.
    pub const SHARED_NAMESPACE: &str = "E360";
    /// A rendered ApplicationSet or AppProject that breaks the upstream Argo CD CRD schema.
    pub const ARGO_CRD_SCHEMA: &str = "E361";
    /// An Application Argo CD cannot create: its name (or namespace) is not a Kubernetes name.
    pub const APPLICATION_NOT_CREATED: &str = "E350";
    /// A Go template reads a key the generated-from file lacks, under `missingkey=error`.
    pub const TEMPLATE_MISSING_KEY: &str = "E351";
    /// A Go template that Go itself fails to execute (e.g. `upper` of a number or of nil).
    pub const TEMPLATE_FAILS: &str = "E352";
    pub const PLACEHOLDER_REPO_URL: &str = "W100";
    pub const ACTIVE_UNSET: &str = "W101";
    pub const PROJECT_UNUSED: &str = "W102";
    pub const UNSEEN_BY_ARGO: &str = "W104";
    /// A staging or development tenant without a pinned `imageTag` (absent or `latest`).
    pub const UNPINNED_IMAGE_WARNING: &str = "W105";
    /// An ApplicationSet generating more Applications than `argocd.shardSize`.
    pub const OVERSIZED_APPLICATION_SET: &str = "W106";
    pub const STALE_RENDER: &str = "E400";
    pub const MANIFEST_SCHEMA: &str = "E401";
    pub const MANIFEST_NO_SCHEMA: &str = "E402";
    pub const KUSTOMIZE_FAILED: &str = "E403";
}

/// One finding in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Path relative to the config repo root.
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The text of the line it points at, for the snippet under the message.
    #[serde(skip)]
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// Sets the line shown under the message, with what could be a secret masked, so no
    /// credential reaches a terminal or a CI log: user info in URLs always, and for a finding
    /// about a credential everything from its column on.
    pub fn show_line(&mut self, line: &str) {
        let is_credential = [
            code::PLAINTEXT_SECRET,
            code::CREDENTIALS_IN_URL,
            code::CREDENTIAL,
            code::BAD_SECRET_FILE,
        ]
        .contains(&self.code);
        self.source_line = Some(if is_credential {
            let kept: String = line.chars().take(self.column.saturating_sub(1)).collect();
            format!("{}<redacted>", crate::redact::redact(&kept))
        } else {
            crate::redact::redact(line)
        });
    }

    pub fn error(
        file: impl Into<PathBuf>,
        at: Position,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.into(),
            line: at.line,
            column: at.column,
            code,
            severity: Severity::Error,
            message: message.into(),
            hint: None,
            source_line: None,
        }
    }

    pub fn warning(
        file: impl Into<PathBuf>,
        at: Position,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, at, code, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `path:line:column: error[CODE]: message`, then the source line with a caret, then the hint.
    ///
    /// Not annotate-snippets (in Cargo.lock through a dependency): it prints the location on a
    /// `-->` line under a `error[CODE]: message` title, while ours must start with
    /// `path:line:column:`, the one-line form that editors' error formats, `grep` and CI log
    /// links read (and every test and the README show); annotate-snippets has no layout for that.
    pub fn render_human(&self) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!(
            "{}:{}:{}: {severity}[{}]: {}\n",
            self.file.display(),
            self.line,
            self.column,
            self.code,
            self.message
        );
        if let Some(text) = &self.source_line {
            let gutter = self.line.to_string().len();
            let _ = writeln!(out, "{:gutter$} |", "");
            let _ = writeln!(out, "{} | {}", self.line, text);
            let caret_pad: String = text
                .chars()
                .take(self.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{:gutter$} | {caret_pad}^", "");
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "  = help: {hint}");
        }
        out
    }
}

/// Sorts diagnostics by file, line and column, the order people read them in.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code))
    });
}
