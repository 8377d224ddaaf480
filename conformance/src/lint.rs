//! The suite checks itself: every file against its schema, ids, the
//! manifest, equivalence groups, and clause coverage. Inputs are checked
//! against the schemas too: a json input against `envelope.schema.json`, and
//! the header of a frame (a decode input, or the bytes an encode vector
//! expects) against `frame-header.schema.json` ([vector.schema-valid]).

use std::collections::BTreeSet;
use std::path::Path;

use sciwire::schema::Schemas;

use crate::clauses::{Clause, coverage_with_tests, read_test_citations};
use crate::suite::{Encoding, Expect, Input, Profile, Suite};

/// Every problem with the suite under `root`, one line each; empty when the suite is sound.
pub fn lint(suite: &Suite, schemas: &Schemas, clauses: &[Clause], root: &Path) -> Result<Vec<String>, String> {
    let mut problems = crate::check_manifest(root)?;
    let mut ids = BTreeSet::new();
    let mut descriptions = BTreeSet::new();
    for v in &suite.vectors {
        let p = &v.path;
        if let Err(errs) = schemas.validate("vector", &v.raw) {
            problems.extend(errs.into_iter().map(|e| format!("{p}: vector.schema.json: {e}")));
        }
        let stem = p.rsplit('/').next().and_then(|f| f.strip_suffix(".json")).unwrap_or_default();
        if stem != v.id {
            problems.push(format!("{p}: id {} differs from the file name", v.id));
        }
        if !ids.insert(v.id.clone()) {
            problems.push(format!("{p}: id {} is used twice", v.id));
        }
        if !descriptions.insert(v.description.clone()) {
            problems.push(format!("{p}: description {:?} is used twice", v.description));
        }
        let folder = p.split('/').rev().nth(1).unwrap_or_default();
        let want = match (&v.input, &v.expect) {
            (Input::Encode { .. }, _) => "encode",
            (_, Expect::Value(_)) => "valid",
            (_, Expect::Error(_)) => "invalid",
            (_, Expect::Roundtrip { .. }) => "encode",
        };
        if folder != want {
            problems.push(format!("{p}: belongs in a {want}/ folder"));
        }
        if let Expect::Error(code) = &v.expect
            && sciwire::Code::parse(code).is_none() {
                problems.push(format!("{p}: {code} is not a code of spec/src/errors.md"));
            }
        // [vector.profile]: the flame profile's vectors, and no others, are
        // in flame/ and say so; their decode inputs are bytes (base64, text,
        // or concat for one past max_input_bytes), never {"json": …}: no FLM
        // frame is JSON text.
        let in_flame = p.split('/').next() == Some(Profile::Flame.as_str());
        match (in_flame, v.profile) {
            (true, Some(Profile::Flame)) | (false, None) => {}
            (true, None) => problems.push(format!("{p}: a vector in flame/ needs \"profile\": \"flame\"")),
            (false, Some(profile)) => {
                problems.push(format!("{p}: \"profile\": \"{}\" is for the vectors in {0}/ only", profile.as_str()));
            }
        }
        if v.profile.is_some() && v.json_input().is_some() {
            problems.push(format!("{p}: a profile's decode vector gives its input as bytes (base64, text, concat), not json"));
        }
        // [vector.expect]: exact bytes only for a frame, which has one spelling.
        if let (Expect::Roundtrip { bytes: Some(_) }, Input::Encode { encoding, .. }) = (&v.expect, &v.input)
            && *encoding != Encoding::Envelope(sciwire::Encoding::Frame)
        {
            problems.push(format!("{p}: expect.bytes is for frames only, not the {} encoding", encoding.as_str()));
        }
        if let Expect::Value(value) = &v.expect
            && let Err(errs) = schemas.validate("canonical-value", value) {
                problems.extend(errs.into_iter().map(|e| format!("{p}: expect.value: {e}")));
            }
        // [vector.schema-valid] for frames: a valid frame's header, and the
        // header of the frame an encode vector expects, satisfy
        // frame-header.schema.json; an invalid frame that declares
        // schemaValid has a readable header exactly that schema-valid.
        let frame = match (&v.input, &v.expect) {
            (Input::Decode(bytes), _) if v.profile.is_none() => frame_header(&bytes.get()).map(|h| (h, &v.expect)),
            (Input::Encode { .. }, Expect::Roundtrip { bytes: Some(bytes) }) => frame_header(bytes).map(|h| (h, &v.expect)),
            _ => None,
        };
        let what = if matches!(v.input, Input::Encode { .. }) { "expect.bytes" } else { "input" };
        match frame {
            None => {
                if let (Input::Decode(_), Expect::Error(_), Some(_)) = (&v.input, &v.expect, v.schema_valid)
                    && v.json_input().is_none()
                {
                    problems.push(format!(
                        "{p}: declares schemaValid, but its input is neither {{\"json\": …}} nor a frame, which have schemas"
                    ));
                }
            }
            Some((Err(why), Expect::Error(_))) => {
                if v.schema_valid.is_some() {
                    problems.push(format!("{p}: declares schemaValid, but the frame's header cannot be read: {why}"));
                }
            }
            Some((Err(why), _)) => problems.push(format!("{p}: the frame's header in {what} cannot be read: {why}")),
            Some((Ok(header), Expect::Error(_))) => {
                if let Some(declared) = v.schema_valid {
                    let verdict = schemas.validate("frame-header", &header).is_ok();
                    if declared != verdict {
                        problems.push(format!(
                            "{p}: declares schemaValid {declared}, but frame-header.schema.json says {verdict} of its frame's header"
                        ));
                    }
                }
            }
            Some((Ok(header), _)) => {
                if let Err(errs) = schemas.validate("frame-header", &header) {
                    problems.extend(
                        errs.into_iter().map(|e| format!("{p}: the frame's header in {what} fails frame-header.schema.json: {e}")),
                    );
                }
            }
        }
        // Schemas and vectors agree: valid JSON inputs are schema-valid, and
        // invalid ones are exactly as schema-valid as they declare.
        if let Some(input) = v.json_input() {
            let verdict = schemas.validate("envelope", input).is_ok();
            match (&v.expect, v.schema_valid) {
                (Expect::Value(_), _) if !verdict => {
                    problems.push(format!("{p}: a valid vector whose input fails envelope.schema.json"));
                }
                (Expect::Error(_), Some(declared)) if declared != verdict => problems.push(format!(
                    "{p}: declares schemaValid {declared}, but envelope.schema.json says {verdict}"
                )),
                (Expect::Error(_), None) => problems.push(format!("{p}: an invalid json-input vector without schemaValid")),
                _ => {}
            }
        }
    }
    for g in &suite.groups {
        if let Err(errs) = schemas.validate("equivalence", &g.raw) {
            problems.extend(errs.into_iter().map(|e| format!("{}: equivalence.schema.json: {e}", g.path)));
        }
        if !ids.insert(g.id.clone()) {
            problems.push(format!("{}: id {} is used twice", g.path, g.id));
        }
        let mut value = None;
        for m in &g.members {
            match suite.vector(m).map(|v| &v.expect) {
                Some(Expect::Value(v)) => match value {
                    None => value = Some(v),
                    Some(first) if first != v => {
                        problems.push(format!("{}: member {m} expects a different value", g.path));
                    }
                    _ => {}
                },
                Some(_) => problems.push(format!("{}: member {m} is not a valid vector", g.path)),
                None => problems.push(format!("{}: member {m} does not exist", g.path)),
            }
        }
    }
    let tests = read_test_citations(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"))?;
    problems.extend(coverage_with_tests(clauses, suite, &tests).gaps.iter().map(|g| format!("coverage: {g}")));
    Ok(problems)
}

/// The JSON header of `bytes` when they are a frame (their first byte is
/// `c1`, [frame.detect]): `None` for anything else; an error when the header
/// cannot be read, which is when the input does not start with the whole
/// signature, ends inside the 16-byte prefix or the `H` header bytes, or the
/// header is not a JSON text. The version is not compared, and nothing after
/// the header is read: this is the header's text, for its schema, not a
/// decoder's verdict. Duplicate member names are not caught here (the last
/// one wins); [json.duplicate-keys] rejects them in a decoder.
pub fn frame_header(bytes: &[u8]) -> Option<Result<serde_json::Value, String>> {
    use sciwire::frame::SIGNATURE;
    if !sciwire::frame::is_frame(bytes) {
        return None;
    }
    Some((|| {
        if !bytes.starts_with(&SIGNATURE) {
            return Err("it does not start with the frame signature".to_string());
        }
        let h = bytes
            .get(12..16)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
            .ok_or("it ends inside the 16-byte prefix")?;
        let end = 16usize.checked_add(h as usize).filter(|&e| e <= bytes.len());
        let text = end.and_then(|e| bytes.get(16..e)).ok_or_else(|| format!("its header length {h} runs past its {} bytes", bytes.len()))?;
        serde_json::from_slice(text).map_err(|e| format!("its header is not a JSON text: {e}"))
    })())
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::frame_header;

    /// A frame's bytes with `header` after the prefix and `tail` after it.
    fn frame(header: &str, tail: &[u8]) -> Vec<u8> {
        let mut b = sciwire::frame::SIGNATURE.to_vec();
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&(header.len() as u32).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        b.extend_from_slice(tail);
        b
    }

    #[test]
    fn a_frames_header_is_its_h_bytes_after_the_prefix() {
        let h = r#"{"__tywrap__":"series","buffers":[]}"#;
        let got = frame_header(&frame(h, &[0; 30])).and_then(Result::ok);
        assert_eq!(got, Some(serde_json::json!({"__tywrap__": "series", "buffers": []})));
    }

    #[test]
    fn json_text_is_no_frame_and_a_broken_prefix_no_header() {
        assert!(frame_header(br#"{"__tywrap__":"ndarray"}"#).is_none());
        assert!(frame_header(b"").is_none());
        let ok = frame(r#"{"a":1}"#, &[]);
        for (label, bytes) in [
            ("damaged signature", [&[0xc1u8, 0x53, 0x57, 0x52, 0x0a][..], &ok[5..]].concat()),
            ("ends in the prefix", ok[..14].to_vec()),
            ("H past the end", ok[..ok.len() - 1].to_vec()),
            ("not JSON", frame("{\"a\":", &[])),
        ] {
            assert!(matches!(frame_header(&bytes), Some(Err(_))), "{label}");
        }
    }

    /// A decode vector of `bytes` at `path` (valid/ or invalid/ in its id).
    fn frame_vector(id: &str, bytes: &[u8], expect: serde_json::Value, schema_valid: Option<bool>) -> serde_json::Value {
        use base64::Engine as _;
        let mut v = serde_json::json!({
            "id": id, "description": id, "clauses": ["frame.header"], "direction": "decode",
            "input": {"base64": base64::engine::general_purpose::STANDARD.encode(bytes)},
            "expect": expect, "source": {"handWritten": "a frame for the self-check's tests"},
        });
        if let Some(b) = schema_valid {
            v["schemaValid"] = b.into();
        }
        v
    }

    #[test]
    fn the_self_check_validates_frame_headers() {
        // clause: vector.schema-valid
        let root = std::env::temp_dir().join(format!("sciwire-lint-frames-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let good = r#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"frame","dtype":"float64","shape":[1],"data":0,"buffers":[[0,8]]}"#;
        let bad = good.replace(r#""encoding":"frame""#, r#""encoding":"json""#);
        let padded = |h: &str| {
            let mut b = frame(h, &[]);
            b.resize(b.len().div_ceil(64) * 64 + 8, 0);
            b
        };
        let value = serde_json::json!({"value": {"kind": "ndarray", "dtype": "float64", "shape": [1], "hex": "0000000000000000"}});
        let error = serde_json::json!({"error": "E_ENCODING_UNSUPPORTED"});
        let mut damaged = padded(good);
        damaged[4] = 0x0a;
        let files = [
            ("ndarray/valid/f-good.json", frame_vector("f-good", &padded(good), value.clone(), None)),
            ("ndarray/valid/f-bad.json", frame_vector("f-bad", &padded(&bad), value, None)),
            ("ndarray/invalid/f-undeclared.json", frame_vector("f-undeclared", &padded(&bad), error.clone(), None)),
            ("ndarray/invalid/f-declared-right.json", frame_vector("f-declared-right", &padded(&bad), error.clone(), Some(false))),
            ("ndarray/invalid/f-declared-wrong.json", frame_vector("f-declared-wrong", &padded(good), error.clone(), Some(false))),
            ("ndarray/invalid/f-unreadable.json", frame_vector("f-unreadable", &damaged, error, Some(true))),
        ];
        let mut manifest = String::new();
        for (path, v) in &files {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap_or(&root)).unwrap_or_else(|e| panic!("{e}"));
            let text = serde_json::to_string_pretty(v).unwrap_or_default();
            std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{e}"));
            manifest.push_str(&format!("{}  {path}\n", crate::sha256::hex_digest(text.as_bytes())));
        }
        std::fs::write(root.join("MANIFEST.sha256"), manifest).unwrap_or_else(|e| panic!("{e}"));
        let suite = crate::suite::Suite::load(&root).unwrap_or_else(|e| panic!("{e}"));
        let schemas = sciwire::schema::Schemas::load().unwrap_or_else(|e| panic!("{e}"));
        let problems = super::lint(&suite, &schemas, &[], &root).unwrap_or_else(|e| panic!("{e}"));
        let _ = std::fs::remove_dir_all(&root);
        let about = |file: &str| problems.iter().filter(|p| p.starts_with(file)).cloned().collect::<Vec<_>>();
        assert!(about("ndarray/valid/f-good.json").is_empty(), "{problems:#?}");
        assert!(about("ndarray/valid/f-bad.json").iter().any(|p| p.contains("fails frame-header.schema.json")), "{problems:#?}");
        assert!(about("ndarray/invalid/f-undeclared.json").is_empty(), "{problems:#?}");
        assert!(about("ndarray/invalid/f-declared-right.json").is_empty(), "{problems:#?}");
        assert!(about("ndarray/invalid/f-declared-wrong.json").iter().any(|p| p.contains("declares schemaValid false")), "{problems:#?}");
        assert!(about("ndarray/invalid/f-unreadable.json").iter().any(|p| p.contains("cannot be read")), "{problems:#?}");
    }

    #[test]
    fn the_schema_judges_frame_headers() {
        let schemas = sciwire::schema::Schemas::load().unwrap_or_else(|e| panic!("{e}"));
        let good = serde_json::json!({"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "frame", "data": 0, "buffers": [[0, 10]]});
        assert!(schemas.validate("frame-header", &good).is_ok());
        for (label, change) in [
            ("a json encoding", serde_json::json!({"encoding": "json"})),
            ("a second buffer", serde_json::json!({"buffers": [[0, 10], [64, 1]]})),
            ("a buffer off its alignment", serde_json::json!({"buffers": [[1, 10]]})),
            ("a reference to no buffer", serde_json::json!({"data": 1})),
            ("a base64 payload", serde_json::json!({"b64": ""})),
        ] {
            let mut bad = good.clone();
            for (k, v) in change.as_object().into_iter().flatten() {
                bad[k] = v.clone();
            }
            assert!(schemas.validate("frame-header", &bad).is_err(), "{label}: {bad}");
        }
    }
}
