//! Tests of the flame stream tags `02` to `04` ("Tags `02` to `04`" and
//! "Encoding" of `spec/src/flame.md`).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, DictionaryArray, Int32Array, Int64Array, RecordBatch, StringArray, types::Int32Type};
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Schema};
use proptest::prelude::*;

use super::*;
use crate::value::{Cells, Column, ColumnType, DataFrame, Index, IntType, Series, TimeUnit, TypedJson};

// Frames written by flamepy 0.6.0 itself (pyarrow 26.0.1, pandas 3.1.1):
// `flamepy.core.cache._serialize_object_data(obj).hex()`, run with
// /work/main/.venv/bin/python, for these objects:
//   TABLE_INDEXED        pa.Table.from_pandas(pd.DataFrame({"a": [1, 2, 3], "s": ["x", None, "zz"]},
//                                             index=pd.Index([10, 20, 30], name="k")))
//   TABLE_TWO_CHUNKS     pa.concat_tables([pa.table({"x": pa.array([1, 2], pa.int8())}),
//                                          pa.table({"x": pa.array([3], pa.int8())})])
//   TABLE_NO_BATCH       pa.Table.from_batches([], schema=pa.schema([("x", pa.int32())]))
//   TABLE_DICT_REPLACED  pa.concat_tables([pa.table({"c": pa.array(["u"]).dictionary_encode()}),
//                                          pa.table({"c": pa.array(["v"]).dictionary_encode()})])
//   ARRAY_DICT           pa.array(["p", "q", "p"]).dictionary_encode()
//   BATCH_DICT           pa.RecordBatch.from_pydict({"f": pa.array([1.5, None], pa.float64()),
//                                                    "c": pa.array(["u", "v"]).dictionary_encode()})
//   ARRAY_STR            pa.array(["a", None, "bc"])
//   ARRAY_U16            pa.array([1, 65535], pa.uint16())
const TABLE_INDEXED: &str = "464c4d02ffffffff480300001000000000000a000e000600050008000a000000000104001000000000000a000c000000040008000a0000007402000004000000010000000c00000008000c0004000800080000004c020000040000003c0200007b22696e6465785f636f6c756d6e73223a205b226b225d2c2022636f6c756d6e5f696e6465786573223a205b7b226e616d65223a206e756c6c2c20226669656c645f6e616d65223a206e756c6c2c202270616e6461735f74797065223a2022756e69636f6465222c20226e756d70795f74797065223a2022737472222c20226d65746164617461223a207b22656e636f64696e67223a20225554462d38227d7d5d2c2022636f6c756d6e73223a205b7b226e616d65223a202261222c20226669656c645f6e616d65223a202261222c202270616e6461735f74797065223a2022696e743634222c20226e756d70795f74797065223a2022696e743634222c20226d65746164617461223a206e756c6c7d2c207b226e616d65223a202273222c20226669656c645f6e616d65223a202273222c202270616e6461735f74797065223a20226f626a656374222c20226e756d70795f74797065223a2022737472222c20226d65746164617461223a206e756c6c7d2c207b226e616d65223a20226b222c20226669656c645f6e616d65223a20226b222c202270616e6461735f74797065223a2022696e743634222c20226e756d70795f74797065223a2022696e743634222c20226d65746164617461223a206e756c6c7d5d2c202261747472696275746573223a207b7d2c202263726561746f72223a207b226c696272617279223a202270796172726f77222c202276657273696f6e223a202232362e302e31227d2c202270616e6461735f76657273696f6e223a2022332e312e31227d000000000600000070616e646173000003000000700000003400000004000000acffffff0000010210000000140000000400000000000000010000006b0000009cffffff0000000140000000d8ffffff000001141000000018000000040000000000000001000000730000000400040004000000100014000800060007000c00000010001000000000000102100000001c0000000400000000000000010000006100000008000c0008000700080000000000000140000000fffffffff800000014000000000000000c0016000600050008000c000c0000000003040018000000600000000000000000000a0018000c00040008000a0000008c000000100000000300000000000000000000000700000000000000000000000000000000000000000000000000000018000000000000001800000000000000010000000000000020000000000000002000000000000000400000000000000003000000000000004800000000000000000000000000000048000000000000001800000000000000000000000300000003000000000000000000000000000000030000000000000001000000000000000300000000000000000000000000000001000000000000000200000000000000030000000000000005000000000000000000000000000000010000000000000001000000000000000300000000000000787a7a00000000000a0000000000000014000000000000001e00000000000000ffffffff00000000";
const TABLE_TWO_CHUNKS: &str = "464c4d02ffffffff780000001000000000000a000c000600050008000a000000000104000c000000080008000000040008000000040000000100000014000000100014000800060007000c00000010001000000000000102100000001c0000000400000000000000010000007800000008000c0008000700080000000000000108000000ffffffff8800000014000000000000000c0016000600050008000c000c0000000003040018000000080000000000000000000a0018000c00040008000a0000003c000000100000000200000000000000000000000200000000000000000000000000000000000000000000000000000002000000000000000000000001000000020000000000000000000000000000000102000000000000ffffffff8800000014000000000000000c0016000600050008000c000c0000000003040018000000080000000000000000000a0018000c00040008000a0000003c000000100000000100000000000000000000000200000000000000000000000000000000000000000000000000000001000000000000000000000001000000010000000000000000000000000000000300000000000000ffffffff00000000";
const TABLE_NO_BATCH: &str = "464c4d02ffffffff780000001000000000000a000c000600050008000a000000000104000c000000080008000000040008000000040000000100000014000000100014000800060007000c00000010001000000000000102100000001c0000000400000000000000010000007800000008000c0008000700080000000000000120000000ffffffff00000000";
const TABLE_DICT_REPLACED: &str = "464c4d02ffffffff900000001000000000000a000c000600050008000a0000000001040004000000bcffffff040000000100000014000000100018000800060007000c0010001400100000000000010514000000400000001c000000040000000000000001000000630000000800080000000400080000000c00000008000c0008000700080000000000000120000000040004000400000000000000ffffffffa800000014000000000000000c0014000600050008000c000c0000000002040014000000100000000000000008000a0000000400080000001000000000000a0018000c00040008000a0000004c000000100000000100000000000000000000000300000000000000000000000000000000000000000000000000000008000000000000000800000000000000010000000000000000000000010000000100000000000000000000000000000000000000010000007500000000000000ffffffff8800000014000000000000000c0016000600050008000c000c0000000003040018000000080000000000000000000a0018000c00040008000a0000003c000000100000000100000000000000000000000200000000000000000000000000000000000000000000000000000004000000000000000000000001000000010000000000000000000000000000000000000000000000ffffffffa800000014000000000000000c0014000600050008000c000c0000000002040014000000100000000000000008000a0000000400080000001000000000000a0018000c00040008000a0000004c000000100000000100000000000000000000000300000000000000000000000000000000000000000000000000000008000000000000000800000000000000010000000000000000000000010000000100000000000000000000000000000000000000010000007600000000000000ffffffff8800000014000000000000000c0016000600050008000c000c0000000003040018000000080000000000000000000a0018000c00040008000a0000003c000000100000000100000000000000000000000200000000000000000000000000000000000000000000000000000004000000000000000000000001000000010000000000000000000000000000000000000000000000ffffffff00000000";
const ARRAY_DICT: &str = "464c4d03ffffffff900000001000000000000a000c000600050008000a0000000001040004000000b8ffffff040000000100000014000000100018000800060007000c0010001400100000000000010514000000440000002000000004000000000000000400000064617461000000000800080000000400080000000c00000008000c00080007000800000000000001200000000400040004000000ffffffffa800000014000000000000000c0014000600050008000c000c0000000002040014000000180000000000000008000a0000000400080000001000000000000a0018000c00040008000a0000004c00000010000000020000000000000000000000030000000000000000000000000000000000000000000000000000000c0000000000000010000000000000000200000000000000000000000100000002000000000000000000000000000000000000000100000002000000000000007071000000000000ffffffff8800000014000000000000000c0016000600050008000c000c0000000003040018000000100000000000000000000a0018000c00040008000a0000003c00000010000000030000000000000000000000020000000000000000000000000000000000000000000000000000000c0000000000000000000000010000000300000000000000000000000000000000000000010000000000000000000000ffffffff00000000";
const BATCH_DICT: &str = "464c4d04ffffffffd00000001000000000000a000c000600050008000a0000000001040004000000b8ffffff04000000020000007800000014000000100018000800060007000c0010001400100000000000010514000000400000001c000000040000000000000001000000630000000800080000000400080000000c00000008000c00080007000800000000000001200000000400040004000000100014000800060007000c0000001000100000000000010310000000180000000400000000000000010000006600060008000600060000000000020000000000ffffffffa800000014000000000000000c0014000600050008000c000c0000000002040014000000180000000000000008000a0000000400080000001000000000000a0018000c00040008000a0000004c00000010000000020000000000000000000000030000000000000000000000000000000000000000000000000000000c0000000000000010000000000000000200000000000000000000000100000002000000000000000000000000000000000000000100000002000000000000007576000000000000ffffffffb800000014000000000000000c0016000600050008000c000c0000000003040018000000200000000000000000000a0018000c00040008000a0000005c000000100000000200000000000000000000000400000000000000000000000100000000000000080000000000000010000000000000001800000000000000000000000000000018000000000000000800000000000000000000000200000002000000000000000100000000000000020000000000000000000000000000000100000000000000000000000000f83f00000000000000000000000001000000ffffffff00000000";
const ARRAY_STR: &str = "464c4d03ffffffff700000001000000000000a000c000600050008000a000000000104000c000000080008000000040008000000040000000100000014000000100014000800060007000c00000010001000000000000105100000001c00000004000000000000000400000064617461000000000400040004000000ffffffff9800000014000000000000000c0016000600050008000c000c0000000003040018000000200000000000000000000a0018000c00040008000a0000004c00000010000000030000000000000000000000030000000000000000000000010000000000000008000000000000001000000000000000180000000000000003000000000000000000000001000000030000000000000001000000000000000500000000000000000000000100000001000000030000006162630000000000ffffffff00000000";
const ARRAY_U16: &str = "464c4d03ffffffff780000001000000000000a000c000600050008000a000000000104000c000000080008000000040008000000040000000100000014000000100014000800060007000c00000010001000000000000102100000001c000000040000000000000004000000646174610000060008000400060000001000000000000000ffffffff8800000014000000000000000c0016000600050008000c000c0000000003040018000000080000000000000000000a0018000c00040008000a0000003c000000100000000200000000000000000000000200000000000000000000000000000000000000000000000000000004000000000000000000000001000000020000000000000000000000000000000100ffff00000000ffffffff00000000";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0)).collect()
}

fn dec(input: &[u8]) -> Result<Value> {
    decode(input, &Limits::default())
}

fn rejects_with(input: &[u8], limits: &Limits) -> Option<(Code, &'static str)> {
    decode(input, limits).err().map(|e| (e.code(), e.clause()))
}

fn rejects(input: &[u8]) -> Option<(Code, &'static str)> {
    rejects_with(input, &Limits::default())
}

fn canon(input: &[u8]) -> serde_json::Value {
    match dec(input) {
        Ok(v) => v.to_canonical(),
        Err(e) => serde_json::json!({"rejected": e.to_string()}),
    }
}

/// `FLM`, `tag` and the stream arrow-rs writes of `batches` (none: schema
/// and end-of-stream only).
fn stream(tag: u8, schema: &Arc<Schema>, batches: &[RecordBatch]) -> Vec<u8> {
    let mut w = StreamWriter::try_new(vec![b'F', b'L', b'M', tag], schema).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap();
    w.into_inner().unwrap()
}

fn schema(fields: &[(&str, &ArrayRef)], metadata: Option<&str>) -> Arc<Schema> {
    let fields: Vec<Field> = fields.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
    let md = metadata.map(|m| HashMap::from([("pandas".to_string(), m.to_string())])).unwrap_or_default();
    Arc::new(Schema::new_with_metadata(fields, md))
}

fn batch(schema: &Arc<Schema>, arrays: &[&ArrayRef]) -> RecordBatch {
    RecordBatch::try_new(schema.clone(), arrays.iter().map(|a| Arc::clone(a)).collect()).unwrap()
}

fn ints(v: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}

/// A one-column stream of `array` named `name`, in `n` batches.
fn one_column(tag: u8, name: &str, array: &ArrayRef, n: usize) -> Vec<u8> {
    let s = schema(&[(name, array)], None);
    let b = batch(&s, &[array]);
    stream(tag, &s, &vec![b; n])
}

/// `bytes` with the last occurrence of `from` overwritten by `to`.
fn patch_last(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes.windows(from.len()).rposition(|w| w == from).unwrap_or_else(|| panic!("{from:02x?} not found"));
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

fn int(bits: u8, signed: bool) -> ColumnType {
    ColumnType::Int(IntType { bits, signed })
}

fn col(name: Option<&str>, ty: ColumnType, cells: Cells) -> Column {
    Column { name: name.map(str::to_string), ty, cells, dictionary: None }
}

// ---------------------------------------------------------------- flamepy frames

#[test]
fn the_library_declares_every_flame_encoding() {
    assert_eq!(crate::capabilities()["flame"], capability());
}

#[test]
fn flamepy_table_frames_decode_to_dataframes() {
    // [flame.stream.table]: from_pandas' metadata names the index.
    assert_eq!(
        canon(&hex(TABLE_INDEXED)),
        serde_json::json!({"kind": "dataframe", "rows": 3,
            "columns": [{"name": "a", "type": {"id": "int64"}, "values": ["1", "2", "3"]},
                        {"name": "s", "type": {"id": "string"}, "values": ["x", null, "zz"]}],
            "index": {"kind": "columns", "columns": [{"name": "k", "type": {"id": "int64"}, "values": ["10", "20", "30"]}]}})
    );
    // [flame.stream.batches]: a table's batches are its rows, in order; no
    // pandas key is the range index 0..rows.
    assert_eq!(
        canon(&hex(TABLE_TWO_CHUNKS)),
        serde_json::json!({"kind": "dataframe", "rows": 3,
            "columns": [{"name": "x", "type": {"id": "int8"}, "values": ["1", "2", "3"]}],
            "index": {"kind": "range", "name": null, "start": 0, "stop": 3, "step": 1}})
    );
    // ... and none is a table of no rows.
    assert_eq!(
        canon(&hex(TABLE_NO_BATCH)),
        serde_json::json!({"kind": "dataframe", "rows": 0,
            "columns": [{"name": "x", "type": {"id": "int32"}, "values": []}],
            "index": {"kind": "range", "name": null, "start": 0, "stop": 0, "step": 1}})
    );
}

#[test]
fn flamepy_batch_frames_decode_to_dataframes() {
    assert_eq!(
        canon(&hex(BATCH_DICT)),
        serde_json::json!({"kind": "dataframe", "rows": 2,
            "columns": [{"name": "f", "type": {"id": "float64"}, "values": ["3ff8000000000000", null]},
                        {"name": "c", "type": {"id": "dictionary", "index": "int32", "ordered": false, "values": {"id": "string"}},
                         "values": ["0", "1"], "dictionary": ["u", "v"]}],
            "index": {"kind": "range", "name": null, "start": 0, "stop": 2, "step": 1}})
    );
}

#[test]
fn flamepy_array_frames_decode_to_series_named_null() {
    assert_eq!(
        canon(&hex(ARRAY_STR)),
        serde_json::json!({"kind": "series", "name": {"null": null}, "type": {"id": "string"}, "values": ["a", null, "bc"]})
    );
    assert_eq!(
        canon(&hex(ARRAY_U16)),
        serde_json::json!({"kind": "series", "name": {"null": null}, "type": {"id": "uint16"}, "values": ["1", "65535"]})
    );
    assert_eq!(
        canon(&hex(ARRAY_DICT)),
        serde_json::json!({"kind": "series", "name": {"null": null},
            "type": {"id": "dictionary", "index": "int32", "ordered": false, "values": {"id": "string"}},
            "values": ["0", "1", "0"], "dictionary": ["p", "q"]})
    );
}

#[test]
fn flamepy_frames_round_trip_through_the_encoder() {
    for (frame, encoding) in [
        (TABLE_INDEXED, FlameEncoding::Table),
        (TABLE_TWO_CHUNKS, FlameEncoding::Table),
        (TABLE_NO_BATCH, FlameEncoding::Table),
        (BATCH_DICT, FlameEncoding::Batch),
        (ARRAY_STR, FlameEncoding::Array),
        (ARRAY_U16, FlameEncoding::Array),
        (ARRAY_DICT, FlameEncoding::Array),
    ] {
        let value = dec(&hex(frame)).unwrap();
        let bytes = encode(&value, encoding).unwrap();
        assert_eq!(bytes[..4], [b'F', b'L', b'M', encoding.tag()]);
        assert_eq!(dec(&bytes).unwrap(), value, "{frame}");
        // table and batch differ only in the tag
        if encoding != FlameEncoding::Array {
            let other = if encoding == FlameEncoding::Table { FlameEncoding::Batch } else { FlameEncoding::Table };
            let b = encode(&value, other).unwrap();
            assert_eq!(b[4..], bytes[4..]);
            assert_eq!(dec(&b).unwrap(), value);
        }
    }
}

// ---------------------------------------------------------------- message

const MESSAGE: Option<(Code, &str)> = Some((Code::ArrowPayload, "flame.stream.message"));

#[test]
fn flame_stream_message_framing() {
    let full = hex(ARRAY_STR);
    // bytes after the end-of-stream marker
    assert_eq!(rejects(&[full.as_slice(), &[0]].concat()), MESSAGE);
    assert_eq!(rejects(&[full.as_slice(), &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]].concat()), MESSAGE);
    // no end-of-stream marker
    assert_eq!(rejects(&full[..full.len() - 8]), MESSAGE);
    // an IPC file is not a stream
    assert_eq!(rejects(b"FLM\x02ARROW1\0\0"), MESSAGE);
    // the pre-0.15 framing without the continuation
    assert_eq!(rejects(&[b"FLM\x04".as_slice(), &full[8..]].concat()), MESSAGE);
    // a tensor message where the schema belongs
    let nd = Value::NdArray(crate::value::NdArray { dtype: crate::Dtype::Int32, shape: vec![1], data: vec![0; 4] });
    let mut tensor = encode(&nd, FlameEncoding::Tensor).unwrap();
    tensor[3] = 0x02;
    assert_eq!(rejects(&tensor), MESSAGE);
}

#[test]
fn a_dictionary_replacement_is_rejected() {
    // pyarrow writes a second DictionaryBatch for a table whose chunks have
    // different dictionaries: one canonical column has one dictionary.
    assert_eq!(rejects(&hex(TABLE_DICT_REPLACED)), MESSAGE);
}

#[test]
fn a_missing_dictionary_is_allowed_only_without_rows() {
    // The dictionary batch of BATCH_DICT dropped: the stream has rows.
    let full = hex(BATCH_DICT);
    let (start, end) = message_spans(&full[4..])[1];
    assert_eq!(rejects(&[&full[..4 + start], &full[4 + end..]].concat()), MESSAGE);
    // A table of no batches needs none: its dictionary is empty.
    let dict: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::from_iter(Vec::<&str>::new()));
    let s = schema(&[("c", &dict)], None);
    let v = canon(&stream(0x02, &s, &[]));
    assert_eq!(v["columns"][0]["dictionary"], serde_json::json!([]), "{v}");
}

/// The (start, end) of each message of a stream, end-of-stream excluded.
fn message_spans(s: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= s.len() {
        let m = i32::from_le_bytes([s[pos + 4], s[pos + 5], s[pos + 6], s[pos + 7]]) as usize;
        if m == 0 {
            break;
        }
        let msg = arrow_ipc::root_as_message(&s[pos + 8..pos + 8 + m]).unwrap();
        let end = pos + 8 + m + msg.bodyLength() as usize;
        out.push((pos, end));
        pos = end;
    }
    out
}

#[test]
fn column_contents_are_checked_under_the_message_clause() {
    // ARRAY_STR's data "abc" with an invalid UTF-8 byte (item 4).
    let bad = patch_last(&hex(ARRAY_STR), b"abc", &[0xff]);
    assert_eq!(rejects(&bad), MESSAGE);
    // ... but after the limits ("Processing order").
    let tight = Limits { max_elements: 2, ..Limits::default() };
    assert_eq!(rejects_with(&bad, &tight), Some((Code::LimitExceeded, "flame.stream.limits")));
}

// ---------------------------------------------------------------- batches

#[test]
fn flame_stream_batches_count() {
    let a = ints(&[1, 2]);
    let batches = Some((Code::ArrowPayload, "flame.stream.batches"));
    for tag in [0x03u8, 0x04] {
        let name = if tag == 0x03 { "data" } else { "x" };
        assert_eq!(rejects(&one_column(tag, name, &a, 0)), batches, "{tag}");
        assert_eq!(rejects(&one_column(tag, name, &a, 2)), batches, "{tag}");
        assert!(dec(&one_column(tag, name, &a, 1)).is_ok());
    }
    // A table holds any number of batches.
    for n in 0..4 {
        assert_eq!(canon(&one_column(0x02, "x", &a, n))["rows"], serde_json::json!(2 * n));
    }
    // The batch count comes before the field check and the types.
    let dec128: ArrayRef = Arc::new(arrow_array::Decimal128Array::from(vec![1i128]).with_precision_and_scale(10, 2).unwrap());
    assert_eq!(rejects(&one_column(0x03, "other", &dec128, 2)), batches);
}

// ---------------------------------------------------------------- array

#[test]
fn flame_stream_array_has_one_field_named_data() {
    let a = ints(&[1]);
    let schema_err = Some((Code::ArrowSchema, "flame.stream.array"));
    assert_eq!(rejects(&one_column(0x03, "value", &a, 1)), schema_err);
    assert_eq!(rejects(&one_column(0x03, "", &a, 1)), schema_err);
    let s = schema(&[("data", &a), ("more", &a)], None);
    assert_eq!(rejects(&stream(0x03, &s, &[batch(&s, &[&a, &a])])), schema_err);
    let s = schema(&[], None);
    let empty = RecordBatch::try_new_with_options(s.clone(), vec![], &arrow_array::RecordBatchOptions::new().with_row_count(Some(0))).unwrap();
    assert_eq!(rejects(&stream(0x03, &s, &[empty])), schema_err);
    // Before the types: a decimal field named otherwise is a schema fault.
    let dec128: ArrayRef = Arc::new(arrow_array::Decimal128Array::from(vec![1i128]).with_precision_and_scale(10, 2).unwrap());
    assert_eq!(rejects(&one_column(0x03, "x", &dec128, 1)), schema_err);
    // Schema custom metadata is ignored (a pandas key included).
    let s = schema(&[("data", &a)], Some("not json"));
    assert_eq!(canon(&stream(0x03, &s, &[batch(&s, &[&a])]))["values"], serde_json::json!(["1"]));
    // A table's field may be named anything; data is not special there.
    assert_eq!(canon(&one_column(0x04, "value", &a, 1))["columns"][0]["name"], serde_json::json!("value"));
}

// ---------------------------------------------------------------- types, limits, values

#[test]
fn flame_stream_types_are_the_closed_list() {
    let types = Some((Code::ColumnType, "flame.stream.types"));
    let dec128: ArrayRef = Arc::new(arrow_array::Decimal128Array::from(vec![1i128]).with_precision_and_scale(10, 2).unwrap());
    let list: ArrayRef = Arc::new(arrow_array::ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1)])]));
    let time: ArrayRef = Arc::new(arrow_array::Time32SecondArray::from(vec![1]));
    for (tag, name) in [(0x02u8, "x"), (0x03, "data"), (0x04, "x")] {
        for a in [&dec128, &list, &time] {
            assert_eq!(rejects(&one_column(tag, name, a, 1)), types, "{tag} {:?}", a.data_type());
        }
    }
    // an extension type
    let a = ints(&[1]);
    let f = Field::new("data", DataType::Int64, true)
        .with_metadata(HashMap::from([("ARROW:extension:name".to_string(), "x.y".to_string())]));
    let s = Arc::new(Schema::new(vec![f]));
    assert_eq!(rejects(&stream(0x03, &s, &[batch(&s, &[&a])])), types);
}

#[test]
fn flame_stream_limits_count_cells_and_dictionary_entries() {
    let limits = Some((Code::LimitExceeded, "flame.stream.limits"));
    let at = |n: u64| Limits { max_elements: n, ..Limits::default() };
    // BATCH_DICT: 2 rows × 2 fields + 2 entries = 6
    assert_eq!(rejects_with(&hex(BATCH_DICT), &at(5)), limits);
    assert!(decode(&hex(BATCH_DICT), &at(6)).is_ok());
    // ARRAY_DICT: 3 values + 2 entries = 5
    assert_eq!(rejects_with(&hex(ARRAY_DICT), &at(4)), limits);
    assert!(decode(&hex(ARRAY_DICT), &at(5)).is_ok());
    // TABLE_TWO_CHUNKS: 3 cells across its batches
    assert_eq!(rejects_with(&hex(TABLE_TWO_CHUNKS), &at(2)), limits);
    assert!(decode(&hex(TABLE_TWO_CHUNKS), &at(3)).is_ok());
    // A null column of 2^53 rows costs no bytes: only the count bounds it.
    let null: ArrayRef = Arc::new(arrow_array::NullArray::new(3));
    let mut big = one_column(0x04, "n", &null, 1);
    // the batch's length, the node's length and its null count
    while big.windows(8).any(|w| w == 3i64.to_le_bytes()) {
        big = patch_last(&big, &3i64.to_le_bytes(), &(1i64 << 53).to_le_bytes());
    }
    assert_eq!(rejects(&big).map(|r| r.0), Some(Code::LimitExceeded));
}

#[test]
fn flame_stream_values_dictionary_codes_and_entries() {
    let values = Some((Code::ValueDomain, "flame.stream.values"));
    let dict: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::try_new(
        Int32Array::from(vec![2, 1, 2]),
        Arc::new(StringArray::from(vec!["p", "q", "r"])),
    ).unwrap());
    let good = one_column(0x03, "data", &dict, 1);
    assert_eq!(canon(&good)["values"], serde_json::json!(["2", "1", "2"]));
    let codes = [2i32, 1, 2].iter().flat_map(|c| c.to_le_bytes()).collect::<Vec<u8>>();
    let out_of_range = patch_last(&good, &codes, &7i32.to_le_bytes());
    assert_eq!(rejects(&out_of_range), values);
    let negative = patch_last(&good, &codes, &(-1i32).to_le_bytes());
    assert_eq!(rejects(&negative), values);
    // a null dictionary entry
    let with_null: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::try_new(
        Int32Array::from(vec![0]),
        Arc::new(StringArray::from(vec![Some("p"), None])),
    ).unwrap());
    assert_eq!(rejects(&one_column(0x04, "c", &with_null, 1)), values);
}

// ---------------------------------------------------------------- table

#[test]
fn flame_stream_table_reads_the_pandas_metadata() {
    let a = ints(&[1, 2]);
    let framed = |tag: u8, md: &str| {
        let s = schema(&[("x", &a), ("__index_level_0__", &a)], Some(md));
        stream(tag, &s, &[batch(&s, &[&a, &a])])
    };
    let index = r#"{"index_columns": ["__index_level_0__"], "columns": [{"name": null, "field_name": "__index_level_0__"}]}"#;
    for tag in [0x02u8, 0x04] {
        let v = canon(&framed(tag, index));
        assert_eq!(v["index"]["columns"][0]["name"], serde_json::Value::Null, "{v}");
        assert_eq!(v["columns"].as_array().map(Vec::len), Some(1), "{v}");
        let range = r#"{"index_columns": [{"kind": "range", "name": "r", "start": 5, "stop": 9, "step": 2}], "columns": []}"#;
        assert_eq!(canon(&framed(tag, range))["index"], serde_json::json!({"kind": "range", "name": "r", "start": 5, "stop": 9, "step": 2}));
        let meta = Some((Code::PandasMetadata, "dataframe.pandas.metadata"));
        assert_eq!(rejects(&framed(tag, "not json")), meta);
        assert_eq!(rejects(&framed(tag, "[]")), meta);
        assert_eq!(rejects(&framed(tag, r#"{"columns": []}"#)), meta);
        let idx = Some((Code::PandasMetadata, "dataframe.pandas.index"));
        assert_eq!(rejects(&framed(tag, r#"{"index_columns": [{"kind": "range", "name": null, "start": 0, "stop": 5, "step": 1}]}"#)), idx);
        assert_eq!(rejects(&framed(tag, r#"{"index_columns": ["nope"], "columns": []}"#)), idx);
    }
    // The pandas metadata comes last: a bad code is reported first.
    let dict: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::try_new(
        Int32Array::from(vec![2, 1, 2]),
        Arc::new(StringArray::from(vec!["p", "q", "r"])),
    ).unwrap());
    let s = schema(&[("c", &dict)], Some("not json"));
    let codes = [2i32, 1, 2].iter().flat_map(|c| c.to_le_bytes()).collect::<Vec<u8>>();
    let good = stream(0x04, &s, &[batch(&s, &[&dict])]);
    assert_eq!(rejects(&good), Some((Code::PandasMetadata, "dataframe.pandas.metadata")));
    let bytes = patch_last(&good, &codes, &9i32.to_le_bytes());
    assert_eq!(rejects(&bytes), Some((Code::ValueDomain, "flame.stream.values")));
}

#[test]
fn pandas_metadata_that_is_not_utf8_is_rejected_and_other_metadata_ignored() {
    let a = ints(&[1]);
    let md = r#"{"index_columns": [], "x": "WWWW"}"#;
    let s = schema(&[("x", &a)], Some(md));
    let good = stream(0x04, &s, &[batch(&s, &[&a])]);
    assert!(dec(&good).is_ok());
    let bad = patch_last(&good, b"WWWW", &[0xff]);
    assert_eq!(rejects(&bad), Some((Code::PandasMetadata, "dataframe.pandas.metadata")));
    // In an array frame, schema metadata is ignored, UTF-8 or not.
    let s = schema(&[("data", &a)], Some(md));
    let bad = patch_last(&stream(0x03, &s, &[batch(&s, &[&a])]), b"WWWW", &[0xff]);
    assert_eq!(canon(&bad)["values"], serde_json::json!(["1"]));
}

// ---------------------------------------------------------------- hostile input

#[test]
fn truncation_of_every_stream_frame_is_rejected_without_panicking() {
    for frame in [TABLE_INDEXED, TABLE_TWO_CHUNKS, TABLE_NO_BATCH, BATCH_DICT, ARRAY_STR, ARRAY_DICT] {
        let full = hex(frame);
        for n in 0..full.len() {
            let want = match n {
                0..3 => Code::PickleRefused,
                3 => Code::FlameTag,
                _ => Code::ArrowPayload,
            };
            assert_eq!(rejects(&full[..n]).map(|r| r.0), Some(want), "{} cut at {n}", &frame[..8]);
        }
    }
}

#[test]
fn every_single_byte_change_of_a_stream_frame_is_decoded_or_rejected() {
    for frame in [TABLE_INDEXED, BATCH_DICT, ARRAY_DICT] {
        let full = hex(frame);
        for i in 3..full.len() {
            for b in [0x00, 0x01, 0x07, 0x80, 0xff] {
                let mut f = full.clone();
                f[i] = b;
                if let Ok(v) = dec(&f) {
                    // whatever decodes re-encodes to itself
                    let e = match (&v, f[3]) {
                        (Value::Series(_), _) => FlameEncoding::Array,
                        (_, 0x04) => FlameEncoding::Batch,
                        (Value::DataFrame(_), _) => FlameEncoding::Table,
                        _ => FlameEncoding::Tensor,
                    };
                    let back = encode(&v, e).and_then(|b| dec(&b));
                    assert_eq!(back.as_ref().ok(), Some(&v), "byte {i} = {b:#x} of {}", &frame[..8]);
                }
            }
        }
    }
}

// ---------------------------------------------------------------- encoding

fn every_type(rows: usize) -> Vec<Column> {
    let o = |i: usize| i % 3 != 1;
    let mut v = vec![
        col(Some("b"), ColumnType::Bool, Cells::Bool((0..rows).map(|i| o(i).then_some(i % 2 == 0)).collect())),
        col(Some("i8"), int(8, true), Cells::Int((0..rows).map(|i| o(i).then_some(-(i as i64))).collect())),
        col(Some("u64"), int(64, false), Cells::UInt((0..rows).map(|i| o(i).then_some(u64::MAX - i as u64)).collect())),
        col(Some("f16"), ColumnType::Float(16), Cells::Float((0..rows).map(|i| o(i).then_some(0x3c00 + i as u64)).collect())),
        col(Some("f64"), ColumnType::Float(64), Cells::Float((0..rows).map(|i| o(i).then_some(0x7ff8_0000_0000_0001)).collect())),
        col(Some("s"), ColumnType::String, Cells::Str((0..rows).map(|i| o(i).then(|| "ü".repeat(i))).collect())),
        col(Some("bin"), ColumnType::Binary, Cells::Bin((0..rows).map(|i| o(i).then(|| vec![i as u8; i])).collect())),
        col(Some("d"), ColumnType::Date32, Cells::Int((0..rows).map(|i| o(i).then_some(i as i64 - 1)).collect())),
        col(Some("t"), ColumnType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), Cells::Int((0..rows).map(|i| o(i).then_some(i64::MIN + i as i64)).collect())),
        col(Some("du"), ColumnType::Duration(TimeUnit::Millisecond), Cells::Int((0..rows).map(|_| None).collect())),
        col(Some("n"), ColumnType::Null, Cells::Null(rows as u64)),
    ];
    v.push(Column {
        name: Some("cat".into()),
        ty: ColumnType::Dictionary { index: IntType { bits: 16, signed: false }, ordered: true, values: Box::new(ColumnType::String) },
        cells: Cells::UInt((0..rows).map(|i| o(i).then_some((i % 2) as u64)).collect()),
        dictionary: Some(Cells::Str(vec![Some("x".into()), Some("y".into()), Some("unused".into())])),
    });
    v
}

#[test]
fn flame_encode_table_and_batch_round_trip_every_column_type() {
    for rows in [0usize, 1, 5] {
        let indexes = [
            Index::default_for(rows as u64),
            Index::Range { name: Some("r".into()), start: 10, stop: 10 + 3 * rows as i64, step: 3 },
            Index::Columns(vec![
                col(None, int(64, true), Cells::Int((0..rows).map(|i| Some(i as i64 * 10)).collect())),
                col(Some("lvl"), ColumnType::String, Cells::Str((0..rows).map(|_| None).collect())),
            ]),
        ];
        for index in indexes {
            let mut columns = every_type(rows);
            // a column named as pandas names an index field
            columns.push(col(Some("__index_level_0__"), int(32, true), Cells::Int(vec![Some(1); rows])));
            let df = Value::DataFrame(DataFrame { rows: rows as u64, columns, index });
            for e in [FlameEncoding::Table, FlameEncoding::Batch] {
                let bytes = encode(&df, e).unwrap();
                assert_eq!(bytes[..4], [b'F', b'L', b'M', e.tag()]);
                assert_eq!(dec(&bytes).unwrap(), df, "{e:?} {rows}");
                assert_eq!(stream_shape(&bytes[4..]), (1, 1), "{e:?} {rows}: one DictionaryBatch, one RecordBatch");
            }
        }
        for c in every_type(rows) {
            let s = Value::Series(Series { name: TypedJson::Null, column: Column { name: None, ..c } });
            let bytes = encode(&s, FlameEncoding::Array).unwrap();
            assert_eq!(dec(&bytes).unwrap(), s, "{rows}");
            assert_eq!(stream_shape(&bytes[4..]).1, 1);
        }
    }
    // A table of no columns keeps its rows.
    let df = Value::DataFrame(DataFrame { rows: 4, columns: vec![], index: Index::default_for(4) });
    assert_eq!(dec(&encode(&df, FlameEncoding::Batch).unwrap()).unwrap(), df);
}

/// The number of DictionaryBatch and RecordBatch messages of a stream.
fn stream_shape(s: &[u8]) -> (usize, usize) {
    let (mut dicts, mut batches) = (0, 0);
    for (start, _) in message_spans(s) {
        let m = i32::from_le_bytes([s[start + 4], s[start + 5], s[start + 6], s[start + 7]]) as usize;
        match arrow_ipc::root_as_message(&s[start + 8..start + 8 + m]).unwrap().header_type() {
            arrow_ipc::MessageHeader::DictionaryBatch => dicts += 1,
            arrow_ipc::MessageHeader::RecordBatch => batches += 1,
            _ => {}
        }
    }
    (dicts, batches)
}

#[test]
fn flame_encode_array_writes_one_field_data_and_no_metadata() {
    let s = Value::Series(Series { name: TypedJson::Null, column: col(None, int(64, true), Cells::Int(vec![Some(7), None])) });
    let bytes = encode(&s, FlameEncoding::Array).unwrap();
    let (start, _) = message_spans(&bytes[4..])[0];
    let body = &bytes[4..];
    let m = i32::from_le_bytes([body[start + 4], body[start + 5], body[start + 6], body[start + 7]]) as usize;
    let msg = arrow_ipc::root_as_message(&body[start + 8..start + 8 + m]).unwrap();
    let schema = msg.header_as_schema().unwrap();
    let names: Vec<&str> = schema.fields().unwrap().iter().map(|f| f.name().unwrap_or_default()).collect();
    assert_eq!(names, ["data"]);
    assert!(schema.custom_metadata().is_none_or(|m| m.is_empty()));
    // An empty series still has its one (empty) batch.
    let empty = Value::Series(Series { name: TypedJson::Null, column: col(None, ColumnType::String, Cells::Str(vec![])) });
    let bytes = encode(&empty, FlameEncoding::Array).unwrap();
    assert_eq!(stream_shape(&bytes[4..]), (0, 1));
    assert_eq!(dec(&bytes).unwrap(), empty);
}

#[test]
fn flame_encode_refuse_pairings_and_named_series() {
    let refused = |v: &Value, e: FlameEncoding| encode(v, e).err().map(|e| (e.code(), e.clause()));
    let unsupported = Some((Code::EncodingUnsupported, "flame.encode.refuse"));
    let df = Value::DataFrame(DataFrame { rows: 1, columns: vec![col(Some("a"), int(64, true), Cells::Int(vec![Some(1)]))], index: Index::default_for(1) });
    let series = |name: TypedJson| Value::Series(Series { name, column: col(None, int(64, true), Cells::Int(vec![Some(1)])) });
    let nd = Value::NdArray(crate::value::NdArray { dtype: crate::Dtype::Int32, shape: vec![1], data: vec![0; 4] });
    for e in [FlameEncoding::Tensor, FlameEncoding::Array] {
        assert_eq!(refused(&df, e), unsupported, "{e:?}");
    }
    for e in [FlameEncoding::Tensor, FlameEncoding::Table, FlameEncoding::Batch] {
        assert_eq!(refused(&series(TypedJson::Null), e), unsupported, "{e:?}");
    }
    for e in [FlameEncoding::Table, FlameEncoding::Array, FlameEncoding::Batch] {
        assert_eq!(refused(&nd, e), unsupported, "{e:?}");
    }
    for name in [TypedJson::String("s".into()), TypedJson::Int(0), TypedJson::Bool(false), TypedJson::Float(1.5)] {
        assert_eq!(refused(&series(name), FlameEncoding::Array), unsupported);
    }
    assert!(encode(&series(TypedJson::Null), FlameEncoding::Array).is_ok());
    // A dataframe breaking its own rules: dataframe.encode.refuse's codes.
    let short = Value::DataFrame(DataFrame { rows: 2, columns: vec![col(Some("a"), int(64, true), Cells::Int(vec![Some(1)]))], index: Index::default_for(2) });
    assert_eq!(refused(&short, FlameEncoding::Table), Some((Code::ShapeMismatch, "dataframe.encode.refuse")));
    let bad_range = Value::DataFrame(DataFrame { rows: 1, columns: vec![], index: Index::default_for(3) });
    assert_eq!(refused(&bad_range, FlameEncoding::Batch), Some((Code::ShapeMismatch, "dataframe.encode.refuse")));
}

// ---------------------------------------------------------------- round trips

fn columns() -> impl Strategy<Value = (u64, Vec<Column>)> {
    (0usize..6, 0usize..4).prop_flat_map(|(rows, n)| {
        let column = (0u8..6, prop::collection::vec(any::<Option<i64>>(), rows), prop::collection::vec(any::<Option<u64>>(), rows), "[a-z_]{0,3}")
            .prop_map(move |(kind, ints, bits, name)| {
                let (ty, cells, dictionary) = match kind {
                    0 => (int(64, true), Cells::Int(ints), None),
                    1 => (int(8, false), Cells::UInt(bits.iter().map(|b| b.map(|b| b & 0xff)).collect()), None),
                    2 => (ColumnType::Float(64), Cells::Float(bits), None),
                    3 => (ColumnType::String, Cells::Str(ints.iter().map(|i| i.map(|i| i.to_string())).collect()), None),
                    4 => (ColumnType::Bool, Cells::Bool(ints.iter().map(|i| i.map(|i| i % 2 == 0)).collect()), None),
                    _ => (
                        ColumnType::Dictionary { index: IntType { bits: 8, signed: true }, ordered: false, values: Box::new(ColumnType::String) },
                        Cells::Int(ints.iter().map(|i| i.map(|i| i.rem_euclid(3))).collect()),
                        Some(Cells::Str(vec![Some("x".into()), Some("y".into()), Some("z".into())])),
                    ),
                };
                Column { name: Some(name), ty, cells, dictionary }
            });
        (Just(rows as u64), prop::collection::vec(column, n))
    })
}

proptest! {
    #[test]
    fn stream_encodings_round_trip((rows, cols) in columns(), start in -5i64..5, step in prop::sample::select(vec![-2i64, 1, 3])) {
        let index = Index::Range { name: None, start, stop: start + step * rows as i64, step };
        let df = Value::DataFrame(DataFrame { rows, columns: cols.clone(), index });
        for e in [FlameEncoding::Table, FlameEncoding::Batch] {
            let bytes = encode(&df, e).unwrap();
            prop_assert_eq!(dec(&bytes).unwrap(), df.clone());
        }
        for c in cols {
            let s = Value::Series(Series { name: TypedJson::Null, column: Column { name: None, ..c } });
            prop_assert_eq!(dec(&encode(&s, FlameEncoding::Array).unwrap()).unwrap(), s);
        }
    }

    #[test]
    fn arbitrary_stream_payloads_never_panic(tag in 2u8..5, tail in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut input = vec![b'F', b'L', b'M', tag];
        input.extend_from_slice(&tail);
        let _ = dec(&input);
    }
}

#[test]
fn an_empty_timezone_is_none() {
    // [dataframe.column-types]: the Arrow format reads an empty timezone as
    // none, and so does a decoder (arrow-rs and Arrow C++ write none for it).
    let ts = |tz: Option<&str>| ColumnType::Timestamp(TimeUnit::Microsecond, tz.map(str::to_string));
    let cells = || Cells::Int(vec![Some(1_577_854_800_000_000), None]);
    let s = |tz| Value::Series(Series { name: TypedJson::Null, column: col(None, ts(tz), cells()) });
    let mut frame = encode(&s(Some("Etc/UTC")), FlameEncoding::Array).unwrap();
    // The timezone string in the schema message: emptied in place (length 0, a zero first byte).
    let pattern = [&7u32.to_le_bytes()[..], b"Etc/UTC\0"].concat();
    let at = frame.windows(pattern.len()).position(|w| w == pattern.as_slice()).unwrap();
    frame[at..at + 5].copy_from_slice(&[0; 5]);
    assert_eq!(dec(&frame).unwrap(), s(None));
}
