//! Config paths: `services.devai.resources.memory`, `labels."app.kubernetes.io/part-of"`,
//! `network.allowed_cidrs[0]`, and their JSON Pointer form.
use std::fmt;

/// One step of a config path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A path into the config tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigPath(pub Vec<Seg>);

impl ConfigPath {
    /// The root path.
    pub fn root() -> Self {
        ConfigPath(Vec::new())
    }

    /// This path extended by a key.
    pub fn key(&self, k: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Key(k.to_string()));
        ConfigPath(v)
    }

    /// This path extended by an index.
    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        ConfigPath(v)
    }

    /// The parent path (root stays root).
    pub fn parent(&self) -> Self {
        let mut v = self.0.clone();
        v.pop();
        ConfigPath(v)
    }

    /// Whether `self` is `other` or below it.
    pub fn starts_with(&self, other: &ConfigPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// RFC 6901 JSON Pointer (`/services/devai/env/A~1B`).
    pub fn pointer(&self) -> String {
        let mut s = String::new();
        for seg in &self.0 {
            s.push('/');
            match seg {
                Seg::Key(k) => s.push_str(&k.replace('~', "~0").replace('/', "~1")),
                Seg::Index(i) => s.push_str(&i.to_string()),
            }
        }
        s
    }

    /// Parse a JSON Pointer; numeric segments become indexes only where `value` has a list.
    pub fn from_pointer(ptr: &str, value: &serde_json::Value) -> Self {
        let mut segs = Vec::new();
        let mut cur = Some(value);
        for raw in ptr.split('/').skip(1) {
            let key = raw.replace("~1", "/").replace("~0", "~");
            match cur {
                Some(serde_json::Value::Array(a)) => {
                    let i = key.parse::<usize>().unwrap_or(usize::MAX);
                    cur = a.get(i);
                    segs.push(Seg::Index(i));
                }
                Some(serde_json::Value::Object(m)) => {
                    cur = m.get(&key);
                    segs.push(Seg::Key(key));
                }
                _ => {
                    cur = None;
                    segs.push(Seg::Key(key));
                }
            }
        }
        ConfigPath(segs)
    }

    /// Parse the dotted form users type (`a.b."c.d"[0]`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut segs = Vec::new();
        let mut chars = s.chars().peekable();
        let mut expect_key = true;
        while let Some(&c) = chars.peek() {
            match c {
                '.' if !expect_key => {
                    chars.next();
                    expect_key = true;
                }
                '[' => {
                    chars.next();
                    let mut num = String::new();
                    for d in chars.by_ref() {
                        if d == ']' {
                            break;
                        }
                        num.push(d);
                    }
                    let i = num
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("`[{num}]` is not a list index in path `{s}`"))?;
                    segs.push(Seg::Index(i));
                    expect_key = false;
                }
                '"' if expect_key => {
                    chars.next();
                    let mut key = String::new();
                    let mut closed = false;
                    while let Some(d) = chars.next() {
                        match d {
                            '\\' => key.extend(chars.next()),
                            '"' => {
                                closed = true;
                                break;
                            }
                            _ => key.push(d),
                        }
                    }
                    if !closed {
                        return Err(format!("unterminated quote in path `{s}`"));
                    }
                    segs.push(Seg::Key(key));
                    expect_key = false;
                }
                _ if expect_key => {
                    let mut key = String::new();
                    while let Some(&d) = chars.peek() {
                        if d == '.' || d == '[' {
                            break;
                        }
                        key.push(d);
                        chars.next();
                    }
                    if key.is_empty() {
                        return Err(format!("empty key in path `{s}`"));
                    }
                    segs.push(Seg::Key(key));
                    expect_key = false;
                }
                _ => return Err(format!("unexpected `{c}` in path `{s}`")),
            }
        }
        if expect_key && !segs.is_empty() {
            return Err(format!("path `{s}` ends with a dot"));
        }
        Ok(ConfigPath(segs))
    }

    /// Look the path up in a JSON value.
    pub fn get<'a>(&self, value: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        let mut cur = value;
        for seg in &self.0 {
            cur = match (seg, cur) {
                (Seg::Key(k), serde_json::Value::Object(m)) => m.get(k)?,
                (Seg::Index(i), serde_json::Value::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The last key, if the path ends in one.
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '/')
}

impl fmt::Display for ConfigPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    if is_plain_key(k) {
                        f.write_str(k)?;
                    } else {
                        write!(f, "\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))?;
                    }
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_round_trip() {
        for s in [
            "services.devai.resources.memory",
            "labels.\"app.kubernetes.io/part-of\"",
            "network.allowed_cidrs[0]",
            "a[1][2].b",
        ] {
            assert_eq!(ConfigPath::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn pointer_escapes() {
        let p = ConfigPath::parse("labels.\"a/b~c\"").unwrap();
        assert_eq!(p.pointer(), "/labels/a~1b~0c");
    }

    #[test]
    fn bad_paths() {
        assert!(ConfigPath::parse("a.").is_err());
        assert!(ConfigPath::parse("a..b").is_err());
        assert!(ConfigPath::parse("a[x]").is_err());
        assert!(ConfigPath::parse("\"open").is_err());
    }
}
