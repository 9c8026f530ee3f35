//! `devgen check` on the example project (this repository: config/ and its
//! 479 committed generated files).
//!
//! - whole process: the release binary's `check`, wall time (for CPU time
//!   run `perf stat -r 30 target/release/devgen check`);
//! - in process, per stage: the `kconfig` target (all providers), walking
//!   `deploy/` ahead (with the Terraform variables parsed), stale files,
//!   drift (reading each planned file).
//!
//! Plain harness (no criterion): each measurement runs many times; prints
//! the median and the 10th/90th percentiles.
//!
//! Run: `cargo bench --bench check` (release profile).
#[path = "support/timing.rs"]
mod timing;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use timing::bench;

use devgen::check::{Snapshot, ahead, drift, stale};
use devgen::pipeline::{resolve_all, resolve_common};
use devgen::project::Project;
use devgen::render::{Engine, RenderOptions, all_targets, find_target, render_plan};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = env!("CARGO_BIN_EXE_devgen");

    bench("whole process: devgen check (wall)", 60, || {
        let status = Command::new(bin)
            .arg("check")
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("devgen");
        assert!(status.success(), "devgen check is not clean");
    });

    let project = Project::load(root).unwrap();
    let names = project.profile_names();
    let mut resolved = resolve_all(&project, &names, &[]).unwrap();
    devgen::enrich::enrich(&mut resolved, &project.sources).unwrap();
    let models: Vec<_> = resolved.into_iter().map(|r| r.model).collect();
    let opts = RenderOptions {
        clouds: Vec::new(),
        all_profiles: names.clone(),
        all_models: models.clone(),
        common: resolve_common(&project).ok(),
        ..RenderOptions::default()
    };
    let engine = Engine::new(root);
    let kconfig = [find_target("kconfig").expect("kconfig target")];
    bench("kconfig target, every provider", 100, || {
        render_plan(&engine, &kconfig, &models, &opts).unwrap()
    });

    let targets: Vec<_> = all_targets().iter().collect();
    let plan = render_plan(&engine, &targets, &models, &opts).unwrap();
    bench(
        "walk deploy/ ahead (+ parse Terraform variables)",
        100,
        || {
            let a = ahead(root);
            (a.snapshot(), a.finish())
        },
    );
    bench("walk deploy/ (this thread)", 100, || {
        Snapshot::walk(root, Path::new("deploy"))
    });
    let disk = ahead(root).snapshot();
    let dirs = [PathBuf::from("deploy")];
    bench("stale, from the walk", 200, || {
        stale(&plan, root, &dirs, &disk)
    });
    bench("drift (reading each planned file)", 100, || {
        drift(&plan, root)
    });
}
