#![no_main]
//! See `sciwire_conformance::fuzz::decode_flame_stream`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sciwire_conformance::fuzz::decode_flame_stream(data));
