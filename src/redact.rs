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

pub use crate::needles::Needles;

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
    use crate::needles::encodings;

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
