#![no_main]
//! See `sciwire_conformance::fuzz::arrow_table`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sciwire_conformance::fuzz::arrow_table(data));
