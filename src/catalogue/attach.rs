//! GPUs sold attached to a machine rather than bundled with it: GCP's N1
//! machine types + N × T4 / V100 / P100 / P4.
//!
//! The catalogue offers each allowed (N1 machine type, accelerator type,
//! count) combination as an instance type of its own: the machine's name,
//! specs and family, the GPU model / count / memory of the accelerator, and
//! [`InstanceType::accelerator`] set. Its price in a region is the machine's
//! price plus count × the GPU's price there (on-demand and spot alike), and it
//! is offered only in regions where some zone sells the GPU *and* allows that
//! combination (GCP caps the vCPUs and memory of a machine per GPU count, in a
//! few zones more tightly: `gcp-n1-limits.csv`).
//!
//! Data: `data/catalogue/gcp-accelerators.csv` (per-zone price of one GPU)
//! and `gcp-n1-limits.csv`, embedded as text and validated by `build.rs`;
//! `devgen catalogue update --provider gcp` refreshes the prices.

use serde::{Deserialize, Serialize};

pub use super::codec::{AttachLimit, AttachPrice};
use super::codec::{parse_attach_csv, parse_limits_csv};
use super::{InstanceType, Provider};

/// The embedded per-zone prices of attachable GPUs.
const EMBEDDED_PRICES: &str = include_str!("../../data/catalogue/gcp-accelerators.csv");
/// The embedded attach limits.
const EMBEDDED_LIMITS: &str = include_str!("../../data/catalogue/gcp-n1-limits.csv");

/// A GPU attached to a machine: the provider's accelerator type (what
/// Terraform's `guest_accelerator.type` and GKE's
/// `cloud.google.com/gke-accelerator` label take) and how many.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Accelerator {
    /// e.g. `nvidia-tesla-t4`.
    #[serde(rename = "type")]
    pub accelerator_type: String,
    /// GPUs attached.
    pub count: u32,
}

/// A regional price: (region code, on-demand, spot).
pub type RegionPrice<'r> = (&'r str, f64, Option<f64>);

/// Attach prices and limits (GCP only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttachTable {
    /// Per-zone price of one GPU.
    pub prices: Vec<AttachPrice>,
    /// What may be attached to what.
    pub limits: Vec<AttachLimit>,
}

impl AttachTable {
    /// The embedded tables (validated by `build.rs`, so parsing cannot fail
    /// short of a build defect).
    pub fn embedded() -> AttachTable {
        AttachTable {
            prices: parse_attach_csv(EMBEDDED_PRICES)
                .unwrap_or_else(|e| panic!("embedded gcp-accelerators.csv: {e}")),
            limits: Self::embedded_limits(),
        }
    }

    /// The embedded limits alone (a refreshed cache brings prices only).
    pub fn embedded_limits() -> Vec<AttachLimit> {
        parse_limits_csv(EMBEDDED_LIMITS)
            .unwrap_or_else(|e| panic!("embedded gcp-n1-limits.csv: {e}"))
    }

    /// Whether `count` × `accelerator_type` may be attached to `host` in
    /// `zone`.
    pub fn allows(
        &self,
        host: &InstanceType,
        accelerator_type: &str,
        count: u32,
        zone: &str,
    ) -> bool {
        self.limits.iter().any(|l| {
            l.accelerator_type == accelerator_type
                && l.gpu_count == count
                && l.zones.covers(zone)
                && host.vcpus <= l.max_vcpus
                && l.max_memory_gib
                    .is_none_or(|m| host.memory_gib.is_some_and(|h| h <= m + 1e-9))
        })
    }

    /// The zones of `region` where `inst` (an attached combination) may run,
    /// sorted; empty for instances without an attached accelerator.
    pub fn zones(&self, inst: &InstanceType, region: &str) -> Vec<String> {
        let Some(acc) = &inst.accelerator else {
            return Vec::new();
        };
        let mut zones: Vec<String> = self
            .prices
            .iter()
            .filter(|p| {
                p.accelerator_type == acc.accelerator_type
                    && p.region == region
                    && self.allows(inst, &acc.accelerator_type, acc.count, &p.zone)
            })
            .map(|p| p.zone.clone())
            .collect();
        zones.sort();
        zones.dedup();
        zones
    }

    /// The distinct (accelerator type, model, GPU memory, count) combinations
    /// the limits allow, sorted.
    fn kinds(&self) -> Vec<(&str, &str, Option<f64>, u32)> {
        let mut out: Vec<(&str, &str, Option<f64>, u32)> = Vec::new();
        for l in &self.limits {
            let Some(p) = self
                .prices
                .iter()
                .find(|p| p.accelerator_type == l.accelerator_type)
            else {
                continue;
            };
            let k = (
                p.accelerator_type.as_str(),
                p.gpu_model.as_str(),
                p.gpu_memory_gib,
                l.gpu_count,
            );
            if !out.iter().any(|o| (o.0, o.3) == (k.0, k.3)) {
                out.push(k);
            }
        }
        out.sort_by(|a, b| (a.0, a.3).cmp(&(b.0, b.3)));
        out
    }

    /// The attached combinations for `host` (a GCP N1 machine type), each
    /// with its (region code, on-demand, spot) offers, given the host's own
    /// offers as (region code, on-demand, spot). A combination is offered in
    /// a region where the host is priced and some zone sells the GPU and
    /// allows the combination; the GPU price is the cheapest such zone's.
    pub fn variants<'r>(
        &self,
        host: &InstanceType,
        host_offers: &[RegionPrice<'r>],
    ) -> Vec<(InstanceType, Vec<RegionPrice<'r>>)> {
        if !is_host(host) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (acc_type, model, memory, count) in self.kinds() {
            // This GPU's zones that allow the host with `count` of it.
            let zones: Vec<&AttachPrice> = self
                .prices
                .iter()
                .filter(|p| p.accelerator_type == acc_type)
                .filter(|p| self.allows(host, acc_type, count, &p.zone))
                .collect();
            if zones.is_empty() {
                continue;
            }
            let mut offers = Vec::new();
            for &(region, price, spot) in host_offers {
                if price <= 0.0 {
                    continue;
                }
                let best = zones
                    .iter()
                    .filter(|p| p.region == region)
                    .min_by(|a, b| a.price_hourly_usd.total_cmp(&b.price_hourly_usd));
                if let Some(p) = best {
                    let n = f64::from(count);
                    let total = round6(price + n * p.price_hourly_usd);
                    let spot = match (spot, p.spot_price_hourly_usd) {
                        (Some(h), Some(g)) => Some(round6(h + n * g)),
                        _ => None,
                    };
                    offers.push((region, total, spot));
                }
            }
            if offers.is_empty() {
                continue;
            }
            out.push((
                InstanceType {
                    provider: host.provider,
                    name: host.name.clone(),
                    family: host.family.clone(),
                    vcpus: host.vcpus,
                    memory_gib: host.memory_gib,
                    gpu_model: Some(model.to_string()),
                    gpu_count: Some(f64::from(count)),
                    gpu_memory_gib: memory,
                    accelerator: Some(Accelerator {
                        accelerator_type: acc_type.to_string(),
                        count,
                    }),
                },
                offers,
            ));
        }
        out
    }
}

/// Rounds a price to micro-dollars (the catalogue's precision), so sums do
/// not carry binary noise such as `0.7100000000000001`.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Whether GPUs may be attached to `inst`: a GCP N1 machine type without a
/// GPU of its own.
pub fn is_host(inst: &InstanceType) -> bool {
    inst.provider == Provider::Gcp
        && inst.gpu_model.is_none()
        && inst.accelerator.is_none()
        && inst.family.starts_with("n1-")
}
