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
