//! The HTTP client of the price API clients: `ureq` with rustls, timeouts,
//! retries with exponential backoff on HTTP 429 / 5xx and on transport
//! failures, and one clear error per failure.
//!
//! Settings (environment):
//! - `DEVGEN_HTTP_TIMEOUT`: seconds (fractions allowed) one request may take
//!   as a whole, from connecting to the last byte of the body; default 600.
//!   A server that stops sending is given up on sooner: connecting and each
//!   read may take at most 30 s (or the whole timeout when that is shorter);
//! - `DEVGEN_HTTP_MAX_BYTES`: the largest response body read, in bytes;
//!   default 4 GiB (an AWS region's offer file is hundreds of MB); a JSON
//!   page read into memory is also capped at 512 MiB;
//! - `DEVGEN_HTTP_RETRIES`: retries after the first attempt; default 3;
//! - `DEVGEN_HTTP_BACKOFF_MS`: the first backoff, doubled per retry (capped
//!   at 30 s); default 1000. A `Retry-After: <seconds>` header (capped at
//!   60 s) takes precedence.

use std::fmt;
use std::io::{self, Read};
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::progress::Task;

/// Largest JSON document read into memory (one API page).
const MAX_JSON_BYTES: u64 = 512 * 1024 * 1024;

/// Default whole-request deadline (`DEVGEN_HTTP_TIMEOUT`), seconds.
const DEFAULT_DEADLINE_SECS: f64 = 600.0;

/// Longest wait for a connection or for the next bytes of a response.
const MAX_STALL: Duration = Duration::from_secs(30);

/// Default largest body (`DEVGEN_HTTP_MAX_BYTES`).
const DEFAULT_MAX_BODY: u64 = 4 * 1024 * 1024 * 1024;

/// A request went past its deadline while its body was being read.
#[derive(Debug)]
struct DeadlinePassed(Duration);

impl fmt::Display for DeadlinePassed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the whole request took longer than {} (DEVGEN_HTTP_TIMEOUT)",
            seconds(self.0)
        )
    }
}

impl std::error::Error for DeadlinePassed {}

/// A response body went past the size cap.
#[derive(Debug)]
struct BodyTooLarge(u64);

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the response is larger than {} bytes (DEVGEN_HTTP_MAX_BYTES)",
            self.0
        )
    }
}

impl std::error::Error for BodyTooLarge {}

/// `2 s`, `0.5 s`.
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum FailureKind {
    /// A non-success HTTP status, with a short excerpt of the body.
    Status(u16, String),
    /// A timeout (connect or read).
    Timeout(String),
    /// Connection or protocol failure, including a body cut short.
    Transport(String),
    /// The body is not the JSON expected.
    Json(String),
    /// The JSON parsed but its content is unusable.
    Content(String),
}

/// A failed request: the URL (credentials redacted), the reason and how many
/// attempts were made.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchError {
    /// The URL, with `key=` query values redacted.
    pub url: String,
    /// What went wrong.
    pub kind: FailureKind,
    /// Attempts made (1 when the failure is not retried).
    pub attempts: u32,
}

impl FetchError {
    /// An error about unusable content of `url`.
    pub fn content(url: &str, message: impl Into<String>) -> FetchError {
        FetchError {
            url: redact(url),
            kind: FailureKind::Content(message.into()),
            attempts: 1,
        }
    }

    fn retryable(&self) -> bool {
        match &self.kind {
            FailureKind::Status(code, _) => *code == 429 || *code >= 500,
            FailureKind::Timeout(_) | FailureKind::Transport(_) => true,
            FailureKind::Json(_) | FailureKind::Content(_) => false,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GET {}: ", self.url)?;
        match &self.kind {
            FailureKind::Status(code, excerpt) => {
                write!(f, "HTTP {code}")?;
                if let Some(reason) = http_reason(*code) {
                    write!(f, " {reason}")?;
                }
                if !excerpt.is_empty() {
                    write!(f, " ({excerpt})")?;
                }
            }
            FailureKind::Timeout(m) => write!(f, "timed out ({m})")?,
            FailureKind::Transport(m) => write!(f, "{m}")?,
            FailureKind::Json(m) => write!(f, "invalid JSON: {m}")?,
            FailureKind::Content(m) => write!(f, "{m}")?,
        }
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for FetchError {}

fn http_reason(code: u16) -> Option<&'static str> {
    Some(match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

/// `url` with its credentials redacted (see [`redact_urls`]).
pub fn redact(url: &str) -> String {
    redact_urls(url).into_owned()
}

/// Whether a query parameter name looks like it carries a credential.
fn sensitive_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "key",
        "token",
        "secret",
        "passw",
        "pwd",
        "sig",
        "credential",
        "auth",
        "session",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Where a URL ends in running text.
fn url_end(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`' | b')' | b']' | b'}')
}

/// `text` with the credentials of every URL in it redacted: the userinfo of
/// `scheme://user:pass@host` becomes `***@`, and the values of query
/// parameters named like a credential (`key`, `token`, `access_token`,
/// `api_key`, `X-Amz-Signature`, `password`, …) become `***`. The one
/// function behind every message, progress line and cache file that shows
/// a URL.
pub fn redact_urls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") {
        return text.into();
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    let mut from = 0;
    while let Some(off) = text[from..].find("://") {
        let at = from + off + 3;
        let end = b[at..]
            .iter()
            .position(|&c| url_end(c))
            .map_or(b.len(), |p| at + p);
        let url = &text[at..end];
        let auth_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        out.push_str(&text[done..at]);
        match url[..auth_end].rfind('@') {
            Some(i) => {
                out.push_str("***");
                out.push_str(&url[i..auth_end]);
            }
            None => out.push_str(&url[..auth_end]),
        }
        let rest = &url[auth_end..];
        match rest.split_once('?') {
            Some((path, query)) => {
                out.push_str(path);
                out.push('?');
                let (query, frag) = match query.split_once('#') {
                    Some((q, f)) => (q, Some(f)),
                    None => (query, None),
                };
                let parts: Vec<String> = query
                    .split('&')
                    .map(|kv| match kv.split_once('=') {
                        Some((k, v)) if sensitive_param(k) && !v.is_empty() => format!("{k}=***"),
                        _ => kv.to_string(),
                    })
                    .collect();
                out.push_str(&parts.join("&"));
                if let Some(f) = frag {
                    out.push('#');
                    out.push_str(f);
                }
            }
            None => out.push_str(rest),
        }
        done = end;
        from = end.max(at);
    }
    out.push_str(&text[done..]);
    out.into()
}

/// Percent-encodes the bytes a URI may not contain (spaces, quotes, `<>`,
/// non-ASCII, …), leaving existing `%XX` escapes and reserved characters.
pub fn sanitize_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        let ok = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b);
        if ok {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a query component (RFC 3986 unreserved characters kept).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `scheme://host[:port]` of a URL, lowercased; `None` for a relative URL.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    ))
}

/// The path, query and fragment of a URL (`/` when empty).
pub fn path_and_query(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => match rest.find(['/', '?', '#']) {
            Some(i) if rest[i..].starts_with('/') => rest[i..].to_string(),
            Some(i) => format!("/{}", &rest[i..]),
            None => "/".to_string(),
        },
        None => url.to_string(),
    }
}

/// The HTTP client (cheap to clone; share it between threads).
#[derive(Clone)]
pub struct Http {
    agent: ureq::Agent,
    retries: u32,
    backoff: Duration,
    /// Whole-request deadline (each attempt).
    deadline: Duration,
    /// Largest body read.
    max_body: u64,
}

fn env_f64(name: &str) -> Option<f64> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
}

impl Http {
    /// A client configured from the environment (see the module docs).
    pub fn from_env() -> Http {
        let timeout = Duration::from_secs_f64(
            env_f64("DEVGEN_HTTP_TIMEOUT")
                .unwrap_or(DEFAULT_DEADLINE_SECS)
                .min(1e9),
        );
        let retries = env_f64("DEVGEN_HTTP_RETRIES").map_or(3, |v| v.min(20.0) as u32);
        let backoff = Duration::from_millis(
            env_f64("DEVGEN_HTTP_BACKOFF_MS").map_or(1000, |v| v.min(60_000.0) as u64),
        );
        let max_body = env_f64("DEVGEN_HTTP_MAX_BYTES").map_or(DEFAULT_MAX_BODY, |v| v as u64);
        Http::new(timeout, retries, backoff).with_max_body(max_body)
    }

    /// A client with explicit settings: `timeout` is each request's whole
    /// deadline (connect, headers and body); the body cap is the default.
    pub fn new(timeout: Duration, retries: u32, backoff: Duration) -> Http {
        let stall = timeout.min(MAX_STALL);
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(concat!("devgen/", env!("CARGO_PKG_VERSION")))
            .timeout_global(Some(timeout))
            .timeout_connect(Some(stall))
            .timeout_per_read(Some(stall))
            .timeout_recv_response(Some(stall))
            .build();
        Http {
            agent: ureq::Agent::new_with_config(config),
            retries,
            backoff,
            deadline: timeout,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// The same client with another body cap, in bytes.
    pub fn with_max_body(mut self, max_body: u64) -> Http {
        self.max_body = max_body;
        self
    }

    /// GETs `url` and parses its body as JSON, retrying transient failures
    /// (including a body cut short). `task` is told the bytes received.
    pub fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        headers: &[(&str, String)],
        task: &Task,
    ) -> Result<T, FetchError> {
        let cap = MAX_JSON_BYTES.min(self.max_body);
        self.get_with(url, headers, task, |reader, url| {
            let mut bytes = Vec::new();
            reader
                .take(cap + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| io_failure(url, &e))?;
            if bytes.len() as u64 > cap {
                return Err(FetchError::content(
                    url,
                    format!("the response is larger than {cap} bytes"),
                ));
            }
            serde_json::from_slice(&bytes).map_err(|e| json_failure(url, e))
        })
    }

    /// GETs `url` and hands the body to `parse` as a stream. Transient
    /// failures, including a transport error while `parse` reads, restart
    /// the download (and `parse`); parse errors do not.
    pub fn get_with<T>(
        &self,
        url: &str,
        headers: &[(&str, String)],
        task: &Task,
        mut parse: impl FnMut(&mut dyn Read, &str) -> Result<T, FetchError>,
    ) -> Result<T, FetchError> {
        let url = sanitize_url(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.once(&url, headers, task, &mut parse);
            match result {
                Ok(v) => return Ok(v),
                Err((mut e, retry_after)) => {
                    e.attempts = attempt;
                    if !e.retryable() || attempt > self.retries {
                        return Err(e);
                    }
                    let wait = retry_after.unwrap_or_else(|| {
                        self.backoff
                            .saturating_mul(1 << (attempt - 1).min(16))
                            .min(Duration::from_secs(30))
                    });
                    task.note(&format!("{e}; retrying in {:.1} s", wait.as_secs_f64()));
                    std::thread::sleep(wait);
                }
            }
        }
    }

    fn once<T>(
        &self,
        url: &str,
        headers: &[(&str, String)],
        task: &Task,
        parse: &mut impl FnMut(&mut dyn Read, &str) -> Result<T, FetchError>,
    ) -> Result<T, (FetchError, Option<Duration>)> {
        let deadline = std::time::Instant::now() + self.deadline;
        let mut req = self.agent.get(url);
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        let response = req.call().map_err(|e| (ureq_failure(url, e), None))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s.min(60)));
            let mut body = response.into_body();
            let text = body
                .with_config()
                .limit(64 * 1024)
                .lossy_utf8(true)
                .read_to_string()
                .unwrap_or_default();
            let e = FetchError {
                url: redact(url),
                kind: FailureKind::Status(status, error_excerpt(&text)),
                attempts: 1,
            };
            return Err((e, retry_after));
        }
        let body = response.into_body();
        task.start(body.content_length());
        let mut reader = Counting {
            inner: body.into_reader(),
            task,
            deadline,
            timeout: self.deadline,
            left: self.max_body,
            cap: self.max_body,
        };
        parse(&mut reader, url).map_err(|e| (e, None))
    }
}

/// A response body: reports bytes read to a progress task, and fails once
/// the request's deadline has passed or the body outgrows the cap (so a
/// server trickling bytes, or sending forever, is given up on).
struct Counting<'a, R> {
    inner: R,
    task: &'a Task,
    deadline: std::time::Instant,
    timeout: Duration,
    /// Bytes still allowed.
    left: u64,
    /// The cap.
    cap: u64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if std::time::Instant::now() >= self.deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                DeadlinePassed(self.timeout),
            ));
        }
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(io::Error::other(BodyTooLarge(self.cap)));
        }
        self.left -= n as u64;
        self.task.add_bytes(n as u64);
        Ok(n)
    }
}

/// A short, one-line excerpt of an error body: the `message` of a JSON error
/// (`{"error": {"message": …}}` or `{"message": …}`), else the text itself.
fn error_excerpt(text: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        let msg = v
            .pointer("/error/message")
            .or_else(|| v.pointer("/message"))
            .or_else(|| v.pointer("/Error/Message"))
            .and_then(|m| m.as_str());
        if let Some(m) = msg {
            return shorten(m);
        }
    }
    shorten(text)
}

fn shorten(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 200 {
        format!("{}…", one.chars().take(200).collect::<String>())
    } else {
        one
    }
}

fn ureq_failure(url: &str, e: ureq::Error) -> FetchError {
    let kind = match e {
        ureq::Error::Timeout(t) => FailureKind::Timeout(timeout_phase(t)),
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                FailureKind::Timeout("connecting".to_string())
            }
            _ => FailureKind::Transport(format!("cannot connect: {io}")),
        },
        ureq::Error::HostNotFound => FailureKind::Transport("host not found".to_string()),
        ureq::Error::ConnectionFailed => FailureKind::Transport("connection failed".to_string()),
        ureq::Error::BadUri(u) => FailureKind::Content(format!("bad URL: {u}")),
        other => FailureKind::Transport(other.to_string()),
    };
    FetchError {
        url: redact(url),
        kind,
        attempts: 1,
    }
}

fn timeout_phase(t: ureq::Timeout) -> String {
    match t {
        ureq::Timeout::Connect => "connecting".to_string(),
        ureq::Timeout::RecvResponse => "waiting for the response".to_string(),
        ureq::Timeout::PerRead => "no data received in time".to_string(),
        ureq::Timeout::Global => {
            "the whole request took longer than DEVGEN_HTTP_TIMEOUT".to_string()
        }
        other => format!("{other:?}"),
    }
}

/// Classifies an I/O error (reading a body, connecting).
fn io_failure(url: &str, e: &io::Error) -> FetchError {
    // ureq wraps its own errors (timeouts) in io::Error while reading bodies.
    if let Some(d) = e.get_ref().and_then(|i| i.downcast_ref::<DeadlinePassed>()) {
        return FetchError {
            url: redact(url),
            kind: FailureKind::Timeout(d.to_string()),
            attempts: 1,
        };
    }
    if let Some(big) = e.get_ref().and_then(|i| i.downcast_ref::<BodyTooLarge>()) {
        return FetchError::content(url, big.to_string());
    }
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>());
    let kind = match (inner, e.kind()) {
        (Some(ureq::Error::Timeout(t)), _) => FailureKind::Timeout(timeout_phase(*t)),
        (_, io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => {
            FailureKind::Timeout("no data received in time".to_string())
        }
        (_, io::ErrorKind::UnexpectedEof) => FailureKind::Transport(
            "the connection closed before the whole body arrived (truncated response)".to_string(),
        ),
        (Some(u), _) => FailureKind::Transport(u.to_string()),
        _ => FailureKind::Transport(format!("reading the response: {e}")),
    };
    FetchError {
        url: redact(url),
        kind,
        attempts: 1,
    }
}

/// Classifies a serde_json error: I/O underneath (timeouts, a body cut
/// short) is a transport failure and retried; anything else is invalid JSON.
pub fn json_failure(url: &str, e: serde_json::Error) -> FetchError {
    if e.is_io() {
        // Gives back the original io::Error (with ureq's error inside).
        return io_failure(url, &io::Error::from(e));
    }
    let kind = if e.is_eof() {
        FailureKind::Json(format!(
            "the document ends early at line {} column {} (truncated response?)",
            e.line(),
            e.column()
        ))
    } else {
        FailureKind::Json(e.to_string())
    };
    FetchError {
        url: redact(url),
        kind,
        attempts: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_url_credentials_in_text() {
        assert_eq!(
            redact_urls("GET http://user:pa55@127.0.0.1:9/x?access_token=abc&n=1 failed"),
            "GET http://***@127.0.0.1:9/x?access_token=***&n=1 failed"
        );
        assert_eq!(
            redact_urls("a https://h/p?X-Amz-Signature=s#f, b ftp://u@h"),
            "a https://h/p?X-Amz-Signature=***#f, b ftp://***@h"
        );
        assert_eq!(redact_urls("no url"), "no url");
    }

    #[test]
    fn redacts_keys() {
        assert_eq!(
            redact("https://x/v1/skus?key=SECRET&pageSize=5000"),
            "https://x/v1/skus?key=***&pageSize=5000"
        );
        assert_eq!(redact("https://x/a"), "https://x/a");
    }

    #[test]
    fn urls() {
        assert_eq!(
            sanitize_url("http://h/p?$filter=a eq 'b'&x=%20"),
            "http://h/p?$filter=a%20eq%20'b'&x=%20"
        );
        assert_eq!(
            origin("HTTP://Host:8/a?b").as_deref(),
            Some("http://host:8")
        );
        assert_eq!(origin("/a"), None);
        assert_eq!(path_and_query("http://h:1/a/b?c=d"), "/a/b?c=d");
        assert_eq!(path_and_query("http://h:1?c=d"), "/?c=d");
        assert_eq!(path_and_query("http://h:1"), "/");
        assert_eq!(encode_component("a eq 'b'"), "a%20eq%20%27b%27");
    }

    #[test]
    fn excerpts() {
        assert_eq!(
            error_excerpt(
                r#"{"error": {"code": "global/invalid-api-key", "message": "API key was invalid"}}"#
            ),
            "API key was invalid"
        );
        assert_eq!(error_excerpt("  oops\n  down "), "oops down");
    }
}
