//! Property tests: any value encodes and decodes back to itself, bit for
//! bit, in each encoding that can hold it; and the json encoder refuses,
//! with the specified code, exactly the values it cannot hold.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use sciwire::dtype::Unit;
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
    let w = a.dtype.itemsize() as usize;
    let bad = a.data.chunks_exact(w).any(|el| {
        let mut b = [0u8; 8];
        b[..w].copy_from_slice(el);
        match a.dtype {
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
        let back = sciwire::decode(env.as_bytes(), &Limits::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, v);
    }

    #[test]
    fn json_round_trips_or_refuses_with_the_specified_code(a in arrays()) {
        let refusal = json_refusal(&a);
        let v = Value::NdArray(a);
        match (sciwire::encode(&v, Encoding::Json), refusal) {
            (Ok(env), None) => {
                let back = sciwire::decode(env.as_bytes(), &Limits::default())
                    .map_err(|e| TestCaseError::fail(format!("{e}: {env}")))?;
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
