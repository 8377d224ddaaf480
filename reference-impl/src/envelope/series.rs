//! The `series` envelope (`spec/src/series.md`): one named column, as an
//! Arrow IPC stream (`arrow`, and the buffer of a frame) or a JSON array.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::Schema;

use super::fields::write_f64;
use super::table::{Raw, arrow_array, arrow_columns, arrow_field, infer_type, json_cells, json_writable, read_raw_checked, write_cell};
use super::{Encoding, FrameOut, Members, Place, Version, field_type, missing};
use crate::error::{Code, Error, Result};
use crate::json::{Deferred, Json, Reader, number_value, write_string};
use crate::limits::{Limits, MAX_SAFE_INTEGER};
use crate::payload::{base64, ipc};
use crate::value::{Column, Series, TypedJson, check_name};

/// The members besides the common ones ([series.members]).
pub(crate) fn members(encoding: &str) -> &'static [&'static str] {
    match encoding {
        "arrow" => &["b64", "name"],
        _ => &["data", "name"],
    }
}

pub(crate) fn decode(m: &Members<'_>, version: Version, encoding: &str, limits: &Limits, place: Place<'_, '_>) -> Result<Series> {
    // [series.required]
    let payload_name = members(encoding)[0];
    let payload = m.get(payload_name).ok_or_else(|| missing("series.required", payload_name, ""))?;
    let name = match m.get_with_text("name") {
        Some((j, text)) => read_name(j, text)?,
        None if version == Version::V0 => TypedJson::Null,
        None => return Err(missing("series.required", "name", "")),
    };
    let column = match (encoding, place) {
        ("arrow", _) => {
            let clause = "series.arrow.base64";
            let Json::String(text) = payload else {
                return Err(field_type(clause, "b64", "a string", payload));
            };
            let bytes = base64::decode(text, limits, clause).map_err(|e| e.at("/b64"))?;
            decode_stream(&bytes, limits)?
        }
        ("frame", Place::Frame(buffers)) => decode_stream(buffers.take("data", payload)?, limits)?,
        _ => decode_json(payload, m.deferred(payload_name), limits)?,
    };
    Ok(Series { name, column })
}

/// [series.name]: a scalar, its number kind kept.
fn read_name(j: &Json<'_>, text: &str) -> Result<TypedJson> {
    let clause = "series.name";
    let domain = |why: String| Error::new(Code::ValueDomain, clause, why).at("/name");
    Ok(match j {
        Json::Null => TypedJson::Null,
        Json::Bool => TypedJson::Bool(text.trim() == "true"),
        Json::String(s) => TypedJson::String(s.to_string()),
        Json::Number(t) if t.contains(['.', 'e', 'E']) => {
            TypedJson::Float(number_value(t).ok_or_else(|| domain(format!("the float name {t} is beyond the range of binary64")))?)
        }
        Json::Number(t) => match t.parse::<i64>() {
            Ok(v) if v.unsigned_abs() <= MAX_SAFE_INTEGER => TypedJson::Int(v),
            _ => return Err(domain(format!("the integer name {t} is beyond ±(2^53-1)"))),
        },
        other => return Err(field_type(clause, "name", "a string, a number, a boolean or null", other)),
    })
}

/// An Arrow IPC stream's bytes ([series.arrow.stream] to [series.arrow.values]).
fn decode_stream(bytes: &[u8], limits: &Limits) -> Result<Column> {
    let sanitized = ipc::sanitize(bytes, false);
    let table = ipc::read_stream(&sanitized.bytes)?;
    let names: Vec<&str> = table.fields.iter().map(|f| f.name().unwrap_or_default()).collect();
    if names != ["value"] {
        return Err(Error::new(
            Code::ArrowSchema,
            "series.arrow.schema",
            format!("the schema has fields {names:?}; exactly one field named \"value\" is required"),
        ));
    }
    // [series.arrow.limits]: the values plus the dictionary's entries.
    let limit = |_rows: u64, elements: u64| {
        let max = limits.max_elements;
        if elements > max {
            return Err(Error::new(
                Code::LimitExceeded,
                "series.arrow.limits",
                format!("the series has {elements} values and dictionary entries; the limit is {max}"),
            ));
        }
        Ok(())
    };
    let mut cols = arrow_columns(&table, "series.arrow.type", limit, "series.arrow.values")?;
    let Some(column) = cols.pop() else {
        return Err(Error::new(Code::ArrowSchema, "series.arrow.schema", "the schema has no field"));
    };
    Ok(Column { name: None, ..column })
}

/// [series.json.data] and [series.json.values]. When `data` is `deferred`
/// (located but not yet validated: [`Deferred`]), it is validated as it is
/// read, in one pass; a fault found before the read (the limit) is
/// reported only after [`Deferred::check`], which the caller runs.
fn decode_json(payload: &Json<'_>, deferred: Option<&Deferred<'_>>, limits: &Limits) -> Result<Column> {
    let clause = "series.json.data";
    let Json::Array(span) = payload else {
        return Err(field_type(clause, "data", "an array", payload));
    };
    // Exact for valid text. Of a deferred span not yet validated, only a
    // number no larger than its length: its limit error waits for the check.
    let n = crate::json::count_items(span, u64::MAX);
    // Before any value is stored: 8 bytes a value against max_decoded_bytes.
    let bytes = n.saturating_mul(8);
    if bytes > limits.max_decoded_bytes {
        return Err(Error::new(
            Code::LimitExceeded,
            clause,
            format!("data has {n} values, {bytes} bytes as 8-byte values; the limit is {}", limits.max_decoded_bytes),
        )
        .at("/data"));
    }
    let mut raw: Vec<Raw<'_>> = Vec::with_capacity(n as usize);
    let mut r = deferred.map_or_else(|| Reader::over(span), Deferred::reader);
    r.open_array()?;
    while r.next_item(raw.is_empty())? {
        raw.push(read_raw_checked(&mut r)?);
    }
    if let Some(d) = deferred {
        d.read_to_end(&r);
    }
    let clause = "series.json.values";
    let ty = infer_type(&raw)
        .map_err(|(i, why)| Error::new(Code::ColumnType, clause, format!("value {i} {why}")).at(format!("/data/{i}")))?;
    let cells = json_cells(raw, &ty)
        .map_err(|(i, why)| Error::new(Code::ValueDomain, clause, format!("value {i} {why}")).at(format!("/data/{i}")))?;
    Ok(Column { name: None, ty, cells, dictionary: None })
}

// ---------------------------------------------------------------- encode

/// [series.encode.members], refusing per [series.encode.refuse].
pub(crate) fn encode<'v>(s: &'v Series, encoding: Encoding, out: &mut FrameOut<'v>) -> Result<String> {
    let clause = "series.encode.refuse";
    check_name(&s.name, clause)?;
    let mut head = format!("{{\"__tywrap__\":\"series\",\"codecVersion\":1,\"encoding\":\"{}\",", encoding.as_str());
    match encoding {
        Encoding::Json => {
            let c = &s.column;
            if c.cells.is_empty() && c.ty != crate::value::ColumnType::Null {
                return Err(Error::new(
                    Code::EncodingUnsupported,
                    clause,
                    format!("an empty series of type {} reads back from json as null", c.ty.to_canonical()),
                ));
            }
            json_writable(c, "the series", clause)?;
            head.push_str("\"data\":[");
            for i in 0..c.cells.len() as usize {
                if i > 0 {
                    head.push(',');
                }
                write_cell(&c.cells, i, &mut head, clause)?;
            }
            head.push(']');
        }
        Encoding::Arrow => {
            head.push_str("\"b64\":\"");
            head.push_str(&base64::encode(&write_stream(&s.column)?));
            head.push('"');
        }
        Encoding::Frame => {
            let index = out.push(Cow::Owned(write_stream(&s.column)?));
            head.push_str(&format!("\"data\":{index}"));
        }
    }
    head.push_str(",\"name\":");
    match &s.name {
        TypedJson::Null => head.push_str("null"),
        TypedJson::Bool(b) => head.push_str(if *b { "true" } else { "false" }),
        TypedJson::Int(i) => head.push_str(&i.to_string()),
        TypedJson::Float(f) => {
            write_f64(&mut head, *f).ok_or_else(|| Error::new(Code::ValueDomain, clause, "a float name is finite"))?;
        }
        TypedJson::String(n) => write_string(&mut head, n),
        TypedJson::Array(_) | TypedJson::Object(_) => {
            return Err(Error::new(Code::FieldType, clause, "a series name is a scalar"));
        }
    }
    head.push('}');
    Ok(head)
}

/// One stream: one field `value`, no metadata, one batch unless empty and
/// not a dictionary ([series.encode.members]).
fn write_stream(c: &Column) -> Result<Vec<u8>> {
    let clause = "series.encode.members";
    let err = |e: arrow_schema::ArrowError| Error::new(Code::ArrowPayload, clause, format!("the Arrow writer failed: {e}"));
    let schema = Arc::new(Schema::new(vec![arrow_field("value", &c.ty)]));
    let array = arrow_array(c, clause)?;
    let mut w = StreamWriter::try_new(Vec::new(), &schema).map_err(err)?;
    // A dictionary series always writes its batch (of length 0 when there
    // are no values), so that its DictionaryBatch, and its entries, survive.
    if !c.cells.is_empty() || matches!(c.ty, crate::value::ColumnType::Dictionary { .. }) {
        w.write(&RecordBatch::try_new(schema.clone(), vec![array]).map_err(err)?).map_err(err)?;
    }
    w.finish().map_err(err)?;
    w.into_inner().map_err(err)
}
