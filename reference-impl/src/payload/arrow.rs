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
/// still undecoded (see [`Stream::decode_batch`]).
pub(crate) struct Stream<'a> {
    /// The schema.
    pub schema: Arc<Schema>,
    /// Whether any top-level field is dictionary-encoded.
    pub dictionary_fields: bool,
    batch: Option<(arrow_ipc::RecordBatch<'a>, &'a [u8], usize)>,
}

struct Message<'a> {
    msg: arrow_ipc::Message<'a>,
    body: &'a [u8],
    at: usize,
}

/// Reads the message at `pos`: `Ok(None)` at the end-of-stream marker.
fn next_message<'a>(bytes: &'a [u8], pos: &mut usize) -> Result<Option<Message<'a>>> {
    let at = *pos;
    let rest = &bytes[at..];
    if rest.is_empty() {
        return Err(bad(format!("stream ends at byte {at} without the end-of-stream marker")));
    }
    if at == 0 && rest.starts_with(b"ARROW1") {
        return Err(bad("the payload is an Arrow IPC file, not a stream"));
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
    let fb_fields = fb_schema.fields().map(|f| f.len()).unwrap_or(0);
    let dictionary_fields = fb_schema.fields().is_some_and(|fs| fs.iter().any(|f| f.dictionary().is_some()));
    let schema = contain(|| arrow_ipc::convert::try_fb_to_schema(fb_schema))?
        .map_err(|e| bad(format!("invalid schema: {e}")))?;
    let schema = Arc::new(schema);

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
        if nodes < fb_fields {
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
    Ok(Stream { schema, dictionary_fields, batch: batches.pop() })
}

impl Stream<'_> {
    /// Decodes the record batch (item 4 of [ndarray.arrow.stream]). Call it
    /// only once the schema is one flat field of a type from the dtype
    /// table: arrow-rs is then handed nothing but the layouts those types
    /// have, with every buffer bounded and aligned, and its null counts
    /// checked against the bitmaps here first.
    pub(crate) fn decode_batch(&self) -> Result<Option<RecordBatch>> {
        let Some((rb, body, at)) = self.batch else { return Ok(None) };
        let nodes = rb.nodes().map(|n| n.len()).unwrap_or(0);
        if nodes != 1 {
            return Err(bad(format!("record batch at byte {at} has {nodes} field nodes for one field")));
        }
        if rb.nodes().iter().flatten().any(|n| n.length() != rb.length()) {
            return Err(bad(format!("record batch at byte {at}: the column's length differs from the batch's")));
        }
        check_validity(&rb, body, at)?;
        let buf = Buffer::from(body);
        let dicts = HashMap::new();
        let s = self.schema.clone();
        let batch = contain(move || read_record_batch(&buf, rb, s, &dicts, None, &MetadataVersion::V5))?
            .map_err(|e| bad(format!("record batch at byte {at} is malformed: {e}")))?;
        Ok(Some(batch))
    }
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

/// Runs arrow-rs code that may panic on malformed input, mapping a panic to
/// a typed error.
fn contain<T>(f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let what = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        bad(format!("the Arrow reader failed on malformed input: {what}"))
    })
}

/// Writes a one-column stream: schema, the batch (none when `array` is
/// empty), end-of-stream.
pub(crate) fn write(array: ArrayRef) -> std::result::Result<Vec<u8>, arrow_schema::ArrowError> {
    let field = Field::new("value", array.data_type().clone(), false);
    let schema = Arc::new(Schema::new(vec![field]));
    let mut w = StreamWriter::try_new(Vec::new(), &schema)?;
    if !array.is_empty() {
        w.write(&RecordBatch::try_new(schema, vec![array])?)?;
    }
    w.finish()?;
    w.into_inner()
}
