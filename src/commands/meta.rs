//! `schema`, `completions`, `man`: facts about devgen itself.
use clap::CommandFactory;

use super::{CmdError, CmdResult, EXIT_OK, out};
use crate::cli::Cli;
use crate::diag::Diagnostic;

/// `devgen schema`: print the config JSON Schema.
pub fn schema() -> CmdResult {
    out(crate::schema::SCHEMA_TEXT);
    Ok(EXIT_OK)
}

/// `devgen completions <shell>`.
pub fn completions(shell: clap_complete::Shell) -> CmdResult {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "devgen", &mut buf);
    let text = String::from_utf8_lossy(&buf);
    match shell {
        clap_complete::Shell::Bash => out(&dynamic_bash(&text)),
        _ => out(&text),
    }
    Ok(EXIT_OK)
}

/// Which values an option completes to (`devgen __complete <kind>`).
const DYNAMIC: &[(&str, &str)] = &[
    ("--profile", "profiles"),
    ("-p", "profiles"),
    ("--target", "targets"),
    ("-t", "targets"),
    ("--provider", "providers"),
    ("--gpu", "gpus"),
    ("--gpu-model", "gpus"),
];

/// The bash script with file-name completion of the options above replaced
/// by the project's profiles and targets, the providers and GPU models.
fn dynamic_bash(script: &str) -> String {
    let mut out = String::with_capacity(script.len() + 2048);
    let mut kind: Option<&str> = None;
    for line in script.lines() {
        let t = line.trim();
        if let Some(k) = kind.take()
            && t.starts_with("COMPREPLY=($(compgen -f")
        {
            let indent = &line[..line.len() - line.trim_start().len()];
            out.push_str(&format!(
                "{indent}COMPREPLY=($(compgen -W \"$(devgen __complete {k} 2>/dev/null)\" -- \"${{cur}}\"))\n"
            ));
            continue;
        }
        kind = t
            .strip_suffix(')')
            .and_then(|opt| DYNAMIC.iter().find(|(o, _)| *o == opt))
            .map(|(_, k)| *k);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `devgen __complete KIND`: one value a line (nothing on any problem).
pub fn complete_values(ctx: &super::Ctx, kind: &str) -> CmdResult {
    let mut values: Vec<String> = Vec::new();
    match kind {
        "profiles" => {
            if let Ok(entries) = std::fs::read_dir(ctx.root.join("config/profiles")) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().to_string();
                    if let Some(stem) = name
                        .strip_suffix(".yaml")
                        .or_else(|| name.strip_suffix(".yml"))
                    {
                        values.push(stem.to_string());
                    }
                }
            }
        }
        "targets" => {
            for t in crate::render::all_targets() {
                values.push(t.name.to_string());
                values.extend(t.aliases.iter().map(|a| a.to_string()));
            }
            let engine = crate::render::Engine::new(&ctx.root);
            if let Ok(custom) = crate::pipeline::custom_targets(&engine) {
                values.extend(custom.into_iter().map(|c| c.name));
            }
        }
        "providers" => values.extend(["aws", "azure", "gcp", "lambdalabs"].map(String::from)),
        "gpus" => {
            crate::catalogue::set_offline(true);
            let cat = crate::catalogue::active();
            for p in crate::catalogue::Provider::ALL {
                values.extend(cat.gpu_models(p).into_iter().map(String::from));
            }
        }
        _ => {}
    }
    values.sort();
    values.dedup();
    let mut text = values.join("\n");
    text.push('\n');
    out(&text);
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
