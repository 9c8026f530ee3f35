//! Cross-check: no secret value appears in any config or generated file, and
//! `config/secrets.yaml` is git-ignored when the project is a git repository.
use std::path::Path;

use super::{Kind, Problem};
use crate::render::Plan;

/// Shortest value treated as a secret (shorter ones match too much by chance).
const MIN_SECRET_LEN: usize = 6;

/// Secret values known to this run: from the environment (for each secret
/// name) and from `config/secrets.yaml`, as (name, value).
pub fn secret_values(root: &Path, names: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for n in names {
        if let Ok(v) = std::env::var(n)
            && v.len() >= MIN_SECRET_LEN
        {
            out.push((n.clone(), v));
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("config/secrets.yaml"))
        && let Ok(serde_json::Value::Object(m)) = serde_yaml::from_str::<serde_json::Value>(&text)
    {
        for (k, v) in m {
            if let Some(s) = v.as_str()
                && s.len() >= MIN_SECRET_LEN
                && !out.iter().any(|(_, x)| x == s)
            {
                out.push((k, s.to_string()));
            }
        }
    }
    out
}

fn scan(text: &str, file: &str, secrets: &[(String, String)], out: &mut Vec<Problem>) {
    for (name, value) in secrets {
        if let Some(pos) = text.find(value.as_str()) {
            let line = text[..pos].matches('\n').count() as u32 + 1;
            out.push(
                Problem::new(Kind::Secret, Some(file.to_string()), Some(line), format!("the value of secret `{name}` appears in {file}"))
                    .with_hint("remove it: secret values live only in the environment or the git-ignored config/secrets.yaml"),
            );
        }
    }
}

/// Whether `config/secrets.yaml` is git-ignored: certainly, as far as the
/// project's files tell (see [`super::gitignore`]), or else asked of `git`
/// on a thread of its own as soon as `check` starts, so that the `git`
/// process runs while the config is rendered and compared.
pub struct IgnoreProbe(Option<std::thread::JoinHandle<(Option<Problem>, Vec<u8>)>>);

impl IgnoreProbe {
    /// Start asking about the project at `root`.
    pub fn start(root: &Path) -> IgnoreProbe {
        if super::gitignore::certainly_ignored(root) {
            return IgnoreProbe(None);
        }
        let root = root.to_path_buf();
        IgnoreProbe(Some(std::thread::spawn(move || {
            secrets_file_not_ignored(&root)
        })))
    }

    /// The answer: a problem when the file is not ignored. What `git` wrote
    /// to stderr where the check used to let it through is written now.
    pub fn finish(self) -> Option<Problem> {
        let (problem, stderr) = match self.0?.join() {
            Ok(answer) => answer,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if !stderr.is_empty() {
            use std::io::Write as _;
            let _ = std::io::stderr().write_all(&stderr);
        }
        problem
    }

    /// Wait for `git` without using its answer (no `git` process outlives
    /// the check).
    pub fn finish_quietly(self) {
        if let Some(asked) = self.0 {
            let _ = asked.join();
        }
    }
}

/// Run the secret checks.
pub fn check(plan: &Plan, root: &Path, names: &[String], probe: IgnoreProbe) -> Vec<Problem> {
    let mut out = Vec::new();
    let secrets = secret_values(root, names);
    if !secrets.is_empty() {
        for (rel, f) in &plan.files {
            scan(
                &String::from_utf8_lossy(&f.bytes),
                &rel.display().to_string(),
                &secrets,
                &mut out,
            );
        }
        for e in walkdir::WalkDir::new(root.join("config"))
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            let p = e.path();
            if !e.file_type().is_file() || p.ends_with("config/secrets.yaml") {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(p) {
                scan(
                    &text,
                    &p.strip_prefix(root).unwrap_or(p).display().to_string(),
                    &secrets,
                    &mut out,
                );
            }
        }
    }
    if let Some(problem) = probe.finish() {
        out.push(problem);
    }
    out
}

/// Whether `config/secrets.yaml` is not git-ignored in a git work tree,
/// and what `git` wrote to stderr that the user should see.
///
/// One `git check-ignore` answers in the usual cases: it exits 0 (ignored)
/// or 1 (not ignored) only inside a work tree. Anything else (not a
/// repository, no `git`, …) asks the two questions one at a time:
/// `git rev-parse --is-inside-work-tree`, then `git check-ignore`.
fn secrets_file_not_ignored(root: &Path) -> (Option<Problem>, Vec<u8>) {
    use std::process::{Command, Stdio};
    let problem = || {
        Problem::new(
            Kind::Secret,
            Some(".gitignore".into()),
            None,
            "config/secrets.yaml is not git-ignored",
        )
        .with_hint("add `config/secrets.yaml` to .gitignore so secret values are never committed")
    };
    let check_ignore = || {
        Command::new("git")
            .args(["check-ignore", "-q", "config/secrets.yaml"])
            .current_dir(root)
            .stdin(Stdio::null())
            .output()
    };
    if let Ok(o) = check_ignore() {
        match o.status.code() {
            Some(0) => return (None, o.stderr),
            Some(1) => return (Some(problem()), o.stderr),
            _ => {}
        }
    }
    let Ok(inside) = Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(root)
        .output()
    else {
        return (None, Vec::new());
    };
    if !inside.status.success() {
        return (None, Vec::new());
    }
    match check_ignore() {
        Ok(o) if o.status.success() => (None, o.stderr),
        Ok(o) => (Some(problem()), o.stderr),
        Err(_) => (None, Vec::new()),
    }
}
