//! Decode throughput of a float64 frame: the borrowing view and the owned
//! value, beside a plain copy of the same bytes. Reads the frame from the
//! file named by the first argument (`scripts/bench-frame` writes it) and
//! prints one line per path: best of N wall-clock runs, GB/s of payload.

use std::time::Instant;

use sciwire::{Limits, Value, frame};

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), String> {
    let path = std::env::args().nth(1).ok_or("usage: frame_decode FRAME [RUNS]")?;
    let runs: usize = std::env::args().nth(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
    let limits = Limits::default();
    let view = frame::read(&bytes, &limits).map_err(|e| e.to_string())?;
    let payload = view.buffer(0).ok_or("the frame has no buffer")?.len() as f64;
    let gbs = |s: f64| payload / s / 1e9;
    let copy = best(runs, || bytes.to_vec());
    let read = best(runs, || {
        let v = frame::read(&bytes, &limits).map(|v| v.buffer(0).and_then(|b| b.elements::<f64>()).map(|e| e.len()));
        v.ok().flatten()
    });
    let owned = best(runs, || sciwire::decode(&bytes, &limits).map(|v| matches!(v, Value::NdArray(_))));
    println!("copy of the frame into a fresh Vec   {:8.2} GB/s", gbs(copy));
    // The view copies no payload: its time is the header's, whatever the size.
    println!("frame::read + elements::<f64> (view) {:8.1} µs, no payload copy ({:.0}x the copy's speed)", read * 1e6, copy / read);
    println!("sciwire::decode (owned value)        {:8.2} GB/s", gbs(owned));
    Ok(())
}
