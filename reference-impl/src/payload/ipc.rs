//! Arrow IPC tables: the `dataframe` envelope's IPC **file**
//! ([dataframe.arrow.file]) and the `series` envelope's IPC stream with
//! dictionary batches ([series.arrow.stream]).
//!
//! Everything is read by hand from the flatbuffer accessors: the framing
//! (as [`super::arrow`] reads a stream's), the file's magic, footer and
//! blocks, and, once every column has a type from the closed list, each
//! column's buffers (item 4 of [ndarray.arrow.stream]: bounds, widths,
//! offsets, UTF-8, bitmaps against null counts) and its values. No column
//! buffer ever reaches arrow-rs, whose reader panics on malformed input;
//! arrow-rs only converts the schema (under `catch_unwind`), as the ndarray
//! stream reader does, to refuse a schema the Arrow format does not define.

use std::collections::HashMap;

use arrow_ipc::{Endianness, MessageHeader, MetadataVersion, Type};

use super::arrow::{Message, check_field, contain_in, next_message_in, self_offset};
use crate::error::{Code, Error, Result};
use crate::value::{Cells, ColumnType, IntType, TimeUnit};

fn payload(clause: &'static str, why: String) -> Error {
    Error::new(Code::ArrowPayload, clause, why)
}

/// Item 4 of [ndarray.arrow.stream]: no variadic buffer counts, which only
/// the view types read, and no column type is one.
fn no_variadic_counts(b: &Batch<'_>, what: &str, clause: &'static str) -> Result<()> {
    match b.rb.variadicBufferCounts() {
        Some(v) if !v.is_empty() => Err(payload(
            clause,
            format!("the {what} at byte {} declares {} variadic buffer count(s), which only a view type reads", b.at, v.len()),
        )),
        _ => Ok(()),
    }
}

/// A record batch (or a dictionary batch's data) and its body.
#[derive(Clone, Copy)]
pub(crate) struct Batch<'a> {
    pub rb: arrow_ipc::RecordBatch<'a>,
    pub body: &'a [u8],
    pub at: usize,
}

impl Batch<'_> {
    /// The batch's length (checked non-negative by the framing).
    pub(crate) fn len(&self) -> u64 {
        self.rb.length() as u64
    }
}

/// A table whose framing is sound: its fields, schema metadata, dictionary
/// batches and record batches, undecoded.
pub(crate) struct Table<'a> {
    /// The schema's top-level fields.
    pub fields: Vec<arrow_ipc::Field<'a>>,
    /// The schema's custom metadata, in order.
    pub metadata: Vec<(&'a str, &'a str)>,
    /// The dictionary batches, by dictionary id.
    dictionaries: HashMap<i64, Batch<'a>>,
    /// The record batches, in order.
    pub batches: Vec<Batch<'a>>,
    clause: &'static str,
}

/// What a file or stream reader collects from the messages after the schema.
struct Messages<'a> {
    schema: arrow_ipc::Schema<'a>,
    dictionaries: Vec<(i64, Batch<'a>, Message<'a>)>,
    batches: Vec<(Batch<'a>, Message<'a>)>,
}

/// Field nodes per field, nested fields included.
fn count_fields(f: &arrow_ipc::Field<'_>, depth: usize) -> usize {
    1 + if depth < 64 { f.children().iter().flatten().map(|c| count_fields(&c, depth + 1)).sum() } else { 0 }
}

/// Item 3 of [ndarray.arrow.stream] for one batch: no compression, a
/// non-negative length, valid field nodes (`nodes` of them), and every
/// buffer aligned and inside the body.
fn check_batch(rb: &arrow_ipc::RecordBatch<'_>, body: &[u8], at: usize, nodes: usize, clause: &'static str) -> Result<()> {
    let bad = |why: String| payload(clause, format!("batch at byte {at}: {why}"));
    if rb.compression().is_some() {
        return Err(bad("uses body compression".into()));
    }
    if rb.length() < 0 {
        return Err(bad("has a negative length".into()));
    }
    let have = rb.nodes().map(|n| n.len()).unwrap_or(0);
    if have != nodes {
        return Err(bad(format!("has {have} field nodes for {nodes} fields")));
    }
    for n in rb.nodes().iter().flatten() {
        if n.length() < 0 || n.null_count() < 0 || n.null_count() > n.length() {
            return Err(bad("has an invalid field node".into()));
        }
    }
    for b in rb.buffers().iter().flatten() {
        if b.offset() % 8 != 0 {
            return Err(bad(format!("names a buffer at offset {}, not a multiple of 8", b.offset())));
        }
        let inside = u64::try_from(b.offset())
            .ok()
            .zip(u64::try_from(b.length()).ok())
            .and_then(|(o, l)| o.checked_add(l))
            .is_some_and(|end| end <= body.len() as u64);
        if !inside {
            return Err(bad(format!("names a buffer [{}, +{}) outside its {}-byte body", b.offset(), b.length(), body.len())));
        }
    }
    Ok(())
}

/// Reads the messages from `pos` to the end-of-stream marker (item 2 of
/// [dataframe.arrow.file]; [series.arrow.stream]).
fn read_messages<'a>(bytes: &'a [u8], pos: &mut usize, clause: &'static str) -> Result<Messages<'a>> {
    let bad = |why: String| payload(clause, why);
    let first = next_message_in(bytes, pos, clause)?.ok_or_else(|| bad("there is no schema message".into()))?;
    let schema = first
        .msg
        .header_as_schema()
        .ok_or_else(|| bad(format!("the first message is {:?}, not a Schema", first.msg.header_type())))?;
    if schema.endianness() != Endianness::Little {
        return Err(bad("the schema declares big-endian data".into()));
    }
    check_schema(&schema, clause)?;
    let fields: Vec<arrow_ipc::Field<'a>> = schema.fields().iter().flatten().collect();
    let nodes: usize = fields.iter().map(|f| count_fields(f, 0)).sum();
    // Each dictionary id a field declares, with the field's node count.
    let mut ids: HashMap<i64, usize> = HashMap::new();
    fn declare(f: &arrow_ipc::Field<'_>, ids: &mut HashMap<i64, usize>, depth: usize) {
        if let Some(d) = f.dictionary() {
            ids.entry(d.id()).or_insert_with(|| count_fields(f, 0));
        }
        if depth < 64 {
            for c in f.children().iter().flatten() {
                declare(&c, ids, depth + 1);
            }
        }
    }
    for f in &fields {
        declare(f, &mut ids, 0);
    }
    let mut dictionaries: Vec<(i64, Batch<'a>, Message<'a>)> = Vec::new();
    let mut batches = Vec::new();
    while let Some(m) = next_message_in(bytes, pos, clause)? {
        let at = m.at;
        match m.msg.header_type() {
            MessageHeader::RecordBatch => {
                let rb = m.msg.header_as_record_batch().ok_or_else(|| bad(format!("record batch at byte {at} has no header")))?;
                for (idx, what) in [(1, "nodes"), (2, "buffers"), (3, "compression"), (4, "variadicBufferCounts")] {
                    if self_offset(&rb._tab, idx) {
                        return Err(bad(format!("record batch at byte {at}: RecordBatch.{what} is an offset of 0")));
                    }
                }
                check_batch(&rb, m.body, at, nodes, clause)?;
                batches.push((Batch { rb, body: m.body, at }, m));
            }
            MessageHeader::DictionaryBatch => {
                let db = m.msg.header_as_dictionary_batch().ok_or_else(|| bad(format!("dictionary batch at byte {at} has no header")))?;
                if self_offset(&db._tab, 1) {
                    return Err(bad(format!("dictionary batch at byte {at}: DictionaryBatch.data is an offset of 0")));
                }
                if !batches.is_empty() {
                    return Err(bad(format!("dictionary batch at byte {at} follows a record batch")));
                }
                let id = db.id();
                let Some(&nodes) = ids.get(&id) else {
                    return Err(bad(format!("dictionary batch at byte {at} has id {id}, which no field declares")));
                };
                if db.isDelta() {
                    return Err(bad(format!("dictionary batch at byte {at} is a delta")));
                }
                if dictionaries.iter().any(|(i, _, _)| *i == id) {
                    return Err(bad(format!("dictionary batch at byte {at}: a second batch for dictionary id {id}")));
                }
                let rb = db.data().ok_or_else(|| bad(format!("dictionary batch at byte {at} has no data")))?;
                for (idx, what) in [(1, "nodes"), (2, "buffers"), (3, "compression"), (4, "variadicBufferCounts")] {
                    if self_offset(&rb._tab, idx) {
                        return Err(bad(format!("dictionary batch at byte {at}: RecordBatch.{what} is an offset of 0")));
                    }
                }
                check_batch(&rb, m.body, at, nodes, clause)?;
                dictionaries.push((id, Batch { rb, body: m.body, at }, m));
            }
            MessageHeader::Schema => return Err(bad(format!("a second Schema message at byte {at}"))),
            t => return Err(bad(format!("a {t:?} message at byte {at} is not allowed"))),
        }
    }
    Ok(Messages { schema, dictionaries, batches })
}

/// The schema is one the Arrow format defines (item 1): arrow-rs converts
/// it, under `catch_unwind`. As in the ndarray reader, a dictionary
/// encoding without `indexType` (int32 indices) and a schema without its
/// fields vector are valid though arrow-rs refuses them.
fn check_schema(schema: &arrow_ipc::Schema<'_>, clause: &'static str) -> Result<()> {
    if let Some(why) = decimal_precision_fault(schema) {
        return Err(payload(clause, why));
    }
    let tolerated = schema.fields().is_none()
        || schema.fields().is_some_and(|fs| fs.iter().any(|f| f.dictionary().is_some_and(|d| d.indexType().is_none())));
    let s = *schema;
    match contain_in(clause, move || arrow_ipc::convert::try_fb_to_schema(s))? {
        Ok(_) => Ok(()),
        Err(_) if tolerated => Ok(()),
        Err(e) => Err(payload(clause, format!("invalid schema: {e}"))),
    }
}

/// The "Type parameters" table of [ndarray.arrow.stream] item 1: a Decimal's
/// precision is from 1 to 9, 18, 38 or 76 for a bitWidth of 32, 64, 128 or
/// 256 (arrow-rs's schema conversion takes any precision a byte holds). The
/// fault, for the first field (children and nesting included) that breaks it.
pub(crate) fn decimal_precision_fault(schema: &arrow_ipc::Schema<'_>) -> Option<String> {
    fn field(f: &arrow_ipc::Field<'_>, depth: usize) -> Option<String> {
        if let Some(d) = f.type_as_decimal() {
            let max = match d.bitWidth() {
                32 => 9,
                64 => 18,
                128 => 38,
                256 => 76,
                _ => return None, // another width is refused by the schema conversion
            };
            if !(1..=max).contains(&d.precision()) {
                return Some(format!(
                    "field {:?}: a {}-bit Decimal has precision {}, outside 1 to {max}",
                    f.name().unwrap_or_default(),
                    d.bitWidth(),
                    d.precision()
                ));
            }
        }
        if depth >= 64 {
            return None;
        }
        f.children().iter().flatten().find_map(|c| field(&c, depth + 1))
    }
    schema.fields().iter().flatten().find_map(|f| field(&f, 0))
}

fn metadata<'a>(schema: &arrow_ipc::Schema<'a>) -> Vec<(&'a str, &'a str)> {
    schema
        .custom_metadata()
        .iter()
        .flatten()
        .filter_map(|kv| Some((kv.key()?, kv.value().unwrap_or_default())))
        .collect()
}

/// Reads an IPC stream of a series ([series.arrow.stream]): messages with
/// dictionary batches, at most one record batch, end-of-stream, nothing after.
pub(crate) fn read_stream(bytes: &[u8]) -> Result<Table<'_>> {
    let clause = "series.arrow.stream";
    let t = read_stream_in(bytes, clause)?;
    if t.batches.len() > 1 {
        return Err(payload(clause, format!("the stream has {} record batches; at most one is allowed", t.batches.len())));
    }
    Ok(t)
}

/// Reads an IPC stream of any number of record batches, its framing faults
/// under `clause` (`E_ARROW_PAYLOAD`): messages with dictionary batches
/// (item 2 of [dataframe.arrow.file]), the end-of-stream marker, nothing
/// after it. The number of batches is the caller's to check
/// ([series.arrow.stream], [flame.stream.batches]).
pub(crate) fn read_stream_in<'a>(bytes: &'a [u8], clause: &'static str) -> Result<Table<'a>> {
    let mut pos = 0;
    let m = read_messages(bytes, &mut pos, clause)?;
    if pos != bytes.len() {
        return Err(payload(clause, format!("{} bytes follow the end-of-stream marker", bytes.len() - pos)));
    }
    Ok(table(m, clause))
}

fn table<'a>(m: Messages<'a>, clause: &'static str) -> Table<'a> {
    Table {
        fields: m.schema.fields().iter().flatten().collect(),
        metadata: metadata(&m.schema),
        dictionaries: m.dictionaries.into_iter().map(|(id, b, _)| (id, b)).collect(),
        batches: m.batches.into_iter().map(|(b, _)| b).collect(),
        clause,
    }
}

const MAGIC: &[u8] = b"ARROW1";

/// Custom metadata strings that are not UTF-8, replaced by `?` bytes.
///
/// The flatbuffers verifier of arrow-rs refuses a string that is not UTF-8;
/// the Arrow C++ library's, which [ndarray.arrow.stream] item 1 follows,
/// does not check strings' contents. Custom metadata never changes a value,
/// except the schema's `pandas` entry, which must be JSON text
/// ([dataframe.pandas.metadata]). So the input is copied with each such
/// string (in any `custom_metadata`) overwritten, and the overwritten ranges
/// are kept: a `pandas` value that lies in one is not UTF-8.
pub(crate) struct Sanitized<'a> {
    /// The bytes to read: the input, or a patched copy.
    pub bytes: std::borrow::Cow<'a, [u8]>,
    patched: Vec<std::ops::Range<usize>>,
}

impl Sanitized<'_> {
    /// Whether `s`, a string inside [`Sanitized::bytes`], was overwritten.
    pub(crate) fn was_patched(&self, s: &str) -> bool {
        let start = (s.as_ptr() as usize).wrapping_sub(self.bytes.as_ptr() as usize);
        let end = start.saturating_add(s.len());
        self.patched.iter().any(|r| r.start < end && start < r.end)
    }
}

/// A custom metadata string at `range` of `buf` that is not UTF-8, if that
/// is what `e` reports.
fn metadata_utf8(e: &flatbuffers::InvalidFlatbuffer) -> Option<std::ops::Range<usize>> {
    match e {
        flatbuffers::InvalidFlatbuffer::Utf8Error { range, .. } if e.to_string().contains("custom_metadata") => Some(range.clone()),
        _ => None,
    }
}

/// Patches the metadata strings of the flatbuffer at `start..end` of `out`
/// (a message's metadata, or a footer) until it verifies or fails otherwise.
fn patch_flatbuffer(
    out: &mut std::borrow::Cow<'_, [u8]>,
    patched: &mut Vec<std::ops::Range<usize>>,
    start: usize,
    end: usize,
    footer: bool,
) {
    for _ in 0..256 {
        let Some(buf) = out.get(start..end) else { return };
        let err = if footer { arrow_ipc::root_as_footer(buf).err() } else { arrow_ipc::root_as_message(buf).err() };
        let Some(range) = err.as_ref().and_then(metadata_utf8) else { return };
        let abs = start + range.start..start + range.end;
        if abs.end > end || abs.is_empty() {
            return;
        }
        out.to_mut()[abs.clone()].fill(b'?');
        patched.push(abs);
    }
}

/// Finds and overwrites custom metadata strings that are not UTF-8 in the
/// messages from `pos` (and, for a file, the footer). Framing faults are
/// left for the reader to report.
pub(crate) fn sanitize(bytes: &[u8], file: bool) -> Sanitized<'_> {
    let mut out = std::borrow::Cow::Borrowed(bytes);
    let mut patched = Vec::new();
    let mut pos = if file { 8 } else { 0 };
    while let Some(head) = bytes.get(pos..pos + 8) {
        if head[..4] != [0xff; 4] {
            break;
        }
        let meta_len = i32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let Ok(meta_len) = usize::try_from(meta_len) else { break };
        if meta_len == 0 || pos + 8 + meta_len > bytes.len() {
            break;
        }
        patch_flatbuffer(&mut out, &mut patched, pos + 8, pos + 8 + meta_len, false);
        let Some(body) = out.get(pos + 8..pos + 8 + meta_len).and_then(|m| arrow_ipc::root_as_message(m).ok()).map(|m| m.bodyLength())
        else {
            break;
        };
        let Some(next) = usize::try_from(body).ok().and_then(|b| (pos + 8 + meta_len).checked_add(b)) else { break };
        pos = next;
    }
    let n = bytes.len();
    if file && n >= 10 && bytes.ends_with(MAGIC) {
        let len = i32::from_le_bytes([bytes[n - 10], bytes[n - 9], bytes[n - 8], bytes[n - 7]]);
        if let Some(start) = usize::try_from(len).ok().and_then(|l| (n - 10).checked_sub(l)) {
            patch_flatbuffer(&mut out, &mut patched, start, n - 10, true);
        }
    }
    Sanitized { bytes: out, patched }
}

/// Reads an IPC file ([dataframe.arrow.file]).
pub(crate) fn read_file(bytes: &[u8]) -> Result<Table<'_>> {
    let clause = "dataframe.arrow.file";
    let bad = |why: String| payload(clause, why);
    if !bytes.starts_with(b"ARROW1\0\0") {
        let why = if bytes.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
            "the payload is an Arrow IPC stream, not a file".to_string()
        } else {
            "the payload does not start with the file magic ARROW1 and two zero bytes".to_string()
        };
        return Err(bad(why));
    }
    let n = bytes.len();
    if n < 8 + 8 + 4 + 6 || !bytes.ends_with(MAGIC) {
        return Err(bad("the file does not end with its footer length and ARROW1 (truncated?)".into()));
    }
    let footer_len = i32::from_le_bytes([bytes[n - 10], bytes[n - 9], bytes[n - 8], bytes[n - 7]]);
    let footer_start = usize::try_from(footer_len)
        .ok()
        .filter(|&l| l > 0)
        .and_then(|l| (n - 10).checked_sub(l))
        .filter(|&s| s >= 8)
        .ok_or_else(|| bad(format!("the footer length {footer_len} does not fit the file")))?;
    let mut pos = 8;
    let m = read_messages(&bytes[..footer_start], &mut pos, clause)?;
    if pos != footer_start {
        return Err(bad(format!("{} bytes lie between the end-of-stream marker and the footer", footer_start - pos)));
    }
    let fb = &bytes[footer_start..n - 10];
    let footer = arrow_ipc::root_as_footer(fb).map_err(|e| {
        let why = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        bad(format!("invalid footer flatbuffer: {why}"))
    })?;
    for idx in [1, 2, 3, 4] {
        if self_offset(&footer._tab, idx) {
            return Err(bad("a footer member is an offset of 0, pointing at itself".into()));
        }
    }
    if footer.version() != MetadataVersion::V5 {
        return Err(bad(format!("the footer's version is {:?}, not V5", footer.version())));
    }
    let fschema = footer.schema().ok_or_else(|| bad("the footer has no schema".into()))?;
    for f in fschema.fields().iter().flatten() {
        check_field(&f, 0).map_err(|what| bad(format!("footer schema: {what} is an offset of 0")))?;
    }
    let sig = |s: &arrow_ipc::Schema<'_>| s.fields().iter().flatten().map(|f| field_sig(&f, 0)).collect::<Vec<_>>();
    if sig(&fschema) != sig(&m.schema) {
        return Err(bad("the footer's schema differs from the Schema message".into()));
    }
    let blocks = |v: Option<flatbuffers::Vector<'_, arrow_ipc::Block>>| {
        v.iter().flatten().map(|b| (b.offset(), i64::from(b.metaDataLength()), b.bodyLength())).collect::<Vec<_>>()
    };
    let of = |msgs: &mut dyn Iterator<Item = &Message<'_>>| -> Vec<(i64, i64, i64)> {
        msgs.map(|msg| {
            let at = msg.at;
            let meta = i32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
            (at as i64, 8 + i64::from(meta), msg.body.len() as i64)
        })
        .collect()
    };
    if blocks(footer.dictionaries()) != of(&mut m.dictionaries.iter().map(|(_, _, msg)| msg)) {
        return Err(bad("the footer's dictionary blocks do not name the file's dictionary batches".into()));
    }
    if blocks(footer.recordBatches()) != of(&mut m.batches.iter().map(|(_, msg)| msg)) {
        return Err(bad("the footer's record batch blocks do not name the file's record batches".into()));
    }
    Ok(table(m, clause))
}

/// A field's name, type, dictionary encoding and children, for comparing
/// the footer's schema with the Schema message's.
fn field_sig(f: &arrow_ipc::Field<'_>, depth: usize) -> String {
    let t = f.type_type();
    let params = match t {
        Type::Int => format!("{:?}", f.type_as_int()),
        Type::FloatingPoint => format!("{:?}", f.type_as_floating_point()),
        Type::Decimal => format!("{:?}", f.type_as_decimal()),
        Type::Date => format!("{:?}", f.type_as_date()),
        Type::Time => format!("{:?}", f.type_as_time()),
        Type::Timestamp => format!("{:?}", f.type_as_timestamp()),
        Type::Interval => format!("{:?}", f.type_as_interval()),
        Type::Union => format!("{:?}", f.type_as_union()),
        Type::FixedSizeBinary => format!("{:?}", f.type_as_fixed_size_binary()),
        Type::FixedSizeList => format!("{:?}", f.type_as_fixed_size_list()),
        Type::Map => format!("{:?}", f.type_as_map()),
        Type::Duration => format!("{:?}", f.type_as_duration()),
        _ => String::new(),
    };
    let dict = f.dictionary().map(|d| format!("{}/{:?}/{}/{:?}", d.id(), d.indexType(), d.isOrdered(), d.dictionaryKind()));
    let children: Vec<String> =
        if depth < 64 { f.children().iter().flatten().map(|c| field_sig(&c, depth + 1)).collect() } else { Vec::new() };
    format!("{:?}|{t:?}|{params}|{dict:?}|{children:?}", f.name())
}

// ---------------------------------------------------------------- types

/// The column type of a field ([dataframe.column-types]); `E_COLUMN_TYPE`
/// under `clause` for any other.
pub(crate) fn column_type(f: &arrow_ipc::Field<'_>, clause: &'static str) -> Result<ColumnType> {
    let name = f.name().unwrap_or_default();
    let refuse = |why: String| Error::new(Code::ColumnType, clause, format!("field {name:?}: {why}"));
    if f.custom_metadata().iter().flatten().any(|kv| kv.key() == Some("ARROW:extension:name")) {
        return Err(refuse("declares an Arrow extension type (ARROW:extension:name)".into()));
    }
    if f.children().is_some_and(|c| !c.is_empty()) {
        return Err(refuse("has child fields".into()));
    }
    let unit = |u: arrow_ipc::TimeUnit| match u {
        arrow_ipc::TimeUnit::SECOND => Some(TimeUnit::Second),
        arrow_ipc::TimeUnit::MILLISECOND => Some(TimeUnit::Millisecond),
        arrow_ipc::TimeUnit::MICROSECOND => Some(TimeUnit::Microsecond),
        arrow_ipc::TimeUnit::NANOSECOND => Some(TimeUnit::Nanosecond),
        _ => None,
    };
    let int = |i: arrow_ipc::Int<'_>| match i.bitWidth() {
        b @ (8 | 16 | 32 | 64) => Some(IntType { bits: b as u8, signed: i.is_signed() }),
        _ => None,
    };
    let t = match f.type_type() {
        Type::Bool => Some(ColumnType::Bool),
        Type::Int => f.type_as_int().and_then(int).map(ColumnType::Int),
        Type::FloatingPoint => f.type_as_floating_point().and_then(|p| match p.precision() {
            arrow_ipc::Precision::HALF => Some(ColumnType::Float(16)),
            arrow_ipc::Precision::SINGLE => Some(ColumnType::Float(32)),
            arrow_ipc::Precision::DOUBLE => Some(ColumnType::Float(64)),
            _ => None,
        }),
        Type::Utf8 | Type::LargeUtf8 => Some(ColumnType::String),
        Type::Binary | Type::LargeBinary => Some(ColumnType::Binary),
        Type::Date => f.type_as_date().filter(|d| d.unit() == arrow_ipc::DateUnit::DAY).map(|_| ColumnType::Date32),
        Type::Timestamp => f
            .type_as_timestamp()
            // An empty timezone is none, as the Arrow format reads it ([dataframe.column-types]).
            .and_then(|ts| Some(ColumnType::Timestamp(unit(ts.unit())?, ts.timezone().filter(|z| !z.is_empty()).map(str::to_string)))),
        Type::Duration => f.type_as_duration().and_then(|d| unit(d.unit())).map(ColumnType::Duration),
        Type::Null => Some(ColumnType::Null),
        _ => None,
    };
    let t = t.ok_or_else(|| refuse(format!("Arrow type {:?} is not in the column-type table", f.type_type())))?;
    match f.dictionary() {
        None => Ok(t),
        Some(d) => {
            if t == ColumnType::Null {
                return Err(refuse("a dictionary's values are null".into()));
            }
            let index = match d.indexType() {
                None => IntType { bits: 32, signed: true },
                Some(i) => int(i).ok_or_else(|| refuse("the dictionary's index type is not an integer of 8 to 64 bits".into()))?,
            };
            Ok(ColumnType::Dictionary { index, ordered: d.isOrdered(), values: Box::new(t) })
        }
    }
}

// ---------------------------------------------------------------- contents

/// How a cell type lays its values out in buffers after the validity bitmap.
#[derive(Clone, Copy)]
enum Layout {
    /// Null: no buffers at all.
    None,
    /// Bit-packed booleans.
    Bits,
    /// Fixed-width little-endian values of this many bytes.
    Fixed(usize),
    /// Offsets of this width, then data; whether the data is UTF-8.
    Offsets(usize, bool),
}

fn layout(f: &arrow_ipc::Field<'_>, t: &ColumnType) -> Layout {
    let large = matches!(f.type_type(), Type::LargeUtf8 | Type::LargeBinary) && f.dictionary().is_none();
    match t.cell_type() {
        ColumnType::Null => Layout::None,
        ColumnType::Bool => Layout::Bits,
        ColumnType::Int(i) => Layout::Fixed(usize::from(i.bits) / 8),
        ColumnType::Float(b) => Layout::Fixed(usize::from(b) / 8),
        ColumnType::Date32 => Layout::Fixed(4),
        ColumnType::Timestamp(..) | ColumnType::Duration(_) => Layout::Fixed(8),
        ColumnType::String => Layout::Offsets(if large { 8 } else { 4 }, true),
        ColumnType::Binary | ColumnType::Dictionary { .. } => Layout::Offsets(if large { 8 } else { 4 }, false),
    }
}

/// The layout of a dictionary's values: the field's own Arrow type.
fn values_layout(f: &arrow_ipc::Field<'_>, t: &ColumnType) -> Layout {
    let large = matches!(f.type_type(), Type::LargeUtf8 | Type::LargeBinary);
    match t {
        ColumnType::Dictionary { values, .. } => match layout(f, values) {
            Layout::Offsets(_, utf8) => Layout::Offsets(if large { 8 } else { 4 }, utf8),
            l => l,
        },
        _ => layout(f, t),
    }
}

fn buffer_count(layout: Layout) -> usize {
    match layout {
        Layout::None => 0,
        Layout::Bits | Layout::Fixed(_) => 2,
        Layout::Offsets(..) => 3,
    }
}

/// One column of one batch, checked: its length, validity bitmap (if any)
/// and value buffers.
struct Slot<'a> {
    len: usize,
    validity: Option<&'a [u8]>,
    bufs: Vec<&'a [u8]>,
    layout: Layout,
}

impl Slot<'_> {
    fn valid(&self, i: usize) -> bool {
        self.validity.is_none_or(|v| v[i / 8] >> (i % 8) & 1 == 1)
    }
}

fn read_offset(b: &[u8], i: usize, w: usize) -> i64 {
    let s = &b[i * w..i * w + w];
    if w == 4 { i64::from(i32::from_le_bytes([s[0], s[1], s[2], s[3]])) } else { i64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]) }
}

/// Item 4 of [ndarray.arrow.stream] for field `k` of `batch`, whose buffers
/// start at `buffer`: returns the checked slot and the next buffer index.
fn slot<'a>(batch: &Batch<'a>, k: usize, buffer: usize, layout: Layout, clause: &'static str) -> Result<(Slot<'a>, usize)> {
    let at = batch.at;
    let bad = |why: String| payload(clause, format!("batch at byte {at}, column {k}: {why}"));
    let node = batch.rb.nodes().filter(|n| n.len() > k).map(|n| *n.get(k)).ok_or_else(|| bad("no field node".into()))?;
    if node.length() != batch.rb.length() {
        return Err(bad(format!("the column's length {} differs from the batch's {}", node.length(), batch.rb.length())));
    }
    let len = usize::try_from(node.length()).map_err(|_| bad("the length does not fit in memory".into()))?;
    let count = buffer_count(layout);
    let buffers = batch.rb.buffers();
    let have = buffers.map(|b| b.len()).unwrap_or(0);
    if have < buffer + count {
        return Err(bad(format!("the batch names {have} buffers; the columns need at least {}", buffer + count)));
    }
    let get = |i: usize| -> &'a [u8] {
        let b = buffers.map(|v| *v.get(i));
        // Bounds were checked by check_batch.
        b.and_then(|b| batch.body.get(b.offset() as usize..(b.offset() + b.length()) as usize)).unwrap_or_default()
    };
    let mut s = Slot { len, validity: None, bufs: Vec::new(), layout };
    if count == 0 {
        return Ok((s, buffer));
    }
    let bitmap = get(buffer);
    if bitmap.is_empty() {
        if node.null_count() != 0 {
            return Err(bad(format!("null_count is {} but there is no validity bitmap", node.null_count())));
        }
    } else {
        if bitmap.len() < len.div_ceil(8) {
            return Err(bad(format!("the validity bitmap is shorter than {len} bits")));
        }
        let set: usize = bitmap[..len / 8].iter().map(|b| b.count_ones() as usize).sum::<usize>()
            + (0..len % 8).filter(|i| bitmap[len / 8] >> i & 1 == 1).count();
        if (len - set) as i64 != node.null_count() {
            return Err(bad(format!("null_count is {} but the validity bitmap has {} nulls", node.null_count(), len - set)));
        }
        s.validity = Some(bitmap);
    }
    let values = get(buffer + 1);
    let short = |what: &str, need: Option<usize>, got: usize| {
        bad(format!("the {what} buffer holds {got} bytes; {} rows need {}", len, need.map_or("more".into(), |n| n.to_string())))
    };
    match layout {
        Layout::None => {}
        Layout::Bits => {
            if values.len() < len.div_ceil(8) {
                return Err(short("values", Some(len.div_ceil(8)), values.len()));
            }
        }
        Layout::Fixed(w) => {
            if values.len() % w != 0 {
                return Err(bad(format!("a buffer of {} bytes does not hold whole {w}-byte elements", values.len())));
            }
            let need = len.checked_mul(w);
            if need.is_none_or(|n| values.len() < n) {
                return Err(short("values", need, values.len()));
            }
        }
        Layout::Offsets(w, utf8) => {
            let data = get(buffer + 2);
            if values.len() % w != 0 {
                return Err(bad(format!("an offsets buffer of {} bytes does not hold whole {w}-byte offsets", values.len())));
            }
            if len > 0 || !values.is_empty() {
                let need = len.checked_add(1).and_then(|n| n.checked_mul(w));
                if need.is_none_or(|n| values.len() < n) {
                    return Err(short("offsets", need, values.len()));
                }
                let mut prev = read_offset(values, 0, w);
                if prev < 0 {
                    return Err(bad(format!("the first offset is {prev}")));
                }
                for i in 1..=len {
                    let o = read_offset(values, i, w);
                    if o < prev || o as u64 > data.len() as u64 {
                        return Err(bad(format!("offset {i} is {o}: offsets are non-decreasing and within the {}-byte data", data.len())));
                    }
                    if utf8 && s.valid(i - 1) && std::str::from_utf8(&data[prev as usize..o as usize]).is_err() {
                        return Err(bad(format!("value {} is not UTF-8", i - 1)));
                    }
                    prev = o;
                }
            }
            s.bufs.push(values);
            s.bufs.push(data);
            return Ok((s, buffer + count));
        }
    }
    s.bufs.push(values);
    Ok((s, buffer + count))
}

/// Reads a checked slot's values as cells of `t` (a dictionary's: codes).
fn cells(s: &Slot<'_>, t: &ColumnType) -> Cells {
    let n = s.len;
    /// The `n` elements of `W` bytes (a constant, so that each copy is a
    /// load, not a call of `memcpy`: a third of a series' decode before).
    /// The slot holds them: `slot` checked the buffer's length.
    fn elements<const W: usize>(s: &Slot<'_>, n: usize) -> Vec<Option<u64>> {
        s.bufs[0][..n * W]
            .chunks_exact(W)
            .enumerate()
            .map(|(i, c)| {
                s.valid(i).then(|| {
                    let mut b = [0u8; 8];
                    b[..W].copy_from_slice(c);
                    u64::from_le_bytes(b)
                })
            })
            .collect()
    }
    // `layout` gives fixed widths of 1, 2, 4 and 8 bytes only.
    let fixed = |w: usize| -> Vec<Option<u64>> {
        match w {
            1 => elements::<1>(s, n),
            2 => elements::<2>(s, n),
            4 => elements::<4>(s, n),
            _ => elements::<8>(s, n),
        }
    };
    let signed = |w: usize| -> Vec<Option<i64>> {
        let shift = 64 - 8 * w as u32;
        fixed(w).into_iter().map(|v| v.map(|v| ((v << shift) as i64) >> shift)).collect()
    };
    match (s.layout, t.cell_type()) {
        (Layout::None, _) | (_, ColumnType::Null) => Cells::Null(n as u64),
        (Layout::Bits, _) => Cells::Bool((0..n).map(|i| s.valid(i).then(|| s.bufs[0][i / 8] >> (i % 8) & 1 == 1)).collect()),
        (Layout::Fixed(w), ColumnType::Float(_)) => Cells::Float(fixed(w)),
        (Layout::Fixed(w), ColumnType::Int(IntType { signed: false, .. })) => Cells::UInt(fixed(w)),
        (Layout::Fixed(w), _) => Cells::Int(signed(w)),
        (Layout::Offsets(w, utf8), _) => {
            let slice = |i: usize| {
                let (a, b) = (read_offset(s.bufs[0], i, w) as usize, read_offset(s.bufs[0], i + 1, w) as usize);
                &s.bufs[1][a..b]
            };
            if utf8 {
                Cells::Str((0..n).map(|i| s.valid(i).then(|| String::from_utf8_lossy(slice(i)).into_owned())).collect())
            } else {
                Cells::Bin((0..n).map(|i| s.valid(i).then(|| slice(i).to_vec())).collect())
            }
        }
    }
}

impl<'a> Table<'a> {
    /// The number of rows: the sum of the record batches' lengths.
    pub(crate) fn rows(&self) -> u64 {
        self.batches.iter().map(Batch::len).fold(0u64, u64::saturating_add)
    }

    /// The dictionary batch of field `k`, if the field is dictionary-encoded
    /// and the payload has one.
    fn dictionary(&self, k: usize) -> Option<&Batch<'a>> {
        self.fields.get(k).and_then(|f| f.dictionary()).and_then(|d| self.dictionaries.get(&d.id()))
    }

    /// The entries of every dictionary the fields use, each dictionary id
    /// counted once (a missing dictionary has none).
    pub(crate) fn dictionary_entries(&self) -> u64 {
        let mut ids: Vec<i64> = self.fields.iter().filter_map(|f| f.dictionary()).map(|d| d.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.iter().filter_map(|id| self.dictionaries.get(id)).map(Batch::len).fold(0u64, u64::saturating_add)
    }

    /// Item 2 of [dataframe.arrow.file]: a dictionary-encoded field without
    /// its DictionaryBatch is allowed only when the table has no rows (its
    /// dictionary is then empty). Framing, so checked before the types.
    pub(crate) fn check_dictionaries_present(&self) -> Result<()> {
        if self.rows() == 0 {
            return Ok(());
        }
        for (k, f) in self.fields.iter().enumerate() {
            if f.dictionary().is_some() && self.dictionary(k).is_none() {
                return Err(payload(
                    self.clause,
                    format!("field {k} is dictionary-encoded but the payload, which has rows, has no dictionary batch for it"),
                ));
            }
        }
        Ok(())
    }

    /// Item 4 of [ndarray.arrow.stream] for every column of every batch and
    /// every dictionary batch, once `types` (one per field) are known and
    /// the limits have passed (the "Processing order" of [dataframe.arrow.file]).
    pub(crate) fn check_contents(&self, types: &[ColumnType]) -> Result<()> {
        for b in &self.batches {
            no_variadic_counts(b, "record batch", self.clause)?;
            let mut buffer = 0;
            for (k, (f, t)) in self.fields.iter().zip(types).enumerate() {
                buffer = slot(b, k, buffer, layout(f, t), self.clause)?.1;
            }
        }
        for (k, (f, t)) in self.fields.iter().zip(types).enumerate() {
            if let (Some(d), ColumnType::Dictionary { .. }) = (self.dictionary(k), t) {
                no_variadic_counts(d, "dictionary batch", self.clause)?;
                slot(d, 0, 0, values_layout(f, t), self.clause)?;
            }
        }
        Ok(())
    }

    /// Column `k`'s cells across the batches, and its dictionary's entries
    /// (for a dictionary column). Call after [`Table::check_contents`] and
    /// the limits.
    pub(crate) fn column(&self, k: usize, types: &[ColumnType]) -> Result<(Cells, Option<Cells>)> {
        let t = &types[k];
        let f = &self.fields[k];
        let mut out = Cells::empty(t);
        let start: usize = self.fields.iter().zip(types).take(k).map(|(fj, tj)| buffer_count(layout(fj, tj))).sum();
        for b in &self.batches {
            out.extend(cells(&slot(b, k, start, layout(f, t), self.clause)?.0, t));
        }
        let dictionary = match t {
            ColumnType::Dictionary { values, .. } => Some(match self.dictionary(k) {
                Some(d) => cells(&slot(d, 0, 0, values_layout(f, t), self.clause)?.0, values),
                None => Cells::empty(values),
            }),
            _ => None,
        };
        Ok((out, dictionary))
    }
}
