//! Decoded values and their canonical form (`spec/src/canonical-value.md`).

mod table;
mod typed;

use serde_json::{Map, Value as JsonValue};

use crate::dtype::Dtype;
use crate::error::{Code, Error, Result};

pub use table::{Cells, Column, ColumnType, DataFrame, Index, IntType, Series, TimeUnit};
pub(crate) use table::{check_name, range_len};
pub use typed::TypedJson;

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
    /// The product of the shape (1 for 0-d; 0 when an entry is 0, whatever
    /// the others, as [limits.elements] says). Saturates; a decoded array
    /// never does.
    pub fn element_count(&self) -> u64 {
        if self.shape.contains(&0) {
            return 0;
        }
        self.shape.iter().try_fold(1u64, |p, &d| p.checked_mul(d)).unwrap_or(u64::MAX)
    }

    /// Whether `data` holds exactly the bytes the dtype and shape need
    /// ([canonical.ndarray.lowercase]): an encoder checks this of a value it
    /// was handed, as `Value::from_canonical` does of a `hex`.
    pub(crate) fn check_length(&self) -> Result<()> {
        let want = self.element_count().checked_mul(self.dtype.itemsize());
        if want == Some(self.data.len() as u64) {
            return Ok(());
        }
        Err(Error::new(
            Code::ShapeMismatch,
            "canonical.ndarray.lowercase",
            match want {
                Some(w) => format!("{} bytes of elements; dtype {} and shape {:?} need {w}", self.data.len(), self.dtype, self.shape),
                None => format!("dtype {} and shape {:?} need more bytes than can exist", self.dtype, self.shape),
            },
        ))
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

/// A two-dimensional sparse matrix's stored entries, exactly as stored:
/// duplicates, explicit zeros and unsorted indices included
/// ([sparse.stored-entries]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sparse {
    /// The type of the stored values; one that [`Sparse::holds`].
    pub dtype: Dtype,
    /// Rows, columns.
    pub shape: [u64; 2],
    /// The stored values' element bytes, in stored order: nnz times the item size.
    pub data: Vec<u8>,
    /// The storage format and its index arrays.
    pub format: SparseFormat,
}

impl Sparse {
    /// Whether a sparse matrix may hold `dtype` ([sparse.dtype]): the
    /// `json`-capable dtypes that scipy.sparse holds, which excludes `float16`.
    pub fn holds(dtype: Dtype) -> bool {
        dtype.json_allowed() && dtype != Dtype::Float16
    }
}

/// A sparse storage format with its two index arrays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SparseFormat {
    /// Compressed sparse rows: row r holds `data[indptr[r]..indptr[r+1]]`
    /// at the columns `indices[indptr[r]..indptr[r+1]]`.
    Csr {
        /// The column of each stored value.
        indices: Vec<u64>,
        /// Where each row's values start in `data`; rows + 1 items.
        indptr: Vec<u64>,
    },
    /// Compressed sparse columns: as [`SparseFormat::Csr`] with rows and
    /// columns exchanged.
    Csc {
        /// The row of each stored value.
        indices: Vec<u64>,
        /// Where each column's values start in `data`; columns + 1 items.
        indptr: Vec<u64>,
    },
    /// Coordinates: entry k is `data[k]` at row `row[k]`, column `col[k]`.
    Coo {
        /// The row of each stored value.
        row: Vec<u64>,
        /// The column of each stored value.
        col: Vec<u64>,
    },
}

impl SparseFormat {
    /// The `format` member's spelling: `csr`, `csc` or `coo`.
    pub fn name(&self) -> &'static str {
        match self {
            SparseFormat::Csr { .. } => "csr",
            SparseFormat::Csc { .. } => "csc",
            SparseFormat::Coo { .. } => "coo",
        }
    }

    /// The names and contents of the two index arrays, in member order
    /// (`indices`, `indptr`; or `row`, `col`).
    pub fn arrays(&self) -> [(&'static str, &[u64]); 2] {
        match self {
            SparseFormat::Csr { indices, indptr } | SparseFormat::Csc { indices, indptr } => {
                [("indices", indices), ("indptr", indptr)]
            }
            SparseFormat::Coo { row, col } => [("row", row), ("col", col)],
        }
    }

    /// The format named `name` with these two index arrays, in member order.
    pub(crate) fn from_parts(name: &str, first: Vec<u64>, second: Vec<u64>) -> Option<SparseFormat> {
        Some(match name {
            "csr" => SparseFormat::Csr { indices: first, indptr: second },
            "csc" => SparseFormat::Csc { indices: first, indptr: second },
            "coo" => SparseFormat::Coo { row: first, col: second },
            _ => return None,
        })
    }
}

/// A dense tensor: its elements as an array whose dtype gives the torch
/// dtype ([`Dtype::torch_name`]), and what the producer recorded of where it
/// came from. Its device is always the host (`"cpu"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tensor {
    /// The elements, as the nested ndarray envelope carries them.
    pub array: NdArray,
    /// The tensor was `torch.bfloat16`, carried as `torch.float32`
    /// (`sourceDtype`): every element is a bfloat16 value.
    pub from_bfloat16: bool,
    /// The device the tensor was copied from (`sourceDevice`), e.g. `cuda:0`.
    pub source_device: Option<String>,
}

impl Tensor {
    /// The torch dtype's name, `torch.float32`; `None` when the array's dtype
    /// is outside the torch dtype table (no decoded tensor's is).
    pub fn dtype_name(&self) -> Option<&'static str> {
        self.array.dtype.torch_name()
    }
}

/// A scikit-learn estimator's metadata: never fitted state, never code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimator {
    /// The class's `__name__`.
    pub class_name: String,
    /// The class's `__module__`.
    pub module: String,
    /// The producer's scikit-learn version; `None` when it could not tell.
    pub version: Option<String>,
    /// The constructor parameters, with each number's kind: members sorted
    /// by name (a decoded value's always are), names unique.
    pub params: Vec<(String, TypedJson)>,
}

/// A decoded envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// An `ndarray` envelope.
    NdArray(NdArray),
    /// A `scipy.sparse` envelope.
    Sparse(Sparse),
    /// A `torch.tensor` envelope.
    Tensor(Tensor),
    /// An `sklearn.estimator` envelope.
    Estimator(Estimator),
    /// A `dataframe` envelope.
    DataFrame(DataFrame),
    /// A `series` envelope.
    Series(Series),
}

const HEX: &[u8; 16] = b"0123456789abcdef";

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    let mut s = vec![0u8; bytes.len() * 2];
    for (pair, &b) in s.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 15)];
    }
    // Hex digits only: always UTF-8 (the check is a fast ASCII pass, where
    // pushing each digit as a char took a branch of its own).
    String::from_utf8(s).unwrap_or_default()
}

/// `v` in lower-case hex, zero-padded to at least `digits` digits (as
/// `format!("{v:0digits$x}")` writes it, without the formatter).
pub(crate) fn hex_u64(v: u64, digits: usize) -> String {
    let n = digits.max((67 - v.leading_zeros() as usize) / 4).max(1);
    let mut s = Vec::with_capacity(n);
    for k in (0..n).rev() {
        // Digits past the 16th (a wide `digits`) are zeros.
        s.push(HEX[(v.checked_shr(4 * k as u32).unwrap_or(0) & 15) as usize]);
    }
    String::from_utf8(s).unwrap_or_default()
}

pub(crate) fn from_hex(s: &str) -> Option<Vec<u8>> {
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

fn u64_array(items: &[u64]) -> JsonValue {
    items.iter().map(|&d| JsonValue::from(d)).collect()
}

fn ndarray_canonical(a: &NdArray) -> JsonValue {
    let mut m = Map::new();
    m.insert("kind".into(), "ndarray".into());
    m.insert("dtype".into(), a.dtype.name().into());
    m.insert("shape".into(), u64_array(&a.shape));
    m.insert("hex".into(), to_hex(&a.data).into());
    JsonValue::Object(m)
}

impl Value {
    /// The canonical value ([canonical.ndarray], [canonical.sparse],
    /// [canonical.tensor], [canonical.estimator]).
    pub fn to_canonical(&self) -> JsonValue {
        let mut m = Map::new();
        match self {
            Value::NdArray(a) => return ndarray_canonical(a),
            Value::Sparse(s) => {
                m.insert("kind".into(), "sparse".into());
                m.insert("format".into(), s.format.name().into());
                m.insert("dtype".into(), s.dtype.name().into());
                m.insert("shape".into(), u64_array(&s.shape));
                m.insert("hex".into(), to_hex(&s.data).into());
                for (name, items) in s.format.arrays() {
                    m.insert(name.into(), u64_array(items));
                }
            }
            Value::Tensor(t) => {
                m.insert("kind".into(), "tensor".into());
                let dtype = t.dtype_name().map_or_else(|| format!("torch.{}", t.array.dtype), str::to_string);
                m.insert("dtype".into(), dtype.into());
                m.insert("array".into(), ndarray_canonical(&t.array));
                if t.from_bfloat16 {
                    m.insert("sourceDtype".into(), "torch.bfloat16".into());
                }
                if let Some(d) = &t.source_device {
                    m.insert("sourceDevice".into(), d.as_str().into());
                }
            }
            Value::DataFrame(d) => return d.to_canonical(),
            Value::Series(s) => return s.to_canonical(),
            Value::Estimator(e) => {
                m.insert("kind".into(), "estimator".into());
                m.insert("className".into(), e.class_name.as_str().into());
                m.insert("module".into(), e.module.as_str().into());
                m.insert("version".into(), e.version.as_deref().map_or(JsonValue::Null, JsonValue::from));
                m.insert("params".into(), typed::object_to_canonical(&e.params));
            }
        }
        JsonValue::Object(m)
    }

    /// Reads a canonical value, checking it against its schema's rules and
    /// what its members imply ([canonical.ndarray.lowercase]: a `hex` of the
    /// length the dtype and shape need; a tensor's `dtype` that pairs with
    /// its array's). What only an encoder refuses (a NaN for `json`, sparse
    /// index arrays that break the sparse page) is left to [`crate::encode`].
    pub fn from_canonical(v: &JsonValue) -> Result<Value> {
        let kind = v.get("kind").and_then(JsonValue::as_str);
        match kind {
            Some("sparse") => sparse_from_canonical(v).map(Value::Sparse),
            Some("tensor") => tensor_from_canonical(v).map(Value::Tensor),
            Some("estimator") => typed::estimator_from_canonical(v).map(Value::Estimator),
            Some("ndarray") => ndarray_from_canonical(v).map(Value::NdArray),
            Some("dataframe") => DataFrame::from_canonical(v).map(Value::DataFrame),
            Some("series") => Series::from_canonical(v).map(Value::Series),
            _ => Err(Error::new(
                Code::FieldType,
                "canonical.ndarray",
                "a canonical value is an object whose kind is \"ndarray\", \"sparse\", \"tensor\", \"estimator\", \"dataframe\" or \"series\"",
            )),
        }
    }
}

/// The members of a canonical object, refusing any not in `allowed`.
fn canonical_members<'v>(
    v: &'v JsonValue,
    clause: &'static str,
    allowed: &[&str],
) -> Result<&'v Map<String, JsonValue>> {
    let field = |why: String| Error::new(Code::FieldType, clause, why);
    let m = v.as_object().ok_or_else(|| field("a canonical value is an object".into()))?;
    if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(field(format!("unknown member {k:?} in a canonical value")));
    }
    Ok(m)
}

fn ndarray_from_canonical(v: &JsonValue) -> Result<NdArray> {
    let clause = "canonical.ndarray.lowercase";
    let field = |why: &str| Error::new(Code::FieldType, clause, why.to_string());
    let m = canonical_members(v, clause, &["kind", "dtype", "shape", "hex"])?;
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
    a.check_length()?;
    Ok(a)
}

fn sparse_from_canonical(v: &JsonValue) -> Result<Sparse> {
    let clause = "canonical.sparse";
    let field = |why: String| Error::new(Code::FieldType, clause, why);
    let format = match v.get("format") {
        Some(JsonValue::String(f)) => f.as_str(),
        _ => return Err(field("format must be a string".into())),
    };
    let [first, second] = match format {
        "csr" | "csc" => ["indices", "indptr"],
        "coo" => ["row", "col"],
        other => {
            return Err(Error::new(
                Code::FormatUnsupported,
                "sparse.encode.refuse",
                format!("format {other:?} is not csr, csc or coo; convert the matrix explicitly"),
            ));
        }
    };
    let m = canonical_members(v, clause, &["kind", "format", "dtype", "shape", "hex", first, second])?;
    let dtype_name = m.get("dtype").and_then(JsonValue::as_str).ok_or_else(|| field("dtype must be a string".into()))?;
    let dtype = Dtype::parse(dtype_name).filter(|&d| Sparse::holds(d)).ok_or_else(|| {
        Error::new(
            Code::DtypeUnsupported,
            "sparse.encode.refuse",
            format!("dtype {dtype_name:?} is not one a sparse matrix holds (bool, integers, float32, float64)"),
        )
    })?;
    let shape: Vec<u64> = m
        .get("shape")
        .and_then(JsonValue::as_array)
        .and_then(|a| a.iter().map(JsonValue::as_u64).collect::<Option<Vec<u64>>>())
        .ok_or_else(|| field("shape must be an array of non-negative integers".into()))?;
    let shape: [u64; 2] = shape.as_slice().try_into().map_err(|_| {
        Error::new(Code::ShapeInvalid, "sparse.shape", format!("shape {shape:?} does not have two entries"))
    })?;
    let hex = m.get("hex").and_then(JsonValue::as_str).ok_or_else(|| field("hex must be a string".into()))?;
    let data = from_hex(hex).ok_or_else(|| field("hex must be lowercase hexadecimal digit pairs".into()))?;
    if !(data.len() as u64).is_multiple_of(dtype.itemsize()) {
        return Err(Error::new(
            Code::ShapeMismatch,
            clause,
            format!("hex holds {} bytes, not a whole number of {dtype} elements", data.len()),
        ));
    }
    let index_array = |name: &str| -> Result<Vec<u64>> {
        let items = m.get(name).and_then(JsonValue::as_array).ok_or_else(|| field(format!("{name} must be an array")))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                JsonValue::Number(n) => n.as_u64().ok_or_else(|| {
                    Error::new(
                        Code::ValueDomain,
                        "sparse.index-values",
                        format!("{name}[{i}] is {n}, not an integer in [0, 2^53-1]"),
                    )
                }),
                other => Err(field(format!("{name}[{i}] is {other}, not an integer"))),
            })
            .collect()
    };
    let (first, second) = (index_array(first)?, index_array(second)?);
    let format = SparseFormat::from_parts(format, first, second)
        .ok_or_else(|| field(format!("format {format:?} is not csr, csc or coo")))?;
    Ok(Sparse { dtype, shape, data, format })
}

fn tensor_from_canonical(v: &JsonValue) -> Result<Tensor> {
    let clause = "canonical.tensor";
    let field = |why: &str| Error::new(Code::FieldType, clause, why.to_string());
    let m = canonical_members(v, clause, &["kind", "dtype", "array", "sourceDtype", "sourceDevice"])?;
    let name = m.get("dtype").and_then(JsonValue::as_str).ok_or_else(|| field("dtype must be a string"))?;
    let dtype = Dtype::from_torch_name(name).ok_or_else(|| {
        Error::new(Code::DtypeUnsupported, "torch.dtype.table", format!("dtype {name:?} is not in the torch dtype table"))
    })?;
    let from_bfloat16 = match m.get("sourceDtype") {
        None => false,
        Some(JsonValue::String(s)) if s == "torch.bfloat16" => true,
        Some(JsonValue::String(s)) => {
            return Err(Error::new(
                Code::DtypeUnsupported,
                "torch.source-dtype",
                format!("sourceDtype {s:?} is not \"torch.bfloat16\""),
            ));
        }
        Some(_) => return Err(field("sourceDtype must be a string")),
    };
    if from_bfloat16 && dtype != Dtype::Float32 {
        return Err(Error::new(
            Code::DtypeMismatch,
            "torch.source-dtype",
            format!("a bfloat16 tensor is carried as torch.float32, not {name}"),
        ));
    }
    let source_device = match m.get("sourceDevice") {
        None => None,
        Some(JsonValue::String(s)) => Some(s.clone()),
        Some(_) => return Err(field("sourceDevice must be a string")),
    };
    let array = ndarray_from_canonical(m.get("array").ok_or_else(|| field("array is required"))?)?;
    if array.dtype != dtype {
        return Err(Error::new(
            Code::DtypeMismatch,
            "torch.encode.refuse",
            format!("a {name} tensor holds {dtype} elements, not {}", array.dtype),
        ));
    }
    Ok(Tensor { array, from_bfloat16, source_device })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn code(v: JsonValue) -> Option<Code> {
        Value::from_canonical(&v).err().map(|e| e.code())
    }

    #[test]
    fn the_spec_examples_round_trip() {
        for v in [
            json!({"kind": "sparse", "format": "csr", "dtype": "float64", "shape": [2, 3],
                   "hex": "000000000000f83f0000000000000040000000000000f0bf", "indices": [1, 0, 2], "indptr": [0, 1, 3]}),
            json!({"kind": "tensor", "dtype": "torch.float32",
                   "array": {"kind": "ndarray", "dtype": "float32", "shape": [2], "hex": "0000c03f000000c0"}}),
            json!({"kind": "estimator", "className": "LogisticRegression", "module": "sklearn.linear_model._logistic",
                   "version": "1.9.1", "params": {"object": [["C", {"float": "3fe0000000000000"}],
                   ["class_weight", {"null": null}], ["max_iter", {"int": 200}]]}}),
        ] {
            assert_eq!(Value::from_canonical(&v).map(|x| x.to_canonical()).ok(), Some(v));
        }
    }

    #[test]
    fn canonical_values_are_refused_with_the_decoder_code() {
        let sparse = |m: JsonValue| {
            let mut v = json!({"kind": "sparse", "format": "coo", "dtype": "int8", "shape": [2, 2], "hex": "01", "row": [0], "col": [1]});
            if let (Some(v), Some(m)) = (v.as_object_mut(), m.as_object()) {
                v.extend(m.clone());
            }
            v
        };
        assert_eq!(code(sparse(json!({}))), None);
        assert_eq!(code(sparse(json!({"format": "dia"}))), Some(Code::FormatUnsupported));
        assert_eq!(code(sparse(json!({"dtype": "complex128"}))), Some(Code::DtypeUnsupported));
        assert_eq!(code(sparse(json!({"dtype": "float16", "hex": "0000"}))), Some(Code::DtypeUnsupported));
        assert_eq!(code(sparse(json!({"dtype": "int16"}))), Some(Code::ShapeMismatch));
        assert_eq!(code(sparse(json!({"shape": [2]}))), Some(Code::ShapeInvalid));
        assert_eq!(code(sparse(json!({"row": [-1]}))), Some(Code::ValueDomain));
        assert_eq!(code(sparse(json!({"indices": [0]}))), Some(Code::FieldType));
        let tensor = |dtype: &str, extra: JsonValue| {
            let mut v = json!({"kind": "tensor", "dtype": dtype, "array": {"kind": "ndarray", "dtype": "float32", "shape": [], "hex": "0000803f"}});
            if let (Some(v), Some(m)) = (v.as_object_mut(), extra.as_object()) {
                v.extend(m.clone());
            }
            v
        };
        assert_eq!(code(tensor("torch.float32", json!({"sourceDtype": "torch.bfloat16", "sourceDevice": "cuda:0"}))), None);
        assert_eq!(code(tensor("torch.float64", json!({}))), Some(Code::DtypeMismatch));
        assert_eq!(code(tensor("torch.float", json!({}))), Some(Code::DtypeUnsupported));
        assert_eq!(code(tensor("torch.float32", json!({"sourceDtype": "torch.float16"}))), Some(Code::DtypeUnsupported));
        assert_eq!(code(tensor("torch.float32", json!({"device": "cpu"}))), Some(Code::FieldType));
        assert_eq!(code(json!({"kind": "frame"})), Some(Code::FieldType));
        assert_eq!(code(json!({"kind": "estimator", "className": "A", "module": "m", "params": {"object": []}})), Some(Code::FieldType));
    }

    #[test]
    fn hex_is_written_as_the_formatter_writes_it() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // every magnitude: from 0 to all 64 bits
            let v = x >> (i % 65).min(63) >> u64::from(i % 65 == 64);
            for digits in [0, 1, 4, 8, 16, 17] {
                assert_eq!(hex_u64(v, digits), format!("{v:0digits$x}"), "{v} {digits}");
            }
            let bytes = v.to_le_bytes();
            let b = &bytes[..(i % 9) as usize];
            assert_eq!(to_hex(b), b.iter().map(|c| format!("{c:02x}")).collect::<String>());
        }
    }
}
