//! Stage 4 — model: the validated config as typed structs, quantities
//! normalised and each service's effective env/labels computed, ready for
//! enrichment and rendering. Templates see this (serialised) as their context,
//! so everything a template needs is precomputed here: logic lives in Rust.
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::diag::Diagnostic;
use crate::merge::Merged;
use crate::path::ConfigPath;
use crate::project::Project;
use crate::quantity;
pub use crate::quantity::{resolve_port, whole_number};

/// Default CPU of a service that names none.
pub const DEFAULT_CPU: &str = "1";
/// Default memory of a service that names none.
pub const DEFAULT_MEMORY: &str = "1Gi";
/// Default mount path of a service's persistent storage.
pub const DEFAULT_MOUNT_PATH: &str = "/data";
/// Default user id of a service that does not run as root (`run_as_user`).
pub const DEFAULT_RUN_AS_USER: u32 = 1000;
/// Default of `network.allowed_cidrs` and `network.api_authorized_cidrs`:
/// the RFC 1918 private ranges (the world only when the config says so).
pub const PRIVATE_CIDRS: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
/// The port name that marks a web UI / HTTP API: it makes a service public by
/// default and its protocol `http`.
pub const HTTP_PORT_NAME: &str = "http";

/// One profile, resolved: merged config, its warnings, and the typed model
/// (what [`crate::pipeline::resolve`] returns and enrich places).
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The merged config with provenance.
    pub merged: Merged,
    /// The typed model.
    pub model: Model,
    /// Warnings found on the way.
    pub warnings: Vec<Diagnostic>,
}

/// The whole typed config of one profile.
#[derive(Clone, Debug, Serialize)]
pub struct Model {
    /// Profile name.
    pub profile: String,
    /// Profiles applied, base first.
    pub chain: Vec<String>,
    /// Config files that produced this model (display names).
    pub sources: Vec<String>,
    /// `project:`.
    pub project: ProjectInfo,
    /// Default image.
    pub image: Image,
    /// Global env.
    pub env: IndexMap<String, String>,
    /// Global labels.
    pub labels: IndexMap<String, String>,
    /// Secret names and descriptions (never values).
    pub secrets: Vec<Secret>,
    /// Network settings.
    pub network: Network,
    /// `image_policy:`.
    pub image_policy: ImagePolicy,
    /// The cloud this profile deploys to.
    pub cloud: Option<String>,
    /// Per-cloud settings (only the clouds listed).
    pub clouds: IndexMap<String, CloudSettings>,
    /// Services in config order.
    pub services: IndexMap<String, Service>,
    /// Whether any service asks for a GPU.
    pub gpu: bool,
    /// Options of the `kconfig` target.
    pub kconfig: KconfigSettings,
}

/// `kconfig:` — options of the `kconfig` target.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct KconfigSettings {
    /// Emit kdevops' `output yaml` lines.
    pub output_yaml: bool,
    /// Directory used in `source` lines; `{provider}` is replaced.
    pub source_dir: String,
    /// `layout: kdevops`: write kdevops' own `terraform/<provider>/kconfigs/*.generated`
    /// files (the project root is a kdevops tree) instead of `deploy/kconfig/`.
    pub kdevops_layout: bool,
    /// `providers: [..]`: the providers to render; `None` = those in `clouds:`.
    pub providers: Option<Vec<String>>,
}

/// Default of `kconfig.source_dir`.
pub const DEFAULT_KCONFIG_SOURCE_DIR: &str = "deploy/kconfig/{provider}";

/// `project:`.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectInfo {
    /// DNS-1123 name.
    pub name: String,
    /// Environment (defaults to the profile name).
    pub environment: String,
    /// Free text.
    pub description: String,
}

/// An image reference.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Image {
    /// Registry (may be empty).
    pub registry: String,
    /// Name.
    pub name: String,
    /// Tag.
    pub tag: String,
    /// `registry/name` (or `name`) — what Kustomize's `images:` matches.
    pub repository: String,
    /// `registry/name:tag`.
    pub reference: String,
}

impl Image {
    fn new(registry: String, name: String, tag: String) -> Self {
        let repository = if registry.is_empty() {
            name.clone()
        } else {
            format!("{}/{}", registry.trim_end_matches('/'), name)
        };
        let reference = format!("{repository}:{tag}");
        Image {
            registry,
            name,
            tag,
            repository,
            reference,
        }
    }
}

/// A secret's name and description.
#[derive(Clone, Debug, Serialize)]
pub struct Secret {
    /// Environment variable name.
    pub name: String,
    /// From `config/secrets.example.yaml`.
    pub description: String,
}

/// `image_policy:`.
#[derive(Clone, Debug, Serialize, Default, PartialEq)]
pub struct ImagePolicy {
    /// Whether `:latest` (or tagless) images are accepted (default false).
    pub allow_latest: bool,
}

/// `network:`.
#[derive(Clone, Debug, Serialize)]
pub struct Network {
    /// HTTPS at the edge (default true).
    pub enable_https: bool,
    /// Who may connect to the public services (default [`PRIVATE_CIDRS`]).
    pub allowed_cidrs: Vec<String>,
    /// Who may reach the cluster API server (default [`PRIVATE_CIDRS`]).
    pub api_authorized_cidrs: Vec<String>,
    /// Ingress host name, if any.
    pub domain: Option<String>,
}

/// `clouds.<name>`.
#[derive(Clone, Debug, Serialize, Default)]
pub struct CloudSettings {
    /// Region; `None` means "the cheapest region".
    pub region: Option<String>,
    /// GCP project id.
    pub project_id: Option<String>,
    /// Azure resource group.
    pub resource_group: Option<String>,
    /// IRSA role ARN / Azure client id / GKE service account email.
    pub workload_identity: Option<String>,
    /// Cluster name.
    pub cluster_name: Option<String>,
    /// AWS: EFS file system id behind the shared-storage StorageClass.
    pub efs_file_system_id: Option<String>,
    /// AWS: ACM certificate of the load balancer's HTTPS listener (when
    /// `network.domain` is not set, for which Terraform creates one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
}

/// One service, effective values resolved.
#[derive(Clone, Debug, Serialize)]
pub struct Service {
    /// Name (DNS-1123 label).
    pub name: String,
    /// Image (global image overlaid by the service's).
    pub image: Image,
    /// Named ports.
    pub ports: IndexMap<String, u16>,
    /// Effective env: global overlaid by the service's own.
    pub env: IndexMap<String, String>,
    /// Effective labels: global overlaid by the service's own.
    pub labels: IndexMap<String, String>,
    /// Replicas.
    pub replicas: u32,
    /// `command`: the container's arguments (Compose `command`, Kubernetes
    /// `args`, ECS `command`); empty = the image's CMD.
    pub command: Vec<String>,
    /// `entrypoint`: overrides the image ENTRYPOINT (Compose `entrypoint`,
    /// Kubernetes `command`, ECS `entryPoint`); empty = the image's.
    pub entrypoint: Vec<String>,
    /// The secrets this service receives (names from the top-level `secrets`,
    /// in the service's order); no other secret reaches it.
    pub secrets: Vec<String>,
    /// Reachable from outside (default: it has a port named `http`).
    pub public: bool,
    /// `http` when the service has an `http` port or an HTTP health check,
    /// else `tcp` (e.g. no Cloud Run for it).
    pub protocol: Protocol,
    /// Health check, ports resolved to numbers.
    pub health: Option<Health>,
    /// User id to run as; `None` when `run_as_root` is set.
    pub run_as_user: Option<u32>,
    /// The service opted out of the non-root default.
    pub run_as_root: bool,
    /// The service needs the Kubernetes API (mount its service-account token).
    pub kubernetes_api: bool,
    /// The service's service account carries the cloud identity.
    pub cloud_identity: bool,
    /// Resources.
    pub resources: Resources,
    /// Where the persistent storage is mounted in the container.
    pub mount_path: String,
    /// Shared file storage (RWX) instead of per-replica block storage (RWO).
    pub storage_shared: bool,
    /// HPA settings.
    pub autoscaling: Option<Autoscaling>,
    /// Per cloud: where a GPU service runs (filled by the enrich stage).
    pub placements: IndexMap<String, Placement>,
}

/// The protocol a service speaks to its clients.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// HTTP (fits Cloud Run, an HTTP load balancer, an Ingress).
    Http,
    /// Plain TCP (a database, a cache, a queue).
    Tcp,
}

impl Protocol {
    /// `"http"` or `"tcp"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Tcp => "tcp",
        }
    }
}

/// `health:` with its port resolved to a number.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Health {
    /// HTTP path (`None` for a TCP check).
    pub path: Option<String>,
    /// Port number checked.
    pub port: u16,
    /// The port's name when the service names it (for Kubernetes probes).
    pub port_name: Option<String>,
}

impl Health {
    /// Whether this is an HTTP check (else a TCP connect).
    pub fn is_http(&self) -> bool {
        self.path.is_some()
    }
}

/// Resources of one replica.
#[derive(Clone, Debug, Serialize)]
pub struct Resources {
    /// CPU as written (Kubernetes form).
    pub cpu: String,
    /// CPU in millicores.
    pub cpu_millis: u64,
    /// Memory as written.
    pub memory: String,
    /// Memory in bytes.
    pub memory_bytes: u64,
    /// Storage as written.
    pub storage: Option<String>,
    /// Storage in bytes.
    pub storage_bytes: Option<u64>,
    /// GPU request.
    pub gpu: Option<GpuRequest>,
    /// Pinned instance types per cloud.
    pub instance: IndexMap<String, String>,
}

/// `resources.gpu`.
#[derive(Clone, Debug, Serialize)]
pub struct GpuRequest {
    /// Normalised model name (the first of `models`).
    pub model: String,
    /// Every acceptable model, normalised, in config order: `gpu.model` as
    /// a string is one model; a list means any of them (the cheapest fit per
    /// cloud; the placement records the model chosen there).
    pub models: Vec<String>,
    /// GPUs per replica.
    pub count: u32,
}

/// `autoscaling`.
#[derive(Clone, Debug, Serialize)]
pub struct Autoscaling {
    /// Minimum replicas.
    pub min: u32,
    /// Maximum replicas.
    pub max: u32,
    /// Target CPU utilisation.
    pub cpu_percent: u32,
}

/// The instance a GPU service runs on in one cloud (from the catalogue; see
/// [`crate::enrich`]).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Placement {
    /// Cloud name.
    pub cloud: String,
    /// Instance type.
    pub instance_type: String,
    /// Instance family (catalogue naming, e.g. `g5`, `NCads_A10_v4`, `g2-standard`).
    pub family: String,
    /// Region code.
    pub region: String,
    /// Region display name, when the catalogue knows it.
    pub region_name: Option<String>,
    /// On-demand price per hour, USD.
    pub price_hourly_usd: f64,
    /// On-demand price of one instance for a month of 730 hours, USD (cents).
    pub price_monthly_usd: f64,
    /// GPU model of the instance (normalised).
    pub gpu_model: String,
    /// GPUs of the instance (fractional for partitioned GPUs).
    pub gpu_count: f64,
    /// Memory of one GPU, GiB, when known.
    pub gpu_memory_gib: Option<f64>,
    /// vCPUs of the instance.
    pub vcpus: u32,
    /// Memory of the instance, GiB.
    pub memory_gib: f64,
    /// Kubernetes node label (key, value) that selects such nodes
    /// (`node.kubernetes.io/instance-type`, `cloud.google.com/gke-accelerator`,
    /// `kubernetes.azure.com/accelerator`); serialised as `[key, value]`.
    pub node_selector: Option<(String, String)>,
    /// Kubernetes extended resource for the accelerator (`nvidia.com/gpu`, …).
    pub gpu_resource: Option<String>,
    /// Whether `resources.instance` pinned it.
    pub pinned: bool,
    /// GPUs attached to the machine (GCP N1 + T4/V100/P100/P4): accelerator
    /// type and count, for Terraform's `guest_accelerator`; `None` for
    /// bundled GPUs.
    #[serde(default)]
    pub accelerator: Option<crate::catalogue::Accelerator>,
    /// For attached GPUs: the zones of `region` that sell the GPU and allow
    /// the machine with it (empty otherwise).
    #[serde(default)]
    pub zones: Vec<String>,
}

/// Build the model from a merged, validated config.
pub fn build(merged: &Merged, project: &Project) -> Result<Model, Vec<Diagnostic>> {
    let v = &merged.value;
    let s = |p: &[&str]| ptr(v, p).and_then(Value::as_str).map(str::to_string);
    let kconfig = |key: &str| v.get("kconfig").and_then(|k| k.get(key));
    let image = Image::new(
        s(&["image", "registry"]).unwrap_or_default(),
        s(&["image", "name"])
            .or_else(|| s(&["project", "name"]))
            .unwrap_or_default(),
        s(&["image", "tag"]).unwrap_or_else(|| "latest".into()),
    );
    let env = string_map(v.get("env"));
    let labels = string_map(v.get("labels"));
    let described = project.secret_descriptions();
    let secret_names: Vec<String> = match v.get("secrets") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => described.iter().map(|(k, _)| k.clone()).collect(),
    };
    let secrets = secret_names
        .into_iter()
        .map(|name| {
            let description = described
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, d)| d.clone())
                .unwrap_or_default();
            Secret { name, description }
        })
        .collect();
    let network = Network {
        enable_https: ptr(v, &["network", "enable_https"])
            .and_then(Value::as_bool)
            .unwrap_or(true),
        allowed_cidrs: cidrs_or_private(ptr(v, &["network", "allowed_cidrs"])),
        api_authorized_cidrs: cidrs_or_private(ptr(v, &["network", "api_authorized_cidrs"])),
        domain: s(&["network", "domain"]).filter(|d| !d.is_empty()),
    };
    let mut clouds = IndexMap::new();
    if let Some(Value::Object(m)) = v.get("clouds") {
        for (name, c) in m {
            let f = |k: &str| {
                c.get(k)
                    .and_then(Value::as_str)
                    .filter(|x| !x.is_empty())
                    .map(String::from)
            };
            clouds.insert(
                name.clone(),
                CloudSettings {
                    region: f("region"),
                    project_id: f("project_id"),
                    resource_group: f("resource_group"),
                    workload_identity: f("workload_identity"),
                    cluster_name: f("cluster_name"),
                    efs_file_system_id: f("efs_file_system_id"),
                    certificate_arn: f("certificate_arn"),
                },
            );
        }
    }
    let mut diags = Vec::new();
    let mut services = IndexMap::new();
    if let Some(Value::Object(m)) = v.get("services") {
        for (name, sv) in m {
            match build_service(name, sv, &image, &env, &labels, merged) {
                Ok(svc) => {
                    services.insert(name.clone(), svc);
                }
                Err(d) => diags.push(d),
            }
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let gpu = services
        .values()
        .any(|s: &Service| s.resources.gpu.is_some());
    Ok(Model {
        profile: merged.profile.clone(),
        chain: merged.chain.clone(),
        sources: merged.files.iter().map(|f| f.to_string()).collect(),
        project: ProjectInfo {
            name: s(&["project", "name"]).unwrap_or_default(),
            environment: s(&["project", "environment"]).unwrap_or_else(|| merged.profile.clone()),
            description: s(&["project", "description"]).unwrap_or_default(),
        },
        image,
        env,
        labels,
        secrets,
        network,
        image_policy: ImagePolicy {
            allow_latest: ptr(v, &["image_policy", "allow_latest"])
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        cloud: s(&["cloud"]),
        clouds,
        services,
        gpu,
        kconfig: KconfigSettings {
            output_yaml: kconfig("output_yaml")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            source_dir: kconfig("source_dir")
                .and_then(Value::as_str)
                .map_or_else(|| DEFAULT_KCONFIG_SOURCE_DIR.to_string(), str::to_string),
            kdevops_layout: kconfig("layout").and_then(Value::as_str) == Some("kdevops"),
            providers: kconfig("providers").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            }),
        },
    })
}

/// Scalars as strings (numbers and booleans as their text).
pub fn scalar_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A CIDR list as configured, else [`PRIVATE_CIDRS`].
fn cidrs_or_private(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => PRIVATE_CIDRS.iter().map(|c| c.to_string()).collect(),
    }
}

/// A list of scalars as strings (empty when absent).
fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().map(scalar_string).collect(),
        _ => Vec::new(),
    }
}

/// The default port of an HTTP health check: the `http` port, else the first.
fn default_health_port(ports: &IndexMap<String, u16>) -> Option<(u16, Option<String>)> {
    ports
        .get_key_value(HTTP_PORT_NAME)
        .or_else(|| ports.first())
        .map(|(k, p)| (*p, Some(k.clone())))
}

/// `health:` resolved (`None` when absent or its port is unknown: validation
/// reports that).
fn health(v: Option<&Value>, ports: &IndexMap<String, u16>) -> Option<Health> {
    let h = v?;
    if let Some(tcp) = h.get("tcp") {
        let (port, port_name) = resolve_port(ports, tcp)?;
        return Some(Health {
            path: None,
            port,
            port_name,
        });
    }
    let path = h.get("path").and_then(Value::as_str)?.to_string();
    let (port, port_name) = match h.get("port") {
        Some(p) => resolve_port(ports, p)?,
        None => default_health_port(ports)?,
    };
    Some(Health {
        path: Some(path),
        port,
        port_name,
    })
}

fn string_map(v: Option<&Value>) -> IndexMap<String, String> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, x)| (k.clone(), scalar_string(x)))
            .collect(),
        _ => IndexMap::new(),
    }
}

fn overlay(base: &IndexMap<String, String>, over: Option<&Value>) -> IndexMap<String, String> {
    let mut out = base.clone();
    if let Some(Value::Object(m)) = over {
        for (k, x) in m {
            out.insert(k.clone(), scalar_string(x));
        }
    }
    out
}

/// The value at the map keys `keys`, one below the other (what
/// `v.pointer("/k1/k2")` finds), without parsing a pointer.
fn ptr<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |cur, k| cur.get(*k))
}

/// [`whole_number`] as a `u32` (the schema bounds every such field).
fn whole_u32(v: &Value) -> Option<u32> {
    whole_number(v).and_then(|n| u32::try_from(n).ok())
}

/// The entries of a map whose keys are read: each key's value, found in
/// one pass over the map (a lookup hashes its key, and most keys are
/// absent). `slot` names the field of a key read, `None` for others.
fn read_entries<'a, T: Default>(
    v: Option<&'a Value>,
    slot: impl for<'t> Fn(&'t mut T, &str) -> Option<&'t mut Option<&'a Value>>,
) -> T {
    let mut read = T::default();
    if let Some(Value::Object(m)) = v {
        for (k, x) in m {
            if let Some(field) = slot(&mut read, k) {
                *field = Some(x);
            }
        }
    }
    read
}

/// The entries of a service's map that the model reads.
#[derive(Default)]
struct ServiceEntries<'a> {
    image: Option<&'a Value>,
    resources: Option<&'a Value>,
    autoscaling: Option<&'a Value>,
    ports: Option<&'a Value>,
    health: Option<&'a Value>,
    run_as_root: Option<&'a Value>,
    run_as_user: Option<&'a Value>,
    public: Option<&'a Value>,
    kubernetes_api: Option<&'a Value>,
    cloud_identity: Option<&'a Value>,
    secrets: Option<&'a Value>,
    entrypoint: Option<&'a Value>,
    env: Option<&'a Value>,
    labels: Option<&'a Value>,
    replicas: Option<&'a Value>,
    command: Option<&'a Value>,
    mount_path: Option<&'a Value>,
    storage_shared: Option<&'a Value>,
}

impl<'a> ServiceEntries<'a> {
    fn of(sv: &'a Value) -> Self {
        read_entries(Some(sv), |e: &mut Self, k| {
            Some(match k {
                "image" => &mut e.image,
                "resources" => &mut e.resources,
                "autoscaling" => &mut e.autoscaling,
                "ports" => &mut e.ports,
                "health" => &mut e.health,
                "run_as_root" => &mut e.run_as_root,
                "run_as_user" => &mut e.run_as_user,
                "public" => &mut e.public,
                "kubernetes_api" => &mut e.kubernetes_api,
                "cloud_identity" => &mut e.cloud_identity,
                "secrets" => &mut e.secrets,
                "entrypoint" => &mut e.entrypoint,
                "env" => &mut e.env,
                "labels" => &mut e.labels,
                "replicas" => &mut e.replicas,
                "command" => &mut e.command,
                "mount_path" => &mut e.mount_path,
                "storage_shared" => &mut e.storage_shared,
                _ => return None,
            })
        })
    }
}

/// The entries of a service's `resources:` that the model reads.
#[derive(Default)]
struct ResourceEntries<'a> {
    cpu: Option<&'a Value>,
    memory: Option<&'a Value>,
    storage: Option<&'a Value>,
    gpu: Option<&'a Value>,
    instance: Option<&'a Value>,
}

impl<'a> ResourceEntries<'a> {
    fn of(resources: Option<&'a Value>) -> Self {
        read_entries(resources, |e: &mut Self, k| {
            Some(match k {
                "cpu" => &mut e.cpu,
                "memory" => &mut e.memory,
                "storage" => &mut e.storage,
                "gpu" => &mut e.gpu,
                "instance" => &mut e.instance,
                _ => return None,
            })
        })
    }
}

/// The entries of a service's `image:`.
#[derive(Default)]
struct ImageEntries<'a> {
    registry: Option<&'a Value>,
    name: Option<&'a Value>,
    tag: Option<&'a Value>,
}

impl<'a> ImageEntries<'a> {
    fn of(image: Option<&'a Value>) -> Self {
        read_entries(image, |e: &mut Self, k| {
            Some(match k {
                "registry" => &mut e.registry,
                "name" => &mut e.name,
                "tag" => &mut e.tag,
                _ => return None,
            })
        })
    }
}

fn build_service(
    name: &str,
    sv: &Value,
    global_image: &Image,
    env: &IndexMap<String, String>,
    labels: &IndexMap<String, String>,
    merged: &Merged,
) -> Result<Service, Diagnostic> {
    let path = ConfigPath::root().key("services").key(name);
    let entries = ServiceEntries::of(sv);
    let resources = ResourceEntries::of(entries.resources);
    let image_entries = ImageEntries::of(entries.image);
    let str_or = |v: Option<&Value>, d: &str| v.and_then(Value::as_str).unwrap_or(d).to_string();
    let image = Image::new(
        str_or(image_entries.registry, &global_image.registry),
        str_or(image_entries.name, &global_image.name),
        str_or(image_entries.tag, &global_image.tag),
    );
    let bad = |k: &str, e: String| {
        let p = path.key("resources").key(k);
        Diagnostic::error(e)
            .with_path(p.to_string())
            .with_span(merged.provenance.span(&p))
    };
    let cpu_v = resources.cpu.cloned().unwrap_or(Value::from(DEFAULT_CPU));
    let mem_v = resources
        .memory
        .cloned()
        .unwrap_or(Value::from(DEFAULT_MEMORY));
    let cpu_millis = quantity::parse_cpu(&cpu_v).map_err(|e| bad("cpu", e))?;
    let memory_bytes = quantity::parse_bytes(&mem_v).map_err(|e| bad("memory", e))?;
    let storage_v = resources.storage;
    let storage_bytes = storage_v
        .map(quantity::parse_storage)
        .transpose()
        .map_err(|e| bad("storage", e))?;
    let gpu = resources.gpu.map(|g| {
        // One model or a list (any of them); every spelling normalised
        // (`H100 80GB` → `h100`), so no target writes a raw spelling.
        let mut models: Vec<String> = match g.get("model") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(crate::catalogue::normalize_gpu_model)
                .collect(),
            Some(v) => v
                .as_str()
                .map(crate::catalogue::normalize_gpu_model)
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let mut seen = std::collections::HashSet::new();
        models.retain(|m| seen.insert(m.clone()));
        GpuRequest {
            model: models.first().cloned().unwrap_or_default(),
            models,
            count: g.get("count").and_then(whole_u32).unwrap_or(1),
        }
    });
    let autoscaling = entries.autoscaling.map(|a| Autoscaling {
        min: a.get("min").and_then(whole_u32).unwrap_or(1),
        max: a.get("max").and_then(whole_u32).unwrap_or(1),
        cpu_percent: a.get("cpu_percent").and_then(whole_u32).unwrap_or(80),
    });
    let ports: IndexMap<String, u16> = match entries.ports {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, p)| Some((k.clone(), u16::try_from(whole_number(p)?).ok()?)))
            .collect(),
        _ => IndexMap::new(),
    };
    let flag = |v: Option<&Value>| v.and_then(Value::as_bool);
    let has_http_port = ports.contains_key(HTTP_PORT_NAME);
    let health = health(entries.health, &ports);
    let protocol = if has_http_port || health.as_ref().is_some_and(Health::is_http) {
        Protocol::Http
    } else {
        Protocol::Tcp
    };
    let run_as_root = flag(entries.run_as_root).unwrap_or(false);
    let run_as_user = match run_as_root {
        true => None,
        false => Some(
            entries
                .run_as_user
                .and_then(whole_u32)
                .unwrap_or(DEFAULT_RUN_AS_USER),
        ),
    };
    Ok(Service {
        name: name.to_string(),
        image,
        public: flag(entries.public).unwrap_or(has_http_port),
        protocol,
        health,
        run_as_user,
        run_as_root,
        kubernetes_api: flag(entries.kubernetes_api).unwrap_or(false),
        cloud_identity: flag(entries.cloud_identity).unwrap_or(false),
        secrets: string_list(entries.secrets),
        entrypoint: string_list(entries.entrypoint),
        ports,
        env: overlay(env, entries.env),
        labels: overlay(labels, entries.labels),
        replicas: entries.replicas.and_then(whole_u32).unwrap_or(1),
        command: string_list(entries.command),
        resources: Resources {
            cpu: scalar_string(&cpu_v),
            cpu_millis,
            memory: scalar_string(&mem_v),
            memory_bytes,
            storage: storage_v.map(scalar_string),
            storage_bytes,
            gpu,
            instance: string_map(resources.instance),
        },
        mount_path: str_or(entries.mount_path, DEFAULT_MOUNT_PATH),
        storage_shared: flag(entries.storage_shared).unwrap_or(false),
        autoscaling,
        placements: IndexMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_are_integers_written_either_way() {
        assert_eq!(whole_number(&json!(3)), Some(3));
        assert_eq!(whole_number(&json!(3.0)), Some(3));
        assert_eq!(whole_number(&json!(-2.0)), Some(-2));
        assert_eq!(whole_number(&json!(3.5)), None);
        assert_eq!(whole_number(&json!(1e300)), None);
        assert_eq!(whole_number(&json!("3")), None);
        assert_eq!(whole_u32(&json!(4294967295.0)), Some(u32::MAX));
        assert_eq!(whole_u32(&json!(4294967296u64)), None);
        assert_eq!(whole_u32(&json!(-1)), None);
    }
}

#[cfg(test)]
mod contract_tests {
    //! The #15/#16 keys: defaults and derived values.
    use super::*;

    fn example(profile: &str) -> Model {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let project = Project::load(root).expect("example project");
        crate::pipeline::resolve(&project, profile, &[])
            .expect("resolve")
            .model
    }

    /// The example's `profile`, merged, with `edit` applied to the merged
    /// value (keys removed with `null`), then built.
    fn with(profile: &str, edit: serde_json::Value) -> Model {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let project = Project::load(root).expect("example project");
        let mut merged = crate::merge::merge_profile(&project, profile, &[]).expect("merge");
        json_patch::merge(&mut merged.value, &edit);
        build(&merged, &project).expect("build")
    }

    #[test]
    fn example_services_use_the_new_keys() {
        let m = example("prod");
        let (devai, ollama) = (&m.services["devai"], &m.services["ollama"]);
        assert!(devai.public && !ollama.public);
        assert_eq!(devai.secrets, ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]);
        assert!(ollama.secrets.is_empty());
        assert_eq!(
            devai.health,
            Some(Health {
                path: Some("/api".into()),
                port: 8888,
                port_name: Some("http".into())
            })
        );
        assert_eq!(ollama.protocol, Protocol::Http, "an HTTP health check");
        assert_eq!(devai.run_as_user, Some(DEFAULT_RUN_AS_USER));
        assert_eq!((ollama.run_as_user, ollama.run_as_root), (None, true));
        assert!(!devai.kubernetes_api && !devai.cloud_identity);
        assert!(!devai.storage_shared);
        assert!(m.network.enable_https);
        assert!(!m.image_policy.allow_latest);
        assert!(example("dev").image_policy.allow_latest);
        assert_eq!(m.network.api_authorized_cidrs, PRIVATE_CIDRS);
    }

    #[test]
    fn defaults_follow_the_ports_and_health() {
        // A service with only a non-http port and no health check: tcp, internal.
        let m = with(
            "dev",
            serde_json::json!({
                "network": null,
                "services": {
                    "ollama": {"health": null, "public": null},
                    "devai": {
                        "command": ["--ip", "0.0.0.0"],
                        "entrypoint": ["tini", "--"],
                        "run_as_user": 1001,
                        "storage_shared": true,
                    },
                },
            }),
        );
        let (devai, ollama) = (&m.services["devai"], &m.services["ollama"]);
        assert_eq!(ollama.protocol, Protocol::Tcp);
        assert!(!ollama.public);
        assert_eq!(devai.command, ["--ip", "0.0.0.0"]);
        assert_eq!(devai.entrypoint, ["tini", "--"]);
        assert_eq!(devai.run_as_user, Some(1001));
        assert!(devai.storage_shared);
        assert!(m.network.enable_https, "HTTPS is on by default");
        assert_eq!(
            m.network.allowed_cidrs, PRIVATE_CIDRS,
            "no world CIDR by default"
        );
        // A TCP health check by port number keeps the name it has.
        let m = with(
            "dev",
            serde_json::json!({"services": {"ollama": {"health": {"tcp": 11434}}}}),
        );
        let h = m.services["ollama"].health.clone().unwrap();
        assert_eq!(
            (h.path, h.port, h.port_name.as_deref()),
            (None, 11434, Some("api"))
        );
        assert_eq!(m.services["ollama"].protocol, Protocol::Tcp);
    }

    /// Each key of a service (and of its `image:` and `resources:`) is read
    /// into its field.
    #[test]
    fn every_service_key_is_read() {
        let m = with(
            "dev",
            serde_json::json!({"services": {"devai": {
                "image": {"registry": "r.example", "name": "n", "tag": "t1"},
                "resources": {
                    "cpu": "3", "memory": "5Gi", "storage": "7Gi",
                    "gpu": {"model": ["A100", "h100"], "count": 2},
                    "instance": {"aws": "p4d.24xlarge"},
                },
                "autoscaling": {"min": 2, "max": 9, "cpu_percent": 55},
                "ports": {"web": 8080, "admin": 9090},
                "health": {"path": "/h", "port": "admin"},
                "run_as_user": 1234,
                "public": false,
                "kubernetes_api": true,
                "cloud_identity": true,
                "secrets": ["S1"],
                "entrypoint": ["e"],
                "env": {"E1": "x"},
                "labels": {"L1": "y"},
                "replicas": 3,
                "command": ["c"],
                "mount_path": "/m",
                "storage_shared": true,
            }}}),
        );
        let s = &m.services["devai"];
        let image = (&s.image.registry, &s.image.name, &s.image.tag);
        assert_eq!(image, (&"r.example".into(), &"n".into(), &"t1".into()));
        let r = &s.resources;
        assert_eq!((r.cpu.as_str(), r.memory.as_str()), ("3", "5Gi"));
        assert_eq!(r.storage.as_deref(), Some("7Gi"));
        let gpu = r.gpu.as_ref().unwrap();
        assert_eq!(
            (gpu.models.clone(), gpu.count),
            (vec!["a100".into(), "h100".into()], 2)
        );
        assert_eq!(r.instance["aws"], "p4d.24xlarge");
        let a = s.autoscaling.as_ref().unwrap();
        assert_eq!((a.min, a.max, a.cpu_percent), (2, 9, 55));
        assert_eq!((s.ports["web"], s.ports["admin"]), (8080, 9090));
        assert_eq!(s.health.as_ref().unwrap().port, 9090);
        assert_eq!((s.run_as_user, s.run_as_root), (Some(1234), false));
        assert!(!s.public && s.kubernetes_api && s.cloud_identity && s.storage_shared);
        assert_eq!(
            (s.secrets.clone(), s.entrypoint.clone()),
            (vec!["S1".into()], vec!["e".into()])
        );
        assert_eq!((s.env["E1"].as_str(), s.labels["L1"].as_str()), ("x", "y"));
        assert_eq!((s.replicas, s.command.clone()), (3, vec!["c".into()]));
        assert_eq!(s.mount_path, "/m");
        let m = with(
            "dev",
            serde_json::json!({"services": {"devai": {"run_as_root": true}}}),
        );
        assert!(m.services["devai"].run_as_root);
    }
}
