//! The architecture, checked from the source: the module graph of `src/`
//! (who refers to whom through `crate::…`) has no cycle, the README's
//! architecture section is that graph (regenerated here, so it cannot
//! drift), and no code outside a target's own file compares a target name.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules of the crate whose files are not parsed: the crate
/// roots themselves.
const ROOTS: [&str; 2] = ["lib", "main"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read src/").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a file of `src/` belongs to (`render/k8s.rs` →
/// `render`).
fn top_module(rel: &Path) -> String {
    let first = rel.components().next().expect("non-empty path");
    let first = first.as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// `text` without comments, string and char literals' contents (so a brace
/// or `crate::` inside them counts for nothing).
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'r' if matches!(b.get(i + 1), Some(b'"') | Some(b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                // Raw string r"…" / r#"…"#.
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                j += 1;
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                while j < b.len() && !b[j..].starts_with(&close) {
                    j += 1;
                }
                out.push_str("\"\"");
                i = j + close.len();
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') || b.get(i + 1) == Some(&b'\\') => {
                // A char literal ('{', '\n', '\''); lifetimes have no closing quote.
                let mut j = i + 1;
                if b[j] == b'\\' {
                    j += 2;
                }
                while j < b.len() && b[j] != b'\'' {
                    j += 1;
                }
                out.push_str("' '");
                i = j + 1;
            }
            c => {
                out.push(c as char);
                i += 1;
            }
        }
    }
    out
}

/// `code` without its `#[cfg(test)]` items (test modules may use any
/// module: they are not part of the graph), and the names of test-only
/// file modules it declares (`#[cfg(test)] mod name;`).
fn without_tests(code: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut test_files = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let item = after.trim_start();
        if let Some(decl) = item.strip_prefix("mod ")
            && let Some(end) = decl.find([';', '{'])
            && decl.as_bytes()[end] == b';'
        {
            test_files.push(decl[..end].trim().to_string());
            rest = &decl[end + 1..];
            continue;
        }
        // Skip the item: up to its first `;` at depth 0 or its closing brace.
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    (out, test_files)
}

/// The top-level modules `code` refers to through `crate::` (plain paths
/// and `use crate::{a, b::c}` groups).
fn references(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        if at > 0 {
            let prev = code.as_bytes()[at - 1];
            if prev.is_ascii_alphanumeric() || prev == b'_' || prev == b':' {
                continue; // `$crate::`, `devgen_crate::`, `super::crate::`
            }
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Names at depth 1 of the group.
            let mut depth = 1usize;
            let mut expect_name = true;
            let mut i = 0;
            let g = group.as_bytes();
            while i < g.len() && depth > 0 {
                match g[i] {
                    b'{' => {
                        depth += 1;
                        i += 1;
                    }
                    b'}' => {
                        depth -= 1;
                        i += 1;
                    }
                    b',' if depth == 1 => {
                        expect_name = true;
                        i += 1;
                    }
                    c if c.is_ascii_whitespace() => i += 1,
                    _ if depth == 1 && expect_name => {
                        let name = ident(&group[i..]);
                        i += name.len().max(1);
                        if !name.is_empty() && name != "self" {
                            out.insert(name);
                        }
                        expect_name = false;
                    }
                    _ => i += 1,
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The module graph of `src/`: module → the modules it refers to.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = src();
    let files = rust_files(&root);
    let mut test_only: BTreeSet<PathBuf> = BTreeSet::new();
    let mut parsed: Vec<(PathBuf, String)> = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read source");
        let (code, test_mods) = without_tests(&code_only(&text));
        let dir = match f.file_name().and_then(|n| n.to_str()) {
            Some("mod.rs") | Some("lib.rs") | Some("main.rs") => f.parent().unwrap().to_path_buf(),
            _ => f.with_extension(""),
        };
        for m in test_mods {
            test_only.insert(dir.join(format!("{m}.rs")));
            test_only.insert(dir.join(m).join("mod.rs"));
        }
        parsed.push((f.clone(), code));
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let known: BTreeSet<String> = files
        .iter()
        .map(|f| top_module(f.strip_prefix(&root).unwrap()))
        .filter(|m| !ROOTS.contains(&m.as_str()))
        .collect();
    for (f, code) in parsed {
        if test_only
            .iter()
            .any(|t| f.starts_with(t.with_extension("")) || &f == t)
        {
            continue;
        }
        let module = top_module(f.strip_prefix(&root).unwrap());
        if ROOTS.contains(&module.as_str()) {
            continue;
        }
        let entry = graph.entry(module.clone()).or_default();
        for r in references(&code) {
            if r != module && known.contains(&r) {
                entry.insert(r);
            }
        }
    }
    graph
}

/// The strongly connected components of more than one module (cycles), by
/// Tarjan's algorithm.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.found.push(comp);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

/// Each module's layer: 0 for a module that uses no other, else one more
/// than the highest layer it uses (the graph has no cycle).
fn layers(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, usize> {
    fn layer(
        graph: &BTreeMap<String, BTreeSet<String>>,
        m: &str,
        memo: &mut BTreeMap<String, usize>,
    ) -> usize {
        if let Some(l) = memo.get(m) {
            return *l;
        }
        let l = graph
            .get(m)
            .into_iter()
            .flatten()
            .map(|d| layer(graph, d, memo) + 1)
            .max()
            .unwrap_or(0);
        memo.insert(m.to_string(), l);
        l
    }
    let mut memo = BTreeMap::new();
    for m in graph.keys() {
        layer(graph, m, &mut memo);
    }
    memo
}

const BEGIN: &str = "<!-- module-graph: generated by tests/it/architecture.rs from the `crate::` references of src/; do not edit -->";
const END: &str = "<!-- /module-graph -->";

/// The README's module graph: modules by layer, each with what it uses.
fn graph_section(graph: &BTreeMap<String, BTreeSet<String>>) -> String {
    let layers = layers(graph);
    let mut by_layer: BTreeMap<usize, Vec<&String>> = BTreeMap::new();
    for (m, l) in &layers {
        by_layer.entry(*l).or_default().push(m);
    }
    let mut s = String::new();
    s.push_str(BEGIN);
    s.push_str("\n\n| layer | module | uses |\n|---|---|---|\n");
    for (l, mods) in &by_layer {
        for m in mods {
            let uses: Vec<String> = graph[*m].iter().map(|d| format!("`{d}`")).collect();
            let uses = if uses.is_empty() {
                "—".to_string()
            } else {
                uses.join(", ")
            };
            s.push_str(&format!("| {l} | `{m}` | {uses} |\n"));
        }
    }
    s.push('\n');
    s.push_str(END);
    s
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = module_graph();
    assert!(
        graph.contains_key("pipeline") && graph.contains_key("render"),
        "the parser found no modules: {graph:?}"
    );
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "modules of src/ refer to each other in a cycle (move the shared helper into a leaf module): {found:?}"
    );
}

#[test]
fn the_readme_shows_the_module_graph() {
    let graph = module_graph();
    assert!(
        cycles(&graph).is_empty(),
        "see the_module_graph_has_no_cycle"
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let (Some(a), Some(b)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md has no module graph section (between `{BEGIN}` and `{END}`)");
    };
    let section = graph_section(&graph);
    if readme[a..b + END.len()] != section {
        let updated = format!("{}{section}{}", &readme[..a], &readme[b + END.len()..]);
        std::fs::write(&path, updated).expect("write README.md");
        panic!(
            "README.md's module graph was out of date: it is rewritten now; review and commit it"
        );
    }
}

#[test]
fn the_parser_reads_grouped_and_plain_references() {
    let code = code_only(
        "use crate::{diag::{Diagnostic, Span}, model::Model, self};\n\
         // crate::commented\n\
         let s = \"crate::in_a_string\";\n\
         fn f() { crate::render::large(&[]) }\n\
         #[cfg(test)]\nmod tests { use crate::pipeline::resolve; }\n\
         #[cfg(test)]\nmod test_values;\n",
    );
    let (code, test_files) = without_tests(&code);
    let refs: Vec<String> = references(&code).into_iter().collect();
    assert_eq!(refs, ["diag", "model", "render"]);
    assert_eq!(test_files, ["test_values"]);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("a".into());
    assert_eq!(cycles(&g), vec![vec!["a".to_string(), "b".to_string()]]);
}

/// Names and aliases of the built-in targets, each with the file that
/// implements it (the only file that may compare it), read from the
/// registry `src/render/targets.rs`.
fn target_names() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(src().join("render/targets.rs")).expect("registry");
    let mut out = Vec::new();
    for block in text.split("TargetSpec {").skip(1) {
        let field = |key: &str| -> Option<&str> {
            let at = block.find(&format!("{key}: "))?;
            Some(&block[at + key.len() + 2..])
        };
        let quoted = |s: &str| -> Vec<String> {
            s.split('"')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        };
        let Some(name) = field("name").and_then(|s| quoted(s.lines().next()?).pop()) else {
            continue;
        };
        let aliases = field("aliases")
            .and_then(|s| s.lines().next())
            .map(quoted)
            .unwrap_or_default();
        let module = field("target")
            .and_then(|s| s.split("super::").nth(1))
            .map(|s| s.split("::").next().unwrap_or("").to_string())
            .unwrap_or_default();
        for n in std::iter::once(name).chain(aliases) {
            out.push((n, format!("render/{module}.rs")));
        }
    }
    out
}

/// Whether `line` compares the string literal `lit` (`== "x"`, `"x" ==`,
/// `!= "x"`, a `match` arm `"x" =>`, `contains(&"x")`, a list of names).
fn compares(line: &str, lit: &str) -> bool {
    let q = format!("\"{lit}\"");
    let Some(at) = line.find(&q) else {
        return false;
    };
    let before = line[..at].trim_end();
    let after = line[at + q.len()..].trim_start();
    before.ends_with("==")
        || before.ends_with("!=")
        || after.starts_with("==")
        || after.starts_with("!=")
        || after.starts_with("=>")
        || after.starts_with('|')
        || before.ends_with('|')
        || before.ends_with("contains(&")
        || before.ends_with("&[")
        || (before.ends_with('[') && after.starts_with(','))
        || before.ends_with("starts_with(")
        || (before.ends_with(',') && (after.starts_with(']') || after.starts_with(',')))
}

#[test]
fn no_target_name_is_compared_outside_its_own_file() {
    let names = target_names();
    assert!(
        names.iter().any(|(n, _)| n == "kconfig") && names.iter().any(|(n, _)| n == "terraform"),
        "registry not understood: {names:?}"
    );
    let root = src();
    let mut found = Vec::new();
    for f in rust_files(&root) {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "render/targets.rs" {
            continue; // the registry declares the names
        }
        let text = std::fs::read_to_string(&f).unwrap();
        // Tests may name targets (they say which one they exercise).
        let code = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => &text[..at],
            None => &text[..],
        };
        for (i, line) in code.lines().enumerate() {
            // Path components (`deploy/terraform/`) share names with targets.
            if line.contains("as_os_str()") {
                continue;
            }
            for (name, own) in &names {
                if &rel != own && compares(line, name) {
                    found.push(format!("src/{rel}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "target names compared outside the target's own file (declare the need through the Target trait):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_name_check_sees_comparisons() {
    assert!(compares(
        r#"    let k = targets.iter().any(|t| t.name() == "kconfig");"#,
        "kconfig"
    ));
    assert!(compares(
        r#"        return has(&["tfvars", "terraform"]);"#,
        "terraform"
    ));
    assert!(compares(r#"            "compose" => 1,"#, "compose"));
    assert!(compares(r#"    if names.contains(&"k8s") {"#, "k8s"));
    assert!(!compares(r#"            name: "compose","#, "compose"));
    assert!(!compares(r#"    target: "kconfig".into(),"#, "kconfig"));
}
