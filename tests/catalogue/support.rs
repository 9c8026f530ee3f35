//! Small helpers to build hand-made catalogues with `Catalogue::from_rows`.

use devgen::catalogue::{Provider, Row};

/// A row with 24 GiB per GPU when a model is given; the family is the part of
/// the name before the first `.`.
#[allow(clippy::too_many_arguments)]
pub fn row(
    provider: Provider,
    name: &str,
    vcpus: u32,
    memory_gib: f64,
    gpu: Option<(&str, Option<f64>)>,
    region: &str,
    price: f64,
) -> Row {
    Row {
        provider,
        instance_type: name.to_string(),
        family: name.split('.').next().unwrap_or(name).to_string(),
        vcpus,
        memory_gib: Some(memory_gib),
        gpu_model: gpu.map(|(m, _)| m.to_string()),
        gpu_count: gpu.and_then(|(_, c)| c),
        gpu_memory_gib: gpu.map(|_| 24.0),
        region: region.to_string(),
        price_hourly_usd: price,
        spot_price_hourly_usd: None,
        accelerator: None,
    }
}
