//! One-column Arrow IPC streams ([ndarray.arrow.stream], [ndarray.arrow.batches]).
//!
//! The framing (continuation markers, lengths, message order, buffer bounds,
//! end-of-stream, trailing bytes) is checked here against the bytes present
//! before anything reaches arrow-rs, whose reader can panic on malformed
//! input; what arrow-rs does after that runs under `catch_unwind`.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_buffer::Buffer;
use arrow_ipc::reader::read_record_batch;
use arrow_ipc::writer::StreamWriter;
use arrow_ipc::{Endianness, MessageHeader, MetadataVersion, root_as_message};
use arrow_schema::{Field, Schema};

use crate::error::{Code, Error, Result};

const CONTINUATION: [u8; 4] = [0xff; 4];

fn payload(clause: &'static str, why: impl Into<String>) -> Error {
    Error::new(Code::ArrowPayload, clause, why)
}

fn bad(why: impl Into<String>) -> Error {
    payload("ndarray.arrow.stream", why)
}

/// A stream whose framing is sound: its schema, and its one record batch
/// still undecoded (see [`Stream::decode_batch_in`]).
pub(crate) struct Stream<'a> {
    /// The schema, as arrow-rs reads it; `None` only when a field is
    /// dictionary-encoded in a way arrow-rs cannot read.
    pub schema: Option<Arc<Schema>>,
    /// The top-level field names.
    pub field_names: Vec<&'a str>,
    /// Whether any top-level field is dictionary-encoded.
    pub dictionary_fields: bool,
    batch: Option<(arrow_ipc::RecordBatch<'a>, &'a [u8], usize)>,
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
    let fb_fields = count_fields(fb_schema.fields(), 0);
    let dictionary_fields = fb_schema.fields().is_some_and(|fs| fs.iter().any(|f| f.dictionary().is_some()));
    let field_names: Vec<&str> = fb_schema.fields().iter().flatten().map(|f| f.name().unwrap_or_default()).collect();
    // arrow-rs refuses a dictionary encoding without indexType, which the
    // Arrow format allows (int32 indices). Such a field fails
    // [ndarray.arrow.schema] anyway, so that one refusal is deferred to it.
    // Likewise a schema without its fields vector, which the format reads as
    // no fields.
    let valid_dictionary_without_index = fb_schema.fields().is_none()
        || fb_schema
            .fields()
            .is_some_and(|fs| fs.iter().any(|f| f.dictionary().is_some_and(|d| d.indexType().is_none())));
    // [ndarray.arrow.stream] item 1, "Type parameters": a Decimal precision its width holds.
    if let Some(why) = super::ipc::decimal_precision_fault(&fb_schema) {
        return Err(bad(why));
    }
    let schema = match contain(|| arrow_ipc::convert::try_fb_to_schema(fb_schema))? {
        Ok(s) => Some(Arc::new(s)),
        Err(_) if valid_dictionary_without_index => None,
        Err(e) => return Err(bad(format!("invalid schema: {e}"))),
    };

    let mut batches = Vec::new();
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
        let nodes = rb.nodes().map(|n| n.len()).unwrap_or(0);
        if nodes != fb_fields {
            return Err(bad(format!("record batch at byte {} has {nodes} field nodes for {fb_fields} fields", m.at)));
        }
        for n in rb.nodes().iter().flatten() {
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
        batches.push((rb, m.body, m.at));
    }
    if pos != bytes.len() {
        return Err(bad(format!("{} bytes follow the end-of-stream marker", bytes.len() - pos)));
    }
    if batches.len() > 1 {
        return Err(payload(
            "ndarray.arrow.batches",
            format!("the stream has {} record batches; at most one is allowed", batches.len()),
        ));
    }
    Ok(Stream { schema, field_names, dictionary_fields, batch: batches.pop() })
}

impl Stream<'_> {
    /// Decodes the record batch (item 4 of [ndarray.arrow.stream]). Call it
    /// only once the schema is one flat field of a type from the dtype
    /// table: arrow-rs is then handed nothing but the layouts those types
    /// have, with every buffer bounded and aligned, and its null counts
    /// checked against the bitmaps here first.
    ///
    /// When the stream was read from the bytes of `whole`, the columns are
    /// views of `whole` (no copy of the body); otherwise of a copy of the body.
    pub(crate) fn decode_batch_in(&self, whole: Option<&Buffer>) -> Result<Option<RecordBatch>> {
        let Some((rb, body, at)) = self.batch else { return Ok(None) };
        let nodes = rb.nodes().map(|n| n.len()).unwrap_or(0);
        if nodes != 1 {
            return Err(bad(format!("record batch at byte {at} has {nodes} field nodes for one field")));
        }
        if rb.nodes().iter().flatten().any(|n| n.length() != rb.length()) {
            return Err(bad(format!("record batch at byte {at}: the column's length differs from the batch's")));
        }
        check_validity(&rb, body, at)?;
        check_widths(&rb, self.schema.as_ref().map(|s| s.field(0).data_type()), at)?;
        let buf = match whole.and_then(|w| Some(w.slice_with_length(within(w.as_slice(), body)?, body.len()))) {
            Some(view) => view,
            None => Buffer::from(body),
        };
        let dicts = HashMap::new();
        let s = self.schema.clone().ok_or_else(|| bad("the schema cannot be read"))?;
        // The nullable flag does not matter ([ndarray.arrow.schema]): nulls are
        // judged by [ndarray.arrow.nulls], so arrow-rs reads every field as nullable.
        let s = if s.fields().iter().all(|f| f.is_nullable()) {
            s
        } else {
            Arc::new(Schema::new(s.fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect::<Vec<_>>()))
        };
        let batch = contain(move || read_record_batch(&buf, rb, s, &dicts, None, &MetadataVersion::V5))?
            .map_err(|e| bad(format!("record batch at byte {at} is malformed: {e}")))?;
        Ok(Some(batch))
    }
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

/// [`write`] for a column of a fixed-width type without nulls, whose values
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
