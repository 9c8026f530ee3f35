//! The timing loop of the micro-benchmarks (benches/check.rs, benches/pipeline.rs).
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Time `f` `iters` times after a warm-up; print the median and the
/// 10th/90th percentiles, and return the median.
pub fn bench<T>(name: &str, iters: usize, mut f: impl FnMut() -> T) -> Duration {
    for _ in 0..iters.min(10) {
        black_box(f());
    }
    let mut samples: Vec<Duration> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    samples.sort();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    println!(
        "{name:<52} median {:>9.3?}  p10 {:>9.3?}  p90 {:>9.3?}  (n={iters})",
        pct(0.5),
        pct(0.1),
        pct(0.9)
    );
    pct(0.5)
}
