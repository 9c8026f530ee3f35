//! The generated tree on disk, walked: a [`Snapshot`] of a directory (what
//! prune and check look for stale files in), the names a killed render
//! leaves ([`leftover_pid`]), and the work `check` does ahead. A leaf: it
//! knows no stage.
//!
//! Work on the disk that does not need the plan, done ahead: `check` walks
//! `deploy/` (for stale files) on a thread of its own, and goes on there
//! with more (parsing the Terraform variables), while it renders the plan.
//!
//! Files are not read ahead: keeping ~2 MB of them costs more in fresh
//! memory (page faults) than reading each planned file into one reused
//! buffer once the plan exists (see `crate::check::drift`).
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

/// The directory walked ahead (every project's generated files live there;
/// other directories are walked when needed).
pub const PREFETCH_DIR: &str = "deploy";

/// A walk of `dir` under the project root, as `crate::check::stale` walks it:
/// `walkdir`, sorted by file name, errors skipped.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The project root.
    root: PathBuf,
    /// The directory walked, relative to the root (empty: none walked).
    dir: PathBuf,
    /// Every entry of the walk, in its order.
    entries: Vec<Entry>,
}

/// One entry of the walk.
#[derive(Debug)]
pub struct Entry {
    /// Path relative to the project root.
    pub rel: PathBuf,
    /// A regular file (not a directory, not a symbolic link).
    pub is_file: bool,
}

impl Snapshot {
    /// Walk `root`/`dir`: the directory itself, then each entry of a
    /// directory in file-name order, each directory's entries right after
    /// it (what `walkdir` with `sort_by_file_name` yields, errors skipped;
    /// a link is listed, never followed, but `dir` itself is). That order is
    /// [`Path`]'s order (component by component), which `check` relies on to
    /// match the walk with the plan in one pass.
    ///
    /// Not `walkdir`: its sort derives each entry's file name from its path
    /// at every comparison (half the cost of the walk), and the relative
    /// paths here are built from the names instead of cut from absolute
    /// paths (`strip_prefix`, a quarter).
    pub fn walk(root: &Path, dir: &Path) -> Snapshot {
        let mut snap = Snapshot {
            root: root.to_path_buf(),
            dir: dir.to_path_buf(),
            entries: Vec::new(),
        };
        let abs = root.join(dir);
        if !abs.is_dir() {
            return snap;
        }
        // Below it, each path is its directory's joined with its name:
        // what `strip_prefix(root)` of the entry's absolute path gives.
        snap.entries.push(Entry {
            rel: abs.strip_prefix(root).unwrap_or(&abs).to_path_buf(),
            is_file: false,
        });
        walk_into(&abs, 0, &mut snap.entries);
        snap
    }
    /// The project root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether this is the walk of `dir`.
    pub fn walked(&self, dir: &Path) -> bool {
        !self.dir.as_os_str().is_empty() && self.dir == dir
    }

    /// The walk's entries, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// Append the entries of the directory `abs` (whose relative path is
/// `entries[at].rel`) to `entries`, sorted by name, each directory
/// followed by its own entries. An entry whose type cannot be read, or a
/// directory that cannot be read, is skipped (as `walkdir` reports an
/// error for it, which the walk skips).
fn walk_into(abs: &Path, at: usize, entries: &mut Vec<Entry>) {
    let Ok(read) = std::fs::read_dir(abs) else {
        return;
    };
    let mut names: Vec<(std::ffi::OsString, std::fs::FileType)> = read
        .flatten()
        .filter_map(|e| Some((e.file_name(), e.file_type().ok()?)))
        .collect();
    names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, ty) in names {
        let rel = entries[at].rel.join(&name);
        entries.push(Entry {
            rel,
            is_file: ty.is_file(),
        });
        if ty.is_dir() {
            let here = entries.len() - 1;
            walk_into(&abs.join(&name), here, entries);
        }
    }
}

/// [`Snapshot::walk`] of [`PREFETCH_DIR`] on a thread of its own, after
/// some work that needs only the root (`before`) and before more work
/// from the walk (`then`).
pub struct Prefetch<T> {
    snapshot: mpsc::Receiver<Arc<Snapshot>>,
    then: std::thread::JoinHandle<T>,
}

impl<T: Send + 'static> Prefetch<T> {
    /// Start: `before` on `root`, the walk of `root`/`deploy`, `then` on
    /// the walk and what `before` gave.
    pub fn start<B>(
        root: &Path,
        before: impl FnOnce(&Path) -> B + Send + 'static,
        then: impl FnOnce(&Snapshot, B) -> T + Send + 'static,
    ) -> Prefetch<T> {
        let root = root.to_path_buf();
        let (send, snapshot) = mpsc::sync_channel(1);
        let then = std::thread::spawn(move || {
            let b = before(&root);
            let snap = Arc::new(Snapshot::walk(&root, Path::new(PREFETCH_DIR)));
            // Nobody waits when `check` stopped early: fine.
            let _ = send.send(Arc::clone(&snap));
            then(&snap, b)
        });
        Prefetch { snapshot, then }
    }

    /// The walk, as soon as it is done (an empty one, which is walked
    /// again where needed, if the thread failed).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.recv().unwrap_or_default()
    }

    /// What `then` gave.
    pub fn finish(self) -> T {
        match self.then.join() {
            Ok(t) => t,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// The process id in the name of a render's temporary file or directory
/// (`.<name>.devgen-<pid>.tmp`, or `.old` for a kept old version); `None`
/// for any other name.
pub fn leftover_pid(name: &std::ffi::OsStr) -> Option<u32> {
    let name = name.to_str()?;
    let rest = name
        .strip_suffix(".tmp")
        .or_else(|| name.strip_suffix(".old"))?;
    let (head, pid) = rest.rsplit_once(".devgen-")?;
    if !head.starts_with('.') || head.len() < 2 || pid.is_empty() {
        return None;
    }
    if !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk as `walkdir` made it (before it was written by hand).
    fn walk_with_walkdir(root: &Path, dir: &Path) -> Vec<(PathBuf, bool)> {
        let abs = root.join(dir);
        if !abs.is_dir() {
            return Vec::new();
        }
        walkdir::WalkDir::new(&abs)
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .map(|e| {
                let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                (rel.to_path_buf(), e.file_type().is_file())
            })
            .collect()
    }

    #[test]
    fn walk_is_walkdir_sorted_by_name_and_in_path_order() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        let names = [
            "a", "a-b", "a.b", "a b", "B", "\u{e9}", "a0", "ab", "a~", ".h", "_", "Z9",
        ];
        for n in names {
            std::fs::create_dir_all(root.join("deploy").join(n).join("in")).unwrap();
            std::fs::write(root.join("deploy").join(n).join("in/f"), "x").unwrap();
            std::fs::write(root.join("deploy").join(format!("{n}.txt")), "x").unwrap();
            std::fs::write(root.join("deploy").join(n).join("g"), "x").unwrap();
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("deploy/a"), root.join("deploy/a-link")).unwrap();
            let fifo = root.join("deploy/a/fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            // The walked directory itself may be a link (it is followed).
            std::os::unix::fs::symlink(root.join("deploy"), root.join("linked")).unwrap();
        }
        let slash = PathBuf::from(format!("{}/", root.display()));
        let dotted = root.join(".");
        for base in [root, slash.as_path(), dotted.as_path()] {
            for dir in [
                "deploy",
                "deploy/",
                "deploy/a",
                "deploy//a",
                "linked",
                "none",
                "",
            ] {
                let dir = Path::new(dir);
                let found: Vec<(PathBuf, bool)> = Snapshot::walk(base, dir)
                    .entries()
                    .iter()
                    .map(|e| (e.rel.clone(), e.is_file))
                    .collect();
                let expected = walk_with_walkdir(base, dir);
                assert_eq!(found, expected, "{} {}", base.display(), dir.display());
                // Bytes too (`==` on paths compares components).
                let bytes = |v: &[(PathBuf, bool)]| -> Vec<Vec<u8>> {
                    v.iter()
                        .map(|(p, _)| p.as_os_str().as_encoded_bytes().to_vec())
                        .collect()
                };
                assert_eq!(bytes(&found), bytes(&expected));
                // In `Path`'s order, which `check` relies on.
                assert!(found.windows(2).all(|w| w[0].0 < w[1].0), "{found:?}");
            }
        }
    }

    #[test]
    fn walk_lists_entries_in_order() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("deploy/b")).unwrap();
        std::fs::write(root.join("deploy/b/x.txt"), "x").unwrap();
        std::fs::write(root.join("deploy/a.txt"), "").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("deploy/a.txt"), root.join("deploy/link")).unwrap();
        let s = Snapshot::walk(root, Path::new("deploy"));
        assert!(s.walked(Path::new("deploy")));
        assert_eq!(s.root(), root);
        let found: Vec<(String, bool)> = s
            .entries()
            .iter()
            .map(|e| (e.rel.display().to_string(), e.is_file))
            .collect();
        let mut expected = vec![
            ("deploy".to_string(), false),
            ("deploy/a.txt".to_string(), true),
            ("deploy/b".to_string(), false),
            ("deploy/b/x.txt".to_string(), true),
        ];
        if cfg!(unix) {
            // Links are not regular files.
            expected.push(("deploy/link".to_string(), false));
        }
        assert_eq!(found, expected);
        assert!(
            Snapshot::walk(root, Path::new("nothing"))
                .entries()
                .is_empty()
        );
        assert!(!Snapshot::default().walked(Path::new("deploy")));
        let p = Prefetch::start(root, |_| 1, |s, one| s.entries().len() + one - 1);
        assert_eq!(p.snapshot().entries().len(), found.len());
        assert_eq!(p.finish(), found.len());
    }
}
