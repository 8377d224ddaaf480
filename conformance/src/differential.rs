//! Differential fuzzing across implementations, through the harness
//! protocol: mutated vector inputs go to two implementations, and every
//! disagreement (accept vs reject, different values, different codes) is
//! minimised and written as a candidate vector with its provenance.
//!
//! Frames (first byte `c1`) and, in the flame profile, FLM frames are also
//! mutated structurally ([`crate::structured`]): a header member changed
//! with the frame written anew around it reaches the envelope's checks, not
//! the layout's. Inputs of a profile go only to two implementations that
//! both declare it ([harness.profiles]), in that profile.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value as JsonValue, json};

use crate::check::{Implementation, Outcome};
use crate::suite::{Input, Profile, Suite};

/// A small deterministic generator (xorshift64*), so a run is reproducible from its seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "\"__tywrap__\"", "\"codecVersion\"", "\"encoding\"", "\"dtype\"", "\"shape\"", "\"data\"", "\"b64\"", "\"x-a\"",
    "\"ndarray\"", "\"arrow\"", "\"json\"", "\"float16\"", "\"int64\"", "\"uint8\"", "\"bool\"", "\"<U2\"", "null",
    "true", "false", "0", "-0", "1", "1.0", "1e400", "-1", "9007199254740993", "65504", "0.1", "[]", "{}", "[[]]", "\"\"",
    "\"\\u0000\"", "\"\\ud800\"", "[1,2]", ",", ":", "[", "]", "{", "}",
    // scipy.sparse, torch.tensor, sklearn.estimator
    "\"scipy.sparse\"", "\"format\"", "\"csr\"", "\"csc\"", "\"coo\"", "\"indices\"", "\"indptr\"", "\"row\"",
    "\"col\"", "[0,0]", "[0,1,1]", "\"torch.tensor\"", "\"value\"", "\"device\"", "\"cpu\"", "\"torch.float32\"",
    "\"sourceDtype\"", "\"torch.bfloat16\"", "\"sklearn.estimator\"", "\"className\"", "\"module\"",
    "\"version\"", "\"params\"", "{\"__tywrap__\":\"ndarray\"}",
    // dataframe, series
    "\"dataframe\"", "\"series\"", "\"name\"", "[{}]", "[{\"a\":1},{\"a\":2}]", "[{\"a\":1},{\"b\":2}]",
    "{\"a\":1.5,\"b\":null}", "\"1\"", "2.5", "[1,2.5]", "[null]", "[\"a\",null]",
];

/// One mutation of `input`, and what it was.
pub fn mutate(input: &[u8], rng: &mut Rng) -> (Vec<u8>, String) {
    let mut out = input.to_vec();
    let n = out.len().max(1);
    match rng.below(9) {
        0 if !out.is_empty() => {
            let i = rng.below(n);
            out[i] ^= 1 << rng.below(8);
            (out, format!("flip a bit of byte {i}"))
        }
        1 => {
            let i = rng.below(n + 1).min(out.len());
            out.truncate(i);
            (out, format!("truncate to {i} bytes"))
        }
        2 if !out.is_empty() => {
            let i = rng.below(n);
            let len = (rng.below(16) + 1).min(out.len() - i);
            out.drain(i..i + len);
            (out, format!("delete {len} bytes at {i}"))
        }
        3 | 4 => {
            // Replace a JSON token-sized span with a dictionary token.
            let t = TOKENS[rng.below(TOKENS.len())];
            let i = rng.below(n + 1).min(out.len());
            let len = rng.below(8).min(out.len() - i);
            out.splice(i..i + len, t.bytes());
            (out, format!("replace {len} bytes at {i} with {t}"))
        }
        5..=7 => mutate_payload(input, rng).unwrap_or_else(|| {
            let i = rng.below(n + 1).min(out.len());
            out.insert(i, rng.next_u64() as u8);
            (out, format!("insert a byte at {i}"))
        }),
        _ => {
            let i = rng.below(n + 1).min(out.len());
            let b = rng.next_u64() as u8;
            out.insert(i, b);
            (out, format!("insert byte {b:#04x} at {i}"))
        }
    }
}

/// One mutation of `input`, read in `profile`: a structured one half the
/// time for what can be taken apart (an FLM frame in the flame profile, a
/// frame otherwise), else [`mutate`]'s.
pub fn mutate_in(input: &[u8], profile: Option<Profile>, rng: &mut Rng) -> (Vec<u8>, String) {
    if rng.below(2) == 0 {
        let structured = match profile {
            Some(Profile::Flame) => crate::structured::mutate_flm(input, rng),
            None if sciwire::frame::is_frame(input) => crate::structured::mutate_frame(input, rng),
            None => None,
        };
        if let Some(m) = structured {
            return m;
        }
    }
    mutate(input, rng)
}

/// Mutates the bytes inside an envelope's `b64` payload and re-encodes them,
/// so the mutation reaches the Arrow reader instead of the base64 check.
fn mutate_payload(input: &[u8], rng: &mut Rng) -> Option<(Vec<u8>, String)> {
    let mut env: JsonValue = serde_json::from_slice(input).ok()?;
    let mut payload = STANDARD.decode(env.get("b64")?.as_str()?).ok()?;
    if payload.is_empty() {
        return None;
    }
    let i = rng.below(payload.len());
    let what = match rng.below(4) {
        0 => {
            payload[i] ^= 1 << rng.below(8);
            format!("flip a bit of payload byte {i}")
        }
        1 => {
            payload[i] = [0x00, 0xff, 0x7f, 0x80][rng.below(4)];
            format!("set payload byte {i} to an extreme")
        }
        2 => {
            payload.truncate(i);
            format!("truncate the payload to {i} bytes")
        }
        _ => {
            let word = (rng.next_u64() as u32).to_le_bytes();
            let end = (i + 4).min(payload.len());
            payload[i..end].copy_from_slice(&word[..end - i]);
            format!("write a random word at payload byte {i}")
        }
    };
    env["b64"] = json!(STANDARD.encode(payload));
    Some((env.to_string().into_bytes(), what))
}

/// What an outcome means for comparison: a value, a code, or something else.
fn verdict(o: &Outcome) -> Option<JsonValue> {
    match o {
        Outcome::Value(v) => Some(json!({"value": v})),
        Outcome::Error { code, .. } => Some(json!({"error": code})),
        _ => None,
    }
}

fn disagree(a: &mut dyn Implementation, b: &mut dyn Implementation, input: &[u8], profile: Option<Profile>) -> Option<(Outcome, Outcome)> {
    a.set_case("differential", std::time::Duration::from_secs(10));
    b.set_case("differential", std::time::Duration::from_secs(10));
    let (oa, ob) = (a.decode(input, profile), b.decode(input, profile));
    (verdict(&oa) != verdict(&ob)).then_some((oa, ob))
}

/// Shrinks `input` while the two implementations still disagree on it, read
/// in `profile` (at most `budget` decode pairs).
pub fn minimise(a: &mut dyn Implementation, b: &mut dyn Implementation, input: Vec<u8>, profile: Option<Profile>, budget: usize) -> Vec<u8> {
    let mut best = input;
    let mut tries = 0;
    let mut chunk = best.len() / 2;
    while chunk >= 1 && tries < budget {
        let mut i = 0;
        let mut shrunk = false;
        while i < best.len() && tries < budget {
            let end = (i + chunk).min(best.len());
            let candidate = [&best[..i], &best[end..]].concat();
            tries += 1;
            if disagree(a, b, &candidate, profile).is_some() {
                best = candidate;
                shrunk = true;
            } else {
                i += chunk;
            }
        }
        if !shrunk {
            chunk /= 2;
        }
    }
    best
}

/// A disagreement found.
#[derive(Debug)]
pub struct Finding {
    /// The candidate vector, ready to review and file.
    pub candidate: JsonValue,
}

fn describe(o: &Outcome) -> JsonValue {
    match o {
        Outcome::Value(v) => json!({"value": v}),
        Outcome::Error { code, message } => json!({"error": code, "message": message}),
        Outcome::Skipped(r) => json!({"skipped": r}),
        Outcome::Errored(r) => json!({"errored": r}),
        Outcome::Envelope(_) => json!({"unexpected": "an envelope"}),
    }
}

/// Whether an implementation declares decoding in `profile`.
pub fn decodes_in(imp: &dyn Implementation, profile: Profile) -> bool {
    let cap = imp.capabilities();
    cap.get(profile.as_str())
        .and_then(|c| c.get("directions"))
        .and_then(JsonValue::as_array)
        .is_some_and(|d| d.iter().any(|x| x == "decode"))
}

/// Runs `count` mutated inputs, seeded from the suite's decode vectors. A
/// profile's vectors seed only when both implementations decode in it;
/// then, now and again, an input is read in the other entry point (a frame
/// in the flame profile, an FLM frame by the default one), which must
/// refuse it ([flame.profile]).
pub fn run(a: &mut dyn Implementation, b: &mut dyn Implementation, suite: &Suite, count: usize, seed: u64) -> Vec<Finding> {
    let both = |p: Profile| decodes_in(a, p) && decodes_in(b, p);
    let flame = both(Profile::Flame);
    let seeds: Vec<_> = suite
        .vectors
        .iter()
        .filter(|v| v.profile.is_none_or(both))
        .filter_map(|v| match &v.input {
            Input::Decode(bytes) if bytes.len() <= 64 << 10 => Some((v.id.clone(), bytes.clone(), v.profile)),
            _ => None,
        })
        .collect();
    let mut rng = Rng::new(seed);
    let mut findings = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    if seeds.is_empty() {
        return findings;
    }
    for iteration in 0..count {
        let (seed_id, bytes, seed_profile) = &seeds[rng.below(seeds.len())];
        let mut profile = *seed_profile;
        let (mut input, mut how) = mutate_in(bytes, profile, &mut rng);
        if rng.below(3) == 0 {
            let (again, how2) = mutate_in(&input, profile, &mut rng);
            input = again;
            how = format!("{how}; then {how2}");
        }
        if flame && rng.below(40) == 0 {
            profile = if profile.is_some() { None } else { Some(Profile::Flame) };
            let entry = profile.map_or("the default entry point", |_| "the flame profile");
            how = format!("{how}; then read by {entry}");
        }
        let Some((oa, ob)) = disagree(a, b, &input, profile) else { continue };
        // One finding per pair of verdict kinds (and profile), to keep the report readable.
        let key = format!(
            "{:?}|{:?}|{profile:?}",
            verdict(&oa).map(|v| v.get("error").cloned()),
            verdict(&ob).map(|v| v.get("error").cloned())
        );
        if !seen.insert(key) {
            continue;
        }
        let small = minimise(a, b, input.clone(), profile, 300);
        let (oa, ob) = disagree(a, b, &small, profile).unwrap_or((oa, ob));
        let digest = crate::sha256::hex_digest(&small);
        let text = std::str::from_utf8(&small).ok().map(str::to_string);
        let input_json = match &text {
            Some(t) => json!({"text": t}),
            None => json!({"base64": STANDARD.encode(&small)}),
        };
        let mut candidate = json!({
            "id": format!("candidate-{}", &digest[..12]),
            "description": "TO REVIEW: two implementations disagree on this input",
            "input": input_json,
            "outcomes": {a.name(): describe(&oa), b.name(): describe(&ob)},
            "provenance": {"seed_vector": seed_id, "mutation": how, "rng_seed": seed, "iteration": iteration,
                           "minimised_from_bytes": input.len(), "minimised_to_bytes": small.len()},
        });
        if let Some(p) = profile {
            candidate["profile"] = json!(p.as_str());
        }
        findings.push(Finding { candidate });
    }
    findings
}
