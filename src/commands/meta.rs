//! `schema`, `completions`, `man`: facts about devgen itself.
use clap::CommandFactory;

use super::{CmdError, CmdResult, EXIT_OK, out};
use crate::cli::Cli;
use crate::diag::Diagnostic;

/// `devgen schema`: print the config JSON Schema.
pub fn schema() -> CmdResult {
    out(crate::validate::SCHEMA_TEXT);
    Ok(EXIT_OK)
}

/// `devgen completions <shell>`.
pub fn completions(shell: clap_complete::Shell) -> CmdResult {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "devgen", &mut buf);
    out(&String::from_utf8_lossy(&buf));
    Ok(EXIT_OK)
}

/// `devgen man`: the man page in roff.
pub fn man() -> CmdResult {
    let cmd = Cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf).map_err(|e| {
        CmdError::usage(Diagnostic::error(format!(
            "cannot render the man page: {e}"
        )))
    })?;
    out(&roff_ascii(&String::from_utf8_lossy(&buf)));
    Ok(EXIT_OK)
}

/// Non-ASCII characters as roff escapes (`→` becomes `\[u2192]`), so the page
/// renders the same whatever the reader's locale (man-db in a C locale warns
/// about raw UTF-8 and drops the characters).
pub fn roff_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn roff_ascii_escapes() {
        assert_eq!(
            super::roff_ascii("a → b — ü 🚀"),
            "a \\[u2192] b \\[u2014] \\[u00FC] \\[u1F680]"
        );
    }
}
