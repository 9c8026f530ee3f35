//! Timing of the embedded catalogue: decoding the whole blob, `select`, and
//! `list` with a filter. A plain `main` (no harness): run with
//! `cargo bench --bench catalogue` (release profile) and read the medians.

use std::hint::black_box;
use std::time::{Duration, Instant};

use devgen::catalogue::cache::{self, CacheFile};
use devgen::catalogue::{Catalogue, Filter, Provider, Request};

/// Median wall time of `iterations` runs of `f`.
fn median<T>(iterations: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

fn report(name: &str, iterations: usize, time: Duration) {
    println!(
        "{name:<44} median {:>10.1} µs  ({iterations} iterations)",
        time.as_secs_f64() * 1e6
    );
}

fn main() {
    let n = 200;
    report(
        "decode whole embedded catalogue",
        n,
        median(n, Catalogue::decode_embedded),
    );

    let c = Catalogue::embedded();
    let h100 = Request::gpu("h100", 8.0);
    let n = 2000;
    report(
        "select 8 × h100, all providers",
        n,
        median(n, || c.select(&h100)),
    );
    let mut a10g = Request::gpu("a10g", 1.0);
    a10g.providers = vec![Provider::Aws];
    a10g.regions = vec!["us-east-1".into()];
    report(
        "select 1 × a10g, aws, us-east-1",
        n,
        median(n, || c.select(&a10g)),
    );
    let cpu = Request {
        min_vcpus: Some(4),
        min_memory_gib: Some(16.0),
        ..Request::default()
    };
    report(
        "select ≥ 4 vCPUs ≥ 16 GiB (no GPU)",
        n,
        median(n, || c.select(&cpu)),
    );

    let n = 50;
    let filter = Filter {
        gpu_model: Some("h100".into()),
        ..Filter::default()
    };
    report(
        "list --gpu h100 (all providers)",
        n,
        median(n, || c.list(&filter)),
    );
    report(
        "list everything (60k rows)",
        n,
        median(n, || c.list(&Filter::default())),
    );

    // The refreshed cache: every provider cached with snapshot-sized data
    // (what `catalogue::active()` parses once per process), and one provider.
    let dir = tempfile::tempdir().expect("tempdir");
    let now = cache::now();
    for p in Provider::ALL {
        let file = CacheFile {
            format: cache::FORMAT,
            provider: p,
            fetched_at: now,
            source: "bench".into(),
            requested_regions: None,
            fetched_regions: Vec::new(),
            regions: c.regions(p).to_vec(),
            rows: c.list(&Filter {
                providers: vec![p],
                ..Filter::default()
            }),
        };
        cache::write(dir.path(), &file).expect("write cache");
    }
    let n = 20;
    report(
        "load cache: all 4 providers (60k rows)",
        n,
        median(n, || cache::load(dir.path(), now)),
    );
    for p in [Provider::Azure, Provider::Gcp, Provider::Lambdalabs] {
        std::fs::remove_file(cache::path(dir.path(), p)).expect("remove");
    }
    report(
        "load cache: aws only (3k rows + merge)",
        n,
        median(n, || cache::load(dir.path(), now)),
    );
    let empty = tempfile::tempdir().expect("tempdir");
    report(
        "load cache: no cache files (4 stats)",
        2000,
        median(2000, || cache::load(empty.path(), now)),
    );
}
