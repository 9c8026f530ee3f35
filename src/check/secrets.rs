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

/// Run the secret checks.
pub fn check(plan: &Plan, root: &Path, names: &[String]) -> Vec<Problem> {
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
    if let Some(problem) = secrets_file_not_ignored(root) {
        out.push(problem);
    }
    out
}

fn secrets_file_not_ignored(root: &Path) -> Option<Problem> {
    let inside = std::process::Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(root)
        .output()
        .ok()?;
    if !inside.status.success() {
        return None;
    }
    let ignored = std::process::Command::new("git")
        .args(["check-ignore", "-q", "config/secrets.yaml"])
        .current_dir(root)
        .status()
        .ok()?;
    if ignored.success() {
        return None;
    }
    Some(
        Problem::new(
            Kind::Secret,
            Some(".gitignore".into()),
            None,
            "config/secrets.yaml is not git-ignored",
        )
        .with_hint("add `config/secrets.yaml` to .gitignore so secret values are never committed"),
    )
}
