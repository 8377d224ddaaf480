//! Typed JSON ([canonical.typed-json]) and the estimator's canonical value
//! ([canonical.estimator]).

use serde_json::{Map, Value as JsonValue};

use super::{Estimator, canonical_members};
use crate::error::{Code, Error, Result};

/// A plain JSON value whose numbers keep their kind: `1` is an
/// [`TypedJson::Int`], `1.0` a [`TypedJson::Float`]
/// ([sklearn.params.numbers]). Floats compare by their bits, so `-0.0` and
/// `0.0` are different values.
#[derive(Clone, Debug)]
pub enum TypedJson {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number written without fraction or exponent; a decoded one is
    /// within ±(2^53-1).
    Int(i64),
    /// A number written with a fraction or an exponent; a decoded one is finite.
    Float(f64),
    /// A string.
    String(String),
    /// An array, items in order.
    Array(Vec<TypedJson>),
    /// An object: members sorted by name (as sequences of code points, which
    /// is the order of `str`), names unique.
    Object(Vec<(String, TypedJson)>),
}

impl PartialEq for TypedJson {
    fn eq(&self, other: &Self) -> bool {
        use TypedJson as T;
        match (self, other) {
            (T::Null, T::Null) => true,
            (T::Bool(a), T::Bool(b)) => a == b,
            (T::Int(a), T::Int(b)) => a == b,
            (T::Float(a), T::Float(b)) => a.to_bits() == b.to_bits(),
            (T::String(a), T::String(b)) => a == b,
            (T::Array(a), T::Array(b)) => a == b,
            (T::Object(a), T::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for TypedJson {}

impl TypedJson {
    /// The typed tree node ([canonical.typed-json]).
    pub fn to_canonical(&self) -> JsonValue {
        let node = |k: &str, v: JsonValue| {
            let mut m = Map::new();
            m.insert(k.into(), v);
            JsonValue::Object(m)
        };
        match self {
            TypedJson::Null => node("null", JsonValue::Null),
            TypedJson::Bool(b) => node("bool", (*b).into()),
            TypedJson::Int(n) => node("int", (*n).into()),
            TypedJson::Float(f) => node("float", format!("{:016x}", f.to_bits()).into()),
            TypedJson::String(s) => node("string", s.as_str().into()),
            TypedJson::Array(items) => node("array", items.iter().map(TypedJson::to_canonical).collect()),
            TypedJson::Object(members) => object_to_canonical(members),
        }
    }

    /// Reads a typed tree node.
    pub fn from_canonical(v: &JsonValue) -> Result<TypedJson> {
        let clause = "canonical.typed-json";
        let field = |why: String| Error::new(Code::FieldType, clause, why);
        let (kind, inner) = match v.as_object().map(|m| (m.len(), m.iter().next())) {
            Some((1, Some((k, inner)))) => (k.as_str(), inner),
            _ => return Err(field(format!("a typed JSON node is an object with one member, not {v}"))),
        };
        Ok(match (kind, inner) {
            ("null", JsonValue::Null) => TypedJson::Null,
            ("bool", JsonValue::Bool(b)) => TypedJson::Bool(*b),
            ("int", JsonValue::Number(n)) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => TypedJson::Int(i),
                // `-0` and `1.0` as integers; beyond i64 is beyond ±(2^53-1) too
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => TypedJson::Int(f as i64),
                (None, Some(f)) if f.fract() != 0.0 => return Err(field(format!("int node {n} is not an integer"))),
                _ => {
                    return Err(Error::new(
                        Code::ValueDomain,
                        "canonical.typed-json",
                        format!("int node {n} is not an integer within ±(2^53-1)"),
                    ));
                }
            },
            ("float", JsonValue::String(h))
                if h.len() == 16 && h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) =>
            {
                let bits = u64::from_str_radix(h, 16).map_err(|e| field(format!("float node {h:?}: {e}")))?;
                TypedJson::Float(f64::from_bits(bits))
            }
            ("string", JsonValue::String(s)) => TypedJson::String(s.clone()),
            ("array", JsonValue::Array(items)) => {
                TypedJson::Array(items.iter().map(TypedJson::from_canonical).collect::<Result<_>>()?)
            }
            ("object", JsonValue::Array(_)) => TypedJson::Object(object_from_canonical(v)?),
            _ => return Err(field(format!("{v} is not a typed JSON node"))),
        })
    }
}

/// An object node from members, sorted by name.
pub(crate) fn object_to_canonical(members: &[(String, TypedJson)]) -> JsonValue {
    let mut sorted: Vec<&(String, TypedJson)> = members.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let pairs = sorted.into_iter().map(|(k, v)| JsonValue::Array(vec![k.as_str().into(), v.to_canonical()]));
    let mut m = Map::new();
    m.insert("object".into(), pairs.collect());
    JsonValue::Object(m)
}

/// The members of an object node, sorted by name; duplicates are kept (an
/// encoder refuses them with `E_JSON_DUPLICATE_KEY`).
fn object_from_canonical(v: &JsonValue) -> Result<Vec<(String, TypedJson)>> {
    let field = |why: String| Error::new(Code::FieldType, "canonical.typed-json", why);
    let pairs = v.get("object").and_then(JsonValue::as_array).ok_or_else(|| field(format!("{v} is not an object node")))?;
    let mut members = Vec::with_capacity(pairs.len());
    for pair in pairs {
        match pair.as_array().map(Vec::as_slice) {
            Some([JsonValue::String(name), node]) => members.push((name.clone(), TypedJson::from_canonical(node)?)),
            _ => return Err(field(format!("object member {pair} is not a [name, node] pair"))),
        }
    }
    members.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(members)
}

pub(crate) fn estimator_from_canonical(v: &JsonValue) -> Result<Estimator> {
    let clause = "canonical.estimator";
    let field = |why: &str| Error::new(Code::FieldType, clause, why.to_string());
    let m = canonical_members(v, clause, &["kind", "className", "module", "version", "params"])?;
    let string = |name: &str| {
        m.get(name).and_then(JsonValue::as_str).map(str::to_string).ok_or_else(|| field(&format!("{name} must be a string")))
    };
    let (class_name, module) = (string("className")?, string("module")?);
    let version = match m.get("version") {
        Some(JsonValue::Null) => None,
        Some(JsonValue::String(s)) => Some(s.clone()),
        _ => return Err(field("version must be a string or null")),
    };
    let params = object_from_canonical(m.get("params").ok_or_else(|| field("params is required"))?)?;
    Ok(Estimator { class_name, module, version, params })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nodes_keep_the_kind_of_numbers_and_the_bits_of_floats() {
        let tree = TypedJson::Object(vec![
            ("a".into(), TypedJson::Int(1)),
            ("b".into(), TypedJson::Float(1.0)),
            ("c".into(), TypedJson::Array(vec![TypedJson::Null, TypedJson::Bool(true), TypedJson::Float(-0.0)])),
            ("d".into(), TypedJson::String("x".into())),
        ]);
        let canonical = tree.to_canonical();
        assert_eq!(
            canonical,
            json!({"object": [["a", {"int": 1}], ["b", {"float": "3ff0000000000000"}],
                              ["c", {"array": [{"null": null}, {"bool": true}, {"float": "8000000000000000"}]}],
                              ["d", {"string": "x"}]]})
        );
        assert_eq!(TypedJson::from_canonical(&canonical).ok(), Some(tree));
        assert_ne!(TypedJson::Float(0.0), TypedJson::Float(-0.0));
        assert_ne!(TypedJson::Float(1.0), TypedJson::Int(1));
    }

    #[test]
    fn objects_are_written_sorted_by_code_point() {
        let members = vec![("é".into(), TypedJson::Null), ("z".into(), TypedJson::Null), ("Z".into(), TypedJson::Null)];
        let names: Vec<JsonValue> = object_to_canonical(&members)["object"]
            .as_array()
            .map(|a| a.iter().map(|p| p[0].clone()).collect())
            .unwrap_or_default();
        assert_eq!(names, [json!("Z"), json!("z"), json!("é")]);
    }

    #[test]
    fn malformed_nodes_are_refused() {
        for bad in [json!({}), json!({"int": 1, "float": "00"}), json!({"float": "3FF0000000000000"}),
                    json!({"float": 1.0}), json!({"int": "1"}), json!({"object": [["a"]]}), json!({"bool": 1}),
                    json!({"list": []}), json!([1]), json!({"int": 1.5})] {
            assert_eq!(TypedJson::from_canonical(&bad).map_err(|e| e.code()), Err(Code::FieldType), "{bad}");
        }
        let beyond = json!({"int": 18446744073709551615u64});
        assert_eq!(TypedJson::from_canonical(&beyond).map_err(|e| e.code()), Err(Code::ValueDomain));
    }
}
