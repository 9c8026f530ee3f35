//! Renderings of catalogue answers for the `catalogue` commands. Pure
//! functions: they return the text (ending in a newline) and print nothing.

use std::fmt;
use std::str::FromStr;

use super::codec::{self, ROW_HEADER};
use super::{ProviderStatus, Row, Selection};

/// Output format of `catalogue list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum ListFormat {
    /// Aligned columns for people.
    #[default]
    Table,
    /// A JSON array of rows.
    Json,
    /// CSV in the seed files' column order, with a header.
    Csv,
}

/// Output format of `catalogue select` and `catalogue status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Readable text.
    #[default]
    Text,
    /// JSON.
    Json,
}

/// The error of parsing an unknown format name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat {
    /// The name given.
    pub given: String,
    /// The accepted names.
    pub expected: &'static str,
}

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown format {:?} (expected one of: {})",
            self.given, self.expected
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for ListFormat {
    type Err = UnknownFormat;

    /// `table`, `json` or `csv`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(ListFormat::Table),
            "json" => Ok(ListFormat::Json),
            "csv" => Ok(ListFormat::Csv),
            _ => Err(UnknownFormat {
                given: s.to_string(),
                expected: "table, json, csv",
            }),
        }
    }
}

impl FromStr for OutputFormat {
    type Err = UnknownFormat;

    /// `text` or `json`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(OutputFormat::Text),
            "json" => Ok(OutputFormat::Json),
            _ => Err(UnknownFormat {
                given: s.to_string(),
                expected: "text, json",
            }),
        }
    }
}

/// A number in its shortest exact form: `16`, `0.5`, `1433.6`.
pub(crate) fn format_number(value: f64) -> String {
    format!("{value}")
}

/// A GPU count for people: whole numbers as such (`8`), unit fractions as
/// `1/k` (`0.1667` → `1/6`, `0.125` → `1/8`), other values in shortest form.
pub fn format_count(count: f64) -> String {
    if count.fract() == 0.0 {
        return format_number(count);
    }
    for k in 2..=16u32 {
        if (count - 1.0 / f64::from(k)).abs() < 5e-4 {
            return format!("1/{k}");
        }
    }
    format_number(count)
}

/// Inserts `,` thousands separators into a run of digits.
fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A monthly amount in dollars: whole dollars with thousands separators from
/// $100 up (`$40,179`), cents below (`$6.73`).
pub fn format_monthly_usd(amount: f64) -> String {
    if amount >= 100.0 {
        format!("${}", group_thousands(&format!("{:.0}", amount)))
    } else {
        format!("${amount:.2}")
    }
}

/// An hourly price for people: 4 decimals.
fn format_price(price: f64) -> String {
    format!("{price:.4}")
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_string())
}

/// Aligned columns separated by two spaces; `right[i]` right-aligns column
/// `i`. No trailing spaces.
fn table(headers: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i] - cell.chars().count();
            if right[i] {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut text =
        serde_json::to_string_pretty(value).expect("catalogue values always serialise to JSON");
    text.push('\n');
    text
}

/// Renders `catalogue list` rows.
///
/// - `Table`: aligned columns (provider, instance type, family, vCPUs, memory
///   GiB, GPU model, GPU count, GiB per GPU, region, $/hour, spot $/hour);
///   prices with 4 decimals, `-` for empty cells, fractional GPU counts as
///   `1/k`; `no matching instance types` when `rows` is empty.
/// - `Json`: a pretty-printed array of [`Row`] objects (`null` for empty).
/// - `Csv`: the header `provider,instance_type,…,spot_price_hourly_usd` and
///   one line per row, numbers in shortest form, empty cells empty.
pub fn format_list(rows: &[Row], format: ListFormat) -> String {
    match format {
        ListFormat::Json => to_json(rows),
        ListFormat::Csv => {
            let mut out = ROW_HEADER.join(",");
            out.push('\n');
            for r in rows {
                let num = |out: &mut String, v: Option<f64>| {
                    if let Some(v) = v {
                        codec::csv_number(out, v);
                    }
                };
                codec::csv_field(&mut out, r.provider.as_str());
                out.push(',');
                codec::csv_field(&mut out, &r.instance_type);
                out.push(',');
                codec::csv_field(&mut out, &r.family);
                out.push_str(&format!(",{},", r.vcpus));
                num(&mut out, r.memory_gib);
                out.push(',');
                codec::csv_field(&mut out, r.gpu_model.as_deref().unwrap_or_default());
                out.push(',');
                num(&mut out, r.gpu_count);
                out.push(',');
                num(&mut out, r.gpu_memory_gib);
                out.push(',');
                codec::csv_field(&mut out, &r.region);
                out.push(',');
                codec::csv_number(&mut out, r.price_hourly_usd);
                out.push(',');
                num(&mut out, r.spot_price_hourly_usd);
                out.push('\n');
            }
            out
        }
        ListFormat::Table => {
            if rows.is_empty() {
                return "no matching instance types\n".to_string();
            }
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.provider.to_string(),
                        match &r.accelerator {
                            Some(a) => format!(
                                "{} + {} × {}",
                                r.instance_type, a.count, a.accelerator_type
                            ),
                            None => r.instance_type.clone(),
                        },
                        r.family.clone(),
                        r.vcpus.to_string(),
                        or_dash(r.memory_gib.map(format_number)),
                        or_dash(r.gpu_model.clone()),
                        or_dash(r.gpu_count.map(format_count)),
                        or_dash(r.gpu_memory_gib.map(format_number)),
                        r.region.clone(),
                        or_dash(
                            (r.price_hourly_usd > 0.0).then(|| format_price(r.price_hourly_usd)),
                        ),
                        or_dash(r.spot_price_hourly_usd.map(format_price)),
                    ]
                })
                .collect();
            table(
                &[
                    "PROVIDER",
                    "INSTANCE TYPE",
                    "FAMILY",
                    "VCPUS",
                    "MEMORY GIB",
                    "GPU",
                    "GPUS",
                    "GIB/GPU",
                    "REGION",
                    "$/HOUR",
                    "SPOT $/HOUR",
                ],
                &[
                    false, false, false, true, true, false, true, true, false, true, true,
                ],
                &cells,
            )
        }
    }
}

/// Renders a `catalogue select` answer.
///
/// - `Text`: one sentence, e.g. `cheapest fit for 8 × h100: aws p5.48xlarge
///   in us-east-1 (US East (N. Virginia)) at $55.0400/h ($40,179/month),
///   192 vCPUs, 2048 GiB memory, 8 × h100 (80 GiB each), spot $…/h.`
///   (provider / region scope of the request after the constraints when set;
///   a month is 730 hours).
/// - `Json`: the [`Selection`] object.
pub fn format_selection(selection: &Selection, format: OutputFormat) -> String {
    if format == OutputFormat::Json {
        return to_json(selection);
    }
    let s = selection;
    let req = &s.request;
    let mut scope = String::new();
    if !req.providers.is_empty() {
        let names: Vec<&str> = req.providers.iter().map(|p| p.as_str()).collect();
        scope.push_str(&format!(" on {}", join_or(&names)));
    }
    if !req.regions.is_empty() {
        let word = if req.regions.len() == 1 {
            "region"
        } else {
            "regions"
        };
        let names: Vec<&str> = req.regions.iter().map(String::as_str).collect();
        scope.push_str(&format!(" in {word} {}", join_or(&names)));
    }
    let region_name = s
        .region_name
        .as_ref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let mut text = format!(
        "cheapest fit for {}{scope}: {} {} in {}{region_name} at ${}/h ({}/month), {} vCPUs",
        req.describe(),
        s.provider,
        s.instance_type,
        s.region,
        format_price(s.price_hourly_usd),
        format_monthly_usd(s.price_monthly_usd),
        s.vcpus,
    );
    if let Some(memory) = s.memory_gib {
        text.push_str(&format!(", {} GiB memory", format_number(memory)));
    }
    if let Some(model) = &s.gpu_model {
        let count = s.gpu_count.map_or("?".to_string(), format_count);
        text.push_str(&format!(", {count} × {model}"));
        if let Some(mem) = s.gpu_memory_gib {
            let each = if s.gpu_count.is_some_and(|c| c < 1.0) {
                "slice"
            } else {
                "each"
            };
            text.push_str(&format!(" ({} GiB {each})", format_number(mem)));
        }
    }
    if let Some(a) = &s.accelerator {
        text.push_str(&format!(
            ", attached as {} × {} (zones {})",
            a.count,
            a.accelerator_type,
            s.zones.join(", ")
        ));
    }
    if let Some(spot) = s.spot_price_hourly_usd {
        text.push_str(&format!(", spot ${}/h", format_price(spot)));
    }
    text.push_str(".\n");
    text
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Renders `catalogue status`: a table (provider, source — `embedded` or
/// `cache` —, data date — `unknown` when not known —, age of cached data —
/// `-` for the embedded snapshot —, instance types, rows, regions, numbers
/// with thousands separators) followed by any notes, or a JSON array of
/// [`ProviderStatus`].
pub fn format_status(status: &[ProviderStatus], format: OutputFormat) -> String {
    if format == OutputFormat::Json {
        return to_json(status);
    }
    let cells: Vec<Vec<String>> = status
        .iter()
        .map(|s| {
            vec![
                s.provider.to_string(),
                s.source.clone(),
                s.data_date.clone().unwrap_or_else(|| "unknown".to_string()),
                s.age_seconds
                    .map_or_else(|| "-".to_string(), super::cache::format_age),
                group_thousands(&s.instance_types.to_string()),
                group_thousands(&s.rows.to_string()),
                group_thousands(&s.regions.to_string()),
            ]
        })
        .collect();
    let mut text = table(
        &[
            "PROVIDER",
            "SOURCE",
            "DATA DATE",
            "AGE",
            "INSTANCE TYPES",
            "ROWS",
            "REGIONS",
        ],
        &[false, false, false, true, true, true, true],
        &cells,
    );
    for s in status {
        if let Some(note) = &s.note {
            text.push_str(&format!("note: {}: {note}\n", s.provider));
        }
    }
    text
}
