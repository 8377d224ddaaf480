//! The suite checks itself: every file against its schema, ids, the
//! manifest, equivalence groups, and clause coverage.

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
