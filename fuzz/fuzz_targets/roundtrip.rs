#![no_main]
//! See `sciwire_conformance::fuzz::roundtrip`; then the same bytes as an
//! ndarray value through the flame profile: a value of a flame dtype
//! (`sciwire::flame::dtypes`) encodes as `FLM\x01` with `8 + M` a multiple
//! of 64 and decodes to itself, bit for bit; any other dtype is refused with
//! `E_DTYPE_UNSUPPORTED`.

use arbitrary::Unstructured;
use sciwire::flame::{self, FlameEncoding};
use sciwire::{Code, Dtype, Limits, NdArray, Value};

/// Every fixed-size dtype of the table and a few parametrised ones.
const DTYPES: &[&str] = &[
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
    "float64", "datetime64[D]", "datetime64[ns]", "timedelta64[s]", "<U2", "|S3", "complex64", "complex128",
];

fn flame_roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(pick) = u.int_in_range(0..=DTYPES.len() * 2 - 1) else { return };
    // Half the time a flame dtype, half the time any.
    let dtype = if pick < DTYPES.len() {
        let flame: Vec<Dtype> = flame::dtypes().collect();
        flame[pick % flame.len()]
    } else {
        match Dtype::parse(DTYPES[pick - DTYPES.len()]) {
            Some(d) => d,
            None => return,
        }
    };
    let Ok(ndim) = u.int_in_range(0usize..=4) else { return };
    let mut shape = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        let Ok(d) = u.int_in_range(0u64..=6) else { return };
        shape.push(d);
    }
    let count: u64 = shape.iter().product();
    let mut bytes = vec![0u8; (count * dtype.itemsize()) as usize];
    let _ = u.fill_buffer(&mut bytes);
    let value = Value::NdArray(NdArray { dtype, shape, data: bytes });
    match flame::encode(&value, FlameEncoding::Tensor) {
        Ok(frame) => {
            assert!(flame::dtypes().any(|d| d == dtype), "flame::encode wrote {dtype}");
            assert_eq!(&frame[..8], b"FLM\x01\xff\xff\xff\xff");
            let m = i32::from_le_bytes([frame[8], frame[9], frame[10], frame[11]]);
            assert_eq!((8 + m) % 64, 0, "8 + M = {}", 8 + m);
            let back = flame::decode(&frame, &Limits::default())
                .unwrap_or_else(|e| panic!("flame round trip of {value:?}: {e}"));
            assert_eq!(back, value, "the flame round trip changed the value");
        }
        Err(e) => {
            assert!(flame::dtypes().all(|d| d != dtype), "flame::encode refused {value:?}: {e}");
            assert_eq!(e.code(), Code::DtypeUnsupported, "{e}");
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sciwire_conformance::fuzz::roundtrip(data);
    flame_roundtrip(data);
});
