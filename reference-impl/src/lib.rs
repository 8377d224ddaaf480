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
