//! Security of the data devgen handles (#14 items 2, 3, 4, 9, 10, 13), each
//! through the real binary: hostile catalogue rows (price API and cache file)
//! proven harmless with kconfiglib; secret values never printed and found in
//! every encoding; whole-request HTTP deadline and body cap against a local
//! trickling / endless server; template work, memory, output, recursion and
//! include limits; credentials in mirror URLs never shown or cached.
use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{devgen, example_copy, repo_root, stderr, stdout, venv_python};

// ---------------------------------------------------------------- helpers

/// devgen with `args` in `dir`, the environment cleaned and `env` added.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(common::devgen_bin());
    cmd.arg("-C")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("DEVGEN_OFFLINE", "1")
        .env_remove("DEVGEN_TIMINGS")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run devgen")
}

fn all_output(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// What a hostile server answers.
#[derive(Clone)]
enum Reply {
    /// 200 with this JSON body.
    Json(String),
    /// A status with a body.
    Status(u16, String),
    /// 200 announcing 10 MB, then one byte every 50 ms.
    Trickle,
    /// 200 without a length, then 16 KiB every 10 ms (fast enough for no
    /// read to wait, slow enough never to reach the old 512 MiB cap), forever.
    Endless,
}

/// A threaded HTTP/1.1 server on 127.0.0.1 answering every request with
/// `reply(path)`; it stops when dropped.
struct Server {
    base: String,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(reply: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let reply = Arc::new(reply);
        let s = stop.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            while !s.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(120) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (reply, s) = (reply.clone(), s.clone());
                        std::thread::spawn(move || serve(stream, &*reply, &s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Server { base, stop }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(mut stream: TcpStream, reply: &(dyn Fn(&str) -> Reply + Sync), stop: &AtomicBool) {
    let _ = stream.set_nonblocking(false);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    let started = Instant::now();
    let alive = || !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60);
    match reply(&path) {
        Reply::Json(body) | Reply::Status(200, body) => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        Reply::Status(code, body) => {
            let _ = write!(
                stream,
                "HTTP/1.1 {code} Error\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        Reply::Trickle => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n["
            );
            while alive() && stream.write_all(b" ").is_ok() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Reply::Endless => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n["
            );
            let chunk = vec![b' '; 16 * 1024];
            while alive() && stream.write_all(&chunk).is_ok() {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// `devgen catalogue update --provider lambdalabs` against `base`.
fn update_lambda(cache_home: &Path, base: &str, extra: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(common::devgen_bin());
    cmd.args(["catalogue", "update", "--provider", "lambdalabs", "--force"])
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", cache_home)
        .env("DEVGEN_LAMBDA_API_URL", base)
        .env("LAMBDA_API_KEY", "test-lambda-key")
        .env("DEVGEN_HTTP_BACKOFF_MS", "1")
        .env("DEVGEN_HTTP_RETRIES", "0")
        .env("DEVGEN_HTTP_TIMEOUT", "10")
        .env_remove("DEVGEN_OFFLINE")
        .env_remove("DEVGEN_HTTP_MAX_BYTES");
    for proxy in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(proxy);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().expect("run devgen")
}

fn lambda_fixture() -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures/prices/lambda/instance-types.json"))
        .unwrap()
}

fn lambda_cache(cache_home: &Path) -> PathBuf {
    cache_home.join("devgen/catalogue-lambdalabs.json")
}

// ---------------------------------------------------------------- item 2

/// The hostile strings: a newline with `config` at column 0, a `$(shell,…)`
/// macro that would create `marker`, quotes, a backslash and a `source`.
fn hostile(marker: &Path, what: &str) -> String {
    format!(
        "{what}\nconfig PWNED_{what}\n\tbool \"pwned\"\n\tdefault y\n$(shell,touch {})\n\"'\\\nsource \"/etc/passwd\"",
        marker.display()
    )
}

/// Loads every provider's Kconfig tree with kconfiglib and returns, per
/// provider, the defined symbols; plus whether `marker` exists afterwards.
const PROBE: &str = r#"
import json, os, sys
import kconfiglib
root, marker = sys.argv[1], sys.argv[2]
os.environ["srctree"] = root
out = {}
for p in ["aws", "azure", "gcp", "lambdalabs"]:
    k = kconfiglib.Kconfig("deploy/kconfig/%s/Kconfig" % p, warn_to_stderr=False)
    out[p] = [s.name for s in k.unique_defined_syms]
out["marker"] = os.path.exists(marker)
print(json.dumps(out))
"#;

/// Renders the kconfig target of `dir` with the cache of `cache_home` and
/// proves with kconfiglib that only devgen's own symbols are defined and
/// that nothing ran.
fn assert_kconfig_clean(dir: &Path, cache_home: &Path, marker: &Path) -> String {
    let o = run(
        dir,
        &[
            "render",
            "--target",
            "kconfig",
            "--set",
            "kconfig.providers=[aws, azure, gcp, lambdalabs]",
        ],
        &[
            ("DEVGEN_OFFLINE", "0"),
            ("XDG_CACHE_HOME", cache_home.to_str().unwrap()),
        ],
    );
    assert!(o.status.success(), "{}", all_output(&o));
    let Some(python) = venv_python() else {
        return all_output(&o);
    };
    let script = dir.join("probe.py");
    std::fs::write(&script, PROBE).unwrap();
    let p = Command::new(python)
        .arg(&script)
        .arg(dir)
        .arg(marker)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        p.status.success(),
        "kconfiglib: {}",
        String::from_utf8_lossy(&p.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&p.stdout).unwrap();
    assert_eq!(v["marker"], false, "a $(shell,…) in catalogue data ran");
    for prov in ["aws", "azure", "gcp", "lambdalabs"] {
        let prefix = format!("TERRAFORM_{}_", prov.to_uppercase());
        for name in v[prov].as_array().unwrap() {
            let name = name.as_str().unwrap();
            assert!(
                name.starts_with(&prefix) && !name.contains("PWNED"),
                "extra symbol {name} in the {prov} Kconfig"
            );
        }
    }
    assert!(!marker.exists());
    all_output(&o)
}

#[test]
fn hostile_rows_from_a_price_api_are_refused_and_kconfig_stays_clean() {
    let cache = tempfile::tempdir().unwrap();
    let marker = cache.path().join("pwned-by-api");
    // A good refresh first: the cache it writes must survive the bad one.
    let good = Server::start(|_| Reply::Json(lambda_fixture()));
    let o = update_lambda(cache.path(), &good.base, &[]);
    assert!(o.status.success(), "{}", all_output(&o));
    let before = std::fs::read(lambda_cache(cache.path())).unwrap();

    for field in ["name", "region"] {
        let text = lambda_fixture();
        let evil = serde_json::to_string(&hostile(&marker, "x")).unwrap();
        let text = match field {
            "name" => text.replacen("\"gpu_8x_h100_sxm5\"", &evil, 2),
            _ => text.replacen("\"us-east-1\"", &evil, 1),
        };
        let bad = Server::start(move |_| Reply::Json(text.clone()));
        let o = update_lambda(cache.path(), &bad.base, &[]);
        let out = all_output(&o);
        assert_eq!(o.status.code(), Some(1), "{field}: {out}");
        assert!(
            out.contains("lambdalabs") && out.contains("row"),
            "{field}: {out}"
        );
        assert!(!out.lines().any(|l| l.starts_with("config ")), "{out}");
        assert_eq!(
            std::fs::read(lambda_cache(cache.path())).unwrap(),
            before,
            "the previous cache must survive"
        );
    }
    let dir = example_copy();
    assert_kconfig_clean(dir.path(), cache.path(), &marker);
}

#[test]
fn a_hostile_cache_file_is_ignored_and_kconfig_stays_clean() {
    let cache = tempfile::tempdir().unwrap();
    let marker = cache.path().join("pwned-by-cache");
    let row = |it: &str, fam: &str, region: &str, gpu: Option<&str>, price: f64| {
        serde_json::json!({
            "provider": "aws", "instance_type": it, "family": fam, "vcpus": 8,
            "memory_gib": 32.0, "gpu_model": gpu, "gpu_count": gpu.map(|_| 1.0),
            "gpu_memory_gib": gpu.map(|_| 24.0), "region": region,
            "price_hourly_usd": price, "spot_price_hourly_usd": null
        })
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let file = serde_json::json!({
        "format": 1, "provider": "aws", "fetched_at": now, "source": "http://mirror",
        "requested_regions": null, "fetched_regions": ["us-east-1"],
        "regions": [{"provider": "aws", "code": "us-east-1",
                     "display_name": hostile(&marker, "DISPLAY"), "zones": [hostile(&marker, "ZONE")]}],
        "rows": [
            row(&hostile(&marker, "TYPE"), &hostile(&marker, "FAMILY"), "us-east-1", None, 0.001),
            row("g5.2xlarge", "g5", "us-east-1", Some("a10g"), 1.0),
            row("g6.2xlarge", "g6", "us-east-1", Some("l4"), 1.0),
            row("m5.large", "m5", &hostile(&marker, "REGION"), None, 0.5),
        ],
    });
    std::fs::create_dir_all(cache.path().join("devgen")).unwrap();
    std::fs::write(
        cache.path().join("devgen/catalogue-aws.json"),
        serde_json::to_vec(&file).unwrap(),
    )
    .unwrap();
    let dir = example_copy();
    let out = assert_kconfig_clean(dir.path(), cache.path(), &marker);
    assert!(
        out.contains("ignoring the catalogue cache") && out.contains("aws row 1"),
        "the refusal names the provider and the row: {out}"
    );
    assert!(!out.lines().any(|l| l.starts_with("config ")), "{out}");
}

// ---------------------------------------------------------------- items 3 and 4

/// A secret with every character the encodings treat specially.
const SECRET: &str = "sk-Live\"Q\\z$9'end";

/// SECRET as YAML single-quoted text.
fn yaml_single(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The forms SECRET takes in raw text, JSON, HCL, dotenv and YAML output.
fn encoded_forms(s: &str) -> Vec<String> {
    let json = serde_json::to_string(s).unwrap();
    let json = json[1..json.len() - 1].to_string();
    let hcl = s.replace('\\', "\\\\").replace('"', "\\\"");
    let dotenv = hcl.replace('$', "\\$");
    vec![s.to_string(), json, hcl, dotenv]
}

fn assert_no_secret(out: &str, what: &str) {
    for form in encoded_forms(SECRET) {
        assert!(
            !out.contains(&form),
            "{what} shows the secret as {form:?}:\n{out}"
        );
    }
    for part in ["sk-Live", "Q\\z"] {
        assert!(
            !out.contains(part),
            "{what} shows part of the secret:\n{out}"
        );
    }
}

fn secret_problem_files(json_out: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json_out).expect("check JSON");
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "secret")
        .filter_map(|p| p["file"].as_str().map(str::to_string))
        .collect()
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn check_never_prints_secrets_in_drift_diffs_and_reports_the_leak() {
    let dir = example_copy();
    let d = dir.path();
    let o = run(d, &["render"], &[]);
    assert!(o.status.success(), "{}", all_output(&o));
    std::fs::write(
        d.join("config/secrets.yaml"),
        format!("OPENAI_API_KEY: {}\n", yaml_single(SECRET)),
    )
    .unwrap();
    let forms = encoded_forms(SECRET);
    // Hand edits that paste the secret, each in its file's own escaping.
    append(
        &d.join("deploy/compose/dev.env"),
        &format!("LEAK=\"{}\"\n", forms[3]),
    );
    append(
        &d.join("deploy/terraform/aws/dev.tfvars"),
        &format!("leak = \"{}\"\n", forms[2]),
    );
    append(
        &d.join("deploy/kubernetes/overlays/dev/devai-configmap.yaml"),
        &format!("# {}\n", forms[0]),
    );
    let text = run(d, &["check"], &[]);
    assert_eq!(text.status.code(), Some(1));
    let out = all_output(&text);
    assert_no_secret(&out, "check");
    assert!(
        out.contains("has drifted") && out.contains("<redacted:OPENAI_API_KEY>"),
        "{out}"
    );
    let json = run(d, &["check", "--format", "json"], &[]);
    assert_eq!(json.status.code(), Some(1));
    assert_no_secret(&all_output(&json), "check --format json");
    let files = secret_problem_files(&stdout(&json));
    for f in [
        "deploy/compose/dev.env",
        "deploy/terraform/aws/dev.tfvars",
        "deploy/kubernetes/overlays/dev/devai-configmap.yaml",
    ] {
        assert!(
            files.iter().any(|x| x == f),
            "no secret problem for {f}: {files:?}"
        );
    }
}

#[test]
fn a_secret_pasted_into_config_never_shows_in_error_snippets() {
    let dir = example_copy();
    let d = dir.path();
    let project = d.join("config/common/project.yaml");
    let text = std::fs::read_to_string(&project).unwrap();
    // A schema error on the very line that holds the secret (from the
    // environment variable the config names in `secrets:`).
    let bad = text.replacen(
        "  name: devai-lab",
        &format!("  name: {}", yaml_single(SECRET)),
        1,
    );
    assert_ne!(bad, text);
    std::fs::write(&project, &bad).unwrap();
    let env = [("OPENAI_API_KEY", SECRET)];
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["render"],
        &["show", "--profile", "dev"],
    ] {
        let o = run(d, args, &env);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", all_output(&o));
        assert_no_secret(&all_output(&o), &format!("{args:?}"));
    }
    let o = run(d, &["check", "--format", "json"], &env);
    assert!(
        secret_problem_files(&stdout(&o)).contains(&"config/common/project.yaml".to_string()),
        "{}",
        stdout(&o)
    );
    // A YAML syntax error on the line of a secret from config/secrets.yaml.
    std::fs::write(&project, &text).unwrap();
    std::fs::write(
        d.join("config/secrets.yaml"),
        format!("ANTHROPIC_API_KEY: {}\n", yaml_single(SECRET)),
    )
    .unwrap();
    let env_file = d.join("config/common/env.yaml");
    append(&env_file, &format!("broken: [{} :\n", yaml_single(SECRET)));
    for args in [&["check"][..], &["render"]] {
        let o = run(d, args, &[]);
        assert!(!o.status.success());
        assert_no_secret(&all_output(&o), &format!("{args:?} (YAML error)"));
    }
}

#[test]
fn show_explain_diff_cost_and_dry_run_redact_secrets() {
    let dir = example_copy();
    let d = dir.path();
    let dev = d.join("config/profiles/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    let text = text.replacen(
        "      DEBUG: \"1\"\n",
        &format!(
            "      DEBUG: \"1\"\n      LEAKED: {}\n",
            yaml_single(SECRET)
        ),
        1,
    );
    assert!(text.contains("LEAKED"), "the example's dev profile changed");
    std::fs::write(&dev, text).unwrap();
    let env = [("OPENAI_API_KEY", SECRET)];
    let mut shown = String::new();
    for args in [
        &["show", "--profile", "dev"][..],
        &["show", "--profile", "dev", "--format", "json"],
        &["show", "--profile", "dev", "--provenance"],
        &["explain", "services.devai.env.LEAKED", "--profile", "dev"],
        &["diff", "dev", "prod"],
        &["cost"],
        &["render", "--dry-run"],
    ] {
        let o = run(d, args, &env);
        let out = all_output(&o);
        assert_no_secret(&out, &format!("{args:?}"));
        shown.push_str(&out);
    }
    assert!(shown.contains("<redacted:OPENAI_API_KEY>"), "{shown}");
}

#[test]
fn secret_scan_finds_numeric_and_escaped_secrets_in_every_target() {
    let dir = example_copy();
    let d = dir.path();
    std::fs::write(
        d.join("config/secrets.yaml"),
        format!(
            "OPENAI_API_KEY: {}\nANTHROPIC_API_KEY: 987654321012\n",
            yaml_single(SECRET)
        ),
    )
    .unwrap();
    // The config holds the secret YAML-escaped (double-quoted), never raw.
    let yaml_double = serde_json::to_string(SECRET).unwrap();
    append(&d.join("config/common/env.yaml"), "\n# leaked\n");
    let env_yaml = d.join("config/common/env.yaml");
    let text = std::fs::read_to_string(&env_yaml).unwrap();
    let text = text.replacen(
        "      OLLAMA_HOST: \"http://ollama:11434\"",
        &format!(
            "      OLLAMA_HOST: \"http://ollama:11434\"\n      LEAKED: {yaml_double}\n      NUMBER: \"987654321012\""
        ),
        1,
    );
    std::fs::write(&env_yaml, text).unwrap();
    assert!(!std::fs::read_to_string(&env_yaml).unwrap().contains(SECRET));
    let o = run(d, &["render"], &[]);
    assert!(o.status.success(), "{}", all_output(&o));
    let tfvars = std::fs::read_to_string(d.join("deploy/terraform/aws/dev.tfvars")).unwrap();
    assert!(!tfvars.contains(SECRET), "HCL escapes it");
    let o = run(d, &["check", "--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let found = |name: &str, file_part: &str| {
        v["problems"].as_array().unwrap().iter().any(|p| {
            p["kind"] == "secret"
                && p["message"].as_str().unwrap().contains(name)
                && p["file"].as_str().unwrap_or("").contains(file_part)
        })
    };
    for (name, part) in [
        ("OPENAI_API_KEY", "config/common/env.yaml"),
        ("OPENAI_API_KEY", "deploy/terraform/"),
        ("OPENAI_API_KEY", "deploy/compose/"),
        ("OPENAI_API_KEY", "deploy/kubernetes/"),
        ("ANTHROPIC_API_KEY", "config/common/env.yaml"),
        ("ANTHROPIC_API_KEY", "deploy/terraform/"),
        ("ANTHROPIC_API_KEY", "deploy/compose/"),
    ] {
        assert!(
            found(name, part),
            "{name} not found in {part}: {}",
            stdout(&o)
        );
    }
    assert_no_secret(&all_output(&o), "check --format json");
}

// ---------------------------------------------------------------- item 9

#[test]
fn a_trickling_server_hits_the_whole_request_deadline_and_the_cache_survives() {
    let cache = tempfile::tempdir().unwrap();
    let good = Server::start(|_| Reply::Json(lambda_fixture()));
    assert!(
        update_lambda(cache.path(), &good.base, &[])
            .status
            .success()
    );
    let before = std::fs::read(lambda_cache(cache.path())).unwrap();
    let slow = Server::start(|_| Reply::Trickle);
    let started = Instant::now();
    let o = update_lambda(cache.path(), &slow.base, &[("DEVGEN_HTTP_TIMEOUT", "2")]);
    let took = started.elapsed();
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(took < Duration::from_secs(20), "took {took:?}: {out}");
    assert!(out.contains("timed out"), "{out}");
    assert_eq!(std::fs::read(lambda_cache(cache.path())).unwrap(), before);
}

#[test]
fn an_endless_body_hits_the_size_cap_or_the_deadline() {
    let cache = tempfile::tempdir().unwrap();
    let endless = Server::start(|_| Reply::Endless);
    let started = Instant::now();
    let o = update_lambda(
        cache.path(),
        &endless.base,
        &[
            ("DEVGEN_HTTP_MAX_BYTES", "1000000"),
            ("DEVGEN_HTTP_TIMEOUT", "60"),
        ],
    );
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("larger than"), "{out}");
    assert!(started.elapsed() < Duration::from_secs(20), "{out}");
    let started = Instant::now();
    let o = update_lambda(cache.path(), &endless.base, &[("DEVGEN_HTTP_TIMEOUT", "2")]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(started.elapsed() < Duration::from_secs(20), "{out}");
    assert!(!lambda_cache(cache.path()).exists());
}

// ---------------------------------------------------------------- item 10

fn bomb(d: &Path, template: &str) -> Output {
    let t = d.join("templates/custom/bomb");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(
        t.join("target.yaml"),
        "description: hostile\neach: once\nfiles:\n  - template: t.j2\n    path: out/bomb.txt\n",
    )
    .unwrap();
    std::fs::write(t.join("t.j2"), template).unwrap();
    run(d, &["render", "--target", "bomb"], &[])
}

#[test]
fn hostile_templates_fail_cleanly_at_their_file() {
    let dir = example_copy();
    let d = dir.path();
    for (what, template, line) in [
        (
            "nested loops",
            "ok\n{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
            Some(2),
        ),
        (
            "memory bomb",
            "{% set ns = namespace(s='xxxxxxxx') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
            None,
        ),
        (
            "output bomb",
            "{% for i in range(2000) %}{{ 'x' * 100000 }}{% endfor %}",
            None,
        ),
        (
            "recursion",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            Some(1),
        ),
        (
            "include ..",
            "{% include '../../../config/common/project.yaml' %}",
            Some(1),
        ),
    ] {
        let started = Instant::now();
        let o = bomb(d, template);
        let out = all_output(&o);
        assert_eq!(o.status.code(), Some(1), "{what}: {out}");
        assert!(out.contains("templates/custom/bomb/t.j2"), "{what}: {out}");
        if let Some(l) = line {
            assert!(
                out.contains(&format!("templates/custom/bomb/t.j2:{l}:")),
                "{what}: {out}"
            );
        }
        assert!(
            !out.contains("panicked") && !out.contains("memory allocation"),
            "{what}: {out}"
        );
        assert!(!d.join("out").exists(), "{what}: nothing is written");
        assert!(started.elapsed() < Duration::from_secs(90), "{what}");
    }
    assert!(
        !all_output(&bomb(
            d,
            "{% include '../../../config/common/project.yaml' %}"
        ))
        .contains("devai-lab")
    );
}

#[cfg(unix)]
#[test]
fn templates_are_never_read_through_symbolic_links() {
    let dir = example_copy();
    let d = dir.path();
    let outside = tempfile::tempdir().unwrap();
    let secret_file = outside.path().join("outside.j2");
    std::fs::write(&secret_file, "OUTSIDE-CONTENT-4711\n").unwrap();
    // An include of a link inside templates/.
    let o = bomb(d, "{% include 'custom/bomb/inc.j2' %}");
    assert_eq!(o.status.code(), Some(1));
    std::os::unix::fs::symlink(&secret_file, d.join("templates/custom/bomb/inc.j2")).unwrap();
    let o = bomb(d, "{% include 'custom/bomb/inc.j2' %}");
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("symbolic link") && !out.contains("OUTSIDE-CONTENT"),
        "{out}"
    );
    assert!(!d.join("out").exists());
    // An override of a built-in template that is a link.
    std::fs::remove_dir_all(d.join("templates/custom/bomb")).unwrap();
    let over = d.join("templates/compose/profile.env.j2");
    std::fs::create_dir_all(over.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&over);
    std::os::unix::fs::symlink(&secret_file, &over).unwrap();
    let o = devgen(d, &["render", "--target", "compose"]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("symbolic link") && !out.contains("OUTSIDE-CONTENT"),
        "{out}"
    );
}

// ---------------------------------------------------------------- item 13

#[test]
fn credentials_in_mirror_urls_are_never_shown_nor_cached() {
    let cache = tempfile::tempdir().unwrap();
    let ok = Server::start(|_| Reply::Json(lambda_fixture()));
    let with_user = ok
        .base
        .replacen("http://", "http://mirror:Pa55-w0rd-XYZ@", 1);
    let o = update_lambda(cache.path(), &with_user, &[]);
    let out = all_output(&o);
    assert!(o.status.success(), "{out}");
    let cached = std::fs::read_to_string(lambda_cache(cache.path())).unwrap();
    for text in [&out, &cached] {
        assert!(!text.contains("Pa55-w0rd-XYZ"), "{text}");
    }
    let status = Command::new(common::devgen_bin())
        .args(["catalogue", "status"])
        .env("XDG_CACHE_HOME", cache.path())
        .env_remove("DEVGEN_OFFLINE")
        .output()
        .unwrap();
    assert!(!all_output(&status).contains("Pa55-w0rd-XYZ"));
    // Failures (with a retry: progress lines) name the URL without them.
    let failing = Server::start(|_| Reply::Status(503, "down".into()));
    let url = format!(
        "{}/api/retail/prices?token=T0KEN-abc123&api_key=K3Y-abc123",
        failing
            .base
            .replacen("http://", "http://mirror:Pa55-w0rd-XYZ@", 1)
    );
    let o = Command::new(common::devgen_bin())
        .args([
            "catalogue",
            "update",
            "--provider",
            "azure",
            "--region",
            "eastus",
            "--force",
        ])
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", cache.path())
        .env("DEVGEN_AZURE_PRICES_URL", &url)
        .env("DEVGEN_HTTP_BACKOFF_MS", "1")
        .env("DEVGEN_HTTP_RETRIES", "1")
        .env_remove("DEVGEN_OFFLINE")
        .output()
        .unwrap();
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("retrying") && out.contains("503"), "{out}");
    for s in ["Pa55-w0rd-XYZ", "T0KEN-abc123", "K3Y-abc123"] {
        assert!(!out.contains(s), "{s} shown: {out}");
    }
}

// ------------------------------------------- every output path is redacted

/// A secret pasted where an argument goes (`--set NAME value` instead of
/// `NAME=value`) is echoed by the command-line parser's error, and
/// `render --print` writes a planned file: both pass through the redaction
/// layer like every other output.
#[test]
fn secrets_in_refused_command_lines_and_printed_files_are_redacted() {
    let dir = example_copy();
    let d = dir.path();
    let secret = "sk-Pasted-Secret-0815";
    let env = [("OPENAI_API_KEY", secret)];
    // Parser errors: an unexpected argument, an invalid value.
    for args in [
        vec!["render", "--set", "OPENAI_API_KEY", secret],
        vec!["check", "--format", secret],
    ] {
        let o = run(d, &args, &env);
        let out = all_output(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}");
        assert!(
            !out.contains(secret) && out.contains("<redacted:OPENAI_API_KEY>"),
            "{args:?}: {out}"
        );
    }
    // `-C DIR` after the subcommand names the project whose secrets count.
    let o = Command::new(common::devgen_bin())
        .args(["render", "-C"])
        .arg(d)
        .arg(secret)
        .env("NO_COLOR", "1")
        .env("OPENAI_API_KEY", secret)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!all_output(&o).contains(secret), "{}", all_output(&o));
    // A config value that carries the secret, printed with `render --print`.
    let set = format!("services.devai.env.LEAK={secret}");
    let o = run(
        d,
        &[
            "render",
            "--set",
            &set,
            "--print",
            "deploy/compose/dev.devai.env",
        ],
        &env,
    );
    let out = all_output(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        !out.contains(secret) && out.contains("LEAK=\"<redacted:OPENAI_API_KEY>\""),
        "{out}"
    );
}
