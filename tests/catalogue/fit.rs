//! Fit rules, tie-breaks, region restriction, lookups and "no fit"
//! explanations over a small hand-made catalogue.

use std::collections::BTreeMap;

use devgen::catalogue::{
    Catalogue, Constraint, Filter, NoFit, Provider, Request, normalize_gpu_model,
};

use super::support::row;

use Provider::{Aws, Azure, Gcp, Lambdalabs};

fn small() -> Catalogue {
    let a10g = |n| Some(("a10g", Some(n)));
    let l4 = |n| Some(("l4", Some(n)));
    let h100 = Some(("h100", Some(8.0)));
    Catalogue::from_rows(vec![
        row(Aws, "g5.xlarge", 4, 16.0, a10g(1.0), "us-east-1", 1.006),
        row(Aws, "g5.xlarge", 4, 16.0, a10g(1.0), "eu-west-1", 1.123),
        row(Aws, "g5.12xlarge", 48, 192.0, a10g(4.0), "us-east-1", 5.672),
        row(Aws, "g6f.large", 2, 8.0, l4(0.125), "us-east-1", 0.2),
        row(Aws, "g6f.2xlarge", 8, 32.0, l4(0.5), "us-east-1", 0.5),
        row(Aws, "g6.xlarge", 4, 16.0, l4(1.0), "us-east-1", 0.805),
        row(Aws, "p5.48xlarge", 192, 2048.0, h100, "us-east-1", 55.04),
        row(Aws, "m5.large", 2, 8.0, None, "us-east-1", 0.096),
        row(
            Azure,
            "Standard_NV36ads_A10_v5",
            36,
            440.0,
            Some(("a10", Some(1.0))),
            "eastus",
            3.2,
        ),
        row(
            Azure,
            "Standard_NV6ads_A10_v5",
            6,
            55.0,
            Some(("a10", Some(0.1667))),
            "eastus",
            0.454,
        ),
        row(
            Azure,
            "Standard_NC8ads_A10_v4",
            8,
            64.0,
            Some(("a10", None)),
            "eastus",
            0.1,
        ),
        row(
            Azure,
            "Standard_NC8ads_A10_v4",
            8,
            64.0,
            Some(("a10", None)),
            "westeurope",
            0.1,
        ),
        row(
            Azure,
            "Standard_ND96isr_H100_v5",
            96,
            1900.0,
            h100,
            "eastus",
            98.32,
        ),
        row(
            Azure,
            "Standard_L8as_v3",
            8,
            64.0,
            None,
            "spaincentral",
            0.0,
        ),
        row(Gcp, "g2-standard-4", 4, 16.0, l4(1.0), "us-central1", 0.7),
        row(
            Gcp,
            "a3-highgpu-8g",
            208,
            1872.0,
            h100,
            "us-central1",
            88.25,
        ),
        // A raw spelling: from_rows normalises it.
        row(
            Lambdalabs,
            "gpu_1x_a10",
            30,
            200.0,
            Some(("A10", Some(1.0))),
            "us-east-1",
            0.75,
        ),
        row(
            Lambdalabs,
            "gpu_8x_h100_sxm5",
            208,
            1800.0,
            h100,
            "us-west-1",
            23.92,
        ),
        row(
            Lambdalabs,
            "gpu_8x_h100_sxm5",
            208,
            1800.0,
            h100,
            "us-east-1",
            23.92,
        ),
    ])
}

fn pick(c: &Catalogue, req: &Request) -> (Provider, String, String, f64) {
    let s = c
        .select(req)
        .unwrap_or_else(|e| panic!("no fit for {req:?}: {e}"));
    (s.provider, s.instance_type, s.region, s.price_hourly_usd)
}

fn no_fit(c: &Catalogue, req: &Request) -> NoFit {
    match c.select(req) {
        Ok(s) => panic!("expected no fit for {req:?}, got {s:?}"),
        Err(e) => e,
    }
}

fn on(mut req: Request, providers: &[Provider]) -> Request {
    req.providers = providers.to_vec();
    req
}

fn within(mut req: Request, regions: &[&str]) -> Request {
    req.regions = regions.iter().map(|r| r.to_string()).collect();
    req
}

#[test]
fn cheapest_fit_across_providers_and_regions() {
    let c = small();
    let s = c.select(&Request::gpu("h100", 8.0)).unwrap();
    assert_eq!(
        (s.provider, s.instance_type.as_str(), s.region.as_str()),
        (Lambdalabs, "gpu_8x_h100_sxm5", "us-east-1")
    );
    assert_eq!(s.price_hourly_usd, 23.92);
    assert_eq!(s.price_monthly_usd, 17461.6);
    // Display names come from the embedded region list.
    assert_eq!(s.region_name.as_deref(), Some("US East (Virginia)"));
    assert_eq!(s.request.gpu_model.as_deref(), Some("h100"));
    // A minimum count: 4 is met by the 8-GPU types.
    assert_eq!(pick(&c, &Request::gpu("h100", 4.0)).1, "gpu_8x_h100_sxm5");
    assert_eq!(
        pick(&c, &on(Request::gpu("h100", 8.0), &[Aws, Azure, Gcp])).1,
        "p5.48xlarge"
    );
}

#[test]
fn gpu_models_are_normalised_and_distinct() {
    let c = small();
    for spelling in ["a10g", "A10G", " a10g ", "nvidia-a10g"] {
        assert_eq!(
            pick(&c, &Request::gpu(spelling, 1.0)),
            (Aws, "g5.xlarge".into(), "us-east-1".into(), 1.006),
            "{spelling}"
        );
    }
    // a10 is another model than a10g; the raw "A10" row was normalised.
    assert_eq!(
        pick(&c, &Request::gpu("A10", 1.0)),
        (Lambdalabs, "gpu_1x_a10".into(), "us-east-1".into(), 0.75)
    );
    let mut raw = Request::gpu("x", 1.0);
    raw.gpu_model = Some("A10".to_string()); // not pre-normalised
    assert_eq!(pick(&c, &raw).1, "gpu_1x_a10");
}

#[test]
fn fractional_gpus_fit_only_requests_up_to_their_fraction() {
    let c = small();
    assert_eq!(pick(&c, &Request::gpu("l4", 0.125)).1, "g6f.large");
    assert_eq!(pick(&c, &Request::gpu("l4", 0.25)).1, "g6f.2xlarge");
    assert_eq!(pick(&c, &Request::gpu("l4", 0.5)).1, "g6f.2xlarge");
    assert_eq!(pick(&c, &Request::gpu("l4", 0.6)).1, "g2-standard-4");
    assert_eq!(pick(&c, &Request::gpu("l4", 1.0)).1, "g2-standard-4");
    // 0.1667 in the data is one sixth: 1/6 fits it (0.001 tolerance).
    assert_eq!(
        pick(&c, &on(Request::gpu("a10", 1.0 / 6.0), &[Azure])).1,
        "Standard_NV6ads_A10_v5"
    );
    assert_eq!(
        pick(&c, &on(Request::gpu("a10", 1.0), &[Azure])).1,
        "Standard_NV36ads_A10_v5"
    );
}

#[test]
fn unknown_gpu_count_never_fits_a_count_but_is_listed() {
    let c = small();
    // The unknown-count NC8ads_A10_v4 is the cheapest a10 but never selected.
    assert_eq!(
        pick(&c, &on(Request::gpu("a10", 0.1), &[Azure])).1,
        "Standard_NV6ads_A10_v5"
    );
    let listed = |f: &Filter| -> Vec<(String, String)> {
        c.list(f)
            .into_iter()
            .map(|r| (r.instance_type, r.region))
            .collect()
    };
    let mut filter = Filter {
        providers: vec![Azure],
        gpu_model: Some("A10".into()),
        ..Filter::default()
    };
    assert_eq!(
        listed(&filter),
        [
            ("Standard_NC8ads_A10_v4", "eastus"),
            ("Standard_NC8ads_A10_v4", "westeurope"),
            ("Standard_NV36ads_A10_v5", "eastus"),
            ("Standard_NV6ads_A10_v5", "eastus"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    filter.min_gpus = Some(0.1);
    assert_eq!(
        listed(&filter).len(),
        2,
        "unknown counts drop out with min_gpus"
    );
}

#[test]
fn ties_break_by_price_then_provider_then_name_then_region() {
    let t4 = Some(("t4", Some(1.0)));
    let c = Catalogue::from_rows(vec![
        row(Gcp, "b-inst", 4, 16.0, t4, "us-central1", 1.0),
        row(Azure, "a-inst", 4, 16.0, t4, "eastus", 1.0),
        row(Aws, "z-inst", 4, 16.0, t4, "us-east-1", 1.0),
        row(Aws, "a-inst", 4, 16.0, t4, "us-west-2", 1.0),
        row(Aws, "a-inst", 4, 16.0, t4, "us-east-2", 1.0),
        row(Lambdalabs, "cheap", 4, 16.0, t4, "us-east-1", 1.5),
    ]);
    let req = Request::gpu("t4", 1.0);
    assert_eq!(
        pick(&c, &req),
        (Aws, "a-inst".into(), "us-east-2".into(), 1.0)
    );
    assert_eq!(
        pick(&c, &within(req.clone(), &["us-west-2", "us-east-1"])).1,
        "a-inst"
    );
    assert_eq!(pick(&c, &within(req.clone(), &["us-east-1"])).1, "z-inst");
    assert_eq!(pick(&c, &on(req.clone(), &[Gcp, Azure])).0, Azure);
    assert_eq!(pick(&c, &on(req, &[Lambdalabs])).3, 1.5);
}

#[test]
fn region_restriction_ignores_case_and_picks_the_cheapest_allowed() {
    let c = small();
    let req = Request::gpu("a10g", 1.0);
    assert_eq!(
        pick(&c, &within(req.clone(), &["EU-WEST-1"])),
        (Aws, "g5.xlarge".into(), "eu-west-1".into(), 1.123)
    );
    assert_eq!(
        pick(&c, &within(req, &["eu-west-1", "us-east-1"])).2,
        "us-east-1"
    );
}

#[test]
fn zero_prices_are_never_selected() {
    let c = small();
    let cpu = Request {
        min_vcpus: Some(8),
        providers: vec![Azure],
        ..Request::default()
    };
    // Standard_L8as_v3 costs 0 in the data (unpriced): skipped.
    assert_eq!(pick(&c, &cpu).1, "Standard_NC8ads_A10_v4");
    let e = no_fit(&c, &within(cpu, &["spaincentral"]));
    assert_eq!(e.constraint, Constraint::Region);
    assert_eq!(
        e.to_string(),
        "no azure instance with ≥ 8 vCPUs in region spaincentral; regions that have one: eastus, westeurope"
    );
}

#[test]
fn no_fit_names_the_gpu_model_constraint() {
    let c = small();
    let e = no_fit(&c, &on(Request::gpu("MI300X", 1.0), &[Gcp]));
    assert_eq!(e.constraint, Constraint::GpuModel);
    assert_eq!(
        e.to_string(),
        r#"no gcp instance offers gpu model "mi300x" (models on gcp: h100, l4)"#
    );
    let e = no_fit(&c, &on(Request::gpu("a10g", 1.0), &[Azure, Gcp]));
    assert_eq!(
        e.to_string(),
        r#"no azure or gcp instance offers gpu model "a10g" (models on azure or gcp: a10, h100, l4); aws offers it"#
    );
    let e = no_fit(&c, &Request::gpu("h1000", 1.0));
    assert_eq!(
        e.to_string(),
        r#"no instance offers gpu model "h1000" (models in the catalogue: a10, a10g, h100, l4); did you mean "h100"?"#
    );
}

#[test]
fn no_fit_names_the_count_cpu_and_memory_constraints() {
    let c = small();
    let e = no_fit(&c, &on(Request::gpu("h100", 16.0), &[Aws]));
    assert_eq!(e.constraint, Constraint::GpuCount);
    assert_eq!(
        e.to_string(),
        "no aws instance has 16 × h100; the most is 8 (p5.48xlarge)"
    );
    let e = no_fit(&c, &Request::gpu("h100", 16.0));
    assert_eq!(
        e.to_string(),
        "no instance has 16 × h100; the most is 8 (aws p5.48xlarge)"
    );
    let e = no_fit(&c, &on(Request::gpu("a10", 2.0), &[Azure]));
    assert_eq!(
        e.to_string(),
        "no azure instance has 2 × a10; the most is 1 (Standard_NV36ads_A10_v5)"
    );

    let mut req = on(Request::gpu("a10g", 1.0), &[Aws]);
    req.min_vcpus = Some(64);
    let e = no_fit(&c, &req);
    assert_eq!(e.constraint, Constraint::Vcpus);
    assert_eq!(
        e.to_string(),
        "no aws instance with 1 × a10g has 64 vCPUs; the most is 48 (g5.12xlarge)"
    );
    req.min_vcpus = Some(8);
    req.min_memory_gib = Some(256.0);
    let e = no_fit(&c, &req);
    assert_eq!(e.constraint, Constraint::Memory);
    assert_eq!(
        e.to_string(),
        "no aws instance with 1 × a10g and ≥ 8 vCPUs has 256 GiB memory; the most is 192 GiB (g5.12xlarge)"
    );
}

#[test]
fn no_fit_when_only_unknown_counts_have_the_model() {
    let c = Catalogue::from_rows(vec![row(
        Azure,
        "Standard_NC16lds_xl_RTXPRO6000BSE_v6",
        16,
        64.0,
        Some(("rtx-pro-6000", None)),
        "eastus",
        1.0,
    )]);
    let e = no_fit(&c, &Request::gpu("RTX PRO 6000", 1.0));
    assert_eq!(e.constraint, Constraint::GpuCount);
    assert_eq!(
        e.to_string(),
        "no instance with rtx-pro-6000 states its GPU count \
         (azure Standard_NC16lds_xl_RTXPRO6000BSE_v6), so none fits a request for 1 × rtx-pro-6000"
    );
    let e = no_fit(&c, &on(Request::gpu("rtx-pro-6000", 1.0), &[Azure]));
    assert_eq!(
        e.to_string(),
        "no azure instance with rtx-pro-6000 states its GPU count \
         (Standard_NC16lds_xl_RTXPRO6000BSE_v6), so none fits a request for 1 × rtx-pro-6000"
    );
}

#[test]
fn no_fit_names_the_region_constraint() {
    let c = small();
    let e = no_fit(
        &c,
        &within(on(Request::gpu("a10g", 1.0), &[Aws]), &["westeurope"]),
    );
    assert_eq!(e.constraint, Constraint::Region);
    assert_eq!(
        e.to_string(),
        r#"no aws instance with 1 × a10g in region westeurope; regions that have one: eu-west-1, us-east-1; "westeurope" is not a region of aws"#
    );
    let e = no_fit(
        &c,
        &within(on(Request::gpu("a10g", 1.0), &[Aws]), &["us-east1"]),
    );
    assert!(
        e.to_string()
            .ends_with(r#"; "us-east1" is not a region of aws (did you mean "us-east-1"?)"#),
        "{e}"
    );
    // Across providers, the regions are grouped per provider.
    let e = no_fit(
        &c,
        &within(Request::gpu("l4", 1.0), &["eastus", "westeurope"]),
    );
    assert_eq!(
        e.to_string(),
        "no instance with 1 × l4 in regions eastus or westeurope; regions that have one: aws: us-east-1; gcp: us-central1"
    );
}

#[test]
fn no_fit_for_a_provider_without_data() {
    let c = Catalogue::from_rows(vec![row(Aws, "m5.large", 2, 8.0, None, "us-east-1", 0.1)]);
    let e = no_fit(&c, &on(Request::default(), &[Gcp]));
    assert_eq!(e.constraint, Constraint::Provider);
    assert_eq!(e.to_string(), "the catalogue has no instance types for gcp");
}

#[test]
fn select_per_provider_uses_each_clouds_region() {
    let c = small();
    let regions = BTreeMap::from([
        (Aws, "us-east-1".to_string()),
        (Gcp, "europe-west4".to_string()),
    ]);
    let per: Vec<(Provider, Result<String, Constraint>)> = c
        .select_per_provider(&Request::gpu("h100", 8.0), &regions)
        .into_iter()
        .map(|(p, r)| {
            (
                p,
                r.map(|s| format!("{} {}", s.instance_type, s.region))
                    .map_err(|e| e.constraint),
            )
        })
        .collect();
    assert_eq!(
        per,
        vec![
            (Aws, Ok("p5.48xlarge us-east-1".to_string())),
            (Azure, Ok("Standard_ND96isr_H100_v5 eastus".to_string())),
            (Gcp, Err(Constraint::Region)),
            (Lambdalabs, Ok("gpu_8x_h100_sxm5 us-east-1".to_string())),
        ]
    );
    let only = c.select_per_provider(&on(Request::gpu("l4", 1.0), &[Gcp, Aws]), &BTreeMap::new());
    assert_eq!(only.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [Aws, Gcp]);
}

#[test]
fn lookups_offers_regions_and_nearest_names() {
    let c = small();
    assert_eq!(c.providers(), Provider::ALL.to_vec());
    let g5 = c.instance(Aws, "g5.xlarge").unwrap();
    assert_eq!(
        (g5.vcpus, g5.memory_gib, g5.gpu_count),
        (4, Some(16.0), Some(1.0))
    );
    assert_eq!(
        c.instance(Azure, "standard_nv6ads_a10_v5")
            .map(|i| i.name.as_str()),
        Some("Standard_NV6ads_A10_v5")
    );
    assert!(c.instance(Gcp, "g5.xlarge").is_none());
    let offers: Vec<(&str, f64)> = c
        .offers(Aws, "g5.xlarge")
        .iter()
        .map(|o| (o.region, o.price_hourly_usd))
        .collect();
    assert_eq!(offers, [("eu-west-1", 1.123), ("us-east-1", 1.006)]);
    assert_eq!(c.offers(Aws, "nope").len(), 0);
    let regions: Vec<(&str, Option<&str>)> = c
        .regions(Aws)
        .iter()
        .map(|r| (r.code.as_str(), r.display_name.as_deref()))
        .collect();
    assert_eq!(
        regions,
        [
            ("eu-west-1", Some("Europe (Ireland)")),
            ("us-east-1", Some("US East (N. Virginia)"))
        ]
    );
    assert_eq!(
        c.region(Azure, "EastUS").map(|r| r.code.as_str()),
        Some("eastus")
    );
    assert_eq!(
        c.nearest_names(Aws, "g5.xlarg", 2),
        ["g5.xlarge", "g6.xlarge"]
    );
    assert_eq!(c.nearest_names(Aws, "G5.XLARGE", 1), ["g5.xlarge"]);
    assert_eq!(c.gpu_models(Azure), ["a10", "h100"]);
}

#[test]
fn from_rows_sorts_dedups_and_reports_status() {
    let c = Catalogue::from_rows(vec![
        row(Gcp, "e2-small", 1, 2.0, None, "us-east1", 0.02),
        row(Aws, "m5.large", 2, 8.0, None, "us-west-2", 0.1),
        row(Aws, "m5.large", 2, 8.0, None, "us-east-1", 0.096),
        row(Aws, "m5.large", 2, 8.0, None, "us-east-1", 9.0), // duplicate: first wins
        row(Aws, "c5.large", 2, 4.0, None, "mars-1", 0.085),  // unknown region
    ]);
    let rows: Vec<(Provider, String, String, f64)> = c
        .list(&Filter::default())
        .into_iter()
        .map(|r| (r.provider, r.instance_type, r.region, r.price_hourly_usd))
        .collect();
    assert_eq!(
        rows,
        vec![
            (Aws, "c5.large".into(), "mars-1".into(), 0.085),
            (Aws, "m5.large".into(), "us-east-1".into(), 0.096),
            (Aws, "m5.large".into(), "us-west-2".into(), 0.1),
            (Gcp, "e2-small".into(), "us-east1".into(), 0.02),
        ]
    );
    assert_eq!(c.region(Aws, "mars-1").unwrap().display_name, None);
    assert_eq!(c.providers(), [Aws, Gcp]);
    let status = c.status();
    assert_eq!(status.len(), 4);
    assert_eq!(
        (status[0].source.as_str(), status[0].data_date.as_deref()),
        ("rows", None)
    );
    assert_eq!(
        (status[0].instance_types, status[0].rows, status[0].regions),
        (2, 3, 3)
    );
    assert_eq!((status[1].instance_types, status[1].rows), (0, 0));
    let c = c
        .with_source("cache")
        .with_data_date(Gcp, Some("2026-08-01"));
    assert_eq!(c.status()[2].source, "cache");
    assert_eq!(c.status()[2].data_date.as_deref(), Some("2026-08-01"));
}

#[test]
fn list_filters() {
    let c = small();
    let names = |f: Filter| -> Vec<String> {
        c.list(&f)
            .into_iter()
            .map(|r| format!("{} {} {}", r.provider, r.instance_type, r.region))
            .collect()
    };
    // Total GPU memory = 24 GiB per GPU × max(1, count) in this catalogue.
    assert_eq!(
        names(Filter {
            min_gpu_memory_gib: Some(96.0),
            ..Filter::default()
        }),
        [
            "aws g5.12xlarge us-east-1",
            "aws p5.48xlarge us-east-1",
            "azure Standard_ND96isr_H100_v5 eastus",
            "gcp a3-highgpu-8g us-central1",
            "lambdalabs gpu_8x_h100_sxm5 us-east-1",
            "lambdalabs gpu_8x_h100_sxm5 us-west-1",
        ]
    );
    assert_eq!(
        names(Filter {
            providers: vec![Aws],
            min_vcpus: Some(8),
            min_memory_gib: Some(32.0),
            regions: vec!["US-EAST-1".into()],
            ..Filter::default()
        }),
        [
            "aws g5.12xlarge us-east-1",
            "aws g6f.2xlarge us-east-1",
            "aws p5.48xlarge us-east-1",
        ]
    );
    assert_eq!(
        names(Filter {
            gpu_model: Some("L4".into()),
            min_gpus: Some(0.5),
            ..Filter::default()
        }),
        [
            "aws g6.xlarge us-east-1",
            "aws g6f.2xlarge us-east-1",
            "gcp g2-standard-4 us-central1",
        ]
    );
    assert_eq!(c.list(&Filter::default()).len(), 19);
}

#[test]
fn gpu_model_normalisation() {
    for (raw, want) in [
        ("A100-80GB", "a100-80gb"),
        ("a100_80gb", "a100-80gb"),
        ("A100 80GB", "a100-80gb"),
        ("  a100  80gb ", "a100-80gb"),
        ("a100", "a100"),
        ("A100-40GB", "a100"),
        ("H100-80GB", "h100"),
        ("nvidia-h100-80gb", "h100"),
        ("nvidia-h100-mega-80gb", "h100"),
        ("nvidia-tesla-a100", "a100"),
        ("nvidia-a100-80gb", "a100-80gb"),
        ("nvidia-l4", "l4"),
        ("Tesla T4", "t4"),
        ("A10G", "a10g"),
        ("a10", "a10"),
        ("RTX PRO 6000", "rtx-pro-6000"),
        ("rtx_pro_6000", "rtx-pro-6000"),
        ("RTX6000", "rtx6000"),
        ("AMD MI300X", "mi300x"),
        ("L40S", "l40s"),
        ("nvidia", "nvidia"),
        ("", ""),
    ] {
        assert_eq!(normalize_gpu_model(raw), want, "{raw:?}");
    }
}

#[test]
fn provider_names() {
    for (s, p) in [
        ("aws", Aws),
        ("AWS", Aws),
        ("Azure", Azure),
        ("gcp", Gcp),
        ("lambdalabs", Lambdalabs),
        ("Lambda", Lambdalabs),
    ] {
        assert_eq!(s.parse::<Provider>(), Ok(p));
    }
    let e = "gce".parse::<Provider>().unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"unknown provider "gce" (expected one of: aws, azure, gcp, lambdalabs)"#
    );
    assert_eq!(Lambdalabs.as_str(), "lambdalabs");
    assert_eq!(
        serde_json::to_string(&Provider::ALL).unwrap(),
        r#"["aws","azure","gcp","lambdalabs"]"#
    );
    assert_eq!(
        serde_json::from_str::<Provider>(r#""lambda""#).unwrap(),
        Lambdalabs
    );
}
