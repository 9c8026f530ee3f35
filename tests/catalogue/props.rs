//! Property test of `Catalogue::select` against a brute-force oracle over
//! random small catalogues with many price ties.

use std::collections::BTreeMap;

use devgen::catalogue::{Catalogue, Provider, Request, Row};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

#[derive(Debug, Clone)]
struct Spec {
    vcpus: u32,
    memory_gib: Option<f64>,
    gpu: Option<(&'static str, Option<f64>)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        1u32..=16,
        prop::option::weighted(0.9, select(vec![2.0, 8.0, 16.0, 64.0])),
        prop::option::weighted(
            0.8,
            (
                select(vec!["t4", "l4", "T4"]),
                prop::option::weighted(0.85, select(vec![0.25, 0.5, 1.0, 2.0, 4.0])),
            ),
        ),
    )
        .prop_map(|(vcpus, memory_gib, gpu)| Spec {
            vcpus,
            memory_gib,
            gpu,
        })
}

/// Rows with consistent specs per (provider, instance type); duplicates of
/// (provider, instance type, region) are removed, keeping the first, as
/// `from_rows` does.
fn rows() -> impl Strategy<Value = Vec<Row>> {
    let names = select(vec!["a.large", "a.xlarge", "b.large", "c-1", "C-1"]);
    let key = (select(Provider::ALL.to_vec()), names);
    (
        prop::collection::vec((key.clone(), spec()), 1..8),
        prop::collection::vec(
            (
                key,
                select(vec!["r1", "r2", "r3"]),
                select(vec![0.0, 0.5, 1.0, 1.5, 2.0]),
            ),
            0..30,
        ),
    )
        .prop_map(|(specs, offers)| {
            let specs: BTreeMap<(Provider, &str), Spec> = specs.into_iter().collect();
            let mut seen = std::collections::BTreeSet::new();
            offers
                .into_iter()
                .filter_map(|((provider, name), region, price)| {
                    let spec = specs.get(&(provider, name))?;
                    seen.insert((provider, name, region)).then(|| Row {
                        provider,
                        instance_type: name.to_string(),
                        family: name.split(['.', '-']).next().unwrap().to_string(),
                        vcpus: spec.vcpus,
                        memory_gib: spec.memory_gib,
                        gpu_model: spec.gpu.map(|(m, _)| m.to_string()),
                        gpu_count: spec.gpu.and_then(|(_, c)| c),
                        gpu_memory_gib: spec.gpu.map(|_| 16.0),
                        region: region.to_string(),
                        price_hourly_usd: price,
                        spot_price_hourly_usd: None,
                        accelerator: None,
                    })
                })
                .collect()
        })
}

fn request() -> impl Strategy<Value = Request> {
    (
        prop::option::weighted(0.8, select(vec!["t4", "T4", "l4", "a10"])),
        select(vec![0.25, 0.5, 1.0, 2.0, 3.0]),
        prop::option::of(1u32..=16),
        prop::option::of(select(vec![4.0, 16.0, 32.0])),
        subsequence(Provider::ALL.to_vec(), 0..=4),
        subsequence(vec!["r1", "R2", "r3", "r9"], 0..=2),
    )
        .prop_map(
            |(model, count, vcpus, memory, providers, regions)| Request {
                gpu_model: model.map(str::to_string),
                gpu_count: count,
                min_vcpus: vcpus,
                min_memory_gib: memory,
                providers,
                regions: regions.into_iter().map(str::to_string).collect(),
                ..Request::default()
            },
        )
}

/// The fit rule, written independently of the implementation.
fn fits(req: &Request, r: &Row) -> bool {
    let model_ok = match &req.gpu_model {
        None => true,
        Some(m) => {
            r.gpu_model.as_ref().map(|g| g.to_lowercase()) == Some(m.to_lowercase())
                && r.gpu_count.is_some_and(|c| c >= req.gpu_count)
        }
    };
    r.price_hourly_usd > 0.0
        && model_ok
        && (req.providers.is_empty() || req.providers.contains(&r.provider))
        && (req.regions.is_empty()
            || req
                .regions
                .iter()
                .any(|x| x.eq_ignore_ascii_case(&r.region)))
        && req.min_vcpus.is_none_or(|v| r.vcpus >= v)
        && req
            .min_memory_gib
            .is_none_or(|m| r.memory_gib.is_some_and(|g| g >= m))
}

proptest! {
    #[test]
    fn select_returns_the_least_fitting_row(rows in rows(), req in request()) {
        let catalogue = Catalogue::from_rows(rows.clone());
        let key = |r: &Row| (r.price_hourly_usd, r.provider, r.instance_type.clone(), r.region.clone());
        let fitting: Vec<&Row> = rows.iter().filter(|r| fits(&req, r)).collect();
        match catalogue.select(&req) {
            Ok(s) => {
                let chosen = rows
                    .iter()
                    .find(|r| r.provider == s.provider && r.instance_type == s.instance_type && r.region == s.region)
                    .expect("the selection is one of the rows");
                prop_assert!(fits(&req, chosen), "selected a row that does not fit: {chosen:?}");
                prop_assert_eq!(s.price_hourly_usd, chosen.price_hourly_usd);
                for r in &fitting {
                    // Never more expensive than any fitting row, and first
                    // under the documented tie-break.
                    prop_assert!(s.price_hourly_usd <= r.price_hourly_usd);
                    prop_assert!(key(chosen) <= key(r), "{:?} should come before {:?}", key(r), key(chosen));
                }
            }
            Err(e) => {
                prop_assert!(fitting.is_empty(), "no fit ({e}) but {:?} fits", fitting[0]);
            }
        }
    }
}
