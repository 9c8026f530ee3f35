//! `targets:` in config/common/ chooses the project's targets.
use crate::common;

use std::path::Path;

use common::{devgen, stderr, stdout};

fn stack(targets: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write_project(d.path(), targets);
    std::fs::create_dir_all(d.path().join("config/profiles")).unwrap();
    std::fs::write(d.path().join("config/profiles/dev.yaml"), "env: {A: '1'}\n").unwrap();
    d
}

fn write_project(root: &Path, targets: &str) {
    std::fs::create_dir_all(root.join("config/common")).unwrap();
    std::fs::write(
        root.join("config/common/project.yaml"),
        format!(
            "project: {{name: shop}}\ncloud: aws\nclouds:\n  aws: {{region: us-east-1}}\n{targets}services:\n  web:\n    image: {{name: nginx, tag: '1.27'}}\n    ports: {{http: 80}}\n"
        ),
    )
    .unwrap();
}

#[test]
fn render_and_check_honour_targets() {
    let d = stack("targets: [compose, kustomize]\n");
    let root = d.path();
    let o = devgen(root, &["render"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(root.join("deploy/compose/dev.env").is_file());
    assert!(
        root.join("deploy/kubernetes/base/kustomization.yaml")
            .is_file()
    );
    assert!(!root.join("deploy/terraform").exists(), "tfvars rendered");
    assert!(!root.join("deploy/kconfig").exists(), "kconfig rendered");
    let o = devgen(root, &["check", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // Only the two targets' files are checked (no missing tfvars/kconfig).
    assert!(
        j["problems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["kind"] != "missing"),
        "{j}"
    );
    // An explicit --target still renders any target.
    let o = devgen(root, &["render", "--target", "tfvars"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(root.join("deploy/terraform/aws/dev.tfvars").is_file());
    // … and warns at `targets:` that check and a plain render disagree.
    let e = stderr(&o);
    assert!(
        e.contains("warning: target `tfvars` is not in the project's `targets:`"),
        "{e}"
    );
    assert!(e.contains("config/common/project.yaml:5:"), "{e}");
    // check reports it as stale (not a target of the project), render deletes it.
    let o = devgen(root, &["check", "--format", "json"]);
    assert!(stdout(&o).contains("\"stale\""), "{}", stdout(&o));
    // Dropping a target from the list: render deletes its files.
    write_project(root, "targets: [compose]\n");
    let o = devgen(root, &["render"]);
    let out = stdout(&o);
    assert!(
        out.contains("delete    deploy/kubernetes/base/kustomization.yaml"),
        "{out}"
    );
    assert!(
        out.contains("delete    deploy/terraform/aws/dev.tfvars"),
        "{out}"
    );
    assert!(!root.join("deploy/kubernetes").exists());
    assert!(root.join("deploy/compose/dev.env").is_file());
}

#[test]
fn a_wrong_target_name_or_a_profile_setting_targets_is_an_error_at_its_line() {
    let d = stack("targets: [compose, kustomise]\n");
    let root = d.path();
    let o = devgen(root, &["render"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("unknown target `kustomise`"), "{e}");
    assert!(e.contains("config/common/project.yaml:5:20"), "{e}");
    assert!(e.contains("did you mean `kustomize`"), "{e}");
    write_project(root, "");
    std::fs::write(
        root.join("config/profiles/dev.yaml"),
        "targets: [compose]\n",
    )
    .unwrap();
    let o = devgen(root, &["render"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("config/profiles/dev.yaml:1:1"),
        "{}",
        stderr(&o)
    );
}
