//! `devgen init [DIR]`: scaffold a minimal project — one small service (or
//! the services given with `--service`, or imported with `--from-compose`),
//! profiles dev/staging/prod, the schema where the modelines point, the
//! hand-written Compose/Terraform/Helm parts, a Makefile, .gitignore and
//! pre-commit config — then render it so `devgen check` is clean
//! immediately. Existing files are never overwritten unless `--force`.
use std::path::{Path, PathBuf};

use super::render::build_plan;
use super::skeleton::{ImageRef, ServiceSpec, Skeleton};
use super::{CmdError, CmdResult, Ctx, EXIT_OK, out, print_warnings};
use crate::cli::InitArgs;
use crate::diag::Diagnostic;
use crate::write::{WriteOptions, write_plan_with};

/// Files embedded at build time: (relative path, text). The hand-written
/// parts of `deploy/terraform/`, `deploy/helm/` and `templates/custom/` of
/// this repository (so their changes flow in), `scaffold/` (Makefile,
/// .gitignore, pre-commit config), and under `repo-compose/` the
/// repository's own Compose files.
pub const SCAFFOLD: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_scaffold.rs"));

const REPO_COMPOSE: &str = "repo-compose/";

/// Whether this build's schema has the per-service keys (command,
/// entrypoint, secrets, health) an import carries.
fn rich_keys() -> bool {
    let schema: serde_json::Value =
        serde_json::from_str(crate::schema::SCHEMA_TEXT).unwrap_or_default();
    let svc = &schema["properties"]["services"]["additionalProperties"]["properties"];
    ["command", "entrypoint", "secrets", "health"]
        .iter()
        .all(|k| svc.get(k).is_some())
}

/// A DNS-1123 name from a directory name.
fn project_name(dir: &Path) -> String {
    let raw = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut s: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s = s.trim_matches('-').to_string();
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s = format!("app-{s}").trim_end_matches('-').to_string();
    }
    s.truncate(40);
    s.trim_end_matches('-').to_string()
}

/// `NAME=IMAGE[@PORT]`.
fn parse_service(s: &str) -> Result<ServiceSpec, CmdError> {
    let bad = || {
        CmdError::usage(
            Diagnostic::error(format!("--service `{s}`: expected NAME=IMAGE[@PORT]"))
                .with_hint("e.g. --service api=ghcr.io/acme/api:1.4@8000"),
        )
    };
    let (name, rest) = s.split_once('=').ok_or_else(bad)?;
    let (image, port) = match rest.rsplit_once('@') {
        Some((i, p)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => {
            (i, Some(p.parse::<u16>().map_err(|_| bad())?))
        }
        _ => (rest, None),
    };
    if name.is_empty() || image.is_empty() {
        return Err(bad());
    }
    let mut spec = ServiceSpec {
        name: name.to_string(),
        image: ImageRef::parse(image),
        cpu: Some("500m".into()),
        memory: Some("512Mi".into()),
        ..ServiceSpec::default()
    };
    if let Some(p) = port {
        spec.ports.insert("http".into(), p);
    }
    Ok(spec)
}

/// `MODEL[:N]`.
fn parse_gpu(s: &str) -> Result<(String, u32), CmdError> {
    let (model, count) = match s.rsplit_once(':') {
        Some((m, n)) => (
            m,
            n.parse::<u32>().map_err(|_| {
                CmdError::usage(Diagnostic::error(format!(
                    "--gpu `{s}`: expected MODEL[:COUNT] (e.g. l4 or a100-80gb:2)"
                )))
            })?,
        ),
        None => (s, 1),
    };
    Ok((model.to_string(), count.max(1)))
}

/// The skeleton the flags describe (or the imported Compose project).
fn skeleton(
    dir: &Path,
    a: &InitArgs,
) -> Result<(Skeleton, Vec<Diagnostic>, crate::diag::Sources), CmdError> {
    let mut sk = Skeleton {
        name: a.name.clone().unwrap_or_else(|| project_name(dir)),
        clouds: a.clouds.clone(),
        targets: a.targets.clone(),
        rich_keys: rich_keys(),
        ..Skeleton::default()
    };
    let mut warnings = Vec::new();
    let mut sources = crate::diag::Sources::default();
    if let Some(file) = &a.from_compose {
        let imported = super::import_compose::import(file, &a.gpu_model, sk.rich_keys)?;
        sk.services = imported.services;
        sk.imported = true;
        sk.secrets = imported.secrets;
        warnings = imported.warnings;
        sources = imported.sources;
    } else if a.services.is_empty() {
        sk.services.push(Skeleton::default_service());
    } else {
        for s in &a.services {
            sk.services.push(parse_service(s)?);
        }
    }
    if let Some(g) = &a.gpu {
        let gpu = parse_gpu(g)?;
        if let Some(first) = sk.services.first_mut() {
            first.gpu = Some(gpu);
            if first.memory.as_deref().is_none_or(|m| m.ends_with("Mi")) {
                first.memory = Some("8Gi".into());
                first.cpu = Some("2".into());
            }
        }
    }
    Ok((sk, warnings, sources))
}

/// Whether an embedded file belongs to the chosen targets.
fn wanted(rel: &str, targets: &[String]) -> bool {
    if targets.is_empty() {
        return true;
    }
    let has = |names: &[&str]| targets.iter().any(|t| names.contains(&t.as_str()));
    if let Some(owner) = crate::render::scaffold_owner(rel) {
        return targets
            .iter()
            .any(|t| crate::render::find_target(t).is_some_and(|f| f.name == owner.name));
    }
    if rel.starts_with("deploy/helm/") || rel.starts_with("templates/custom/helm-values/") {
        return has(&["helm-values"]);
    }
    if let Some(rest) = rel.strip_prefix("templates/custom/") {
        let name = rest.split('/').next().unwrap_or("");
        return has(&[name]);
    }
    true
}

/// The repository's chart directory name (`deploy/helm/<chart>/Chart.yaml`
/// among the embedded files), if one is embedded.
fn repo_chart() -> Option<&'static str> {
    SCAFFOLD.iter().find_map(|(p, _)| {
        p.strip_prefix("deploy/helm/")?
            .strip_suffix("/Chart.yaml")
            .filter(|c| !c.contains('/'))
    })
}

/// The new project's copy of an embedded file: the chart (its directory,
/// name, template helper names) and the `helm-values` target that writes its
/// values are named after the project, not after the repository's chart.
fn own_copy(rel: &str, text: &str, project: &str) -> (String, String) {
    let Some(chart) = repo_chart() else {
        return (rel.to_string(), text.to_string());
    };
    let dir = format!("deploy/helm/{chart}/");
    let in_chart = rel.starts_with(&dir);
    if in_chart || rel.starts_with("templates/custom/helm-values/") {
        let rel = match rel.strip_prefix(&dir) {
            Some(rest) => format!("deploy/helm/{project}/{rest}"),
            None => rel.to_string(),
        };
        return (rel, text.replace(chart, project));
    }
    (rel.to_string(), text.to_string())
}

/// Every file of the new project: (relative path, text).
fn project_files(sk: &Skeleton) -> Vec<(String, String)> {
    let mut files = sk.config_files();
    files.push((
        "schemas/config.schema.json".into(),
        crate::schema::SCHEMA_TEXT.to_string(),
    ));
    let compose_wanted = wanted("deploy/compose/", &sk.targets);
    for (rel, text) in SCAFFOLD {
        if let Some(name) = rel.strip_prefix(REPO_COMPOSE) {
            // The repository's generic Compose file (it includes the
            // generated services file); its GPU file is the example's.
            if compose_wanted && name == "docker-compose.yml" {
                files.push((format!("deploy/compose/{name}"), text.to_string()));
            }
            continue;
        }
        if wanted(rel, &sk.targets) {
            files.push(own_copy(rel, text, &sk.name));
        }
    }
    if compose_wanted {
        files.extend(sk.gpu_compose_file());
    }
    files
}

/// A fresh directory under the system's temporary directory, removed with
/// everything in it when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, CmdError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!("devgen-init-{}-{nanos}", std::process::id()));
        // create_dir (not _all): fails rather than reuse what is there.
        std::fs::create_dir(&path).map_err(|e| {
            CmdError::usage(Diagnostic::error(format!(
                "cannot create a scratch directory {}: {e}",
                path.display()
            )))
        })?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `devgen init`.
pub fn init(ctx: &Ctx, a: &InitArgs) -> CmdResult {
    let dir: PathBuf = match &a.target {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => ctx.root.join(d),
        None => ctx.root.clone(),
    };
    if let Some(name) = a
        .name
        .as_deref()
        .filter(|n| !crate::validate::is_dns_label(n))
    {
        // Refused before anything is written (it names the project, its
        // image and its chart).
        return Err(CmdError::usage(
            Diagnostic::error(format!("--name `{name}` is not a DNS-1123 label"))
                .with_hint("use lowercase letters, digits and `-`, starting and ending with a letter or digit (at most 63), e.g. --name my-shop"),
        ));
    }
    let created = !dir.exists();
    std::fs::create_dir_all(&dir).map_err(|e| {
        CmdError::usage(Diagnostic::error(format!(
            "cannot create {}: {e}",
            dir.display()
        )))
    })?;
    let (sk, warnings, sources) = skeleton(&dir, a)?;
    let files = project_files(&sk);
    // Regular files already there (a link, a FIFO, … is refused by the
    // writer at its path, even with --force).
    let existing: Vec<&str> = files
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| std::fs::symlink_metadata(dir.join(p)).is_ok_and(|m| m.is_file()))
        .collect();
    if !existing.is_empty() && !a.force {
        let shown: Vec<&str> = existing.iter().take(8).copied().collect();
        return Err(CmdError::usage(
            Diagnostic::error(format!(
                "{} already holds {} of the files init would write ({}{})",
                dir.display(),
                existing.len(),
                shown.join(", "),
                if existing.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            ))
            .with_hint("pick an empty directory, or pass --force to overwrite them"),
        ));
    }
    // The skeleton goes through the writer, as a render does: all or
    // nothing, never through a symbolic link inside DIR, and (with
    // --force, the explicit opt-in) over hand-written files.
    let skeleton_files: Vec<crate::plan::PlannedFile> = files
        .iter()
        .map(|(rel, body)| crate::plan::PlannedFile {
            path: PathBuf::from(rel),
            bytes: body.as_bytes().to_vec(),
            target: "init".into(),
            profile: None,
            regenerate: "devgen init --force".into(),
        })
        .collect();
    let first_problem = |diags: Vec<crate::diag::Diagnostic>| {
        CmdError::usage(diags.into_iter().next().expect("a problem"))
    };
    let skeleton = crate::plan::Plan::from_files(skeleton_files).map_err(first_problem)?;
    // The skeleton renders in a scratch directory first, so that a config
    // the flags made invalid (a service name, a GPU model) is an error
    // before DIR holds anything; then skeleton and rendered files are
    // written to DIR together.
    let scratch = Scratch::new()?;
    write_plan_with(&skeleton, &scratch.0, &WriteOptions::default())?;
    print_warnings(&warnings, &sources);
    let sub = Ctx {
        root: scratch.0.clone(),
    };
    let (_project, built) = build_plan(&sub, &[], &[], &[], &[]).map_err(|mut e| {
        if let Some(d) = e.diags.first_mut() {
            d.notes
                .push(format!("nothing was written to {}", dir.display()));
        }
        if created {
            let _ = std::fs::remove_dir(&dir);
        }
        e
    })?;
    let rendered: Vec<PathBuf> = built.plan.files.keys().cloned().collect();
    let all = crate::plan::Plan::from_files(
        built
            .plan
            .files
            .into_values()
            .chain(skeleton.files.into_values())
            .collect(),
    )
    .map_err(first_problem)?;
    let opts = WriteOptions {
        overwrite_unmanaged: a.force,
    };
    write_plan_with(&all, &dir, &opts)?;
    let mut text = String::new();
    for (rel, _) in &files {
        text.push_str(&format!("wrote     {rel}\n"));
    }
    for p in &rendered {
        text.push_str(&format!("rendered  {}\n", p.display()));
    }
    text.push_str(&format!(
        "devgen: initialised {} — {} files scaffolded, {} rendered.\nNext: cd {} && devgen show --profile dev && devgen check\n",
        dir.display(),
        files.len(),
        rendered.len(),
        dir.display()
    ));
    out(&text);
    Ok(EXIT_OK)
}
