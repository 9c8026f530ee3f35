//! devgen: one declarative config → every deployment artefact.
//!
//! The modules mirror the pipeline:
//! load → merge → validate → model → enrich → render → write/check.

// Errors are `Diagnostic`s (message, path, span, hints): large by design and
// only built on the error path, so boxing them would buy nothing.
#![allow(clippy::result_large_err)]
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod commands;
pub mod diag;
pub mod emit;
pub mod enrich;
pub mod load;
pub mod lock;
pub mod merge;
pub mod model;
pub mod path;
pub mod pipeline;
pub mod project;
pub mod prune;
pub mod quantity;
pub mod redact;
pub mod render;
pub mod safe_fs;
pub mod timings;
pub mod validate;
pub mod write;
