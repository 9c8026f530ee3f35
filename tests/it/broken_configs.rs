//! The corpus of broken configs under tests/broken/, as data-driven command
//! cases (trycmd, as the typos project tests its CLI): each case is a
//! directory holding a small project whose config is broken (`config/`), the
//! command and its expected exit code (`cmd.toml`: `devgen show`, nothing on
//! stdout) and the exact expected stderr (`cmd.stderr`: the message, the
//! file:line, the source line with a caret, the hint). Run through the real
//! binary. After a deliberate change of a message,
//! `TRYCMD=overwrite cargo test --test it broken_configs::` rewrites the
//! `cmd.stderr` files: review the diff.
//!
//! The same directories are also rendered (no partial write) and checked for
//! a snippet under every file:line; hostile inputs too large to commit are
//! built by the tests further down.
use crate::common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{copy_dir, devgen, stderr};

/// The case directories (those with a `cmd.toml`), sorted.
fn cases() -> Vec<PathBuf> {
    let dir = common::repo_root().join("tests/broken");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("cmd.toml").is_file())
        .collect();
    v.sort();
    v
}

/// The exit code a case's `cmd.toml` expects (`status.code = N`).
fn expected_exit(case: &Path) -> i32 {
    let toml = std::fs::read_to_string(case.join("cmd.toml")).unwrap();
    toml.lines()
        .find_map(|l| l.strip_prefix("status.code = "))
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or_else(|| panic!("{}: no `status.code = N`", case.display()))
}

#[test]
fn corpus_has_at_least_25_cases() {
    assert!(cases().len() >= 25, "only {} cases", cases().len());
}

/// Every case: the command's exit code, empty stdout and exact stderr.
#[test]
fn every_broken_config_fails_cleanly_at_its_line() {
    trycmd::TestCases::new()
        .register_bin("devgen", PathBuf::from(env!("CARGO_BIN_EXE_devgen")))
        .env("NO_COLOR", "1")
        .env("DEVGEN_OFFLINE", "1")
        .case(common::repo_root().join("tests/broken/*/cmd.toml"))
        .run();
}

/// Every expected stderr that points at a file:line shows the source line
/// with a caret under it (a few problems concern a whole file, e.g. a
/// profile's file name), and none is a panic.
#[test]
fn every_expected_error_shows_its_line() {
    for case in cases() {
        let err = std::fs::read_to_string(case.join("cmd.stderr")).unwrap();
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{name}: panic\n{err}"
        );
        let points_at_a_line = err.lines().any(|l| {
            l.trim_start()
                .strip_prefix("--> ")
                .and_then(|at| at.split(':').nth(1))
                .is_some_and(|n| n.parse::<u32>().is_ok())
        });
        assert!(
            !points_at_a_line || (err.contains(" | ") && err.contains('^')),
            "{name}: no snippet\n{err}"
        );
    }
}

/// `devgen render` of every case fails as `show` does and writes nothing.
#[test]
fn no_broken_config_renders_anything() {
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        assert_render_writes_nothing(&case, expected_exit(&case), &name);
    }
}

/// Every file under `dir` (relative path, bytes), sorted.
fn tree(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            (rel, std::fs::read(e.path()).unwrap_or_default())
        })
        .collect();
    v.sort();
    v
}

/// `devgen render` (every profile, every target) on a copy of `project`
/// fails with `exit` and leaves the copy exactly as it was: no partial write.
fn assert_render_writes_nothing(project: &Path, exit: i32, name: &str) {
    let d = tempfile::tempdir().unwrap();
    copy_dir(project, d.path());
    let before = tree(d.path());
    let o = devgen(d.path(), &["render"]);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(exit),
        "{name}: render exit code\n{err}"
    );
    assert!(!err.contains("panicked"), "{name}: panic\n{err}");
    let after = tree(d.path());
    let added: Vec<_> = after
        .iter()
        .filter(|f| !before.contains(f))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(added.is_empty(), "{name}: render wrote {added:?}");
    assert_eq!(before, after, "{name}: render changed the project");
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn hostile_project(profile_bytes: &[u8]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "config/common/project.yaml",
        // Untagged images are fine here: these tests are about other problems.
        b"project:\n  name: demo\nimage_policy: {allow_latest: true}\n",
    );
    write(d.path(), "config/profiles/dev.yaml", profile_bytes);
    d
}

fn assert_refused_quickly(profile: &[u8], fragment: &str) {
    let d = hostile_project(profile);
    let t = Instant::now();
    let o = devgen(d.path(), &["show", "--profile", "dev"]);
    let took = t.elapsed();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(fragment), "no `{fragment}` in {err}");
    assert!(!err.contains("panicked"), "{err}");
    // Generous bound: a refusal must not be a hang (the real figure is milliseconds).
    assert!(took.as_secs() < 5, "took {took:?}");
    assert_render_writes_nothing(d.path(), 1, fragment);
}

#[test]
fn alias_bomb_is_refused() {
    let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let p = i - 1;
        s.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    assert_refused_quickly(s.as_bytes(), "alias bomb");
}

#[test]
fn deep_nesting_is_refused() {
    let s = format!("project: {}{}\n", "[".repeat(50_000), "]".repeat(50_000));
    assert_refused_quickly(s.as_bytes(), "nests deeper than");
    let mut s = String::from("project:\n");
    for i in 0..200 {
        s.push_str(&format!("{}k{i}:\n", "  ".repeat(i + 1)));
    }
    assert_refused_quickly(s.as_bytes(), "nests deeper than");
}

#[test]
fn huge_file_is_refused() {
    let mut s = String::from("project:\n  description: \"");
    s.push_str(&"x".repeat(9 * 1024 * 1024));
    s.push_str("\"\n");
    assert_refused_quickly(s.as_bytes(), "config files are limited to");
}

#[test]
fn fifty_megabyte_file_is_refused() {
    // The hostile-input list: a 50 MB file, refused before it is parsed.
    let mut s = String::from("project:\n  description: |\n");
    let line = format!("    {}\n", "y".repeat(1019));
    while s.len() < 50 * 1000 * 1000 {
        s.push_str(&line);
    }
    assert_refused_quickly(s.as_bytes(), "config files are limited to");
}

#[test]
fn nul_byte_is_refused() {
    assert_refused_quickly(b"project:\n  environment: a\0b\n", "NUL byte");
}

#[test]
fn bad_set_flag_is_a_usage_error() {
    let d = hostile_project(b"project:\n  environment: dev\n");
    let o = devgen(d.path(), &["show", "--profile", "dev", "--set", "novalue"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("has no `=`"));
}

/// A bad value from `--set` names the flag, and never the line of a file
/// that set something above it (it once pointed at `services.web:` in a file).
#[test]
fn bad_set_value_names_the_flag_not_a_file_line() {
    let d = hostile_project(b"project:\n  environment: dev\n");
    for (set, message) in [
        ("services.web.replicas=1e23", "greater than the maximum"),
        (
            "services.web.env.1BAD=x",
            "not a valid environment variable name",
        ),
        (
            "services.web.resources.memory=lots",
            "not a Kubernetes quantity",
        ),
    ] {
        let o = devgen(d.path(), &["show", "--profile", "dev", "--set", set]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{set}: {err}");
        assert!(err.contains(message), "{set}: {err}");
        assert!(
            err.contains(&format!("note: set on the command line: --set {set}")),
            "{set}: {err}"
        );
        assert!(!err.contains(" --> "), "{set} points at a file:\n{err}");
    }
}

#[test]
fn unknown_cloud_is_a_usage_error() {
    let d = hostile_project(b"project:\n  environment: dev\n");
    let o = devgen(d.path(), &["render", "--cloud", "mars"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("possible values: aws, azure, gcp, lambdalabs"));
    assert!(
        !d.path().join("deploy").exists(),
        "wrote despite the usage error"
    );
}

#[test]
fn unknown_profile_suggests_the_nearest() {
    let d = hostile_project(b"project:\n  environment: dev\n");
    let o = devgen(d.path(), &["show", "--profile", "dve"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `dev`?"), "{}", stderr(&o));
}

#[test]
fn missing_config_dir_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    let o = devgen(d.path(), &["show", "--profile", "dev"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no config/ directory"));
}

#[test]
fn all_errors_of_a_run_are_reported() {
    let d = hostile_project(b"project:\n  environment: dev\nservices:\n  web:\n    replica: 1\n    resources:\n      memory: 4GB\n      cpu: lots\n");
    let o = devgen(d.path(), &["show", "--profile", "dev"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    for f in ["unknown key `replica`", "4GB", "lots", "3 problems found"] {
        assert!(err.contains(f), "no `{f}` in {err}");
    }
}
