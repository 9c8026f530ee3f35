//! Stage 7 — write: apply a plan to disk, all or nothing, touching only
//! files whose bytes changed, never outside the output root, never through
//! a symbolic link, never over a file devgen did not generate, one render
//! at a time.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::disk::leftover_pid;
use crate::parallel::par_map;
use crate::plan::{Plan, PlannedFile, safe_relative};
use crate::safe_fs::ReadError;

/// What happens to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// New file.
    Create,
    /// Existing file, new bytes.
    Update,
    /// Existing file, same bytes.
    Unchanged,
    /// Generated file no config produces any more: deleted.
    Delete,
}

impl Change {
    /// `create` / `update` / `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Unchanged => "unchanged",
            Change::Delete => "delete",
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

/// Why a plan was not written. Nothing was changed unless the message says
/// otherwise (a failed rollback says exactly what state the tree is in).
#[derive(Debug)]
pub struct WriteError {
    /// What went wrong.
    pub diag: Diagnostic,
    /// A file or directory of the project is refused (a symbolic link, a
    /// special file, a hand-written file in the way): a problem of the
    /// project (exit 1), not an I/O failure (exit 2).
    pub refused: bool,
}

impl WriteError {
    fn io(diag: Diagnostic) -> WriteError {
        WriteError {
            diag,
            refused: false,
        }
    }

    fn refused(diag: Diagnostic) -> WriteError {
        WriteError {
            diag,
            refused: true,
        }
    }
}

impl From<Diagnostic> for WriteError {
    fn from(diag: Diagnostic) -> Self {
        WriteError::io(diag)
    }
}

/// How a plan is written.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// Overwrite existing files that lack devgen's header (`init --force`);
    /// by default such a file is refused.
    pub overwrite_unmanaged: bool,
}

/// Compare the plan with the files under `base` without writing: the same
/// checks and refusals as [`write_plan`].
pub fn diff_plan(plan: &Plan, base: &Path) -> Result<WriteReport, WriteError> {
    let files: Vec<(&PathBuf, &PlannedFile)> = plan.files.iter().collect();
    let dirs = DirChecks::new(base, files.iter().map(|(rel, _)| rel.as_path()));
    let opts = WriteOptions::default();
    let mut report = WriteReport::default();
    for (rel, f) in files {
        report
            .entries
            .push((rel.clone(), dirs.change(base, rel, &f.bytes, &opts)?));
    }
    for rel in &crate::prune::deletions(plan, base) {
        checked_dest(base, rel)?;
        report.entries.push((rel.clone(), Change::Delete));
    }
    Ok(report)
}

/// [`write_plan_with`] with the default options.
pub fn write_plan(plan: &Plan, base: &Path) -> Result<WriteReport, WriteError> {
    write_plan_with(plan, base, &WriteOptions::default())
}

/// Write the changed files of `plan` under `base`, all or nothing, holding
/// the project lock ([`crate::lock`]): every new file is first written to a
/// temporary place, and only when all of them are written are they moved
/// into place; if a move fails, the files already moved are moved back.
///
/// The temporary place of a file in an existing directory is a temporary file
/// beside it (renamed over it at the end; the old version is kept, as a hard
/// link, until every move succeeded). A directory that does not exist yet
/// is built whole under a temporary name beside where it goes and renamed
/// into place at the end (one rename for all its files): a reader, or a
/// render killed at any point, sees each file wholly old or wholly new, and
/// the next render removes what a killed one left ([`remove_leftovers`]).
///
/// Nothing is read or written through a symbolic link or a special file
/// below `base`, and an existing file without devgen's header is never
/// overwritten (unless `opts` says so): both are refusals naming the path.
pub fn write_plan_with(
    plan: &Plan,
    base: &Path,
    opts: &WriteOptions,
) -> Result<WriteReport, WriteError> {
    let _lock = crate::lock::ProjectLock::exclusive(base)?;
    let files: Vec<(&PathBuf, &PlannedFile)> = plan.files.iter().collect();
    let dirs = DirChecks::new(base, files.iter().map(|(rel, _)| rel.as_path()));
    remove_leftovers(base, &plan_dirs(plan));
    // Found under the lock, before anything is staged.
    let delete = crate::prune::deletions(plan, base);
    let parallel = files.len() >= crate::parallel::LARGE_PLAN;
    let changes = par_map(&files, parallel, |(rel, f)| {
        dirs.change(base, rel, &f.bytes, opts)
    });
    let mut report = WriteReport::default();
    for ((rel, _), c) in files.iter().zip(changes) {
        report.entries.push(((*rel).clone(), c?));
    }
    let todo: Vec<(&PathBuf, &PlannedFile, Change)> = files
        .iter()
        .zip(&report.entries)
        .filter(|(_, (_, c))| *c != Change::Unchanged)
        .map(|((rel, f), (_, c))| (*rel, *f, *c))
        .collect();
    let mut fresh = FreshDirs::plan(base, &dirs, todo.iter().map(|(rel, _, _)| rel.as_path()));
    // Directories first (each once), then every file staged.
    let mut made = DirChecks::create_missing(
        base,
        todo.iter()
            .map(|(rel, _, _)| rel.as_path())
            .filter(|rel| fresh.root_of(rel).is_none()),
    );
    fresh.create();
    let staged = par_map(&todo, parallel, |&(rel, f, change)| {
        let dest = base.join(rel);
        let result = match fresh.root_of(rel) {
            Some(root) => fresh.write(root, rel, &f.bytes).map(|()| None),
            None => made
                .error_for(rel)
                .map_or_else(|| stage(&dest, &f.bytes, change), Err)
                .map(Some),
        };
        result.map_err(|e| (rel, e))
    });
    if let Some(Err((rel, e))) = staged.iter().find(|r| r.is_err()) {
        let d = Diagnostic::error(format!("cannot write {}: {e}", rel.display()))
            .with_note("nothing was written");
        for s in staged.iter().flatten().flatten() {
            s.discard();
        }
        fresh.remove();
        made.remove_created();
        return Err(WriteError::io(d));
    }
    let staged: Vec<Staged> = staged.into_iter().flatten().flatten().collect();
    let aside = match Deletions::set_aside(base, &delete) {
        Ok(a) => a,
        Err(e) => {
            for s in &staged {
                s.discard();
            }
            fresh.remove();
            made.remove_created();
            return Err(e);
        }
    };
    if let Err(e) = commit(base, &staged, &fresh, parallel) {
        aside.restore();
        return Err(e);
    }
    aside.commit(base);
    for rel in delete {
        report.entries.push((rel, Change::Delete));
    }
    Ok(report)
}

/// Generated files a render deletes, moved aside (renamed to a temporary
/// name beside themselves) before the writes are moved into place: a
/// failure puts them back, success removes them.
struct Deletions {
    /// (original, temporary) absolute paths.
    aside: Vec<(PathBuf, PathBuf)>,
}

impl Deletions {
    /// Move each file of `rels` aside, refusing symbolic links, special
    /// files, paths that leave `base` and files that (no longer) carry
    /// devgen's header; on a failure, the ones already moved are put back.
    fn set_aside(base: &Path, rels: &[PathBuf]) -> Result<Deletions, WriteError> {
        let mut done = Deletions { aside: Vec::new() };
        for rel in rels {
            match Self::move_aside(base, rel) {
                Ok(pair) => done.aside.push(pair),
                Err(e) => {
                    done.restore();
                    return Err(WriteError {
                        diag: e.diag.with_note("nothing was written"),
                        refused: e.refused,
                    });
                }
            }
        }
        Ok(done)
    }

    fn move_aside(base: &Path, rel: &Path) -> Result<(PathBuf, PathBuf), WriteError> {
        let dest = checked_dest(base, rel).map_err(WriteError::refused)?;
        let meta = std::fs::symlink_metadata(&dest).map_err(|e| {
            WriteError::io(Diagnostic::error(format!(
                "cannot delete {}: {e}",
                rel.display()
            )))
        })?;
        if !meta.file_type().is_file() {
            return Err(WriteError::refused(Diagnostic::error(format!(
                "refusing to delete {}: not a regular file",
                rel.display()
            ))));
        }
        let head = crate::prune::read_head(&dest).map_err(|e| {
            WriteError::io(Diagnostic::error(format!(
                "cannot read {}: {e}",
                rel.display()
            )))
        })?;
        if !is_generated(&head) {
            return Err(WriteError::refused(Diagnostic::error(format!(
                "refusing to delete {}: it does not carry devgen's header",
                rel.display()
            ))));
        }
        let tmp = dest.with_file_name(temp_name(dest.file_name().unwrap_or_default()));
        std::fs::rename(&dest, &tmp).map_err(|e| {
            WriteError::io(Diagnostic::error(format!(
                "cannot delete {}: {e}",
                rel.display()
            )))
        })?;
        Ok((dest, tmp))
    }

    /// Put every file back.
    fn restore(self) {
        for (dest, tmp) in self.aside.iter().rev() {
            let _ = std::fs::rename(tmp, dest);
        }
    }

    /// Remove the files for good, and the directories they leave empty
    /// (up to, never including, `base`).
    fn commit(self, base: &Path) {
        for (dest, tmp) in &self.aside {
            let _ = std::fs::remove_file(tmp);
            let mut dir = dest.parent();
            while let Some(d) = dir {
                if d == base || !d.starts_with(base) || std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
    }
}

/// The directories `rels` are in (each file's parent), each once, in path
/// order. A file in the same directory as the one before it (the usual
/// case: plans are sorted) is skipped by a byte comparison, so the set sees
/// each directory about once instead of sorting one entry per file (three
/// such sets of 6,800 files took 36 M instructions).
fn parent_dirs<'a>(rels: impl Iterator<Item = &'a Path>) -> BTreeSet<&'a Path> {
    let mut out = BTreeSet::new();
    let mut last: Option<&Path> = None;
    for rel in rels {
        if last.is_some_and(|dir| crate::safe_fs::is_child_of(rel, dir)) {
            continue;
        }
        last = rel.parent();
        out.extend(last);
    }
    out
}

/// Every directory a plan's files are in, and each one above it, up to
/// and including the root (`""`): where a render stages files and
/// directories.
pub fn plan_dirs(plan: &Plan) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for dir in parent_dirs(plan.files.keys().map(PathBuf::as_path)) {
        // Its ancestors too, up to one already in `out` (and so are those above it).
        let mut d = Some(dir);
        while let Some(p) = d {
            if !out.insert(p.to_path_buf()) {
                break;
            }
            d = p.parent();
        }
    }
    out.insert(PathBuf::new());
    out
}

/// One file staged beside its destination.
struct Staged {
    /// The staged new version.
    tmp: PathBuf,
    /// Where it goes.
    dest: PathBuf,
    /// The old version, kept (hard link) until the commit succeeded; `None`
    /// for a new file.
    backup: Option<PathBuf>,
}

impl Staged {
    /// Remove what staging made.
    fn discard(&self) {
        let _ = std::fs::remove_file(&self.tmp);
        if let Some(b) = &self.backup {
            let _ = std::fs::remove_file(b);
        }
    }

    /// Put the old version back (the move into place had happened).
    fn roll_back(&self) -> std::io::Result<()> {
        match &self.backup {
            Some(b) => std::fs::rename(b, &self.dest),
            None => std::fs::remove_file(&self.dest),
        }
    }
}

/// A test hook of debug builds: `DEVGEN_TEST_FAIL_RENAME=<suffix>` makes the
/// move into place of every destination ending in `<suffix>` fail, and
/// `DEVGEN_TEST_FAIL_ROLLBACK=<suffix>` its rollback (release builds have
/// no such hook).
fn injected_failure(var: &str, dest: &Path) -> std::io::Result<()> {
    if cfg!(debug_assertions)
        && let Some(suffix) = std::env::var_os(var)
        && !suffix.is_empty()
        && dest
            .as_os_str()
            .as_encoded_bytes()
            .ends_with(suffix.as_encoded_bytes())
    {
        return Err(std::io::Error::other(format!("{var} (test hook)")));
    }
    Ok(())
}

/// Move every staged file and fresh directory into place; if one move
/// fails, move the others back (each old version is still there), and if
/// that fails too, say exactly which files are new and where the old
/// versions are.
fn commit(
    base: &Path,
    staged: &[Staged],
    fresh: &FreshDirs,
    parallel: bool,
) -> Result<(), WriteError> {
    let rename = |s: &Staged| {
        injected_failure("DEVGEN_TEST_FAIL_RENAME", &s.dest)?;
        std::fs::rename(&s.tmp, &s.dest)
    };
    let moved = par_map(staged, parallel, rename);
    let mut failure = staged
        .iter()
        .zip(&moved)
        .find_map(|(s, r)| r.as_ref().err().map(|e| (s.dest.clone(), e.to_string())));
    let mut moved_dirs = Vec::new();
    if failure.is_none() {
        for (root, stand_in) in &fresh.roots {
            let dest = base.join(root);
            let r = injected_failure("DEVGEN_TEST_FAIL_RENAME", &dest)
                .and_then(|()| std::fs::rename(stand_in, &dest));
            match r {
                Ok(()) => moved_dirs.push(dest),
                Err(e) => {
                    failure = Some((dest, e.to_string()));
                    break;
                }
            }
        }
    }
    let Some((failed, why)) = failure else {
        for s in staged {
            if let Some(b) = &s.backup {
                let _ = std::fs::remove_file(b);
            }
        }
        return Ok(());
    };
    // Roll back: every file moved gets its old version back (or goes, if
    // it is new); every fresh directory moved goes; the rest is removed.
    let mut stuck: Vec<String> = Vec::new();
    for (s, r) in staged.iter().zip(&moved) {
        if r.is_ok() {
            let back =
                injected_failure("DEVGEN_TEST_FAIL_ROLLBACK", &s.dest).and_then(|()| s.roll_back());
            if let Err(e) = back {
                stuck.push(match &s.backup {
                    Some(b) => format!(
                        "{} is the new version ({e}); its old version is {}",
                        shown(base, &s.dest),
                        shown(base, b)
                    ),
                    None => format!("{} is new ({e})", shown(base, &s.dest)),
                });
            }
        } else {
            s.discard();
        }
    }
    for d in &moved_dirs {
        if let Err(e) = std::fs::remove_dir_all(d) {
            stuck.push(format!(
                "directory {} is new and could not be removed ({e})",
                shown(base, d)
            ));
        }
    }
    fresh.remove();
    let d = Diagnostic::error(format!(
        "cannot move {} into place: {why}",
        shown(base, &failed)
    ));
    let d = if stuck.is_empty() {
        d.with_note("every file moved already was moved back: the tree is as it was before")
    } else {
        d.with_note(format!(
            "rolling back failed too; the tree is NOT as before: {}; every other file is as before. Fix the cause and run `devgen render` again",
            stuck.join("; ")
        ))
    };
    Err(WriteError::io(d))
}

/// A path under `base`, as shown in messages.
fn shown(base: &Path, p: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}

/// How many leading bytes of a file [`is_generated`] looks at.
pub const HEADER_BYTES: usize = 1024;

/// Whether `bytes` (a file's content, or at least its first
/// [`HEADER_BYTES`]) start with devgen's generated header: the marker on
/// one of the first six lines. Only such files may be overwritten or
/// deleted by `render` (a hand-written file never is).
pub fn is_generated(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(HEADER_BYTES)];
    crate::plan::is_generated(&String::from_utf8_lossy(head))
}

/// The name of a temporary file or directory beside `name` (what
/// [`leftover_pid`] recognises).
fn temp_name(name: &std::ffi::OsStr) -> String {
    format!(
        ".{}.devgen-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    )
}

/// The name under which the old version of `name` is kept while a render
/// moves files into place.
fn backup_name(name: &std::ffi::OsStr) -> String {
    format!(
        ".{}.devgen-{}.old",
        name.to_string_lossy(),
        std::process::id()
    )
}

/// Whether process `pid` is running (unsure: yes). This process is not
/// (a name with its id is left by an earlier process of the same id: the
/// leftovers are removed before this process makes any).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // Signal 0: only asks whether the process exists.
        if unsafe { libc::kill(pid, 0) } == 0 {
            return true;
        }
        std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Whether `name` is a leftover of a render whose process is gone.
pub fn is_dead_leftover(name: &std::ffi::OsStr) -> bool {
    leftover_pid(name).is_some_and(|pid| !process_alive(pid))
}

/// Remove what killed renders left in `dirs` (relative to `base`):
/// temporary files, stand-in directories and kept old versions whose
/// process is gone. Returns what was removed (relative paths). A kept
/// old version (`.old`) whose file is missing is moved back instead.
pub fn remove_leftovers(base: &Path, dirs: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    for d in dirs {
        // Only real directories of the project (never through a link).
        if crate::safe_fs::check_dirs(base, &d.join("x")).is_err() {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(base.join(d)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if !is_dead_leftover(&name) {
                continue;
            }
            let path = e.path();
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            let gone = if is_dir {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            if gone.is_ok() {
                removed.push(d.join(&name));
            }
        }
    }
    removed
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
        for d in parent_dirs(rels) {
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

    /// Remove the stand-ins (writing failed, or rolled back).
    fn remove(&self) {
        for stand_in in self.roots.values() {
            let _ = std::fs::remove_dir_all(stand_in);
        }
    }
}

/// The directories of a plan, checked once each: that no directory between
/// the output root and it is a symbolic link (or not a directory), and
/// whether it exists.
struct DirChecks {
    /// Directory (relative) → exists, or why not (and whether that is a
    /// refusal: a link on the way).
    dirs: HashMap<PathBuf, Result<bool, (String, bool)>>,
}

impl DirChecks {
    fn new<'a>(base: &Path, rels: impl Iterator<Item = &'a Path>) -> DirChecks {
        let mut dirs = HashMap::new();
        for d in parent_dirs(rels.filter(|r| safe_relative(r))) {
            let state = match crate::safe_fs::check_dirs(base, &d.join("x")) {
                Ok(()) => Ok(true),
                Err(ReadError::Missing) => Ok(false),
                Err(e) => Err((e.to_string(), e.is_refusal())),
            };
            dirs.insert(d.to_path_buf(), state);
        }
        DirChecks { dirs }
    }

    /// What writing `bytes` to `rel` changes, or why it is refused.
    fn change(
        &self,
        base: &Path,
        rel: &Path,
        bytes: &[u8],
        opts: &WriteOptions,
    ) -> Result<Change, WriteError> {
        let refuse = |why: String| {
            WriteError::refused(Diagnostic::error(format!(
                "refusing to write {}: {why}",
                rel.display()
            )))
        };
        if !safe_relative(rel) {
            return Err(refuse(
                "output paths must stay inside the project root".into(),
            ));
        }
        match rel.parent().and_then(|d| self.dirs.get(d)) {
            // A directory that does not exist holds nothing to compare.
            Some(Ok(false)) => return Ok(Change::Create),
            Some(Ok(true)) => {}
            Some(Err((why, true))) => return Err(refuse(why.clone())),
            Some(Err((why, false))) => {
                return Err(WriteError::io(
                    Diagnostic::error(format!("cannot write {}: {why}", rel.display()))
                        .with_note("nothing was written"),
                ));
            }
            None => return Err(refuse("cannot check its directory".into())),
        }
        match crate::safe_fs::read(&base.join(rel), crate::safe_fs::MAX_READ_BYTES) {
            Ok(old) if old == bytes => Ok(Change::Unchanged),
            Ok(old) if opts.overwrite_unmanaged || is_generated(&old) => Ok(Change::Update),
            Ok(_) => Err(WriteError::refused(
                Diagnostic::error(format!(
                    "refusing to overwrite {}: it has no devgen header, so it was not generated by devgen (a hand-written file?)",
                    rel.display()
                ))
                .with_hint(format!(
                    "devgen never overwrites a file it did not generate: move {} away (or delete it) and render again, or change the target's output path",
                    rel.display()
                ))
                .with_note("nothing was written"),
            )),
            Err(ReadError::Missing) => Ok(Change::Create),
            Err(e) if e.is_refusal() => Err(refuse(e.to_string())),
            Err(e) => Err(WriteError::io(
                Diagnostic::error(format!("cannot read {}: {e}", rel.display()))
                    .with_note("nothing was written"),
            )),
        }
    }

    /// Whether directory `d` exists (`None`: refused or unknown).
    fn exists(&self, d: &Path) -> Option<bool> {
        self.dirs.get(d).and_then(|r| r.as_ref().ok()).copied()
    }

    /// Create the missing directories of `rels` (each once, parents first),
    /// re-checking each after creating it: a directory may have been swapped
    /// for a symlink.
    fn create_missing<'a>(base: &Path, rels: impl Iterator<Item = &'a Path>) -> MadeDirs {
        let mut made = MadeDirs::default();
        let root = base.canonicalize().ok();
        for d in parent_dirs(rels) {
            let abs = base.join(d);
            // Which ancestors are new, to remove them again if writing fails.
            let mut new: Vec<PathBuf> = Vec::new();
            let mut a = abs.as_path();
            while a.symlink_metadata().is_err() && a.starts_with(base) && a != base {
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

/// Stage `bytes` for `dest` beside it; for an update, keep the old version
/// (a hard link, else a copy) until the commit. Whatever fails (a full
/// disk, a file size limit) leaves nothing behind.
fn stage(dest: &Path, bytes: &[u8], change: Change) -> std::io::Result<Staged> {
    use std::io::Write as _;
    let dir = dest.parent().unwrap_or(dest);
    let name = dest.file_name().unwrap_or_default();
    let tmp = dir.join(temp_name(name));
    let backup = (change == Change::Update).then(|| dir.join(backup_name(name)));
    let staged = Staged {
        tmp,
        dest: dest.to_path_buf(),
        backup,
    };
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged.tmp)?;
        // No fsync per file: the rename is what makes each file wholly old or
        // wholly new for any reader, and a render killed at any point leaves no
        // mixed file (tests/robustness.rs). An fsync per file cost ~1.5 ms each
        // here (10 s for 6,600 files); durability across power loss is the
        // filesystem's job, and the files are reproducible from config anyway.
        f.write_all(bytes)?;
        if let Some(b) = &staged.backup
            && std::fs::hard_link(dest, b).is_err()
        {
            std::fs::copy(dest, b)?;
        }
        Ok(())
    })();
    match written {
        Ok(()) => Ok(staged),
        Err(e) => {
            staged.discard();
            Err(e)
        }
    }
}

/// The destination of `rel` under `base`, refusing anything that leaves `base`
/// (`..`, absolute paths, symlinked directories or files).
pub fn checked_dest(base: &Path, rel: &Path) -> Result<PathBuf, Diagnostic> {
    if !safe_relative(rel) {
        return Err(Diagnostic::error(format!(
            "refusing to write `{}`: output paths must stay inside the project root",
            rel.display()
        )));
    }
    match crate::safe_fs::check_dirs(base, rel) {
        Ok(()) | Err(ReadError::Missing) => {}
        Err(e) => {
            return Err(Diagnostic::error(format!(
                "refusing to write `{}`: {e}",
                rel.display()
            )));
        }
    }
    let dest = base.join(rel);
    if let Ok(meta) = std::fs::symlink_metadata(&dest)
        && meta.file_type().is_symlink()
    {
        return Err(Diagnostic::error(format!(
            "refusing to write `{}`: it is a symbolic link",
            rel.display()
        )));
    }
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
    use crate::plan::PlannedFile;

    #[test]
    fn plan_dirs_is_every_parent_of_every_file() {
        let mut plan = Plan::default();
        for p in [
            "a/b/c", "a/b/d", "a/b/e/f", "a/b/e/g", "a/b-c/x", "a/b.c", "a//b/h", "a/./b/i", "top",
            "x/y/", "x/y/z", "x/y/.", "x/.y",
        ] {
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
        let mut expected = BTreeSet::new();
        for rel in plan.files.keys() {
            let mut d = rel.parent();
            while let Some(p) = d {
                expected.insert(p.to_path_buf());
                d = p.parent();
            }
        }
        expected.insert(PathBuf::new());
        let found = plan_dirs(&plan);
        assert_eq!(found, expected);
        let bytes = |s: &BTreeSet<PathBuf>| -> Vec<Vec<u8>> {
            s.iter()
                .map(|p| p.as_os_str().as_encoded_bytes().to_vec())
                .collect()
        };
        assert_eq!(bytes(&found), bytes(&expected));
    }

    /// `text` with devgen's header.
    fn generated(text: &str) -> String {
        format!("# Generated by devgen\n{text}")
    }

    fn plan(files: &[(&str, &str)]) -> Plan {
        let mut p = Plan::default();
        for (path, text) in files {
            p.add(PlannedFile {
                path: PathBuf::from(path),
                bytes: generated(text).into_bytes(),
                target: "t".into(),
                profile: None,
                regenerate: String::new(),
            })
            .unwrap();
        }
        p
    }

    #[test]
    fn deletions_go_with_the_writes_and_only_generated_files() {
        let d = tempfile::tempdir().unwrap();
        let base = d.path();
        std::fs::create_dir_all(base.join("deploy/x")).unwrap();
        std::fs::write(
            base.join("deploy/x/old.env"),
            "# Generated by devgen\nA=1\n",
        )
        .unwrap();
        std::fs::write(base.join("deploy/mine.env"), "A=1\n").unwrap();
        let mut p = plan(&[("deploy/new.env", "B=2\n")]);
        p.delete = vec![
            PathBuf::from("deploy/x/old.env"),
            PathBuf::from("deploy/mine.env"),
        ];
        // A file without the header: refused, and nothing is written or deleted.
        assert!(write_plan(&p, base).is_err());
        assert!(!base.join("deploy/new.env").exists());
        assert!(base.join("deploy/x/old.env").is_file() && base.join("deploy/mine.env").is_file());
        p.delete = vec![PathBuf::from("deploy/x/old.env")];
        let r = write_plan(&p, base).unwrap();
        assert_eq!(r.count(Change::Delete), 1);
        assert!(base.join("deploy/new.env").is_file());
        assert!(
            !base.join("deploy/x").exists(),
            "the emptied directory stays"
        );
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
            generated("3")
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
        std::fs::write(d.path().join("deploy/compose/old.env"), generated("old")).unwrap();
        let stale = d
            .path()
            .join("deploy/.kubernetes.devgen-999999999.tmp/base");
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
            generated("b")
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
        std::fs::write(d.path().join("old/x.txt"), generated("1")).unwrap();
        let long = format!("new/sub/{}.txt", "n".repeat(300));
        let p = plan(&[("old/x.txt", "2"), ("new/a.txt", "a"), (long.as_str(), "b")]);
        let e = write_plan(&p, d.path()).unwrap_err();
        assert!(
            e.diag.message.starts_with("cannot write new/sub/"),
            "{}",
            e.diag.message
        );
        assert_eq!(files_under(d.path()), ["old/x.txt"]);
        assert_eq!(
            std::fs::read_to_string(d.path().join("old/x.txt")).unwrap(),
            generated("1")
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
