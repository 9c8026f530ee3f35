//! The `k8s` target against the real tools: every overlay builds with
//! `kubectl kustomize`, passes `kubernetes-validate --strict`, means what the
//! config says (replicas, resources, env byte for byte, GPUs, node selection,
//! labels, HPAs), and every patch / image / replica / ConfigMap entry of every
//! kustomization takes effect (Kustomize silently ignores ones that match nothing).
use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{devgen, example_copy, gpu_taint, kubectl, stderr, stdout, toleration_for, venv_tool};
use devgen::model::Model;
use devgen::render::k8s::{GPU_LABEL, SELECTOR_LABEL, gpu_node, namespace};
use serde_json::Value;

/// Kubernetes versions the built manifests are validated against (recent ones).
const K8S_VERSIONS: &[&str] = &["1.32.0", "1.37.0"];

struct Tools {
    kubectl: PathBuf,
    validate: PathBuf,
}

fn tools() -> Option<Tools> {
    Some(Tools {
        kubectl: kubectl()?,
        validate: venv_tool("kubernetes-validate")?,
    })
}

fn k8s_dir(root: &Path) -> PathBuf {
    root.join("deploy/kubernetes")
}

/// `devgen render --target k8s` (plus `extra` args) in `dir`.
fn render(dir: &Path, extra: &[&str]) {
    let mut args = vec!["render", "--target", "k8s"];
    args.extend_from_slice(extra);
    let o = devgen(dir, &args);
    assert!(
        o.status.success(),
        "render failed:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
}

/// `kubectl kustomize dir`.
fn kustomize(kubectl: &Path, dir: &Path) -> Result<String, String> {
    let o = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("run kubectl");
    if o.status.success() {
        Ok(String::from_utf8(o.stdout).expect("utf-8"))
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

fn documents(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).expect("valid YAML"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// `kubernetes-validate --strict` for each version; any WARN (e.g. "couldn't
/// find schema") or ERROR line fails, as does a non-zero exit.
fn validate(tool: &Path, files: &[PathBuf]) {
    for v in K8S_VERSIONS {
        let o = Command::new(tool)
            .args(["--strict", "--kubernetes-version", v])
            .args(files)
            .output()
            .expect("run kubernetes-validate");
        let text = format!("{}{}", stdout(&o), stderr(&o));
        let bad: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("INFO ") && !l.trim().is_empty())
            .collect();
        assert!(
            o.status.success() && bad.is_empty(),
            "kubernetes-validate {v}:\n{text}"
        );
        let passed = text
            .lines()
            .filter(|l| l.contains(" passed for resource "))
            .count();
        assert!(passed > 0, "kubernetes-validate checked nothing:\n{text}");
    }
}

/// Every profile's model, enriched (catalogue placements) as `render` sees it.
fn models(root: &Path) -> Vec<Model> {
    let project = devgen::project::Project::load(root).expect("project loads");
    let mut resolved: Vec<_> = project
        .profile_names()
        .iter()
        .map(|p| devgen::pipeline::resolve(&project, p, &[]).expect("profile resolves"))
        .collect();
    devgen::enrich::enrich(&mut resolved, &project.sources)
        .map_err(|d| d[0].message.clone())
        .expect("profiles enrich");
    resolved.into_iter().map(|r| r.model).collect()
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

/// A service's workload: its Deployment, or StatefulSet (per-replica storage).
fn workload<'a>(objs: &'a [Value], name: &str) -> Option<&'a Value> {
    objs.iter().find(|o| {
        (o["kind"] == "Deployment" || o["kind"] == "StatefulSet") && o["metadata"]["name"] == name
    })
}

/// A list of strings (empty when absent).
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn str_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, x)| (k.clone(), x.as_str().expect("string value").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// What the config says of a service, as the tests read it from the model.
struct Expect {
    args: Vec<String>,
    entrypoint: Vec<String>,
    secrets: Vec<String>,
    public: bool,
    shared_storage: bool,
    run_as_user: Option<u32>,
    kubernetes_api: bool,
    cloud_identity: bool,
}

fn expect(m: &Model, s: &devgen::model::Service) -> Expect {
    let _ = m;
    Expect {
        args: s.command.clone(),
        entrypoint: s.entrypoint.clone(),
        secrets: s.secrets.clone(),
        public: s.public,
        shared_storage: s.storage_shared,
        run_as_user: s.run_as_user,
        kubernetes_api: s.kubernetes_api,
        cloud_identity: s.cloud_identity,
    }
}

/// Every check of the built output of one profile against its model.
fn check_semantics(m: &Model, objs: &[Value]) {
    let ns = namespace(m);
    let p = &m.profile;
    let global: BTreeMap<String, String> = m
        .labels
        .iter()
        .filter(|(k, _)| k.as_str() != SELECTOR_LABEL)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Labels on every object: a service's objects carry its effective labels,
    // the others the global ones; namespaced objects are in the namespace.
    for o in objs {
        let labels = str_map(&o["metadata"]["labels"]);
        let what = format!("{p}: {} {}", o["kind"], o["metadata"]["name"]);
        let expected = match labels.get(SELECTOR_LABEL).and_then(|s| m.services.get(s)) {
            Some(s) => s
                .labels
                .iter()
                .filter(|(k, _)| k.as_str() != SELECTOR_LABEL)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            None => global.clone(),
        };
        for (k, v) in &expected {
            assert_eq!(labels.get(k), Some(v), "{what}: label {k}");
        }
        let cluster_scoped = ["Namespace", "StorageClass"].contains(&o["kind"].as_str().unwrap());
        if cluster_scoped {
            assert!(o["metadata"]["namespace"].is_null(), "{what}");
        } else {
            assert_eq!(o["metadata"]["namespace"], ns.as_str(), "{what}: namespace");
        }
    }
    // The namespace enforces Pod Security "restricted" unless a service runs as root.
    let nsobj = find(objs, "Namespace", &ns).unwrap_or_else(|| panic!("{p}: Namespace {ns}"));
    let root = m
        .services
        .values()
        .any(|s| expect(m, s).run_as_user.is_none());
    assert_eq!(
        nsobj["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        if root { "baseline" } else { "restricted" },
        "{p}: PSA"
    );
    let workloads: BTreeSet<&str> = objs
        .iter()
        .filter(|o| o["kind"] == "Deployment" || o["kind"] == "StatefulSet")
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    let services: BTreeSet<&str> = m.services.keys().map(String::as_str).collect();
    assert_eq!(workloads, services, "{p}: one workload per service");
    let hpas = objs
        .iter()
        .filter(|o| o["kind"] == "HorizontalPodAutoscaler")
        .count();
    assert_eq!(
        hpas,
        m.services
            .values()
            .filter(|s| s.autoscaling.is_some())
            .count(),
        "{p}: HPAs"
    );
    let identity = models_identity(m, objs);
    for s in m.services.values() {
        let e = expect(m, s);
        let what = format!("{p}: service {}", s.name);
        let d = workload(objs, &s.name).unwrap();
        // Replicas: none where an HPA owns them.
        match &s.autoscaling {
            Some(_) => assert!(
                d["spec"]["replicas"].is_null(),
                "{what}: replicas under an HPA"
            ),
            None => assert_eq!(d["spec"]["replicas"], s.replicas, "{what}: replicas"),
        }
        assert_eq!(
            str_map(&d["spec"]["selector"]["matchLabels"]),
            BTreeMap::from([(SELECTOR_LABEL.to_string(), s.name.clone())]),
            "{what}: selector"
        );
        let tmpl_labels = str_map(&d["spec"]["template"]["metadata"]["labels"]);
        assert_eq!(
            tmpl_labels.get(SELECTOR_LABEL),
            Some(&s.name),
            "{what}: pod label"
        );
        let pod = &d["spec"]["template"]["spec"];
        let c = &pod["containers"][0];
        assert_eq!(c["image"], s.image.reference.as_str(), "{what}: image");
        assert_eq!(strings(&c["args"]), e.args, "{what}: args (config command)");
        assert_eq!(
            strings(&c["command"]),
            e.entrypoint,
            "{what}: command (config entrypoint)"
        );
        // Security context: no escalation, no capabilities, seccomp, non-root
        // unless the config opts out; a token only when the API is needed.
        let sc = &c["securityContext"];
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{what}");
        assert_eq!(
            sc["capabilities"]["drop"],
            serde_json::json!(["ALL"]),
            "{what}"
        );
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        match e.run_as_user {
            Some(uid) => {
                assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{what}");
                assert_eq!(pod["securityContext"]["runAsUser"], uid, "{what}");
            }
            None => assert!(pod["securityContext"]["runAsNonRoot"].is_null(), "{what}"),
        }
        assert_eq!(
            pod["automountServiceAccountToken"], e.kubernetes_api,
            "{what}"
        );
        let sa_name = if e.cloud_identity && m.cloud.is_some() {
            identity.clone()
        } else {
            s.name.clone()
        };
        assert_eq!(pod["serviceAccountName"], sa_name.as_str(), "{what}: SA");
        let sa = find(objs, "ServiceAccount", &sa_name).unwrap_or_else(|| panic!("{what}: SA"));
        assert_eq!(sa["automountServiceAccountToken"], false, "{what}");
        let r = &c["resources"];
        for side in ["requests", "limits"] {
            assert_eq!(
                r[side]["cpu"],
                s.resources.cpu.as_str(),
                "{what}: {side}.cpu"
            );
            assert_eq!(
                r[side]["memory"],
                s.resources.memory.as_str(),
                "{what}: {side}.memory"
            );
        }
        // Named container ports and a Service with the same names.
        let ports: BTreeMap<String, u64> = c["ports"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        (
                            x["name"].as_str().unwrap().to_string(),
                            x["containerPort"].as_u64().unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let want_ports: BTreeMap<String, u64> = s
            .ports
            .iter()
            .map(|(k, v)| (k.clone(), u64::from(*v)))
            .collect();
        assert_eq!(ports, want_ports, "{what}: container ports");
        match find(objs, "Service", &s.name) {
            Some(svc) => {
                let sp: BTreeMap<String, (u64, String)> = svc["spec"]["ports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| {
                        let n = x["name"].as_str().unwrap().to_string();
                        (
                            n,
                            (
                                x["port"].as_u64().unwrap(),
                                x["targetPort"].as_str().unwrap().to_string(),
                            ),
                        )
                    })
                    .collect();
                let want: BTreeMap<String, (u64, String)> = want_ports
                    .iter()
                    .map(|(k, v)| (k.clone(), (*v, k.clone())))
                    .collect();
                assert_eq!(sp, want, "{what}: Service ports");
            }
            None => assert!(s.ports.is_empty(), "{what}: Service missing"),
        }
        // Env: the ConfigMap behind envFrom holds exactly the effective env.
        let cm_name = c["envFrom"][0]["configMapRef"]["name"]
            .as_str()
            .expect("envFrom");
        assert!(
            cm_name.starts_with(&format!("{}-env-", s.name)),
            "{what}: hashed ConfigMap name {cm_name}"
        );
        let cm = find(objs, "ConfigMap", cm_name)
            .unwrap_or_else(|| panic!("{what}: ConfigMap {cm_name}"));
        let want_env: BTreeMap<String, String> =
            s.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(str_map(&cm["data"]), want_env, "{what}: env");
        // Secrets: exactly the service's own, by name from the one Secret, never a value.
        let env = c["env"].as_array().cloned().unwrap_or_default();
        let names: Vec<String> = env
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, e.secrets, "{what}: secrets");
        for e in &env {
            assert!(
                e.get("value").is_none(),
                "{what}: a secret value in the manifest"
            );
            let r = &e["valueFrom"]["secretKeyRef"];
            assert_eq!(
                r["name"],
                format!("{}-secrets", m.project.name).as_str(),
                "{what}"
            );
            assert_eq!(r["key"], e["name"], "{what}");
        }
        // GPUs: limits and toleration exactly where requested, nodes of the
        // profile's cloud, the toleration matching the node pools' taint.
        let gpu_limit = r["limits"]["nvidia.com/gpu"].as_str().map(str::to_string);
        let node_selector = str_map(&pod["nodeSelector"]);
        match &s.resources.gpu {
            Some(g) => {
                assert_eq!(gpu_limit, Some(g.count.to_string()), "{what}: GPU limit");
                assert!(
                    r["requests"]["nvidia.com/gpu"].is_null()
                        || r["requests"]["nvidia.com/gpu"] == g.count.to_string().as_str()
                );
                match &m.cloud {
                    Some(cloud) => assert_eq!(
                        pod["tolerations"],
                        serde_json::json!([toleration_for(&gpu_taint(cloud))]),
                        "{what}: GPU toleration"
                    ),
                    None => assert!(pod["tolerations"].is_null(), "{what}"),
                }
                let want = m.cloud.as_deref().and_then(|c| gpu_node(c, s));
                let want: BTreeMap<String, String> = want.into_iter().collect();
                assert_eq!(node_selector, want, "{what}: GPU node selector");
            }
            None => {
                assert_eq!(gpu_limit, None, "{what}: GPU limit without a GPU request");
                assert!(
                    pod["tolerations"].is_null(),
                    "{what}: toleration without a GPU request"
                );
                assert!(
                    node_selector.is_empty(),
                    "{what}: node selector without a GPU request"
                );
                assert!(d["metadata"]["labels"][GPU_LABEL].is_null(), "{what}");
            }
        }
        // Storage at mount_path: per-replica ReadWriteOnce volumes of a
        // StatefulSet, or one shared ReadWriteMany claim; never RWO shared.
        let claim = format!("{}-data", s.name);
        let mounts: BTreeMap<String, String> = c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().unwrap().to_string(),
                    v["mountPath"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(mounts.get("tmp").map(String::as_str), Some("/tmp"));
        match &s.resources.storage {
            Some(size) if !e.shared_storage => {
                assert_eq!(d["kind"], "StatefulSet", "{what}: per-replica storage");
                let t = &d["spec"]["volumeClaimTemplates"][0];
                assert_eq!(t["metadata"]["name"], "data");
                assert_eq!(t["spec"]["resources"]["requests"]["storage"], size.as_str());
                assert_eq!(
                    t["spec"]["accessModes"],
                    serde_json::json!(["ReadWriteOnce"])
                );
                if m.cloud.is_some() {
                    assert_eq!(
                        t["spec"]["storageClassName"],
                        format!("{identity}-block").as_str(),
                        "{what}"
                    );
                }
                assert!(find(objs, "PersistentVolumeClaim", &claim).is_none());
                assert_eq!(mounts.get("data"), Some(&s.mount_path), "{what}: mount");
            }
            Some(size) => {
                assert_eq!(d["kind"], "Deployment", "{what}");
                let pvc = find(objs, "PersistentVolumeClaim", &claim)
                    .unwrap_or_else(|| panic!("{what}: PVC"));
                assert_eq!(
                    pvc["spec"]["resources"]["requests"]["storage"],
                    size.as_str(),
                    "{what}"
                );
                assert_eq!(
                    pvc["spec"]["accessModes"],
                    serde_json::json!(["ReadWriteMany"])
                );
                if m.cloud.is_some() {
                    assert_eq!(
                        pvc["spec"]["storageClassName"],
                        format!("{identity}-shared").as_str()
                    );
                }
                assert_eq!(mounts.get("data"), Some(&s.mount_path), "{what}: mount");
            }
            None => {
                assert_eq!(d["kind"], "Deployment", "{what}");
                assert!(
                    find(objs, "PersistentVolumeClaim", &claim).is_none(),
                    "{what}: stray PVC"
                );
                assert!(!mounts.contains_key("data"), "{what}: stray volume");
            }
        }
        // Ingress: exactly the public services.
        let ing = find(objs, "Ingress", &s.name);
        assert_eq!(
            ing.is_some(),
            e.public && !s.ports.is_empty(),
            "{what}: Ingress"
        );
        if let Some(ing) = ing {
            let rule = &ing["spec"]["rules"][0];
            assert_eq!(
                rule["http"]["paths"][0]["backend"]["service"]["name"],
                s.name.as_str()
            );
            match &m.network.domain {
                Some(d) => assert!(
                    rule["host"].as_str().unwrap().ends_with(d.as_str()),
                    "{what}: host"
                ),
                None => assert!(rule["host"].is_null(), "{what}: host"),
            }
            assert_eq!(
                !ing["spec"]["tls"].is_null(),
                m.network.enable_https && m.network.domain.is_some(),
                "{what}: TLS"
            );
            if m.cloud.as_deref() == Some("aws") {
                let a = &ing["metadata"]["annotations"];
                assert_eq!(
                    a["alb.ingress.kubernetes.io/inbound-cidrs"],
                    m.network.allowed_cidrs.join(",").as_str(),
                    "{what}: ALB inbound CIDRs"
                );
                let private = m.network.allowed_cidrs.iter().all(|c| {
                    ["10.", "192.168.", "172.16."]
                        .iter()
                        .any(|p| c.starts_with(p))
                });
                assert_eq!(
                    a["alb.ingress.kubernetes.io/scheme"],
                    if private {
                        "internal"
                    } else {
                        "internet-facing"
                    },
                    "{what}: ALB scheme"
                );
                assert_eq!(
                    a["alb.ingress.kubernetes.io/ssl-redirect"].is_string(),
                    m.network.enable_https,
                    "{what}: HTTPS redirect"
                );
            }
        }
        // HPA bounds.
        let hpa = find(objs, "HorizontalPodAutoscaler", &s.name);
        match &s.autoscaling {
            Some(a) => {
                let h = hpa.unwrap_or_else(|| panic!("{what}: HPA"));
                assert_eq!(h["apiVersion"], "autoscaling/v2");
                assert_eq!(h["spec"]["minReplicas"], a.min, "{what}");
                assert_eq!(h["spec"]["maxReplicas"], a.max, "{what}");
                assert_eq!(h["spec"]["scaleTargetRef"]["name"], s.name.as_str());
                assert_eq!(h["spec"]["scaleTargetRef"]["kind"], d["kind"], "{what}");
                assert_eq!(
                    h["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
                    a.cpu_percent
                );
            }
            None => assert!(hpa.is_none(), "{what}: stray HPA"),
        }
        // Replicated services: a PDB and topology spread.
        let replicated = s.replicas > 1 || s.autoscaling.as_ref().is_some_and(|a| a.max > 1);
        assert_eq!(
            find(objs, "PodDisruptionBudget", &s.name).is_some(),
            replicated,
            "{what}: PDB"
        );
        assert_eq!(
            pod["topologySpreadConstraints"].is_array(),
            replicated,
            "{what}: topology spread"
        );
        // Its own NetworkPolicy: in from the allowed CIDRs only when public.
        let np = find(objs, "NetworkPolicy", &s.name).unwrap_or_else(|| panic!("{what}: policy"));
        assert_eq!(
            np["spec"]["podSelector"]["matchLabels"][SELECTOR_LABEL],
            s.name.as_str()
        );
        let cidrs: BTreeSet<&str> = np["spec"]["ingress"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["from"].as_array().into_iter().flatten())
            .filter_map(|f| f["ipBlock"]["cidr"].as_str())
            .collect();
        if e.public && !s.ports.is_empty() {
            for c in &m.network.allowed_cidrs {
                assert!(cidrs.contains(c.as_str()), "{what}: {c} let in");
            }
        } else {
            assert!(cidrs.is_empty(), "{what}: not public but open to {cidrs:?}");
        }
    }
    // Network: default deny both ways; DNS allowed.
    let deny = find(objs, "NetworkPolicy", "default-deny-all").expect("default deny");
    assert_eq!(deny["spec"]["podSelector"], serde_json::json!({}));
    assert_eq!(
        deny["spec"]["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    assert!(deny["spec"]["ingress"].is_null() && deny["spec"]["egress"].is_null());
    let dns = find(objs, "NetworkPolicy", "allow-dns").expect("DNS policy");
    assert_eq!(dns["spec"]["egress"][0]["ports"][0]["port"], 53);
    // Cloud: workload identity on the cloud's ServiceAccount.
    if let Some(cloud) = &m.cloud {
        let sa = find(objs, "ServiceAccount", &identity).expect("ServiceAccount");
        let key = match cloud.as_str() {
            "aws" => "eks.amazonaws.com/role-arn",
            "azure" => "azure.workload.identity/client-id",
            _ => "iam.gke.io/gcp-service-account",
        };
        let want = m
            .clouds
            .get(cloud)
            .and_then(|c| c.workload_identity.clone());
        assert_eq!(
            sa["metadata"]["annotations"][key]
                .as_str()
                .map(str::to_string),
            want,
            "{p}: identity"
        );
    } else {
        assert!(!objs.iter().any(|o| o["kind"] == "StorageClass"));
    }
}

/// The app-wide identity (the cloud ServiceAccount's name, the StorageClasses'
/// prefix): the ServiceAccount not named after a service.
fn models_identity(m: &Model, objs: &[Value]) -> String {
    objs.iter()
        .filter(|o| o["kind"] == "ServiceAccount")
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .find(|n| !m.services.contains_key(n))
        .unwrap_or_default()
}

/// Build every overlay, validate all of them, check each against its model.
fn build_validate_check(t: &Tools, root: &Path) -> BTreeMap<String, String> {
    let mut built = BTreeMap::new();
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for m in models(root) {
        let dir = k8s_dir(root).join("overlays").join(&m.profile);
        if !dir.exists() {
            continue;
        }
        let yaml = kustomize(&t.kubectl, &dir).unwrap_or_else(|e| panic!("{}: {e}", m.profile));
        let f = out.path().join(format!("{}.yaml", m.profile));
        std::fs::write(&f, &yaml).unwrap();
        files.push(f);
        check_semantics(&m, &documents(&yaml));
        built.insert(m.profile.clone(), yaml);
    }
    assert!(!files.is_empty());
    validate(&t.validate, &files);
    built
}

/// Kustomization files reachable from `overlay` (its own, local and shared components).
fn kustomizations_of(overlay: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![overlay.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let k = dir.join("kustomization.yaml");
        let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(&k).unwrap()).unwrap();
        for c in doc["components"].as_array().into_iter().flatten() {
            todo.push(dir.join(c.as_str().unwrap()));
        }
        out.push(std::fs::canonicalize(k).unwrap());
    }
    out
}

/// Every entry of `patches`, `images`, `replicas` and `configMapGenerator` of
/// every overlay's own kustomizations changes that overlay's output (removed —
/// or for images and replicas, set to a sentinel value). With `shared`, the
/// same holds for the shared components: each entry changes at least one
/// overlay using it (their patches act on marks, so a project may leave one
/// idle, e.g. GPU node selection before any node label value is known).
fn assert_every_entry_takes_effect(
    t: &Tools,
    root: &Path,
    built: &BTreeMap<String, String>,
    shared: bool,
) {
    let mut users: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for p in built.keys() {
        for k in kustomizations_of(&k8s_dir(root).join("overlays").join(p)) {
            users.entry(k).or_default().push(p.clone());
        }
    }
    let mut checked = 0;
    let overlays = std::fs::canonicalize(k8s_dir(root).join("overlays")).unwrap();
    for (k, profiles) in &users {
        if !shared && !k.starts_with(&overlays) {
            continue;
        }
        let original = std::fs::read_to_string(k).unwrap();
        let doc: Value = serde_yaml::from_str(&original).unwrap();
        for field in ["patches", "images", "replicas", "configMapGenerator"] {
            let n = doc[field].as_array().map_or(0, Vec::len);
            for i in 0..n {
                let mut changed = doc.clone();
                let sentinel = match field {
                    "images" => {
                        changed[field][i]["newTag"] = "sentinel-tag-93".into();
                        Some("sentinel-tag-93")
                    }
                    "replicas" => {
                        changed[field][i]["count"] = 93.into();
                        Some("replicas: 93")
                    }
                    _ => {
                        changed[field].as_array_mut().unwrap().remove(i);
                        None
                    }
                };
                std::fs::write(k, serde_yaml::to_string(&changed).unwrap()).unwrap();
                let took_effect = profiles.iter().any(|p| {
                    match kustomize(&t.kubectl, &k8s_dir(root).join("overlays").join(p)) {
                        Ok(out) => out != built[p] && sentinel.is_none_or(|s| out.contains(s)),
                        Err(_) => true,
                    }
                });
                std::fs::write(k, &original).unwrap();
                assert!(
                    took_effect,
                    "{}: {field}[{i}] changes nothing in overlays {profiles:?}:\n{}",
                    k.display(),
                    serde_yaml::to_string(&doc[field][i]).unwrap()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0);
}

fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The example project

#[test]
fn example_overlays_build_validate_and_mean_the_config() {
    let Some(t) = tools() else { return };
    let d = example_copy();
    render(d.path(), &[]);
    let built = build_validate_check(&t, d.path());
    assert_eq!(built.keys().collect::<Vec<_>>(), ["dev", "prod", "staging"]);
    // Spot checks in plain words.
    let prod = documents(&built["prod"]);
    let ollama = workload(&prod, "ollama").unwrap();
    assert_eq!(ollama["spec"]["replicas"], 2);
    assert_eq!(
        ollama["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "1"
    );
    assert_eq!(
        ollama["metadata"]["annotations"]["devgen.dev/gpu-model"],
        "l4"
    );
    let dev = documents(&built["dev"]);
    let ollama = workload(&dev, "ollama").unwrap();
    assert!(
        ollama["spec"]["template"]["spec"]["tolerations"].is_null(),
        "dev deletes the GPU"
    );
    assert_eq!(
        ollama["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"],
        "8Gi"
    );
    let hpa = find(&prod, "HorizontalPodAutoscaler", "devai").unwrap();
    assert_eq!(
        (
            hpa["spec"]["minReplicas"].as_u64(),
            hpa["spec"]["maxReplicas"].as_u64()
        ),
        (Some(3), Some(10))
    );
}

#[test]
fn example_every_patch_and_image_entry_takes_effect() {
    let Some(t) = tools() else { return };
    let d = example_copy();
    render(d.path(), &[]);
    let built = build_validate_check(&t, d.path());
    assert_every_entry_takes_effect(&t, d.path(), &built, false);
}

#[test]
fn shared_files_do_not_depend_on_the_selected_profiles() {
    for root in [example_copy(), varied_project()] {
        let all = tempfile::tempdir().unwrap();
        let one = tempfile::tempdir().unwrap();
        let o = devgen(
            root.path(),
            &[
                "render",
                "--target",
                "k8s",
                "--out",
                all.path().to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let profiles = models(root.path());
        let last = &profiles.last().unwrap().profile;
        let o = devgen(
            root.path(),
            &[
                "render",
                "--target",
                "k8s",
                "--profile",
                last,
                "--out",
                one.path().to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        for sub in ["base", "components"] {
            let a = read_tree(&k8s_dir(all.path()).join(sub));
            let b = read_tree(&k8s_dir(one.path()).join(sub));
            assert!(!a.is_empty());
            assert_eq!(
                a, b,
                "{sub}/ differs between `render` and `render --profile {last}`"
            );
        }
        // `--set` changes overlays only.
        let set = tempfile::tempdir().unwrap();
        let o = devgen(
            root.path(),
            &[
                "render",
                "--target",
                "k8s",
                "--set",
                "env.EXTRA=1",
                "--out",
                set.path().to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            read_tree(&k8s_dir(all.path()).join("base")),
            read_tree(&k8s_dir(set.path()).join("base"))
        );
        assert_ne!(
            read_tree(&k8s_dir(all.path()).join("overlays")),
            read_tree(&k8s_dir(set.path()).join("overlays"))
        );
    }
}

#[test]
fn rendering_is_byte_identical_and_headed() {
    let d = example_copy();
    render(d.path(), &[]);
    let first = read_tree(&k8s_dir(d.path()));
    render(d.path(), &[]);
    assert_eq!(first, read_tree(&k8s_dir(d.path())));
    for (path, body) in &first {
        assert!(
            body.starts_with("# Generated by devgen"),
            "{path} lacks the header"
        );
        assert!(
            body.contains("# Regenerate: devgen render --target k8s"),
            "{path}"
        );
    }
}

// ---------------------------------------------------------------------------
// A project exercising every kind of profile difference

/// Hostile env values (each must reach the ConfigMap byte for byte).
const HOSTILE_ENV: &str = r##"
env:
  TZ: UTC
  Q_DOUBLE: "say \"hi\""
  Q_SINGLE: "it's 'x'"
  Q_WRAPPED_DOUBLE: "\"quoted\""
  Q_WRAPPED_SINGLE: "'single'"
  Q_ONLY: "\""
  Q_ONLY_SINGLE: "'"
  DOLLAR: "$"
  BRACE: "${X}"
  DOUBLE_DOLLAR: "$$"
  CMD: "$(cmd)"
  K8S_REF: "$(TZ)"
  HASH: "# not a comment"
  HASH_MID: "a #b"
  EQ: "a=b=c"
  EQ_ONLY: "="
  SPACES: "  lead and trail  "
  BACKSLASH: "C:\\path\\n"
  NEWLINE: "line1\nline2\n"
  TAB: "a\tb"
  CR: "a\rb"
  PCT: "%{x} %s"
  UNICODE: "ünïcödé ✓ 日本"
  EMOJI: "🚀🔥"
  YES: "yes"
  NO: "no"
  ON: "on"
  OFF: "Off"
  TRUE: "true"
  NULLISH: "null"
  TILDE: "~"
  NUM: "1.0"
  INT: "007"
  OCT: "0o17"
  HEX: "0x1F"
  EXP: "1e3"
  INF: ".inf"
  EMPTY: ""
  COLON: "a: b"
  DASH: "- x"
  BRACKETS: "[1, {a: b}]"
  STAR: "*alias &anchor !tag"
"##;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Services added, deleted, storage and ports added and removed, labels
/// overridden and deleted, images sharing a base repository, GPUs on every
/// cloud, a profile without a cloud, hostile env values.
fn varied_project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(
        r,
        "config/secrets.example.yaml",
        "API_TOKEN: token for the API\n",
    );
    write(
        r,
        "config/common/project.yaml",
        r#"
project: {name: lab, environment: shared}
image: {registry: "", name: lab-app, tag: "1.0"}
secrets: [API_TOKEN]
network: {enable_https: false, allowed_cidrs: [0.0.0.0/0]}
labels: {team: core, owner: alice, app.kubernetes.io/part-of: lab}
env: {TZ: UTC}
cloud: aws
clouds:
  aws: {region: us-east-1, efs_file_system_id: fs-0123abcd}
  azure: {region: eastus}
  gcp: {region: us-central1, project_id: p}
services:
  web:
    ports: {http: 8080}
    env: {MODE: web}
    labels: {tier: frontend}
    resources: {cpu: 500m, memory: 512Mi, storage: 1Gi}
    mount_path: /srv/data
  api:
    image: {name: lab-api}
    ports: {api: 9000, metrics: 9100}
    resources: {cpu: "1", memory: 1Gi, gpu: {model: t4, count: 1}, instance: {aws: g4dn.xlarge}}
  worker:
    command: [python, -m, worker, "--flag=$(X)"]
    resources: {cpu: 250m, memory: 256Mi}
"#,
    );
    write(
        r,
        "config/profiles/awsgpu.yaml",
        &format!(
            r#"
project: {{environment: Prod_EU}}
labels: {{owner: null, stage: prod}}
network: {{allowed_cidrs: [10.0.0.0/8, 172.16.0.0/12], domain: lab.example.com, enable_https: true}}
clouds: {{aws: {{workload_identity: "arn:aws:iam::123456789012:role/lab"}}}}
image: {{registry: ghcr.io/acme}}
{HOSTILE_ENV}
services:
  web:
    replicas: 2
    autoscaling: {{min: 2, max: 5, cpu_percent: 60}}
    labels: {{team: web-team}}
    resources: {{memory: 1Gi}}
    env: {{SVC_ONLY: "x=\"y\" $HOME"}}
  api:
    resources: {{gpu: {{model: a10g, count: 2}}, instance: {{aws: g5.12xlarge}}}}
  worker: null
  extra:
    image: {{name: extra, tag: "2"}}
    ports: {{http: 8000}}
    replicas: 3
    resources: {{storage: 2Gi, gpu: {{model: a10g, count: 1}}}}
"#
        ),
    );
    write(
        r,
        "config/profiles/azuregpu.yaml",
        r#"
cloud: azure
clouds: {azure: {workload_identity: 00000000-0000-0000-0000-000000000001}}
network: {domain: lab.azure.example.com}
services:
  web: {resources: {storage: null}}
  api: {cloud_identity: true, resources: {gpu: {model: a100, count: 1}, instance: {aws: p4d.24xlarge}}}
  worker: {image: {tag: "2.0"}, resources: {storage: 3Gi}}
"#,
    );
    write(
        r,
        "config/profiles/gcpgpu.yaml",
        r#"
cloud: gcp
clouds: {gcp: {workload_identity: lab@p.iam.gserviceaccount.com}}
labels: {team: null}
secrets: []
services:
  api: {resources: {gpu: {model: l4, count: 1}, instance: {aws: g6.xlarge}}, ports: {metrics: null, http: 9080}}
  web: {ports: {http: null, ui: 8081}, command: [serve, --port, "8081"]}
"#,
    );
    write(
        r,
        "config/profiles/local.yaml",
        r#"
cloud: null
services:
  api: {resources: {gpu: null}}
  web: {env: {MODE: local}, resources: {storage: 5Gi}}
  worker: {replicas: 0}
"#,
    );
    d
}

#[test]
fn varied_profiles_build_validate_and_mean_the_config() {
    let Some(t) = tools() else { return };
    let d = varied_project();
    render(d.path(), &[]);
    let built = build_validate_check(&t, d.path());
    assert_eq!(built.len(), 4);

    let aws = documents(&built["awsgpu"]);
    // The namespace is <project>-<environment>, made a DNS label.
    assert!(find(&aws, "Namespace", "lab-prod-eu").is_some());
    // Node selection from the pin on EKS; GPUs of every GPU service.
    let api = workload(&aws, "api").unwrap();
    assert_eq!(
        api["spec"]["template"]["spec"]["nodeSelector"]["node.kubernetes.io/instance-type"],
        "g5.12xlarge"
    );
    assert_eq!(
        api["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "2"
    );
    let extra = workload(&aws, "extra").unwrap();
    assert_eq!(
        extra["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "1"
    );
    // No pin: the catalogue placement, the cheapest a10g instance in us-east-1.
    assert_eq!(
        extra["spec"]["template"]["spec"]["nodeSelector"]["node.kubernetes.io/instance-type"],
        "g5.xlarge"
    );
    assert_eq!(extra["spec"]["replicas"], 3);
    assert!(workload(&aws, "worker").is_none());
    // A label a profile deletes is gone everywhere; one it adds is everywhere.
    assert!(
        aws.iter()
            .all(|o| o["metadata"]["labels"]["owner"].is_null())
    );
    assert!(
        aws.iter()
            .all(|o| o["metadata"]["labels"]["stage"] == "prod")
    );
    let web = workload(&aws, "web").unwrap();
    assert_eq!(web["metadata"]["labels"]["team"], "web-team");
    assert_eq!(
        web["spec"]["template"]["metadata"]["labels"]["team"],
        "web-team"
    );
    let hosts: BTreeSet<&str> = aws
        .iter()
        .filter(|o| o["kind"] == "Ingress")
        .map(|o| o["spec"]["rules"][0]["host"].as_str().unwrap())
        .collect();
    assert_eq!(
        hosts,
        BTreeSet::from(["web.lab.example.com", "extra.lab.example.com"])
    );

    let azure = documents(&built["azuregpu"]);
    let api = workload(&azure, "api").unwrap();
    assert_eq!(
        api["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.azure.com/accelerator"],
        "nvidia"
    );
    assert_eq!(
        api["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"],
        "true"
    );
    assert_eq!(
        find(&azure, "Ingress", "web").unwrap()["spec"]["ingressClassName"],
        "azure-application-gateway"
    );
    assert!(find(&azure, "PersistentVolumeClaim", "web-data").is_none());
    // web and worker share a base image but not a profile image.
    assert_eq!(
        workload(&azure, "worker").unwrap()["spec"]["template"]["spec"]["containers"][0]["image"],
        "lab-app:2.0"
    );
    assert_eq!(
        workload(&azure, "web").unwrap()["spec"]["template"]["spec"]["containers"][0]["image"],
        "lab-app:1.0"
    );

    let gcp = documents(&built["gcpgpu"]);
    let api = workload(&gcp, "api").unwrap();
    assert_eq!(
        api["spec"]["template"]["spec"]["nodeSelector"]["cloud.google.com/gke-accelerator"],
        "nvidia-l4"
    );
    assert!(find(&gcp, "Ingress", "web").is_none());
    let sc = find(&gcp, "StorageClass", "lab-shared").unwrap();
    assert_eq!(sc["provisioner"], "filestore.csi.storage.gke.io");
    let sc = find(&gcp, "StorageClass", "lab-block").unwrap();
    assert_eq!(sc["provisioner"], "pd.csi.storage.gke.io");

    let local = documents(&built["local"]);
    assert!(
        !local
            .iter()
            .any(|o| o["kind"] == "StorageClass" || o["metadata"]["name"] == "lab")
    );
    assert_eq!(workload(&local, "worker").unwrap()["spec"]["replicas"], 0);
}

#[test]
fn hostile_env_values_survive_byte_for_byte() {
    let Some(t) = tools() else { return };
    let d = varied_project();
    render(d.path(), &["--profile", "awsgpu"]);
    let yaml = kustomize(&t.kubectl, &k8s_dir(d.path()).join("overlays/awsgpu")).unwrap();
    let objs = documents(&yaml);
    let want: BTreeMap<String, String> =
        serde_yaml::from_str::<BTreeMap<String, BTreeMap<String, String>>>(HOSTILE_ENV)
            .unwrap()
            .remove("env")
            .unwrap();
    assert!(want.len() > 40);
    for svc in ["web", "api", "extra"] {
        let d = workload(&objs, svc).unwrap();
        let cm =
            d["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"]
                .as_str()
                .unwrap();
        let data = str_map(&find(&objs, "ConfigMap", cm).unwrap()["data"]);
        for (k, v) in &want {
            assert_eq!(data.get(k), Some(v), "{svc}: {k}");
        }
    }
    let web_cm =
        workload(&objs, "web").unwrap()["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]
            ["configMapRef"]["name"]
            .as_str()
            .unwrap()
            .to_string();
    assert_eq!(
        str_map(&find(&objs, "ConfigMap", &web_cm).unwrap()["data"])["SVC_ONLY"],
        "x=\"y\" $HOME"
    );
}

#[test]
fn varied_every_patch_and_image_entry_takes_effect() {
    let Some(t) = tools() else { return };
    let d = varied_project();
    render(d.path(), &[]);
    let built = build_validate_check(&t, d.path());
    assert_every_entry_takes_effect(&t, d.path(), &built, true);
}

#[test]
fn an_env_change_renames_the_configmap_so_pods_roll() {
    let Some(t) = tools() else { return };
    let d = example_copy();
    render(d.path(), &[]);
    let before =
        documents(&kustomize(&t.kubectl, &k8s_dir(d.path()).join("overlays/staging")).unwrap());
    render(d.path(), &["--set", "services.devai.env.NEW=1"]);
    let after =
        documents(&kustomize(&t.kubectl, &k8s_dir(d.path()).join("overlays/staging")).unwrap());
    let cm = |objs: &[Value], s: &str| {
        workload(objs, s).unwrap()["spec"]["template"]["spec"]["containers"][0]["envFrom"]
            [0]["configMapRef"]["name"]
            .clone()
    };
    assert_ne!(cm(&before, "devai"), cm(&after, "devai"));
    assert_eq!(cm(&before, "ollama"), cm(&after, "ollama"));
}

// ---------------------------------------------------------------------------
// Makefile: k8s-build, k8s-apply, k8s-delete (ENV=profile)

fn make() -> Option<PathBuf> {
    let ok = Command::new("make")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(PathBuf::from("make"))
    } else if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("required tool `make` is missing under CI");
    } else {
        eprintln!("SKIP: `make` not found");
        None
    }
}

fn make_cmd() -> Command {
    let mut c = Command::new("make");
    c.arg("--no-print-directory")
        .env_remove("PROFILE")
        .env_remove("ENV")
        .env_remove("MAKEFLAGS")
        .env_remove("MAKELEVEL");
    c
}

fn make_n(target: &str, vars: &[&str]) -> Vec<String> {
    let o = make_cmd()
        .arg("-n")
        .arg("-C")
        .arg(common::repo_root())
        .arg(target)
        .arg("DEVGEN=devgen")
        .args(vars)
        .output()
        .expect("run make");
    assert!(o.status.success(), "make -n {target}: {}", stderr(&o));
    stdout(&o).lines().map(str::to_string).collect()
}

#[test]
fn makefile_k8s_targets_render_then_run_kubectl_on_the_env_overlay() {
    if make().is_none() {
        return;
    }
    let render = |p: &str| format!("devgen render --profile {p} --target k8s >&2");
    assert_eq!(
        make_n("k8s-build", &["ENV=prod"]),
        [
            render("prod"),
            "kubectl kustomize deploy/kubernetes/overlays/prod".into()
        ]
    );
    assert_eq!(
        make_n("k8s-apply", &["ENV=staging"]),
        [
            render("staging"),
            "kubectl apply -k deploy/kubernetes/overlays/staging".into()
        ]
    );
    assert_eq!(
        make_n("k8s-delete", &["ENV=staging", "KUBECTL=kc"]),
        [
            render("staging"),
            "kc delete -k deploy/kubernetes/overlays/staging --ignore-not-found".into()
        ]
    );
    // ENV defaults to PROFILE, which defaults to dev.
    assert_eq!(
        make_n("k8s-apply", &[])[1],
        "kubectl apply -k deploy/kubernetes/overlays/dev"
    );
    assert_eq!(
        make_n("k8s-build", &["PROFILE=staging"])[1],
        "kubectl kustomize deploy/kubernetes/overlays/staging"
    );
}

#[test]
fn make_k8s_build_prints_exactly_the_overlay() {
    let (Some(_), Some(t)) = (make(), tools()) else {
        return;
    };
    let d = example_copy();
    // The repository commits its rendered tree; start from none so the test
    // sees what `make k8s-build` itself renders.
    let _ = std::fs::remove_dir_all(k8s_dir(d.path()));
    let run = |env: &str| {
        make_cmd()
            .arg("-s")
            .arg("-C")
            .arg(d.path())
            .arg("-f")
            .arg(common::repo_root().join("Makefile"))
            .arg("k8s-build")
            .arg(format!("ENV={env}"))
            .arg(format!("DEVGEN={}", common::devgen_bin().display()))
            .arg(format!("KUBECTL={}", t.kubectl.display()))
            .output()
            .expect("run make")
    };
    let o = run("staging");
    assert!(o.status.success(), "{}", stderr(&o));
    let overlay = k8s_dir(d.path()).join("overlays/staging");
    assert_eq!(
        stdout(&o),
        kustomize(&t.kubectl, &overlay).unwrap(),
        "stdout is the manifests only"
    );
    assert!(
        !k8s_dir(d.path()).join("overlays/prod").exists(),
        "only ENV's overlay is rendered"
    );
    let o = run("nope");
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unknown profile `nope`"),
        "{}",
        stderr(&o)
    );
}

/// Kustomize applies `images:` entries one after another, so an entry renaming
/// `one` to `two` followed by one retagging `two` would retag both; services
/// sharing a base image with different profile images need patches too.
#[test]
fn image_entries_never_rename_twice_or_hit_the_wrong_service() {
    let Some(t) = tools() else { return };
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "config/secrets.example.yaml", "");
    write(
        r,
        "config/common/p.yaml",
        r#"
project: {name: imgs}
services:
  a: {image: {name: one, tag: "1"}}
  b: {image: {name: two, tag: "1"}}
  c: {image: {name: three, tag: "1"}}
  d: {image: {name: three, tag: "1"}}
  e: {image: {name: four, tag: "1"}}
  g: {image: {name: five, tag: "1"}}
"#,
    );
    write(
        r,
        "config/profiles/swap.yaml",
        r#"
services:
  a: {image: {name: two, tag: "9"}}
  b: {image: {tag: "2"}}
  c: {image: {tag: "3"}}
  d: {image: {tag: "4"}}
  e: {image: {registry: reg.example.com, tag: "5"}}
  f: {image: {name: four, tag: "1"}}
  g: {image: {registry: reg.example.com, tag: "6"}}
"#,
    );
    render(r, &[]);
    let built = build_validate_check(&t, r);
    let objs = documents(&built["swap"]);
    let image = |s: &str| {
        workload(&objs, s).unwrap()["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        ["a", "b", "c", "d", "e", "f", "g"].map(image),
        [
            "two:9",
            "two:2",
            "three:3",
            "three:4",
            "reg.example.com/four:5",
            "four:1",
            "reg.example.com/five:6"
        ]
    );
    // Only the unambiguous one goes through `images:`.
    let k: Value = serde_yaml::from_str(
        &std::fs::read_to_string(k8s_dir(r).join("overlays/swap/kustomization.yaml")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        k["images"],
        serde_json::json!([{"name": "five", "newName": "reg.example.com/five", "newTag": "6"}])
    );
    assert_every_entry_takes_effect(&t, r, &built, false);
}

/// Every generated file reads the same with a YAML 1.1 reader (PyYAML, where
/// `yes`, `on`, `0o17`-likes and `~` mean other things) as with a YAML 1.2 one:
/// nothing ambiguous is left unquoted — nor in the patches embedded as text.
#[test]
fn generated_yaml_means_the_same_to_yaml_1_1_readers() {
    let Some(python) = common::venv_python() else {
        return;
    };
    let d = varied_project();
    render(d.path(), &[]);
    let script = r#"
import json, sys, yaml
out = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        docs = list(yaml.safe_load_all(f))
    for doc in docs:
        for p in (doc or {}).get("patches") or []:
            if isinstance(p.get("patch"), str):
                p["patch"] = yaml.safe_load(p["patch"])
    out[path] = docs
json.dump(out, sys.stdout)
"#;
    let files: Vec<PathBuf> = walkdir::WalkDir::new(k8s_dir(d.path()))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    assert!(files.len() > 30);
    let o = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let yaml11: BTreeMap<String, Vec<Value>> = serde_json::from_slice(&o.stdout).unwrap();
    let mut patches = 0;
    for f in &files {
        let mut docs = documents(&std::fs::read_to_string(f).unwrap());
        for doc in &mut docs {
            let list = doc.get_mut("patches").and_then(Value::as_array_mut);
            for p in list.into_iter().flatten() {
                if let Some(body) = p["patch"].as_str() {
                    p["patch"] = serde_yaml::from_str(body).unwrap();
                    patches += 1;
                }
            }
        }
        assert_eq!(
            yaml11[&f.display().to_string()],
            docs,
            "{} reads differently as YAML 1.1",
            f.display()
        );
    }
    assert!(patches > 20);
}
