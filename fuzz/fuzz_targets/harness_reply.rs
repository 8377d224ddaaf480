#![no_main]
//! See `sciwire_conformance::fuzz::harness_reply`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sciwire_conformance::fuzz::harness_reply(data));
