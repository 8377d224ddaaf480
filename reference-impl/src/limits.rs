//! Resource limits (`spec/src/limits.md`).

use crate::error::{Code, Error, Result};

/// The largest integer every JSON implementation holds exactly, 2^53-1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Bounds on what one input may cost. Checked before allocating.
///
/// Every field has a default, a floor below which it may not be set (so
/// every conforming decoder accepts the same ordinary inputs) and, for some,
/// a ceiling (so hostile vectors are rejected by every configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the envelope's JSON text. Default 256 MiB, at least 16 MiB.
    pub max_input_bytes: u64,
    /// JSON nesting depth. Default 128, at least 66, at most 10000.
    pub max_depth: u32,
    /// Entries in a shape. Default 64, at least 32, at most 64.
    pub max_ndim: u32,
    /// Elements (the product of the shape). Default 2^28, at least 2^20, at most 2^53-1.
    pub max_elements: u64,
    /// Bytes of a decoded value or base64 payload. Default 256 MiB, at least 16 MiB.
    pub max_decoded_bytes: u64,
    /// Values in an estimator's `params`, `params` itself included
    /// ([sklearn.params.size]). Default 2^20, at least 2^16, at most 2^28.
    pub max_params_values: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 256 << 20,
            max_depth: 128,
            max_ndim: 64,
            max_elements: 1 << 28,
            max_decoded_bytes: 256 << 20,
            max_params_values: 1 << 20,
        }
    }
}

impl Limits {
    /// The smallest limits the specification allows.
    pub const MIN: Limits = Limits {
        max_input_bytes: 16 << 20,
        max_depth: 66,
        max_ndim: 32,
        max_elements: 1 << 20,
        max_decoded_bytes: 16 << 20,
        max_params_values: 1 << 16,
    };

    /// Checks that these limits lie within the specification's bounds
    /// ([limits.configurable]); returns a message naming the first that does not.
    pub fn check(&self) -> std::result::Result<(), String> {
        let m = Limits::MIN;
        let bad = |name: &str, what: String| Err(format!("limit {name} {what}"));
        if self.max_input_bytes < m.max_input_bytes {
            return bad("max_input_bytes", format!("must be at least {}", m.max_input_bytes));
        }
        if self.max_depth < m.max_depth || self.max_depth > 10_000 {
            return bad("max_depth", format!("must be in [{}, 10000]", m.max_depth));
        }
        if self.max_ndim < m.max_ndim || self.max_ndim > 64 {
            return bad("max_ndim", format!("must be in [{}, 64]", m.max_ndim));
        }
        if self.max_elements < m.max_elements || self.max_elements > MAX_SAFE_INTEGER {
            return bad("max_elements", format!("must be in [{}, 2^53-1]", m.max_elements));
        }
        if self.max_decoded_bytes < m.max_decoded_bytes {
            return bad("max_decoded_bytes", format!("must be at least {}", m.max_decoded_bytes));
        }
        if self.max_params_values < m.max_params_values || self.max_params_values > 1 << 28 {
            return bad("max_params_values", format!("must be in [{}, 2^28]", m.max_params_values));
        }
        Ok(())
    }

    /// [limits.input-bytes]
    pub(crate) fn input_bytes(&self, n: usize) -> Result<()> {
        if n as u64 > self.max_input_bytes {
            return Err(Error::new(
                Code::LimitExceeded,
                "limits.input-bytes",
                format!("input is {n} bytes, over the limit of {}", self.max_input_bytes),
            ));
        }
        Ok(())
    }

    /// [limits.ndim], [limits.elements] and [limits.decoded-bytes] on a shape;
    /// returns the element count.
    pub(crate) fn shape(&self, shape: &[u64], itemsize: u64) -> Result<u64> {
        if shape.len() > self.max_ndim as usize {
            return Err(Error::new(
                Code::LimitExceeded,
                "limits.ndim",
                format!("shape has {} dimensions, over the limit of {}", shape.len(), self.max_ndim),
            )
            .at("/shape"));
        }
        let count = if shape.contains(&0) {
            0
        } else {
            let mut p: u64 = 1;
            for &d in shape {
                p = match p.checked_mul(d) {
                    Some(p) if p <= self.max_elements => p,
                    _ => {
                        return Err(Error::new(
                            Code::LimitExceeded,
                            "limits.elements",
                            format!("shape {shape:?} has more than {} elements", self.max_elements),
                        )
                        .at("/shape"));
                    }
                };
            }
            p
        };
        self.elements(count, itemsize)?;
        Ok(count)
    }

    /// [limits.elements] and [limits.decoded-bytes] on an element count.
    pub(crate) fn elements(&self, count: u64, itemsize: u64) -> Result<()> {
        if count > self.max_elements {
            return Err(Error::new(
                Code::LimitExceeded,
                "limits.elements",
                format!("{count} elements, over the limit of {}", self.max_elements),
            ));
        }
        match count.checked_mul(itemsize) {
            Some(b) if b <= self.max_decoded_bytes => Ok(()),
            _ => Err(Error::new(
                Code::LimitExceeded,
                "limits.decoded-bytes",
                format!(
                    "{count} elements of {itemsize} bytes exceed the limit of {} decoded bytes",
                    self.max_decoded_bytes
                ),
            )),
        }
    }

    /// [limits.decoded-bytes] on a payload.
    pub(crate) fn decoded_bytes(&self, n: u64, what: &str) -> Result<()> {
        if n > self.max_decoded_bytes {
            return Err(Error::new(
                Code::LimitExceeded,
                "limits.decoded-bytes",
                format!("{what} decodes to {n} bytes, over the limit of {}", self.max_decoded_bytes),
            ));
        }
        Ok(())
    }
}
