//! The `scipy.sparse` envelope (`spec/src/scipy-sparse.md`).

use std::borrow::Cow;

use super::fields::{check_elements, describe, dimension, read_leaf, write_leaf};
use super::{Encoding, FrameOut, Marker, Members, Place, Version, field_type, missing, no_arrow, string_member};
use crate::dtype::Dtype;
use crate::error::{Code, Error, Result};
use crate::json::{Cursor, Json, Scalar};
use crate::limits::{Limits, MAX_SAFE_INTEGER};
use crate::value::{Sparse, SparseFormat};

/// The members a `json` envelope may have besides the common ones; the
/// format narrows them ([sparse.members]).
pub(crate) const MEMBERS: &[&str] = &["format", "shape", "dtype", "data", "indices", "indptr", "row", "col"];

/// What a format decides: its two index arrays, and for `csr`/`csc` the
/// axis of the major dimension.
struct Layout {
    name: &'static str,
    arrays: [&'static str; 2],
    /// The other format family's arrays, which this format may not have.
    foreign: [&'static str; 2],
    major: Option<usize>,
}

/// `1 item`, `3 items`.
fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn layout(format: &str) -> Option<Layout> {
    let compressed = |name, major| Layout { name, arrays: ["indices", "indptr"], foreign: ["row", "col"], major: Some(major) };
    Some(match format {
        "csr" => compressed("csr", 0),
        "csc" => compressed("csc", 1),
        "coo" => Layout { name: "coo", arrays: ["row", "col"], foreign: ["indices", "indptr"], major: None },
        _ => return None,
    })
}

/// The three arrays, `data` and the format's index arrays: JSON array spans,
/// or the bytes of the frame buffers they refer to.
enum Arrays<'s> {
    Text([&'s str; 3]),
    Frame([&'s [u8]; 3]),
}

pub(crate) fn decode(m: &Members<'_>, version: Version, limits: &Limits, place: Place<'_, '_>) -> Result<Sparse> {
    // [sparse.format]: first, since it decides the other members.
    let Some(format) = string_member(m, "format", "sparse.format")? else {
        return Err(missing("sparse.format", "format", ""));
    };
    let layout = layout(format).ok_or_else(|| {
        Error::new(
            Code::FormatUnsupported,
            "sparse.format",
            format!("format {format:?} is not \"csr\", \"csc\" or \"coo\""),
        )
        .at("/format")
    })?;
    // [sparse.members]
    if let Some(name) = m.names().find(|n| layout.foreign.contains(n)) {
        return Err(Error::new(
            Code::UnknownField,
            "sparse.members",
            format!("member {name:?} is not allowed in a {} matrix, which has {} and {}", layout.name, layout.arrays[0], layout.arrays[1]),
        )
        .at(format!("/{name}")));
    }
    // [sparse.required], [sparse.legacy-v0]: v0 may omit nothing.
    let required = if version == Version::V0 { "sparse.legacy-v0" } else { "sparse.required" };
    for name in ["shape", "dtype", "data", layout.arrays[0], layout.arrays[1]] {
        if m.get(name).is_none() {
            return Err(missing(required, name, &format!(" in a {} matrix", layout.name)));
        }
    }
    let dtype = read_dtype(m)?;
    let shape = read_shape(m)?;
    // [sparse.arrays]; in a frame, [frame.references] and [frame.lengths].
    let names = ["data", layout.arrays[0], layout.arrays[1]];
    let widths = [dtype.itemsize(), 8, 8];
    let arrays = read_arrays(m, names, widths, required, place)?;
    // [sparse.limits]: count the items before storing any.
    let counts = |i: usize| match &arrays {
        Arrays::Text(spans) => count_items(spans[i], names[i], limits),
        Arrays::Frame(bytes) => limit_items(bytes[i].len() as u64 / widths[i], names[i], limits),
    };
    let nnz = counts(0)?;
    if nnz.checked_mul(dtype.itemsize()).is_none_or(|b| b > limits.max_decoded_bytes) {
        return Err(Error::new(
            Code::LimitExceeded,
            "sparse.limits",
            format!("{nnz} values of {dtype} exceed the limit of {} decoded bytes", limits.max_decoded_bytes),
        )
        .at("/data"));
    }
    let lengths = [counts(1)?, counts(2)?];
    // [sparse.lengths]: the array that pairs with data first, then the other.
    let want = [nnz, layout.major.map_or(nnz, |axis| shape[axis] + 1)];
    for ((name, got), want) in layout.arrays.iter().zip(lengths).zip(want) {
        if got != want {
            let why = match layout.major {
                Some(axis) if *name == "indptr" => format!("shape[{axis}] + 1 = {want}"),
                _ => format!("data has {nnz}"),
            };
            return Err(Error::new(
                Code::ShapeMismatch,
                "sparse.lengths",
                format!("{name} has {}; {why}", count(got, "item")),
            )
            .at(format!("/{name}")));
        }
    }
    let (data, first, second) = match arrays {
        Arrays::Text([data, first, second]) => (
            read_values(data, dtype, nnz)?,
            read_indices(first, layout.arrays[0], lengths[0])?,
            read_indices(second, layout.arrays[1], lengths[1])?,
        ),
        Arrays::Frame([data, first, second]) => (
            frame_values(data, dtype)?,
            frame_indices(first, layout.arrays[0])?,
            frame_indices(second, layout.arrays[1])?,
        ),
    };
    let format = SparseFormat::from_parts(layout.name, first, second)
        .ok_or_else(|| Error::new(Code::FormatUnsupported, "sparse.format", "format is not csr, csc or coo"))?;
    let sparse = Sparse { dtype, shape, data, format };
    check_indices(&sparse)?;
    Ok(sparse)
}

/// [sparse.dtype]
fn read_dtype(m: &Members<'_>) -> Result<Dtype> {
    let name = string_member(m, "dtype", "sparse.dtype")?.unwrap_or_default();
    Dtype::parse(name).filter(|&d| Sparse::holds(d)).ok_or_else(|| {
        Error::new(
            Code::DtypeUnsupported,
            "sparse.dtype",
            format!("dtype {name:?} is not one a sparse matrix holds: bool, int8 to uint64, float32, float64"),
        )
        .at("/dtype")
    })
}

/// [sparse.shape]: exactly two integers in `[0, 2^53-1]`; reads at most three items.
fn read_shape(m: &Members<'_>) -> Result<[u64; 2]> {
    let clause = "sparse.shape";
    let j = m.get("shape").unwrap_or(&Json::Null);
    let Json::Array(span) = j else {
        return Err(field_type(clause, "shape", "an array", j));
    };
    let invalid = |why: String, at: String| Error::new(Code::ShapeInvalid, clause, why).at(at);
    let mut shape = [0u64; 2];
    let mut n = 0;
    let mut c = Cursor::new(span);
    c.open_array();
    while c.next_item() {
        if n == 2 {
            return Err(invalid("shape has more than two entries; a sparse matrix has rows and columns".into(), "/shape".into()));
        }
        let item = c.scalar();
        shape[n] = match item {
            Scalar::Number(t) => dimension(t),
            _ => None,
        }
        .ok_or_else(|| {
            invalid(format!("shape[{n}] is {}, not an integer in [0, 2^53-1]", describe(&item)), format!("/shape/{n}"))
        })?;
        n += 1;
    }
    if n < 2 {
        let entries = if n == 1 { "1 entry".to_string() } else { format!("{n} entries") };
        return Err(invalid(format!("shape has {entries}; a sparse matrix has rows and columns"), "/shape".into()));
    }
    Ok(shape)
}

/// [sparse.arrays], in member order: JSON arrays in text; in a frame, buffer
/// references ([frame.references]) whose buffers hold whole items
/// ([frame.lengths]), checked for all three after the references.
fn read_arrays<'s>(
    m: &Members<'s>,
    names: [&str; 3],
    widths: [u64; 3],
    required: &'static str,
    place: Place<'_, 's>,
) -> Result<Arrays<'s>> {
    let member = |name: &str| m.get(name).ok_or_else(|| missing(required, name, ""));
    match place {
        Place::Text(_) => {
            let mut spans = [""; 3];
            for (span, name) in spans.iter_mut().zip(names) {
                *span = match member(name)? {
                    Json::Array(s) => s,
                    other => return Err(field_type("sparse.arrays", name, "an array", other)),
                };
            }
            Ok(Arrays::Text(spans))
        }
        Place::Frame(buffers) => {
            let mut bytes: [&[u8]; 3] = [&[]; 3];
            for (b, name) in bytes.iter_mut().zip(names) {
                *b = buffers.take(name, member(name)?)?;
            }
            for ((b, name), width) in bytes.iter().zip(names).zip(widths) {
                whole_items(b, name, width)?;
            }
            Ok(Arrays::Frame(bytes))
        }
    }
}

/// [frame.lengths]: a buffer of whole items of `width` bytes.
fn whole_items(bytes: &[u8], name: &str, width: u64) -> Result<()> {
    let len = bytes.len() as u64;
    if !len.is_multiple_of(width) {
        let what = if name == "data" { format!("values of {width} bytes") } else { "int64 indices".to_string() };
        return Err(Error::new(
            Code::ShapeMismatch,
            "frame.lengths",
            format!("the {name} buffer holds {len} bytes, not a whole number of {what}"),
        )
        .at(format!("/{name}")));
    }
    Ok(())
}

/// [sparse.limits] on an array's number of items (a frame buffer's, or a
/// json array's as [`count_items`] counts them).
fn limit_items(n: u64, name: &str, limits: &Limits) -> Result<u64> {
    if n > limits.max_elements {
        return Err(Error::new(
            Code::LimitExceeded,
            "sparse.limits",
            format!("{name} has more than {} items", limits.max_elements),
        )
        .at(format!("/{name}")));
    }
    Ok(n)
}

/// [frame.values] on a frame's `data`: every pattern is a value but a bool
/// byte other than 00 and 01; the one copy, into the value.
fn frame_values(bytes: &[u8], dtype: Dtype) -> Result<Vec<u8>> {
    check_elements(dtype, bytes).map_err(|(i, why)| {
        Error::new(Code::ValueDomain, "frame.values", format!("data[{i}] {why}")).at("/data")
    })?;
    Ok(bytes.to_vec())
}

/// [sparse.index-values] on a frame's index buffer: little-endian int64s in
/// `[0, 2^53-1]`.
fn frame_indices(bytes: &[u8], name: &str) -> Result<Vec<u64>> {
    bytes
        .chunks_exact(8)
        .enumerate()
        .map(|(i, item)| {
            let v = i64::from_le_bytes(item.try_into().unwrap_or_default());
            u64::try_from(v).ok().filter(|&v| v <= MAX_SAFE_INTEGER).ok_or_else(|| {
                Error::new(
                    Code::ValueDomain,
                    "sparse.index-values",
                    format!("{name}[{i}] is {v}, not an integer in [0, 2^53-1]"),
                )
                .at(format!("/{name}"))
            })
        })
        .collect()
}

/// The number of items of an array span, counting no further than one past
/// `max_elements` ([sparse.limits]).
fn count_items(span: &str, name: &str, limits: &Limits) -> Result<u64> {
    limit_items(crate::json::count_items(span, limits.max_elements), name, limits)
}

/// [sparse.values] and [sparse.elements]: `nnz` items, already counted and limited.
fn read_values(span: &str, dtype: Dtype, nnz: u64) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity((nnz * dtype.itemsize()) as usize);
    let mut c = Cursor::new(span);
    let mut i = 0u64;
    c.open_array();
    while c.next_item() {
        read_leaf(c.scalar(), dtype, &mut out).map_err(|why| {
            Error::new(Code::ValueDomain, "sparse.values", format!("data[{i}] {why}")).at(format!("/data/{i}"))
        })?;
        i += 1;
    }
    Ok(out)
}

/// [sparse.index-values]: `len` items, already counted and limited.
fn read_indices(span: &str, name: &str, len: u64) -> Result<Vec<u64>> {
    let mut out = Vec::with_capacity(len as usize);
    let mut c = Cursor::new(span);
    c.open_array();
    while c.next_item() {
        let item = c.scalar();
        let index = match item {
            Scalar::Number(t) => dimension(t),
            _ => None,
        };
        let Some(index) = index else {
            let i = out.len();
            return Err(Error::new(
                Code::ValueDomain,
                "sparse.index-values",
                format!("{name}[{i}] is {}, not an integer in [0, 2^53-1]", describe(&item)),
            )
            .at(format!("/{name}/{i}")));
        };
        out.push(index);
    }
    Ok(out)
}

/// [sparse.indptr] then [sparse.index-range], on arrays of the right lengths.
fn check_indices(s: &Sparse) -> Result<()> {
    let nnz = (s.data.len() as u64) / s.dtype.itemsize().max(1);
    let bad = |clause: &'static str, why: String, at: String| Error::new(Code::SparseIndex, clause, why).at(at);
    let [rows, cols] = s.shape;
    let ranges: [(&str, &[u64], u64, &str); 2] = match &s.format {
        SparseFormat::Csr { indices, indptr } | SparseFormat::Csc { indices, indptr } => {
            let mut previous = 0;
            for (i, &p) in indptr.iter().enumerate() {
                if i == 0 && p != 0 {
                    return Err(bad("sparse.indptr", format!("indptr starts at {p}, not 0"), "/indptr/0".into()));
                }
                if p < previous {
                    return Err(bad(
                        "sparse.indptr",
                        format!("indptr decreases: indptr[{i}] is {p}, after {previous}"),
                        format!("/indptr/{i}"),
                    ));
                }
                previous = p;
            }
            if indptr.last() != Some(&nnz) {
                return Err(bad(
                    "sparse.indptr",
                    format!("indptr ends at {previous}, but data holds {nnz} values"),
                    format!("/indptr/{}", indptr.len().saturating_sub(1)),
                ));
            }
            let (minor, axis) = if matches!(s.format, SparseFormat::Csr { .. }) { (cols, "columns") } else { (rows, "rows") };
            [("indices", indices.as_slice(), minor, axis), ("indptr", &[], 0, "")]
        }
        SparseFormat::Coo { row, col } => [("row", row.as_slice(), rows, "rows"), ("col", col.as_slice(), cols, "columns")],
    };
    for (name, items, bound, axis) in ranges {
        if let Some(i) = items.iter().position(|&x| x >= bound) {
            return Err(bad(
                "sparse.index-range",
                format!("{name}[{i}] is {}, outside the matrix's {bound} {axis}", items[i]),
                format!("/{name}/{i}"),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- encode

fn refuse(code: Code, why: String) -> Error {
    Error::new(code, "sparse.encode.refuse", why)
}

/// Writes the envelope ([sparse.encode.members]), refusing what a decoder
/// would reject, with its code ([sparse.encode.refuse]).
/// In a frame ([frame.encode]), `data` and the index arrays refer to buffers
/// of `out`: the element bytes as they are (a frame carries NaN and integers
/// beyond 2^53), and the indices as little-endian int64s.
pub(crate) fn encode<'v>(s: &'v Sparse, encoding: Encoding, out: &mut FrameOut<'v>) -> Result<String> {
    no_arrow(encoding, Marker::Sparse)?;
    if !Sparse::holds(s.dtype) {
        return Err(refuse(Code::DtypeUnsupported, format!("dtype {} is not one a sparse matrix holds", s.dtype)));
    }
    if let Some(d) = s.shape.iter().find(|&&d| d > MAX_SAFE_INTEGER) {
        return Err(Error::new(Code::ShapeInvalid, "sparse.shape", format!("shape entry {d} is beyond 2^53-1")));
    }
    let w = s.dtype.itemsize() as usize;
    if !s.data.len().is_multiple_of(w) {
        return Err(Error::new(
            Code::ShapeMismatch,
            "canonical.sparse",
            format!("{} bytes are not a whole number of {} values", s.data.len(), s.dtype),
        ));
    }
    let nnz = (s.data.len() / w) as u64;
    let [(first_name, first), (second_name, second)] = s.format.arrays();
    // What no decoder with the default limits reads ([sparse.limits], [limits.input-bytes]).
    let limits = Limits::default();
    let longest = nnz.max(first.len() as u64).max(second.len() as u64);
    if longest > limits.max_elements || s.data.len() as u64 > limits.max_decoded_bytes {
        return Err(Error::new(
            Code::LimitExceeded,
            "sparse.limits",
            format!("{longest} items are more than a decoder with the default limits reads"),
        ));
    }
    // every item takes at least a digit and a separator
    let floor = (nnz + first.len() as u64 + second.len() as u64) * 2;
    if encoding == Encoding::Json && floor > limits.max_input_bytes {
        return Err(Error::new(
            Code::LimitExceeded,
            "limits.input-bytes",
            format!("the envelope needs at least {floor} bytes; decoders read at most {}", limits.max_input_bytes),
        ));
    }
    let want_second = match &s.format {
        SparseFormat::Csr { .. } => s.shape[0].saturating_add(1),
        SparseFormat::Csc { .. } => s.shape[1].saturating_add(1),
        SparseFormat::Coo { .. } => nnz,
    };
    for (name, got, want) in [(first_name, first.len() as u64, nnz), (second_name, second.len() as u64, want_second)] {
        if got != want {
            return Err(refuse(Code::ShapeMismatch, format!("{name} has {}; it needs {want}", count(got, "item"))));
        }
    }
    let mut text = format!(
        "{{\"__tywrap__\":\"scipy.sparse\",\"codecVersion\":1,\"encoding\":\"{}\",\"format\":\"{}\",\"shape\":[{},{}],\"dtype\":\"{}\",\"data\":",
        encoding.as_str(),
        s.format.name(),
        s.shape[0],
        s.shape[1],
        s.dtype,
    );
    if encoding == Encoding::Frame {
        check_elements(s.dtype, &s.data)
            .map_err(|(i, why)| Error::new(Code::ValueDomain, "frame.values", format!("data[{i}] {why}")))?;
        text.push_str(&out.push(Cow::Borrowed(&s.data)).to_string());
    } else {
        text.push('[');
        for (i, el) in s.data.chunks_exact(w).enumerate() {
            if i > 0 {
                text.push(',');
            }
            write_leaf(s.dtype, el, &mut text).map_err(|why| refuse(why.code(), format!("data[{i}] {why}")))?;
        }
        text.push(']');
    }
    for (name, items) in [(first_name, first), (second_name, second)] {
        if let Some(i) = items.iter().position(|&x| x > MAX_SAFE_INTEGER) {
            return Err(refuse(Code::ValueDomain, format!("{name}[{i}] is {}, beyond 2^53-1", items[i])));
        }
    }
    check_indices(s)?;
    for (name, items) in [(first_name, first), (second_name, second)] {
        text.push_str(&format!(",\"{name}\":"));
        if encoding == Encoding::Frame {
            let bytes: Vec<u8> = items.iter().flat_map(|&x| x.to_le_bytes()).collect();
            text.push_str(&out.push(Cow::Owned(bytes)).to_string());
            continue;
        }
        text.push('[');
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&x.to_string());
        }
        text.push(']');
    }
    text.push('}');
    if text.len() as u64 > limits.max_input_bytes {
        return Err(Error::new(
            Code::LimitExceeded,
            "limits.input-bytes",
            format!("the envelope is {} bytes; decoders read at most {}", text.len(), limits.max_input_bytes),
        ));
    }
    Ok(text)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use crate::value::Value;

    const EXAMPLE: &str = r#"{"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "json",
 "format": "csr", "shape": [2, 3], "dtype": "float64",
 "data": [1.5, 2.0, -1.0], "indices": [1, 0, 2], "indptr": [0, 1, 3]}"#;

    fn decode(text: &str) -> Result<Sparse> {
        match crate::decode(text.as_bytes(), &Limits::default())? {
            Value::Sparse(s) => Ok(s),
            other => panic!("not a sparse matrix: {other:?}"),
        }
    }

    /// The code and clause of decoding `text`, or None when it decodes.
    fn rejects(text: &str) -> Option<(Code, &'static str)> {
        decode(text).err().map(|e| (e.code(), e.clause()))
    }

    /// The example with `from` replaced by `to`, which must occur in it.
    fn edit(from: &str, to: &str) -> String {
        assert!(EXAMPLE.contains(from), "{from}");
        EXAMPLE.replacen(from, to, 1)
    }

    fn coo(extra: &str) -> String {
        format!(
            r#"{{"__tywrap__":"scipy.sparse","codecVersion":1,"encoding":"json","format":"coo","shape":[2,3],
                "dtype":"int32","data":[7,8,9],"row":[1,0,1],"col":[2,0,2]{extra}}}"#
        )
    }

    #[test]
    fn the_spec_example_decodes_to_its_canonical_value() {
        let v = crate::decode(EXAMPLE.as_bytes(), &Limits::default()).map(|v| v.to_canonical());
        assert_eq!(
            v.ok(),
            Some(serde_json::json!({"kind": "sparse", "format": "csr", "dtype": "float64", "shape": [2, 3],
                "hex": "000000000000f83f0000000000000040000000000000f0bf",
                "indices": [1, 0, 2], "indptr": [0, 1, 3]}))
        );
    }

    #[test]
    fn stored_entries_are_kept_as_stored() {
        // duplicates (row 1, col 2 twice), and a coo matrix in no order
        let s = decode(&coo("")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.format, SparseFormat::Coo { row: vec![1, 0, 1], col: vec![2, 0, 2] });
        assert_eq!(s.data, [7, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0]);
        // explicit zeros and unsorted indices in one csr row
        let s = decode(&edit("[1.5, 2.0, -1.0], \"indices\": [1, 0, 2]", "[1.5, 0.0, -0.0], \"indices\": [1, 2, 0]"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.format, SparseFormat::Csr { indices: vec![1, 2, 0], indptr: vec![0, 1, 3] });
        assert_eq!(&s.data[8..], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]);
        // csc: the major dimension is the columns
        let csc = edit("\"csr\"", "\"csc\"").replace("[0, 1, 3]", "[0, 1, 2, 3]").replace("[1, 0, 2]", "[1, 0, 1]");
        assert_eq!(rejects(&csc), None);
        // an empty matrix, and 1.0 read as the index 1
        assert_eq!(rejects(&coo("").replace("[7,8,9]", "[]").replace("[1,0,1]", "[]").replace("[2,0,2]", "[]")), None);
        assert_eq!(rejects(&edit("[1, 0, 2]", "[1.0, 0, 2e0]")), None);
        // the shape is not limited: 2^40 x 2^40 with one entry
        let huge = coo("").replace("[2,3]", "[1099511627776,1099511627776]");
        assert_eq!(rejects(&huge), None);
    }

    #[test]
    fn format_and_members() {
        assert_eq!(rejects(&edit("\"encoding\": \"json\"", "\"encoding\": \"arrow\"")), Some((Code::EncodingUnsupported, "sparse.encodings")));
        assert_eq!(rejects(&edit("\"format\": \"csr\",", "")), Some((Code::MissingField, "sparse.format")));
        assert_eq!(rejects(&edit("\"csr\"", "3")), Some((Code::FieldType, "sparse.format")));
        for other in ["\"dia\"", "\"CSR\"", "\"csr_matrix\"", "\"\""] {
            assert_eq!(rejects(&edit("\"csr\"", other)), Some((Code::FormatUnsupported, "sparse.format")), "{other}");
        }
        // format comes before the missing shape
        assert_eq!(rejects(&edit("\"csr\"", "\"bsr\"").replace("\"shape\": [2, 3],", "")), Some((Code::FormatUnsupported, "sparse.format")));
        assert_eq!(rejects(&edit("\"indptr\"", "\"x-note\": 1, \"row\": [], \"indptr\"")), Some((Code::UnknownField, "sparse.members")));
        assert_eq!(rejects(&coo(",\"indptr\":[0]")), Some((Code::UnknownField, "sparse.members")));
        assert_eq!(rejects(&coo(",\"offsets\":[0]")), Some((Code::UnknownField, "envelope.unknown-fields")));
        assert_eq!(rejects(&coo(",\"x-offsets\":[0]")), None);
    }

    #[test]
    fn required_members_in_order() {
        let no = |name: &str| {
            let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap_or_default();
            v.as_object_mut().map(|m| m.remove(name));
            v.to_string()
        };
        for name in ["shape", "dtype", "data", "indices", "indptr"] {
            let e = decode(&no(name)).err();
            assert_eq!(e.as_ref().map(Error::code), Some(Code::MissingField), "{name}");
            assert_eq!(e.and_then(|e| e.path().map(str::to_string)), Some(format!("/{name}")));
        }
        // v0 may omit nothing
        let v0 = no("codecVersion");
        assert_eq!(rejects(&v0), None);
        let v0_without_dtype = v0.replace("\"dtype\":\"float64\",", "");
        assert_eq!(rejects(&v0_without_dtype), Some((Code::MissingField, "sparse.legacy-v0")));
        // shape is reported before dtype, data before indices
        let both = EXAMPLE.replace("\"shape\": [2, 3], \"dtype\": \"float64\",", "");
        assert_eq!(decode(&both).err().and_then(|e| e.path().map(str::to_string)).as_deref(), Some("/shape"));
    }

    #[test]
    fn dtype_and_shape() {
        for bad in ["\"complex128\"", "\"<U2\"", "\"datetime64[s]\"", "\"f8\"", "\"object\"", "\"float16\"", "\"float128\""] {
            assert_eq!(rejects(&edit("\"float64\"", bad)), Some((Code::DtypeUnsupported, "sparse.dtype")), "{bad}");
        }
        assert_eq!(rejects(&edit("\"float64\"", "null")), Some((Code::FieldType, "sparse.dtype")));
        for bad in ["[3]", "[2, 3, 4]", "[-1, 2]", "[1.5, 2]", "[\"2\", 3]", "[]", "[2, 9007199254740992]", "[2, 1e400]"] {
            assert_eq!(rejects(&edit("[2, 3]", bad)), Some((Code::ShapeInvalid, "sparse.shape")), "{bad}");
        }
        assert_eq!(rejects(&edit("[2, 3]", "{}")), Some((Code::FieldType, "sparse.shape")));
        assert_eq!(rejects(&edit("[2, 3]", "[2.0, 3e0]")), None);
    }

    #[test]
    fn arrays_limits_and_lengths() {
        assert_eq!(rejects(&edit("[1.5, 2.0, -1.0]", "{}")), Some((Code::FieldType, "sparse.arrays")));
        assert_eq!(rejects(&edit("[1, 0, 2]", "\"1,0,2\"")), Some((Code::FieldType, "sparse.arrays")));
        assert_eq!(rejects(&edit("[0, 1, 3]", "null")), Some((Code::FieldType, "sparse.arrays")));
        // indices pairs with data, and is checked first
        assert_eq!(decode(&edit("[1, 0, 2]", "[1, 0]")).err().and_then(|e| e.path().map(str::to_string)).as_deref(), Some("/indices"));
        assert_eq!(rejects(&edit("[1, 0, 2]", "[1, 0]")), Some((Code::ShapeMismatch, "sparse.lengths")));
        assert_eq!(rejects(&edit("[0, 1, 3]", "[0, 1, 2, 3]")), Some((Code::ShapeMismatch, "sparse.lengths")));
        assert_eq!(rejects(&coo("").replace("[2,0,2]", "[2,0]")), Some((Code::ShapeMismatch, "sparse.lengths")));
        // lengths come before values
        assert_eq!(rejects(&edit("[1, 0, 2]", "[1, 0]").replace("-1.0", "\"x\"")), Some((Code::ShapeMismatch, "sparse.lengths")));
    }

    #[test]
    fn values_and_index_values() {
        for bad in ["\"1\"", "null", "true", "[1]", "{}", "1e400"] {
            assert_eq!(rejects(&edit("-1.0", bad)), Some((Code::ValueDomain, "sparse.values")), "{bad}");
        }
        let int32 = coo("");
        for bad in ["9.5", "2147483648", "-2147483649", "9007199254740993"] {
            let text = int32.replace("[7,8,9]", &format!("[7,8,{bad}]"));
            assert_eq!(rejects(&text), Some((Code::ValueDomain, "sparse.values")), "{bad}");
        }
        assert_eq!(rejects(&edit("\"float64\"", "\"float32\"").replace("-1.0", "0.1")), Some((Code::ValueDomain, "sparse.values")));
        for bad in ["-1", "1.5", "\"1\"", "null", "true", "9007199254740992"] {
            assert_eq!(rejects(&edit("[1, 0, 2]", &format!("[1, {bad}, 2]"))), Some((Code::ValueDomain, "sparse.index-values")), "{bad}");
        }
        // values come before index values; indices before indptr
        assert_eq!(rejects(&edit("[1, 0, 2]", "[1, -1, 2]").replace("-1.0", "null")), Some((Code::ValueDomain, "sparse.values")));
        let e = decode(&edit("[1, 0, 2]", "[1, -1, 2]").replace("[0, 1, 3]", "[0, -1, 3]")).err();
        assert_eq!(e.and_then(|e| e.path().map(str::to_string)).as_deref(), Some("/indices/1"));
    }

    #[test]
    fn indptr_and_index_range() {
        for bad in ["[1, 1, 3]", "[0, 2, 1]", "[0, 1, 2]", "[0, 1, 4]"] {
            assert_eq!(rejects(&edit("[0, 1, 3]", bad)), Some((Code::SparseIndex, "sparse.indptr")), "{bad}");
        }
        assert_eq!(rejects(&edit("[1, 0, 2]", "[1, 0, 3]")), Some((Code::SparseIndex, "sparse.index-range")));
        // indptr comes before the range
        assert_eq!(rejects(&edit("[1, 0, 2]", "[1, 0, 3]").replace("[0, 1, 3]", "[0, 2, 1]")), Some((Code::SparseIndex, "sparse.indptr")));
        let csc = edit("\"csr\"", "\"csc\"").replace("[0, 1, 3]", "[0, 1, 2, 3]");
        assert_eq!(rejects(&csc), Some((Code::SparseIndex, "sparse.index-range"))); // row 2 of 2
        assert_eq!(rejects(&csc.replace("[1, 0, 2]", "[1, 0, 1]")), None);
        assert_eq!(rejects(&coo("").replace("[1,0,1]", "[1,0,2]")), Some((Code::SparseIndex, "sparse.index-range")));
        assert_eq!(rejects(&coo("").replace("[2,0,2]", "[2,0,3]")), Some((Code::SparseIndex, "sparse.index-range")));
        // a zero dimension holds no entry
        assert_eq!(rejects(&coo("").replace("[2,3]", "[0,3]")), Some((Code::SparseIndex, "sparse.index-range")));
    }

    #[test]
    fn limits_count_items_before_storing_them() {
        let l = Limits { max_elements: 4, ..Limits::MIN };
        let at = |n: usize| {
            let zeros = vec!["0"; n].join(",");
            format!(
                r#"{{"__tywrap__":"scipy.sparse","codecVersion":1,"encoding":"json","format":"coo","shape":[1,1],
                    "dtype":"uint8","data":[{zeros}],"row":[{zeros}],"col":[{zeros}]}}"#
            )
        };
        let code = |n: usize| crate::decode(at(n).as_bytes(), &l).err().map(|e| (e.code(), e.clause()));
        assert_eq!(code(4), None);
        assert_eq!(code(5), Some((Code::LimitExceeded, "sparse.limits")));
        // the index arrays are limited too, even when data is short
        let long_row = at(1).replace("\"row\":[0]", "\"row\":[0,0,0,0,0]");
        assert_eq!(crate::decode(long_row.as_bytes(), &l).err().map(|e| e.clause()), Some("sparse.limits"));
        // nnz times the item size against max_decoded_bytes
        let l = Limits { max_decoded_bytes: 16, ..Limits::default() };
        let f64s = |n: usize| at(n).replace("uint8", "float64");
        assert_eq!(crate::decode(f64s(2).as_bytes(), &l).err().map(|e| e.code()), None);
        assert_eq!(crate::decode(f64s(3).as_bytes(), &l).err().map(|e| e.clause()), Some("sparse.limits"));
    }

    #[test]
    fn encode_writes_what_decodes_back_and_refuses_what_would_not() {
        let s = decode(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        let text = encode(&s, Encoding::Json, &mut FrameOut::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            text,
            r#"{"__tywrap__":"scipy.sparse","codecVersion":1,"encoding":"json","format":"csr","shape":[2,3],"dtype":"float64","data":[1.5,2.0,-1.0],"indices":[1,0,2],"indptr":[0,1,3]}"#
        );
        assert_eq!(decode(&text).ok().as_ref(), Some(&s));
        let refused = |s: &Sparse| encode(s, Encoding::Json, &mut FrameOut::default()).err().map(|e| e.code());
        assert_eq!(encode(&s, Encoding::Arrow, &mut FrameOut::default()).err().map(|e| e.code()), Some(Code::EncodingUnsupported));
        let mut nan = s.clone();
        nan.data[..8].copy_from_slice(&f64::NAN.to_le_bytes());
        assert_eq!(refused(&nan), Some(Code::ValueDomain));
        let mut big = Sparse { dtype: Dtype::Int64, data: (1i64 << 53).to_le_bytes().to_vec(), ..s.clone() };
        big.format = SparseFormat::Coo { row: vec![0], col: vec![0] };
        assert_eq!(refused(&big), Some(Code::ValueDomain));
        assert_eq!(refused(&Sparse { dtype: Dtype::Date, ..s.clone() }), Some(Code::DtypeUnsupported));
        assert_eq!(refused(&Sparse { dtype: Dtype::Float16, data: vec![0; 6], ..s.clone() }), Some(Code::DtypeUnsupported));
        assert_eq!(refused(&Sparse { data: s.data[..20].to_vec(), ..s.clone() }), Some(Code::ShapeMismatch));
        let with = |format: SparseFormat| Sparse { format, ..s.clone() };
        assert_eq!(refused(&with(SparseFormat::Csr { indices: vec![1, 0], indptr: vec![0, 1, 3] })), Some(Code::ShapeMismatch));
        assert_eq!(refused(&with(SparseFormat::Csr { indices: vec![1, 0, 2], indptr: vec![0, 3] })), Some(Code::ShapeMismatch));
        assert_eq!(refused(&with(SparseFormat::Csr { indices: vec![1, 0, 2], indptr: vec![0, 2, 1] })), Some(Code::SparseIndex));
        assert_eq!(refused(&with(SparseFormat::Csr { indices: vec![1, 0, 3], indptr: vec![0, 1, 3] })), Some(Code::SparseIndex));
        assert_eq!(refused(&with(SparseFormat::Csc { indices: vec![1, 0, 1], indptr: vec![0, 1, 2, 3] })), None);
        assert_eq!(refused(&with(SparseFormat::Coo { row: vec![0, 1, 2], col: vec![0, 0, 0] })), Some(Code::SparseIndex));
    }
}
