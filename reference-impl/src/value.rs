//! Decoded values and their canonical form (`spec/src/canonical-value.md`).

use serde_json::{Map, Value as JsonValue};

use crate::dtype::Dtype;
use crate::error::{Code, Error, Result};

/// An n-dimensional array: dtype, shape, and the element bytes in C order,
/// little-endian, exactly as the canonical value's `hex` spells them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NdArray {
    /// The element type.
    pub dtype: Dtype,
    /// The dimensions; empty for a 0-d array.
    pub shape: Vec<u64>,
    /// `element_count() * dtype.itemsize()` bytes.
    pub data: Vec<u8>,
}

impl NdArray {
    /// The product of the shape (1 for 0-d). Saturates; a decoded array never does.
    pub fn element_count(&self) -> u64 {
        self.shape.iter().try_fold(1u64, |p, &d| p.checked_mul(d)).unwrap_or(u64::MAX)
    }

    /// The fewest bytes this array's `json` payload can take, from its shape
    /// alone ([ndarray.encode.limits]): every nested array is at least `[]`,
    /// every element at least one character and a separator. Saturates.
    pub fn json_size_floor(&self) -> u64 {
        let mut arrays: u64 = 0;
        let mut at_level: u64 = 1;
        for &d in &self.shape {
            arrays = arrays.saturating_add(at_level);
            at_level = at_level.saturating_mul(d);
            if at_level == 0 {
                break;
            }
        }
        arrays.saturating_mul(2).saturating_add(self.element_count().saturating_mul(2))
    }
}

/// A decoded envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// An `ndarray` envelope.
    NdArray(NdArray),
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2).map(|p| Some(digit(p[0])? << 4 | digit(p[1])?)).collect()
}

impl Value {
    /// The canonical value ([canonical.ndarray]).
    pub fn to_canonical(&self) -> JsonValue {
        match self {
            Value::NdArray(a) => {
                let mut m = Map::new();
                m.insert("kind".into(), "ndarray".into());
                m.insert("dtype".into(), a.dtype.name().into());
                m.insert("shape".into(), a.shape.iter().map(|&d| JsonValue::from(d)).collect());
                m.insert("hex".into(), to_hex(&a.data).into());
                JsonValue::Object(m)
            }
        }
    }

    /// Reads a canonical value, checking it against its schema's rules and
    /// the length its dtype and shape imply ([canonical.ndarray.lowercase]).
    pub fn from_canonical(v: &JsonValue) -> Result<Value> {
        let clause = "canonical.ndarray.lowercase";
        let field = |why: &str| Error::new(Code::FieldType, clause, why.to_string());
        let m = v.as_object().ok_or_else(|| field("a canonical value is an object"))?;
        if let Some(k) = m.keys().find(|k| !matches!(k.as_str(), "kind" | "dtype" | "shape" | "hex")) {
            return Err(field(&format!("unknown member {k:?} in a canonical value")));
        }
        if m.get("kind").and_then(JsonValue::as_str) != Some("ndarray") {
            return Err(field("kind must be \"ndarray\""));
        }
        let dtype_name = m.get("dtype").and_then(JsonValue::as_str).ok_or_else(|| field("dtype must be a string"))?;
        let dtype = Dtype::parse(dtype_name).ok_or_else(|| {
            Error::new(Code::DtypeUnsupported, "ndarray.dtype.table", format!("dtype {dtype_name:?} is not in the table"))
        })?;
        let shape: Vec<u64> = m
            .get("shape")
            .and_then(JsonValue::as_array)
            .and_then(|a| a.iter().map(JsonValue::as_u64).collect::<Option<Vec<u64>>>())
            .ok_or_else(|| field("shape must be an array of non-negative integers"))?;
        let hex = m.get("hex").and_then(JsonValue::as_str).ok_or_else(|| field("hex must be a string"))?;
        let data = from_hex(hex).ok_or_else(|| field("hex must be lowercase hexadecimal digit pairs"))?;
        let a = NdArray { dtype, shape, data };
        let want = a.element_count().checked_mul(dtype.itemsize());
        if want != Some(a.data.len() as u64) {
            return Err(Error::new(
                Code::ShapeMismatch,
                clause,
                match want {
                    Some(w) => format!("hex holds {} bytes; dtype {} and shape {:?} need {w}", a.data.len(), dtype, a.shape),
                    None => format!("dtype {} and shape {:?} need more bytes than can exist", dtype, a.shape),
                },
            ));
        }
        Ok(Value::NdArray(a))
    }
}
