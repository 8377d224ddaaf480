//! One test (or more) per clause of `spec/src/frame.md`, accept and reject
//! sides, through the crate's one entry point, `crate::decode`; plus the
//! damage a text-mode channel does to a frame, truncation at every offset,
//! the writer's exact bytes, and the borrowed views.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;

use super::*;
use crate::dtype::Dtype;
use crate::value::{Estimator, NdArray, Sparse, SparseFormat, Tensor, TypedJson, Value};
use crate::{Encoding, decode, encode};

/// `prefix + header + zero padding to 64 + body`, with no check of the
/// header's `buffers` against the body: for hostile frames.
fn manual(header: &str, body: &[u8]) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.resize(align(out.len() as u64) as usize, 0);
    out.extend_from_slice(body);
    out
}

/// A well-laid-out frame of `envelope` (without `buffers`) and `buffers`.
fn framed(envelope: &str, buffers: &[&[u8]]) -> Vec<u8> {
    write(envelope, buffers).unwrap()
}

fn rejects(input: &[u8]) -> Option<(Code, &'static str)> {
    decode(input, &Limits::default()).err().map(|e| (e.code(), e.clause()))
}

fn f64s(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn int64s(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

const ND: &str = r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"frame","dtype":"float64","shape":[2,3],"data":0}"#;

fn nd_frame() -> Vec<u8> {
    framed(ND, &[&f64s(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0])])
}

const CSR: &str = r#"{"__tywrap__":"scipy.sparse","codecVersion":1,"encoding":"frame","format":"csr","shape":[2,3],"dtype":"float64","data":0,"indices":1,"indptr":2}"#;

fn csr(data: &[u8], indices: &[u8], indptr: &[u8]) -> Vec<u8> {
    framed(CSR, &[data, indices, indptr])
}

fn csr_ok() -> Vec<u8> {
    csr(&f64s(&[1.5, 2.0, -1.0]), &int64s(&[1, 0, 2]), &int64s(&[0, 1, 3]))
}

// ---------------------------------------------------------------- framing

#[test]
fn a_frame_decodes_to_the_value_its_json_envelope_has() {
    let json = br#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"float64","shape":[2,3],"data":[[0.0,1.0,2.0],[3.0,4.0,5.0]]}"#;
    let want = decode(json, &Limits::default()).unwrap();
    assert_eq!(decode(&nd_frame(), &Limits::default()).unwrap(), want);
    assert_eq!(encode(&want, Encoding::Frame).unwrap(), nd_frame());
}

#[test]
fn signature() {
    // clause: frame.signature
    let good = nd_frame();
    assert_eq!(rejects(&good), None);
    for i in 1..8 {
        let mut bad = good.clone();
        bad[i] ^= 0x20;
        assert_eq!(rejects(&bad), Some((Code::FrameSignature, "frame.signature")), "byte {i}");
    }
    for n in 1..8 {
        assert_eq!(rejects(&good[..n]), Some((Code::FrameSignature, "frame.signature")), "{n} bytes");
    }
    // anything else is JSON text, and rejected there
    let mut not_c1 = good.clone();
    not_c1[0] = 0xc2;
    assert_eq!(rejects(&not_c1).map(|r| r.0), Some(Code::JsonSyntax));
}

#[test]
fn text_mode_damage_is_caught() {
    let good = nd_frame();
    let replace = |from: &[u8], to: &[u8]| {
        let mut out = Vec::new();
        let mut i = 0;
        while i < good.len() {
            if good[i..].starts_with(from) {
                out.extend_from_slice(to);
                i += from.len();
            } else {
                out.push(good[i]);
                i += 1;
            }
        }
        out
    };
    // CRLF to LF, and LF to CRLF, both change the signature
    assert_eq!(rejects(&replace(b"\r\n", b"\n")), Some((Code::FrameSignature, "frame.signature")));
    assert_eq!(rejects(&replace(b"\n", b"\r\n")), Some((Code::FrameSignature, "frame.signature")));
    // a DOS `type` stops at 1a
    let at = good.iter().position(|&b| b == 0x1a).unwrap();
    assert_eq!(rejects(&good[..at]), Some((Code::FrameSignature, "frame.signature")));
    // the eighth bit stripped: c1 becomes 41 ('A'), and it is no frame at all
    let stripped: Vec<u8> = good.iter().map(|b| b & 0x7f).collect();
    assert_eq!(stripped[0], b'A');
    assert_eq!(rejects(&stripped).map(|r| r.0), Some(Code::JsonSyntax));
}

#[test]
fn truncation_at_every_offset_is_rejected() {
    for frame in [nd_frame(), csr_ok()] {
        for n in 1..frame.len() {
            let want = if n < 8 { Code::FrameSignature } else { Code::FrameLayout };
            assert_eq!(rejects(&frame[..n]).map(|r| r.0), Some(want), "truncated to {n} of {}", frame.len());
        }
        // and a byte more is trailing
        let mut longer = frame.clone();
        longer.push(0);
        assert_eq!(rejects(&longer), Some((Code::FrameLayout, "frame.buffers")));
    }
}

#[test]
fn version() {
    // clause: frame.version
    let good = nd_frame();
    for v in [0u32, 2, u32::MAX] {
        let mut bad = good.clone();
        bad[8..12].copy_from_slice(&v.to_le_bytes());
        assert_eq!(rejects(&bad), Some((Code::FrameVersion, "frame.version")), "{v}");
        // the version comes before the header length...
        assert_eq!(rejects(&bad[..14]), Some((Code::FrameVersion, "frame.version")));
    }
    // ...but an input that ends inside it has none to compare
    assert_eq!(rejects(&good[..10]), Some((Code::FrameLayout, "frame.header-length")));
}

#[test]
fn header_length() {
    // clause: frame.header-length
    let good = nd_frame();
    assert_eq!(rejects(&good[..12]), Some((Code::FrameLayout, "frame.header-length")));
    assert_eq!(rejects(&good[..15]), Some((Code::FrameLayout, "frame.header-length")));
    for h in [good.len() as u32 - 15, u32::MAX] {
        let mut bad = good.clone();
        bad[12..16].copy_from_slice(&h.to_le_bytes());
        assert_eq!(rejects(&bad), Some((Code::FrameLayout, "frame.header-length")), "H = {h}");
    }
    // exactly to the end of the input is a valid length (the JSON is then cut)
    let mut to_end = good.clone();
    to_end[12..16].copy_from_slice(&(good.len() as u32 - 16).to_le_bytes());
    assert_eq!(rejects(&to_end).map(|r| r.0), Some(Code::JsonSyntax));
}

#[test]
fn header() {
    // clause: frame.header
    let with = |header: &str| rejects(&manual(header, &[]));
    assert_eq!(with("{\"a\":"), Some((Code::JsonSyntax, "json.syntax")));
    assert_eq!(rejects(&manual("{\"a\":\"\u{ff}\"}", &[]).into_iter().map(|b| if b == 0xc3 { 0xff } else { b }).collect::<Vec<_>>()),
               Some((Code::JsonSyntax, "json.utf8")));
    assert_eq!(with(r#"{"buffers":[],"buffers":[]}"#), Some((Code::JsonDuplicateKey, "json.duplicate-keys")));
    let deep = format!("{{\"buffers\":[],\"x-a\":{}{}}}", "[".repeat(200), "]".repeat(200));
    assert_eq!(with(&deep), Some((Code::LimitExceeded, "json.depth")));
    assert_eq!(with("[]"), Some((Code::NotEnvelope, "envelope.object")));
    assert_eq!(with("\"frame\""), Some((Code::NotEnvelope, "envelope.object")));
    // whitespace around the value is the JSON text's; the padding is not
    let spaced = format!(" {} ", ND.replace("\"data\":0}", "\"data\":0,\"buffers\":[[0,48]]}"));
    assert_eq!(rejects(&manual(&spaced, &f64s(&[0.0; 6]))), None);
}

#[test]
fn buffers_member_and_items() {
    // clause: frame.buffers
    let head = ND.trim_end_matches('}');
    let with = |buffers: &str| rejects(&manual(&format!("{head},\"buffers\":{buffers}}}"), &f64s(&[0.0; 6])));
    assert_eq!(with("[[0,48]]"), None);
    assert_eq!(with("[[0.0,4.8e1]]"), None);
    assert_eq!(rejects(&manual(ND, &f64s(&[0.0; 6]))), Some((Code::MissingField, "frame.buffers")));
    for bad in ["{}", "null", "\"[[0,48]]\"", "48"] {
        assert_eq!(with(bad), Some((Code::FieldType, "frame.buffers")), "{bad}");
    }
    for bad in ["[[0]]", "[[0,48,0]]", "[[-1,48]]", "[[0,\"48\"]]", "[[0.5,48]]", "[[0,9007199254740992]]", "[48]",
                "[{\"offset\":0,\"length\":48}]", "[[0,48],[]]", "[[0,1e400]]"] {
        assert_eq!(with(bad), Some((Code::FrameLayout, "frame.buffers")), "{bad}");
    }
}

#[test]
fn limits_are_checked_on_the_claim_before_the_layout() {
    // clause: frame.limits
    let head = ND.trim_end_matches('}');
    let with = |buffers: &str, limits: &Limits| {
        decode(&manual(&format!("{head},\"buffers\":{buffers}}}"), &f64s(&[0.0; 6])), limits).err().map(|e| (e.code(), e.clause()))
    };
    let d = Limits::default();
    assert_eq!(with("[[0,268435457]]", &d), Some((Code::LimitExceeded, "frame.limits")));
    assert_eq!(with("[[0,9007199254740991],[0,9007199254740991]]", &d), Some((Code::LimitExceeded, "frame.limits")));
    assert_eq!(with("[[0,268435456]]", &d), Some((Code::FrameLayout, "frame.buffers")));
    let tight = Limits { max_decoded_bytes: 47, ..d };
    assert_eq!(with("[[0,48]]", &Limits { max_decoded_bytes: 48, ..d }), None);
    assert_eq!(with("[[0,48]]", &tight), Some((Code::LimitExceeded, "frame.limits")));
    // max_input_bytes bounds the whole frame, first
    let small = Limits { max_input_bytes: 100, ..d };
    assert_eq!(decode(&nd_frame(), &small).err().map(|e| e.clause()), Some("limits.input-bytes"));
    assert_eq!(decode(&[0xc1], &small).err().map(|e| e.clause()), Some("frame.signature"));
}

#[test]
fn layout() {
    // clause: frame.buffers
    let data = f64s(&[1.5, 2.0, -1.0]);
    let (indices, indptr) = (int64s(&[1, 0, 2]), int64s(&[0, 1, 3]));
    let body = |gap1: usize, gap2: usize| [data.clone(), vec![0; gap1], indices.clone(), vec![0; gap2], indptr.clone()].concat();
    let with = |buffers: &str, body: &[u8]| {
        let head = CSR.trim_end_matches('}');
        rejects(&manual(&format!("{head},\"buffers\":{buffers}}}"), body))
    };
    assert_eq!(with("[[0,24],[64,24],[128,24]]", &body(40, 40)), None);
    let layout = Some((Code::FrameLayout, "frame.buffers"));
    assert_eq!(with("[[8,24],[64,24],[128,24]]", &body(40, 40)), layout, "first not at 0");
    assert_eq!(with("[[0,24],[24,24],[48,24]]", &body(0, 0)), layout, "not aligned");
    assert_eq!(with("[[0,24],[128,24],[192,24]]", &body(104, 40)), layout, "a gap of a whole 64");
    assert_eq!(with("[[0,24],[0,24],[64,24]]", &body(40, 40)), layout, "overlapping");
    assert_eq!(with("[[0,24],[128,24],[64,24]]", &body(40, 40)), layout, "out of order");
    assert_eq!(with("[[0,24],[64,24],[128,24]]", &body(40, 40)[..150]), layout, "truncated");
    assert_eq!(with("[[0,24],[64,24],[128,23]]", &body(40, 40)), layout, "a byte after the last");
    assert_eq!(with("[[0,24],[64,24],[128,1000000]]", &body(40, 40)), layout, "far past the input");
    // no buffers: the frame ends at D, and not inside the header's padding
    let est = r#"{"__tywrap__":"sklearn.estimator","codecVersion":1,"encoding":"json","className":"A","module":"m","version":null,"params":{},"buffers":[]}"#;
    let frame = manual(est, &[]);
    assert_eq!(rejects(&frame), None);
    assert_eq!(rejects(&[frame.as_slice(), &[0]].concat()), layout);
    assert_eq!(rejects(&frame[..frame.len() - 1]), layout);
    // zero-length buffers share an offset
    let empty = Value::NdArray(NdArray { dtype: Dtype::Int8, shape: vec![0], data: vec![] });
    let bytes = encode(&empty, Encoding::Frame).unwrap();
    assert!(std::str::from_utf8(&bytes[16..]).unwrap_or_default().contains("\"buffers\":[[0,0]]"));
    assert_eq!(decode(&bytes, &Limits::default()).unwrap(), empty);
    // a zero entry makes the product 0, however large the others
    let wide = Value::NdArray(NdArray { dtype: Dtype::Float64, shape: vec![1 << 40, 1 << 40, 0], data: vec![] });
    let bytes = encode(&wide, Encoding::Frame).unwrap();
    assert_eq!(decode(&bytes, &Limits::default()).unwrap(), wide);
}

#[test]
fn padding() {
    // clause: frame.padding
    let good = csr_ok();
    let h = u32::from_le_bytes(good[12..16].try_into().unwrap()) as usize;
    let start = align(16 + h as u64) as usize;
    assert!(start > 16 + h, "the test needs header padding");
    let mut bad = good.clone();
    bad[16 + h] = b' ';
    assert_eq!(rejects(&bad), Some((Code::FrameLayout, "frame.padding")));
    let mut bad = good.clone();
    bad[start - 1] = 1;
    assert_eq!(rejects(&bad), Some((Code::FrameLayout, "frame.padding")));
    let mut bad = good.clone();
    bad[start + 24] = 0x80; // after data, before indices
    assert_eq!(rejects(&bad), Some((Code::FrameLayout, "frame.padding")));
    let mut bad = good;
    bad[start + 64 + 63] = 1; // the last byte before indptr
    assert_eq!(rejects(&bad), Some((Code::FrameLayout, "frame.padding")));
}

#[test]
fn a_million_empty_buffers_cost_no_memory() {
    let n = 1_000_000;
    let entries = vec!["[0,0]"; n].join(",");
    let est = format!(
        r#"{{"__tywrap__":"sklearn.estimator","codecVersion":1,"encoding":"json","className":"A","module":"m","version":null,"params":{{}},"buffers":[{entries}]}}"#
    );
    let frame = manual(&est, &[]);
    let view = read(&frame, &Limits::default()).unwrap();
    assert_eq!(view.buffer_count(), n);
    // every buffer must be referred to: the estimator refers to none
    assert_eq!(rejects(&frame), Some((Code::FrameLayout, "frame.references")));
}

// ---------------------------------------------------------------- the header's envelope

#[test]
fn the_envelope_is_checked_as_a_json_envelope_is() {
    // clause: frame.envelope
    let six = f64s(&[0.0; 6]);
    let with = |envelope: &str| rejects(&framed(envelope, &[&six]));
    assert_eq!(with(&ND.replace("float64", "complex128")), Some((Code::DtypeUnsupported, "ndarray.dtype.table")));
    assert_eq!(with(&ND.replace("[2,3]", "[2,-3]")), Some((Code::ShapeInvalid, "ndarray.shape.items")));
    assert_eq!(with(&ND.replace("\"ndarray\"", "\"xarray\"")), Some((Code::UnknownMarker, "envelope.marker")));
    assert_eq!(with(&ND.replace("\"data\":0", "\"data\":0,\"b64\":\"\"")), Some((Code::UnknownField, "envelope.unknown-fields")));
    assert_eq!(with(&ND.replace("\"data\":0", "\"data\":0,\"x-note\":[1]")), None);
    assert_eq!(with(&ND.replace("\"__tywrap__\":\"ndarray\",", "")), Some((Code::NotEnvelope, "envelope.object")));
    // only the frame encoding in a frame, and never in text
    assert_eq!(with(&ND.replace("\"frame\"", "\"json\"")), Some((Code::EncodingUnsupported, "ndarray.encodings")));
    assert_eq!(with(&ND.replace("\"frame\"", "\"arrow\"")), Some((Code::EncodingUnsupported, "ndarray.encodings")));
    let text = ND.replace("\"data\":0", "\"data\":[[0,0,0],[0,0,0]]");
    assert_eq!(rejects(text.as_bytes()), Some((Code::EncodingUnsupported, "ndarray.encodings")));
    let text = ND.replace("\"data\":0", "\"data\":0,\"buffers\":[[0,48]]").replace("\"frame\"", "\"json\"");
    assert_eq!(rejects(text.as_bytes()), Some((Code::UnknownField, "envelope.unknown-fields")));
    // an estimator keeps json, and its frame has no buffers
    let est = r#"{"__tywrap__":"sklearn.estimator","codecVersion":1,"encoding":"json","className":"A","module":"m","version":"1","params":{"C":1.0}}"#;
    assert_eq!(rejects(&framed(est, &[])), None);
    assert_eq!(rejects(&framed(&est.replace("\"json\"", "\"frame\""), &[])), Some((Code::EncodingUnsupported, "sklearn.encodings")));
    assert_eq!(rejects(&framed(est, &[b"x"])), Some((Code::FrameLayout, "frame.references")));
}

#[test]
fn codec_version() {
    // clause: frame.codec-version
    let six = f64s(&[0.0; 6]);
    let v0 = ND.replace("\"codecVersion\":1,", "");
    assert_eq!(rejects(&framed(&v0, &[&six])), Some((Code::CodecVersion, "frame.codec-version")));
    assert_eq!(rejects(&framed(&ND.replace(":1,", ":2,"), &[&six])), Some((Code::CodecVersion, "envelope.codec-version")));
    assert_eq!(rejects(&framed(&ND.replace(":1,", ":1.0,"), &[&six])), None);
    // after the marker, as envelope.codec-version is
    let unknown = v0.replace("\"ndarray\"", "\"polars\"");
    assert_eq!(rejects(&framed(&unknown, &[&six])), Some((Code::UnknownMarker, "envelope.marker")));
}

#[test]
fn references() {
    // clause: frame.references
    let six = f64s(&[0.0; 6]);
    let with = |data: &str| rejects(&framed(&ND.replace("\"data\":0", &format!("\"data\":{data}")), &[&six]));
    assert_eq!(with("0.0"), None);
    assert_eq!(with("-0"), None);
    for bad in ["\"0\"", "null", "0.5", "[0]", "true", "1e400"] {
        assert_eq!(with(bad), Some((Code::FieldType, "frame.references")), "{bad}");
    }
    for bad in ["1", "-1", "9007199254740993"] {
        assert_eq!(with(bad), Some((Code::FrameLayout, "frame.references")), "{bad}");
    }
    // a buffer referred to twice, and one never
    let twice = CSR.replace("\"indptr\":2", "\"indptr\":1");
    let (d, i) = (f64s(&[1.5, 2.0, -1.0]), int64s(&[1, 0, 2]));
    assert_eq!(rejects(&framed(&twice, &[&d, &i, &i])), Some((Code::FrameLayout, "frame.references")));
    assert_eq!(rejects(&framed(ND, &[&six, &[]])), Some((Code::FrameLayout, "frame.references")));
    // references may name the buffers in any order
    let permuted = CSR.replace("\"data\":0", "\"data\":2").replace("\"indptr\":2", "\"indptr\":0");
    assert_eq!(rejects(&framed(&permuted, &[&int64s(&[0, 1, 3]), &i, &d])), None);
    // the unreferenced buffer is found only once the envelope is decoded
    let bad_value = framed(&ND.replace("float64", "bool").replace("[2,3]", "[1]"), &[&[2], &[]]);
    assert_eq!(rejects(&bad_value), Some((Code::ValueDomain, "frame.values")));
    // and a reference is checked where the payload is: after the shape
    let both = ND.replace("[2,3]", "[-1]").replace("\"data\":0", "\"data\":\"0\"");
    assert_eq!(rejects(&framed(&both, &[&six])), Some((Code::ShapeInvalid, "ndarray.shape.items")));
}

#[test]
fn lengths() {
    // clause: frame.lengths
    assert_eq!(rejects(&framed(ND, &[&f64s(&[0.0; 5])])), Some((Code::ShapeMismatch, "frame.lengths")));
    assert_eq!(rejects(&framed(ND, &[&f64s(&[0.0; 7])])), Some((Code::ShapeMismatch, "frame.lengths")));
    // the shape's limits come first
    let huge = ND.replace("[2,3]", "[1048576,1048576]");
    assert_eq!(rejects(&framed(&huge, &[&f64s(&[0.0; 6])])), Some((Code::LimitExceeded, "limits.elements")));
    let (d, i, p) = (f64s(&[1.5, 2.0, -1.0]), int64s(&[1, 0, 2]), int64s(&[0, 1, 3]));
    assert_eq!(rejects(&csr(&d[..23], &i, &p)), Some((Code::ShapeMismatch, "frame.lengths")));
    assert_eq!(rejects(&csr(&d, &i[..20], &p)), Some((Code::ShapeMismatch, "frame.lengths")));
    assert_eq!(rejects(&csr(&d, &i, &p[..23])), Some((Code::ShapeMismatch, "frame.lengths")));
    // whole items, then sparse.lengths on their counts
    assert_eq!(rejects(&csr(&d, &i[..16], &p)), Some((Code::ShapeMismatch, "sparse.lengths")));
    assert_eq!(rejects(&csr(&d, &i, &int64s(&[0, 3]))), Some((Code::ShapeMismatch, "sparse.lengths")));
    // and sparse.limits
    let l = Limits { max_elements: Limits::MIN.max_elements, ..Limits::default() };
    let n = l.max_elements as usize + 1;
    let coo = CSR.replace("csr", "coo").replace("indices", "row").replace("indptr", "col").replace("float64", "bool");
    let frame = framed(&coo, &[&vec![0; n], &vec![0; 8 * n], &vec![0; 8 * n]]);
    assert_eq!(decode(&frame, &l).err().map(|e| e.clause()), Some("sparse.limits"));
}

#[test]
fn values() {
    // clause: frame.values
    let one = |dtype: &str, bytes: &[u8]| {
        let env = ND.replace("float64", dtype).replace("[2,3]", "[1]");
        rejects(&framed(&env, &[bytes]))
    };
    assert_eq!(one("bool", &[1]), None);
    assert_eq!(one("bool", &[2]), Some((Code::ValueDomain, "frame.values")));
    assert_eq!(one("<U1", &0x10ffffu32.to_le_bytes()), None);
    assert_eq!(one("<U1", &0x110000u32.to_le_bytes()), Some((Code::ValueDomain, "frame.values")));
    assert_eq!(one("<U1", &0xd800u32.to_le_bytes()), Some((Code::ValueDomain, "frame.values")));
    // what JSON cannot hold, a frame carries as it is
    assert_eq!(one("float64", &f64::NAN.to_le_bytes()), None);
    assert_eq!(one("int64", &i64::MIN.to_le_bytes()), None);
    assert_eq!(one("datetime64[ns]", &i64::MIN.to_le_bytes()), None);
    assert_eq!(one("|S2", b"\0a"), None);
    assert_eq!(one("<U2", &[0, 0, 0, 0, 0x61, 0, 0, 0]), None);
    // sparse: NaN and 2^60 in data; int64 indices in [0, 2^53-1]
    let (i, p) = (int64s(&[1, 0, 2]), int64s(&[0, 1, 3]));
    assert_eq!(rejects(&csr(&f64s(&[f64::NAN, f64::INFINITY, -0.0]), &i, &p)), None);
    let big = framed(&CSR.replace("float64", "int64"), &[&int64s(&[1 << 60, 2, 3]), &i, &p]);
    assert_eq!(rejects(&big), None);
    let bools = framed(&CSR.replace("float64", "bool"), &[&[1, 0, 2], &i, &p]);
    assert_eq!(rejects(&bools), Some((Code::ValueDomain, "frame.values")));
    let d = f64s(&[1.5, 2.0, -1.0]);
    assert_eq!(rejects(&csr(&d, &int64s(&[1, -1, 2]), &p)), Some((Code::ValueDomain, "sparse.index-values")));
    assert_eq!(rejects(&csr(&d, &int64s(&[1, 1 << 53, 2]), &p)), Some((Code::ValueDomain, "sparse.index-values")));
    assert_eq!(rejects(&csr(&d, &i, &int64s(&[0, 2, 1]))), Some((Code::SparseIndex, "sparse.indptr")));
    assert_eq!(rejects(&csr(&d, &int64s(&[1, 0, 3]), &p)), Some((Code::SparseIndex, "sparse.index-range")));
}

#[test]
fn torch_tensors_refer_through_their_nested_envelope() {
    let nested = r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"frame","dtype":"float32","shape":[2],"data":0}"#;
    let tensor = |nested: &str, outer: &str| {
        format!(r#"{{"__tywrap__":"torch.tensor","codecVersion":1,"encoding":"ndarray","value":{nested},"shape":[2],"dtype":"{outer}","device":"cpu"}}"#)
    };
    let two = [1.5f32, -2.0].iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<u8>>();
    let ok = framed(&tensor(nested, "torch.float32"), &[&two]);
    let canonical = decode(&ok, &Limits::default()).unwrap().to_canonical();
    assert_eq!(canonical["array"]["hex"], "0000c03f000000c0");
    assert_eq!(rejects(&framed(&tensor(nested, "torch.float64"), &[&two])), Some((Code::DtypeMismatch, "torch.dtype.agreement")));
    let wrong = tensor(&nested.replace("\"frame\"", "\"json\"").replace("\"data\":0", "\"data\":[1.5,-2.0]"), "torch.float32");
    assert_eq!(rejects(&framed(&wrong, &[])), Some((Code::EncodingUnsupported, "ndarray.encodings")));
    let own = tensor(&nested.replace("\"data\":0", "\"data\":0,\"buffers\":[[0,8]]"), "torch.float32");
    assert_eq!(rejects(&framed(&own, &[&two])), Some((Code::UnknownField, "envelope.unknown-fields")));
    let e = decode(&framed(&tensor(&nested.replace("\"data\":0", "\"data\":1"), "torch.float32"), &[&two]), &Limits::default());
    assert_eq!(e.err().and_then(|e| e.path().map(str::to_string)).as_deref(), Some("/value/data"));
    let bf16 = tensor(nested, "torch.float32").replace("\"cpu\"", "\"cpu\",\"sourceDtype\":\"torch.bfloat16\"");
    assert_eq!(rejects(&framed(&bf16, &[&two])), None);
    assert_eq!(rejects(&framed(&bf16, &[&f64s(&[1.0 / 3.0])])), Some((Code::ValueDomain, "torch.bfloat16")));
}

// ---------------------------------------------------------------- reading and writing

#[test]
fn detect() {
    // clause: frame.detect
    assert!(is_frame(&nd_frame()));
    assert!(!is_frame(b" {}"));
    assert!(!is_frame(b""));
    assert_eq!(rejects(b"\xef\xbb\xbf{}").map(|r| r.0), Some(Code::JsonSyntax));
    assert_eq!(rejects(&[0xc1]), Some((Code::FrameSignature, "frame.signature")));
}

#[test]
fn encode_writes_the_one_layout() {
    // clause: frame.encode
    let v = Value::NdArray(NdArray { dtype: Dtype::Int8, shape: vec![2], data: vec![1, 0xff] });
    let header = r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"frame","dtype":"int8","shape":[2],"data":0,"buffers":[[0,2]]}"#;
    let mut want = vec![0xc1, 0x53, 0x57, 0x52, 0x0d, 0x0a, 0x1a, 0x0a, 1, 0, 0, 0, header.len() as u8, 0, 0, 0];
    want.extend_from_slice(header.as_bytes());
    want.resize(align(want.len() as u64) as usize, 0);
    want.extend_from_slice(&[1, 0xff]);
    assert_eq!(encode(&v, Encoding::Frame).unwrap(), want);

    let sparse = Value::Sparse(Sparse {
        dtype: Dtype::Float64,
        shape: [2, 3],
        data: f64s(&[1.5, 2.0, -1.0]),
        format: SparseFormat::Csr { indices: vec![1, 0, 2], indptr: vec![0, 1, 3] },
    });
    let bytes = encode(&sparse, Encoding::Frame).unwrap();
    assert_eq!(bytes, csr_ok());
    let view = read(&bytes, &Limits::default()).unwrap();
    assert_eq!(view.header(), format!("{},\"buffers\":[[0,24],[64,24],[128,24]]}}", CSR.trim_end_matches('}')));
    let start = align(16 + view.header().len() as u64) as usize;
    assert_eq!(view.buffers().map(|b| b.offset()).collect::<Vec<_>>(), [start, start + 64, start + 128]);

    let tensor = Value::Tensor(Tensor {
        array: NdArray { dtype: Dtype::Float32, shape: vec![], data: vec![0, 0, 0x80, 0x3f] },
        from_bfloat16: true,
        source_device: Some("cuda:0\u{8}\u{c}\u{1}\"é".into()),
    });
    let view_bytes = encode(&tensor, Encoding::Frame).unwrap();
    let view = read(&view_bytes, &Limits::default()).unwrap();
    assert_eq!(
        view.header(),
        r#"{"__tywrap__":"torch.tensor","codecVersion":1,"encoding":"ndarray","value":{"__tywrap__":"ndarray","codecVersion":1,"encoding":"frame","dtype":"float32","shape":[],"data":0},"shape":[],"dtype":"torch.float32","device":"cpu","sourceDtype":"torch.bfloat16","sourceDevice":"cuda:0\b\f\u0001\"é","buffers":[[0,4]]}"#
    );
    assert_eq!(decode(&view_bytes, &Limits::default()).unwrap(), tensor);

    let estimator = Value::Estimator(Estimator {
        class_name: "Ridge".into(),
        module: "sklearn.linear_model._ridge".into(),
        version: None,
        params: vec![("alpha".into(), TypedJson::Int(2)), ("b".into(), TypedJson::Array(vec![TypedJson::Null]))],
    });
    let bytes = encode(&estimator, Encoding::Frame).unwrap();
    let view = read(&bytes, &Limits::default()).unwrap();
    assert_eq!(
        view.header(),
        r#"{"__tywrap__":"sklearn.estimator","codecVersion":1,"encoding":"json","className":"Ridge","module":"sklearn.linear_model._ridge","version":null,"params":{"alpha":2,"b":[null]},"buffers":[]}"#
    );
    assert_eq!(bytes.len() as u64, align(16 + view.header().len() as u64));
    assert_eq!(decode(&bytes, &Limits::default()).unwrap(), estimator);
}

#[test]
fn encode_refuses_what_a_decoder_would_reject_and_nothing_else() {
    let refused = |v: &Value| encode(v, Encoding::Frame).err().map(|e| (e.code(), e.clause()));
    let bad_bool = Value::NdArray(NdArray { dtype: Dtype::Bool, shape: vec![2], data: vec![1, 2] });
    assert_eq!(refused(&bad_bool), Some((Code::ValueDomain, "frame.values")));
    let surrogate = Value::NdArray(NdArray { dtype: Dtype::Unicode(1), shape: vec![], data: 0xdc00u32.to_le_bytes().to_vec() });
    assert_eq!(refused(&surrogate), Some((Code::ValueDomain, "frame.values")));
    let short = Value::NdArray(NdArray { dtype: Dtype::Int16, shape: vec![2], data: vec![1, 2, 3] });
    assert_eq!(refused(&short).map(|r| r.0), Some(Code::ShapeMismatch));
    let nat = Value::NdArray(NdArray { dtype: Dtype::Date, shape: vec![1], data: i64::MIN.to_le_bytes().to_vec() });
    assert_eq!(refused(&nat), None);
    let nan = Value::Sparse(Sparse {
        dtype: Dtype::Float32,
        shape: [1, 1],
        data: f32::NAN.to_le_bytes().to_vec(),
        format: SparseFormat::Coo { row: vec![0], col: vec![0] },
    });
    assert_eq!(refused(&nan), None);
    assert_eq!(encode(&nan, Encoding::Json).err().map(|e| e.code()), Some(Code::ValueDomain));
    let Value::Sparse(mut far) = nan.clone() else { panic!("not sparse") };
    far.shape = [(1 << 53) - 1, 1];
    far.format = SparseFormat::Coo { row: vec![1 << 53], col: vec![0] };
    assert_eq!(refused(&Value::Sparse(far)).map(|r| r.0), Some(Code::ValueDomain));
    let huge = Value::NdArray(NdArray { dtype: Dtype::UInt8, shape: vec![(256 << 20) - 100], data: vec![0; (256 << 20) - 100] });
    assert_eq!(refused(&huge).map(|r| r.0), Some(Code::LimitExceeded));
}

#[test]
fn views_borrow_aligned_buffers_and_copy_misaligned_ones_once() {
    // clause: frame.view
    let frame = nd_frame();
    // aligned storage: the frame at the start of a u64 buffer
    let mut storage = vec![0u64; frame.len() / 8 + 2];
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut storage);
    bytes[..frame.len()].copy_from_slice(&frame);
    let aligned = &bytes[..frame.len()];
    let view = read(aligned, &Limits::default()).unwrap();
    let buffer = view.buffer(0).unwrap();
    assert_eq!(buffer.bytes().as_ptr(), aligned[buffer.offset()..].as_ptr());
    let floats = buffer.elements::<f64>().unwrap();
    assert!(matches!(floats, Cow::Borrowed(_)));
    assert_eq!(floats.as_ptr().cast::<u8>(), aligned[buffer.offset()..].as_ptr());
    assert_eq!(&*floats, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!((buffer.len(), buffer.is_empty()), (48, false));
    let empty = encode(&Value::NdArray(NdArray { dtype: Dtype::Float64, shape: vec![0], data: vec![] }), Encoding::Frame).unwrap();
    let empty = read(&empty, &Limits::default()).unwrap();
    assert_eq!(empty.buffer(0).map(|b| (b.len(), b.is_empty(), b.elements::<f64>().map(|e| e.len()))), Some((0, true, Some(0))));
    // the same frame one byte later: the bytes still borrow, the f64s are one copy
    let mut storage = vec![0u64; frame.len() / 8 + 2];
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut storage);
    bytes[1..=frame.len()].copy_from_slice(&frame);
    let misaligned = &bytes[1..=frame.len()];
    let view = read(misaligned, &Limits::default()).unwrap();
    let buffer = view.buffer(0).unwrap();
    assert_eq!(buffer.bytes().as_ptr(), misaligned[buffer.offset()..].as_ptr());
    let floats = buffer.elements::<f64>().unwrap();
    assert!(matches!(floats, Cow::Owned(_)));
    assert_eq!(&*floats, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert!(matches!(buffer.elements::<u8>(), Some(Cow::Borrowed(_))));
    assert!(view.buffer(1).is_none());
    // a length that is no whole number of elements
    let three = encode(&Value::NdArray(NdArray { dtype: Dtype::Bytes(3), shape: vec![], data: b"abc".to_vec() }), Encoding::Frame).unwrap();
    let three = read(&three, &Limits::default()).unwrap();
    assert_eq!(three.buffer(0).and_then(|b| b.elements::<u16>()), None);
    assert_eq!(three.buffer(0).and_then(|b| b.elements::<u8>()).as_deref(), Some(&b"abc"[..]));
    // decode copies the buffer into the value: the value owns its bytes
    let Value::NdArray(a) = crate::decode_frame(&view, &Limits::default()).unwrap() else { panic!("not an ndarray") };
    assert_ne!(a.data.as_ptr(), buffer.bytes().as_ptr());
    assert_eq!(a.data, buffer.bytes());
}
