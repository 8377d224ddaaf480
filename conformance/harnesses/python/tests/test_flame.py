"""The flame profile (spec/src/flame.md), clause by clause, in its processing
order: flamepy 0.6.0's FLM frames, read by sciwire_py.flame.decode and
written by sciwire_py.flame.encode.

Real frames come from pyarrow (``pa.ipc.write_tensor(pa.Tensor.from_numpy(a))``,
what flamepy writes after ``FLM\\x01``) and, where it is installed, from
flamepy itself; hostile ones are built with the package's flatbuffer writer
(:func:`frame`), field by field, or patched from real ones."""

from __future__ import annotations

import pickle
import struct

import numpy as np
import pyarrow as pa
import pytest

import vectors as V  # noqa: F401  (puts the package on sys.path)

import sciwire_py as sw
from sciwire_py import flame

CONT = b"\xff\xff\xff\xff"
INT32 = (2, [(0, "i", 32), (1, "B", 1)])


def pyarrow_frame(arr, tag=b"\x01", **kw) -> bytes:
    """flamepy's FLM\\x01 frame of a numpy array, as flamepy 0.6.0 makes it."""
    sink = pa.BufferOutputStream()
    pa.ipc.write_tensor(pa.Tensor.from_numpy(arr, **kw), sink)
    return b"FLM" + tag + sink.getvalue().to_pybytes()


def flamepy():
    return pytest.importorskip("flamepy.core.cache")


def frame(body: bytes = struct.pack("<3i", 1, 2, 3), *, type_=INT32, dims=((3, None),), strides="C", data=None,
          version=4, header_type=4, body_length=None, custom=(), omit=(), trailing=b"", pad64=True,
          shared=0) -> bytes:
    """An FLM\\x01 frame built field by field: ``omit`` names fields left out
    (version, header_type, header, type_type, type, shape, data); ``shared``
    > 0 makes the shape that many references to one TensorDim of size 1."""
    w = flame._Writer()
    root = w.uoffset_slot()
    fields = []
    if "version" not in omit:
        fields.append((0, "h", version))
    if "header_type" not in omit:
        fields.append((1, "B", header_type))
    if "header" not in omit:
        fields.append((2, "off", None))
    fields.append((3, "q", len(body) if body_length is None else body_length))
    if custom:
        fields.append((4, "off", None))
    m = w.table(fields)
    w.point(root, m["table"])
    fields = []
    if "type_type" not in omit:
        fields.append((0, "B", type_[0]))
    if "type" not in omit:
        fields.append((1, "off", None))
    if "shape" not in omit:
        fields.append((2, "off", None))
    if strides is not None:
        fields.append((3, "off", None))
    if "data" not in omit:
        fields.append((4, "16s", struct.pack("<qq", *(data or (0, len(body))))))
    t = w.table(fields)
    if "header" not in omit:
        w.point(m[2], t["table"])
    if "type" not in omit:
        w.point(t[1], w.table(type_[1])["table"])
    if shared:
        vec, slots = w.offsets(shared)
        w.point(t[2], vec)
        d = w.table([(0, "q", 1)])
        for slot in slots:
            w.point(slot, d["table"])
    elif "shape" not in omit:
        vec, slots = w.offsets(len(dims))
        w.point(t[2], vec)
        for slot, (size, name) in zip(slots, dims):
            d = w.table([(0, "q", size)] + ([(1, "off", None)] if name is not None else []))
            w.point(slot, d["table"])
            if name is not None:
                w.point(d[1], w.string(name))
    if strides is not None:
        if strides == "C":
            item = {2: type_[1][0][2] // 8 if type_[1] else 1, 3: 2 ** (type_[1][0][2] + 1) if type_[1] else 2}
            strides = flame.c_strides([s for s, _ in dims], item.get(type_[0], 1))
        w.point(t[3], w.vector("q", strides))
    if custom:
        vec, slots = w.offsets(len(custom))
        w.point(m[4], vec)
        for slot, (k, v) in zip(slots, custom):
            kv = w.table([(0, "off", None), (1, "off", None)])
            w.point(slot, kv["table"])
            w.point(kv[0], w.string(k))
            w.point(kv[1], w.string(v))
    if pad64:
        w.b += b"\x00" * (-(8 + len(w.b)) % 64)
    meta = bytes(w.b)
    return b"FLM\x01" + CONT + struct.pack("<i", len(meta)) + meta + body + trailing


def code(data, limits=None) -> str:
    with pytest.raises(sw.SciwireError) as e:
        flame.decode(data, limits or sw.Limits())
    return e.value.code


def err(data, limits=None) -> sw.SciwireError:
    with pytest.raises(sw.SciwireError) as e:
        flame.decode(data, limits or sw.Limits())
    return e.value


def value(data) -> dict:
    return flame.decode(data).canonical()


def positions(data: bytes) -> dict:
    """Where things are in a frame's metadata (offsets from the frame's
    start): the root offset, the Tensor's shape vector and its first dim."""
    meta = data[12:12 + struct.unpack_from("<i", data, 8)[0]]
    fb = flame._Fb(meta)
    m = fb.root()
    t = fb.table(fb.uoffset(m.slot(2), "h"), "Tensor", 1)
    shape_vec = fb.uoffset(t.slot(2), "s")
    return {"root": 12, "shape_vec": 12 + shape_vec, "tensor": 12 + t.pos, "message": 12 + m.pos}


def patch(data: bytes, pos: int, fmt: str, v) -> bytes:
    b = bytearray(data)
    struct.pack_into("<" + fmt, b, pos, v)
    return bytes(b)


# --------------------------------------------------------------------------
# The builder itself makes what pyarrow makes
# --------------------------------------------------------------------------

def test_builder_frames_are_read_by_pyarrow():
    t = pa.ipc.read_tensor(pa.py_buffer(frame()[4:]))
    assert t.to_numpy().tolist() == [1, 2, 3] and t.type == pa.int32()
    assert value(frame()) == value(pyarrow_frame(np.array([1, 2, 3], np.int32)))


# --------------------------------------------------------------------------
# [flame.profile], [limits.input-bytes], [flame.pickle], [flame.tag], [flame.streams]
# --------------------------------------------------------------------------

def test_profile_default_entry_never_reads_flm():
    data = pyarrow_frame(np.array([1, 2, 3], np.int32))
    with pytest.raises(sw.SciwireError) as e:
        sw.decode(data)
    assert e.value.code == "E_JSON_SYNTAX"  # [frame.detect]: F is JSON text
    assert value(data)["hex"] == "010000000200000003000000"


def test_profile_flame_entry_refuses_envelopes_and_frames():
    env = sw.dumps(np.arange(3.0), "json").encode()
    assert err(env).clause == "flame.pickle" and code(env) == "E_PICKLE_REFUSED"
    assert code(sw.dumps(np.arange(3.0), "frame")) == "E_PICKLE_REFUSED"


def test_input_bytes_first():
    limits = sw.Limits(max_input_bytes=16777216)
    big = b"\x80\x05" + b"\x00" * 16777215
    assert err(big, limits).clause == "limits.input-bytes"
    assert err(b"FLM\x01" + b"\x00" * 16777213, limits).code == "E_LIMIT_EXCEEDED"
    assert code(b"FLM\x01" + b"\x00" * 16777212, limits) == "E_ARROW_PAYLOAD"


class _Boom:
    path = None

    def __reduce__(self):
        return exec, (f"open({self.path!r}, 'w').write('ran')",)


@pytest.mark.parametrize("data", [b"", b"N", b"N.", b"FL", b"flm\x01", b"\x80\x05\x95\x0a" + b"\x00" * 8,
                                  b"FLN\x01", b" FLM\x01", b"FLM\x00", b"FLM\x00\x80\x05\x95"])
def test_pickle_refused(data):
    e = err(data)
    assert (e.code, e.clause) == ("E_PICKLE_REFUSED", "flame.pickle")


def test_pickle_never_unpickled(tmp_path, monkeypatch):
    _Boom.path = str(tmp_path / "ran")
    stream = pickle.dumps(_Boom(), protocol=5)
    calls = []
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: calls.append(a))
    for data in (stream, b"FLM\x00" + stream):
        assert code(data) == "E_PICKLE_REFUSED"
    assert not (tmp_path / "ran").exists() and calls == []


def test_pickle_refused_as_flamepy_writes_it():
    fp = flamepy()
    data = fp._serialize_object_data({"k": 1})
    assert data[:4] == b"FLM\x00"
    assert code(data) == "E_PICKLE_REFUSED"
    # a non-contiguous array: flamepy falls back to cloudpickle
    data = fp._serialize_object_data(np.arange(12.0).reshape(3, 4)[:, ::2])
    assert data[:4] == b"FLM\x00" and code(data) == "E_PICKLE_REFUSED"


@pytest.mark.parametrize("data", [b"FLM", b"FLM\x05", b"FLM\xff", b"FLM\x05" + frame()[4:]])
def test_tag(data):
    e = err(data)
    assert (e.code, e.clause) == ("E_FLAME_TAG", "flame.tag")


def test_streams_are_routed_by_tag():
    """[flame.streams]: tags 02 to 04 are read as Arrow IPC streams (see
    test_flame_stream.py), never as a tensor message: a tensor message after
    a stream tag is not a stream."""
    e = err(b"FLM\x02" + frame()[4:])
    assert (e.code, e.clause) == ("E_ARROW_PAYLOAD", "flame.stream.message")
    for tag in (2, 3, 4):
        e = err(b"FLM" + bytes([tag]))
        assert (e.code, e.clause) == ("E_ARROW_PAYLOAD", "flame.stream.message")


# --------------------------------------------------------------------------
# [flame.tensor.message]
# --------------------------------------------------------------------------

def _message_err(data):
    e = err(data)
    assert (e.code, e.clause) == ("E_ARROW_PAYLOAD", "flame.tensor.message"), e
    return e


@pytest.mark.parametrize("cut", [4, 5, 7, 8, 11, 12, 40])
def test_message_truncated_framing_and_metadata(cut):
    _message_err(frame()[:cut])


def test_message_continuation():
    good = frame()
    _message_err(b"FLM\x01" + good[8:])                     # the pre-0.15 form: M first
    _message_err(b"FLM\x01\xff\xff\xff\xfe" + good[8:])


@pytest.mark.parametrize("m", [-8, -1, 4, 12, 2**31 - 8, 0])
def test_message_metadata_length(m):
    _message_err(patch(frame(), 8, "i", m))


def test_metadata_length_checked_before_reading():
    # M claims 2^31-8 bytes of a 200-byte frame: rejected by comparison alone
    assert "runs past" in _message_err(patch(frame(), 8, "i", 2**31 - 8)).message


def test_message_version_and_header():
    _message_err(frame(version=3))                  # V4
    _message_err(frame(version=5))
    _message_err(frame(omit=("version",)))          # default V1
    _message_err(frame(header_type=3))              # RecordBatch
    _message_err(frame(omit=("header_type",)))      # a header without its type
    _message_err(frame(omit=("header",)))           # a type without its header
    _message_err(frame(omit=("header", "header_type")))


def test_message_body_length():
    body = struct.pack("<3i", 1, 2, 3)
    _message_err(frame(body_length=-1))
    _message_err(frame(body, body_length=16))        # truncated
    _message_err(frame(body, body_length=8))         # 4 bytes after the body
    _message_err(frame(trailing=b"\x00"))
    assert value(frame(body_length=12))["shape"] == [3]


def test_trailing_bytes_after_a_pyarrow_tensor():
    """flamepy ignores them; the profile does not."""
    data = pyarrow_frame(np.array([1, 2, 3], np.int32))
    _message_err(data + b"\x00" * 16)
    _message_err(data[:-4])
    fp = pytest.importorskip("flamepy.core.cache")
    assert fp._deserialize_object_data(data + b"\x00" * 16).tolist() == [1, 2, 3]


def test_verifier_offsets_outside_the_metadata():
    good = frame()
    p = positions(good)
    n = struct.unpack_from("<i", good, 8)[0]
    _message_err(patch(good, p["root"], "I", n))                # root table past the end
    _message_err(patch(good, p["root"], "I", 0))                # a zero offset
    _message_err(patch(good, p["root"], "I", 2**31 + 8))
    _message_err(patch(good, p["root"], "I", 2))                # unaligned table
    _message_err(patch(good, p["message"], "i", 2**20))         # vtable before the start
    _message_err(patch(good, p["message"], "i", -(2**20)))      # vtable after the end
    _message_err(patch(good, p["shape_vec"], "I", 0x3FFFFFFF))  # shape vector length
    _message_err(patch(good, p["shape_vec"], "I", (n - (p["shape_vec"] - 12)) // 4))


def test_verifier_checks_fields_before_any_rule():
    """A dimension name that is not UTF-8, or lacks its NUL, is the
    verifier's (E_ARROW_PAYLOAD), before [flame.tensor.type] or
    [flame.tensor.metadata] would look at the tensor."""
    for type_ in (INT32, (5, [])):
        good = frame(type_=type_, dims=((3, "ab"),), strides=None)
        i = good.index(b"ab\x00")
        _message_err(good[:i] + b"\xff\xfe" + good[i + 2:])
        _message_err(good[:i + 2] + b"x" + good[i + 3:])
    assert code(frame(type_=(5, []), dims=((3, "ab"),), strides=None)) == "E_DTYPE_UNSUPPORTED"
    # a Timestamp's timezone is verified too, although the type is refused after
    ts = frame(type_=(10, [(0, "h", 1), (1, "off", None)]), strides=None)
    _message_err(ts)   # the timezone offset was never pointed anywhere: 0


def test_verifier_required_tensor_fields():
    _message_err(frame(omit=("type_type", "type")))
    _message_err(frame(omit=("type",)))
    _message_err(frame(omit=("type_type",)))
    _message_err(frame(omit=("shape",)))
    _message_err(frame(omit=("data",)))


def test_verifier_alignment():
    good = frame()
    # the Tensor's shape offset moved by 2: an unaligned vector
    t = flame._Fb(good[12:12 + struct.unpack_from("<i", good, 8)[0]])
    tt = t.table(t.uoffset(t.root().slot(2), "h"), "T", 1)
    slot = 12 + tt.slot(2)
    _message_err(patch(good, slot, "I", struct.unpack_from("<I", good, slot)[0] + 2))
    # and its strides vector's elements moved off 8 (a non-empty vector)
    slot = 12 + tt.slot(3)
    _message_err(patch(good, slot, "I", struct.unpack_from("<I", good, slot)[0] + 4))


def test_zero_d_strides_vector_need_not_be_aligned():
    """pyarrow writes a 0-d tensor's empty strides vector 4 bytes past a
    multiple of 8; an empty vector has no element to misread."""
    data = pyarrow_frame(np.array(3.0))
    assert value(data) == {"kind": "ndarray", "dtype": "float64", "shape": [], "hex": "0000000000000840"}


def test_shared_tables():
    """A shape vector may name one TensorDim many times: its entries count
    as dimensions ([limits.ndim] then applies), and the verifier stops past
    a million tables, as flatbuffers' verifiers do."""
    body = struct.pack("<i", 7)
    assert value(frame(body, strides=None, shared=64))["shape"] == [1] * 64
    assert err(frame(body, strides=None, shared=65)).clause == "limits.ndim"
    # Message, Tensor, its type and 999997 dims are a million tables; one more is too many
    assert err(frame(body, strides=None, shared=999997)).clause == "limits.ndim"
    _message_err(frame(body, strides=None, shared=999998))


# --------------------------------------------------------------------------
# [flame.tensor.type]
# --------------------------------------------------------------------------

DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"]


@pytest.mark.parametrize("name", DTYPES)
def test_type_table(name):
    arr = (np.arange(6) * 3 - 5).astype(name).reshape(2, 3)
    got = flame.decode(pyarrow_frame(arr))
    assert got.dtype.name == name
    assert np.array_equal(got.to_numpy(), arr) and got.to_numpy().dtype == np.dtype(name)


def test_bool_decodes_as_uint8_never_guessed():
    got = value(pyarrow_frame(np.array([True, False, True])))
    assert got == {"kind": "ndarray", "dtype": "uint8", "shape": [3], "hex": "010001"}


@pytest.mark.parametrize("type_", [
    (2, [(0, "i", 7), (1, "B", 1)]), (2, [(0, "i", 128), (1, "B", 0)]), (2, []),   # Int of other widths
    (3, [(0, "h", 3)]), (3, [(0, "h", -1)]),                                      # no such precision
    (6, []), (5, []), (7, [(0, "i", 10), (1, "i", 2), (2, "i", 128)]), (1, []),  # Bool, Utf8, Decimal, Null
    (10, [(0, "h", 3)]), (0, []), (27, []), (200, []),                           # Timestamp, NONE, undefined
])
def test_type_refused(type_):
    e = err(frame(type_=type_, strides=None))
    assert (e.code, e.clause) == ("E_DTYPE_UNSUPPORTED", "flame.tensor.type"), e


def test_float_without_precision_is_half():
    got = value(frame(struct.pack("<3e", 1.0, 2.0, 3.0)[:6], type_=(3, []), strides=None))
    assert got["dtype"] == "float16"


def test_type_before_shape():
    assert code(frame(type_=(6, []), dims=((-1, None),))) == "E_DTYPE_UNSUPPORTED"


# --------------------------------------------------------------------------
# [flame.tensor.shape]
# --------------------------------------------------------------------------

@pytest.mark.parametrize("size", [-1, -(2**63), 2**53, 2**63 - 1])
def test_shape_invalid(size):
    e = err(frame(b"", dims=((size, None),), strides=None, data=(0, 0)))
    assert (e.code, e.clause) == ("E_SHAPE_INVALID", "flame.tensor.shape")


def test_shape_limits():
    e = err(frame(b"", dims=((1, None),) * 64 + ((0, None),), strides=None, data=(0, 0)))
    assert (e.code, e.clause) == ("E_LIMIT_EXCEEDED", "limits.ndim")
    assert value(frame(b"\x07\x00\x00\x00", dims=((1, None),) * 64, strides=None))["shape"] == [1] * 64
    e = err(frame(b"", dims=((2**28 + 1, None),), strides=None))
    assert e.clause == "limits.elements"
    e = err(frame(b"", dims=((2**27, None),), strides=None))
    assert e.clause == "limits.decoded-bytes"
    # an empty shape is within every limit, however large its other entries
    got = value(frame(b"", dims=((2**40, None), (2**40, None), (0, None)), strides=None))
    assert got == {"kind": "ndarray", "dtype": "int32", "shape": [2**40, 2**40, 0], "hex": ""}


def test_shape_before_limits_before_metadata():
    assert code(frame(b"", dims=((1, None),) * 65 + ((-1, None),), strides=None)) == "E_SHAPE_INVALID"
    assert code(frame(b"", dims=((1, "x"),) * 65, strides=None)) == "E_LIMIT_EXCEEDED"


# --------------------------------------------------------------------------
# [flame.tensor.metadata]
# --------------------------------------------------------------------------

def test_dimension_names_rejected():
    e = err(pyarrow_frame(np.arange(6.0).reshape(2, 3), dim_names=["rows", "cols"]))
    assert (e.code, e.clause) == ("E_ARROW_SCHEMA", "flame.tensor.metadata")
    assert value(frame(dims=((3, ""),)))["shape"] == [3]     # pyarrow writes each name as ""
    assert value(frame(dims=((3, None),)))["shape"] == [3]


def test_custom_metadata_rejected():
    e = err(frame(custom=[("k", "v")]))
    assert (e.code, e.clause) == ("E_ARROW_SCHEMA", "flame.tensor.metadata")


def test_metadata_before_data():
    assert code(frame(dims=((3, "x"),), data=(8, 12))) == "E_ARROW_SCHEMA"


# --------------------------------------------------------------------------
# [flame.tensor.data]
# --------------------------------------------------------------------------

def test_data_in_the_body():
    body = struct.pack("<3i", 1, 2, 3)
    for data in ((4, 8), (8, 12), (-8, 12), (0, 16), (0, -1)):
        e = err(frame(body, data=data))
        assert (e.code, e.clause) == ("E_ARROW_PAYLOAD", "flame.tensor.data"), data


def test_body_padding_up_to_8_only():
    body = struct.pack("<3i", 1, 2, 3)
    assert value(frame(body + b"\x00" * 4, data=(0, 12)))["hex"] == "010000000200000003000000"
    e = err(frame(body + b"\x00" * 12, data=(0, 12)))
    assert (e.code, e.clause) == ("E_ARROW_PAYLOAD", "flame.tensor.data")
    uint8 = (2, [(0, "i", 8), (1, "B", 0)])
    assert value(frame(b"\x01\x02\x03" + b"\x00" * 5, type_=uint8, data=(0, 3)))["hex"] == "010203"
    assert code(frame(b"\x01\x02\x03" + b"\x00" * 6, type_=uint8, data=(0, 3))) == "E_ARROW_PAYLOAD"
    assert code(frame(b"\x00" * 8, type_=uint8, dims=((0, None),), data=(0, 0))) == "E_ARROW_PAYLOAD"


def test_data_length_is_the_elements():
    e = err(frame(struct.pack("<2i", 1, 2)))
    assert (e.code, e.clause) == ("E_SHAPE_MISMATCH", "flame.tensor.data")
    assert code(frame(struct.pack("<4i", 1, 2, 3, 4))) == "E_SHAPE_MISMATCH"


def test_data_before_strides():
    assert code(frame(data=(8, 4), strides=[3])) == "E_ARROW_PAYLOAD"


# --------------------------------------------------------------------------
# [flame.tensor.strides]
# --------------------------------------------------------------------------

def test_fortran_order_reordered():
    arr = np.asfortranarray(np.arange(24, dtype=np.int16).reshape(2, 3, 4))
    data = pyarrow_frame(arr)
    got = flame.decode(data).to_numpy()
    assert np.array_equal(got, arr) and got.flags.c_contiguous
    assert value(data)["hex"] == np.ascontiguousarray(arr).tobytes().hex()


def test_fortran_strides_built():
    body = np.arange(6, dtype="<i4").reshape(2, 3).tobytes(order="F")
    got = value(frame(body, dims=((2, None), (3, None)), strides=[4, 8]))
    assert got["hex"] == np.arange(6, dtype="<i4").tobytes().hex()


def test_absent_strides_are_row_major():
    body = np.arange(6, dtype="<i4").tobytes()
    assert value(frame(body, dims=((2, None), (3, None)), strides=None))["hex"] == body.hex()


@pytest.mark.parametrize("strides", [[4], [12, 4, 4], [16, 4], [12, 8], [-12, -4], [0, 4], [12, 0], [4, 4],
                                     [8, 16]])
def test_strides_rejected(strides):
    body = np.arange(6, dtype="<i4").tobytes()
    e = err(frame(body, dims=((2, None), (3, None)), strides=strides))
    assert (e.code, e.clause) == ("E_SHAPE_MISMATCH", "flame.tensor.strides"), strides


def test_empty_tensor_strides_unchecked_but_counted():
    assert value(pyarrow_frame(np.zeros((0, 3), np.float32)))["shape"] == [0, 3]   # pyarrow writes [4, 4]
    assert value(frame(b"", dims=((0, None), (3, None)), strides=[-1, 999]))["shape"] == [0, 3]
    assert code(frame(b"", dims=((0, None), (3, None)), strides=[4])) == "E_SHAPE_MISMATCH"


def test_unit_dimensions_both_orders():
    body = np.arange(3, dtype="<i4").tobytes()
    dims = ((1, None), (3, None), (1, None))
    for strides in ([12, 4, 4], [4, 4, 12]):
        assert value(frame(body, dims=dims, strides=strides))["hex"] == body.hex()
    # exactly those: numpy would accept any stride for a unit dimension, the profile does not
    assert code(frame(body, dims=dims, strides=[12, 4, 12])) == "E_SHAPE_MISMATCH"


# --------------------------------------------------------------------------
# [flame.tensor.elements]
# --------------------------------------------------------------------------

def test_big_endian_source_read_as_little_endian():
    """pyarrow writes a >i4 array's bytes as they are: read as written."""
    got = value(pyarrow_frame(np.array([1, 2], ">i4")))
    assert got == {"kind": "ndarray", "dtype": "int32", "shape": [2], "hex": "0000000100000002"}


def test_every_bit_pattern_carried():
    bits = np.array([0x7FF8000000000001, 0xFFF0000000000000, 0x8000000000000000], np.uint64)
    got = value(pyarrow_frame(bits.view(np.float64)))
    assert got["hex"] == bits.tobytes().hex()
    big = np.array([2**63 - 1, -(2**63)], np.int64)
    assert value(pyarrow_frame(big))["hex"] == big.tobytes().hex()


def test_elements_copied_once_into_an_aligned_array():
    data = pyarrow_frame(np.arange(5.0))
    assert (len(data) - 40) % 8 == 4          # the body is not 8-aligned in the input
    arr = flame.loads(data)
    assert arr.flags.aligned and arr.flags.owndata and arr.flags.c_contiguous and arr.flags.writeable
    assert not np.shares_memory(arr, np.frombuffer(data, np.uint8))


def test_flamepy_frames_decode():
    fp = flamepy()
    cases = [np.arange(6.0).reshape(2, 3), np.array([1, 2, 3], np.int32), np.array([1.5, 2.0], np.float16),
             np.array(3.0), np.zeros((0, 3), np.float32), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
             np.arange(-3, 3, dtype=np.int8)]
    for arr in cases:
        data = fp._serialize_object_data(arr)
        assert data[:4] == b"FLM\x01"
        got = flame.decode(data).to_numpy()
        assert got.shape == arr.shape and got.dtype == arr.dtype and np.array_equal(got, arr)


# --------------------------------------------------------------------------
# [flame.encode.tensor], [flame.encode.refuse]
# --------------------------------------------------------------------------

ENCODE_CASES = [np.arange(6.0).reshape(2, 3), np.array([1, 2, 3], np.int32), np.array(3.0),
                np.zeros((0, 3), np.float32), np.array([], np.uint16), np.arange(24, dtype=np.int16).reshape(2, 3, 4),
                np.array([np.nan, -0.0, np.inf], np.float16), np.array([2**64 - 1, 0], np.uint64),
                np.array([-(2**63), 2**63 - 1], np.int64), np.arange(4, dtype=np.uint8).reshape(1, 4, 1),
                np.zeros((1,) * 64, np.int8), np.asfortranarray(np.arange(6.0, dtype=np.float32).reshape(3, 2))]


@pytest.mark.parametrize("k", range(len(ENCODE_CASES)))
def test_encode_read_by_pyarrow_and_back(k):
    arr = ENCODE_CASES[k]
    canon = sw.to_canonical(arr)
    data = flame.encode(canon)
    assert data[:4] == b"FLM\x01" and data[4:8] == CONT
    m = struct.unpack_from("<i", data, 8)[0]
    assert (8 + m) % 64 == 0 and len(data) == 4 + 8 + m + arr.nbytes
    t = pa.ipc.read_tensor(pa.py_buffer(data[4:]))
    got = t.to_numpy()
    assert got.shape == arr.shape and got.dtype == arr.dtype
    assert got.tobytes(order="C") == np.ascontiguousarray(arr).tobytes()
    assert t.dim_names == [""] * arr.ndim or t.dim_names == []
    assert flame.decode(data).canonical() == canon
    assert flame.encode(arr) == data  # a numpy array encodes as its canonical value


@pytest.mark.parametrize("k", range(len(ENCODE_CASES)))
def test_encode_read_by_flamepy(k):
    fp = flamepy()
    arr = ENCODE_CASES[k]
    got = fp._deserialize_object_data(flame.encode(sw.to_canonical(arr)))
    assert got.shape == arr.shape and got.dtype == arr.dtype
    assert got.tobytes(order="C") == np.ascontiguousarray(arr).tobytes()


def test_encode_layout():
    data = flame.encode(sw.to_canonical(np.arange(6.0).reshape(2, 3)))
    msg, body = flame.read_message(memoryview(data)[4:])
    assert (msg.version, msg.header_type, msg.body_length, msg.data) == (4, 4, 48, (0, 48))
    assert msg.strides.tolist() == [24, 8] and msg.dims == [(2, None), (3, None)] and msg.custom_metadata == 0
    assert bytes(body) == np.arange(6.0).tobytes()
    meta_end = 12 + struct.unpack_from("<i", data, 8)[0]
    assert meta_end % 64 == 4 and len(data) - meta_end == 48   # 8 + M a multiple of 64, after the prefix


def test_encode_empty_shapes_numpy_cannot_hold():
    canon = {"kind": "ndarray", "dtype": "float64", "shape": [2**40, 2**40, 0], "hex": ""}
    assert flame.decode(flame.encode(canon)).canonical() == canon


@pytest.mark.parametrize("dtype,hexstr", [("bool", "01"), ("complex64", "0000803f00000000"),
                                          ("complex128", "00" * 16), ("<U1", "61000000"), ("|S1", "61"),
                                          ("datetime64[s]", "00" * 8), ("datetime64[D]", "00" * 8),
                                          ("timedelta64[ns]", "00" * 8), ("object", "00")])
def test_encode_refuses_dtype(dtype, hexstr):
    with pytest.raises(sw.SciwireError) as e:
        flame.encode({"kind": "ndarray", "dtype": dtype, "shape": [1], "hex": hexstr})
    assert e.value.code == "E_DTYPE_UNSUPPORTED"


@pytest.mark.parametrize("arr", [np.array([True]), np.array([1j]), np.array(["a"]), np.array([b"a"]),
                                 np.array(["2020-01-01"], "datetime64[D]"), np.array([1], ">i4")])
def test_encode_refuses_numpy(arr):
    with pytest.raises(sw.SciwireError) as e:
        flame.encode(arr)
    assert e.value.code == "E_DTYPE_UNSUPPORTED"


def test_encode_refuses_frames_past_max_input_bytes():
    # judged from the shape, before the hex is read
    with pytest.raises(sw.SciwireError) as e:
        flame.encode({"kind": "ndarray", "dtype": "float64", "shape": [2**25, 1], "hex": ""})
    assert (e.value.code, e.value.clause) == ("E_LIMIT_EXCEEDED", "flame.encode.refuse")
    with pytest.raises(sw.SciwireError) as e:
        flame.encode({"kind": "ndarray", "dtype": "float64", "shape": [2**25 - 64], "hex": ""})
    assert e.value.code == "E_SHAPE_MISMATCH"


def test_encode_ndarray_only_as_tensor():
    for encoding in ("table", "batch", "array"):
        with pytest.raises(sw.SciwireError) as e:
            flame.encode(sw.to_canonical(np.arange(3)), encoding)
        assert (e.value.code, e.value.clause) == ("E_ENCODING_UNSUPPORTED", "flame.encode.refuse")
    with pytest.raises(sw.SciwireError) as e:
        flame.encode(sw.to_canonical(np.arange(3)), "arrow")
    assert e.value.code == "E_ENCODING_UNSUPPORTED"


def test_encode_canonical_value_checked():
    for bad, c in (({"kind": "ndarray", "dtype": "int32", "shape": [2], "hex": "01000000"}, "E_SHAPE_MISMATCH"),
                   ({"kind": "ndarray", "dtype": "int32", "shape": [1], "hex": "0100000A"}, "E_SHAPE_MISMATCH"),
                   ({"kind": "ndarray", "dtype": "int32", "shape": [-1], "hex": ""}, "E_SHAPE_INVALID"),
                   ({"kind": "sparse"}, "E_FIELD_TYPE")):
        with pytest.raises(sw.SciwireError) as e:
            flame.encode(bad)
        assert e.value.code == c, bad
