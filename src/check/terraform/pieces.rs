//! Cut an HCL file into runs of whole top-level structures, so that each
//! run can be parsed (and a run seen in several files parsed once).
//!
//! Why parsing the runs one by one gives the file's result: the body
//! grammar ends every top-level structure with a line end, and the parser
//! carries nothing from one structure to the next except the set of
//! top-level attribute keys (a redefined key is an error — the caller
//! checks that across runs). So when every run, cut right after a line
//! end, parses on its own, the whole file parses, to the runs' structures
//! in order. The cutter itself need not be exact: if it cuts where the
//! parser would still be inside a string, heredoc, comment or bracket, the
//! run before the cut ends inside it and does not parse on its own, and
//! the caller then parses the whole file (which keeps the parser's own
//! error message for a file that really is broken).

/// `text` cut after the line ends where no string, heredoc, comment or
/// bracket is open (as far as a cheap scan can tell), each run holding at
/// least one structure (comment-only runs are joined to the next one).
/// The runs concatenate to `text`. One run (`text` itself) when the scan
/// gets confused (unbalanced brackets, an unterminated string, heredoc or
/// comment).
pub(super) fn top_level(text: &str) -> Vec<&str> {
    scan(text).unwrap_or_else(|| vec![text])
}

/// What is open at a point of the scan.
#[derive(Clone, Copy, PartialEq)]
enum Open {
    /// `{`, `(` or `[` in code.
    Bracket(u8),
    /// A quoted string.
    Quote,
    /// `${` or `%{` inside a quoted string.
    Template,
}

/// Bytes that mean something to the scan in code at the top level
/// (where a blank is not the start of a structure).
const TOP: [bool; 256] = table(b"\"#/<\n{}()[] \t\r");
/// Bytes that mean something to the scan in code inside brackets.
const NESTED: [bool; 256] = table(b"\"#/<\n{}()[]");
/// Bytes that mean something to the scan inside a quoted string.
const QUOTED: [bool; 256] = table(b"\\\"$%\n");

const fn table(bytes: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
}

fn scan(text: &str) -> Option<Vec<&str>> {
    let s = text.as_bytes();
    let mut out = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let (mut start, mut i, mut has_structure) = (0, 0, false);
    while i < s.len() {
        if open.last() == Some(&Open::Quote) {
            while i < s.len() && !QUOTED[s[i] as usize] {
                i += 1;
            }
            let (c, next) = (*s.get(i)?, s.get(i + 1).copied());
            match c {
                b'\\' => i += 1,
                b'"' => {
                    open.pop();
                }
                b'$' | b'%' if next == Some(c) => i += 1,
                b'$' | b'%' if next == Some(b'{') => {
                    open.push(Open::Template);
                    i += 1;
                }
                b'\n' => return None,
                _ => {}
            }
            i += 1;
            continue;
        }
        let code = if open.is_empty() { &TOP } else { &NESTED };
        let c = s[i];
        if !code[c as usize] {
            has_structure |= open.is_empty();
            i += 1;
            while i < s.len() && !code[s[i] as usize] {
                i += 1;
            }
            continue;
        }
        let next = s.get(i + 1).copied();
        match c {
            b'#' => i = line_end(s, i),
            b'/' if next == Some(b'/') => i = line_end(s, i),
            b'/' if next == Some(b'*') => i = find(s, i + 2, b"*/")? + 2,
            b'<' if next == Some(b'<') => i = heredoc_end(text, i + 2)?,
            b'\n' => {
                if open.is_empty() && has_structure {
                    out.push(&text[start..=i]);
                    start = i + 1;
                    has_structure = false;
                }
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => {
                has_structure |= open.is_empty();
                match c {
                    b'"' => open.push(Open::Quote),
                    b'{' | b'(' | b'[' => open.push(Open::Bracket(c)),
                    b'}' => match open.pop()? {
                        Open::Bracket(b'{') | Open::Template => {}
                        _ => return None,
                    },
                    b')' | b']' => {
                        let want = if c == b')' { b'(' } else { b'[' };
                        if open.pop()? != Open::Bracket(want) {
                            return None;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
    }
    if !open.is_empty() {
        return None;
    }
    if start < s.len() {
        out.push(&text[start..]);
    }
    Some(out)
}

/// The index of the line end (or text end) at or after `i`.
fn line_end(s: &[u8], i: usize) -> usize {
    s[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(s.len(), |p| p + i)
}

fn find(s: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    s.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// After `<<` (at `i`): `-`? marker, line end, then lines up to one that is
/// the marker (leading blanks allowed); the index of that line's end.
fn heredoc_end(text: &str, i: usize) -> Option<usize> {
    let rest = text.get(i..)?;
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let marker_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let marker = &rest[..marker_len];
    if marker.is_empty() {
        return None;
    }
    let body_start = text.len() - rest.len() + marker_len;
    let mut at = body_start + text[body_start..].find('\n')? + 1;
    loop {
        let end = text[at..].find('\n').map_or(text.len(), |p| p + at);
        let line = text[at..end].trim_end_matches('\r');
        if line.trim_start_matches([' ', '\t']) == marker {
            return Some(end);
        }
        if end == text.len() {
            return None;
        }
        at = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_concatenate_to_the_text() {
        let text =
            "# head\n\nvariable \"a\" {\n  type = string\n}\n\n# b\nvariable \"b\" {}\n# tail\n";
        let runs = top_level(text);
        assert_eq!(runs.concat(), text);
        assert_eq!(
            runs,
            [
                "# head\n\nvariable \"a\" {\n  type = string\n}\n",
                "\n# b\nvariable \"b\" {}\n",
                "# tail\n"
            ]
        );
    }

    #[test]
    fn no_cut_inside_strings_comments_heredocs_or_brackets() {
        let text = concat!(
            "variable \"a\" {\n",
            "  description = \"}\\\"\\n# not a comment ${ {a = \"}\"} } $${ %%{\"\n",
            "  /* }\n}\n */\n",
            "  default = <<-EOT\n  }\n  variable \"x\" {\n  EOT\n",
            "  type = map(object({\n    a = string\n  }))\n",
            "}\r\n",
            "variable \"b\" {\n}\n",
        );
        let runs = top_level(text);
        assert_eq!(runs.len(), 2, "{runs:#?}");
        assert!(runs[1].starts_with("variable \"b\""));
    }

    #[test]
    fn confusion_gives_one_run() {
        for text in [
            "variable \"a\" {\n",
            "variable \"a\" {\n}\n}\n",
            "a = \"x\n",
            "a = <<EOT\nx\n",
            "/* x\n",
            "a = (]\n",
        ] {
            assert_eq!(top_level(text), [text], "{text:?}");
        }
    }
}
