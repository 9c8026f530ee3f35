//! Lambda Labs: `GET {base}/api/v1/instance-types` of the Lambda Cloud API,
//! with `Authorization: Bearer $LAMBDA_API_KEY`.
//!
//! One object keyed by instance type; price = `price_cents_per_hour / 100`,
//! the same in every region. `regions_with_capacity_available` is live
//! capacity, not where a type exists, so a type's rows are its previous
//! regions plus any region with capacity now. Types the embedded catalogue
//! knows keep its specs; new ones take the API's specs, with the GPU model
//! parsed from `gpu_description` (`H100 (80 GB SXM5)`). A new type with no
//! capacity and no previous region has nowhere to be listed and is skipped
//! (counted in the summary).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::http::FetchError;
use super::{Ctx, Endpoint, Fetched};
use crate::catalogue::{Provider, Region, Row, normalize_gpu_model};

/// The public API base.
pub const DEFAULT_BASE: &str = "https://cloud.lambda.ai";

#[derive(Debug, Deserialize)]
struct Response {
    data: Option<BTreeMap<String, Entry>>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    instance_type: InstanceType,
    #[serde(default)]
    regions_with_capacity_available: Vec<CapacityRegion>,
}

#[derive(Debug, Deserialize)]
struct InstanceType {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    gpu_description: Option<String>,
    price_cents_per_hour: f64,
    #[serde(default)]
    specs: Specs,
}

#[derive(Debug, Default, Deserialize)]
struct Specs {
    #[serde(default)]
    vcpus: Option<f64>,
    #[serde(default)]
    memory_gib: Option<f64>,
    #[serde(default)]
    gpus: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct CapacityRegion {
    name: String,
    #[serde(default)]
    description: Option<String>,
}

/// The instance-types URL of a base (`…/api/v1` and a full URL accepted).
fn url(endpoint: &Endpoint) -> String {
    let u = &endpoint.url;
    if u.ends_with("/instance-types") {
        u.clone()
    } else if u.ends_with("/api/v1") {
        format!("{u}/instance-types")
    } else {
        format!("{u}/api/v1/instance-types")
    }
}

/// `gpu_8x_h100_sxm5` → `gpu_h100_sxm5` (the `Nx` count dropped).
pub fn family(name: &str) -> String {
    name.split('_')
        .filter(|p| {
            !(p.len() >= 2
                && p.ends_with('x')
                && p[..p.len() - 1].chars().all(|c| c.is_ascii_digit()))
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// `H100 (80 GB SXM5)` → (`h100`, 80); `A100 (80 GB SXM4)` → (`a100-80gb`, 80).
pub fn parse_gpu(description: &str) -> (Option<String>, Option<f64>) {
    let (model, rest) = match description.split_once('(') {
        Some((m, r)) => (m.trim(), r),
        None => (description.trim(), ""),
    };
    if model.is_empty() {
        return (None, None);
    }
    let mem = rest
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<f64>().ok());
    let mut m = normalize_gpu_model(model);
    if m == "a100" && mem.is_some_and(|g| g >= 80.0) {
        m = "a100-80gb".to_string();
    }
    (Some(m), mem)
}

/// Fetches prices and capacity regions.
pub fn fetch(ctx: &Ctx, endpoint: &Endpoint, key: &str) -> Result<Fetched, FetchError> {
    let url = url(endpoint);
    let task = ctx.progress.task("lambdalabs instance types");
    let headers = [("Authorization", format!("Bearer {key}"))];
    let resp: Result<Response, FetchError> = ctx.http.get_json(&url, &headers, &task);
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            task.abandon();
            return Err(e);
        }
    };
    let data = resp
        .data
        .ok_or_else(|| FetchError::content(&url, "no `data` object in the response"))?;
    task.finish(&super::plural(data.len(), "instance type"));

    let scope: Option<BTreeSet<&str>> = ctx.regions.map(|r| r.iter().map(String::as_str).collect());
    let in_scope = |r: &str| scope.as_ref().is_none_or(|s| s.contains(r));
    let mut previous: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in ctx.previous {
        previous
            .entry(r.instance_type.as_str())
            .or_default()
            .insert(r.region.as_str());
    }
    let mut out = Fetched::default();
    let mut nowhere = Vec::new();
    let mut fetched_regions: BTreeSet<String> = previous
        .values()
        .flatten()
        .filter(|r| in_scope(r))
        .map(|r| r.to_string())
        .collect();
    for (key_name, entry) in data {
        let it = entry.instance_type;
        let name = it.name.clone().unwrap_or(key_name);
        let price = it.price_cents_per_hour / 100.0;
        if !(price.is_finite() && price > 0.0) {
            continue;
        }
        let mut regions: BTreeSet<String> = previous
            .get(name.as_str())
            .map(|s| s.iter().map(|r| r.to_string()).collect())
            .unwrap_or_default();
        for cap in &entry.regions_with_capacity_available {
            regions.insert(cap.name.clone());
            if ctx
                .embedded
                .region(Provider::Lambdalabs, &cap.name)
                .is_none()
            {
                out.regions.push(Region {
                    provider: Provider::Lambdalabs,
                    code: cap.name.clone(),
                    display_name: cap.description.clone(),
                    zones: Vec::new(),
                });
            }
        }
        regions.retain(|r| in_scope(r));
        if regions.is_empty() {
            if !previous.contains_key(name.as_str()) && scope.is_none() {
                nowhere.push(name);
            }
            continue;
        }
        let spec = match ctx.embedded.instance(Provider::Lambdalabs, &name) {
            Some(i) => Row {
                provider: Provider::Lambdalabs,
                instance_type: i.name.clone(),
                family: i.family.clone(),
                vcpus: i.vcpus,
                memory_gib: i.memory_gib,
                gpu_model: i.gpu_model.clone(),
                gpu_count: i.gpu_count,
                gpu_memory_gib: i.gpu_memory_gib,
                region: String::new(),
                price_hourly_usd: price,
                spot_price_hourly_usd: None,
                accelerator: None,
            },
            None => {
                let gpus = it.specs.gpus.filter(|g| *g > 0.0);
                let (model, mem) = match (&it.gpu_description, gpus) {
                    (Some(d), Some(_)) => parse_gpu(d),
                    _ => (None, None),
                };
                Row {
                    provider: Provider::Lambdalabs,
                    instance_type: name.clone(),
                    family: family(&name),
                    vcpus: it.specs.vcpus.map_or(0, |v| v.ceil() as u32),
                    memory_gib: it.specs.memory_gib,
                    gpu_model: model,
                    gpu_count: gpus,
                    gpu_memory_gib: mem,
                    region: String::new(),
                    price_hourly_usd: price,
                    spot_price_hourly_usd: None,
                    accelerator: None,
                }
            }
        };
        for region in regions {
            fetched_regions.insert(region.clone());
            out.rows.push(Row {
                region,
                ..spec.clone()
            });
        }
    }
    out.fetched_regions = fetched_regions.into_iter().collect();
    if !nowhere.is_empty() {
        out.notes.push(format!(
            "{} with no capacity now and no known region not listed: {}",
            super::plural(nowhere.len(), "new instance type"),
            nowhere.join(", ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(family("gpu_8x_h100_sxm5"), "gpu_h100_sxm5");
        assert_eq!(family("cpu_4x_general"), "cpu_general");
        assert_eq!(family("gpu_1x_a10"), "gpu_a10");
        assert_eq!(
            parse_gpu("H100 (80 GB SXM5)"),
            (Some("h100".into()), Some(80.0))
        );
        assert_eq!(
            parse_gpu("A100 (80 GB SXM4)"),
            (Some("a100-80gb".into()), Some(80.0))
        );
        assert_eq!(
            parse_gpu("A10 (24 GB PCIe)"),
            (Some("a10".into()), Some(24.0))
        );
    }
}
