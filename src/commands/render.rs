//! `devgen render`: resolve, enrich, render a plan, write it (or list it).
use std::path::{Path, PathBuf};

use super::{CmdError, CmdResult, Ctx, EXIT_OK, out, parse_sets, print_warnings, profile_names};
use crate::cli::RenderArgs;
use crate::diag::{Diagnostic, did_you_mean};
use crate::prune::Scope;
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

/// One name of `targets:` and where it is written.
pub type TargetEntry = (String, Option<crate::diag::Span>);

/// The project's `targets:` (from `config/common/`), each with where it is
/// written; `None` when no common file sets it (every target). A profile
/// that sets `targets:` is an error: the targets are the project's.
pub fn project_targets(
    project: &crate::project::Project,
) -> Result<Option<Vec<TargetEntry>>, Vec<Diagnostic>> {
    use crate::path::ConfigPath;
    let key = ConfigPath::root().key("targets");
    let mut diags = Vec::new();
    for pf in project.profiles.values() {
        if pf.file.value.get("targets").is_some() {
            diags.push(
                Diagnostic::error("`targets:` is a project setting, not a profile's")
                    .with_span(
                        pf.file
                            .key_spans
                            .get(&key)
                            .cloned()
                            .or_else(|| pf.file.span_near(&key)),
                    )
                    .with_path("targets")
                    .with_hint("set it in a file of config/common/ (it applies to every profile)"),
            );
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let Some(file) = project
        .common
        .iter()
        .rev()
        .find(|f| f.value.get("targets").is_some())
    else {
        return Ok(None);
    };
    let Some(list) = file.value.get("targets").and_then(|v| v.as_array()) else {
        return Ok(None); // the schema reports the wrong type
    };
    Ok(Some(
        list.iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let span = file.span_near(&key.index(i));
                v.as_str().map(|s| (s.to_string(), span))
            })
            .collect(),
    ))
}

/// Resolve the project's `targets:` (errors at their line, exit 1).
fn configured_targets(
    engine: &Engine,
    project: &crate::project::Project,
) -> Result<Option<Vec<SelectedTarget>>, CmdError> {
    let problems = |d| CmdError::problems(d, &project.sources);
    let Some(list) = project_targets(project).map_err(problems)? else {
        return Ok(None);
    };
    let mut out: Vec<SelectedTarget> = Vec::new();
    let mut diags = Vec::new();
    for (name, span) in list {
        match select_targets(engine, std::slice::from_ref(&name)) {
            Ok(mut t) => {
                let t = t.remove(0);
                if !out.iter().any(|x| x.name() == t.name()) {
                    out.push(t);
                }
            }
            Err(mut e) => {
                for d in &mut e.diags {
                    d.span = span.clone();
                    d.path = Some("targets".into());
                }
                diags.extend(e.diags);
            }
        }
    }
    if !diags.is_empty() {
        return Err(problems(diags));
    }
    Ok(Some(out))
}

/// `--target` naming a target the project's `targets:` leaves out: its
/// files are written, but a plain `check` reports them as stale — say so.
fn warn_outside_project_targets(
    engine: &Engine,
    project: &crate::project::Project,
    chosen: &[SelectedTarget],
) {
    let Ok(Some(list)) = project_targets(project) else {
        return;
    };
    let configured: Vec<String> = list
        .iter()
        .filter_map(|(n, _)| select_targets(engine, std::slice::from_ref(n)).ok())
        .flatten()
        .map(|t| t.name().to_string())
        .collect();
    let span = list.first().and_then(|(_, s)| s.clone());
    let warnings: Vec<Diagnostic> = chosen
        .iter()
        .filter(|t| !configured.iter().any(|c| c == t.name()))
        .map(|t| {
            Diagnostic::warning(format!(
                "target `{}` is not in the project's `targets:`",
                t.name()
            ))
            .with_span(span.clone())
            .with_hint(format!(
                "a plain `devgen render` deletes its files and `devgen check` reports them as stale: add `{}` to `targets:` to keep them",
                t.name()
            ))
        })
        .collect();
    print_warnings(&warnings, &project.sources);
}

/// What `build_plan` produced.
pub struct Built {
    /// The rendered files.
    pub plan: Plan,
    /// The loaded project.
    pub project: crate::project::Project,
    /// The models rendered (one per profile).
    pub models: Vec<crate::model::Model>,
    /// Canonical names of the targets rendered.
    pub targets: Vec<String>,
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
    let mut targets = match targets.is_empty() {
        true => match configured_targets(&engine, &project)? {
            Some(t) => t,
            None => select_targets(&engine, targets)?,
        },
        false => {
            let chosen = select_targets(&engine, targets)?;
            warn_outside_project_targets(&engine, &project, &chosen);
            chosen
        }
    };
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
    let target_names: Vec<String> = targets.iter().map(|t| t.name().to_string()).collect();
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
        targets: target_names,
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
    let built = build_plan(ctx, &a.profiles, &a.targets, &a.clouds, &a.set.set)?;
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
            text.push_str(&format!("{:<9} {}\n", c.as_str(), p.display()));
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
    Ok(EXIT_OK)
}

/// `render --print PATH`: the planned bytes of one file, nothing written.
fn print_one(plan: &Plan, path: &std::path::Path) -> CmdResult {
    let rel: PathBuf = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    match plan.files.get(&rel) {
        Some(f) => {
            use std::io::Write as _;
            let _ = std::io::stdout().write_all(&f.bytes);
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
