//! Stage 7b — check: compare the plan with the files on disk (drift, missing,
//! stale, hand edits) and run the cross-checks between artefacts.
//!
//! Rendering happens in memory only; nothing is written.
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diag::{Diagnostic, Span};
use crate::render::{GENERATED_MARKER, Plan};

mod compose;
mod secrets;
mod terraform;

pub use secrets::secret_values;

/// What kind of problem `check` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Config does not load or validate.
    Invalid,
    /// A generated file differs from what config produces (config changed, or a hand edit).
    Drift,
    /// A generated file does not exist.
    Missing,
    /// A file carries devgen's header but no longer is produced.
    Stale,
    /// A Compose variable without default that an env file does not provide.
    ComposeVariable,
    /// A tfvars key undeclared, of the wrong type, or a required variable missing.
    Terraform,
    /// A secret value found in a file, or secrets.yaml not git-ignored.
    Secret,
}

/// One problem found by `check`.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    /// Problem kind.
    pub kind: Kind,
    /// File concerned (relative to the project root).
    pub file: Option<String>,
    /// Line in that file.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Config path, for config problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Unified diff (on disk → expected), for drift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Profile concerned, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl Problem {
    /// A problem of `kind` about `file`.
    pub fn new(
        kind: Kind,
        file: Option<String>,
        line: Option<u32>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            kind,
            file,
            line,
            message: message.into(),
            hint: None,
            path: None,
            diff: None,
            profile: None,
        }
    }

    /// Attach a hint.
    pub fn with_hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }

    /// From a config diagnostic.
    pub fn from_diag(d: &Diagnostic) -> Self {
        Problem {
            kind: Kind::Invalid,
            file: d.span.as_ref().map(|s| s.file.to_string()),
            line: d.span.as_ref().map(|s| s.line),
            message: d.message.clone(),
            hint: d.hint.clone(),
            path: d.path.clone(),
            diff: None,
            profile: None,
        }
    }

    /// As a diagnostic for text output (the diff is printed separately).
    pub fn to_diag(&self) -> Diagnostic {
        let mut d = Diagnostic::error(self.message.clone());
        if self.kind == Kind::Secret {
            // Never echo the line: it holds the secret value.
            if let Some(f) = &self.file {
                let at = self.line.map_or(f.clone(), |l| format!("{f}:{l}"));
                d = d.with_note(format!("in {at} (line not shown: it holds a secret)"));
            }
        } else if let (Some(f), Some(l)) = (&self.file, self.line) {
            d = d.with_span(Some(Span::new(f.as_str().into(), l, 1, 1)));
        } else if let Some(f) = &self.file {
            d = d.with_note(format!("file: {f}"));
        }
        if let Some(p) = &self.path {
            d = d.with_path(p.clone());
        }
        if let Some(h) = &self.hint {
            d = d.with_hint(h.clone());
        }
        d
    }
}

/// Whether `text` starts with a devgen header (within its first lines).
pub fn is_generated(text: &str) -> bool {
    text.lines().take(6).any(|l| l.contains(GENERATED_MARKER))
}

/// Compare every planned file with the disk under `root`.
pub fn drift(plan: &Plan, root: &Path) -> Vec<Problem> {
    let mut out = Vec::new();
    for (rel, f) in &plan.files {
        let shown = rel.display().to_string();
        let sources = describe_sources(&f.bytes);
        match std::fs::read(root.join(rel)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut p = Problem::new(
                    Kind::Missing,
                    Some(shown.clone()),
                    None,
                    format!("{shown} is missing"),
                )
                .with_hint(format!("run `{}`", f.regenerate));
                p.profile = f.profile.clone();
                out.push(p);
            }
            Err(e) => out.push(Problem::new(
                Kind::Missing,
                Some(shown.clone()),
                None,
                format!("cannot read {shown}: {e}"),
            )),
            Ok(old) if old == f.bytes => {}
            Ok(old) => {
                let old_text = String::from_utf8_lossy(&old);
                let new_text = String::from_utf8_lossy(&f.bytes);
                let line = first_changed_line(&old_text, &new_text);
                let diff = similar::TextDiff::from_lines(old_text.as_ref(), new_text.as_ref())
                    .unified_diff()
                    .context_radius(2)
                    .header(
                        &format!("{shown} (on disk)"),
                        &format!("{shown} (from config)"),
                    )
                    .to_string();
                let mut p = Problem::new(
                    Kind::Drift,
                    Some(shown.clone()),
                    Some(line),
                    format!("{shown} has drifted from the config"),
                )
                .with_hint(format!(
                    "this file is generated from {sources}: if the config changed, run `{}`; if you edited this file by hand, edit the config instead",
                    f.regenerate
                ));
                p.diff = Some(diff);
                p.profile = f.profile.clone();
                out.push(p);
            }
        }
    }
    out
}

fn describe_sources(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(600)]);
    text.lines()
        .take(6)
        .find_map(|l| l.split_once("Source: ").map(|(_, s)| s.trim().to_string()))
        .unwrap_or_else(|| "config/".to_string())
}

fn first_changed_line(a: &str, b: &str) -> u32 {
    let mut n = 1;
    let mut la = a.lines();
    let mut lb = b.lines();
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (None, None) => return 1,
            _ => return n,
        }
    }
}

/// Files under `dirs` that carry the devgen header but are not in the plan.
pub fn stale(plan: &Plan, root: &Path, dirs: &[PathBuf]) -> Vec<Problem> {
    let mut out = Vec::new();
    for dir in dirs {
        let abs = root.join(dir);
        if !abs.is_dir() {
            continue;
        }
        for e in walkdir::WalkDir::new(&abs)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if !e.file_type().is_file() {
                continue;
            }
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap_or(e.path())
                .to_path_buf();
            if plan.files.contains_key(&rel) {
                continue;
            }
            let Ok(bytes) = std::fs::read(e.path()) else {
                continue;
            };
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
            if is_generated(&head) {
                let shown = rel.display().to_string();
                out.push(
                    Problem::new(Kind::Stale, Some(shown.clone()), None, format!("{shown} was generated by devgen but no config produces it any more"))
                        .with_hint(format!("delete it (`git rm {shown}`), or restore the profile/target that produced it")),
                );
            }
        }
    }
    out
}

/// Run every cross-check.
pub fn cross_checks(
    plan: &Plan,
    root: &Path,
    profiles: &[String],
    secret_names: &[String],
) -> Vec<Problem> {
    let mut out = Vec::new();
    out.extend(compose::check(plan, root, profiles));
    out.extend(terraform::check(plan, root));
    out.extend(secrets::check(plan, root, secret_names));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_line() {
        assert_eq!(first_changed_line("a\nb\nc\n", "a\nx\nc\n"), 2);
        assert_eq!(first_changed_line("a\n", "a\nb\n"), 2);
        assert!(is_generated("# Generated by devgen — do not edit\nA=1\n"));
        assert!(!is_generated("A=1\n"));
    }
}
