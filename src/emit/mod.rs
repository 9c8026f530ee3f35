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

/// Append `n` in decimal, what `{n}` writes, without the formatting
/// machinery (Kconfig menus and tfvars write tens of thousands of numbers).
pub(crate) fn push_digits(out: &mut String, mut n: u64) {
    if n < 100 {
        if n >= 10 {
            out.push(char::from(b'0' + (n / 10) as u8));
        }
        out.push(char::from(b'0' + (n % 10) as u8));
        return;
    }
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[start..] {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_are_what_display_writes() {
        for n in [
            0,
            7,
            9,
            10,
            42,
            99,
            100,
            101,
            12_345,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut s = String::from("x");
            super::push_digits(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }

    #[test]
    fn pad_appends_exactly_n_spaces() {
        for n in [0, 1, 63, 64, 65, 200] {
            let mut s = String::from("x");
            super::pad(&mut s, n);
            assert_eq!(s, format!("x{}", " ".repeat(n)));
        }
    }
}
