#![no_main]
//! See `sciwire_conformance::fuzz::decode_flame`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sciwire_conformance::fuzz::decode_flame(data));
