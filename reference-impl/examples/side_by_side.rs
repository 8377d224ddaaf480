//! The reference's half of `scripts/bench`: times the ndarray envelope's
//! decoders and encoders on the array in `DIR/a.bin` (raw little-endian
//! float64, written by the script), decoding the envelopes the Python side
//! wrote (`DIR/arrow.json`, tywrap's arrow envelope; `DIR/json.json`, the
//! json envelope as `json.dumps` spells it; `DIR/a.flm`, flamepy's FLM\x01
//! frame) after checking that each holds that array; writes its own arrow
//! envelope to `DIR/sciwire-arrow.json` for the script to read back with
//! pyarrow. Prints one line per
//! path, `KEY SECONDS` (best of RUNS wall-clock runs), for the script to
//! put in its table.
//!
//! ```sh
//! cargo run --release -p sciwire --example side_by_side -- DIR [RUNS]
//! ```

use std::hint::black_box;
use std::time::Instant;

use sciwire::{Dtype, Encoding, Limits, NdArray, Value};

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), String> {
    let dir = std::env::args().nth(1).ok_or("usage: side_by_side DIR [RUNS]")?;
    let runs: usize = std::env::args().nth(2).and_then(|r| r.parse().ok()).unwrap_or(3);
    let read = |name: &str| std::fs::read(format!("{dir}/{name}")).map_err(|e| format!("{dir}/{name}: {e}"));
    let data = read("a.bin")?;
    let n = data.len() as u64 / 8;
    let value = Value::NdArray(NdArray { dtype: Dtype::Float64, shape: vec![n], data });
    let Value::NdArray(array) = &value else { return Err("unreachable".into()) };
    // Wide enough for a 256 MB array's envelopes; the default is 256 MiB of input.
    let limits = Limits { max_input_bytes: 2 << 30, max_decoded_bytes: 2 << 30, ..Limits::default() };
    let decoded = |bytes: &[u8], what: &str| -> Result<(), String> {
        let v = sciwire::decode(bytes, &limits).map_err(|e| format!("{what}: {e}"))?;
        if v != value { Err(format!("{what} does not hold the array")) } else { Ok(()) }
    };
    let tywrap = read("arrow.json")?;
    decoded(&tywrap, "tywrap's arrow envelope")?;
    let json = read("json.json")?;
    decoded(&json, "the json envelope")?;
    // For the Python side to read back with pyarrow, as tywrap's decoder would.
    let ours = sciwire::encode(&value, Encoding::Arrow).map_err(|e| e.to_string())?;
    std::fs::write(format!("{dir}/sciwire-arrow.json"), &ours).map_err(|e| e.to_string())?;
    drop(ours);
    let frame = sciwire::encode(&value, Encoding::Frame).map_err(|e| e.to_string())?;
    decoded(&frame, "the frame")?;

    let mut out = Vec::new();
    out.push(("copy", best(runs, || array.data.to_vec())));
    out.push(("arrow_decode", best(runs, || sciwire::decode(&tywrap, &limits).is_ok())));
    // A bridge decoding one envelope after another: each decode gets the
    // previous value's allocation back (`decode_reusing`), so its pages are
    // mapped already; the first, fresh, decode is not timed.
    let mut spare = match sciwire::decode(&tywrap, &limits) {
        Ok(Value::NdArray(a)) => a.data,
        _ => return Err("tywrap's arrow envelope does not decode to an ndarray".into()),
    };
    out.push((
        "arrow_decode_reusing",
        best(runs, || match sciwire::decode_reusing(&tywrap, &limits, std::mem::take(&mut spare)) {
            Ok(Value::NdArray(a)) => {
                spare = a.data;
                true
            }
            _ => false,
        }),
    ));
    out.push(("arrow_encode", best(runs, || sciwire::encode(&value, Encoding::Arrow).map(|b| b.len()))));
    out.push(("json_decode", best(runs, || sciwire::decode(&json, &limits).is_ok())));
    out.push(("json_encode", best(runs, || sciwire::encode(&value, Encoding::Json).map(|b| b.len()))));
    out.push(("frame_decode", best(runs, || sciwire::decode(&frame, &limits).is_ok())));
    out.push(("frame_encode", best(runs, || sciwire::encode(&value, Encoding::Frame).map(|b| b.len()))));
    out.push((
        "frame_view",
        best(runs, || {
            sciwire::frame::read(&frame, &limits)
                .ok()
                .and_then(|v| v.buffer(0).and_then(|b| b.elements::<f64>()).map(|e| e.len()))
        }),
    ));
    if let Ok(flm) = read("a.flm") {
        let v = sciwire::flame::decode(&flm, &limits).map_err(|e| format!("the FLM frame: {e}"))?;
        if v != value {
            return Err("the FLM frame does not hold the array".into());
        }
        out.push(("flame_decode", best(runs, || sciwire::flame::decode(&flm, &limits).is_ok())));
    }
    for (key, secs) in out {
        println!("{key} {secs:.9}");
    }
    Ok(())
}
