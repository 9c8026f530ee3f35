//! Cross-check: every tfvars key is declared in that cloud's `variables.tf`
//! with a compatible type, and every variable without a default is provided.
//! Both files are parsed with a real HCL parser (hcl-rs).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::{Body, Expression};

use super::{Kind, Problem, Snapshot};
use crate::plan::Plan;
use crate::safe_fs::ReadError;

/// A declared variable.
#[derive(Debug)]
struct Declared {
    ty: Option<Expression>,
    has_default: bool,
    sensitive: bool,
}

fn parse_variables(text: &str) -> Result<BTreeMap<String, Declared>, String> {
    let body: Body = hcl::parse(text).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for b in body.blocks() {
        if b.identifier() != "variable" {
            continue;
        }
        let Some(name) = b.labels().first() else {
            continue;
        };
        let mut d = Declared {
            ty: None,
            has_default: false,
            sensitive: false,
        };
        for a in b.body().attributes() {
            match a.key() {
                "type" => d.ty = Some(a.expr().clone()),
                "default" => d.has_default = true,
                "sensitive" => d.sensitive = matches!(a.expr(), Expression::Bool(true)),
                _ => {}
            }
        }
        out.insert(name.as_str().to_string(), d);
    }
    Ok(out)
}

fn line_of(text: &str, key: &str) -> Option<u32> {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|i| i as u32 + 1)
}

fn kind_of(e: &Expression) -> &'static str {
    match e {
        Expression::Null => "null",
        Expression::Bool(_) => "bool",
        Expression::Number(_) => "number",
        Expression::String(_) | Expression::TemplateExpr(_) => "string",
        Expression::Array(_) => "list",
        Expression::Object(_) => "object",
        _ => "expression",
    }
}

fn type_name(t: &Expression) -> String {
    match t {
        Expression::Variable(v) => v.as_str().to_string(),
        Expression::FuncCall(f) => f.name.name.as_str().to_string(),
        _ => "?".into(),
    }
}

/// Whether value `v` converts to type `t` (Terraform's rules, simplified:
/// primitives convert to string, numeric/bool strings to number/bool).
fn compatible(t: &Expression, v: &Expression, at: &str) -> Result<(), String> {
    let bad = |want: &str| {
        Err(format!(
            "`{at}` is {} but the variable wants {want}",
            kind_of(v)
        ))
    };
    if matches!(v, Expression::Null) {
        return Ok(());
    }
    match t {
        Expression::Variable(name) => match name.as_str() {
            "any" => Ok(()),
            "string" => match v {
                Expression::String(_)
                | Expression::TemplateExpr(_)
                | Expression::Number(_)
                | Expression::Bool(_) => Ok(()),
                _ => bad("string"),
            },
            "number" => match v {
                Expression::Number(_) => Ok(()),
                Expression::String(s) if s.parse::<f64>().is_ok() => Ok(()),
                _ => bad("number"),
            },
            "bool" => match v {
                Expression::Bool(_) => Ok(()),
                Expression::String(s) if s == "true" || s == "false" => Ok(()),
                _ => bad("bool"),
            },
            other => Err(format!("unknown type `{other}`")),
        },
        Expression::FuncCall(f) => {
            let name = f.name.name.as_str();
            let arg = f.args.first();
            match (name, v) {
                ("optional", _) => match arg {
                    Some(inner) => compatible(inner, v, at),
                    None => Ok(()),
                },
                ("list" | "set", Expression::Array(items)) => {
                    for (i, it) in items.iter().enumerate() {
                        if let Some(a) = arg {
                            compatible(a, it, &format!("{at}[{i}]"))?;
                        }
                    }
                    Ok(())
                }
                ("tuple", Expression::Array(items)) => {
                    if let Some(Expression::Array(types)) = arg {
                        if types.len() != items.len() {
                            return Err(format!(
                                "`{at}` has {} items, the tuple wants {}",
                                items.len(),
                                types.len()
                            ));
                        }
                        for (i, (ty, it)) in types.iter().zip(items).enumerate() {
                            compatible(ty, it, &format!("{at}[{i}]"))?;
                        }
                    }
                    Ok(())
                }
                ("map", Expression::Object(o)) => {
                    for (k, it) in o {
                        if let Some(a) = arg {
                            compatible(a, it, &format!("{at}[\"{}\"]", object_key(k)))?;
                        }
                    }
                    Ok(())
                }
                ("object", Expression::Object(o)) => {
                    let Some(Expression::Object(attrs)) = arg else {
                        return Ok(());
                    };
                    let given: BTreeMap<String, &Expression> =
                        o.iter().map(|(k, v)| (object_key(k), v)).collect();
                    for (k, ty) in attrs {
                        let key = object_key(k);
                        match given.get(&key) {
                            Some(val) => compatible(ty, val, &format!("{at}.{key}"))?,
                            None if type_name(ty) == "optional" => {}
                            None => return Err(format!("`{at}` lacks attribute `{key}`")),
                        }
                    }
                    for k in given.keys() {
                        if !attrs.iter().any(|(a, _)| object_key(a) == *k) {
                            return Err(format!(
                                "`{at}.{k}` is not an attribute of the object type"
                            ));
                        }
                    }
                    Ok(())
                }
                ("list" | "set" | "tuple", _) => bad("a list"),
                ("map" | "object", _) => bad("a map/object"),
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

fn object_key(k: &hcl::ObjectKey) -> String {
    match k {
        hcl::ObjectKey::Identifier(i) => i.as_str().to_string(),
        hcl::ObjectKey::Expression(Expression::String(s)) => s.clone(),
        hcl::ObjectKey::Expression(e) => format!("{e:?}"),
        _ => String::new(),
    }
}

/// What a `variables.tf` declares (or why it does not parse); `Err`: not
/// read (missing, unreadable, or refused: a link, a special file, too large).
type Declarations = Result<Result<BTreeMap<String, Declared>, String>, ReadError>;

/// Read and parse a `variables.tf` (see [`crate::safe_fs`]).
fn read_declarations(root: &Path, rel: &Path) -> Declarations {
    crate::safe_fs::read_in_to_string(root, rel, crate::safe_fs::MAX_READ_BYTES)
        .map(|text| parse_variables(&text))
}

/// Every `deploy/terraform/<dir>/variables.tf`, parsed ahead (found by a
/// walk of `deploy/`), by path relative to the root.
#[derive(Default)]
pub struct Parsed(BTreeMap<PathBuf, Declarations>);

/// Parse the `variables.tf` files of `deploy/terraform/*/` that the walk
/// `disk` found, as [`check`] would parse them (this runs while the plan is
/// rendered: parsing them is most of the Terraform check's time).
pub fn preparse(disk: &Snapshot) -> Parsed {
    let mut out = BTreeMap::new();
    for e in disk.entries() {
        let mut c = e.rel.components();
        let in_place = matches!(
            (c.next(), c.next(), c.next(), c.next(), c.next()),
            (Some(a), Some(b), Some(_), Some(f), None)
                if a.as_os_str() == "deploy" && b.as_os_str() == "terraform" && f.as_os_str() == "variables.tf"
        );
        if !in_place {
            continue;
        }
        out.insert(e.rel.clone(), read_declarations(disk.root(), &e.rel));
    }
    Parsed(out)
}

/// Check every planned `deploy/terraform/<cloud>/<profile>.tfvars`
/// (`variables.tf` files from `parsed` where it has them).
pub fn check(plan: &Plan, root: &Path, mut parsed: Parsed) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut declared_cache: BTreeMap<PathBuf, Option<BTreeMap<String, Declared>>> = BTreeMap::new();
    for (rel, f) in &plan.files {
        if rel.extension().and_then(|e| e.to_str()) != Some("tfvars") {
            continue;
        }
        let Some(dir) = rel.parent() else { continue };
        let vars_rel = dir.join("variables.tf");
        let declared = declared_cache.entry(vars_rel.clone()).or_insert_with(|| {
            let declarations = match parsed.0.remove(&vars_rel) {
                Some(d) => d,
                None => read_declarations(root, &vars_rel),
            };
            match declarations {
                Ok(Ok(d)) => Some(d),
                Err(e) if e.is_refusal() => {
                    out.push(super::unsafe_path(&vars_rel.display().to_string(), &e));
                    None
                }
                Err(_) => None,
                Ok(Err(e)) => {
                    out.push(Problem::new(
                        Kind::Terraform,
                        Some(vars_rel.display().to_string()),
                        None,
                        format!("cannot parse {}: {e}", vars_rel.display()),
                    ));
                    None
                }
            }
        });
        let Some(declared) = declared else { continue };
        let text = String::from_utf8_lossy(&f.bytes).to_string();
        let shown = rel.display().to_string();
        let body: Body = match hcl::parse(&text) {
            Ok(b) => b,
            Err(e) => {
                out.push(Problem::new(
                    Kind::Terraform,
                    Some(shown),
                    None,
                    format!("generated tfvars does not parse as HCL: {e}"),
                ));
                continue;
            }
        };
        let mut given = BTreeMap::new();
        for a in body.attributes() {
            given.insert(a.key().to_string(), a.expr().clone());
        }
        for (key, val) in &given {
            let line = line_of(&text, key);
            match declared.get(key) {
                None => out.push(
                    Problem::new(Kind::Terraform, Some(shown.clone()), line, format!("`{key}` is not declared in {}", vars_rel.display()))
                        .with_hint(format!("declare `variable \"{key}\"` in {} (Terraform warns about undeclared variables)", vars_rel.display())),
                ),
                Some(d) => {
                    if let Some(t) = &d.ty
                        && let Err(why) = compatible(t, val, key)
                    {
                        out.push(
                            Problem::new(Kind::Terraform, Some(shown.clone()), line, why)
                                .with_hint(format!("make the config value and the type in {} agree", vars_rel.display())),
                        );
                    }
                }
            }
        }
        for (name, d) in declared.iter() {
            if !d.has_default && !d.sensitive && !given.contains_key(name) {
                out.push(
                    Problem::new(
                        Kind::Terraform,
                        Some(vars_rel.display().to_string()),
                        line_of_block(root, &vars_rel, name),
                        format!("variable `{name}` has no default and {shown} does not set it"),
                    )
                    .with_hint("give it a default, or add it to the tfvars interface"),
                );
            }
        }
    }
    out
}

fn line_of_block(root: &Path, rel: &Path, name: &str) -> Option<u32> {
    let text = crate::safe_fs::read_in_to_string(root, rel, crate::safe_fs::MAX_READ_BYTES).ok()?;
    let needle = format!("variable \"{name}\"");
    text.lines()
        .position(|l| l.trim_start().starts_with(&needle))
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Expression {
        let body: Body = hcl::parse(&format!("t = {s}")).unwrap();
        body.attributes().next().unwrap().expr().clone()
    }

    #[test]
    fn type_compatibility() {
        assert!(compatible(&ty("string"), &ty("\"x\""), "a").is_ok());
        assert!(compatible(&ty("number"), &ty("\"x\""), "a").is_err());
        assert!(compatible(&ty("list(string)"), &ty("[\"a\", 1]"), "a").is_ok());
        assert!(compatible(&ty("list(number)"), &ty("[\"a\"]"), "a").is_err());
        assert!(compatible(&ty("map(number)"), &ty("{ a = 1, \"b.c\" = 2 }"), "a").is_ok());
        assert!(
            compatible(
                &ty("object({ a = string, b = optional(number) })"),
                &ty("{ a = \"x\" }"),
                "a"
            )
            .is_ok()
        );
        assert!(compatible(&ty("object({ a = string })"), &ty("{ b = \"x\" }"), "a").is_err());
        assert!(compatible(&ty("bool"), &ty("[true]"), "a").is_err());
    }

    #[test]
    fn parses_declarations() {
        let d = parse_variables("variable \"a\" {\n  type = string\n}\nvariable \"s\" {\n  type = map(string)\n  default = {}\n  sensitive = true\n}\n").unwrap();
        assert!(!d["a"].has_default);
        assert!(d["s"].sensitive && d["s"].has_default);
    }
}
