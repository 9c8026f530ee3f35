//! The pipeline, stage by stage: load → merge → validate → model.
//!
//! Each stage takes the previous stage's value and returns a new one.
use crate::diag::{Diagnostic, Severity};
use crate::merge::{Merged, SetArg, merge_common_only, merge_profile};
use crate::model::{self, Model};
use crate::project::Project;
use crate::validate::validate;

/// One profile, resolved: merged config, its warnings, and the typed model.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The merged config with provenance.
    pub merged: Merged,
    /// The typed model.
    pub model: Model,
    /// Warnings found on the way.
    pub warnings: Vec<Diagnostic>,
}

/// Merge and validate one profile, then build its model.
pub fn resolve(
    project: &Project,
    profile: &str,
    sets: &[SetArg],
) -> Result<Resolved, Vec<Diagnostic>> {
    let merged = merge_profile(project, profile, sets)?;
    let (errors, warnings): (Vec<_>, Vec<_>) = validate(&merged, project)
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(errors);
    }
    let model = model::build(&merged, project)?;
    Ok(Resolved {
        merged,
        model,
        warnings,
    })
}

/// The model of `config/common/` alone (no profile, no `--set`), for shared
/// artefacts that must not depend on which profiles are rendered. It is not
/// validated on its own: profiles may complete what `common/` leaves open.
pub fn resolve_common(project: &Project) -> Result<Model, Vec<Diagnostic>> {
    let merged = merge_common_only(project)?;
    model::build(&merged, project)
}

/// Resolve several profiles, collecting the problems of all of them.
/// Profiles resolve in parallel when there is enough work; results and
/// problems keep the order of `profiles`.
pub fn resolve_all(
    project: &Project,
    profiles: &[String],
    sets: &[SetArg],
) -> Result<Vec<Resolved>, Vec<Diagnostic>> {
    collect(resolve_each(project, profiles, sets))
}

/// Resolve each profile (in parallel when there is enough work), in order.
pub fn resolve_each(
    project: &Project,
    profiles: &[String],
    sets: &[SetArg],
) -> Vec<Result<Resolved, Vec<Diagnostic>>> {
    if parallel_pays(project, profiles) {
        use rayon::prelude::*;
        profiles
            .par_iter()
            .map(|p| resolve(project, p, sets))
            .collect()
    } else {
        profiles.iter().map(|p| resolve(project, p, sets)).collect()
    }
}

/// [`resolve_each`], and beside it the model of `config/common/` alone
/// ([`resolve_common`], `None` when it cannot be built), in parallel when it pays.
pub fn resolve_each_and_common(
    project: &Project,
    profiles: &[String],
    sets: &[SetArg],
) -> (Vec<Result<Resolved, Vec<Diagnostic>>>, Option<Model>) {
    if parallel_pays(project, profiles) {
        rayon::join(
            || resolve_each(project, profiles, sets),
            || resolve_common(project).ok(),
        )
    } else {
        (
            resolve_each(project, profiles, sets),
            resolve_common(project).ok(),
        )
    }
}

/// The profiles resolved, or the problems of all that failed (a problem in a
/// shared file once, not once per profile).
pub fn collect(
    results: impl IntoIterator<Item = Result<Resolved, Vec<Diagnostic>>>,
) -> Result<Vec<Resolved>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut diags: Vec<Diagnostic> = Vec::new();
    for r in results {
        match r {
            Ok(r) => out.push(r),
            Err(ds) => {
                for d in ds {
                    if !diags
                        .iter()
                        .any(|x| x.message == d.message && x.span == d.span)
                    {
                        diags.push(d);
                    }
                }
            }
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// Config text (bytes) times profiles below which resolving profiles one
/// after the other beats starting worker threads.
const PARALLEL_MIN_WORK: usize = 256 * 1024;

/// Whether resolving `profiles` in parallel is worth starting the thread pool.
fn parallel_pays(project: &Project, profiles: &[String]) -> bool {
    let text: usize = project
        .common
        .iter()
        .map(|f| f.text.len())
        .chain(
            profiles
                .iter()
                .filter_map(|p| project.profiles.get(p).map(|f| f.file.text.len())),
        )
        .sum();
    profiles.len() > 1 && text.saturating_mul(profiles.len()) >= PARALLEL_MIN_WORK
}
