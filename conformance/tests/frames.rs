//! Frames in the runner: which harness gets a frame case (by the marker its
//! header names, and the `frame` encoding), encode vectors judged by their
//! exact bytes, and frames carried both ways by the protocol.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, OnceLock};

use serde_json::{Value as JsonValue, json};
use sciwire::schema::Schemas;
use sciwire::{Encoding, Limits};
use sciwire_conformance::check::{Implementation, Outcome, Reference, Verdict, check_vector};
use sciwire_conformance::process::{ProcessHarness, ProcessOptions};
use sciwire_conformance::runner::{RunOptions, Status, covered, run};
use sciwire_conformance::suite::{Expect, Input, Profile, Suite, Vector, default_root};

fn suite() -> &'static Suite {
    static S: OnceLock<Suite> = OnceLock::new();
    S.get_or_init(|| Suite::load(&default_root()).unwrap())
}

fn schemas() -> Arc<Schemas> {
    static S: OnceLock<Arc<Schemas>> = OnceLock::new();
    S.get_or_init(|| Arc::new(Schemas::load().unwrap())).clone()
}

/// A frame read by the default entry point (a frame in a flame vector is
/// refused there as a pickle: it is a flame case).
fn is_frame_case(v: &Vector) -> bool {
    if v.profile.is_some() {
        return false;
    }
    match &v.input {
        Input::Decode(bytes) => sciwire::frame::is_frame(&bytes.head(1)),
        Input::Encode { encoding, .. } => *encoding == Encoding::Frame.into(),
    }
}

/// Capabilities for every marker, with these encodings (sparse and
/// estimators get the subset they have).
fn caps(encodings: &[&str]) -> JsonValue {
    let only = |allowed: &[&str]| -> Vec<&str> { encodings.iter().copied().filter(|e| allowed.contains(e)).collect() };
    let cap = |e: Vec<&str>| json!({"directions": ["decode", "encode"], "encodings": e, "codecVersions": [0, 1]});
    json!({
        "ndarray": cap(encodings.to_vec()),
        "torch.tensor": cap(encodings.to_vec()),
        "scipy.sparse": cap(only(&["json", "frame"])),
        "sklearn.estimator": cap(only(&["json", "frame"])),
        "dataframe": cap(encodings.to_vec()),
        "series": cap(encodings.to_vec()),
    })
}

/// A vector whose input is these bytes, in `folder`.
fn decode_vector(folder: &str, bytes: &[u8]) -> Vector {
    use base64::Engine as _;
    let raw = json!({
        "id": "x", "description": "x", "clauses": ["frame.detect"],
        "input": {"base64": base64::engine::general_purpose::STANDARD.encode(bytes)},
        "expect": {"error": "E_FRAME_LAYOUT"}, "source": {"handWritten": "test"},
    });
    Vector::from_json(raw, &format!("{folder}/invalid/x.json")).unwrap()
}

#[test]
fn a_frame_case_needs_the_frame_encoding() {
    // clause: harness.capabilities
    let frames: Vec<&Vector> = suite().vectors.iter().filter(|v| is_frame_case(v)).collect();
    assert!(frames.len() > 100, "only {} frame vectors", frames.len());
    for v in &frames {
        assert_eq!(covered(v, &sciwire::capabilities()), Ok(()), "{}", v.id);
        let without = covered(v, &caps(&["arrow", "json"]));
        assert_eq!(without, Err("encoding frame not supported".to_string()), "{}", v.id);
    }
    // JSON inputs are not frame cases, whatever their folder
    for v in suite().vectors.iter().filter(|v| !is_frame_case(v) && v.profile.is_none()).take(200) {
        assert_eq!(covered(v, &caps(&["arrow", "json"])), Ok(()), "{}", v.id);
    }
}

#[test]
fn a_frame_belongs_to_the_marker_its_header_names() {
    let tensor = sciwire::Value::from_canonical(&json!({"kind": "tensor", "dtype": "torch.int8",
        "array": {"kind": "ndarray", "dtype": "int8", "shape": [1], "hex": "07"}})).unwrap();
    let frame = sciwire::encode(&tensor, Encoding::Frame).unwrap();
    let only_ndarray = json!({"ndarray": {"directions": ["decode"], "encodings": ["frame"], "codecVersions": [1]}});
    let only_tensor = json!({"torch.tensor": {"directions": ["decode"], "encodings": ["frame"], "codecVersions": [1]}});
    // in the ndarray folder, the header still says torch.tensor
    let v = decode_vector("ndarray", &frame);
    assert_eq!(covered(&v, &only_ndarray), Err("envelope torch.tensor not supported".to_string()));
    assert_eq!(covered(&v, &only_tensor), Ok(()));
    // a header that cannot be read, or that names no v1 marker: the folder's
    let mut broken = frame.clone();
    broken[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(covered(&decode_vector("ndarray", &broken), &only_ndarray), Ok(()));
    assert_eq!(covered(&decode_vector("torch.tensor", &broken), &only_ndarray), Err("envelope torch.tensor not supported".to_string()));
    assert_eq!(covered(&decode_vector("ndarray", &broken[..5]), &only_ndarray), Ok(()));
    // frames have no v0: version 1 is what a frame needs
    let v0_only = json!({"ndarray": {"directions": ["decode"], "encodings": ["frame"], "codecVersions": [0]}});
    assert_eq!(covered(&decode_vector("ndarray", &broken), &v0_only), Err("codec version 1 not supported".to_string()));
}

/// Answers encode requests with `write`'s bytes, decodes with the reference.
struct Writes<F: FnMut(&[u8]) -> Vec<u8>>(F);

impl<F: FnMut(&[u8]) -> Vec<u8>> Implementation for Writes<F> {
    fn name(&self) -> String {
        "rewriting".into()
    }
    fn decode(&mut self, input: &[u8], profile: Option<Profile>) -> Outcome {
        Reference::default().decode(input, profile)
    }
    fn encode(&mut self, value: &JsonValue, encoding: sciwire_conformance::suite::Encoding) -> Outcome {
        match Reference::default().encode(value, encoding) {
            Outcome::Envelope(bytes) => Outcome::Envelope((self.0)(&bytes)),
            other => other,
        }
    }
}

/// The same frame with one space before its header's JSON: a valid frame of
/// the same value, spelled differently.
fn respelled(frame: &[u8]) -> Vec<u8> {
    let view = sciwire::frame::read(frame, &Limits::default()).unwrap();
    let header = format!(" {}", view.header());
    let old_start = (16 + view.header().len()).div_ceil(64) * 64;
    let mut out = sciwire::frame::SIGNATURE.to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len().div_ceil(64) * 64, 0);
    out.extend_from_slice(&frame[old_start..]);
    out
}

#[test]
fn frame_encode_vectors_are_judged_by_their_exact_bytes() {
    // clause: harness.encode
    let with_bytes: Vec<&Vector> = suite()
        .vectors
        .iter()
        .filter(|v| matches!(v.expect, Expect::Roundtrip { bytes: Some(_) }))
        .collect();
    assert!(with_bytes.len() > 50, "only {} vectors with expect.bytes", with_bytes.len());
    let schemas = schemas();
    for v in &with_bytes {
        assert_eq!(check_vector(&mut Reference::default(), v, &schemas), Verdict::Pass, "{}", v.id);
        // the respelled frame decodes to the same value, and still fails
        let respelled_frame = respelled(&match Reference::default().encode(
            match &v.input {
                Input::Encode { value, .. } => value,
                Input::Decode(_) => panic!("not an encode vector"),
            },
            Encoding::Frame.into(),
        ) {
            Outcome::Envelope(b) => b,
            other => panic!("{other:?}"),
        });
        assert!(sciwire::decode(&respelled_frame, &Limits::default()).is_ok(), "{}", v.id);
        match check_vector(&mut Writes(respelled), v, &schemas) {
            Verdict::Fail { expected, .. } => assert!(expected.contains("exactly the bytes"), "{}: {expected}", v.id),
            other => panic!("{}: respelled frame judged {other:?}", v.id),
        }
    }
    // JSON text for a frame request fails, however well it decodes
    let v = with_bytes[0];
    let Input::Encode { value, .. } = &v.input else { panic!("not an encode vector") };
    let json = match Reference::default().encode(value, Encoding::Json.into()) {
        Outcome::Envelope(b) => b,
        other => panic!("{other:?}"),
    };
    match check_vector(&mut Writes(move |_: &[u8]| json.clone()), v, &schemas) {
        Verdict::Fail { expected, .. } => assert!(expected.contains("a frame"), "{expected}"),
        other => panic!("JSON for a frame judged {other:?}"),
    }
}

const FAKE: &str = env!("CARGO_BIN_EXE_sciwire-fake-harness");

#[test]
fn a_harness_carries_frames_both_ways() {
    // clause: harness.decode
    // clause: harness.encode
    let opts = RunOptions { cases: vec!["ndarray-frame-*".into()], ..RunOptions::default() };
    let validating = ProcessOptions { validate_messages: true, ..ProcessOptions::default() };
    let mut h = ProcessHarness::start(&format!("{FAKE} --encodings arrow,json,frame"), validating.clone(), Some(schemas())).unwrap();
    let r = run(&mut h, suite(), &schemas(), &opts);
    assert!(r.records.len() > 50, "{} cases", r.records.len());
    assert!(r.conforms(), "{}", sciwire_conformance::report::text(&r));
    assert!(r.left_out.is_empty(), "{:?}", r.left_out.keys().collect::<Vec<_>>());
    // without frame in its capabilities, every frame case is left out, by reason
    let mut h = ProcessHarness::start(FAKE, validating, Some(schemas())).unwrap();
    let r = run(&mut h, suite(), &schemas(), &opts);
    assert!(r.records.iter().all(|c| c.status == Status::Pass), "{}", sciwire_conformance::report::text(&r));
    let left_out = r.left_out.get("encoding frame not supported").map_or(0, Vec::len);
    assert!(left_out > 50, "{:?}", r.left_out.keys().collect::<Vec<_>>());
}
