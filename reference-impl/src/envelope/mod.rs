//! The envelope's common members (`spec/src/envelope.md`) and dispatch to
//! the marker's module: one module per envelope kind. An envelope is read
//! from JSON text or from a frame's header by the same code: the marker
//! modules take a [`Place`], which says where their payload members are, and
//! differ only at the payload (`spec/src/frame.md`, [frame.envelope]).

pub(crate) mod dataframe;
mod fields;
pub(crate) mod ndarray;
pub(crate) mod series;
mod sklearn;
mod sparse;
pub(crate) mod table;
#[cfg(test)]
mod table_tests;
mod torch;

use std::borrow::Cow;
use std::cell::{Cell, RefCell};

use crate::error::{Code, Error, Result};
use crate::frame::{self, FrameView};
use crate::json::{Defer, Deferred, Document, Json, Member, number_value, object_members, parse_document_deferring};
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

/// A payload encoding, as an encoder is asked for it and as the harness
/// protocol names it: the `encoding` of an `ndarray` envelope, and of the
/// ndarray envelope nested in a `torch.tensor`; `Frame` asks for the whole
/// value as a frame, of any marker ([frame.encode]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Base64 of an Arrow IPC stream.
    Arrow,
    /// Plain JSON.
    Json,
    /// A frame: the payload in buffers after a JSON header (`spec/src/frame.md`).
    Frame,
}

impl Encoding {
    /// The spelling in `encoding` members and in the harness protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Arrow => "arrow",
            Encoding::Json => "json",
            Encoding::Frame => "frame",
        }
    }
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "arrow" => Ok(Encoding::Arrow),
            "json" => Ok(Encoding::Json),
            "frame" => Ok(Encoding::Frame),
            _ => Err(format!("unknown encoding {s:?} (expected arrow, json or frame)")),
        }
    }
}

/// Where an envelope's payload members are: inline in its JSON text (with
/// the allocation an arrow payload's base64 is decoded into, empty unless
/// the caller handed one back: [`decode_reusing`]), or in the buffers of the
/// frame whose header it is.
#[derive(Clone, Copy)]
pub(crate) enum Place<'p, 'a> {
    Text(&'p Cell<Vec<u8>>),
    Frame(&'p Buffers<'p, 'a>),
}

/// A frame's buffers as the envelope refers to them ([frame.references]):
/// each may be referred to once, and all must be.
pub(crate) struct Buffers<'v, 'a> {
    view: &'v FrameView<'a>,
    referred: RefCell<Vec<usize>>,
}

impl<'a> Buffers<'_, 'a> {
    /// The buffer the member `name` refers to: an integer (`E_FIELD_TYPE`)
    /// naming a buffer not yet referred to (`E_FRAME_LAYOUT`).
    pub(crate) fn take(&self, name: &str, member: &Json<'_>) -> Result<&'a [u8]> {
        let clause = "frame.references";
        let index = match member {
            Json::Number(t) => number_value(t).filter(|v| v.fract() == 0.0),
            _ => None,
        };
        let Some(index) = index else {
            let what = match member {
                Json::Number(t) => format!("the number {t}"),
                other => other.type_name().to_string(),
            };
            return Err(Error::new(
                Code::FieldType,
                clause,
                format!("{name} must be the index of a buffer, an integer, not {what}"),
            )
            .at(format!("/{name}")));
        };
        let count = self.view.buffer_count();
        let buffer = (index >= 0.0 && index < count as f64).then(|| self.view.buffer(index as usize)).flatten();
        let Some(buffer) = buffer else {
            return Err(Error::new(
                Code::FrameLayout,
                clause,
                match count {
                    0 => format!("{name} refers to buffer {index}, but the frame has no buffers"),
                    1 => format!("{name} refers to buffer {index}, but the frame has one, buffer 0"),
                    n => format!("{name} refers to buffer {index}, but the frame has {n}, 0 to {}", n - 1),
                },
            )
            .at(format!("/{name}")));
        };
        let i = index as usize;
        let mut referred = self.referred.borrow_mut();
        if referred.contains(&i) {
            return Err(Error::new(
                Code::FrameLayout,
                clause,
                format!("{name} refers to buffer {i}, which another member already refers to"),
            )
            .at(format!("/{name}")));
        }
        referred.push(i);
        Ok(buffer.bytes())
    }

    /// Once the envelope is decoded: every buffer was referred to.
    fn all_referred(&self) -> Result<()> {
        let referred = self.referred.borrow();
        match (0..self.view.buffer_count()).find(|i| !referred.contains(i)) {
            None => Ok(()),
            Some(i) => Err(Error::new(
                Code::FrameLayout,
                "frame.references",
                format!("no member refers to buffer {i}; a frame carries only what its envelope names"),
            )
            .at(format!("/buffers/{i}"))),
        }
    }
}

/// The buffers an encoder writes into a frame, numbered in the order its
/// members refer to them ([frame.encode]).
#[derive(Default)]
pub(crate) struct FrameOut<'v> {
    buffers: Vec<Cow<'v, [u8]>>,
}

impl<'v> FrameOut<'v> {
    /// Adds a buffer; its index, for the member that refers to it.
    pub(crate) fn push(&mut self, bytes: Cow<'v, [u8]>) -> usize {
        self.buffers.push(bytes);
        self.buffers.len() - 1
    }
}

/// The markers this version defines ([envelope.marker]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    NdArray,
    Sparse,
    Tensor,
    Estimator,
    DataFrame,
    Series,
}

impl Marker {
    fn parse(s: &str) -> Option<Marker> {
        Some(match s {
            "ndarray" => Marker::NdArray,
            "scipy.sparse" => Marker::Sparse,
            "torch.tensor" => Marker::Tensor,
            "sklearn.estimator" => Marker::Estimator,
            "dataframe" => Marker::DataFrame,
            "series" => Marker::Series,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Marker::NdArray => "ndarray",
            Marker::Sparse => "scipy.sparse",
            Marker::Tensor => "torch.tensor",
            Marker::Estimator => "sklearn.estimator",
            Marker::DataFrame => "dataframe",
            Marker::Series => "series",
        }
    }

    /// The `encoding` values the marker's page lists for JSON text or for a
    /// frame's header, and that clause.
    fn encodings(self, in_frame: bool) -> (&'static [&'static str], &'static str) {
        match (self, in_frame) {
            (Marker::NdArray, false) => (&["arrow", "json"], "ndarray.encodings"),
            (Marker::NdArray, true) => (&["frame"], "ndarray.encodings"),
            (Marker::Sparse, false) => (&["json"], "sparse.encodings"),
            (Marker::Sparse, true) => (&["frame"], "sparse.encodings"),
            (Marker::Tensor, _) => (&["ndarray"], "torch.encodings"),
            (Marker::Estimator, _) => (&["json"], "sklearn.encodings"),
            (Marker::DataFrame, false) => (&["arrow", "json"], "dataframe.encodings"),
            (Marker::DataFrame, true) => (&["frame"], "dataframe.encodings"),
            (Marker::Series, false) => (&["arrow", "json"], "series.encodings"),
            (Marker::Series, true) => (&["frame"], "series.encodings"),
        }
    }

    /// The members besides the common ones that the marker's page lists
    /// for `encoding` ([envelope.unknown-fields]).
    fn members(self, encoding: &str) -> &'static [&'static str] {
        match self {
            Marker::NdArray => ndarray::members(encoding.parse().unwrap_or(Encoding::Json)),
            Marker::Sparse => sparse::MEMBERS,
            Marker::Tensor => torch::MEMBERS,
            Marker::Estimator => sklearn::MEMBERS,
            Marker::DataFrame => dataframe::members(encoding),
            Marker::Series => series::members(encoding),
        }
    }
}

/// An envelope's members, looked up by name.
pub(crate) struct Members<'a> {
    list: Vec<Member<'a>>,
    /// A member of the JSON text located but not yet validated ([`DEFER`]).
    deferred: Option<Deferred<'a>>,
}

/// The member whose validation waits for its decoding, so that the text is
/// read once: the `data` of an `ndarray`, a `series` or a `dataframe` json
/// envelope (`spec/src/ndarray.md`, `series.md`, `dataframe.md`), or of the json ndarray
/// envelope a `torch.tensor` holds in `value`, when the marker and the
/// encoding come before it (as encoders write them). Whatever the envelope,
/// [`decode_reusing`] validates it before it returns.
const DEFER: &[Defer] = &[
    Defer { name: "data", after: &[("__tywrap__", &["ndarray", "series", "dataframe"]), ("encoding", &["json"])], within: None },
    Defer { name: "value", after: &[("__tywrap__", &["torch.tensor"])], within: Some(&NESTED_DATA) },
];

/// A `torch.tensor`'s nested json ndarray envelope's `data` ([`DEFER`]).
const NESTED_DATA: Defer = Defer { name: "data", after: &[("__tywrap__", &["ndarray"]), ("encoding", &["json"])], within: None };

impl<'a> Members<'a> {
    /// The members of a frame's header, `buffers` taken out.
    fn of_frame(view: &FrameView<'a>) -> Members<'a> {
        Members { list: view.members().to_vec(), deferred: None }
    }

    /// The members of an object span that the JSON layer validated, but
    /// for the member it deferred, if that is one of them.
    pub(crate) fn nested(&self, span: &'a str) -> Result<Members<'a>> {
        Ok(Members { list: object_members(span)?, deferred: self.deferred.clone() })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Json<'a>> {
        self.list.iter().find(|(k, _, _)| k == name).map(|(_, v, _)| v)
    }

    /// The member's value and its text.
    pub(crate) fn get_with_text(&self, name: &str) -> Option<(&Json<'a>, &'a str)> {
        self.list.iter().find(|(k, _, _)| k == name).map(|(_, v, t)| (v, *t))
    }

    /// The member `name` when it is the deferred one: its value is a span
    /// that the caller validates as it reads it ([`Deferred::reader`]).
    pub(crate) fn deferred(&self, name: &str) -> Option<&Deferred<'a>> {
        let d = self.deferred.as_ref()?;
        matches!(self.get(name), Some(Json::Array(span)) if d.is(span)).then_some(d)
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

/// Decodes an envelope from its bytes: a frame when the first byte is `c1`
/// ([frame.detect]), JSON text otherwise.
pub fn decode(input: &[u8], limits: &Limits) -> Result<Value> {
    decode_reusing(input, limits, Vec::new())
}

/// As [`decode`], but an arrow payload's base64 (an `ndarray`'s, or a
/// `torch.tensor`'s nested array's) is decoded into `buffer`'s allocation,
/// cleared first, instead of a fresh one, and becomes the value's data. A
/// bridge that decodes many envelopes hands back the data of a value it is
/// done with (`NdArray::data`): a fresh allocation's pages are mapped and
/// zeroed by the kernel on first touch, which costs more than the decoding
/// (README, Benchmarks). With any other input `buffer` is dropped. The
/// result is the same as `decode`'s, byte for byte.
pub fn decode_reusing(input: &[u8], limits: &Limits, buffer: Vec<u8>) -> Result<Value> {
    if frame::is_frame(input) {
        return decode_frame(&frame::read(input, limits)?, limits);
    }
    limits.input_bytes(input.len())?;
    let members = match parse_document_deferring(input, limits.max_depth, DEFER)? {
        (Document::Object(list), deferred) => Members { list, deferred },
        (Document::Other(what), _) => {
            return Err(Error::new(Code::NotEnvelope, "envelope.object", format!("the value is {what}, not an envelope object")));
        }
    };
    let value = decode_members(&members, limits, Place::Text(&Cell::new(buffer)));
    // A fault of the JSON text comes before every other ([json.syntax]):
    // the deferred member is validated (unless its decoding did) before
    // anything is reported.
    if let Some(d) = &members.deferred {
        d.check()?;
    }
    value
}

/// Decodes the envelope in a frame's header, its payload members referring
/// to the frame's buffers ([frame.envelope]); copies each buffer once, into
/// the value. Every buffer must have been referred to ([frame.references]).
pub fn decode_frame(view: &FrameView<'_>, limits: &Limits) -> Result<Value> {
    let buffers = Buffers { view, referred: RefCell::new(Vec::new()) };
    let value = decode_members(&Members::of_frame(view), limits, Place::Frame(&buffers))?;
    buffers.all_referred()?;
    Ok(value)
}

/// Decodes an envelope from its members: the common checks in processing
/// order ([envelope.object] to [envelope.unknown-fields]), then the marker's page.
pub(crate) fn decode_members(members: &Members<'_>, limits: &Limits, place: Place<'_, '_>) -> Result<Value> {
    let in_frame = matches!(place, Place::Frame(_));
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
                "unknown marker {marker:?}; this version defines \"ndarray\", \"scipy.sparse\", \"torch.tensor\", \"sklearn.estimator\", \"dataframe\" and \"series\""
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
    if in_frame && version == Version::V0 {
        return Err(Error::new(
            Code::CodecVersion,
            "frame.codec-version",
            "a frame's header must have codecVersion: frames have no legacy v0 form",
        )
        .at("/codecVersion"));
    }
    let Some(encoding) = string_member(members, "encoding", "envelope.encoding")? else {
        return Err(missing("envelope.encoding", "encoding", ""));
    };
    let (encodings, clause) = marker.encodings(in_frame);
    if !encodings.contains(&encoding) {
        let (other, _) = marker.encodings(!in_frame);
        let (here, there) = if in_frame { ("in a frame's header", "in JSON text") } else { ("in JSON text", "in a frame's header") };
        let why = if other.contains(&encoding) {
            format!("encoding {encoding:?} is for {} envelopes {there}; {here} it is {}", marker.name(), encodings.join(" or "))
        } else if other == encodings {
            format!("encoding {encoding:?} is not defined for {} ({})", marker.name(), encodings.join(" or "))
        } else {
            format!("encoding {encoding:?} is not defined for {} {here} ({})", marker.name(), encodings.join(" or "))
        };
        return Err(Error::new(Code::EncodingUnsupported, clause, why).at("/encoding"));
    }
    let allowed = marker.members(encoding);
    for name in members.names() {
        let common = matches!(name, "__tywrap__" | "codecVersion" | "encoding");
        if !(common || name.starts_with("x-") || allowed.contains(&name)) {
            let whose = match marker {
                Marker::NdArray | Marker::DataFrame | Marker::Series => {
                format!("a{} {} envelope with encoding {encoding:?}", if marker == Marker::NdArray { "n" } else { "" }, marker.name())
            }
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
            let encoding = encoding.parse().unwrap_or(Encoding::Json);
            ndarray::decode(members, version, encoding, limits, place).map(Value::NdArray)
        }
        Marker::Sparse => sparse::decode(members, version, limits, place).map(Value::Sparse),
        Marker::Tensor => torch::decode(members, version, limits, place).map(Value::Tensor),
        Marker::Estimator => sklearn::decode(members, version, limits).map(Value::Estimator),
        Marker::DataFrame => dataframe::decode(members, version, encoding, limits, place).map(Value::DataFrame),
        Marker::Series => series::decode(members, version, encoding, limits, place).map(Value::Series),
    }
}

/// Encodes a value as an envelope's bytes: its JSON text (UTF-8) for `arrow`
/// and `json`, a frame for `frame` ([frame.encode]). `encoding` is the
/// payload encoding: for a tensor, that of its nested ndarray envelope; a
/// sparse matrix and an estimator have `json` and `frame` only. What a
/// decoder would reject is refused, with the code it would give.
pub fn encode(value: &Value, encoding: Encoding) -> Result<Vec<u8>> {
    let mut out = FrameOut::default();
    let header = match value {
        Value::NdArray(a) => ndarray::encode(a, encoding, &mut out)?,
        Value::Sparse(s) => sparse::encode(s, encoding, &mut out)?,
        Value::Tensor(t) => torch::encode(t, encoding, &mut out)?,
        Value::Estimator(e) => sklearn::encode(e, encoding)?,
        Value::DataFrame(d) => dataframe::encode(d, encoding, &mut out)?,
        Value::Series(s) => series::encode(s, encoding, &mut out)?,
    };
    match encoding {
        Encoding::Frame => {
            let buffers: Vec<&[u8]> = out.buffers.iter().map(|b| b.as_ref()).collect();
            frame::write(&header, &buffers)
        }
        Encoding::Arrow | Encoding::Json => Ok(header.into_bytes()),
    }
}

/// Refuses `arrow` for a marker whose page lists only `json` (and `frame`).
fn no_arrow(encoding: Encoding, marker: Marker) -> Result<()> {
    let (_, clause) = marker.encodings(false);
    match encoding {
        Encoding::Json | Encoding::Frame => Ok(()),
        Encoding::Arrow => Err(Error::new(
            Code::EncodingUnsupported,
            clause,
            format!("{} envelopes have only the json and frame encodings", marker.name()),
        )),
    }
}
