//! What a service needs from an instance type ([`Need`]) and what an
//! instance type offers in a region ([`Priced`]): the catalogue questions
//! that enrich (placing GPU services), the Kconfig target (smart defaults)
//! and `cost` all ask, answered in one place below all three.
use crate::catalogue::{
    AcceleratorKind, Catalogue, InstanceType, Provider, Request, accelerator_kind, format_count,
    headroom, normalize_gpu_model,
};
use crate::model::Service;

/// Tolerance when comparing GPU counts (the catalogue rounds 1/3 to 0.3333).
pub(crate) const COUNT_TOLERANCE: f64 = 1e-3;

/// What one replica of a service needs from the instance it runs on.
///
/// CPU and memory are compared with what the cloud's platform leaves
/// allocatable on the machine (kubelet / system reservation and eviction
/// threshold, the ECS agent's share — [`crate::catalogue::headroom`]), not
/// with its nominal size: a pod asking 4 vCPU / 16 GiB does not fit a
/// 4 vCPU / 16 GiB machine.
#[derive(Clone, Debug, PartialEq)]
pub struct Need {
    /// Normalised GPU model and count, when the service asks for GPUs (the
    /// first model of an any-of list).
    pub gpu: Option<(String, f64)>,
    /// Every acceptable GPU model (any of them), normalised; empty without GPU.
    pub models: Vec<String>,
    /// vCPUs: the service's CPU rounded up to a whole number (at least 1).
    pub vcpus: u32,
    /// CPU in millicores (at least 1).
    pub cpu_millis: u64,
    /// Memory in GiB.
    pub memory_gib: f64,
}

impl Need {
    /// The need of one replica of `s`.
    pub fn of(s: &Service) -> Need {
        let models: Vec<String> = s
            .resources
            .gpu
            .as_ref()
            .map(|g| {
                let list = if g.models.is_empty() {
                    vec![g.model.clone()]
                } else {
                    g.models.clone()
                };
                list.iter().map(|m| normalize_gpu_model(m)).collect()
            })
            .unwrap_or_default();
        Need {
            gpu: s
                .resources
                .gpu
                .as_ref()
                .map(|g| (models[0].clone(), f64::from(g.count))),
            models,
            vcpus: u32::try_from(s.resources.cpu_millis.div_ceil(1000))
                .unwrap_or(u32::MAX)
                .max(1),
            cpu_millis: s.resources.cpu_millis.max(1),
            memory_gib: s.resources.memory_bytes as f64 / f64::from(1u32 << 30),
        }
    }

    /// This need with one GPU model of its any-of list.
    pub fn with_model(&self, model: &str) -> Need {
        let mut one = self.clone();
        if let Some((m, _)) = &mut one.gpu {
            *m = model.to_string();
        }
        one.models = vec![model.to_string()];
        one
    }

    /// The catalogue request for this need on `provider`, in `region` if
    /// given (the first GPU model; see [`Need::with_model`]), with headroom.
    pub fn request(&self, provider: Provider, region: Option<&str>) -> Request {
        let mut req = match &self.gpu {
            Some((model, count)) => Request::gpu(model, *count),
            None => Request::default(),
        };
        req.min_vcpus = Some(self.vcpus);
        req.cpu_millis = Some(self.cpu_millis);
        req.headroom = true;
        req.min_memory_gib = Some(self.memory_gib);
        req.providers = vec![provider];
        req.regions = region.map(|r| vec![r.to_string()]).unwrap_or_default();
        req
    }

    /// The models in words: `a10g` or `any of l4, a10g, a10`.
    pub fn models_phrase(&self) -> String {
        match self.models.as_slice() {
            [one] => one.clone(),
            many => format!("any of {}", many.join(", ")),
        }
    }

    /// The need in words: `1 × a10g, ≥ 4 vCPUs, ≥ 16 GiB memory`.
    pub fn describe(&self) -> String {
        let mut req = self.request(Provider::Aws, None);
        if self.models.len() > 1 {
            req.gpu_model = Some(format!("({})", self.models_phrase()));
        }
        req.describe()
    }

    /// The need in words for a pin, which may name another GPU model:
    /// `≥ 1 GPU of any model, ≥ 4 vCPUs, ≥ 16 GiB memory`.
    pub fn describe_any_model(&self) -> String {
        let mut req = self.request(Provider::Aws, None);
        req.gpu_model = None;
        match &self.gpu {
            Some((_, count)) => format!(
                "≥ {} GPU{} of any model, {}",
                format_count(*count),
                if *count > 1.0 { "s" } else { "" },
                req.describe()
            ),
            None => req.describe(),
        }
    }

    /// Why `inst` does not fit (empty when it does).
    pub fn shortfalls(&self, inst: &InstanceType) -> Vec<String> {
        self.shortfalls_with(inst, true)
    }

    /// Why `inst` does not fit as a pin (empty when it does): like
    /// [`Need::shortfalls`], but any GPU model will do — a pin may substitute
    /// another model. It still needs a GPU (a non-GPU accelerator such as
    /// Inferentia does not stand in for one, nor the reverse), at least the
    /// requested count, and the vCPUs and memory.
    pub fn pin_shortfalls(&self, inst: &InstanceType) -> Vec<String> {
        self.shortfalls_with(inst, false)
    }

    fn shortfalls_with(&self, inst: &InstanceType, same_model: bool) -> Vec<String> {
        let mut out = Vec::new();
        if let Some((first, count)) = &self.gpu {
            let gpu_like = |m: &str| accelerator_kind(m) != AcceleratorKind::NonGpu;
            let wants_gpu = gpu_like(first);
            let model = &self.models_phrase();
            match (&inst.gpu_model, inst.gpu_count) {
                (None, _) => out.push(format!("it has no GPU, the service needs {model}")),
                (Some(m), _) if same_model && !self.models.contains(m) => {
                    out.push(format!("it has {m} GPUs, the service needs {model}"))
                }
                (Some(m), _) if gpu_like(m) != wants_gpu => out.push(if wants_gpu {
                    format!("it has {m} accelerators, not GPUs; the service needs {model}")
                } else {
                    format!("it has {m} GPUs, the service needs {model} accelerators")
                }),
                (Some(_), None) => out.push(format!(
                    "the catalogue does not state its GPU count, the service needs {}",
                    format_count(*count)
                )),
                (Some(m), Some(c)) if c + COUNT_TOLERANCE < *count => out.push(format!(
                    "it has {} × {m}, the service needs {}",
                    format_count(c),
                    format_count(*count)
                )),
                _ => {}
            }
        }
        let cpu = headroom::allocatable_cpu_millis(inst);
        if cpu + 1e-9 < self.cpu_millis as f64 {
            out.push(format!(
                "it has {} vCPUs ({} allocatable after the platform's reservation), the service needs {}",
                inst.vcpus,
                gib(cpu / 1000.0),
                gib(self.cpu_millis as f64 / 1000.0)
            ));
        }
        match (inst.memory_gib, headroom::allocatable_memory_gib(inst)) {
            (Some(m), Some(a)) if a + 1e-9 < self.memory_gib => out.push(format!(
                "it has {} GiB memory ({} GiB allocatable after the platform's reservation), the service needs {}",
                m,
                gib(a),
                gib(self.memory_gib)
            )),
            (Some(_), Some(_)) => {}
            _ => out.push("the catalogue does not state its memory".to_string()),
        }
        out
    }

    /// Whether `inst` fits.
    pub fn fits(&self, inst: &InstanceType) -> bool {
        self.shortfalls(inst).is_empty()
    }

    /// Whether `inst` fits as a pin (any GPU model, see [`Need::pin_shortfalls`]).
    pub fn pin_fits(&self, inst: &InstanceType) -> bool {
        self.pin_shortfalls(inst).is_empty()
    }
}

/// GiB for messages: `16`, `0.5`.
pub(crate) fn gib(v: f64) -> String {
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
    for o in cat.offers_of(inst) {
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
        models: Vec::new(),
        vcpus,
        cpu_millis: u64::from(vcpus) * 1000,
        memory_gib,
    };
    cheapest_where(cat, provider, region, |inst| {
        inst.gpu_model.is_none() && need.fits(inst)
    })
}

/// The cheapest priced instance type of `provider` that `keep` accepts, in
/// `region` or, without one, in its cheapest region (first found on ties).
pub fn cheapest_where<'a>(
    cat: &'a Catalogue,
    provider: Provider,
    region: Option<&str>,
    keep: impl Fn(&crate::catalogue::InstanceType) -> bool,
) -> Option<Priced<'a>> {
    let mut best: Option<Priced<'a>> = None;
    for inst in cat.instance_types(provider) {
        if !keep(inst) {
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
