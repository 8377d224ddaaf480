//! Each limit both ways: inside it decodes, one past it is refused with
//! `E_LIMIT_EXCEEDED`; and configurations outside the specified bounds are
//! rejected.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use sciwire::{Code, Limits};

fn code(input: &str, limits: &Limits) -> Option<Code> {
    sciwire::decode(input.as_bytes(), limits).err().map(|e| e.code())
}

fn zeros(shape: &str, n: usize) -> String {
    let data = vec!["0"; n].join(",");
    format!(r#"{{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"uint8","shape":{shape},"data":[{data}]}}"#)
}

#[test]
fn elements() {
    let l = Limits { max_elements: Limits::MIN.max_elements, ..Limits::default() };
    let n = l.max_elements as usize;
    assert_eq!(code(&zeros(&format!("[{n}]"), n), &l), None);
    assert_eq!(code(&zeros(&format!("[{}]", n + 1), n + 1), &l), Some(Code::LimitExceeded));
    // the element limit applies before the payload is read (no data needed),
    // and the product cannot overflow: 2^32 * 2^32 * 2^32
    let d = Limits::default();
    assert_eq!(code(&zeros("[4294967296, 4294967296, 4294967296]", 0), &d), Some(Code::LimitExceeded));
    assert_eq!(code(&zeros("[9007199254740991]", 0), &d), Some(Code::LimitExceeded));
    // entries beyond 2^53-1 are not shapes at all
    assert_eq!(code(&zeros("[4611686018427387904]", 0), &d), Some(Code::ShapeInvalid));
    // a zero anywhere makes the product 0, whatever the rest
    assert_eq!(code(&zeros("[0, 9007199254740991, 9007199254740991]", 0), &d), None);
}

#[test]
fn input_bytes_and_decoded_bytes() {
    let l = Limits { max_input_bytes: Limits::MIN.max_input_bytes, ..Limits::default() };
    let n = (l.max_input_bytes as usize - 120) / 2;
    let doc = zeros(&format!("[{n}]"), n);
    assert!(doc.len() <= l.max_input_bytes as usize);
    assert_eq!(code(&doc, &l), None);
    let doc = zeros(&format!("[{}]", n + 100), n + 100);
    assert_eq!(code(&doc, &l), Some(Code::LimitExceeded));
    // <U{n}: the bytes limit counts itemsize
    let l = Limits::MIN;
    let wide = |w: u64| format!(r#"{{"__tywrap__":"ndarray","codecVersion":1,"encoding":"arrow","dtype":"<U{w}","shape":[1],"b64":""}}"#);
    let max_chars = l.max_decoded_bytes / 4;
    assert_eq!(code(&wide(max_chars), &l), Some(Code::ArrowPayload)); // passes the limit, fails later
    assert_eq!(code(&wide(max_chars + 1), &l), Some(Code::LimitExceeded));
}

#[test]
fn depth_and_ndim() {
    let l = Limits { max_depth: 66, ..Limits::default() };
    let nested = |ndim: usize| {
        format!(
            r#"{{"__tywrap__":"ndarray","codecVersion":1,"encoding":"json","dtype":"bool","shape":[{}],"data":{}true{}}}"#,
            vec!["1"; ndim].join(","),
            "[".repeat(ndim),
            "]".repeat(ndim)
        )
    };
    // the envelope is depth 1, so 64 dimensions of data reach depth 65
    assert_eq!(code(&nested(64), &l), None);
    assert_eq!(code(&nested(65), &l), Some(Code::LimitExceeded));
    let l = Limits { max_ndim: 32, ..Limits::default() };
    assert_eq!(code(&nested(32), &l), None);
    assert_eq!(code(&nested(33), &l), Some(Code::LimitExceeded));
}

#[test]
fn configurations_outside_the_bounds_are_refused() {
    assert_eq!(Limits::default().check(), Ok(()));
    assert_eq!(Limits::MIN.check(), Ok(()));
    assert!(Limits { max_ndim: 65, ..Limits::default() }.check().is_err());
    assert!(Limits { max_depth: 65, ..Limits::default() }.check().is_err());
    assert!(Limits { max_elements: 1 << 53, ..Limits::default() }.check().is_err());
    assert!(Limits { max_decoded_bytes: 1, ..Limits::default() }.check().is_err());
}

fn coo(n: usize) -> String {
    let zeros = vec!["0"; n].join(",");
    format!(
        r#"{{"__tywrap__":"scipy.sparse","codecVersion":1,"encoding":"json","format":"coo","shape":[1,1],"dtype":"float64","data":[{zeros}],"row":[{zeros}],"col":[{zeros}]}}"#
    )
}

#[test]
fn sparse_arrays_are_counted_against_the_element_and_byte_limits() {
    let l = Limits { max_elements: Limits::MIN.max_elements, ..Limits::default() };
    let n = l.max_elements as usize;
    assert_eq!(code(&coo(n), &l), None);
    assert_eq!(code(&coo(n + 1), &l), Some(Code::LimitExceeded));
    // an index array alone past the limit, with a short data array
    let long_col = coo(1).replace(r#""col":[0]"#, &format!(r#""col":[{}]"#, vec!["0"; n + 1].join(",")));
    assert_eq!(code(&long_col, &l), Some(Code::LimitExceeded));
    // nnz times the item size against max_decoded_bytes: float64 is 8 bytes
    let l = Limits { max_decoded_bytes: Limits::MIN.max_decoded_bytes, ..Limits::default() };
    let n = (l.max_decoded_bytes / 8) as usize;
    assert_eq!(code(&coo(n), &l), None);
    assert_eq!(code(&coo(n + 1), &l), Some(Code::LimitExceeded));
    // the shape itself is not limited
    let huge = coo(1).replace("[1,1]", "[9007199254740991,9007199254740991]");
    assert_eq!(code(&huge, &Limits::default()), None);
}

#[test]
fn tensor_limits_apply_to_the_outer_shape_and_the_nested_array() {
    let tensor = |outer: &str, inner: &str| {
        format!(
            r#"{{"__tywrap__":"torch.tensor","codecVersion":1,"encoding":"ndarray","dtype":"torch.uint8","shape":{outer},"device":"cpu",
               "value":{{"__tywrap__":"ndarray","codecVersion":1,"encoding":"arrow","dtype":"uint8","shape":{inner},"b64":""}}}}"#
        )
    };
    let d = Limits::default();
    let dims = |n: usize| format!("[{}]", vec!["1"; n].join(","));
    assert_eq!(code(&tensor(&dims(64), "[0]"), &d), Some(Code::ArrowPayload)); // passes the limits, fails later
    assert_eq!(code(&tensor(&dims(65), "[0]"), &d), Some(Code::LimitExceeded));
    let err = sciwire::decode(tensor("[1]", "[1099511627776, 1099511627776]").as_bytes(), &d).err();
    assert_eq!(err.as_ref().map(|e| e.code()), Some(Code::LimitExceeded));
    assert_eq!(err.as_ref().and_then(|e| e.path()), Some("/value/shape"));
}

#[test]
fn estimator_params_nest_up_to_the_depth_limit() {
    let l = Limits { max_depth: 66, ..Limits::default() };
    let params = |depth: usize| {
        format!(
            r#"{{"__tywrap__":"sklearn.estimator","codecVersion":1,"encoding":"json","className":"A","module":"m","version":null,"params":{{"a":{}1{}}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    // the envelope is depth 1 and params 2, so 64 arrays reach depth 66
    assert_eq!(code(&params(64), &l), None);
    assert_eq!(code(&params(65), &l), Some(Code::LimitExceeded));
    // the walk over params keeps its own stack: a deep tree costs no recursion
    let deep = Limits { max_depth: 20_000, ..Limits::default() };
    let decoding = std::thread::Builder::new().stack_size(8 << 20).spawn(move || code(&params(10_000), &deep)).unwrap();
    assert_eq!(decoding.join().ok(), Some(None));
}

#[test]
fn the_flame_profile_applies_every_limit() {
    use sciwire::flame::{self, FlameEncoding};
    use sciwire::{Dtype, NdArray, Value};
    let frame = |dtype: Dtype, n: u64| {
        let a = NdArray { dtype, shape: vec![n], data: vec![0; (n * dtype.itemsize()) as usize] };
        flame::encode(&Value::NdArray(a), FlameEncoding::Tensor).unwrap()
    };
    let code = |input: &[u8], limits: &Limits| flame::decode(input, limits).err().map(|e| (e.code(), e.clause()));
    // limits.elements
    let l = Limits { max_elements: Limits::MIN.max_elements, ..Limits::default() };
    assert_eq!(code(&frame(Dtype::UInt8, l.max_elements), &l), None);
    assert_eq!(code(&frame(Dtype::UInt8, l.max_elements + 1), &l), Some((Code::LimitExceeded, "limits.elements")));
    // limits.decoded-bytes
    let l = Limits { max_decoded_bytes: Limits::MIN.max_decoded_bytes, ..Limits::default() };
    let n = l.max_decoded_bytes / 8;
    assert_eq!(code(&frame(Dtype::Float64, n), &l), None);
    assert_eq!(code(&frame(Dtype::Float64, n + 1), &l), Some((Code::LimitExceeded, "limits.decoded-bytes")));
    // limits.input-bytes, before anything else
    let l = Limits::MIN;
    let big = frame(Dtype::UInt8, l.max_input_bytes);
    assert_eq!(code(&big, &l), Some((Code::LimitExceeded, "limits.input-bytes")));
    assert_eq!(code(&big[..l.max_input_bytes as usize], &l).map(|c| c.1), Some("flame.tensor.message"));
    // limits.ndim
    let a = NdArray { dtype: Dtype::Int8, shape: vec![1; 33], data: vec![0] };
    let f = flame::encode(&Value::NdArray(a), FlameEncoding::Tensor).unwrap();
    assert_eq!(code(&f, &Limits::default()), None);
    assert_eq!(code(&f, &Limits::MIN), Some((Code::LimitExceeded, "limits.ndim")));
}
