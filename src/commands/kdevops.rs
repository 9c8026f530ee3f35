//! `devgen kdevops PATH`: write kdevops' generated cloud Kconfig files
//! (see [`crate::render::kdevops`]) into a kdevops checkout, all or nothing,
//! through the same writer as `render` (only changed files, atomic renames,
//! no symlinks followed, nothing outside PATH). Nothing but those files is
//! ever written; on any failure nothing is.
use std::path::Path;

use super::catalogue::parse_providers;
use super::{CmdError, CmdResult, Ctx, EXIT_OK, out, print_warnings};
use crate::catalogue::{self, Provider};
use crate::cli::KdevopsArgs;
use crate::diag::{Diagnostic, Sources};
use crate::render::Plan;
use crate::render::kdevops::{LambdaNames, Options, dir_name, render};
use crate::write::{Change, diff_plan, write_plan};

/// The command recorded in the files' header.
const REGENERATE: &str = "devgen kdevops <kdevops tree> (see devgen's README, kdevops workflow)";

/// `devgen kdevops`.
pub fn kdevops(ctx: &Ctx, a: &KdevopsArgs) -> CmdResult {
    if a.offline {
        catalogue::set_offline(true);
    }
    let mut providers = parse_providers(&a.providers)?;
    if providers.is_empty() {
        providers = vec![
            Provider::Aws,
            Provider::Gcp,
            Provider::Azure,
            Provider::Lambdalabs,
        ];
    }
    check_tree(&a.path, &providers)?;
    let model = match &a.profile {
        Some(p) => Some(profile_model(ctx, p)?),
        None => None,
    };
    let lambda = if providers.contains(&Provider::Lambdalabs) {
        lambda_names(&a.path)
    } else {
        LambdaNames::builtin()
    };
    let opts = Options {
        regenerate: REGENERATE,
        target: "kdevops",
        lambda: &lambda,
    };
    let cat = catalogue::active();
    let files = render(cat, &providers, model.as_ref(), &opts);
    for &p in &providers {
        let prefix = Path::new("terraform").join(dir_name(p));
        if !files.iter().any(|f| f.path.starts_with(&prefix)) {
            return Err(CmdError::usage(
                Diagnostic::error(format!(
                    "the catalogue has no regions or instance types for {}",
                    p.as_str()
                ))
                .with_note("nothing was written"),
            ));
        }
    }
    let plan = Plan::from_files(files).map_err(|d| CmdError {
        code: super::EXIT_USAGE,
        diags: d,
        sources: Sources::default(),
    })?;
    let report = if a.dry_run {
        diff_plan(&plan, &a.path).map_err(CmdError::from)?
    } else {
        write_plan(&plan, &a.path).map_err(CmdError::from)?
    };
    let mut text = String::new();
    for (p, c) in &report.entries {
        if a.dry_run || *c != Change::Unchanged {
            text.push_str(&format!("{:<9} {}\n", c.as_str(), p.display()));
        }
    }
    let verb = if a.dry_run { "would write" } else { "wrote" };
    text.push_str(&format!(
        "devgen: {} kdevops files — {verb} {} new, {} updated; {} unchanged\n",
        report.entries.len(),
        report.count(Change::Create),
        report.count(Change::Update),
        report.count(Change::Unchanged)
    ));
    out(&text);
    Ok(EXIT_OK)
}

/// PATH must be a kdevops checkout: its top `Kconfig`, and for each
/// provider a real `terraform/<dir>/kconfigs` directory (no symlinks).
fn check_tree(root: &Path, providers: &[Provider]) -> Result<(), CmdError> {
    let not_tree = |what: String| {
        CmdError::usage(
            Diagnostic::error(format!("{} is not a kdevops tree: {what}", root.display()))
                .with_hint("give the top directory of a kdevops checkout")
                .with_note("nothing was written"),
        )
    };
    let is_file = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file());
    let is_dir = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    if std::fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(not_tree(
            "it is a symbolic link (nothing is written through one; give the real path)".into(),
        ));
    }
    if !is_dir(root) {
        return Err(not_tree("no such directory".into()));
    }
    for f in ["Kconfig", "terraform/Kconfig.providers"] {
        if !is_file(&root.join(f)) {
            return Err(not_tree(format!("no {f}")));
        }
    }
    for &p in providers {
        let dir = Path::new("terraform").join(dir_name(p)).join("kconfigs");
        if !is_dir(&root.join(&dir)) {
            return Err(not_tree(format!("no directory {}", dir.display())));
        }
    }
    Ok(())
}

/// The enriched model of one profile of the project at `-C DIR`.
fn profile_model(ctx: &Ctx, profile: &str) -> Result<crate::model::Model, CmdError> {
    let project = ctx.project()?;
    let sources = project.sources.clone();
    let mut resolved =
        crate::pipeline::enriched(&project, &[profile.to_string()], &[], &mut |w| {
            print_warnings(w, &sources)
        })?;
    Ok(resolved.remove(0).model)
}

/// The Lambda Labs names of the tree's own wrappers (the region and
/// instance-type strings they map), else kdevops main's.
fn lambda_names(root: &Path) -> LambdaNames {
    let dir = root.join("terraform/lambdalabs/kconfigs");
    let read = |name: &str| {
        let p = dir.join(name);
        // Never through a symlink; small text files only.
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_file() && m.len() < 1 << 20 => std::fs::read_to_string(p).ok(),
            _ => None,
        }
    };
    match (read("Kconfig.location"), read("Kconfig.compute")) {
        (Some(l), Some(c)) => LambdaNames::from_wrappers(&l, &c).unwrap_or_else(|| {
            print_warnings(
                &[Diagnostic::warning(
                    "terraform/lambdalabs/kconfigs/Kconfig.{location,compute} map no region or \
                     instance type; using kdevops main's names",
                )],
                &Sources::default(),
            );
            LambdaNames::builtin()
        }),
        _ => LambdaNames::builtin(),
    }
}
