//! Stage 3 — validate: JSON Schema (2020-12) plus the semantic checks a schema
//! cannot express. Every problem of a run is reported, each at its file:line.
use std::collections::BTreeSet;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::diag::{Diagnostic, did_you_mean};
use crate::merge::{Merged, Origin};
use crate::path::ConfigPath;
use crate::project::Project;
use crate::quantity;

pub use crate::schema::{SCHEMA_TEXT, schema};

/// The schema compiled into code at build time, for the common case: a valid
/// config needs no validator built at run time. Only `is_valid`: problems are
/// explained by [`validator`], built when the first invalid config is seen.
#[jsonschema::validator(
    path = "schemas/config.schema.json",
    draft = Draft202012,
    methods = { is_valid = true, validate = false, iter_errors = false }
)]
struct ConfigSchema;

/// The schema compiled at run time (checked against the 2020-12 meta-schema).
fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| jsonschema::draft202012::new(schema()).expect("embedded schema compiles"))
}

/// Validate a merged config; returns every problem (empty when valid).
pub fn validate(merged: &Merged, project: &Project) -> Vec<Diagnostic> {
    let mut v = Checker {
        merged,
        project,
        diags: Vec::new(),
    };
    // Semantic checks first: where both see a value, their message is the more precise.
    v.semantic(project);
    v.schema_errors();
    // One message per place: schema and semantic checks may both see a value.
    let mut seen = BTreeSet::new();
    v.diags
        .retain(|d| seen.insert((d.path.clone(), d.message.clone())));
    v.diags
}

struct Checker<'a> {
    merged: &'a Merged,
    project: &'a Project,
    diags: Vec<Diagnostic>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

fn schema_at<'s>(ptr: &str) -> Option<&'s Value> {
    schema().pointer(ptr)
}

impl Checker<'_> {
    fn at(&self, path: &ConfigPath, msg: impl Into<String>) -> Diagnostic {
        let d = Diagnostic::error(msg)
            .with_path(path.to_string())
            .with_span(self.span(path));
        self.note_command_line(path, d)
    }

    /// A value set by `--set` has no line: the note names the flag instead.
    fn note_command_line(&self, path: &ConfigPath, d: Diagnostic) -> Diagnostic {
        match self.merged.provenance.origin(path) {
            Some(o @ Origin::Set(_)) => d.with_note(format!("set on the command line: {o}")),
            _ => d,
        }
    }

    /// The span of `path`: where its value was set, refined to the exact item
    /// when the value is inside a list (lists are set whole, by one file).
    fn span(&self, path: &ConfigPath) -> Option<crate::diag::Span> {
        let base = self.merged.provenance.span(path)?;
        let exact = self
            .project
            .file(&base.file)
            .and_then(|f| f.spans.get(path).cloned());
        Some(exact.unwrap_or(base))
    }

    fn at_key(&self, path: &ConfigPath, msg: impl Into<String>) -> Diagnostic {
        let d = Diagnostic::error(msg)
            .with_path(path.to_string())
            .with_span(self.merged.provenance.key_span(path));
        self.note_command_line(path, d)
    }

    fn schema_errors(&mut self) {
        let value = &self.merged.value;
        if ConfigSchema::is_valid(value) {
            return;
        }
        let errors: Vec<_> = validator().iter_errors(value).collect();
        let reported: BTreeSet<Option<String>> =
            self.diags.iter().map(|d| d.path.clone()).collect();
        for e in errors {
            let path = ConfigPath::from_pointer(e.instance_path().as_str(), value);
            if reported.contains(&Some(path.to_string())) {
                continue;
            }
            let schema_path = e.schema_path().as_str().to_string();
            let parent_schema = schema_path
                .rsplit_once('/')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default();
            let d = match e.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    let allowed: Vec<String> = schema_at(&format!("{parent_schema}/properties"))
                        .and_then(Value::as_object)
                        .map(|m| {
                            m.keys()
                                .filter(|k| {
                                    !(path.0.is_empty() && (*k == "extends" || *k == "patches"))
                                })
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default();
                    for key in unexpected {
                        let kp = path.key(key);
                        let mut d = self.at_key(&kp, format!("unknown key `{key}`"));
                        d = match did_you_mean(key, allowed.iter().map(String::as_str)) {
                            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                            None => d.with_hint(format!("known keys here: {}", allowed.join(", "))),
                        };
                        self.diags.push(d);
                    }
                    continue;
                }
                ValidationErrorKind::Type { .. } => {
                    let want = schema_at(&parent_schema)
                        .and_then(|s| s.get("type"))
                        .map(|t| match t {
                            Value::String(s) => s.clone(),
                            Value::Array(a) => a
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(" or "),
                            _ => t.to_string(),
                        })
                        .unwrap_or_default()
                        .replace("object", "map")
                        .replace("array", "list");
                    let got = path.get(value).map_or("missing", type_name);
                    self.at(
                        &path,
                        format!("`{path}` must be {} {want}, not {got}", article(&want)),
                    )
                }
                ValidationErrorKind::Pattern { .. } => {
                    let got = path.get(value).map(render_scalar).unwrap_or_default();
                    let what = schema_at(&parent_schema)
                        .and_then(|s| s.get("description"))
                        .and_then(Value::as_str)
                        .unwrap_or("the expected format");
                    self.at(&path, format!("{got} is not valid for `{path}`: {what}"))
                }
                ValidationErrorKind::Enum { options } => {
                    let got = path.get(value).map(render_scalar).unwrap_or_default();
                    let opts: Vec<String> = options
                        .as_array()
                        .map(|a| a.iter().map(render_scalar).collect())
                        .unwrap_or_default();
                    let mut d = self.at(
                        &path,
                        format!(
                            "{got} is not allowed for `{path}`; expected one of {}",
                            opts.join(", ")
                        ),
                    );
                    let plain: Vec<String> = opts
                        .iter()
                        .map(|o| o.trim_matches('"').to_string())
                        .collect();
                    if let Some(s) =
                        did_you_mean(got.trim_matches('"'), plain.iter().map(String::as_str))
                    {
                        d = d.with_hint(format!("did you mean `{s}`?"));
                    }
                    d
                }
                ValidationErrorKind::Required { property } => {
                    let key = property.as_str().unwrap_or_default();
                    self.at_key(
                        &path,
                        format!(
                            "`{}` is missing required key `{key}`",
                            display_or_top(&path)
                        ),
                    )
                }
                _ => self.at(&path, format!("`{path}`: {e}")),
            };
            self.diags.push(d);
        }
    }

    fn semantic(&mut self, project: &Project) {
        let v = &self.merged.value;
        let root = ConfigPath::root();
        // project.name
        match v.pointer("/project/name") {
            None => self.diags.push(
                self.at_key(&root.key("project"), "missing `project.name`")
                    .with_hint("add `project: {name: my-app}` to a file of config/common/"),
            ),
            Some(Value::String(n)) if !is_dns_label(n) => {
                let p = root.key("project").key("name");
                self.diags.push(self.at(&p, format!("project name `{n}` is not a DNS-1123 label"))
                    .with_hint("use lowercase letters, digits and `-`, starting and ending with a letter or digit (at most 63)"));
            }
            _ => {}
        }
        // cloud must be a key of clouds
        if let Some(Value::String(c)) = v.get("cloud") {
            let clouds: Vec<String> = v
                .get("clouds")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            if !clouds.contains(c) && ["aws", "azure", "gcp"].contains(&c.as_str()) {
                self.diags.push(
                    self.at(
                        &root.key("cloud"),
                        format!("`cloud` is `{c}` but `clouds` has no `{c}` entry"),
                    )
                    .with_hint(format!(
                        "add `clouds: {{{c}: {{region: …}}}}` or pick one of: {}",
                        clouds.join(", ")
                    )),
                );
            }
        }
        self.check_env(v.get("env"), &|| ConfigPath::root().key("env"));
        self.check_labels(v.get("labels"), &|| ConfigPath::root().key("labels"));
        self.check_cidrs("allowed_cidrs");
        self.check_cidrs("api_authorized_cidrs");
        let secrets = self.check_secrets(project);
        let declared = self.declared_secrets(project);
        if let Some(Value::Object(services)) = v.get("services") {
            for (name, svc) in services {
                self.check_service(name, svc, &secrets);
                self.check_service_secrets(name, svc, &declared);
                self.check_health(name, svc);
                self.check_service_flags(name, svc);
            }
        }
        self.check_image_policy();
    }

    /// The secret names services may list: the top-level `secrets:`, else
    /// the names described in `config/secrets.example.yaml` (what the model
    /// uses then).
    fn declared_secrets(&self, project: &Project) -> Vec<String> {
        match self.merged.value.get("secrets") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            _ => project
                .secret_descriptions()
                .into_iter()
                .map(|(k, _)| k)
                .collect(),
        }
    }

    /// `services.<s>.secrets`: each name declared at the top level.
    fn check_service_secrets(&mut self, name: &str, svc: &Value, declared: &[String]) {
        let Some(Value::Array(items)) = svc.get("secrets") else {
            return;
        };
        let p = ConfigPath::root().key("services").key(name).key("secrets");
        for (i, it) in items.iter().enumerate() {
            let Some(s) = it.as_str() else { continue };
            if declared.iter().any(|d| d == s) {
                continue;
            }
            let mut d = self.at(
                &p.index(i),
                format!("service `{name}` lists secret `{s}`, which the top-level `secrets` does not declare"),
            );
            d = match did_you_mean(s, declared.iter().map(String::as_str)) {
                Some(m) => d.with_hint(format!("did you mean `{m}`? Otherwise add `{s}` to the top-level `secrets:` (and describe it in config/secrets.example.yaml)")),
                None => d.with_hint(format!("add `{s}` to the top-level `secrets:` (and describe it in config/secrets.example.yaml)")),
            };
            self.diags.push(d);
        }
    }

    /// `services.<s>.health`: HTTP (`path`, optional `port`) or TCP (`tcp`),
    /// each port a port name of the service or a number.
    fn check_health(&mut self, name: &str, svc: &Value) {
        let Some(h @ Value::Object(hm)) = svc.get("health") else {
            return;
        };
        let hp = ConfigPath::root().key("services").key(name).key("health");
        let ports: indexmap::IndexMap<String, u16> = match svc.get("ports") {
            Some(Value::Object(m)) => m
                .iter()
                .filter_map(|(k, p)| {
                    Some((
                        k.clone(),
                        u16::try_from(crate::quantity::whole_number(p)?).ok()?,
                    ))
                })
                .collect(),
            _ => indexmap::IndexMap::new(),
        };
        let (has_path, has_tcp) = (hm.contains_key("path"), hm.contains_key("tcp"));
        if has_path == has_tcp {
            let msg = if has_path {
                format!("`health` of service `{name}` has both `path` (HTTP) and `tcp`")
            } else {
                format!(
                    "`health` of service `{name}` needs `path` (an HTTP check) or `tcp` (a TCP check)"
                )
            };
            self.diags.push(
                self.at_key(&hp, msg)
                    .with_hint("write `health: {path: /healthz, port: http}` or `health: {tcp: <port name or number>}`"),
            );
            return;
        }
        if has_tcp && hm.contains_key("port") {
            self.diags.push(
                self.at_key(
                    &hp.key("port"),
                    "`port` belongs to an HTTP check; a TCP check names its port in `tcp`",
                )
                .with_hint("write `health: {tcp: <port name or number>}`"),
            );
        }
        let key = if has_tcp { "tcp" } else { "port" };
        match h.get(key) {
            Some(port) if crate::quantity::resolve_port(&ports, port).is_none() => {
                let mut d = self.at(
                    &hp.key(key),
                    format!(
                        "health check port {} is not a port of service `{name}`",
                        render_scalar(port)
                    ),
                );
                let names: Vec<&str> = ports.keys().map(String::as_str).collect();
                d = match port.as_str().and_then(|s| did_you_mean(s, names.iter().copied())) {
                    Some(m) => d.with_hint(format!("did you mean `{m}`?")),
                    None if names.is_empty() => d.with_hint("give the service `ports:` first"),
                    None => d.with_hint(format!("name one of its ports ({}) or a port number 1-65535", names.join(", "))),
                };
                self.diags.push(d);
            }
            None if ports.is_empty() => self.diags.push(
                self.at_key(&hp, format!("the HTTP health check of service `{name}` has no port: the service has no `ports`"))
                    .with_hint("add `port: <number>` or give the service `ports:`"),
            ),
            _ => {}
        }
    }

    /// `run_as_user`/`run_as_root`, `public`, `storage_shared`.
    fn check_service_flags(&mut self, name: &str, svc: &Value) {
        let sp = || ConfigPath::root().key("services").key(name);
        let root = svc.get("run_as_root").and_then(Value::as_bool) == Some(true);
        if root && svc.get("run_as_user").is_some() {
            self.diags.push(
                self.at(
                    &sp().key("run_as_user"),
                    format!("service `{name}` sets both `run_as_user` and `run_as_root: true`"),
                )
                .with_hint("keep one: `run_as_user: <uid>` (non-root) or `run_as_root: true`"),
            );
        }
        let no_ports = svc
            .get("ports")
            .and_then(Value::as_object)
            .is_none_or(|m| m.is_empty());
        if svc.get("public").and_then(Value::as_bool) == Some(true) && no_ports {
            self.diags.push(
                self.at(
                    &sp().key("public"),
                    format!("service `{name}` is public but has no `ports` to expose"),
                )
                .with_hint("add `ports: {http: <number>}` or remove `public: true`"),
            );
        }
        let has_storage = svc
            .get("resources")
            .and_then(|r| r.get("storage"))
            .is_some();
        if svc.get("storage_shared").and_then(Value::as_bool) == Some(true) && !has_storage {
            self.diags.push(
                self.at(
                    &sp().key("storage_shared"),
                    format!(
                        "service `{name}` sets `storage_shared` but has no `resources.storage`"
                    ),
                )
                .with_hint("add `resources: {storage: 10Gi}` or remove `storage_shared`"),
            );
        }
    }

    /// `:latest` (or tagless) images are refused unless
    /// `image_policy.allow_latest` is true; one error per place that set the tag.
    fn check_image_policy(&mut self) {
        let v = &self.merged.value;
        if v.pointer("/image_policy/allow_latest")
            .and_then(Value::as_bool)
            == Some(true)
        {
            return;
        }
        let root = ConfigPath::root();
        let global_tag = v.pointer("/image/tag").and_then(Value::as_str);
        // Place of the tag → (tag, services using it).
        let mut places: Vec<(ConfigPath, String, Vec<String>)> = Vec::new();
        let mut note = |p: ConfigPath, tag: &str, who: Option<&str>| match places
            .iter_mut()
            .find(|(q, _, _)| *q == p)
        {
            Some((_, _, ws)) => ws.extend(who.map(String::from)),
            None => places.push((
                p,
                tag.to_string(),
                who.map(String::from).into_iter().collect(),
            )),
        };
        let services = v.get("services").and_then(Value::as_object);
        for (name, svc) in services.into_iter().flatten() {
            // `get` twice, not `pointer` (which allocates per token): once per service.
            let own = svc
                .get("image")
                .and_then(|i| i.get("tag"))
                .and_then(Value::as_str);
            let (p, tag) = match (own, global_tag) {
                (Some(t), _) => (root.key("services").key(name).key("image").key("tag"), t),
                (None, Some(t)) => (root.key("image").key("tag"), t),
                (None, None) => (root.key("services").key(name), "latest"),
            };
            if tag == "latest" {
                note(p, tag, Some(name));
            }
        }
        // No services: the top-level image is what Terraform deploys, if the
        // config names one.
        if services.is_none_or(|m| m.is_empty()) && v.get("image").is_some() {
            match global_tag {
                Some("latest") => note(root.key("image").key("tag"), "latest", None),
                Some(_) => {}
                None => note(root.key("image"), "latest", None),
            }
        }
        for (p, _, who) in places {
            let whose = match who.len() {
                0 => "the image".to_string(),
                1 => format!("the image of service `{}`", who[0]),
                _ => format!(
                    "the images of services {}",
                    who.iter()
                        .map(|w| format!("`{w}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let tagged = p.last_key() == Some("tag");
            let (uses, has) = if who.len() > 1 {
                ("use", "have")
            } else {
                ("uses", "has")
            };
            let msg = if tagged {
                format!("{whose} {uses} the `latest` tag, which this profile does not allow")
            } else {
                format!("{whose} {has} no tag (so `latest`), which this profile does not allow")
            };
            let d = if tagged {
                self.at(&p, msg)
            } else {
                self.at_key(&p, msg)
            };
            self.diags.push(d.with_hint(
                "pin a version (e.g. `tag: \"1.4.0\"`), or set `image_policy: {allow_latest: true}` in a profile that may run moving images (e.g. dev)",
            ));
        }
    }

    /// `env` is the value at `path()` (paths are built only to report).
    fn check_env(&mut self, env: Option<&Value>, path: &dyn Fn() -> ConfigPath) {
        let Some(Value::Object(env)) = env else {
            return;
        };
        for k in env.keys() {
            if !is_env_name(k) {
                let p = path().key(k);
                self.diags.push(
                    self.at_key(
                        &p,
                        format!("`{k}` is not a valid environment variable name"),
                    )
                    .with_hint("use letters, digits and `_`, not starting with a digit"),
                );
            }
        }
    }

    /// `labels` is the value at `path()` (paths are built only to report).
    fn check_labels(&mut self, labels: Option<&Value>, path: &dyn Fn() -> ConfigPath) {
        let Some(Value::Object(labels)) = labels else {
            return;
        };
        for (k, val) in labels {
            if let Err(why) = label_key_ok(k) {
                let p = path().key(k);
                self.diags
                    .push(self.at_key(&p, format!("label key `{k}` is invalid: {why}")));
            }
            if let Some(s) = val.as_str()
                && let Err(why) = label_value_ok(s)
            {
                let p = path().key(k);
                self.diags
                    .push(self.at(&p, format!("label value `{s}` is invalid: {why}")));
            }
        }
    }

    fn check_cidrs(&mut self, key: &str) {
        let p = ConfigPath::root().key("network").key(key);
        let Some(Value::Array(items)) = p.get(&self.merged.value) else {
            return;
        };
        for (i, it) in items.iter().enumerate() {
            if let Some(s) = it.as_str()
                && !is_cidr(s)
            {
                self.diags.push(
                    self.at(&p.index(i), format!("`{s}` is not a CIDR block"))
                        .with_hint(
                            "write an address and prefix length, e.g. 10.0.0.0/8 or 0.0.0.0/0",
                        ),
                );
            }
        }
    }

    /// Checks `secrets:` and returns the secret names.
    fn check_secrets(&mut self, project: &Project) -> Vec<String> {
        let p = ConfigPath::root().key("secrets");
        let names: Vec<String> = match p.get(&self.merged.value) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            _ => return Vec::new(),
        };
        let described: Vec<String> = project
            .secret_descriptions()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for (i, n) in names.iter().enumerate() {
            if !is_env_name(n) {
                self.diags.push(self.at(
                    &p.index(i),
                    format!("secret name `{n}` is not a valid environment variable name"),
                ));
            } else if project.secrets_example.is_some() && !described.contains(n) {
                let mut d = self.at(
                    &p.index(i),
                    format!("secret `{n}` is not described in config/secrets.example.yaml"),
                );
                d = match did_you_mean(n, described.iter().map(String::as_str)) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`? Otherwise add `{n}: <description>` to config/secrets.example.yaml")),
                    None => d.with_hint(format!("add `{n}: <description>` to config/secrets.example.yaml")),
                };
                self.diags.push(d);
            }
        }
        let global_env = ConfigPath::root().key("env");
        for n in &names {
            if let Some(Value::Object(env)) = global_env.get(&self.merged.value)
                && env.contains_key(n)
            {
                self.diags.push(self.at_key(&global_env.key(n), format!("`{n}` is both a secret and a plain env variable"))
                    .with_hint("remove it from `env`: secret values come from the environment or config/secrets.yaml"));
            }
        }
        names
    }

    fn check_service(&mut self, name: &str, svc: &Value, secrets: &[String]) {
        // Paths are built only to report a problem.
        let sp = || ConfigPath::root().key("services").key(name);
        if !is_dns_label(name) {
            self.diags.push(self.at_key(&sp(), format!("service name `{name}` is not a DNS-1123 label"))
                .with_hint("use lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit (at most 63)"));
        }
        let env = svc.get("env");
        self.check_env(env, &|| sp().key("env"));
        if let Some(Value::Object(e)) = env {
            for s in secrets {
                if e.contains_key(s) {
                    self.diags.push(self.at_key(&sp().key("env").key(s), format!("`{s}` is both a secret and a plain env variable of service `{name}`"))
                        .with_hint("remove it from `env`: secret values come from the environment or config/secrets.yaml"));
                }
            }
        }
        self.check_labels(svc.get("labels"), &|| sp().key("labels"));
        if let Some(Value::Object(ports)) = svc.get("ports") {
            // Port number → the last port name that used it.
            let mut by_number: Vec<(i64, &str)> = Vec::new();
            for (pname, port) in ports {
                let pp = || sp().key("ports").key(pname);
                if !is_port_name(pname) {
                    self.diags.push(self.at_key(&pp(), format!("port name `{pname}` is not a valid Kubernetes port name"))
                        .with_hint("at most 15 lowercase letters, digits and `-`, with at least one letter"));
                }
                let Some(n) = crate::quantity::whole_number(port) else {
                    continue;
                };
                let other = match by_number.iter_mut().find(|(m, _)| *m == n) {
                    Some((_, last)) => Some(std::mem::replace(last, pname)),
                    None => {
                        by_number.push((n, pname));
                        None
                    }
                };
                if let Some(other) = other {
                    self.diags.push(self.at(
                        &pp(),
                        format!(
                            "port {n} is used twice in service `{name}` (`{other}` and `{pname}`)"
                        ),
                    ));
                }
            }
        }
        let res = || sp().key("resources");
        if let Some(r) = svc.get("resources") {
            if let Some(cpu) = r.get("cpu")
                && let Err(e) = quantity::parse_cpu(cpu)
            {
                self.diags.push(self.at(&res().key("cpu"), e));
            }
            if let Some(q) = r.get("memory")
                && let Err(e) = quantity::parse_bytes(q)
            {
                self.diags.push(self.at(&res().key("memory"), e));
            }
            if let Some(q) = r.get("storage")
                && let Err(e) = quantity::parse_storage(q)
            {
                self.diags.push(self.at(&res().key("storage"), e));
            }
            if let Some(Value::Object(pins)) = r.get("instance") {
                let clouds = self.merged.value.get("clouds").and_then(Value::as_object);
                for c in pins.keys() {
                    if c != "lambdalabs" && clouds.is_some_and(|m| !m.contains_key(c)) {
                        self.diags.push(Diagnostic::warning(format!("service `{name}` pins an instance for `{c}`, which is not in `clouds`"))
                            .with_path(res().key("instance").key(c).to_string())
                            .with_span(self.merged.provenance.span(&res().key("instance").key(c))));
                    }
                }
            }
        }
        if let Some(a) = svc.get("autoscaling")
            && let (Some(min), Some(max)) = (
                a.get("min").and_then(crate::quantity::whole_number),
                a.get("max").and_then(crate::quantity::whole_number),
            )
            && min > max
        {
            self.diags.push(self.at(
                &sp().key("autoscaling").key("max"),
                format!("autoscaling max ({max}) is below min ({min})"),
            ));
        }
    }
}

fn article(s: &str) -> &'static str {
    if s.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn display_or_top(p: &ConfigPath) -> String {
    if p.0.is_empty() {
        "the config".to_string()
    } else {
        p.to_string()
    }
}

/// A value as a message quotes it: strings JSON-quoted, so a newline or a
/// control character shows as its escape and cannot break the message.
fn render_scalar(v: &Value) -> String {
    v.to_string()
}

/// DNS-1123 label: lowercase alphanumerics and `-`, alphanumeric at both ends, ≤ 63.
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// A POSIX-style environment variable name.
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && s.bytes().any(|c| c.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn label_name_ok(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 63 {
        return Err("the name part must be 1–63 characters".into());
    }
    let b = s.as_bytes();
    if !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return Err("must start and end with a letter or digit".into());
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        return Err("only letters, digits, `-`, `_` and `.` are allowed".into());
    }
    Ok(())
}

/// A Kubernetes label key: optional DNS-subdomain prefix and `/`, then a name.
pub fn label_key_ok(k: &str) -> Result<(), String> {
    match k.split_once('/') {
        Some((prefix, name)) => {
            let ok_prefix =
                !prefix.is_empty() && prefix.len() <= 253 && prefix.split('.').all(is_dns_label);
            if !ok_prefix {
                return Err(format!("prefix `{prefix}` is not a DNS subdomain"));
            }
            label_name_ok(name)
        }
        None => label_name_ok(k),
    }
}

/// A Kubernetes label value: empty, or 1–63 of `[A-Za-z0-9_.-]`, alphanumeric at both ends.
pub fn label_value_ok(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    label_name_ok(v).map_err(|e| e.replace("the name part", "a value"))
}

fn is_cidr(s: &str) -> bool {
    let Some((addr, len)) = s.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_dns_label("devai"));
        assert!(is_dns_label("a-1"));
        assert!(!is_dns_label("Dev"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(is_env_name("OLLAMA_HOST"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name("A-B"));
        assert!(label_key_ok("app.kubernetes.io/part-of").is_ok());
        assert!(label_key_ok("team").is_ok());
        assert!(label_key_ok("bad key").is_err());
        assert!(label_key_ok("/x").is_err());
        assert!(label_value_ok("ml-platform").is_ok());
        assert!(label_value_ok("-x").is_err());
        assert!(is_cidr("0.0.0.0/0"));
        assert!(is_cidr("::/0"));
        assert!(!is_cidr("10.0.0.0/33"));
        assert!(!is_cidr("10.0.0.0"));
    }

    #[test]
    fn schema_is_valid_against_the_meta_schema() {
        if let Err(e) = jsonschema::meta::validate(schema()) {
            panic!("schemas/config.schema.json is not a valid 2020-12 schema: {e}");
        }
    }

    /// Every node of `v` as a JSON Pointer (containers and list items too).
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    pointers(
                        c,
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    pointers(c, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    fn agree(v: &Value, what: &str) -> bool {
        let built = ConfigSchema::is_valid(v);
        assert_eq!(
            built,
            validator().is_valid(v),
            "build-time and run-time schema disagree on {what}: {v}"
        );
        built
    }

    #[test]
    fn build_time_schema_agrees_with_run_time_schema() {
        use serde_json::json;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let bad = [
            json!(null),
            json!(true),
            json!(-1),
            json!(0),
            json!(1),
            json!(1.5),
            json!(70000),
            json!(""),
            json!("x"),
            json!("Bad Value!"),
            json!("10Gi"),
            json!("500m"),
            json!("fs-0abc"),
            json!("/data"),
            json!("a".repeat(300)),
            json!([]),
            json!(["x", "x"]),
            json!({}),
            json!({"zz": 1}),
        ];
        let (mut valid, mut invalid) = (0, 0);
        let project = Project::load(root).unwrap();
        for p in project.profile_names() {
            let base = crate::merge::merge_profile(&project, &p, &[])
                .unwrap()
                .value;
            assert!(agree(&base, &p));
            let mut ptrs = Vec::new();
            pointers(&base, String::new(), &mut ptrs);
            for ptr in &ptrs {
                for b in &bad {
                    let mut v = base.clone();
                    *v.pointer_mut(ptr).unwrap() = b.clone();
                    match agree(&v, &format!("{p} {ptr} = {b}")) {
                        true => valid += 1,
                        false => invalid += 1,
                    }
                }
                let (parent, key) = ptr.rsplit_once('/').unwrap_or_default();
                if let Some(Value::Object(m)) = base.pointer(parent) {
                    let mut v = base.clone();
                    let m2 = v.pointer_mut(parent).unwrap().as_object_mut().unwrap();
                    m2.shift_remove(&key.replace("~1", "/").replace("~0", "~"));
                    agree(&v, &format!("{p} without {ptr}"));
                    if !m.contains_key("zz_unknown") {
                        let mut v = base.clone();
                        let m2 = v.pointer_mut(parent).unwrap().as_object_mut().unwrap();
                        m2.insert("zz_unknown".into(), json!(1));
                        agree(&v, &format!("{p} {parent} + unknown key"));
                    }
                }
            }
        }
        assert!(
            valid > 100 && invalid > 500,
            "{valid} valid, {invalid} invalid"
        );
        // The broken-config corpus.
        let mut cases = 0;
        for e in std::fs::read_dir(root.join("tests/broken"))
            .unwrap()
            .flatten()
        {
            let Ok(project) = Project::load(&e.path()) else {
                continue;
            };
            for p in project.profile_names() {
                if let Ok(m) = crate::merge::merge_profile(&project, &p, &[]) {
                    agree(&m.value, &format!("{} {p}", e.path().display()));
                    cases += 1;
                }
            }
        }
        assert!(cases > 20, "{cases}");
    }

    #[test]
    fn schema_compiles_and_describes_every_property() {
        let _ = validator();
        fn walk(v: &Value, at: &str) {
            if let Some(Value::Object(props)) = v.get("properties") {
                for (k, p) in props {
                    assert!(
                        p.get("description").is_some(),
                        "{at}/{k} lacks a description"
                    );
                    walk(p, &format!("{at}/{k}"));
                }
            }
            for key in ["additionalProperties", "items"] {
                if let Some(sub @ Value::Object(_)) = v.get(key) {
                    assert!(
                        sub.get("description").is_some(),
                        "{at}/{key} lacks a description"
                    );
                    walk(sub, &format!("{at}/{key}"));
                }
            }
        }
        walk(schema(), "");
    }
}
