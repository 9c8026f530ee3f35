//! Stage 7 (planning half) — prune: which generated files a render deletes.
//!
//! `render` makes the rendered scope of `deploy/` exactly what the config
//! says: a file that carries devgen's header, lies within the run's scope
//! (the targets, profiles and clouds rendered) and is not in the plan is
//! stale and goes, in the same all-or-nothing step as the writes (see
//! [`crate::write::write_plan`]). The scope of a stale file is read from its
//! own header (`Regenerate: devgen render --profile P --target T --cloud C`),
//! so removing a service, a profile or a cloud prunes exactly what it
//! produced. Files without the header are never candidates.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::disk::Snapshot;
use crate::plan::{Plan, is_generated};
use crate::render::find_target;

pub use crate::plan::Scope;

/// The run a generated file's header says produced it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// `--target` of its `Regenerate:` line.
    pub target: Option<String>,
    /// `--profile` of its `Regenerate:` line.
    pub profile: Option<String>,
    /// `--cloud` of its `Regenerate:` line.
    pub cloud: Option<String>,
}

/// Read the origin from the first lines of a generated file.
pub fn origin(head: &str) -> Origin {
    let mut o = Origin::default();
    let Some(line) = head
        .lines()
        .take(8)
        .find_map(|l| l.split_once("Regenerate:").map(|(_, r)| r))
    else {
        return o;
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    for pair in words.windows(2) {
        let value = Some(pair[1].to_string());
        match pair[0] {
            "--target" | "-t" => o.target = value,
            "--profile" | "-p" => o.profile = value,
            "--cloud" => o.cloud = value,
            _ => {}
        }
    }
    o
}

impl Scope {
    /// Whether a file of this origin belongs to the run.
    pub fn covers(&self, o: &Origin) -> bool {
        let target_ok = match &o.target {
            Some(t) => {
                let canonical = find_target(t).map_or(t.as_str(), |s| s.name);
                self.all_targets || self.targets.iter().any(|x| x == canonical)
            }
            None => self.all_targets,
        };
        let profile_ok = match (&self.profiles, &o.profile) {
            (None, _) | (Some(_), None) => true,
            (Some(ps), Some(p)) => ps.contains(p),
        };
        let cloud_ok = match &o.cloud {
            Some(c) if !self.clouds.is_empty() => self.clouds.contains(c),
            _ => true,
        };
        target_ok && profile_ok && cloud_ok
    }
}

/// The directories a plan's stale files can be in: `deploy/` and the
/// top-level directory of every planned file (never `config/`).
pub fn candidate_dirs(plan: &Plan) -> Vec<PathBuf> {
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    // The plan is sorted: files of one top-level directory come together,
    // so each directory is added once (not collected and sorted per file).
    let mut last: Option<&std::ffi::OsStr> = None;
    for p in plan.files.keys() {
        let mut parts = p.components();
        let (Some(top), Some(_)) = (parts.next(), parts.next()) else {
            continue;
        };
        if last != Some(top.as_os_str()) {
            last = Some(top.as_os_str());
            dirs.insert(PathBuf::from(top.as_os_str()));
        }
    }
    dirs.insert(PathBuf::from("deploy"));
    dirs.into_iter()
        .filter(|d| d != Path::new("config"))
        .collect()
}

/// Generated files under `base` within `scope` that the plan no longer
/// produces, in path order. Symbolic links and files without devgen's
/// header are never listed.
pub fn stale_in_scope(plan: &Plan, base: &Path, scope: &Scope) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in candidate_dirs(plan) {
        let walk = Snapshot::walk(base, &dir);
        for e in walk.entries() {
            let leftover = e
                .rel
                .file_name()
                .is_some_and(|n| crate::disk::leftover_pid(n).is_some());
            if !e.is_file || leftover || plan.files.contains_key(&e.rel) {
                continue;
            }
            let Ok(head) = read_head(&base.join(&e.rel)) else {
                continue;
            };
            let head = String::from_utf8_lossy(&head);
            if is_generated(&head) && scope.covers(&origin(&head)) {
                out.push(e.rel.clone());
            }
        }
    }
    out.sort();
    out
}

/// The files to delete under `base`: [`Plan::delete`] and the stale files
/// within [`Plan::prune`], sorted, each once.
pub fn deletions(plan: &Plan, base: &Path) -> Vec<PathBuf> {
    let mut out = plan.delete.clone();
    if let Some(scope) = &plan.prune {
        out.extend(stale_in_scope(plan, base, scope));
    }
    out.sort();
    out.dedup();
    out
}

/// The first KiB of a file.
pub fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut buf = Vec::with_capacity(1024);
    std::fs::File::open(path)?
        .take(1024)
        .read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_from_header() {
        let h = "# Generated by devgen — do not edit\n# Source: x\n# Regenerate: devgen render --profile dev --target tfvars --cloud aws\n";
        assert_eq!(
            origin(h),
            Origin {
                target: Some("tfvars".into()),
                profile: Some("dev".into()),
                cloud: Some("aws".into())
            }
        );
        assert_eq!(origin("A=1\n"), Origin::default());
    }

    #[test]
    fn scope_rules() {
        let o = |t: &str, p: Option<&str>| Origin {
            target: Some(t.into()),
            profile: p.map(String::from),
            cloud: None,
        };
        let s = Scope {
            targets: vec!["compose".into()],
            all_targets: false,
            profiles: Some(vec!["dev".into()]),
            clouds: vec![],
        };
        assert!(s.covers(&o("compose", Some("dev"))));
        assert!(!s.covers(&o("compose", Some("prod"))));
        assert!(!s.covers(&o("k8s", Some("dev"))));
        assert!(s.covers(&o("compose", None)));
        let all = Scope {
            all_targets: true,
            ..Scope::default()
        };
        assert!(all.covers(&o("kustomize", Some("gone"))));
        assert!(all.covers(&Origin::default()));
        assert!(!s.covers(&Origin::default()));
    }
}
