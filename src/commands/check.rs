//! `devgen check`: validate every profile, render everything in memory and
//! compare with the disk; run the cross-checks. Exit 0 clean, 1 problems,
//! 2 could not run.
use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::json;

use super::render::build_plan;
use super::{CmdResult, Ctx, EXIT_OK, EXIT_PROBLEMS, err, out};
use crate::check::{Kind, Problem, ahead, cross_checks, drift, stale};
use crate::cli::{CheckArgs, ReportFormat};
use crate::diag::{Sources, render};

/// `devgen check`.
pub fn check(ctx: &Ctx, a: &CheckArgs) -> CmdResult {
    // Whether config/secrets.yaml is git-ignored, the walk of deploy/ and
    // its Terraform variables are found out while the plan is rendered.
    crate::timings::mark("check started");
    // No render writes while the tree is read (see crate::lock).
    let _lock = crate::lock::ProjectLock::shared(&ctx.root).map_err(super::CmdError::usage)?;
    let ahead = ahead(&ctx.root);
    crate::timings::mark("read-ahead started");
    let (problems, files, sources) = match build_plan(ctx, &a.profiles, &[], &[], &[]) {
        Ok((project, built)) => {
            let root = &ctx.root;
            let mut problems = drift(&built.plan, root);
            crate::timings::mark("drift compared");
            let disk = ahead.snapshot();
            crate::timings::mark("deploy/ walked");
            let special = crate::check::special_files(&built.plan, &disk, &problems);
            problems.extend(special);
            for gone in crate::check::remove_leftovers(&built.plan, root, &disk) {
                crate::commands::err(&format!(
                    "devgen: removed {}, left by a render that was killed\n",
                    gone.display()
                ));
            }
            if a.profiles.is_empty() {
                // Stale files can only be told apart when every profile was rendered.
                let mut dirs: BTreeSet<PathBuf> = first_components(&built.plan);
                dirs.insert(PathBuf::from("deploy"));
                let dirs: Vec<PathBuf> = dirs
                    .into_iter()
                    .filter(|d| d != &PathBuf::from("config"))
                    .collect();
                problems.extend(stale(&built.plan, root, &dirs, &disk));
            }
            let profiles: Vec<String> = built.models.iter().map(|m| m.profile.clone()).collect();
            let mut secret_names: Vec<String> = built
                .models
                .iter()
                .flat_map(|m| m.secrets.iter().map(|s| s.name.clone()))
                .collect();
            secret_names.sort();
            secret_names.dedup();
            problems.extend(cross_checks(
                &built.plan,
                root,
                &profiles,
                &secret_names,
                ahead.finish(),
            ));
            crate::redact::watch(root, secret_names.iter().cloned());
            problems.extend(leaks_on_disk(&problems));
            crate::timings::mark("stale files and cross-checks");
            let n = built.plan.files.len();
            let sources = project.sources.clone();
            // The process ends right after the report: freeing the plan,
            // the models and the walk of deploy/ (thousands of allocations)
            // would only cost time (~0.5 ms).
            std::mem::forget(built);
            std::mem::forget(project);
            std::mem::forget(disk);
            (problems, n, sources)
        }
        Err(e) if e.code == EXIT_PROBLEMS => {
            // Wait: no `git` process outlives the check.
            drop(ahead.finish());
            let mut problems: Vec<Problem> = e.diags.iter().map(Problem::from_diag).collect();
            // A secret pasted into the config is reported even when the
            // config does not load (its snippet is redacted on output).
            if let Some(secrets) = crate::redact::current() {
                crate::check::scan_config(&ctx.root, &secrets, &mut problems);
            }
            (problems, 0, e.sources)
        }
        Err(e) => {
            // Wait: no `git` process outlives the check.
            drop(ahead.finish());
            return Err(e);
        }
    };
    report(ctx, a.format, &problems, files, &sources);
    crate::timings::mark("reported");
    Ok(if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// The first component of each planned path. The plan is sorted: a path
/// that starts with the one before's first component and a separator has
/// the same first component (it is not asked again).
fn first_components(plan: &crate::plan::Plan) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut last: Option<&std::ffi::OsStr> = None;
    for p in plan.files.keys() {
        if let Some(first) = last
            && p.as_os_str()
                .as_encoded_bytes()
                .strip_prefix(first.as_encoded_bytes())
                .is_some_and(|rest| rest.first() == Some(&b'/'))
        {
            continue;
        }
        last = p.components().next().map(|c| c.as_os_str());
        if let Some(first) = last {
            out.insert(PathBuf::from(first));
        }
    }
    out
}

/// A `secret` problem for each secret value in a drifted file on disk (what
/// its diff would show, were it not redacted).
fn leaks_on_disk(problems: &[Problem]) -> Vec<Problem> {
    let Some(secrets) = crate::redact::current().filter(|s| !s.is_empty()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in problems {
        if let (Some(diff), Some(file)) = (&p.diff, &p.file) {
            let on_disk: String = diff
                .lines()
                .filter(|l| !l.starts_with('+'))
                .flat_map(|l| [l, "\n"])
                .collect();
            for (name, _) in secrets.find_all(&on_disk) {
                out.push(
                    Problem::new(
                        Kind::Secret,
                        Some(file.clone()),
                        None,
                        format!("the value of secret `{name}` appears in {file} (on disk)"),
                    )
                    .with_hint("regenerate the file (`devgen render`): secret values live only in the environment or the git-ignored config/secrets.yaml"),
                );
            }
        }
    }
    out
}

fn report(ctx: &Ctx, format: ReportFormat, problems: &[Problem], files: usize, sources: &Sources) {
    if format == ReportFormat::Json {
        let j = json!({"ok": problems.is_empty(), "files_checked": files, "problems": problems});
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&j).expect("json")
        ));
        return;
    }
    let mut sources = sources.clone();
    for p in problems {
        if p.kind != Kind::Invalid
            && let Some(f) = &p.file
            && p.kind != Kind::UnsafePath
            && let Ok(text) = crate::safe_fs::read_in_to_string(
                &ctx.root,
                std::path::Path::new(f),
                crate::safe_fs::MAX_READ_BYTES,
            )
        {
            sources.add(f.as_str().into(), text.into());
        }
    }
    let mut text = String::new();
    for p in problems {
        text.push_str(&render(&p.to_diag(), &sources));
        if let Some(d) = &p.diff {
            text.push_str(&colour_diff(d));
        }
        text.push('\n');
    }
    let summary = if problems.is_empty() {
        format!("devgen check: clean — {files} generated files match the config\n")
    } else {
        let mut kinds: Vec<(String, usize)> = Vec::new();
        for p in problems {
            let k = serde_json::to_value(p.kind)
                .expect("kind")
                .as_str()
                .unwrap_or("")
                .replace('_', " ");
            match kinds.iter_mut().find(|(x, _)| *x == k) {
                Some((_, n)) => *n += 1,
                None => kinds.push((k, 1)),
            }
        }
        let parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        format!(
            "devgen check: {} problem{} ({})\n",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            parts.join(", ")
        )
    };
    text.push_str(&summary);
    if problems.is_empty() {
        out(&text);
    } else {
        err(&text);
    }
}

fn colour_diff(d: &str) -> String {
    use anstyle::AnsiColor;
    let (g, r, c) = (
        AnsiColor::Green.on_default(),
        AnsiColor::Red.on_default(),
        AnsiColor::Cyan.on_default(),
    );
    let mut s = String::new();
    for line in d.lines() {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            anstyle::Style::new().bold()
        } else if line.starts_with('+') {
            g
        } else if line.starts_with('-') {
            r
        } else if line.starts_with("@@") {
            c
        } else {
            anstyle::Style::new()
        };
        s.push_str(&format!(
            "    {}{line}{}\n",
            style.render(),
            style.render_reset()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_components_of_the_plan() {
        let mut plan = crate::plan::Plan::default();
        for p in [
            ".github/x",
            "Makefile",
            "deploy/a",
            "deploy//b",
            "deploy-x/c",
            "deploy",
            "deployx/d",
            "./e",
            "z/y",
            "\u{e9}/f",
        ] {
            plan.files.insert(
                PathBuf::from(p),
                crate::plan::PlannedFile {
                    path: PathBuf::from(p),
                    bytes: Vec::new(),
                    target: "t".into(),
                    profile: None,
                    regenerate: "r".into(),
                },
            );
        }
        let expected: BTreeSet<PathBuf> = plan
            .files
            .keys()
            .filter_map(|p| p.components().next().map(|c| PathBuf::from(c.as_os_str())))
            .collect();
        assert_eq!(first_components(&plan), expected);
    }
}
