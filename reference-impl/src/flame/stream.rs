//! The stream tags `02` (a `pyarrow.Table`), `03` (a `pyarrow.Array`) and
//! `04` (a `pyarrow.RecordBatch`) of the flame profile: one Arrow IPC stream
//! each ("Tags `02` to `04`" of `spec/src/flame.md`), read and written with
//! the dataframe and series envelopes' Arrow code.
//!
//! Reading follows the page's "Processing order": the stream's framing
//! ([flame.stream.message], without item 4 of [ndarray.arrow.stream]); the
//! number of record batches ([flame.stream.batches]); for tag `03`, the one
//! field `data` ([flame.stream.array]); the column types
//! ([flame.stream.types]); the limits ([flame.stream.limits]); each
//! column's contents (item 4, under [flame.stream.message]); the
//! dictionaries and values ([flame.stream.values]); then, for tags `02` and
//! `04`, the pandas metadata ([flame.stream.table], the dataframe page's
//! pandas clauses and codes).

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::Schema;

use super::{PREFIX, TAG_ARRAY, TAG_TABLE};
use crate::envelope::dataframe::{TableClauses, arrow_batch, from_table, table_limit};
use crate::envelope::table::{arrow_array, arrow_columns, arrow_field};
use crate::error::{Code, Error, Result};
use crate::limits::Limits;
use crate::payload::ipc;
use crate::value::{Column, DataFrame, Series, TypedJson, Value};

/// The clause of a stream's framing and of its columns' contents.
const MESSAGE: &str = "flame.stream.message";

/// The clauses a stream's columns report after its framing.
const CLAUSES: TableClauses = TableClauses {
    types: "flame.stream.types",
    limits: "flame.stream.limits",
    dictionary: "flame.stream.values",
};

/// The name of the one field of a tag `03` stream ([flame.stream.array]).
const ARRAY_FIELD: &str = "data";

/// What flamepy wrote under `tag`, for messages.
fn what(tag: u8) -> &'static str {
    match tag {
        TAG_TABLE => "a pyarrow.Table (tag 02)",
        TAG_ARRAY => "a pyarrow.Array (tag 03)",
        _ => "a pyarrow.RecordBatch (tag 04)",
    }
}

/// The payload after `FLM` and a stream tag (`02` to `04`): a dataframe
/// value for `02` and `04`, a series value named null for `03`.
pub(super) fn decode(payload: &[u8], tag: u8, limits: &Limits) -> Result<Value> {
    // Custom metadata strings that are not UTF-8 are overwritten first, as
    // the dataframe reader does: they never change a value, except the
    // `pandas` entry, which is then not JSON text ([dataframe.pandas.metadata]).
    let sanitized = ipc::sanitize(payload, false);
    // [flame.stream.message], item 4 excepted; a dictionary id without its
    // DictionaryBatch is framing too.
    let table = ipc::read_stream_in(&sanitized.bytes, MESSAGE)?;
    table.check_dictionaries_present()?;
    // [flame.stream.batches]
    let batches = table.batches.len();
    if tag != TAG_TABLE && batches != 1 {
        return Err(Error::new(
            Code::ArrowPayload,
            "flame.stream.batches",
            format!("the stream of {} holds {batches} record batches; it holds exactly one", what(tag)),
        ));
    }
    if tag != TAG_ARRAY {
        // [flame.stream.types] to [flame.stream.values], then [flame.stream.table].
        return from_table(&table, &sanitized, limits, CLAUSES).map(Value::DataFrame);
    }
    // [flame.stream.array]
    let names: Vec<&str> = table.fields.iter().map(|f| f.name().unwrap_or_default()).collect();
    if names != [ARRAY_FIELD] {
        return Err(Error::new(
            Code::ArrowSchema,
            "flame.stream.array",
            format!("the schema has fields {names:?}; a pyarrow.Array's stream has exactly one field, named \"data\""),
        ));
    }
    let limit = table_limit(limits, CLAUSES.limits, "array", "values", "values");
    let mut columns = arrow_columns(&table, CLAUSES.types, limit, CLAUSES.dictionary)?;
    let column = columns
        .pop()
        .ok_or_else(|| Error::new(Code::ArrowSchema, "flame.stream.array", "the schema has no field"))?;
    Ok(Value::Series(Series { name: TypedJson::Null, column: Column { name: None, ..column } }))
}

/// `FLM`, `tag` and one Arrow IPC stream of `schema`: its dictionary
/// batches, exactly one record batch, the end-of-stream marker.
fn frame(tag: u8, schema: &Arc<Schema>, batch: &RecordBatch, clause: &'static str) -> Result<Vec<u8>> {
    let err = |e: arrow_schema::ArrowError| Error::new(Code::ArrowPayload, clause, format!("the Arrow writer failed: {e}"));
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&PREFIX);
    out.push(tag);
    let mut w = StreamWriter::try_new(out, schema).map_err(err)?;
    w.write(batch).map_err(err)?;
    w.finish().map_err(err)?;
    let out = w.into_inner().map_err(err)?;
    let max = Limits::default().max_input_bytes;
    if out.len() as u64 > max {
        return Err(Error::new(
            Code::LimitExceeded,
            "flame.encode.refuse",
            format!("the frame would be {} bytes; decoders read at most {max}", out.len()),
        ));
    }
    Ok(out)
}

/// [flame.encode.table]: a dataframe value as tag `02` or `04`, its
/// schema and `pandas` metadata those of the dataframe envelope's `arrow`
/// encoding; a value breaking its own rules is refused with the codes of
/// [dataframe.encode.refuse].
pub(super) fn encode_table(d: &DataFrame, tag: u8) -> Result<Vec<u8>> {
    let clause = "flame.encode.table";
    d.check_lengths()?;
    let (schema, batch) = arrow_batch(d, clause)?;
    frame(tag, &schema, &batch, clause)
}

/// [flame.encode.array]: a series value named null as tag `03`: one field
/// `data`, no custom metadata, one record batch.
pub(super) fn encode_array(s: &Series) -> Result<Vec<u8>> {
    let clause = "flame.encode.array";
    if !matches!(s.name, TypedJson::Null) {
        return Err(Error::new(
            Code::EncodingUnsupported,
            "flame.encode.refuse",
            format!(
                "the series is named {}; the array frame has no place for a name, and dropping it would lose it",
                s.name.to_canonical()
            ),
        ));
    }
    let c = &s.column;
    let schema = Arc::new(Schema::new(vec![arrow_field(ARRAY_FIELD, &c.ty)]));
    let array = arrow_array(c, clause)?;
    let batch = RecordBatch::try_new(schema.clone(), vec![array])
        .map_err(|e| Error::new(Code::ArrowPayload, clause, format!("the Arrow writer failed: {e}")))?;
    frame(TAG_ARRAY, &schema, &batch, clause)
}
