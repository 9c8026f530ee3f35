//! `devgen render`: resolve, enrich, render a plan, write it (or list it).
use std::path::{Path, PathBuf};

use super::{CmdError, CmdResult, Ctx, EXIT_OK, out, parse_sets, print_warnings, profile_names};
use crate::cli::RenderArgs;
use crate::diag::{Diagnostic, did_you_mean};
use crate::render::custom::{CUSTOM_DIR, CustomTarget, discover};
use crate::render::{
    Engine, Plan, RenderOptions, Target, TargetSpec, all_targets, find_target, render_targets,
};
use crate::write::{Change, diff_plan, write_plan};

/// A target chosen for a run: built-in (static registry) or custom (found in
/// the project's `templates/custom/<name>/target.yaml`).
pub enum SelectedTarget {
    /// A built-in target.
    Builtin(&'static TargetSpec),
    /// A custom target of this project.
    Custom(Box<CustomTarget>),
}

impl SelectedTarget {
    /// Canonical name.
    pub fn name(&self) -> &str {
        match self {
            SelectedTarget::Builtin(t) => t.name,
            SelectedTarget::Custom(c) => &c.name,
        }
    }

    /// Whether it is a custom target.
    pub fn is_custom(&self) -> bool {
        matches!(self, SelectedTarget::Custom(_))
    }
}

/// Names and aliases of every built-in target.
fn builtin_names() -> Vec<&'static str> {
    all_targets()
        .iter()
        .flat_map(|t| std::iter::once(t.name).chain(t.aliases.iter().copied()))
        .collect()
}

/// The project's custom targets (manifest problems are invalid config, exit 1).
pub fn custom_targets(engine: &Engine) -> Result<Vec<CustomTarget>, CmdError> {
    discover(engine, &builtin_names()).map_err(|e| CmdError::problems(e.diags, &e.sources))
}

/// Resolve `--target` names against the built-in and the project's custom
/// targets (every one of both when none are named: built-ins first, then
/// custom targets by name).
pub fn select_targets(engine: &Engine, names: &[String]) -> Result<Vec<SelectedTarget>, CmdError> {
    let custom = custom_targets(engine)?;
    if names.is_empty() {
        let mut out: Vec<SelectedTarget> =
            all_targets().iter().map(SelectedTarget::Builtin).collect();
        out.extend(
            custom
                .into_iter()
                .map(|c| SelectedTarget::Custom(Box::new(c))),
        );
        return Ok(out);
    }
    let mut out: Vec<SelectedTarget> = Vec::new();
    for n in names {
        let found = match find_target(n) {
            Some(t) => SelectedTarget::Builtin(t),
            None => match custom.iter().find(|c| &c.name == n) {
                Some(c) => SelectedTarget::Custom(Box::new(c.clone())),
                None => {
                    let builtin = builtin_names();
                    let custom_names: Vec<&str> = custom.iter().map(|c| c.name.as_str()).collect();
                    let mut d = Diagnostic::error(format!("unknown target `{n}`"));
                    let list = format!(
                        "built-in targets: {}; custom targets ({CUSTOM_DIR}/): {}",
                        if builtin.is_empty() {
                            "none".to_string()
                        } else {
                            builtin.join(", ")
                        },
                        if custom_names.is_empty() {
                            "none".to_string()
                        } else {
                            custom_names.join(", ")
                        },
                    );
                    d = match did_you_mean(n, builtin.iter().chain(custom_names.iter()).copied()) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")).with_note(list),
                        None => d.with_hint(list),
                    };
                    return Err(CmdError::usage(d));
                }
            },
        };
        if !out.iter().any(|x| x.name() == found.name()) {
            out.push(found);
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

/// Everything up to the plan, shared by `render` and `check`: built-in and
/// custom targets alike (no `targets` means all of both).
pub fn build_plan(
    ctx: &Ctx,
    profiles: &[String],
    targets: &[String],
    clouds: &[String],
    sets: &[String],
) -> Result<Built, CmdError> {
    let project = ctx.project()?;
    crate::timings::mark("config loaded");
    let sets = parse_sets(sets)?;
    let engine = Engine::new(&ctx.root);
    let mut targets = select_targets(&engine, targets)?;
    let names = profile_names(&project, profiles)?;
    let all_profiles = project.profile_names();
    // `each: once` files of custom targets and the kconfig target see every
    // profile, so their bytes do not depend on which profiles were selected.
    let kconfig = targets.iter().any(|t| t.name() == "kconfig");
    let needs_all = kconfig
        || targets
            .iter()
            .any(|t| matches!(t, SelectedTarget::Custom(c) if c.has_once()));
    let missing: Vec<String> = if needs_all {
        all_profiles
            .iter()
            .filter(|p| !names.contains(p))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    // Every profile needed resolves once, together (in parallel when it
    // pays), with the model of `config/common/` alone beside them; problems
    // are reported as before: the selected profiles' first.
    let wanted: Vec<String> = names.iter().chain(missing.iter()).cloned().collect();
    let (mut results, common) = crate::pipeline::resolve_each_and_common(&project, &wanted, &sets);
    let extra_results = results.split_off(names.len());
    let problems = |d| CmdError::problems(d, &project.sources);
    let mut resolved = crate::pipeline::collect(results).map_err(problems)?;
    crate::timings::mark("profiles merged, validated, modelled");
    for r in &resolved {
        print_warnings(&r.warnings, &project.sources);
    }
    let mut warnings = crate::enrich::enrich(&mut resolved, &project.sources)
        .map_err(|d| CmdError::problems(d, &project.sources))?;
    let models: Vec<_> = resolved.into_iter().map(|r| r.model).collect();
    crate::timings::mark("enriched");
    // A GPU service that nothing fits on a cloud the tfvars target renders is
    // that target's error: report it once, as the error.
    if targets.iter().any(|t| t.name() == "tfvars") {
        warnings.retain(|w| !crate::render::tfvars::supersedes(&models, clouds, w));
    }
    print_warnings(&warnings, &project.sources);
    if targets.iter().any(|t| t.name() == "compose") {
        let warnings = crate::render::compose::compose_file_warnings(&ctx.root, &models);
        print_warnings(&warnings, &project.sources);
    }
    let mut all_models = Vec::new();
    if needs_all {
        let mut extra = if missing.is_empty() {
            Vec::new()
        } else {
            crate::pipeline::collect(extra_results).map_err(problems)?
        };
        crate::enrich::enrich(&mut extra, &project.sources)
            .map_err(|d| CmdError::problems(d, &project.sources))?;
        let extra: Vec<_> = extra.into_iter().map(|r| r.model).collect();
        let all: Vec<_> = all_profiles
            .iter()
            .filter_map(|p| {
                models
                    .iter()
                    .chain(extra.iter())
                    .find(|m| &m.profile == p)
                    .cloned()
            })
            .collect();
        for t in &mut targets {
            if let SelectedTarget::Custom(c) = t {
                c.set_all_models(all.clone());
            }
        }
        if kconfig {
            all_models = all;
        }
    }
    let opts = RenderOptions {
        clouds: clouds.to_vec(),
        all_profiles,
        all_models,
        common,
    };
    let built: Vec<Box<dyn Target>> = targets
        .into_iter()
        .map(|t| match t {
            SelectedTarget::Builtin(spec) => (spec.target)(),
            SelectedTarget::Custom(c) => c as Box<dyn Target>,
        })
        .collect();
    let refs: Vec<&dyn Target> = built.iter().map(|b| b.as_ref()).collect();
    let plan = render_targets(&engine, &refs, &models, &opts).map_err(|d| {
        let mut sources = project.sources.clone();
        sources.extend(&engine.sources_for(&d));
        CmdError::problems(d, &sources)
    })?;
    crate::timings::mark("rendered");
    Ok(Built {
        plan,
        project,
        models,
    })
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
    let plan = build_plan(ctx, &a.profiles, &a.targets, &a.clouds, &a.set.set)?.plan;
    let base: PathBuf = match &a.out {
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
