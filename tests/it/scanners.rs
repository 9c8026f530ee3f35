//! The security scanner gate (#16): checkov 3.3.30 and trivy 0.76 (pinned in
//! the Makefile's PY_TOOLS, installed by `make venv`) run offline over what
//! devgen produces and over the hand-written Terraform, for the shipped
//! example and for every stack of the corpus under `tests/stacks/`.
//!
//! A finding fails the gate when
//!   * trivy rates it HIGH or CRITICAL, or
//!   * its check is on the must-pass list below (the checks #16 names:
//!     probes, allowPrivilegeEscalation, capabilities, seccomp, runAsNonRoot,
//!     image tags, requests/limits, service-account token automount,
//!     NetworkPolicy presence, AKS/GKE network policy, Key Vault purge
//!     protection, ECR immutability, public cluster API, HTTP listeners),
//!
//! unless it is a committed exception with a reason: a checkov skip comment
//! (`#checkov:skip=ID:reason`) or annotation (`checkov.io/skip1: ID=reason`),
//! or an entry of `.trivyignore.yaml` with a `statement`. Checkov reports no
//! severities offline (they come from its SaaS platform), so for checkov the
//! gate is the must-pass list; trivy's severities are built in.
//!
//! Neither scanner has rules for Docker Compose files; the Compose part of the
//! gate applies the must-pass list itself to what the real Compose binary
//! resolves (`config --format json`).
//!
//! Under `CI=true` a missing scanner fails; elsewhere the tests skip.
//! Runtime on a loaded 2-core machine: the Terraform gate ~45 s (checkov
//! ~30 s, trivy ~5 s), Compose ~7 s, Kustomize + Helm of the example ~35 s.

use crate::common;

use common::{compose_binary, devgen, example_copy, helm, kubectl, repo_root, stderr, venv_tool};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Checkov checks that must pass wherever they apply (see the module doc).
const CHECKOV_MUST_PASS: &[&str] = &[
    // Kubernetes / Helm
    "CKV_K8S_8",  // liveness probe
    "CKV_K8S_9",  // readiness probe
    "CKV_K8S_20", // allowPrivilegeEscalation
    "CKV_K8S_25", // added capabilities
    "CKV_K8S_28", // NET_RAW
    "CKV_K8S_37", // capabilities assigned (drop ALL)
    "CKV_K8S_39", // SYS_ADMIN
    "CKV_K8S_31", // seccomp RuntimeDefault
    "CKV_K8S_23", // root containers (runAsNonRoot)
    "CKV_K8S_14", // image tag fixed (not latest or blank)
    "CKV_K8S_10", // CPU requests
    "CKV_K8S_11", // CPU limits
    "CKV_K8S_12", // memory requests
    "CKV_K8S_13", // memory limits
    "CKV_K8S_38", // service-account token automount
    "CKV2_K8S_6", // a NetworkPolicy selects every pod
    // Terraform
    "CKV_AZURE_7",   // AKS network policy
    "CKV_GCP_12",    // GKE network policy (Dataplane V2)
    "CKV_AZURE_110", // Key Vault purge protection
    "CKV_AZURE_42",  // Key Vault recoverable
    "CKV_AZURE_109", // Key Vault firewall (network ACLs)
    "CKV_AZURE_189", // Key Vault public network access
    "CKV_AZURE_59",  // storage account public access
    "CKV2_AZURE_40", // storage account shared keys
    "CKV_AWS_51",    // ECR immutable tags
    "CKV_AWS_163",   // ECR scan on push
    "CKV_AZURE_6",   // AKS API server authorised ranges
    "CKV_AZURE_141", // AKS local admin
    "CKV_GCP_20",    // GKE master authorised networks
    "CKV_AWS_2",     // ALB listener protocol HTTPS
    "CKV2_AWS_20",   // ALB redirects HTTP to HTTPS
    "CKV_AWS_103",   // ALB TLS >= 1.2
    "CKV_AZURE_217", // Application Gateway HTTP listener
    "CKV_AZURE_218", // Application Gateway secure protocols
];

/// Trivy checks that must pass at any severity (HIGH/CRITICAL always do).
const TRIVY_MUST_PASS: &[&str] = &[
    // Kubernetes / Helm
    "KSV-0001", // allowPrivilegeEscalation
    "KSV-0003", // drop ALL capabilities
    "KSV-0011", // CPU limits
    "KSV-0012", // runAsNonRoot
    "KSV-0013", // image tag :latest
    "KSV-0015", // CPU requests
    "KSV-0016", // memory requests
    "KSV-0018", // memory limits
    "KSV-0030", // seccomp RuntimeDefault
    "KSV-0036", // service-account token mounted
    "KSV-0104", // seccomp disabled
    // Terraform
    "AZU-0043", // AKS network policy
    "GCP-0056", // GKE network policy
    "AZU-0016", // Key Vault purge protection
    "AZU-0013", // Key Vault network ACLs
    "AWS-0031", // ECR immutable tags
    "AWS-0030", // ECR scan on push
    "AZU-0041", // AKS authorised IP ranges
    "GCP-0061", // GKE master authorised networks
    "AWS-0054", // ALB plain HTTP
];

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    scanner: &'static str,
    id: String,
    severity: String,
    file: String,
    resource: String,
    title: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} [{}] {} {} — {}",
            self.scanner, self.id, self.severity, self.file, self.resource, self.title
        )
    }
}

/// The scanners, or None (skip) outside CI.
struct Scanners {
    checkov: PathBuf,
    trivy: PathBuf,
}

fn scanners() -> Option<Scanners> {
    Some(Scanners {
        checkov: venv_tool("checkov")?,
        trivy: venv_tool("trivy")?,
    })
}

/// Whether a finding breaks the gate.
fn is_blocking(f: &Finding) -> bool {
    match f.scanner {
        "trivy" => {
            matches!(f.severity.as_str(), "HIGH" | "CRITICAL")
                || TRIVY_MUST_PASS.contains(&f.id.as_str())
        }
        _ => CHECKOV_MUST_PASS.contains(&f.id.as_str()),
    }
}

/// `checkov -d dir --framework <framework>`: the failed checks. Panics when
/// checkov fails to run or cannot parse a file, and when a skip carries no
/// reason (an exception without a reason is not an exception).
fn checkov(bin: &Path, dir: &Path, framework: &str) -> Vec<Finding> {
    let out = Command::new(bin)
        .arg("-d")
        .arg(dir)
        .args([
            "--framework",
            framework,
            "--skip-download",
            "--quiet",
            "--compact",
        ])
        .args(["-o", "json"])
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        .env("LOG_LEVEL", "ERROR")
        .output()
        .expect("run checkov");
    let text = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON ({e}); exit {:?}\nstdout: {text}\nstderr: {}",
            out.status.code(),
            stderr(&out)
        )
    });
    let reports = match json {
        Value::Array(a) => a,
        other => vec![other],
    };
    let mut findings = Vec::new();
    let scanned: u64 = reports
        .iter()
        .map(|r| r["summary"]["resource_count"].as_u64().unwrap_or(0))
        .sum();
    assert!(scanned > 0, "checkov scanned nothing in {}", dir.display());
    for report in &reports {
        let summary = &report["summary"];
        assert_eq!(
            summary["parsing_errors"].as_u64().unwrap_or(0),
            0,
            "checkov could not parse some files in {}: {}",
            dir.display(),
            report["results"]["parsing_errors"]
        );
        for skipped in report["results"]["skipped_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let reason = skipped["suppress_comment"].as_str().unwrap_or("").trim();
            assert!(
                !reason.is_empty() && reason != "No comment provided",
                "checkov exception without a reason: {} in {} ({})",
                skipped["check_id"],
                skipped["file_path"],
                skipped["resource"]
            );
        }
        for failed in report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            findings.push(Finding {
                scanner: "checkov",
                id: failed["check_id"].as_str().unwrap_or("").to_string(),
                severity: failed["severity"].as_str().unwrap_or("-").to_string(),
                file: failed["file_path"].as_str().unwrap_or("").to_string(),
                resource: failed["resource"].as_str().unwrap_or("").to_string(),
                title: failed["check_name"].as_str().unwrap_or("").to_string(),
            });
        }
    }
    findings
}

/// `trivy config dir` offline with the committed `.trivyignore.yaml`.
fn trivy(bin: &Path, dir: &Path) -> Vec<Finding> {
    let cache = tempfile::tempdir().expect("trivy cache dir");
    let out = Command::new(bin)
        .args([
            "config",
            "--skip-check-update",
            "--quiet",
            "--format",
            "json",
        ])
        .arg("--cache-dir")
        .arg(cache.path())
        .arg("--ignorefile")
        .arg(repo_root().join(".trivyignore.yaml"))
        .arg(dir)
        .output()
        .expect("run trivy");
    assert!(
        out.status.success(),
        "trivy config {} failed: {}",
        dir.display(),
        stderr(&out)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("trivy JSON");
    let mut findings = Vec::new();
    for result in json["Results"].as_array().into_iter().flatten() {
        for m in result["Misconfigurations"].as_array().into_iter().flatten() {
            if m["Status"] != "FAIL" {
                continue;
            }
            let cause = &m["CauseMetadata"];
            findings.push(Finding {
                scanner: "trivy",
                id: m["ID"].as_str().unwrap_or("").to_string(),
                severity: m["Severity"].as_str().unwrap_or("").to_string(),
                file: result["Target"].as_str().unwrap_or("").to_string(),
                resource: format!(
                    "{}:{}",
                    cause["Resource"].as_str().unwrap_or(""),
                    cause["StartLine"].as_u64().unwrap_or(0)
                ),
                title: m["Title"].as_str().unwrap_or("").to_string(),
            });
        }
    }
    findings
}

/// Both scanners over `dir`; panics listing every blocking finding.
fn gate(s: &Scanners, dir: &Path, checkov_framework: &str, what: &str) {
    let mut all = checkov(&s.checkov, dir, checkov_framework);
    all.extend(trivy(&s.trivy, dir));
    let blocking: BTreeSet<String> = all
        .iter()
        .filter(|f| is_blocking(f))
        .map(|f| f.to_string())
        .collect();
    eprintln!(
        "{what}: {} findings, {} blocking",
        all.len(),
        blocking.len()
    );
    assert!(
        blocking.is_empty(),
        "{what}: {} blocking scanner findings (fix them, or add an exception with a reason):\n  {}",
        blocking.len(),
        blocking.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

/// A temp dir whose name checkov does not skip (it ignores hidden
/// directories, and tempfile's default names start with a dot).
fn scan_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("devgen-scan-")
        .tempdir()
        .expect("tempdir")
}

/// Every `.trivyignore.yaml` entry carries a reason (`statement`).
#[test]
fn every_trivy_exception_has_a_reason() {
    let text = std::fs::read_to_string(repo_root().join(".trivyignore.yaml"))
        .expect(".trivyignore.yaml is committed");
    let doc: Value = serde_yaml::from_str(&text).expect(".trivyignore.yaml is YAML");
    let mut n = 0;
    for (kind, entries) in doc.as_object().expect("a map of kinds") {
        for e in entries.as_array().expect("a list of entries") {
            n += 1;
            let reason = e["statement"].as_str().unwrap_or("").trim();
            assert!(
                reason.len() >= 10,
                ".trivyignore.yaml {kind} entry {} needs a `statement` saying why",
                e["id"]
            );
        }
    }
    eprintln!(".trivyignore.yaml: {n} exceptions");
}

/// The hand-written Terraform of every cloud passes the gate.
#[test]
fn terraform_passes_the_scanner_gate() {
    let Some(s) = scanners() else { return };
    // A copy without generated tfvars and local state, so both scanners see
    // the code as committed.
    let d = scan_dir();
    let src = repo_root().join("deploy/terraform");
    for e in walkdir::WalkDir::new(&src).into_iter().flatten() {
        let rel = e.path().strip_prefix(&src).unwrap();
        if rel.components().any(|c| c.as_os_str() == ".terraform") {
            continue;
        }
        let to = d.path().join("terraform").join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else if e.path().extension().is_some_and(|x| x == "tf") {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    gate(
        &s,
        &d.path().join("terraform"),
        "terraform",
        "deploy/terraform",
    );
}

// --- generated outputs of the example and the stacks corpus --------------------

/// The example project and every stack of `tests/stacks/` (a directory with a
/// `config/` inside), each as a fresh, rendered copy.
fn projects() -> Vec<(String, tempfile::TempDir)> {
    let mut out = vec![("example".to_string(), example_copy())];
    let stacks = repo_root().join("tests/stacks");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&stacks)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    for stack in names {
        let config = stack.join("config");
        if !config.is_dir() {
            continue;
        }
        let d = example_copy();
        std::fs::remove_dir_all(d.path().join("config")).unwrap();
        common::copy_dir(&config, &d.path().join("config"));
        let name = stack.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, d));
    }
    for (name, d) in &out {
        let o = devgen(d.path(), &["render"]);
        assert!(
            o.status.success(),
            "render of {name} failed: {}",
            stderr(&o)
        );
    }
    out
}

fn profiles(project: &Path) -> Vec<String> {
    let mut p: Vec<String> = std::fs::read_dir(project.join("config/profiles"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".yaml").map(str::to_string)
        })
        .collect();
    p.sort();
    p
}

/// Kustomize builds of every overlay and Helm renders of every profile ×
/// cloud, of every project, written as plain manifests into one directory.
fn kubernetes_manifests(out: &Path) -> Option<()> {
    let kubectl = kubectl()?;
    let helm = helm()?;
    for (name, d) in projects() {
        let root = d.path();
        for profile in profiles(root) {
            let overlay = root.join("deploy/kubernetes/overlays").join(&profile);
            if overlay.is_dir() {
                let o = Command::new(&kubectl)
                    .arg("kustomize")
                    .arg(&overlay)
                    .output()
                    .unwrap();
                assert!(
                    o.status.success(),
                    "kustomize {name}/{profile}: {}",
                    stderr(&o)
                );
                std::fs::write(
                    out.join(format!("kustomize-{name}-{profile}.yaml")),
                    &o.stdout,
                )
                .unwrap();
            }
            let chart = root.join("deploy/helm/gpu-dev-server");
            for cloud in ["aws", "azure", "gcp"] {
                let values = chart.join(&profile).join(format!("values-{cloud}.yaml"));
                if !values.is_file() {
                    continue;
                }
                let o = Command::new(&helm)
                    .args(["template", "release"])
                    .arg(&chart)
                    .arg("-f")
                    .arg(&values)
                    .output()
                    .unwrap();
                assert!(
                    o.status.success(),
                    "helm {name}/{profile}/{cloud}: {}",
                    stderr(&o)
                );
                std::fs::write(
                    out.join(format!("helm-{name}-{profile}-{cloud}.yaml")),
                    &o.stdout,
                )
                .unwrap();
            }
        }
    }
    Some(())
}

/// Kustomize overlays and Helm renders of the example and the stacks pass the
/// gate.
#[test]
fn kustomize_and_helm_pass_the_scanner_gate() {
    let Some(s) = scanners() else { return };
    let d = scan_dir();
    if kubernetes_manifests(d.path()).is_none() {
        return;
    }
    gate(
        &s,
        d.path(),
        "kubernetes",
        "Kustomize overlays + Helm renders",
    );
}

/// Compose: neither scanner has Compose rules, so the must-pass list is
/// applied to what the real Compose binary resolves for every profile of
/// every project: no privilege escalation, all capabilities dropped, a
/// healthcheck (for services with ports: a batch job or queue worker without
/// ports or `health` has nothing to probe).
#[test]
fn compose_passes_the_hardening_gate() {
    let Some(bin) = compose_binary() else { return };
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, d) in projects() {
        let root = d.path();
        for profile in profiles(root) {
            let o = Command::new(&bin)
                .current_dir(root)
                .arg("--env-file")
                .arg(format!("deploy/compose/{profile}.env"))
                .args([
                    "-f",
                    "deploy/compose/docker-compose.yml",
                    "config",
                    "--format",
                    "json",
                ])
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "compose config {name}/{profile}: {}",
                stderr(&o)
            );
            let cfg: Value = serde_json::from_slice(&o.stdout).unwrap();
            for (svc, s) in cfg["services"].as_object().into_iter().flatten() {
                let at = format!("{name}/{profile}/{svc}");
                checked += 1;
                let opts: Vec<&str> = s["security_opt"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                if !opts.iter().any(|o| o.starts_with("no-new-privileges")) {
                    problems.push(format!("{at}: no security_opt no-new-privileges"));
                }
                let drops: Vec<&str> = s["cap_drop"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                if !drops.contains(&"ALL") {
                    problems.push(format!("{at}: cap_drop does not include ALL"));
                }
                // A service without ports (a batch job, a queue worker) and
                // without `health` has nothing to probe: the one exception.
                let has_ports = s["ports"].as_array().is_some_and(|p| !p.is_empty())
                    || s["expose"].as_array().is_some_and(|p| !p.is_empty());
                if s["healthcheck"].is_null() && has_ports {
                    problems.push(format!("{at}: no healthcheck"));
                }
            }
        }
    }
    assert!(checked >= 6, "only {checked} Compose services checked");
    assert!(
        problems.is_empty(),
        "Compose hardening:\n  {}",
        problems.join("\n  ")
    );
}
