//! `devgen completions <shell>` and `devgen man`: the scripts load in bash and
//! complete devgen's commands; the man page renders with groff without warnings.
use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{devgen, stderr, stdout};

fn generate(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let o = devgen(dir.path(), args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

fn bash() -> Option<PathBuf> {
    ["/bin/bash", "/usr/bin/bash"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Run `script` in a non-interactive bash after sourcing the completion file.
fn bash_with(file: &Path, script: &str) -> String {
    let o = Command::new(bash().expect("bash"))
        .arg("-c")
        .arg(format!("source {}\n{script}", file.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// What the bash completion offers for the command line `words` (last word = cursor).
fn complete_bash(file: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let script = format!(
        "COMP_WORDS=({}); COMP_CWORD={cword}; COMP_LINE='{}'; COMP_POINT=${{#COMP_LINE}}\n\
         _devgen devgen '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words.join(" "),
        words[cword],
        if cword > 0 { words[cword - 1] } else { "" },
    );
    bash_with(file, &script)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_loads_and_completes() {
    if bash().is_none() {
        eprintln!("SKIP: no bash");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("devgen.bash");
    std::fs::write(&file, generate(&["completions", "bash"])).unwrap();

    let o = Command::new(bash().unwrap())
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    let spec = bash_with(&file, "complete -p devgen");
    assert!(spec.trim_end().ends_with("-F _devgen devgen"), "{spec}");

    assert_eq!(complete_bash(&file, &["devgen", "ren"]), ["render"]);
    let subcommands = complete_bash(&file, &["devgen", ""]);
    for c in [
        "render",
        "check",
        "show",
        "explain",
        "diff",
        "catalogue",
        "completions",
        "man",
    ] {
        assert!(subcommands.iter().any(|s| s == c), "{c} in {subcommands:?}");
    }
    assert_eq!(
        complete_bash(&file, &["devgen", "render", "--tar"]),
        ["--target"]
    );
    let shells = complete_bash(&file, &["devgen", "completions", ""]);
    for s in ["bash", "zsh", "fish", "powershell"] {
        assert!(shells.iter().any(|x| x == s), "{s} in {shells:?}");
    }
}

#[test]
fn other_shells_get_their_own_scripts() {
    let zsh = generate(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef devgen"), "{}", &zsh[..40]);
    assert!(
        zsh.contains("'render:Render artefacts"),
        "zsh lists subcommands"
    );
    let fish = generate(&["completions", "fish"]);
    assert!(fish.contains("complete -c devgen"), "fish");
    assert!(fish.contains("-a \"render\""), "fish lists subcommands");
    let ps = generate(&["completions", "powershell"]);
    assert!(ps.contains("Register-ArgumentCompleter -Native -CommandName 'devgen'"));
    assert!(ps.contains("'render'"));

    let dir = tempfile::tempdir().unwrap();
    let o = devgen(dir.path(), &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "unknown shell is a usage error");
}

#[test]
fn man_page_renders_without_warnings() {
    let page = generate(&["man"]);
    assert!(page.contains(".TH devgen 1"), "{}", &page[..200]);
    assert!(page.is_ascii(), "non-ASCII characters are roff escapes");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
    ] {
        assert!(page.contains(section), "{section}");
    }
    let Some(groff) = ["/usr/bin/groff", "/bin/groff"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
    else {
        eprintln!("SKIP: groff not found (apt-get install groff-base)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("devgen.1");
    std::fs::write(&file, &page).unwrap();
    let o = Command::new(&groff)
        .args(["-man", "-Tutf8", "-ww"])
        .arg(&file)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let warnings = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && warnings.is_empty(),
        "groff: {warnings}"
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("devgen-render(1)") || text.contains("render"),
        "{text}"
    );
    assert!(
        text.contains("One declarative config → Compose env"),
        "{text}"
    );
}
