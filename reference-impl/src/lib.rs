//! The sciwire reference implementation: strict decoders and encoders for
//! the envelopes of `spec/` (`ndarray`, `scipy.sparse`, `torch.tensor`,
//! `sklearn.estimator`, `dataframe` and `series`), as JSON text or as binary [frames](frame), with the
//! specification's error codes and limits. [`decode`] reads any of them into
//! a [`Value`]; [`Value::to_canonical`] gives the canonical value the
//! conformance runner compares; [`encode`] writes an envelope's bytes.
//!
//! ```
//! let env = br#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"int8","shape":[2],"data":[1,-1]}"#;
//! let value = sciwire::decode(env, &sciwire::Limits::default()).unwrap();
//! assert_eq!(value.to_canonical()["hex"], "01ff");
//! let err = sciwire::decode(br#"{"__tywrap__":"ndarray","codecVersion":2}"#, &Default::default()).unwrap_err();
//! assert_eq!(err.code().as_str(), "E_CODEC_VERSION");
//! ```
//!
//! A frame is decoded by the same entry point, and written by asking for
//! [`Encoding::Frame`]; [`frame::read`] gives a borrowed view of its buffers:
//!
//! ```
//! # fn main() -> sciwire::Result<()> {
//! let env = br#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"int8","shape":[2],"data":[1,-1]}"#;
//! let value = sciwire::decode(env, &sciwire::Limits::default())?;
//! let frame = sciwire::encode(&value, sciwire::Encoding::Frame)?;
//! assert_eq!(&frame[..8], &sciwire::frame::SIGNATURE);
//! assert_eq!(sciwire::decode(&frame, &sciwire::Limits::default())?, value);
//! # Ok(()) }
//! ```
//!
//! The library does no I/O: it decodes from bytes and encodes to bytes.

pub mod dtype;
mod envelope;
pub mod error;
pub mod flame;
pub mod frame;
mod json;
pub mod limits;
mod payload;
#[cfg(feature = "schema")]
pub mod schema;
pub mod value;

pub use dtype::Dtype;
pub use envelope::{Encoding, Version, decode, decode_frame, decode_reusing, encode};
pub use error::{Code, Error, Result};
pub use limits::Limits;
pub use value::{Estimator, NdArray, Sparse, SparseFormat, Tensor, TypedJson, Value};
pub use value::{Cells, Column, ColumnType, DataFrame, Index, Series};

/// What this implementation decodes and encodes, as the harness protocol's
/// `start` reply declares it ([harness.capabilities]): every marker, both
/// directions, codec versions 0 and 1, and frames of every marker; for
/// `torch.tensor` the encodings are those of the nested ndarray envelope;
/// and the [flame profile](flame) ([harness.profiles]), whose `tensor`,
/// `table`, `array` and `batch` frames it reads and writes.
pub fn capabilities() -> serde_json::Value {
    let both = |encodings: &[&str]| {
        serde_json::json!({"directions": ["decode", "encode"], "encodings": encodings, "codecVersions": [0, 1]})
    };
    serde_json::json!({
        "ndarray": both(&["arrow", "json", "frame"]),
        "scipy.sparse": both(&["json", "frame"]),
        "torch.tensor": both(&["arrow", "json", "frame"]),
        "sklearn.estimator": both(&["json", "frame"]),
        "dataframe": both(&["arrow", "json", "frame"]),
        "series": both(&["arrow", "json", "frame"]),
        "flame": flame::capability(),
    })
}

/// A xorshift64 generator for the unit tests' random inputs: `rng(n)` is in `0..n`.
#[cfg(test)]
pub(crate) fn test_rng(seed: u64) -> impl FnMut(usize) -> usize {
    let mut x = seed;
    move |n| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    }
}
