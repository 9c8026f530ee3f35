//! Stage 5 — enrich: resolve GPU requests through the provider catalogue
//! (cheapest fitting instance per cloud), validate pins, attach prices and
//! Kubernetes scheduling hints to the model.
//!
//! For every service with `resources.gpu` and every cloud of `clouds:` that is
//! a catalogue provider, [`enrich`] fills `service.placements[cloud]`:
//!
//! - **Fit**: an instance type fits a service when it has the requested GPU
//!   model (normalised) with at least the requested count, at least the
//!   service's CPU (`cpu`, rounded up to whole vCPUs) and at least its
//!   `memory` (GiB) — per replica, one replica per instance.
//! - **Choice**: the pin `resources.instance.<cloud>` when there is one (it
//!   must exist, fit, and be priced in the region); otherwise the cheapest
//!   fitting instance type in `clouds.<cloud>.region`, or, with no region
//!   configured, in the cheapest region (ties: provider order, instance name,
//!   region code — [`crate::catalogue::Catalogue::select`]).
//! - **Pins may substitute the GPU model**: a pin fits when it has a GPU (not
//!   a non-GPU accelerator) with at least the requested count and the
//!   service's vCPUs and memory ([`Need::pin_shortfalls`]), whatever its GPU
//!   model — a deliberate choice, e.g. an A10 on Azure for the AWS-only A10G.
//!   The placement records the instance's own model; nothing is reported.
//! - **Errors** point at the config: an unknown or too small pin at the pin's
//!   `file:line` with the nearest instance types that do fit; a GPU request
//!   nothing fits in the cloud's region at `resources.gpu`, with the
//!   catalogue's reason and, when one exists, the pin that would do
//!   ([`cheapest_substitute`]).
//!
//! Pins of services without a GPU are validated the same way (they must exist
//! and fit the service's cpu/memory) but get no placement. The catalogue is
//! only loaded when some service asks for a GPU or pins an instance, so `check`
//! stays fast for CPU-only projects.
use crate::catalogue::{
    self, Catalogue, Constraint, HOURS_PER_MONTH, InstanceType, Provider, format_count,
    k8s_gpu_node_selector, k8s_gpu_resource,
};
use crate::diag::{Diagnostic, Kind, PerProfile, Severity, Sources};
use crate::model::{Model, Placement, Resolved, Service};
use crate::path::ConfigPath;

pub use crate::fit::{Need, Priced, cheapest_cpu_only, offer_of};

use crate::fit::{COUNT_TOLERANCE, gib};
use std::collections::HashMap;
use std::sync::Mutex;

/// How many "did you mean" instance names an error shows.
const NEAREST: usize = 3;

/// What enrich computes once per run and shares between profiles (placing
/// is pure: the same request gives the same answer in every profile).
struct Memo<'c> {
    /// The catalogue.
    cat: &'c Catalogue,
    /// Every GPU model any provider offers, sorted, without duplicates.
    known_models: Vec<&'c str>,
    /// [`Catalogue::select`] answers by request.
    selections: Mutex<HashMap<RequestKey, Result<catalogue::Selection, catalogue::NoFit>>>,
}

/// A [`catalogue::Request`] as a map key: every field, numbers by their
/// bits (requests are keys exactly when they are equal field by field).
/// Cheaper than the request's `Debug` text, which formatting every float
/// made cost more than the selections it saved.
#[derive(PartialEq, Eq, Hash)]
struct RequestKey {
    gpu_model: Option<String>,
    gpu_count: u64,
    min_vcpus: Option<u32>,
    min_memory_gib: Option<u64>,
    providers: Vec<Provider>,
    regions: Vec<String>,
    cpu_millis: Option<u64>,
    headroom: bool,
    max_gpu_count: Option<u64>,
}

impl RequestKey {
    fn of(req: &catalogue::Request) -> RequestKey {
        // Destructured: a new field of `Request` must be added here.
        let catalogue::Request {
            gpu_model,
            gpu_count,
            min_vcpus,
            min_memory_gib,
            providers,
            regions,
            cpu_millis,
            headroom,
            max_gpu_count,
        } = req;
        RequestKey {
            gpu_model: gpu_model.clone(),
            gpu_count: gpu_count.to_bits(),
            min_vcpus: *min_vcpus,
            min_memory_gib: min_memory_gib.map(f64::to_bits),
            providers: providers.clone(),
            regions: regions.clone(),
            cpu_millis: *cpu_millis,
            headroom: *headroom,
            max_gpu_count: max_gpu_count.map(f64::to_bits),
        }
    }
}

impl<'c> Memo<'c> {
    fn new(cat: &'c Catalogue) -> Self {
        let mut known_models: Vec<&str> = Provider::ALL
            .iter()
            .flat_map(|p| cat.gpu_models(*p))
            .collect();
        known_models.sort_unstable();
        known_models.dedup();
        Memo {
            cat,
            known_models,
            selections: Mutex::default(),
        }
    }

    /// [`Catalogue::select`], answered once per distinct request.
    fn select(&self, req: &catalogue::Request) -> Result<catalogue::Selection, catalogue::NoFit> {
        let key = RequestKey::of(req);
        if let Some(hit) = self.lock().get(&key) {
            return hit.clone();
        }
        let answer = self.cat.select(req);
        self.lock().insert(key, answer.clone());
        answer
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        HashMap<RequestKey, Result<catalogue::Selection, catalogue::NoFit>>,
    > {
        self.selections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The placement of a priced instance on `cloud`.
pub fn placement(cloud: &str, p: &Priced<'_>, pinned: bool) -> Placement {
    let inst = p.instance;
    Placement {
        cloud: cloud.to_string(),
        instance_type: inst.name.clone(),
        family: inst.family.clone(),
        region: p.region.clone(),
        region_name: p.region_name.clone(),
        price_hourly_usd: p.price_hourly_usd,
        price_monthly_usd: (p.price_hourly_usd * HOURS_PER_MONTH * 100.0).round() / 100.0,
        gpu_model: inst.gpu_model.clone().unwrap_or_default(),
        gpu_count: inst.gpu_count.unwrap_or(0.0),
        gpu_memory_gib: inst.gpu_memory_gib,
        vcpus: inst.vcpus,
        memory_gib: inst.memory_gib.unwrap_or(0.0),
        node_selector: k8s_gpu_node_selector(inst.provider, inst),
        gpu_resource: k8s_gpu_resource(inst).map(str::to_string),
        pinned,
        accelerator: inst.accelerator.clone(),
        zones: Vec::new(),
    }
}

/// [`placement`] with the zones of an attached-GPU combination filled in.
fn placement_in(cat: &Catalogue, cloud: &str, p: &Priced<'_>, pinned: bool) -> Placement {
    let mut out = placement(cloud, p, pinned);
    out.zones = cat.attach_zones(p.instance, &p.region);
    out
}

/// Up to [`NEAREST`] instance types of `provider` closest to `name` that fit
/// `need` (with the requested GPU model) and are priced in `region` (any
/// region when `None`).
pub fn nearest_fitting(
    cat: &Catalogue,
    provider: Provider,
    name: &str,
    need: &Need,
    region: Option<&str>,
) -> Vec<String> {
    nearest_where(cat, provider, name, region, |i| need.fits(i))
}

/// Like [`nearest_fitting`], but with any GPU model ([`Need::pin_fits`]).
pub fn nearest_pinnable(
    cat: &Catalogue,
    provider: Provider,
    name: &str,
    need: &Need,
    region: Option<&str>,
) -> Vec<String> {
    nearest_where(cat, provider, name, region, |i| need.pin_fits(i))
}

fn nearest_where(
    cat: &Catalogue,
    provider: Provider,
    name: &str,
    region: Option<&str>,
    fits: impl Fn(&InstanceType) -> bool,
) -> Vec<String> {
    cat.nearest_names(provider, name, usize::MAX)
        .into_iter()
        .filter(|n| {
            cat.instance(provider, n)
                .is_some_and(|i| fits(i) && offer_of(cat, i, region).is_some())
        })
        .take(NEAREST)
        .collect()
}

/// Memory of one GPU of `model` (normalised) in GiB, as the catalogue knows
/// it from any provider: the largest stated value (`a10g` → 24). `None` when no
/// instance states it.
fn gpu_memory_of(cat: &Catalogue, model: &str) -> Option<f64> {
    Provider::ALL
        .iter()
        .flat_map(|p| cat.instance_types(*p))
        .filter(|i| i.gpu_model.as_deref() == Some(model) && i.gpu_count.unwrap_or(0.0) >= 1.0)
        .filter_map(|i| i.gpu_memory_gib)
        .reduce(f64::max)
}

/// The instance type of `provider` that the "nothing fits" diagnostics
/// suggest as a pin for a GPU `need`: among the types a pin accepts (any GPU
/// model with at least the count, vCPUs and memory — [`Need::pin_fits`])
/// priced in `region` (or, without one, in their cheapest region), the
/// cheapest whose GPUs have at least the memory of the requested model's —
/// a comparable GPU, e.g. an A10 (24 GiB) for an A10G rather than an old K80 —
/// else the cheapest of all. Ties: instance name, then region code. `None`
/// for a need without GPU, or when nothing qualifies.
pub fn cheapest_substitute<'a>(
    cat: &'a Catalogue,
    provider: Provider,
    need: &Need,
    region: Option<&str>,
) -> Option<Priced<'a>> {
    let (model, _) = need.gpu.as_ref()?;
    let wanted_memory = gpu_memory_of(cat, model);
    let comparable = |i: &InstanceType| match (wanted_memory, i.gpu_memory_gib) {
        (Some(w), Some(m)) => m + 0.5 >= w,
        _ => false,
    };
    let mut best: Option<(bool, Priced<'a>)> = None;
    for inst in cat.instance_types(provider) {
        if !need.pin_fits(inst) {
            continue;
        }
        let Some(p) = offer_of(cat, inst, region) else {
            continue;
        };
        let good = comparable(inst);
        let better = match &best {
            None => true,
            Some((b_good, b)) => {
                (good && !*b_good) || (good == *b_good && p.price_hourly_usd < b.price_hourly_usd)
            }
        };
        if better {
            best = Some((good, p));
        }
    }
    best.map(|(_, p)| p)
}

/// The "pin an instance type" part of a hint: the pin of the cheapest
/// substitute for `svc` on `cloud`, with what it is and costs.
pub fn substitute_pin(
    cat: &Catalogue,
    svc: &str,
    cloud: &str,
    provider: Provider,
    need: &Need,
    region: Option<&str>,
) -> Option<String> {
    let p = cheapest_substitute(cat, provider, need, region)?;
    let inst = p.instance;
    let where_ = match region {
        Some(r) => format!("in region `{r}`"),
        None => format!("(in `{}`)", p.region),
    };
    let model = need.gpu.as_ref().map(|(m, _)| m.as_str()).unwrap_or("?");
    let what = match (gpu_memory_of(cat, model), inst.gpu_memory_gib) {
        (Some(w), Some(m)) if m + 0.5 >= w => format!(
            "GPUs of ≥ {} GiB like {model}'s ({})",
            gib(w),
            need.describe_any_model()
        ),
        _ => need.describe_any_model(),
    };
    Some(format!(
        "pin `services.{svc}.resources.instance.{cloud}: {}` — the cheapest {cloud} instance type with {what} {where_}: {} × {}, {} vCPUs, {} GiB, ${:.4}/hour",
        inst.name,
        format_count(inst.gpu_count.unwrap_or(0.0)),
        inst.gpu_model.as_deref().unwrap_or("?"),
        inst.vcpus,
        gib(inst.memory_gib.unwrap_or(0.0)),
        p.price_hourly_usd
    ))
}

/// Where one service runs on one cloud: its pin, validated, or the cheapest fit.
/// `Ok(None)` for a service without GPU and without a pin. A GPU request that
/// nothing fits is an error when `strict`, else a warning.
fn place(
    memo: &Memo<'_>,
    r: &Resolved,
    svc: &Service,
    cloud: &str,
    provider: Provider,
    region: Option<&str>,
    strict: bool,
) -> Result<Option<Placement>, Diagnostic> {
    let cat = memo.cat;
    let need = Need::of(svc);
    // Paths are built only for a diagnostic.
    let base = || {
        ConfigPath::root()
            .key("services")
            .key(&svc.name)
            .key("resources")
    };
    let prov = &r.merged.provenance;
    let region_path = || ConfigPath::root().key("clouds").key(cloud).key("region");
    let with_region = |d: Diagnostic| match (region, prov.span(&region_path())) {
        (Some(_), Some(span)) => d.with_related(format!("the {cloud} region is set here"), span),
        _ => d,
    };
    let in_region = region
        .map(|r| format!(" in region `{r}`"))
        .unwrap_or_default();

    if let Some(pin) = svc.resources.instance.get(cloud) {
        let path = base().key("instance").key(cloud);
        let at = |d: Diagnostic| d.with_path(path.to_string()).with_span(prov.span(&path));
        // Suggestions (only computed for an error: they rank the whole
        // catalogue) with the requested GPU model first; where the cloud has
        // none, any GPU model (a pin may substitute one).
        let suggest = |d: Diagnostic| {
            let mut nearest = nearest_fitting(cat, provider, pin, &need, region);
            let mut wanted = need.describe();
            if nearest.is_empty() && need.gpu.is_some() {
                nearest = nearest_pinnable(cat, provider, pin, &need, region);
                wanted = need.describe_any_model();
            }
            if nearest.is_empty() {
                d.with_note(format!("no {cloud} instance type fits {wanted}{in_region}"))
            } else {
                d.with_hint(format!(
                    "instance types that fit ({wanted}){in_region}: {}",
                    nearest.join(", ")
                ))
            }
        };
        let Some(mut inst) = cat.instance(provider, pin) else {
            return Err(suggest(at(Diagnostic::error(format!(
                "unknown {cloud} instance type `{pin}` pinned for service `{}`",
                svc.name
            )))));
        };
        // A pinned GCP N1 machine for a GPU service: the machine with the
        // cheapest attached GPUs of a requested model that fit.
        if need.gpu.is_some()
            && catalogue::accepts_attached_gpus(inst)
            && let Some(v) = cat
                .attached_variants(provider, &inst.name)
                .into_iter()
                .filter(|v| need.fits(v))
                .filter_map(|v| offer_of(cat, v, region))
                .min_by(|a, b| a.price_hourly_usd.total_cmp(&b.price_hourly_usd))
        {
            inst = v.instance;
        }
        let short = need.pin_shortfalls(inst);
        if !short.is_empty() {
            return Err(suggest(at(Diagnostic::error(format!(
                "{cloud} instance type `{}` does not fit service `{}`: {}",
                inst.name,
                svc.name,
                short.join("; ")
            )))));
        }
        let Some(priced) = offer_of(cat, inst, region) else {
            let mut regions: Vec<String> = cat
                .offers(provider, &inst.name)
                .into_iter()
                .filter(|o| o.price_hourly_usd > 0.0)
                .map(|o| o.region.to_string())
                .collect();
            regions.dedup();
            let d = Diagnostic::error(format!(
                "{cloud} instance type `{}` (pinned for service `{}`) has no price{in_region} in the catalogue",
                inst.name, svc.name
            ));
            let d = if regions.is_empty() {
                d
            } else {
                d.with_note(format!("regions that offer it: {}", regions.join(", ")))
            };
            return Err(with_region(suggest(at(d))));
        };
        return Ok(need
            .gpu
            .is_some()
            .then(|| placement_in(cat, cloud, &priced, true)));
    }

    if need.gpu.is_none() {
        return Ok(None);
    }
    // Any of the models: the cheapest fit of each, then the cheapest of
    // those (config order on ties); without any, the first model's reason.
    let mut best: Option<catalogue::Selection> = None;
    let mut reasons: Vec<(String, catalogue::NoFit)> = Vec::new();
    for m in &need.models {
        match memo.select(&need.with_model(m).request(provider, region)) {
            Ok(sel) => {
                if best
                    .as_ref()
                    .is_none_or(|b| sel.price_hourly_usd < b.price_hourly_usd)
                {
                    best = Some(sel);
                }
            }
            Err(no) => reasons.push((m.clone(), no)),
        }
    }
    let selected = match best {
        Some(sel) => Ok(sel),
        None if reasons.len() > 1 => {
            let mut first = reasons[0].1.clone();
            first.message = reasons
                .iter()
                .map(|(m, no)| format!("{m}: {}", no.message))
                .collect::<Vec<_>>()
                .join("; ");
            Err(first)
        }
        None => Err(reasons.remove(0).1),
    };
    match selected {
        Ok(sel) => {
            let inst = cat
                .instance_with(provider, &sel.instance_type, sel.accelerator.as_ref())
                .expect("a selected instance type exists");
            let priced = Priced {
                instance: inst,
                region: sel.region.clone(),
                region_name: sel.region_name.clone(),
                price_hourly_usd: sel.price_hourly_usd,
            };
            Ok(Some(placement_in(cat, cloud, &priced, false)))
        }
        Err(no) => {
            let path = base().key("gpu").key("model");
            let alternative = if region.is_some() && no.constraint == Constraint::Region {
                format!("set `clouds.{cloud}.region` to a region that has one")
            } else {
                format!("ask for a GPU {cloud} offers (`devgen catalogue list --provider {cloud}`)")
            };
            let hint = match substitute_pin(cat, &svc.name, cloud, provider, &need, region) {
                Some(pin) => format!("{pin}; or {alternative}; or remove `{cloud}` from `clouds`"),
                None => format!("{alternative}, or remove `{cloud}` from `clouds`"),
            };
            let message = format!(
                "no {cloud} instance type fits service `{}` ({}){in_region}",
                svc.name,
                need.describe()
            );
            let d = if strict {
                Diagnostic::error(message)
            } else {
                Diagnostic::warning(message)
            };
            let d = d
                .with_path(path.to_string())
                .with_span(prov.span(&path))
                .with_note(no.message)
                .with_hint(hint);
            Err(with_region(d))
        }
    }
}

/// The note of a "nothing fits" warning on a cloud that is not the profile's
/// own `cloud` (put first).
fn not_primary(mut d: Diagnostic, cloud: &str) -> Diagnostic {
    d.notes.insert(
        0,
        format!(
            "{cloud} is not this profile's `cloud`, so the service gets no {cloud} placement: \
             targets fall back to the config, except `tfvars`, which fails for {cloud} \
             (Terraform needs an instance type)"
        ),
    );
    d
}

/// "unknown GPU model `h10`; did you mean `h100`?" for every model of `svc`
/// that no provider of the catalogue offers, at the model's file:line, with
/// the known models. (A model that only the profile's clouds lack is a
/// placement problem, reported by [`place`].)
fn unknown_models(memo: &Memo<'_>, r: &Resolved, svc: &Service) -> Vec<Diagnostic> {
    let Some(gpu) = &svc.resources.gpu else {
        return Vec::new();
    };
    if gpu
        .models
        .iter()
        .all(|m| memo.known_models.binary_search(&m.as_str()).is_ok())
    {
        return Vec::new();
    }
    let known = &memo.known_models;
    let path = ConfigPath::root()
        .key("services")
        .key(&svc.name)
        .key("resources")
        .key("gpu")
        .key("model");
    let listed = r.merged.value.pointer(&format!(
        "/services/{}/resources/gpu/model",
        svc.name.replace('~', "~0").replace('/', "~1")
    ));
    let is_list = listed.is_some_and(serde_json::Value::is_array);
    let mut out = Vec::new();
    for (i, model) in gpu.models.iter().enumerate() {
        if known.binary_search(&model.as_str()).is_ok() {
            continue;
        }
        let at = if is_list { path.index(i) } else { path.clone() };
        let span = r
            .merged
            .provenance
            .span(&at)
            .or_else(|| r.merged.provenance.span(&path));
        let guess = catalogue::nearest_gpu_model(known, model);
        let message = match guess {
            Some(g) => format!("unknown GPU model `{model}`; did you mean `{g}`?"),
            None => format!("unknown GPU model `{model}`"),
        };
        out.push(
            Diagnostic::error(message)
                .with_path(at.to_string())
                .with_span(span)
                .with_hint(format!("known GPU models: {}", known.join(", "))),
        );
    }
    out
}

/// The "more than twice the GPUs asked for" warning of a placement: how many
/// idle GPUs it buys and the cheapest alternative with at most twice the
/// request (any cloud of `clouds:`, else any provider), or else the advice
/// to ask for more GPUs per replica.
fn waste_warning(
    memo: &Memo<'_>,
    r: &Resolved,
    svc: &Service,
    p: &Placement,
) -> Option<Diagnostic> {
    let count = f64::from(svc.resources.gpu.as_ref()?.count);
    if p.pinned || p.gpu_count <= 2.0 * count + COUNT_TOLERANCE {
        return None;
    }
    let need = Need::of(svc);
    let search = |providers: Vec<(Provider, Option<String>)>| {
        let mut best: Option<catalogue::Selection> = None;
        for (provider, region) in providers {
            for m in &need.models {
                let mut req = need.with_model(m).request(provider, region.as_deref());
                req.max_gpu_count = Some(2.0 * count);
                if let Ok(sel) = memo.select(&req)
                    && best
                        .as_ref()
                        .is_none_or(|b| sel.price_hourly_usd < b.price_hourly_usd)
                {
                    best = Some(sel);
                }
            }
        }
        best
    };
    let configured: Vec<(Provider, Option<String>)> = r
        .model
        .clouds
        .iter()
        .filter_map(|(c, s)| Some((c.parse::<Provider>().ok()?, s.region.clone())))
        .collect();
    let alternative =
        search(configured).or_else(|| search(Provider::ALL.iter().map(|p| (*p, None)).collect()));
    let idle = p.gpu_count - count;
    let mut d = Diagnostic::warning(format!(
        "service `{}` on {} gets {} with {} × {} for {} requested: {} GPUs idle per replica at ${:.4}/hour",
        svc.name,
        p.cloud,
        p.instance_type,
        format_count(p.gpu_count),
        p.gpu_model,
        format_count(count),
        format_count(idle),
        p.price_hourly_usd
    ));
    d = match alternative {
        Some(a) => d.with_hint(format!(
            "cheapest alternative with at most {} GPUs: {} {} in {} ({} × {}, ${:.4}/hour); or ask for {} GPUs per replica and run fewer replicas",
            format_count(2.0 * count),
            a.provider,
            a.instance_type,
            a.region,
            format_count(a.gpu_count.unwrap_or(0.0)),
            a.gpu_model.as_deref().unwrap_or("?"),
            a.price_hourly_usd,
            format_count(p.gpu_count)
        )),
        None => d.with_hint(format!(
            "no instance type anywhere has at most {} × {} with the service's vCPUs and memory; ask for {} GPUs per replica and run fewer replicas",
            format_count(2.0 * count),
            need.models_phrase(),
            format_count(p.gpu_count)
        )),
    };
    let path = ConfigPath::root()
        .key("services")
        .key(&svc.name)
        .key("resources")
        .key("gpu")
        .key("count");
    let span = r.merged.provenance.span(&path).or_else(|| {
        r.merged.provenance.span(
            &ConfigPath::root()
                .key("services")
                .key(&svc.name)
                .key("resources")
                .key("gpu"),
        )
    });
    Some(d.with_path(path.to_string()).with_span(span))
}

/// Whether a model needs the catalogue: a GPU request or a pin.
fn needs_catalogue(m: &Model) -> bool {
    m.services
        .values()
        .any(|s| s.resources.gpu.is_some() || !s.resources.instance.is_empty())
}

/// The problems found placing one profile's services.
#[derive(Default)]
struct Found {
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    unplaced: Vec<Unplaced>,
}

/// A GPU service that no instance type fits on a cloud of `clouds:` other
/// than the profile's own `cloud` (a warning: that cloud gets no placement).
/// Targets that cannot render without an instance type report it as their
/// error (see [`crate::render::Target::supersedes`]).
#[derive(Clone, Debug)]
pub struct Unplaced {
    /// Profile of the model.
    pub profile: String,
    /// Service name.
    pub service: String,
    /// Cloud key.
    pub cloud: String,
    /// Why (the warning as found, of kind [`Kind::Unplaced`], without the
    /// notes the report adds).
    pub warning: Diagnostic,
}

/// What enrich found, beside the placements it writes into the models.
#[derive(Clone, Debug, Default)]
pub struct Enriched {
    /// Warnings to report (each once, with the profiles it concerns).
    pub warnings: Vec<Diagnostic>,
    /// Every service left without an instance type on a cloud, per profile.
    pub unplaced: Vec<Unplaced>,
}

/// Place every service of `r` on each of its clouds (see [`place`]), and
/// record the placements and unplaced clouds in its model.
fn place_profile(memo: &Memo<'_>, r: &mut Resolved) -> Found {
    let mut found = Found::default();
    let mut placed: Vec<(String, String, Placement)> = Vec::new();
    for svc in r.model.services.values() {
        let unknown = unknown_models(memo, r, svc);
        if !unknown.is_empty() {
            found.errors.extend(unknown);
            continue;
        }
        // Clouds of `clouds:` first (in config order), then clouds only pinned.
        let mut clouds: Vec<(String, Option<String>)> = r
            .model
            .clouds
            .iter()
            .map(|(c, s)| (c.clone(), s.region.clone()))
            .collect();
        for c in svc.resources.instance.keys() {
            if !r.model.clouds.contains_key(c) {
                clouds.push((c.clone(), None));
            }
        }
        for (cloud, region) in clouds {
            let Ok(provider) = cloud.parse::<Provider>() else {
                continue;
            };
            let strict = r.model.cloud.as_deref().is_none_or(|c| c == cloud);
            match place(memo, r, svc, &cloud, provider, region.as_deref(), strict) {
                Ok(Some(p)) if r.model.clouds.contains_key(&cloud) => {
                    placed.push((svc.name.clone(), cloud, p))
                }
                Ok(_) => {}
                Err(d) if d.severity == Severity::Warning => {
                    let d = d.with_kind(Kind::Unplaced {
                        service: svc.name.clone(),
                        cloud: cloud.clone(),
                    });
                    found.unplaced.push(Unplaced {
                        profile: r.model.profile.clone(),
                        service: svc.name.clone(),
                        cloud: cloud.clone(),
                        warning: d.clone(),
                    });
                    found.warnings.push(not_primary(d, &cloud));
                }
                Err(d) => found.errors.push(d),
            }
        }
    }
    for (svc, _, p) in &placed {
        if let Some(s) = r.model.services.get(svc)
            && let Some(w) = waste_warning(memo, r, s, p)
        {
            found.warnings.push(w);
        }
    }
    for (svc, cloud, p) in placed {
        if let Some(s) = r.model.services.get_mut(&svc) {
            s.placements.insert(cloud, p);
        }
    }
    found
}

/// Enrich every resolved profile in place; returns the warnings (see
/// [`place_all`], which also returns the services left unplaced).
pub fn enrich(
    resolved: &mut [Resolved],
    _sources: &Sources,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    place_all(resolved).map(|e| e.warnings)
}

/// Place every resolved profile's GPU services, writing the placements into
/// their models; returns the warnings and the unplaced services.
///
/// Errors point at the config: a bad pin (any cloud), or a GPU request that
/// nothing fits on the profile's own `cloud` (every cloud when `cloud` is not
/// set). Nothing fitting on another cloud of `clouds:` is a warning and that
/// cloud gets no placement; it is also returned as an [`Unplaced`] value,
/// from which the `tfvars` target, which cannot do without an instance type,
/// makes its error. A problem in a shared file is reported once, with the
/// profiles it affects.
pub fn place_all(resolved: &mut [Resolved]) -> Result<Enriched, Vec<Diagnostic>> {
    if !resolved.iter().any(|r| needs_catalogue(&r.model)) {
        return Ok(Enriched::default());
    }
    let memo = Memo::new(catalogue::active());
    let mut errors = PerProfile::default();
    let mut warnings = PerProfile::default();
    let mut unplaced = Vec::new();
    // Profiles are placed independently: on every core when there are many
    // services; problems are collected in profile order either way.
    let services: usize = resolved.iter().map(|r| r.model.services.len()).sum();
    let found: Vec<Found> =
        crate::parallel::par_map_mut(resolved, services >= crate::parallel::LARGE_SERVICES, |r| {
            place_profile(&memo, r)
        });
    for (r, f) in resolved.iter().zip(found) {
        for d in f.errors {
            errors.add(d, &r.model.profile);
        }
        for d in f.warnings {
            warnings.add(d, &r.model.profile);
        }
        unplaced.extend(f.unplaced);
    }
    if errors.is_empty() {
        Ok(Enriched {
            warnings: warnings.into_diagnostics(),
            unplaced,
        })
    } else {
        Err(errors.into_diagnostics())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo answers exactly as [`Catalogue::select`] for requests that
    /// differ in one field each (count cap, region, provider, memory,
    /// headroom), whichever order they are asked in, first time or not.
    #[test]
    fn memoised_select_agrees_with_the_catalogue() {
        let cat = catalogue::active();
        let memo = Memo::new(cat);
        let mut reqs = Vec::new();
        for provider in Provider::ALL {
            for (model, count) in [("h100", 8.0), ("a100", 1.0), ("l4", 1.0), ("t4", 2.0)] {
                let mut req = catalogue::Request::gpu(model, count);
                req.providers = vec![provider];
                req.min_vcpus = Some(4);
                reqs.push(req.clone());
                let mut capped = req.clone();
                capped.max_gpu_count = Some(2.0 * count);
                reqs.push(capped);
                let mut headroom = req.clone();
                headroom.headroom = true;
                headroom.min_memory_gib = Some(64.0);
                reqs.push(headroom);
                let mut regional = req.clone();
                regional.regions = vec!["us-east-1".into()];
                reqs.push(regional);
            }
        }
        for round in 0..2 {
            for req in reqs.iter().rev().chain(reqs.iter()) {
                assert_eq!(memo.select(req), cat.select(req), "round {round}: {req:?}");
            }
        }
        assert!(memo.lock().len() >= reqs.len() / 2);
    }
}
