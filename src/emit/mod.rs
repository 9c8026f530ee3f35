//! Writers of the output syntaxes devgen produces: one YAML writer
//! ([`yaml`]) and one HCL writer ([`hcl`]), each over one value type
//! ([`node::Node`], a view of a JSON or a template value). A leaf module:
//! the template filters, every target and `show` write through it.
pub mod hcl;
pub mod node;
pub mod quote;
pub mod yaml;

pub use yaml::{to_yaml, yaml_scalar};
