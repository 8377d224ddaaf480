//! Profiles in the runner (spec/src/harness.md [harness.profiles],
//! spec/src/vectors.md [vector.profile]): loading a vector's `profile`,
//! which harness gets a flame case, the self-check's rules for flame/, and
//! flame cases carried through the protocol with `"profile": "flame"`.
//! The suites here are small hand-made ones in a temporary folder.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value as JsonValue, json};
use sciwire::flame::FlameEncoding;
use sciwire::schema::Schemas;
use sciwire_conformance::check::{Implementation, Outcome, Reference, Verdict, check_group, check_vector};
use sciwire_conformance::process::{ProcessHarness, ProcessOptions};
use sciwire_conformance::runner::{RunOptions, Status, covered, run};
use sciwire_conformance::suite::{Encoding, Input, Profile, Suite, Vector};

fn schemas() -> Arc<Schemas> {
    static S: OnceLock<Arc<Schemas>> = OnceLock::new();
    S.get_or_init(|| Arc::new(Schemas::load().unwrap())).clone()
}

/// A fresh folder for one test's suite, removed when dropped (a failing
/// test's too).
struct TempSuite(PathBuf);

impl std::ops::Deref for TempSuite {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempSuite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_suite(name: &str) -> TempSuite {
    let dir = std::env::temp_dir().join(format!("sciwire-profiles-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempSuite(dir)
}

/// Writes `vector` at `path` under `root`, and the manifest of every file.
fn put(root: &Path, path: &str, vector: &JsonValue) {
    let file = root.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, serde_json::to_string_pretty(vector).unwrap() + "\n").unwrap();
    let suite = Suite::load(root).unwrap();
    let mut manifest = String::new();
    for p in suite.vectors.iter().map(|v| &v.path).chain(suite.groups.iter().map(|g| &g.path)) {
        let digest = sciwire_conformance::sha256::hex_digest(&std::fs::read(root.join(p)).unwrap());
        manifest.push_str(&format!("{digest}  {p}\n"));
    }
    std::fs::write(root.join("MANIFEST.sha256"), manifest).unwrap();
}

/// `FLM\x01` and pyarrow's tensor message for `np.array([1, 2, 3], "int32")`,
/// as flamepy 0.6.0 writes it (measured; ../shared/notes/binary-framing-peers.md).
const FLM_I32: &str = "464c4d01ffffffffb800000014000000000000000c001a000600050008000c000c00000000040400200000000c000000000000000000000000000e002800070008000c00100014000e0000000000000260000000280000001800000000000000000000000c0000000000000000000000010000000400000000000000010000000c00000008001400080004000800000010000000030000000000000000000000000000000000000008000c00080007000800000000000001200000000000000000000000010000000200000003000000";

fn flm_i32() -> Vec<u8> {
    (0..FLM_I32.len()).step_by(2).map(|i| u8::from_str_radix(&FLM_I32[i..i + 2], 16).unwrap()).collect()
}

fn i32_value() -> JsonValue {
    json!({"kind": "ndarray", "dtype": "int32", "shape": [3], "hex": "010000000200000003000000"})
}

fn source() -> JsonValue {
    json!({"handWritten": "a test of the runner"})
}

fn flame_decode(id: &str, bytes: &[u8], expect: JsonValue) -> JsonValue {
    json!({"id": id, "description": id, "profile": "flame", "clauses": ["flame.profile"],
           "input": {"base64": STANDARD.encode(bytes)}, "expect": expect, "source": source()})
}

fn flame_encode(id: &str, value: JsonValue, expect: JsonValue) -> JsonValue {
    json!({"id": id, "description": id, "profile": "flame", "direction": "encode", "clauses": ["flame.encode.tensor"],
           "input": {"value": value, "encoding": "tensor"}, "expect": expect, "source": source()})
}

fn vector(raw: JsonValue, path: &str) -> Vector {
    Vector::from_json(raw, path).unwrap()
}

#[test]
fn a_vector_names_its_profile_and_its_encoding_belongs_to_it() {
    // clause: vector.profile
    let root = temp_suite("load");
    put(&root, "flame/valid/flame-i32.json", &flame_decode("flame-i32", &flm_i32(), json!({"value": i32_value()})));
    put(&root, "flame/encode/flame-encode-i32.json", &flame_encode("flame-encode-i32", i32_value(), json!({"roundtrip": true})));
    put(&root, "ndarray/encode/plain.json", &json!({"id": "plain", "description": "plain", "direction": "encode",
        "clauses": ["ndarray.encode.arrow"], "input": {"value": i32_value(), "encoding": "json"},
        "expect": {"roundtrip": true}, "source": source()}));
    let suite = Suite::load(&root).unwrap();
    let by_id = |id: &str| suite.vector(id).unwrap();
    assert_eq!(by_id("flame-i32").profile, Some(Profile::Flame));
    assert!(matches!(&by_id("flame-i32").input, Input::Decode(b) if *b.get() == flm_i32()));
    let flame = by_id("flame-encode-i32");
    assert_eq!(flame.profile, Some(Profile::Flame));
    let Input::Encode { encoding, .. } = &flame.input else { panic!("not an encode vector") };
    assert_eq!(*encoding, Encoding::Flame(FlameEncoding::Tensor));
    assert_eq!((encoding.as_str(), encoding.profile()), ("tensor", Some(Profile::Flame)));
    // the stream encodings are the profile's too, whatever the value (a
    // mismatched kind is a refusal vector, judged by the harness's answer)
    for (name, want) in [("table", FlameEncoding::Table), ("array", FlameEncoding::Array), ("batch", FlameEncoding::Batch)] {
        let mut raw = flame_encode(name, i32_value(), json!({"error": "E_ENCODING_UNSUPPORTED"}));
        raw["input"]["encoding"] = json!(name);
        let v = Vector::from_json(raw.clone(), "flame/encode/x.json").unwrap();
        let Input::Encode { encoding, .. } = &v.input else { panic!("not an encode vector") };
        assert_eq!((*encoding, encoding.as_str(), encoding.profile()), (Encoding::Flame(want), name, Some(Profile::Flame)));
        // outside the profile, a stream encoding is no encoding
        raw.as_object_mut().unwrap().remove("profile");
        assert!(Vector::from_json(raw, "ndarray/encode/x.json").is_err(), "{name} outside the profile");
    }
    let plain = by_id("plain");
    assert_eq!(plain.profile, None);
    assert!(matches!(plain.input, Input::Encode { encoding: Encoding::Envelope(sciwire::Encoding::Json), .. }));
    // an encoding of the other entry point, or an unknown profile, is a loading error
    let err = |raw: JsonValue| Vector::from_json(raw, "flame/encode/x.json").err().unwrap();
    let mut arrow_in_flame = flame_encode("x", i32_value(), json!({"roundtrip": true}));
    arrow_in_flame["input"]["encoding"] = json!("arrow");
    assert!(err(arrow_in_flame).contains("unknown flame encoding"));
    let mut tensor_outside = flame_encode("x", i32_value(), json!({"roundtrip": true}));
    tensor_outside.as_object_mut().unwrap().remove("profile");
    assert!(err(tensor_outside).contains("tensor"));
    let mut unknown = flame_decode("x", b"FLM\x01", json!({"error": "E_ARROW_PAYLOAD"}));
    unknown["profile"] = json!("safetensors");
    assert!(err(unknown).contains("unknown profile"));
}

/// Capabilities: every marker (as the reference declares them), and the
/// flame profile with these directions and encodings, or none.
fn caps(flame: Option<(&[&str], &[&str])>) -> JsonValue {
    let mut caps = sciwire::capabilities();
    caps.as_object_mut().unwrap().remove("flame");
    if let Some((directions, encodings)) = flame {
        caps["flame"] = json!({"directions": directions, "encodings": encodings});
    }
    caps
}

#[test]
fn a_flame_case_needs_the_flame_capability_and_its_tag() {
    // clause: harness.profiles
    // clause: harness.capabilities
    let decode = |bytes: &[u8]| vector(flame_decode("x", bytes, json!({"error": "E_PICKLE_REFUSED"})), "flame/invalid/x.json");
    let both: &[&str] = &["decode", "encode"];
    let tensor = caps(Some((both, &["tensor"])));
    // FLM\x01 needs tensor, and the stream tags FLM\x02 to \x04 (flame.streams)
    // table, array and batch: each its own, whatever follows the tag
    assert_eq!(covered(&decode(&flm_i32()), &tensor), Ok(()));
    assert_eq!(covered(&decode(&flm_i32()), &caps(Some((both, &["table"])))), Err("profile flame: encoding tensor not supported".to_string()));
    let streams = caps(Some((both, &["table", "array", "batch"])));
    assert_eq!(covered(&decode(&flm_i32()), &streams), Err("profile flame: encoding tensor not supported".to_string()));
    for (tag, encoding) in [(2u8, "table"), (3, "array"), (4, "batch")] {
        for rest in [&[][..], &[0xff; 8][..], &flm_i32()[4..]] {
            let input = [b"FLM".as_slice(), &[tag], rest].concat();
            assert_eq!(covered(&decode(&input), &caps(Some((&["decode"], &[encoding])))), Ok(()), "{input:?}");
            assert_eq!(covered(&decode(&input), &streams), Ok(()), "{input:?}");
            assert_eq!(covered(&decode(&input), &tensor), Err(format!("profile flame: encoding {encoding} not supported")), "{input:?}");
            let others: Vec<&str> = ["tensor", "table", "array", "batch"].into_iter().filter(|e| *e != encoding).collect();
            assert_eq!(covered(&decode(&input), &caps(Some((both, others.as_slice())))), Err(format!("profile flame: encoding {encoding} not supported")));
        }
    }
    // what every flame reader refuses needs no encoding
    for input in [b"".as_slice(), b"FL", b"FLM", b"FLM\x00\x80\x05N.", b"FLM\x05", b"FLM\xff", b"\x80\x05N.", b"{}", b"\xc1SWR\r\n\x1a\n"] {
        assert_eq!(covered(&decode(input), &caps(Some((&["decode"], &["table"])))), Ok(()), "{input:?}");
        assert_eq!(covered(&decode(input), &tensor), Ok(()), "{input:?}");
    }
    // without the profile, or without the direction, nothing of it runs
    assert_eq!(covered(&decode(&flm_i32()), &caps(None)), Err("profile flame not supported".to_string()));
    assert_eq!(covered(&decode(b"FLM\x00"), &caps(None)), Err("profile flame not supported".to_string()));
    assert_eq!(
        covered(&decode(&flm_i32()), &caps(Some((&["encode"], &["tensor"])))),
        Err("profile flame: direction decode not supported".to_string())
    );
    // an encode vector needs the encode direction and its encoding
    let encode = vector(flame_encode("y", i32_value(), json!({"roundtrip": true})), "flame/encode/y.json");
    assert_eq!(covered(&encode, &tensor), Ok(()));
    assert_eq!(covered(&encode, &caps(Some((&["decode"], &["tensor"])))), Err("profile flame: direction encode not supported".to_string()));
    assert_eq!(covered(&encode, &caps(Some((both, &["table"])))), Err("profile flame: encoding tensor not supported".to_string()));
    for encoding in ["table", "array", "batch"] {
        let mut raw = flame_encode("w", i32_value(), json!({"error": "E_ENCODING_UNSUPPORTED"}));
        raw["input"]["encoding"] = json!(encoding);
        let w = vector(raw, "flame/encode/w.json");
        assert_eq!(covered(&w, &caps(Some((&["encode"], &[encoding])))), Ok(()));
        assert_eq!(covered(&w, &tensor), Err(format!("profile flame: encoding {encoding} not supported")));
    }
    // and the flame capability does not make a harness read anything else
    let plain = vector(
        json!({"id": "z", "description": "z", "clauses": ["ndarray.required"], "input": {"json": {"__tywrap__": "ndarray"}},
               "expect": {"error": "E_MISSING_FIELD"}, "schemaValid": false, "source": source()}),
        "ndarray/invalid/z.json",
    );
    let only_flame = json!({"flame": {"directions": ["decode"], "encodings": ["tensor"]}});
    assert_eq!(covered(&plain, &only_flame), Err("envelope ndarray not supported".to_string()));
}

#[test]
fn the_self_check_keeps_profiles_in_their_folder() {
    // clause: vector.profile
    let root = temp_suite("lint");
    put(&root, "flame/invalid/flame-pickle.json", &flame_decode("flame-pickle", b"\x80\x05N.", json!({"error": "E_PICKLE_REFUSED"})));
    let mut no_profile = flame_decode("flame-no-profile", b"FLM\x00", json!({"error": "E_PICKLE_REFUSED"}));
    no_profile.as_object_mut().unwrap().remove("profile");
    put(&root, "flame/invalid/flame-no-profile.json", &no_profile);
    put(&root, "ndarray/invalid/stray-flame.json", &flame_decode("stray-flame", b"FLM\x05", json!({"error": "E_FLAME_TAG"})));
    let mut json_input = flame_decode("flame-json", b"", json!({"error": "E_PICKLE_REFUSED"}));
    json_input["input"] = json!({"json": {"__tywrap__": "ndarray"}});
    put(&root, "flame/invalid/flame-json.json", &json_input);
    let suite = Suite::load(&root).unwrap();
    let problems = sciwire_conformance::lint::lint(&suite, &schemas(), &[], &root).unwrap();
    let about = |file: &str| problems.iter().filter(|p| p.starts_with(file)).cloned().collect::<Vec<_>>();
    assert!(about("flame/invalid/flame-pickle.json").is_empty(), "{problems:#?}");
    assert!(about("flame/invalid/flame-no-profile.json").iter().any(|p| p.contains("needs \"profile\": \"flame\"")), "{problems:#?}");
    assert!(about("ndarray/invalid/stray-flame.json").iter().any(|p| p.contains("is for the vectors in flame/ only")), "{problems:#?}");
    let json_problems = about("flame/invalid/flame-json.json");
    assert!(json_problems.iter().any(|p| p.contains("(base64, text, concat), not json")), "{problems:#?}");
    assert!(json_problems.iter().any(|p| p.contains("vector.schema.json")), "the schema says so too: {problems:#?}");
}

/// Answers encode requests with fixed bytes, decodes with the reference.
struct Writes(Vec<u8>);

impl Implementation for Writes {
    fn name(&self) -> String {
        "fixed output".into()
    }
    fn decode(&mut self, input: &[u8], profile: Option<Profile>) -> Outcome {
        Reference::default().decode(input, profile)
    }
    fn encode(&mut self, _: &JsonValue, _: Encoding) -> Outcome {
        Outcome::Envelope(self.0.clone())
    }
}

#[test]
fn a_flame_encoding_is_judged_by_decoding_it_in_the_profile() {
    // clause: harness.encode
    let v = vector(flame_encode("e", i32_value(), json!({"roundtrip": true})), "flame/encode/e.json");
    let schemas = schemas();
    // flamepy's own bytes for the value pass, whatever the reference writes
    assert_eq!(check_vector(&mut Writes(flm_i32()), &v, &schemas), Verdict::Pass);
    // another value, a sciwire frame of the value, JSON text: each fails
    let mut other = flm_i32();
    let last = other.len() - 1;
    other[last] = 4;
    let frame = sciwire::encode(&sciwire::Value::from_canonical(&i32_value()).unwrap(), sciwire::Encoding::Frame).unwrap();
    let json_text = sciwire::encode(&sciwire::Value::from_canonical(&i32_value()).unwrap(), sciwire::Encoding::Json).unwrap();
    for (what, bytes) in [("another value", other), ("a frame", frame), ("JSON text", json_text)] {
        match check_vector(&mut Writes(bytes), &v, &schemas) {
            Verdict::Fail { expected, actual } => {
                assert!(expected.contains("decodes in the flame profile"), "{what}: {expected}");
                assert!(!actual.is_empty(), "{what}");
            }
            verdict => panic!("{what} judged {verdict:?}"),
        }
    }
}

#[test]
fn a_group_decodes_each_member_in_its_own_profile() {
    let root = temp_suite("group");
    put(&root, "flame/valid/flame-i32.json", &flame_decode("flame-i32", &flm_i32(), json!({"value": i32_value()})));
    let envelope = sciwire::encode(&sciwire::Value::from_canonical(&i32_value()).unwrap(), sciwire::Encoding::Json).unwrap();
    put(&root, "ndarray/valid/json-i32.json", &json!({"id": "json-i32", "description": "json-i32", "clauses": ["ndarray.json.values"],
        "input": {"json": serde_json::from_slice::<JsonValue>(&envelope).unwrap()}, "expect": {"value": i32_value()}, "source": source()}));
    put(&root, "flame/equivalent/i32.json", &json!({"id": "i32", "description": "one array, as an FLM frame and as an envelope",
        "members": ["flame-i32", "json-i32"]}));
    let suite = Suite::load(&root).unwrap();
    assert_eq!(check_group(&mut Reference::default(), &suite.groups[0], &suite), Verdict::Pass);
}

const FAKE: &str = env!("CARGO_BIN_EXE_sciwire-fake-harness");

#[test]
fn flame_cases_reach_only_a_harness_that_declares_the_profile_and_carry_it() {
    // clause: harness.profiles
    // clause: harness.decode
    let root = temp_suite("process");
    put(&root, "flame/invalid/flame-pickle.json", &flame_decode("flame-pickle", b"\x80\x05N.", json!({"error": "E_PICKLE_REFUSED"})));
    put(&root, "flame/invalid/flame-tag-05.json", &flame_decode("flame-tag-05", b"FLM\x05", json!({"error": "E_FLAME_TAG"})));
    put(&root, "flame/invalid/flame-table.json", &flame_decode("flame-table", b"FLM\x02\xff\xff\xff\xff", json!({"error": "E_ARROW_PAYLOAD"})));
    put(&root, "ndarray/invalid/plain.json", &json!({"id": "plain", "description": "plain", "clauses": ["json.syntax"],
        "input": {"text": "FLM\u{5}"}, "expect": {"error": "E_JSON_SYNTAX"}, "source": source()}));
    let suite = Suite::load(&root).unwrap();
    let validating = ProcessOptions { validate_messages: true, ..ProcessOptions::default() };
    let opts = RunOptions { require_codes: true, ..RunOptions::default() };
    // with the profile (tensor only): the pickle and the unknown tag run, in
    // the profile (read by the default entry point they would be
    // E_JSON_SYNTAX); the plain input is read by the default entry point; the
    // table (a truncated FLM\x02 stream) needs the table encoding, and is left out
    let mut h = ProcessHarness::start(&format!("{FAKE} --flame tensor"), validating.clone(), Some(schemas())).unwrap();
    let r = run(&mut h, &suite, &schemas(), &opts);
    let ran: Vec<(&str, Status)> = r.records.iter().map(|c| (c.id.as_str(), c.status)).collect();
    assert_eq!(
        ran,
        [("flame-pickle", Status::Pass), ("flame-tag-05", Status::Pass), ("plain", Status::Pass)],
        "{}",
        sciwire_conformance::report::text(&r)
    );
    assert_eq!(r.left_out.get("profile flame: encoding table not supported").map(Vec::len), Some(1), "{:?}", r.left_out);
    assert!(r.conforms());
    let input = &r.records[0].input;
    assert!(input.contains("4 bytes without the FLM prefix: 80 05 4e 2e") && input.contains("flame/invalid/flame-pickle.json"), "{input}");
    assert!(r.records[1].input.starts_with("an FLM frame, tag 05, 4 bytes"), "{}", r.records[1].input);
    // with the table encoding too, the table runs, in the profile
    let mut h = ProcessHarness::start(&format!("{FAKE} --flame tensor,table"), validating.clone(), Some(schemas())).unwrap();
    let r = run(&mut h, &suite, &schemas(), &opts);
    let ran: Vec<(&str, Status)> = r.records.iter().map(|c| (c.id.as_str(), c.status)).collect();
    assert_eq!(
        ran,
        [("flame-pickle", Status::Pass), ("flame-table", Status::Pass), ("flame-tag-05", Status::Pass), ("plain", Status::Pass)],
        "{}",
        sciwire_conformance::report::text(&r)
    );
    assert!(r.left_out.is_empty(), "{:?}", r.left_out);
    assert!(r.records[1].input.starts_with("an FLM frame, tag 02, 8 bytes"), "{}", r.records[1].input);
    // without it, every flame case is left out, by reason
    let mut h = ProcessHarness::start(FAKE, validating, Some(schemas())).unwrap();
    let r = run(&mut h, &suite, &schemas(), &opts);
    assert_eq!(r.records.len(), 1);
    assert_eq!(r.left_out.get("profile flame not supported").map(Vec::len), Some(3));
}
