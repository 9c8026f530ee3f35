//! `show`, `explain`, `diff`: look at merged config without rendering anything.
use serde_json::{Value, json};

use super::{CmdError, CmdResult, Ctx, EXIT_OK, out, parse_sets, print_warnings, resolve_profiles};
use crate::cli::{ConfigFormat, DiffArgs, ExplainArgs, ReportFormat, ShowArgs};
use crate::diag::{Diagnostic, did_you_mean};
use crate::emit::{to_yaml, yaml_scalar};
use crate::merge::{Origin, leaves};
use crate::path::ConfigPath;

fn parse_path(s: &str) -> Result<ConfigPath, CmdError> {
    ConfigPath::parse(s).map_err(|e| CmdError::usage(Diagnostic::error(e)))
}

/// A helpful error for a path that is not in the merged config.
fn missing_path(path: &ConfigPath, value: &Value, profile: &str) -> CmdError {
    let parent = path.parent();
    let mut d = Diagnostic::error(format!("`{path}` is not set in profile `{profile}`"));
    if let (Some(Value::Object(m)), Some(last)) = (parent.get(value), path.last_key()) {
        if let Some(s) = did_you_mean(last, m.keys().map(String::as_str)) {
            d = d.with_hint(format!("did you mean `{}`?", parent.key(&s)));
        } else {
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            d = d.with_hint(format!("keys of `{parent}`: {}", keys.join(", ")));
        }
    }
    CmdError {
        code: super::EXIT_PROBLEMS,
        diags: vec![d],
        sources: Default::default(),
    }
}

/// `devgen show`.
pub fn show(ctx: &Ctx, a: &ShowArgs) -> CmdResult {
    let project = ctx.project()?;
    let sets = parse_sets(&a.set.set)?;
    let r = resolve_profiles(&project, std::slice::from_ref(&a.profile), &sets)?.remove(0);
    print_warnings(&r.warnings, &project.sources);
    let base = match &a.path {
        Some(p) => parse_path(p)?,
        None => ConfigPath::root(),
    };
    let Some(value) = base.get(&r.merged.value) else {
        return Err(missing_path(&base, &r.merged.value, &a.profile));
    };
    let prov = &r.merged.provenance;
    let text = match (a.format, a.provenance) {
        (ConfigFormat::Yaml, false) => to_yaml(value, &base, &|_| None),
        (ConfigFormat::Yaml, true) => {
            to_yaml(value, &base, &|p| prov.origin(p).map(|o| o.to_string()))
        }
        (ConfigFormat::Json, false) if a.path.is_none() => {
            // The whole config, and beside it where each GPU service runs
            // per cloud (the enrichment's placements, from the catalogue).
            let mut with = value.clone();
            let mut resolved = vec![r];
            let placements = match crate::pipeline::place(&mut resolved) {
                Ok(_) => {
                    let mut m = serde_json::Map::new();
                    for (name, svc) in &resolved[0].model.services {
                        if !svc.placements.is_empty() {
                            m.insert(
                                name.clone(),
                                serde_json::to_value(&svc.placements).expect("json"),
                            );
                        }
                    }
                    Value::Object(m)
                }
                Err(_) => Value::Null,
            };
            if let Value::Object(o) = &mut with {
                o.insert("placements".into(), placements);
            }
            pretty(&with)
        }
        (ConfigFormat::Json, false) => pretty(value),
        (ConfigFormat::Json, true) => {
            let rows: Vec<Value> = leaves(value)
                .into_iter()
                .map(|(rel, v)| {
                    let full = ConfigPath(base.0.iter().chain(rel.0.iter()).cloned().collect());
                    origin_json(&full, v, prov.origin(&full))
                })
                .collect();
            pretty(&Value::Array(rows))
        }
    };
    out(&text);
    Ok(EXIT_OK)
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("json");
    s.push('\n');
    s
}

fn origin_json(path: &ConfigPath, v: &Value, o: Option<&Origin>) -> Value {
    let mut obj = json!({"path": path.to_string(), "value": v});
    if let Some(o) = o {
        obj["origin"] = json!(o.to_string());
        match o {
            Origin::File(s) | Origin::Patch { span: s, .. } => {
                obj["file"] = json!(&*s.file);
                obj["line"] = json!(s.line);
            }
            Origin::Set(arg) => obj["set"] = json!(arg),
        }
        if let Origin::Patch { index, op, .. } = o {
            obj["patch"] = json!({"index": index, "op": op});
        }
    }
    obj
}

fn describe_origin(o: &Origin) -> String {
    match o {
        Origin::File(s) => format!("{}:{}", s.file, s.line),
        Origin::Patch { span, index, op } => {
            format!("{}:{}  (patches[{index}]: {op})", span.file, span.line)
        }
        Origin::Set(arg) => format!("--set {arg}  (command line)"),
    }
}

/// `devgen explain`.
pub fn explain(ctx: &Ctx, a: &ExplainArgs) -> CmdResult {
    let project = ctx.project()?;
    let sets = parse_sets(&a.set.set)?;
    let r = resolve_profiles(&project, std::slice::from_ref(&a.profile), &sets)?.remove(0);
    let path = parse_path(&a.path)?;
    let prov = &r.merged.provenance;
    let value = &r.merged.value;
    // The leaves to explain: the path itself, or every leaf below a map.
    let mut targets: Vec<ConfigPath> = match path.get(value) {
        Some(v @ Value::Object(m)) if !m.is_empty() => leaves(v)
            .into_iter()
            .map(|(rel, _)| ConfigPath(path.0.iter().chain(rel.0.iter()).cloned().collect()))
            .collect(),
        Some(_) => vec![path.clone()],
        None if !prov.history(&path).is_empty() => vec![path.clone()],
        None => {
            if let Some(text) = explain_deleted_map(&project, &r.merged.chain, &path) {
                out(&text);
                return Ok(EXIT_OK);
            }
            return Err(missing_path(&path, value, &a.profile));
        }
    };
    targets.dedup();
    let chain_note = format!("profile chain: common → {}", r.merged.chain.join(" → "));
    if a.format == ReportFormat::Json {
        let items: Vec<Value> = targets
            .iter()
            .map(|p| {
                let hist: Vec<Value> = prov
                    .history(p)
                    .iter()
                    .rev()
                    .map(|s| {
                        let mut o = origin_json(
                            p,
                            s.value.as_ref().unwrap_or(&Value::Null),
                            Some(&s.origin),
                        );
                        o["deleted"] = json!(s.value.is_none());
                        o
                    })
                    .collect();
                json!({"path": p.to_string(), "value": p.get(value), "history": hist})
            })
            .collect();
        out(&pretty(
            &json!({"profile": a.profile, "chain": r.merged.chain, "values": items}),
        ));
        return Ok(EXIT_OK);
    }
    let mut text = String::new();
    for p in &targets {
        let hist = prov.history(p);
        let current = match p.get(value) {
            Some(v) => yaml_scalar(v),
            None => "(not set)".into(),
        };
        let Some((last, older)) = hist.split_last() else {
            text.push_str(&format!("{p} = {current}\n"));
            continue;
        };
        let head = format!("{p} = {current}");
        let what = if last.value.is_none() {
            "deleted by"
        } else {
            "set by"
        };
        text.push_str(&format!(
            "{head}\n    {what:<11}{}\n",
            describe_origin(&last.origin)
        ));
        for s in older.iter().rev() {
            let shown = s
                .value
                .as_ref()
                .map_or("(deleted)".to_string(), yaml_scalar);
            text.push_str(&format!("  ← {shown:<10} {}\n", describe_origin(&s.origin)));
        }
    }
    text.push_str(&format!("({chain_note})\n"));
    out(&text);
    Ok(EXIT_OK)
}

/// `devgen diff A B`.
pub fn diff(ctx: &Ctx, a: &DiffArgs) -> CmdResult {
    let project = ctx.project()?;
    let rs = resolve_profiles(&project, &[a.a.clone(), a.b.clone()], &[])?;
    let (va, vb) = (&rs[0].merged.value, &rs[1].merged.value);
    let la: Vec<(ConfigPath, &Value)> = leaves(va);
    let lb: Vec<(ConfigPath, &Value)> = leaves(vb);
    let mb: std::collections::HashMap<&ConfigPath, &Value> =
        lb.iter().map(|(p, v)| (p, *v)).collect();
    let ma: std::collections::HashMap<&ConfigPath, &Value> =
        la.iter().map(|(p, v)| (p, *v)).collect();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    for (p, v) in &la {
        match mb.get(p) {
            None => removed.push((p, *v)),
            Some(w) if w != v => changed.push((p, *v, *w)),
            _ => {}
        }
    }
    let added: Vec<_> = lb
        .iter()
        .filter(|(p, _)| !ma.contains_key(p))
        .map(|(p, v)| (p, *v))
        .collect();
    if a.format == ReportFormat::Json {
        let j = json!({
            "a": a.a, "b": a.b,
            "added": added.iter().map(|(p, v)| json!({"path": p.to_string(), "value": v})).collect::<Vec<_>>(),
            "removed": removed.iter().map(|(p, v)| json!({"path": p.to_string(), "value": v})).collect::<Vec<_>>(),
            "changed": changed.iter().map(|(p, x, y)| json!({"path": p.to_string(), "from": x, "to": y})).collect::<Vec<_>>(),
        });
        out(&pretty(&j));
        return Ok(EXIT_OK);
    }
    use anstyle::AnsiColor;
    let (g, r, y) = (
        AnsiColor::Green.on_default(),
        AnsiColor::Red.on_default(),
        AnsiColor::Yellow.on_default(),
    );
    let mut text = format!("--- {}\n+++ {}\n", a.a, a.b);
    for (p, v) in &removed {
        text.push_str(&format!(
            "{}- {p} = {}{}\n",
            r.render(),
            yaml_scalar(v),
            r.render_reset()
        ));
    }
    for (p, v) in &added {
        text.push_str(&format!(
            "{}+ {p} = {}{}\n",
            g.render(),
            yaml_scalar(v),
            g.render_reset()
        ));
    }
    for (p, x, w) in &changed {
        text.push_str(&format!(
            "{}~ {p}: {} → {}{}\n",
            y.render(),
            yaml_scalar(x),
            yaml_scalar(w),
            y.render_reset()
        ));
    }
    text.push_str(&format!(
        "{} added, {} removed, {} changed\n",
        added.len(),
        removed.len(),
        changed.len()
    ));
    out(&text);
    Ok(EXIT_OK)
}

/// `explain` of a map that a layer deleted (`gpu: null`): every layer that
/// set or deleted it, newest first; `None` when no layer deleted it.
fn explain_deleted_map(
    project: &crate::project::Project,
    chain: &[String],
    path: &ConfigPath,
) -> Option<String> {
    let layers = project.common.iter().map(|f| f.as_ref()).chain(
        chain
            .iter()
            .filter_map(|n| project.profiles.get(n).map(|p| p.file.as_ref())),
    );
    let mut seen: Vec<(String, Option<&Value>)> = Vec::new();
    for f in layers {
        if let Some(v) = path.get(&f.value) {
            let at = f
                .span_near(path)
                .map_or(f.name.to_string(), |sp| format!("{}:{}", sp.file, sp.line));
            seen.push((at, (!v.is_null()).then_some(v)));
        }
    }
    let (last, older) = seen.split_last()?;
    if last.1.is_some() {
        return None;
    }
    let mut text = format!("{path} = (deleted)\n    deleted by {}\n", last.0);
    for (at, v) in older.iter().rev() {
        let shown = v.map_or("(deleted)".to_string(), |v| {
            serde_json::to_string(v).expect("json")
        });
        text.push_str(&format!("  ← {shown}  {at}\n"));
    }
    text.push_str(&format!(
        "(profile chain: common → {})\n",
        chain.join(" → ")
    ));
    Some(text)
}
