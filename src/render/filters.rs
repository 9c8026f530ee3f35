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
}
