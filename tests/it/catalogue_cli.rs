//! `devgen catalogue list|select|status` and `devgen cost` through the binary:
//! output snapshots, exit codes, the "nothing fits" explanation, and the
//! selections checked against an independent minimum over the catalogue rows.
use crate::common;

use common::{devgen, example_copy, repo_root, stderr, stdout};
use devgen::catalogue::{self, Filter, Provider, Row};

fn run(args: &[&str]) -> std::process::Output {
    devgen(&repo_root(), args)
}

fn run_ok(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

/// The cheapest row (ties: provider order, instance type, region) among
/// `rows` that has a price, computed here without `Catalogue::select`.
fn cheapest(rows: &[Row]) -> Option<&Row> {
    rows.iter()
        .filter(|r| r.price_hourly_usd > 0.0)
        .min_by(|a, b| {
            a.price_hourly_usd
                .partial_cmp(&b.price_hourly_usd)
                .unwrap()
                .then_with(|| a.provider.cmp(&b.provider))
                .then_with(|| a.instance_type.cmp(&b.instance_type))
                .then_with(|| a.region.cmp(&b.region))
        })
}

#[test]
fn list_table_aws_h100() {
    insta::assert_snapshot!(run_ok(&[
        "catalogue",
        "list",
        "--provider",
        "aws",
        "--gpu",
        "H100",
        "--region",
        "us-east-1"
    ]));
}

#[test]
fn list_json_has_the_design_columns_and_filters() {
    let text = run_ok(&[
        "catalogue",
        "list",
        "--gpu",
        "A100_80GB",
        "--min-gpus",
        "8",
        "--provider",
        "gcp",
        "--provider",
        "azure",
        "--format",
        "json",
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert!(!rows.is_empty());
    for r in &rows {
        for key in [
            "provider",
            "instance_type",
            "family",
            "vcpus",
            "memory_gib",
            "gpu_model",
            "gpu_count",
            "region",
            "price_hourly_usd",
            "spot_price_hourly_usd",
        ] {
            assert!(r.get(key).is_some(), "missing {key} in {r}");
        }
        assert_eq!(
            r["gpu_model"], "a100-80gb",
            "a100 and a100-80gb are different models"
        );
        assert!(r["gpu_count"].as_f64().unwrap() >= 8.0);
        assert!(["gcp", "azure"].contains(&r["provider"].as_str().unwrap()));
    }
    // Same rows as the library's own listing.
    let lib = catalogue::active().list(&Filter {
        providers: vec![Provider::Azure, Provider::Gcp],
        gpu_model: Some("a100-80gb".into()),
        min_gpus: Some(8.0),
        ..Filter::default()
    });
    assert_eq!(rows.len(), lib.len());
}

#[test]
fn list_csv_min_memory_and_vcpus() {
    let text = run_ok(&[
        "catalogue",
        "list",
        "--provider",
        "lambdalabs",
        "--min-vcpus",
        "100",
        "--min-memory",
        "1000",
        "--region",
        "us-east-1",
        "--format",
        "csv",
    ]);
    insta::assert_snapshot!(text);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "provider,instance_type,family,vcpus,memory_gib,gpu_model,gpu_count,gpu_memory_gib,region,price_hourly_usd,spot_price_hourly_usd"
        )
    );
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        assert!(f[3].parse::<u32>().unwrap() >= 100, "{l}");
        assert!(f[4].parse::<f64>().unwrap() >= 1000.0, "{l}");
    }
}

#[test]
fn list_min_gpu_memory() {
    let text = run_ok(&[
        "catalogue",
        "list",
        "--provider",
        "aws",
        "--min-gpu-memory",
        "1000",
        "--format",
        "json",
    ]);
    let rows: Vec<Row> = serde_json::from_str(&text).unwrap();
    assert!(!rows.is_empty());
    for r in &rows {
        let total = r.gpu_memory_gib.unwrap() * r.gpu_count.unwrap_or(1.0).max(1.0);
        assert!(total >= 1000.0, "{r:?}");
    }
}

#[test]
fn list_unknown_gpu_says_why() {
    let o = run(&["catalogue", "list", "--gpu", "h1000"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "no matching instance types\n");
    assert!(
        stderr(&o).contains("did you mean \"h100\"?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn select_text_and_json() {
    insta::assert_snapshot!(
        "select_text_a10g_aws",
        run_ok(&[
            "catalogue",
            "select",
            "--gpu",
            "a10g",
            "--provider",
            "aws",
            "--region",
            "us-east-1"
        ])
    );
    let json = run_ok(&[
        "catalogue",
        "select",
        "--gpu",
        "h100",
        "--count",
        "8",
        "--format",
        "json",
    ]);
    insta::assert_snapshot!("select_json_8_h100", json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for key in [
        "provider",
        "instance_type",
        "region",
        "gpu_model",
        "gpu_count",
        "price_hourly_usd",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
}

/// `select` against an independent minimum over `list` rows, for requests
/// across providers, regions, fractional counts and spelling variants.
#[test]
fn select_matches_independent_minimum() {
    type Case<'a> = (
        &'a str,
        f64,
        &'a [&'a str],
        &'a [&'a str],
        Option<u32>,
        Option<f64>,
    );
    let cases: &[Case] = &[
        ("l4", 1.0, &[], &[], None, None),
        ("L4", 2.0, &["gcp"], &[], None, None),
        ("a100_80gb", 8.0, &[], &[], None, None),
        ("A100", 1.0, &["azure", "gcp"], &[], None, None),
        (
            "h100",
            8.0,
            &["aws"],
            &["us-east-1", "us-west-2"],
            None,
            None,
        ),
        ("t4", 1.0, &[], &[], Some(16), Some(64.0)),
        ("a10", 0.5, &["azure"], &[], None, None),
        (
            "rtx pro 6000",
            1.0,
            &[],
            &["eastus", "us-central1"],
            None,
            None,
        ),
        ("v100", 4.0, &["aws", "gcp", "azure"], &[], Some(32), None),
        ("h200", 8.0, &[], &[], None, Some(1000.0)),
    ];
    for (gpu, count, providers, regions, vcpus, memory) in cases {
        let mut args: Vec<String> = vec![
            "catalogue".into(),
            "select".into(),
            "--gpu".into(),
            gpu.to_string(),
            "--count".into(),
            count.to_string(),
            "--format".into(),
            "json".into(),
        ];
        for p in *providers {
            args.extend(["--provider".into(), p.to_string()]);
        }
        for r in *regions {
            args.extend(["--region".into(), r.to_string()]);
        }
        if let Some(v) = vcpus {
            args.extend(["--min-vcpus".into(), v.to_string()]);
        }
        if let Some(m) = memory {
            args.extend(["--min-memory".into(), m.to_string()]);
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&argv);

        let rows = catalogue::active().list(&Filter {
            providers: providers.iter().map(|p| p.parse().unwrap()).collect(),
            gpu_model: Some(gpu.to_string()),
            min_gpus: Some(*count),
            min_vcpus: *vcpus,
            min_memory_gib: *memory,
            regions: regions.iter().map(|r| r.to_string()).collect(),
            ..Filter::default()
        });
        match cheapest(&rows) {
            Some(want) => {
                assert_eq!(o.status.code(), Some(0), "{argv:?}: {}", stderr(&o));
                let got: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
                assert_eq!(got["provider"], want.provider.as_str(), "{argv:?}");
                assert_eq!(
                    got["instance_type"],
                    want.instance_type.as_str(),
                    "{argv:?}"
                );
                assert_eq!(got["region"], want.region.as_str(), "{argv:?}");
                assert_eq!(got["price_hourly_usd"], want.price_hourly_usd, "{argv:?}");
            }
            None => assert_eq!(o.status.code(), Some(1), "{argv:?}: {}", stdout(&o)),
        }
    }
}

#[test]
fn select_nothing_fits_says_why_and_exits_1() {
    let o = run(&[
        "catalogue",
        "select",
        "--gpu",
        "h100",
        "--count",
        "16",
        "--provider",
        "aws",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    assert!(
        stderr(&o).contains("no aws instance has 16 × h100; the most is 8 (p5.48xlarge)"),
        "{}",
        stderr(&o)
    );
    let o = run(&["catalogue", "select", "--gpu", "a10g", "--provider", "gcp"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("aws offers it"), "{}", stderr(&o));
    let o = run(&[
        "catalogue",
        "select",
        "--gpu",
        "l4",
        "--provider",
        "aws",
        "--region",
        "us-east-l",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean \"us-east-1\"?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&["catalogue", "select", "--gpu", "h100", "--provider", "awz"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown provider `awz`"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("did you mean `aws`?"), "{}", stderr(&o));
    let o = run(&["catalogue", "list", "--provider", "oracle"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["catalogue", "select", "--gpu", "h100", "--count", "0"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["catalogue", "select"]);
    assert_eq!(o.status.code(), Some(2), "--gpu is required");
    assert!(!stderr(&o).contains("panicked"));
}

#[test]
fn offline_flag_is_accepted() {
    let a = run_ok(&["catalogue", "select", "--gpu", "l4", "--offline"]);
    let b = run_ok(&["catalogue", "select", "--gpu", "l4"]);
    assert_eq!(a, b);
}

#[test]
fn status_table_and_json() {
    insta::assert_snapshot!(run_ok(&["catalogue", "status"]));
    let v: serde_json::Value =
        serde_json::from_str(&run_ok(&["catalogue", "status", "--format", "json"])).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for (r, p) in rows.iter().zip(Provider::ALL) {
        assert_eq!(r["provider"], p.as_str());
        assert_eq!(r["source"], "embedded");
        let n = catalogue::active().instance_types(p).len();
        assert_eq!(r["instance_types"].as_u64().unwrap() as usize, n);
    }
}

#[test]
fn cost_table_and_json_of_the_example() {
    let o = devgen(&repo_root(), &["cost"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("cost_table", stdout(&o));
    let json = run_ok(&["cost", "--profile", "prod", "--format", "json"]);
    insta::assert_snapshot!("cost_json_prod", json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let aws = &v["profiles"][0]["clouds"][0];
    assert_eq!(aws["cloud"], "aws");
    // Every priced line is replicas × hourly × 730, and the total their sum.
    let mut sum = 0.0;
    for s in aws["services"].as_array().unwrap() {
        let hourly = s["price_hourly_usd"].as_f64().unwrap();
        let replicas = s["replicas"].as_f64().unwrap();
        let monthly = s["monthly_usd"].as_f64().unwrap();
        assert!((monthly - replicas * hourly * 730.0).abs() < 0.01, "{s}");
        sum += monthly;
    }
    assert!((aws["monthly_usd"].as_f64().unwrap() - sum).abs() < 0.01);
    // ollama (GPU) runs on its placement: the cheapest l4 fit in us-east-1.
    let ollama = &aws["services"][1];
    assert_eq!(ollama["basis"], "gpu");
    assert_eq!(ollama["gpu_model"], "l4");
    // devai (CPU only) on the cheapest CPU-only instance with ≥ 2 vCPUs and
    // ≥ 8 GiB left after the platform's reservation (EKS: 60+10 m of the
    // first two cores, 5 m each of the next two, 2.5 m above four; memory
    // 11 MiB × 110 pods + 255 MiB + 100 MiB eviction, or 2.6% if more).
    let devai = &aws["services"][0];
    assert_eq!(devai["basis"], "general-purpose");
    let rows = catalogue::active().list(&Filter {
        providers: vec![Provider::Aws],
        regions: vec!["us-east-1".into()],
        ..Filter::default()
    });
    let fits = |r: &Row| {
        let v = f64::from(r.vcpus);
        let cpu = v * 1000.0
            - (60.0 * v.min(1.0)
                + 10.0 * (v.min(2.0) - 1.0).max(0.0)
                + 5.0 * (v.min(4.0) - 2.0).max(0.0)
                + 2.5 * (v - 4.0).max(0.0));
        let mem = r.memory_gib.unwrap_or(0.0);
        let left = mem - (1565.0_f64).max(mem * 1024.0 * 0.026) / 1024.0;
        cpu >= 2000.0 && left >= 8.0
    };
    let cpu_only: Vec<Row> = rows
        .into_iter()
        .filter(|r| r.gpu_model.is_none() && fits(r))
        .collect();
    let want = cheapest(&cpu_only).unwrap();
    assert_eq!(devai["instance_type"], want.instance_type.as_str());
    assert_eq!(devai["replicas"], 3, "autoscaling min");
    assert_eq!(devai["max_replicas"], 10, "autoscaling max");
}

#[test]
fn cost_of_an_invalid_pin_fails_like_render() {
    let d = example_copy();
    let res = d.path().join("config/common/resources.yaml");
    let text = std::fs::read_to_string(&res).unwrap();
    // The example already pins azure and gcp: add a bad aws pin to that map.
    let pins = "      instance:\n        azure: Standard_NV36ads_A10_v5\n";
    assert!(text.contains(pins), "{text}");
    std::fs::write(
        &res,
        text.replace(
            pins,
            "      instance:\n        aws: g5.nope\n        azure: Standard_NV36ads_A10_v5\n",
        ),
    )
    .unwrap();
    let o = devgen(d.path(), &["cost", "--profile", "staging"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("unknown aws instance type `g5.nope`"),
        "{}",
        stderr(&o)
    );
}
