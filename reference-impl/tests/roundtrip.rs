//! Property tests: any value encodes and decodes back to itself, bit for
//! bit, in each encoding that can hold it; and the json encoder refuses,
//! with the specified code, exactly the values it cannot hold. For each
//! envelope: ndarray, scipy.sparse, torch.tensor (all nested encodings)
//! and sklearn.estimator; and for each, value → frame → value, the frame
//! holding every valid value and being written the same way again.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use sciwire::dtype::Unit;
use sciwire::value::{Estimator, Sparse, SparseFormat, Tensor, TypedJson};
use sciwire::{Code, Dtype, Encoding, Limits, NdArray, Value};

fn dtypes() -> impl Strategy<Value = Dtype> {
    let units = prop_oneof![Just(Unit::S), Just(Unit::Ms), Just(Unit::Us), Just(Unit::Ns)];
    prop_oneof![
        Just(Dtype::Bool),
        Just(Dtype::Int8),
        Just(Dtype::Int16),
        Just(Dtype::Int32),
        Just(Dtype::Int64),
        Just(Dtype::UInt8),
        Just(Dtype::UInt16),
        Just(Dtype::UInt32),
        Just(Dtype::UInt64),
        Just(Dtype::Float16),
        Just(Dtype::Float32),
        Just(Dtype::Float64),
        Just(Dtype::Date),
        units.clone().prop_map(Dtype::Datetime),
        units.prop_map(Dtype::Timedelta),
        (1u64..5).prop_map(Dtype::Unicode),
        (1u64..5).prop_map(Dtype::Bytes),
    ]
}

/// Bytes of one valid element of `dtype`.
fn element(dtype: Dtype) -> BoxedStrategy<Vec<u8>> {
    match dtype {
        Dtype::Bool => prop_oneof![Just(vec![0u8]), Just(vec![1u8])].boxed(),
        Dtype::Date => any::<i32>().prop_map(|d| i64::from(d).to_le_bytes().to_vec()).boxed(),
        Dtype::Unicode(n) => proptest::collection::vec(any::<char>().prop_map(u32::from), n as usize)
            .prop_map(|units| units.iter().flat_map(|u| u.to_le_bytes()).collect())
            .boxed(),
        // Small values and special bit patterns are both likely.
        Dtype::Float64 => prop_oneof![
            any::<f64>().prop_map(|f| f.to_le_bytes().to_vec()),
            any::<u64>().prop_map(|b| b.to_le_bytes().to_vec()),
            (-1000i32..1000).prop_map(|i| f64::from(i).to_le_bytes().to_vec()),
        ]
        .boxed(),
        d => proptest::collection::vec(any::<u8>(), d.itemsize() as usize).boxed(),
    }
}

fn arrays() -> impl Strategy<Value = NdArray> {
    (dtypes(), proptest::collection::vec(0u64..4, 0..4)).prop_flat_map(|(dtype, shape)| {
        let count = shape.iter().product::<u64>() as usize;
        proptest::collection::vec(element(dtype), count)
            .prop_map(move |els| NdArray { dtype, shape: shape.clone(), data: els.concat() })
    })
}

/// Whether every element has a json form, or the code the encoder must refuse with.
fn json_refusal(a: &NdArray) -> Option<Code> {
    if !a.dtype.json_allowed() {
        return Some(Code::DtypeUnsupported);
    }
    elements_refusal(a.dtype, &a.data)
}

/// `E_VALUE_DOMAIN` when an element of a json-capable dtype has no json form.
fn elements_refusal(dtype: Dtype, data: &[u8]) -> Option<Code> {
    let w = dtype.itemsize() as usize;
    let bad = data.chunks_exact(w).any(|el| {
        let mut b = [0u8; 8];
        b[..w].copy_from_slice(el);
        match dtype {
            Dtype::Float16 => !half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).is_finite(),
            Dtype::Float32 => !f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite(),
            Dtype::Float64 => !f64::from_le_bytes(b).is_finite(),
            Dtype::Int64 => i64::from_le_bytes(b).unsigned_abs() > (1 << 53) - 1,
            Dtype::UInt64 => u64::from_le_bytes(b) > (1 << 53) - 1,
            _ => false,
        }
    });
    bad.then_some(Code::ValueDomain)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arrow_round_trips_bit_for_bit(a in arrays()) {
        let v = Value::NdArray(a);
        let env = sciwire::encode(&v, Encoding::Arrow).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = sciwire::decode(&env, &Limits::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, v);
    }

    #[test]
    fn json_round_trips_or_refuses_with_the_specified_code(a in arrays()) {
        let refusal = json_refusal(&a);
        let v = Value::NdArray(a);
        match (sciwire::encode(&v, Encoding::Json), refusal) {
            (Ok(env), None) => {
                let back = sciwire::decode(&env, &Limits::default())
                    .map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&env))))?;
                prop_assert_eq!(back, v);
            }
            (Err(e), Some(code)) => prop_assert_eq!(e.code(), code),
            (got, want) => prop_assert!(false, "encode gave {:?}, expected refusal {:?}", got, want),
        }
    }

    #[test]
    fn canonical_form_round_trips(a in arrays()) {
        let v = Value::NdArray(a);
        prop_assert_eq!(Value::from_canonical(&v.to_canonical()).ok(), Some(v));
    }
}

// ---------------------------------------------------------------- scipy.sparse

/// The dtypes a sparse matrix holds: the library's own rule, not a copy of it.
fn sparse_dtypes() -> impl Strategy<Value = Dtype> {
    dtypes().prop_filter("a dtype scipy.sparse holds", |d| Sparse::holds(*d))
}

/// Index arrays that keep the sparse page's rules, for `nnz` entries:
/// duplicates and unsorted indices included.
fn sparse_formats(shape: [u64; 2]) -> BoxedStrategy<(SparseFormat, usize)> {
    let [rows, cols] = shape;
    let coo = if rows == 0 || cols == 0 {
        Just((SparseFormat::Coo { row: vec![], col: vec![] }, 0)).boxed()
    } else {
        proptest::collection::vec((0..rows, 0..cols), 0..8)
            .prop_map(|entries| {
                let n = entries.len();
                let (row, col) = entries.into_iter().unzip();
                (SparseFormat::Coo { row, col }, n)
            })
            .boxed()
    };
    let compressed = |major: u64, minor: u64, csr: bool| {
        // a line of a matrix with no minor dimension holds nothing
        let line = if minor == 0 { Just(Vec::new()).boxed() } else { proptest::collection::vec(0..minor, 0..4).boxed() };
        proptest::collection::vec(line, major as usize).prop_map(move |lines| {
            let mut indptr = vec![0u64];
            let mut indices = Vec::new();
            for l in lines {
                indices.extend(l);
                indptr.push(indices.len() as u64);
            }
            let n = indices.len();
            (if csr { SparseFormat::Csr { indices, indptr } } else { SparseFormat::Csc { indices, indptr } }, n)
        })
    };
    prop_oneof![coo, compressed(rows, cols, true), compressed(cols, rows, false)].boxed()
}

fn sparse_matrices() -> impl Strategy<Value = Sparse> {
    (sparse_dtypes(), 0u64..4, 0u64..4).prop_flat_map(|(dtype, rows, cols)| {
        sparse_formats([rows, cols]).prop_flat_map(move |(format, nnz)| {
            proptest::collection::vec(element(dtype), nnz)
                .prop_map(move |els| Sparse { dtype, shape: [rows, cols], data: els.concat(), format: format.clone() })
        })
    })
}

// ---------------------------------------------------------------- torch.tensor

fn tensors() -> impl Strategy<Value = Tensor> {
    let devices = proptest::option::of(prop_oneof![Just("cuda:0".to_string()), Just("mps".to_string()), "\\PC{1,6}"]);
    let plain = arrays().prop_filter("a torch dtype", |a| a.dtype.torch_name().is_some());
    let bfloat16 = proptest::collection::vec(0u64..4, 0..3).prop_flat_map(|shape| {
        let count = shape.iter().product::<u64>() as usize;
        proptest::collection::vec(any::<u16>(), count).prop_map(move |highs| NdArray {
            dtype: Dtype::Float32,
            shape: shape.clone(),
            // the upper 16 bits of a float32: a bfloat16 value
            data: highs.iter().flat_map(|h| (u32::from(*h) << 16).to_le_bytes()).collect(),
        })
    });
    prop_oneof![
        (plain, devices.clone()).prop_map(|(array, source_device)| Tensor { array, from_bfloat16: false, source_device }),
        (bfloat16, devices).prop_map(|(array, source_device)| Tensor { array, from_bfloat16: true, source_device }),
    ]
}

// ---------------------------------------------------------------- sklearn.estimator

fn typed_leaves() -> impl Strategy<Value = TypedJson> {
    let safe = (1i64 << 53) - 1;
    prop_oneof![
        Just(TypedJson::Null),
        any::<bool>().prop_map(TypedJson::Bool),
        (-safe..=safe).prop_map(TypedJson::Int),
        (-1000i64..1000).prop_map(TypedJson::Int),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(TypedJson::Float),
        prop_oneof![Just(0.0), Just(-0.0), Just(1.0), Just(1e-6), Just(0.1), Just(1e300), Just(f64::MIN_POSITIVE)].prop_map(TypedJson::Float),
        "\\PC{0,8}".prop_map(TypedJson::String),
    ]
}

/// Object members sorted by name, names unique (as a decoder returns them);
/// no name is long enough to be `__tywrap__`.
fn members(node: impl Strategy<Value = TypedJson>) -> impl Strategy<Value = Vec<(String, TypedJson)>> {
    proptest::collection::btree_map("[a-z_]{1,4}|\\PC{1,3}", node, 0..5).prop_map(|m| m.into_iter().collect())
}

fn typed_trees() -> impl Strategy<Value = TypedJson> + Clone {
    typed_leaves().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(TypedJson::Array),
            members(inner).prop_map(TypedJson::Object),
        ]
    })
}

fn estimators() -> impl Strategy<Value = Estimator> {
    (
        "[A-Za-z_][A-Za-z0-9_]{0,12}",
        "[A-Za-z_][A-Za-z0-9_]{0,6}(\\.[A-Za-z_][A-Za-z0-9_]{0,6}){0,3}",
        proptest::option::of("[0-9a-z.+]{1,8}"),
        members(typed_trees()),
    )
        .prop_map(|(class_name, module, version, params)| Estimator { class_name, module, version, params })
}

fn round_trip(v: &Value, encoding: Encoding) -> Result<(), TestCaseError> {
    let env = sciwire::encode(v, encoding).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let shown = String::from_utf8_lossy(&env).into_owned();
    let back = sciwire::decode(&env, &Limits::default()).map_err(|e| TestCaseError::fail(format!("{e}: {shown}")))?;
    prop_assert_eq!(&back, v, "{}", shown);
    let canonical = Value::from_canonical(&v.to_canonical()).ok();
    prop_assert_eq!(canonical.as_ref(), Some(v));
    if encoding == Encoding::Frame {
        // one spelling: the decoded value is written as the same bytes
        prop_assert_eq!(sciwire::encode(&back, Encoding::Frame).ok(), Some(env.clone()));
        // and the view's buffers are the element bytes the value holds
        let view = sciwire::frame::read(&env, &Limits::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let first = view.buffer(0).map(|b| b.bytes().to_vec());
        let want = match v {
            Value::NdArray(a) => Some(a.data.clone()),
            Value::Sparse(s) => Some(s.data.clone()),
            Value::Tensor(t) => Some(t.array.data.clone()),
            _ => None,
        };
        prop_assert_eq!(first, want);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_ndarray_round_trips_through_a_frame(a in arrays()) {
        round_trip(&Value::NdArray(a), Encoding::Frame)?;
    }

    #[test]
    fn every_sparse_matrix_round_trips_through_a_frame(s in sparse_matrices()) {
        // NaN, infinities and integers beyond 2^53 included: a frame holds them
        round_trip(&Value::Sparse(s), Encoding::Frame)?;
    }

    #[test]
    fn every_tensor_round_trips_through_a_frame(t in tensors()) {
        round_trip(&Value::Tensor(t), Encoding::Frame)?;
    }

    #[test]
    fn every_estimator_round_trips_through_a_frame(e in estimators()) {
        round_trip(&Value::Estimator(e), Encoding::Frame)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sparse_round_trips_or_refuses_with_the_specified_code(s in sparse_matrices()) {
        let refusal = elements_refusal(s.dtype, &s.data);
        let v = Value::Sparse(s);
        match refusal {
            None => round_trip(&v, Encoding::Json)?,
            Some(code) => prop_assert_eq!(sciwire::encode(&v, Encoding::Json).err().map(|e| e.code()), Some(code)),
        }
        prop_assert_eq!(sciwire::encode(&v, Encoding::Arrow).err().map(|e| e.code()), Some(Code::EncodingUnsupported));
    }

    #[test]
    fn tensor_round_trips_in_both_nested_encodings(t in tensors()) {
        let refusal = json_refusal(&t.array);
        let v = Value::Tensor(t);
        round_trip(&v, Encoding::Arrow)?;
        match refusal {
            None => round_trip(&v, Encoding::Json)?,
            Some(code) => prop_assert_eq!(sciwire::encode(&v, Encoding::Json).err().map(|e| e.code()), Some(code)),
        }
    }

    #[test]
    fn estimator_round_trips_with_the_kind_of_every_number(e in estimators()) {
        let v = Value::Estimator(e);
        round_trip(&v, Encoding::Json)?;
        prop_assert_eq!(sciwire::encode(&v, Encoding::Arrow).err().map(|e| e.code()), Some(Code::EncodingUnsupported));
    }
}
