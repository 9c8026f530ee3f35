//! The config schema (`schemas/config.schema.json`), embedded: validate
//! checks configs against it and merge orders keys by it, so it lives below
//! both.
use std::sync::OnceLock;

use serde_json::Value;

/// The config schema, as committed in `schemas/config.schema.json`.
pub const SCHEMA_TEXT: &str = include_str!("../schemas/config.schema.json");

/// The parsed schema.
pub fn schema() -> &'static Value {
    static S: OnceLock<Value> = OnceLock::new();
    S.get_or_init(|| serde_json::from_str(SCHEMA_TEXT).expect("embedded schema is valid JSON"))
}
