//! Target `tfvars` (alias `terraform`): `deploy/terraform/<cloud>/<profile>.tfvars`
//! for each cloud in `clouds:`, with the common variable interface of
//! `deploy/terraform/<cloud>/variables.tf` (same names on every cloud).
//!
//! All decisions are made here, in a per-cloud view ([`TfvarsView`]); the
//! template only lays the values out:
//!
//! - Nothing depends on the order of services in the config. The top-level
//!   `image`, `ports`, `cpu`, `memory` and `storage_size_gb` (what Terraform
//!   deploys when `services` is empty) come from the *representative service*:
//!   the public service whose name sorts first, else the service whose name
//!   sorts first. Which services are published is each entry's `public`.
//! - Per service, besides sizing: `args` (config `command`) and `entrypoint`
//!   (null when not set), `secrets` (the only secrets it receives), `public`,
//!   `mount_path` (null without storage) and `storage_shared`, `protocol`
//!   (`http`/`tcp`), `health` (`{path, port}`, path null for TCP; null when
//!   not set) and `run_as_user` (null when the service runs as root).
//! - `gpu_model`, `gpu_count`, `instance_type` come from the first GPU service:
//!   its catalogue placement for this cloud when there is one, else its config
//!   request (`resources.gpu`) and its pin `resources.instance.<cloud>`.
//! - A GPU service with neither a placement nor a pin on a cloud (the enrich
//!   stage warned that nothing fits there) is an error for that cloud's
//!   tfvars ([`missing_instances`]): Terraform's GPU node pool needs an
//!   instance type, and `variables.tf` rejects `enable_gpu = true` with
//!   `instance_type = ""`. The error repeats the enrich warning (file:line of
//!   the GPU model, the pin to add) and replaces it ([`supersedes`]).
//! - `region` is `clouds.<cloud>.region`, else that placement's region, else "".
//! - `services[*].env` / `labels` are each service's effective values (global
//!   overlaid by its own), so merging them over `env` / `labels` is a no-op.
//! - Secrets: only their names (`secret_names`); a key of `env` that names a
//!   secret is left out. Values come from `TF_VAR_secrets`.
//! - Cloud extras (only variables that cloud declares): gcp `project_id`
//!   (`clouds.gcp.project_id`), azure `resource_group_name`
//!   (`clouds.azure.resource_group`), aws `certificate_arn`
//!   (`clouds.aws.certificate_arn`).
//! - `gpu_node_taint` (common): the GPU pools' taint,
//!   [`crate::catalogue::AKS_GPU_TAINT`], which the Kubernetes outputs
//!   tolerate; `domain_name` (`network.domain`), `api_authorized_cidrs`.
use std::borrow::Cow;
use std::path::PathBuf;

use indexmap::IndexMap;
use minijinja::Value as Tv;
use serde::Serialize;
use serde_json::{Number, Value};

use super::{Engine, PlannedFile, RenderOptions, Target, gather, header, large, par_map};
use crate::diag::{Diagnostic, Kind, PerProfile, Severity};
use crate::emit::node::Fields;
use crate::enrich::Unplaced;
use crate::model::{DEFAULT_CPU, DEFAULT_MEMORY, Model, Placement, Service};
use crate::quantity;

/// The `tfvars` target.
pub struct Tfvars;

/// Everything one `<profile>.tfvars` of one cloud says.
#[derive(Serialize, Debug)]
pub struct TfvarsView<'a> {
    header: String,
    cloud: String,
    profile: String,
    project_name: String,
    environment: String,
    region: String,
    enable_gpu: bool,
    gpu_model: String,
    gpu_count: Number,
    instance_type: String,
    cpu: Number,
    memory: u64,
    storage_size_gb: u64,
    enable_https: bool,
    allowed_cidrs: &'a [String],
    /// `network.domain`, "" when unset.
    domain_name: &'a str,
    api_authorized_cidrs: &'a [String],
    /// Taint of the GPU node pools ([`crate::catalogue::AKS_GPU_TAINT`]).
    gpu_node_taint: String,
    image: &'a str,
    ports: Cow<'a, IndexMap<String, u16>>,
    labels: &'a IndexMap<String, String>,
    env: Env<'a>,
    services: IndexMap<&'a str, TfService<'a>>,
    secret_names: Vec<&'a str>,
    /// Cloud-specific variables (attribute name → value).
    extras: IndexMap<String, Value>,
}

/// One entry of `services` (field order = `variables.tf`).
#[derive(Debug)]
pub struct TfService<'a> {
    image: &'a str,
    cpu: Number,
    memory: u64,
    replicas: u32,
    /// `ports`, `env`, `labels`: the same on every cloud.
    maps: ServiceMaps,
    storage_size_gb: u64,
    gpu: Option<TfGpu>,
    instance_type: String,
    /// GPUs attached to `instance_type` (GCP N1 + T4/V100/P100/P4): the
    /// node pool's `guest_accelerator` type/count and the zones that sell
    /// it. Only written when there is one (GCP's `variables.tf` declares it).
    accelerator: Option<TfAccelerator>,
    autoscaling: Option<TfAutoscaling>,
    /// Config `command` (the image CMD's replacement); null = the image's.
    args: Option<&'a [String]>,
    /// Config `entrypoint`; null = the image's.
    entrypoint: Option<&'a [String]>,
    /// The secrets this service receives.
    secrets: &'a [String],
    public: bool,
    /// Where its storage is mounted; null without storage.
    mount_path: Option<&'a str>,
    storage_shared: bool,
    protocol: &'static str,
    health: Option<TfHealth<'a>>,
    /// Null when the service runs as root.
    run_as_user: Option<u32>,
}

/// Serialised as its [`TfService::template_value`], the map its derived
/// serialisation would be: the `hcl` filter walks the fields of each of the
/// many services in order instead of looking each one up.
impl Serialize for TfService<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.template_value().serialize(s)
    }
}

impl TfService<'_> {
    /// The template map of this entry, a [`Fields`] value: every field in
    /// `variables.tf` order, `accelerator` only when there is one.
    fn template_value(&self) -> Tv {
        // Destructured: a new field of `TfService` must be added here.
        let TfService {
            image,
            cpu,
            memory,
            replicas,
            maps: ServiceMaps { ports, env, labels },
            storage_size_gb,
            gpu,
            instance_type,
            accelerator,
            autoscaling,
            args,
            entrypoint,
            secrets,
            public,
            mount_path,
            storage_shared,
            protocol,
            health,
            run_as_user,
        } = self;
        let mut fields = vec![
            ("image", Tv::from(*image)),
            ("cpu", number(cpu)),
            ("memory", Tv::from(*memory)),
            ("replicas", Tv::from(*replicas)),
            ("ports", ports.clone()),
            ("env", env.clone()),
            ("labels", labels.clone()),
            ("storage_size_gb", Tv::from(*storage_size_gb)),
            ("gpu", optional(gpu.as_ref(), TfGpu::template_value)),
            ("instance_type", Tv::from(instance_type.as_str())),
        ];
        if let Some(a) = accelerator {
            fields.push(("accelerator", a.template_value()));
        }
        fields.extend([
            (
                "autoscaling",
                optional(autoscaling.as_ref(), TfAutoscaling::template_value),
            ),
            ("args", optional(*args, strings)),
            ("entrypoint", optional(*entrypoint, strings)),
            ("secrets", strings(secrets)),
            ("public", Tv::from(*public)),
            ("mount_path", Tv::from(*mount_path)),
            ("storage_shared", Tv::from(*storage_shared)),
            ("protocol", Tv::from(*protocol)),
            (
                "health",
                optional(health.as_ref(), TfHealth::template_value),
            ),
            ("run_as_user", Tv::from(*run_as_user)),
        ]);
        Fields::value(fields)
    }
}

/// The maps of a services entry as template values, the same on every
/// cloud: built once per profile ([`service_maps`]) and shared by its
/// clouds' views (a template value is shared, not copied).
#[derive(Debug, Clone)]
pub struct ServiceMaps {
    ports: Tv,
    /// Without the secrets (see [`without_secrets`]).
    env: Tv,
    labels: Tv,
}

impl ServiceMaps {
    fn of(s: &Service, secrets: &[&str]) -> ServiceMaps {
        ServiceMaps {
            ports: map_value(&s.ports, |p| Tv::from(*p)),
            env: without_secrets(&s.env, secrets).template_value(),
            labels: map_value(&s.labels, |v| Tv::from(v.as_str())),
        }
    }
}

/// The [`ServiceMaps`] of every service of `model`, in its order.
pub fn service_maps(model: &Model) -> Vec<ServiceMaps> {
    let secrets = secret_names(model);
    model
        .services
        .values()
        .map(|s| ServiceMaps::of(s, &secrets))
        .collect()
}

/// The names of the secrets of `model`.
fn secret_names(model: &Model) -> Vec<&str> {
    model.secrets.iter().map(|s| s.name.as_str()).collect()
}

/// A map as a template map, the one a template context would serialise it
/// to (without hashing each key: a service's maps are small), each value
/// converted by `value`.
fn map_value<'m, V>(m: &'m IndexMap<String, V>, value: impl Fn(&'m V) -> Tv) -> Tv {
    Fields::value(m.iter().map(|(k, v)| (k.as_str(), value(v))))
}

/// A number as a template value (what a template context serialises it to).
fn number(n: &Number) -> Tv {
    if let Some(u) = n.as_u64() {
        Tv::from(u)
    } else if let Some(i) = n.as_i64() {
        Tv::from(i)
    } else {
        Tv::from(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// A list of strings as a template list.
fn strings(v: &[String]) -> Tv {
    Tv::from_iter(v.iter().map(|s| Tv::from(s.as_str())))
}

/// An optional value as a template value: none, or `value` of it.
fn optional<T>(x: Option<T>, value: impl FnOnce(T) -> Tv) -> Tv {
    x.map_or_else(|| Tv::from(()), value)
}

/// `services[*].health`.
#[derive(Serialize, Debug)]
struct TfHealth<'a> {
    /// HTTP path; null for a TCP check.
    path: Option<&'a str>,
    port: u16,
}

#[derive(Serialize, Debug)]
struct TfAccelerator {
    #[serde(rename = "type")]
    accelerator_type: String,
    count: u32,
    zones: Vec<String>,
}

#[derive(Serialize, Debug)]
struct TfGpu {
    model: String,
    count: Number,
}

#[derive(Serialize, Debug)]
struct TfAutoscaling {
    min: u32,
    max: u32,
    cpu_percent: u32,
}

// The template maps of the entries' parts: built directly (a [`Fields`]
// value, the map their serialisation would be) rather than through serde,
// once per service and cloud.

impl TfHealth<'_> {
    fn template_value(&self) -> Tv {
        let TfHealth { path, port } = self;
        Fields::value([("path", Tv::from(*path)), ("port", Tv::from(*port))])
    }
}

impl TfAccelerator {
    fn template_value(&self) -> Tv {
        let TfAccelerator {
            accelerator_type,
            count,
            zones,
        } = self;
        Fields::value([
            ("type", Tv::from(accelerator_type.as_str())),
            ("count", Tv::from(*count)),
            ("zones", strings(zones)),
        ])
    }
}

impl TfGpu {
    fn template_value(&self) -> Tv {
        let TfGpu { model, count } = self;
        Fields::value([
            ("model", Tv::from(model.as_str())),
            ("count", number(count)),
        ])
    }
}

impl TfAutoscaling {
    fn template_value(&self) -> Tv {
        let TfAutoscaling {
            min,
            max,
            cpu_percent,
        } = self;
        Fields::value([
            ("min", Tv::from(*min)),
            ("max", Tv::from(*max)),
            ("cpu_percent", Tv::from(*cpu_percent)),
        ])
    }
}

/// vCPUs from millicores: a whole number when whole, else a decimal.
fn vcpus(millis: u64) -> Number {
    if millis.is_multiple_of(1000) {
        Number::from(millis / 1000)
    } else {
        Number::from_f64(millis as f64 / 1000.0).unwrap_or_else(|| Number::from(1))
    }
}

/// A GPU count (the catalogue may hold fractions) as a number literal.
fn count(n: f64) -> Number {
    if n.fract() == 0.0 && n >= 0.0 {
        Number::from(n as u64)
    } else {
        Number::from_f64(n).unwrap_or_else(|| Number::from(0))
    }
}

/// An env as written: the config's own map, or a copy without secrets.
#[derive(Debug)]
enum Env<'a> {
    Same(&'a IndexMap<String, String>),
    Without(IndexMap<&'a str, &'a str>),
}

impl Serialize for Env<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Env::Same(m) => m.serialize(s),
            Env::Without(m) => m.serialize(s),
        }
    }
}

impl Env<'_> {
    /// The env as a template map (see [`map_value`]).
    fn template_value(&self) -> Tv {
        match self {
            Env::Same(m) => map_value(m, |v| Tv::from(v.as_str())),
            Env::Without(m) => Fields::value(m.iter().map(|(k, v)| (*k, Tv::from(*v)))),
        }
    }
}

fn without_secrets<'a>(env: &'a IndexMap<String, String>, secrets: &[&str]) -> Env<'a> {
    if !env.keys().any(|k| secrets.contains(&k.as_str())) {
        return Env::Same(env);
    }
    Env::Without(
        env.iter()
            .filter(|(k, _)| !secrets.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
    )
}

fn storage_gib(s: &Service) -> u64 {
    s.resources.storage_bytes.map(quantity::gib).unwrap_or(0)
}

/// The instance type of `s` on `cloud`: its placement, else its pin, else "".
fn instance_type(s: &Service, cloud: &str) -> String {
    s.placements
        .get(cloud)
        .map(|p| p.instance_type.clone())
        .or_else(|| s.resources.instance.get(cloud).cloned())
        .unwrap_or_default()
}

fn tf_service<'a>(s: &'a Service, cloud: &str, maps: ServiceMaps) -> TfService<'a> {
    let placement: Option<&Placement> = s.placements.get(cloud);
    TfService {
        image: &s.image.reference,
        cpu: vcpus(s.resources.cpu_millis),
        memory: quantity::mib(s.resources.memory_bytes),
        replicas: s.replicas,
        maps,
        storage_size_gb: storage_gib(s),
        gpu: s.resources.gpu.as_ref().map(|g| TfGpu {
            model: placement
                .map(|p| p.gpu_model.clone())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| g.model.clone()),
            count: Number::from(g.count),
        }),
        instance_type: if s.resources.gpu.is_some() {
            instance_type(s, cloud)
        } else {
            String::new()
        },
        accelerator: placement.and_then(|p| {
            p.accelerator.as_ref().map(|a| TfAccelerator {
                accelerator_type: a.accelerator_type.clone(),
                count: a.count,
                zones: p.zones.clone(),
            })
        }),
        autoscaling: s.autoscaling.as_ref().map(|a| TfAutoscaling {
            min: a.min,
            max: a.max,
            cpu_percent: a.cpu_percent,
        }),
        args: non_empty(&s.command),
        entrypoint: non_empty(&s.entrypoint),
        secrets: &s.secrets,
        public: s.public,
        mount_path: s.resources.storage.as_ref().map(|_| s.mount_path.as_str()),
        storage_shared: s.storage_shared,
        protocol: s.protocol.as_str(),
        health: s.health.as_ref().map(|h| TfHealth {
            path: h.path.as_deref(),
            port: h.port,
        }),
        run_as_user: s.run_as_user,
    }
}

fn non_empty(v: &[String]) -> Option<&[String]> {
    (!v.is_empty()).then_some(v)
}

/// The service that sizes the top-level variables: the public service whose
/// name sorts first, else the service whose name sorts first (never YAML order).
pub fn representative(model: &Model) -> Option<&Service> {
    let first = |public_only: bool| {
        model
            .services
            .values()
            .filter(|s| !public_only || s.public)
            .min_by(|a, b| a.name.cmp(&b.name))
    };
    first(true).or_else(|| first(false))
}

/// The view of `model` for `cloud`.
pub fn view<'a>(model: &'a Model, cloud: &str) -> TfvarsView<'a> {
    view_sharing(model, cloud, &service_maps(model))
}

/// [`view`], with the services' maps built already (`maps`: its
/// [`service_maps`]).
pub fn view_sharing<'a>(model: &'a Model, cloud: &str, maps: &[ServiceMaps]) -> TfvarsView<'a> {
    let regenerate = regenerate(&model.profile, cloud);
    let secrets = secret_names(model);
    let primary = representative(model);
    let gpu_service = model.services.values().find(|s| s.resources.gpu.is_some());
    let placement = gpu_service.and_then(|s| s.placements.get(cloud));
    let (gpu_model, gpu_count, gpu_instance) = match (gpu_service, placement) {
        (_, Some(p)) => (
            p.gpu_model.clone(),
            count(p.gpu_count),
            p.instance_type.clone(),
        ),
        (Some(s), None) => {
            let g = s.resources.gpu.as_ref().expect("a GPU service");
            (
                g.model.clone(),
                Number::from(g.count),
                instance_type(s, cloud),
            )
        }
        (None, None) => (String::new(), Number::from(0), String::new()),
    };
    let settings = model.clouds.get(cloud);
    let region = settings
        .and_then(|c| c.region.clone())
        .or_else(|| placement.map(|p| p.region.clone()))
        .unwrap_or_default();
    let mut extras = IndexMap::new();
    if let Some(c) = settings {
        match cloud {
            "gcp" => {
                if let Some(id) = &c.project_id {
                    extras.insert("project_id".into(), Value::from(id.clone()));
                }
            }
            "azure" => {
                if let Some(rg) = &c.resource_group {
                    extras.insert("resource_group_name".into(), Value::from(rg.clone()));
                }
            }
            "aws" => {
                if let Some(arn) = &c.certificate_arn {
                    extras.insert("certificate_arn".into(), Value::from(arn.clone()));
                }
            }
            _ => {}
        }
    }
    let default_cpu = quantity::parse_cpu(&Value::from(DEFAULT_CPU)).unwrap_or(1000);
    let default_mem = quantity::parse_bytes(&Value::from(DEFAULT_MEMORY)).unwrap_or(1 << 30);
    TfvarsView {
        header: header("#", &model.sources, &regenerate),
        cloud: cloud.to_string(),
        profile: model.profile.clone(),
        project_name: model.project.name.clone(),
        environment: model.project.environment.clone(),
        region,
        enable_gpu: model.gpu,
        gpu_model,
        gpu_count,
        instance_type: gpu_instance,
        cpu: vcpus(primary.map_or(default_cpu, |s| s.resources.cpu_millis)),
        memory: quantity::mib(primary.map_or(default_mem, |s| s.resources.memory_bytes)),
        storage_size_gb: primary.map_or(0, storage_gib),
        enable_https: model.network.enable_https,
        allowed_cidrs: &model.network.allowed_cidrs,
        domain_name: model.network.domain.as_deref().unwrap_or(""),
        api_authorized_cidrs: &model.network.api_authorized_cidrs,
        gpu_node_taint: crate::catalogue::AKS_GPU_TAINT.spec(),
        image: primary.map_or(&model.image.reference, |s| &s.image.reference),
        ports: primary.map_or_else(|| Cow::Owned(IndexMap::new()), |s| Cow::Borrowed(&s.ports)),
        labels: &model.labels,
        env: without_secrets(&model.env, &secrets),
        services: model
            .services
            .values()
            .zip(maps)
            .map(|(s, m)| (s.name.as_str(), tf_service(s, cloud, m.clone())))
            .collect(),
        secret_names: secrets,
        extras,
    }
}

/// The command that regenerates one tfvars file.
fn regenerate(profile: &str, cloud: &str) -> String {
    format!("devgen render --profile {profile} --target tfvars --cloud {cloud}")
}

/// Path of the tfvars file of `profile` on `cloud`.
pub fn tfvars_path(cloud: &str, profile: &str) -> PathBuf {
    PathBuf::from("deploy/terraform")
        .join(cloud)
        .join(format!("{profile}.tfvars"))
}

/// One error per GPU service of `m` without an instance type on `cloud` (no
/// catalogue placement, no pin): the tfvars file would fail Terraform's
/// validation. Built from enrich's warning for it in `unplaced` (same
/// message, place and hint), else (a model that was not enriched) from the
/// config alone.
pub fn missing_instances(m: &Model, cloud: &str, unplaced: &[Unplaced]) -> Vec<Diagnostic> {
    let why = format!(
        "Terraform's GPU node pool needs an instance type (`variables.tf` rejects \
         `enable_gpu = true` with `instance_type = \"\"`), so the {cloud} tfvars are not written"
    );
    m.services
        .values()
        .filter(|s| s.resources.gpu.is_some() && instance_type(s, cloud).is_empty())
        .map(|s| match unplaced_warning(unplaced, m, s, cloud) {
            Some(w) => {
                let mut d = w.clone();
                d.severity = Severity::Error;
                d.notes.insert(0, why.clone());
                d
            }
            None => Diagnostic::error(format!(
                "service `{}` has no {cloud} instance type (no catalogue placement, no pin)",
                s.name
            ))
            .with_path(format!("services.{}.resources.gpu", s.name))
            .with_note(why.clone())
            .with_hint(format!(
                "pin one: `services.{}.resources.instance.{cloud}: <instance type>`, or remove `{cloud}` from `clouds`",
                s.name
            )),
        })
        .collect()
}

/// Enrich's warning that no instance type fits service `s` of `m` on `cloud`.
fn unplaced_warning<'a>(
    unplaced: &'a [Unplaced],
    m: &Model,
    s: &Service,
    cloud: &str,
) -> Option<&'a Diagnostic> {
    unplaced
        .iter()
        .find(|u| u.profile == m.profile && u.service == s.name && u.cloud == cloud)
        .map(|u| &u.warning)
}

/// Whether the enrich warning `w` is one that the tfvars target, rendering
/// `models` on `clouds` (every cloud of `clouds:` when empty), turns into an
/// error — so the caller reports it once, as that error.
pub fn supersedes(
    models: &[Model],
    clouds: &[String],
    unplaced: &[Unplaced],
    w: &Diagnostic,
) -> bool {
    let Kind::Unplaced { service, cloud } = &w.kind else {
        return false;
    };
    models.iter().any(|m| {
        m.services.get(service).is_some_and(|s| {
            (clouds.is_empty() || clouds.contains(cloud))
                && m.clouds.contains_key(cloud)
                && instance_type(s, cloud).is_empty()
                && unplaced_warning(unplaced, m, s, cloud).is_some_and(|d| d.same_as(w))
        })
    })
}

impl Target for Tfvars {
    fn name(&self) -> &str {
        "tfvars"
    }

    /// A GPU service that nothing fits on a cloud this target renders is
    /// its error: the enrich warning is reported once, as the error.
    fn supersedes(&self, w: &Diagnostic, models: &[Model], opts: &RenderOptions) -> bool {
        supersedes(models, &opts.clouds, &opts.unplaced, w)
    }

    fn render(
        &self,
        engine: &Engine,
        models: &[Model],
        opts: &RenderOptions,
    ) -> Result<Vec<PlannedFile>, Vec<Diagnostic>> {
        // A GPU service without an instance type on a cloud: that cloud's
        // file is not rendered, the problem is reported (once per place).
        let mut missing = PerProfile::default();
        let maps = par_map(models, large(models), service_maps);
        let mut jobs: Vec<(&Model, &String, &[ServiceMaps])> = Vec::new();
        for (m, maps) in models.iter().zip(&maps) {
            for cloud in m.clouds.keys() {
                if !opts.clouds.is_empty() && !opts.clouds.contains(cloud) {
                    continue;
                }
                let problems = missing_instances(m, cloud, &opts.unplaced);
                if problems.is_empty() {
                    jobs.push((m, cloud, maps));
                }
                for d in problems {
                    missing.add(d, &m.profile);
                }
            }
        }
        let rendered = par_map(&jobs, large(models), |(m, cloud, maps)| {
            let v = view_sharing(m, cloud, maps);
            engine
                .render("tfvars/cloud.tfvars.j2", &v)
                .map(|text| PlannedFile {
                    path: tfvars_path(cloud, &m.profile),
                    bytes: text.into_bytes(),
                    target: "tfvars".into(),
                    profile: Some(m.profile.clone()),
                    regenerate: regenerate(&m.profile, cloud),
                })
        });
        gather(
            rendered.into_iter().map(|r| r.map(Some)),
            missing.into_diagnostics(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Placement;

    fn example(profile: &str) -> Model {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let project = crate::project::Project::load(root).expect("example project");
        crate::pipeline::resolve(&project, profile, &[])
            .expect("resolve")
            .model
    }

    fn placement(cloud: &str, it: &str, region: &str) -> Placement {
        Placement {
            cloud: cloud.into(),
            instance_type: it.into(),
            family: "g6".into(),
            region: region.into(),
            region_name: None,
            price_hourly_usd: 1.0,
            price_monthly_usd: 730.0,
            gpu_model: "l4".into(),
            gpu_count: 2.0,
            gpu_memory_gib: Some(24.0),
            vcpus: 8,
            memory_gib: 32.0,
            node_selector: None,
            gpu_resource: Some("nvidia.com/gpu".into()),
            pinned: false,
            accelerator: None,
            zones: Vec::new(),
        }
    }

    /// What a template sees of a value: its JSON and, for a map or list,
    /// its length and entries in order.
    fn seen(v: Tv) -> String {
        minijinja::Environment::new()
            .render_str(
                "{{ v|tojson }} {% if v is mapping or v is sequence %}{{ v|length }} \
                 {% for k in v %}{{ k }}={{ v[k] if v is mapping else k }};{% endfor %}{% endif %}",
                minijinja::context! { v },
            )
            .unwrap()
    }

    /// A value as a template context serialises it: the reference.
    fn serialised<T: Serialize>(x: &T) -> Tv {
        Tv::from(minijinja::value::Serde(x))
    }

    #[test]
    fn parts_of_a_service_are_the_values_their_serialisation_is() {
        let gpu = TfGpu {
            model: "l4".into(),
            count: count(0.5),
        };
        assert_eq!(seen(gpu.template_value()), seen(serialised(&gpu)));
        let accelerator = TfAccelerator {
            accelerator_type: "nvidia-tesla-t4".into(),
            count: 2,
            zones: vec!["us-central1-a".into(), "us-central1-b".into()],
        };
        assert_eq!(
            seen(accelerator.template_value()),
            seen(serialised(&accelerator))
        );
        let autoscaling = TfAutoscaling {
            min: 1,
            max: 5,
            cpu_percent: 75,
        };
        assert_eq!(
            seen(autoscaling.template_value()),
            seen(serialised(&autoscaling))
        );
        for path in [Some("/healthz"), None] {
            let health = TfHealth { path, port: 8080 };
            assert_eq!(seen(health.template_value()), seen(serialised(&health)));
        }
        for n in [vcpus(2000), vcpus(1500), Number::from(-3), count(0.25)] {
            assert_eq!(seen(number(&n)), seen(serialised(&n)), "{n}");
        }
        let list = vec!["a".to_string(), "b c".to_string()];
        assert_eq!(seen(strings(&list)), seen(serialised(&list)));
        assert_eq!(seen(strings(&[])), seen(serialised(&Vec::<String>::new())));
        assert_eq!(
            seen(optional(None::<&TfGpu>, TfGpu::template_value)),
            seen(serialised(&None::<TfGpu>))
        );
    }

    #[test]
    fn service_maps_are_each_services_maps_without_secrets() {
        let mut m = example("prod");
        // A key of `env` that names a secret is left out of the entry.
        m.services["devai"]
            .env
            .insert("OPENAI_API_KEY".into(), "not written".into());
        m.services["devai"].env.insert("KEPT".into(), "1".into());
        let maps = service_maps(&m);
        let (i, _, devai) = m.services.get_full("devai").unwrap();
        let env = &maps[i].env;
        assert!(env.get_attr("OPENAI_API_KEY").unwrap().is_undefined());
        assert_eq!(env.get_attr("KEPT").unwrap().as_str(), Some("1"));
        assert_eq!(env.len(), Some(devai.env.len() - 1));
        assert_eq!(maps[i].ports.len(), Some(devai.ports.len()));
        assert_eq!(maps[i].labels.len(), Some(devai.labels.len()));
        // The views of every cloud hold these maps.
        for cloud in ["aws", "gcp"] {
            let entry = view_sharing(&m, cloud, &maps).services["devai"].template_value();
            let env = entry.get_attr("env").unwrap();
            assert!(env.get_attr("OPENAI_API_KEY").unwrap().is_undefined());
            assert_eq!(env.get_attr("KEPT").unwrap().as_str(), Some("1"));
        }
    }

    #[test]
    fn gpu_values_come_from_the_placement_then_the_request_and_pin() {
        let mut m = example("prod");
        let v = view(&m, "aws");
        assert_eq!(
            (
                v.gpu_model.as_str(),
                v.gpu_count.as_u64(),
                v.instance_type.as_str()
            ),
            ("l4", Some(1), "")
        );
        m.services["ollama"]
            .resources
            .instance
            .insert("aws".into(), "g6.2xlarge".into());
        let v = view(&m, "aws");
        assert_eq!(v.instance_type, "g6.2xlarge");
        assert_eq!(v.services["ollama"].instance_type, "g6.2xlarge");
        assert_eq!(v.services["devai"].instance_type, "");
        m.services["ollama"].placements.insert(
            "gcp".into(),
            placement("gcp", "g2-standard-24", "europe-west4"),
        );
        m.clouds.get_mut("gcp").unwrap().region = None;
        let v = view(&m, "gcp");
        assert_eq!(v.instance_type, "g2-standard-24");
        assert_eq!(v.gpu_count.as_u64(), Some(2));
        assert_eq!(
            v.region, "europe-west4",
            "the placement's region when none is configured"
        );
        assert_eq!(v.services["ollama"].instance_type, "g2-standard-24");
        assert_eq!(v.extras["project_id"], "my-project");
        // A configured region wins over the placement's.
        m.clouds.get_mut("gcp").unwrap().region = Some("us-central1".into());
        assert_eq!(view(&m, "gcp").region, "us-central1");
    }

    #[test]
    fn a_gpu_service_without_an_instance_type_is_an_error() {
        let mut m = example("prod");
        let mut unplaced = Vec::new();
        // Not enriched, no pin for aws: an error from the config alone.
        m.services["ollama"].resources.instance.shift_remove("aws");
        let e = missing_instances(&m, "aws", &unplaced);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].severity, Severity::Error);
        assert_eq!(
            e[0].message,
            "service `ollama` has no aws instance type (no catalogue placement, no pin)"
        );
        assert!(e[0].notes[0].ends_with("so the aws tfvars are not written"));
        // The enrich warning, when there is one, becomes the error.
        let w = Diagnostic::warning("no aws instance type fits service `ollama`")
            .with_kind(Kind::Unplaced {
                service: "ollama".into(),
                cloud: "aws".into(),
            })
            .with_note("why")
            .with_hint("pin one");
        unplaced.push(Unplaced {
            profile: "prod".into(),
            service: "ollama".into(),
            cloud: "aws".into(),
            warning: w.clone(),
        });
        let e = missing_instances(&m, "aws", &unplaced);
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].severity, e[0].message.as_str(), e[0].hint.as_deref()),
            (Severity::Error, w.message.as_str(), Some("pin one"))
        );
        assert_eq!(e[0].notes.len(), 2);
        assert_eq!(e[0].notes[1], "why");
        assert!(supersedes(std::slice::from_ref(&m), &[], &unplaced, &w));
        assert!(supersedes(
            std::slice::from_ref(&m),
            &["aws".into()],
            &unplaced,
            &w
        ));
        assert!(!supersedes(
            std::slice::from_ref(&m),
            &["gcp".into()],
            &unplaced,
            &w
        ));
        // Supersession reads the kind: the same text of another kind is not
        // the unplaced warning.
        let same_text = Diagnostic::warning(w.message.clone()).with_hint("pin one");
        assert!(!supersedes(
            std::slice::from_ref(&m),
            &[],
            &unplaced,
            &same_text
        ));
        // A pin (or a placement) gives the instance type: no error.
        m.services["ollama"]
            .resources
            .instance
            .insert("aws".into(), "g6.2xlarge".into());
        assert!(missing_instances(&m, "aws", &unplaced).is_empty());
        assert!(!supersedes(std::slice::from_ref(&m), &[], &unplaced, &w));
        // The example's own pins cover azure and gcp; dev has no GPU at all.
        assert!(missing_instances(&m, "azure", &unplaced).is_empty());
        assert!(missing_instances(&m, "gcp", &unplaced).is_empty());
        assert!(missing_instances(&example("dev"), "aws", &unplaced).is_empty());
    }

    #[test]
    fn no_gpu_and_primary_service() {
        let m = example("dev");
        let v = view(&m, "azure");
        assert!(!v.enable_gpu);
        assert_eq!(
            (
                v.gpu_model.as_str(),
                v.gpu_count.as_u64(),
                v.instance_type.as_str()
            ),
            ("", Some(0), "")
        );
        assert_eq!(representative(&m).unwrap().name, "devai");
        assert_eq!(v.image, m.services["devai"].image.reference);
        assert_eq!(v.memory, 4096);
        assert_eq!(
            v.gpu_node_taint,
            crate::catalogue::AKS_GPU_TAINT.spec(),
            "every cloud says which taint its GPU pool carries"
        );
        assert!(v.services["ollama"].gpu.is_none());
    }
}
