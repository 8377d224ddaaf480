//! Throughput and peak memory of the ndarray envelope's decoders and
//! encoders (arrow, json, frame) on a float64 array, beside a copy of the
//! same bytes into a fresh `Vec`. A hand-written harness (`harness = false`):
//! no dependency beyond the crate itself.
//!
//! ```sh
//! cargo bench -p sciwire --bench envelopes                 # 1 KB, 1 MB, 64 MB
//! SCIWIRE_BENCH_256=1 cargo bench -p sciwire --bench envelopes   # and 180 MB, 256 MB
//! cargo bench -p sciwire --bench envelopes -- 1M arrow     # only cases whose name has every word
//! ```
//!
//! Time: the best of several runs (at least 0.3 s of repeats for the small
//! sizes, timed in batches of about a millisecond, whose figures are
//! envelopes per second too). GB/s are of payload
//! (the array's bytes), whatever the envelope's own size. Peak memory: each
//! case runs once more in a fresh child process (this binary, re-run with
//! `--child`), which builds its input, resets its high-water mark through
//! `/proc/self/clear_refs` and reads `VmHWM` from `/proc/self/status` after
//! the operation: the peak resident set while it ran, its input included,
//! as a multiple of the payload.

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use sciwire::{Dtype, Encoding, Limits, NdArray, Value};

/// Limits wide enough for the largest cases (the json envelope of 256 MB is ~610 MB of text).
fn limits() -> Limits {
    Limits { max_input_bytes: 2 << 30, max_decoded_bytes: 2 << 30, ..Limits::default() }
}

/// A float64 array of `bytes` bytes with varied values (xorshift), so that
/// the json envelope's numbers have realistic lengths (~18 digits).
fn array(bytes: usize) -> NdArray {
    let n = bytes / 8;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut data = Vec::with_capacity(n * 8);
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let v = (x >> 11) as f64 / (1u64 << 53) as f64 * 2000.0 - 1000.0;
        data.extend_from_slice(&v.to_le_bytes());
    }
    NdArray { dtype: Dtype::Float64, shape: vec![n as u64], data }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Copy,
    Decode(Encoding),
    Encode(Encoding),
    /// `frame::read` and a borrowed `&[f64]`: no payload copy.
    FrameView,
}

impl Op {
    fn name(self) -> String {
        match self {
            Op::Copy => "copy into a fresh Vec".into(),
            Op::Decode(e) => format!("decode {}", e.as_str()),
            Op::Encode(e) => format!("encode {}", e.as_str()),
            Op::FrameView => "frame view (frame::read)".into(),
        }
    }

    fn all() -> [Op; 8] {
        use Encoding::*;
        [Op::Copy, Op::Decode(Arrow), Op::Encode(Arrow), Op::Decode(Json), Op::Encode(Json), Op::Decode(Frame), Op::Encode(Frame), Op::FrameView]
    }
}

/// The input an operation reads: the value, or its envelope's bytes.
enum Input {
    Value(Value),
    Bytes(Vec<u8>),
}

fn prepare(op: Op, bytes: usize) -> Result<Input, String> {
    let a = array(bytes);
    Ok(match op {
        Op::Copy => Input::Bytes(a.data),
        Op::Encode(_) => Input::Value(Value::NdArray(a)),
        Op::Decode(e) => Input::Bytes(sciwire::encode(&Value::NdArray(a), e).map_err(|e| e.to_string())?),
        Op::FrameView => Input::Bytes(sciwire::encode(&Value::NdArray(a), Encoding::Frame).map_err(|e| e.to_string())?),
    })
}

/// Runs the operation once; the number of bytes it produced (kept from the optimiser).
fn run(op: Op, input: &Input, limits: &Limits) -> Result<usize, String> {
    Ok(match (op, input) {
        (Op::Copy, Input::Bytes(b)) => black_box(b.to_vec()).len(),
        (Op::Decode(_), Input::Bytes(b)) => match sciwire::decode(b, limits).map_err(|e| e.to_string())? {
            Value::NdArray(a) => black_box(a).data.len(),
            _ => return Err("not an ndarray".into()),
        },
        (Op::Encode(e), Input::Value(v)) => black_box(sciwire::encode(v, e).map_err(|e| e.to_string())?).len(),
        (Op::FrameView, Input::Bytes(b)) => {
            let view = sciwire::frame::read(b, limits).map_err(|e| e.to_string())?;
            let elements = view.buffer(0).and_then(|b| b.elements::<f64>()).ok_or("no float64 buffer")?;
            if matches!(elements, std::borrow::Cow::Owned(_)) {
                return Err("the view copied the payload".into());
            }
            black_box(elements).len() * 8
        }
        _ => return Err("input does not fit the operation".into()),
    })
}

fn status(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

/// In a child process: prepares the input, resets the high-water mark, runs
/// the operation once and prints `before peak` (bytes of resident memory).
fn child(op_index: usize, bytes: usize) -> Result<(), String> {
    let op = Op::all()[op_index];
    let input = prepare(op, bytes)?;
    let limits = limits();
    std::fs::write("/proc/self/clear_refs", "5").map_err(|e| format!("cannot reset VmHWM: {e}"))?;
    let before = status("VmRSS:").ok_or("no VmRSS")?;
    run(op, &input, &limits)?;
    let peak = status("VmHWM:").ok_or("no VmHWM")?;
    println!("{before} {peak}");
    Ok(())
}

fn peak_memory(op_index: usize, bytes: usize) -> Option<(u64, u64)> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe).args(["--child", &op_index.to_string(), &bytes.to_string()]).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut it = text.split_whitespace().map(|w| w.parse::<u64>().ok());
    Some((it.next()??, it.next()??))
}

fn label(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{}M", b >> 20),
        b => format!("{}K", b >> 10),
    }
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let n = |i: usize| args.get(i).and_then(|a| a.parse::<usize>().ok()).ok_or("usage: --child OP BYTES");
        return child(n(1)?, n(2)?);
    }
    // `cargo bench` passes `--bench`; other words filter the cases.
    let words: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with("--")).collect();
    let mut sizes = vec![1 << 10, 1 << 20, 64 << 20];
    if std::env::var_os("SCIWIRE_BENCH_256").is_some() {
        // The largest payload whose arrow envelope the encoders write
        // ([ndarray.encode.limits]: 256 MiB of text), then 256 MB, where
        // only the json envelope (whose floor passes) is measured.
        sizes.extend([180 << 20, 256 << 20]);
    }
    let limits = limits();
    println!("{:<5} {:<28} {:>9} {:>12} {:>12} {:>14} {:>8}", "size", "operation", "GB/s", "time/op", "ops/s", "peak RSS/pay", "vs copy");
    let wanted = |name: &str| words.iter().all(|w| name.contains(w));
    for &bytes in &sizes {
        if !Op::all().iter().any(|op| wanted(&format!("{} {}", label(bytes), op.name()))) {
            continue;
        }
        let mut copy_time = None;
        for (i, op) in Op::all().into_iter().enumerate() {
            let name = format!("{} {}", label(bytes), op.name());
            if !wanted(&name) && op != Op::Copy {
                continue;
            }
            // Past 256 MiB of text the encoders refuse ([ndarray.encode.limits]).
            let tried = prepare(op, bytes).and_then(|input| run(op, &input, &limits).map(|n| (input, n)));
            let (input, produced) = match tried {
                Ok(ok) => ok,
                Err(e) => {
                    println!("{:<5} {:<28} not measured: {e}", label(bytes), op.name());
                    continue;
                }
            };
            if matches!(op, Op::Decode(_)) && produced != bytes / 8 * 8 {
                return Err(format!("{name}: decoded {produced} bytes"));
            }
            let (min_runs, min_time) = if bytes >= 64 << 20 { (3, 0.0) } else { (5, 0.3) };
            // Small cases are timed in batches of about a millisecond, so
            // that reading the clock does not weigh in the figure.
            let once = Instant::now();
            run(op, &input, &limits)?;
            let batch = ((1e-3 / once.elapsed().as_secs_f64().max(1e-9)) as usize).clamp(1, 100_000);
            let (mut best, mut runs, start) = (f64::INFINITY, 0, Instant::now());
            while runs < min_runs || start.elapsed().as_secs_f64() < min_time {
                let t = Instant::now();
                for _ in 0..batch {
                    run(op, &input, &limits)?;
                }
                best = best.min(t.elapsed().as_secs_f64() / batch as f64);
                runs += 1;
            }
            drop(input);
            if op == Op::Copy {
                copy_time = Some(best);
            }
            let ratio = copy_time.map_or(String::new(), |c| format!("{:.2}x", best / c));
            let mem = if bytes >= 1 << 20 {
                match peak_memory(i, bytes) {
                    Some((_, peak)) => format!("{:.2}x", peak as f64 / bytes as f64),
                    None => "n/a".into(),
                }
            } else {
                String::new()
            };
            let time = if best < 1e-3 { format!("{:.2} µs", best * 1e6) } else { format!("{:.2} ms", best * 1e3) };
            println!(
                "{:<5} {:<28} {:>9.2} {:>12} {:>12.0} {:>14} {:>8}",
                label(bytes),
                op.name(),
                bytes as f64 / best / 1e9,
                time,
                1.0 / best,
                mem,
                ratio
            );
        }
    }
    println!("peak RSS/pay: the child process's peak resident set while the operation ran, input included, / payload bytes");
    Ok(())
}
