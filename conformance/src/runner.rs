//! Running the suite against an implementation: selection by capabilities,
//! budgets, expected failures, and one record per case.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::Value as JsonValue;
use sciwire::schema::Schemas;

use crate::check::{Implementation, Verdict, answered_word, check_group, check_vector_answer, expected_word};
use crate::suite::{Expect, Input, Profile, Suite, Vector};
use crate::xfail::XfailList;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Run only cases whose id matches one of these globs (`*` wildcard); all when empty.
    pub cases: Vec<String>,
    /// A wrong error code fails the case.
    pub require_codes: bool,
    /// Wall-clock budget of a case without its own.
    pub default_wall: Duration,
    /// Memory budget (peak RSS growth, MiB) of a case without its own.
    pub default_rss_mib: u64,
    /// The expected failures.
    pub xfail: XfailList,
    /// Progress on standard error.
    pub progress: bool,
    /// The command that reruns one case, with `{id}` for its id.
    pub repro: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            cases: Vec::new(),
            require_codes: false,
            default_wall: Duration::from_secs(10),
            default_rss_mib: 512,
            xfail: XfailList::default(),
            progress: false,
            repro: "sciwire-conformance run --case {id}".into(),
        }
    }
}

/// The final state of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// As expected.
    Pass,
    /// Not as expected.
    Fail,
    /// Rejected with another code than expected.
    WrongCode,
    /// Declined by the implementation.
    Skipped,
    /// The implementation did not answer properly.
    Errored,
    /// Listed as an expected failure, and failed.
    XFail,
    /// Listed as an expected failure, but passed: the list is stale.
    XPass,
    /// Accepted, but answered with a value that is not canonical
    /// ([harness.noncanonical]): a failure.
    Noncanonical,
}

impl Status {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::WrongCode => "wrong-code",
            Status::Skipped => "skipped",
            Status::Errored => "errored",
            Status::XFail => "xfail",
            Status::XPass => "xpass",
            Status::Noncanonical => "noncanonical",
        }
    }
}

/// One case's record.
#[derive(Clone, Debug)]
pub struct Record {
    /// Vector or group id.
    pub id: String,
    /// File relative to the suite root.
    pub path: String,
    /// Description.
    pub description: String,
    /// Clauses the vector exercises.
    pub clauses: Vec<String>,
    /// Final status.
    pub status: Status,
    /// What was expected (for anything but a pass).
    pub expected: String,
    /// What happened (for anything but a pass).
    pub actual: String,
    /// The input, for people: text if short and UTF-8, else a summary.
    pub input: String,
    /// Wall-clock time of the case.
    pub wall: Option<Duration>,
    /// Peak RSS growth, MiB.
    pub rss_mib: Option<u64>,
    /// The expected-failure reason, for xfail/xpass.
    pub xfail_reason: Option<String>,
    /// The command that reruns the case alone.
    pub repro: String,
    /// The implementation's own answer, in full (long strings cut), for a
    /// case that did not pass.
    pub answer: Option<JsonValue>,
    /// The clause the implementation's error object cites, if any.
    pub answer_clause: Option<String>,
    /// Whether that clause is none of the vector's clauses.
    pub clause_differs: bool,
    /// What the vector expects, in a word: `value`, a code, `roundtrip`,
    /// `exact bytes` or `equivalence`.
    pub expected_kind: String,
    /// What the implementation answered, in a word: `value`, a code,
    /// `envelope`, `noncanonical`, `skipped`, `errored` (`-` for a pass or a group).
    pub answered_kind: String,
}

/// A whole run.
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// The implementation's name.
    pub implementation: String,
    /// Its capabilities.
    pub capabilities: JsonValue,
    /// Every case run.
    pub records: Vec<Record>,
    /// Cases left out, by reason.
    pub left_out: BTreeMap<String, Vec<String>>,
    /// Expected-failure patterns that matched no case run.
    pub unmatched_xfails: Vec<String>,
    /// How long the run took.
    pub elapsed: Duration,
    /// Whether a wrong code fails.
    pub require_codes: bool,
}

impl Run {
    /// Cases per status.
    pub fn counts(&self) -> BTreeMap<Status, usize> {
        let mut c = BTreeMap::new();
        for r in &self.records {
            *c.entry(r.status).or_insert(0) += 1;
        }
        c
    }

    /// Whether the implementation conforms: no fail, errored or xpass (nor,
    /// when codes are required, wrong code), and no stale expected failure.
    pub fn conforms(&self) -> bool {
        self.records.iter().all(|r| match r.status {
            Status::Pass | Status::Skipped | Status::XFail => true,
            Status::WrongCode => !self.require_codes,
            Status::Fail | Status::Errored | Status::XPass | Status::Noncanonical => false,
        }) && self.unmatched_xfails.is_empty()
    }
}

/// Glob match with `*` only.
pub fn glob(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((head, rest)) => {
            let Some(tail) = s.strip_prefix(head) else { return false };
            (0..=tail.len()).filter(|&i| tail.is_char_boundary(i)).any(|i| glob(rest, &tail[i..]))
        }
    }
}

/// The features a harness can leave out ([harness.features]), in the order
/// reports name them.
pub const FEATURES: &[&str] = &["float16", "datetimes", "strings", "bytes", "categoricals", "large-inputs"];

/// A decode input longer than this needs the `large-inputs` feature.
pub const LARGE_INPUT_BYTES: usize = 16 << 20;

fn dtype_features(dtype: &str, out: &mut BTreeSet<&'static str>) {
    let d = dtype.trim_start_matches("torch.");
    let bare = d.trim_start_matches(['<', '>', '|', '=']);
    if matches!(d, "float16" | "half" | "<f2" | ">f2" | "|f2" | "=f2" | "f2") {
        out.insert("float16");
    }
    if d.starts_with("datetime64") || d.starts_with("timedelta64") || bare.starts_with("M8") || bare.starts_with("m8") {
        out.insert("datetimes");
    }
    let sized = |c: char| bare.strip_prefix(c).is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
    if sized('U') {
        out.insert("strings");
    }
    if sized('S') {
        out.insert("bytes");
    }
}

fn type_features(t: &serde_json::Map<String, JsonValue>, out: &mut BTreeSet<&'static str>) {
    match t.get("id").and_then(JsonValue::as_str).unwrap_or_default() {
        "float16" | "halffloat" => out.insert("float16"),
        "timestamp" | "date32" | "date64" | "duration" | "time32" | "time64" => out.insert("datetimes"),
        "string" | "large_string" | "utf8" | "large_utf8" => out.insert("strings"),
        "binary" | "large_binary" | "fixed_size_binary" => out.insert("bytes"),
        "dictionary" => out.insert("categoricals"),
        _ => false,
    };
}

fn walk_features(v: &JsonValue, out: &mut BTreeSet<&'static str>) {
    match v {
        JsonValue::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("dtype", JsonValue::String(d)) => dtype_features(d, out),
                    ("type" | "values", JsonValue::Object(t)) => type_features(t, out),
                    _ => {}
                }
                walk_features(x, out);
            }
        }
        JsonValue::Array(a) => a.iter().for_each(|x| walk_features(x, out)),
        _ => {}
    }
}

/// The features a vector needs ([harness.features]): derived from the
/// dtypes (`dtype` members) and column types (`type` objects) named in its
/// input (a JSON input, or a frame's header), its value to encode and its
/// expected value, from the size of its decode input, and any of its `tags`
/// that names a feature.
pub fn features(v: &Vector) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    match &v.input {
        Input::Decode(bytes) => {
            if bytes.len() > LARGE_INPUT_BYTES {
                out.insert("large-inputs");
            } else {
                let bytes = bytes.get();
                if let Some(h) = frame_header(&bytes) {
                    walk_features(&JsonValue::Object(h), &mut out);
                } else if let Ok(j) = serde_json::from_slice::<JsonValue>(&bytes) {
                    walk_features(&j, &mut out);
                }
            }
        }
        Input::Encode { value, .. } => walk_features(value, &mut out),
    }
    if let Expect::Value(value) = &v.expect {
        walk_features(value, &mut out);
    }
    for tag in strings(&v.raw["tags"]) {
        if let Some(f) = FEATURES.iter().find(|f| **f == tag) {
            out.insert(f);
        }
    }
    out
}

/// The encodings a capability declares for `direction`
/// ([harness.capabilities]): its `decode` or `encode` member's `encodings`
/// when it has one, else its own.
fn encodings_for(cap: &JsonValue, direction: &str) -> Vec<String> {
    match cap.get(direction).and_then(|d| d.get("encodings")) {
        Some(list) => strings(list),
        None => strings(&cap["encodings"]),
    }
}

/// Whether the features `v` needs are all handled in `direction` of `cap`
/// ([harness.features]): none is in its `leftOut`, nor in its direction's.
fn features_covered(v: &Vector, cap: &JsonValue, direction: &str) -> Result<(), String> {
    let mut left: BTreeSet<String> = strings(&cap["leftOut"]).into_iter().collect();
    if let Some(d) = cap.get(direction) {
        left.extend(strings(&d["leftOut"]));
    }
    if left.is_empty() {
        return Ok(());
    }
    let needed = features(v);
    let out: Vec<&str> = FEATURES.iter().copied().filter(|f| needed.contains(f) && left.contains(*f)).collect();
    match out.as_slice() {
        [] => Ok(()),
        [one] => Err(format!("feature {one}")),
        many => Err(format!("features {}", many.join(", "))),
    }
}

fn strings(v: &JsonValue) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string).or_else(|| x.as_u64().map(|n| n.to_string()))).collect()).unwrap_or_default()
}

/// The header of what looks like a frame, read leniently (whatever its
/// layout): the runner classifies a frame input by it, valid or not.
fn frame_header(bytes: &[u8]) -> Option<serde_json::Map<String, JsonValue>> {
    let sig = sciwire::frame::SIGNATURE;
    if !bytes.starts_with(&sig) {
        return None;
    }
    let h = u32::from_le_bytes(bytes.get(12..16)?.try_into().ok()?) as usize;
    let header = bytes.get(16..16usize.checked_add(h)?.min(bytes.len()))?;
    match serde_json::from_slice(header) {
        Ok(JsonValue::Object(m)) => Some(m),
        _ => None,
    }
}

/// Whether a frame decode input is covered ([harness.capabilities]): it
/// needs the `frame` encoding, the decode direction and codec version 1 of
/// the marker its header names (when the header can be read and names one of
/// v1's markers; else of its folder's marker).
fn frame_covered(folder: &str, bytes: &[u8], caps: &JsonValue) -> Result<(), String> {
    const MARKERS: &[&str] = &["ndarray", "scipy.sparse", "torch.tensor", "sklearn.estimator", "dataframe", "series"];
    let named = frame_header(bytes).and_then(|m| m.get("__tywrap__").and_then(JsonValue::as_str).map(str::to_string));
    let marker = named.as_deref().filter(|m| MARKERS.contains(m)).unwrap_or(folder);
    let Some(cap) = caps.get(marker) else {
        return Err(format!("envelope {marker} not supported"));
    };
    let need = |list: &JsonValue, what: &str, kind: &str| {
        if strings(list).iter().any(|x| x == what) { Ok(()) } else { Err(format!("{kind} {what} not supported")) }
    };
    need(&cap["directions"], "decode", "direction")?;
    if !encodings_for(cap, "decode").iter().any(|e| e == "frame") {
        return Err("encoding frame not supported".into());
    }
    need(&cap["codecVersions"], "1", "codec version")
}

/// The flame encoding (tag) an FLM decode input needs ([harness.profiles]):
/// `FLM\x01` needs `tensor`, `FLM\x02` `table`, `FLM\x03` `array` and
/// `FLM\x04` `batch`; any other input (a pickle, `FLM\x00`, `FLM` alone, an
/// unknown tag) none, since every flame reader refuses it.
pub fn flame_tag_encoding(bytes: &[u8]) -> Option<&'static str> {
    match bytes.strip_prefix(&sciwire::flame::PREFIX)?.first()? {
        1 => Some("tensor"),
        2 => Some("table"),
        3 => Some("array"),
        4 => Some("batch"),
        _ => None,
    }
}

/// Whether a profile's case is covered ([harness.profiles]): the profile's
/// capability, with the direction, and the encoding an encode vector asks
/// for or a decode input's tag needs.
fn profile_covered(profile: Profile, input: &Input, caps: &JsonValue) -> Result<(), String> {
    let name = profile.as_str();
    let Some(cap) = caps.get(name) else {
        return Err(format!("profile {name} not supported"));
    };
    let need = |list: &JsonValue, what: &str, kind: &str| {
        if strings(list).iter().any(|x| x == what) { Ok(()) } else { Err(format!("profile {name}: {kind} {what} not supported")) }
    };
    match input {
        Input::Encode { encoding, .. } => {
            need(&cap["directions"], "encode", "direction")?;
            need(&JsonValue::from(encodings_for(cap, "encode")), encoding.as_str(), "encoding")
        }
        Input::Decode(bytes) => {
            need(&cap["directions"], "decode", "direction")?;
            match profile {
                Profile::Flame => flame_tag_encoding(&bytes.head(sciwire::flame::PREFIX.len() + 1))
                    .map_or(Ok(()), |e| need(&JsonValue::from(encodings_for(cap, "decode")), e, "encoding")),
            }
        }
    }
}

/// The capability that covers `v`: its profile's, the marker a frame
/// input's header names, or its folder's marker's.
fn capability_of<'a>(v: &Vector, caps: &'a JsonValue) -> Option<&'a JsonValue> {
    const MARKERS: &[&str] = &["ndarray", "scipy.sparse", "torch.tensor", "sklearn.estimator", "dataframe", "series"];
    if let Some(p) = v.profile {
        return caps.get(p.as_str());
    }
    let folder = v.path.split('/').next().unwrap_or_default();
    let marker = match &v.input {
        Input::Decode(bytes) if sciwire::frame::is_frame(&bytes.head(1)) => {
            let named = frame_header(&bytes.get()).and_then(|m| m.get("__tywrap__").and_then(JsonValue::as_str).map(str::to_string));
            named.filter(|m| MARKERS.contains(&m.as_str())).unwrap_or_else(|| folder.to_string())
        }
        _ => folder.to_string(),
    };
    caps.get(marker.as_str())
}

/// Whether the declared capabilities cover `v`; the reason when they do not.
pub fn covered(v: &Vector, caps: &JsonValue) -> Result<(), String> {
    covered_but_features(v, caps)?;
    let direction = if matches!(v.input, Input::Encode { .. }) { "encode" } else { "decode" };
    match capability_of(v, caps) {
        Some(cap) => features_covered(v, cap, direction),
        None => Ok(()),
    }
}

fn covered_but_features(v: &Vector, caps: &JsonValue) -> Result<(), String> {
    if let Some(profile) = v.profile {
        return profile_covered(profile, &v.input, caps);
    }
    let envelope = v.path.split('/').next().unwrap_or_default();
    if let Input::Decode(bytes) = &v.input
        && sciwire::frame::is_frame(&bytes.head(1))
    {
        return frame_covered(envelope, &bytes.get(), caps);
    }
    let Some(cap) = caps.get(envelope) else {
        return Err(format!("envelope {envelope} not supported"));
    };
    let direction = if matches!(v.input, Input::Encode { .. }) { "encode" } else { "decode" };
    let (directions, encodings, versions) =
        (strings(&cap["directions"]), encodings_for(cap, direction), strings(&cap["codecVersions"]));
    let need = |list: &[String], what: &str, kind: &str| {
        if list.iter().any(|x| x == what) { Ok(()) } else { Err(format!("{kind} {what} not supported")) }
    };
    match &v.input {
        Input::Encode { encoding, .. } => {
            need(&directions, "encode", "direction")?;
            need(&encodings, encoding.as_str(), "encoding")
        }
        Input::Decode(bytes) => {
            need(&directions, "decode", "direction")?;
            // An implementation that takes every encoding the input could
            // count as (json alone, for the envelopes that have only json)
            // and both codec versions takes every decode input: nothing to
            // classify (reading a limits vector's 64 MiB costs a second).
            let all = |list: &[String], of: &[&str]| of.iter().all(|x| list.iter().any(|l| l == x));
            let json_only = matches!(envelope, "scipy.sparse" | "sklearn.estimator");
            let possible: &[&str] = if json_only { &["json"] } else { &["arrow", "json"] };
            if all(&encodings, possible) && all(&versions, &["0", "1"]) {
                return Ok(());
            }
            // Classify by the input's own members when it parses at all.
            let Some(top) = Members::read(&bytes.get()) else { return Ok(()) };
            // The encoding that counts: a tensor's nested envelope's; json
            // for the envelopes that have only json (harness.capabilities).
            let encoding = match envelope {
                "torch.tensor" => top.value_encoding.as_deref(),
                _ if json_only => Some("json"),
                _ => top.encoding.as_deref(),
            };
            if let Some(e) = encoding
                && matches!(e, "arrow" | "json") {
                    need(&encodings, e, "encoding")?;
                }
            match top.codec_version {
                None => need(&versions, "0", "codec version")?,
                Some(Some(1.0)) => need(&versions, "1", "codec version")?,
                Some(_) => {}
            }
            Ok(())
        }
    }
}

/// The members of a decode input that decide which capability it needs:
/// its `encoding`, a tensor's nested `value.encoding`, and `codecVersion`
/// (absent, 1, or anything else). Read with serde's visitors, so that the
/// rest of the value (hundreds of MiB in the limits vectors) is scanned and
/// never built. A member given twice counts with its last value.
#[derive(Default)]
struct Members {
    encoding: Option<String>,
    value_encoding: Option<String>,
    codec_version: Option<Option<f64>>,
}

/// What a member's value was, as far as the classification cares.
enum Seen {
    Str(String),
    Num(f64),
    Object(Members),
    Other,
}

/// Reads any JSON value into [`Seen`]; an object's members into
/// [`Members`], recursively for `value`.
struct SeenVisitor;

impl<'de> serde::Deserialize<'de> for Seen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Seen, D::Error> {
        d.deserialize_any(SeenVisitor)
    }
}

impl<'de> serde::de::Visitor<'de> for SeenVisitor {
    type Value = Seen;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, s: &str) -> Result<Seen, E> {
        Ok(Seen::Str(s.to_string()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Seen, E> {
        Ok(Seen::Num(n))
    }
    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E>(self, n: u64) -> Result<Seen, E> {
        Ok(Seen::Num(n as f64))
    }
    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E>(self, n: i64) -> Result<Seen, E> {
        Ok(Seen::Num(n as f64))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Seen, E> {
        Ok(Seen::Other)
    }
    fn visit_unit<E>(self) -> Result<Seen, E> {
        Ok(Seen::Other)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Seen, A::Error> {
        while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Seen::Other)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Seen, A::Error> {
        let mut m = Members::default();
        while let Some(key) = a.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "encoding" => m.encoding = match a.next_value()? { Seen::Str(s) => Some(s), _ => None },
                "value" => m.value_encoding = match a.next_value()? { Seen::Object(n) => n.encoding, _ => None },
                "codecVersion" => m.codec_version = Some(match a.next_value()? { Seen::Num(n) => Some(n), _ => None }),
                _ => {
                    a.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Seen::Object(m))
    }
}

impl Members {
    /// `None` unless the input is one JSON object.
    fn read(bytes: &[u8]) -> Option<Members> {
        match serde_json::from_slice(bytes) {
            Ok(Seen::Object(m)) => Some(m),
            _ => None,
        }
    }
}

fn input_for_people(v: &Vector) -> String {
    match (&v.input, v.profile) {
        (Input::Decode(bytes), Some(Profile::Flame)) => {
            return format!("{}; see {}", crate::check::shown_in_flame_head(&bytes.head(8), bytes.len()), v.path);
        }
        (Input::Encode { value, encoding }, Some(p)) => return format!("encode in the {} profile as {}: {value}", p.as_str(), encoding.as_str()),
        _ => {}
    }
    match &v.input {
        Input::Encode { value, encoding } => format!("encode as {}: {value}", encoding.as_str()),
        Input::Decode(bytes) if sciwire::frame::is_frame(&bytes.head(1)) => {
            let header = frame_header(&bytes.get()).map_or_else(|| "unreadable".to_string(), |m| JsonValue::Object(m).to_string());
            let header = if header.len() > 600 { format!("{}…", header.chars().take(300).collect::<String>()) } else { header };
            format!("a frame of {} bytes, header {header}; see {}", bytes.len(), v.path)
        }
        // A `concat` input is UTF-8 (its pieces are JSON strings): only
        // the text shown is built.
        Input::Decode(bytes) => match bytes.as_whole() {
            Some(whole) => shown_text(std::str::from_utf8(whole), bytes.len(), &v.path),
            None => shown_text(Ok(utf8_head(&bytes.head(1200))), bytes.len(), &v.path),
        },
    }
}

/// A decode input's text (or its start, for a long one) for people.
fn shown_text(text: Result<&str, std::str::Utf8Error>, len: usize, path: &str) -> String {
    match text {
        Ok(t) if len <= 600 => t.to_string(),
        Ok(t) => format!("{}… ({len} bytes; see {path})", t.chars().take(300).collect::<String>()),
        Err(_) => format!("{len} bytes, not UTF-8; see {path}"),
    }
}

/// The longest whole-character prefix of UTF-8 text cut anywhere.
fn utf8_head(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}

fn budget(v: &Vector, key: &str) -> Option<u64> {
    v.raw.get("budget").and_then(|b| b.get(key)).and_then(JsonValue::as_u64)
}

/// Runs the suite.
pub fn run(imp: &mut dyn Implementation, suite: &Suite, schemas: &Schemas, opts: &RunOptions) -> Run {
    let started = Instant::now();
    let caps = imp.capabilities();
    let mut out = Run {
        implementation: imp.name(),
        capabilities: caps.clone(),
        require_codes: opts.require_codes,
        ..Run::default()
    };
    let selected = |id: &str| opts.cases.is_empty() || opts.cases.iter().any(|p| glob(p, id));
    let mut vectors = Vec::new();
    for v in suite.vectors.iter().filter(|v| selected(&v.id)) {
        match covered(v, &caps) {
            Ok(()) => vectors.push(v),
            Err(why) => out.left_out.entry(why).or_default().push(v.id.clone()),
        }
    }
    let mut groups = Vec::new();
    for g in suite.groups.iter().filter(|g| selected(&g.id)) {
        let uncovered = g.members.iter().find_map(|m| suite.vector(m).and_then(|v| covered(v, &caps).err()));
        match uncovered {
            None => groups.push(g),
            Some(why) => out.left_out.entry(why).or_default().push(g.id.clone()),
        }
    }
    let total = vectors.len() + groups.len();
    let mut done = 0usize;
    let tick = |done: usize, failures: usize| {
        if opts.progress && (done.is_multiple_of(25) || done == total) {
            eprint!("\r  {done}/{total} cases, {failures} not passing");
            if done == total {
                eprintln!();
            }
        }
    };
    let mut not_passing = 0;
    for v in vectors {
        let wall_budget = budget(v, "wall_ms").map_or(opts.default_wall, Duration::from_millis);
        imp.set_case(&v.id, wall_budget);
        let (mut verdict, outcome) = check_vector_answer(imp, v, schemas);
        let answer = imp.last_answer();
        let answered = answered_word(&outcome, answer.as_ref());
        let stats = imp.last_stats();
        if let Some(s) = stats {
            let rss_budget = budget(v, "rss_mb").unwrap_or(opts.default_rss_mib);
            if matches!(verdict, Verdict::Pass | Verdict::CodeMismatch { .. }) {
                if s.wall > wall_budget {
                    verdict = Verdict::Fail {
                        expected: format!("a verdict within {} ms", wall_budget.as_millis()),
                        actual: format!("the right verdict after {} ms", s.wall.as_millis()),
                    };
                } else if let Some(g) = s.rss_growth_mib.filter(|&g| g > rss_budget) {
                    verdict = Verdict::Fail {
                        expected: format!("a verdict within {rss_budget} MiB of memory"),
                        actual: format!("the right verdict after its peak resident set grew by {g} MiB"),
                    };
                }
            }
        }
        let case = Case {
            id: v.id.clone(),
            path: v.path.clone(),
            description: v.description.clone(),
            clauses: v.clauses.clone(),
            input: input_for_people(v),
            expected_kind: expected_word(&v.expect),
            answered_kind: answered,
            answer,
        };
        let rec = record(case, verdict, stats, opts);
        not_passing += usize::from(rec.status != Status::Pass);
        out.records.push(rec);
        done += 1;
        tick(done, not_passing);
    }
    for g in groups {
        imp.set_case(&g.id, opts.default_wall);
        let verdict = check_group(imp, g, suite);
        let case = Case {
            id: g.id.clone(),
            path: g.path.clone(),
            description: "equivalence group".into(),
            clauses: Vec::new(),
            input: format!("members {}", g.members.join(", ")),
            expected_kind: "equivalence".into(),
            answered_kind: "-".into(),
            answer: None,
        };
        let rec = record(case, verdict, None, opts);
        not_passing += usize::from(rec.status != Status::Pass);
        out.records.push(rec);
        done += 1;
        tick(done, not_passing);
    }
    if opts.cases.is_empty() {
        // Stale: a pattern that matches no case of the suite at all. One that
        // matches only cases the capabilities left out is not stale (one file
        // can serve a harness run in several modes).
        let ids: Vec<&str> = suite.vectors.iter().map(|v| v.id.as_str()).chain(suite.groups.iter().map(|g| g.id.as_str())).collect();
        out.unmatched_xfails = opts
            .xfail
            .entries
            .iter()
            .filter(|e| !ids.iter().any(|id| glob(&e.pattern, id)))
            .map(|e| e.pattern.clone())
            .collect();
    }
    out.elapsed = started.elapsed();
    out
}

/// A case as the runner knows it before its verdict.
struct Case {
    id: String,
    path: String,
    description: String,
    clauses: Vec<String>,
    input: String,
    expected_kind: String,
    answered_kind: String,
    answer: Option<JsonValue>,
}

/// `v` with every string longer than `max` bytes cut, for reports.
pub fn clip_json(v: &JsonValue, max: usize) -> JsonValue {
    match v {
        JsonValue::String(s) if s.len() > max => JsonValue::String(crate::check::clip(s, max)),
        JsonValue::Array(a) => JsonValue::Array(a.iter().map(|x| clip_json(x, max)).collect()),
        JsonValue::Object(m) => JsonValue::Object(m.iter().map(|(k, x)| (k.clone(), clip_json(x, max))).collect()),
        other => other.clone(),
    }
}

fn record(case: Case, verdict: Verdict, stats: Option<crate::check::CaseStats>, opts: &RunOptions) -> Record {
    let (mut status, expected, actual) = match verdict {
        Verdict::Pass => (Status::Pass, String::new(), String::new()),
        Verdict::CodeMismatch { expected, actual } => (Status::WrongCode, expected, actual),
        Verdict::Fail { expected, actual } => (Status::Fail, expected, actual),
        Verdict::Noncanonical { expected, actual } => (Status::Noncanonical, expected, actual),
        Verdict::Skipped(r) => (Status::Skipped, String::new(), r),
        Verdict::Errored(r) => (Status::Errored, String::new(), r),
    };
    let failing = match status {
        Status::Fail | Status::Errored | Status::Noncanonical => true,
        Status::WrongCode => opts.require_codes,
        _ => false,
    };
    let id = case.id;
    let xfail = opts.xfail.find(&id);
    if xfail.is_some() {
        if failing {
            status = Status::XFail;
        } else if status == Status::Pass {
            status = Status::XPass;
        }
    }
    let passed = matches!(status, Status::Pass | Status::XPass);
    let answer = if passed { None } else { case.answer.map(|a| clip_json(&a, 2000)) };
    let answer_clause = answer
        .as_ref()
        .and_then(|a| a.get("error"))
        .and_then(|e| e.get("clause"))
        .and_then(JsonValue::as_str)
        .map(str::to_string);
    // A vector may cite a row of a clause's table, `clause.id[row]`: the
    // harness names the clause.
    let cites = |c: &str| case.clauses.iter().any(|x| x == c || x.split_once('[').is_some_and(|(id, _)| id == c));
    let clause_differs = answer_clause.as_ref().is_some_and(|c| !case.clauses.is_empty() && !cites(c));
    Record {
        repro: opts.repro.replace("{id}", &id),
        id,
        path: case.path,
        description: case.description,
        clauses: case.clauses,
        status,
        expected,
        actual,
        input: case.input,
        wall: stats.map(|s| s.wall),
        rss_mib: stats.and_then(|s| s.rss_growth_mib),
        xfail_reason: xfail.map(|e| e.reason.clone()),
        answer,
        answer_clause,
        clause_differs,
        expected_kind: case.expected_kind,
        answered_kind: if passed { "-".into() } else { case.answered_kind },
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("a-*", "a-b"));
        assert!(glob("*-nan*", "ndarray-encode-json-refuse-float64-nan-0d"));
        assert!(glob("a", "a"));
        assert!(!glob("a", "ab"));
        assert!(!glob("a*c", "abd"));
        assert!(glob("*", ""));
    }
}
