//! Reading files of a project safely: the one way every command reads a
//! file under the project root (config, templates, `deploy/`, Terraform
//! parts, `config/secrets.yaml`).
//!
//! A file is read only when it is a regular file reached without a symbolic
//! link: the last component is opened with `O_NOFOLLOW` (a link fails to
//! open), the directories between the project root and it are checked once
//! each (`lstat`: a real directory, not a link), the open never blocks
//! (`O_NONBLOCK`: a FIFO does not hang it) and what was opened is checked
//! (`fstat`: a FIFO, a device, a socket or a directory is refused before a
//! byte is read). Every read is bounded: a file over its limit is refused,
//! and one that grows while it is read stops at the limit.
//!
//! A refused file is reported at its own path; what it points at, or what
//! it would produce, is never read, so it never reaches an output.
use std::collections::HashSet;
use std::fs::File;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Largest file read from `deploy/` and the other non-config parts of a
/// project (generated files, Terraform variables, the Compose file).
pub const MAX_READ_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// No such file.
    Missing,
    /// The file, or a directory on the way to it, is a symbolic link.
    Symlink(PathBuf),
    /// Not a regular file: what it is ("a FIFO", "a device", …).
    Special(&'static str),
    /// Larger than the limit.
    TooLarge {
        /// Its size (at least; it may still be growing).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Any other failure to read.
    Io(std::io::Error),
}

impl ReadError {
    /// The file does not exist.
    pub fn is_missing(&self) -> bool {
        matches!(self, ReadError::Missing)
    }

    /// The file exists but devgen refuses to read it (a link, a special
    /// file, too large): a problem of the project, not of the machine.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ReadError::Symlink(_) | ReadError::Special(_) | ReadError::TooLarge { .. }
        )
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Missing => write!(f, "no such file"),
            ReadError::Symlink(at) if at.as_os_str().is_empty() => write!(
                f,
                "it is a symbolic link (devgen never reads or writes through one)"
            ),
            ReadError::Symlink(at) => write!(
                f,
                "{} is a symbolic link (devgen never reads or writes through one)",
                at.display()
            ),
            ReadError::Special(what) => {
                write!(
                    f,
                    "it is {what}, not a regular file (devgen reads only regular files)"
                )
            }
            ReadError::TooLarge { size, limit } => write!(
                f,
                "it is {size} bytes or more; devgen reads at most {limit} bytes ({} MiB) from such a file",
                limit / 1024 / 1024
            ),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound {
            ReadError::Missing
        } else {
            ReadError::Io(e)
        }
    }
}

impl From<ReadError> for std::io::Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Missing => std::io::Error::from(std::io::ErrorKind::NotFound),
            ReadError::Io(e) => e,
            other => std::io::Error::new(std::io::ErrorKind::InvalidData, other.to_string()),
        }
    }
}

/// What an open file is, for a refusal message.
fn kind_of(ft: std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if ft.is_char_device() || ft.is_block_device() {
            return Some("a device");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
    }
    if ft.is_dir() {
        return Some("a directory");
    }
    if ft.is_symlink() {
        return None;
    }
    (!ft.is_file()).then_some("not a regular file")
}

/// Open `path` for reading: a regular file, its last component not a link,
/// without blocking; `limit` checked against its size.
pub fn open(path: &Path, limit: u64) -> Result<(File, u64), ReadError> {
    let file = open_no_follow(path)?;
    let len = check_regular(&file, limit)?;
    Ok((file, len))
}

/// Open `path` for reading without following a link in its last component
/// and without blocking (a FIFO opens at once), but without checking what
/// was opened: a caller that reads from it must call [`check_regular`]
/// first, unless it reads no more than it would accept from any file and
/// knows the type otherwise.
pub fn open_no_follow(path: &Path) -> Result<File, ReadError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = match opts.open(path) {
        Ok(f) => f,
        Err(e) => {
            // ELOOP (Linux, BSDs) or EMLINK (FreeBSD): the last component is a link.
            #[cfg(unix)]
            if matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::EMLINK))
                && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
            {
                return Err(ReadError::Symlink(PathBuf::new()));
            }
            #[cfg(not(unix))]
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(ReadError::Symlink(PathBuf::new()));
            }
            return Err(e.into());
        }
    };
    Ok(file)
}

/// The size of an open file, when it is a regular file within `limit`.
pub fn check_regular(file: &File, limit: u64) -> Result<u64, ReadError> {
    let meta = file.metadata()?;
    if let Some(what) = kind_of(meta.file_type()) {
        return Err(ReadError::Special(what));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(meta.len())
}

/// Read all of `path` (see [`open`]) into `buf` (cleared first), at most
/// `limit` bytes.
pub fn read_into(path: &Path, limit: u64, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    let (file, len) = open(path, limit)?;
    buf.clear();
    buf.reserve(len as usize);
    file.take(limit + 1).read_to_end(buf)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(())
}

/// Read all of `path` (see [`open`]), at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    read_into(path, limit, &mut buf)?;
    Ok(buf)
}

/// Read all of `path` as UTF-8 text (see [`read`]).
pub fn read_to_string(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read(path, limit)?).map_err(|e| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not valid UTF-8: {e}"),
        ))
    })
}

/// Whether `path` is `dir` joined with one plain name (`dir/name`: the name
/// neither `.` nor `..` nor holding a separator), told from their bytes
/// alone: then `path.parent()` is `dir` (as a [`Path`]: the same
/// components). `false` says nothing (a path spelt otherwise, a platform
/// with path prefixes).
pub fn is_child_of(path: &Path, dir: &Path) -> bool {
    let (p, d) = (
        path.as_os_str().as_encoded_bytes(),
        dir.as_os_str().as_encoded_bytes(),
    );
    let Some(name) = p.strip_prefix(d).and_then(|rest| rest.strip_prefix(b"/")) else {
        return false;
    };
    cfg!(unix)
        && d.last().is_some_and(|&b| b != b'/')
        && !name.is_empty()
        && name != b"."
        && name != b".."
        && !name.contains(&b'/')
}

/// Directories found to be real directories (no link) below a root, by
/// absolute path; only good answers are kept (a directory may appear
/// later; one that was good is not swapped by devgen itself).
fn good_dirs() -> &'static Mutex<HashSet<PathBuf>> {
    static DIRS: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    DIRS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// Check the directories between `root` and `root/rel`'s parent: each a
/// real directory, not a link. `Missing` when one does not exist.
pub fn check_dirs(root: &Path, rel: &Path) -> Result<(), ReadError> {
    if LAST_GOOD.with_borrow(|(r, d)| r.as_os_str() == root.as_os_str() && is_child_of(rel, d)) {
        // The directory of the file checked before on this thread (files
        // are mostly checked in path order): each of its directories is
        // known good, as the loop below would find in `good_dirs`.
        return Ok(());
    }
    let Some(parent) = rel.parent() else {
        return Ok(());
    };
    let mut dir = root.to_path_buf();
    let mut shown = PathBuf::new();
    for c in parent.components() {
        match c {
            Component::Normal(n) => {
                dir.push(n);
                shown.push(n);
            }
            Component::CurDir => continue,
            // `..`, absolute paths: not a path under the root.
            _ => {
                return Err(ReadError::Io(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("{} leaves the project root", rel.display()),
                )));
            }
        }
        if good_dirs().lock().is_ok_and(|g| g.contains(&dir)) {
            continue;
        }
        let meta = std::fs::symlink_metadata(&dir)?;
        if meta.file_type().is_symlink() {
            return Err(ReadError::Symlink(shown));
        }
        if !meta.is_dir() {
            return Err(ReadError::Io(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("{} is not a directory", shown.display()),
            )));
        }
        if let Ok(mut g) = good_dirs().lock() {
            g.insert(dir.clone());
        }
    }
    LAST_GOOD.with_borrow_mut(|(r, d)| {
        let (r, d) = (r.as_mut_os_string(), d.as_mut_os_string());
        r.clear();
        r.push(root.as_os_str());
        d.clear();
        d.push(parent.as_os_str());
    });
    Ok(())
}

thread_local! {
    /// The root and directory (relative) of the last file whose
    /// directories [`check_dirs`] found good on this thread.
    static LAST_GOOD: std::cell::RefCell<(PathBuf, PathBuf)> =
        const { std::cell::RefCell::new((PathBuf::new(), PathBuf::new())) };
}

/// [`read`] of `root/rel`, with no link anywhere below `root`.
pub fn read_in(root: &Path, rel: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    check_dirs(root, rel)?;
    read(&root.join(rel), limit)
}

/// [`read_to_string`] of `root/rel`, with no link anywhere below `root`.
pub fn read_in_to_string(root: &Path, rel: &Path, limit: u64) -> Result<String, ReadError> {
    check_dirs(root, rel)?;
    read_to_string(&root.join(rel), limit)
}

#[cfg(all(test, unix))]
pub(crate) mod tests {
    use super::*;

    /// Tricky spellings of paths (also `plan`'s sort-key tests).
    pub(crate) const TRICKY_PATHS: &[&str] = &[
        "a",
        "a/b",
        "a//b",
        "a/./b",
        "./a/b",
        "a/b/",
        "a/b/.",
        "a/../b",
        "/a/b",
        "a/b.tmp",
        "deploy/k8s/x.yaml",
        "deploy/k8s/.x",
        "deploy/k8s/..x",
        "deploy/k8s/x/",
        ".",
        "..",
        "",
        "/",
        "//a",
        "a-b/c",
        "a\\b/c",
        "\u{e9}/x",
    ];

    #[test]
    fn is_child_of_says_the_parent() {
        for p in TRICKY_PATHS {
            for d in TRICKY_PATHS {
                let (p, d) = (Path::new(p), Path::new(d));
                if is_child_of(p, d) {
                    assert_eq!(p.parent(), Some(d), "{p:?} {d:?}");
                }
            }
        }
        if cfg!(unix) {
            assert!(is_child_of(
                Path::new("deploy/k8s/x.yaml"),
                Path::new("deploy/k8s")
            ));
            assert!(is_child_of(Path::new("a/.b"), Path::new("a")));
            assert!(!is_child_of(Path::new("a/b/c"), Path::new("a")));
            assert!(!is_child_of(Path::new("ab/c"), Path::new("a")));
        }
    }

    #[test]
    fn the_last_good_directory_is_only_trusted_under_the_same_root() {
        let d = tempfile::tempdir().unwrap();
        let (one, two) = (d.path().join("one"), d.path().join("two"));
        std::fs::create_dir_all(one.join("a")).unwrap();
        std::fs::create_dir_all(&two).unwrap();
        std::os::unix::fs::symlink(one.join("a"), two.join("a")).unwrap();
        assert!(check_dirs(&one, Path::new("a/f")).is_ok());
        assert!(check_dirs(&one, Path::new("a/g")).is_ok());
        assert!(matches!(
            check_dirs(&two, Path::new("a/f")),
            Err(ReadError::Symlink(p)) if p == Path::new("a")
        ));
        assert!(matches!(
            check_dirs(&two, Path::new("a/g")),
            Err(ReadError::Symlink(p)) if p == Path::new("a")
        ));
        assert!(check_dirs(&one, Path::new("a/h")).is_ok());
    }

    #[test]
    fn refuses_links_fifos_devices_and_large_files() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/f.txt"), "hello").unwrap();
        assert_eq!(read_in(root, Path::new("a/f.txt"), 10).unwrap(), b"hello");
        assert!(matches!(
            read_in(root, Path::new("a/f.txt"), 4),
            Err(ReadError::TooLarge { .. })
        ));
        std::os::unix::fs::symlink(root.join("a/f.txt"), root.join("a/link")).unwrap();
        assert!(matches!(
            read_in(root, Path::new("a/link"), 10),
            Err(ReadError::Symlink(_))
        ));
        std::os::unix::fs::symlink(root.join("a"), root.join("b")).unwrap();
        assert!(matches!(
            read_in(root, Path::new("b/f.txt"), 10),
            Err(ReadError::Symlink(p)) if p == Path::new("b")
        ));
        let fifo = root.join("a/fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_in(root, Path::new("a/fifo"), 10),
            Err(ReadError::Special(_))
        ));
        assert!(matches!(
            read(Path::new("/dev/zero"), 10),
            Err(ReadError::Special(_))
        ));
        assert!(
            read_in(root, Path::new("a/none"), 10)
                .unwrap_err()
                .is_missing()
        );
        assert!(
            read_in(root, Path::new("none/x"), 10)
                .unwrap_err()
                .is_missing()
        );
    }
}
