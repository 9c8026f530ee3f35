//! Template filters, one per output syntax, plus quantity conversions.
//!
//! Escaping lives here, in Rust, so templates stay readable:
//!
//! - `dotenv`: a scalar as a Compose dotenv value (see [`dotenv_quote`] for the rule).
//! - `hcl`: any value as an HCL literal laid out as `terraform fmt` wants it
//!   (see [`hcl_value`]); `hcl_body`: a map as aligned `key = value` lines.
//! - `yaml`: any value as a YAML flow value; `yaml_str`: a double-quoted YAML scalar;
//!   `yaml_value(indent)`: any value as a block after `key:` (custom targets' Helm values).
//! - `json`: compact JSON.
//! - quantities: `cpus` (millicores → `0.5`), `compose_mem` (bytes → `4g`),
//!   `mib`, `gib` (bytes → whole units, rounded up).
use minijinja::{Environment, Error, ErrorKind, Value};

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
}

/// `model|k8s_ingress(cloud)`: `{class, annotations}` of public services'
/// Ingresses on `cloud`, as the `k8s` target writes them.
fn k8s_ingress(model: Value, cloud: String) -> Result<Value, Error> {
    let m = to_json(&model)?;
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
    let (class, annotations) = super::k8s::ingress_settings(Some(&cloud), https, &cidrs);
    Ok(Value::from(minijinja::value::Serde(
        serde_json::json!({"class": class, "annotations": annotations}),
    )))
}

/// `name|k8s_peers(model)`: the services service `name` connects to (their
/// names are hosts in its env), as the `k8s` target derives its NetworkPolicies.
fn k8s_peers(name: String, model: Value) -> Result<Value, Error> {
    let m = to_json(&model)?;
    Ok(Value::from(minijinja::value::Serde(
        super::k8s::peers_of_json(&m, &name),
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

/// A string as a double-quoted YAML scalar that every YAML reader reads back exactly.
pub fn yaml_str(v: Value) -> Result<String, Error> {
    if let Some(s) = v.as_str() {
        return Ok(yaml_quote(s));
    }
    let s = match to_json(&v)? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(yaml_quote(&s))
}

/// Double-quote `s` for YAML (JSON escapes are valid YAML escapes; NEL, LS, PS and
/// BOM are escaped too since YAML treats them as line breaks or ignores them).
pub fn yaml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_yaml_quoted(&mut out, s);
    out
}

fn push_yaml_quoted(out: &mut String, s: &str) {
    let plain = s
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\'));
    if plain {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            '\u{feff}' => out.push_str("\\ufeff"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Any value as YAML on one line: a scalar plain when no YAML reader can
/// misread it (`devai`, `app.kubernetes.io/name`), else double-quoted; maps and
/// lists in flow style (`{a: b}`, `[x, y]`).
pub fn yaml(v: Value) -> Result<String, Error> {
    let mut out = String::new();
    if tv_flow(&v, &mut out).is_some() {
        return Ok(out);
    }
    Ok(yaml_flow(&to_json(&v)?))
}

/// A value as the rest of a `key:` line in block YAML: ` scalar`, ` {}` or
/// ` []` when empty, otherwise a newline and the block indented by `indent`.
/// Template use: `labels:{{ labels|yaml_block(4) }}`.
pub fn yaml_block(v: Value, indent: usize) -> Result<String, Error> {
    let mut out = String::new();
    if tv_after_key(&v, indent, &mut out).is_some() {
        return Ok(out);
    }
    Ok(yaml_after_key(&to_json(&v)?, indent))
}

/// Whether `s` can be a plain YAML scalar (see [`yaml_scalar_str`]).
fn yaml_plain_ok(s: &str) -> bool {
    // A letter or `/` first (numbers, `.inf`, `-`, `~`, indicators need quotes),
    // or `../` (a relative path); then only characters that never mean anything.
    let first_ok = s.starts_with("../")
        || s.as_bytes()
            .first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'/');
    first_ok
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'/' | b'-' | b'~'))
        && !["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w))
}

/// A string plain when that is unambiguous in YAML 1.1 and 1.2, else quoted.
pub fn yaml_scalar_str(s: &str) -> String {
    if yaml_plain_ok(s) {
        s.to_string()
    } else {
        yaml_quote(s)
    }
}

fn push_yaml_scalar_str(out: &mut String, s: &str) {
    if yaml_plain_ok(s) {
        out.push_str(s);
    } else {
        push_yaml_quoted(out, s);
    }
}

fn push_pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A JSON value as one-line YAML (see [`yaml`]).
pub fn yaml_flow(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_flow(v, &mut out);
    out
}

fn write_flow(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value as J;
    match v {
        J::String(s) => push_yaml_scalar_str(out, s),
        J::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(x, out);
            }
            out.push(']');
        }
        J::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_yaml_scalar_str(out, k);
                out.push_str(": ");
                write_flow(x, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON value as the rest of a `key:` or `-` line (see [`yaml_block`]).
pub fn yaml_after_key(v: &serde_json::Value, indent: usize) -> String {
    let mut out = String::new();
    write_after_key(v, indent, &mut out);
    out
}

fn write_after_key(v: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value as J;
    match v {
        J::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_block(v, indent, true, out);
        }
        J::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_block(v, indent, true, out);
        }
        other => {
            out.push(' ');
            write_flow(other, out);
        }
    }
}

/// A non-empty map or list as block YAML lines at `indent` (no final newline);
/// scalars and empty collections as one flow line.
pub fn yaml_block_lines(v: &serde_json::Value, indent: usize) -> String {
    let mut out = String::new();
    write_block(v, indent, true, &mut out);
    out
}

/// [`yaml_block_lines`] of a list given as its items.
pub fn yaml_items_lines(items: &[serde_json::Value], indent: usize) -> String {
    let mut out = String::new();
    if items.is_empty() {
        push_pad(&mut out, indent);
        out.push_str("[]");
    } else {
        write_items(items, indent, true, &mut out);
    }
    out
}

/// [`yaml_block_lines`] into `out`; without the first line's indentation
/// unless `pad_first` (a map that starts after `- `).
fn write_block(v: &serde_json::Value, indent: usize, pad_first: bool, out: &mut String) {
    use serde_json::Value as J;
    match v {
        J::Object(m) if !m.is_empty() => {
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                if i > 0 || pad_first {
                    push_pad(out, indent);
                }
                push_yaml_scalar_str(out, k);
                out.push(':');
                write_after_key(x, indent + 2, out);
            }
        }
        J::Array(a) if !a.is_empty() => write_items(a, indent, pad_first, out),
        other => {
            if pad_first {
                push_pad(out, indent);
            }
            write_flow(other, out);
        }
    }
}

/// The items of a non-empty list as block lines (see [`write_block`]).
fn write_items(a: &[serde_json::Value], indent: usize, pad_first: bool, out: &mut String) {
    use serde_json::Value as J;
    for (i, x) in a.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if i > 0 || pad_first {
            push_pad(out, indent);
        }
        match x {
            J::Object(m) if !m.is_empty() => {
                // The first key goes after the dash; the rest align with it.
                out.push_str("- ");
                write_block(x, indent + 2, false, out);
            }
            J::Array(i) if !i.is_empty() => {
                out.push_str("-\n");
                write_block(x, indent + 2, true, out);
            }
            _ => {
                out.push_str("- ");
                write_flow(x, out);
            }
        }
    }
}

// The same writers over template values, for the shapes templates pass most
// (strings, numbers, booleans, none, maps with string keys, lists): they
// write what converting to JSON first writes, without the conversion.
// `None`: another shape; the caller converts to JSON.

/// A template value's shape, as its JSON conversion would have it. Maps and
/// lists are borrowed where the value holds them as such.
enum Tv<'a> {
    Str(&'a str),
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Map(Pairs<'a>),
    Seq(Items<'a>),
}

/// A map's entries (every key a string).
enum Pairs<'a> {
    Borrowed(&'a indexmap::IndexMap<Value, Value>),
    Owned(Vec<(Value, Value)>),
}

impl Pairs<'_> {
    fn iter(&self) -> Box<dyn Iterator<Item = (&Value, &Value)> + '_> {
        match self {
            Pairs::Borrowed(m) => Box::new(m.iter()),
            Pairs::Owned(v) => Box::new(v.iter().map(|(k, x)| (k, x))),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Pairs::Borrowed(m) => m.is_empty(),
            Pairs::Owned(v) => v.is_empty(),
        }
    }
}

/// A list's items.
enum Items<'a> {
    Borrowed(&'a [Value]),
    Owned(Vec<Value>),
}

impl Items<'_> {
    fn as_slice(&self) -> &[Value] {
        match self {
            Items::Borrowed(v) => v,
            Items::Owned(v) => v,
        }
    }
}

fn tv(v: &Value) -> Option<Tv<'_>> {
    use minijinja::value::{ObjectRepr, ValueKind};
    match v.kind() {
        ValueKind::String => Some(Tv::Str(v.as_str()?)),
        ValueKind::Bool => Some(Tv::Bool(v.is_true())),
        ValueKind::None => Some(Tv::Null),
        ValueKind::Number => {
            if v.is_integer() {
                if let Ok(n) = u64::try_from(v.clone()) {
                    Some(Tv::Num(n.into()))
                } else {
                    i64::try_from(v.clone()).ok().map(|n| Tv::Num(n.into()))
                }
            } else {
                let f = f64::try_from(v.clone()).ok()?;
                Some(serde_json::Number::from_f64(f).map_or(Tv::Null, Tv::Num))
            }
        }
        ValueKind::Map => {
            let pairs = match v.downcast_object_ref::<indexmap::IndexMap<Value, Value>>() {
                Some(m) => Pairs::Borrowed(m),
                None => {
                    let o = v.as_object()?;
                    if !matches!(o.repr(), ObjectRepr::Map) {
                        return None;
                    }
                    Pairs::Owned(o.try_iter_pairs()?.collect())
                }
            };
            let string_keys = pairs.iter().all(|(k, _)| k.as_str().is_some());
            string_keys.then_some(Tv::Map(pairs))
        }
        ValueKind::Seq | ValueKind::Iterable => {
            if let Some(items) = v.downcast_object_ref::<Vec<Value>>() {
                return Some(Tv::Seq(Items::Borrowed(items)));
            }
            let o = v.as_object()?;
            if !matches!(o.repr(), ObjectRepr::Seq | ObjectRepr::Iterable) {
                return None;
            }
            Some(Tv::Seq(Items::Owned(o.try_iter()?.collect())))
        }
        _ => None,
    }
}

/// A scalar's text in YAML flow (`null`, `true`, numbers as JSON writes them).
fn push_tv_scalar(out: &mut String, t: &Tv) {
    match t {
        Tv::Str(s) => push_yaml_scalar_str(out, s),
        Tv::Null => out.push_str("null"),
        Tv::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Tv::Num(n) => out.push_str(&n.to_string()),
        Tv::Map(_) => out.push_str("{}"),
        Tv::Seq(_) => out.push_str("[]"),
    }
}

fn key_str(k: &Value) -> &str {
    k.as_str().expect("string keys (checked)")
}

fn tv_flow(v: &Value, out: &mut String) -> Option<()> {
    tv_flow_of(&tv(v)?, out)
}

fn tv_flow_of(t: &Tv, out: &mut String) -> Option<()> {
    match t {
        Tv::Seq(items) => {
            out.push('[');
            for (i, x) in items.as_slice().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                tv_flow(x, out)?;
            }
            out.push(']');
        }
        Tv::Map(pairs) => {
            out.push('{');
            for (i, (k, x)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_yaml_scalar_str(out, key_str(k));
                out.push_str(": ");
                tv_flow(x, out)?;
            }
            out.push('}');
        }
        scalar => push_tv_scalar(out, scalar),
    }
    Some(())
}

fn tv_after_key(v: &Value, indent: usize, out: &mut String) -> Option<()> {
    let t = tv(v)?;
    match &t {
        Tv::Map(p) if !p.is_empty() => {
            out.push('\n');
            tv_block(&t, indent, true, out)
        }
        Tv::Seq(i) if !i.as_slice().is_empty() => {
            out.push('\n');
            tv_block(&t, indent, true, out)
        }
        _ => {
            out.push(' ');
            tv_flow_of(&t, out)
        }
    }
}

fn tv_block(t: &Tv, indent: usize, pad_first: bool, out: &mut String) -> Option<()> {
    match t {
        Tv::Map(pairs) if !pairs.is_empty() => {
            for (i, (k, x)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                if i > 0 || pad_first {
                    push_pad(out, indent);
                }
                push_yaml_scalar_str(out, key_str(k));
                out.push(':');
                tv_after_key(x, indent + 2, out)?;
            }
        }
        Tv::Seq(items) if !items.as_slice().is_empty() => {
            for (i, x) in items.as_slice().iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                if i > 0 || pad_first {
                    push_pad(out, indent);
                }
                let xt = tv(x)?;
                match &xt {
                    Tv::Map(p) if !p.is_empty() => {
                        out.push_str("- ");
                        tv_block(&xt, indent + 2, false, out)?;
                    }
                    Tv::Seq(s) if !s.as_slice().is_empty() => {
                        out.push_str("-\n");
                        tv_block(&xt, indent + 2, true, out)?;
                    }
                    _ => {
                        out.push_str("- ");
                        tv_flow_of(&xt, out)?;
                    }
                }
            }
        }
        other => {
            if pad_first {
                push_pad(out, indent);
            }
            push_tv_scalar(out, other);
        }
    }
    Some(())
}

fn scalar_text(v: &Value, filter: &str) -> Result<String, Error> {
    if let Some(s) = v.as_str() {
        return Ok(s.to_string());
    }
    match to_json(v)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Null => Ok(String::new()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
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

/// Quote `s` for Compose's dotenv parser (compose-go `dotenv`, as in Compose v2.40).
///
/// The rule, found by reading values back through the real `docker compose config`
/// (see `tests/compose_conformance.rs`): the value is ALWAYS double-quoted, because
/// - unquoted values are trimmed, cut at ` #` (comment) and interpolated;
/// - single-quoted values are literal but cannot hold a newline escape and end
///   at an unescaped `'`;
/// - inside double quotes compose-go understands exactly these escapes:
///   `\\` → `\`, `\"` → `"`, `\n` → LF, `\r` → CR, `\t` → TAB, `\$` → `$`
///   (any other `\x` stays as the two characters `\x`), and it interpolates
///   `$NAME` / `${…}` (`$$` is also a literal `$`).
///
/// So: `\` → `\\`, `"` → `\"`, `$` → `\$`, LF → `\n`, CR → `\r`, TAB → `\t`;
/// every other character (quotes `'`, `#`, `=`, non-ASCII, emoji) is written as
/// is. A value ending in a backslash is safe (`"a\\"` reads back as `a\`).
/// Note: `docker compose config` prints every `$` of a value as `$$` (its own
/// escape for Compose files); the container sees a single `$`.
pub fn dotenv_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Any value as an HCL literal (`{{ v | hcl }}`, or `{{ v | hcl(2) }}` when the
/// line it starts on is indented by 2 spaces).
pub fn hcl(v: Value, indent: Option<usize>) -> Result<String, Error> {
    let mut out = String::new();
    if tv_hcl(&v, indent.unwrap_or(0), &mut out).is_some() {
        return Ok(out);
    }
    let j = to_json(&v)?;
    Ok(hcl_value(&j, indent.unwrap_or(0)))
}

/// A map as the attributes of an HCL body, one `key = value` per line, `=`
/// aligned as `terraform fmt` aligns it (no trailing newline).
pub fn hcl_body(v: Value, indent: Option<usize>) -> Result<String, Error> {
    match to_json(&v)? {
        serde_json::Value::Object(m) => {
            let mut out = String::new();
            hcl_attrs(&m, indent.unwrap_or(0), &mut out);
            Ok(out.trim_end_matches('\n').to_string())
        }
        other => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("the `hcl_body` filter expects a map, got {other}"),
        )),
    }
}

/// `v` as an HCL expression whose first line continues a line indented by
/// `indent` spaces. Strings: `"…"` with `\\`, `\"`, `\n`, `\r`, `\t`, `\uNNNN`
/// (other control characters) escaped and the template sequences `${` → `$${`,
/// `%{` → `%%{`; lists on one line; non-empty maps over several lines with keys
/// quoted unless they are plain identifiers; whole numbers without a fraction.
pub fn hcl_value(v: &serde_json::Value, indent: usize) -> String {
    let mut out = String::new();
    write_hcl(v, indent, &mut out);
    out
}

fn write_hcl(v: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value as J;
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => out.push_str(&hcl_number(n)),
        J::String(s) => push_hcl_string(out, s),
        J::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_hcl(x, indent, out);
            }
            out.push(']');
        }
        J::Object(m) if m.is_empty() => out.push_str("{}"),
        J::Object(m) => {
            out.push_str("{\n");
            hcl_attrs(m, indent + 2, out);
            push_pad(out, indent);
            out.push('}');
        }
    }
}

/// Whether a value's HCL spans several lines (it holds a non-empty map).
fn hcl_multiline(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Object(m) => !m.is_empty(),
        serde_json::Value::Array(a) => a.iter().any(hcl_multiline),
        _ => false,
    }
}

/// Attributes of a body at `indent`, each line ending in a newline. Runs of
/// one-line attributes have their `=` aligned; an attribute whose value spans
/// several lines stands alone (that is what `terraform fmt` does).
fn hcl_attrs(m: &serde_json::Map<String, serde_json::Value>, indent: usize, out: &mut String) {
    let entries: Vec<(std::borrow::Cow<str>, &serde_json::Value, bool)> = m
        .iter()
        .map(|(k, x)| (hcl_key_cow(k), x, hcl_multiline(x)))
        .collect();
    write_attrs(&entries, indent, out, |x, indent, out| {
        write_hcl(x, indent, out);
        Some(())
    });
}

/// Lay out attributes `(key, value, spans several lines)`, writing each value
/// with `write`.
fn write_attrs<T>(
    entries: &[(std::borrow::Cow<str>, T, bool)],
    indent: usize,
    out: &mut String,
    write: impl Fn(&T, usize, &mut String) -> Option<()>,
) -> Option<()> {
    let mut i = 0;
    while i < entries.len() {
        if entries[i].2 {
            let (k, x, _) = &entries[i];
            push_pad(out, indent);
            out.push_str(k);
            out.push_str(" = ");
            write(x, indent, out)?;
            out.push('\n');
            i += 1;
            continue;
        }
        let mut j = i;
        while j < entries.len() && !entries[j].2 {
            j += 1;
        }
        let chars = |k: &str| {
            if k.is_ascii() {
                k.len()
            } else {
                k.chars().count()
            }
        };
        let width = entries[i..j]
            .iter()
            .map(|(k, _, _)| chars(k))
            .max()
            .unwrap_or(0);
        for (k, x, _) in &entries[i..j] {
            push_pad(out, indent);
            out.push_str(k);
            push_pad(out, width - chars(k));
            out.push_str(" = ");
            write(x, indent, out)?;
            out.push('\n');
        }
        i = j;
    }
    Some(())
}

/// [`write_hcl`] over a template value (see [`tv`]).
fn tv_hcl(v: &Value, indent: usize, out: &mut String) -> Option<()> {
    if let Some(s) = v.as_str() {
        push_hcl_string(out, s);
        return Some(());
    }
    match tv(v)? {
        Tv::Str(s) => push_hcl_string(out, s),
        Tv::Null => out.push_str("null"),
        Tv::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Tv::Num(n) => out.push_str(&hcl_number(&n)),
        Tv::Seq(items) => {
            out.push('[');
            for (i, x) in items.as_slice().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                tv_hcl(x, indent, out)?;
            }
            out.push(']');
        }
        Tv::Map(p) if p.is_empty() => out.push_str("{}"),
        Tv::Map(pairs) => {
            let entries: Vec<(std::borrow::Cow<str>, &Value, bool)> = pairs
                .iter()
                .map(|(k, x)| (hcl_key_cow(key_str(k)), x, tv_hcl_multiline(x)))
                .collect();
            out.push_str("{\n");
            write_attrs(&entries, indent + 2, out, |x, indent, out| {
                tv_hcl(x, indent, out)
            })?;
            push_pad(out, indent);
            out.push('}');
        }
    }
    Some(())
}

/// Whether a template value's HCL spans several lines (a value of another
/// shape answers anything: writing it fails and the caller converts to JSON).
fn tv_hcl_multiline(v: &Value) -> bool {
    use minijinja::value::ValueKind;
    match v.kind() {
        ValueKind::Map => v.len().is_some_and(|n| n > 0),
        ValueKind::Seq | ValueKind::Iterable => match v.downcast_object_ref::<Vec<Value>>() {
            Some(items) => items.iter().any(tv_hcl_multiline),
            None => v
                .try_iter()
                .is_ok_and(|mut items| items.any(|x| tv_hcl_multiline(&x))),
        },
        _ => false,
    }
}

/// A map key: bare when it is a plain identifier (and no keyword), else quoted
/// with every non-ASCII character escaped (`\u00e9`, `\U0001f680`), so that its
/// width is its length: `terraform fmt` aligns `=` by grapheme clusters, which
/// only ASCII makes countable without a Unicode segmentation table.
pub fn hcl_key(k: &str) -> String {
    hcl_key_cow(k).into_owned()
}

fn hcl_key_cow(k: &str) -> std::borrow::Cow<'_, str> {
    let mut chars = k.chars();
    let ident = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(k, "true" | "false" | "null" | "for" | "in" | "if");
    if ident {
        return std::borrow::Cow::Borrowed(k);
    }
    let q = hcl_string(k);
    if q.is_ascii() {
        return q.into();
    }
    q.chars()
        .map(|c| match c as u32 {
            0..=0x7f => c.to_string(),
            n @ 0x80..=0xffff => format!("\\u{n:04x}"),
            n => format!("\\U{n:08x}"),
        })
        .collect::<String>()
        .into()
}

fn hcl_number(n: &serde_json::Number) -> String {
    if let Some(f) = n.as_f64()
        && !n.is_i64()
        && !n.is_u64()
        && f.fract() == 0.0
        && f.abs() < 1e15
    {
        return format!("{}", f as i64);
    }
    n.to_string()
}

/// `s` as a quoted HCL string that Terraform reads back exactly.
pub fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_hcl_string(&mut out, s);
    out
}

fn push_hcl_string(out: &mut String, s: &str) {
    let plain = s
        .bytes()
        .all(|b| b >= 0x20 && !matches!(b, 0x7f | b'"' | b'\\'))
        && !s.contains("${")
        && !s.contains("%{");
    if plain {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' | '%' if chars.peek() == Some(&'{') => {
                // `${` and `%{` open template sequences; doubling the sigil escapes them.
                out.push(c);
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Any value as the YAML that follows `key:` in a block document: ` scalar`,
/// ` {}` / ` []`, or a newline and a block (maps and lists) indented by
/// `indent` spaces. Strings are double-quoted like [`yaml_str`]; map keys are
/// plain where that is unambiguous. Template: `labels:{{ labels | yaml_value(2) }}`.
pub fn yaml_value(v: Value, indent: Option<u32>) -> Result<String, Error> {
    let j = to_json(&v)?;
    let mut out = String::new();
    yaml_emit(&j, indent.unwrap_or(2) as usize, &mut out);
    Ok(out)
}

fn yaml_pad(out: &mut String, n: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', n));
}

/// A map key: plain when it cannot be read as anything but that string.
fn yaml_key(k: &str) -> String {
    let plain = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain { k.to_string() } else { yaml_quote(k) }
}

fn yaml_scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => yaml_quote(s),
        serde_json::Value::Object(_) => "{}".into(),
        serde_json::Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// Emit `v` as it follows `key:`; nested content is indented by `indent`.
fn yaml_emit(v: &serde_json::Value, indent: usize, out: &mut String) {
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                yaml_pad(out, indent);
                out.push_str(&yaml_key(k));
                out.push(':');
                yaml_emit(x, indent + 2, out);
            }
        }
        serde_json::Value::Array(a) if !a.is_empty() => {
            for x in a {
                yaml_pad(out, indent);
                out.push('-');
                yaml_item(x, indent + 2, out);
            }
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar));
        }
    }
}

/// Emit a list item after `-`; its continuation lines are indented by `indent`.
fn yaml_item(v: &serde_json::Value, indent: usize, out: &mut String) {
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => {
            for (i, (k, x)) in m.iter().enumerate() {
                if i == 0 {
                    out.push(' ');
                } else {
                    yaml_pad(out, indent);
                }
                out.push_str(&yaml_key(k));
                out.push(':');
                yaml_emit(x, indent + 2, out);
            }
        }
        serde_json::Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                if i == 0 {
                    out.push(' ');
                } else {
                    yaml_pad(out, indent);
                }
                out.push('-');
                yaml_item(x, indent + 2, out);
            }
        }
        scalar => yaml_emit(scalar, indent, out),
    }
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

/// Double-quote `s` for Kconfig (see [`kconfig_str`]).
pub fn kconfig_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use super::super::test_values::json_value;

    /// The writers as they were before they wrote into one buffer: the
    /// reference the faster ones must match byte for byte.
    mod oracle {
        use super::super::{hcl_number, hcl_string, yaml_quote};

        pub(super) fn yaml_scalar_str(s: &str) -> String {
            let mut chars = s.chars();
            // A letter or `/` first (numbers, `.inf`, `-`, `~`, indicators need quotes),
            // or `../` (a relative path); then only characters that never mean anything.
            let first_ok = s.starts_with("../")
                || chars
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '/');
            let plain = first_ok
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-' | '~'))
                && !matches!(
                    s.to_ascii_lowercase().as_str(),
                    "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
                );
            if plain { s.to_string() } else { yaml_quote(s) }
        }

        /// A JSON value as one-line YAML (see [`yaml`]).
        pub(super) fn yaml_flow(v: &serde_json::Value) -> String {
            use serde_json::Value as J;
            match v {
                J::String(s) => yaml_scalar_str(s),
                J::Array(a) => {
                    let items: Vec<String> = a.iter().map(yaml_flow).collect();
                    format!("[{}]", items.join(", "))
                }
                J::Object(m) => {
                    let items: Vec<String> = m
                        .iter()
                        .map(|(k, x)| format!("{}: {}", yaml_scalar_str(k), yaml_flow(x)))
                        .collect();
                    format!("{{{}}}", items.join(", "))
                }
                other => other.to_string(),
            }
        }

        /// A JSON value as the rest of a `key:` or `-` line (see [`yaml_block`]).
        pub(super) fn yaml_after_key(v: &serde_json::Value, indent: usize) -> String {
            use serde_json::Value as J;
            match v {
                J::Object(m) if !m.is_empty() => format!("\n{}", yaml_block_lines(v, indent)),
                J::Array(a) if !a.is_empty() => format!("\n{}", yaml_block_lines(v, indent)),
                other => format!(" {}", yaml_flow(other)),
            }
        }

        /// A non-empty map or list as block YAML lines at `indent` (no final newline);
        /// scalars and empty collections as one flow line.
        pub(super) fn yaml_block_lines(v: &serde_json::Value, indent: usize) -> String {
            use serde_json::Value as J;
            let pad = " ".repeat(indent);
            let mut lines: Vec<String> = Vec::new();
            match v {
                J::Object(m) if !m.is_empty() => {
                    for (k, x) in m {
                        lines.push(format!(
                            "{pad}{}:{}",
                            yaml_scalar_str(k),
                            yaml_after_key(x, indent + 2)
                        ));
                    }
                }
                J::Array(a) if !a.is_empty() => {
                    for x in a {
                        match x {
                            J::Object(m) if !m.is_empty() => {
                                // The first key goes after the dash; the rest align with it.
                                let inner = yaml_block_lines(x, indent + 2);
                                lines.push(format!("{pad}- {}", &inner[indent + 2..]));
                            }
                            J::Array(i) if !i.is_empty() => {
                                lines.push(format!("{pad}-\n{}", yaml_block_lines(x, indent + 2)));
                            }
                            _ => lines.push(format!("{pad}- {}", yaml_flow(x))),
                        }
                    }
                }
                other => lines.push(format!("{pad}{}", yaml_flow(other))),
            }
            lines.join("\n")
        }

        pub(super) fn hcl_value(v: &serde_json::Value, indent: usize) -> String {
            use serde_json::Value as J;
            match v {
                J::Null => "null".into(),
                J::Bool(b) => b.to_string(),
                J::Number(n) => hcl_number(n),
                J::String(s) => hcl_string(s),
                J::Array(a) => {
                    let items: Vec<String> = a.iter().map(|x| hcl_value(x, indent)).collect();
                    format!("[{}]", items.join(", "))
                }
                J::Object(m) if m.is_empty() => "{}".into(),
                J::Object(m) => {
                    let mut out = String::from("{\n");
                    hcl_attrs(m, indent + 2, &mut out);
                    out.push_str(&" ".repeat(indent));
                    out.push('}');
                    out
                }
            }
        }

        /// Attributes of a body at `indent`, each line ending in a newline. Runs of
        /// one-line attributes have their `=` aligned; an attribute whose value spans
        /// several lines stands alone (that is what `terraform fmt` does).
        pub(super) fn hcl_attrs(
            m: &serde_json::Map<String, serde_json::Value>,
            indent: usize,
            out: &mut String,
        ) {
            let pad = " ".repeat(indent);
            let rendered: Vec<(String, String)> = m
                .iter()
                .map(|(k, x)| (hcl_key(k), hcl_value(x, indent)))
                .collect();
            let mut i = 0;
            while i < rendered.len() {
                if rendered[i].1.contains('\n') {
                    let (k, x) = &rendered[i];
                    out.push_str(&format!("{pad}{k} = {x}\n"));
                    i += 1;
                    continue;
                }
                let mut j = i;
                while j < rendered.len() && !rendered[j].1.contains('\n') {
                    j += 1;
                }
                let width = rendered[i..j]
                    .iter()
                    .map(|(k, _)| k.chars().count())
                    .max()
                    .unwrap_or(0);
                for (k, x) in &rendered[i..j] {
                    let spaces = " ".repeat(width - k.chars().count());
                    out.push_str(&format!("{pad}{k}{spaces} = {x}\n"));
                }
                i = j;
            }
        }

        /// A map key: bare when it is a plain identifier (and no keyword), else quoted
        /// with every non-ASCII character escaped (`\u00e9`, `\U0001f680`), so that its
        /// width is its length: `terraform fmt` aligns `=` by grapheme clusters, which
        /// only ASCII makes countable without a Unicode segmentation table.
        pub(super) fn hcl_key(k: &str) -> String {
            let mut chars = k.chars();
            let ident = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !matches!(k, "true" | "false" | "null" | "for" | "in" | "if");
            if ident {
                return k.to_string();
            }
            let q = hcl_string(k);
            if q.is_ascii() {
                return q;
            }
            q.chars()
                .map(|c| match c as u32 {
                    0..=0x7f => c.to_string(),
                    n @ 0x80..=0xffff => format!("\\u{n:04x}"),
                    n => format!("\\U{n:08x}"),
                })
                .collect()
        }
    }

    /// Maps and lists the writers cannot borrow (other object types) are
    /// written the same.
    #[test]
    fn other_map_and_list_objects() {
        let m: std::collections::BTreeMap<String, Vec<u32>> =
            [("b".to_string(), vec![1, 2]), ("a x".to_string(), vec![])].into();
        let j = serde_json::to_value(&m).unwrap();
        let t = Value::from_object(m);
        assert_eq!(yaml_block(t.clone(), 2).unwrap(), yaml_after_key(&j, 2));
        assert_eq!(yaml(t.clone()).unwrap(), yaml_flow(&j));
        assert_eq!(hcl(t, Some(2)).unwrap(), hcl_value(&j, 2));
        let it = Value::make_iterable(|| (0..3u32).map(Value::from));
        assert_eq!(yaml(it).unwrap(), "[0, 1, 2]");
    }

    proptest! {
        /// The writers over template values write what the JSON writers write.
        #[test]
        fn template_value_writers_match_json_writers(v in json_value(), indent in 0usize..6) {
            let t = Value::from(minijinja::value::Serde(&v));
            prop_assert_eq!(yaml_after_key(&v, indent), oracle::yaml_after_key(&v, indent));
            prop_assert_eq!(yaml_block_lines(&v, indent), oracle::yaml_block_lines(&v, indent));
            prop_assert_eq!(yaml_flow(&v), oracle::yaml_flow(&v));
            prop_assert_eq!(hcl_value(&v, indent), oracle::hcl_value(&v, indent));
            prop_assert_eq!(yaml_block(t.clone(), indent).unwrap(), yaml_after_key(&v, indent));
            prop_assert_eq!(yaml(t.clone()).unwrap(), yaml_flow(&v));
            prop_assert_eq!(hcl(t.clone(), Some(indent)).unwrap(), hcl_value(&v, indent));
        }
    }

    #[test]
    fn yaml_quote_round_trips() {
        for s in [
            "plain",
            "a\"b",
            "back\\slash",
            "nl\nx",
            "tab\t",
            "${X}",
            "#c",
            "yes",
            "ü🚀",
            "\u{85}\u{2028}",
            "\u{1}",
        ] {
            let q = yaml_quote(s);
            let back: String = serde_yaml::from_str(&q).unwrap();
            assert_eq!(back, s, "{q}");
        }
    }

    #[test]
    fn yaml_scalars_are_plain_only_when_unambiguous() {
        assert_eq!(yaml_scalar_str("devai"), "devai");
        assert_eq!(
            yaml_scalar_str("app.kubernetes.io/name"),
            "app.kubernetes.io/name"
        );
        assert_eq!(yaml_scalar_str("/spec/x~1y"), "/spec/x~1y");
        assert_eq!(yaml_scalar_str("/spec/containers/0"), "/spec/containers/0");
        assert_eq!(yaml_scalar_str("../../base"), "../../base");
        for s in [
            "yes", "No", "on", "null", "1.0", "1e3", "0x1F", "", " a", "a b", "a:b", "#x", "true",
            "~", ".inf", ".5", "-1", "./x",
        ] {
            assert!(yaml_scalar_str(s).starts_with('"'), "{s}");
        }
    }

    #[test]
    fn yaml_block_round_trips() {
        let v = serde_json::json!({
            "labels": {"app.kubernetes.io/name": "x", "yes": "no", "n": "1.0"},
            "list": ["a", {"k": "v", "k2": ["x", "y"], "e": {}}, [], ["nested"], 3, true, null],
            "hostile": "\"'$${X}$$$(c)#= \\\n\t%{ü🚀 ",
            "empty": {}
        });
        let text = format!("root:{}\n", yaml_after_key(&v, 2));
        let back: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back["root"], v, "{text}");
        let flow = format!("root: {}\n", yaml_flow(&v));
        let back: serde_json::Value = serde_yaml::from_str(&flow).unwrap();
        assert_eq!(back["root"], v, "{flow}");
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
    fn hcl_strings_escape_templates_and_controls() {
        assert_eq!(
            hcl_string("${x} %{if} $${y} 100% $"),
            r#""$${x} %%{if} $$${y} 100% $""#
        );
        assert_eq!(hcl_string("q\"b\\n\n\t\u{1}é"), r#""q\"b\\n\n\t\u0001é""#);
        assert_eq!(hcl_key("team"), "team");
        assert_eq!(
            hcl_key("app.kubernetes.io/part-of"),
            r#""app.kubernetes.io/part-of""#
        );
        assert_eq!(hcl_key("for"), r#""for""#);
        assert_eq!(hcl_key("1x"), r#""1x""#);
        assert_eq!(hcl_key("日本"), r#""\u65e5\u672c""#);
        assert_eq!(hcl_key("🚀"), r#""\U0001f680""#);
    }

    #[test]
    fn hcl_values_are_laid_out_like_terraform_fmt() {
        let v = serde_json::json!({
            "a": 1, "bbb": "x", "m": {"k": [1, 2.5, true, null]}, "cc": {}, "d": 2.0
        });
        assert_eq!(
            hcl_value(&v, 0),
            "{\n  a   = 1\n  bbb = \"x\"\n  m = {\n    k = [1, 2.5, true, null]\n  }\n  cc = {}\n  d  = 2\n}"
        );
    }

    #[test]
    fn yaml_flow_round_trips() {
        let v = serde_json::json!({"a b": ["yes", 1, null, {"#": "x: y"}], "n": 1.5});
        let y = yaml(Value::from(minijinja::value::Serde(&v))).unwrap();
        let back: serde_json::Value = serde_yaml::from_str(&y).unwrap();
        assert_eq!(back, v, "{y}");
    }

    #[test]
    fn kconfig_quote_escapes_quotes_backslashes_dollars_and_controls() {
        assert_eq!(kconfig_quote("us-east-1"), "\"us-east-1\"");
        assert_eq!(
            kconfig_quote("a\"b\\c$(shell rm)\nd"),
            "\"a\\\"b\\\\c\\$(shell rm) d\""
        );
    }

    fn mv<T: serde::Serialize>(t: T) -> Value {
        Value::from(minijinja::value::Serde(t))
    }

    #[test]
    fn yaml_value_round_trips() {
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
            let back: serde_json::Value = serde_yaml::from_str(&text).unwrap();
            assert_eq!(back["root"], v, "{text}");
        }
        assert_eq!(yaml_value(mv(serde_json::json!({})), None).unwrap(), " {}");
        assert_eq!(
            yaml_value(mv(serde_json::json!({"a": ["b"]})), Some(2)).unwrap(),
            "\n  a:\n    - \"b\""
        );
    }
}
