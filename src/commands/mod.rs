//! One file per command; this module dispatches and owns error reporting.
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::{CatalogueCommand, Cli, Command};
use crate::diag::{Diagnostic, Sources, render_all};
use crate::merge::SetArg;
use crate::pipeline::{Resolved, resolve_all};
use crate::project::Project;

mod catalogue;
mod catalogue_update;
mod check;
mod cost;
mod import_compose;
mod init;
mod inspect;
mod kdevops;
mod meta;
pub mod render;
mod skeleton;

/// Exit code: success / clean.
pub const EXIT_OK: i32 = 0;
/// Exit code: invalid config, drift, problems found.
pub const EXIT_PROBLEMS: i32 = 1;
/// Exit code: usage or I/O failure.
pub const EXIT_USAGE: i32 = 2;

/// A failed command: what to print and which exit code to use.
#[derive(Debug)]
pub struct CmdError {
    /// 1 (problems) or 2 (usage / I/O).
    pub code: i32,
    /// What went wrong.
    pub diags: Vec<Diagnostic>,
    /// Source texts for the snippets.
    pub sources: Sources,
}

impl CmdError {
    /// Invalid config or problems found (exit 1).
    pub fn problems(diags: Vec<Diagnostic>, sources: &Sources) -> Self {
        CmdError {
            code: EXIT_PROBLEMS,
            diags,
            sources: sources.clone(),
        }
    }

    /// Usage or I/O failure (exit 2).
    pub fn usage(d: Diagnostic) -> Self {
        CmdError {
            code: EXIT_USAGE,
            diags: vec![d],
            sources: Sources::default(),
        }
    }
}

impl From<crate::write::WriteError> for CmdError {
    /// A refused file is a problem of the project (exit 1); anything else
    /// could not be done (exit 2).
    fn from(e: crate::write::WriteError) -> Self {
        if e.refused {
            CmdError::problems(vec![e.diag], &Sources::default())
        } else {
            CmdError::usage(e.diag)
        }
    }
}

/// Result of a command: the exit code to use.
pub type CmdResult = Result<i32, CmdError>;

/// What every command knows: the project root.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Project root.
    pub root: PathBuf,
}

impl Ctx {
    /// Load the project's config files (errors are invalid config, exit 1).
    pub fn project(&self) -> Result<Project, CmdError> {
        let loaded = Project::load(&self.root);
        crate::redact::watch(&self.root, secret_names(&self.root, loaded.as_ref().ok()));
        loaded.map_err(|diags| {
            // Load errors carry their own file; show snippets where we can read the file.
            let mut sources = Sources::default();
            for d in &diags {
                if let Some(s) = &d.span
                    && let Ok(bytes) = crate::safe_fs::read_in(
                        &self.root,
                        Path::new(&*s.file),
                        crate::load::MAX_FILE_BYTES,
                    )
                {
                    let text = String::from_utf8_lossy(&bytes);
                    sources.add(s.file.clone(), text.as_ref().into());
                }
            }
            let code = if diags.iter().any(|d| d.message.starts_with("no config/")) {
                EXIT_USAGE
            } else {
                EXIT_PROBLEMS
            };
            CmdError {
                code,
                diags,
                sources,
            }
        })
    }
}

/// Tells the output layer about the project a command line names (`-C DIR`
/// or `--directory DIR`, else the current directory) before any command
/// runs, so that a command line clap refuses is printed redacted too.
pub fn watch_project_of_args(args: &[std::ffi::OsString]) {
    let root = project_root_of_args(args);
    let project = Project::load(&root).ok();
    crate::redact::watch(&root, secret_names(&root, project.as_ref()));
}

/// The `-C`/`--directory` value of a raw command line, or `.`.
fn project_root_of_args(args: &[std::ffi::OsString]) -> PathBuf {
    let mut root = PathBuf::from(".");
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let a = a.to_string_lossy();
        if a == "--" {
            break;
        }
        if a == "-C" || a == "--directory" {
            if let Some(v) = it.next() {
                root = PathBuf::from(v);
            }
        } else if let Some(v) = a.strip_prefix("--directory=") {
            root = PathBuf::from(v);
        } else if let Some(v) = a.strip_prefix("-C").filter(|v| !v.is_empty()) {
            root = PathBuf::from(v.strip_prefix('=').unwrap_or(v));
        }
    }
    root
}

/// Every secret name the project declares in any layer's `secrets:` or in
/// `config/secrets.example.yaml` (read on its own when the project did not
/// load), for the output layer to look their values up.
fn secret_names(root: &Path, project: Option<&Project>) -> Vec<String> {
    let mut names = Vec::new();
    let mut from_list = |v: &serde_json::Value| {
        if let Some(list) = v.get("secrets").and_then(|s| s.as_array()) {
            names.extend(list.iter().filter_map(|n| n.as_str().map(str::to_string)));
        }
    };
    match project {
        Some(p) => {
            for f in p.common.iter().map(|f| &**f) {
                from_list(&f.value);
            }
            for pf in p.profiles.values() {
                from_list(&pf.file.value);
            }
            names.extend(p.secret_descriptions().into_iter().map(|(n, _)| n));
        }
        None => {
            let ex = root.join("config/secrets.example.yaml");
            if let Ok(f) = crate::load::load_file(&ex, "config/secrets.example.yaml")
                && let Some(m) = f.value.as_object()
            {
                names.extend(m.keys().cloned());
            }
        }
    }
    names
}

/// Parse `--set` flags (bad ones are usage errors).
pub fn parse_sets(raw: &[String]) -> Result<Vec<SetArg>, CmdError> {
    raw.iter()
        .map(|s| SetArg::parse(s).map_err(CmdError::usage))
        .collect()
}

/// Resolve the named profiles (all when none are named).
pub fn resolve_profiles(
    project: &Project,
    names: &[String],
    sets: &[SetArg],
) -> Result<Vec<Resolved>, CmdError> {
    let names = profile_names(project, names)?;
    resolve_all(project, &names, sets).map_err(|d| CmdError::problems(d, &project.sources))
}

/// The named profiles (all when none are named); unknown names and a
/// project without profiles are usage errors.
pub fn profile_names(project: &Project, names: &[String]) -> Result<Vec<String>, CmdError> {
    let names: Vec<String> = if names.is_empty() {
        project.profile_names()
    } else {
        names.to_vec()
    };
    if names.is_empty() {
        return Err(CmdError::usage(
            Diagnostic::error("the project has no profiles")
                .with_hint("add config/profiles/<name>.yaml"),
        ));
    }
    for n in &names {
        if !project.profiles.contains_key(n) {
            let d = crate::merge::profile_chain(project, n).expect_err("unknown profile");
            return Err(CmdError::usage(d));
        }
    }
    Ok(names)
}

/// Print warnings to stderr.
pub fn print_warnings(warnings: &[Diagnostic], sources: &Sources) {
    if !warnings.is_empty() {
        err(&render_all(warnings, sources));
    }
}

/// Write text to stdout, ignoring a closed pipe. Like [`err`], the one way
/// out: known secret values and URL credentials are redacted here
/// ([`crate::redact::text`]).
pub fn out(text: &str) {
    let mut o = anstream::stdout();
    let _ = o.write_all(crate::redact::text(text).as_bytes());
    let _ = o.flush();
}

/// Write text to stderr, redacted like [`out`].
pub fn err(text: &str) {
    let mut e = anstream::stderr();
    let _ = e.write_all(crate::redact::text(text).as_bytes());
    let _ = e.flush();
}

/// Run the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> i32 {
    let root = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let ctx = Ctx { root };
    let result = dispatch(&ctx, cli.command);
    match result {
        Ok(code) => code,
        Err(e) => {
            err(&render_all(&e.diags, &e.sources));
            e.code
        }
    }
}

fn dispatch(ctx: &Ctx, cmd: Command) -> CmdResult {
    match cmd {
        Command::Show(a) => inspect::show(ctx, &a),
        Command::Explain(a) => inspect::explain(ctx, &a),
        Command::Diff(a) => inspect::diff(ctx, &a),
        Command::Schema => meta::schema(),
        Command::Completions(a) => meta::completions(a.shell),
        Command::Man => meta::man(),
        Command::Complete { kind } => meta::complete_values(ctx, &kind),
        Command::Render(a) => render::render(ctx, &a),
        Command::Check(a) => check::check(ctx, &a),
        Command::Cost(a) => cost::cost(ctx, &a),
        Command::Catalogue(c) => match c {
            CatalogueCommand::List(a) => catalogue::list(&a),
            CatalogueCommand::Select(a) => catalogue::select(&a),
            CatalogueCommand::Status(a) => catalogue::status(&a),
            CatalogueCommand::Update(a) => catalogue_update::update(&a),
        },
        Command::Init(a) => init::init(ctx, &a),
        Command::Kdevops(a) => kdevops::kdevops(ctx, &a),
    }
}

/// Display a path relative to the project root.
pub fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}
