//! Scale benchmarks (issue: "prove devgen is fast, linear and unbreakable").
//!
//! - in-process, per stage, on a synthetic workload (benches/support/workload.rs):
//!   load, merge, validate, model (each, then together as commands run them),
//!   enrich, render per target, write;
//! - whole-process runs of the release binary: `render` from scratch on
//!   200 services × 12 profiles × 3 clouds (and 400 × 12 for linearity),
//!   `check` on the example project, `catalogue select`; peak RSS via
//!   GNU time when /usr/bin/time exists.
//!
//! Run: `cargo bench --bench scale` (prints medians; BENCHMARKS.md records them).
#[path = "support/workload.rs"]
mod workload;

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use devgen::merge::merge_profile;
use devgen::pipeline::resolve_all;
use devgen::project::Project;
use devgen::render::{Engine, RenderOptions, all_targets, render_plan};
use devgen::validate::validate;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(iters: usize, mut f: impl FnMut() -> T) -> Duration {
    black_box(f());
    median(
        (0..iters)
            .map(|_| {
                let t = Instant::now();
                let r = black_box(f());
                let took = t.elapsed();
                // Dropped outside the clock (a TempDir's drop deletes it).
                drop(r);
                took
            })
            .collect(),
    )
}

/// Where the benchmark writes: `DEVGEN_BENCH_TMP`, else /dev/shm when it
/// exists (tmpfs: the figures are devgen's, not the disk's), else the system
/// temporary directory. On this project's CI machine creating a file on its
/// ext4 disk costs ~0.8 ms in the kernel's inode allocator (a Python loop
/// creating 6,000 files takes 4.8 s there, 0.17 s on tmpfs).
fn scratch_base() -> std::path::PathBuf {
    if let Some(d) = std::env::var_os("DEVGEN_BENCH_TMP") {
        return d.into();
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// A fresh directory under [`scratch_base`], deleted on drop.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(scratch_base()).unwrap()
}

fn row(name: &str, d: Duration) {
    println!("{name:<58} {:>10.2} ms", d.as_secs_f64() * 1e3);
}

fn stages(root: &Path, label: &str, iters: usize) -> Duration {
    let load = time(iters, || Project::load(root).unwrap());
    row(&format!("[{label}] load"), load);
    let project = Project::load(root).unwrap();
    let names = project.profile_names();
    // The three steps of resolving, each over every profile on this thread
    // (the row after them is what commands run: all three, in parallel).
    let merged: Vec<_> = names
        .iter()
        .map(|n| merge_profile(&project, n, &[]).unwrap())
        .collect();
    let steps = [
        (
            "merge",
            time(iters, || {
                names
                    .iter()
                    .map(|n| merge_profile(&project, n, &[]).unwrap())
                    .collect::<Vec<_>>()
            }),
        ),
        (
            "validate",
            time(iters, || {
                merged
                    .iter()
                    .map(|m| validate(m, &project))
                    .collect::<Vec<_>>()
            }),
        ),
        (
            "model",
            time(iters, || {
                merged
                    .iter()
                    .map(|m| devgen::model::build(m, &project).unwrap())
                    .collect::<Vec<_>>()
            }),
        ),
    ];
    for (step, d) in steps {
        row(&format!("[{label}]   {step}, all profiles, one thread"), d);
    }
    let merge = time(iters, || resolve_all(&project, &names, &[]).unwrap());
    row(
        &format!("[{label}] merge+validate+model, all profiles"),
        merge,
    );
    let resolved = resolve_all(&project, &names, &[]).unwrap();
    // Copies made before the clock starts (one per run, and the warm-up).
    let mut copies: Vec<_> = (0..=iters).map(|_| resolved.clone()).collect();
    let enrich = time(iters, || {
        let mut r = copies.pop().unwrap();
        devgen::enrich::enrich(&mut r, &project.sources).unwrap();
        r
    });
    row(&format!("[{label}] enrich"), enrich);
    let mut r = resolved.clone();
    devgen::enrich::enrich(&mut r, &project.sources).unwrap();
    let models: Vec<_> = r.into_iter().map(|r| r.model).collect();
    let opts = RenderOptions {
        clouds: vec![],
        all_profiles: names.clone(),
        all_models: models.clone(),
        common: devgen::pipeline::resolve_common(&project).ok(),
        ..RenderOptions::default()
    };
    let mut total = load + merge + enrich;
    for t in all_targets() {
        let engine = Engine::new(root);
        let d = time(iters, || {
            render_plan(&engine, &[t], &models, &opts).unwrap()
        });
        let files = render_plan(&engine, &[t], &models, &opts)
            .unwrap()
            .files
            .len();
        row(&format!("[{label}] render {} ({files} files)", t.name), d);
        total += d;
    }
    let engine = Engine::new(root);
    let targets: Vec<_> = all_targets().iter().collect();
    let plan = render_plan(&engine, &targets, &models, &opts).unwrap();
    let out = scratch();
    let write = time(iters.min(5), || {
        let d = tempfile::tempdir_in(out.path()).unwrap();
        devgen::write::write_plan(&plan, d.path()).unwrap();
        d
    });
    row(
        &format!("[{label}] write {} files (fresh dir)", plan.files.len()),
        write,
    );
    total + write
}

/// Median wall time and peak RSS (KiB) of whole processes, one per argument
/// list. The runs of the lists alternate, so a change in the machine's load
/// during the benchmark affects each alike (their ratio is what the
/// linearity claim rests on). With `fresh_out`, each run renders into a new
/// `--out` directory, deleted after the run, outside the clock.
fn processes(arg_sets: &[&[&str]], iters: usize, fresh_out: bool) -> Vec<(Duration, Option<u64>)> {
    let bin = env!("CARGO_BIN_EXE_devgen");
    let scratch = scratch();
    let out_dir = scratch.path().join("out");
    let extra = || -> Vec<String> {
        if fresh_out {
            vec!["--out".into(), out_dir.display().to_string()]
        } else {
            vec![]
        }
    };
    let run = |args: &[&str]| {
        let t = Instant::now();
        let st = Command::new(bin).args(args).args(extra()).output().unwrap();
        let took = t.elapsed();
        assert!(
            st.status.success() || st.status.code() == Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        if fresh_out {
            std::fs::remove_dir_all(&out_dir).unwrap();
        }
        took
    };
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); arg_sets.len()];
    for args in arg_sets {
        run(args); // warm-up
    }
    for _ in 0..iters {
        for (i, args) in arg_sets.iter().enumerate() {
            times[i].push(run(args));
        }
    }
    let rss = |args: &[&str]| -> Option<u64> {
        if !Path::new("/usr/bin/time").exists() {
            return None;
        }
        let o = Command::new("/usr/bin/time")
            .args(["-f", "%M", bin])
            .args(args)
            .args(extra())
            .output()
            .unwrap();
        if fresh_out {
            let _ = std::fs::remove_dir_all(&out_dir);
        }
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
    };
    arg_sets
        .iter()
        .zip(times)
        .map(|(args, t)| (median(t), rss(args)))
        .collect()
}

/// [`processes`] of one argument list.
fn process(args: &[&str], iters: usize, fresh_out: bool) -> (Duration, Option<u64>) {
    processes(&[args], iters, fresh_out).remove(0)
}

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("== in-process stages (median)");
    println!("(files written under {})", scratch_base().display());
    let small = scratch();
    workload::generate(small.path(), 200, 12).unwrap();
    let t200 = stages(small.path(), "200×12", 5);
    let big = scratch();
    workload::generate(big.path(), 400, 12).unwrap();
    let t400 = stages(big.path(), "400×12", 3);
    println!(
        "doubling services: {:.2}× the time (in-process total)",
        t400.as_secs_f64() / t200.as_secs_f64()
    );

    println!("== whole process (release binary, median)");
    let s = small.path().display().to_string();
    let b = big.path().display().to_string();
    let render = |dir: &str| -> Vec<String> {
        [
            "-C", dir, "render", "--target", "compose", "--target", "tfvars",
        ]
        .into_iter()
        .chain(["--target", "k8s"])
        .map(String::from)
        .collect()
    };
    let (a200, a400) = (render(&s), render(&b));
    let r200: Vec<&str> = a200.iter().map(String::as_str).collect();
    let r400: Vec<&str> = a400.iter().map(String::as_str).collect();
    let both = processes(&[&r200, &r400], 15, true);
    let ((d200, rss200), (d400, _)) = (both[0], both[1]);
    row("render compose+tfvars+k8s from scratch, 200×12×3", d200);
    if let Some(k) = rss200 {
        println!("{:<58} {:>10.1} MB", "  peak RSS", k as f64 / 1024.0);
    }
    row("render compose+tfvars+k8s from scratch, 400×12×3", d400);
    println!(
        "doubling services: {:.2}× the time (whole process)",
        d400.as_secs_f64() / d200.as_secs_f64()
    );
    let ex = repo.display().to_string();
    let (dc, rssc) = process(&["-C", &ex, "check"], 31, false);
    row("check on the example project", dc);
    if let Some(k) = rssc {
        println!("{:<58} {:>10.1} MB", "  peak RSS", k as f64 / 1024.0);
    }
    let (ds, _) = process(
        &["catalogue", "select", "--gpu", "h100", "--count", "8"],
        31,
        false,
    );
    row("catalogue select --gpu h100 --count 8", ds);
}
