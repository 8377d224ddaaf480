//! The `torch.tensor` envelope (`spec/src/torch-tensor.md`): outer members
//! first, then the nested ndarray envelope, decoded in place from its span
//! of the input, then the checks that compare the two.

use super::fields::read_shape;
use super::{Encoding, FrameOut, Members, Place, Version, decode_members, field_type, missing, ndarray, string_member};
use crate::dtype::Dtype;
use crate::error::{Code, Error, Result};
use crate::json::{Json, write_string};
use crate::limits::Limits;
use crate::value::{NdArray, Tensor, Value};

/// The members an envelope may have besides the common ones.
pub(crate) const MEMBERS: &[&str] = &["value", "shape", "dtype", "device", "sourceDtype", "sourceDevice"];

const BFLOAT16: &str = "torch.bfloat16";

pub(crate) fn decode(m: &Members<'_>, version: Version, limits: &Limits, place: Place<'_, '_>) -> Result<Tensor> {
    // [torch.required], [torch.legacy-v0]
    let (required, clause): (&[&str], _) = match version {
        Version::V1 => (&["value", "shape", "dtype", "device"], "torch.required"),
        Version::V0 => (&["value", "dtype"], "torch.legacy-v0"),
    };
    if let Some(name) = required.iter().find(|n| m.get(n).is_none()) {
        return Err(missing(clause, name, ""));
    }
    // [torch.dtype.table]
    let name = string_member(m, "dtype", "torch.dtype.table")?.unwrap_or_default();
    let dtype = Dtype::from_torch_name(name).ok_or_else(|| {
        Error::new(
            Code::DtypeUnsupported,
            "torch.dtype.table",
            format!("dtype {name:?} is not in the torch dtype table (torch.bool, torch.int8 to torch.uint64, torch.float16 to torch.float64)"),
        )
        .at("/dtype")
    })?;
    // [torch.source-dtype]
    let from_bfloat16 = match string_member(m, "sourceDtype", "torch.source-dtype")? {
        None => false,
        Some(BFLOAT16) if dtype == Dtype::Float32 => true,
        Some(BFLOAT16) => {
            return Err(Error::new(
                Code::DtypeMismatch,
                "torch.source-dtype",
                format!("a torch.bfloat16 tensor is carried as torch.float32, not {name}"),
            )
            .at("/dtype"));
        }
        Some(other) => {
            return Err(Error::new(
                Code::DtypeUnsupported,
                "torch.source-dtype",
                format!("sourceDtype {other:?} is not \"torch.bfloat16\", the one dtype carried as another"),
            )
            .at("/sourceDtype"));
        }
    };
    // [torch.device]
    if let Some(device) = string_member(m, "device", "torch.device")?
        && device != "cpu"
    {
        return Err(Error::new(
            Code::DeviceUnsupported,
            "torch.device",
            format!("device {device:?} is not \"cpu\": the elements in an envelope are in host memory"),
        )
        .at("/device"));
    }
    // [torch.source-device]
    let source_device = string_member(m, "sourceDevice", "torch.source-device")?;
    if source_device == Some("") {
        return Err(Error::new(Code::ValueDomain, "torch.source-device", "sourceDevice is empty").at("/sourceDevice"));
    }
    // [torch.shape]
    let shape = m.get("shape").map(|j| read_shape(j, "torch.shape", limits)).transpose()?;
    // [torch.value]
    let value = m.get("value").unwrap_or(&Json::Null);
    let Json::Object(span) = value else {
        return Err(field_type("torch.value", "value", "an ndarray envelope object", value));
    };
    let nested = m.nested(span)?;
    match nested.get("__tywrap__") {
        Some(Json::String(marker)) if marker == "ndarray" => {}
        other => {
            let held = match other {
                None => "an object without __tywrap__".to_string(),
                Some(Json::String(marker)) => format!("a {marker:?} envelope"),
                Some(other) => format!("an object whose __tywrap__ is {}", other.type_name()),
            };
            return Err(Error::new(
                Code::NestedEnvelope,
                "torch.value",
                format!("value must hold an ndarray envelope, not {held}"),
            )
            .at("/value"));
        }
    }
    // [torch.nested-version]
    if version == Version::V1 && nested.get("codecVersion").is_none() {
        return Err(Error::new(
            Code::CodecVersion,
            "torch.nested-version",
            "a version 1 tensor holds a version 1 ndarray envelope; the nested envelope has no codecVersion",
        )
        .at("/value/codecVersion"));
    }
    // [torch.nested]: the one costly step, last.
    let array = match decode_members(&nested, limits, place).map_err(|e| e.under("/value"))? {
        Value::NdArray(a) => a,
        _ => return Err(Error::new(Code::NestedEnvelope, "torch.value", "value must hold an ndarray envelope").at("/value")),
    };
    // [torch.dtype.agreement]
    if array.dtype != dtype {
        return Err(Error::new(
            Code::DtypeMismatch,
            "torch.dtype.agreement",
            format!("a {name} tensor holds {dtype} elements, but the nested array's dtype is {}", array.dtype),
        )
        .at("/value/dtype"));
    }
    // [torch.shape.agreement]
    if let Some(shape) = shape
        && shape != array.shape
    {
        return Err(Error::new(
            Code::ShapeMismatch,
            "torch.shape.agreement",
            format!("the tensor's shape is {shape:?}, but the nested array's is {:?}", array.shape),
        )
        .at("/shape"));
    }
    // [torch.bfloat16]
    if from_bfloat16 && let Some(i) = first_non_bfloat16(&array) {
        return Err(Error::new(
            Code::ValueDomain,
            "torch.bfloat16",
            format!("element {i} (C order) is not a bfloat16 value: its low 16 bits are not zero"),
        )
        .at("/value"));
    }
    Ok(Tensor { array, from_bfloat16, source_device: source_device.map(str::to_string) })
}

/// The first float32 element whose low 16 bits are set ([torch.bfloat16]).
fn first_non_bfloat16(a: &NdArray) -> Option<usize> {
    // little-endian: the low 16 bits are the first two bytes
    a.data.chunks_exact(4).position(|el| el[0] != 0 || el[1] != 0)
}

/// Writes the envelope ([torch.encode.members]) with the nested envelope in
/// `encoding`, refusing what a decoder would reject ([torch.encode.refuse]).
/// Members are in the order of the page's members table, as
/// [frame.encode] requires of a frame and as the JSON text has them too.
pub(crate) fn encode<'v>(t: &'v Tensor, encoding: Encoding, out: &mut FrameOut<'v>) -> Result<String> {
    let Some(name) = t.dtype_name() else {
        return Err(Error::new(
            Code::DtypeUnsupported,
            "torch.dtype.table",
            format!("dtype {} has no torch dtype in the table", t.array.dtype),
        ));
    };
    if t.from_bfloat16 && t.array.dtype != Dtype::Float32 {
        return Err(Error::new(
            Code::DtypeMismatch,
            "torch.source-dtype",
            format!("a torch.bfloat16 tensor is carried as torch.float32, not {name}"),
        ));
    }
    if t.source_device.as_deref() == Some("") {
        return Err(Error::new(Code::ValueDomain, "torch.source-device", "sourceDevice is empty"));
    }
    let nested = ndarray::encode(&t.array, encoding, out)?;
    if t.from_bfloat16 && let Some(i) = first_non_bfloat16(&t.array) {
        return Err(Error::new(
            Code::ValueDomain,
            "torch.encode.refuse",
            format!("element {i} is not a bfloat16 value, so the tensor cannot be bfloat16-sourced"),
        ));
    }
    let mut text = String::with_capacity(nested.len() + 200);
    text.push_str("{\"__tywrap__\":\"torch.tensor\",\"codecVersion\":1,\"encoding\":\"ndarray\",\"value\":");
    text.push_str(&nested);
    text.push_str(",\"shape\":[");
    let dims: Vec<String> = t.array.shape.iter().map(u64::to_string).collect();
    text.push_str(&dims.join(","));
    text.push_str("],\"dtype\":\"");
    text.push_str(name);
    text.push_str("\",\"device\":\"cpu\"");
    if t.from_bfloat16 {
        text.push_str(",\"sourceDtype\":\"torch.bfloat16\"");
    }
    if let Some(device) = &t.source_device {
        text.push_str(",\"sourceDevice\":");
        write_string(&mut text, device);
    }
    text.push('}');
    Ok(text)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use serde_json::json;

    use super::*;

    const EXAMPLE: &str = r#"{"__tywrap__": "torch.tensor", "codecVersion": 1, "encoding": "ndarray",
 "shape": [2], "dtype": "torch.float32", "device": "cpu",
 "value": {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json",
           "data": [1.5, -2.0], "shape": [2], "dtype": "float32"}}"#;

    fn decode(text: &str) -> Result<Tensor> {
        match crate::decode(text.as_bytes(), &Limits::default())? {
            Value::Tensor(t) => Ok(t),
            other => panic!("not a tensor: {other:?}"),
        }
    }

    fn rejects(text: &str) -> Option<(Code, &'static str)> {
        decode(text).err().map(|e| (e.code(), e.clause()))
    }

    fn path(text: &str) -> Option<String> {
        decode(text).err().and_then(|e| e.path().map(str::to_string))
    }

    fn edit(from: &str, to: &str) -> String {
        assert!(EXAMPLE.contains(from), "{from}");
        EXAMPLE.replacen(from, to, 1)
    }

    #[test]
    fn the_spec_example_decodes_to_its_canonical_value() {
        let v = crate::decode(EXAMPLE.as_bytes(), &Limits::default()).map(|v| v.to_canonical());
        assert_eq!(
            v.ok(),
            Some(json!({"kind": "tensor", "dtype": "torch.float32",
                "array": {"kind": "ndarray", "dtype": "float32", "shape": [2], "hex": "0000c03f000000c0"}}))
        );
    }

    #[test]
    fn outer_members() {
        assert_eq!(rejects(&edit("\"ndarray\",\n", "\"json\",\n")), Some((Code::EncodingUnsupported, "torch.encodings")));
        assert_eq!(rejects(&edit("\"device\": \"cpu\"", "\"device\": \"cpu\", \"b64\": \"\"")), Some((Code::UnknownField, "envelope.unknown-fields")));
        assert_eq!(rejects(&edit("\"device\": \"cpu\"", "\"device\": \"cpu\", \"x-origin\": {\"a\": [1]}")), None);
        for (name, text) in [("value", "\"value\": {"), ("shape", "\"shape\": [2], "), ("dtype", "\"dtype\": \"torch.float32\", "), ("device", "\"device\": \"cpu\",\n")] {
            let without = if name == "value" {
                EXAMPLE.replace(",\n \"value\": {\"__tywrap__\": \"ndarray\", \"codecVersion\": 1, \"encoding\": \"json\",\n           \"data\": [1.5, -2.0], \"shape\": [2], \"dtype\": \"float32\"}", "")
            } else {
                edit(text, "")
            };
            assert_eq!(rejects(&without), Some((Code::MissingField, "torch.required")), "{name}");
            assert_eq!(path(&without).as_deref(), Some(format!("/{name}").as_str()));
        }
        for bad in ["\"float32\"", "\"torch.float\"", "\"torch.half\"", "\"torch.bfloat16\"", "\"torch.complex64\"", "\"torch.qint8\""] {
            assert_eq!(rejects(&edit("\"torch.float32\"", bad)), Some((Code::DtypeUnsupported, "torch.dtype.table")), "{bad}");
        }
        assert_eq!(rejects(&edit("\"torch.float32\"", "32")), Some((Code::FieldType, "torch.dtype.table")));
        let src = |s: &str| edit("\"device\": \"cpu\"", &format!("\"device\": \"cpu\", \"sourceDtype\": {s}"));
        assert_eq!(rejects(&src("\"torch.bfloat16\"")), None);
        assert_eq!(rejects(&src("\"torch.float16\"")), Some((Code::DtypeUnsupported, "torch.source-dtype")));
        assert_eq!(rejects(&src("null")), Some((Code::FieldType, "torch.source-dtype")));
        let f64_bf16 = src("\"torch.bfloat16\"").replace("torch.float32", "torch.float64").replace("\"float32\"", "\"float64\"");
        assert_eq!(rejects(&f64_bf16), Some((Code::DtypeMismatch, "torch.source-dtype")));
        assert_eq!(rejects(&edit("\"cpu\"", "\"cuda:0\"")), Some((Code::DeviceUnsupported, "torch.device")));
        assert_eq!(rejects(&edit("\"cpu\"", "\"CPU\"")), Some((Code::DeviceUnsupported, "torch.device")));
        assert_eq!(rejects(&edit("\"cpu\"", "[\"cpu\"]")), Some((Code::FieldType, "torch.device")));
        let dev = |s: &str| edit("\"device\": \"cpu\"", &format!("\"device\": \"cpu\", \"sourceDevice\": {s}"));
        assert_eq!(decode(&dev("\"cuda:0\"")).map(|t| t.source_device).ok(), Some(Some("cuda:0".to_string())));
        assert_eq!(rejects(&dev("\"\"")), Some((Code::ValueDomain, "torch.source-device")));
        assert_eq!(rejects(&dev("0")), Some((Code::FieldType, "torch.source-device")));
        assert_eq!(rejects(&edit("[2]", "[-1]")), Some((Code::ShapeInvalid, "torch.shape")));
        assert_eq!(rejects(&edit("[2]", "\"2\"")), Some((Code::FieldType, "torch.shape")));
        let deep = format!("[{}]", vec!["1"; 65].join(","));
        assert_eq!(rejects(&edit("[2]", &deep)), Some((Code::LimitExceeded, "limits.ndim")));
        // the outer checks come before the nested envelope's
        assert_eq!(rejects(&edit("\"cpu\"", "\"mps\"").replace("[1.5, -2.0]", "[1.5]")), Some((Code::DeviceUnsupported, "torch.device")));
    }

    #[test]
    fn the_nested_envelope() {
        let value = |v: &str| {
            EXAMPLE.replace(
                "{\"__tywrap__\": \"ndarray\", \"codecVersion\": 1, \"encoding\": \"json\",\n           \"data\": [1.5, -2.0], \"shape\": [2], \"dtype\": \"float32\"}",
                v,
            )
        };
        for bad in ["[1.5, -2.0]", "\"x\"", "null"] {
            assert_eq!(rejects(&value(bad)), Some((Code::FieldType, "torch.value")), "{bad}");
        }
        for bad in [r#"{"data": [1.5, -2.0]}"#, r#"{"__tywrap__": "torch.tensor"}"#, r#"{"__tywrap__": 1}"#, r#"{"__tywrap__": "NDARRAY"}"#] {
            assert_eq!(rejects(&value(bad)), Some((Code::NestedEnvelope, "torch.value")), "{bad}");
        }
        let tensor_in_tensor = value(&EXAMPLE.replace('\n', ""));
        assert_eq!(rejects(&tensor_in_tensor), Some((Code::NestedEnvelope, "torch.value")));
        // [torch.nested-version]: v1 holds v1; v0 holds either
        let nested_v0 = edit("\"ndarray\", \"codecVersion\": 1,", "\"ndarray\",");
        assert_eq!(rejects(&nested_v0), Some((Code::CodecVersion, "torch.nested-version")));
        assert_eq!(rejects(&nested_v0.replacen("\"codecVersion\": 1, ", "", 1)), None);
        assert_eq!(rejects(&edit("\"ndarray\", \"codecVersion\": 1,", "\"ndarray\", \"codecVersion\": 2,")), Some((Code::CodecVersion, "envelope.codec-version")));
        // nested rejections keep their own codes, under /value
        let nested_shape = edit("\"shape\": [2], \"dtype\": \"float32\"", "\"shape\": [-2], \"dtype\": \"float32\"");
        assert_eq!(rejects(&nested_shape), Some((Code::ShapeInvalid, "ndarray.shape.items")));
        assert_eq!(path(&nested_shape).as_deref(), Some("/value/shape/0"));
        assert_eq!(path(&edit("-2.0", "0.1")).as_deref(), Some("/value/data"));
        assert_eq!(rejects(&edit("\"json\"", "\"arrow\"")), Some((Code::UnknownField, "envelope.unknown-fields")));
        assert_eq!(path(&edit("\"json\"", "\"arrow\"")).as_deref(), Some("/value/data"));
        assert_eq!(rejects(&edit("\"float32\"}", "\"float32\", \"extra\": 1}")), Some((Code::UnknownField, "envelope.unknown-fields")));
        // agreement
        let f64_inside = edit("\"dtype\": \"float32\"", "\"dtype\": \"float64\"");
        assert_eq!(rejects(&f64_inside), Some((Code::DtypeMismatch, "torch.dtype.agreement")));
        assert_eq!(rejects(&edit("\"torch.float32\"", "\"torch.int64\"")), Some((Code::DtypeMismatch, "torch.dtype.agreement")));
        let one = |outer: &str, inner: &str, data: &str| {
            edit("\"shape\": [2], \"dtype\": \"torch", &format!("\"shape\": {outer}, \"dtype\": \"torch"))
                .replace("\"data\": [1.5, -2.0], \"shape\": [2]", &format!("\"data\": {data}, \"shape\": {inner}"))
        };
        assert_eq!(rejects(&one("[]", "[1]", "[1.5]")), Some((Code::ShapeMismatch, "torch.shape.agreement")));
        assert_eq!(rejects(&one("[1]", "[]", "1.5")), Some((Code::ShapeMismatch, "torch.shape.agreement")));
        assert_eq!(rejects(&one("[]", "[]", "1.5")), None);
        assert_eq!(rejects(&one("[2, 1]", "[2]", "[1.5, -2.0]")), Some((Code::ShapeMismatch, "torch.shape.agreement")));
    }

    #[test]
    fn legacy_v0_takes_shape_and_device_from_the_nested_array() {
        let v0 = edit("\"codecVersion\": 1, \"encoding\": \"ndarray\",\n \"shape\": [2], ", "\"encoding\": \"ndarray\", ")
            .replace("\"device\": \"cpu\",", "");
        let t = decode(&v0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.array.shape, [2]);
        assert_eq!(rejects(&v0.replace("\"dtype\": \"torch.float32\", ", "")), Some((Code::MissingField, "torch.legacy-v0")));
    }

    #[test]
    fn bfloat16_sourced_elements_are_bfloat16_values() {
        let src = edit("\"device\": \"cpu\"", "\"device\": \"cpu\", \"sourceDtype\": \"torch.bfloat16\"");
        let t = decode(&src).unwrap_or_else(|e| panic!("{e}"));
        assert!(t.from_bfloat16);
        assert_eq!(t.clone().array.data, [0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0]);
        assert_eq!(Value::Tensor(t).to_canonical()["sourceDtype"], "torch.bfloat16");
        // 1.0078125 (1 + 2^-7) is a bfloat16 value; 1.0000001192092896 is a float32 only
        assert_eq!(rejects(&src.replace("[1.5, -2.0]", "[1.0078125, -2.0]")), None);
        assert_eq!(rejects(&src.replace("[1.5, -2.0]", "[1.5, 1.0000001192092896]")), Some((Code::ValueDomain, "torch.bfloat16")));
    }

    #[test]
    fn encode_writes_the_nested_encoding_asked_for() {
        let t = decode(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        let text = encode(&t, Encoding::Json, &mut FrameOut::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            text,
            r#"{"__tywrap__":"torch.tensor","codecVersion":1,"encoding":"ndarray","value":{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"float32","shape":[2],"data":[1.5,-2.0]},"shape":[2],"dtype":"torch.float32","device":"cpu"}"#
        );
        for enc in [Encoding::Arrow, Encoding::Json] {
            let text = encode(&t, enc, &mut FrameOut::default()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(decode(&text).ok().as_ref(), Some(&t));
        }
        let with = |from_bfloat16: bool, source_device: Option<&str>| Tensor {
            from_bfloat16,
            source_device: source_device.map(str::to_string),
            ..t.clone()
        };
        let quoted = with(true, Some("cuda:0 \"x\""));
        let text = encode(&quoted, Encoding::Arrow, &mut FrameOut::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decode(&text).ok().as_ref(), Some(&quoted));
        assert_eq!(encode(&with(false, Some("")), Encoding::Json, &mut FrameOut::default()).err().map(|e| e.code()), Some(Code::ValueDomain));
        let mut not_bf16 = with(true, None);
        not_bf16.array.data[0] = 1;
        assert_eq!(encode(&not_bf16, Encoding::Arrow, &mut FrameOut::default()).err().map(|e| e.code()), Some(Code::ValueDomain));
        let mut nan = t.clone();
        nan.array.data[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(encode(&nan, Encoding::Json, &mut FrameOut::default()).err().map(|e| e.code()), Some(Code::ValueDomain));
        assert!(encode(&nan, Encoding::Arrow, &mut FrameOut::default()).is_ok());
        let date = Tensor { array: NdArray { dtype: Dtype::Date, shape: vec![], data: vec![0; 8] }, ..t.clone() };
        assert_eq!(encode(&date, Encoding::Arrow, &mut FrameOut::default()).err().map(|e| e.code()), Some(Code::DtypeUnsupported));
        let f64_bf16 = Tensor { array: NdArray { dtype: Dtype::Float64, shape: vec![], data: vec![0; 8] }, ..with(true, None) };
        assert_eq!(encode(&f64_bf16, Encoding::Arrow, &mut FrameOut::default()).err().map(|e| e.code()), Some(Code::DtypeMismatch));
    }
}
