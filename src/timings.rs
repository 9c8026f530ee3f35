//! `DEVGEN_TIMINGS=1`: one stderr line per pipeline stage with the
//! milliseconds since the process started, for finding what a slow run spends
//! its time on (`devgen check` is meant to feel instant as a pre-commit hook).
//! Off, a mark costs one relaxed atomic load.
use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Option<Instant>> = OnceLock::new();

/// Starts the clock when `DEVGEN_TIMINGS` is set (to anything but `0` or
/// empty). Call it first thing in `main`.
pub fn start() {
    START.get_or_init(|| {
        std::env::var_os("DEVGEN_TIMINGS")
            .filter(|v| !v.is_empty() && v != "0")
            .map(|_| Instant::now())
    });
}

/// Prints `stage` with the time since [`start`] when timings are on, and
/// the CPU time the process has used so far (all threads, user + system):
/// CPU time growing slower than wall time between two marks means idle cores.
pub fn mark(stage: &str) {
    if let Some(Some(t0)) = START.get() {
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        match cpu_ms() {
            Some(cpu) => eprintln!("devgen: timings: {ms:8.2} ms  cpu {cpu:8.2} ms  {stage}"),
            None => eprintln!("devgen: timings: {ms:8.2} ms  {stage}"),
        }
    }
}

/// CPU time of the process so far, in milliseconds.
#[cfg(unix)]
fn cpu_ms() -> Option<f64> {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return None;
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    Some(ms(u.ru_utime) + ms(u.ru_stime))
}

#[cfg(not(unix))]
fn cpu_ms() -> Option<f64> {
    None
}
