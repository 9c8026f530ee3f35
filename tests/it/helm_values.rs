//! The example's custom target `helm-values` against the real Helm (v3.17.2,
//! installed by `make venv`): every profile on every cloud renders with
//! `helm template`, passes `helm lint --strict` and the chart's
//! values.schema.json (Helm enforces it), and the manifests pass Kubernetes
//! schema validation; values carry exactly what config says.
use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{devgen, example_copy, helm, stderr, venv_tool};
use serde_json::{Value, json};

const PROFILES: [&str; 3] = ["dev", "staging", "prod"];
const CLOUDS: [&str; 3] = ["aws", "azure", "gcp"];
const CHART: &str = "deploy/helm/gpu-dev-server";

fn rendered_example() -> tempfile::TempDir {
    let d = example_copy();
    let o = devgen(d.path(), &["render", "--target", "helm-values"]);
    assert!(o.status.success(), "{}", stderr(&o));
    d
}

fn values_file(dir: &Path, profile: &str, cloud: &str) -> PathBuf {
    dir.join(CHART)
        .join(profile)
        .join(format!("values-{cloud}.yaml"))
}

/// `helm template devai-lab <chart> -f …`: the manifests, or Helm's error.
fn helm_template(
    helm: &Path,
    dir: &Path,
    values: &[&Path],
) -> Result<(String, Vec<Value>), String> {
    let mut cmd = Command::new(helm);
    cmd.arg("template").arg("devai-lab").arg(dir.join(CHART));
    for v in values {
        cmd.arg("-f").arg(v);
    }
    let o = cmd.output().expect("run helm");
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    let text = String::from_utf8(o.stdout).unwrap();
    let docs = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("helm output is YAML"))
        .filter(|v: &Value| !v.is_null())
        .collect();
    Ok((text, docs))
}

fn object<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn env_of(dep: &Value) -> Vec<Value> {
    dep["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn every_profile_on_every_cloud_renders_with_helm() {
    let Some(helm) = helm() else { return };
    let d = rendered_example();
    let out = tempfile::tempdir().unwrap();
    let mut manifests = Vec::new();
    for profile in PROFILES {
        for cloud in CLOUDS {
            let vf = values_file(d.path(), profile, cloud);
            let what = format!("{profile}/{cloud}");
            let (text, docs) =
                helm_template(&helm, d.path(), &[&vf]).unwrap_or_else(|e| panic!("{what}: {e}"));
            let m = out.path().join(format!("{profile}-{cloud}.yaml"));
            std::fs::write(&m, &text).unwrap();
            manifests.push(m);

            let kinds: Vec<&str> = docs.iter().map(|x| x["kind"].as_str().unwrap()).collect();
            // Both services keep data per replica: StatefulSets.
            assert_eq!(
                kinds.iter().filter(|k| **k == "StatefulSet").count(),
                2,
                "{what}: {kinds:?}"
            );
            assert!(!kinds.contains(&"Deployment"), "{what}: {kinds:?}");

            // Replicas and images from config.
            let devai = object(&docs, "StatefulSet", "devai");
            let ollama = object(&docs, "StatefulSet", "ollama");
            let (devai_replicas, ollama_replicas, tag) = match profile {
                "prod" => (3, 2, "1.4.1"),
                "staging" => (1, 1, "1.4.0"),
                _ => (1, 1, "latest"),
            };
            if profile == "prod" {
                // The HPA owns devai's replicas.
                assert!(devai["spec"]["replicas"].is_null(), "{what}");
                let hpa = object(&docs, "HorizontalPodAutoscaler", "devai");
                assert_eq!(hpa["spec"]["minReplicas"], devai_replicas, "{what}");
            } else {
                assert_eq!(devai["spec"]["replicas"], devai_replicas, "{what}");
            }
            assert_eq!(ollama["spec"]["replicas"], ollama_replicas, "{what}");
            let devai_image = devai["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap();
            if profile == "dev" {
                assert_eq!(devai_image, "devai-lab:latest");
            } else {
                assert_eq!(
                    devai_image,
                    format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/devai-lab:{tag}")
                );
            }
            assert_eq!(devai["metadata"]["annotations"]["devgen.io/cloud"], cloud);
            assert_eq!(devai["metadata"]["labels"]["tier"], "frontend");

            // Env: global + own; secrets only by reference.
            let env = env_of(devai);
            let plain = |n: &str| {
                env.iter()
                    .find(|e| e["name"] == n)
                    .map(|e| e["value"].clone())
            };
            assert_eq!(plain("OLLAMA_HOST"), Some(json!("http://ollama:11434")));
            assert_eq!(
                plain("LOG_LEVEL"),
                Some(json!(if profile == "dev" { "debug" } else { "info" }))
            );
            assert_eq!(plain("WORKERS").is_some(), profile == "prod", "{what}");
            let secret = env.iter().find(|e| e["name"] == "OPENAI_API_KEY").unwrap();
            assert_eq!(
                secret["valueFrom"]["secretKeyRef"]["name"],
                "devai-lab-secrets"
            );
            assert!(secret.get("value").is_none());
            // Only devai lists secrets: ollama receives none.
            assert!(
                env_of(ollama).iter().all(|e| e.get("valueFrom").is_none()),
                "{what}: a secret reached ollama"
            );

            // Per-replica block storage on the cloud's ReadWriteOnce class.
            let claim = &ollama["spec"]["volumeClaimTemplates"][0]["spec"];
            let class = match cloud {
                "aws" => "gp3",
                "azure" => "managed-csi",
                _ => "standard-rwo",
            };
            assert_eq!(claim["storageClassName"], class, "{what}");
            assert_eq!(claim["accessModes"], json!(["ReadWriteOnce"]), "{what}");
            assert_eq!(claim["resources"]["requests"]["storage"], "100Gi");
            assert!(!kinds.contains(&"PersistentVolumeClaim"), "{what}");

            // Workload identity: the cloud's annotation where config sets one.
            let sa = object(&docs, "ServiceAccount", "devai-lab");
            let annotations = sa["metadata"]
                .get("annotations")
                .cloned()
                .unwrap_or(Value::Null);
            match (profile, cloud) {
                ("prod", "aws") => assert_eq!(
                    annotations,
                    json!({"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/devai-prod"})
                ),
                ("staging", "aws") => assert_eq!(
                    annotations,
                    json!({"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/devai-staging"})
                ),
                _ => assert_eq!(annotations, Value::Null, "{what}"),
            }

            // GPU: limits, node selector and tolerations of the cloud (dev has no GPU).
            let pod = &ollama["spec"]["template"]["spec"];
            let limits = &pod["containers"][0]["resources"]["limits"];
            let gpu = match profile {
                "prod" => Some("l4"),
                "staging" => Some("a10g"),
                _ => None,
            };
            match gpu {
                None => {
                    assert!(limits.get("nvidia.com/gpu").is_none(), "{what}");
                    assert!(pod.get("nodeSelector").is_none(), "{what}");
                    assert!(pod.get("tolerations").is_none(), "{what}");
                }
                Some(_) => {
                    assert_eq!(limits["nvidia.com/gpu"], 1, "{what}");
                    // Every cloud has a catalogue placement, whose node label
                    // wins: aws the cheapest fit in us-east-1 (an instance-type
                    // label); azure and gcp the example's pins (azure has
                    // neither a10g nor l4, gcp no a10g): an A10 on AKS's
                    // accelerator label, an L4 on GKE's. The aws fit leaves
                    // EKS/ECS's reservation free: 4 vCPU / 16 GiB needs the
                    // 8 vCPU / 32 GiB size, prod's 8 / 32 the 16 / 64 one.
                    let aws_instance = if profile == "prod" {
                        "g6.4xlarge"
                    } else {
                        "g5.2xlarge"
                    };
                    let (selector, tolerations) = match cloud {
                        "aws" => (
                            json!({"node.kubernetes.io/instance-type": aws_instance}),
                            json!([{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}]),
                        ),
                        "azure" => (
                            json!({"kubernetes.azure.com/accelerator": "nvidia"}),
                            json!([{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Equal", "value": "present"}]),
                        ),
                        _ => (
                            json!({"cloud.google.com/gke-accelerator": "nvidia-l4"}),
                            json!([{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Equal", "value": "present"}]),
                        ),
                    };
                    assert_eq!(pod["nodeSelector"], selector, "{what}");
                    assert_eq!(pod["tolerations"], tolerations, "{what}");
                }
            }
            // devai never lands on GPU nodes.
            assert!(
                devai["spec"]["template"]["spec"]
                    .get("nodeSelector")
                    .is_none()
            );

            let lint = Command::new(&helm)
                .args(["lint", "--strict"])
                .arg(d.path().join(CHART))
                .arg("-f")
                .arg(&vf)
                .output()
                .unwrap();
            assert!(
                lint.status.success(),
                "helm lint {what}: {}{}",
                String::from_utf8_lossy(&lint.stdout),
                String::from_utf8_lossy(&lint.stderr)
            );
        }
    }

    // The manifests are valid Kubernetes objects.
    let Some(kv) = venv_tool("kubernetes-validate") else {
        return;
    };
    let o = Command::new(kv)
        .args(["--strict", "--quiet", "-k", "1.32.0"])
        .args(&manifests)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "kubernetes-validate: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn chart_defaults_alone_render() {
    let Some(helm) = helm() else { return };
    let d = rendered_example();
    let (_, docs) = helm_template(&helm, d.path(), &[]).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|x| x["kind"].as_str().unwrap()).collect();
    // No service: the default-deny and DNS policies and the identity account.
    assert_eq!(kinds, ["NetworkPolicy", "NetworkPolicy", "ServiceAccount"]);
}

#[test]
fn helm_enforces_the_values_schema() {
    let Some(helm) = helm() else { return };
    let d = rendered_example();
    let vf = values_file(d.path(), "prod", "aws");
    let good = std::fs::read_to_string(&vf).unwrap();
    assert!(good.contains("    replicas: 3\n"));

    std::fs::write(
        &vf,
        good.replace("    replicas: 3\n", "    replicas: \"three\"\n"),
    )
    .unwrap();
    let err = helm_template(&helm, d.path(), &[&vf]).expect_err("a string replica count must fail");
    assert!(
        err.contains("values don't meet the specifications of the schema"),
        "{err}"
    );
    assert!(err.contains("replicas"), "{err}");

    std::fs::write(
        &vf,
        good.replace("    replicas: 3\n", "    replicas: 3\n    replicaz: 3\n"),
    )
    .unwrap();
    let err = helm_template(&helm, d.path(), &[&vf]).expect_err("an unknown key must fail");
    assert!(err.contains("replicaz"), "{err}");

    std::fs::write(
        &vf,
        good.replace("effect: \"NoSchedule\"", "effect: \"Sometimes\""),
    )
    .unwrap();
    assert!(helm_template(&helm, d.path(), &[&vf]).is_err());
}

#[test]
fn awkward_values_survive_helm_exactly() {
    let Some(helm) = helm() else { return };
    let d = example_copy();
    let env_file = d.path().join("config/common/env.yaml");
    let text = std::fs::read_to_string(&env_file).unwrap();
    let tricky = "q\"uote 'single' $HOME ${VAR} #hash \\ back\nsecond line: ü 🚀 {a: [b]} yes";
    let yaml_tricky = serde_json::to_string(tricky).unwrap();
    let text = text.replacen(
        "  LOG_LEVEL: info\n",
        &format!("  LOG_LEVEL: info\n  TRICKY: {yaml_tricky}\n  \"on\": \"off\"\n"),
        1,
    );
    std::fs::write(&env_file, text).unwrap();
    let o = devgen(d.path(), &["render", "--target", "helm-values"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let vf = values_file(d.path(), "prod", "gcp");
    let (_, docs) = helm_template(&helm, d.path(), &[&vf]).unwrap();
    for name in ["devai", "ollama"] {
        let env = env_of(object(&docs, "StatefulSet", name));
        let get = |n: &str| {
            env.iter()
                .find(|e| e["name"] == n)
                .map(|e| e["value"].clone())
        };
        assert_eq!(get("TRICKY"), Some(json!(tricky)), "{name}");
        assert_eq!(get("on"), Some(json!("off")), "{name}");
    }
}

/// A catalogue placement's node selector (filled by the enrich stage) wins over
/// the per-cloud default; clouds without a placement keep the default.
#[test]
fn placement_node_selector_wins_over_the_default() {
    use devgen::model::Placement;
    use devgen::render::custom::discover;
    use devgen::render::{Engine, RenderOptions, Target};

    let d = example_copy();
    let project = devgen::project::Project::load(d.path())
        .map_err(|e| e[0].message.clone())
        .unwrap();
    let mut model = devgen::pipeline::resolve(&project, "prod", &[])
        .map_err(|e| e[0].message.clone())
        .unwrap()
        .model;
    model.services["ollama"].placements.insert(
        "aws".into(),
        Placement {
            cloud: "aws".into(),
            instance_type: "g6.2xlarge".into(),
            family: "g6".into(),
            region: "us-east-1".into(),
            region_name: Some("US East (N. Virginia)".into()),
            price_hourly_usd: 0.9776,
            price_monthly_usd: 713.65,
            gpu_model: "l4".into(),
            gpu_count: 1.0,
            gpu_memory_gib: Some(24.0),
            vcpus: 8,
            memory_gib: 32.0,
            node_selector: Some((
                "node.kubernetes.io/instance-type".into(),
                "g6.2xlarge".into(),
            )),
            gpu_resource: Some("nvidia.com/gpu".into()),
            pinned: false,
            accelerator: None,
            zones: Vec::new(),
        },
    );
    let engine = Engine::new(d.path());
    let targets = discover(&engine, &[]).map_err(|e| e.diags).unwrap();
    let helm_values = targets.iter().find(|t| t.name == "helm-values").unwrap();
    let opts = RenderOptions {
        clouds: vec![],
        all_profiles: vec!["prod".into()],
        ..RenderOptions::default()
    };
    let files = helm_values
        .render(&engine, &[model], &opts)
        .map_err(|e| e[0].message.clone())
        .unwrap();
    let values = |cloud: &str| -> Value {
        let rel = PathBuf::from(format!("{CHART}/prod/values-{cloud}.yaml"));
        let f = files.iter().find(|f| f.path == rel).unwrap();
        serde_yaml::from_slice(&f.bytes).unwrap()
    };
    assert_eq!(
        values("aws")["services"]["ollama"]["nodeSelector"],
        json!({"node.kubernetes.io/instance-type": "g6.2xlarge"})
    );
    assert_eq!(
        values("azure")["services"]["ollama"]["nodeSelector"],
        json!({"kubernetes.azure.com/accelerator": "nvidia"})
    );
}

/// The committed values in the repository are what devgen renders now.
#[test]
fn committed_values_are_up_to_date() {
    let d = rendered_example();
    let repo = common::repo_root();
    for entry in walkdir::WalkDir::new(d.path().join(CHART))
        .into_iter()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && name.starts_with("values") && name.ends_with(".yaml") {
            let rel = entry.path().strip_prefix(d.path()).unwrap();
            let committed = std::fs::read_to_string(repo.join(rel))
                .unwrap_or_else(|e| panic!("{} is not committed: {e}", rel.display()));
            assert_eq!(
                committed,
                std::fs::read_to_string(entry.path()).unwrap(),
                "{} is stale: run `devgen render --target helm-values`",
                rel.display()
            );
        }
    }
}
