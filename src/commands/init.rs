//! `devgen init [DIR]`: scaffold a working project (config, hand-written
//! deploy/ parts, Makefile, .gitignore, pre-commit config), then render it so
//! `devgen check` is clean immediately. Existing files are never overwritten
//! unless `--force`.
use std::path::{Path, PathBuf};

use super::render::build_plan;
use super::{CmdError, CmdResult, Ctx, EXIT_OK, out};
use crate::cli::InitArgs;
use crate::diag::Diagnostic;
use crate::write::write_plan;

/// Files `init` writes: (relative path, text).
pub const SCAFFOLD: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_scaffold.rs"));

/// `devgen init`.
pub fn init(ctx: &Ctx, a: &InitArgs) -> CmdResult {
    let dir: PathBuf = match &a.target {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => ctx.root.join(d),
        None => ctx.root.clone(),
    };
    let io = |what: &str, p: &Path, e: std::io::Error| {
        CmdError::usage(Diagnostic::error(format!(
            "cannot {what} {}: {e}",
            p.display()
        )))
    };
    std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
    let existing: Vec<&str> = SCAFFOLD
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| dir.join(p).exists())
        .collect();
    if !existing.is_empty() && !a.force {
        let shown: Vec<&str> = existing.iter().take(8).copied().collect();
        return Err(CmdError::usage(
            Diagnostic::error(format!(
                "{} already holds {} of the files init would write ({}{})",
                dir.display(),
                existing.len(),
                shown.join(", "),
                if existing.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            ))
            .with_hint("pick an empty directory, or pass --force to overwrite them"),
        ));
    }
    let mut text = String::new();
    for (rel, body) in SCAFFOLD {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io("create", parent, e))?;
        }
        std::fs::write(&p, body).map_err(|e| io("write", &p, e))?;
        text.push_str(&format!("wrote     {rel}\n"));
    }
    let sub = Ctx { root: dir.clone() };
    let built = build_plan(&sub, &[], &[], &[], &[])?;
    let report = write_plan(&built.plan, &dir).map_err(CmdError::usage)?;
    for (p, _) in &report.entries {
        text.push_str(&format!("rendered  {}\n", p.display()));
    }
    text.push_str(&format!(
        "devgen: initialised {} — {} files scaffolded, {} rendered.\nNext: cd {} && devgen show --profile dev && devgen check\n",
        dir.display(),
        SCAFFOLD.len(),
        report.entries.len(),
        dir.display()
    ));
    out(&text);
    Ok(EXIT_OK)
}
