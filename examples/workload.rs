//! Write a deterministic synthetic project for benchmarks and comparisons:
//!
//! `cargo run --release --example workload -- OUT_DIR [SERVICES] [PROFILES]`
//! (defaults: 200 services, 12 profiles).
#[path = "../benches/support/workload.rs"]
mod workload;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: workload OUT_DIR [SERVICES] [PROFILES]");
        std::process::exit(2);
    };
    let services = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let profiles = args.next().and_then(|s| s.parse().ok()).unwrap_or(12);
    if let Err(e) = workload::generate(std::path::Path::new(&out), services, profiles) {
        eprintln!("workload: {e}");
        std::process::exit(2);
    }
    println!("wrote {services} services × {profiles} profiles × 3 clouds to {out}");
}
