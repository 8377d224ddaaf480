#![no_main]
//! See `sciwire_conformance::fuzz::canonical_value`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sciwire_conformance::fuzz::canonical_value(data));
