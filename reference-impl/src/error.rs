//! The one error type, whose codes are the specification's closed list
//! (`spec/src/errors.md`).

use std::fmt;

/// A stable error code from the specification's closed list.
///
/// The string form ([`Code::as_str`]) is what appears in vectors, error
/// objects and the harness protocol; it never changes meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Code {
    /// The input is not one well-formed UTF-8 JSON value.
    JsonSyntax,
    /// An object has two members with one name.
    JsonDuplicateKey,
    /// The value is not an object with a `__tywrap__` member.
    NotEnvelope,
    /// `__tywrap__` names no envelope this version defines.
    UnknownMarker,
    /// `codecVersion` is present and is not the number 1.
    CodecVersion,
    /// `encoding` is not one the marker defines.
    EncodingUnsupported,
    /// A required member is absent.
    MissingField,
    /// A member has the wrong JSON type.
    FieldType,
    /// A member the envelope may not have.
    UnknownField,
    /// The dtype is not in the table, or not allowed with this encoding.
    DtypeUnsupported,
    /// A shape entry is not an integer in `[0, 2^53-1]`.
    ShapeInvalid,
    /// The payload holds a different number or arrangement of elements.
    ShapeMismatch,
    /// A value is outside what the dtype can hold exactly.
    ValueDomain,
    /// The payload text is not canonical padded standard base64.
    Base64,
    /// The payload is not one well-formed Arrow IPC stream of the allowed form.
    ArrowPayload,
    /// The Arrow schema is not exactly one plain column named `value`.
    ArrowSchema,
    /// The payload's type is not the type the envelope declares (the Arrow
    /// column's type, a torch tensor's nested dtype).
    DtypeMismatch,
    /// The Arrow column has nulls.
    ArrowNulls,
    /// A limit was passed.
    LimitExceeded,
    /// A sparse matrix's `format` is not `csr`, `csc` or `coo`.
    FormatUnsupported,
    /// A sparse matrix's index arrays are inconsistent.
    SparseIndex,
    /// A member holds an envelope where it must not, or not the one it must.
    NestedEnvelope,
    /// A tensor's `device` is not `cpu`.
    DeviceUnsupported,
    /// The input starts with `c1`, a frame's first byte, but not with the
    /// whole frame signature ([frame.signature]).
    FrameSignature,
    /// A frame's version is not 1 ([frame.version]).
    FrameVersion,
    /// A frame's prefix, buffers, padding or buffer references are not its
    /// one layout ([frame.header-length], [frame.buffers], [frame.padding],
    /// [frame.references]).
    FrameLayout,
    /// In the flame profile, the input is what flamepy would unpickle
    /// (`FLM\x00`, or no `FLM` prefix): recognised and refused, never
    /// unpickled ([flame.pickle]).
    PickleRefused,
    /// In the flame profile, the input is `FLM` with no tag byte or a tag
    /// flamepy 0.6.0 does not write ([flame.tag]).
    FlameTag,
    /// A table's or series' column has a type outside the closed list, or
    /// json cells of more than one kind ([dataframe.column-types],
    /// [dataframe.json.types]).
    ColumnType,
    /// The `pandas` metadata of a dataframe's Arrow schema is not the JSON
    /// the dataframe page reads, or disagrees with the table
    /// ([dataframe.pandas.metadata], [dataframe.pandas.index]).
    PandasMetadata,
}

impl Code {
    /// Every code, in the order of the specification's table.
    pub const ALL: &'static [Code] = &[
        Code::JsonSyntax,
        Code::JsonDuplicateKey,
        Code::NotEnvelope,
        Code::UnknownMarker,
        Code::CodecVersion,
        Code::EncodingUnsupported,
        Code::MissingField,
        Code::FieldType,
        Code::UnknownField,
        Code::DtypeUnsupported,
        Code::ShapeInvalid,
        Code::ShapeMismatch,
        Code::ValueDomain,
        Code::Base64,
        Code::ArrowPayload,
        Code::ArrowSchema,
        Code::DtypeMismatch,
        Code::ArrowNulls,
        Code::LimitExceeded,
        Code::FormatUnsupported,
        Code::SparseIndex,
        Code::NestedEnvelope,
        Code::DeviceUnsupported,
        Code::FrameSignature,
        Code::FrameVersion,
        Code::FrameLayout,
        Code::PickleRefused,
        Code::ColumnType,
        Code::PandasMetadata,
        Code::FlameTag,
    ];

    /// The code as the specification spells it, e.g. `"E_SHAPE_MISMATCH"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::JsonSyntax => "E_JSON_SYNTAX",
            Code::JsonDuplicateKey => "E_JSON_DUPLICATE_KEY",
            Code::NotEnvelope => "E_NOT_ENVELOPE",
            Code::UnknownMarker => "E_UNKNOWN_MARKER",
            Code::CodecVersion => "E_CODEC_VERSION",
            Code::EncodingUnsupported => "E_ENCODING_UNSUPPORTED",
            Code::MissingField => "E_MISSING_FIELD",
            Code::FieldType => "E_FIELD_TYPE",
            Code::UnknownField => "E_UNKNOWN_FIELD",
            Code::DtypeUnsupported => "E_DTYPE_UNSUPPORTED",
            Code::ShapeInvalid => "E_SHAPE_INVALID",
            Code::ShapeMismatch => "E_SHAPE_MISMATCH",
            Code::ValueDomain => "E_VALUE_DOMAIN",
            Code::Base64 => "E_BASE64",
            Code::ArrowPayload => "E_ARROW_PAYLOAD",
            Code::ArrowSchema => "E_ARROW_SCHEMA",
            Code::DtypeMismatch => "E_DTYPE_MISMATCH",
            Code::ArrowNulls => "E_ARROW_NULLS",
            Code::LimitExceeded => "E_LIMIT_EXCEEDED",
            Code::FormatUnsupported => "E_FORMAT_UNSUPPORTED",
            Code::SparseIndex => "E_SPARSE_INDEX",
            Code::NestedEnvelope => "E_NESTED_ENVELOPE",
            Code::DeviceUnsupported => "E_DEVICE_UNSUPPORTED",
            Code::FrameSignature => "E_FRAME_SIGNATURE",
            Code::FrameVersion => "E_FRAME_VERSION",
            Code::FrameLayout => "E_FRAME_LAYOUT",
            Code::PickleRefused => "E_PICKLE_REFUSED",
            Code::FlameTag => "E_FLAME_TAG",
            Code::ColumnType => "E_COLUMN_TYPE",
            Code::PandasMetadata => "E_PANDAS_METADATA",
        }
    }

    /// Parses the specification's spelling of a code.
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejection: a [`Code`] for machines, a message for people, and the id of
/// the clause the input broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    repr: Box<Repr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Repr {
    code: Code,
    clause: &'static str,
    message: String,
    path: Option<String>,
}

impl Error {
    /// A new error for `clause`, with a lowercase message without a final period.
    pub fn new(code: Code, clause: &'static str, message: impl Into<String>) -> Error {
        Error { repr: Box::new(Repr { code, clause, message: message.into(), path: None }) }
    }

    /// The same error, pointing at a member (a JSON Pointer such as `/shape/0`).
    pub fn at(mut self, path: impl Into<String>) -> Error {
        self.repr.path = Some(path.into());
        self
    }

    /// The same error, reported from inside the member at `prefix` (a JSON
    /// Pointer such as `/value`): its path moves under that member.
    pub(crate) fn under(mut self, prefix: &str) -> Error {
        let path = match self.repr.path.take() {
            Some(p) => format!("{prefix}{p}"),
            None => prefix.to_string(),
        };
        self.repr.path = Some(path);
        self
    }

    /// The stable code.
    pub fn code(&self) -> Code {
        self.repr.code
    }

    /// The id of the clause the input broke, e.g. `ndarray.arrow.length`.
    pub fn clause(&self) -> &'static str {
        self.repr.clause
    }

    /// The message, for people.
    pub fn message(&self) -> &str {
        &self.repr.message
    }

    /// A JSON Pointer to the offending member, where there is one.
    pub fn path(&self) -> Option<&str> {
        self.repr.path.as_deref()
    }

    /// The error object of `schemas/v1/error.schema.json`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("code".into(), self.code().as_str().into());
        m.insert("message".into(), self.message().into());
        m.insert("clause".into(), self.clause().into());
        if let Some(p) = self.path() {
            m.insert("path".into(), p.into());
        }
        serde_json::Value::Object(m)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]: {}", self.code(), self.clause(), self.message())?;
        if let Some(p) = self.path() {
            write!(f, " (at {p})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_back_every_code_and_nothing_else() {
        for &c in Code::ALL {
            assert_eq!(Code::parse(c.as_str()), Some(c));
        }
        for s in ["", "E_NOPE", "e_json_syntax", "E_JSON_SYNTAX ", "JSON_SYNTAX"] {
            assert_eq!(Code::parse(s), None, "{s:?}");
        }
    }
}
