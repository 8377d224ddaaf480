//! Checking an implementation against the suite. The reference
//! implementation runs in-process through the same interface that process
//! harnesses will use.

use serde_json::Value as JsonValue;
use sciwire::schema::Schemas;
use sciwire::{Limits, Value};

use crate::suite::{Bytes, Encoding, Expect, Group, Input, Profile, Suite, Vector};

/// What an implementation answered for one case.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A decoded canonical value.
    Value(JsonValue),
    /// An encoder's output: an envelope's JSON text, a frame, or (in the
    /// flame profile) an FLM frame.
    Envelope(Vec<u8>),
    /// A rejection.
    Error {
        /// The error code.
        code: String,
        /// The message.
        message: String,
    },
    /// The implementation declined the case.
    Skipped(String),
    /// The implementation failed to answer properly.
    Errored(String),
}

/// Time and memory one case cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseStats {
    /// Wall-clock time from request to response.
    pub wall: std::time::Duration,
    /// Growth of the peak resident set during the case, where the OS tells.
    pub rss_growth_mib: Option<u64>,
}

/// Something that decodes and encodes envelopes.
pub trait Implementation {
    /// A name for reports.
    fn name(&self) -> String;
    /// The capabilities, as in the harness protocol's `start` response.
    fn capabilities(&self) -> JsonValue {
        serde_json::json!({"ndarray": {"directions": ["decode", "encode"], "encodings": ["arrow", "json"], "codecVersions": [0, 1]}})
    }
    /// Announces the next case and its wall-clock budget.
    fn set_case(&mut self, _id: &str, _timeout: std::time::Duration) {}
    /// What the last case cost, if measured.
    fn last_stats(&self) -> Option<CaseStats> {
        None
    }
    /// The implementation's own answer to the last case, in full, when it
    /// gave one: a harness's reply without its `id` (the error object with
    /// its `code`, `message`, `clause` and `path`, the value, or the
    /// `noncanonical` answer), the reference's `{"error": …}`.
    fn last_answer(&self) -> Option<JsonValue> {
        None
    }
    /// Decodes bytes to a canonical value or an error: by the default entry
    /// point (JSON text or a frame) when `profile` is `None`, else in that
    /// profile only ([harness.profiles]).
    fn decode(&mut self, input: &[u8], profile: Option<Profile>) -> Outcome;
    /// [`Implementation::decode`] of a vector's input, which a `concat`
    /// input builds first; a harness process is sent it in pieces instead.
    fn decode_input(&mut self, input: &Bytes, profile: Option<Profile>) -> Outcome {
        self.decode(&input.get(), profile)
    }
    /// Encodes a canonical value to an envelope (or a profile's frame, when
    /// the encoding is a profile's) or an error.
    fn encode(&mut self, value: &JsonValue, encoding: Encoding) -> Outcome;
}

/// The reference implementation, in-process, with the default limits.
#[derive(Debug, Default)]
pub struct Reference {
    /// The limits it decodes with.
    pub limits: Limits,
    last: Option<CaseStats>,
    answer: Option<JsonValue>,
}

impl Reference {
    fn timed<T>(&mut self, f: impl FnOnce(&Limits) -> T) -> T {
        let t = std::time::Instant::now();
        let out = f(&self.limits);
        self.last = Some(CaseStats { wall: t.elapsed(), rss_growth_mib: None });
        out
    }
}

/// Decodes with the reference, by the default entry point or in `profile`.
pub fn decode_in(input: &[u8], profile: Option<Profile>, limits: &Limits) -> sciwire::Result<Value> {
    match profile {
        None => sciwire::decode(input, limits),
        Some(Profile::Flame) => sciwire::flame::decode(input, limits),
    }
}

/// Encodes with the reference, in the encoding's profile.
pub fn encode_in(value: &Value, encoding: Encoding) -> sciwire::Result<Vec<u8>> {
    match encoding {
        Encoding::Envelope(e) => sciwire::encode(value, e),
        Encoding::Flame(e) => sciwire::flame::encode(value, e),
    }
}

fn error_outcome(e: &sciwire::Error) -> Outcome {
    Outcome::Error { code: e.code().as_str().to_string(), message: e.to_string() }
}

impl Implementation for Reference {
    fn name(&self) -> String {
        format!("sciwire reference {}", env!("CARGO_PKG_VERSION"))
    }
    fn capabilities(&self) -> JsonValue {
        sciwire::capabilities()
    }
    fn last_stats(&self) -> Option<CaseStats> {
        self.last
    }
    fn last_answer(&self) -> Option<JsonValue> {
        self.answer.clone()
    }
    fn decode(&mut self, input: &[u8], profile: Option<Profile>) -> Outcome {
        self.answer = None;
        match self.timed(|l| decode_in(input, profile, l)) {
            Ok(v) => Outcome::Value(v.to_canonical()),
            Err(e) => {
                self.answer = Some(serde_json::json!({"error": e.to_json()}));
                error_outcome(&e)
            }
        }
    }
    fn encode(&mut self, value: &JsonValue, encoding: Encoding) -> Outcome {
        self.answer = None;
        match self.timed(|_| Value::from_canonical(value).and_then(|v| encode_in(&v, encoding))) {
            Ok(bytes) => Outcome::Envelope(bytes),
            Err(e) => {
                self.answer = Some(serde_json::json!({"error": e.to_json()}));
                error_outcome(&e)
            }
        }
    }
}

/// The verdict on one case.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// As expected.
    Pass,
    /// Rejected as expected, but with another code.
    CodeMismatch {
        /// The expected code.
        expected: String,
        /// The code the implementation gave.
        actual: String,
    },
    /// Not as expected.
    Fail {
        /// What was expected.
        expected: String,
        /// What happened.
        actual: String,
    },
    /// Accepted, but answered with a value that is not the canonical value
    /// (a `noncanonical` answer, [harness.noncanonical]): a failure whatever
    /// the vector expects, reported apart from `errored`.
    Noncanonical {
        /// What was expected.
        expected: String,
        /// What the implementation gave, and its message.
        actual: String,
    },
    /// The implementation declined the case.
    Skipped(String),
    /// The implementation did not answer properly.
    Errored(String),
}

/// The `noncanonical` answer in `answer` ([harness.noncanonical]), for
/// people: the value given and the message.
pub fn noncanonical_answer(answer: Option<&JsonValue>) -> Option<String> {
    let a = answer?;
    if a.get("noncanonical") != Some(&JsonValue::Bool(true)) {
        return None;
    }
    let value = a.get("value").map_or_else(|| "no value".to_string(), |v| clip(&v.to_string(), 600));
    let message = a.get("message").and_then(JsonValue::as_str).unwrap_or("no message");
    Some(format!("accepted, but not as a canonical value: {value} ({message})"))
}

/// `s`, cut to about `max` characters for people.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    format!("{}… ({} bytes)", s.chars().take(max / 2).collect::<String>(), s.len())
}

/// What a vector expects, in a word for summaries: `value`, the code,
/// `roundtrip` or `bytes`.
pub fn expected_word(e: &Expect) -> String {
    match e {
        Expect::Value(_) => "value".into(),
        Expect::Error(c) => c.clone(),
        Expect::Roundtrip { bytes: None } => "roundtrip".into(),
        Expect::Roundtrip { bytes: Some(_) } => "exact bytes".into(),
    }
}

/// What an implementation answered, in a word for summaries: `value`, the
/// code, `envelope`, `noncanonical`, `skipped` or `errored`.
pub fn answered_word(o: &Outcome, answer: Option<&JsonValue>) -> String {
    if noncanonical_answer(answer).is_some() {
        return "noncanonical".into();
    }
    match o {
        Outcome::Value(_) => "value".into(),
        Outcome::Envelope(_) => "envelope".into(),
        Outcome::Error { code, .. } => code.clone(),
        Outcome::Skipped(_) => "skipped".into(),
        Outcome::Errored(_) => "errored".into(),
    }
}

/// The result of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The vector or group id.
    pub id: String,
    /// Its file, relative to the suite root.
    pub path: String,
    /// The verdict.
    pub verdict: Verdict,
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Value(v) => format!("value {v}"),
        Outcome::Envelope(b) => format!("envelope {}", shown(b)),
        Outcome::Error { code, message } => format!("rejected with {code}: {message}"),
        Outcome::Skipped(r) => format!("skipped: {r}"),
        Outcome::Errored(r) => format!("errored: {r}"),
    }
}

/// Checks one vector. Encoded envelopes are checked against the envelope
/// schema and decoded by the reference implementation; a profile's output
/// is decoded by the reference in that profile.
pub fn check_vector(imp: &mut dyn Implementation, v: &Vector, schemas: &Schemas) -> Verdict {
    check_vector_answer(imp, v, schemas).0
}

/// As [`check_vector`], with what the implementation answered.
pub fn check_vector_answer(imp: &mut dyn Implementation, v: &Vector, schemas: &Schemas) -> (Verdict, Outcome) {
    let outcome = match &v.input {
        Input::Decode(bytes) => imp.decode_input(bytes, v.profile),
        Input::Encode { value, encoding } => imp.encode(value, *encoding),
    };
    let verdict = match noncanonical_answer(imp.last_answer().as_ref()) {
        Some(actual) => Verdict::Noncanonical { expected: expectation(&v.expect), actual },
        None => judge(&outcome, v, schemas),
    };
    (verdict, outcome)
}

fn expectation(e: &Expect) -> String {
    match e {
        Expect::Value(want) => format!("value {want}"),
        Expect::Error(want) => format!("rejection with {want}"),
        Expect::Roundtrip { .. } => "an envelope".into(),
    }
}

fn judge(outcome: &Outcome, v: &Vector, schemas: &Schemas) -> Verdict {
    let fail = |expected: String, actual: &Outcome| Verdict::Fail { expected, actual: describe(actual) };
    match (outcome, &v.expect) {
        (Outcome::Skipped(r), _) => Verdict::Skipped(r.clone()),
        (Outcome::Errored(r), _) => Verdict::Errored(r.clone()),
        (Outcome::Value(got), Expect::Value(want)) if got == want => Verdict::Pass,
        (Outcome::Error { code, .. }, Expect::Error(want)) if code == want => Verdict::Pass,
        (Outcome::Error { code, .. }, Expect::Error(want)) => {
            Verdict::CodeMismatch { expected: want.clone(), actual: code.clone() }
        }
        (Outcome::Envelope(bytes), Expect::Roundtrip { bytes: want }) => {
            let Input::Encode { value, encoding } = &v.input else {
                return fail("an encode vector".into(), outcome);
            };
            let judged = match *encoding {
                Encoding::Flame(e) => check_flame_output(bytes, value).map_err(|why| Verdict::Fail {
                    expected: format!("an FLM frame (flame encoding {}) that decodes in the flame profile to {value}", e.as_str()),
                    actual: why,
                }),
                Encoding::Envelope(e) => {
                    let frame = e == sciwire::Encoding::Frame;
                    if frame != sciwire::frame::is_frame(bytes) {
                        let asked = if frame { "a frame" } else { "JSON text" };
                        Err(Verdict::Fail { expected: format!("{asked} for the {} encoding", e.as_str()), actual: shown(bytes) })
                    } else {
                        check_envelope(bytes, value, schemas).map_err(|why| Verdict::Fail {
                            expected: format!("an envelope that decodes to {value}"),
                            actual: why,
                        })
                    }
                }
            };
            if let Err(verdict) = judged {
                return verdict;
            }
            match want {
                Some(want) if want != bytes => Verdict::Fail {
                    expected: format!("exactly the bytes of expect.bytes: {}", shown(want)),
                    actual: format!("{}{}", shown(bytes), first_difference(want, bytes)),
                },
                _ => Verdict::Pass,
            }
        }
        (_, expect) => fail(expectation(expect), outcome),
    }
}

/// Bytes for people: JSON text as it is, a frame as its header and the
/// length of its buffers, an FLM frame as its tag and length, anything else
/// as its length.
pub fn shown(bytes: &[u8]) -> String {
    if let Some(flm) = shown_flm(bytes) {
        return flm;
    }
    if sciwire::frame::is_frame(bytes) {
        return match sciwire::frame::read(bytes, &Limits::default()) {
            Ok(view) => format!("frame of {} bytes, header {}", bytes.len(), view.header()),
            Err(e) => format!("{} bytes starting with c1, not a frame ({e})", bytes.len()),
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => format!("{} bytes, not UTF-8", bytes.len()),
    }
}

/// An FLM frame for people (`an FLM frame, tag 01, 208 bytes`); `None` for
/// what does not start with `FLM`.
pub fn shown_flm(bytes: &[u8]) -> Option<String> {
    shown_flm_head(bytes, bytes.len())
}

/// [`shown_flm`] of an input of `len` bytes that starts with `head`.
fn shown_flm_head(head: &[u8], len: usize) -> Option<String> {
    let rest = head.strip_prefix(&sciwire::flame::PREFIX)?;
    Some(match rest.first() {
        None => "the 3 bytes FLM, no tag".to_string(),
        Some(tag) => format!("an FLM frame, tag {tag:02x}, {len} bytes"),
    })
}

/// A flame profile input for people: an FLM frame as its tag and length,
/// anything else (a pickle stream, in flamepy's reading) as its length and
/// first bytes.
pub fn shown_in_flame(bytes: &[u8]) -> String {
    shown_in_flame_head(bytes, bytes.len())
}

/// [`shown_in_flame`] of an input of `len` bytes that starts with `head`
/// (its first 8 bytes are enough).
pub fn shown_in_flame_head(head: &[u8], len: usize) -> String {
    shown_flm_head(head, len).unwrap_or_else(|| {
        let first: String = head.iter().take(8).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
        let more = if len > 8 { " …" } else { "" };
        format!("{len} bytes without the FLM prefix: {first}{more}")
    })
}

/// An encoder's output in the flame profile must decode, with the reference
/// in that profile, to `value` ([flame.encode.tensor], [flame.encode.table],
/// [flame.encode.array]): neither a tensor's flatbuffer nor a stream's
/// messages have one spelling, so the output is judged by decoding it.
pub fn check_flame_output(bytes: &[u8], value: &JsonValue) -> Result<(), String> {
    match sciwire::flame::decode(bytes, &Limits::default()) {
        Ok(v) if v.to_canonical() == *value => Ok(()),
        Ok(v) => Err(format!("{} that decodes to {}", shown_in_flame(bytes), v.to_canonical())),
        Err(e) => Err(format!("the reference rejects {} in the flame profile: {e}", shown_in_flame(bytes))),
    }
}

/// Where two byte strings first differ, for a failure message.
fn first_difference(want: &[u8], got: &[u8]) -> String {
    match want.iter().zip(got).position(|(a, b)| a != b) {
        Some(i) => format!(" (differs at byte {i}: {:02x}, not {:02x})", got[i], want[i]),
        None => format!(" ({} bytes, not {})", got.len(), want.len()),
    }
}

/// An encoder's output must be schema-valid and decode (with the reference)
/// to `value`. A frame is not JSON text: its header must pass
/// `frame-header.schema.json`, and the frame must decode, which checks its
/// layout and its header's envelope.
pub fn check_envelope(bytes: &[u8], value: &JsonValue, schemas: &Schemas) -> Result<(), String> {
    if let Some(header) = crate::lint::frame_header(bytes) {
        let header = header.map_err(|e| format!("the frame's header cannot be read: {e}: {}", shown(bytes)))?;
        schemas
            .validate("frame-header", &header)
            .map_err(|errs| format!("the frame's header fails frame-header.schema.json: {}: {header}", errs.join("; ")))?;
        return match sciwire::decode(bytes, &Limits::default()) {
            Ok(v) if v.to_canonical() == *value => Ok(()),
            Ok(v) => Err(format!("the frame decodes to {}: {}", v.to_canonical(), shown(bytes))),
            Err(e) => Err(format!("the reference rejects the frame: {e}: {}", shown(bytes))),
        };
    }
    let text = String::from_utf8_lossy(bytes);
    let parsed: JsonValue = serde_json::from_slice(bytes).map_err(|e| format!("envelope is not JSON ({e}): {text}"))?;
    schemas
        .validate("envelope", &parsed)
        .map_err(|errs| format!("envelope fails envelope.schema.json: {}: {text}", errs.join("; ")))?;
    match sciwire::decode(bytes, &Limits::default()) {
        Ok(v) if v.to_canonical() == *value => Ok(()),
        Ok(v) => Err(format!("envelope decodes to {}: {text}", v.to_canonical())),
        Err(e) => Err(format!("the reference rejects the envelope: {e}: {text}")),
    }
}

/// Checks an equivalence group: every member decodes, each in its own
/// profile, to one value.
pub fn check_group(imp: &mut dyn Implementation, g: &Group, suite: &Suite) -> Verdict {
    let mut first: Option<(String, JsonValue)> = None;
    for id in &g.members {
        let Some(v) = suite.vector(id) else {
            return Verdict::Errored(format!("member {id} is not in the suite"));
        };
        let Input::Decode(bytes) = &v.input else {
            return Verdict::Errored(format!("member {id} is not a decode vector"));
        };
        let outcome = imp.decode_input(bytes, v.profile);
        if let Some(actual) = noncanonical_answer(imp.last_answer().as_ref()) {
            return Verdict::Noncanonical { expected: format!("{id} decodes to a value"), actual: format!("{id}: {actual}") };
        }
        match outcome {
            Outcome::Value(val) => match &first {
                None => first = Some((id.clone(), val)),
                Some((fid, fval)) if *fval != val => {
                    return Verdict::Fail {
                        expected: format!("{id} decodes like {fid}: {fval}"),
                        actual: format!("{id} decodes to {val}"),
                    };
                }
                Some(_) => {}
            },
            Outcome::Skipped(r) => return Verdict::Skipped(r),
            other => {
                return Verdict::Fail { expected: format!("{id} decodes to a value"), actual: describe(&other) };
            }
        }
    }
    Verdict::Pass
}
