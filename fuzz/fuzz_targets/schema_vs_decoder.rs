#![no_main]
//! See `sciwire_conformance::fuzz::schema_vs_decoder`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sciwire_conformance::fuzz::schema_vs_decoder(data));
