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

fn scalar_text(v: &Value, filter: &str) -> Result<String, Error> {
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
fn hcl_attrs(m: &serde_json::Map<String, serde_json::Value>, indent: usize, out: &mut String) {
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
pub fn hcl_key(k: &str) -> String {
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
