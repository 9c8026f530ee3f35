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
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Object, ObjectRepr, Serde, Value as TValue};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::yaml_read::{self, LineChanges, LineIndex};
use super::{Engine, PlannedFile, RenderOptions, Target, gather, header, par_map};
use crate::diag::Diagnostic;
use crate::emit::yaml::{block_lines as yaml_block_lines, items_lines as yaml_items_lines};
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

/// Services from which the base's objects are rendered in parallel.
const PAR_SERVICES: usize = 32;
/// Services × profiles from which overlays are rendered in parallel.
const PAR_OVERLAY_WORK: usize = 64;

/// The `k8s` target.
pub struct K8s;

impl Target for K8s {
    fn name(&self) -> &str {
        "k8s"
    }

    /// A base, a component per cloud and an overlay per profile, each object
    /// rendered and diffed: about as much work per service as the other
    /// targets together (200 services x 12 profiles: 600 of 1,170 M
    /// instructions), and its overlays wait for its base.
    fn weight(&self) -> u32 {
        2
    }

    fn render(
        &self,
        engine: &Engine,
        models: &[Model],
        opts: &RenderOptions,
    ) -> Result<Vec<PlannedFile>, Vec<Diagnostic>> {
        render_k8s(engine, models, opts, true)
    }
}

fn render_k8s(
    engine: &Engine,
    models: &[Model],
    opts: &RenderOptions,
    reuse: bool,
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
    let mut base = Base::render(engine, common).map_err(|d| vec![d])?;
    base.reuse = reuse;
    crate::timings::mark("k8s base");
    let mut files = std::mem::take(&mut base.files);
    files.push(shared_file(
        common,
        "components/gpu/kustomization.yaml",
        engine
            .render("k8s/component-gpu.yaml.j2", &json!({}))
            .map_err(|d| vec![d])?,
    ));
    let mut components: HashMap<&str, CloudComponent> = HashMap::new();
    for cloud in CLOUDS.iter().filter(|c| cloud_selected(c)) {
        let mut comp = CloudComponent::render(engine, common, cloud).map_err(|d| vec![d])?;
        files.append(&mut comp.files);
        components.insert(cloud, comp);
    }
    let selected: Vec<&Model> = models
        .iter()
        .filter(|m| m.cloud.as_ref().is_none_or(|c| cloud_selected(c)))
        .collect();
    let work = selected.len() * base.views.len().max(1);
    let overlays = par_map(&selected, work >= PAR_OVERLAY_WORK, |m| {
        overlay(engine, &base, &components, m)
    });
    crate::timings::mark("k8s overlays");
    // Every overlay is done with the base: free it beside the next stages.
    crate::parallel::drop_aside(base, work >= PAR_OVERLAY_WORK);
    let mut all = gather(overlays, Vec::new())?;
    files.append(&mut all);
    Ok(files)
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
    /// Pod Security Admission level the namespace enforces: `restricted`, or
    /// `baseline` when a service runs as root.
    pod_security: String,
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
    /// Shared file storage (one ReadWriteMany claim for every replica);
    /// otherwise per-replica block storage (StatefulSet volumeClaimTemplates).
    shared: bool,
    /// The cloud component's StorageClass (`<identity>-shared` or
    /// `<identity>-block`); `None` without a cloud (the cluster default).
    class: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
struct IngressView {
    host: Option<String>,
    tls_secret: Option<String>,
    port: String,
    /// URL path prefix (`/`, or `/<service>` when several public services share no host).
    path: String,
    /// The cloud's ingress class (`None`: none, or set by annotation).
    class: Option<String>,
    /// The cloud's ingress annotations (scheme, inbound CIDRs, HTTPS redirect).
    annotations: IndexMap<String, String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
struct AutoscalingView {
    min: u32,
    max: u32,
    cpu_percent: u32,
}

/// Another service this one connects to, and the ports it may use.
#[derive(Clone, Debug, Serialize, PartialEq)]
struct PeerView {
    name: String,
    ports: Vec<PortView>,
}

/// An egress allowance to addresses outside the cluster.
#[derive(Clone, Debug, Serialize, PartialEq)]
struct CidrRule {
    cidr: String,
    except: Vec<String>,
    ports: Vec<u16>,
    why: String,
}

/// A readiness/liveness probe.
#[derive(Clone, Debug, Serialize, PartialEq)]
struct ProbeView {
    /// HTTP GET path (`None`: a TCP probe).
    path: Option<String>,
    /// Port name or number, as YAML (`http`, `8080`).
    port: Value,
}

/// One service as its templates see it.
#[derive(Clone, Debug, Serialize, PartialEq)]
struct SvcView {
    name: String,
    /// `Deployment`, or `StatefulSet` for per-replica storage.
    kind: String,
    /// Labels written on the service's objects (selector label first).
    labels: IndexMap<String, String>,
    /// Extra labels of the pods only (workload identity).
    pod_labels: IndexMap<String, String>,
    /// Annotations of the workload (scanner skips that config opt-outs justify).
    annotations: IndexMap<String, String>,
    selector: IndexMap<String, String>,
    image: String,
    replicas: u32,
    /// More than one replica, now or through the HPA: PDB and topology spread.
    replicated: bool,
    ports: Vec<PortView>,
    /// Container `command` (overrides the image ENTRYPOINT; config `entrypoint`).
    entrypoint: Vec<String>,
    /// Container `args` (the image CMD; config `command`).
    args: Vec<String>,
    cpu: String,
    memory: String,
    /// ConfigMap name: `<service>-env-<hash of the env>`.
    configmap: String,
    /// The effective env.
    env: IndexMap<String, String>,
    secret_name: String,
    /// The secrets this service receives (its own list).
    secrets: Vec<String>,
    storage: Option<StorageView>,
    ingress: Option<IngressView>,
    autoscaling: Option<AutoscalingView>,
    /// The service's own ServiceAccount (or the cloud-identity one).
    service_account: String,
    /// Whether the pod gets a token for the Kubernetes API.
    automount_token: bool,
    /// UID/GID the containers run as; `None`: as the image says (root allowed).
    run_as_user: Option<u32>,
    probe: Option<ProbeView>,
    /// Services allowed to connect (NetworkPolicy ingress).
    ingress_from: Vec<String>,
    /// CIDRs allowed to connect to a public service (clients, the cloud's load balancers).
    public_from: Vec<String>,
    /// Services this one connects to (NetworkPolicy egress).
    egress_to: Vec<PeerView>,
    /// Egress outside the cluster (cloud identity endpoints, the API server).
    egress_cidrs: Vec<CidrRule>,
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
    let root = m
        .services
        .values()
        .any(|s| settings::run_as_user(s).is_none());
    AppView {
        name: identity.to_string(),
        labels: all_labels
            .iter()
            .filter(|(k, _)| !uniform.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        all_labels,
        allowed_cidrs: m.network.allowed_cidrs.clone(),
        pod_security: if root { "baseline" } else { "restricted" }.into(),
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
    /// Names of app-wide objects (the common project name).
    identity: String,
    uniform: IndexMap<String, String>,
    public_services: usize,
    /// Service → the services it connects to (from its env).
    talks_to: IndexMap<String, Vec<String>>,
    /// Service → the services that connect to it, in model order (the
    /// reverse of `talks_to`; a service no one connects to has no entry).
    talked_to_by: HashMap<String, Vec<String>>,
}

impl Facts {
    fn of(m: &Model, identity: &str) -> Facts {
        let namespaces = peer_namespaces(&m.project.name, &m.project.environment);
        let names: Vec<(&str, bool)> = m
            .services
            .values()
            .map(|t| (t.name.as_str(), !t.ports.is_empty()))
            .collect();
        let finder = PeerFinder::new(&namespaces, &names);
        let talks_to: IndexMap<String, Vec<String>> = m
            .services
            .values()
            .map(|s| (s.name.clone(), finder.peers(&s.name, &env_of(s))))
            .collect();
        let talked_to_by = reverse_peers(&talks_to);
        Facts {
            identity: identity.to_string(),
            uniform: uniform_labels(m),
            public_services: m
                .services
                .values()
                .filter(|x| settings::public(x) && !x.ports.is_empty())
                .count(),
            talks_to,
            talked_to_by,
        }
    }
}

/// Peer → the services whose peers (`talks_to`) include it, in `talks_to`'s
/// order, each once.
fn reverse_peers(talks_to: &IndexMap<String, Vec<String>>) -> HashMap<String, Vec<String>> {
    let mut by: HashMap<String, Vec<String>> = HashMap::new();
    for (from, peers) in talks_to {
        for to in peers {
            let froms = by.entry(to.clone()).or_default();
            if froms.last() != Some(from) {
                froms.push(from.clone());
            }
        }
    }
    by
}

/// `s`'s env as (name, value) pairs.
fn env_of(s: &Service) -> Vec<(&str, &str)> {
    s.env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The namespaces a cluster DNS name of a peer may name: the overlay's
/// (`<project>-<environment>`), the base's (`<project>`) and `svc`.
pub fn peer_namespaces(project: &str, environment: &str) -> [String; 3] {
    [
        dns_label(&format!("{project}-{environment}")),
        project.to_string(),
        "svc".into(),
    ]
}

/// The one rule of the k8s peers (`Facts::talks_to`) and [`peers_of_json`]: of `services` (name,
/// whether it has ports), those other than `me` with ports whose name is a
/// host in one of `env`'s values, in order.
pub fn peers_among<'a>(
    namespaces: &[String],
    me: &str,
    env: &[(&str, &str)],
    services: impl Iterator<Item = (&'a str, bool)>,
) -> Vec<String> {
    let services: Vec<(&str, bool)> = services.collect();
    PeerFinder::new(namespaces, &services).peers(me, env)
}

/// [`peers_among`] for many services of one model: every host
/// [`names_host`] accepts starts at a bounded position and is followed by an
/// end character (or nothing), so a service name without end characters can
/// only be named where it is one of the env values' [`host_candidates`].
/// Looking those up replaces scanning every value for every service.
struct PeerFinder<'a> {
    namespaces: &'a [String],
    /// (name, has ports) in model order.
    services: &'a [(&'a str, bool)],
    /// Name → its positions in `services` (names without end characters).
    by_name: HashMap<&'a str, Vec<usize>>,
    /// The byte lengths of `by_name`'s names (see [`length_bit`]): a
    /// candidate of another length is no name, without hashing it (most
    /// words of env values are not service names).
    lengths: u64,
    /// Positions of names a candidate lookup cannot find (empty, or with
    /// end characters): always asked.
    always: Vec<usize>,
}

impl<'a> PeerFinder<'a> {
    fn new(namespaces: &'a [String], services: &'a [(&'a str, bool)]) -> Self {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut always = Vec::new();
        for (i, &(name, has_ports)) in services.iter().enumerate() {
            if !has_ports {
                continue;
            }
            if name.is_empty() || name.contains(host_end) {
                always.push(i);
            } else {
                by_name.entry(name).or_default().push(i);
            }
        }
        let lengths = by_name.keys().fold(0, |m, n| m | length_bit(n));
        PeerFinder {
            namespaces,
            services,
            by_name,
            lengths,
            always,
        }
    }

    /// The services other than `me` with ports named as a host in `env`, in
    /// model order.
    fn peers(&self, me: &str, env: &[(&str, &str)]) -> Vec<String> {
        let mut hits: Vec<usize> = env
            .iter()
            .flat_map(|(_, v)| host_candidates(v))
            .filter(|c| self.lengths & length_bit(c) != 0)
            .filter_map(|c| self.by_name.get(c))
            .flatten()
            .chain(&self.always)
            .copied()
            .collect();
        hits.sort_unstable();
        hits.dedup();
        hits.into_iter()
            .map(|i| self.services[i].0)
            .filter(|&t| t != me)
            .filter(|t| {
                env.iter()
                    .any(|(k, v)| names_host(k, v, t, self.namespaces))
            })
            .map(str::to_string)
            .collect()
    }
}

/// `s`'s length as a bit of a set of lengths: bit n for n bytes, bit 63
/// for 63 bytes or more.
fn length_bit(s: &str) -> u64 {
    1 << s.len().min(63)
}

/// Whether `c` may follow a host [`names_host`] accepts: a delimiter, `/`,
/// `?`, `:` (port) or `.` (cluster DNS name).
fn host_end(c: char) -> bool {
    host_delimiter(c) || matches!(c, '/' | '?' | ':' | '.')
}

/// The separators [`names_host`] accepts around a bare host.
fn host_delimiter(c: char) -> bool {
    matches!(c, ',' | ';' | ' ' | '"' | '\'' | '(' | ')' | '=')
}

/// The substrings of `value` that may be a host [`names_host`] accepts (a
/// superset): from each position that may start one (the start, after `/`,
/// `@` or a delimiter) to the next [`host_end`] character or the end.
fn host_candidates(value: &str) -> impl Iterator<Item = &str> {
    let starts = std::iter::once(0).chain(
        value
            .char_indices()
            .filter(|&(_, c)| c == '/' || c == '@' || host_delimiter(c))
            .map(|(i, c)| i + c.len_utf8()),
    );
    starts.map(move |start| {
        let rest = &value[start..];
        &rest[..rest.find(host_end).unwrap_or(rest.len())]
    })
}

/// The peers of service `name` in a serialised model (custom targets'
/// templates see the model as a value): the other services with ports whose
/// name is a host in one of its env values.
pub fn peers_of_json(model: &Value, name: &str) -> Vec<String> {
    let text = |p: &str| model.pointer(p).and_then(Value::as_str).unwrap_or("");
    let namespaces = peer_namespaces(text("/project/name"), text("/project/environment"));
    let Some(services) = model.get("services").and_then(Value::as_object) else {
        return Vec::new();
    };
    let Some(me) = services.get(name) else {
        return Vec::new();
    };
    let env = env_pairs(me.get("env"));
    peers_among(
        &namespaces,
        name,
        &env,
        services
            .iter()
            .map(|(t, sv)| (t.as_str(), has_ports_json(sv.get("ports")))),
    )
}

/// The string values of a serialised env map (others are no hosts).
pub fn env_pairs(env: Option<&Value>) -> Vec<(&str, &str)> {
    env.and_then(Value::as_object)
        .map(|e| {
            e.iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a serialised service's `ports` is a non-empty map.
pub fn has_ports_json(ports: Option<&Value>) -> bool {
    ports
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty())
}

/// Whether env var `key = value` names `host` as a host. Clear cases: a URL
/// authority (`scheme://host`, `user@host`), `host:port`, or a cluster DNS
/// name (`host.<namespace>…`, `host.svc…`). A bare name (`REDIS_HOST=redis`,
/// `a,redis`) counts only when the variable's name says it holds an address
/// (HOST, ADDR, SERVER, URL, URI, ENDPOINT, BROKER, DSN, PEERS, NODES), so
/// `POSTGRES_DB=webui` does not open a path to a `webui` service.
fn names_host(key: &str, value: &str, host: &str, namespaces: &[String]) -> bool {
    // Asked only when the host is found with nothing after it: this runs
    // for every variable of every service against every other service.
    let address_key = || {
        let key = key.to_ascii_uppercase();
        [
            "HOST", "ADDR", "SERVER", "URL", "URI", "ENDPOINT", "BROKER", "DSN", "PEERS", "NODES",
        ]
        .iter()
        .any(|h| key.contains(h))
    };
    let delimiter = host_delimiter;
    let mut from = 0;
    while let Some(i) = value[from..].find(host) {
        let start = from + i;
        let end = start + host.len();
        from = start + 1;
        let before = &value[..start];
        let rest = &value[end..];
        let authority = before.ends_with("//") || before.ends_with('@');
        let bounded_before =
            authority || before.is_empty() || before.chars().next_back().is_some_and(delimiter);
        if !bounded_before {
            continue;
        }
        let next = rest.chars().next();
        let port = rest
            .strip_prefix(':')
            .and_then(|r| r.chars().next())
            .is_some_and(|c| c.is_ascii_digit());
        let dns = rest.strip_prefix('.').is_some_and(|r| {
            let seg = r.split(['.', ':', '/']).next().unwrap_or("");
            namespaces.iter().any(|n| n == seg)
        });
        let ends = next.is_none_or(|c| delimiter(c) || c == '/' || c == '?');
        if port || dns || (authority && ends) || (ends && address_key()) {
            return true;
        }
    }
    false
}

/// Egress rules outside the cluster a service needs.
fn egress_cidrs(m: &Model, s: &Service) -> Vec<CidrRule> {
    let mut out = Vec::new();
    let rule = |cidr: &str, except: &[&str], ports: &[u16], why: &str| CidrRule {
        cidr: cidr.into(),
        except: except.iter().map(|x| x.to_string()).collect(),
        ports: ports.to_vec(),
        why: why.into(),
    };
    if settings::cloud_identity(s)
        && let Some(cloud) = &m.cloud
    {
        match cloud.as_str() {
            "aws" => {
                out.push(rule(
                    "169.254.170.23/32",
                    &[],
                    &[80],
                    "EKS Pod Identity agent (credentials of the IAM role)",
                ));
            }
            "gcp" => out.push(rule(
                "169.254.169.254/32",
                &[],
                &[80, 988],
                "GKE metadata server (workload identity tokens)",
            )),
            _ => {}
        }
        out.push(rule(
            "0.0.0.0/0",
            &["169.254.0.0/16"],
            &[443],
            "the cloud's token and API endpoints (STS, Entra ID, Google APIs) over HTTPS",
        ));
    }
    if settings::kubernetes_api(s) {
        out.push(rule(
            "0.0.0.0/0",
            &["169.254.0.0/16"],
            &[443, 6443],
            "the Kubernetes API server",
        ));
    }
    out
}

/// Cloud-specific ingress settings of a public service.
fn ingress_cloud(m: &Model) -> (Option<String>, IndexMap<String, String>) {
    ingress_settings(
        m.cloud.as_deref(),
        m.network.enable_https,
        &m.network.allowed_cidrs,
    )
}

/// The ingress class and annotations of public services on `cloud`: ALB
/// scheme (internal when only private ranges are allowed), inbound CIDRs and
/// HTTP→HTTPS redirect; Application Gateway redirect and private IP; GKE
/// internal class and no plain HTTP.
pub fn ingress_settings(
    cloud: Option<&str>,
    https: bool,
    allowed_cidrs: &[String],
) -> (Option<String>, IndexMap<String, String>) {
    let mut a = IndexMap::new();
    let private = only_private(allowed_cidrs);
    let mut put = |k: &str, v: &str| {
        a.insert(k.to_string(), v.to_string());
    };
    let class = match cloud {
        Some("aws") => {
            put(
                "alb.ingress.kubernetes.io/scheme",
                if private {
                    "internal"
                } else {
                    "internet-facing"
                },
            );
            put("alb.ingress.kubernetes.io/target-type", "ip");
            put(
                "alb.ingress.kubernetes.io/inbound-cidrs",
                &allowed_cidrs.join(","),
            );
            if https {
                put(
                    "alb.ingress.kubernetes.io/listen-ports",
                    r#"[{"HTTP": 80}, {"HTTPS": 443}]"#,
                );
                put("alb.ingress.kubernetes.io/ssl-redirect", "443");
                put(
                    "alb.ingress.kubernetes.io/ssl-policy",
                    "ELBSecurityPolicy-TLS13-1-2-2021-06",
                );
            } else {
                put(
                    "alb.ingress.kubernetes.io/listen-ports",
                    r#"[{"HTTP": 80}]"#,
                );
            }
            Some("alb".to_string())
        }
        Some("azure") => {
            put("appgw.ingress.kubernetes.io/backend-protocol", "http");
            if https {
                put("appgw.ingress.kubernetes.io/ssl-redirect", "true");
            }
            if private {
                put("appgw.ingress.kubernetes.io/use-private-ip", "true");
            }
            Some("azure-application-gateway".to_string())
        }
        Some("gcp") => {
            put(
                "kubernetes.io/ingress.class",
                if private { "gce-internal" } else { "gce" },
            );
            if https {
                put("kubernetes.io/ingress.allow-http", "false");
            }
            None
        }
        _ => None,
    };
    (class, a)
}

/// Whether every CIDR lies inside the RFC 1918 private ranges.
pub fn only_private(cidrs: &[String]) -> bool {
    !cidrs.is_empty() && cidrs.iter().all(|c| is_private_cidr(c))
}

fn is_private_cidr(cidr: &str) -> bool {
    let (addr, len) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let Ok(ip) = addr.parse::<std::net::Ipv4Addr>() else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    let ip = u32::from(ip);
    [
        ([10, 0, 0, 0], 8u8),
        ([172, 16, 0, 0], 12),
        ([192, 168, 0, 0], 16),
    ]
    .iter()
    .any(|(net, plen)| {
        let mask = u32::MAX << (32 - plen);
        len >= *plen && ip & mask == u32::from(std::net::Ipv4Addr::from(*net))
    })
}

/// Source ranges of the cloud's own load balancers and health checks, which
/// reach the pods of public services directly (container-native routing).
fn lb_sources(m: &Model) -> &'static [&'static str] {
    match m.cloud.as_deref() {
        Some("gcp") => &["130.211.0.0/22", "35.191.0.0/16"],
        _ => &[],
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
    let public = settings::public(s) && !s.ports.is_empty();
    let several = facts.public_services > 1;
    let ingress = public.then(|| {
        let host = m.network.domain.as_ref().map(|d| {
            if several {
                format!("{}.{d}", s.name)
            } else {
                d.clone()
            }
        });
        let path = if host.is_none() && several {
            format!("/{}", s.name)
        } else {
            "/".into()
        };
        let (class, annotations) = ingress_cloud(m);
        IngressView {
            tls_secret: (m.network.enable_https && host.is_some())
                .then(|| format!("{}-tls", s.name)),
            host,
            port: if s.ports.contains_key("http") {
                "http".into()
            } else {
                s.ports.keys().next().cloned().unwrap_or_default()
            },
            path,
            class,
            annotations,
        }
    });
    let identity = settings::cloud_identity(s) && m.cloud.is_some();
    let mut pod_labels = IndexMap::new();
    if identity && m.cloud.as_deref() == Some("azure") {
        pod_labels.insert("azure.workload.identity/use".into(), "true".into());
    }
    let run_as_user = settings::run_as_user(s);
    let annotations = scanner_skips(s, run_as_user.is_none());
    let ingress_from = facts.talked_to_by.get(&s.name).cloned().unwrap_or_default();
    let egress_to = facts.talks_to[&s.name]
        .iter()
        .filter_map(|t| m.services.get(t))
        .map(|t| PeerView {
            name: t.name.clone(),
            ports: ports_of(t),
        })
        .collect();
    let mut public_from: Vec<String> = Vec::new();
    if public {
        public_from.extend(m.network.allowed_cidrs.iter().cloned());
        for c in lb_sources(m) {
            if !public_from.iter().any(|x| x == c) {
                public_from.push(c.to_string());
            }
        }
    }
    let storage = s.resources.storage.as_ref().map(|size| StorageView {
        claim: format!("{}-data", s.name),
        size: size.clone(),
        mount_path: s.mount_path.clone(),
        shared: settings::storage_shared(s),
        class: m.cloud.as_ref().map(|_| {
            let kind = if settings::storage_shared(s) {
                "shared"
            } else {
                "block"
            };
            format!("{}-{kind}", facts.identity)
        }),
    });
    SvcView {
        name: s.name.clone(),
        kind: workload_kind(s).into(),
        labels,
        pod_labels,
        annotations,
        selector,
        image: s.image.reference.clone(),
        replicas: s.replicas,
        replicated: s.replicas > 1 || s.autoscaling.as_ref().is_some_and(|a| a.max > 1),
        ports: ports_of(s),
        entrypoint: settings::entrypoint(s),
        args: settings::args(s),
        cpu: s.resources.cpu.clone(),
        memory: s.resources.memory.clone(),
        configmap: format!("{}-env-{}", s.name, env_hash(&s.env)),
        env: s.env.clone(),
        secret_name: secret_name(m),
        secrets: settings::secrets(m, s),
        storage,
        ingress,
        autoscaling: s.autoscaling.as_ref().map(|a| AutoscalingView {
            min: a.min,
            max: a.max,
            cpu_percent: a.cpu_percent,
        }),
        service_account: if identity {
            facts.identity.clone()
        } else {
            s.name.clone()
        },
        automount_token: settings::kubernetes_api(s),
        run_as_user,
        probe: settings::probe(s),
        ingress_from,
        public_from,
        egress_to,
        egress_cidrs: egress_cidrs(m, s),
    }
}

/// Checkov skip annotations for what the config deliberately opts out of:
/// root (`run_as_root`), the API token (`kubernetes_api`), `:latest`
/// (`image_policy.allow_latest`), and probes of a service without ports and without
/// `health` (nothing to probe). Each carries its reason.
fn scanner_skips(s: &Service, root: bool) -> IndexMap<String, String> {
    let mut reasons: Vec<String> = Vec::new();
    if root {
        reasons.push(format!(
            "CKV_K8S_23=services.{}.run_as_root is set: the image needs root",
            s.name
        ));
    }
    if settings::kubernetes_api(s) {
        reasons.push(format!(
            "CKV_K8S_38=services.{} sets kubernetes_api: it calls the Kubernetes API",
            s.name
        ));
    }
    if s.image.tag == "latest" {
        // Only reachable when the profile sets image_policy.allow_latest.
        reasons.push(format!(
            "CKV_K8S_14=services.{} uses :latest, which image_policy.allow_latest allows in this profile",
            s.name
        ));
    }
    if s.ports.is_empty() && settings::probe(s).is_none() {
        for id in ["CKV_K8S_8", "CKV_K8S_9"] {
            reasons.push(format!(
                "{id}=services.{} has no port and no health check to probe",
                s.name
            ));
        }
    }
    reasons
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("checkov.io/skip{}", i + 1), r))
        .collect()
}

/// The workload kind of a service: a StatefulSet when it has per-replica
/// storage (volumeClaimTemplates), else a Deployment.
pub fn workload_kind(s: &Service) -> &'static str {
    if s.resources.storage.is_some() && !settings::storage_shared(s) {
        "StatefulSet"
    } else {
        "Deployment"
    }
}

fn ports_of(s: &Service) -> Vec<PortView> {
    s.ports
        .iter()
        .map(|(n, p)| PortView {
            name: n.clone(),
            port: *p,
        })
        .collect()
}

/// Per-service settings of the config model, as this target reads them.
mod settings {
    use super::ProbeView;
    use crate::model::{Model, Service};
    use serde_json::Value;

    /// Reachable from outside (Ingress).
    pub fn public(s: &Service) -> bool {
        s.public
    }
    /// Container args (config `command`: the image CMD).
    pub fn args(s: &Service) -> Vec<String> {
        s.command.clone()
    }
    /// Container command (config `entrypoint`: overrides the image ENTRYPOINT).
    pub fn entrypoint(s: &Service) -> Vec<String> {
        s.entrypoint.clone()
    }
    /// The secrets the service receives: only its own list.
    pub fn secrets(_m: &Model, s: &Service) -> Vec<String> {
        s.secrets.clone()
    }
    /// Shared RWX storage instead of per-replica block storage.
    pub fn storage_shared(s: &Service) -> bool {
        s.storage_shared
    }
    /// UID to run as; `None` when the service runs as root.
    pub fn run_as_user(s: &Service) -> Option<u32> {
        s.run_as_user
    }
    /// Needs the Kubernetes API (token mounted).
    pub fn kubernetes_api(s: &Service) -> bool {
        s.kubernetes_api
    }
    /// Bound to the cloud identity.
    pub fn cloud_identity(s: &Service) -> bool {
        s.cloud_identity
    }
    /// Readiness/liveness probe from `health` (the port by name where it has one).
    pub fn probe(s: &Service) -> Option<ProbeView> {
        let h = s.health.as_ref()?;
        Some(ProbeView {
            path: h.path.clone(),
            port: match &h.port_name {
                Some(n) => Value::String(n.clone()),
                None => Value::from(h.port),
            },
        })
    }
}

// ---------------------------------------------------------------------------
// What templates see of a view, and which of it they read

/// A view struct that templates read field by field (see [`Tracked`]).
trait Fields {
    /// Field names in declaration (= serialization) order; at most 63.
    const NAMES: &'static [&'static str];
    /// Each field as a template value.
    fn values(&self) -> Arc<[TValue]>;
    /// Field `i` as a template value.
    fn value(&self, i: usize) -> TValue;
    /// Whether field `i` is the same in both views (maps compared in order).
    fn same_field(&self, other: &Self, i: usize) -> bool;
}

/// Equality that also compares the order of maps (templates may iterate them).
trait StrictEq {
    fn strict_eq(&self, other: &Self) -> bool;
}

impl StrictEq for IndexMap<String, String> {
    fn strict_eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

macro_rules! strict_eq_by_partial_eq {
    ($($t:ty),*) => {$(
        impl StrictEq for $t {
            fn strict_eq(&self, other: &Self) -> bool {
                self == other
            }
        }
    )*};
}
strict_eq_by_partial_eq!(
    String,
    u32,
    bool,
    Option<u32>,
    Option<ProbeView>,
    Vec<PeerView>,
    Vec<CidrRule>,
    Vec<String>,
    Vec<PortView>,
    Option<StorageView>,
    Option<IngressView>,
    Option<AutoscalingView>
);

macro_rules! fields {
    ($t:ty { $($f:ident),* $(,)? }) => {
        impl Fields for $t {
            const NAMES: &'static [&'static str] = &[$(stringify!($f)),*];
            fn values(&self) -> Arc<[TValue]> {
                Arc::from(vec![$(TValue::from(Serde(&self.$f))),*])
            }
            fn value(&self, i: usize) -> TValue {
                let mut k = 0;
                $(
                    if i == k {
                        return TValue::from(Serde(&self.$f));
                    }
                    k += 1;
                )*
                let _ = k;
                unreachable!("field {i} of {}", Self::NAMES.len())
            }
            fn same_field(&self, other: &Self, i: usize) -> bool {
                let mut k = 0;
                $(
                    if i == k {
                        return self.$f.strict_eq(&other.$f);
                    }
                    k += 1;
                )*
                let _ = k;
                true
            }
        }
    };
}

fields!(AppView {
    name,
    labels,
    all_labels,
    allowed_cidrs,
    pod_security,
});
fields!(SvcView {
    name,
    kind,
    labels,
    pod_labels,
    annotations,
    selector,
    image,
    replicas,
    replicated,
    ports,
    entrypoint,
    args,
    cpu,
    memory,
    configmap,
    env,
    secret_name,
    secrets,
    storage,
    ingress,
    autoscaling,
    service_account,
    automount_token,
    run_as_user,
    probe,
    ingress_from,
    public_from,
    egress_to,
    egress_cidrs,
});

/// Every field read (an enumeration of the whole view).
const READ_ALL: u64 = u64::MAX;

/// A view as templates see it: a map whose field reads are recorded.
///
/// Rendering is deterministic, so a template that read the same values
/// produces the same output: an object of the base can stand for a profile's
/// whenever the profile's views agree with the base's on every field the
/// base's render read. This holds for any template, a project's own included
/// (the reads are observed, not guessed from the template's text).
#[derive(Debug)]
struct Tracked {
    names: &'static [&'static str],
    values: Arc<[TValue]>,
    read: AtomicU64,
}

impl Tracked {
    fn value(names: &'static [&'static str], values: &Arc<[TValue]>) -> TValue {
        TValue::from_object(Tracked {
            names,
            values: values.clone(),
            read: AtomicU64::new(0),
        })
    }

    /// The fields read through `v` (a value made by [`Tracked::value`]).
    fn reads(v: &TValue) -> u64 {
        v.downcast_object_ref::<Tracked>()
            .map_or(READ_ALL, |t| t.read.load(AtomicOrdering::Relaxed))
    }

    fn mark(&self, bits: u64) {
        self.read.fetch_or(bits, AtomicOrdering::Relaxed);
    }
}

impl Object for Tracked {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &TValue) -> Option<TValue> {
        match key.as_str() {
            Some(k) => self.get_value_by_str(k),
            None => {
                self.mark(READ_ALL);
                None
            }
        }
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<TValue> {
        // A missing field reads nothing that can differ (same struct, same fields).
        let i = self.names.iter().position(|n| *n == key)?;
        self.mark(1 << i);
        Some(self.values[i].clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.mark(READ_ALL);
        Enumerator::Str(self.names)
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.names.len())
    }

    fn is_true(self: &Arc<Self>) -> bool {
        !self.names.is_empty()
    }
}

/// Whether `a` and `b` agree on every field in `reads`.
fn same_reads<T: Fields>(a: &T, b: &T, reads: u64) -> bool {
    (0..T::NAMES.len())
        .filter(|i| reads & (1 << i) != 0)
        .all(|i| a.same_field(b, i))
}

/// An app view with its template values.
struct AppCtx {
    view: AppView,
    values: Arc<[TValue]>,
}

impl AppCtx {
    fn new(view: AppView) -> AppCtx {
        let values = view.values();
        AppCtx { view, values }
    }
}

/// A service view with its template values (made on first use).
struct SvcCtx {
    view: SvcView,
    values: OnceLock<Arc<[TValue]>>,
}

impl SvcCtx {
    fn new(view: SvcView) -> SvcCtx {
        SvcCtx {
            view,
            values: OnceLock::new(),
        }
    }

    /// A service view whose template values are those of `base` for the
    /// fields where the two views agree (made now, sharing `base`'s).
    fn sharing(view: SvcView, base: &SvcCtx) -> SvcCtx {
        let shared = base.values();
        let values: Arc<[TValue]> = (0..SvcView::NAMES.len())
            .map(|i| match view.same_field(&base.view, i) {
                true => shared[i].clone(),
                false => view.value(i),
            })
            .collect();
        SvcCtx {
            view,
            values: OnceLock::from(values),
        }
    }

    fn values(&self) -> &Arc<[TValue]> {
        self.values.get_or_init(|| self.view.values())
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
    /// The same, parsed (`None` when [`Obj::delta`] says what it is).
    value: Option<Value>,
    /// The same as a base object with some scalars changed.
    delta: Option<Box<Delta>>,
    /// Where each line's scalar is in `value` (objects of the base).
    index: Option<Box<LineIndex>>,
}

/// An object read as base object `base` with scalars changed (line of the
/// base's text, new value) and mapping entries added.
#[derive(Clone, Debug)]
struct Delta {
    base: usize,
    changes: LineChanges,
}

impl Obj {
    /// The parsed object (objects of the base and components always have it).
    fn value(&self) -> &Value {
        self.value.as_ref().expect("a parsed object")
    }

    /// The parsed object, taken out of the object (it is left without one),
    /// or read now if only a [`Delta`] says what it is (see
    /// [`Base::materialize`], which builds it without reading).
    fn take_value(&mut self) -> Value {
        match self.value.take() {
            Some(v) => v,
            None => {
                yaml_read::from_str(&self.text, "rendered object").expect("checked when rendered")
            }
        }
    }

    /// A copy of the parsed object, read now if only a [`Delta`] says what it
    /// is (see [`Base::materialize`], which builds it without reading).
    fn value_now(&self) -> Value {
        match &self.value {
            Some(v) => v.clone(),
            None => {
                yaml_read::from_str(&self.text, "rendered object").expect("checked when rendered")
            }
        }
    }
}

/// An object a view asks for: its template, file name and kind.
#[derive(Clone, Debug, PartialEq)]
struct Spec {
    template: &'static str,
    file: String,
    kind: &'static str,
}

fn spec(template: &'static str, file: String, kind: &'static str) -> Spec {
    Spec {
        template,
        file,
        kind,
    }
}

/// The app-wide objects.
fn app_specs() -> Vec<Spec> {
    vec![
        spec(
            "k8s/namespace.yaml.j2",
            "namespace.yaml".into(),
            "Namespace",
        ),
        spec(
            "k8s/networkpolicy-default-deny.yaml.j2",
            "networkpolicy-default-deny.yaml".into(),
            "NetworkPolicy",
        ),
        spec(
            "k8s/networkpolicy-dns.yaml.j2",
            "networkpolicy-dns.yaml".into(),
            "NetworkPolicy",
        ),
    ]
}

/// The objects of one service.
fn service_specs(v: &SvcView) -> Vec<Spec> {
    let n = &v.name;
    let workload = if v.kind == "StatefulSet" {
        spec(
            "k8s/deployment.yaml.j2",
            format!("{n}-statefulset.yaml"),
            "StatefulSet",
        )
    } else {
        spec(
            "k8s/deployment.yaml.j2",
            format!("{n}-deployment.yaml"),
            "Deployment",
        )
    };
    let mut out = vec![
        workload,
        spec(
            "k8s/configmap.yaml.j2",
            format!("{n}-configmap.yaml"),
            "ConfigMap",
        ),
        spec(
            "k8s/serviceaccount-service.yaml.j2",
            format!("{n}-serviceaccount.yaml"),
            "ServiceAccount",
        ),
        spec(
            "k8s/networkpolicy-service.yaml.j2",
            format!("{n}-networkpolicy.yaml"),
            "NetworkPolicy",
        ),
    ];
    if !v.ports.is_empty() {
        out.push(spec(
            "k8s/service.yaml.j2",
            format!("{n}-service.yaml"),
            "Service",
        ));
    }
    if v.storage.as_ref().is_some_and(|s| s.shared) {
        out.push(spec(
            "k8s/pvc.yaml.j2",
            format!("{n}-pvc.yaml"),
            "PersistentVolumeClaim",
        ));
    }
    if v.replicated {
        out.push(spec(
            "k8s/pdb.yaml.j2",
            format!("{n}-pdb.yaml"),
            "PodDisruptionBudget",
        ));
    }
    if v.ingress.is_some() {
        out.push(spec(
            "k8s/ingress.yaml.j2",
            format!("{n}-ingress.yaml"),
            "Ingress",
        ));
    }
    out
}

/// The template context `{app, svc}` (`svc` absent for app-wide objects).
fn ctx(app: &AppCtx, svc: Option<&SvcCtx>) -> (TValue, TValue, Option<TValue>) {
    let a = Tracked::value(AppView::NAMES, &app.values);
    match svc {
        Some(s) => {
            let v = Tracked::value(SvcView::NAMES, s.values());
            (
                minijinja::context! { app => a.clone(), svc => v.clone() },
                a,
                Some(v),
            )
        }
        None => (minijinja::context! { app => a.clone() }, a, None),
    }
}

/// Render `spec` for (`app`, `svc`); also returns what the render read of
/// each view (app, svc).
fn render_spec(
    engine: &Engine,
    s: &Spec,
    app: &AppCtx,
    svc: Option<&SvcCtx>,
    indexed: bool,
) -> Result<(Obj, (u64, u64)), Diagnostic> {
    let (c, a, v) = ctx(app, svc);
    let text = engine.render_value(s.template, c)?;
    let reads = (Tracked::reads(&a), v.as_ref().map_or(0, Tracked::reads));
    let read = if indexed { Read::Indexed } else { Read::Value };
    Ok((obj(s.template, s.file.clone(), s.kind, text, read)?, reads))
}

/// Render `spec` for a profile, where base object `i` is the same template's
/// output for the base: when the two texts differ only in scalars on their own
/// lines, the object is read as the base's with those scalars changed.
fn render_against(
    engine: &Engine,
    s: &Spec,
    app: &AppCtx,
    svc: &SvcCtx,
    base: &Base,
    i: usize,
) -> Result<Obj, Diagnostic> {
    let (c, _, _) = ctx(app, Some(svc));
    let text = engine.render_value(s.template, c)?;
    let b = &base.objects[i];
    if base.reuse
        && let Some(index) = &b.index
        && let Some(changes) = yaml_read::changed_lines(&b.text, b.value(), index, &text)
    {
        let mut name = Some(b.name.clone());
        for (line, v) in &changes.scalars {
            if index.at(*line).pointer == "/metadata/name" {
                name = v.as_str().map(String::from);
            }
        }
        // (Without a name the object is read, which reports it.)
        if changes
            .removed
            .iter()
            .any(|r| index.at(r.line).pointer == "/metadata/name")
        {
            name = None;
        }
        if let Some(name) = name {
            return Ok(Obj {
                file: s.file.clone(),
                kind: s.kind,
                name,
                text,
                value: None,
                delta: Some(Box::new(Delta { base: i, changes })),
                index: None,
            });
        }
    }
    obj(s.template, s.file.clone(), s.kind, text, Read::Value)
}

/// How much of a rendered object to read.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    /// The value and where each line's scalar is (objects of the base).
    Indexed,
    /// The value.
    Value,
}

fn obj(
    template: &str,
    file: String,
    kind: &'static str,
    text: String,
    read: Read,
) -> Result<Obj, Diagnostic> {
    let no_name = || {
        Diagnostic::error(format!(
            "templates/{template}: object without metadata.name"
        ))
    };
    let indexed = (read == Read::Indexed)
        .then(|| yaml_read::fast_indexed(&text))
        .flatten();
    let (value, index) = match indexed {
        Some((v, i)) => (v, Some(Box::new(i))),
        None => (
            yaml_read::from_str(&text, &file).map_err(|e| {
                Diagnostic::error(format!(
                    "templates/{template} rendered invalid YAML for {file}: {}{}\n{text}",
                    e.message,
                    e.span.map(|s| format!(" (at {s})")).unwrap_or_default()
                ))
            })?,
            None,
        ),
    };
    let name = yaml_read::lookup(&value, "/metadata/name")
        .and_then(Value::as_str)
        .ok_or_else(no_name)?
        .to_string();
    Ok(Obj {
        file,
        kind,
        name,
        text,
        value: Some(value),
        delta: None,
        index,
    })
}

/// Render a template with a context (a template value shared by several
/// renders) into an object.
fn render_obj(
    engine: &Engine,
    template: &str,
    ctx: &TValue,
    file: String,
    kind: &'static str,
) -> Result<Obj, Diagnostic> {
    let text = engine.render_value(template, ctx.clone())?;
    obj(template, file, kind, text, Read::Value)
}

/// Whether objects of `kind` carry a pod template.
fn is_workload(kind: &str) -> bool {
    kind == "Deployment" || kind == "StatefulSet"
}

/// The object as Kustomize `labels:` (with `includeTemplates`) leaves it.
fn with_labels(mut v: Value, kind: &str, labels: &IndexMap<String, String>) -> Value {
    let mut paths = vec!["/metadata/labels"];
    if is_workload(kind) {
        paths.push("/spec/template/metadata/labels");
    }
    for p in paths {
        if let Some(Value::Object(m)) = yaml_read::lookup_mut(&mut v, p) {
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
    app: AppCtx,
    /// Labels the base's `labels:` sets.
    uniform: IndexMap<String, String>,
    /// Each service's view.
    views: IndexMap<String, SvcCtx>,
    /// Objects in file order.
    objects: Vec<Obj>,
    /// Each object's template, and what its render read of (app, svc).
    templates: Vec<&'static str>,
    reads: Vec<(u64, u64)>,
    /// Each object as the overlay sees it (the base's `labels:` applied).
    built: Vec<Value>,
    /// Object index by (kind, name).
    index: HashMap<String, Vec<(&'static str, usize)>>,
    /// Indices of the app-wide objects, and of each service's objects.
    app_objects: Vec<usize>,
    service_objects: IndexMap<String, Vec<usize>>,
    /// Files to write.
    files: Vec<PlannedFile>,
    /// Whether overlays reuse what they can of the base's renders (objects
    /// whose reads agree, scalar-only differences, the cloud component's
    /// objects where the contexts are equal); off only to test that
    /// reusing gives the same files.
    reuse: bool,
}

/// A service's objects as rendered for the base: (view, objects with their
/// templates and reads).
type BaseService = (SvcCtx, Vec<(&'static str, Obj, (u64, u64))>);

impl Base {
    fn render(engine: &Engine, common: &Model) -> Result<Base, Diagnostic> {
        let app = AppCtx::new(app_view(common, &common.project.name));
        let facts = Facts::of(common, &common.project.name);
        let mut objects = Vec::new();
        let mut templates = Vec::new();
        let mut reads = Vec::new();
        for sp in app_specs() {
            let (o, r) = render_spec(engine, &sp, &app, None, true)?;
            objects.push(o);
            templates.push(sp.template);
            reads.push(r);
        }
        let app_idx: Vec<usize> = (0..objects.len()).collect();
        let services: Vec<&Service> = common.services.values().collect();
        let rendered: Vec<Result<BaseService, Diagnostic>> =
            par_map(&services, services.len() >= PAR_SERVICES, |s| {
                let v = SvcCtx::new(svc_view(common, &facts, s));
                let objs = service_specs(&v.view)
                    .iter()
                    .map(|sp| {
                        render_spec(engine, sp, &app, Some(&v), true)
                            .map(|(o, r)| (sp.template, o, r))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((v, objs))
            });
        let mut views = IndexMap::new();
        let mut service_idx = IndexMap::new();
        for (s, r) in services.iter().zip(rendered) {
            let (v, objs) = r?;
            service_idx.insert(
                s.name.clone(),
                (objects.len()..objects.len() + objs.len()).collect(),
            );
            for (t, o, r) in objs {
                objects.push(o);
                templates.push(t);
                reads.push(r);
            }
            views.insert(s.name.clone(), v);
        }
        let built = objects
            .iter()
            .map(|o| with_labels(o.value().clone(), o.kind, &facts.uniform))
            .collect();
        let mut index: HashMap<String, Vec<(&'static str, usize)>> = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            index.entry(o.name.clone()).or_default().push((o.kind, i));
        }
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
            templates,
            reads,
            built,
            index,
            app_objects: app_idx,
            service_objects: service_idx,
            files,
            reuse: true,
        })
    }

    fn find(&self, kind: &'static str, name: &str) -> Option<usize> {
        // The last object of that kind and name (objects are unique by both).
        self.index
            .get(name)?
            .iter()
            .rev()
            .find(|(k, _)| *k == kind)
            .map(|(_, i)| *i)
    }

    /// The value an object read as a [`Delta`] of a base object has.
    fn materialize(&self, d: &Delta) -> Value {
        let b = &self.objects[d.base];
        let index = b.index.as_ref().expect("a delta of an indexed object");
        let mut v = b.value().clone();
        yaml_read::apply(&mut v, index, &d.changes);
        v
    }
}

/// What [`diff`] gives for base object `d.base` (with the base's `labels:`)
/// against the object `d` describes with the same `labels:`, without building
/// the object: the two differ only in the changed scalars and the entries
/// `key: scalar` added to or removed from mappings, so the difference is a
/// `replace` of each changed scalar whose value differs, an `add` of each
/// added entry and a `remove` of each removed one, in [`diff`]'s order —
/// except where `labels:` sets the scalar anyway (skipped) or a change
/// touches what `labels:` works on (`None`: use [`diff`]).
fn delta_ops(
    base: &Base,
    d: &Delta,
    kind: &str,
    labels: &IndexMap<String, String>,
) -> Option<Vec<Value>> {
    let b = &base.objects[d.base];
    line_ops(b.value(), b.index.as_ref()?, &d.changes, kind, labels)
}

/// [`delta_ops`] for a base object's value and line index, and the changes
/// of its text.
fn line_ops(
    value: &Value,
    index: &LineIndex,
    changes: &LineChanges,
    kind: &str,
    labels: &IndexMap<String, String>,
) -> Option<Vec<Value>> {
    let label_maps: &[&str] = if is_workload(kind) {
        &["/metadata/labels", "/spec/template/metadata/labels"]
    } else {
        &["/metadata/labels"]
    };
    // A change of a labels map or of what holds one: `labels:` works on it.
    let on_map = |pointer: &str| {
        label_maps
            .iter()
            .any(|m| *m == pointer || m.strip_prefix(pointer).is_some_and(|r| r.starts_with('/')))
    };
    if changes
        .added
        .iter()
        .map(|a| a.map.as_str())
        .chain(
            changes
                .removed
                .iter()
                .map(|r| yaml_read::removed_from(index, r)),
        )
        .any(|m| label_maps.contains(&m))
    {
        return None;
    }
    // Each operation with where `diff` makes it: (base line, phase, order),
    // phases at a line being the removals of the mappings that end just
    // before it (inner first), its scalar's replacement, then the entries
    // added after it.
    let mut ops: Vec<((usize, u8, usize), Value)> = Vec::new();
    for (line, new) in &changes.scalars {
        let pointer = index.at(*line).pointer;
        if on_map(pointer) {
            return None;
        }
        let set_by_labels = label_maps.iter().any(|m| {
            pointer
                .strip_prefix(m)
                .and_then(|r| r.strip_prefix('/'))
                .is_some_and(|k| {
                    !k.contains('/') && labels.contains_key(yaml_read::unescape_token(k).as_ref())
                })
        });
        if set_by_labels {
            continue;
        }
        // Not a label: the base's value there is the one it was read with.
        if yaml_read::lookup(value, pointer) != Some(new) {
            let op = json!({"op": "replace", "path": pointer, "value": new});
            ops.push(((*line, 1, 0), op));
        }
    }
    for (n, a) in changes.added.iter().enumerate() {
        let mut path = a.map.clone();
        yaml_read::push_token(&mut path, &a.key);
        let op = json!({"op": "add", "path": path, "value": a.value});
        ops.push(((a.line, 2, n), op));
    }
    for r in &changes.removed {
        let op = json!({"op": "remove", "path": index.at(r.line).pointer});
        ops.push(((r.end, 0, usize::MAX - r.indent), op));
    }
    // (Stable: removals from one mapping stay in the base's order.)
    ops.sort_by_key(|(at, _)| *at);
    Some(ops.into_iter().map(|(_, op)| op).collect())
}

/// The objects of service `s` in profile `m`: the base's where the template
/// inputs agree with the base's, otherwise rendered (base services with the
/// base's image and replicas: those go through `images:` and `replicas:`);
/// and the service's own view when an HPA needs it.
fn service_wants<'b>(
    engine: &Engine,
    base: &'b Base,
    m: &Model,
    facts: &Facts,
    app: &AppCtx,
    app_same: bool,
    s: &Service,
) -> Result<(Option<SvcView>, Vec<Want<'b>>), Diagnostic> {
    let v = svc_view(m, facts, s);
    let hpa_view = s.autoscaling.is_some().then(|| v.clone());
    let mut want = Vec::new();
    match (base.model.services.get(&s.name), base.views.get(&s.name)) {
        (Some(b), Some(bv)) => {
            let mut normalised = v;
            normalised.image = b.image.reference.clone();
            normalised.replicas = b.replicas;
            // (The ConfigMap's name first: it differs whenever the env does.)
            let whole_same =
                app_same && normalised.configmap == bv.view.configmap && normalised == bv.view;
            let idx = &base.service_objects[&s.name];
            // Nothing to render when the whole view is the base's.
            let c = match whole_same {
                true => SvcCtx::new(normalised),
                false => SvcCtx::sharing(normalised, bv),
            };
            for sp in service_specs(&c.view) {
                let counterpart = idx
                    .iter()
                    .copied()
                    .find(|&i| base.templates[i] == sp.template);
                let same = counterpart.filter(|&i| {
                    whole_same
                        || (base.reuse
                            && same_reads(&app.view, &base.app.view, base.reads[i].0)
                            && same_reads(&c.view, &bv.view, base.reads[i].1))
                });
                match (same, counterpart) {
                    (Some(i), _) => want.push(Want::Same(i, &base.objects[i])),
                    (None, Some(i)) => {
                        want.push(Want::New(render_against(engine, &sp, app, &c, base, i)?));
                    }
                    (None, None) => {
                        want.push(Want::New(render_spec(engine, &sp, app, Some(&c), false)?.0));
                    }
                }
            }
        }
        _ => {
            let c = SvcCtx::new(v);
            for sp in service_specs(&c.view) {
                want.push(Want::New(render_spec(engine, &sp, app, Some(&c), false)?.0));
            }
        }
    }
    Ok((hpa_view, want))
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
    identity_doc: &'static str,
    identity_annotation: &'static str,
    storage_doc: &'static str,
    provisioner: &'static str,
    volume_binding_mode: &'static str,
    block_doc: &'static str,
    block_provisioner: &'static str,
    block_parameters: &'static [(&'static str, &'static str)],
    gpu_node_label: &'static str,
}

fn cloud_spec(cloud: &str) -> CloudSpec {
    match cloud {
        "aws" => CloudSpec {
            title: "AWS (EKS)",
            identity_doc: "IRSA, the IAM role of clouds.aws.workload_identity",
            identity_annotation: "eks.amazonaws.com/role-arn",
            storage_doc: "EFS CSI driver, access points on clouds.aws.efs_file_system_id",
            provisioner: "efs.csi.aws.com",
            volume_binding_mode: "Immediate",
            block_doc: "EBS CSI driver, encrypted gp3 volumes",
            block_provisioner: "ebs.csi.aws.com",
            block_parameters: &[("type", "gp3"), ("encrypted", "true")],
            gpu_node_label: "node.kubernetes.io/instance-type",
        },
        "azure" => CloudSpec {
            title: "Azure (AKS)",
            identity_doc: "AKS workload identity, the managed identity client id of clouds.azure.workload_identity",
            identity_annotation: "azure.workload.identity/client-id",
            storage_doc: "Azure Files CSI driver",
            provisioner: "file.csi.azure.com",
            volume_binding_mode: "Immediate",
            block_doc: "Azure Disk CSI driver, StandardSSD managed disks",
            block_provisioner: "disk.csi.azure.com",
            block_parameters: &[("skuName", "StandardSSD_LRS")],
            gpu_node_label: "kubernetes.azure.com/accelerator",
        },
        _ => CloudSpec {
            title: "Google Cloud (GKE)",
            identity_doc: "GKE workload identity, the Google service account of clouds.gcp.workload_identity",
            identity_annotation: "iam.gke.io/gcp-service-account",
            storage_doc: "Filestore CSI driver; Filestore bills at least 1 TiB per instance",
            provisioner: "filestore.csi.storage.gke.io",
            volume_binding_mode: "WaitForFirstConsumer",
            block_doc: "Compute Engine persistent disk CSI driver, pd-balanced",
            block_provisioner: "pd.csi.storage.gke.io",
            block_parameters: &[("type", "pd-balanced")],
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
        "identity_doc": spec.identity_doc,
        "service_account": identity,
        "sa_annotations": sa_annotations,
        "storage_doc": spec.storage_doc,
        "storage_class": format!("{identity}-shared"),
        "provisioner": spec.provisioner,
        "storage_parameters": params,
        "storage_notes": notes,
        "volume_binding_mode": spec.volume_binding_mode,
        "block_doc": spec.block_doc,
        "block_class": format!("{identity}-block"),
        "block_provisioner": spec.block_provisioner,
        "block_parameters": spec.block_parameters.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<Map<_, _>>(),
        "gpu_node_label": spec.gpu_node_label,
        "gpu_node_pointer": format!("/spec/template/spec/nodeSelector/{}", pointer_key(spec.gpu_node_label)),
        "gpu_tolerations": crate::catalogue::gpu_node_taint(cloud).map(|t| vec![t.toleration()]).unwrap_or_default(),
        "gpu_taint": crate::catalogue::gpu_node_taint(cloud).map(|t| t.spec()),
    })
}

/// What the cloud component's object templates see for model `m`.
fn cloud_ctx(m: &Model, cloud: &str, identity: &str) -> Value {
    json!({ "app": app_view(m, identity), "cloud": cloud_view(m, cloud, identity) })
}

/// The objects a cloud component adds, for the context [`cloud_ctx`] gives.
fn cloud_objects(engine: &Engine, ctx: &Value) -> Result<Vec<Obj>, Diagnostic> {
    let ctx = &TValue::from(Serde(ctx));
    Ok(vec![
        render_obj(
            engine,
            "k8s/serviceaccount.yaml.j2",
            ctx,
            "serviceaccount.yaml".into(),
            "ServiceAccount",
        )?,
        render_obj(
            engine,
            "k8s/storageclass.yaml.j2",
            ctx,
            "storageclass.yaml".into(),
            "StorageClass",
        )?,
        render_obj(
            engine,
            "k8s/storageclass-block.yaml.j2",
            ctx,
            "storageclass-block.yaml".into(),
            "StorageClass",
        )?,
    ])
}

struct CloudComponent {
    files: Vec<PlannedFile>,
    /// The context of its objects and the objects (overlays compare theirs with them).
    ctx: Value,
    objects: Vec<Obj>,
}

impl CloudComponent {
    fn render(engine: &Engine, common: &Model, cloud: &str) -> Result<CloudComponent, Diagnostic> {
        let identity = &common.project.name;
        let ctx = cloud_ctx(common, cloud, identity);
        let objects = cloud_objects(engine, &ctx)?;
        let mut files: Vec<PlannedFile> = objects
            .iter()
            .map(|o| {
                shared_file(
                    common,
                    &format!("components/{cloud}/{}", o.file),
                    o.text.clone(),
                )
            })
            .collect();
        let kctx = json!({ "cloud": &ctx["cloud"] });
        files.push(shared_file(
            common,
            &format!("components/{cloud}/kustomization.yaml"),
            engine.render("k8s/component-cloud.yaml.j2", &kctx)?,
        ));
        Ok(CloudComponent {
            files,
            ctx,
            objects,
        })
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

/// What `overlay-kustomization.yaml.j2` sees.
#[derive(Serialize)]
struct OverlayCtx<'a> {
    profile: &'a str,
    namespace: String,
    resources: Vec<String>,
    components: Vec<String>,
    labels: &'a IndexMap<String, String>,
    images: Vec<ImageEntry>,
    replicas: Vec<ReplicaEntry<'a>>,
    patches: Vec<PatchView>,
}

#[derive(Serialize)]
struct ReplicaEntry<'a> {
    name: &'a str,
    count: u32,
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
    kind: &'static str,
    name: String,
    count: String,
    model: String,
    node: Option<String>,
}

/// The differences `base → want` as JSON Patch operations. Maps are compared
/// key by key; lists of equal length item by item, others replaced whole.
fn diff(base: &Value, want: &Value, path: &str, ops: &mut Vec<Value>) {
    let mut at = path.to_string();
    diff_at(base, want, &mut at, ops);
}

/// [`diff`] at pointer `path` (a buffer extended and restored on the way down).
fn diff_at(base: &Value, want: &Value, path: &mut String, ops: &mut Vec<Value>) {
    let push_key = yaml_read::push_token;
    match (base, want) {
        (Value::Object(a), Value::Object(b)) => {
            let len = path.len();
            for (k, bv) in b {
                push_key(path, k);
                match a.get(k) {
                    Some(av) => diff_at(av, bv, path, ops),
                    None => ops.push(json!({"op": "add", "path": path.as_str(), "value": bv})),
                }
                path.truncate(len);
            }
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                push_key(path, k);
                ops.push(json!({"op": "remove", "path": path.as_str()}));
                path.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            use std::fmt::Write as _;
            let len = path.len();
            for (i, (av, bv)) in a.iter().zip(b).enumerate() {
                let _ = write!(path, "/{i}");
                diff_at(av, bv, path, ops);
                path.truncate(len);
            }
        }
        _ if base == want => {}
        _ => ops.push(json!({"op": "replace", "path": path.as_str(), "value": want})),
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
                .map(yaml_read::unescape_token);
            !(is_set
                && key.is_some_and(|k| {
                    labels.get(k.as_ref()).map(String::as_str) == op["value"].as_str()
                }))
        })
        .collect()
}

fn ops_body(ops: &[Value]) -> String {
    yaml_items_lines(ops, 0)
}

fn delete_body(o: &Obj) -> String {
    let api = o.value().get("apiVersion").cloned().unwrap_or(Value::Null);
    yaml_block_lines(
        &json!({"$patch": "delete", "apiVersion": api, "kind": o.kind, "metadata": {"name": o.name}}),
        0,
    )
}

fn overlay(
    engine: &Engine,
    base: &Base,
    cloud_components: &HashMap<&str, CloudComponent>,
    m: &Model,
) -> Result<Vec<PlannedFile>, Diagnostic> {
    let dir = format!("overlays/{}", m.profile);
    let regenerate = format!("{REGENERATE} --profile {}", m.profile);
    let head = header("#", &m.sources, &regenerate);
    let file = |rel: &str, body: String| PlannedFile {
        path: format!("{ROOT}/{dir}/{rel}").into(),
        bytes: [head.as_bytes(), body.as_bytes()].concat(),
        target: "k8s".into(),
        profile: Some(m.profile.clone()),
        regenerate: regenerate.clone(),
    };
    let identity = &base.model.project.name;
    let facts = Facts::of(m, identity);
    let uniform = &facts.uniform;
    let app = AppCtx::new(app_view(m, identity));
    let app_same = app.view == base.app.view;

    // The profile's objects; base services rendered with the base's image and
    // replicas (those go through `images:` and `replicas:`). Where the template
    // inputs equal the base's, the objects are the base's: nothing to render.
    // That is so when the whole view is equal, or when the view agrees with
    // the base's on every field the base's render of that object read.
    let mut want: Vec<Want> = Vec::new();
    for (sp, &i) in app_specs().iter().zip(&base.app_objects) {
        if app_same || (base.reuse && same_reads(&app.view, &base.app.view, base.reads[i].0)) {
            want.push(Want::Same(i, &base.objects[i]));
        } else {
            want.push(Want::New(render_spec(engine, sp, &app, None, false)?.0));
        }
    }
    // The HPAs' views (the profile's own image and replicas). Services are
    // rendered in parallel too: a few profiles' overlays alone would leave a
    // core idle at the end of the stage.
    let mut views: IndexMap<String, SvcView> = IndexMap::new();
    let services: Vec<&Service> = m.services.values().collect();
    let parallel = services.len() >= crate::parallel::LARGE_SERVICES;
    let per_service = par_map(&services, parallel, |s| {
        service_wants(engine, base, m, &facts, &app, app_same, s)
    });
    for (s, r) in services.iter().zip(per_service) {
        let (hpa_view, mut wants) = r?;
        if let Some(v) = hpa_view {
            views.insert(s.name.clone(), v);
        }
        want.append(&mut wants);
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
                    .entry((workload_kind(s), s.name.clone()))
                    .or_default()
                    .push(json!({
                        "op": "add",
                        "path": "/spec/template/spec/nodeSelector",
                        "value": {key: value},
                    }));
            }
        }
        gpus.push(GpuMark {
            kind: workload_kind(s),
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
    // Each object of the profile is looked at once: a parsed value it owns
    // is taken, not copied, for the comparison with the base.
    for mut w in want {
        let o = w.obj();
        let extra = if extra_ops.is_empty() {
            Vec::new()
        } else {
            extra_ops
                .remove(&(o.kind, o.name.clone()))
                .unwrap_or_default()
        };
        let in_base = match &w {
            Want::Same(i, _) => Some(*i),
            Want::New(o) => base.find(o.kind, &o.name),
        };
        match in_base {
            Some(i) => {
                let mut ops = Vec::new();
                if let Want::New(o) = &mut w {
                    let delta = o
                        .delta
                        .as_ref()
                        .filter(|d| d.base == i && *uniform == base.uniform)
                        .and_then(|d| delta_ops(base, d, o.kind, uniform));
                    match delta {
                        Some(d) => ops = d,
                        None => {
                            let value = match &o.delta {
                                Some(d) => base.materialize(d),
                                None => o.take_value(),
                            };
                            diff(
                                &base.built[i],
                                &with_labels(value, o.kind, uniform),
                                "",
                                &mut ops,
                            );
                        }
                    }
                    ops = without_label_settings(ops, uniform);
                } else if *uniform != base.uniform {
                    // Same object, other `labels:` pairs on each side.
                    let o = w.obj();
                    diff(
                        &base.built[i],
                        &with_labels(o.value().clone(), o.kind, uniform),
                        "",
                        &mut ops,
                    );
                    ops = without_label_settings(ops, uniform);
                }
                ops.extend(extra);
                if !ops.is_empty() {
                    let o = w.obj();
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
                let o = w.obj();
                // An object the base lacks, rendered with the base's image and
                // replicas (a workload whose kind the profile changes): `images:`
                // and `replicas:` act on it as on the base's; an image patch
                // that would set what it already has is left out.
                resources.push(o.file.clone());
                local_files.push(file(&o.file, o.text.clone()));
                let extra: Vec<Value> = if extra.is_empty() {
                    extra
                } else {
                    let value = match &o.delta {
                        Some(d) => base.materialize(d),
                        None => o.value_now(),
                    };
                    extra
                        .into_iter()
                        .filter(|op| {
                            !(op["op"] == "replace"
                                && op["path"].as_str().and_then(|p| value.pointer(p))
                                    == Some(&op["value"]))
                        })
                        .collect()
                };
                if !extra.is_empty() {
                    patches.push(PatchView {
                        comment: format!("{}/{}: node selection and image", o.kind, o.name),
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
        // The component's objects (rendered for it, or now for a cloud
        // without one), and the profile's: the same when their contexts are.
        let rendered;
        let (have_ctx, have) = match cloud_components.get(cloud.as_str()) {
            Some(c) => (&c.ctx, &c.objects),
            None => {
                let ctx = cloud_ctx(&base.model, cloud, identity);
                let objects = cloud_objects(engine, &ctx)?;
                rendered = (ctx, objects);
                (&rendered.0, &rendered.1)
            }
        };
        let ctx = cloud_ctx(m, cloud, identity);
        let own;
        let wanted = if base.reuse && ctx == *have_ctx {
            have
        } else {
            own = cloud_objects(engine, &ctx)?;
            &own
        };
        for (b, w) in have.iter().zip(wanted) {
            let mut ops = Vec::new();
            diff(
                b.value(),
                &with_labels(w.value().clone(), w.kind, uniform),
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
        let svc = SvcCtx::new(views.swap_remove(&s.name).expect("an HPA view"));
        let (c, _, _) = ctx(&app, Some(&svc));
        local_files.push(file(&f, engine.render_value("k8s/hpa.yaml.j2", c)?));
        resources.push(f);
    }

    let ctx = OverlayCtx {
        profile: &m.profile,
        namespace: namespace(m),
        resources,
        components,
        labels: uniform,
        images,
        // No replica count where an HPA owns it.
        replicas: m
            .services
            .values()
            .filter(|s| s.autoscaling.is_none())
            .map(|s| ReplicaEntry {
                name: &s.name,
                count: s.replicas,
            })
            .collect(),
        patches,
    };
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
            .entry((workload_kind(s), s.name.clone()))
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

    /// Reusing the base's renders (objects whose reads agree, scalar-only
    /// differences read as deltas) gives the files rendering everything
    /// gives, with the built-in templates and with a project's own that read
    /// other fields (`svc.env` in the Service) or the whole view.
    /// The operations [`line_ops`] writes for a text read as changed lines
    /// of a base are [`diff`]'s, in its order (with `labels:` on both sides).
    fn line_ops_agree(kind: &str, base: &str, new: &str) -> bool {
        let labels: IndexMap<String, String> = [("team".to_string(), "t".to_string())].into();
        let Some((v, index)) = yaml_read::fast_indexed(base) else {
            return false;
        };
        let Some(changes) = yaml_read::changed_lines(base, &v, &index, new) else {
            return false;
        };
        let Some(ops) = line_ops(&v, &index, &changes, kind, &labels) else {
            return false;
        };
        let want = yaml_read::from_str(new, "new").unwrap();
        let mut full = Vec::new();
        diff(
            &with_labels(v.clone(), kind, &labels),
            &with_labels(want, kind, &labels),
            "",
            &mut full,
        );
        assert_eq!(
            without_label_settings(ops, &labels),
            without_label_settings(full, &labels),
            "{base}\n--- vs ---\n{new}"
        );
        true
    }

    #[test]
    fn line_ops_are_the_diff() {
        let base = "kind: Deployment\nmetadata:\n  name: a\n  labels:\n    team: t\n    app: a\n  annotations:\n    alb/scheme: internal\n    alb/type: ip\nspec:\n  template:\n    metadata:\n      labels:\n        app: a\n    spec:\n      containers:\n        - name: a\n          image: i\n          env: x\n          resources:\n            cpu: 1\n            memory: 2\n      volumes: []\n  last: 1\n";
        let cases = [
            // An Ingress of another cloud: annotations swapped.
            base.replace(
                "    alb/scheme: internal\n    alb/type: ip\n",
                "    appgw/protocol: http\n    appgw/redirect: \"true\"\n",
            ),
            // Removals in nested mappings ending on the same line, a scalar after.
            base.replace("            memory: 2\n", "")
                .replace("          env: x\n", "")
                .replace("last: 1", "last: 2"),
            // Added and removed entries of one mapping, scalars around them.
            base.replace("    alb/type: ip\n", "    x: 1\n    y: 2\n")
                .replace("name: a\n  labels", "name: b\n  labels")
                .replace("cpu: 1", "cpu: 3"),
            base.replace(
                "          image: i\n",
                "          image: j\n          pull: always\n",
            ),
            base.replace("  last: 1\n", ""),
            base.replace("kind: Deployment\n", "kind: Deployment\nextra: 1\n"),
            base.replace("  name: a\n", ""),
            base.replace("  name: a\n", "  name: a\n  labels2: x\n"),
        ];
        for new in &cases {
            assert!(
                line_ops_agree("Deployment", base, new),
                "not line ops:\n{new}"
            );
        }
        // Entries of a labels map or of what holds one: left to `diff`.
        for new in [
            base.replace("    app: a\n", ""),
            base.replace("        app: a\n", "        app: a\n        x: y\n"),
        ] {
            assert!(
                !line_ops_agree("Deployment", base, &new),
                "line ops:\n{new}"
            );
        }
    }

    proptest::proptest! {
        /// Lines removed from and added to nested mappings (and mappings in
        /// a sequence): whenever they read as changed lines, [`line_ops`]
        /// is [`diff`].
        #[test]
        fn line_ops_are_the_diff_of_edited_yaml(edits in proptest::collection::vec((
            0usize..26,
            proptest::bool::ANY,
            0usize..4,
            proptest::sample::select(vec!["k: x", "a: 1", "b: \"s\"", "team: u", "z: 8"]),
        ), 1..6)) {
            let base = "metadata:\n  name: a\n  labels:\n    team: t\n    app: a\n  annotations:\n    x: 1\n    y: 2\nspec:\n  a: 1\n  m:\n    p: 1\n    q: 2\n    n:\n      r: 1\n      s: 2\n  items:\n    - name: i\n      v: 1\n      w: 2\n    - name: j\n      v: 3\n  z: 9\n";
            let new = yaml_read::tests::edit_lines(base, &edits);
            if yaml_read::from_str(&new, "new").is_ok() {
                line_ops_agree("ConfigMap", base, &new);
            }
        }
    }

    #[test]
    fn reusing_base_renders_changes_nothing() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let d = tempfile::tempdir().unwrap();
        for e in walkdir::WalkDir::new(repo.join("config")) {
            let e = e.unwrap();
            let to = d.path().join(e.path().strip_prefix(repo).unwrap());
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
            } else {
                std::fs::copy(e.path(), &to).unwrap();
            }
        }
        let render = |reuse: bool| {
            let project = crate::project::Project::load(d.path()).unwrap();
            let names = project.profile_names();
            let models: Vec<Model> = crate::pipeline::resolve_all(&project, &names, &[])
                .unwrap()
                .into_iter()
                .map(|r| r.model)
                .collect();
            let opts = RenderOptions {
                common: crate::pipeline::resolve_common(&project).ok(),
                ..RenderOptions::default()
            };
            let engine = Engine::new(d.path());
            let files = render_k8s(&engine, &models, &opts, reuse).unwrap();
            files
                .into_iter()
                .map(|f| (f.path, String::from_utf8(f.bytes).unwrap()))
                .collect::<Vec<_>>()
        };
        assert_eq!(render(true), render(false));
        let t = d.path().join("templates/k8s");
        std::fs::create_dir_all(&t).unwrap();
        let builtin = |n: &str| {
            super::super::EMBEDDED_TEMPLATES
                .iter()
                .find(|(x, _)| *x == n)
                .unwrap()
                .1
                .to_string()
        };
        std::fs::write(
            t.join("service.yaml.j2"),
            builtin("k8s/service.yaml.j2").replace(
                "  labels:",
                "  annotations:\n    env: {{ svc.env|json|yaml }}\n  labels:",
            ),
        )
        .unwrap();
        std::fs::write(
            t.join("serviceaccount-service.yaml.j2"),
            builtin("k8s/serviceaccount-service.yaml.j2").replace(
                "  labels:",
                "  annotations:\n{% for k, v in svc|items %}{% if k == 'env' %}    env: {{ v|json|yaml }}\n{% endif %}{% endfor %}  labels:",
            ),
        )
        .unwrap();
        let with_reuse = render(true);
        assert_eq!(with_reuse, render(false));
        let service_patched = with_reuse.iter().any(|(p, t)| {
            p.ends_with("kustomization.yaml")
                && t.contains("kind: Service\n")
                && t.contains("/metadata/annotations/env")
        });
        let pvc_patched = with_reuse.iter().any(|(p, t)| {
            p.ends_with("kustomization.yaml")
                && t.contains("kind: ServiceAccount\n      name")
                && t.contains("/metadata/annotations/env")
        });
        assert!(
            service_patched && pvc_patched,
            "the overrides read env, which profiles change"
        );
    }

    #[test]
    fn env_values_name_service_hosts() {
        let ns = [
            "shop-prod".to_string(),
            "shop".to_string(),
            "svc".to_string(),
        ];
        let yes = [
            ("URL", "http://ollama:11434"),
            ("DATABASE_URL", "postgresql://webui@postgres:5432/webui"),
            ("BROKER", "amqp://shop@rabbitmq//"),
            ("X", "redis:6379"),
            ("X", "redis.shop-prod.svc.cluster.local"),
            ("REDIS_HOST", "redis"),
            ("KAFKA_PEERS", "kafka-0,redis"),
        ];
        for (k, v) in yes {
            let host = if v.contains("ollama") {
                "ollama"
            } else if v.contains("postgres") {
                "postgres"
            } else if v.contains("rabbitmq") {
                "rabbitmq"
            } else {
                "redis"
            };
            assert!(names_host(k, v, host, &ns), "{k}={v}");
        }
        let no = [
            ("POSTGRES_DB", "webui", "webui"),
            ("URL", "https://api.openai.com/v1", "api"),
            ("URL", "http://myredis:6379", "redis"),
            ("MODE", "redis", "redis"),
            ("NAME", "redis-cache:x", "redis"),
        ];
        for (k, v, host) in no {
            assert!(!names_host(k, v, host, &ns), "{k}={v} is not {host}");
        }
    }

    /// `peers_among`'s candidate lookup agrees with asking `names_host` for
    /// every service (the slow path it replaces).
    #[test]
    fn peers_among_matches_scanning_every_service() {
        // Names of many lengths, two of 63 bytes or more (one length bit).
        const LONG_HOST: &str =
            "a-service-name-that-is-more-than-sixty-three-bytes-long-for-sure-x";
        let ns = peer_namespaces("shop", "prod").to_vec();
        let hosts = [
            "redis",
            "db",
            "api",
            "web",
            "ollama",
            "postgres",
            "kafka-0",
            "a.b",
            "q",
            LONG_HOST,
            "a-service-name-that-is-more-than-sixty-three-bytes-long-for-sure-y2",
        ];
        let values = [
            "http://ollama:11434",
            "postgresql://webui@postgres:5432/webui",
            "amqp://shop@redis//",
            "redis:6379,db:5432",
            "redis.shop-prod.svc.cluster.local",
            "redis.svc",
            "db",
            "kafka-0,redis;web api",
            "x=db",
            "(api)",
            "'web'",
            "\"redis\"",
            "http://a.b:80/x",
            "http://web?x=1",
            "https://api.openai.com/v1",
            "http://myredis:6379",
            "redis-cache:x",
            "ü@db:1",
            "q",
            "",
            "http://a-service-name-that-is-more-than-sixty-three-bytes-long-for-sure-x:80",
            "a-service-name-that-is-more-than-sixty-three-bytes-long-for-sure-y2,api",
        ];
        let keys = ["URL", "MODE", "REDIS_HOST", "POSTGRES_DB"];
        for k in keys {
            for v in values {
                for w in values {
                    let env = [(k, v), ("X", w)];
                    let slow: Vec<String> = hosts
                        .iter()
                        .filter(|t| env.iter().any(|(k, v)| names_host(k, v, t, &ns)))
                        .map(|t| t.to_string())
                        .collect();
                    let fast = peers_among(&ns, "me", &env, hosts.iter().map(|t| (*t, true)));
                    assert_eq!(fast, slow, "{k}={v}, X={w}");
                }
            }
        }
        assert!(!slow_only_sanity(&ns));
    }

    /// A case the lookup must not miss: a host right after `@`.
    fn slow_only_sanity(ns: &[String]) -> bool {
        peers_among(ns, "me", &[("URL", "u@db")], [("db", true)].into_iter()).is_empty()
    }

    /// The reverse of the peers lists each connecting service once, in
    /// model order, as scanning every service's peers does.
    #[test]
    fn reverse_peers_is_scanning_every_services_peers() {
        let talks_to: IndexMap<String, Vec<String>> = [
            ("web", vec!["api", "db", "api"]),
            ("api", vec!["db"]),
            ("db", vec![]),
            ("worker", vec!["db", "web"]),
            ("cron", vec!["api", "api"]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
        .collect();
        let by = reverse_peers(&talks_to);
        for name in ["web", "api", "db", "worker", "cron", "none"] {
            let scanned: Vec<String> = talks_to
                .iter()
                .filter(|(_, to)| to.iter().any(|t| t == name))
                .map(|(from, _)| from.clone())
                .collect();
            assert_eq!(by.get(name).cloned().unwrap_or_default(), scanned, "{name}");
        }
        assert_eq!(by["db"], ["web", "api", "worker"]);
        assert_eq!(by["api"], ["web", "cron"]);
    }

    #[test]
    fn gke_accelerators() {
        assert_eq!(gke_accelerator("l4"), "nvidia-l4");
        assert_eq!(gke_accelerator("a100"), "nvidia-tesla-a100");
        assert_eq!(gke_accelerator("a100-80gb"), "nvidia-a100-80gb");
        assert_eq!(gke_accelerator("h100"), "nvidia-h100-80gb");
    }
}
