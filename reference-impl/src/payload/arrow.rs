//! One-column Arrow IPC streams ([ndarray.arrow.stream], [ndarray.arrow.batches]).
//!
//! The framing (continuation markers, lengths, message order, buffer bounds,
//! end-of-stream, trailing bytes) is checked here against the bytes present
//! before anything reaches arrow-rs, whose reader can panic on malformed
//! input; what arrow-rs does after that runs under `catch_unwind`. A schema
//! of one plain field of a type from the dtype table is read from the
//! flatbuffer without arrow-rs (`simple_type`), and a fixed-width column's
//! values are taken from the body where they lie (`fixed_values`), after the
//! checks arrow-rs would make, in its order; a batch those checks refuse
//! goes to arrow-rs, which words the rejection as before.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_buffer::Buffer;
use arrow_ipc::reader::read_record_batch;
use arrow_ipc::writer::StreamWriter;
use arrow_ipc::{Endianness, MessageHeader, MetadataVersion, root_as_message};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use crate::error::{Code, Error, Result};

const CONTINUATION: [u8; 4] = [0xff; 4];

fn payload(clause: &'static str, why: impl Into<String>) -> Error {
    Error::new(Code::ArrowPayload, clause, why)
}

fn bad(why: impl Into<String>) -> Error {
    payload("ndarray.arrow.stream", why)
}

/// A stream whose framing is sound: its schema, and its one record batch
/// still undecoded (see [`Stream::decode_column_in`]).
pub(crate) struct Stream<'a> {
    fb_schema: arrow_ipc::Schema<'a>,
    /// The one field's type, read from the flatbuffer, when the schema is
    /// one plain field of a type whose reading by arrow-rs's
    /// `try_fb_to_schema` cannot fail ([`simple_type`]); arrow-rs's schema
    /// is then not built.
    simple: Option<DataType>,
    /// The schema, as arrow-rs reads it, when it is not `simple`; `None`
    /// too when a field is dictionary-encoded in a way arrow-rs cannot read.
    schema: Option<Arc<Schema>>,
    /// Whether any top-level field is dictionary-encoded.
    pub dictionary_fields: bool,
    batch: Option<(arrow_ipc::RecordBatch<'a>, &'a [u8], usize)>,
}

/// The column of a stream's record batch ([`Stream::decode_column_in`]).
pub(crate) enum Column<'a> {
    /// A column of a fixed-width type: its length, its null count (its
    /// bitmap agrees), and its `len` elements' bytes as they lie in the body.
    Values { len: usize, nulls: usize, bytes: &'a [u8] },
    /// A column arrow-rs decoded.
    Array(ArrayRef),
}

pub(crate) struct Message<'a> {
    pub msg: arrow_ipc::Message<'a>,
    pub body: &'a [u8],
    pub at: usize,
}

/// Reads the message at `pos`: `Ok(None)` at the end-of-stream marker.
fn next_message<'a>(bytes: &'a [u8], pos: &mut usize) -> Result<Option<Message<'a>>> {
    next_message_in(bytes, pos, "ndarray.arrow.stream")
}

/// [`next_message`], its rejections under `clause` (item 1 of
/// [ndarray.arrow.stream], as [dataframe.arrow.file] and
/// [series.arrow.stream] apply it).
pub(crate) fn next_message_in<'a>(bytes: &'a [u8], pos: &mut usize, clause: &'static str) -> Result<Option<Message<'a>>> {
    let bad = |why: String| payload(clause, why);
    let at = *pos;
    let rest = &bytes[at..];
    if rest.is_empty() {
        return Err(bad(format!("stream ends at byte {at} without the end-of-stream marker")));
    }
    if at == 0 && rest.starts_with(b"ARROW1") {
        return Err(bad("the payload is an Arrow IPC file, not a stream".into()));
    }
    if rest.len() < 8 {
        return Err(bad(format!("truncated message header at byte {at}")));
    }
    if rest[..4] != CONTINUATION {
        return Err(bad(format!("no continuation marker at byte {at}")));
    }
    let meta_len = i32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
    if meta_len == 0 {
        *pos = at + 8;
        return Ok(None);
    }
    let meta_len = usize::try_from(meta_len).map_err(|_| bad(format!("negative metadata length at byte {at}")))?;
    let meta = rest
        .get(8..8 + meta_len)
        .ok_or_else(|| bad(format!("metadata of {meta_len} bytes at byte {at} is truncated")))?;
    let msg = root_as_message(meta).map_err(|e| {
        let why = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        bad(format!("invalid message flatbuffer at byte {at}: {why}"))
    })?;
    no_self_offsets(&msg).map_err(|what| bad(format!("message at byte {at}: {what} is an offset of 0, pointing at itself")))?;
    if msg.version() != MetadataVersion::V5 {
        return Err(bad(format!("message at byte {at} has metadata version {:?}, not V5", msg.version())));
    }
    let body_len = usize::try_from(msg.bodyLength())
        .map_err(|_| bad(format!("negative body length at byte {at}")))?;
    let body_start = 8 + meta_len;
    let body = body_start
        .checked_add(body_len)
        .and_then(|end| rest.get(body_start..end))
        .ok_or_else(|| {
            bad(format!(
                "message at byte {at} claims a body of {body_len} bytes; {} are present",
                rest.len() - body_start
            ))
        })?;
    *pos = at + body_start + body_len;
    Ok(Some(Message { msg, body, at }))
}

/// Whether field `idx` of table `t` is present and an offset of 0. The
/// flatbuffers verifier of the Arrow C++ library rejects an offset that
/// points at itself; the Rust crate's does not, so the offset fields of the
/// tables read here are checked by hand ([ndarray.arrow.stream] item 1).
pub(crate) fn self_offset(t: &flatbuffers::Table<'_>, idx: usize) -> bool {
    // `get` bounds-checks against the vtable's size; `get_field` underflows on a tiny vtable.
    let voff = usize::from(t.vtable().get(flatbuffers::field_index_to_field_offset(idx as u16)));
    voff != 0
        && t.buf().get(t.loc() + voff..t.loc() + voff + 4).is_some_and(|b| b == [0, 0, 0, 0])
}

/// Whether any element of the offset vector in field `idx` of `t` is 0.
pub(crate) fn self_offset_elements<T>(v: Option<flatbuffers::Vector<'_, T>>) -> bool {
    v.is_some_and(|v| v.bytes().chunks_exact(4).any(|o| o == [0, 0, 0, 0]))
}

pub(crate) fn check_field(f: &arrow_ipc::Field<'_>, depth: usize) -> std::result::Result<(), &'static str> {
    let t = &f._tab;
    for (idx, what) in [(0, "Field.name"), (3, "Field.type"), (4, "Field.dictionary"), (5, "Field.children"), (6, "Field.custom_metadata")] {
        if self_offset(t, idx) {
            return Err(what);
        }
    }
    if self_offset_elements(f.children()) || self_offset_elements(f.custom_metadata()) {
        return Err("an element of Field.children or Field.custom_metadata");
    }
    if f.type_as_timestamp().is_some_and(|ts| self_offset(&ts._tab, 1)) {
        return Err("Timestamp.timezone");
    }
    for kv in f.custom_metadata().iter().flatten() {
        if self_offset(&kv._tab, 0) || self_offset(&kv._tab, 1) {
            return Err("KeyValue.key or KeyValue.value");
        }
    }
    if depth < 64 {
        for child in f.children().iter().flatten() {
            check_field(&child, depth + 1)?;
        }
    }
    Ok(())
}

fn no_self_offsets(m: &arrow_ipc::Message<'_>) -> std::result::Result<(), &'static str> {
    if self_offset(&m._tab, 2) || self_offset(&m._tab, 4) || self_offset_elements(m.custom_metadata()) {
        return Err("Message.header or Message.custom_metadata");
    }
    if let Some(s) = m.header_as_schema() {
        for (idx, what) in [(1, "Schema.fields"), (2, "Schema.custom_metadata"), (3, "Schema.features")] {
            if self_offset(&s._tab, idx) {
                return Err(what);
            }
        }
        if self_offset_elements(s.fields()) || self_offset_elements(s.custom_metadata()) {
            return Err("an element of Schema.fields or Schema.custom_metadata");
        }
        for f in s.fields().iter().flatten() {
            check_field(&f, 0)?;
        }
    }
    if let Some(rb) = m.header_as_record_batch() {
        for (idx, what) in [(1, "RecordBatch.nodes"), (2, "RecordBatch.buffers"), (3, "RecordBatch.compression"), (4, "RecordBatch.variadicBufferCounts")] {
            if self_offset(&rb._tab, idx) {
                return Err(what);
            }
        }
    }
    Ok(())
}

/// Reads a stream and checks its framing (items 1-3 and 5 of
/// [ndarray.arrow.stream], and [ndarray.arrow.batches]).
pub(crate) fn read(bytes: &[u8]) -> Result<Stream<'_>> {
    let mut pos = 0;
    let first = next_message(bytes, &mut pos)?.ok_or_else(|| bad("the stream has no schema message"))?;
    let fb_schema = first
        .msg
        .header_as_schema()
        .ok_or_else(|| bad(format!("the first message is {:?}, not a Schema", first.msg.header_type())))?;
    if fb_schema.endianness() != Endianness::Little {
        return Err(bad("the schema declares big-endian data"));
    }
    // Field nodes are one per field, nested fields included.
    fn count_fields(fs: Option<flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<arrow_ipc::Field<'_>>>>, depth: usize) -> usize {
        fs.iter().flatten().map(|f| 1 + if depth < 64 { count_fields(f.children(), depth + 1) } else { 0 }).sum()
    }
    let fields = fb_schema.fields();
    let fb_fields = count_fields(fields, 0);
    let dictionary_fields = fields.is_some_and(|fs| fs.iter().any(|f| f.dictionary().is_some()));
    // [ndarray.arrow.stream] item 1, "Type parameters": a Decimal precision its width holds.
    if let Some(why) = super::ipc::decimal_precision_fault(&fb_schema) {
        return Err(bad(why));
    }
    let simple = simple_type(&fb_schema);
    let schema = if simple.is_some() {
        None
    } else {
        // arrow-rs refuses a dictionary encoding without indexType, which the
        // Arrow format allows (int32 indices). Such a field fails
        // [ndarray.arrow.schema] anyway, so that one refusal is deferred to it.
        // Likewise a schema without its fields vector, which the format reads as
        // no fields.
        let valid_dictionary_without_index = fields.is_none()
            || fields.is_some_and(|fs| fs.iter().any(|f| f.dictionary().is_some_and(|d| d.indexType().is_none())));
        match contain(|| arrow_ipc::convert::try_fb_to_schema(fb_schema))? {
            Ok(s) => Some(Arc::new(s)),
            Err(_) if valid_dictionary_without_index => None,
            Err(e) => return Err(bad(format!("invalid schema: {e}"))),
        }
    };

    // The last record batch, and how many there are.
    let (mut batch, mut batches) = (None, 0usize);
    while let Some(m) = next_message(bytes, &mut pos)? {
        match m.msg.header_type() {
            MessageHeader::RecordBatch => {}
            MessageHeader::Schema => return Err(bad(format!("a second Schema message at byte {}", m.at))),
            t => return Err(bad(format!("a {t:?} message at byte {} is not allowed", m.at))),
        }
        let Some(rb) = m.msg.header_as_record_batch() else {
            return Err(bad(format!("record batch at byte {} has no header", m.at)));
        };
        if rb.compression().is_some() {
            return Err(bad(format!("record batch at byte {} uses body compression", m.at)));
        }
        let rb_nodes = rb.nodes();
        let nodes = rb_nodes.map(|n| n.len()).unwrap_or(0);
        if nodes != fb_fields {
            return Err(bad(format!("record batch at byte {} has {nodes} field nodes for {fb_fields} fields", m.at)));
        }
        for n in rb_nodes.iter().flatten() {
            if n.length() < 0 || n.null_count() < 0 || n.null_count() > n.length() {
                return Err(bad(format!("record batch at byte {} has an invalid field node", m.at)));
            }
        }
        if rb.length() < 0 {
            return Err(bad(format!("record batch at byte {} has a negative length", m.at)));
        }
        for b in rb.buffers().iter().flatten() {
            if b.offset() % 8 != 0 {
                return Err(bad(format!(
                    "record batch at byte {} names a buffer at offset {}, not a multiple of 8",
                    m.at,
                    b.offset()
                )));
            }
            let inside = u64::try_from(b.offset())
                .ok()
                .zip(u64::try_from(b.length()).ok())
                .and_then(|(o, l)| o.checked_add(l))
                .is_some_and(|end| end <= m.body.len() as u64);
            if !inside {
                return Err(bad(format!(
                    "record batch at byte {} names a buffer [{}, +{}) outside its {}-byte body",
                    m.at,
                    b.offset(),
                    b.length(),
                    m.body.len()
                )));
            }
        }
        batch = Some((rb, m.body, m.at));
        batches += 1;
    }
    if pos != bytes.len() {
        return Err(bad(format!("{} bytes follow the end-of-stream marker", bytes.len() - pos)));
    }
    if batches > 1 {
        return Err(payload("ndarray.arrow.batches", format!("the stream has {batches} record batches; at most one is allowed")));
    }
    Ok(Stream { fb_schema, simple, schema, dictionary_fields, batch })
}

/// The type of the schema's one field, when the schema has exactly one
/// field, not dictionary-encoded, of a type of the dtype table whose
/// parameters arrow-rs's `try_fb_to_schema` reads (a Timestamp without a
/// timezone): the type that function gives it, read here without building
/// the schema, for a schema it cannot refuse. `None` for every other schema,
/// which `try_fb_to_schema` reads.
fn simple_type(fb: &arrow_ipc::Schema<'_>) -> Option<DataType> {
    use arrow_ipc::{DateUnit, Precision, Type};
    let fields = fb.fields()?;
    if fields.len() != 1 {
        return None;
    }
    let f = fields.get(0);
    if f.dictionary().is_some() {
        return None;
    }
    let unit = |u: arrow_ipc::TimeUnit| match u {
        arrow_ipc::TimeUnit::SECOND => Some(TimeUnit::Second),
        arrow_ipc::TimeUnit::MILLISECOND => Some(TimeUnit::Millisecond),
        arrow_ipc::TimeUnit::MICROSECOND => Some(TimeUnit::Microsecond),
        arrow_ipc::TimeUnit::NANOSECOND => Some(TimeUnit::Nanosecond),
        _ => None,
    };
    Some(match f.type_type() {
        Type::Bool => DataType::Boolean,
        Type::Utf8 => DataType::Utf8,
        Type::Binary => DataType::Binary,
        Type::Int => match f.type_as_int().map(|i| (i.bitWidth(), i.is_signed()))? {
            (8, true) => DataType::Int8,
            (8, false) => DataType::UInt8,
            (16, true) => DataType::Int16,
            (16, false) => DataType::UInt16,
            (32, true) => DataType::Int32,
            (32, false) => DataType::UInt32,
            (64, true) => DataType::Int64,
            (64, false) => DataType::UInt64,
            _ => return None,
        },
        Type::FloatingPoint => match f.type_as_floating_point()?.precision() {
            Precision::HALF => DataType::Float16,
            Precision::SINGLE => DataType::Float32,
            Precision::DOUBLE => DataType::Float64,
            _ => return None,
        },
        Type::Date => match f.type_as_date()?.unit() {
            DateUnit::DAY => DataType::Date32,
            _ => return None,
        },
        Type::Timestamp => {
            let t = f.type_as_timestamp()?;
            if t.timezone().is_some() {
                return None;
            }
            DataType::Timestamp(unit(t.unit())?, None)
        }
        Type::Duration => DataType::Duration(unit(f.type_as_duration()?.unit())?),
        _ => return None,
    })
}

impl<'a> Stream<'a> {
    /// The top-level field names.
    pub(crate) fn field_names(&self) -> Vec<&'a str> {
        self.fb_schema.fields().iter().flatten().map(|f| f.name().unwrap_or_default()).collect()
    }

    /// Whether the schema has exactly one top-level field, named `name`.
    pub(crate) fn one_field_named(&self, name: &str) -> bool {
        self.fb_schema.fields().is_some_and(|fs| fs.len() == 1 && fs.get(0).name().unwrap_or_default() == name)
    }

    /// The first field's type, as arrow-rs reads it; `None` when the schema
    /// cannot be read or has no field.
    pub(crate) fn first_type(&self) -> Option<&DataType> {
        match &self.simple {
            Some(t) => Some(t),
            None => self.schema.as_ref()?.fields().first().map(|f| f.data_type()),
        }
    }

    /// The record batch's one column (item 4 of [ndarray.arrow.stream]);
    /// `None` when the stream has no batch. Call it only once the schema is
    /// one flat field of a type from the dtype table.
    ///
    /// With `fixed_width`, the field's type is fixed-width, its elements of
    /// that many bytes, stored as they are (`Column::Values`): the checks
    /// arrow-rs's `read_record_batch` would make are made here on the
    /// flatbuffer, after those of [`Stream::decode_batch_in`] and in its
    /// order, and a batch they would refuse goes to arrow-rs, which words
    /// the rejection. Otherwise arrow-rs decodes the column.
    pub(crate) fn decode_column_in(&self, whole: Option<&Buffer>, fixed_width: Option<usize>) -> Result<Option<Column<'a>>> {
        let Some((rb, body, at)) = self.batch else { return Ok(None) };
        if let Some(width) = fixed_width {
            self.check_batch(&rb, body, at)?;
            if let Some(values) = fixed_values(&rb, body, width) {
                return Ok(Some(values));
            }
        }
        Ok(self.decode_batch_in(whole)?.map(|b| Column::Array(b.column(0).clone())))
    }

    /// The checks of item 4 made before arrow-rs reads the batch: one field
    /// node of the batch's length, the validity bitmap against the null
    /// count, and whole elements in the second buffer.
    fn check_batch(&self, rb: &arrow_ipc::RecordBatch<'_>, body: &[u8], at: usize) -> Result<()> {
        let rb_nodes = rb.nodes();
        let nodes = rb_nodes.map(|n| n.len()).unwrap_or(0);
        if nodes != 1 {
            return Err(bad(format!("record batch at byte {at} has {nodes} field nodes for one field")));
        }
        let length = rb.length();
        if rb_nodes.iter().flatten().any(|n| n.length() != length) {
            return Err(bad(format!("record batch at byte {at}: the column's length differs from the batch's")));
        }
        check_validity(rb, body, at)?;
        check_widths(rb, self.first_type(), at)
    }

    /// Decodes the record batch (item 4 of [ndarray.arrow.stream]) with
    /// arrow-rs. Call it only once the schema is one flat field of a type
    /// from the dtype table: arrow-rs is then handed nothing but the layouts
    /// those types have, with every buffer bounded and aligned, and its null
    /// counts checked against the bitmaps here first.
    ///
    /// When the stream was read from the bytes of `whole`, the columns are
    /// views of `whole` (no copy of the body); otherwise of a copy of the body.
    fn decode_batch_in(&self, whole: Option<&Buffer>) -> Result<Option<RecordBatch>> {
        let Some((rb, body, at)) = self.batch else { return Ok(None) };
        self.check_batch(&rb, body, at)?;
        let buf = match whole.and_then(|w| Some(w.slice_with_length(within(w.as_slice(), body)?, body.len()))) {
            Some(view) => view,
            None => Buffer::from(body),
        };
        let dicts = HashMap::new();
        // The nullable flag does not matter ([ndarray.arrow.schema]): nulls are
        // judged by [ndarray.arrow.nulls], so arrow-rs reads every field as nullable.
        let s = match (&self.simple, &self.schema) {
            (Some(t), _) => {
                let name = self.fb_schema.fields().map(|fs| fs.get(0).name().unwrap_or_default()).unwrap_or_default();
                Arc::new(Schema::new(vec![Field::new(name, t.clone(), true)]))
            }
            (None, Some(s)) if s.fields().iter().all(|f| f.is_nullable()) => s.clone(),
            (None, Some(s)) => Arc::new(Schema::new(s.fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect::<Vec<_>>())),
            (None, None) => return Err(bad("the schema cannot be read")),
        };
        let batch = contain(move || read_record_batch(&buf, rb, s, &dicts, None, &MetadataVersion::V5))?
            .map_err(|e| bad(format!("record batch at byte {at} is malformed: {e}")))?;
        Ok(Some(batch))
    }
}

/// The values of the batch's one column, of a fixed-width type of `width`
/// bytes an element, when arrow-rs's `read_record_batch` would read the
/// column, once [`Stream::check_batch`] has passed: the batch names at least
/// two buffers (validity, values) and no variadic buffer counts, a null count
/// above 0 comes with a bitmap (one that is there was checked long enough,
/// and its count, by `check_validity`), and the values buffer holds the
/// length's elements (it lies in the body: [`read`]). `None` otherwise.
fn fixed_values<'a>(rb: &arrow_ipc::RecordBatch<'_>, body: &'a [u8], width: usize) -> Option<Column<'a>> {
    let node = rb.nodes().filter(|n| n.len() == 1)?.get(0);
    let buffers = rb.buffers().filter(|b| b.len() >= 2)?;
    if rb.variadicBufferCounts().is_some_and(|v| !v.is_empty()) {
        return None;
    }
    let (validity, values) = (buffers.get(0), buffers.get(1));
    let len = usize::try_from(node.length()).ok()?;
    let nulls = usize::try_from(node.null_count()).ok()?;
    if nulls > 0 && validity.length() == 0 {
        return None;
    }
    let need = len.checked_mul(width)?;
    if u64::try_from(values.length()).ok()? < need as u64 {
        return None;
    }
    let start = usize::try_from(values.offset()).ok()?;
    let bytes = body.get(start..start.checked_add(need)?)?;
    Some(Column::Values { len, nulls, bytes })
}

/// Where `part` starts within `whole`, when it is a subslice of it (by
/// address: no unsafe code, no comparison of contents).
pub(crate) fn within(whole: &[u8], part: &[u8]) -> Option<usize> {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    (p >= w && p.checked_add(part.len())? <= w.checked_add(whole.len())?).then(|| p - w)
}

/// A field node's `null_count` must agree with its validity bitmap
/// ([ndarray.arrow.stream]). arrow-rs drops the bitmap when `null_count` is
/// 0, so a lying count would hide nulls; the bits are counted here.
fn check_validity(rb: &arrow_ipc::RecordBatch<'_>, body: &[u8], at: usize) -> Result<()> {
    let (Some(node), Some(buf)) = (
        rb.nodes().filter(|n| !n.is_empty()).map(|n| *n.get(0)),
        rb.buffers().filter(|b| !b.is_empty()).map(|b| *b.get(0)),
    ) else {
        return Ok(());
    };
    if buf.length() == 0 {
        return Ok(()); // no bitmap: every element is valid
    }
    // Bounds were checked by the caller.
    let bitmap = &body[buf.offset() as usize..(buf.offset() + buf.length()) as usize];
    let len = node.length() as usize;
    if bitmap.len() < len.div_ceil(8) {
        return Err(bad(format!("record batch at byte {at}: validity bitmap is shorter than {len} bits")));
    }
    let set: usize = bitmap[..len / 8].iter().map(|b| b.count_ones() as usize).sum::<usize>()
        + (0..len % 8).filter(|i| bitmap[len / 8] >> i & 1 == 1).count();
    let nulls = len - set;
    if nulls as i64 != node.null_count() {
        return Err(bad(format!(
            "record batch at byte {at}: null_count is {} but the validity bitmap has {nulls} nulls",
            node.null_count()
        )));
    }
    Ok(())
}

/// The column's second buffer (offsets, or fixed-width values) holds whole
/// elements: its length is a multiple of their width. arrow-rs asserts this
/// (`typed_data`) and would panic.
fn check_widths(rb: &arrow_ipc::RecordBatch<'_>, t: Option<&arrow_schema::DataType>, at: usize) -> Result<()> {
    use arrow_schema::DataType as D;
    let width = match t {
        Some(D::Utf8 | D::Binary) => 4,
        Some(t) => match t.primitive_width() {
            Some(w) => w,
            None => return Ok(()),
        },
        None => return Ok(()),
    };
    let second = rb.buffers().filter(|b| b.len() > 1).map(|b| *b.get(1));
    match second {
        Some(b) if b.length() % width as i64 != 0 => Err(bad(format!(
            "record batch at byte {at}: a buffer of {} bytes does not hold whole {width}-byte elements",
            b.length()
        ))),
        _ => Ok(()),
    }
}

/// Runs arrow-rs code that may panic on malformed input, mapping a panic to
/// a typed error.
fn contain<T>(f: impl FnOnce() -> T) -> Result<T> {
    contain_in("ndarray.arrow.stream", f)
}

/// [`contain`], its rejection under `clause`.
pub(crate) fn contain_in<T>(clause: &'static str, f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let what = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        payload(clause, format!("the Arrow reader failed on malformed input: {what}"))
    })
}

/// Writes a one-column stream: schema, the batch (none when `array` is
/// empty), end-of-stream.
pub(crate) fn write(array: ArrayRef) -> std::result::Result<Vec<u8>, arrow_schema::ArrowError> {
    let field = Field::new("value", array.data_type().clone(), false);
    let schema = Arc::new(Schema::new(vec![field]));
    // Sized for the whole stream at once: the messages are small beside the body.
    let mut w = StreamWriter::try_new(Vec::with_capacity(array.get_buffer_memory_size() + 1024), &schema)?;
    if !array.is_empty() {
        w.write(&RecordBatch::try_new(schema, vec![array])?)?;
    }
    w.finish()?;
    w.into_inner()
}

/// [`write()`] for a column of a fixed-width type without nulls, whose values
/// are `values` (`len` elements) as they are, without copying them: the
/// bytes before the values (schema message, record batch message) and after
/// them (body padding, end-of-stream), to be written around them: the bytes
/// arrow-rs's writer gives (messages and body aligned to 64 bytes, an empty
/// validity buffer, the values at offset 0 of the body), as a test checks.
pub(crate) fn write_fixed_parts(
    data_type: &arrow_schema::DataType,
    values: &[u8],
    len: usize,
) -> std::result::Result<(Vec<u8>, Vec<u8>), arrow_schema::ArrowError> {
    let fail = |why: &str| arrow_schema::ArrowError::InvalidArgumentError(why.to_string());
    // The schema message as the writer writes it: an empty column's stream, its end-of-stream marker dropped.
    let mut head = write(arrow_array::new_empty_array(data_type))?;
    if !head.ends_with(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]) {
        return Err(fail("the schema-only stream does not end with the end-of-stream marker"));
    }
    head.truncate(head.len() - 8);
    let body_len = values.len().div_ceil(64) * 64;
    let as_i64 = |n: usize| i64::try_from(n).map_err(|_| fail("a length beyond i64"));
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    // In arrow-rs's writer's order, so that the bytes are its bytes.
    let buffers = fbb.create_vector(&[arrow_ipc::Buffer::new(0, 0), arrow_ipc::Buffer::new(0, as_i64(values.len())?)]);
    let nodes = fbb.create_vector(&[arrow_ipc::FieldNode::new(as_i64(len)?, 0)]);
    let mut rb = arrow_ipc::RecordBatchBuilder::new(&mut fbb);
    rb.add_length(as_i64(len)?);
    rb.add_nodes(nodes);
    rb.add_buffers(buffers);
    let rb = rb.finish();
    let mut m = arrow_ipc::MessageBuilder::new(&mut fbb);
    m.add_version(MetadataVersion::V5);
    m.add_header_type(MessageHeader::RecordBatch);
    m.add_bodyLength(as_i64(body_len)?);
    m.add_header(rb.as_union_value());
    let m = m.finish();
    fbb.finish(m, None);
    let meta = fbb.finished_data();
    let padded = (8 + meta.len()).div_ceil(64) * 64;
    let meta_len = i32::try_from(padded - 8).map_err(|_| fail("metadata beyond i32"))?;
    let start = head.len();
    head.extend_from_slice(&CONTINUATION);
    head.extend_from_slice(&meta_len.to_le_bytes());
    head.extend_from_slice(meta);
    head.resize(start + padded, 0);
    let mut tail = vec![0; body_len - values.len()];
    tail.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    Ok((head, tail))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// The schema message arrow-rs's writer writes for one field of type `t`.
    fn schema_message(t: &DataType) -> Vec<u8> {
        let mut head = write(arrow_array::new_empty_array(t)).unwrap();
        assert!(head.ends_with(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
        head.truncate(head.len() - 8);
        head
    }

    /// A message of `meta` and `body`, its metadata padded to 8 bytes.
    fn message(meta: &[u8], body: &[u8]) -> Vec<u8> {
        let padded = meta.len().div_ceil(8) * 8;
        let mut out = CONTINUATION.to_vec();
        out.extend_from_slice(&(padded as i32).to_le_bytes());
        out.extend_from_slice(meta);
        out.resize(8 + padded, 0);
        out.extend_from_slice(body);
        out
    }

    struct Batch<'b> {
        length: i64,
        nodes: &'b [(i64, i64)],
        buffers: Option<&'b [(i64, i64)]>,
        variadic: Option<&'b [i64]>,
        body: &'b [u8],
    }

    fn batch_message(b: &Batch<'_>) -> Vec<u8> {
        let mut fbb = flatbuffers::FlatBufferBuilder::new();
        let buffers = b.buffers.map(|bs| {
            let bs: Vec<arrow_ipc::Buffer> = bs.iter().map(|&(o, l)| arrow_ipc::Buffer::new(o, l)).collect();
            fbb.create_vector(&bs)
        });
        let nodes: Vec<arrow_ipc::FieldNode> = b.nodes.iter().map(|&(l, n)| arrow_ipc::FieldNode::new(l, n)).collect();
        let nodes = fbb.create_vector(&nodes);
        let variadic = b.variadic.map(|v| fbb.create_vector(v));
        let mut rb = arrow_ipc::RecordBatchBuilder::new(&mut fbb);
        rb.add_length(b.length);
        rb.add_nodes(nodes);
        if let Some(bs) = buffers {
            rb.add_buffers(bs);
        }
        if let Some(v) = variadic {
            rb.add_variadicBufferCounts(v);
        }
        let rb = rb.finish();
        let mut m = arrow_ipc::MessageBuilder::new(&mut fbb);
        m.add_version(MetadataVersion::V5);
        m.add_header_type(MessageHeader::RecordBatch);
        m.add_bodyLength(b.body.len() as i64);
        m.add_header(rb.as_union_value());
        let m = m.finish();
        fbb.finish(m, None);
        message(fbb.finished_data(), b.body)
    }

    fn stream(t: &DataType, b: &Batch<'_>) -> Vec<u8> {
        let mut s = schema_message(t);
        s.extend_from_slice(&batch_message(b));
        s.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        s
    }

    /// A column as (length, null count, element bytes), whichever way it was read.
    fn summary(c: Result<Option<Column<'_>>>, width: usize) -> Result<Option<(usize, usize, Vec<u8>)>> {
        c.map(|c| {
            c.map(|c| match c {
                Column::Values { len, nulls, bytes } => (len, nulls, bytes.to_vec()),
                Column::Array(a) => {
                    let d = a.to_data();
                    let bytes = d.buffers()[0].as_slice()[d.offset() * width..(d.offset() + a.len()) * width].to_vec();
                    (a.len(), a.null_count(), bytes)
                }
            })
        })
    }

    /// The batch of a fixed-width column is read without arrow-rs exactly as
    /// arrow-rs reads it: the same elements, length and null count, or the
    /// same rejection (code, clause, message: arrow-rs's words), over
    /// batches with every field of the RecordBatch varied around its edges
    /// (short, long and missing buffers, lying null counts, empty bitmaps,
    /// variadic counts, lengths that disagree).
    #[test]
    fn fixed_width_batches_read_as_arrow_rs_reads_them() {
        let types = [
            (DataType::Int8, 1),
            (DataType::UInt16, 2),
            (DataType::Float16, 2),
            (DataType::Int32, 4),
            (DataType::Float64, 8),
            (DataType::Timestamp(TimeUnit::Nanosecond, None), 8),
            (DataType::Timestamp(TimeUnit::Second, Some("".into())), 8),
            (DataType::Duration(TimeUnit::Millisecond), 8),
        ];
        let (mut fast, mut rejected, mut cases) = (0, 0, 0);
        for (t, w) in &types {
            let w = *w as i64;
            for length in [0i64, 1, 3, 9] {
                let values = |k: i64| (length + k).max(0) * w;
                for node in [(length, 0), (length, 1), (length, 2), (length + 1, 0), (length, length)] {
                    for bitmap in [0xffu8, 0xfe, 0x00, 0xfd] {
                        for validity_len in [0i64, 1, 2] {
                            for (values_off, values_len) in
                                [(8, values(0)), (8, values(-1)), (8, values(1)), (8, values(0) + 1), (16, values(0)), (8, 0)]
                            {
                                for buffers in [0usize, 1, 2, 3] {
                                    for variadic in [None, Some(&[][..]), Some(&[0i64][..])] {
                                        let all = [(0, validity_len), (values_off, values_len), (0, 0)];
                                        let mut body = vec![0u8; 96];
                                        body[..2].copy_from_slice(&[bitmap, bitmap]);
                                        for (i, b) in body[8..].iter_mut().enumerate() {
                                            *b = i as u8 ^ 0x5a;
                                        }
                                        let b = Batch {
                                            length,
                                            nodes: &[node],
                                            buffers: (buffers > 0).then(|| &all[..buffers.min(3)]),
                                            variadic,
                                            body: &body,
                                        };
                                        let bytes = stream(t, &b);
                                        let Ok(s) = read(&bytes) else { continue };
                                        cases += 1;
                                        let w = w as usize;
                                        let ours = summary(s.decode_column_in(None, Some(w)), w);
                                        let theirs = summary(s.decode_column_in(None, None), w);
                                        assert_eq!(ours, theirs, "{t:?} length {length} node {node:?} bitmap {bitmap:#x} validity {validity_len} values [{values_off}, +{values_len}) buffers {buffers} variadic {variadic:?}");
                                        if ours.is_err() {
                                            rejected += 1;
                                        }
                                        if let (Ok(Some(_)), Some((rb, body, _))) = (&ours, s.batch)
                                            && fixed_values(&rb, body, w).is_some()
                                        {
                                            fast += 1;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(cases > 20_000 && fast > 2_000 && rejected > 10_000, "{cases} cases, {fast} read without arrow-rs, {rejected} rejected");
    }

    /// The order of the faults of a fixed-width column, read without
    /// arrow-rs, is the order of old (arrow-rs read the batch): the batch's
    /// contents (item 4 of [ndarray.arrow.stream], arrow-rs's words where it
    /// found the fault), then [ndarray.arrow.length], then [ndarray.arrow.nulls].
    #[test]
    fn faults_of_fixed_width_columns_keep_their_order() {
        use crate::error::Code::{ArrowNulls, ArrowPayload, ShapeMismatch};
        let body: Vec<u8> = (0..64u8).collect();
        let decode = |nodes: &[(i64, i64)], buffers: &[(i64, i64)], variadic: Option<&[i64]>, bitmap: u8, shape: u64| {
            let mut body = body.clone();
            body[0] = bitmap;
            let b = Batch { length: nodes[0].0, nodes, buffers: Some(buffers), variadic, body: &body };
            let b64 = super::super::base64::encode(&stream(&DataType::Float64, &b));
            let text = format!(r#"{{"__tywrap__":"ndarray","codecVersion":1,"encoding":"arrow","dtype":"float64","shape":[{shape}],"b64":"{b64}"}}"#);
            match crate::decode(text.as_bytes(), &crate::Limits::default()) {
                Ok(v) => panic!("accepted as {v:?}"),
                Err(e) => (e.code(), e.clause(), e.message().to_string()),
            }
        };
        let check = |got: (Code, &str, String), code: Code, clause: &str, words: &str| {
            assert_eq!((got.0, got.1), (code, clause), "{}", got.2);
            assert!(got.2.contains(words), "{} lacks {words:?}", got.2);
        };
        let stream_clause = "ndarray.arrow.stream";
        // A values buffer too short for 3 elements, with a shape of 4.
        let short = decode(&[(3, 0)], &[(0, 0), (8, 16)], None, 0, 4);
        check(short, ArrowPayload, stream_clause, "is malformed: Invalid argument error: Need at least 24 bytes in buffers[0] in array of type Float64, but got 16");
        // Nulls (element 0) and a short values buffer; and the same with a shape of 4.
        for shape in [3, 4] {
            let got = decode(&[(3, 1)], &[(0, 1), (8, 16)], None, 0b110, shape);
            check(got, ArrowPayload, stream_clause, "Need at least 24 bytes");
        }
        // Nulls with a shape mismatch; nulls alone.
        check(decode(&[(3, 1)], &[(0, 1), (8, 24)], None, 0b110, 4), ShapeMismatch, "ndarray.arrow.length", "has 3 elements but shape [4] has 4");
        check(decode(&[(3, 1)], &[(0, 1), (8, 24)], None, 0b110, 3), ArrowNulls, "ndarray.arrow.nulls", "has 1 null elements");
        // A null count without a bitmap, with a shape mismatch.
        check(decode(&[(3, 1)], &[(0, 0), (8, 24)], None, 0, 4), ArrowPayload, stream_clause, "null_bit_buffer size too small. got 0 needed 1");
        // A null count the bitmap contradicts, with a short buffer and a shape mismatch.
        check(decode(&[(3, 1)], &[(0, 1), (8, 16)], None, 0b111, 4), ArrowPayload, stream_clause, "null_count is 1 but the validity bitmap has 0 nulls");
        // A values buffer of part of an element, with nulls and a shape mismatch.
        check(decode(&[(3, 1)], &[(0, 1), (8, 20)], None, 0b110, 4), ArrowPayload, stream_clause, "a buffer of 20 bytes does not hold whole 8-byte elements");
        // One buffer only; variadic buffer counts for a Float64 column.
        check(decode(&[(3, 0)], &[(0, 0)], None, 0, 4), ArrowPayload, stream_clause, "Buffer count mismatched with metadata");
        check(decode(&[(3, 0)], &[(0, 0), (8, 24)], Some(&[0]), 0, 4), ArrowPayload, stream_clause, "declares 1 more variadic buffer count(s)");
    }

    fn fb_schema_with(build: impl FnOnce(&mut flatbuffers::FlatBufferBuilder<'static>) -> Vec<flatbuffers::WIPOffset<arrow_ipc::Field<'static>>>) -> Vec<u8> {
        let mut fbb = flatbuffers::FlatBufferBuilder::new();
        let fields = build(&mut fbb);
        let fields = fbb.create_vector(&fields);
        let mut s = arrow_ipc::SchemaBuilder::new(&mut fbb);
        s.add_fields(fields);
        let s = s.finish();
        let mut m = arrow_ipc::MessageBuilder::new(&mut fbb);
        m.add_version(MetadataVersion::V5);
        m.add_header_type(MessageHeader::Schema);
        m.add_header(s.as_union_value());
        let m = m.finish();
        fbb.finish(m, None);
        fbb.finished_data().to_vec()
    }

    /// A field named "value" whose type is the table `ty` of tag `tag` (or no value at all).
    fn field(
        fbb: &mut flatbuffers::FlatBufferBuilder<'static>,
        tag: arrow_ipc::Type,
        ty: Option<flatbuffers::WIPOffset<flatbuffers::UnionWIPOffset>>,
        dictionary: bool,
    ) -> flatbuffers::WIPOffset<arrow_ipc::Field<'static>> {
        let name = fbb.create_string("value");
        let dict = dictionary.then(|| {
            let mut i = arrow_ipc::IntBuilder::new(fbb);
            i.add_bitWidth(32);
            i.add_is_signed(true);
            let i = i.finish();
            let mut d = arrow_ipc::DictionaryEncodingBuilder::new(fbb);
            d.add_id(0);
            d.add_indexType(i);
            d.finish()
        });
        let mut f = arrow_ipc::FieldBuilder::new(fbb);
        f.add_name(name);
        f.add_nullable(true);
        f.add_type_type(tag);
        if let Some(ty) = ty {
            f.add_type_(ty);
        }
        if let Some(d) = dict {
            f.add_dictionary(d);
        }
        f.finish()
    }

    /// The schema's type, read from the flatbuffer without arrow-rs, is the
    /// one arrow-rs's `try_fb_to_schema` gives, for every schema it is read
    /// for (which that function then cannot refuse).
    #[test]
    fn simple_types_are_the_types_arrow_rs_reads() {
        use arrow_ipc::Type as T;
        type Build = Box<dyn FnOnce(&mut flatbuffers::FlatBufferBuilder<'static>) -> Vec<flatbuffers::WIPOffset<arrow_ipc::Field<'static>>>>;
        let mut schemas: Vec<(Vec<u8>, bool)> = Vec::new();
        let mut add = |b: Build, simple: bool| schemas.push((fb_schema_with(b), simple));
        for (width, signed) in [0, 7, 8, 16, 32, 64, 128].into_iter().flat_map(|w| [(w, false), (w, true)]) {
            add(
                Box::new(move |fbb| {
                    let mut i = arrow_ipc::IntBuilder::new(fbb);
                    i.add_bitWidth(width);
                    i.add_is_signed(signed);
                    let i = i.finish().as_union_value();
                    vec![field(fbb, T::Int, Some(i), false)]
                }),
                [8, 16, 32, 64].contains(&width),
            );
        }
        for p in 0..5 {
            add(
                Box::new(move |fbb| {
                    let mut f = arrow_ipc::FloatingPointBuilder::new(fbb);
                    f.add_precision(arrow_ipc::Precision(p));
                    let f = f.finish().as_union_value();
                    vec![field(fbb, T::FloatingPoint, Some(f), false)]
                }),
                p < 3,
            );
        }
        for u in 0..5 {
            for tz in [None, Some(""), Some("UTC")] {
                add(
                    Box::new(move |fbb| {
                        let tz = tz.map(|z| fbb.create_string(z));
                        let mut b = arrow_ipc::TimestampBuilder::new(fbb);
                        b.add_unit(arrow_ipc::TimeUnit(u));
                        if let Some(tz) = tz {
                            b.add_timezone(tz);
                        }
                        let b = b.finish().as_union_value();
                        vec![field(fbb, T::Timestamp, Some(b), false)]
                    }),
                    u < 4 && tz.is_none(),
                );
            }
            add(
                Box::new(move |fbb| {
                    let mut b = arrow_ipc::DurationBuilder::new(fbb);
                    b.add_unit(arrow_ipc::TimeUnit(u));
                    let b = b.finish().as_union_value();
                    vec![field(fbb, T::Duration, Some(b), false)]
                }),
                u < 4,
            );
            add(
                Box::new(move |fbb| {
                    let mut b = arrow_ipc::DateBuilder::new(fbb);
                    b.add_unit(arrow_ipc::DateUnit(u));
                    let b = b.finish().as_union_value();
                    vec![field(fbb, T::Date, Some(b), false)]
                }),
                u == 0,
            );
        }
        for tag in [T::Bool, T::Utf8, T::Binary, T::LargeUtf8, T::Null] {
            add(
                Box::new(move |fbb| {
                    let b = arrow_ipc::BoolBuilder::new(fbb).finish().as_union_value();
                    vec![field(fbb, tag, Some(b), false)]
                }),
                matches!(tag, T::Bool | T::Utf8 | T::Binary),
            );
        }
        // Two fields; a dictionary-encoded field; no field.
        let bool_field = |fbb: &mut flatbuffers::FlatBufferBuilder<'static>, dictionary| {
            let b = arrow_ipc::BoolBuilder::new(fbb).finish().as_union_value();
            field(fbb, T::Bool, Some(b), dictionary)
        };
        add(Box::new(move |fbb| vec![bool_field(fbb, false), bool_field(fbb, false)]), false);
        add(Box::new(move |fbb| vec![bool_field(fbb, true)]), false);
        add(Box::new(|_| vec![]), false);
        // An Int tag without its table: the flatbuffers verifier refuses it.
        let no_table = fb_schema_with(|fbb| vec![field(fbb, T::Int, None, false)]);
        assert!(root_as_message(&no_table).is_err());
        for (meta, simple) in schemas {
            let m = root_as_message(&meta).unwrap();
            let fb = m.header_as_schema().unwrap();
            let got = simple_type(&fb);
            assert_eq!(got.is_some(), simple, "{got:?}");
            if let Some(t) = got {
                let s = arrow_ipc::convert::try_fb_to_schema(fb).unwrap();
                assert_eq!(s.fields().len(), 1);
                assert_eq!(s.field(0).data_type(), &t);
            }
        }
    }
}
