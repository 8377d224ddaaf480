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
use crate::envelope::dataframe::{TableClauses, arrow_batch, from_table};
use crate::envelope::table::{arrow_array, arrow_columns, arrow_field};
use crate::error::{Code, Error, Result};
use crate::limits::{Limits, MAX_SAFE_INTEGER};
use crate::payload::ipc;
use crate::value::{Column, ColumnType, DataFrame, Index, Series, TypedJson, Value};

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
    let limit = |rows: u64, elements: u64| {
        let over = |why: String| Err(Error::new(Code::LimitExceeded, CLAUSES.limits, why));
        if elements > limits.max_elements {
            return over(format!("the array has {elements} values and dictionary entries; the limit is {}", limits.max_elements));
        }
        if rows > MAX_SAFE_INTEGER {
            return over(format!("the array has {rows} values, beyond 2^53-1"));
        }
        Ok(())
    };
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
    let names = d.columns.iter().chain(index_columns(&d.index)).filter_map(|c| c.name.as_deref());
    let Some(marker) = EmptyTimezones::new(d.columns.iter().chain(index_columns(&d.index)).map(|c| &c.ty), names) else {
        let (schema, batch) = arrow_batch(d, clause)?;
        return frame(tag, &schema, &batch, clause);
    };
    // Empty timezones written as the marker, then emptied in place.
    let mark = |c: &Column| Column { ty: marker.mark(&c.ty), ..c.clone() };
    let marked = DataFrame {
        rows: d.rows,
        columns: d.columns.iter().map(mark).collect(),
        index: match &d.index {
            Index::Columns(levels) => Index::Columns(levels.iter().map(mark).collect()),
            range => range.clone(),
        },
    };
    let (schema, batch) = arrow_batch(&marked, clause)?;
    marker.empty(frame(tag, &schema, &batch, clause)?, clause)
}

fn index_columns(index: &Index) -> &[Column] {
    match index {
        Index::Columns(levels) => levels,
        Index::Range { .. } => &[],
    }
}

/// Timestamp types whose timezone is the empty string: arrow-rs, like
/// Arrow C++, writes no `timezone` for an empty one, which reads back as
/// absent (`null`), another column type ([dataframe.column-types]: "the
/// `timezone` string exactly as written"). Such a type is written with a
/// marker timezone instead, and each marker string in the schema message is
/// then emptied in place: its length set to 0 and its first byte to the
/// terminating zero (the rest of its bytes are left unreferenced, as a
/// flatbuffer allows).
struct EmptyTimezones {
    marker: String,
    /// How many fields have such a type (once each, a dictionary's values included).
    fields: usize,
}

impl EmptyTimezones {
    /// `None` when no type has an empty timezone; otherwise a marker that
    /// no name contains.
    fn new<'t, 'n>(types: impl Iterator<Item = &'t ColumnType>, names: impl Iterator<Item = &'n str> + Clone) -> Option<Self> {
        fn has_empty(t: &ColumnType) -> bool {
            match t {
                ColumnType::Timestamp(_, Some(tz)) => tz.is_empty(),
                ColumnType::Dictionary { values, .. } => has_empty(values),
                _ => false,
            }
        }
        let fields = types.filter(|t| has_empty(t)).count();
        if fields == 0 {
            return None;
        }
        let marker = (0u32..)
            .map(|i| format!("\u{1}sciwire:empty-timezone:{i}\u{1}"))
            .find(|m| names.clone().all(|n| !n.contains(m.as_str())))?;
        Some(EmptyTimezones { marker, fields })
    }

    /// `t` with each empty timezone replaced by the marker.
    fn mark(&self, t: &ColumnType) -> ColumnType {
        match t {
            ColumnType::Timestamp(u, Some(tz)) if tz.is_empty() => ColumnType::Timestamp(*u, Some(self.marker.clone())),
            ColumnType::Dictionary { index, ordered, values } => {
                ColumnType::Dictionary { index: *index, ordered: *ordered, values: Box::new(self.mark(values)) }
            }
            other => other.clone(),
        }
    }

    /// The frame with each marker string of its schema message emptied.
    fn empty(&self, mut frame: Vec<u8>, clause: &'static str) -> Result<Vec<u8>> {
        let broken = |why: &str| Error::new(Code::ArrowPayload, clause, format!("writing an empty timezone: {why}"));
        // The schema message: FLM and the tag, continuation, size, metadata.
        let size = frame.get(8..12).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let end = size.and_then(|m| usize::try_from(m).ok()).map(|m| 12 + m).filter(|&e| e <= frame.len());
        let end = end.ok_or_else(|| broken("no schema message"))?;
        let m = self.marker.as_bytes();
        let len = u32::try_from(m.len()).map_err(|_| broken("the marker is too long"))?;
        let pattern: Vec<u8> = [len.to_le_bytes().as_slice(), m, &[0]].concat();
        let mut found = 0;
        let mut at = 12;
        while let Some(p) = frame.get(at..end).and_then(|w| w.windows(pattern.len()).position(|x| x == pattern.as_slice())) {
            let start = at + p;
            frame[start..start + 4].copy_from_slice(&[0; 4]);
            frame[start + 4] = 0;
            found += 1;
            at = start + pattern.len();
        }
        if found != self.fields {
            return Err(broken(&format!("{found} marker strings in the schema for {} fields", self.fields)));
        }
        Ok(frame)
    }
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
    let marker = EmptyTimezones::new(std::iter::once(&s.column.ty), std::iter::once(ARRAY_FIELD));
    let marked;
    let c = match &marker {
        None => &s.column,
        Some(m) => {
            marked = Column { ty: m.mark(&s.column.ty), ..s.column.clone() };
            &marked
        }
    };
    let schema = Arc::new(Schema::new(vec![arrow_field(ARRAY_FIELD, &c.ty)]));
    let array = arrow_array(c, clause)?;
    let batch = RecordBatch::try_new(schema.clone(), vec![array])
        .map_err(|e| Error::new(Code::ArrowPayload, clause, format!("the Arrow writer failed: {e}")))?;
    let out = frame(TAG_ARRAY, &schema, &batch, clause)?;
    match marker {
        None => Ok(out),
        Some(m) => m.empty(out, clause),
    }
}
