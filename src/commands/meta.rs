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
    out(&String::from_utf8_lossy(&buf));
    Ok(EXIT_OK)
}
