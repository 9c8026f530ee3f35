//! Deterministic synthetic workload: N services × P profiles × 3 clouds.
//!
//! - every 5th service asks for GPUs (a100 × 1 or h100 × 8, offered on all three clouds);
//! - every 3rd has storage, every 4th autoscaling, each has 4 env vars and 2 labels;
//! - profiles `p00..`: every 3rd extends the previous one (chains of up to 3),
//!   each overrides replicas / memory of a few services, sets env, and adds a patch.
//!
//! Same (services, profiles) → same bytes, on any machine.
use std::fmt::Write as _;
use std::path::Path;

/// Write the project (config/ only) under `root`.
pub fn generate(root: &Path, services: usize, profiles: usize) -> std::io::Result<()> {
    let common = root.join("config/common");
    let prof = root.join("config/profiles");
    std::fs::create_dir_all(&common)?;
    std::fs::create_dir_all(&prof)?;
    std::fs::write(
        common.join("project.yaml"),
        "project:\n  name: synth\n  environment: base\nimage:\n  registry: registry.example.com/synth\n  name: app\n  tag: \"1.0\"\nsecrets: [API_TOKEN]\nnetwork:\n  enable_https: true\n  allowed_cidrs: [10.0.0.0/8]\ncloud: aws\nclouds:\n  aws:\n    region: us-east-1\n  azure:\n    region: eastus\n  gcp:\n    region: us-central1\n    project_id: synth-project\nenv:\n  TZ: UTC\nlabels:\n  app.kubernetes.io/part-of: synth\n",
    )?;
    std::fs::write(
        root.join("config/secrets.example.yaml"),
        "API_TOKEN: token for the synthetic API\n",
    )?;
    let mut s = String::from("services:\n");
    for i in 0..services {
        let _ = writeln!(s, "  svc-{i:04}:");
        let _ = writeln!(s, "    image:\n      name: svc-{i:04}");
        let port = if i % 4 == 0 { "http" } else { "api" };
        let _ = writeln!(s, "    ports:\n      {port}: {}", 8000 + (i % 1000));
        let _ = writeln!(s, "    env:");
        for k in 0..4 {
            let _ = writeln!(s, "      VAR_{k}: \"value-{i}-{k} with $dollar and #hash\"");
        }
        let _ = writeln!(
            s,
            "    labels:\n      tier: t{}\n      shard: s{}",
            i % 3,
            i % 7
        );
        let _ = writeln!(s, "    replicas: {}", 1 + i % 3);
        let _ = writeln!(
            s,
            "    resources:\n      cpu: \"{}\"\n      memory: {}Gi",
            1 + i % 4,
            2 + i % 6
        );
        if i % 3 == 0 {
            let _ = writeln!(s, "      storage: {}Gi", 10 + i % 50);
        }
        if i % 5 == 0 {
            let (model, count) = if i % 10 == 0 {
                ("a100", 1)
            } else {
                ("h100", 8)
            };
            let _ = writeln!(
                s,
                "      gpu:\n        model: {model}\n        count: {count}"
            );
        }
        if i % 4 == 1 {
            let _ = writeln!(
                s,
                "    autoscaling:\n      min: 1\n      max: {}\n      cpu_percent: 75",
                4 + i % 5
            );
        }
    }
    std::fs::write(common.join("services.yaml"), s)?;
    for p in 0..profiles {
        let mut s = String::new();
        if p % 3 != 0 {
            let _ = writeln!(s, "extends: p{:02}", p - 1);
        }
        let _ = writeln!(s, "project:\n  environment: p{p:02}");
        let cloud = ["aws", "azure", "gcp"][p % 3];
        let _ = writeln!(s, "cloud: {cloud}\nenv:\n  PROFILE: p{p:02}\nservices:");
        for i in (p % 7..services).step_by(7) {
            let _ = writeln!(
                s,
                "  svc-{i:04}:\n    replicas: {}\n    env:\n      TUNING: \"{p}-{i}\"",
                1 + (p + i) % 4
            );
            if i % 2 == 0 {
                let _ = writeln!(s, "    resources:\n      memory: {}Gi", 4 + (p + i) % 8);
            }
        }
        let _ = writeln!(
            s,
            "patches:\n  - op: add\n    path: /env/PATCHED\n    value: \"p{p:02}\""
        );
        std::fs::write(prof.join(format!("p{p:02}.yaml")), s)?;
    }
    Ok(())
}
