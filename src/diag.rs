//! Diagnostics: one error format for every stage.
//!
//! A [`Diagnostic`] carries a message, the config path it concerns, the
//! file:line:column of the offending value, a hint, and related places.
//! [`render`] prints it like rustc/just do, with the offending source line
//! and a caret, in colour on a terminal and plain when piped or `NO_COLOR`.
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use anstyle::{AnsiColor, Style};

/// A position in a source file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Path of the file as shown to the user (relative to the project root).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// Length of the highlighted text in characters (at least 1 when shown).
    pub len: u32,
}

impl Span {
    /// A span at `file:line:col` highlighting `len` characters.
    pub fn new(file: Arc<str>, line: u32, col: u32, len: u32) -> Self {
        Span {
            file,
            line,
            col,
            len,
        }
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// Exit code: success / clean.
pub const EXIT_OK: i32 = 0;
/// Exit code: invalid config, drift, problems found.
pub const EXIT_PROBLEMS: i32 = 1;
/// Exit code: usage or I/O failure.
pub const EXIT_USAGE: i32 = 2;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Makes the run fail.
    Error,
    /// Reported, does not change the exit code.
    Warning,
}

/// What a diagnostic is about, for the code that acts on it (exit codes,
/// deduplication, one stage's problem superseding another's) instead of
/// matching its text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A problem of the project: invalid config, a refused file (exit 1).
    #[default]
    Problem,
    /// The command cannot run as asked: an unknown profile or target named
    /// on the command line, no `config/` directory, a bad flag (exit 2).
    Usage,
    /// No instance type of the catalogue fits GPU service `service` on
    /// `cloud` (a warning of enrich, reported once for every profile it
    /// concerns; the target that needs an instance type there reports it as
    /// its error instead).
    Unplaced {
        /// Service name.
        service: String,
        /// Cloud key (`aws`, `gcp`, …).
        cloud: String,
    },
}

/// One problem, with everything needed to find and fix it.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What it is about (see [`Kind`]).
    pub kind: Kind,
    /// One-line description.
    pub message: String,
    /// Config path concerned (`services.devai.resources.memory`), if any.
    pub path: Option<String>,
    /// Where the offending value is.
    pub span: Option<Span>,
    /// Other places worth showing (label, place), e.g. the other side of a conflict.
    pub related: Vec<(String, Span)>,
    /// Free-form notes (`= note: …`).
    pub notes: Vec<String>,
    /// A suggestion (`= help: did you mean …`).
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A new error with just a message.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            kind: Kind::Problem,
            message: message.into(),
            path: None,
            span: None,
            related: Vec::new(),
            notes: Vec::new(),
            hint: None,
        }
    }

    /// A new warning with just a message.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    /// Set what it is about.
    pub fn with_kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    /// A usage error (exit 2): [`Diagnostic::error`] of kind [`Kind::Usage`].
    pub fn usage(message: impl Into<String>) -> Self {
        Diagnostic::error(message).with_kind(Kind::Usage)
    }

    /// Whether two diagnostics report the same thing at the same place
    /// (one problem of a file shared by several profiles).
    pub fn same_as(&self, other: &Diagnostic) -> bool {
        self.kind == other.kind && self.message == other.message && self.span == other.span
    }

    /// Attach the config path.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        let p = path.into();
        if !p.is_empty() {
            self.path = Some(p);
        }
        self
    }

    /// Attach the source position.
    pub fn with_span(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    /// Attach a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Attach a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Attach a related place.
    pub fn with_related(mut self, label: impl Into<String>, span: Span) -> Self {
        self.related.push((label.into(), span));
        self
    }

    /// `file:line` of the primary span, if any.
    pub fn location(&self) -> Option<String> {
        self.span.as_ref().map(|s| format!("{}:{}", s.file, s.line))
    }
}

/// Source texts by displayed file name, used to print the offending line.
#[derive(Default, Clone, Debug)]
pub struct Sources {
    files: HashMap<Arc<str>, Arc<str>>,
}

impl Sources {
    /// Remember the text of `file`.
    pub fn add(&mut self, file: Arc<str>, text: Arc<str>) {
        self.files.insert(file, text);
    }

    /// The text of line `line` (1-based) of `file` (as `str::lines` gives it).
    pub fn line(&self, file: &str, line: u32) -> Option<&str> {
        let text = self.files.get(file)?;
        let start = line_start(text, line.checked_sub(1)? as usize)?;
        text[start..].lines().next()
    }

    /// Merge another set of sources into this one.
    pub fn extend(&mut self, other: &Sources) {
        for (k, v) in &other.files {
            self.files.insert(k.clone(), v.clone());
        }
    }
}

/// Where the line after the first `newlines` line feeds of `text` starts
/// (`None`: there are fewer). Line feeds are counted a block of bytes at a
/// time (a loop the compiler vectorises): the diagnostics of a large config
/// file look up lines thousands of lines down, and stepping through them
/// one `lines()` item at a time cost 200 instructions a line.
fn line_start(text: &str, newlines: usize) -> Option<usize> {
    const BLOCK: usize = 256;
    let bytes = text.as_bytes();
    let mut left = newlines;
    let mut at = 0;
    for block in bytes.chunks(BLOCK) {
        let here = block.iter().filter(|&&b| b == b'\n').count();
        if left == 0 || here >= left {
            break;
        }
        left -= here;
        at += block.len();
    }
    if left == 0 {
        return Some(at);
    }
    let (i, _) = bytes[at..]
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .nth(left - 1)?;
    Some(at + i + 1)
}

/// Whether to colour output.
#[derive(Clone, Copy, Debug)]
pub struct Styles {
    error: Style,
    warning: Style,
    accent: Style,
    bold: Style,
    help: Style,
}

impl Styles {
    /// Styles for a terminal; `anstream` strips them when piped or `NO_COLOR`.
    pub fn new() -> Self {
        Styles {
            error: AnsiColor::Red.on_default().bold(),
            warning: AnsiColor::Yellow.on_default().bold(),
            accent: AnsiColor::Blue.on_default().bold(),
            bold: Style::new().bold(),
            help: AnsiColor::Cyan.on_default().bold(),
        }
    }
}

impl Default for Styles {
    fn default() -> Self {
        Self::new()
    }
}

fn paint(style: Style, text: &str) -> String {
    format!("{}{}{}", style.render(), text, style.render_reset())
}

/// Render one diagnostic (with ANSI styles; strip them for plain output).
pub fn render(d: &Diagnostic, sources: &Sources) -> String {
    let st = Styles::new();
    let mut out = String::new();
    let (label, style) = match d.severity {
        Severity::Error => ("error", st.error),
        Severity::Warning => ("warning", st.warning),
    };
    let _ = writeln!(
        out,
        "{}{}",
        paint(style, label),
        paint(st.bold, &format!(": {}", d.message))
    );
    let gutter = d
        .span
        .iter()
        .chain(d.related.iter().map(|(_, s)| s))
        .map(|s| s.line.to_string().len())
        .max()
        .unwrap_or(1);
    if let Some(span) = &d.span {
        render_snippet(&mut out, span, None, sources, gutter, &st, style);
    }
    for (lbl, span) in &d.related {
        render_snippet(&mut out, span, Some(lbl), sources, gutter, &st, st.accent);
    }
    let pad = " ".repeat(gutter);
    if let Some(p) = &d.path {
        let _ = writeln!(out, "{pad} {} at: {p}", paint(st.accent, "="));
    }
    for n in &d.notes {
        let _ = writeln!(out, "{pad} {} note: {n}", paint(st.accent, "="));
    }
    if let Some(h) = &d.hint {
        let _ = writeln!(
            out,
            "{pad} {} {}: {h}",
            paint(st.accent, "="),
            paint(st.help, "help")
        );
    }
    out
}

fn render_snippet(
    out: &mut String,
    span: &Span,
    label: Option<&str>,
    sources: &Sources,
    gutter: usize,
    st: &Styles,
    caret_style: Style,
) {
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad}{} {span}", paint(st.accent, "-->"));
    let Some(text) = sources.line(&span.file, span.line) else {
        if let Some(l) = label {
            let _ = writeln!(out, "{pad} {} {l}", paint(st.accent, "="));
        }
        return;
    };
    let bar = paint(st.accent, "|");
    let _ = writeln!(out, "{pad} {bar}");
    let num = format!("{:>gutter$}", span.line);
    let _ = writeln!(out, "{} {bar} {}", paint(st.accent, &num), text.trim_end());
    let col = span.col.saturating_sub(1) as usize;
    // Columns count characters; keep tabs so the caret lines up.
    let lead: String = text
        .chars()
        .take(col)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let avail = text.chars().count().saturating_sub(col).max(1);
    let len = (span.len.max(1) as usize).min(avail);
    let carets = "^".repeat(len);
    let tail = label.map(|l| format!(" {l}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{pad} {bar} {lead}{}",
        paint(caret_style, &format!("{carets}{tail}"))
    );
}

/// Render many diagnostics followed by a summary line.
pub fn render_all(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&render(d, sources));
        out.push('\n');
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 1 {
        let st = Styles::new();
        let _ = writeln!(
            out,
            "{}",
            paint(st.error, &format!("error: {errors} problems found"))
        );
    }
    out
}

/// Diagnostics found per profile, each reported once with the profiles it
/// affects (a problem in a shared file shows up in every profile).
#[derive(Default)]
pub struct PerProfile(Vec<(Diagnostic, Vec<String>)>);

impl PerProfile {
    /// Adds `d` (found in `profile`), or the profile to an identical one
    /// (same message, same place).
    pub fn add(&mut self, d: Diagnostic, profile: &str) {
        match self.0.iter_mut().find(|(x, _)| x.same_as(&d)) {
            Some((_, profiles)) => profiles.push(profile.to_string()),
            None => self.0.push((d, vec![profile.to_string()])),
        }
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diagnostics, in the order first found, each with a note
    /// `in profile(s) a, b`.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.0
            .into_iter()
            .map(|(d, profiles)| {
                let word = if profiles.len() == 1 {
                    "profile"
                } else {
                    "profiles"
                };
                d.with_note(format!("in {word} {}", profiles.join(", ")))
            })
            .collect()
    }
}

/// Suggest the closest candidate to `word` (for "did you mean").
///
/// Close means a small edit distance (typos, transpositions) or a high
/// Jaro-Winkler similarity (shared prefix); the closest wins.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let w = word.to_lowercase();
    let mut best: Option<(usize, f64, &str)> = None;
    for c in candidates {
        let lc = c.to_lowercase();
        let dist = strsim::damerau_levenshtein(&w, &lc);
        let jw = strsim::jaro_winkler(&w, &lc);
        let limit = (w.chars().count() / 3).max(1);
        if dist > limit && jw < 0.88 {
            continue;
        }
        let better = match best {
            None => true,
            Some((d, j, _)) => dist < d || (dist == d && jw > j),
        };
        if better {
            best = Some((dist, jw, c));
        }
    }
    best.map(|(_, _, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Sources::line` gives what `str::lines().nth()` gives, for every line
    /// (and the ones past the end) of texts with empty lines, CRLF, a bare
    /// CR, multi-byte characters, with and without a final newline, and
    /// long enough to span several blocks of [`line_start`].
    #[test]
    fn line_agrees_with_str_lines() {
        let long: String = (0..700)
            .map(|i| match i % 5 {
                0 => String::new(),
                1 => format!("ü{i}\r"),
                2 => "x".repeat(i % 300),
                _ => format!("line {i}"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let texts = [
            "",
            "\n",
            "a",
            "a\n",
            "a\n\nb",
            "a\r\nb\r\n",
            "a\rb\n\n\n",
            long.as_str(),
        ];
        for text in texts {
            let mut s = Sources::default();
            s.add(Arc::from("f"), Arc::from(text));
            let count = text.lines().count() as u32;
            for n in 0..count + 3 {
                let want = n.checked_sub(1).and_then(|k| text.lines().nth(k as usize));
                assert_eq!(s.line("f", n), want, "line {n} of {text:?}");
            }
        }
    }
}
