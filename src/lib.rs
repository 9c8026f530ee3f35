//! devgen: one declarative config → every deployment artefact.
//!
//! The modules mirror the pipeline:
//! load → merge → validate → model → enrich → render → write/check.
pub mod catalogue;
pub mod cli;
