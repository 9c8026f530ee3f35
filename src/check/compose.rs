//! Cross-check: every `${VAR}` without a default in `deploy/compose/*.yml` is
//! provided by each profile's generated env file.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Kind, Problem};
use crate::plan::Plan;

/// Compose files to scan (none when `deploy/compose` is reached through a
/// symbolic link).
fn compose_files(root: &Path) -> Vec<PathBuf> {
    if crate::safe_fs::check_dirs(root, Path::new("deploy/compose/x")).is_err() {
        return Vec::new();
    }
    let dir = root.join("deploy/compose");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `(name, line)` of every variable used without a default.
pub fn required_variables(text: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let b = line.as_bytes();
        let mut j = 0;
        while j < b.len() {
            if b[j] != b'$' {
                j += 1;
                continue;
            }
            if b.get(j + 1) == Some(&b'$') {
                j += 2; // `$$` is a literal dollar
                continue;
            }
            if b.get(j + 1) == Some(&b'{') {
                let rest = &line[j + 2..];
                let end = rest.find('}').unwrap_or(rest.len());
                let inner = &rest[..end];
                let name_len = inner
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(inner.len());
                let name = &inner[..name_len];
                let op = &inner[name_len..];
                // `${X:-d}`, `${X-d}`, `${X:+a}`, `${X+a}` have defaults; `${X}`, `${X:?e}`, `${X?e}` do not.
                let has_default = op.starts_with(":-")
                    || op.starts_with('-')
                    || op.starts_with(":+")
                    || op.starts_with('+');
                if !name.is_empty() && !has_default {
                    out.push((name.to_string(), i as u32 + 1));
                }
                j += 2 + end;
            } else {
                let rest = &line[j + 1..];
                let name_len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if name_len > 0
                    && (rest.as_bytes()[0].is_ascii_alphabetic() || rest.starts_with('_'))
                {
                    out.push((rest[..name_len].to_string(), i as u32 + 1));
                }
                j += 1 + name_len;
            }
        }
    }
    out
}

/// Keys defined by a dotenv text.
pub fn env_keys(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            if l.starts_with('#') || l.is_empty() {
                return None;
            }
            let l = l.strip_prefix("export ").unwrap_or(l);
            let key = l.split(['=', ':']).next()?.trim();
            (!key.is_empty() && !key.contains(' ')).then(|| key.to_string())
        })
        .collect()
}

/// Run the check for each profile whose env file is in the plan.
pub fn check(plan: &Plan, root: &Path, profiles: &[String]) -> Vec<Problem> {
    let files = compose_files(root);
    if files.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut scanned: Vec<(String, Vec<(String, u32)>)> = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
        match crate::safe_fs::read_to_string(f, crate::safe_fs::MAX_READ_BYTES) {
            Ok(text) => scanned.push((rel, required_variables(&text))),
            Err(e) if e.is_refusal() => out.push(super::unsafe_path(&rel, &e)),
            Err(_) => {}
        }
    }
    for profile in profiles {
        let env_rel = PathBuf::from(format!("deploy/compose/{profile}.env"));
        let Some(env) = plan.files.get(&env_rel) else {
            continue;
        };
        let keys = env_keys(&String::from_utf8_lossy(&env.bytes));
        for (file, vars) in &scanned {
            for (name, line) in vars {
                if !keys.contains(name) {
                    let mut p = Problem::new(
                        Kind::ComposeVariable,
                        Some(file.clone()),
                        Some(*line),
                        format!("`${{{name}}}` has no default and {} does not set it", env_rel.display()),
                    )
                    .with_hint(format!("give it a default (`${{{name}:-…}}`) or add it to the config so the env file provides it"));
                    p.profile = Some(profile.clone());
                    out.push(p);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_variables_without_defaults() {
        let t = "image: ${IMG}\nports: [\"${P:-80}:80\"]\ncmd: $$HOME $USER ${REQ:?set it} ${ALT-x}\n# ${COMMENTED}\n";
        let v: Vec<String> = required_variables(t).into_iter().map(|(n, _)| n).collect();
        assert_eq!(v, ["IMG", "USER", "REQ"]);
    }

    #[test]
    fn reads_env_keys() {
        let k = env_keys("# c\nA=1\nexport B=\"x\"\n\nC='y'\n");
        assert_eq!(k.into_iter().collect::<Vec<_>>(), ["A", "B", "C"]);
    }
}
