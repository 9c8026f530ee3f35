//! Template filters, one per output syntax, plus quantity conversions.
//!
//! Escaping lives here, in Rust, so templates stay readable:
//!
//! The YAML and HCL filters write through the one writer of each syntax
//! ([`crate::emit`]); the others are small enough to live here.
//!
//! - `dotenv`: a scalar as a Compose dotenv value (see [`dotenv_quote`] for the rule).
//! - `hcl`: any value as an HCL literal laid out as `terraform fmt` wants it
//!   (see [`hcl::value`]); `hcl_body`: a map as aligned `key = value` lines.
//! - `yaml`: any value as a YAML flow value; `yaml_str`: a double-quoted YAML scalar;
//!   `yaml_value(indent)`: any value as a block after `key:` (custom targets' Helm values).
//! - `json`: compact JSON.
//! - `indent`: minijinja's own `indent`, written without its per-line
//!   formatting (the `k8s` overlays indent megabytes of patches with it).
//! - quantities: `cpus` (millicores → `0.5`), `compose_mem` (bytes → `4g`),
//!   `mib`, `gib` (bytes → whole units, rounded up).
use minijinja::value::{Kwargs, StringInput, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Value};

use crate::emit::node::Node;
use crate::emit::{hcl, yaml};

/// Register every filter on `env`.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("json", json);
    env.add_filter("yaml", yaml);
    env.add_filter("dotenv", dotenv);
    env.add_filter("hcl", hcl);
    env.add_filter("hcl_body", hcl_body);
    env.add_filter("yaml_str", yaml_str);
    env.add_filter("yaml_block", yaml_block);
    env.add_filter("cpus", cpus);
    env.add_filter("compose_mem", compose_mem);
    env.add_filter("mib", mib);
    env.add_filter("gib", gib);
    env.add_filter("kconfig_str", kconfig_str);
    env.add_filter("yaml_value", yaml_value);
    env.add_filter("k8s_peers", k8s_peers);
    env.add_filter("gpu_tolerations", gpu_tolerations);
    env.add_filter("k8s_ingress", k8s_ingress);
    env.add_filter("indent", indent);
}

/// `text|indent(width=4, first=false, blank=false)`: minijinja's builtin
/// `indent`, with the same arguments (by position or by name), errors,
/// safety marking and output — every line after the first (or every line,
/// `first`) indented by `width` spaces, blank lines only when `blank`, one
/// trailing line break (and a CR before it) dropped — but written into an
/// output sized once, without formatting each line.
fn indent(
    value: StringInput<'_>,
    width: Option<usize>,
    first: Option<bool>,
    blank: Option<bool>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    // Named arguments only when some were given (looking one up is not free).
    let named = kwargs.args().next().is_some();
    let width = match width {
        Some(w) => w,
        None if named => kwargs.get::<Option<usize>>("width")?.unwrap_or(4),
        None => 4,
    };
    let first = match first {
        Some(f) => f,
        None if named => kwargs.get::<Option<bool>>("first")?.unwrap_or(false),
        None => false,
    };
    let blank = match blank {
        Some(b) => b,
        None if named => kwargs.get::<Option<bool>>("blank")?.unwrap_or(false),
        None => false,
    };
    kwargs.assert_all_used()?;
    let input = strip_trailing_newline(value.as_str());
    let lines = input.bytes().filter(|&b| b == b'\n').count() + 1;
    let size = lines.saturating_mul(width.saturating_add(1));
    let mut out = String::with_capacity(
        input
            .len()
            .saturating_add(size)
            .min(super::budget::MAX_OUTPUT),
    );
    let mut rest = input.split('\n');
    if !first {
        out.push_str(rest.next().unwrap_or_default());
        out.push('\n');
    }
    for line in rest {
        // A blank line in CRLF text is a lone "\r" after splitting on '\n'.
        if blank || !(line.is_empty() || line == "\r") {
            crate::emit::pad(&mut out, width);
        }
        out.push_str(line);
        out.push('\n');
    }
    out.truncate(strip_trailing_newline(&out).len());
    Ok(value.preserve_safety(out))
}

/// `s` without one final `\n`, then without one final `\r`.
fn strip_trailing_newline(s: &str) -> &str {
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.strip_suffix('\r').unwrap_or(s)
}

/// `model|k8s_ingress(cloud)`: `{class, annotations}` of public services'
/// Ingresses on `cloud`, as the `k8s` target writes them.
///
/// Reads only `model.network` (see [`entry_json`]): serialising the whole
/// model for two settings was most of a custom target's render.
fn k8s_ingress(model: Value, cloud: String) -> Result<Value, Error> {
    let network = entry_json(&model, "network")?;
    let https = network
        .pointer("/enable_https")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(true);
    let cidrs: Vec<String> = network
        .pointer("/allowed_cidrs")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let (class, annotations) = super::k8s::ingress_settings(Some(&cloud), https, &cidrs);
    Ok(Value::from(minijinja::value::Serde(
        serde_json::json!({"class": class, "annotations": annotations}),
    )))
}

/// `name|k8s_peers(model)`: the services service `name` connects to (their
/// names are hosts in its env), as the `k8s` target derives its NetworkPolicies.
fn k8s_peers(name: String, model: Value) -> Result<Value, Error> {
    let peers = match peers_of_value(&model, &name)? {
        Some(p) => p,
        None => super::k8s::peers_of_json(&to_json(&model)?, &name),
    };
    Ok(Value::from(minijinja::value::Serde(peers)))
}

/// `v[key]` as JSON, as `to_json(v)[key]` is (`null` when `v` is no map or
/// lacks it), converting only that entry.
fn entry_json(v: &Value, key: &str) -> Result<serde_json::Value, Error> {
    match entry(v, key) {
        Some(x) => to_json(&x),
        None => Ok(serde_json::Value::Null),
    }
}

/// `v[key]` when `v` is a map that has it.
fn entry(v: &Value, key: &str) -> Option<Value> {
    (v.kind() == ValueKind::Map)
        .then(|| v.get_attr(key).ok())
        .flatten()
        .filter(|x| !x.is_undefined())
}

/// [`super::k8s::peers_of_json`] of `to_json(model)`, reading only
/// `project`, each service's `ports` and service `name`'s `env`; `None` when
/// the services map has a key other than a string (JSON would turn it into
/// one, which may collide with another: the caller converts the whole model).
fn peers_of_value(model: &Value, name: &str) -> Result<Option<Vec<String>>, Error> {
    let project = entry_json(model, "project")?;
    let text = |p: &str| {
        project
            .pointer(p)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
    };
    let namespaces = super::k8s::peer_namespaces(text("/name"), text("/environment"));
    let Some(services) = entry(model, "services").filter(|s| s.kind() == ValueKind::Map) else {
        return Ok(Some(Vec::new()));
    };
    let mut all: Vec<(String, bool)> = Vec::new();
    for key in services.try_iter()? {
        let Some(t) = key.as_str() else {
            return Ok(None);
        };
        let ports = match entry(&services, t) {
            Some(sv) => entry_json(&sv, "ports")?,
            None => serde_json::Value::Null,
        };
        all.push((t.to_string(), super::k8s::has_ports_json(Some(&ports))));
    }
    if !all.iter().any(|(t, _)| t == name) {
        return Ok(Some(Vec::new()));
    }
    let env = match entry(&services, name) {
        Some(me) => entry_json(&me, "env")?,
        None => serde_json::Value::Null,
    };
    let env = super::k8s::env_pairs(Some(&env));
    Ok(Some(super::k8s::peers_among(
        &namespaces,
        name,
        &env,
        all.iter().map(|(t, p)| (t.as_str(), *p)),
    )))
}

/// `cloud|gpu_tolerations`: the tolerations of the cloud's GPU node taint
/// (`catalogue::gpu_node_taint`, the taint the Terraform node pools get).
fn gpu_tolerations(cloud: String) -> Value {
    let t: Vec<serde_json::Value> = crate::catalogue::gpu_node_taint(&cloud)
        .map(|t| vec![t.toleration()])
        .unwrap_or_default();
    Value::from(minijinja::value::Serde(t))
}

fn to_json(v: &Value) -> Result<serde_json::Value, Error> {
    serde_json::to_value(v).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// Any value as compact JSON (also a valid YAML flow scalar / collection).
pub fn json(v: Value) -> Result<String, Error> {
    let j = to_json(&v)?;
    serde_json::to_string(&j).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// Write a template value with `write` over its [`Node`]; a value of a shape
/// the node does not take is converted to JSON and written from that.
/// `capacity`: the output's expected size (it is copied into the template
/// value afterwards, so too much costs nothing and too little regrows it).
fn write_value(
    v: &Value,
    capacity: usize,
    write: impl Fn(&Node, &mut String) -> Option<()>,
) -> Result<String, Error> {
    let mut out = String::with_capacity(capacity);
    if let Some(n) = Node::template(v)
        && write(&n, &mut out).is_some()
    {
        return Ok(out);
    }
    out.clear();
    let j = to_json(v)?;
    write(&Node::json(&j), &mut out).expect("JSON values always write");
    Ok(out)
}

/// What the `yaml` filter's output is sized for (a name, an image, a small
/// flow list); a longer value regrows it.
const SCALAR_SIZE: usize = 64;

/// What the block filters' output is sized for (a few labels, a list of
/// files); a longer value regrows it.
const BLOCK_SIZE: usize = 256;

/// A string as a double-quoted YAML scalar that every YAML reader reads back exactly.
pub fn yaml_str(v: Value) -> Result<String, Error> {
    if let Some(s) = v.as_str() {
        return Ok(yaml::quote(s));
    }
    let s = match to_json(&v)? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(yaml::quote(&s))
}

/// Any value as YAML on one line: a scalar plain when no YAML reader can
/// misread it (`devai`, `app.kubernetes.io/name`; see [`yaml::plain_ok`]),
/// else double-quoted; maps and lists in flow style (`{a: b}`, `[x, y]`).
pub fn yaml(v: Value) -> Result<String, Error> {
    write_value(&v, SCALAR_SIZE, |n, out| yaml::Writer::new(out).flow(n))
}

/// A value as the rest of a `key:` line in block YAML: ` scalar`, ` {}` or
/// ` []` when empty, otherwise a newline and the block indented by `indent`.
/// Template use: `labels:{{ labels|yaml_block(4) }}`.
pub fn yaml_block(v: Value, indent: usize) -> Result<String, Error> {
    write_value(&v, BLOCK_SIZE, |n, out| {
        yaml::Writer::new(out).after_key(n, indent)
    })
}

/// Any value as the YAML that follows `key:` in a block document, like
/// [`yaml_block`] but with every string value double-quoted like
/// [`yaml_str`] (map keys plain where that is unambiguous). Template:
/// `labels:{{ labels | yaml_value(2) }}`.
pub fn yaml_value(v: Value, indent: Option<u32>) -> Result<String, Error> {
    let indent = indent.unwrap_or(2) as usize;
    write_value(&v, BLOCK_SIZE, |n, out| {
        yaml::Writer::quoting_values(out).after_key(n, indent)
    })
}

/// The text of a scalar (a string borrowed from the value).
fn scalar_text<'v>(v: &'v Value, filter: &str) -> Result<std::borrow::Cow<'v, str>, Error> {
    if let Some(s) = v.as_str() {
        return Ok(s.into());
    }
    match to_json(v)? {
        serde_json::Value::String(s) => Ok(s.into()),
        serde_json::Value::Null => Ok(String::new().into()),
        serde_json::Value::Number(n) => Ok(n.to_string().into()),
        serde_json::Value::Bool(b) => Ok(b.to_string().into()),
        other => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("the `{filter}` filter expects a string, number or boolean, got {other}"),
        )),
    }
}

/// A scalar as a Compose dotenv value (`KEY={{ v | dotenv }}`).
pub fn dotenv(v: Value) -> Result<String, Error> {
    let s = scalar_text(&v, "dotenv")?;
    if s.contains('\0') {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "an environment value cannot contain a NUL character",
        ));
    }
    Ok(dotenv_quote(&s))
}

/// Any value as an HCL literal (`{{ v | hcl }}`, or `{{ v | hcl(2) }}` when the
/// line it starts on is indented by 2 spaces); see [`hcl::value`].
pub fn hcl(v: Value, indent: Option<usize>) -> Result<String, Error> {
    let indent = indent.unwrap_or(0);
    write_value(&v, 0, |n, out| hcl::write(n, indent, out))
}

/// A map as the attributes of an HCL body, one `key = value` per line, `=`
/// aligned as `terraform fmt` aligns it (no trailing newline).
pub fn hcl_body(v: Value, indent: Option<usize>) -> Result<String, Error> {
    let is_map = Node::template(&v).map_or_else(
        || to_json(&v).map(|j| j.is_object()),
        |n| Ok(matches!(n, Node::Map(_))),
    )?;
    if !is_map {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("the `hcl_body` filter expects a map, got {}", to_json(&v)?),
        ));
    }
    let indent = indent.unwrap_or(0);
    let mut out = write_value(&v, 0, |n, out| hcl::attrs(n, indent, out))?;
    out.truncate(out.trim_end_matches('\n').len());
    Ok(out)
}

fn as_u64(v: &Value, what: &str) -> Result<u64, Error> {
    u64::try_from(v.clone()).map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("{what} expects a whole number, got {v}"),
        )
    })
}

/// Millicores → Compose `cpus` (`0.5`).
pub fn cpus(v: Value) -> Result<String, Error> {
    Ok(crate::quantity::cpus_decimal(as_u64(&v, "cpus")?))
}

/// Bytes → Compose `mem_limit` (`4g`).
pub fn compose_mem(v: Value) -> Result<String, Error> {
    Ok(crate::quantity::compose_mem(as_u64(&v, "compose_mem")?))
}

/// Bytes → whole MiB (rounded up).
pub fn mib(v: Value) -> Result<u64, Error> {
    Ok(crate::quantity::mib(as_u64(&v, "mib")?))
}

/// Bytes → whole GiB (rounded up).
pub fn gib(v: Value) -> Result<u64, Error> {
    Ok(crate::quantity::gib(as_u64(&v, "gib")?))
}

/// A value as a double-quoted Kconfig string: `\\` and `"` escaped, `$`
/// escaped so `$(…)` is not expanded as a macro, control characters (line
/// breaks included) as spaces.
pub fn kconfig_str(v: Value) -> Result<String, Error> {
    let s = match to_json(&v)? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(kconfig_quote(&s))
}

/// `s` made safe for the rest of one line of a comment or of Kconfig help
/// text in any target format: control characters (newlines included) become
/// spaces, so untrusted text (catalogue names, file names) can never start
/// a line of its own.
pub fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

pub use crate::emit::quote::{dotenv_quote, kconfig_quote};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use super::super::test_values::json_value;

    fn mv<T: serde::Serialize>(t: T) -> Value {
        Value::from(minijinja::value::Serde(t))
    }

    fn read(text: &str) -> serde_json::Value {
        crate::load::load_str(text, "t".into()).unwrap().value
    }

    /// Maps and lists the writer cannot borrow (other object types) are
    /// written the same.
    #[test]
    fn other_map_and_list_objects() {
        let m: std::collections::BTreeMap<String, Vec<u32>> =
            [("b".to_string(), vec![1, 2]), ("a x".to_string(), vec![])].into();
        let j = serde_json::to_value(&m).unwrap();
        let t = Value::from_object(m);
        assert_eq!(yaml_block(t.clone(), 2).unwrap(), yaml::after_key(&j, 2));
        assert_eq!(yaml(t.clone()).unwrap(), yaml::flow(&j));
        assert_eq!(hcl(t, Some(2)).unwrap(), hcl::value(&j, 2));
        let it = Value::make_iterable(|| (0..3u32).map(Value::from));
        assert_eq!(yaml(it).unwrap(), "[0, 1, 2]");
    }

    /// The filters as they were: the whole model converted to JSON first.
    fn peers_whole(name: &str, model: &Value) -> Value {
        mv(super::super::k8s::peers_of_json(
            &to_json(model).unwrap(),
            name,
        ))
    }

    fn ingress_whole(model: &Value, cloud: &str) -> Value {
        let m = to_json(model).unwrap();
        let https = m
            .pointer("/network/enable_https")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(true);
        let cidrs: Vec<String> = m
            .pointer("/network/allowed_cidrs")
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let (class, annotations) = super::super::k8s::ingress_settings(Some(cloud), https, &cidrs);
        mv(serde_json::json!({"class": class, "annotations": annotations}))
    }

    /// Models of odd shapes: what each service is, has and names.
    fn odd_models() -> Vec<serde_json::Value> {
        use serde_json::json;
        vec![
            json!({
                "project": {"name": "shop", "environment": "Prod_EU"},
                "network": {"enable_https": false, "allowed_cidrs": ["10.0.0.0/8", 3, null]},
                "services": {
                    "web": {"env": {"A": "http://api:80", "B": "db.shop-prod-eu.svc", "N": 5,
                                    "C": "redis.shop:6379", "D": "cache.svc", "E": "x,q"},
                            "ports": {"http": 80}},
                    "api": {"ports": {"http": 8000}, "env": {"U": "http://web/"}},
                    "db": {"ports": {"pg": 5432}},
                    "redis": {"ports": {}},
                    "cache": {"ports": [6379]},
                    "q": {"ports": {"amqp": 5672}, "env": []},
                    "odd": "not a map",
                    "nul": null,
                },
            }),
            json!({"project": "flat", "services": {"a": {"env": {"X": "b:1"}}, "b": {"ports": {"p": 1}}}}),
            json!({"project": {"name": 7}, "network": "none", "services": []}),
            json!({"services": {"web": {"env": "A=api:80"}, "api": {"ports": {"h": 1}}}}),
            json!({"network": {"enable_https": "yes", "allowed_cidrs": "10.0.0.0/8"}}),
            json!({"network": {"allowed_cidrs": ["0.0.0.0/0"]}}),
            json!([1, 2]),
            json!("text"),
            json!(null),
        ]
    }

    /// `k8s_peers` and `k8s_ingress` read only what they need, and give what
    /// converting the whole model gave: on the example's models and on odd
    /// shapes, for every service name (and names that are none).
    #[test]
    fn model_filters_agree_with_converting_the_whole_model() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let project = crate::project::Project::load(repo).unwrap();
        let names = project.profile_names();
        let mut models: Vec<Value> = crate::pipeline::resolve_all(&project, &names, &[])
            .unwrap()
            .into_iter()
            .map(|r| mv(r.model))
            .collect();
        assert!(models.len() > 1);
        models.extend(odd_models().into_iter().map(mv));
        // A map with keys JSON turns into strings (the whole model is converted then).
        let services = Value::from_iter([
            (Value::from(1), mv(serde_json::json!({"ports": {"p": 1}}))),
            (Value::from("1"), mv(serde_json::json!({"ports": {}}))),
            (
                Value::from("a"),
                mv(serde_json::json!({"env": {"X": "http://1"}})),
            ),
        ]);
        models.push(Value::from_iter([(Value::from("services"), services)]));
        let mut fast = 0;
        for m in &models {
            let mut names: Vec<String> =
                ["", "missing", "1", "a", "web"].map(String::from).to_vec();
            if let Ok(services) = m.get_attr("services")
                && services.kind() == ValueKind::Map
            {
                names.extend(services.try_iter().unwrap().map(|k| k.to_string()));
            }
            for name in &names {
                fast += usize::from(peers_of_value(m, name).unwrap().is_some());
                let got = k8s_peers(name.clone(), m.clone()).unwrap();
                assert_eq!(got, peers_whole(name, m), "peers of {name} in {m}");
            }
            for cloud in ["aws", "azure", "gcp"] {
                let got = k8s_ingress(m.clone(), cloud.into()).unwrap();
                assert_eq!(got, ingress_whole(m, cloud), "ingress on {cloud} of {m}");
            }
        }
        assert!(fast > 0, "the fast path is taken");
        let example = &models[0];
        let talks = k8s_peers("devai".into(), example.clone()).unwrap();
        assert!(
            talks.len().unwrap() > 0,
            "devai talks to a service: {talks}"
        );
    }

    proptest! {
        /// A template value is written as its JSON conversion is.
        #[test]
        fn template_values_write_like_their_json(v in json_value(), indent in 0usize..6) {
            let t = mv(&v);
            prop_assert_eq!(yaml_block(t.clone(), indent).unwrap(), yaml::after_key(&v, indent));
            prop_assert_eq!(yaml(t.clone()).unwrap(), yaml::flow(&v));
            prop_assert_eq!(hcl(t.clone(), Some(indent)).unwrap(), hcl::value(&v, indent));
        }
    }

    /// `indent` renders what minijinja's builtin renders (errors included),
    /// for every way of passing its arguments, on text with blank lines,
    /// CRLF line ends, trailing breaks and markup (safe or not).
    #[test]
    fn indent_is_the_builtin_indent() {
        let env = |ours: bool| {
            let mut e = Environment::new();
            e.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
            e.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
            if ours {
                e.add_filter("indent", indent);
            }
            e
        };
        let (builtin, ours) = (env(false), env(true));
        let texts = [
            "",
            "a",
            "a\n",
            "a\nb",
            "a\n\nb\n",
            "a\r\nb\r\n\r\n",
            "\n",
            "\r\n",
            "\r",
            "\n\nx\n\n",
            "  x\n y \r\n\r",
            "<b>&\n\"q\"",
            "ü🚀\n\tz\n",
        ];
        let calls = [
            "t|indent",
            "t|indent(2)",
            "t|indent(0)",
            "t|indent(6, true)",
            "t|indent(3, false, true)",
            "t|indent(3, true, true)",
            "t|indent(width=1)",
            "t|indent(first=true)",
            "t|indent(blank=true, width=0)",
            "t|indent(2, blank=true)",
            "t|indent(2, true, blank=true)",
            "t|indent(width=none, first=none)",
            "t|indent(nope=1)",
            "t|indent(2, width=3)",
            "t|safe|indent(2)",
            "t|indent(2)|safe",
            "n|indent(2, true)",
            "missing|indent(2)",
            "none|indent(2, true)",
            "t|indent('x')",
            "t|indent(1, 2, 3, 4)",
        ];
        for t in texts {
            for c in calls {
                let source = format!("{{{{ {c} }}}}");
                let render = |e: &Environment| {
                    e.render_str(&source, minijinja::context! { t, n => 12 })
                        .map_err(|e| (e.kind(), e.detail().map(String::from)))
                };
                assert_eq!(render(&ours), render(&builtin), "{c} on {t:?}");
            }
        }
    }

    #[test]
    fn dotenv_quotes_everything_compose_would_touch() {
        assert_eq!(dotenv_quote("plain"), r#""plain""#);
        assert_eq!(dotenv_quote(r#"a"b\c$X ${Y}"#), r#""a\"b\\c\$X \${Y}""#);
        assert_eq!(dotenv_quote("l1\nl2\tt\rc"), r#""l1\nl2\tt\rc""#);
        assert_eq!(dotenv_quote("it's #1 = ü🚀"), "\"it's #1 = ü🚀\"");
        assert_eq!(dotenv_quote("end\\"), r#""end\\""#);
    }

    #[test]
    fn yaml_flow_round_trips() {
        let v = serde_json::json!({"a b": ["yes", 1, null, {"#": "x: y"}], "n": 1.5});
        let y = yaml(mv(&v)).unwrap();
        assert_eq!(read(&y), v, "{y}");
    }

    #[test]
    fn hcl_body_lays_out_a_map_and_refuses_anything_else() {
        let v = serde_json::json!({"a": 1, "bbb": {"k": "v"}, "cc": "x"});
        assert_eq!(
            hcl_body(mv(&v), Some(2)).unwrap(),
            "  a = 1\n  bbb = {\n    k = \"v\"\n  }\n  cc = \"x\""
        );
        assert!(hcl_body(mv(1), None).is_err());
    }

    #[test]
    fn kconfig_quote_escapes_quotes_backslashes_dollars_and_controls() {
        assert_eq!(kconfig_quote("us-east-1"), "\"us-east-1\"");
        assert_eq!(
            kconfig_quote("a\"b\\c$(shell rm)\nd"),
            "\"a\\\"b\\\\c\\$(shell rm) d\""
        );
    }

    #[test]
    fn yaml_value_round_trips_and_quotes_every_string_value() {
        let v = serde_json::json!({
            "plain": "x",
            "app.kubernetes.io/part-of": "devai-lab",
            "yes": "no",
            "a b": {"nested": {"deep": [1, "two", {"k": "v", "k2": [true, null]}]}},
            "empty_map": {},
            "empty_list": [],
            "list_of_lists": [[1, 2], [], [{"x": "y"}]],
            "tricky": "${X} #c\n\"q\" \\ ü \u{2028}",
            "num": 1.5,
            "1": "digit key",
        });
        for indent in [2, 4] {
            let text = format!("root:{}\n", yaml_value(mv(&v), Some(indent)).unwrap());
            assert_eq!(read(&text)["root"], v, "{text}");
        }
        assert_eq!(yaml_value(mv(serde_json::json!({})), None).unwrap(), " {}");
        assert_eq!(
            yaml_value(mv(serde_json::json!({"a": ["b"]})), Some(2)).unwrap(),
            "\n  a:\n    - \"b\""
        );
    }
}
