//! One render at a time: an advisory lock (`flock`) on the output root
//! directory itself (no lock file to create, ignore or clean up).
//!
//! `render` and `init` hold it exclusively while they compare, stage and
//! move files into place; `check` holds it shared while it reads, so it
//! never compares against a tree a render is halfway through. A second
//! holder waits up to [`lock_wait`] and then gives up with a clear message
//! (exit 2). The lock goes when the process ends, however it ends.
use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::diag::Diagnostic;

/// How long a command waits for another devgen's lock by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);

/// How long to wait for the lock: `DEVGEN_LOCK_WAIT` seconds (a number,
/// fractions allowed), else [`DEFAULT_LOCK_WAIT`].
pub fn lock_wait() -> Duration {
    std::env::var("DEVGEN_LOCK_WAIT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(DEFAULT_LOCK_WAIT, Duration::from_secs_f64)
}

/// A held lock on a project (released when dropped).
#[derive(Debug)]
pub struct ProjectLock {
    _file: Option<File>,
}

impl ProjectLock {
    /// The exclusive lock of `root` (for writing).
    pub fn exclusive(root: &Path) -> Result<ProjectLock, Diagnostic> {
        Self::take(root, true)
    }

    /// A shared lock of `root` (for reading a consistent tree).
    pub fn shared(root: &Path) -> Result<ProjectLock, Diagnostic> {
        Self::take(root, false)
    }

    fn take(root: &Path, exclusive: bool) -> Result<ProjectLock, Diagnostic> {
        let dir = if root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root
        };
        let file = match File::open(dir) {
            Ok(f) => f,
            // Nothing to read a consistent tree of: the command says why.
            Err(_) if !exclusive => return Ok(ProjectLock { _file: None }),
            Err(e) => {
                return Err(Diagnostic::error(format!(
                    "cannot open {} to lock it: {e}",
                    dir.display()
                )));
            }
        };
        let wait = lock_wait();
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let r = if exclusive {
                file.try_lock()
            } else {
                file.try_lock_shared()
            };
            match r {
                Ok(()) => return Ok(ProjectLock { _file: Some(file) }),
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Diagnostic::error(format!(
                        "another devgen is writing {} (it holds the project lock); gave up after {:.1} s",
                        dir.display(),
                        wait.as_secs_f64()
                    ))
                    .with_hint(
                        "wait for the other `devgen render` to finish and run again (DEVGEN_LOCK_WAIT=<seconds> waits longer)",
                    ));
                }
                // No locking on this filesystem: go on unlocked rather
                // than refuse to work at all.
                Err(std::fs::TryLockError::Error(e))
                    if e.kind() == std::io::ErrorKind::Unsupported =>
                {
                    return Ok(ProjectLock { _file: Some(file) });
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Diagnostic::error(format!(
                        "cannot lock {}: {e}",
                        dir.display()
                    )));
                }
            }
        }
    }
}
