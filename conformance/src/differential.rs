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
            // A stream tag's frame: half the time its messages rearranged.
            Some(Profile::Flame) if is_flm_stream(input) && rng.below(2) == 0 => mutate_flm_stream(input, rng),
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

/// Whether `input` is an FLM frame of a stream tag (`02` to `04`).
fn is_flm_stream(input: &[u8]) -> bool {
    matches!(input, [b'F', b'L', b'M', 2..=4, ..])
}

/// The messages of the Arrow IPC stream at `s`: each one's byte range
/// (continuation, size, metadata and body), up to the end-of-stream marker
/// or the first message that cannot be framed. A message's body length is
/// read from its flatbuffer (`Message.bodyLength`, field 3) by hand.
fn stream_messages(s: &[u8]) -> Vec<std::ops::Range<usize>> {
    let u32_at = |b: &[u8], at: usize| b.get(at..at.checked_add(4)?).map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]));
    let body_length = |meta: &[u8]| -> Option<usize> {
        let table = u32_at(meta, 0)? as usize;
        let vtable = usize::try_from(i64::try_from(table).ok()? - i64::from(u32_at(meta, table)? as i32)).ok()?;
        let vt_size = usize::from(u16::from_le_bytes(meta.get(vtable..vtable + 2)?.try_into().ok()?));
        if vt_size < 12 {
            return Some(0);
        }
        let voffset = usize::from(u16::from_le_bytes(meta.get(vtable + 10..vtable + 12)?.try_into().ok()?));
        if voffset == 0 {
            return Some(0);
        }
        let at = table.checked_add(voffset)?;
        usize::try_from(i64::from_le_bytes(meta.get(at..at + 8)?.try_into().ok()?)).ok()
    };
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(head) = s.get(pos..pos + 8) {
        let m = i32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let Ok(m) = usize::try_from(m) else { break };
        if head[..4] != [0xff; 4] || m == 0 {
            break;
        }
        let Some(body) = s.get(pos + 8..).and_then(|rest| rest.get(..m)).and_then(body_length) else { break };
        let Some(end) = (pos + 8 + m).checked_add(body).filter(|&e| e <= s.len()) else { break };
        out.push(pos..end);
        pos = end;
    }
    out
}

/// One mutation of the messages of a stream tag's frame ([flame.stream.message],
/// [flame.stream.batches]): a message dropped, repeated (a second record
/// batch, a dictionary replacement), moved after the next, the stream cut
/// at a message's end, its end-of-stream marker removed or followed by
/// bytes, or another stream tag. `None` when the frame has no message.
fn mutate_flm_stream(input: &[u8], rng: &mut Rng) -> Option<(Vec<u8>, String)> {
    let (head, stream) = input.split_at(4);
    let msgs = stream_messages(stream);
    if msgs.is_empty() {
        return None;
    }
    let k = rng.below(msgs.len());
    let m = msgs[k].clone();
    let end = msgs.last().map_or(0, |r| r.end);
    let mut s = stream.to_vec();
    let what = match rng.below(7) {
        0 => {
            s.drain(m.clone());
            format!("stream: message {k} of {} dropped", msgs.len())
        }
        1 => {
            let copy = stream[m.clone()].to_vec();
            s.splice(m.end..m.end, copy);
            format!("stream: message {k} of {} repeated", msgs.len())
        }
        2 if k + 1 < msgs.len() => {
            let next = msgs[k + 1].clone();
            let moved = [&stream[next.clone()], &stream[m.clone()]].concat();
            s.splice(m.start..next.end, moved);
            format!("stream: message {k} moved after message {}", k + 1)
        }
        3 => {
            s.truncate(m.end);
            format!("stream: cut after message {k} (no end-of-stream marker)")
        }
        4 => {
            s.extend_from_slice(&[[0xffu8; 4].as_slice(), &[0; 4]].concat());
            "stream: a second end-of-stream marker".to_string()
        }
        5 => {
            let copy = stream[m.clone()].to_vec();
            s.splice(end.min(s.len())..end.min(s.len()), copy);
            format!("stream: message {k} repeated after the last message")
        }
        _ => {
            let tags: Vec<u8> = [2u8, 3, 4].into_iter().filter(|&t| t != head[3]).collect();
            let tag = tags[rng.below(tags.len())];
            return Some(([&head[..3], &[tag], stream].concat(), format!("FLM: stream tag {:02x} -> {tag:02x}", head[3])));
        }
    };
    Some(([head, s.as_slice()].concat(), what))
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
            Input::Decode(bytes) if bytes.len() <= 64 << 10 => Some((v.id.clone(), bytes.get().into_owned(), v.profile)),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn table_frame() -> Vec<u8> {
        let value = sciwire::Value::from_canonical(&json!({"kind": "dataframe", "rows": 2,
            "columns": [{"name": "c", "type": {"id": "dictionary", "index": "int8", "ordered": false, "values": {"id": "string"}},
                         "values": ["0", "1"], "dictionary": ["u", "v"]}],
            "index": {"kind": "range", "name": null, "start": 0, "stop": 2, "step": 1}}))
        .unwrap();
        sciwire::flame::encode(&value, sciwire::flame::FlameEncoding::Table).unwrap()
    }

    #[test]
    fn stream_messages_frame_a_stream_tag_frame() {
        let frame = table_frame();
        let msgs = stream_messages(&frame[4..]);
        // schema, dictionary batch, record batch, then the end-of-stream marker
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].start, 0);
        assert!(msgs.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(msgs[2].end + 8, frame.len() - 4);
    }

    #[test]
    fn stream_mutations_change_the_frame_and_are_rejected_or_read() {
        let frame = table_frame();
        let mut rng = Rng::new(7);
        let mut kinds = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let (out, what) = mutate_flm_stream(&frame, &mut rng).unwrap();
            assert_ne!(out, frame, "{what}");
            kinds.insert(what.split(' ').take(3).collect::<Vec<_>>().join(" "));
            // the reference never panics on them
            let _ = sciwire::flame::decode(&out, &sciwire::Limits::default());
        }
        assert!(kinds.len() >= 6, "{kinds:?}");
        // a repeated record batch in a batch frame is a second batch
        let mut batch = frame.clone();
        batch[3] = 4;
        let msgs = stream_messages(&batch[4..]);
        let rb = msgs[2].clone();
        let two = [&batch[..4 + rb.end], &batch[4 + rb.start..]].concat();
        let err = sciwire::flame::decode(&two, &sciwire::Limits::default()).unwrap_err();
        assert_eq!(err.clause(), "flame.stream.batches");
    }
}
