//! Canonical padded standard base64 ([ndarray.arrow.base64]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Code, Error, Result};
use crate::limits::Limits;

/// The decoded length `text` claims, from its length alone.
fn claimed_len(text: &[u8]) -> u64 {
    let pad = text.iter().rev().take(2).take_while(|&&c| c == b'=').count() as u64;
    (text.len() as u64 * 3 / 4).saturating_sub(pad)
}

/// Decodes canonical base64, checking the claimed length against the limit
/// before allocating.
pub(crate) fn decode(text: &str, limits: &Limits, clause: &'static str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    decode_into(text, limits, clause, &mut out)?;
    Ok(out)
}

/// [`decode`], appending to `out`: one allocation of exactly the claimed
/// length (checked against the limit first), the bytes decoded straight into
/// it. The engine alone enforces the alphabet, canonical padding and zero
/// unused bits; the text is scanned again only to word a rejection.
pub(crate) fn decode_into(text: &str, limits: &Limits, clause: &'static str, out: &mut Vec<u8>) -> Result<()> {
    let bytes = text.as_bytes();
    let claimed = claimed_len(bytes);
    limits.decoded_bytes(claimed, "the base64 payload")?;
    let err = |why: String| Error::new(Code::Base64, clause, why);
    if !bytes.len().is_multiple_of(4) {
        return Err(err(format!("length {} is not a multiple of 4 (padding missing?)", bytes.len())));
    }
    let start = out.len();
    // `claimed` fits: it is below the limit, itself a u64 of decoded bytes this process can hold.
    if start == 0 && out.capacity() < claimed as usize {
        // Zeroed by the allocator (fresh pages), not by a pass of writes.
        *out = vec![0; claimed as usize];
    } else {
        out.resize(start + claimed as usize, 0);
    }
    match STANDARD.decode_slice(bytes, &mut out[start..]) {
        Ok(n) if n as u64 == claimed => Ok(()),
        result => {
            out.truncate(start);
            if let Some(i) = bytes.iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=')) {
                return Err(err(format!("byte 0x{:02x} at offset {i} is not in the standard base64 alphabet", bytes[i])));
            }
            Err(err(match result {
                Err(::base64::DecodeSliceError::DecodeError(e)) => format!("not canonical base64: {e}"),
                Err(e) => format!("not canonical base64: {e}"),
                // '=' inside the text: the claimed length counted it as data.
                Ok(n) => format!("not canonical base64: {n} bytes decoded where the length claims {claimed}"),
            }))
        }
    }
}

/// Encodes as canonical padded standard base64.
pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// [`encode`], appending to `out` (reserving the exact length first).
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len().div_ceil(3) * 4);
    STANDARD.encode_string(bytes, out);
}

/// [`encode_into`] of the concatenation of `parts`, without concatenating
/// them: three-byte groups that straddle two parts are put together here.
pub(crate) fn encode_parts_into(parts: &[&[u8]], out: &mut String) {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    out.reserve(total.div_ceil(3) * 4);
    let mut carry: Vec<u8> = Vec::with_capacity(3);
    for part in parts {
        let mut p = *part;
        if !carry.is_empty() {
            let take = (3 - carry.len()).min(p.len());
            carry.extend_from_slice(&p[..take]);
            p = &p[take..];
            if carry.len() < 3 {
                continue;
            }
            STANDARD.encode_string(&carry, out);
            carry.clear();
        }
        let whole = p.len() / 3 * 3;
        STANDARD.encode_string(&p[..whole], out);
        carry.extend_from_slice(&p[whole..]);
    }
    STANDARD.encode_string(&carry, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_padded_standard_base64() {
        let l = Limits::default();
        let ok = |s: &str| decode(s, &l, "t").map_err(|e| e.code());
        assert_eq!(ok(""), Ok(vec![]));
        assert_eq!(ok("AP+A"), Ok(vec![0x00, 0xff, 0x80]));
        assert_eq!(ok("AA=="), Ok(vec![0]));
        assert_eq!(ok("AAA="), Ok(vec![0, 0]));
        for bad in ["AB==", "AAB=", "AA", "AAA", "AA==AA==", "A===", "AP-A", "AP_A", "AP+A\n", " AP+A", "AP A"] {
            assert_eq!(ok(bad), Err(Code::Base64), "{bad:?}");
        }
    }

    #[test]
    fn parts_encode_as_their_concatenation() {
        let bytes: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
        for a in 0..8 {
            for b in a..12 {
                for c in b..bytes.len() {
                    let parts = [&bytes[..a], &bytes[a..b], &bytes[b..c], &bytes[c..]];
                    let mut s = String::from("x");
                    encode_parts_into(&parts, &mut s);
                    assert_eq!(s, format!("x{}", encode(&bytes)), "{a} {b} {c}");
                }
            }
        }
    }

    #[test]
    fn claimed_length_is_checked_before_decoding() {
        let l = Limits { max_decoded_bytes: 3, ..Limits::default() };
        assert_eq!(decode("AAAAAA==", &l, "t").map_err(|e| e.code()), Err(Code::LimitExceeded));
        assert_eq!(decode("AAAA", &l, "t").map_err(|e| e.code()), Ok(vec![0, 0, 0]));
    }

    #[test]
    fn decode_into_appends_and_leaves_nothing_on_rejection() {
        let l = Limits::default();
        let mut out = vec![7];
        assert!(decode_into("AP+A", &l, "t", &mut out).is_ok());
        assert_eq!(out, [7, 0x00, 0xff, 0x80]);
        for bad in ["AB==", "AA==AA==", "AP-A", "A===", "AAAA====", "=AAA"] {
            let r = decode_into(bad, &l, "t", &mut out).map_err(|e| e.code());
            assert_eq!(r, Err(Code::Base64), "{bad:?}");
            assert_eq!(out, [7, 0x00, 0xff, 0x80], "{bad:?}");
        }
        let mut s = String::from("x");
        encode_into(&[0, 0xff, 0x80, 1], &mut s);
        assert_eq!(s, "xAP+AAQ==");
    }
}
