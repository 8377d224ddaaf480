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
