//! The generated files on disk, read ahead: `check` starts reading `deploy/`
//! on a thread of its own before it renders the plan, so the two overlap.
//! Drift and stale files are then found from memory.
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Read as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

/// The directory read ahead (every project's generated files live there;
/// files of other directories are read when compared).
pub const PREFETCH_DIR: &str = "deploy";

/// Files longer than this are read ahead only in part (and read again in
/// full where they are compared): a `deploy/` may hold large files that
/// devgen does not generate (a `.terraform/` with provider binaries, say).
pub const PREFETCH_CAP: usize = 1 << 20;

/// A walk of `dir` under the project root, as [`super::stale`] walks it
/// (`walkdir`, sorted by file name, errors skipped), with the regular
/// files' contents.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The directory walked, relative to the root (empty: none walked).
    dir: PathBuf,
    /// Every entry of the walk, in its order.
    entries: Vec<Entry>,
    /// The files' bytes, one after the other (one allocation: a thread's
    /// many small ones cost more here than the reading).
    data: Vec<u8>,
    /// Index into `entries` of each regular file, by the bytes of its path
    /// relative to the root (hashing bytes is much cheaper than comparing
    /// `Path`s component by component).
    files: HashMap<OsString, usize>,
}

/// One entry of the walk.
#[derive(Debug)]
pub struct Entry {
    /// Path relative to the project root.
    pub rel: PathBuf,
    /// A regular file (not a directory, not a symbolic link).
    pub is_file: bool,
    /// Where the file's bytes are in `data`: all of them, or the first
    /// `cap` + 1 (see [`Snapshot::read`]) when `complete` is false. `None`:
    /// not read (or it failed).
    bytes: Option<Range<usize>>,
    /// Whether `bytes` is the whole file.
    complete: bool,
}

impl Snapshot {
    /// Walk `root`/`dir` and read its regular files, up to `cap` bytes each.
    pub fn read(root: &Path, dir: &Path, cap: usize) -> Snapshot {
        let mut snap = Snapshot {
            dir: dir.to_path_buf(),
            ..Snapshot::default()
        };
        let abs = root.join(dir);
        if !abs.is_dir() {
            return snap;
        }
        // Used as far as it is zeroed (`len`); `used` of that holds files.
        snap.data = Vec::with_capacity(4 << 20);
        let mut used = 0;
        for e in walkdir::WalkDir::new(&abs)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            let is_file = e.file_type().is_file();
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap_or(e.path())
                .to_path_buf();
            let (bytes, complete) = if is_file {
                match read_capped(e.path(), cap, &mut snap.data, used) {
                    Ok((n, complete)) => {
                        used += n;
                        (Some(used - n..used), complete)
                    }
                    Err(_) => (None, false),
                }
            } else {
                (None, false)
            };
            if is_file {
                snap.files
                    .insert(rel.as_os_str().to_owned(), snap.entries.len());
            }
            snap.entries.push(Entry {
                rel,
                is_file,
                bytes,
                complete,
            });
        }
        snap
    }

    /// Whether this is the walk of `dir`.
    pub fn walked(&self, dir: &Path) -> bool {
        !self.dir.as_os_str().is_empty() && self.dir == dir
    }

    /// The walk's entries, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The bytes read of `e` (see [`Entry`]).
    pub fn bytes(&self, e: &Entry) -> Option<&[u8]> {
        e.bytes.clone().map(|r| &self.data[r])
    }

    /// The whole content of the regular file at `rel`, when it was read.
    pub fn file(&self, rel: &Path) -> Option<&[u8]> {
        // Spelt otherwise (`a//b`): not found, read again where compared.
        let e = &self.entries[*self.files.get(rel.as_os_str())?];
        if e.is_file && e.complete {
            self.bytes(e)
        } else {
            None
        }
    }
}

/// Read up to `cap` + 1 bytes of the file at `path` into `data` from
/// `at` on; how many, and whether that is the whole file. An `open`, a
/// `read` and the `read` that finds the end, for most files; `data` is
/// zeroed (its `len`) only as far as it is needed.
fn read_capped(
    path: &Path,
    cap: usize,
    data: &mut Vec<u8>,
    at: usize,
) -> std::io::Result<(usize, bool)> {
    let mut file = std::fs::File::open(path)?;
    let want = cap + 1;
    let mut n = 0;
    while n < want {
        if at + n == data.len() {
            // 64 KiB more (no doubling: what is zeroed is touched, and it
            // is reused by the next files as far as this one leaves it).
            data.resize((at + n + (64 << 10)).min(at + want), 0);
        }
        let end = data.len().min(at + want);
        match file.read(&mut data[at + n..end]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((n, n < want))
}

/// [`Snapshot::read`] of [`PREFETCH_DIR`] on a thread of its own, which
/// then goes on with more work from the snapshot (`then`).
pub struct Prefetch<T> {
    snapshot: mpsc::Receiver<Arc<Snapshot>>,
    then: std::thread::JoinHandle<T>,
}

impl<T: Send + 'static> Prefetch<T> {
    /// Start reading `root`/`deploy`, then run `then` on what was read.
    pub fn start(root: &Path, then: impl FnOnce(&Snapshot) -> T + Send + 'static) -> Prefetch<T> {
        let root = root.to_path_buf();
        let (send, snapshot) = mpsc::sync_channel(1);
        let then = std::thread::spawn(move || {
            let snap = Arc::new(Snapshot::read(&root, Path::new(PREFETCH_DIR), PREFETCH_CAP));
            // Nobody waits when `check` stopped early: fine.
            let _ = send.send(Arc::clone(&snap));
            then(&snap)
        });
        Prefetch { snapshot, then }
    }

    /// The snapshot, as soon as it is read (an empty one, which nothing
    /// is taken from, if the thread failed).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reads_regular_files_in_walk_order() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("deploy/b")).unwrap();
        std::fs::write(root.join("deploy/b/x.txt"), "x").unwrap();
        std::fs::write(root.join("deploy/a.txt"), "").unwrap();
        let big = vec![b'z'; PREFETCH_CAP + 10];
        std::fs::write(root.join("deploy/big"), &big).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("deploy/a.txt"), root.join("deploy/link")).unwrap();
        let s = Snapshot::read(root, Path::new("deploy"), PREFETCH_CAP);
        assert!(s.walked(Path::new("deploy")));
        let rels: Vec<String> = s
            .entries()
            .iter()
            .map(|e| e.rel.display().to_string())
            .collect();
        let mut expected = vec![
            "deploy",
            "deploy/a.txt",
            "deploy/b",
            "deploy/b/x.txt",
            "deploy/big",
        ];
        if cfg!(unix) {
            expected.push("deploy/link");
        }
        assert_eq!(rels, expected);
        assert_eq!(s.file(Path::new("deploy/b/x.txt")), Some(&b"x"[..]));
        assert_eq!(s.file(Path::new("deploy/a.txt")), Some(&b""[..]));
        // Too long: read again where compared.
        assert_eq!(s.file(Path::new("deploy/big")), None);
        // Links are not regular files: read (through the link) where compared.
        assert_eq!(s.file(Path::new("deploy/link")), None);
        assert_eq!(s.file(Path::new("deploy/missing")), None);
        assert!(
            Snapshot::read(root, Path::new("nothing"), PREFETCH_CAP)
                .entries()
                .is_empty()
        );
        assert!(!Snapshot::default().walked(Path::new("deploy")));
        // Heads only.
        let s = Snapshot::read(root, Path::new("deploy"), 4);
        let big = s.entries().iter().find(|e| e.rel.ends_with("big")).unwrap();
        assert_eq!(s.bytes(big), Some(&b"zzzzz"[..]));
        assert!(!big.complete);
        assert_eq!(s.file(Path::new("deploy/b/x.txt")), Some(&b"x"[..]));
    }
}
