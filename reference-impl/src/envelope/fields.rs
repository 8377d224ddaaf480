//! Readers and writers that several envelopes share: shapes
//! ([ndarray.shape.items], reused by [torch.shape]) and JSON element values
//! ([ndarray.json.values] and [ndarray.json.elements], reused by
//! [sparse.values] and [sparse.elements]).

use half::f16;

use super::field_type;
use crate::dtype::Dtype;
use crate::error::{Code, Error, Result};
use crate::json::{Cursor, Json, Scalar, number_value};
use crate::limits::{Limits, MAX_SAFE_INTEGER};

pub(crate) use crate::json::dimension;

/// How a scalar reads in a message: its text for a number, else its kind.
pub(crate) fn describe(s: &Scalar<'_>) -> String {
    match s {
        Scalar::Null => "null".to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Number(t) => (*t).to_string(),
        Scalar::String => "a string".to_string(),
        Scalar::Array => "an array".to_string(),
        Scalar::Object => "an object".to_string(),
    }
}

/// A `shape` member: an array (`E_FIELD_TYPE`) of integers in `[0, 2^53-1]`
/// (`E_SHAPE_INVALID`), reported under `clause`; then [limits.ndim]. Reads
/// at most `max_ndim` entries into memory.
pub(crate) fn read_shape(j: &Json<'_>, clause: &'static str, limits: &Limits) -> Result<Vec<u64>> {
    let Json::Array(span) = j else {
        return Err(field_type(clause, "shape", "an array", j));
    };
    let mut c = Cursor::new(span);
    let mut shape = Vec::new();
    let mut n = 0usize;
    c.open_array();
    while c.next_item() {
        let item = c.scalar();
        let d = match item {
            Scalar::Number(t) => dimension(t),
            _ => None,
        };
        let Some(d) = d else {
            return Err(Error::new(
                Code::ShapeInvalid,
                clause,
                format!("shape[{n}] is {}, not an integer in [0, 2^53-1]", describe(&item)),
            )
            .at(format!("/shape/{n}")));
        };
        if shape.len() < limits.max_ndim as usize {
            shape.push(d);
        }
        n += 1;
    }
    if n > limits.max_ndim as usize {
        return Err(Error::new(
            Code::LimitExceeded,
            "limits.ndim",
            format!("shape has {n} dimensions, over the limit of {}", limits.max_ndim),
        )
        .at("/shape"));
    }
    Ok(shape)
}

/// Reads one JSON leaf as an element of `dtype` ([ndarray.json.values]) and
/// appends its element bytes ([ndarray.json.elements]); on refusal, why.
pub(crate) fn read_leaf(leaf: Scalar<'_>, dtype: Dtype, out: &mut Vec<u8>) -> std::result::Result<(), String> {
    if dtype == Dtype::Bool {
        return match leaf {
            Scalar::Bool(b) => {
                out.push(u8::from(b));
                Ok(())
            }
            other => Err(format!("is {}; bool elements are true or false", describe(&other))),
        };
    }
    let Scalar::Number(text) = leaf else {
        return Err(format!("is {}; {dtype} elements are numbers", describe(&leaf)));
    };
    read_number(text, number_value(text), dtype, out)
}

/// [`read_leaf`] of a number: its text and its value (`None` when it rounds
/// beyond the finite range of binary64).
pub(crate) fn read_number(text: &str, v: Option<f64>, dtype: Dtype, out: &mut Vec<u8>) -> std::result::Result<(), String> {
    if dtype == Dtype::Bool {
        return Err(format!("is {text}; bool elements are true or false"));
    }
    let v = v.ok_or_else(|| format!("{text} is beyond the range of binary64"))?;
    if let Some((lo, hi)) = dtype.int_range() {
        if v.fract() != 0.0 {
            return Err(format!("{text} is not an integer"));
        }
        if v.abs() > MAX_SAFE_INTEGER as f64 {
            return Err(format!("{text} is beyond ±(2^53-1), which JSON cannot carry exactly"));
        }
        let n = v as i64;
        if !(lo..=hi).contains(&i128::from(n)) {
            return Err(format!("{text} is outside the range of {dtype}"));
        }
        out.extend_from_slice(&n.to_le_bytes()[..dtype.itemsize() as usize]);
        return Ok(());
    }
    match dtype {
        Dtype::Float64 => out.extend_from_slice(&v.to_le_bytes()),
        Dtype::Float32 => {
            let f = v as f32;
            if f64::from(f) != v {
                return Err(format!("{text} is not exactly a float32"));
            }
            out.extend_from_slice(&f.to_le_bytes());
        }
        Dtype::Float16 => {
            let f = f16::from_f64(v);
            if f.to_f64() != v {
                return Err(format!("{text} is not exactly a float16"));
            }
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        _ => return Err(format!("dtype {dtype} has no json form")),
    }
    Ok(())
}

/// [frame.values]: the first element of `dtype` in `bytes` (element bytes,
/// a whole number of elements) that is no value of its dtype, and why: a
/// `bool` byte other than `00` and `01`, or a `<U{n}` unit that is not a
/// Unicode scalar value. Every other byte pattern is an element of its
/// dtype. Encoders refuse the same elements, with the same code.
pub(crate) fn check_elements(dtype: Dtype, bytes: &[u8]) -> std::result::Result<(), (usize, String)> {
    match dtype {
        Dtype::Bool => match bytes.iter().position(|&b| b > 1) {
            Some(i) => Err((i, format!("is byte {:02x}, not 00 or 01", bytes[i]))),
            None => Ok(()),
        },
        Dtype::Unicode(width) => {
            for (k, unit) in bytes.chunks_exact(4).enumerate() {
                let u = u32::from_le_bytes([unit[0], unit[1], unit[2], unit[3]]);
                if char::from_u32(u).is_none() {
                    let element = k as u64 / width.max(1);
                    return Err((element as usize, format!("holds the unit {u:08x}, which is not a Unicode scalar value")));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Writes a finite binary64 in the shortest text that reads back as exactly
/// it, always with a fraction or an exponent (`1.0`, `1e-7`, `-0.0`).
/// `None` for NaN and the infinities, which JSON cannot hold.
/// The text is serde_json's for the number (its `Number` displays a float
/// with `zmij`'s `format_finite`, which this calls straight into `out`).
pub(crate) fn write_f64(out: &mut String, v: f64) -> Option<()> {
    v.is_finite().then(|| out.push_str(zmij::Buffer::new().format_finite(v)))
}

/// Why an element cannot be written as a JSON leaf.
#[derive(Debug, PartialEq)]
pub(crate) enum Unwritable {
    /// The dtype has no `json` form (`E_DTYPE_UNSUPPORTED`).
    NoJsonForm,
    /// A bool element's byte is neither 00 nor 01 (`E_VALUE_DOMAIN`).
    NotBool(u8),
    /// NaN or an infinity (`E_VALUE_DOMAIN`).
    NotFinite(f64),
    /// An integer beyond ±(2^53-1) (`E_VALUE_DOMAIN`).
    BeyondSafe(i128),
}

impl Unwritable {
    /// The code an encoder refuses with.
    pub(crate) fn code(&self) -> Code {
        match self {
            Unwritable::NoJsonForm => Code::DtypeUnsupported,
            _ => Code::ValueDomain,
        }
    }
}

impl std::fmt::Display for Unwritable {
    /// The predicate of a message about one element: "is NaN, which JSON cannot hold".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unwritable::NoJsonForm => write!(f, "has a dtype with no json form"),
            Unwritable::NotBool(b) => write!(f, "is byte {b:02x}, not 00 or 01"),
            Unwritable::NotFinite(v) => write!(f, "is {v}, which JSON cannot hold"),
            Unwritable::BeyondSafe(v) => write!(f, "is {v}, beyond ±(2^53-1)"),
        }
    }
}

/// Writes one element of `dtype` from its element bytes (`el`, exactly
/// `dtype.itemsize()` bytes) as the `json` encoders write it: `true`/`false`,
/// integers, and floats by [`write_f64`].
pub(crate) fn write_leaf(dtype: Dtype, el: &[u8], out: &mut String) -> std::result::Result<(), Unwritable> {
    let w = dtype.itemsize() as usize;
    if el.len() != w || w > 8 || !dtype.json_allowed() {
        return Err(Unwritable::NoJsonForm);
    }
    let mut b8 = [0u8; 8];
    b8[..w].copy_from_slice(el);
    match dtype {
        Dtype::Bool => match b8[0] {
            0 => out.push_str("false"),
            1 => out.push_str("true"),
            b => return Err(Unwritable::NotBool(b)),
        },
        Dtype::Float16 | Dtype::Float32 | Dtype::Float64 => {
            let v = match dtype {
                Dtype::Float16 => f16::from_bits(u16::from_le_bytes([b8[0], b8[1]])).to_f64(),
                Dtype::Float32 => f64::from(f32::from_le_bytes([b8[0], b8[1], b8[2], b8[3]])),
                _ => f64::from_le_bytes(b8),
            };
            write_f64(out, v).ok_or(Unwritable::NotFinite(v))?;
        }
        _ => {
            let v: i128 = match dtype {
                Dtype::Int8 => i128::from(b8[0] as i8),
                Dtype::Int16 => i128::from(i16::from_le_bytes([b8[0], b8[1]])),
                Dtype::Int32 => i128::from(i32::from_le_bytes([b8[0], b8[1], b8[2], b8[3]])),
                Dtype::Int64 => i128::from(i64::from_le_bytes(b8)),
                // unsigned: the zero-extended bytes
                _ => i128::from(u64::from_le_bytes(b8)),
            };
            if v.unsigned_abs() > u128::from(MAX_SAFE_INTEGER) {
                return Err(Unwritable::BeyondSafe(v));
            }
            out.push_str(&v.to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(text: &str, dtype: Dtype) -> std::result::Result<Vec<u8>, String> {
        let mut out = Vec::new();
        read_leaf(Cursor::new(text).scalar(), dtype, &mut out).map(|()| out)
    }

    fn write(dtype: Dtype, el: &[u8]) -> std::result::Result<String, Code> {
        let mut out = String::new();
        write_leaf(dtype, el, &mut out).map(|()| out).map_err(|u| u.code())
    }

    #[test]
    fn leaves_hold_values_of_the_dtype_exactly() {
        assert_eq!(leaf("1.0", Dtype::Int8), Ok(vec![1]));
        assert_eq!(leaf("-0", Dtype::Int16), Ok(vec![0, 0]));
        assert_eq!(leaf("-0.0", Dtype::Float64), Ok((-0.0f64).to_le_bytes().to_vec()));
        assert_eq!(leaf("0.10000000149011612", Dtype::Float32), Ok(0.1f32.to_le_bytes().to_vec()));
        assert_eq!(leaf("true", Dtype::Bool), Ok(vec![1]));
        for (text, dtype) in [("0.1", Dtype::Float32), ("128", Dtype::Int8), ("1.5", Dtype::Int32),
                              ("9007199254740992", Dtype::Int64), ("1e400", Dtype::Float64), ("1", Dtype::Bool),
                              ("true", Dtype::UInt8), ("\"1\"", Dtype::Float64), ("null", Dtype::Float64),
                              ("[1]", Dtype::Float64), ("{}", Dtype::Bool), ("-1", Dtype::UInt64)] {
            assert!(leaf(text, dtype).is_err(), "{text} as {dtype}");
        }
    }

    #[test]
    fn floats_are_written_shortest_with_a_fraction_or_exponent() {
        let f = |v: f64| {
            let mut s = String::new();
            write_f64(&mut s, v).map(|()| s)
        };
        assert_eq!(f(1.0).as_deref(), Some("1.0"));
        assert_eq!(f(-0.0).as_deref(), Some("-0.0"));
        assert_eq!(f(0.1).as_deref(), Some("0.1"));
        assert_eq!(f(1e-6).and_then(|s| s.parse::<f64>().ok()), Some(1e-6));
        assert!(f(1e-6).is_some_and(|s| s.contains(['.', 'e', 'E'])));
        assert!(f(1e300).is_some_and(|s| s.contains(['.', 'e', 'E'])));
        assert_eq!(f(f64::NAN), None);
        assert_eq!(f(f64::INFINITY), None);
        assert_eq!(f(f64::NEG_INFINITY), None);
        // serde_json's text for every finite value: random bit patterns,
        // the subnormals, the extremes and the integers near 2^53.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut values: Vec<f64> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                f64::from_bits(x)
            })
            .collect();
        values.extend([f64::MIN_POSITIVE, 5e-324, f64::MAX, f64::MIN, 9007199254740991.0, 9007199254740992.0, 1e21, 1e-7, 123456789012345680.0]);
        values.extend((0..2000).map(|k| f64::from(k) * 0.25 - 100.0));
        for v in values {
            let want = serde_json::Number::from_f64(v).map(|n| n.to_string());
            assert_eq!(f(v), want, "{:016x}", v.to_bits());
        }
    }

    #[test]
    fn leaves_are_written_exactly_or_refused() {
        assert_eq!(write(Dtype::Int8, &[0xff]), Ok("-1".into()));
        assert_eq!(write(Dtype::UInt16, &[0xff, 0xff]), Ok("65535".into()));
        assert_eq!(write(Dtype::Float32, &1.5f32.to_le_bytes()), Ok("1.5".into()));
        assert_eq!(write(Dtype::Bool, &[2]), Err(Code::ValueDomain));
        assert_eq!(write(Dtype::Float64, &f64::NAN.to_le_bytes()), Err(Code::ValueDomain));
        assert_eq!(write(Dtype::UInt64, &(1u64 << 53).to_le_bytes()), Err(Code::ValueDomain));
        assert_eq!(write(Dtype::Int64, &(-(1i64 << 53) + 1).to_le_bytes()), Ok("-9007199254740991".into()));
        assert_eq!(write(Dtype::Date, &[0; 8]), Err(Code::DtypeUnsupported));
    }
}
