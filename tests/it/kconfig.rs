//! The `kconfig` target through the real tool: every provider's tree parses
//! with kconfiglib (the pinned venv) without warnings, `alldefconfig` gives
//! the smart defaults (computed here independently from catalogue rows), no
//! symbol is defined twice, and every catalogue instance type and priced
//! region is there.
use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::{devgen, example_copy, stderr, stdout, venv_python};
use devgen::catalogue::{self, Filter, Provider, Row};

/// Loads `deploy/kconfig/<provider>/Kconfig` under `srctree=<root>`, runs
/// alldefconfig (no .config: every symbol at its default) and reports what
/// the tests check, as JSON.
const PROBE: &str = r#"
import json, os, sys
import kconfiglib

root, provider, top = sys.argv[1], sys.argv[2], sys.argv[3]
os.environ["srctree"] = root
kconf = kconfiglib.Kconfig(top, warn_to_stderr=False)
P = "TERRAFORM_" + provider.upper()
# alldefconfig: write the minimal-free config of the defaults.
out = os.path.join(root, provider + ".config")
kconf.write_config(out)
config = open(out).read()
defined = [s for s in kconf.unique_defined_syms]
def prompt(node):
    return node.prompt[0] if node.prompt else None
sizes = sorted(prompt(s.nodes[0]) for s in defined if s.name.startswith(P + "_INSTANCE_SIZE_"))
families = sorted(s.name for s in defined if s.name.startswith(P + "_INSTANCE_FAMILY_"))
regions = sorted(s.nodes[0].prompt[0].split(" ")[0] for s in defined if s.name.startswith(P + "_REGION_"))
selected = sorted(s.name for s in defined if s.type == kconfiglib.BOOL and s.str_value == "y")
print(json.dumps({
    "warnings": kconf.warnings,
    "region": kconf.syms[P + "_REGION"].str_value,
    "instance_type": kconf.syms[P + "_INSTANCE_TYPE"].str_value,
    "family": kconf.syms[P + "_INSTANCE_FAMILY"].str_value,
    "selected": selected,
    "names": [s.name for s in defined],
    "multiply_defined": [s.name for s in kconf.unique_defined_syms if len(s.nodes) != 1],
    # MODULES is kconfiglib's own (the `modules` option), never defined here.
    "undefined": sorted(n for n, s in kconf.syms.items() if not s.nodes and s is not kconf.modules),
    "choices": len(kconf.unique_choices),
    "sizes": sizes,
    "families": families,
    "regions": regions,
    "config": config,
}))
"#;

fn probe(python: &Path, root: &Path, provider: &str, top: &str) -> serde_json::Value {
    let script = root.join("probe.py");
    std::fs::write(&script, PROBE).unwrap();
    let o = Command::new(python)
        .arg(&script)
        .arg(root)
        .arg(provider)
        .arg(top)
        .output()
        .expect("run python");
    assert!(
        o.status.success(),
        "kconfiglib failed on {provider}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Cheapest priced row; ties by instance type then region (one provider).
fn cheapest(rows: impl IntoIterator<Item = Row>) -> Option<Row> {
    rows.into_iter()
        .filter(|r| r.price_hourly_usd > 0.0)
        .min_by(|a, b| {
            a.price_hourly_usd
                .partial_cmp(&b.price_hourly_usd)
                .unwrap()
                .then_with(|| a.instance_type.cmp(&b.instance_type))
                .then_with(|| a.region.cmp(&b.region))
        })
}

/// `--set` value rendering every provider, not only those in `clouds:`.
const ALL_PROVIDERS: &str = "kconfig.providers=[aws,azure,gcp,lambdalabs]";

/// Only the providers in `clouds:` (the example has no lambdalabs) unless
/// `kconfig.providers` says otherwise.
#[test]
fn only_the_clouds_in_clouds_unless_configured() {
    let d = example_copy();
    render_kconfig(d.path(), &[]);
    let base = d.path().join("deploy/kconfig");
    for p in ["aws", "azure", "gcp"] {
        assert!(base.join(p).join("Kconfig").is_file(), "{p}");
    }
    assert!(!base.join("lambdalabs").exists());
    let d = example_copy();
    render_kconfig(d.path(), &["--set", "kconfig.providers=[lambdalabs]"]);
    let base = d.path().join("deploy/kconfig");
    assert!(base.join("lambdalabs/Kconfig").is_file());
    assert!(!base.join("aws").exists());
}

fn render_kconfig(root: &Path, extra: &[&str]) {
    let mut args = vec!["render", "--target", "kconfig"];
    args.extend_from_slice(extra);
    let o = devgen(root, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// The example project: defaults come from `prod` for every provider (the
/// first profile by name with a GPU service; every profile deploys to aws).
#[test]
fn every_provider_parses_with_kconfiglib_and_defaults_are_smart() {
    let Some(python) = venv_python() else { return };
    let d = example_copy();
    // lambdalabs is not in the example's `clouds:`: ask for it explicitly.
    render_kconfig(d.path(), &["--set", ALL_PROVIDERS]);
    let cat = catalogue::active();

    // prod: ollama asks for 1 × l4 with 8 vCPUs and 32 GiB, which must be
    // left after the platform's reservation (headroom).
    let gpu_fit = |p: Provider, region: Option<&str>| {
        cheapest(
            cat.list(&Filter {
                providers: vec![p],
                gpu_model: Some("l4".into()),
                min_gpus: Some(1.0),
                regions: region.map(|r| vec![r.to_string()]).unwrap_or_default(),
                ..Filter::default()
            })
            .into_iter()
            .filter(|r| {
                r.memory_gib.is_some_and(|m| {
                    let res = catalogue::headroom::reserved(p, r.vcpus, m);
                    f64::from(r.vcpus) * 1000.0 - res.cpu_millis >= 8000.0
                        && m - res.memory_mib / 1024.0 >= 32.0
                })
            }),
        )
    };
    let cpu_fit = |p: Provider, region: Option<&str>| {
        cheapest(
            cat.list(&Filter {
                providers: vec![p],
                min_vcpus: Some(8),
                min_memory_gib: Some(32.0),
                regions: region.map(|r| vec![r.to_string()]).unwrap_or_default(),
                ..Filter::default()
            })
            .into_iter()
            .filter(|r| r.gpu_model.is_none()),
        )
    };
    let aws = gpu_fit(Provider::Aws, Some("us-east-1")).unwrap();
    let gcp = gpu_fit(Provider::Gcp, Some("us-central1")).unwrap();
    assert!(gpu_fit(Provider::Azure, None).is_none(), "azure has no l4");
    // … so the example pins an A10 instance there: the default is that pin
    // (prod's GPU placement). gcp's pin is its cheapest l4 fit anyway.
    let azure = "Standard_NV36ads_A10_v5";
    assert_eq!(gcp.instance_type, "g2-standard-12");
    assert!(gpu_fit(Provider::Lambdalabs, None).is_none());
    // Lambda Labs: no l4, no CPU-only type that big: its cheapest type.
    let lambda = cpu_fit(Provider::Lambdalabs, None)
        .or_else(|| {
            cheapest(cat.list(&Filter {
                providers: vec![Provider::Lambdalabs],
                ..Filter::default()
            }))
        })
        .unwrap();
    let expected = [
        ("aws", aws.instance_type.clone(), "us-east-1".to_string()),
        ("azure", azure.to_string(), "eastus".to_string()),
        ("gcp", gcp.instance_type.clone(), "us-central1".to_string()),
        (
            "lambdalabs",
            lambda.instance_type.clone(),
            lambda.region.clone(),
        ),
    ];
    assert_eq!(aws.instance_type, "g6.4xlarge");

    for (provider, instance_type, region) in expected {
        let p: Provider = provider.parse().unwrap();
        let top = format!("deploy/kconfig/{provider}/Kconfig");
        let v = probe(&python, d.path(), provider, &top);
        assert_eq!(v["warnings"], serde_json::json!([]), "{provider}");
        assert_eq!(v["undefined"], serde_json::json!([]), "{provider}");
        assert_eq!(v["multiply_defined"], serde_json::json!([]), "{provider}");
        assert_eq!(v["instance_type"], instance_type.as_str(), "{provider}");
        assert_eq!(v["region"], region.as_str(), "{provider}");
        let inst = cat.instance(p, &instance_type).unwrap();
        assert_eq!(v["family"], inst.family.as_str(), "{provider}");

        // Symbol names: valid and unique.
        let names: Vec<String> = serde_json::from_value(v["names"].clone()).unwrap();
        let unique: BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{provider}: duplicate symbols");
        for n in &names {
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{provider}: bad symbol {n}"
            );
        }
        let upper = provider.to_ascii_uppercase();
        let size_sym = format!(
            "TERRAFORM_{upper}_INSTANCE_SIZE_{}",
            instance_type.to_ascii_uppercase().replace(['.', '-'], "_")
        );
        let selected: Vec<String> = serde_json::from_value(v["selected"].clone()).unwrap();
        assert!(
            selected.contains(&size_sym),
            "{provider}: {size_sym} not selected"
        );
        let region_sym = format!(
            "TERRAFORM_{upper}_REGION_{}",
            region.to_ascii_uppercase().replace('-', "_")
        );
        assert!(selected.contains(&region_sym), "{provider}: {region_sym}");

        // Every instance type of the catalogue, every region with a price.
        let sizes: BTreeSet<String> = serde_json::from_value(v["sizes"].clone()).unwrap();
        // (GPUs attached to a machine: `n1-standard-8 + 1 × nvidia-tesla-t4`.)
        let want: BTreeSet<String> = cat
            .instance_types(p)
            .iter()
            .map(|i| match &i.accelerator {
                Some(a) => format!("{} + {} × {}", i.name, a.count, a.accelerator_type),
                None => i.name.clone(),
            })
            .collect();
        assert_eq!(sizes, want, "{provider}: instance types");
        let regions: BTreeSet<String> = serde_json::from_value(v["regions"].clone()).unwrap();
        let want: BTreeSet<String> = cat
            .list(&Filter {
                providers: vec![p],
                ..Filter::default()
            })
            .into_iter()
            .filter(|r| r.price_hourly_usd > 0.0)
            .map(|r| r.region)
            .collect();
        assert_eq!(regions, want, "{provider}: regions");
        let families: BTreeSet<&str> = cat
            .instance_types(p)
            .iter()
            .map(|i| i.family.as_str())
            .collect();
        assert_eq!(v["families"].as_array().unwrap().len(), families.len());

        let config = v["config"].as_str().unwrap();
        assert!(
            config.contains(&format!(
                "CONFIG_TERRAFORM_{upper}_INSTANCE_TYPE=\"{instance_type}\""
            )),
            "{provider}"
        );
    }
}

/// kconfiglib's own `alldefconfig` command, as a user runs it from the
/// project root: no warnings on stderr, the smart defaults in `.config`.
#[test]
fn alldefconfig_command_from_the_project_root() {
    let Some(alldefconfig) = common::venv_tool("alldefconfig") else {
        return;
    };
    let d = example_copy();
    render_kconfig(d.path(), &[]);
    for (provider, region, instance_type) in [
        ("aws", "us-east-1", "g6.4xlarge"),
        ("gcp", "us-central1", "g2-standard-12"),
    ] {
        let config = d.path().join(format!("{provider}.config"));
        let o = Command::new(&alldefconfig)
            .arg(format!("deploy/kconfig/{provider}/Kconfig"))
            .current_dir(d.path())
            .env("srctree", ".")
            .env("KCONFIG_CONFIG", &config)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(!err.contains("warning"), "{err}");
        let text = std::fs::read_to_string(&config).unwrap();
        let upper = provider.to_ascii_uppercase();
        assert!(
            text.contains(&format!("CONFIG_TERRAFORM_{upper}_REGION=\"{region}\"\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "CONFIG_TERRAFORM_{upper}_INSTANCE_TYPE=\"{instance_type}\"\n"
            )),
            "{text}"
        );
    }
}

/// The files do not depend on which profiles were rendered, and are
/// byte-identical from one run to the next.
#[test]
fn output_is_independent_of_the_selected_profiles() {
    let d = example_copy();
    let all = d.path().join("all");
    let dev = d.path().join("dev");
    let o = devgen(
        d.path(),
        &[
            "render",
            "--target",
            "kconfig",
            "--out",
            all.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = devgen(
        d.path(),
        &[
            "render",
            "--target",
            "kconfig",
            "--profile",
            "dev",
            "--out",
            dev.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files: Vec<_> = walkdir::WalkDir::new(&all)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .collect();
    assert!(files.len() > 400, "{}", files.len());
    for f in files {
        let rel = f.path().strip_prefix(&all).unwrap();
        assert_eq!(
            std::fs::read(f.path()).unwrap(),
            std::fs::read(dev.join(rel)).unwrap(),
            "{}",
            rel.display()
        );
    }
    // Rendering again changes nothing; check is clean.
    let o = devgen(d.path(), &["render", "--target", "kconfig"]);
    assert_eq!(o.status.code(), Some(0));
    let o = devgen(d.path(), &["render", "--target", "kconfig", "--dry-run"]);
    assert!(
        stdout(&o).contains("would write 0 new, 0 updated"),
        "{}",
        stdout(&o)
    );
}

/// Snapshots of one small tree (Lambda Labs), which the example does not
/// commit (the example's aws/azure/gcp trees are committed and pinned by
/// `devgen check`, so a snapshot of them would be a second copy).
#[test]
fn snapshots_of_generated_files() {
    let d = example_copy();
    render_kconfig(d.path(), &["--set", ALL_PROVIDERS]);
    let base = d.path().join("deploy/kconfig");
    let read = |p: &str| std::fs::read_to_string(base.join(p)).unwrap();
    insta::assert_snapshot!(
        "lambdalabs_location",
        read("lambdalabs/Kconfig.location.generated")
    );
    insta::assert_snapshot!(
        "lambdalabs_compute",
        read("lambdalabs/Kconfig.compute.generated")
    );
}

/// A project that deploys to gcp with a pin and no region: the pin is the
/// default instance, the default region its cheapest; `--cloud` limits the
/// providers; `kconfig.source_dir` places the tree the way kdevops does, and
/// `output_yaml` adds kdevops' lines (which kconfiglib rejects).
#[test]
fn pin_source_dir_and_output_yaml() {
    let Some(python) = venv_python() else { return };
    let d = example_copy();
    let project = d.path().join("config/common/project.yaml");
    let text = std::fs::read_to_string(&project).unwrap();
    let text = text
        .replace("cloud: aws", "cloud: gcp")
        .replace("    region: us-central1\n", "")
        .replace(
            "clouds:\n",
            "kconfig:\n  source_dir: terraform/{provider}/kconfigs\nclouds:\n",
        );
    std::fs::write(&project, text).unwrap();
    let resources = d.path().join("config/common/resources.yaml");
    let text = std::fs::read_to_string(&resources).unwrap();
    std::fs::write(&resources, text.replace("model: a10g", "model: l4")).unwrap();
    let prod = d.path().join("config/profiles/prod.yaml");
    let text = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(
        &prod,
        text.replace(
            "        model: l4\n        count: 1\n",
            "        model: l4\n        count: 1\n      instance:\n        gcp: g2-standard-16\n",
        ),
    )
    .unwrap();
    let o = devgen(
        d.path(),
        &["render", "--target", "kconfig", "--cloud", "gcp"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        !d.path().join("deploy/kconfig/aws").exists(),
        "--cloud gcp renders gcp only"
    );

    // Move the tree where kdevops keeps it.
    let kdevops = d.path().join("terraform/gcp/kconfigs");
    std::fs::create_dir_all(kdevops.parent().unwrap()).unwrap();
    std::fs::rename(d.path().join("deploy/kconfig/gcp"), &kdevops).unwrap();
    let v = probe(&python, d.path(), "gcp", "terraform/gcp/kconfigs/Kconfig");
    assert_eq!(v["warnings"], serde_json::json!([]));
    assert_eq!(v["instance_type"], "g2-standard-16");
    let cat = catalogue::active();
    let offers = cat.offers(Provider::Gcp, "g2-standard-16");
    let cheapest = offers
        .iter()
        .filter(|o| o.price_hourly_usd > 0.0)
        .min_by(|a, b| a.price_hourly_usd.partial_cmp(&b.price_hourly_usd).unwrap())
        .unwrap();
    assert_eq!(v["region"], cheapest.region);

    // output yaml, on request only.
    let compute = std::fs::read_to_string(kdevops.join("Kconfig.compute.generated")).unwrap();
    assert!(!compute.contains("output yaml"));
    let project = d.path().join("config/common/project.yaml");
    let text = std::fs::read_to_string(&project).unwrap();
    std::fs::write(
        &project,
        text.replace("kconfig:\n", "kconfig:\n  output_yaml: true\n"),
    )
    .unwrap();
    render_kconfig(d.path(), &["--cloud", "gcp"]);
    let base = d.path().join("deploy/kconfig/gcp");
    let compute = std::fs::read_to_string(base.join("Kconfig.compute.generated")).unwrap();
    assert!(compute.contains("config TERRAFORM_GCP_INSTANCE_TYPE\n\tstring\n\toutput yaml\n"));
    assert!(compute.contains("config TERRAFORM_GCP_INSTANCE_FAMILY\n\tstring\n\toutput yaml\n"));
    let location = std::fs::read_to_string(base.join("Kconfig.location.generated")).unwrap();
    assert!(location.contains("config TERRAFORM_GCP_REGION\n\tstring\n\toutput yaml\n"));
}

/// An invalid option is an error at its file:line.
#[test]
fn bad_source_dir_is_rejected() {
    let d = example_copy();
    let project = d.path().join("config/common/project.yaml");
    let text = std::fs::read_to_string(&project).unwrap();
    std::fs::write(
        &project,
        text.replace("clouds:\n", "kconfig:\n  source_dir: \"a\\\"b\"\nclouds:\n"),
    )
    .unwrap();
    let o = devgen(d.path(), &["render", "--target", "kconfig"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("config/common/project.yaml:"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("kconfig.source_dir"), "{}", stderr(&o));
}
