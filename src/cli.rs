//! Command-line interface: clap derive structs only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  invalid configuration, or rendered files out of date
  2  usage error: a bad argument or an unknown guild
  3  git or remote failure (nothing pushed, or the cluster unreachable)";

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
        /// The Discord guild (server) ID: 1 to 20 digits
        id: String,
        /// The service tier, one of the tiers in tenantctl.yaml
        #[arg(long)]
        tier: String,
        /// Override a resource value, e.g. backend_memory_limit=1Gi (repeatable)
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        sets: Vec<String>,
    },
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
    /// List guilds with their tier, replicas and resources
    #[command(
        after_help = "Examples:\n  tenantctl list\n  tenantctl list --tier pro --output json"
    )]
    List {
        /// Only guilds on this tier
        #[arg(long)]
        tier: Option<String>,
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
        after_help = "Exit code 1 when anything is wrong: use it in CI and pre-commit hooks.\n\nExamples:\n  tenantctl validate\n  tenantctl validate --format json"
    )]
    Validate {
        /// Output format
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
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
        after_help = "Evaluates each ApplicationSet's git files generator and template against the files in\nthis repo, as the Argo CD controller would, without a cluster.\n\nExamples:\n  tenantctl apps\n  tenantctl apps --output json"
    )]
    Apps {
        /// Output format
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
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
    Human,
    Json,
}
