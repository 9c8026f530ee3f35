//! The stacks corpus: realistic projects other than the shipped example, under
//! `tests/stacks/<name>/` (`config/` as a user writes it, and `expect.yaml`).
//! Each stack is rendered (`devgen render`, every target, with the `set:` flags
//! of its `expect.yaml`) into a scratch copy, then every target's output is
//! read back through the real tool and compared with what `expect.yaml` says
//! must land where.
//!
//! `expect.yaml` has one section per target; a section maps profile (and
//! cloud) to the *facts* that target's real output must show. Facts are a
//! subset match: a map names only the keys it cares about, a list or a scalar
//! must be equal (numbers compared as numbers), `null` means "absent".
//!
//! Adding a target: give `expect.yaml` a new section and add one `#[test]`
//! here that calls [`for_each_stack`] with the section name and a function
//! turning the rendered project into facts (see [`compose_facts`],
//! [`tfvars_facts`]). Nothing else changes.
use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{compose_binary, copy_dir, devgen, repo_root, stderr, stdout};
use serde_json::{Map, Value, json};

/// Value given to every declared secret when Compose resolves a stack, so the
/// facts show which secrets reach which service (never written to a file).
const SECRET_SENTINEL: &str = "sentinel-secret-value-";

/// One stack of the corpus.
pub struct Stack {
    /// Directory name.
    pub name: String,
    /// `tests/stacks/<name>`.
    pub dir: PathBuf,
    /// `expect.yaml`, as JSON.
    pub expect: Value,
}

/// Every stack of `tests/stacks/`, by name.
pub fn stacks() -> Vec<Stack> {
    let root = repo_root().join("tests/stacks");
    let mut out: Vec<Stack> = std::fs::read_dir(&root)
        .expect("tests/stacks")
        .flatten()
        .filter(|e| e.path().join("config").is_dir())
        .map(|e| {
            let text =
                std::fs::read_to_string(e.path().join("expect.yaml")).unwrap_or_else(|err| {
                    panic!(
                        "{}/expect.yaml (every stack states its Compose and tfvars facts): {err}",
                        e.path().display()
                    )
                });
            let expect: Value = serde_yaml::from_str(&text)
                .unwrap_or_else(|err| panic!("{}/expect.yaml: {err}", e.path().display()));
            Stack {
                name: e.file_name().to_string_lossy().into_owned(),
                dir: e.path(),
                expect,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// A scratch copy of the stack (its `config/`, plus the repo's hand-written
/// Compose file when the stack has none), rendered with every target and the
/// `set:` flags of `expect.yaml`. Render must succeed.
pub fn rendered(stack: &Stack) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy_dir(&stack.dir, d.path());
    let compose = d.path().join("deploy/compose/docker-compose.yml");
    if !compose.exists() {
        std::fs::create_dir_all(compose.parent().unwrap()).unwrap();
        std::fs::copy(
            repo_root().join("deploy/compose/docker-compose.yml"),
            &compose,
        )
        .unwrap();
    }
    let mut args = vec!["render".to_string()];
    for s in stack.expect["set"].as_array().into_iter().flatten() {
        args.extend(["--set".to_string(), s.as_str().unwrap().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = devgen(d.path(), &args);
    assert!(
        o.status.success(),
        "{}: render failed\n{}{}",
        stack.name,
        stdout(&o),
        stderr(&o)
    );
    d
}

/// For each stack with a `section` in its `expect.yaml`: render it, then for
/// each `key` of the section (a profile, or a cloud) compare `facts(stack,
/// dir, key)` with the section's value there. Panics listing every mismatch.
pub fn for_each_stack(section: &str, facts: impl Fn(&Stack, &Path, &str) -> Value) {
    let mut failures = Vec::new();
    let mut seen = 0;
    for stack in stacks() {
        let Some(Value::Object(want)) = stack.expect.get(section) else {
            continue;
        };
        seen += 1;
        let d = rendered(&stack);
        for (key, want) in want {
            let got = facts(&stack, d.path(), key);
            subset(
                want,
                &got,
                &format!("{}: {section}.{key}", stack.name),
                &mut failures,
            );
        }
    }
    assert!(
        seen >= 5,
        "only {seen} stacks have `{section}` expectations"
    );
    assert!(
        failures.is_empty(),
        "{} facts differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `want` ⊆ `got` (see the module doc); mismatches are pushed to `out`.
pub fn subset(want: &Value, got: &Value, at: &str, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let gv = g.get(k).unwrap_or(&Value::Null);
                subset(wv, gv, &format!("{at}.{k}"), out);
            }
        }
        (Value::Object(_), _) => out.push(format!("{at}: want a map {want}, got {got}")),
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (w, g) if w == g => {}
        (w, g) => out.push(format!("{at}: want {w}, got {g}")),
    }
}

/// The secret names the stack declares (top-level `secrets:` of its config).
fn declared_secrets(dir: &Path, profile: &str) -> Vec<String> {
    let project = devgen::project::Project::load(dir).expect("load stack");
    let sets = Vec::new();
    let m = devgen::pipeline::resolve(&project, profile, &sets)
        .map(|r| r.model)
        .unwrap_or_else(|_| panic!("resolve {profile}"));
    m.secrets.into_iter().map(|s| s.name).collect()
}

/// `docker compose config --format json` of `profile` (the real binary),
/// every declared secret set in the environment to a sentinel.
fn compose_config(dir: &Path, profile: &str) -> Option<Value> {
    let bin = compose_binary()?;
    let mut cmd = Command::new(bin);
    cmd.env_clear().current_dir(dir);
    for s in declared_secrets(dir, profile) {
        cmd.env(&s, format!("{SECRET_SENTINEL}{s}"));
    }
    cmd.args(["--env-file", &format!("deploy/compose/{profile}.env")])
        .args([
            "-f",
            "deploy/compose/docker-compose.yml",
            "config",
            "--format",
            "json",
        ]);
    let o = cmd.output().expect("run docker compose");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "compose config {profile}: {err}");
    assert!(
        !err.to_lowercase().contains("warn"),
        "compose warned ({profile}): {err}"
    );
    Some(serde_json::from_slice(&o.stdout).expect("compose JSON"))
}

/// Compose prints a literal `$` as `$$`.
fn unescape(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::from(s.replace("$$", "$")),
        Value::Array(a) => Value::Array(a.iter().map(unescape).collect()),
        other => other.clone(),
    }
}

/// What a Compose health check probes: `http://127.0.0.1:<port><path>` or
/// `tcp:<port>`.
fn probe_of(test: &Value) -> Value {
    let Some(cmd) = test.get(1).and_then(Value::as_str) else {
        return Value::Null;
    };
    if let Some(rest) = cmd.split("nc -z 127.0.0.1 ").nth(1) {
        let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return Value::from(format!("tcp:{port}"));
    }
    match cmd.split("'http://").nth(1) {
        Some(rest) => Value::from(format!("http://{}", rest.split('\'').next().unwrap())),
        None => Value::from(cmd),
    }
}

/// Facts of every service of `profile`, from the real Compose binary's
/// resolved config: image, entrypoint, command, published container ports,
/// non-secret env, the secrets that reach it, volume targets, GPU count,
/// health probe, user, hardening, cpus, mem_limit.
pub fn compose_facts(_stack: &Stack, dir: &Path, profile: &str) -> Value {
    let Some(cfg) = compose_config(dir, profile) else {
        return Value::Null;
    };
    let mut out = Map::new();
    for (name, s) in cfg["services"].as_object().unwrap() {
        let mut env = Map::new();
        let mut secrets = Vec::new();
        for (k, v) in s["environment"].as_object().into_iter().flatten() {
            let v = v.as_str().unwrap_or_default().replace("$$", "$");
            match v.strip_prefix(SECRET_SENTINEL) {
                Some(n) => {
                    assert_eq!(n, k, "{name}: secret {k} carries another's value");
                    secrets.push(k.clone());
                }
                None => {
                    env.insert(k.clone(), Value::from(v));
                }
            }
        }
        secrets.sort();
        let ports: Vec<Value> = s["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                assert_eq!(
                    p["host_ip"], "127.0.0.1",
                    "{name}: published beyond localhost"
                );
                p["target"].clone()
            })
            .collect();
        let volumes: Vec<Value> = s["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v["target"].clone())
            .collect();
        let devices = &s["deploy"]["resources"]["reservations"]["devices"];
        out.insert(
            name.clone(),
            json!({
                "image": s["image"],
                "entrypoint": unescape(&s["entrypoint"]),
                "command": unescape(&s["command"]),
                "ports": ports,
                "env": env,
                "secrets": secrets,
                "volumes": volumes,
                "gpus": devices.get(0).map_or(Value::Null, |d| d["count"].clone()),
                "health": probe_of(&s["healthcheck"]["test"]),
                "user": s["user"],
                "cap_drop": s["cap_drop"],
                "no_new_privileges": s["security_opt"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|o| o == "no-new-privileges:true")),
                "cpus": s["cpus"],
                "mem_limit": s["mem_limit"],
            }),
        );
    }
    // No secret value in any generated file of the stack.
    for e in walkdir::WalkDir::new(dir.join("deploy"))
        .into_iter()
        .flatten()
    {
        if e.file_type().is_file() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            assert!(
                !text.contains(SECRET_SENTINEL),
                "{} holds a secret",
                e.path().display()
            );
        }
    }
    Value::Object(out)
}

/// `deploy/terraform/<cloud>/<profile>.tfvars` of every profile, parsed
/// with a real HCL parser (hcl-rs), keyed by profile.
pub fn tfvars_facts(_stack: &Stack, dir: &Path, cloud: &str) -> Value {
    let cloud_dir = dir.join("deploy/terraform").join(cloud);
    let mut out = Map::new();
    for e in std::fs::read_dir(&cloud_dir)
        .into_iter()
        .flatten()
        .flatten()
    {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("tfvars") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let v: Value =
            hcl::from_str(&text).unwrap_or_else(|err| panic!("{}: not HCL: {err}", p.display()));
        let profile = p.file_stem().unwrap().to_string_lossy().into_owned();
        out.insert(profile, v);
    }
    Value::Object(out)
}

#[test]
fn corpus_has_five_stacks_with_expectations_for_every_target() {
    let all = stacks();
    assert!(all.len() >= 5, "only {} stacks", all.len());
    for s in &all {
        for section in ["compose", "tfvars"] {
            assert!(
                s.expect.get(section).is_some(),
                "{}: expect.yaml has no `{section}` section",
                s.name
            );
        }
    }
}

#[test]
fn compose_facts_land_where_each_stack_says() {
    if compose_binary().is_none() {
        return;
    }
    for_each_stack("compose", compose_facts);
}

#[test]
fn tfvars_facts_land_where_each_stack_says() {
    for_each_stack("tfvars", tfvars_facts);
}

#[test]
fn subset_matching_fails_on_any_difference() {
    let got = json!({"a": {"b": [1, 2], "c": "x", "n": 1.0}, "z": null});
    let mut f = Vec::new();
    subset(
        &json!({"a": {"b": [1, 2], "n": 1}, "z": null, "missing": null}),
        &got,
        "t",
        &mut f,
    );
    assert!(f.is_empty(), "{f:?}");
    for want in [
        json!({"a": {"b": [1]}}),
        json!({"a": {"c": "y"}}),
        json!({"a": {"missing": 1}}),
        json!({"z": {"k": 1}}),
        json!({"a": {"n": 2}}),
    ] {
        let mut f = Vec::new();
        subset(&want, &got, "t", &mut f);
        assert_eq!(f.len(), 1, "{want}: {f:?}");
    }
}
