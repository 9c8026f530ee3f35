//! devgen's integration tests: one test crate (one binary to build and link,
//! as just does) with one module per area. Run one area with
//! `cargo test --test it <module>::`, e.g. `cargo test --test it scanners::`.
//! Shared helpers (running devgen, finding the real external tools) are in
//! `common/`.

mod common;
/// Hostile values (quotes, escapes, template syntax) shared by the writer tests.
mod hostile;

mod architecture;
mod broken_configs;
mod catalogue_cli;
mod catalogue_update;
mod check_scenarios;
mod completions;
mod compose;
mod compose_import;
mod custom_targets;
mod diagnostic_parity;
mod enrich;
mod gpu_placement;
mod helm_values;
mod init_skeleton;
mod inspect;
mod k8s;
mod k8s_stacks;
mod kconfig;
mod kdevops;
mod makefile;
mod prune;
mod render_snapshots;
mod robustness;
mod scanners;
mod security_data;
mod security_fs;
mod small_things;
mod stacks;
mod targets;
mod terraform;
mod tfvars;
