//! Secret values never reach the terminal: the one redaction layer every
//! output of devgen passes through ([`crate::commands::out`] and
//! [`crate::commands::err`]), and the one matcher the secret scan of
//! `devgen check` uses.
//!
//! A secret is known by its value in the environment (for each name in
//! `secrets:` or `config/secrets.example.yaml`) or in `config/secrets.yaml`
//! (numbers and booleans as their text). It is looked for in every encoding
//! a target or an output writes it in: raw, JSON- and Rust-escaped,
//! YAML double- and single-quoted, HCL-, dotenv- and Kconfig-escaped, and
//! each of those once more JSON-escaped (a drift diff of an HCL file inside
//! `check --format json`). Every occurrence is replaced by
//! `<redacted:NAME>`. Values shorter than 6 characters are not secrets
//! (they would match by chance).
//!
//! Credentials in URLs (`scheme://user:pass@host`, `?token=…`) are
//! redacted by the same layer (see [`crate::catalogue::update::http::redact_urls`]).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::render::filters;

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
        inner(filters::dotenv_quote(value)),
        inner(filters::kconfig_quote(value)),
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

/// What the output layer knows: the project and the secret names seen.
struct State {
    root: Option<PathBuf>,
    names: Vec<String>,
    built: Option<Arc<Needles>>,
}

static STATE: Mutex<State> = Mutex::new(State {
    root: None,
    names: Vec::new(),
    built: None,
});

/// Tells the output layer about the project at `root` and secret names
/// (from `secrets:` and `config/secrets.example.yaml`); values are looked
/// up on the next output.
pub fn watch(root: &Path, names: impl IntoIterator<Item = String>) {
    let mut s = STATE.lock().unwrap_or_else(|e| e.into_inner());
    if s.root.as_deref() != Some(root) {
        s.root = Some(root.to_path_buf());
        s.built = None;
    }
    for n in names {
        if !s.names.contains(&n) {
            s.names.push(n);
            s.built = None;
        }
    }
}

/// The needles of the secrets known now (`None`: no project watched).
pub fn current() -> Option<Arc<Needles>> {
    let mut s = STATE.lock().unwrap_or_else(|e| e.into_inner());
    let root = s.root.clone()?;
    if s.built.is_none() {
        let values = crate::check::secret_values(&root, &s.names);
        s.built = Some(Arc::new(Needles::new(&values)));
    }
    s.built.clone()
}

/// `text` as it may be shown: known secret values and URL credentials
/// redacted.
pub fn text(text: &str) -> Cow<'_, str> {
    let urls = crate::catalogue::update::http::redact_urls(text);
    match current() {
        Some(n) if !n.is_empty() => match urls {
            Cow::Borrowed(t) => n.redact(t),
            Cow::Owned(t) => Cow::Owned(n.redact(&t).into_owned()),
        },
        _ => urls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_is_redacted() {
        let v = "pa\"ss\\w${rd}$'x";
        let n = Needles::new(&[("TOKEN".to_string(), v.to_string())]);
        for e in encodings(v) {
            let text = format!("before {e} after");
            assert_eq!(n.redact(&text), "before <redacted:TOKEN> after", "{e}");
        }
        assert_eq!(
            n.find_all("x = \"pa\\\"ss\\\\w$${rd}$'x\""),
            vec![("TOKEN", 5)]
        );
        assert!(n.find_all("nothing here").is_empty());
    }

    #[test]
    fn longer_secrets_win() {
        let n = Needles::new(&[
            ("A".to_string(), "abcdef".to_string()),
            ("B".to_string(), "abcdefghij".to_string()),
        ]);
        assert_eq!(n.redact("abcdefghij abcdef"), "<redacted:B> <redacted:A>");
    }
}
