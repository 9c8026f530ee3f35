//! Listing the catalogue with filters (`catalogue list`).

use super::{Catalogue, InstanceType, Provider, Row, count_fits, normalize_gpu_model};

/// Which rows [`Catalogue::list`] returns. Every field narrows the list; the
/// default lists everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Only these providers (all when empty).
    pub providers: Vec<Provider>,
    /// Only this GPU model (normalised with [`normalize_gpu_model`] before
    /// comparing).
    pub gpu_model: Option<String>,
    /// At least this many GPUs. Rows whose count is unknown are left out;
    /// fractional counts compare as numbers (0.5 ≥ 0.5), with a 0.001 tolerance
    /// for the data's rounded fractions.
    pub min_gpus: Option<f64>,
    /// At least this much total GPU memory in GiB, where total =
    /// `gpu_memory_gib × max(1, gpu_count)` (an unknown count counts as 1).
    /// Rows without GPU memory are left out.
    pub min_gpu_memory_gib: Option<f64>,
    /// At least this many vCPUs.
    pub min_vcpus: Option<u32>,
    /// At least this much RAM in GiB (rows with unknown memory are left out).
    pub min_memory_gib: Option<f64>,
    /// Only these region codes, compared ignoring ASCII case (all when empty).
    pub regions: Vec<String>,
}

impl Filter {
    /// Whether an instance type passes the instance-level filters (all but
    /// providers and regions).
    fn accepts(&self, inst: &InstanceType, model: Option<&str>) -> bool {
        model.is_none_or(|m| inst.gpu_model.as_deref() == Some(m))
            && self.min_gpus.is_none_or(|n| count_fits(inst.gpu_count, n))
            && self
                .min_gpu_memory_gib
                .is_none_or(|n| inst.total_gpu_memory_gib().is_some_and(|m| m >= n))
            && self.min_vcpus.is_none_or(|n| inst.vcpus >= n)
            && self
                .min_memory_gib
                .is_none_or(|n| inst.memory_gib.is_some_and(|m| m >= n))
    }
}

impl Catalogue {
    /// The rows that pass `filter`, sorted by (provider order, instance type,
    /// region code); both names compare as bytes. Rows with an unknown GPU
    /// count or a zero price are listed like any other.
    pub fn list(&self, filter: &Filter) -> Vec<Row> {
        let model = filter.gpu_model.as_deref().map(normalize_gpu_model);
        let mut rows = Vec::new();
        for (inst, offers) in self.entries(&filter.providers) {
            if !filter.accepts(inst, model.as_deref()) {
                continue;
            }
            for rec in offers {
                let code = &self.regions[rec.region as usize].code;
                if filter.regions.is_empty()
                    || filter.regions.iter().any(|r| r.eq_ignore_ascii_case(code))
                {
                    rows.push(self.row(inst, rec));
                }
            }
        }
        rows
    }
}
