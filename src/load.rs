//! Stage 1 — load: YAML files → JSON values with the source position of every node.
//!
//! Parsing drives yaml-rust2's event parser in a loop (no recursion), so deep
//! nesting cannot overflow the stack. Hostile input is refused cleanly:
//! files over [`MAX_FILE_BYTES`], invalid UTF-8, NUL bytes, nesting deeper than
//! [`MAX_DEPTH`], more than [`MAX_NODES`] values written in the file, more
//! than [`MAX_ALIAS_VALUES`] values added by aliases (alias bombs), duplicate
//! keys, and more than one document. Each refusal names the limit it hit.
//!
//! One parse does it all, recording positions when asked (an
//! `Option<&mut Positions>`, as the merge records provenance). Positions
//! are recorded as a tree with a node per value ([`spans::SpanTree`]),
//! which costs little next to the parse: config files ([`load_file`],
//! [`load_bytes`]), whose positions place diagnostics, record them in the
//! one parse. Other YAML ([`load_str`]: text the renderers read back) is
//! first parsed into its value alone; its position tables are built by
//! parsing the text again, recording, on first use ([`Spans`]). A refused
//! text is parsed again, recording, to report why with every position.
mod spans;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::diag::{Diagnostic, Span};
use crate::path::{ConfigPath, Seg};
use spans::{NodeId, SpanTree};

/// Largest config file accepted.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// Most values (scalars, lists, maps) written in one file: far more than
/// any [`MAX_FILE_BYTES`] file of plain config holds (a value takes at
/// least two bytes of text, and usually ten or more).
pub const MAX_NODES: usize = 4_000_000;
/// Most values aliases (`*name`) may add to one file, counting every value
/// an alias repeats (alias bombs hit this, plain files never do).
pub const MAX_ALIAS_VALUES: usize = 200_000;

/// A parsed YAML file with positions.
#[derive(Clone, Debug)]
pub struct LoadedFile {
    /// Display name (relative to the project root).
    pub name: Arc<str>,
    /// The file's text.
    pub text: Arc<str>,
    /// The document as JSON (`null` for an empty file).
    pub value: Value,
    /// Position of every value by path.
    pub spans: Spans,
    /// Position of every map key by the path it introduces.
    pub key_spans: Spans,
}

/// Source positions by config path (of values or of map keys), computed on
/// first use from the file's text and shared by clones.
#[derive(Clone, Debug)]
pub struct Spans {
    tables: Arc<SpanTables>,
    keys: bool,
}

impl Spans {
    /// The position recorded for `path`.
    pub fn get(&self, path: &ConfigPath) -> Option<&Span> {
        self.tables.tree().get(path, self.keys)
    }

    /// Every recorded position with its path, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (ConfigPath, &Span)> {
        self.tables.tree().iter(self.keys)
    }
}

/// The position tables of one file, built on first use.
#[derive(Debug)]
struct SpanTables {
    name: Arc<str>,
    text: Arc<str>,
    built: OnceLock<SpanTree>,
}

impl SpanTables {
    fn tree(&self) -> &SpanTree {
        self.built.get_or_init(|| {
            // The text parsed before, so this cannot fail; no tables if it did.
            let mut p = Positions::default();
            match parse(&self.text, self.name.clone(), Some(&mut p)) {
                Ok(_) => p.tree,
                Err(_) => SpanTree::default(),
            }
        })
    }
}

impl LoadedFile {
    /// Position of the value at `path`, or of its nearest ancestor.
    pub fn span_near(&self, path: &ConfigPath) -> Option<Span> {
        self.spans.tables.tree().value_near(path).cloned()
    }
}

/// Read and parse a YAML file; `name` is how it is shown in messages. The
/// file is read as [`crate::safe_fs`] reads (a regular file, not a link,
/// at most [`MAX_FILE_BYTES`]); a refusal points at the file.
pub fn load_file(path: &Path, name: &str) -> Result<LoadedFile, Diagnostic> {
    let name: Arc<str> = Arc::from(name);
    let bytes = crate::safe_fs::read(path, MAX_FILE_BYTES).map_err(|e| match e {
        crate::safe_fs::ReadError::TooLarge { size, .. } => Diagnostic::error(format!(
            "{name} is {size} bytes or more; config files are limited to {} MiB",
            MAX_FILE_BYTES / 1024 / 1024
        )),
        e => Diagnostic::error(format!("cannot read {name}: {e}")),
    })?;
    load_bytes(&bytes, name)
}

/// Parse YAML bytes (UTF-8 checked) into a [`LoadedFile`], recording the
/// positions of its values in the same parse.
pub fn load_bytes(bytes: &[u8], name: Arc<str>) -> Result<LoadedFile, Diagnostic> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Diagnostic::error(format!(
            "{name} is {} bytes; config files are limited to {} MiB",
            bytes.len(),
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    // A UTF-8 byte order mark (Windows editors write one) is allowed by YAML
    // and means nothing; it is dropped before parsing (lines are unchanged).
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let col = good.iter().rev().take_while(|&&b| b != b'\n').count() as u32 + 1;
            return Err(Diagnostic::error(format!(
                "{name} is not valid UTF-8 (bad byte at offset {})",
                e.valid_up_to()
            ))
            .with_span(Some(Span::new(name.clone(), line, col, 1)))
            .with_hint("save the file as UTF-8"));
        }
    };
    load_text(text, name, Record::Now)
}

/// Parse YAML text into a [`LoadedFile`] (positions recorded on first use).
pub fn load_str(text: &str, name: Arc<str>) -> Result<LoadedFile, Diagnostic> {
    load_text(text, name, Record::OnFirstUse)
}

/// When the positions of a file's values are recorded.
#[derive(Clone, Copy, PartialEq)]
enum Record {
    /// While the file is parsed (config files: their positions place
    /// diagnostics, and recording costs little next to a second parse).
    Now,
    /// By parsing the text again when a position is first asked for
    /// (YAML read back by the renderers).
    OnFirstUse,
}

/// Parse YAML text into a [`LoadedFile`], recording positions at `record`.
fn load_text(text: &str, name: Arc<str>, record: Record) -> Result<LoadedFile, Diagnostic> {
    if let Some(pos) = text.find('\0') {
        let (line, col) = line_col(text, pos);
        return Err(Diagnostic::error(format!("{name} contains a NUL byte"))
            .with_span(Some(Span::new(name.clone(), line, col, 1))));
    }
    let text: Arc<str> = Arc::from(text);
    let tables = Arc::new(SpanTables {
        name: name.clone(),
        text: text.clone(),
        built: OnceLock::new(),
    });
    let unrecorded = match record {
        Record::Now => None,
        Record::OnFirstUse => parse(&text, name.clone(), None).ok(),
    };
    let value = match unrecorded {
        Some(value) => value,
        // Recorded now, or refused: parsed (again) recording positions,
        // to report why with every position.
        None => {
            let mut p = Positions::default();
            let value = parse(&text, name.clone(), Some(&mut p))?;
            let _ = tables.built.set(p.tree);
            value
        }
    };
    Ok(LoadedFile {
        name,
        text,
        value,
        spans: Spans {
            tables: tables.clone(),
            keys: false,
        },
        key_spans: Spans { tables, keys: true },
    })
}

/// Parse YAML text into its value, refusing what the module docs list;
/// with `positions`, also record the position of every value and key.
///
/// Without `positions` a refusal says what is wrong but may lack the
/// positions that go with it (where a duplicate key was first defined):
/// [`load_str`] parses a refused text again, recording, to report it.
fn parse(
    text: &str,
    name: Arc<str>,
    positions: Option<&mut Positions>,
) -> Result<Value, Diagnostic> {
    let mut b = Builder {
        name: name.clone(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        expanded: 0,
        root: None,
        docs: 0,
        positions,
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            let msg = if e.info().contains("recursion limit") {
                format!("{name} nests deeper than {MAX_DEPTH} levels")
            } else {
                format!("invalid YAML in {name}: {}", e.info())
            };
            Diagnostic::error(msg).with_span(Some(Span::new(
                name.clone(),
                m.line() as u32,
                m.col() as u32 + 1,
                1,
            )))
        })?;
        if ev == Event::StreamEnd {
            break;
        }
        if let Some(t) = event_tag(&ev)
            && !supported_tag(t)
        {
            return Err(unsupported_tag(text, &name, t, mark));
        }
        b.event(ev, mark)?;
    }
    Ok(b.root.unwrap_or(Value::Null))
}

fn event_tag(ev: &Event) -> Option<&Tag> {
    match ev {
        Event::Scalar(_, _, _, tag)
        | Event::SequenceStart(_, tag)
        | Event::MappingStart(_, tag) => tag.as_ref(),
        _ => None,
    }
}

/// A tag devgen does not resolve (`!env`, `!!binary`, …) is an error: the
/// value would otherwise be read as plain text, silently. It points at the
/// tag as written (the parser's mark is at the value, or at a block map's
/// first key).
fn unsupported_tag(text: &str, name: &Arc<str>, t: &Tag, mark: Marker) -> Diagnostic {
    let written = format!("{}{}", shown_handle(t), t.suffix);
    let upto = text
        .char_indices()
        .nth(mark.index())
        .map_or(text.len(), |(i, _)| i);
    let (line, col) = match text[..upto].rfind(&written) {
        Some(at) => line_col(text, at),
        None => (mark.line() as u32, mark.col() as u32 + 1),
    };
    Diagnostic::error(format!("YAML tag `{written}` is not supported in {name}"))
        .with_span(Some(Span::new(
            name.clone(),
            line,
            col,
            written.chars().count() as u32,
        )))
        .with_hint(
            "config is plain YAML: remove the tag (only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are read)",
        )
}

fn line_col(text: &str, byte: usize) -> (u32, u32) {
    let before = &text[..byte];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, col)
}

/// A container being built.
enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        /// The key whose value comes next.
        pending_key: Option<String>,
        anchor: usize,
        /// Whether the map has a `<<` merge key.
        merges: bool,
    },
}

/// Positions recorded while parsing: what [`Spans`] serves. Entries of
/// a `<<` key (its merge slot) are recorded but never served (no path of
/// the value goes through them).
#[derive(Default)]
struct Positions {
    tree: SpanTree,
    /// The node of every open container, innermost last.
    open: Vec<NodeId>,
    /// The node of the map entry whose key was just read: its value's.
    entry: Option<NodeId>,
}

impl Positions {
    /// The innermost open container.
    fn container(&self) -> NodeId {
        *self.open.last().expect("a container is open")
    }
}

struct Builder<'p> {
    name: Arc<str>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    nodes: usize,
    /// Values repeated by aliases.
    expanded: usize,
    root: Option<Value>,
    docs: usize,
    /// Where positions are recorded, if they are.
    positions: Option<&'p mut Positions>,
}

impl Builder<'_> {
    fn span(&self, mark: Marker, len: usize) -> Span {
        Span::new(
            self.name.clone(),
            mark.line() as u32,
            mark.col() as u32 + 1,
            len.max(1) as u32,
        )
    }

    fn err(&self, mark: Marker, msg: String) -> Diagnostic {
        Diagnostic::error(msg).with_span(Some(self.span(mark, 1)))
    }

    /// Whether the next value is a map key.
    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                pending_key: None,
                ..
            })
        )
    }

    /// Record that the next value is at `mark`, `len` characters long;
    /// its node when positions are recorded: the map entry's whose key was
    /// just read, else a new one (a list's next item, or the document).
    fn record(&mut self, mark: Marker, len: usize) -> Option<NodeId> {
        self.positions.as_ref()?;
        let span = self.span(mark, len);
        let index = match self.stack.last() {
            Some(Frame::Seq { items, .. }) => items.len(),
            _ => 0,
        };
        let p = self.positions.as_deref_mut()?;
        let node = match p.entry.take() {
            Some(entry) => entry,
            None => {
                let parent = p.open.last().copied();
                p.tree.add(parent, Seg::Index(index))
            }
        };
        p.tree.set_value(node, span);
        Some(node)
    }

    /// One more value written in the file.
    fn count(&mut self, n: usize, mark: Marker) -> Result<(), Diagnostic> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(self
                .err(
                    mark,
                    format!(
                        "{} holds more than {MAX_NODES} values: the limit of values in one config file",
                        self.name
                    ),
                )
                .with_hint("split the config into several files under config/common/ (limits: see the README, \"Limits\")"));
        }
        Ok(())
    }

    /// `n` more values repeated by an alias.
    fn count_alias(&mut self, n: usize, mark: Marker) -> Result<(), Diagnostic> {
        self.expanded += n;
        if self.expanded > MAX_ALIAS_VALUES {
            return Err(self
                .err(
                    mark,
                    format!(
                        "the aliases of {} expand to more than {MAX_ALIAS_VALUES} values: the limit of alias expansion (an alias bomb?)",
                        self.name
                    ),
                )
                .with_hint("write the values out instead of repeating large anchors (limits: see the README, \"Limits\")"));
        }
        Ok(())
    }

    fn event(&mut self, ev: Event, mark: Marker) -> Result<(), Diagnostic> {
        match ev {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd | Event::StreamEnd => Ok(()),
            Event::DocumentStart => {
                self.docs += 1;
                if self.docs > 1 {
                    return Err(self
                        .err(
                            mark,
                            format!("{} holds more than one YAML document", self.name),
                        )
                        .with_hint("remove the `---` separator; one document per file"));
                }
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, mark)?;
                let quoted = !matches!(style, TScalarStyle::Plain);
                let len = match self.positions {
                    Some(_) => text.chars().count() + if quoted { 2 } else { 0 },
                    None => 0,
                };
                if self.expects_key() {
                    let key = if !quoted && text == MERGE_KEY {
                        MERGE_SLOT.to_string()
                    } else {
                        text
                    };
                    return self.set_key(key, mark, len);
                }
                let value = scalar_value(&text, quoted, tag.as_ref().map(|t| t.suffix.as_str()));
                self.record(mark, len);
                if anchor > 0 {
                    self.anchors.insert(anchor, (value.clone(), 1));
                }
                self.push_value(value)
            }
            Event::Alias(id) => {
                if self.expects_key() {
                    return Err(self.err(mark, "an alias cannot be a map key".into()));
                }
                let Some((value, n)) = self.anchors.get(&id).cloned() else {
                    return Err(self.err(mark, "alias to an unknown anchor".into()));
                };
                self.count_alias(n, mark)?;
                self.record(mark, 1);
                self.push_value(value)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.count(1, mark)?;
                if self.expects_key() {
                    return Err(self.err(mark, "a map key must be a plain value".into()));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.err(
                        mark,
                        format!("{} nests deeper than {MAX_DEPTH} levels", self.name),
                    ));
                }
                if let Some(node) = self.record(mark, 1)
                    && let Some(p) = self.positions.as_deref_mut()
                {
                    p.open.push(node);
                }
                self.stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        anchor,
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        pending_key: None,
                        anchor,
                        merges: false,
                    }
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self.stack.pop();
                let node = self.positions.as_deref_mut().and_then(|p| p.open.pop());
                let (value, anchor) = match frame {
                    Some(Frame::Seq { items, anchor }) => (Value::Array(items), anchor),
                    Some(Frame::Map {
                        map,
                        anchor,
                        merges,
                        ..
                    }) => {
                        let map = if merges {
                            self.apply_merge(node, map)?
                        } else {
                            map
                        };
                        (Value::Object(map), anchor)
                    }
                    None => return Err(self.err(mark, "unbalanced YAML structure".into())),
                };
                if anchor > 0 {
                    let n = count_nodes(&value);
                    self.anchors.insert(anchor, (value.clone(), n));
                }
                self.push_value(value)
            }
        }
    }

    /// A map with a merge key (`<<: *base`, or `<<: [*a, *b]`): the merged
    /// maps' entries take the place of the `<<` entry, except keys the map
    /// sets itself; of several maps, the first to hold a key gives it (YAML
    /// 1.1's merge key, which Compose files use). Merged entries point at
    /// the `<<` line. `node`: the map's, when positions are recorded.
    fn apply_merge(
        &mut self,
        node: Option<NodeId>,
        map: Map<String, Value>,
    ) -> Result<Map<String, Value>, Diagnostic> {
        let Some(merged) = map.get(MERGE_SLOT) else {
            return Ok(map);
        };
        let at = node.and_then(|node| {
            let p = self.positions.as_deref()?;
            p.tree.key_of_entry(node, MERGE_SLOT).cloned()
        });
        let sources: Vec<&Map<String, Value>> = match merged {
            Value::Object(m) => vec![m],
            Value::Array(items) if items.iter().all(Value::is_object) => {
                items.iter().filter_map(Value::as_object).collect()
            }
            _ => {
                return Err(Diagnostic::error(format!(
                    "`<<` in {} merges a map or a list of maps, not {}",
                    self.name,
                    describe(merged)
                ))
                .with_span(at)
                .with_hint("write `<<: *anchor` (or `<<: [*a, *b]`) with anchors of maps"));
            }
        };
        let mut out = Map::new();
        for (k, v) in &map {
            if k != MERGE_SLOT {
                out.insert(k.clone(), v.clone());
                continue;
            }
            for source in &sources {
                for (mk, mv) in source.iter() {
                    if map.contains_key(mk) || out.contains_key(mk) {
                        continue;
                    }
                    out.insert(mk.clone(), mv.clone());
                    if let (Some(node), Some(at), Some(p)) =
                        (node, &at, self.positions.as_deref_mut())
                    {
                        let entry = p.tree.add(Some(node), Seg::Key(mk.clone()));
                        p.tree.set_value(entry, at.clone());
                        p.tree.set_key(entry, at.clone());
                    }
                }
            }
        }
        // The positions recorded under the `<<` entry itself stay in the
        // tree, never served (see `Positions`).
        Ok(out)
    }

    /// The next value is the one of `key` (at `mark`, `len` characters).
    fn set_key(&mut self, key: String, mark: Marker, len: usize) -> Result<(), Diagnostic> {
        let span = self.positions.is_some().then(|| self.span(mark, len));
        let Some(Frame::Map {
            map,
            pending_key,
            merges,
            ..
        }) = self.stack.last_mut()
        else {
            unreachable!("set_key is only called inside a map")
        };
        // Each earlier key's value is in the map by now. Recording, a
        // duplicate is reported here, with both positions; otherwise the
        // value's insertion finds it (one lookup less per key).
        if let Some(p) = self.positions.as_deref()
            && map.contains_key(&key)
        {
            let map_node = p.container();
            let kp = p.tree.path_of(map_node).key(&key);
            let mut d = Diagnostic::error(format!("duplicate key `{key}`"))
                .with_path(kp.to_string())
                .with_span(span);
            if let Some(first) = p.tree.key_of_entry(map_node, &key) {
                d = d.with_related("first defined here", first.clone());
            }
            return Err(d.with_hint("a key may appear only once in a map; remove one of them"));
        }
        let first_key = map.is_empty();
        *merges |= key == MERGE_SLOT;
        if let (Some(p), Some(span)) = (self.positions.as_deref_mut(), span) {
            let map_node = p.container();
            // A block map's own mark is imprecise; its first key is where it starts.
            if first_key {
                p.tree.set_value(map_node, span.clone());
            }
            let entry = p.tree.add(Some(map_node), Seg::Key(key.clone()));
            p.tree.set_key(entry, span);
            p.entry = Some(entry);
        }
        *pending_key = Some(key);
        Ok(())
    }

    /// Place `value` in the open container (or as the document).
    fn push_value(&mut self, value: Value) -> Result<(), Diagnostic> {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map, pending_key, ..
            }) => {
                let k = pending_key.take().expect("value follows a key");
                if let Some(_earlier) = map.insert(k, value) {
                    // Not recording (else `set_key` refused it): the parse
                    // that records reports it.
                    return Err(Diagnostic::error("duplicate key"));
                }
            }
        }
        Ok(())
    }
}
fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

/// YAML 1.1's merge key, written plain.
const MERGE_KEY: &str = "<<";

/// What a plain `<<` key is called while its map is built (a NUL never
/// reaches the parser: [`load_str`] refuses it).
const MERGE_SLOT: &str = "\0<<";

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list with other things than maps",
        Value::Object(_) => "a map",
    }
}

/// The YAML 1.2 core schema's tags (`!!str` …), the only ones devgen reads.
const CORE_TAGS: [&str; 7] = ["str", "int", "float", "bool", "null", "map", "seq"];

/// How the parser reports the `!!` handle once resolved.
const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

fn supported_tag(t: &Tag) -> bool {
    (t.handle == "!!" || t.handle == CORE_TAG_PREFIX) && CORE_TAGS.contains(&t.suffix.as_str())
}

/// The handle as written (`!!` rather than its expansion).
fn shown_handle(t: &Tag) -> &str {
    if t.handle == CORE_TAG_PREFIX {
        "!!"
    } else {
        &t.handle
    }
}

/// Resolve a scalar per the YAML 1.2 core schema (quoted scalars are strings).
pub fn scalar_value(text: &str, quoted: bool, tag: Option<&str>) -> Value {
    if let Some(t) = tag {
        match t {
            "str" => return Value::String(text.to_string()),
            "null" => return Value::Null,
            _ => {}
        }
    }
    if quoted {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_int(text) {
        return Value::Number(n.into());
    }
    if let Some(f) = parse_float(text)
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

fn parse_int(t: &str) -> Option<i64> {
    let (neg, digits) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = if let Some(h) = digits.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = digits.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

fn parse_float(t: &str) -> Option<f64> {
    // YAML 1.2 core: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let ok_chars = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && body
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().any(|b| b.is_ascii_digit());
    if ok_chars {
        return t.parse::<f64>().ok().filter(|f| f.is_finite());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &str) -> Result<LoadedFile, Diagnostic> {
        load_str(s, Arc::from("t.yaml"))
    }

    #[test]
    fn positions_are_one_based() {
        let f = load("a:\n  b: 1\n  c: [x, y]\n").unwrap();
        let s = f.spans.get(&ConfigPath::parse("a.b").unwrap()).unwrap();
        assert_eq!((s.line, s.col), (2, 6));
        let s = f.spans.get(&ConfigPath::parse("a.c[1]").unwrap()).unwrap();
        assert_eq!((s.line, s.col), (3, 10));
        let k = f.key_spans.get(&ConfigPath::parse("a.c").unwrap()).unwrap();
        assert_eq!((k.line, k.col), (3, 3));
    }

    /// The positions served are those of the value's paths, in document
    /// order: a merge key's own entries are not (merged entries point at
    /// its line), nothing below an alias is, and a path not recorded is
    /// placed at its nearest recorded ancestor.
    #[test]
    fn positions_are_served_for_the_values_paths() {
        let f = load(
            "a:\n  b: [1, {c: 2}]\n  'd.e': x\nbase: &b {x: 1}\nm:\n  <<: *b\n  y: {z: [3]}\nn: *b\n",
        )
        .unwrap();
        let served =
            |spans: &Spans| -> Vec<String> { spans.iter().map(|(p, _)| p.to_string()).collect() };
        let values = served(&f.spans);
        assert_eq!(
            values,
            [
                "",
                "a",
                "a.b",
                "a.b[0]",
                "a.b[1]",
                "a.b[1].c",
                "a.\"d.e\"",
                "base",
                "base.x",
                "m",
                "m.y",
                "m.y.z",
                "m.y.z[0]",
                "m.x",
                "n"
            ]
        );
        assert_eq!(
            served(&f.key_spans),
            [
                "a",
                "a.b",
                "a.b[1].c",
                "a.\"d.e\"",
                "base",
                "base.x",
                "m",
                "m.y",
                "m.y.z",
                "m.x",
                "n"
            ]
        );
        for p in &values {
            assert!(ConfigPath::parse(p).unwrap().get(&f.value).is_some(), "{p}");
        }
        let line = |p: &str| f.spans.get(&ConfigPath::parse(p).unwrap()).map(|s| s.line);
        assert_eq!(
            (line("m.x"), line("m.y.z[0]"), line("n.x")),
            (Some(6), Some(7), None)
        );
        let near = |p: &str| {
            f.span_near(&ConfigPath::parse(p).unwrap())
                .map(|s| (s.line, s.col))
        };
        assert_eq!(near("n.x"), Some((8, 4)));
        assert_eq!(near("m.y.z[0].q"), Some((7, 11)));
        assert_eq!(near("a.b[1].c"), Some((2, 14)));
        assert_eq!(near("nothing.here"), Some((1, 1)));
    }

    /// Config files have their positions from the one parse; other text
    /// gets them by parsing again when first asked.
    #[test]
    fn config_files_record_positions_in_the_one_parse() {
        let root = ConfigPath::root();
        let f = load_bytes(b"a: 1\n", Arc::from("t.yaml")).unwrap();
        assert!(f.spans.tables.built.get().is_some());
        let f = load("a: 1\n").unwrap();
        assert!(f.spans.tables.built.get().is_none());
        assert_eq!(f.spans.get(&root).map(|s| s.line), Some(1));
        assert!(f.spans.tables.built.get().is_some());
    }

    #[test]
    fn core_schema_scalars() {
        let f = load(
            "a: yes\nb: true\nc: 012\nd: 1.5\ne: '1'\nf: ~\ng: 0x10\nh: 1e3\ni: .5\nj: 1.2.3\n",
        )
        .unwrap();
        let v = &f.value;
        assert_eq!(v["a"], "yes");
        assert_eq!(v["b"], true);
        assert_eq!(v["c"], 12);
        assert_eq!(v["d"], 1.5);
        assert_eq!(v["e"], "1");
        assert!(v["f"].is_null());
        assert_eq!(v["g"], 16);
        assert_eq!(v["h"], 1000.0);
        assert_eq!(v["i"], 0.5);
        assert_eq!(v["j"], "1.2.3");
    }

    #[test]
    fn duplicate_keys_name_both_lines() {
        let e = load("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(e.message.contains("duplicate key `a`"));
        assert_eq!(e.span.unwrap().line, 3);
        assert_eq!(e.related[0].1.line, 1);
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let t = std::time::Instant::now();
        let e = load(&s).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{}", e.message);
        // Expanded, the document has 10^12 nodes: without the guard this
        // never ends. The bound is loose so a loaded CI machine cannot fail
        // it (the speed itself is a benchmark's business, not a test's).
        assert!(t.elapsed().as_secs_f64() < 30.0);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let s = "[".repeat(100_000);
        let e = load(&s).unwrap_err();
        assert!(e.message.contains("nests deeper"), "{}", e.message);
    }

    #[test]
    fn invalid_utf8_and_nul() {
        let e = load_bytes(b"a: 1\nb: \xff\n", Arc::from("t.yaml")).unwrap_err();
        assert!(e.message.contains("not valid UTF-8"));
        assert_eq!(e.span.unwrap().line, 2);
        let e = load("a: \0\n").unwrap_err();
        assert!(e.message.contains("NUL"));
    }

    #[test]
    fn multiple_documents_refused() {
        assert!(load("a: 1\n---\nb: 2\n").is_err());
    }

    #[test]
    fn syntax_error_has_position() {
        let e = load("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.span.is_some());
    }

    #[test]
    fn merge_keys_merge_maps_in_place_explicit_keys_first() {
        let f = load(
            "base: &b {x: 1, y: 2}\nmore: &m {y: 3, z: 4}\nc:\n  w: 0\n  <<: [*b, *m]\n  x: 9\n",
        )
        .unwrap();
        // In the place of `<<`; `x` set by the map itself; `y` from the first map.
        assert_eq!(
            serde_json::to_string(&f.value["c"]).unwrap(),
            r#"{"w":0,"y":2,"z":4,"x":9}"#
        );
        let s = f.spans.get(&ConfigPath::parse("c.z").unwrap()).unwrap();
        assert_eq!(s.line, 5, "merged entries point at the `<<` line");
        assert!(f.spans.iter().all(|(p, _)| !p.to_string().contains('\0')));
        // A single map, inline.
        let f = load("a:\n  <<: {k: v}\n").unwrap();
        assert_eq!(f.value["a"]["k"], "v");
        // Quoted, `<<` is an ordinary key.
        let f = load("a:\n  '<<': v\n").unwrap();
        assert_eq!(f.value["a"]["<<"], "v");
    }

    #[test]
    fn merge_key_of_a_non_map_is_refused_at_its_line() {
        for (text, what) in [
            ("a:\n  <<: 5\n", "a number"),
            (
                "a:\n  <<: [{k: 1}, x]\n",
                "a list with other things than maps",
            ),
        ] {
            let e = load(text).unwrap_err();
            assert_eq!(
                e.message,
                format!("`<<` in t.yaml merges a map or a list of maps, not {what}")
            );
            assert_eq!(e.span.unwrap().line, 2);
        }
    }

    /// Recording positions changes neither the value nor what is refused.
    #[test]
    fn recording_positions_changes_no_value() {
        for text in [
            "a: 1\nb: [x, {c: d}]\n",
            "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",
            "a: &a [1, 2]\nb: *a\n",
            "a: 1\na: 2\n",
            "a:\n  <<: 5\n",
            "[a, b]: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: !!binary aGk=\n",
            "",
        ] {
            let name: Arc<str> = Arc::from("t.yaml");
            let plain = parse(text, name.clone(), None).ok();
            let mut p = Positions::default();
            let recorded = parse(text, name, Some(&mut p)).ok();
            assert_eq!(plain, recorded, "{text:?}");
            assert!(
                recorded.is_none()
                    || p.tree.get(&ConfigPath::root(), false).is_some()
                    || text.is_empty()
            );
        }
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let f = load_bytes(b"\xEF\xBB\xBFa: 1\nb: x\n", Arc::from("t.yaml")).unwrap();
        assert_eq!(f.value, serde_json::json!({"a": 1, "b": "x"}));
        let s = f.spans.get(&ConfigPath::parse("b").unwrap()).unwrap();
        assert_eq!((s.line, s.col), (2, 4));
        // Only at the start: elsewhere it is text like any other.
        let f = load_bytes("a: \u{feff}x\n".as_bytes(), Arc::from("t.yaml")).unwrap();
        assert_eq!(f.value["a"], "\u{feff}x");
    }

    #[test]
    fn core_tags_are_read_and_others_refused_where_written() {
        let f =
            load("a: !!str 5\nb: !!int 7\nc: !!map {x: 1}\nd: !!seq [1]\ne: !!null ''\n").unwrap();
        assert_eq!(f.value["a"], "5");
        assert_eq!(f.value["b"], 7);
        assert_eq!(f.value["c"]["x"], 1);
        assert_eq!(f.value["d"][0], 1);
        assert!(f.value["e"].is_null());
        for (text, tag, line, col) in [
            ("a: !env HOME\n", "!env", 1, 4),
            ("a: 1\nb: !!binary aGk=\n", "!!binary", 2, 4),
            ("a:\n  b: !!omap\n    c: 1\n", "!!omap", 2, 6),
            ("a: !custom [1, 2]\n", "!custom", 1, 4),
            ("- !!set {x: 1}\n", "!!set", 1, 3),
        ] {
            let e = load(text).unwrap_err();
            assert_eq!(
                e.message,
                format!("YAML tag `{tag}` is not supported in t.yaml"),
                "{text:?}"
            );
            let s = e.span.unwrap();
            assert_eq!((s.line, s.col), (line, col), "{text:?}");
        }
    }
}
