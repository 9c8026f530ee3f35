//! Target `compose`: the generated half of the Docker Compose deployment.
//!
//! The hand-written `deploy/compose/docker-compose.yml` (and
//! `docker-compose.gpu.yml`) name no value of the config; they interpolate
//! variables from the generated files:
//!
//! - `deploy/compose/<profile>.env` — passed with `--env-file`: `DEVGEN_PROFILE`,
//!   `COMPOSE_PROJECT_NAME`, and per service `<SVC>_IMAGE`, `<SVC>_PORT` (its first
//!   port), `<SVC>_PORT_<NAME>`,
//!   `<SVC>_CPUS`, `<SVC>_MEM_LIMIT`, `<SVC>_GPU_COUNT` (`all` without a GPU request),
//!   `<SVC>_REPLICAS` where `<SVC>` is the service name upper-cased with `-` → `_`.
//! - `deploy/compose/<profile>.<service>.env` — the service's whole container
//!   environment (global env overlaid by its own), loaded by
//!   `env_file: ./${DEVGEN_PROFILE}.<service>.env`, plus every secret as a
//!   pass-through `NAME=${NAME:-}` (the value comes from the shell; never written).
//!
//! So a new env var in config reaches the container without editing the Compose
//! file, and `docker compose config` shows each service's whole environment.
use std::path::PathBuf;

use serde::Serialize;

use super::{Engine, PlannedFile, RenderOptions, Target, gather, header, large, par_map};
use crate::diag::Diagnostic;
use crate::model::{Model, Service};
use crate::quantity;

/// Where the Compose files live, relative to the project root.
pub const COMPOSE_DIR: &str = "deploy/compose";
/// The hand-written Compose file the generated files feed.
pub const COMPOSE_FILE: &str = "deploy/compose/docker-compose.yml";

/// The `compose` target.
pub struct Compose;

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

/// `<profile>.<service>.env`.
#[derive(Serialize)]
struct ServiceEnv<'a> {
    header: &'a str,
    profile: &'a str,
    service: &'a str,
    env: Vec<Var>,
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
    let mut vars = vec![Var {
        name: format!("{p}_IMAGE"),
        value: s.image.reference.clone(),
    }];
    // `<SVC>_PORT`: the first port, whatever its name (what a one-port service
    // in the Compose file uses, so renaming the port does not break it).
    if let Some(port) = s.ports.values().next() {
        vars.push(Var {
            name: format!("{p}_PORT"),
            value: port.to_string(),
        });
    }
    for (name, port) in &s.ports {
        vars.push(Var {
            name: format!("{p}_PORT_{}", var_prefix(name)),
            value: port.to_string(),
        });
    }
    // Compose reads a missing (or 0) count as "every GPU of the host"; say so.
    let gpus = s
        .resources
        .gpu
        .as_ref()
        .map_or_else(|| "all".to_string(), |g| g.count.to_string());
    vars.extend([
        Var {
            name: format!("{p}_CPUS"),
            value: quantity::cpus_decimal(s.resources.cpu_millis),
        },
        Var {
            name: format!("{p}_MEM_LIMIT"),
            value: quantity::compose_mem(s.resources.memory_bytes),
        },
        Var {
            name: format!("{p}_GPU_COUNT"),
            value: gpus,
        },
        Var {
            name: format!("{p}_REPLICAS"),
            value: s.replicas.to_string(),
        },
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
                .map(|(k, v)| Var {
                    name: k.clone(),
                    value: v.clone(),
                })
                .collect(),
            secrets: secret_names
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

/// Services of the hand-written Compose file (None when it is missing or unreadable).
pub fn compose_file_services(root: &std::path::Path) -> Option<Vec<String>> {
    let text = crate::safe_fs::read_in_to_string(
        root,
        std::path::Path::new(COMPOSE_FILE),
        crate::safe_fs::MAX_READ_BYTES,
    )
    .ok()?;
    let v: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    let services = v.get("services")?.as_mapping()?;
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
