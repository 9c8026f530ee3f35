//! GCP: the Cloud Billing Catalog API (API key in `GCP_API_KEY`).
//!
//! `GET {base}/v1/services/6F81-5844-456A/skus?key=…&currencyCode=USD&pageSize=5000`,
//! following `nextPageToken`. GCP prices resources, not machine types: a
//! machine type costs its series' core SKU × vCPUs + RAM SKU × GiB (+ its
//! GPU SKU × GPUs), per region (`serviceRegions`), on demand (`usageType`
//! `OnDemand`) and spot (`Preemptible`). Commitments are ignored.
//!
//! The SKU descriptions are matched exactly, after removing `Spot
//! Preemptible ` (spot core/RAM) or ` attached to Spot …` (spot GPU) and the
//! ` running in <place>` tail: `<series prefix> Core`, `<series prefix> Ram`,
//! a GPU name, or a flat per-instance SKU (f1-micro, g1-small). The series
//! table ([`SERIES`]) and GPU table ([`GPUS`]) cover the families of the
//! embedded catalogue.
//!
//! Machine shapes (vCPUs, GiB, GPUs) and which regions offer a machine type
//! come from the previous data (the embedded snapshot or the previous
//! cache): the billing API says what a resource costs in a region, not which
//! machine types exist there. Types the tables cannot price — local-SSD
//! bundles (`-lssd`, z3), or any component missing in a region — keep their
//! previous row, counted in the summary.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use super::http::{FetchError, encode_component};
use super::{Ctx, Endpoint, Fetched, previous_regions};
use crate::catalogue::Row;

/// The public API base.
pub const DEFAULT_BASE: &str = "https://cloudbilling.googleapis.com";

/// Compute Engine's service id.
pub const COMPUTE_SERVICE: &str = "6F81-5844-456A";

/// Most pages followed.
const MAX_PAGES: usize = 10_000;

/// Machine series → the prefix of its core and RAM SKU descriptions.
pub const SERIES: &[(&str, &str)] = &[
    ("a2", "A2 Instance"),
    ("a3", "A3 Instance"),
    ("c2", "Compute optimized"),
    ("c2d", "C2D AMD Instance"),
    ("c3", "C3 Instance"),
    ("c3d", "C3D Instance"),
    ("c4", "C4 Instance"),
    ("c4a", "C4A Arm Instance"),
    ("c4d", "C4D Instance"),
    ("c4n", "C4N Instance"),
    ("e2", "E2 Instance"),
    ("g2", "G2 Instance"),
    ("g4", "G4 Instance"),
    ("h3", "H3 Instance"),
    ("m1", "Memory-optimized Instance"),
    ("m2", "Memory-optimized Instance"),
    ("m3", "M3 Memory-optimized Instance"),
    ("m4", "M4 Instance"),
    ("n1", "N1 Predefined Instance"),
    ("n2", "N2 Instance"),
    ("n2d", "N2D AMD Instance"),
    ("n4", "N4 Instance"),
    ("n4a", "N4A Instance"),
    ("n4d", "N4D Instance"),
    ("t2a", "T2A Arm Instance"),
    ("t2d", "T2D AMD Instance"),
];

/// Machine types with their own core/RAM SKUs.
const TYPE_SERIES: &[(&str, &str)] = &[("m4-ultramem-224", "M4Ultramem224 Instance")];

/// M2 pays the memory-optimized price plus this upgrade premium (core and RAM).
const M2_PREMIUM: &str = "Memory Optimized Upgrade Premium for Memory-optimized Instance";

/// Flat per-instance SKUs (shared-core legacy types).
const FLAT: &[(&str, &str)] = &[
    ("f1-micro", "Micro Instance with burstable CPU"),
    ("g1-small", "Small Instance with 1 VCPU"),
];

/// Machine family → GPU SKU name (per GPU).
pub const GPUS: &[(&str, &str)] = &[
    ("a2-highgpu", "Nvidia Tesla A100 GPU"),
    ("a2-megagpu", "Nvidia Tesla A100 GPU"),
    ("a2-ultragpu", "Nvidia Tesla A100 80GB GPU"),
    ("a3-highgpu", "Nvidia H100 80GB GPU"),
    ("a3-edgegpu", "Nvidia H100 80GB GPU"),
    ("a3-megagpu", "Nvidia H100 80GB Mega GPU"),
    ("g2-standard", "Nvidia L4 GPU"),
    ("g4-standard", "RTX 6000 96GB"),
];

/// Attachable accelerator type → GPU SKU name (per GPU); the spot SKU is the
/// same name `attached to Spot Preemptible VMs`.
pub const ATTACHED_GPUS: &[(&str, &str)] = &[
    ("nvidia-tesla-p100", "Nvidia Tesla P100 GPU"),
    ("nvidia-tesla-p4", "Nvidia Tesla P4 GPU"),
    ("nvidia-tesla-t4", "Nvidia Tesla T4 GPU"),
    ("nvidia-tesla-v100", "Nvidia Tesla V100 GPU"),
];

/// vCPUs billed for the shared-core E2 types (a fraction of a core).
const SHARED_CORE: &[(&str, f64)] = &[("e2-micro", 0.25), ("e2-small", 0.5), ("e2-medium", 1.0)];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Core,
    Ram,
    /// A GPU or a flat per-instance SKU: priced per unit of `h`.
    Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Usage {
    OnDemand,
    Spot,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    skus: Option<Vec<Sku>>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sku {
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: Category,
    #[serde(default)]
    service_regions: Vec<String>,
    #[serde(default)]
    pricing_info: Vec<PricingInfo>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Category {
    #[serde(default)]
    resource_family: Option<String>,
    #[serde(default)]
    usage_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PricingInfo {
    #[serde(default)]
    pricing_expression: Option<PricingExpression>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PricingExpression {
    #[serde(default)]
    usage_unit: String,
    #[serde(default)]
    tiered_rates: Vec<TieredRate>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TieredRate {
    #[serde(default)]
    start_usage_amount: f64,
    unit_price: Money,
}

#[derive(Debug, Deserialize)]
struct Money {
    #[serde(default)]
    units: Option<serde_json::Value>,
    #[serde(default)]
    nanos: Option<i64>,
}

impl Money {
    fn usd(&self) -> Option<f64> {
        let units = match &self.units {
            None | Some(serde_json::Value::Null) => 0.0,
            Some(serde_json::Value::String(s)) => s.trim().parse::<i64>().ok()? as f64,
            Some(serde_json::Value::Number(n)) => n.as_f64()?,
            _ => return None,
        };
        Some(units + self.nanos.unwrap_or(0) as f64 / 1e9)
    }
}

/// What one SKU prices: (kind, name, usage) and its USD price per hour (per
/// GiB-hour for RAM).
fn classify(sku: &Sku) -> Option<(Kind, String, Usage, f64)> {
    if sku
        .category
        .resource_family
        .as_deref()
        .is_some_and(|f| f != "Compute")
    {
        return None;
    }
    let usage = match sku.category.usage_type.as_deref() {
        Some("OnDemand") => Usage::OnDemand,
        Some("Preemptible") => Usage::Spot,
        _ => return None,
    };
    let desc = sku.description.trim();
    let head = desc.split(" running in ").next()?;
    if head.len() == desc.len() {
        return None;
    }
    let head = match usage {
        Usage::Spot => match head.strip_prefix("Spot Preemptible ") {
            Some(h) => h,
            None => head.split(" attached to Spot").next()?,
        },
        Usage::OnDemand => head,
    };
    let (kind, name) = if let Some(n) = head.strip_suffix(" Core") {
        (Kind::Core, n)
    } else if let Some(n) = head.strip_suffix(" Ram") {
        (Kind::Ram, n)
    } else {
        (Kind::Unit, head)
    };
    let expr = sku
        .pricing_info
        .last()
        .and_then(|p| p.pricing_expression.as_ref())?;
    let per_unit = match (kind, expr.usage_unit.as_str()) {
        (Kind::Ram, "GiBy.h") => 1.0,
        (Kind::Ram, "GBy.h") => 1.073_741_824,
        (Kind::Core | Kind::Unit, "h") => 1.0,
        _ => return None,
    };
    let tier = expr
        .tiered_rates
        .iter()
        .max_by(|a, b| a.start_usage_amount.total_cmp(&b.start_usage_amount))?;
    let price = tier.unit_price.usd()? * per_unit;
    (price.is_finite() && price >= 0.0).then(|| (kind, name.to_string(), usage, price))
}

/// The SKU listing URL (without the page token).
fn skus_url(endpoint: &Endpoint, key: &str) -> String {
    let u = &endpoint.url;
    let base = if u.contains("/skus") {
        u.clone()
    } else if u.ends_with("/v1") {
        format!("{u}/services/{COMPUTE_SERVICE}/skus")
    } else {
        format!("{u}/v1/services/{COMPUTE_SERVICE}/skus")
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{sep}key={}&currencyCode=USD&pageSize=5000",
        encode_component(key)
    )
}

/// The components of a machine type: (kind, SKU name, quantity); `None`
/// when the tables cannot price it.
fn components(row: &Row) -> Option<Vec<(Kind, &'static str, f64)>> {
    let name = row.instance_type.as_str();
    if name.contains("lssd") {
        return None;
    }
    if let Some((_, flat)) = FLAT.iter().find(|(t, _)| *t == name) {
        return Some(vec![(Kind::Unit, flat, 1.0)]);
    }
    let series = name.split('-').next()?;
    let prefix = TYPE_SERIES
        .iter()
        .find(|(t, _)| *t == name)
        .or_else(|| SERIES.iter().find(|(s, _)| *s == series))
        .map(|(_, p)| *p)?;
    let vcpus = SHARED_CORE
        .iter()
        .find(|(t, _)| *t == name)
        .map_or(f64::from(row.vcpus), |(_, v)| *v);
    let mem = row.memory_gib?;
    let mut parts = vec![(Kind::Core, prefix, vcpus), (Kind::Ram, prefix, mem)];
    if series == "m2" {
        parts.push((Kind::Core, M2_PREMIUM, vcpus));
        parts.push((Kind::Ram, M2_PREMIUM, mem));
    }
    if let Some(count) = row.gpu_count.filter(|c| *c > 0.0) {
        let gpu = GPUS.iter().find(|(f, _)| *f == row.family)?.1;
        parts.push((Kind::Unit, gpu, count));
    }
    Some(parts)
}

/// Fetches the Compute Engine SKUs and prices the previous data's machine
/// types in their regions.
pub fn fetch(ctx: &Ctx, endpoint: &Endpoint, key: &str) -> Result<Fetched, FetchError> {
    let first = skus_url(endpoint, key);
    let task = ctx.progress.task("gcp skus");
    // (kind, name, usage, region) → (price, number of regions of the SKU).
    let mut prices: HashMap<(Kind, String, Usage, String), (f64, usize)> = HashMap::new();
    let mut token: Option<String> = None;
    let mut seen_tokens = BTreeSet::new();
    let mut pages = 0;
    let mut skus = 0usize;
    loop {
        let url = match &token {
            Some(t) => format!("{first}&pageToken={}", encode_component(t)),
            None => first.clone(),
        };
        if pages >= MAX_PAGES {
            task.abandon();
            return Err(FetchError::content(
                &url,
                format!("more than {MAX_PAGES} pages"),
            ));
        }
        let page: Page = match ctx.http.get_json(&url, &[], &task) {
            Ok(p) => p,
            Err(e) => {
                task.abandon();
                return Err(e);
            }
        };
        pages += 1;
        for sku in page.skus.unwrap_or_default() {
            skus += 1;
            let Some((kind, name, usage, price)) = classify(&sku) else {
                continue;
            };
            let n = sku.service_regions.len();
            for region in &sku.service_regions {
                let k = (kind, name.clone(), usage, region.clone());
                let better = prices.get(&k).is_none_or(|(_, m)| n < *m);
                if better {
                    prices.insert(k, (price, n));
                }
            }
        }
        match page.next_page_token.filter(|t| !t.is_empty()) {
            Some(t) => {
                if !seen_tokens.insert(t.clone()) {
                    task.abandon();
                    return Err(FetchError::content(
                        &url,
                        "nextPageToken repeats a page already read",
                    ));
                }
                token = Some(t);
            }
            None => break,
        }
    }
    task.finish(&format!(
        "{} in {}",
        super::plural(skus, "SKU"),
        super::plural(pages, "page")
    ));

    let scope: Option<BTreeSet<&str>> = ctx.regions.map(|r| r.iter().map(String::as_str).collect());
    let in_scope = |r: &str| scope.as_ref().is_none_or(|s| s.contains(r));
    let lookup = |kind: Kind, name: &str, usage: Usage, region: &str| {
        prices
            .get(&(kind, name.to_string(), usage, region.to_string()))
            .map(|(p, _)| *p)
    };
    let mut out = Fetched::default();
    let mut priced = 0usize;
    let mut fetched_regions = BTreeSet::new();
    for (_, rows) in previous_regions(ctx.previous) {
        for prev in rows {
            if !in_scope(&prev.region) {
                continue;
            }
            fetched_regions.insert(prev.region.clone());
            let parts = components(prev);
            let total = |usage: Usage| -> Option<f64> {
                parts.as_ref()?.iter().try_fold(0.0, |acc, (k, n, q)| {
                    Some(acc + lookup(*k, n, usage, &prev.region)? * q)
                })
            };
            match total(Usage::OnDemand) {
                Some(p) if p > 0.0 => {
                    priced += 1;
                    out.rows.push(Row {
                        price_hourly_usd: round6(p),
                        spot_price_hourly_usd: total(Usage::Spot).filter(|s| *s > 0.0).map(round6),
                        ..prev.clone()
                    });
                }
                _ => {
                    out.carried += 1;
                    out.rows.push(prev.clone());
                }
            }
        }
    }
    // Attached GPUs (N1 + T4/V100/P100/P4): each previous per-zone price is
    // repriced from its GPU SKU in the zone's region, or kept.
    let mut attach_priced = 0usize;
    for prev in ctx.previous_attach {
        let sku = ATTACHED_GPUS
            .iter()
            .find(|(t, _)| *t == prev.accelerator_type)
            .map(|(_, n)| *n);
        let fresh = sku
            .filter(|_| in_scope(&prev.region))
            .and_then(|n| lookup(Kind::Unit, n, Usage::OnDemand, &prev.region).map(|p| (n, p)));
        match fresh {
            Some((n, p)) if p > 0.0 => {
                attach_priced += 1;
                let mut a = prev.clone();
                a.price_hourly_usd = round6(p);
                a.spot_price_hourly_usd = lookup(Kind::Unit, n, Usage::Spot, &prev.region)
                    .filter(|s| *s > 0.0)
                    .map(round6);
                out.attach.push(a);
            }
            _ => out.attach.push(prev.clone()),
        }
    }
    if attach_priced < ctx.previous_attach.len() {
        out.notes.push(format!(
            "{} of {} attached-GPU zone prices could not be priced from the SKUs and keep their previous prices",
            super::count(ctx.previous_attach.len() - attach_priced),
            super::count(ctx.previous_attach.len())
        ));
    }
    if priced == 0 {
        return Err(FetchError::content(
            &first,
            "none of the catalogue's machine types could be priced: each needs its series' core and RAM SKUs (e.g. `G2 Instance Core running in …`) and, for GPU types, its GPU SKU, on demand, in one of its regions",
        ));
    }
    out.fetched_regions = fetched_regions.into_iter().collect();
    if out.carried > 0 {
        out.notes.push(format!(
            "{} rows could not be priced from the SKUs (local-SSD bundles, or a core/RAM/GPU SKU missing in the region) and keep their previous prices",
            super::count(out.carried)
        ));
    }
    Ok(out)
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sku(desc: &str, usage: &str, unit: &str, units: &str, nanos: i64) -> Sku {
        serde_json::from_value(serde_json::json!({
            "description": desc,
            "category": {"resourceFamily": "Compute", "resourceGroup": "CPU", "usageType": usage},
            "serviceRegions": ["us-central1"],
            "pricingInfo": [{"pricingExpression": {"usageUnit": unit, "tieredRates": [
                {"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": units, "nanos": nanos}}
            ]}}]
        }))
        .unwrap()
    }

    #[test]
    fn classifies_skus() {
        let c = |s: &Sku| classify(s).map(|(k, n, u, p)| (k, n, u, (p * 1e9).round() / 1e9));
        assert_eq!(
            c(&sku(
                "A2 Instance Core running in Americas",
                "OnDemand",
                "h",
                "0",
                31_611_000
            )),
            Some((Kind::Core, "A2 Instance".into(), Usage::OnDemand, 0.031611))
        );
        assert_eq!(
            c(&sku(
                "Spot Preemptible A2 Instance Ram running in Americas",
                "Preemptible",
                "GiBy.h",
                "0",
                1_000_000
            )),
            Some((Kind::Ram, "A2 Instance".into(), Usage::Spot, 0.001))
        );
        assert_eq!(
            c(&sku(
                "Nvidia Tesla A100 GPU attached to Spot Preemptible VMs running in Americas",
                "Preemptible",
                "h",
                "1",
                500_000_000
            )),
            Some((Kind::Unit, "Nvidia Tesla A100 GPU".into(), Usage::Spot, 1.5))
        );
        assert_eq!(
            c(&sku(
                "Commitment v1: A2 Cpu in Americas for 1 Year",
                "Commit1Yr",
                "h",
                "0",
                1
            )),
            None
        );
        assert_eq!(
            c(&sku(
                "A2 Instance Core running in Americas",
                "OnDemand",
                "mo",
                "0",
                1
            )),
            None
        );
    }
}
