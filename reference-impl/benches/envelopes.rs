//! Throughput and peak memory of every envelope's decoders and encoders, in
//! each encoding it has, and of the flame profile's, beside a copy of the
//! same bytes into a fresh `Vec`. The ndarray cases (a float64 array: arrow,
//! json, frame and the frame view) are named by their operation alone; the
//! others by their envelope first (`sparse decode json`, `dataframe encode
//! flame table`). A hand-written harness (`harness = false`): no dependency
//! beyond the crate itself.
//!
//! ```sh
//! cargo bench -p sciwire --bench envelopes                 # 1 KB, 1 MB, 64 MB
//! SCIWIRE_BENCH_256=1 cargo bench -p sciwire --bench envelopes   # and 180 MB, 256 MB
//! cargo bench -p sciwire --bench envelopes -- 1M arrow     # only cases whose name has every word
//! ```
//!
//! The payload of each value: an ndarray's element bytes (float64); a
//! sparse csr matrix's data (float64) and index arrays (8 bytes an index),
//! 16 entries a row; a series' float64 values; a dataframe's three columns
//! (float64, int64, float64) at 8 bytes a cell; a tensor's float32
//! elements; an estimator's float parameters at 8 bytes each (at most
//! `max_params_values`, so only the smallest size decodes).
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

use sciwire::flame::FlameEncoding;
use sciwire::{Cells, Column, ColumnType, DataFrame, Dtype, Encoding, Estimator, Index, Limits, NdArray, Series, Sparse, SparseFormat, Tensor, TypedJson, Value};

/// Limits wide enough for the largest cases (the json envelope of 256 MB is ~610 MB of text).
fn limits() -> Limits {
    Limits { max_input_bytes: 2 << 30, max_decoded_bytes: 2 << 30, ..Limits::default() }
}

/// `n` varied float64 values (xorshift), so that the json envelopes'
/// numbers have realistic lengths (~18 digits).
fn floats(n: usize) -> impl Iterator<Item = f64> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n).map(move |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64 * 2000.0 - 1000.0
    })
}

/// A float64 array of `bytes` bytes.
fn array(bytes: usize) -> NdArray {
    let n = bytes / 8;
    NdArray { dtype: Dtype::Float64, shape: vec![n as u64], data: floats(n).flat_map(f64::to_le_bytes).collect() }
}

fn float_column(name: Option<&str>, rows: usize) -> Column {
    Column { name: name.map(str::to_string), ty: ColumnType::Float(64), cells: Cells::Float(floats(rows).map(|v| Some(v.to_bits())).collect()), dictionary: None }
}

/// The envelopes, each with a value of a given payload.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Subject {
    NdArray,
    Sparse,
    Series,
    DataFrame,
    Tensor,
    Estimator,
}

impl Subject {
    fn name(self) -> &'static str {
        match self {
            Subject::NdArray => "ndarray",
            Subject::Sparse => "sparse",
            Subject::Series => "series",
            Subject::DataFrame => "dataframe",
            Subject::Tensor => "tensor",
            Subject::Estimator => "estimator",
        }
    }

    /// A value of about `bytes` bytes of payload.
    fn value(self, bytes: usize) -> Value {
        match self {
            Subject::NdArray => Value::NdArray(array(bytes)),
            Subject::Sparse => {
                let rows = (bytes / (16 * 16 + 8)).max(1);
                let nnz = rows * 16;
                let indices = (0..nnz as u64).map(|k| (k % 16) * 61 + k / 16 % 61).collect();
                let indptr = (0..=rows as u64).map(|r| r * 16).collect();
                let data = floats(nnz).flat_map(f64::to_le_bytes).collect();
                Value::Sparse(Sparse { dtype: Dtype::Float64, shape: [rows as u64, 1024], data, format: SparseFormat::Csr { indices, indptr } })
            }
            Subject::Series => Value::Series(Series { name: TypedJson::String("s".into()), column: float_column(None, bytes / 8) }),
            Subject::DataFrame => {
                let rows = bytes / 24;
                let ints = Column {
                    name: Some("b".into()),
                    ty: ColumnType::Int(sciwire::value::IntType { bits: 64, signed: true }),
                    cells: Cells::Int((0..rows as i64).map(|i| Some(i * 7 - 1000)).collect()),
                    dictionary: None,
                };
                let columns = vec![float_column(Some("a"), rows), ints, float_column(Some("c"), rows)];
                Value::DataFrame(DataFrame { rows: rows as u64, columns, index: Index::default_for(rows as u64) })
            }
            Subject::Tensor => {
                let n = bytes / 4;
                let data = floats(n).flat_map(|v| (v as f32).to_le_bytes()).collect();
                Value::Tensor(Tensor { array: NdArray { dtype: Dtype::Float32, shape: vec![n as u64], data }, from_bfloat16: false, source_device: None })
            }
            Subject::Estimator => Value::Estimator(Estimator {
                class_name: "LogisticRegression".into(),
                module: "sklearn.linear_model._logistic".into(),
                version: Some("1.9.1".into()),
                params: vec![("coef_init".into(), TypedJson::Array(floats(bytes / 8).map(TypedJson::Float).collect()))],
            }),
        }
    }
}

/// The payload bytes of a value (as [`Subject::value`] counts them).
fn payload(v: &Value) -> usize {
    let cells = |c: &Column| c.cells.len() as usize * 8;
    match v {
        Value::NdArray(a) => a.data.len(),
        Value::Sparse(s) => {
            let (a, b) = match &s.format {
                SparseFormat::Csr { indices, indptr } | SparseFormat::Csc { indices, indptr } => (indices.len(), indptr.len()),
                SparseFormat::Coo { row, col } => (row.len(), col.len()),
            };
            s.data.len() + 8 * (a + b)
        }
        Value::Series(s) => cells(&s.column),
        Value::DataFrame(d) => d.columns.iter().map(cells).sum(),
        Value::Tensor(t) => t.array.data.len(),
        Value::Estimator(e) => e.params.iter().map(|(_, p)| if let TypedJson::Array(a) = p { a.len() * 8 } else { 0 }).sum(),
        _ => 0,
    }
}

/// An envelope encoding, or one of the flame profile's.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Wire {
    Envelope(Encoding),
    Flame(FlameEncoding),
}

impl Wire {
    fn name(self) -> String {
        match self {
            Wire::Envelope(e) => e.as_str().to_string(),
            Wire::Flame(e) => format!("flame {}", e.as_str()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Copy,
    Decode(Subject, Wire),
    Encode(Subject, Wire),
    /// `frame::read` and a borrowed `&[f64]`: no payload copy.
    FrameView,
}

impl Op {
    fn name(self) -> String {
        let named = |s: Subject, what: &str, w: Wire| match s {
            Subject::NdArray => format!("{what} {}", w.name()),
            s => format!("{} {what} {}", s.name(), w.name()),
        };
        match self {
            Op::Copy => "copy into a fresh Vec".into(),
            Op::Decode(s, w) => named(s, "decode", w),
            Op::Encode(s, w) => named(s, "encode", w),
            Op::FrameView => "frame view (frame::read)".into(),
        }
    }

    fn all() -> Vec<Op> {
        use Encoding::{Arrow, Frame, Json};
        use FlameEncoding as F;
        let both = |s: Subject, w: Wire| [Op::Decode(s, w), Op::Encode(s, w)];
        let env = |e: Encoding| Wire::Envelope(e);
        let mut ops = vec![Op::Copy];
        for e in [Arrow, Json, Frame] {
            ops.extend(both(Subject::NdArray, env(e)));
        }
        ops.push(Op::FrameView);
        ops.extend(both(Subject::NdArray, Wire::Flame(F::Tensor)));
        for e in [Json, Frame] {
            ops.extend(both(Subject::Sparse, env(e)));
        }
        for s in [Subject::Series, Subject::DataFrame, Subject::Tensor] {
            for e in [Arrow, Json, Frame] {
                ops.extend(both(s, env(e)));
            }
        }
        ops.extend(both(Subject::Series, Wire::Flame(F::Array)));
        ops.extend(both(Subject::DataFrame, Wire::Flame(F::Table)));
        ops.extend(both(Subject::DataFrame, Wire::Flame(F::Batch)));
        ops.extend(both(Subject::Estimator, env(Json)));
        ops
    }
}

/// The input an operation reads: the value, or its envelope's bytes.
enum Input {
    Value(Value),
    Bytes(Vec<u8>),
}

fn encode(v: &Value, w: Wire) -> Result<Vec<u8>, String> {
    match w {
        Wire::Envelope(e) => sciwire::encode(v, e),
        Wire::Flame(e) => sciwire::flame::encode(v, e),
    }
    .map_err(|e| e.to_string())
}

fn prepare(op: Op, bytes: usize) -> Result<Input, String> {
    Ok(match op {
        Op::Copy => Input::Bytes(array(bytes).data),
        Op::Encode(s, _) => Input::Value(value_for(s, op, bytes)),
        Op::Decode(s, w) => Input::Bytes(encode(&value_for(s, op, bytes), w)?),
        Op::FrameView => Input::Bytes(encode(&Value::NdArray(array(bytes)), Wire::Envelope(Encoding::Frame))?),
    })
}

/// The value of `s`; a series written as `FLM\x03` (a `pyarrow.Array`) is
/// named null ([flame.encode.array]).
fn value_for(s: Subject, op: Op, bytes: usize) -> Value {
    let mut v = s.value(bytes);
    if let (Value::Series(series), Op::Decode(_, Wire::Flame(_)) | Op::Encode(_, Wire::Flame(_))) = (&mut v, op) {
        series.name = TypedJson::Null;
    }
    v
}

/// Runs the operation once; the payload bytes it produced (kept from the optimiser).
fn run(op: Op, input: &Input, limits: &Limits) -> Result<usize, String> {
    Ok(match (op, input) {
        (Op::Copy, Input::Bytes(b)) => black_box(b.to_vec()).len(),
        (Op::Decode(_, w), Input::Bytes(b)) => {
            let v = match w {
                Wire::Envelope(_) => sciwire::decode(b, limits),
                Wire::Flame(_) => sciwire::flame::decode(b, limits),
            };
            payload(&black_box(v.map_err(|e| e.to_string())?))
        }
        (Op::Encode(_, w), Input::Value(v)) => black_box(encode(v, w)?).len(),
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
    let op = *Op::all().get(op_index).ok_or("no such operation")?;
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
    println!(
        "{:<5} {:<34} {:>9} {:>12} {:>12} {:>14} {:>10} {:>8}",
        "size", "operation", "GB/s", "time/op", "ops/s", "peak RSS/pay", "grew/pay", "vs copy"
    );
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
                    println!("{:<5} {:<34} not measured: {e}", label(bytes), op.name());
                    continue;
                }
            };
            if let Op::Decode(s, _) = op
                && produced != payload(&value_for(s, op, bytes))
            {
                return Err(format!("{name}: decoded {produced} bytes of payload"));
            }
            // GB/s and memory are of the value's payload.
            let pay = match (op, &input) {
                (Op::Encode(..), Input::Value(v)) => payload(v),
                _ => produced,
            };
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
            let (mem, grew) = match peak_memory(i, bytes).filter(|_| bytes >= 1 << 20) {
                Some((before, peak)) => (
                    format!("{:.2}x", peak as f64 / pay as f64),
                    format!("{:.2}x", peak.saturating_sub(before) as f64 / pay as f64),
                ),
                None if bytes >= 1 << 20 => ("n/a".into(), "n/a".into()),
                None => (String::new(), String::new()),
            };
            let time = if best < 1e-3 { format!("{:.2} µs", best * 1e6) } else { format!("{:.2} ms", best * 1e3) };
            println!(
                "{:<5} {:<34} {:>9.2} {:>12} {:>12.0} {:>14} {:>10} {:>8}",
                label(bytes),
                op.name(),
                pay as f64 / best / 1e9,
                time,
                1.0 / best,
                mem,
                grew,
                ratio
            );
        }
    }
    println!("peak RSS/pay: the child process's peak resident set while the operation ran, input included, / payload bytes");
    println!("grew/pay: that peak less the resident set just before the operation (what it allocated and touched) / payload bytes;");
    println!("  unlike the peak, it leaves out what building the input left resident (the allocator keeps freed blocks under 32 MiB)");
    Ok(())
}
