//! Stage benchmarks on the example project: load, merge + validate + model,
//! per profile and for all profiles. Plain harness (no criterion): runs each
//! measurement many times and prints the median and the 10th/90th percentiles.
//!
//! Run: `cargo bench --bench pipeline` (release profile).
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use devgen::pipeline::resolve;
use devgen::project::Project;

/// Time `f` `iters` times after a warm-up; print and return the median.
fn bench(name: &str, iters: usize, mut f: impl FnMut()) -> Duration {
    for _ in 0..iters.min(10) {
        f();
    }
    let mut samples: Vec<Duration> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    samples.sort();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    println!(
        "{name:<44} median {:>10.3?}  p10 {:>10.3?}  p90 {:>10.3?}  (n={iters})",
        pct(0.5),
        pct(0.1),
        pct(0.9)
    );
    pct(0.5)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    bench("load (read + parse every config file)", 500, || {
        black_box(Project::load(root).unwrap());
    });
    let project = Project::load(root).unwrap();
    for p in project.profile_names() {
        bench(&format!("merge+validate+model  profile {p}"), 500, || {
            black_box(resolve(&project, &p, &[]).unwrap());
        });
    }
    bench("load+merge+validate+model, all profiles", 500, || {
        let project = Project::load(root).unwrap();
        for p in project.profile_names() {
            black_box(resolve(&project, &p, &[]).unwrap());
        }
    });
}
