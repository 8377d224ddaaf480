#![no_main]
//! The flame profile's decoder (`sciwire::flame::decode`) on arbitrary bytes.
//!
//! The first byte picks the form: odd, the rest after `FLM\x01` (and, when
//! bit 1 is set too, after the continuation `ff ff ff ff`), so the fuzzer
//! spends its time past the tag check; even, the rest as it is. Finds
//! panics, input-sized allocations, and a decoded value that does not survive
//! `flame::encode` and decoding again.

use sciwire::flame::{self, FlameEncoding};
use sciwire::{Limits, Value};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut input = Vec::with_capacity(rest.len() + 8);
    if mode & 1 == 1 {
        input.extend_from_slice(b"FLM\x01");
        if mode & 2 == 2 {
            input.extend_from_slice(&[0xff; 4]);
        }
    }
    input.extend_from_slice(rest);
    let limits = Limits::default();
    let Ok(value) = flame::decode(&input, &limits) else { return };
    assert!(matches!(value, Value::NdArray(_)), "flame::decode gave {value:?}");
    let frame = flame::encode(&value, FlameEncoding::Tensor)
        .unwrap_or_else(|e| panic!("a decoded flame value is refused by flame::encode: {e}"));
    let back = flame::decode(&frame, &limits).unwrap_or_else(|e| panic!("re-encoded flame frame rejected: {e}"));
    assert_eq!(back, value, "a decoded flame value changed through flame::encode");
});
