//! GPU placement checked against an independent computation over the
//! catalogue CSVs (read here as plain text, not through devgen's catalogue
//! code): GCP GPUs attached to N1 machines (machine + N × GPU within the
//! attach limits, only where a zone sells the GPU), any-of GPU model lists,
//! fit with each platform's reserved capacity (headroom), the T4-heavy stack
//! (T4 services on aws/azure/gcp: GCP tfvars and GKE node selection carry
//! `nvidia-tesla-t4`), unknown GPU models and the idle-GPU warning.
//!
//! The CSVs are the shared seed catalogue and its additions when the
//! repository sits next to it (`../shared/catalogue`, or `DEVGEN_SEED_CATALOGUE`),
//! else the repository's `data/catalogue/` (which `scripts/catalogue_merge.py`
//! builds from that seed).
use crate::common;

use std::path::{Path, PathBuf};

use common::{devgen, example_copy, repo_root, stderr, stdout};
use serde_json::Value;

/// Where the CSVs are, and whether it is the seed layout (additions/).
fn csv_dir() -> (PathBuf, bool) {
    if let Some(d) = std::env::var_os("DEVGEN_SEED_CATALOGUE") {
        return (PathBuf::from(d), true);
    }
    let root = repo_root();
    for up in ["../shared/catalogue", "../../shared/catalogue"] {
        let d = root.join(up);
        if d.join("additions/gcp-accelerators.csv").is_file() {
            return (d, true);
        }
    }
    (root.join("data/catalogue"), false)
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// One priced offer: (instance type, accelerator (type, count), gpu model,
/// gpu count, vcpus, memory GiB, region, price).
#[derive(Clone, Debug)]
struct Offer {
    instance: String,
    accelerator: Option<(String, u32)>,
    model: String,
    count: f64,
    vcpus: f64,
    memory: f64,
    region: String,
    price: f64,
}

fn files(provider: &str) -> Vec<PathBuf> {
    let (d, seed) = csv_dir();
    match (provider, seed) {
        ("aws", true) => vec![d.join("aws.csv"), d.join("additions/aws-extra.csv")],
        ("gcp", true) => vec![d.join("gcp.csv"), d.join("additions/gcp-extra.csv")],
        ("lambdalabs", true) => vec![d.join("additions/lambdalabs-v9-all.csv")],
        (p, _) => vec![d.join(format!("{p}.csv"))],
    }
}

fn attach_file(name: &str) -> PathBuf {
    let (d, seed) = csv_dir();
    if seed {
        d.join("additions").join(name)
    } else {
        d.join(name)
    }
}

/// Priced bundled offers of `provider` (rows without a price are skipped).
fn bundled(provider: &str) -> Vec<Offer> {
    let mut out = Vec::new();
    for f in files(provider) {
        for r in read_csv(&f) {
            let Ok(price) = r[9].parse::<f64>() else {
                continue;
            };
            out.push(Offer {
                instance: r[1].clone(),
                accelerator: None,
                model: r[5].clone(),
                count: r[6].parse().unwrap_or(0.0),
                vcpus: r[3].parse::<f64>().unwrap().ceil(),
                memory: r[4].parse().unwrap_or(-1.0),
                region: r[8].clone(),
                price,
            });
        }
    }
    out
}

/// GCP N1 machine + N × attached GPU offers, computed from gcp.csv (N1 rows),
/// gcp-accelerators.csv (per-zone GPU price) and gcp-n1-limits.csv.
fn attached() -> Vec<Offer> {
    let prices = read_csv(&attach_file("gcp-accelerators.csv"));
    let limits = read_csv(&attach_file("gcp-n1-limits.csv"));
    let hosts: Vec<Offer> = bundled("gcp")
        .into_iter()
        .filter(|o| o.instance.starts_with("n1-") && o.model.is_empty())
        .collect();
    let zone_ok = |rule: &str, zone: &str| -> bool {
        if rule == "all" {
            true
        } else if let Some(rest) = rule.strip_prefix("all except ") {
            !rest.split(';').any(|z| z == zone)
        } else {
            rule.split(';').any(|z| z == zone)
        }
    };
    let mut out = Vec::new();
    let mut kinds: Vec<(String, String, u32)> = limits
        .iter()
        .map(|l| (l[0].clone(), l[1].clone(), l[2].parse().unwrap()))
        .collect();
    kinds.sort();
    kinds.dedup();
    for h in &hosts {
        for (acc, model, n) in &kinds {
            let gpu = prices
                .iter()
                .filter(|p| p[1] == *acc && p[2] == h.region)
                .filter(|p| {
                    limits.iter().any(|l| {
                        l[0] == *acc
                            && l[2].parse::<u32>().unwrap() == *n
                            && zone_ok(&l[5], &p[3])
                            && h.vcpus <= l[3].parse().unwrap()
                            && l[4].parse::<f64>().map_or(true, |m| h.memory <= m)
                    })
                })
                .map(|p| p[4].parse::<f64>().unwrap())
                .fold(f64::INFINITY, f64::min);
            if gpu.is_finite() {
                out.push(Offer {
                    instance: h.instance.clone(),
                    accelerator: Some((acc.clone(), *n)),
                    model: model.clone(),
                    count: f64::from(*n),
                    vcpus: h.vcpus,
                    memory: h.memory,
                    region: h.region.clone(),
                    price: h.price + f64::from(*n) * gpu,
                });
            }
        }
    }
    out
}

/// What the platform leaves allocatable (millicores, GiB), written out from
/// the documented rules (GKE, EKS/ECS, AKS; max pods 110).
fn allocatable(provider: &str, vcpus: f64, memory: f64) -> (f64, f64) {
    let tier = |x: f64, from: f64, to: f64| -> f64 { (x.min(to) - from).max(0.0) };
    let k8s_cpu = tier(vcpus, 0.0, 1.0) * 60.0
        + tier(vcpus, 1.0, 2.0) * 10.0
        + tier(vcpus, 2.0, 4.0) * 5.0
        + (vcpus - 4.0).max(0.0) * 2.5;
    let mib = memory * 1024.0;
    let (cpu, mem) = match provider {
        "gcp" => {
            let g = |from: f64, to: f64| tier(mib, from * 1024.0, to * 1024.0);
            let reserved = if mib < 1024.0 {
                255.0
            } else {
                g(0.0, 4.0) * 0.25
                    + g(4.0, 8.0) * 0.2
                    + g(8.0, 16.0) * 0.1
                    + g(16.0, 128.0) * 0.06
                    + (mib - 128.0 * 1024.0).max(0.0) * 0.02
            };
            (k8s_cpu, reserved + 100.0)
        }
        "aws" => (k8s_cpu, (11.0 * 110.0 + 355.0_f64).max(mib * 0.026)),
        "azure" => {
            let table = [
                (1.0, 60.0),
                (2.0, 100.0),
                (4.0, 140.0),
                (8.0, 180.0),
                (16.0, 260.0),
                (32.0, 420.0),
                (64.0, 740.0),
            ];
            let cpu = if vcpus <= 1.0 {
                60.0
            } else if vcpus >= 64.0 {
                740.0 + (vcpus - 64.0) * 10.0
            } else {
                let w = table.windows(2).find(|w| vcpus <= w[1].0).unwrap();
                w[0].1 + (vcpus - w[0].0) * (w[1].1 - w[0].1) / (w[1].0 - w[0].0)
            };
            let kube = ((20.0_f64 * 110.0 + 50.0) * 1e6 / 1_048_576.0).min(mib * 0.25);
            (cpu, kube + 100.0)
        }
        _ => (0.0, 0.0),
    };
    (vcpus * 1000.0 - cpu, (mib - mem) / 1024.0)
}

/// The cheapest offers for any of `models` × `count` with `cpu_m` millicores
/// and `memory` GiB allocatable, in `region`: (price, the tied offers).
fn cheapest(
    provider: &str,
    models: &[&str],
    count: f64,
    cpu_m: f64,
    memory: f64,
    region: Option<&str>,
    headroom: bool,
) -> (f64, Vec<Offer>) {
    cheapest_upto(
        provider,
        models,
        count,
        f64::INFINITY,
        cpu_m,
        memory,
        region,
        headroom,
    )
}

/// [`cheapest`] among offers with at most `max` GPUs.
#[allow(clippy::too_many_arguments)]
fn cheapest_upto(
    provider: &str,
    models: &[&str],
    count: f64,
    max: f64,
    cpu_m: f64,
    memory: f64,
    region: Option<&str>,
    headroom: bool,
) -> (f64, Vec<Offer>) {
    let mut all = bundled(provider);
    if provider == "gcp" {
        all.extend(attached());
    }
    let fits: Vec<Offer> = all
        .into_iter()
        .filter(|o| {
            models.contains(&o.model.as_str()) && o.count + 1e-3 >= count && o.count <= max + 1e-3
        })
        .filter(|o| region.is_none_or(|r| o.region == r) && o.price > 0.0)
        .filter(|o| {
            let (c, m) = if headroom {
                allocatable(provider, o.vcpus, o.memory)
            } else {
                (o.vcpus * 1000.0, o.memory)
            };
            o.memory >= 0.0 && c + 1e-9 >= cpu_m && m + 1e-9 >= memory
        })
        .collect();
    let best = fits.iter().map(|o| o.price).fold(f64::INFINITY, f64::min);
    let tied = fits
        .into_iter()
        .filter(|o| (o.price - best).abs() < 1e-6)
        .collect();
    (best, tied)
}

fn select_json(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["catalogue", "select", "--format", "json"];
    all.extend_from_slice(args);
    let o = devgen(dir.path(), &all);
    assert!(o.status.success(), "{all:?}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn attached_gpus_are_placements_of_machine_plus_gpus() {
    for (model, count, region) in [
        ("t4", 1.0, None),
        ("t4", 3.0, None),
        ("v100", 8.0, None),
        ("p4", 2.0, Some("europe-west4")),
        ("p100", 4.0, Some("europe-west1")),
        ("p100", 4.0, Some("us-east1")),
    ] {
        let (price, tied) = cheapest("gcp", &[model], count, 0.0, 0.0, region, false);
        assert!(price.is_finite(), "{model} × {count}: nothing expected");
        let c = count.to_string();
        let mut args = vec!["--gpu", model, "--count", &c, "--provider", "gcp"];
        if let Some(r) = region {
            args.extend(["--region", r]);
        }
        let sel = select_json(&args);
        assert!(
            (sel["price_hourly_usd"].as_f64().unwrap() - price).abs() < 1e-6,
            "{model} × {count} in {region:?}: {sel} vs expected ${price}"
        );
        let acc = &sel["accelerator"];
        let got = (
            sel["instance_type"].as_str().unwrap().to_string(),
            acc["type"].as_str().unwrap().to_string(),
            acc["count"].as_u64().unwrap() as u32,
        );
        assert!(
            tied.iter().any(|o| (
                o.instance.clone(),
                o.accelerator.clone().unwrap().0,
                o.accelerator.clone().unwrap().1
            ) == got),
            "{model}: {got:?} is not among {tied:?}"
        );
        assert_eq!(sel["gpu_model"], model);
        assert!(sel["gpu_count"].as_f64().unwrap() >= count);
        assert!(
            sel["zones"].as_array().is_some_and(|z| !z.is_empty()
                && z.iter().all(|z| z
                    .as_str()
                    .unwrap()
                    .starts_with(sel["region"].as_str().unwrap()))),
            "{sel}"
        );
    }
    // P100 × 4 on more than 64 vCPUs is not allowed in europe-west1's zones.
    let dir = tempfile::tempdir().unwrap();
    let o = devgen(
        dir.path(),
        &[
            "catalogue",
            "list",
            "--provider",
            "gcp",
            "--gpu",
            "p100",
            "--min-gpus",
            "4",
            "--region",
            "europe-west1",
            "--format",
            "json",
        ],
    );
    let rows: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r["vcpus"].as_u64().unwrap() <= 64),
        "{rows:?}"
    );
    // Every (machine, accelerator, count) the limits allow somewhere is listed.
    let o = devgen(
        dir.path(),
        &["catalogue", "list", "--provider", "gcp", "--format", "json"],
    );
    let rows: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut got: Vec<(String, String, u64)> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["accelerator"].is_null())
        .map(|r| {
            (
                r["instance_type"].as_str().unwrap().to_string(),
                r["accelerator"]["type"].as_str().unwrap().to_string(),
                r["accelerator"]["count"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    got.dedup();
    let mut want: Vec<(String, String, u64)> = attached()
        .into_iter()
        .map(|o| {
            let (a, n) = o.accelerator.unwrap();
            (o.instance, a, u64::from(n))
        })
        .collect();
    want.sort();
    want.dedup();
    assert_eq!(got, want);
}

/// The example project with its profiles replaced by one profile `p` and its
/// services by `services` (YAML under `services:`), all three clouds.
fn project(services: &str) -> tempfile::TempDir {
    let dir = example_copy();
    let root = dir.path();
    for e in std::fs::read_dir(root.join("config/profiles")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    std::fs::write(
        root.join("config/profiles/p.yaml"),
        "project:\n  environment: p\ncloud: gcp\nimage_policy: {allow_latest: true}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("config/common/resources.yaml"),
        format!("services:\n{services}"),
    )
    .unwrap();
    std::fs::write(
        root.join("config/common/ports.yaml"),
        "services:\n  devai:\n    ports:\n      http: 8888\n",
    )
    .unwrap();
    dir
}

fn cost(root: &Path) -> Value {
    let o = devgen(root, &["cost", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn service_cost<'a>(cost: &'a Value, cloud: &str, svc: &str) -> &'a Value {
    cost["profiles"][0]["clouds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cloud"] == cloud)
        .unwrap()["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == svc)
        .unwrap()
}

const REGIONS: [(&str, &str); 3] = [
    ("aws", "us-east-1"),
    ("azure", "eastus"),
    ("gcp", "us-central1"),
];

#[test]
fn any_of_models_and_headroom_pick_the_independent_cheapest() {
    // 4 vCPU / 16 GiB: the nominal 4/16 machines (g5.xlarge, g2-standard-4)
    // do not fit once the platform has reserved its share.
    let dir = project(
        "  devai:\n    image: {name: devai-lab}\n    resources: {cpu: \"1\", memory: 1Gi}\n  infer:\n    image: {name: vllm/vllm-openai, tag: v0.6.0}\n    resources:\n      cpu: \"4\"\n      memory: 16Gi\n      gpu: {model: [L4, a10g, A10], count: 1}\n",
    );
    let c = cost(dir.path());
    for (cloud, region) in REGIONS {
        let s = service_cost(&c, cloud, "infer");
        let (price, tied) = cheapest(
            cloud,
            &["l4", "a10g", "a10"],
            1.0,
            4000.0,
            16.0,
            Some(region),
            true,
        );
        assert!(
            (s["price_hourly_usd"].as_f64().unwrap() - price).abs() < 1e-6,
            "{cloud}: {s} vs expected {price} {tied:?}"
        );
        assert!(
            tied.iter()
                .any(|o| o.instance == s["instance_type"].as_str().unwrap()),
            "{cloud}: {s}"
        );
        // Without headroom the answer would be a smaller machine.
        let (nominal, _) = cheapest(
            cloud,
            &["l4", "a10g", "a10"],
            1.0,
            4000.0,
            16.0,
            Some(region),
            false,
        );
        assert!(nominal <= price);
    }
    assert_eq!(
        service_cost(&c, "aws", "infer")["instance_type"],
        "g6.2xlarge"
    );
    // tfvars record the model chosen on each cloud.
    let o = devgen(dir.path(), &["render", "--target", "tfvars"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let azure =
        std::fs::read_to_string(dir.path().join("deploy/terraform/azure/p.tfvars")).unwrap();
    let model = service_cost(&c, "azure", "infer")["gpu_model"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(azure.contains(&format!("model = \"{model}\"")), "{azure}");
    assert!(
        !azure.contains("\"L4\"") && !azure.contains("\"A10\""),
        "{azure}"
    );
}

#[test]
fn t4_heavy_stack_renders_with_gke_accelerators() {
    let dir = project(
        "  devai:\n    image: {name: devai-lab}\n    resources: {cpu: \"1\", memory: 1Gi}\n  embed:\n    image: {name: embedder, tag: \"1.0\"}\n    resources:\n      cpu: \"4\"\n      memory: 12Gi\n      gpu: {model: T4, count: 1}\n  whisper:\n    image: {name: whisper, tag: \"1.0\"}\n    replicas: 2\n    resources:\n      cpu: \"8\"\n      memory: 24Gi\n      gpu: {model: nvidia-tesla-t4, count: 2}\n",
    );
    let o = devgen(dir.path(), &["render"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = cost(dir.path());
    for (svc, count, cpu, mem) in [("embed", 1.0, 4000.0, 12.0), ("whisper", 2.0, 8000.0, 24.0)] {
        for (cloud, region) in REGIONS {
            let s = service_cost(&c, cloud, svc);
            let (price, _) = cheapest(cloud, &["t4"], count, cpu, mem, Some(region), true);
            assert!(
                (s["price_hourly_usd"].as_f64().unwrap() - price).abs() < 1e-6,
                "{svc} on {cloud}: {s} vs {price}"
            );
            assert_eq!(s["gpu_model"], "t4");
        }
        let g = service_cost(&c, "gcp", svc);
        assert_eq!(g["accelerator"]["type"], "nvidia-tesla-t4", "{g}");
        assert!(g["instance_type"].as_str().unwrap().starts_with("n1-"));
    }
    let tf = std::fs::read_to_string(dir.path().join("deploy/terraform/gcp/p.tfvars")).unwrap();
    assert!(tf.contains("type  = \"nvidia-tesla-t4\""), "{tf}");
    assert!(tf.contains("us-central1-a"), "{tf}");
    // GKE node selection, as kubectl kustomize evaluates the overlay of this
    // gcp profile, and the Helm values for gcp.
    match common::kubectl() {
        Some(kubectl) => {
            let out = std::process::Command::new(kubectl)
                .args(["kustomize"])
                .arg(dir.path().join("deploy/kubernetes/overlays/p"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let built = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                built
                    .matches("cloud.google.com/gke-accelerator: nvidia-tesla-t4")
                    .count(),
                2,
                "{built}"
            );
        }
        None => assert!(std::env::var("CI").is_err(), "kubectl is required under CI"),
    }
    let mut all = String::new();
    for e in walk(&dir.path().join("deploy")) {
        all.push_str(&std::fs::read_to_string(e).unwrap_or_default());
    }
    let helm = std::fs::read_to_string(
        dir.path()
            .join("deploy/helm/gpu-dev-server/p/values-gcp.yaml"),
    )
    .unwrap();
    assert!(
        helm.contains("cloud.google.com/gke-accelerator: \"nvidia-tesla-t4\""),
        "{helm}"
    );
    assert!(
        !all.contains("\"T4\"") && !all.contains("nvidia-nvidia"),
        "unnormalised spelling leaked"
    );
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn unknown_model_is_an_error_at_its_line_with_did_you_mean() {
    let dir = project(
        "  devai:\n    image: {name: devai-lab}\n  infer:\n    image: {name: vllm, tag: \"1\"}\n    resources:\n      gpu: {model: h10, count: 1}\n",
    );
    let o = devgen(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("unknown GPU model `h10`; did you mean `h100`?"),
        "{e}"
    );
    assert!(e.contains("config/common/resources.yaml:7"), "{e}");
    assert!(e.contains("known GPU models: ") && e.contains("t4"), "{e}");
}

#[test]
fn idle_gpus_warn_with_the_cheapest_alternative() {
    // 2 × h100 on aws alone gets p5.48xlarge (8 GPUs); gcp has a3-highgpu-2g.
    let dir = project(
        "  devai:\n    image: {name: devai-lab}\n  train:\n    image: {name: trainer, tag: \"1\"}\n    resources:\n      cpu: \"16\"\n      memory: 64Gi\n      gpu: {model: h100, count: 2}\n",
    );
    let o = devgen(dir.path(), &["cost"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("6 GPUs idle per replica"), "{e}");
    let (price, tied) = ["gcp", "azure"]
        .iter()
        .map(|c| {
            let region = REGIONS.iter().find(|(x, _)| x == c).unwrap().1;
            cheapest_upto(c, &["h100"], 2.0, 4.0, 16000.0, 64.0, Some(region), true)
        })
        .filter(|(_, t)| !t.is_empty())
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    assert!(tied.iter().any(|o| e.contains(&o.instance)), "{e} {tied:?}");
    assert!(e.contains(&format!("${price:.4}/hour")), "{e}");
}

#[test]
fn gpu_model_spellings_are_normalised_in_every_output() {
    // Issue #15: raw spellings never reach a written file.
    let dir = project(
        "  devai:\n    image: {name: devai-lab}\n    resources: {cpu: \"1\", memory: 1Gi}\n  big:\n    image: {name: trainer, tag: \"1\"}\n    resources:\n      cpu: \"8\"\n      memory: 64Gi\n      gpu: {model: H100 80GB, count: 1}\n  mid:\n    image: {name: infer, tag: \"1\"}\n    resources:\n      cpu: \"8\"\n      memory: 64Gi\n      gpu: {model: a100_80gb, count: 1}\n",
    );
    let o = devgen(dir.path(), &["render"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Every output but the Kconfig instance lists (whose Lambda family names,
    // such as `gpu_a100_80gb_sxm4`, are instance type names, not models).
    let mut all = String::new();
    for e in walk(&dir.path().join("deploy")) {
        if !e.starts_with(dir.path().join("deploy/kconfig")) {
            all.push_str(&std::fs::read_to_string(e).unwrap_or_default());
        }
    }
    for raw in ["H100 80GB", "a100_80gb", "H100_80GB"] {
        assert!(!all.contains(raw), "raw spelling {raw:?} written");
    }
    let tf = std::fs::read_to_string(dir.path().join("deploy/terraform/aws/p.tfvars")).unwrap();
    assert!(
        tf.contains("model = \"h100\"") && tf.contains("model = \"a100-80gb\""),
        "{tf}"
    );
    let overlay = walk(&dir.path().join("deploy/kubernetes/overlays/p"))
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<String>();
    assert!(
        overlay.contains("nvidia-h100-80gb") && overlay.contains("nvidia-a100-80gb"),
        "{overlay}"
    );
}
