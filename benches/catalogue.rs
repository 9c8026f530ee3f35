//! Timing of the embedded catalogue: decoding the whole blob, `select`, and
//! `list` with a filter; `devgen catalogue select` as a whole process; the
//! enrich stage on the example project; the `kconfig` target for the whole
//! catalogue (every provider); loading a refreshed cache. A plain `main` (no harness): run with
//! `cargo bench --bench catalogue` (release profile) and read the medians.

use std::hint::black_box;
use std::time::{Duration, Instant};

use std::path::Path;
use std::process::Command;

use devgen::catalogue::cache::{self, CacheFile};
use devgen::catalogue::{Catalogue, Filter, Provider, Request};
use devgen::enrich::enrich;
use devgen::pipeline::resolve_all;
use devgen::project::Project;
use devgen::render::{Engine, RenderOptions, find_target};

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
            attach: Vec::new(),
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

    // A whole process: exec, decode the catalogue on first use, select, print.
    let bin = env!("CARGO_BIN_EXE_devgen");
    let n = 50;
    report(
        "process: devgen catalogue select --gpu h100 -c 8",
        n,
        median(n, || {
            let o = Command::new(bin)
                .args(["catalogue", "select", "--gpu", "h100", "--count", "8"])
                .env("DEVGEN_OFFLINE", "1")
                .output()
                .expect("run devgen");
            assert!(o.status.success());
        }),
    );

    // The enrich stage (placements for every profile of the example).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = Project::load(root).expect("example project");
    let resolved = resolve_all(&project, &project.profile_names(), &[]).expect("resolves");
    let n = 200;
    report(
        "enrich the example (3 profiles × 3 clouds)",
        n,
        median(n, || {
            let mut r = resolved.clone();
            enrich(&mut r, &project.sources).expect("enriches")
        }),
    );

    // The kconfig target: every provider, every instance type.
    let mut r = resolved.clone();
    enrich(&mut r, &project.sources).expect("enriches");
    let models: Vec<_> = r.into_iter().map(|r| r.model).collect();
    let engine = Engine::new(Path::new("/nonexistent-devgen-bench"));
    let target = (find_target("kconfig").expect("kconfig target").target)();
    let opts = RenderOptions::default();
    let files = target.render(&engine, &models, &opts).expect("renders");
    let types: usize = Provider::ALL
        .iter()
        .map(|p| c.instance_types(*p).len())
        .sum();
    let bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
    println!(
        "kconfig: {} files, {} KiB, {types} instance types",
        files.len(),
        bytes / 1024
    );
    let n = 30;
    report(
        "render kconfig (all providers)",
        n,
        median(n, || {
            target.render(&engine, &models, &opts).expect("renders")
        }),
    );
}
