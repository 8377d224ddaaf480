//! A harness in a child process, spoken to with the protocol of
//! `spec/src/harness.md`. It survives crashes, hangs, malformed and oversized
//! replies: each costs the case it was on, and the harness is restarted.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value as JsonValue, json};
use sciwire::schema::Schemas;

use crate::check::{CaseStats, Implementation, Outcome};
use crate::suite::{Bytes, Encoding, Profile};

/// How the runner treats a process harness.
#[derive(Clone, Debug)]
pub struct ProcessOptions {
    /// Replies longer than this are protocol errors.
    pub max_reply_bytes: usize,
    /// The address-space limit of the harness process (`ulimit -v`), in MiB.
    pub memory_limit_mb: u64,
    /// How long `start` may take (interpreters and JITs start slowly).
    pub start_timeout: Duration,
    /// Check every message against `schemas/v1/harness/`.
    pub validate_messages: bool,
    /// Where every protocol line goes, both ways (`--trace`).
    pub trace: Option<Arc<Trace>>,
}

/// A trace of a harness session (`--trace FILE`): one line per protocol
/// line, `SECONDS DIR LINE`, where SECONDS is the time since the trace began,
/// DIR is `>` (runner to harness), `<` (harness to runner), `!` (a line of
/// the harness's standard error) or `#` (the runner's note: a start, a
/// kill, a line too long to keep), and LINE is the line as it was sent.
pub struct Trace {
    started: Instant,
    out: Mutex<std::io::BufWriter<std::fs::File>>,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trace")
    }
}

impl Trace {
    /// Creates (truncates) `path` and writes its first line.
    pub fn create(path: &std::path::Path) -> Result<Trace, String> {
        let file = std::fs::File::create(path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let t = Trace { started: Instant::now(), out: Mutex::new(std::io::BufWriter::new(file)) };
        t.note(&format!(
            "sciwire-conformance {} trace; began at unix time {}.{:03}; > to the harness, < from it, ! its stderr, # the runner",
            env!("CARGO_PKG_VERSION"),
            since.as_secs(),
            since.subsec_millis()
        ));
        Ok(t)
    }

    /// The trace, locked, with a line in direction `dir` begun: what is
    /// written to it up to its newline is that line.
    fn begin_line(&self, dir: char) -> Option<std::sync::MutexGuard<'_, std::io::BufWriter<std::fs::File>>> {
        let mut out = self.out.lock().ok()?;
        let _ = write!(out, "{:.6} {dir} ", self.started.elapsed().as_secs_f64());
        Some(out)
    }

    /// Writes one line in direction `dir`.
    pub fn line(&self, dir: char, bytes: &[u8]) {
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        if let Ok(mut out) = self.out.lock() {
            let stamp = format!("{:.6} {dir} ", self.started.elapsed().as_secs_f64());
            let _ = out.write_all(stamp.as_bytes()).and_then(|()| out.write_all(bytes)).and_then(|()| out.write_all(b"\n"));
            let _ = out.flush();
        }
    }

    /// Writes a note of the runner's.
    pub fn note(&self, text: &str) {
        self.line('#', text.as_bytes());
    }
}

impl Default for ProcessOptions {
    fn default() -> Self {
        ProcessOptions {
            max_reply_bytes: 1 << 30,
            memory_limit_mb: 4096,
            start_timeout: Duration::from_secs(60),
            validate_messages: false,
            trace: None,
        }
    }
}

/// What the harness said of itself in `start`.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    /// `implementation` from the start response.
    pub implementation: JsonValue,
    /// `capabilities` from the start response.
    pub capabilities: JsonValue,
    /// Whether it takes a `concat` input in its vector's form
    /// (`"inputs": ["concat"]`, [harness.inputs]) rather than as base64.
    pub concat_inputs: bool,
}

enum Line {
    Text(String),
    TooLong(usize),
    Eof,
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Line>,
}

/// A harness process.
pub struct ProcessHarness {
    command: String,
    options: ProcessOptions,
    schemas: Option<Arc<Schemas>>,
    running: Option<Running>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    identity: Identity,
    next_id: u64,
    case: String,
    timeout: Duration,
    stats: Option<CaseStats>,
    answer: Option<JsonValue>,
    /// How many times the harness was (re)started.
    pub starts: u32,
}

fn read_lines(out: impl Read, max: usize, tx: std::sync::mpsc::Sender<Line>, trace: Option<Arc<Trace>>) {
    let mut r = BufReader::new(out);
    loop {
        let mut buf = Vec::new();
        // A read error ends the harness's output, like end of file.
        let n = (&mut r).take(max as u64 + 1).read_until(b'\n', &mut buf).unwrap_or_default();
        if n == 0 {
            let _ = tx.send(Line::Eof);
            return;
        }
        if buf.len() > max {
            if let Some(t) = &trace {
                t.note(&format!("a line of over {max} bytes from the harness, not kept"));
            }
            let _ = tx.send(Line::TooLong(buf.len()));
            // Skip the rest of this line.
            let mut rest = Vec::new();
            let _ = r.read_until(b'\n', &mut rest);
            continue;
        }
        if let Some(t) = &trace {
            t.line('<', &buf);
        }
        let text = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_string();
        if tx.send(Line::Text(text)).is_err() {
            return;
        }
    }
}

/// A decode request's bytes: a slice, or a vector's input, which a
/// `concat` input builds a piece at a time; or a `concat` input sent as its
/// pieces ([harness.inputs]).
#[derive(Clone, Copy)]
enum Payload<'a> {
    Slice(&'a [u8]),
    Input(&'a Bytes),
    Pieces(&'a JsonValue),
}

/// Bytes of input base64-encoded at a time into the request: a multiple of
/// 3, so that only the last piece can end in padding.
const REQUEST_CHUNK: usize = 3 << 16;

/// Writes a request as one line: its members, then a decode request's
/// `input` as base64, encoded a piece at a time straight into `out`
/// (base64 needs no escaping). Inputs reach 256 MiB: neither their bytes
/// nor their base64 are held whole.
fn write_request(out: &mut dyn Write, request: &JsonValue, input: Option<Payload<'_>>) -> std::io::Result<()> {
    let mut head = serde_json::to_vec(request)?;
    let Some(input) = input else {
        head.push(b'\n');
        return out.write_all(&head);
    };
    head.pop(); // the closing brace
    if head.len() > 1 {
        head.push(b',');
    }
    if let Payload::Pieces(concat) = input {
        head.extend_from_slice(b"\"input\":");
        serde_json::to_writer(&mut head, concat)?;
        head.extend_from_slice(b"}\n");
        return out.write_all(&head);
    }
    head.extend_from_slice(b"\"input\":\"");
    out.write_all(&head)?;
    let mut text = vec![0; base64_simd::STANDARD.encoded_length(REQUEST_CHUNK)];
    let mut piece = |chunk: &[u8]| out.write_all(base64_simd::STANDARD.encode(chunk, base64_simd::Out::from_slice(&mut text)));
    match input {
        Payload::Slice(bytes) => bytes.chunks(REQUEST_CHUNK).try_for_each(piece)?,
        Payload::Input(bytes) => bytes.for_each_chunk(REQUEST_CHUNK, &mut piece)?,
        Payload::Pieces(_) => {}
    }
    out.write_all(b"\"}\n")
}

/// A decode request (without its id, case and input, which is written
/// after the rest). `profile` is a member only in a profile
/// ([harness.profiles]): a harness that knows no profile never sees it.
pub fn decode_request(profile: Option<Profile>) -> JsonValue {
    let mut request = json!({"cmd": "decode"});
    if let Some(p) = profile {
        request["profile"] = json!(p.as_str());
    }
    request
}

/// An encode request (without its id and case), with `profile` only when
/// the encoding is a profile's.
pub fn encode_request(value: &JsonValue, encoding: Encoding) -> JsonValue {
    let mut request = json!({"cmd": "encode", "value": value, "encoding": encoding.as_str()});
    if let Some(p) = encoding.profile() {
        request["profile"] = json!(p.as_str());
    }
    request
}

/// Peak resident set of `pid` in KiB (Linux), after resetting it if asked.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn reset_peak_rss(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

impl ProcessHarness {
    /// Starts the harness and performs the `start` handshake.
    pub fn start(command: &str, options: ProcessOptions, schemas: Option<Arc<Schemas>>) -> Result<ProcessHarness, String> {
        let mut h = ProcessHarness {
            command: command.to_string(),
            options,
            schemas,
            running: None,
            stderr_tail: Arc::new(Mutex::new(VecDeque::new())),
            identity: Identity::default(),
            next_id: 0,
            case: String::new(),
            timeout: Duration::from_secs(10),
            stats: None,
            answer: None,
            starts: 0,
        };
        h.spawn()?;
        Ok(h)
    }

    /// What the harness said of itself.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The last lines the harness wrote to standard error.
    pub fn stderr_tail(&self) -> String {
        self.stderr_tail.lock().map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n")).unwrap_or_default()
    }

    fn spawn(&mut self) -> Result<(), String> {
        self.kill();
        self.starts += 1;
        let script = format!("ulimit -v {} 2>/dev/null; exec {}", self.options.memory_limit_mb * 1024, self.command);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {:?}: {e}", self.command))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = channel();
        let max = self.options.max_reply_bytes;
        if let Some(t) = &self.options.trace {
            t.note(&format!("started the harness (pid {}): sh -c {script:?}", child.id()));
        }
        let trace = self.options.trace.clone();
        std::thread::spawn(move || read_lines(stdout, max, tx, trace));
        let tail = self.stderr_tail.clone();
        let trace = self.options.trace.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if let Some(t) = &trace {
                    t.line('!', line.as_bytes());
                }
                if let Ok(mut t) = tail.lock() {
                    t.push_back(line);
                    while t.len() > 40 {
                        t.pop_front();
                    }
                }
            }
        });
        self.running = Some(Running { child, stdin, lines: rx });
        let id = self.fresh_id();
        let request = json!({"cmd": "start", "id": id, "protocol": 1});
        let reply = self
            .exchange(&request, None, self.options.start_timeout)
            .map_err(|e| format!("the harness did not start: {e}\n{}", self.stderr_tail()))?;
        self.check_message("harness/start", "#/$defs/response", &reply)
            .map_err(|e| format!("bad start response: {e}"))?;
        if reply.get("protocol") != Some(&json!(1)) {
            return Err(format!("the harness speaks protocol {}, not 1", reply.get("protocol").unwrap_or(&JsonValue::Null)));
        }
        self.identity = Identity {
            implementation: reply.get("implementation").cloned().unwrap_or_default(),
            capabilities: reply.get("capabilities").cloned().unwrap_or_default(),
            concat_inputs: reply
                .get("inputs")
                .and_then(JsonValue::as_array)
                .is_some_and(|forms| forms.iter().any(|f| f == "concat")),
        };
        Ok(())
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn kill(&mut self) {
        if let Some(mut r) = self.running.take() {
            if let Some(t) = &self.options.trace {
                t.note(&format!("killed the harness (pid {})", r.child.id()));
            }
            let _ = r.child.kill();
            let _ = r.child.wait();
        }
    }

    fn check_message(&self, schema: &str, pointer: &str, message: &JsonValue) -> Result<(), String> {
        match &self.schemas {
            Some(s) => s.validate_fragment(schema, pointer, message).map_err(|e| e.join("; ")),
            None => Ok(()),
        }
    }

    /// Sends one request and waits for its response.
    fn exchange(&mut self, request: &JsonValue, input: Option<Payload<'_>>, timeout: Duration) -> Result<JsonValue, String> {
        let r = self.running.as_mut().ok_or("the harness is not running")?;
        // Into the trace first, whole: the harness's standard error is
        // traced by another thread, which must not wait on the trace while
        // a long request waits on the harness.
        if let Some(mut t) = self.options.trace.as_ref().and_then(|t| t.begin_line('>')) {
            let _ = write_request(&mut *t, request, input).and_then(|()| t.flush());
        }
        write_request(&mut r.stdin, request, input)
            .and_then(|()| r.stdin.flush())
            .map_err(|e| format!("writing the request: {e}"))?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match r.lines.recv_timeout(left) {
                Ok(Line::Text(t)) if t.trim().is_empty() => continue,
                Ok(Line::Text(t)) => return parse_reply(&t, &request["id"]),
                Ok(Line::TooLong(n)) => return Err(format!("the reply is over {} bytes ({n} read)", self.options.max_reply_bytes)),
                Ok(Line::Eof) | Err(RecvTimeoutError::Disconnected) => {
                    let status = r.child.wait().map(|s| s.to_string()).unwrap_or_default();
                    return Err(format!("the harness exited ({status})"));
                }
                Err(RecvTimeoutError::Timeout) => return Err(format!("timed out after {} ms", timeout.as_millis())),
            }
        }
    }

    /// One case: a request, its reply as an outcome, and the harness
    /// restarted if it misbehaved.
    fn case(&mut self, mut request: JsonValue, input: Option<Payload<'_>>, command: &str) -> Outcome {
        if self.running.is_none()
            && let Err(e) = self.spawn() {
                return Outcome::Errored(format!("cannot restart the harness: {e}"));
            }
        self.answer = None;
        let id = self.fresh_id();
        request["id"] = json!(id);
        request["case"] = json!(self.case);
        let pid = self.running.as_ref().map(|r| r.child.id());
        let before = pid.and_then(|p| {
            reset_peak_rss(p);
            peak_rss_kib(p)
        });
        let started = Instant::now();
        let reply = self.exchange(&request, input, self.timeout);
        let elapsed = started.elapsed();
        let after = pid.and_then(peak_rss_kib);
        self.stats = Some(CaseStats {
            wall: elapsed,
            rss_growth_mib: before.zip(after).map(|(b, a)| a.saturating_sub(b) / 1024),
        });
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                let tail = self.stderr_tail();
                self.kill();
                return Outcome::Errored(if tail.is_empty() { e } else { format!("{e}\nstderr:\n{tail}") });
            }
        };
        if let Err(e) = self.check_message(&format!("harness/{command}"), "#/$defs/response", &reply) {
            self.kill();
            return Outcome::Errored(format!("the reply does not match the protocol: {e}"));
        }
        let outcome = outcome_of(&reply);
        let mut answer = reply;
        if let Some(m) = answer.as_object_mut() {
            m.remove("id");
        }
        self.answer = Some(answer);
        outcome
    }

    /// Sends `stop` and waits briefly for the harness to exit.
    pub fn stop(&mut self) {
        if let Some(mut r) = self.running.take() {
            let id = self.next_id + 1;
            let stop = json!({"cmd": "stop", "id": id}).to_string();
            if let Some(t) = &self.options.trace {
                t.line('>', stop.as_bytes());
            }
            let _ = writeln!(r.stdin, "{stop}");
            drop(r.stdin);
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = r.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = r.child.kill();
            let _ = r.child.wait();
        }
    }
}

impl Drop for ProcessHarness {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Parses one reply line to a request with id `id`: it must be JSON and
/// carry the same id.
pub fn parse_reply(line: &str, id: &JsonValue) -> Result<JsonValue, String> {
    let v: JsonValue = serde_json::from_str(line).map_err(|e| {
        let shown: String = line.chars().take(200).collect();
        format!("the reply is not JSON ({e}): {shown}")
    })?;
    if v.get("id") != Some(id) {
        return Err(format!("the reply has id {}, not {id}", v.get("id").unwrap_or(&JsonValue::Null)));
    }
    Ok(v)
}

/// Reads a decode or encode reply. A `noncanonical` answer
/// ([harness.noncanonical]) is no verdict on the input: it reads as
/// `Errored` here, and the checks tell it apart by the answer itself
/// ([`Implementation::last_answer`]).
pub fn outcome_of(reply: &JsonValue) -> Outcome {
    if reply.get("noncanonical") == Some(&json!(true)) {
        let msg = reply.get("message").and_then(JsonValue::as_str).unwrap_or("no message");
        return Outcome::Errored(format!("the harness accepted the input, but not as a canonical value: {msg}"));
    }
    if let Some(v) = reply.get("value") {
        return Outcome::Value(v.clone());
    }
    if let Some(o) = reply.get("output").and_then(JsonValue::as_str) {
        return match STANDARD.decode(o) {
            Ok(bytes) => Outcome::Envelope(bytes),
            Err(e) => Outcome::Errored(format!("output is not base64: {e}")),
        };
    }
    if let Some(e) = reply.get("error") {
        return Outcome::Error {
            code: e.get("code").and_then(JsonValue::as_str).unwrap_or_default().to_string(),
            message: e.get("message").and_then(JsonValue::as_str).unwrap_or_default().to_string(),
        };
    }
    if reply.get("skipped") == Some(&json!(true)) {
        let mut why = reply.get("message").and_then(JsonValue::as_str).unwrap_or("no reason given").to_string();
        if let Some(url) = reply.get("issue_url").and_then(JsonValue::as_str) {
            why = format!("{why} ({url})");
        }
        return Outcome::Skipped(why);
    }
    if reply.get("errored") == Some(&json!(true)) {
        let ctx = reply.get("context").cloned().unwrap_or_default();
        let msg = ctx.get("message").and_then(JsonValue::as_str).unwrap_or("no message");
        let tb = ctx.get("traceback").and_then(JsonValue::as_str).unwrap_or_default();
        return Outcome::Errored(format!("the harness reports an error: {msg}\n{tb}").trim_end().to_string());
    }
    Outcome::Errored(format!("the reply has none of value, output, error, skipped, errored: {reply}"))
}

impl Implementation for ProcessHarness {
    fn name(&self) -> String {
        let i = &self.identity.implementation;
        let s = |k: &str| i.get(k).and_then(JsonValue::as_str).unwrap_or("?").to_string();
        format!("{} {} ({})", s("name"), s("version"), s("language"))
    }
    fn capabilities(&self) -> JsonValue {
        self.identity.capabilities.clone()
    }
    fn set_case(&mut self, id: &str, timeout: Duration) {
        self.case = id.to_string();
        self.timeout = timeout;
        self.stats = None;
        self.answer = None;
    }
    fn last_stats(&self) -> Option<CaseStats> {
        self.stats
    }
    fn last_answer(&self) -> Option<JsonValue> {
        self.answer.clone()
    }
    fn decode(&mut self, input: &[u8], profile: Option<Profile>) -> Outcome {
        self.case(decode_request(profile), Some(Payload::Slice(input)), "decode")
    }
    fn decode_input(&mut self, input: &Bytes, profile: Option<Profile>) -> Outcome {
        match input.as_concat().filter(|_| self.identity.concat_inputs) {
            Some(concat) => self.case(decode_request(profile), Some(Payload::Pieces(&concat)), "decode"),
            None => self.case(decode_request(profile), Some(Payload::Input(input)), "decode"),
        }
    }
    fn encode(&mut self, value: &JsonValue, encoding: Encoding) -> Outcome {
        self.case(encode_request(value, encoding), None, "encode")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn line_of(request: &JsonValue, input: Option<Payload<'_>>) -> Vec<u8> {
        let mut line = Vec::new();
        write_request(&mut line, request, input).unwrap();
        line
    }

    #[test]
    fn request_lines_are_the_json_of_the_request() {
        let long: Vec<u8> = (0..REQUEST_CHUNK * 2 + 7).map(|i| (i * 7 % 251) as u8).collect();
        let concat = Bytes::concat(vec![(b"FLM\x01".to_vec(), 1), (b"ab\xffc".to_vec(), REQUEST_CHUNK / 2 + 1)]).unwrap();
        for (req, input) in [
            (json!({"cmd": "decode", "id": 3, "case": "a\"b"}), Some(&b""[..])),
            (json!({"cmd": "decode", "id": 3, "case": "a\"b"}), Some(&b"{}"[..])),
            (json!({"cmd": "decode", "id": 5, "case": "f", "profile": "flame"}), Some(&long[..])),
            (json!({"cmd": "encode", "id": 4, "value": {"hex": ""}, "encoding": "json"}), None),
            (json!({}), Some(&b"\x00\x01\x02\x03"[..])),
        ] {
            let line = line_of(&req, input.map(Payload::Slice));
            assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
            assert_eq!(line.last(), Some(&b'\n'));
            let mut want = req.clone();
            if let Some(i) = input {
                want["input"] = json!(STANDARD.encode(i));
            }
            let back: JsonValue = serde_json::from_slice(&line).unwrap();
            assert_eq!(back, want);
            if let Some(i) = input {
                // A slice and the same bytes as a vector's input are one line.
                assert_eq!(line_of(&req, Some(Payload::Input(&Bytes::from(i.to_vec())))), line);
            }
        }
        let req = json!({"cmd": "decode", "id": 9});
        let line = line_of(&req, Some(Payload::Input(&concat)));
        let back: JsonValue = serde_json::from_slice(&line).unwrap();
        assert_eq!(back, json!({"cmd": "decode", "id": 9, "input": STANDARD.encode(concat.get())}));
        // [harness.inputs]: the pieces themselves, to a harness that takes them.
        let text = Bytes::concat(vec![(b"[\"\xc3\xa9\",".to_vec(), 1), (b"0,".to_vec(), 1 << 20), (b"0]".to_vec(), 1)]).unwrap();
        let pieces = text.as_concat().unwrap();
        let line = line_of(&req, Some(Payload::Pieces(&pieces)));
        assert!(line.len() < 200, "{}", String::from_utf8_lossy(&line));
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        let back: JsonValue = serde_json::from_slice(&line).unwrap();
        assert_eq!(back, json!({"cmd": "decode", "id": 9, "input": {"concat": [
            {"text": "[\"é\",", "repeat": 1}, {"text": "0,", "repeat": 1 << 20}, {"text": "0]", "repeat": 1}]}}));
    }

    #[test]
    fn only_profile_requests_carry_a_profile() {
        assert_eq!(decode_request(None), json!({"cmd": "decode"}));
        assert_eq!(decode_request(Some(Profile::Flame)), json!({"cmd": "decode", "profile": "flame"}));
        let value = json!({"kind": "ndarray", "dtype": "int8", "shape": [1], "hex": "07"});
        let json_req = encode_request(&value, sciwire::Encoding::Json.into());
        assert_eq!(json_req.get("profile"), None);
        assert_eq!(json_req["encoding"], "json");
        let tensor = encode_request(&value, sciwire::flame::FlameEncoding::Tensor.into());
        assert_eq!(tensor["profile"], "flame");
        assert_eq!(tensor["encoding"], "tensor");
        for e in [sciwire::flame::FlameEncoding::Table, sciwire::flame::FlameEncoding::Array, sciwire::flame::FlameEncoding::Batch] {
            let req = encode_request(&value, e.into());
            assert_eq!((req["profile"].as_str(), req["encoding"].as_str()), (Some("flame"), Some(e.as_str())));
        }
    }
}
