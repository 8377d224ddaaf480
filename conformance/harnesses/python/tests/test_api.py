"""The Python API beyond the vectors: what a user of sciwire-py relies on."""

from __future__ import annotations

import json

import numpy as np
import pytest

import vectors as V  # noqa: F401  (puts the package on sys.path)

import sciwire_py as sw
from sciwire_py import dtypes


def code(fn, *args, **kw):
    with pytest.raises(sw.SciwireError) as e:
        fn(*args, **kw)
    return e.value.code


ALL_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
              "float32", "float64", "datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]",
              "datetime64[D]", "timedelta64[s]", "timedelta64[ms]", "timedelta64[us]", "timedelta64[ns]"]


@pytest.mark.parametrize("name", ALL_DTYPES)
def test_dtype_table_names(name):
    d = dtypes.lookup(name)
    assert d is not None and d.name == name
    assert str(d.numpy()) == name          # numpy's own spelling, as the table says
    assert dtypes.of_numpy(d.numpy()).name == name


@pytest.mark.parametrize("name", ALL_DTYPES)
@pytest.mark.parametrize("encoding", ["arrow", "json"])
def test_roundtrip_every_dtype(name, encoding):
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, size=6 * np.dtype(name).itemsize, dtype=np.uint8).tobytes()
    arr = np.frombuffer(raw, dtype=name).reshape(2, 3).copy()
    if arr.dtype.kind == "b":
        arr = arr.view(np.uint8) % 2 == 1
    if arr.dtype.kind == "f":
        arr[~np.isfinite(arr)] = 0
    if arr.dtype.kind in "iu":
        arr = arr // 4096 if arr.dtype.itemsize == 8 else arr   # within +-(2^53-1)
    if arr.dtype.kind in "mM":
        arr = (arr.view("<i8") // 2**33).view(arr.dtype)          # no NaT, within Date32
    d = dtypes.of_numpy(arr.dtype)
    if encoding == "json" and not d.json_ok:
        assert code(sw.dumps, arr, encoding) == "E_DTYPE_UNSUPPORTED"
        return
    text = sw.dumps(arr, encoding)
    out = sw.loads(text)
    assert out.dtype == arr.dtype and out.shape == arr.shape
    assert sw.to_canonical(out) == sw.to_canonical(arr)
    env = json.loads(text)
    assert env["codecVersion"] == 1 and env["dtype"] == name and env["shape"] == [2, 3]


@pytest.mark.parametrize("encoding", ["arrow", "json"])
def test_layouts_are_written_in_c_order(encoding):
    base = np.arange(24, dtype=np.int32).reshape(4, 6)
    for arr in (np.asfortranarray(base), base.T, base[::-1, ::2], base[1:3, 2:5], base[:, ::-1].T):
        out = sw.loads(sw.dumps(arr, encoding))
        assert out.flags.c_contiguous and np.array_equal(out, arr)
        assert sw.to_canonical(out) == sw.to_canonical(np.ascontiguousarray(arr))
        assert sw.dumps(arr, encoding) == sw.dumps(np.ascontiguousarray(arr), encoding)


def test_loads_takes_bytes_and_str():
    text = sw.dumps(np.array([1.5, -0.0]), "json")
    assert sw.to_canonical(sw.loads(text)) == sw.to_canonical(sw.loads(text.encode()))
    assert np.signbit(sw.loads(text)[1])
    assert code(sw.loads, "\ufeff" + text) == "E_JSON_SYNTAX"
    assert code(sw.loads, text[:-1] + "\ud800}") == "E_JSON_SYNTAX"


def test_scalars_and_zero_d():
    out = sw.loads(sw.dumps(np.float32(0.1), "json"))
    assert out.shape == () and out.dtype == np.float32 and out == np.float32(0.1)
    assert sw.loads(sw.dumps(np.array("héllo"))) == "héllo"


@pytest.mark.parametrize("arr", [
    np.array([1 + 2j]), np.array([1], dtype=np.complex64), np.array([object()], dtype=object),
    np.zeros(2, dtype=[("x", "<i4")]), np.zeros(2, dtype="V8"), np.array([1.0], dtype=">f8"),
    np.array([1], dtype=">i4"), np.array(["ab"], dtype=">U2"), np.zeros(1, dtype="datetime64[Y]"),
    np.zeros(1, dtype="datetime64[h]"), np.zeros(1, dtype="datetime64"), np.zeros(1, dtype="timedelta64[D]"),
    np.zeros(1, dtype="datetime64[2s]"), np.zeros(1, dtype=np.longdouble),
    np.ma.masked_array([1.0, 2.0], mask=[False, True]),
], ids=lambda a: str(a.dtype))
def test_refused_dtypes(arr):
    for encoding in ("arrow", "json"):
        assert code(sw.dumps, arr, encoding) == "E_DTYPE_UNSUPPORTED"
    if not isinstance(arr, np.ma.MaskedArray):
        assert code(sw.to_canonical, arr) == "E_DTYPE_UNSUPPORTED"


def test_json_refusals():
    assert code(sw.dumps, np.array([np.nan]), "json") == "E_VALUE_DOMAIN"
    assert code(sw.dumps, np.array([np.inf], dtype=np.float16), "json") == "E_VALUE_DOMAIN"
    assert code(sw.dumps, np.array([2**53], dtype=np.int64), "json") == "E_VALUE_DOMAIN"
    assert sw.loads(sw.dumps(np.array([-(2**53 - 1)], dtype=np.int64), "json"))[0] == -(2**53 - 1)
    assert code(sw.dumps, np.array(["a"]), "json") == "E_DTYPE_UNSUPPORTED"
    assert code(sw.dumps, np.array([1], dtype="datetime64[s]"), "json") == "E_DTYPE_UNSUPPORTED"
    assert code(sw.dumps, np.array([1.0]), "msgpack") == "E_ENCODING_UNSUPPORTED"


def test_arrow_refusals():
    assert code(sw.dumps, np.array([2**31], dtype="datetime64[D]")) == "E_VALUE_DOMAIN"
    assert code(sw.dumps, np.array(["NaT"], dtype="datetime64[D]")) == "E_VALUE_DOMAIN"
    # NaT is carried as its int64 value, never as a null ([ndarray.arrow.nulls])
    for nat in (np.array(["NaT", "2020-01-01"], dtype="datetime64[ns]"), np.array(["NaT"], dtype="timedelta64[s]")):
        back = sw.loads(sw.dumps(nat, "arrow"))
        assert back.dtype == nat.dtype and back.view("<i8").tolist() == nat.view("<i8").tolist()
    # a lone surrogate cannot be UTF-8
    assert code(sw.dumps, np.array(["a\ud800"])) == "E_VALUE_DOMAIN"
    # NaN payloads and signs survive the arrow encoding
    nan = np.array([0x7FF0000000000001, 0xFFF8000000000000], dtype="<u8").view("<f8")
    assert sw.to_canonical(sw.loads(sw.dumps(nan))) == sw.to_canonical(nan)


def test_strings_keep_interior_zeros():
    for arr in (np.array(["a\x00b", "\x00c", ""]), np.array([b"a\x00b", b"\x00c", b""])):
        out = sw.loads(sw.dumps(arr))
        assert out.dtype == arr.dtype and out.tolist() == arr.tolist()


def test_float32_json_is_exact():
    arr = np.array([0.1, 1 / 3, 3.4028235e38, 1e-45], dtype=np.float32)
    assert sw.to_canonical(sw.loads(sw.dumps(arr, "json"))) == sw.to_canonical(arr)


def test_canonical_roundtrip_and_errors():
    arr = np.arange(6, dtype=np.int16).reshape(2, 3)
    c = sw.to_canonical(arr)
    assert c == {"kind": "ndarray", "dtype": "int16", "shape": [2, 3], "hex": "000001000200030004000500"}
    assert np.array_equal(sw.from_canonical(c), arr)
    assert code(sw.from_canonical, dict(c, hex=c["hex"][:-2])) == "E_SHAPE_MISMATCH"
    assert code(sw.from_canonical, dict(c, hex="0A" + c["hex"][2:])) == "E_SHAPE_MISMATCH"
    assert code(sw.from_canonical, dict(c, dtype="<f8")) == "E_DTYPE_UNSUPPORTED"
    assert code(sw.from_canonical, dict(c, shape=[-1])) == "E_SHAPE_INVALID"
    assert code(sw.from_canonical, {"kind": "ndarray", "dtype": "bool", "shape": [1], "hex": "02"}) \
        == "E_VALUE_DOMAIN"


def test_error_object():
    with pytest.raises(sw.SciwireError) as e:
        sw.loads(b'{"__tywrap__": "ndarray", "codecVersion": 2}')
    err = e.value
    assert err.code == "E_CODEC_VERSION" and err.clause == "envelope.codec-version" and err.path == "/codecVersion"
    assert set(err.to_dict()) == {"code", "message", "clause", "path"}
    assert isinstance(err, ValueError)


def test_limits():
    assert sw.Limits() == sw.Limits(268435456, 128, 64, 268435456, 268435456, 1048576)
    assert sw.Limits(max_depth=10000).max_depth == 10000
    for bad in ({"max_depth": 65}, {"max_depth": 10001}, {"max_ndim": 65}, {"max_ndim": 31},
                {"max_params_values": 65535}, {"max_params_values": 2**28 + 1},
                {"max_elements": 2**53}, {"max_input_bytes": 1000}, {"max_decoded_bytes": 1000}):
        with pytest.raises(ValueError):
            sw.Limits(**bad)
    small = sw.Limits(max_depth=66, max_ndim=32)
    deep = json.dumps({"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", "dtype": "int8",
                       "shape": [1] * 33, "data": 0})
    assert code(sw.loads, deep, small) == "E_LIMIT_EXCEEDED"
    assert code(sw.loads, deep) == "E_SHAPE_MISMATCH"


def test_unrepresentable_but_valid():
    vecs, _ = V.load_all()
    for vid in ("ndarray-arrow-str-max-width-empty", "ndarray-arrow-shape-zero-last"):
        data = V.input_bytes(vecs[vid]["input"], 1 << 30)
        assert sw.decode(data).canonical() == vecs[vid]["expect"]["value"]
        with pytest.raises(sw.UnrepresentableError):
            sw.loads(data)


def test_large_number_arrays_stay_compact():
    """A number-only array is parsed straight into float64 (no Python float per element)."""
    arr = np.arange(200_000, dtype=np.float64).reshape(400, 500)
    out = sw.loads(sw.dumps(arr, "json"))
    assert np.array_equal(out, arr)


def test_dictionary_index_type_is_an_int():
    """A dictionary-encoded field whose indexType Int has bitWidth 524320 is a
    malformed stream ([ndarray.arrow.stream] item 1: an Int bitWidth is 8, 16,
    32 or 64), not a well-formed dictionary field for [ndarray.arrow.schema].
    Found by the differential run (seed 424242)."""
    text = '{"__tywrap__":"ndarray","b64":"/////5AAAAAQAAAAAAAKAAwABgAFAAgACgAAAAABBAAEAAAAuP///wQAAAABAAAAFAAAABAAGAAIAAYABwAMABAAFAAQAAAAAAABBRQAAABEAAAAIAAAAAQAAAAAAAAABQAAAHZhbHVlAAAACAAIAAAABAAIAAAADAAAAAgADAAIAAcACAAAAAAAAAEgAAgABAAEAAQAAAD/////AAAAAA==","codecVersion":1,"dtype":"<U1","encoding":"arrow","shape":[0]}'
    e = code(sw.loads, text)
    assert e == "E_ARROW_PAYLOAD"
