"""Binary frames (spec/src/frame.md), clause by clause: each clause's
accepting and rejecting side, the processing order, the views of
[frame.view] and the exact bytes of [frame.encode].

Frames here are built by hand (:func:`raw`), not by the package's writer, so
that the reader and the writer are tested against the page, not against each
other."""

from __future__ import annotations

import base64
import json
import struct

import numpy as np
import pytest

import vectors as V  # noqa: F401  (puts the package on sys.path)

import sciwire_py as sw
from sciwire_py import frame

SIG = bytes.fromhex("c153575 20d0a1a0a".replace(" ", ""))


def pad64(n: int) -> int:
    return -(-n // 64) * 64


def raw(header, buffers=(), *, version=1, h=None, gap=b"\x00", tail=b"", fill=None) -> bytes:
    """A frame by hand: ``header`` (dict, written compactly, or bytes as is)
    and the buffers' bytes, laid out as the page says (each buffer at the
    next multiple of 64). ``buffers`` member is added to a dict header unless
    it has one. ``h`` overrides H, ``gap`` is the padding byte, ``fill``
    replaces the padding after the header, ``tail`` is appended."""
    buffers = [bytes(b) for b in buffers]
    if isinstance(header, dict):
        header = dict(header)
        if "buffers" not in header:
            items, end = [], 0
            for b in buffers:
                off = pad64(end)
                items.append([off, len(b)])
                end = off + len(b)
            header["buffers"] = items
        text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    else:
        text = header
    d = pad64(16 + len(text))
    out = bytearray(SIG + struct.pack("<II", version, len(text) if h is None else h) + text)
    out += (fill if fill is not None else gap * (d - len(out)))
    end = 0
    for b in buffers:
        off = pad64(end)
        out += gap * (off - end) + b
        end = off + len(b)
    return bytes(out) + tail


def nd(dtype="float64", shape=(2, 3), data=0, **extra):
    h = {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "frame", "dtype": dtype, "shape": list(shape),
         "data": data}
    h.update(extra)
    return h


F64 = np.arange(6.0).tobytes()


def code(data) -> str:
    with pytest.raises(sw.SciwireError) as e:
        sw.decode(data)
    return e.value.code


def value(data) -> dict:
    return sw.decode(data).canonical()


def test_signature_bytes():
    assert SIG == frame.SIGNATURE == b"\xc1SWR\r\n\x1a\n"


# --- [frame.detect] ------------------------------------------------------------

def test_detect_first_byte():
    good = raw(nd(), [F64])
    assert value(good)["hex"] == F64.hex()
    # the same bytes as a str, or anything not starting with c1, are JSON text
    assert code(b"\xc2" + good[1:]) == "E_JSON_SYNTAX"
    assert code(b"A" + good[1:]) == "E_JSON_SYNTAX"   # a channel that strips the eighth bit
    assert code(json.dumps(nd()).encode()) == "E_ENCODING_UNSUPPORTED"   # "frame" in JSON text
    assert code(b"\xc1") == "E_FRAME_SIGNATURE"
    # bytearray and memoryview inputs are frames too
    assert value(bytearray(good))["hex"] == F64.hex()
    assert value(memoryview(good))["hex"] == F64.hex()


# --- [frame.signature], [frame.version], [frame.header-length] -------------------

@pytest.mark.parametrize("n", [1, 5, 7])
def test_signature_cut(n):
    assert code(SIG[:n]) == "E_FRAME_SIGNATURE"


@pytest.mark.parametrize("k", range(1, 8))
def test_signature_damaged(k):
    good = bytearray(raw(nd(), [F64]))
    good[k] ^= 0x20
    assert code(bytes(good)) == "E_FRAME_SIGNATURE"


def test_signature_crlf_translated():
    good = raw(nd(), [F64])
    assert code(good.replace(b"\r\n", b"\n", 1)) == "E_FRAME_SIGNATURE"


@pytest.mark.parametrize("version", [0, 2, 0x01000000, 2**32 - 1])
def test_version(version):
    assert code(raw(nd(), [F64], version=version)) == "E_FRAME_VERSION"
    # the version is compared as soon as its 4 bytes are there, before H
    assert code(raw(nd(), [F64], version=version)[:12]) == "E_FRAME_VERSION"


def test_version_missing_is_layout():
    good = raw(nd(), [F64])
    assert code(good[:8]) == "E_FRAME_LAYOUT"
    assert code(good[:10]) == "E_FRAME_LAYOUT"
    assert code(good[:12]) == "E_FRAME_LAYOUT"   # version 1, no H
    assert code(good[:14]) == "E_FRAME_LAYOUT"


def test_header_length():
    text = json.dumps(dict(nd(), buffers=[[0, 48]]), separators=(",", ":")).encode()
    good = raw(nd(), [F64])
    assert value(good)["shape"] == [2, 3]
    assert code(raw(nd(), [F64], h=len(good) - 15)) == "E_FRAME_LAYOUT"   # 16 + H one past the input
    assert code(raw(nd(), [F64], h=2**32 - 1)) == "E_FRAME_LAYOUT"        # checked before allocating
    assert code(raw(nd(), [F64], h=len(good) - 16)) == "E_JSON_SYNTAX"    # fits: the header runs into the data
    assert code(raw(nd(), [F64], h=len(text) - 1)) == "E_JSON_SYNTAX"     # one short: a cut header
    assert code(good[:16 + len(text) - 1]) == "E_FRAME_LAYOUT"


# --- [frame.header] ------------------------------------------------------------

def test_header_is_strict_json():
    assert code(raw(b"")) == "E_JSON_SYNTAX"
    assert code(raw(b"\xef\xbb\xbf" + json.dumps(nd()).encode())) == "E_JSON_SYNTAX"   # BOM
    assert code(raw(b'{"a":"\xff"}')) == "E_JSON_SYNTAX"
    assert code(raw(b'{"a":NaN}')) == "E_JSON_SYNTAX"
    assert code(raw(b'{"buffers":[],"buffers":[]}')) == "E_JSON_DUPLICATE_KEY"
    assert code(raw(b"[" * 129 + b"]" * 129)) == "E_LIMIT_EXCEEDED"
    # the padding is not part of the header, whitespace inside H is
    hdr = json.dumps(dict(nd(), buffers=[[0, 48]]), indent=1).encode() + b" \n"
    assert value(raw(hdr, [F64]))["hex"] == F64.hex()
    assert code(raw(json.dumps(dict(nd(), buffers=[[0, 48]])).encode() + b"\x00", [F64])) == "E_JSON_SYNTAX"


@pytest.mark.parametrize("header", [b"[]", b'"ndarray"', b"null", b"0"])
def test_header_not_an_object(header):
    assert code(raw(header)) == "E_NOT_ENVELOPE"


def test_header_object_without_marker_after_layout():
    h = nd()
    del h["__tywrap__"]
    assert code(raw(h, [F64])) == "E_NOT_ENVELOPE"
    assert code(raw(h, [F64], tail=b"\x00")) == "E_FRAME_LAYOUT"   # the frame's checks come first
    assert code(raw(b'{"codecVersion":1}')) == "E_MISSING_FIELD"     # buffers: frame.buffers


# --- [frame.buffers] -----------------------------------------------------------

def test_buffers_member():
    assert code(raw(b'{"__tywrap__":"ndarray"}')) == "E_MISSING_FIELD"
    for b in ("{}", "null", "0", '"[]"'):
        assert code(raw(b'{"buffers":' + b.encode() + b"}")) == "E_FIELD_TYPE", b


@pytest.mark.parametrize("item", ["[0]", "[0,48,0]", "[-1,48]", "[0,-48]", "[0,1.5]", '["0",48]', "null", "{}",
                                  "0", "[0,null]", "[0,9007199254740992]", "[[0],48]", "[true,48]"])
def test_buffer_items(item):
    assert code(raw(nd(buffers=None) | {"buffers": json.loads("[" + item + "]")}, [F64])) == "E_FRAME_LAYOUT"


def test_buffer_item_without_value():
    hdr = json.dumps(nd(), separators=(",", ":"))[:-1] + ',"buffers":[[0,1e400]]}'
    assert code(raw(hdr.encode(), [F64])) == "E_FRAME_LAYOUT"


def test_buffer_items_read_before_limits_and_layout():
    # the second item is malformed: layout error, although the first claims past the limit
    assert code(raw(dict(nd(), buffers=[[0, 2**40], [0]]), [F64])) == "E_FRAME_LAYOUT"


def test_buffer_items_integer_values():
    # an integer is a number whose value is whole: 48.0 and 4.8e1 are 48
    hdr = json.dumps(nd(), separators=(",", ":"))[:-1] + ',"buffers":[[0.0,4.8e1]]}'
    assert value(raw(hdr.encode(), [F64]))["hex"] == F64.hex()


def test_layout_accepts_the_one_layout():
    h = {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "frame", "format": "csr", "shape": [2, 3],
         "dtype": "float64", "data": 0, "indices": 1, "indptr": 2}
    data = np.array([1.5, 2.0, -1.0]).tobytes()
    ind = np.array([1, 0, 2], "<i8").tobytes()
    ptr = np.array([0, 1, 3], "<i8").tobytes()
    v = value(raw(h, [data, ind, ptr]))
    assert v == {"kind": "sparse", "format": "csr", "dtype": "float64", "shape": [2, 3], "hex": data.hex(),
                 "indices": [1, 0, 2], "indptr": [0, 1, 3]}


@pytest.mark.parametrize("buffers", [[[8, 48]], [[64, 48]], [[1, 48]]])
def test_layout_misplaced(buffers):
    assert code(raw(dict(nd(), buffers=buffers), [F64])) == "E_FRAME_LAYOUT"


def test_layout_cut_and_trailing():
    good = raw(nd(), [F64])
    assert code(good[:-1]) == "E_FRAME_LAYOUT"
    assert code(good + b"\x00") == "E_FRAME_LAYOUT"
    assert code(good + b"\n") == "E_FRAME_LAYOUT"
    assert code(good + good) == "E_FRAME_LAYOUT"
    # with no buffer the frame ends at D
    est = {"__tywrap__": "sklearn.estimator", "codecVersion": 1, "encoding": "json", "className": "A",
           "module": "m", "version": None, "params": {}}
    ok = raw(est)
    assert len(ok) % 64 == 0 and value(ok)["kind"] == "estimator"
    assert code(ok + b"\x00") == "E_FRAME_LAYOUT"
    assert code(ok[:-1]) == "E_FRAME_LAYOUT"


def test_layout_overlap_and_order():
    h = {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "frame", "format": "coo", "shape": [2, 3],
         "dtype": "float64", "data": 0, "row": 1, "col": 2}
    d8 = np.array([1.0]).tobytes()
    i8 = np.array([0], "<i8").tobytes()
    assert value(raw(h, [d8, i8, i8]))["row"] == [0]
    assert code(raw(dict(h, buffers=[[0, 8], [0, 8], [64, 8]]), [d8, i8, i8])) == "E_FRAME_LAYOUT"  # overlap
    assert code(raw(dict(h, buffers=[[64, 8], [0, 8], [128, 8]]), [d8, i8, i8])) == "E_FRAME_LAYOUT"  # order


# --- [frame.limits] ------------------------------------------------------------

@pytest.mark.parametrize("buffers", [[[0, 268435457]], [[0, 2**40]], [[0, 2**53 - 1]],
                                     [[0, 2**27], [2**27, 2**27], [2**28, 1]], [[0, 2**53 - 1]] * 3])
def test_limits_before_layout(buffers):
    assert code(raw(dict(nd(), buffers=buffers), [F64])) == "E_LIMIT_EXCEEDED"


def test_limits_configurable():
    lim = sw.Limits(max_decoded_bytes=16777216)
    big = np.zeros(16777216 // 8 + 8, "<f8").tobytes()
    with pytest.raises(sw.SciwireError) as e:
        sw.decode(raw(nd(shape=[len(big) // 8]), [big]), lim)
    assert e.value.code == "E_LIMIT_EXCEEDED" and e.value.clause == "frame.limits"


def test_input_bytes_first():
    with pytest.raises(sw.SciwireError) as e:
        sw.decode(b"\xc1" + b"\x00" * 16777216, sw.Limits(max_input_bytes=16777216))
    assert e.value.code == "E_LIMIT_EXCEEDED" and e.value.clause == "limits.input-bytes"


# --- [frame.padding] -----------------------------------------------------------

def test_padding_zero():
    assert code(raw(nd(), [F64], gap=b" ")) == "E_FRAME_LAYOUT"
    good = bytearray(raw(nd(), [F64]))
    d = len(good) - 48
    assert value(bytes(good))["shape"] == [2, 3]
    good[d - 1] = 1   # the last padding byte before the first buffer
    assert code(bytes(good)) == "E_FRAME_LAYOUT"
    h = struct.unpack_from("<I", good, 12)[0]
    good[d - 1] = 0
    good[16 + h] = 0x20   # the first padding byte after the header
    assert code(bytes(good)) == "E_FRAME_LAYOUT"
    h = {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "frame", "format": "coo", "shape": [2, 3],
         "dtype": "float64", "data": 0, "row": 1, "col": 2}
    f = bytearray(raw(h, [np.array([1.0]).tobytes()] + [np.array([0], "<i8").tobytes()] * 2))
    d = len(f) - 128 - 8
    f[d + 8] = 0xFF   # between buffer 0 and buffer 1
    assert code(bytes(f)) == "E_FRAME_LAYOUT"


def test_padding_after_layout():
    # a frame with both non-zero padding and trailing bytes: the layout is reported
    assert code(raw(nd(), [F64], gap=b" ", tail=b"\x00")) == "E_FRAME_LAYOUT"


# --- [frame.envelope], [frame.codec-version] -------------------------------------

def test_envelope_encodings():
    assert code(raw(nd(encoding="json"), [F64])) == "E_ENCODING_UNSUPPORTED"
    assert code(raw(nd(encoding="arrow"), [F64])) == "E_ENCODING_UNSUPPORTED"
    assert code(raw(nd(encoding="Frame"), [F64])) == "E_ENCODING_UNSUPPORTED"
    assert code(raw(nd(b64="AAAA"), [F64])) == "E_UNKNOWN_FIELD"
    est = {"__tywrap__": "sklearn.estimator", "codecVersion": 1, "encoding": "json", "className": "A",
           "module": "m", "version": "1", "params": {"C": 1.0}}
    assert value(raw(est))["params"] == {"object": [["C", {"float": "3ff0000000000000"}]]}
    assert code(raw(dict(est, encoding="frame"))) == "E_ENCODING_UNSUPPORTED"
    # JSON envelopes with "frame" are rejected as an unknown encoding
    for env in (nd(), dict(est, encoding="frame")):
        assert code(json.dumps(env).encode()) == "E_ENCODING_UNSUPPORTED"
    sp = {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "frame", "format": "csr", "shape": [1, 1],
          "dtype": "float64", "data": [], "indices": [], "indptr": [0]}
    assert code(json.dumps(sp).encode()) == "E_ENCODING_UNSUPPORTED"


def test_envelope_extension_members_and_buffers_not_a_member():
    assert value(raw(nd(**{"x-note": {"a": [1]}}), [F64]))["hex"] == F64.hex()
    # buffers is the frame's: a JSON envelope with it has an unknown member
    env = {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", "dtype": "int8", "shape": [0],
           "data": [], "buffers": []}
    assert code(json.dumps(env).encode()) == "E_UNKNOWN_FIELD"


def test_codec_version_required():
    h = nd()
    del h["codecVersion"]
    with pytest.raises(sw.SciwireError) as e:
        sw.decode(raw(h, [F64]))
    assert e.value.code == "E_CODEC_VERSION" and e.value.clause == "frame.codec-version"
    assert code(raw(nd(codecVersion=2), [F64])) == "E_CODEC_VERSION"
    assert value(raw(nd(codecVersion=1.0), [F64]))["shape"] == [2, 3]
    # at the point of envelope.codec-version: the marker is checked before it
    h["__tywrap__"] = "polars.DataFrame"
    assert code(raw(h, [F64])) == "E_UNKNOWN_MARKER"


# --- [frame.references] --------------------------------------------------------

@pytest.mark.parametrize("data", ["0", None, 0.5, [0], True, {"i": 0}])
def test_reference_type(data):
    assert code(raw(nd(data=data), [F64])) == "E_FIELD_TYPE"


@pytest.mark.parametrize("data", [-1, 1, 3, 2**53])
def test_reference_range(data):
    assert code(raw(nd(data=data), [F64])) == "E_FRAME_LAYOUT"


def test_reference_float_integer():
    assert value(raw(nd(data=0.0), [F64]))["hex"] == F64.hex()


def test_reference_after_shape_checks():
    # the shape and its limits come before the reference
    assert code(raw(nd(shape=[-1], data="x"), [F64])) == "E_SHAPE_INVALID"
    assert code(raw(nd(shape=[2**30, 2**30], data="x"), [F64])) == "E_LIMIT_EXCEEDED"
    assert code(raw(nd(dtype="complex128", data="x"), [F64])) == "E_DTYPE_UNSUPPORTED"


def test_reference_twice_and_never():
    h = {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "frame", "format": "coo", "shape": [2, 3],
         "dtype": "int64", "data": 0, "row": 1, "col": 1}
    b = np.array([0], "<i8").tobytes()
    assert code(raw(h, [b, b, b])) == "E_FRAME_LAYOUT"
    assert code(raw(nd(), [F64, b""])) == "E_FRAME_LAYOUT"                # buffer 1 never referred
    est = {"__tywrap__": "sklearn.estimator", "codecVersion": 1, "encoding": "json", "className": "A",
           "module": "m", "version": None, "params": {}}
    assert code(raw(est, [b""])) == "E_FRAME_LAYOUT"
    # never-referred is checked once the envelope is decoded: an envelope error comes first
    assert code(raw(nd(dtype="bool", shape=[1]), [b"\x02", b""])) == "E_VALUE_DOMAIN"


# --- [frame.lengths] ------------------------------------------------------------

def test_ndarray_lengths():
    assert code(raw(nd(), [F64[:-8]])) == "E_SHAPE_MISMATCH"
    assert code(raw(nd(), [F64 + b"\x00" * 8])) == "E_SHAPE_MISMATCH"
    assert code(raw(nd(shape=[]), [b""])) == "E_SHAPE_MISMATCH"
    assert code(raw(nd(shape=[0]), [b"\x00" * 8])) == "E_SHAPE_MISMATCH"
    assert code(raw(nd(dtype="<U2", shape=[1]), [b"a\x00\x00\x00"])) == "E_SHAPE_MISMATCH"
    assert value(raw(nd(shape=[]), [F64[:8]]))["shape"] == []
    assert value(raw(nd(shape=[2**40, 2**40, 0]), [b""]))["hex"] == ""


def _coo(dtype="float64", shape=(2, 3)):
    return {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "frame", "format": "coo",
            "shape": list(shape), "dtype": dtype, "data": 0, "row": 1, "col": 2}


def test_sparse_lengths():
    i = np.array([0, 1], "<i8").tobytes()
    d = np.array([1.0, 2.0]).tobytes()
    assert value(raw(_coo(), [d, i, i]))["row"] == [0, 1]
    assert code(raw(_coo(), [d[:-1], i, i])) == "E_SHAPE_MISMATCH"       # data not whole
    assert code(raw(_coo(), [d, i[:-4], i])) == "E_SHAPE_MISMATCH"       # index not whole
    assert code(raw(_coo(), [d, i[:8], i])) == "E_SHAPE_MISMATCH"        # sparse.lengths on counts
    assert code(raw(_coo(), [d, i, i[:8]])) == "E_SHAPE_MISMATCH"
    # whole items are checked for data and then the index arrays, before the counts agree
    assert code(raw(_coo(), [d[:8], i, i[:-1]])) == "E_SHAPE_MISMATCH"


# --- [frame.values] -------------------------------------------------------------

def test_values_bool():
    assert value(raw(nd(dtype="bool", shape=[2]), [b"\x00\x01"]))["hex"] == "0001"
    for b in (b"\x02", b"\xff"):
        assert code(raw(nd(dtype="bool", shape=[2]), [b"\x00" + b])) == "E_VALUE_DOMAIN"
    assert code(raw(_coo("bool"), [b"\x02", np.array([0], "<i8").tobytes(), np.array([0], "<i8").tobytes()])) \
        == "E_VALUE_DOMAIN"


def test_values_str_units():
    ok = "a\x00b".encode("utf-32-le") + "\U0010ffff\x00\x00".encode("utf-32-le")
    v = value(raw(nd(dtype="<U3", shape=[2]), [ok]))
    assert v["hex"] == ok.hex()   # zeros inside and at the end are carried as they are
    for unit in (0xD800, 0xDFFF, 0x110000, 0xFFFFFFFF):
        bad = struct.pack("<III", 0x61, unit, 0)
        assert code(raw(nd(dtype="<U3", shape=[1]), [bad])) == "E_VALUE_DOMAIN", hex(unit)
    assert value(raw(nd(dtype="|S3", shape=[1]), [b"\x00\xff\x00"]))["hex"] == "00ff00"


def test_values_beyond_json():
    nan = struct.pack("<Q", 0x7FF0000000000001) + struct.pack("<d", float("inf"))
    assert value(raw(nd(shape=[2]), [nan]))["hex"] == nan.hex()
    big = np.array([2**63 - 1, -(2**63)], "<i8").tobytes()
    assert value(raw(nd(dtype="int64", shape=[2]), [big]))["hex"] == big.hex()
    nat = np.array([-(2**63)], "<i8").tobytes()
    assert value(raw(nd(dtype="datetime64[ns]", shape=[1]), [nat]))["hex"] == nat.hex()
    assert value(raw(nd(dtype="datetime64[D]", shape=[1]), [nat]))["hex"] == nat.hex()


def test_values_sparse_indices():
    d = np.array([1.0]).tobytes()
    ok = np.array([0], "<i8").tobytes()
    for bad in (-1, 2**53, -(2**63)):
        b = np.array([bad], "<i8").tobytes()
        assert code(raw(_coo(shape=(2**53 - 1, 3)), [d, b, ok])) == "E_VALUE_DOMAIN"
    assert code(raw(_coo(), [d, np.array([2], "<i8").tobytes(), ok])) == "E_SPARSE_INDEX"
    nan = struct.pack("<d", float("nan"))
    assert value(raw(_coo(), [nan, ok, ok]))["hex"] == nan.hex()


# --- torch.tensor in a frame -------------------------------------------------------

def _tensor(**nested):
    inner = nd(dtype="float32", shape=[2])
    inner.update(nested)
    return {"__tywrap__": "torch.tensor", "codecVersion": 1, "encoding": "ndarray", "value": inner, "shape": [2],
            "dtype": "torch.float32", "device": "cpu"}


def test_tensor_frame():
    b = np.array([1.5, -2.0], "<f4").tobytes()
    v = value(raw(_tensor(), [b]))
    assert v == {"kind": "tensor", "dtype": "torch.float32",
                 "array": {"kind": "ndarray", "dtype": "float32", "shape": [2], "hex": b.hex()}}
    assert code(raw(_tensor(encoding="json"), [b])) == "E_ENCODING_UNSUPPORTED"
    assert code(raw(_tensor(buffers=[[0, 8]]), [b])) == "E_UNKNOWN_FIELD"
    assert code(raw(_tensor(data=1), [b])) == "E_FRAME_LAYOUT"
    t = _tensor()
    del t["value"]["codecVersion"]
    assert code(raw(t, [b])) == "E_CODEC_VERSION"
    t = _tensor()
    t["data"] = 0
    assert code(raw(t, [b])) == "E_UNKNOWN_FIELD"
    t = _tensor()
    t["encoding"] = "frame"
    assert code(raw(t, [b])) == "E_ENCODING_UNSUPPORTED"
    t = dict(_tensor(), sourceDtype="torch.bfloat16")
    assert code(raw(t, [b"\x01\x00\x80\x3f" * 2])) == "E_VALUE_DOMAIN"


# --- [frame.view] ---------------------------------------------------------------

def test_view_shares_memory():
    data = raw(nd(), [F64])
    arr = sw.loads(data)
    assert np.shares_memory(arr, np.frombuffer(data, dtype=np.uint8))
    assert arr.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and arr.dtype == np.dtype("<f8")
    assert not arr.flags.writeable   # a view of immutable bytes
    # a bytearray gives a writable view over itself
    ba = bytearray(data)
    arr2 = sw.loads(ba)
    assert np.shares_memory(arr2, np.frombuffer(ba, dtype=np.uint8))


@pytest.mark.parametrize("dtype,itemsize", [("bool", 1), ("int16", 2), ("float32", 4), ("<U2", 8), ("|S3", 3),
                                            ("datetime64[D]", 8), ("float16", 2)])
def test_view_every_kind(dtype, itemsize):
    buf = bytes(range(1, itemsize * 4 + 1)) if dtype not in ("bool", "<U2") else \
        (b"\x00\x01\x01\x00" if dtype == "bool" else "abcdefgh".encode("utf-32-le"))
    data = raw(nd(dtype=dtype, shape=[4]), [buf])
    d = sw.decode(data)
    assert np.shares_memory(d.array, np.frombuffer(data, dtype=np.uint8))
    assert d.canonical()["hex"] == buf.hex()


def test_view_unaligned_copies_once():
    data = raw(nd(), [F64])
    backing = bytearray(len(data) + 1)
    backing[1:] = data
    mem = memoryview(backing)[1:]
    arr = sw.loads(mem)
    assert arr.flags.aligned and arr.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert not np.shares_memory(arr, np.frombuffer(backing, dtype=np.uint8))


def test_sparse_and_tensor_loads():
    pytest.importorskip("scipy")
    d = np.array([1.5, 2.0, -1.0]).tobytes()
    h = {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "frame", "format": "csr", "shape": [2, 3],
         "dtype": "float64", "data": 0, "indices": 1, "indptr": 2}
    m = sw.loads(raw(h, [d, np.array([1, 0, 2], "<i8").tobytes(), np.array([0, 1, 3], "<i8").tobytes()]))
    assert m.format == "csr" and m.toarray().tolist() == [[0, 1.5, 0], [2.0, 0, -1.0]]


# --- [frame.encode] --------------------------------------------------------------

def test_encode_exact_bytes_ndarray():
    out = sw.dumps(np.arange(6.0).reshape(2, 3), "frame")
    hdr = b'{"__tywrap__":"ndarray","codecVersion":1,"encoding":"frame","dtype":"float64","shape":[2,3],' \
          b'"data":0,"buffers":[[0,48]]}'
    want = SIG + struct.pack("<II", 1, len(hdr)) + hdr
    want += b"\x00" * (pad64(len(want)) - len(want)) + F64
    assert out == want
    assert out == raw(nd(), [F64])


def test_encode_exact_bytes_sparse():
    import scipy.sparse as sp
    m = sp.csr_array((np.array([1.5, 2.0, -1.0]), np.array([1, 0, 2]), np.array([0, 1, 3])), shape=(2, 3))
    out = sw.dumps(m, "frame")
    h = {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "frame", "format": "csr", "shape": [2, 3],
         "dtype": "float64", "data": 0, "indices": 1, "indptr": 2}
    assert out == raw(h, [np.array([1.5, 2.0, -1.0]).tobytes(), np.array([1, 0, 2], "<i8").tobytes(),
                          np.array([0, 1, 3], "<i8").tobytes()])
    assert sw.loads(out).toarray().tolist() == m.toarray().tolist()


def test_encode_exact_bytes_tensor_and_estimator():
    t = sw.Tensor("torch.float32", np.array([1.5, -2.0], "<f4"), "torch.bfloat16", "cuda:0")
    out = sw.dumps(t, "frame")
    inner = {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "frame", "dtype": "float32", "shape": [2],
             "data": 0}
    h = {"__tywrap__": "torch.tensor", "codecVersion": 1, "encoding": "ndarray", "value": inner, "shape": [2],
         "dtype": "torch.float32", "device": "cpu", "sourceDtype": "torch.bfloat16", "sourceDevice": "cuda:0"}
    assert out == raw(h, [np.array([1.5, -2.0], "<f4").tobytes()])
    e = sw.Estimator("A", "m.n", None, {"z": [1, 2.5], "a": {"y": "\x00\u00e9\n"}, "b": True})
    out = sw.dumps(e, "frame")
    text = '{"__tywrap__":"sklearn.estimator","codecVersion":1,"encoding":"json","className":"A",' \
           '"module":"m.n","version":null,"params":{"z":[1,2.5],"a":{"y":"\\u0000\u00e9\\n"},"b":true},' \
           '"buffers":[]}'
    assert out == raw(text.encode("utf-8"))
    assert sw.loads(out) == e


def test_encode_escapes_short_forms():
    assert frame.header_text({"s": "\"\\\b\f\n\r\t\x01\x1f\x7f/é😀"}) == \
        '{"s":"\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\x7f/é😀"}'.encode("utf-8")


@pytest.mark.parametrize("arr", [
    np.array([True, False]), np.arange(-3, 3, dtype=np.int8), np.array([2**64 - 1], np.uint64),
    np.array([np.nan, -0.0, np.inf], np.float16), np.array(["a\x00b", ""], "<U3"), np.array([b"\x00x"], "S2"),
    np.array(["2020-01-01", "NaT"], "datetime64[ns]"), np.array([1, -1], "timedelta64[s]"),
    np.array([1], "datetime64[D]"), np.zeros((3, 0, 2)), np.arange(12.0).reshape(3, 4).T, np.float64(2.5)])
def test_encode_roundtrip(arr):
    out = sw.dumps(arr, "frame")
    assert isinstance(out, bytes) and out[:8] == SIG and len(out) % 64 in (0, len(out) % 64)
    back = sw.loads(out)
    assert back.dtype == np.asarray(arr).dtype.newbyteorder("<")
    assert sw.to_canonical(back) == sw.to_canonical(np.asarray(arr, order="C"))


def test_encode_layout_of_several_buffers():
    import scipy.sparse as sp
    m = sp.coo_array((np.array([1, 2, 3], np.int16), (np.array([0, 1, 1]), np.array([2, 0, 1]))), shape=(2, 3))
    out = sw.dumps(m, "frame")
    h = struct.unpack_from("<I", out, 12)[0]
    header = json.loads(out[16:16 + h])
    assert header["buffers"] == [[0, 6], [64, 24], [128, 24]]
    assert len(out) == pad64(16 + h) + 128 + 24


def test_encode_refuses():
    # bool bytes other than 00/01 in a canonical value; <U units that are not scalar values
    c = {"kind": "ndarray", "dtype": "bool", "shape": [1], "hex": "02"}
    with pytest.raises(sw.SciwireError) as e:
        sw.encode_canonical(c, "frame")
    assert e.value.code == "E_VALUE_DOMAIN"
    for unit in ("00d80000", "00001100"):
        c = {"kind": "ndarray", "dtype": "<U1", "shape": [1], "hex": unit}
        with pytest.raises(sw.SciwireError) as e:
            sw.encode_canonical(c, "frame")
        assert e.value.code == "E_VALUE_DOMAIN"
    # a sparse index beyond 2^53-1
    c = {"kind": "sparse", "format": "coo", "dtype": "float64", "shape": [2**53 - 1, 2], "hex": "0" * 16,
         "row": [2**53], "col": [0]}
    with pytest.raises(sw.SciwireError) as e:
        sw.encode_canonical(c, "frame")
    assert e.value.code == "E_VALUE_DOMAIN"
    # a frame longer than the default max_input_bytes, refused before anything is copied
    huge = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), shape=(2**28,), strides=(0,))
    with pytest.raises(sw.SciwireError) as e:
        frame.write(nd(dtype="uint8", shape=[2**28]), [huge])
    assert e.value.code == "E_LIMIT_EXCEEDED"


def test_encode_unrepresentable_empty():
    for c in ({"kind": "ndarray", "dtype": "<U999999999", "shape": [0], "hex": ""},
              {"kind": "ndarray", "dtype": "float64", "shape": [2**40, 2**40, 0], "hex": ""}):
        out = sw.encode_canonical(c, "frame")
        assert sw.decode(out).canonical() == c


def test_encode_canonical_encodings():
    c = {"kind": "estimator", "className": "A", "module": "m", "version": "1",
         "params": {"object": [["x", {"float": "3ff0000000000000"}]]}}
    out = sw.encode_canonical(c, "frame")
    assert sw.decode(out).canonical() == c
    assert b'"x":1.0' in out and b'"encoding":"json"' in out


# --- the harness ------------------------------------------------------------------

def test_harness_declares_and_writes_frames():
    import harness
    for marker, cap in harness.CAPABILITIES.items():
        if marker != "flame":   # a profile, not a marker: its encodings are its tags
            assert "frame" in cap["encodings"], marker
    resp = harness.handle(json.dumps({"cmd": "encode", "id": 3, "value": sw.to_canonical(np.arange(6.0).reshape(2, 3)),
                                      "encoding": "frame"}).encode())
    assert base64.b64decode(resp["output"]) == raw(nd(), [F64])
    resp = harness.handle(json.dumps({"cmd": "decode", "id": 4, "case": "x",
                                      "input": base64.b64encode(raw(nd(), [F64], tail=b"\0")).decode()}).encode())
    assert resp["error"]["code"] == "E_FRAME_LAYOUT"
