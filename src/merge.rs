//! Stage 2 — merge: layers → one config value, with the provenance of every leaf.
//!
//! `common/` files merge in name order (a leaf set differently by two of them
//! is an error naming both), then each profile of the `extends:` chain applies
//! as an RFC 7396 merge patch followed by its RFC 6902 `patches:`, then
//! `--set path=value` flags. Lists and scalars are leaves: they replace.
//!
//! One merge does it all, recording provenance when asked (an
//! `Option<&mut ProvData>`, as every step takes it). Provenance is only
//! needed to explain a value or to place a diagnostic, so the normal path
//! merges without it (`config/common/` once per project, shared by every
//! profile) and [`Provenance`] replays the same merge, recording, on first
//! use. Two common files disagreeing is reported with provenance (naming
//! both files), so that case merges recording from the start.
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

use crate::diag::{Diagnostic, Span};
use crate::load::{LoadedFile, load_str};
use crate::path::{ConfigPath, Seg};
use crate::project::{PROFILE_META_KEYS, ProfileFile, Project};

/// Where a value came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// Written in a config file.
    File(Span),
    /// Set by operation `index` of a profile's `patches:`.
    Patch {
        /// Position of the operation.
        span: Span,
        /// Index in `patches:`.
        index: usize,
        /// The operation name (`add`, `replace`, …).
        op: String,
    },
    /// Set on the command line.
    Set(String),
}

impl Origin {
    /// The source position, if the value came from a file.
    pub fn span(&self) -> Option<&Span> {
        match self {
            Origin::File(s) | Origin::Patch { span: s, .. } => Some(s),
            Origin::Set(_) => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(s) => write!(f, "{}:{}", s.file, s.line),
            Origin::Patch { span, index, op } => {
                write!(f, "{}:{} (patches[{index}] {op})", span.file, span.line)
            }
            Origin::Set(arg) => write!(f, "--set {arg}"),
        }
    }
}

/// One layer's effect on a leaf: a value, or `None` for a deletion.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// The value set, `None` when the layer deleted it.
    pub value: Option<Value>,
    /// Which layer.
    pub origin: Origin,
}

/// Provenance of every leaf and the position of every container, computed
/// on first use (by merging the same layers again, recording) and kept.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    data: OnceLock<ProvData>,
    replay: Option<Arc<Layers>>,
}

impl Provenance {
    fn ready(data: ProvData) -> Self {
        Provenance {
            data: OnceLock::from(data),
            replay: None,
        }
    }

    fn lazy(layers: Arc<Layers>) -> Self {
        Provenance {
            data: OnceLock::new(),
            replay: Some(layers),
        }
    }

    fn data(&self) -> &ProvData {
        self.data.get_or_init(|| match &self.replay {
            Some(layers) => {
                let (common, common_data) = layers.common();
                let mut data = common_data.clone();
                merge_over(layers, common.clone(), Some(&mut data));
                data
            }
            None => ProvData::default(),
        })
    }

    /// Every setting of `path`, oldest first.
    pub fn history(&self, path: &ConfigPath) -> &[Setting] {
        self.data().history(path)
    }

    /// The layer that set `path` (or its nearest ancestor) last.
    pub fn origin(&self, path: &ConfigPath) -> Option<&Origin> {
        self.data().origin(path)
    }

    /// Source position of the value at `path` (or its nearest ancestor).
    ///
    /// Not computed yet and no layer above `config/common/` touches `path`
    /// or its ancestors ([`Layers::leave_alone`]): the common files'
    /// provenance answers, as the whole replay would.
    ///
    /// The common files' answer is read from the files themselves
    /// ([`common_span`]), without recording their whole provenance: a few
    /// warnings on a large project need a few positions, not every leaf's.
    pub fn span(&self, path: &ConfigPath) -> Option<Span> {
        if self.data.get().is_none()
            && let Some(layers) = &self.replay
            && let Some(common) = &layers.common_value
            && layers.leave_alone(common, path)
        {
            return common_span(&layers.common, path);
        }
        self.data().span(path)
    }

    /// [`Provenance::span`] by replaying every layer (for tests of the
    /// shortcut).
    #[cfg(test)]
    pub(crate) fn span_replayed(&self, path: &ConfigPath) -> Option<Span> {
        self.data().span(path)
    }

    /// Position of the map key that introduces `path` (falls back to the value's).
    pub fn key_span(&self, path: &ConfigPath) -> Option<Span> {
        self.data().key_span(path)
    }
}

/// `config/common/` merged while recording provenance: the value and what
/// was recorded, computed once per project and shared by every profile's
/// [`Provenance`] (each replays only its own layers on a copy).
pub(crate) type CommonProvenance = crate::project::StageMemo;

/// What [`Provenance`] holds once computed.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProvData {
    history: HashMap<ConfigPath, Vec<Setting>>,
    containers: HashMap<ConfigPath, Origin>,
    keys: HashMap<ConfigPath, Span>,
}

impl ProvData {
    fn history(&self, path: &ConfigPath) -> &[Setting] {
        self.history.get(path).map_or(&[], Vec::as_slice)
    }

    fn origin(&self, path: &ConfigPath) -> Option<&Origin> {
        let mut p = path.clone();
        loop {
            if let Some(s) = self.history.get(&p).and_then(|h| h.last())
                && s.value.is_some()
            {
                return Some(&s.origin);
            }
            if let Some(o) = self.containers.get(&p) {
                return Some(o);
            }
            if p.0.is_empty() {
                return None;
            }
            p = p.parent();
        }
    }

    fn span(&self, path: &ConfigPath) -> Option<Span> {
        let mut p = path.clone();
        loop {
            match self.origin(&p) {
                Some(Origin::Set(_)) => return None, // no file: not a parent's line either
                Some(o) => {
                    if let Some(s) = o.span() {
                        return Some(s.clone());
                    }
                }
                None => {}
            }
            if p.0.is_empty() {
                return None;
            }
            p = p.parent();
        }
    }

    fn key_span(&self, path: &ConfigPath) -> Option<Span> {
        self.keys.get(path).cloned().or_else(|| self.span(path))
    }

    /// Remember the key positions of `file` for the keys present in `value`.
    fn record_keys(&mut self, file: &LoadedFile, value: &Value) {
        for (p, span) in file.key_spans.iter() {
            if p.get(value).is_some() {
                self.keys.insert(p, span.clone());
            }
        }
    }

    fn push(&mut self, path: ConfigPath, value: Option<Value>, origin: Origin) {
        self.history
            .entry(path)
            .or_default()
            .push(Setting { value, origin });
    }

    /// Record every leaf of `value` (placed at `path`) as set by `origin_at(path)`.
    fn record_subtree(
        &mut self,
        path: &ConfigPath,
        value: &Value,
        origin_at: &dyn Fn(&ConfigPath) -> Origin,
    ) {
        match value {
            Value::Object(m) if !m.is_empty() => {
                self.containers.insert(path.clone(), origin_at(path));
                for (k, v) in m {
                    self.record_subtree(&path.key(k), v, origin_at);
                }
            }
            _ => self.push(path.clone(), Some(value.clone()), origin_at(path)),
        }
    }

    /// Record that everything at or below `path` was removed by `origin`.
    fn record_deletion(&mut self, path: &ConfigPath, origin: &Origin) {
        self.record_deletion_where(path, origin, true);
    }

    /// Record that everything strictly below `path` was removed (`path` is being replaced).
    fn record_replaced(&mut self, path: &ConfigPath, origin: &Origin) {
        self.record_deletion_where(path, origin, false);
    }

    fn record_deletion_where(&mut self, path: &ConfigPath, origin: &Origin, inclusive: bool) {
        let under: Vec<ConfigPath> = self
            .history
            .iter()
            .filter(|(p, h)| {
                p.starts_with(path)
                    && (inclusive || *p != path)
                    && h.last().is_some_and(|s| s.value.is_some())
            })
            .map(|(p, _)| p.clone())
            .collect();
        for p in under {
            self.push(p, None, origin.clone());
        }
        self.containers
            .retain(|p, _| !p.starts_with(path) || (!inclusive && p == path));
        self.keys
            .retain(|p, _| !p.starts_with(path) || (!inclusive && p == path));
    }
}

/// The merged config of one profile.
#[derive(Clone, Debug)]
pub struct Merged {
    /// Profile name.
    pub profile: String,
    /// Profiles applied, base first (the profile itself last).
    pub chain: Vec<String>,
    /// The merged value, meta keys removed.
    pub value: Value,
    /// Where every leaf came from.
    pub provenance: Provenance,
    /// Config files that contributed (display names).
    pub files: Vec<Arc<str>>,
}

/// A `--set path=value` flag, parsed.
#[derive(Clone, Debug)]
pub struct SetArg {
    /// The raw flag text.
    pub raw: String,
    /// The path.
    pub path: ConfigPath,
    /// The value, parsed as YAML.
    pub value: Value,
}

impl SetArg {
    /// Parse `path=value` (value as YAML: `3`, `true`, `"x"`, `[a, b]`, `{k: v}`).
    pub fn parse(raw: &str) -> Result<SetArg, Diagnostic> {
        let Some((p, v)) = raw.split_once('=') else {
            return Err(Diagnostic::error(format!("--set `{raw}` has no `=`"))
                .with_hint("write --set path.to.key=value, e.g. --set services.devai.replicas=3"));
        };
        let path = ConfigPath::parse(p.trim())
            .map_err(|e| Diagnostic::error(format!("--set `{raw}`: {e}")))?;
        if path.0.is_empty() {
            return Err(Diagnostic::error(format!("--set `{raw}` names no key")));
        }
        let value = load_str(v, Arc::from("--set"))
            .map_err(|e| Diagnostic::error(format!("--set `{raw}`: {}", e.message)))?
            .value;
        Ok(SetArg {
            raw: raw.to_string(),
            path,
            value,
        })
    }
}

/// Merge all layers for `profile`. Every problem found is returned.
pub fn merge_profile(
    project: &Project,
    profile: &str,
    sets: &[SetArg],
) -> Result<Merged, Vec<Diagnostic>> {
    let chain = profile_chain(project, profile).map_err(|d| vec![d])?;
    merge_layers(project, profile, chain, sets)
}

/// Merge `config/common/` alone (no profile, no `--set`): what every profile
/// shares. Shared artefacts (the Kubernetes base, the cloud components) are
/// rendered from it, so they never depend on which profiles were selected.
pub fn merge_common_only(project: &Project) -> Result<Merged, Vec<Diagnostic>> {
    merge_layers(project, COMMON_PROFILE, Vec::new(), &[])
}

/// The profile name of the model of `config/common/` alone.
pub const COMMON_PROFILE: &str = "common";

/// The layers of one merge, lowest first.
#[derive(Debug)]
struct Layers {
    common: Vec<Arc<LoadedFile>>,
    /// The common files merged (without provenance), when they do not conflict.
    common_value: Option<Arc<Value>>,
    /// The common files merged with provenance (shared by the project's profiles).
    common_provenance: CommonProvenance,
    chain: Vec<Arc<LoadedFile>>,
    sets: Vec<SetArg>,
}

impl Layers {
    /// The common files merged with provenance recorded (once per project).
    fn common(&self) -> &(Value, ProvData) {
        self.common_provenance
            .get_or_init(|| {
                let mut data = ProvData::default();
                let mut diags = Vec::new();
                let value = merge_common_files(&self.common, Some(&mut data), &mut diags);
                Arc::new((value, data))
            })
            .downcast_ref::<(Value, ProvData)>()
            .expect("only merge fills the common provenance slot")
    }

    /// Whether the layers above the common files leave what provenance
    /// records at `path` and its ancestors as the common files left it: no
    /// `--set`, no `patches:`, and each profile of the chain either lacks a
    /// key of `path` or holds a map there that merges into a non-empty map
    /// of `common` (the common files' value), stopping before `path` itself.
    fn leave_alone(&self, common: &Value, path: &ConfigPath) -> bool {
        if !self.sets.is_empty() {
            return false;
        }
        let keys: Option<Vec<&str>> = path
            .0
            .iter()
            .map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            })
            .collect();
        let Some(keys) = keys else {
            return false;
        };
        self.chain.iter().all(|f| {
            let Value::Object(top) = &f.value else {
                return f.value.is_null();
            };
            if let Some(ops) = top.get("patches")
                && !patches_leave_alone(ops, &keys)
            {
                return false;
            }
            let (mut mine, mut base) = (top, common);
            for k in &keys {
                if !matches!(base, Value::Object(b) if !b.is_empty()) {
                    return false;
                }
                match mine.get(*k) {
                    None => return true,
                    Some(Value::Object(m)) => mine = m,
                    Some(_) => return false,
                }
                base = &base[*k];
            }
            false
        })
    }
}

/// Whether the JSON patch operations `ops` record nothing at the path of
/// `keys` or its ancestors: each operation's `path` (and `from`) affects what
/// lies below its parent, or below its first list index (taken to be any
/// all-digit token or `-`), and that place must not be a prefix of `keys`.
fn patches_leave_alone(ops: &Value, keys: &[&str]) -> bool {
    let Value::Array(items) = ops else {
        return false;
    };
    let clear = |pointer: Option<&Value>| {
        let Some(Value::String(pointer)) = pointer else {
            return false;
        };
        let Some(rest) = pointer.strip_prefix('/') else {
            return false;
        };
        let tokens: Vec<String> = rest
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        let first_index = tokens
            .iter()
            .position(|t| t == "-" || (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())))
            .unwrap_or(tokens.len());
        let affected = &tokens[..first_index.min(tokens.len() - 1)];
        !(affected.len() <= keys.len() && affected.iter().zip(keys).all(|(a, k)| a == k))
    };
    items.iter().all(|op| {
        let Value::Object(m) = op else {
            return false;
        };
        match m.get("op").and_then(Value::as_str) {
            Some("test") => true,
            Some("move" | "copy") => clear(m.get("path")) && clear(m.get("from")),
            Some(_) => clear(m.get("path")),
            None => false,
        }
    })
}

/// Merge the common files, then each profile of `chain`, then `sets`.
fn merge_layers(
    project: &Project,
    profile: &str,
    chain: Vec<String>,
    sets: &[SetArg],
) -> Result<Merged, Vec<Diagnostic>> {
    let common = project.common_merged.get_or_init(|| {
        let mut conflicts = Vec::new();
        let value = merge_common_files(&project.common, None, &mut conflicts);
        conflicts.is_empty().then(|| Arc::new(value))
    });
    let layers = Layers {
        common: project.common.clone(),
        common_value: common.clone(),
        common_provenance: project.common_provenance.clone(),
        chain: chain
            .iter()
            .map(|n| project.profiles[n].file.clone())
            .collect(),
        sets: sets.to_vec(),
    };
    let files: Vec<Arc<str>> = layers
        .common
        .iter()
        .chain(layers.chain.iter())
        .map(|f| f.name.clone())
        .collect();
    let (mut value, provenance) = match common {
        Some(common) => {
            let (value, diags) = merge(&layers, Some(common.as_ref()), None);
            if !diags.is_empty() {
                return Err(diags);
            }
            (value, Provenance::lazy(Arc::new(layers)))
        }
        // The common files conflict: reporting that names both files takes
        // the provenance.
        None => {
            let mut data = ProvData::default();
            let (value, diags) = merge(&layers, None, Some(&mut data));
            if !diags.is_empty() {
                return Err(diags);
            }
            (value, Provenance::ready(data))
        }
    };
    canonical_order(&mut value);
    Ok(Merged {
        profile: profile.to_string(),
        chain,
        value,
        provenance,
        files,
    })
}

/// The merge of `layers`: the common files (or `common`, the value they
/// merge to, when known), then each profile of the chain as a merge patch
/// and its `patches:`, then the `--set` flags. Records the provenance of
/// every leaf into `prov` when given (the value is the same either way).
/// Returns the value (not yet in canonical order) and every problem found.
fn merge(
    layers: &Layers,
    common: Option<&Value>,
    mut prov: Option<&mut ProvData>,
) -> (Value, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let value = match common {
        Some(common) => common.clone(),
        None => merge_common_files(&layers.common, prov.as_deref_mut(), &mut diags),
    };
    let (value, more) = merge_over(layers, value, prov);
    diags.extend(more);
    (value, diags)
}

/// The profiles of the chain and the `--set` flags of `layers` merged over
/// `value` (the common files' merge), recording into `prov` when given.
fn merge_over(
    layers: &Layers,
    mut value: Value,
    mut prov: Option<&mut ProvData>,
) -> (Value, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    for f in &layers.chain {
        let Value::Object(m) = &f.value else {
            continue;
        };
        let origin_at = |p: &ConfigPath| Origin::File(f.span_near(p).expect("root span"));
        patch_map(
            &mut value,
            m,
            &PROFILE_META_KEYS,
            &ConfigPath::root(),
            &origin_at,
            prov.as_deref_mut(),
        );
        if let Some(prov) = prov.as_deref_mut() {
            prov.record_keys(f, &value);
        }
        if let Some(ops) = m.get("patches")
            && let Err(d) = apply_json_patches(&mut value, ops, f, prov.as_deref_mut())
        {
            diags.push(d);
        }
    }
    for s in &layers.sets {
        if let Err(d) = apply_set(&mut value, s, prov.as_deref_mut()) {
            diags.push(d);
        }
    }
    (value, diags)
}

/// `config/common/` merged in name order; a leaf two files set differently
/// is a problem in `diags` (naming both files when recording into `prov`).
fn merge_common_files(
    files: &[Arc<LoadedFile>],
    mut prov: Option<&mut ProvData>,
    diags: &mut Vec<Diagnostic>,
) -> Value {
    let mut value = Value::Object(Map::new());
    for f in files {
        if f.value.is_object() {
            merge_common(
                &mut value,
                &f.value,
                &ConfigPath::root(),
                f,
                prov.as_deref_mut(),
                diags,
            );
            if let Some(prov) = prov.as_deref_mut() {
                prov.record_keys(f, &value);
            }
        }
    }
    value
}

/// The position [`ProvData::span`] gives `path` once the common files
/// (`files`, which do not conflict) are merged recording, read from the
/// files instead: the merge records each place (a leaf, or a map) with the
/// first file that holds it (a later file holds an equal leaf, or merges
/// into the map), and the span of a path is that of the deepest of it and
/// its ancestors recorded. Lists are leaves: nothing below an index is
/// recorded.
fn common_span(files: &[Arc<LoadedFile>], path: &ConfigPath) -> Option<Span> {
    let keys: Vec<&str> = path
        .0
        .iter()
        .map_while(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    let holds = |v: &Value, keys: &[&str]| keys.iter().try_fold(v, |cur, k| cur.get(*k)).is_some();
    let objects = || files.iter().filter(|f| f.value.is_object());
    (0..=keys.len()).rev().find_map(|depth| {
        let file = objects().find(|f| holds(&f.value, &keys[..depth]))?;
        file.span_near(&ConfigPath(path.0[..depth].to_vec()))
    })
}

/// Resolve the `extends:` chain of `profile`, base first, each profile once.
pub fn profile_chain(project: &Project, profile: &str) -> Result<Vec<String>, Diagnostic> {
    if !project.profiles.contains_key(profile) {
        return Err(project.unknown_profile(profile));
    }
    let mut out = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    visit(project, profile, None, &mut stack, &mut out)?;
    Ok(out)
}

/// `named_at`: the profile whose `extends` names `name`, and which of its names.
fn visit(
    project: &Project,
    name: &str,
    named_at: Option<(&ProfileFile, usize)>,
    stack: &mut Vec<String>,
    out: &mut Vec<String>,
) -> Result<(), Diagnostic> {
    if let Some(pos) = stack.iter().position(|s| s == name) {
        let mut cycle: Vec<&str> = stack[pos..].iter().map(String::as_str).collect();
        cycle.push(name);
        return Err(Diagnostic::error(format!(
            "profiles extend each other in a cycle: {}",
            cycle.join(" → ")
        ))
        .with_path("extends")
        .with_span(named_at.and_then(|(pf, i)| pf.extends_span(i)))
        .with_hint("remove one `extends:` so the chain ends in a profile that extends nothing"));
    }
    if out.iter().any(|s| s == name) {
        return Ok(());
    }
    let Some(pf) = project.profiles.get(name) else {
        let names = project.profile_names();
        let mut d = Diagnostic::error(format!("`extends` names unknown profile `{name}`"))
            .with_path("extends")
            .with_span(named_at.and_then(|(pf, i)| pf.extends_span(i)));
        if let Some(s) = crate::diag::did_you_mean(name, names.iter().map(String::as_str)) {
            d = d.with_hint(format!("did you mean `{s}`?"));
        } else {
            d = d.with_hint(format!("profiles: {}", names.join(", ")));
        }
        return Err(d);
    };
    stack.push(name.to_string());
    for (i, parent) in pf.extends.iter().enumerate() {
        visit(project, parent, Some((pf, i)), stack, out)?;
    }
    stack.pop();
    out.push(name.to_string());
    Ok(())
}

/// The path of `key` below `path` when provenance is recorded (`recording`);
/// otherwise no path is needed and none is built (the root stands in).
fn child_key(path: &ConfigPath, key: &str, recording: bool) -> ConfigPath {
    if recording {
        path.key(key)
    } else {
        ConfigPath::root()
    }
}

fn merge_common(
    acc: &mut Value,
    v: &Value,
    path: &ConfigPath,
    file: &LoadedFile,
    mut prov: Option<&mut ProvData>,
    diags: &mut Vec<Diagnostic>,
) {
    let origin_at = |p: &ConfigPath| Origin::File(file.span_near(p).expect("root span"));
    match (acc, v) {
        (Value::Object(am), Value::Object(vm)) if !vm.is_empty() || path.0.is_empty() => {
            if let Some(prov) = prov.as_deref_mut() {
                prov.containers
                    .entry(path.clone())
                    .or_insert_with(|| origin_at(path));
            }
            for (k, child) in vm {
                let cp = child_key(path, k, prov.is_some());
                match am.get_mut(k) {
                    Some(existing) => {
                        merge_common(existing, child, &cp, file, prov.as_deref_mut(), diags)
                    }
                    None => {
                        am.insert(k.clone(), child.clone());
                        if let Some(prov) = prov.as_deref_mut() {
                            prov.record_subtree(&cp, child, &origin_at);
                        }
                    }
                }
            }
        }
        (existing, _) => {
            if existing != v {
                // Without provenance the caller merges again, recording, to
                // name both files; this problem only says there is one.
                let Some(prov) = prov else {
                    diags.push(Diagnostic::error("two files of config/common conflict"));
                    return;
                };
                let other = prov.span(path);
                let mut d = Diagnostic::error(format!(
                    "`{path}` is set differently by two files of config/common"
                ))
                .with_path(path.to_string())
                .with_span(file.span_near(path))
                .with_hint(
                    "set it in one common file only (one concern per file), or override it in a profile",
                );
                if let Some(o) = other {
                    d = d.with_related("also set here", o);
                }
                diags.push(d);
            }
        }
    }
}

/// Apply an RFC 7396 merge patch to `target` (no provenance).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    apply_merge_patch(
        target,
        patch,
        &ConfigPath::root(),
        &|_| unreachable!(),
        None,
    );
}

/// RFC 7396 merge patch, recording into `prov` when given.
fn apply_merge_patch(
    target: &mut Value,
    patch: &Value,
    path: &ConfigPath,
    origin_at: &dyn Fn(&ConfigPath) -> Origin,
    prov: Option<&mut ProvData>,
) {
    match patch {
        Value::Object(pm) => patch_map(target, pm, &[], path, origin_at, prov),
        _ => {
            if let Some(prov) = prov {
                if target.is_object() {
                    prov.record_replaced(path, &origin_at(path));
                }
                prov.push(path.clone(), Some(patch.clone()), origin_at(path));
            }
            *target = patch.clone();
        }
    }
}

/// RFC 7396 merge patch by the map `pm`, its members named in `skip` left
/// out (a profile's meta keys), recording into `prov` when given.
fn patch_map(
    target: &mut Value,
    pm: &Map<String, Value>,
    skip: &[&str],
    path: &ConfigPath,
    origin_at: &dyn Fn(&ConfigPath) -> Origin,
    mut prov: Option<&mut ProvData>,
) {
    if !target.is_object() {
        if let Some(prov) = prov.as_deref_mut()
            && !target.is_null()
        {
            prov.record_deletion(path, &origin_at(path));
        }
        *target = Value::Object(Map::new());
    }
    if let Some(prov) = prov.as_deref_mut() {
        prov.containers
            .entry(path.clone())
            .or_insert_with(|| origin_at(path));
    }
    let tm = target.as_object_mut().expect("object");
    let mut members = 0;
    for (k, pv) in pm {
        if skip.contains(&k.as_str()) {
            continue;
        }
        members += 1;
        let cp = child_key(path, k, prov.is_some());
        if pv.is_null() {
            if tm.shift_remove(k).is_some()
                && let Some(prov) = prov.as_deref_mut()
            {
                prov.record_deletion(&cp, &origin_at(&cp));
            }
        } else {
            let slot = tm.entry(k.clone()).or_insert(Value::Null);
            apply_merge_patch(slot, pv, &cp, origin_at, prov.as_deref_mut());
        }
    }
    if members == 0
        && tm.is_empty()
        && let Some(prov) = prov
    {
        prov.push(
            path.clone(),
            Some(Value::Object(Map::new())),
            origin_at(path),
        );
    }
}

fn apply_json_patches(
    value: &mut Value,
    ops: &Value,
    file: &LoadedFile,
    prov: Option<&mut ProvData>,
) -> Result<(), Diagnostic> {
    let mut prov = prov;
    let base = ConfigPath::root().key("patches");
    let Value::Array(items) = ops else {
        return Err(
            Diagnostic::error("`patches` must be a list of RFC 6902 operations")
                .with_path("patches")
                .with_span(file.span_near(&base)),
        );
    };
    for (i, raw) in items.iter().enumerate() {
        let op_path = base.index(i);
        // Positions are looked up only to report or record.
        let span = || file.span_near(&op_path).expect("span");
        let op: json_patch::PatchOperation = serde_json::from_value(raw.clone()).map_err(|e| {
            Diagnostic::error(format!("patches[{i}] is not a valid RFC 6902 operation: {e}"))
                .with_path(format!("patches[{i}]"))
                .with_span(Some(span()))
                .with_hint("each operation needs `op` (add, remove, replace, move, copy, test) and `path`, e.g. {op: replace, path: /services/devai/replicas, value: 3}")
        })?;
        let (name, target) = op_name_and_path(&op);
        json_patch::patch(value, std::slice::from_ref(&op)).map_err(|e| {
            Diagnostic::error(format!(
                "patches[{i}] ({name} {target}) failed in profile {}: {}",
                file.name, e.kind
            ))
            .with_path(format!("patches[{i}]"))
            .with_span(Some(span()))
            .with_hint(
                "paths are JSON Pointers into the merged config, e.g. /services/devai/env/DEBUG",
            )
        })?;
        let Some(prov) = prov.as_deref_mut() else {
            continue;
        };
        let origin = Origin::Patch {
            span: span(),
            index: i,
            op: name.to_string(),
        };
        let origin_at = |_: &ConfigPath| origin.clone();
        let dest = ConfigPath::from_pointer(&target, value);
        match &op {
            json_patch::PatchOperation::Remove(_) => prov.record_deletion(&dest, &origin),
            json_patch::PatchOperation::Test(_) => {}
            json_patch::PatchOperation::Move(m) => {
                let from = ConfigPath::from_pointer(&m.from.to_string(), value);
                prov.record_deletion(&from, &origin);
                record_patched(prov, &dest, value, &origin_at, &origin);
            }
            _ => record_patched(prov, &dest, value, &origin_at, &origin),
        }
    }
    Ok(())
}

fn record_patched(
    prov: &mut ProvData,
    dest: &ConfigPath,
    value: &Value,
    origin_at: &dyn Fn(&ConfigPath) -> Origin,
    origin: &Origin,
) {
    // Lists are leaves: a patch inside a list counts for the whole list.
    let cut = dest
        .0
        .iter()
        .position(|s| matches!(s, crate::path::Seg::Index(_)))
        .map(|i| ConfigPath(dest.0[..i].to_vec()))
        .unwrap_or_else(|| dest.clone());
    let leaf_path = if cut.0.len() < dest.0.len() {
        cut
    } else {
        dest.clone()
    };
    prov.record_replaced(&leaf_path, origin);
    if let Some(v) = leaf_path.get(value) {
        prov.record_subtree(&leaf_path, v, origin_at);
    } else if dest.0.last().is_some() {
        // `add` to `/list/-`: the list itself is the leaf.
        let parent = dest.parent();
        if let Some(v) = parent.get(value) {
            prov.record_subtree(&parent, v, origin_at);
        }
    }
}

fn op_name_and_path(op: &json_patch::PatchOperation) -> (&'static str, String) {
    use json_patch::PatchOperation as P;
    let name = match op {
        P::Add(_) => "add",
        P::Remove(_) => "remove",
        P::Replace(_) => "replace",
        P::Move(_) => "move",
        P::Copy(_) => "copy",
        P::Test(_) => "test",
    };
    (name, op.path().to_string())
}

fn apply_set(value: &mut Value, s: &SetArg, prov: Option<&mut ProvData>) -> Result<(), Diagnostic> {
    use crate::path::Seg;
    let mut cur = value;
    let mut walked = ConfigPath::root();
    let n = s.path.0.len();
    for (i, seg) in s.path.0.iter().enumerate() {
        let last = i + 1 == n;
        cur = match seg {
            Seg::Key(k) => {
                if cur.is_null() {
                    *cur = Value::Object(Map::new());
                }
                let Value::Object(m) = cur else {
                    return Err(Diagnostic::error(format!(
                        "--set {}: `{walked}` is not a map",
                        s.raw
                    )));
                };
                if last {
                    m.insert(k.clone(), Value::Null);
                }
                m.entry(k.clone()).or_insert(Value::Null)
            }
            Seg::Index(idx) => {
                let Value::Array(a) = cur else {
                    return Err(Diagnostic::error(format!(
                        "--set {}: `{walked}` is not a list",
                        s.raw
                    )));
                };
                let len = a.len();
                a.get_mut(*idx).ok_or_else(|| {
                    Diagnostic::error(format!(
                        "--set {}: index {idx} is past the end of `{walked}` ({len} items)",
                        s.raw
                    ))
                })?
            }
        };
        walked = match seg {
            Seg::Key(k) => walked.key(k),
            Seg::Index(i) => walked.index(*i),
        };
    }
    *cur = s.value.clone();
    let Some(prov) = prov else {
        return Ok(());
    };
    let origin = Origin::Set(s.raw.clone());
    prov.record_replaced(&s.path, &origin);
    let origin_at = |_: &ConfigPath| origin.clone();
    prov.record_subtree(&s.path, &s.value, &origin_at);
    Ok(())
}

/// Order map keys as the schema lists them (unknown keys keep their order, last),
/// so `show` reads the same whichever file set a key first.
fn canonical_order(value: &mut Value) {
    static ORDER: OnceLock<Option<KeyOrder>> = OnceLock::new();
    if let Some(order) = ORDER.get_or_init(|| KeyOrder::of(crate::schema::schema())) {
        order.apply(value);
    }
}

/// The key order a schema gives a map and the maps below it: its
/// `properties` in order, each with its own order, and the order below any
/// other key (`additionalProperties`). Schemas that order nothing are `None`.
struct KeyOrder {
    props: Option<Vec<(String, Option<KeyOrder>)>>,
    other: Option<Box<KeyOrder>>,
}

impl KeyOrder {
    fn of(schema: &Value) -> Option<KeyOrder> {
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| {
                p.iter()
                    .map(|(k, s)| (k.clone(), KeyOrder::of(s)))
                    .collect()
            });
        let other = schema
            .get("additionalProperties")
            .filter(|a| a.is_object())
            .and_then(KeyOrder::of)
            .map(Box::new);
        (props.is_some() || other.is_some()).then_some(KeyOrder { props, other })
    }

    fn apply(&self, value: &mut Value) {
        let Value::Object(m) = value else { return };
        let props = self.props.as_deref();
        if let Some(props) = props
            && !in_schema_order(m, props)
        {
            let mut sorted = Map::new();
            for (k, _) in props {
                if let Some(v) = m.shift_remove(k) {
                    sorted.insert(k.clone(), v);
                }
            }
            sorted.append(m);
            *m = sorted;
        }
        for (k, v) in m.iter_mut() {
            let sub = match props.and_then(|p| p.iter().find(|(name, _)| name == k)) {
                Some((_, sub)) => sub.as_ref(),
                None => self.other.as_deref(),
            };
            if let Some(sub) = sub {
                sub.apply(v);
            }
        }
    }
}

/// Whether the keys of `m` that `props` lists come first, in its order (then
/// sorting would not change `m`).
fn in_schema_order(m: &Map<String, Value>, props: &[(String, Option<KeyOrder>)]) -> bool {
    let mut last = None;
    for k in m.keys() {
        match props.iter().position(|(name, _)| name == k) {
            Some(i) if last.is_none_or(|l| l < i) => last = Some(i),
            Some(_) => return false,
            None => {
                // An unknown key: every later key must be unknown too.
                last = Some(usize::MAX);
            }
        }
    }
    true
}

/// Every leaf path of a value (lists and empty maps are leaves), in document order.
pub fn leaves(value: &Value) -> Vec<(ConfigPath, &Value)> {
    fn walk<'a>(v: &'a Value, p: ConfigPath, out: &mut Vec<(ConfigPath, &'a Value)>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, c) in m {
                    walk(c, p.key(k), out);
                }
            }
            _ => out.push((p, v)),
        }
    }
    let mut out = Vec::new();
    walk(value, ConfigPath::root(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn origin() -> Origin {
        Origin::Set("t".into())
    }

    fn patch(target: Value, p: Value) -> Value {
        let mut t = target;
        let mut prov = ProvData::default();
        apply_merge_patch(
            &mut t,
            &p,
            &ConfigPath::root(),
            &|_| origin(),
            Some(&mut prov),
        );
        t
    }

    #[test]
    fn rfc7396_examples() {
        // The test cases of RFC 7396 Appendix A.
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":"b","b":"c"}),
                json!({"a":null}),
                json!({"b":"c"}),
            ),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ];
        for (t, p, want) in cases {
            assert_eq!(patch(t.clone(), p.clone()), want, "{t} + {p}");
        }
    }

    #[test]
    fn provenance_records_history_and_deletion() {
        let mut t = json!({});
        let mut prov = ProvData::default();
        let o1 = Origin::Set("one".into());
        let o2 = Origin::Set("two".into());
        apply_merge_patch(
            &mut t,
            &json!({"s": {"a": {"r": 1}}}),
            &ConfigPath::root(),
            &|_| o1.clone(),
            Some(&mut prov),
        );
        apply_merge_patch(
            &mut t,
            &json!({"s": {"a": {"r": 3}}}),
            &ConfigPath::root(),
            &|_| o2.clone(),
            Some(&mut prov),
        );
        let p = ConfigPath::parse("s.a.r").unwrap();
        let h = prov.history(&p);
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].value, Some(json!(1)));
        assert_eq!(h[1].origin, o2);
        apply_merge_patch(
            &mut t,
            &json!({"s": {"a": null}}),
            &ConfigPath::root(),
            &|_| o1.clone(),
            Some(&mut prov),
        );
        assert_eq!(prov.history(&p).last().unwrap().value, None);
        assert_eq!(t, json!({"s": {}}));
    }

    #[test]
    fn set_args_parse_yaml_values() {
        let s = SetArg::parse("services.devai.replicas=3").unwrap();
        assert_eq!(s.value, json!(3));
        let s = SetArg::parse("a.b=[x, y]").unwrap();
        assert_eq!(s.value, json!(["x", "y"]));
        let s = SetArg::parse("a='3'").unwrap();
        assert_eq!(s.value, json!("3"));
        assert!(SetArg::parse("novalue").is_err());
        assert!(SetArg::parse("=3").is_err());
    }

    #[test]
    fn set_creates_maps_and_refuses_scalars() {
        let mut v = json!({"a": 1});
        let mut prov = ProvData::default();
        apply_set(&mut v, &SetArg::parse("b.c.d=x").unwrap(), Some(&mut prov)).unwrap();
        assert_eq!(v["b"]["c"]["d"], "x");
        assert!(apply_set(&mut v, &SetArg::parse("a.b=1").unwrap(), Some(&mut prov)).is_err());
    }

    /// A project directory with empty `config/common/` and `config/profiles/`.
    fn config_dirs() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config");
        std::fs::create_dir_all(cfg.join("common")).unwrap();
        std::fs::create_dir_all(cfg.join("profiles")).unwrap();
        (dir, cfg)
    }

    /// A span in the common files read from the files ([`common_span`]) is
    /// the one the recorded common provenance gives, for every leaf,
    /// ancestor, child and index path of overlapping common files.
    #[test]
    fn common_span_agrees_with_the_recorded_common_provenance() {
        let (dir, cfg) = config_dirs();
        let files = [
            (
                "10-a.yaml",
                "services:\n  a:\n    image: a:1\n    env: {}\n    ports: [1, 2]\n  b: {}\nenv:\n  X: '1'\n",
            ),
            (
                "20-b.yaml",
                "services:\n  a:\n    image: a:1\n    env:\n      Y: '2'\n    resources:\n      cpu: 1\n  b:\n    image: b:1\nenv:\n  X: '1'\n  Z: '3'\n",
            ),
            ("30-empty.yaml", ""),
            ("40-c.yaml", "services:\n  c:\n    image: c:1\n"),
        ];
        for (name, text) in files {
            std::fs::write(cfg.join("common").join(name), text).unwrap();
        }
        std::fs::write(cfg.join("profiles/p.yaml"), "cloud: aws\n").unwrap();
        let project = Project::load(dir.path()).unwrap();
        let merged = merge_profile(&project, "p", &[]).unwrap();
        let layers = merged.provenance.replay.as_ref().unwrap();
        let recorded = &layers.common().1;
        let mut paths: Vec<ConfigPath> = Vec::new();
        for (leaf, _) in leaves(&merged.value) {
            let mut p = leaf;
            loop {
                paths.push(p.clone());
                paths.push(p.key("below"));
                paths.push(p.index(1));
                if p.0.is_empty() {
                    break;
                }
                p = p.parent();
            }
        }
        paths.push(ConfigPath::root().key("nothing").key("here"));
        assert!(paths.len() > 50);
        for path in paths {
            assert_eq!(
                common_span(&layers.common, &path),
                recorded.span(&path),
                "path {path}"
            );
        }
    }

    /// The span shortcut of a lazy provenance ([`Layers::leave_alone`])
    /// answers as the full replay for every path: leaves, containers and
    /// missing paths, under profiles that leave a service alone, override
    /// a sibling, override the path itself, delete or replace an ancestor,
    /// define a service of their own, or use `patches:`.
    #[test]
    fn span_shortcut_agrees_with_replay() {
        let (dir, cfg) = config_dirs();
        std::fs::write(
            cfg.join("common/project.yaml"),
            "project:\n  name: demo\nclouds:\n  aws:\n    region: us-east-1\n",
        )
        .unwrap();
        std::fs::write(
            cfg.join("common/services.yaml"),
            "services:\n  a:\n    image: a:1\n    resources:\n      gpu:\n        model: a100\n        count: 1\n  b:\n    image: b:1\n    resources:\n      gpu:\n        model: l4\n",
        )
        .unwrap();
        let profiles = [
            ("same", "cloud: aws\n"),
            ("sibling", "services:\n  a:\n    env:\n      X: '1'\n"),
            (
                "count",
                "services:\n  a:\n    resources:\n      gpu:\n        count: 8\n",
            ),
            ("gone", "services:\n  a:\n    resources: null\n"),
            ("scalar", "services:\n  b:\n    resources:\n      gpu: 3\n"),
            (
                "own",
                "services:\n  c:\n    image: c:1\n    resources:\n      gpu:\n        count: 2\n",
            ),
            (
                "patched",
                "patches:\n  - op: replace\n    path: /services/a/resources/gpu/count\n    value: 4\n",
            ),
            ("child", "extends: count\nservices:\n  b:\n    image: b:2\n"),
            (
                "elsewhere",
                "patches:\n  - op: add\n    path: /env\n    value: {X: '1'}\n  - op: add\n    path: /services/b/env\n    value: {Y: '2'}\n",
            ),
            (
                "moved",
                "patches:\n  - op: move\n    from: /services/b/image\n    path: /services/a/image\n",
            ),
            (
                "listed",
                "services:\n  a:\n    ports: [1]\npatches:\n  - op: add\n    path: /services/a/ports/-\n    value: 2\n",
            ),
        ];
        for (name, text) in profiles {
            std::fs::write(cfg.join(format!("profiles/{name}.yaml")), text).unwrap();
        }
        let project = Project::load(dir.path()).unwrap();
        let mut shortcuts = 0;
        for (name, _) in profiles {
            let merged = merge_profile(&project, name, &[]).unwrap();
            for svc in ["a", "b", "c", "zz"] {
                let base = ConfigPath::root().key("services").key(svc);
                let paths = [
                    base.clone(),
                    base.key("image"),
                    base.key("env").key("X"),
                    base.key("env").key("Y"),
                    base.key("ports"),
                    base.key("resources"),
                    base.key("resources").key("gpu"),
                    base.key("resources").key("gpu").key("count"),
                    base.key("resources").key("gpu").key("model"),
                    ConfigPath::root().key("clouds").key("aws").key("region"),
                ];
                for path in paths {
                    let fresh = merge_profile(&project, name, &[]).unwrap();
                    let layers = fresh.provenance.replay.as_ref().unwrap();
                    if layers.leave_alone(&layers.common().0, &path) {
                        shortcuts += 1;
                    }
                    assert_eq!(
                        fresh.provenance.span(&path),
                        merged.provenance.span_replayed(&path),
                        "profile {name}, path {path}"
                    );
                    assert_eq!(
                        common_span(&layers.common, &path),
                        layers.common().1.span(&path),
                        "common files, path {path}"
                    );
                }
            }
        }
        assert!(shortcuts > 20, "the shortcut was taken {shortcuts} times");
    }
}
