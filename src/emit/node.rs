//! [`Node`]: the one value type the writers walk — a borrowed view of a JSON
//! value (targets written in Rust, `show`) or of a template value (filters),
//! so each syntax has one writer whichever side the value comes from, and
//! template values are written without converting them to JSON first.
use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::Value as Tv;
use minijinja::value::{Enumerator, Object};
use serde_json::{Map, Number, Value as J};

/// A value as the writers see it.
pub enum Node<'a> {
    /// `null` / `none`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, as JSON holds it.
    Num(Number),
    /// A string.
    Str(&'a str),
    /// A map with string keys, in order.
    Map(Entries<'a>),
    /// A list.
    Seq(Items<'a>),
}

/// A map's entries.
pub enum Entries<'a> {
    /// A JSON object.
    Json(&'a Map<String, J>),
    /// A template map (every key a string, checked by [`Node::template`]).
    Template(&'a IndexMap<Tv, Tv>),
    /// A template [`Fields`] map.
    Fields(&'a [(Tv, Tv)]),
    /// A template map of another object type, its pairs collected.
    TemplatePairs(Vec<(Tv, Tv)>),
}

/// A template map with string keys in a fixed order that the writers walk in
/// order: the fields of a Rust struct, or a small map. A struct serialised
/// by minijinja can only be walked by looking each of its keys up, and a map
/// it builds hashes every key; build a [`Fields`] value instead for what is
/// written many times. Templates see the same map either way (a key is
/// looked up by a linear search: keep it for a few dozen entries at most).
#[derive(Debug)]
pub struct Fields(Vec<(Tv, Tv)>);

impl Fields {
    /// The template map of these entries, in this order (keys unique).
    pub fn value<'k>(entries: impl IntoIterator<Item = (&'k str, Tv)>) -> Tv {
        Tv::from_object(Fields(
            entries.into_iter().map(|(k, v)| (Tv::from(k), v)).collect(),
        ))
    }
}

impl Object for Fields {
    fn get_value(self: &Arc<Self>, key: &Tv) -> Option<Tv> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Tv> {
        self.0
            .iter()
            .find_map(|(k, v)| (k.as_str() == Some(key)).then(|| v.clone()))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.iter().map(|(k, _)| k.clone()).collect())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.0.len())
    }
}

/// A list's items.
pub enum Items<'a> {
    /// A JSON array.
    Json(&'a [J]),
    /// A template list.
    Template(&'a [Tv]),
    /// A template sequence of another object type, its items collected.
    TemplateOwned(Vec<Tv>),
}

impl<'a> Node<'a> {
    /// The node of a JSON value (every JSON value has one).
    pub fn json(v: &'a J) -> Node<'a> {
        match v {
            J::Null => Node::Null,
            J::Bool(b) => Node::Bool(*b),
            J::Number(n) => Node::Num(n.clone()),
            J::String(s) => Node::Str(s),
            J::Array(a) => Node::Seq(Items::Json(a)),
            J::Object(m) => Node::Map(Entries::Json(m)),
        }
    }

    /// The node of a template value of the shapes templates pass (strings,
    /// numbers, booleans, none, maps with string keys, lists); `None` for
    /// another shape (the caller writes the value's JSON conversion instead).
    /// A number or string-keyed map is what its JSON conversion would be.
    pub fn template(v: &'a Tv) -> Option<Node<'a>> {
        use minijinja::value::{ObjectRepr, ValueKind};
        match v.kind() {
            ValueKind::String => Some(Node::Str(v.as_str()?)),
            ValueKind::Bool => Some(Node::Bool(v.is_true())),
            ValueKind::None => Some(Node::Null),
            ValueKind::Number => {
                if v.is_integer() {
                    if let Ok(n) = u64::try_from(v.clone()) {
                        Some(Node::Num(n.into()))
                    } else {
                        i64::try_from(v.clone()).ok().map(|n| Node::Num(n.into()))
                    }
                } else {
                    let f = f64::try_from(v.clone()).ok()?;
                    Some(Number::from_f64(f).map_or(Node::Null, Node::Num))
                }
            }
            ValueKind::Map => {
                if let Some(f) = v.downcast_object_ref::<Fields>() {
                    return Some(Node::Map(Entries::Fields(&f.0)));
                }
                let entries = match v.downcast_object_ref::<IndexMap<Tv, Tv>>() {
                    Some(m) => {
                        if !m.keys().all(|k| k.as_str().is_some()) {
                            return None;
                        }
                        Entries::Template(m)
                    }
                    None => {
                        let o = v.as_object()?;
                        if !matches!(o.repr(), ObjectRepr::Map) {
                            return None;
                        }
                        let pairs: Vec<(Tv, Tv)> = o.try_iter_pairs()?.collect();
                        if !pairs.iter().all(|(k, _)| k.as_str().is_some()) {
                            return None;
                        }
                        Entries::TemplatePairs(pairs)
                    }
                };
                Some(Node::Map(entries))
            }
            ValueKind::Seq | ValueKind::Iterable => {
                if let Some(items) = v.downcast_object_ref::<Vec<Tv>>() {
                    return Some(Node::Seq(Items::Template(items)));
                }
                let o = v.as_object()?;
                if !matches!(o.repr(), ObjectRepr::Seq | ObjectRepr::Iterable) {
                    return None;
                }
                Some(Node::Seq(Items::TemplateOwned(o.try_iter()?.collect())))
            }
            _ => None,
        }
    }

    /// Whether the node is a map or list with nothing in it.
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Node::Map(e) => e.is_empty(),
            Node::Seq(i) => i.is_empty(),
            _ => false,
        }
    }
}

impl Entries<'_> {
    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        match self {
            Entries::Json(m) => m.is_empty(),
            Entries::Template(m) => m.is_empty(),
            Entries::Fields(f) => f.is_empty(),
            Entries::TemplatePairs(p) => p.is_empty(),
        }
    }

    /// How many entries the map has.
    pub fn len(&self) -> usize {
        match self {
            Entries::Json(m) => m.len(),
            Entries::Template(m) => m.len(),
            Entries::Fields(f) => f.len(),
            Entries::TemplatePairs(p) => p.len(),
        }
    }

    /// Call `f` with each entry's index, key and value, in order; stops at
    /// (and returns) the first `None`, which a value of an unsupported
    /// shape also gives.
    pub fn each<'b>(
        &'b self,
        mut f: impl FnMut(usize, &'b str, Node<'b>) -> Option<()>,
    ) -> Option<()> {
        match self {
            Entries::Json(m) => {
                for (i, (k, x)) in m.iter().enumerate() {
                    f(i, k, Node::json(x))?;
                }
            }
            Entries::Template(m) => {
                for (i, (k, x)) in m.iter().enumerate() {
                    f(i, k.as_str()?, Node::template(x)?)?;
                }
            }
            Entries::Fields(fields) => {
                for (i, (k, x)) in fields.iter().enumerate() {
                    f(i, k.as_str()?, Node::template(x)?)?;
                }
            }
            Entries::TemplatePairs(p) => {
                for (i, (k, x)) in p.iter().enumerate() {
                    f(i, k.as_str()?, Node::template(x)?)?;
                }
            }
        }
        Some(())
    }
}

impl Items<'_> {
    /// Whether the list has no items.
    pub fn is_empty(&self) -> bool {
        match self {
            Items::Json(a) => a.is_empty(),
            Items::Template(a) => a.is_empty(),
            Items::TemplateOwned(a) => a.is_empty(),
        }
    }

    /// Call `f` with each item's index and value, in order (see [`Entries::each`]).
    pub fn each<'b>(&'b self, mut f: impl FnMut(usize, Node<'b>) -> Option<()>) -> Option<()> {
        match self {
            Items::Json(a) => {
                for (i, x) in a.iter().enumerate() {
                    f(i, Node::json(x))?;
                }
            }
            Items::Template(a) => {
                for (i, x) in a.iter().enumerate() {
                    f(i, Node::template(x)?)?;
                }
            }
            Items::TemplateOwned(a) => {
                for (i, x) in a.iter().enumerate() {
                    f(i, Node::template(x)?)?;
                }
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a template sees of a map: its JSON, length, keys and values in
    /// order, an attribute, and whether it is a mapping.
    fn seen(v: Tv) -> String {
        let env = minijinja::Environment::new();
        env.render_str(
            "{{ v|tojson }} {{ v|length }} {% for k in v %}{{ k }}={{ v[k] }};{% endfor %} \
             {{ v.a }} {{ v is mapping }} {{ v.missing is undefined }}",
            minijinja::context! { v },
        )
        .unwrap()
    }

    #[test]
    fn fields_are_the_map_a_serialised_struct_is() {
        #[derive(serde::Serialize)]
        struct S {
            b: u32,
            a: &'static str,
            m: Option<u8>,
        }
        let fields = Fields::value([
            ("b", Tv::from(1u32)),
            ("a", Tv::from("x")),
            ("m", Tv::from(())),
        ]);
        let serialised = Tv::from(minijinja::value::Serde(S {
            b: 1,
            a: "x",
            m: None,
        }));
        assert_eq!(seen(fields.clone()), seen(serialised));
        let Some(Node::Map(entries)) = Node::template(&fields) else {
            panic!("a Fields value is a map node");
        };
        let mut keys = Vec::new();
        entries.each(|_, k, _| {
            keys.push(k.to_string());
            Some(())
        });
        assert_eq!(keys, ["b", "a", "m"]);
    }
}
