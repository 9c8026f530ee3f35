//! The project on disk: which config files exist, loaded with positions.
//!
//! Layers, lowest first: every `config/common/*.yaml` (sorted by name), then
//! the profile chain from `config/profiles/`, then `--set` flags.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::diag::{Diagnostic, Sources, Span};
use crate::load::{LoadedFile, load_file};
use crate::path::ConfigPath;

/// A profile file with its `extends:` and `patches:` split off.
#[derive(Clone, Debug)]
pub struct ProfileFile {
    /// Profile name (file stem).
    pub name: String,
    /// The loaded file (its `value` still holds `extends`/`patches`); shared
    /// with the merged configs whose provenance is computed on demand.
    pub file: Arc<LoadedFile>,
    /// Parents named by `extends:`.
    pub extends: Vec<String>,
}

impl ProfileFile {
    /// Where `extends:` names its `i`-th parent.
    pub fn extends_span(&self, i: usize) -> Option<Span> {
        let p = ConfigPath::root().key("extends");
        match self.file.value.get("extends") {
            Some(Value::Array(_)) => self.file.span_near(&p.index(i)),
            _ => self.file.span_near(&p),
        }
    }
}

/// A value a later stage computes once per project and keeps here (the
/// merge's record of `config/common/`, see [`crate::merge`]). Its type is
/// the stage's own, so `project` stays below the stages in the module graph.
pub(crate) type StageMemo =
    std::sync::Arc<std::sync::OnceLock<std::sync::Arc<dyn std::any::Any + Send + Sync>>>;

/// All config files of a project, loaded.
#[derive(Clone, Debug)]
pub struct Project {
    /// The project root (holds `config/`).
    pub root: PathBuf,
    /// `config/common/*.yaml`, sorted by file name (shared with the merged
    /// configs whose provenance is computed on demand).
    pub common: Vec<Arc<LoadedFile>>,
    /// Profiles by name.
    pub profiles: BTreeMap<String, ProfileFile>,
    /// `config/secrets.example.yaml`, if present.
    pub secrets_example: Option<LoadedFile>,
    /// Texts of every file, for diagnostics.
    pub sources: Sources,
    /// `config/common/` merged once for every profile (see
    /// [`crate::merge`]), filled by the first merge (so `common` must not
    /// change after that); `None` inside when the common files conflict.
    pub(crate) common_merged: OnceLock<Option<Arc<Value>>>,
    /// `config/common/` merged with provenance recorded, once for every
    /// profile whose provenance is asked for (see [`crate::merge`]).
    pub(crate) common_provenance: StageMemo,
}

/// Whether `name` can name a profile: it becomes part of file and directory
/// names (`deploy/compose/<profile>.env`, `overlays/<profile>/`), Compose
/// variables and the `devgen render --profile` commands in file headers.
/// No `.`: `<profile>.env` of profile `a.b` would be `<profile>.<service>.env`
/// of profile `a`, service `b`.
pub fn is_profile_name(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Keys of a profile file that steer merging and are not config.
pub const PROFILE_META_KEYS: [&str; 2] = ["extends", "patches"];

/// Config text (bytes) from which files are read and parsed in parallel.
const PARALLEL_MIN_BYTES: u64 = 64 * 1024;

/// The YAML files of `root/rel` with their sizes, sorted by name. The
/// directory (and those above it, below `root`) must not be a symbolic
/// link; an entry named `*.yaml` that is not a regular file (a link, a
/// FIFO, …) is listed, for loading to refuse it at its path.
fn yaml_files(root: &Path, rel: &str) -> std::io::Result<Vec<(PathBuf, u64)>> {
    crate::safe_fs::check_dirs(root, &Path::new(rel).join("x"))?;
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root.join(rel))? {
        let entry = entry?;
        let p = entry.path();
        let is_yaml = matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"));
        if is_yaml
            && let Ok(m) = std::fs::symlink_metadata(&p)
            && !m.is_dir()
        {
            out.push((p, m.len()));
        }
    }
    out.sort();
    Ok(out)
}

fn display_name(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

impl Project {
    /// Load every config file under `root/config`. Returns every load error found.
    pub fn load(root: &Path) -> Result<Project, Vec<Diagnostic>> {
        let config = root.join("config");
        if !config.is_dir() {
            return Err(vec![
                Diagnostic::usage(format!(
                    "no config/ directory in {}",
                    if root.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        root
                    }
                    .display()
                ))
                .with_hint(
                    "run devgen in a project root, pass -C DIR, or create one with `devgen init`",
                ),
            ]);
        }
        let common_files = yaml_files(root, "config/common");
        let profile_files = yaml_files(root, "config/profiles");
        let ex = config.join("secrets.example.yaml");
        let ex_len = std::fs::symlink_metadata(&ex)
            .ok()
            .filter(|m| !m.is_dir())
            .map(|m| m.len());
        // Read and parse every file (in parallel when there is enough text),
        // then take the results in order: problems keep their order.
        let mut paths: Vec<(&Path, u64)> = Vec::new();
        for files in [&common_files, &profile_files].into_iter().flatten() {
            paths.extend(files.iter().map(|(p, len)| (p.as_path(), *len)));
        }
        if let Some(len) = ex_len {
            paths.push((&ex, len));
        }
        let load_one = |(p, _): &(&Path, u64)| load_file(p, &display_name(root, p));
        let total: u64 = paths.iter().map(|(_, len)| len).sum();
        let loaded: Vec<Result<LoadedFile, Diagnostic>> =
            if paths.len() > 1 && total >= PARALLEL_MIN_BYTES {
                use rayon::prelude::*;
                paths.par_iter().map(load_one).collect()
            } else {
                paths.iter().map(load_one).collect()
            };
        let mut loaded = loaded.into_iter();
        let mut diags = Vec::new();
        let mut sources = Sources::default();
        let mut next = |diags: &mut Vec<Diagnostic>| -> Option<LoadedFile> {
            match loaded.next().expect("one result per file") {
                Ok(f) => {
                    sources.add(f.name.clone(), f.text.clone());
                    Some(f)
                }
                Err(d) => {
                    diags.push(d);
                    None
                }
            }
        };
        let mut common = Vec::new();
        match common_files {
            Ok(files) => {
                for _ in files {
                    if let Some(f) = next(&mut diags) {
                        common.push(Arc::new(f));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => diags.push(Diagnostic::error(format!("cannot list config/common: {e}"))),
        }
        let mut profiles = BTreeMap::new();
        match profile_files {
            Ok(files) => {
                for (p, _) in files {
                    let name = p
                        .file_stem()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .to_string();
                    let loaded = next(&mut diags);
                    if !is_profile_name(&name) {
                        diags.push(
                            Diagnostic::error(format!(
                                "profile name `{name}` (config/profiles/{}) is not usable in file names and commands",
                                p.file_name().unwrap_or_default().to_string_lossy()
                            ))
                            .with_hint("rename the file: a profile name holds ASCII letters, digits, `-` and `_`, starting with a letter or digit"),
                        );
                        continue;
                    }
                    if let Some(f) = loaded {
                        match profile_meta(&name, f) {
                            Ok(pf) => {
                                if profiles.contains_key(&name) {
                                    diags.push(Diagnostic::error(format!(
                                        "profile `{name}` is defined twice (.yaml and .yml)"
                                    )));
                                }
                                profiles.insert(name, pf);
                            }
                            Err(d) => diags.push(d),
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => diags.push(Diagnostic::error(format!(
                "cannot list config/profiles: {e}"
            ))),
        }
        let secrets_example = if ex_len.is_some() {
            next(&mut diags)
        } else {
            None
        };
        for f in common.iter().map(|f| &**f).chain(secrets_example.iter()) {
            if !(f.value.is_object() || f.value.is_null()) {
                diags.push(
                    Diagnostic::error(format!("{} must hold a map at the top level", f.name))
                        .with_span(f.spans.get(&ConfigPath::root()).cloned()),
                );
            }
        }
        if diags.is_empty() {
            Ok(Project {
                root: root.to_path_buf(),
                common,
                profiles,
                secrets_example,
                sources,
                common_merged: OnceLock::new(),
                common_provenance: Default::default(),
            })
        } else {
            Err(diags)
        }
    }

    /// The error for a profile this project does not have (a usage error:
    /// profiles are named on the command line), with the closest name.
    pub fn unknown_profile(&self, profile: &str) -> Diagnostic {
        let names = self.profile_names();
        let d = Diagnostic::usage(format!("unknown profile `{profile}`"));
        match crate::diag::did_you_mean(profile, names.iter().map(String::as_str)) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None if names.is_empty() => {
                d.with_hint("no profiles found: add config/profiles/<name>.yaml")
            }
            None => d.with_hint(format!("profiles: {}", names.join(", "))),
        }
    }

    /// Names of all profiles, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        self.profiles.keys().cloned().collect()
    }

    /// Secret names and descriptions from `config/secrets.example.yaml`.
    pub fn secret_descriptions(&self) -> Vec<(String, String)> {
        let Some(f) = &self.secrets_example else {
            return Vec::new();
        };
        let Some(m) = f.value.as_object() else {
            return Vec::new();
        };
        m.iter()
            .map(|(k, v)| {
                let desc = match v {
                    Value::String(s) => s.clone(),
                    Value::Object(o) => o
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    _ => String::new(),
                };
                (k.clone(), desc)
            })
            .collect()
    }

    /// A loaded config file by display name.
    pub fn file(&self, name: &str) -> Option<&LoadedFile> {
        self.common
            .iter()
            .chain(self.profiles.values().map(|p| &p.file))
            .find(|f| &*f.name == name)
            .map(|f| &**f)
    }
}

fn profile_meta(name: &str, f: LoadedFile) -> Result<ProfileFile, Diagnostic> {
    if !(f.value.is_object() || f.value.is_null()) {
        return Err(Diagnostic::error(format!(
            "profile {} must hold a map at the top level",
            f.name
        ))
        .with_span(f.spans.get(&ConfigPath::root()).cloned()));
    }
    let mut extends = Vec::new();
    let ext_path = ConfigPath::root().key("extends");
    match f.value.get("extends") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => extends.push(s.clone()),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            for it in items {
                extends.push(it.as_str().unwrap_or_default().to_string());
            }
        }
        Some(_) => {
            return Err(
                Diagnostic::error("`extends` must be a profile name or a list of names")
                    .with_path("extends")
                    .with_span(f.span_near(&ext_path)),
            );
        }
    }
    Ok(ProfileFile {
        name: name.to_string(),
        file: Arc::new(f),
        extends,
    })
}
