//! The differential run's structured mutations reach past the framing:
//! mutated frames and FLM frames are rejected by the reference for many
//! different reasons, by the checks the mutations aim at, and some are
//! still accepted.

#![allow(clippy::panic, clippy::unwrap_used)]

use std::collections::BTreeMap;

use sciwire::Limits;
use sciwire_conformance::check::decode_in;
use sciwire_conformance::differential::{Rng, mutate_in};
use sciwire_conformance::suite::{Input, Profile, Suite, default_root};

/// The reference's verdict on `count` mutations of `seeds`, read in `profile`, by code.
fn verdicts(seeds: &[Vec<u8>], profile: Option<Profile>, count: usize) -> BTreeMap<String, usize> {
    let mut rng = Rng::new(11);
    let mut codes = BTreeMap::new();
    for i in 0..count {
        let (m, _) = mutate_in(&seeds[i % seeds.len()], profile, &mut rng);
        let code = match decode_in(&m, profile, &Limits::default()) {
            Ok(_) => "accepted".to_string(),
            Err(e) => e.code().as_str().to_string(),
        };
        *codes.entry(code).or_default() += 1;
    }
    codes
}

fn seeds(profile: Option<Profile>, keep: impl Fn(&[u8]) -> bool) -> Vec<Vec<u8>> {
    let suite = Suite::load(&default_root()).unwrap();
    suite
        .vectors
        .iter()
        .filter(|v| v.profile == profile)
        .filter_map(|v| match &v.input {
            Input::Decode(b) if b.len() < 1 << 16 && keep(&b.get()) => Some(b.get().into_owned()),
            _ => None,
        })
        .collect()
}

fn assert_reaches(codes: &BTreeMap<String, usize>, wanted: &[&str]) {
    for code in wanted {
        assert!(codes.contains_key(*code), "no mutation rejected with {code}: {codes:#?}");
    }
}

#[test]
fn frame_mutations_reach_the_envelope_checks() {
    let frames = seeds(None, sciwire::frame::is_frame);
    assert!(frames.len() > 100, "{} frame seeds", frames.len());
    let codes = verdicts(&frames, None, 4000);
    assert_reaches(&codes, &[
        "accepted", "E_FRAME_SIGNATURE", "E_FRAME_VERSION", "E_FRAME_LAYOUT", "E_JSON_SYNTAX", "E_MISSING_FIELD",
        "E_FIELD_TYPE", "E_UNKNOWN_FIELD", "E_CODEC_VERSION", "E_ENCODING_UNSUPPORTED", "E_DTYPE_UNSUPPORTED",
        "E_SHAPE_MISMATCH", "E_LIMIT_EXCEEDED",
    ]);
    assert!(codes.len() >= 16, "{codes:#?}");
}

/// `FLM\x01` and pyarrow's tensor message for `np.array([1, 2, 3], "int32")`,
/// as flamepy 0.6.0 writes it (measured; ../shared/notes/binary-framing-peers.md).
const FLM_I32: &str = "464c4d01ffffffffb800000014000000000000000c001a000600050008000c000c00000000040400200000000c000000000000000000000000000e002800070008000c00100014000e0000000000000260000000280000001800000000000000000000000c0000000000000000000000010000000400000000000000010000000c00000008001400080004000800000010000000030000000000000000000000000000000000000008000c00080007000800000000000001200000000000000000000000010000000200000003000000";

#[test]
fn flm_mutations_reach_the_tensor_checks() {
    let mut flm = seeds(Some(Profile::Flame), |b| b.starts_with(b"FLM\x01"));
    flm.push((0..FLM_I32.len()).step_by(2).map(|i| u8::from_str_radix(&FLM_I32[i..i + 2], 16).unwrap()).collect());
    let codes = verdicts(&flm, Some(Profile::Flame), 3000);
    assert_reaches(&codes, &[
        "accepted", "E_PICKLE_REFUSED", "E_FLAME_TAG", "E_ARROW_PAYLOAD", "E_SHAPE_MISMATCH",
        "E_SHAPE_INVALID", "E_DTYPE_UNSUPPORTED",
    ]);
    // no flame tag is refused as unsupported any more (flame.streams)
    assert!(!codes.contains_key("E_FORMAT_UNSUPPORTED"), "{codes:#?}");
}

#[test]
fn flm_stream_mutations_reach_the_stream_checks() {
    // clause: flame.streams
    let streams = seeds(Some(Profile::Flame), |b| [b"FLM\x02", b"FLM\x03", b"FLM\x04"].iter().any(|t| b.starts_with(*t)));
    assert!(streams.len() > 50, "{} stream seeds", streams.len());
    let codes = verdicts(&streams, Some(Profile::Flame), 3000);
    assert_reaches(&codes, &[
        "accepted", "E_PICKLE_REFUSED", "E_FLAME_TAG", "E_ARROW_PAYLOAD", "E_ARROW_SCHEMA", "E_COLUMN_TYPE",
        "E_PANDAS_METADATA",
    ]);
    assert!(!codes.contains_key("E_FORMAT_UNSUPPORTED"), "{codes:#?}");
}
