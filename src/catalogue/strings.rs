//! The grammar of catalogue strings. Instance types, families, regions,
//! zones, GPU models and region display names come from price APIs and cache
//! files, both untrusted: they end up in Kconfig menus, Terraform variables,
//! Kubernetes manifests and terminal output. Every row and region is checked
//! here where it enters devgen (a cache file being read, a price API's rows
//! before they are cached), and a string outside its field's grammar rejects
//! the whole file or refresh with an error naming the provider and the row.
//!
//! The writers escape every string regardless (see
//! [`crate::render::filters`]); this is the first of the two walls.

use std::fmt;

use super::{Provider, Region, Row};

/// Longest name (instance type, family, region, zone, GPU model).
const MAX_NAME: usize = 96;
/// Longest region display name.
const MAX_DISPLAY: usize = 128;

/// What a field may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grammar {
    /// `[A-Za-z0-9]` then `[A-Za-z0-9._-]*`: instance types, families,
    /// regions, zones.
    Name,
    /// [`Grammar::Name`] plus `+`: GPU and accelerator models.
    Model,
    /// Letters (any script), digits, spaces and `(),.-'/&`: display names
    /// such as `Asia Pacific (Hong Kong)` or `Brazil South (São Paulo)`.
    Display,
}

impl Grammar {
    fn allows(self, s: &str) -> bool {
        let max = if self == Grammar::Display {
            MAX_DISPLAY
        } else {
            MAX_NAME
        };
        if s.is_empty() || s.len() > max {
            return false;
        }
        let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        match self {
            Grammar::Name => {
                s.starts_with(|c: char| c.is_ascii_alphanumeric()) && s.chars().all(name_char)
            }
            Grammar::Model => {
                s.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && s.chars().all(|c| name_char(c) || c == '+')
            }
            Grammar::Display => {
                !s.starts_with(' ')
                    && !s.ends_with(' ')
                    && s.chars().all(|c| {
                        c.is_alphanumeric()
                            || matches!(c, ' ' | '(' | ')' | ',' | '.' | '-' | '\'' | '/' | '&')
                    })
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Grammar::Name => {
                "letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 96 characters"
            }
            Grammar::Model => {
                "letters, digits, `.`, `_`, `-` and `+`, starting with a letter or digit, at most 96 characters"
            }
            Grammar::Display => "letters, digits, spaces and `(),.-'/&`, at most 128 characters",
        }
    }
}

/// A catalogue string outside its grammar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadString {
    /// The provider of the row.
    pub provider: Provider,
    /// Which row: `row 3 (instance type "g5.xlarge", region "us-east-1")`.
    pub row: String,
    /// The field, e.g. `instance_type`.
    pub field: &'static str,
    /// The value, quoted and escaped (safe to print), shortened.
    pub value: String,
    grammar: Grammar,
}

impl fmt::Display for BadString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: `{}` {} is not allowed (expected {})",
            self.provider,
            self.row,
            self.field,
            self.value,
            self.grammar.describe()
        )
    }
}

impl std::error::Error for BadString {}

/// `s` as a printable, escaped, quoted and shortened string.
pub fn quoted(s: &str) -> String {
    let short: String = s.chars().take(60).collect();
    let mut q = format!("{:?}", short);
    if short.len() < s.len() {
        q.push('…');
    }
    q
}

fn check(
    provider: Provider,
    row: &dyn Fn() -> String,
    field: &'static str,
    value: &str,
    grammar: Grammar,
) -> Result<(), BadString> {
    if grammar.allows(value) {
        return Ok(());
    }
    Err(BadString {
        provider,
        row: row(),
        field,
        value: quoted(value),
        grammar,
    })
}

/// Checks every string of a row of `provider`; `index` is its position
/// (from 1) in the file or response.
pub fn check_row(provider: Provider, index: usize, r: &Row) -> Result<(), BadString> {
    let row = || {
        if Grammar::Name.allows(&r.instance_type) {
            format!("row {index} (instance type {})", r.instance_type)
        } else {
            format!("row {index}")
        }
    };
    check(
        provider,
        &row,
        "instance_type",
        &r.instance_type,
        Grammar::Name,
    )?;
    if !r.family.is_empty() {
        check(provider, &row, "family", &r.family, Grammar::Name)?;
    }
    check(provider, &row, "region", &r.region, Grammar::Name)?;
    if let Some(m) = &r.gpu_model {
        check(provider, &row, "gpu_model", m, Grammar::Model)?;
    }
    Ok(())
}

/// Checks every string of a region of `provider`; `index` is its position
/// (from 1) in the list.
pub fn check_region(provider: Provider, index: usize, r: &Region) -> Result<(), BadString> {
    let row = || format!("region {index} ({})", quoted(&r.code));
    check(provider, &row, "code", &r.code, Grammar::Name)?;
    if let Some(d) = &r.display_name {
        check(provider, &row, "display_name", d, Grammar::Display)?;
    }
    for z in &r.zones {
        check(provider, &row, "zones", z, Grammar::Name)?;
    }
    Ok(())
}

/// Checks rows and regions of `provider` (the first bad string).
pub fn check_all(provider: Provider, rows: &[Row], regions: &[Region]) -> Result<(), BadString> {
    for (i, r) in rows.iter().enumerate() {
        check_row(provider, i + 1, r)?;
    }
    for (i, r) in regions.iter().enumerate() {
        check_region(provider, i + 1, r)?;
    }
    Ok(())
}

/// Checks region codes given as a list (`fetched_regions`, `requested_regions`).
pub fn check_codes(provider: Provider, what: &str, codes: &[String]) -> Result<(), BadString> {
    for (i, c) in codes.iter().enumerate() {
        let row = || format!("{what} entry {}", i + 1);
        check(provider, &row, "region", c, Grammar::Name)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Catalogue, Filter};

    #[test]
    fn the_embedded_catalogue_obeys_the_grammar() {
        let c = Catalogue::embedded();
        for p in Provider::ALL {
            let rows = c.list(&Filter {
                providers: vec![p],
                ..Filter::default()
            });
            check_all(p, &rows, c.regions(p)).unwrap();
        }
    }

    #[test]
    fn hostile_strings_are_refused() {
        for bad in [
            "g5.x\nconfig PWN",
            "$(shell,touch /tmp/x)",
            "a\"b",
            "a\\b",
            "source \"x\"",
            "",
            "-x",
            "a b",
        ] {
            assert!(!Grammar::Name.allows(bad), "{bad:?}");
        }
        assert!(Grammar::Display.allows("Brazil South (São Paulo)"));
        assert!(!Grammar::Display.allows("US\nconfig X"));
        assert!(!Grammar::Display.allows("$(shell,id)"));
        assert!(Grammar::Model.allows("a100-80gb"));
    }
}
