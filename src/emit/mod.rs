//! Writers of the output syntaxes devgen produces: one YAML writer
//! ([`yaml`]) and one HCL writer ([`hcl`]), each over one value type
//! ([`node::Node`], a view of a JSON or a template value). A leaf module:
//! the template filters, every target and `show` write through it.
pub mod hcl;
pub mod node;
pub mod quote;
pub mod yaml;

pub use yaml::{to_yaml, yaml_scalar};

/// Append `n` spaces to `out` (indentation and alignment), a slice at a time
/// rather than a char at a time: the writers pad every line they write.
pub(crate) fn pad(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pad_appends_exactly_n_spaces() {
        for n in [0, 1, 63, 64, 65, 200] {
            let mut s = String::from("x");
            super::pad(&mut s, n);
            assert_eq!(s, format!("x{}", " ".repeat(n)));
        }
    }
}
