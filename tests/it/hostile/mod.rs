//! Hostile strings for the escaping tests: every value must survive devgen's
//! output exactly, as the real tools (Compose, Terraform) read it back.
#![allow(dead_code)]

use std::path::Path;

use devgen::emit::yaml::quote as yaml_quote;

/// Hand-picked hostile values (one per trap).
pub const HOSTILE: &[&str] = &[
    "double\"quote",
    "single'quote",
    "it's a \"mix\"",
    "$",
    "$HOME",
    "${X}",
    "${X:-default}",
    "$$",
    "$${X}",
    "$$$",
    "$(cmd)",
    "`cmd`",
    "#not a comment",
    "value # trailing",
    "a=b=c",
    "=",
    "  leading",
    "trailing  ",
    "  both  ",
    " ",
    "",
    "back\\slash",
    "ends with backslash\\",
    "\\",
    "\\\\",
    "\\n not a newline",
    "\\$ not an escape",
    "\\\"",
    "line1\nline2",
    "\n",
    "trailing newline\n",
    "tab\there",
    "cr\rhere",
    "%{if x}",
    "%%{",
    "100%",
    "{{ jinja }}",
    "{% raw %}",
    "ünïcødé",
    "日本語",
    "emoji 🚀🔥",
    "👨\u{200d}👩\u{200d}👧 zwj",
    "\u{202e}rtl",
    "\u{a0}nbsp",
    "\u{2028}ls\u{2029}ps\u{85}nel",
    "\u{feff}bom",
    "\u{1}\u{7}\u{1b}[31m",
    "\u{7f}",
    "yes",
    "no",
    "on",
    "off",
    "true",
    "False",
    "null",
    "~",
    "1",
    "1.0",
    "1e3",
    "0x1F",
    "0o17",
    "012",
    "-1",
    ".inf",
    "- item",
    "key: value",
    "[a, b]",
    "{a: 1}",
    "*alias",
    "&anchor",
    "!tag",
    "|",
    ">-",
    "? q",
    "@at",
    "<<EOF",
    "'",
    "\"",
    "''",
    "\"\"",
];

/// Values only Compose keeps byte-exact: Terraform (cty) normalises every
/// string to Unicode NFC, so a decomposed `e` + U+0301 comes back as `é`.
pub const NOT_NFC: &[&str] = &["e\u{301} decomposed", "A\u{30a}ngstr\u{f6}m"];

/// `n` more values built from pieces of [`HOSTILE`] (deterministic).
pub fn generated(n: usize) -> Vec<String> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: Vec<&str> = HOSTILE
        .iter()
        .copied()
        .chain([
            "a", "b", " ", "$", "{", "}", "\\", "\"", "'", "%", "#", "\n",
        ])
        .collect();
    (0..n)
        .map(|_| {
            let k = 1 + (next() % 5) as usize;
            (0..k)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect::<String>()
        })
        .collect()
}

/// Every hostile value: the hand-picked ones, then `extra` generated ones.
pub fn all(extra: usize) -> Vec<String> {
    HOSTILE
        .iter()
        .map(|s| s.to_string())
        .chain(generated(extra))
        .collect()
}

/// Write `config/common/zz-hostile.yaml` into `project`: global env `H<i>`
/// and env `D<i>` of service `service`, each holding `values[i]`.
pub fn write_config(project: &Path, values: &[String], service: &str) {
    let mut y = String::from("env:\n");
    for (i, v) in values.iter().enumerate() {
        y.push_str(&format!("  H{i}: {}\n", yaml_quote(v)));
    }
    y.push_str(&format!("services:\n  {service}:\n    env:\n"));
    for (i, v) in values.iter().enumerate() {
        y.push_str(&format!("      D{i}: {}\n", yaml_quote(v)));
    }
    std::fs::write(project.join("config/common/zz-hostile.yaml"), y).unwrap();
}
