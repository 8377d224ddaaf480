//! The `sciwire` binary: output and exit codes.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sciwire"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning sciwire: {e}"));
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("waiting: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const ENV: &str = r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"int16","shape":[2],"data":[1,-2]}"#;

#[test]
fn decode_prints_the_canonical_value() {
    let (rc, out, _) = run(&["decode"], ENV);
    assert_eq!(rc, 0);
    assert_eq!(out.trim(), r#"{"dtype":"int16","hex":"0100feff","kind":"ndarray","shape":[2]}"#);
}

#[test]
fn decode_rejection_prints_the_error_object_and_exits_1() {
    let (rc, out, err) = run(&["decode", "-"], &ENV.replace("[1,-2]", "[1,70000]"));
    assert_eq!(rc, 1);
    let obj: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_default();
    assert_eq!(obj["code"], "E_VALUE_DOMAIN");
    assert_eq!(obj["clause"], "ndarray.json.values");
    assert!(err.contains("70000"), "{err}");
}

#[test]
fn encode_then_decode_round_trips_in_both_encodings() {
    let (_, canonical, _) = run(&["decode"], ENV);
    for enc in ["arrow", "json"] {
        let (rc, env, _) = run(&["encode", "--encoding", enc], &canonical);
        assert_eq!(rc, 0, "{enc}");
        let (rc, back, _) = run(&["decode"], &env);
        assert_eq!((rc, back.trim()), (0, canonical.trim()), "{enc}");
        let (rc, _, _) = run(&["validate"], &env);
        assert_eq!(rc, 0, "{enc}");
    }
}

#[test]
fn validate_and_usage_errors() {
    let (rc, out, _) = run(&["validate"], &ENV.replace("int16", "complex128"));
    assert_eq!(rc, 1);
    assert!(out.contains("invalid"), "{out}");
    let (rc, _, err) = run(&["validate", "--schema", "nope"], ENV);
    assert_eq!(rc, 2);
    assert!(err.contains("no schema named"), "{err}");
    let (rc, _, err) = run(&["decode", "/nonexistent/file"], "");
    assert_eq!(rc, 2);
    assert!(err.contains("reading /nonexistent/file"), "{err}");
}

/// The spec's example of each new envelope, and its canonical value.
const EXAMPLES: &[(&str, &str)] = &[
    (
        r#"{"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "json", "format": "csr", "shape": [2, 3], "dtype": "float64", "data": [1.5, 2.0, -1.0], "indices": [1, 0, 2], "indptr": [0, 1, 3]}"#,
        r#"{"dtype":"float64","format":"csr","hex":"000000000000f83f0000000000000040000000000000f0bf","indices":[1,0,2],"indptr":[0,1,3],"kind":"sparse","shape":[2,3]}"#,
    ),
    (
        r#"{"__tywrap__": "torch.tensor", "codecVersion": 1, "encoding": "ndarray", "shape": [2], "dtype": "torch.float32", "device": "cpu", "value": {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", "data": [1.5, -2.0], "shape": [2], "dtype": "float32"}}"#,
        r#"{"array":{"dtype":"float32","hex":"0000c03f000000c0","kind":"ndarray","shape":[2]},"dtype":"torch.float32","kind":"tensor"}"#,
    ),
    (
        r#"{"__tywrap__": "sklearn.estimator", "codecVersion": 1, "encoding": "json", "className": "LogisticRegression", "module": "sklearn.linear_model._logistic", "version": "1.9.1", "params": {"C": 0.5, "max_iter": 200, "penalty": "l2", "class_weight": null}}"#,
        r#"{"className":"LogisticRegression","kind":"estimator","module":"sklearn.linear_model._logistic","params":{"object":[["C",{"float":"3fe0000000000000"}],["class_weight",{"null":null}],["max_iter",{"int":200}],["penalty",{"string":"l2"}]]},"version":"1.9.1"}"#,
    ),
];

#[test]
fn the_new_envelopes_decode_and_encode() {
    for (envelope, canonical) in EXAMPLES {
        let (rc, out, _) = run(&["decode"], envelope);
        assert_eq!((rc, out.trim()), (0, *canonical));
        let (rc, env, _) = run(&["encode", "--encoding", "json"], canonical);
        assert_eq!(rc, 0, "{canonical}");
        assert_eq!(run(&["decode"], &env).1.trim(), *canonical);
    }
    // arrow means the nested encoding for a tensor, and is refused for the others
    let (rc, env, _) = run(&["encode", "--encoding", "arrow"], EXAMPLES[1].1);
    assert_eq!(rc, 0);
    assert!(env.contains(r#""encoding":"ndarray""#) && env.contains(r#""encoding":"arrow""#), "{env}");
    assert_eq!(run(&["decode"], &env).1.trim(), EXAMPLES[1].1);
    for i in [0, 2] {
        let (rc, out, _) = run(&["encode", "--encoding", "arrow"], EXAMPLES[i].1);
        assert_eq!(rc, 1);
        assert!(out.contains("E_ENCODING_UNSUPPORTED"), "{out}");
    }
}

#[test]
fn the_harness_declares_all_four_markers() {
    let (rc, out, _) = run(&["harness"], "{\"cmd\":\"start\",\"id\":0,\"protocol\":1}\n{\"cmd\":\"stop\",\"id\":1}\n");
    assert_eq!(rc, 0);
    let reply: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let caps = &reply["capabilities"];
    assert_eq!(caps["ndarray"]["encodings"], serde_json::json!(["arrow", "json", "frame"]));
    assert_eq!(caps["torch.tensor"]["encodings"], serde_json::json!(["arrow", "json", "frame"]));
    assert_eq!(caps["scipy.sparse"]["encodings"], serde_json::json!(["json", "frame"]));
    assert_eq!(caps["sklearn.estimator"]["encodings"], serde_json::json!(["json", "frame"]));
    assert_eq!(
        caps["flame"],
        serde_json::json!({"directions": ["decode", "encode"], "encodings": ["tensor", "table", "array", "batch"]})
    );
}

/// Runs `sciwire` with binary standard input and output.
fn run_bytes(args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sciwire"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning sciwire: {e}"));
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin);
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("waiting: {e}"));
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn frames_are_written_as_bytes_and_decoded_like_json() {
    let (_, canonical, _) = run(&["decode"], ENV);
    for canonical in [canonical.as_str(), EXAMPLES[0].1, EXAMPLES[1].1, EXAMPLES[2].1] {
        let (rc, frame, err) = run_bytes(&["encode", "--encoding", "frame"], canonical.as_bytes());
        assert_eq!(rc, 0, "{err}");
        // the exact bytes, no newline after them
        let value = sciwire::Value::from_canonical(&serde_json::from_str(canonical).unwrap()).unwrap();
        assert_eq!(frame, sciwire::encode(&value, sciwire::Encoding::Frame).unwrap());
        assert_eq!(&frame[..8], &sciwire::frame::SIGNATURE);
        let (rc, back, _) = run_bytes(&["decode"], &frame);
        assert_eq!((rc, String::from_utf8_lossy(&back).trim()), (0, canonical.trim()));
        // from a file too
        let path = std::env::temp_dir().join(format!("sciwire-cli-{}.frame", std::process::id()));
        std::fs::write(&path, &frame).unwrap();
        let (rc, back, _) = run_bytes(&["decode", path.to_str().unwrap()], b"");
        let _ = std::fs::remove_file(&path);
        assert_eq!((rc, String::from_utf8_lossy(&back).trim()), (0, canonical.trim()));
    }
    // a damaged frame is rejected with its code, exit 1
    let (_, mut frame, _) = run_bytes(&["encode", "--encoding", "frame"], EXAMPLES[0].1.as_bytes());
    frame[4] = b'\n';
    let (rc, out, _) = run_bytes(&["decode"], &frame);
    assert_eq!(rc, 1);
    assert!(String::from_utf8_lossy(&out).contains("E_FRAME_SIGNATURE"));
    // a refusal is an error object, not bytes
    let bad = r#"{"kind":"ndarray","dtype":"bool","shape":[1],"hex":"02"}"#;
    let (rc, out, _) = run_bytes(&["encode", "--encoding", "frame"], bad.as_bytes());
    assert_eq!(rc, 1);
    assert!(String::from_utf8_lossy(&out).contains("E_VALUE_DOMAIN"));
}

#[test]
fn the_harness_encodes_frames() {
    use base64::Engine as _;
    let request = serde_json::json!({"cmd": "encode", "id": 3, "value": serde_json::from_str::<serde_json::Value>(EXAMPLES[1].1).unwrap(), "encoding": "frame"});
    let (rc, out, _) = run(&["harness"], &format!("{request}\n"));
    assert_eq!(rc, 0);
    let reply: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(reply["output"].as_str().unwrap()).unwrap();
    let decode = serde_json::json!({"cmd": "decode", "id": 4, "input": reply["output"]});
    let (_, out, _) = run(&["harness"], &format!("{decode}\n"));
    let reply: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(reply["value"], serde_json::from_str::<serde_json::Value>(EXAMPLES[1].1).unwrap());
    assert_eq!(bytes[0], 0xc1);
}

/// `np.array([1, 2, 3], np.int32)` as flamepy 0.6.0 writes it (pyarrow 26.0.1).
const FLAME_I32: &str = "464c4d01ffffffffb800000014000000000000000c001a000600050008000c000c00000000040400200000000c000000000000000000000000000e002800070008000c00100014000e0000000000000260000000280000001800000000000000000000000c0000000000000000000000010000000400000000000000010000000c00000008001400080004000800000010000000030000000000000000000000000000000000000008000c00080007000800000000000001200000000000000000000000010000000200000003000000";
const FLAME_I32_CANONICAL: &str = r#"{"dtype":"int32","hex":"010000000200000003000000","kind":"ndarray","shape":[3]}"#;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn the_flame_profile_decodes_and_encodes_flm_frames() {
    let frame = unhex(FLAME_I32);
    let (rc, out, err) = run_bytes(&["decode", "--profile", "flame"], &frame);
    assert_eq!((rc, String::from_utf8_lossy(&out).trim()), (0, FLAME_I32_CANONICAL), "{err}");
    // the default entry point never reads an FLM frame, the profile nothing else
    let (rc, out, _) = run_bytes(&["decode"], &frame);
    assert_eq!(rc, 1);
    assert!(String::from_utf8_lossy(&out).contains("E_JSON_SYNTAX"));
    let (rc, out, _) = run(&["decode", "--profile", "flame"], ENV);
    assert_eq!(rc, 1);
    assert!(out.contains("E_PICKLE_REFUSED") && out.contains("flame.pickle"), "{out}");
    let (rc, out, _) = run_bytes(&["decode", "--profile", "flame"], b"FLM\x07");
    assert_eq!(rc, 1);
    assert!(String::from_utf8_lossy(&out).contains("E_FLAME_TAG"));
    // encode: the frame's bytes, no newline, which decode back
    let (rc, bytes, err) = run_bytes(&["encode", "--profile", "flame", "--encoding", "tensor"], FLAME_I32_CANONICAL.as_bytes());
    assert_eq!(rc, 0, "{err}");
    assert_eq!(&bytes[..4], b"FLM\x01");
    let value = sciwire::Value::from_canonical(&serde_json::from_str(FLAME_I32_CANONICAL).unwrap()).unwrap();
    assert_eq!(bytes, sciwire::flame::encode(&value, sciwire::flame::FlameEncoding::Tensor).unwrap());
    let (rc, back, _) = run_bytes(&["decode", "--profile", "flame", "-"], &bytes);
    assert_eq!((rc, String::from_utf8_lossy(&back).trim()), (0, FLAME_I32_CANONICAL));
    // a refusal is an error object
    let (rc, out, _) = run(&["encode", "--profile", "flame", "--encoding", "tensor"], r#"{"kind":"ndarray","dtype":"bool","shape":[1],"hex":"01"}"#);
    assert_eq!(rc, 1);
    assert!(out.contains("E_DTYPE_UNSUPPORTED") && out.contains("flame.encode.refuse"), "{out}");
    // usage errors: tensor without the profile, the profile without tensor, another profile
    for args in [
        &["encode", "--encoding", "tensor"][..],
        &["encode", "--profile", "flame", "--encoding", "frame"],
        &["encode", "--profile", "pickle", "--encoding", "tensor"],
        &["decode", "--profile", "pickle"],
    ] {
        let (rc, _, err) = run(args, FLAME_I32_CANONICAL);
        assert_eq!(rc, 2, "{args:?}: {err}");
    }
}

#[test]
fn the_harness_honours_the_flame_profile() {
    use base64::Engine as _;
    use serde_json::json;
    let b64 = base64::engine::general_purpose::STANDARD;
    let canonical: serde_json::Value = serde_json::from_str(FLAME_I32_CANONICAL).unwrap();
    let requests = [
        json!({"cmd": "start", "id": 0, "protocol": 1}),
        json!({"cmd": "decode", "id": 1, "input": b64.encode(unhex(FLAME_I32)), "profile": "flame"}),
        json!({"cmd": "decode", "id": 2, "input": b64.encode(unhex(FLAME_I32))}),
        json!({"cmd": "decode", "id": 3, "input": b64.encode(b"FLM\x00\x80\x05N."), "profile": "flame"}),
        json!({"cmd": "encode", "id": 4, "value": canonical, "encoding": "tensor", "profile": "flame"}),
        json!({"cmd": "encode", "id": 5, "value": canonical, "encoding": "tensor"}),
        json!({"cmd": "encode", "id": 6, "value": canonical, "encoding": "json", "profile": "flame"}),
        json!({"cmd": "decode", "id": 7, "input": "", "profile": "npy"}),
        json!({"cmd": "encode", "id": 8, "value": canonical, "encoding": "tensor", "profile": 1}),
        json!({"cmd": "stop", "id": 9}),
    ];
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let (rc, out, _) = run(&["harness"], &input);
    assert_eq!(rc, 0);
    let replies: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(replies.len(), 9);
    assert_eq!(
        replies[0]["capabilities"]["flame"],
        json!({"directions": ["decode", "encode"], "encodings": ["tensor", "table", "array", "batch"]})
    );
    assert_eq!(replies[1]["value"], canonical);
    assert_eq!(replies[2]["error"]["code"], "E_JSON_SYNTAX");
    assert_eq!(replies[3]["error"]["code"], "E_PICKLE_REFUSED");
    let bytes = b64.decode(replies[4]["output"].as_str().unwrap()).unwrap();
    assert_eq!(&bytes[..4], b"FLM\x01");
    assert_eq!(sciwire::flame::decode(&bytes, &sciwire::Limits::default()).unwrap().to_canonical(), canonical);
    for i in [5, 6, 7, 8] {
        assert_eq!(replies[i]["errored"], true, "{}", replies[i]);
        assert_eq!(replies[i]["id"], i, "{}", replies[i]);
    }
}

/// A request's base64 is decoded where it lies in the line, or unescaped
/// first when the runner's JSON escapes it (any JSON string is a string);
/// each request in a line of its own, whatever the one before held.
#[test]
fn the_harness_reads_input_escaped_or_not() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let envelope = r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"int8","shape":[2],"data":[1,-2]}"#;
    let plain = b64.encode(envelope);
    let escaped: String = plain.chars().map(|c| if c == 'e' { "\\u0065".to_string() } else { c.to_string() }).collect();
    assert_ne!(escaped, plain);
    let long = b64.encode(format!("{envelope}{}", " ".repeat(100_000)));
    let input = [
        format!(r#"{{"cmd":"decode","id":1,"input":"{long}"}}"#),
        format!(r#"{{"cmd":"decode","id":2,"input":"{plain}"}}"#),
        format!(r#"{{"cmd":"decode","id":3,"input":"{escaped}"}}"#),
        format!(r#"{{"cmd":"decode","id":4,"input":"{}"}}"#, &plain[1..]),
        r#"{"cmd":"decode","id":5,"input":["e30="]}"#.to_string(),
        r#"{"cmd":"decode","id":6}"#.to_string(),
        r#"{"cmd":"stop","id":7}"#.to_string(),
    ]
    .join("\n");
    let (rc, out, _) = run(&["harness"], &input);
    assert_eq!(rc, 0);
    let replies: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(replies.len(), 6);
    let value = serde_json::json!({"kind": "ndarray", "dtype": "int8", "shape": [2], "hex": "01fe"});
    for r in &replies[..3] {
        assert_eq!(r["value"], value, "{r}");
    }
    for r in &replies[3..] {
        assert_eq!(r["errored"], true, "{r}");
    }
}

#[test]
fn the_harness_builds_concat_inputs_from_their_pieces() {
    // [harness.inputs]: declared in start, each piece's text repeated.
    let head = r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"int8","shape":[3],"data":["#;
    let input = [
        r#"{"cmd":"start","id":0,"protocol":1}"#.to_string(),
        serde_json::json!({"cmd": "decode", "id": 1, "input": {"concat": [
            {"text": head, "repeat": 1}, {"text": "-1,", "repeat": 2}, {"text": "7]", "repeat": 1},
            {"text": " ", "repeat": 100_000}, {"text": "}", "repeat": 1}]}})
        .to_string(),
        // one byte over max_input_bytes, built and rejected by its length
        serde_json::json!({"cmd": "decode", "id": 2, "input": {"concat": [
            {"text": "[", "repeat": 1}, {"text": " ", "repeat": 256 << 20}]}})
        .to_string(),
        serde_json::json!({"cmd": "decode", "id": 3, "profile": "flame", "input": {"concat": [{"text": "FLM", "repeat": 1}]}}).to_string(),
        // longer than any process holds: refused, not aborted on
        serde_json::json!({"cmd": "decode", "id": 4, "input": {"concat": [{"text": "xx", "repeat": u64::MAX / 2 + 1}]}}).to_string(),
        r#"{"cmd":"decode","id":5,"input":{"concat":[{"text":"[]"}]}}"#.to_string(),
        r#"{"cmd":"decode","id":6,"input":{"concat":[{"text":"[]","repeat":1}],"more":1}}"#.to_string(),
        r#"{"cmd":"stop","id":7}"#.to_string(),
    ]
    .join("\n");
    let (rc, out, _) = run(&["harness"], &input);
    assert_eq!(rc, 0);
    let replies: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(replies.len(), 7);
    assert_eq!(replies[0]["inputs"], serde_json::json!(["concat"]));
    assert_eq!(replies[1]["value"], serde_json::json!({"kind": "ndarray", "dtype": "int8", "shape": [3], "hex": "ffff07"}));
    assert_eq!(replies[2]["error"]["code"], "E_LIMIT_EXCEEDED", "{}", replies[2]);
    assert_eq!(replies[3]["error"]["code"], "E_FLAME_TAG", "{}", replies[3]);
    for r in &replies[4..] {
        assert_eq!(r["errored"], true, "{r}");
    }
}

#[test]
fn encode_profile_flame_writes_the_stream_encodings() {
    let df = r#"{"kind": "dataframe", "rows": 2, "columns": [{"name": "a", "type": {"id": "int64"}, "values": ["1", "2"]}],
                 "index": {"kind": "range", "name": "r", "start": 0, "stop": 4, "step": 2}}"#;
    let series = r#"{"kind": "series", "name": {"null": null}, "type": {"id": "string"}, "values": ["x", null]}"#;
    for (encoding, value, tag) in [("table", df, 2u8), ("batch", df, 4), ("array", series, 3)] {
        let (rc, frame, err) = run_bytes(&["encode", "--profile", "flame", "--encoding", encoding], value.as_bytes());
        assert_eq!(rc, 0, "{encoding}: {err}");
        assert_eq!(frame[..4], [b'F', b'L', b'M', tag], "{encoding}");
        let (rc, out, err) = run_bytes(&["decode", "--profile", "flame"], &frame);
        assert_eq!(rc, 0, "{encoding}: {err}");
        let back: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, serde_json::from_str::<serde_json::Value>(value).unwrap(), "{encoding}");
    }
    // a dataframe is not an array, a series not a table
    let (rc, _, err) = run_bytes(&["encode", "--profile", "flame", "--encoding", "array"], df.as_bytes());
    assert_eq!(rc, 1, "{err}");
    let (rc, _, err) = run_bytes(&["encode", "--profile", "flame", "--encoding", "table"], series.as_bytes());
    assert_eq!(rc, 1, "{err}");
}
