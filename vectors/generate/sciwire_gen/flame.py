"""The flame profile (spec/src/flame.md): flamepy 0.6.0's FLM frames, read and written by sciwire
as a profile of its own. Valid vectors are the exact bytes flamepy's `_serialize_object_data`
writes for real numpy arrays; equivalence groups join each with the ndarray vectors of the same
value; encode vectors ask for the `tensor` encoding. Invalid vectors are in flame_invalid.py. The
FLM\x02-\x04 streams (pyarrow tables, record batches, arrays) are in flame_stream.py (valid,
encode, groups) and flame_stream_invalid.py, called from build() here.

A profile module (PROFILE, not MARKER: README.md): its folder is vectors/v1/flame/ and every
vector says "profile": "flame" ([vector.profile]). Every valid vector is checked three ways:
the value the spec gives the array (flame_value), the generator's own reader of the profile
(flame_tensor.decode), and flamepy's `_deserialize_object_data`; they must agree.
"""

from __future__ import annotations

import base64
import functools
import importlib.metadata
import json
import pickle

import cloudpickle
import numpy as np
import pyarrow as pa
from flamepy.core.cache import _deserialize_object_data, _serialize_object_data

from . import flame_tensor as ft
from .arrowbytes import Msg
from .common import B, Suite, hand, source_maker
from .ndarray_producer import canon

# The module's header, read by common.load_envelopes without importing this module.
PROFILE = "flame"
ID_PREFIX = "flame-"
REQUIRES = ("numpy", "pyarrow", "pandas", "cloudpickle", "flatbuffers", "flamepy.core.cache")

LIBRARIES = {"flamepy": importlib.metadata.version("flamepy"), "cloudpickle": cloudpickle.__version__,
             "numpy": np.__version__, "pandas": importlib.metadata.version("pandas"), "pyarrow": pa.__version__}
src = source_maker(LIBRARIES)

NS = {"np": np, "pa": pa, "cloudpickle": cloudpickle, "pickle": pickle,
      "_serialize_object_data": _serialize_object_data}


def run(expr: str):
    """Evaluate the expression that builds an object (or flamepy's bytes of one), so that
    `source.expr` is exactly what ran."""
    return eval(expr, dict(NS))  # noqa: S307 - expressions are literals in the flame modules


def written(expr: str) -> str:
    """The source expression of a decode vector: flamepy's bytes of the object `expr` builds."""
    return f"_serialize_object_data({expr})"


def flame_value(a: np.ndarray) -> dict:
    """The canonical value [flame.tensor.type] and [flame.tensor.elements] give the frame flamepy
    writes for `a`: a bool array is uint8, a big-endian one its bytes read as little-endian."""
    le = np.dtype(np.uint8) if a.dtype == np.bool_ else a.dtype.newbyteorder("<")
    c = np.ascontiguousarray(a).view(le)
    return {"kind": "ndarray", "dtype": c.dtype.name, "shape": list(a.shape),
            "hex": c.tobytes().hex()}


# Valid inputs a numpy-based peer cannot turn into an array, though pyarrow reads the tensor:
# the shape's size arithmetic overflows in numpy (canonical-value.md).
NUMPY_CANNOT = {"flame-tensor-hand-float64-2-40-by-2-40-by-0"}


def flamepy_reads(data: bytes):
    """flamepy 0.6.0's result for an FLM\\x01 input: ("value", canonical value of the array it
    returns) or ("error", exception class name). Never called on an input flamepy would unpickle."""
    assert data[:4] == b"FLM\x01", "flamepy_reads is for tensors only: it never unpickles here"
    try:
        a = _deserialize_object_data(data)
    except Exception as e:  # noqa: BLE001 - flamepy's verdict, whatever it raises
        return "error", type(e).__name__
    assert isinstance(a, np.ndarray), type(a)
    return "value", canon(a)


def sanity_decode(vid, inp, value):
    data = base64.b64decode(inp["base64"], validate=True)
    if data[:3] == ft.PREFIX and data[3:4] in (b"\x02", b"\x03", b"\x04"):
        from . import flame_stream
        flame_stream.sanity_decode(vid, data, value)
        return
    got = ft.decode(data)
    assert got == value, f"{vid}: the generator's reader gives {str(got)[:200]}, not {str(value)[:200]}"
    verdict, theirs = flamepy_reads(data)
    if vid in NUMPY_CANNOT:
        assert verdict == "error", (vid, theirs)
        t = pa.ipc.read_tensor(pa.BufferReader(data[4:]))
        assert list(t.shape) == value["shape"] and t.size == 0, vid
        return
    assert verdict == "value" and theirs == value, f"{vid}: flamepy reads {str(theirs)[:200]}"


def build(S: Suite):
    from . import flame_stream
    valid_vectors(S)
    hand_valid_vectors(S)
    flame_stream.valid_vectors(S)
    from .flame_invalid import invalid_vectors
    invalid_vectors(S)
    encode_vectors(S)
    flame_stream.encode_vectors(S)
    equivalence_groups(S)
    flame_stream.equivalence_groups(S)


# ----------------------------------------------------------------------------------------------
# Clause lists
# ----------------------------------------------------------------------------------------------

TENSOR = ["flame.profile", "flame.tensor.message", "flame.tensor.type", "flame.tensor.shape",
          "flame.tensor.metadata", "flame.tensor.data", "flame.tensor.strides",
          "flame.tensor.elements", "canonical.ndarray", "canonical.ndarray.bytes"]
# Every check of the profile passes on a valid tensor; these name the ones before the tensor's.
ENTRY = ["flame.pickle", "flame.tag", "limits.input-bytes"]
LIMITS = ["limits.ndim", "limits.elements", "limits.decoded-bytes"]


# ----------------------------------------------------------------------------------------------
# Valid vectors: flamepy's bytes of real arrays
# ----------------------------------------------------------------------------------------------

VALID = [
    # (id suffix, expression, description, extra clauses)
    ("int8-extremes", "np.array([-128, -1, 0, 1, 127], dtype=np.int8)", "int8 min, -1, 0, 1, max", []),
    ("int16-extremes", "np.array([-32768, -1, 0, 1, 32767], dtype=np.int16)",
     "int16 min, -1, 0, 1, max", []),
    ("int32-extremes", "np.array([-2**31, -1, 0, 1, 2**31 - 1], dtype=np.int32)",
     "int32 min, -1, 0, 1, max", []),
    ("int64-extremes", "np.array([-2**63, -1, 0, 1, 2**63 - 1], dtype=np.int64)",
     "int64 min, -1, 0, 1, max (beyond 2^53, carried as they are)", []),
    ("uint8-extremes", "np.array([0, 1, 255], dtype=np.uint8)", "uint8 0, 1, max", []),
    ("uint16-extremes", "np.array([0, 1, 65535], dtype=np.uint16)", "uint16 0, 1, max", []),
    ("uint32-extremes", "np.array([0, 1, 2**32 - 1], dtype=np.uint32)", "uint32 0, 1, max", []),
    ("uint64-extremes", "np.array([0, 1, 2**64 - 1], dtype=np.uint64)", "uint64 0, 1, max", []),
    ("float16", "np.array([1.5, -2.25, 0.0], dtype=np.float16)", "float16 1.5, -2.25, 0", []),
    ("float16-extremes", "np.array([65504, -65504, 2**-24, 2**-14, -0.0], dtype=np.float16)",
     "float16 max, -max, smallest subnormal, smallest normal, -0.0", []),
    ("float16-nan-inf", "np.array([np.nan, np.inf, -np.inf], dtype=np.float16)",
     "float16 NaN, +Inf, -Inf", []),
    ("float32-2x3", "np.arange(6, dtype=np.float32).reshape(2, 3)", "float32 2x3 from arange", []),
    ("float32-extremes",
     "np.array([np.finfo(np.float32).max, -np.finfo(np.float32).max, np.finfo(np.float32).tiny, "
     "np.finfo(np.float32).smallest_subnormal, -0.0], dtype=np.float32)",
     "float32 max, -max, smallest normal, smallest subnormal, -0.0", []),
    ("float32-nan-inf", "np.array([np.nan, np.inf, -np.inf], dtype=np.float32)",
     "float32 NaN, +Inf, -Inf", []),
    ("float64-2x3", "np.arange(6.0).reshape(2, 3)", "float64 2x3 from arange", ENTRY + ["vector.profile"]),
    ("float64-extremes",
     "np.array([np.finfo(np.float64).max, -np.finfo(np.float64).max, np.finfo(np.float64).tiny, "
     "5e-324, -5e-324, -0.0, 0.0])",
     "float64 max, -max, smallest normal, +-smallest subnormal, -0.0, 0.0", []),
    ("float64-nan-payload", "np.array([0x7ff0000000000001], dtype='<u8').view('<f8')",
     "float64 signalling NaN with payload 1 keeps its bits", []),
    ("float64-nan-negative", "np.array([-np.nan])", "float64 NaN with the sign bit set", []),
    ("float64-inf", "np.array([np.inf, -np.inf])", "float64 +Inf and -Inf", []),
    ("float64-negative-zero", "np.array([-0.0, 0.0])", "float64 -0.0 and 0.0", []),
    ("float64-1000", "np.arange(1000.0) / 7", "float64 1000 elements, arange / 7", []),
    # shapes and layouts
    ("float64-0d", "np.array(3.5)",
     "float64 0-d scalar; empty strides vector 4 bytes off a multiple of 8 (allowed)", []),
    ("int32-0d", "np.array(7, dtype=np.int32)", "int32 0-d scalar", []),
    ("int32-1d", "np.array([1, 2, 3], dtype=np.int32)", "int32 [1, 2, 3]", []),
    ("int64-1d", "np.arange(5)", "int64 1-D from arange", []),
    ("int32-2x3", "np.arange(6, dtype=np.int32).reshape(2, 3)", "int32 2x3 from arange", []),
    ("int32-3d", "np.arange(24, dtype=np.int32).reshape(2, 3, 4)", "int32 3-D 2x3x4", []),
    ("int16-5d", "np.arange(32, dtype=np.int16).reshape(2, 2, 2, 2, 2)", "int16 5-D 2x2x2x2x2", []),
    ("float64-2x3-fortran", "np.asfortranarray(np.arange(6.0).reshape(2, 3))",
     "float64 2x3 Fortran-ordered: column-major strides [8, 16], reordered to C", []),
    ("int32-2x3-fortran", "np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3))",
     "int32 2x3 Fortran-ordered, strides [4, 8]", []),
    ("int32-3d-fortran", "np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4))",
     "int32 2x3x4 Fortran-ordered, strides [4, 8, 24]", []),
    ("float64-0x3", "np.zeros((0, 3))", "float64 empty (0, 3), strides [8, 8] written for it", []),
    ("float64-0x3-fortran", "np.zeros((0, 3), order='F')", "float64 empty (0, 3) Fortran-ordered", []),
    ("int16-3x0", "np.zeros((3, 0), dtype=np.int16)", "int16 empty (3, 0)", []),
    ("uint8-empty", "np.zeros((0,), dtype=np.uint8)", "uint8 empty 1-D (0,)", []),
    ("float32-2x0x4", "np.zeros((2, 0, 4), dtype=np.float32)", "float32 empty (2, 0, 4)", []),
    ("float64-1x3", "np.arange(3.0).reshape(1, 3)", "float64 (1, 3) C-ordered, strides [24, 8]", []),
    ("float64-1x3-fortran", "np.array([[0.0, 1.0, 2.0]], order='F')",
     "float64 (1, 3) Fortran-ordered, strides [8, 8]", []),
    ("float64-3x1", "np.arange(3.0).reshape(3, 1)", "float64 (3, 1) C-ordered, strides [8, 8]", []),
    ("float64-3x1-fortran", "np.array([[0.0], [1.0], [2.0]], order='F')",
     "float64 (3, 1) Fortran-ordered, strides [8, 24]", []),
    ("float64-1x4-slice", "np.arange(12.0).reshape(3, 4)[::2][:1]",
     "float64 (1, 4) slice numpy calls contiguous (strides 64, 8): pyarrow writes [32, 8]", []),
    ("float64-64d", "np.full((1,) * 64, 2.5)", "float64 of 64 dimensions of 1, max_ndim", LIMITS),
    # flamepy's defects ([flame.tensor.type], [flame.tensor.elements])
    ("uint8-from-bool", "np.array([True, False, True])",
     "bool array: written as unsigned 8-bit ints, decodes as uint8 [1, 0, 1]", []),
    ("uint8-from-bool-0d", "np.array(True)",
     "bool 0-d: decodes as uint8 1; its empty strides vector 4 bytes off a multiple of 8", []),
    ("int32-from-big-endian", "np.array([1, 2], dtype='>i4')",
     "'>i4' [1, 2] written unswapped: decodes as int32 [16777216, 33554432]", []),
    ("float64-from-big-endian", "np.array([1.0, -2.0], dtype='>f8')",
     "'>f8' [1.0, -2.0] written unswapped: decodes as the little-endian reading", []),
]


# The 0-d frames whose empty strides vector pyarrow writes with its elements 4 bytes off a
# multiple of 8 ([flame.tensor.message]'s exception for empty vectors); the description says so.
EMPTY_STRIDES_OFF_8 = {"float64-0d", "uint8-from-bool-0d"}


def empty_strides_elements(data: bytes) -> int | None:
    """Where a 0-d frame's empty strides vector's elements start, from the start of the
    metadata; None for a frame with dimensions."""
    t = Msg(data[4:], 0).header
    _, n, start = t.vector(3)
    return None if t.vector(2)[1] else start - 8


def valid_vectors(S: Suite):
    for suffix, expr, desc, extra in VALID:
        a = run(expr)
        data = run(written(expr))
        assert data[:4] == b"FLM\x01", (suffix, data[:4])
        elements = empty_strides_elements(data)
        assert (elements is not None and elements % 8 == 4) == (suffix in EMPTY_STRIDES_OFF_8), \
            (suffix, elements)
        value = flame_value(a)
        if a.dtype != np.bool_ and a.dtype.isnative:
            assert value == canon(a), suffix
        # The per-dtype vectors (extremes, and one of each float) cite their dtype's row.
        row = [f"flame.tensor.type[{value['dtype']}]"] if "extremes" in suffix or \
            suffix in ("float16", "float32-2x3", "float64-2x3") else []
        S.valid(f"flame-tensor-{suffix}", f"flamepy tensor: {desc}", TENSOR + row + extra, B(data),
                value, src(written(expr)))


# ----------------------------------------------------------------------------------------------
# Valid vectors only the spec allows: hand-built messages no producer writes
# ----------------------------------------------------------------------------------------------

def hand_valid_vectors(S: Suite):
    """Each is built with the flatbuffers Builder (flame_tensor.tensor_payload) from the array
    `expr` builds, changing one thing pyarrow does; pyarrow and flamepy read each back as the
    array (sanity_decode), except the one numpy cannot build (NUMPY_CANNOT)."""
    f64, i32 = "np.arange(6.0).reshape(2, 3)", "np.array([1, 2, 3], dtype=np.int32)"
    for suffix, desc, expr, kw, extra, why in [
            ("float64-2x3-no-strides", "float64 2x3 with strides absent: row-major", f64,
             {"strides": None}, [], "pyarrow always writes strides; Tensor.fbs makes them optional"),
            ("float64-0d-no-strides", "float64 0-d with strides absent", "np.array(3.5)",
             {"strides": None}, [], "pyarrow always writes strides, empty for 0-d"),
            ("int32-1d-no-names", "int32 [1, 2, 3] with the dimension name absent, not \"\"", i32,
             {"names": None}, [], "pyarrow writes every name as \"\"; Tensor.fbs makes it optional"),
            ("int32-1d-empty-custom-metadata", "int32 [1, 2, 3] with an empty custom_metadata vector",
             i32, {"custom_metadata": []}, [], "pyarrow writes no custom_metadata at all"),
            ("int32-1d-body-padded", "int32 [1, 2, 3], body padded with 4 zero bytes to 16", i32,
             {"pad_body": 4}, [], "pyarrow does not pad the body; Arrow's format pads it to 8"),
            ("int32-1d-metadata-aligned-8", "int32 [1, 2, 3] with 8 + M a multiple of 8, not of 64",
             i32, {"align": 8}, [], "pyarrow pads 8 + M to 64; M need only be a multiple of 8"),
            ("float32-0x3-any-strides", "float32 empty (0, 3) with strides [123, -5], not checked",
             "np.zeros((0, 3), dtype=np.float32)", {"strides": [123, -5]}, [],
             "strides of an empty tensor describe nothing; pyarrow writes the item size in each"),
            ("float64-2-40-by-2-40-by-0", "float64 empty [2^40, 2^40, 0] (numpy cannot build it)",
             None, {"strides": [8, 8, 8]}, ["limits.elements"],
             "numpy cannot build the shape, so flamepy cannot write it; pyarrow reads the tensor")]:
        if expr is None:
            value = {"kind": "ndarray", "dtype": "float64", "shape": [2**40, 2**40, 0], "hex": ""}
        else:
            value = canon(run(expr))
        pad = kw.pop("pad_body", 0)
        body = bytes.fromhex(value["hex"])
        data = b"FLM\x01" + ft.tensor_payload(shape=value["shape"], dtype=value["dtype"],
                                               body=body + bytes(pad), data=(0, len(body)), **kw)
        S.valid(f"flame-tensor-hand-{suffix}", f"hand-built tensor: {desc}", TENSOR + extra,
                B(data), value, hand(why + "; built with the flatbuffers Builder"))


# ----------------------------------------------------------------------------------------------
# Encode vectors ([flame.encode.tensor], [flame.encode.refuse])
# ----------------------------------------------------------------------------------------------

ENC = ["flame.encode.tensor", "flame.encode.refuse", "canonical.ndarray", "canonical.ndarray.bytes"]


def encode_check(vid: str, a: np.ndarray, value: dict):
    """A round-trip vector's value: this generator's encoder of [flame.encode.tensor] writes a
    frame that its reader, pyarrow and flamepy read back as the value; and flamepy's own writer,
    given the same array, writes bytes that decode to it too (their bytes differ: the vectors
    never compare them)."""
    mine = ft.encode(value)
    assert ft.decode(mine) == value, vid
    assert (len(mine) - 4 - len(bytes.fromhex(value["hex"]))) % 64 == 0, vid  # 8 + M: 64s
    if vid in NUMPY_CANNOT_ENCODE:
        return
    verdict, theirs = flamepy_reads(mine)
    assert verdict == "value" and theirs == value, f"{vid}: flamepy reads our frame as {theirs}"
    got = pa.ipc.read_tensor(pa.BufferReader(mine[4:])).to_numpy()
    assert canon(got) == value, vid
    assert ft.decode(_serialize_object_data(a)) == value, f"{vid}: flamepy's own frame differs"


NUMPY_CANNOT_ENCODE = {"flame-encode-float64-2-40-by-2-40-by-0"}


def encode_vectors(S: Suite):
    for dtype in ft.DTYPES:
        kind = np.dtype(dtype).kind
        scalar = {"i": "-7", "u": "7", "f": "1.5"}[kind]
        for shape_id, expr, desc in [
                ("0d", f"np.array({scalar}, dtype=np.{dtype})", f"{dtype} 0-d {scalar}"),
                ("2x3", f"np.arange(6, dtype=np.{dtype}).reshape(2, 3)", f"{dtype} 2x3 from arange"),
                ("0x3", f"np.zeros((0, 3), dtype=np.{dtype})", f"{dtype} empty (0, 3)")]:
            a = run(expr)
            vid = f"flame-encode-{dtype}-{shape_id}"
            encode_check(vid, a, canon(a))
            S.encode(vid, f"flame tensor encoder round trip: {desc}",
                     ENC + (["vector.profile"] if vid == "flame-encode-float64-2x3" else []),
                     canon(a), "tensor", {"roundtrip": True}, src(expr))
    for suffix, expr, desc in [
            ("int64-extremes", "np.array([-2**63, 2**63 - 1], dtype=np.int64)", "int64 min and max"),
            ("uint64-max", "np.array([2**64 - 1], dtype=np.uint64)", "uint64 max"),
            ("float64-nan-payload", "np.array([0x7ff0000000000001], dtype='<u8').view('<f8')",
             "float64 signalling NaN with payload 1"),
            ("float16-subnormal", "np.array([2**-24, -0.0], dtype=np.float16)",
             "float16 smallest subnormal and -0.0"),
            ("int32-3d-fortran", "np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4))",
             "int32 2x3x4 from a Fortran-ordered array (the value is C order)"),
            ("uint8-64d", "np.full((1,) * 64, 9, dtype=np.uint8)", "uint8 of 64 dimensions of 1")]:
        a = run(expr)
        vid = f"flame-encode-{suffix}"
        encode_check(vid, a, canon(a))
        S.encode(vid, f"flame tensor encoder round trip: {desc}", ENC, canon(a), "tensor",
                 {"roundtrip": True}, src(expr))
    huge0 = {"kind": "ndarray", "dtype": "float64", "shape": [2**40, 2**40, 0], "hex": ""}
    vid = "flame-encode-float64-2-40-by-2-40-by-0"
    encode_check(vid, None, huge0)
    S.encode(vid, "flame tensor encoder round trip: shape [2^40, 2^40, 0] holds no element",
             ENC + ["limits.elements"], huge0, "tensor", {"roundtrip": True},
             hand("numpy cannot build the shape (its size arithmetic overflows: canonical-value.md); "
                  "the product is 0 by [limits.elements]"))

    # [flame.encode.refuse]: dtypes with no Arrow tensor type in the table. (complex64 and
    # complex128 are not canonical dtypes, so no value can carry them to an encoder.)
    for suffix, expr, desc in [
            ("bool", "np.array([True, False, True])", "bool (a decoder would give it back as uint8)"),
            ("bool-0d", "np.array(False)", "bool 0-d"),
            ("str", "np.array(['ab', 'c', ''], dtype='<U3')", "<U3"),
            ("bytes", "np.array([b'ab', b'c'], dtype='|S3')", "|S3"),
            ("datetime64-ns", "np.array(['2024-01-02T03:04:05.123456789'], dtype='datetime64[ns]')",
             "datetime64[ns]"),
            ("datetime64-d", "np.array(['2024-02-29', '1970-01-01'], dtype='datetime64[D]')",
             "datetime64[D]"),
            ("timedelta64-s", "np.array([5, -3], dtype='timedelta64[s]')", "timedelta64[s]"),
            ("str-empty", "np.zeros((0,), dtype='<U3')", "empty <U3 (refused by dtype, not content)")]:
        a = run(expr)
        value = canon(a)
        try:
            ft.encode(value)
            raise AssertionError(suffix)
        except ft.FlameError as e:
            assert e.code == "E_DTYPE_UNSUPPORTED", suffix
        S.encode(f"flame-encode-refuse-{suffix}", f"flame tensor encoder refuses {desc}",
                 ["flame.encode.refuse", "flame.tensor.type"], value, "tensor",
                 {"error": "E_DTYPE_UNSUPPORTED"}, src(expr))
    # [flame.encode.refuse]: a value of another kind has no flame form.
    for kind, value in [
            ("sparse", {"kind": "sparse", "format": "coo", "dtype": "float64", "shape": [3, 0],
                        "hex": "", "row": [], "col": []}),
            ("tensor", {"kind": "tensor", "dtype": "torch.float32",
                        "array": {"kind": "ndarray", "dtype": "float32", "shape": [], "hex": "0000c03f"}}),
            ("estimator", {"kind": "estimator", "className": "linear_model.LinearRegression",
                           "module": "sklearn", "version": "1.9.1", "params": {"object": []}})]:
        try:
            ft.encode(value)
            raise AssertionError(kind)
        except ft.FlameError as e:
            assert e.code == "E_ENCODING_UNSUPPORTED", kind
        S.encode(f"flame-encode-refuse-kind-{kind}", f"flame tensor encoder given a {kind} value",
                 ["flame.encode.refuse", "flame.encode.tensor", f"canonical.{kind}"], value, "tensor",
                 {"error": "E_ENCODING_UNSUPPORTED"},
                 hand(f"a canonical {kind} value (as the {kind} vectors carry) asked for the flame "
                      "tensor encoding, which only an ndarray value has"))
    good_expr = "np.arange(6.0).reshape(2, 3)"
    good = canon(run(good_expr))
    for suffix, desc, hexs in [("short", "one byte short of", good["hex"][:-2]),
                               ("long", "one byte longer than", good["hex"] + "00")]:
        value = dict(good, hex=hexs)
        try:
            ft.encode(value)
            raise AssertionError(suffix)
        except ft.FlameError as e:
            assert e.code == "E_SHAPE_MISMATCH", suffix
        S.encode(f"flame-encode-wrong-hex-length-{suffix}",
                 f"flame tensor encoder given float64 hex {desc} shape [2, 3]",
                 ["canonical.ndarray.lowercase", "flame.encode.tensor"], value, "tensor",
                 {"error": "E_SHAPE_MISMATCH"}, src(good_expr, "canonical value's hex cut or extended"))


# ----------------------------------------------------------------------------------------------
# Equivalence groups: flame tensors beside the ndarray vectors of the same value
# ----------------------------------------------------------------------------------------------

@functools.cache
def ndarray_suite() -> Suite:
    """The ndarray envelope's vectors, built in memory as its module builds them (not read from
    disk): the flame groups join them, and two pickle-refusal inputs are theirs."""
    from . import ndarray
    N = Suite(ndarray.MARKER, ndarray.ID_PREFIX, ndarray.sanity_decode)
    ndarray.build(N)
    return N


def equivalence_groups(S: Suite):
    """One group per value that two or more valid vectors share: the flame tensors that decode to
    it and every valid ndarray vector (arrow, json, frame) that does."""
    def key(value):
        return json.dumps(value, sort_keys=True)

    ndarray_by_value = {}
    for vid, (kind, vec) in ndarray_suite().vectors.items():
        if kind == "valid":
            ndarray_by_value.setdefault(key(vec["expect"]["value"]), []).append(vid)
    flame_by_value = {}
    for vid, (kind, vec) in S.vectors.items():
        if kind == "valid":
            flame_by_value.setdefault(key(vec["expect"]["value"]), []).append(vid)
    others = ndarray_suite().vectors
    for k, flame_ids in flame_by_value.items():
        flame_ids = [v for v in flame_ids if v.startswith("flame-tensor-")]
        nd = ndarray_by_value.get(k, [])
        if len(flame_ids) + len(nd) < 2:
            continue
        first = flame_ids[0]
        name = first.removeprefix("flame-tensor-").removeprefix("hand-")
        desc = S.vectors[first][1]["description"].split(": ", 1)[1]
        what = f"{len(flame_ids)} flame tensor{'s' if len(flame_ids) > 1 else ''}"
        if nd:
            what += f" and {len(nd)} ndarray vector{'s' if len(nd) > 1 else ''}"
        assert len(f"{what}: {desc}") < 120, desc
        S.group(f"eq-flame-{name}", f"{what}: {desc}", flame_ids + nd, others)
