//! Target `k8s` (alias `kustomize`): a Kustomize tree under `deploy/kubernetes/`.
//!
//! ```text
//! base/                  shared by every profile, rendered ONCE from config/common/ alone
//! components/gpu/        GPU limits + toleration for Deployments an overlay marks
//! components/{aws,azure,gcp}/  ingress class, StorageClass, workload-identity
//!                        ServiceAccount, GPU node selection (from common/ alone too)
//! overlays/<profile>/    resources: [../../base] + components + the profile's differences
//! ```
//!
//! Why the base comes from `config/common/` alone: `devgen render --profile dev`
//! and `devgen render` must write the same shared files, so nothing shared may
//! depend on which profiles were selected. Each overlay then carries exactly
//! how its profile differs from the base:
//!
//! * objects are rendered from templates twice — with the common model (the
//!   base) and with the profile's model — parsed, and compared; every
//!   difference becomes a JSON 6902 patch of the overlay, objects that exist
//!   only in the profile become overlay resources, objects only in the base
//!   are deleted with `$patch: delete`. So every patch changes something.
//! * images go through `images:`, replica counts through `replicas:` (the
//!   objects are compared with the base's image and replicas for that).
//! * env: a generated ConfigMap object per service, not `configMapGenerator`.
//!   Its name ends in a hash of the env (`devai-env-1a2b3c4d5e`), so — as with
//!   Kustomize's generator — a changed value renames it, changes the pod
//!   template and rolls the pods (the overlay adds the new ConfigMap, deletes
//!   the base's and patches the reference). Why not the generator: it re-reads
//!   keys as YAML (an env var named `TRUE`, `False` or `NULL` breaks the build)
//!   and strips quotes around literal values; a plain object with every
//!   ambiguous scalar quoted is read back byte for byte.
//! * labels every object of a model shares (the global labels no service
//!   overrides) go through Kustomize `labels:` (selectors untouched); the rest
//!   are written on the objects.
//! * GPU: Kustomize applies components before the overlay's own patches, so
//!   an overlay marks its GPU services in a local component listed first
//!   (`gpu-services`: label `devgen.dev/gpu=<count>`, annotation
//!   `devgen.dev/gpu-node=<node label value>`), and the shared, static
//!   components turn the marks into limits, toleration and node selector.
//!
//! Namespace: `<project.name>-<project.environment>` (DNS-1123, ≤ 63), set by
//! each overlay; the base uses `<project.name>`.
use std::collections::{BTreeSet, HashMap, HashSet};

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::filters::yaml_block_lines;
use super::{Engine, PlannedFile, RenderOptions, Target, header};
use crate::diag::Diagnostic;
use crate::model::{Model, Service};

/// Where the tree goes.
pub const ROOT: &str = "deploy/kubernetes";
/// Label that selects a service's pods (set to the service name).
pub const SELECTOR_LABEL: &str = "app.kubernetes.io/name";
/// Label marking a GPU Deployment (value: GPUs per replica).
pub const GPU_LABEL: &str = "devgen.dev/gpu";
/// Annotation carrying a GPU Deployment's node-label value.
pub const GPU_NODE_ANNOTATION: &str = "devgen.dev/gpu-node";
/// The clouds that get a component.
pub const CLOUDS: [&str; 3] = ["aws", "azure", "gcp"];

const REGENERATE: &str = "devgen render --target k8s";

/// The `k8s` target.
pub struct K8s;

impl Target for K8s {
    fn name(&self) -> &str {
        "k8s"
    }

    fn render(
        &self,
        engine: &Engine,
        models: &[Model],
        opts: &RenderOptions,
    ) -> Result<Vec<PlannedFile>, Vec<Diagnostic>> {
        let Some(common) = &opts.common else {
            return Err(vec![
                Diagnostic::error(
                    "cannot render the Kubernetes base: config/common/ alone does not form a model",
                )
                .with_hint(
                    "the shared base is rendered from config/common/ alone; fix the quantities there",
                ),
            ]);
        };
        let cloud_selected = |c: &str| opts.clouds.is_empty() || opts.clouds.iter().any(|x| x == c);
        let base = Base::render(engine, common).map_err(|d| vec![d])?;
        let mut files = base.files.clone();
        files.push(shared_file(
            common,
            "components/gpu/kustomization.yaml",
            engine
                .render("k8s/component-gpu.yaml.j2", &json!({}))
                .map_err(|d| vec![d])?,
        ));
        for cloud in CLOUDS.iter().filter(|c| cloud_selected(c)) {
            let comp = CloudComponent::render(engine, common, cloud).map_err(|d| vec![d])?;
            files.extend(comp.files);
        }
        let mut diags = Vec::new();
        for m in models {
            if let Some(c) = &m.cloud
                && !cloud_selected(c)
            {
                continue;
            }
            match overlay(engine, &base, m) {
                Ok(f) => files.extend(f),
                Err(d) => diags.push(d),
            }
        }
        if diags.is_empty() {
            Ok(files)
        } else {
            Err(diags)
        }
    }
}

// ---------------------------------------------------------------------------
// Views: what templates see. Logic lives here, templates stay declarative.

/// App-wide values of one model.
#[derive(Clone, Debug, Serialize, PartialEq)]
struct AppView {
    /// Identity (names of app-wide objects): the common project name.
    name: String,
    /// Labels written on app-wide objects of the base (global minus uniform).
    labels: IndexMap<String, String>,
    /// Every global label (objects outside the base: component resources).
    all_labels: IndexMap<String, String>,
    /// CIDRs allowed in.
    allowed_cidrs: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
struct PortView {
    name: String,
    port: u16,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
struct StorageView {
    claim: String,
    size: String,
    mount_path: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
struct IngressView {
    host: Option<String>,
    tls_secret: Option<String>,
    port: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
struct AutoscalingView {
    min: u32,
    max: u32,
    cpu_percent: u32,
}

/// One service as its templates see it.
#[derive(Clone, Debug, Serialize, PartialEq)]
struct SvcView {
    name: String,
    /// Labels written on the service's objects (selector label first).
    labels: IndexMap<String, String>,
    selector: IndexMap<String, String>,
    image: String,
    replicas: u32,
    ports: Vec<PortView>,
    command: Vec<String>,
    cpu: String,
    memory: String,
    /// ConfigMap name: `<service>-env-<hash of the env>`.
    configmap: String,
    /// The effective env.
    env: IndexMap<String, String>,
    secret_name: String,
    secrets: Vec<String>,
    storage: Option<StorageView>,
    ingress: Option<IngressView>,
    autoscaling: Option<AutoscalingView>,
}

/// Labels every object of `m` carries with the same value (and which Kustomize
/// `labels:` may therefore set): global labels no service overrides.
fn uniform_labels(m: &Model) -> IndexMap<String, String> {
    m.labels
        .iter()
        .filter(|(k, _)| !reserved_label(k))
        .filter(|(k, v)| m.services.values().all(|s| s.labels.get(*k) == Some(*v)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn reserved_label(k: &str) -> bool {
    k == SELECTOR_LABEL || k == GPU_LABEL
}

fn app_view(m: &Model, identity: &str) -> AppView {
    let uniform = uniform_labels(m);
    let all_labels: IndexMap<String, String> = m
        .labels
        .iter()
        .filter(|(k, _)| !reserved_label(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    AppView {
        name: identity.to_string(),
        labels: all_labels
            .iter()
            .filter(|(k, _)| !uniform.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        all_labels,
        allowed_cidrs: m.network.allowed_cidrs.clone(),
    }
}

/// A short, stable hash of an env (order-independent, like ConfigMap data):
/// it is part of the ConfigMap's name, so changing a value renames the
/// ConfigMap, changes the pod template and rolls the pods.
fn env_hash(env: &IndexMap<String, String>) -> String {
    let mut entries: Vec<(&String, &String)> = env.iter().collect();
    entries.sort();
    // FNV-1a, 64 bits: deterministic on every machine.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in entries {
        for b in k.bytes().chain([0]).chain(v.bytes()).chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")[..10].to_string()
}

fn secret_name(m: &Model) -> String {
    format!("{}-secrets", m.project.name)
}

/// Per-model values every service's view needs (computed once per model).
struct Facts {
    uniform: IndexMap<String, String>,
    http_services: usize,
}

impl Facts {
    fn of(m: &Model) -> Facts {
        Facts {
            uniform: uniform_labels(m),
            http_services: m
                .services
                .values()
                .filter(|x| x.ports.contains_key("http"))
                .count(),
        }
    }
}

fn svc_view(m: &Model, facts: &Facts, s: &Service) -> SvcView {
    let uniform = &facts.uniform;
    let mut labels = IndexMap::new();
    labels.insert(SELECTOR_LABEL.to_string(), s.name.clone());
    for (k, v) in &s.labels {
        if !reserved_label(k) && uniform.get(k) != Some(v) {
            labels.insert(k.clone(), v.clone());
        }
    }
    let mut selector = IndexMap::new();
    selector.insert(SELECTOR_LABEL.to_string(), s.name.clone());
    let http_services = facts.http_services;
    let ingress = s.ports.contains_key("http").then(|| {
        let host = m.network.domain.as_ref().map(|d| {
            if http_services > 1 {
                format!("{}.{d}", s.name)
            } else {
                d.clone()
            }
        });
        IngressView {
            tls_secret: (m.network.enable_https && host.is_some())
                .then(|| format!("{}-tls", s.name)),
            host,
            port: "http".into(),
        }
    });
    SvcView {
        name: s.name.clone(),
        labels,
        selector,
        image: s.image.reference.clone(),
        replicas: s.replicas,
        ports: s
            .ports
            .iter()
            .map(|(n, p)| PortView {
                name: n.clone(),
                port: *p,
            })
            .collect(),
        command: s.command.clone(),
        cpu: s.resources.cpu.clone(),
        memory: s.resources.memory.clone(),
        configmap: format!("{}-env-{}", s.name, env_hash(&s.env)),
        env: s.env.clone(),
        secret_name: secret_name(m),
        secrets: m.secrets.iter().map(|x| x.name.clone()).collect(),
        storage: s.resources.storage.as_ref().map(|size| StorageView {
            claim: format!("{}-data", s.name),
            size: size.clone(),
            mount_path: s.mount_path.clone(),
        }),
        ingress,
        autoscaling: s.autoscaling.as_ref().map(|a| AutoscalingView {
            min: a.min,
            max: a.max,
            cpu_percent: a.cpu_percent,
        }),
    }
}

// ---------------------------------------------------------------------------
// Objects

/// One rendered Kubernetes object.
#[derive(Clone, Debug)]
struct Obj {
    /// File name (`devai-deployment.yaml`).
    file: String,
    kind: &'static str,
    name: String,
    /// The template's output.
    text: String,
    /// The same, parsed.
    value: Value,
}

fn render_obj(
    engine: &Engine,
    template: &str,
    ctx: &Value,
    file: String,
    kind: &'static str,
) -> Result<Obj, Diagnostic> {
    let text = engine.render(template, ctx)?;
    let value: Value = serde_yaml::from_str(&text).map_err(|e| {
        Diagnostic::error(format!(
            "templates/{template} rendered invalid YAML for {file}: {e}\n{text}"
        ))
    })?;
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Diagnostic::error(format!(
                "templates/{template}: object without metadata.name"
            ))
        })?
        .to_string();
    Ok(Obj {
        file,
        kind,
        name,
        text,
        value,
    })
}

fn app_objects(engine: &Engine, app: &AppView) -> Result<Vec<Obj>, Diagnostic> {
    let ctx = json!({ "app": app });
    Ok(vec![
        render_obj(
            engine,
            "k8s/namespace.yaml.j2",
            &ctx,
            "namespace.yaml".into(),
            "Namespace",
        )?,
        render_obj(
            engine,
            "k8s/networkpolicy-default-deny.yaml.j2",
            &ctx,
            "networkpolicy-default-deny.yaml".into(),
            "NetworkPolicy",
        )?,
        render_obj(
            engine,
            "k8s/networkpolicy-allow.yaml.j2",
            &ctx,
            "networkpolicy-allow.yaml".into(),
            "NetworkPolicy",
        )?,
    ])
}

fn service_objects(engine: &Engine, app: &AppView, v: &SvcView) -> Result<Vec<Obj>, Diagnostic> {
    let ctx = json!({ "app": app, "svc": v });
    let n = &v.name;
    let mut out = vec![
        render_obj(
            engine,
            "k8s/deployment.yaml.j2",
            &ctx,
            format!("{n}-deployment.yaml"),
            "Deployment",
        )?,
        render_obj(
            engine,
            "k8s/configmap.yaml.j2",
            &ctx,
            format!("{n}-configmap.yaml"),
            "ConfigMap",
        )?,
    ];
    if !v.ports.is_empty() {
        out.push(render_obj(
            engine,
            "k8s/service.yaml.j2",
            &ctx,
            format!("{n}-service.yaml"),
            "Service",
        )?);
    }
    if v.storage.is_some() {
        out.push(render_obj(
            engine,
            "k8s/pvc.yaml.j2",
            &ctx,
            format!("{n}-pvc.yaml"),
            "PersistentVolumeClaim",
        )?);
    }
    if v.ingress.is_some() {
        out.push(render_obj(
            engine,
            "k8s/ingress.yaml.j2",
            &ctx,
            format!("{n}-ingress.yaml"),
            "Ingress",
        )?);
    }
    Ok(out)
}

/// The object as Kustomize `labels:` (with `includeTemplates`) leaves it.
fn with_labels(mut v: Value, kind: &str, labels: &IndexMap<String, String>) -> Value {
    let mut paths = vec!["/metadata/labels"];
    if kind == "Deployment" {
        paths.push("/spec/template/metadata/labels");
    }
    for p in paths {
        if let Some(Value::Object(m)) = v.pointer_mut(p) {
            for (k, x) in labels {
                m.insert(k.clone(), Value::String(x.clone()));
            }
        }
    }
    v
}

fn shared_file(common: &Model, rel: &str, body: String) -> PlannedFile {
    PlannedFile {
        path: format!("{ROOT}/{rel}").into(),
        bytes: format!("{}{body}", header("#", &common.sources, REGENERATE)).into_bytes(),
        target: "k8s".into(),
        profile: None,
        regenerate: REGENERATE.into(),
    }
}

// ---------------------------------------------------------------------------
// Base

/// The base, rendered once from the common model.
struct Base {
    /// The common model.
    model: Model,
    /// App-wide view of the common model.
    app: AppView,
    /// Labels the base's `labels:` sets.
    uniform: IndexMap<String, String>,
    /// Each service's view.
    views: IndexMap<String, SvcView>,
    /// Objects in file order.
    objects: Vec<Obj>,
    /// Each object as the overlay sees it (the base's `labels:` applied).
    built: Vec<Value>,
    /// Object index by (kind, name).
    index: HashMap<(&'static str, String), usize>,
    /// Indices of the app-wide objects, and of each service's objects.
    app_objects: Vec<usize>,
    service_objects: IndexMap<String, Vec<usize>>,
    /// Files to write.
    files: Vec<PlannedFile>,
}

impl Base {
    fn render(engine: &Engine, common: &Model) -> Result<Base, Diagnostic> {
        let app = app_view(common, &common.project.name);
        let facts = Facts::of(common);
        let mut objects = app_objects(engine, &app)?;
        let app_idx: Vec<usize> = (0..objects.len()).collect();
        let mut views = IndexMap::new();
        let mut service_idx = IndexMap::new();
        for s in common.services.values() {
            let v = svc_view(common, &facts, s);
            let objs = service_objects(engine, &app, &v)?;
            service_idx.insert(
                s.name.clone(),
                (objects.len()..objects.len() + objs.len()).collect(),
            );
            objects.extend(objs);
            views.insert(s.name.clone(), v);
        }
        let built = objects
            .iter()
            .map(|o| with_labels(o.value.clone(), o.kind, &facts.uniform))
            .collect();
        let index = objects
            .iter()
            .enumerate()
            .map(|(i, o)| ((o.kind, o.name.clone()), i))
            .collect();
        let mut files: Vec<PlannedFile> = objects
            .iter()
            .map(|o| shared_file(common, &format!("base/{}", o.file), o.text.clone()))
            .collect();
        let ctx = json!({
            "namespace": common.project.name,
            "labels": facts.uniform,
            "resources": objects.iter().map(|o| o.file.clone()).collect::<Vec<_>>(),
        });
        files.push(shared_file(
            common,
            "base/kustomization.yaml",
            engine.render("k8s/base-kustomization.yaml.j2", &ctx)?,
        ));
        Ok(Base {
            model: common.clone(),
            app,
            uniform: facts.uniform,
            views,
            objects,
            built,
            index,
            app_objects: app_idx,
            service_objects: service_idx,
            files,
        })
    }

    fn find(&self, kind: &'static str, name: &str) -> Option<usize> {
        self.index.get(&(kind, name.to_string())).copied()
    }
}

/// An object of the profile: the base's own (same template inputs, so the
/// same object) or one rendered for the profile.
enum Want<'a> {
    Same(usize, &'a Obj),
    New(Obj),
}

impl Want<'_> {
    fn obj(&self) -> &Obj {
        match self {
            Want::Same(_, o) => o,
            Want::New(o) => o,
        }
    }
}

// ---------------------------------------------------------------------------
// Cloud components

/// What differs between the clouds.
struct CloudSpec {
    title: &'static str,
    ingress_doc: &'static str,
    ingress_class: Option<&'static str>,
    ingress_annotations: &'static [(&'static str, &'static str)],
    identity_doc: &'static str,
    identity_annotation: &'static str,
    pod_labels: &'static [(&'static str, &'static str)],
    storage_doc: &'static str,
    provisioner: &'static str,
    volume_binding_mode: &'static str,
    gpu_node_label: &'static str,
}

fn cloud_spec(cloud: &str) -> CloudSpec {
    match cloud {
        "aws" => CloudSpec {
            title: "AWS (EKS)",
            ingress_doc: "AWS Load Balancer Controller (ALB)",
            ingress_class: Some("alb"),
            ingress_annotations: &[
                ("alb.ingress.kubernetes.io/scheme", "internet-facing"),
                ("alb.ingress.kubernetes.io/target-type", "ip"),
            ],
            identity_doc: "IRSA, the IAM role of clouds.aws.workload_identity",
            identity_annotation: "eks.amazonaws.com/role-arn",
            pod_labels: &[],
            storage_doc: "EFS CSI driver, access points on clouds.aws.efs_file_system_id",
            provisioner: "efs.csi.aws.com",
            volume_binding_mode: "Immediate",
            gpu_node_label: "node.kubernetes.io/instance-type",
        },
        "azure" => CloudSpec {
            title: "Azure (AKS)",
            ingress_doc: "Application Gateway Ingress Controller",
            ingress_class: Some("azure-application-gateway"),
            ingress_annotations: &[("appgw.ingress.kubernetes.io/backend-protocol", "http")],
            identity_doc: "AKS workload identity, the managed identity client id of clouds.azure.workload_identity",
            identity_annotation: "azure.workload.identity/client-id",
            pod_labels: &[("azure.workload.identity/use", "true")],
            storage_doc: "Azure Files CSI driver",
            provisioner: "file.csi.azure.com",
            volume_binding_mode: "Immediate",
            gpu_node_label: "kubernetes.azure.com/accelerator",
        },
        _ => CloudSpec {
            title: "Google Cloud (GKE)",
            ingress_doc: "GKE Ingress controller (external Application Load Balancer)",
            ingress_class: None,
            ingress_annotations: &[("kubernetes.io/ingress.class", "gce")],
            identity_doc: "GKE workload identity, the Google service account of clouds.gcp.workload_identity",
            identity_annotation: "iam.gke.io/gcp-service-account",
            pod_labels: &[],
            storage_doc: "Filestore CSI driver; Filestore bills at least 1 TiB per instance",
            provisioner: "filestore.csi.storage.gke.io",
            volume_binding_mode: "WaitForFirstConsumer",
            gpu_node_label: "cloud.google.com/gke-accelerator",
        },
    }
}

/// JSON Pointer escaping of one key.
fn pointer_key(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// The cloud view of `m` (identity names from the common model).
fn cloud_view(m: &Model, cloud: &str, identity: &str) -> Value {
    let spec = cloud_spec(cloud);
    let settings = m.clouds.get(cloud);
    let mut sa_annotations = Map::new();
    if let Some(w) = settings.and_then(|c| c.workload_identity.as_ref()) {
        sa_annotations.insert(spec.identity_annotation.into(), Value::String(w.clone()));
    }
    let mut params = Map::new();
    let mut notes: Vec<String> = Vec::new();
    match cloud {
        "aws" => {
            params.insert("provisioningMode".into(), "efs-ap".into());
            match settings.and_then(|c| c.efs_file_system_id.as_ref()) {
                Some(fs) => {
                    params.insert("fileSystemId".into(), Value::String(fs.clone()));
                }
                None => notes.push(
                    "fileSystemId: set clouds.aws.efs_file_system_id (EFS dynamic provisioning needs it)".into(),
                ),
            }
            params.insert("directoryPerms".into(), "700".into());
        }
        "azure" => {
            params.insert("skuName".into(), "Standard_LRS".into());
        }
        _ => {
            params.insert("tier".into(), "standard".into());
            params.insert("network".into(), "default".into());
        }
    }
    json!({
        "name": cloud,
        "title": spec.title,
        "ingress_doc": spec.ingress_doc,
        "ingress_class": spec.ingress_class,
        "ingress_annotations": spec.ingress_annotations.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<Map<_, _>>(),
        "identity_doc": spec.identity_doc,
        "service_account": identity,
        "sa_annotations": sa_annotations,
        "pod_label_ops": spec.pod_labels.iter().map(|(k, v)| json!({
            "path": format!("/spec/template/metadata/labels/{}", pointer_key(k)),
            "value": v,
        })).collect::<Vec<_>>(),
        "storage_doc": spec.storage_doc,
        "storage_class": format!("{identity}-shared"),
        "provisioner": spec.provisioner,
        "storage_parameters": params,
        "storage_notes": notes,
        "volume_binding_mode": spec.volume_binding_mode,
        "gpu_node_label": spec.gpu_node_label,
        "gpu_node_pointer": format!("/spec/template/spec/nodeSelector/{}", pointer_key(spec.gpu_node_label)),
    })
}

/// The objects a cloud component adds, for model `m`.
fn cloud_objects(
    engine: &Engine,
    m: &Model,
    cloud: &str,
    identity: &str,
) -> Result<Vec<Obj>, Diagnostic> {
    let ctx = json!({ "app": app_view(m, identity), "cloud": cloud_view(m, cloud, identity) });
    Ok(vec![
        render_obj(
            engine,
            "k8s/serviceaccount.yaml.j2",
            &ctx,
            "serviceaccount.yaml".into(),
            "ServiceAccount",
        )?,
        render_obj(
            engine,
            "k8s/storageclass.yaml.j2",
            &ctx,
            "storageclass.yaml".into(),
            "StorageClass",
        )?,
    ])
}

struct CloudComponent {
    files: Vec<PlannedFile>,
}

impl CloudComponent {
    fn render(engine: &Engine, common: &Model, cloud: &str) -> Result<CloudComponent, Diagnostic> {
        let identity = &common.project.name;
        let objs = cloud_objects(engine, common, cloud, identity)?;
        let mut files: Vec<PlannedFile> = objs
            .iter()
            .map(|o| {
                shared_file(
                    common,
                    &format!("components/{cloud}/{}", o.file),
                    o.text.clone(),
                )
            })
            .collect();
        let ctx = json!({ "cloud": cloud_view(common, cloud, identity) });
        files.push(shared_file(
            common,
            &format!("components/{cloud}/kustomization.yaml"),
            engine.render("k8s/component-cloud.yaml.j2", &ctx)?,
        ));
        Ok(CloudComponent { files })
    }
}

// ---------------------------------------------------------------------------
// Overlays

/// `<project>-<environment>` as a DNS-1123 label.
pub fn namespace(m: &Model) -> String {
    dns_label(&format!("{}-{}", m.project.name, m.project.environment))
}

fn dns_label(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.trim_matches('-').chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "default".into()
    } else {
        out
    }
}

/// The GPU node label (key, value) for `s` on `cloud`: the catalogue placement
/// when there is one, else a default from config.
pub fn gpu_node(cloud: &str, s: &Service) -> Option<(String, String)> {
    if let Some(sel) = s
        .placements
        .get(cloud)
        .and_then(|p| p.node_selector.clone())
    {
        return Some(sel);
    }
    let key = cloud_spec(cloud).gpu_node_label.to_string();
    let gpu = s.resources.gpu.as_ref()?;
    let value = match cloud {
        "aws" => s.resources.instance.get("aws").cloned()?,
        "azure" => "nvidia".to_string(),
        "gcp" => gke_accelerator(&gpu.model),
        _ => return None,
    };
    Some((key, value))
}

/// GKE's accelerator name of a normalised GPU model (the same names as the
/// catalogue's `k8s_gpu_node_selector`, which placements carry once enriched).
fn gke_accelerator(model: &str) -> String {
    let m = model.to_ascii_lowercase();
    match m.as_str() {
        "t4" | "v100" | "p100" | "p4" | "k80" | "a100" => format!("nvidia-tesla-{m}"),
        "h100" => "nvidia-h100-80gb".into(),
        "h200" => "nvidia-h200-141gb".into(),
        _ => format!("nvidia-{m}"),
    }
}

#[derive(Serialize)]
struct Target6902 {
    kind: &'static str,
    name: String,
}

#[derive(Serialize)]
struct PatchView {
    comment: String,
    target: Option<Target6902>,
    body: String,
}

#[derive(Serialize)]
struct ImageEntry {
    name: String,
    new_name: Option<String>,
    new_tag: String,
}

#[derive(Serialize)]
struct GpuMark {
    name: String,
    count: String,
    model: String,
    node: Option<String>,
}

/// The differences `base → want` as JSON Patch operations. Maps are compared
/// key by key; lists of equal length item by item, others replaced whole.
fn diff(base: &Value, want: &Value, path: &str, ops: &mut Vec<Value>) {
    match (base, want) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, bv) in b {
                let p = format!("{path}/{}", pointer_key(k));
                match a.get(k) {
                    Some(av) => diff(av, bv, &p, ops),
                    None => ops.push(json!({"op": "add", "path": p, "value": bv})),
                }
            }
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                ops.push(json!({"op": "remove", "path": format!("{path}/{}", pointer_key(k))}));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (av, bv)) in a.iter().zip(b).enumerate() {
                diff(av, bv, &format!("{path}/{i}"), ops);
            }
        }
        _ if base == want => {}
        _ => ops.push(json!({"op": "replace", "path": path, "value": want})),
    }
}

/// Drop the label settings the overlay's own `labels:` makes anyway.
fn without_label_settings(ops: Vec<Value>, labels: &IndexMap<String, String>) -> Vec<Value> {
    ops.into_iter()
        .filter(|op| {
            let path = op["path"].as_str().unwrap_or_default();
            let is_set = matches!(op["op"].as_str(), Some("add" | "replace"));
            let key = ["/metadata/labels/", "/spec/template/metadata/labels/"]
                .iter()
                .find_map(|p| path.strip_prefix(p))
                .map(|k| k.replace("~1", "/").replace("~0", "~"));
            !(is_set
                && key.is_some_and(|k| labels.get(&k).map(String::as_str) == op["value"].as_str()))
        })
        .collect()
}

fn ops_body(ops: &[Value]) -> String {
    yaml_block_lines(&Value::Array(ops.to_vec()), 0)
}

fn delete_body(o: &Obj) -> String {
    let api = o.value.get("apiVersion").cloned().unwrap_or(Value::Null);
    yaml_block_lines(
        &json!({"$patch": "delete", "apiVersion": api, "kind": o.kind, "metadata": {"name": o.name}}),
        0,
    )
}

fn overlay(engine: &Engine, base: &Base, m: &Model) -> Result<Vec<PlannedFile>, Diagnostic> {
    let dir = format!("overlays/{}", m.profile);
    let regenerate = format!("{REGENERATE} --profile {}", m.profile);
    let file = |rel: &str, body: String| PlannedFile {
        path: format!("{ROOT}/{dir}/{rel}").into(),
        bytes: format!("{}{body}", header("#", &m.sources, &regenerate)).into_bytes(),
        target: "k8s".into(),
        profile: Some(m.profile.clone()),
        regenerate: regenerate.clone(),
    };
    let identity = &base.model.project.name;
    let facts = Facts::of(m);
    let uniform = &facts.uniform;
    let app = app_view(m, identity);
    let base_svcs = &base.model.services;

    // The profile's objects; base services rendered with the base's image and
    // replicas (those go through `images:` and `replicas:`). Where the template
    // inputs equal the base's, the objects are the base's: nothing to render.
    let mut want: Vec<Want> = Vec::new();
    if app == base.app {
        want.extend(
            base.app_objects
                .iter()
                .map(|&i| Want::Same(i, &base.objects[i])),
        );
    } else {
        want.extend(app_objects(engine, &app)?.into_iter().map(Want::New));
    }
    let mut views: IndexMap<String, SvcView> = IndexMap::new();
    for s in m.services.values() {
        let mut v = svc_view(m, &facts, s);
        match (base_svcs.get(&s.name), base.views.get(&s.name)) {
            (Some(b), Some(bv)) => {
                let mut normalised = v.clone();
                normalised.image = b.image.reference.clone();
                normalised.replicas = b.replicas;
                if app == base.app && &normalised == bv {
                    let idx = &base.service_objects[&s.name];
                    want.extend(idx.iter().map(|&i| Want::Same(i, &base.objects[i])));
                } else {
                    want.extend(
                        service_objects(engine, &app, &normalised)?
                            .into_iter()
                            .map(Want::New),
                    );
                }
            }
            _ => want.extend(
                service_objects(engine, &app, &v)?
                    .into_iter()
                    .map(Want::New),
            ),
        }
        v.replicas = s.replicas;
        views.insert(s.name.clone(), v);
    }

    let mut resources: Vec<String> = vec!["../../base".into()];
    let mut local_files: Vec<PlannedFile> = Vec::new();
    let mut patches: Vec<PatchView> = Vec::new();
    let mut extra_ops: HashMap<(&'static str, String), Vec<Value>> = HashMap::new();

    // Images: one `images:` entry per base repository where that is exact,
    // otherwise a patch of the container image.
    let images = plan_images(base, m, &mut extra_ops);

    // GPU marks and node selection.
    let mut gpus: Vec<GpuMark> = Vec::new();
    for s in m.services.values() {
        let Some(g) = &s.resources.gpu else { continue };
        let mut node = None;
        if let Some(cloud) = &m.cloud
            && let Some((key, value)) = gpu_node(cloud, s)
        {
            if key == cloud_spec(cloud).gpu_node_label {
                node = Some(value);
            } else {
                extra_ops
                    .entry(("Deployment", s.name.clone()))
                    .or_default()
                    .push(json!({
                        "op": "add",
                        "path": "/spec/template/spec/nodeSelector",
                        "value": {key: value},
                    }));
            }
        }
        gpus.push(GpuMark {
            name: s.name.clone(),
            count: g.count.to_string(),
            model: g.model.clone(),
            node,
        });
    }

    // Objects: patch what differs, delete what the profile lacks, add what the base lacks.
    let wanted: HashSet<(&str, &str)> = want
        .iter()
        .map(|w| (w.obj().kind, w.obj().name.as_str()))
        .collect();
    for b in &base.objects {
        if !wanted.contains(&(b.kind, b.name.as_str())) {
            patches.push(PatchView {
                comment: format!("{}/{}: not in profile {}", b.kind, b.name, m.profile),
                target: None,
                body: delete_body(b),
            });
        }
    }
    for w in &want {
        let o = w.obj();
        let extra = extra_ops
            .remove(&(o.kind, o.name.clone()))
            .unwrap_or_default();
        let in_base = match w {
            Want::Same(i, _) => Some(*i),
            Want::New(o) => base.find(o.kind, &o.name),
        };
        match in_base {
            Some(i) => {
                let mut ops = Vec::new();
                if let Want::New(o) = w {
                    diff(
                        &base.built[i],
                        &with_labels(o.value.clone(), o.kind, uniform),
                        "",
                        &mut ops,
                    );
                    ops = without_label_settings(ops, uniform);
                } else if *uniform != base.uniform {
                    // Same object, other `labels:` pairs on each side.
                    diff(
                        &base.built[i],
                        &with_labels(o.value.clone(), o.kind, uniform),
                        "",
                        &mut ops,
                    );
                    ops = without_label_settings(ops, uniform);
                }
                ops.extend(extra);
                if !ops.is_empty() {
                    patches.push(PatchView {
                        comment: format!("{}/{}: differences from the base", o.kind, o.name),
                        target: Some(Target6902 {
                            kind: o.kind,
                            name: o.name.clone(),
                        }),
                        body: ops_body(&ops),
                    });
                }
            }
            None => {
                // Only a Deployment carries image and replicas, and a base
                // service's Deployment is always in the base: `o.text` is exact.
                resources.push(o.file.clone());
                local_files.push(file(&o.file, o.text.clone()));
                if !extra.is_empty() {
                    patches.push(PatchView {
                        comment: format!("{}/{}: node selection", o.kind, o.name),
                        target: Some(Target6902 {
                            kind: o.kind,
                            name: o.name.clone(),
                        }),
                        body: ops_body(&extra),
                    });
                }
            }
        }
    }

    // The cloud component's objects, as this profile wants them.
    let mut components: Vec<String> = Vec::new();
    if !gpus.is_empty() {
        components.push("gpu-services".into());
        components.push("../../components/gpu".into());
    }
    if let Some(cloud) = &m.cloud {
        components.push(format!("../../components/{cloud}"));
        let have = cloud_objects(engine, &base.model, cloud, identity)?;
        let wanted = cloud_objects(engine, m, cloud, identity)?;
        for (b, w) in have.iter().zip(&wanted) {
            let mut ops = Vec::new();
            diff(
                &b.value,
                &with_labels(w.value.clone(), w.kind, uniform),
                "",
                &mut ops,
            );
            // The component's objects carry every common label but no `labels:` of the base.
            let ops = without_label_settings(ops, uniform);
            if !ops.is_empty() {
                patches.push(PatchView {
                    comment: format!("{}/{}: differences from components/{cloud}", w.kind, w.name),
                    target: Some(Target6902 {
                        kind: w.kind,
                        name: w.name.clone(),
                    }),
                    body: ops_body(&ops),
                });
            }
        }
    }

    // HPAs: always the overlay's own.
    for s in m.services.values().filter(|s| s.autoscaling.is_some()) {
        let f = format!("{}-hpa.yaml", s.name);
        let ctx = json!({"app": app, "svc": views[&s.name]});
        local_files.push(file(&f, engine.render("k8s/hpa.yaml.j2", &ctx)?));
        resources.push(f);
    }

    let replicas: Vec<Value> = m
        .services
        .values()
        .map(|s| json!({"name": s.name, "count": s.replicas}))
        .collect();
    let ctx = json!({
        "profile": m.profile,
        "namespace": namespace(m),
        "resources": resources,
        "components": components,
        "labels": uniform,
        "images": images,
        "replicas": replicas,
        "patches": patches,
    });
    let mut out = vec![file(
        "kustomization.yaml",
        engine.render("k8s/overlay-kustomization.yaml.j2", &ctx)?,
    )];
    if !gpus.is_empty() {
        out.push(file(
            "gpu-services/kustomization.yaml",
            engine.render("k8s/overlay-gpu-services.yaml.j2", &json!({"gpus": gpus}))?,
        ));
    }
    out.extend(local_files);
    Ok(out)
}

/// `images:` entries, and container-image patches where one entry per base
/// repository cannot be exact (services sharing a base image but not a
/// profile image, or renames that another entry would rename again).
fn plan_images(
    base: &Base,
    m: &Model,
    extra_ops: &mut HashMap<(&'static str, String), Vec<Value>>,
) -> Vec<ImageEntry> {
    // Base repository → (services of the profile using it, their wanted images).
    let mut groups: IndexMap<String, Vec<&Service>> = IndexMap::new();
    for s in m.services.values() {
        if let Some(b) = base.model.services.get(&s.name) {
            groups
                .entry(b.image.repository.clone())
                .or_default()
                .push(s);
        }
    }
    // Images of objects the base lacks: an entry must leave them as they are.
    let locals: Vec<&Service> = m
        .services
        .values()
        .filter(|s| !base.model.services.contains_key(&s.name))
        .collect();
    let mut entries: IndexMap<String, (String, String)> = IndexMap::new();
    let mut patched: Vec<&Service> = Vec::new();
    for (repo, svcs) in &groups {
        let wanted: BTreeSet<(&str, &str)> = svcs
            .iter()
            .map(|s| (s.image.repository.as_str(), s.image.tag.as_str()))
            .chain(
                locals
                    .iter()
                    .filter(|l| &l.image.repository == repo)
                    .map(|l| (l.image.repository.as_str(), l.image.tag.as_str())),
            )
            .collect();
        if wanted.len() == 1 {
            let (n, t) = wanted.into_iter().next().expect("one");
            entries.insert(repo.clone(), (n.to_string(), t.to_string()));
        } else {
            patched.extend(svcs.iter().copied());
        }
    }
    // An entry whose result another entry matches would be renamed twice, and a
    // patched image an entry matches would be renamed: patch those groups instead.
    let mut patched_repos: HashSet<&str> = patched
        .iter()
        .map(|s| s.image.repository.as_str())
        .collect();
    loop {
        let names: BTreeSet<String> = entries.keys().cloned().collect();
        let bad = entries.iter().find_map(|(repo, (new_name, _))| {
            let renamed_again = new_name != repo && names.contains(new_name);
            let hits_patched = patched_repos.contains(repo.as_str());
            (renamed_again || hits_patched).then(|| repo.clone())
        });
        let Some(repo) = bad else { break };
        entries.shift_remove(&repo);
        patched.extend(groups[&repo].iter().copied());
        patched_repos.extend(groups[&repo].iter().map(|s| s.image.repository.as_str()));
    }
    for s in patched {
        extra_ops
            .entry(("Deployment", s.name.clone()))
            .or_default()
            .push(json!({
                "op": "replace",
                "path": "/spec/template/spec/containers/0/image",
                "value": s.image.reference,
            }));
    }
    entries
        .into_iter()
        .map(|(name, (new_name, new_tag))| ImageEntry {
            new_name: (new_name != name).then_some(new_name),
            name,
            new_tag,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_dns_labels() {
        assert_eq!(dns_label("devai-lab-Prod_EU"), "devai-lab-prod-eu");
        assert_eq!(dns_label("--x--"), "x");
        assert_eq!(dns_label(&"a".repeat(70)).len(), 63);
        assert_eq!(dns_label(&format!("{}-b", "a".repeat(62))), "a".repeat(62));
    }

    #[test]
    fn diff_reaches_the_target() {
        let a = json!({"m": {"a": 1, "b": [1, 2], "c": "x", "l": {"k/1": "v"}}, "gone": true});
        let b = json!({"m": {"a": 2, "b": [1, 2, 3], "d": {}, "l": {"k/1": "w", "n": "v"}}});
        let mut ops = Vec::new();
        diff(&a, &b, "", &mut ops);
        let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops)).unwrap();
        let mut doc = a.clone();
        json_patch::patch(&mut doc, &patch).unwrap();
        assert_eq!(doc, b);
    }

    #[test]
    fn gke_accelerators() {
        assert_eq!(gke_accelerator("l4"), "nvidia-l4");
        assert_eq!(gke_accelerator("a100"), "nvidia-tesla-a100");
        assert_eq!(gke_accelerator("a100-80gb"), "nvidia-a100-80gb");
        assert_eq!(gke_accelerator("h100"), "nvidia-h100-80gb");
    }
}
