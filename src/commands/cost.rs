//! `devgen cost`: a monthly estimate per profile and cloud from catalogue
//! prices, with a breakdown per service.
//!
//! - A month is [`HOURS_PER_MONTH`] (730) hours of on-demand list price.
//! - One replica runs on one instance. A GPU service runs on its placement
//!   (the pin or the cheapest fitting GPU instance, see [`crate::enrich`]); a
//!   service without GPU on its pin, else on the cheapest CPU-only
//!   ("general-purpose") instance type with at least its vCPUs (CPU rounded
//!   up) and memory.
//! - Region: `clouds.<cloud>.region`, else each instance's cheapest region.
//! - Replicas: `replicas`; with `autoscaling`, the estimate is the range
//!   `min`…`max` replicas.
//! - Storage, network and managed-service fees are not included.
use serde::Serialize;

use super::{CmdResult, Ctx, EXIT_OK, out, print_warnings};
use crate::catalogue::{self, HOURS_PER_MONTH, Provider, format_monthly_usd};
use crate::cli::{CostArgs, TableFormat};
use crate::fit::{Need, cheapest_cpu_only, offer_of};
use crate::model::{Model, Service};

/// The whole estimate (`--format json`).
#[derive(Debug, Serialize)]
pub struct CostReport {
    /// Hours in the month used (730).
    pub hours_per_month: f64,
    /// One entry per profile, in the order asked (all profiles by name).
    pub profiles: Vec<ProfileCost>,
}

/// One profile's estimate.
#[derive(Debug, Serialize)]
pub struct ProfileCost {
    /// Profile name.
    pub profile: String,
    /// The cloud the profile deploys to (`cloud:`).
    pub cloud: Option<String>,
    /// One entry per catalogue cloud of `clouds:`, in config order.
    pub clouds: Vec<CloudCost>,
}

/// One profile on one cloud.
#[derive(Debug, Serialize)]
pub struct CloudCost {
    /// Cloud name.
    pub cloud: String,
    /// `clouds.<cloud>.region`, `null` for "cheapest region per instance".
    pub region: Option<String>,
    /// Sum over services at their (minimum) replicas, USD per month.
    pub monthly_usd: f64,
    /// Sum at maximum replicas (differs with autoscaling), USD per month.
    pub monthly_max_usd: f64,
    /// Services no instance type fits (not in the sums).
    pub unpriced: Vec<String>,
    /// Per service, in config order.
    pub services: Vec<ServiceCost>,
}

/// One service on one cloud.
#[derive(Debug, Serialize)]
pub struct ServiceCost {
    /// Service name.
    pub service: String,
    /// Why this instance: `gpu` (catalogue placement), `pinned`, or
    /// `general-purpose` (cheapest CPU-only fit); `none` when nothing fits.
    pub basis: String,
    /// Instance type (`null` when nothing fits).
    pub instance_type: Option<String>,
    /// Region of the price.
    pub region: Option<String>,
    /// vCPUs of the instance.
    pub vcpus: Option<u32>,
    /// Memory of the instance, GiB.
    pub memory_gib: Option<f64>,
    /// GPU model of the instance.
    pub gpu_model: Option<String>,
    /// GPUs of the instance.
    pub gpu_count: Option<f64>,
    /// Replicas (autoscaling `min` when set).
    pub replicas: u32,
    /// Autoscaling `max`, else `replicas`.
    pub max_replicas: u32,
    /// On-demand price of one instance, USD per hour.
    pub price_hourly_usd: Option<f64>,
    /// replicas × hourly × 730, USD.
    pub monthly_usd: Option<f64>,
    /// max_replicas × hourly × 730, USD.
    pub monthly_max_usd: Option<f64>,
    /// GPUs attached to the machine (GCP N1 + T4, …), `{"type", "count"}`;
    /// the price is machine + GPUs. Absent for bundled GPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<crate::catalogue::Accelerator>,
}

fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn service_cost(s: &Service, cloud: &str, provider: Provider, region: Option<&str>) -> ServiceCost {
    let cat = catalogue::active();
    let (replicas, max_replicas) = match &s.autoscaling {
        Some(a) => (a.min, a.max.max(a.min)),
        None => (s.replicas, s.replicas),
    };
    let mut c = ServiceCost {
        service: s.name.clone(),
        basis: "none".into(),
        instance_type: None,
        region: None,
        vcpus: None,
        memory_gib: None,
        gpu_model: None,
        gpu_count: None,
        replicas,
        max_replicas,
        price_hourly_usd: None,
        monthly_usd: None,
        monthly_max_usd: None,
        accelerator: s.placements.get(cloud).and_then(|p| p.accelerator.clone()),
    };
    let need = Need::of(s);
    let chosen = if let Some(p) = s.placements.get(cloud) {
        let basis = if p.pinned { "pinned" } else { "gpu" };
        Some((
            basis,
            p.instance_type.clone(),
            p.region.clone(),
            p.vcpus,
            Some(p.memory_gib),
            (!p.gpu_model.is_empty()).then(|| p.gpu_model.clone()),
            (!p.gpu_model.is_empty()).then_some(p.gpu_count),
            p.price_hourly_usd,
        ))
    } else if need.gpu.is_some() {
        None
    } else {
        let pinned = s
            .resources
            .instance
            .get(cloud)
            .and_then(|pin| cat.instance(provider, pin))
            .and_then(|i| offer_of(cat, i, region).map(|o| ("pinned", o)));
        pinned
            .or_else(|| {
                cheapest_cpu_only(cat, provider, need.vcpus, need.memory_gib, region)
                    .map(|o| ("general-purpose", o))
            })
            .map(|(basis, o)| {
                (
                    basis,
                    o.instance.name.clone(),
                    o.region.clone(),
                    o.instance.vcpus,
                    o.instance.memory_gib,
                    o.instance.gpu_model.clone(),
                    o.instance.gpu_count,
                    o.price_hourly_usd,
                )
            })
    };
    if let Some((basis, name, region, vcpus, memory, gpu_model, gpu_count, price)) = chosen {
        c.basis = basis.into();
        c.instance_type = Some(name);
        c.region = Some(region);
        c.vcpus = Some(vcpus);
        c.memory_gib = memory;
        c.gpu_model = gpu_model;
        c.gpu_count = gpu_count;
        c.price_hourly_usd = Some(price);
        c.monthly_usd = Some(cents(f64::from(replicas) * price * HOURS_PER_MONTH));
        c.monthly_max_usd = Some(cents(f64::from(max_replicas) * price * HOURS_PER_MONTH));
    }
    c
}

/// The estimate of one (enriched) model.
pub fn profile_cost(m: &Model) -> ProfileCost {
    let mut clouds = Vec::new();
    for (cloud, settings) in &m.clouds {
        let Ok(provider) = cloud.parse::<Provider>() else {
            continue;
        };
        let region = settings.region.as_deref();
        let services: Vec<ServiceCost> = m
            .services
            .values()
            .map(|s| service_cost(s, cloud, provider, region))
            .collect();
        let sum = |f: fn(&ServiceCost) -> Option<f64>| cents(services.iter().filter_map(f).sum());
        clouds.push(CloudCost {
            cloud: cloud.clone(),
            region: settings.region.clone(),
            monthly_usd: sum(|s| s.monthly_usd),
            monthly_max_usd: sum(|s| s.monthly_max_usd),
            unpriced: services
                .iter()
                .filter(|s| s.instance_type.is_none())
                .map(|s| s.service.clone())
                .collect(),
            services,
        });
    }
    ProfileCost {
        profile: m.profile.clone(),
        cloud: m.cloud.clone(),
        clouds,
    }
}

/// Aligned columns (two spaces apart), right-aligned where `right[i]`; no
/// trailing spaces.
fn table(rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths = vec![0usize; right.len()];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[i] - cell.chars().count());
            if right[i] {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn range(low: f64, high: f64) -> String {
    if (high - low).abs() < 0.005 {
        format_monthly_usd(low)
    } else {
        format!("{}–{}", format_monthly_usd(low), format_monthly_usd(high))
    }
}

/// The estimate as a table for people.
pub fn format_table(report: &CostReport) -> String {
    let mut rows = vec![
        [
            "PROFILE", "CLOUD", "SERVICE", "INSTANCE", "REGION", "BASIS", "REPLICAS", "$/HOUR",
            "$/MONTH",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let mut notes = Vec::new();
    for p in &report.profiles {
        for c in &p.clouds {
            for s in &c.services {
                let replicas = if s.replicas == s.max_replicas {
                    s.replicas.to_string()
                } else {
                    format!("{}–{}", s.replicas, s.max_replicas)
                };
                rows.push(vec![
                    p.profile.clone(),
                    c.cloud.clone(),
                    s.service.clone(),
                    s.instance_type.clone().unwrap_or_else(|| "-".into()),
                    s.region.clone().unwrap_or_else(|| "-".into()),
                    s.basis.clone(),
                    replicas,
                    s.price_hourly_usd
                        .map_or_else(|| "-".into(), |v| format!("{v:.4}")),
                    match (s.monthly_usd, s.monthly_max_usd) {
                        (Some(a), Some(b)) => range(a, b),
                        _ => "-".into(),
                    },
                ]);
            }
            let marker = if p.cloud.as_deref() == Some(c.cloud.as_str()) {
                "total (deploys here)"
            } else {
                "total"
            };
            rows.push(vec![
                p.profile.clone(),
                c.cloud.clone(),
                marker.into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                range(c.monthly_usd, c.monthly_max_usd),
            ]);
            if !c.unpriced.is_empty() {
                notes.push(format!(
                    "note: {} on {}: no instance type fits {} (left out of the total)",
                    p.profile,
                    c.cloud,
                    c.unpriced.join(", ")
                ));
            }
        }
    }
    let mut text = table(
        &rows,
        &[false, false, false, false, false, false, true, true, true],
    );
    for n in notes {
        text.push_str(&n);
        text.push('\n');
    }
    text.push_str(&format!(
        "On-demand list prices × {HOURS_PER_MONTH} h/month, one replica per instance; \
         storage and network not included.\n"
    ));
    text
}

/// `devgen cost`.
pub fn cost(ctx: &Ctx, a: &CostArgs) -> CmdResult {
    let project = ctx.project()?;
    let sources = project.sources.clone();
    let resolved = crate::pipeline::enriched(&project, &a.profiles, &[], &mut |w| {
        print_warnings(w, &sources)
    })?;
    let report = CostReport {
        hours_per_month: HOURS_PER_MONTH,
        profiles: resolved.iter().map(|r| profile_cost(&r.model)).collect(),
    };
    let text = match a.format {
        TableFormat::Table => format_table(&report),
        TableFormat::Json => {
            let mut t = serde_json::to_string_pretty(&report).expect("cost report serialises");
            t.push('\n');
            t
        }
    };
    out(&text);
    Ok(EXIT_OK)
}
