//! The `ndarray` envelope (`spec/src/ndarray.md`).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BinaryArray, BooleanArray, StringArray, make_array};
use arrow_buffer::Buffer;
use arrow_data::ArrayData;

use super::fields::{Unwritable, check_elements, read_leaf, read_number, read_shape, write_leaf};
use super::{Encoding, FrameOut, Members, Place, Version, field_type, missing};
use crate::dtype::Dtype;
use crate::error::{Code, Error, Result};
use crate::json::{Cursor, Deferred, Json, Reader, write_string};
use crate::limits::Limits;
use crate::payload::arrow::Column;
use crate::payload::{arrow, base64};
use crate::value::NdArray;

/// The members an envelope of `encoding` may have besides the common ones ([ndarray.members]).
pub(crate) fn members(encoding: Encoding) -> &'static [&'static str] {
    match encoding {
        Encoding::Arrow => &["dtype", "shape", "b64"],
        Encoding::Json | Encoding::Frame => &["dtype", "shape", "data"],
    }
}

pub(crate) fn decode(
    m: &Members<'_>,
    version: Version,
    encoding: Encoding,
    limits: &Limits,
    place: Place<'_, '_>,
) -> Result<NdArray> {
    let v0 = version == Version::V0;
    let (required, legacy) = ("ndarray.required", "ndarray.legacy-v0");
    let dtype_member = m.get("dtype");
    if dtype_member.is_none() && (!v0 || encoding == Encoding::Json) {
        return Err(missing(if v0 { legacy } else { required }, "dtype", if v0 { " with the json encoding" } else { "" }));
    }
    let shape_member = m.get("shape");
    if shape_member.is_none() && !v0 {
        return Err(missing(required, "shape", ""));
    }
    let payload_name = members(encoding)[2];
    let Some((payload, payload_text)) = m.get_with_text(payload_name) else {
        return Err(missing(if v0 { legacy } else { required }, payload_name, ""));
    };

    let dtype = dtype_member.map(parse_dtype).transpose()?;
    let shape = shape_member.map(|j| read_shape(j, "ndarray.shape.items", limits)).transpose()?;
    if let Some(shape) = &shape {
        // With no dtype yet (v0 arrow), the byte limit is checked once the column gives one.
        limits.shape(shape, dtype.map_or(1, |d| d.itemsize()))?;
    }
    // [ndarray.json.dtypes] comes after the shape and its limits, in page order.
    if let (Encoding::Json, Some(d)) = (encoding, dtype)
        && !d.json_allowed()
    {
        return Err(Error::new(
            Code::DtypeUnsupported,
            "ndarray.json.dtypes",
            format!("dtype {d} has no json form; use the arrow encoding"),
        )
        .at("/dtype"));
    }
    match (encoding, place, dtype, shape) {
        (Encoding::Arrow, place, dtype, shape) => {
            let buffer = match place {
                Place::Text(reuse) => reuse.take(),
                Place::Frame(_) => Vec::new(),
            };
            decode_arrow(payload, dtype, shape, limits, buffer)
        }
        (Encoding::Json, _, Some(dtype), shape) => decode_json(payload_text, m.deferred(payload_name), dtype, shape, limits),
        (Encoding::Frame, Place::Frame(buffers), Some(dtype), Some(shape)) => {
            let bytes = buffers.take("data", payload)?;
            decode_frame(bytes, dtype, shape, limits)
        }
        // A frame's header always has dtype and shape ([frame.codec-version]
        // leaves it no v0 form), and the frame encoding is never in text.
        _ => Err(missing(legacy, "dtype", "")),
    }
}

// ---------------------------------------------------------------- frame

/// [frame.lengths] and [frame.values] on the buffer `data` refers to; the
/// one copy of it, into the value.
fn decode_frame(bytes: &[u8], dtype: Dtype, shape: Vec<u64>, limits: &Limits) -> Result<NdArray> {
    let count = limits.shape(&shape, dtype.itemsize())?;
    let want = count * dtype.itemsize();
    if bytes.len() as u64 != want {
        return Err(Error::new(
            Code::ShapeMismatch,
            "frame.lengths",
            format!("the data buffer holds {} bytes; shape {shape:?} of {dtype} needs {want}", bytes.len()),
        )
        .at("/data"));
    }
    check_elements(dtype, bytes).map_err(|(i, why)| {
        Error::new(Code::ValueDomain, "frame.values", format!("element {i} (C order) {why}")).at("/data")
    })?;
    Ok(NdArray { dtype, shape, data: bytes.to_vec() })
}

fn parse_dtype(j: &Json<'_>) -> Result<Dtype> {
    let clause = "ndarray.dtype.table";
    match j {
        Json::String(s) => Dtype::parse(s).ok_or_else(|| {
            Error::new(Code::DtypeUnsupported, clause, format!("dtype {s:?} is not in the dtype table")).at("/dtype")
        }),
        other => Err(field_type(clause, "dtype", "a string", other)),
    }
}

// ---------------------------------------------------------------- arrow

fn decode_arrow(
    payload: &Json<'_>,
    dtype: Option<Dtype>,
    shape: Option<Vec<u64>>,
    limits: &Limits,
    mut bytes: Vec<u8>,
) -> Result<NdArray> {
    let clause = "ndarray.arrow.base64";
    let Json::String(text) = payload else {
        return Err(field_type(clause, "b64", "a string", payload));
    };
    // Decoded once, into the allocation that becomes the value's data
    // ([ndarray.arrow.elements] for dtypes stored as they are): a fresh one,
    // or the caller's (`decode_reusing`).
    bytes.clear();
    base64::decode_into(text, limits, clause, &mut bytes).map_err(|e| e.at("/b64"))?;
    // A dtype stored as it is (the one a v1 envelope names) has its values
    // taken from the decoded bytes where they lie, without arrow-rs: no
    // `Buffer` to view them through. Otherwise arrow-rs's columns view it.
    let (dtype, shape, data, bytes) = if dtype.is_some_and(stored_as_is) {
        let (dtype, shape, data) = decode_stream(&bytes, None, dtype, shape, limits)?;
        (dtype, shape, data, Ok(bytes))
    } else {
        let whole = Buffer::from_vec(bytes);
        let (dtype, shape, data) = decode_stream(whole.as_slice(), Some(&whole), dtype, shape, limits)?;
        (dtype, shape, data, whole.into_vec::<u8>())
    };
    let data = match data {
        Data::Owned(v) => v,
        // The stream's other bytes are dropped; the elements moved to the front.
        Data::At(at, len) => match bytes {
            Ok(mut v) => {
                v.copy_within(at..at + len, 0);
                v.truncate(len);
                v
            }
            Err(whole) => whole.as_slice()[at..at + len].to_vec(),
        },
    };
    Ok(NdArray { dtype, shape, data })
}

/// The element bytes: a copy, or where they lie in the decoded stream.
enum Data {
    Owned(Vec<u8>),
    At(usize, usize),
}

/// Decodes the stream `bytes`; `whole`, when given, holds them, and
/// arrow-rs's columns are views of it.
fn decode_stream(bytes: &[u8], whole: Option<&Buffer>, dtype: Option<Dtype>, shape: Option<Vec<u64>>, limits: &Limits) -> Result<(Dtype, Vec<u64>, Data)> {
    let stream = arrow::read(bytes)?;

    if !stream.one_field_named("value") || stream.dictionary_fields {
        let names = stream.field_names();
        let why = if stream.dictionary_fields { " (dictionary-encoded)".to_string() } else { String::new() };
        return Err(Error::new(
            Code::ArrowSchema,
            "ndarray.arrow.schema",
            format!("the schema has fields {names:?}{why}; exactly one plain field named \"value\" is required"),
        ));
    }
    let Some(field_type) = stream.first_type() else {
        return Err(Error::new(Code::ArrowPayload, "ndarray.arrow.stream", "the schema cannot be read"));
    };
    // The Arrow format reads an empty timezone as no timezone.
    let empty_tz = match field_type {
        arrow_schema::DataType::Timestamp(u, Some(tz)) if tz.is_empty() => Some(arrow_schema::DataType::Timestamp(*u, None)),
        _ => None,
    };
    let arrow_type = empty_tz.as_ref().unwrap_or(field_type);
    let dtype = match dtype {
        Some(d) if d.arrow_type() == *arrow_type => d,
        Some(d) => {
            return Err(Error::new(
                Code::DtypeMismatch,
                "ndarray.arrow.type",
                format!("dtype {d} needs an Arrow column of type {}, not {arrow_type}", d.arrow_type()),
            ));
        }
        None => Dtype::from_arrow(arrow_type).ok_or_else(|| {
            missing("ndarray.legacy-v0", "dtype", &format!(" for an Arrow column of type {arrow_type}"))
        })?,
    };
    // A dtype stored as it is has its values taken from the body as they lie
    // there (no arrow-rs column), after the same checks.
    let fixed_width = stored_as_is(dtype).then(|| dtype.itemsize() as usize);
    let column = stream.decode_column_in(whole, fixed_width)?;
    let (len, nulls) = match &column {
        None => (0, 0),
        Some(Column::Values { len, nulls, .. }) => (*len, *nulls),
        Some(Column::Array(col)) => (col.len(), col.null_count()),
    };
    let len = len as u64;
    let shape = match shape {
        Some(shape) => {
            let count = limits.shape(&shape, dtype.itemsize())?;
            if count != len {
                return Err(Error::new(
                    Code::ShapeMismatch,
                    "ndarray.arrow.length",
                    format!("the Arrow column has {len} elements but shape {shape:?} has {count}"),
                ));
            }
            shape
        }
        None => {
            limits.elements(len, dtype.itemsize())?;
            vec![len]
        }
    };
    if nulls > 0 {
        return Err(Error::new(Code::ArrowNulls, "ndarray.arrow.nulls", format!("the Arrow column has {nulls} null elements")));
    }
    let data = match column {
        None => Data::Owned(Vec::new()),
        Some(Column::Values { bytes: values, .. }) => match arrow::within(bytes, values) {
            Some(at) => Data::At(at, values.len()),
            None => Data::Owned(values.to_vec()),
        },
        Some(Column::Array(col)) => match stored(&col, dtype, bytes)? {
            Some(data) => data,
            None => Data::Owned(column_bytes(&col, dtype)?),
        },
    };
    Ok((dtype, shape, data))
}

/// Whether the Arrow column of `dtype` holds the element bytes as they are
/// (fixed-width, little-endian: every dtype but bool, date and the strings).
fn stored_as_is(dtype: Dtype) -> bool {
    !matches!(dtype, Dtype::Bool | Dtype::Unicode(_) | Dtype::Bytes(_) | Dtype::Date)
}

/// The element bytes of a column whose dtype is stored as it is
/// (fixed-width, little-endian: every dtype but bool, date and the strings)
/// as they lie in `whole` (the stream's bytes), or copied when arrow-rs
/// moved them (or read a copy of them); `None` for
/// the other dtypes.
fn stored(col: &ArrayRef, dtype: Dtype, whole: &[u8]) -> Result<Option<Data>> {
    if !stored_as_is(dtype) {
        return Ok(None);
    }
    let (n, w) = (col.len(), dtype.itemsize() as usize);
    let data = col.to_data();
    let buf = data.buffers().first().map(|b| b.as_slice()).unwrap_or_default();
    let bytes = buf.get(data.offset() * w..(data.offset() + n) * w).ok_or_else(|| {
        Error::new(Code::ArrowPayload, "ndarray.arrow.stream", "the column's value buffer is too short")
    })?;
    Ok(Some(match arrow::within(whole, bytes) {
        Some(at) => Data::At(at, bytes.len()),
        None => Data::Owned(bytes.to_vec()),
    }))
}

fn string_domain(i: usize, why: String) -> Error {
    Error::new(Code::ValueDomain, "ndarray.arrow.strings", format!("element {i} {why}"))
}

/// [ndarray.arrow.elements]: the column's element bytes.
fn column_bytes(col: &ArrayRef, dtype: Dtype) -> Result<Vec<u8>> {
    let n = col.len();
    let mut out = Vec::with_capacity(n.saturating_mul(dtype.itemsize() as usize));
    match dtype {
        Dtype::Bool => out.extend(col.as_boolean().values().iter().map(u8::from)),
        Dtype::Unicode(width) => {
            for (i, s) in col.as_string::<i32>().iter().enumerate() {
                let s = s.unwrap_or_default();
                let chars = s.chars().count() as u64;
                if chars > width {
                    return Err(string_domain(i, format!("has {chars} code points; <U{width} holds {width}")));
                }
                if s.ends_with('\0') {
                    return Err(string_domain(i, "ends with U+0000, which numpy would strip".into()));
                }
                for ch in s.chars() {
                    out.extend_from_slice(&u32::from(ch).to_le_bytes());
                }
                out.resize(out.len() + ((width - chars) * 4) as usize, 0);
            }
        }
        Dtype::Bytes(width) => {
            for (i, s) in col.as_binary::<i32>().iter().enumerate() {
                let s = s.unwrap_or_default();
                if s.len() as u64 > width {
                    return Err(string_domain(i, format!("has {} bytes; |S{width} holds {width}", s.len())));
                }
                if s.last() == Some(&0) {
                    return Err(string_domain(i, "ends with a zero byte, which numpy would strip".into()));
                }
                out.extend_from_slice(s);
                out.resize(out.len() + (width - s.len() as u64) as usize, 0);
            }
        }
        Dtype::Date => {
            let days = col.as_primitive::<arrow_array::types::Date32Type>();
            out.extend(days.values().iter().flat_map(|&d| i64::from(d).to_le_bytes()));
        }
        _ => {
            // Every other dtype is fixed-width and stored as-is, little-endian.
            let data = col.to_data();
            let w = dtype.itemsize() as usize;
            let buf = data.buffers().first().map(|b| b.as_slice()).unwrap_or_default();
            let bytes = buf.get(data.offset() * w..(data.offset() + n) * w).ok_or_else(|| {
                Error::new(Code::ArrowPayload, "ndarray.arrow.stream", "the column's value buffer is too short")
            })?;
            out.extend_from_slice(bytes);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- json

fn nesting(why: String) -> Error {
    Error::new(Code::ShapeMismatch, "ndarray.json.nesting", why).at("/data")
}

/// Infers a v0 shape: the lengths of the first items, level by level.
fn infer_shape(data: &str, limits: &Limits) -> Result<Vec<u64>> {
    let mut shape = Vec::new();
    let mut c = Cursor::new(data);
    while c.peek() == Some(b'[') {
        let mut probe = c.clone();
        probe.open_array();
        let mut n = 0u64;
        while probe.next_item() {
            probe.skip();
            n += 1;
        }
        shape.push(n);
        if shape.len() > limits.max_ndim as usize {
            return Err(Error::new(
                Code::LimitExceeded,
                "limits.ndim",
                format!("data is nested more than {} deep", limits.max_ndim),
            ));
        }
        if n == 0 {
            break;
        }
        c.open_array();
        c.next_item();
    }
    Ok(shape)
}

/// [ndarray.json.nesting], [ndarray.json.values] and [ndarray.json.elements]
/// on `data`, the member's text. When the member is `deferred` (located but
/// not yet validated: [`Deferred`]), the walk validates it as it reads it,
/// in one pass; a walk that stops early (a nesting violation) leaves the
/// rest to [`Deferred::check`], which the caller runs before it reports.
fn decode_json(data: &str, deferred: Option<&Deferred<'_>>, dtype: Dtype, shape: Option<Vec<u64>>, limits: &Limits) -> Result<NdArray> {
    let shape = match shape {
        Some(s) => s,
        None => {
            // The v0 shape is inferred with a `Cursor`, which reads valid text only.
            if let Some(d) = deferred {
                d.check()?;
            }
            infer_shape(data, limits)?
        }
    };
    let count = limits.shape(&shape, dtype.itemsize())? as usize;
    // One pass: the structure is checked against the shape
    // ([ndarray.json.nesting]) while the leaves are read. A nesting
    // violation anywhere wins over a value violation; among value
    // violations the first in C order wins, and after it the leaves are
    // only skipped (and validated).
    let mut walk = Walk {
        r: deferred.map_or_else(|| Reader::over(data), Deferred::reader),
        shape: &shape,
        dtype,
        out: Vec::with_capacity(count * dtype.itemsize() as usize),
        i: 0,
        bad: None,
        index: Vec::with_capacity(shape.len()),
    };
    walk.level(0)?;
    if let Some(d) = deferred {
        d.read_to_end(&walk.r);
    }
    if let Some(e) = walk.bad {
        return Err(e);
    }
    let data = walk.out;
    Ok(NdArray { dtype, shape, data })
}

/// The single pass of [`decode_json`].
struct Walk<'a, 's> {
    r: Reader<'a>,
    shape: &'s [u64],
    dtype: Dtype,
    out: Vec<u8>,
    /// Leaves seen so far (C order).
    i: usize,
    /// The first value violation.
    bad: Option<Error>,
    /// The position of the current item at each open level but the innermost.
    index: Vec<u64>,
}

impl Walk<'_, '_> {
    /// `data[i][j]...`: the open levels' positions, then `last` when given.
    fn here(&self, last: Option<u64>) -> String {
        self.index.iter().chain(&last).map(|i| format!("[{i}]")).collect()
    }

    /// The leaf at the cursor, item `at` of its array (`None` for a 0-d array's `data`).
    fn leaf(&mut self, at: Option<u64>) -> Result<()> {
        if self.r.peek() == Some(b'[') {
            return Err(nesting(format!("data{} is an array where shape {:?} puts an element", self.here(at), self.shape)));
        }
        let read = if self.bad.is_some() {
            self.r.skip()?;
            Ok(())
        } else if let Some((text, v)) = self.r.number()? {
            read_number(text, v, self.dtype, &mut self.out)
        } else {
            read_leaf(self.r.scalar()?, self.dtype, &mut self.out)
        };
        self.judged(read);
        Ok(())
    }

    /// Counts the leaf just read; keeps the first value violation.
    fn judged(&mut self, read: std::result::Result<(), String>) {
        if let Err(why) = read
            && self.bad.is_none()
        {
            self.bad = Some(
                Error::new(Code::ValueDomain, "ndarray.json.values", format!("element {} (C order) {why}", self.i))
                    .at("/data"),
            );
        }
        self.i += 1;
    }

    /// The items of an innermost array, after its `[`: the count of them,
    /// at most `want` (more is a nesting violation). Numbers, the common
    /// leaves, are read here directly (a float64's bytes at once); any
    /// other item goes through [`Walk::leaf`].
    fn leaves(&mut self, want: u64) -> Result<u64> {
        let mut n = 0u64;
        while self.r.next_item(n == 0)? {
            if n == want {
                return Err(nesting(format!("data{} has more than {want} items", self.here(None))));
            }
            match self.r.number()? {
                Some((_, Some(v))) if self.bad.is_none() && self.dtype == Dtype::Float64 => {
                    self.out.extend_from_slice(&v.to_le_bytes());
                    self.i += 1;
                }
                Some((text, v)) => {
                    let read = if self.bad.is_none() { read_number(text, v, self.dtype, &mut self.out) } else { Ok(()) };
                    self.judged(read);
                }
                None => self.leaf(Some(n))?,
            }
            n += 1;
        }
        Ok(n)
    }

    /// [ndarray.json.nesting] at `level`: the value at the cursor against `shape[level..]`.
    fn level(&mut self, level: usize) -> Result<()> {
        if level == self.shape.len() {
            return self.leaf(None);
        }
        if self.r.peek() != Some(b'[') {
            return Err(nesting(format!("data{} is an element where shape {:?} puts an array", self.here(None), self.shape)));
        }
        self.r.open_array()?;
        let want = self.shape[level];
        let n = if level + 1 == self.shape.len() {
            self.leaves(want)?
        } else {
            let mut n = 0u64;
            while self.r.next_item(n == 0)? {
                if n == want {
                    return Err(nesting(format!("data{} has more than {want} items", self.here(None))));
                }
                self.index.push(n);
                self.level(level + 1)?;
                self.index.pop();
                n += 1;
            }
            n
        };
        if n != want {
            return Err(nesting(format!("data{} has {n} items; shape {:?} says {want}", self.here(None), self.shape)));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- encode

/// Writes the envelope ([ndarray.encode.members]); in a frame, `data` refers
/// to a buffer of `out` holding the element bytes as they are.
pub(crate) fn encode<'v>(a: &'v NdArray, encoding: Encoding, out: &mut FrameOut<'v>) -> Result<String> {
    a.check_length()?;
    // [ndarray.encode.limits]: refuse what no decoder with the default limits could read.
    let limit = Limits::default().max_input_bytes;
    let least = match encoding {
        // four base64 characters per three bytes of element data
        Encoding::Arrow => (a.data.len() as u64).div_ceil(3).saturating_mul(4),
        Encoding::Json => a.json_size_floor(),
        Encoding::Frame => a.data.len() as u64,
    };
    if least > limit {
        return Err(Error::new(
            Code::LimitExceeded,
            "ndarray.encode.limits",
            format!("the {} envelope of shape {:?} needs at least {least} bytes; decoders read at most {limit}", encoding.as_str(), a.shape),
        ));
    }
    let mut head = format!("{{\"__tywrap__\":\"ndarray\",\"codecVersion\":1,\"encoding\":\"{}\",\"dtype\":", encoding.as_str());
    write_string(&mut head, &a.dtype.name());
    head.push_str(",\"shape\":[");
    let dims: Vec<String> = a.shape.iter().map(u64::to_string).collect();
    head.push_str(&dims.join(","));
    head.push(']');
    match encoding {
        Encoding::Frame => {
            // [frame.encode]: what a decoder's [frame.values] would reject is refused.
            check_elements(a.dtype, &a.data).map_err(|(i, why)| {
                Error::new(Code::ValueDomain, "frame.values", format!("element {i} (C order) {why}"))
            })?;
            let index = out.push(std::borrow::Cow::Borrowed(&a.data));
            head.push_str(&format!(",\"data\":{index}}}"));
        }
        Encoding::Arrow if stored_as_is(a.dtype) && !a.data.is_empty() => {
            // The values go from the array into the base64 text as they are:
            // no arrow-rs column, no stream buffer ([ndarray.arrow.elements]).
            let refuse = |why: String| Error::new(Code::ValueDomain, "ndarray.encode.arrow-refuse", why);
            check_elements(a.dtype, &a.data).map_err(|(i, why)| refuse(format!("{} element {i} {why}", a.dtype)))?;
            let len = a.data.len() / a.dtype.itemsize() as usize;
            let (before, after) = arrow::write_fixed_parts(&a.dtype.arrow_type(), &a.data, len).map_err(|e| {
                Error::new(Code::ArrowPayload, "ndarray.encode.members", format!("the Arrow writer failed: {e}"))
            })?;
            head.push_str(",\"b64\":\"");
            head.reserve((before.len() + a.data.len() + after.len()).div_ceil(3) * 4 + 2);
            base64::encode_parts_into(&[&before, &a.data, &after], &mut head);
            head.push_str("\"}");
        }
        Encoding::Arrow => {
            let array = to_arrow(a)?;
            let bytes = arrow::write(array).map_err(|e| {
                Error::new(Code::ArrowPayload, "ndarray.encode.members", format!("the Arrow writer failed: {e}"))
            })?;
            head.push_str(",\"b64\":\"");
            // One allocation of the final size: the base64 text is written into it.
            head.reserve(bytes.len().div_ceil(3) * 4 + 2);
            base64::encode_into(&bytes, &mut head);
            head.push_str("\"}");
        }
        Encoding::Json => {
            head.push_str(",\"data\":");
            write_json_data(a, &mut head)?;
            head.push('}');
        }
    }
    Ok(head)
}

fn to_arrow(a: &NdArray) -> Result<ArrayRef> {
    let w = a.dtype.itemsize() as usize;
    let refuse = |why: String| Error::new(Code::ValueDomain, "ndarray.encode.arrow-refuse", why);
    check_elements(a.dtype, &a.data).map_err(|(i, why)| refuse(format!("{} element {i} {why}", a.dtype)))?;
    let array: ArrayRef = match a.dtype {
        Dtype::Bool => {
            Arc::new(BooleanArray::from(a.data.iter().map(|&b| b == 1).collect::<Vec<bool>>()))
        }
        Dtype::Unicode(_) => {
            let mut strings = Vec::new();
            for (i, el) in a.data.chunks_exact(w.max(1)).enumerate() {
                let units: Vec<u32> =
                    el.chunks_exact(4).map(|u| u32::from_le_bytes([u[0], u[1], u[2], u[3]])).collect();
                let end = units.iter().rposition(|&u| u != 0).map_or(0, |p| p + 1);
                let s: Option<String> = units[..end].iter().map(|&u| char::from_u32(u)).collect();
                strings.push(s.ok_or_else(|| refuse(format!("element {i} holds a value that is not a Unicode scalar")))?);
            }
            Arc::new(StringArray::from(strings))
        }
        Dtype::Bytes(_) => {
            let items = a.data.chunks_exact(w.max(1)).map(|el| {
                let end = el.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
                &el[..end]
            });
            Arc::new(BinaryArray::from_iter_values(items))
        }
        Dtype::Date => {
            let mut days = Vec::with_capacity(a.data.len() / 2);
            for (i, el) in a.data.chunks_exact(8).enumerate() {
                let d = i64::from_le_bytes(el.try_into().unwrap_or_default());
                let d = i32::try_from(d).map_err(|_| refuse(format!("element {i}, {d} days, is beyond Date32")))?;
                days.extend_from_slice(&d.to_le_bytes());
            }
            fixed(a.dtype, days, a.data.len() / 8)?
        }
        _ => fixed(a.dtype, a.data.clone(), a.data.len() / w)?,
    };
    // Empty string/binary widths (n >= 1 always) keep chunks_exact well-defined.
    Ok(array)
}

fn fixed(dtype: Dtype, bytes: Vec<u8>, len: usize) -> Result<ArrayRef> {
    ArrayData::builder(dtype.arrow_type())
        .len(len)
        .add_buffer(Buffer::from(bytes))
        .align_buffers(true)
        .build()
        .map(make_array)
        .map_err(|e| Error::new(Code::ArrowPayload, "ndarray.encode.members", format!("building the column: {e}")))
}

fn write_json_data(a: &NdArray, out: &mut String) -> Result<()> {
    let refuse = |code: Code, why: String| Error::new(code, "ndarray.encode.json-refuse", why);
    if !a.dtype.json_allowed() {
        return Err(refuse(Code::DtypeUnsupported, format!("dtype {} has no json form; use arrow", a.dtype)));
    }
    let w = a.dtype.itemsize() as usize;
    let mut leaves = a.data.chunks_exact(w).enumerate();
    // Nest the leaves as the shape says, writing each in C order.
    fn nest<'d>(
        out: &mut String,
        dtype: Dtype,
        shape: &[u64],
        leaves: &mut impl Iterator<Item = (usize, &'d [u8])>,
    ) -> std::result::Result<(), (usize, Unwritable)> {
        match shape.split_first() {
            None => match leaves.next() {
                Some((i, el)) => write_leaf(dtype, el, out).map_err(|u| (i, u)),
                None => Err((0, Unwritable::NoJsonForm)), // the length was checked first
            },
            Some((&d, rest)) => {
                out.push('[');
                for k in 0..d {
                    if k > 0 {
                        out.push(',');
                    }
                    nest(out, dtype, rest, leaves)?;
                }
                out.push(']');
                Ok(())
            }
        }
    }
    nest(out, a.dtype, &a.shape, &mut leaves).map_err(|(i, why)| {
        let hint = if matches!(why, Unwritable::BeyondSafe(_)) { "; use the arrow encoding" } else { "" };
        refuse(why.code(), format!("element {i} {why}{hint}"))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::super::Members;
    use super::*;
    use crate::value::Value;

    /// The decoding of `text` as it was before `data` was deferred: the
    /// whole text validated first, then the envelope read from its members.
    fn undeferred(text: &[u8], limits: &Limits) -> Result<Value> {
        use crate::json::{Document, parse_document};
        limits.input_bytes(text.len())?;
        let list = match parse_document(text, limits.max_depth)? {
            Document::Object(list) => list,
            Document::Other(what) => {
                return Err(Error::new(Code::NotEnvelope, "envelope.object", format!("the value is {what}, not an envelope object")));
            }
        };
        let members = Members { list, deferred: None };
        super::super::decode_members(&members, limits, Place::Text(&std::cell::Cell::new(Vec::new())))
    }

    fn rejects(text: &str) -> (Code, &'static str) {
        match crate::decode(text.as_bytes(), &Limits::default()) {
            Ok(v) => panic!("{text}: accepted as {v:?}"),
            Err(e) => (e.code(), e.clause()),
        }
    }

    const HEAD: &str = r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json""#;

    #[test]
    fn a_fault_of_the_text_wins_over_every_fault_of_data() {
        let syntax = (Code::JsonSyntax, "json.syntax");
        for rest in [
            // a value violation, then a syntax error later in data, or after it
            r#","dtype":"int8","shape":[3],"data":[1.5,2,x]}"#,
            r#","dtype":"int8","shape":[2],"data":[1.5,2]} x"#,
            r#","dtype":"int8","shape":[2],"data":[1.5,2],"x-y":}"#,
            // a nesting violation, then a syntax error in data or after it
            r#","dtype":"int8","shape":[2,1],"data":[[1],[2,]]}"#,
            r#","dtype":"int8","shape":[1],"data":[[1]],}"#,
            r#","dtype":"int8","shape":[3],"data":[1,2,3,4,5 6]}"#,
            // an invalid dtype, a missing shape, an unknown member, a limit: each with data broken
            r#","dtype":"float99","shape":[2],"data":[1,2,]}"#,
            r#","dtype":"int8","data":[1,2,]}"#,
            r#","dtype":"int8","shape":[2],"data":[1,2,],"extra":1}"#,
            r#","dtype":"int8","shape":[1e300],"data":[1,"a]}"#,
            r#","dtype":"int8","shape":[2],"data":[1,2}}"#,
            r#","dtype":"int8","shape":[2],"data":[1,2"#,
            r#","dtype":"datetime64[ns]","shape":[2],"data":[01,2]}"#,
        ] {
            assert_eq!(rejects(&format!("{HEAD}{rest}")), syntax, "{rest}");
        }
        // dtype after data in member order, and an invalid one with data broken
        let after = r#","data":[[1,2],[3,4]],"dtype":"int8","shape":[2,2]}"#;
        assert!(crate::decode(format!("{HEAD}{after}").as_bytes(), &Limits::default()).is_ok());
        assert_eq!(rejects(&format!(r#"{HEAD},"data":[1,2,],"dtype":"nope","shape":[2]}}"#)), syntax);
        assert_eq!(rejects(&format!(r#"{HEAD},"dtype":"nope","data":[1,2,],"shape":[2]}}"#)), syntax);
        // the depth limit and duplicate keys inside data, against a nesting violation
        let deep = format!(r#"{HEAD},"dtype":"int8","shape":[1],"data":[{}{}]}}"#, "[".repeat(200), "]".repeat(200));
        assert_eq!(rejects(&deep), (Code::LimitExceeded, "json.depth"));
        let dup = format!(r#"{HEAD},"dtype":"int8","shape":[2],"data":[[1],{{"a":1,"a":2}}]}}"#);
        assert_eq!(rejects(&dup), (Code::JsonDuplicateKey, "json.duplicate-keys"));
        // without a fault of the text, the envelope's own order stands
        assert_eq!(rejects(&format!(r#"{HEAD},"dtype":"int8","shape":[2,1],"data":[[1.5],[2,3]]}}"#)), (Code::ShapeMismatch, "ndarray.json.nesting"));
        assert_eq!(rejects(&format!(r#"{HEAD},"dtype":"int8","shape":[3],"data":[1.5,[2],300]}}"#)), (Code::ShapeMismatch, "ndarray.json.nesting"));
        assert_eq!(rejects(&format!(r#"{HEAD},"dtype":"int8","shape":[3],"data":[1,{{"a":"]"}},300]}}"#)), (Code::ValueDomain, "ndarray.json.values"));
        assert_eq!(rejects(&format!(r#"{HEAD},"dtype":"float99","shape":[2],"data":[1,[2]]}}"#)), (Code::DtypeUnsupported, "ndarray.dtype.table"));
    }

    /// Random edits of envelopes decode exactly as they did when the whole
    /// text was validated first: the same value, or the same error (code,
    /// clause, message, path).
    #[test]
    fn deferred_data_decodes_as_validated_data_did() {
        let bases = [
            r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"int8","shape":[2,3],"data":[[1,2,3],[4,5,6]]}"#,
            r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","data":[[1,2.5,3],[4,5,6]],"dtype":"int8","shape":[2,3]}"#,
            r#"{"__tywrap__":"ndarray","encoding":"json","dtype":"float32","data":[[0.5,"x"],[null,[1]]]}"#,
            r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"float64","shape":[4],"data":[1e400,-0.0,12345678901234567890,1.5e-3]}"#,
            r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"bool","shape":[2,2],"data":[[true,false],[{"a":[1]},"s\"]"]]}"#,
            r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"uint16","shape":[],"data":7}"#,
            // A tensor's nested array's data is deferred, and a series' or a dataframe's data.
            r#"{"__tywrap__":"dataframe","codecVersion":1,"encoding":"json","data":[{"a":1,"b":"x"},{"a":2,"b":null},{"a":-3,"b":"y\"}"}]}"#,
            r#"{"__tywrap__":"dataframe","encoding":"json","data":[{"a":1.5,"b":true},{"b":false,"a":2},[1],{"a":[2]}]}"#,
            r#"{"__tywrap__":"torch.tensor","codecVersion":1,"encoding":"ndarray","value":{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"float32","shape":[2,2],"data":[[1.5,-2],[3e38,0.1]]},"shape":[2,2],"dtype":"torch.float32","device":"cpu"}"#,
            r#"{"__tywrap__":"torch.tensor","encoding":"ndarray","value":{"__tywrap__":"ndarray","encoding":"json","dtype":"int8","data":[[1,2],[3,"x"]]},"dtype":"torch.int8"}"#,
            r#"{"__tywrap__":"torch.tensor","codecVersion":1,"encoding":"ndarray","value":{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"uint8","shape":[3],"data":[1,256,[2]]},"shape":[3],"dtype":"torch.uint8","device":"cuda"}"#,
            r#"{"__tywrap__":"series","codecVersion":1,"encoding":"json","name":"s","data":[1.5,null,-2e3,1e400]}"#,
            r#"{"__tywrap__":"series","codecVersion":1,"encoding":"json","name":null,"data":["a\"]",null,"\u00e9"]}"#,
            r#"{"__tywrap__":"series","encoding":"json","data":[true,false,null,[1],{"a":2}],"name":1}"#,
            r#"{"__tywrap__":"series","codecVersion":1,"encoding":"json","name":"n","data":[1,9007199254740993,-0,12]}"#,
        ];
        let alphabet: Vec<char> = r#"[]{},:"\ 0123456789.-eEtrunlfxa"#.chars().chain(['\u{1}', 'é']).collect();
        let mut rng = crate::test_rng(0x0123_4567_89ab_cdefu64);
        let (mut ok, mut semantic) = (0, 0);
        for base in bases {
            for round in 0..20_000 {
                let mut t: Vec<char> = base.chars().collect();
                for _ in 0..1 + rng(3) {
                    let at = rng(t.len() + 1);
                    match rng(4) {
                        0 if at < t.len() => {
                            t.remove(at);
                        }
                        1 if at < t.len() => t[at] = alphabet[rng(alphabet.len())],
                        2 => {
                            let end = (at + rng(8)).min(t.len());
                            let piece: Vec<char> = t[at..end].to_vec();
                            t.splice(at..at, piece);
                        }
                        _ => t.insert(at, alphabet[rng(alphabet.len())]),
                    }
                }
                let text: String = t.into_iter().collect();
                let limits = match round % 4 {
                    0 => Limits { max_depth: 2 + rng(3) as u32, ..Limits::default() },
                    1 => Limits { max_decoded_bytes: 8 * rng(5) as u64, ..Limits::default() },
                    _ => Limits::default(),
                };
                let got = crate::decode(text.as_bytes(), &limits);
                let want = undeferred(text.as_bytes(), &limits);
                match &got {
                    Ok(_) => ok += 1,
                    Err(e) if !e.clause().starts_with("json.") => semantic += 1,
                    Err(_) => {}
                }
                assert_eq!(got, want, "{text}");
            }
        }
        assert!(ok > 400 && semantic > 10_000, "{ok} accepted, {semantic} semantic rejections");
    }

    /// The arrow encoder writes fixed-width columns around the array's own
    /// bytes; the stream must be the one arrow-rs's writer gives.
    #[test]
    fn fixed_width_streams_are_arrow_rs_streams() {
        let l = Limits::default();
        for name in ["int8", "uint16", "int32", "int64", "uint64", "float16", "float32", "float64", "datetime64[ns]", "timedelta64[s]"] {
            let dtype = Dtype::parse(name).unwrap();
            let w = dtype.itemsize() as usize;
            for n in [1usize, 2, 3, 7, 8, 9, 63, 64, 65, 200] {
                let data: Vec<u8> = (0..n * w).map(|i| (i * 7 % 251) as u8).collect();
                let a = NdArray { dtype, shape: vec![n as u64], data };
                let text = crate::encode(&Value::NdArray(a.clone()), Encoding::Arrow).unwrap();
                assert_eq!(crate::decode(&text, &l).unwrap(), Value::NdArray(a.clone()), "{name} {n}");
                let env: serde_json::Value = serde_json::from_slice(&text).unwrap();
                let ours = base64::decode(env["b64"].as_str().unwrap(), &l, "t").unwrap();
                let theirs = arrow::write(to_arrow(&a).unwrap()).unwrap();
                let read = |b: &[u8]| arrow_ipc::reader::StreamReader::try_new(b, None).unwrap().next().unwrap().unwrap();
                assert_eq!(read(&ours), read(&theirs), "{name} {n}");
                assert_eq!(ours, theirs, "{name} {n}: bytes");
            }
        }
    }
}
