#![no_main]
//! See `sciwire_conformance::fuzz::decode_marker_fields`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sciwire_conformance::fuzz::decode_marker_fields(data));
