//! The envelope's common members (`spec/src/envelope.md`) and dispatch to
//! the marker's module.

pub(crate) mod ndarray;

use crate::error::{Code, Error, Result};
use crate::json::{Document, Json, Member, number_value, parse_document};
use crate::limits::Limits;
use crate::value::Value;

/// The envelope version: version 1, or the legacy v0 form without `codecVersion`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// No `codecVersion` member ([envelope.legacy-v0]).
    V0,
    /// `codecVersion: 1`.
    V1,
}

/// A payload encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Base64 of an Arrow IPC stream.
    Arrow,
    /// Plain JSON.
    Json,
}

impl Encoding {
    /// The `encoding` member's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Arrow => "arrow",
            Encoding::Json => "json",
        }
    }
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "arrow" => Ok(Encoding::Arrow),
            "json" => Ok(Encoding::Json),
            _ => Err(format!("unknown encoding {s:?} (expected arrow or json)")),
        }
    }
}

/// The top-level members, looked up by name.
pub(crate) struct Members<'a> {
    list: Vec<Member<'a>>,
}

impl<'a> Members<'a> {
    pub(crate) fn get(&self, name: &str) -> Option<&Json<'a>> {
        self.list.iter().find(|(k, _, _)| k == name).map(|(_, v, _)| v)
    }

    /// The member's value and its text.
    pub(crate) fn get_with_text(&self, name: &str) -> Option<(&Json<'a>, &'a str)> {
        self.list.iter().find(|(k, _, _)| k == name).map(|(_, v, t)| (v, *t))
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|(k, _, _)| k.as_ref())
    }
}

pub(crate) fn field_type(clause: &'static str, name: &str, want: &str, got: &Json<'_>) -> Error {
    Error::new(Code::FieldType, clause, format!("{name} must be {want}, not {}", got.type_name())).at(format!("/{name}"))
}

pub(crate) fn missing(clause: &'static str, name: &str, why: &str) -> Error {
    Error::new(Code::MissingField, clause, format!("{name} is required{why}")).at(format!("/{name}"))
}

/// Decodes an envelope from its JSON text.
pub fn decode(input: &[u8], limits: &Limits) -> Result<Value> {
    limits.input_bytes(input.len())?;
    let members = match parse_document(input, limits.max_depth)? {
        Document::Object(list) => Members { list },
        Document::Other(what) => {
            return Err(Error::new(Code::NotEnvelope, "envelope.object", format!("the value is {what}, not an envelope object")));
        }
    };
    let marker = members.get("__tywrap__").ok_or_else(|| {
        Error::new(Code::NotEnvelope, "envelope.object", "the object has no __tywrap__ member")
    })?;
    let marker = match marker {
        Json::String(s) => s.as_ref(),
        other => return Err(field_type("envelope.marker", "__tywrap__", "a string", other)),
    };
    if marker != "ndarray" {
        return Err(Error::new(
            Code::UnknownMarker,
            "envelope.marker",
            format!("unknown marker {marker:?}; this version defines \"ndarray\""),
        )
        .at("/__tywrap__"));
    }
    let version = match members.get("codecVersion") {
        None => Version::V0,
        Some(Json::Number(t)) if number_value(t) == Some(1.0) => Version::V1,
        Some(other) => {
            let why = match other {
                Json::Number(t) if number_value(t).is_some() => format!("codecVersion {t} is not supported; this decoder reads version 1"),
                Json::Number(t) => format!("codecVersion {t} is not a number with a value"),
                Json::String(s) => format!("codecVersion must be the number 1, not the string {s:?}"),
                other => format!("codecVersion must be the number 1, not {}", other.type_name()),
            };
            return Err(Error::new(Code::CodecVersion, "envelope.codec-version", why)
            .at("/codecVersion"));
        }
    };
    let encoding = match members.get("encoding") {
        None => return Err(missing("envelope.encoding", "encoding", "")),
        Some(Json::String(s)) => s.as_ref(),
        Some(other) => return Err(field_type("envelope.encoding", "encoding", "a string", other)),
    };
    let encoding: Encoding = encoding.parse().map_err(|_| {
        Error::new(
            Code::EncodingUnsupported,
            "ndarray.encodings",
            format!("encoding {encoding:?} is not defined for ndarray (arrow or json)"),
        )
        .at("/encoding")
    })?;
    let allowed = ndarray::members(encoding);
    for name in members.names() {
        let common = matches!(name, "__tywrap__" | "codecVersion" | "encoding");
        if !(common || name.starts_with("x-") || allowed.contains(&name)) {
            return Err(Error::new(
                Code::UnknownField,
                "envelope.unknown-fields",
                format!("member {name:?} is not allowed in an ndarray envelope with encoding {:?}", encoding.as_str()),
            )
            .at(format!("/{name}")));
        }
    }
    ndarray::decode(&members, version, encoding, limits).map(Value::NdArray)
}

/// Encodes a value as an envelope's JSON text.
pub fn encode(value: &Value, encoding: Encoding) -> Result<String> {
    match value {
        Value::NdArray(a) => ndarray::encode(a, encoding),
    }
}
