//! `devgen catalogue update`: refresh prices from the providers' price APIs
//! into the cache (`crate::catalogue::update`).
//!
//! Exit codes: 0 when every provider was refreshed, already fresh or
//! skipped; 1 when a provider failed (the others are still refreshed and
//! cached); 2 for usage errors (unknown provider or region, offline, no
//! cache directory).

use super::{CmdError, CmdResult, EXIT_OK, EXIT_PROBLEMS, out};
use crate::catalogue::update::http::Http;
use crate::catalogue::update::progress::Progress;
use crate::catalogue::update::{self, Options, Outcome, Settings};
use crate::catalogue::{self, Catalogue, Provider, cache};
use crate::cli::CatalogueUpdateArgs;
use crate::diag::{Diagnostic, did_you_mean};

/// Parses `--provider` values; unknown names are usage errors.
fn providers(names: &[String]) -> Result<Vec<Provider>, CmdError> {
    let mut out = Vec::new();
    for n in names {
        let p = n.parse::<Provider>().map_err(|_| {
            let d = Diagnostic::error(format!("unknown provider `{n}`"));
            CmdError::usage(
                match did_you_mean(n, ["aws", "azure", "gcp", "lambdalabs"]) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint("providers: aws, azure, gcp, lambdalabs"),
                },
            )
        })?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Checks `--region` values against the selected providers' regions.
fn regions(names: &[String], providers: &[Provider]) -> Result<Option<Vec<String>>, CmdError> {
    if names.is_empty() {
        return Ok(None);
    }
    let c = Catalogue::embedded();
    let mut out = Vec::new();
    for n in names {
        let known = providers.iter().find_map(|&p| c.region(p, n.trim()));
        match known {
            Some(r) => {
                if !out.contains(&r.code) {
                    out.push(r.code.clone());
                }
            }
            None => {
                let all: Vec<&str> = providers
                    .iter()
                    .flat_map(|&p| c.regions(p).iter().map(|r| r.code.as_str()))
                    .collect();
                let names: Vec<String> = providers.iter().map(|p| p.to_string()).collect();
                let d = Diagnostic::error(format!("`{n}` is not a region of {}", names.join(", ")));
                return Err(CmdError::usage(match did_you_mean(n, all) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint("`devgen catalogue list` shows the regions"),
                }));
            }
        }
    }
    Ok(Some(out))
}

/// `devgen catalogue update`.
pub fn update(a: &CatalogueUpdateArgs) -> CmdResult {
    let explicit = !a.providers.is_empty();
    let providers = if explicit {
        providers(&a.providers)?
    } else {
        Provider::ALL.to_vec()
    };
    let regions = regions(&a.regions, &providers)?;
    if catalogue::is_offline() {
        return Err(CmdError::usage(
            Diagnostic::error(
                "`devgen catalogue update` needs the network, but DEVGEN_OFFLINE is set",
            )
            .with_hint("unset DEVGEN_OFFLINE (or set it to 0) to refresh prices"),
        ));
    }
    let Some(cache_dir) = cache::dir() else {
        return Err(CmdError::usage(
            Diagnostic::error("no cache directory: neither XDG_CACHE_HOME nor HOME is set")
                .with_hint("set XDG_CACHE_HOME to an absolute directory"),
        ));
    };
    let opts = Options {
        providers,
        explicit,
        regions,
        force: a.force,
        cache_dir: cache_dir.clone(),
        now: cache::now(),
    };
    let settings = Settings::from_env();
    let http = Http::from_env();
    let progress = Progress::auto();
    let reports = update::run(&opts, &settings, &http, &progress);
    out(&update::format_reports(&reports, &cache_dir));
    let failed = reports
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Failed(_)));
    Ok(if failed { EXIT_PROBLEMS } else { EXIT_OK })
}
