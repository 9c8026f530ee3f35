//! A small YAML emitter for `show`: block style, stable key order, one leaf
//! per line so each can carry a provenance comment.
use serde_json::Value;

use crate::path::ConfigPath;

/// A YAML scalar on one line (quoted where YAML would misread it).
pub fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().any(|c| c.is_control()) || is_yaml11_word(s) => {
            serde_json::to_string(s).expect("string serialises")
        }
        // Containers on one line: JSON is valid YAML flow style.
        Value::Object(_) | Value::Array(_) => serde_json::to_string(v).expect("json"),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim_end_matches('\n').to_string())
            .unwrap_or_else(|_| other.to_string()),
    }
}

/// Words YAML 1.1 readers take for booleans: quote them for every reader.
fn is_yaml11_word(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// Emit `value` as block YAML; `note(path)` may return a comment for a leaf line.
pub fn to_yaml(
    value: &Value,
    base: &ConfigPath,
    note: &dyn Fn(&ConfigPath) -> Option<String>,
) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => emit_map(m, base, 0, note, &mut out),
        Value::Array(a) if !a.is_empty() => emit_seq(a, base, 0, note, &mut out),
        other => {
            out.push_str(&yaml_scalar(other));
            if let Some(n) = note(base) {
                out.push_str(&format!("  # {n}"));
            }
            out.push('\n');
        }
    }
    out
}

fn line(out: &mut String, indent: usize, text: &str, comment: Option<String>) {
    out.push_str(&" ".repeat(indent));
    out.push_str(text);
    if let Some(c) = comment {
        out.push_str("  # ");
        out.push_str(&c);
    }
    out.push('\n');
}

fn emit_map(
    m: &serde_json::Map<String, Value>,
    path: &ConfigPath,
    indent: usize,
    note: &dyn Fn(&ConfigPath) -> Option<String>,
    out: &mut String,
) {
    for (k, v) in m {
        let p = path.key(k);
        let key = yaml_scalar(&Value::String(k.clone()));
        match v {
            Value::Object(c) if !c.is_empty() => {
                line(out, indent, &format!("{key}:"), None);
                emit_map(c, &p, indent + 2, note, out);
            }
            Value::Array(a) if !a.is_empty() => {
                line(out, indent, &format!("{key}:"), note(&p));
                emit_seq(a, &p, indent + 2, &|_| None, out);
            }
            _ => line(out, indent, &format!("{key}: {}", yaml_scalar(v)), note(&p)),
        }
    }
}

fn emit_seq(
    a: &[Value],
    path: &ConfigPath,
    indent: usize,
    note: &dyn Fn(&ConfigPath) -> Option<String>,
    out: &mut String,
) {
    for (i, v) in a.iter().enumerate() {
        let p = path.index(i);
        match v {
            Value::Object(c) if !c.is_empty() => {
                let mut inner = String::new();
                emit_map(c, &p, indent + 2, note, &mut inner);
                // First line of the map goes after the dash.
                let body = inner.trim_start_matches(' ');
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                out.push_str(body);
            }
            Value::Array(x) if !x.is_empty() => {
                line(out, indent, "-", note(&p));
                emit_seq(x, &p, indent + 2, note, out);
            }
            _ => line(out, indent, &format!("- {}", yaml_scalar(v)), note(&p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_through_a_yaml_parser() {
        let v = json!({
            "a": {"b": "yes", "c": "1.0", "d": 1.5, "e": true, "f": null},
            "list": ["x", "#y", "a: b", {"k": "v", "k2": [1, 2]}],
            "weird key: #": "line\nbreak\ttab \"q\" \\",
            "empty": {}, "none": [],
            "emoji": "🚀 ünïcode", "dollar": "${X} $$"
        });
        let text = to_yaml(&v, &ConfigPath::root(), &|_| Some("src".into()));
        let back: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
    }
}
