//! devgen: one declarative config → every deployment artefact.
//!
//! The modules mirror the pipeline:
//! load → merge → validate → model → enrich → render → write/check.

// Errors are `Diagnostic`s (message, path, span, hints): large by design and
// only built on the error path, so boxing them would buy nothing.
#![allow(clippy::result_large_err)]
// Stages, in pipeline order, and what the binary, the benches and the
// integration tests reach: public.
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod commands;
pub mod diag;
pub mod emit;
pub mod enrich;
pub mod load;
pub mod merge;
pub mod model;
pub mod path;
pub mod pipeline;
pub mod project;
pub mod render;
pub mod validate;
pub mod write;

// Helpers below the stages (leaves of the module graph: see the README's
// architecture section) and internals no caller outside the crate needs.
mod disk;
mod fit;
mod lock;
mod needles;
mod output;
mod parallel;
mod plan;
mod prune;
mod quantity;
mod redact;
mod safe_fs;
mod schema;
mod timings;
