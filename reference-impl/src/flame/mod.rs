//! The flame profile (`spec/src/flame.md`): flamepy 0.6.0's `FLM` frames.
//!
//! An FLM frame is `FLM`, a tag byte, and a payload. This module reads the
//! tag `01` (one Arrow IPC tensor message) into a [`Value::NdArray`], the
//! tags `02` (a `pyarrow.Table`) and `04` (a `pyarrow.RecordBatch`), one
//! Arrow IPC stream each, into a [`Value::DataFrame`], and the tag `03` (a
//! `pyarrow.Array`) into a [`Value::Series`] named null; it writes all
//! four, and refuses every pickle (`FLM\x00`, or no `FLM` prefix) without
//! reading any of it. It is an entry point of its own
//! ([flame.profile]): [`crate::decode`] never reads an FLM frame, and
//! [`decode`] reads nothing else.
//!
//! The tensor message is checked in the page's processing order, each length
//! against the bytes present before anything is sliced, read or allocated
//! through it; its flatbuffer is read only through the verified accessors
//! of `arrow_ipc` (`root_as_message`), never through arrow's readers.
//!
//! ```
//! # fn main() -> sciwire::Result<()> {
//! use sciwire::flame::{self, FlameEncoding};
//! let value = sciwire::Value::NdArray(sciwire::NdArray {
//!     dtype: sciwire::Dtype::Int32, shape: vec![3], data: [1i32, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect(),
//! });
//! let bytes = flame::encode(&value, FlameEncoding::Tensor)?;
//! assert_eq!(&bytes[..4], b"FLM\x01");
//! assert_eq!(flame::decode(&bytes, &sciwire::Limits::default())?, value);
//! // A pickle is refused, never unpickled.
//! let err = flame::decode(b"FLM\x00\x80\x05N.", &sciwire::Limits::default()).unwrap_err();
//! assert_eq!(err.code().as_str(), "E_PICKLE_REFUSED");
//! # Ok(()) }
//! ```

mod stream;
mod write;

#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;

use std::str::FromStr;

use arrow_ipc::{FloatingPoint, Int, MessageHeader, MetadataVersion, Precision, Tensor, Type, root_as_message};
use flatbuffers::{ErrorTraceDetail, InvalidFlatbuffer};

use crate::dtype::Dtype;
use crate::error::{Code, Error, Result};
use crate::limits::{Limits, MAX_SAFE_INTEGER};
use crate::value::{NdArray, Value};

/// The three bytes every FLM frame starts with.
pub const PREFIX: [u8; 3] = *b"FLM";

/// The tag of a cloudpickle payload, refused ([flame.pickle]).
const TAG_PICKLE: u8 = 0x00;
/// The tag of an Arrow IPC tensor message ([flame.tensor.message]).
const TAG_TENSOR: u8 = 0x01;
/// The tag of a `pyarrow.Table`'s stream ([flame.streams]).
const TAG_TABLE: u8 = 0x02;
/// The tag of a `pyarrow.Array`'s stream ([flame.stream.array]).
const TAG_ARRAY: u8 = 0x03;
/// The tag of a `pyarrow.RecordBatch`'s stream ([flame.streams]).
const TAG_BATCH: u8 = 0x04;
/// The last tag flamepy 0.6.0 writes ([flame.tag]).
const TAG_LAST: u8 = 0x04;

/// The continuation marker that starts an encapsulated message.
const CONTINUATION: [u8; 4] = [0xff; 4];

/// What an encoder writes in the flame profile: the tag and its payload form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlameEncoding {
    /// `FLM\x01`: one Arrow IPC tensor message ([flame.encode.tensor]).
    Tensor,
    /// `FLM\x02`: a dataframe as a `pyarrow.Table`'s stream ([flame.encode.table]).
    Table,
    /// `FLM\x03`: a series named null as a `pyarrow.Array`'s stream ([flame.encode.array]).
    Array,
    /// `FLM\x04`: a dataframe as a `pyarrow.RecordBatch`'s stream ([flame.encode.table]).
    Batch,
}

impl FlameEncoding {
    /// Every encoding, in the order of their tags.
    pub const ALL: [FlameEncoding; 4] = [FlameEncoding::Tensor, FlameEncoding::Table, FlameEncoding::Array, FlameEncoding::Batch];

    /// The spelling in the harness protocol and the CLI: `tensor`, `table`,
    /// `array` or `batch`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlameEncoding::Tensor => "tensor",
            FlameEncoding::Table => "table",
            FlameEncoding::Array => "array",
            FlameEncoding::Batch => "batch",
        }
    }

    /// The tag byte the encoding writes.
    pub fn tag(self) -> u8 {
        match self {
            FlameEncoding::Tensor => TAG_TENSOR,
            FlameEncoding::Table => TAG_TABLE,
            FlameEncoding::Array => TAG_ARRAY,
            FlameEncoding::Batch => TAG_BATCH,
        }
    }

    /// The kind of value the encoding carries ([flame.encode.refuse]).
    fn carries(self) -> &'static str {
        match self {
            FlameEncoding::Tensor => "an ndarray",
            FlameEncoding::Table | FlameEncoding::Batch => "a dataframe",
            FlameEncoding::Array => "a series",
        }
    }
}

impl FromStr for FlameEncoding {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        FlameEncoding::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown flame encoding {s:?} (expected tensor, table, array or batch)"))
    }
}

/// The flame profile's capability in the harness protocol
/// ([harness.profiles]): both directions, every encoding.
pub fn capability() -> serde_json::Value {
    let encodings: Vec<&str> = FlameEncoding::ALL.iter().map(|e| e.as_str()).collect();
    serde_json::json!({"directions": ["decode", "encode"], "encodings": encodings})
}

/// Decodes an FLM frame ([flame.profile]): a tag `01` tensor gives a
/// [`Value::NdArray`], a tag `02` or `04` stream a [`Value::DataFrame`], a
/// tag `03` stream a [`Value::Series`] named null; a pickle and an unknown
/// tag are refused with the profile's codes. Nothing is ever unpickled.
pub fn decode(input: &[u8], limits: &Limits) -> Result<Value> {
    limits.input_bytes(input.len())?;
    if !input.starts_with(&PREFIX) {
        let what = match input.len() {
            0 => "an empty input".to_string(),
            n if n < PREFIX.len() => format!("an input of {n} bytes"),
            _ => "an input without the FLM prefix".to_string(),
        };
        return Err(Error::new(
            Code::PickleRefused,
            "flame.pickle",
            format!("{what} is what flamepy hands to cloudpickle.loads; pickles are refused, never read"),
        ));
    }
    match input.get(PREFIX.len()).copied() {
        None => Err(Error::new(Code::FlameTag, "flame.tag", "the input is FLM with no tag byte")),
        Some(TAG_PICKLE) => Err(Error::new(
            Code::PickleRefused,
            "flame.pickle",
            "the tag 00 is a cloudpickle payload; pickles are refused, never read",
        )),
        Some(TAG_TENSOR) => decode_tensor(&input[PREFIX.len() + 1..], limits).map(Value::NdArray),
        Some(tag @ TAG_TABLE..=TAG_LAST) => stream::decode(&input[PREFIX.len() + 1..], tag, limits),
        Some(tag) => Err(Error::new(
            Code::FlameTag,
            "flame.tag",
            format!("the tag {tag:02x} is not one flamepy 0.6.0 writes (00 to 04)"),
        )),
    }
}

/// Encodes a value as an FLM frame in `encoding`: an `ndarray` value of a
/// dtype in the table of [flame.tensor.type] as a `tensor`
/// ([flame.encode.tensor]), a dataframe value as a `table` or a `batch`
/// ([flame.encode.table]), a series value named null as an `array`
/// ([flame.encode.array]). Any other pairing, and a named series, is
/// refused ([flame.encode.refuse], `E_ENCODING_UNSUPPORTED`).
pub fn encode(value: &Value, encoding: FlameEncoding) -> Result<Vec<u8>> {
    let kind = match (value, encoding) {
        (Value::NdArray(a), FlameEncoding::Tensor) => return write::tensor(a),
        (Value::DataFrame(d), FlameEncoding::Table | FlameEncoding::Batch) => return stream::encode_table(d, encoding.tag()),
        (Value::Series(s), FlameEncoding::Array) => return stream::encode_array(s),
        (Value::NdArray(_), _) => "an ndarray",
        (Value::Sparse(_), _) => "a sparse matrix",
        (Value::Tensor(_), _) => "a torch tensor",
        (Value::Estimator(_), _) => "an estimator",
        (Value::DataFrame(_), _) => "a dataframe",
        (Value::Series(_), _) => "a series",
    };
    Err(Error::new(
        Code::EncodingUnsupported,
        "flame.encode.refuse",
        format!("{kind} has no flame {} encoding, which carries {} value", encoding.as_str(), encoding.carries()),
    ))
}

/// An Arrow tensor's element type as the table of [flame.tensor.type] has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ArrowType {
    Int { bits: i32, signed: bool },
    Float(Precision),
}

/// The table of [flame.tensor.type], both ways.
const TYPES: [(Dtype, ArrowType); 11] = [
    (Dtype::Int8, ArrowType::Int { bits: 8, signed: true }),
    (Dtype::Int16, ArrowType::Int { bits: 16, signed: true }),
    (Dtype::Int32, ArrowType::Int { bits: 32, signed: true }),
    (Dtype::Int64, ArrowType::Int { bits: 64, signed: true }),
    (Dtype::UInt8, ArrowType::Int { bits: 8, signed: false }),
    (Dtype::UInt16, ArrowType::Int { bits: 16, signed: false }),
    (Dtype::UInt32, ArrowType::Int { bits: 32, signed: false }),
    (Dtype::UInt64, ArrowType::Int { bits: 64, signed: false }),
    (Dtype::Float16, ArrowType::Float(Precision::HALF)),
    (Dtype::Float32, ArrowType::Float(Precision::SINGLE)),
    (Dtype::Float64, ArrowType::Float(Precision::DOUBLE)),
];

/// The dtypes a flame tensor carries, in the table's order.
pub fn dtypes() -> impl Iterator<Item = Dtype> {
    TYPES.iter().map(|&(d, _)| d)
}

fn arrow_type(dtype: Dtype) -> Option<ArrowType> {
    TYPES.iter().find(|(d, _)| *d == dtype).map(|&(_, t)| t)
}

fn message_error(why: impl Into<String>) -> Error {
    Error::new(Code::ArrowPayload, "flame.tensor.message", why)
}

fn data_error(why: impl Into<String>) -> Error {
    Error::new(Code::ArrowPayload, "flame.tensor.data", why)
}

fn strides_error(why: impl Into<String>) -> Error {
    Error::new(Code::ShapeMismatch, "flame.tensor.strides", why)
}

/// The payload after `FLM\x01`: one encapsulated tensor message, checked
/// clause by clause in the page's order.
fn decode_tensor(payload: &[u8], limits: &Limits) -> Result<NdArray> {
    // [flame.tensor.message]: the framing, every length checked before use.
    if payload.len() < 8 {
        return Err(message_error(format!(
            "the payload has {} bytes; an encapsulated message starts with 8 (continuation and metadata size)",
            payload.len()
        )));
    }
    if payload[..4] != CONTINUATION {
        return Err(message_error(format!(
            "the message starts with {:02x?}, not the continuation ff ff ff ff (the pre-0.15 form is not read)",
            &payload[..4]
        )));
    }
    let m = i32::from_le_bytes([payload[4], payload[5], payload[6], payload[7]]);
    let rest = payload.len() - 8;
    let meta_len = match usize::try_from(m) {
        Err(_) => return Err(message_error(format!("the metadata size {m} is negative"))),
        Ok(n) if !n.is_multiple_of(8) => {
            return Err(message_error(format!("the metadata size {n} is not a multiple of 8")));
        }
        Ok(n) if n > rest => {
            return Err(message_error(format!(
                "the metadata size is {n} bytes, but only {rest} follow the continuation and size"
            )));
        }
        Ok(n) => n,
    };
    let (meta, body) = payload[8..].split_at(meta_len);
    let invalid = |e: &InvalidFlatbuffer| {
        // The verifier's message spans lines (its error trace): one line here.
        let e = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        message_error(format!("the metadata is not a valid flatbuffer Message: {e}"))
    };
    let patched: Vec<u8>;
    let (message, source, empty_strides) = match root_as_message(meta) {
        Ok(message) => (message, meta, false),
        Err(e) => {
            patched = drop_empty_strides(meta, &e).ok_or_else(|| invalid(&e))?;
            (root_as_message(&patched).map_err(|e| invalid(&e))?, &patched[..], true)
        }
    };
    if message.version() != MetadataVersion::V5 {
        return Err(message_error(format!(
            "the message's metadata version is {} ({}), not V5 (4)",
            message.version().variant_name().unwrap_or("unknown"),
            message.version().0
        )));
    }
    if message.header_type() != MessageHeader::Tensor {
        return Err(message_error(format!(
            "the message's header is {} ({}), not Tensor (4)",
            message.header_type().variant_name().unwrap_or("unknown"),
            message.header_type().0
        )));
    }
    let tensor = message.header_as_tensor().ok_or_else(|| message_error("the message has no Tensor header"))?;
    // The verifier checks every scalar's and vector's alignment but not a
    // struct's (arrow-rs generates `Buffer` as 16 bytes of alignment 1): the
    // `Buffer` of two i64 must be at a multiple of 8 of the metadata.
    let at = (tensor.data() as *const arrow_ipc::Buffer as usize).wrapping_sub(source.as_ptr() as usize);
    if !at.is_multiple_of(8) {
        return Err(message_error(format!(
            "Tensor.data, a Buffer struct of two i64, is at offset {at} of the metadata, not a multiple of 8"
        )));
    }
    let body_length = message.bodyLength();
    if body_length < 0 {
        return Err(message_error(format!("the message's bodyLength {body_length} is negative")));
    }
    if u64::try_from(body_length).ok() != Some(body.len() as u64) {
        let why = if (body.len() as u64) < body_length.unsigned_abs() { "truncated" } else { "followed by trailing bytes" };
        return Err(message_error(format!(
            "bodyLength is {body_length}, but {} bytes follow the metadata: the body is {why}",
            body.len()
        )));
    }

    // [flame.tensor.type]
    let dtype = tensor_dtype(&tensor)?;
    let itemsize = dtype.itemsize();

    // [flame.tensor.shape]: every entry in range, then the limits (max_ndim
    // first), before anything is allocated in proportion to the elements.
    // The shape itself has at most one entry per 4 bytes of metadata.
    let dims = tensor.shape();
    for (i, dim) in dims.iter().enumerate() {
        let size = dim.size();
        if u64::try_from(size).map_or(true, |s| s > MAX_SAFE_INTEGER) {
            return Err(Error::new(
                Code::ShapeInvalid,
                "flame.tensor.shape",
                format!("shape[{i}] is {size}, not an integer in [0, 2^53-1]"),
            ));
        }
    }
    let shape: Vec<u64> = dims.iter().map(|d| d.size().unsigned_abs()).collect();
    let count = limits.shape(&shape, itemsize)?;

    // [flame.tensor.metadata]
    for (i, dim) in dims.iter().enumerate() {
        if let Some(name) = dim.name().filter(|n| !n.is_empty()) {
            return Err(Error::new(
                Code::ArrowSchema,
                "flame.tensor.metadata",
                format!("dimension {i} is named {name:?}; the canonical value has no dimension names"),
            ));
        }
    }
    if let Some(meta) = message.custom_metadata().filter(|m| !m.is_empty()) {
        let keys: Vec<String> = meta.iter().take(4).map(|kv| format!("{:?}", kv.key().unwrap_or(""))).collect();
        return Err(Error::new(
            Code::ArrowSchema,
            "flame.tensor.metadata",
            format!(
                "the message has {} custom_metadata entries (keys {}{}); the canonical value has no metadata",
                meta.len(),
                keys.join(", "),
                if meta.len() > 4 { ", ..." } else { "" }
            ),
        ));
    }

    // [flame.tensor.data]: the buffer lies in the body, then holds the shape.
    let data = tensor.data();
    let (offset, length) = (data.offset(), data.length());
    if offset != 0 {
        return Err(data_error(format!("the data buffer's offset is {offset}, not 0")));
    }
    if length < 0 || length > body_length {
        return Err(data_error(format!("the data buffer's length {length} is not in [0, bodyLength {body_length}]")));
    }
    // length <= body_length < 2^63, so rounding up cannot overflow.
    let padded = (length.unsigned_abs()).div_ceil(8) * 8;
    if body_length.unsigned_abs() > padded {
        return Err(data_error(format!(
            "bodyLength {body_length} is more than the data buffer's length {length} padded to 8 bytes ({padded})"
        )));
    }
    let want = count * itemsize; // within the decoded-bytes limit, checked above
    if length.unsigned_abs() != want {
        return Err(Error::new(
            Code::ShapeMismatch,
            "flame.tensor.data",
            format!("the data buffer holds {length} bytes; shape {shape:?} of {dtype} needs {want}"),
        ));
    }

    // [flame.tensor.strides]: the entries are read only once their number
    // is the number of dimensions (at most max_ndim).
    let strides = match (empty_strides, tensor.strides()) {
        (true, _) if shape.is_empty() => Some(Vec::new()),
        (true, _) => {
            return Err(strides_error(format!("strides has 0 entries; shape {shape:?} has {} dimensions", shape.len())));
        }
        (false, None) => None,
        (false, Some(s)) if s.len() == shape.len() => Some(s.iter().collect::<Vec<i64>>()),
        (false, Some(s)) => {
            return Err(strides_error(format!(
                "strides has {} entries; shape {shape:?} has {} dimensions",
                s.len(),
                shape.len()
            )));
        }
    };
    let column_major = match strides {
        // Absent strides are row-major; an empty tensor's are not checked further.
        None => false,
        Some(_) if count == 0 => false,
        Some(given) if given == contiguous_strides(&shape, itemsize, false) => false,
        Some(given) if given == contiguous_strides(&shape, itemsize, true) => true,
        Some(given) => {
            return Err(strides_error(format!(
                "strides {given:?} are neither the row-major {:?} nor the column-major {:?} byte strides of shape {shape:?} of {dtype}",
                contiguous_strides(&shape, itemsize, false),
                contiguous_strides(&shape, itemsize, true),
            )));
        }
    };

    // [flame.tensor.elements]: the one copy of the body, in C order.
    let bytes = &body[..body.len().min(want as usize)];
    let data = if column_major { fortran_to_c(bytes, &shape, itemsize as usize)? } else { bytes.to_vec() };
    Ok(NdArray { dtype, shape, data })
}

/// The one layout the flatbuffers verifier of `arrow_ipc` refuses although
/// the flatbuffers format (and its C++ verifier) allows it, and pyarrow
/// writes it: the empty `strides` vector of a 0-d tensor, whose (absent)
/// elements start 4 bytes past a multiple of 8, since the C++ builder aligns
/// a vector's elements only when it has some. The Rust verifier requires
/// 8-byte alignment even of no elements.
///
/// When that, and only that, is the verifier's complaint (the field
/// `strides` of the `Tensor` header, an `i64` vector whose length, read
/// here within the bytes, is 0), this returns a copy of the metadata of the
/// same length with the `strides` slot of the Tensor's vtable set to 0, so
/// that the field reads as absent, for the verifier to check the rest whole:
/// every other offset is checked against exactly the original bytes. The
/// caller then reads `strides` as the empty vector it was. `None` for every
/// other error. (A table sharing that vtable loses its fifth field too,
/// which can make the message invalid, never valid.)
fn drop_empty_strides(meta: &[u8], error: &InvalidFlatbuffer) -> Option<Vec<u8>> {
    let InvalidFlatbuffer::Unaligned { position, unaligned_type, error_trace } = error else {
        return None;
    };
    let (field, header) = match error_trace.as_ref() {
        [
            ErrorTraceDetail::TableField { field_name: strides, position: field },
            ErrorTraceDetail::UnionVariant { variant, position: header },
            ErrorTraceDetail::TableField { field_name: header_name, .. },
        ] if strides == "strides" && variant == "MessageHeader::Tensor" && header_name == "header" => (*field, *header),
        _ => return None,
    };
    if unaligned_type != std::any::type_name::<i64>() {
        return None;
    }
    let bytes = |at: usize, n: usize| meta.get(at..at.checked_add(n)?);
    let u32_at = |at: usize| bytes(at, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let u16_at = |at: usize| bytes(at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    // The empty vector the field points at.
    let vector = field.checked_add(u32_at(field)? as usize)?;
    if vector.checked_add(4)? != *position || u32_at(vector)? != 0 {
        return None;
    }
    // The Tensor table, its vtable, and the vtable's strides slot.
    let table = header.checked_add(u32_at(header)? as usize)?;
    let soffset = i64::from(u32_at(table)? as i32);
    let vtable = usize::try_from(i64::try_from(table).ok()?.checked_sub(soffset)?).ok()?;
    let slot = vtable.checked_add(usize::from(Tensor::VT_STRIDES))?;
    if usize::from(u16_at(vtable)?) < slot - vtable + 2 || usize::from(u16_at(slot)?) != field.checked_sub(table)? {
        return None;
    }
    let mut copy = meta.to_vec();
    copy.get_mut(slot..slot + 2)?.copy_from_slice(&[0, 0]);
    Some(copy)
}

/// [flame.tensor.type]: the dtype of the tensor's Arrow type.
fn tensor_dtype(tensor: &Tensor<'_>) -> Result<Dtype> {
    let (found, described) = match tensor.type_type() {
        Type::Int => {
            let int: Option<Int<'_>> = tensor.type_as_int();
            let t = int.map(|i| ArrowType::Int { bits: i.bitWidth(), signed: i.is_signed() });
            let d = match t {
                Some(ArrowType::Int { bits, signed }) => format!("Int {{ bitWidth: {bits}, is_signed: {signed} }}"),
                _ => "Int".to_string(),
            };
            (t, d)
        }
        Type::FloatingPoint => {
            let float: Option<FloatingPoint<'_>> = tensor.type_as_floating_point();
            let p = float.map(|f| f.precision());
            let d = match p {
                Some(p) => format!("FloatingPoint {{ precision: {} }}", p.variant_name().unwrap_or("unknown")),
                None => "FloatingPoint".to_string(),
            };
            (p.map(ArrowType::Float), d)
        }
        other => (None, other.variant_name().map_or_else(|| format!("an unknown type ({})", other.0), str::to_string)),
    };
    found
        .and_then(|t| TYPES.iter().find(|(_, u)| *u == t).map(|&(d, _)| d))
        .ok_or_else(|| {
            Error::new(
                Code::DtypeUnsupported,
                "flame.tensor.type",
                format!("the tensor's type {described} is not one of the profile's (8- to 64-bit Int, HALF, SINGLE or DOUBLE FloatingPoint)"),
            )
        })
}

/// The row-major (or column-major) byte strides of a shape whose element
/// count times `itemsize` is within the limits, so that no product
/// overflows; saturating all the same.
fn contiguous_strides(shape: &[u64], itemsize: u64, column_major: bool) -> Vec<i64> {
    let mut strides = vec![0i64; shape.len()];
    let mut acc = itemsize;
    let order: Vec<usize> =
        if column_major { (0..shape.len()).collect() } else { (0..shape.len()).rev().collect() };
    for k in order {
        strides[k] = i64::try_from(acc).unwrap_or(i64::MAX);
        acc = acc.saturating_mul(shape[k]);
    }
    strides
}

/// Reorders the column-major elements of `src` (whose length is the shape's
/// element count times `w`, not zero) into C order, in one pass.
fn fortran_to_c(src: &[u8], shape: &[u64], w: usize) -> Result<Vec<u8>> {
    let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    let n = dims.len();
    let mut stride = vec![0usize; n];
    let mut acc = w;
    for k in 0..n {
        stride[k] = acc;
        acc *= dims[k];
    }
    let mut out = Vec::with_capacity(src.len());
    let mut index = vec![0usize; n];
    let mut offset = 0usize;
    let inner = n.saturating_sub(1);
    let (run, step) = if n == 0 { (1, w) } else { (dims[inner], stride[inner]) };
    while out.len() < src.len() {
        // One run along the last axis, then the odometer over the others.
        for j in 0..run {
            let at = offset + j * step;
            match src.get(at..at + w) {
                Some(el) => out.extend_from_slice(el),
                // Unreachable: the shape and the length were checked to agree.
                None => return Err(strides_error(format!("element offset {at} is beyond the {} bytes of data", src.len()))),
            }
        }
        let mut k = inner;
        while k > 0 {
            k -= 1;
            index[k] += 1;
            offset += stride[k];
            if index[k] < dims[k] {
                break;
            }
            offset -= stride[k] * dims[k];
            index[k] = 0;
        }
    }
    Ok(out)
}
