//! `devgen catalogue update`: refresh prices from the providers' price APIs
//! into the cache (see [`super::cache`]).
//!
//! - AWS ([`aws`]): the unauthenticated Price List bulk offer files, index →
//!   region index → one offer file per region, stream-parsed.
//! - Azure ([`azure`]): the unauthenticated Retail Prices API, one filtered
//!   listing per region, following `NextPageLink`.
//! - GCP ([`gcp`]): the Cloud Billing Catalog API (`GCP_API_KEY`), pricing
//!   machine types from their core, RAM and GPU SKUs.
//! - Lambda Labs ([`lambda`]): the Lambda Cloud API (`LAMBDA_API_KEY`).
//!
//! Base URLs can be overridden for mirrors and tests:
//! `DEVGEN_AWS_PRICING_URL` (host of the offer files),
//! `DEVGEN_AZURE_PRICES_URL` (the prices endpoint), `DEVGEN_LAMBDA_API_URL`,
//! `DEVGEN_GCP_BILLING_URL`. HTTP behaviour: see [`http`].
//!
//! Each provider is refreshed on its own: its new cache file is written only
//! when its whole refresh succeeded, so a failure leaves the previous file
//! untouched.

pub mod aws;
pub mod azure;
pub mod gcp;
pub mod http;
pub mod lambda;
pub mod progress;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::cache::{self, CacheFile};
use super::{Catalogue, Filter, Provider, Region, Row};
use http::Http;
use progress::Progress;

/// A base URL and whether it was overridden (a mirror or a test server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL, without a trailing `/`.
    pub url: String,
    /// Set from the environment rather than the built-in default.
    pub overridden: bool,
}

impl Endpoint {
    fn from_env(var: &str, default: &str) -> Endpoint {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Endpoint {
                url: v.trim().trim_end_matches('/').to_string(),
                overridden: true,
            },
            _ => Endpoint {
                url: default.to_string(),
                overridden: false,
            },
        }
    }

    /// Resolves a link found in a response: a relative one is joined to
    /// this endpoint's URL (`/x` to its origin when `join_origin`); an
    /// absolute one on another origin is moved to this endpoint's origin
    /// when the endpoint is overridden, so a mirror never sends the client
    /// back to the public API.
    pub fn resolve(&self, link: &str, join_origin: bool) -> String {
        let link = link.trim();
        let own = http::origin(&self.url).unwrap_or_default();
        match http::origin(link) {
            Some(o) if o == own || !self.overridden => link.to_string(),
            Some(_) => format!("{own}{}", http::path_and_query(link)),
            None if join_origin && link.starts_with('/') => format!("{own}{link}"),
            None if link.starts_with('/') => format!("{}{link}", self.url),
            None => format!("{}/{link}", self.url),
        }
    }
}

/// Base URLs and API keys, from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// AWS offer file host (`DEVGEN_AWS_PRICING_URL`).
    pub aws: Endpoint,
    /// Azure prices endpoint (`DEVGEN_AZURE_PRICES_URL`).
    pub azure: Endpoint,
    /// GCP Cloud Billing API base (`DEVGEN_GCP_BILLING_URL`).
    pub gcp: Endpoint,
    /// Lambda Cloud API base (`DEVGEN_LAMBDA_API_URL`).
    pub lambda: Endpoint,
    /// `GCP_API_KEY`.
    pub gcp_key: Option<String>,
    /// `LAMBDA_API_KEY`.
    pub lambda_key: Option<String>,
    /// Parallel downloads per provider (`DEVGEN_UPDATE_JOBS`, default 4).
    pub jobs: usize,
}

fn env_key(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl Settings {
    /// Reads the environment.
    pub fn from_env() -> Settings {
        Settings {
            aws: Endpoint::from_env("DEVGEN_AWS_PRICING_URL", aws::DEFAULT_BASE),
            azure: Endpoint::from_env("DEVGEN_AZURE_PRICES_URL", azure::DEFAULT_URL),
            gcp: Endpoint::from_env("DEVGEN_GCP_BILLING_URL", gcp::DEFAULT_BASE),
            lambda: Endpoint::from_env("DEVGEN_LAMBDA_API_URL", lambda::DEFAULT_BASE),
            gcp_key: env_key("GCP_API_KEY"),
            lambda_key: env_key("LAMBDA_API_KEY"),
            jobs: env_key("DEVGEN_UPDATE_JOBS")
                .and_then(|v| v.parse::<usize>().ok())
                .map_or(4, |n| n.clamp(1, 16)),
        }
    }
}

/// What to refresh.
#[derive(Debug, Clone)]
pub struct Options {
    /// The providers, in catalogue order.
    pub providers: Vec<Provider>,
    /// Whether the providers were named (`--provider`): a provider that
    /// cannot run (no API key) then fails instead of being skipped.
    pub explicit: bool,
    /// `--region` codes, each already checked to be a region of at least one
    /// of `providers`; `None` refreshes every region.
    pub regions: Option<Vec<String>>,
    /// Refresh even a fresh cache.
    pub force: bool,
    /// The cache directory.
    pub cache_dir: PathBuf,
    /// Now, Unix seconds.
    pub now: u64,
}

/// Changes of the rows' on-demand prices against the previous data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// Rows whose price went up.
    pub up: usize,
    /// Rows whose price went down.
    pub down: usize,
    /// Rows with the same price.
    pub same: usize,
    /// Rows that are new.
    pub added: usize,
    /// Previous rows that are gone.
    pub removed: usize,
    /// The largest relative changes: (instance type, region, old, new).
    pub largest: Vec<(String, String, f64, f64)>,
}

/// A successful refresh of one provider.
#[derive(Debug, Clone)]
pub struct Updated {
    /// The file written.
    pub path: PathBuf,
    /// Its content.
    pub file: CacheFile,
    /// What the prices were compared with, e.g. `the embedded snapshot (2026-07-20)`.
    pub previous: String,
    /// The comparison.
    pub diff: Diff,
    /// Rows kept from the previous data (regions not fetched, types the API
    /// does not price).
    pub carried_rows: usize,
    /// Remarks (skipped sizes, regions missing from an index, …).
    pub notes: Vec<String>,
}

/// What happened to one provider.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Refreshed and cached.
    Updated(Box<Updated>),
    /// The cache is fresh; nothing fetched.
    UpToDate {
        /// Age of the cache, seconds.
        age: u64,
    },
    /// Not refreshed, and that is fine (no API key, no requested region).
    Skipped(String),
    /// The refresh failed; the previous cache is untouched.
    Failed(String),
}

/// One provider's report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The provider.
    pub provider: Provider,
    /// What happened.
    pub outcome: Outcome,
}

/// What a provider client returns.
#[derive(Debug, Default)]
pub struct Fetched {
    /// Rows of the fetched regions (and, for GCP, carried rows it could not
    /// price, counted in `carried`).
    pub rows: Vec<Row>,
    /// Regions whose prices were fetched.
    pub fetched_regions: Vec<String>,
    /// Region metadata (display names) learnt from the API.
    pub regions: Vec<Region>,
    /// Rows in `rows` kept from the previous data.
    pub carried: usize,
    /// Remarks for the summary.
    pub notes: Vec<String>,
    /// GCP: per-zone prices of attachable GPUs (T4, V100, P100, P4).
    pub attach: Vec<crate::catalogue::AttachPrice>,
}

/// What a provider client gets.
pub struct Ctx<'a> {
    /// The HTTP client.
    pub http: &'a Http,
    /// Progress output.
    pub progress: &'a Progress,
    /// The embedded snapshot (specs of known types).
    pub embedded: &'a Catalogue,
    /// The provider's previous rows (cache of any age, else the snapshot).
    pub previous: &'a [Row],
    /// GCP: the previous attach prices (cache of any age, else the snapshot).
    pub previous_attach: &'a [crate::catalogue::AttachPrice],
    /// The regions to refresh; `None` for the provider's default set.
    pub regions: Option<&'a [String]>,
    /// Parallel downloads.
    pub jobs: usize,
}

/// The default (`--region`-less) region set of a provider.
pub fn default_regions(provider: Provider, embedded: &Catalogue, previous: &[Row]) -> Vec<String> {
    match provider {
        Provider::Aws | Provider::Azure => embedded
            .regions(provider)
            .iter()
            .map(|r| r.code.clone())
            .collect(),
        Provider::Gcp | Provider::Lambdalabs => previous
            .iter()
            .map(|r| r.region.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    }
}

/// Runs `f` over `items` on up to `jobs` threads, in order. After a failure
/// no new item is started; items not started give `None`.
pub fn par_map<T: Sync, R: Send, E: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> Result<R, E> + Sync,
) -> Vec<Option<Result<R, E>>> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Vec<std::sync::Mutex<Option<Result<R, E>>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    if failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// Collects `par_map` results: the first error (in item order), else all values.
pub fn collect_all<R, E>(results: Vec<Option<Result<R, E>>>) -> Result<Vec<R>, E> {
    let mut out = Vec::with_capacity(results.len());
    let mut first_err = None;
    for r in results.into_iter().flatten() {
        match r {
            Ok(v) => out.push(v),
            Err(e) => {
                if first_err.is_none() {
                    first_err = Some(e);
                }
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// The rows of one provider of a catalogue.
pub fn provider_rows(c: &Catalogue, provider: Provider) -> Vec<Row> {
    let mut rows = c.list(&Filter {
        providers: vec![provider],
        ..Filter::default()
    });
    // Machine + attached GPU combinations are derived from the machine rows
    // and the attach prices (`Fetched::attach`), not refreshed as rows.
    rows.retain(|r| r.accelerator.is_none());
    rows
}

/// Refreshes the providers of `opts`, one after the other.
pub fn run(opts: &Options, settings: &Settings, http: &Http, progress: &Progress) -> Vec<Report> {
    opts.providers
        .iter()
        .map(|&p| Report {
            provider: p,
            outcome: run_one(p, opts, settings, http, progress),
        })
        .collect()
}

fn run_one(
    p: Provider,
    opts: &Options,
    settings: &Settings,
    http: &Http,
    progress: &Progress,
) -> Outcome {
    let embedded = Catalogue::embedded();
    // The requested regions this provider knows.
    let regions: Option<Vec<String>> = opts.regions.as_ref().map(|rs| {
        rs.iter()
            .filter_map(|r| embedded.region(p, r).map(|reg| reg.code.clone()))
            .collect()
    });
    if regions.as_ref().is_some_and(|r| r.is_empty()) {
        return Outcome::Skipped(format!("none of the requested regions is a {p} region"));
    }

    let mut notes = Vec::new();
    let existing = match cache::read(&opts.cache_dir, p) {
        Ok(f) => f,
        Err(e) => {
            notes.push(format!(
                "the previous cache file was unreadable and is replaced ({e})"
            ));
            None
        }
    };
    if !opts.force
        && let Some(f) = &existing
        && f.is_fresh(opts.now)
        && f.covers(regions.as_deref())
    {
        return Outcome::UpToDate {
            age: f.age(opts.now),
        };
    }

    let missing_key = match p {
        Provider::Gcp if settings.gcp_key.is_none() => Some(
            "GCP_API_KEY is not set (an API key of a project with the Cloud Billing API enabled)",
        ),
        Provider::Lambdalabs if settings.lambda_key.is_none() => {
            Some("LAMBDA_API_KEY is not set (a Lambda Cloud API key)")
        }
        _ => None,
    };
    if let Some(why) = missing_key {
        return if opts.explicit {
            Outcome::Failed(format!("cannot refresh: {why}"))
        } else {
            Outcome::Skipped(why.to_string())
        };
    }

    let (previous, previous_label) = match &existing {
        Some(f) => (
            f.rows.clone(),
            format!(
                "the previous cache ({} old)",
                cache::format_age(f.age(opts.now))
            ),
        ),
        None => (
            provider_rows(embedded, p),
            match embedded.status()[p as usize].data_date.as_deref() {
                Some(d) => format!("the embedded snapshot ({d})"),
                None => "the embedded snapshot".to_string(),
            },
        ),
    };
    let previous_attach = match &existing {
        Some(f) if !f.attach.is_empty() => f.attach.clone(),
        _ if p == Provider::Gcp => embedded.attach_table().prices.clone(),
        _ => Vec::new(),
    };
    let ctx = Ctx {
        http,
        progress,
        embedded,
        previous: &previous,
        previous_attach: &previous_attach,
        regions: regions.as_deref(),
        jobs: settings.jobs,
    };
    let result = match p {
        Provider::Aws => aws::fetch(&ctx, &settings.aws),
        Provider::Azure => azure::fetch(&ctx, &settings.azure),
        Provider::Gcp => gcp::fetch(
            &ctx,
            &settings.gcp,
            settings.gcp_key.as_deref().unwrap_or_default(),
        ),
        Provider::Lambdalabs => lambda::fetch(
            &ctx,
            &settings.lambda,
            settings.lambda_key.as_deref().unwrap_or_default(),
        ),
    };
    let mut fetched = match result {
        Ok(f) => f,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    // The price API is untrusted: every string must fit its field's grammar.
    if let Err(e) = super::strings::check_all(p, &fetched.rows, &fetched.regions)
        .and_then(|()| super::strings::check_codes(p, "fetched regions", &fetched.fetched_regions))
    {
        return Outcome::Failed(format!("the price API returned data devgen refuses: {e}"));
    }
    if fetched.rows.is_empty() {
        return Outcome::Failed(
            "the price API returned no usable prices; the previous data is kept".to_string(),
        );
    }

    // A partial (--region) refresh keeps the other regions' rows.
    if regions.is_some() {
        let done: BTreeSet<&str> = fetched.fetched_regions.iter().map(String::as_str).collect();
        let carried: Vec<Row> = previous
            .iter()
            .filter(|r| !done.contains(r.region.as_str()))
            .cloned()
            .collect();
        if !carried.is_empty() {
            let other: BTreeSet<&str> = carried.iter().map(|r| r.region.as_str()).collect();
            fetched.notes.push(format!(
                "{} rows of {} regions not requested keep their previous prices",
                count(carried.len()),
                count(other.len())
            ));
        }
        fetched.carried += carried.len();
        fetched.rows.extend(carried);
    }
    fetched
        .rows
        .sort_by(|a, b| (&a.instance_type, &a.region).cmp(&(&b.instance_type, &b.region)));
    fetched
        .rows
        .dedup_by(|b, a| a.instance_type == b.instance_type && a.region == b.region);

    let region_list = region_metadata(p, embedded, &fetched);
    // The cache keeps where the prices came from, never a mirror's credentials.
    let source = http::redact(match p {
        Provider::Aws => &settings.aws.url,
        Provider::Azure => &settings.azure.url,
        Provider::Gcp => &settings.gcp.url,
        Provider::Lambdalabs => &settings.lambda.url,
    });
    let file = CacheFile {
        format: cache::FORMAT,
        provider: p,
        fetched_at: opts.now,
        source,
        requested_regions: regions.clone(),
        fetched_regions: fetched.fetched_regions.clone(),
        regions: region_list,
        rows: fetched.rows,
        attach: fetched.attach,
    };
    let path = match cache::write(&opts.cache_dir, &file) {
        Ok(path) => path,
        Err(e) => return Outcome::Failed(e),
    };
    notes.extend(fetched.notes);
    let diff = diff(&previous, &file.rows);
    Outcome::Updated(Box::new(Updated {
        path,
        file,
        previous: previous_label,
        diff,
        carried_rows: fetched.carried,
        notes,
    }))
}

/// The region list stored with the rows: the embedded metadata of every
/// region the rows use, else what the API said.
fn region_metadata(p: Provider, embedded: &Catalogue, fetched: &Fetched) -> Vec<Region> {
    let used: BTreeSet<&str> = fetched.rows.iter().map(|r| r.region.as_str()).collect();
    used.into_iter()
        .map(|code| {
            embedded
                .region(p, code)
                .filter(|r| r.code == code)
                .cloned()
                .or_else(|| fetched.regions.iter().find(|r| r.code == code).cloned())
                .unwrap_or_else(|| Region {
                    provider: p,
                    code: code.to_string(),
                    display_name: None,
                    zones: Vec::new(),
                })
        })
        .collect()
}

/// Compares on-demand prices by (instance type, region).
pub fn diff(old: &[Row], new: &[Row]) -> Diff {
    let before: HashMap<(&str, &str), f64> = old
        .iter()
        .map(|r| {
            (
                (r.instance_type.as_str(), r.region.as_str()),
                r.price_hourly_usd,
            )
        })
        .collect();
    let mut d = Diff::default();
    let mut seen = std::collections::HashSet::new();
    let mut changes = Vec::new();
    for r in new {
        let key = (r.instance_type.as_str(), r.region.as_str());
        seen.insert(key);
        match before.get(&key) {
            None => d.added += 1,
            Some(&was) => {
                let now = r.price_hourly_usd;
                if (now - was).abs() <= 1e-9 * was.abs().max(1.0) {
                    d.same += 1;
                } else {
                    if now > was {
                        d.up += 1;
                    } else {
                        d.down += 1;
                    }
                    changes.push((key.0, key.1, was, now));
                }
            }
        }
    }
    d.removed = before.keys().filter(|k| !seen.contains(*k)).count();
    let rel = |&(_, _, was, now): &(&str, &str, f64, f64)| {
        if was > 0.0 {
            ((now - was) / was).abs()
        } else {
            f64::INFINITY
        }
    };
    changes.sort_by(|a, b| {
        rel(b)
            .partial_cmp(&rel(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| (a.0, a.1).cmp(&(b.0, b.1)))
    });
    d.largest = changes
        .into_iter()
        .take(3)
        .map(|(t, r, was, now)| (t.to_string(), r.to_string(), was, now))
        .collect();
    d
}

/// `1 region`, `2 regions`, `12,345 rows` (a plain `s` plural).
pub fn plural(n: usize, word: &str) -> String {
    format!("{} {word}{}", count(n), if n == 1 { "" } else { "s" })
}

/// The first `n` items, then `… and N more`.
pub fn sample(items: &[String], n: usize) -> String {
    let mut s = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        s.push_str(&format!(" and {} more", items.len() - n));
    }
    s
}

/// `12,345`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn price(p: f64) -> String {
    let s = format!("{p:.6}");
    let s = s.trim_end_matches('0');
    let s = s.strip_suffix('.').unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() < 2 {
        format!("${int}.{frac:0<2}")
    } else {
        format!("${s}")
    }
}

/// The summary printed after an update.
pub fn format_reports(reports: &[Report], cache_dir: &Path) -> String {
    let mut out = String::new();
    for r in reports {
        let p = r.provider;
        match &r.outcome {
            Outcome::Updated(u) => {
                let types: BTreeSet<&str> = u
                    .file
                    .rows
                    .iter()
                    .map(|r| r.instance_type.as_str())
                    .collect();
                let regions: BTreeSet<&str> =
                    u.file.rows.iter().map(|r| r.region.as_str()).collect();
                let _ = writeln!(
                    out,
                    "{p}: updated: {}, {}, {} ({} fetched)",
                    plural(types.len(), "instance type"),
                    plural(regions.len(), "region"),
                    plural(u.file.rows.len(), "row"),
                    plural(u.file.fetched_regions.len(), "region"),
                );
                if u.carried_rows > 0 {
                    let _ = writeln!(
                        out,
                        "  {} of them kept from {} (see the notes)",
                        count(u.carried_rows),
                        u.previous
                    );
                }
                let d = &u.diff;
                let _ = writeln!(
                    out,
                    "  vs {}: {} up, {} down, {} unchanged, {} new, {} gone",
                    u.previous,
                    count(d.up),
                    count(d.down),
                    count(d.same),
                    count(d.added),
                    count(d.removed)
                );
                for (t, region, was, now) in &d.largest {
                    let pct = if *was > 0.0 {
                        format!(" ({:+.1}%)", (now - was) / was * 100.0)
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        out,
                        "    {t} {region}: {} -> {}{pct}",
                        price(*was),
                        price(*now)
                    );
                }
                for n in &u.notes {
                    let _ = writeln!(out, "  note: {n}");
                }
                let _ = writeln!(out, "  cached in {}", u.path.display());
            }
            Outcome::UpToDate { age } => {
                let _ = writeln!(
                    out,
                    "{p}: up to date (cached {} ago; the cache is kept 24 h); --force refreshes it",
                    cache::format_age(*age)
                );
            }
            Outcome::Skipped(why) => {
                let _ = writeln!(out, "{p}: skipped: {why}");
            }
            Outcome::Failed(why) => {
                let _ = writeln!(out, "{p}: FAILED: {why}");
                let _ = writeln!(out, "  the previous data is kept");
            }
        }
    }
    let failed = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .count();
    let updated = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Updated(_)))
        .count();
    if failed > 0 {
        let _ = writeln!(
            out,
            "{failed} of {} providers failed{}",
            reports.len(),
            if updated > 0 {
                format!(
                    "; {updated} other{} updated and cached in {}",
                    if updated == 1 { " was" } else { "s were" },
                    cache_dir.display()
                )
            } else {
                String::new()
            }
        );
    }
    out
}

/// Rows of `previous` grouped by instance type → regions.
pub fn previous_regions(previous: &[Row]) -> BTreeMap<&str, Vec<&Row>> {
    let mut m: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in previous {
        m.entry(r.instance_type.as_str()).or_default().push(r);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(url: &str, overridden: bool) -> Endpoint {
        Endpoint {
            url: url.to_string(),
            overridden,
        }
    }

    #[test]
    fn resolves_links() {
        let e = ep("http://127.0.0.1:9/api/retail/prices", true);
        assert_eq!(
            e.resolve(
                "https://prices.azure.com:443/api/retail/prices?$skip=100",
                false
            ),
            "http://127.0.0.1:9/api/retail/prices?$skip=100"
        );
        assert_eq!(
            e.resolve("http://127.0.0.1:9/page2", false),
            "http://127.0.0.1:9/page2"
        );
        assert_eq!(e.resolve("/x?y", true), "http://127.0.0.1:9/x?y");
        let aws = ep("http://127.0.0.1:9/mirror", true);
        assert_eq!(
            aws.resolve("/offers/v1.0/aws/index.json", false),
            "http://127.0.0.1:9/mirror/offers/v1.0/aws/index.json"
        );
        let public = ep("https://prices.azure.com/api/retail/prices", false);
        assert_eq!(
            public.resolve(
                "https://prices.azure.com:443/api/retail/prices?$skip=1",
                false
            ),
            "https://prices.azure.com:443/api/retail/prices?$skip=1"
        );
    }

    #[test]
    fn prices_and_diff() {
        assert_eq!(price(1.006), "$1.006");
        assert_eq!(price(2.0), "$2.00");
        assert_eq!(price(0.5), "$0.50");
        let row = |t: &str, r: &str, p: f64| Row {
            provider: Provider::Aws,
            instance_type: t.into(),
            family: String::new(),
            vcpus: 1,
            memory_gib: None,
            gpu_model: None,
            gpu_count: None,
            gpu_memory_gib: None,
            region: r.into(),
            price_hourly_usd: p,
            spot_price_hourly_usd: None,
            accelerator: None,
        };
        let old = [row("a", "x", 1.0), row("b", "x", 2.0), row("c", "x", 3.0)];
        let new = [row("a", "x", 1.5), row("b", "x", 2.0), row("d", "x", 1.0)];
        let d = diff(&old, &new);
        assert_eq!((d.up, d.down, d.same, d.added, d.removed), (1, 0, 1, 1, 1));
        assert_eq!(d.largest, vec![("a".into(), "x".into(), 1.0, 1.5)]);
    }

    #[test]
    fn par_map_keeps_order_and_stops() {
        let items: Vec<u32> = (0..20).collect();
        let r = par_map(&items, 4, |&i| Ok::<u32, ()>(i * 2));
        let v = collect_all(r).unwrap();
        assert_eq!(v, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        let r = par_map(&items, 1, |&i| if i == 3 { Err(i) } else { Ok(i) });
        assert_eq!(collect_all(r), Err(3));
    }
}
