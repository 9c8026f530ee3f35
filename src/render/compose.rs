//! Target `compose`: the generated half of the Docker Compose deployment.
//!
//! - `deploy/compose/<profile>.services.yml` — every service of the profile as
//!   Compose runs it, from the config: image, `command` (the arguments) and
//!   `entrypoint`, ports (on 127.0.0.1), its env file, its storage as the named
//!   volume `<service>-data` at `mount_path`, the health check, cpus /
//!   mem_limit, GPU reservations for a GPU request, `user` (`run_as_user`;
//!   none with `run_as_root`), `no-new-privileges` and `cap_drop: [ALL]`
//!   (a `run_as_root` service keeps the five capabilities an entrypoint needs to
//!   drop to its own user). The hand-written `docker-compose.yml` pulls it in
//!   with `include: [{path: ./${DEVGEN_PROFILE}.services.yml}]`, so a new
//!   service, env var, secret or command in config reaches Compose without
//!   editing it; hand-written additions go in override files (`-f`). Every `$`
//!   of a config value is written `$$`: Compose passes it on literally.
//!
//! The hand-written `docker-compose.gpu.yml` and override files interpolate
//! variables from the other generated files:
//!
//! - `deploy/compose/<profile>.env` — passed with `--env-file`: `DEVGEN_PROFILE`,
//!   `COMPOSE_PROJECT_NAME`, and per service `<SVC>_IMAGE`, `<SVC>_PORT` (its first
//!   port), `<SVC>_PORT_<NAME>`,
//!   `<SVC>_CPUS`, `<SVC>_MEM_LIMIT`, `<SVC>_GPU_COUNT` (`all` without a GPU request),
//!   `<SVC>_REPLICAS` where `<SVC>` is the service name upper-cased with `-` → `_`.
//! - `deploy/compose/<profile>.<service>.env` — the service's whole container
//!   environment (global env overlaid by its own), loaded by its `env_file`,
//!   plus each secret the service lists (`services.<s>.secrets`, no other) as a
//!   pass-through `NAME=${NAME:-}` (the value comes from the shell; never written).
//!
//! So a new env var in config reaches the container without editing the Compose
//! file, and `docker compose config` shows each service's whole environment.
use std::path::PathBuf;

use minijinja::Value;

use crate::emit::node::Fields;
use serde::Serialize;

use super::{Engine, PlannedFile, RenderOptions, Target, gather, header, large, par_map};
use crate::diag::Diagnostic;
use crate::model::{Health, Model, Service};
use crate::quantity;

/// Where the Compose files live, relative to the project root.
pub const COMPOSE_DIR: &str = "deploy/compose";
/// The hand-written Compose file the generated files feed.
pub const COMPOSE_FILE: &str = "deploy/compose/docker-compose.yml";

/// The `compose` target.
pub struct Compose;

/// Capabilities a `run_as_root` service keeps (what an image's root entrypoint
/// needs to chown its data and drop to its own user, e.g. postgres' `gosu`).
pub const ROOT_CAPABILITIES: [&str; 5] = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"];

/// `<profile>.services.yml`.
#[derive(Serialize)]
struct ServicesFile<'a> {
    header: &'a str,
    profile: &'a str,
    services: Vec<ComposeService>,
    volumes: Vec<String>,
}

/// One service of `<profile>.services.yml`: its name and its Compose body.
#[derive(Serialize)]
struct ComposeService {
    name: String,
    body: Value,
}

/// The generated Compose fragment of a profile.
pub fn services_path(profile: &str) -> PathBuf {
    PathBuf::from(COMPOSE_DIR).join(format!("{profile}.services.yml"))
}

/// The named volume holding a service's storage.
pub fn volume_name(service: &str) -> String {
    format!("{service}-data")
}

/// A config string as Compose must read it to pass it on literally.
fn literal(s: &str) -> String {
    s.replace('$', "$$")
}

fn literal_list(v: &[String]) -> Value {
    Value::from_iter(v.iter().map(|s| literal(s)))
}

/// A template map of `pairs`, in their order (see [`Fields`]).
fn map<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    Fields::value(pairs)
}

/// The Compose `healthcheck.test` of a health check: an HTTP GET (curl, else
/// wget) or a TCP connect (nc, else bash's /dev/tcp), inside the container.
pub fn healthcheck_test(h: &Health) -> Vec<String> {
    let port = h.port;
    let probe = match &h.path {
        Some(path) => {
            let url = format!("http://127.0.0.1:{port}{}", literal(path));
            let q = shell_quote(&url);
            // Images without curl or wget (e.g. ollama) still have bash.
            let raw = shell_quote(&format!(
                "exec 3<>/dev/tcp/127.0.0.1/{port} && printf 'GET {} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' [23][0-9][0-9] '",
                literal(path).replace('%', "%%")
            ));
            format!(
                "if command -v curl >/dev/null 2>&1; then curl -fsS -o /dev/null {q}; \
                 elif command -v wget >/dev/null 2>&1; then wget -q -O /dev/null {q}; \
                 else bash -c {raw}; fi"
            )
        }
        None => format!(
            "if command -v nc >/dev/null 2>&1; then nc -z 127.0.0.1 {port}; \
             else bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'; fi"
        ),
    };
    vec!["CMD-SHELL".into(), probe]
}

/// `s` as one single-quoted POSIX shell word.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The Compose definition of one service, built as a template value (a
/// map in Compose's key order), not as JSON converted for the template.
fn compose_service(profile: &str, s: &Service) -> Value {
    let mut b: Vec<(&str, Value)> = vec![("image", Value::from(s.image.reference.as_str()))];
    if !s.entrypoint.is_empty() {
        b.push(("entrypoint", literal_list(&s.entrypoint)));
    }
    if !s.command.is_empty() {
        b.push(("command", literal_list(&s.command)));
    }
    if !s.ports.is_empty() {
        let ports = s.ports.values().map(|p| format!("127.0.0.1:{p}:{p}"));
        b.push(("ports", Value::from_iter(ports)));
    }
    let env_file = format!("./{profile}.{}.env", s.name);
    b.push((
        "env_file",
        Value::from(vec![map([("path", env_file.into())])]),
    ));
    if s.resources.storage.is_some() {
        let volume = map([
            ("type", "volume".into()),
            ("source", volume_name(&s.name).into()),
            ("target", literal(&s.mount_path).into()),
        ]);
        b.push(("volumes", Value::from(vec![volume])));
    }
    if let Some(h) = &s.health {
        let check = map([
            ("test", Value::from(healthcheck_test(h))),
            ("interval", "10s".into()),
            ("timeout", "5s".into()),
            ("retries", 5.into()),
            ("start_period", "30s".into()),
        ]);
        b.push(("healthcheck", check));
    }
    b.push((
        "cpus",
        quantity::cpus_decimal(s.resources.cpu_millis).into(),
    ));
    b.push((
        "mem_limit",
        quantity::compose_mem(s.resources.memory_bytes).into(),
    ));
    if let Some(g) = &s.resources.gpu {
        let device = map([
            ("driver", "nvidia".into()),
            ("count", g.count.into()),
            ("capabilities", Value::from(vec!["gpu"])),
        ]);
        let devices = map([("devices", Value::from(vec![device]))]);
        let resources = map([("reservations", devices)]);
        b.push(("deploy", map([("resources", resources)])));
    }
    if let Some(uid) = s.run_as_user {
        b.push(("user", uid.to_string().into()));
    }
    b.push(("security_opt", Value::from(vec!["no-new-privileges:true"])));
    b.push(("cap_drop", Value::from(vec!["ALL"])));
    if s.run_as_root {
        b.push(("cap_add", Value::from(ROOT_CAPABILITIES.to_vec())));
    }
    b.push(("restart", "unless-stopped".into()));
    map(b)
}

/// `<profile>.env`.
#[derive(Serialize)]
struct ProfileEnv<'a> {
    header: &'a str,
    profile: &'a str,
    compose_project_name: String,
    services: Vec<ServiceVars>,
}

/// One service's interpolation variables.
#[derive(Serialize)]
struct ServiceVars {
    name: String,
    vars: Vec<Var>,
}

#[derive(Serialize)]
struct Var {
    name: String,
    value: String,
}

/// A variable of a service's environment, borrowed from the model (2,400
/// env files of a large project: no copy of every name and value).
#[derive(Serialize)]
struct EnvVar<'a> {
    name: &'a str,
    value: &'a str,
}

/// `<profile>.<service>.env`.
#[derive(Serialize)]
struct ServiceEnv<'a> {
    header: &'a str,
    profile: &'a str,
    service: &'a str,
    env: Vec<EnvVar<'a>>,
    secrets: Vec<Passthrough>,
}

#[derive(Serialize)]
struct Passthrough {
    name: String,
    passthrough: String,
}

/// The variable prefix of a service: `ollama` → `OLLAMA`, `my-svc` → `MY_SVC`.
pub fn var_prefix(service: &str) -> String {
    service
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The file holding a service's container environment.
pub fn service_env_path(profile: &str, service: &str) -> PathBuf {
    PathBuf::from(COMPOSE_DIR).join(format!("{profile}.{service}.env"))
}

/// A Compose project name: lower-case letters, digits, `-` and `_`.
fn compose_project_name(project: &str, profile: &str) -> String {
    let raw = format!("{project}-{profile}").to_ascii_lowercase();
    let s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_start_matches(['-', '_']).to_string();
    if s.is_empty() { "devgen".into() } else { s }
}

fn service_vars(s: &Service) -> ServiceVars {
    let p = var_prefix(&s.name);
    // `<SVC>_<suffix>` (a render writes 8 of them per service: no `format!`).
    let var = |suffix: &str, value: String| {
        let mut name = String::with_capacity(p.len() + 1 + suffix.len());
        name.push_str(&p);
        name.push('_');
        name.push_str(suffix);
        Var { name, value }
    };
    let mut vars = vec![var("IMAGE", s.image.reference.clone())];
    // `<SVC>_PORT`: the first port, whatever its name (what a one-port service
    // in the Compose file uses, so renaming the port does not break it).
    if let Some(port) = s.ports.values().next() {
        vars.push(var("PORT", port.to_string()));
    }
    for (name, port) in &s.ports {
        vars.push(var(&format!("PORT_{}", var_prefix(name)), port.to_string()));
    }
    // Compose reads a missing (or 0) count as "every GPU of the host"; say so.
    let gpus = s
        .resources
        .gpu
        .as_ref()
        .map_or_else(|| "all".to_string(), |g| g.count.to_string());
    vars.extend([
        var("CPUS", quantity::cpus_decimal(s.resources.cpu_millis)),
        var("MEM_LIMIT", quantity::compose_mem(s.resources.memory_bytes)),
        var("GPU_COUNT", gpus),
        var("REPLICAS", s.replicas.to_string()),
    ]);
    ServiceVars {
        name: s.name.clone(),
        vars,
    }
}

impl Target for Compose {
    fn name(&self) -> &str {
        "compose"
    }

    fn warnings(&self, root: &std::path::Path, models: &[Model]) -> Vec<Diagnostic> {
        compose_file_warnings(root, models)
    }

    fn render(
        &self,
        engine: &Engine,
        models: &[Model],
        _opts: &RenderOptions,
    ) -> Result<Vec<PlannedFile>, Vec<Diagnostic>> {
        let rendered = par_map(models, large(models), |m| profile_files(engine, m));
        gather(
            rendered.into_iter().flatten().map(|r| r.map(Some)),
            Vec::new(),
        )
    }
}

/// Every file of one profile (each rendered or why not), in order.
fn profile_files(engine: &Engine, m: &Model) -> Vec<Result<PlannedFile, Diagnostic>> {
    let mut out = Vec::new();
    let regenerate = format!("devgen render --profile {} --target compose", m.profile);
    let head = header("#", &m.sources, &regenerate);
    let mut push = |path: PathBuf, result: Result<String, Diagnostic>| {
        out.push(result.map(|text| PlannedFile {
            path,
            bytes: text.into_bytes(),
            target: "compose".into(),
            profile: Some(m.profile.clone()),
            regenerate: regenerate.clone(),
        }))
    };
    let view = ProfileEnv {
        header: &head,
        profile: &m.profile,
        compose_project_name: compose_project_name(&m.project.name, &m.profile),
        services: m.services.values().map(service_vars).collect(),
    };
    push(
        PathBuf::from(COMPOSE_DIR).join(format!("{}.env", m.profile)),
        engine.render("compose/profile.env.j2", &view),
    );
    let services = ServicesFile {
        header: &head,
        profile: &m.profile,
        services: m
            .services
            .values()
            .map(|s| ComposeService {
                name: s.name.clone(),
                body: compose_service(&m.profile, s),
            })
            .collect(),
        volumes: m
            .services
            .values()
            .filter(|s| s.resources.storage.is_some())
            .map(|s| volume_name(&s.name))
            .collect(),
    };
    push(
        services_path(&m.profile),
        engine.render("compose/services.yml.j2", &services),
    );
    let secret_names: Vec<&str> = m.secrets.iter().map(|s| s.name.as_str()).collect();
    for s in m.services.values() {
        let view = ServiceEnv {
            header: &head,
            profile: &m.profile,
            service: &s.name,
            // A secret's name never carries a value from `env` (validation
            // rejects that too; this keeps a value out even if it did not).
            env: s
                .env
                .iter()
                .filter(|(k, _)| !secret_names.contains(&k.as_str()))
                .map(|(k, v)| EnvVar { name: k, value: v })
                .collect(),
            secrets: s
                .secrets
                .iter()
                .map(|n| Passthrough {
                    name: n.to_string(),
                    passthrough: format!("${{{n}:-}}"),
                })
                .collect(),
        };
        push(
            service_env_path(&m.profile, &s.name),
            engine.render("compose/service.env.j2", &view),
        );
    }
    out
}

/// Whether the hand-written Compose file includes the generated
/// `<profile>.services.yml` (then every config service runs, by construction).
pub fn includes_generated_services(root: &std::path::Path) -> bool {
    let Ok(text) = std::fs::read_to_string(root.join(COMPOSE_FILE)) else {
        return false;
    };
    // yaml-rust2 (not serde_yaml): a hand-written file, read once per render.
    let Ok(docs) = yaml_rust2::YamlLoader::load_from_str(&text) else {
        return false;
    };
    let Some(items) = docs.first().and_then(|d| d["include"].as_vec()) else {
        return false;
    };
    items.iter().any(|it| {
        let path = it.as_str().or_else(|| it["path"].as_str());
        path.is_some_and(|p| p.ends_with(".services.yml"))
    })
}

/// Services of the hand-written Compose file (None when it is missing or unreadable).
pub fn compose_file_services(root: &std::path::Path) -> Option<Vec<String>> {
    let text = crate::safe_fs::read_in_to_string(
        root,
        std::path::Path::new(COMPOSE_FILE),
        crate::safe_fs::MAX_READ_BYTES,
    )
    .ok()?;
    // yaml-rust2, as above: Compose's own tags (`!reset`, `!override`) are
    // read, not refused as devgen's config loader would.
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).ok()?;
    let services = docs.first()?["services"].as_hash()?;
    Some(
        services
            .keys()
            .filter_map(|k| k.as_str().map(String::from))
            .collect(),
    )
}

/// Warnings about services that the config and the hand-written Compose file
/// do not agree on (a config service Compose does not run, or a Compose
/// service whose variables the config does not provide).
pub fn compose_file_warnings(root: &std::path::Path, models: &[Model]) -> Vec<Diagnostic> {
    if includes_generated_services(root) {
        return Vec::new();
    }
    let Some(listed) = compose_file_services(root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut missing: Vec<(String, Vec<String>)> = Vec::new();
    for m in models {
        for name in m.services.keys() {
            if !listed.contains(name) {
                match missing.iter_mut().find(|(n, _)| n == name) {
                    Some((_, ps)) => ps.push(m.profile.clone()),
                    None => missing.push((name.clone(), vec![m.profile.clone()])),
                }
            }
        }
    }
    for (name, profiles) in missing {
        let p = var_prefix(&name);
        out.push(
            Diagnostic::warning(format!(
                "service `{name}` (profile {}) is not in {COMPOSE_FILE}: `docker compose` will not run it",
                profiles.join(", ")
            ))
            .with_path(format!("services.{name}"))
            .with_hint(format!(
                "add it by hand: image: ${{{p}_IMAGE}}, env_file: ./${{DEVGEN_PROFILE}}.{name}.env, \
                 ports: \"127.0.0.1:${{{p}_PORT}}:${{{p}_PORT}}\", cpus: ${{{p}_CPUS}}, \
                 mem_limit: ${{{p}_MEM_LIMIT}} (see deploy/compose/docker-compose.yml)"
            )),
        );
    }
    for name in &listed {
        let absent: Vec<String> = models
            .iter()
            .filter(|m| !m.services.contains_key(name))
            .map(|m| m.profile.clone())
            .collect();
        if !absent.is_empty() {
            out.push(
                Diagnostic::warning(format!(
                    "{COMPOSE_FILE} runs service `{name}`, which profile {} does not define: \
                     its variables will be unset",
                    absent.join(", ")
                ))
                .with_hint(format!(
                    "add `services.{name}` to the config or remove it from {COMPOSE_FILE}"
                )),
            );
        }
    }
    out
}
