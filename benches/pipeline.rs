//! Stage benchmarks on the example project: load, merge + validate + model,
//! per profile and for all profiles. Plain harness (no criterion): runs each
//! measurement many times and prints the median and the 10th/90th percentiles.
//!
//! Run: `cargo bench --bench pipeline` (release profile).
#[path = "support/timing.rs"]
mod timing;

use std::hint::black_box;
use std::path::Path;
use timing::bench;

use devgen::pipeline::resolve;
use devgen::project::Project;

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
