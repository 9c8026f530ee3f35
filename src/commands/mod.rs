//! One file per command; this module dispatches and owns error reporting.
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::{CatalogueCommand, Cli, ColorChoice, Command};
use crate::diag::{Diagnostic, Kind, Sources, render_all};
use crate::merge::SetArg;
use crate::pipeline::Resolved;
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

pub use crate::diag::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};

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

    /// The diagnostics of a failed stage, exit code by their kinds: 2 when
    /// one is a [`Kind::Usage`] error, else 1.
    pub fn of_kinds(diags: Vec<Diagnostic>, sources: &Sources) -> Self {
        let code = if diags.iter().any(|d| d.kind == Kind::Usage) {
            EXIT_USAGE
        } else {
            EXIT_PROBLEMS
        };
        CmdError {
            code,
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

impl From<crate::pipeline::Failed> for CmdError {
    /// A failed stage: exit 2 when it is a usage error, else 1.
    fn from(f: crate::pipeline::Failed) -> Self {
        CmdError::of_kinds(f.diags, &f.sources)
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
            CmdError::of_kinds(diags, &sources)
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
    crate::pipeline::resolve_all(project, &names, sets)
        .map_err(|d| CmdError::problems(d, &project.sources))
}

/// The named profiles (all when none are named); unknown names and a
/// project without profiles are usage errors.
pub fn profile_names(project: &Project, names: &[String]) -> Result<Vec<String>, CmdError> {
    crate::pipeline::profile_names(project, names).map_err(CmdError::usage)
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
    let text = crate::redact::text(text);
    // Text without an escape sequence is written as it is whatever the
    // stream (a terminal, a pipe, NO_COLOR): no need to scan it for styles
    // to strip (a render's report of 6,800 files is 300 KB).
    if !text.contains('\x1b') {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(text.as_bytes());
        let _ = o.flush();
        return;
    }
    let mut o = anstream::stdout();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

/// Write text to stderr, redacted like [`out`].
pub fn err(text: &str) {
    let text = crate::redact::text(text);
    // Styles are stripped (or kept) in memory and the result written in one
    // go: stderr is unbuffered, and writing through the stripping stream
    // made a system call per styled span (900 for a render's warnings).
    let choice = anstream::stderr().current_choice();
    let mut styled = anstream::AutoStream::new(Vec::with_capacity(text.len()), choice);
    let _ = styled.write_all(text.as_bytes());
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(&styled.into_inner());
    let _ = e.flush();
}

/// Parse arguments, run, print diagnostics; returns the exit code.
pub fn main() -> i32 {
    crate::timings::start();
    let cli = match <Cli as clap::Parser>::try_parse() {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            // The error may echo an argument (a secret pasted in the wrong
            // place): through the redaction layer like every other output.
            watch_project_of_args(&std::env::args_os().collect::<Vec<_>>());
            err(&e.render().ansi().to_string());
            return 2;
        }
        Err(e) => {
            let _ = e.print();
            return 0;
        }
    };
    match cli.color {
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
        ColorChoice::Auto => {}
    }
    let code = run(cli);
    crate::timings::mark("done");
    code
}

/// Run the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> i32 {
    // Modules below this layer (the catalogue, check, and the template
    // memory budget, which ends the process from the allocator) print
    // through the same redacting stderr.
    crate::output::install(|t| crate::redact::text(t).into_owned(), err);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_follows_the_kinds() {
        let sources = Sources::default();
        let problem = Diagnostic::error("no config/ directory in x");
        assert_eq!(
            CmdError::of_kinds(vec![problem.clone()], &sources).code,
            EXIT_PROBLEMS,
            "the text does not decide"
        );
        let usage = Diagnostic::usage("unknown profile `x`");
        assert_eq!(
            CmdError::of_kinds(vec![problem, usage], &sources).code,
            EXIT_USAGE
        );
    }
}
