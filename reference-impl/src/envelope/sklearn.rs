//! The `sklearn.estimator` envelope (`spec/src/sklearn-estimator.md`):
//! metadata only. Nothing named by an envelope is ever imported, looked up
//! or called ([sklearn.no-code]); `params` is read as plain JSON whose
//! numbers keep their kind.

use super::fields::write_f64;
use super::{Encoding, Marker, Members, Version, field_type, missing, no_arrow, string_member};
use crate::error::{Code, Error, Result};
use crate::json::{Cursor, Json, number_value, write_string};
use crate::limits::{Limits, MAX_SAFE_INTEGER};
use crate::value::{Estimator, TypedJson};

/// The members an envelope may have besides the common ones, in the order
/// [sklearn.required] reports them.
pub(crate) const MEMBERS: &[&str] = &["className", "module", "version", "params"];

/// `^[A-Za-z_][A-Za-z0-9_]*$`
fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') && bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// One or more identifiers joined by `.`.
fn is_module(s: &str) -> bool {
    s.split('.').all(is_identifier)
}

pub(crate) fn decode(m: &Members<'_>, version: Version, limits: &Limits) -> Result<Estimator> {
    // [sklearn.required], [sklearn.legacy-v0]: v0 may omit nothing.
    let clause = if version == Version::V0 { "sklearn.legacy-v0" } else { "sklearn.required" };
    if let Some(name) = MEMBERS.iter().find(|n| m.get(n).is_none()) {
        return Err(missing(clause, name, ""));
    }
    // [sklearn.class-name]
    let class_name = string_member(m, "className", "sklearn.class-name")?.unwrap_or_default();
    if !is_identifier(class_name) {
        return Err(Error::new(
            Code::ValueDomain,
            "sklearn.class-name",
            format!("className {class_name:?} is not an ASCII identifier"),
        )
        .at("/className"));
    }
    // [sklearn.module]
    let module = string_member(m, "module", "sklearn.module")?.unwrap_or_default();
    if !is_module(module) {
        return Err(Error::new(
            Code::ValueDomain,
            "sklearn.module",
            format!("module {module:?} is not ASCII identifiers joined by dots"),
        )
        .at("/module"));
    }
    // [sklearn.version]
    let version = match m.get("version") {
        Some(Json::String(s)) if s.is_empty() => {
            return Err(Error::new(Code::ValueDomain, "sklearn.version", "version is empty; write null when it is unknown").at("/version"));
        }
        Some(Json::String(s)) => Some(s.to_string()),
        Some(Json::Null) | None => None,
        Some(other) => return Err(field_type("sklearn.version", "version", "a string or null", other)),
    };
    // [sklearn.params]
    let params = m.get("params").unwrap_or(&Json::Null);
    let Json::Object(span) = params else {
        return Err(field_type("sklearn.params", "params", "an object", params));
    };
    // [sklearn.params.size], before anything is built from params.
    if let Some(n) = count_values(span, limits.max_params_values) {
        return Err(Error::new(
            Code::LimitExceeded,
            "sklearn.params.size",
            format!("params holds more than {n} values, the limit"),
        )
        .at("/params"));
    }
    let params = read_params(span).map_err(|e| e.under("/params"))?;
    Ok(Estimator { class_name: class_name.to_string(), module: module.to_string(), version, params })
}

/// A JSON Pointer reference token: `~` and `/` escaped.
fn token(name: &str) -> String {
    format!("/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// An array or object being read by [`read_params`].
enum Open {
    Array(Vec<TypedJson>),
    /// The members so far, and the name of the one being read.
    Object(Vec<(String, TypedJson)>, String),
}

/// The JSON Pointer, relative to `params`, of the value being read.
fn pointer(open: &[Open]) -> String {
    open.iter()
        .map(|o| match o {
            Open::Array(items) => format!("/{}", items.len()),
            Open::Object(_, name) => token(name),
        })
        .collect()
}

/// [sklearn.params.size]: counts the values in a validated JSON span (the
/// span's value and every array item and member value inside it) without
/// building anything; `Some(limit)` as soon as the count passes `limit`. A
/// value is the root, or follows a `,` or the opening of a non-empty array
/// or object (a member's name is followed by `:`, not counted).
fn count_values(span: &str, limit: u64) -> Option<u64> {
    let b = span.as_bytes();
    let mut n: u64 = 1;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b',' => n += 1,
            b'[' | b'{' => {
                let next = b[i + 1..].iter().find(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'));
                if !matches!(next, Some(b']' | b'}')) {
                    n += 1;
                }
            }
            _ => {}
        }
        if n > limit {
            return Some(limit);
        }
        i += 1;
    }
    None
}

/// Reads `params` (a validated object span) as a typed tree
/// ([sklearn.params.value]), members sorted by name, rejecting a number that
/// JSON cannot carry exactly ([sklearn.params.numbers]); then, once every
/// number is read, an object with a `__tywrap__` member
/// ([sklearn.params.no-envelope]). The walk keeps its own stack, so the
/// depth the JSON pass allowed costs no recursion. Paths are relative to `params`.
fn read_params(span: &str) -> Result<Vec<(String, TypedJson)>> {
    let mut c = Cursor::new(span);
    let mut open: Vec<Open> = Vec::new();
    let mut envelope: Option<String> = None;
    let root = loop {
        // Read a value, or open an array or object and go on to its first item.
        let mut value = match c.peek() {
            Some(b'{') => {
                c.open_object();
                match c.next_member()? {
                    Some(name) => {
                        let marker = name == "__tywrap__";
                        open.push(Open::Object(Vec::new(), name.into_owned()));
                        if marker && envelope.is_none() {
                            envelope = Some(pointer(&open));
                        }
                        continue;
                    }
                    None => TypedJson::Object(Vec::new()),
                }
            }
            Some(b'[') => {
                c.open_array();
                if c.next_item() {
                    open.push(Open::Array(Vec::new()));
                    continue;
                }
                TypedJson::Array(Vec::new())
            }
            Some(b'"') => TypedJson::String(c.string()?.into_owned()),
            Some(b't' | b'f') => {
                let b = c.peek() == Some(b't');
                c.skip();
                TypedJson::Bool(b)
            }
            Some(b'n') => {
                c.skip();
                TypedJson::Null
            }
            _ => match c.value()? {
                Json::Number(text) => read_number(text).map_err(|e| e.at(pointer(&open)))?,
                other => return Err(field_type("sklearn.params", "params", "plain JSON", &other)),
            },
        };
        // Hand the value to the innermost open container, closing each one
        // it completes; the root comes back once everything is closed.
        let done = loop {
            let marker = match open.last_mut() {
                None => break Some(value),
                Some(Open::Array(items)) => {
                    items.push(value);
                    if c.next_item() {
                        break None;
                    }
                    value = TypedJson::Array(std::mem::take(items));
                    open.pop();
                    continue;
                }
                Some(Open::Object(members, name)) => {
                    members.push((std::mem::take(name), value));
                    let Some(next) = c.next_member()? else {
                        members.sort_by(|a, b| a.0.cmp(&b.0));
                        value = TypedJson::Object(std::mem::take(members));
                        open.pop();
                        continue;
                    };
                    *name = next.into_owned();
                    name == "__tywrap__"
                }
            };
            if marker && envelope.is_none() {
                envelope = Some(pointer(&open));
            }
            break None;
        };
        if let Some(root) = done {
            break root;
        }
    };
    if let Some(at) = envelope {
        return Err(Error::new(
            Code::NestedEnvelope,
            "sklearn.params.no-envelope",
            "params holds an envelope (an object with __tywrap__); nested estimators are not carried",
        )
        .at(at));
    }
    match root {
        TypedJson::Object(members) => Ok(members),
        other => Err(Error::new(Code::FieldType, "sklearn.params", format!("params must be an object, not {other:?}"))),
    }
}

/// [sklearn.params.numbers]: the kind from the text, the value from [json.numbers].
fn read_number(text: &str) -> Result<TypedJson> {
    let domain = |why: String| Error::new(Code::ValueDomain, "sklearn.params.numbers", why);
    let value = number_value(text);
    if text.contains(['.', 'e', 'E']) {
        let v = value.ok_or_else(|| domain(format!("the float {text} is beyond the range of binary64")))?;
        return Ok(TypedJson::Float(v));
    }
    match value {
        Some(v) if v.abs() <= MAX_SAFE_INTEGER as f64 => Ok(TypedJson::Int(v as i64)),
        _ => Err(domain(format!("the integer {text} is beyond ±(2^53-1), which JSON cannot carry exactly"))),
    }
}

// ---------------------------------------------------------------- encode

fn refuse(code: Code, why: String) -> Error {
    Error::new(code, "sklearn.encode.refuse", why)
}

/// [json.depth] with the default limit, for an array or object at `depth`
/// (the envelope is at 1, `params` at 2).
fn check_depth(depth: u32) -> Result<()> {
    let max = Limits::default().max_depth;
    if depth > max {
        return Err(Error::new(Code::LimitExceeded, "json.depth", format!("params nest deeper than the default limit of {max}")));
    }
    Ok(())
}

/// [json.duplicate-keys] and [json.depth] over an object's members and
/// everything inside, which a decoder's JSON pass checks before anything else.
fn check_members(members: &[(String, TypedJson)], depth: u32) -> Result<()> {
    check_depth(depth)?;
    let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::new(
            Code::JsonDuplicateKey,
            "canonical.typed-json",
            format!("an object in params has two members named {:?}", pair[0]),
        ));
    }
    members.iter().try_for_each(|(_, v)| check_node(v, depth + 1))
}

fn check_node(v: &TypedJson, depth: u32) -> Result<()> {
    match v {
        TypedJson::Object(members) => check_members(members, depth),
        TypedJson::Array(items) => {
            check_depth(depth)?;
            items.iter().try_for_each(|item| check_node(item, depth + 1))
        }
        _ => Ok(()),
    }
}

/// Writes a typed tree; the first envelope found is noted, as the decoder
/// reports it only once every number is checked.
fn write_typed(v: &TypedJson, out: &mut String, envelope: &mut bool) -> Result<()> {
    match v {
        TypedJson::Null => out.push_str("null"),
        TypedJson::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        TypedJson::Int(n) => {
            if n.unsigned_abs() > MAX_SAFE_INTEGER {
                return Err(refuse(Code::ValueDomain, format!("the integer {n} is beyond ±(2^53-1)")));
            }
            out.push_str(&n.to_string());
        }
        TypedJson::Float(f) => {
            write_f64(out, *f).ok_or_else(|| refuse(Code::ValueDomain, format!("the float {f} has no JSON form")))?;
        }
        TypedJson::String(s) => write_string(out, s),
        TypedJson::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_typed(item, out, envelope)?;
            }
            out.push(']');
        }
        TypedJson::Object(members) => write_object(members, out, envelope)?,
    }
    Ok(())
}

fn write_object(members: &[(String, TypedJson)], out: &mut String, envelope: &mut bool) -> Result<()> {
    out.push('{');
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        *envelope |= name == "__tywrap__";
        write_string(out, name);
        out.push(':');
        write_typed(value, out, envelope)?;
    }
    out.push('}');
    Ok(())
}

/// Writes the envelope ([sklearn.encode.members]), refusing what a decoder
/// would reject, with its code ([sklearn.encode.refuse]).
pub(crate) fn encode(e: &Estimator, encoding: Encoding) -> Result<String> {
    // A frame holds the same text, `"encoding": "json"`, and no buffers.
    no_arrow(encoding, Marker::Estimator)?;
    check_members(&e.params, 2)?;
    if !is_identifier(&e.class_name) {
        return Err(refuse(Code::ValueDomain, format!("className {:?} is not an ASCII identifier", e.class_name)));
    }
    if !is_module(&e.module) {
        return Err(refuse(Code::ValueDomain, format!("module {:?} is not ASCII identifiers joined by dots", e.module)));
    }
    if e.version.as_deref() == Some("") {
        return Err(Error::new(Code::ValueDomain, "sklearn.version", "version is empty; an unknown version is None"));
    }
    let mut out = String::from("{\"__tywrap__\":\"sklearn.estimator\",\"codecVersion\":1,\"encoding\":\"json\",\"className\":");
    write_string(&mut out, &e.class_name);
    out.push_str(",\"module\":");
    write_string(&mut out, &e.module);
    out.push_str(",\"version\":");
    match &e.version {
        Some(v) => write_string(&mut out, v),
        None => out.push_str("null"),
    }
    out.push_str(",\"params\":");
    let mut envelope = false;
    write_object(&e.params, &mut out, &mut envelope)?;
    if envelope {
        return Err(refuse(
            Code::NestedEnvelope,
            "params holds an envelope (an object with __tywrap__); nested estimators are not carried".into(),
        ));
    }
    out.push('}');
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::value::Value;

    const EXAMPLE: &str = r#"{"__tywrap__": "sklearn.estimator", "codecVersion": 1, "encoding": "json",
 "className": "LogisticRegression", "module": "sklearn.linear_model._logistic",
 "version": "1.9.1",
 "params": {"C": 0.5, "max_iter": 200, "penalty": "l2", "class_weight": null}}"#;

    fn decode(text: &str) -> Result<Estimator> {
        match crate::decode(text.as_bytes(), &Limits::default())? {
            Value::Estimator(e) => Ok(e),
            other => panic!("not an estimator: {other:?}"),
        }
    }

    fn rejects(text: &str) -> Option<(Code, &'static str)> {
        decode(text).err().map(|e| (e.code(), e.clause()))
    }

    fn path(text: &str) -> Option<String> {
        decode(text).err().and_then(|e| e.path().map(str::to_string))
    }

    fn edit(from: &str, to: &str) -> String {
        assert!(EXAMPLE.contains(from), "{from}");
        EXAMPLE.replacen(from, to, 1)
    }

    fn params(p: &str) -> String {
        edit(r#"{"C": 0.5, "max_iter": 200, "penalty": "l2", "class_weight": null}"#, p)
    }

    #[test]
    fn the_spec_example_decodes_to_its_canonical_value() {
        let v = crate::decode(EXAMPLE.as_bytes(), &Limits::default()).map(|v| v.to_canonical());
        assert_eq!(
            v.ok(),
            Some(json!({"kind": "estimator", "className": "LogisticRegression",
                "module": "sklearn.linear_model._logistic", "version": "1.9.1",
                "params": {"object": [["C", {"float": "3fe0000000000000"}], ["class_weight", {"null": null}],
                                      ["max_iter", {"int": 200}], ["penalty", {"string": "l2"}]]}}))
        );
    }

    #[test]
    fn members_and_names() {
        assert_eq!(rejects(&edit("\"encoding\": \"json\"", "\"encoding\": \"arrow\"")), Some((Code::EncodingUnsupported, "sklearn.encodings")));
        for member in ["pickle", "joblib", "state"] {
            let with = edit("\"version\"", &format!("\"{member}\": \"gASV\", \"version\""));
            assert_eq!(rejects(&with), Some((Code::UnknownField, "envelope.unknown-fields")), "{member}");
        }
        let without_all = |names: &[&str]| {
            let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap_or_default();
            for name in names {
                v.as_object_mut().map(|m| m.remove(*name));
            }
            v.to_string()
        };
        let without = |name: &str| without_all(&[name]);
        for name in MEMBERS {
            assert_eq!(rejects(&without(name)), Some((Code::MissingField, "sklearn.required")), "{name}");
            assert_eq!(path(&without(name)), Some(format!("/{name}")));
        }
        let v0 = without("codecVersion");
        assert_eq!(rejects(&v0), None);
        assert_eq!(rejects(&without_all(&["codecVersion", "version"])), Some((Code::MissingField, "sklearn.legacy-v0")));
        for bad in ["\"\"", "\"linear_model.LinearRegression\"", "\"Linear Regression\"", "\"1Model\"", "\"Modèle\""] {
            assert_eq!(rejects(&edit("\"LogisticRegression\"", bad)), Some((Code::ValueDomain, "sklearn.class-name")), "{bad}");
        }
        assert_eq!(rejects(&edit("\"LogisticRegression\"", "\"_Private9\"")), None);
        assert_eq!(rejects(&edit("\"LogisticRegression\"", "null")), Some((Code::FieldType, "sklearn.class-name")));
        for bad in ["\"\"", "\"sklearn..linear\"", "\".sklearn\"", "\"sklearn.\"", "\"my package\"", "\"a.1b\""] {
            assert_eq!(rejects(&edit("\"sklearn.linear_model._logistic\"", bad)), Some((Code::ValueDomain, "sklearn.module")), "{bad}");
        }
        assert_eq!(rejects(&edit("\"sklearn.linear_model._logistic\"", "\"__main__\"")), None);
        assert_eq!(rejects(&edit("\"sklearn.linear_model._logistic\"", "[]")), Some((Code::FieldType, "sklearn.module")));
        assert_eq!(decode(&edit("\"1.9.1\"", "null")).map(|e| e.version).ok(), Some(None));
        assert_eq!(rejects(&edit("\"1.9.1\"", "\"\"")), Some((Code::ValueDomain, "sklearn.version")));
        assert_eq!(rejects(&edit("\"1.9.1\"", "1.9")), Some((Code::FieldType, "sklearn.version")));
        assert_eq!(rejects(&params("[]")), Some((Code::FieldType, "sklearn.params")));
        assert_eq!(rejects(&params("null")), Some((Code::FieldType, "sklearn.params")));
        assert_eq!(decode(&params("{}")).map(|e| e.params).ok(), Some(vec![]));
    }

    #[test]
    fn params_values_are_counted_before_anything_is_built() {
        for (span, n) in [("{}", 1), (r#"{"a": 1}"#, 2), (r#"{"a": [], "b": {}}"#, 3), (r#"{"a": [0, [1, {"x": null}]]}"#, 7),
                          (r#"{"a,[{": "]}\\", "b": "\",{"}"#, 3), ("{ \n }", 1), ("{\"a\": [ 0 , 0 ]}", 4)] {
            assert_eq!(count_values(span, n), None, "{span} holds {n}");
            assert_eq!(count_values(span, n - 1), Some(n - 1), "{span} holds more than {}", n - 1);
        }
        let big = params(&format!("{{\"a\": [{}0]}}", "0,".repeat(1 << 20)));
        assert_eq!(rejects(&big), Some((Code::LimitExceeded, "sklearn.params.size")));
        let fits = params(&format!("{{\"a\": [{}0]}}", "0,".repeat((1 << 20) - 3)));
        assert_eq!(decode(&fits).map(|e| e.params.len()).ok(), Some(1));
    }

    #[test]
    fn numbers_keep_their_kind() {
        let p = decode(&params(r#"{"a": 1, "b": 1.0, "c": 1e-06, "d": 2E3, "e": -0, "f": -0.0, "g": 9007199254740991}"#))
            .map(|e| e.params)
            .unwrap_or_else(|e| panic!("{e}"));
        let want = [
            ("a", TypedJson::Int(1)),
            ("b", TypedJson::Float(1.0)),
            ("c", TypedJson::Float(1e-6)),
            ("d", TypedJson::Float(2000.0)),
            ("e", TypedJson::Int(0)),
            ("f", TypedJson::Float(-0.0)),
            ("g", TypedJson::Int(9_007_199_254_740_991)),
        ];
        assert_eq!(p, want.map(|(k, v)| (k.to_string(), v)));
        for bad in ["9007199254740992", "-9007199254740993", "1e400", "-1.5e999", "100000000000000000000000"] {
            assert_eq!(rejects(&params(&format!("{{\"x\": [1, {{\"y\": {bad}}}]}}"))), Some((Code::ValueDomain, "sklearn.params.numbers")), "{bad}");
            assert_eq!(path(&params(&format!("{{\"x\": [1, {{\"y\": {bad}}}]}}"))).as_deref(), Some("/params/x/1/y"));
        }
        assert_eq!(rejects(&params(r#"{"x": 1e308}"#)), None);
    }

    #[test]
    fn the_tree_is_sorted_and_names_unescaped() {
        let p = decode(&params(r#"{"z": {"\u0062": [true, false, "s\"q"], "a": {}}, "Z": null}"#))
            .map(|e| e.params)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p,
            vec![
                ("Z".to_string(), TypedJson::Null),
                (
                    "z".to_string(),
                    TypedJson::Object(vec![
                        ("a".to_string(), TypedJson::Object(vec![])),
                        ("b".to_string(), TypedJson::Array(vec![TypedJson::Bool(true), TypedJson::Bool(false), TypedJson::String("s\"q".into())])),
                    ])
                ),
            ]
        );
        assert_eq!(rejects(&params(r#"{"a": 1, "\u0061": 2}"#)), Some((Code::JsonDuplicateKey, "json.duplicate-keys")));
    }

    #[test]
    fn envelopes_in_params_are_refused_after_every_number() {
        assert_eq!(rejects(&params(r#"{"__tywrap__": "ndarray"}"#)), Some((Code::NestedEnvelope, "sklearn.params.no-envelope")));
        assert_eq!(path(&params(r#"{"__tywrap__": "ndarray"}"#)).as_deref(), Some("/params/__tywrap__"));
        let deep = params(r#"{"steps": [["scaler", {"__tywrap__": "sklearn.estimator", "className": "StandardScaler"}]]}"#);
        assert_eq!(rejects(&deep), Some((Code::NestedEnvelope, "sklearn.params.no-envelope")));
        assert_eq!(path(&deep).as_deref(), Some("/params/steps/0/1/__tywrap__"));
        // a bad number anywhere, even after the envelope, is reported first
        let both = params(r#"{"a": {"__tywrap__": 1}, "b": 1e400}"#);
        assert_eq!(rejects(&both), Some((Code::ValueDomain, "sklearn.params.numbers")));
        // a name that only looks like the marker is plain data
        assert_eq!(rejects(&params(r#"{"x": {"__tywrap": 1, "tywrap__": 2}, "__tywrap__x": 3}"#)), None);
        assert_eq!(path(&params(r#"{"a/b~": {"__tywrap__": 1}}"#)).as_deref(), Some("/params/a~1b~0/__tywrap__"));
    }

    #[test]
    fn encode_writes_floats_with_a_fraction_or_exponent() {
        let e = decode(&params(r#"{"a": 1, "b": 1.0, "c": 1e-06, "d": -0.0, "e": [0.1, "x\n"], "f": {"g": null}}"#))
            .unwrap_or_else(|e| panic!("{e}"));
        let text = encode(&e, Encoding::Json).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            text.ends_with(r#""params":{"a":1,"b":1.0,"c":1e-6,"d":-0.0,"e":[0.1,"x\n"],"f":{"g":null}}}"#),
            "{text}"
        );
        assert_eq!(decode(&text).ok().as_ref(), Some(&e));
        assert_eq!(encode(&e, Encoding::Arrow).err().map(|e| e.code()), Some(Code::EncodingUnsupported));
    }

    #[test]
    fn encode_refuses_what_a_decoder_would_reject() {
        let base = decode(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        let refused = |change: &dyn Fn(&mut Estimator)| {
            let mut e = base.clone();
            change(&mut e);
            encode(&e, Encoding::Json).err().map(|e| e.code())
        };
        assert_eq!(refused(&|_| {}), None);
        assert_eq!(refused(&|e| e.params[0].1 = TypedJson::Float(f64::NAN)), Some(Code::ValueDomain));
        assert_eq!(refused(&|e| e.params[0].1 = TypedJson::Float(f64::NEG_INFINITY)), Some(Code::ValueDomain));
        assert_eq!(refused(&|e| e.params[0].1 = TypedJson::Int(1 << 53)), Some(Code::ValueDomain));
        assert_eq!(refused(&|e| e.params[0].1 = TypedJson::Int(-(1 << 53) + 1)), None);
        let nested = TypedJson::Object(vec![("__tywrap__".into(), TypedJson::String("ndarray".into()))]);
        assert_eq!(refused(&|e| e.params[0].1 = TypedJson::Array(vec![nested.clone()])), Some(Code::NestedEnvelope));
        // numbers are checked before envelopes, duplicates before both
        let both = TypedJson::Array(vec![nested.clone(), TypedJson::Float(f64::NAN)]);
        assert_eq!(refused(&|e| e.params[0].1 = both.clone()), Some(Code::ValueDomain));
        let dup = TypedJson::Object(vec![("k".into(), TypedJson::Null), ("k".into(), TypedJson::Float(f64::NAN))]);
        assert_eq!(refused(&|e| e.params[0].1 = dup.clone()), Some(Code::JsonDuplicateKey));
        assert_eq!(refused(&|e| e.params.push(("C".into(), TypedJson::Null))), Some(Code::JsonDuplicateKey));
        assert_eq!(refused(&|e| e.class_name = "a.B".into()), Some(Code::ValueDomain));
        assert_eq!(refused(&|e| e.module = "sklearn.".into()), Some(Code::ValueDomain));
        assert_eq!(refused(&|e| e.version = Some(String::new())), Some(Code::ValueDomain));
        assert_eq!(refused(&|e| e.version = None), None);
        let mut deep = TypedJson::Null;
        for _ in 0..200 {
            deep = TypedJson::Array(vec![deep]);
        }
        assert_eq!(refused(&|e| e.params[0].1 = deep.clone()), Some(Code::LimitExceeded));
    }
}
