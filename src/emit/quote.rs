//! Quoting of one string for the dotenv (Compose env files) and Kconfig
//! syntaxes: leaf functions the writers and the secret-needle encodings share.

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
    let b = s.as_bytes();
    // Each escape replaces one byte by two: the exact length up front.
    let escapes = b
        .iter()
        .filter(|&&c| DOTENV_ESCAPE[c as usize].is_some())
        .count();
    let mut out = String::with_capacity(s.len() + escapes + 2);
    out.push('"');
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        if let Some(escape) = DOTENV_ESCAPE[c as usize] {
            // Every byte escaped is ASCII: `i` is a char boundary.
            out.push_str(&s[run..i]);
            out.push_str(escape);
            run = i + 1;
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
    out
}

/// The escape [`dotenv_quote`] writes for each byte, `None` for a byte written
/// as it is (every byte of a multi-byte character is).
const DOTENV_ESCAPE: [Option<&str>; 256] = {
    let mut table = [None; 256];
    table[b'\\' as usize] = Some("\\\\");
    table[b'"' as usize] = Some("\\\"");
    table[b'$' as usize] = Some("\\$");
    table[b'\n' as usize] = Some("\\n");
    table[b'\r' as usize] = Some("\\r");
    table[b'\t' as usize] = Some("\\t");
    table
};

/// Double-quote `s` for Kconfig (the `kconfig_str` template filter).
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

    /// The dotenv rule one char at a time, as it was written before runs
    /// of bytes were copied: the reference for [`dotenv_quote`].
    fn quoted_char_by_char(s: &str) -> String {
        let mut out = String::from("\"");
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

    #[test]
    fn dotenv_values_are_quoted_as_one_char_at_a_time() {
        let alphabet = [
            "a", "$", "{", "\\", "\"", "'", "#", "\n", "\r", "\t", "\u{1}", "é", "🚀",
        ];
        // Every string of up to three of these: each escape at the start,
        // the end and between others.
        let mut strings = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = strings
                .iter()
                .flat_map(|s| alphabet.iter().map(move |a| format!("{s}{a}")))
                .collect();
            strings.extend(longer);
        }
        for s in &strings {
            let quoted = dotenv_quote(s);
            assert_eq!(quoted, quoted_char_by_char(s), "{s:?}");
            assert_eq!(quoted.len(), quoted.capacity(), "sized exactly: {s:?}");
        }
    }
}
