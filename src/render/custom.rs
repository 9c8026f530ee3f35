//! Custom targets: a project's `templates/custom/<name>/` holding a manifest
//! (`target.yaml`) and its templates becomes a target `<name>`, without code.
//!
//! ```yaml
//! # templates/custom/helm-values/target.yaml
//! description: Helm values per cloud for deploy/helm/gpu-dev-server
//! each: cloud                 # profile | cloud | once (default of every file)
//! comment: "#"                # comment leader of the generated header (default "#")
//! vars: {storage_class: {aws: gp3}}   # optional constants for the templates
//! files:
//!   - template: values.yaml.j2
//!     path: deploy/helm/gpu-dev-server/values.yaml
//!     each: once
//!   - template: values-cloud.yaml.j2
//!     path: "deploy/helm/gpu-dev-server/{{ profile }}/values-{{ cloud }}.yaml"
//! ```
//!
//! `each: profile` renders a file per selected profile, `each: cloud` one per
//! (selected profile, cloud of that profile's `clouds:`), `each: once` a single
//! file that sees every profile's model (so its bytes never depend on
//! `--profile`). Path patterns are rendered by the same engine with `profile`,
//! `cloud` and `target`; a pattern that does not vary where it must, or that
//! resolves outside the project root (or into `config/` or `templates/`), is an
//! error at the manifest's file:line. Every output gets the standard header.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{Engine, PlannedFile, RenderOptions, Target, header, safe_relative};
use crate::diag::{Diagnostic, Sources, Span, did_you_mean};
use crate::load::{LoadedFile, load_file};
use crate::model::{CloudSettings, Model};
use crate::path::ConfigPath;

/// Where custom targets live, relative to the project root.
pub const CUSTOM_DIR: &str = "templates/custom";
/// The manifest's file name inside a custom target's directory.
pub const MANIFEST: &str = "target.yaml";

const TOP_KEYS: &[&str] = &["description", "each", "comment", "vars", "files"];
const FILE_KEYS: &[&str] = &["template", "path", "each", "comment"];
/// Top-level directories a custom target may never write into (devgen's inputs).
const RESERVED_DIRS: &[&str] = &["config", "templates", ".git"];

/// How often a file of a custom target is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Each {
    /// Once per selected profile.
    Profile,
    /// Once per (selected profile, cloud in that profile's `clouds:`).
    Cloud,
    /// Once, from every profile's model.
    Once,
}

impl Each {
    const NAMES: &'static [&'static str] = &["profile", "cloud", "once"];

    fn parse(s: &str) -> Option<Each> {
        match s {
            "profile" => Some(Each::Profile),
            "cloud" => Some(Each::Cloud),
            "once" => Some(Each::Once),
            _ => None,
        }
    }

    /// `profile`, `cloud` or `once`.
    pub fn as_str(self) -> &'static str {
        match self {
            Each::Profile => "profile",
            Each::Cloud => "cloud",
            Each::Once => "once",
        }
    }
}

/// One template → output path rule of a custom target.
#[derive(Clone, Debug)]
pub struct CustomFile {
    /// Template file, relative to the target's directory.
    pub template: String,
    /// Output path pattern (a template over `profile`, `cloud`, `target`).
    pub path: String,
    /// How often it is rendered.
    pub each: Each,
    /// Comment leader of the header.
    pub comment: String,
    /// Where the pattern is written in the manifest.
    pub path_span: Option<Span>,
}

/// A target defined by `templates/custom/<name>/target.yaml`.
#[derive(Clone, Debug)]
pub struct CustomTarget {
    /// Target name (the directory's name).
    pub name: String,
    /// What it writes.
    pub description: String,
    /// The manifest's display path (`templates/custom/<name>/target.yaml`).
    pub manifest: String,
    /// Its files.
    pub files: Vec<CustomFile>,
    /// `vars:` of the manifest (`{}` when absent), passed to templates as `vars`.
    pub vars: Value,
}

impl CustomTarget {
    /// Whether any file is rendered `once` (and so needs every profile's model).
    pub fn has_once(&self) -> bool {
        self.files.iter().any(|f| f.each == Each::Once)
    }

    /// The engine's name of one of this target's templates.
    fn template_name(&self, file: &str) -> String {
        format!("custom/{}/{file}", self.name)
    }
}

/// What a failed discovery reports: problems, and the manifests' texts for snippets.
#[derive(Debug, Default)]
pub struct DiscoveryError {
    /// The problems.
    pub diags: Vec<Diagnostic>,
    /// Manifest texts.
    pub sources: Sources,
}

/// Find and validate every custom target of the project at `engine.root()`,
/// sorted by name. `builtin_names` (names and aliases) may not be reused.
pub fn discover(
    engine: &Engine,
    builtin_names: &[&str],
) -> Result<Vec<CustomTarget>, DiscoveryError> {
    let base = engine.root().join(CUSTOM_DIR);
    let mut err = DiscoveryError::default();
    let mut dirs: Vec<(String, PathBuf)> = Vec::new();
    let listed = crate::safe_fs::check_dirs(engine.root(), &Path::new(CUSTOM_DIR).join("x"))
        .map_err(std::io::Error::from)
        .and_then(|()| std::fs::read_dir(&base));
    match listed {
        Ok(entries) => {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                match e.file_type() {
                    Ok(t) if t.is_dir() => dirs.push((name, e.path())),
                    Ok(t) if t.is_symlink() => err.diags.push(Diagnostic::error(format!(
                        "refusing to read {CUSTOM_DIR}/{name}: it is a symbolic link (devgen never reads or writes through one)"
                    ))),
                    _ => {}
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            err.diags
                .push(Diagnostic::error(format!("cannot read {CUSTOM_DIR}/: {e}")));
            return Err(err);
        }
    }
    dirs.sort();
    let mut out = Vec::new();
    for (name, dir) in dirs {
        let manifest = format!("{CUSTOM_DIR}/{name}/{MANIFEST}");
        if !valid_name(&name) {
            err.diags.push(
                Diagnostic::error(format!(
                    "custom target directory `{CUSTOM_DIR}/{name}/` is not a valid target name"
                ))
                .with_hint(
                    "use lower-case letters, digits, `-` and `_`, starting with a letter or digit",
                ),
            );
            continue;
        }
        if builtin_names.contains(&name.as_str()) {
            err.diags.push(
                Diagnostic::error(format!(
                    "custom target `{name}` ({CUSTOM_DIR}/{name}/) has the name of a built-in target"
                ))
                .with_hint(format!("rename the directory, e.g. `{CUSTOM_DIR}/{name}-custom/`")),
            );
            continue;
        }
        let mpath = dir.join(MANIFEST);
        if std::fs::symlink_metadata(&mpath).is_err() {
            err.diags.push(
                Diagnostic::error(format!(
                    "custom target `{name}` has no manifest: {manifest} is missing"
                ))
                .with_hint(format!(
                    "add {manifest} with `each:` and `files:` (see the README, \"Custom targets\")"
                )),
            );
            continue;
        }
        let file = match load_file(&mpath, &manifest) {
            Ok(f) => f,
            Err(d) => {
                if let Ok(text) =
                    crate::safe_fs::read_to_string(&mpath, crate::load::MAX_FILE_BYTES)
                {
                    err.sources.add(Arc::from(manifest.as_str()), text.into());
                }
                err.diags.push(d);
                continue;
            }
        };
        err.sources.add(file.name.clone(), file.text.clone());
        match parse_manifest(engine, &name, &dir, &file) {
            Ok(t) => out.push(t),
            Err(ds) => err.diags.extend(ds),
        }
    }
    if err.diags.is_empty() {
        Ok(out)
    } else {
        Err(err)
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Validate a loaded manifest strictly and build the target.
fn parse_manifest(
    engine: &Engine,
    name: &str,
    dir: &Path,
    file: &LoadedFile,
) -> Result<CustomTarget, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let root = ConfigPath::root();
    let at = |p: &ConfigPath| {
        file.span_near(p)
            .or_else(|| Some(Span::new(file.name.clone(), 1, 1, 1)))
    };
    let key_at = |p: &ConfigPath| file.key_spans.get(p).cloned().or_else(|| at(p));
    let Some(top) = file.value.as_object() else {
        return Err(vec![
            Diagnostic::error(format!("{} must be a map with `each:` and `files:`", file.name))
                .with_span(at(&root))
                .with_hint("e.g. `each: profile` and `files: [{template: x.j2, path: \"out/{{ profile }}.txt\"}]`"),
        ]);
    };
    unknown_keys(top, TOP_KEYS, &root, "manifest", &key_at, &mut diags);

    let description = match top.get("description") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            diags.push(type_error(&root.key("description"), "a string", &at));
            String::new()
        }
    };
    let each = match top.get("each") {
        None => {
            diags.push(
                Diagnostic::error(format!("{} has no `each:`", file.name))
                    .with_span(at(&root))
                    .with_hint("add `each: profile`, `each: cloud` or `each: once`"),
            );
            None
        }
        Some(v) => parse_each(v, &root.key("each"), &at, &mut diags),
    };
    let comment = match top.get("comment") {
        None => Some("#".to_string()),
        Some(v) => parse_comment(v, &root.key("comment"), &at, &mut diags),
    };
    let vars = top
        .get("vars")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));

    let available = template_files(dir);
    let mut files = Vec::new();
    match top.get("files") {
        None => diags.push(
            Diagnostic::error(format!("{} has no `files:`", file.name))
                .with_span(at(&root))
                .with_hint("list the templates: `files: [{template: x.j2, path: \"out/{{ profile }}.txt\"}]`"),
        ),
        Some(Value::Array(items)) if items.is_empty() => {
            diags.push(
                Diagnostic::error("`files:` is empty; a custom target needs at least one file")
                    .with_span(at(&root.key("files"))),
            );
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let p = root.key("files").index(i);
                let Some(m) = item.as_object() else {
                    diags.push(type_error(&p, "a map with `template:` and `path:`", &at));
                    continue;
                };
                unknown_keys(m, FILE_KEYS, &p, "file entry", &key_at, &mut diags);
                let template = required_str(m, "template", &p, &at, &mut diags);
                let path = required_str(m, "path", &p, &at, &mut diags);
                let file_each = match m.get("each") {
                    None => each,
                    Some(v) => parse_each(v, &p.key("each"), &at, &mut diags),
                };
                let file_comment = match m.get("comment") {
                    None => comment.clone(),
                    Some(v) => parse_comment(v, &p.key("comment"), &at, &mut diags),
                };
                if let Some(t) = &template
                    && !available.iter().any(|a| a == t)
                {
                    let mut d = Diagnostic::error(format!(
                        "unknown template `{t}`: there is no {CUSTOM_DIR}/{name}/{t}"
                    ))
                    .with_span(at(&p.key("template")));
                    d = match did_you_mean(t, available.iter().map(String::as_str)) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None if available.is_empty() => d.with_hint(format!(
                            "put the template next to the manifest, in {CUSTOM_DIR}/{name}/"
                        )),
                        None => d.with_hint(format!("templates here: {}", available.join(", "))),
                    };
                    diags.push(d);
                }
                if let (Some(pattern), Some(e)) = (&path, file_each)
                    && let Err((msg, hint)) = check_pattern(engine, name, pattern, e)
                {
                    let mut d = Diagnostic::error(msg).with_span(at(&p.key("path")));
                    if let Some(h) = hint {
                        d = d.with_hint(h);
                    }
                    diags.push(d);
                }
                if let (Some(template), Some(path), Some(each), Some(comment)) =
                    (template, path, file_each, file_comment)
                {
                    files.push(CustomFile {
                        template,
                        path,
                        each,
                        comment,
                        path_span: at(&p.key("path")),
                    });
                }
            }
        }
        Some(_) => diags.push(type_error(&root.key("files"), "a list", &at)),
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(CustomTarget {
        name: name.to_string(),
        description,
        manifest: file.name.to_string(),
        files,
        vars,
    })
}

fn unknown_keys(
    m: &Map<String, Value>,
    allowed: &[&str],
    base: &ConfigPath,
    what: &str,
    key_at: &dyn Fn(&ConfigPath) -> Option<Span>,
    diags: &mut Vec<Diagnostic>,
) {
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            let mut d = Diagnostic::error(format!("unknown key `{k}` in the {what}"))
                .with_span(key_at(&base.key(k)));
            d = match did_you_mean(k, allowed.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(format!("known keys: {}", allowed.join(", "))),
            };
            diags.push(d);
        }
    }
}

fn type_error(p: &ConfigPath, want: &str, at: &dyn Fn(&ConfigPath) -> Option<Span>) -> Diagnostic {
    Diagnostic::error(format!("`{p}` must be {want}")).with_span(at(p))
}

fn required_str(
    m: &Map<String, Value>,
    key: &str,
    p: &ConfigPath,
    at: &dyn Fn(&ConfigPath) -> Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match m.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::String(_)) => {
            diags.push(
                Diagnostic::error(format!("`{}` is empty", p.key(key))).with_span(at(&p.key(key))),
            );
            None
        }
        Some(_) => {
            diags.push(type_error(&p.key(key), "a string", at));
            None
        }
        None => {
            diags.push(
                Diagnostic::error(format!("file entry `{p}` has no `{key}:`")).with_span(at(p)),
            );
            None
        }
    }
}

fn parse_each(
    v: &Value,
    p: &ConfigPath,
    at: &dyn Fn(&ConfigPath) -> Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Each> {
    let s = v.as_str().unwrap_or_default();
    if let Some(e) = Each::parse(s) {
        return Some(e);
    }
    let mut d = Diagnostic::error(format!(
        "`{p}` is {v}; expected `profile`, `cloud` or `once`"
    ))
    .with_span(at(p));
    if let Some(s) = did_you_mean(s, Each::NAMES.iter().copied()) {
        d = d.with_hint(format!("did you mean `{s}`?"));
    }
    diags.push(d);
    None
}

fn parse_comment(
    v: &Value,
    p: &ConfigPath,
    at: &dyn Fn(&ConfigPath) -> Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match v.as_str() {
        Some(s) if !s.trim().is_empty() && !s.contains(['\n', '\r']) => Some(s.to_string()),
        _ => {
            diags.push(
                type_error(p, "a one-line comment leader such as \"#\" or \"//\"", at)
                    .with_note("every generated file starts with a header comment"),
            );
            None
        }
    }
}

/// Files of a target's directory (relative names, `/`-separated), manifest excluded.
fn template_files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).ok()?;
            let s = rel.to_string_lossy().replace('\\', "/");
            (s != MANIFEST).then_some(s)
        })
        .collect();
    out.sort();
    out
}

/// What an output path pattern sees.
#[derive(Serialize)]
struct PathCtx<'a> {
    target: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud: Option<&'a str>,
}

/// Render a path pattern and check the result stays inside the project root.
fn render_path(
    engine: &Engine,
    target: &str,
    pattern: &str,
    profile: Option<&str>,
    cloud: Option<&str>,
) -> Result<PathBuf, (String, Option<String>)> {
    let ctx = PathCtx {
        target,
        profile,
        cloud,
    };
    let rendered = engine.render_str("path", pattern, &ctx).map_err(|e| {
        let mut msg = format!("path pattern `{pattern}` does not render: {}", e.kind());
        if let Some(detail) = e.detail() {
            msg.push_str(&format!(": {detail}"));
        }
        let hint = (e.kind() == minijinja::ErrorKind::UndefinedError).then(|| {
            match (profile, cloud) {
                (None, _) => "a pattern of an `each: once` file sees only `target`".to_string(),
                (Some(_), None) => {
                    "a pattern of an `each: profile` file sees `profile` and `target`; `cloud` needs `each: cloud`"
                        .to_string()
                }
                _ => "path patterns see `profile`, `cloud` and `target`".to_string(),
            }
        });
        (msg, hint)
    })?;
    let path = PathBuf::from(&rendered);
    let escapes = (
        format!("path pattern `{pattern}` resolves to `{rendered}`, outside the project root"),
        Some(
            "output paths are relative to the project root, without `..`, `.` or a leading `/`"
                .to_string(),
        ),
    );
    if rendered.contains('\\') || rendered.ends_with('/') || !safe_relative(&path) {
        return Err(escapes);
    }
    let first = path
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    if RESERVED_DIRS.contains(&first.as_str()) {
        return Err((
            format!(
                "path pattern `{pattern}` resolves to `{rendered}`, inside {first}/, which devgen reads"
            ),
            Some("write generated files elsewhere, e.g. under deploy/".to_string()),
        ));
    }
    Ok(path)
}

/// Check a pattern with stand-in values: it renders, stays inside the root,
/// and varies with `profile` / `cloud` where the file is rendered per profile / cloud.
fn check_pattern(
    engine: &Engine,
    target: &str,
    pattern: &str,
    each: Each,
) -> Result<(), (String, Option<String>)> {
    let r = |p: Option<&str>, c: Option<&str>| render_path(engine, target, pattern, p, c);
    let must_use = |var: &str| {
        (
            format!(
                "path pattern `{pattern}` does not use `{var}`: every {var} would write the same file"
            ),
            Some(format!(
                "add `{{{{ {var} }}}}` to the path, e.g. `deploy/{target}/{{{{ {var} }}}}/…`"
            )),
        )
    };
    match each {
        Each::Once => {
            r(None, None)?;
        }
        Each::Profile => {
            let a = r(Some("alpha"), None)?;
            let b = r(Some("beta"), None)?;
            if a == b {
                return Err(must_use("profile"));
            }
        }
        Each::Cloud => {
            let a = r(Some("alpha"), Some("aws"))?;
            let b = r(Some("alpha"), Some("gcp"))?;
            let c = r(Some("beta"), Some("aws"))?;
            if a == b {
                return Err(must_use("cloud"));
            }
            if a == c {
                return Err(must_use("profile"));
            }
        }
    }
    Ok(())
}

/// What a custom template sees.
#[derive(Serialize)]
struct FileCtx<'a> {
    /// Target name.
    target: &'a str,
    /// Profile name (`each: profile` and `each: cloud`).
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
    /// Cloud name (`each: cloud`).
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud: Option<&'a str>,
    /// `model.clouds[cloud]` (`each: cloud`).
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud_settings: Option<&'a CloudSettings>,
    /// The profile's model (`each: profile` and `each: cloud`), as a
    /// template value made once per profile (not once per file).
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<minijinja::Value>,
    /// Every profile's model (`each: once`).
    #[serde(skip_serializing_if = "Option::is_none")]
    models: Option<&'a [Model]>,
    /// Every profile of the project.
    profiles: &'a [String],
    /// The manifest's `vars:`.
    vars: &'a Value,
}

/// `m` as templates see it (what serialising it in a context gives).
fn model_value(m: &Model) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(m))
}

impl CustomTarget {
    #[allow(clippy::too_many_arguments)]
    fn render_file(
        &self,
        engine: &Engine,
        f: &CustomFile,
        ctx: &FileCtx<'_>,
        sources: &[String],
        regenerate: String,
        out: &mut Vec<PlannedFile>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let path = match render_path(engine, &self.name, &f.path, ctx.profile, ctx.cloud) {
            Ok(p) => p,
            Err((msg, hint)) => {
                let mut d = Diagnostic::error(msg).with_span(f.path_span.clone());
                if let Some(h) = hint {
                    d = d.with_hint(h);
                }
                diags.push(d);
                return;
            }
        };
        match engine.render(&self.template_name(&f.template), ctx) {
            Ok(body) => {
                let mut text = header(&f.comment, sources, &regenerate);
                text.push_str(&body);
                out.push(PlannedFile {
                    path,
                    bytes: text.into_bytes(),
                    target: self.name.clone(),
                    profile: ctx.profile.map(str::to_string),
                    regenerate,
                });
            }
            Err(d) => {
                let mut what = format!(
                    "while rendering {} (custom target `{}`",
                    path.display(),
                    self.name
                );
                if let Some(p) = ctx.profile {
                    what.push_str(&format!(", profile `{p}`"));
                }
                if let Some(c) = ctx.cloud {
                    what.push_str(&format!(", cloud `{c}`"));
                }
                what.push(')');
                // The same template error for several profiles / clouds shows once.
                match diags.iter_mut().find(|x| x.same_as(&d)) {
                    Some(prev) => prev.notes.push(what),
                    None => diags.push(d.with_note(what)),
                }
            }
        }
    }
}

impl Target for CustomTarget {
    fn needs_all_models(&self) -> bool {
        self.has_once()
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn render(
        &self,
        engine: &Engine,
        models: &[Model],
        opts: &RenderOptions,
    ) -> Result<Vec<PlannedFile>, Vec<Diagnostic>> {
        let mut out = Vec::new();
        let mut diags = Vec::new();
        let base = FileCtx {
            target: &self.name,
            profile: None,
            cloud: None,
            cloud_settings: None,
            model: None,
            models: None,
            profiles: &opts.all_profiles,
            vars: &self.vars,
        };
        for f in &self.files {
            match f.each {
                Each::Once => {
                    // Every profile's model when the pipeline gave them
                    // (see `needs_all_models`), else the models given.
                    let all = match opts.all_models.is_empty() {
                        true => models,
                        false => &opts.all_models[..],
                    };
                    // A once file comes from every profile: its header says
                    // `config/profiles/*.yaml`, so adding or removing a profile
                    // changes it only if its content changes.
                    let mut sources: Vec<String> = Vec::new();
                    for m in all {
                        for s in &m.sources {
                            if !s.starts_with("config/profiles/") && !sources.contains(s) {
                                sources.push(s.clone());
                            }
                        }
                    }
                    sources.push("config/profiles/*.yaml".to_string());
                    let ctx = FileCtx {
                        models: Some(all),
                        model: None,
                        ..base
                    };
                    let regen = format!("devgen render --target {}", self.name);
                    self.render_file(engine, f, &ctx, &sources, regen, &mut out, &mut diags);
                }
                Each::Profile => {
                    for m in models {
                        let ctx = FileCtx {
                            profile: Some(&m.profile),
                            model: Some(model_value(m)),
                            ..base
                        };
                        let regen = format!(
                            "devgen render --target {} --profile {}",
                            self.name, m.profile
                        );
                        self.render_file(engine, f, &ctx, &m.sources, regen, &mut out, &mut diags);
                    }
                }
                Each::Cloud => {
                    for m in models {
                        let model = model_value(m);
                        for (cloud, settings) in &m.clouds {
                            if !opts.clouds.is_empty() && !opts.clouds.contains(cloud) {
                                continue;
                            }
                            let ctx = FileCtx {
                                profile: Some(&m.profile),
                                cloud: Some(cloud),
                                cloud_settings: Some(settings),
                                model: Some(model.clone()),
                                ..base
                            };
                            let regen = format!(
                                "devgen render --target {} --profile {} --cloud {cloud}",
                                self.name, m.profile
                            );
                            self.render_file(
                                engine, f, &ctx, &m.sources, regen, &mut out, &mut diags,
                            );
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine_with(manifest: &str, templates: &[(&str, &str)]) -> (tempfile::TempDir, Engine) {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join(CUSTOM_DIR).join("t");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(MANIFEST), manifest).unwrap();
        for (n, t) in templates {
            std::fs::write(dir.join(n), t).unwrap();
        }
        let e = Engine::new(d.path());
        (d, e)
    }

    fn errors(manifest: &str) -> Vec<Diagnostic> {
        let (_d, e) = engine_with(manifest, &[("a.j2", "x\n")]);
        discover(&e, &[])
            .expect_err("manifest should be refused")
            .diags
    }

    #[test]
    fn valid_names() {
        assert!(valid_name("helm-values"));
        assert!(valid_name("x_1"));
        assert!(!valid_name("Helm"));
        assert!(!valid_name("-x"));
        assert!(!valid_name(""));
    }

    #[test]
    fn unknown_keys_suggest() {
        let ds =
            errors("each: profile\nfiles:\n  - template: a.j2\n    paht: \"o/{{ profile }}\"\n");
        let msgs: Vec<String> = ds.iter().map(|d| d.message.clone()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("unknown key `paht`")),
            "{msgs:?}"
        );
        let d = ds.iter().find(|d| d.message.contains("paht")).unwrap();
        assert_eq!(d.hint.as_deref(), Some("did you mean `path`?"));
        assert_eq!(
            d.location().as_deref(),
            Some("templates/custom/t/target.yaml:4")
        );
    }

    #[test]
    fn bad_each_and_missing_files() {
        let ds = errors("each: per-cloud\n");
        assert!(
            ds.iter()
                .any(|d| d.message.contains("expected `profile`, `cloud` or `once`"))
        );
        assert!(ds.iter().any(|d| d.message.contains("has no `files:`")));
    }

    #[test]
    fn builtin_name_clash() {
        let (_d, e) = engine_with(
            "each: once\nfiles: [{template: a.j2, path: out.txt}]\n",
            &[("a.j2", "x")],
        );
        assert!(discover(&e, &["x"]).is_ok());
        let err = discover(&e, &["t"]).unwrap_err();
        assert!(err.diags[0].message.contains("name of a built-in target"));
    }
}
