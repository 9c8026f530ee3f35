//! `devgen kdevops` and the kdevops layout, proven in kdevops' own tree.
//!
//! The conformance test copies the trimmed kdevops main tree of
//! `../shared/kdevops/` (found upwards from the repository, or at
//! `DEVGEN_KDEVOPS_FIXTURE`), runs `devgen kdevops` on the copy, then
//! kdevops' own `make defconfig-<name>` through the fixture's `dropin.sh`
//! for every defconfig of `defconfigs.txt`, and requires (see the README of
//! the fixture and `tests/kdevops/DIFFERENCES.md`):
//! (a) every defconfig exits 0 with no more unknown-symbol warnings and lost
//!     lines than `expected.tsv`;
//! (b) every row equals `expected.tsv`, except the rows of
//!     `tests/kdevops/accepted.tsv`, each justified in DIFFERENCES.md;
//! (c) the tfvars kdevops' gen_tfvars template renders equal the Kconfig answers.
//!
//! It needs make, gcc, flex, bison and a Python with PyYAML and jinja2
//! (`DEVGEN_VENV`'s, from `make venv`, else `python3`); under `CI=true` a
//! missing one fails the test.
use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{devgen_bin, repo_root, stderr, stdout};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Fail under CI, else skip with a message.
fn unavailable(what: &str) -> Option<PathBuf> {
    if in_ci() {
        panic!("kdevops conformance prerequisite missing under CI: {what}");
    }
    eprintln!("SKIP: {what}");
    None
}

/// `../shared/kdevops` (or `DEVGEN_KDEVOPS_FIXTURE`).
fn fixture() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DEVGEN_KDEVOPS_FIXTURE") {
        return Some(PathBuf::from(p));
    }
    let root = repo_root();
    root.ancestors()
        .map(|a| a.join("shared/kdevops"))
        .find(|p| p.join("dropin.sh").is_file())
        .or_else(|| {
            unavailable("the kdevops fixture ../shared/kdevops (or DEVGEN_KDEVOPS_FIXTURE)")
        })
}

/// A python3 with PyYAML and jinja2: the venv's first, then `python3`.
fn python_with_yaml_jinja() -> Option<PathBuf> {
    let venv = std::env::var_os("DEVGEN_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv"));
    for py in [venv.join("bin/python3"), PathBuf::from("python3")] {
        let ok = Command::new(&py)
            .args(["-c", "import yaml, jinja2"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    unavailable(
        "python3 with PyYAML and jinja2 (`make venv`, or apt-get install python3-yaml python3-jinja2)",
    )
}

fn programs_present() -> bool {
    for p in ["make", "gcc", "flex", "bison", "bash"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {p}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            unavailable(&format!(
                "`{p}` (make test installs it: apt-get install -y make gcc flex bison)"
            ));
            return false;
        }
    }
    true
}

/// Copy the fixture tree, writable.
fn copy_tree(src: &Path, dst: &Path) {
    for e in walkdir::WalkDir::new(src) {
        let e = e.expect("walk");
        let to = dst.join(e.path().strip_prefix(src).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
            let mut perm = std::fs::metadata(&to).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(&to, perm).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn kdevops(tree: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(devgen_bin())
        .arg("kdevops")
        .arg(tree)
        .args(extra)
        .env("NO_COLOR", "1")
        .env("DEVGEN_OFFLINE", "1")
        .output()
        .expect("run devgen")
}

/// The eight files `devgen kdevops` writes.
const WRITTEN: [&str; 8] = [
    "terraform/aws/kconfigs/Kconfig.location.generated",
    "terraform/aws/kconfigs/Kconfig.instance.generated",
    "terraform/gce/kconfigs/Kconfig.location.generated",
    "terraform/gce/kconfigs/Kconfig.machine.generated",
    "terraform/azure/kconfigs/Kconfig.location.generated",
    "terraform/azure/kconfigs/Kconfig.size.generated",
    "terraform/lambdalabs/kconfigs/Kconfig.location.generated",
    "terraform/lambdalabs/kconfigs/Kconfig.compute.generated",
];

/// TSV rows of dropin.sh output by defconfig name (header skipped).
fn rows(tsv: &str) -> BTreeMap<String, Vec<String>> {
    tsv.lines()
        .skip_while(|l| l.starts_with("defconfig\t"))
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<String> = l.split('\t').map(str::to_string).collect();
            (cols[0].clone(), cols)
        })
        .collect()
}

/// `N` of a lost_lines column (`0` or `N:SYM,…`).
fn lost(col: &str) -> usize {
    col.split(':').next().unwrap().parse().unwrap()
}

/// `KEY=value;…` as a map.
fn pairs(col: &str) -> BTreeMap<String, String> {
    col.split(';')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// (Kconfig symbol, tfvars key) pairs whose values must agree.
const SAME: &[(&str, &str)] = &[
    ("TERRAFORM_AWS_REGION", "aws_region"),
    ("TERRAFORM_AWS_AV_ZONE", "aws_availability_zone"),
    ("TERRAFORM_AWS_INSTANCE_TYPE", "aws_instance_type"),
    ("TERRAFORM_AWS_AMI_ARCH", "aws_ami_arch"),
    ("TERRAFORM_AWS_AMI_OWNER", "aws_ami_owner"),
    ("TERRAFORM_AWS_NS", "aws_name_search"),
    ("TERRAFORM_GCE_REGION", "gce_region"),
    ("TERRAFORM_GCE_ZONE", "gce_zone"),
    ("TERRAFORM_GCE_MACHINE_TYPE", "gce_machine_type"),
    ("TERRAFORM_GCE_IMAGE_TYPE", "gce_image_type"),
    ("TERRAFORM_AZURE_LOCATION", "azure_location"),
    ("TERRAFORM_AZURE_VM_SIZE", "azure_vmsize"),
    (
        "TERRAFORM_AZURE_RESOURCE_GROUP_NAME",
        "azure_resource_group_name",
    ),
    ("TERRAFORM_LAMBDALABS_REGION", "lambdalabs_region"),
    (
        "TERRAFORM_LAMBDALABS_INSTANCE_TYPE",
        "lambdalabs_instance_type",
    ),
];

/// Run dropin.sh on `tree` for the defconfigs in `list` (a file).
fn dropin(fixture: &Path, tree: &Path, list: &Path, python: &Path) -> String {
    let py_dir = python
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf);
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(d) = py_dir {
        let mut dirs = vec![d];
        dirs.extend(std::env::split_paths(&path));
        path = std::env::join_paths(dirs).unwrap();
    }
    let o = Command::new("bash")
        .arg(fixture.join("dropin.sh"))
        .arg(tree)
        .arg(list)
        .env("PATH", path)
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .output()
        .expect("run dropin.sh");
    assert!(
        o.status.success(),
        "dropin.sh failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn devgen_kdevops_is_a_drop_in_for_kdevops_main() {
    let Some(fixture) = fixture() else { return };
    if !programs_present() {
        return;
    }
    let Some(python) = python_with_yaml_jinja() else {
        return;
    };
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    // Two copies run half the defconfigs each, in parallel (kdevops'
    // conf is built in each; a defconfig takes ~2 s of one core).
    let names: Vec<String> = std::fs::read_to_string(fixture.join("defconfigs.txt"))
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect();
    assert!(names.len() >= 28, "{names:?}");
    let halves: Vec<Vec<String>> = vec![
        names.iter().step_by(2).cloned().collect(),
        names.iter().skip(1).step_by(2).cloned().collect(),
    ];
    let mut trees = Vec::new();
    for (i, half) in halves.iter().enumerate() {
        let tree = dir.path().join(format!("kdevops-{i}"));
        copy_tree(&fixture.join("tree"), &tree);
        let before = snapshot(&tree);
        let o = kdevops(&tree, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let after = snapshot(&tree);
        // Only the eight generated files were written.
        let mut changed: Vec<String> = after
            .iter()
            .filter(|(p, b)| before.get(*p) != Some(*b))
            .map(|(p, _)| p.display().to_string())
            .collect();
        changed.sort();
        let mut want: Vec<String> = WRITTEN.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(changed, want);
        assert!(before.keys().all(|p| after.contains_key(p)));
        // Idempotent and byte-reproducible.
        let again = kdevops(&tree, &[]);
        assert!(again.status.success());
        assert!(
            stdout(&again).contains("0 new, 0 updated; 8 unchanged"),
            "{}",
            stdout(&again)
        );
        assert_eq!(snapshot(&tree), after);
        let list = dir.path().join(format!("list-{i}.txt"));
        std::fs::write(&list, half.join("\n") + "\n").unwrap();
        trees.push((tree, list));
    }
    let outputs: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = trees
            .iter()
            .map(|(tree, list)| {
                let (fixture, python) = (&fixture, &python);
                s.spawn(move || dropin(fixture, tree, list, python))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let got: BTreeMap<String, Vec<String>> = outputs.iter().flat_map(|o| rows(o)).collect();
    let expected = rows(&std::fs::read_to_string(fixture.join("expected.tsv")).unwrap());
    let accepted =
        rows(&std::fs::read_to_string(repo_root().join("tests/kdevops/accepted.tsv")).unwrap());
    let why = std::fs::read_to_string(repo_root().join("tests/kdevops/DIFFERENCES.md")).unwrap();
    assert_eq!(got.len(), names.len(), "{got:?}");
    let mut problems = Vec::new();
    for name in &names {
        let g = &got[name];
        let e = &expected[name];
        // (a) exit 0, no more unknown symbols or lost lines than kdevops itself.
        if g[1] != "0" {
            problems.push(format!("{name}: make exited {}", g[1]));
        }
        if g[5].parse::<usize>().unwrap() > e[5].parse::<usize>().unwrap() {
            problems.push(format!("{name}: {} unknown symbols > {}", g[5], e[5]));
        }
        if lost(&g[6]) > lost(&e[6]) {
            problems.push(format!("{name}: lost lines {} > {}", g[6], e[6]));
        }
        // (b) the same answers as kdevops, or an accepted, justified difference.
        let want = match accepted.get(name) {
            Some(a) => {
                assert_ne!(a, e, "{name}: accepted.tsv repeats expected.tsv");
                assert!(
                    why.contains(&format!("`{name}`")),
                    "{name}: not justified in DIFFERENCES.md"
                );
                a
            }
            None => e,
        };
        if g != want {
            problems.push(format!(
                "{name}:\n  expected {}\n  got      {}",
                want.join("\t"),
                g.join("\t")
            ));
        }
        // (c) gen_tfvars' values equal the Kconfig answers.
        let (k, t) = (pairs(&g[3]), pairs(&g[4]));
        for (sym, key) in SAME {
            if let Some(v) = k.get(*sym) {
                if v == "<unset>" || v.is_empty() {
                    problems.push(format!("{name}: {sym} is {v:?}"));
                }
                if t.get(*key) != Some(v) {
                    problems.push(format!(
                        "{name}: Kconfig {sym}={v} but tfvars {key}={:?}",
                        t.get(*key)
                    ));
                }
            }
        }
        if g[4].contains("<UNDEFINED") || g[4].contains("<absent>") {
            problems.push(format!("{name}: tfvars {}", g[4]));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!(
        "kdevops conformance: {} defconfigs in {:.1} s",
        names.len(),
        started.elapsed().as_secs_f64()
    );
}

/// A minimal tree `devgen kdevops` accepts (no make needed).
fn fake_tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Kconfig"), "mainmenu \"x\"\n").unwrap();
    std::fs::create_dir_all(d.path().join("terraform")).unwrap();
    std::fs::write(d.path().join("terraform/Kconfig.providers"), "").unwrap();
    for p in ["aws", "gce", "azure", "lambdalabs"] {
        std::fs::create_dir_all(d.path().join("terraform").join(p).join("kconfigs")).unwrap();
    }
    d
}

#[test]
fn kdevops_writes_only_the_generated_files_and_refuses_non_trees() {
    let t = fake_tree();
    let o = kdevops(t.path(), &["--provider", "aws"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let files: Vec<PathBuf> = snapshot(t.path()).into_keys().collect();
    assert_eq!(
        files,
        [
            "Kconfig",
            "terraform/Kconfig.providers",
            "terraform/aws/kconfigs/Kconfig.instance.generated",
            "terraform/aws/kconfigs/Kconfig.location.generated",
        ]
        .map(PathBuf::from)
    );
    let loc = std::fs::read_to_string(
        t.path()
            .join("terraform/aws/kconfigs/Kconfig.location.generated"),
    )
    .unwrap();
    assert!(loc.starts_with("# Generated by devgen"));
    assert!(loc.contains("\tstring\n\toutput yaml\n"));

    // Not a kdevops tree: exit 2, nothing written.
    let empty = tempfile::tempdir().unwrap();
    let o = kdevops(empty.path(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is not a kdevops tree"),
        "{}",
        stderr(&o)
    );
    assert!(snapshot(empty.path()).is_empty());
    let o = kdevops(t.path(), &["--provider", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    // The tree itself through a symlink: refused.
    #[cfg(unix)]
    {
        let link = empty.path().join("link");
        std::os::unix::fs::symlink(t.path(), &link).unwrap();
        let o = kdevops(&link, &["--provider", "gcp"]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
        assert!(
            !t.path()
                .join("terraform/gce/kconfigs/Kconfig.location.generated")
                .exists()
        );
    }
}

/// A failure leaves every file as it was: nothing truncated, nothing half new.
#[test]
fn kdevops_is_all_or_nothing() {
    let t = fake_tree();
    let old = t
        .path()
        .join("terraform/aws/kconfigs/Kconfig.instance.generated");
    std::fs::write(&old, "OLD\n").unwrap();
    // A symlink where a file goes: refused, and nothing else changes.
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("victim");
    std::fs::write(&target, "victim\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        &target,
        t.path()
            .join("terraform/lambdalabs/kconfigs/Kconfig.compute.generated"),
    )
    .unwrap();
    let before = snapshot(t.path());
    let o = kdevops(t.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "OLD\n");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "victim\n");
    assert_eq!(snapshot(t.path()), before);
    assert!(stdout(&o).is_empty());
}

/// `kconfig: {layout: kdevops}` renders the same kind of files at kdevops'
/// paths, for the clouds in `clouds:` only (no lambdalabs in the example),
/// with defaults from the profile (the configured region).
#[test]
fn kdevops_layout_in_config_renders_clouds_only() {
    let p = common::example_copy();
    let out = tempfile::tempdir().unwrap();
    let o = common::devgen(
        p.path(),
        &[
            "render",
            "--target",
            "kconfig",
            "--set",
            "kconfig.layout=kdevops",
            "--out",
            out.path().to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let files: Vec<String> = snapshot(out.path())
        .into_keys()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        files,
        [
            "terraform/aws/kconfigs/Kconfig.instance.generated",
            "terraform/aws/kconfigs/Kconfig.location.generated",
            "terraform/azure/kconfigs/Kconfig.location.generated",
            "terraform/azure/kconfigs/Kconfig.size.generated",
            "terraform/gce/kconfigs/Kconfig.location.generated",
            "terraform/gce/kconfigs/Kconfig.machine.generated",
        ]
    );
    let aws = std::fs::read_to_string(
        out.path()
            .join("terraform/aws/kconfigs/Kconfig.location.generated"),
    )
    .unwrap();
    assert!(aws.contains("\tdefault TERRAFORM_AWS_REGION_US_EAST_1\n"));
    let az = std::fs::read_to_string(
        out.path()
            .join("terraform/azure/kconfigs/Kconfig.location.generated"),
    )
    .unwrap();
    assert!(
        az.contains("\tdefault TERRAFORM_AZURE_REGION_EASTUS\n"),
        "{az}"
    );
}

/// `--format value --field F` prints one bare line; failure: non-zero exit,
/// empty stdout.
#[test]
fn catalogue_select_prints_bare_values() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| common::devgen(dir.path(), args);
    let o = run(&[
        "catalogue",
        "select",
        "--gpu",
        "h100",
        "--count",
        "8",
        "--provider",
        "lambdalabs",
        "--format",
        "value",
        "--field",
        "instance_type",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "gpu_8x_h100_sxm5\n");
    let o = run(&[
        "catalogue",
        "select",
        "--gpu",
        "a10g",
        "--provider",
        "aws",
        "--region",
        "us-east-1",
        "--format",
        "value",
        "--field",
        "region",
    ]);
    assert_eq!(stdout(&o), "us-east-1\n");
    let o = run(&[
        "catalogue",
        "select",
        "--gpu",
        "h100",
        "--provider",
        "lambdalabs",
        "--format",
        "value",
        "--field",
        "price_hourly_usd",
    ]);
    let price: f64 = stdout(&o).trim().parse().unwrap();
    assert!(price > 0.0 && stdout(&o).lines().count() == 1);
    for bad in [
        &[
            "catalogue",
            "select",
            "--gpu",
            "nope",
            "--format",
            "value",
            "--field",
            "region",
        ][..],
        &[
            "catalogue",
            "select",
            "--gpu",
            "h100",
            "--count",
            "64",
            "--format",
            "value",
            "--field",
            "region",
        ],
        &["catalogue", "select", "--gpu", "h100", "--format", "value"],
    ] {
        let o = run(bad);
        assert_ne!(o.status.code(), Some(0), "{bad:?}");
        assert!(o.stdout.is_empty(), "{bad:?}: {}", stdout(&o));
    }
}
