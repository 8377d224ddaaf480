#![no_main]
//! See `sciwire_conformance::fuzz::decode_envelope`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sciwire_conformance::fuzz::decode_envelope(data));
