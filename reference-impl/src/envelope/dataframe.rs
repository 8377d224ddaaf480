//! The `dataframe` envelope (`spec/src/dataframe.md`): an Arrow IPC file
//! (`arrow`, and the buffer of a frame) or the rows as JSON objects (`json`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchOptions};
use arrow_ipc::MetadataVersion;
use arrow_ipc::writer::{FileWriter, IpcWriteOptions};
use arrow_schema::Schema;

use super::table::{Raw, arrow_array, arrow_columns, arrow_field, infer_type, json_cells, json_writable, write_cell};
use super::{Encoding, FrameOut, Members, Place, Version, field_type, missing};
use crate::error::{Code, Error, Result};
use crate::json::{Cursor, Deferred, Document, Json, Member, Reader, Scalar, object_members, parse_document, write_string};
use crate::limits::{Limits, MAX_SAFE_INTEGER};
use crate::payload::{base64, ipc};
use crate::value::{Column, DataFrame, Index, range_len};

/// The members besides the common ones ([dataframe.members]).
pub(crate) fn members(encoding: &str) -> &'static [&'static str] {
    match encoding {
        "arrow" => &["b64"],
        _ => &["data"],
    }
}

pub(crate) fn decode(m: &Members<'_>, _version: Version, encoding: &str, limits: &Limits, place: Place<'_, '_>) -> Result<DataFrame> {
    // [dataframe.required]: v1 and v0 alike.
    let name = members(encoding)[0];
    let payload = m.get(name).ok_or_else(|| missing("dataframe.required", name, ""))?;
    match (encoding, place) {
        ("arrow", _) => {
            let clause = "dataframe.arrow.base64";
            let Json::String(text) = payload else {
                return Err(field_type(clause, "b64", "a string", payload));
            };
            let bytes = base64::decode(text, limits, clause).map_err(|e| e.at("/b64"))?;
            decode_file(&bytes, limits)
        }
        ("frame", Place::Frame(buffers)) => decode_file(buffers.take("data", payload)?, limits),
        _ => decode_json(payload, m.deferred(name), limits),
    }
}

// ---------------------------------------------------------------- arrow

/// An Arrow IPC file's bytes ([dataframe.arrow.file] to [dataframe.pandas.index-columns]).
pub(crate) fn decode_file(bytes: &[u8], limits: &Limits) -> Result<DataFrame> {
    let sanitized = ipc::sanitize(bytes, true);
    let table = ipc::read_file(&sanitized.bytes)?;
    from_table(&table, &sanitized, limits, FILE_CLAUSES)
}

/// The clauses a table's checks report, after its framing.
#[derive(Clone, Copy)]
pub(crate) struct TableClauses {
    /// The column types (`E_COLUMN_TYPE`).
    pub types: &'static str,
    /// Cells plus dictionary entries, and rows (`E_LIMIT_EXCEEDED`).
    pub limits: &'static str,
    /// A dictionary's codes and entries (`E_VALUE_DOMAIN`).
    pub dictionary: &'static str,
}

/// The dataframe envelope's file ([dataframe.column-types],
/// [dataframe.arrow.limits], [dataframe.arrow.dictionary]).
const FILE_CLAUSES: TableClauses = TableClauses {
    types: "dataframe.column-types",
    limits: "dataframe.arrow.limits",
    dictionary: "dataframe.arrow.dictionary",
};

/// A table whose framing was read (from `sanitized`'s bytes) as a
/// dataframe: the column types, the limits, the contents, the values and
/// dictionaries, then the pandas metadata ([dataframe.pandas.metadata] to
/// [dataframe.pandas.index-columns]), in the "Processing order" of
/// [dataframe.arrow.file]; the clauses before the pandas ones as `clauses` names them.
pub(crate) fn from_table(table: &ipc::Table<'_>, sanitized: &ipc::Sanitized<'_>, limits: &Limits, clauses: TableClauses) -> Result<DataFrame> {
    let rows = table.rows();
    let decoded = arrow_columns(table, clauses.types, table_limit(limits, clauses.limits, "table", "cells", "rows"), clauses.dictionary)?;
    let pandas = table.metadata.iter().find(|(k, _)| *k == "pandas").map(|(_, v)| *v);
    let names: Vec<&str> = decoded.iter().map(|c| c.name.as_deref().unwrap_or_default()).collect();
    let plan = match pandas {
        None => Plan::Range(Index::default_for(rows)),
        Some(text) if sanitized.was_patched(text) => {
            return Err(Error::new(
                Code::PandasMetadata,
                "dataframe.pandas.metadata",
                "the pandas metadata is not JSON text: it is not UTF-8",
            ));
        }
        Some(text) => read_pandas(text, &names, rows, limits)?,
    };
    let mut columns: Vec<Option<Column>> = decoded.into_iter().map(Some).collect();
    let index = match plan {
        Plan::Range(r) => r,
        Plan::Columns(levels) => Index::Columns(
            levels
                .into_iter()
                .filter_map(|(k, name)| columns.get_mut(k).and_then(Option::take).map(|c| Column { name, ..c }))
                .collect(),
        ),
    };
    Ok(DataFrame { rows, columns: columns.into_iter().flatten().collect(), index })
}

/// [dataframe.arrow.limits] (and its flame twins, under `clause`): the
/// cells (`rows` × fields) plus dictionary entries against `max_elements`,
/// and the rows against 2^53−1 (a table of no columns costs nothing per
/// row, but its row count must be an integer every JSON reader holds
/// exactly). `what`, `cells` and `rows_word` word the message.
pub(crate) fn table_limit<'l>(
    limits: &'l Limits,
    clause: &'static str,
    what: &'static str,
    cells: &'static str,
    rows_word: &'static str,
) -> impl Fn(u64, u64) -> Result<()> + 'l {
    move |rows, elements| {
        let max = limits.max_elements;
        let over = |why: String| Err(Error::new(Code::LimitExceeded, clause, why));
        if elements > max {
            return over(format!("the {what} has {elements} {cells} and dictionary entries; the limit is {max}"));
        }
        if rows > MAX_SAFE_INTEGER {
            return over(format!("the {what} has {rows} {rows_word}, beyond 2^53-1"));
        }
        Ok(())
    }
}

/// What the pandas metadata says of the index.
enum Plan {
    Range(Index),
    /// Index fields, by field number, with their names.
    Columns(Vec<(usize, Option<String>)>),
}

fn member<'m, 'a>(list: &'m [Member<'a>], name: &str) -> Option<&'m Json<'a>> {
    list.iter().find(|(k, _, _)| k == name).map(|(_, v, _)| v)
}

fn optional_name(j: Option<&Json<'_>>) -> Option<Option<String>> {
    match j {
        Some(Json::String(s)) => Some(Some(s.to_string())),
        Some(Json::Null) => Some(None),
        _ => None,
    }
}

/// [dataframe.pandas.metadata], [dataframe.pandas.index].
fn read_pandas(text: &str, fields: &[&str], rows: u64, limits: &Limits) -> Result<Plan> {
    let meta = |why: String| Error::new(Code::PandasMetadata, "dataframe.pandas.metadata", why);
    let index = |why: String| Error::new(Code::PandasMetadata, "dataframe.pandas.index", why);
    let top = match parse_document(text.as_bytes(), limits.max_depth) {
        Ok(Document::Object(list)) => list,
        Ok(Document::Other(what)) => return Err(meta(format!("the pandas metadata is {what}, not an object"))),
        Err(e) => return Err(meta(format!("the pandas metadata is not JSON text: {}", e.message()))),
    };
    let Some(Json::Array(entries)) = member(&top, "index_columns") else {
        return Err(meta("the pandas metadata has no array index_columns".into()));
    };
    enum Entry<'a> {
        Range(&'a str),
        Name(Cow<'a, str>),
    }
    let mut list = Vec::new();
    let mut c = Cursor::new(entries);
    c.open_array();
    while c.next_item() {
        match c.value()? {
            Json::Object(span) => list.push(Entry::Range(span)),
            Json::String(s) => list.push(Entry::Name(s)),
            other => return Err(index(format!("an index_columns entry is {}, not a range object or a column name", other.type_name()))),
        }
    }
    if list.is_empty() {
        return Ok(Plan::Range(Index::default_for(rows)));
    }
    let any_name = list.iter().any(|e| matches!(e, Entry::Name(_)));
    let mut described: Vec<(Cow<'_, str>, Option<Option<String>>)> = Vec::new();
    if any_name {
        let Some(Json::Array(cols)) = member(&top, "columns") else {
            return Err(meta("index_columns names a column, but the metadata has no array columns".into()));
        };
        let mut c = Cursor::new(cols);
        c.open_array();
        while c.next_item() {
            let Json::Object(span) = c.value()? else {
                return Err(meta("an entry of columns is not an object".into()));
            };
            let obj = object_members(span)?;
            if let Some(Json::String(f)) = member(&obj, "field_name") {
                described.push((f.clone(), optional_name(member(&obj, "name"))));
            }
        }
    }
    let mut plan = Vec::new();
    for entry in &list {
        match entry {
            Entry::Range(span) => {
                let obj = object_members(span)?;
                if !matches!(member(&obj, "kind"), Some(Json::String(k)) if k == "range") {
                    return Err(index("an index_columns object is not a range (kind \"range\")".into()));
                }
                let int = |k: &str| match member(&obj, k) {
                    Some(Json::Number(t)) if !t.contains(['.', 'e', 'E']) => {
                        t.parse::<i64>().ok().filter(|v| v.unsigned_abs() <= MAX_SAFE_INTEGER)
                    }
                    _ => None,
                };
                let (Some(start), Some(stop), Some(step)) = (int("start"), int("stop"), int("step")) else {
                    return Err(index("a range's start, stop and step are integer tokens within ±(2^53-1)".into()));
                };
                if step == 0 {
                    return Err(index("a range's step is 0".into()));
                }
                let Some(name) = optional_name(member(&obj, "name")) else {
                    return Err(index("a range's name is a string or null".into()));
                };
                if list.len() != 1 {
                    return Err(index("a range index is the only entry of index_columns".into()));
                }
                let n = range_len(start, stop, step).unwrap_or(0);
                if n != rows {
                    return Err(index(format!("the range index has {n} values; the table has {rows} rows")));
                }
                return Ok(Plan::Range(Index::Range { name, start, stop, step }));
            }
            Entry::Name(s) => {
                let matching: Vec<usize> = fields.iter().enumerate().filter(|(_, f)| **f == s.as_ref()).map(|(k, _)| k).collect();
                let [k] = matching[..] else {
                    return Err(index(format!("index column {s:?} names {} fields of the schema, not one", matching.len())));
                };
                let described: Vec<&Option<Option<String>>> = described.iter().filter(|(f, _)| f == s).map(|(_, n)| n).collect();
                let [Some(name)] = described[..] else {
                    return Err(index(format!(
                        "index column {s:?} is the field_name of {} objects of columns, not one whose name is a string or null",
                        described.len()
                    )));
                };
                if plan.iter().any(|(j, _)| *j == k) {
                    return Err(index(format!("index_columns names field {s:?} twice")));
                }
                plan.push((k, name.clone()));
            }
        }
    }
    Ok(Plan::Columns(plan))
}

// ---------------------------------------------------------------- json

/// [dataframe.json.rows] to [dataframe.json.values], in that order, in one
/// walk of `data` that validates it as it reads it (when `data` is
/// `deferred`: located but not yet validated, [`Deferred`]; a fault found
/// before the walk ends is reported only after [`Deferred::check`], which
/// the caller runs). The walk reads each row as it counts it: the first row
/// that is not an object ends it; a [dataframe.json.columns] fault is kept,
/// and reported only when no row fault follows and the limit holds; and no
/// cell is stored once the rows so far, at the first row's member count,
/// pass [dataframe.json.limits], which is decided on all the rows (cells
/// stored never outnumber rows × first row's members: a row with more
/// members is a columns fault).
fn decode_json(payload: &Json<'_>, deferred: Option<&Deferred<'_>>, limits: &Limits) -> Result<DataFrame> {
    let Json::Array(span) = payload else {
        return Err(field_type("dataframe.json.rows", "data", "an array of objects", payload));
    };
    // The first row's members, and the rows.
    let mut first: u64 = 0;
    let mut rows: u64 = 0;
    let mut names: Vec<Cow<'_, str>> = Vec::new();
    let mut raw: Vec<Vec<Raw<'_>>> = Vec::new();
    // The first [dataframe.json.columns] fault; after it, or once the limit
    // is passed, rows are only counted.
    let mut columns_fault: Option<Error> = None;
    let mut over_limit = false;
    let mut r = deferred.map_or_else(|| Reader::over(span), Deferred::reader);
    r.open_array()?;
    while r.next_item(rows == 0)? {
        if r.peek() != Some(b'{') {
            let what = match r.scalar()? {
                Scalar::Array => "an array",
                Scalar::String => "a string",
                Scalar::Null => "null",
                Scalar::Bool(_) => "a boolean",
                _ => "a number",
            };
            return Err(Error::new(Code::FieldType, "dataframe.json.rows", format!("row {rows} is {what}, not an object"))
                .at(format!("/data/{rows}")));
        }
        let row = rows;
        rows += 1;
        over_limit = over_limit || rows.saturating_mul(first).saturating_mul(8) > limits.max_decoded_bytes;
        if columns_fault.is_some() || over_limit {
            r.skip()?;
            continue;
        }
        let members = r.members()?;
        if row == 0 {
            first = members.len() as u64;
            if first.saturating_mul(8) > limits.max_decoded_bytes {
                // The limit fails whatever follows: the rows are only counted.
                over_limit = true;
                continue;
            }
            raw = members.iter().map(|_| Vec::new()).collect();
        } else if let Some(k) = (0..members.len().max(names.len())).find(|&k| names.get(k) != members.get(k).map(|m| &m.0)) {
            let why = match (members.get(k), names.get(k)) {
                (Some((name, _, _)), want) => {
                    let want = want.map_or_else(|| "no more members".to_string(), |n| format!("{n:?}"));
                    format!("row {row} has member {name:?} where the first row has {want}")
                }
                (None, _) => format!("row {row} has {k} members; the first row has {}", names.len()),
            };
            columns_fault = Some(Error::new(Code::ShapeMismatch, "dataframe.json.columns", why).at(format!("/data/{row}")));
            continue;
        }
        for (k, (name, value, text)) in members.into_iter().enumerate() {
            raw[k].push(match value {
                Json::Null => Raw::Null,
                Json::Bool => Raw::Bool(text.starts_with('t')),
                Json::Number(t) => Raw::Num(t),
                Json::String(s) => Raw::Str(s),
                Json::Array(_) => Raw::Nested("an array"),
                Json::Object(_) => Raw::Nested("an object"),
            });
            if row == 0 {
                names.push(name);
            }
        }
    }
    if let Some(d) = deferred {
        d.read_to_end(&r);
    }
    // [dataframe.json.limits]: rows × first row's members × 8 bytes.
    let bytes = rows.saturating_mul(first).saturating_mul(8);
    if bytes > limits.max_decoded_bytes {
        return Err(Error::new(
            Code::LimitExceeded,
            "dataframe.json.limits",
            format!(
                "{rows} rows of {first} cells take {bytes} bytes as 8-byte cells; the limit is {}",
                limits.max_decoded_bytes
            ),
        )
        .at("/data"));
    }
    if let Some(e) = columns_fault {
        return Err(e);
    }
    typed_columns(rows, &names, raw)
}

/// [dataframe.json.types], then [dataframe.json.values]: the frame of the
/// cells read, column by column.
fn typed_columns(rows: u64, names: &[Cow<'_, str>], raw: Vec<Vec<Raw<'_>>>) -> Result<DataFrame> {
    let mut types = Vec::with_capacity(raw.len());
    for (k, col) in raw.iter().enumerate() {
        types.push(infer_type(col).map_err(|(i, why)| {
            Error::new(Code::ColumnType, "dataframe.json.types", format!("row {i} of column {:?} {why}", names[k]))
                .at(format!("/data/{i}/{}", pointer_token(&names[k])))
        })?);
    }
    let mut columns = Vec::with_capacity(raw.len());
    for (k, (col, ty)) in raw.into_iter().zip(types).enumerate() {
        let cells = json_cells(col, &ty).map_err(|(i, why)| {
            Error::new(Code::ValueDomain, "dataframe.json.values", format!("row {i} of column {:?} {why}", names[k]))
                .at(format!("/data/{i}/{}", pointer_token(&names[k])))
        })?;
        columns.push(Column { name: Some(names[k].to_string()), ty, cells, dictionary: None });
    }
    Ok(DataFrame { rows, columns, index: Index::default_for(rows) })
}

fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

// ---------------------------------------------------------------- encode

/// [dataframe.encode.members], refusing per [dataframe.encode.refuse].
pub(crate) fn encode<'v>(d: &'v DataFrame, encoding: Encoding, out: &mut FrameOut<'v>) -> Result<String> {
    d.check_lengths()?;
    let mut head = format!("{{\"__tywrap__\":\"dataframe\",\"codecVersion\":1,\"encoding\":\"{}\",", encoding.as_str());
    match encoding {
        Encoding::Json => {
            head.push_str("\"data\":");
            write_json(d, &mut head)?;
        }
        Encoding::Arrow => {
            head.push_str("\"b64\":\"");
            head.push_str(&base64::encode(&write_file(d)?));
            head.push('"');
        }
        Encoding::Frame => {
            let index = out.push(Cow::Owned(write_file(d)?));
            head.push_str(&format!("\"data\":{index}"));
        }
    }
    head.push('}');
    Ok(head)
}

fn write_json(d: &DataFrame, out: &mut String) -> Result<()> {
    let clause = "dataframe.encode.refuse";
    let unsupported = |why: String| Error::new(Code::EncodingUnsupported, clause, why);
    if d.index != Index::default_for(d.rows) {
        return Err(unsupported("the json encoding carries only the unnamed index range(0, rows, 1)".into()));
    }
    if d.rows == 0 && !d.columns.is_empty() {
        return Err(unsupported("the json encoding carries no columns when there are no rows".into()));
    }
    for c in &d.columns {
        json_writable(c, &format!("column {:?}", c.name.as_deref().unwrap_or_default()), clause)?;
    }
    let mut seen = std::collections::HashSet::new();
    for c in &d.columns {
        let name = c.name.as_deref().unwrap_or_default();
        if !seen.insert(name) {
            return Err(Error::new(Code::JsonDuplicateKey, clause, format!("two columns are named {name:?}; a json row holds one")));
        }
    }
    out.push('[');
    for r in 0..d.rows as usize {
        if r > 0 {
            out.push(',');
        }
        out.push('{');
        for (k, c) in d.columns.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            write_string(out, c.name.as_deref().unwrap_or_default());
            out.push(':');
            write_cell(&c.cells, r, out, clause)?;
        }
        out.push('}');
    }
    out.push(']');
    Ok(())
}

/// pandas' logical type name for a column type, as pyarrow writes it
/// (timestamps as `datetime`: the Arrow type carries the timezone).
fn pandas_type(t: &crate::value::ColumnType) -> String {
    use crate::value::ColumnType as T;
    match t {
        T::Bool => "bool".into(),
        T::Int(i) => i.name(),
        T::Float(b) => format!("float{b}"),
        T::String => "unicode".into(),
        T::Binary => "bytes".into(),
        T::Date32 => "date".into(),
        T::Timestamp(..) => "datetime".into(),
        T::Duration(_) => "timedelta".into(),
        T::Null => "empty".into(),
        T::Dictionary { .. } => "categorical".into(),
    }
}

/// One Arrow IPC file: columns, then index columns as `__index_level_K__`
/// (K skipping the names already taken), the pandas metadata, at most one record batch.
pub(crate) fn write_file(d: &DataFrame) -> Result<Vec<u8>> {
    let clause = "dataframe.encode.members";
    let (schema, batch) = arrow_batch(d, clause)?;
    let err = |e: arrow_schema::ArrowError| Error::new(Code::ArrowPayload, clause, format!("the Arrow writer failed: {e}"));
    // 8-byte alignment: the magic is followed by two zero bytes, not padded
    // to 64 as arrow-rs does by default ([dataframe.arrow.file] item 1).
    let options = IpcWriteOptions::try_new(8, false, MetadataVersion::V5).map_err(err)?;
    let mut w = FileWriter::try_new_with_options(Vec::new(), &schema, options).map_err(err)?;
    w.write(&batch).map_err(err)?;
    w.finish().map_err(err)?;
    w.into_inner().map_err(err)
}

/// The schema (fields and `pandas` metadata) and the one record batch of
/// `d` ([dataframe.encode.members]), failures reported under `clause`:
/// columns, then index columns as `__index_level_K__` (K skipping the
/// names already taken).
pub(crate) fn arrow_batch(d: &DataFrame, clause: &'static str) -> Result<(Arc<Schema>, RecordBatch)> {
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for c in &d.columns {
        fields.push(arrow_field(c.name.as_deref().unwrap_or_default(), &c.ty));
        arrays.push(arrow_array(c, clause)?);
    }
    let mut index_columns = Vec::new();
    let mut described = Vec::new();
    match &d.index {
        Index::Range { name, start, stop, step } => {
            index_columns.push(serde_json::json!({"kind": "range", "name": name, "start": start, "stop": stop, "step": step}));
        }
        Index::Columns(levels) => {
            // `__index_level_K__`, K from 0, skipping every K whose name a
            // column or an earlier index field already has.
            let mut taken: std::collections::HashSet<String> = d.columns.iter().filter_map(|c| c.name.clone()).collect();
            let mut k = 0u64;
            for c in levels {
                let field = loop {
                    let f = format!("__index_level_{k}__");
                    k += 1;
                    if !taken.contains(&f) {
                        break f;
                    }
                };
                taken.insert(field.clone());
                fields.push(arrow_field(&field, &c.ty));
                arrays.push(arrow_array(c, clause)?);
                index_columns.push(field.clone().into());
                // pyarrow's `to_pandas` reads `pandas_type` of every columns
                // object; sciwire's decoders ignore it ([dataframe.pandas.ignored]).
                described.push(serde_json::json!({"name": c.name, "field_name": field,
                    "pandas_type": pandas_type(&c.ty), "numpy_type": "object", "metadata": null}));
            }
        }
    }
    let pandas = serde_json::json!({"index_columns": index_columns, "columns": described}).to_string();
    let schema = Arc::new(Schema::new_with_metadata(fields, HashMap::from([("pandas".to_string(), pandas)])));
    let err = |e: arrow_schema::ArrowError| Error::new(Code::ArrowPayload, clause, format!("the Arrow writer failed: {e}"));
    let batch_options = RecordBatchOptions::new().with_row_count(Some(d.rows as usize));
    let batch = RecordBatch::try_new_with_options(schema.clone(), arrays, &batch_options).map_err(err)?;
    Ok((schema, batch))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// A cell as the two passes read it, with a [`Cursor`].
    fn read_raw<'a>(c: &mut Cursor<'a>) -> Result<Raw<'a>> {
        if c.peek() == Some(b'"') {
            return Ok(Raw::Str(c.string()?));
        }
        Ok(match c.scalar() {
            Scalar::Null => Raw::Null,
            Scalar::Bool(b) => Raw::Bool(b),
            Scalar::Number(t) => Raw::Num(t),
            Scalar::Array => Raw::Nested("an array"),
            Scalar::Object | Scalar::String => Raw::Nested("an object"),
        })
    }

    /// [`decode_json`] as it was before its walk was one: the text
    /// validated, then the rows counted (each skipped), the limit checked,
    /// then the rows read, with a [`Cursor`].
    fn two_passes(payload: &Json<'_>, limits: &Limits) -> Result<DataFrame> {
        let Json::Array(span) = payload else {
            return Err(field_type("dataframe.json.rows", "data", "an array of objects", payload));
        };
        // [dataframe.json.rows], counting the rows and the first row's members
        // for [dataframe.json.limits].
        let mut first: u64 = 0;
        let mut rows: u64 = 0;
        let mut c = Cursor::new(span);
        c.open_array();
        while c.next_item() {
            if c.peek() != Some(b'{') {
                let what = match c.scalar() {
                    crate::json::Scalar::Array => "an array".to_string(),
                    crate::json::Scalar::String => "a string".to_string(),
                    crate::json::Scalar::Null => "null".to_string(),
                    crate::json::Scalar::Bool(_) => "a boolean".to_string(),
                    _ => "a number".to_string(),
                };
                return Err(Error::new(Code::FieldType, "dataframe.json.rows", format!("row {rows} is {what}, not an object"))
                    .at(format!("/data/{rows}")));
            }
            if rows == 0 {
                c.open_object();
                while c.next_member()?.is_some() {
                    c.skip();
                    first += 1;
                }
            } else {
                c.skip();
            }
            rows += 1;
        }
        // [dataframe.json.limits]: rows × first row's members × 8 bytes, before
        // any cell is stored and before the rows' members are compared.
        let bytes = rows.saturating_mul(first).saturating_mul(8);
        if bytes > limits.max_decoded_bytes {
            return Err(Error::new(
                Code::LimitExceeded,
                "dataframe.json.limits",
                format!(
                    "{rows} rows of {first} cells take {bytes} bytes as 8-byte cells; the limit is {}",
                    limits.max_decoded_bytes
                ),
            )
            .at("/data"));
        }
        // [dataframe.json.columns]
        let mut names: Vec<Cow<'_, str>> = Vec::new();
        let mut raw: Vec<Vec<Raw<'_>>> = Vec::new();
        let mut c = Cursor::new(span);
        c.open_array();
        let mut r = 0u64;
        while c.next_item() {
            c.open_object();
            let mut k = 0;
            while let Some(name) = c.next_member()? {
                if r == 0 {
                    names.push(name);
                    raw.push(Vec::with_capacity(rows as usize));
                } else if names.get(k) != Some(&name) {
                    let want = names.get(k).map_or_else(|| "no more members".to_string(), |n| format!("{n:?}"));
                    return Err(Error::new(
                        Code::ShapeMismatch,
                        "dataframe.json.columns",
                        format!("row {r} has member {name:?} where the first row has {want}"),
                    )
                    .at(format!("/data/{r}")));
                }
                raw[k].push(read_raw(&mut c)?);
                k += 1;
            }
            if k != names.len() {
                return Err(Error::new(
                    Code::ShapeMismatch,
                    "dataframe.json.columns",
                    format!("row {r} has {k} members; the first row has {}", names.len()),
                )
                .at(format!("/data/{r}")));
            }
            r += 1;
        }
        // The types and values, as decode_json reads them.
        typed_columns(rows, &names, raw)
    }

    /// Random rows (objects of some of three members in any order, or now
    /// and then not an object) under random limits decode exactly as they
    /// did with two passes: the same frame, or the same error (code, clause,
    /// message, path).
    #[test]
    fn one_walk_decodes_as_two_passes_did() {
        let mut rng = crate::test_rng(0x9e37_79b9_7f4a_7c15u64);
        let cells = ["1", "2.5", "-0", "1e400", "9007199254740993", "\"s\"", "null", "true", "[1]", "{\"a\":1}"];
        let (mut ok, mut seen) = (0, std::collections::HashSet::new());
        for _ in 0..40_000 {
            // Each member's usual cell, and now and then any of `cells`.
            let usual: Vec<&str> = (0..3).map(|_| cells[rng(3) + 5 * rng(2)]).collect();
            let rows: Vec<String> = (0..rng(6))
                .map(|_| {
                    if rng(12) == 0 {
                        return ["1", "[]", "null", "\"r\""][rng(4)].to_string();
                    }
                    let mut names = ["a", "b", "c"];
                    if rng(3) == 0 {
                        names.swap(rng(3), rng(3));
                    }
                    let n = if rng(3) == 0 { rng(4) } else { 2 };
                    let members: Vec<String> = names[..n]
                        .iter()
                        .map(|k| {
                            let cell = if rng(8) == 0 { cells[rng(cells.len())] } else { usual[usize::from(k.as_bytes()[0] - b'a')] };
                            format!("\"{k}\":{cell}")
                        })
                        .collect();
                    format!("{{{}}}", members.join(","))
                })
                .collect();
            let text = format!("[{}]", rows.join(", "));
            let limits = Limits { max_decoded_bytes: [0, 8, 16, 24, 40, 64, u64::MAX][rng(7)], ..Limits::default() };
            let payload = Json::Array(&text);
            let got = decode_json(&payload, None, &limits);
            let want = two_passes(&payload, &limits);
            match &got {
                Ok(_) => ok += 1,
                Err(e) => {
                    seen.insert(e.clause());
                }
            }
            assert_eq!(got, want, "{text} under {}", limits.max_decoded_bytes);
        }
        let mut seen: Vec<_> = seen.into_iter().collect();
        seen.sort_unstable();
        assert!(ok > 2_000, "{ok} accepted");
        assert_eq!(seen, ["dataframe.json.columns", "dataframe.json.limits", "dataframe.json.rows", "dataframe.json.types", "dataframe.json.values"]);
    }
}
