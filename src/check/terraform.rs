//! Cross-check: every tfvars key is declared in that cloud's `variables.tf`
//! with a compatible type, and every variable without a default is provided.
//! Both files are parsed with a real HCL parser (hcl-rs); a plain tfvars
//! file is read by [`plain`] (the same result, faster), and `variables.tf`
//! files are parsed a top-level structure at a time ([`pieces`]), each
//! distinct structure once (the clouds' files share most of theirs).
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use hcl::{Body, Expression};

use super::{Kind, Problem, Snapshot};
use crate::plan::Plan;
use crate::safe_fs::ReadError;

mod pieces;
mod plain;

/// A declared variable.
#[derive(Clone, Debug, PartialEq)]
struct Declared {
    ty: Option<Expression>,
    has_default: bool,
    sensitive: bool,
}

fn parse_variables(text: &str) -> Result<BTreeMap<String, Declared>, String> {
    let body: Body = hcl::parse(text).map_err(|e| e.to_string())?;
    Ok(variables_of(&body).collect())
}

/// The `variable` blocks of `body`, in order (a later one with the same
/// name replaces an earlier one when collected into a map).
fn variables_of(body: &Body) -> impl Iterator<Item = (String, Declared)> + '_ {
    body.blocks().filter_map(|b| {
        if b.identifier() != "variable" {
            return None;
        }
        let name = b.labels().first()?;
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
        Some((name.as_str().to_string(), d))
    })
}

/// What one run of top-level structures declares: its variables and its
/// top-level attribute keys; `None` when the run does not parse alone.
type Piece = Option<(Vec<(String, Declared)>, Vec<String>)>;

/// Parsed runs by text, shared by the files parsed together.
type Pieces = HashMap<String, Piece>;

/// Parse a run with hcl-rs's own parser (`hcl::parse` is this parser plus
/// a conversion of the whole body; only the `type` and `sensitive`
/// expressions of variables are converted here).
fn parse_piece(text: &str) -> Piece {
    use hcl::edit::structure::Body as EditBody;
    let body: EditBody = hcl::edit::parser::parse_body(text).ok()?;
    let keys = body
        .attributes()
        .map(|a| a.key.as_str().to_string())
        .collect();
    let variables = body.blocks().filter_map(|b| {
        if b.ident.as_str() != "variable" {
            return None;
        }
        let name = b.labels.first()?;
        let mut d = Declared {
            ty: None,
            has_default: false,
            sensitive: false,
        };
        for a in b.body.attributes() {
            match a.key.as_str() {
                "type" => d.ty = Some(a.value.clone().into()),
                "default" => d.has_default = true,
                "sensitive" => {
                    d.sensitive =
                        matches!(Expression::from(a.value.clone()), Expression::Bool(true))
                }
                _ => {}
            }
        }
        Some((name.as_str().to_string(), d))
    });
    Some((variables.collect(), keys))
}

/// [`parse_variables`], a run of top-level structures at a time (see
/// [`pieces`]), each distinct run parsed once per `seen`. Whenever a run
/// does not parse on its own, or two runs set the same top-level
/// attribute, the whole file is parsed as one (the parser's verdict and
/// error message are the reference).
fn parse_variables_in(text: &str, seen: &mut Pieces) -> Result<BTreeMap<String, Declared>, String> {
    let runs = pieces::top_level(text);
    if runs.len() < 2 {
        return parse_variables(text);
    }
    let mut out = BTreeMap::new();
    let mut keys = HashSet::new();
    for run in runs {
        let mut fresh = None;
        let piece: &Piece = match seen.get(run) {
            Some(piece) => piece,
            None => fresh.insert(parse_piece(run)),
        };
        let Some((declared, attributes)) = piece else {
            return parse_variables(text);
        };
        if !attributes.iter().all(|k| keys.insert(k.clone())) {
            return parse_variables(text);
        }
        out.extend(declared.iter().cloned());
        if let Some(piece) = fresh {
            seen.insert(run.to_string(), piece);
        }
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

fn type_name(t: &Expression) -> &str {
    match t {
        Expression::Variable(v) => v.as_str(),
        Expression::FuncCall(f) => f.name.name.as_str(),
        _ => "?",
    }
}

/// Where a value sits inside a tfvars value (`key`, `key[0]`,
/// `key["k"]`, `key.attr`); spelled out only for a message.
enum At<'a> {
    /// The top-level key.
    Root(&'a str),
    /// An item of a list, set or tuple.
    Index(&'a At<'a>, usize),
    /// A value of a map.
    Key(&'a At<'a>, &'a str),
    /// An attribute of an object.
    Attr(&'a At<'a>, &'a str),
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Root(key) => f.write_str(key),
            At::Index(at, i) => write!(f, "{at}[{i}]"),
            At::Key(at, key) => write!(f, "{at}[\"{key}\"]"),
            At::Attr(at, key) => write!(f, "{at}.{key}"),
        }
    }
}

/// Whether value `v` converts to type `t` (Terraform's rules, simplified:
/// primitives convert to string, numeric/bool strings to number/bool).
fn compatible(t: &Expression, v: &Expression, at: &At<'_>) -> Result<(), String> {
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
                            compatible(a, it, &At::Index(at, i))?;
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
                            compatible(ty, it, &At::Index(at, i))?;
                        }
                    }
                    Ok(())
                }
                ("map", Expression::Object(o)) => {
                    for (k, it) in o {
                        if let Some(a) = arg {
                            compatible(a, it, &At::Key(at, &object_key(k)))?;
                        }
                    }
                    Ok(())
                }
                ("object", Expression::Object(o)) => {
                    let Some(Expression::Object(attrs)) = arg else {
                        return Ok(());
                    };
                    let given: BTreeMap<Cow<str>, &Expression> =
                        o.iter().map(|(k, v)| (object_key(k), v)).collect();
                    for (k, ty) in attrs {
                        let key = object_key(k);
                        match given.get(&key) {
                            Some(val) => compatible(ty, val, &At::Attr(at, &key))?,
                            None if type_name(ty) == "optional" => {}
                            None => return Err(format!("`{at}` lacks attribute `{key}`")),
                        }
                    }
                    for k in given.keys() {
                        if !attrs.keys().any(|a| object_key(a) == *k) {
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

fn object_key(k: &hcl::ObjectKey) -> Cow<'_, str> {
    match k {
        hcl::ObjectKey::Identifier(i) => Cow::Borrowed(i.as_str()),
        hcl::ObjectKey::Expression(Expression::String(s)) => Cow::Borrowed(s),
        hcl::ObjectKey::Expression(e) => Cow::Owned(format!("{e:?}")),
        _ => Cow::Borrowed(""),
    }
}

/// What a `variables.tf` declares (or why it does not parse); `Err`: not
/// read (missing, unreadable, or refused: a link, a special file, too large).
type Declarations = Result<Result<BTreeMap<String, Declared>, String>, ReadError>;

/// Read a `variables.tf` (see [`crate::safe_fs`]).
fn read_variables(root: &Path, rel: &Path) -> Result<String, ReadError> {
    crate::safe_fs::read_in_to_string(root, rel, crate::safe_fs::MAX_READ_BYTES)
}

/// Read and parse a `variables.tf`.
fn read_declarations(root: &Path, rel: &Path) -> Declarations {
    read_variables(root, rel).map(|text| parse_variables_in(&text, &mut Pieces::new()))
}

/// Every `deploy/terraform/<dir>/variables.tf`, parsed ahead (found by a
/// walk of `deploy/`), by path relative to the root.
#[derive(Default)]
pub struct Parsed(BTreeMap<PathBuf, Declarations>);

/// Parse the `variables.tf` files of `deploy/terraform/*/` that the walk
/// `disk` found, as [`check`] would parse them (this runs while the plan is
/// rendered: parsing them is most of the Terraform check's time). A
/// top-level structure found in several of them is parsed once.
pub fn preparse(disk: &Snapshot) -> Parsed {
    let mut out = BTreeMap::new();
    let mut seen = Pieces::new();
    for e in disk.entries() {
        // (The byte test first: it is quick, and few paths pass it.)
        if !e
            .rel
            .as_os_str()
            .as_encoded_bytes()
            .ends_with(b"variables.tf")
        {
            continue;
        }
        let mut c = e.rel.components();
        let in_place = matches!(
            (c.next(), c.next(), c.next(), c.next(), c.next()),
            (Some(a), Some(b), Some(_), Some(f), None)
                if a.as_os_str() == "deploy" && b.as_os_str() == "terraform" && f.as_os_str() == "variables.tf"
        );
        if !in_place {
            continue;
        }
        let declarations =
            read_variables(disk.root(), &e.rel).map(|text| parse_variables_in(&text, &mut seen));
        out.insert(e.rel.clone(), declarations);
    }
    Parsed(out)
}

/// Check every planned `deploy/terraform/<cloud>/<profile>.tfvars`
/// (`variables.tf` files from `parsed` where it has them).
pub fn check(plan: &Plan, root: &Path, mut parsed: Parsed) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut declared_cache: BTreeMap<PathBuf, Option<BTreeMap<String, Declared>>> = BTreeMap::new();
    for (rel, f) in &plan.files {
        // (The byte test first: most planned files are not tfvars.)
        if !rel.as_os_str().as_encoded_bytes().ends_with(b".tfvars")
            || rel.extension().and_then(|e| e.to_str()) != Some("tfvars")
        {
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
        // (`from_utf8` first: it is the quicker test, and rendered text is UTF-8.)
        let text = match std::str::from_utf8(&f.bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&f.bytes),
        };
        let shown = rel.display().to_string();
        let attributes = match plain::attributes(&text) {
            Some(attributes) => attributes,
            None => match hcl::parse(&text) {
                Ok(body) => attributes_of(body),
                Err(e) => {
                    out.push(Problem::new(
                        Kind::Terraform,
                        Some(shown),
                        None,
                        format!("generated tfvars does not parse as HCL: {e}"),
                    ));
                    continue;
                }
            },
        };
        let given: BTreeMap<String, Expression> = attributes.into_iter().collect();
        for (key, val) in &given {
            match declared.get(key) {
                None => out.push(
                    Problem::new(Kind::Terraform, Some(shown.clone()), line_of(&text, key), format!("`{key}` is not declared in {}", vars_rel.display()))
                        .with_hint(format!("declare `variable \"{key}\"` in {} (Terraform warns about undeclared variables)", vars_rel.display())),
                ),
                Some(d) => {
                    if let Some(t) = &d.ty
                        && let Err(why) = compatible(t, val, &At::Root(key))
                    {
                        out.push(
                            Problem::new(Kind::Terraform, Some(shown.clone()), line_of(&text, key), why)
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

/// The top-level attributes of a parsed body, in order.
fn attributes_of(body: Body) -> Vec<(String, Expression)> {
    body.into_attributes()
        .map(|a| (a.key.into_inner(), a.expr))
        .collect()
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
        assert!(compatible(&ty("string"), &ty("\"x\""), &At::Root("a")).is_ok());
        assert!(compatible(&ty("number"), &ty("\"x\""), &At::Root("a")).is_err());
        assert!(compatible(&ty("list(string)"), &ty("[\"a\", 1]"), &At::Root("a")).is_ok());
        assert!(compatible(&ty("list(number)"), &ty("[\"a\"]"), &At::Root("a")).is_err());
        assert!(
            compatible(
                &ty("map(number)"),
                &ty("{ a = 1, \"b.c\" = 2 }"),
                &At::Root("a")
            )
            .is_ok()
        );
        assert!(
            compatible(
                &ty("object({ a = string, b = optional(number) })"),
                &ty("{ a = \"x\" }"),
                &At::Root("a")
            )
            .is_ok()
        );
        assert!(
            compatible(
                &ty("object({ a = string })"),
                &ty("{ b = \"x\" }"),
                &At::Root("a")
            )
            .is_err()
        );
        assert!(compatible(&ty("bool"), &ty("[true]"), &At::Root("a")).is_err());
    }

    /// Files whose declarations (or parse error) must come out of the
    /// run-at-a-time parse exactly as out of the whole-file parse.
    const TRICKY: &[&str] = &[
        "",
        "# only a comment\n",
        "variable \"a\" {\n  type = string\n}\nvariable \"b\" {\n  default = 1\n}\n",
        // Strings holding what looks like structure.
        "variable \"a\" {\n  description = \"variable \\\"x\\\" { } # // /* \"\n  type = string\n}\nvariable \"b\" {}\n",
        "variable \"a\" {\n  default = \"${ {a = \"}\"} } $${ %%{ }\"\n}\nvariable \"b\" {\n  type = number\n}\n",
        // Comments holding what looks like structure.
        "# variable \"x\" {\nvariable \"a\" { # }\n  // }\n  /* }\n}\nvariable \"y\" {\n */\n  type = bool\n}\n/* variable \"z\" {} */\nvariable \"b\" {}\n",
        // Heredocs.
        "variable \"a\" {\n  default = <<-EOT\n  }\n  variable \"x\" {\n  EOT\n  type = string\n}\nvariable \"b\" {\n  default = <<EOT\n}\nEOT\n}\n",
        // CRLF, one-line blocks, nested types, sensitive.
        "variable \"a\" {\r\n  type = map(object({\r\n    x = string\r\n  }))\r\n}\r\nvariable \"b\" { sensitive = true }\r\n",
        "variable \"a\" {\n  type = list(string)\n  sensitive = false\n}\nvariable \"b\" {\n  type = any\n  sensitive = true\n}\n",
        // Later declaration of a name wins; other blocks and labels.
        "variable \"a\" {\n  type = string\n}\nlocals {\n  x = 1\n}\nvariable a {\n  type = number\n}\nvariable \"c\" \"d\" {}\n",
        // Top-level attributes: a key set twice is an error of the file.
        "x = 1\nvariable \"a\" {}\ny = 2\n",
        "x = 1\nvariable \"a\" {}\nx = 2\n",
        // Broken files: the parser's own message.
        "variable \"a\" {\n  type = string\n",
        "variable \"a\" {}\n}\nvariable \"b\" {}\n",
        "variable \"a\" {}\nvariable \"b\" {\n  type = \n}\n",
        "variable \"a\" {}\nvariable \"b\" {\n  default = \"x\n}\n",
        "variable \"a\" {} variable \"b\" {}\n",
        "variable \"a\" {\n  default = 1 +\n 2\n}\nvariable \"b\" {}\n",
        "variable \"a\" {}\nvariable \"b\" {\n  default = <<EOT\nx\n  EOT\n}\n",
        "variable \"a\" {}\n\u{feff}variable \"b\" {}\n",
    ];

    #[test]
    fn runs_parse_to_what_the_whole_file_parses_to() {
        let mut seen = Pieces::new();
        for text in TRICKY.iter().chain(TRICKY) {
            assert_eq!(
                parse_variables_in(text, &mut seen),
                parse_variables(text),
                "{text:?}"
            );
        }
        assert!(TRICKY.iter().any(|t| pieces::top_level(t).len() > 2));
    }

    #[test]
    fn the_shipped_variables_files_parse_run_at_a_time_as_a_whole() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/terraform");
        let mut seen = Pieces::new();
        for cloud in ["aws", "azure", "gcp"] {
            let text = std::fs::read_to_string(root.join(cloud).join("variables.tf")).unwrap();
            let whole = parse_variables(&text).unwrap();
            assert!(whole.len() > 20);
            assert_eq!(parse_variables_in(&text, &mut seen), Ok(whole), "{cloud}");
        }
        // Every run parsed on its own, the shared ones once.
        assert!(seen.values().all(Option::is_some));
        let runs: usize = ["aws", "azure", "gcp"]
            .iter()
            .map(|c| {
                let text = std::fs::read_to_string(root.join(c).join("variables.tf")).unwrap();
                pieces::top_level(&text).len()
            })
            .sum();
        assert!(
            seen.len() < runs * 2 / 3,
            "{} distinct of {runs}",
            seen.len()
        );
    }

    #[test]
    fn paths_in_type_messages() {
        let why = |t: &str, v: &str| compatible(&ty(t), &ty(v), &At::Root("k")).unwrap_err();
        assert_eq!(
            why(
                "map(object({ a = list(number) }))",
                "{ \"x.y\" = { a = [1, \"z\"] } }"
            ),
            "`k[\"x.y\"].a[1]` is string but the variable wants number"
        );
        assert_eq!(
            why("tuple([string, bool])", "[\"a\", [1]]"),
            "`k[1]` is list but the variable wants bool"
        );
        assert_eq!(
            why("object({ a = string, b = string })", "{ a = \"x\" }"),
            "`k` lacks attribute `b`"
        );
        assert_eq!(
            why("object({ a = string })", "{ a = \"x\", c = 1, b = 2 }"),
            "`k.b` is not an attribute of the object type"
        );
    }

    #[test]
    fn parses_declarations() {
        let d = parse_variables("variable \"a\" {\n  type = string\n}\nvariable \"s\" {\n  type = map(string)\n  default = {}\n  sensitive = true\n}\n").unwrap();
        assert!(!d["a"].has_default);
        assert!(d["s"].sensitive && d["s"].has_default);
    }
}
