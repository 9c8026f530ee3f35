//! Provider catalogue: instance types (vCPUs, memory, GPU model / count /
//! memory) and hourly prices per region for AWS, Azure, GCP and Lambda Labs.
//!
//! The seed snapshot in `data/catalogue/` is compiled by `build.rs` into a
//! compact blob embedded in the binary and decoded lazily, on first use, by
//! [`Catalogue::embedded`]. A refreshed cache can build its own catalogue with
//! [`Catalogue::from_rows`] / [`Catalogue::from_parts`] (for example from CSV
//! text in the seed format, read with [`rows_from_csv`]).
//!
//! Layout of this module:
//! - `mod.rs`: the types and lookups;
//! - `codec.rs`: CSV records, the attached-GPU computation and the blob
//!   layout (shared with `build.rs`);
//! - `embedded.rs`: decoding the embedded blob;
//! - `gpu.rs`: GPU model names, aliases and kinds;
//! - `query.rs`: [`Filter`] and [`Catalogue::list`];
//! - `select.rs`: [`Request`], [`Catalogue::select`] and the [`NoFit`] explanations;
//! - `k8s.rs`: Kubernetes scheduling hints;
//! - `headroom.rs`: what each platform reserves on a node (fit uses the rest);
//! - `attach.rs`: GPUs attached to a machine (GCP N1 + T4/V100/P100/P4);
//! - `format.rs`: text / JSON / CSV renderings for the `catalogue` commands;
//! - `strings.rs`: the grammar of catalogue strings, checked where they enter;
//! - `cache.rs`: the refreshed per-provider cache files and [`active`];
//! - `update/`: the price API clients behind `devgen catalogue update`.

mod attach;
pub mod cache;
mod codec;
mod embedded;
mod format;
mod gpu;
pub mod headroom;
mod k8s;
mod query;
mod select;
pub mod strings;
pub mod update;

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use attach::{Accelerator, AttachPrice, AttachTable, is_host as accepts_attached_gpus};
pub use format::{
    ListFormat, OutputFormat, UnknownFormat, format_count, format_list, format_monthly_usd,
    format_selection, format_status,
};
pub use gpu::{
    AcceleratorKind, GPU_MODEL_ALIASES, accelerator_kind, nearest_gpu_model, normalize_gpu_model,
};
pub use k8s::{
    AKS_GPU_TAINT, EKS_GPU_TAINT, GKE_GPU_TAINT, Taint, gpu_node_taint, k8s_gpu_node_selector,
    k8s_gpu_resource,
};
pub use query::Filter;

pub use select::{Constraint, NoFit, Request, Selection};

/// Tolerance when comparing GPU counts: the data rounds fractions (1/3 is
/// `0.3333`), so a request for 1/3 must fit a `0.3333` slice.
const COUNT_TOLERANCE: f64 = 1e-3;

/// Whether a GPU count (unknown never fits) is at least `want`.
fn count_fits(have: Option<f64>, want: f64) -> bool {
    have.is_some_and(|c| c + COUNT_TOLERANCE >= want)
}

/// Hours in the month used for monthly estimates (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// A cloud provider of the catalogue.
///
/// The declaration order (`aws`, `azure`, `gcp`, `lambdalabs`) is the
/// catalogue's provider order, used for sorting and tie-breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Amazon Web Services.
    Aws,
    /// Microsoft Azure.
    Azure,
    /// Google Cloud.
    Gcp,
    /// Lambda Labs (Lambda Cloud).
    #[serde(alias = "lambda")]
    Lambdalabs,
}

impl Provider {
    /// Every provider, in catalogue order.
    pub const ALL: [Provider; 4] = [
        Provider::Aws,
        Provider::Azure,
        Provider::Gcp,
        Provider::Lambdalabs,
    ];

    /// The lowercase name: `aws`, `azure`, `gcp`, `lambdalabs`.
    pub fn as_str(self) -> &'static str {
        codec::PROVIDER_NAMES[self.index()]
    }

    /// Position in [`Provider::ALL`].
    fn index(self) -> usize {
        self as usize
    }

    fn from_index(i: usize) -> Option<Provider> {
        Provider::ALL.get(i).copied()
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown provider name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProvider(pub String);

impl fmt::Display for UnknownProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown provider {:?} (expected one of: aws, azure, gcp, lambdalabs)",
            self.0
        )
    }
}

impl std::error::Error for UnknownProvider {}

impl FromStr for Provider {
    type Err = UnknownProvider;

    /// Accepts `aws`, `azure`, `gcp`, `lambdalabs` and `lambda`, in any case,
    /// with surrounding whitespace ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "aws" => Ok(Provider::Aws),
            "azure" => Ok(Provider::Azure),
            "gcp" => Ok(Provider::Gcp),
            "lambdalabs" | "lambda" => Ok(Provider::Lambdalabs),
            _ => Err(UnknownProvider(s.to_string())),
        }
    }
}

/// An instance type (machine type, VM size) of one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceType {
    /// The provider.
    pub provider: Provider,
    /// The provider's exact name, e.g. `p5.48xlarge`, `Standard_ND96isr_H100_v5`.
    pub name: String,
    /// The family (see SOURCE.md), e.g. `p5`, `NDisr_H100_v5`, `a3-highgpu`.
    pub family: String,
    /// vCPUs. GCP's shared-core `e2-micro` / `e2-small` (0.25 / 0.5 in the
    /// source) are rounded up to 1.
    pub vcpus: u32,
    /// RAM in GiB; `None` where the source does not say (some Azure GPU
    /// sizes).
    pub memory_gib: Option<f64>,
    /// Normalised GPU or accelerator model (see [`normalize_gpu_model`]);
    /// `None` for CPU-only types.
    pub gpu_model: Option<String>,
    /// GPUs per instance; fractional for partitioned GPUs (e.g. 0.5, 1/6);
    /// `None` when the source does not say.
    pub gpu_count: Option<f64>,
    /// Memory of one GPU (of the slice, for a fractional GPU) in GiB.
    pub gpu_memory_gib: Option<f64>,
    /// For a machine with GPUs attached (GCP N1 + T4, …): the accelerator
    /// type and count; the instance is then "`name` + count × type", priced
    /// as machine + GPUs. `None` for bundled GPUs and CPU-only types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<Accelerator>,
}

impl InstanceType {
    /// Total GPU memory: `gpu_memory_gib × max(1, gpu_count)`, where an
    /// unknown count counts as 1.
    pub fn total_gpu_memory_gib(&self) -> Option<f64> {
        self.gpu_memory_gib
            .map(|m| m * self.gpu_count.unwrap_or(1.0).max(1.0))
    }
}

/// The price of one instance type in one region.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Offer<'a> {
    /// The provider's region code.
    pub region: &'a str,
    /// The region's display name, when known.
    pub region_name: Option<&'a str>,
    /// On-demand (Linux) list price, USD per hour.
    pub price_hourly_usd: f64,
    /// Spot price, USD per hour, when known (indicative).
    pub spot_price_hourly_usd: Option<f64>,
}

/// A region of one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// The provider.
    pub provider: Provider,
    /// The provider's region code, e.g. `us-east-1`, `westeurope`.
    pub code: String,
    /// The display name, e.g. `US East (N. Virginia)`, when known.
    pub display_name: Option<String>,
    /// Availability zones, when known (AWS and GCP only in the snapshot).
    pub zones: Vec<String>,
}

/// One instance type in one region: the flat, joined view of the catalogue
/// used by `catalogue list` (JSON and CSV keep these field names and this
/// order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The provider.
    pub provider: Provider,
    /// The provider's instance type name.
    pub instance_type: String,
    /// The instance family.
    pub family: String,
    /// vCPUs.
    pub vcpus: u32,
    /// RAM in GiB; `None` where the source does not say (some Azure GPU
    /// sizes).
    pub memory_gib: Option<f64>,
    /// Normalised GPU model, `null` for CPU-only types.
    pub gpu_model: Option<String>,
    /// GPUs per instance (may be fractional), `null` when unknown.
    pub gpu_count: Option<f64>,
    /// Memory of one GPU in GiB, `null` when unknown.
    pub gpu_memory_gib: Option<f64>,
    /// Region code.
    pub region: String,
    /// On-demand price, USD per hour; `null` in JSON where the source has no
    /// public price (0 here; such rows are listed, never selected).
    #[serde(serialize_with = "price_or_null", deserialize_with = "price_from_null")]
    pub price_hourly_usd: f64,
    /// Spot price, USD per hour, `null` when unknown.
    pub spot_price_hourly_usd: Option<f64>,
    /// The attached accelerator (`{"type": "nvidia-tesla-t4", "count": 1}`)
    /// of a machine + GPUs combination; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<Accelerator>,
}

fn price_or_null<S: serde::Serializer>(price: &f64, s: S) -> Result<S::Ok, S::Error> {
    if *price > 0.0 {
        s.serialize_f64(*price)
    } else {
        s.serialize_none()
    }
}

fn price_from_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(0.0))
}

/// What the catalogue holds for one provider (`catalogue status`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderStatus {
    /// The provider.
    pub provider: Provider,
    /// Where the data comes from: `embedded` for the compiled-in snapshot,
    /// `cache` for a fresh file written by `devgen catalogue update`.
    pub source: String,
    /// Date of the price data (`YYYY-MM-DD`), when known; for a cache, the
    /// (UTC) day it was fetched.
    pub data_date: Option<String>,
    /// When the cached data was fetched (Unix seconds); `null` for the
    /// embedded snapshot.
    pub fetched_at: Option<u64>,
    /// Age of the cached data in seconds when the status was taken; `null`
    /// for the embedded snapshot (see `data_date`).
    pub age_seconds: Option<u64>,
    /// Number of instance types.
    pub instance_types: usize,
    /// Number of (instance type, region) rows.
    pub rows: usize,
    /// Number of regions with at least one row.
    pub regions: usize,
    /// A remark, e.g. that a stale or unreadable cache file was ignored.
    pub note: Option<String>,
}

/// Parses instance rows from CSV text in the seed format (the header of
/// `data/catalogue/aws.csv`: `provider,instance_type,…,spot_price_hourly_usd`).
/// Errors name the line.
pub fn rows_from_csv(text: &str) -> Result<Vec<Row>, String> {
    let records = codec::parse_csv(text)?;
    let Some(((line, header), rest)) = records.split_first() else {
        return Err("empty CSV".to_string());
    };
    codec::check_header(header, &codec::ROW_HEADER).map_err(|e| format!("line {line}: {e}"))?;
    rest.iter()
        .map(|(line, fields)| {
            let r = codec::parse_row(fields).map_err(|e| format!("line {line}: {e}"))?;
            let provider = r
                .provider
                .parse::<Provider>()
                .map_err(|e| format!("line {line}: {e}"))?;
            Ok(Row {
                provider,
                instance_type: r.instance_type,
                family: r.family,
                vcpus: r.vcpus,
                memory_gib: r.memory_gib,
                gpu_model: r.gpu_model.map(|m| normalize_gpu_model(&m)),
                gpu_count: r.gpu_count,
                gpu_memory_gib: r.gpu_memory_gib,
                region: r.region,
                price_hourly_usd: r.price_hourly_usd,
                spot_price_hourly_usd: r.spot_price_hourly_usd,
                accelerator: None,
            })
        })
        .collect()
}

/// Parses regions from CSV text in the format of `data/catalogue/regions.csv`
/// (`provider,region,display_name,zones`).
pub fn regions_from_csv(text: &str) -> Result<Vec<Region>, String> {
    let records = codec::parse_csv(text)?;
    let Some(((line, header), rest)) = records.split_first() else {
        return Err("empty CSV".to_string());
    };
    codec::check_header(header, &codec::REGION_HEADER).map_err(|e| format!("line {line}: {e}"))?;
    rest.iter()
        .map(|(line, fields)| {
            let r = codec::parse_region(fields).map_err(|e| format!("line {line}: {e}"))?;
            let provider = r
                .provider
                .parse::<Provider>()
                .map_err(|e| format!("line {line}: {e}"))?;
            Ok(Region {
                provider,
                code: r.region,
                display_name: r.display_name,
                zones: r.zones,
            })
        })
        .collect()
}

/// A price of one instance in one region, stored compactly.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OfferRec {
    /// Index into `Catalogue::regions`.
    region: u32,
    price: f64,
    /// `NaN` when unknown.
    spot: f64,
}

impl OfferRec {
    fn spot(&self) -> Option<f64> {
        (!self.spot.is_nan()).then_some(self.spot)
    }
}

/// Where a catalogue's attach prices and limits come from.
#[derive(Debug, Clone)]
enum Attach {
    /// The embedded tables, parsed on first use (most commands never look
    /// at them: the combinations are in the blob).
    Embedded,
    /// A table of its own (a refreshed cache, or empty).
    Table(AttachTable),
}

/// The provider catalogue: instance types, their regional prices and the
/// providers' regions.
///
/// Instance types are kept sorted by (provider order, name) and each one's
/// offers by region code (byte order), so every listing is deterministic.
#[derive(Debug, Clone)]
pub struct Catalogue {
    instances: Vec<InstanceType>,
    /// Offers of `instances[i]` are `offers[offer_start[i]..offer_start[i + 1]]`.
    offer_start: Vec<u32>,
    offers: Vec<OfferRec>,
    /// Sorted by (provider, code).
    regions: Vec<Region>,
    provider_instances: [Range<usize>; 4],
    provider_regions: [Range<usize>; 4],
    sources: [String; 4],
    data_dates: [Option<String>; 4],
    /// Fetch time (Unix seconds) of cache-sourced providers.
    fetched_at: [Option<u64>; 4],
    notes: [Option<String>; 4],
    /// GCP's attach prices and limits (see `attach.rs`).
    attach: Attach,
}

impl Catalogue {
    /// The snapshot compiled into the binary, decoded on first use and shared
    /// afterwards (about a millisecond in a release build).
    pub fn embedded() -> &'static Catalogue {
        embedded::embedded()
    }

    /// Decodes a fresh copy of the embedded snapshot. Normal code wants
    /// [`Catalogue::embedded`]; this exists for benchmarks and tests.
    pub fn decode_embedded() -> Catalogue {
        embedded::decode_embedded()
    }

    /// Builds a catalogue from flat rows (for example a refreshed cache).
    ///
    /// Rows are grouped by (provider, instance type); an instance's specs come
    /// from its first row, and a repeated (provider, instance type, region)
    /// keeps its first row. GPU model names are normalised. Region display
    /// names come from the embedded snapshot's region list where the codes
    /// match. The status source is `rows` with no data dates (see
    /// [`Catalogue::with_source`]).
    pub fn from_rows(rows: Vec<Row>) -> Catalogue {
        let regions = embedded::embedded_regions();
        let used: std::collections::BTreeSet<(Provider, &str)> = rows
            .iter()
            .map(|r| (r.provider, r.region.as_str()))
            .collect();
        let regions = regions
            .into_iter()
            .filter(|r| used.contains(&(r.provider, r.code.as_str())))
            .collect();
        Catalogue::from_parts(rows, regions)
    }

    /// Builds a catalogue from flat rows and a region list. Regions that rows
    /// use but the list lacks are added without a display name. See
    /// [`Catalogue::from_rows`] for how rows are grouped.
    pub fn from_parts(mut rows: Vec<Row>, mut regions: Vec<Region>) -> Catalogue {
        for row in &mut rows {
            if let Some(model) = &row.gpu_model {
                row.gpu_model = Some(normalize_gpu_model(model));
            }
        }
        rows.sort_by(|a, b| {
            (a.provider, &a.instance_type, &a.region).cmp(&(
                b.provider,
                &b.instance_type,
                &b.region,
            ))
        });
        rows.dedup_by(|b, a| {
            a.provider == b.provider && a.instance_type == b.instance_type && a.region == b.region
        });
        regions.sort_by(|a, b| (a.provider, &a.code).cmp(&(b.provider, &b.code)));
        regions.dedup_by(|b, a| a.provider == b.provider && a.code == b.code);
        let missing: std::collections::BTreeSet<(Provider, &str)> = rows
            .iter()
            .map(|row| (row.provider, row.region.as_str()))
            .filter(|key| {
                regions
                    .binary_search_by(|r| (r.provider, r.code.as_str()).cmp(key))
                    .is_err()
            })
            .collect();
        if !missing.is_empty() {
            let added: Vec<Region> = missing
                .into_iter()
                .map(|(provider, code)| Region {
                    provider,
                    code: code.to_string(),
                    display_name: None,
                    zones: Vec::new(),
                })
                .collect();
            regions.extend(added);
            regions.sort_by(|a, b| (a.provider, &a.code).cmp(&(b.provider, &b.code)));
        }

        let mut instances: Vec<InstanceType> = Vec::new();
        let mut offer_start = vec![0u32];
        let mut offers = Vec::with_capacity(rows.len());
        for row in rows {
            let region = regions
                .binary_search_by(|r| {
                    (r.provider, r.code.as_str()).cmp(&(row.provider, &row.region))
                })
                .expect("every row's region was added") as u32;
            let same = instances
                .last()
                .is_some_and(|i| i.provider == row.provider && i.name == row.instance_type);
            if !same {
                if !instances.is_empty() {
                    offer_start.push(offers.len() as u32);
                }
                instances.push(InstanceType {
                    provider: row.provider,
                    name: row.instance_type,
                    family: row.family,
                    vcpus: row.vcpus,
                    memory_gib: row.memory_gib,
                    gpu_model: row.gpu_model,
                    gpu_count: row.gpu_count,
                    gpu_memory_gib: row.gpu_memory_gib,
                    accelerator: row.accelerator,
                });
            }
            offers.push(OfferRec {
                region,
                price: row.price_hourly_usd,
                spot: row.spot_price_hourly_usd.unwrap_or(f64::NAN),
            });
        }
        if !instances.is_empty() {
            offer_start.push(offers.len() as u32);
        }
        Catalogue::assemble(
            instances,
            offer_start,
            offers,
            regions,
            "rows",
            [None, None, None, None],
        )
    }

    /// Shared tail of the constructors: computes the per-provider ranges.
    /// `instances` and `regions` must already be sorted.
    fn assemble(
        instances: Vec<InstanceType>,
        offer_start: Vec<u32>,
        offers: Vec<OfferRec>,
        regions: Vec<Region>,
        source: &str,
        data_dates: [Option<String>; 4],
    ) -> Catalogue {
        let provider_instances = instance_ranges(&instances);
        let provider_regions = Provider::ALL.map(|p| provider_range(&regions, |r| r.provider, p));
        debug_assert_eq!(offer_start.len(), instances.len() + 1);
        Catalogue {
            instances,
            offer_start,
            offers,
            regions,
            provider_instances,
            provider_regions,
            sources: Provider::ALL.map(|_| source.to_string()),
            data_dates,
            fetched_at: [None; 4],
            notes: [None, None, None, None],
            attach: Attach::Table(AttachTable::default()),
        }
    }

    /// This catalogue with GCP's attached-GPU combinations added (replacing
    /// any added before): after each N1 machine type, one instance type per
    /// (accelerator type, count) that `table` allows somewhere, priced per
    /// region as machine + count × GPU (see `attach.rs`).
    pub fn with_attached(mut self, table: AttachTable) -> Catalogue {
        let gcp = self.provider_instances[Provider::Gcp.index()].clone();
        let mut instances = Vec::with_capacity(self.instances.len() + 256);
        let mut offer_start = vec![0u32];
        let mut offers = Vec::with_capacity(self.offers.len() + 4096);
        for (i, inst) in self.instances.iter().enumerate() {
            if inst.accelerator.is_some() {
                continue;
            }
            let recs = self.offer_recs(i);
            instances.push(inst.clone());
            offers.extend_from_slice(recs);
            offer_start.push(offers.len() as u32);
            if !gcp.contains(&i) || !attach::is_host(inst) {
                continue;
            }
            let host: Vec<(&str, f64, Option<f64>)> = recs
                .iter()
                .map(|o| {
                    (
                        self.regions[o.region as usize].code.as_str(),
                        o.price,
                        o.spot(),
                    )
                })
                .collect();
            for (variant, vo) in table.variants(inst, &host) {
                instances.push(variant);
                offers.extend(vo.into_iter().map(|(at, price, spot)| OfferRec {
                    region: recs[at].region,
                    price,
                    spot: spot.unwrap_or(f64::NAN),
                }));
                offer_start.push(offers.len() as u32);
            }
        }
        self.provider_instances = instance_ranges(&instances);
        self.instances = instances;
        self.offer_start = offer_start;
        self.offers = offers;
        self.attach = Attach::Table(table);
        self
    }

    /// This catalogue with the embedded attach prices and limits, its
    /// instances as they are: for the embedded snapshot, which carries the
    /// attached combinations already (`build.rs`).
    fn with_embedded_attach_table(mut self) -> Catalogue {
        self.attach = Attach::Embedded;
        self
    }

    /// The attach prices this catalogue uses (GCP; empty when none).
    pub fn attach_table(&self) -> &AttachTable {
        match &self.attach {
            Attach::Embedded => AttachTable::embedded_shared(),
            Attach::Table(table) => table,
        }
    }

    /// The zones of `region` where an attached combination (`inst` with an
    /// [`InstanceType::accelerator`]) may run; empty for other instances.
    pub fn attach_zones(&self, inst: &InstanceType, region: &str) -> Vec<String> {
        if inst.accelerator.is_none() {
            // Without parsing the embedded tables for nothing.
            return Vec::new();
        }
        self.attach_table().zones(inst, region)
    }

    /// Sets the status source (e.g. `cache`) of every provider, reported by
    /// [`Catalogue::status`].
    pub fn with_source(mut self, source: &str) -> Catalogue {
        self.sources = Provider::ALL.map(|_| source.to_string());
        self
    }

    /// Sets the status source of one provider.
    pub fn with_provider_source(mut self, provider: Provider, source: &str) -> Catalogue {
        self.sources[provider.index()] = source.to_string();
        self
    }

    /// Marks one provider as coming from a cache fetched at `fetched_at`
    /// (Unix seconds): source `cache`, data date the fetch day (UTC).
    pub fn with_cache_fetch(mut self, provider: Provider, fetched_at: u64) -> Catalogue {
        let i = provider.index();
        self.sources[i] = cache::SOURCE.to_string();
        self.data_dates[i] = Some(cache::utc_date(fetched_at));
        self.fetched_at[i] = Some(fetched_at);
        self
    }

    /// Sets a status note of one provider (see [`ProviderStatus::note`]).
    pub fn with_note(mut self, provider: Provider, note: Option<String>) -> Catalogue {
        self.notes[provider.index()] = note;
        self
    }

    /// Sets the data date (`YYYY-MM-DD`) of one provider for [`Catalogue::status`].
    pub fn with_data_date(mut self, provider: Provider, date: Option<&str>) -> Catalogue {
        self.data_dates[provider.index()] = date.map(str::to_string);
        self
    }

    /// Providers that have at least one instance type, in catalogue order.
    pub fn providers(&self) -> Vec<Provider> {
        Provider::ALL
            .into_iter()
            .filter(|p| !self.provider_instances[p.index()].is_empty())
            .collect()
    }

    /// All instance types of a provider, sorted by name.
    pub fn instance_types(&self, provider: Provider) -> &[InstanceType] {
        &self.instances[self.provider_instances[provider.index()].clone()]
    }

    fn instance_index(&self, provider: Provider, name: &str) -> Option<usize> {
        let range = self.provider_instances[provider.index()].clone();
        let slice = &self.instances[range.clone()];
        // The first of equal names: the machine itself, before its
        // attached-GPU combinations.
        let first = slice.partition_point(|i| i.name.as_str() < name);
        (slice.get(first).is_some_and(|i| i.name == name))
            .then_some(first)
            .or_else(|| slice.iter().position(|i| i.name.eq_ignore_ascii_case(name)))
            .map(|i| range.start + i)
    }

    /// The instance type `name` of `provider`: an exact match, or else the one
    /// that matches ignoring ASCII case (Azure sizes are case-insensitive).
    /// For a GCP N1 machine this is the machine alone; see
    /// [`Catalogue::instance_with`] for its attached-GPU combinations.
    pub fn instance(&self, provider: Provider, name: &str) -> Option<&InstanceType> {
        self.instance_index(provider, name)
            .map(|i| &self.instances[i])
    }

    /// The instance type `name` of `provider` with `accelerator` attached
    /// (`None`: the machine alone, as [`Catalogue::instance`]).
    pub fn instance_with(
        &self,
        provider: Provider,
        name: &str,
        accelerator: Option<&Accelerator>,
    ) -> Option<&InstanceType> {
        let first = self.instance_index(provider, name)?;
        let end = self.provider_instances[provider.index()].end;
        let base = &self.instances[first].name;
        self.instances[first..end]
            .iter()
            .take_while(|i| &i.name == base)
            .find(|i| i.accelerator.as_ref() == accelerator)
    }

    /// The attached-GPU combinations of machine `name` (empty for other
    /// instance types).
    pub fn attached_variants(&self, provider: Provider, name: &str) -> Vec<&InstanceType> {
        let Some(first) = self.instance_index(provider, name) else {
            return Vec::new();
        };
        let end = self.provider_instances[provider.index()].end;
        let base = &self.instances[first].name;
        self.instances[first..end]
            .iter()
            .take_while(|i| &i.name == base)
            .filter(|i| i.accelerator.is_some())
            .collect()
    }

    fn offer_recs(&self, index: usize) -> &[OfferRec] {
        &self.offers[self.offer_start[index] as usize..self.offer_start[index + 1] as usize]
    }

    fn offer_view(&self, rec: &OfferRec) -> Offer<'_> {
        let region = &self.regions[rec.region as usize];
        Offer {
            region: &region.code,
            region_name: region.display_name.as_deref(),
            price_hourly_usd: rec.price,
            spot_price_hourly_usd: rec.spot(),
        }
    }

    /// The regional offers of an instance type (as found by
    /// [`Catalogue::instance`]), sorted by region code; empty when unknown.
    pub fn offers(&self, provider: Provider, name: &str) -> Vec<Offer<'_>> {
        self.instance_index(provider, name)
            .map(|i| {
                self.offer_recs(i)
                    .iter()
                    .map(|o| self.offer_view(o))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The regional offers of `inst` (a machine, or a machine with GPUs
    /// attached), sorted by region code; empty when unknown.
    pub fn offers_of(&self, inst: &InstanceType) -> Vec<Offer<'_>> {
        let Some(first) = self.instance_index(inst.provider, &inst.name) else {
            return Vec::new();
        };
        let end = self.provider_instances[inst.provider.index()].end;
        (first..end)
            .take_while(|&i| self.instances[i].name == self.instances[first].name)
            .find(|&i| self.instances[i].accelerator == inst.accelerator)
            .map(|i| {
                self.offer_recs(i)
                    .iter()
                    .map(|o| self.offer_view(o))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The regional offers of the `i`-th instance type of
    /// [`Catalogue::instance_types`]`(provider)`, sorted by region code, each
    /// with its region's position in [`Catalogue::regions`]`(provider)`.
    /// (What [`Catalogue::offers`] gives, without looking the name up.)
    pub fn offers_at(
        &self,
        provider: Provider,
        i: usize,
    ) -> impl Iterator<Item = (usize, Offer<'_>)> + '_ {
        let first_region = self.provider_regions[provider.index()].start;
        self.offer_recs(self.provider_instances[provider.index()].start + i)
            .iter()
            .map(move |o| {
                // Out of range (never, in a well-formed catalogue) for
                // another provider's region.
                let r = (o.region as usize).wrapping_sub(first_region);
                (r, self.offer_view(o))
            })
    }

    /// The on-demand prices of [`Catalogue::offers_at`]`(provider, i)`, each
    /// with its region's position, without building [`Offer`]s (for loops
    /// over every offer of a provider); [`Catalogue::offer_region`] names
    /// the region of the `k`-th.
    pub fn offer_prices_at(
        &self,
        provider: Provider,
        i: usize,
    ) -> impl Iterator<Item = (usize, f64)> + '_ {
        let first_region = self.provider_regions[provider.index()].start;
        self.offer_recs(self.provider_instances[provider.index()].start + i)
            .iter()
            .map(move |o| ((o.region as usize).wrapping_sub(first_region), o.price))
    }

    /// The region code of the `k`-th offer of [`Catalogue::offers_at`]`(provider, i)`.
    pub fn offer_region(&self, provider: Provider, i: usize, k: usize) -> &str {
        let rec = &self.offer_recs(self.provider_instances[provider.index()].start + i)[k];
        &self.regions[rec.region as usize].code
    }

    /// The regions of a provider (with display names and zones), sorted by code.
    pub fn regions(&self, provider: Provider) -> &[Region] {
        &self.regions[self.provider_regions[provider.index()].clone()]
    }

    /// One region of a provider by code (exact, then ignoring ASCII case).
    pub fn region(&self, provider: Provider, code: &str) -> Option<&Region> {
        let regions = self.regions(provider);
        regions
            .binary_search_by(|r| r.code.as_str().cmp(code))
            .ok()
            .map(|i| &regions[i])
            .or_else(|| regions.iter().find(|r| r.code.eq_ignore_ascii_case(code)))
    }

    /// The distinct GPU / accelerator models a provider offers, sorted.
    pub fn gpu_models(&self, provider: Provider) -> Vec<&str> {
        let mut models: Vec<&str> = self
            .instance_types(provider)
            .iter()
            .filter_map(|i| i.gpu_model.as_deref())
            .collect();
        models.sort_unstable();
        models.dedup();
        models
    }

    /// Up to `n` instance type names of `provider` closest to `name` by edit
    /// distance (ignoring ASCII case), closest first, ties by name; for "did
    /// you mean" hints.
    pub fn nearest_names(&self, provider: Provider, name: &str, n: usize) -> Vec<String> {
        nearest(
            self.instance_types(provider)
                .iter()
                .map(|i| i.name.as_str()),
            name,
            n,
        )
    }

    /// One entry per provider (all four, in catalogue order): source, data
    /// date, age of cached data and counts.
    pub fn status(&self) -> Vec<ProviderStatus> {
        let now = cache::now();
        Provider::ALL
            .into_iter()
            .map(|p| {
                let range = self.provider_instances[p.index()].clone();
                let rows = if range.is_empty() {
                    0
                } else {
                    (self.offer_start[range.end] - self.offer_start[range.start]) as usize
                };
                let mut used: Vec<u32> = self.offers[if range.is_empty() {
                    0..0
                } else {
                    self.offer_start[range.start] as usize..self.offer_start[range.end] as usize
                }]
                .iter()
                .map(|o| o.region)
                .collect();
                used.sort_unstable();
                used.dedup();
                let fetched_at = self.fetched_at[p.index()];
                ProviderStatus {
                    provider: p,
                    source: self.sources[p.index()].clone(),
                    data_date: self.data_dates[p.index()].clone(),
                    fetched_at,
                    age_seconds: fetched_at.map(|t| now.saturating_sub(t)),
                    instance_types: range.len(),
                    rows,
                    regions: used.len(),
                    note: self.notes[p.index()].clone(),
                }
            })
            .collect()
    }

    /// Every (instance index, instance, offers) of the given providers (all
    /// when empty), in catalogue order.
    fn entries<'a>(
        &'a self,
        providers: &'a [Provider],
    ) -> impl Iterator<Item = (&'a InstanceType, &'a [OfferRec])> + 'a {
        Provider::ALL
            .into_iter()
            .filter(move |p| providers.is_empty() || providers.contains(p))
            .flat_map(move |p| self.provider_instances[p.index()].clone())
            .map(move |i| (&self.instances[i], self.offer_recs(i)))
    }

    fn row(&self, inst: &InstanceType, rec: &OfferRec) -> Row {
        Row {
            provider: inst.provider,
            instance_type: inst.name.clone(),
            family: inst.family.clone(),
            vcpus: inst.vcpus,
            memory_gib: inst.memory_gib,
            gpu_model: inst.gpu_model.clone(),
            gpu_count: inst.gpu_count,
            gpu_memory_gib: inst.gpu_memory_gib,
            region: self.regions[rec.region as usize].code.clone(),
            price_hourly_usd: rec.price,
            spot_price_hourly_usd: rec.spot(),
            accelerator: inst.accelerator.clone(),
        }
    }
}

/// The index range of each provider in `items` (sorted by provider), given
/// each item's provider.
/// The range of `items` (sorted by provider) that belong to `p`, found by
/// binary search.
fn provider_range<T>(items: &[T], provider: impl Fn(&T) -> Provider, p: Provider) -> Range<usize> {
    items.partition_point(|x| provider(x) < p)..items.partition_point(|x| provider(x) <= p)
}

fn instance_ranges(instances: &[InstanceType]) -> [Range<usize>; 4] {
    Provider::ALL.map(|p| provider_range(instances, |i| i.provider, p))
}

/// Up to `n` candidates closest to `query` by Levenshtein distance over
/// ASCII-lowercased text, closest first, ties by candidate.
fn nearest<'a>(candidates: impl Iterator<Item = &'a str>, query: &str, n: usize) -> Vec<String> {
    let query = query.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .map(|c| (strsim::levenshtein(&c.to_ascii_lowercase(), &query), c))
        .collect();
    scored.sort_unstable();
    scored.dedup_by(|b, a| a.1 == b.1);
    scored
        .into_iter()
        .take(n)
        .map(|(_, c)| c.to_string())
        .collect()
}

/// The catalogue every command uses: per provider, a fresh cache file
/// written by `devgen catalogue update` (younger than [`cache::TTL_SECONDS`])
/// replaces that provider's embedded rows; the other providers stay embedded.
///
/// Offline ([`set_offline`], or `DEVGEN_OFFLINE=1`) it is the embedded
/// snapshot. Without cache files this costs a `stat` per provider; cache files
/// are read once, on first use.
pub fn active() -> &'static Catalogue {
    cache::active()
}

/// Makes [`active`] ignore the cache (the `--offline` flags). Call it before
/// the first [`active`]; `DEVGEN_OFFLINE=1` has the same effect.
pub fn set_offline(offline: bool) {
    cache::set_offline(offline);
}

/// Whether the catalogue is offline: [`set_offline`] or `DEVGEN_OFFLINE`
/// set to anything but empty, `0`, `false` or `no`.
pub fn is_offline() -> bool {
    cache::is_offline()
}
