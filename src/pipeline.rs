//! The pipeline, wired in one place: load → merge → validate → model →
//! enrich → render (→ write or check, by the commands).
//!
//! Each stage takes the previous stage's value and returns a new one; only
//! this module calls one stage with another's result. [`plan`] runs every
//! stage up to the plan of files for a [`Selection`]; the commands (`render`,
//! `check`, `init`) write it or compare it with the disk, and `cost` stops
//! after enrich ([`enriched`]). What a target needs from the pipeline (every
//! profile's model, warnings it reports itself, …) it declares through
//! [`Target`]: nothing here names a target.
use crate::diag::{Diagnostic, Kind, Severity, Sources, did_you_mean};
use crate::merge::{SetArg, merge_common_only, merge_profile};
use crate::model::{self, Model};
use crate::project::Project;
use crate::render::custom::{CUSTOM_DIR, CustomTarget, discover};
use crate::render::{
    Engine, Plan, RenderOptions, Target, all_targets, find_target, render_targets,
};
use crate::validate::validate;

pub use crate::model::Resolved;

/// Merge and validate one profile, then build its model.
pub fn resolve(
    project: &Project,
    profile: &str,
    sets: &[SetArg],
) -> Result<Resolved, Vec<Diagnostic>> {
    let merged = merge_profile(project, profile, sets)?;
    let (errors, warnings): (Vec<_>, Vec<_>) = validate(&merged, project)
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(errors);
    }
    let model = model::build(&merged, project)?;
    Ok(Resolved {
        merged,
        model,
        warnings,
    })
}

/// The model of `config/common/` alone (no profile, no `--set`), for shared
/// artefacts that must not depend on which profiles are rendered. It is not
/// validated on its own: profiles may complete what `common/` leaves open.
pub fn resolve_common(project: &Project) -> Result<Model, Vec<Diagnostic>> {
    let merged = merge_common_only(project)?;
    model::build(&merged, project)
}

/// Resolve several profiles, collecting the problems of all of them.
/// Profiles resolve in parallel when there is enough work; results and
/// problems keep the order of `profiles`.
pub fn resolve_all(
    project: &Project,
    profiles: &[String],
    sets: &[SetArg],
) -> Result<Vec<Resolved>, Vec<Diagnostic>> {
    collect(resolve_each(project, profiles, sets))
}

/// Resolve each profile (in parallel when there is enough work), in order.
pub fn resolve_each(
    project: &Project,
    profiles: &[String],
    sets: &[SetArg],
) -> Vec<Result<Resolved, Vec<Diagnostic>>> {
    if parallel_pays(project, profiles) {
        use rayon::prelude::*;
        profiles
            .par_iter()
            .map(|p| resolve(project, p, sets))
            .collect()
    } else {
        profiles.iter().map(|p| resolve(project, p, sets)).collect()
    }
}

/// [`resolve_each`], and beside it the model of `config/common/` alone
/// ([`resolve_common`], `None` when it cannot be built), in parallel when it pays.
pub fn resolve_each_and_common(
    project: &Project,
    profiles: &[String],
    sets: &[SetArg],
) -> (Vec<Result<Resolved, Vec<Diagnostic>>>, Option<Model>) {
    if parallel_pays(project, profiles) {
        rayon::join(
            || resolve_each(project, profiles, sets),
            || resolve_common(project).ok(),
        )
    } else {
        (
            resolve_each(project, profiles, sets),
            resolve_common(project).ok(),
        )
    }
}

/// The profiles resolved, or the problems of all that failed (a problem in a
/// shared file once, not once per profile).
pub fn collect(
    results: impl IntoIterator<Item = Result<Resolved, Vec<Diagnostic>>>,
) -> Result<Vec<Resolved>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut diags: Vec<Diagnostic> = Vec::new();
    for r in results {
        match r {
            Ok(r) => out.push(r),
            Err(ds) => {
                for d in ds {
                    if !diags.iter().any(|x| x.same_as(&d)) {
                        diags.push(d);
                    }
                }
            }
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// Config text (bytes) times profiles below which resolving profiles one
/// after the other beats starting worker threads.
const PARALLEL_MIN_WORK: usize = 256 * 1024;

/// Whether resolving `profiles` in parallel is worth starting the thread pool.
fn parallel_pays(project: &Project, profiles: &[String]) -> bool {
    let text: usize = project
        .common
        .iter()
        .map(|f| f.text.len())
        .chain(
            profiles
                .iter()
                .filter_map(|p| project.profiles.get(p).map(|f| f.file.text.len())),
        )
        .sum();
    profiles.len() > 1 && text.saturating_mul(profiles.len()) >= PARALLEL_MIN_WORK
}

/// What a run renders: profiles, targets and clouds (each empty: all), and
/// the `--set` overrides.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Profiles to render (empty: every profile).
    pub profiles: Vec<String>,
    /// Targets by name or alias (empty: the project's `targets:`, else every
    /// built-in and custom target).
    pub targets: Vec<String>,
    /// Clouds (empty: every cloud of each profile).
    pub clouds: Vec<String>,
    /// `--set` overrides.
    pub sets: Vec<SetArg>,
}

/// What [`plan`] produced.
pub struct Built {
    /// The rendered files.
    pub plan: Plan,
    /// The models rendered (one per selected profile), enriched.
    pub models: Vec<Model>,
    /// Canonical names of the targets rendered.
    pub targets: Vec<String>,
}

/// A stage failed: its diagnostics and the source texts to show them with.
/// The exit code follows the diagnostics' [`Kind`]s.
#[derive(Debug)]
pub struct Failed {
    /// What went wrong.
    pub diags: Vec<Diagnostic>,
    /// Texts of the files the diagnostics point into.
    pub sources: Sources,
}

impl Failed {
    fn of(diags: Vec<Diagnostic>, sources: &Sources) -> Failed {
        Failed {
            diags,
            sources: sources.clone(),
        }
    }

    fn usage(d: Diagnostic) -> Failed {
        Failed::of(vec![d], &Sources::default())
    }
}

/// The named profiles (all when none are named); an unknown name and a
/// project without profiles are usage errors.
pub fn profile_names(project: &Project, names: &[String]) -> Result<Vec<String>, Diagnostic> {
    let names: Vec<String> = if names.is_empty() {
        project.profile_names()
    } else {
        names.to_vec()
    };
    if names.is_empty() {
        return Err(Diagnostic::usage("the project has no profiles")
            .with_hint("add config/profiles/<name>.yaml"));
    }
    if let Some(n) = names.iter().find(|n| !project.profiles.contains_key(*n)) {
        return Err(project.unknown_profile(n));
    }
    Ok(names)
}

/// The selected profiles resolved and enriched (what `cost` reports on):
/// every warning goes to `warn` as it is found.
pub fn enriched(
    project: &Project,
    profiles: &[String],
    sets: &[SetArg],
    warn: &mut dyn FnMut(&[Diagnostic]),
) -> Result<Vec<Resolved>, Failed> {
    let names = profile_names(project, profiles).map_err(Failed::usage)?;
    let mut resolved =
        resolve_all(project, &names, sets).map_err(|d| Failed::of(d, &project.sources))?;
    for r in &resolved {
        warn(&r.warnings);
    }
    let warnings = crate::enrich::place_all(&mut resolved)
        .map_err(|d| Failed::of(d, &project.sources))?
        .warnings;
    warn(&warnings);
    Ok(resolved)
}

/// The enrich stage alone, on profiles already resolved (`show --format
/// json` prints the placements beside the config): the warnings, or the
/// problems.
pub fn place(resolved: &mut [Resolved]) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    crate::enrich::place_all(resolved).map(|e| e.warnings)
}

/// Names and aliases of every built-in target.
fn builtin_names() -> Vec<&'static str> {
    all_targets()
        .iter()
        .flat_map(|t| std::iter::once(t.name).chain(t.aliases.iter().copied()))
        .collect()
}

/// The project's custom targets (manifest problems are invalid config, exit 1).
pub fn custom_targets(engine: &Engine) -> Result<Vec<CustomTarget>, Failed> {
    discover(engine, &builtin_names()).map_err(|e| Failed::of(e.diags, &e.sources))
}

/// Resolve `--target` names against the built-in and the project's custom
/// targets (every one of both when none are named: built-ins first, then
/// custom targets by name). An unknown name is a usage error.
pub fn select_targets(engine: &Engine, names: &[String]) -> Result<Vec<Box<dyn Target>>, Failed> {
    let custom = custom_targets(engine)?;
    if names.is_empty() {
        let mut out: Vec<Box<dyn Target>> = all_targets().iter().map(|t| (t.target)()).collect();
        out.extend(custom.into_iter().map(|c| Box::new(c) as Box<dyn Target>));
        return Ok(out);
    }
    let mut out: Vec<Box<dyn Target>> = Vec::new();
    for n in names {
        let found: Box<dyn Target> = match find_target(n) {
            Some(t) => (t.target)(),
            None => match custom.iter().find(|c| &c.name == n) {
                Some(c) => Box::new(c.clone()),
                None => return Err(Failed::usage(unknown_target(n, &custom))),
            },
        };
        if !out.iter().any(|x| x.name() == found.name()) {
            out.push(found);
        }
    }
    Ok(out)
}

/// The usage error for a target name that is neither built in nor custom.
fn unknown_target(n: &str, custom: &[CustomTarget]) -> Diagnostic {
    let builtin = builtin_names();
    let custom_names: Vec<&str> = custom.iter().map(|c| c.name.as_str()).collect();
    let d = Diagnostic::usage(format!("unknown target `{n}`"));
    let none_or = |names: &[&str]| match names.is_empty() {
        true => "none".to_string(),
        false => names.join(", "),
    };
    let list = format!(
        "built-in targets: {}; custom targets ({CUSTOM_DIR}/): {}",
        none_or(&builtin),
        none_or(&custom_names),
    );
    match did_you_mean(n, builtin.iter().chain(custom_names.iter()).copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")).with_note(list),
        None => d.with_hint(list),
    }
}

/// One name of `targets:` and where it is written.
pub type TargetEntry = (String, Option<crate::diag::Span>);

/// The project's `targets:` (from `config/common/`), each with where it is
/// written; `None` when no common file sets it (every target). A profile
/// that sets `targets:` is an error: the targets are the project's.
pub fn project_targets(project: &Project) -> Result<Option<Vec<TargetEntry>>, Vec<Diagnostic>> {
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

/// Resolve the project's `targets:` (errors at their line: problems of the
/// config, exit 1).
fn configured_targets(
    engine: &Engine,
    project: &Project,
) -> Result<Option<Vec<Box<dyn Target>>>, Failed> {
    let problems = |d| Failed::of(d, &project.sources);
    let Some(list) = project_targets(project).map_err(problems)? else {
        return Ok(None);
    };
    let mut out: Vec<Box<dyn Target>> = Vec::new();
    let mut diags = Vec::new();
    for (name, span) in list {
        match select_targets(engine, std::slice::from_ref(&name)) {
            Ok(mut t) => {
                let t = t.remove(0);
                if !out.iter().any(|x| x.name() == t.name()) {
                    out.push(t);
                }
            }
            Err(e) => {
                diags.extend(e.diags.into_iter().map(|mut d| {
                    d.span = span.clone();
                    d.path = Some("targets".into());
                    d.kind = Kind::Problem;
                    d
                }));
            }
        }
    }
    if !diags.is_empty() {
        return Err(problems(diags));
    }
    Ok(Some(out))
}

/// The targets of a run: those named, else the project's `targets:`, else
/// every built-in and custom target.
fn targets_of(
    engine: &Engine,
    project: &Project,
    names: &[String],
    warn: &mut dyn FnMut(&[Diagnostic]),
) -> Result<Vec<Box<dyn Target>>, Failed> {
    if names.is_empty()
        && let Some(t) = configured_targets(engine, project)?
    {
        return Ok(t);
    }
    let chosen = select_targets(engine, names)?;
    if !names.is_empty() {
        warn(&outside_project_targets(engine, project, &chosen));
    }
    Ok(chosen)
}

/// `--target` naming a target the project's `targets:` leaves out: its
/// files are written, but a plain `check` reports them as stale — say so.
fn outside_project_targets(
    engine: &Engine,
    project: &Project,
    chosen: &[Box<dyn Target>],
) -> Vec<Diagnostic> {
    let Ok(Some(list)) = project_targets(project) else {
        return Vec::new();
    };
    let configured: Vec<String> = list
        .iter()
        .filter_map(|(n, _)| select_targets(engine, std::slice::from_ref(n)).ok())
        .flatten()
        .map(|t| t.name().to_string())
        .collect();
    let span = list.first().and_then(|(_, s)| s.clone());
    chosen
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
        .collect()
}

/// Every stage up to the plan of files, shared by `render`, `check` and
/// `init`: select targets and profiles, resolve, enrich, render. Warnings
/// go to `warn` as they are found (before a later stage may fail).
pub fn plan(
    project: &Project,
    selection: &Selection,
    warn: &mut dyn FnMut(&[Diagnostic]),
) -> Result<Built, Failed> {
    let engine = Engine::new(&project.root);
    let targets = targets_of(&engine, project, &selection.targets, warn)?;
    let names = profile_names(project, &selection.profiles).map_err(Failed::usage)?;
    let all_profiles = project.profile_names();
    // Targets that render files shared by every profile from every model
    // (so their bytes do not depend on which profiles were selected) need
    // the profiles that were not selected too.
    let needs_all = targets.iter().any(|t| t.needs_all_models());
    let missing: Vec<String> = match needs_all {
        true => all_profiles
            .iter()
            .filter(|p| !names.contains(p))
            .cloned()
            .collect(),
        false => Vec::new(),
    };
    // Every profile needed resolves once, together (in parallel when it
    // pays), with the model of `config/common/` alone beside them; problems
    // are reported as before: the selected profiles' first.
    let wanted: Vec<String> = names.iter().chain(missing.iter()).cloned().collect();
    let (mut results, common) = resolve_each_and_common(project, &wanted, &selection.sets);
    let extra_results = results.split_off(names.len());
    let problems = |d| Failed::of(d, &project.sources);
    let mut resolved = collect(results).map_err(problems)?;
    crate::timings::mark("profiles merged, validated, modelled");
    for r in &resolved {
        warn(&r.warnings);
    }
    let enriched = crate::enrich::place_all(&mut resolved).map_err(problems)?;
    let mut warnings = enriched.warnings;
    let models: Vec<Model> = resolved.into_iter().map(|r| r.model).collect();
    crate::timings::mark("enriched");
    let mut opts = RenderOptions {
        clouds: selection.clouds.clone(),
        all_profiles,
        all_models: Vec::new(),
        common,
        unplaced: enriched.unplaced,
    };
    // A warning a target reports itself (as its error) is reported once.
    warnings.retain(|w| !targets.iter().any(|t| t.supersedes(w, &models, &opts)));
    warn(&warnings);
    for t in &targets {
        warn(&t.warnings(&project.root, &models));
    }
    if needs_all {
        let mut extra = match missing.is_empty() {
            true => Vec::new(),
            false => collect(extra_results).map_err(problems)?,
        };
        crate::enrich::place_all(&mut extra).map_err(problems)?;
        let extra: Vec<Model> = extra.into_iter().map(|r| r.model).collect();
        opts.all_models = opts
            .all_profiles
            .iter()
            .filter_map(|p| {
                models
                    .iter()
                    .chain(extra.iter())
                    .find(|m| &m.profile == p)
                    .cloned()
            })
            .collect();
    }
    let target_names: Vec<String> = targets.iter().map(|t| t.name().to_string()).collect();
    let refs: Vec<&dyn Target> = targets.iter().map(|b| b.as_ref()).collect();
    let plan = render_targets(&engine, &refs, &models, &opts).map_err(|d| {
        let mut sources = project.sources.clone();
        sources.extend(&engine.sources_for(&d));
        Failed { diags: d, sources }
    })?;
    crate::timings::mark("rendered");
    Ok(Built {
        plan,
        models,
        targets: target_names,
    })
}
