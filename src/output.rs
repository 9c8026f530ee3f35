//! The stderr of modules below the output layer. The catalogue (cache
//! warnings, update progress), check (git's messages) and the template
//! memory budget (its report before exiting) print, but the
//! redacting output layer (`commands::err`, `redact`) sits above them in the
//! module graph. `commands` installs its writer and redactor here at start;
//! until then text goes to stderr as it is. A leaf module: no `crate::` use.

use std::sync::OnceLock;

/// How text is redacted and written.
#[derive(Clone, Copy)]
struct Sink {
    redact: fn(&str) -> String,
    print: fn(&str),
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Installs the redactor and the stderr writer (the first call wins).
pub fn install(redact: fn(&str) -> String, print: fn(&str)) {
    let _ = SINK.set(Sink { redact, print });
}

/// `text` as it may be shown (known secret values and URL credentials
/// redacted once [`install`] ran).
pub fn redacted(text: &str) -> String {
    match SINK.get() {
        Some(s) => (s.redact)(text),
        None => text.to_string(),
    }
}

/// Writes `text` to stderr through the installed writer (which redacts).
pub fn stderr(text: &str) {
    match SINK.get() {
        Some(s) => (s.print)(text),
        None => eprint!("{text}"),
    }
}
