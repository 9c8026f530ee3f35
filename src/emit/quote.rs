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
