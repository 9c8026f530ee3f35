//! Stage 7b — check: compare the plan with the files on disk (drift, missing,
//! stale, hand edits) and run the cross-checks between artefacts.
//!
//! Rendering happens in memory only; nothing is written.
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diag::{Diagnostic, Span};
use crate::plan::{Plan, PlannedFile};
use crate::safe_fs::{MAX_READ_BYTES, ReadError};

mod compose;
mod secrets;
mod terraform;

pub use crate::disk::{PREFETCH_DIR, Prefetch, Snapshot};
pub use crate::plan::is_generated;
pub use secrets::{IgnoreProbe, Ignored, scan as scan_secrets, scan_config, secret_values};
pub use terraform::Parsed;

/// What [`ahead`] found out.
pub struct Ahead {
    /// The `variables.tf` files, parsed.
    parsed: Parsed,
    /// Whether `config/secrets.yaml` is git-ignored.
    ignored: Ignored,
}

/// On a thread of its own, while the plan is rendered: find out whether
/// `config/secrets.yaml` is git-ignored (starting `git` first, when that
/// takes it), decode the provider catalogue (which enrich and kconfig need
/// a few milliseconds later) and parse the config schema (merge and
/// validate), walk `deploy/` of `root`, parse its Terraform variables.
pub fn ahead(root: &Path) -> Prefetch<Ahead> {
    let before = |root: &Path| {
        let probe = IgnoreProbe::start(root);
        crate::catalogue::active();
        // The config schema (parsed once; merge and validate need it).
        crate::schema::schema();
        probe
    };
    Prefetch::start(root, before, |disk, probe| Ahead {
        parsed: terraform::preparse(disk),
        ignored: probe.wait(disk.root()),
    })
}

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
    /// A file devgen reads or writes is a symbolic link, a FIFO, a device,
    /// too large, or reached through a linked directory: refused, unread.
    UnsafePath,
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
    /// Column of that line (1-based), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Other places that take part (e.g. "also set here").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
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
    /// Notes of the diagnostic.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The config diagnostic it came from: text output shows it exactly as
    /// `render` does (column, caret, related locations).
    #[serde(skip)]
    pub diag: Option<Diagnostic>,
}

/// A secondary location of a problem.
#[derive(Clone, Debug, Serialize)]
pub struct Related {
    /// What happens there.
    pub label: String,
    /// File (relative to the project root).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
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
            column: None,
            related: Vec::new(),
            message: message.into(),
            hint: None,
            path: None,
            diff: None,
            profile: None,
            notes: Vec::new(),
            diag: None,
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
            column: d.span.as_ref().map(|s| s.col),
            related: d
                .related
                .iter()
                .map(|(label, s)| Related {
                    label: label.clone(),
                    file: s.file.to_string(),
                    line: s.line,
                    column: s.col,
                })
                .collect(),
            message: d.message.clone(),
            hint: d.hint.clone(),
            path: d.path.clone(),
            diff: None,
            profile: None,
            notes: d.notes.clone(),
            diag: Some(d.clone()),
        }
    }

    /// As a diagnostic for text output (the diff is printed separately).
    pub fn to_diag(&self) -> Diagnostic {
        if let Some(d) = &self.diag {
            return d.clone();
        }
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

/// Compare every planned file with the disk under `root`: each file read
/// into a buffer reused from file to file, in full only where it differs
/// (see [`read_unless_same`]); on two threads when there are many.
pub fn drift(plan: &Plan, root: &Path) -> Vec<Problem> {
    let unread: Vec<(&PathBuf, &PlannedFile)> = plan.files.iter().collect();
    let read = |buf: &mut Vec<u8>, &(rel, f): &(&PathBuf, &PlannedFile)| {
        // What a file under deploy/ is, the walk of deploy/ tells (see
        // `special_files`); elsewhere it is asked.
        // (`deploy/…` by its bytes, else by its components.)
        let typed = rel
            .as_os_str()
            .as_encoded_bytes()
            .strip_prefix(PREFETCH_DIR.as_bytes())
            .is_some_and(|rest| rest.first() == Some(&b'/'))
            || rel.starts_with(PREFETCH_DIR);
        let same = read_unless_same(root, rel, &f.bytes, buf, typed);
        compare(rel, f, same, buf)
    };
    // Only the problems are kept (most files have none: a vector of a
    // `None` per file would be moved and copied for nothing).
    let read_all = |part: &[(&PathBuf, &PlannedFile)]| -> Vec<Problem> {
        let mut buf = Vec::new();
        part.iter().filter_map(|u| read(&mut buf, u)).collect()
    };
    if unread.len() >= 200 {
        // Two threads, each through its own buffer (for fewer files, a
        // thread costs about what it saves).
        let (first, second) = unread.split_at(unread.len() / 2);
        std::thread::scope(|s| {
            let other = s.spawn(|| read_all(first));
            let second = read_all(second);
            let mut all = match other.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            all.extend(second);
            all
        })
    } else {
        read_all(&unread)
    }
}

/// The problem with one planned file, if any, given whether the file on
/// disk is the same and, when it is not, its content `old`.
fn compare(
    rel: &Path,
    f: &PlannedFile,
    same: Result<bool, ReadError>,
    old: &[u8],
) -> Option<Problem> {
    let shown = || rel.display().to_string();
    match same {
        Err(ReadError::Missing) => {
            let shown = shown();
            let mut p = Problem::new(
                Kind::Missing,
                Some(shown.clone()),
                None,
                format!("{shown} is missing"),
            )
            .with_hint(format!("run `{}`", f.regenerate));
            p.profile = f.profile.clone();
            Some(p)
        }
        Err(e) if e.is_refusal() => Some(unsafe_path(&shown(), &e)),
        Err(e) => {
            let shown = shown();
            Some(Problem::new(
                Kind::Missing,
                Some(shown.clone()),
                None,
                format!("cannot read {shown}: {e}"),
            ))
        }
        Ok(true) => None,
        Ok(false) => {
            let shown = shown();
            let sources = describe_sources(&f.bytes);
            let old_text = String::from_utf8_lossy(old);
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
            Some(p)
        }
    }
}

/// The problem of a file devgen refuses to read (`e` says why); its
/// content, or its link's target, is never shown.
pub fn unsafe_path(shown: &str, e: &ReadError) -> Problem {
    Problem::new(
        Kind::UnsafePath,
        Some(shown.to_string()),
        None,
        format!("refusing to read {shown}: {e}"),
    )
    .with_hint(format!(
        "replace {shown} with a regular file (or remove it and run `devgen render`)"
    ))
}

/// Whether the file `rel` under `root` holds exactly `expected`; when it
/// does not, `buf` holds its whole content afterwards. The file is read
/// as [`crate::safe_fs`] reads (no link, no special file, bounded).
///
/// A file that turns out the same costs an `open` (no link followed, no
/// blocking), a `read` of `expected.len() + 1` bytes, the `read` that finds
/// its end and a `close`: no `stat`, no growing reads, and `buf` is reused
/// from call to call (it is only zeroed where it grows). Whether it is a
/// regular file is asked (`fstat`) before anything more is read or
/// returned, and for a file that is the same unless `typed` (the caller
/// knows its type otherwise: [`special_files`]); a read of
/// `expected.len() + 1` bytes is bounded and shows nothing, whatever the
/// file is.
pub fn read_unless_same(
    root: &Path,
    rel: &Path,
    expected: &[u8],
    buf: &mut Vec<u8>,
    typed: bool,
) -> Result<bool, ReadError> {
    use std::io::Read as _;
    crate::safe_fs::check_dirs(root, rel)?;
    let file = crate::safe_fs::open_no_follow(&root.join(rel))?;
    let mut file = file.take(MAX_READ_BYTES + 1);
    let same = read_head_into(&mut file, expected, buf);
    if !(typed && matches!(same, Ok(true))) {
        crate::safe_fs::check_regular(file.get_ref(), MAX_READ_BYTES)?;
    }
    if same? {
        return Ok(true);
    }
    let n = buf.len();
    if n == expected.len() + 1 {
        // Longer than expected: the rest too, for the diff.
        file.read_to_end(buf)?;
        if buf.len() as u64 > MAX_READ_BYTES {
            return Err(ReadError::TooLarge {
                size: buf.len() as u64,
                limit: MAX_READ_BYTES,
            });
        }
    }
    Ok(false)
}

/// Read up to `expected.len() + 1` bytes of `file` into `buf`: `true` when
/// they are exactly `expected` (`buf` then holds garbage), else `buf`
/// holds what was read.
fn read_head_into(
    file: &mut impl std::io::Read,
    expected: &[u8],
    buf: &mut Vec<u8>,
) -> Result<bool, ReadError> {
    let want = expected.len() + 1;
    if buf.len() < want {
        buf.resize(want, 0);
    }
    let mut n = 0;
    while n < want {
        match file.read(&mut buf[n..want]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    if n < want && buf[..n] == *expected {
        return Ok(true);
    }
    buf.truncate(n);
    Ok(false)
}

/// Planned files under `deploy/` that the walk `disk` found to be neither
/// a regular file nor a link nor a directory (a FIFO, a device, a socket)
/// and that no problem in `found` names yet: [`drift`] asked nothing about
/// them when they read the same as the plan.
pub fn special_files(plan: &Plan, disk: &Snapshot, found: &[Problem]) -> Vec<Problem> {
    let mut out = Vec::new();
    for (e, planned) in disk.entries().iter().zip(planned(plan, disk)) {
        if e.is_file || !planned {
            continue;
        }
        let shown = e.rel.display().to_string();
        if found
            .iter()
            .any(|p| p.file.as_deref() == Some(shown.as_str()))
        {
            continue;
        }
        out.push(unsafe_path(
            &shown,
            &ReadError::Special("not a regular file"),
        ));
    }
    out
}

/// For each entry of the walk `walk`, whether the plan has a file at its
/// path (`plan.files.contains_key`), found in one pass over both: the walk
/// and the plan's keys are both in [`Path`]'s order (see
/// [`Snapshot::walk`]), and paths are compared by their bytes first (the
/// same bytes: the same path), component by component only where these
/// differ.
fn planned(plan: &Plan, walk: &Snapshot) -> Vec<bool> {
    use std::cmp::Ordering;
    use std::ops::Bound;
    let entries = walk.entries();
    let from = entries
        .first()
        .map_or(Bound::Unbounded, |e| Bound::Included(e.rel.as_path()));
    let mut keys = plan
        .files
        .range::<Path, _>((from, Bound::Unbounded))
        .map(|(k, _)| k)
        .peekable();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let found = loop {
            let Some(k) = keys.peek() else {
                break false;
            };
            let order = if k.as_os_str() == e.rel.as_os_str() {
                Ordering::Equal
            } else {
                k.as_path().cmp(&e.rel)
            };
            match order {
                Ordering::Less => {
                    keys.next();
                }
                Ordering::Equal => {
                    keys.next();
                    break true;
                }
                Ordering::Greater => break false,
            }
        };
        out.push(found);
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

/// Remove what killed renders left (see [`crate::write::remove_leftovers`]):
/// in the walk `disk` of `deploy/`, at the root, and in the plan's other
/// directories. Returns what was removed (relative paths).
pub fn remove_leftovers(plan: &Plan, root: &Path, disk: &Snapshot) -> Vec<PathBuf> {
    use crate::write::is_dead_leftover;
    let mut removed = Vec::new();
    for e in disk.entries() {
        if !may_be_leftover(&e.rel) {
            continue;
        }
        let Some(name) = e.rel.file_name() else {
            continue;
        };
        if !is_dead_leftover(name) {
            continue;
        }
        let path = root.join(&e.rel);
        let gone = match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
        if gone.is_ok() {
            removed.push(e.rel.clone());
        }
    }
    let walked = Path::new(PREFETCH_DIR);
    let others: std::collections::BTreeSet<PathBuf> = crate::write::plan_dirs(plan)
        .into_iter()
        .filter(|d| !disk.walked(walked) || !d.starts_with(walked))
        .collect();
    removed.extend(crate::write::remove_leftovers(root, &others));
    removed
}

/// Whether the file name of `rel` may be a render's temporary file or
/// directory (see [`crate::disk::leftover_pid`]), told from its last bytes:
/// such a name ends in `.tmp` or `.old`, and so does a path ending in it
/// unless separators or `.` components follow it.
fn may_be_leftover(rel: &Path) -> bool {
    let b = rel.as_os_str().as_encoded_bytes();
    !cfg!(unix)
        || [&b".tmp"[..], b".old", b"/", b"/."]
            .iter()
            .any(|end| b.ends_with(end))
}

/// Whether `rel` is in (or is) a render's temporary file or directory.
fn in_leftover(rel: &Path) -> bool {
    // Every such name holds `.devgen-`.
    if rel.to_str().is_some_and(|s| !s.contains(".devgen-")) {
        return false;
    }
    rel.components()
        .any(|c| crate::disk::leftover_pid(c.as_os_str()).is_some())
}

/// Files under `dirs` that carry the devgen header but are not in the plan
/// (the directory `disk` holds is not walked again).
pub fn stale(plan: &Plan, root: &Path, dirs: &[PathBuf], disk: &Snapshot) -> Vec<Problem> {
    let mut out = Vec::new();
    for dir in dirs {
        let walked: Snapshot;
        let walk = if disk.walked(dir) {
            disk
        } else {
            walked = Snapshot::walk(root, dir);
            &walked
        };
        for (e, planned) in walk.entries().iter().zip(planned(plan, walk)) {
            if !e.is_file || planned || in_leftover(&e.rel) {
                continue;
            }
            let Ok(head) = read_head(&root.join(&e.rel), 1024) else {
                continue;
            };
            let rel = &e.rel;
            if crate::plan::is_generated_bytes(&head) {
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

/// The first `n` bytes of a regular file (fewer when it is shorter; see
/// [`crate::safe_fs::open`]).
fn read_head(path: &Path, n: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read as _;
    let mut buf = Vec::with_capacity(n as usize);
    let (file, _) = crate::safe_fs::open(path, u64::MAX)?;
    file.take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Run every cross-check.
/// (`ahead` was found out for the same `root`.)
pub fn cross_checks(
    plan: &Plan,
    root: &Path,
    profiles: &[String],
    secret_names: &[String],
    ahead: Ahead,
) -> Vec<Problem> {
    let mut out = Vec::new();
    out.extend(compose::check(plan, root, profiles));
    out.extend(terraform::check(plan, root, ahead.parsed));
    out.extend(secrets::check(plan, root, secret_names, ahead.ignored));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(paths: &[&str]) -> Plan {
        let mut plan = Plan::default();
        for p in paths {
            plan.files.insert(
                PathBuf::from(p),
                PlannedFile {
                    path: PathBuf::from(p),
                    bytes: Vec::new(),
                    target: "t".into(),
                    profile: None,
                    regenerate: "r".into(),
                },
            );
        }
        plan
    }

    #[test]
    fn planned_is_contains_key_for_every_entry() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        for f in [
            "deploy/a/x",
            "deploy/a/y",
            "deploy/a-b/x",
            "deploy/a.b",
            "deploy/a b/x",
            "deploy/B",
            "deploy/\u{e9}",
            "deploy/a0/x",
            "deploy/z",
            "other/x",
        ] {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), "x").unwrap();
        }
        let plans = [
            plan_of(&[]),
            plan_of(&["deploy/a/x", "deploy/a-b/x", "deploy/z"]),
            // Spelt otherwise, outside the walk, a directory, missing files.
            plan_of(&[
                ".github/x",
                "Makefile",
                "deploy//a/y",
                "deploy/./a.b",
                "deploy/a",
                "deploy/a/w",
                "deploy/a b/x/",
                "deploy/\u{e9}",
                "deploy/zz",
                "other/x",
                "deploy",
            ]),
            plan_of(&["deploy/a0/x", "deploy/B", "deploy/a/x/y", "z"]),
        ];
        for plan in &plans {
            for dir in ["deploy", "other", "deploy/a", "none"] {
                let walk = Snapshot::walk(root, Path::new(dir));
                let expected: Vec<bool> = walk
                    .entries()
                    .iter()
                    .map(|e| plan.files.contains_key(&e.rel))
                    .collect();
                assert_eq!(
                    planned(plan, &walk),
                    expected,
                    "{dir} {:?}",
                    plan.files.keys()
                );
            }
        }
    }

    #[test]
    fn leftover_fast_checks_agree_with_the_names() {
        for p in [
            "deploy/.x.devgen-12.tmp",
            "deploy/.x.devgen-12.old",
            "deploy/.x.devgen-12.tmp/",
            "deploy/.x.devgen-12.tmp/.",
            "deploy/.x.devgen-12.tmp/in",
            "deploy/x.tmp",
            "deploy/.x.devgen-1a.tmp",
            "deploy/x",
            ".x.devgen-7.tmp",
            "a/.x.devgen-7.tmp/b/c",
        ] {
            let p = Path::new(p);
            let named = p
                .file_name()
                .is_some_and(|n| crate::disk::leftover_pid(n).is_some());
            assert!(!named || may_be_leftover(p), "{p:?}");
            let slow = p
                .components()
                .any(|c| crate::disk::leftover_pid(c.as_os_str()).is_some());
            assert_eq!(in_leftover(p), slow, "{p:?}");
        }
    }

    #[test]
    fn changed_line() {
        assert_eq!(first_changed_line("a\nb\nc\n", "a\nx\nc\n"), 2);
        assert_eq!(first_changed_line("a\n", "a\nb\n"), 2);
        assert!(is_generated("# Generated by devgen — do not edit\nA=1\n"));
        assert!(!is_generated("A=1\n"));
    }
}
