//! The embedded snapshot: counts against SOURCE.md, an exact round trip of
//! the CSVs through the blob, and answers over the real data.

use std::collections::BTreeSet;

use devgen::catalogue::{
    AcceleratorKind, Catalogue, Constraint, Filter, GPU_MODEL_ALIASES, Provider, Request,
    accelerator_kind, k8s_gpu_node_selector, k8s_gpu_resource, regions_from_csv, rows_from_csv,
};

use Provider::{Aws, Azure, Gcp, Lambdalabs};

const SOURCE_MD: &str = include_str!("../../data/catalogue/SOURCE.md");

fn data(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/catalogue")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A number as SOURCE.md writes it (`44,122`).
fn number(text: &str) -> usize {
    text.trim().replace(',', "").parse().unwrap()
}

/// (rows, [gpu, accelerator, cpu-only], regions) from SOURCE.md's counts table.
fn source_counts(provider: Provider) -> (usize, [usize; 3], usize) {
    let prefix = format!("| {provider}.csv |");
    let line = SOURCE_MD
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} line in SOURCE.md"));
    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
    let kinds: Vec<usize> = cells[3].split('/').map(number).collect();
    (
        number(cells[2]),
        [kinds[0], kinds[1], kinds[2]],
        number(cells[4]),
    )
}

#[test]
fn counts_match_source_md() {
    let c = Catalogue::embedded();
    assert_eq!(c.providers(), Provider::ALL.to_vec());
    let status = c.status();
    for s in &status {
        let (rows, kinds, regions) = source_counts(s.provider);
        // GCP's attached N1 + GPU combinations are derived, not CSV rows.
        let attached: Vec<_> = c
            .list(&Filter {
                providers: vec![s.provider],
                ..Filter::default()
            })
            .into_iter()
            .filter(|r| r.accelerator.is_some())
            .collect();
        let mut attached_types: Vec<_> = attached
            .iter()
            .map(|r| (r.instance_type.clone(), r.accelerator.clone()))
            .collect();
        attached_types.sort();
        attached_types.dedup();
        assert_eq!(s.rows - attached.len(), rows, "{} rows", s.provider);
        assert_eq!(
            s.instance_types - attached_types.len(),
            kinds.iter().sum::<usize>(),
            "{} types",
            s.provider
        );
        assert_eq!(s.regions, regions, "{} regions", s.provider);
        assert_eq!(
            c.regions(s.provider).len(),
            regions,
            "{} region list",
            s.provider
        );
        let mut split = [0; 3];
        for i in c
            .instance_types(s.provider)
            .iter()
            .filter(|i| i.accelerator.is_none())
        {
            split[match i.gpu_model.as_deref().map(accelerator_kind) {
                Some(AcceleratorKind::NonGpu) => 1,
                Some(_) => 0,
                None => 2,
            }] += 1;
        }
        assert_eq!(split, kinds, "{} gpu / accelerator / cpu", s.provider);
        assert_eq!(s.source, "embedded");
    }
    let rows: Vec<usize> = status.iter().map(|s| s.rows).collect();
    assert_eq!(rows, [3404, 44122, 15035, 425]);
    let dates: Vec<Option<&str>> = status.iter().map(|s| s.data_date.as_deref()).collect();
    assert_eq!(
        dates,
        [
            Some("2026-07-20"),
            Some("2026-06-18"),
            Some("2026-07-30"),
            Some("2026-05-28")
        ]
    );
    for date in dates.into_iter().flatten() {
        assert!(SOURCE_MD.contains(date), "{date} is not in SOURCE.md");
    }
}

#[test]
fn embedded_blob_round_trips_the_csvs() {
    let mut rows = Vec::new();
    for p in Provider::ALL {
        let parsed = rows_from_csv(&data(&format!("{p}.csv"))).unwrap();
        assert!(parsed.iter().all(|r| r.provider == p));
        rows.extend(parsed);
    }
    let regions = regions_from_csv(&data("regions.csv")).unwrap();
    let japan = regions.iter().find(|r| r.code == "japaneast").unwrap();
    assert_eq!(
        japan.display_name.as_deref(),
        Some("Japan East (Tokyo, Saitama)")
    );
    let from_csv = Catalogue::from_parts(rows, regions)
        .with_attached(devgen::catalogue::AttachTable::embedded());
    let embedded = Catalogue::embedded();
    // Bit-exact numbers: prices travel as micro-dollars and must decode to
    // the same f64 as parsing the CSV text.
    assert!(from_csv.list(&Filter::default()) == embedded.list(&Filter::default()));
    for p in Provider::ALL {
        assert_eq!(from_csv.regions(p), embedded.regions(p), "{p}");
        assert_eq!(
            from_csv.instance_types(p),
            embedded.instance_types(p),
            "{p}"
        );
    }
}

#[test]
fn embedded_is_decoded_once() {
    assert!(std::ptr::eq(Catalogue::embedded(), Catalogue::embedded()));
}

#[test]
fn instance_specs() {
    let c = Catalogue::embedded();
    let p5 = c.instance(Aws, "p5.48xlarge").unwrap();
    assert_eq!(
        (
            p5.family.as_str(),
            p5.vcpus,
            p5.memory_gib,
            p5.gpu_model.as_deref(),
            p5.gpu_count,
            p5.gpu_memory_gib
        ),
        ("p5", 192, Some(2048.0), Some("h100"), Some(8.0), Some(80.0))
    );
    assert_eq!(p5.total_gpu_memory_gib(), Some(640.0));
    // Shared-core GCP types (0.25 / 0.5 vCPU in the source) round up to 1.
    assert_eq!(c.instance(Gcp, "e2-micro").unwrap().vcpus, 1);
    // Azure GPU sizes whose count or memory the source leaves empty.
    let rtx = c
        .instance(Azure, "Standard_NC16lds_xl_RTXPRO6000BSE_v6")
        .unwrap();
    assert_eq!((rtx.gpu_count, rtx.memory_gib), (None, None));
    let slice = c.instance(Azure, "Standard_NV6ads_A10_v5").unwrap();
    assert_eq!(slice.gpu_count, Some(0.1667));
    let eastus = c
        .offers(Azure, "Standard_NV6ads_A10_v5")
        .into_iter()
        .find(|o| o.region == "eastus")
        .unwrap();
    assert_eq!(eastus.region_name, Some("East US (Virginia)"));
    let zones = &c.region(Aws, "us-east-1").unwrap().zones;
    assert_eq!(zones.first().map(String::as_str), Some("us-east-1a"));
}

#[test]
fn select_over_the_embedded_data() {
    let c = Catalogue::embedded();
    let s = c.select(&Request::gpu("H100", 8.0)).unwrap();
    assert_eq!(
        (
            s.provider,
            s.instance_type.as_str(),
            s.region.as_str(),
            s.price_hourly_usd
        ),
        (Lambdalabs, "gpu_8x_h100_sxm5", "asia-northeast-1", 31.92)
    );

    let mut a10g = Request::gpu("a10g", 1.0);
    a10g.providers = vec![Aws];
    a10g.regions = vec!["us-east-1".into()];
    let s = c.select(&a10g).unwrap();
    assert_eq!(
        (s.instance_type.as_str(), s.price_hourly_usd),
        ("g5.xlarge", 1.006)
    );
    assert_eq!(s.region_name.as_deref(), Some("US East (N. Virginia)"));

    let mut aws_h100 = Request::gpu("h100", 8.0);
    aws_h100.providers = vec![Aws];
    aws_h100.regions = vec!["us-east-1".into()];
    let s = c.select(&aws_h100).unwrap();
    assert_eq!(
        (s.instance_type.as_str(), s.price_hourly_usd),
        ("p5.48xlarge", 55.04)
    );

    // The cheapest A100 80 GB anywhere, however it is spelled.
    let a = c.select(&Request::gpu("A100-80GB", 1.0)).unwrap();
    let b = c.select(&Request::gpu("a100_80gb", 1.0)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.gpu_model.as_deref(), Some("a100-80gb"));

    // A fractional L4 on AWS.
    let mut slice = Request::gpu("l4", 0.125);
    slice.providers = vec![Aws];
    let s = c.select(&slice).unwrap();
    assert_eq!((s.family.as_str(), s.gpu_count), ("g6f", Some(0.125)));
}

#[test]
fn no_fit_over_the_embedded_data() {
    let c = Catalogue::embedded();
    let mut req = Request::gpu("h100", 16.0);
    req.providers = vec![Aws];
    let e = c.select(&req).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no aws instance has 16 × h100; the most is 8 (p5.48xlarge)"
    );

    let mut req = Request::gpu("mi300x", 1.0);
    req.providers = vec![Gcp];
    let e = c.select(&req).unwrap_err();
    assert_eq!(e.constraint, Constraint::GpuModel);
    assert_eq!(
        e.to_string(),
        r#"no gcp instance offers gpu model "mi300x" (models on gcp: a100, a100-80gb, b200, gb200, h100, h200, l4, p100, p4, rtx-pro-6000, t4, v100); azure offers it"#
    );

    let mut req = Request::gpu("a10g", 1.0);
    req.providers = vec![Aws];
    req.regions = vec!["af-south-1".into()];
    let e = c.select(&req).unwrap_err();
    assert_eq!(e.constraint, Constraint::Region);
    assert!(
        e.to_string()
            .starts_with("no aws instance with 1 × a10g in region af-south-1; regions that have one: ap-east-1, ap-northeast-1, "),
        "{e}"
    );
}

#[test]
fn gpu_model_aliases_only_name_other_spellings() {
    let c = Catalogue::embedded();
    let models: BTreeSet<&str> = Provider::ALL
        .iter()
        .flat_map(|p| c.gpu_models(*p))
        .collect();
    for (alias, model) in GPU_MODEL_ALIASES {
        assert!(
            !models.contains(alias),
            "alias {alias} is a catalogue model"
        );
        assert!(
            models.contains(model),
            "alias target {model} is not a catalogue model"
        );
    }
    // Every model of the data is already normalised.
    for m in &models {
        assert_eq!(devgen::catalogue::normalize_gpu_model(m), *m);
    }
}

#[test]
fn kubernetes_node_selectors() {
    let c = Catalogue::embedded();
    let sel = |p: Provider, name: &str| {
        let i = c.instance(p, name).unwrap_or_else(|| panic!("{p} {name}"));
        k8s_gpu_node_selector(p, i).map(|(k, v)| format!("{k}={v}"))
    };
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        sel(Aws, "p5.48xlarge"),
        some("node.kubernetes.io/instance-type=p5.48xlarge")
    );
    assert_eq!(
        sel(Aws, "inf2.xlarge"),
        some("node.kubernetes.io/instance-type=inf2.xlarge")
    );
    assert_eq!(sel(Aws, "m5.large"), None);
    assert_eq!(
        sel(Gcp, "a2-highgpu-1g"),
        some("cloud.google.com/gke-accelerator=nvidia-tesla-a100")
    );
    assert_eq!(
        sel(Gcp, "a2-ultragpu-1g"),
        some("cloud.google.com/gke-accelerator=nvidia-a100-80gb")
    );
    assert_eq!(
        sel(Gcp, "a3-highgpu-8g"),
        some("cloud.google.com/gke-accelerator=nvidia-h100-80gb")
    );
    assert_eq!(
        sel(Gcp, "a3-megagpu-8g"),
        some("cloud.google.com/gke-accelerator=nvidia-h100-mega-80gb")
    );
    assert_eq!(
        sel(Gcp, "g2-standard-4"),
        some("cloud.google.com/gke-accelerator=nvidia-l4")
    );
    assert_eq!(
        sel(Gcp, "g4-standard-48"),
        some("cloud.google.com/gke-accelerator=nvidia-rtx-pro-6000")
    );
    assert_eq!(
        sel(Azure, "Standard_NC24ads_A100_v4"),
        some("kubernetes.azure.com/accelerator=nvidia")
    );
    assert_eq!(
        sel(Azure, "Standard_ND96isr_MI300X_v5"),
        some("kubernetes.azure.com/accelerator=amd")
    );
    assert_eq!(sel(Azure, "Standard_NM16ads_MA35D"), None);
    assert_eq!(sel(Lambdalabs, "gpu_1x_a10"), None);
    // Every GPU type on GCP and Azure gets a selector.
    for p in [Gcp, Azure] {
        for i in c.instance_types(p) {
            if i.gpu_model
                .as_deref()
                .is_some_and(|m| accelerator_kind(m) != AcceleratorKind::NonGpu)
            {
                assert!(k8s_gpu_node_selector(p, i).is_some(), "{p} {}", i.name);
            }
        }
    }
    let resource = |p: Provider, name: &str| k8s_gpu_resource(c.instance(p, name).unwrap());
    assert_eq!(resource(Aws, "g5.xlarge"), Some("nvidia.com/gpu"));
    assert_eq!(resource(Aws, "trn1.2xlarge"), Some("aws.amazon.com/neuron"));
    assert_eq!(
        resource(Azure, "Standard_ND96isr_MI300X_v5"),
        Some("amd.com/gpu")
    );
    assert_eq!(resource(Aws, "m5.large"), None);
}
