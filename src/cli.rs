//! Command-line interface (clap derive). `main.rs` only calls [`main`].
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// devgen — one declarative config, every deployment artefact.
#[derive(Parser, Debug)]
#[command(
    name = "devgen",
    version,
    about = "One declarative config → Compose env, Terraform tfvars, Kustomize and Kconfig, with GPU instances from a built-in cloud catalogue",
    long_about = "devgen turns config/common/*.yaml plus a profile overlay (config/profiles/P.yaml) into every \
deployment artefact: a Docker Compose env, Terraform variables for AWS, Azure and GCP, Kustomize \
bases/overlays/components and kdevops-style Kconfig menus. GPU needs are resolved through a built-in \
cloud provider catalogue (cheapest fitting instance). `devgen check` fails on invalid config or drift.",
    after_help = "Examples:\n  devgen render --profile prod --target k8s\n  devgen check\n  devgen explain services.web.replicas --profile prod\n  devgen catalogue select --gpu h100 --count 8\n\nExit codes: 0 success, 1 invalid config / drift / problems found, 2 usage or I/O failure."
)]
pub struct Cli {
    /// Project root holding config/ (default: the current directory).
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Colour choice.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render artefacts for profiles and targets and write them (only changed files).
    #[command(
        after_help = "Examples:\n  devgen render                                   # every profile, every target\n  devgen render --profile prod --target k8s\n  devgen render --profile dev --target compose --dry-run\n  devgen render --set services.web.replicas=2 --out /tmp/preview"
    )]
    Render(RenderArgs),
    /// Validate config and check the committed artefacts for drift (pre-commit hook).
    #[command(
        after_help = "Examples:\n  devgen check                      # all profiles\n  devgen check --profile prod --format json"
    )]
    Check(CheckArgs),
    /// Print a profile's merged config.
    #[command(
        after_help = "Examples:\n  devgen show --profile prod\n  devgen show --profile prod --path services.web --provenance\n  devgen show --profile dev --format json"
    )]
    Show(ShowArgs),
    /// Explain where a value comes from: every layer that set it, with file:line.
    #[command(
        after_help = "Examples:\n  devgen explain services.web.replicas --profile prod\n  devgen explain 'labels.\"app.kubernetes.io/part-of\"' --profile dev"
    )]
    Explain(ExplainArgs),
    /// Show the difference between two profiles' merged configs.
    #[command(
        after_help = "Examples:\n  devgen diff staging prod\n  devgen diff dev prod --format json"
    )]
    Diff(DiffArgs),
    /// Estimate the monthly cost of each profile from catalogue prices.
    #[command(after_help = "Examples:\n  devgen cost\n  devgen cost --profile prod --format json")]
    Cost(CostArgs),
    /// Query and refresh the cloud provider catalogue.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Write kdevops' generated cloud Kconfig files into a kdevops checkout.
    #[command(
        after_help = "Writes exactly the files kdevops sources from terraform/<provider>/kconfigs/ \
(aws: Kconfig.location.generated, Kconfig.instance.generated; gce: …location, …machine; azure: \
…location, …size; lambdalabs: …location, …compute) from the devgen catalogue, all or nothing, \
only changed files; nothing else in the tree is touched. Defaults are kdevops' own, or with \
--profile P (and -C DIR) the region and cheapest fitting instance of that profile.\n\nExamples:\n  \
devgen kdevops ~/kdevops\n  devgen kdevops ~/kdevops --provider aws --provider lambdalabs\n  \
devgen -C my-project kdevops ~/kdevops --profile prod\n\nExit codes: 0 written (or already up to date), \
2 usage or I/O failure (nothing written)."
    )]
    Kdevops(KdevopsArgs),
    /// Scaffold a new project.
    #[command(after_help = "Examples:\n  devgen init my-platform\n  devgen init . --force")]
    Init(InitArgs),
    /// Print the config JSON Schema.
    #[command(after_help = "Examples:\n  devgen schema > schemas/config.schema.json")]
    Schema,
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  devgen completions bash > ~/.local/share/bash-completion/completions/devgen\n  devgen completions zsh > ~/.zfunc/_devgen"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    #[command(after_help = "Examples:\n  devgen man > ~/.local/share/man/man1/devgen.1")]
    Man,
    /// Values for shell completion (used by the completion scripts).
    #[command(name = "__complete", hide = true)]
    Complete {
        /// profiles, targets, providers or gpus.
        kind: String,
    },
}

/// `--set` and profile selection shared by several commands.
#[derive(Args, Debug, Clone, Default)]
pub struct SetFlags {
    /// Override a value: path=value (value parsed as YAML). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// `render` arguments.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Profile(s) to render (default: all).
    #[arg(long = "profile", short = 'p', value_name = "P")]
    pub profiles: Vec<String>,
    /// Target(s): compose, tfvars (terraform), k8s (kustomize), kconfig, or a custom target (default: all).
    #[arg(long = "target", short = 't', value_name = "T")]
    pub targets: Vec<String>,
    /// Only these clouds (default: every cloud in `clouds:`).
    #[arg(long = "cloud", value_name = "C", value_parser = ["aws", "azure", "gcp", "lambdalabs"])]
    pub clouds: Vec<String>,
    /// Write under DIR instead of the project root.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// List what would be created / updated / unchanged / deleted; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the rendered file PATH (relative to the project root) to stdout; write nothing.
    #[arg(long = "print", visible_alias = "stdout", value_name = "PATH", conflicts_with_all = ["out", "dry_run"])]
    pub print: Option<PathBuf>,
    #[command(flatten)]
    pub set: SetFlags,
}

/// Output format for reports.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    /// For people.
    Text,
    /// For machines.
    Json,
}

/// `check` arguments.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Profile(s) to check (default: all).
    #[arg(long = "profile", short = 'p', value_name = "P")]
    pub profiles: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Config output format.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ConfigFormat {
    /// YAML.
    Yaml,
    /// JSON.
    Json,
}

/// `show` arguments.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Profile to show.
    #[arg(long, short = 'p', value_name = "P")]
    pub profile: String,
    /// Only this part of the config (`services.web`).
    #[arg(long, value_name = "a.b.c")]
    pub path: Option<String>,
    /// Annotate each value with the file:line that set it.
    #[arg(long)]
    pub provenance: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ConfigFormat::Yaml)]
    pub format: ConfigFormat,
    #[command(flatten)]
    pub set: SetFlags,
}

/// `explain` arguments.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Config path, e.g. services.web.replicas.
    #[arg(value_name = "a.b.c")]
    pub path: String,
    /// Profile.
    #[arg(long, short = 'p', value_name = "P")]
    pub profile: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub set: SetFlags,
}

/// `diff` arguments.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// First profile.
    pub a: String,
    /// Second profile.
    pub b: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Table or JSON.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum TableFormat {
    /// Aligned table.
    Table,
    /// JSON.
    Json,
}

/// `cost` arguments.
#[derive(Args, Debug)]
pub struct CostArgs {
    /// Profile(s) (default: all).
    #[arg(long = "profile", short = 'p', value_name = "P")]
    pub profiles: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

/// `catalogue` subcommands.
#[derive(Subcommand, Debug)]
pub enum CatalogueCommand {
    /// List instance types with prices per region.
    #[command(
        after_help = "Examples:\n  devgen catalogue list --provider aws --gpu h100\n  devgen catalogue list --gpu a100-80gb --min-gpus 8 --format json\n  devgen catalogue list --provider gcp --region us-central1 --format csv"
    )]
    List(CatalogueListArgs),
    /// Pick the cheapest instance and region that fit a GPU request.
    #[command(
        after_help = "Examples:\n  devgen catalogue select --gpu h100 --count 8\n  devgen catalogue select --gpu a10g --provider aws --region us-east-1 --format json"
    )]
    Select(CatalogueSelectArgs),
    /// Refresh prices from the providers' public price APIs into the cache.
    #[command(
        after_help = "Examples:\n  devgen catalogue update\n  devgen catalogue update --provider azure --force\n  devgen catalogue update --provider aws --region us-east-1\n\nCache: $XDG_CACHE_HOME/devgen/ (default ~/.cache/devgen/), one file per provider, fresh for 24 hours.\nKeys: GCP_API_KEY (Cloud Billing Catalog API), LAMBDA_API_KEY (Lambda Cloud API).\nMirrors: DEVGEN_AWS_PRICING_URL, DEVGEN_AZURE_PRICES_URL, DEVGEN_GCP_BILLING_URL, DEVGEN_LAMBDA_API_URL.\nHTTP: DEVGEN_HTTP_TIMEOUT (seconds, default 30), DEVGEN_HTTP_RETRIES (default 3, on 429/5xx/network errors), DEVGEN_HTTP_BACKOFF_MS (default 1000).\nExit codes: 0 updated or already fresh, 1 a provider failed (the others are still cached), 2 usage."
    )]
    Update(CatalogueUpdateArgs),
    /// Show where the catalogue comes from, its age and size.
    #[command(
        after_help = "Examples:\n  devgen catalogue status\n  devgen catalogue status --format json"
    )]
    Status(CatalogueStatusArgs),
}

/// List output format.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    /// Aligned table.
    Table,
    /// JSON array.
    Json,
    /// CSV.
    Csv,
}

/// `catalogue list` arguments.
#[derive(Args, Debug)]
pub struct CatalogueListArgs {
    /// Provider(s): aws, azure, gcp, lambdalabs (default: all).
    #[arg(long = "provider", value_name = "X")]
    pub providers: Vec<String>,
    /// GPU model (a100-80gb, h100, …; case and _/-/space variants accepted).
    #[arg(long, value_name = "MODEL")]
    pub gpu: Option<String>,
    /// Minimum GPUs per instance.
    #[arg(long, value_name = "N")]
    pub min_gpus: Option<f64>,
    /// Minimum total GPU memory, GiB.
    #[arg(long, value_name = "GIB")]
    pub min_gpu_memory: Option<f64>,
    /// Minimum vCPUs.
    #[arg(long, value_name = "N")]
    pub min_vcpus: Option<u32>,
    /// Minimum memory, GiB.
    #[arg(long, value_name = "GIB")]
    pub min_memory: Option<f64>,
    /// Region(s).
    #[arg(long = "region", value_name = "R")]
    pub regions: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Use the embedded snapshot only (also DEVGEN_OFFLINE=1).
    #[arg(long)]
    pub offline: bool,
    /// At most N rows (0: all). Default: 40 for the table, all for json/csv.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// `catalogue select` arguments.
#[derive(Args, Debug)]
pub struct CatalogueSelectArgs {
    /// GPU model.
    #[arg(long, value_name = "MODEL")]
    pub gpu: String,
    /// Minimum GPU count.
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub count: f64,
    /// Provider(s) (default: all).
    #[arg(long = "provider", value_name = "X")]
    pub providers: Vec<String>,
    /// Region(s) (default: any).
    #[arg(long = "region", value_name = "R")]
    pub regions: Vec<String>,
    /// Minimum vCPUs.
    #[arg(long, value_name = "N")]
    pub min_vcpus: Option<u32>,
    /// Minimum memory, GiB.
    #[arg(long, value_name = "GIB")]
    pub min_memory: Option<f64>,
    /// Output format: text, json, or value (the bare `--field`, one line).
    #[arg(long, value_enum, default_value_t = SelectFormat::Text)]
    pub format: SelectFormat,
    /// With `--format value`: instance_type, region or price_hourly_usd.
    #[arg(long, value_enum, value_name = "F")]
    pub field: Option<SelectField>,
    /// Use the embedded snapshot only (also DEVGEN_OFFLINE=1).
    #[arg(long)]
    pub offline: bool,
}

/// `kdevops` arguments.
#[derive(Args, Debug)]
pub struct KdevopsArgs {
    /// The kdevops checkout to write into.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Provider(s): aws, gcp (kdevops' gce), azure, lambdalabs (default: all four).
    #[arg(long = "provider", value_name = "X")]
    pub providers: Vec<String>,
    /// Take region and instance defaults from this profile of the project (-C DIR).
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// List what would be created / updated / unchanged; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Use the embedded catalogue snapshot only (also DEVGEN_OFFLINE=1).
    #[arg(long)]
    pub offline: bool,
}

/// `catalogue select --format`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SelectFormat {
    /// For people.
    Text,
    /// One JSON object.
    Json,
    /// The bare value of `--field`, one line (for kdevops' `$(shell …)` hooks).
    Value,
}

/// `catalogue select --field`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SelectField {
    /// The instance type name.
    #[value(name = "instance_type")]
    InstanceType,
    /// The region code.
    #[value(name = "region")]
    Region,
    /// The on-demand price, USD per hour.
    #[value(name = "price_hourly_usd")]
    PriceHourlyUsd,
}

/// `catalogue update` arguments.
#[derive(Args, Debug)]
pub struct CatalogueUpdateArgs {
    /// Provider(s) to refresh (default: all; gcp and lambdalabs are skipped
    /// without GCP_API_KEY / LAMBDA_API_KEY).
    #[arg(long = "provider", value_name = "X")]
    pub providers: Vec<String>,
    /// Refresh even when the cache is younger than 24 hours.
    #[arg(long)]
    pub force: bool,
    /// Refresh only these regions (other regions keep their previous rows).
    #[arg(long = "region", value_name = "R")]
    pub regions: Vec<String>,
}

/// `catalogue status` arguments.
#[derive(Args, Debug)]
pub struct CatalogueStatusArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Use the embedded snapshot only (also DEVGEN_OFFLINE=1).
    #[arg(long)]
    pub offline: bool,
}

/// `init` arguments.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Directory to scaffold (default: the project root, `-C` or the current directory).
    #[arg(value_name = "DIR")]
    pub target: Option<PathBuf>,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
    /// Project name (default: the directory's name, made DNS-safe).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// A cloud of the project (repeatable; the first is the default `cloud:`; default aws).
    #[arg(long = "cloud", value_name = "C", value_parser = ["aws", "azure", "gcp"])]
    pub clouds: Vec<String>,
    /// A service NAME=IMAGE[@PORT] (repeatable; PORT becomes the `http` port;
    /// default: one small web service).
    #[arg(long = "service", value_name = "NAME=IMAGE[@PORT]")]
    pub services: Vec<String>,
    /// Give the first service GPUs: MODEL[:COUNT] (e.g. l4, a100-80gb:2).
    #[arg(long, value_name = "MODEL[:N]")]
    pub gpu: Option<String>,
    /// The project's targets (repeatable; written as `targets:`; default: every target).
    #[arg(long = "target", value_name = "T")]
    pub targets: Vec<String>,
    /// Import the services of a Docker Compose file instead of the skeleton's.
    #[arg(long, value_name = "FILE")]
    pub from_compose: Option<PathBuf>,
    /// GPU model for Compose services that reserve NVIDIA GPUs (`--from-compose`).
    #[arg(long, value_name = "MODEL", default_value = "l4")]
    pub gpu_model: String,
}

/// `completions` arguments.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// Shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
