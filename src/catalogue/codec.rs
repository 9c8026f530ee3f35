//! The catalogue's CSV reader and the layout of the embedded binary blob.
//!
//! This file is shared: `build.rs` includes it with `#[path]` to parse the
//! seed CSVs' records (it reads the CSV text itself with the `csv` crate),
//! compute GCP's attached-GPU combinations ([`attach_variants`]) and write the
//! blob; the crate uses it to read CSV text at run time (refreshed caches,
//! `rows_from_csv`), to expand a refreshed cache's combinations and to know
//! the blob layout. It therefore depends on `std` only and on
//! nothing else in the crate. (The attach tables derive serde only in the
//! crate: `build.rs` sets `--cfg devgen_crate` for it.)
//!
//! # Blob layout (all integers little-endian)
//!
//! ```text
//! header   MAGIC (8 bytes) | n_strings u32 | n_string_bytes u32 | n_regions u32
//!          | n_instances u32 | n_offers u32
//! strings  (n_strings + 1) × u32 offsets into the string bytes, then the bytes (UTF-8)
//! regions  n_regions × REGION_SIZE:
//!            provider u8, 3 × pad, code str u32, display name str u32 (NONE_U32),
//!            zones str u32 (`;`-separated, may be empty)
//! instances n_instances × INSTANCE_SIZE, sorted by (provider, name):
//!            provider u8, 3 × pad, name str u32, family str u32, vcpus u32,
//!            memory_gib f64 (NaN = unknown), gpu_model str u32 (NONE_U32), offer count u32,
//!            gpu_count f64 (NaN = unknown), gpu_memory_gib f64 (NaN = unknown),
//!            accelerator type str u32 (NONE_U32 = none), accelerator count u32;
//!            a GCP N1 machine is followed by its attached-GPU combinations
//!            (same name, accelerator set; computed by `attach_variants`)
//! offers   n_offers × OFFER_SIZE, grouped by instance in instance order, each
//!          group sorted by region code:
//!            region index u16 (into the region table), price µUSD u32,
//!            spot price µUSD u32 (NONE_U32)
//! ```
//!
//! Prices are stored as integer micro-dollars. `to_micros` only accepts prices
//! for which `micros as f64 / 1e6` gives back the very same `f64`, so decoding
//! is exact (the build fails otherwise).

use std::fmt::Write as _;

/// Provider names in catalogue order (the order of `Provider::ALL`).
pub const PROVIDER_NAMES: [&str; 4] = ["aws", "azure", "gcp", "lambdalabs"];

/// Header of the per-provider instance CSV files.
pub const ROW_HEADER: [&str; 11] = [
    "provider",
    "instance_type",
    "family",
    "vcpus",
    "memory_gib",
    "gpu_model",
    "gpu_count",
    "gpu_memory_gib",
    "region",
    "price_hourly_usd",
    "spot_price_hourly_usd",
];

/// Header of `regions.csv`.
pub const REGION_HEADER: [&str; 4] = ["provider", "region", "display_name", "zones"];

/// First bytes of the blob; bump the digit when the layout changes.
pub const MAGIC: &[u8; 8] = b"DEVGCAT2";
/// Size of the fixed header, magic included.
pub const HEADER_SIZE: usize = 8 + 5 * 4;
/// Size of one region record.
pub const REGION_SIZE: usize = 16;
/// Size of one instance record.
pub const INSTANCE_SIZE: usize = 56;
/// Size of one offer record.
pub const OFFER_SIZE: usize = 10;
/// "No value" for string indices and micro-dollar prices.
pub const NONE_U32: u32 = u32::MAX;
/// Micro-dollars per dollar.
pub const MICROS_PER_USD: f64 = 1e6;

/// One CSV record and the 1-based line it starts on.
pub type CsvRecord = (usize, Vec<String>);

/// Parses CSV text (RFC 4180: comma-separated, optional double-quoted fields
/// with `""` as an escaped quote, LF or CRLF line ends). Blank lines are
/// skipped. Returns every record, header included, with its line number.
pub fn parse_csv(text: &str) -> Result<Vec<CsvRecord>, String> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut quoted_field = false;
    let mut at_record_start = true;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted_field => {
                in_quotes = true;
                quoted_field = true;
                at_record_start = false;
            }
            '"' => return Err(format!("line {line}: stray quote inside an unquoted field")),
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted_field = false;
                at_record_start = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if !at_record_start {
                    fields.push(std::mem::take(&mut field));
                    records.push((record_line, std::mem::take(&mut fields)));
                }
                quoted_field = false;
                at_record_start = true;
                line += 1;
                record_line = line;
            }
            _ => {
                if quoted_field {
                    return Err(format!("line {line}: text after a closing quote"));
                }
                field.push(c);
                at_record_start = false;
            }
        }
    }
    if in_quotes {
        return Err(format!("line {record_line}: unterminated quoted field"));
    }
    if !at_record_start {
        fields.push(field);
        records.push((record_line, fields));
    }
    Ok(records)
}

/// One parsed instance row, before the provider name is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    /// `provider` column.
    pub provider: String,
    /// `instance_type` column.
    pub instance_type: String,
    /// `family` column.
    pub family: String,
    /// `vcpus`, rounded up to a whole vCPU (GCP's shared-core e2-micro and
    /// e2-small are listed with 0.25 and 0.5).
    pub vcpus: u32,
    /// `memory_gib`, `None` when empty (some Azure GPU sizes).
    pub memory_gib: Option<f64>,
    /// `gpu_model`, `None` when empty.
    pub gpu_model: Option<String>,
    /// `gpu_count`, `None` when empty.
    pub gpu_count: Option<f64>,
    /// `gpu_memory_gib`, `None` when empty.
    pub gpu_memory_gib: Option<f64>,
    /// `region`.
    pub region: String,
    /// `price_hourly_usd`.
    pub price_hourly_usd: f64,
    /// `spot_price_hourly_usd`, `None` when empty.
    pub spot_price_hourly_usd: Option<f64>,
}

fn parse_number(column: &str, text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{column}: {text:?} is not a number"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "{column}: {text:?} is not a finite, non-negative number"
        ));
    }
    Ok(value)
}

fn parse_optional(column: &str, text: &str) -> Result<Option<f64>, String> {
    if text.is_empty() {
        Ok(None)
    } else {
        parse_number(column, text).map(Some)
    }
}

/// Checks that a header record is exactly `expected`.
pub fn check_header(record: &[String], expected: &[&str]) -> Result<(), String> {
    if record
        .iter()
        .map(String::as_str)
        .eq(expected.iter().copied())
    {
        Ok(())
    } else {
        Err(format!(
            "header is {:?}, expected {:?}",
            record.join(","),
            expected.join(",")
        ))
    }
}

/// Parses one instance record (the columns of `ROW_HEADER`).
pub fn parse_row(fields: &[String]) -> Result<CsvRow, String> {
    if fields.len() != ROW_HEADER.len() {
        return Err(format!(
            "{} fields, expected {}",
            fields.len(),
            ROW_HEADER.len()
        ));
    }
    for (name, value) in ROW_HEADER.iter().zip(fields).take(3) {
        if value.is_empty() {
            return Err(format!("{name} is empty"));
        }
    }
    if fields[8].is_empty() {
        return Err("region is empty".to_string());
    }
    let vcpus = parse_number("vcpus", &fields[3])?.ceil();
    if vcpus > f64::from(u32::MAX) {
        return Err(format!("vcpus: {} is too large", fields[3]));
    }
    let gpu_model = (!fields[5].is_empty()).then(|| fields[5].clone());
    Ok(CsvRow {
        provider: fields[0].clone(),
        instance_type: fields[1].clone(),
        family: fields[2].clone(),
        vcpus: vcpus as u32,
        memory_gib: parse_optional("memory_gib", &fields[4])?,
        gpu_model,
        gpu_count: parse_optional("gpu_count", &fields[6])?,
        gpu_memory_gib: parse_optional("gpu_memory_gib", &fields[7])?,
        region: fields[8].clone(),
        // Empty = no public price (e.g. GCP a4/a4x): stored as 0, listed,
        // never selected.
        price_hourly_usd: parse_optional("price_hourly_usd", &fields[9])?.unwrap_or(0.0),
        spot_price_hourly_usd: parse_optional("spot_price_hourly_usd", &fields[10])?,
    })
}

/// Header of `gcp-accelerators.csv`: per-zone prices of GPUs sold attached
/// to a machine (GCP N1 + T4/V100/P100/P4), one GPU per row.
pub const ATTACH_HEADER: [&str; 7] = [
    "gpu_model",
    "accelerator_type",
    "region",
    "zone",
    "price_hourly_usd",
    "spot_price_hourly_usd",
    "gpu_memory_gib",
];

/// Header of `gcp-n1-limits.csv`: the most vCPUs and memory a machine may
/// have with N GPUs of a type attached (per zone where it differs).
pub const LIMIT_HEADER: [&str; 7] = [
    "accelerator_type",
    "gpu_model",
    "gpu_count",
    "max_vcpus",
    "max_memory_gib",
    "zones",
    "source",
];

/// One parsed `gcp-accelerators.csv` record: the price of one attached GPU
/// in one zone.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(devgen_crate, derive(serde::Serialize, serde::Deserialize))]
pub struct AttachPrice {
    /// Normalised catalogue model, e.g. `t4`.
    pub gpu_model: String,
    /// The provider's accelerator type, e.g. `nvidia-tesla-t4`.
    pub accelerator_type: String,
    /// Region code.
    pub region: String,
    /// Zone code.
    pub zone: String,
    /// On-demand price of one GPU, USD per hour.
    pub price_hourly_usd: f64,
    /// Spot price of one GPU, USD per hour, when known.
    pub spot_price_hourly_usd: Option<f64>,
    /// Memory of one GPU, GiB.
    pub gpu_memory_gib: Option<f64>,
}

/// Where an [`AttachLimit`] applies.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(devgen_crate, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(devgen_crate, serde(rename_all = "snake_case"))]
pub enum LimitZones {
    /// Every zone (`all`).
    All,
    /// Every zone but these (`all except a;b`).
    Except(Vec<String>),
    /// Only these zones (`a;b`).
    Only(Vec<String>),
}

impl LimitZones {
    /// Whether the limit applies in `zone`.
    pub fn covers(&self, zone: &str) -> bool {
        match self {
            LimitZones::All => true,
            LimitZones::Except(z) => !z.iter().any(|x| x == zone),
            LimitZones::Only(z) => z.iter().any(|x| x == zone),
        }
    }
}

/// One parsed `gcp-n1-limits.csv` record.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(devgen_crate, derive(serde::Serialize, serde::Deserialize))]
pub struct AttachLimit {
    /// The accelerator type, e.g. `nvidia-tesla-t4`.
    pub accelerator_type: String,
    /// How many GPUs are attached (1, 2, 4, 8).
    pub gpu_count: u32,
    /// The most vCPUs the machine may have.
    pub max_vcpus: u32,
    /// The most memory (GiB) the machine may have; `None` when the source
    /// does not say (then only the vCPU cap applies).
    pub max_memory_gib: Option<f64>,
    /// The zones the limit applies in.
    pub zones: LimitZones,
}

fn split_zones(text: &str) -> Vec<String> {
    text.split(';')
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parses one `gcp-accelerators.csv` record (the columns of `ATTACH_HEADER`).
pub fn parse_attach(fields: &[String]) -> Result<AttachPrice, String> {
    if fields.len() != ATTACH_HEADER.len() {
        return Err(format!(
            "{} fields, expected {}",
            fields.len(),
            ATTACH_HEADER.len()
        ));
    }
    for (name, value) in ATTACH_HEADER.iter().zip(fields).take(4) {
        if value.is_empty() {
            return Err(format!("{name} is empty"));
        }
    }
    Ok(AttachPrice {
        gpu_model: fields[0].clone(),
        accelerator_type: fields[1].clone(),
        region: fields[2].clone(),
        zone: fields[3].clone(),
        price_hourly_usd: parse_number("price_hourly_usd", &fields[4])?,
        spot_price_hourly_usd: parse_optional("spot_price_hourly_usd", &fields[5])?,
        gpu_memory_gib: parse_optional("gpu_memory_gib", &fields[6])?,
    })
}

/// Parses one `gcp-n1-limits.csv` record (the columns of `LIMIT_HEADER`).
/// `zones` is `all`, `all except z1;z2` or `z1;z2`.
pub fn parse_limit(fields: &[String]) -> Result<AttachLimit, String> {
    if fields.len() != LIMIT_HEADER.len() {
        return Err(format!(
            "{} fields, expected {}",
            fields.len(),
            LIMIT_HEADER.len()
        ));
    }
    let whole = |column: &str, text: &str| -> Result<u32, String> {
        let v = parse_number(column, text)?;
        if v.fract() != 0.0 || v < 1.0 || v > f64::from(u32::MAX) {
            return Err(format!("{column}: {text:?} is not a whole number >= 1"));
        }
        Ok(v as u32)
    };
    let zones = match fields[5].trim() {
        "" | "all" => LimitZones::All,
        z => match z.strip_prefix("all except ") {
            Some(rest) => LimitZones::Except(split_zones(rest)),
            None => LimitZones::Only(split_zones(z)),
        },
    };
    Ok(AttachLimit {
        accelerator_type: fields[0].clone(),
        gpu_count: whole("gpu_count", &fields[2])?,
        max_vcpus: whole("max_vcpus", &fields[3])?,
        max_memory_gib: parse_optional("max_memory_gib", &fields[4])?,
        zones,
    })
}

/// Parses a whole `gcp-accelerators.csv` text (header checked); errors name
/// the line.
pub fn parse_attach_csv(text: &str) -> Result<Vec<AttachPrice>, String> {
    parse_table(text, &ATTACH_HEADER, parse_attach)
}

/// Parses a whole `gcp-n1-limits.csv` text (header checked); errors name
/// the line.
pub fn parse_limits_csv(text: &str) -> Result<Vec<AttachLimit>, String> {
    parse_table(text, &LIMIT_HEADER, parse_limit)
}

fn parse_table<T>(
    text: &str,
    header: &[&str],
    parse: fn(&[String]) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let records = parse_csv(text)?;
    let Some(((line, first), rest)) = records.split_first() else {
        return Err("empty CSV".to_string());
    };
    check_header(first, header).map_err(|e| format!("line {line}: {e}"))?;
    rest.iter()
        .map(|(line, fields)| parse(fields).map_err(|e| format!("line {line}: {e}")))
        .collect()
}

/// Whether a machine of `family` without a GPU of its own takes attached
/// GPUs (the caller checks the provider is GCP): GCP's N1 machine types.
pub fn is_attach_host_family(family: &str) -> bool {
    family.starts_with("n1-")
}

/// Whether `limits` allow `count` × `accelerator_type` on a machine with
/// `vcpus` and `memory_gib` in `zone`.
pub fn attach_allows(
    limits: &[AttachLimit],
    vcpus: u32,
    memory_gib: Option<f64>,
    accelerator_type: &str,
    count: u32,
    zone: &str,
) -> bool {
    limits.iter().any(|l| {
        l.accelerator_type == accelerator_type
            && l.gpu_count == count
            && l.zones.covers(zone)
            && vcpus <= l.max_vcpus
            && l.max_memory_gib
                .is_none_or(|m| memory_gib.is_some_and(|h| h <= m + 1e-9))
    })
}

/// One (accelerator type, count) a machine may carry, with its GPU's model
/// and memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttachKind<'t> {
    /// The provider's accelerator type, e.g. `nvidia-tesla-t4`.
    pub accelerator_type: &'t str,
    /// Normalised catalogue model, e.g. `t4`.
    pub gpu_model: &'t str,
    /// Memory of one GPU, GiB.
    pub gpu_memory_gib: Option<f64>,
    /// GPUs attached.
    pub count: u32,
}

/// The distinct (accelerator type, count) combinations `limits` allow for a
/// priced accelerator type, sorted by (type, count).
pub fn attach_kinds<'t>(
    prices: &'t [AttachPrice],
    limits: &'t [AttachLimit],
) -> Vec<AttachKind<'t>> {
    let mut out: Vec<AttachKind<'t>> = Vec::new();
    for l in limits {
        let Some(p) = prices
            .iter()
            .find(|p| p.accelerator_type == l.accelerator_type)
        else {
            continue;
        };
        if !out
            .iter()
            .any(|o| (o.accelerator_type, o.count) == (p.accelerator_type.as_str(), l.gpu_count))
        {
            out.push(AttachKind {
                accelerator_type: &p.accelerator_type,
                gpu_model: &p.gpu_model,
                gpu_memory_gib: p.gpu_memory_gib,
                count: l.gpu_count,
            });
        }
    }
    out.sort_by(|a, b| (a.accelerator_type, a.count).cmp(&(b.accelerator_type, b.count)));
    out
}

/// A price of an attached combination in one of its host's regions:
/// (position in the host's offers, on-demand, spot).
pub type VariantOffer = (usize, f64, Option<f64>);

/// The attached combinations of a host machine (`vcpus`, `memory_gib`;
/// the caller checks it is a host) given its offers as (region code,
/// on-demand, spot), in the host's offer order. A combination is offered in
/// a region where the host is priced and some zone sells the GPU and allows
/// the combination; the GPU price is the cheapest such zone's, and a price
/// is machine + count × GPU rounded to micro-dollars (spot likewise, when
/// both are known). Kinds come from [`attach_kinds`]; combinations without
/// any offer are left out.
///
/// Shared by `build.rs` (the embedded snapshot carries the combinations)
/// and the crate (refreshed caches).
pub fn attach_variants<'t>(
    kinds: &[AttachKind<'t>],
    prices: &'t [AttachPrice],
    limits: &[AttachLimit],
    vcpus: u32,
    memory_gib: Option<f64>,
    host_offers: &[(&str, f64, Option<f64>)],
) -> Vec<(AttachKind<'t>, Vec<VariantOffer>)> {
    let mut out = Vec::new();
    for kind in kinds {
        // This GPU's zones that allow the host with `count` of it.
        let zones: Vec<&AttachPrice> = prices
            .iter()
            .filter(|p| p.accelerator_type == kind.accelerator_type)
            .filter(|p| {
                attach_allows(
                    limits,
                    vcpus,
                    memory_gib,
                    kind.accelerator_type,
                    kind.count,
                    &p.zone,
                )
            })
            .collect();
        if zones.is_empty() {
            continue;
        }
        let mut offers = Vec::new();
        for (at, &(region, price, spot)) in host_offers.iter().enumerate() {
            if price <= 0.0 {
                continue;
            }
            let best = zones
                .iter()
                .filter(|p| p.region == region)
                .min_by(|a, b| a.price_hourly_usd.total_cmp(&b.price_hourly_usd));
            if let Some(p) = best {
                let n = f64::from(kind.count);
                let total = round6(price + n * p.price_hourly_usd);
                let spot = match (spot, p.spot_price_hourly_usd) {
                    (Some(h), Some(g)) => Some(round6(h + n * g)),
                    _ => None,
                };
                offers.push((at, total, spot));
            }
        }
        if !offers.is_empty() {
            out.push((*kind, offers));
        }
    }
    out
}

/// Rounds a price to micro-dollars (the catalogue's precision), so sums do
/// not carry binary noise such as `0.7100000000000001`.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// One parsed `regions.csv` record.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRegion {
    /// `provider` column.
    pub provider: String,
    /// `region` column (the provider's region code).
    pub region: String,
    /// `display_name`, `None` when empty.
    pub display_name: Option<String>,
    /// `zones`, split on `;`.
    pub zones: Vec<String>,
}

/// Parses one `regions.csv` record.
pub fn parse_region(fields: &[String]) -> Result<CsvRegion, String> {
    if fields.len() != REGION_HEADER.len() {
        return Err(format!(
            "{} fields, expected {}",
            fields.len(),
            REGION_HEADER.len()
        ));
    }
    if fields[0].is_empty() || fields[1].is_empty() {
        return Err("provider or region is empty".to_string());
    }
    Ok(CsvRegion {
        provider: fields[0].clone(),
        region: fields[1].clone(),
        display_name: (!fields[2].is_empty()).then(|| fields[2].clone()),
        zones: fields[3]
            .split(';')
            .filter(|z| !z.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// The price in whole micro-dollars, if that representation decodes back to
/// exactly `price` (at most 6 decimals and below $4,294/h).
#[allow(dead_code)] // used by build.rs
pub fn to_micros(price: f64) -> Option<u32> {
    let micros = (price * MICROS_PER_USD).round();
    if !(0.0..f64::from(NONE_U32)).contains(&micros) {
        return None;
    }
    let micros = micros as u32;
    (f64::from(micros) / MICROS_PER_USD == price).then_some(micros)
}

/// Escapes one CSV field (quotes it when it holds a comma, quote or newline).
pub fn csv_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Writes an `f64` the way the seed CSVs do (shortest form, no `.0`).
pub fn csv_number(out: &mut String, value: f64) {
    let _ = write!(out, "{value}");
}

/// Builds the blob: interns strings and appends fixed-width records.
#[allow(dead_code)] // used by build.rs
#[derive(Default)]
pub struct BlobWriter {
    strings: Vec<String>,
    string_index: std::collections::HashMap<String, u32>,
    regions: Vec<u8>,
    n_regions: u32,
    instances: Vec<u8>,
    n_instances: u32,
    offers: Vec<u8>,
    n_offers: u32,
}

#[allow(dead_code)] // used by build.rs
impl BlobWriter {
    /// Interns `s` and returns its index.
    pub fn string(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.string_index.get(s) {
            return i;
        }
        let i = u32::try_from(self.strings.len()).expect("too many strings");
        self.strings.push(s.to_string());
        self.string_index.insert(s.to_string(), i);
        i
    }

    fn opt_string(&mut self, s: Option<&str>) -> u32 {
        s.map_or(NONE_U32, |s| self.string(s))
    }

    /// Appends a region; returns its index for `offer`.
    pub fn region(
        &mut self,
        provider: u8,
        code: &str,
        display_name: Option<&str>,
        zones: &str,
    ) -> u16 {
        let code = self.string(code);
        let display = self.opt_string(display_name);
        let zones = self.string(zones);
        self.regions.extend_from_slice(&[provider, 0, 0, 0]);
        self.regions.extend_from_slice(&code.to_le_bytes());
        self.regions.extend_from_slice(&display.to_le_bytes());
        self.regions.extend_from_slice(&zones.to_le_bytes());
        let index = u16::try_from(self.n_regions).expect("too many regions");
        assert!(index != u16::MAX, "too many regions");
        self.n_regions += 1;
        index
    }

    /// Appends an instance type whose `offer_count` offers follow with `offer`.
    #[allow(clippy::too_many_arguments)]
    pub fn instance(
        &mut self,
        provider: u8,
        name: &str,
        family: &str,
        vcpus: u32,
        memory_gib: Option<f64>,
        gpu_model: Option<&str>,
        gpu_count: Option<f64>,
        gpu_memory_gib: Option<f64>,
        accelerator: Option<(&str, u32)>,
        offer_count: u32,
    ) {
        let name = self.string(name);
        let family = self.string(family);
        let gpu_model = self.opt_string(gpu_model);
        let (acc_type, acc_count) = accelerator.map_or((NONE_U32, 0), |(t, n)| (self.string(t), n));
        let b = &mut self.instances;
        b.extend_from_slice(&[provider, 0, 0, 0]);
        b.extend_from_slice(&name.to_le_bytes());
        b.extend_from_slice(&family.to_le_bytes());
        b.extend_from_slice(&vcpus.to_le_bytes());
        b.extend_from_slice(&memory_gib.unwrap_or(f64::NAN).to_le_bytes());
        b.extend_from_slice(&gpu_model.to_le_bytes());
        b.extend_from_slice(&offer_count.to_le_bytes());
        b.extend_from_slice(&gpu_count.unwrap_or(f64::NAN).to_le_bytes());
        b.extend_from_slice(&gpu_memory_gib.unwrap_or(f64::NAN).to_le_bytes());
        b.extend_from_slice(&acc_type.to_le_bytes());
        b.extend_from_slice(&acc_count.to_le_bytes());
        self.n_instances += 1;
    }

    /// Appends an offer of the last instance; `None` prices must not occur for
    /// the on-demand price (check with `to_micros` first).
    pub fn offer(&mut self, region: u16, price_micros: u32, spot_micros: Option<u32>) {
        self.offers.extend_from_slice(&region.to_le_bytes());
        self.offers.extend_from_slice(&price_micros.to_le_bytes());
        self.offers
            .extend_from_slice(&spot_micros.unwrap_or(NONE_U32).to_le_bytes());
        self.n_offers += 1;
    }

    /// The finished blob.
    pub fn finish(self) -> Vec<u8> {
        let string_bytes: usize = self.strings.iter().map(String::len).sum();
        let mut out = Vec::with_capacity(
            HEADER_SIZE
                + 4 * (self.strings.len() + 1)
                + string_bytes
                + self.regions.len()
                + self.instances.len()
                + self.offers.len(),
        );
        out.extend_from_slice(MAGIC);
        let n_strings = u32::try_from(self.strings.len()).expect("too many strings");
        let n_bytes = u32::try_from(string_bytes).expect("string table too large");
        for n in [
            n_strings,
            n_bytes,
            self.n_regions,
            self.n_instances,
            self.n_offers,
        ] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        let mut offset = 0u32;
        out.extend_from_slice(&offset.to_le_bytes());
        for s in &self.strings {
            offset += s.len() as u32;
            out.extend_from_slice(&offset.to_le_bytes());
        }
        for s in &self.strings {
            out.extend_from_slice(s.as_bytes());
        }
        out.extend_from_slice(&self.regions);
        out.extend_from_slice(&self.instances);
        out.extend_from_slice(&self.offers);
        out
    }
}
