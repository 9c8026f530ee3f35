//! `devgen render`: resolve, enrich, render a plan, write it (or list it).
use std::path::PathBuf;

use super::{CmdError, CmdResult, Ctx, EXIT_OK, out, parse_sets, print_warnings, resolve_profiles};
use crate::cli::RenderArgs;
use crate::diag::{Diagnostic, did_you_mean};
use crate::render::{
    Engine, Plan, RenderOptions, TargetSpec, all_targets, find_target, render_plan,
};
use crate::write::{Change, diff_plan, write_plan};

/// Resolve `--target` names (all targets when none).
pub fn select_targets(names: &[String]) -> Result<Vec<&'static TargetSpec>, CmdError> {
    if names.is_empty() {
        return Ok(all_targets().iter().collect());
    }
    let mut out: Vec<&'static TargetSpec> = Vec::new();
    for n in names {
        let Some(t) = find_target(n) else {
            let known: Vec<&str> = all_targets()
                .iter()
                .flat_map(|t| std::iter::once(t.name).chain(t.aliases.iter().copied()))
                .collect();
            let mut d = Diagnostic::error(format!("unknown target `{n}`"));
            d = match did_you_mean(n, known.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(format!("targets: {}", known.join(", "))),
            };
            return Err(CmdError::usage(d));
        };
        if !out.iter().any(|x| x.name == t.name) {
            out.push(t);
        }
    }
    Ok(out)
}

/// What `build_plan` produced.
pub struct Built {
    /// The rendered files.
    pub plan: Plan,
    /// The loaded project.
    pub project: crate::project::Project,
    /// The models rendered (one per profile).
    pub models: Vec<crate::model::Model>,
}

/// Everything up to the plan, shared by `render` and `check`.
pub fn build_plan(
    ctx: &Ctx,
    profiles: &[String],
    targets: &[String],
    clouds: &[String],
    sets: &[String],
) -> Result<Built, CmdError> {
    let project = ctx.project()?;
    let sets = parse_sets(sets)?;
    let targets = select_targets(targets)?;
    let mut resolved = resolve_profiles(&project, profiles, &sets)?;
    for r in &resolved {
        print_warnings(&r.warnings, &project.sources);
    }
    crate::enrich::enrich(&mut resolved, &project.sources)
        .map_err(|d| CmdError::problems(d, &project.sources))?;
    let models: Vec<_> = resolved.into_iter().map(|r| r.model).collect();
    if targets.iter().any(|t| t.name == "compose") {
        let warnings = crate::render::compose::compose_file_warnings(&ctx.root, &models);
        print_warnings(&warnings, &project.sources);
    }
    let engine = Engine::new(&ctx.root);
    let opts = RenderOptions {
        clouds: clouds.to_vec(),
        all_profiles: project.profile_names(),
        common: crate::pipeline::resolve_common(&project).ok(),
    };
    let plan = render_plan(&engine, &targets, &models, &opts).map_err(|d| {
        let mut sources = project.sources.clone();
        sources.extend(&engine.sources_for(&d));
        CmdError::problems(d, &sources)
    })?;
    Ok(Built {
        plan,
        project,
        models,
    })
}

/// `devgen render`.
pub fn render(ctx: &Ctx, a: &RenderArgs) -> CmdResult {
    let plan = build_plan(ctx, &a.profiles, &a.targets, &a.clouds, &a.set.set)?.plan;
    let base: PathBuf = match &a.out {
        Some(o) => {
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
    let report = if a.dry_run {
        diff_plan(&plan, &base)
    } else {
        write_plan(&plan, &base)
    }
    .map_err(CmdError::usage)?;
    let mut text = String::new();
    for (p, c) in &report.entries {
        if a.dry_run || *c != Change::Unchanged {
            text.push_str(&format!("{:<9} {}\n", c.as_str(), p.display()));
        }
    }
    let verb = if a.dry_run { "would write" } else { "wrote" };
    text.push_str(&format!(
        "devgen: {} files — {verb} {} new, {} updated; {} unchanged\n",
        report.entries.len(),
        report.count(Change::Create),
        report.count(Change::Update),
        report.count(Change::Unchanged)
    ));
    out(&text);
    Ok(EXIT_OK)
}
