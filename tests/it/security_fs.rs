//! Security and data safety of devgen's file handling (issue #14: items 1,
//! 5, 6, 7, 8, 11, 12, 14, 15, 16), each driven through the binary on a
//! project made by `devgen init` (not the shipped example). SECURITY.md
//! maps every promise to its test here.
#![cfg(unix)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{devgen, devgen_bin, stderr};

/// What a hostile link points at: must never reach any output.
const CANARY: &str = "CANARY-4c1d-never-print-me";

/// A fresh project (`devgen init`), rendered.
fn project() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("proj");
    let o = Command::new(devgen_bin())
        .args(["init"])
        .arg(&p)
        .env("NO_COLOR", "1")
        .env("DEVGEN_OFFLINE", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "init: {}", stderr(&o));
    (d, p)
}

/// A file outside the project holding the canary.
fn canary_file(d: &Path) -> PathBuf {
    let f = d.join("outside-secret.txt");
    std::fs::write(&f, format!("{CANARY}\nvariable \"x\" {{ {CANARY} \n")).unwrap();
    f
}

/// stdout and stderr together.
fn all_output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Run devgen, killing it (and failing) if it runs longer than `limit`.
fn devgen_within(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(devgen_bin())
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("DEVGEN_OFFLINE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("devgen {args:?} hung (more than {limit:?})");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn mkfifo(p: &Path) {
    let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
    assert!(ok, "mkfifo");
}

/// Every file under `dir` with its bytes (links and specials by kind).
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let bytes = if e.file_type().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                b"<not a file>".to_vec()
            };
            (rel, bytes)
        })
        .collect();
    v.sort();
    v
}

/// Names of render leftovers anywhere under `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".devgen-") && (n.ends_with(".tmp") || n.ends_with(".old")))
        .collect()
}

// ---- item 1: symbolic links and special files -------------------------

/// A generated file replaced by a link to a secret outside: `check`
/// reports the link at its path (exit 1) and never prints what it points at.
#[test]
fn check_refuses_a_symlinked_generated_file_without_reading_it() {
    let (d, p) = project();
    let secret = canary_file(d.path());
    let env = p.join("deploy/compose/dev.env");
    std::fs::remove_file(&env).unwrap();
    std::os::unix::fs::symlink(&secret, &env).unwrap();
    for format in ["text", "json"] {
        let o = devgen(&p, &["check", "--format", format]);
        let out = all_output(&o);
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(out.contains("deploy/compose/dev.env"), "{out}");
        assert!(out.contains("symbolic link"), "{out}");
        assert!(
            !out.contains(CANARY),
            "the link's target was printed: {out}"
        );
    }
    // render refuses it too (exit 1), and writes nothing through it.
    let o = devgen(&p, &["render"]);
    assert_eq!(o.status.code(), Some(1), "{}", all_output(&o));
    assert!(stderr(&o).contains("deploy/compose/dev.env"));
    assert!(
        std::fs::read_to_string(&secret)
            .unwrap()
            .starts_with(CANARY)
    );
}

/// `variables.tf` as a link (the HCL error path printed its content) and a
/// linked directory in `deploy/`.
#[test]
fn check_never_reads_through_linked_terraform_parts_or_directories() {
    let (d, p) = project();
    let secret = canary_file(d.path());
    let vars = p.join("deploy/terraform/aws/variables.tf");
    std::fs::remove_file(&vars).unwrap();
    std::os::unix::fs::symlink(&secret, &vars).unwrap();
    let o = devgen(&p, &["check"]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("deploy/terraform/aws/variables.tf"), "{out}");
    assert!(!out.contains(CANARY), "{out}");

    // A directory of generated files swapped for a link to a copy outside
    // that holds the canary.
    let (d, p) = project();
    let outside = d.path().join("elsewhere");
    common::copy_dir(&p.join("deploy/compose"), &outside);
    std::fs::write(outside.join("dev.env"), format!("{CANARY}\n")).unwrap();
    std::fs::remove_dir_all(p.join("deploy/compose")).unwrap();
    std::os::unix::fs::symlink(&outside, p.join("deploy/compose")).unwrap();
    let o = devgen(&p, &["check"]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("deploy/compose"), "{out}");
    assert!(!out.contains(CANARY), "{out}");
    let o = devgen(&p, &["render"]);
    assert_eq!(o.status.code(), Some(1), "{}", all_output(&o));
    assert_eq!(
        std::fs::read_to_string(outside.join("dev.env")).unwrap(),
        format!("{CANARY}\n")
    );
}

/// A FIFO where a generated file goes, and a link to `/dev/zero`: no hang,
/// no endless read; each reported at its path (exit 1).
#[test]
fn fifos_and_devices_are_refused_quickly() {
    let (_d, p) = project();
    let env = p.join("deploy/compose/dev.env");
    std::fs::remove_file(&env).unwrap();
    mkfifo(&env);
    let zero = p.join("deploy/compose/prod.env");
    std::fs::remove_file(&zero).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    for args in [&["check"][..], &["render"], &["render", "--dry-run"]] {
        let o = devgen_within(&p, args, Duration::from_secs(120));
        let out = all_output(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {out}");
        assert!(
            out.contains("deploy/compose/dev.env") || out.contains("deploy/compose/prod.env"),
            "{out}"
        );
    }
    // A FIFO as a config file and as a user template.
    let (_d, p) = project();
    mkfifo(&p.join("config/common/zz.yaml"));
    let o = devgen_within(&p, &["check"], Duration::from_secs(120));
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("config/common/zz.yaml"), "{out}");
    assert!(out.contains("FIFO"), "{out}");
}

/// A config file that is a link to a file outside: refused at its path,
/// its target's content never shown (not even in a YAML error snippet).
#[test]
fn config_files_are_never_read_through_links() {
    let (d, p) = project();
    let secret = canary_file(d.path());
    std::os::unix::fs::symlink(&secret, p.join("config/common/zz.yaml")).unwrap();
    for args in [&["check"][..], &["render"], &["show", "--profile", "dev"]] {
        let o = devgen(&p, args);
        let out = all_output(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {out}");
        assert!(out.contains("config/common/zz.yaml"), "{out}");
        assert!(!out.contains(CANARY), "{out}");
    }
}

// ---- item 5: one render at a time -------------------------------------

/// While another process holds the project lock, `render` waits briefly,
/// then fails with exit 2 and says why; nothing is written.
#[test]
fn a_second_render_waits_then_fails_with_exit_2() {
    let (_d, p) = project();
    let before = tree(&p.join("deploy"));
    let held = std::fs::File::open(&p).unwrap();
    held.lock().unwrap();
    let start = Instant::now();
    let o = Command::new(devgen_bin())
        .arg("-C")
        .arg(&p)
        .args(["render", "--set", "env.LOCK_TEST=1"])
        .env("DEVGEN_LOCK_WAIT", "0.5")
        .env("DEVGEN_OFFLINE", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", all_output(&o));
    assert!(stderr(&o).contains("another devgen"), "{}", stderr(&o));
    assert!(start.elapsed() >= Duration::from_millis(500));
    assert_eq!(tree(&p.join("deploy")), before);
    drop(held);
    let o = devgen(&p, &["render", "--set", "env.LOCK_TEST=1"]);
    assert!(o.status.success(), "{}", all_output(&o));
}

/// Renders of different configs at the same time: afterwards the tree is
/// wholly one render's output (every file agrees on the value), with no
/// staging file left.
#[test]
fn concurrent_renders_leave_one_renders_output() {
    let (_d, p) = project();
    for round in 0..3 {
        let children: Vec<_> = (0..4)
            .map(|i| {
                Command::new(devgen_bin())
                    .arg("-C")
                    .arg(&p)
                    .args(["render", "--target", "k8s", "--target", "compose"])
                    .args(["--set", &format!("env.RACE=r{round}v{i}")])
                    .env("DEVGEN_LOCK_WAIT", "300")
                    .env("DEVGEN_OFFLINE", "1")
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (rel, bytes) in tree(&p.join("deploy")) {
            let text = String::from_utf8_lossy(&bytes);
            for v in 0..4 {
                if text.contains(&format!("r{round}v{v}")) {
                    seen.insert((v, rel.clone()));
                }
            }
        }
        let values: std::collections::BTreeSet<_> = seen.iter().map(|(v, _)| *v).collect();
        assert_eq!(values.len(), 1, "round {round}: a mix of renders: {seen:?}");
        assert!(leftovers(&p).is_empty(), "{:?}", leftovers(&p));
    }
}

// ---- item 6: the rename phase is all or nothing -----------------------

/// A move into place that fails: every file already moved is moved back,
/// new directories go, the tree is byte for byte as before.
///
/// The failure is induced by the debug build's test hook
/// `DEVGEN_TEST_FAIL_RENAME` (no unprivileged way makes one rename of a
/// render fail deterministically; release builds have no hook).
#[test]
fn a_failed_rename_rolls_back_every_file() {
    let (_d, p) = project();
    // Many files change, and a whole directory is new.
    std::fs::remove_dir_all(p.join("deploy/kubernetes/overlays/dev")).unwrap();
    let before = tree(&p);
    let o = Command::new(devgen_bin())
        .arg("-C")
        .arg(&p)
        .args(["render", "--set", "env.ROLLBACK=yes"])
        .env("DEVGEN_TEST_FAIL_RENAME", "deploy/compose/staging.web.env")
        .env("DEVGEN_OFFLINE", "1")
        .output()
        .unwrap();
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("deploy/compose/staging.web.env"), "{out}");
    assert!(out.contains("the tree is as it was before"), "{out}");
    assert_eq!(tree(&p), before, "the tree changed");
    assert!(leftovers(&p).is_empty(), "{:?}", leftovers(&p));

    // The rollback of one file fails too: the message says exactly which
    // file is new and where its old version is.
    let o = Command::new(devgen_bin())
        .arg("-C")
        .arg(&p)
        .args(["render", "--set", "env.ROLLBACK=yes"])
        .env("DEVGEN_TEST_FAIL_RENAME", "deploy/compose/staging.web.env")
        .env("DEVGEN_TEST_FAIL_ROLLBACK", "deploy/compose/dev.web.env")
        .env("DEVGEN_OFFLINE", "1")
        .output()
        .unwrap();
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("NOT as before"), "{out}");
    assert!(
        out.contains("deploy/compose/dev.web.env is the new version"),
        "{out}"
    );
    assert!(out.contains(".dev.web.env.devgen-"), "{out}");
}

// ---- item 7: hand-written files are never overwritten ------------------

/// A file without devgen's header where a target writes: refused (exit 1)
/// naming it, left as it is; from a built-in target and from a custom one.
#[test]
fn render_never_overwrites_a_hand_written_file() {
    let (_d, p) = project();
    let env = p.join("deploy/compose/dev.env");
    std::fs::write(&env, "MY_OWN=1\n").unwrap();
    let o = devgen(&p, &["render"]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("refusing to overwrite deploy/compose/dev.env"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&env).unwrap(), "MY_OWN=1\n");

    // A custom target whose output path is the project's .gitignore.
    let (_d, p) = project();
    let dir = p.join("templates/custom/ignore");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("target.yaml"),
        "description: writes .gitignore\neach: once\nfiles:\n  - template: gi.j2\n    path: .gitignore\n",
    )
    .unwrap();
    std::fs::write(dir.join("gi.j2"), "/everything\n").unwrap();
    let before = std::fs::read(p.join(".gitignore")).unwrap();
    let o = devgen(&p, &["render"]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains(".gitignore"), "{out}");
    assert_eq!(std::fs::read(p.join(".gitignore")).unwrap(), before);
}

// ---- item 8: init never writes through a link --------------------------

#[test]
fn init_refuses_symlinked_paths_inside_dir() {
    let d = tempfile::tempdir().unwrap();
    let outside = d.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    // A directory of the skeleton is a link to elsewhere.
    let target = d.path().join("p1");
    std::fs::create_dir_all(&target).unwrap();
    std::os::unix::fs::symlink(&outside, target.join("config")).unwrap();
    let o = devgen(d.path(), &["init", "p1"]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("config"), "{out}");
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "wrote outside"
    );
    // A file of the skeleton is a (dangling) link to elsewhere, even with --force.
    let target = d.path().join("p2");
    std::fs::create_dir_all(&target).unwrap();
    let victim = outside.join("victim");
    std::os::unix::fs::symlink(&victim, target.join(".gitignore")).unwrap();
    for args in [&["init", "p2"][..], &["init", "p2", "--force"]] {
        let o = devgen(d.path(), args);
        let out = all_output(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {out}");
        assert!(out.contains(".gitignore"), "{out}");
        assert!(!victim.exists(), "wrote through the link");
    }
}

// ---- item 11: git-ignore answers equal git's ---------------------------

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("git")
}

/// `config/` as a submodule with an untracked `secrets.yaml`: git calls it
/// not ignored (the project's `.gitignore` does not reach into the
/// submodule), and so does `check`; once the submodule ignores it, both
/// call it ignored.
#[test]
fn secrets_in_a_config_submodule_are_judged_as_git_judges_them() {
    let (d, p) = project();
    // config/ becomes a repository of its own, added as a submodule.
    let cfg = d.path().join("cfg");
    common::copy_dir(&p.join("config"), &cfg);
    assert!(git(&cfg, &["init", "-q"]).status.success());
    git(&cfg, &["add", "-A"]);
    assert!(git(&cfg, &["commit", "-qm", "cfg"]).status.success());
    std::fs::remove_dir_all(p.join("config")).unwrap();
    assert!(git(&p, &["init", "-q"]).status.success());
    let o = git(
        &p,
        &["submodule", "add", "-q", cfg.to_str().unwrap(), "config"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    git(&p, &["add", "-A"]);
    assert!(git(&p, &["commit", "-qm", "p"]).status.success());
    let gi = std::fs::read_to_string(p.join(".gitignore")).unwrap();
    assert!(gi.contains("config/secrets.yaml"), "{gi}");
    std::fs::write(
        p.join("config/secrets.yaml"),
        "OPENAI_API_KEY: sk-test-123456\n",
    )
    .unwrap();

    // git: untracked in the submodule, not ignored.
    let status = git(&p.join("config"), &["status", "--porcelain", "--ignored"]);
    let status = String::from_utf8_lossy(&status.stdout).to_string();
    assert!(status.contains("?? secrets.yaml"), "{status}");
    let o = devgen(&p, &["check"]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("config/secrets.yaml is not git-ignored"),
        "{out}"
    );

    // The submodule ignores it: git says ignored, and check agrees.
    std::fs::write(p.join("config/.gitignore"), "/secrets.yaml\n").unwrap();
    let status = git(&p.join("config"), &["status", "--porcelain", "--ignored"]);
    let status = String::from_utf8_lossy(&status.stdout).to_string();
    assert!(status.contains("!! secrets.yaml"), "{status}");
    let o = devgen(&p, &["check"]);
    assert!(
        !all_output(&o).contains("not git-ignored"),
        "{}",
        all_output(&o)
    );
}

// ---- item 12: leftovers of killed renders ------------------------------

/// A killed render's stand-in directory and staging file (its process is
/// gone) are removed by the next `check` (which then is clean, not
/// "thousands of stale files") and by the next `render`.
#[test]
fn leftovers_of_a_killed_render_are_removed() {
    let (_d, p) = project();
    let plant = |p: &Path| {
        let stand_in = p.join("deploy/.kubernetes.devgen-999999999.tmp/base");
        std::fs::create_dir_all(&stand_in).unwrap();
        std::fs::write(
            stand_in.join("x.yaml"),
            "# Generated by devgen — do not edit\nkind: X\n",
        )
        .unwrap();
        std::fs::write(
            p.join("deploy/compose/.dev.env.devgen-999999999.tmp"),
            "# Generated by devgen\nHALF=",
        )
        .unwrap();
        std::fs::create_dir_all(p.join(".deploy.devgen-999999998.tmp/compose")).unwrap();
    };
    plant(&p);
    let o = devgen(&p, &["check"]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("left by a render that was killed"), "{out}");
    assert!(leftovers(&p).is_empty(), "{:?}", leftovers(&p));
    plant(&p);
    let o = devgen(&p, &["render", "--target", "compose"]);
    assert!(o.status.success(), "{}", all_output(&o));
    assert!(leftovers(&p).is_empty(), "{:?}", leftovers(&p));
}

/// A write that fails while staging (the file size limit of `ulimit -f`,
/// with SIGXFSZ ignored: each write past the limit fails with EFBIG as a
/// full disk fails with ENOSPC) leaves no staging file and no change.
#[test]
fn a_full_disk_while_staging_leaves_no_staging_files() {
    let (_d, p) = project();
    let before = tree(&p);
    let script = format!(
        "trap '' XFSZ; ulimit -f 4 && exec '{}' -C '{}' render --set env.BIG={}",
        devgen_bin().display(),
        p.display(),
        "x".repeat(3000)
    );
    let o = Command::new("sh")
        .args(["-c", &script])
        .env("DEVGEN_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("cannot write"), "{out}");
    assert!(leftovers(&p).is_empty(), "{:?}", leftovers(&p));
    assert_eq!(tree(&p), before);
}

// ---- item 14: config/secrets.yaml through the guarded loader -----------

#[test]
fn a_hostile_secrets_file_is_refused_quickly() {
    let (_d, p) = project();
    let deep = format!("a: {}\n", "[".repeat(80_000));
    std::fs::write(p.join("config/secrets.yaml"), deep).unwrap();
    let start = Instant::now();
    let o = devgen_within(&p, &["check"], Duration::from_secs(60));
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("config/secrets.yaml"), "{out}");
    assert!(out.contains("nests deeper than 64"), "{out}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    // A link as secrets.yaml is refused, never followed.
    let (d, p) = project();
    let secret = canary_file(d.path());
    std::os::unix::fs::symlink(&secret, p.join("config/secrets.yaml")).unwrap();
    let o = devgen(&p, &["check"]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("config/secrets.yaml"), "{out}");
    assert!(out.contains("symbolic link"), "{out}");
    assert!(!out.contains(CANARY), "{out}");
}

// ---- item 15: render --out never into an input -------------------------

#[test]
fn render_out_into_an_input_directory_is_refused() {
    let (_d, p) = project();
    let before = tree(&p);
    let outs = [
        p.join("config"),
        p.join("config/generated"),
        p.join("templates"),
        p.join("templates/x/y"),
        p.join(".git"),
        p.parent().unwrap().to_path_buf(),
        p.join("deploy/../config/z"),
    ];
    for out in outs {
        let o = devgen(&p, &["render", "--out", out.to_str().unwrap()]);
        let text = all_output(&o);
        assert_eq!(o.status.code(), Some(2), "--out {}: {text}", out.display());
        assert!(text.contains("refusing --out"), "{text}");
    }
    assert_eq!(tree(&p), before);
    // A directory of its own is fine.
    let o = devgen(&p, &["render", "--out", p.join("build").to_str().unwrap()]);
    assert!(o.status.success(), "{}", all_output(&o));
}

// ---- item 16: limits that plain files never hit -------------------------

/// A plain 2.6 MB config file loads; an alias bomb is refused naming the
/// limit it hit.
#[test]
fn a_large_plain_config_loads_and_limits_are_named() {
    let (_d, p) = project();
    // 2.6 MB of plain labels: more than 200,000 values (the old limit).
    let mut big = String::from("labels:\n");
    let mut n = 0;
    while big.len() < 2_600_000 {
        big.push_str(&format!("  l{n:06}: v\n"));
        n += 1;
    }
    std::fs::write(p.join("config/common/zz-big.yaml"), &big).unwrap();
    let o = devgen(&p, &["show", "--profile", "dev", "--path", "project"]);
    assert!(o.status.success(), "{}", all_output(&o));

    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let q = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{q}"); 10].join(", ")
        ));
    }
    std::fs::write(p.join("config/common/zz-big.yaml"), bomb).unwrap();
    let o = devgen(&p, &["show", "--profile", "dev"]);
    let out = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("limit of alias expansion"), "{out}");
}
