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
use crate::suite::{Encoding, Profile};

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

/// A request as one line. A decode request's `input` is base64, which
/// needs no escaping, so it is written around rather than through the
/// serialiser: inputs reach hundreds of megabytes.
fn request_line(request: &mut JsonValue) -> Result<Vec<u8>, String> {
    let mut line = match request.as_object_mut().and_then(|m| m.remove("input")) {
        Some(JsonValue::String(input)) => {
            let text = serde_json::to_vec(&*request).map_err(|e| e.to_string());
            let line = text.map(|mut text| {
                text.pop(); // the closing brace
                text.reserve(input.len() + 16);
                if text.len() > 1 {
                    text.push(b',');
                }
                text.extend_from_slice(b"\"input\":\"");
                text.extend_from_slice(input.as_bytes());
                text.extend_from_slice(b"\"}");
                text
            });
            // Put it back: the request stays whole for whoever reads it next.
            if let Some(m) = request.as_object_mut() {
                m.insert("input".into(), JsonValue::String(input));
            }
            line?
        }
        other => {
            if let (Some(m), Some(i)) = (request.as_object_mut(), other) {
                m.insert("input".into(), i);
            }
            serde_json::to_vec(&*request).map_err(|e| e.to_string())?
        }
    };
    line.push(b'\n');
    Ok(line)
}

/// A decode request (without its id and case). `profile` is a member only
/// in a profile ([harness.profiles]): a harness that knows no profile never
/// sees it.
pub fn decode_request(input: &[u8], profile: Option<Profile>) -> JsonValue {
    let mut request = json!({"cmd": "decode", "input": base64_simd::STANDARD.encode_to_string(input)});
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
        let mut request = json!({"cmd": "start", "id": id, "protocol": 1});
        let reply = self
            .exchange(&mut request, self.options.start_timeout)
            .map_err(|e| format!("the harness did not start: {e}\n{}", self.stderr_tail()))?;
        self.check_message("harness/start", "#/$defs/response", &reply)
            .map_err(|e| format!("bad start response: {e}"))?;
        if reply.get("protocol") != Some(&json!(1)) {
            return Err(format!("the harness speaks protocol {}, not 1", reply.get("protocol").unwrap_or(&JsonValue::Null)));
        }
        self.identity = Identity {
            implementation: reply.get("implementation").cloned().unwrap_or_default(),
            capabilities: reply.get("capabilities").cloned().unwrap_or_default(),
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
    fn exchange(&mut self, request: &mut JsonValue, timeout: Duration) -> Result<JsonValue, String> {
        let r = self.running.as_mut().ok_or("the harness is not running")?;
        let line = request_line(request)?;
        if let Some(t) = &self.options.trace {
            t.line('>', &line);
        }
        r.stdin.write_all(&line).and_then(|()| r.stdin.flush()).map_err(|e| format!("writing the request: {e}"))?;
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
    fn case(&mut self, mut request: JsonValue, command: &str) -> Outcome {
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
        let reply = self.exchange(&mut request, self.timeout);
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
        self.case(decode_request(input, profile), "decode")
    }
    fn encode(&mut self, value: &JsonValue, encoding: Encoding) -> Outcome {
        self.case(encode_request(value, encoding), "encode")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_are_the_json_of_the_request() {
        for req in [
            json!({"cmd": "decode", "id": 3, "case": "a\"b", "input": "AAAA"}),
            json!({"cmd": "encode", "id": 4, "value": {"hex": ""}, "encoding": "json"}),
            json!({"cmd": "decode", "id": 5, "case": "f", "profile": "flame", "input": "RkxNAQ=="}),
        ] {
            let mut req = req;
            let line = request_line(&mut req).unwrap();
            assert_eq!(line.last(), Some(&b'\n'));
            let back: JsonValue = serde_json::from_slice(&line).unwrap();
            assert_eq!(back, req);
        }
    }

    #[test]
    fn only_profile_requests_carry_a_profile() {
        let plain = decode_request(b"{}", None);
        assert_eq!(plain, json!({"cmd": "decode", "input": "e30="}));
        let flame = decode_request(b"FLM\x01", Some(Profile::Flame));
        assert_eq!(flame, json!({"cmd": "decode", "input": "RkxNAQ==", "profile": "flame"}));
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
