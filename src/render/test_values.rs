//! Test support shared by the renderers' unit tests.
use proptest::prelude::*;
use serde_json::{Number, Value};

/// Arbitrary JSON values as templates pass them: scalars of every kind
/// (integers at both ends of their range, floats, the float `2.0`, any
/// printable text and YAML-ish text), and nested lists and maps.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        (-1e6f64..1e6).prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(Value::Number(Number::from_f64(2.0).unwrap())),
        "\\PC{0,12}".prop_map(Value::String),
        "[a-z0-9./:# -]{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z0-9./_ -]{0,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}
