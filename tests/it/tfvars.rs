//! The `tfvars` target against real Terraform (offline): every generated
//! `deploy/terraform/<cloud>/<profile>.tfvars` plans against a copy of that
//! cloud's hand-written `variables.tf` with no warning, is `terraform fmt`
//! clean, and every value reads back exactly through `terraform console`.
use crate::common;
use crate::hostile;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{devgen, example_copy, repo_root, stderr, stdout, terraform};
use serde_json::Value;

const CLOUDS: [&str; 3] = ["aws", "azure", "gcp"];
const PROFILES: [&str; 3] = ["dev", "staging", "prod"];

fn render(dir: &Path, args: &[&str]) {
    let mut all = vec!["render", "--target", "tfvars"];
    all.extend_from_slice(args);
    let o = devgen(dir, &all);
    assert!(
        o.status.success(),
        "render failed:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
}

/// Terraform with a clean environment (no CLI config, no shell TF_VAR_*).
fn tf(bin: &Path, dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write as _;
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("run terraform");
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// A scratch root holding only `cloud`'s variables.tf and the tfvars file.
fn scratch(project: &Path, cloud: &str, profile: &str) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root()
            .join("deploy/terraform")
            .join(cloud)
            .join("variables.tf"),
        d.path().join("variables.tf"),
    )
    .unwrap();
    let tfvars = project
        .join("deploy/terraform")
        .join(cloud)
        .join(format!("{profile}.tfvars"));
    std::fs::copy(&tfvars, d.path().join("x.tfvars")).unwrap();
    (d, tfvars)
}

fn plan(bin: &Path, dir: &Path) -> Output {
    tf(
        bin,
        dir,
        &[
            "plan",
            "-input=false",
            "-lock=false",
            "-no-color",
            "-var-file=x.tfvars",
        ],
        None,
    )
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn every_profile_and_cloud_plans_offline_and_is_fmt_clean() {
    let Some(bin) = terraform() else { return };
    let d = example_copy();
    render(d.path(), &[]);
    let mut planned = 0;
    for cloud in CLOUDS {
        for profile in PROFILES {
            let (s, path) = scratch(d.path(), cloud, profile);
            let body = std::fs::read_to_string(&path).unwrap();
            let fmt = tf(
                &bin,
                s.path(),
                &["fmt", "-check", "-diff", "-no-color", "x.tfvars"],
                None,
            );
            assert!(
                fmt.status.success(),
                "{cloud}/{profile} not fmt-clean:\n{}",
                text(&fmt)
            );
            let o = plan(&bin, s.path());
            let out = text(&o);
            assert!(
                o.status.success(),
                "{cloud}/{profile} failed to plan:\n{out}"
            );
            assert!(!out.contains("Warning"), "{cloud}/{profile}:\n{out}");
            // A GPU profile names its GPU node pool's instance type.
            let gpu = profile != "dev";
            assert_eq!(
                body.contains("\nenable_gpu    = true\n"),
                gpu,
                "{cloud}/{profile}:\n{body}"
            );
            assert_eq!(
                body.contains("\ninstance_type = \"\"\n"),
                !gpu,
                "{cloud}/{profile}:\n{body}"
            );
            planned += 1;
        }
    }
    assert_eq!(planned, CLOUDS.len() * PROFILES.len());
}

/// The GPU values of each example tfvars: (gpu_model, instance_type) of the
/// GPU node pool. aws: the cheapest fit; azure and gcp: the example's pins
/// (azure has neither a10g nor l4, gcp no a10g), with their own GPU models.
fn example_gpu(cloud: &str, profile: &str) -> (&'static str, &'static str) {
    match (cloud, profile) {
        ("aws", "staging") => ("a10g", "g5.2xlarge"),
        ("aws", "prod") => ("l4", "g6.4xlarge"),
        ("azure", _) => ("a10", "Standard_NV36ads_A10_v5"),
        ("gcp", _) => ("l4", "g2-standard-12"),
        _ => unreachable!(),
    }
}

#[test]
fn gpu_values_are_the_placements_and_pins() {
    let Some(bin) = terraform() else { return };
    let d = example_copy();
    render(d.path(), &[]);
    for cloud in CLOUDS {
        for profile in ["staging", "prod"] {
            let (s, _) = scratch(d.path(), cloud, profile);
            let v = console(
                &bin,
                s.path(),
                "{enable = var.enable_gpu, model = var.gpu_model, count = var.gpu_count, it = var.instance_type, svc = var.services[\"ollama\"].gpu, svc_it = var.services[\"ollama\"].instance_type, devai_it = var.services[\"devai\"].instance_type}",
            );
            let (model, it) = example_gpu(cloud, profile);
            assert_eq!(
                v,
                serde_json::json!({"enable": true, "model": model, "count": 1, "it": it, "svc": {"model": model, "count": 1}, "svc_it": it, "devai_it": ""}),
                "{cloud}/{profile}"
            );
        }
    }
}

/// Without the example's pins nothing fits ollama on azure (staging, prod)
/// or gcp (staging): the tfvars target fails for those clouds, once per
/// problem, at the GPU model's line, naming the pin to add; other targets
/// still render (with the enrich warnings).
#[test]
fn a_gpu_service_without_an_instance_type_fails_the_tfvars_target() {
    let d = example_copy();
    let res = d.path().join("config/common/resources.yaml");
    let config = std::fs::read_to_string(&res).unwrap();
    let pins =
        "      instance:\n        azure: Standard_NV36ads_A10_v5\n        gcp: g2-standard-12\n";
    assert!(config.contains(pins));
    std::fs::write(&res, config.replace(pins, "")).unwrap();

    let o = devgen(d.path(), &["render", "--target", "tfvars"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // One error per problem, and not also the enrich warning it replaces.
    assert_eq!(err.matches("error: no ").count(), 3, "{err}");
    assert!(!err.contains("warning:"), "{err}");
    assert!(err.contains("error: 3 problems found"), "{err}");
    for (cloud, want, at, profile, pin) in [
        (
            "azure",
            "(1 × a10g, ≥ 4 vCPUs, ≥ 16 GiB memory) in region `eastus`",
            "config/common/resources.yaml:35:16",
            "staging",
            "Standard_NV36ads_A10_v5",
        ),
        (
            "azure",
            "(1 × l4, ≥ 8 vCPUs, ≥ 32 GiB memory) in region `eastus`",
            "config/profiles/prod.yaml:24:16",
            "prod",
            "Standard_NV36ads_A10_v5",
        ),
        (
            "gcp",
            "(1 × a10g, ≥ 4 vCPUs, ≥ 16 GiB memory) in region `us-central1`",
            "config/common/resources.yaml:35:16",
            "staging",
            "g2-standard-8",
        ),
    ] {
        let head = format!("error: no {cloud} instance type fits service `ollama` {want}\n");
        let start = err
            .find(&head)
            .unwrap_or_else(|| panic!("{head}in:\n{err}"));
        let block = &err[start..];
        let block = &block[..block.find("\n\n").unwrap_or(block.len())];
        assert!(block.contains(&format!("  --> {at}\n")), "{block}");
        assert!(
            block.contains(&format!("so the {cloud} tfvars are not written")),
            "{block}"
        );
        assert!(
            block.contains(&format!("= note: in profile {profile}\n")),
            "{block}"
        );
        assert!(
            block.contains(&format!(
                "= help: pin `services.ollama.resources.instance.{cloud}: {pin}` — "
            )),
            "{block}"
        );
        assert!(
            block.ends_with(&format!("; or remove `{cloud}` from `clouds`")),
            "{block}"
        );
    }
    // All or nothing: not even the aws files were written.
    assert!(!d.path().join("deploy/terraform/aws/prod.tfvars").exists());

    // Rendering only aws is fine; azure and gcp stay warnings.
    let o = devgen(
        d.path(),
        &["render", "--target", "tfvars", "--cloud", "aws"],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(err.matches("warning: no ").count(), 3, "{err}");
    assert!(!err.contains("error"), "{err}");
    assert!(d.path().join("deploy/terraform/aws/prod.tfvars").exists());

    // Other targets keep working, with the warnings.
    let o = devgen(d.path(), &["render", "--target", "compose"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(err.matches("warning: no ").count(), 3, "{err}");
    assert!(
        err.contains("except `tfvars`, which fails for azure"),
        "{err}"
    );

    // Following the hint makes the tfvars valid.
    let Some(bin) = terraform() else { return };
    render(
        d.path(),
        &[
            "--profile",
            "staging",
            "--cloud",
            "azure",
            "--set",
            "services.ollama.resources.instance.azure=Standard_NV36ads_A10_v5",
        ],
    );
    let (s, _) = scratch(d.path(), "azure", "staging");
    let o = plan(&bin, s.path());
    assert!(o.status.success(), "{}", text(&o));
    let v = console(
        &bin,
        s.path(),
        "{model = var.gpu_model, it = var.instance_type}",
    );
    assert_eq!(
        v,
        serde_json::json!({"model": "a10", "it": "Standard_NV36ads_A10_v5"})
    );
}

#[test]
fn a_pinned_gpu_instance_plans() {
    let Some(bin) = terraform() else { return };
    let d = example_copy();
    render(
        d.path(),
        &[
            "--profile",
            "staging",
            "--cloud",
            "aws",
            "--set",
            "services.ollama.resources.instance.aws=g5.2xlarge",
        ],
    );
    let (s, path) = scratch(d.path(), "aws", "staging");
    let body = std::fs::read_to_string(&path).unwrap();
    assert!(
        body.contains("\ninstance_type = \"g5.2xlarge\"\n"),
        "{body}"
    );
    assert!(body.contains("\nenable_gpu    = true\n"), "{body}");
    let o = plan(&bin, s.path());
    assert!(o.status.success(), "{}", text(&o));
    let v = console(
        &bin,
        s.path(),
        "{gpu = var.services[\"ollama\"].gpu, it = var.services[\"ollama\"].instance_type, devai_it = var.services[\"devai\"].instance_type, model = var.gpu_model, count = var.gpu_count}",
    );
    assert_eq!(
        v,
        serde_json::json!({"gpu": {"model": "a10g", "count": 1}, "it": "g5.2xlarge", "devai_it": "", "model": "a10g", "count": 1})
    );
    // Only the selected cloud and profile were written.
    assert!(
        !d.path()
            .join("deploy/terraform/gcp/staging.tfvars")
            .exists()
    );
    assert!(!d.path().join("deploy/terraform/aws/dev.tfvars").exists());
}

/// Evaluate `expr` with the scratch root's x.tfvars; returns it as JSON.
fn console(bin: &Path, dir: &Path, expr: &str) -> Value {
    let args = ["console", "-var-file=x.tfvars"];
    let o = tf(
        bin,
        dir,
        &args,
        Some(&format!("base64encode(jsonencode({expr}))\n")),
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let b64: String = serde_json::from_str(out.trim()).expect("a quoted base64 string");
    serde_json::from_slice(&decode_base64(&b64)).expect("JSON")
}

fn decode_base64(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = A.iter().position(|x| *x == c).expect("base64") as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn values_read_back_exactly_on_every_cloud() {
    let Some(bin) = terraform() else { return };
    let d = example_copy();
    render(d.path(), &["--profile", "prod"]);
    let project = devgen::project::Project::load(d.path()).unwrap();
    let m = devgen::pipeline::resolve(&project, "prod", &[])
        .unwrap()
        .model;
    for cloud in CLOUDS {
        let (s, _) = scratch(d.path(), cloud, "prod");
        let v = console(
            &bin,
            s.path(),
            "{project_name = var.project_name, environment = var.environment, region = var.region, image = var.image, ports = var.ports, cpu = var.cpu, memory = var.memory, storage_size_gb = var.storage_size_gb, enable_https = var.enable_https, allowed_cidrs = var.allowed_cidrs, labels = var.labels, env = var.env, secret_names = var.secret_names, services = var.services}",
        );
        let devai = &m.services["devai"];
        assert_eq!(v["project_name"], "devai-lab");
        assert_eq!(v["environment"], "prod");
        assert_eq!(v["image"], devai.image.reference.as_str());
        assert_eq!(v["ports"], serde_json::json!({"http": 8888}));
        assert_eq!(v["cpu"], 2);
        assert_eq!(v["memory"], 8192);
        assert_eq!(v["storage_size_gb"], 50);
        assert_eq!(v["enable_https"], true);
        assert_eq!(
            v["allowed_cidrs"],
            serde_json::json!(["10.0.0.0/8", "192.168.0.0/16"])
        );
        assert_eq!(v["labels"], serde_json::to_value(&m.labels).unwrap());
        assert_eq!(v["env"], serde_json::to_value(&m.env).unwrap());
        assert_eq!(
            v["secret_names"],
            serde_json::json!(["OPENAI_API_KEY", "ANTHROPIC_API_KEY"])
        );
        let region = m.clouds[cloud].region.clone().unwrap();
        assert_eq!(v["region"], region.as_str());
        for (name, svc) in &m.services {
            let t = &v["services"][name];
            assert_eq!(t["image"], svc.image.reference.as_str(), "{cloud}/{name}");
            assert_eq!(
                t["env"],
                serde_json::to_value(&svc.env).unwrap(),
                "{cloud}/{name}"
            );
            assert_eq!(
                t["labels"],
                serde_json::to_value(&svc.labels).unwrap(),
                "{cloud}/{name}"
            );
            assert_eq!(t["replicas"], svc.replicas, "{cloud}/{name}");
        }
        assert_eq!(
            v["services"]["devai"]["autoscaling"],
            serde_json::json!({"min": 3, "max": 10, "cpu_percent": 70})
        );
        assert_eq!(v["services"]["ollama"]["autoscaling"], Value::Null);
        assert_eq!(v["services"]["ollama"]["memory"], 32768);
        let (model, it) = example_gpu(cloud, "prod");
        assert_eq!(
            v["services"]["ollama"]["gpu"],
            serde_json::json!({"model": model, "count": 1})
        );
        assert_eq!(v["services"]["ollama"]["instance_type"], it);
    }
}

#[test]
fn hostile_values_survive_exactly_and_stay_fmt_clean() {
    let Some(bin) = terraform() else { return };
    let d = example_copy();
    let values = hostile::all(400);
    hostile::write_config(d.path(), &values, "devai");
    // Fractional CPU and odd memory on the primary service, too.
    let o = Command::new(common::devgen_bin())
        .arg("-C")
        .arg(d.path())
        .args(["render", "--target", "tfvars", "--profile", "dev"])
        .args(["--set", "services.devai.resources.cpu=250m"])
        .args(["--set", "services.devai.resources.memory=1.5Gi"])
        .env("OPENAI_API_KEY", "sk-live-DO-NOT-WRITE")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    for cloud in CLOUDS {
        let (s, path) = scratch(d.path(), cloud, "dev");
        let body = std::fs::read_to_string(&path).unwrap();
        assert!(
            !body.contains("sk-live"),
            "a secret value in {}",
            path.display()
        );
        let fmt = tf(
            &bin,
            s.path(),
            &["fmt", "-check", "-diff", "-no-color", "x.tfvars"],
            None,
        );
        assert!(
            fmt.status.success(),
            "{cloud}: not fmt-clean:\n{}",
            text(&fmt)
        );
        let o = plan(&bin, s.path());
        assert!(
            o.status.success() && !text(&o).contains("Warning"),
            "{cloud}:\n{}",
            text(&o)
        );
        let v = console(
            &bin,
            s.path(),
            "{env = var.env, devai = var.services[\"devai\"].env, ollama = var.services[\"ollama\"].env, cpu = var.cpu, memory = var.memory}",
        );
        assert_eq!(v["cpu"], serde_json::json!(0.25));
        assert_eq!(v["memory"], 1536);
        let mut bad = Vec::new();
        for (i, want) in values.iter().enumerate() {
            for (what, key) in [
                ("env", format!("H{i}")),
                ("devai", format!("H{i}")),
                ("devai", format!("D{i}")),
                ("ollama", format!("H{i}")),
            ] {
                if v[what][&key].as_str() != Some(want.as_str()) {
                    bad.push(format!(
                        "{what}.{key}: want {want:?}, got {}",
                        v[what][&key]
                    ));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "{cloud}: {} values changed:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }
}

#[test]
fn hcl_filter_round_trips_keys_and_values() {
    // The filter alone: hostile strings as map keys and values, nested maps
    // and lists, through `terraform console` and `terraform fmt`.
    let Some(bin) = terraform() else { return };
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("variables.tf"),
        "variable \"v\" {\n  type = any\n}\n",
    )
    .unwrap();
    let values = hostile::all(300);
    let mut map = serde_json::Map::new();
    for (i, v) in values.iter().enumerate() {
        map.insert(format!("k{i}"), Value::from(v.clone()));
        if !v.is_empty() {
            map.insert(v.clone(), Value::from(i));
        }
    }
    let mut nested = serde_json::Map::new();
    nested.insert("list".into(), Value::from(values.clone()));
    nested.insert("map".into(), Value::Object(map.clone()));
    nested.insert("empty".into(), serde_json::json!({}));
    nested.insert("nums".into(), serde_json::json!([0.5, 2, 1.25, -3]));
    nested.insert("flags".into(), serde_json::json!([true, false, null]));
    let all = Value::Object(nested);
    let hcl = devgen::render::filters::hcl_value(&all, 0);
    std::fs::write(d.path().join("x.tfvars"), format!("v = {hcl}\n")).unwrap();
    let fmt = tf(
        &bin,
        d.path(),
        &["fmt", "-check", "-diff", "-no-color", "x.tfvars"],
        None,
    );
    assert!(fmt.status.success(), "not fmt-clean:\n{}", text(&fmt));
    let got = console(&bin, d.path(), "var.v");
    let got_map = got["map"].as_object().expect("a map");
    let mut bad: Vec<String> = map
        .iter()
        .filter(|(k, v)| got_map.get(*k) != Some(v))
        .map(|(k, v)| format!("{k:?}: want {v}, got {:?}", got_map.get(k)))
        .collect();
    bad.extend(
        got_map
            .keys()
            .filter(|k| !map.contains_key(*k))
            .map(|k| format!("extra key {k:?}")),
    );
    assert!(
        bad.is_empty(),
        "{} entries differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert_eq!(got["list"], Value::from(values));
    assert_eq!(got["empty"], serde_json::json!({}));
    assert_eq!(got["nums"], serde_json::json!([0.5, 2, 1.25, -3]));
    assert_eq!(got["flags"], serde_json::json!([true, false, null]));
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 8, ..Default::default() })]

    /// Property: ANY string (but NUL, which the config loader refuses), as a
    /// value and as a map key, written by the `hcl` filter reads back through
    /// real Terraform as the same string up to Unicode NFC (Terraform
    /// normalises every string to NFC; Compose keeps bytes). A batch of 40
    /// (weighted towards `${`, `%{`, `$$`, `\` and ASCII)
    /// arbitrary strings per case, one `terraform console` per case.
    #[test]
    fn hcl_filter_round_trips_any_string(
        values in proptest::collection::vec("(\\$\\{|%\\{|\\$\\$|\\\\|[\\x01-\\x7f]|[^\\x00]){0,24}", 40)
    ) {
        use unicode_normalization::UnicodeNormalization as _;
        let Some(bin) = terraform() else { return Ok(()) };
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("variables.tf"), "variable \"v\" {\n  type = any\n}\n").unwrap();
        let mut map = serde_json::Map::new();
        for (i, v) in values.iter().enumerate() {
            map.insert(format!("k{i}"), Value::from(v.clone()));
            map.insert(format!("key:{v}"), Value::from(i));
        }
        let all = serde_json::json!({"list": values, "map": map});
        let hcl = devgen::render::filters::hcl_value(&all, 0);
        std::fs::write(d.path().join("x.tfvars"), format!("v = {hcl}\n")).unwrap();
        let got = console(&bin, d.path(), "var.v");
        let nfc = |s: &str| s.nfc().collect::<String>();
        let want_list: Vec<Value> = values.iter().map(|v| Value::from(nfc(v))).collect();
        proptest::prop_assert_eq!(&got["list"], &Value::from(want_list));
        let want_map: serde_json::Map<String, Value> = map
            .iter()
            .map(|(k, v)| (nfc(k), v.as_str().map(|s| Value::from(nfc(s))).unwrap_or(v.clone())))
            .collect();
        proptest::prop_assert_eq!(&got["map"], &Value::Object(want_map));
    }
}
