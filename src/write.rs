//! Stage 7 — write: apply a plan to disk, all or nothing, touching only
//! files whose bytes changed, never outside the output root.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::render::{Plan, PlannedFile, par_map, safe_relative};

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
/// written to a temporary place, and only when all of them are written are
/// they moved into place.
///
/// The temporary place of a file in an existing directory is a temporary file
/// beside it (renamed over it at the end). A directory that does not exist yet
/// is built whole under a temporary name beside where it goes and renamed
/// into place at the end (one rename for all its files): a reader, or a
/// render killed at any point, sees each file wholly old or wholly new.
///
/// What [`diff_plan`] and [`checked_dest`] check per file is checked here per
/// directory where that is the same (the output root is resolved once, each
/// directory once; a directory that does not exist yet holds no file to
/// read), and files are read, staged and renamed on every core.
pub fn write_plan(plan: &Plan, base: &Path) -> Result<WriteReport, Diagnostic> {
    let files: Vec<(&PathBuf, &PlannedFile)> = plan.files.iter().collect();
    let dirs = DirChecks::new(base, files.iter().map(|(rel, _)| rel.as_path()));
    let parallel = files.len() >= PAR_FILES;
    let changes = par_map(&files, parallel, |(rel, f)| {
        dirs.change(base, rel, &f.bytes)
    });
    let mut report = WriteReport::default();
    for ((rel, _), c) in files.iter().zip(changes) {
        report.entries.push(((*rel).clone(), c?));
    }
    let todo: Vec<(&PathBuf, &PlannedFile)> = files
        .iter()
        .zip(&report.entries)
        .filter(|(_, (_, c))| *c != Change::Unchanged)
        .map(|(f, _)| *f)
        .collect();
    let mut fresh = FreshDirs::plan(base, &dirs, todo.iter().map(|(rel, _)| rel.as_path()));
    remove_orphaned_temps(plan, base, &dirs, &fresh);
    // Directories first (each once), then every file staged.
    let mut made = DirChecks::create_missing(
        base,
        todo.iter()
            .map(|(rel, _)| rel.as_path())
            .filter(|rel| fresh.root_of(rel).is_none()),
    );
    fresh.create();
    let staged = par_map(&todo, parallel, |&(rel, f)| {
        let dest = base.join(rel);
        let result = match fresh.root_of(rel) {
            Some(root) => fresh.write(root, rel, &f.bytes).map(|()| None),
            None => made
                .error_for(rel)
                .map_or_else(|| stage(&dest, &f.bytes), Err)
                .map(|tmp| Some((tmp, dest))),
        };
        result.map_err(|e| (rel, e))
    });
    if let Some(Err((rel, e))) = staged.iter().find(|r| r.is_err()) {
        let d = Diagnostic::error(format!("cannot write {}: {e}", rel.display()))
            .with_note("nothing was written");
        for (tmp, _) in staged.iter().flatten().flatten() {
            let _ = std::fs::remove_file(tmp);
        }
        fresh.remove();
        made.remove_created();
        return Err(d);
    }
    let staged: Vec<(PathBuf, PathBuf)> = staged.into_iter().flatten().flatten().collect();
    let moved = par_map(&staged, parallel, |(tmp, dest)| std::fs::rename(tmp, dest));
    if let Some(i) = moved.iter().position(Result::is_err) {
        for ((tmp, _), r) in staged.iter().zip(&moved).skip(i) {
            if r.is_err() {
                let _ = std::fs::remove_file(tmp);
            }
        }
        fresh.remove();
        let e = moved[i].as_ref().expect_err("a failed rename");
        return Err(Diagnostic::error(format!(
            "cannot move {} into place: {e}",
            staged[i].1.display()
        )));
    }
    fresh.move_into_place()?;
    Ok(report)
}

/// How many leading bytes of a file [`is_generated`] looks at.
pub const HEADER_BYTES: usize = 1024;

/// Whether `bytes` (a file's content, or at least its first
/// [`HEADER_BYTES`]) start with devgen's generated header: the marker on
/// one of the first six lines. Only such files may be overwritten or
/// deleted by `render` (a hand-written file never is).
pub fn is_generated(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(HEADER_BYTES)];
    crate::check::is_generated(&String::from_utf8_lossy(head))
}

/// The name of a temporary file or directory beside `name` (what
/// [`remove_orphaned_temps`] recognises).
fn temp_name(name: &std::ffi::OsStr) -> String {
    format!(
        ".{}.devgen-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    )
}

/// Directories of a plan that do not exist yet, built under temporary names.
#[derive(Default)]
struct FreshDirs {
    base: PathBuf,
    /// Highest missing directory (relative) → its temporary stand-in (absolute).
    roots: BTreeMap<PathBuf, PathBuf>,
    /// Directory of a file (relative) → its fresh root, for those in one.
    of_dir: HashMap<PathBuf, PathBuf>,
    /// Directories to create inside the stand-ins.
    inner: BTreeSet<PathBuf>,
    /// Why a stand-in could not be created.
    failed: HashMap<PathBuf, String>,
}

impl FreshDirs {
    fn plan<'a>(base: &Path, dirs: &DirChecks, rels: impl Iterator<Item = &'a Path>) -> FreshDirs {
        let mut f = FreshDirs {
            base: base.to_path_buf(),
            ..FreshDirs::default()
        };
        let wanted: BTreeSet<&Path> = rels.filter_map(Path::parent).collect();
        for d in wanted {
            if dirs.exists(d) != Some(false) {
                continue;
            }
            // The highest missing ancestor (its parent exists, inside the root).
            let mut root = d;
            while let Some(p) = root.parent() {
                if p.as_os_str().is_empty() || base.join(p).symlink_metadata().is_ok() {
                    break;
                }
                root = p;
            }
            let Some(name) = root.file_name() else {
                continue;
            };
            let parent = base.join(root.parent().unwrap_or(Path::new("")));
            let stand_in = parent.join(temp_name(name));
            f.inner
                .insert(stand_in.join(d.strip_prefix(root).unwrap_or(d)));
            f.roots.insert(root.to_path_buf(), stand_in);
            f.of_dir.insert(d.to_path_buf(), root.to_path_buf());
        }
        f
    }

    /// The fresh root `rel` is written under, if any.
    fn root_of(&self, rel: &Path) -> Option<&Path> {
        self.of_dir.get(rel.parent()?).map(PathBuf::as_path)
    }

    /// Create the stand-ins and the directories inside them.
    fn create(&mut self) {
        let root_real = self.base.canonicalize().ok();
        for (root, stand_in) in &self.roots {
            let _ = std::fs::remove_dir_all(stand_in); // left by a killed render
            let result = std::fs::create_dir(stand_in)
                .and_then(|()| still_inside(&self.base, root_real.as_deref(), stand_in));
            if let Err(e) = result {
                self.failed.insert(root.clone(), e.to_string());
            }
        }
        for d in &self.inner {
            let Some(root) = self
                .roots
                .iter()
                .find(|(_, s)| d.starts_with(s))
                .map(|(r, _)| r.clone())
            else {
                continue;
            };
            if self.failed.contains_key(&root) {
                continue;
            }
            if let Err(e) = std::fs::create_dir_all(d) {
                self.failed.insert(root, e.to_string());
            }
        }
    }

    /// Write file `rel` (under fresh root `root`) into its stand-in.
    fn write(&self, root: &Path, rel: &Path, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write as _;
        if let Some(e) = self.failed.get(root) {
            return Err(std::io::Error::other(e.clone()));
        }
        let path = self.roots[root].join(rel.strip_prefix(root).unwrap_or(rel));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        f.write_all(bytes)
    }

    /// Remove the stand-ins (writing failed).
    fn remove(&self) {
        for stand_in in self.roots.values() {
            let _ = std::fs::remove_dir_all(stand_in);
        }
    }

    /// Rename each stand-in to its place.
    fn move_into_place(&self) -> Result<(), Diagnostic> {
        for (i, (root, stand_in)) in self.roots.iter().enumerate() {
            let dest = self.base.join(root);
            if let Err(e) = std::fs::rename(stand_in, &dest) {
                for s in self.roots.values().skip(i) {
                    let _ = std::fs::remove_dir_all(s);
                }
                return Err(Diagnostic::error(format!(
                    "cannot move {} into place: {e}",
                    dest.display()
                )));
            }
        }
        Ok(())
    }
}

/// Files from which the writer works on every core.
const PAR_FILES: usize = 256;

/// The directories of a plan, checked once each: that each resolves inside
/// the output root (or its deepest existing ancestor does), and whether it
/// exists. Files in a directory that fails the check go through
/// [`checked_dest`], which says exactly what is wrong.
struct DirChecks {
    /// Directory (relative) → exists; absent when the check failed.
    dirs: HashMap<PathBuf, bool>,
}

impl DirChecks {
    fn new<'a>(base: &Path, rels: impl Iterator<Item = &'a Path>) -> DirChecks {
        let root = base.canonicalize().ok();
        let wanted: BTreeSet<&Path> = rels
            .filter(|r| safe_relative(r))
            .filter_map(Path::parent)
            .collect();
        let mut dirs = HashMap::new();
        let Some(root) = root else {
            return DirChecks { dirs };
        };
        for d in wanted {
            if let Some(exists) = dir_state(base, &root, d) {
                dirs.insert(d.to_path_buf(), exists);
            }
        }
        DirChecks { dirs }
    }

    /// What writing `bytes` to `rel` changes (the checks of [`checked_dest`],
    /// then the comparison of [`diff_plan`]).
    fn change(&self, base: &Path, rel: &Path, bytes: &[u8]) -> Result<Change, Diagnostic> {
        let dest = match rel.parent().and_then(|d| self.dirs.get(d)) {
            // A directory that does not exist holds nothing to compare.
            Some(false) if safe_relative(rel) => return Ok(Change::Create),
            Some(true) if safe_relative(rel) => {
                let dest = base.join(rel);
                if std::fs::symlink_metadata(&dest).is_ok_and(|m| m.file_type().is_symlink()) {
                    return Err(Diagnostic::error(format!(
                        "refusing to write `{}`: it is a symbolic link",
                        rel.display()
                    )));
                }
                dest
            }
            _ => checked_dest(base, rel)?,
        };
        match std::fs::read(&dest) {
            Ok(old) if old == bytes => Ok(Change::Unchanged),
            Ok(_) => Ok(Change::Update),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Change::Create),
            Err(e) => Err(
                Diagnostic::error(format!("cannot read {}: {e}", rel.display()))
                    .with_note("nothing was written"),
            ),
        }
    }

    /// Whether directory `d` exists.
    fn exists(&self, d: &Path) -> Option<bool> {
        self.dirs.get(d).copied()
    }

    /// Create the missing directories of `rels` (each once, parents first),
    /// re-checking each after creating it: a directory may have been swapped
    /// for a symlink.
    fn create_missing<'a>(base: &Path, rels: impl Iterator<Item = &'a Path>) -> MadeDirs {
        let mut made = MadeDirs::default();
        let root = base.canonicalize().ok();
        let dirs: BTreeSet<&Path> = rels.filter_map(Path::parent).collect();
        for d in dirs {
            let abs = base.join(d);
            // Which ancestors are new, to remove them again if writing fails.
            let mut new: Vec<PathBuf> = Vec::new();
            let mut a = abs.as_path();
            while !a.exists() && a.starts_with(base) && a != base {
                new.push(a.to_path_buf());
                a = a.parent().unwrap_or(base);
            }
            let result = std::fs::create_dir_all(&abs)
                .and_then(|()| still_inside(base, root.as_deref(), &abs));
            made.created.extend(new.into_iter().rev());
            if let Err(e) = result {
                made.failed.insert(d.to_path_buf(), e);
            }
        }
        made
    }
}

/// After creating directory `dir`: whether it resolves inside `root_real`
/// (the canonical `base`), else what is wrong, as the per-file check
/// ([`ensure_inside`]) says it (a directory may have been swapped for a
/// symlink meanwhile).
fn still_inside(base: &Path, root_real: Option<&Path>, dir: &Path) -> std::io::Result<()> {
    let inside = root_real.is_some_and(|r| dir.canonicalize().is_ok_and(|c| c.starts_with(r)));
    if inside {
        Ok(())
    } else {
        ensure_inside(base, dir).map_err(|d| std::io::Error::other(d.message))
    }
}

/// Directories the writer created, and those it could not create.
#[derive(Default)]
struct MadeDirs {
    created: Vec<PathBuf>,
    failed: HashMap<PathBuf, std::io::Error>,
}

impl MadeDirs {
    /// The error of `rel`'s directory, if creating it failed.
    fn error_for(&self, rel: &Path) -> Option<std::io::Error> {
        let e = self.failed.get(rel.parent()?)?;
        Some(std::io::Error::new(e.kind(), e.to_string()))
    }

    /// Remove the directories created (deepest first; only empty ones go).
    fn remove_created(&mut self) {
        for d in self.created.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Whether directory `rel` (below `base`, whose real path is `root`) exists,
/// when it or its deepest existing ancestor resolves inside `root`; `None`
/// when not (or unsure).
fn dir_state(base: &Path, root: &Path, rel: &Path) -> Option<bool> {
    let abs = base.join(rel);
    let mut probe = abs.as_path();
    loop {
        if std::fs::symlink_metadata(probe).is_ok() {
            break;
        }
        probe = probe.parent()?;
    }
    let real = probe.canonicalize().ok()?;
    if !real.starts_with(root) || !real.is_dir() {
        return None;
    }
    Some(probe == abs)
}

/// Temporary files (and directories) of a render that was killed before its
/// renames: remove them from the directories this plan writes to.
fn remove_orphaned_temps(plan: &Plan, base: &Path, dirs: &DirChecks, fresh: &FreshDirs) {
    let mut wanted: BTreeSet<&Path> = plan.files.keys().filter_map(|p| p.parent()).collect();
    // A new directory holds no temporary files; where it goes may hold a stand-in.
    wanted.retain(|d| dirs.exists(d) != Some(false));
    wanted.extend(fresh.roots.keys().filter_map(|r| r.parent()));
    for d in wanted {
        let Ok(entries) = std::fs::read_dir(base.join(d)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') && name.contains(".devgen-") && name.ends_with(".tmp") {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    let _ = std::fs::remove_dir_all(e.path());
                } else {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

fn stage(dest: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write as _;
    let dir = dest.parent().unwrap_or(dest);
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(temp_name(std::ffi::OsStr::new(name.as_ref())));
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

    fn files_under(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| e.path().strip_prefix(dir).unwrap().display().to_string())
            .collect();
        v.sort();
        v
    }

    /// New directories are built under a temporary name and renamed into
    /// place; one left by a killed render goes on the next.
    #[test]
    fn new_directories_arrive_whole() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("deploy/compose")).unwrap();
        std::fs::write(d.path().join("deploy/compose/old.env"), "old").unwrap();
        let stale = d.path().join("deploy/.kubernetes.devgen-1.tmp/base");
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::write(stale.join("half.yaml"), "half").unwrap();
        let p = plan(&[
            ("deploy/compose/old.env", "new"),
            ("deploy/kubernetes/base/a.yaml", "a"),
            ("deploy/kubernetes/overlays/p/b.yaml", "b"),
            ("deploy/terraform/aws/p.tfvars", "t"),
            ("top.txt", "x"),
        ]);
        let r = write_plan(&p, d.path()).unwrap();
        assert_eq!((r.count(Change::Create), r.count(Change::Update)), (4, 1));
        assert_eq!(
            files_under(d.path()),
            [
                "deploy/compose/old.env",
                "deploy/kubernetes/base/a.yaml",
                "deploy/kubernetes/overlays/p/b.yaml",
                "deploy/terraform/aws/p.tfvars",
                "top.txt"
            ]
        );
        assert_eq!(
            std::fs::read_to_string(d.path().join("deploy/kubernetes/overlays/p/b.yaml")).unwrap(),
            "b"
        );
        assert_eq!(
            write_plan(&p, d.path()).unwrap().count(Change::Unchanged),
            5
        );
    }

    /// A file that cannot be written leaves nothing: no new directory, no
    /// temporary file, no changed file.
    #[test]
    fn a_failed_write_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("old")).unwrap();
        std::fs::write(d.path().join("old/x.txt"), "1").unwrap();
        let long = format!("new/sub/{}.txt", "n".repeat(300));
        let p = plan(&[("old/x.txt", "2"), ("new/a.txt", "a"), (long.as_str(), "b")]);
        let e = write_plan(&p, d.path()).unwrap_err();
        assert!(
            e.message.starts_with("cannot write new/sub/"),
            "{}",
            e.message
        );
        assert_eq!(files_under(d.path()), ["old/x.txt"]);
        assert_eq!(
            std::fs::read_to_string(d.path().join("old/x.txt")).unwrap(),
            "1"
        );
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            1,
            "no new directory"
        );
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
