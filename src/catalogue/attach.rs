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
//! and `gcp-n1-limits.csv`. `build.rs` validates them and writes the
//! combinations into the embedded blob (`codec::attach_variants`); the crate
//! embeds them as text too, parsed only for zone look-ups and updates.
//! `devgen catalogue update --provider gcp` refreshes the prices; a refreshed
//! cache's combinations are computed when it is loaded
//! ([`super::Catalogue::with_attached`]).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::codec::{
    AttachKind, VariantOffer, attach_allows, attach_kinds, attach_variants, is_attach_host_family,
    parse_attach_csv, parse_limits_csv,
};
pub use super::codec::{AttachLimit, AttachPrice};
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

    /// The embedded tables, parsed on first use and shared afterwards.
    pub fn embedded_shared() -> &'static AttachTable {
        static EMBEDDED: OnceLock<AttachTable> = OnceLock::new();
        EMBEDDED.get_or_init(AttachTable::embedded)
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
        attach_allows(
            &self.limits,
            host.vcpus,
            host.memory_gib,
            accelerator_type,
            count,
            zone,
        )
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

    /// The attached combinations for `host` (a GCP N1 machine type), each
    /// with its offers as (position in `host_offers`, on-demand, spot), given
    /// the host's own offers as (region code, on-demand, spot). A combination
    /// is offered in a region where the host is priced and some zone sells
    /// the GPU and allows the combination; the GPU price is the cheapest such
    /// zone's (`codec::attach_variants`, which `build.rs` runs for the
    /// embedded snapshot).
    pub fn variants(
        &self,
        host: &InstanceType,
        host_offers: &[RegionPrice<'_>],
    ) -> Vec<(InstanceType, Vec<VariantOffer>)> {
        if !is_host(host) {
            return Vec::new();
        }
        let kinds = attach_kinds(&self.prices, &self.limits);
        attach_variants(
            &kinds,
            &self.prices,
            &self.limits,
            host.vcpus,
            host.memory_gib,
            host_offers,
        )
        .into_iter()
        .map(|(kind, offers)| (variant_of(host, &kind), offers))
        .collect()
    }
}

/// `host` with `kind` attached: the machine's name and specs, the GPU's
/// model, count and memory.
fn variant_of(host: &InstanceType, kind: &AttachKind<'_>) -> InstanceType {
    InstanceType {
        provider: host.provider,
        name: host.name.clone(),
        family: host.family.clone(),
        vcpus: host.vcpus,
        memory_gib: host.memory_gib,
        gpu_model: Some(kind.gpu_model.to_string()),
        gpu_count: Some(f64::from(kind.count)),
        gpu_memory_gib: kind.gpu_memory_gib,
        accelerator: Some(Accelerator {
            accelerator_type: kind.accelerator_type.to_string(),
            count: kind.count,
        }),
    }
}

/// Whether GPUs may be attached to `inst`: a GCP N1 machine type without a
/// GPU of its own.
pub fn is_host(inst: &InstanceType) -> bool {
    inst.provider == Provider::Gcp
        && inst.gpu_model.is_none()
        && inst.accelerator.is_none()
        && is_attach_host_family(&inst.family)
}
