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
    let bytes = text.as_bytes();
    limits.decoded_bytes(claimed_len(bytes), "the base64 payload")?;
    let err = |why: String| Error::new(Code::Base64, clause, why);
    if !bytes.len().is_multiple_of(4) {
        return Err(err(format!("length {} is not a multiple of 4 (padding missing?)", bytes.len())));
    }
    if let Some(i) = bytes.iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=')) {
        return Err(err(format!("byte 0x{:02x} at offset {i} is not in the standard base64 alphabet", bytes[i])));
    }
    // The engine rejects misplaced padding and non-zero unused bits.
    STANDARD.decode(bytes).map_err(|e| err(format!("not canonical base64: {e}")))
}

/// Encodes as canonical padded standard base64.
pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
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
    fn claimed_length_is_checked_before_decoding() {
        let l = Limits { max_decoded_bytes: 3, ..Limits::default() };
        assert_eq!(decode("AAAAAA==", &l, "t").map_err(|e| e.code()), Err(Code::LimitExceeded));
        assert_eq!(decode("AAAA", &l, "t").map_err(|e| e.code()), Ok(vec![0, 0, 0]));
    }
}
