//! `devgen init --from-compose FILE`: read a Docker Compose file with the
//! project's YAML loader (no Python, no Docker) and turn its services into
//! config: image, command/entrypoint, environment (literals → `env`,
//! `${VAR}` → a secret passed through from the shell, `${VAR:-x}` → `x`),
//! ports, a named volume → storage at its mount path, limits → cpu/memory,
//! NVIDIA device reservations → a GPU of the model given, health checks.
//! What cannot be carried (build:, bind mounts, networks, depends_on, …)
//! is a warning at the Compose file's line.
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::CmdError;
use super::skeleton::{Health, ImageRef, ServiceSpec};
use crate::diag::{Diagnostic, Sources};
use crate::load::LoadedFile;
use crate::path::ConfigPath;

/// Largest Compose file read.
const MAX_COMPOSE_BYTES: u64 = 4 << 20;

/// Size of the storage of an imported named volume (Compose has none).
pub const DEFAULT_STORAGE: &str = "10Gi";

/// What an import produced.
pub struct Imported {
    /// The services.
    pub services: Vec<ServiceSpec>,
    /// Secret names and descriptions.
    pub secrets: Vec<(String, String)>,
    /// What was not carried over, at the Compose file's lines.
    pub warnings: Vec<Diagnostic>,
    /// The Compose file's text, for the warnings' snippets.
    pub sources: Sources,
}

/// Import the services of the Compose file at `path`.
pub fn import(path: &Path, gpu_model: &str, rich_keys: bool) -> Result<Imported, CmdError> {
    let text = crate::safe_fs::read_to_string(path, MAX_COMPOSE_BYTES).map_err(|e| {
        CmdError::usage(Diagnostic::error(format!(
            "cannot read {}: {e}",
            path.display()
        )))
    })?;
    let name: Arc<str> = path.display().to_string().into();
    let file = crate::load::load_str(&text, name.clone()).map_err(|d| {
        let mut s = Sources::default();
        s.add(name.clone(), text.clone().into());
        CmdError::problems(vec![d], &s)
    })?;
    let mut sources = Sources::default();
    sources.add(name, text.into());
    let mut imp = Importer {
        file: &file,
        gpu_model,
        rich_keys,
        warnings: Vec::new(),
        secrets: Vec::new(),
    };
    let Some(services) = file.value.get("services").and_then(Value::as_object) else {
        return Err(CmdError::problems(
            vec![
                Diagnostic::error("no `services:` map in the Compose file")
                    .with_span(file.span_near(&ConfigPath::root())),
            ],
            &sources,
        ));
    };
    let mut out = Vec::new();
    for (name, svc) in services {
        out.push(imp.service(name, svc));
    }
    for key in ["networks", "configs", "secrets"] {
        if file.value.get(key).is_some() {
            imp.warn(
                &ConfigPath::root().key(key),
                format!("top-level `{key}:` is not carried over"),
                "devgen writes its own networking and secrets per target",
            );
        }
    }
    Ok(Imported {
        services: out,
        secrets: imp.secrets,
        warnings: imp.warnings,
        sources,
    })
}

struct Importer<'a> {
    file: &'a LoadedFile,
    gpu_model: &'a str,
    rich_keys: bool,
    warnings: Vec<Diagnostic>,
    secrets: Vec<(String, String)>,
}

/// Keys of a Compose service the import reads.
const HANDLED: &[&str] = &[
    "image",
    "command",
    "entrypoint",
    "environment",
    "ports",
    "expose",
    "volumes",
    "deploy",
    "healthcheck",
    "cpus",
    "mem_limit",
    "restart",
    "container_name",
];

impl Importer<'_> {
    fn warn(&mut self, at: &ConfigPath, msg: String, hint: &str) {
        let span = self
            .file
            .key_spans
            .get(at)
            .cloned()
            .or_else(|| self.file.span_near(at));
        self.warnings.push(
            Diagnostic::warning(msg)
                .with_span(span)
                .with_hint(hint.to_string()),
        );
    }

    fn service(&mut self, raw_name: &str, svc: &Value) -> ServiceSpec {
        let at = ConfigPath::root().key("services").key(raw_name);
        let name = raw_name.to_ascii_lowercase().replace(['_', '.'], "-");
        if name != raw_name {
            self.warn(
                &at,
                format!("service `{raw_name}` is imported as `{name}`"),
                "devgen service names are DNS labels (lowercase letters, digits, `-`)",
            );
        }
        let mut spec = ServiceSpec {
            name: name.clone(),
            ..ServiceSpec::default()
        };
        match svc.get("image").and_then(Value::as_str) {
            Some(i) => spec.image = ImageRef::parse(i),
            None => {
                spec.image = ImageRef {
                    name: name.clone(),
                    tag: "0.1.0".into(),
                    ..ImageRef::default()
                };
            }
        }
        if svc.get("build").is_some() {
            self.warn(
                &at.key("build"),
                format!("`build:` of `{raw_name}` is not carried over: devgen deploys images"),
                &format!(
                    "build and push the image yourself; the config names `{}`",
                    spec.image.name
                ),
            );
        }
        spec.command = self.words(svc.get("command"), &at.key("command"));
        spec.entrypoint = self.words(svc.get("entrypoint"), &at.key("entrypoint"));
        if !self.rich_keys && (!spec.command.is_empty() || !spec.entrypoint.is_empty()) {
            self.warn(
                &at,
                "this devgen has no `command`/`entrypoint` keys: not carried over".into(),
                "upgrade devgen",
            );
        }
        self.environment(svc.get("environment"), &at.key("environment"), &mut spec);
        self.ports(svc, &at, &mut spec);
        self.volumes(svc.get("volumes"), &at.key("volumes"), &mut spec);
        self.resources(svc, &at, &mut spec);
        self.health(svc.get("healthcheck"), &at.key("healthcheck"), &mut spec);
        if svc.get("depends_on").is_some() {
            self.warn(
                &at.key("depends_on"),
                format!("`depends_on` of `{raw_name}` is not carried over"),
                "services start independently on every target; add it in a Compose override file (-f) if you need it locally",
            );
        }
        if let Some(obj) = svc.as_object() {
            for k in obj.keys() {
                if !HANDLED.contains(&k.as_str()) && !["build", "depends_on"].contains(&k.as_str())
                {
                    self.warn(
                        &at.key(k),
                        format!("`{k}` of `{raw_name}` is not carried over"),
                        "devgen has no equivalent key; keep it in a Compose override file if you need it",
                    );
                }
            }
        }
        if spec.image.tag.is_empty() || spec.image.tag == "latest" {
            self.warn(
                &at.key("image"),
                format!("image of `{raw_name}` is not pinned to a tag"),
                "pin a version tag in config/common/services.yaml (`:latest` changes under you)",
            );
        }
        spec
    }

    /// A command/entrypoint: a list as is, a string split like a shell.
    fn words(&mut self, v: Option<&Value>, at: &ConfigPath) -> Vec<String> {
        match v {
            Some(Value::Array(a)) => a.iter().map(scalar).collect(),
            Some(Value::String(s)) => match shell_words(s) {
                Some(w) => w,
                None => {
                    self.warn(
                        at,
                        "unbalanced quotes: imported as one word".into(),
                        "write it as a list",
                    );
                    vec![s.clone()]
                }
            },
            _ => Vec::new(),
        }
    }

    fn environment(&mut self, v: Option<&Value>, at: &ConfigPath, spec: &mut ServiceSpec) {
        let pairs: Vec<(String, Option<String>, ConfigPath)> = match v {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    let val = if v.is_null() { None } else { Some(scalar(v)) };
                    (k.clone(), val, at.key(k))
                })
                .collect(),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let s = scalar(e);
                    match s.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string()), at.index(i)),
                        None => (s, None, at.index(i)),
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        for (key, value, path) in pairs {
            match value {
                // `KEY` alone: the shell's value.
                None => self.secret(&key, spec),
                Some(v) => match interpolation(&v) {
                    Interp::Literal(s) => {
                        spec.env.insert(key, s);
                    }
                    Interp::Var(var, None) => {
                        if var != key {
                            self.warn(
                                &path,
                                format!("`{key}` takes `${{{var}}}`: imported as the secret `{key}`"),
                                &format!("set `{key}` in the environment (or config/secrets.yaml) where you set `{var}`"),
                            );
                        }
                        self.secret(&key, spec);
                    }
                    Interp::Var(_, Some(default)) => {
                        spec.env.insert(key, default);
                    }
                    Interp::Mixed => {
                        self.warn(
                            &path,
                            format!("`{key}` interpolates variables inside a longer value: not carried over"),
                            "set the resolved value in config, or split the secret part into its own variable",
                        );
                    }
                },
            }
        }
    }

    fn secret(&mut self, key: &str, spec: &mut ServiceSpec) {
        if !self.secrets.iter().any(|(n, _)| n == key) {
            self.secrets.push((
                key.to_string(),
                format!("imported from the Compose file (service {})", spec.name),
            ));
        }
        spec.secrets.push(key.to_string());
    }

    fn ports(&mut self, svc: &Value, at: &ConfigPath, spec: &mut ServiceSpec) {
        let mut targets: Vec<u16> = Vec::new();
        if let Some(Value::Array(a)) = svc.get("ports") {
            for (i, p) in a.iter().enumerate() {
                let target = match p {
                    Value::Object(m) => m.get("target").map(scalar),
                    other => {
                        let s = scalar(other);
                        let s = s.split('/').next().unwrap_or("").to_string();
                        s.rsplit(':').next().map(str::to_string)
                    }
                };
                match target.and_then(|t| t.parse::<u16>().ok()) {
                    Some(t) => targets.push(t),
                    None => self.warn(
                        &at.key("ports").index(i),
                        "port range or unreadable port: not carried over".into(),
                        "list each port",
                    ),
                }
            }
        }
        if let Some(Value::Array(a)) = svc.get("expose") {
            targets.extend(a.iter().filter_map(|p| scalar(p).parse::<u16>().ok()));
        }
        let web = [
            80, 443, 3000, 5000, 8000, 8080, 8081, 8443, 8501, 8888, 9000,
        ];
        for t in targets {
            if spec.ports.values().any(|&v| v == t) {
                continue;
            }
            let name = if !spec.ports.contains_key("http") && web.contains(&t) {
                "http".to_string()
            } else {
                format!("port-{t}")
            };
            spec.ports.insert(name, t);
        }
    }

    fn volumes(&mut self, v: Option<&Value>, at: &ConfigPath, spec: &mut ServiceSpec) {
        let Some(Value::Array(a)) = v else {
            return;
        };
        for (i, vol) in a.iter().enumerate() {
            let (kind, target) = match vol {
                Value::Object(m) => (
                    m.get("type").map(scalar).unwrap_or_else(|| "volume".into()),
                    m.get("target").map(scalar),
                ),
                other => {
                    let s = scalar(other);
                    let parts: Vec<&str> = s.split(':').collect();
                    match parts.as_slice() {
                        [t] => ("anonymous".into(), Some(t.to_string())),
                        [src, t, ..] => {
                            let bind = src.starts_with('.')
                                || src.starts_with('/')
                                || src.starts_with('~')
                                || src.starts_with('$');
                            (
                                if bind { "bind" } else { "volume" }.to_string(),
                                Some(t.to_string()),
                            )
                        }
                        [] => ("bind".into(), None),
                    }
                }
            };
            let path = at.index(i);
            match (kind.as_str(), target) {
                ("volume" | "anonymous", Some(t)) if spec.storage.is_none() => {
                    spec.storage = Some((DEFAULT_STORAGE.to_string(), t));
                }
                ("volume" | "anonymous", _) => self.warn(
                    &path,
                    "a second volume of one service: not carried over (devgen gives a service one storage mount)".into(),
                    "mount one volume and use subdirectories of it",
                ),
                _ => self.warn(
                    &path,
                    format!("{kind} mount: not carried over (only named volumes become storage)"),
                    "bake the files into the image, or use a named volume",
                ),
            }
        }
    }

    fn resources(&mut self, svc: &Value, at: &ConfigPath, spec: &mut ServiceSpec) {
        let limits = svc.pointer("/deploy/resources/limits");
        let cpus = limits
            .and_then(|l| l.get("cpus"))
            .or_else(|| svc.get("cpus"));
        let mem = limits
            .and_then(|l| l.get("memory"))
            .or_else(|| svc.get("mem_limit"));
        if let Some(c) = cpus {
            spec.cpu = cpu_quantity(&scalar(c));
        }
        if let Some(m) = mem {
            spec.memory = memory_quantity(&scalar(m));
            if spec.memory.is_none() {
                self.warn(
                    &at.key("deploy"),
                    format!("memory `{}` not understood: not carried over", scalar(m)),
                    "write it like 512m or 4g",
                );
            }
        }
        if let Some(r) = svc.pointer("/deploy/replicas").and_then(Value::as_u64) {
            spec.replicas = Some(r as u32);
        }
        if let Some(Value::Array(devs)) = svc.pointer("/deploy/resources/reservations/devices") {
            for d in devs {
                let gpu = d
                    .get("capabilities")
                    .and_then(Value::as_array)
                    .is_some_and(|c| c.iter().any(|x| x == "gpu"));
                if !gpu {
                    continue;
                }
                let count = match d.get("count") {
                    Some(Value::Number(n)) => n.as_u64().unwrap_or(1) as u32,
                    Some(Value::String(s)) if s == "all" => {
                        self.warn(
                            &at.key("deploy"),
                            "GPU count `all`: imported as 1".into(),
                            "set resources.gpu.count",
                        );
                        1
                    }
                    Some(other) => scalar(other).parse().unwrap_or(1),
                    None => d
                        .get("device_ids")
                        .and_then(Value::as_array)
                        .map_or(1, |a| a.len() as u32),
                };
                spec.gpu = Some((self.gpu_model.to_string(), count.max(1)));
            }
        }
    }

    fn health(&mut self, v: Option<&Value>, at: &ConfigPath, spec: &mut ServiceSpec) {
        let Some(h) = v else {
            return;
        };
        let test = match h.get("test") {
            Some(Value::Array(a)) => a.iter().map(scalar).collect::<Vec<_>>().join(" "),
            Some(other) => scalar(other),
            None => String::new(),
        };
        if let Some(url) = test
            .split_whitespace()
            .find(|w| w.trim_matches(['\'', '"']).starts_with("http://"))
        {
            let url = url.trim_matches(['\'', '"']).trim_start_matches("http://");
            let (host_port, path) = match url.split_once('/') {
                Some((hp, p)) => (hp, format!("/{p}")),
                None => (url, "/".to_string()),
            };
            let port = host_port
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u16>().ok())
                .unwrap_or(80);
            spec.health = Some(Health::Http(path, port));
            if !spec.ports.values().any(|&p| p == port) {
                let name = if spec.ports.contains_key("http") {
                    format!("port-{port}")
                } else {
                    "http".into()
                };
                spec.ports.insert(name, port);
            }
        } else if !test.is_empty() && test != "NONE" {
            self.warn(
                at,
                "health check is not an HTTP URL: not carried over".into(),
                "set `health: {path: /x, port: <port>}` or `health: {tcp: <port>}` in config",
            );
        }
    }
}

/// A scalar as text.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

enum Interp {
    Literal(String),
    Var(String, Option<String>),
    Mixed,
}

/// How Compose would interpolate a value: `$$` is a literal `$`.
fn interpolation(v: &str) -> Interp {
    let whole = v
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .filter(|inner| !inner.contains(['$', '{', '}']));
    if let Some(inner) = whole {
        if let Some((name, default)) = inner.split_once(":-").or_else(|| inner.split_once('-')) {
            return Interp::Var(name.to_string(), Some(default.to_string()));
        }
        if let Some((name, _)) = inner.split_once(":?").or_else(|| inner.split_once('?')) {
            return Interp::Var(name.to_string(), None);
        }
        return Interp::Var(inner.to_string(), None);
    }
    if let Some(name) = v.strip_prefix('$')
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Interp::Var(name.to_string(), None);
    }
    let without = v.replace("$$", "");
    if without.contains('$') {
        return Interp::Mixed;
    }
    Interp::Literal(v.replace("$$", "$"))
}

/// Split a command string the way Compose does (shell-like words, quotes).
fn shell_words(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        x => cur.push(x),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => cur.push(chars.next()?),
                        x => cur.push(x),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.push(chars.next()?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Some(out)
}

/// Compose `cpus` (`0.5`, `2`) → a Kubernetes quantity.
fn cpu_quantity(s: &str) -> Option<String> {
    let f: f64 = s.trim().parse().ok()?;
    if f <= 0.0 {
        return None;
    }
    if f.fract() == 0.0 {
        Some(format!("{}", f as u64))
    } else {
        Some(format!("{}m", (f * 1000.0).round() as u64))
    }
}

/// Compose memory (`512m`, `4g`, `1.5G`, `268435456`) → a Kubernetes quantity.
fn memory_quantity(s: &str) -> Option<String> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.trim_end_matches('b');
    let (num, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let n: f64 = num.trim().parse().ok()?;
    let mib = match unit {
        "" => n / (1024.0 * 1024.0),
        "k" => n / 1024.0,
        "m" => n,
        "g" => n * 1024.0,
        "t" => n * 1024.0 * 1024.0,
        _ => return None,
    };
    if mib <= 0.0 {
        return None;
    }
    if mib >= 1024.0 && (mib / 1024.0).fract() == 0.0 {
        Some(format!("{}Gi", (mib / 1024.0) as u64))
    } else {
        Some(format!("{}Mi", mib.ceil() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_and_words() {
        assert_eq!(cpu_quantity("0.5").as_deref(), Some("500m"));
        assert_eq!(cpu_quantity("2").as_deref(), Some("2"));
        assert_eq!(memory_quantity("512m").as_deref(), Some("512Mi"));
        assert_eq!(memory_quantity("4G").as_deref(), Some("4Gi"));
        assert_eq!(memory_quantity("1.5g").as_deref(), Some("1536Mi"));
        assert_eq!(
            shell_words("serve --host 0.0.0.0 'a b' \"c\\\"d\"").unwrap(),
            vec!["serve", "--host", "0.0.0.0", "a b", "c\"d"]
        );
        assert!(
            matches!(interpolation("${A:-x}"), Interp::Var(a, Some(d)) if a == "A" && d == "x")
        );
        assert!(matches!(interpolation("${A}"), Interp::Var(a, None) if a == "A"));
        assert!(matches!(interpolation("pg://${U}@h"), Interp::Mixed));
        assert!(matches!(interpolation("a$$b"), Interp::Literal(s) if s == "a$b"));
    }
}
