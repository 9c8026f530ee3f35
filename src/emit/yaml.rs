//! The YAML writer: every YAML devgen writes (the `yaml`, `yaml_block`,
//! `yaml_value` and `yaml_str` filters, the `k8s` target's patches, `show`,
//! `explain`, `diff`) goes through here, with one rule for when a string may
//! be written plain ([`plain_ok`]) and one way of quoting ([`quote`]).
//!
//! Layout: block style, two spaces per level; a map that is a list item
//! starts after its `- `; a list that is a list item starts on the line after
//! its `-`; empty maps and lists, and every scalar, in flow style (`{}`, `[]`).
use serde_json::Value as J;

use super::node::Node;
use crate::path::ConfigPath;

/// Whether `s` can be a plain YAML scalar that every reader (YAML 1.1 and
/// 1.2) reads back as this string: a letter or `/` first (numbers, `.inf`,
/// `-`, `~` and indicators need quotes), or `../` (a relative path); then
/// only characters that never mean anything; and no word a reader takes for
/// a boolean or null (`yes`, `off`, `null`, …).
pub fn plain_ok(s: &str) -> bool {
    let first_ok = s.starts_with("../")
        || s.as_bytes()
            .first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'/');
    first_ok && s.bytes().all(|c| PLAIN_BYTE[usize::from(c)]) && !is_bool_or_null_word(s)
}

/// The bytes a plain scalar may hold ([`plain_ok`]): ASCII letters and
/// digits, `.`, `_`, `/`, `-` and `~`.
const PLAIN_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-' | b'~');
        c += 1;
    }
    table
};

/// Whether a reader takes `s` for a boolean or null (`yes`, `Off`, `NULL`, …),
/// whatever its case. The words are at most five bytes long, so longer text
/// (most keys and values) is never compared with them.
fn is_bool_or_null_word(s: &str) -> bool {
    const WORDS: [&str; 9] = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    s.len() <= 5 && WORDS.iter().any(|w| s.eq_ignore_ascii_case(w))
}

/// `s` double-quoted so that every YAML reader reads it back exactly (JSON
/// escapes are valid YAML escapes; NEL, LS, PS and BOM are escaped too since
/// YAML treats them as line breaks or ignores them).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

/// [`quote`] into `out`.
pub fn push_quoted(out: &mut String, s: &str) {
    let simple = s
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\'));
    out.reserve(s.len() + 2);
    out.push('"');
    if simple {
        out.push_str(s);
    } else {
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
    }
    out.push('"');
}

/// A string plain when [`plain_ok`], else quoted.
pub fn scalar_str(s: &str) -> String {
    let mut out = String::new();
    push_str(&mut out, s);
    out
}

fn push_str(out: &mut String, s: &str) {
    if plain_ok(s) {
        out.push_str(s);
    } else {
        push_quoted(out, s);
    }
}

fn push_pad(out: &mut String, n: usize) {
    super::pad(out, n);
}

/// A step of the path from the written value to a node (for [`to_yaml`]'s notes).
enum Step {
    Key(String),
    Index(usize),
}

/// A comment for a leaf line, given the path from the written value to it.
type NoteFn<'n> = dyn FnMut(&[Step]) -> Option<String> + 'n;

/// The YAML writer: block layout into `out`, with optional per-line notes.
pub struct Writer<'o, 'n> {
    out: &'o mut String,
    /// String values always double-quoted (keys still follow [`plain_ok`]).
    quote_values: bool,
    notes: Option<&'n mut NoteFn<'n>>,
}

impl<'o> Writer<'o, 'static> {
    /// A writer appending to `out`; strings plain where [`plain_ok`].
    pub fn new(out: &'o mut String) -> Self {
        Writer {
            out,
            quote_values: false,
            notes: None,
        }
    }

    /// A writer whose string values are always double-quoted (map keys are
    /// plain where [`plain_ok`]): the `yaml_value` filter's style.
    pub fn quoting_values(out: &'o mut String) -> Self {
        Writer {
            out,
            quote_values: true,
            notes: None,
        }
    }
}

/// Where notes stand (a path is only kept while a note may be asked for).
#[derive(Default)]
struct At {
    path: Vec<Step>,
    /// Notes are asked for here (not below a list that is a map value).
    on: bool,
}

impl<'o, 'n> Writer<'o, 'n> {
    fn note(&mut self, at: &At) {
        if !at.on {
            return;
        }
        if let Some(f) = self.notes.as_mut()
            && let Some(n) = f(&at.path)
        {
            self.out.push_str("  # ");
            self.out.push_str(&n);
        }
    }

    /// A scalar (or an empty collection) on one line.
    fn scalar(&mut self, n: &Node, value: bool) {
        let out = &mut *self.out;
        match n {
            Node::Str(s) if value && self.quote_values => push_quoted(out, s),
            Node::Str(s) => push_str(out, s),
            Node::Null => out.push_str("null"),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Num(x) => out.push_str(&x.to_string()),
            Node::Map(_) => out.push_str("{}"),
            Node::Seq(_) => out.push_str("[]"),
        }
    }

    /// `n` on one line in flow style (`{a: b}`, `[x, y]`).
    pub fn flow(&mut self, n: &Node) -> Option<()> {
        match n {
            Node::Seq(items) => {
                self.out.push('[');
                items.each(|i, x| {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.flow(&x)
                })?;
                self.out.push(']');
            }
            Node::Map(entries) => {
                self.out.push('{');
                entries.each(|i, k, x| {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    push_str(self.out, k);
                    self.out.push_str(": ");
                    self.flow(&x)
                })?;
                self.out.push('}');
            }
            scalar => self.scalar(scalar, true),
        }
        Some(())
    }

    /// `n` as the rest of a `key:` line: ` scalar`, ` {}` or ` []` when
    /// empty, otherwise a newline and the block indented by `indent`.
    pub fn after_key(&mut self, n: &Node, indent: usize) -> Option<()> {
        self.after_key_at(n, indent, &mut At::default())
    }

    fn after_key_at(&mut self, n: &Node, indent: usize, at: &mut At) -> Option<()> {
        if matches!(n, Node::Map(_) | Node::Seq(_)) && !n.is_empty_collection() {
            // A list under a key carries its note on the key's line, none below.
            if matches!(n, Node::Seq(_)) {
                self.note(at);
            }
            self.out.push('\n');
            let on = at.on;
            at.on = on && matches!(n, Node::Map(_));
            let r = self.block_at(n, indent, true, at);
            at.on = on;
            return r;
        }
        self.out.push(' ');
        self.scalar(n, true);
        self.note(at);
        Some(())
    }

    /// A non-empty map or list as block lines at `indent` (no final newline;
    /// the first line not indented unless `pad_first`: a map after `- `);
    /// a scalar or empty collection as one flow line.
    pub fn block(&mut self, n: &Node, indent: usize, pad_first: bool) -> Option<()> {
        self.block_at(n, indent, pad_first, &mut At::default())
    }

    fn block_at(&mut self, n: &Node, indent: usize, pad_first: bool, at: &mut At) -> Option<()> {
        match n {
            Node::Map(entries) if !entries.is_empty() => entries.each(|i, k, x| {
                if i > 0 {
                    self.out.push('\n');
                }
                if i > 0 || pad_first {
                    push_pad(self.out, indent);
                }
                push_str(self.out, k);
                self.out.push(':');
                self.child(
                    at,
                    || Step::Key(k.to_string()),
                    |w, at| w.after_key_at(&x, indent + 2, at),
                )
            }),
            Node::Seq(items) if !items.is_empty() => items.each(|i, x| {
                if i > 0 {
                    self.out.push('\n');
                }
                if i > 0 || pad_first {
                    push_pad(self.out, indent);
                }
                self.child(at, || Step::Index(i), |w, at| w.item_at(&x, indent, at))
            }),
            other => {
                if pad_first {
                    push_pad(self.out, indent);
                }
                self.scalar(other, true);
                self.note(at);
                Some(())
            }
        }
    }

    /// A list item, from its `-` on.
    fn item_at(&mut self, x: &Node, indent: usize, at: &mut At) -> Option<()> {
        match x {
            Node::Map(_) if !x.is_empty_collection() => {
                // The first key goes after the dash; the rest align with it.
                self.out.push_str("- ");
                self.block_at(x, indent + 2, false, at)
            }
            Node::Seq(_) if !x.is_empty_collection() => {
                self.out.push('-');
                self.note(at);
                self.out.push('\n');
                self.block_at(x, indent + 2, true, at)
            }
            _ => {
                self.out.push_str("- ");
                self.scalar(x, true);
                self.note(at);
                Some(())
            }
        }
    }

    /// Run `f` one step further down the path (kept only while notes are on).
    fn child(
        &mut self,
        at: &mut At,
        step: impl FnOnce() -> Step,
        f: impl FnOnce(&mut Self, &mut At) -> Option<()>,
    ) -> Option<()> {
        if !at.on {
            return f(self, at);
        }
        at.path.push(step());
        let r = f(self, at);
        at.path.pop();
        r
    }
}

/// A JSON value on one line (see [`Writer::flow`]).
pub fn flow(v: &J) -> String {
    let mut out = String::new();
    Writer::new(&mut out).flow(&Node::json(v));
    out
}

/// A JSON value as the rest of a `key:` line (see [`Writer::after_key`]).
pub fn after_key(v: &J, indent: usize) -> String {
    let mut out = String::new();
    Writer::new(&mut out).after_key(&Node::json(v), indent);
    out
}

/// The size [`block_lines`] sizes its output for, and [`items_lines`] per
/// item (a JSON Patch operation, a small object); more regrows it.
const LINES_SIZE: usize = 128;

/// A non-empty JSON map or list as block lines at `indent`, no final
/// newline; a scalar or empty collection as one flow line.
pub fn block_lines(v: &J, indent: usize) -> String {
    let mut out = String::with_capacity(LINES_SIZE);
    Writer::new(&mut out).block(&Node::json(v), indent, true);
    out
}

/// [`block_lines`] of a list given as its items.
pub fn items_lines(items: &[J], indent: usize) -> String {
    let mut out = String::with_capacity(items.len().saturating_mul(LINES_SIZE));
    let list = Node::Seq(super::node::Items::Json(items));
    Writer::new(&mut out).block(&list, indent, true);
    out
}

/// A JSON value on one line: a scalar plain where [`plain_ok`], else quoted;
/// maps and lists in flow style (`show`'s values in `explain` and `diff`).
pub fn yaml_scalar(v: &J) -> String {
    flow(v)
}

/// `value` as a block YAML document, one leaf per line; `note(path)` may
/// give a comment for a leaf's line (`show --provenance`). A list under a
/// key carries its note on the key's line.
pub fn to_yaml(
    value: &J,
    base: &ConfigPath,
    note: &dyn Fn(&ConfigPath) -> Option<String>,
) -> String {
    let mut out = String::new();
    let mut notes = |steps: &[Step]| {
        let mut p = base.clone();
        for s in steps {
            p = match s {
                Step::Key(k) => p.key(k),
                Step::Index(i) => p.index(*i),
            };
        }
        note(&p)
    };
    let mut w = Writer {
        out: &mut out,
        quote_values: false,
        notes: Some(&mut notes),
    };
    let mut at = At {
        path: Vec::new(),
        on: true,
    };
    w.block_at(&Node::json(value), 0, true, &mut at);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> J {
        crate::load::load_str(text, "t".into()).unwrap().value
    }

    #[test]
    fn to_yaml_round_trips_through_the_loader() {
        let v = json!({
            "a": {"b": "yes", "c": "1.0", "d": 1.5, "e": true, "f": null},
            "list": ["x", "#y", "a: b", {"k": "v", "k2": [1, 2]}, [["deep"]]],
            "weird key: #": "line\nbreak\ttab \"q\" \\",
            "empty": {}, "none": [],
            "emoji": "🚀 ünïcode", "dollar": "${X} $$"
        });
        let text = to_yaml(&v, &ConfigPath::root(), &|_| Some("src".into()));
        assert_eq!(read(&text), v, "{text}");
    }

    #[test]
    fn notes_go_on_leaf_lines_and_on_a_list_key_line() {
        let v = json!({"a": {"b": 1}, "l": ["x", "w"], "s": [{"k": "v"}, ["z"]]});
        let text = to_yaml(&v, &ConfigPath::root(), &|p| Some(p.to_string()));
        assert_eq!(
            text,
            "a:\n  b: 1  # a.b\nl:  # l\n  - x\n  - w\ns:  # s\n  - k: v\n  -\n    - z\n"
        );
        let text = to_yaml(&json!([{"k": "v"}, ["z"], 1]), &ConfigPath::root(), &|p| {
            Some(p.to_string())
        });
        assert_eq!(
            text,
            "- k: v  # [0].k\n-  # [1]\n  - z  # [1][0]\n- 1  # [2]\n"
        );
    }

    #[test]
    fn quote_round_trips() {
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
            let q = quote(s);
            assert_eq!(read(&format!("k: {q}"))["k"], J::String(s.into()), "{q}");
        }
    }

    /// The word list and the byte table say what they did as a chain of
    /// comparisons: every case spelling of every word, and every byte.
    #[test]
    fn bool_and_null_words_in_any_case_are_never_plain() {
        for w in ["y", "n", "yes", "no", "on", "off", "true", "false", "null"] {
            for upper in 0u32..(1 << w.len()) {
                let spelled: String = w
                    .chars()
                    .enumerate()
                    .map(|(i, c)| match upper & (1 << i) {
                        0 => c,
                        _ => c.to_ascii_uppercase(),
                    })
                    .collect();
                assert!(!plain_ok(&spelled), "{spelled}");
                assert!(plain_ok(&format!("{spelled}x")), "{spelled}x");
            }
        }
        for b in 0u8..=255 {
            let expected = b.is_ascii_alphanumeric() || b".-_/~".contains(&b);
            assert_eq!(PLAIN_BYTE[usize::from(b)], expected, "byte {b}");
        }
        assert!(plain_ok("nulls") && plain_ok("falsey") && !plain_ok("FaLsE"));
    }

    #[test]
    fn strings_are_plain_only_when_unambiguous() {
        for s in [
            "devai",
            "app.kubernetes.io/name",
            "/spec/x~1y",
            "/spec/containers/0",
            "../../base",
        ] {
            assert_eq!(scalar_str(s), s);
        }
        for s in [
            "yes", "No", "on", "null", "1.0", "1e3", "0x1F", "", " a", "a b", "a:b", "#x", "true",
            "~", ".inf", ".5", "-1", "./x",
        ] {
            assert!(scalar_str(s).starts_with('"'), "{s}");
        }
    }

    #[test]
    fn block_and_flow_round_trip() {
        let v = json!({
            "labels": {"app.kubernetes.io/name": "x", "yes": "no", "n": "1.0"},
            "list": ["a", {"k": "v", "k2": ["x", "y"], "e": {}}, [], ["nested"], 3, true, null],
            "hostile": "\"'$${X}$$$(c)#= \\\n\t%{ü🚀 ",
            "empty": {}
        });
        let text = format!("root:{}\n", after_key(&v, 2));
        assert_eq!(read(&text)["root"], v, "{text}");
        let text = format!("root: {}\n", flow(&v));
        assert_eq!(read(&text)["root"], v, "{text}");
    }
}
