//! `make -n` of the Compose and Terraform targets prints the right commands.
use crate::common;

use std::process::Command;

fn make_n(args: &[&str]) -> Vec<String> {
    let o = Command::new("make")
        .arg("-n")
        .arg("-C")
        .arg(common::repo_root())
        .arg("--no-print-directory")
        .args(args)
        .args([
            "DEVGEN=devgen",
            "COMPOSE=docker compose",
            "TERRAFORM=terraform",
        ])
        .env_remove("PROFILE")
        .env_remove("ENV")
        .env_remove("MAKEFLAGS")
        .output()
        .expect("run make");
    assert!(
        o.status.success(),
        "make -n {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

const DC: &str = "docker compose --env-file deploy/compose";

#[test]
fn compose_targets_render_first_then_call_compose() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["compose-up"],
            &[
                "devgen render --profile dev --target compose",
                &format!("{DC}/dev.env -f deploy/compose/docker-compose.yml up -d"),
            ],
        ),
        (
            &["compose-up", "PROFILE=staging"],
            &[
                "devgen render --profile staging --target compose",
                &format!("{DC}/staging.env -f deploy/compose/docker-compose.yml up -d"),
            ],
        ),
        (
            &["compose-up-gpu", "PROFILE=prod"],
            &[
                "devgen render --profile prod --target compose",
                &format!(
                    "{DC}/prod.env -f deploy/compose/docker-compose.yml -f deploy/compose/docker-compose.gpu.yml up -d"
                ),
            ],
        ),
        (
            &["compose-down"],
            &[
                "devgen render --profile dev --target compose",
                &format!("{DC}/dev.env -f deploy/compose/docker-compose.yml down"),
            ],
        ),
        (
            &["compose-logs"],
            &[
                "devgen render --profile dev --target compose",
                &format!("{DC}/dev.env -f deploy/compose/docker-compose.yml logs -f"),
            ],
        ),
        (
            &["compose-config", "PROFILE=prod"],
            &[
                "devgen render --profile prod --target compose",
                &format!("{DC}/prod.env -f deploy/compose/docker-compose.yml config"),
            ],
        ),
        (&["render"], &["devgen render"]),
    ];
    for (args, want) in cases {
        assert_eq!(make_n(args), *want, "make -n {args:?}");
    }
}

#[test]
fn terraform_targets_use_the_profile_tfvars() {
    for cloud in ["aws", "azure", "gcp"] {
        let dir = format!("deploy/terraform/{cloud}");
        assert_eq!(
            make_n(&[&format!("tf-init-{cloud}")]),
            [format!("terraform -chdir={dir} init")]
        );
        for action in ["plan", "apply", "destroy"] {
            assert_eq!(
                make_n(&[&format!("tf-{action}-{cloud}"), "ENV=staging"]),
                [
                    format!("devgen render --profile staging --target tfvars --cloud {cloud}"),
                    format!("terraform -chdir={dir} {action} -var-file=staging.tfvars"),
                ]
            );
        }
        // ENV defaults to PROFILE, which defaults to dev.
        assert_eq!(
            make_n(&[&format!("tf-plan-{cloud}")])[1],
            format!("terraform -chdir={dir} plan -var-file=dev.tfvars")
        );
        assert_eq!(
            make_n(&[&format!("tf-plan-{cloud}"), "PROFILE=prod"])[1],
            format!("terraform -chdir={dir} plan -var-file=prod.tfvars")
        );
    }
    // Unknown clouds are no target.
    let o = Command::new("make")
        .args(["-n", "-C"])
        .arg(common::repo_root())
        .arg("tf-plan-nowhere")
        .output()
        .unwrap();
    assert!(!o.status.success());
}

#[test]
fn cloud_config_and_cloud_cost() {
    assert_eq!(
        make_n(&["cloud-config"]),
        ["devgen render --target kconfig"]
    );
    assert_eq!(
        make_n(&["cloud-config", "KDEVOPS=../kdevops"]),
        ["devgen kdevops ../kdevops"]
    );
    assert_eq!(
        make_n(&["cloud-config", "KDEVOPS=../kdevops", "KDEVOPS_PROFILE=prod"]),
        ["devgen kdevops ../kdevops --profile prod"]
    );
    assert_eq!(make_n(&["cloud-cost"]), ["devgen cost --format table"]);
    assert_eq!(
        make_n(&["cloud-cost", "FORMAT=json"]),
        ["devgen cost --format json"]
    );
}

#[test]
fn cloud_update_targets_refresh_the_catalogue() {
    assert_eq!(make_n(&["cloud-update"]), ["devgen catalogue update"]);
    assert_eq!(
        make_n(&["cloud-update", "FORCE=1"]),
        ["devgen catalogue update --force"]
    );
    for p in ["aws", "azure", "gcp", "lambdalabs"] {
        assert_eq!(
            make_n(&[&format!("cloud-update-{p}")]),
            [format!("devgen catalogue update --provider {p}")]
        );
    }
    assert_eq!(
        make_n(&["cloud-update-gcp", "FORCE=1"]),
        ["devgen catalogue update --provider gcp --force"]
    );
    let o = Command::new("make")
        .args(["-n", "-C"])
        .arg(common::repo_root())
        .arg("cloud-update-nowhere")
        .output()
        .unwrap();
    assert!(!o.status.success());
}

/// `make help` of the repository lists its own targets and those of the
/// shared scaffold/devgen.mk (which `devgen init` ships), each once.
#[test]
fn help_lists_repository_and_shared_targets_once() {
    let o = Command::new("make")
        .args(["--no-print-directory", "-C"])
        .arg(common::repo_root())
        .arg("help")
        .env_remove("MAKEFLAGS")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let help = String::from_utf8_lossy(&o.stdout);
    let names: Vec<&str> = help
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for target in [
        "test",
        "venv",
        "lint",
        "render",
        "check",
        "compose-up",
        "helm-template",
        "k8s-build",
        "cloud-config",
        "cloud-cost",
    ] {
        let n = names.iter().filter(|n| **n == target).count();
        assert_eq!(n, 1, "`{target}` listed {n} times:\n{help}");
    }
    // One source: the repository's Makefile defines none of the shared recipes.
    let own = std::fs::read_to_string(common::repo_root().join("Makefile")).unwrap();
    assert!(own.contains("scaffold/devgen.mk\n"), "{own}");
    for shared in [
        "compose-up:",
        "tf-plan-%:",
        "k8s-build:",
        "render:",
        "check:",
    ] {
        assert!(!own.contains(shared), "Makefile redefines {shared}");
    }
}
