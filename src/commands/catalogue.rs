//! `devgen catalogue list|select|status`: query the provider catalogue.
//!
//! Every command reads [`crate::catalogue::active`] (a fresh refreshed cache
//! when there is one, else the embedded snapshot); `--offline` /
//! `DEVGEN_OFFLINE=1` use the embedded snapshot only. These commands never
//! touch the network.
use super::{CmdError, CmdResult, EXIT_OK, EXIT_PROBLEMS, err, out};
use crate::catalogue::{
    self, Filter, ListFormat, OutputFormat, Provider, Request, format_list, format_selection,
    format_status,
};
use crate::cli::{
    CatalogueListArgs, CatalogueSelectArgs, CatalogueStatusArgs, ListFormat as CliListFormat,
    ReportFormat, SelectField, SelectFormat,
};
use crate::diag::{Diagnostic, Sources, did_you_mean};

/// Parse `--provider` values (usage error with a "did you mean" on an unknown one).
pub fn parse_providers(names: &[String]) -> Result<Vec<Provider>, CmdError> {
    let mut out = Vec::new();
    for n in names {
        let p = n.parse::<Provider>().map_err(|_| {
            let known = ["aws", "azure", "gcp", "lambdalabs"];
            let d = Diagnostic::error(format!("unknown provider `{n}`"));
            CmdError::usage(match did_you_mean(n, known) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint("providers: aws, azure, gcp, lambdalabs"),
            })
        })?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

fn positive(what: &str, v: Option<f64>) -> Result<(), CmdError> {
    match v {
        Some(x) if !(x.is_finite() && x > 0.0) => Err(CmdError::usage(Diagnostic::error(format!(
            "{what} must be a positive number, not {x}"
        )))),
        _ => Ok(()),
    }
}

/// Rows `catalogue list` shows as a table unless `--limit` says otherwise.
pub const DEFAULT_TABLE_ROWS: usize = 40;

/// `devgen catalogue list`.
pub fn list(a: &CatalogueListArgs) -> CmdResult {
    if a.offline {
        catalogue::set_offline(true);
    }
    let providers = parse_providers(&a.providers)?;
    positive("--min-gpus", a.min_gpus)?;
    positive("--min-gpu-memory", a.min_gpu_memory)?;
    positive("--min-memory", a.min_memory)?;
    let filter = Filter {
        providers,
        gpu_model: a.gpu.clone(),
        min_gpus: a.min_gpus,
        min_gpu_memory_gib: a.min_gpu_memory,
        min_vcpus: a.min_vcpus,
        min_memory_gib: a.min_memory,
        regions: a.regions.clone(),
    };
    let mut rows = catalogue::active().list(&filter);
    let total = rows.len();
    let limit = a.limit.unwrap_or(match a.format {
        CliListFormat::Table => DEFAULT_TABLE_ROWS,
        _ => 0,
    });
    if limit > 0 && total > limit {
        rows.truncate(limit);
    }
    let format = match a.format {
        CliListFormat::Table => ListFormat::Table,
        CliListFormat::Json => ListFormat::Json,
        CliListFormat::Csv => ListFormat::Csv,
    };
    out(&format_list(&rows, format));
    if rows.len() < total {
        err(&format!(
            "devgen: showing {} of {total} rows — narrow with --provider/--gpu/--region/--min-gpus, or pass --limit 0 for all (--format csv|json list all)\n",
            rows.len()
        ));
    }
    if rows.is_empty()
        && let Some(model) = &a.gpu
    {
        // Say why when the model itself is the problem (a typo, another provider).
        let req = Request {
            providers: filter.providers.clone(),
            ..Request::gpu(model, 1.0)
        };
        if let Err(no) = catalogue::active().select(&req)
            && no.constraint == catalogue::Constraint::GpuModel
        {
            super::print_warnings(&[Diagnostic::warning(no.message)], &Sources::default());
        }
    }
    Ok(EXIT_OK)
}

/// `devgen catalogue select`: the cheapest fitting (instance, region); exit 1
/// with the reason when nothing fits.
pub fn select(a: &CatalogueSelectArgs) -> CmdResult {
    if a.offline {
        catalogue::set_offline(true);
    }
    let providers = parse_providers(&a.providers)?;
    positive("--count", Some(a.count))?;
    positive("--min-memory", a.min_memory)?;
    if a.gpu.trim().is_empty() {
        return Err(CmdError::usage(Diagnostic::error(
            "--gpu needs a GPU model, e.g. `h100`, `a100-80gb`, `l4`",
        )));
    }
    let req = Request {
        min_vcpus: a.min_vcpus,
        min_memory_gib: a.min_memory,
        providers,
        regions: a.regions.clone(),
        ..Request::gpu(&a.gpu, a.count)
    };
    let format = match (a.format, a.field) {
        (SelectFormat::Text, None) => Some(OutputFormat::Text),
        (SelectFormat::Json, None) => Some(OutputFormat::Json),
        (SelectFormat::Value, Some(_)) => None,
        (SelectFormat::Value, None) => {
            return Err(CmdError::usage(
                Diagnostic::error("--format value needs --field")
                    .with_hint("--field instance_type, region or price_hourly_usd"),
            ));
        }
        (_, Some(_)) => {
            return Err(CmdError::usage(Diagnostic::error(
                "--field only goes with --format value",
            )));
        }
    };
    match catalogue::active().select(&req) {
        Ok(sel) => {
            match (format, a.field) {
                (Some(f), _) => out(&format_selection(&sel, f)),
                (None, Some(field)) => out(&value_line(&sel, field)),
                (None, None) => unreachable!("checked above"),
            }
            Ok(EXIT_OK)
        }
        Err(no) => Err(CmdError {
            code: EXIT_PROBLEMS,
            diags: vec![
                Diagnostic::error(no.message)
                    .with_hint("`devgen catalogue list --gpu MODEL` shows what there is"),
            ],
            sources: Sources::default(),
        }),
    }
}

/// The bare value of one field of a selection, as one line (what kdevops'
/// `$(shell …)` hooks read).
fn value_line(sel: &catalogue::Selection, field: SelectField) -> String {
    let value = match field {
        SelectField::InstanceType => sel.instance_type.clone(),
        SelectField::Region => sel.region.clone(),
        SelectField::PriceHourlyUsd => sel.price_hourly_usd.to_string(),
    };
    // One line whatever the catalogue holds.
    let value: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{value}\n")
}

/// `devgen catalogue status`: source, data date and counts per provider.
pub fn status(a: &CatalogueStatusArgs) -> CmdResult {
    if a.offline {
        catalogue::set_offline(true);
    }
    let format = match a.format {
        ReportFormat::Text => OutputFormat::Text,
        ReportFormat::Json => OutputFormat::Json,
    };
    out(&format_status(&catalogue::active().status(), format));
    Ok(EXIT_OK)
}
