//! Canonical padded standard base64 ([ndarray.arrow.base64]).
//!
//! The bytes are decoded and encoded by `base64-simd` (SIMD, chosen by
//! measurement: about 2x the `base64` crate end to end on a 1 MB arrow
//! envelope); its strict `STANDARD` engine enforces the alphabet, canonical
//! padding and zero unused bits, and accepts exactly the texts the `base64`
//! crate's `STANDARD` engine accepts (a test below compares them on every
//! text of 4 and 8 characters over an alphabet of edge cases). A rejection
//! is worded from the `base64` crate's own error, so messages are as before.

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

/// [`decode`], appending to `out`: one reservation of exactly the claimed
/// length (checked against the limit first), the bytes decoded straight into
/// it, with no zeroing pass; a buffer handed back by `decode_reusing` is used
/// as it is, its pages already mapped. The engine alone enforces the
/// alphabet, canonical padding and zero unused bits; the text is scanned
/// again only to word a rejection.
pub(crate) fn decode_into(text: &str, limits: &Limits, clause: &'static str, out: &mut Vec<u8>) -> Result<()> {
    let bytes = text.as_bytes();
    let claimed = claimed_len(bytes);
    limits.decoded_bytes(claimed, "the base64 payload")?;
    let err = |why: String| Error::new(Code::Base64, clause, why);
    if !bytes.len().is_multiple_of(4) {
        return Err(err(format!("length {} is not a multiple of 4 (padding missing?)", bytes.len())));
    }
    let start = out.len();
    // The engine reserves what the text decodes to, at most `claimed` + 2.
    if base64_simd::STANDARD.decode_append(bytes, out).is_ok() && (out.len() - start) as u64 == claimed {
        return Ok(());
    }
    // `claimed` fits: it is below the limit, itself a u64 of decoded bytes this process can hold.
    out.truncate(start);
    if start == 0 {
        // Zeroed by the allocator (fresh pages): a rejection touches only
        // the pages the diagnosis below writes, not all it could.
        *out = vec![0; claimed as usize];
    } else {
        out.resize(start + claimed as usize, 0);
    }
    // Rejected: the `base64` crate says why (it rejects the same texts).
    match STANDARD.decode_slice(bytes, &mut out[start..]) {
        Ok(n) if n as u64 == claimed => {
            out.truncate(start);
            Err(err("not canonical base64".to_string()))
        }
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
    let mut out = String::new();
    encode_into(bytes, &mut out);
    out
}

/// [`encode`], appending to `out` (reserving the exact length first).
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len().div_ceil(3) * 4);
    base64_simd::STANDARD.encode_append(bytes, out);
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
            encode_into(&carry, out);
            carry.clear();
        }
        let whole = p.len() / 3 * 3;
        encode_into(&p[..whole], out);
        carry.extend_from_slice(&p[whole..]);
    }
    encode_into(&carry, out);
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

    /// `base64-simd` (the engine) and the `base64` crate (which words the
    /// rejections) agree on which texts are canonical and on their bytes:
    /// every text of 4 and of 8 characters over an alphabet of edge cases
    /// (first and last letters of each range, the two symbols, padding, the
    /// URL-safe symbols, space, a non-ASCII byte), 43,923 texts in all once
    /// the 8-character ones are limited to those of the form that can pass
    /// length and padding checks.
    #[test]
    fn the_simd_engine_accepts_exactly_what_the_base64_crate_accepts() {
        let alphabet = b"AQgw+/=-_ \x80";
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let n = alphabet.len();
        for k in 0..n.pow(4) {
            let t: Vec<u8> = (0..4).map(|d| alphabet[k / n.pow(d) % n]).collect();
            texts.push(t);
        }
        // 8 characters: a valid first quad before each 4-character text, and
        // each text before a valid last quad.
        let quads: Vec<Vec<u8>> = texts.clone();
        for q in &quads {
            texts.push([b"AQgw".as_slice(), q].concat());
            texts.push([q.as_slice(), b"AQ==".as_slice()].concat());
        }
        let mut accepted = 0;
        for t in &texts {
            let theirs = STANDARD.decode(t).ok();
            let mut buf = vec![0u8; t.len()];
            let ours = base64_simd::STANDARD.decode(t, base64_simd::Out::from_slice(&mut buf)).ok().map(|d| d.to_vec());
            assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(t));
            let Ok(text) = std::str::from_utf8(t) else { continue };
            let via = decode(text, &Limits::default(), "t").ok();
            assert_eq!(via, theirs, "{text:?}");
            if let Some(bytes) = via {
                accepted += 1;
                assert_eq!(encode(&bytes), text, "encoding back {text:?}");
            }
        }
        assert_eq!(texts.len(), 43_923);
        assert!(accepted > 1000, "only {accepted} accepted");
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
