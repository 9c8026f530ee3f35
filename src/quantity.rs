//! Kubernetes quantities: `500m`, `2`, `0.5` (CPU) and `512Mi`, `4Gi`, `1G` (bytes).
use serde_json::Value;

/// Parse a CPU quantity into millicores.
pub fn parse_cpu(v: &Value) -> Result<u64, String> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return Err("a CPU quantity must be a number or a string like `500m`".into()),
    };
    let bad = || format!("`{text}` is not a CPU quantity (e.g. `500m`, `2`, `0.5`)");
    let (num, milli) = match text.strip_suffix('m') {
        Some(n) => (n, true),
        None => (text.as_str(), false),
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad());
    }
    let f: f64 = num.parse().map_err(|_| bad())?;
    let millis = if milli { f } else { f * 1000.0 };
    if millis.fract() != 0.0 && milli {
        return Err(format!("`{text}`: millicores must be whole"));
    }
    let m = millis.round();
    if m <= 0.0 {
        return Err(format!("`{text}`: CPU must be more than zero"));
    }
    if m > 1e12 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(m as u64)
}

/// Parse a memory quantity into bytes (a unit is required: a bare number is
/// an error whose hint suggests `Mi`).
pub fn parse_bytes(v: &Value) -> Result<u64, String> {
    parse_size(v, "Mi")
}

/// Parse a storage quantity into bytes (a unit is required: a bare number is
/// an error whose hint suggests `Gi`).
pub fn parse_storage(v: &Value) -> Result<u64, String> {
    parse_size(v, "Gi")
}

/// Parse a memory/storage quantity into bytes. A bare number (`4096`) is
/// refused: it would silently mean bytes; `likely_unit` is the suggestion.
fn parse_size(v: &Value, likely_unit: &str) -> Result<u64, String> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return Err("a size must be a string with a unit, like `4Gi`".into()),
    };
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!(
            "`{text}` has no unit (a bare number would mean bytes): did you mean `{text}{likely_unit}`?"
        ));
    }
    let bad = || format!("`{text}` is not a Kubernetes quantity (e.g. `512Mi`, `4Gi`, `1.5Gi`)");
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (num, suffix) = text.split_at(split);
    if num.is_empty() {
        return Err(bad());
    }
    let f: f64 = num.parse().map_err(|_| bad())?;
    let mult: f64 = match suffix {
        "" => 1.0,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..].parse().map_err(|_| bad())?;
            10f64.powi(exp)
        }
        _ => {
            let hint = match suffix.to_ascii_lowercase().as_str() {
                "gb" | "g" | "gib" => " (did you mean `Gi`?)",
                "mb" | "m" | "mib" => " (did you mean `Mi`?)",
                "kb" | "kib" => " (did you mean `Ki`?)",
                "tb" | "tib" => " (did you mean `Ti`?)",
                _ => "",
            };
            return Err(format!("{}{hint}", bad()));
        }
    };
    let bytes = (f * mult).round();
    if bytes <= 0.0 {
        return Err(format!("`{text}` must be more than zero"));
    }
    if bytes > 9.0e18 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(bytes as u64)
}

/// Millicores as Compose `cpus` (`0.5`, `2`).
pub fn cpus_decimal(millis: u64) -> String {
    let whole = millis / 1000;
    let frac = millis % 1000;
    if frac == 0 {
        whole.to_string()
    } else {
        let f = format!("{frac:03}");
        format!("{whole}.{}", f.trim_end_matches('0'))
    }
}

/// Bytes as whole MiB (rounded up).
pub fn mib(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024)
}

/// Bytes as whole GiB (rounded up).
pub fn gib(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024 * 1024)
}

/// Bytes as a Compose `mem_limit` (`4g`, `512m`, `1536m`, or plain bytes).
pub fn compose_mem(bytes: u64) -> String {
    const G: u64 = 1024 * 1024 * 1024;
    const M: u64 = 1024 * 1024;
    const K: u64 = 1024;
    if bytes.is_multiple_of(G) {
        format!("{}g", bytes / G)
    } else if bytes.is_multiple_of(M) {
        format!("{}m", bytes / M)
    } else if bytes.is_multiple_of(K) {
        format!("{}k", bytes / K)
    } else {
        format!("{bytes}b")
    }
}

/// An integer written either way YAML allows for one: `3`, or `3.0` (a
/// float with no fraction, which the schema's `integer` also accepts).
pub fn whole_number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        // Within ±2^53 every integer is exact in an f64.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= EXACT)
            .map(|f| f as i64)
    })
}

/// A port given by name (of `ports`) or number.
pub fn resolve_port(
    ports: &indexmap::IndexMap<String, u16>,
    v: &Value,
) -> Option<(u16, Option<String>)> {
    match v {
        Value::String(name) => ports.get(name).map(|p| (*p, Some(name.clone()))),
        other => {
            let n = u16::try_from(whole_number(other)?)
                .ok()
                .filter(|n| *n > 0)?;
            let name = ports.iter().find(|(_, p)| **p == n).map(|(k, _)| k.clone());
            Some((n, name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cpu() {
        assert_eq!(parse_cpu(&json!("500m")).unwrap(), 500);
        assert_eq!(parse_cpu(&json!("2")).unwrap(), 2000);
        assert_eq!(parse_cpu(&json!(0.5)).unwrap(), 500);
        assert_eq!(parse_cpu(&json!(4)).unwrap(), 4000);
        assert_eq!(parse_cpu(&json!("0.25")).unwrap(), 250);
        for bad in [
            json!("2 cores"),
            json!("m"),
            json!("-1"),
            json!("0"),
            json!(true),
            json!("1.5m"),
        ] {
            assert!(parse_cpu(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes(&json!("4Gi")).unwrap(), 4 << 30);
        assert_eq!(parse_bytes(&json!("512Mi")).unwrap(), 512 << 20);
        assert_eq!(parse_bytes(&json!("1.5Gi")).unwrap(), 3 << 29);
        assert_eq!(parse_bytes(&json!("1G")).unwrap(), 1_000_000_000);
        assert_eq!(parse_bytes(&json!("1e3")).unwrap(), 1000);
        let e = parse_bytes(&json!(4096)).unwrap_err();
        assert!(e.contains("did you mean `4096Mi`?"), "{e}");
        let e = parse_storage(&json!("100")).unwrap_err();
        assert!(e.contains("did you mean `100Gi`?"), "{e}");
        let e = parse_bytes(&json!("4GB")).unwrap_err();
        assert!(e.contains("did you mean `Gi`"), "{e}");
        for bad in [
            json!("Gi"),
            json!("4 Gi"),
            json!("0"),
            json!("1.2.3Gi"),
            json!([]),
        ] {
            assert!(parse_bytes(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(cpus_decimal(500), "0.5");
        assert_eq!(cpus_decimal(2000), "2");
        assert_eq!(cpus_decimal(1250), "1.25");
        assert_eq!(compose_mem(4 << 30), "4g");
        assert_eq!(compose_mem(1536 << 20), "1536m");
        assert_eq!(mib(1_000_000_000), 954);
        assert_eq!(gib(50 << 30), 50);
    }
}
