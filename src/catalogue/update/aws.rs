//! AWS: the unauthenticated Price List bulk offer files.
//!
//! Chain: `/offers/v1.0/aws/index.json` (service index) →
//! `offers.AmazonEC2.currentRegionIndexUrl` (region index) →
//! `regions.<code>.currentVersionUrl` (one offer file per region). Relative
//! URLs are joined to the configured host.
//!
//! A region's offer file is hundreds of MB, so it is **stream-parsed** as
//! JSON with a serde visitor: `products` are filtered while they are read
//! (only the Linux, shared-tenancy, no pre-installed software, used-capacity,
//! no-licence-required compute instances are kept, a few fields each), then
//! `terms.OnDemand` is read keeping only the terms of kept SKUs; everything
//! else (`terms.Reserved`, other products) is skipped without being built.
//! Memory stays proportional to the kept products, not the file. JSON rather
//! than the CSV form because the region index points at the JSON file and
//! its shape is the documented one; the CSV's columns are looser. (If terms
//! come before products, all on-demand hourly prices are kept by SKU until
//! the products arrive.)
//!
//! The offer files carry no spot prices: a refreshed row keeps the spot
//! price of the previous data for the same type and region, when there was
//! one. Instance types the embedded catalogue knows keep its specs; new ones
//! take vCPU, memory and GPU count from the offer attributes and the GPU
//! model (and per-GPU memory) of their family from the embedded catalogue
//! when the family has a single one, else the model stays unknown.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::{BufReader, Read};

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::http::{FetchError, json_failure};
use super::{Ctx, Endpoint, Fetched, collect_all, default_regions, par_map};
use crate::catalogue::{Catalogue, Provider, Region, Row};

/// The public host of the offer files.
pub const DEFAULT_BASE: &str = "https://pricing.us-east-1.amazonaws.com";

const SERVICE_INDEX: &str = "/offers/v1.0/aws/index.json";

/// The offer file host of an override: a trailing service-index path is
/// dropped, so both `http://host` and `http://host/offers/v1.0/aws/index.json`
/// work.
fn base(endpoint: &Endpoint) -> Endpoint {
    Endpoint {
        url: endpoint
            .url
            .strip_suffix(SERVICE_INDEX)
            .unwrap_or(&endpoint.url)
            .trim_end_matches('/')
            .to_string(),
        overridden: endpoint.overridden,
    }
}

#[derive(Deserialize)]
struct ServiceIndex {
    #[serde(default)]
    offers: HashMap<String, ServiceOffer>,
}

#[derive(Deserialize)]
struct ServiceOffer {
    #[serde(rename = "currentRegionIndexUrl", default)]
    current_region_index_url: Option<String>,
}

#[derive(Deserialize)]
struct RegionIndex {
    #[serde(default)]
    regions: HashMap<String, RegionEntry>,
}

#[derive(Deserialize)]
struct RegionEntry {
    #[serde(rename = "currentVersionUrl", default)]
    current_version_url: Option<String>,
}

/// Fetches on-demand prices of the requested (or default) regions.
pub fn fetch(ctx: &Ctx, endpoint: &Endpoint) -> Result<Fetched, FetchError> {
    let endpoint = base(endpoint);
    let index_url = endpoint.resolve(SERVICE_INDEX, false);
    let task = ctx.progress.task("aws index");
    let index: ServiceIndex = ctx.http.get_json(&index_url, &[], &task)?;
    let region_index_url = index
        .offers
        .get("AmazonEC2")
        .and_then(|o| o.current_region_index_url.as_deref())
        .ok_or_else(|| {
            FetchError::content(
                &index_url,
                "the service index has no offers.AmazonEC2.currentRegionIndexUrl",
            )
        })?;
    let region_index_url = endpoint.resolve(region_index_url, false);
    let region_index: RegionIndex = ctx.http.get_json(&region_index_url, &[], &task)?;
    task.finish("service and region indexes");

    let wanted: Vec<String> = match ctx.regions {
        Some(r) => r.to_vec(),
        None => default_regions(Provider::Aws, ctx.embedded, ctx.previous),
    };
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for code in &wanted {
        match region_index
            .regions
            .get(code)
            .and_then(|r| r.current_version_url.as_deref())
        {
            Some(url) => files.push((code.clone(), endpoint.resolve(url, false))),
            None => missing.push(code.clone()),
        }
    }
    if ctx.regions.is_some() && !missing.is_empty() {
        return Err(FetchError::content(
            &region_index_url,
            format!(
                "the region index has no offer file for {}",
                missing.join(", ")
            ),
        ));
    }
    if files.is_empty() {
        return Err(FetchError::content(
            &region_index_url,
            "the region index lists none of the catalogue's AWS regions",
        ));
    }

    let results = par_map(&files, ctx.jobs, |(code, url)| {
        let task = ctx.progress.task(&format!("aws {code}"));
        let r = ctx.http.get_with(url, &[], &task, |reader, url| {
            parse_offer_file(reader, code).map_err(|e| match e {
                OfferError::Json(e) => json_failure(url, e),
                OfferError::Content(m) => FetchError::content(url, m),
            })
        });
        match &r {
            Ok(o) => task.finish(&super::plural(o.len(), "instance type")),
            Err(_) => task.abandon(),
        }
        r.map(|o| (code.clone(), o))
    });
    let per_region = collect_all(results)?;

    let specs = Specs::new(ctx.embedded);
    let spot: HashMap<(&str, &str), f64> = ctx
        .previous
        .iter()
        .filter_map(|r| {
            r.spot_price_hourly_usd
                .map(|s| ((r.instance_type.as_str(), r.region.as_str()), s))
        })
        .collect();
    let mut out = Fetched::default();
    let mut unspecified = 0usize;
    let mut new_types = HashSet::new();
    for (code, offers) in per_region {
        out.fetched_regions.push(code.clone());
        if let Some(loc) = offers.iter().find_map(|o| o.location.clone())
            && ctx.embedded.region(Provider::Aws, &code).is_none()
        {
            out.regions.push(Region {
                provider: Provider::Aws,
                code: code.clone(),
                display_name: Some(loc),
                zones: Vec::new(),
            });
        }
        for o in offers {
            let Some(mut row) = specs.row(&o, &code) else {
                unspecified += 1;
                continue;
            };
            if ctx
                .embedded
                .instance(Provider::Aws, &o.instance_type)
                .is_none()
            {
                new_types.insert(o.instance_type.clone());
            }
            row.spot_price_hourly_usd = spot
                .get(&(row.instance_type.as_str(), code.as_str()))
                .copied();
            out.rows.push(row);
        }
    }
    if !missing.is_empty() {
        out.notes.push(format!(
            "{} of the catalogue not in the AWS region index, so without rows now: {}",
            super::plural(missing.len(), "region"),
            super::sample(&missing, 6)
        ));
    }
    if !new_types.is_empty() {
        out.notes.push(format!(
            "{} not in the embedded catalogue added with the offer files' specs",
            super::plural(new_types.len(), "instance type")
        ));
    }
    if unspecified > 0 {
        out.notes.push(format!(
            "{unspecified} offers without a usable vCPU count were skipped"
        ));
    }
    if out.rows.iter().any(|r| r.spot_price_hourly_usd.is_some()) {
        out.notes.push(
            "spot prices are not in the offer files; the previous spot prices are kept".to_string(),
        );
    }
    Ok(out)
}

/// Specs for rows: the embedded catalogue's, else the offer's attributes.
struct Specs<'a> {
    embedded: &'a Catalogue,
    /// Family → (GPU model, per-GPU memory when unique in the family).
    family_gpu: HashMap<String, (String, Option<f64>)>,
}

impl<'a> Specs<'a> {
    fn new(embedded: &'a Catalogue) -> Specs<'a> {
        let mut models: BTreeMap<&str, Vec<(&str, Option<f64>)>> = BTreeMap::new();
        for i in embedded.instance_types(Provider::Aws) {
            models
                .entry(i.family.as_str())
                .or_default()
                .push((i.gpu_model.as_deref().unwrap_or(""), i.gpu_memory_gib));
        }
        let family_gpu = models
            .into_iter()
            .filter_map(|(fam, list)| {
                let (model, mem) = list[0];
                let one_model = !model.is_empty() && list.iter().all(|(m, _)| *m == model);
                let one_mem = list.iter().all(|(_, g)| *g == mem);
                one_model.then(|| {
                    (
                        fam.to_string(),
                        (model.to_string(), mem.filter(|_| one_mem)),
                    )
                })
            })
            .collect();
        Specs {
            embedded,
            family_gpu,
        }
    }

    fn row(&self, o: &OnDemand, region: &str) -> Option<Row> {
        if let Some(i) = self.embedded.instance(Provider::Aws, &o.instance_type) {
            return Some(Row {
                provider: Provider::Aws,
                instance_type: i.name.clone(),
                family: i.family.clone(),
                vcpus: i.vcpus,
                memory_gib: i.memory_gib,
                gpu_model: i.gpu_model.clone(),
                gpu_count: i.gpu_count,
                gpu_memory_gib: i.gpu_memory_gib,
                region: region.to_string(),
                price_hourly_usd: o.price,
                spot_price_hourly_usd: None,
                accelerator: None,
            });
        }
        let vcpus = o.vcpu.as_deref().and_then(parse_number)?;
        if vcpus < 1.0 {
            return None;
        }
        let family = o
            .instance_type
            .split('.')
            .next()
            .unwrap_or(&o.instance_type)
            .to_string();
        let gpu_count = o.gpu.as_deref().and_then(parse_number).filter(|n| *n > 0.0);
        let (gpu_model, fam_mem) = match (gpu_count, self.family_gpu.get(&family)) {
            (Some(_), Some((m, mem))) => (Some(m.clone()), *mem),
            _ => (None, None),
        };
        let gpu_memory_gib = gpu_count.and_then(|n| {
            fam_mem.or_else(|| {
                o.gpu_memory
                    .as_deref()
                    .and_then(parse_number)
                    .filter(|m| *m > 0.0)
                    .map(|total| round3(total / n.max(1.0)))
            })
        });
        Some(Row {
            provider: Provider::Aws,
            instance_type: o.instance_type.clone(),
            family,
            vcpus: vcpus.ceil() as u32,
            memory_gib: o.memory.as_deref().and_then(parse_number),
            gpu_model,
            gpu_count,
            gpu_memory_gib,
            region: region.to_string(),
            price_hourly_usd: o.price,
            spot_price_hourly_usd: None,
            accelerator: None,
        })
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The number at the start of `16 GiB`, `1,952 GiB`, `4`, `0.5 GiB`.
fn parse_number(s: &str) -> Option<f64> {
    let t: String = s
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// One instance type's on-demand Linux price in one region file.
#[derive(Debug, Clone, PartialEq)]
pub struct OnDemand {
    /// `attributes.instanceType`.
    pub instance_type: String,
    /// USD per hour.
    pub price: f64,
    /// `attributes.vcpu`.
    pub vcpu: Option<String>,
    /// `attributes.memory`, e.g. `16 GiB`.
    pub memory: Option<String>,
    /// `attributes.gpu`.
    pub gpu: Option<String>,
    /// `attributes.gpuMemory` (all GPUs).
    pub gpu_memory: Option<String>,
    /// `attributes.location`.
    pub location: Option<String>,
}

/// Why an offer file could not be parsed.
#[derive(Debug)]
pub enum OfferError {
    /// Not JSON, or a read failure underneath.
    Json(serde_json::Error),
    /// JSON, but not an offer file.
    Content(String),
}

impl fmt::Display for OfferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OfferError::Json(e) => write!(f, "{e}"),
            OfferError::Content(m) => f.write_str(m),
        }
    }
}

/// Stream-parses one region's offer file: the on-demand hourly Linux price
/// of each instance type of `region`, sorted by instance type.
pub fn parse_offer_file(reader: &mut dyn Read, region: &str) -> Result<Vec<OnDemand>, OfferError> {
    let mut state = OfferState {
        region,
        products: HashMap::new(),
        products_seen: false,
        terms_seen: false,
        prices: HashMap::new(),
    };
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, reader));
    (&mut state)
        .deserialize(&mut de)
        .map_err(OfferError::Json)?;
    de.end().map_err(OfferError::Json)?;
    if !state.products_seen {
        return Err(OfferError::Content(
            "not an offer file: no `products` object".to_string(),
        ));
    }
    if !state.terms_seen {
        return Err(OfferError::Content(
            "not an offer file: no `terms` object".to_string(),
        ));
    }
    // One product per instance type: the plain `RunInstances` operation
    // first, then document order (SKU order as a last resort).
    let mut by_type: BTreeMap<String, (u8, String, Product)> = BTreeMap::new();
    for (sku, p) in state.products {
        if !state.prices.contains_key(&sku) {
            continue;
        }
        let rank = u8::from(p.operation.as_deref().is_some_and(|o| o != "RunInstances"));
        let better = match by_type.get(&p.instance_type) {
            None => true,
            Some((r, s, _)) => (rank, &sku) < (*r, s),
        };
        if better {
            by_type.insert(p.instance_type.clone(), (rank, sku, p));
        }
    }
    Ok(by_type
        .into_values()
        .filter_map(|(_, sku, p)| {
            let price = state.prices.get(&sku).copied()?;
            Some(OnDemand {
                instance_type: p.instance_type,
                price,
                vcpu: p.vcpu,
                memory: p.memory,
                gpu: p.gpu,
                gpu_memory: p.gpu_memory,
                location: p.location,
            })
        })
        .collect())
}

/// A kept product.
struct Product {
    instance_type: String,
    operation: Option<String>,
    vcpu: Option<String>,
    memory: Option<String>,
    gpu: Option<String>,
    gpu_memory: Option<String>,
    location: Option<String>,
}

struct OfferState<'r> {
    region: &'r str,
    products: HashMap<String, Product>,
    products_seen: bool,
    terms_seen: bool,
    /// SKU → on-demand USD per hour.
    prices: HashMap<String, f64>,
}

/// Accepts a string, number or boolean as text; anything else as `None`.
fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

#[derive(Deserialize)]
struct RawProduct {
    #[serde(rename = "productFamily", default, deserialize_with = "lenient")]
    product_family: Option<String>,
    #[serde(default)]
    attributes: RawAttributes,
}

#[derive(Deserialize, Default)]
struct RawAttributes {
    #[serde(rename = "instanceType", default, deserialize_with = "lenient")]
    instance_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    vcpu: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    memory: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    gpu: Option<String>,
    #[serde(rename = "gpuMemory", default, deserialize_with = "lenient")]
    gpu_memory: Option<String>,
    #[serde(rename = "regionCode", default, deserialize_with = "lenient")]
    region_code: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    location: Option<String>,
    #[serde(rename = "locationType", default, deserialize_with = "lenient")]
    location_type: Option<String>,
    #[serde(rename = "operatingSystem", default, deserialize_with = "lenient")]
    operating_system: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    tenancy: Option<String>,
    #[serde(rename = "preInstalledSw", default, deserialize_with = "lenient")]
    pre_installed_sw: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    capacitystatus: Option<String>,
    #[serde(rename = "licenseModel", default, deserialize_with = "lenient")]
    license_model: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    marketoption: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    operation: Option<String>,
}

impl RawProduct {
    /// The documented filter for the one Linux on-demand list price:
    /// compute instance (bare metal included), Linux, shared tenancy, no
    /// pre-installed software, used capacity, no licence required; plus, when
    /// the attributes are present: on-demand market, this region (no Local
    /// Zones), and the plain Linux `RunInstances` operation.
    fn keep(self, region: &str) -> Option<Product> {
        let a = self.attributes;
        let is = |v: &Option<String>, want: &str| v.as_deref() == Some(want);
        let absent_or = |v: &Option<String>, want: &str| v.as_deref().is_none_or(|x| x == want);
        let family_ok = matches!(
            self.product_family.as_deref(),
            Some("Compute Instance" | "Compute Instance (bare metal)")
        );
        let ok = family_ok
            && is(&a.operating_system, "Linux")
            && is(&a.tenancy, "Shared")
            && is(&a.pre_installed_sw, "NA")
            && is(&a.capacitystatus, "Used")
            && is(&a.license_model, "No License required")
            && absent_or(&a.marketoption, "OnDemand")
            && absent_or(&a.region_code, region)
            && absent_or(&a.location_type, "AWS Region")
            && a.operation
                .as_deref()
                .is_none_or(|o| o.starts_with("RunInstances"))
            && a.instance_type.as_deref().is_some_and(|t| !t.is_empty());
        ok.then(|| Product {
            instance_type: a.instance_type.unwrap_or_default(),
            operation: a.operation,
            vcpu: a.vcpu,
            memory: a.memory,
            gpu: a.gpu,
            gpu_memory: a.gpu_memory,
            location: a.location,
        })
    }
}

#[derive(Deserialize)]
struct RawTerm {
    #[serde(rename = "priceDimensions", default)]
    price_dimensions: IndexMap<String, RawDimension>,
}

#[derive(Deserialize)]
struct RawDimension {
    #[serde(default, deserialize_with = "lenient")]
    unit: Option<String>,
    #[serde(rename = "pricePerUnit", default)]
    price_per_unit: HashMap<String, serde_json::Value>,
}

/// The hourly USD price of an SKU's on-demand terms: the first `Hrs`
/// dimension with a positive USD price, in document order.
fn hourly(terms: IndexMap<String, RawTerm>) -> Option<f64> {
    terms
        .into_values()
        .flat_map(|t| t.price_dimensions.into_values())
        .filter(|d| {
            d.unit
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case("Hrs"))
        })
        .filter_map(|d| match d.price_per_unit.get("USD")? {
            serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
            serde_json::Value::Number(n) => n.as_f64(),
            _ => None,
        })
        .find(|p| p.is_finite() && *p > 0.0)
}

impl<'de> DeserializeSeed<'de> for &mut OfferState<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut OfferState<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an offer file object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "products" => {
                    map.next_value_seed(Products(&mut *self))?;
                    self.products_seen = true;
                }
                "terms" => {
                    map.next_value_seed(Terms(&mut *self))?;
                    self.terms_seen = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Products<'a, 'r>(&'a mut OfferState<'r>);

impl<'de> DeserializeSeed<'de> for Products<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Products<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the products object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(sku) = map.next_key::<String>()? {
            let raw: RawProduct = map.next_value()?;
            if let Some(p) = raw.keep(self.0.region) {
                self.0.products.insert(sku, p);
            }
        }
        // Terms read before the products kept every SKU's price: drop the rest.
        if self.0.terms_seen {
            let products = &self.0.products;
            self.0.prices.retain(|sku, _| products.contains_key(sku));
        }
        Ok(())
    }
}

struct Terms<'a, 'r>(&'a mut OfferState<'r>);

impl<'de> DeserializeSeed<'de> for Terms<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Terms<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the terms object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(kind) = map.next_key::<String>()? {
            if kind == "OnDemand" {
                map.next_value_seed(OnDemandTerms(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct OnDemandTerms<'a, 'r>(&'a mut OfferState<'r>);

impl<'de> DeserializeSeed<'de> for OnDemandTerms<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OnDemandTerms<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the OnDemand terms object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(sku) = map.next_key::<String>()? {
            let wanted = !self.0.products_seen || self.0.products.contains_key(&sku);
            if wanted {
                let terms: IndexMap<String, RawTerm> = map.next_value()?;
                if let Some(p) = hourly(terms) {
                    self.0.prices.insert(sku, p);
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(sku: &str, ty: &str, extra: &[(&str, &str)]) -> String {
        let mut attrs = serde_json::json!({
            "instanceType": ty, "vcpu": "4", "memory": "16 GiB", "gpu": "1",
            "gpuMemory": "24 GB", "regionCode": "us-east-1", "location": "US East (N. Virginia)",
            "operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA",
            "capacitystatus": "Used", "licenseModel": "No License required",
            "marketoption": "OnDemand"
        });
        for (k, v) in extra {
            attrs[*k] = serde_json::Value::String(v.to_string());
        }
        serde_json::json!({"sku": sku, "productFamily": "Compute Instance", "attributes": attrs})
            .to_string()
    }

    fn term(sku: &str, price: &str) -> String {
        format!(
            r#""{sku}": {{"{sku}.T": {{"offerTermCode": "T", "sku": "{sku}", "priceDimensions": {{"{sku}.T.R": {{"unit": "Hrs", "pricePerUnit": {{"USD": "{price}"}}}}}}, "termAttributes": {{}}}}}}"#
        )
    }

    #[test]
    fn keeps_only_the_linux_on_demand_price() {
        let products = [
            ("A", product("A", "g5.xlarge", &[])),
            (
                "W",
                product("W", "g5.xlarge", &[("operatingSystem", "Windows")]),
            ),
            ("D", product("D", "g5.xlarge", &[("tenancy", "Dedicated")])),
            (
                "S",
                product("S", "g5.xlarge", &[("preInstalledSw", "SQL Std")]),
            ),
            (
                "U",
                product(
                    "U",
                    "g5.xlarge",
                    &[("capacitystatus", "UnusedCapacityReservation")],
                ),
            ),
            (
                "B",
                product(
                    "B",
                    "g5.xlarge",
                    &[("licenseModel", "Bring your own license")],
                ),
            ),
            (
                "L",
                product("L", "g5.xlarge", &[("regionCode", "us-east-1-atl-1")]),
            ),
        ];
        let body = format!(
            r#"{{"formatVersion": "v1.0", "products": {{{}}}, "terms": {{"OnDemand": {{{}}}, "Reserved": {{{}}}}}}}"#,
            products
                .iter()
                .map(|(s, p)| format!("\"{s}\": {p}"))
                .collect::<Vec<_>>()
                .join(","),
            products
                .iter()
                .enumerate()
                .map(|(i, (s, _))| term(s, &format!("{}.5", i + 1)))
                .collect::<Vec<_>>()
                .join(","),
            term("A", "0.3"),
        );
        let got = parse_offer_file(&mut body.as_bytes(), "us-east-1").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].instance_type, "g5.xlarge");
        assert_eq!(got[0].price, 1.5);

        // Terms before products give the same answer.
        let flipped = format!(
            r#"{{"terms": {{"OnDemand": {{{}}}}}, "products": {{{}}}}}"#,
            term("A", "1.25"),
            format_args!("\"A\": {}", product("A", "g5.xlarge", &[])),
        );
        let got = parse_offer_file(&mut flipped.as_bytes(), "us-east-1").unwrap();
        assert_eq!(got[0].price, 1.25);
    }

    #[test]
    fn rejects_other_documents() {
        assert!(matches!(
            parse_offer_file(&mut &b"{\"regions\": {}}"[..], "x"),
            Err(OfferError::Content(_))
        ));
        assert!(matches!(
            parse_offer_file(&mut &b"{\"products\": {"[..], "x"),
            Err(OfferError::Json(_))
        ));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("16 GiB"), Some(16.0));
        assert_eq!(parse_number("1,952 GiB"), Some(1952.0));
        assert_eq!(parse_number("0.5 GiB"), Some(0.5));
        assert_eq!(parse_number("NA"), None);
    }
}
