//! Frames (`spec/src/frame.md`): the binary form of an envelope. This module
//! is the framing alone: the signature, the version, the header's length and
//! text, the `buffers` layout and the padding. It hands out the header's
//! members and borrowed views of the buffers, and never looks into the
//! envelope or the payload: `crate::envelope` decodes the header's envelope,
//! resolving its buffer references through [`FrameView::buffer`].
//!
//! Every length and offset read from the input is checked against the input
//! (and the limits) before it is used: nothing is allocated in proportion to
//! `H`, an offset or a length, and the `buffers` array is walked in place
//! rather than collected, so a header of a million `[0,0]` entries costs no
//! memory.

mod write;

use std::borrow::Cow;

use crate::error::{Code, Error, Result};
use crate::json::{Cursor, Document, Json, Member, Scalar, dimension, parse_document};
use crate::limits::Limits;

pub(crate) use write::write;

/// The 8 bytes every frame starts with ([frame.signature]).
pub const SIGNATURE: [u8; 8] = [0xc1, 0x53, 0x57, 0x52, 0x0d, 0x0a, 0x1a, 0x0a];

/// The frame version this implementation reads and writes ([frame.version]).
pub const VERSION: u32 = 1;

/// The alignment of the buffers, from the start of the frame.
pub const ALIGN: u64 = 64;

/// Signature, version and header length.
const PREFIX: usize = 16;

/// Whether `input` is to be read as a frame: its first byte is the
/// signature's, `c1`, which starts no UTF-8 text ([frame.detect]).
pub fn is_frame(input: &[u8]) -> bool {
    input.first() == Some(&SIGNATURE[0])
}

/// `n` rounded up to a multiple of [`ALIGN`]. `n` is at most 2^53 + 2^32
/// wherever it is called, so this cannot overflow.
pub(crate) fn align(n: u64) -> u64 {
    n.div_ceil(ALIGN) * ALIGN
}

/// `1 byte`, `3 bytes`.
fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn layout(clause: &'static str, why: String) -> Error {
    Error::new(Code::FrameLayout, clause, why)
}

/// A frame whose framing is valid ([frame.signature] to [frame.padding]):
/// its header's members and its buffers, all borrowed from the input.
///
/// The buffers are the input's own bytes, unchecked against the envelope:
/// [`crate::decode_frame`] validates the header's envelope and the buffer
/// contents and returns the owned value, copying each buffer once.
///
/// ```
/// # fn main() -> sciwire::Result<()> {
/// let value = sciwire::Value::NdArray(sciwire::NdArray {
///     dtype: sciwire::Dtype::Float64, shape: vec![2], data: [1.5f64, -2.0].iter().flat_map(|f| f.to_le_bytes()).collect(),
/// });
/// let bytes = sciwire::encode(&value, sciwire::Encoding::Frame)?;
/// let view = sciwire::frame::read(&bytes, &sciwire::Limits::default())?;
/// assert_eq!(view.buffer_count(), 1);
/// let floats = view.buffer(0).and_then(|b| b.elements::<f64>()).unwrap_or_default();
/// assert_eq!(&*floats, &[1.5, -2.0]);
/// assert_eq!(sciwire::decode_frame(&view, &sciwire::Limits::default())?, value);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FrameView<'a> {
    input: &'a [u8],
    header: &'a str,
    /// Where the buffers start: the header's end rounded up to [`ALIGN`].
    start: usize,
    /// The text of the header's `buffers` array, validated.
    buffers: &'a str,
    count: usize,
    /// The header's members without `buffers`: the envelope.
    members: Vec<Member<'a>>,
}

/// One buffer of a frame: a slice of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameBuffer<'a> {
    bytes: &'a [u8],
    offset: usize,
}

mod sealed {
    pub trait Sealed {}
}

/// An element type a buffer can be viewed as: the fixed-width little-endian
/// numbers of the dtype table (`float16` is viewed as `u16` bits, the
/// datetime and timedelta dtypes as `i64`).
pub trait Element: bytemuck::Pod + sealed::Sealed {}

macro_rules! elements {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {}
    )*};
}
elements!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

impl<'a> FrameBuffer<'a> {
    /// The buffer's bytes: a slice of the input.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The buffer's offset from the start of the frame (a multiple of 64).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The buffer's length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the buffer holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The buffer as little-endian elements of `T` ([frame.view]): borrowed
    /// from the input when its address is aligned for `T` and the machine
    /// is little-endian, else copied once. `None` when the length is not a
    /// whole number of elements.
    pub fn elements<T: Element>(&self) -> Option<Cow<'a, [T]>> {
        let size = std::mem::size_of::<T>();
        if !self.bytes.len().is_multiple_of(size) {
            return None;
        }
        if cfg!(target_endian = "little")
            && let Ok(borrowed) = bytemuck::try_cast_slice::<u8, T>(self.bytes)
        {
            return Some(Cow::Borrowed(borrowed));
        }
        let mut owned = vec![T::zeroed(); self.bytes.len() / size];
        bytemuck::cast_slice_mut::<T, u8>(&mut owned).copy_from_slice(self.bytes);
        if cfg!(target_endian = "big") {
            owned.iter_mut().for_each(|x| bytemuck::bytes_of_mut(x).reverse());
        }
        Some(Cow::Owned(owned))
    }
}

/// The items of a `buffers` span, each `[offset, length]` or `None` when it
/// is not two integers in `[0, 2^53-1]` ([frame.buffers]).
fn entries(span: &str) -> impl Iterator<Item = Option<(u64, u64)>> + '_ {
    let mut c = Cursor::new(span);
    c.open_array();
    std::iter::from_fn(move || {
        if !c.next_item() {
            return None;
        }
        Some(match c.value() {
            Ok(Json::Array(item)) => pair(item),
            _ => None,
        })
    })
}

fn pair(item: &str) -> Option<(u64, u64)> {
    let mut c = Cursor::new(item);
    let mut pair = [0u64; 2];
    let mut n = 0;
    c.open_array();
    while c.next_item() {
        let slot = pair.get_mut(n)?;
        *slot = match c.scalar() {
            Scalar::Number(t) => dimension(t)?,
            _ => return None,
        };
        n += 1;
    }
    (n == 2).then_some((pair[0], pair[1]))
}

/// Reads a frame's framing, in the page's processing order: the whole input
/// against [limits.input-bytes], then [frame.signature], [frame.version],
/// [frame.header-length], [frame.header], [frame.buffers] (the items, then
/// [frame.limits], then the layout) and [frame.padding].
pub fn read<'a>(input: &'a [u8], limits: &Limits) -> Result<FrameView<'a>> {
    limits.input_bytes(input.len())?;
    if !input.starts_with(&SIGNATURE) {
        return Err(Error::new(Code::FrameSignature, "frame.signature", signature_damage(input)));
    }
    let prefix = |what: &str| {
        layout(
            "frame.header-length",
            format!("the input ends after {}, inside the frame's {what}", count(input.len() as u64, "byte")),
        )
    };
    let word = |at: usize| input.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
    let version = word(8).ok_or_else(|| prefix("version"))?;
    if version != VERSION {
        return Err(Error::new(
            Code::FrameVersion,
            "frame.version",
            format!("frame version {version} is not supported; this decoder reads version {VERSION}"),
        ));
    }
    let h = word(12).ok_or_else(|| prefix("header length"))?;
    let after_prefix = input.len() - PREFIX;
    if u64::from(h) > after_prefix as u64 {
        return Err(layout(
            "frame.header-length",
            format!("the header length is {h} bytes, but only {after_prefix} bytes follow the frame's prefix"),
        ));
    }
    let header_end = PREFIX + h as usize;
    let header_bytes = &input[PREFIX..header_end];
    let mut members = match parse_document(header_bytes, limits.max_depth) {
        Ok(Document::Object(members)) => members,
        Ok(Document::Other(what)) => {
            return Err(Error::new(
                Code::NotEnvelope,
                "envelope.object",
                format!("the frame's header is {what}, not an envelope object"),
            ));
        }
        Err(e) => return Err(Error::new(e.code(), e.clause(), format!("in the frame's header: {}", e.message()))),
    };
    let header = std::str::from_utf8(header_bytes).unwrap_or_default();
    let (span, items) = read_buffers(&mut members, limits)?;
    let start = check_layout(input, header_end, span, items)?;
    check_padding(input, header_end, start, span)?;
    Ok(FrameView { input, header, start, buffers: span, count: items, members })
}

/// Why an input that starts with `c1` is not a frame ([frame.signature]).
fn signature_damage(input: &[u8]) -> String {
    match input.iter().zip(SIGNATURE).position(|(&a, b)| a != b) {
        Some(i) => {
            let hint = if i >= 4 { " (were its line endings translated in transit?)" } else { "" };
            format!("byte {i} of the frame signature is {:02x}, not {:02x}{hint}", input[i], SIGNATURE[i])
        }
        None => format!("the input ends after {}, inside the 8-byte frame signature", count(input.len() as u64, "byte")),
    }
}

/// [frame.buffers] (the member and its items) and [frame.limits]: takes
/// `buffers` out of the header's members; its span and number of items.
fn read_buffers<'a>(members: &mut Vec<Member<'a>>, limits: &Limits) -> Result<(&'a str, usize)> {
    let clause = "frame.buffers";
    let Some(at) = members.iter().position(|(name, _, _)| name == "buffers") else {
        return Err(Error::new(Code::MissingField, clause, "the frame's header has no buffers member").at("/buffers"));
    };
    let (_, value, _) = members.remove(at);
    let Json::Array(span) = value else {
        return Err(Error::new(
            Code::FieldType,
            clause,
            format!("buffers must be an array of [offset, length] pairs, not {}", value.type_name()),
        )
        .at("/buffers"));
    };
    let (mut items, mut total) = (0usize, 0u64);
    for (i, entry) in entries(span).enumerate() {
        let Some((_, length)) = entry else {
            return Err(layout(clause, format!("buffers[{i}] is not [offset, length], two integers in [0, 2^53-1]"))
                .at(format!("/buffers/{i}")));
        };
        total = total.saturating_add(length);
        items += 1;
    }
    if total > limits.max_decoded_bytes {
        let claim = if total == u64::MAX { "more than 2^64 bytes".to_string() } else { count(total, "byte") };
        return Err(Error::new(
            Code::LimitExceeded,
            "frame.limits",
            format!("the frame's buffers claim {claim}, over the limit of {} decoded bytes", limits.max_decoded_bytes),
        )
        .at("/buffers"));
    }
    Ok((span, items))
}

/// [frame.buffers], the layout: each buffer at the aligned end of the one
/// before, the last ending where the input ends. Returns where the buffers
/// start.
fn check_layout(input: &[u8], header_end: usize, span: &str, items: usize) -> Result<usize> {
    let clause = "frame.buffers";
    let len = input.len() as u64;
    let start = align(header_end as u64);
    if start > len {
        return Err(layout(
            clause,
            format!("the input ends after {len} bytes, inside the header's padding, which runs to byte {start}"),
        ));
    }
    let room = len - start;
    let (mut next, mut end) = (0u64, 0u64);
    for (i, entry) in entries(span).enumerate() {
        let (offset, length) = entry.unwrap_or_default();
        if offset != next {
            return Err(layout(
                clause,
                format!("buffers[{i}] is at offset {offset}; it must be at {next}, the first multiple of 64 after the previous buffer"),
            )
            .at(format!("/buffers/{i}")));
        }
        if offset > room || length > room - offset {
            return Err(layout(
                clause,
                format!("buffers[{i}] (offset {offset}, length {length}) ends past the input, which holds {room} bytes of buffers"),
            )
            .at(format!("/buffers/{i}")));
        }
        end = offset + length;
        next = align(end);
    }
    if end != room {
        let bytes = |n: u64| if n == 1 { "1 byte follows".to_string() } else { format!("{n} bytes follow") };
        // The loop refused every buffer that ends past the input: end < room.
        let why = if items == 0 {
            format!("the frame has no buffers, but {} its header's padding", bytes(room))
        } else {
            format!("{} the frame's last buffer; a frame ends where its last buffer ends", bytes(room.saturating_sub(end)))
        };
        return Err(layout(clause, why));
    }
    Ok(start as usize)
}

/// [frame.padding]: zero bytes after the header and between the buffers.
fn check_padding(input: &[u8], header_end: usize, start: usize, span: &str) -> Result<()> {
    let nonzero = |from: usize, to: usize| input[from..to].iter().position(|&b| b != 0).map(|i| from + i);
    if let Some(at) = nonzero(header_end, start) {
        return Err(layout(
            "frame.padding",
            format!("byte {at} of the header's padding is {:02x}, not 00", input[at]),
        ));
    }
    let mut end = 0usize;
    for (i, entry) in entries(span).enumerate() {
        let (offset, length) = entry.unwrap_or_default();
        if let Some(at) = nonzero(start + end, start + offset as usize) {
            return Err(layout(
                "frame.padding",
                format!("byte {at}, in the padding before buffers[{i}], is {:02x}, not 00", input[at]),
            ));
        }
        end = (offset + length) as usize;
    }
    Ok(())
}

impl<'a> FrameView<'a> {
    /// The header's JSON text (without its padding).
    pub fn header(&self) -> &'a str {
        self.header
    }

    /// The number of buffers.
    pub fn buffer_count(&self) -> usize {
        self.count
    }

    /// Buffer `i`, a slice of the input; `None` past the last.
    pub fn buffer(&self, i: usize) -> Option<FrameBuffer<'a>> {
        self.buffers().nth(i)
    }

    /// The buffers, in order.
    pub fn buffers(&self) -> impl Iterator<Item = FrameBuffer<'a>> + '_ {
        entries(self.buffers).map(|entry| {
            // The layout is checked: every entry lies inside the input.
            let (offset, length) = entry.unwrap_or_default();
            let offset = self.start + offset as usize;
            let bytes = self.input.get(offset..offset + length as usize).unwrap_or_default();
            FrameBuffer { bytes, offset }
        })
    }

    /// The header's members without `buffers`: the envelope.
    pub(crate) fn members(&self) -> &[Member<'a>] {
        &self.members
    }
}

#[cfg(test)]
mod tests;
