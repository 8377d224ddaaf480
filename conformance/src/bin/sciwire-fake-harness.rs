//! A harness that misbehaves on purpose, for testing the runner (like
//! Bowtie's fauxmplementations). It answers with the in-process reference
//! implementation, except on cases whose id matches a fault's glob.
//!
//! Faults: `--crash-on`, `--hang-on`, `--garbage-on`, `--wrong-id-on`,
//! `--oversize-on`, `--extra-member-on`, `--skip-on`, `--error-on`,
//! `--sleep-ms-on GLOB=MS`, `--allocate-mb-on GLOB=MB`, `--wrong-code-on`,
//! `--clause-on GLOB=ID` (a rejection cites clause ID), `--noncanonical-on` (answers `noncanonical` with the value's hex as
//! words); `--protocol N`, `--encodings arrow,json`, `--encode-encodings
//! json` (the encode direction's own list), `--left-out float16,strings`
//! (features left out), `--flame tensor` (declares the flame profile with
//! these encodings), `--inputs concat` (takes `concat` inputs as their
//! pieces: [harness.inputs]), `--touch-on-exit PATH`. Its rejections carry the
//! reference's whole error object (code, message, clause, path).

use std::io::{BufRead, Write};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sciwire_conformance::check::{Implementation, Outcome, Reference};
use sciwire_conformance::runner::glob;
use sciwire_conformance::suite::{Bytes, Encoding, Profile};

#[derive(Default)]
struct Faults {
    pairs: Vec<(String, String)>,
}

impl Faults {
    fn on(&self, fault: &str, case: &str) -> Option<&str> {
        self.pairs.iter().find(|(f, g)| f == fault && glob(g.split('=').next().unwrap_or(""), case)).map(|(_, g)| g.as_str())
    }
    fn value(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(f, _)| f == name).map(|(_, v)| v.as_str())
    }
}

/// A decode request's bytes: its base64, or a `concat` input's pieces
/// built (sent only when the harness declared `--inputs concat`).
fn input_bytes(input: &Value) -> Result<Vec<u8>, String> {
    if let Some(text) = input.as_str() {
        return STANDARD.decode(text).map_err(|e| e.to_string());
    }
    let pieces = input["concat"].as_array().ok_or("input is neither base64 nor {\"concat\": [...]}")?;
    let pieces = pieces
        .iter()
        .map(|p| {
            let text = p["text"].as_str().ok_or("a piece without text")?;
            let repeat = p["repeat"].as_u64().and_then(|n| usize::try_from(n).ok()).ok_or("a piece without repeat")?;
            Ok((text.as_bytes().to_vec(), repeat))
        })
        .collect::<Result<Vec<_>, String>>()?;
    // Built as the runner builds a vector's concat input.
    Ok(Bytes::concat(pieces).ok_or("the concat input is longer than memory")?.get().into_owned())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let faults = Faults {
        pairs: args.chunks(2).filter_map(|c| Some((c.first()?.trim_start_matches('-').to_string(), c.get(1)?.clone()))).collect(),
    };
    let protocol: u64 = faults.value("protocol").and_then(|p| p.parse().ok()).unwrap_or(1);
    let encodings: Vec<&str> = faults.value("encodings").unwrap_or("arrow,json").split(',').collect();
    let mut capabilities = json!({"ndarray": {"directions": ["decode", "encode"], "encodings": encodings, "codecVersions": [0, 1]}});
    if let Some(e) = faults.value("encode-encodings") {
        capabilities["ndarray"]["encode"] = json!({"encodings": e.split(',').collect::<Vec<_>>()});
    }
    if let Some(f) = faults.value("left-out") {
        capabilities["ndarray"]["leftOut"] = json!(f.split(',').collect::<Vec<_>>());
    }
    if let Some(flame) = faults.value("flame") {
        let flame: Vec<&str> = flame.split(',').collect();
        capabilities["flame"] = json!({"directions": ["decode", "encode"], "encodings": flame});
    }
    let mut reference = Reference::default();
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut ballast: Vec<Vec<u8>> = Vec::new();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(req) = serde_json::from_str::<Value>(&line) else { continue };
        let id = req["id"].clone();
        let case = req["case"].as_str().unwrap_or_default().to_string();
        let cmd = req["cmd"].as_str().unwrap_or_default();
        if cmd == "stop" {
            break;
        }
        if cmd == "start" {
            let mut reply = json!({"id": id, "protocol": protocol,
                "implementation": {"name": "fake", "version": "0", "language": "rust"},
                "capabilities": capabilities});
            if let Some(forms) = faults.value("inputs") {
                reply["inputs"] = json!(forms.split(',').collect::<Vec<_>>());
            }
            let _ = writeln!(out, "{reply}");
            let _ = out.flush();
            continue;
        }
        if faults.on("crash-on", &case).is_some() {
            std::process::exit(3);
        }
        if faults.on("hang-on", &case).is_some() {
            std::thread::sleep(Duration::from_secs(3600));
        }
        if let Some(g) = faults.on("sleep-ms-on", &case) {
            let ms = g.split('=').nth(1).and_then(|m| m.parse().ok()).unwrap_or(0);
            std::thread::sleep(Duration::from_millis(ms));
        }
        if let Some(g) = faults.on("allocate-mb-on", &case) {
            let mb: usize = g.split('=').nth(1).and_then(|m| m.parse().ok()).unwrap_or(0);
            ballast.push(vec![1u8; mb << 20]);
        }
        let reply = if faults.on("garbage-on", &case).is_some() {
            "this is not json".to_string()
        } else if faults.on("oversize-on", &case).is_some() {
            format!("{{\"id\": {id}, \"errored\": true, \"context\": {{\"message\": \"{}\"}}}}", "x".repeat(1 << 20))
        } else if faults.on("skip-on", &case).is_some() {
            json!({"id": id, "skipped": true, "message": "not yet", "issue_url": "https://example.org/1"}).to_string()
        } else if faults.on("noncanonical-on", &case).is_some() {
            let bytes = input_bytes(&req["input"]).unwrap_or_default();
            let words = match reference.decode(&bytes, None) {
                Outcome::Value(v) => v["hex"].clone(),
                _ => Value::Null,
            };
            json!({"id": id, "noncanonical": true, "value": {"words": words}, "message": "decoded, but as raw words"}).to_string()
        } else if faults.on("error-on", &case).is_some() {
            json!({"id": id, "errored": true, "context": {"message": "boom", "traceback": "at fake"}}).to_string()
        } else {
            let profile = req.get("profile").map(|p| p.as_str().unwrap_or_default().parse::<Profile>()).transpose();
            let mut r = match (cmd, profile) {
                (_, Err(e)) => Outcome::Errored(e),
                ("decode", Ok(profile)) => match input_bytes(&req["input"]) {
                    Ok(bytes) => reference.decode(&bytes, profile),
                    Err(e) => Outcome::Errored(e),
                },
                ("encode", Ok(profile)) => match Encoding::parse(req["encoding"].as_str().unwrap_or_default(), profile) {
                    Ok(enc) => reference.encode(&req["value"], enc),
                    Err(e) => Outcome::Errored(e),
                },
                (other, _) => Outcome::Errored(format!("unknown command {other}")),
            };
            if let Outcome::Error { code, message } = &r
                && faults.on("wrong-code-on", &case).is_some() && code != "E_JSON_SYNTAX" {
                    r = Outcome::Error { code: "E_JSON_SYNTAX".into(), message: message.clone() };
                }
            let mut reply = match r {
                Outcome::Value(v) => json!({"id": id, "value": v}),
                Outcome::Envelope(b) => json!({"id": id, "output": STANDARD.encode(b)}),
                Outcome::Error { code, message } => {
                    let mut error = reference.last_answer().map(|a| a["error"].clone()).unwrap_or_else(|| json!({}));
                    error["code"] = json!(code);
                    error["message"] = json!(message);
                    if let Some(g) = faults.on("clause-on", &case) {
                        error["clause"] = json!(g.split('=').nth(1).unwrap_or_default());
                    }
                    json!({"id": id, "error": error})
                }
                Outcome::Skipped(m) => json!({"id": id, "skipped": true, "message": m}),
                Outcome::Errored(m) => json!({"id": id, "errored": true, "context": {"message": m}}),
            };
            if faults.on("wrong-id-on", &case).is_some() {
                reply["id"] = json!(999_999);
            }
            if faults.on("extra-member-on", &case).is_some() {
                reply["extra"] = json!(true);
            }
            reply.to_string()
        };
        let _ = writeln!(out, "{reply}");
        let _ = out.flush();
    }
    if let Some(path) = faults.value("touch-on-exit") {
        let _ = std::fs::write(path, "exited");
    }
}
