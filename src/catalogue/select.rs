//! Choosing the cheapest fitting (instance type, region) (`catalogue select`,
//! enrichment), and explaining why nothing fits.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::format::{format_count, format_number};
use super::{
    Accelerator, COUNT_TOLERANCE, Catalogue, HOURS_PER_MONTH, InstanceType, OfferRec, Provider,
    count_fits, nearest, normalize_gpu_model,
};

/// What [`Catalogue::select`] looks for. Deserialising fills missing
/// fields from [`Request::default`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Request {
    /// GPU model (normalised before comparing); `None` asks for no GPU, and
    /// then `gpu_count` is ignored.
    pub gpu_model: Option<String>,
    /// Minimum number of GPUs of that model (default 1). Instance types whose
    /// count is unknown never fit; a fractional type (e.g. 0.5 × l4) fits only
    /// requests up to its fraction (counts compare with a 0.001 tolerance, as
    /// the data rounds 1/3 to 0.3333).
    pub gpu_count: f64,
    /// Minimum vCPUs.
    pub min_vcpus: Option<u32>,
    /// Minimum RAM in GiB (instance types with unknown memory never fit).
    pub min_memory_gib: Option<f64>,
    /// Only these providers (all when empty).
    pub providers: Vec<Provider>,
    /// Only these region codes, compared ignoring ASCII case (any region
    /// when empty).
    pub regions: Vec<String>,
    /// Minimum CPU in millicores, compared with what is allocatable when
    /// `headroom` is set (else `min_vcpus` applies to the nominal size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_millis: Option<u64>,
    /// Compare vCPUs and memory with what the provider's platform leaves
    /// allocatable ([`super::headroom`]), not with the nominal size.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub headroom: bool,
    /// At most this many GPUs (for "fewer idle GPUs" alternatives).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_gpu_count: Option<f64>,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            gpu_model: None,
            gpu_count: 1.0,
            min_vcpus: None,
            min_memory_gib: None,
            providers: Vec::new(),
            regions: Vec::new(),
            cpu_millis: None,
            headroom: false,
            max_gpu_count: None,
        }
    }
}

impl Request {
    /// Whether `inst` has the vCPUs asked for (allocatable ones with
    /// `headroom`).
    pub fn vcpus_fit(&self, inst: &InstanceType) -> bool {
        if self.headroom {
            let want = self
                .cpu_millis
                .map(|m| m as f64)
                .or(self.min_vcpus.map(|v| f64::from(v) * 1000.0));
            want.is_none_or(|w| super::headroom::allocatable_cpu_millis(inst) + 1e-9 >= w)
        } else {
            self.min_vcpus.is_none_or(|v| inst.vcpus >= v)
        }
    }

    /// Whether `inst` has the memory asked for (allocatable memory with
    /// `headroom`); unknown memory never fits.
    pub fn memory_fits(&self, inst: &InstanceType) -> bool {
        self.min_memory_gib.is_none_or(|m| {
            let have = if self.headroom {
                super::headroom::allocatable_memory_gib(inst)
            } else {
                inst.memory_gib
            };
            have.is_some_and(|g| g + 1e-9 >= m)
        })
    }

    /// A request for at least `count` GPUs of `model`, anywhere.
    pub fn gpu(model: &str, count: f64) -> Request {
        Request {
            gpu_model: Some(normalize_gpu_model(model)),
            gpu_count: count,
            ..Request::default()
        }
    }

    /// The instance-level constraints in words, e.g. `8 × h100, ≥ 32 vCPUs,
    /// ≥ 256 GiB memory`, or `any instance` when there are none.
    pub fn describe(&self) -> String {
        let parts = self.parts(true);
        if parts.is_empty() {
            "any instance".to_string()
        } else {
            parts.join(", ")
        }
    }

    /// The GPU, vCPU and (if `memory`) memory constraints in words.
    fn parts(&self, memory: bool) -> Vec<String> {
        let mut parts = Vec::new();
        if let Some(model) = &self.gpu_model {
            parts.push(format!(
                "{} × {}",
                format_count(self.gpu_count),
                normalize_gpu_model(model)
            ));
        }
        if let Some(v) = self.min_vcpus {
            parts.push(format!("≥ {v} vCPUs"));
        }
        if let (true, Some(m)) = (memory, self.min_memory_gib) {
            parts.push(format!("≥ {} GiB memory", format_number(m)));
        }
        parts
    }
}

/// The answer of [`Catalogue::select`]: one instance type in one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selection {
    /// The provider.
    pub provider: Provider,
    /// The instance type name.
    pub instance_type: String,
    /// The instance family.
    pub family: String,
    /// The region code.
    pub region: String,
    /// The region's display name, when known.
    pub region_name: Option<String>,
    /// Normalised GPU model (`null` for CPU-only).
    pub gpu_model: Option<String>,
    /// GPUs per instance (may be fractional).
    pub gpu_count: Option<f64>,
    /// Memory of one GPU in GiB.
    pub gpu_memory_gib: Option<f64>,
    /// vCPUs.
    pub vcpus: u32,
    /// RAM in GiB, when known.
    pub memory_gib: Option<f64>,
    /// On-demand price, USD per hour.
    pub price_hourly_usd: f64,
    /// Spot price, USD per hour, when known.
    pub spot_price_hourly_usd: Option<f64>,
    /// On-demand price × [`HOURS_PER_MONTH`], rounded to cents.
    pub price_monthly_usd: f64,
    /// For GPUs attached to the machine (GCP N1 + T4/V100/P100/P4): the
    /// accelerator type and count, `{"type": "nvidia-tesla-t4", "count": 1}`;
    /// `instance_type` is then the machine and the price machine + GPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<Accelerator>,
    /// For attached GPUs: the zones of `region` that sell the GPU and allow
    /// this machine with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// The request this answers (GPU model normalised).
    pub request: Request,
}

/// Which constraint of a [`Request`] could not be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Constraint {
    /// The catalogue has no instance types for the requested providers.
    Provider,
    /// No instance type has the GPU model.
    GpuModel,
    /// None has enough GPUs of the model (or states its count).
    GpuCount,
    /// None of those has enough vCPUs.
    Vcpus,
    /// None of those has enough memory.
    Memory,
    /// None of those is offered in the requested regions.
    Region,
    /// None of those has a (non-zero) list price.
    Price,
}

/// Why [`Catalogue::select`] found nothing: the constraint that failed first
/// (in the order GPU model, GPU count, vCPUs, memory, region) and a sentence
/// saying what the catalogue has instead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoFit {
    /// The constraint that failed.
    pub constraint: Constraint,
    /// The explanation, e.g. `no aws instance has 16 × h100; the most is 8
    /// (p5.48xlarge)`.
    pub message: String,
}

impl fmt::Display for NoFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NoFit {}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The providers a request covers, in words: `` (all), `aws`, `aws or gcp`.
fn providers_phrase(providers: &[Provider]) -> String {
    if providers.len() == Provider::ALL.len() {
        String::new()
    } else {
        join_or(&providers.iter().map(|p| p.to_string()).collect::<Vec<_>>())
    }
}

type Candidate<'a> = (&'a InstanceType, &'a [OfferRec]);

impl Catalogue {
    /// The cheapest (instance type, region) that fits `req`, by on-demand
    /// price.
    ///
    /// An instance type fits when its GPU model equals the requested one
    /// (both normalised), its GPU count is known and at least the requested
    /// count, and it has at least the requested vCPUs and memory. Any of its
    /// regions qualifies unless `req.regions` restricts them; rows priced at
    /// zero (unpriced in the source) are skipped.
    ///
    /// Ties are broken deterministically: lowest price, then provider order
    /// (aws, azure, gcp, lambdalabs), then instance type name, then region
    /// code (names compared as bytes).
    pub fn select(&self, req: &Request) -> Result<Selection, NoFit> {
        let model = req.gpu_model.as_deref().map(normalize_gpu_model);
        let mut providers = if req.providers.is_empty() {
            Provider::ALL.to_vec()
        } else {
            req.providers.clone()
        };
        providers.sort_unstable();
        providers.dedup();
        let who = providers_phrase(&providers);
        let no = |what: &str| {
            if who.is_empty() {
                format!("no {what}")
            } else {
                format!("no {who} {what}")
            }
        };
        let name_of = |inst: &InstanceType| {
            if providers.len() > 1 {
                format!("{} {}", inst.provider, inst.name)
            } else {
                inst.name.clone()
            }
        };

        let candidates: Vec<Candidate<'_>> = self.entries(&providers).collect();
        if candidates.is_empty() {
            return Err(NoFit {
                constraint: Constraint::Provider,
                message: format!(
                    "the catalogue has no instance types for {}",
                    join_or(&providers.iter().map(|p| p.to_string()).collect::<Vec<_>>())
                ),
            });
        }

        // 1. GPU model.
        let with_model: Vec<Candidate<'_>> = match &model {
            Some(m) => candidates
                .iter()
                .copied()
                .filter(|(i, _)| i.gpu_model.as_deref() == Some(m.as_str()))
                .collect(),
            None => candidates.clone(),
        };
        if let (Some(m), true) = (&model, with_model.is_empty()) {
            return Err(self.no_model(m, &providers, &who, &no("instance")));
        }

        // 2. GPU count.
        let with_count: Vec<Candidate<'_>> = if model.is_some() {
            with_model
                .iter()
                .copied()
                .filter(|(i, _)| count_fits(i.gpu_count, req.gpu_count))
                .filter(|(i, _)| {
                    req.max_gpu_count
                        .is_none_or(|max| i.gpu_count.is_some_and(|c| c <= max + COUNT_TOLERANCE))
                })
                .collect()
        } else {
            with_model.clone()
        };
        if with_count.is_empty() {
            let m = model.as_deref().unwrap_or_default();
            let count = format_count(req.gpu_count);
            let most = with_model
                .iter()
                .filter_map(|(i, _)| i.gpu_count.map(|c| (c, *i)))
                .fold(None::<(f64, &InstanceType)>, |best, (c, i)| match best {
                    Some((b, _)) if b >= c => best,
                    _ => Some((c, i)),
                });
            let message = match most {
                Some((c, i)) => format!(
                    "{} has {count} × {m}; the most is {} ({})",
                    no("instance"),
                    format_count(c),
                    name_of(i)
                ),
                None => {
                    let names: Vec<String> =
                        with_model.iter().take(3).map(|(i, _)| name_of(i)).collect();
                    let more = if with_model.len() > 3 { ", …" } else { "" };
                    format!(
                        "{} with {m} states its GPU count ({}{more}), so none fits a request for {count} × {m}",
                        no("instance"),
                        names.join(", ")
                    )
                }
            };
            return Err(NoFit {
                constraint: Constraint::GpuCount,
                message,
            });
        }

        // 3. vCPUs.
        let mut with = req.parts(false);
        with.truncate(usize::from(model.is_some()));
        let with_phrase = |parts: &[String]| {
            if parts.is_empty() {
                String::new()
            } else {
                format!(" with {}", parts.join(" and "))
            }
        };
        let with_vcpus: Vec<Candidate<'_>> = with_count
            .iter()
            .copied()
            .filter(|(i, _)| req.vcpus_fit(i))
            .collect();
        if with_vcpus.is_empty() {
            let (_, most) = with_count
                .iter()
                .map(|(i, _)| (i.vcpus, *i))
                .fold(None::<(u32, &InstanceType)>, |best, (v, i)| match best {
                    Some((b, _)) if b >= v => best,
                    _ => Some((v, i)),
                })
                .expect("with_count is not empty");
            return Err(NoFit {
                constraint: Constraint::Vcpus,
                message: format!(
                    "{}{} has {} vCPUs; the most is {} ({})",
                    no("instance"),
                    with_phrase(&with),
                    req.min_vcpus.unwrap_or_default(),
                    most.vcpus,
                    name_of(most)
                ),
            });
        }

        // 4. Memory.
        if let Some(v) = req.min_vcpus {
            with.push(format!("≥ {v} vCPUs"));
        }
        let fits: Vec<Candidate<'_>> = with_vcpus
            .iter()
            .copied()
            .filter(|(i, _)| req.memory_fits(i))
            .collect();
        if fits.is_empty() {
            let most = with_vcpus
                .iter()
                .filter_map(|(i, _)| i.memory_gib.map(|m| (m, *i)))
                .fold(None::<(f64, &InstanceType)>, |best, (m, i)| match best {
                    Some((b, _)) if b >= m => best,
                    _ => Some((m, i)),
                });
            let most = match most {
                Some((m, i)) => format!("the most is {} GiB ({})", format_number(m), name_of(i)),
                None => "none of them states its memory".to_string(),
            };
            return Err(NoFit {
                constraint: Constraint::Memory,
                message: format!(
                    "{}{} has {} GiB memory; {most}",
                    no("instance"),
                    with_phrase(&with),
                    format_number(req.min_memory_gib.unwrap_or_default()),
                ),
            });
        }

        // 5. Region and price: the cheapest offer, first in catalogue order
        // on ties (instances by provider and name, offers by region code).
        let in_regions = |rec: &OfferRec| {
            let code = &self.regions[rec.region as usize].code;
            req.regions.is_empty() || req.regions.iter().any(|r| r.eq_ignore_ascii_case(code))
        };
        let mut best: Option<(&InstanceType, &OfferRec)> = None;
        for (inst, offers) in &fits {
            for rec in offers.iter() {
                if rec.price > 0.0
                    && in_regions(rec)
                    && best.is_none_or(|(_, b)| rec.price < b.price)
                {
                    best = Some((inst, rec));
                }
            }
        }
        let Some((inst, rec)) = best else {
            return Err(self.no_region(
                req,
                &fits,
                &providers,
                &who,
                &no("instance"),
                &with_phrase(&req.parts(true)),
            ));
        };
        let region = &self.regions[rec.region as usize];
        let mut request = req.clone();
        request.gpu_model = model;
        Ok(Selection {
            provider: inst.provider,
            instance_type: inst.name.clone(),
            family: inst.family.clone(),
            region: region.code.clone(),
            region_name: region.display_name.clone(),
            gpu_model: inst.gpu_model.clone(),
            gpu_count: inst.gpu_count,
            gpu_memory_gib: inst.gpu_memory_gib,
            vcpus: inst.vcpus,
            memory_gib: inst.memory_gib,
            price_hourly_usd: rec.price,
            spot_price_hourly_usd: rec.spot(),
            price_monthly_usd: (rec.price * HOURS_PER_MONTH * 100.0).round() / 100.0,
            accelerator: inst.accelerator.clone(),
            zones: self.attach_zones(inst, &region.code),
            request,
        })
    }

    /// The cheapest fit on each provider separately (for per-cloud
    /// enrichment): one entry per provider of `req.providers` (all when
    /// empty), in provider order. A provider with an entry in `regions` is
    /// restricted to that region (e.g. the profile's `clouds.<cloud>.region`);
    /// the others use `req.regions`.
    pub fn select_per_provider(
        &self,
        req: &Request,
        regions: &BTreeMap<Provider, String>,
    ) -> Vec<(Provider, Result<Selection, NoFit>)> {
        let mut providers = if req.providers.is_empty() {
            Provider::ALL.to_vec()
        } else {
            req.providers.clone()
        };
        providers.sort_unstable();
        providers.dedup();
        providers
            .into_iter()
            .map(|p| {
                let mut one = req.clone();
                one.providers = vec![p];
                if let Some(region) = regions.get(&p) {
                    one.regions = vec![region.clone()];
                }
                (p, self.select(&one))
            })
            .collect()
    }

    /// The explanation when no instance of `providers` has `model`.
    fn no_model(&self, model: &str, providers: &[Provider], who: &str, no_instance: &str) -> NoFit {
        let mut here: Vec<&str> = providers.iter().flat_map(|p| self.gpu_models(*p)).collect();
        here.sort_unstable();
        here.dedup();
        let place = if who.is_empty() {
            "in the catalogue".to_string()
        } else {
            format!("on {who}")
        };
        let mut message = if here.is_empty() {
            format!("{no_instance} offers gpu model {model:?} (there are no GPU instances {place})")
        } else {
            format!(
                "{no_instance} offers gpu model {model:?} (models {place}: {})",
                here.join(", ")
            )
        };
        let elsewhere: Vec<String> = Provider::ALL
            .into_iter()
            .filter(|p| !providers.contains(p) && self.gpu_models(*p).contains(&model))
            .map(|p| p.to_string())
            .collect();
        if elsewhere.is_empty() {
            let all: Vec<&str> = {
                let mut all: Vec<&str> = Provider::ALL
                    .iter()
                    .flat_map(|p| self.gpu_models(*p))
                    .collect();
                all.sort_unstable();
                all.dedup();
                all
            };
            if let Some(guess) = super::nearest_gpu_model(&all, model) {
                message.push_str(&format!("; did you mean {guess:?}?"));
            }
        } else {
            message.push_str(&format!("; {} offers it", join_or(&elsewhere)));
        }
        NoFit {
            constraint: Constraint::GpuModel,
            message,
        }
    }

    /// The explanation when fitting instance types exist but not in the
    /// requested regions (or none has a price).
    fn no_region(
        &self,
        req: &Request,
        fits: &[Candidate<'_>],
        providers: &[Provider],
        who: &str,
        no_instance: &str,
        with: &str,
    ) -> NoFit {
        if req.regions.is_empty() {
            return NoFit {
                constraint: Constraint::Price,
                message: format!("{no_instance}{with} has a list price"),
            };
        }
        // Regions (per provider) where a fitting instance has a price.
        let mut have: BTreeMap<Provider, Vec<&str>> = BTreeMap::new();
        for (inst, offers) in fits {
            for rec in offers.iter().filter(|r| r.price > 0.0) {
                have.entry(inst.provider)
                    .or_default()
                    .push(&self.regions[rec.region as usize].code);
            }
        }
        for codes in have.values_mut() {
            codes.sort_unstable();
            codes.dedup();
        }
        let listed = if have.len() == 1 {
            have.values()
                .next()
                .map(|c| c.join(", "))
                .unwrap_or_default()
        } else {
            have.iter()
                .map(|(p, c)| format!("{p}: {}", c.join(", ")))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let regions: Vec<String> = req.regions.clone();
        let word = if regions.len() == 1 {
            "region"
        } else {
            "regions"
        };
        let mut message = format!(
            "{no_instance}{with} in {word} {}; regions that have one: {listed}",
            join_or(&regions)
        );
        for r in &req.regions {
            let known = providers.iter().any(|p| {
                self.regions(*p)
                    .iter()
                    .any(|x| x.code.eq_ignore_ascii_case(r))
            });
            if known {
                continue;
            }
            let codes = providers
                .iter()
                .flat_map(|p| self.regions(*p))
                .map(|x| x.code.as_str());
            let owner = if who.is_empty() { "any provider" } else { who };
            message.push_str(&format!("; {r:?} is not a region of {owner}"));
            if let Some(guess) = nearest(codes, r, 1).pop()
                && strsim::levenshtein(&guess, &r.to_ascii_lowercase()) <= 3
            {
                message.push_str(&format!(" (did you mean {guess:?}?)"));
            }
        }
        NoFit {
            constraint: Constraint::Region,
            message,
        }
    }
}
