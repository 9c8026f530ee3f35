//! Robustness: property tests of load/merge/patch/validate/emit, and crash safety of the writer.
use crate::common;

use proptest::prelude::*;
use serde_json::Value;

use devgen::load::load_str;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|i| Value::from(i as i64)),
        "[a-z$#{}\"' \\\\\n\u{e9}🚀:-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-e]{1,2}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A whole top-level entry of a YAML map (so that runs of them are valid
/// documents, but for repeated keys and aliases to anchors not yet seen).
fn yaml_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-f]: [a-z0-9.]{1,4}\n",
        "[a-f]:\n  [a-d]: [0-9]\n  [e-h]: 'x y'\n",
        "[a-f]:\n  - [a-z]\n  - \\{[a-c]: [0-9]\\}\n",
        "[a-f]: &[ab] \\{[a-d]: 1, [e-h]: \\[2, 3\\]\\}\n",
        "[a-f]: \\*[ab]\n",
        "[a-f]:\n  <<: \\*[ab]\n  [a-d]: 9\n",
        "[a-f]: !!str [0-9]{1,3}\n",
        "[a-f]: \\|\n  [a-z ]{0,6}\n",
        "[a-f]: \"[a-z$\\\\\\{\\}#]{0,6}\"\n",
    ]
}

/// A YAML document made of whole entries, or of fragments in any order.
fn yaml_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(yaml_line(), 0..12).prop_map(|v| v.concat()),
        prop::collection::vec(yaml_fragment(), 0..40).prop_map(|v| v.concat()),
    ]
}

/// A piece of YAML-like text.
fn yaml_fragment() -> impl Strategy<Value = String> {
    const FIXED: &[&str] = &[
        "\n", "  ", "- ", ": ", "? ", "&a ", "*a", "<<: *a\n", "!!str ", "!!int ", "!t ", "{", "}",
        "[", "]", ", ", "|\n", ">-\n", "---\n", "# c\n", "\t", "\u{feff}", "\0", "~", "3.0",
        "1e400", ".inf",
    ];
    // Weighted as if each fixed piece were its own choice.
    prop_oneof![
        27 => prop::sample::select(FIXED).prop_map(str::to_string),
        1 => "[a-z]{1,3}",
        1 => yaml_line(),
        1 => "'[a-z$ ]{0,3}'",
        1 => "\"[a-z\\\\n$]{0,3}\"",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Our merge (with provenance) agrees with json-patch's RFC 7396 `merge`.
    #[test]
    fn merge_patch_matches_the_reference(target in json_value(), patch in json_value()) {
        let mut ours = target.clone();
        devgen::merge::merge_patch(&mut ours, &patch);
        let mut reference = target;
        json_patch::merge(&mut reference, &patch);
        prop_assert_eq!(ours, reference);
    }

    /// The loader never panics, whatever the text.
    #[test]
    fn load_never_panics(text in "\\PC{0,200}") {
        let _ = load_str(&text, "x.yaml".into());
    }

    /// YAML-shaped text (indentation, anchors, aliases, tags, flow and block
    /// collections, block scalars, documents, BOMs, NULs): the loader never
    /// panics; a value it accepts survives our emitter and loader unchanged;
    /// an error it reports points at a line of the text.
    #[test]
    fn yaml_shaped_text_loads_or_fails_at_a_line(text in yaml_text()) {
        match load_str(&text, "x.yaml".into()) {
            Ok(f) => {
                let again = devgen::emit::to_yaml(&f.value, &devgen::path::ConfigPath::root(), &|_| None);
                let back = load_str(&again, "y.yaml".into());
                prop_assert!(back.is_ok(), "{:?} re-emitted as {:?}: {:?}", text, again, back.err());
                prop_assert_eq!(back.unwrap().value, f.value);
            }
            Err(d) => {
                if let Some(span) = &d.span {
                    let lines = text.split('\n').count() as u32;
                    prop_assert!(span.line >= 1 && span.line <= lines + 1, "{:?}: line {} of {}", text, span.line, lines);
                }
            }
        }
    }

    /// `show`'s YAML emitter round-trips through a YAML parser and our loader.
    #[test]
    fn emitter_round_trips(v in json_value()) {
        let text = devgen::emit::to_yaml(&v, &devgen::path::ConfigPath::root(), &|_| Some("c".into()));
        let back: Value = serde_yaml::from_str(&text).unwrap();
        prop_assert_eq!(&back, &v);
        let ours = load_str(&text, "x.yaml".into()).unwrap().value;
        prop_assert_eq!(ours, v);
    }
}

/// An output directory that cannot be written (a file stands where a
/// directory must go; root ignores permission bits, so this fails for anyone):
/// a clean I/O error, exit 2, and nothing written anywhere.
#[test]
fn unwritable_output_directory_is_a_clean_error() {
    let d = common::example_copy();
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("deploy"), "a file, not a directory").unwrap();
    let o = common::devgen(d.path(), &["render", "--out", out.to_str().unwrap()]);
    if common::stdout(&o).contains("0 files") {
        return; // no target writes under deploy/ in this build
    }
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot") && err.contains("nothing was written"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    let files: Vec<_> = walkdir::WalkDir::new(&out)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .collect();
    assert_eq!(files.len(), 1, "only the blocking file remains");
}

#[cfg(unix)]
#[test]
fn symlinked_output_directory_is_refused() {
    let d = common::example_copy();
    let elsewhere = tempfile::tempdir().unwrap();
    let deploy = d.path().join("deploy");
    let _ = std::fs::remove_dir_all(&deploy);
    std::os::unix::fs::symlink(elsewhere.path(), &deploy).unwrap();
    let o = common::devgen(d.path(), &["render"]);
    let err = common::stderr(&o);
    if o.status.code() == Some(0) && common::stdout(&o).contains("0 files") {
        return; // no target writes under deploy/ in this build
    }
    // A link where devgen writes is a problem of the project at its path
    // (issue #14: exit 1), not an I/O failure.
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("outside") || err.contains("symbolic link"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(elsewhere.path())
            .unwrap()
            .next()
            .is_none(),
        "nothing written outside"
    );
}

/// Kill `render` at many points: every output file is wholly old or wholly new.
#[cfg(unix)]
#[test]
fn killed_render_leaves_each_file_old_or_new() {
    use std::collections::BTreeMap;
    use std::time::Duration;
    let d = common::example_copy();
    let out = d.path().join("out");
    let render = |dir: &std::path::Path| {
        common::devgen(d.path(), &["render", "--out", dir.to_str().unwrap()])
    };
    let snapshot = |dir: &std::path::Path| -> BTreeMap<String, Vec<u8>> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect()
    };
    // Old version.
    assert_eq!(render(&out).status.code(), Some(0));
    let old = snapshot(&out);
    if old.is_empty() {
        return; // no targets in this build yet
    }
    // New version: change a value every target renders.
    let p = d.path().join("config/common/env.yaml");
    let s = std::fs::read_to_string(&p)
        .unwrap()
        .replace("TZ: UTC", "TZ: Europe/Berlin");
    std::fs::write(&p, s).unwrap();
    let fresh = d.path().join("fresh");
    assert_eq!(render(&fresh).status.code(), Some(0));
    let new = snapshot(&fresh);
    assert_ne!(old, new);
    for i in 0..40u64 {
        // Reset to the old version, then kill a render of the new one after a growing delay.
        let _ = std::fs::remove_dir_all(&out);
        common::copy_dir(&fresh, &out);
        for (k, v) in &old {
            std::fs::write(out.join(k), v).unwrap();
        }
        let mut child = std::process::Command::new(common::devgen_bin())
            .args([
                "-C",
                d.path().to_str().unwrap(),
                "render",
                "--out",
                out.to_str().unwrap(),
            ])
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(i * i * 40));
        let _ = child.kill();
        let _ = child.wait();
        for (k, v) in snapshot(&out) {
            if k.ends_with(".tmp") {
                continue; // a killed render's staging file; the next render removes it
            }
            let ok = old.get(&k) == Some(&v) || new.get(&k) == Some(&v);
            assert!(
                ok,
                "iteration {i}: {k} is neither the old nor the new version"
            );
        }
    }
    // The next render completes and leaves no staging files.
    assert_eq!(render(&out).status.code(), Some(0));
    assert!(snapshot(&out).keys().all(|k| !k.ends_with(".tmp")));
}

/// A JSON Pointer built from pieces that hit real config paths, the list
/// append token, escapes, indices and nonsense.
fn pointer() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("services".to_string()),
        Just("web".to_string()),
        Just("env".to_string()),
        Just("ports".to_string()),
        Just("resources".to_string()),
        Just("gpu".to_string()),
        Just("project".to_string()),
        Just("name".to_string()),
        Just("labels".to_string()),
        Just("-".to_string()),
        Just("0".to_string()),
        Just("~1x~0".to_string()),
        "[a-z~/]{0,3}",
    ];
    prop::collection::vec(piece, 0..5)
        .prop_map(|v| v.iter().map(|p| format!("/{p}")).collect::<String>())
}

/// One RFC 6902 operation, valid or not.
fn patch_op() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("add"),
            Just("remove"),
            Just("replace"),
            Just("move"),
            Just("copy"),
            Just("test"),
            Just("frobnicate")
        ],
        pointer(),
        pointer(),
        json_value(),
        any::<u8>(),
    )
        .prop_map(|(op, path, from, value, shape)| {
            let mut m = serde_json::Map::new();
            if shape % 7 != 0 {
                m.insert("op".into(), Value::from(op));
            }
            if shape % 5 != 0 {
                m.insert("path".into(), Value::from(path));
            }
            if op == "move" || op == "copy" || shape % 3 == 0 {
                m.insert("from".into(), Value::from(from));
            }
            if shape % 2 == 0 {
                m.insert("value".into(), value);
            }
            Value::Object(m)
        })
}

/// A profile document: config-shaped keys with arbitrary values, `patches:`.
fn profile_doc() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("project"),
        Just("services"),
        Just("env"),
        Just("labels"),
        Just("image"),
        Just("clouds"),
        Just("cloud"),
        Just("network"),
        Just("extends"),
        Just("secrets"),
    ];
    (
        prop_oneof![
            2 => Just(std::collections::BTreeMap::new()),
            1 => prop::collection::btree_map(key, json_value(), 0..3),
        ],
        prop::collection::vec(patch_op(), 0..3),
        prop::option::of(json_value()),
    )
        .prop_map(|(m, patches, web)| {
            let mut doc: serde_json::Map<String, Value> =
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            if let Some(w) = web {
                doc.insert("services".into(), serde_json::json!({ "web": w }));
            }
            if !patches.is_empty() {
                doc.insert("patches".into(), Value::Array(patches));
            }
            Value::Object(doc)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Load + merge (RFC 7396) + patch (RFC 6902) + `--set` + validate + model
    /// never panic on a valid common config overlaid by an arbitrary profile:
    /// the result is a model or diagnostics, and every diagnostic has a message.
    #[test]
    fn load_merge_patch_never_panics(doc in profile_doc(), set in "[a-z.]{1,12}=[a-z0-9{}\\[\\], ]{0,6}") {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("config/common")).unwrap();
        std::fs::create_dir_all(root.join("config/profiles")).unwrap();
        std::fs::write(
            root.join("config/common/project.yaml"),
            "project:\n  name: demo\nimage:\n  name: app\nservices:\n  web:\n    image:\n      name: web\n    ports:\n      http: 8080\n    env:\n      A: \"1\"\n",
        )
        .unwrap();
        let text = devgen::emit::to_yaml(&doc, &devgen::path::ConfigPath::root(), &|_| None);
        std::fs::write(root.join("config/profiles/p.yaml"), text).unwrap();
        let sets: Vec<_> = devgen::merge::SetArg::parse(&set).into_iter().collect();
        let outcome = devgen::project::Project::load(root)
            .and_then(|project| devgen::pipeline::resolve(&project, "p", &sets));
        match outcome {
            Ok(r) => prop_assert_eq!(r.model.profile.as_str(), "p"),
            Err(ds) => {
                prop_assert!(!ds.is_empty());
                prop_assert!(ds.iter().all(|d| !d.message.is_empty()));
            }
        }
    }
}

/// `3.0` is an integer to the schema; it must mean 3 everywhere, not be
/// dropped (it once fell back to the default replicas and lost the port).
#[test]
fn integers_written_as_floats_render_like_integers() {
    let d = common::example_copy();
    let o = common::devgen(d.path(), &["render"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let edit = |rel: &str, from: &str, to: &str| {
        let p = d.path().join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{rel} has no {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    };
    edit("config/profiles/prod.yaml", "replicas: 3", "replicas: 3.0");
    edit("config/common/ports.yaml", "http: 8888", "http: 8888.0");
    let o = common::devgen(d.path(), &["check"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the files rendered from 3 and 8888 drifted:\n{}{}",
        common::stdout(&o),
        common::stderr(&o)
    );
}

/// Counts Kubernetes keeps in an int32 are refused above it, at their line,
/// instead of being rendered as something else.
#[test]
fn counts_beyond_int32_are_refused_at_their_line() {
    for value in ["2147483648", "99999999999999999999999", "1e30"] {
        let d = common::example_copy();
        let p = d.path().join("config/profiles/prod.yaml");
        let text = std::fs::read_to_string(&p).unwrap();
        let line = text
            .lines()
            .position(|l| l.trim() == "replicas: 3")
            .expect("prod.yaml sets replicas: 3")
            + 1;
        std::fs::write(
            &p,
            text.replacen("replicas: 3", &format!("replicas: {value}"), 1),
        )
        .unwrap();
        let o = common::devgen(d.path(), &["render", "--profile", "prod"]);
        let err = common::stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{value}: {err}");
        assert!(
            err.contains("is greater than the maximum of 2147483647")
                && err.contains(&format!("config/profiles/prod.yaml:{line}:")),
            "{value}: {err}"
        );
    }
}
