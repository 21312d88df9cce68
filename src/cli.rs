//! Command-line interface: clap derive structs only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  invalid configuration, or rendered files out of date
  2  usage error: a bad argument or an unknown guild
  3  git or remote failure (nothing pushed, or the cluster unreachable)
  4  internal or I/O error (a file that cannot be read or written)
A closed pipe (`tenantctl list | head -1`) ends the output quietly: the command still finishes its
work and exits with its own code (0 on success).";

/// Multi-tenant Kubernetes the GitOps way: one YAML file per guild, validated, rendered into
/// Kustomize overlays and an Argo CD ApplicationSet, committed and pushed.
#[derive(Debug, Parser)]
#[command(name = "tenantctl", version, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The config repo (default: the nearest directory upwards holding tenantctl.yaml)
    #[arg(long, global = true, value_name = "DIR", env = "TENANTCTL_REPO")]
    pub repo: Option<PathBuf>,
    /// Print the diff of every file the command would change, and change nothing
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Write the files but do not commit (nor push)
    #[arg(long, global = true)]
    pub no_commit: bool,
    /// Commit but do not push
    #[arg(long, global = true)]
    pub no_push: bool,
    /// No network: build on the local branch, commit, do not fetch or push
    #[arg(long, global = true)]
    pub offline: bool,
    /// Push the change to this new branch for review instead of the tracked branch
    /// (placeholders {operation} and {id}; default: git.pushBranch in tenantctl.yaml)
    #[arg(long, global = true, value_name = "NAME")]
    pub branch: Option<String>,
    /// Commit author instead of git config's, e.g. "Deploy Bot <bot@example.com>"
    #[arg(long, global = true, value_name = "NAME <EMAIL>")]
    pub author: Option<String>,
    /// Skip the pre-commit, commit-msg and pre-push hooks, as git's --no-verify does
    #[arg(long, global = true)]
    pub no_verify: bool,
    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print the diff of every file changed
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to colour output (NO_COLOR set in the environment means never)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a config repo from the built-in defaults and commit it
    #[command(
        after_help = "Examples:\n  tenantctl init ./platform\n  tenantctl init . --repo-url https://github.com/acme/platform.git"
    )]
    Init {
        /// Where to create it (default: the current directory)
        dir: Option<PathBuf>,
        /// The URL Argo CD clones the repo from (default: the `origin` remote's URL, if any)
        #[arg(long, value_name = "URL")]
        repo_url: Option<String>,
        /// Overwrite files that already exist
        #[arg(long)]
        force: bool,
    },
    /// Add a guild: write guilds/guild-<ID>.yaml with the tier's defaults, render, commit, push
    #[command(
        after_help = "Examples:\n  tenantctl create-guild 123456789 --tier free\n  tenantctl create-guild 987654321 --tier pro --set backend_memory_limit=1Gi"
    )]
    CreateGuild {
        /// The Discord guild (server) ID: 1 to 20 digits, fitting in 64 bits
        id: String,
        /// The service tier, one of the tiers in tenantctl.yaml
        #[arg(long)]
        tier: String,
        /// Override a resource value, e.g. backend_memory_limit=1Gi (repeatable)
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        sets: Vec<String>,
        /// The cluster to run on (with `clusters` in tenantctl.yaml; default: the least loaded
        /// cluster of the tier's pool)
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
    },
    /// Move a guild to another cluster of its tier's pool, render, commit, push
    #[command(
        after_help = "Argo CD updates the Application in place; the old cluster keeps what it ran until you
delete it (the command prints how).

Examples:
  tenantctl move-guild 987654321 --cluster pro-us-east"
    )]
    MoveGuild {
        /// The Discord guild ID
        id: String,
        /// The cluster to move to (a name from `clusters` in tenantctl.yaml)
        #[arg(long, value_name = "NAME")]
        cluster: String,
    },
    /// Give every guild and tenant that names no cluster one from its pool, commit, push
    #[command(
        after_help = "How a repo with guilds turns `clusters` on: validate refuses unplaced files once clusters\nare listed. Each goes to its pool's least loaded cluster, as create-guild would place it.\n\nExamples:\n  tenantctl place\n  tenantctl --dry-run place"
    )]
    Place,
    /// Change a guild's tier or resource values, render, commit, push
    #[command(
        after_help = "Values still at the old tier's defaults move to the new tier's; values set by hand stay.\n\nExamples:\n  tenantctl update-guild 123456789 --tier pro\n  tenantctl update-guild 123456789 --set discord_memory_limit=256Mi"
    )]
    UpdateGuild {
        /// The Discord guild ID
        id: String,
        /// The new tier
        #[arg(long)]
        tier: Option<String>,
        /// Set a resource value, e.g. backend_cpu_limit=500m (repeatable)
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        sets: Vec<String>,
    },
    /// Remove a guild's file and overlay, commit, push (asks first on a terminal)
    #[command(
        after_help = "Examples:\n  tenantctl delete-guild 123456789\n  tenantctl delete-guild 123456789 --yes"
    )]
    DeleteGuild {
        /// The Discord guild ID
        id: String,
        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,
    },
    /// Add a tenant: write tenants/<ID>.yaml (a Tenant resource), render, commit, push
    #[command(
        after_help = "Examples:\n  tenantctl create-tenant customer-shop-1 --type production --image-tag v1.2.3 \\\n      --domain shop.customer.com --tls-secret customer-shop-tls --services api,frontend,worker \\\n      --cpu-limit 2 --memory-limit 4Gi --storage-limit 20Gi --backup-schedule \"0 2 * * *\" \\\n      --backup-retention 30d --customer-email admin@customer.com --feature api-access\n  tenantctl create-tenant --from-file shop.yaml"
    )]
    CreateTenant {
        /// The tenant ID (a DNS-1123 label); taken from the file with --from-file
        #[arg(required_unless_present = "from_file")]
        id: Option<String>,
        /// Create from a whole Tenant manifest instead of flags
        #[arg(long, value_name = "FILE", conflicts_with_all = ["tenant_type", "id"])]
        from_file: Option<PathBuf>,
        /// production, staging or development
        #[arg(
            long = "type",
            value_name = "TYPE",
            required_unless_present = "from_file"
        )]
        tenant_type: Option<String>,
        /// The cluster to run on (with `clusters` in tenantctl.yaml; default: the least loaded
        /// cluster of the type's pool)
        #[arg(long, value_name = "NAME", conflicts_with = "from_file")]
        cluster: Option<String>,
        /// Pin the tenant to a region (a cluster label `region`)
        #[arg(long, value_name = "REGION", conflicts_with = "from_file")]
        region: Option<String>,
        #[command(flatten)]
        fields: TenantFields,
    },
    /// Change a tenant's settings, render, commit, push
    #[command(
        after_help = "Examples:\n  tenantctl update-tenant customer-shop-1 --image-tag v1.2.4\n  tenantctl update-tenant customer-shop-1 --services api,frontend --memory-limit 8Gi"
    )]
    UpdateTenant {
        /// The tenant ID
        id: String,
        /// production, staging or development
        #[arg(long = "type", value_name = "TYPE")]
        tenant_type: Option<String>,
        #[command(flatten)]
        fields: TenantFields,
    },
    /// Move a tenant to another cluster or region of its type's pool, render, commit, push
    #[command(
        after_help = "With --region, the tenant is pinned to that region and placed on its least loaded cluster.

Examples:
  tenantctl move-tenant customer-shop-1 --cluster pro-eu-west
  tenantctl move-tenant customer-shop-1 --region us-east"
    )]
    MoveTenant {
        /// The tenant ID
        id: String,
        /// The cluster to move to
        #[arg(long, value_name = "NAME", required_unless_present = "region")]
        cluster: Option<String>,
        /// The region to pin the tenant to (a cluster label `region`)
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
    },
    /// Scale every service of a tenant to 0 (spec.active: false), commit, push
    #[command(
        after_help = "Examples:\n  tenantctl suspend-tenant customer-shop-1\n  tenantctl --dry-run suspend-tenant customer-shop-1"
    )]
    SuspendTenant {
        /// The tenant ID
        id: String,
    },
    /// Bring a suspended tenant back (spec.active: true), commit, push
    #[command(
        after_help = "Examples:\n  tenantctl resume-tenant customer-shop-1\n  tenantctl --no-push resume-tenant customer-shop-1"
    )]
    ResumeTenant {
        /// The tenant ID
        id: String,
    },
    /// Restart every pod of a tenant: set spec.deployedAt to now, commit, push
    #[command(
        after_help = "Examples:\n  tenantctl rollout customer-shop-1\n  tenantctl --dry-run rollout customer-shop-1"
    )]
    Rollout {
        /// The tenant ID
        id: String,
    },
    /// Remove a tenant's file and overlay, commit, push (asks first when backups are enabled)
    #[command(
        after_help = "Examples:\n  tenantctl delete-tenant customer-shop-1\n  tenantctl delete-tenant customer-shop-1 --yes"
    )]
    DeleteTenant {
        /// The tenant ID
        id: String,
        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,
    },
    /// Print the Tenant CustomResourceDefinition (derived from schemas/tenant.schema.json)
    #[command(
        after_help = "Examples:\n  tenantctl crd > tenant-crd.yaml\n  tenantctl crd | kubectl apply -f -"
    )]
    Crd,
    /// Convert other resources into tenants
    #[command(subcommand)]
    Migrate(Migrate),
    /// List guilds (or tenants) with their settings
    #[command(
        after_help = "Examples:\n  tenantctl list\n  tenantctl list --tier pro --output json\n  tenantctl list --kind tenant"
    )]
    List {
        /// What to list
        #[arg(long, value_enum, default_value_t = Kind::Guild)]
        kind: Kind,
        /// Only guilds on this tier (or tenants of this type)
        #[arg(long)]
        tier: Option<String>,
        /// Only guilds (or tenants) on this cluster
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        /// Output format
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Show one guild: settings, whether its overlay is current and pushed, Argo CD state
    #[command(
        after_help = "Examples:\n  tenantctl status 123456789\n  tenantctl --repo ./platform status 987654321"
    )]
    Status {
        /// The Discord guild ID
        id: String,
    },
    /// Check every file against its schema and the rules, and that rendered files are current
    #[command(
        after_help = "Exit code 1 when anything is wrong: use it in CI and pre-commit hooks.\n\nExamples:\n  tenantctl validate\n  tenantctl validate --format github\n  tenantctl validate --manifests --since origin/main --schema-dir schemas/kubernetes --schema-dir schemas/argocd"
    )]
    Validate {
        /// Output format
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
        /// Also build the overlays with kustomize (in parallel) and check every manifest
        #[arg(long)]
        manifests: bool,
        /// With --manifests: only the overlays whose inputs changed since this git revision
        #[arg(long, value_name = "REV", requires = "manifests")]
        since: Option<String>,
        /// With --manifests: JSON schemas laid out like kubeconform's, or CRD files (repeatable)
        #[arg(long, value_name = "DIR", requires = "manifests")]
        schema_dir: Vec<PathBuf>,
    },
    /// Print a JSON Schema (the repo's own copy, or the built-in one), for editors and CI
    #[command(
        after_help = "Examples:\n  tenantctl schema guild > guild.schema.json\n  tenantctl schema tenant | check-jsonschema --schemafile /dev/stdin tenants/*.yaml"
    )]
    Schema {
        /// Which schema
        #[arg(value_enum)]
        which: SchemaKind,
    },
    /// Write the generated overlays and ApplicationSet; --check only compares
    #[command(
        after_help = "Only files whose bytes change are written; render never commits.\n\nExamples:\n  tenantctl render\n  tenantctl render --check   # CI: exit 1 and a diff when stale"
    )]
    Render {
        /// Change nothing; exit 1 with a diff if any generated file is out of date
        #[arg(long)]
        check: bool,
    },
    /// Ask Argo CD to refresh guild Applications now (through kubectl)
    #[command(after_help = "Examples:\n  tenantctl sync 123456789\n  tenantctl sync --all")]
    Sync {
        /// The Discord guild ID
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every guild
        #[arg(long)]
        all: bool,
    },
    /// Push local commits (after a failed push)
    #[command(after_help = "Examples:\n  tenantctl push\n  tenantctl --repo ./platform push")]
    Push,
    /// Show how the generated files on disk differ from what the config renders to
    #[command(
        after_help = "Like `render --check`, but only shows the difference and exits 0.\n\nExamples:\n  tenantctl diff\n  tenantctl diff --color always | less -R"
    )]
    Diff,
    /// List, offline, the Argo CD Applications the rendered ApplicationSets will generate
    #[command(
        after_help = "Evaluates each ApplicationSet's git files generator and template against the committed\nfiles (HEAD), as the Argo CD controller would, without a cluster: git pathspec globs, symbolic\nlinks followed, YAML read as Argo CD reads it, duplicate names dropped as Argo CD drops them.\n\nExamples:\n  tenantctl apps\n  tenantctl apps --worktree\n  tenantctl apps --output json"
    )]
    Apps {
        /// Output format
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        /// Read the work tree, uncommitted files included, instead of the committed HEAD that
        /// Argo CD reads once it is pushed
        #[arg(long)]
        worktree: bool,
    },
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  tenantctl completions bash > ~/.local/share/bash-completion/completions/tenantctl\n  tenantctl completions zsh > ~/.zfunc/_tenantctl\n  tenantctl completions fish > ~/.config/fish/completions/tenantctl.fish"
    )]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff), generated at build time
    #[command(
        after_help = "Examples:\n  tenantctl man > /usr/local/share/man/man1/tenantctl.1\n  tenantctl man | man -l -"
    )]
    Man,
    /// Keep a guild's or tenant's secrets in git safely: SOPS-encrypted, or as ExternalSecrets
    #[command(subcommand)]
    Secret(SecretCommand),
}

/// `secret set|list|rm`.
#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Write a secret (encrypted with sops, or an ExternalSecret), render, commit, push
    #[command(
        after_help = "The value comes from an environment variable or standard input, never from an argument.\nWith `secrets.form: sops` (default) it is encrypted with the real sops for the recipients of\n.sops.yaml; with `secrets.form: externalSecret` no value is written: put it into the store.\nA guild's `token` is the Secret its bot reads (discord-secrets-<ID>, key token).\n\nExamples:\n  tenantctl secret set 123456789 token --from-env DISCORD_TOKEN\n  printf %s \"$PASSWORD\" | tenantctl secret set customer-shop-1 mongo-password --stdin\n  tenantctl secret set 123456789 token --key vault/guilds/123456789/discord   # externalSecret form"
    )]
    Set {
        /// The guild or tenant ID
        id: String,
        /// The secret's name (a DNS-1123 label): the key in its Secret
        name: String,
        /// Read the value from this environment variable
        #[arg(long, value_name = "VAR", conflicts_with = "stdin")]
        from_env: Option<String>,
        /// Read the value from standard input (one trailing newline is dropped)
        #[arg(long)]
        stdin: bool,
        /// externalSecret form: the key in the store (default: secrets.externalSecret.keyTemplate)
        #[arg(long, value_name = "KEY")]
        key: Option<String>,
        /// Whether ID is a guild or a tenant (only needed when it is both)
        #[arg(long, value_enum)]
        kind: Option<Kind>,
    },
    /// List secrets (names and forms, never values)
    #[command(
        after_help = "Examples:\n  tenantctl secret list\n  tenantctl secret list 123456789 --output json"
    )]
    List {
        /// Only this guild's or tenant's secrets
        id: Option<String>,
        /// Output format
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Remove a secret's file, render, commit, push
    #[command(after_help = "Examples:\n  tenantctl secret rm 123456789 webhook")]
    Rm {
        /// The guild or tenant ID
        id: String,
        /// The secret's name
        name: String,
        /// Whether ID is a guild or a tenant (only needed when it is both)
        #[arg(long, value_enum)]
        kind: Option<Kind>,
    },
}

/// The optional fields of a tenant, shared by create-tenant and update-tenant.
#[derive(Debug, Args, Default)]
pub struct TenantFields {
    /// The image tag every service runs
    #[arg(long)]
    pub image_tag: Option<String>,
    /// The tenant's host name, e.g. shop.customer.com
    #[arg(long)]
    pub domain: Option<String>,
    /// The Secret with the TLS certificate for --domain
    #[arg(long)]
    pub tls_secret: Option<String>,
    /// Services to run, comma-separated
    #[arg(long, value_delimiter = ',')]
    pub services: Option<Vec<String>>,
    /// The environment name (default: the type)
    #[arg(long)]
    pub environment: Option<String>,
    /// CPU limit of the whole tenant, e.g. 2
    #[arg(long)]
    pub cpu_limit: Option<String>,
    /// Memory limit of the whole tenant, e.g. 4Gi
    #[arg(long)]
    pub memory_limit: Option<String>,
    /// Storage limit of the whole tenant, e.g. 20Gi
    #[arg(long)]
    pub storage_limit: Option<String>,
    /// Enable backups on this cron schedule, e.g. "0 2 * * *"
    #[arg(long)]
    pub backup_schedule: Option<String>,
    /// How long backups are kept: 12h, 30d, 4w
    #[arg(long)]
    pub backup_retention: Option<String>,
    #[arg(long)]
    /// The customer's name
    pub customer_name: Option<String>,
    /// The customer's e-mail address
    #[arg(long)]
    pub customer_email: Option<String>,
    /// The billing tier, e.g. premium
    #[arg(long)]
    pub billing_tier: Option<String>,
    /// Enable a feature flag (repeatable)
    #[arg(long = "feature", value_name = "FEATURE")]
    pub features: Vec<String>,
}

/// What `migrate` converts.
#[derive(Debug, Subcommand)]
pub enum Migrate {
    /// Turn a PRStack resource into a development Tenant, reporting what does not carry over
    #[command(
        after_help = "Reads spec.prNumber, imageTag, active, services, mongoURI, natsURL, redisURL,\nresourceLimits and backupConfig; keeps the pr-<number>-shop-pilab-hu namespace.\n\nExamples:\n  tenantctl migrate prstack prstack.yaml"
    )]
    Prstack {
        /// The PRStack manifest
        file: PathBuf,
    },
}

/// Which files `list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Guild,
    Tenant,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    Always,
    Never,
}

/// Shells `completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// file:line:column, the source line and a caret; colour on a terminal
    Human,
    /// A list of {file, line, column, code, severity, message, hint}
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request)
    Github,
    /// JUnit XML (GitLab, Jenkins)
    Junit,
}

/// Which schema `tenantctl schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Guild,
    Tenant,
    Config,
}
