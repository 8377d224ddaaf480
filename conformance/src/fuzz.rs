//! Fuzz target bodies. The cargo-fuzz binaries in `fuzz/` call these; so does
//! `tests/fuzz_regressions.rs`, which replays every saved finding on stable
//! `cargo test`. A target panics exactly when it finds something: a decoder
//! panic, a round trip that changes a value, or a disagreement between two
//! oracles that must agree.

// Panicking on a finding is how a fuzz target reports it.
#![allow(clippy::panic)]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use serde_json::{Value as JsonValue, json};
use sciwire::flame::{self, FlameEncoding};
use sciwire::schema::Schemas;
use sciwire::{Code, Dtype, Encoding, Estimator, Limits, NdArray, Sparse, SparseFormat, Tensor, TypedJson, Value};

/// Every target, by name.
pub const TARGETS: &[&str] = &[
    "decode_envelope",
    "decode_frame",
    "decode_flame",
    "decode_flame_stream",
    "decode_ndarray_fields",
    "decode_marker_fields",
    "arrow_payload",
    "arrow_table",
    "canonical_value",
    "harness_reply",
    "roundtrip",
    "schema_vs_decoder",
];

/// Runs target `name` on `data`; `false` if there is no such target.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "decode_envelope" => decode_envelope(data),
        "decode_frame" => decode_frame(data),
        "decode_flame" => decode_flame(data),
        "decode_flame_stream" => decode_flame_stream(data),
        "decode_ndarray_fields" => decode_ndarray_fields(data),
        "decode_marker_fields" => decode_marker_fields(data),
        "arrow_payload" => arrow_payload(data),
        "arrow_table" => arrow_table(data),
        "canonical_value" => canonical_value(data),
        "harness_reply" => harness_reply(data),
        "roundtrip" => roundtrip(data),
        "schema_vs_decoder" => schema_vs_decoder(data),
        _ => return false,
    }
    true
}

/// Raw bytes as an envelope's JSON text.
pub fn decode_envelope(data: &[u8]) {
    let _ = sciwire::decode(data, &Limits::default());
}

const DTYPES: &[&str] = &[
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
    "float64", "datetime64[ns]", "datetime64[D]", "timedelta64[ms]", "<U3", "|S2", "complex128", "<U0", ">i4",
];

/// A bounded arbitrary JSON value.
fn any_json(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<JsonValue> {
    let pick: u8 = if depth == 0 { u.int_in_range(0..=4)? } else { u.int_in_range(0..=6)? };
    Ok(match pick {
        0 => JsonValue::Null,
        1 => JsonValue::Bool(u.arbitrary()?),
        2 => json!(u.arbitrary::<i64>()? >> u.int_in_range(0..=63)?),
        3 => serde_json::Number::from_f64(u.arbitrary()?).map_or(JsonValue::Null, JsonValue::Number),
        4 => JsonValue::String(u.arbitrary()?),
        5 => {
            let n = u.int_in_range(0..=4)?;
            JsonValue::Array((0..n).map(|_| any_json(u, depth - 1)).collect::<arbitrary::Result<_>>()?)
        }
        _ => {
            let n = u.int_in_range(0..=3)?;
            let mut m = serde_json::Map::new();
            for _ in 0..n {
                m.insert(u.arbitrary()?, any_json(u, depth - 1)?);
            }
            JsonValue::Object(m)
        }
    })
}

/// Nested arrays of numbers/bools shaped roughly like `shape`, sometimes wrong.
fn any_data(u: &mut Unstructured<'_>, shape: &[u64]) -> arbitrary::Result<JsonValue> {
    match shape.split_first() {
        None => Ok(match u.int_in_range(0..=9)? {
            0 => any_json(u, 1)?,
            1 => JsonValue::Bool(u.arbitrary()?),
            2..=5 => json!(u.arbitrary::<i32>()?),
            _ => serde_json::Number::from_f64(f64::from(u.arbitrary::<f32>()?)).map_or(json!(0), JsonValue::Number),
        }),
        Some((&d, rest)) => {
            let n = if u.ratio(1, 8)? { u.int_in_range(0..=4)? } else { d.min(6) };
            Ok(JsonValue::Array((0..n).map(|_| any_data(u, rest)).collect::<arbitrary::Result<_>>()?))
        }
    }
}

fn envelope_from(u: &mut Unstructured<'_>) -> arbitrary::Result<JsonValue> {
    let mut m = serde_json::Map::new();
    if !u.ratio(1, 16)? {
        m.insert("__tywrap__".into(), if u.ratio(1, 16)? { any_json(u, 1)? } else { json!("ndarray") });
    }
    match u.int_in_range(0..=5)? {
        0 => {}
        1 => {
            m.insert("codecVersion".into(), any_json(u, 1)?);
        }
        _ => {
            m.insert("codecVersion".into(), json!(1));
        }
    }
    let arrow = u.arbitrary::<bool>()?;
    if !u.ratio(1, 16)? {
        m.insert("encoding".into(), if u.ratio(1, 16)? { any_json(u, 1)? } else { json!(if arrow { "arrow" } else { "json" }) });
    }
    if !u.ratio(1, 12)? {
        m.insert("dtype".into(), json!(*u.choose(DTYPES)?));
    }
    let shape: Vec<u64> = (0..u.int_in_range(0..=4)?).map(|_| u.int_in_range(0..=5)).collect::<arbitrary::Result<_>>()?;
    if !u.ratio(1, 12)? {
        let mut s = json!(shape);
        if u.ratio(1, 10)? {
            s = any_json(u, 2)?;
        }
        m.insert("shape".into(), s);
    }
    if arrow {
        let bytes: Vec<u8> = u.arbitrary()?;
        m.insert("b64".into(), json!(base64::engine::general_purpose::STANDARD.encode(bytes)));
    } else {
        m.insert("data".into(), any_data(u, &shape)?);
    }
    if u.ratio(1, 8)? {
        let k: String = u.arbitrary()?;
        m.insert(k, any_json(u, 2)?);
    }
    Ok(JsonValue::Object(m))
}

/// Structured envelopes (real member names, plausible shapes and data,
/// occasionally wrong) through the decoder.
pub fn decode_ndarray_fields(data: &[u8]) {
    let mut u = Unstructured::new(data);
    if let Ok(env) = envelope_from(&mut u) {
        let _ = sciwire::decode(env.to_string().as_bytes(), &Limits::default());
    }
}

/// Raw bytes as the Arrow IPC stream of an otherwise well-formed envelope,
/// with a dtype and shape chosen from the first bytes.
pub fn arrow_payload(data: &[u8]) {
    let (head, body) = data.split_at(data.len().min(2));
    let dtype = DTYPES[usize::from(head.first().copied().unwrap_or(0)) % DTYPES.len()];
    let n = head.get(1).copied().unwrap_or(0) % 8;
    let env = json!({
        "__tywrap__": "ndarray", "codecVersion": 1, "encoding": "arrow", "dtype": dtype, "shape": [n],
        "b64": base64::engine::general_purpose::STANDARD.encode(body),
    });
    let _ = sciwire::decode(env.to_string().as_bytes(), &Limits::default());
}

/// Raw bytes as the Arrow IPC payload of a table: after one selector byte,
/// an IPC file in a `dataframe` envelope (even selector) or an IPC stream in
/// a `series` envelope (odd), each as JSON text with the bytes in `b64`
/// and, for the selector's second bit, as a frame whose buffer holds them
/// (the file reader and the stream reader with dictionaries, behind both
/// entry points). A decode that succeeds must give a canonical value that
/// parses back to itself.
pub fn arrow_table(data: &[u8]) {
    let (head, body) = data.split_at(data.len().min(1));
    let selector = head.first().copied().unwrap_or(0);
    let series = selector & 1 == 1;
    let mut env = if series {
        json!({"__tywrap__": "series", "codecVersion": 1, "encoding": "arrow", "name": "s"})
    } else {
        json!({"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "arrow"})
    };
    let decoded = if selector & 2 == 0 {
        env["b64"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
        sciwire::decode(env.to_string().as_bytes(), &Limits::default())
    } else {
        env["encoding"] = json!("frame");
        env["data"] = json!(0);
        let JsonValue::Object(header) = env else { return };
        let claimed = json!([[0, body.len()]]);
        let (frame, _) = crate::structured::write_frame(sciwire::frame::VERSION.to_le_bytes(), &header, &claimed, &[body.to_vec()]);
        sciwire::decode(&frame, &Limits::default())
    };
    if let Ok(value) = decoded {
        let canonical = value.to_canonical();
        assert_eq!(Value::from_canonical(&canonical).ok().map(|v| v.to_canonical()), Some(canonical), "a decoded table's canonical value does not parse back to itself");
    }
}

/// The canonical value parser; what it accepts round-trips and encodes
/// without panicking.
pub fn canonical_value(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<JsonValue>(data) else { return };
    if let Ok(value) = Value::from_canonical(&v) {
        assert_eq!(Value::from_canonical(&value.to_canonical()).ok(), Some(value.clone()), "canonical form does not round-trip");
        let _ = sciwire::encode(&value, Encoding::Arrow);
        let _ = sciwire::encode(&value, Encoding::Frame);
        // Like image-rs's targets, bound the target's own work: a value such
        // as shape [1099, 57621, 0] has a legitimate 126 MB json form, which
        // is not a finding but would be a timeout.
        let Value::NdArray(a) = &value else { return };
        if a.json_size_floor() <= 2 << 20 {
            let _ = sciwire::encode(&value, Encoding::Json);
        }
    }
}

/// The runner's parser of harness replies.
pub fn harness_reply(data: &[u8]) {
    let line = String::from_utf8_lossy(data);
    if let Ok(v) = crate::process::parse_reply(&line, &json!(7)) {
        let _ = crate::process::outcome_of(&v);
    }
}

#[derive(Debug, Arbitrary)]
struct ArrayInput {
    dtype: u8,
    width: u8,
    shape: Vec<u8>,
    data: Vec<u8>,
}

fn array_from(input: ArrayInput) -> Option<NdArray> {
    let dtype = match input.dtype % 17 {
        0 => Dtype::Bool,
        1 => Dtype::Int8,
        2 => Dtype::Int16,
        3 => Dtype::Int32,
        4 => Dtype::Int64,
        5 => Dtype::UInt8,
        6 => Dtype::UInt16,
        7 => Dtype::UInt32,
        8 => Dtype::UInt64,
        9 => Dtype::Float16,
        10 => Dtype::Float32,
        11 => Dtype::Float64,
        12 => Dtype::Date,
        13 => Dtype::parse("datetime64[us]")?,
        14 => Dtype::parse("timedelta64[s]")?,
        15 => Dtype::Unicode(u64::from(input.width % 4) + 1),
        _ => Dtype::Bytes(u64::from(input.width % 4) + 1),
    };
    let shape: Vec<u64> = input.shape.iter().take(4).map(|&d| u64::from(d % 5)).collect();
    let count = shape.iter().product::<u64>() as usize;
    let size = count * dtype.itemsize() as usize;
    let mut bytes: Vec<u8> = input.data.iter().copied().cycle().take(size).collect();
    bytes.resize(size, 0);
    // Make every element valid for its dtype.
    match dtype {
        Dtype::Bool => bytes.iter_mut().for_each(|b| *b &= 1),
        Dtype::Date => bytes.chunks_exact_mut(8).for_each(|el| {
            let v = i64::from(i32::from_le_bytes([el[0], el[1], el[2], el[3]]));
            el.copy_from_slice(&v.to_le_bytes());
        }),
        Dtype::Unicode(_) => bytes.chunks_exact_mut(4).for_each(|el| {
            let c = char::from_u32(u32::from_le_bytes([el[0], el[1], el[2], el[3]]) % 0x11_0000).unwrap_or('?');
            el.copy_from_slice(&u32::from(c).to_le_bytes());
        }),
        _ => {}
    }
    Some(NdArray { dtype, shape, data: bytes })
}

/// An arbitrary value of any kind → encode in each encoding it has →
/// decode → the same value, bit for bit; or, for json, the refusal the spec
/// names.
pub fn roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(kind) = u.int_in_range(0u8..=3) else { return };
    match kind {
        1 => return roundtrip_sparse(&mut u),
        2 => return roundtrip_tensor(&mut u),
        3 => return roundtrip_estimator(&mut u),
        _ => {}
    }
    let Ok(input) = ArrayInput::arbitrary(&mut u) else { return };
    let Some(a) = array_from(input) else { return };
    let value = Value::NdArray(a);
    let env = sciwire::encode(&value, Encoding::Arrow).unwrap_or_else(|e| panic!("arrow encode refused {value:?}: {e}"));
    let back = sciwire::decode(&env, &Limits::default()).unwrap_or_else(|e| panic!("arrow round trip: {e}"));
    assert_eq!(back, value, "arrow round trip changed the value");
    match sciwire::encode(&value, Encoding::Json) {
        Ok(env) => {
            let back = sciwire::decode(&env, &Limits::default())
                .unwrap_or_else(|e| panic!("json round trip: {e}: {}", String::from_utf8_lossy(&env)));
            assert_eq!(back, value, "json round trip changed the value");
        }
        Err(e) => assert!(matches!(e.code(), Code::ValueDomain | Code::DtypeUnsupported), "json refusal with {e}"),
    }
    // A frame holds every valid array.
    check_roundtrip(&value, Encoding::Frame, &[]);
    // The flame profile holds every array of its dtypes, and refuses the others.
    check_flame_roundtrip(&value);
}

/// A value of a flame dtype (`sciwire::flame::dtypes`) encodes as `FLM\x01`
/// with `8 + M` a multiple of 64 and decodes to itself, bit for bit; any
/// other dtype is refused with `E_DTYPE_UNSUPPORTED` ([flame.encode.refuse]).
fn check_flame_roundtrip(value: &Value) {
    let Value::NdArray(a) = value else { return };
    let flame_dtype = flame::dtypes().any(|d| d == a.dtype);
    match flame::encode(value, FlameEncoding::Tensor) {
        Ok(frame) => {
            assert!(flame_dtype, "flame::encode wrote {}", a.dtype);
            assert_eq!(&frame[..8], b"FLM\x01\xff\xff\xff\xff");
            let m = i32::from_le_bytes([frame[8], frame[9], frame[10], frame[11]]);
            assert_eq!((8 + m) % 64, 0, "8 + M = {}", 8 + m);
            let back = flame::decode(&frame, &Limits::default())
                .unwrap_or_else(|e| panic!("flame round trip of {value:?}: {e}"));
            assert_eq!(&back, value, "the flame round trip changed the value");
        }
        Err(e) => {
            assert!(!flame_dtype, "flame::encode refused {value:?}: {e}");
            assert_eq!(e.code(), Code::DtypeUnsupported, "{e}");
        }
    }
}

/// The flame profile's decoder (`sciwire::flame::decode`) on arbitrary bytes.
/// The first byte picks the form: odd, the rest after `FLM\x01` (and, when
/// bit 1 is set too, after the continuation `ff ff ff ff`), so the fuzzer
/// spends its time past the tag check; even, the rest as it is (`fuzz-seeds`
/// writes each flame vector so, after a zero byte). Finds panics,
/// input-sized allocations, and a decoded value that does not survive
/// `flame::encode` and decoding again.
pub fn decode_flame(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut input = Vec::with_capacity(rest.len() + 8);
    if mode & 1 == 1 {
        input.extend_from_slice(b"FLM\x01");
        if mode & 2 == 2 {
            input.extend_from_slice(&[0xff; 4]);
        }
    }
    input.extend_from_slice(rest);
    let limits = Limits::default();
    let Ok(value) = flame::decode(&input, &limits) else { return };
    check_flame_reencode(&value, input.get(3).copied().unwrap_or_default());
}

/// The flame stream tags (`02` a table, `03` an array, `04` a record batch)
/// on arbitrary Arrow IPC streams: the first byte picks the tag (its value
/// modulo 3, from `02`), the rest is the stream after `FLM` and the tag
/// (`fuzz-seeds` writes each stream vector so). Finds panics, input-sized
/// allocations, and a decoded value that does not survive `flame::encode`
/// (in the encoding of its tag, and for a dataframe in the other one too)
/// and decoding again.
pub fn decode_flame_stream(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    let tag = 2 + selector % 3;
    let mut input = Vec::with_capacity(rest.len() + 4);
    input.extend_from_slice(b"FLM");
    input.push(tag);
    input.extend_from_slice(rest);
    let Ok(value) = flame::decode(&input, &Limits::default()) else { return };
    check_flame_reencode(&value, tag);
}

/// The seed of [`decode_flame_stream`] for a flame input: its selector and
/// its stream, for a frame of a stream tag.
pub fn decode_flame_stream_seed(input: &[u8]) -> Option<Vec<u8>> {
    match input {
        [b'F', b'L', b'M', tag @ 2..=4, stream @ ..] => Some([[tag - 2].as_slice(), stream].concat()),
        _ => None,
    }
}

/// A value decoded from a frame of `tag` is of the tag's kind, and
/// `flame::encode` writes it (in the tag's encoding; a dataframe also in
/// the other dataframe encoding) as a frame that decodes to it, bit for bit.
fn check_flame_reencode(value: &Value, tag: u8) {
    let encodings: &[FlameEncoding] = match (value, tag) {
        (Value::NdArray(_), 1) => &[FlameEncoding::Tensor],
        (Value::DataFrame(_), 2) => &[FlameEncoding::Table, FlameEncoding::Batch],
        (Value::DataFrame(_), 4) => &[FlameEncoding::Batch, FlameEncoding::Table],
        (Value::Series(s), 3) => {
            assert_eq!(s.name, TypedJson::Null, "a tag 03 frame decoded to a named series");
            &[FlameEncoding::Array]
        }
        _ => panic!("a frame of tag {tag:02x} decoded to {value:?}"),
    };
    let limits = Limits::default();
    for &e in encodings {
        let frame = flame::encode(value, e)
            .unwrap_or_else(|err| panic!("a decoded flame value is refused by flame::encode as {}: {err}", e.as_str()));
        assert_eq!(frame.get(3).copied(), Some(e.tag()), "flame::encode {} wrote another tag", e.as_str());
        let back = flame::decode(&frame, &limits)
            .unwrap_or_else(|err| panic!("re-encoded flame {} frame rejected: {err}", e.as_str()));
        assert_eq!(&back, value, "a decoded flame value changed through flame::encode as {}", e.as_str());
    }
}

fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| Schemas::load().unwrap_or_else(|e| panic!("schemas: {e}")))
}

/// Codes for faults the envelope schema can see.
const STRUCTURAL: &[Code] = &[
    Code::NotEnvelope,
    Code::UnknownMarker,
    Code::CodecVersion,
    Code::EncodingUnsupported,
    Code::MissingField,
    Code::FieldType,
    Code::UnknownField,
    Code::DtypeUnsupported,
    Code::ShapeInvalid,
    Code::Base64,
    Code::FormatUnsupported,
    Code::NestedEnvelope,
    Code::DeviceUnsupported,
];

/// Differential: the JSON Schema and the decoder agree on structure. The
/// decoder must not accept what the schema rejects, and must not reject for
/// a structural reason what the schema accepts.
pub fn schema_vs_decoder(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(env) = any_envelope_from(&mut u) else { return };
    let text = env.to_string();
    let schema_ok = schemas().validate("envelope", &env).is_ok();
    match sciwire::decode(text.as_bytes(), &Limits::default()) {
        Ok(_) => assert!(schema_ok, "the decoder accepts what envelope.schema.json rejects: {text}"),
        Err(e) if schema_ok && STRUCTURAL.contains(&e.code()) => {
            // A v0 arrow envelope without dtype whose column gives none is
            // E_MISSING_FIELD only after the payload is read: not structural.
            // So is a torch tensor's nested one (path /value).
            let no_dtype = env.get("dtype").is_none() || env.get("value").is_some_and(|v| v.get("dtype").is_none());
            let late = e.code() == Code::MissingField && e.clause() == "ndarray.legacy-v0" && no_dtype;
            assert!(late, "envelope.schema.json accepts what the decoder rejects as structural ({e}): {text}");
        }
        Err(_) => {}
    }
}

// ---------------------------------------------------------------- scipy.sparse, torch.tensor, sklearn.estimator

/// Structured `scipy.sparse`, `torch.tensor`, `sklearn.estimator` and json
/// `dataframe` and `series` envelopes (real member names, plausible index
/// arrays, nested ndarray envelopes, parameter trees and rows of cells,
/// occasionally wrong) through the decoder.
pub fn decode_marker_fields(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let env = match u.int_in_range(0u8..=4) {
        Ok(0) => sparse_from(&mut u),
        Ok(1) => torch_from(&mut u),
        Ok(2) => sklearn_from(&mut u),
        Ok(3) => dataframe_from(&mut u),
        Ok(_) => series_from(&mut u),
        Err(e) => Err(e),
    };
    if let Ok(env) = env {
        let _ = sciwire::decode(env.to_string().as_bytes(), &Limits::default());
    }
}

/// An envelope of any marker, as the structured targets make them.
fn any_envelope_from(u: &mut Unstructured<'_>) -> arbitrary::Result<JsonValue> {
    match u.int_in_range(0u8..=5)? {
        0 => envelope_from(u),
        1 => sparse_from(u),
        2 => torch_from(u),
        3 => sklearn_from(u),
        4 => dataframe_from(u),
        _ => series_from(u),
    }
}

/// A json cell of one kind (0 bool, 1 integer, 2 float, 3 string), now and
/// then null, of another kind, out of range, or not a scalar. (Another
/// kind is one level down, once: recursing on the input's bytes alone
/// overflowed the stack on a 131 KB input.)
fn cell_from(u: &mut Unstructured<'_>, kind: u8) -> arbitrary::Result<JsonValue> {
    cell_of(u, kind, true)
}

fn cell_of(u: &mut Unstructured<'_>, kind: u8, may_switch: bool) -> arbitrary::Result<JsonValue> {
    Ok(match u.int_in_range(0u8..=31)? {
        0..=3 => JsonValue::Null,
        4 => any_json(u, 1)?,
        5 => json!(*u.choose(&[9007199254740992i64, -9007199254740992, i64::MAX])?),
        6 if may_switch => {
            let other = u.int_in_range(0u8..=3)?;
            cell_of(u, other, false)?
        }
        _ => match kind {
            0 => json!(u.arbitrary::<bool>()?),
            1 => json!(u.arbitrary::<i32>()?),
            2 => {
                let f = f64::from_bits(u.arbitrary()?);
                if f.is_finite() { json!(f) } else { json!(0.5) }
            }
            _ => json!(*u.choose(&["", "a", "1", "é", "\u{0}", "x y"])?),
        },
    })
}

/// Column names that collide with each other, look like array indices, or are empty.
const COLUMN_NAMES: &[&str] = &["a", "b", "1", "0", "", "__index_level_0__", "a", "é"];

fn dataframe_from(u: &mut Unstructured<'_>) -> arbitrary::Result<JsonValue> {
    let mut m = common_members(u, "dataframe", "json")?;
    let rows = u.int_in_range(0usize..=6)?;
    let cols: Vec<(String, u8)> =
        (0..u.int_in_range(0usize..=4)?).map(|_| Ok((u.choose(COLUMN_NAMES)?.to_string(), u.int_in_range(0u8..=3)?))).collect::<arbitrary::Result<_>>()?;
    let mut data = Vec::with_capacity(rows);
    for _ in 0..rows {
        let mut row = serde_json::Map::new();
        for (name, kind) in &cols {
            if !u.ratio(1, 64)? {
                row.insert(name.clone(), cell_from(u, *kind)?);
            }
        }
        data.push(mostly(u, JsonValue::Object(row))?);
    }
    m.insert("data".into(), mostly(u, JsonValue::Array(data))?);
    perturb(u, &mut m)?;
    Ok(JsonValue::Object(m))
}

fn series_from(u: &mut Unstructured<'_>) -> arbitrary::Result<JsonValue> {
    let mut m = common_members(u, "series", "json")?;
    let kind = u.int_in_range(0u8..=3)?;
    let data = (0..u.int_in_range(0usize..=8)?).map(|_| cell_from(u, kind)).collect::<arbitrary::Result<Vec<_>>>()?;
    m.insert("data".into(), mostly(u, JsonValue::Array(data))?);
    let name = match u.int_in_range(0u8..=4)? {
        0 => JsonValue::Null,
        1 => json!(5),
        2 => json!(2.5),
        3 => any_json(u, 1)?,
        _ => json!("s"),
    };
    m.insert("name".into(), name);
    perturb(u, &mut m)?;
    Ok(JsonValue::Object(m))
}

/// `pick`, or now and then an arbitrary JSON value in its place.
fn mostly(u: &mut Unstructured<'_>, pick: JsonValue) -> arbitrary::Result<JsonValue> {
    if u.ratio(1, 16)? { any_json(u, 1) } else { Ok(pick) }
}

/// The common members, each now and then missing or wrong.
fn common_members(u: &mut Unstructured<'_>, marker: &str, encoding: &str) -> arbitrary::Result<serde_json::Map<String, JsonValue>> {
    let mut m = serde_json::Map::new();
    if !u.ratio(1, 32)? {
        m.insert("__tywrap__".into(), mostly(u, json!(marker))?);
    }
    if !u.ratio(1, 8)? {
        m.insert("codecVersion".into(), mostly(u, json!(1))?);
    }
    if !u.ratio(1, 32)? {
        m.insert("encoding".into(), mostly(u, json!(encoding))?);
    }
    Ok(m)
}

/// Drops a member now and then, and adds an unknown or extension one.
fn perturb(u: &mut Unstructured<'_>, m: &mut serde_json::Map<String, JsonValue>) -> arbitrary::Result<()> {
    if u.ratio(1, 10)? && !m.is_empty() {
        let k = m.keys().nth(u.choose_index(m.len())?).cloned().unwrap_or_default();
        m.remove(&k);
    }
    if u.ratio(1, 10)? {
        let k: String = if u.arbitrary()? { format!("x-{}", u.arbitrary::<u8>()?) } else { u.arbitrary()? };
        m.insert(k, any_json(u, 2)?);
    }
    Ok(())
}

/// Non-negative integers below `bound`, now and then out of range or not integers.
fn indices(u: &mut Unstructured<'_>, n: usize, bound: u64) -> arbitrary::Result<JsonValue> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(match u.int_in_range(0u8..=15)? {
            0 => any_json(u, 0)?,
            1 => json!(bound),
            _ => json!(u.int_in_range(0..=bound.saturating_sub(1))?),
        });
    }
    Ok(JsonValue::Array(out))
}

fn sparse_from(u: &mut Unstructured<'_>) -> arbitrary::Result<JsonValue> {
    const FORMATS: &[&str] = &["csr", "csc", "coo", "csr", "csc", "coo", "dia", "CSR"];
    const SPARSE_DTYPES: &[&str] =
        &["bool", "int8", "int32", "int64", "uint8", "uint64", "float32", "float64", "float16", "complex128", "<U2"];
    let mut m = common_members(u, "scipy.sparse", "json")?;
    let format = *u.choose(FORMATS)?;
    m.insert("format".into(), mostly(u, json!(format))?);
    let (rows, cols) = (u.int_in_range(0u64..=5)?, u.int_in_range(0u64..=5)?);
    m.insert("shape".into(), mostly(u, json!([rows, cols]))?);
    m.insert("dtype".into(), json!(*u.choose(SPARSE_DTYPES)?));
    let nnz = if rows == 0 || cols == 0 { 0 } else { u.int_in_range(0usize..=6)? };
    m.insert("data".into(), any_data(u, &[nnz as u64])?);
    if format == "coo" {
        m.insert("row".into(), indices(u, nnz, rows)?);
        m.insert("col".into(), indices(u, nnz, cols)?);
    } else {
        let (major, minor) = if format == "csc" { (cols, rows) } else { (rows, cols) };
        m.insert("indices".into(), indices(u, nnz, minor)?);
        // indptr: 0, then non-decreasing cut points, then nnz; now and then broken.
        let mut cuts: Vec<u64> = (1..major).map(|_| u.int_in_range(0..=nnz as u64)).collect::<arbitrary::Result<_>>()?;
        cuts.sort_unstable();
        let mut indptr = vec![0];
        indptr.extend(cuts);
        indptr.push(nnz as u64);
        if u.ratio(1, 8)? {
            let i = u.choose_index(indptr.len())?;
            indptr[i] = u.int_in_range(0..=8)?;
        }
        m.insert("indptr".into(), json!(indptr));
    }
    perturb(u, &mut m)?;
    Ok(JsonValue::Object(m))
}

const TORCH_DTYPES: &[&str] = &[
    "torch.bool", "torch.uint8", "torch.int8", "torch.int16", "torch.int32", "torch.int64", "torch.uint16",
    "torch.uint32", "torch.uint64", "torch.float16", "torch.float32", "torch.float64", "torch.bfloat16", "float32",
    "torch.complex64",
];

fn torch_from(u: &mut Unstructured<'_>) -> arbitrary::Result<JsonValue> {
    let mut inner = envelope_from(u)?;
    let mut m = common_members(u, "torch.tensor", "ndarray")?;
    let nested = inner.get("dtype").and_then(JsonValue::as_str).and_then(Dtype::parse).and_then(|d| d.torch_name());
    let dtype = match nested {
        Some(name) if !u.ratio(1, 6)? => name,
        _ => *u.choose(TORCH_DTYPES)?,
    };
    m.insert("dtype".into(), json!(dtype));
    if !u.ratio(1, 8)? {
        let shape = inner.get("shape").cloned().unwrap_or(json!([]));
        let shape = if u.ratio(1, 8)? { json!([1]) } else { shape };
        m.insert("shape".into(), mostly(u, shape)?);
    }
    if !u.ratio(1, 10)? {
        let device = if u.ratio(1, 10)? { json!("cuda:0") } else { json!("cpu") };
        m.insert("device".into(), mostly(u, device)?);
    }
    if u.ratio(1, 6)? {
        m.insert("sourceDtype".into(), mostly(u, json!("torch.bfloat16"))?);
    }
    if u.ratio(1, 8)? {
        m.insert("sourceDevice".into(), mostly(u, json!("cuda:0"))?);
    }
    if u.ratio(1, 8)?
        && let Some(o) = inner.as_object_mut()
    {
        o.remove("codecVersion");
    }
    m.insert("value".into(), if u.ratio(1, 16)? { any_json(u, 2)? } else { inner });
    perturb(u, &mut m)?;
    Ok(JsonValue::Object(m))
}

/// A parameter tree: [`any_json`], with integers past 2^53 and `__tywrap__`
/// members now and then.
fn params_from(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<JsonValue> {
    match u.int_in_range(0u8..=9)? {
        0 => Ok(json!(u.int_in_range(0u64..=4)? + (1 << 53))),
        1 if depth > 0 => Ok(json!({"__tywrap__": "sklearn.estimator", "params": params_from(u, depth - 1)?})),
        2 | 3 if depth > 0 => {
            let n = u.int_in_range(0..=4)?;
            let mut m = serde_json::Map::new();
            for _ in 0..n {
                m.insert(u.arbitrary()?, params_from(u, depth - 1)?);
            }
            Ok(JsonValue::Object(m))
        }
        4 if depth > 0 => {
            let n = u.int_in_range(0..=4)?;
            Ok(JsonValue::Array((0..n).map(|_| params_from(u, depth - 1)).collect::<arbitrary::Result<_>>()?))
        }
        _ => any_json(u, 0),
    }
}

fn sklearn_from(u: &mut Unstructured<'_>) -> arbitrary::Result<JsonValue> {
    const CLASSES: &[&str] = &["LogisticRegression", "My_Estimator2", "_X", "", "a b", "a.b", "1x"];
    const MODULES: &[&str] = &["sklearn.linear_model._logistic", "__main__", "a", "a..b", ".a", "", "a b"];
    let mut m = common_members(u, "sklearn.estimator", "json")?;
    let (class, module) = (*u.choose(CLASSES)?, *u.choose(MODULES)?);
    m.insert("className".into(), mostly(u, json!(class))?);
    m.insert("module".into(), mostly(u, json!(module))?);
    let version = match u.int_in_range(0u8..=5)? {
        0 => JsonValue::Null,
        1 => json!(""),
        _ => json!("1.9.1"),
    };
    m.insert("version".into(), mostly(u, version)?);
    let n = u.int_in_range(0..=5)?;
    let mut params = serde_json::Map::new();
    for _ in 0..n {
        params.insert(u.arbitrary()?, params_from(u, 3)?);
    }
    m.insert("params".into(), mostly(u, JsonValue::Object(params))?);
    perturb(u, &mut m)?;
    Ok(JsonValue::Object(m))
}

/// Element bytes of `n` elements of `dtype` that every encoding can carry
/// or the json encoding refuses with E_VALUE_DOMAIN (NaN, 2^60).
fn elements(u: &mut Unstructured<'_>, dtype: Dtype, n: usize) -> arbitrary::Result<Vec<u8>> {
    let size = n * dtype.itemsize() as usize;
    let mut bytes: Vec<u8> = (0..size).map(|_| u.arbitrary::<u8>()).collect::<arbitrary::Result<_>>()?;
    if dtype == Dtype::Bool {
        bytes.iter_mut().for_each(|b| *b &= 1);
    }
    Ok(bytes)
}

fn check_roundtrip(value: &Value, encoding: Encoding, may_refuse: &[Code]) {
    match sciwire::encode(value, encoding) {
        Ok(env) => {
            let shown = String::from_utf8_lossy(&env);
            let back = sciwire::decode(&env, &Limits::default())
                .unwrap_or_else(|e| panic!("{} round trip: {e}: {shown}", encoding.as_str()));
            assert_eq!(&back, value, "{} round trip changed the value: {shown}", encoding.as_str());
            if encoding == Encoding::Frame {
                // A frame has one spelling: the decoded value is written the same.
                let again = sciwire::encode(&back, encoding).unwrap_or_else(|e| panic!("re-encoding a frame: {e}"));
                assert!(again == env, "a decoded frame re-encodes differently: {shown}");
            }
        }
        Err(e) => assert!(may_refuse.contains(&e.code()), "{} encoder refused {value:?} with {e}", encoding.as_str()),
    }
}

/// A valid sparse matrix (indices inside the shape, indptr rising from 0 to
/// nnz; duplicates, zeros and unsorted indices allowed) round-trips, or is
/// refused for a value JSON cannot carry.
fn roundtrip_sparse(u: &mut Unstructured<'_>) {
    const HELD: &[Dtype] = &[
        Dtype::Bool, Dtype::Int8, Dtype::Int16, Dtype::Int32, Dtype::Int64, Dtype::UInt8, Dtype::UInt16,
        Dtype::UInt32, Dtype::UInt64, Dtype::Float32, Dtype::Float64,
    ];
    let build = |u: &mut Unstructured<'_>| -> arbitrary::Result<Sparse> {
        let dtype = *u.choose(HELD)?;
        let big = |u: &mut Unstructured<'_>| -> arbitrary::Result<u64> {
            Ok(if u.ratio(1, 8)? { 1 << 40 } else { u.int_in_range(0..=5)? })
        };
        let shape = [big(u)?, big(u)?];
        let nnz = if shape.contains(&0) { 0 } else { u.int_in_range(0usize..=8)? };
        let index = |u: &mut Unstructured<'_>, bound: u64| -> arbitrary::Result<Vec<u64>> {
            (0..nnz).map(|_| u.int_in_range(0..=bound - 1)).collect()
        };
        let format = match u.int_in_range(0u8..=2)? {
            2 => SparseFormat::Coo { row: index(u, shape[0])?, col: index(u, shape[1])? },
            k => {
                let (major, minor) = if k == 0 { (shape[0], shape[1]) } else { (shape[1], shape[0]) };
                // A big major dimension would need 2^40 indptr entries: keep it small.
                let major = major.min(6);
                let mut cuts: Vec<u64> = (1..major).map(|_| u.int_in_range(0..=nnz as u64)).collect::<arbitrary::Result<_>>()?;
                cuts.sort_unstable();
                let mut indptr = vec![0];
                indptr.extend(cuts);
                indptr.push(nnz as u64);
                let indices = if minor == 0 { Vec::new() } else { index(u, minor)? };
                if k == 0 { SparseFormat::Csr { indices, indptr } } else { SparseFormat::Csc { indices, indptr } }
            }
        };
        let mut shape = shape;
        match &format {
            SparseFormat::Csr { indptr, .. } => shape[0] = indptr.len() as u64 - 1,
            SparseFormat::Csc { indptr, .. } => shape[1] = indptr.len() as u64 - 1,
            SparseFormat::Coo { .. } => {}
        }
        Ok(Sparse { dtype, shape, data: elements(u, dtype, nnz)?, format })
    };
    let Ok(s) = build(u) else { return };
    let value = Value::Sparse(s);
    check_roundtrip(&value, Encoding::Json, &[Code::ValueDomain]);
    // NaN and integers beyond 2^53 included: a frame holds every valid matrix.
    check_roundtrip(&value, Encoding::Frame, &[]);
}

/// A tensor of any torch dtype (bfloat16-sourced float32 included) round-trips
/// in both nested encodings, or json refuses a value it cannot carry.
fn roundtrip_tensor(u: &mut Unstructured<'_>) {
    let Ok(input) = ArrayInput::arbitrary(u) else { return };
    let Some(mut array) = array_from(input) else { return };
    if array.dtype.torch_name().is_none() {
        return;
    }
    let from_bfloat16 = array.dtype == Dtype::Float32 && u.arbitrary().unwrap_or(false);
    if from_bfloat16 {
        array.data.chunks_exact_mut(4).for_each(|el| {
            el[0] = 0;
            el[1] = 0;
        });
    }
    let source_device = u.arbitrary::<bool>().unwrap_or(false).then(|| "cuda:0".to_string());
    let value = Value::Tensor(Tensor { array, from_bfloat16, source_device });
    check_roundtrip(&value, Encoding::Arrow, &[]);
    check_roundtrip(&value, Encoding::Json, &[Code::ValueDomain]);
    check_roundtrip(&value, Encoding::Frame, &[]);
}

/// A parameter tree a decoder could give: members sorted and unique, no
/// `__tywrap__`, integers within ±(2^53-1); floats may be NaN (refused).
fn typed_from(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<TypedJson> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => TypedJson::Null,
        1 => TypedJson::Bool(u.arbitrary()?),
        2 => TypedJson::Int(u.int_in_range(-(1i64 << 53) + 1..=(1i64 << 53) - 1)?),
        3 => TypedJson::Float(u.arbitrary()?),
        4 => TypedJson::String(u.arbitrary()?),
        5 if depth > 0 => {
            let n = u.int_in_range(0..=4)?;
            TypedJson::Array((0..n).map(|_| typed_from(u, depth - 1)).collect::<arbitrary::Result<_>>()?)
        }
        6 if depth > 0 => TypedJson::Object(members_from(u, depth - 1)?),
        _ => TypedJson::Float(f64::from(u.arbitrary::<i32>()?) / 8.0),
    })
}

fn members_from(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Vec<(String, TypedJson)>> {
    let n = u.int_in_range(0..=4)?;
    let mut m: Vec<(String, TypedJson)> = Vec::new();
    for _ in 0..n {
        let name: String = u.arbitrary()?;
        if name != "__tywrap__" && !m.iter().any(|(k, _)| *k == name) {
            m.push((name, typed_from(u, depth)?));
        }
    }
    m.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(m)
}

/// An estimator's metadata round-trips, or json refuses a NaN or infinite float.
fn roundtrip_estimator(u: &mut Unstructured<'_>) {
    let build = |u: &mut Unstructured<'_>| -> arbitrary::Result<Estimator> {
        Ok(Estimator {
            class_name: (*u.choose(&["LinearRegression", "_Private", "Est2"])?).to_string(),
            module: (*u.choose(&["sklearn.linear_model._base", "__main__", "a.b_c.d"])?).to_string(),
            version: if u.arbitrary()? { Some("1.9.1".to_string()) } else { None },
            params: members_from(u, 3)?,
        })
    };
    let Ok(e) = build(u) else { return };
    let value = Value::Estimator(e);
    check_roundtrip(&value, Encoding::Json, &[Code::ValueDomain]);
    // The same params in a frame's header: refused exactly when json refuses.
    check_roundtrip(&value, Encoding::Frame, &[Code::ValueDomain]);
}


// ---------------------------------------------------------------- frames

/// At most this many buffers in a structured frame.
const MAX_FRAME_BUFFERS: u8 = 4;

/// One change to a well-laid-out frame.
#[derive(Debug)]
enum FrameMutation {
    /// The version field.
    Version(u32),
    /// The header length field, moved by this much.
    HeaderLength(i16),
    /// A `buffers` item's offset claimed this much off where the buffer is.
    Offset(u8, i16),
    /// A `buffers` item's length claimed this much off the buffer's.
    Length(u8, i16),
    /// A `buffers` item claiming this (maybe huge) length.
    HugeLength(u8, u64),
    /// An extra item in `buffers`, its bytes appended in the layout.
    ExtraBuffer(u8),
    /// This byte of the padding (counted over all padding bytes) set non-zero.
    Padding(u16, u8),
    /// This byte (counted from the end when past it) XORed with a value.
    Flip(u16, u8),
    /// The frame cut to this many bytes (modulo its length).
    Truncate(u16),
    /// These bytes appended.
    Trailing(u8),
}

fn frame_mutation(u: &mut Unstructured<'_>) -> arbitrary::Result<FrameMutation> {
    Ok(match u.int_in_range(0u8..=9)? {
        0 => FrameMutation::Version(if u.arbitrary()? { u.int_in_range(0..=3)? } else { u.arbitrary()? }),
        1 => FrameMutation::HeaderLength(u.int_in_range(-80..=80)?),
        2 => FrameMutation::Offset(u.arbitrary()?, u.int_in_range(-130..=130)?),
        3 => FrameMutation::Length(u.arbitrary()?, u.int_in_range(-9..=9)?),
        4 => FrameMutation::HugeLength(u.arbitrary()?, *u.choose(&[1 << 28, (1 << 28) + 1, (1 << 53) - 1, 1 << 53, u64::MAX])?),
        5 => FrameMutation::ExtraBuffer(u.int_in_range(0..=70)?),
        6 => FrameMutation::Padding(u.arbitrary()?, u.int_in_range(1..=255)?),
        7 => FrameMutation::Flip(u.arbitrary()?, u.int_in_range(1..=255)?),
        8 => FrameMutation::Truncate(u.arbitrary()?),
        _ => FrameMutation::Trailing(u.int_in_range(1..=64)?),
    })
}

/// The parts of a structured frame input: the envelope's JSON text (without
/// `buffers`) and the buffers' bytes, each length-prefixed (u32 LE), the
/// buffer count one byte; then the mutations, to the end of the input.
fn frame_parts(u: &mut Unstructured<'_>) -> arbitrary::Result<(Vec<u8>, Vec<Vec<u8>>)> {
    let field = |u: &mut Unstructured<'_>| -> arbitrary::Result<Vec<u8>> {
        let n = u32::from_le_bytes(<[u8; 4]>::try_from(u.bytes(4)?).unwrap_or_default()) as usize;
        Ok(u.bytes(n.min(u.len()))?.to_vec())
    };
    let header = field(u)?;
    let count = u.bytes(1)?.first().copied().unwrap_or(0) % (MAX_FRAME_BUFFERS + 1);
    let buffers = (0..count).map(|_| field(u)).collect::<arbitrary::Result<_>>()?;
    Ok((header, buffers))
}

/// A structured input for [`decode_frame`] that rebuilds `frame` unchanged
/// (its envelope, its buffers, no mutation); `None` for what is not a valid
/// frame. `fuzz-seeds` writes one per frame vector.
pub fn decode_frame_seed(frame: &[u8]) -> Option<Vec<u8>> {
    let view = sciwire::frame::read(frame, &Limits::default()).ok()?;
    if view.buffer_count() > usize::from(MAX_FRAME_BUFFERS) {
        return None;
    }
    // The writer's `buffers` is the header's last member.
    let header = view.header();
    let cut = header.rfind(",\"buffers\":[").filter(|_| header.ends_with("]}"))?;
    let envelope = format!("{}}}", &header[..cut]);
    let mut out = Vec::new();
    let field = |bytes: &[u8], out: &mut Vec<u8>| {
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    };
    field(envelope.as_bytes(), &mut out);
    out.push(view.buffer_count() as u8);
    for b in view.buffers() {
        field(b.bytes(), &mut out);
    }
    Some(out)
}

/// Structured frames through the decoder: an envelope and its buffers laid
/// out as a writer lays them out, then changed where framing can go wrong
/// (the version, the header length, a `buffers` item's offset or length,
/// an unreferenced buffer, non-zero padding, a flipped byte, truncation,
/// trailing bytes). The view's buffers are read as elements too.
pub fn decode_frame(data: &[u8]) {
    let Some((frame, mutated)) = build_frame(data) else { return };
    let limits = Limits::default();
    let decoded = sciwire::decode(&frame, &limits);
    if let Ok(view) = sciwire::frame::read(&frame, &limits) {
        for b in view.buffers() {
            let _ = b.elements::<f64>();
            let _ = b.elements::<u16>();
            assert_eq!(b.offset() % 64, 0, "a buffer of a valid frame is not aligned");
        }
        // One entry point or the other: the same verdict.
        let via_view = sciwire::decode_frame(&view, &limits);
        assert_eq!(via_view.as_ref().ok(), decoded.as_ref().ok(), "decode and decode_frame disagree");
    } else {
        assert!(decoded.is_err(), "decode accepts a frame that frame::read rejects");
    }
    if !mutated
        && let Ok(value) = &decoded
        && let Ok(again) = sciwire::encode(value, Encoding::Frame)
        && sciwire::decode(&again, &limits).as_ref().ok() != Some(value)
    {
        panic!("a decoded frame does not survive being written again");
    }
}

/// The frame [`decode_frame`] builds from its input, and whether any
/// mutation was applied; `None` when the input is too short for its parts.
pub fn build_frame(data: &[u8]) -> Option<(Vec<u8>, bool)> {
    use FrameMutation as M;
    let mut u = Unstructured::new(data);
    let (envelope, mut buffers) = frame_parts(&mut u).ok()?;
    let mut mutations = Vec::new();
    while !u.is_empty() && mutations.len() < 6 {
        let Ok(m) = frame_mutation(&mut u) else { break };
        mutations.push(m);
    }
    for m in &mutations {
        if let M::ExtraBuffer(n) = m {
            buffers.push(vec![0x5a; usize::from(*n)]);
        }
    }
    // Where each buffer is, and what the header claims.
    let mut placed = Vec::with_capacity(buffers.len());
    let mut end = 0u64;
    for b in &buffers {
        let offset = sciwire::frame::ALIGN * end.div_ceil(sciwire::frame::ALIGN);
        placed.push((offset, b.len() as u64));
        end = offset + b.len() as u64;
    }
    let mut claimed = placed.clone();
    let index = |i: u8, n: usize| usize::from(i) % n.max(1);
    for m in &mutations {
        match *m {
            M::Offset(i, d) if !claimed.is_empty() => {
                let k = index(i, claimed.len());
                claimed[k].0 = claimed[k].0.saturating_add_signed(i64::from(d));
            }
            M::Length(i, d) if !claimed.is_empty() => {
                let k = index(i, claimed.len());
                claimed[k].1 = claimed[k].1.saturating_add_signed(i64::from(d));
            }
            M::HugeLength(i, n) if !claimed.is_empty() => {
                let k = index(i, claimed.len());
                claimed[k].1 = n;
            }
            _ => {}
        }
    }
    let body = envelope.strip_suffix(b"}").unwrap_or(&envelope);
    let items: Vec<String> = claimed.iter().map(|(o, l)| format!("[{o},{l}]")).collect();
    let comma = if body.ends_with(b"{") { "" } else { "," };
    let header = [body, format!("{comma}\"buffers\":[{}]}}", items.join(",")).as_bytes()].concat();
    let mut frame = sciwire::frame::SIGNATURE.to_vec();
    frame.extend_from_slice(&1u32.to_le_bytes());
    frame.extend_from_slice(&(header.len() as u32).to_le_bytes());
    frame.extend_from_slice(&header);
    let start = (sciwire::frame::ALIGN * (frame.len() as u64).div_ceil(sciwire::frame::ALIGN)) as usize;
    let mut padding: Vec<usize> = (frame.len()..start).collect();
    frame.resize(start, 0);
    for ((offset, _), b) in placed.iter().zip(&buffers) {
        let at = start + *offset as usize;
        padding.extend(frame.len()..at);
        frame.resize(at, 0);
        frame.extend_from_slice(b);
    }
    for m in &mutations {
        match *m {
            M::Version(v) => {
                if let Some(field) = frame.get_mut(8..12) {
                    field.copy_from_slice(&v.to_le_bytes());
                }
            }
            M::HeaderLength(d) => {
                let h = u32::try_from(header.len() as i64 + i64::from(d)).unwrap_or(0);
                if let Some(field) = frame.get_mut(12..16) {
                    field.copy_from_slice(&h.to_le_bytes());
                }
            }
            M::Padding(i, b) if !padding.is_empty() => {
                let at = padding[usize::from(i) % padding.len()];
                if let Some(x) = frame.get_mut(at) {
                    *x = b;
                }
            }
            M::Flip(i, b) if !frame.is_empty() => {
                let at = usize::from(i) % frame.len();
                frame[at] ^= b;
            }
            M::Truncate(n) => frame.truncate(usize::from(n) % frame.len().max(1)),
            M::Trailing(n) => frame.extend(std::iter::repeat_n(0u8, usize::from(n))),
            _ => {}
        }
    }
    Some((frame, !mutations.is_empty()))
}
