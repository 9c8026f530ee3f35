//! A fast reader for the plain HCL that devgen's tfvars files are made of:
//! top-level `key = value` attributes whose values are literals (strings
//! without templates, numbers, `true`/`false`/`null`), lists and objects of
//! those, with `#`/`//` comments and LF or CRLF line ends.
//!
//! It yields exactly what `hcl::parse` followed by `Body::attributes` yields
//! for such a file (pinned by the tests below against the real parser), in
//! a small fraction of the time. Anything outside that subset (a template
//! `${…}`, a heredoc, an operator, a reference, a `/* */` comment, a block,
//! a duplicate key, an unusual escape, a lone CR…) makes it give up with
//! `None`: the caller then parses with `hcl::parse`, whose result and error
//! messages are the reference.
use hcl::{Expression, Identifier, Number, Object, ObjectKey};

/// The top-level attributes of `text` in file order, or `None` when `text`
/// is not plain HCL (see the module documentation).
pub(super) fn attributes(text: &str) -> Option<Vec<(String, Expression)>> {
    let mut r = Reader {
        s: text.as_bytes(),
        text,
        i: 0,
        depth: 0,
    };
    let mut out: Vec<(String, Expression)> = Vec::new();
    loop {
        r.blank()?;
        if r.i == r.s.len() {
            return Some(out);
        }
        let key = r.ident()?;
        if is_keyword(key) || out.iter().any(|(k, _)| k == key) {
            return None;
        }
        r.spaces();
        r.eat(b'=')?;
        r.spaces();
        let value = r.value()?;
        r.spaces();
        r.comment()?;
        r.line_end()?;
        out.push((key.to_string(), value));
    }
}

fn is_keyword(word: &str) -> bool {
    matches!(word, "true" | "false" | "null" | "for" | "in" | "if")
}

struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    /// Lists and objects open around the current value.
    depth: usize,
}

/// Deepest nesting of lists and objects the reader takes (deeper values
/// are left to the parser).
const MAX_DEPTH: usize = 32;

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    /// Spaces and tabs.
    fn spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// A `#` or `//` comment up to (not including) the line end, if one
    /// starts here; `None` for `/*` or a lone `/`.
    fn comment(&mut self) -> Option<()> {
        match self.peek() {
            Some(b'#') => {}
            Some(b'/') if self.s.get(self.i + 1) == Some(&b'/') => {}
            Some(b'/') => return None,
            _ => return Some(()),
        }
        while let Some(c) = self.peek() {
            match c {
                b'\n' => break,
                b'\r' if self.s.get(self.i + 1) == Some(&b'\n') => break,
                b'\r' => return None,
                _ => self.i += 1,
            }
        }
        Some(())
    }

    /// LF, CRLF, or the end of the text.
    fn line_end(&mut self) -> Option<()> {
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.i += 1;
                Some(())
            }
            Some(b'\r') if self.s.get(self.i + 1) == Some(&b'\n') => {
                self.i += 2;
                Some(())
            }
            _ => None,
        }
    }

    /// Whitespace, line ends and line comments (what may separate
    /// structures, and items inside brackets).
    fn blank(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n') => self.i += 1,
                Some(b'\r') if self.s.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                Some(b'#' | b'/') => self.comment()?,
                Some(b'\r') => return None,
                _ => return Some(()),
            }
        }
    }

    /// An ASCII identifier (`[A-Za-z_][A-Za-z0-9_-]*`); `None` for anything
    /// else, including non-ASCII identifiers.
    fn ident(&mut self) -> Option<&'a str> {
        let start = self.i;
        if !matches!(self.peek(), Some(c) if c.is_ascii_alphabetic() || c == b'_') {
            return None;
        }
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            self.i += 1;
        }
        if self.peek().is_some_and(|c| !c.is_ascii()) {
            return None;
        }
        Some(&self.text[start..self.i])
    }

    fn value(&mut self) -> Option<Expression> {
        match self.peek()? {
            b'"' => self.string().map(Expression::String),
            b'0'..=b'9' => self.number().map(Expression::Number),
            b'[' | b'{' if self.depth == MAX_DEPTH => None,
            b'[' => {
                self.depth += 1;
                let list = self.list();
                self.depth -= 1;
                list
            }
            b'{' => {
                self.depth += 1;
                let object = self.object();
                self.depth -= 1;
                object
            }
            _ => match self.ident()? {
                "true" => Some(Expression::Bool(true)),
                "false" => Some(Expression::Bool(false)),
                "null" => Some(Expression::Null),
                _ => None,
            },
        }
    }

    /// `123` (a `u64`) or `1.5` (an `f64`); `None` for exponents, integers
    /// beyond `u64`, and a number running into a letter or a dot.
    fn number(&mut self) -> Option<Number> {
        let start = self.i;
        self.digits();
        let mut float = false;
        if self.peek() == Some(b'.') && self.s.get(self.i + 1).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
            self.digits();
            float = true;
        }
        if self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || !c.is_ascii())
        {
            return None;
        }
        let digits = &self.text[start..self.i];
        if float {
            Number::from_f64(digits.parse().ok()?)
        } else {
            digits.parse::<u64>().ok().map(Number::from)
        }
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }

    /// A quoted string without templates; escapes `\n \r \t \" \\` only.
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = String::new();
        let mut run = self.i;
        loop {
            let c = self.peek()?;
            match c {
                b'"' => {
                    out.push_str(&self.text[run..self.i]);
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(&self.text[run..self.i]);
                    out.push(match self.s.get(self.i + 1)? {
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'"' => '"',
                        b'\\' => '\\',
                        _ => return None,
                    });
                    self.i += 2;
                    run = self.i;
                }
                b'$' | b'%' if matches!(self.s.get(self.i + 1), Some(&n) if n == b'{' || n == c) => {
                    return None;
                }
                0..=0x1f | 0x7f => return None,
                _ => self.i += 1,
            }
        }
    }

    /// `[v, v, …]`, a trailing comma allowed, blank lines and comments
    /// between items.
    fn list(&mut self) -> Option<Expression> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        loop {
            self.blank()?;
            if self.eat(b']').is_some() {
                return Some(Expression::Array(items));
            }
            items.push(self.value()?);
            self.blank()?;
            if self.eat(b',').is_none() {
                self.blank()?;
                self.eat(b']')?;
                return Some(Expression::Array(items));
            }
        }
    }

    /// `{ k = v … }` with identifier or quoted keys, items ended by a
    /// newline, a comma, or a comment and newline.
    fn object(&mut self) -> Option<Expression> {
        self.eat(b'{')?;
        let mut items: Object<ObjectKey, Expression> = Object::new();
        loop {
            self.blank()?;
            if self.eat(b'}').is_some() {
                return Some(Expression::Object(items));
            }
            let key = match self.peek()? {
                b'"' => ObjectKey::Expression(Expression::String(self.string()?)),
                _ => {
                    let word = self.ident()?;
                    if is_keyword(word) {
                        return None;
                    }
                    ObjectKey::Identifier(Identifier::unchecked(word))
                }
            };
            if items.keys().any(|k| same_key(k, &key)) {
                return None;
            }
            self.spaces();
            self.eat(b'=')?;
            self.spaces();
            let value = self.value()?;
            self.spaces();
            items.insert(key, value);
            match self.peek()? {
                b'}' => {
                    self.i += 1;
                    return Some(Expression::Object(items));
                }
                b',' => self.i += 1,
                _ => {
                    self.comment()?;
                    self.line_end()?;
                    if self.i == self.s.len() {
                        return None;
                    }
                }
            }
        }
    }
}

/// Whether two object keys name the same attribute (either spelling): a
/// duplicate makes the reader give up rather than guess what HCL does.
fn same_key(a: &ObjectKey, b: &ObjectKey) -> bool {
    fn name(k: &ObjectKey) -> Option<&str> {
        match k {
            ObjectKey::Identifier(i) => Some(i.as_str()),
            ObjectKey::Expression(Expression::String(s)) => Some(s),
            _ => None,
        }
    }
    name(a) == name(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl::Body;

    /// What the checker used before this reader: the real parser.
    fn slow(text: &str) -> Option<Vec<(String, Expression)>> {
        let body: Body = hcl::parse(text).ok()?;
        Some(
            body.attributes()
                .map(|a| (a.key().to_string(), a.expr().clone()))
                .collect(),
        )
    }

    /// Inputs inside the plain subset: the reader must give exactly the
    /// parser's result.
    const PLAIN: &[&str] = &[
        "",
        "\n\n",
        "a = 1",
        "a = 1\n",
        "a = 1\r\nb = \"x\"\r\n",
        "# c\n// d\na = 1 # e\nb = 2 // f\n",
        "a=1\nb\t=\t2\n",
        "a = 0.5\nb = 12.250\nc = 007\nd = 18446744073709551615\n",
        "a = true\nb = false\nc = null\n",
        "a = \"x # not a comment // nor this\"\n",
        "a = \"variable \\\"x\\\" {\"\n",
        "a = \"tab\\there\\nnl \\\\ back\\r\"\n",
        "a = \"100% $ cost $5 %d\"\n",
        "a = \"ünïcødé ✓\"\n",
        "a = []\nb = [1, \"x\", true, null]\nc = [\n  1,\n  2,\n]\nd = [ # c\n 1 // d\n , 2 ]\n",
        "a = [[1], [[]], {}]\n",
        "a = {}\nb = { x = 1, y = \"z\" }\nc = {\n  x = 1\n  \"a.b/c\" = 2 # c\n  y = [1]\n}\n",
        "a = {\r\n  x = 1\r\n  y = {\r\n    z = null\r\n  }\r\n}\r\n",
        "a = { x = 1, }\nb = {\n\n  x = 1\n\n}\n",
        "a = { x-y = 1, _z = 2 }\n",
        "services = {\n  web = {\n    image = \"nginx:1.27\"\n    ports = {\n      http = 8080\n    }\n    env = {}\n    gpu = null\n  }\n}\n",
    ];

    /// Inputs outside the subset (or not HCL at all): the reader must give
    /// up, so the parser decides.
    const NOT_PLAIN: &[&str] = &[
        "a = \"${var.x}\"\n",
        "a = \"%{ if true }x%{ endif }\"\n",
        "a = \"$${x}\"\n",
        "a = \"\\u00e9\"\n",
        "a = <<EOF\nx\nEOF\n",
        "a = -1\n",
        "a = 1 + 2\n",
        "a = 1e3\n",
        "a = 1.\n",
        "a = var.x\n",
        "a = upper(\"x\")\n",
        "a = [for x in [1] : x]\n",
        "a = 1 /* c */\n",
        "/* c */\na = 1\n",
        "a = 1\na = 2\n",
        "a = { x = 1, x = 2 }\n",
        "a = { x = 1, \"x\" = 2 }\n",
        "a = { x : 1 }\n",
        "a = { true = 1 }\n",
        "a = 1 b = 2\n",
        "a = \"x\ny\"\n",
        "a = 1\rb = 2\n",
        "a = {\n  x = 1\n",
        "a = [1, 2\n",
        "block {\n}\n",
        "block \"label\" {\n  a = 1\n}\n",
        "\u{feff}a = 1\n",
        "a = 1\n}\n",
        "a =\n1\n",
        "a = 18446744073709551616\n",
        "a = true.x\n",
        "a = \"x\"[0]\n",
        "a = [,]\n",
        concat!(
            "a = ",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
            "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
        ),
    ];

    #[test]
    fn plain_hcl_reads_exactly_as_the_parser_reads_it() {
        for text in PLAIN {
            let fast = attributes(text);
            assert!(fast.is_some(), "the reader should take {text:?}");
            assert_eq!(fast, slow(text), "differs from hcl::parse on {text:?}");
        }
    }

    #[test]
    fn anything_else_is_left_to_the_parser() {
        for text in NOT_PLAIN {
            assert_eq!(
                attributes(text),
                None,
                "the reader should give up on {text:?}"
            );
        }
    }

    #[test]
    fn numbers_keep_the_parsers_representation() {
        for text in ["a = 2\n", "a = 2.0\n", "a = 0.5\n"] {
            let (fast, slow) = (attributes(text).unwrap(), slow(text).unwrap());
            let (Expression::Number(f), Expression::Number(s)) = (&fast[0].1, &slow[0].1) else {
                panic!("not a number: {text:?}");
            };
            assert_eq!(
                (f.is_u64(), f.is_f64()),
                (s.is_u64(), s.is_f64()),
                "{text:?}"
            );
        }
    }
}
