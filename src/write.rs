//! Stage 7 — write: apply a plan to disk, all or nothing, touching only
//! files whose bytes changed, never outside the output root.
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::render::{Plan, safe_relative};

/// What happens to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// New file.
    Create,
    /// Existing file, new bytes.
    Update,
    /// Existing file, same bytes.
    Unchanged,
}

impl Change {
    /// `create` / `update` / `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Unchanged => "unchanged",
        }
    }
}

/// The outcome per file, in path order.
#[derive(Clone, Debug, Default)]
pub struct WriteReport {
    /// (relative path, change).
    pub entries: Vec<(PathBuf, Change)>,
}

impl WriteReport {
    /// How many files had this change.
    pub fn count(&self, c: Change) -> usize {
        self.entries.iter().filter(|(_, x)| *x == c).count()
    }
}

/// Compare the plan with the files under `base` without writing (each file
/// read into one reused buffer, no further than tells it apart: see
/// [`crate::check::read_unless_same`]).
pub fn diff_plan(plan: &Plan, base: &Path) -> Result<WriteReport, Diagnostic> {
    let mut report = WriteReport::default();
    let mut buf = Vec::new();
    for (rel, f) in &plan.files {
        let dest = checked_dest(base, rel)?;
        let change = match crate::check::read_unless_same(&dest, &f.bytes, &mut buf) {
            Ok(true) => Change::Unchanged,
            Ok(false) => Change::Update,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Change::Create,
            Err(e) => {
                return Err(
                    Diagnostic::error(format!("cannot read {}: {e}", rel.display()))
                        .with_note("nothing was written"),
                );
            }
        };
        report.entries.push((rel.clone(), change));
    }
    Ok(report)
}

/// Write the changed files of `plan` under `base`: every new file is first
/// written to a temporary file beside its destination, and only when all of
/// them are written are they renamed into place.
pub fn write_plan(plan: &Plan, base: &Path) -> Result<WriteReport, Diagnostic> {
    let report = diff_plan(plan, base)?;
    remove_orphaned_temps(plan, base);
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (rel, change) in &report.entries {
        if *change == Change::Unchanged {
            continue;
        }
        let dest = base.join(rel);
        let result = stage(&dest, &plan.files[rel].bytes, base);
        match result {
            Ok(tmp) => staged.push((tmp, dest)),
            Err(e) => {
                cleanup(&staged);
                return Err(
                    Diagnostic::error(format!("cannot write {}: {e}", rel.display()))
                        .with_note("nothing was written"),
                );
            }
        }
    }
    for (i, (tmp, dest)) in staged.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, dest) {
            cleanup(&staged[i..]);
            return Err(Diagnostic::error(format!(
                "cannot move {} into place: {e}",
                dest.display()
            )));
        }
    }
    Ok(report)
}

/// Temporary files of a render that was killed before its renames: remove
/// them from the directories this plan writes to.
fn remove_orphaned_temps(plan: &Plan, base: &Path) {
    let dirs: std::collections::BTreeSet<PathBuf> = plan
        .files
        .keys()
        .filter_map(|p| p.parent().map(|d| base.join(d)))
        .collect();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') && name.contains(".devgen-") && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn stage(dest: &Path, bytes: &[u8], base: &Path) -> std::io::Result<PathBuf> {
    use std::io::Write as _;
    let dir = dest.parent().unwrap_or(base);
    std::fs::create_dir_all(dir)?;
    // Re-check after creating: a directory may have been swapped for a symlink.
    ensure_inside(base, dir).map_err(|d| std::io::Error::other(d.message))?;
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.devgen-{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    // No fsync per file: the rename is what makes each file wholly old or
    // wholly new for any reader, and a render killed at any point leaves no
    // mixed file (tests/robustness.rs). An fsync per file cost ~1.5 ms each
    // here (10 s for 6,600 files); durability across power loss is the
    // filesystem's job, and the files are reproducible from config anyway.
    f.write_all(bytes)?;
    Ok(tmp)
}

/// The destination of `rel` under `base`, refusing anything that leaves `base`
/// (`..`, absolute paths, symlinked directories or files pointing elsewhere).
pub fn checked_dest(base: &Path, rel: &Path) -> Result<PathBuf, Diagnostic> {
    if !safe_relative(rel) {
        return Err(Diagnostic::error(format!(
            "refusing to write `{}`: output paths must stay inside the project root",
            rel.display()
        )));
    }
    let dest = base.join(rel);
    // The deepest existing ancestor must resolve inside base.
    let mut probe = dest.clone();
    loop {
        if std::fs::symlink_metadata(&probe).is_ok() {
            break;
        }
        if !probe.pop() {
            break;
        }
    }
    if let Ok(meta) = std::fs::symlink_metadata(&dest)
        && meta.file_type().is_symlink()
    {
        return Err(Diagnostic::error(format!(
            "refusing to write `{}`: it is a symbolic link",
            rel.display()
        )));
    }
    ensure_inside(base, &probe)?;
    Ok(dest)
}

fn ensure_inside(base: &Path, p: &Path) -> Result<(), Diagnostic> {
    let base_c = base.canonicalize().map_err(|e| {
        Diagnostic::error(format!(
            "cannot resolve output root {}: {e}",
            base.display()
        ))
    })?;
    let p_c = p
        .canonicalize()
        .map_err(|e| Diagnostic::error(format!("cannot resolve {}: {e}", p.display())))?;
    if !p_c.starts_with(&base_c) {
        return Err(Diagnostic::error(format!(
            "refusing to write below {}: it resolves to {}, outside {}",
            p.display(),
            p_c.display(),
            base_c.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::PlannedFile;

    fn plan(files: &[(&str, &str)]) -> Plan {
        let mut p = Plan::default();
        for (path, text) in files {
            p.add(PlannedFile {
                path: PathBuf::from(path),
                bytes: text.as_bytes().to_vec(),
                target: "t".into(),
                profile: None,
                regenerate: String::new(),
            })
            .unwrap();
        }
        p
    }

    #[test]
    fn writes_only_changes() {
        let d = tempfile::tempdir().unwrap();
        let p = plan(&[("a/x.txt", "1"), ("b.txt", "2")]);
        let r = write_plan(&p, d.path()).unwrap();
        assert_eq!(r.count(Change::Create), 2);
        let r = write_plan(&p, d.path()).unwrap();
        assert_eq!(r.count(Change::Unchanged), 2);
        let p2 = plan(&[("a/x.txt", "1"), ("b.txt", "3")]);
        let r = write_plan(&p2, d.path()).unwrap();
        assert_eq!(r.count(Change::Update), 1);
        assert_eq!(
            std::fs::read_to_string(d.path().join("b.txt")).unwrap(),
            "3"
        );
        // No temp files left behind.
        let leftovers: Vec<_> = walkdir::WalkDir::new(d.path())
            .into_iter()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn refuses_escapes() {
        let d = tempfile::tempdir().unwrap();
        let mut p = Plan::default();
        let bad = PlannedFile {
            path: PathBuf::from("../evil"),
            bytes: vec![],
            target: "t".into(),
            profile: None,
            regenerate: String::new(),
        };
        assert!(p.add(bad).is_err());
        assert!(checked_dest(d.path(), Path::new("/etc/passwd")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinked_directories() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("deploy")).unwrap();
        let p = plan(&[("deploy/x.env", "A=1")]);
        assert!(write_plan(&p, d.path()).is_err());
        assert!(!outside.path().join("x.env").exists());
    }
}
