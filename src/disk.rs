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
    /// Walk `root`/`dir`.
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
        for e in walkdir::WalkDir::new(&abs)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            snap.entries.push(Entry {
                rel: e
                    .path()
                    .strip_prefix(root)
                    .unwrap_or(e.path())
                    .to_path_buf(),
                is_file: e.file_type().is_file(),
            });
        }
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
