//! The refreshed catalogue cache: one JSON file per provider in
//! `$XDG_CACHE_HOME/devgen/` (default `~/.cache/devgen/`), written by
//! `devgen catalogue update`, and [`active`], which merges fresh cache files
//! over the embedded snapshot.
//!
//! File `catalogue-<provider>.json`:
//!
//! ```json
//! { "format": 1, "provider": "aws", "fetched_at": 1767225600,
//!   "source": "https://pricing.us-east-1.amazonaws.com",
//!   "requested_regions": null, "fetched_regions": ["us-east-1", "…"],
//!   "regions": [ { "provider": "aws", "code": "us-east-1", … } ],
//!   "rows": [ { "provider": "aws", "instance_type": "g5.xlarge", … } ] }
//! ```
//!
//! `rows` use the [`Row`] shape; `regions` the [`Region`] shape.
//! `requested_regions` is `null` after a full refresh, or the `--region`
//! list of a partial one (whose other regions' rows were carried over from
//! the previous data). A file is *fresh* for [`TTL_SECONDS`] after
//! `fetched_at`; only fresh files are used. Files are written to a temporary
//! file in the same directory and renamed over the old one, so readers see
//! the old file or the new one, never a partial one.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Catalogue, OfferRec, Provider, Region, Row, strings};

/// How long a cache file stays fresh: 24 hours.
pub const TTL_SECONDS: u64 = 24 * 60 * 60;

/// The cache file format version.
pub const FORMAT: u32 = 1;

/// Status source of cache-sourced providers.
pub const SOURCE: &str = "cache";

/// One provider's cache file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheFile {
    /// [`FORMAT`].
    pub format: u32,
    /// The provider every row belongs to.
    pub provider: Provider,
    /// Fetch time, Unix seconds.
    pub fetched_at: u64,
    /// Where the prices came from (the API base URL; no credentials).
    pub source: String,
    /// The `--region` list of a partial refresh, `null` for a full one.
    #[serde(default)]
    pub requested_regions: Option<Vec<String>>,
    /// The regions whose prices were fetched in this refresh.
    #[serde(default)]
    pub fetched_regions: Vec<String>,
    /// The provider's regions (code, display name, zones).
    pub regions: Vec<Region>,
    /// The catalogue rows.
    pub rows: Vec<Row>,
    /// GCP only: per-zone prices of GPUs attached to N1 machines (one GPU
    /// per entry). Empty in other providers' files, and in GCP files of
    /// older devgen versions (the embedded attach prices are used then).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attach: Vec<super::AttachPrice>,
}

impl CacheFile {
    /// Age in seconds at `now` (0 for a fetch time in the future).
    pub fn age(&self, now: u64) -> u64 {
        now.saturating_sub(self.fetched_at)
    }

    /// Whether the file is younger than [`TTL_SECONDS`] at `now`.
    pub fn is_fresh(&self, now: u64) -> bool {
        self.age(now) < TTL_SECONDS
    }

    /// Whether this (fresh) file already answers a refresh of `regions`
    /// (`None`: a full refresh).
    pub fn covers(&self, regions: Option<&[String]>) -> bool {
        match (&self.requested_regions, regions) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(have), Some(want)) => want
                .iter()
                .all(|w| have.iter().any(|h| h.eq_ignore_ascii_case(w))),
        }
    }

    /// Parses and checks a cache file's text.
    pub fn parse(text: &str, expect: Provider) -> Result<CacheFile, String> {
        let file: CacheFile =
            serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        if file.format != FORMAT {
            return Err(format!(
                "format {} is not supported (expected {FORMAT})",
                file.format
            ));
        }
        if file.provider != expect {
            return Err(format!(
                "holds provider {} instead of {expect}",
                file.provider
            ));
        }
        if let Some(r) = file.rows.iter().find(|r| r.provider != expect) {
            return Err(format!(
                "row {} is of provider {}, not {expect}",
                strings::quoted(&r.instance_type),
                r.provider
            ));
        }
        if let Some(r) = file
            .rows
            .iter()
            .find(|r| !(r.price_hourly_usd.is_finite() && r.price_hourly_usd >= 0.0))
        {
            return Err(format!(
                "row {} {} has an invalid price",
                strings::quoted(&r.instance_type),
                strings::quoted(&r.region)
            ));
        }
        strings::check_all(expect, &file.rows, &file.regions).map_err(|e| e.to_string())?;
        strings::check_codes(expect, "fetched_regions", &file.fetched_regions)
            .map_err(|e| e.to_string())?;
        if let Some(req) = &file.requested_regions {
            strings::check_codes(expect, "requested_regions", req).map_err(|e| e.to_string())?;
        }
        if file.source.chars().any(char::is_control) {
            return Err(format!(
                "`source` {} holds control characters",
                strings::quoted(&file.source)
            ));
        }
        Ok(file)
    }
}

/// Current time, Unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `YYYY-MM-DD` (UTC) of a Unix time.
pub fn utc_date(unix: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = (unix / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A human age: `45 s`, `12 min`, `5 h`, `3 d`.
pub fn format_age(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 2 * 86_400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

/// The cache directory: `$XDG_CACHE_HOME/devgen` when that is an absolute
/// path, else `$HOME/.cache/devgen`; `None` when neither is set.
pub fn dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = xdg.or_else(|| {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".cache"))
    })?;
    Some(base.join("devgen"))
}

/// The cache file of a provider in `dir`.
pub fn path(dir: &Path, provider: Provider) -> PathBuf {
    dir.join(format!("catalogue-{provider}.json"))
}

/// Reads a provider's cache file: `Ok(None)` when there is none.
pub fn read(dir: &Path, provider: Provider) -> Result<Option<CacheFile>, String> {
    let p = path(dir, provider);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", p.display())),
    };
    CacheFile::parse(&text, provider)
        .map(Some)
        .map_err(|e| format!("{}: {e}", p.display()))
}

/// Writes a provider's cache file atomically (temporary file in the same
/// directory, flushed, then renamed over the old file). Creates `dir`.
pub fn write(dir: &Path, file: &CacheFile) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let dest = path(dir, file.provider);
    let tmp = dir.join(format!(
        ".catalogue-{}.json.{}.tmp",
        file.provider,
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(&mut f);
        serde_json::to_writer(&mut w, file).map_err(std::io::Error::other)?;
        w.write_all(b"\n")?;
        w.flush()?;
        drop(w);
        f.sync_all()?;
        std::fs::rename(&tmp, &dest)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("writing {}: {e}", dest.display())
    })?;
    Ok(dest)
}

static OFFLINE: AtomicBool = AtomicBool::new(false);
static ACTIVE: OnceLock<Option<Catalogue>> = OnceLock::new();

pub(super) fn set_offline(offline: bool) {
    OFFLINE.store(offline, Ordering::Relaxed);
}

pub(super) fn is_offline() -> bool {
    OFFLINE.load(Ordering::Relaxed)
        || std::env::var("DEVGEN_OFFLINE").is_ok_and(|v| {
            !matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "" | "0" | "false" | "no"
            )
        })
}

pub(super) fn active() -> &'static Catalogue {
    if is_offline() {
        return Catalogue::embedded();
    }
    let built = ACTIVE.get_or_init(|| {
        let dir = dir()?;
        let (catalogue, warnings) = load(&dir, now());
        for w in warnings {
            crate::output::stderr(&format!("warning: {w}\n"));
        }
        catalogue
    });
    built.as_ref().unwrap_or_else(|| Catalogue::embedded())
}

/// The catalogue of `dir`'s cache files at `now`: per provider, a fresh
/// cache file replaces the embedded rows; stale ones are noted in the status
/// and ignored. `None` when there is no cache file at all (use the embedded
/// snapshot). Also returns warnings about unreadable files, which are ignored.
pub fn load(dir: &Path, now: u64) -> (Option<Catalogue>, Vec<String>) {
    // Cheap check first: no files, no work.
    if !Provider::ALL.iter().any(|&p| path(dir, p).exists()) {
        return (None, Vec::new());
    }
    let mut warnings = Vec::new();
    let mut fresh: Vec<CacheFile> = Vec::new();
    let mut notes: Vec<(Provider, String)> = Vec::new();
    // Parse the files in parallel (a full Azure cache is ~10 MB of JSON).
    let results: Vec<Result<Option<CacheFile>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = Provider::ALL
            .map(|p| s.spawn(move || read(dir, p)))
            .into_iter()
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("reading the cache panicked".to_string()))
            })
            .collect()
    });
    for (p, result) in Provider::ALL.into_iter().zip(results) {
        match result {
            Ok(None) => {}
            Ok(Some(f)) if f.is_fresh(now) => fresh.push(f),
            Ok(Some(f)) => notes.push((
                p,
                format!(
                    "cache from {} ago is older than 24 h and ignored; run `devgen catalogue update`",
                    format_age(f.age(now))
                ),
            )),
            Err(e) => {
                warnings.push(format!("ignoring the catalogue cache {e}"));
                notes.push((p, "unreadable cache file ignored".to_string()));
            }
        }
    }
    let mut catalogue = merge(Catalogue::embedded(), fresh);
    for (p, note) in notes {
        catalogue = catalogue.with_note(p, Some(note));
    }
    (Some(catalogue), warnings)
}

/// `base` with each file's provider replaced by the file's rows and regions
/// (status: source `cache`, the fetch time and day). The other providers'
/// instances and offers are copied as they are, without going through rows.
pub fn merge(base: &Catalogue, files: Vec<CacheFile>) -> Catalogue {
    let mut overlays: [Option<Catalogue>; 4] = [None, None, None, None];
    let mut fetched = Vec::new();
    for f in files {
        let p = f.provider;
        fetched.push((p, f.fetched_at));
        let mut regions = f.regions;
        regions.retain(|r| r.provider == p);
        let mut c = Catalogue::from_parts(f.rows, regions);
        if p == Provider::Gcp {
            let table = if f.attach.is_empty() {
                super::AttachTable::embedded()
            } else {
                super::AttachTable {
                    prices: f.attach,
                    limits: super::AttachTable::embedded_limits(),
                }
            };
            c = c.with_attached(table);
        }
        overlays[p.index()] = Some(c);
    }
    let mut c = splice(base, &overlays);
    for (p, at) in fetched {
        c = c.with_cache_fetch(p, at);
    }
    c
}

/// A catalogue whose provider `p` comes from `overlays[p]` when set, else
/// from `base` (status fields included).
fn splice(base: &Catalogue, overlays: &[Option<Catalogue>; 4]) -> Catalogue {
    // Regions: per provider, the overlay's (they win) plus the base's others.
    let mut regions: Vec<Region> = Vec::new();
    for p in Provider::ALL {
        let mut list: Vec<Region> = base.regions(p).to_vec();
        if let Some(o) = &overlays[p.index()] {
            list.retain(|r| o.region(p, &r.code).is_none_or(|x| x.code != r.code));
            list.extend(o.regions(p).iter().cloned());
            list.sort_by(|a, b| a.code.cmp(&b.code));
        }
        regions.extend(list);
    }
    let index_of = |p: Provider, code: &str| -> u32 {
        regions
            .binary_search_by(|r| (r.provider, r.code.as_str()).cmp(&(p, code)))
            .expect("every source region is in the merged list") as u32
    };
    let mut instances = Vec::new();
    let mut offer_start = vec![0u32];
    let mut offers = Vec::new();
    let mut sources = base.sources.clone();
    let mut data_dates = base.data_dates.clone();
    let mut fetched_at = base.fetched_at;
    let mut notes = base.notes.clone();
    for p in Provider::ALL {
        let src = overlays[p.index()].as_ref().unwrap_or(base);
        if !std::ptr::eq(src, base) {
            sources[p.index()] = src.sources[p.index()].clone();
            data_dates[p.index()] = src.data_dates[p.index()].clone();
            fetched_at[p.index()] = src.fetched_at[p.index()];
            notes[p.index()] = src.notes[p.index()].clone();
        }
        let remap: Vec<u32> = src
            .regions
            .iter()
            .map(|r| {
                if r.provider == p {
                    index_of(p, &r.code)
                } else {
                    u32::MAX
                }
            })
            .collect();
        for i in src.provider_instances[p.index()].clone() {
            instances.push(src.instances[i].clone());
            offers.extend(src.offer_recs(i).iter().map(|o| OfferRec {
                region: remap[o.region as usize],
                ..*o
            }));
            offer_start.push(offers.len() as u32);
        }
    }
    let mut c = Catalogue::assemble(instances, offer_start, offers, regions, "", data_dates);
    c.attach = overlays[Provider::Gcp.index()]
        .as_ref()
        .unwrap_or(base)
        .attach
        .clone();
    c.sources = sources;
    c.fetched_at = fetched_at;
    c.notes = notes;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_ages() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_785_369_599), "2026-07-29");
        assert_eq!(format_age(59), "59 s");
        assert_eq!(format_age(3599), "59 min");
        assert_eq!(format_age(5 * 3600), "5 h");
        assert_eq!(format_age(3 * 86_400 + 5), "3 d");
    }

    #[test]
    fn covers_regions() {
        let mut f = CacheFile {
            format: FORMAT,
            provider: Provider::Aws,
            fetched_at: 0,
            source: String::new(),
            requested_regions: None,
            fetched_regions: vec![],
            regions: vec![],
            rows: vec![],
            attach: vec![],
        };
        assert!(f.covers(None));
        assert!(f.covers(Some(&["us-east-1".to_string()])));
        f.requested_regions = Some(vec!["us-east-1".into()]);
        assert!(!f.covers(None));
        assert!(f.covers(Some(&["US-EAST-1".to_string()])));
        assert!(!f.covers(Some(&["us-west-2".to_string()])));
        assert!(f.is_fresh(TTL_SECONDS - 1));
        assert!(!f.is_fresh(TTL_SECONDS));
    }
}
