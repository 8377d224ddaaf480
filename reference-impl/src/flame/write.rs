//! Writing a flame tensor frame ([flame.encode.tensor]): `FLM\x01` and one
//! Arrow IPC encapsulated tensor message, its flatbuffer built with
//! `arrow_ipc`'s generated builders.

use arrow_ipc::{
    Buffer, FloatingPointBuilder, IntBuilder, MessageBuilder, MessageHeader, MetadataVersion, TensorBuilder,
    TensorDimBuilder, Type,
};
use flatbuffers::FlatBufferBuilder;

use super::{ArrowType, CONTINUATION, PREFIX, TAG_TENSOR, arrow_type, contiguous_strides};
use crate::error::{Code, Error, Result};
use crate::limits::{Limits, MAX_SAFE_INTEGER};
use crate::value::NdArray;

/// `8 + M` is padded to a multiple of this, as pyarrow pads it.
const METADATA_ALIGN: usize = 64;

fn refuse(code: Code, why: String) -> Error {
    Error::new(code, "flame.encode.refuse", why)
}

/// The frame of `a` ([flame.encode.tensor]), or the refusal of
/// [flame.encode.refuse].
pub(super) fn tensor(a: &NdArray) -> Result<Vec<u8>> {
    let Some(arrow) = arrow_type(a.dtype) else {
        let why = match a.dtype {
            crate::Dtype::Bool => "; a decoder would read it back as uint8 (flamepy writes bool as Int 8 unsigned)",
            _ => "",
        };
        return Err(refuse(
            Code::DtypeUnsupported,
            format!("dtype {} has no Arrow tensor type in the flame profile{why}", a.dtype),
        ));
    };
    a.check_length()?;
    // What a decoder would reject for its shape is not written either.
    if let Some((i, d)) = a.shape.iter().enumerate().find(|&(_, &d)| d > MAX_SAFE_INTEGER) {
        return Err(Error::new(
            Code::ShapeInvalid,
            "flame.tensor.shape",
            format!("shape[{i}] is {d}, beyond 2^53-1; no decoder reads it"),
        ));
    }
    let limits = Limits::default();
    if a.shape.len() > limits.max_ndim as usize {
        return Err(refuse(
            Code::LimitExceeded,
            format!("shape has {} dimensions; decoders read at most {}", a.shape.len(), limits.max_ndim),
        ));
    }

    let metadata = metadata(a, arrow);
    // The frame's length, before the frame is allocated.
    let padded = (8 + metadata.len()).div_ceil(METADATA_ALIGN) * METADATA_ALIGN;
    let total = (PREFIX.len() + 1 + padded) as u64 + a.data.len() as u64;
    if total > limits.max_input_bytes {
        return Err(refuse(
            Code::LimitExceeded,
            format!("the frame would be {total} bytes; decoders read at most {}", limits.max_input_bytes),
        ));
    }
    let meta_size = i32::try_from(padded - 8)
        .map_err(|_| refuse(Code::LimitExceeded, format!("the tensor's metadata takes {} bytes", padded - 8)))?;

    let mut out = Vec::with_capacity(total as usize);
    out.extend_from_slice(&PREFIX);
    out.push(TAG_TENSOR);
    out.extend_from_slice(&CONTINUATION);
    out.extend_from_slice(&meta_size.to_le_bytes());
    out.extend_from_slice(&metadata);
    out.resize(PREFIX.len() + 1 + padded, 0);
    out.extend_from_slice(&a.data);
    Ok(out)
}

/// The flatbuffer `Message { V5, Tensor { type, shape, strides, data },
/// bodyLength }` of `a`, whose dimensions are at most 2^53-1 and whose data
/// is within the limits.
pub(super) fn metadata(a: &NdArray, arrow: ArrowType) -> Vec<u8> {
    let body = a.data.len() as i64;
    let itemsize = a.dtype.itemsize() as i64;
    let mut fbb = FlatBufferBuilder::new();
    let (type_type, type_) = match arrow {
        ArrowType::Int { bits, signed } => {
            let mut b = IntBuilder::new(&mut fbb);
            b.add_bitWidth(bits);
            b.add_is_signed(signed);
            (Type::Int, b.finish().as_union_value())
        }
        ArrowType::Float(precision) => {
            let mut b = FloatingPointBuilder::new(&mut fbb);
            b.add_precision(precision);
            (Type::FloatingPoint, b.finish().as_union_value())
        }
    };
    // pyarrow writes every dimension's name as "".
    let name = fbb.create_string("");
    let dims: Vec<_> = a
        .shape
        .iter()
        .map(|&d| {
            let mut b = TensorDimBuilder::new(&mut fbb);
            b.add_size(d as i64);
            b.add_name(name);
            b.finish()
        })
        .collect();
    let shape = fbb.create_vector(&dims);
    let strides = fbb.create_vector(&row_major_strides(&a.shape, itemsize, body));
    let mut t = TensorBuilder::new(&mut fbb);
    t.add_type_type(type_type);
    t.add_type_(type_);
    t.add_shape(shape);
    t.add_strides(strides);
    t.add_data(&Buffer::new(0, body));
    let tensor = t.finish();
    let mut m = MessageBuilder::new(&mut fbb);
    m.add_version(MetadataVersion::V5);
    m.add_header_type(MessageHeader::Tensor);
    m.add_header(tensor.as_union_value());
    m.add_bodyLength(body);
    let message = m.finish();
    fbb.finish(message, None);
    fbb.finished_data().to_vec()
}

/// Row-major byte strides; for an empty array, the item size in every entry,
/// as Arrow computes them (a decoder does not check them then).
fn row_major_strides(shape: &[u64], itemsize: i64, body: i64) -> Vec<i64> {
    if body == 0 {
        return vec![itemsize; shape.len()];
    }
    contiguous_strides(shape, itemsize.unsigned_abs(), false)
}
