//! The HCL writer: every HCL devgen writes (the `hcl` and `hcl_body` filters,
//! so the `tfvars` target) goes through here, laid out as `terraform fmt`
//! lays it out.
use std::borrow::Cow;

use serde_json::{Map, Number, Value as J};

use super::node::Node;

/// `v` as an HCL expression whose first line continues a line indented by
/// `indent` spaces. Strings: `"…"` with `\\`, `\"`, `\n`, `\r`, `\t`, `\uNNNN`
/// (other control characters) escaped and the template sequences `${` → `$${`,
/// `%{` → `%%{`; lists on one line; non-empty maps over several lines with keys
/// quoted unless they are plain identifiers; whole numbers without a fraction.
pub fn value(v: &J, indent: usize) -> String {
    let mut out = String::new();
    write(&Node::json(v), indent, &mut out);
    out
}

/// [`value`] of a node into `out` (`None`: a template value of a shape
/// [`Node::template`] does not take; `out` then holds a partial value).
pub fn write(n: &Node, indent: usize, out: &mut String) -> Option<()> {
    match n {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Num(x) => push_number(out, x),
        Node::Str(s) => push_string(out, s),
        Node::Seq(items) => {
            out.push('[');
            items.each(|i, x| {
                if i > 0 {
                    out.push_str(", ");
                }
                write(&x, indent, out)
            })?;
            out.push(']');
        }
        Node::Map(e) if e.is_empty() => out.push_str("{}"),
        Node::Map(_) => {
            out.push_str("{\n");
            attrs(n, indent + 2, out)?;
            super::pad(out, indent);
            out.push('}');
        }
    }
    Some(())
}

/// Whether a node's HCL spans several lines (it holds a non-empty map).
fn multiline(n: &Node) -> bool {
    match n {
        Node::Map(e) => !e.is_empty(),
        Node::Seq(items) => {
            let mut any = false;
            // A value of another shape answers anything: writing it fails.
            let _ = items.each(|_, x| {
                any = multiline(&x);
                if any { None } else { Some(()) }
            });
            any
        }
        _ => false,
    }
}

/// The attributes of the map `n` as the lines of a body at `indent`, each
/// ending in a newline. Runs of one-line attributes have their `=` aligned;
/// an attribute whose value spans several lines stands alone (that is what
/// `terraform fmt` does). Anything but a map writes nothing.
pub fn attrs(n: &Node, indent: usize, out: &mut String) -> Option<()> {
    let Node::Map(entries) = n else {
        return Some(());
    };
    let mut rows: Vec<Row> = Vec::with_capacity(entries.len());
    entries.each(|_, k, x| {
        let key = key(k);
        rows.push(Row {
            width: width(&key),
            multiline: multiline(&x),
            key,
            value: x,
        });
        Some(())
    })?;
    let mut i = 0;
    while i < rows.len() {
        // A run of one-line attributes (or one that spans lines on its own).
        let j = if rows[i].multiline {
            i + 1
        } else {
            i + rows[i..].iter().take_while(|r| !r.multiline).count()
        };
        let width = rows[i..j].iter().map(|r| r.width).max().unwrap_or(0);
        for (k, r) in rows[i..j].iter().enumerate() {
            let start = out.len();
            super::pad(out, indent);
            out.push_str(&r.key);
            super::pad(out, width - r.width);
            out.push_str(" = ");
            write(&r.value, indent, out)?;
            out.push('\n');
            if i + k == 0 {
                reserve_like_first(out, out.len() - start, rows.len() - 1);
            }
        }
        i = j;
    }
    Some(())
}

/// After the first attribute of a body (`first` bytes long), room for the
/// `rest` as long as it (at most [`RESERVE_AT_MOST`]): the attributes of a
/// large body are alike (one per service), and growing it by doubling
/// copies it over and over.
fn reserve_like_first(out: &mut String, first: usize, rest: usize) {
    out.reserve(first.saturating_mul(rest).min(RESERVE_AT_MOST));
}

/// The most [`reserve_like_first`] reserves at once.
const RESERVE_AT_MOST: usize = 1 << 20;

/// One attribute of a body being laid out by [`attrs`].
struct Row<'a> {
    /// The key as written ([`key`]).
    key: Cow<'a, str>,
    /// Its width in columns.
    width: usize,
    value: Node<'a>,
    /// Whether the value spans several lines.
    multiline: bool,
}

/// The width of a written key in columns (its length: [`key`] writes ASCII
/// only, bare keys aside, which are ASCII too; chars counted to be safe).
fn width(k: &str) -> usize {
    if k.is_ascii() {
        k.len()
    } else {
        k.chars().count()
    }
}

/// A JSON map as the lines of a body at `indent` (see [`attrs`]).
pub fn body(m: &Map<String, J>, indent: usize) -> String {
    let mut out = String::new();
    attrs(&Node::Map(super::node::Entries::Json(m)), indent, &mut out);
    out
}

/// A map key: bare when it is a plain identifier (and no keyword), else quoted
/// with every non-ASCII character escaped (`\u00e9`, `\U0001f680`), so that its
/// width is its length: `terraform fmt` aligns `=` by grapheme clusters, which
/// only ASCII makes countable without a Unicode segmentation table.
pub fn key(k: &str) -> Cow<'_, str> {
    if is_identifier(k) {
        return Cow::Borrowed(k);
    }
    let q = string(k);
    if q.is_ascii() {
        return q.into();
    }
    let mut ascii = String::with_capacity(q.len() + 8);
    for c in q.chars() {
        match c as u32 {
            0..=0x7f => ascii.push(c),
            n @ 0x80..=0xffff => ascii.push_str(&format!("\\u{n:04x}")),
            n => ascii.push_str(&format!("\\U{n:08x}")),
        }
    }
    ascii.into()
}

/// Whether `k` can be written bare: a plain ASCII identifier that is no keyword.
fn is_identifier(k: &str) -> bool {
    let b = k.as_bytes();
    matches!(b.first(), Some(c) if c.is_ascii_alphabetic() || *c == b'_')
        && b.iter().all(|&c| IDENTIFIER_BYTE[c as usize])
        && !matches!(k, "true" | "false" | "null" | "for" | "in" | "if")
}

/// Which bytes an identifier is made of (ASCII letters, digits, `_`): a
/// table, as every key of every map written is checked byte by byte.
const IDENTIFIER_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        table[i] = c.is_ascii_alphanumeric() || c == b'_';
        i += 1;
    }
    table
};

/// A number; a whole float without its fraction (`2.0` → `2`).
fn push_number(out: &mut String, n: &Number) {
    use std::fmt::Write;
    if let Some(u) = n.as_u64() {
        super::push_digits(out, u);
    } else if let Some(i) = n.as_i64() {
        // Not a u64: negative.
        out.push('-');
        super::push_digits(out, i.unsigned_abs());
    } else if let Some(f) = n.as_f64()
        && f.fract() == 0.0
        && f.abs() < 1e15
    {
        let _ = write!(out, "{}", f as i64);
    } else {
        let _ = write!(out, "{n}");
    }
}

/// `s` as a quoted HCL string that Terraform reads back exactly.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_string(&mut out, s);
    out
}

/// [`string`] into `out`.
pub fn push_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    if needs_escaping(s) {
        push_escaped(out, s);
    } else {
        out.push_str(s);
    }
    out.push('"');
}

/// Whether [`push_string`] has anything to escape in `s`: a control
/// character, `"`, `\\`, or a template sequence `${` / `%{`. One pass over
/// the bytes: most strings have none and are copied as they are.
fn needs_escaping(s: &str) -> bool {
    let b = s.as_bytes();
    // No early exit: a branch-free pass over a short string is cheaper.
    let special = b.iter().fold(false, |any, &c| {
        any | (c < 0x20) | (c == 0x7f) | (c == b'"') | (c == b'\\')
    });
    special || (b.contains(&b'{') && b.windows(2).any(|w| matches!(w, [b'$' | b'%', b'{'])))
}

/// The body of [`push_string`] for a string with something to escape.
fn push_escaped(out: &mut String, s: &str) {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_escape_templates_and_controls() {
        assert_eq!(
            string("${x} %{if} $${y} 100% $"),
            r#""$${x} %%{if} $$${y} 100% $""#
        );
        assert_eq!(string("q\"b\\n\n\t\u{1}é"), r#""q\"b\\n\n\t\u0001é""#);
        assert_eq!(key("team"), "team");
        assert_eq!(
            key("app.kubernetes.io/part-of"),
            r#""app.kubernetes.io/part-of""#
        );
        assert_eq!(key("for"), r#""for""#);
        assert_eq!(key("1x"), r#""1x""#);
        assert_eq!(key("日本"), r#""\u65e5\u672c""#);
        assert_eq!(key("🚀"), r#""\U0001f680""#);
    }

    #[test]
    fn values_are_laid_out_like_terraform_fmt() {
        let v = json!({
            "a": 1, "bbb": "x", "m": {"k": [1, 2.5, true, null]}, "cc": {}, "d": 2.0
        });
        assert_eq!(
            value(&v, 0),
            "{\n  a   = 1\n  bbb = \"x\"\n  m = {\n    k = [1, 2.5, true, null]\n  }\n  cc = {}\n  d  = 2\n}"
        );
        let numbers = json!([-3, u64::MAX, i64::MIN, 1e20, -2.0, 0.5, 0, 10, -10]);
        assert_eq!(
            value(&numbers, 0),
            "[-3, 18446744073709551615, -9223372036854775808, 1e+20, -2, 0.5, 0, 10, -10]"
        );
        assert_eq!(string("{a} a$ %"), r#""{a} a$ %""#);
    }

    #[test]
    fn a_body_makes_room_for_the_rest_like_its_first_attribute() {
        // 100 attributes of one length: after the first, one reservation
        // holds them all (growing by doubling would leave spare capacity).
        let services: Map<String, J> = (0..100)
            .map(|i| (format!("svc-{i:03}"), json!({"image": "x:1", "cpu": 1})))
            .collect();
        let text = body(&services, 2);
        let first = text.find("  \"svc-001\"").unwrap();
        assert_eq!(text.len(), 100 * first, "attributes of one length");
        assert_eq!(text.capacity(), text.len());
        // At most RESERVE_AT_MOST at once, whatever the first one's length.
        let mut out = String::from("x");
        reserve_like_first(&mut out, usize::MAX, 2);
        assert!(out.capacity() <= 1 + RESERVE_AT_MOST + 64);
    }
}
