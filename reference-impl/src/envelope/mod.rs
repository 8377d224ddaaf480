//! The envelope's common members (`spec/src/envelope.md`) and dispatch to
//! the marker's module: one module per envelope kind.

mod fields;
pub(crate) mod ndarray;
mod sklearn;
mod sparse;
mod torch;

use crate::error::{Code, Error, Result};
use crate::json::{Document, Json, Member, number_value, object_members, parse_document};
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

/// An ndarray payload encoding: the `encoding` of an `ndarray` envelope, and
/// of the ndarray envelope nested in a `torch.tensor`.
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

/// The markers this version defines ([envelope.marker]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    NdArray,
    Sparse,
    Tensor,
    Estimator,
}

impl Marker {
    fn parse(s: &str) -> Option<Marker> {
        Some(match s {
            "ndarray" => Marker::NdArray,
            "scipy.sparse" => Marker::Sparse,
            "torch.tensor" => Marker::Tensor,
            "sklearn.estimator" => Marker::Estimator,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Marker::NdArray => "ndarray",
            Marker::Sparse => "scipy.sparse",
            Marker::Tensor => "torch.tensor",
            Marker::Estimator => "sklearn.estimator",
        }
    }

    /// The `encoding` values the marker's page lists, and that clause.
    fn encodings(self) -> (&'static [&'static str], &'static str) {
        match self {
            Marker::NdArray => (&["arrow", "json"], "ndarray.encodings"),
            Marker::Sparse => (&["json"], "sparse.encodings"),
            Marker::Tensor => (&["ndarray"], "torch.encodings"),
            Marker::Estimator => (&["json"], "sklearn.encodings"),
        }
    }

    /// The members besides the common ones that the marker's page lists
    /// for `encoding` ([envelope.unknown-fields]).
    fn members(self, encoding: &str) -> &'static [&'static str] {
        match self {
            Marker::NdArray => ndarray::members(if encoding == "arrow" { Encoding::Arrow } else { Encoding::Json }),
            Marker::Sparse => sparse::MEMBERS,
            Marker::Tensor => torch::MEMBERS,
            Marker::Estimator => sklearn::MEMBERS,
        }
    }
}

/// An envelope's members, looked up by name.
pub(crate) struct Members<'a> {
    list: Vec<Member<'a>>,
}

impl<'a> Members<'a> {
    /// The members of an object span that the JSON layer validated.
    pub(crate) fn read(span: &'a str) -> Result<Members<'a>> {
        Ok(Members { list: object_members(span)? })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Json<'a>> {
        self.list.iter().find(|(k, _, _)| k == name).map(|(_, v, _)| v)
    }

    /// The member's value and its text.
    pub(crate) fn get_with_text(&self, name: &str) -> Option<(&Json<'a>, &'a str)> {
        self.list.iter().find(|(k, _, _)| k == name).map(|(_, v, t)| (v, *t))
    }

    /// The names, in document order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|(k, _, _)| k.as_ref())
    }
}

pub(crate) fn field_type(clause: &'static str, name: &str, want: &str, got: &Json<'_>) -> Error {
    Error::new(Code::FieldType, clause, format!("{name} must be {want}, not {}", got.type_name())).at(format!("/{name}"))
}

pub(crate) fn missing(clause: &'static str, name: &str, why: &str) -> Error {
    Error::new(Code::MissingField, clause, format!("{name} is required{why}")).at(format!("/{name}"))
}

/// A string member: `None` when absent, `E_FIELD_TYPE` under `clause` when
/// not a string.
pub(crate) fn string_member<'m>(m: &'m Members<'_>, name: &str, clause: &'static str) -> Result<Option<&'m str>> {
    match m.get(name) {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.as_ref())),
        Some(other) => Err(field_type(clause, name, "a string", other)),
    }
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
    decode_members(&members, limits)
}

/// Decodes an envelope from its members: the common checks in processing
/// order ([envelope.object] to [envelope.unknown-fields]), then the marker's page.
pub(crate) fn decode_members(members: &Members<'_>, limits: &Limits) -> Result<Value> {
    let marker = members.get("__tywrap__").ok_or_else(|| {
        Error::new(Code::NotEnvelope, "envelope.object", "the object has no __tywrap__ member")
    })?;
    let marker = match marker {
        Json::String(s) => s.as_ref(),
        other => return Err(field_type("envelope.marker", "__tywrap__", "a string", other)),
    };
    let Some(marker) = Marker::parse(marker) else {
        return Err(Error::new(
            Code::UnknownMarker,
            "envelope.marker",
            format!(
                "unknown marker {marker:?}; this version defines \"ndarray\", \"scipy.sparse\", \"torch.tensor\" and \"sklearn.estimator\""
            ),
        )
        .at("/__tywrap__"));
    };
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
    let Some(encoding) = string_member(members, "encoding", "envelope.encoding")? else {
        return Err(missing("envelope.encoding", "encoding", ""));
    };
    let (encodings, clause) = marker.encodings();
    if !encodings.contains(&encoding) {
        return Err(Error::new(
            Code::EncodingUnsupported,
            clause,
            format!("encoding {encoding:?} is not defined for {} ({})", marker.name(), encodings.join(" or ")),
        )
        .at("/encoding"));
    }
    let allowed = marker.members(encoding);
    for name in members.names() {
        let common = matches!(name, "__tywrap__" | "codecVersion" | "encoding");
        if !(common || name.starts_with("x-") || allowed.contains(&name)) {
            let whose = match marker {
                Marker::NdArray => format!("an ndarray envelope with encoding {encoding:?}"),
                other => format!("a {} envelope", other.name()),
            };
            return Err(Error::new(
                Code::UnknownField,
                "envelope.unknown-fields",
                format!("member {name:?} is not allowed in {whose}"),
            )
            .at(format!("/{name}")));
        }
    }
    match marker {
        Marker::NdArray => {
            let encoding = if encoding == "arrow" { Encoding::Arrow } else { Encoding::Json };
            ndarray::decode(members, version, encoding, limits).map(Value::NdArray)
        }
        Marker::Sparse => sparse::decode(members, version, limits).map(Value::Sparse),
        Marker::Tensor => torch::decode(members, version, limits).map(Value::Tensor),
        Marker::Estimator => sklearn::decode(members, version, limits).map(Value::Estimator),
    }
}

/// Encodes a value as an envelope's JSON text. `encoding` is the payload
/// encoding: for a tensor, that of its nested ndarray envelope; a sparse
/// matrix and an estimator have only `json`.
pub fn encode(value: &Value, encoding: Encoding) -> Result<String> {
    match value {
        Value::NdArray(a) => ndarray::encode(a, encoding),
        Value::Sparse(s) => sparse::encode(s, encoding),
        Value::Tensor(t) => torch::encode(t, encoding),
        Value::Estimator(e) => sklearn::encode(e, encoding),
    }
}

/// Refuses `encoding` for a marker whose page lists only `json`.
fn json_only(encoding: Encoding, marker: Marker) -> Result<()> {
    let (_, clause) = marker.encodings();
    match encoding {
        Encoding::Json => Ok(()),
        Encoding::Arrow => Err(Error::new(
            Code::EncodingUnsupported,
            clause,
            format!("{} envelopes have only the json encoding", marker.name()),
        )),
    }
}
