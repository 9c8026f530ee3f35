//! Template filters, one per output syntax, plus quantity conversions.
//!
//! Escaping lives here, in Rust, so templates stay readable.
use minijinja::{Environment, Error, ErrorKind, Value};

/// Register every filter on `env`.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("json", json);
    env.add_filter("yaml_str", yaml_str);
    env.add_filter("yaml", yaml);
    env.add_filter("yaml_block", yaml_block);
    env.add_filter("cpus", cpus);
    env.add_filter("compose_mem", compose_mem);
    env.add_filter("mib", mib);
    env.add_filter("gib", gib);
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

/// Any value as YAML on one line: a scalar plain when no YAML reader can
/// misread it (`devai`, `app.kubernetes.io/name`), else double-quoted; maps and
/// lists in flow style (`{a: b}`, `[x, y]`).
pub fn yaml(v: Value) -> Result<String, Error> {
    Ok(yaml_flow(&to_json(&v)?))
}

/// A value as the rest of a `key:` line in block YAML: ` scalar`, ` {}` or
/// ` []` when empty, otherwise a newline and the block indented by `indent`.
/// Template use: `labels:{{ labels|yaml_block(4) }}`.
pub fn yaml_block(v: Value, indent: usize) -> Result<String, Error> {
    Ok(yaml_after_key(&to_json(&v)?, indent))
}

/// A string plain when that is unambiguous in YAML 1.1 and 1.2, else quoted.
pub fn yaml_scalar_str(s: &str) -> String {
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
pub fn yaml_flow(v: &serde_json::Value) -> String {
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
pub fn yaml_after_key(v: &serde_json::Value, indent: usize) -> String {
    use serde_json::Value as J;
    match v {
        J::Object(m) if !m.is_empty() => format!("\n{}", yaml_block_lines(v, indent)),
        J::Array(a) if !a.is_empty() => format!("\n{}", yaml_block_lines(v, indent)),
        other => format!(" {}", yaml_flow(other)),
    }
}

/// A non-empty map or list as block YAML lines at `indent` (no final newline);
/// scalars and empty collections as one flow line.
pub fn yaml_block_lines(v: &serde_json::Value, indent: usize) -> String {
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
}
