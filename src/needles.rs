//! The forms a secret value takes in every format devgen writes and prints
//! ([`encodings`]) and the matcher over them ([`Needles`]): one matcher for
//! the output layer's redaction (`crate::redact`) and check's secret scan,
//! below both.
use std::borrow::Cow;

/// The encoded forms of every known secret value.
#[derive(Debug, Default)]
pub struct Needles {
    /// (encoded value, index of its secret's name), longest first.
    items: Vec<(String, usize)>,
    /// Secret names.
    names: Vec<String>,
}

/// Strips the surrounding quotes of a quoted form.
fn inner(quoted: String) -> String {
    let t = quoted.strip_prefix('"').unwrap_or(&quoted);
    let t = t.strip_suffix('"').unwrap_or(t);
    t.to_string()
}

/// Every form `value` takes in the formats devgen writes and prints.
pub fn encodings(value: &str) -> Vec<String> {
    let json = |s: &str| inner(serde_json::to_string(s).unwrap_or_default());
    let base = [
        value.to_string(),
        json(value),
        inner(format!("{value:?}")),
        inner(crate::emit::yaml::quote(value)),
        value.replace('\'', "''"),
        inner(crate::emit::hcl::string(value)),
        inner(crate::emit::quote::dotenv_quote(value)),
        inner(crate::emit::quote::kconfig_quote(value)),
    ];
    let mut out: Vec<String> = Vec::with_capacity(base.len() * 2);
    for b in base {
        let j = json(&b);
        for e in [b, j] {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}

impl Needles {
    /// The needles of `(name, value)` pairs.
    pub fn new(secrets: &[(String, String)]) -> Needles {
        let mut items = Vec::new();
        let mut names = Vec::new();
        for (name, value) in secrets {
            let i = names.len();
            names.push(name.clone());
            for e in encodings(value) {
                if !e.is_empty() {
                    items.push((e, i));
                }
            }
        }
        items.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        items.dedup_by(|b, a| a.0 == b.0);
        Needles { items, names }
    }

    /// Whether no secret is known.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Each secret found in `text` (in any encoding), once, with the byte
    /// offset of its first occurrence, in order of names.
    pub fn find_all(&self, text: &str) -> Vec<(&str, usize)> {
        let mut first: Vec<Option<usize>> = vec![None; self.names.len()];
        for (needle, i) in &self.items {
            if let Some(pos) = text.find(needle.as_str())
                && first[*i].is_none_or(|p| pos < p)
            {
                first[*i] = Some(pos);
            }
        }
        first
            .into_iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| (self.names[i].as_str(), p)))
            .collect()
    }

    /// `text` with every occurrence of every encoded secret replaced by
    /// `<redacted:NAME>`.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out: Cow<'a, str> = Cow::Borrowed(text);
        for (needle, i) in &self.items {
            if out.contains(needle.as_str()) {
                let with = format!("<redacted:{}>", self.names[*i]);
                out = Cow::Owned(out.replace(needle.as_str(), &with));
            }
        }
        out
    }
}
