//! `show`, `explain`, `diff` on the example project and on small fixtures.
use crate::common;

use common::{devgen, repo_root, stderr, stdout};

fn run_ok(args: &[&str]) -> String {
    let o = devgen(&repo_root(), args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn show_prod_with_provenance() {
    insta::assert_snapshot!(run_ok(&["show", "--profile", "prod", "--provenance"]));
}

#[test]
fn show_dev_yaml_round_trips_to_json() {
    let yaml = run_ok(&["show", "--profile", "dev"]);
    let json = run_ok(&["show", "--profile", "dev", "--format", "json"]);
    let a: serde_json::Value = serde_yaml::from_str(&yaml).unwrap();
    let mut b: serde_json::Value = serde_json::from_str(&json).unwrap();
    // JSON adds the enrichment's placements beside the config (#19).
    let placements = b.as_object_mut().unwrap().remove("placements");
    assert!(placements.is_some_and(|p| p.is_object()));
    assert_eq!(a, b);
    // dev deletes the GPU request with `gpu: null`.
    assert!(b["services"]["ollama"]["resources"].get("gpu").is_none());
}

#[test]
fn show_path_and_json_provenance() {
    insta::assert_snapshot!(run_ok(&[
        "show",
        "-p",
        "staging",
        "--path",
        "services.devai",
        "--provenance"
    ]));
    let j: serde_json::Value = serde_json::from_str(&run_ok(&[
        "show",
        "-p",
        "prod",
        "--path",
        "image",
        "--provenance",
        "--format",
        "json",
    ]))
    .unwrap();
    let tag = j
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "image.tag")
        .unwrap();
    assert_eq!(tag["value"], "1.4.1");
    assert_eq!(tag["file"], "config/profiles/prod.yaml");
    assert_eq!(tag["patch"]["op"], "replace");
}

#[test]
fn explain_replicas_through_the_chain() {
    let out = run_ok(&["explain", "services.devai.replicas", "--profile", "prod"]);
    insta::assert_snapshot!(out);
    // The lines named must hold the value they claim.
    let root = repo_root();
    for (file, line, text) in [
        ("config/profiles/prod.yaml", 14, "replicas: 3"),
        ("config/profiles/staging.yaml", 18, "replicas: 1"),
        ("config/common/resources.yaml", 7, "replicas: 1"),
    ] {
        assert!(out.contains(&format!("{file}:{line}")), "{out}");
        let l = std::fs::read_to_string(root.join(file))
            .unwrap()
            .lines()
            .nth(line - 1)
            .unwrap()
            .to_string();
        assert!(l.contains(text), "{file}:{line} is `{l}`");
    }
}

#[test]
fn explain_patch_set_and_deletion() {
    insta::assert_snapshot!(
        "explain_patch",
        run_ok(&["explain", "image.tag", "-p", "prod"])
    );
    let out = run_ok(&[
        "explain",
        "services.devai.replicas",
        "-p",
        "prod",
        "--set",
        "services.devai.replicas=7",
    ]);
    assert!(
        out.starts_with(
            "services.devai.replicas = 7\n    set by     --set services.devai.replicas=7"
        ),
        "{out}"
    );
    let out = run_ok(&[
        "explain",
        "services.ollama.resources.gpu.model",
        "-p",
        "dev",
    ]);
    assert!(
        out.contains("deleted by") && out.contains("config/profiles/dev.yaml:21"),
        "{out}"
    );
    let j: serde_json::Value = serde_json::from_str(&run_ok(&[
        "explain",
        "image.tag",
        "-p",
        "prod",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(j["values"][0]["history"].as_array().unwrap().len(), 3);
}

#[test]
fn explain_unknown_path_suggests() {
    let o = devgen(
        &repo_root(),
        &["explain", "services.devai.replica", "-p", "prod"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean `services.devai.replicas`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn diff_staging_prod() {
    insta::assert_snapshot!(run_ok(&["diff", "staging", "prod"]));
    let j: serde_json::Value =
        serde_json::from_str(&run_ok(&["diff", "dev", "prod", "--format", "json"])).unwrap();
    let changed = j["changed"].as_array().unwrap();
    assert!(
        changed
            .iter()
            .any(|c| c["path"] == "services.devai.replicas" && c["from"] == 1 && c["to"] == 3)
    );
    let added = j["added"].as_array().unwrap();
    assert!(
        added
            .iter()
            .any(|c| c["path"] == "services.ollama.resources.gpu.model" && c["value"] == "l4")
    );
}

#[test]
fn set_overrides_with_yaml_values() {
    let j: serde_json::Value = serde_json::from_str(&run_ok(&[
        "show",
        "-p",
        "dev",
        "--format",
        "json",
        "--set",
        "services.devai.replicas=4",
        "--set",
        "network.allowed_cidrs=[10.1.0.0/16]",
        "--set",
        "env.NEW='01'",
    ]))
    .unwrap();
    assert_eq!(j["services"]["devai"]["replicas"], 4);
    assert_eq!(
        j["network"]["allowed_cidrs"],
        serde_json::json!(["10.1.0.0/16"])
    );
    assert_eq!(j["env"]["NEW"], "01");
    // --set values are validated like any other.
    let o = devgen(
        &repo_root(),
        &["show", "-p", "dev", "--set", "services.devai.replicas=-1"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("services.devai.replicas"));
}

#[test]
fn extends_list_applies_parents_in_order_once() {
    let d = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "config/common/p.yaml",
        "project: {name: x}\nenv: {A: base, B: base, C: base}\n",
    );
    w("config/profiles/base.yaml", "env: {A: from-base}\n");
    w(
        "config/profiles/gpu.yaml",
        "extends: base\nenv: {B: from-gpu}\n",
    );
    w(
        "config/profiles/big.yaml",
        "extends: base\nenv: {A: from-big, C: from-big}\n",
    );
    w(
        "config/profiles/prod.yaml",
        "extends: [gpu, big]\nenv: {C: from-prod}\n",
    );
    let o = devgen(d.path(), &["show", "-p", "prod", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        j["env"],
        serde_json::json!({"A": "from-big", "B": "from-gpu", "C": "from-prod"})
    );
    let o = devgen(d.path(), &["explain", "env.A", "-p", "prod"]);
    let out = stdout(&o);
    assert!(
        out.contains("(profile chain: common → base → gpu → big → prod)"),
        "{out}"
    );
}

#[test]
fn json_patch_operations() {
    let d = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "config/common/p.yaml",
        "project: {name: x}\nenv: {A: a, B: b}\nnetwork: {allowed_cidrs: [10.0.0.0/8]}\n",
    );
    w(
        "config/profiles/p.yaml",
        "patches:\n  - {op: add, path: /env/C, value: c}\n  - {op: remove, path: /env/A}\n  - {op: move, from: /env/B, path: /env/D}\n  - {op: copy, from: /env/C, path: /env/E}\n  - {op: add, path: /network/allowed_cidrs/-, value: 192.168.0.0/16}\n  - {op: test, path: /env/C, value: c}\n  - {op: replace, path: /env/C, value: cc}\n",
    );
    let o = devgen(d.path(), &["show", "-p", "p", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["env"], serde_json::json!({"C": "cc", "D": "b", "E": "c"}));
    assert_eq!(
        j["network"]["allowed_cidrs"],
        serde_json::json!(["10.0.0.0/8", "192.168.0.0/16"])
    );
    let o = devgen(d.path(), &["explain", "network.allowed_cidrs", "-p", "p"]);
    assert!(
        stdout(&o).contains("config/profiles/p.yaml:6  (patches[4]: add)"),
        "{}",
        stdout(&o)
    );
    // A failing `test` op stops the run at its index.
    w(
        "config/profiles/q.yaml",
        "patches:\n  - {op: test, path: /env/A, value: zzz}\n",
    );
    let o = devgen(d.path(), &["show", "-p", "q"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("patches[0] (test /env/A) failed"),
        "{}",
        stderr(&o)
    );
}
