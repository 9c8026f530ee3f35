//! `check` reports config errors exactly as `render` does (file:line:column,
//! caret, related locations), and its JSON carries line, column and related spans.
use crate::common;

use common::{devgen, stderr, stdout};

fn stack(extra: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "config/common/a.yaml",
        "project: {name: shop}\nservices:\n  api:\n    image: {name: python, tag: '3.12'}\n    ports: {http: 8000}\n",
    );
    w("config/common/b.yaml", extra);
    w("config/profiles/dev.yaml", "env: {A: '1'}\n");
    d
}

/// The diagnostics of `render` and of `check` (its summary line dropped).
fn both(dir: &std::path::Path) -> (String, String, serde_json::Value) {
    let r = devgen(dir, &["render"]);
    let c = devgen(dir, &["check"]);
    let j = devgen(dir, &["check", "--format", "json"]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert_eq!(c.status.code(), Some(1));
    let check: String = stderr(&c)
        .lines()
        .filter(|l| !l.starts_with("devgen check:"))
        .map(|l| format!("{l}\n"))
        .collect();
    (
        stderr(&r),
        check,
        serde_json::from_str(&stdout(&j)).unwrap(),
    )
}

#[test]
fn conflict_between_common_files_same_in_check_and_render() {
    let d = stack("services:\n  api:\n    image: {tag: '3.13'}\n");
    let (render, check, j) = both(d.path());
    assert_eq!(render.trim_end(), check.trim_end());
    assert!(check.contains("config/common/b.yaml:3:18"), "{check}");
    assert!(check.contains("also set here"), "{check}");
    let p = &j["problems"][0];
    assert_eq!(p["line"], 3);
    assert_eq!(p["column"], 18);
    assert_eq!(p["related"][0]["file"], "config/common/a.yaml");
    assert_eq!(p["related"][0]["line"], 4);
    assert_eq!(p["related"][0]["label"], "also set here");
}

#[test]
fn unknown_key_same_in_check_and_render() {
    let d = stack("services:\n  api:\n    replica: 2\n");
    let (render, check, j) = both(d.path());
    assert_eq!(render.trim_end(), check.trim_end());
    assert!(check.contains("config/common/b.yaml:3:5"), "{check}");
    assert!(check.contains("    ^^^^^^^"), "{check}");
    assert_eq!(j["problems"][0]["column"], 5);
}
