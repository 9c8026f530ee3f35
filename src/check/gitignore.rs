//! Whether `check` certainly has nothing to say about `config/secrets.yaml`
//! being git-ignored, told without running `git` in the usual cases (a `git`
//! process costs 1–2 ms here).
//!
//! The answer is only ever "certainly fine" or "ask git". It is "certainly
//! fine" when no `GIT_*` variable (other than [`HARMLESS_GIT_VARIABLES`]) is
//! set and either the project is in no repository (no `.git` at the root or
//! above it, and no bare repository), or git certainly ignores the file:
//!
//! - the project's own `.gitignore` (a regular file) has the line
//!   `/config/secrets.yaml` or `config/secrets.yaml` and no negation (`!…`)
//!   line, and there is no `config/.gitignore`: patterns of a directory's
//!   `.gitignore` override those of its parents', of `.git/info/exclude` and
//!   of `core.excludesFile`, so nothing else can re-include the file;
//! - a `.git` (directory, or file naming one) is found at the project root
//!   or above it, with no bare repository in between, a plain
//!   configuration (no `core.worktree`, `core.bare`, `core.ignoreCase`,
//!   `include`s, SHA-256 objects), and an index (version 2 or 3, not split,
//!   not sparse) without `config/secrets.yaml`: git does not apply ignore
//!   rules to a tracked file, so a tracked one is "not ignored".
//!
//! - `config/` is a real directory of the project and not a repository of
//!   its own (no `config/.git`: a submodule or nested clone answers for
//!   itself, whatever the project's `.gitignore` says).
//!
//! Anything else, or anything unexpected on the way, is "ask git" (asked
//! from `config/`, so git answers for the repository holding the file).
use std::path::{Path, PathBuf};

/// `GIT_*` variables (prefixes) that do not change how git finds a
/// repository, reads its configuration and index, or matches ignore rules.
const HARMLESS_GIT_VARIABLES: &[&str] = &[
    "GIT_SSL_",
    "GIT_SSH",
    "GIT_HTTP_",
    "GIT_CURL_",
    "GIT_PROXY_",
    "GIT_ASKPASS",
    "GIT_TERMINAL_PROMPT",
    "GIT_AUTHOR_",
    "GIT_COMMITTER_",
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
    "GIT_PAGER",
    "GIT_TRACE",
    "GIT_MERGE_",
    "GIT_PROGRESS_DELAY",
    "GIT_FLUSH",
];

/// Whether the project at `root` is in no git repository, or git certainly
/// ignores its `config/secrets.yaml` and does not track it (see the module
/// docs); `false`: ask git.
pub fn certainly_ignored(root: &Path) -> bool {
    certainly_ignored_with(root, std::env::vars_os().map(|(k, _)| k))
}

fn certainly_ignored_with(root: &Path, env: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    let harmless = |k: &str| HARMLESS_GIT_VARIABLES.iter().any(|p| k.starts_with(p));
    if env.into_iter().any(|k| {
        let k = k.to_string_lossy();
        k.starts_with("GIT_") && !harmless(&k)
    }) {
        return false;
    }
    let Ok(canonical) = root.canonicalize() else {
        return false;
    };
    // The repository that holds `config/secrets.yaml` is the one git finds
    // from `config/`: when `config/` is a repository of its own (a
    // submodule, a nested clone), the project's `.gitignore` and index say
    // nothing about it, so git has to tell. `config/` must be a real
    // directory (not a link) of the project.
    let config = canonical.join("config");
    match std::fs::symlink_metadata(&config) {
        Ok(m) if m.is_dir() => {
            if std::fs::symlink_metadata(config.join(".git")).is_ok() {
                return false;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        _ => return false,
    }
    match find_git_dir(&canonical) {
        // Not in a repository: nothing to ignore.
        Repo::None => true,
        Repo::Found { top, git_dir } => {
            ignore_rule(root) && untracked(&canonical, &top, &git_dir).unwrap_or(false)
        }
        Repo::Unsure => false,
    }
}

/// The project's `.gitignore` ignores `config/secrets.yaml` and nothing
/// can re-include it.
fn ignore_rule(root: &Path) -> bool {
    let own = root.join(".gitignore");
    if !std::fs::symlink_metadata(&own).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(&own) else {
        return false;
    };
    let lines = || text.split('\n');
    let rule = lines().any(|l| l == "/config/secrets.yaml" || l == "config/secrets.yaml");
    let negation = lines().any(|l| l.starts_with('!'));
    let deeper = !matches!(
        std::fs::symlink_metadata(root.join("config/.gitignore")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound
    );
    rule && !negation && !deeper
}

/// `Some(true)`: the repository (`git_dir`, work tree at `top`) around
/// `root` (canonical) does not track `config/secrets.yaml`; `None`: cannot
/// tell.
fn untracked(root: &Path, top: &Path, git_dir: &Path) -> Option<bool> {
    let common = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(c) => git_dir.join(c.trim_end_matches(['\n', '\r'])),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => git_dir.to_path_buf(),
        Err(_) => return None,
    };
    for config in [common.join("config"), git_dir.join("config.worktree")] {
        match std::fs::read_to_string(&config) {
            Ok(text) if !plain_config(&text) => return None,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return None,
        }
    }
    let mut path = String::new();
    for c in root.strip_prefix(top).ok()?.components() {
        path.push_str(c.as_os_str().to_str()?);
        path.push('/');
    }
    path.push_str("config/secrets.yaml");
    match std::fs::read(git_dir.join("index")) {
        Ok(index) => Some(!index_has(&index, path.as_bytes())?),
        // No index yet: nothing is tracked.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(true),
        Err(_) => None,
    }
}

/// What git finds from a directory.
enum Repo {
    /// A work tree: its top, and the git directory.
    Found { top: PathBuf, git_dir: PathBuf },
    /// No repository.
    None,
    /// Something else (a bare repository, inside a git directory, an
    /// unreadable or odd `.git`): git has to tell.
    Unsure,
}

/// The repository git finds from `dir` (a canonical path): the first
/// ancestor with a `.git` directory, or a `.git` file naming one.
fn find_git_dir(dir: &Path) -> Repo {
    for d in dir.ancestors() {
        if d.file_name().is_some_and(|n| n == ".git") {
            // Inside a git directory.
            return Repo::Unsure;
        }
        let dot_git = d.join(".git");
        match std::fs::symlink_metadata(&dot_git) {
            Ok(m) if m.is_dir() => {
                return Repo::Found {
                    top: d.to_path_buf(),
                    git_dir: dot_git,
                };
            }
            Ok(m) if m.is_file() => {
                let Ok(text) = std::fs::read_to_string(&dot_git) else {
                    return Repo::Unsure;
                };
                let Some(target) = text.strip_prefix("gitdir: ") else {
                    return Repo::Unsure;
                };
                return Repo::Found {
                    top: d.to_path_buf(),
                    git_dir: d.join(target.trim_end_matches(['\n', '\r'])),
                };
            }
            Ok(_) => return Repo::Unsure,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let bare = d.join("HEAD").is_file()
                    && d.join("objects").is_dir()
                    && d.join("refs").is_dir();
                if bare {
                    return Repo::Unsure;
                }
            }
            Err(_) => return Repo::Unsure,
        }
    }
    Repo::None
}

/// A repository configuration without settings that change where the work
/// tree is, how names match, how the index is laid out or what else is read.
fn plain_config(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    !(squeezed.contains("worktree")
        || squeezed.contains("bare=true")
        || squeezed.contains("ignorecase=true")
        || squeezed.contains("[include")
        || squeezed.contains("objectformat")
        || squeezed.contains("sparse")
        || squeezed.contains("splitindex"))
}

/// Whether a git index (version 2 or 3, SHA-1, not split, not sparse) has
/// an entry named `path`; `None`: another format, or not what it should be.
fn index_has(index: &[u8], path: &[u8]) -> Option<bool> {
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(index.get(at..at + 4)?.try_into().ok()?))
    };
    if index.get(..4)? != b"DIRC" {
        return None;
    }
    let version = u32_at(4)?;
    if !(2..=3).contains(&version) {
        return None;
    }
    let count = u32_at(8)? as usize;
    // Entry: 40 bytes of stat data (mode at 24), a 20-byte SHA-1, 2 bytes of
    // flags, (version 3, when flagged) 2 more, the name, 1–8 NULs to a
    // multiple of 8.
    let mut at = 12;
    let mut found = false;
    for _ in 0..count {
        let mode = u32_at(at + 24)?;
        if mode & 0o170000 == 0o040000 {
            // A sparse directory entry.
            return None;
        }
        let flags = u16::from_be_bytes(index.get(at + 60..at + 62)?.try_into().ok()?);
        let name_at = if version == 3 && flags & 0x4000 != 0 {
            at + 64
        } else {
            at + 62
        };
        let len = index.get(name_at..)?.iter().position(|&b| b == 0)?;
        if &index[name_at..name_at + len] == path {
            found = true;
        }
        at += (name_at - at + len + 8) & !7;
    }
    // Extensions, up to the trailing checksum.
    while at + 8 <= index.len().checked_sub(20)? {
        let sig = index.get(at..at + 4)?;
        if sig == b"link" || sig == b"sdir" {
            return None;
        }
        at += 8 + u32_at(at + 4)? as usize;
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> std::process::Output {
        Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .expect("git")
    }

    /// `git check-ignore -q config/secrets.yaml` exits 0.
    fn git_ignores(dir: &Path) -> bool {
        git(dir, &["check-ignore", "-q", "config/secrets.yaml"])
            .status
            .success()
    }

    fn fast(dir: &Path) -> bool {
        certainly_ignored_with(dir, Vec::new())
    }

    /// A git repository with a project: `.gitignore` (given text),
    /// `config/app.yaml`, committed.
    fn repo(gitignore: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("config")).unwrap();
        std::fs::write(d.path().join("config/app.yaml"), "a: 1\n").unwrap();
        std::fs::write(d.path().join(".gitignore"), gitignore).unwrap();
        assert!(git(d.path(), &["init", "-q"]).status.success());
        git(d.path(), &["add", "-A"]);
        assert!(git(d.path(), &["commit", "-qm", "init"]).status.success());
        d
    }

    /// Where the fast answer is "ignored", git agrees; where it cannot
    /// tell, the cases are those that git answers "not ignored" or that
    /// take git to tell.
    #[test]
    fn agrees_with_git() {
        // The usual case, with and without the file.
        let d = repo("/target\n/config/secrets.yaml\n");
        assert!(fast(d.path()) && git_ignores(d.path()));
        std::fs::write(d.path().join("config/secrets.yaml"), "K: v\n").unwrap();
        assert!(fast(d.path()) && git_ignores(d.path()));
        // Tracked anyway (added with -f): git says not ignored.
        git(d.path(), &["add", "-f", "config/secrets.yaml"]);
        assert!(!fast(d.path()) && !git_ignores(d.path()));
        git(d.path(), &["commit", "-qm", "oops"]);
        std::fs::remove_file(d.path().join("config/secrets.yaml")).unwrap();
        assert!(!fast(d.path()) && !git_ignores(d.path()));

        // Without the leading slash too.
        let d = repo("config/secrets.yaml\n");
        assert!(fast(d.path()) && git_ignores(d.path()));

        // No rule, a negation, a deeper .gitignore: ask git.
        let d = repo("/target\n");
        assert!(!fast(d.path()) && !git_ignores(d.path()));
        let d = repo("/config/secrets.yaml\n!config/secrets.yaml\n");
        assert!(!fast(d.path()) && !git_ignores(d.path()));
        let d = repo("/config/secrets.yaml\n");
        std::fs::write(d.path().join("config/.gitignore"), "!secrets.yaml\n").unwrap();
        assert!(!fast(d.path()) && !git_ignores(d.path()));
        // A rule with other spellings: ask git (which may well agree).
        let d = repo("/config/secrets.yaml \n");
        assert!(!fast(d.path()));

        // Not a repository (unless the temporary directory is in one):
        // nothing to ignore, and git fails.
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("config")).unwrap();
        let in_repo = git(d.path(), &["rev-parse", "--is-inside-work-tree"])
            .status
            .success();
        assert_eq!(fast(d.path()), !in_repo);
        // A bare repository around it: ask git.
        let d = tempfile::tempdir().unwrap();
        assert!(git(d.path(), &["init", "-q", "--bare"]).status.success());
        let proj = d.path().join("proj");
        std::fs::create_dir_all(proj.join("config")).unwrap();
        assert!(!fast(&proj));

        // Index version 4: ask git.
        let d = repo("/config/secrets.yaml\n");
        git(d.path(), &["update-index", "--index-version", "4"]);
        assert!(!fast(d.path()) && git_ignores(d.path()));
    }

    /// A project below the top of its repository, and a linked worktree
    /// (`.git` is a file).
    #[test]
    fn subdirectories_and_worktrees() {
        let d = tempfile::tempdir().unwrap();
        let top = d.path().join("top");
        let proj = top.join("proj");
        std::fs::create_dir_all(proj.join("config")).unwrap();
        std::fs::write(proj.join("config/app.yaml"), "a: 1\n").unwrap();
        std::fs::write(proj.join(".gitignore"), "/config/secrets.yaml\n").unwrap();
        assert!(git(&top, &["init", "-q"]).status.success());
        git(&top, &["add", "-A"]);
        assert!(git(&top, &["commit", "-qm", "init"]).status.success());
        assert!(fast(&proj) && git_ignores(&proj));

        let wt = d.path().join("wt");
        assert!(
            git(&top, &["worktree", "add", "-q", wt.to_str().unwrap()])
                .status
                .success()
        );
        let wt_proj = wt.join("proj");
        assert!(wt.join(".git").is_file());
        assert!(fast(&wt_proj) && git_ignores(&wt_proj));
        std::fs::write(wt_proj.join("config/secrets.yaml"), "K: v\n").unwrap();
        git(&wt_proj, &["add", "-f", "config/secrets.yaml"]);
        assert!(!fast(&wt_proj) && !git_ignores(&wt_proj));
        // The main work tree's index does not have it.
        assert!(fast(&proj) && git_ignores(&proj));
    }

    /// `config/` a repository of its own (a nested clone, a submodule):
    /// the project's `.gitignore` and index do not reach into it, so git
    /// has to tell (and git, asked from `config/`, calls an untracked
    /// `secrets.yaml` there not ignored).
    #[test]
    fn a_config_repository_of_its_own_takes_git() {
        let d = repo("/config/secrets.yaml\n");
        let config = d.path().join("config");
        assert!(git(&config, &["init", "-q"]).status.success());
        std::fs::write(config.join("secrets.yaml"), "K: v\n").unwrap();
        assert!(!fast(d.path()));
        let asked = git(&config, &["check-ignore", "-q", "secrets.yaml"]);
        assert_eq!(asked.status.code(), Some(1));
    }

    #[test]
    fn git_variables_take_git() {
        let d = repo("/config/secrets.yaml\n");
        assert!(!certainly_ignored_with(d.path(), vec!["GIT_DIR".into()]));
        assert!(!certainly_ignored_with(
            d.path(),
            vec!["GIT_CONFIG_COUNT".into()]
        ));
        assert!(certainly_ignored_with(
            d.path(),
            vec!["HOME".into(), "GIT_SSL_CAINFO".into()]
        ));
    }
}
