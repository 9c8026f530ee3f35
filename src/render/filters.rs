//! Template filters, one per output syntax, plus quantity conversions.
//!
//! Escaping lives here, in Rust, so templates stay readable.
use minijinja::{Environment, Error, ErrorKind, Value};

/// Register every filter on `env`.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("json", json);
    env.add_filter("yaml_str", yaml_str);
    env.add_filter("cpus", cpus);
    env.add_filter("compose_mem", compose_mem);
    env.add_filter("mib", mib);
    env.add_filter("gib", gib);
    env.add_filter("yaml_value", yaml_value);
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
    out
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

#[cfg(test)]
mod tests {
    use super::*;

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
