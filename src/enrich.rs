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
//! - **Errors** point at the config: an unknown or too small pin at the pin's
//!   `file:line` with the nearest instance types that do fit; a GPU request
//!   nothing fits in the cloud's region at `resources.gpu`, with the
//!   catalogue's reason.
//!
//! Pins of services without a GPU are validated the same way (they must exist
//! and fit the service's cpu/memory) but get no placement. The catalogue is
//! only loaded when some service asks for a GPU or pins an instance, so `check`
//! stays fast for CPU-only projects.
use crate::catalogue::{
    self, Catalogue, Constraint, HOURS_PER_MONTH, InstanceType, Provider, Request, format_count,
    k8s_gpu_node_selector, k8s_gpu_resource, normalize_gpu_model,
};
use crate::diag::{Diagnostic, Severity, Sources};
use crate::model::{Model, Placement, Service};
use crate::path::ConfigPath;
use crate::pipeline::Resolved;

/// Tolerance when comparing GPU counts (the catalogue rounds 1/3 to 0.3333).
const COUNT_TOLERANCE: f64 = 1e-3;

/// How many "did you mean" instance names an error shows.
const NEAREST: usize = 3;

/// What one replica of a service needs from the instance it runs on.
#[derive(Clone, Debug, PartialEq)]
pub struct Need {
    /// Normalised GPU model and count, when the service asks for GPUs.
    pub gpu: Option<(String, f64)>,
    /// vCPUs: the service's CPU rounded up to a whole number (at least 1).
    pub vcpus: u32,
    /// Memory in GiB.
    pub memory_gib: f64,
}

impl Need {
    /// The need of one replica of `s`.
    pub fn of(s: &Service) -> Need {
        Need {
            gpu: s
                .resources
                .gpu
                .as_ref()
                .map(|g| (normalize_gpu_model(&g.model), f64::from(g.count))),
            vcpus: u32::try_from(s.resources.cpu_millis.div_ceil(1000))
                .unwrap_or(u32::MAX)
                .max(1),
            memory_gib: s.resources.memory_bytes as f64 / f64::from(1u32 << 30),
        }
    }

    /// The catalogue request for this need on `provider`, in `region` if given.
    pub fn request(&self, provider: Provider, region: Option<&str>) -> Request {
        let mut req = match &self.gpu {
            Some((model, count)) => Request::gpu(model, *count),
            None => Request::default(),
        };
        req.min_vcpus = Some(self.vcpus);
        req.min_memory_gib = Some(self.memory_gib);
        req.providers = vec![provider];
        req.regions = region.map(|r| vec![r.to_string()]).unwrap_or_default();
        req
    }

    /// The need in words: `1 × a10g, ≥ 4 vCPUs, ≥ 16 GiB memory`.
    pub fn describe(&self) -> String {
        self.request(Provider::Aws, None).describe()
    }

    /// Why `inst` does not fit (empty when it does).
    pub fn shortfalls(&self, inst: &InstanceType) -> Vec<String> {
        let mut out = Vec::new();
        if let Some((model, count)) = &self.gpu {
            match (&inst.gpu_model, inst.gpu_count) {
                (None, _) => out.push(format!("it has no GPU, the service needs {model}")),
                (Some(m), _) if m != model => {
                    out.push(format!("it has {m} GPUs, the service needs {model}"))
                }
                (Some(_), None) => out.push(format!(
                    "the catalogue does not state its GPU count, the service needs {}",
                    format_count(*count)
                )),
                (Some(_), Some(c)) if c + COUNT_TOLERANCE < *count => out.push(format!(
                    "it has {} × {model}, the service needs {}",
                    format_count(c),
                    format_count(*count)
                )),
                _ => {}
            }
        }
        if inst.vcpus < self.vcpus {
            out.push(format!(
                "it has {} vCPUs, the service needs {}",
                inst.vcpus, self.vcpus
            ));
        }
        match inst.memory_gib {
            None => out.push("the catalogue does not state its memory".to_string()),
            Some(m) if m < self.memory_gib => out.push(format!(
                "it has {} GiB memory, the service needs {}",
                m,
                gib(self.memory_gib)
            )),
            _ => {}
        }
        out
    }

    /// Whether `inst` fits.
    pub fn fits(&self, inst: &InstanceType) -> bool {
        self.shortfalls(inst).is_empty()
    }
}

/// GiB for messages: `16`, `0.5`.
fn gib(v: f64) -> String {
    format!("{}", (v * 1000.0).round() / 1000.0)
}

/// A priced offer of one instance type in one region.
#[derive(Clone, Debug, PartialEq)]
pub struct Priced<'a> {
    /// The instance type.
    pub instance: &'a InstanceType,
    /// Region code.
    pub region: String,
    /// Region display name.
    pub region_name: Option<String>,
    /// On-demand price, USD per hour.
    pub price_hourly_usd: f64,
}

/// The offer of `inst` in `region` (ignoring ASCII case), or with no region
/// its cheapest offer (first region code on ties); only priced (> 0) offers.
pub fn offer_of<'a>(
    cat: &'a Catalogue,
    inst: &'a InstanceType,
    region: Option<&str>,
) -> Option<Priced<'a>> {
    let mut best: Option<Priced<'a>> = None;
    for o in cat.offers(inst.provider, &inst.name) {
        if o.price_hourly_usd <= 0.0 || region.is_some_and(|r| !o.region.eq_ignore_ascii_case(r)) {
            continue;
        }
        if best
            .as_ref()
            .is_none_or(|b| o.price_hourly_usd < b.price_hourly_usd)
        {
            best = Some(Priced {
                instance: inst,
                region: o.region.to_string(),
                region_name: o.region_name.map(str::to_string),
                price_hourly_usd: o.price_hourly_usd,
            });
        }
    }
    best
}

/// The cheapest CPU-only (no GPU or accelerator) instance type of `provider`
/// with at least `vcpus` and `memory_gib`, in `region` or, without one, in
/// its cheapest region. Ties: instance name, then region code. This is the
/// "general-purpose instance" of `devgen cost` and of the Kconfig defaults for
/// profiles without GPUs.
pub fn cheapest_cpu_only<'a>(
    cat: &'a Catalogue,
    provider: Provider,
    vcpus: u32,
    memory_gib: f64,
    region: Option<&str>,
) -> Option<Priced<'a>> {
    let need = Need {
        gpu: None,
        vcpus,
        memory_gib,
    };
    let mut best: Option<Priced<'a>> = None;
    for inst in cat.instance_types(provider) {
        if inst.gpu_model.is_some() || !need.fits(inst) {
            continue;
        }
        if let Some(p) = offer_of(cat, inst, region)
            && best
                .as_ref()
                .is_none_or(|b| p.price_hourly_usd < b.price_hourly_usd)
        {
            best = Some(p);
        }
    }
    best
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
    }
}

/// Up to [`NEAREST`] instance types of `provider` closest to `name` that fit
/// `need` and are priced in `region` (any region when `None`).
pub fn nearest_fitting(
    cat: &Catalogue,
    provider: Provider,
    name: &str,
    need: &Need,
    region: Option<&str>,
) -> Vec<String> {
    cat.nearest_names(provider, name, usize::MAX)
        .into_iter()
        .filter(|n| {
            cat.instance(provider, n)
                .is_some_and(|i| need.fits(i) && offer_of(cat, i, region).is_some())
        })
        .take(NEAREST)
        .collect()
}

/// Where one service runs on one cloud: its pin, validated, or the cheapest fit.
/// `Ok(None)` for a service without GPU and without a pin. A GPU request that
/// nothing fits is an error when `strict`, else a warning.
fn place(
    cat: &Catalogue,
    r: &Resolved,
    svc: &Service,
    cloud: &str,
    provider: Provider,
    region: Option<&str>,
    strict: bool,
) -> Result<Option<Placement>, Diagnostic> {
    let need = Need::of(svc);
    let base = ConfigPath::root()
        .key("services")
        .key(&svc.name)
        .key("resources");
    let prov = &r.merged.provenance;
    let region_path = ConfigPath::root().key("clouds").key(cloud).key("region");
    let with_region = |d: Diagnostic| match (region, prov.span(&region_path)) {
        (Some(_), Some(span)) => d.with_related(format!("the {cloud} region is set here"), span),
        _ => d,
    };
    let in_region = region
        .map(|r| format!(" in region `{r}`"))
        .unwrap_or_default();

    if let Some(pin) = svc.resources.instance.get(cloud) {
        let path = base.key("instance").key(cloud);
        let at = |d: Diagnostic| d.with_path(path.to_string()).with_span(prov.span(&path));
        let nearest = nearest_fitting(cat, provider, pin, &need, region);
        let suggest = |d: Diagnostic| {
            if nearest.is_empty() {
                d.with_note(format!(
                    "no {cloud} instance type fits {}{in_region}",
                    need.describe()
                ))
            } else {
                d.with_hint(format!(
                    "instance types that fit ({}){in_region}: {}",
                    need.describe(),
                    nearest.join(", ")
                ))
            }
        };
        let Some(inst) = cat.instance(provider, pin) else {
            return Err(suggest(at(Diagnostic::error(format!(
                "unknown {cloud} instance type `{pin}` pinned for service `{}`",
                svc.name
            )))));
        };
        let short = need.shortfalls(inst);
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
        return Ok(need.gpu.is_some().then(|| placement(cloud, &priced, true)));
    }

    if need.gpu.is_none() {
        return Ok(None);
    }
    match cat.select(&need.request(provider, region)) {
        Ok(sel) => {
            let inst = cat
                .instance(provider, &sel.instance_type)
                .expect("a selected instance type exists");
            let priced = Priced {
                instance: inst,
                region: sel.region.clone(),
                region_name: sel.region_name.clone(),
                price_hourly_usd: sel.price_hourly_usd,
            };
            Ok(Some(placement(cloud, &priced, false)))
        }
        Err(no) => {
            let path = base.key("gpu").key("model");
            let hint = if region.is_some() && no.constraint == Constraint::Region {
                format!(
                    "set `clouds.{cloud}.region` to a region that has one, or remove `{cloud}` from `clouds`"
                )
            } else {
                format!(
                    "ask for a GPU {cloud} offers (`devgen catalogue list --provider {cloud}`), or remove `{cloud}` from `clouds`"
                )
            };
            let message = format!(
                "no {cloud} instance type fits service `{}` ({}){in_region}",
                svc.name,
                need.describe()
            );
            let d = if strict {
                Diagnostic::error(message)
            } else {
                Diagnostic::warning(message).with_note(format!(
                    "{cloud} is not this profile's `cloud`, so the service gets no {cloud} placement \
                     (targets fall back to the config)"
                ))
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

/// Whether a model needs the catalogue: a GPU request or a pin.
fn needs_catalogue(m: &Model) -> bool {
    m.services
        .values()
        .any(|s| s.resources.gpu.is_some() || !s.resources.instance.is_empty())
}

/// Adds `d` (found in `profile`) to `list`, or the profile to an identical one.
fn collect(list: &mut Vec<(Diagnostic, Vec<String>)>, d: Diagnostic, profile: &str) {
    match list
        .iter_mut()
        .find(|(x, _)| x.message == d.message && x.span == d.span)
    {
        Some((_, profiles)) => profiles.push(profile.to_string()),
        None => list.push((d, vec![profile.to_string()])),
    }
}

fn with_profiles(list: Vec<(Diagnostic, Vec<String>)>) -> Vec<Diagnostic> {
    list.into_iter()
        .map(|(d, profiles)| {
            let word = if profiles.len() == 1 {
                "profile"
            } else {
                "profiles"
            };
            d.with_note(format!("in {word} {}", profiles.join(", ")))
        })
        .collect()
}

/// Enrich every resolved profile in place; returns the warnings.
///
/// Errors point at the config: a bad pin (any cloud), or a GPU request that
/// nothing fits on the profile's own `cloud` (every cloud when `cloud` is not
/// set). Nothing fitting on another cloud of `clouds:` is a warning and that
/// cloud gets no placement. A problem in a shared file is reported once, with
/// the profiles it affects.
pub fn enrich(
    resolved: &mut [Resolved],
    _sources: &Sources,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    if !resolved.iter().any(|r| needs_catalogue(&r.model)) {
        return Ok(Vec::new());
    }
    let cat = catalogue::active();
    let mut errors: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    let mut warnings: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    for r in resolved.iter_mut() {
        let mut placed: Vec<(String, String, Placement)> = Vec::new();
        for svc in r.model.services.values() {
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
                match place(cat, r, svc, &cloud, provider, region.as_deref(), strict) {
                    Ok(Some(p)) if r.model.clouds.contains_key(&cloud) => {
                        placed.push((svc.name.clone(), cloud, p))
                    }
                    Ok(_) => {}
                    Err(d) if d.severity == Severity::Warning => {
                        collect(&mut warnings, d, &r.model.profile)
                    }
                    Err(d) => collect(&mut errors, d, &r.model.profile),
                }
            }
        }
        for (svc, cloud, p) in placed {
            if let Some(s) = r.model.services.get_mut(&svc) {
                s.placements.insert(cloud, p);
            }
        }
    }
    if errors.is_empty() {
        Ok(with_profiles(warnings))
    } else {
        Err(with_profiles(errors))
    }
}
