//! The enrich stage: GPU services get, per cloud, the cheapest fitting
//! instance in the cloud's region (checked against a minimum computed here
//! over catalogue rows), pins are validated with errors at their file:line.
use crate::common;

use std::path::Path;

use common::{devgen, example_copy, stderr};
use devgen::catalogue::{self, Filter, Provider, Row};
use devgen::diag::{Severity, render_all};

use devgen::enrich::enrich;
use devgen::merge::SetArg;
use devgen::model::Placement;
use devgen::pipeline::{Resolved, resolve_all};
use devgen::project::Project;

fn resolve(root: &Path, sets: &[&str]) -> (Project, Vec<Resolved>) {
    let project = Project::load(root).expect("project loads");
    let sets: Vec<SetArg> = sets.iter().map(|s| SetArg::parse(s).unwrap()).collect();
    let names = project.profile_names();
    let resolved = resolve_all(&project, &names, &sets).expect("profiles resolve");
    (project, resolved)
}

fn enriched(root: &Path, sets: &[&str]) -> Vec<Resolved> {
    let (project, mut resolved) = resolve(root, sets);
    if let Err(d) = enrich(&mut resolved, &project.sources) {
        panic!("{}", plain(&d, &project));
    }
    resolved
}

/// Diagnostics as plain text (no colour codes).
fn plain(diags: &[devgen::diag::Diagnostic], project: &Project) -> String {
    let text = render_all(diags, &project.sources);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn profile<'a>(rs: &'a [Resolved], name: &str) -> &'a Resolved {
    rs.iter().find(|r| r.model.profile == name).unwrap()
}

/// Independent: the cheapest priced row of `provider` with the GPU, count,
/// vCPUs and memory, in `region` (any when `None`); ties by name, region.
fn expected(
    provider: Provider,
    gpu: &str,
    count: f64,
    cpu_millis: u32,
    memory: f64,
    region: Option<&str>,
) -> Option<Row> {
    catalogue::active()
        .list(&Filter {
            providers: vec![provider],
            gpu_model: Some(gpu.into()),
            min_gpus: Some(count),
            regions: region.map(|r| vec![r.into()]).unwrap_or_default(),
            ..Filter::default()
        })
        .into_iter()
        .filter(|r| r.price_hourly_usd > 0.0)
        // Fit leaves the platform's reservation free (headroom).
        .filter(|r| {
            r.memory_gib.is_some_and(|m| {
                let res = catalogue::headroom::reserved(provider, r.vcpus, m);
                f64::from(r.vcpus) * 1000.0 - res.cpu_millis >= f64::from(cpu_millis)
                    && m - res.memory_mib / 1024.0 >= memory
            })
        })
        .min_by(|a, b| {
            a.price_hourly_usd
                .partial_cmp(&b.price_hourly_usd)
                .unwrap()
                .then_with(|| a.instance_type.cmp(&b.instance_type))
                .then_with(|| a.region.cmp(&b.region))
        })
}

fn assert_placement(p: Option<&Placement>, want: Option<Row>, what: &str) {
    match (p, want) {
        (Some(p), Some(w)) => {
            assert_eq!(p.instance_type, w.instance_type, "{what}");
            assert_eq!(p.region, w.region, "{what}");
            assert_eq!(p.price_hourly_usd, w.price_hourly_usd, "{what}");
            assert_eq!(Some(p.gpu_model.clone()), w.gpu_model, "{what}");
            assert_eq!(Some(p.gpu_count), w.gpu_count, "{what}");
            assert!(!p.pinned, "{what}");
        }
        (None, None) => {}
        (p, w) => panic!("{what}: placement {p:?}, expected {w:?}"),
    }
}

/// A pinned placement: the catalogue's instance `name` of `provider`, its
/// price in `region`, and its own GPU model `gpu`.
fn assert_pinned(p: Option<&Placement>, provider: Provider, name: &str, region: &str, gpu: &str) {
    let what = format!("{provider} pin {name}");
    let p = p.unwrap_or_else(|| panic!("{what}: no placement"));
    let cat = catalogue::active();
    let inst = cat.instance(provider, name).expect("a catalogue instance");
    let offer = cat
        .offers(provider, name)
        .into_iter()
        .find(|o| o.region == region)
        .expect("an offer in the region");
    assert!(p.pinned, "{what}");
    assert_eq!(p.instance_type, name, "{what}");
    assert_eq!(p.region, region, "{what}");
    assert_eq!(p.price_hourly_usd, offer.price_hourly_usd, "{what}");
    assert_eq!(p.gpu_model, gpu, "{what}");
    assert_eq!(inst.gpu_model.as_deref(), Some(gpu), "{what}");
    assert_eq!(Some(p.gpu_count), inst.gpu_count, "{what}");
    assert_eq!(p.vcpus, inst.vcpus, "{what}");
    assert_eq!(Some(p.memory_gib), inst.memory_gib, "{what}");
}

/// The example's GPU pins for azure and gcp (config/common/resources.yaml).
const EXAMPLE_PINS: &str =
    "      instance:\n        azure: Standard_NV36ads_A10_v5\n        gcp: g2-standard-12\n";

/// Removes the example's azure/gcp pins: the config as if it had none.
fn strip_example_pins(root: &Path) {
    write_pin(root, "config/common/resources.yaml", EXAMPLE_PINS, "");
}

#[test]
fn example_placements_are_the_cheapest_fit_per_cloud_and_region() {
    let d = example_copy();
    let rs = enriched(d.path(), &[]);

    let staging = &profile(&rs, "staging").model.services["ollama"];
    assert_placement(
        staging.placements.get("aws"),
        expected(Provider::Aws, "a10g", 1.0, 4000, 16.0, Some("us-east-1")),
        "staging aws",
    );
    // a10g exists only on aws: the example pins an A10 on azure and an L4 on
    // gcp, and the placements carry those instances' own GPU models.
    assert_pinned(
        staging.placements.get("azure"),
        Provider::Azure,
        "Standard_NV36ads_A10_v5",
        "eastus",
        "a10",
    );
    assert_pinned(
        staging.placements.get("gcp"),
        Provider::Gcp,
        "g2-standard-12",
        "us-central1",
        "l4",
    );

    let prod = &profile(&rs, "prod").model.services["ollama"];
    assert_placement(
        prod.placements.get("aws"),
        expected(Provider::Aws, "l4", 1.0, 8000, 32.0, Some("us-east-1")),
        "prod aws",
    );
    // azure has no l4 either; gcp's pin is also its cheapest l4 fit.
    assert_pinned(
        prod.placements.get("azure"),
        Provider::Azure,
        "Standard_NV36ads_A10_v5",
        "eastus",
        "a10",
    );
    assert_pinned(
        prod.placements.get("gcp"),
        Provider::Gcp,
        "g2-standard-12",
        "us-central1",
        "l4",
    );
    assert_eq!(
        expected(Provider::Gcp, "l4", 1.0, 8000, 32.0, Some("us-central1"))
            .unwrap()
            .instance_type,
        "g2-standard-12"
    );
    for p in [staging, prod] {
        assert_eq!(
            p.placements["azure"].node_selector,
            Some(("kubernetes.azure.com/accelerator".into(), "nvidia".into()))
        );
        assert_eq!(
            p.placements["gcp"].node_selector,
            Some((
                "cloud.google.com/gke-accelerator".into(),
                "nvidia-l4".into()
            ))
        );
    }
    let aws = &prod.placements["aws"];
    assert_eq!(aws.instance_type, "g6.4xlarge");
    assert_eq!(
        aws.node_selector,
        Some((
            "node.kubernetes.io/instance-type".into(),
            "g6.4xlarge".into()
        ))
    );
    assert_eq!(aws.gpu_resource.as_deref(), Some("nvidia.com/gpu"));
    assert_eq!(
        aws.price_monthly_usd,
        (aws.price_hourly_usd * 730.0 * 100.0).round() / 100.0
    );
    assert_eq!(aws.region_name.as_deref(), Some("US East (N. Virginia)"));
    let gcp = &prod.placements["gcp"];
    assert_eq!(
        gcp.node_selector,
        Some((
            "cloud.google.com/gke-accelerator".into(),
            "nvidia-l4".into()
        ))
    );

    // No GPU, no placement.
    assert!(
        profile(&rs, "dev").model.services["ollama"]
            .placements
            .is_empty()
    );
    assert!(
        profile(&rs, "prod").model.services["devai"]
            .placements
            .is_empty()
    );
}

#[test]
fn placements_snapshot() {
    let d = example_copy();
    let rs = enriched(d.path(), &[]);
    let all: Vec<(&str, &indexmap::IndexMap<String, Placement>)> = rs
        .iter()
        .map(|r| {
            (
                r.model.profile.as_str(),
                &r.model.services["ollama"].placements,
            )
        })
        .collect();
    insta::assert_json_snapshot!(all);
}

/// Many GPU requests (through `--set`), with and without a region, checked
/// against the independent minimum on every cloud.
#[test]
fn selections_match_an_independent_minimum() {
    let d = example_copy();
    // No pins (each case asks for another GPU) and no regions but those a case
    // sets.
    strip_example_pins(d.path());
    for (file, from, to) in [
        (
            "config/common/project.yaml",
            "    region: us-east-1\n",
            "    cluster_name: lab\n",
        ),
        (
            "config/common/project.yaml",
            "    region: eastus\n",
            "    cluster_name: lab\n",
        ),
        (
            "config/common/project.yaml",
            "    region: us-central1\n",
            "",
        ),
        (
            "config/profiles/staging.yaml",
            "    region: us-east-1\n",
            "",
        ),
    ] {
        write_pin(d.path(), file, from, to);
    }
    let mut compared = 0;
    // (gpu, count, cpu, memory, regions per cloud)
    type Case<'a> = (&'a str, u32, &'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        ("h100", 8, "32", "256Gi", &[]),
        (
            "h100",
            1,
            "4",
            "16Gi",
            &[("aws", "us-west-2"), ("gcp", "europe-west4")],
        ),
        ("a100-80gb", 2, "8", "64Gi", &[]),
        ("A100_80GB", 1, "12", "80Gi", &[("azure", "westeurope")]),
        ("l4", 2, "24", "96Gi", &[]),
        (
            "t4",
            1,
            "500m",
            "2Gi",
            &[("aws", "eu-west-1"), ("azure", "westus2")],
        ),
        ("rtx pro 6000", 1, "16", "128Gi", &[]),
        ("a100", 4, "48", "340Gi", &[("gcp", "us-central1")]),
    ];
    for (gpu, count, cpu, memory, regions) in cases {
        let mut sets = vec![
            format!("services.ollama.resources.gpu.model={gpu}"),
            format!("services.ollama.resources.gpu.count={count}"),
            format!("services.ollama.resources.cpu=\"{cpu}\""),
            format!("services.ollama.resources.memory={memory}"),
        ];
        for (c, r) in *regions {
            sets.push(format!("clouds.{c}.region={r}"));
        }
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let (project, mut rs) = resolve(d.path(), &sets);
        let result = enrich(&mut rs, &project.sources);
        // CPU in millicores (fit compares it with allocatable CPU).
        let vcpus: u32 = if *cpu == "500m" {
            500
        } else {
            cpu.parse::<u32>().unwrap() * 1000
        };
        let memory_gib: f64 = memory.trim_end_matches("Gi").parse().unwrap();
        let r = profile(&rs, "staging");
        for p in [Provider::Aws, Provider::Azure, Provider::Gcp] {
            let region = regions
                .iter()
                .find(|(c, _)| *c == p.as_str())
                .map(|(_, r)| *r);
            let want = expected(
                p,
                &catalogue::normalize_gpu_model(gpu),
                f64::from(*count),
                vcpus,
                memory_gib,
                region,
            );
            let what = format!("{gpu} × {count} on {p} in {region:?}");
            if want.is_some() {
                compared += 1;
            }
            // Nothing fitting on the deploy cloud (aws) is an error; the
            // other clouds get their placements (or none) either way.
            if p == Provider::Aws {
                assert_eq!(
                    result.is_err(),
                    want.is_none(),
                    "{what}: {:?}",
                    result.as_ref().err().map(|d| plain(d, &project))
                );
            }
            assert_placement(
                r.model.services["ollama"].placements.get(p.as_str()),
                want,
                &what,
            );
        }
    }
    assert!(compared >= 15, "only {compared} placements compared");
}

fn write_pin(root: &Path, file: &str, from: &str, to: &str) {
    let p = root.join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{file} lacks {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn unknown_pin_is_an_error_at_its_line_with_fitting_names() {
    let d = example_copy();
    write_pin(
        d.path(),
        "config/profiles/prod.yaml",
        "        model: l4\n        count: 1\n",
        "        model: l4\n        count: 1\n      instance:\n        aws: g6.2xlage\n",
    );
    let o = devgen(d.path(), &["render", "--profile", "prod", "--dry-run"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    insta::assert_snapshot!(err);
    assert!(err.contains("unknown aws instance type `g6.2xlage` pinned for service `ollama`"));
    assert!(err.contains("--> config/profiles/prod.yaml:27:14"), "{err}");
    assert!(err.contains("g6.4xlarge"), "{err}");
}

#[test]
fn too_small_pin_names_what_is_missing_and_what_fits() {
    let d = example_copy();
    write_pin(
        d.path(),
        "config/profiles/prod.yaml",
        "        model: l4\n        count: 1\n",
        "        model: l4\n        count: 1\n      instance:\n        aws: g6.xlarge\n        gcp: g2-standard-4\n",
    );
    let (project, mut rs) = resolve(d.path(), &[]);
    let diags = enrich(&mut rs, &project.sources).unwrap_err();
    let text = plain(&diags, &project);
    insta::assert_snapshot!(text);
    let aws = diags
        .iter()
        .find(|d| d.message.contains("g6.xlarge"))
        .expect("aws pin error");
    assert_eq!(
        aws.message,
        "aws instance type `g6.xlarge` does not fit service `ollama`: it has 4 vCPUs (3.92 allocatable after the platform's reservation), the service needs 8; it has 16 GiB memory (14.472 GiB allocatable after the platform's reservation), the service needs 32"
    );
    let span = aws.span.as_ref().unwrap();
    assert_eq!((&*span.file, span.line), ("config/profiles/prod.yaml", 27));
    assert_eq!(
        aws.path.as_deref(),
        Some("services.ollama.resources.instance.aws")
    );
    // Every suggestion fits and is offered in us-east-1.
    let hint = aws.hint.as_deref().unwrap();
    let names = hint.rsplit(": ").next().unwrap();
    let cat = catalogue::active();
    for n in names.split(", ") {
        let i = cat.instance(Provider::Aws, n).unwrap();
        assert_eq!(i.gpu_model.as_deref(), Some("l4"), "{n}");
        assert!(i.vcpus >= 8 && i.memory_gib.unwrap() >= 32.0, "{n}");
        assert!(
            cat.offers(Provider::Aws, n)
                .iter()
                .any(|o| o.region == "us-east-1")
        );
    }
    let gcp = diags
        .iter()
        .find(|d| d.message.contains("g2-standard-4"))
        .expect("gcp pin error");
    assert_eq!(
        gcp.message,
        "gcp instance type `g2-standard-4` does not fit service `ollama`: it has 4 vCPUs (3.92 allocatable after the platform's reservation), the service needs 8; it has 16 GiB memory (13.302 GiB allocatable after the platform's reservation), the service needs 32"
    );
    let span = gcp.span.as_ref().unwrap();
    assert_eq!((&*span.file, span.line), ("config/profiles/prod.yaml", 28));
    // The example's azure pin (another GPU model, big enough) is no error.
    assert_eq!(diags.len(), 2, "{text}");
}

#[test]
fn a_pin_may_substitute_another_gpu_model_if_the_rest_fits() {
    let d = example_copy();
    // staging asks for 1 × a10g with 4 vCPUs / 16 GiB: pin an l4 on aws.
    write_pin(
        d.path(),
        "config/common/resources.yaml",
        EXAMPLE_PINS,
        "      instance:\n        aws: g6.4xlarge\n        azure: Standard_NV36ads_A10_v5\n        gcp: g2-standard-12\n",
    );
    let (project, mut rs) = resolve(d.path(), &[]);
    let warnings =
        enrich(&mut rs, &project.sources).unwrap_or_else(|d| panic!("{}", plain(&d, &project)));
    // A pin is explicit: substituting a model is not worth a warning.
    assert!(warnings.is_empty(), "{}", plain(&warnings, &project));
    let staging = &profile(&rs, "staging").model.services["ollama"];
    assert_pinned(
        staging.placements.get("aws"),
        Provider::Aws,
        "g6.4xlarge",
        "us-east-1",
        "l4",
    );
    assert_eq!(
        staging.placements["aws"].node_selector,
        Some((
            "node.kubernetes.io/instance-type".into(),
            "g6.4xlarge".into()
        ))
    );
    // The request itself is unchanged: the substitution is the placement's.
    assert_eq!(staging.resources.gpu.as_ref().unwrap().model, "a10g");

    // The rest must still fit: GPU count, a GPU at all, vCPUs, memory.
    for (from, to, cloud, pin, want) in [
        (
            "        count: 1\n",
            "        count: 2\n",
            "gcp",
            "g2-standard-12",
            "it has 1 × l4, the service needs 2",
        ),
        (
            "",
            "",
            "aws",
            "inf2.xlarge",
            "it has inferentia2 accelerators, not GPUs; the service needs a10g",
        ),
        (
            "",
            "",
            "aws",
            "m7i.xlarge",
            "it has no GPU, the service needs a10g",
        ),
        (
            "      memory: 16Gi\n",
            "      memory: 64Gi\n",
            "gcp",
            "g2-standard-8",
            "it has 32 GiB memory (28.342 GiB allocatable after the platform's reservation), the service needs 64",
        ),
    ] {
        let d = example_copy();
        write_pin(d.path(), "config/common/resources.yaml", from, to);
        let set = format!("services.ollama.resources.instance.{cloud}={pin}");
        let (project, mut rs) = resolve(d.path(), &[&set]);
        let diags = enrich(&mut rs, &project.sources).unwrap_err();
        let text = plain(&diags, &project);
        let d = diags
            .iter()
            .find(|d| d.message.contains(&format!("`{pin}`")) && d.message.contains(want))
            .unwrap_or_else(|| panic!("no error for {pin} saying {want:?}:\n{text}"));
        assert_eq!(
            d.path.as_deref(),
            Some(format!("services.ollama.resources.instance.{cloud}").as_str())
        );
    }
}

#[test]
fn valid_pin_is_used_and_marked() {
    let d = example_copy();
    write_pin(
        d.path(),
        "config/profiles/prod.yaml",
        "        model: l4\n        count: 1\n",
        "        model: l4\n        count: 1\n      instance:\n        aws: G6.4XLARGE\n",
    );
    let rs = enriched(d.path(), &[]);
    let p = &profile(&rs, "prod").model.services["ollama"].placements["aws"];
    assert_eq!(
        p.instance_type, "g6.4xlarge",
        "case-insensitive, canonical name"
    );
    assert!(p.pinned);
    assert_eq!(p.region, "us-east-1");
    let offer = catalogue::active()
        .offers(Provider::Aws, "g6.4xlarge")
        .into_iter()
        .find(|o| o.region == "us-east-1")
        .unwrap();
    assert_eq!(p.price_hourly_usd, offer.price_hourly_usd);
}

#[test]
fn pin_without_a_price_in_the_region_is_an_error() {
    let d = example_copy();
    write_pin(
        d.path(),
        "config/profiles/prod.yaml",
        "        model: l4\n        count: 1\n",
        "        model: l4\n        count: 1\n      instance:\n        aws: g6.4xlarge\n",
    );
    let (project, mut rs) = resolve(d.path(), &["clouds.aws.region=af-south-1"]);
    let diags = enrich(&mut rs, &project.sources).unwrap_err();
    let d = diags
        .iter()
        .find(|d| d.message.contains("g6.4xlarge"))
        .unwrap();
    assert!(
        d.message
            .contains("has no price in region `af-south-1` in the catalogue"),
        "{}",
        d.message
    );
    assert!(
        d.notes
            .iter()
            .any(|n| n.starts_with("regions that offer it: "))
    );
}

#[test]
fn nothing_fits_on_the_deploy_cloud_is_an_error_elsewhere_a_warning() {
    let d = example_copy();
    strip_example_pins(d.path());
    // prod deploys to aws; ask for 16 × h100, which no aws instance has.
    let (project, mut rs) = resolve(
        d.path(),
        &[
            "services.ollama.resources.gpu.model=h100",
            "services.ollama.resources.gpu.count=16",
        ],
    );
    let diags = enrich(&mut rs, &project.sources).unwrap_err();
    let text = plain(&diags, &project);
    assert!(diags.iter().all(|d| d.severity == Severity::Error));
    assert!(
        text.contains("no aws instance type fits service `ollama` (16 × h100, ≥ 4 vCPUs, ≥ 16 GiB memory) in region `us-east-1`"),
        "{text}"
    );
    assert!(
        text.contains("no aws instance has 16 × h100; the most is 8 (p5.48xlarge)"),
        "{text}"
    );
    assert!(text.contains("remove `aws` from `clouds`"), "{text}");

    // A GPU aws has, but not in the region: the hint is about the region.
    let (project, mut rs) = resolve(
        d.path(),
        &[
            "services.ollama.resources.gpu.model=h100",
            "clouds.aws.region=af-south-1",
        ],
    );
    let diags = enrich(&mut rs, &project.sources).unwrap_err();
    let text = plain(&diags, &project);
    assert!(text.contains("in region `af-south-1`"), "{text}");
    assert!(
        text.contains(
            "; or set `clouds.aws.region` to a region that has one; or remove `aws` from `clouds`"
        ),
        "{text}"
    );
    // … after a pin of another GPU model that is offered there.
    assert!(
        text.contains("help: pin `services.ollama.resources.instance.aws: "),
        "{text}"
    );
    assert!(text.contains("regions that have one: "), "{text}");

    // The example itself: its pins leave nothing to warn about.
    let e = example_copy();
    let (project, mut rs) = resolve(e.path(), &[]);
    let warnings = enrich(&mut rs, &project.sources).unwrap();
    assert!(warnings.is_empty(), "{}", plain(&warnings, &project));

    // Without them, a10g is aws-only and azure has no l4 → warnings for
    // azure and gcp, each naming the cheapest pin that would do.
    let (project, mut rs) = resolve(d.path(), &[]);
    let warnings = enrich(&mut rs, &project.sources).unwrap();
    assert!(warnings.iter().all(|w| w.severity == Severity::Warning));
    assert_eq!(warnings.len(), 3);
    let text = plain(&warnings, &project);
    insta::assert_snapshot!("example_warnings", text);
    for (cloud, provider, region, vcpus, memory) in [
        ("azure", Provider::Azure, "eastus", 4, 16.0),
        ("azure", Provider::Azure, "eastus", 8, 32.0),
        ("gcp", Provider::Gcp, "us-central1", 4, 16.0),
    ] {
        // a10g and l4 both have 24 GiB per GPU (the CSV data says so).
        let want = cheapest_any_gpu(provider, 1.0, vcpus, memory, region, 24.0).unwrap();
        let pin = format!(
            "pin `services.ollama.resources.instance.{cloud}: {}` — ",
            want.instance_type
        );
        let w = warnings
            .iter()
            .find(|w| {
                w.message.starts_with(&format!("no {cloud} "))
                    && w.message.contains(&format!("≥ {vcpus} vCPUs"))
            })
            .unwrap();
        let hint = w.hint.as_deref().unwrap();
        assert!(hint.starts_with(&pin), "{hint}");
        assert!(
            hint.ends_with(&format!("; or remove `{cloud}` from `clouds`")),
            "{hint}"
        );
        assert!(
            hint.contains(&format!("${:.4}/hour", want.price_hourly_usd)),
            "{hint}"
        );
        // That pin is accepted and clears the warning in the profile it was
        // for (the other profiles may need more than it has).
        let prof = w
            .notes
            .last()
            .and_then(|n| n.strip_prefix("in profile "))
            .unwrap()
            .to_string();
        let set = format!(
            "services.ollama.resources.instance.{cloud}={}",
            want.instance_type
        );
        let (project, mut rs) = resolve(d.path(), &[&set]);
        let left = enrich(&mut rs, &project.sources).unwrap_or_else(|e| e);
        let about_profile = |l: &&devgen::diag::Diagnostic| {
            l.notes
                .iter()
                .any(|n| n.starts_with("in profile") && n.contains(prof.as_str()))
        };
        assert!(
            !left.iter().filter(about_profile).any(|l| {
                l.message == w.message || l.message.contains(&format!("`{}`", want.instance_type))
            }),
            "{}",
            plain(&left, &project)
        );
        let placed = &profile(&rs, &prof).model.services["ollama"].placements[cloud];
        assert!(placed.pinned);
        assert_eq!(placed.instance_type, want.instance_type);
        assert_eq!(Some(placed.gpu_model.clone()), want.gpu_model);
    }
}

/// Independent: the cheapest priced row of `provider` in `region` with at
/// least `count` GPUs of any model (not a non-GPU accelerator), `vcpus` and
/// `memory`; ties by name, region.
/// The pin the hint must suggest, computed independently from `list`: the
/// cheapest GPU instance with the count, vCPUs and memory whose GPUs have at
/// least `gpu_memory` GiB (comparable to the requested model), else the
/// cheapest of any GPU.
fn cheapest_any_gpu(
    provider: Provider,
    count: f64,
    vcpus: u32,
    memory: f64,
    region: &str,
    gpu_memory: f64,
) -> Option<Row> {
    let rows = fitting_gpu_rows(provider, count, vcpus, memory, region);
    let comparable: Vec<Row> = rows
        .iter()
        .filter(|r| r.gpu_memory_gib.is_some_and(|m| m >= gpu_memory))
        .cloned()
        .collect();
    let pool = if comparable.is_empty() {
        rows
    } else {
        comparable
    };
    pool.into_iter().min_by(|a, b| {
        a.price_hourly_usd
            .partial_cmp(&b.price_hourly_usd)
            .unwrap()
            .then_with(|| a.instance_type.cmp(&b.instance_type))
            .then_with(|| a.region.cmp(&b.region))
    })
}

fn fitting_gpu_rows(
    provider: Provider,
    count: f64,
    vcpus: u32,
    memory: f64,
    region: &str,
) -> Vec<Row> {
    catalogue::active()
        .list(&Filter {
            providers: vec![provider],
            min_gpus: Some(count),
            regions: vec![region.into()],
            ..Filter::default()
        })
        .into_iter()
        // Fit leaves the platform's reservation free (headroom).
        .filter(|r| {
            r.memory_gib.is_some_and(|m| {
                let res = catalogue::headroom::reserved(provider, r.vcpus, m);
                f64::from(r.vcpus) * 1000.0 - res.cpu_millis >= f64::from(vcpus) * 1000.0
                    && m - res.memory_mib / 1024.0 >= memory
            })
        })
        .filter(|r| {
            r.price_hourly_usd > 0.0
                && r.gpu_model.as_deref().is_some_and(|m| {
                    catalogue::accelerator_kind(m) != catalogue::AcceleratorKind::NonGpu
                })
        })
        .collect()
}

#[test]
fn cpu_only_pin_is_validated_too() {
    let d = example_copy();
    write_pin(
        d.path(),
        "config/common/resources.yaml",
        "      storage: 50Gi\n",
        "      storage: 50Gi\n      instance:\n        gcp: e2-micro\n",
    );
    let (project, mut rs) = resolve(d.path(), &[]);
    let diags = enrich(&mut rs, &project.sources).unwrap_err();
    // devai needs 4 GiB in dev and staging, 8 GiB in prod: two messages.
    assert_eq!(diags.len(), 2, "{}", plain(&diags, &project));
    assert!(
        diags[0]
            .message
            .contains("`e2-micro` does not fit service `devai`")
    );
    assert!(
        diags
            .iter()
            .any(|d| d.notes.iter().any(|n| n == "in profiles dev, staging"))
    );
    assert!(
        diags
            .iter()
            .any(|d| d.notes.iter().any(|n| n == "in profile prod"))
    );
    let span = diags[0].span.as_ref().unwrap();
    assert_eq!(
        (&*span.file, span.line),
        ("config/common/resources.yaml", 13)
    );
}
