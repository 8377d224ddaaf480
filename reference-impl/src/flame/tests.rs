//! One test (or more) per clause of `spec/src/flame.md`, accept and reject
//! sides, through the profile's entry points: frames written by flamepy
//! 0.6.0 itself (pyarrow 26.0.1), hand-built tensor messages for what no
//! producer writes, truncation at every offset, and round trips.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use arrow_ipc::{
    BoolBuilder, Buffer, FloatingPointBuilder, IntBuilder, KeyValue, KeyValueArgs, MessageBuilder, MessageHeader,
    MetadataVersion, Precision, RecordBatchBuilder, TensorBuilder, TensorDimBuilder, Type, Utf8Builder,
};
use flatbuffers::{FlatBufferBuilder, WIPOffset};
use proptest::prelude::*;

use super::*;
use crate::dtype::Dtype;
use crate::value::{Estimator, NdArray, Sparse, SparseFormat, Value};

// ---------------------------------------------------------------- helpers

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Written by flamepy 0.6.0's `_serialize_object_data` (pyarrow 26.0.1).
const I32_123: &str = "464c4d01ffffffffb800000014000000000000000c001a000600050008000c000c00000000040400200000000c000000000000000000000000000e002800070008000c00100014000e0000000000000260000000280000001800000000000000000000000c0000000000000000000000010000000400000000000000010000000c00000008001400080004000800000010000000030000000000000000000000000000000000000008000c00080007000800000000000001200000000000000000000000010000000200000003000000";
/// `np.array(3.0)`: a 0-d tensor, whose empty `strides` vector pyarrow
/// leaves 4 bytes past a multiple of 8.
const F64_SCALAR: &str = "464c4d01ffffffff7800000014000000000000000c001a000600050008000c000c000000000404002000000008000000000000000000000000000e002400070008000c00100014000e000000000000032c0000001c00000014000000000000000000000008000000000000000000000000000000000006000800060006000000000002000000000000000840";
/// `np.asfortranarray(np.arange(6.).reshape(2, 3))`: strides `[8, 16]`.
const F64_2X3_F: &str = "464c4d01fffffffff800000014000000000000000c001a000600050008000c000c000000000404002000000030000000000000000000000000000e002800070008000c00100014000e000000000000038c0000003400000018000000000000000000000030000000000000000000000002000000080000000000000010000000000000000000000002000000300000000c0000000800100008000400080000000c00000003000000000000000000000000000000080014000800040008000000100000000200000000000000000000000000000000000600080006000600000000000200000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000840000000000000f03f000000000000104000000000000000400000000000001440";
/// `np.array([True, False, True])`: written as `Int { 8, unsigned }`.
const BOOL_TFT: &str = "464c4d01ffffffffb800000014000000000000000c001a000600050008000c000c000000000404002000000003000000000000000000000000000e002800070008000c00100014000e000000000000025c00000028000000180000000000000000000000030000000000000000000000010000000100000000000000010000000c00000008001400080004000800000010000000030000000000000000000000000000000000060008000400060000000800000000000000000000000000000000000000010001";
/// `np.zeros((0, 3), np.float32)`: strides `[4, 4]`.
const F32_0X3: &str = "464c4d01fffffffff80000001000000000000a000e000600050008000a000000000404001400000000000e002800070008000c00100014000e00000000000003840000003400000018000000000000000000000000000000000000000000000002000000040000000000000004000000000000000000000002000000340000000c0000000800140008000400080000001000000003000000000000000000000000000000000000000800080000000400080000000400000000000000000006000800060006000000000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

fn dec(input: &[u8]) -> Result<Value> {
    decode(input, &Limits::default())
}

fn rejects(input: &[u8]) -> Option<(Code, &'static str)> {
    dec(input).err().map(|e| (e.code(), e.clause()))
}

fn nd(dtype: Dtype, shape: &[u64], data: Vec<u8>) -> Value {
    Value::NdArray(NdArray { dtype, shape: shape.to_vec(), data })
}

fn f64s(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The Arrow type a hand-built tensor message declares.
#[derive(Clone, Copy)]
enum Ty {
    Int(i32, bool),
    Float(Precision),
    Bool,
    Utf8,
    /// A type tag outside the `Type` union, with an Int table as its value.
    Unknown(u8),
}

/// A tensor message, field by field: by default the pyarrow message of a
/// float64 array of shape `[2, 3]`, with no body attached.
#[derive(Clone)]
struct Msg {
    version: MetadataVersion,
    header: MessageHeader,
    ty: Ty,
    dims: Vec<(i64, Option<&'static str>)>,
    strides: Option<Vec<i64>>,
    data: (i64, i64),
    body_length: i64,
    custom: Option<Vec<(&'static str, &'static str)>>,
    /// Write an empty `strides` with its elements 4 bytes past a multiple of
    /// 8, as the C++ builder does (`strides` must be `Some(vec![])`).
    misaligned_empty_strides: bool,
}

impl Default for Msg {
    fn default() -> Self {
        Msg {
            version: MetadataVersion::V5,
            header: MessageHeader::Tensor,
            ty: Ty::Float(Precision::DOUBLE),
            dims: vec![(2, Some("")), (3, Some(""))],
            strides: Some(vec![24, 8]),
            data: (0, 48),
            body_length: 48,
            custom: None,
            misaligned_empty_strides: false,
        }
    }
}

impl Msg {
    fn shape(mut self, dims: &[i64]) -> Msg {
        self.dims = dims.iter().map(|&d| (d, Some(""))).collect();
        self
    }

    fn strides(mut self, strides: Option<&[i64]>) -> Msg {
        self.strides = strides.map(<[i64]>::to_vec);
        self
    }

    fn body(mut self, length: i64) -> Msg {
        self.data = (0, length);
        self.body_length = length;
        self
    }

    /// The metadata flatbuffer.
    fn metadata(&self) -> Vec<u8> {
        let mut fbb = FlatBufferBuilder::new();
        let (type_type, type_) = match self.ty {
            Ty::Int(bits, signed) => {
                let mut b = IntBuilder::new(&mut fbb);
                b.add_bitWidth(bits);
                b.add_is_signed(signed);
                (Type::Int, b.finish().as_union_value())
            }
            Ty::Float(p) => {
                let mut b = FloatingPointBuilder::new(&mut fbb);
                b.add_precision(p);
                (Type::FloatingPoint, b.finish().as_union_value())
            }
            Ty::Bool => (Type::Bool, BoolBuilder::new(&mut fbb).finish().as_union_value()),
            Ty::Utf8 => (Type::Utf8, Utf8Builder::new(&mut fbb).finish().as_union_value()),
            Ty::Unknown(tag) => {
                let mut b = IntBuilder::new(&mut fbb);
                b.add_bitWidth(32);
                (Type(tag), b.finish().as_union_value())
            }
        };
        let names: Vec<Option<WIPOffset<&str>>> =
            self.dims.iter().map(|(_, n)| n.map(|n| fbb.create_string(n))).collect();
        let dims: Vec<_> = self
            .dims
            .iter()
            .zip(names)
            .map(|(&(size, _), name)| {
                let mut b = TensorDimBuilder::new(&mut fbb);
                b.add_size(size);
                if let Some(n) = name {
                    b.add_name(n);
                }
                b.finish()
            })
            .collect();
        let shape = fbb.create_vector(&dims);
        let strides = match &self.strides {
            Some(s) if s.is_empty() && self.misaligned_empty_strides => {
                // An empty vector of u32, placed where an i64 vector's
                // elements would not be 8-byte aligned.
                let mut v = fbb.create_vector::<u32>(&[]);
                if !v.value().is_multiple_of(8) {
                    // 4 bytes on from the last one
                    v = fbb.create_vector::<u32>(&[]);
                }
                assert!(v.value().is_multiple_of(8));
                Some(WIPOffset::<flatbuffers::Vector<'_, i64>>::new(v.value()))
            }
            Some(s) => Some(fbb.create_vector(s)),
            None => None,
        };
        let custom = self.custom.as_ref().map(|kvs| {
            let items: Vec<_> = kvs
                .iter()
                .map(|(k, v)| {
                    let args = KeyValueArgs { key: Some(fbb.create_string(k)), value: Some(fbb.create_string(v)) };
                    KeyValue::create(&mut fbb, &args)
                })
                .collect();
            fbb.create_vector(&items)
        });
        let header = if self.header == MessageHeader::Tensor {
            let mut t = TensorBuilder::new(&mut fbb);
            t.add_type_type(type_type);
            t.add_type_(type_);
            t.add_shape(shape);
            if let Some(s) = strides {
                t.add_strides(s);
            }
            t.add_data(&Buffer::new(self.data.0, self.data.1));
            Some(t.finish().as_union_value())
        } else if self.header == MessageHeader::RecordBatch {
            let mut r = RecordBatchBuilder::new(&mut fbb);
            r.add_length(0);
            Some(r.finish().as_union_value())
        } else {
            None
        };
        let mut m = MessageBuilder::new(&mut fbb);
        m.add_version(self.version);
        m.add_header_type(self.header);
        if let Some(h) = header {
            m.add_header(h);
        }
        m.add_bodyLength(self.body_length);
        if let Some(c) = custom {
            m.add_custom_metadata(c);
        }
        let root = m.finish();
        fbb.finish(root, None);
        fbb.finished_data().to_vec()
    }

    /// `FLM\x01`, the message with `8 + M` padded to 64, and `body`.
    fn frame(&self, body: &[u8]) -> Vec<u8> {
        raw(&self.metadata(), body)
    }
}

/// An FLM tensor frame around `metadata` and `body`, as pyarrow lays it out.
fn raw(metadata: &[u8], body: &[u8]) -> Vec<u8> {
    let padded = (8 + metadata.len()).div_ceil(64) * 64;
    let mut out = b"FLM\x01\xff\xff\xff\xff".to_vec();
    out.extend_from_slice(&((padded - 8) as i32).to_le_bytes());
    out.extend_from_slice(metadata);
    out.resize(4 + padded, 0);
    out.extend_from_slice(body);
    out
}

fn f64_2x3() -> Vec<u8> {
    f64s(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
}

// ---------------------------------------------------------------- real producer

#[test]
fn flamepy_frames_decode_to_their_arrays() {
    let int32 = |v: &[i32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    assert_eq!(dec(&hex(I32_123)).unwrap(), nd(Dtype::Int32, &[3], int32(&[1, 2, 3])));
    assert_eq!(dec(&hex(F64_SCALAR)).unwrap(), nd(Dtype::Float64, &[], f64s(&[3.0])));
    // column-major on the wire, C order in the value
    assert_eq!(dec(&hex(F64_2X3_F)).unwrap(), nd(Dtype::Float64, &[2, 3], f64_2x3()));
    // [flame.tensor.type]: a numpy bool array is uint8, never guessed back
    assert_eq!(dec(&hex(BOOL_TFT)).unwrap(), nd(Dtype::UInt8, &[3], vec![1, 0, 1]));
    // [flame.tensor.strides]: an empty tensor's strides [4, 4] are not checked
    assert_eq!(dec(&hex(F32_0X3)).unwrap(), nd(Dtype::Float32, &[0, 3], vec![]));
}

#[test]
fn the_encoder_writes_what_flamepy_writes_up_to_the_flatbuffer_layout() {
    for (input, len) in [(I32_123, 208), (F64_2X3_F, 308), (F32_0X3, 260)] {
        let value = dec(&hex(input)).unwrap();
        let out = encode(&value, FlameEncoding::Tensor).unwrap();
        // same prefix and frame shape: 8 + M a multiple of 64, an unpadded body
        assert_eq!(&out[..8], &hex(input)[..8]);
        let m = i32::from_le_bytes(out[8..12].try_into().unwrap()) as usize;
        assert_eq!((8 + m) % 64, 0);
        assert_eq!(out.len(), 4 + 8 + m + value_len(&value));
        assert_eq!(dec(&out).unwrap(), value);
        assert!(out.len() <= len, "{} > {len}", out.len());
    }
}

fn value_len(v: &Value) -> usize {
    match v {
        Value::NdArray(a) => a.data.len(),
        _ => 0,
    }
}

// ---------------------------------------------------------------- entry

#[test]
fn limits_input_bytes_comes_first() {
    let small = Limits { max_input_bytes: 100, ..Limits::default() };
    let e = decode(&hex(I32_123), &small).unwrap_err();
    assert_eq!((e.code(), e.clause()), (Code::LimitExceeded, "limits.input-bytes"));
    // before the prefix is looked at
    let e = decode(&[b'x'; 101], &small).unwrap_err();
    assert_eq!(e.code(), Code::LimitExceeded);
}

#[test]
fn flame_pickle_refuses_every_pickle_unread() {
    let pickle = Some((Code::PickleRefused, "flame.pickle"));
    // what flamepy would hand to cloudpickle.loads
    let cloudpickle_dict = hex("464c4d0080059510000000000000007d948c016b944b01732e");
    for input in [
        &b""[..],
        b"F",
        b"FL",
        b"N.",
        b"flm\x01",
        b"FLm\x01",
        b"\x80\x05\x95\x0e\x00\x00\x00\x00\x00\x00\x00",
        b"FLM\x00",
        &cloudpickle_dict,
        &cloudpickle_dict[4..],
        br#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"int8","shape":[0],"data":[]}"#,
    ] {
        assert_eq!(rejects(input), pickle, "{input:?}");
    }
    // a sciwire frame is not an FLM frame either
    let frame = crate::encode(&nd(Dtype::Int8, &[1], vec![1]), crate::Encoding::Frame).unwrap();
    assert_eq!(rejects(&frame), pickle);
    // and an FLM frame is not read by the default entry point
    assert_eq!(crate::decode(&hex(I32_123), &Limits::default()).unwrap_err().code(), Code::JsonSyntax);
}

#[test]
fn flame_tag_needs_a_tag_flamepy_writes() {
    let tag = Some((Code::FlameTag, "flame.tag"));
    assert_eq!(rejects(b"FLM"), tag);
    let body = &hex(I32_123)[4..];
    for t in [0x05u8, 0x06, 0x10, 0x7f, 0x80, 0xff] {
        let mut input = b"FLM".to_vec();
        input.push(t);
        assert_eq!(rejects(&input), tag);
        input.extend_from_slice(body);
        assert_eq!(rejects(&input), tag, "{t:02x}");
    }
}

#[test]
fn flame_streams_are_read_as_streams() {
    // The stream tags are read as Arrow IPC streams (stream_tests.rs): an
    // empty or bare end-of-stream payload is a framing fault, never
    // E_FORMAT_UNSUPPORTED.
    for t in [0x02u8, 0x03, 0x04] {
        let mut input = b"FLM".to_vec();
        input.push(t);
        assert_eq!(rejects(&input), Some((Code::ArrowPayload, "flame.stream.message")));
        input.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        assert_eq!(rejects(&input), Some((Code::ArrowPayload, "flame.stream.message")));
    }
}

// ---------------------------------------------------------------- message

const MESSAGE: Option<(Code, &str)> = Some((Code::ArrowPayload, "flame.tensor.message"));

#[test]
fn flame_tensor_message_framing() {
    let good = hex(I32_123);
    assert!(dec(&good).is_ok());
    // too short for the continuation and size
    for n in 4..12 {
        assert_eq!(rejects(&good[..n]), MESSAGE, "{n}");
    }
    // the pre-0.15 form: the size without the continuation
    let mut old = good[..4].to_vec();
    old.extend_from_slice(&good[8..]);
    assert_eq!(rejects(&old), MESSAGE);
    let with_size = |m: i32| {
        let mut f = good.clone();
        f[8..12].copy_from_slice(&m.to_le_bytes());
        f
    };
    for m in [-8, -1, i32::MIN, 4, 183, 185, 0x7fff_ffff, 0x7fff_fff8, 192, 200, 208] {
        assert_eq!(rejects(&with_size(m)), MESSAGE, "M = {m}");
    }
    // M = 0: no flatbuffer at all
    assert_eq!(rejects(&with_size(0)), MESSAGE);
    // bytes that are no flatbuffer
    let mut garbage = good.clone();
    for b in &mut garbage[12..196] {
        *b = 0xa5;
    }
    assert_eq!(rejects(&garbage), MESSAGE);
}

#[test]
fn flame_tensor_message_body_length_is_exact() {
    let good = hex(I32_123);
    // truncated body
    assert_eq!(rejects(&good[..good.len() - 1]), MESSAGE);
    assert_eq!(rejects(&good[..good.len() - 12]), MESSAGE);
    // trailing bytes, which flamepy ignores
    for extra in [1, 4, 16] {
        let mut f = good.clone();
        f.extend(std::iter::repeat_n(0, extra));
        assert_eq!(rejects(&f), MESSAGE, "{extra}");
    }
    assert_eq!(rejects(&Msg { body_length: -1, ..Msg::default() }.frame(&[])), MESSAGE);
    assert_eq!(rejects(&Msg { body_length: i64::MIN, ..Msg::default() }.frame(&[])), MESSAGE);
    assert_eq!(rejects(&Msg { body_length: i64::MAX, ..Msg::default() }.frame(&f64_2x3())), MESSAGE);
}

#[test]
fn flame_tensor_message_version_and_header() {
    let body = f64_2x3();
    assert!(dec(&Msg::default().frame(&body)).is_ok());
    for v in [MetadataVersion::V1, MetadataVersion::V4, MetadataVersion(5), MetadataVersion(-1)] {
        assert_eq!(rejects(&Msg { version: v, ..Msg::default() }.frame(&body)), MESSAGE);
    }
    let record_batch = Msg { header: MessageHeader::RecordBatch, ..Msg::default() };
    assert_eq!(rejects(&record_batch.frame(&body)), MESSAGE);
    let none = Msg { header: MessageHeader::NONE, ..Msg::default() };
    assert_eq!(rejects(&none.frame(&body)), MESSAGE);
}

#[test]
fn truncation_at_every_offset_is_rejected_without_panicking() {
    for input in [I32_123, F64_SCALAR, F64_2X3_F, F32_0X3] {
        let full = hex(input);
        for n in 0..full.len() {
            let want = match n {
                0..3 => Code::PickleRefused,
                3 => Code::FlameTag,
                _ => Code::ArrowPayload,
            };
            assert_eq!(rejects(&full[..n]).map(|r| r.0), Some(want), "{input} cut at {n}");
        }
    }
}

#[test]
fn every_single_byte_change_is_decoded_or_rejected() {
    // No panic, whatever byte of the metadata changes.
    for input in [I32_123, F64_SCALAR, F64_2X3_F] {
        let full = hex(input);
        for i in 4..full.len() {
            for b in [0x00, 0x01, 0x07, 0x80, 0xff] {
                let mut f = full.clone();
                f[i] = b;
                let _ = dec(&f);
            }
        }
    }
}

// ---------------------------------------------------------------- type

#[test]
fn flame_tensor_type_table() {
    let cases = [
        (Ty::Int(8, true), Dtype::Int8),
        (Ty::Int(16, true), Dtype::Int16),
        (Ty::Int(32, true), Dtype::Int32),
        (Ty::Int(64, true), Dtype::Int64),
        (Ty::Int(8, false), Dtype::UInt8),
        (Ty::Int(16, false), Dtype::UInt16),
        (Ty::Int(32, false), Dtype::UInt32),
        (Ty::Int(64, false), Dtype::UInt64),
        (Ty::Float(Precision::HALF), Dtype::Float16),
        (Ty::Float(Precision::SINGLE), Dtype::Float32),
        (Ty::Float(Precision::DOUBLE), Dtype::Float64),
    ];
    for (ty, dtype) in cases {
        let w = dtype.itemsize() as i64;
        let msg = Msg { ty, ..Msg::default() }.strides(Some(&[3 * w, w])).body(6 * w);
        let data: Vec<u8> = (0..6 * w as u8).collect();
        assert_eq!(dec(&msg.frame(&data)).unwrap(), nd(dtype, &[2, 3], data));
    }
    assert_eq!(dtypes().collect::<Vec<_>>(), cases.iter().map(|c| c.1).collect::<Vec<_>>());
}

#[test]
fn flame_tensor_type_refuses_every_other_type() {
    let unsupported = Some((Code::DtypeUnsupported, "flame.tensor.type"));
    for ty in [
        Ty::Int(1, true),
        Ty::Int(24, false),
        Ty::Int(128, true),
        Ty::Int(0, true),
        Ty::Int(-8, true),
        Ty::Float(Precision(3)),
        Ty::Float(Precision(-1)),
        Ty::Bool,
        Ty::Utf8,
        Ty::Unknown(99),
        Ty::Unknown(255),
    ] {
        assert_eq!(rejects(&Msg { ty, ..Msg::default() }.frame(&f64_2x3())), unsupported, "{}", ty_name(ty));
    }
    // the type tag NONE (the default, so not written) with a type table is
    // an inconsistent union, which the verifier refuses
    assert_eq!(rejects(&Msg { ty: Ty::Unknown(0), ..Msg::default() }.frame(&f64_2x3())), MESSAGE);
}

// ---------------------------------------------------------------- shape

#[test]
fn flame_tensor_shape_entries_are_in_range() {
    let invalid = Some((Code::ShapeInvalid, "flame.tensor.shape"));
    for dims in [&[-1i64][..], &[2, -3], &[1 << 53], &[0, i64::MAX], &[i64::MIN, 0]] {
        let msg = Msg::default().shape(dims).strides(None).body(0);
        assert_eq!(rejects(&msg.frame(&[])), invalid, "{dims:?}");
    }
    // the largest entry is in range; the limits then refuse it
    let msg = Msg::default().shape(&[(1 << 53) - 1]).strides(None).body(8);
    assert_eq!(rejects(&msg.frame(&[0; 8])), Some((Code::LimitExceeded, "limits.elements")));
    // an empty shape with a huge entry decodes: no element, no allocation
    let msg = Msg::default().shape(&[0, (1 << 53) - 1]).strides(None).body(0);
    assert_eq!(dec(&msg.frame(&[])).unwrap(), nd(Dtype::Float64, &[0, (1 << 53) - 1], vec![]));
}

#[test]
fn flame_tensor_shape_limits_come_before_the_elements() {
    // 2^28 float64 elements is 2 GiB: refused from the shape alone, with 8 bytes present
    let msg = Msg::default().shape(&[1 << 14, 1 << 14]).strides(None).body(8);
    assert_eq!(rejects(&msg.frame(&[0; 8])), Some((Code::LimitExceeded, "limits.decoded-bytes")));
    let msg = Msg::default().shape(&[1 << 20, 1 << 20]).strides(None).body(8);
    assert_eq!(rejects(&msg.frame(&[0; 8])), Some((Code::LimitExceeded, "limits.elements")));
    let msg = Msg::default().shape(&[1; 65]).strides(None).body(8);
    assert_eq!(rejects(&msg.frame(&[0; 8])), Some((Code::LimitExceeded, "limits.ndim")));
    // 64 dimensions are allowed
    let msg = Msg::default().shape(&[1; 64]).strides(None).body(8);
    assert_eq!(dec(&msg.frame(&[0; 8])).unwrap(), nd(Dtype::Float64, &[1; 64], vec![0; 8]));
    // the range check comes first
    let mut dims = vec![1i64; 65];
    dims[64] = -1;
    let msg = Msg::default().shape(&dims).strides(None).body(8);
    assert_eq!(rejects(&msg.frame(&[0; 8])).map(|r| r.0), Some(Code::ShapeInvalid));
}

// ---------------------------------------------------------------- metadata

#[test]
fn flame_tensor_metadata_names_and_custom_metadata() {
    let schema = Some((Code::ArrowSchema, "flame.tensor.metadata"));
    let body = f64_2x3();
    let named = Msg { dims: vec![(2, Some("")), (3, Some("col"))], ..Msg::default() };
    assert_eq!(rejects(&named.frame(&body)), schema);
    let named = Msg { dims: vec![(2, Some("\0")), (3, None)], ..Msg::default() };
    assert_eq!(rejects(&named.frame(&body)), schema);
    // absent or empty names, and an empty custom_metadata, are nothing
    let plain = Msg { dims: vec![(2, None), (3, Some(""))], custom: Some(vec![]), ..Msg::default() };
    assert_eq!(dec(&plain.frame(&body)).unwrap(), nd(Dtype::Float64, &[2, 3], body.clone()));
    for kvs in [vec![("k", "v")], vec![("", "")], vec![("a", "1"), ("b", "2")]] {
        let msg = Msg { custom: Some(kvs), ..Msg::default() };
        assert_eq!(rejects(&msg.frame(&body)), schema);
    }
}

// ---------------------------------------------------------------- data

#[test]
fn flame_tensor_data_lies_in_the_body() {
    let payload = Some((Code::ArrowPayload, "flame.tensor.data"));
    let body = f64_2x3();
    let with = |data: (i64, i64), body_length: i64| Msg { data, body_length, ..Msg::default() };
    assert_eq!(rejects(&with((8, 48), 56).frame(&[0; 56])), payload);
    assert_eq!(rejects(&with((-8, 48), 48).frame(&body)), payload);
    assert_eq!(rejects(&with((0, 56), 48).frame(&body)), payload);
    assert_eq!(rejects(&with((0, -1), 48).frame(&body)), payload);
    assert_eq!(rejects(&with((0, i64::MAX), 48).frame(&body)), payload);
    // a body padded to 8 bytes, and no more
    assert_eq!(rejects(&with((0, 48), 56).frame(&[0; 56])), payload);
    let int32 = |n: i64, body_length: i64| Msg {
        ty: Ty::Int(32, true),
        dims: vec![(n, Some(""))],
        strides: Some(vec![4]),
        data: (0, 4 * n),
        body_length,
        ..Msg::default()
    };
    let mut padded = vec![1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0];
    padded.extend([0; 4]);
    assert_eq!(dec(&int32(3, 16).frame(&padded)).unwrap(), nd(Dtype::Int32, &[3], padded[..12].to_vec()));
    padded.extend([0; 8]);
    assert_eq!(rejects(&int32(3, 24).frame(&padded)), payload);
}

#[test]
fn flame_tensor_data_length_is_the_shape_times_the_item_size() {
    let mismatch = Some((Code::ShapeMismatch, "flame.tensor.data"));
    assert_eq!(rejects(&Msg::default().body(40).frame(&[0; 40])), mismatch);
    assert_eq!(rejects(&Msg::default().body(56).frame(&[0; 56])), mismatch);
    assert_eq!(rejects(&Msg::default().body(0).frame(&[])), mismatch);
    let scalar = Msg::default().shape(&[]).strides(None);
    assert_eq!(rejects(&scalar.clone().body(0).frame(&[])), mismatch);
    assert_eq!(dec(&scalar.body(8).frame(&f64s(&[1.5]))).unwrap(), nd(Dtype::Float64, &[], f64s(&[1.5])));
}

// ---------------------------------------------------------------- strides

#[test]
fn flame_tensor_strides_are_exactly_c_or_fortran() {
    let mismatch = Some((Code::ShapeMismatch, "flame.tensor.strides"));
    let body = f64_2x3();
    let with = |s: Option<&[i64]>| Msg::default().strides(s).frame(&body);
    let c = nd(Dtype::Float64, &[2, 3], body.clone());
    assert_eq!(dec(&with(Some(&[24, 8]))).unwrap(), c);
    assert_eq!(dec(&with(None)).unwrap(), c);
    // the same bytes read column-major: element (i, j) at 8i + 16j
    let f = nd(Dtype::Float64, &[2, 3], f64s(&[0.0, 2.0, 4.0, 1.0, 3.0, 5.0]));
    assert_eq!(dec(&with(Some(&[8, 16]))).unwrap(), f);
    for s in [
        &[][..],
        &[24],
        &[24, 8, 8],
        &[-24, 8],
        &[24, -8],
        &[0, 8],
        &[24, 0],
        &[8, 8],   // overlapping
        &[32, 8],  // padded rows
        &[16, 8],  // overlapping rows
        &[8, 24],  // padded columns
        &[24, 16], // neither
        &[i64::MAX, i64::MIN],
    ] {
        assert_eq!(rejects(&with(Some(s))), mismatch, "{s:?}");
    }
}

#[test]
fn flame_tensor_strides_of_empty_and_degenerate_shapes() {
    let mismatch = Some((Code::ShapeMismatch, "flame.tensor.strides"));
    // an empty tensor: any entries, but one per dimension
    for s in [&[4i64, 4][..], &[12, 4], &[0, 0], &[-1, 7]] {
        let msg = Msg { ty: Ty::Float(Precision::SINGLE), ..Msg::default() }.shape(&[0, 3]).strides(Some(s)).body(0);
        assert_eq!(dec(&msg.frame(&[])).unwrap(), nd(Dtype::Float32, &[0, 3], vec![]), "{s:?}");
    }
    let msg = Msg::default().shape(&[0, 3]).strides(Some(&[8])).body(0);
    assert_eq!(rejects(&msg.frame(&[])), mismatch);
    // a 0-d tensor: no entries
    let msg = Msg::default().shape(&[]).strides(Some(&[])).body(8);
    assert_eq!(dec(&msg.frame(&f64s(&[2.0]))).unwrap(), nd(Dtype::Float64, &[], f64s(&[2.0])));
    let msg = Msg::default().shape(&[]).strides(Some(&[8])).body(8);
    assert_eq!(rejects(&msg.frame(&f64s(&[2.0]))), mismatch);
    // with a dimension of 1 the C and F strides differ in that entry only, and both are read
    let row = f64s(&[1.0, 2.0, 3.0]);
    for s in [&[24i64, 8][..], &[8, 8]] {
        let msg = Msg::default().shape(&[1, 3]).strides(Some(s)).body(24);
        assert_eq!(dec(&msg.frame(&row)).unwrap(), nd(Dtype::Float64, &[1, 3], row.clone()), "{s:?}");
    }
    let msg = Msg::default().shape(&[1, 3]).strides(Some(&[0, 8])).body(24);
    assert_eq!(rejects(&msg.frame(&row)), mismatch);
}

// ---------------------------------------------------------------- elements

/// The column-major bytes of a C-order array.
fn to_fortran(a: &NdArray) -> Vec<u8> {
    let w = a.dtype.itemsize() as usize;
    let n = a.data.len() / w.max(1);
    let mut out = vec![0u8; a.data.len()];
    for c in 0..n {
        // the multi-index of C-order element c, then its F-order position
        let mut rest = c;
        let mut index = vec![0usize; a.shape.len()];
        for k in (0..a.shape.len()).rev() {
            index[k] = rest % a.shape[k] as usize;
            rest /= a.shape[k] as usize;
        }
        let mut f = 0usize;
        for k in (0..a.shape.len()).rev() {
            f = f * a.shape[k] as usize + index[k];
        }
        out[f * w..(f + 1) * w].copy_from_slice(&a.data[c * w..(c + 1) * w]);
    }
    out
}

/// The frame of `a` with its elements column-major and strides to say so.
fn fortran_frame(a: &NdArray) -> Vec<u8> {
    let w = a.dtype.itemsize() as i64;
    let mut strides = Vec::new();
    let mut acc = w;
    for &d in &a.shape {
        strides.push(acc);
        acc *= d as i64;
    }
    let ty = match arrow_type(a.dtype).unwrap() {
        ArrowType::Int { bits, signed } => Ty::Int(bits, signed),
        ArrowType::Float(p) => Ty::Float(p),
    };
    let dims: Vec<i64> = a.shape.iter().map(|&d| d as i64).collect();
    let msg = Msg { ty, ..Msg::default() }.shape(&dims).strides(Some(&strides)).body(a.data.len() as i64);
    msg.frame(&to_fortran(a))
}

#[test]
fn flame_tensor_elements_are_reordered_to_c_order() {
    let a = NdArray { dtype: Dtype::Int16, shape: vec![2, 3, 4], data: (0..24i16).flat_map(|v| v.to_le_bytes()).collect() };
    let frame = fortran_frame(&a);
    // the wire holds 0, 12, 4, 16, 8, 20, 1, ...: element (i, j, k) at 2i + 4j + 12k
    assert_eq!(&frame[frame.len() - 48..frame.len() - 36], &[0, 0, 12, 0, 4, 0, 16, 0, 8, 0, 20, 0]);
    assert_eq!(dec(&frame).unwrap(), Value::NdArray(a));
    // every byte pattern is an element: NaN payloads, infinities, -0.0
    let bits = [0x7ff8_0000_0000_0001u64, 0xfff0_0000_0000_0000, 0x8000_0000_0000_0000, 0x7ff4_0000_0000_0000];
    let data: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
    let msg = Msg::default().shape(&[4]).strides(Some(&[8])).body(32);
    assert_eq!(dec(&msg.frame(&data)).unwrap(), nd(Dtype::Float64, &[4], data));
}

#[test]
fn the_empty_strides_of_a_0d_tensor_are_read_wherever_pyarrow_puts_them() {
    // pyarrow's empty strides vector starts 4 bytes past a multiple of 8,
    // which the Rust verifier alone refuses
    let full = hex(F64_SCALAR);
    let meta = &full[12..12 + 120];
    assert!(matches!(
        arrow_ipc::root_as_message(meta),
        Err(flatbuffers::InvalidFlatbuffer::Unaligned { .. })
    ));
    assert_eq!(dec(&full).unwrap(), nd(Dtype::Float64, &[], f64s(&[3.0])));
    // nothing else gets past: the same vector with one (unaligned) entry
    let strides_len_at = 12 + 96;
    let mut one = full.clone();
    assert_eq!(&one[strides_len_at..strides_len_at + 4], &[0, 0, 0, 0]);
    one[strides_len_at] = 1;
    assert_eq!(rejects(&one), MESSAGE);
    // nor another unaligned field: the Buffer struct moved by 4
    let mut other = full.clone();
    other[12 + 8] ^= 4; // the root offset
    assert_eq!(rejects(&other), MESSAGE);
    // the same layout from our own builder: read as the empty vector it is
    let scalar = Msg { misaligned_empty_strides: true, ..Msg::default() }.shape(&[]).strides(Some(&[])).body(8);
    let meta = scalar.metadata();
    assert!(matches!(arrow_ipc::root_as_message(&meta), Err(flatbuffers::InvalidFlatbuffer::Unaligned { .. })));
    assert_eq!(dec(&scalar.frame(&f64s(&[2.0]))).unwrap(), nd(Dtype::Float64, &[], f64s(&[2.0])));
    // and its count is checked like any other's
    let mismatch = Some((Code::ShapeMismatch, "flame.tensor.strides"));
    for (dims, body) in [(&[3i64][..], 24), (&[0, 3], 0), (&[1, 1], 8)] {
        let msg = Msg { misaligned_empty_strides: true, ..Msg::default() }.shape(dims).strides(Some(&[])).body(body);
        assert!(arrow_ipc::root_as_message(&msg.metadata()).is_err());
        assert_eq!(rejects(&msg.frame(&vec![0; body as usize])), mismatch, "{dims:?}");
    }
}

// ---------------------------------------------------------------- encode

#[test]
fn flame_encode_tensor_layout() {
    let value = nd(Dtype::Float64, &[2, 3], f64_2x3());
    let out = encode(&value, FlameEncoding::Tensor).unwrap();
    assert_eq!(&out[..8], b"FLM\x01\xff\xff\xff\xff");
    let m = i32::from_le_bytes(out[8..12].try_into().unwrap()) as usize;
    assert_eq!((8 + m) % 64, 0);
    assert_eq!(&out[4 + 8 + m..], &f64_2x3()[..]);
    let message = arrow_ipc::root_as_message(&out[12..12 + m]).unwrap();
    assert_eq!(message.version(), MetadataVersion::V5);
    assert_eq!(message.bodyLength(), 48);
    let t = message.header_as_tensor().unwrap();
    assert_eq!(t.strides().unwrap().iter().collect::<Vec<_>>(), vec![24, 8]);
    assert_eq!(t.shape().iter().map(|d| (d.size(), d.name())).collect::<Vec<_>>(), vec![(2, Some("")), (3, Some(""))]);
    assert_eq!((t.data().offset(), t.data().length()), (0, 48));
    // the flatbuffer, then zero padding
    let Value::NdArray(a) = &value else { unreachable!() };
    let meta = write::metadata(a, arrow_type(a.dtype).unwrap());
    assert_eq!(&out[12..12 + meta.len()], &meta[..]);
    assert!(out[12 + meta.len()..12 + m].iter().all(|&b| b == 0));
    assert_eq!(dec(&out).unwrap(), value);
    // deterministic
    assert_eq!(encode(&value, FlameEncoding::Tensor).unwrap(), out);
    // an empty array gets the item size in every stride, as pyarrow writes
    let out = encode(&nd(Dtype::Float32, &[0, 3], vec![]), FlameEncoding::Tensor).unwrap();
    let m = i32::from_le_bytes(out[8..12].try_into().unwrap()) as usize;
    let message = arrow_ipc::root_as_message(&out[12..12 + m]).unwrap();
    let strides: Vec<i64> = message.header_as_tensor().unwrap().strides().unwrap().iter().collect();
    assert_eq!(strides, vec![4, 4]);
}

#[test]
fn flame_encode_refuse() {
    let refuse = |v: &Value| encode(v, FlameEncoding::Tensor).err().map(|e| (e.code(), e.clause()));
    let dtype_refused = Some((Code::DtypeUnsupported, "flame.encode.refuse"));
    assert_eq!(refuse(&nd(Dtype::Bool, &[2], vec![1, 0])), dtype_refused);
    assert_eq!(refuse(&nd(Dtype::parse("complex128").unwrap_or(Dtype::Bool), &[0], vec![])), dtype_refused);
    for name in ["<U3", "|S2", "datetime64[ns]", "datetime64[s]", "datetime64[D]", "timedelta64[ms]"] {
        let d = Dtype::parse(name).unwrap();
        assert_eq!(refuse(&nd(d, &[1], vec![0; d.itemsize() as usize])), dtype_refused, "{name}");
    }
    // other kinds have no tensor encoding
    let sparse = Value::Sparse(Sparse {
        dtype: Dtype::Float64,
        shape: [1, 1],
        data: vec![],
        format: SparseFormat::Coo { row: vec![], col: vec![] },
    });
    let estimator = Value::Estimator(Estimator {
        class_name: "A".into(),
        module: "m".into(),
        version: None,
        params: vec![],
    });
    for v in [&sparse, &estimator] {
        assert_eq!(refuse(v), Some((Code::EncodingUnsupported, "flame.encode.refuse")));
    }
    // a frame longer than the default max_input_bytes: the body alone is
    // 256 MiB (zeroed pages, never touched: the refusal comes first)
    let n = 256u64 << 20;
    let big = nd(Dtype::UInt8, &[n], vec![0; n as usize]);
    assert_eq!(refuse(&big), Some((Code::LimitExceeded, "flame.encode.refuse")));
    // what no decoder reads is not written
    assert_eq!(refuse(&nd(Dtype::Int8, &[0, 1 << 53], vec![])).map(|r| r.0), Some(Code::ShapeInvalid));
    assert_eq!(refuse(&nd(Dtype::Int8, &[1; 65], vec![0])).map(|r| r.0), Some(Code::LimitExceeded));
    // a value whose bytes do not hold its shape
    assert_eq!(refuse(&nd(Dtype::Int16, &[2], vec![0; 3])).map(|r| r.0), Some(Code::ShapeMismatch));
}

#[test]
fn flame_encoding_spelling() {
    assert_eq!(FlameEncoding::Tensor.as_str(), "tensor");
    assert_eq!("tensor".parse::<FlameEncoding>(), Ok(FlameEncoding::Tensor));
    for (e, name, tag) in [
        (FlameEncoding::Tensor, "tensor", 1u8),
        (FlameEncoding::Table, "table", 2),
        (FlameEncoding::Array, "array", 3),
        (FlameEncoding::Batch, "batch", 4),
    ] {
        assert_eq!(e.as_str(), name);
        assert_eq!(name.parse::<FlameEncoding>(), Ok(e));
        assert_eq!(e.tag(), tag);
    }
    assert!("Table".parse::<FlameEncoding>().is_err());
    assert!("pickle".parse::<FlameEncoding>().is_err());
    assert_eq!(capability()["encodings"], serde_json::json!(["tensor", "table", "array", "batch"]));
    assert_eq!(&PREFIX, b"FLM");
}

// ---------------------------------------------------------------- round trips

fn arrays() -> impl Strategy<Value = NdArray> {
    let dtype = prop::sample::select(dtypes().collect::<Vec<_>>());
    let shape = prop::collection::vec(0u64..4, 0..5);
    (dtype, shape).prop_flat_map(|(dtype, shape)| {
        let count: u64 = shape.iter().product();
        let n = (count * dtype.itemsize()) as usize;
        prop::collection::vec(any::<u8>(), n).prop_map(move |data| NdArray { dtype, shape: shape.clone(), data })
    })
}

proptest! {
    #[test]
    fn encode_then_decode_is_the_identity(a in arrays()) {
        let v = Value::NdArray(a);
        let out = encode(&v, FlameEncoding::Tensor).unwrap();
        prop_assert_eq!(dec(&out).unwrap(), v);
    }

    #[test]
    fn fortran_order_decodes_to_the_same_value(a in arrays()) {
        let frame = fortran_frame(&a);
        prop_assert_eq!(dec(&frame).unwrap(), Value::NdArray(a));
    }

    #[test]
    fn arbitrary_payloads_never_panic(tail in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut input = b"FLM\x01".to_vec();
        input.extend_from_slice(&tail);
        let _ = dec(&input);
        // and with a valid continuation and size in front
        let mut input = b"FLM\x01\xff\xff\xff\xff".to_vec();
        input.extend_from_slice(&((tail.len() as i32) & !7).to_le_bytes());
        input.extend_from_slice(&tail);
        let _ = dec(&input);
    }
}

fn ty_name(ty: Ty) -> String {
    match ty {
        Ty::Int(b, s) => format!("Int({b}, {s})"),
        Ty::Float(p) => format!("Float({})", p.0),
        Ty::Bool => "Bool".into(),
        Ty::Utf8 => "Utf8".into(),
        Ty::Unknown(t) => format!("Unknown({t})"),
    }
}
