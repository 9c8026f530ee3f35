//! Cross-check: no secret value appears in any config or generated file, and
//! `config/secrets.yaml` is git-ignored when the project is a git repository.
use std::path::Path;

use super::{Kind, Problem};
use crate::needles::Needles;
use crate::plan::Plan;

/// The git-ignored file of secret values.
pub const SECRETS_FILE: &str = "config/secrets.yaml";

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
    if let Ok(Some(m)) = load_secrets_file(root) {
        for (k, v) in m {
            if let Some(s) = scalar_text(&v)
                && s.len() >= MIN_SECRET_LEN
                && !out.iter().any(|(_, x)| *x == s)
            {
                out.push((k, s));
            }
        }
    }
    out
}

/// `config/secrets.yaml` as a map (`None`: no such file, or not a map),
/// loaded by the same guarded loader as every config file (size, depth,
/// alias and value limits; no link, no special file); why it does not load.
pub fn load_secrets_file(
    root: &Path,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, crate::diag::Diagnostic> {
    match crate::safe_fs::check_dirs(root, Path::new(SECRETS_FILE)) {
        Ok(()) => {}
        Err(e) if e.is_missing() => return Ok(None),
        Err(e) => {
            return Err(crate::diag::Diagnostic::error(format!(
                "cannot read {SECRETS_FILE}: {e}"
            )));
        }
    }
    let path = root.join(SECRETS_FILE);
    if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(None);
    }
    match crate::load::load_file(&path, SECRETS_FILE)?.value {
        serde_json::Value::Object(m) => Ok(Some(m)),
        _ => Ok(None),
    }
}

/// The problem of a `config/secrets.yaml` that does not load: its message
/// only (never a line of it: the line may hold a secret value).
fn secrets_file_problem(root: &Path) -> Option<Problem> {
    let d = load_secrets_file(root).err()?;
    Some(
        Problem::new(Kind::Invalid, Some(SECRETS_FILE.into()), None, d.message).with_hint(
            "config/secrets.yaml is read like every config file: plain YAML, NAME: value",
        ),
    )
}

/// A secret value as text: strings as they are, numbers and booleans as
/// YAML writes them (`987654321012`, `true`); lists, maps and null are not
/// secret values.
fn scalar_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A problem for each secret whose value appears in `text` (of `file`), in
/// any encoding a target writes it in (see [`Needles`]).
pub fn scan(text: &str, file: &str, secrets: &Needles, out: &mut Vec<Problem>) {
    for (name, pos) in secrets.find_all(text) {
        let line = text[..pos].matches('\n').count() as u32 + 1;
        out.push(
            Problem::new(Kind::Secret, Some(file.to_string()), Some(line), format!("the value of secret `{name}` appears in {file}"))
                .with_hint("remove it: secret values live only in the environment or the git-ignored config/secrets.yaml"),
        );
    }
}

/// Whether `config/secrets.yaml` is git-ignored, being found out by git
/// itself (`git check-ignore`, started at once and waited for later, so that
/// it runs while the config is rendered and compared). devgen reads no
/// repository file (index, ignore rules, configuration) itself: git knows
/// every layout (worktrees, submodules, sparse and split indexes, includes,
/// `GIT_*` variables) and devgen would have to follow each.
pub enum IgnoreProbe {
    /// `git check-ignore -q config/secrets.yaml`, running.
    Git(std::process::Child),
    /// `git` did not start.
    NoGit,
}

/// The answer: a problem when the file is not ignored, and what `git`
/// wrote to stderr (shown with the answer, where the check used to let it
/// through).
pub struct Ignored {
    problem: Option<Problem>,
    stderr: Vec<u8>,
}

impl IgnoreProbe {
    /// Start finding out about the project at `root`.
    pub fn start(root: &Path) -> IgnoreProbe {
        use std::process::{Command, Stdio};
        // Asked from `config/`: git then answers for the repository that
        // holds the file (a submodule or nested repository at `config/`
        // included), as `git status` would.
        if !root.join("config").is_dir() {
            return IgnoreProbe::NoGit;
        }
        match Command::new("git")
            .args(["check-ignore", "-q", "secrets.yaml"])
            .current_dir(root.join("config"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => IgnoreProbe::Git(child),
            Err(_) => IgnoreProbe::NoGit,
        }
    }

    /// Wait for the answer.
    pub fn wait(self, root: &Path) -> Ignored {
        let first = match self {
            IgnoreProbe::Git(child) => child.wait_with_output().ok(),
            IgnoreProbe::NoGit => None,
        };
        let (problem, stderr) = secrets_file_not_ignored(root, first);
        Ignored { problem, stderr }
    }
}

impl Ignored {
    /// The problem, if any; what `git` wrote to stderr is written now.
    pub fn report(self) -> Option<Problem> {
        if !self.stderr.is_empty() {
            crate::output::stderr(&String::from_utf8_lossy(&self.stderr));
        }
        self.problem
    }
}

/// Run the secret checks.
pub fn check(plan: &Plan, root: &Path, names: &[String], ignored: Ignored) -> Vec<Problem> {
    let mut out: Vec<Problem> = secrets_file_problem(root).into_iter().collect();
    let secrets = Needles::new(&secret_values(root, names));
    if !secrets.is_empty() {
        for (rel, f) in &plan.files {
            scan(
                &String::from_utf8_lossy(&f.bytes),
                &rel.display().to_string(),
                &secrets,
                &mut out,
            );
        }
        scan_config(root, &secrets, &mut out);
    }
    if let Some(problem) = ignored.report() {
        out.push(problem);
    }
    out
}

/// [`scan`] of every file under `config/` but `config/secrets.yaml`.
pub fn scan_config(root: &Path, secrets: &Needles, out: &mut Vec<Problem>) {
    for e in walkdir::WalkDir::new(root.join("config"))
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let p = e.path();
        if !e.file_type().is_file() || p.ends_with("config/secrets.yaml") {
            continue;
        }
        if let Ok(text) = crate::safe_fs::read_to_string(p, crate::load::MAX_FILE_BYTES) {
            scan(
                &text,
                &p.strip_prefix(root).unwrap_or(p).display().to_string(),
                secrets,
                out,
            );
        }
    }
}

/// Whether `config/secrets.yaml` is not git-ignored in a git work tree,
/// and what `git` wrote to stderr that the user should see, given how
/// `git check-ignore -q config/secrets.yaml` ended (`first`; `None`: it
/// did not run).
///
/// That one `git check-ignore` answers in the usual cases: it exits 0
/// (ignored) or 1 (not ignored) only inside a work tree. Anything else (not
/// a repository, no `git`, …) asks the two questions one at a time:
/// `git rev-parse --is-inside-work-tree`, then `git check-ignore`.
fn secrets_file_not_ignored(
    root: &Path,
    first: Option<std::process::Output>,
) -> (Option<Problem>, Vec<u8>) {
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
    let config = root.join("config");
    if !config.is_dir() {
        return (None, Vec::new());
    }
    let check_ignore = || {
        Command::new("git")
            .args(["check-ignore", "-q", "secrets.yaml"])
            .current_dir(&config)
            .stdin(Stdio::null())
            .output()
    };
    if let Some(o) = first {
        match o.status.code() {
            Some(0) => return (None, o.stderr),
            Some(1) => return (Some(problem()), o.stderr),
            _ => {}
        }
    }
    let Ok(inside) = Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(&config)
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
