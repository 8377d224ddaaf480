//! Decode throughput of a float64 frame: the borrowing view and the owned
//! value, beside a plain copy of the same bytes. Reads the frame from the
//! file named by the first argument (`scripts/bench-frame` writes it) and
//! prints one line per path: best of N wall-clock runs, GB/s of payload.
//! With a third argument, an FLM frame of the same array (flamepy's own
//! bytes), it times `sciwire::flame::decode` too: one copy of the body, which
//! sits 4 bytes off alignment after the `FLM\x01` prefix.

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
    let path = std::env::args().nth(1).ok_or("usage: frame_decode FRAME [RUNS [FLM]]")?;
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
    if let Some(flm) = std::env::args().nth(3) {
        let flm = std::fs::read(&flm).map_err(|e| format!("{flm}: {e}"))?;
        let decoded = sciwire::flame::decode(&flm, &limits).map_err(|e| e.to_string())?;
        if decoded != sciwire::decode(&bytes, &limits).map_err(|e| e.to_string())? {
            return Err("the FLM frame and the frame hold different arrays".into());
        }
        let flame = best(runs, || sciwire::flame::decode(&flm, &limits).map(|v| matches!(v, Value::NdArray(_))));
        println!("sciwire::flame::decode (owned value) {:8.2} GB/s", gbs(flame));
    }
    Ok(())
}
