//! Target `kconfig`: kdevops-style Kconfig menus of the provider catalogue,
//! one tree per provider (`aws`, `azure`, `gcp`, `lambdalabs`):
//!
//! ```text
//! deploy/kconfig/<provider>/Kconfig                       sources the two below
//! deploy/kconfig/<provider>/Kconfig.location.generated    region choice + TERRAFORM_<P>_REGION
//! deploy/kconfig/<provider>/Kconfig.compute.generated     family choice, sources each family's
//!                                                         sizes, TERRAFORM_<P>_INSTANCE_FAMILY,
//!                                                         TERRAFORM_<P>_INSTANCE_TYPE
//! deploy/kconfig/<provider>/instance-types/Kconfig.<family>.generated   size choice of a family
//! ```
//!
//! Symbols (kdevops' conventions; `<P>` is the provider name in upper case,
//! `<X>` a name in upper case with every run of other characters turned into
//! `_`): a region choice `TERRAFORM_<P>_REGION_<X>` and the string
//! `TERRAFORM_<P>_REGION`; a family choice `TERRAFORM_<P>_INSTANCE_FAMILY_<X>`
//! and the string `TERRAFORM_<P>_INSTANCE_FAMILY`; per family a size choice
//! `TERRAFORM_<P>_INSTANCE_SIZE_<X>` (X = the instance type, e.g.
//! `TERRAFORM_AWS_INSTANCE_SIZE_P5_48XLARGE`) and the string
//! `TERRAFORM_<P>_INSTANCE_TYPE`. Names that collide after upper-casing get
//! `_2`, `_3`, … in catalogue order. Every instance type and every region
//! with a price of the catalogue ([`crate::catalogue::active`]) appears.
//!
//! `source` lines name paths relative to the Kconfig tree root (`$srctree`):
//! `kconfig.source_dir` (default `deploy/kconfig/{provider}`), so
//! `srctree=<project root>` loads them with kconfiglib, and
//! `source_dir: terraform/{provider}/kconfigs` fits a kdevops tree.
//! `kconfig.output_yaml: true` adds kdevops' `output yaml` lines.
//!
//! **Defaults** (what `alldefconfig` gives) come from one profile per
//! provider, chosen among every profile of the project (not only those being
//! rendered, so the files are the same whichever profiles were asked for):
//! the profiles whose `cloud` is that provider, or every profile when none
//! is; of those, by name, the first with a GPU service, else the first. In
//! that profile:
//!
//! - region: `clouds.<provider>.region` when set and known to the catalogue,
//!   else the region of the default instance;
//! - instance: the first GPU service's placement on that provider (the pin or
//!   the cheapest fit — see [`crate::enrich`]); for a provider not in
//!   `clouds:`, the cheapest instance that fits that service's GPU, CPU and
//!   memory (in the region when one is set); when nothing fits or the profile
//!   has no GPU service, the cheapest CPU-only instance that fits that
//!   service (or the first service) — in the region when set; failing all
//!   that, the cheapest instance type of the provider.
//!
//! Other families' size choices default to their smallest size.
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::{Engine, PlannedFile, RenderOptions, Target, header};
use crate::catalogue::{self, Catalogue, InstanceType, Provider, format_count};
use crate::diag::Diagnostic;
use crate::emit::push_digits;
use crate::fit::{Need, Priced, cheapest_cpu_only};
use crate::model::{Model, Service};

/// The `kconfig` target.
pub struct Kconfig;

/// The command that regenerates these files.
const REGENERATE: &str = "devgen render --target kconfig";

/// `<X>` of a symbol: upper case, runs of characters other than `[A-Z0-9]`
/// as one `_`, no leading or trailing `_`.
pub fn symbol_part(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    push_symbol_part(&mut out, name);
    out
}

/// Per byte: upper-cased when an ASCII letter or digit, else 0.
static SYMBOL_BYTE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() {
            table[i] = b.to_ascii_uppercase();
        }
        i += 1;
    }
    table
};

/// [`symbol_part`] of `name` appended to `out`.
fn push_symbol_part(out: &mut String, name: &str) {
    // Short names (all of the catalogue's) are built on the stack: runs of
    // ASCII letters and digits, upper-cased, joined by one `_` (every byte
    // of a non-ASCII character is a separator, as the character is).
    let mut buf = [0u8; 128];
    if name.len() <= 64 {
        let (mut n, mut gap) = (0, false);
        for &b in name.as_bytes() {
            let u = SYMBOL_BYTE[usize::from(b)];
            if u != 0 {
                // At most one `_` per separator byte read, so `n` stays
                // within the name's length (the mask only spares the checks).
                if gap {
                    buf[n & 127] = b'_';
                    n += 1;
                }
                buf[n & 127] = u;
                n += 1;
                gap = false;
            } else {
                gap = n > 0;
            }
        }
        match n {
            0 => out.push('X'),
            _ => out.push_str(std::str::from_utf8(&buf[..n]).expect("ASCII")),
        }
        return;
    }
    let start = out.len();
    for run in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|run| !run.is_empty())
    {
        if out.len() > start {
            out.push('_');
        }
        out.push_str(run);
    }
    if out.len() == start {
        out.push('X');
    }
    out[start..].make_ascii_uppercase();
}

/// `<prefix>_<kind>_<X>` with X the [`symbol_part`] of `name`.
fn symbol_of(prefix: &str, kind: &str, name: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + kind.len() + name.len() + 2);
    s.push_str(prefix);
    s.push('_');
    s.push_str(kind);
    s.push('_');
    push_symbol_part(&mut s, name);
    s
}

/// Hands out unique symbols: a repeated one gets `_2`, `_3`, …
#[derive(Default)]
pub(super) struct Symbols(HashSet<String>);

impl Symbols {
    /// Room for `n` symbols without growing.
    pub(super) fn with_capacity(n: usize) -> Self {
        Symbols(HashSet::with_capacity(n))
    }

    pub(super) fn unique(&mut self, base: String) -> String {
        if self.0.insert(base.clone()) {
            return base;
        }
        (2..)
            .map(|i| format!("{base}_{i}"))
            .find(|s| self.0.insert(s.clone()))
            .expect("an unused suffix")
    }
}

/// A file name part: `[A-Za-z0-9._-]` kept, anything else `_`.
fn file_part(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

/// One line of help text: control characters as spaces, no trailing blanks.
pub(super) fn help_line(s: String) -> String {
    if !may_hold_control(s.as_bytes()) && s.as_bytes().last().is_none_or(u8::is_ascii_graphic) {
        return s;
    }
    if !s.chars().any(char::is_control) && !s.ends_with(char::is_whitespace) {
        return s;
    }
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// `$1.2345`: a price with four decimals, byte for byte what `{:.4}` gives.
#[cfg(test)]
fn price(p: f64) -> String {
    let mut s = String::with_capacity(12);
    s.push('$');
    push_fixed4(&mut s, p);
    s
}

/// `x` with four decimals, exactly as `format!("{x:.4}")` writes it, without
/// its slow exact-formatting path for the usual case: catalogue prices are
/// whole micro-dollars, and when `x` is the double nearest to `m / 10⁶` for a
/// whole `m` that is not on a rounding tie (`m % 100 == 50`), rounding `x` to
/// four decimals is rounding `m` to hundreds (the double is within 10⁻⁷ of
/// `m / 10⁶` below 10⁹, the nearest tie 10⁻⁶ away). Anything else takes `format!`.
pub(super) fn push_fixed4(out: &mut String, x: f64) {
    if (0.0..1e9).contains(&x) && x.is_sign_positive() {
        // `(x * 1e6).round()`: below 2⁵² adding ½ is exact, so this is
        // rounding half up without the call (x * 1e6 < 10¹⁵ here).
        let m = (x * 1e6 + 0.5) as u64;
        if m as f64 / 1e6 == x && m % 100 != 50 {
            let q = (m + 50) / 100;
            push_digits(out, q / 10_000);
            let f = q % 10_000;
            out.push('.');
            for d in four_digits(f) {
                out.push(char::from(d));
            }
            return;
        }
    }
    let _ = write!(out, "{x:.4}");
}

/// `f` (below 10⁴) as four ASCII digits with leading zeros (`{:04}`).
fn four_digits(f: u64) -> [u8; 4] {
    [
        b'0' + (f / 1000) as u8,
        b'0' + (f / 100 % 10) as u8,
        b'0' + (f / 10 % 10) as u8,
        b'0' + (f % 10) as u8,
    ]
}

/// GiB with at most two decimals: `16`, `1.7`, `0.61`.
#[cfg(test)]
fn gib(m: f64) -> String {
    format!("{}", (m * 100.0).round() / 100.0)
}

/// `a` or `a–b`.
#[cfg(test)]
fn span<T: PartialEq + std::fmt::Display>(lo: T, hi: T) -> String {
    if lo == hi {
        format!("{lo}")
    } else {
        format!("{lo}–{hi}")
    }
}

struct TopView {
    header: String,
    title: String,
    location: String,
    compute: String,
}

struct RegionEntry {
    symbol: String,
    code: String,
    prompt: String,
    help: Vec<String>,
}

struct LocationView {
    header: String,
    title: String,
    prefix: String,
    output_yaml: bool,
    help: Vec<String>,
    default_symbol: String,
    default_code: String,
    regions: Vec<RegionEntry>,
}

struct FamilyEntry<'a> {
    symbol: String,
    name: String,
    prompt: String,
    help: Vec<String>,
    source: String,
    /// (symbol, instance type) of each size.
    sizes: Vec<(String, &'a str)>,
}

struct ComputeView<'a> {
    header: String,
    title: String,
    prefix: String,
    output_yaml: bool,
    help: Vec<String>,
    default_symbol: String,
    default_family: String,
    default_type: String,
    families: Vec<FamilyEntry<'a>>,
}

// The files are written in Rust, not through templates: the whole catalogue
// (2,600+ instance types, 400+ files) goes through here on every `check`, and
// the template engine made that target several times slower (see the commit
// that removed `templates/kconfig/`). A project changes the menus through
// `kconfig:` settings, not templates; a `templates/kconfig/` directory is an
// error rather than silently ignored ([`no_own_templates`]).

/// Where help lines go (straight into the text of a file: [`Indented`]); a
/// line is cleaned like [`help_line`] does.
pub(super) trait Help {
    /// Start a line: its text goes into the `String` returned, up to [`Help::end`].
    fn begin(&mut self) -> &mut String;
    /// End the line begun.
    fn end(&mut self);
    /// End a line begun that holds only devgen's own text and numbers (no
    /// catalogue text): nothing in it to clean.
    fn end_own(&mut self) {
        self.end();
    }
    /// A line of these parts.
    fn line(&mut self, parts: &[&str]) {
        let s = self.begin();
        for p in parts {
            s.push_str(p);
        }
        self.end();
    }
}

/// Help lines written as `\t  line\n` to the end of a file's text.
pub(super) struct Indented<'a> {
    out: &'a mut String,
    start: usize,
}

impl<'a> Indented<'a> {
    pub(super) fn new(out: &'a mut String) -> Self {
        Indented { out, start: 0 }
    }
}

impl Help for Indented<'_> {
    fn begin(&mut self) -> &mut String {
        self.out.push_str("\t  ");
        self.start = self.out.len();
        self.out
    }

    fn end(&mut self) {
        let (o, start) = (&mut *self.out, self.start);
        let line = &o.as_bytes()[start..];
        if !may_hold_control(line) {
            // No control character: only trailing whitespace goes, and a
            // line ending in a visible ASCII character has none.
            if !line.last().is_some_and(u8::is_ascii_graphic) {
                let end = start + o[start..].trim_end().len();
                o.truncate(end);
            }
        } else if o[start..].chars().any(char::is_control) {
            let clean = help_line(o[start..].to_string());
            o.truncate(start);
            o.push_str(&clean);
        } else {
            let end = start + o[start..].trim_end().len();
            o.truncate(end);
        }
        o.push('\n');
    }

    fn end_own(&mut self) {
        debug_assert!({
            let line = &self.out[self.start..];
            !line.chars().any(char::is_control) && line.trim_end() == line
        });
        self.out.push('\n');
    }
}

/// Whether `bytes` may hold a control character ([`char::is_control`]): a
/// byte below `' '`, `0x7f`, or `0xC2` (the lead byte of U+0080–U+009F;
/// also of harmless characters, which then only take the slow path). No
/// early exit within a 16-byte chunk: the compiler turns its fold into
/// vector code, faster than stopping at the first odd byte.
fn may_hold_control(bytes: &[u8]) -> bool {
    any_in_chunks(bytes, |b| (b < b' ') | (b == 0x7f) | (b == 0xc2))
}

/// Whether `test` holds for a byte of `bytes`, tested 16 at a time with no
/// early exit inside a chunk (which the compiler turns into vector code);
/// a text shorter than a chunk is padded with `a`, for which `test` must be false.
#[inline(always)]
fn any_in_chunks(bytes: &[u8], test: impl Fn(u8) -> bool) -> bool {
    let chunk_has = |chunk: &[u8; 16]| chunk.iter().fold(false, |any, &b| any | test(b));
    if bytes.len() >= 16 {
        let mut chunks = bytes.chunks_exact(16);
        for chunk in &mut chunks {
            if chunk_has(chunk.try_into().expect("16 bytes")) {
                return true;
            }
        }
        // The last 16 bytes (again, in part) rather than a padded copy.
        return !chunks.remainder().is_empty()
            && chunk_has(bytes[bytes.len() - 16..].try_into().expect("16 bytes"));
    }
    let mut last = [b'a'; 16];
    last[..bytes.len()].copy_from_slice(bytes);
    chunk_has(&last)
}

/// Whether [`kconfig_quote`](super::filters::kconfig_quote) may change
/// anything in `s` besides adding the quotes: a byte of `"`, `\`, `$`, an
/// ASCII control character, or `0xC2` (the lead byte of U+0080–U+009F, the
/// other control characters; also of harmless characters, which then only
/// take the slow path). Chunked as in [`may_hold_control`].
fn may_need_escaping(bytes: &[u8]) -> bool {
    any_in_chunks(bytes, |b| {
        (b < b' ') | (b == 0x7f) | (b == b'"') | (b == b'\\') | (b == b'$') | (b == 0xc2)
    })
}

/// [`gib`] written to `s`; whole numbers without `fmt`.
fn push_gib(s: &mut String, m: f64) {
    let v = (m * 100.0).round() / 100.0;
    if v.fract() == 0.0 && v.is_sign_positive() && v < 1e15 {
        push_digits(s, v as u64);
    } else {
        let _ = write!(s, "{v}");
    }
}

/// [`format_count`] written to `s`; whole numbers without `fmt` (for
/// those it writes `{}` of the number, what [`push_digits`] writes).
fn push_count(s: &mut String, c: f64) {
    if c.fract() == 0.0 && c.is_sign_positive() && c < 1e15 {
        push_digits(s, c as u64);
    } else {
        s.push_str(&format_count(c));
    }
}

/// The GPUs of an instance type: `none`, `8 × h100 (80 GiB each)`, …
fn push_gpus(s: &mut String, inst: &InstanceType) {
    let Some(m) = &inst.gpu_model else {
        s.push_str("none");
        return;
    };
    match inst.gpu_count {
        Some(c) => push_count(s, c),
        None => s.push('?'),
    }
    s.push_str(" × ");
    s.push_str(m);
    if let Some(mem) = inst.gpu_memory_gib {
        s.push_str(" (");
        push_gib(s, mem);
        s.push_str(if inst.gpu_count.is_some_and(|c| c < 1.0) {
            " GiB slice)"
        } else {
            " GiB each)"
        });
    }
}

/// `span(price(lo), price(hi))` written to `s`.
fn push_price_span(s: &mut String, lo: f64, hi: f64) {
    let from = s.len();
    s.push('$');
    push_fixed4(s, lo);
    if lo != hi {
        // Equal texts show once.
        let at = s.len();
        s.push_str("–$");
        push_fixed4(s, hi);
        if s[at + "–$".len()..] == s[from + 1..at] {
            s.truncate(at);
        }
    }
}

/// `\t  line\n` for each help line.
fn push_help(out: &mut String, help: &[String]) {
    for line in help {
        out.push_str("\t  ");
        out.push_str(line);
        out.push('\n');
    }
}

/// `s` as a Kconfig string (what the `kconfig_str` filter writes).
pub(super) fn push_quoted(out: &mut String, s: &str) {
    if !may_need_escaping(s.as_bytes())
        || !s
            .chars()
            .any(|c| matches!(c, '"' | '\\' | '$') || c.is_control())
    {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&super::filters::kconfig_quote(s));
    }
}

impl TopView {
    /// `Kconfig`: the menu that sources the two files below.
    fn write(&self) -> String {
        let mut o = String::with_capacity(self.header.len() + 200);
        o.push_str(&self.header);
        o.push_str("\nmenu ");
        push_quoted(&mut o, &format!("{} instance type and region", self.title));
        o.push_str("\n\nsource ");
        push_quoted(&mut o, &self.location);
        o.push_str("\nsource ");
        push_quoted(&mut o, &self.compute);
        o.push_str("\n\nendmenu\n");
        o
    }
}

impl LocationView {
    /// `Kconfig.location.generated`: the region choice and string.
    fn write(&self) -> String {
        let mut o = String::with_capacity(self.header.len() + 400 * (self.regions.len() + 1));
        o.push_str(&self.header);
        let options: Vec<ChoiceOption> = self
            .regions
            .iter()
            .map(|r| ChoiceOption {
                symbol: &r.symbol,
                prompt: &r.prompt,
                help: &r.help,
                value: &r.code,
            })
            .collect();
        push_choice(
            &mut o,
            &Choice {
                prompt: &format!("{} region", self.title),
                default_symbol: &self.default_symbol,
                help: &self.help,
                options: &options,
                string_symbol: &format!("{}_REGION", self.prefix),
                output_yaml: self.output_yaml,
                default_value: &self.default_code,
            },
        );
        o.push('\n');
        o
    }
}

/// One option of a [`Choice`]: its `bool` config, and the value the string
/// config takes when it is chosen.
struct ChoiceOption<'a> {
    symbol: &'a str,
    prompt: &'a str,
    help: &'a [String],
    value: &'a str,
}

/// A Kconfig `choice` of options, then the `string` config that holds the
/// chosen option's value (the shape of both the region and the instance
/// family menus).
struct Choice<'a> {
    prompt: &'a str,
    default_symbol: &'a str,
    help: &'a [String],
    options: &'a [ChoiceOption<'a>],
    string_symbol: &'a str,
    output_yaml: bool,
    default_value: &'a str,
}

/// [`Choice`] as the templates write it, up to the string config's last
/// `default` line (without its newline).
fn push_choice(o: &mut String, c: &Choice) {
    o.push_str("\nchoice\n\tprompt ");
    push_quoted(o, c.prompt);
    o.push_str("\n\tdefault ");
    o.push_str(c.default_symbol);
    o.push_str("\n\thelp\n");
    push_help(o, c.help);
    o.push('\n');
    for opt in c.options {
        o.push_str("config ");
        o.push_str(opt.symbol);
        o.push_str("\n\tbool ");
        push_quoted(o, opt.prompt);
        o.push_str("\n\thelp\n");
        push_help(o, opt.help);
        o.push('\n');
    }
    o.push_str("endchoice\n\nconfig ");
    o.push_str(c.string_symbol);
    o.push_str("\n\tstring\n");
    if c.output_yaml {
        o.push_str("\toutput yaml\n");
    }
    for opt in c.options {
        o.push_str("\tdefault ");
        push_quoted(o, opt.value);
        o.push_str(" if ");
        o.push_str(opt.symbol);
        o.push('\n');
    }
    o.push_str("\tdefault ");
    push_quoted(o, c.default_value);
}

/// One size of a family: (its symbol, the instance type, its prices).
type Size<'v, 'a> = (&'v str, &'a InstanceType, Option<&'v Prices<'a>>);

/// `Kconfig.<family>.generated`: the size choice of one family.
fn write_family(
    header: &str,
    title: &str,
    family: &str,
    default_symbol: &str,
    sizes: &[Size],
    region: &str,
) -> String {
    let mut o = String::with_capacity(header.len() + 200 + 420 * sizes.len());
    o.push_str(header);
    o.push_str("\nchoice\n\tprompt ");
    push_quoted(&mut o, &[title, " ", family, " instance size"].concat());
    o.push_str("\n\tdefault ");
    o.push_str(default_symbol);
    o.push_str("\n\thelp\n\t  The size of the ");
    o.push_str(family);
    o.push_str(" instance.\n\n");
    for &(symbol, inst, prices) in sizes {
        o.push_str("config ");
        o.push_str(symbol);
        o.push_str("\n\tbool ");
        push_size_label(&mut o, inst);
        o.push_str("\n\thelp\n");
        size_help(inst, prices, region, &mut Indented::new(&mut o));
        o.push('\n');
    }
    o.push_str("endchoice\n");
    o
}

impl ComputeView<'_> {
    /// `Kconfig.compute.generated`: the family choice, each family's sizes file, the instance type string.
    fn write(&self) -> String {
        let sizes: usize = self.families.iter().map(|f| f.sizes.len()).sum();
        let mut o = String::with_capacity(
            self.header.len() + 700 * (self.families.len() + 1) + 100 * sizes,
        );
        o.push_str(&self.header);
        let options: Vec<ChoiceOption> = self
            .families
            .iter()
            .map(|f| ChoiceOption {
                symbol: &f.symbol,
                prompt: &f.prompt,
                help: &f.help,
                value: &f.name,
            })
            .collect();
        push_choice(
            &mut o,
            &Choice {
                prompt: &format!("{} instance family", self.title),
                default_symbol: &self.default_symbol,
                help: &self.help,
                options: &options,
                string_symbol: &format!("{}_INSTANCE_FAMILY", self.prefix),
                output_yaml: self.output_yaml,
                default_value: &self.default_family,
            },
        );
        o.push_str("\n\n");
        for f in &self.families {
            o.push_str("if ");
            o.push_str(&f.symbol);
            o.push_str("\nsource ");
            push_quoted(&mut o, &f.source);
            o.push_str("\nendif\n\n");
        }
        o.push_str("config ");
        o.push_str(&self.prefix);
        o.push_str("_INSTANCE_TYPE\n\tstring\n");
        if self.output_yaml {
            o.push_str("\toutput yaml\n");
        }
        for f in &self.families {
            for (symbol, name) in &f.sizes {
                o.push_str("\tdefault ");
                push_quoted(&mut o, name);
                o.push_str(" if ");
                o.push_str(symbol);
                o.push('\n');
            }
        }
        o.push_str("\tdefault ");
        push_quoted(&mut o, &self.default_type);
        o.push('\n');
        o
    }
}

/// A project's `templates/kconfig/` would have overridden the built-in
/// templates this target once had; it is refused so that it is not silently
/// ignored.
fn no_own_templates(root: &std::path::Path) -> Result<(), Diagnostic> {
    let dir = root.join("templates/kconfig");
    if std::fs::symlink_metadata(&dir).is_err() {
        return Ok(());
    }
    Err(Diagnostic::error(
        "templates/kconfig/ is not used: the kconfig target writes its files itself (it has no templates to override)",
    )
    .with_hint(
        "remove templates/kconfig/; set `kconfig.source_dir`, `kconfig.output_yaml` or `kconfig.providers` in config/common/ instead, or write a custom target (templates/custom/<name>/)",
    ))
}

/// What the defaults of one provider are, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    /// The profile they come from.
    pub profile: String,
    /// Default region code.
    pub region: String,
    /// Default instance type.
    pub instance_type: String,
    /// The GPUs attached to the default instance type (GCP N1 + T4, …).
    pub accelerator: Option<crate::catalogue::Accelerator>,
}

/// The profile that gives `provider` its defaults (see the module docs).
pub(super) fn defaults_model(models: &[Model], provider: Provider) -> Option<&Model> {
    let mut sorted: Vec<&Model> = models.iter().collect();
    sorted.sort_by(|a, b| a.profile.cmp(&b.profile));
    let own: Vec<&Model> = sorted
        .iter()
        .copied()
        .filter(|m| m.cloud.as_deref() == Some(provider.as_str()))
        .collect();
    let candidates = if own.is_empty() { sorted } else { own };
    candidates
        .iter()
        .copied()
        .find(|m| m.services.values().any(|s| s.resources.gpu.is_some()))
        .or_else(|| candidates.first().copied())
}

/// The cheapest priced instance type of `provider`, in `region` when given.
fn cheapest_any<'a>(
    cat: &'a Catalogue,
    provider: Provider,
    region: Option<&str>,
) -> Option<Priced<'a>> {
    crate::fit::cheapest_where(cat, provider, region, |_| true)
}

/// The default (region, instance type) of `provider` from `model` (see the
/// module docs); `None` only for a provider without priced instance types.
pub fn defaults(cat: &Catalogue, provider: Provider, model: Option<&Model>) -> Option<Defaults> {
    let cloud = provider.as_str();
    let configured = model
        .and_then(|m| m.clouds.get(cloud))
        .and_then(|c| c.region.as_deref())
        .and_then(|r| cat.region(provider, r))
        .map(|r| r.code.clone());
    let region = configured.as_deref();
    let gpu_service: Option<&Service> =
        model.and_then(|m| m.services.values().find(|s| s.resources.gpu.is_some()));
    let primary = gpu_service.or_else(|| model.and_then(|m| m.services.values().next()));

    let placed = gpu_service.and_then(|s| s.placements.get(cloud)).map(|p| {
        (
            p.instance_type.clone(),
            p.region.clone(),
            p.accelerator.clone(),
        )
    });
    let chosen = placed
        .or_else(|| {
            let s = gpu_service?;
            let sel = cat.select(&Need::of(s).request(provider, region)).ok()?;
            Some((sel.instance_type, sel.region, sel.accelerator))
        })
        .or_else(|| {
            let need = primary.map(Need::of)?;
            let p = cheapest_cpu_only(cat, provider, need.vcpus, need.memory_gib, region)?;
            Some((p.instance.name.clone(), p.region, None))
        })
        .or_else(|| {
            cheapest_any(cat, provider, region)
                .or_else(|| cheapest_any(cat, provider, None))
                .map(|p| {
                    (
                        p.instance.name.clone(),
                        p.region,
                        p.instance.accelerator.clone(),
                    )
                })
        })?;
    Some(Defaults {
        profile: model.map(|m| m.profile.clone()).unwrap_or_default(),
        region: configured.unwrap_or(chosen.1),
        instance_type: chosen.0,
        accelerator: chosen.2,
    })
}

/// The prices of one instance type (priced offers only).
#[derive(Clone, Debug)]
pub(super) struct Prices<'a> {
    /// Cheapest and dearest hourly price.
    pub(super) lo: f64,
    hi: f64,
    /// Regions with a price.
    regions: usize,
    /// The cheapest region (first by code on ties).
    cheapest: &'a str,
    /// Price in the default region, when offered there.
    pub(super) in_default: Option<f64>,
}

/// Every priced offer of every instance type of a provider, read once.
pub(super) struct PriceTable<'a> {
    /// By position in [`Catalogue::instance_types`].
    pub(super) by_instance: Vec<Option<Prices<'a>>>,
    /// (instance types, GPU types) with a price, by position in
    /// [`Catalogue::regions`].
    pub(super) per_region: Vec<(usize, usize)>,
}

impl<'a> PriceTable<'a> {
    pub(super) fn new(
        cat: &'a Catalogue,
        provider: Provider,
        default_region: &str,
    ) -> PriceTable<'a> {
        let regions = cat.regions(provider);
        let default_index = regions.iter().position(|r| r.code == default_region);
        let instances = cat.instance_types(provider);
        let mut by_instance = Vec::with_capacity(instances.len());
        let mut per_region = vec![(0, 0); regions.len()];
        for (i, inst) in instances.iter().enumerate() {
            let gpu = usize::from(inst.gpu_model.is_some());
            let (mut n, mut lo, mut hi, mut cheapest) = (0, f64::INFINITY, f64::NEG_INFINITY, 0);
            let (mut in_default, mut odd) = (None, false);
            for (k, (r, x)) in cat.offer_prices_at(provider, i).enumerate() {
                // Priced offers only (a NaN price counts, as it always did).
                if x <= 0.0 {
                    continue;
                }
                if let Some(e) = per_region.get_mut(r) {
                    e.0 += 1;
                    e.1 += gpu;
                }
                // NaN or +∞: the exact (slower) range below.
                odd |= x.is_nan() || x == f64::INFINITY;
                if x < lo {
                    lo = x;
                    cheapest = k;
                }
                hi = if x > hi { x } else { hi };
                n += 1;
                if Some(r) == default_index {
                    in_default = Some(x);
                }
            }
            if n == 0 {
                by_instance.push(None);
                continue;
            }
            if odd {
                (lo, hi, cheapest) = exact_price_range(cat, provider, i);
            }
            by_instance.push(Some(Prices {
                lo,
                hi,
                regions: n,
                cheapest: cat.offer_region(provider, i, cheapest),
                in_default,
            }));
        }
        PriceTable {
            by_instance,
            per_region,
        }
    }

    /// The prices of the instance type named `name`.
    fn of(&self, cat: &Catalogue, provider: Provider, name: &str) -> Option<&Prices<'a>> {
        let i = cat
            .instance_types(provider)
            .iter()
            .position(|i| i.name == name)?;
        self.by_instance[i].as_ref()
    }

    /// Whether region `code` has an instance type with a price.
    fn has_region(&self, cat: &Catalogue, provider: Provider, code: &str) -> bool {
        cat.regions(provider)
            .iter()
            .position(|r| r.code == code)
            .is_some_and(|i| self.per_region[i].0 > 0)
    }
}

/// (cheapest, dearest, offer index of the first cheapest) of the priced
/// offers of instance type `i` (at least one), as [`PriceTable::new`] finds
/// them, for prices that may be NaN: the first price starts both ends, a
/// later one replaces the cheapest only when below it, and the dearest is
/// [`f64::max`] (which skips NaN).
fn exact_price_range(cat: &Catalogue, provider: Provider, i: usize) -> (f64, f64, usize) {
    let mut range: Option<(f64, f64, usize)> = None;
    for (k, (_, x)) in cat.offer_prices_at(provider, i).enumerate() {
        if x <= 0.0 {
            continue;
        }
        let (lo, hi, cheapest) = range.get_or_insert((x, x, k));
        if x < *lo {
            *lo = x;
            *cheapest = k;
        }
        *hi = hi.max(x);
    }
    range.expect("a priced offer")
}

/// The prompt of a size: the instance type, or for GPUs attached to a
/// machine (GCP N1 + T4, …) `n1-standard-8 + 1 × nvidia-tesla-t4`.
#[cfg(test)]
fn size_label(inst: &InstanceType) -> String {
    match &inst.accelerator {
        Some(a) => format!("{} + {} × {}", inst.name, a.count, a.accelerator_type),
        None => inst.name.clone(),
    }
}

/// [`size_label`], quoted, written to `o` (without copying the name).
fn push_size_label(o: &mut String, inst: &InstanceType) {
    match &inst.accelerator {
        Some(a) => {
            let mut label = String::with_capacity(inst.name.len() + a.accelerator_type.len() + 12);
            label.push_str(&inst.name);
            label.push_str(" + ");
            push_digits(&mut label, u64::from(a.count));
            label.push_str(" × ");
            label.push_str(&a.accelerator_type);
            push_quoted(o, &label);
        }
        None => push_quoted(o, &inst.name),
    }
}

/// The name a size symbol is made from: the instance type, plus the
/// attached GPUs (`n1-standard-8-t4-x1`).
fn size_key(inst: &InstanceType) -> std::borrow::Cow<'_, str> {
    match &inst.accelerator {
        Some(a) => {
            let model = inst.gpu_model.as_deref().unwrap_or("gpu");
            let mut s = String::with_capacity(inst.name.len() + model.len() + 8);
            s.push_str(&inst.name);
            s.push('-');
            s.push_str(model);
            s.push_str("-x");
            push_digits(&mut s, u64::from(a.count));
            s.into()
        }
        None => inst.name.as_str().into(),
    }
}

pub(super) fn size_help(
    inst: &InstanceType,
    prices: Option<&Prices>,
    region: &str,
    help: &mut impl Help,
) {
    help.line(&["Instance type: ", &inst.name]);
    if let Some(a) = &inst.accelerator {
        let l = help.begin();
        l.push_str("Attached GPUs (guest accelerator): ");
        push_digits(l, u64::from(a.count));
        l.push_str(" × ");
        l.push_str(&a.accelerator_type);
        help.end();
    }
    let l = help.begin();
    l.push_str("vCPUs: ");
    push_digits(l, u64::from(inst.vcpus));
    help.end_own();
    let l = help.begin();
    match inst.memory_gib {
        Some(m) => {
            l.push_str("RAM: ");
            push_gib(l, m);
            l.push_str(" GiB");
        }
        None => l.push_str("RAM: unknown"),
    }
    help.end_own();
    let l = help.begin();
    l.push_str("GPUs: ");
    push_gpus(l, inst);
    help.end();
    match prices {
        Some(p) => {
            let n = p.regions;
            let l = help.begin();
            l.push_str("Price: ");
            push_price_span(l, p.lo, p.hi);
            l.push_str(" per hour on demand in ");
            push_digits(l, n as u64);
            l.push_str(if n == 1 { " region" } else { " regions" });
            l.push_str(" (cheapest: ");
            l.push_str(p.cheapest);
            l.push(')');
            help.end();
            match p.in_default {
                Some(x) => {
                    let l = help.begin();
                    l.push_str("In ");
                    l.push_str(region);
                    l.push_str(": $");
                    push_fixed4(l, x);
                    l.push_str(" per hour");
                    help.end();
                }
                None => help.line(&["Not offered in ", region]),
            }
        }
        None => help.line(&["Price: not listed in the catalogue"]),
    }
}

pub(super) fn family_help(
    table: &PriceTable,
    family: &str,
    sizes: &[(usize, &InstanceType)],
) -> Vec<String> {
    let n = sizes.len();
    let mut help = Vec::with_capacity(5);
    let mut l = String::with_capacity(family.len() + 40);
    l.push_str("Instance family ");
    l.push_str(family);
    l.push_str(": ");
    push_digits(&mut l, n as u64);
    l.push_str(if n == 1 { " size" } else { " sizes" });
    help.push(help_line(l));

    let vcpus = sizes.iter().map(|(_, i)| i.vcpus);
    let (lo, hi) = (vcpus.clone().min().unwrap_or(0), vcpus.max().unwrap_or(0));
    let mut l = String::with_capacity(24);
    l.push_str("vCPUs: ");
    push_digits(&mut l, u64::from(lo));
    if lo != hi {
        l.push('–');
        push_digits(&mut l, u64::from(hi));
    }
    help.push(l);

    let mems = sizes.iter().filter_map(|(_, i)| i.memory_gib);
    if mems.clone().next().is_some() {
        let lo = mems.clone().fold(f64::INFINITY, f64::min);
        let hi = mems.fold(f64::NEG_INFINITY, f64::max);
        let mut l = String::with_capacity(32);
        l.push_str("RAM: ");
        push_text_span(&mut l, |s| push_gib(s, lo), |s| push_gib(s, hi));
        l.push_str(" GiB");
        help.push(l);
    }

    let mut models: Vec<&str> = sizes
        .iter()
        .filter_map(|(_, i)| i.gpu_model.as_deref())
        .collect();
    models.sort_unstable();
    models.dedup();
    if models.is_empty() {
        help.push("GPUs: none".to_string());
    } else {
        let counts = sizes.iter().filter_map(|(_, i)| i.gpu_count);
        let mut l = String::with_capacity(48);
        l.push_str("GPUs: ");
        if counts.clone().next().is_none() {
            l.push('?');
        } else {
            let lo = counts.clone().fold(f64::INFINITY, f64::min);
            let hi = counts.fold(f64::NEG_INFINITY, f64::max);
            push_text_span(&mut l, |s| push_count(s, lo), |s| push_count(s, hi));
        }
        l.push_str(" × ");
        for (k, m) in models.iter().enumerate() {
            if k > 0 {
                l.push_str(", ");
            }
            l.push_str(m);
        }
        help.push(help_line(l));
    }

    let mut prices = sizes
        .iter()
        .filter_map(|(i, _)| table.by_instance[*i].as_ref())
        .peekable();
    if prices.peek().is_some() {
        let (lo, hi) = prices.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.lo), hi.max(p.hi))
        });
        let mut l = String::with_capacity(48);
        l.push_str("Price: ");
        push_price_span(&mut l, lo, hi);
        l.push_str(" per hour on demand");
        help.push(l);
    }
    // Only the lines with catalogue text (the family, the GPU models) need
    // cleaning; the others are devgen's own text and numbers.
    help
}

/// [`span`] of two texts written by `lo` and `hi`: `a`, or `a–b` when they differ.
fn push_text_span(s: &mut String, lo: impl FnOnce(&mut String), hi: impl FnOnce(&mut String)) {
    let from = s.len();
    lo(s);
    let at = s.len();
    s.push('–');
    hi(s);
    if s[at + '–'.len_utf8()..] == s[from..at] {
        s.truncate(at);
    }
}

/// A short summary for a family's prompt: `8 sizes, 1–8 × a10g`.
fn family_prompt(family: &str, sizes: &[(usize, &InstanceType)]) -> String {
    let mut models: Vec<&str> = sizes
        .iter()
        .filter_map(|(_, i)| i.gpu_model.as_deref())
        .collect();
    models.sort_unstable();
    models.dedup();
    let n = sizes.len();
    let mut s = String::with_capacity(family.len() + 16 + 12 * models.len());
    s.push_str(family);
    s.push_str(" (");
    push_digits(&mut s, n as u64);
    s.push_str(if n == 1 { " size" } else { " sizes" });
    for m in &models {
        s.push_str(", ");
        s.push_str(m);
    }
    s.push(')');
    s
}

fn title(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => "AWS",
        Provider::Azure => "Azure",
        Provider::Gcp => "GCP",
        Provider::Lambdalabs => "Lambda Labs",
    }
}

/// The instance types by family name (sorted), each family's in catalogue
/// order: what collecting into a `BTreeMap<&str, Vec<_>>` gives, with one
/// hash look-up per run of types of one family (the catalogue is sorted by
/// name: AWS's families come in runs) and a sort of the family names.
fn group_by_family(instances: &[InstanceType]) -> Vec<(&str, Vec<(usize, &InstanceType)>)> {
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut groups: Vec<(&str, Vec<(usize, &InstanceType)>)> = Vec::new();
    let mut last = usize::MAX;
    for (i, inst) in instances.iter().enumerate() {
        let family = inst.family.as_str();
        if groups.get(last).is_none_or(|(f, _)| *f != family) {
            last = *index.entry(family).or_insert_with(|| {
                groups.push((family, Vec::with_capacity(8)));
                groups.len() - 1
            });
        }
        groups[last].1.push((i, inst));
    }
    groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
    groups
}

/// A family's sizes by (GPUs, vCPUs, RAM), then name.
fn sort_sizes(sizes: &mut [(usize, &InstanceType)]) {
    let key = |i: &InstanceType| {
        (
            i.gpu_count.unwrap_or(0.0),
            i.vcpus,
            i.memory_gib.unwrap_or(0.0),
        )
    };
    // Given in name order (as the catalogue is) and without NaN, the name
    // need not be compared: a stable sort keeps name order among equal keys.
    let by_name = sizes.windows(2).all(|w| w[0].1.name <= w[1].1.name);
    let no_nan = sizes.iter().all(|(_, i)| {
        let (gpus, _, ram) = key(i);
        !gpus.is_nan() && !ram.is_nan()
    });
    if by_name && no_nan {
        // Integer keys ordered as the numbers are (`-0.0` as `0.0`, as
        // `partial_cmp` has them); a cached-key sort is stable.
        let ordered = |x: f64| {
            let bits = (x + 0.0).to_bits();
            if bits >> 63 == 1 {
                !bits
            } else {
                bits | 1 << 63
            }
        };
        sizes.sort_by_cached_key(|(_, i)| {
            let (gpus, vcpus, ram) = key(i);
            (ordered(gpus), vcpus, ordered(ram))
        });
        return;
    }
    sizes.sort_by(|(_, a), (_, b)| {
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// Every file of one provider's tree.
fn render_provider(
    cat: &Catalogue,
    provider: Provider,
    model: Option<&Model>,
) -> Result<Vec<PlannedFile>, Diagnostic> {
    let Some(mut defaults) = defaults(cat, provider, model) else {
        return Ok(Vec::new());
    };
    let name = provider.as_str();
    let prefix = format!("TERRAFORM_{}", symbol_part(name));
    let title = title(provider).to_string();
    let settings = model.map(|m| m.kconfig.clone());
    let output_yaml = settings.as_ref().is_some_and(|s| s.output_yaml);
    let source_dir = settings
        .map(|s| s.source_dir)
        .unwrap_or_else(|| crate::model::DEFAULT_KCONFIG_SOURCE_DIR.to_string())
        .replace("{provider}", name);
    let source_dir = source_dir.trim_end_matches('/').to_string();
    let sources: Vec<String> = model.map(|m| m.sources.clone()).unwrap_or_default();
    let from = match model {
        Some(m) => format!("profile {}", m.profile),
        None => "no profile".to_string(),
    };
    let common_header = header("#", &sources, REGENERATE);
    let head = |what: &str| {
        let mut h = String::with_capacity(common_header.len() + 160);
        h.push_str(&common_header);
        for part in [
            "# ",
            title.as_str(),
            " ",
            what,
            " from the devgen provider catalogue; defaults from ",
            from.as_str(),
            ".\n",
        ] {
            h.push_str(part);
        }
        h
    };
    let out_dir = PathBuf::from("deploy/kconfig").join(name);
    let out_prefix = ["deploy/kconfig/", name, "/"].concat();
    let file = |path: PathBuf, text: String| PlannedFile {
        path,
        bytes: text.into_bytes(),
        target: "kconfig".to_string(),
        profile: None,
        regenerate: REGENERATE.to_string(),
    };
    let mut files = Vec::new();

    // Prices, and the regions with at least one priced offer.
    let mut table = PriceTable::new(cat, provider, &defaults.region);
    if !table.has_region(cat, provider, &defaults.region) {
        // A configured region without any price: the instance's cheapest region.
        if let Some(p) = table.of(cat, provider, &defaults.instance_type) {
            defaults.region = p.cheapest.to_string();
            table = PriceTable::new(cat, provider, &defaults.region);
        }
    }
    let mut symbols =
        Symbols::with_capacity(3 + cat.regions(provider).len() + 2 * table.by_instance.len());
    for fixed in ["REGION", "INSTANCE_TYPE", "INSTANCE_FAMILY"] {
        symbols.unique(format!("{prefix}_{fixed}"));
    }
    let mut regions = Vec::new();
    let mut default_region_symbol = None;
    for (r, &(count, gpu_count)) in cat.regions(provider).iter().zip(&table.per_region) {
        if count == 0 {
            continue;
        }
        let symbol = symbols.unique(symbol_of(&prefix, "REGION", &r.code));
        if r.code == defaults.region {
            default_region_symbol = Some(symbol.clone());
        }
        let prompt = match &r.display_name {
            Some(d) => [r.code.as_str(), " (", d, ")"].concat(),
            None => r.code.clone(),
        };
        let mut help = vec![["Region: ", r.code.as_str()].concat()];
        if let Some(d) = &r.display_name {
            help.push(["Location: ", d.as_str()].concat());
        }
        let mut l = String::with_capacity(80);
        l.push_str("Instance types with a price here: ");
        push_digits(&mut l, count as u64);
        l.push_str(" (");
        push_digits(&mut l, gpu_count as u64);
        l.push_str(" with GPUs or accelerators)");
        help.push(l);
        if !r.zones.is_empty() {
            help.push(["Zones: ", r.zones.join(", ").as_str()].concat());
        }
        regions.push(RegionEntry {
            symbol,
            code: r.code.clone(),
            prompt: help_line(prompt),
            help: help.into_iter().map(help_line).collect(),
        });
    }
    let Some(first_region) = regions.first() else {
        return Ok(Vec::new());
    };
    let default_region_symbol =
        default_region_symbol.unwrap_or_else(|| first_region.symbol.clone());
    let location = LocationView {
        header: head("regions"),
        title: title.clone(),
        prefix: prefix.clone(),
        output_yaml,
        help: vec![
            format!("The {title} region to deploy to."),
            format!("Default: {} (from {from}).", defaults.region),
        ]
        .into_iter()
        .map(help_line)
        .collect(),
        default_symbol: default_region_symbol,
        default_code: defaults.region.clone(),
        regions,
    };
    files.push(file(
        out_dir.join("Kconfig.location.generated"),
        location.write(),
    ));

    // Families, in catalogue order (sorted by family name).
    let by_family = group_by_family(cat.instance_types(provider));
    let mut families = Vec::new();
    let mut default_family_symbol = None;
    let mut default_family = String::new();
    let mut used_files: HashSet<String> = HashSet::new();
    for (family, mut sizes) in by_family {
        sort_sizes(&mut sizes);
        let fsym = symbols.unique(symbol_of(&prefix, "INSTANCE_FAMILY", family));
        let size_symbols: Vec<String> = sizes
            .iter()
            .map(|(_, inst)| symbols.unique(symbol_of(&prefix, "INSTANCE_SIZE", &size_key(inst))))
            .collect();
        let mut default_size = None;
        for ((_, inst), symbol) in sizes.iter().zip(&size_symbols) {
            if inst.name == defaults.instance_type && inst.accelerator == defaults.accelerator {
                default_size = Some(symbol.as_str());
                default_family_symbol = Some(fsym.clone());
                default_family = family.to_string();
            }
        }
        let default_symbol = default_size.unwrap_or(&size_symbols[0]);
        let mut stem = file_part(family);
        if !used_files.insert(stem.to_ascii_lowercase()) {
            stem = format!("{stem}_{}", fsym.to_ascii_lowercase());
            used_files.insert(stem.to_ascii_lowercase());
        }
        let rel = ["instance-types/Kconfig.", stem.as_str(), ".generated"].concat();
        let sizes_of: Vec<Size> = sizes
            .iter()
            .zip(&size_symbols)
            .map(|(&(i, inst), symbol)| (symbol.as_str(), inst, table.by_instance[i].as_ref()))
            .collect();
        // Catalogue text never starts a Kconfig line of its own.
        let family_text = super::filters::one_line(family);
        let mut what = String::with_capacity(family_text.len() + 25);
        what.push_str("instance sizes of family ");
        what.push_str(&family_text);
        let header = head(&what);
        let text = write_family(
            &header,
            &title,
            &family_text,
            default_symbol,
            &sizes_of,
            &defaults.region,
        );
        // = out_dir.join(&rel) (`rel` is relative, its parts are safe).
        files.push(file(
            PathBuf::from([out_prefix.as_str(), &rel].concat()),
            text,
        ));
        let sizes_ref: Vec<(String, &str)> = sizes
            .iter()
            .zip(size_symbols)
            .map(|((_, inst), symbol)| (symbol, inst.name.as_str()))
            .collect();
        families.push(FamilyEntry {
            symbol: fsym,
            name: family.to_string(),
            prompt: help_line(family_prompt(family, &sizes)),
            help: family_help(&table, family, &sizes),
            source: [source_dir.as_str(), "/", rel.as_str()].concat(),
            sizes: sizes_ref,
        });
    }
    let Some(first_family) = families.first() else {
        return Ok(Vec::new());
    };
    let default_symbol = default_family_symbol.unwrap_or_else(|| first_family.symbol.clone());
    if default_family.is_empty() {
        default_family = first_family.name.clone();
    }
    let compute = ComputeView {
        header: head("instance families and types"),
        title: title.clone(),
        prefix: prefix.clone(),
        output_yaml,
        help: vec![
            format!("The {title} instance family; each family offers a choice of sizes."),
            format!("Default: {} (from {from}).", defaults.instance_type),
        ]
        .into_iter()
        .map(help_line)
        .collect(),
        default_symbol,
        default_family,
        default_type: defaults.instance_type.clone(),
        families,
    };
    files.push(file(
        out_dir.join("Kconfig.compute.generated"),
        compute.write(),
    ));
    let top = TopView {
        header: head("instance type and region menu"),
        title,
        location: format!("{source_dir}/Kconfig.location.generated"),
        compute: format!("{source_dir}/Kconfig.compute.generated"),
    };
    files.push(file(out_dir.join("Kconfig"), top.write()));
    Ok(files)
}

/// The providers the project wants menus for: per profile its
/// `kconfig.providers`, else the clouds in its `clouds:`; all of them
/// together (so the files do not depend on which profiles were selected).
/// `None` (every provider of the catalogue) without any profile.
fn wanted_providers(models: &[Model]) -> Option<HashSet<String>> {
    if models.is_empty() {
        return None;
    }
    let mut wanted = HashSet::new();
    for m in models {
        match &m.kconfig.providers {
            Some(list) => wanted.extend(list.iter().cloned()),
            None => wanted.extend(m.clouds.keys().cloned()),
        }
    }
    Some(wanted)
}

/// `kconfig.layout: kdevops`: kdevops' own generated files, defaults from
/// the profile that gives each provider its defaults.
fn render_kdevops_layout(
    cat: &Catalogue,
    providers: &[Provider],
    models: &[Model],
) -> Vec<PlannedFile> {
    let names = super::kdevops::LambdaNames::builtin();
    let opts = super::kdevops::Options {
        regenerate: REGENERATE,
        target: "kconfig",
        lambda: &names,
    };
    providers
        .iter()
        .flat_map(|&p| super::kdevops::render(cat, &[p], defaults_model(models, p), &opts))
        .collect()
}

impl Target for Kconfig {
    fn name(&self) -> &str {
        "kconfig"
    }

    /// The menus are shared by every profile: rendered from every model.
    fn needs_all_models(&self) -> bool {
        true
    }

    /// Its menus hold the whole catalogue: as much work as all the other
    /// targets together.
    fn is_heavy(&self) -> bool {
        true
    }

    fn render(
        &self,
        engine: &Engine,
        models: &[Model],
        opts: &RenderOptions,
    ) -> Result<Vec<PlannedFile>, Vec<Diagnostic>> {
        let models = if opts.all_models.is_empty() {
            models
        } else {
            &opts.all_models
        };
        let cat = catalogue::active();
        let wanted = wanted_providers(models);
        let providers: Vec<Provider> = cat
            .providers()
            .into_iter()
            .filter(|p| opts.clouds.is_empty() || opts.clouds.iter().any(|c| c == p.as_str()))
            .filter(|p| wanted.as_ref().is_none_or(|w| w.contains(p.as_str())))
            .collect();
        if models.iter().any(|m| m.kconfig.kdevops_layout) {
            return Ok(render_kdevops_layout(cat, &providers, models));
        }
        no_own_templates(engine.root()).map_err(|d| vec![d])?;
        // The providers' trees are independent: they are shared between
        // this thread and one more (largest first, each to the one with
        // fewer instance types so far); results go in provider order.
        let render =
            |provider: Provider| render_provider(cat, provider, defaults_model(models, provider));
        let mut by_size: Vec<usize> = (0..providers.len()).collect();
        by_size.sort_by_key(|&i| std::cmp::Reverse(cat.instance_types(providers[i]).len()));
        let (mut theirs, mut ours) = (Vec::new(), Vec::new());
        let (mut their_load, mut our_load) = (0, 0);
        for i in by_size {
            let n = cat.instance_types(providers[i]).len();
            if their_load <= our_load {
                theirs.push(i);
                their_load += n;
            } else {
                ours.push(i);
                our_load += n;
            }
        }
        let mut rendered: Vec<Option<Result<Vec<PlannedFile>, Diagnostic>>> =
            (0..providers.len()).map(|_| None).collect();
        let run = |part: &[usize]| -> Vec<(usize, Result<Vec<PlannedFile>, Diagnostic>)> {
            part.iter().map(|&i| (i, render(providers[i]))).collect()
        };
        let done = if ours.is_empty() {
            run(&theirs)
        } else {
            std::thread::scope(|s| {
                let other = s.spawn(|| run(&theirs));
                let mut done = run(&ours);
                match other.join() {
                    Ok(r) => done.extend(r),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
                done
            })
        };
        for (i, r) in done {
            rendered[i] = Some(r);
        }
        super::gather(rendered.into_iter().flatten(), Vec::new())
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::catalogue::Row;

    #[test]
    fn symbol_parts_are_upper_case_alphanumerics() {
        assert_eq!(symbol_part("p5.48xlarge"), "P5_48XLARGE");
        assert_eq!(
            symbol_part("Standard_ND96isr_H100_v5"),
            "STANDARD_ND96ISR_H100_V5"
        );
        assert_eq!(symbol_part("a3-highgpu-8g"), "A3_HIGHGPU_8G");
        assert_eq!(symbol_part("--x..y__"), "X_Y");
        assert_eq!(symbol_part("ü"), "X");
        assert_eq!(file_part("a/b c"), "a_b_c");
        assert_eq!(file_part(".hidden"), "_.hidden");
    }

    fn row(name: &str, family: &str, region: &str, price: f64) -> Row {
        Row {
            provider: Provider::Aws,
            instance_type: name.into(),
            family: family.into(),
            vcpus: 2,
            memory_gib: Some(4.0),
            gpu_model: None,
            gpu_count: None,
            gpu_memory_gib: None,
            region: region.into(),
            price_hourly_usd: price,
            spot_price_hourly_usd: None,
            accelerator: None,
        }
    }

    /// Names that collide once upper-cased get suffixes; every symbol is
    /// defined once; prompts and file names stay safe.
    #[test]
    fn colliding_names_get_unique_symbols() {
        let cat = Catalogue::from_rows(vec![
            row("x.large", "x", "us-east-1", 1.0),
            row("x-large", "x", "us-east-1", 0.5),
            row("X_LARGE", "X", "us-east-1", 2.0),
            row("q\"$(q)", "we/ird", "US-EAST-1", 3.0),
        ]);
        let files = render_provider(&cat, Provider::Aws, None).unwrap();
        let mut defined = Vec::new();
        for f in &files {
            let text = String::from_utf8(f.bytes.clone()).unwrap();
            for line in text.lines() {
                if let Some(sym) = line.strip_prefix("config ") {
                    assert!(
                        sym.chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                        "{sym}"
                    );
                    defined.push(sym.to_string());
                }
            }
        }
        let unique: HashSet<&String> = defined.iter().collect();
        assert_eq!(unique.len(), defined.len(), "{defined:?}");
        assert!(defined.contains(&"TERRAFORM_AWS_INSTANCE_SIZE_X_LARGE_2".to_string()));
        assert!(defined.contains(&"TERRAFORM_AWS_INSTANCE_FAMILY_X_2".to_string()));
        // The cheapest type is the default (no profile).
        let compute = files
            .iter()
            .find(|f| f.path.ends_with("Kconfig.compute.generated"))
            .unwrap();
        let text = String::from_utf8(compute.bytes.clone()).unwrap();
        assert!(text.ends_with("\tdefault \"x-large\"\n"), "{text}");
        assert!(text.contains("\tdefault \"q\\\"\\$(q)\" if "), "{text}");
        // Family file names are safe and distinct (x vs X on case-insensitive disks).
        let mut names: Vec<String> = files
            .iter()
            .filter_map(|f| {
                let s = f.path.to_string_lossy().to_string();
                s.contains("instance-types/").then_some(s)
            })
            .collect();
        names.sort();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(
            names
                .iter()
                .any(|n| n.ends_with("Kconfig.we_ird.generated"))
        );
    }

    /// Catalogue text that got past the boundary checks still never starts
    /// a Kconfig line of its own: every line is one of
    /// devgen's own statements, a comment, help text or blank.
    #[test]
    fn hostile_catalogue_text_never_starts_a_line() {
        let evil = "x\nconfig PWN\n\tbool \"p\"\n$(shell,touch /tmp/x)\nsource \"/etc/passwd\"\\";
        let cat = Catalogue::from_rows(vec![
            row(evil, evil, "us-east-1", 1.0),
            row("ok.large", "ok", evil, 2.0),
        ]);
        {
            let files = render_provider(&cat, Provider::Aws, None).unwrap();
            for f in &files {
                let text = String::from_utf8(f.bytes.clone()).unwrap();
                for line in text.lines() {
                    let ok = line.is_empty()
                        || line.starts_with('#')
                        || line.starts_with('\t')
                        || ["choice", "endchoice", "endif", "endmenu"].contains(&line)
                        || line.starts_with("menu \"")
                        || line.starts_with("source \"deploy/kconfig/aws/")
                        || ["config ", "if "].iter().any(|k| {
                            line.strip_prefix(k).is_some_and(|s| {
                                s.chars().all(|c| {
                                    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
                                })
                            })
                        });
                    assert!(ok, "{}: {line:?}", f.path.display());
                    assert!(!line.starts_with("config PWN"), "{line:?}");
                }
            }
        }
    }

    /// A project's own `templates/kconfig/` is refused, not silently ignored.
    #[test]
    fn own_kconfig_templates_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let engine = Engine::new(d.path());
        assert!(
            Kconfig
                .render(&engine, &[], &RenderOptions::default())
                .is_ok()
        );
        std::fs::create_dir_all(d.path().join("templates/kconfig")).unwrap();
        std::fs::write(d.path().join("templates/kconfig/Kconfig.j2"), "x").unwrap();
        let err = Kconfig
            .render(&engine, &[], &RenderOptions::default())
            .unwrap_err();
        assert!(
            err[0].message.contains("templates/kconfig/ is not used"),
            "{err:?}"
        );
    }

    /// Numbers written without `fmt` are what `fmt` writes.
    #[test]
    fn numbers_are_written_like_format() {
        for n in [0, 7, 10, 99, 1234, u64::from(u32::MAX), u64::MAX] {
            let mut s = String::new();
            push_digits(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        for m in [
            0.0,
            -0.0,
            1.0,
            1.7,
            0.61,
            0.005,
            0.004,
            16.0,
            2048.0,
            1e14,
            1e15,
            1e16,
            1e300,
            -3.0,
            f64::NAN,
            f64::INFINITY,
            123.456,
        ] {
            let mut s = String::new();
            push_gib(&mut s, m);
            assert_eq!(s, gib(m), "{m:?}");
        }
    }

    /// Four decimals without `format!`'s exact path are what `format!` writes.
    #[test]
    fn prices_have_four_decimals_like_format() {
        let mut values: Vec<f64> = vec![
            0.0,
            -0.0,
            1.0,
            0.00005,
            0.00015,
            0.000049,
            0.0255,
            11.5584,
            92.4672,
            1234.56785,
            0.123_450,
            0.123_451,
            0.123_449,
            98.76,
            1e9,
            2e9,
            f64::NAN,
            f64::INFINITY,
            -1.5,
            0.1 + 0.2,
            1.0 / 3.0,
            // Where adding ½ and truncating is not rounding.
            0.5f64.next_down(),
            0.5f64.next_down() / 1e6,
            4_503_599.627_370_5,
        ];
        for m in (0..2_000_000u64).step_by(37).chain(999_900..1_000_200) {
            values.push(m as f64 / 1e6);
            values.push(m as f64 / 1e6 * 1000.0);
            values.push((m * 50) as f64 / 1e6);
        }
        for x in values {
            let mut s = String::new();
            push_fixed4(&mut s, x);
            assert_eq!(s, format!("{x:.4}"), "{x:?}");
        }
    }

    // --- The fast paths against the code they replaced (kept here as references). ---

    fn symbol_part_reference(name: &str) -> String {
        let mut out = String::new();
        for c in name.chars() {
            let c = c.to_ascii_uppercase();
            if c.is_ascii_uppercase() || c.is_ascii_digit() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        while out.ends_with('_') {
            out.pop();
        }
        if out.is_empty() {
            out.push('X');
        }
        out
    }

    fn help_line_reference(s: &str) -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim_end()
            .to_string()
    }

    /// Texts that exercise every branch: control characters (C0, DEL, C1
    /// as `\u{85}`), characters that share the C1 lead byte (`\u{a0}`,
    /// `é` is not one, `\u{bf}` is), trailing Unicode whitespace, quotes,
    /// dollars, backslashes, multi-byte text, and lengths around 16 and 64.
    fn tricky_texts() -> Vec<String> {
        let mut v: Vec<String> = [
            "",
            " ",
            "a",
            "a ",
            "a\t",
            "p5.48xlarge",
            "Standard_ND96isr_H100_v5",
            "--x..y__",
            "ü",
            "xü",
            "üx",
            "a-ü-b",
            "a\u{85}b",
            "a\u{85}",
            "a\u{a0}",
            "a\u{a0}b",
            "\u{bf}",
            "a\u{2028}",
            "a\u{3000}",
            "x\u{7f}y",
            "x\ny",
            "x\r",
            "\"q\"",
            "$(shell,x)",
            "a\\b",
            "1/8 × a10g",
            "$1.2345–$2.0000",
            "0123456789abcdef",
            "0123456789abcdef ",
            "0123456789abcde\n",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde.",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
            "...a.b.c...d...e...f...g...h...i...j...k...l...m...n...o...p...q...",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for pad in 0..40 {
            for tail in ["\u{85}", "\u{a0}", " ", "\"", "$", "ü", "\u{1}", "x"] {
                v.push(format!("{}{tail}", "a".repeat(pad)));
                v.push(format!("{tail}{}", "b-".repeat(pad)));
            }
        }
        v
    }

    #[test]
    fn symbol_parts_match_the_reference() {
        for t in tricky_texts() {
            assert_eq!(symbol_part(&t), symbol_part_reference(&t), "{t:?}");
        }
    }

    #[test]
    fn help_lines_match_the_reference() {
        for t in tricky_texts() {
            assert_eq!(help_line(t.clone()), help_line_reference(&t), "{t:?}");
            let mut out = String::from("x\n");
            let mut help = Indented::new(&mut out);
            help.line(&[&t]);
            assert_eq!(
                out,
                format!("x\n\t  {}\n", help_line_reference(&t)),
                "{t:?}"
            );
        }
    }

    #[test]
    fn quoting_matches_kconfig_quote() {
        for t in tricky_texts() {
            let mut out = String::from("x");
            push_quoted(&mut out, &t);
            assert_eq!(
                out,
                format!("x{}", crate::emit::quote::kconfig_quote(&t)),
                "{t:?}"
            );
        }
    }

    #[test]
    fn counts_are_written_like_format_count() {
        for c in [
            0.0,
            -0.0,
            1.0,
            8.0,
            16.0,
            0.5,
            0.125,
            1.0 / 6.0,
            1e15,
            1e16,
            f64::NAN,
            -2.0,
            123456.0,
        ] {
            let mut s = String::new();
            push_count(&mut s, c);
            assert_eq!(s, format_count(c), "{c:?}");
        }
    }

    fn priced_row(name: &str, family: &str, region: &str, price: f64, gpu: bool) -> Row {
        let mut r = row(name, family, region, price);
        if gpu {
            r.gpu_model = Some("h100".into());
            r.gpu_count = Some(8.0);
        }
        r
    }

    /// Price ranges, cheapest regions, region counts and family help as the
    /// code before the fast loop computed them, NaN and infinite prices included.
    #[test]
    fn price_table_and_family_help_match_the_reference() {
        let regions = ["us-east-1", "us-west-2", "eu-west-1", "ap-south-1"];
        let prices = [
            [1.0, 0.5, 2.0, 0.5],
            [f64::NAN, 1.0, 0.5, 3.0],
            [1.0, f64::NAN, 0.25, f64::NAN],
            [f64::INFINITY, 2.0, 1.0, f64::INFINITY],
            [f64::INFINITY, f64::INFINITY, 0.0, -1.0],
            [0.0, -1.0, 0.0, 0.0],
            [0.7, 0.7, 0.7, 0.7],
            [f64::NAN, f64::NAN, f64::NAN, f64::NAN],
        ];
        let mut rows = Vec::new();
        for (k, p) in prices.iter().enumerate() {
            for (r, &x) in regions.iter().zip(p) {
                rows.push(priced_row(
                    &format!("t{k}.large"),
                    // Catalogue text to clean in the family's help.
                    ["f0", "f1\u{85}x \t", "f2\n"][k % 3],
                    r,
                    x,
                    k % 2 == 0,
                ));
            }
        }
        let cat = Catalogue::from_rows(rows);
        for default_region in ["us-east-1", "eu-west-1", "nowhere"] {
            let table = PriceTable::new(&cat, Provider::Aws, default_region);
            let regions = cat.regions(Provider::Aws);
            let default_index = regions.iter().position(|r| r.code == default_region);
            let mut per_region = vec![(0, 0); regions.len()];
            for (i, inst) in cat.instance_types(Provider::Aws).iter().enumerate() {
                let mut p: Option<(f64, f64, usize, &str, Option<f64>)> = None;
                for (r, o) in cat.offers_at(Provider::Aws, i) {
                    if o.price_hourly_usd <= 0.0 {
                        continue;
                    }
                    if let Some(e) = per_region.get_mut(r) {
                        e.0 += 1;
                        e.1 += usize::from(inst.gpu_model.is_some());
                    }
                    let x = o.price_hourly_usd;
                    let p = p.get_or_insert((x, x, 0, o.region, None));
                    if x < p.0 {
                        p.0 = x;
                        p.3 = o.region;
                    }
                    p.1 = p.1.max(x);
                    p.2 += 1;
                    if Some(r) == default_index {
                        p.4 = Some(x);
                    }
                }
                let got = table.by_instance[i]
                    .as_ref()
                    .map(|q| (q.lo, q.hi, q.regions, q.cheapest, q.in_default));
                assert_eq!(
                    format!("{got:?}"),
                    format!("{p:?}"),
                    "{} in {default_region}",
                    inst.name
                );
            }
            assert_eq!(table.per_region, per_region);
            let instances = cat.instance_types(Provider::Aws);
            for (family, sizes) in group_by_family(instances) {
                assert_eq!(
                    family_help(&table, family, &sizes),
                    family_help_reference(&table, family, &sizes)
                );
            }
        }
    }

    /// Sizes sorted without comparing names (in name order, no NaN) are
    /// sorted as with the name tie-break; other inputs take the full sort.
    #[test]
    fn sizes_sort_like_the_full_comparison() {
        let full = |sizes: &mut Vec<(usize, &InstanceType)>| super::super::kdevops::by_size(sizes);
        let mut insts = Vec::new();
        for k in 0..60u32 {
            let mut r = row(&format!("n{:02}", (k * 37) % 60), "f", "us-east-1", 1.0);
            r.vcpus = [2, 4, 2, 8, 4][k as usize % 5];
            r.memory_gib = [
                Some(4.0),
                None,
                Some(-0.0),
                Some(0.0),
                Some(3.75),
                Some(f64::NAN),
                Some(-1.5),
                Some(f64::INFINITY),
                Some(f64::NEG_INFINITY),
            ][k as usize % 9];
            r.gpu_count = [None, Some(1.0), Some(0.0), None, Some(-0.0), Some(0.5)][k as usize % 6];
            let cat = Catalogue::from_rows(vec![r]);
            insts.push(cat.instance_types(Provider::Aws)[0].clone());
        }
        let nan_free: Vec<&InstanceType> = insts
            .iter()
            .filter(|i| !i.memory_gib.is_some_and(f64::is_nan))
            .collect();
        let mut by_name: Vec<&InstanceType> = nan_free.clone();
        by_name.sort_by(|a, b| a.name.cmp(&b.name));
        // Duplicate names (a machine and its attached-GPU combinations).
        by_name.insert(3, by_name[3]);
        let all: Vec<&InstanceType> = insts.iter().collect();
        for input in [by_name, nan_free, all] {
            let mut fast: Vec<(usize, &InstanceType)> = input.iter().copied().enumerate().collect();
            let mut slow = fast.clone();
            sort_sizes(&mut fast);
            full(&mut slow);
            let ids = |v: &[(usize, &InstanceType)]| v.iter().map(|(i, _)| *i).collect::<Vec<_>>();
            assert_eq!(ids(&fast), ids(&slow));
        }
    }

    /// Size prompts written piecewise are the quoted labels.
    #[test]
    fn size_labels_match_the_reference() {
        let cat = Catalogue::embedded();
        let mut seen = 0;
        for inst in cat.instance_types(Provider::Gcp).iter().take(400) {
            let mut o = String::new();
            push_size_label(&mut o, inst);
            let mut want = String::new();
            push_quoted(&mut want, &size_label(inst));
            assert_eq!(o, want);
            seen += usize::from(inst.accelerator.is_some());
        }
        assert!(seen > 10, "{seen} attached combinations");
    }

    /// Families grouped by a hash map are what a `BTreeMap` of them gives.
    #[test]
    fn families_group_like_a_btree_map() {
        let cat = Catalogue::from_rows(vec![
            row("b.large", "b", "us-east-1", 1.0),
            row("a.large", "zz", "us-east-1", 1.0),
            row("c.large", "b", "us-east-1", 1.0),
            row("c.xlarge", "b", "us-east-1", 1.0),
            row("d.large", "a", "us-east-1", 1.0),
            row("e.large", "zz", "us-east-1", 1.0),
            row("f.large", "B", "us-east-1", 1.0),
            row("g.large", "b", "us-east-1", 1.0),
            row("h.large", "a", "us-east-1", 1.0),
            row("i.large", "a", "us-east-1", 1.0),
        ]);
        let instances = cat.instance_types(Provider::Aws);
        let mut map: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (i, inst) in instances.iter().enumerate() {
            map.entry(inst.family.as_str()).or_default().push(i);
        }
        let grouped: Vec<(&str, Vec<usize>)> = group_by_family(instances)
            .into_iter()
            .map(|(f, sizes)| (f, sizes.into_iter().map(|(i, _)| i).collect()))
            .collect();
        assert_eq!(grouped, map.into_iter().collect::<Vec<_>>());
    }

    fn family_help_reference(
        table: &PriceTable,
        family: &str,
        sizes: &[(usize, &InstanceType)],
    ) -> Vec<String> {
        let prices: Vec<(f64, f64)> = sizes
            .iter()
            .filter_map(|(i, _)| table.by_instance[*i].as_ref().map(|p| (p.lo, p.hi)))
            .collect();
        let sizes: Vec<&InstanceType> = sizes.iter().map(|(_, i)| *i).collect();
        let vcpus = (
            sizes.iter().map(|i| i.vcpus).min().unwrap_or(0),
            sizes.iter().map(|i| i.vcpus).max().unwrap_or(0),
        );
        let mems: Vec<f64> = sizes.iter().filter_map(|i| i.memory_gib).collect();
        let mut help = vec![
            format!(
                "Instance family {family}: {} size{}",
                sizes.len(),
                if sizes.len() == 1 { "" } else { "s" }
            ),
            format!("vCPUs: {}", span(vcpus.0, vcpus.1)),
        ];
        if !mems.is_empty() {
            let lo = mems.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = mems.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            help.push(format!("RAM: {} GiB", span(gib(lo), gib(hi))));
        }
        let mut models: Vec<&str> = sizes
            .iter()
            .filter_map(|i| i.gpu_model.as_deref())
            .collect();
        models.sort_unstable();
        models.dedup();
        if models.is_empty() {
            help.push("GPUs: none".to_string());
        } else {
            let counts: Vec<f64> = sizes.iter().filter_map(|i| i.gpu_count).collect();
            let lo = counts.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = counts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let count = if counts.is_empty() {
                "?".to_string()
            } else {
                span(format_count(lo), format_count(hi))
            };
            help.push(format!("GPUs: {count} × {}", models.join(", ")));
        }
        if !prices.is_empty() {
            let lo = prices.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
            let hi = prices.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            help.push(format!(
                "Price: {} per hour on demand",
                span(price(lo), price(hi))
            ));
        }
        help.into_iter().map(help_line).collect()
    }
}
