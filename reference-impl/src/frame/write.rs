//! Writing a frame ([frame.encode]): the one layout, from an envelope's
//! header text and its buffers.

use super::{ALIGN, PREFIX, SIGNATURE, VERSION, align};
use crate::error::{Code, Error, Result};
use crate::limits::Limits;

/// The frame of `header` (an envelope's JSON object text, which gains the
/// `buffers` member as its last) and `buffers`, each written at the first
/// multiple of 64 after the one before, with zero padding. Refuses a frame
/// that a decoder with the default limits would reject for its size.
pub(crate) fn write(header: &str, buffers: &[&[u8]]) -> Result<Vec<u8>> {
    let limits = Limits::default();
    let total: u64 = buffers.iter().map(|b| b.len() as u64).sum();
    if total > limits.max_decoded_bytes {
        return Err(Error::new(
            Code::LimitExceeded,
            "frame.limits",
            format!("the buffers hold {total} bytes; decoders read at most {}", limits.max_decoded_bytes),
        ));
    }
    // The layout first: offsets from the end of the header's padding.
    let mut offsets = Vec::with_capacity(buffers.len());
    let mut end = 0u64;
    for b in buffers {
        let offset = align(end);
        offsets.push(offset);
        end = offset + b.len() as u64;
    }
    let mut text = String::with_capacity(header.len() + 16 + 24 * buffers.len());
    let members = header.strip_suffix('}').unwrap_or(header);
    text.push_str(members);
    if !members.ends_with('{') {
        text.push(',');
    }
    text.push_str("\"buffers\":[");
    for (i, (offset, b)) in offsets.iter().zip(buffers).enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!("[{offset},{}]", b.len()));
    }
    text.push_str("]}");
    let start = align((PREFIX + text.len()) as u64);
    let size = start + end;
    let h = u32::try_from(text.len()).ok().filter(|_| size <= limits.max_input_bytes).ok_or_else(|| {
        Error::new(
            Code::LimitExceeded,
            "limits.input-bytes",
            format!("the frame would be {size} bytes; decoders read at most {}", limits.max_input_bytes),
        )
    })?;
    let mut out = Vec::with_capacity(size as usize);
    out.extend_from_slice(&SIGNATURE);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&h.to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    for (offset, b) in offsets.iter().zip(buffers) {
        out.resize((start + offset) as usize, 0);
        out.extend_from_slice(b);
    }
    out.resize(size as usize, 0);
    debug_assert!(start.is_multiple_of(ALIGN));
    Ok(out)
}
