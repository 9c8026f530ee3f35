//! Stage 6 — render: models → a plan of (path → bytes), with no I/O.
//!
//! Templates are embedded from `templates/` and a project's own
//! `templates/<same path>` overrides one. One [`Engine`] is built per run and
//! each template is compiled once, on first use. Each target lives in its own
//! file and implements [`Target`].
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior};

use crate::diag::{Diagnostic, Sources, Span};
use crate::enrich::Unplaced;
use crate::model::Model;

pub mod budget;
pub mod compose;
pub mod custom;
pub mod filters;
pub mod k8s;
pub mod kconfig;
pub mod kdevops;
mod targets;
#[cfg(test)]
mod test_values;
pub mod tfvars;
pub mod yaml_read;

pub(crate) use crate::parallel::{large, par_map};
pub use crate::plan::{GENERATED_MARKER, Plan, PlannedFile, safe_relative};
pub use targets::{TargetSpec, all_targets, find_target, scaffold_owner};

/// Templates compiled into the binary: (name, text).
pub const EMBEDDED_TEMPLATES: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/embedded_templates.rs"));

/// The template engine of one run.
pub struct Engine {
    env: Environment<'static>,
    /// Project root whose `templates/` overrides the embedded ones.
    root: PathBuf,
}

/// How `{{ value }}` is written: a string as it is, in one write (without
/// escaping, as `AutoEscape::None` writes it, but not through `format!`
/// machinery); any other value as minijinja writes it. minijinja checks for
/// strict undefined values before it calls a formatter.
fn write_value(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(s) => out.write_str(s).map_err(minijinja::Error::from),
        None => minijinja::escape_formatter(out, state, value),
    }
}

impl Engine {
    /// An engine whose templates come from the project's `templates/` first,
    /// then the embedded defaults.
    pub fn new(root: &Path) -> Engine {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("syntax config"),
        );
        // Escaping is explicit, per format, in the filters (`yaml_str`, `json`, …):
        // no HTML/JSON auto-escaping by file extension (`x.yaml.j2` would be
        // JSON-escaped otherwise).
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_formatter(write_value);
        filters::register(&mut env);
        // A project's templates are code from the repository: bounded work
        // and depth (memory and output: see `budget`).
        env.set_fuel(Some(budget::FUEL));
        env.set_recursion_limit(budget::RECURSION);
        let project_root = root.to_path_buf();
        env.set_loader(move |name| {
            if let Some(text) = read_project_template(&project_root, name)
                .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e))?
            {
                return Ok(Some(text));
            }
            Ok(EMBEDDED_TEMPLATES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.to_string()))
        });
        Engine {
            env,
            root: root.to_path_buf(),
        }
    }

    /// Render template `name` with `ctx`.
    pub fn render<S: serde::Serialize>(&self, name: &str, ctx: &S) -> Result<String, Diagnostic> {
        self.render_value(name, minijinja::Value::from(minijinja::value::Serde(ctx)))
    }

    /// Render template `name` with a context that is already a template value
    /// (built once and shared by several renders, or tracking reads).
    pub fn render_value(&self, name: &str, ctx: minijinja::Value) -> Result<String, Diagnostic> {
        let _budget = budget::Guard::arm(name);
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| self.error(name, &e))?;
        let text = tmpl.render(ctx).map_err(|e| self.error(name, &e))?;
        if text.len() > budget::MAX_OUTPUT {
            return Err(Diagnostic::error(format!(
                "template templates/{name} failed: its output is larger than {} MiB",
                budget::MAX_OUTPUT / (1024 * 1024)
            ))
            .with_note(format!("in templates/{name}"))
            .with_hint(
                "a template may write at most this much: look for loops that repeat output",
            ));
        }
        Ok(text)
    }

    /// Render a template given as text (`name` is how errors name it), with the
    /// same filters and strictness as file templates. Used for output path patterns.
    pub fn render_str<S: serde::Serialize>(
        &self,
        name: &str,
        source: &str,
        ctx: &S,
    ) -> Result<String, minijinja::Error> {
        let _budget = budget::Guard::arm(name);
        self.env.render_named_str(
            name,
            source,
            minijinja::Value::from(minijinja::value::Serde(ctx)),
        )
    }

    /// The project root this engine reads `templates/` from.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The text of a template (for error snippets).
    pub fn template_source(&self, name: &str) -> Option<String> {
        if let Ok(Some(text)) = read_project_template(&self.root, name) {
            return Some(text);
        }
        EMBEDDED_TEMPLATES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.to_string())
    }

    /// Sources of templates named in diagnostics, for snippets.
    pub fn sources_for(&self, diags: &[Diagnostic]) -> Sources {
        let mut s = Sources::default();
        for d in diags {
            if let Some(span) = &d.span
                && let Some(name) = span.file.strip_prefix("templates/")
                && let Some(text) = self.template_source(name)
            {
                s.add(span.file.clone(), text.into());
            }
        }
        s
    }

    fn error(&self, name: &str, e: &minijinja::Error) -> Diagnostic {
        let file: Arc<str> = Arc::from(format!("templates/{}", e.name().unwrap_or(name)));
        let line = e.line().unwrap_or(0) as u32;
        let mut msg = format!("template {file} failed: {}", e.kind());
        if let Some(detail) = e.detail() {
            msg.push_str(&format!(": {detail}"));
        }
        let mut d = Diagnostic::error(msg);
        if line > 0 {
            // Point at the failing expression when minijinja knows where it is.
            let (col, len) = e
                .range()
                .zip(self.template_source(e.name().unwrap_or(name)))
                .and_then(|(r, src)| {
                    let line_start = src.get(..r.start)?.rfind('\n').map_or(0, |i| i + 1);
                    let col = src.get(line_start..r.start)?.chars().count() + 1;
                    let len = src.get(r.clone())?.lines().next()?.chars().count().max(1);
                    Some((col as u32, len as u32))
                })
                .unwrap_or((1, 1));
            d = d.with_span(Some(Span::new(file, line, col, len)));
        }
        #[allow(unreachable_patterns)]
        match e.kind() {
            minijinja::ErrorKind::OutOfFuel => {
                d = d.with_hint(format!(
                    "a template may run at most {} instructions per file it renders: look for loops nested too deep",
                    budget::FUEL
                ));
            }
            minijinja::ErrorKind::InvalidOperation
                if e.detail().is_some_and(|m| m.contains("recursion")) =>
            {
                d = d.with_hint(format!(
                    "includes, macro calls and recursive loops may nest at most {} deep",
                    budget::RECURSION
                ));
            }
            _ => {}
        }
        if e.kind() == minijinja::ErrorKind::UndefinedError {
            d = d.with_hint(
                "templates are strict: every variable must exist in the model (see `devgen show`)",
            );
        }
        d
    }
}

/// Largest template file read from a project's `templates/`.
const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;

/// The project's own `templates/<name>`: `Ok(None)` when there is none (the
/// embedded template of that name, if any, is used). The loader and
/// `{% include %}` never leave `templates/`: a name with `..` or a root is an
/// error, and the file is read by [`crate::safe_fs::read_in_to_string`], the
/// one reading mechanism of devgen: a symbolic link anywhere from
/// `templates/` down to the file, or a file that is not a regular one (a
/// FIFO, a device), is refused, and the file is read only up to a size limit.
fn read_project_template(root: &Path, name: &str) -> Result<Option<String>, String> {
    use crate::safe_fs::ReadError;
    if !safe_relative(Path::new(name)) {
        return Err(format!(
            "template name `{name}` leaves templates/: only names inside templates/ (no `..`, no `/` at the start) can be loaded or included"
        ));
    }
    let rel = Path::new("templates").join(name);
    match crate::safe_fs::read_in_to_string(root, &rel, MAX_TEMPLATE_BYTES) {
        Ok(text) => Ok(Some(text)),
        // No such template (or a directory of that name): the embedded one.
        Err(ReadError::Missing) | Err(ReadError::Special("a directory")) => Ok(None),
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(None),
        Err(ReadError::Symlink(at)) => {
            let link = if at.as_os_str().is_empty() {
                rel.display().to_string()
            } else {
                at.display().to_string()
            };
            Err(format!(
                "{link} is a symbolic link: devgen does not follow links in templates/"
            ))
        }
        Err(e) => Err(format!("cannot read {}: {e}", rel.display())),
    }
}

/// What the caller asked to render.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// Only these clouds (empty: every cloud of each profile).
    pub clouds: Vec<String>,
    /// Every profile of the project (models passed to a target may be fewer).
    pub all_profiles: Vec<String>,
    /// The enriched model of every profile, when a selected target renders
    /// files shared by all profiles from them ([`Target::needs_all_models`]);
    /// empty otherwise.
    /// Such a target falls back to the models it is given when empty.
    pub all_models: Vec<Model>,
    /// The model of `config/common/` alone (see [`crate::pipeline::resolve_common`]):
    /// files shared by all profiles are rendered from it, so they are the same
    /// whichever profiles were selected. `None` when it could not be built.
    pub common: Option<Model>,
    /// The GPU services enrich left without an instance type on a cloud,
    /// per profile (a target that needs one reports its error from these).
    pub unplaced: Vec<Unplaced>,
}

/// A target: turns models into planned files.
///
/// Besides rendering, a target declares what it needs from the pipeline
/// (`crate::pipeline::plan`), which never names a target: every profile's
/// model, the warnings it reports itself, how much work it is.
pub trait Target: Sync {
    /// Canonical name (`compose`, `tfvars`, `k8s`, `kconfig`, …).
    fn name(&self) -> &str;
    /// Render every file of this target for `models` (one per selected profile).
    fn render(
        &self,
        engine: &Engine,
        models: &[Model],
        opts: &RenderOptions,
    ) -> Result<Vec<PlannedFile>, Vec<Diagnostic>>;
    /// Whether it renders files shared by every profile from every
    /// profile's model, so that they are the same whichever profiles were
    /// selected: the pipeline then fills [`RenderOptions::all_models`].
    fn needs_all_models(&self) -> bool {
        false
    }
    /// Whether the warning `w` (of an earlier stage) is one this target,
    /// rendering `models` with `opts`, reports itself as an error: the
    /// pipeline then reports it once, as that error.
    fn supersedes(&self, _w: &Diagnostic, _models: &[Model], _opts: &RenderOptions) -> bool {
        false
    }
    /// Warnings this target has about the project beside its files (under
    /// `root`), reported before rendering.
    fn warnings(&self, _root: &Path, _models: &[Model]) -> Vec<Diagnostic> {
        Vec::new()
    }
    /// Whether it is as much work as all the others together (rendered on a
    /// thread of its own when the project is small).
    fn is_heavy(&self) -> bool {
        false
    }
    /// Its share of the work of rendering a large project, relative to the
    /// other targets (1 each by default): the targets render in parallel,
    /// heaviest first, so the one on the critical path does not start last.
    fn weight(&self) -> u32 {
        1
    }
}

/// The header comment of a generated file (no timestamp: output is reproducible).
///
/// `prefix` is the format's comment leader (`#`, `//`).
pub fn header(prefix: &str, sources: &[String], regenerate: &str) -> String {
    let mut s =
        format!("{prefix} {GENERATED_MARKER} — do not edit; edit the config and regenerate.\n");
    let sources = compact_sources(sources);
    s.push_str(&format!(
        "{prefix} Source: {}\n",
        filters::one_line(&sources)
    ));
    s.push_str(&format!(
        "{prefix} Regenerate: {}\n",
        filters::one_line(regenerate)
    ));
    s
}

/// `config/common/*.yaml + config/profiles/staging.yaml + …` for a header.
pub fn compact_sources(sources: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    if sources.iter().any(|s| s.starts_with("config/common/")) {
        parts.push("config/common/*.yaml".into());
    }
    for s in sources.iter().filter(|s| !s.starts_with("config/common/")) {
        parts.push(s.clone());
    }
    parts.join(" + ")
}

/// Render the chosen built-in targets for the given models into one plan.
///
/// Not part of the API: for benchmarks, which time one stage alone (the
/// program renders through [`crate::pipeline::plan`]).
#[doc(hidden)]
pub fn render_plan(
    engine: &Engine,
    targets: &[&TargetSpec],
    models: &[Model],
    opts: &RenderOptions,
) -> Result<Plan, Vec<Diagnostic>> {
    let built: Vec<Box<dyn Target>> = targets.iter().map(|t| (t.target)()).collect();
    let refs: Vec<&dyn Target> = built.iter().map(|b| b.as_ref()).collect();
    render_targets(engine, &refs, models, opts)
}

/// Render any targets (built-in or custom) for the given models into one plan.
pub fn render_targets(
    engine: &Engine,
    targets: &[&dyn Target],
    models: &[Model],
    opts: &RenderOptions,
) -> Result<Plan, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut diags = Vec::new();
    let render = |t: &&dyn Target| {
        let r = t.render(engine, models, opts);
        crate::timings::mark(t.name());
        r
    };
    let rendered = if large(models) {
        heaviest_first(targets, render)
    } else {
        beside_the_slowest(targets, render)
    };
    for r in rendered {
        match r {
            Ok(f) => files.extend(f),
            Err(ds) => diags.extend(ds),
        }
    }
    crate::timings::mark("targets done");
    match Plan::from_files(files) {
        Ok(plan) if diags.is_empty() => Ok(plan),
        Ok(_) => Err(diags),
        Err(more) => {
            diags.extend(more);
            Err(diags)
        }
    }
}

/// `render` of each target in parallel, started heaviest first
/// ([`Target::weight`]), the results in the order of `targets`.
fn heaviest_first<R: Send>(
    targets: &[&dyn Target],
    render: impl Fn(&&dyn Target) -> R + Sync + Send,
) -> Vec<R> {
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(targets[i].weight()));
    let started: Vec<&dyn Target> = order.iter().map(|&i| targets[i]).collect();
    let mut results: Vec<Option<R>> = (0..targets.len()).map(|_| None).collect();
    for (i, r) in order.into_iter().zip(par_map(&started, true, render)) {
        results[i] = Some(r);
    }
    results.into_iter().flatten().collect()
}

/// `render` of each target, in order: for a small project, the heavy target
/// ([`Target::is_heavy`], e.g. Kconfig menus that hold the whole catalogue)
/// on a thread of its own, the others on this one.
fn beside_the_slowest<R: Send>(
    targets: &[&dyn Target],
    render: impl Fn(&&dyn Target) -> R + Sync,
) -> Vec<R> {
    let Some(slow) = targets.iter().position(|t| t.is_heavy()) else {
        return targets.iter().map(&render).collect();
    };
    if targets.len() == 1 {
        return targets.iter().map(&render).collect();
    }
    std::thread::scope(|s| {
        let other = s.spawn(|| render(&targets[slow]));
        let mut done: Vec<Option<R>> = targets
            .iter()
            .enumerate()
            .map(|(i, t)| (i != slow).then(|| render(t)))
            .collect();
        done[slow] = Some(match other.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        });
        done.into_iter().flatten().collect()
    })
}

/// The files of several renders (each a file or a batch of them), or every
/// problem they found, in order.
pub(crate) fn gather<F: IntoIterator<Item = PlannedFile>>(
    results: impl IntoIterator<Item = Result<F, Diagnostic>>,
    mut diags: Vec<Diagnostic>,
) -> Result<Vec<PlannedFile>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut found = Vec::new();
    for r in results {
        match r {
            Ok(f) => files.extend(f),
            Err(d) => found.push(d),
        }
    }
    found.append(&mut diags);
    if found.is_empty() {
        Ok(files)
    } else {
        Err(found)
    }
}

#[cfg(test)]
mod formatter_tests {
    use minijinja::{Environment, UndefinedBehavior, Value};

    fn env(ours: bool) -> Environment<'static> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        if ours {
            env.set_formatter(super::write_value);
        }
        env
    }

    /// `{{ value }}` writes what minijinja's own formatter writes, for every
    /// kind of value, and a strict undefined value is still an error.
    #[test]
    fn writes_values_as_the_default_formatter_does() {
        let values = [
            Value::from("plain <&> \"quoted\" é"),
            Value::from_safe_string("safe <b>".into()),
            Value::from(String::new()),
            Value::from(42),
            Value::from(-7i64),
            Value::from(1.0),
            Value::from(0.25),
            Value::from(f64::NAN),
            Value::from(true),
            Value::from(()),
            Value::from(vec![Value::from(1), Value::from("a")]),
            Value::from_iter([("k", Value::from("v"))]),
            Value::from_bytes(b"bytes".to_vec()),
            Value::from_bytes(vec![0xff, 0x00]),
        ];
        let (default, ours) = (env(false), env(true));
        for v in values {
            let ctx = minijinja::context! { v => v.clone() };
            let want = default.render_str("[{{ v }}]", &ctx).unwrap();
            assert_eq!(ours.render_str("[{{ v }}]", &ctx).unwrap(), want, "{v:?}");
        }
        let err = ours.render_str("{{ missing }}", ()).unwrap_err();
        assert_eq!(err.kind(), minijinja::ErrorKind::UndefinedError);
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;

    /// A target that renders nothing, with a name and a weight.
    struct Weighted(&'static str, u32);

    impl Target for Weighted {
        fn name(&self) -> &str {
            self.0
        }
        fn render(
            &self,
            _: &Engine,
            _: &[Model],
            _: &RenderOptions,
        ) -> Result<Vec<PlannedFile>, Vec<Diagnostic>> {
            Ok(Vec::new())
        }
        fn weight(&self) -> u32 {
            self.1
        }
    }

    #[test]
    fn heaviest_first_returns_results_in_the_targets_order() {
        let ts = [
            Weighted("a", 1),
            Weighted("b", 1),
            Weighted("heavy", 2),
            Weighted("c", 1),
        ];
        let refs: Vec<&dyn Target> = ts.iter().map(|t| t as &dyn Target).collect();
        let names = heaviest_first(&refs, |t| t.name().to_string());
        assert_eq!(names, ["a", "b", "heavy", "c"]);
    }
}
