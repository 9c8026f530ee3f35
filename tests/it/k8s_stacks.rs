//! The stacks corpus (`tests/stacks/*`) through the Kubernetes outputs, proven
//! with the real tools. For every stack with an `expect-k8s.yaml`:
//!
//! * `devgen render --target k8s --target helm-values` in a copy of the stack
//!   (with this repository's Helm chart and `helm-values` custom target);
//! * `kubectl kustomize` of every overlay and `helm template` of every profile
//!   on every cloud, all validated with `kubernetes-validate --strict` (a
//!   resource without a schema fails);
//! * the hand-written facts of `expect-k8s.yaml` checked on what the tools
//!   produced: images, command/args, ports, requests/limits, env values byte
//!   for byte, the exact secrets each container references, replicas/HPA,
//!   GPU limits + node selection + the toleration of the node pools' actual
//!   taint (read from deploy/terraform), volume mount path/size/access mode,
//!   probes, the user each container runs as, which services are exposed,
//!   and the NetworkPolicy allows between services.
use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    devgen, gpu_taint, helm, kubectl, repo_root, stderr, stdout, toleration_for, venv_tool,
};
use serde::Deserialize;
use serde_json::{Value, json};

const CLOUDS: [&str; 3] = ["aws", "azure", "gcp"];
const CHART: &str = "deploy/helm/gpu-dev-server";
const K8S_VERSION: &str = "1.32.0";

#[derive(Deserialize)]
struct Expect {
    /// `--set` flags of the render (e.g. the layered stack's).
    #[serde(default)]
    set: Vec<String>,
    profiles: BTreeMap<String, ProfileFacts>,
}

#[derive(Deserialize)]
struct ProfileFacts {
    exposed: Vec<String>,
    services: BTreeMap<String, SvcFacts>,
}

#[derive(Deserialize)]
struct SvcFacts {
    kind: String,
    image: String,
    command: Vec<String>,
    args: Vec<String>,
    ports: BTreeMap<String, u64>,
    cpu: String,
    memory: String,
    env: BTreeMap<String, String>,
    secrets: Vec<String>,
    replicas: Option<u64>,
    hpa: Option<Hpa>,
    gpu: Option<u64>,
    volume: Option<Volume>,
    run_as_user: Option<u64>,
    probe: Option<Value>,
    talks_to: Vec<String>,
    #[serde(default)]
    kubernetes_api: bool,
}

#[derive(Deserialize)]
struct Hpa {
    min: u64,
    max: u64,
}

#[derive(Deserialize)]
struct Volume {
    path: String,
    size: String,
    mode: String,
}

/// Every stack of the corpus; each carries Kubernetes facts.
fn stacks() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/stacks"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("config").is_dir())
        .collect();
    v.sort();
    for s in &v {
        assert!(
            s.join("expect-k8s.yaml").is_file(),
            "{}: no expect-k8s.yaml (every stack states its Kubernetes facts)",
            s.display()
        );
    }
    assert!(v.len() >= 5, "the corpus has at least five stacks");
    v
}

/// A rendered copy of a stack: its config, this repo's chart and helm-values
/// target, rendered with the `set` flags of its facts.
fn rendered(stack: &Path, set: &[String]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    common::copy_dir(&stack.join("config"), &d.path().join("config"));
    common::copy_dir(
        &repo_root().join("templates/custom/helm-values"),
        &d.path().join("templates/custom/helm-values"),
    );
    let chart = d.path().join(CHART);
    for f in ["Chart.yaml", ".helmignore", "values.schema.json"] {
        std::fs::create_dir_all(&chart).unwrap();
        std::fs::copy(repo_root().join(CHART).join(f), chart.join(f)).unwrap();
    }
    common::copy_dir(
        &repo_root().join(CHART).join("templates"),
        &chart.join("templates"),
    );
    let mut args = vec!["render", "--target", "k8s", "--target", "helm-values"];
    for flag in set {
        args.extend(["--set", flag.as_str()]);
    }
    let o = devgen(d.path(), &args);
    assert!(
        o.status.success(),
        "{}: render failed\n{}{}",
        stack.display(),
        stdout(&o),
        stderr(&o)
    );
    d
}

fn documents(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| Deserialize::deserialize(d).expect("valid YAML"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn run(cmd: &mut Command, what: &str) -> String {
    let o = cmd.output().expect("run tool");
    assert!(o.status.success(), "{what}: {}{}", stdout(&o), stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// `kubernetes-validate --strict`: every resource validated against a schema;
/// a WARN/ERROR line (e.g. no schema for a kind) fails.
fn validate(files: &[PathBuf]) {
    let Some(kv) = venv_tool("kubernetes-validate") else {
        return;
    };
    let o = Command::new(kv)
        .args(["--strict", "--kubernetes-version", K8S_VERSION])
        .args(files)
        .output()
        .unwrap();
    let text = format!("{}{}", stdout(&o), stderr(&o));
    let bad: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("INFO ") && !l.trim().is_empty())
        .collect();
    assert!(
        o.status.success() && bad.is_empty(),
        "kubernetes-validate:\n{text}"
    );
    assert!(text.contains(" passed for resource "), "validated nothing");
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// A quantity or count as text (`1`, `"1"` → `1`).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The service name a pod selector / NetworkPolicy peer names.
fn selected(v: &Value) -> Option<String> {
    v["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        .as_str()
        .map(String::from)
}

/// Check one profile's facts on built objects (`cloud`: where they run).
fn check(objs: &[Value], facts: &ProfileFacts, cloud: Option<&str>, what: &str) {
    let exposed: BTreeSet<String> = objs
        .iter()
        .filter(|o| o["kind"] == "Ingress")
        .map(|o| {
            let b = &o["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"];
            assert_eq!(b, &o["metadata"]["name"], "{what}: Ingress backend");
            b.as_str().unwrap().to_string()
        })
        .collect();
    let want: BTreeSet<String> = facts.exposed.iter().cloned().collect();
    assert_eq!(exposed, want, "{what}: exposed services");
    // Each public service on its own host or path.
    let routes: BTreeSet<String> = objs
        .iter()
        .filter(|o| o["kind"] == "Ingress")
        .map(|o| {
            let r = &o["spec"]["rules"][0];
            format!(
                "{}{}",
                text(&r["host"]),
                text(&r["http"]["paths"][0]["path"])
            )
        })
        .collect();
    assert_eq!(routes.len(), exposed.len(), "{what}: routes {routes:?}");

    for (name, f) in &facts.services {
        let w = format!("{what}: {name}");
        let d = find(objs, &f.kind, name).unwrap_or_else(|| panic!("{w}: no {}", f.kind));
        let pod = &d["spec"]["template"]["spec"];
        let c = &pod["containers"][0];
        assert_eq!(c["image"], f.image.as_str(), "{w}: image");
        assert_eq!(strings(&c["command"]), f.command, "{w}: command");
        assert_eq!(strings(&c["args"]), f.args, "{w}: args");
        let ports: BTreeMap<String, u64> = c["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| (text(&p["name"]), p["containerPort"].as_u64().unwrap()))
            .collect();
        assert_eq!(ports, f.ports, "{w}: ports");
        for side in ["requests", "limits"] {
            assert_eq!(text(&c["resources"][side]["cpu"]), f.cpu, "{w}: {side}.cpu");
            assert_eq!(
                text(&c["resources"][side]["memory"]),
                f.memory,
                "{w}: {side}.memory"
            );
        }
        // Env: plain values (from the ConfigMap envFrom names, or env values).
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        if let Some(cm) = c["envFrom"][0]["configMapRef"]["name"].as_str() {
            let cm = find(objs, "ConfigMap", cm).unwrap_or_else(|| panic!("{w}: ConfigMap"));
            for (k, v) in cm["data"].as_object().unwrap() {
                env.insert(k.clone(), v.as_str().unwrap().to_string());
            }
        }
        let mut secrets = Vec::new();
        for e in c["env"].as_array().into_iter().flatten() {
            let n = text(&e["name"]);
            match e.get("value") {
                Some(v) => {
                    env.insert(n, text(v));
                }
                None => {
                    let r = &e["valueFrom"]["secretKeyRef"];
                    assert_eq!(r["key"], e["name"], "{w}");
                    secrets.push(n);
                }
            }
        }
        for (k, v) in &f.env {
            assert_eq!(env.get(k), Some(v), "{w}: env {k}");
        }
        assert_eq!(secrets, f.secrets, "{w}: secrets");
        // Replicas / HPA.
        let hpa = find(objs, "HorizontalPodAutoscaler", name);
        match (&f.replicas, &f.hpa) {
            (Some(n), None) => {
                assert_eq!(d["spec"]["replicas"], *n, "{w}: replicas");
                assert!(hpa.is_none(), "{w}: stray HPA");
            }
            (None, Some(h)) => {
                assert!(
                    d["spec"]["replicas"].is_null(),
                    "{w}: replicas under an HPA"
                );
                let o = hpa.unwrap_or_else(|| panic!("{w}: HPA"));
                assert_eq!(o["spec"]["minReplicas"], h.min, "{w}");
                assert_eq!(o["spec"]["maxReplicas"], h.max, "{w}");
                assert_eq!(o["spec"]["scaleTargetRef"]["kind"], f.kind.as_str(), "{w}");
            }
            _ => panic!("{w}: expect-k8s.yaml sets replicas xor hpa"),
        }
        let replicated = f.replicas.is_none_or(|n| n > 1);
        assert_eq!(
            find(objs, "PodDisruptionBudget", name).is_some(),
            replicated,
            "{w}: PDB"
        );
        // GPU.
        let limit = &c["resources"]["limits"]["nvidia.com/gpu"];
        match (f.gpu, cloud) {
            (Some(n), Some(cloud)) => {
                assert_eq!(text(limit), n.to_string(), "{w}: GPU limit");
                assert_eq!(
                    pod["tolerations"],
                    json!([toleration_for(&gpu_taint(cloud))]),
                    "{w}: toleration of the {cloud} GPU node taint"
                );
                let sel = pod["nodeSelector"].as_object().cloned().unwrap_or_default();
                assert_eq!(sel.len(), 1, "{w}: GPU node selector {sel:?}");
                if cloud == "azure" {
                    assert_eq!(sel["kubernetes.azure.com/accelerator"], "nvidia", "{w}");
                }
            }
            (Some(n), None) => assert_eq!(text(limit), n.to_string(), "{w}: GPU limit"),
            (None, _) => {
                assert!(limit.is_null(), "{w}: GPU limit");
                assert!(pod["tolerations"].is_null(), "{w}: toleration");
                assert!(pod["nodeSelector"].is_null(), "{w}: node selector");
            }
        }
        // Volume.
        let data_mount = c["volumeMounts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["name"] == "data");
        match &f.volume {
            Some(v) => {
                assert_eq!(
                    data_mount.map(|m| &m["mountPath"]),
                    Some(&json!(v.path)),
                    "{w}: mount path"
                );
                let spec = if v.mode == "ReadWriteOnce" {
                    assert_eq!(f.kind, "StatefulSet", "{w}: RWO only per replica");
                    d["spec"]["volumeClaimTemplates"][0]["spec"].clone()
                } else {
                    let claim = pod["volumes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|x| x["name"] == "data")
                        .unwrap()["persistentVolumeClaim"]["claimName"]
                        .clone();
                    let pvc = find(objs, "PersistentVolumeClaim", claim.as_str().unwrap())
                        .unwrap_or_else(|| panic!("{w}: PVC"));
                    pvc["spec"].clone()
                };
                assert_eq!(spec["accessModes"], json!([v.mode]), "{w}: access mode");
                assert_eq!(
                    spec["resources"]["requests"]["storage"],
                    v.size.as_str(),
                    "{w}: size"
                );
            }
            None => assert!(data_mount.is_none(), "{w}: stray volume"),
        }
        // Identity and hardening.
        let psc = &pod["securityContext"];
        match f.run_as_user {
            Some(uid) => {
                assert_eq!(psc["runAsUser"], uid, "{w}: runAsUser");
                assert_eq!(psc["runAsNonRoot"], true, "{w}");
            }
            None => assert!(psc["runAsNonRoot"].is_null(), "{w}: root opt-out"),
        }
        assert_eq!(psc["seccompProfile"]["type"], "RuntimeDefault", "{w}");
        assert_eq!(
            c["securityContext"]["allowPrivilegeEscalation"], false,
            "{w}"
        );
        assert_eq!(
            c["securityContext"]["capabilities"]["drop"],
            json!(["ALL"]),
            "{w}"
        );
        assert_eq!(
            pod["automountServiceAccountToken"], f.kubernetes_api,
            "{w}: token"
        );
        // Probes.
        let ready = &c["readinessProbe"];
        match &f.probe {
            None => assert!(
                ready.is_null() && c["livenessProbe"].is_null(),
                "{w}: probe"
            ),
            Some(p) if p.get("path").is_some() => {
                assert_eq!(ready["httpGet"]["path"], p["path"], "{w}: probe path");
                assert_eq!(ready["httpGet"]["port"], p["port"], "{w}: probe port");
                assert_eq!(c["livenessProbe"]["httpGet"], ready["httpGet"], "{w}");
            }
            Some(p) => {
                assert_eq!(ready["tcpSocket"]["port"], p["tcp"], "{w}: probe port");
                assert_eq!(c["livenessProbe"]["tcpSocket"], ready["tcpSocket"], "{w}");
            }
        }
        // NetworkPolicy: egress to exactly the services it talks to, and each
        // of those lets it in.
        let np = find(objs, "NetworkPolicy", name).unwrap_or_else(|| panic!("{w}: policy"));
        let to: BTreeSet<String> = np["spec"]["egress"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["to"].as_array().into_iter().flatten())
            .filter_map(selected)
            .collect();
        let want: BTreeSet<String> = f.talks_to.iter().cloned().collect();
        assert_eq!(to, want, "{w}: egress to services");
        for t in &f.talks_to {
            let tp = find(objs, "NetworkPolicy", t).unwrap();
            let from: BTreeSet<String> = tp["spec"]["ingress"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["from"].as_array().into_iter().flatten())
                .filter_map(selected)
                .collect();
            assert!(from.contains(name), "{w}: {t} lets it in");
        }
        let open = np["spec"]["ingress"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| {
                r["from"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|x| !x["ipBlock"].is_null())
            });
        assert_eq!(open, facts.exposed.contains(name), "{w}: open to CIDRs");
    }
    // Default deny both ways.
    let deny = find(objs, "NetworkPolicy", "default-deny-all").expect("default deny");
    assert_eq!(deny["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
}

#[test]
fn stacks_kustomize_overlays_carry_the_facts() {
    let (Some(kubectl), Some(_)) = (kubectl(), venv_tool("kubernetes-validate")) else {
        return;
    };
    for stack in stacks() {
        let expect: Expect =
            serde_yaml::from_str(&std::fs::read_to_string(stack.join("expect-k8s.yaml")).unwrap())
                .unwrap();
        let d = rendered(&stack, &expect.set);
        let out = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for (profile, facts) in &expect.profiles {
            let what = format!("{} overlay {profile}", stack.display());
            let dir = d.path().join("deploy/kubernetes/overlays").join(profile);
            let yaml = run(Command::new(&kubectl).arg("kustomize").arg(&dir), &what);
            let f = out.path().join(format!("{profile}.yaml"));
            std::fs::write(&f, &yaml).unwrap();
            files.push(f);
            let objs = documents(&yaml);
            let cloud = profile_cloud(d.path(), profile);
            check(&objs, facts, cloud.as_deref(), &what);
        }
        validate(&files);
    }
}

#[test]
fn stacks_helm_renders_carry_the_facts_on_every_cloud() {
    let (Some(helm), Some(_)) = (helm(), venv_tool("kubernetes-validate")) else {
        return;
    };
    for stack in stacks() {
        let expect: Expect =
            serde_yaml::from_str(&std::fs::read_to_string(stack.join("expect-k8s.yaml")).unwrap())
                .unwrap();
        let d = rendered(&stack, &expect.set);
        let out = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for (profile, facts) in &expect.profiles {
            // Every cloud of the stack's `clouds:` (helm-values writes one
            // values file per configured cloud), the profile's own included.
            let own = profile_cloud(d.path(), profile);
            let clouds: Vec<&str> = CLOUDS
                .into_iter()
                .filter(|c| {
                    d.path()
                        .join(CHART)
                        .join(profile)
                        .join(format!("values-{c}.yaml"))
                        .is_file()
                })
                .collect();
            assert!(
                own.as_deref().is_none_or(|o| clouds.contains(&o)) && !clouds.is_empty(),
                "{} helm {profile}: values for {clouds:?}, profile cloud {own:?}",
                stack.display()
            );
            for cloud in clouds {
                let what = format!("{} helm {profile}/{cloud}", stack.display());
                let values = d
                    .path()
                    .join(CHART)
                    .join(profile)
                    .join(format!("values-{cloud}.yaml"));
                let yaml = run(
                    Command::new(&helm)
                        .args(["template", "rel"])
                        .arg(d.path().join(CHART))
                        .arg("-f")
                        .arg(&values),
                    &what,
                );
                let f = out.path().join(format!("{profile}-{cloud}.yaml"));
                std::fs::write(&f, &yaml).unwrap();
                files.push(f);
                check(&documents(&yaml), facts, Some(cloud), &what);
            }
        }
        validate(&files);
    }
}

/// The cloud an overlay's profile deploys to, as devgen resolves it.
fn profile_cloud(root: &Path, profile: &str) -> Option<String> {
    let o = devgen(
        root,
        &[
            "show",
            "--profile",
            profile,
            "--path",
            "cloud",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str::<Value>(&stdout(&o))
        .ok()
        .and_then(|v| v.as_str().map(String::from))
}
