//! The runner against a misbehaving fake harness (src/bin/sciwire-fake-harness.rs):
//! every failure path of spec/src/harness.md costs one case, never the run.
//! Each test names the clauses it exercises as `clause: <id>` comments; the
//! coverage check counts them for the harness.* clauses.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sciwire::schema::Schemas;
use sciwire_conformance::process::{ProcessHarness, ProcessOptions};
use sciwire_conformance::runner::{Run, RunOptions, Status, run};
use sciwire_conformance::suite::{Suite, default_root};
use sciwire_conformance::xfail::XfailList;
use sciwire_conformance::{check::Implementation, report};

fn suite() -> &'static Suite {
    static S: OnceLock<Suite> = OnceLock::new();
    S.get_or_init(|| Suite::load(&default_root()).unwrap())
}

fn schemas() -> Arc<Schemas> {
    static S: OnceLock<Arc<Schemas>> = OnceLock::new();
    S.get_or_init(|| Arc::new(Schemas::load().unwrap())).clone()
}

const FAKE: &str = env!("CARGO_BIN_EXE_sciwire-fake-harness");

fn harness(args: &str, options: ProcessOptions) -> ProcessHarness {
    ProcessHarness::start(&format!("{FAKE} {args}"), options, Some(schemas())).unwrap()
}

fn run_cases(h: &mut dyn Implementation, cases: &[&str], opts: RunOptions) -> Run {
    let opts = RunOptions { cases: cases.iter().map(|c| c.to_string()).collect(), ..opts };
    run(h, suite(), &schemas(), &opts)
}

fn status(r: &Run, id: &str) -> Status {
    r.records.iter().find(|x| x.id == id).unwrap_or_else(|| panic!("{id} not run")).status
}

const SMALL: &[&str] = &["ndarray-arrow-float64-2x3", "ndarray-json-float64-2x3", "ndarray-invalid-json-nan-literal", "ndarray-encode-json-float64-2x3"];

#[test]
fn a_well_behaved_harness_conforms() {
    // clause: harness.transport
    // clause: harness.id
    // clause: harness.start
    // clause: harness.decode
    // clause: harness.encode
    let mut h = harness("", ProcessOptions { validate_messages: true, ..ProcessOptions::default() });
    assert_eq!(h.name(), "fake 0 (rust)");
    let r = run_cases(&mut h, SMALL, RunOptions::default());
    assert_eq!(r.records.len(), 4);
    assert!(r.conforms(), "{}", report::text(&r));
    assert_eq!(h.starts, 1);
}

#[test]
fn a_crash_costs_one_case_and_the_harness_is_restarted() {
    // clause: harness.robustness
    // Cases run in suite order (encode/, invalid/, valid/): the crash is on
    // the third, so the fourth needs a restarted harness.
    let mut h = harness("--crash-on ndarray-arrow-float64-2x3", ProcessOptions::default());
    let r = run_cases(&mut h, SMALL, RunOptions::default());
    assert_eq!(status(&r, "ndarray-arrow-float64-2x3"), Status::Errored);
    assert_eq!(status(&r, "ndarray-json-float64-2x3"), Status::Pass);
    let errored = r.records.iter().find(|x| x.status == Status::Errored).unwrap();
    assert!(errored.actual.contains("exited"), "{}", errored.actual);
    assert_eq!(r.records.iter().filter(|x| x.status == Status::Pass).count(), 3);
    assert_eq!(h.starts, 2);
    assert!(!r.conforms());
}

#[test]
fn a_hang_is_timed_out_and_the_run_goes_on() {
    // clause: harness.robustness
    // clause: harness.budget
    let mut h = harness("--hang-on ndarray-arrow-float64-2x3", ProcessOptions::default());
    let opts = RunOptions { default_wall: Duration::from_millis(1500), ..RunOptions::default() };
    let r = run_cases(&mut h, SMALL, opts);
    let rec = r.records.iter().find(|x| x.id == "ndarray-arrow-float64-2x3").unwrap();
    assert_eq!(rec.status, Status::Errored);
    assert!(rec.actual.contains("timed out after 1500 ms"), "{}", rec.actual);
    assert_eq!(r.records.iter().filter(|x| x.status == Status::Pass).count(), 3);
}

#[test]
fn malformed_replies_are_errors_not_crashes() {
    // clause: harness.id
    // clause: harness.robustness
    let opts = ProcessOptions { max_reply_bytes: 64 << 10, validate_messages: true, ..ProcessOptions::default() };
    let mut h = harness(
        "--garbage-on ndarray-arrow-float64-2x3 --wrong-id-on ndarray-json-float64-2x3 \
         --oversize-on ndarray-invalid-json-nan-literal --extra-member-on ndarray-encode-json-float64-2x3",
        opts,
    );
    let r = run_cases(&mut h, SMALL, RunOptions::default());
    let why = |id: &str| r.records.iter().find(|x| x.id == id).map(|x| (x.status, x.actual.clone())).unwrap();
    let (s, a) = why("ndarray-arrow-float64-2x3");
    assert!(s == Status::Errored && a.contains("not JSON"), "{a}");
    let (s, a) = why("ndarray-json-float64-2x3");
    assert!(s == Status::Errored && a.contains("has id 999999"), "{a}");
    let (s, a) = why("ndarray-invalid-json-nan-literal");
    assert!(s == Status::Errored && a.contains("over 65536 bytes"), "{a}");
    let (s, a) = why("ndarray-encode-json-float64-2x3");
    assert!(s == Status::Errored && a.contains("does not match the protocol"), "{a}");
}

#[test]
fn another_protocol_version_is_a_configuration_error() {
    // clause: harness.start
    let e = ProcessHarness::start(&format!("{FAKE} --protocol 2"), ProcessOptions::default(), None).err().unwrap();
    assert!(e.contains("speaks protocol 2"), "{e}");
    let e = ProcessHarness::start("exit 7", ProcessOptions::default(), None).err().unwrap();
    assert!(e.contains("did not start"), "{e}");
}

#[test]
fn only_declared_capabilities_are_run_and_the_rest_is_listed() {
    // clause: harness.capabilities
    let mut h = harness("--encodings json", ProcessOptions::default());
    let r = run_cases(&mut h, &["ndarray-arrow-float64-2x3", "ndarray-json-float64-2x3", "ndarray-invalid-json-nan-literal", "ndarray-encode-arrow-float64-2x3"], RunOptions::default());
    let run_ids: Vec<&str> = r.records.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(run_ids, ["ndarray-invalid-json-nan-literal", "ndarray-json-float64-2x3"]);
    let left: Vec<(&String, usize)> = r.left_out.iter().map(|(k, v)| (k, v.len())).collect();
    assert_eq!(left, [(&"encoding arrow not supported".to_string(), 2)]);
}

#[test]
fn skipped_and_errored_answers_are_reported_as_such() {
    // clause: harness.decode
    let mut h = harness("--skip-on ndarray-arrow-float64-2x3 --error-on ndarray-json-float64-2x3", ProcessOptions::default());
    let r = run_cases(&mut h, SMALL, RunOptions::default());
    assert_eq!(status(&r, "ndarray-arrow-float64-2x3"), Status::Skipped);
    let rec = r.records.iter().find(|x| x.id == "ndarray-json-float64-2x3").unwrap();
    assert_eq!(rec.status, Status::Errored);
    assert!(rec.actual.contains("boom") && rec.actual.contains("at fake"), "{}", rec.actual);
    assert!(r.records.iter().find(|x| x.id == "ndarray-arrow-float64-2x3").unwrap().actual.contains("https://example.org/1"));
}

#[test]
fn the_memory_budget_fails_a_right_verdict_reached_by_allocating() {
    // clause: harness.budget
    let mut h = harness("--allocate-mb-on ndarray-arrow-float64-2x3=300", ProcessOptions::default());
    let opts = RunOptions { default_rss_mib: 100, ..RunOptions::default() };
    let r = run_cases(&mut h, &["ndarray-arrow-float64-2x3", "ndarray-json-float64-2x3"], opts);
    let rec = r.records.iter().find(|x| x.id == "ndarray-arrow-float64-2x3").unwrap();
    assert_eq!(rec.status, Status::Fail, "{}", rec.actual);
    assert!(rec.actual.contains("peak resident set grew by"), "{}", rec.actual);
    assert!(rec.rss_mib.unwrap() >= 290);
    assert_eq!(status(&r, "ndarray-json-float64-2x3"), Status::Pass);
}

#[test]
fn the_time_budget_cuts_off_a_slow_case() {
    // clause: harness.budget
    let mut h = harness("--sleep-ms-on ndarray-arrow-float64-2x3=600", ProcessOptions::default());
    let opts = RunOptions { default_wall: Duration::from_millis(300), ..RunOptions::default() };
    let r = run_cases(&mut h, &["ndarray-arrow-float64-2x3", "ndarray-json-float64-2x3"], opts.clone());
    let rec = r.records.iter().find(|x| x.id == "ndarray-arrow-float64-2x3").unwrap();
    assert_eq!(rec.status, Status::Errored);
    assert!(rec.actual.contains("timed out after 300 ms"), "{}", rec.actual);
    assert_eq!(status(&r, "ndarray-json-float64-2x3"), Status::Pass);
    // with a budget the harness can meet, the same case passes
    let opts = RunOptions { default_wall: Duration::from_millis(5000), ..opts };
    let r = run_cases(&mut h, &["ndarray-arrow-float64-2x3"], opts);
    assert_eq!(status(&r, "ndarray-arrow-float64-2x3"), Status::Pass);
}

#[test]
fn the_harness_exits_on_stop() {
    // clause: harness.stop
    let marker = std::env::temp_dir().join(format!("sciwire-fake-exit-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let mut h = harness(&format!("--touch-on-exit {}", marker.display()), ProcessOptions::default());
    let _ = run_cases(&mut h, &["ndarray-json-float64-2x3"], RunOptions::default());
    h.stop();
    assert_eq!(std::fs::read_to_string(&marker).ok().as_deref(), Some("exited"));
    let _ = std::fs::remove_file(&marker);
}

#[test]
fn wrong_codes_are_separate_and_fail_only_when_required() {
    let mut h = harness("--wrong-code-on ndarray-invalid-*", ProcessOptions::default());
    let r = run_cases(&mut h, SMALL, RunOptions::default());
    assert_eq!(status(&r, "ndarray-invalid-json-nan-literal"), Status::Pass); // it is E_JSON_SYNTAX anyway
    let r = run_cases(&mut h, &["ndarray-invalid-codec-version-2"], RunOptions::default());
    assert_eq!(status(&r, "ndarray-invalid-codec-version-2"), Status::WrongCode);
    assert!(r.conforms());
    let r = run_cases(&mut h, &["ndarray-invalid-codec-version-2"], RunOptions { require_codes: true, ..RunOptions::default() });
    assert!(!r.conforms());
}

#[test]
fn expected_failures_are_strict() {
    let mut h = harness("--crash-on ndarray-json-float64-2x3", ProcessOptions::default());
    let xfail = XfailList::parse("ndarray-json-*  # crashes\nndarray-arrow-float64-2x3  # stale entry\n").unwrap();
    let r = run(&mut h, suite(), &schemas(), &RunOptions {
        cases: SMALL.iter().map(|s| s.to_string()).collect(),
        xfail: xfail.clone(),
        ..RunOptions::default()
    });
    assert_eq!(status(&r, "ndarray-json-float64-2x3"), Status::XFail);
    assert_eq!(status(&r, "ndarray-arrow-float64-2x3"), Status::XPass);
    assert!(!r.conforms());
    let text = report::text(&r);
    assert!(text.contains("remove from the expected-failure file"), "{text}");
    // a pattern that matches nothing in a full run is stale too
    let mut reference = sciwire_conformance::check::Reference::default();
    let stale = XfailList::parse("no-such-case-*  # gone\n").unwrap();
    let r = run(&mut reference, suite(), &schemas(), &RunOptions { xfail: stale, ..RunOptions::default() });
    assert_eq!(r.unmatched_xfails, ["no-such-case-*"]);
    assert!(!r.conforms());
}

#[test]
fn reports_are_readable_by_machines() {
    let mut h = harness("--crash-on ndarray-json-float64-2x3", ProcessOptions::default());
    let r = run_cases(&mut h, SMALL, RunOptions::default());
    let jsonl = report::jsonl(&r, "digest");
    let lines: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["type"], "header");
    assert_eq!(lines.last().unwrap()["type"], "footer");
    assert_eq!(lines.last().unwrap()["conforms"], false);
    assert_eq!(lines.iter().filter(|l| l["type"] == "case").count(), 4);
    let failing = lines.iter().find(|l| l["status"] == "errored").unwrap();
    assert!(failing["repro"].as_str().unwrap().contains("--case ndarray-json-float64-2x3"));
    let junit = report::junit(&r);
    assert_eq!(junit.matches("<testcase ").count(), 4);
    assert!(junit.contains("errors=\"1\""));
    assert_eq!(junit.matches("<error ").count(), 1);
    let md = report::markdown(&r);
    assert!(md.contains("does not conform") && md.contains("`ndarray-json-float64-2x3`"), "{md}");
}

#[test]
fn failure_blocks_carry_the_whole_answer_and_say_when_its_clause_differs() {
    let mut h = harness(
        "--wrong-code-on ndarray-invalid-codec-version-2 --clause-on ndarray-invalid-codec-version-2=ndarray.shape.items",
        ProcessOptions { validate_messages: true, ..ProcessOptions::default() },
    );
    let r = run_cases(&mut h, &["ndarray-invalid-codec-version-2"], RunOptions { require_codes: true, ..RunOptions::default() });
    let rec = &r.records[0];
    assert_eq!(rec.status, Status::WrongCode);
    let error = &rec.answer.as_ref().unwrap()["error"];
    assert_eq!(error["code"], "E_JSON_SYNTAX");
    assert!(!error["message"].as_str().unwrap().is_empty());
    assert_eq!(rec.answer_clause.as_deref(), Some("ndarray.shape.items"));
    assert!(rec.clause_differs, "{:?}", rec.clauses);
    assert_eq!((rec.expected_kind.as_str(), rec.answered_kind.as_str()), ("E_CODEC_VERSION", "E_JSON_SYNTAX"));
    let text = report::text(&r);
    assert!(text.contains("answer   code     E_JSON_SYNTAX"), "{text}");
    assert!(text.contains("clause   ndarray.shape.items  (not one of the vector's clauses)"), "{text}");
    assert!(text.contains("failures by code (expected → answered):\n      1  E_CODEC_VERSION → E_JSON_SYNTAX"), "{text}");
    let first = &rec.clauses[0];
    assert!(text.contains(&format!("failures by clause (the vector's first clause):\n      1  {first}\n")), "{text}");
    let jsonl = report::jsonl(&r, "digest");
    let lines: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let case = lines.iter().find(|l| l["type"] == "case").unwrap();
    assert_eq!(case["answer"]["error"]["clause"], "ndarray.shape.items");
    assert_eq!(case["clause_differs"], true);
    assert_eq!(lines.last().unwrap()["failures_by_code"]["E_CODEC_VERSION → E_JSON_SYNTAX"], 1);
    assert_eq!(lines.last().unwrap()["failures_by_clause"][first], 1);
    // the reference's own error object carries its clause, which is the vector's
    let mut h = harness("--wrong-code-on ndarray-invalid-codec-version-2", ProcessOptions::default());
    let r = run_cases(&mut h, &["ndarray-invalid-codec-version-2"], RunOptions::default());
    let rec = &r.records[0];
    assert!(rec.answer_clause.is_some() && !rec.clause_differs, "{:?} {:?}", rec.answer_clause, rec.clauses);
}

#[test]
fn a_trace_has_every_protocol_line_both_ways() {
    let path = std::env::temp_dir().join(format!("sciwire-trace-{}.txt", std::process::id()));
    let trace = Arc::new(sciwire_conformance::process::Trace::create(&path).unwrap());
    let mut h = harness("", ProcessOptions { trace: Some(trace), ..ProcessOptions::default() });
    let r = run_cases(&mut h, &["ndarray-json-float64-2x3", "ndarray-invalid-json-nan-literal"], RunOptions::default());
    assert!(r.conforms());
    h.stop();
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let lines: Vec<(f64, &str, &str)> = text
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let t = parts.next().unwrap().parse().unwrap();
            (t, parts.next().unwrap(), parts.next().unwrap_or_default())
        })
        .collect();
    assert!(lines.windows(2).all(|w| w[0].0 <= w[1].0), "{text}");
    let dirs: Vec<&str> = lines.iter().map(|l| l.1).filter(|d| *d != "#").collect();
    assert_eq!(dirs, [">", "<", ">", "<", ">", "<", ">"], "{text}");
    let json = |i: usize| serde_json::from_str::<serde_json::Value>(lines.iter().filter(|l| l.1 != "#").nth(i).unwrap().2).unwrap();
    assert_eq!(json(0)["cmd"], "start");
    assert_eq!(json(1)["protocol"], 1);
    assert_eq!(json(2)["case"], "ndarray-invalid-json-nan-literal");
    assert_eq!(json(3)["error"]["code"], "E_JSON_SYNTAX");
    assert_eq!(json(6)["cmd"], "stop");
}

#[test]
fn a_harness_that_takes_pieces_is_sent_concat_inputs_as_pieces() {
    // clause: harness.inputs
    let path = std::env::temp_dir().join(format!("sciwire-trace-concat-{}.txt", std::process::id()));
    let trace = Arc::new(sciwire_conformance::process::Trace::create(&path).unwrap());
    let mut h = harness("--inputs concat", ProcessOptions { trace: Some(trace), validate_messages: true, ..ProcessOptions::default() });
    let over = "ndarray-invalid-input-one-byte-over-max-input-bytes";
    let r = run_cases(&mut h, &[over, "ndarray-json-float64-2x3"], RunOptions::default());
    assert!(r.conforms(), "{}", report::text(&r));
    assert_eq!(r.records.len(), 2);
    h.stop();
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let requests: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| l.splitn(3, ' ').nth(2).filter(|_| l.split(' ').nth(1) == Some(">")))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let input = |case: &str| requests.iter().find(|r| r["case"] == case).unwrap()["input"].clone();
    // The 268,435,457 bytes cross as their vector's pieces ...
    let pieces = input(over);
    let pieces = pieces["concat"].as_array().unwrap();
    assert_eq!(pieces.len(), 2);
    let built: u64 = pieces.iter().map(|p| p["text"].as_str().unwrap().len() as u64 * p["repeat"].as_u64().unwrap()).sum();
    assert_eq!(built, (256 << 20) + 1);
    assert!(text.len() < 4096, "the trace holds no base64 of the long input: {} bytes", text.len());
    // ... and an input held whole as base64, as before.
    assert!(input("ndarray-json-float64-2x3").is_string());
}

#[test]
fn features_left_out_are_reported_not_run() {
    // clause: harness.features
    let mut h = harness("--encodings arrow,json,frame --left-out float16,large-inputs", ProcessOptions { validate_messages: true, ..ProcessOptions::default() });
    let cases = ["ndarray-arrow-float16", "ndarray-frame-float16-extremes", "ndarray-arrow-float64-2x3", "ndarray-invalid-input-one-byte-over-max-input-bytes"];
    let r = run_cases(&mut h, &cases, RunOptions::default());
    let run_ids: Vec<&str> = r.records.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(run_ids, ["ndarray-arrow-float64-2x3"]);
    assert_eq!(r.left_out.get("feature float16").map(Vec::len), Some(2), "{:?}", r.left_out);
    assert_eq!(r.left_out.get("feature large-inputs").map(Vec::len), Some(1), "{:?}", r.left_out);
    assert!(r.conforms());
    let text = report::text(&r);
    assert!(text.contains("left out: feature float16 (2 cases)"), "{text}");
    assert!(!text.contains("expected-failure"), "{text}");
}

#[test]
fn features_are_derived_from_dtypes_column_types_sizes_and_tags() {
    // clause: harness.features
    use sciwire_conformance::runner::features;
    let of = |id: &str| features(suite().vector(id).unwrap_or_else(|| panic!("{id}"))).into_iter().collect::<Vec<_>>();
    assert_eq!(of("ndarray-arrow-float16"), ["float16"]);
    assert_eq!(of("ndarray-frame-float16-extremes"), ["float16"]);
    assert_eq!(of("ndarray-arrow-datetime64-ms"), ["datetimes"]);
    assert_eq!(of("dataframe-arrow-date32"), ["datetimes"]);
    assert_eq!(of("dataframe-arrow-categorical-datetime"), ["categoricals", "datetimes"]);
    assert_eq!(of("dataframe-arrow-binary"), ["bytes"]);
    assert_eq!(of("ndarray-arrow-float64-2x3"), Vec::<&str>::new());
    assert_eq!(of("ndarray-invalid-input-one-byte-over-max-input-bytes"), ["large-inputs"]);
    let strings = suite().vectors.iter().filter(|v| features(v).contains("strings")).count();
    assert!(strings > 10, "{strings}");
    // a tag that names a feature adds it
    let mut v = suite().vector("ndarray-arrow-float64-2x3").unwrap().clone();
    v.raw["tags"] = serde_json::json!(["hostile", "strings"]);
    assert_eq!(features(&v).into_iter().collect::<Vec<_>>(), ["strings"]);
}

#[test]
fn one_direction_can_have_its_own_encodings() {
    // clause: harness.capabilities
    let mut h = harness("--encode-encodings json", ProcessOptions { validate_messages: true, ..ProcessOptions::default() });
    let cases = ["ndarray-arrow-float64-2x3", "ndarray-json-float64-2x3", "ndarray-encode-arrow-float64-2x3", "ndarray-encode-json-float64-2x3"];
    let r = run_cases(&mut h, &cases, RunOptions::default());
    let run_ids: Vec<&str> = r.records.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(run_ids, ["ndarray-encode-json-float64-2x3", "ndarray-arrow-float64-2x3", "ndarray-json-float64-2x3"]);
    assert_eq!(r.left_out.get("encoding arrow not supported").map(Vec::as_slice), Some(["ndarray-encode-arrow-float64-2x3".to_string()].as_slice()));
    assert!(r.conforms());
}

#[test]
fn the_capability_schema_takes_the_old_and_the_new_forms() {
    // clause: harness.capabilities
    // clause: harness.features
    let start = |caps: serde_json::Value| {
        let reply = serde_json::json!({"id": 1, "protocol": 1, "implementation": {"name": "x", "version": "1", "language": "js"}, "capabilities": caps});
        schemas().validate_fragment("harness/start", "#/$defs/response", &reply)
    };
    let old = serde_json::json!({"ndarray": {"directions": ["decode"], "encodings": ["arrow", "json"], "codecVersions": [1]}});
    assert!(start(old).is_ok());
    let new = serde_json::json!({"ndarray": {"directions": ["decode", "encode"], "encodings": ["arrow", "json"], "codecVersions": [0, 1],
        "encode": {"encodings": ["json"], "leftOut": ["datetimes"]}, "leftOut": ["float16", "large-inputs"]},
        "scipy.sparse": {"directions": ["decode"], "encodings": ["json"], "codecVersions": [1], "decode": {"encodings": ["json"]}}});
    assert!(start(new).is_ok());
    let unknown = serde_json::json!({"ndarray": {"directions": ["decode"], "encodings": ["json"], "codecVersions": [1], "leftOut": ["float8"]}});
    assert!(start(unknown).is_err());
    let arrow_sparse = serde_json::json!({"scipy.sparse": {"directions": ["encode"], "encodings": ["json"], "codecVersions": [1], "encode": {"encodings": ["arrow"]}}});
    assert!(start(arrow_sparse).is_err());
}

#[test]
fn noncanonical_answers_fail_as_their_own_verdict() {
    // clause: harness.noncanonical
    let mut h = harness(
        "--noncanonical-on ndarray-arrow-float64-2x3",
        ProcessOptions { validate_messages: true, ..ProcessOptions::default() },
    );
    let r = run_cases(&mut h, &["ndarray-arrow-float64-2x3", "ndarray-json-float64-2x3"], RunOptions::default());
    let rec = r.records.iter().find(|x| x.id == "ndarray-arrow-float64-2x3").unwrap();
    assert_eq!(rec.status, Status::Noncanonical, "{}", rec.actual);
    assert!(rec.actual.contains("not as a canonical value") && rec.actual.contains("raw words"), "{}", rec.actual);
    assert_eq!(rec.answered_kind, "noncanonical");
    assert_eq!(status(&r, "ndarray-json-float64-2x3"), Status::Pass);
    assert!(!r.conforms());
    let text = report::text(&r);
    assert!(text.contains("1 noncanonical") && !text.contains("errored"), "{text}");
    // on a vector that expects a rejection, too
    let mut h = harness("--noncanonical-on ndarray-invalid-*", ProcessOptions { validate_messages: true, ..ProcessOptions::default() });
    let r = run_cases(&mut h, &["ndarray-invalid-codec-version-2"], RunOptions::default());
    assert_eq!(r.records[0].status, Status::Noncanonical);
    assert!(r.records[0].expected.contains("rejection with E_CODEC_VERSION"), "{}", r.records[0].expected);
    assert!(!r.conforms());
    let junit = report::junit(&r);
    assert_eq!(junit.matches("<failure ").count(), 1);
}
