//! `devgen init DIR`: a minimal skeleton that renders and checks clean,
//! with nothing of the example stack.
use crate::common;

use std::path::Path;
use std::process::Command;

use common::{devgen, stderr, stdout};

fn init(args: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let mut a = vec!["init", "proj"];
    a.extend_from_slice(args);
    let o = devgen(d.path(), &a);
    assert_eq!(o.status.code(), Some(0), "init {args:?}: {}", stderr(&o));
    d
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn files_under(root: &Path) -> Vec<String> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(root).unwrap().display().to_string())
        .collect()
}

#[test]
fn skeleton_checks_clean_and_has_nothing_of_the_example() {
    let d = init(&[]);
    let root = d.path().join("proj");
    let o = devgen(&root, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    for rel in [
        "config/common/project.yaml",
        "config/profiles/dev.yaml",
        "config/profiles/staging.yaml",
        "config/profiles/prod.yaml",
        "config/secrets.example.yaml",
        ".gitignore",
        ".pre-commit-config.yaml",
        "Makefile",
        "schemas/config.schema.json",
        "deploy/compose/docker-compose.yml",
        "deploy/terraform/aws/main.tf",
        "deploy/terraform/aws/variables.tf",
    ] {
        assert!(root.join(rel).is_file(), "{rel} missing");
    }
    // The modelines point at the schema init wrote.
    let modeline = read(&root, "config/common/project.yaml");
    assert!(
        modeline.starts_with("# yaml-language-server: $schema=../../schemas/config.schema.json")
    );
    assert!(
        root.join("config/common/../../schemas/config.schema.json")
            .is_file()
    );
    // One small service; no trace of the example's stack in config or in
    // what devgen generated from it.
    let services = read(&root, "config/common/services.yaml");
    assert!(services.contains("\"web\":"), "{services}");
    for rel in files_under(&root) {
        if rel.starts_with("config/")
            || rel.starts_with("deploy/compose/")
            || rel.starts_with("deploy/kubernetes/")
            || rel.ends_with(".tfvars")
        {
            let text = read(&root, &rel).to_ascii_lowercase();
            for word in ["devai", "ollama", "jupyter", "anthropic", "openai"] {
                assert!(!text.contains(word), "{rel} mentions {word}");
            }
        }
    }
    // The Makefile has the repository's targets.
    let o = Command::new("make")
        .args([
            "-n",
            "--no-print-directory",
            "compose-up",
            "tf-plan-aws",
            "k8s-build",
            "cloud-config",
            "check",
            "render",
        ])
        .current_dir(&root)
        .env_remove("MAKEFLAGS")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let plan = String::from_utf8_lossy(&o.stdout);
    assert!(
        plan.contains("devgen render --profile dev --target compose"),
        "{plan}"
    );
    assert!(plan.contains("plan -var-file=dev.tfvars"), "{plan}");
}

#[test]
fn options_shape_the_skeleton() {
    let d = init(&[
        "--service",
        "api=ghcr.io/acme/api:1.4@8000",
        "--service",
        "cache=redis:7.4",
        "--gpu",
        "l4:2",
        "--target",
        "compose",
        "--target",
        "k8s",
        "--name",
        "acme",
    ]);
    let root = d.path().join("proj");
    let o = devgen(&root, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let services = read(&root, "config/common/services.yaml");
    assert!(
        services.contains("registry: \"ghcr.io\", name: \"acme/api\", tag: \"1.4\""),
        "{services}"
    );
    assert!(
        services.contains("gpu: {model: \"l4\", count: 2}"),
        "{services}"
    );
    assert!(read(&root, "config/common/project.yaml").contains("targets: [\"compose\", \"k8s\"]"));
    assert!(
        !root.join("deploy/terraform").exists(),
        "tfvars is not a target"
    );
    assert!(
        !root.join("deploy/kconfig").exists(),
        "kconfig is not a target"
    );
    assert!(
        root.join("deploy/kubernetes/base/api-deployment.yaml")
            .is_file()
    );
    assert!(read(&root, "deploy/compose/docker-compose.gpu.yml").contains("API_GPU_COUNT"));
}

#[test]
fn a_name_that_is_no_dns_label_is_refused_before_writing() {
    let d = tempfile::tempdir().unwrap();
    let o = devgen(d.path(), &["init", "proj", "--name", "Foo Bar"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--name `Foo Bar`"), "{}", stderr(&o));
    assert!(!d.path().join("proj").exists());
}

#[test]
fn a_config_the_flags_make_invalid_is_reported_and_nothing_is_written() {
    for args in [
        &["--service", "Bad_Name=nginx:1.27"][..],
        &["--gpu", "h1000"],
    ] {
        let d = tempfile::tempdir().unwrap();
        let mut a = vec!["init", "proj"];
        a.extend_from_slice(args);
        let o = devgen(d.path(), &a);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        // The error points into the config init would have written.
        assert!(
            stderr(&o).contains("--> config/common/services.yaml:"),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("nothing was written"), "{}", stderr(&o));
        assert!(!d.path().join("proj").exists(), "{args:?} wrote proj/");
    }
}

#[test]
fn init_refuses_a_directory_holding_its_files() {
    let d = init(&[]);
    let o = devgen(d.path(), &["init", "proj"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
}

/// Names only the shipped example stack uses (its services, project, image,
/// secrets, labels, chart and the tools it runs): a new project shows none.
const EXAMPLE_NAMES: &[&str] = &[
    "devai",
    "dev ai lab",
    "ollama",
    "jupyter",
    "jovyan",
    "notebook",
    "openai",
    "anthropic",
    "ml-platform",
    "gpu-dev-server",
];

/// `rel:line: name` for every example name in any file under `root`
/// (case-insensitive; "lab" as a whole word).
fn example_traces(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for rel in files_under(root) {
        let Ok(text) = std::fs::read_to_string(root.join(&rel)) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let lower = line.to_ascii_lowercase();
            let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).collect();
            for name in EXAMPLE_NAMES
                .iter()
                .copied()
                .filter(|w| lower.contains(w))
                .chain(words.contains(&"lab").then_some("lab"))
            {
                found.push(format!("{rel}:{}: {name}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn no_file_init_or_render_writes_names_the_example() {
    let cases: &[&[&str]] = &[
        &["--cloud", "aws", "--cloud", "azure", "--cloud", "gcp"],
        &[
            "--service",
            "api=ghcr.io/acme/api:1.4@8000",
            "--gpu",
            "l4",
            "--cloud",
            "gcp",
        ],
    ];
    for args in cases {
        let d = init(args);
        let root = d.path().join("proj");
        let o = devgen(&root, &["render"]);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let o = devgen(&root, &["check"]);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stdout(&o));
        assert!(root.join("deploy/terraform/aws/main.tf").is_file());
        assert!(root.join("deploy/kubernetes").is_dir());
        let traces = example_traces(&root);
        assert!(
            traces.is_empty(),
            "init {args:?} wrote {} traces of the example:\n{}",
            traces.len(),
            traces.join("\n")
        );
    }
}

/// The only chart under `deploy/helm/`.
fn chart_dir(root: &Path) -> std::path::PathBuf {
    let charts: Vec<_> = std::fs::read_dir(root.join("deploy/helm"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    assert_eq!(charts.len(), 1, "{charts:?}");
    charts[0].clone()
}

#[test]
fn skeleton_passes_terraform_validate_helm_template_and_kustomize() {
    let d = init(&["--gpu", "l4"]);
    let root = d.path().join("proj");
    if let Some(kubectl) = common::kubectl() {
        for profile in ["dev", "staging", "prod"] {
            let o = Command::new(&kubectl)
                .arg("kustomize")
                .arg(root.join("deploy/kubernetes/overlays").join(profile))
                .output()
                .unwrap();
            assert!(o.status.success(), "kustomize {profile}: {}", stderr(&o));
            assert!(stdout(&o).contains("name: web"), "{}", stdout(&o));
        }
    }
    if let Some(helm) = common::helm() {
        let chart = chart_dir(&root);
        assert!(read(&chart, "Chart.yaml").contains("name: proj\n"));
        for profile in ["dev", "staging", "prod"] {
            let values = chart.join(profile).join("values-aws.yaml");
            let o = Command::new(&helm)
                .args(["template", "proj"])
                .arg(&chart)
                .arg("-f")
                .arg(&values)
                .output()
                .unwrap();
            assert!(o.status.success(), "helm {profile}: {}", stderr(&o));
            assert!(
                stdout(&o).contains("kind: Deployment") || stdout(&o).contains("kind: StatefulSet")
            );
        }
        // `make helm-template` finds the project's chart.
        let o = Command::new("make")
            .args([
                "-n",
                "--no-print-directory",
                "helm-template",
                "PROFILE=prod",
            ])
            .current_dir(&root)
            .env_remove("MAKEFLAGS")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stdout(&o).contains(
                "template proj deploy/helm/proj -f deploy/helm/proj/prod/values-aws.yaml"
            ),
            "{}",
            stdout(&o)
        );
    }
    if let Some(tf) = crate::terraform::offline_terraform() {
        let dir = root.join("deploy/terraform/aws");
        tf.ok(&dir, &["init", "-backend=false", "-no-color"]);
        let out = tf.ok(&dir, &["validate", "-no-color"]);
        assert!(out.contains("The configuration is valid"), "{out}");
    }
}
