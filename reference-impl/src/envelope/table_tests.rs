//! Tests of the `dataframe` and `series` envelopes: Arrow files and streams
//! written by arrow-rs, then corrupted; json rows; canonical values; encoders.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int8Type;
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, Date64Array, Decimal128Array, DictionaryArray, Int8Array,
    Int64Array, LargeStringArray, ListArray, NullArray, RecordBatch, StringArray, UInt16Array,
};
use arrow_ipc::MetadataVersion;
use arrow_ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
use arrow_schema::{DataType, Field, Schema};
use proptest::prelude::*;
use serde_json::{Value as JsonValue, json};

use crate::error::Code;
use crate::limits::Limits;
use crate::payload::base64;
use crate::value::{Cells, Column, ColumnType, DataFrame, Index, IntType, Series, TypedJson, Value};
use crate::{Encoding, decode, encode};

// ---------------------------------------------------------------- helpers

fn schema_of(cols: &[(&str, ArrayRef)], metadata: Option<&str>) -> Arc<Schema> {
    let fields: Vec<Field> = cols.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
    let md: HashMap<String, String> = metadata.map(|m| ("pandas".to_string(), m.to_string())).into_iter().collect();
    Arc::new(Schema::new_with_metadata(fields, md))
}

/// An IPC file of one batch (none when `batches` is 0), as arrow-rs writes it with 8-byte alignment.
fn file_of(cols: &[(&str, ArrayRef)], metadata: Option<&str>, batches: usize) -> Vec<u8> {
    let schema = schema_of(cols, metadata);
    let options = IpcWriteOptions::try_new(8, false, MetadataVersion::V5).unwrap();
    let mut w = FileWriter::try_new_with_options(Vec::new(), &schema, options).unwrap();
    for _ in 0..batches {
        let batch = RecordBatch::try_new(schema.clone(), cols.iter().map(|(_, a)| a.clone()).collect()).unwrap();
        w.write(&batch).unwrap();
    }
    w.finish().unwrap();
    w.into_inner().unwrap()
}

fn stream_of(cols: &[(&str, ArrayRef)], batches: usize) -> Vec<u8> {
    let schema = schema_of(cols, None);
    let mut w = StreamWriter::try_new(Vec::new(), &schema).unwrap();
    for _ in 0..batches {
        let batch = RecordBatch::try_new(schema.clone(), cols.iter().map(|(_, a)| a.clone()).collect()).unwrap();
        w.write(&batch).unwrap();
    }
    w.finish().unwrap();
    w.into_inner().unwrap()
}

fn df_env(bytes: &[u8]) -> String {
    format!(r#"{{"__tywrap__":"dataframe","codecVersion":1,"encoding":"arrow","b64":"{}"}}"#, base64::encode(bytes))
}

fn series_env(bytes: &[u8], name: &str) -> String {
    format!(r#"{{"__tywrap__":"series","codecVersion":1,"encoding":"arrow","b64":"{}","name":{name}}}"#, base64::encode(bytes))
}

fn canon(text: &str) -> JsonValue {
    decode(text.as_bytes(), &Limits::default()).unwrap_or_else(|e| panic!("{e}")).to_canonical()
}

fn rejects_with(text: &str, limits: &Limits) -> (Code, &'static str) {
    match decode(text.as_bytes(), limits) {
        Ok(v) => panic!("accepted: {}", v.to_canonical()),
        Err(e) => (e.code(), e.clause()),
    }
}

fn rejects(text: &str) -> (Code, &'static str) {
    rejects_with(text, &Limits::default())
}

fn ints(v: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}

fn strs(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

/// Where the body of the file's first record batch starts, and its buffers' (offset, length).
fn first_batch(bytes: &[u8]) -> (usize, Vec<(usize, usize)>) {
    let t = crate::payload::ipc::read_file(bytes).unwrap();
    let b = t.batches[0];
    let start = b.body.as_ptr() as usize - bytes.as_ptr() as usize;
    let bufs = b.rb.buffers().unwrap().iter().map(|x| (x.offset() as usize, x.length() as usize)).collect();
    (start, bufs)
}

// ---------------------------------------------------------------- dataframe: arrow

#[test]
fn the_spec_example_decodes_to_its_canonical_value() {
    let mut dict = StringDictionaryBuilder::<Int8Type>::new();
    dict.append_value("v");
    dict.append_value("u");
    let d: DictionaryArray<Int8Type> = dict.finish();
    // The dictionary is ["v", "u"]: reorder to the example's ["u", "v"] by building it explicitly.
    let keys = Int8Array::from(vec![1, 0]);
    let values: ArrayRef = Arc::new(StringArray::from(vec!["u", "v"]));
    let c: ArrayRef = Arc::new(DictionaryArray::<Int8Type>::try_new(keys, values).unwrap());
    assert_eq!(d.len(), 2);
    let bytes = file_of(&[("a", ints(&[Some(1), None])), ("c", c)], None, 1);
    assert_eq!(
        canon(&df_env(&bytes)),
        json!({"kind": "dataframe", "rows": 2,
         "columns": [{"name": "a", "type": {"id": "int64"}, "values": ["1", null]},
                     {"name": "c", "type": {"id": "dictionary", "index": "int8", "ordered": false,
                                            "values": {"id": "string"}},
                      "dictionary": ["u", "v"], "values": ["1", "0"]}],
         "index": {"kind": "range", "name": null, "start": 0, "stop": 2, "step": 1}})
    );
}

#[test]
fn large_strings_read_as_strings_and_batches_concatenate() {
    let s: ArrayRef = Arc::new(LargeStringArray::from(vec![Some("é"), None]));
    let bytes = file_of(&[("s", s)], None, 3);
    let v = canon(&df_env(&bytes));
    assert_eq!(v["rows"], 6);
    assert_eq!(v["columns"][0]["type"], json!({"id": "string"}));
    assert_eq!(v["columns"][0]["values"], json!(["é", null, "é", null, "é", null]));
    // No batch: no rows.
    let bytes = file_of(&[("s", strs(&[]))], None, 0);
    assert_eq!(canon(&df_env(&bytes))["rows"], 0);
}

#[test]
fn pandas_metadata_names_the_index() {
    let md = r#"{"index_columns": ["__index_level_0__"], "columns": [
        {"name": "a", "field_name": "a", "pandas_type": "int64"},
        {"name": "k", "field_name": "__index_level_0__", "pandas_type": "unicode"}], "column_indexes": []}"#;
    let bytes = file_of(&[("a", ints(&[Some(1), Some(2)])), ("__index_level_0__", strs(&[Some("p"), Some("q")]))], Some(md), 1);
    let v = canon(&df_env(&bytes));
    assert_eq!(v["columns"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["index"], json!({"kind": "columns", "columns": [{"name": "k", "type": {"id": "string"}, "values": ["p", "q"]}]}));

    let range = r#"{"index_columns": [{"kind": "range", "name": "r", "start": 10, "stop": 14, "step": 2}], "columns": []}"#;
    let bytes = file_of(&[("a", ints(&[Some(1), Some(2)]))], Some(range), 1);
    assert_eq!(canon(&df_env(&bytes))["index"], json!({"kind": "range", "name": "r", "start": 10, "stop": 14, "step": 2}));

    let bad = |md: &str| rejects(&df_env(&file_of(&[("a", ints(&[Some(1), Some(2)]))], Some(md), 1)));
    let meta = (Code::PandasMetadata, "dataframe.pandas.metadata");
    let index = (Code::PandasMetadata, "dataframe.pandas.index");
    assert_eq!(bad("{"), meta);
    assert_eq!(bad(r#"{"index_columns": [], "index_columns": []}"#), meta);
    assert_eq!(bad(r#"{"columns": []}"#), meta);
    assert_eq!(bad(r#"[]"#), meta);
    assert_eq!(bad(r#"{"index_columns": ["a"]}"#), meta);
    assert_eq!(bad(r#"{"index_columns": [{"kind": "range", "name": null, "start": 0, "stop": 3, "step": 1}]}"#), index);
    assert_eq!(bad(r#"{"index_columns": [{"kind": "range", "name": null, "start": 0.0, "stop": 2, "step": 1}]}"#), index);
    assert_eq!(bad(r#"{"index_columns": [{"kind": "range", "name": null, "start": 0, "stop": 2, "step": 0}]}"#), index);
    assert_eq!(bad(r#"{"index_columns": [{"kind": "range", "name": 5, "start": 0, "stop": 2, "step": 1}]}"#), index);
    assert_eq!(bad(r#"{"index_columns": ["b"], "columns": [{"name": null, "field_name": "b"}]}"#), index);
    assert_eq!(bad(r#"{"index_columns": ["a"], "columns": []}"#), index);
    assert_eq!(bad(r#"{"index_columns": ["a", "a"], "columns": [{"name": null, "field_name": "a"}]}"#), index);
    assert_eq!(bad(r#"{"index_columns": [3]}"#), index);
    // Ignored members never matter; an empty index_columns is the default range.
    let ok = file_of(&[("a", ints(&[Some(1), Some(2)]))], Some(r#"{"index_columns": [], "creator": 5}"#), 1);
    assert_eq!(canon(&df_env(&ok))["index"]["stop"], 2);
}

#[test]
fn other_arrow_types_are_refused_as_column_types() {
    let refused = |a: ArrayRef| rejects(&df_env(&file_of(&[("x", a)], None, 1)));
    let want = (Code::ColumnType, "dataframe.column-types");
    assert_eq!(refused(Arc::new(Date64Array::from(vec![1]))), want);
    let dec = Decimal128Array::from(vec![1]).with_precision_and_scale(10, 2).unwrap();
    assert_eq!(refused(Arc::new(dec)), want);
    let list = ListArray::from_iter_primitive::<arrow_array::types::Int32Type, _, _>(vec![Some(vec![Some(1)])]);
    assert_eq!(refused(Arc::new(list)), want);
    // An extension type is refused, whatever its storage.
    let f = Field::new("p", DataType::Int64, true)
        .with_metadata(HashMap::from([("ARROW:extension:name".to_string(), "pandas.period".to_string())]));
    let schema = Arc::new(Schema::new(vec![f]));
    let options = IpcWriteOptions::try_new(8, false, MetadataVersion::V5).unwrap();
    let mut w = FileWriter::try_new_with_options(Vec::new(), &schema, options).unwrap();
    w.write(&RecordBatch::try_new(schema.clone(), vec![ints(&[Some(1)])]).unwrap()).unwrap();
    w.finish().unwrap();
    assert_eq!(rejects(&df_env(&w.into_inner().unwrap())), want);
}

#[test]
fn the_file_framing_is_checked() {
    let good = file_of(&[("a", ints(&[Some(1), Some(2)])), ("s", strs(&[Some("x"), None]))], None, 1);
    let file = (Code::ArrowPayload, "dataframe.arrow.file");
    assert_eq!(rejects(&df_env(&stream_of(&[("a", ints(&[Some(1)]))], 1))), file);
    assert_eq!(rejects(&df_env(&good[..good.len() - 1])), file);
    assert_eq!(rejects(&df_env(&good[..good.len() / 2])), file);
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"ARROW1");
    assert_eq!(rejects(&df_env(&trailing)), file);
    let mut magic = good.clone();
    magic[6] = 1;
    assert_eq!(rejects(&df_env(&magic)), file);
    // A footer whose record batch block is off by 8 bytes.
    let n = good.len();
    let footer_len = i32::from_le_bytes(good[n - 10..n - 6].try_into().unwrap()) as usize;
    let footer = &good[n - 10 - footer_len..n - 10];
    let f = arrow_ipc::root_as_footer(footer).unwrap();
    let block = f.recordBatches().unwrap().get(0);
    let at = footer.windows(8).position(|w| w == block.offset().to_le_bytes()).unwrap() + (n - 10 - footer_len);
    let mut moved = good.clone();
    moved[at..at + 8].copy_from_slice(&(block.offset() + 8).to_le_bytes());
    assert_eq!(rejects(&df_env(&moved)), file);
    // A two-batch file is a table of both batches' rows.
    assert_eq!(canon(&df_env(&file_of(&[("a", ints(&[Some(1)]))], None, 2)))["rows"], 2);
}

#[test]
fn column_contents_are_checked_before_arrow_rs_sees_them() {
    let bytes = file_of(&[("a", ints(&[Some(1), None])), ("s", strs(&[Some("xy"), Some("z")]))], None, 1);
    let (body, bufs) = first_batch(&bytes);
    let file = (Code::ArrowPayload, "dataframe.arrow.file");
    // bufs: a.validity, a.values, s.validity, s.offsets, s.data
    let patch = |at: usize, b: &[u8]| {
        let mut c = bytes.clone();
        c[at..at + b.len()].copy_from_slice(b);
        rejects(&df_env(&c))
    };
    // The validity bitmap of `a` says both are valid, but null_count is 1.
    assert_eq!(patch(body + bufs[0].0, &[0b11]), file);
    // Offsets decreasing, beyond the data, negative.
    assert_eq!(patch(body + bufs[3].0 + 4, &5i32.to_le_bytes()), file);
    assert_eq!(patch(body + bufs[3].0 + 8, &99i32.to_le_bytes()), file);
    assert_eq!(patch(body + bufs[3].0, &(-1i32).to_le_bytes()), file);
    // Invalid UTF-8 in a valid string.
    assert_eq!(patch(body + bufs[4].0, &[0xff]), file);
    // Bytes under a null are ignored.
    let c = canon(&df_env(&{
        let mut c = bytes.clone();
        c[body + bufs[1].0 + 8..body + bufs[1].0 + 16].copy_from_slice(&7i64.to_le_bytes());
        c
    }));
    assert_eq!(c["columns"][0]["values"], json!(["1", null]));
}

#[test]
fn dictionaries_are_checked() {
    let values: ArrayRef = Arc::new(StringArray::from(vec![Some("u"), None]));
    let with_null = DictionaryArray::<Int8Type>::try_new(Int8Array::from(vec![0]), values).unwrap();
    let want = (Code::ValueDomain, "dataframe.arrow.dictionary");
    assert_eq!(rejects(&df_env(&file_of(&[("c", Arc::new(with_null))], None, 1))), want);
    // A code outside the dictionary, patched in after writing.
    let values: ArrayRef = Arc::new(StringArray::from(vec!["u", "v"]));
    let d = DictionaryArray::<Int8Type>::try_new(Int8Array::from(vec![Some(1), None]), values).unwrap();
    let bytes = file_of(&[("c", Arc::new(d))], None, 1);
    let (body, bufs) = first_batch(&bytes);
    let mut c = bytes.clone();
    c[body + bufs[1].0] = 2;
    assert_eq!(rejects(&df_env(&c)), want);
    // Under a null, any code.
    let mut c = bytes.clone();
    c[body + bufs[1].0 + 1] = 100;
    assert_eq!(canon(&df_env(&c))["columns"][0]["values"], json!(["1", null]));
}

#[test]
fn cells_are_counted_before_any_column_is_decoded() {
    let limits = Limits { max_elements: 1 << 20, ..Limits::default() };
    let nulls: ArrayRef = Arc::new(NullArray::new((1 << 20) + 1));
    let bytes = file_of(&[("n", nulls)], None, 1);
    assert_eq!(rejects_with(&df_env(&bytes), &limits), (Code::LimitExceeded, "dataframe.arrow.limits"));
    let half: ArrayRef = Arc::new(NullArray::new(1 << 19));
    let bytes = file_of(&[("n", half.clone()), ("m", half.clone()), ("o", half)], None, 1);
    assert_eq!(rejects_with(&df_env(&bytes), &limits), (Code::LimitExceeded, "dataframe.arrow.limits"));
}

#[test]
fn hostile_files_never_panic() {
    let values: ArrayRef = Arc::new(StringArray::from(vec!["u", "v"]));
    let d: ArrayRef = Arc::new(DictionaryArray::<Int8Type>::try_new(Int8Array::from(vec![Some(1), None]), values).unwrap());
    let b: ArrayRef = Arc::new(BinaryArray::from(vec![Some(b"ab".as_ref()), None]));
    let u: ArrayRef = Arc::new(UInt16Array::from(vec![Some(7), None]));
    let bo: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None]));
    let md = r#"{"index_columns": ["i"], "columns": [{"name": null, "field_name": "i"}]}"#;
    let bytes = file_of(&[("c", d), ("b", b), ("u", u), ("bo", bo), ("i", strs(&[Some("x"), Some("y")]))], Some(md), 1);
    assert!(decode(df_env(&bytes).as_bytes(), &Limits::default()).is_ok());
    let stream = stream_of(&[("value", ints(&[Some(1), None]))], 1);
    for (input, env) in [(&bytes, df_env as fn(&[u8]) -> String), (&stream, |b: &[u8]| series_env(b, "null"))] {
        for i in 0..input.len() {
            for x in [0x00u8, 0xff, 0x7f, 0x01] {
                let mut c = input.clone();
                c[i] ^= x;
                let _ = decode(env(&c).as_bytes(), &Limits::default());
            }
        }
    }
}

// ---------------------------------------------------------------- dataframe: json

fn json_df(data: &str) -> String {
    format!(r#"{{"__tywrap__":"dataframe","codecVersion":1,"encoding":"json","data":{data}}}"#)
}

#[test]
fn json_rows_keep_member_order_and_number_kinds() {
    let v = canon(&json_df(r#"[{"2": 1, "1": 1.0, "a": "x", "b": true, "n": null}, {"2": -0, "1": 1e5, "a": null, "b": null, "n": null}]"#));
    assert_eq!(
        v,
        json!({"kind": "dataframe", "rows": 2, "columns": [
            {"name": "2", "type": {"id": "int64"}, "values": ["1", "0"]},
            {"name": "1", "type": {"id": "float64"}, "values": ["3ff0000000000000", "40f86a0000000000"]},
            {"name": "a", "type": {"id": "string"}, "values": ["x", null]},
            {"name": "b", "type": {"id": "bool"}, "values": [true, null]},
            {"name": "n", "type": {"id": "null"}, "values": [null, null]}],
            "index": {"kind": "range", "name": null, "start": 0, "stop": 2, "step": 1}})
    );
    assert_eq!(canon(&json_df("[]"))["columns"], json!([]));
}

#[test]
fn json_rows_are_checked_in_order() {
    assert_eq!(rejects(&json_df(r#"{"a": [1]}"#)), (Code::FieldType, "dataframe.json.rows"));
    assert_eq!(rejects(&json_df(r#"[{"a": 1}, [1]]"#)), (Code::FieldType, "dataframe.json.rows"));
    let shape = (Code::ShapeMismatch, "dataframe.json.columns");
    assert_eq!(rejects(&json_df(r#"[{"a": 1, "b": 2}, {"b": 2, "a": 1}]"#)), shape);
    assert_eq!(rejects(&json_df(r#"[{"a": 1}, {"a": 1, "b": 2}]"#)), shape);
    assert_eq!(rejects(&json_df(r#"[{"a": 1, "b": 2}, {"a": 1}]"#)), shape);
    let types = (Code::ColumnType, "dataframe.json.types");
    assert_eq!(rejects(&json_df(r#"[{"a": 1}, {"a": 2.5}]"#)), types);
    assert_eq!(rejects(&json_df(r#"[{"a": 1}, {"a": "1"}]"#)), types);
    assert_eq!(rejects(&json_df(r#"[{"a": true}, {"a": 1}]"#)), types);
    assert_eq!(rejects(&json_df(r#"[{"a": {}}]"#)), types);
    // Types before values, and columns before types.
    assert_eq!(rejects(&json_df(r#"[{"a": 1e400, "b": 1}, {"a": 1.0, "b": "x"}]"#)), types);
    assert_eq!(rejects(&json_df(r#"[{"a": 1, "b": 1}, {"a": "x"}]"#)), shape);
    let values = (Code::ValueDomain, "dataframe.json.values");
    assert_eq!(rejects(&json_df(r#"[{"a": 1e400}]"#)), values);
    assert_eq!(rejects(&json_df(r#"[{"a": 9007199254740992}]"#)), values);
    assert!(decode(json_df(r#"[{"a": -9007199254740991}]"#).as_bytes(), &Limits::default()).is_ok());
    // (2^19 + 1) rows of 2 cells of 8 bytes: just over 8 MiB.
    let limits = Limits { max_decoded_bytes: 8 << 20, ..Limits::default() };
    let big = format!("[{}]", vec![r#"{"a":1,"b":2}"#; (1 << 19) + 1].join(","));
    assert_eq!(rejects_with(&json_df(&big), &limits), (Code::LimitExceeded, "dataframe.json.limits"));
}

#[test]
fn dataframe_members_follow_the_encoding() {
    let env = |s: &str| format!(r#"{{"__tywrap__":"dataframe",{s}}}"#);
    assert_eq!(rejects(&env(r#""codecVersion":1,"encoding":"frame","data":[]"#)), (Code::EncodingUnsupported, "dataframe.encodings"));
    assert_eq!(rejects(&env(r#""codecVersion":1,"encoding":"json","b64":""}"#).replace("}}", "}")), (Code::UnknownField, "envelope.unknown-fields"));
    assert_eq!(rejects(&env(r#""codecVersion":1,"encoding":"arrow""#)), (Code::MissingField, "dataframe.required"));
    assert_eq!(rejects(&env(r#""encoding":"json""#)), (Code::MissingField, "dataframe.required"));
    assert_eq!(rejects(&env(r#""codecVersion":1,"encoding":"arrow","b64":"AAA""#)), (Code::Base64, "dataframe.arrow.base64"));
    assert_eq!(canon(&env(r#""encoding":"json","data":[{"a":1}]"#))["rows"], 1);
}

// ---------------------------------------------------------------- series

#[test]
fn series_names_keep_their_kind() {
    let env = |name: &str| format!(r#"{{"__tywrap__":"series","codecVersion":1,"encoding":"json","data":[1.5, null],"name":{name}}}"#);
    assert_eq!(canon(&env("5"))["name"], json!({"int": 5}));
    assert_eq!(canon(&env("5.0"))["name"], json!({"float": "4014000000000000"}));
    assert_eq!(canon(&env("true"))["name"], json!({"bool": true}));
    assert_eq!(canon(&env("null"))["name"], json!({"null": null}));
    assert_eq!(canon(&env(r#""p""#))["name"], json!({"string": "p"}));
    assert_eq!(rejects(&env("[]")), (Code::FieldType, "series.name"));
    assert_eq!(rejects(&env("1e400")), (Code::ValueDomain, "series.name"));
    assert_eq!(rejects(&env("9007199254740992")), (Code::ValueDomain, "series.name"));
    let v1 = r#"{"__tywrap__":"series","codecVersion":1,"encoding":"json","data":[]}"#;
    assert_eq!(rejects(v1), (Code::MissingField, "series.required"));
    let v0 = r#"{"__tywrap__":"series","encoding":"json","data":[]}"#;
    assert_eq!(canon(v0), json!({"kind": "series", "name": {"null": null}, "type": {"id": "null"}, "values": []}));
}

#[test]
fn series_json_values() {
    let env = |data: &str| format!(r#"{{"__tywrap__":"series","codecVersion":1,"encoding":"json","data":{data},"name":null}}"#);
    assert_eq!(canon(&env("[1, null, -2]"))["values"], json!(["1", null, "-2"]));
    assert_eq!(rejects(&env("{}")), (Code::FieldType, "series.json.data"));
    assert_eq!(rejects(&env("[1, 1.5]")), (Code::ColumnType, "series.json.values"));
    assert_eq!(rejects(&env("[1e999]")), (Code::ValueDomain, "series.json.values"));
    let limits = Limits { max_decoded_bytes: 8 << 20, ..Limits::default() };
    let big = format!("[{}]", vec!["null"; (1 << 20) + 1].join(","));
    assert_eq!(rejects_with(&env(&big), &limits), (Code::LimitExceeded, "series.json.data"));
}

/// A series' name is the envelope's `name`; the column's own is `None`
/// ([`Series::column`]), whatever the stream's field is called. Not visible in
/// the canonical value (which has one `name`), so no vector can see it.
#[test]
fn a_series_column_has_no_name_of_its_own() {
    let s = stream_of(&[("value", strs(&[Some("a")]))], 1);
    let Ok(Value::Series(series)) = decode(series_env(&s, r#""x""#).as_bytes(), &Limits::default()) else {
        panic!("not a series")
    };
    assert_eq!((series.name, series.column.name), (TypedJson::String("x".into()), None));
}

#[test]
fn series_streams() {
    let s = stream_of(&[("value", strs(&[Some("a"), None]))], 1);
    assert_eq!(canon(&series_env(&s, r#""x""#))["values"], json!(["a", null]));
    // A dictionary batch is allowed in a series stream, and still refused in an ndarray's.
    let values: ArrayRef = Arc::new(StringArray::from(vec!["u", "v"]));
    let d: ArrayRef = Arc::new(DictionaryArray::<Int8Type>::try_new(Int8Array::from(vec![Some(1), None]), values).unwrap());
    let ds = stream_of(&[("value", d)], 1);
    let v = canon(&series_env(&ds, "1"));
    assert_eq!((v["dictionary"].clone(), v["values"].clone()), (json!(["u", "v"]), json!(["1", null])));
    let nd = format!(
        r#"{{"__tywrap__":"ndarray","codecVersion":1,"encoding":"arrow","dtype":"int8","shape":[2],"b64":"{}"}}"#,
        base64::encode(&ds)
    );
    assert_eq!(rejects(&nd), (Code::ArrowPayload, "ndarray.arrow.stream"));
    let stream = (Code::ArrowPayload, "series.arrow.stream");
    assert_eq!(rejects(&series_env(&stream_of(&[("value", ints(&[Some(1)]))], 2), "null")), stream);
    let f = file_of(&[("value", ints(&[Some(1)]))], None, 1);
    assert_eq!(rejects(&series_env(&f, "null")), stream);
    let schema = (Code::ArrowSchema, "series.arrow.schema");
    assert_eq!(rejects(&series_env(&stream_of(&[("v", ints(&[Some(1)]))], 1), "null")), schema);
    assert_eq!(rejects(&series_env(&stream_of(&[("value", ints(&[])), ("x", ints(&[]))], 0), "null")), schema);
    let date: ArrayRef = Arc::new(Date64Array::from(vec![1]));
    assert_eq!(rejects(&series_env(&stream_of(&[("value", date)], 1), "null")), (Code::ColumnType, "series.arrow.type"));
    let limits = Limits { max_elements: 1 << 20, ..Limits::default() };
    let nulls: ArrayRef = Arc::new(NullArray::new((1 << 20) + 1));
    assert_eq!(
        rejects_with(&series_env(&stream_of(&[("value", nulls)], 1), "null"), &limits),
        (Code::LimitExceeded, "series.arrow.limits")
    );
    // No batch: no values.
    assert_eq!(canon(&series_env(&stream_of(&[("value", ints(&[]))], 0), "null"))["values"], json!([]));
}

// ---------------------------------------------------------------- canonical values and encoders

fn int64() -> ColumnType {
    ColumnType::Int(IntType { bits: 64, signed: true })
}

fn col(name: &str, ty: ColumnType, cells: Cells) -> Column {
    Column { name: Some(name.into()), ty, cells, dictionary: None }
}

fn refuses(v: &Value, e: Encoding) -> (Code, &'static str) {
    let err = encode(v, e).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_err();
    (err.code(), err.clause())
}

#[test]
fn canonical_values_are_refused_with_the_encoder_codes() {
    let base = json!({"kind": "dataframe", "rows": 2,
        "columns": [{"name": "a", "type": {"id": "int8"}, "values": ["1", null]}],
        "index": {"kind": "range", "name": null, "start": 0, "stop": 2, "step": 1}});
    assert!(Value::from_canonical(&base).is_ok());
    let with = |path: &str, v: JsonValue| {
        let mut b = base.clone();
        *b.pointer_mut(path).unwrap() = v;
        Value::from_canonical(&b).err().map(|e| e.code())
    };
    assert_eq!(with("/rows", json!(3)), Some(Code::ShapeMismatch));
    assert_eq!(with("/index/stop", json!(5)), Some(Code::ShapeMismatch));
    assert_eq!(with("/columns/0/values/0", json!("128")), Some(Code::ValueDomain));
    assert_eq!(with("/columns/0/values/0", json!("01")), Some(Code::ValueDomain));
    assert_eq!(with("/columns/0/values/0", json!(1)), Some(Code::ValueDomain));
    assert_eq!(with("/columns/0/type", json!({"id": "decimal"})), Some(Code::ColumnType));
    assert_eq!(with("/columns/0/type", json!({"id": "float32"})), Some(Code::ValueDomain));
    assert_eq!(with("/columns/0/name", json!(null)), Some(Code::FieldType));
    let dict = json!({"kind": "series", "name": {"int": 1},
        "type": {"id": "dictionary", "index": "uint8", "ordered": false, "values": {"id": "string"}},
        "values": ["2"], "dictionary": ["u", "v"]});
    assert_eq!(Value::from_canonical(&dict).err().map(|e| e.code()), Some(Code::ValueDomain));
    let float_name = json!({"kind": "series", "name": {"float": "7ff0000000000000"}, "type": {"id": "null"}, "values": []});
    assert_eq!(Value::from_canonical(&float_name).err().map(|e| e.code()), Some(Code::ValueDomain));
}

#[test]
fn json_encoding_refuses_what_it_cannot_carry() {
    let df = |columns: Vec<Column>, rows: u64| Value::DataFrame(DataFrame { rows, columns, index: Index::default_for(rows) });
    let refuse = "dataframe.encode.refuse";
    let u8c = col("u", ColumnType::Int(IntType { bits: 8, signed: false }), Cells::UInt(vec![Some(1)]));
    assert_eq!(refuses(&df(vec![u8c], 1), Encoding::Json), (Code::ColumnType, refuse));
    let nan = col("f", ColumnType::Float(64), Cells::Float(vec![Some(f64::NAN.to_bits())]));
    assert_eq!(refuses(&df(vec![nan], 1), Encoding::Json), (Code::ValueDomain, refuse));
    let big = col("i", int64(), Cells::Int(vec![Some(1 << 53)]));
    assert_eq!(refuses(&df(vec![big], 1), Encoding::Json), (Code::ValueDomain, refuse));
    let a = col("a", int64(), Cells::Int(vec![Some(1)]));
    assert_eq!(refuses(&df(vec![a.clone(), a.clone()], 1), Encoding::Json), (Code::JsonDuplicateKey, refuse));
    let nulls = col("s", ColumnType::String, Cells::Str(vec![None]));
    assert_eq!(refuses(&df(vec![nulls], 1), Encoding::Json), (Code::ColumnType, refuse));
    let empty = col("a", int64(), Cells::Int(vec![]));
    assert_eq!(refuses(&df(vec![empty], 0), Encoding::Json), (Code::EncodingUnsupported, refuse));
    let named = Value::DataFrame(DataFrame {
        rows: 1,
        columns: vec![a.clone()],
        index: Index::Range { name: Some("r".into()), start: 0, stop: 1, step: 1 },
    });
    assert_eq!(refuses(&named, Encoding::Json), (Code::EncodingUnsupported, refuse));
    assert!(encode(&named, Encoding::Arrow).is_ok());
    // Two columns with one name are fine in Arrow.
    let twice = df(vec![a.clone(), a], 1);
    let bytes = encode(&twice, Encoding::Arrow).unwrap();
    assert_eq!(decode(&bytes, &Limits::default()).unwrap(), twice);
    let s = |column: Column| Value::Series(Series { name: TypedJson::Null, column });
    let empty_int = Column { name: None, ty: int64(), cells: Cells::Int(vec![]), dictionary: None };
    assert_eq!(refuses(&s(empty_int.clone()), Encoding::Json), (Code::EncodingUnsupported, "series.encode.refuse"));
    assert!(encode(&s(empty_int), Encoding::Arrow).is_ok());
}

#[test]
fn json_floats_are_written_with_a_fraction_or_exponent() {
    let v = Value::Series(Series {
        name: TypedJson::Float(2.0),
        column: Column { name: None, ty: ColumnType::Float(64), cells: Cells::Float(vec![Some(1f64.to_bits()), Some(1e-7f64.to_bits()), None]), dictionary: None },
    });
    let text = String::from_utf8(encode(&v, Encoding::Json).unwrap()).unwrap();
    assert!(text.contains(r#""data":[1.0,1e-7,null]"#), "{text}");
    assert!(text.contains(r#""name":2.0"#), "{text}");
    assert_eq!(decode(text.as_bytes(), &Limits::default()).unwrap(), v);
}

/// Every column type, with and without nulls.
fn every_type(rows: usize) -> Vec<Column> {
    let o = |i: usize| i % 3 != 1;
    let ts = |u| ColumnType::Timestamp(u, Some("UTC".into()));
    use crate::value::TimeUnit as U;
    let it = |bits, signed| ColumnType::Int(IntType { bits, signed });
    let mut v = vec![
        col("b", ColumnType::Bool, Cells::Bool((0..rows).map(|i| o(i).then_some(i % 2 == 0)).collect())),
        col("i8", it(8, true), Cells::Int((0..rows).map(|i| o(i).then_some(-(i as i64))).collect())),
        col("u64", it(64, false), Cells::UInt((0..rows).map(|i| o(i).then_some(u64::MAX - i as u64)).collect())),
        col("f16", ColumnType::Float(16), Cells::Float((0..rows).map(|i| o(i).then_some(0x3c00 + i as u64)).collect())),
        col("f32", ColumnType::Float(32), Cells::Float((0..rows).map(|i| o(i).then_some(0x7fc0_0001)).collect())),
        col("s", ColumnType::String, Cells::Str((0..rows).map(|i| o(i).then(|| "ü".repeat(i))).collect())),
        col("bin", ColumnType::Binary, Cells::Bin((0..rows).map(|i| o(i).then(|| vec![i as u8; i])).collect())),
        col("d", ColumnType::Date32, Cells::Int((0..rows).map(|i| o(i).then_some(i as i64 - 1)).collect())),
        col("t", ts(U::Nanosecond), Cells::Int((0..rows).map(|i| o(i).then_some(i64::MIN + i as i64)).collect())),
        col("tn", ColumnType::Timestamp(U::Second, None), Cells::Int((0..rows).map(|i| o(i).then_some(i as i64)).collect())),
        col("du", ColumnType::Duration(U::Millisecond), Cells::Int((0..rows).map(|_| None).collect())),
        col("n", ColumnType::Null, Cells::Null(rows as u64)),
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
fn every_column_type_round_trips_through_arrow_and_frames() {
    for rows in [0, 1, 5] {
        let index = Index::Columns(vec![
            Column { name: None, ty: int64(), cells: Cells::Int((0..rows).map(|i| Some(i as i64 * 10)).collect()), dictionary: None },
            Column { name: Some("lvl".into()), ty: ColumnType::String, cells: Cells::Str((0..rows).map(|_| None).collect()), dictionary: None },
        ]);
        let df = Value::DataFrame(DataFrame { rows: rows as u64, columns: every_type(rows), index });
        for e in [Encoding::Arrow, Encoding::Frame] {
            let bytes = encode(&df, e).unwrap();
            assert_eq!(decode(&bytes, &Limits::default()).unwrap(), df, "{e:?} {rows}");
        }
        assert_eq!(Value::from_canonical(&df.to_canonical()).unwrap(), df);
        for c in every_type(rows) {
            let s = Value::Series(Series { name: TypedJson::String(c.name.clone().unwrap_or_default()), column: Column { name: None, ..c } });
            for e in [Encoding::Arrow, Encoding::Frame] {
                let bytes = encode(&s, e).unwrap();
                // A dictionary series keeps its entries even with no values.
                assert_eq!(decode(&bytes, &Limits::default()).unwrap(), s, "{e:?} {rows}");
            }
            assert_eq!(Value::from_canonical(&s.to_canonical()).unwrap(), s);
        }
    }
}

fn json_columns() -> impl Strategy<Value = (u64, Vec<Column>)> {
    (1usize..6, 0usize..4).prop_flat_map(|(rows, ncols)| {
        let column = prop_oneof![
            prop::collection::vec(prop::option::of(any::<bool>()), rows).prop_map(|v| (ColumnType::Bool, Cells::Bool(v))),
            prop::collection::vec(prop::option::of(-(1i64 << 53) + 1..(1i64 << 53)), rows).prop_map(|v| (int64(), Cells::Int(v))),
            prop::collection::vec(prop::option::of(any::<f64>().prop_filter("finite", |f| f.is_finite())), rows)
                .prop_map(|v| (ColumnType::Float(64), Cells::Float(v.into_iter().map(|f| f.map(f64::to_bits)).collect()))),
            prop::collection::vec(prop::option::of(".{0,4}"), rows).prop_map(|v| (ColumnType::String, Cells::Str(v))),
        ];
        prop::collection::vec(column, ncols).prop_map(move |cols| {
            let cols = cols
                .into_iter()
                .enumerate()
                .map(|(k, (ty, cells))| {
                    // A column of only nulls reads back from json as null.
                    let ty = if cells.null_count() == cells.len() { ColumnType::Null } else { ty };
                    let cells = if ty == ColumnType::Null { Cells::Null(rows as u64) } else { cells };
                    Column { name: Some(format!("{}", ncols - k)), ty, cells, dictionary: None }
                })
                .collect();
            (rows as u64, cols)
        })
    })
}

proptest! {
    #[test]
    fn json_encodable_tables_round_trip_in_every_encoding((rows, columns) in json_columns()) {
        let v = Value::DataFrame(DataFrame { rows, columns, index: Index::default_for(rows) });
        for e in [Encoding::Json, Encoding::Arrow, Encoding::Frame] {
            let bytes = encode(&v, e).unwrap();
            prop_assert_eq!(&decode(&bytes, &Limits::default()).unwrap(), &v);
        }
    }

    #[test]
    fn arbitrary_stream_and_file_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut file = b"ARROW1\0\0".to_vec();
        file.extend_from_slice(&tail);
        let _ = decode(df_env(&file).as_bytes(), &Limits::default());
        let mut f2 = file.clone();
        f2.extend_from_slice(&((tail.len() as i32) & 0xff).to_le_bytes());
        f2.extend_from_slice(b"ARROW1");
        let _ = decode(df_env(&f2).as_bytes(), &Limits::default());
        let _ = decode(series_env(&tail, "null").as_bytes(), &Limits::default());
    }
}

#[test]
fn metadata_that_is_not_utf8_is_ignored_unless_it_is_the_pandas_entry() {
    // arrow-rs writes only UTF-8 metadata: write a marker, then overwrite it everywhere.
    let replace_all = |bytes: &[u8], from: &[u8], to: u8| {
        let mut out = bytes.to_vec();
        let mut i = 0;
        while let Some(p) = out[i..].windows(from.len()).position(|w| w == from) {
            out[i + p..i + p + from.len()].fill(to);
            i += p + from.len();
        }
        assert!(i > 0, "marker not found");
        out
    };
    let f = Field::new("a", DataType::Int64, true).with_metadata(HashMap::from([("k".to_string(), "QQQQ".to_string())]));
    let schema = Arc::new(Schema::new_with_metadata(
        vec![f],
        HashMap::from([("pandas".to_string(), r#"{"index_columns": [], "x": "WWWW"}"#.to_string())]),
    ));
    let options = IpcWriteOptions::try_new(8, false, MetadataVersion::V5).unwrap();
    let mut w = FileWriter::try_new_with_options(Vec::new(), &schema, options).unwrap();
    w.write(&RecordBatch::try_new(schema.clone(), vec![ints(&[Some(1)])]).unwrap()).unwrap();
    w.finish().unwrap();
    let bytes = w.into_inner().unwrap();
    let field_md = replace_all(&bytes, b"QQQQ", 0xff);
    assert_eq!(canon(&df_env(&field_md))["columns"][0]["values"], json!(["1"]));
    let pandas_md = replace_all(&bytes, b"WWWW", 0xff);
    assert_eq!(rejects(&df_env(&pandas_md)), (Code::PandasMetadata, "dataframe.pandas.metadata"));
    // The same in a series stream: metadata is ignored there.
    let schema = Arc::new(Schema::new(vec![Field::new("value", DataType::Int64, true)
        .with_metadata(HashMap::from([("k".to_string(), "QQQQ".to_string())]))]));
    let mut w = StreamWriter::try_new(Vec::new(), &schema).unwrap();
    w.write(&RecordBatch::try_new(schema.clone(), vec![ints(&[Some(1)])]).unwrap()).unwrap();
    w.finish().unwrap();
    let stream = replace_all(&w.into_inner().unwrap(), b"QQQQ", 0xfe);
    assert_eq!(canon(&series_env(&stream, "null"))["values"], json!(["1"]));
}

#[test]
fn a_table_without_columns_has_its_batches_rows() {
    let rows = |n: usize| {
        let schema = Arc::new(Schema::empty());
        let options = IpcWriteOptions::try_new(8, false, MetadataVersion::V5).unwrap();
        let mut w = FileWriter::try_new_with_options(Vec::new(), &schema, options).unwrap();
        let opts = arrow_array::RecordBatchOptions::new().with_row_count(Some(n));
        w.write(&RecordBatch::try_new_with_options(schema.clone(), vec![], &opts).unwrap()).unwrap();
        w.finish().unwrap();
        df_env(&w.into_inner().unwrap())
    };
    assert_eq!(canon(&rows(3))["index"], json!({"kind": "range", "name": null, "start": 0, "stop": 3, "step": 1}));
    assert_eq!(rejects(&rows((1 << 53) + 1)), (Code::LimitExceeded, "dataframe.arrow.limits"));
}

// ---------------------------------------------------------------- spec revision: limits, dictionaries, index names

/// The messages of an IPC stream: its bytes, metadata length (with the 8
/// prefix bytes), body length and header type.
fn messages(stream: &[u8]) -> Vec<(Vec<u8>, i32, i64, arrow_ipc::MessageHeader)> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let len = i32::from_le_bytes(stream[pos + 4..pos + 8].try_into().unwrap());
        if len == 0 {
            return out;
        }
        let meta = &stream[pos + 8..pos + 8 + len as usize];
        let msg = arrow_ipc::root_as_message(meta).unwrap();
        let end = pos + 8 + len as usize + msg.bodyLength() as usize;
        out.push((stream[pos..end].to_vec(), 8 + len, msg.bodyLength(), msg.header_type()));
        pos = end;
    }
}

/// `batches` as an IPC stream or file whose DictionaryBatch messages are
/// dropped (arrow-rs always writes them): the footer is rebuilt to match.
fn without_dictionaries(schema: &Arc<Schema>, batches: &[RecordBatch], file: bool) -> Vec<u8> {
    use arrow_ipc::{Block, MessageHeader};
    let options = IpcWriteOptions::try_new(8, false, MetadataVersion::V5).unwrap();
    let mut w = StreamWriter::try_new_with_options(Vec::new(), schema, options).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap();
    let all = messages(&w.into_inner().unwrap());
    assert!(batches.is_empty() || all.iter().any(|m| m.3 == MessageHeader::DictionaryBatch), "nothing to drop");
    let mut out = if file { b"ARROW1\0\0".to_vec() } else { Vec::new() };
    let mut blocks = Vec::new();
    for (bytes, meta, body, t) in all.iter().filter(|m| m.3 != MessageHeader::DictionaryBatch) {
        if *t == MessageHeader::RecordBatch {
            blocks.push(Block::new(out.len() as i64, *meta, *body));
        }
        out.extend_from_slice(bytes);
    }
    out.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    if !file {
        return out;
    }
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let mut tracker = arrow_ipc::writer::DictionaryTracker::new(false);
    let fb_schema = arrow_ipc::convert::IpcSchemaEncoder::new().with_dictionary_tracker(&mut tracker).schema_to_fb_offset(&mut fbb, schema);
    let dictionaries = fbb.create_vector::<Block>(&[]);
    let record_batches = fbb.create_vector(&blocks);
    let footer = arrow_ipc::Footer::create(
        &mut fbb,
        &arrow_ipc::FooterArgs {
            version: MetadataVersion::V5,
            schema: Some(fb_schema),
            dictionaries: Some(dictionaries),
            recordBatches: Some(record_batches),
            custom_metadata: None,
        },
    );
    fbb.finish(footer, None);
    let fb = fbb.finished_data();
    out.extend_from_slice(fb);
    out.extend_from_slice(&(fb.len() as i32).to_le_bytes());
    out.extend_from_slice(b"ARROW1");
    out
}

fn dict_array(codes: &[Option<i8>], entries: &[&str]) -> ArrayRef {
    let values: ArrayRef = Arc::new(StringArray::from(entries.to_vec()));
    Arc::new(DictionaryArray::<Int8Type>::try_new(Int8Array::from(codes.to_vec()), values).unwrap())
}

#[test]
fn a_missing_dictionary_batch_is_allowed_only_without_rows() {
    let cols = |codes: &[Option<i8>]| vec![("c", dict_array(codes, &["u", "v"])), ("i", ints(&vec![Some(1); codes.len()]))];
    let batch = |codes: &[Option<i8>]| {
        let c = cols(codes);
        RecordBatch::try_new(schema_of(&c, None), c.into_iter().map(|(_, a)| a).collect()).unwrap()
    };
    let schema = batch(&[]).schema();
    // Sanity: the rebuilt file, with its dictionary kept, is read as arrow-rs wrote it.
    let kept = file_of(&cols(&[Some(1)]), None, 1);
    assert_eq!(canon(&df_env(&kept))["columns"][0]["dictionary"], json!(["u", "v"]));
    // No rows: zero-length record batches (one or two) or none; the dictionary is empty.
    for n in [0, 1, 2] {
        let batches = vec![batch(&[]); n];
        let v = canon(&df_env(&without_dictionaries(&schema, &batches, true)));
        assert_eq!((v["rows"].clone(), v["columns"][0]["dictionary"].clone(), v["columns"][0]["values"].clone()), (json!(0), json!([]), json!([])), "{n}");
    }
    // Rows, even all-null codes, need the dictionary batch.
    let file = (Code::ArrowPayload, "dataframe.arrow.file");
    assert_eq!(rejects(&df_env(&without_dictionaries(&schema, &[batch(&[Some(0)])], true))), file);
    assert_eq!(rejects(&df_env(&without_dictionaries(&schema, &[batch(&[]), batch(&[None])], true))), file);
    // The same in a series stream.
    let one = |codes: &[Option<i8>]| {
        let c = [("value", dict_array(codes, &["u"]))];
        RecordBatch::try_new(schema_of(&c, None), vec![c[0].1.clone()]).unwrap()
    };
    let s = without_dictionaries(&one(&[]).schema(), &[one(&[])], false);
    let v = canon(&series_env(&s, "null"));
    assert_eq!((v["dictionary"].clone(), v["values"].clone()), (json!([]), json!([])));
    let s = without_dictionaries(&one(&[]).schema(), &[one(&[None])], false);
    assert_eq!(rejects(&series_env(&s, "null")), (Code::ArrowPayload, "series.arrow.stream"));
}

#[test]
fn arrow_limits_count_cells_plus_every_dictionarys_entries() {
    let limits = Limits { max_elements: 1 << 20, ..Limits::default() };
    let entries: Vec<String> = (0..(1 << 19)).map(|i| i.to_string()).collect();
    let big = |n: usize| -> ArrayRef {
        let values: ArrayRef = Arc::new(StringArray::from(entries[..n].iter().map(String::as_str).collect::<Vec<_>>()));
        Arc::new(DictionaryArray::<arrow_array::types::Int32Type>::try_new(arrow_array::Int32Array::from(vec![0, 1]), values).unwrap())
    };
    let half = 1 << 19;
    // 2 fields × 2 rows = 4 cells, plus two dictionaries of 2^19 entries: 2^20 + 4.
    let over = file_of(&[("a", big(half)), ("b", big(half))], None, 1);
    assert_eq!(rejects_with(&df_env(&over), &limits), (Code::LimitExceeded, "dataframe.arrow.limits"));
    // 4 cells plus 2^20 - 4 entries: exactly the limit.
    let at = file_of(&[("a", big(half)), ("b", big(half - 4))], None, 1);
    assert!(decode(df_env(&at).as_bytes(), &limits).is_ok());
    // A series: 2 values plus the entries.
    let s = |n: usize| series_env(&stream_of(&[("value", big(n))], 1), "null");
    assert_eq!(rejects_with(&s(half), &Limits { max_elements: half as u64 + 1, ..limits }), (Code::LimitExceeded, "series.arrow.limits"));
    assert!(decode(s(half).as_bytes(), &Limits { max_elements: half as u64 + 2, ..limits }).is_ok());
}

#[test]
fn json_limits_count_bytes_of_the_first_rows_members() {
    // 3 rows × 2 members × 8 bytes = 48.
    let rows = r#"[{"a":1,"b":2},{"a":1,"b":2},{"a":1,"b":2}]"#;
    let at = |b: u64| Limits { max_decoded_bytes: b, ..Limits::default() };
    assert!(decode(json_df(rows).as_bytes(), &at(48)).is_ok());
    assert_eq!(rejects_with(&json_df(rows), &at(47)), (Code::LimitExceeded, "dataframe.json.limits"));
    // Before the rows' members are compared ...
    let ragged = r#"[{"a":1,"b":2},{"x":1},{"y":2,"z":3,"w":4}]"#;
    assert_eq!(rejects_with(&json_df(ragged), &at(47)), (Code::LimitExceeded, "dataframe.json.limits"));
    assert_eq!(rejects_with(&json_df(ragged), &at(48)), (Code::ShapeMismatch, "dataframe.json.columns"));
    // ... and counting only the first row's members: later rows' extra members cost nothing here.
    let wide_later = r#"[{"a":1},{"a":1,"b":2,"c":3,"d":4}]"#;
    assert_eq!(rejects_with(&json_df(wide_later), &at(16)), (Code::ShapeMismatch, "dataframe.json.columns"));
    // Rows of no members cost nothing.
    assert!(decode(json_df("[{},{},{}]").as_bytes(), &at(0)).is_ok());
    // A series: 8 bytes a value.
    let s = r#"{"__tywrap__":"series","codecVersion":1,"encoding":"json","data":[null,null,null],"name":null}"#;
    assert!(decode(s.as_bytes(), &at(24)).is_ok());
    assert_eq!(rejects_with(s, &at(23)), (Code::LimitExceeded, "series.json.data"));
}

#[test]
fn index_fields_skip_names_the_columns_already_have() {
    let level = |name: Option<&str>, v: i64| Column { name: name.map(Into::into), ty: int64(), cells: Cells::Int(vec![Some(v)]), dictionary: None };
    let cases: [(&[&str], &[&str]); 4] = [
        (&["a"], &["__index_level_0__", "__index_level_1__"]),
        (&["__index_level_0__"], &["__index_level_1__", "__index_level_2__"]),
        (&["__index_level_1__"], &["__index_level_0__", "__index_level_2__"]),
        (&["__index_level_0__", "__index_level_2__", "__index_level_0__"], &["__index_level_1__", "__index_level_3__"]),
    ];
    for (columns, want) in cases {
        let d = DataFrame {
            rows: 1,
            columns: columns.iter().map(|n| col(n, int64(), Cells::Int(vec![Some(7)]))).collect(),
            index: Index::Columns(vec![level(None, 1), level(Some("__index_level_0__"), 2)]),
        };
        let bytes = crate::envelope::dataframe::write_file(&d).unwrap();
        let t = crate::payload::ipc::read_file(&bytes).unwrap();
        let names: Vec<&str> = t.fields.iter().map(|f| f.name().unwrap()).collect();
        assert_eq!(names[columns.len()..], *want, "{columns:?}");
        let pandas: JsonValue = serde_json::from_str(t.metadata.iter().find(|(k, _)| *k == "pandas").unwrap().1).unwrap();
        assert_eq!(pandas["index_columns"], json!(want));
        assert_eq!(pandas["columns"][1], json!({"name": "__index_level_0__", "field_name": want[1],
            "pandas_type": "int64", "numpy_type": "object", "metadata": null}));
        let v = Value::DataFrame(d);
        for e in [Encoding::Arrow, Encoding::Frame] {
            assert_eq!(decode(&encode(&v, e).unwrap(), &Limits::default()).unwrap(), v, "{columns:?} {e:?}");
        }
    }
}

#[test]
fn an_empty_dictionary_series_keeps_its_dictionary() {
    let c = Column {
        name: None,
        ty: ColumnType::Dictionary { index: IntType { bits: 8, signed: true }, ordered: false, values: Box::new(ColumnType::String) },
        cells: Cells::Int(vec![]),
        dictionary: Some(Cells::Str(vec![Some("p".into()), Some("q".into())])),
    };
    let v = Value::Series(Series { name: TypedJson::Null, column: c });
    let text = String::from_utf8(encode(&v, Encoding::Arrow).unwrap()).unwrap();
    let b64 = serde_json::from_str::<JsonValue>(&text).unwrap()["b64"].as_str().unwrap().to_string();
    let bytes = base64::decode(&b64, &Limits::default(), "series.arrow.base64").unwrap();
    let kinds: Vec<_> = messages(&bytes).into_iter().map(|m| m.3).collect();
    use arrow_ipc::MessageHeader as H;
    assert_eq!(kinds, [H::Schema, H::DictionaryBatch, H::RecordBatch]);
    assert_eq!(canon(&text)["dictionary"], json!(["p", "q"]));
    // A series of another type writes no batch when it has no values.
    let empty = Value::Series(Series { name: TypedJson::Null, column: Column { name: None, ty: int64(), cells: Cells::Int(vec![]), dictionary: None } });
    let text = String::from_utf8(encode(&empty, Encoding::Arrow).unwrap()).unwrap();
    let b64 = serde_json::from_str::<JsonValue>(&text).unwrap()["b64"].as_str().unwrap().to_string();
    let kinds: Vec<_> = messages(&base64::decode(&b64, &Limits::default(), "x").unwrap()).into_iter().map(|m| m.3).collect();
    assert_eq!(kinds, [H::Schema]);
    for e in [Encoding::Arrow, Encoding::Frame] {
        assert_eq!(decode(&encode(&v, e).unwrap(), &Limits::default()).unwrap(), v, "{e:?}");
    }
}
