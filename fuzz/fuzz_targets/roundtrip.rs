#![no_main]
//! See `sciwire_conformance::fuzz::roundtrip`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sciwire_conformance::fuzz::roundtrip(data));
