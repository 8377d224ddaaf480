"""The `ndarray` envelope: its valid, equivalence and encode vectors, and build(S) for all of it.

Valid vectors are built the way tywrap 0.10's Python producer builds envelopes (numpy + pyarrow,
ndarray_producer.py). Invalid vectors (ndarray_invalid.py, and for Arrow payloads
ndarray_invalid_arrow.py) are mutations of that output (`source.mutation`) or hand-written
hostile input (`source.handWritten`). Deterministic: no network, no clock, no unseeded randomness.
"""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pyarrow as pa

from .arrowbytes import i64, messages, patch, rb_body, rb_buffers, rb_field_nodes
from .common import MAX_SAFE, Suite, dtype_row, dumps_env, hand, uniq, with_, without, py_json
from .ndarray_invalid import differential_vectors, invalid_vectors
from .ndarray_invalid_arrow import arrow_invalid_vectors
from .ndarray_producer import LIBRARIES  # noqa: F401 - this envelope's LIBRARIES, read by common
from .ndarray_producer import (arrow_env, canon, column_stream, env_arrow_raw, env_json_raw,
                               json_env, producer_payload, run, src, write_stream)

# The envelope module's header, read by common.load_envelopes without importing this module.
MARKER = "ndarray"
ID_PREFIX = "ndarray-"
REQUIRES = ("numpy", "pyarrow")


def build(S: Suite):
    """Add every ndarray vector to S (encode vectors reuse valid ones: they come last)."""
    valid_vectors(S)
    invalid_vectors(S)
    arrow_invalid_vectors(S)
    differential_vectors(S)
    encode_vectors(S)
    from .ndarray_frame import frame_vectors  # frames: valid, groups, encode, invalid
    frame_vectors(S)


# ----------------------------------------------------------------------------------------------
# Sanity decoding of valid vectors with numpy/pyarrow (guards the generator, not the spec)
# ----------------------------------------------------------------------------------------------



def _numpy_from_leaves(data, shape, dtype):
    flat = []

    def walk(x):
        if isinstance(x, list):
            for y in x:
                walk(y)
        else:
            flat.append(x)
    walk(data)
    if np.dtype(dtype).kind in "iu":
        flat = [int(v) for v in flat]  # -0.0 and 2.0 are integers
    return np.array(flat, dtype=dtype).reshape(shape)


def sanity_decode(vid, inp, value):
    if "base64" in inp:  # a frame (ndarray_frame.py)
        from .ndarray_frame import sanity_decode_frame
        return sanity_decode_frame(vid, inp, value)
    if "json" in inp:
        env = inp["json"]
    elif "text" in inp:
        env = py_json(inp["text"])
    else:
        raise AssertionError(vid)
    dtype = env.get("dtype", value["dtype"])
    assert dtype == value["dtype"], vid
    if env["encoding"] == "json":
        shape = [int(v) for v in env.get("shape", value["shape"])]
        a = _numpy_from_leaves(env["data"], shape, dtype)
    else:
        table = pa.ipc.open_stream(base64.b64decode(env["b64"], validate=True)).read_all()
        shape = env.get("shape", [table.num_rows])
        if 0 in shape:
            assert table.num_rows == 0 and value["hex"] == "" and value["shape"] == shape, vid
            return
        col = table.column(0).combine_chunks() if table.num_rows else table.column(0)
        if np.dtype(dtype).kind in "US":
            vals = col.to_pylist()
            a = np.array(vals, dtype=dtype) if vals else np.zeros((0,), dtype=dtype)
        else:
            a = col.to_numpy(zero_copy_only=False).astype(dtype)
        got = np.ascontiguousarray(a.reshape(shape)).astype(
            np.dtype(dtype).newbyteorder("<")).tobytes().hex()
        assert got == value["hex"], f"{vid}: pyarrow reads {got[:64]}, expected {value['hex'][:64]}"
        return
    got = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes().hex()
    assert got == value["hex"], f"{vid}: numpy reads {got[:64]}, expected {value['hex'][:64]}"
    assert list(shape) == value["shape"], vid


# ----------------------------------------------------------------------------------------------
# Clause lists
# ----------------------------------------------------------------------------------------------

TEXT_OK = ["limits.input-bytes", "json.utf8", "json.syntax", "json.depth", "json.duplicate-keys",
           "json.numbers", "limits.depth"]
ENVELOPE_OK = ["envelope.object", "envelope.marker", "envelope.codec-version", "envelope.encoding",
               "envelope.unknown-fields", "envelope.field-types", "envelope.required-fields",
               "ndarray.encodings", "ndarray.members", "ndarray.required"]
SHAPE_OK = ["ndarray.shape.items", "ndarray.shape.elements", "limits.ndim", "limits.elements",
            "limits.decoded-bytes"]
CANON = ["canonical.ndarray", "canonical.ndarray.bytes", "canonical.ndarray.lowercase"]
ARROW_ALL = (TEXT_OK + ENVELOPE_OK + ["ndarray.dtype.table"] + SHAPE_OK +
             ["ndarray.arrow.base64", "ndarray.arrow.stream", "ndarray.arrow.batches",
              "ndarray.arrow.schema", "ndarray.arrow.type", "ndarray.arrow.length",
              "ndarray.arrow.nulls", "ndarray.arrow.elements"] + CANON)
JSON_ALL = (TEXT_OK + ENVELOPE_OK + ["ndarray.dtype.table"] + SHAPE_OK +
            ["ndarray.json.dtypes", "ndarray.json.nesting", "ndarray.json.values",
             "ndarray.json.elements"] + CANON)
ARROW_BASE = ["ndarray.arrow.elements", "ndarray.arrow.type", "ndarray.dtype.table",
              "canonical.ndarray.bytes"]
JSON_BASE = ["ndarray.json.elements", "ndarray.json.values", "ndarray.json.dtypes",
             "ndarray.dtype.table", "canonical.ndarray.bytes"]


def dtype_clauses(a):
    return ["ndarray.arrow.strings"] if a.dtype.kind in "US" else []


# ----------------------------------------------------------------------------------------------
# Valid vectors
# ----------------------------------------------------------------------------------------------

ARROW_DTYPES = [
    # (id suffix, expression, description)
    ("bool", "np.array([True, False, True])", "bool 1-D of three"),
    ("bool-10", "np.array([i % 3 == 0 for i in range(10)])", "bool of ten, two bitmap bytes"),
    ("int8-extremes", "np.array([-128, -1, 0, 1, 127], dtype=np.int8)", "int8 min, -1, 0, 1, max"),
    ("int16-extremes", "np.array([-32768, -1, 0, 1, 32767], dtype=np.int16)",
     "int16 min, -1, 0, 1, max"),
    ("int32-extremes", "np.array([-2**31, -1, 0, 1, 2**31 - 1], dtype=np.int32)",
     "int32 min, -1, 0, 1, max"),
    ("int64-extremes", "np.array([-2**63, -1, 0, 1, 2**63 - 1], dtype=np.int64)",
     "int64 min, -1, 0, 1, max"),
    ("uint8-extremes", "np.array([0, 1, 255], dtype=np.uint8)", "uint8 0, 1, max"),
    ("uint16-extremes", "np.array([0, 1, 65535], dtype=np.uint16)", "uint16 0, 1, max"),
    ("uint32-extremes", "np.array([0, 1, 2**32 - 1], dtype=np.uint32)", "uint32 0, 1, max"),
    ("uint64-extremes", "np.array([0, 1, 2**64 - 1], dtype=np.uint64)", "uint64 0, 1, max"),
    ("float16", "np.array([1.5, -2.25, 0.0], dtype=np.float16)", "float16 1.5, -2.25, 0"),
    ("float16-extremes", "np.array([65504, -65504, 2**-24, 2**-14, -0.0], dtype=np.float16)",
     "float16 max, -max, smallest subnormal, smallest normal, -0.0"),
    ("float16-nan-inf", "np.array([np.nan, np.inf, -np.inf], dtype=np.float16)",
     "float16 NaN, +Inf, -Inf"),
    ("float32-2x3", "np.arange(6, dtype=np.float32).reshape(2, 3)", "float32 2x3 from arange"),
    ("float32-extremes",
     "np.array([np.finfo(np.float32).max, -np.finfo(np.float32).max, np.finfo(np.float32).tiny, "
     "np.finfo(np.float32).smallest_subnormal, -0.0], dtype=np.float32)",
     "float32 max, -max, smallest normal, smallest subnormal, -0.0"),
    ("float32-nan-inf", "np.array([np.nan, np.inf, -np.inf], dtype=np.float32)",
     "float32 NaN, +Inf, -Inf"),
    ("float64-2x3", "np.arange(6.0).reshape(2, 3)", "float64 2x3 from arange"),
    ("float64-extremes",
     "np.array([np.finfo(np.float64).max, -np.finfo(np.float64).max, np.finfo(np.float64).tiny, "
     "5e-324, -5e-324, -0.0, 0.0])",
     "float64 max, -max, smallest normal, +-smallest subnormal, -0.0, 0.0"),
    ("float64-nan", "np.array([np.nan, 1.0])", "float64 numpy's default quiet NaN"),
    ("float64-nan-payload", "np.array([0x7ff0000000000001], dtype='<u8').view('<f8')",
     "float64 signalling NaN with payload 1 keeps its bits"),
    ("float64-nan-negative", "np.array([-np.nan])", "float64 NaN with the sign bit set"),
    ("float64-inf", "np.array([np.inf, -np.inf])", "float64 +Inf and -Inf"),
    ("datetime64-s",
     "np.array(['1970-01-01T00:00:00', '2024-01-02T03:04:05', '1969-12-31T23:59:59'], "
     "dtype='datetime64[s]')", "datetime64[s] epoch, 2024, one second before epoch"),
    ("datetime64-ms", "np.array(['2024-01-02T03:04:05.123', '1900-01-01T00:00:00.000'], "
     "dtype='datetime64[ms]')", "datetime64[ms] with milliseconds, before epoch"),
    ("datetime64-us", "np.array(['2024-01-02T03:04:05.123456'], dtype='datetime64[us]')",
     "datetime64[us] with microseconds"),
    ("datetime64-ns", "np.array(['2024-01-02T03:04:05.123456789', '1970-01-01T00:00:00'], "
     "dtype='datetime64[ns]')", "datetime64[ns] with nanoseconds"),
    ("datetime64-ns-extremes", "np.array([-2**63 + 1, 2**63 - 1]).astype('datetime64[ns]')",
     "datetime64[ns] smallest and largest non-NaT values"),
    ("datetime64-d", "np.array(['1970-01-01', '2024-02-29', '1900-01-01'], dtype='datetime64[D]')",
     "datetime64[D] as Date32, widened to int64 days"),
    ("datetime64-d-extremes", "np.array([-2**31, 2**31 - 1]).astype('datetime64[D]')",
     "datetime64[D] at the ends of the Date32 range"),
    ("timedelta64-s", "np.array([0, 5, -3], dtype='timedelta64[s]')", "timedelta64[s] 0, 5, -3"),
    ("timedelta64-ms", "np.array([0, 5, -3], dtype='timedelta64[ms]')",
     "timedelta64[ms] 0, 5, -3"),
    ("timedelta64-us", "np.array([86400000000], dtype='timedelta64[us]')",
     "timedelta64[us] one day"),
    ("timedelta64-ns", "np.array([-2**63 + 1, 2**63 - 1]).astype('timedelta64[ns]')",
     "timedelta64[ns] smallest and largest non-NaT values"),
    ("str-mixed", "np.array(['a', 'h\u00e9llo', ''])", "<U5 with ASCII, non-ASCII and empty string"),
    ("str-emoji", "np.array(['\U0001f600', 'x'])", "<U1 holding an emoji (one code point, 4 UTF-8 bytes)"),
    ("str-emoji-2", "np.array(['\U0001f600\U0001f600', '\u00e9'])",
     "<U2 at full width with two emoji"),
    ("str-2x2", "np.array([['ab', 'c'], ['', 'd']])", "<U2 2x2 with an empty element"),
    ("str-cjk-combining", "np.array(['\u4e2d\u6587', 'e\u0301'])",
     "<U2 CJK and a combining accent (two code points)"),
    ("bytes", "np.array([b'ab', b'', b'\\xff\\xfe'])", "|S2 with empty and non-UTF-8 bytes"),
    ("bytes-1", "np.array([b'x'])", "|S1 single element"),
]

JSON_DTYPES = [
    ("bool", "np.array([True, False, True])", "bool 1-D of three"),
    ("int8-extremes", "np.array([-128, -1, 0, 1, 127], dtype=np.int8)", "int8 min, -1, 0, 1, max"),
    ("int16-extremes", "np.array([-32768, -1, 0, 1, 32767], dtype=np.int16)",
     "int16 min, -1, 0, 1, max"),
    ("int32-extremes", "np.array([-2**31, -1, 0, 1, 2**31 - 1], dtype=np.int32)",
     "int32 min, -1, 0, 1, max"),
    ("int64-safe", "np.array([-(2**53 - 1), -1, 0, 1, 2**53 - 1], dtype=np.int64)",
     "int64 at +-(2^53-1), the widest JSON range"),
    ("uint8-extremes", "np.array([0, 1, 255], dtype=np.uint8)", "uint8 0, 1, max"),
    ("uint16-extremes", "np.array([0, 1, 65535], dtype=np.uint16)", "uint16 0, 1, max"),
    ("uint32-extremes", "np.array([0, 1, 2**32 - 1], dtype=np.uint32)", "uint32 0, 1, max"),
    ("uint64-safe", "np.array([0, 1, 2**53 - 1], dtype=np.uint64)", "uint64 up to 2^53-1"),
    ("float16", "np.array([1.5, -2.25, 0.0], dtype=np.float16)", "float16 1.5, -2.25, 0"),
    ("float16-extremes", "np.array([65504, -65504, 2**-24, 2**-14, -0.0], dtype=np.float16)",
     "float16 max, -max, smallest subnormal, smallest normal, -0.0"),
    ("float32-2x3", "np.arange(6, dtype=np.float32).reshape(2, 3)", "float32 2x3 from arange"),
    ("float32-extremes",
     "np.array([np.finfo(np.float32).max, -np.finfo(np.float32).max, np.finfo(np.float32).tiny, "
     "np.finfo(np.float32).smallest_subnormal, -0.0], dtype=np.float32)",
     "float32 max, -max, smallest normal, smallest subnormal, -0.0"),
    ("float32-tenth", "np.array([0.1, 1 / 3], dtype=np.float32)",
     "float32 nearest to 0.1 and 1/3, written as exact float64 digits"),
    ("float64-2x3", "np.arange(6.0).reshape(2, 3)", "float64 2x3 from arange"),
    ("float64-extremes",
     "np.array([np.finfo(np.float64).max, -np.finfo(np.float64).max, np.finfo(np.float64).tiny, "
     "5e-324, -5e-324, -0.0, 0.0])",
     "float64 max, -max, smallest normal, +-smallest subnormal, -0.0, 0.0"),
]

SHAPES = [
    # (id suffix, expression, description, encodings)
    ("float64-0d", "np.array(3.5)", "float64 0-d scalar", "aj"),
    ("int32-0d", "np.array(7, dtype=np.int32)", "int32 0-d scalar", "aj"),
    ("bool-0d", "np.array(True)", "bool 0-d scalar", "aj"),
    ("datetime64-ms-0d", "np.array('2024-01-02T03:04:05.678', dtype='datetime64[ms]')",
     "datetime64[ms] 0-d scalar", "a"),
    ("str-0d", "np.array('h\u00e9llo')", "<U5 0-d scalar", "a"),
    ("uint8-empty", "np.zeros((0,), dtype=np.uint8)", "uint8 empty 1-D (0,)", "aj"),
    ("float64-0x3", "np.zeros((0, 3))", "float64 empty (0, 3)", "aj"),
    ("int16-3x0", "np.zeros((3, 0), dtype=np.int16)", "int16 empty (3, 0)", "aj"),
    ("float32-2x0x4", "np.zeros((2, 0, 4), dtype=np.float32)", "float32 empty (2, 0, 4)", "aj"),
    ("str-empty", "np.zeros((0,), dtype='<U3')", "<U3 empty 1-D", "a"),
    ("int64-1d", "np.arange(5)", "int64 1-D from arange", "aj"),
    ("float64-1d-6", "np.arange(6.0)", "float64 1-D of six from arange", "aj"),
    ("int32-3d", "np.arange(24, dtype=np.int32).reshape(2, 3, 4)", "int32 3-D 2x3x4", "aj"),
    ("int16-5d", "np.arange(32, dtype=np.int16).reshape(2, 2, 2, 2, 2)", "int16 5-D 2x2x2x2x2",
     "aj"),
    ("uint8-5d-ones", "np.arange(6, dtype=np.uint8).reshape(1, 2, 1, 3, 1)",
     "uint8 5-D with unit dimensions 1x2x1x3x1", "aj"),
    ("int8-64d", "np.ones((1,) * 64, dtype=np.int8)", "int8 with 64 dimensions of 1, the ndim limit",
     "aj"),
    ("int32-2x3", "np.arange(6, dtype=np.int32).reshape(2, 3)", "int32 2x3 C-ordered", "aj"),
    ("int32-2x3-fortran", "np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3))",
     "int32 2x3 from a Fortran-ordered source", "aj"),
    ("int32-transposed", "np.arange(6, dtype=np.int32).reshape(3, 2).T",
     "int32 2x3 from a transposed view", "aj"),
    ("int32-transposed-copy", "np.array([[0, 2, 4], [1, 3, 5]], dtype=np.int32)",
     "int32 2x3 C copy of the transposed view", "aj"),
    ("int64-sliced", "np.arange(24).reshape(4, 6)[::2, 1::2]",
     "int64 2x3 from a sliced non-contiguous source", "aj"),
    ("int64-sliced-copy", "np.array([[1, 3, 5], [13, 15, 17]])",
     "int64 2x3 C copy of the sliced source", "aj"),
    ("float64-reversed", "np.arange(5.0)[::-1]", "float64 1-D from a negative-stride view", "aj"),
    ("float64-reversed-copy", "np.array([4.0, 3.0, 2.0, 1.0, 0.0])",
     "float64 1-D C copy of the reversed view", "aj"),
    ("int64-reversed-2d", "np.arange(6).reshape(2, 3)[::-1, ::-1]",
     "int64 2x3 reversed on both axes", "aj"),
    ("int64-reversed-2d-copy", "np.array([[5, 4, 3], [2, 1, 0]])",
     "int64 2x3 C copy of the doubly reversed view", "aj"),
    ("str-fortran", "np.asfortranarray(np.array([['a', 'bc'], ['d', '\u00e9']]))",
     "<U2 2x2 from a Fortran-ordered source", "a"),
    ("str-fortran-copy", "np.array([['a', 'bc'], ['d', '\u00e9']])", "<U2 2x2 C-ordered", "a"),
]


def add_valid_arrow(S, vid, description, expr, clauses=(), tags=None, row=False):
    """A valid arrow vector; with `row`, it also cites its dtype's row of [ndarray.arrow.type]."""
    a = run(expr)
    rows = [f"ndarray.arrow.type[{dtype_row(a.dtype)}]"] if row else []
    S.valid(vid, description, uniq(list(clauses) + ARROW_BASE + dtype_clauses(a) + rows),
            {"json": arrow_env(a)}, canon(a), src(expr), tags)
    return a


def add_valid_json(S, vid, description, expr, clauses=(), tags=None):
    a = run(expr)
    S.valid(vid, description, uniq(list(clauses) + JSON_BASE), {"json": json_env(a)}, canon(a),
            src(expr), tags)
    return a


def valid_vectors(S: Suite):
    for suffix, expr, desc in ARROW_DTYPES:
        extra = ["ndarray.arrow.nulls"] if "nan" in suffix else []
        if suffix == "float64-2x3":  # the example of vectors.md
            extra = ARROW_ALL + ["vector.id", "vector.clauses", "vector.input", "vector.expect",
                                 "vector.source"]
        add_valid_arrow(S, f"ndarray-arrow-{suffix}", f"arrow {desc}", expr, extra, row=True)
    for suffix, expr, desc in JSON_DTYPES:
        extra = JSON_ALL + ["vector.equivalent"] if suffix == "float64-2x3" else []
        add_valid_json(S, f"ndarray-json-{suffix}", f"json {desc}", expr, extra)
    for suffix, expr, desc, encs in SHAPES:
        shape_cl = ["ndarray.shape.items", "ndarray.shape.elements"]
        if "fortran" in suffix or "transposed" in suffix or "sliced" in suffix or \
                "reversed" in suffix:
            shape_cl = ["ndarray.encode.c-order"] + shape_cl
        if "64d" in suffix:
            shape_cl = ["limits.ndim", "limits.conformance-defaults"] + shape_cl
        if "a" in encs:
            add_valid_arrow(S, f"ndarray-arrow-{suffix}", f"arrow {desc}", expr,
                            shape_cl + ["ndarray.arrow.length", "ndarray.arrow.batches"])
        if "j" in encs:
            add_valid_json(S, f"ndarray-json-{suffix}", f"json {desc}", expr,
                           shape_cl + ["ndarray.json.nesting"])

    text_vectors(S)
    legacy_vectors(S)
    arrow_variant_vectors(S)
    extension_vectors(S)
    boundary_vectors(S)
    equivalence_groups(S)


def equivalence_groups(S: Suite):
    """Groups over vectors made above: same value in both encodings, and layouts vs C copies."""
    json_exprs = {suffix: expr for suffix, expr, _ in JSON_DTYPES}
    for suffix, expr, desc in ARROW_DTYPES:
        if json_exprs.get(suffix) == expr and suffix != "float64-2x3":
            S.group(f"eq-ndarray-{suffix}-encodings", f"{desc} in arrow and json",
                    [f"ndarray-arrow-{suffix}", f"ndarray-json-{suffix}"])
    done = {"float64-0d", "int64-1d", "uint8-empty", "float64-1d-6"}
    for suffix, expr, desc, encs in SHAPES:
        if encs == "aj" and suffix not in done and not suffix.endswith("-copy") and \
                "fortran" not in suffix:
            S.group(f"eq-ndarray-{suffix}-encodings", f"{desc} in arrow and json",
                    [f"ndarray-arrow-{suffix}", f"ndarray-json-{suffix}"])
    for base, others, desc in [
            ("int32-2x3", ["int32-2x3-fortran"], "int32 2x3 from C- and Fortran-ordered sources"),
            ("int32-transposed-copy", ["int32-transposed"], "transposed view and its C copy"),
            ("int64-sliced-copy", ["int64-sliced"], "sliced non-contiguous view and its C copy"),
            ("float64-reversed-copy", ["float64-reversed"], "negative-stride view and its C copy"),
            ("int64-reversed-2d-copy", ["int64-reversed-2d"], "doubly reversed view and its C copy")]:
        members = [f"ndarray-{e}-{n}" for n in [base] + others for e in ("arrow", "json")]
        S.group(f"eq-ndarray-{base.replace('-copy', '')}-layouts", desc, members)
    S.group("eq-ndarray-str-fortran-layouts", "<U2 2x2 from Fortran- and C-ordered sources",
            ["ndarray-arrow-str-fortran-copy", "ndarray-arrow-str-fortran"])
    for v0, plain in [("float16", "float16"), ("float32", "float32-2x3"), ("uint8", "uint8-extremes"),
                      ("int8", "int8-extremes"), ("uint64", "uint64-extremes"),
                      ("datetime64-ns", "datetime64-ns"), ("datetime64-s", "datetime64-s"),
                      ("timedelta64-ms", "timedelta64-ms")]:
        S.group(f"eq-ndarray-v0-{v0}-no-dtype", f"{v0} with dtype given or recovered from the Arrow type",
                [f"ndarray-arrow-{plain}", f"ndarray-v0-arrow-{v0}-no-dtype"])


def text_vectors(S: Suite):
    """Spellings of one JSON value that decode identically (json.numbers, escapes, layout)."""
    a = run("np.arange(6.0).reshape(2, 3)")
    value = canon(a)
    plain = dumps_env(json_env(a))
    base_src = "np.arange(6.0).reshape(2, 3)"
    assert plain == ('{"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", '
                     '"data": [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], "shape": [2, 3], '
                     '"dtype": "float64"}'), plain
    data_txt = '[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]'

    def t(vid, desc, text, clauses, tags=None, value=value, expr=base_src):
        S.valid(vid, desc, uniq(clauses + ["ndarray.json.elements", "canonical.ndarray.bytes"]),
                {"text": text}, value,
                hand(f"exact JSON spelling of the envelope tywrap writes for {expr}"), tags)
        return vid

    ids = []
    ids.append(t("ndarray-text-float64-ints", "float64 data written as 0, 1, 2 (no fraction)",
                 plain.replace(data_txt, "[[0, 1, 2], [3, 4, 5]]"),
                 ["json.numbers", "ndarray.json.values"]))
    ids.append(t("ndarray-text-float64-exponents", "float64 data written as 1e0, 2E+0, 0.4e1, 50e-1",
                 plain.replace(data_txt, "[[0e0, 1e0, 2E+0], [3.0e0, 0.4e1, 50e-1]]"),
                 ["json.numbers", "ndarray.json.values"]))
    ids.append(t("ndarray-text-float64-long-decimals",
                 "float64 data with more digits than binary64 holds, rounding to the same values",
                 plain.replace(data_txt, "[[0.00000000000000000000000000000000000000e-300, "
                                         "1.00000000000000001, 2.0000000000000000000000001], "
                                         "[3, 4, 4.99999999999999999]]"),
                 ["json.numbers", "ndarray.json.values"]))
    ids.append(t("ndarray-text-codec-version-1-0", "codecVersion written as 1.0",
                 plain.replace('"codecVersion": 1,', '"codecVersion": 1.0,'),
                 ["envelope.codec-version", "json.numbers"]))
    ids.append(t("ndarray-text-codec-version-1e0", "codecVersion written as 1e0",
                 plain.replace('"codecVersion": 1,', '"codecVersion": 1e0,'),
                 ["envelope.codec-version", "json.numbers"]))
    ids.append(t("ndarray-text-codec-version-rounds-to-1",
                 "codecVersion 1.00000000000000001 denotes the binary64 value 1",
                 plain.replace('"codecVersion": 1,', '"codecVersion": 1.00000000000000001,'),
                 ["envelope.codec-version", "json.numbers"]))
    ws = ('\r\n{\n\t"__tywrap__" :\t"ndarray" ,\r\n  "codecVersion"\n:\n1 , "encoding": "json",'
          '\n"data" : [ [ 0.0 ,1.0,\t2.0 ] ,\n[3.0, 4.0, 5.0]\n] , "shape" : [ 2 , 3 ] ,'
          ' "dtype" : "float64"\n}\n\t ')
    ids.append(t("ndarray-text-whitespace", "space, tab, CR and LF between every token",
                 ws, ["json.syntax"]))
    ids.append(t("ndarray-text-key-order", "members in reverse order",
                 '{"dtype": "float64", "shape": [2, 3], "data": ' + data_txt +
                 ', "encoding": "json", "codecVersion": 1, "__tywrap__": "ndarray"}',
                 ["envelope.object", "json.syntax"]))
    ids.append(t("ndarray-text-dtype-escape", "dtype written as float\\u0036\\u0034",
                 plain.replace('"dtype": "float64"', '"dtype": "float\\u0036\\u0034"'),
                 ["ndarray.dtype.table", "json.syntax"]))
    ids.append(t("ndarray-text-member-name-escapes",
                 "member names __tywrap__ and shape written with \\u escapes",
                 plain.replace('"__tywrap__"', '"\\u005f\\u005ftywrap\\u005f\\u005f"')
                      .replace('"shape"', '"sh\\u0061pe"'),
                 ["json.duplicate-keys", "envelope.object", "ndarray.required"]))
    ids.append(t("ndarray-text-encoding-escape", "encoding value written as js\\u006fn",
                 plain.replace('"encoding": "json"', '"encoding": "js\\u006fn"'),
                 ["envelope.encoding", "ndarray.encodings"]))
    ids.append(t("ndarray-text-shape-fractions", "shape written as [2.0, 3e0]",
                 plain.replace('"shape": [2, 3]', '"shape": [2.0, 3e0]'),
                 ["ndarray.shape.items", "json.numbers"]))
    ids.append(t("ndarray-text-extension-utf8",
                 "x- member holding raw UTF-8 and escaped surrogate pairs",
                 plain[:-1] + ', "x-note": "h\u00e9llo \U0001f600 \\ud83d\\ude00 \\u00e9"}',
                 ["envelope.extension-members", "json.utf8", "json.syntax"]))
    deep = "[" * 127 + "]" * 127
    ids.append(t("ndarray-text-depth-128", "x- member nested so that the depth is exactly 128",
                 plain[:-1] + ', "x-deep": ' + deep + "}",
                 ["json.depth", "limits.depth", "limits.conformance-defaults",
                  "envelope.extension-members"], tags=["boundary"]))
    S.group("eq-ndarray-float64-2x3-spellings",
            "float64 2x3 json envelope under different number spellings, layouts and escapes",
            ["ndarray-json-float64-2x3"] + ids)

    # numbers whose value is what matters
    def tv(vid, desc, dtype, data_text, expr, clauses, shape_text=None, tags=None):
        a = run(expr)
        shp = json.dumps(list(a.shape)) if shape_text is None else shape_text
        text = ('{"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", "data": '
                + data_text + ', "shape": ' + shp + ', "dtype": "' + dtype + '"}')
        t(vid, desc, text, clauses + ["ndarray.json.values"], tags=tags, value=canon(a), expr=expr)
        return vid

    g = [tv("ndarray-text-float64-negative-zero", "float64 data -0 and 0 give -0.0 and 0.0",
            "float64", "[-0, 0]", "np.array([-0.0, 0.0])", ["json.numbers"]),
         add_json_id(S, "ndarray-json-float64-negative-zero", "json float64 -0.0 and 0.0",
                     "np.array([-0.0, 0.0])")]
    S.group("eq-ndarray-float64-negative-zero", "-0 and -0.0 both give negative zero", g)
    g = [tv("ndarray-text-int32-integral-spellings", "int32 data -0, 2.0 and 1E1 give 0, 2, 10",
            "int32", "[-0, 2.0, 1E1]", "np.array([0, 2, 10], dtype=np.int32)",
            ["json.numbers"]),
         add_json_id(S, "ndarray-json-int32-0-2-10", "json int32 0, 2, 10",
                     "np.array([0, 2, 10], dtype=np.int32)")]
    S.group("eq-ndarray-int32-integral-spellings", "integers written with fractions or exponents",
            g)
    tv("ndarray-text-float64-underflow", "float64 data 1e-400 and -1e-400 round to 0.0 and -0.0",
       "float64", "[1e-400, -1e-400]", "np.array([0.0, -0.0])", ["json.numbers"])
    tv("ndarray-text-float64-2-53-plus-1", "float64 data 9007199254740993 rounds to 2^53",
       "float64", "[9007199254740993]", "np.array([2.0**53])", ["json.numbers"])
    tv("ndarray-text-float64-tenth-long", "float64 0.1 written with 34 significant digits",
       "float64", "[0.1000000000000000055511151231257827]", "np.array([0.1])", ["json.numbers"])
    tv("ndarray-text-float32-tenth-exact", "float32 nearest 0.1 written as its exact decimal",
       "float32", "[0.100000001490116119384765625]", "np.array([0.1], dtype=np.float32)",
       ["json.numbers"])
    tv("ndarray-text-float16-exact-decimals", "float16 values written as exact decimals",
       "float16", "[0.0999755859375, 65504.0, 5.9604644775390625E-8]",
       "np.array([0.0999755859375, 65504, 2**-24], dtype=np.float16)", ["json.numbers"])
    tv("ndarray-text-int64-exponent-and-fraction", "int64 data 1E2 and 9007199254740991.0",
       "int64", "[1E2, 9007199254740991.0]", "np.array([100, 2**53 - 1], dtype=np.int64)",
       ["json.numbers"])
    tv("ndarray-text-uint8-fraction-spellings", "uint8 data 255.0 and 0e5", "uint8",
       "[255.0, 0e5]", "np.array([255, 0], dtype=np.uint8)", ["json.numbers"])
    long_mantissas_vector(t)
    rows = [[k % 100] for k in range(150)]
    tv("ndarray-text-int8-150-rows", "int8 data of 150 one-item rows: more arrays than the depth limit, none deeper",
       "int8", json.dumps(rows), "(np.arange(150) % 100).astype(np.int8).reshape(150, 1)",
       ["json.depth", "ndarray.json.nesting"])
    # a run of 32+ bytes of whitespace between members, then a data array of many brackets:
    # a reader that skips quiet runs to find where data ends must resume where the run ends
    expr = "(np.arange(150) + 0.5).reshape(150, 1)"
    a150 = run(expr)
    t("ndarray-text-float64-150-rows-after-48-spaces",
      "48 spaces after the marker member, then float64 data of 150 one-item rows",
      '{"__tywrap__": "ndarray",' + " " * 48 + '"codecVersion": 1, "encoding": "json", "data": '
      + json.dumps(a150.tolist()) + ', "shape": [150, 1], "dtype": "float64"}',
      ["json.syntax", "ndarray.json.nesting"], value=canon(a150), expr=expr)
    tv("ndarray-text-shape-negative-zero", "shape entry -0 is the integer 0", "float64", "[]",
       "np.zeros((0,))", ["ndarray.shape.items", "json.numbers"], shape_text="[-0]",
       tags=["interpretation"])

    # an arrow payload whose base64 text uses the JSON escape \/ for every '/'
    a16 = run("np.array([1.5, -2.25], dtype=np.float16)")
    env = arrow_env(a16)
    assert "/" in env["b64"]
    text = dumps_env(env).replace("/", "\\/")
    S.valid("ndarray-text-b64-solidus-escape", "arrow b64 string with every / written as \\/",
            ["json.syntax", "ndarray.arrow.base64", "ndarray.arrow.elements"], {"text": text},
            canon(a16), hand("tywrap's envelope for np.array([1.5, -2.25], dtype=np.float16) "
                             "with the JSON escape \\/ for each '/' in b64"))
    add_valid_arrow(S, "ndarray-arrow-float16-pair", "arrow float16 1.5, -2.25",
                    "np.array([1.5, -2.25], dtype=np.float16)")
    S.group("eq-ndarray-float16-b64-escape", "b64 with \\/ escapes decodes like the plain text",
            ["ndarray-arrow-float16-pair", "ndarray-text-b64-solidus-escape"])


def long_mantissa_texts() -> list:
    """Numbers whose nearest binary64 a one-scan reader could get wrong (json.numbers):
    mantissas above 2^53 at every exponent within ±22 (read with integer arithmetic),
    exact ties between two binary64 values and their neighbours (written m * 10^-p, m
    above 2^53), more than 19 significant digits with a small exponent (the mantissa
    no longer fits 64 bits), and digit runs of every length around 8 and 16 digits."""
    out = [f"1234567890123456789e{e}" for e in range(-22, 23)]
    out += ["9876543210987654321e-2", "9007199254740993e-1", "18014398509481985e-1",
            "9999999999999999999e-22", "9999999999999999999e22", "1844674407370955161e1",
            "9007199254740993e3", "12345678901234567e-7"]
    for p in range(1, 5):
        for i in (0, 1, 7):
            m = ((1 << 53) + 1 + 2 * i) * 5 ** p  # (odd 54-bit) / 2^p, a tie
            for d in (-1, 0, 1):
                s = str(m + d)
                out.append(f"{s[:-p]}.{s[-p:]}")
    out += ["123456789012345678901234", "9.9999999999999999999", "1234567890.1234567890123",
            "-98765432109876543210e-3"]
    for k in range(1, 20):
        out += ["7" * k, "0." + "3" * k, "-" + "5" * k + ".25"]
    out += ["12345678", "1234567812345678", "0.12345678", "87654321e-8", "1.5E+3", "25e-1"]
    return out


def long_mantissas_vector(t):
    nums = long_mantissa_texts()
    data = "[" + ", ".join(nums) + "]"
    expr = f"np.array({data}, dtype=np.float64)"
    a = run(expr)
    # Python reads each literal as its nearest binary64, as float() reads the text
    assert [x.hex() for x in a.tolist()] == [float(s).hex() for s in nums]
    # data last, so that the last number ends within the text's last 8 bytes
    text = ('{"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", "dtype": "float64", '
            f'"shape": [{len(nums)}], "data": {data}}}')
    t("ndarray-text-float64-long-mantissas",
      "float64 data: mantissas above 2^53 at exponents -22 to 22, ties, 20+ digits, digit runs of 1 to 19",
      text, ["json.numbers", "ndarray.json.values"], value=canon(a), expr=expr)


def add_json_id(S, vid, desc, expr, clauses=()):
    add_valid_json(S, vid, desc, expr, clauses)
    return vid


def legacy_vectors(S: Suite):
    V0 = ["envelope.legacy-v0", "ndarray.legacy-v0"]

    def v0(vid, desc, expr, enc, drop, clauses, expect_expr=None, group=None):
        a = run(expr)
        env = arrow_env(a) if enc == "arrow" else json_env(a)
        env = without(env, "codecVersion", *drop)
        expect = canon(run(expect_expr)) if expect_expr else canon(a)
        mutation = "codecVersion removed" + "".join(f", {m} removed" for m in drop)
        base = ARROW_BASE if enc == "arrow" else JSON_BASE
        S.valid(vid, desc, uniq(V0 + clauses + base), {"json": env}, expect, src(expr, mutation))
        return vid

    g = [v0("ndarray-v0-arrow-float64-2x3", "v0 arrow float64 2x3 with shape and dtype",
            "np.arange(6.0).reshape(2, 3)", "arrow", (), []),
         v0("ndarray-v0-json-float64-2x3", "v0 json float64 2x3 with shape and dtype",
            "np.arange(6.0).reshape(2, 3)", "json", (), []),
         v0("ndarray-v0-json-float64-2x3-no-shape", "v0 json float64 2x3 without shape",
            "np.arange(6.0).reshape(2, 3)", "json", ("shape",), ["ndarray.json.nesting"]),
         "ndarray-arrow-float64-2x3", "ndarray-json-float64-2x3"]
    S.group("eq-ndarray-float64-2x3-versions",
            "float64 2x3 in both encodings, v1 and legacy v0", g)

    g = [v0("ndarray-v0-arrow-float64-no-shape", "v0 arrow float64 without shape gives shape [6]",
            "np.arange(6.0)", "arrow", ("shape",), ["ndarray.arrow.length"]),
         v0("ndarray-v0-arrow-float64-2x3-no-shape",
            "v0 arrow from a 2x3 source without shape gives the flat shape [6]",
            "np.arange(6.0).reshape(2, 3)", "arrow", ("shape",), ["ndarray.arrow.length"],
            expect_expr="np.arange(6.0)"),
         "ndarray-arrow-float64-1d-6", "ndarray-json-float64-1d-6"]
    S.group("eq-ndarray-float64-flat-6", "six float64 values, 1-D, with shape given or recovered", g)

    g = ["ndarray-arrow-int64-1d", "ndarray-json-int64-1d",
         v0("ndarray-v0-arrow-int64-no-dtype", "v0 arrow int64 without dtype, recovered from Int(64)",
            "np.arange(5)", "arrow", ("dtype",), ["ndarray.arrow.type", "ndarray.legacy-v0[int64]"]),
         v0("ndarray-v0-arrow-int64-no-shape-no-dtype", "v0 arrow int64 without shape and dtype",
            "np.arange(5)", "arrow", ("shape", "dtype"),
            ["ndarray.arrow.type", "ndarray.arrow.length", "ndarray.legacy-v0[int64]"])]
    S.group("eq-ndarray-int64-1d", "int64 arange(5) in both encodings and v0 forms", g)

    for suffix, expr, desc in [
            ("float16", "np.array([1.5, -2.25, 0.0], dtype=np.float16)", "float16 from HALF"),
            ("float32", "np.arange(6, dtype=np.float32).reshape(2, 3)", "float32 from SINGLE"),
            ("bool", "np.array([True, False, True])", "bool from Bool"),
            ("uint8", "np.array([0, 1, 255], dtype=np.uint8)", "uint8 from Int(8, unsigned)"),
            ("int8", "np.array([-128, -1, 0, 1, 127], dtype=np.int8)", "int8 from Int(8, signed)"),
            ("uint64", "np.array([0, 1, 2**64 - 1], dtype=np.uint64)",
             "uint64 from Int(64, unsigned)"),
            ("datetime64-ns", "np.array(['2024-01-02T03:04:05.123456789', "
             "'1970-01-01T00:00:00'], dtype='datetime64[ns]')", "datetime64[ns] from Timestamp(ns)"),
            ("datetime64-s", "np.array(['1970-01-01T00:00:00', '2024-01-02T03:04:05', "
             "'1969-12-31T23:59:59'], dtype='datetime64[s]')", "datetime64[s] from Timestamp(s)"),
            ("datetime64-d", "np.array(['1970-01-01', '2024-02-29', '1900-01-01'], "
             "dtype='datetime64[D]')", "datetime64[D] from Date32"),
            ("timedelta64-ms", "np.array([0, 5, -3], dtype='timedelta64[ms]')",
             "timedelta64[ms] from Duration(ms)"),
            # One per row of the dtype table ([ndarray.legacy-v0] rows): the rest of the table.
            ("int16", "np.array([-32768, -1, 0, 1, 32767], dtype=np.int16)",
             "int16 from Int(16, signed)"),
            ("int32", "np.array([-2**31, -1, 0, 1, 2**31 - 1], dtype=np.int32)",
             "int32 from Int(32, signed)"),
            ("uint16", "np.array([0, 1, 65535], dtype=np.uint16)", "uint16 from Int(16, unsigned)"),
            ("uint32", "np.array([0, 1, 2**32 - 1], dtype=np.uint32)",
             "uint32 from Int(32, unsigned)"),
            ("float64", "np.array([1.5, -0.0, np.inf])", "float64 from DOUBLE"),
            ("datetime64-ms", "np.array(['2024-01-02T03:04:05.123', '1900-01-01T00:00:00.000'], "
             "dtype='datetime64[ms]')", "datetime64[ms] from Timestamp(ms)"),
            ("datetime64-us", "np.array(['2024-01-02T03:04:05.123456'], dtype='datetime64[us]')",
             "datetime64[us] from Timestamp(us)"),
            ("timedelta64-s", "np.array([0, 5, -3], dtype='timedelta64[s]')",
             "timedelta64[s] from Duration(s)"),
            ("timedelta64-us", "np.array([86400000000], dtype='timedelta64[us]')",
             "timedelta64[us] from Duration(us)"),
            ("timedelta64-ns", "np.array([-2**63 + 1, 2**63 - 1]).astype('timedelta64[ns]')",
             "timedelta64[ns] from Duration(ns)")]:
        v0(f"ndarray-v0-arrow-{suffix}-no-dtype", f"v0 arrow without dtype: {desc}", expr, "arrow",
           ("dtype",), ["ndarray.arrow.type", f"ndarray.legacy-v0[{dtype_row(run(expr).dtype)}]"])
    S.group("eq-ndarray-datetime64-d", "datetime64[D] with dtype given or recovered from Date32",
            ["ndarray-arrow-datetime64-d", "ndarray-v0-arrow-datetime64-d-no-dtype"])

    g = ["ndarray-arrow-uint8-empty", "ndarray-json-uint8-empty",
         v0("ndarray-v0-arrow-uint8-empty-no-shape",
            "v0 arrow with no record batch and no shape gives shape [0]",
            "np.zeros((0,), dtype=np.uint8)", "arrow", ("shape",),
            ["ndarray.arrow.length", "ndarray.arrow.batches"])]
    S.group("eq-ndarray-uint8-empty", "empty uint8 in both encodings and v0 without shape", g)

    v0("ndarray-v0-arrow-0d-no-shape",
       "v0 arrow from a 0-d source without shape gives shape [1]", "np.array(3.5)", "arrow",
       ("shape",), ["ndarray.arrow.length"], expect_expr="np.array([3.5])")

    g = ["ndarray-arrow-float64-0d", "ndarray-json-float64-0d",
         v0("ndarray-v0-json-0d-no-shape", "v0 json scalar data without shape gives shape []",
            "np.array(3.5)", "json", ("shape",), ["ndarray.json.nesting"])]
    S.group("eq-ndarray-float64-0d", "float64 0-d scalar in both encodings and v0 json", g)

    g = [v0("ndarray-v0-json-nested-empty-no-shape", "v0 json data [[]] without shape gives [1, 0]",
            "np.zeros((1, 0))", "json", ("shape",), ["ndarray.json.nesting"]),
         add_json_id(S, "ndarray-json-float64-1x0", "json float64 empty (1, 0)", "np.zeros((1, 0))",
                     ["ndarray.json.nesting"])]
    add_valid_arrow(S, "ndarray-arrow-float64-1x0", "arrow float64 empty (1, 0)", "np.zeros((1, 0))",
                    ["ndarray.arrow.length"])
    S.group("eq-ndarray-float64-1x0", "float64 (1, 0) from v0 inference, json and arrow",
            g + ["ndarray-arrow-float64-1x0"])
    v0("ndarray-v0-json-empty-no-shape", "v0 json data [] without shape gives [0]",
       "np.zeros((0,))", "json", ("shape",), ["ndarray.json.nesting"])
    v0("ndarray-v0-json-int32-3d-no-shape", "v0 json int32 2x3x4 without shape",
       "np.arange(24, dtype=np.int32).reshape(2, 3, 4)", "json", ("shape",),
       ["ndarray.json.nesting"])
    v0("ndarray-v0-json-bool-no-shape", "v0 json bool without shape", "np.array([True, False, True])",
       "json", ("shape",), ["ndarray.json.nesting"])
    v0("ndarray-v0-arrow-str-no-shape", "v0 arrow <U5 with dtype and without shape",
       "np.array(['a', 'h\u00e9llo', ''])", "arrow", ("shape",),
       ["ndarray.arrow.length", "ndarray.arrow.strings", "ndarray.legacy-v0[<U{n}]"])
    # Utf8 and Binary give no dtype ([ndarray.legacy-v0]): these rows are read in v0 with dtype.
    v0("ndarray-v0-arrow-bytes-no-shape", "v0 arrow |S2 with dtype and without shape",
       "np.array([b'ab', b'', b'\\xff'])", "arrow", ("shape",),
       ["ndarray.arrow.length", "ndarray.arrow.strings", "ndarray.legacy-v0[|S{n}]"])


def extension_vectors(S: Suite):
    """x- members: any JSON value, never changing the value or causing a rejection."""
    expr = "np.arange(6.0).reshape(2, 3)"
    a = run(expr)
    meta = {"producer": "tywrap", "nested": {"a": [1, None, True, 1.5e300, "\u00e9"]}, "empty": {}}
    members = ["ndarray-arrow-float64-2x3", "ndarray-json-float64-2x3"]
    for enc, env in (("arrow", arrow_env(a)), ("json", json_env(a))):
        for vid, desc, ext, m in [
                (f"ndarray-{enc}-extension-object", f"{enc} envelope with an x- member holding an object",
                 {"x-meta": meta}, "x-meta object member added"),
                (f"ndarray-{enc}-extension-many", f"{enc} envelope with x- members of every JSON type",
                 {"x-null": None, "x-bool": False, "x-num": -0.0, "x-str": "", "x-arr": [[]],
                  "x-": {"x": 1}}, "x- members of every type added, one named x- alone"),
                (f"ndarray-{enc}-extension-first", f"{enc} envelope with an x- member before the marker",
                 None, "x-first member placed before __tywrap__")]:
            if ext is None:
                e2 = {"x-first": {"codecVersion": 2, "encoding": "nope"}, **env}
            else:
                e2 = {**env, **ext}
            S.valid(vid, desc, ["envelope.extension-members", "envelope.unknown-fields",
                                "canonical.ndarray.bytes"], {"json": e2}, canon(a), src(expr, m))
            members.append(vid)
    e0 = {**without(json_env(a), "codecVersion"), "x-meta": meta}
    S.valid("ndarray-v0-json-extension-object", "v0 json envelope with an x- member",
            ["envelope.extension-members", "envelope.legacy-v0", "canonical.ndarray.bytes"],
            {"json": e0}, canon(a), src(expr, "codecVersion removed, x-meta object member added"))
    members.append("ndarray-v0-json-extension-object")
    S.group("eq-ndarray-float64-2x3-extensions", "x- members of any kind leave the value unchanged",
            members)


def arrow_variant_vectors(S: Suite):
    """Arrow payloads that differ from tywrap's bytes but hold the same value."""
    add_valid_arrow(S, "ndarray-arrow-int64-arange3", "arrow int64 0, 1, 2 as tywrap writes it",
                    "np.arange(3)", ["ndarray.arrow.schema"])
    value = canon(run("np.arange(3)"))
    members = ["ndarray-arrow-int64-arange3"]
    for vid, desc, expr, clauses in [
            ("ndarray-arrow-int64-non-nullable", "arrow field marked non-nullable",
             "pa.Table.from_arrays([pa.array(np.arange(3))], schema=pa.schema("
             "[pa.field('value', pa.int64(), nullable=False)]))", ["ndarray.arrow.schema"]),
            ("ndarray-arrow-int64-schema-metadata", "arrow schema with custom metadata",
             "pa.Table.from_arrays([pa.array(np.arange(3))], schema=pa.schema("
             "[pa.field('value', pa.int64())], metadata={'origin': 'sciwire-vectors'}))",
             ["ndarray.arrow.schema"]),
            ("ndarray-arrow-int64-field-metadata", "arrow field with custom metadata",
             "pa.Table.from_arrays([pa.array(np.arange(3))], schema=pa.schema("
             "[pa.field('value', pa.int64(), metadata={'unit': 'm'})]))", ["ndarray.arrow.schema"]),
            ("ndarray-arrow-int64-non-nullable-metadata",
             "arrow non-nullable field with schema and field metadata",
             "pa.Table.from_arrays([pa.array(np.arange(3))], schema=pa.schema("
             "[pa.field('value', pa.int64(), nullable=False, metadata={'k': 'v'})], "
             "metadata={'k': 'v'}))", ["ndarray.arrow.schema"])]:
        table = run(expr)
        payload = write_stream(table.schema, [table])
        S.valid(vid, desc, uniq(clauses + ARROW_BASE), {"json": env_arrow_raw(payload, [3], "int64")},
                value, src(expr))
        members.append(vid)

    # The Arrow format reads an empty timezone as timezone-naive. pyarrow
    # normalises tz='' away, so the empty string is patched into a real
    # tz='UTC' payload (string length 3 -> 0, its bytes zeroed).
    expr = "pa.array(np.array([0, 1, 2], dtype='datetime64[ns]'), pa.timestamp('ns', tz='UTC'))"
    utc = column_stream(run(expr))
    at = utc.index(b"\x03\x00\x00\x00UTC")
    empty_tz = utc[:at] + b"\x00" * 7 + utc[at + 7:]
    tz_value = canon(np.array([0, 1, 2], dtype="datetime64[ns]"))
    S.valid("ndarray-arrow-datetime64-ns-empty-timezone",
            "Timestamp with an empty timezone string is timezone-naive",
            uniq(["ndarray.arrow.type"] + ARROW_BASE),
            {"json": env_arrow_raw(empty_tz, [3], "datetime64[ns]")}, tz_value,
            src(expr, "timezone string 'UTC' -> '' (length 0, bytes zeroed)"))
    add_valid_arrow(S, "ndarray-arrow-datetime64-ns-naive-012", "arrow datetime64[ns] 0, 1, 2 ns",
                    "np.array([0, 1, 2], dtype='datetime64[ns]')", ["ndarray.arrow.type"])
    S.group("eq-ndarray-datetime64-ns-timezone-absent-or-empty",
            "a Timestamp without timezone and one with an empty timezone",
            ["ndarray-arrow-datetime64-ns-naive-012", "ndarray-arrow-datetime64-ns-empty-timezone"])

    expr = "pa.array([1, None, 3])"
    base = column_stream(run(expr))
    (_, _, vo, vl), (_, _, do, _) = rb_buffers(base)[:2]
    body, _ = rb_body(base)
    assert base[body + vo] == 0b101 and vl > 0
    under_null = i64(base, body + do + 8)
    full = patch(base, body + vo, "<B", 0b111)
    (_, nc_pos), = rb_field_nodes(full)
    full = patch(full, nc_pos, "<q", 0)
    gvalue = canon(np.array([1, under_null, 3]))
    S.valid("ndarray-arrow-int64-all-valid-bitmap",
            "validity bitmap present with every bit set (pyarrow drops such bitmaps, so patched)",
            uniq(["ndarray.arrow.nulls"] + ARROW_BASE),
            {"json": env_arrow_raw(full, [3], "int64")}, gvalue,
            src(expr, "validity bitmap byte 05 -> 07 and FieldNode null_count 1 -> 0"))
    stale = patch(base, body + vo, "<B", 0b111)
    S.invalid("ndarray-invalid-arrow-null-count-stale",
              "bitmap all set while FieldNode null_count still says 1",
              ["ndarray.arrow.stream", "ndarray.arrow.nulls"],
              {"json": env_arrow_raw(stale, [3], "int64")}, "E_ARROW_PAYLOAD",
              src(expr, "validity bitmap byte 05 -> 07; null_count left at 1"), schema_valid=True)
    (_, nc0), = rb_field_nodes(column_stream(pa.array(np.arange(3))))
    no_bitmap = patch(column_stream(pa.array(np.arange(3))), nc0, "<q", 1)
    S.invalid("ndarray-invalid-arrow-null-count-without-bitmap",
              "no validity bitmap while FieldNode null_count says 1",
              ["ndarray.arrow.stream", "ndarray.arrow.nulls"],
              {"json": env_arrow_raw(no_bitmap, [3], "int64")}, "E_ARROW_PAYLOAD",
              src("pa.array(np.arange(3))", "FieldNode null_count 0 -> 1"), schema_valid=True)
    S.valid("ndarray-arrow-int64-message-metadata",
            "record batch message carrying custom metadata",
            uniq(["ndarray.arrow.stream"] + ARROW_BASE),
            {"json": env_arrow_raw(_message_metadata_payload(), [3], "int64")}, value,
            src("pa.RecordBatchStreamWriter.write_batch(pa.record_batch([pa.array(np.arange(3))], "
                "names=['value']), custom_metadata={'k': 'v'})"), tags=["interpretation"])
    members.append("ndarray-arrow-int64-message-metadata")
    add_valid_json(S, "ndarray-json-int64-arange3", "json int64 0, 1, 2", "np.arange(3)")
    S.group("eq-ndarray-int64-arrow-schema-variants",
            "nullable, non-nullable and metadata-carrying Arrow fields hold one value",
            members + ["ndarray-json-int64-arange3"])

    expr = "np.array([True, False, True])"
    bb = producer_payload(run(expr))
    bufs = rb_buffers(bb)
    body, _ = rb_body(bb)
    assert bufs[0][3] == 0 and bb[body + bufs[1][2]] == 0b101
    padded = patch(bb, body + bufs[1][2], "<B", 0b11111101)
    S.valid("ndarray-arrow-bool-padding-bits-set",
            "bool values bitmap with the unused high bits set",
            uniq(["ndarray.arrow.elements"] + ARROW_BASE),
            {"json": env_arrow_raw(padded, [3], "bool")}, canon(run(expr)),
            src(expr, "values bitmap byte 05 -> fd (bits past the length set)"))
    add_valid_json(S, "ndarray-json-bool-3", "json bool true, false, true",
                   "np.array([True, False, True])")
    S.group("eq-ndarray-bool-3", "bool in both encodings, with and without set padding bits",
            ["ndarray-arrow-bool", "ndarray-json-bool", "ndarray-json-bool-3",
             "ndarray-arrow-bool-padding-bits-set", "ndarray-v0-arrow-bool-no-dtype"])

    add_valid_arrow(S, "ndarray-arrow-int64-empty", "arrow int64 empty, no record batch",
                    "np.zeros((0,), dtype=np.int64)", ["ndarray.arrow.batches", "ndarray.arrow.length"])
    expr = "pa.record_batch([pa.array([], pa.int64())], names=['value'])"
    rb = run(expr)
    one = write_stream(rb.schema, batches=[rb])
    assert [m.kind for m in messages(one)] == ["schema", "recordbatch", "eos"]
    S.valid("ndarray-arrow-int64-empty-one-batch", "empty int64 written as one zero-length batch",
            uniq(["ndarray.arrow.batches", "ndarray.arrow.length"] + ARROW_BASE),
            {"json": env_arrow_raw(one, [0], "int64")}, canon(np.zeros((0,), dtype=np.int64)),
            src(expr))
    add_valid_json(S, "ndarray-json-int64-empty", "json int64 empty", "np.zeros((0,), dtype=np.int64)")
    S.group("eq-ndarray-int64-empty", "empty int64 with no batch, one empty batch, and json",
            ["ndarray-arrow-int64-empty", "ndarray-arrow-int64-empty-one-batch",
             "ndarray-json-int64-empty"])

    for vid, desc, expr, dtype, value_expr in [
            ("ndarray-arrow-str-interior-nul", "<U3 with interior and leading NUL, built by pa.array",
             "pa.array(['a\\x00b', '\\x00c'])", "<U3", "np.array(['a\\x00b', '\\x00c'])"),
            ("ndarray-arrow-bytes-interior-nul", "|S3 with interior and leading zero bytes",
             "pa.array([b'a\\x00b', b'\\x00c'])", "|S3", "np.array([b'a\\x00b', b'\\x00c'])")]:
        payload = column_stream(run(expr))
        a = run(value_expr)
        assert str(a.dtype) == dtype
        S.valid(vid, desc, ["ndarray.arrow.strings", "ndarray.arrow.elements",
                            "canonical.ndarray.bytes"],
                {"json": env_arrow_raw(payload, [2], dtype)}, canon(a), src(expr))
    add_valid_arrow(S, "ndarray-arrow-str-two-byte-full", "<U3 at full width with 2-byte UTF-8 chars",
                    "np.array(['\u00e9\u00e9\u00e9', 'a'])", ["ndarray.arrow.strings"])


def _message_metadata_payload() -> bytes:
    rb = pa.record_batch([pa.array(np.arange(3))], names=["value"])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rb.schema) as w:
        w.write_batch(rb, custom_metadata={"k": "v"})
    return sink.getvalue().to_pybytes()


def boundary_vectors(S: Suite):
    S.valid("ndarray-json-shape-0-by-max", "shape [0, 2^53-1] with data [] holds zero elements",
            ["ndarray.shape.items", "ndarray.shape.elements", "limits.elements",
             "ndarray.json.nesting"],
            {"json": env_json_raw([], [0, MAX_SAFE], "float64")},
            {"kind": "ndarray", "dtype": "float64", "shape": [0, MAX_SAFE], "hex": ""},
            hand("largest shape entry next to a zero: the product is 0"), tags=["boundary"])
    empty = producer_payload(np.zeros((0,)))
    S.valid("ndarray-arrow-shape-0-by-max", "arrow shape [0, 2^53-1] with no record batch",
            ["ndarray.shape.items", "ndarray.shape.elements", "limits.elements",
             "ndarray.arrow.length"],
            {"json": env_arrow_raw(empty, [0, MAX_SAFE], "float64")},
            {"kind": "ndarray", "dtype": "float64", "shape": [0, MAX_SAFE], "hex": ""},
            src("np.zeros((0,))", "shape [0] -> [0, 9007199254740991]"), tags=["boundary"])
    S.valid("ndarray-arrow-shape-zero-last", "shape [2^40, 2^40, 0]: partial product passes the limit",
            ["limits.elements", "ndarray.shape.elements", "ndarray.arrow.length"],
            {"json": env_arrow_raw(empty, [2**40, 2**40, 0], "float64")},
            {"kind": "ndarray", "dtype": "float64", "shape": [2**40, 2**40, 0], "hex": ""},
            src("np.zeros((0,))", "shape [0] -> [1099511627776, 1099511627776, 0]"),
            tags=["boundary"])
    e_str = producer_payload(np.zeros((0,), dtype="<U1"))
    S.valid("ndarray-arrow-str-max-width-empty", "dtype <U999999999 with zero elements is 0 bytes",
            ["limits.decoded-bytes", "ndarray.dtype.table", "ndarray.arrow.length"],
            {"json": env_arrow_raw(e_str, [0], "<U999999999")},
            {"kind": "ndarray", "dtype": "<U999999999", "shape": [0], "hex": ""},
            src("np.zeros((0,), dtype='<U1')", "dtype <U1 -> <U999999999"), tags=["boundary"])
    S.valid("ndarray-arrow-str-huge-width-empty", "dtype <U67108865 with zero elements is 0 bytes",
            ["limits.decoded-bytes", "ndarray.dtype.table", "ndarray.arrow.length"],
            {"json": env_arrow_raw(e_str, [0], "<U67108865")},
            {"kind": "ndarray", "dtype": "<U67108865", "shape": [0], "hex": ""},
            src("np.zeros((0,), dtype='<U1')", "dtype <U1 -> <U67108865"), tags=["boundary"])


# ----------------------------------------------------------------------------------------------
# Encode vectors
# ----------------------------------------------------------------------------------------------

def encode_vectors(S: Suite):
    ENC = ["ndarray.encode.members", "canonical.ndarray", "canonical.ndarray.bytes",
           "canonical.ndarray.lowercase"]
    arrow_from = [
        "float64-2x3", "float64-nan-payload", "float64-nan-negative", "float16-nan-inf",
        "int64-extremes", "uint64-extremes", "bool-10", "datetime64-ns-extremes", "datetime64-d",
        "datetime64-d-extremes", "timedelta64-ns", "str-mixed", "str-emoji-2", "str-interior-nul",
        "bytes", "bytes-interior-nul", "float64-0d", "str-0d", "uint8-empty", "float64-0x3",
        "int16-3x0", "int8-64d", "int16-5d", "shape-0-by-max", "float32-extremes"]
    json_from = [
        "float64-2x3", "float64-extremes", "float32-extremes", "float32-tenth", "float16-extremes",
        "int64-safe", "uint64-safe", "bool", "int8-extremes", "uint32-extremes", "float64-0d",
        "bool-0d", "float64-0x3", "int16-3x0", "uint8-empty", "int8-64d", "int32-3d",
        "shape-0-by-max"]
    for enc, names in (("arrow", arrow_from), ("json", json_from)):
        for name in names:
            kind, vec = S.vectors[f"ndarray-{enc}-{name}"]
            value = vec["expect"]["value"]
            source = vec["source"]
            extra = ["ndarray.arrow.stream", "ndarray.arrow.batches"] if enc == "arrow" else \
                ["ndarray.encode.json-refuse", "ndarray.json.values", "ndarray.json.nesting"]
            if name in ("uint8-empty", "float64-0x3", "int16-3x0", "shape-0-by-max"):
                extra = extra + ["ndarray.arrow.batches"] if enc == "arrow" else extra
            if enc == "arrow" and name in ("datetime64-d-extremes", "str-interior-nul",
                                           "bytes-interior-nul"):
                extra = extra + ["ndarray.encode.arrow-refuse"]
            what = re.sub(r"^(arrow|json) ", "", vec["description"])
            S.encode(f"ndarray-encode-{enc}-{name}", f"{enc} encoder round trip: {what}",
                     uniq(ENC + extra), value, enc, {"roundtrip": True}, source)

    REF = ["ndarray.encode.json-refuse"]
    for vid, desc, expr, code, extra in [
            ("float64-nan", "float64 NaN", "np.array([np.nan, 1.0])", "E_VALUE_DOMAIN", []),
            ("float64-nan-payload", "float64 NaN with payload 1",
             "np.array([0x7ff0000000000001], dtype='<u8').view('<f8')", "E_VALUE_DOMAIN", []),
            ("float64-inf", "float64 +Inf", "np.array([1.0, np.inf])", "E_VALUE_DOMAIN", []),
            ("float64-minus-inf", "float64 -Inf", "np.array([-np.inf])", "E_VALUE_DOMAIN", []),
            ("float64-nan-in-2x3", "float64 2x3 with one NaN", "np.array([[0.0, 1.0, 2.0], "
             "[3.0, np.nan, 5.0]])", "E_VALUE_DOMAIN", []),
            ("float32-nan", "float32 NaN", "np.array([np.nan], dtype=np.float32)", "E_VALUE_DOMAIN",
             []),
            ("float32-inf", "float32 +Inf", "np.array([np.inf], dtype=np.float32)", "E_VALUE_DOMAIN",
             []),
            ("float16-nan", "float16 NaN", "np.array([np.nan], dtype=np.float16)", "E_VALUE_DOMAIN",
             []),
            ("float16-minus-inf", "float16 -Inf", "np.array([-np.inf], dtype=np.float16)",
             "E_VALUE_DOMAIN", []),
            ("float64-nan-0d", "float64 0-d NaN", "np.array(np.nan)", "E_VALUE_DOMAIN", []),
            ("int64-2-53", "int64 2^53", "np.array([2**53], dtype=np.int64)", "E_VALUE_DOMAIN", []),
            ("int64-minus-2-53", "int64 -2^53", "np.array([-2**53], dtype=np.int64)",
             "E_VALUE_DOMAIN", []),
            ("int64-min", "int64 min", "np.array([-2**63], dtype=np.int64)", "E_VALUE_DOMAIN", []),
            ("uint64-2-53", "uint64 2^53", "np.array([2**53], dtype=np.uint64)", "E_VALUE_DOMAIN",
             []),
            ("uint64-max", "uint64 max", "np.array([2**64 - 1], dtype=np.uint64)", "E_VALUE_DOMAIN",
             []),
            ("datetime64-ns", "datetime64[ns]", "np.array(['2024-01-02T03:04:05.123456789'], "
             "dtype='datetime64[ns]')", "E_DTYPE_UNSUPPORTED", ["ndarray.json.dtypes"]),
            ("datetime64-d", "datetime64[D]", "np.array(['2024-02-29'], dtype='datetime64[D]')",
             "E_DTYPE_UNSUPPORTED", ["ndarray.json.dtypes"]),
            ("timedelta64-s", "timedelta64[s]", "np.array([5], dtype='timedelta64[s]')",
             "E_DTYPE_UNSUPPORTED", ["ndarray.json.dtypes"]),
            ("str", "<U2", "np.array(['ab', 'c'])", "E_DTYPE_UNSUPPORTED", ["ndarray.json.dtypes"]),
            ("bytes", "|S2", "np.array([b'ab', b'c'])", "E_DTYPE_UNSUPPORTED",
             ["ndarray.json.dtypes"]),
            ("str-empty", "empty <U1 (refused by dtype, not by content)",
             "np.zeros((0,), dtype='<U1')", "E_DTYPE_UNSUPPORTED", ["ndarray.json.dtypes"])]:
        S.encode(f"ndarray-encode-json-refuse-{vid}", f"json encoder refuses {desc}",
                 REF + extra, canon(run(expr)), "json", {"error": code}, src(expr))

    nat_expr = "np.array(['NaT', '2024-01-02T03:04:05'], dtype='datetime64[ns]')"
    S.encode("ndarray-encode-arrow-datetime64-ns-nat",
             "arrow encoder round trip: NaT is carried as int64 min, never as a null",
             ["ndarray.arrow.nulls", "ndarray.encode.members", "canonical.ndarray.bytes"],
             canon(run(nat_expr)), "arrow", {"roundtrip": True}, src(nat_expr))
    for vid, desc, expr in [
            ("date32-above", "datetime64[D] 2^31 days, past Date32",
             "np.array([2**31], dtype='datetime64[D]')"),
            ("date32-below", "datetime64[D] -2^31-1 days, before Date32",
             "np.array([0, -2**31 - 1], dtype='datetime64[D]')")]:
        S.encode(f"ndarray-encode-arrow-refuse-{vid}", f"arrow encoder refuses {desc}",
                 ["ndarray.encode.arrow-refuse", "ndarray.encode.members"], canon(run(expr)),
                 "arrow", {"error": "E_VALUE_DOMAIN"}, src(expr))

    wide_expr = "np.zeros((2**40, 0))"
    wide = {"kind": "ndarray", "dtype": "float64", "shape": [2**40, 0], "hex": ""}
    S.encode("ndarray-encode-json-refuse-shape-2-40-by-0",
             "json encoder refuses shape [2^40, 0]: no element, but 2^40 empty arrays",
             ["ndarray.encode.limits", "ndarray.json.nesting"], wide, "json",
             {"error": "E_LIMIT_EXCEEDED"}, hand("numpy cannot allocate the view's shape "
                                                 "arithmetic cheaply; written as " + wide_expr))
    S.encode("ndarray-encode-arrow-shape-2-40-by-0",
             "arrow encoder round trip: shape [2^40, 0] needs no payload",
             ["ndarray.encode.limits", "ndarray.encode.members", "ndarray.arrow.batches"], wide, "arrow",
             {"roundtrip": True}, hand("the same value as its json refusal; " + wide_expr))
    huge0 = {"kind": "ndarray", "dtype": "float64", "shape": [2**40, 2**40, 0], "hex": ""}
    S.encode("ndarray-encode-arrow-shape-2-40-by-2-40-by-0",
             "arrow encoder round trip: shape [2^40, 2^40, 0] holds no element, though 2^80 overflows "
             "before the 0 is reached", ["limits.elements", "ndarray.encode.members",
                                         "canonical.ndarray.lowercase", "ndarray.arrow.batches"],
             huge0, "arrow", {"roundtrip": True},
             hand("numpy cannot build the shape (its size arithmetic overflows: canonical-value.md); "
                  "the product is 0 by [limits.elements]"))

    good_expr = "np.arange(6.0).reshape(2, 3)"
    good = canon(run(good_expr))
    LC = ["canonical.ndarray.lowercase", "canonical.ndarray.bytes"]
    for enc in ("arrow", "json"):
        for vid, desc, value in [
                ("hex-short", "hex one byte short of shape [2, 3]", with_(good, hex=good["hex"][:-2])),
                ("hex-long", "hex one byte longer than shape [2, 3] needs",
                 with_(good, hex=good["hex"] + "00")),
                ("hex-empty", "hex empty for shape [2, 3]", with_(good, hex=""))]:
            S.encode(f"ndarray-encode-{enc}-wrong-hex-length-{vid.split('-', 1)[1]}",
                     f"{enc} encoder given float64 {desc}", LC, value, enc,
                     {"error": "E_SHAPE_MISMATCH"},
                     src(good_expr, "canonical value's hex cut or extended"))
