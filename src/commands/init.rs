//! `devgen init [DIR]`: scaffold a working project (config, hand-written
//! deploy/ parts, Makefile, .gitignore, pre-commit config), then render it so
//! `devgen check` is clean immediately. Existing files are never overwritten
//! unless `--force`.
use std::path::{Path, PathBuf};

use super::render::build_plan;
use super::{CmdError, CmdResult, Ctx, EXIT_OK, out};
use crate::cli::InitArgs;
use crate::diag::Diagnostic;
use crate::write::{WriteOptions, write_plan, write_plan_with};

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
    // Regular files already there (a link, a FIFO, … is refused by the
    // writer at its path, even with --force).
    let existing: Vec<&str> = SCAFFOLD
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| std::fs::symlink_metadata(dir.join(p)).is_ok_and(|m| m.is_file()))
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
    // The skeleton goes through the writer, as a render does: all or
    // nothing, never through a symbolic link inside DIR, and (with
    // --force, the explicit opt-in) over hand-written files.
    let mut skeleton = crate::render::Plan::default();
    for (rel, body) in SCAFFOLD {
        skeleton
            .add(crate::render::PlannedFile {
                path: PathBuf::from(rel),
                bytes: body.as_bytes().to_vec(),
                target: "init".into(),
                profile: None,
                regenerate: "devgen init --force".into(),
            })
            .map_err(CmdError::usage)?;
    }
    let opts = WriteOptions {
        overwrite_unmanaged: a.force,
    };
    write_plan_with(&skeleton, &dir, &opts)?;
    let mut text = String::new();
    for (rel, _) in SCAFFOLD {
        text.push_str(&format!("wrote     {rel}\n"));
    }
    let sub = Ctx { root: dir.clone() };
    let built = build_plan(&sub, &[], &[], &[], &[])?;
    let report = write_plan(&built.plan, &dir)?;
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
