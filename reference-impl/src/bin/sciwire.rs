//! `sciwire`: decode, encode and validate envelopes with the reference
//! implementation. `decode` reads JSON text and frames alike; `encode
//! --encoding frame` writes a frame's bytes to standard output as they are.
//! `--profile flame` reads and writes flamepy's FLM frames instead
//! (`spec/src/flame.md`).
//!
//! Exit status: 0 success; 1 the input was rejected (decode, encode) or is
//! invalid (validate); 2 usage or I/O error.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sciwire::schema::Schemas;
use sciwire::flame::FlameEncoding;
use sciwire::{Encoding, Limits, Value};

#[derive(Parser)]
#[command(name = "sciwire", version, about = "The sciwire reference implementation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode an envelope (JSON text or a frame), or with `--profile flame`
    /// an FLM frame; print its canonical value, or the error object (exit 1).
    Decode {
        /// Read the input in a profile instead: `flame`, flamepy's FLM frames.
        #[arg(long, value_parser = ["flame"])]
        profile: Option<String>,
        /// The envelope's bytes; `-` or nothing for standard input.
        file: Option<String>,
    },
    /// Encode a canonical value as an envelope; print the envelope's JSON
    /// text, or write the frame's bytes (binary, no newline) for `frame` and
    /// for the flame profile's encodings.
    Encode {
        /// Write in a profile instead: `flame`, flamepy's FLM frames (with
        /// `--encoding tensor`, `table`, `array` or `batch`).
        #[arg(long, value_parser = ["flame"])]
        profile: Option<String>,
        /// The encoding to write: for a tensor, that of its nested ndarray
        /// envelope; sparse matrices and estimators have json and frame;
        /// `tensor` (an ndarray), `table` or `batch` (a dataframe), `array`
        /// (a series named null) with `--profile flame`.
        #[arg(long, value_parser = ["arrow", "json", "frame", "tensor", "table", "array", "batch"])]
        encoding: String,
        /// The canonical value; `-` or nothing for standard input.
        file: Option<String>,
    },
    /// Speak the harness protocol (spec/src/harness.md) on stdin/stdout, for
    /// the conformance runner.
    Harness,
    /// Check a JSON document against one of the schemas in schemas/v1/.
    Validate {
        /// The schema: envelope, ndarray, scipy-sparse, torch-tensor, sklearn-estimator, canonical-value, error, vector, equivalence.
        #[arg(long, default_value = "envelope")]
        schema: String,
        /// The document; `-` or nothing for standard input.
        file: Option<String>,
    },
}

fn read_input(file: Option<&str>) -> Result<Vec<u8>, String> {
    match file {
        None | Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| format!("reading standard input: {e}"))?;
            Ok(buf)
        }
        Some(path) => std::fs::read(path).map_err(|e| format!("reading {path}: {e}")),
    }
}

fn print_line(v: &impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
}

/// A request, read without copying its `input`: a decode request's base64
/// reaches hundreds of megabytes (the limits vectors). Members other than
/// these (`case`) are ignored.
#[derive(serde::Deserialize)]
struct Request<'a> {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default, borrow)]
    cmd: Option<Text<'a>>,
    #[serde(default)]
    profile: Option<serde_json::Value>,
    #[serde(default, borrow)]
    input: Option<Text<'a>>,
    #[serde(default, borrow)]
    encoding: Option<Text<'a>>,
    #[serde(default)]
    value: Option<serde_json::Value>,
}

/// A member that should be a string: borrowed from the line when it has no
/// escapes; a decode input may also be a `concat` input's pieces
/// ([harness.inputs]); any other JSON value is kept to be refused by name.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Text<'a> {
    Str(#[serde(borrow)] std::borrow::Cow<'a, str>),
    Concat(Concat),
    Other(serde::de::IgnoredAny),
}

/// `{"concat": [{"text": S, "repeat": N}, …]}`: each text repeated N times.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Concat {
    concat: Vec<Piece>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Piece {
    text: String,
    repeat: u64,
}

impl Concat {
    /// The bytes: one allocation of their exact length (refused, not
    /// aborted on, when it cannot be had), each piece repeated by doubling
    /// copies rather than one copy a repeat (inputs reach 2^28 repeats).
    fn build(&self) -> Result<Vec<u8>, String> {
        let too_long = || "the concat input is longer than this process can hold".to_string();
        let len = self.concat.iter().try_fold(0u64, |sum, p| {
            (p.text.len() as u64).checked_mul(p.repeat).and_then(|n| sum.checked_add(n))
        });
        let len = len.and_then(|n| usize::try_from(n).ok()).ok_or_else(too_long)?;
        let mut out = Vec::new();
        out.try_reserve_exact(len).map_err(|_| too_long())?;
        for p in &self.concat {
            let start = out.len();
            let want = p.text.len() * p.repeat as usize;
            if want > 0 {
                out.extend_from_slice(p.text.as_bytes());
            }
            while out.len() - start < want {
                let have = out.len() - start;
                out.extend_from_within(start..start + have.min(want - have));
            }
        }
        Ok(out)
    }
}

impl Text<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(s) => Some(s),
            Text::Concat(_) | Text::Other(_) => None,
        }
    }
}

/// Where a request's `input` is: a string in the line itself, as the
/// range of its text, or one with escapes, unescaped.
enum InputAt {
    Line(std::ops::Range<usize>),
    Unescaped(String),
    /// A `concat` input, built (or why it could not be).
    Concat(Result<Vec<u8>, String>),
}

impl InputAt {
    fn of(input: Option<&Text<'_>>, line: &[u8]) -> Option<InputAt> {
        match input? {
            Text::Str(std::borrow::Cow::Borrowed(s)) => {
                let start = (s.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
                Some(InputAt::Line(start..start + s.len()))
            }
            Text::Str(std::borrow::Cow::Owned(s)) => Some(InputAt::Unescaped(s.clone())),
            Text::Concat(c) => Some(InputAt::Concat(c.build())),
            Text::Other(_) => None,
        }
    }
}

/// One protocol response for one request line. A decode request's base64
/// is decoded where it lies in `line` (the longest are 358 MB).
fn respond(line: &mut [u8]) -> Option<serde_json::Value> {
    use serde_json::json;
    let req: Request<'_> = match serde_json::from_slice(line) {
        Ok(r) => r,
        Err(e) => return Some(json!({"id": 0, "errored": true, "context": {"message": format!("request is not a JSON object of the protocol: {e}")}})),
    };
    let input = InputAt::of(req.input.as_ref(), line);
    let id = req.id.clone();
    let errored = |msg: String| json!({"id": id, "errored": true, "context": {"message": msg}});
    let outcome = |r: sciwire::Result<serde_json::Value>| match r {
        Ok(v) => v,
        Err(e) => json!({"id": id, "error": e.to_json()}),
    };
    match req.cmd.as_ref().and_then(Text::as_str) {
        Some("start") => Some(json!({
            "id": id,
            "protocol": 1,
            "implementation": {
                "name": "sciwire-reference",
                "version": env!("CARGO_PKG_VERSION"),
                "language": "rust",
                "homepage": env!("CARGO_PKG_REPOSITORY"),
            },
            "capabilities": sciwire::capabilities(),
            "inputs": ["concat"],
        })),
        Some(cmd @ ("decode" | "encode")) => {
            let profile = match &req.profile {
                None => None,
                Some(p) if p.as_str() == Some("flame") => Some(Profile::Flame),
                Some(p) => return Some(errored(format!("unknown profile {p}; this harness knows \"flame\""))),
            };
            if cmd == "decode" {
                // base64-simd's strict engine, both ways: the runner's
                // base64 is canonical, and inputs reach hundreds of MiB.
                drop(req);
                let mut unescaped: Vec<u8>;
                let text = match input {
                    Some(InputAt::Concat(Ok(bytes))) => {
                        return Some(outcome(decode(&bytes, profile).map(|v| json!({"id": id, "value": v.to_canonical()}))));
                    }
                    Some(InputAt::Concat(Err(e))) => return Some(errored(e)),
                    Some(InputAt::Line(at)) => &mut line[at],
                    Some(InputAt::Unescaped(s)) => {
                        unescaped = s.into_bytes();
                        &mut unescaped[..]
                    }
                    None => return Some(errored("decode needs input, a base64 string".into())),
                };
                let Ok(input) = base64_simd::STANDARD.decode_inplace(text) else {
                    return Some(errored("decode needs input, a base64 string".into()));
                };
                return Some(outcome(decode(input, profile).map(|v| json!({"id": id, "value": v.to_canonical()}))));
            }
            let encoding = req.encoding.as_ref().and_then(Text::as_str).unwrap_or_default();
            let Ok(target) = Target::parse(profile, encoding) else {
                return Some(errored(match profile {
                    None => "encode needs encoding: arrow, json or frame".into(),
                    Some(Profile::Flame) => "encode with profile flame needs encoding: tensor, table, array or batch".into(),
                }));
            };
            let value = req.value.unwrap_or_default();
            Some(outcome(
                Value::from_canonical(&value)
                    .and_then(|v| target.encode(&v))
                    .map(|bytes| json!({"id": id, "output": base64_simd::STANDARD.encode_to_string(bytes)})),
            ))
        }
        Some("stop") => None,
        other => Some(errored(format!("unknown command {other:?}"))),
    }
}

/// Decodes by the default entry point, or in a profile, with the default limits.
fn decode(input: &[u8], profile: Option<Profile>) -> sciwire::Result<Value> {
    match profile {
        None => sciwire::decode(input, &Limits::default()),
        Some(Profile::Flame) => sciwire::flame::decode(input, &Limits::default()),
    }
}

/// An input format other than the default: envelopes and sciwire frames.
#[derive(Clone, Copy)]
enum Profile {
    /// flamepy's FLM frames (`spec/src/flame.md`).
    Flame,
}

/// What an encoder is asked to write: an envelope encoding, or a profile's.
#[derive(Clone, Copy)]
enum Target {
    Envelope(Encoding),
    Flame(FlameEncoding),
}

impl Target {
    fn parse(profile: Option<Profile>, encoding: &str) -> Result<Target, String> {
        match profile {
            None => encoding.parse().map(Target::Envelope),
            Some(Profile::Flame) => encoding.parse().map(Target::Flame),
        }
    }

    fn encode(self, value: &Value) -> sciwire::Result<Vec<u8>> {
        match self {
            Target::Envelope(e) => sciwire::encode(value, e),
            Target::Flame(e) => sciwire::flame::encode(value, e),
        }
    }

    /// Whether the output is binary, written as it is.
    fn binary(self) -> bool {
        matches!(self, Target::Envelope(Encoding::Frame) | Target::Flame(_))
    }
}

fn profile(name: Option<&str>) -> Result<Option<Profile>, String> {
    match name {
        None => Ok(None),
        Some("flame") => Ok(Some(Profile::Flame)),
        Some(other) => Err(format!("unknown profile {other:?} (expected flame)")),
    }
}

fn harness() -> Result<bool, String> {
    use std::io::BufRead;
    let mut stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    // One buffer for every request line; no UTF-8 pass of its own (the JSON
    // parser checks what it reads).
    let mut line = Vec::new();
    loop {
        line.clear();
        if stdin.read_until(b'\n', &mut line).map_err(|e| format!("reading a request: {e}"))? == 0 {
            return Ok(true);
        }
        if line.trim_ascii().is_empty() {
            continue;
        }
        let Some(reply) = respond(&mut line) else { return Ok(true) };
        writeln!(out, "{reply}").and_then(|()| out.flush()).map_err(|e| format!("writing a response: {e}"))?;
    }
}

fn run(cli: Cli) -> Result<bool, String> {
    match cli.command {
        Command::Harness => harness(),
        Command::Decode { profile: p, file } => {
            let p = profile(p.as_deref())?;
            let input = read_input(file.as_deref())?;
            match decode(&input, p) {
                Ok(value) => {
                    print_line(&value.to_canonical());
                    Ok(true)
                }
                Err(e) => {
                    print_line(&e.to_json());
                    eprintln!("rejected: {e}");
                    Ok(false)
                }
            }
        }
        Command::Encode { profile: p, encoding, file } => {
            let target = Target::parse(profile(p.as_deref())?, &encoding)?;
            let input = read_input(file.as_deref())?;
            let canonical: serde_json::Value =
                serde_json::from_slice(&input).map_err(|e| format!("the canonical value is not JSON: {e}"))?;
            match Value::from_canonical(&canonical).and_then(|v| target.encode(&v)) {
                Ok(bytes) if target.binary() => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes).and_then(|()| out.flush()).map_err(|e| format!("writing the frame: {e}"))?;
                    Ok(true)
                }
                Ok(bytes) => {
                    print_line(&String::from_utf8_lossy(&bytes));
                    Ok(true)
                }
                Err(e) => {
                    print_line(&e.to_json());
                    eprintln!("refused: {e}");
                    Ok(false)
                }
            }
        }
        Command::Validate { schema, file } => {
            let input = read_input(file.as_deref())?;
            let doc: serde_json::Value =
                serde_json::from_slice(&input).map_err(|e| format!("the document is not JSON: {e}"))?;
            let schemas = Schemas::load()?;
            match schemas.validate(&schema, &doc) {
                Ok(()) => {
                    println!("valid against {schema}.schema.json");
                    Ok(true)
                }
                Err(errors) if errors.len() == 1 && errors[0].starts_with("no schema named") => {
                    Err(format!("{}; known: {}", errors[0], schemas.names().collect::<Vec<_>>().join(", ")))
                }
                Err(errors) => {
                    println!("invalid against {schema}.schema.json:");
                    for e in errors {
                        println!("  {e}");
                    }
                    Ok(false)
                }
            }
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("sciwire: {e}");
            ExitCode::from(2)
        }
    }
}
