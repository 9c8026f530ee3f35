//! `devgen render`: run the pipeline to a plan ([`pipeline::plan`]), write
//! it (or list it).
use std::path::{Path, PathBuf};

use super::{CmdError, CmdResult, Ctx, EXIT_OK, out, parse_sets, print_warnings};
use crate::cli::RenderArgs;
use crate::diag::{Diagnostic, did_you_mean};
use crate::pipeline::{self, Built, Selection};
use crate::plan::{Plan, Scope};
use crate::project::Project;
use crate::write::{Change, diff_plan, write_plan};

/// Load the project and run the pipeline up to the plan ([`pipeline::plan`]),
/// printing warnings as they are found: what `render`, `check` and `init`
/// share.
pub fn build_plan(
    ctx: &Ctx,
    profiles: &[String],
    targets: &[String],
    clouds: &[String],
    sets: &[String],
) -> Result<(Project, Built), CmdError> {
    let project = ctx.project()?;
    crate::timings::mark("config loaded");
    let selection = Selection {
        profiles: profiles.to_vec(),
        targets: targets.to_vec(),
        clouds: clouds.to_vec(),
        sets: parse_sets(sets)?,
    };
    let sources = project.sources.clone();
    let built = pipeline::plan(&project, &selection, &mut |w| print_warnings(w, &sources))?;
    Ok((project, built))
}

/// Directories of a project that `render --out` may not write into: what
/// devgen reads (config, templates) and git's own.
pub const INPUT_DIRS: [&str; 3] = ["config", "templates", ".git"];

/// Where `p` is, absolute and without links or `..`: its deepest existing
/// ancestor resolved, the rest appended (`None`: the rest holds `..`).
fn resolved(p: &Path) -> Option<PathBuf> {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(p)
    };
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while existing.symlink_metadata().is_err() {
        rest.push(existing.file_name()?.to_os_string());
        existing = existing.parent()?;
    }
    let mut out = existing.canonicalize().ok()?;
    for c in rest.into_iter().rev() {
        if c == ".." || c == "." {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

/// Refuse an `--out` directory inside the project's inputs
/// ([`INPUT_DIRS`]) or above the project root (exit 2): writing there
/// would feed the output back into the next run, or spread it over
/// whatever holds the project.
fn refuse_input_dir(root: &Path, out: &Path) -> Result<(), CmdError> {
    let refuse = |why: String| {
        CmdError::usage(
            Diagnostic::error(format!("refusing --out {}: {why}", out.display()))
                .with_hint("pick a directory outside config/ and templates/, e.g. --out build/"),
        )
    };
    let (Some(out_r), Some(root_r)) = (resolved(out), resolved(root)) else {
        return Err(refuse(
            "cannot tell where it is (`..` after a missing directory?)".into(),
        ));
    };
    for input in INPUT_DIRS {
        if out_r.starts_with(root_r.join(input)) {
            return Err(refuse(format!(
                "it is inside the project's {input}/ (an input of devgen)"
            )));
        }
    }
    if root_r.starts_with(&out_r) && root_r != out_r {
        return Err(refuse(
            "it holds the project root (output goes into the project root or a directory of its own)".into(),
        ));
    }
    Ok(())
}

/// `devgen render`.
pub fn render(ctx: &Ctx, a: &RenderArgs) -> CmdResult {
    let (project, built) = build_plan(ctx, &a.profiles, &a.targets, &a.clouds, &a.set.set)?;
    let scope = Scope {
        targets: built.targets,
        all_targets: a.targets.is_empty(),
        profiles: (!a.profiles.is_empty()).then(|| a.profiles.clone()),
        clouds: a.clouds.clone(),
    };
    let mut plan = built.plan;
    if let Some(path) = &a.print {
        return print_one(&plan, path);
    }
    let base: PathBuf = match &a.out {
        Some(o) if o.as_os_str() == "-" => {
            return Err(CmdError::usage(
                Diagnostic::error("`--out -` is not an output directory")
                    .with_hint("to print one rendered file, use `devgen render --print PATH`"),
            ));
        }
        Some(o) => {
            refuse_input_dir(&ctx.root, o)?;
            std::fs::create_dir_all(o).map_err(|e| {
                CmdError::usage(Diagnostic::error(format!(
                    "cannot create {}: {e}",
                    o.display()
                )))
            })?;
            o.clone()
        }
        None => ctx.root.clone(),
    };
    plan.prune = Some(scope);
    let report = if a.dry_run {
        diff_plan(&plan, &base)
    } else {
        write_plan(&plan, &base)
    }
    .map_err(CmdError::from)?;
    crate::timings::mark("written");
    let mut text = String::new();
    for (p, c) in &report.entries {
        if a.dry_run || *c != Change::Unchanged {
            push_change_line(&mut text, *c, p);
        }
    }
    let verb = if a.dry_run { "would write" } else { "wrote" };
    let deleted = report.count(Change::Delete);
    let deletes = match (deleted, a.dry_run) {
        (0, _) => String::new(),
        (n, true) => format!(", would delete {n} stale"),
        (n, false) => format!(", deleted {n} stale"),
    };
    text.push_str(&format!(
        "devgen: {} files — {verb} {} new, {} updated; {} unchanged{deletes}\n",
        report.entries.len() - deleted,
        report.count(Change::Create),
        report.count(Change::Update),
        report.count(Change::Unchanged)
    ));
    out(&text);
    // The process ends next: the plan (every file's bytes), the models and
    // the loaded config are freed beside that, not before it.
    let large = plan.files.len() >= crate::parallel::LARGE_PLAN;
    crate::parallel::drop_aside((plan, built.models, project), large);
    Ok(EXIT_OK)
}

/// One line of the report, `{:<9} {}` of the change and the path (shown as
/// `Path::display` shows it), appended without formatting machinery: a
/// render of 6,800 files prints 6,800 of them.
fn push_change_line(text: &mut String, c: Change, p: &Path) {
    const WIDTH: usize = 9;
    let name = c.as_str();
    text.push_str(name);
    text.extend(std::iter::repeat_n(
        ' ',
        WIDTH.saturating_sub(name.len()) + 1,
    ));
    text.push_str(&p.to_string_lossy());
    text.push('\n');
}

/// `render --print PATH`: the planned bytes of one file, nothing written.
fn print_one(plan: &Plan, path: &std::path::Path) -> CmdResult {
    let rel: PathBuf = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    match plan.files.get(&rel) {
        Some(f) => {
            match std::str::from_utf8(&f.bytes) {
                // Text (every target writes text): redacted like any output.
                Ok(text) => out(text),
                Err(_) => {
                    use std::io::Write as _;
                    let _ = std::io::stdout().write_all(&f.bytes);
                }
            }
            Ok(EXIT_OK)
        }
        None => {
            let names: Vec<String> = plan.files.keys().map(|p| p.display().to_string()).collect();
            let shown = rel.display().to_string();
            let mut d = Diagnostic::error(format!("`{shown}` is not a file this render produces"));
            d = match did_you_mean(&shown, names.iter().map(String::as_str)) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint("`devgen render --dry-run` lists the files (with --profile/--target to narrow it)"),
            };
            Err(CmdError::usage(d))
        }
    }
}
