//! The sciwire reference implementation: strict decoders and encoders for
//! the envelopes of `spec/` (`ndarray`, `scipy.sparse`, `torch.tensor` and
//! `sklearn.estimator`), with the specification's error codes and limits.
//! [`decode`] reads any of them into a [`Value`]; [`Value::to_canonical`]
//! gives the canonical value the conformance runner compares.
//!
//! ```
//! let env = br#"{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"int8","shape":[2],"data":[1,-1]}"#;
//! let value = sciwire::decode(env, &sciwire::Limits::default()).unwrap();
//! assert_eq!(value.to_canonical()["hex"], "01ff");
//! let err = sciwire::decode(br#"{"__tywrap__":"ndarray","codecVersion":2}"#, &Default::default()).unwrap_err();
//! assert_eq!(err.code().as_str(), "E_CODEC_VERSION");
//! ```
//!
//! The library does no I/O: it decodes from bytes and encodes to a string.

pub mod dtype;
mod envelope;
pub mod error;
mod json;
pub mod limits;
mod payload;
#[cfg(feature = "schema")]
pub mod schema;
pub mod value;

pub use dtype::Dtype;
pub use envelope::{Encoding, Version, decode, encode};
pub use error::{Code, Error, Result};
pub use limits::Limits;
pub use value::{Estimator, NdArray, Sparse, SparseFormat, Tensor, TypedJson, Value};

/// What this implementation decodes and encodes, as the harness protocol's
/// `start` reply declares it ([harness.capabilities]): every marker, both
/// directions, codec versions 0 and 1; for `torch.tensor` the encodings are
/// those of the nested ndarray envelope.
pub fn capabilities() -> serde_json::Value {
    let both = |encodings: &[&str]| {
        serde_json::json!({"directions": ["decode", "encode"], "encodings": encodings, "codecVersions": [0, 1]})
    };
    serde_json::json!({
        "ndarray": both(&["arrow", "json"]),
        "scipy.sparse": both(&["json"]),
        "torch.tensor": both(&["arrow", "json"]),
        "sklearn.estimator": both(&["json"]),
    })
}

