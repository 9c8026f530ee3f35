//! The `kdevops` layout of the `kconfig` target: exactly the generated cloud
//! Kconfig files a kdevops tree sources, with kdevops' own paths, symbols,
//! choice structure, `depends on` lines and `output yaml` lines (contract:
//! kdevops main 4b6bbb7f, `terraform/<provider>/kconfigs/*.generated`).
//!
//! | provider | files (under `terraform/<dir>/kconfigs/`) | symbols |
//! |---|---|---|
//! | aws (`aws`) | `Kconfig.location.generated`, `Kconfig.instance.generated` | `TERRAFORM_AWS_REGION_<R>`, per region `TERRAFORM_AWS_AV_ZONE_<Z>`, `TERRAFORM_AWS_REGION`, `TERRAFORM_AWS_AV_ZONE`; `TERRAFORM_AWS_INSTANCE_FAMILY_<F>` (`depends on TARGET_ARCH_X86_64` / `ARM64`), per family `TERRAFORM_AWS_INSTANCE_SIZE_<T>`, `TERRAFORM_AWS_INSTANCE_TYPE` |
//! | gcp (`gce`) | `Kconfig.location.generated`, `Kconfig.machine.generated` | `TERRAFORM_GCE_REGION_<R>`, `TERRAFORM_GCE_ZONE_<Z>`, `TERRAFORM_GCE_REGION`, `TERRAFORM_GCE_ZONE`; `TERRAFORM_GCE_MACHINE_FAMILY_<F>`, `TERRAFORM_GCE_MACHINE_<T>`, `TERRAFORM_GCE_MACHINE_TYPE`, `TERRAFORM_GCE_IMAGE_TYPE` |
//! | azure (`azure`) | `Kconfig.location.generated`, `Kconfig.size.generated` | `TERRAFORM_AZURE_REGION_<R>`, `TERRAFORM_AZURE_LOCATION`, `TERRAFORM_AZURE_RESOURCE_GROUP_NAME`; `TERRAFORM_AZURE_VM_FAMILY_<F>` (kdevops' coarse `Standard_<letters>`), `TERRAFORM_AZURE_VM_SIZE_<S>`, `TERRAFORM_AZURE_VM_SIZE`, `TERRAFORM_AZURE_ACCELERATED_NETWORKING_ENABLED` |
//! | lambdalabs (`lambdalabs`) | `Kconfig.location.generated`, `Kconfig.compute.generated` | only the choices of bools `TERRAFORM_LAMBDALABS_REGION_<R>` and `TERRAFORM_LAMBDALABS_INSTANCE_TYPE_<T>`: kdevops' static wrappers own the strings, the tiers and the symbol names (see [`LambdaNames`]) |
//!
//! The image files (`Kconfig.ami.generated`, `Kconfig.image.generated`,
//! `Kconfig.images.generated`) are not written: the catalogue knows nothing
//! of images, so kdevops' own (its `.default` copies or its generators) stay.
//!
//! **Defaults.** Without a profile, kdevops' own defaults where the catalogue
//! has them (AWS `us-east-1` and no family default — the first family visible
//! for the target architecture, as kdevops; GCE `us-west2` / `n2-standard-8`;
//! Azure `westus` / `Standard_DS3_v2`; Lambda `us-tx-1` / `gpu_1x_a10`). With
//! a profile, the region and instance the `kconfig` target's defaults give
//! ([`super::kconfig::defaults`]: the configured region, the GPU service's
//! cheapest fit). A default region the menu does not list (no zone data, or a
//! Lambda region kdevops' wrapper does not map) falls back to the first listed
//! region that offers the default instance.
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use super::kconfig::{
    Indented, PriceTable, Symbols, defaults as profile_defaults, family_help, help_line,
    push_quoted, size_help,
};
use super::{PlannedFile, header};
use crate::catalogue::{Catalogue, InstanceType, Provider};
use crate::model::Model;

/// kdevops' directory of a provider under `terraform/`.
pub fn dir_name(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => "aws",
        Provider::Gcp => "gce",
        Provider::Azure => "azure",
        Provider::Lambdalabs => "lambdalabs",
    }
}

/// The files this layout writes for `provider`, relative to the kdevops tree.
pub fn file_paths(provider: Provider) -> [PathBuf; 2] {
    let second = match provider {
        Provider::Aws => "Kconfig.instance.generated",
        Provider::Gcp => "Kconfig.machine.generated",
        Provider::Azure => "Kconfig.size.generated",
        Provider::Lambdalabs => "Kconfig.compute.generated",
    };
    let dir = PathBuf::from("terraform")
        .join(dir_name(provider))
        .join("kconfigs");
    [dir.join("Kconfig.location.generated"), dir.join(second)]
}

/// A kdevops symbol part the way kdevops' generators make it
/// (`name.upper().replace('.', '_').replace('-', '_')`): every character
/// other than `[A-Za-z0-9]` becomes `_` (so untrusted names cannot break
/// the syntax), nothing is collapsed.
pub fn kdevops_part(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "X".to_string() } else { s }
}

/// The Lambda Labs names kdevops' static wrappers own: the region codes
/// `terraform/lambdalabs/kconfigs/Kconfig.location` maps to a
/// `TERRAFORM_LAMBDALABS_REGION_<R>` bool, and the instance types
/// `Kconfig.compute` maps to a `TERRAFORM_LAMBDALABS_INSTANCE_TYPE_<T>` bool.
/// A bool the wrapper does not map would resolve to the wrong region or to
/// an empty instance type, so only these are written.
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaNames {
    /// (region code, symbol), in the wrapper's order.
    pub regions: Vec<(String, String)>,
    /// (instance type, symbol), in the wrapper's order.
    pub types: Vec<(String, String)>,
}

/// kdevops main 4b6bbb7f's `Kconfig.location` mappings (value, symbol part).
const LAMBDA_REGIONS: &[(&str, &str)] = &[
    ("us-tx-1", "US_TX_1"),
    ("us-midwest-1", "US_MIDWEST_1"),
    ("us-west-1", "US_WEST_1"),
    ("us-west-2", "US_WEST_2"),
    ("us-west-3", "US_WEST_3"),
    ("us-south-1", "US_SOUTH_1"),
    ("us-south-2", "US_SOUTH_2"),
    ("us-south-3", "US_SOUTH_3"),
    ("europe-central-1", "EU_CENTRAL_1"),
    ("asia-northeast-1", "ASIA_NORTHEAST_1"),
    ("asia-northeast-2", "ASIA_NORTHEAST_2"),
    ("asia-south-1", "ASIA_SOUTH_1"),
    ("me-west-1", "ME_WEST_1"),
    ("us-east-1", "US_EAST_1"),
    ("us-east-3", "US_EAST_3"),
    ("australia-east-1", "AUSTRALIA_EAST_1"),
];

/// kdevops main 4b6bbb7f's `Kconfig.compute` instance-type mappings.
const LAMBDA_TYPES: &[&str] = &[
    "cpu_4x_general",
    "gpu_1x_a10",
    "gpu_1x_a100",
    "gpu_1x_a100_sxm4",
    "gpu_1x_a6000",
    "gpu_1x_gh200",
    "gpu_1x_h100_pcie",
    "gpu_1x_h100_sxm5",
    "gpu_1x_rtx6000",
    "gpu_2x_a100",
    "gpu_2x_a6000",
    "gpu_2x_h100_sxm5",
    "gpu_4x_a100",
    "gpu_4x_a6000",
    "gpu_4x_h100_sxm5",
    "gpu_8x_a100",
    "gpu_8x_a100_80gb_sxm4",
    "gpu_8x_b200_sxm6",
    "gpu_8x_h100_sxm5",
    "gpu_8x_v100",
];

const LAMBDA_REGION_PREFIX: &str = "TERRAFORM_LAMBDALABS_REGION_";
const LAMBDA_TYPE_PREFIX: &str = "TERRAFORM_LAMBDALABS_INSTANCE_TYPE_";

impl LambdaNames {
    /// The mappings of kdevops main 4b6bbb7f.
    pub fn builtin() -> LambdaNames {
        LambdaNames {
            regions: LAMBDA_REGIONS
                .iter()
                .map(|(v, s)| (v.to_string(), format!("{LAMBDA_REGION_PREFIX}{s}")))
                .collect(),
            types: LAMBDA_TYPES
                .iter()
                .map(|t| {
                    (
                        t.to_string(),
                        format!("{LAMBDA_TYPE_PREFIX}{}", kdevops_part(t)),
                    )
                })
                .collect(),
        }
    }

    /// The mappings of the wrappers' texts (`Kconfig.location`,
    /// `Kconfig.compute`): every `default "<value>" if <PREFIX><X>` line.
    /// `None` when either gives none (not kdevops' wrapper as we know it).
    pub fn from_wrappers(location: &str, compute: &str) -> Option<LambdaNames> {
        let regions = mappings(location, LAMBDA_REGION_PREFIX);
        let types: Vec<(String, String)> = mappings(compute, LAMBDA_TYPE_PREFIX)
            .into_iter()
            // Tier strings (`8X_H100_OR_LESS`) are the wrapper's own bools.
            .filter(|(v, _)| !v.ends_with("_OR_LESS"))
            .collect();
        (!regions.is_empty() && !types.is_empty()).then_some(LambdaNames { regions, types })
    }
}

/// `(value, symbol)` of each `default "value" if SYMBOL` line whose symbol
/// starts with `prefix` and is a plain symbol name.
fn mappings(text: &str, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("default \"") else {
            continue;
        };
        let Some((value, cond)) = rest.split_once("\" if ") else {
            continue;
        };
        let symbol = cond.trim();
        let plain = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if symbol.starts_with(prefix)
            && symbol.len() > prefix.len()
            && plain(symbol)
            && plain(value.replace(['-', '.'], "_").as_str())
            && !out.iter().any(|(_, s): &(String, String)| s == symbol)
        {
            out.push((value.to_string(), symbol.to_string()));
        }
    }
    out
}

/// How to render: the header's source and regenerate lines, and the Lambda
/// names of the target tree.
pub struct Options<'a> {
    /// The command that regenerates the files.
    pub regenerate: &'a str,
    /// The target that produced them (`kconfig` or `kdevops`).
    pub target: &'a str,
    /// Lambda Labs names owned by kdevops' wrappers.
    pub lambda: &'a LambdaNames,
}

/// Every file of the layout for `providers`, in provider order.
pub fn render(
    cat: &Catalogue,
    providers: &[Provider],
    model: Option<&Model>,
    opts: &Options,
) -> Vec<PlannedFile> {
    let mut files = Vec::new();
    for &p in providers {
        files.extend(render_provider(cat, p, model, opts));
    }
    files
}

/// The default region and instance of one provider, and where they come from.
struct Chosen {
    region: String,
    instance: Option<String>,
    /// `kdevops' defaults` or `profile P`.
    from: String,
}

/// kdevops' own defaults (see the module docs).
fn kdevops_defaults(provider: Provider) -> (&'static str, Option<&'static str>) {
    match provider {
        Provider::Aws => ("us-east-1", None),
        Provider::Gcp => ("us-west2", Some("n2-standard-8")),
        Provider::Azure => ("westus", Some("Standard_DS3_v2")),
        Provider::Lambdalabs => ("us-tx-1", Some("gpu_1x_a10")),
    }
}

fn chosen(cat: &Catalogue, provider: Provider, model: Option<&Model>) -> Chosen {
    if let Some(m) = model
        && let Some(d) = profile_defaults(cat, provider, Some(m))
    {
        return Chosen {
            region: d.region,
            instance: Some(d.instance_type),
            from: format!("profile {}", m.profile),
        };
    }
    let (region, instance) = kdevops_defaults(provider);
    Chosen {
        region: region.to_string(),
        instance: instance
            .filter(|i| cat.instance(provider, i).is_some())
            .map(str::to_string),
        from: "kdevops' defaults".to_string(),
    }
}

/// One listed region: code, symbol, prompt, help, zones (code, symbol).
struct RegionItem {
    code: String,
    symbol: String,
    prompt: String,
    help: Vec<String>,
    zones: Vec<(String, String)>,
}

fn render_provider(
    cat: &Catalogue,
    provider: Provider,
    model: Option<&Model>,
    opts: &Options,
) -> Vec<PlannedFile> {
    let mut chosen = chosen(cat, provider, model);
    let regions = region_items(cat, provider, opts.lambda);
    if regions.is_empty() {
        return Vec::new();
    }
    if !regions.iter().any(|r| r.code == chosen.region) {
        let offered = |code: &str| {
            chosen.instance.as_deref().is_some_and(|i| {
                cat.offers(provider, i)
                    .iter()
                    .any(|o| o.region == code && o.price_hourly_usd > 0.0)
            })
        };
        chosen.region = regions
            .iter()
            .find(|r| offered(&r.code))
            .unwrap_or(&regions[0])
            .code
            .clone();
    }
    let sources: Vec<String> = match model {
        Some(m) => m.sources.clone(),
        None => vec!["the devgen provider catalogue".to_string()],
    };
    let common = header("#", &sources, opts.regenerate);
    let head = |what: &str| {
        let mut h = common.clone();
        let _ = writeln!(
            h,
            "# kdevops {} {what}; defaults from {}.",
            dir_name(provider),
            chosen.from
        );
        h
    };
    let [location_path, compute_path] = file_paths(provider);
    let table = PriceTable::new(cat, provider, &chosen.region);
    let location = match provider {
        Provider::Aws | Provider::Gcp => write_zoned_location(provider, &regions, &chosen),
        Provider::Azure => write_azure_location(&regions, &chosen),
        Provider::Lambdalabs => write_lambda_location(&regions, &chosen),
    };
    let compute = match provider {
        Provider::Aws => write_aws_instance(cat, &table, &chosen, model.is_some()),
        Provider::Gcp => write_gce_machine(cat, &table, &chosen),
        Provider::Azure => write_azure_size(cat, &table, &chosen),
        Provider::Lambdalabs => write_lambda_compute(cat, &table, &chosen, opts.lambda),
    };
    let file = |path: PathBuf, what: &str, body: String| {
        let mut text = head(what);
        text.push('\n');
        text.push_str(&body);
        PlannedFile {
            path,
            bytes: text.into_bytes(),
            target: opts.target.to_string(),
            profile: None,
            regenerate: opts.regenerate.to_string(),
        }
    };
    vec![
        file(location_path, "locations", location),
        file(compute_path, "instance types", compute),
    ]
}

/// The regions a provider's location menu lists: AWS and GCE regions with
/// known zones (kdevops needs a zone), every Azure region, and the Lambda
/// regions kdevops' wrapper maps (in its order, with its symbols).
fn region_items(cat: &Catalogue, provider: Provider, lambda: &LambdaNames) -> Vec<RegionItem> {
    let prefix = match provider {
        Provider::Aws => "TERRAFORM_AWS_REGION_",
        Provider::Gcp => "TERRAFORM_GCE_REGION_",
        Provider::Azure => "TERRAFORM_AZURE_REGION_",
        Provider::Lambdalabs => LAMBDA_REGION_PREFIX,
    };
    let zone_prefix = match provider {
        Provider::Aws => "TERRAFORM_AWS_AV_ZONE_",
        _ => "TERRAFORM_GCE_ZONE_",
    };
    let mut symbols = Symbols::default();
    let mut zone_symbols = Symbols::default();
    let known = cat.regions(provider);
    let item = |r: &crate::catalogue::Region, symbol: String, zones| {
        let prompt = match (provider, &r.display_name) {
            (Provider::Azure, Some(d)) => d.clone(),
            (Provider::Lambdalabs, Some(d)) => format!("{} - {d}", r.code),
            _ => r.code.clone(),
        };
        let mut help = vec![format!("Region: {}", r.code)];
        if let Some(d) = &r.display_name {
            help.push(format!("Location: {d}"));
        }
        RegionItem {
            code: r.code.clone(),
            symbol,
            prompt: help_line(prompt),
            help: help.into_iter().map(help_line).collect(),
            zones,
        }
    };
    if provider == Provider::Lambdalabs {
        return lambda
            .regions
            .iter()
            .filter_map(|(code, symbol)| {
                let r = known.iter().find(|r| &r.code == code)?;
                Some(item(r, symbol.clone(), Vec::new()))
            })
            .collect();
    }
    known
        .iter()
        .filter(|r| provider == Provider::Azure || !r.zones.is_empty())
        .map(|r| {
            let zones = r
                .zones
                .iter()
                .map(|z| {
                    (
                        z.clone(),
                        zone_symbols.unique(format!("{zone_prefix}{}", kdevops_part(z))),
                    )
                })
                .collect();
            let symbol = symbols.unique(format!("{prefix}{}", kdevops_part(&r.code)));
            item(r, symbol, zones)
        })
        .collect()
}

/// `choice` … up to the blank line after its help.
fn push_choice_head(o: &mut String, prompt: &str, default: Option<&str>, help: &[String]) {
    o.push_str("choice\n\tprompt ");
    push_quoted(o, prompt);
    o.push('\n');
    if let Some(d) = default {
        o.push_str("\tdefault ");
        o.push_str(d);
        o.push('\n');
    }
    push_help_block(o, help);
}

/// `\thelp` and its lines, then a blank line (nothing when `help` is empty
/// but the blank line).
fn push_help_block(o: &mut String, help: &[String]) {
    if !help.is_empty() {
        o.push_str("\thelp\n");
        for l in help {
            o.push_str("\t  ");
            o.push_str(l);
            o.push('\n');
        }
    }
    o.push('\n');
}

/// `config SYMBOL` / `bool "prompt"` / optional `depends on`.
fn push_bool_head(o: &mut String, symbol: &str, prompt: &str, depends: Option<&str>) {
    o.push_str("config ");
    o.push_str(symbol);
    o.push_str("\n\tbool ");
    push_quoted(o, prompt);
    o.push('\n');
    if let Some(d) = depends {
        o.push_str("\tdepends on ");
        o.push_str(d);
        o.push('\n');
    }
}

/// A string symbol with `output yaml` and `default "value" if SYMBOL` lines.
fn push_string(o: &mut String, symbol: &str, defaults: &[(&str, &str)]) {
    o.push_str("config ");
    o.push_str(symbol);
    o.push_str("\n\tstring\n\toutput yaml\n");
    for (value, sym) in defaults {
        o.push_str("\tdefault ");
        push_quoted(o, value);
        o.push_str(" if ");
        o.push_str(sym);
        o.push('\n');
    }
}

fn default_symbol<'a>(items: &'a [RegionItem], code: &str) -> &'a str {
    items
        .iter()
        .find(|r| r.code == code)
        .unwrap_or(&items[0])
        .symbol
        .as_str()
}

/// AWS / GCE `Kconfig.location.generated`: the region choice and string,
/// then per region an `if` with its zone choice and the zone string.
fn write_zoned_location(provider: Provider, regions: &[RegionItem], chosen: &Chosen) -> String {
    let (title, region_string, zone_string, zone_prompt) = match provider {
        Provider::Aws => (
            "AWS",
            "TERRAFORM_AWS_REGION",
            "TERRAFORM_AWS_AV_ZONE",
            "AWS availability zone",
        ),
        _ => (
            "GCE",
            "TERRAFORM_GCE_REGION",
            "TERRAFORM_GCE_ZONE",
            "GCE zone",
        ),
    };
    let mut o = String::with_capacity(400 * regions.len());
    push_choice_head(
        &mut o,
        &format!("{title} region"),
        Some(default_symbol(regions, &chosen.region)),
        &[
            format!("The {title} region that hosts your compute and storage resources."),
            help_line(format!(
                "Default: {} (from {}).",
                chosen.region, chosen.from
            )),
        ],
    );
    for r in regions {
        push_bool_head(&mut o, &r.symbol, &r.prompt, None);
        push_help_block(&mut o, &r.help);
    }
    o.push_str("endchoice\n\n");
    let pairs: Vec<(&str, &str)> = regions
        .iter()
        .map(|r| (r.code.as_str(), r.symbol.as_str()))
        .collect();
    push_string(&mut o, region_string, &pairs);
    for r in regions {
        o.push_str("\nif ");
        o.push_str(&r.symbol);
        o.push_str("\n\n");
        push_choice_head(
            &mut o,
            zone_prompt,
            Some(&r.zones[0].1),
            &[help_line(format!(
                "The zone of {} that hosts your resources.",
                r.code
            ))],
        );
        for (zone, symbol) in &r.zones {
            push_bool_head(&mut o, symbol, zone, None);
            push_help_block(&mut o, &[help_line(format!("Use the {zone} zone."))]);
        }
        o.push_str("endchoice\n\n");
        let pairs: Vec<(&str, &str)> = r
            .zones
            .iter()
            .map(|(z, s)| (z.as_str(), s.as_str()))
            .collect();
        push_string(&mut o, zone_string, &pairs);
        o.push_str("\nendif # ");
        o.push_str(&r.symbol);
        o.push('\n');
    }
    o
}

/// Azure `Kconfig.location.generated`: the location choice and string, and
/// the resource group name kdevops keeps in this file.
fn write_azure_location(regions: &[RegionItem], chosen: &Chosen) -> String {
    let mut o = String::with_capacity(300 * regions.len());
    push_region_choice(
        &mut o,
        "Azure resource location",
        "The region and data center which will host your kdevops resources.",
        regions,
        chosen,
    );
    o.push('\n');
    let pairs: Vec<(&str, &str)> = regions
        .iter()
        .map(|r| (r.code.as_str(), r.symbol.as_str()))
        .collect();
    push_string(&mut o, "TERRAFORM_AZURE_LOCATION", &pairs);
    o.push_str(
        "\nconfig TERRAFORM_AZURE_RESOURCE_GROUP_NAME\n\tstring \"Azure resource group name\"\n\toutput yaml\n\tdefault \"kdevops_resource_group\"\n\thelp\n\t  An Azure resource group holds related resources so they can be\n\t  managed as a single unit. To run concurrent kdevops jobs in\n\t  Azure, each run must have a unique resource group name.\n",
    );
    o
}

/// Lambda `Kconfig.location.generated`: the choice of region bools only.
fn write_lambda_location(regions: &[RegionItem], chosen: &Chosen) -> String {
    let mut o = String::with_capacity(200 * regions.len());
    push_region_choice(
        &mut o,
        "Lambda Labs region",
        "Select the Lambda Labs region for deployment.",
        regions,
        chosen,
    );
    o
}

/// A choice of one bool per region (`prompt`, then `help` and the chosen
/// default in its help), closed by `endchoice`.
fn push_region_choice(
    o: &mut String,
    prompt: &str,
    help: &str,
    regions: &[RegionItem],
    chosen: &Chosen,
) {
    push_choice_head(
        o,
        prompt,
        Some(default_symbol(regions, &chosen.region)),
        &[
            help.to_string(),
            help_line(format!(
                "Default: {} (from {}).",
                chosen.region, chosen.from
            )),
        ],
    );
    for r in regions {
        push_bool_head(o, &r.symbol, &r.prompt, None);
        push_help_block(o, &r.help);
    }
    o.push_str("endchoice\n");
}

/// A family of sizes: (catalogue index, instance type), sorted.
type Sizes<'a> = Vec<(usize, &'a InstanceType)>;

/// The instance types of `provider` grouped by `family_of`, sizes sorted by
/// `order`.
fn families<'a>(
    cat: &'a Catalogue,
    provider: Provider,
    family_of: impl Fn(&InstanceType) -> String,
) -> BTreeMap<String, Sizes<'a>> {
    let mut by: BTreeMap<String, Sizes<'a>> = BTreeMap::new();
    for (i, inst) in cat.instance_types(provider).iter().enumerate() {
        by.entry(family_of(inst)).or_default().push((i, inst));
    }
    by
}

/// Sort a family's sizes by (GPUs, vCPUs, RAM), then name.
pub(super) fn by_size(sizes: &mut Sizes) {
    sizes.sort_by(|(_, a), (_, b)| {
        let key = |i: &InstanceType| {
            (
                i.gpu_count.unwrap_or(0.0),
                i.vcpus,
                i.memory_gib.unwrap_or(0.0),
            )
        };
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// Whether an AWS family runs on arm64 (Graviton: `a1` and
/// `<letters><generation>g…` such as `c7g`, `m6gd`, `x2gd`, `g5g`, `im4gn`).
pub fn aws_arm64(family: &str) -> bool {
    if family == "a1" {
        return true;
    }
    let b = family.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_lowercase()).count();
    let digits = b[letters..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    letters > 0 && digits > 0 && b.get(letters + digits) == Some(&b'g')
}

fn arch_dep(arm64: bool) -> &'static str {
    if arm64 {
        "TARGET_ARCH_ARM64"
    } else {
        "TARGET_ARCH_X86_64"
    }
}

/// One family's `if` block: a size choice and the instance-type string.
struct FamilyBlock<'a> {
    symbol: String,
    prompt: String,
    help: Vec<String>,
    depends: Option<&'static str>,
    size_prompt: String,
    /// (symbol, instance, depends).
    sizes: Vec<(String, usize, &'a InstanceType)>,
    default_size: usize,
}

/// The menu of families and sizes shared by AWS, GCE and Azure.
struct FamilyMenu<'a> {
    prompt: &'a str,
    help: Vec<String>,
    default_family: Option<String>,
    families: Vec<FamilyBlock<'a>>,
    /// The string symbol (`TERRAFORM_AWS_INSTANCE_TYPE`, …).
    string: &'a str,
    /// The string inside each family's `if` (AWS, GCE) or once after all (Azure).
    string_per_family: bool,
    /// Extra lines after the string inside each family's `if` (GCE's image type).
    per_family_extra: fn(&FamilyBlock) -> String,
}

fn write_family_menu(o: &mut String, m: &FamilyMenu, table: &PriceTable, region: &str) {
    push_choice_head(o, m.prompt, m.default_family.as_deref(), &m.help);
    for f in &m.families {
        push_bool_head(o, &f.symbol, &f.prompt, f.depends);
        push_help_block(o, &f.help);
    }
    o.push_str("endchoice\n");
    for f in &m.families {
        o.push_str("\nif ");
        o.push_str(&f.symbol);
        o.push_str("\n\n");
        push_choice_head(
            o,
            &f.size_prompt,
            Some(&f.sizes[f.default_size].0),
            &[help_line(format!("The size within {}.", f.prompt))],
        );
        for (symbol, i, inst) in &f.sizes {
            push_bool_head(o, symbol, &inst.name, f.depends);
            o.push_str("\thelp\n");
            size_help(
                inst,
                table.by_instance[*i].as_ref(),
                region,
                &mut Indented::new(o),
            );
            o.push('\n');
        }
        o.push_str("endchoice\n");
        if m.string_per_family {
            o.push('\n');
            let pairs: Vec<(&str, &str)> = f
                .sizes
                .iter()
                .map(|(s, _, inst)| (inst.name.as_str(), s.as_str()))
                .collect();
            push_string(o, m.string, &pairs);
        }
        o.push_str(&(m.per_family_extra)(f));
        o.push_str("\nendif # ");
        o.push_str(&f.symbol);
        o.push('\n');
    }
    if !m.string_per_family {
        o.push('\n');
        let pairs: Vec<(&str, &str)> = m
            .families
            .iter()
            .flat_map(|f| f.sizes.iter())
            .map(|(s, _, inst)| (inst.name.as_str(), s.as_str()))
            .collect();
        push_string(o, m.string, &pairs);
    }
}

fn no_extra(_: &FamilyBlock) -> String {
    String::new()
}

/// Families and their size blocks; the default family is the default
/// instance's, and each family's default size is the default instance or
/// its first size.
#[allow(clippy::too_many_arguments)]
fn family_blocks<'a>(
    table: &PriceTable,
    grouped: BTreeMap<String, Sizes<'a>>,
    family_prefix: &str,
    size_prefix: &str,
    family_symbol_part: impl Fn(&str) -> String,
    depends: impl Fn(&str, &Sizes) -> Option<&'static str>,
    size_prompt: impl Fn(&str) -> String,
    chosen: &Chosen,
) -> (Vec<FamilyBlock<'a>>, Option<String>) {
    let mut symbols = Symbols::default();
    let mut blocks = Vec::new();
    let mut default_family = None;
    for (family, sizes) in grouped {
        let symbol = symbols.unique(format!("{family_prefix}{}", family_symbol_part(&family)));
        let dep = depends(&family, &sizes);
        let mut help = family_help(table, &family, &sizes);
        help.retain(|l| !l.is_empty());
        let mut default_size = 0;
        let sizes: Vec<(String, usize, &InstanceType)> = sizes
            .iter()
            .enumerate()
            .map(|(k, &(i, inst))| {
                if chosen.instance.as_deref() == Some(inst.name.as_str()) {
                    default_size = k;
                    default_family = Some(symbol.clone());
                }
                (
                    symbols.unique(format!("{size_prefix}{}", kdevops_part(&inst.name))),
                    i,
                    inst,
                )
            })
            .collect();
        blocks.push(FamilyBlock {
            prompt: help_line(family.clone()),
            size_prompt: help_line(size_prompt(&family)),
            symbol,
            help,
            depends: dep,
            sizes,
            default_size,
        });
    }
    (blocks, default_family)
}

/// AWS `Kconfig.instance.generated`. Without a profile the family choice
/// has no `default`, as kdevops': the first family visible for the target
/// architecture.
fn write_aws_instance(
    cat: &Catalogue,
    table: &PriceTable,
    chosen: &Chosen,
    from_profile: bool,
) -> String {
    let mut grouped = families(cat, Provider::Aws, |i| i.family.clone());
    grouped.values_mut().for_each(by_size);
    let (families, default_family) = family_blocks(
        table,
        grouped,
        "TERRAFORM_AWS_INSTANCE_FAMILY_",
        "TERRAFORM_AWS_INSTANCE_SIZE_",
        kdevops_part,
        |f, _| Some(arch_dep(aws_arm64(f))),
        |_| "Instance type".to_string(),
        chosen,
    );
    let menu = FamilyMenu {
        prompt: "Instance family",
        help: vec![
            "Instance families comprise varying combinations of CPU count, memory".to_string(),
            "size, GPUs and networking capacity. Sizes show vCPUs, RAM, GPUs and".to_string(),
            "on-demand prices from the devgen provider catalogue.".to_string(),
        ],
        default_family: default_family.filter(|_| from_profile),
        families,
        string: "TERRAFORM_AWS_INSTANCE_TYPE",
        string_per_family: true,
        per_family_extra: no_extra,
    };
    let mut o = String::with_capacity(200_000);
    write_family_menu(&mut o, &menu, table, &chosen.region);
    o
}

/// kdevops' GCE machine family of a machine type: the series and class
/// (`n2-standard-8` → `n2-standard`, `a2-highgpu-1g` → `a2-highgpu`), or the
/// whole name for two-part names (`e2-micro`, `f1-micro`, `g1-small`).
pub fn gce_family(machine: &str) -> String {
    let parts: Vec<&str> = machine.split('-').collect();
    if parts.len() >= 3 {
        format!("{}-{}", parts[0], parts[1])
    } else {
        machine.to_string()
    }
}

/// GCE series that run on arm64 (Axion, Ampere Altra): `c4a`, `n4a`, `t2a`.
fn gce_arm64(family: &str) -> bool {
    let series = family.split('-').next().unwrap_or("");
    let b = series.as_bytes();
    b.len() >= 3
        && b[0].is_ascii_lowercase()
        && b[1..b.len() - 1].iter().all(u8::is_ascii_digit)
        && b[b.len() - 1] == b'a'
}

/// The boot disk type a GCE series takes: Hyperdisk only for the fourth
/// generation and newer series (`c4*`, `n4*`, `m4`, `x4`, `a4*`, `h4d`,
/// `g4`), else `pd-balanced` (kdevops' default).
pub fn gce_disk_type(family: &str) -> &'static str {
    let series = family.split('-').next().unwrap_or("");
    let hyperdisk = series.starts_with("c4")
        || series.starts_with("n4")
        || series.starts_with("a4")
        || matches!(series, "m4" | "x4" | "h4d" | "g4");
    if hyperdisk {
        "hyperdisk-balanced"
    } else {
        "pd-balanced"
    }
}

fn gce_image_type(f: &FamilyBlock) -> String {
    let family = f.sizes.first().map(|(_, _, i)| gce_family(&i.name));
    let disk = gce_disk_type(family.as_deref().unwrap_or(""));
    format!("\nconfig TERRAFORM_GCE_IMAGE_TYPE\n\tstring\n\toutput yaml\n\tdefault \"{disk}\"\n")
}

/// GCE `Kconfig.machine.generated`.
fn write_gce_machine(cat: &Catalogue, table: &PriceTable, chosen: &Chosen) -> String {
    let mut grouped = families(cat, Provider::Gcp, |i| gce_family(&i.name));
    grouped.values_mut().for_each(by_size);
    let (families, default_family) = family_blocks(
        table,
        grouped,
        "TERRAFORM_GCE_MACHINE_FAMILY_",
        "TERRAFORM_GCE_MACHINE_",
        kdevops_part,
        |f, _| Some(arch_dep(gce_arm64(f))),
        |_| "GCE Machine type".to_string(),
        chosen,
    );
    let menu = FamilyMenu {
        prompt: "GCE Machine Family",
        help: vec![
            "Select the family of machine types to choose from below. Sizes show".to_string(),
            "vCPUs, RAM, GPUs and on-demand prices from the devgen provider catalogue.".to_string(),
        ],
        default_family: default_family.or_else(|| families.first().map(|f| f.symbol.clone())),
        families,
        string: "TERRAFORM_GCE_MACHINE_TYPE",
        string_per_family: true,
        per_family_extra: gce_image_type,
    };
    let mut o = String::with_capacity(200_000);
    write_family_menu(&mut o, &menu, table, &chosen.region);
    o
}

/// kdevops' coarse Azure VM family: `Standard_` and the letters after it
/// (`Standard_NC24ads_A100_v4` → `Standard_NC`).
pub fn azure_family(size: &str) -> String {
    match size.strip_prefix("Standard_") {
        Some(rest) => {
            let letters: String = rest.chars().take_while(char::is_ascii_uppercase).collect();
            format!("Standard_{letters}")
        }
        None => size.split('_').next().unwrap_or(size).to_string(),
    }
}

/// Azure sizes without accelerated networking, per the Azure resource SKUs
/// API's `AcceleratedNetworkingEnabled` capability as kdevops main 4b6bbb7f
/// recorded it (`Kconfig.size.default`); every other size has it.
const AZURE_NO_ACCELERATED_NETWORKING: &[&str] = &[
    "Standard_B1ls",
    "Standard_B1ms",
    "Standard_B1s",
    "Standard_B2ms",
    "Standard_B2s",
    "Standard_B4ms",
    "Standard_B8ms",
    "Standard_DC1s_v2",
    "Standard_DC2ads_v5",
    "Standard_DC2as_v5",
    "Standard_DC4ads_v5",
    "Standard_DC4as_v5",
    "Standard_DC8ads_v5",
    "Standard_DC8as_v5",
    "Standard_DC16ads_v5",
    "Standard_DC16as_v5",
    "Standard_DC32ads_v5",
    "Standard_DC32as_v5",
    "Standard_DC48ads_v5",
    "Standard_DC48as_v5",
    "Standard_DC64ads_v5",
    "Standard_DC64as_v5",
    "Standard_DC96ads_v5",
    "Standard_DC96as_v5",
    "Standard_DS1",
    "Standard_DS2",
    "Standard_DS3",
    "Standard_DS4",
    "Standard_DS11",
    "Standard_DS12",
    "Standard_DS13",
    "Standard_DS14",
    "Standard_EC2ads_v5",
    "Standard_EC2as_v5",
    "Standard_EC4ads_v5",
    "Standard_EC4as_v5",
    "Standard_EC8ads_cc_v5",
    "Standard_EC8ads_v5",
    "Standard_EC8as_v5",
    "Standard_EC16ads_cc_v5",
    "Standard_EC16ads_v5",
    "Standard_EC16as_v5",
    "Standard_EC20ads_cc_v5",
    "Standard_EC20ads_v5",
    "Standard_EC20as_v5",
    "Standard_EC32ads_cc_v5",
    "Standard_EC32ads_v5",
    "Standard_EC32as_v5",
    "Standard_EC48ads_cc_v5",
    "Standard_EC48ads_v5",
    "Standard_EC48as_v5",
    "Standard_EC64ads_cc_v5",
    "Standard_EC64ads_v5",
    "Standard_EC64as_v5",
    "Standard_EC96ads_cc_v5",
    "Standard_EC96ads_v5",
    "Standard_EC96as_v5",
    "Standard_EC96iads_v5",
    "Standard_EC96ias_v5",
    "Standard_GS1",
    "Standard_GS2",
    "Standard_GS3",
    "Standard_GS4",
    "Standard_GS4-4",
    "Standard_GS4-8",
    "Standard_GS5",
    "Standard_GS5-8",
    "Standard_GS5-16",
    "Standard_L4s",
    "Standard_L8s",
    "Standard_L16s",
    "Standard_L32s",
    "Standard_NC24rs_v3",
    "Standard_NV6s_v2",
    "Standard_NV12s_v2",
    "Standard_NV24s_v2",
];

/// Whether an Azure size has accelerated networking (see
/// [`AZURE_NO_ACCELERATED_NETWORKING`]; single-vCPU sizes never do).
pub fn azure_accelerated_networking(inst: &InstanceType) -> bool {
    inst.vcpus >= 2 && !AZURE_NO_ACCELERATED_NETWORKING.contains(&inst.name.as_str())
}

/// kdevops' natural order of Azure size names (`DS1`, `DS2`, …, `DS11`).
fn natural_key(name: &str) -> Vec<(u64, String)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut num: Option<u64> = None;
    for c in name.chars() {
        if let Some(d) = c.to_digit(10) {
            if num.is_none() {
                key.push((0, std::mem::take(&mut text)));
            }
            num = Some(
                num.unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(u64::from(d)),
            );
        } else {
            if let Some(n) = num.take() {
                key.push((n, String::new()));
            }
            text.push(c);
        }
    }
    if let Some(n) = num {
        key.push((n, String::new()));
    }
    key.push((0, text));
    key
}

/// Azure `Kconfig.size.generated`.
fn write_azure_size(cat: &Catalogue, table: &PriceTable, chosen: &Chosen) -> String {
    let mut grouped = families(cat, Provider::Azure, |i| azure_family(&i.name));
    for sizes in grouped.values_mut() {
        sizes.sort_by_key(|(_, i)| natural_key(&i.name));
    }
    let (families, default_family) = family_blocks(
        table,
        grouped,
        "TERRAFORM_AZURE_VM_FAMILY_",
        "TERRAFORM_AZURE_VM_SIZE_",
        kdevops_part,
        // As kdevops: the family's first size decides (Dps/Dpds are arm64).
        |_, sizes| {
            let arm = sizes.first().is_some_and(|(_, i)| {
                i.name.starts_with("Standard_Dps") || i.name.starts_with("Standard_Dpd")
            });
            Some(arch_dep(arm))
        },
        |f| format!("{f} VM size"),
        chosen,
    );
    let menu = FamilyMenu {
        prompt: "VM size family",
        help: vec![
            "Select the Azure VM size family for your target nodes. Sizes show".to_string(),
            "vCPUs, RAM, GPUs and on-demand prices from the devgen provider catalogue.".to_string(),
        ],
        default_family: default_family.or_else(|| families.first().map(|f| f.symbol.clone())),
        families,
        string: "TERRAFORM_AZURE_VM_SIZE",
        string_per_family: false,
        per_family_extra: no_extra,
    };
    let mut o = String::with_capacity(400_000);
    write_family_menu(&mut o, &menu, table, &chosen.region);
    o.push_str("\nconfig TERRAFORM_AZURE_ACCELERATED_NETWORKING_ENABLED\n\tbool\n\toutput yaml\n");
    for f in &menu.families {
        for (symbol, _, inst) in &f.sizes {
            o.push_str(if azure_accelerated_networking(inst) {
                "\tdefault y if "
            } else {
                "\tdefault n if "
            });
            o.push_str(symbol);
            o.push('\n');
        }
    }
    o
}

/// Lambda `Kconfig.compute.generated`: the choice of instance-type bools
/// the wrapper maps, closed by `endchoice`; nothing else (the wrapper's
/// string and tier bools follow it).
fn write_lambda_compute(
    cat: &Catalogue,
    table: &PriceTable,
    chosen: &Chosen,
    lambda: &LambdaNames,
) -> String {
    let types: Vec<(usize, &InstanceType, &str)> = lambda
        .types
        .iter()
        .filter_map(|(name, symbol)| {
            let i = cat
                .instance_types(Provider::Lambdalabs)
                .iter()
                .position(|t| &t.name == name)?;
            Some((
                i,
                &cat.instance_types(Provider::Lambdalabs)[i],
                symbol.as_str(),
            ))
        })
        .collect();
    let mut o = String::with_capacity(600 * (types.len() + 1));
    if types.is_empty() {
        return o;
    }
    let default = types
        .iter()
        .find(|(_, t, _)| chosen.instance.as_deref() == Some(t.name.as_str()))
        .unwrap_or(&types[0])
        .2;
    push_choice_head(
        &mut o,
        "Lambda Labs instance type",
        Some(default),
        &[
            "Select the Lambda Labs instance type for your deployment. Prices are".to_string(),
            "on-demand hourly rates in USD from the devgen provider catalogue.".to_string(),
        ],
    );
    for (i, inst, symbol) in &types {
        let prices = table.by_instance[*i].as_ref();
        let mut prompt = inst.name.clone();
        if let Some(p) = prices {
            prompt.push_str(" ($");
            super::kconfig::push_fixed4(&mut prompt, p.lo);
            prompt.push_str("/hr)");
        }
        push_bool_head(&mut o, symbol, &help_line(prompt), None);
        o.push_str("\thelp\n");
        size_help(inst, prices, &chosen.region, &mut Indented::new(&mut o));
        o.push('\n');
    }
    o.push_str("endchoice\n");
    o
}

/// The symbols a file defines (`config X` lines), for tests and checks.
pub fn defined_symbols(text: &str) -> HashSet<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("config "))
        .map(str::trim)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_parts_follow_kdevops() {
        assert_eq!(kdevops_part("p5.48xlarge"), "P5_48XLARGE");
        assert_eq!(kdevops_part("Standard_GS4-4"), "STANDARD_GS4_4");
        assert_eq!(gce_family("n2-standard-8"), "n2-standard");
        assert_eq!(gce_family("e2-micro"), "e2-micro");
        assert_eq!(gce_family("z3-highmem-88-standardlssd"), "z3-highmem");
        assert_eq!(azure_family("Standard_NC24ads_A100_v4"), "Standard_NC");
        assert_eq!(azure_family("Standard_DS3_v2"), "Standard_DS");
        for arm in ["a1", "c7g", "m6gd", "x2gd", "g5g", "im4gn", "c6gn"] {
            assert!(aws_arm64(arm), "{arm}");
        }
        for x86 in ["c1", "g4dn", "p5", "p6-b200", "inf2", "gr6", "m7i"] {
            assert!(!aws_arm64(x86), "{x86}");
        }
        assert!(gce_arm64("c4a-standard") && gce_arm64("t2a-standard"));
        assert!(!gce_arm64("a2-highgpu") && !gce_arm64("n2-standard"));
        assert_eq!(gce_disk_type("c4-standard"), "hyperdisk-balanced");
        assert_eq!(gce_disk_type("n2-standard"), "pd-balanced");
        let mut names = vec![
            "Standard_DS11",
            "Standard_DS2",
            "Standard_DS1_v2",
            "Standard_DS1",
        ];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(
            names,
            [
                "Standard_DS1",
                "Standard_DS1_v2",
                "Standard_DS2",
                "Standard_DS11"
            ]
        );
    }

    #[test]
    fn lambda_names_come_from_the_wrappers() {
        let location = "\tdefault $(shell, x) if A\n\tdefault \"us-tx-1\" if TERRAFORM_LAMBDALABS_REGION_US_TX_1\n\tdefault \"europe-central-1\" if TERRAFORM_LAMBDALABS_REGION_EU_CENTRAL_1\n\tdefault \"us-tx-1\"\n";
        let compute = "\tdefault \"8X_H100_OR_LESS\" if TERRAFORM_LAMBDALABS_INSTANCE_TYPE_8X_H100_OR_LESS\n\tdefault \"gpu_1x_a10\" if TERRAFORM_LAMBDALABS_INSTANCE_TYPE_GPU_1X_A10\n";
        let n = LambdaNames::from_wrappers(location, compute).unwrap();
        assert_eq!(
            n.regions,
            [
                (
                    "us-tx-1".into(),
                    "TERRAFORM_LAMBDALABS_REGION_US_TX_1".into()
                ),
                (
                    "europe-central-1".into(),
                    "TERRAFORM_LAMBDALABS_REGION_EU_CENTRAL_1".into()
                )
            ]
        );
        assert_eq!(
            n.types,
            [(
                "gpu_1x_a10".into(),
                "TERRAFORM_LAMBDALABS_INSTANCE_TYPE_GPU_1X_A10".into()
            )]
        );
        assert!(LambdaNames::from_wrappers("", compute).is_none());
        let builtin = LambdaNames::builtin();
        assert_eq!(builtin.regions.len(), 16);
        assert_eq!(builtin.types.len(), 20);
    }

    /// Lambda files define only the bools of the choice: never the strings
    /// or tier bools kdevops' wrappers own, and no `default` on the string.
    #[test]
    fn lambda_files_never_redefine_wrapper_symbols() {
        let cat = Catalogue::embedded();
        let names = LambdaNames::builtin();
        let opts = Options {
            regenerate: "devgen kdevops .",
            target: "kdevops",
            lambda: &names,
        };
        let files = render(cat, &[Provider::Lambdalabs], None, &opts);
        assert_eq!(files.len(), 2);
        for f in &files {
            let text = std::str::from_utf8(&f.bytes).unwrap();
            for s in defined_symbols(text) {
                assert!(
                    names.regions.iter().any(|(_, r)| r == s)
                        || names.types.iter().any(|(_, t)| t == s),
                    "{s} in {}",
                    f.path.display()
                );
            }
            assert!(!text.contains("output yaml"));
            assert!(text.trim_end().ends_with("endchoice"));
        }
    }

    /// Every provider: each `config` of a choice option is defined once per
    /// file; the string symbols kdevops reads are there with `output yaml`.
    #[test]
    fn every_provider_defines_kdevops_symbols() {
        let cat = Catalogue::embedded();
        let names = LambdaNames::builtin();
        let opts = Options {
            regenerate: "devgen kdevops .",
            target: "kdevops",
            lambda: &names,
        };
        let all = [
            Provider::Aws,
            Provider::Gcp,
            Provider::Azure,
            Provider::Lambdalabs,
        ];
        let files = render(cat, &all, None, &opts);
        assert_eq!(files.len(), 8);
        let text = |p: &str| {
            let f = files
                .iter()
                .find(|f| f.path == std::path::Path::new(p))
                .unwrap_or_else(|| panic!("{p}"));
            String::from_utf8(f.bytes.clone()).unwrap()
        };
        let aws = text("terraform/aws/kconfigs/Kconfig.location.generated");
        assert!(aws.contains("config TERRAFORM_AWS_AV_ZONE_US_EAST_1A\n"));
        assert!(aws.contains("\tdefault TERRAFORM_AWS_REGION_US_EAST_1\n"));
        let inst = text("terraform/aws/kconfigs/Kconfig.instance.generated");
        assert!(inst.contains(
            "config TERRAFORM_AWS_INSTANCE_FAMILY_C7G\n\tbool \"c7g\"\n\tdepends on TARGET_ARCH_ARM64\n"
        ));
        assert!(inst.contains("config TERRAFORM_AWS_INSTANCE_SIZE_P5_48XLARGE\n"));
        assert!(!inst.contains("\tdefault TERRAFORM_AWS_INSTANCE_FAMILY_"));
        let gce = text("terraform/gce/kconfigs/Kconfig.machine.generated");
        assert!(gce.contains("\tdefault TERRAFORM_GCE_MACHINE_FAMILY_N2_STANDARD\n"));
        assert!(gce.contains("\tdefault TERRAFORM_GCE_MACHINE_N2_STANDARD_8\n"));
        let az = text("terraform/azure/kconfigs/Kconfig.size.generated");
        assert!(az.contains("\tdefault TERRAFORM_AZURE_VM_SIZE_STANDARD_DS3_V2\n"));
        assert!(az.contains("config TERRAFORM_AZURE_VM_SIZE_STANDARD_DS1_V2\n"));
        assert!(az.contains("config TERRAFORM_AZURE_ACCELERATED_NETWORKING_ENABLED\n"));
        let loc = text("terraform/azure/kconfigs/Kconfig.location.generated");
        assert!(loc.contains("config TERRAFORM_AZURE_RESOURCE_GROUP_NAME\n"));
        // Reproducible.
        assert_eq!(files, render(cat, &all, None, &opts));
    }
}
