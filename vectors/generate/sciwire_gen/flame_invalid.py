"""Invalid vectors of the flame profile (spec/src/flame.md), three sources:

- flamepy's own output where it writes what the profile refuses (a pickle for a dict or a
  non-contiguous array), and plain pickles of earlier flamepy (the FLM\\x02-\\x04 streams'
  invalid vectors are in flame_stream_invalid.py, called from here);
- mutations of flamepy's tensor frames (`source.mutation`): truncations, trailing bytes, the
  continuation, M, flatbuffer damage, bodyLength;
- tensor messages built with the `flatbuffers` package's Builder (flame_tensor.tensor_payload),
  for what no producer writes (`source.handWritten`): other types, shapes, names, buffers, strides;
  and messages laid out by hand (flame_tensor.Layout) where the fault is an object's offset or a
  string's bytes, which no builder writes.

Every vector is checked with the generator's reader (flame_stream.decode, which hands tags
other than 02-04 to flame_tensor.decode) to fail first at the
clause it cites first, with its code. Every input that flamepy 0.6.0 hands to cloudpickle.loads
(no FLM prefix, FLM\\x00, an unknown tag) is checked to name no callable but numpy's array
reconstructor: the flamepy harness may unpickle them. For every FLM\\x01 input, flamepy's verdict
(accepts or rejects) is computed and must be the one the generator states; a description says so
where flamepy (pyarrow) accepts what the profile rejects.
"""

from __future__ import annotations

import base64
import pickletools

import numpy as np
import pyarrow as pa

from . import flame_stream as fs
from . import flame_tensor as ft
from .arrowbytes import Msg, patch
from .common import HOSTILE_BUDGET, Suite, T, B, dumps_env, hand
from .flame import flamepy_reads, ndarray_suite, run, src, written
from .ndarray_producer import canon

PO = ["processing-order"]
F64_EXPR = "np.arange(6.0).reshape(2, 3)"        # the frame most mutations start from
I32_EXPR = "np.array([1, 2, 3], dtype=np.int32)"
F64_BODY = np.arange(6.0).tobytes()
I32_BODY = np.array([1, 2, 3], dtype=np.int32).tobytes()

# What flamepy's pickles may name: numpy's array reconstructor (a non-contiguous array).
ALLOWED_GLOBALS = {("numpy._core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
                   ("numpy", "dtype")}


def unpickled_by_flamepy(data: bytes):
    """The bytes flamepy 0.6.0 passes to cloudpickle.loads, or None when it reads the input as
    Arrow (cache.py: `_deserialize_object_data`)."""
    if len(data) >= 4 and data[:3] == ft.PREFIX and 1 <= data[3] <= 4:
        return None
    if data[:4] == b"FLM\x00":
        return data[4:]
    return data


def check_benign(vid: str, stream: bytes):
    """The pickle opcodes up to the first one the unpickler would fail on name no global but
    ALLOWED_GLOBALS, and no extension, persistent id or other way to reach a callable."""
    pushed, memo = [], {}  # what each pushing opcode pushed (a string, or None), the memo
    ops = pickletools.genops(stream)
    while True:
        try:
            op, arg, _ = next(ops)
        except StopIteration:
            return
        except Exception:  # noqa: BLE001 - where the unpickler would fail: nothing after it runs
            return
        if op.name in ("GLOBAL", "INST", "EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID"):
            raise AssertionError(f"{vid}: pickle opcode {op.name} {arg!r}")
        if op.name == "STACK_GLOBAL":
            assert tuple(pushed[-2:]) in ALLOWED_GLOBALS, (vid, pushed[-2:])
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
            pushed.append(arg)
        elif op.name in ("BINGET", "LONG_BINGET", "GET"):
            pushed.append(memo.get(int(arg)))
        elif op.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif op.name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[int(arg)] = pushed[-1] if pushed else None
        elif op.stack_after:
            pushed.append(None)


class Real:
    """flamepy's bytes of `expr`, and where the fields are (offsets into the whole input)."""

    def __init__(self, expr: str):
        self.expr = expr
        self.data = run(written(expr))
        assert self.data[:4] == b"FLM\x01", expr
        p = self.data[4:]
        m = Msg(p, 0)
        self.m_len = m.meta_len
        self.m_pos = 8                              # M
        self.meta = 12                              # the flatbuffer
        self.root = 4 + m.root.pos                  # the Message table (its soffset)
        self.version = 4 + m.root.field_pos(0)
        self.body_length = 4 + m.body_len_pos
        t = m.header
        self.shape_len = 4 + t.vector(2)[0]         # the u32 count of the shape vector
        self.data_vt_entry = 4 + t.vt + 4 + 2 * 4   # the vtable entry of Tensor.data (slot 4)
        self.body = 4 + m.body
        assert self.body + m.body_len == len(self.data)

    def src(self, mutation: str) -> dict:
        return src(written(self.expr), mutation)


def invalid_vectors(S: Suite):
    add = adder(S)
    S.invalid("flame-invalid-input-one-byte-over-max-input-bytes",
              "FLM\\x01 and then A up to max_input_bytes + 1 bytes: the input limit comes first",
              ["limits.input-bytes", "flame.profile", "limits.conformance-defaults", "vector.input",
               "vector.budget"],
              {"concat": [{"text": "FLM\x01"}, {"text": "A", "repeat": 268435456 + 1 - 4}]},
              "E_LIMIT_EXCEEDED",
              hand("an input one byte over the default max_input_bytes, given to the flame entry; "
                   "a decoder rejects it before reading the message"),
              budget={"wall_ms": 60000, "rss_mb": 2048}, tags=["hostile", "boundary"])
    entry(add)
    message(add)
    alignment(add)
    hand_built(add)
    from .flame_stream_invalid import stream_invalid_vectors
    stream_invalid_vectors(add)


def adder(S: Suite):
    def add(vid, desc, clauses, data, code, source, flamepy=None, budget=None, tags=None,
            inp=None):
        """One invalid vector; `flamepy` ("accepts" or "rejects") is flamepy's verdict on an
        FLM\\x01 input, checked here."""
        vid = f"flame-invalid-{vid}"
        got = fs.fault(data)
        assert got == (code, clauses[0]), f"{vid}: the reader finds {got}, not {(code, clauses[0])}"
        stream = unpickled_by_flamepy(data)
        if stream is not None:
            check_benign(vid, stream)
            assert flamepy is None, vid
        else:
            verdict, _ = flamepy_reads(data) if data[3] == ft.TAG_TENSOR else ("n/a", None)
            if data[3] == ft.TAG_TENSOR:
                want = "value" if flamepy == "accepts" else "error"
                assert verdict == want, f"{vid}: flamepy's verdict is {verdict}, not {flamepy}"
                assert flamepy != "accepts" or "flamepy" in desc or "pyarrow" in desc, vid
        if budget is not None and tags is None:
            tags = ["hostile"]
        S.invalid(vid, desc, clauses, inp or B(data), code, source, budget=budget, tags=tags)
    return add


# ----------------------------------------------------------------------------------------------
# [flame.pickle], [flame.tag]: flamepy's own output, and other inputs
# ----------------------------------------------------------------------------------------------

def entry(add):
    P = ["flame.pickle", "flame.profile"]
    for vid, desc, expr in [
            ("pickle-non-contiguous", "a non-contiguous array, which flamepy writes as FLM\\x00 cloudpickle",
             "np.arange(12.0).reshape(3, 4)[:, ::2]"),
            ("pickle-dict", "flamepy's FLM\\x00 cloudpickle of the dict {'k': 1}", "{'k': 1}"),
            ("pickle-list", "flamepy's FLM\\x00 cloudpickle of [1, 2.5, 'x']", "[1, 2.5, 'x']")]:
        data = run(written(expr))
        assert data[:4] == b"FLM\x00", vid
        add(vid, desc, P, data, "E_PICKLE_REFUSED", src(written(expr)))
    for vid, desc, expr in [
            ("pickle-legacy-dict", "a plain cloudpickle of {'k': 1} (flamepy before 0.6 wrote these)",
             "cloudpickle.dumps({'k': 1}, protocol=cloudpickle.DEFAULT_PROTOCOL)"),
            ("pickle-legacy-int", "a plain cloudpickle of the int 3, unprefixed",
             "cloudpickle.dumps(3, protocol=cloudpickle.DEFAULT_PROTOCOL)"),
            ("pickle-none-2-bytes", "the 2-byte pickle N. (None), shorter than any FLM prefix",
             "pickle.dumps(None, protocol=0)")]:
        add(vid, desc, P, run(expr), "E_PICKLE_REFUSED", src(expr))
    add("pickle-empty", "the empty input (flamepy unpickles it: EOFError)", P, b"",
        "E_PICKLE_REFUSED", hand("the empty input: no producer writes it"))
    add("pickle-fl", "FL: two bytes of the prefix, not all three", P, b"FL", "E_PICKLE_REFUSED",
        hand("a cut prefix: no producer writes it"))
    base = Real(F64_EXPR)
    add("pickle-lowercase-prefix", "flm\\x01 and a tensor: the prefix is case-sensitive",
        P, b"flm" + base.data[3:], "E_PICKLE_REFUSED", base.src("FLM -> flm"))
    add("pickle-tag-00-tensor", "FLM\\x00 followed by a tensor message: tag 00 is a pickle",
        P, b"FLM\x00" + base.data[4:], "E_PICKLE_REFUSED", base.src("tag 01 -> 00"))
    nd = ndarray_suite().vectors
    env = nd["ndarray-json-float64-2x3"][1]["input"]["json"]
    add("pickle-sciwire-json", "a sciwire ndarray JSON envelope: the flame entry reads only FLM frames",
        P, dumps_env(env).encode("ascii"),
        "E_PICKLE_REFUSED",
        src(F64_EXPR, "the input of ndarray-json-float64-2x3 (its JSON text), given to the flame profile"),
        inp=T(dumps_env(env)))
    frame = nd["ndarray-frame-float64-2x3"][1]["input"]
    add("pickle-sciwire-frame", "a sciwire frame of float64 2x3: the flame entry reads only FLM frames",
        P, base64.b64decode(frame["base64"]), "E_PICKLE_REFUSED",
        src(F64_EXPR, "the input of ndarray-frame-float64-2x3 (a sciwire frame), given to the flame profile"))

    TAG = ["flame.tag", "flame.profile"]
    add("tag-none", "FLM alone: no tag byte (flamepy reports a truncated pickle)", TAG, b"FLM",
        "E_FLAME_TAG", hand("the prefix without a tag: no producer writes it"))
    for tag in (0x05, 0x80, 0xFF):
        add(f"tag-{tag:02x}", f"FLM\\x{tag:02x} and a tensor message: a tag flamepy does not write",
            TAG, b"FLM" + bytes([tag]) + base.data[4:], "E_FLAME_TAG", base.src(f"tag 01 -> {tag:02x}"))
    add("tag-05-alone", "FLM\\x05 and nothing after it", TAG, b"FLM\x05", "E_FLAME_TAG",
        hand("an unknown tag without payload: no producer writes it"))


# ----------------------------------------------------------------------------------------------
# [flame.tensor.message]: mutations of flamepy's tensor frames
# ----------------------------------------------------------------------------------------------

def message(add):
    MSG = ["flame.tensor.message", "flame.profile"]
    r = Real(F64_EXPR)
    d = r.data
    m_pos, meta = r.m_pos, r.meta

    def mut(vid, desc, data, mutation, flamepy="rejects", clauses=MSG, **kw):
        add(vid, desc, clauses, data, "E_ARROW_PAYLOAD", r.src(mutation), flamepy=flamepy, **kw)

    mut("body-truncated-1", "float64 2x3 tensor with its body one byte short", d[:-1],
        "last byte removed")
    mut("body-truncated-4", "float64 2x3 tensor with its body four bytes short", d[:-4],
        "last 4 bytes removed")
    mut("body-missing", "float64 2x3 tensor message without its body", d[:r.body],
        "the 48-byte body removed")
    mut("metadata-truncated", "the first 40 bytes of a float64 2x3 tensor frame: metadata cut",
        d[:40], "cut after 40 bytes")
    mut("payload-empty", "FLM\\x01 with no message after it", d[:4], "everything after FLM\\x01 removed")
    mut("payload-7-bytes", "FLM\\x01, the continuation and 3 bytes of M", d[:11], "cut after 11 bytes")
    mut("trailing-1", "float64 2x3 tensor and one zero byte after it (flamepy ignores it)",
        d + b"\x00", "one zero byte appended", flamepy="accepts")
    mut("trailing-16", "float64 2x3 tensor and 16 zero bytes after it (flamepy ignores them)",
        d + bytes(16), "16 zero bytes appended", flamepy="accepts")
    mut("trailing-tensor", "two float64 2x3 tensor messages after one FLM\\x01 (flamepy reads the first)",
        d + d[4:], "the message repeated", flamepy="accepts")
    mut("continuation-fe", "continuation fe ff ff ff instead of ff ff ff ff",
        d[:4] + b"\xfe" + d[5:], "continuation ff ff ff ff -> fe ff ff ff")
    mut("continuation-zero", "continuation 00 00 00 00 instead of ff ff ff ff",
        d[:4] + bytes(4) + d[8:], "continuation ff ff ff ff -> 00 00 00 00")
    mut("continuation-absent", "the pre-0.15 form, M first with no continuation (pyarrow reads it)",
        d[:4] + d[8:], "continuation removed", flamepy="accepts")
    mut("m-negative", "M = -8", patch(d, m_pos, "<i", -8), "M -> -8")
    mut("m-not-multiple-of-8", "M 4 less, not a multiple of 8 (pyarrow reads shifted elements)",
        patch(d, m_pos, "<i", r.m_len - 4), f"M {r.m_len} -> {r.m_len - 4}", flamepy="accepts")
    mut("m-plus-4", "M 4 more, not a multiple of 8", patch(d, m_pos, "<i", r.m_len + 4),
        f"M {r.m_len} -> {r.m_len + 4}")
    mut("m-zero", "M = 0, the end-of-stream marker instead of a message", patch(d, m_pos, "<i", 0),
        "M -> 0")
    mut("m-past-input", "M 8 bytes past the end of the input", patch(d, m_pos, "<i", len(d) - 4),
        f"M {r.m_len} -> {len(d) - 4}, the payload's length")
    mut("m-huge", "M = 2^31 - 1, a lying metadata length: compared before anything is read",
        patch(d, m_pos, "<i", 0x7FFFFFFF), "M -> 0x7fffffff", budget=HOSTILE_BUDGET)
    mut("flatbuffer-root-offset", "the flatbuffer's root offset points past the metadata",
        patch(d, meta, "<I", 0x7FFFFFF0), "root uoffset -> 0x7ffffff0")
    mut("flatbuffer-vtable-offset", "the Message table's vtable offset points before the metadata",
        patch(d, r.root, "<i", 0x7FFFFFF0), "Message soffset -> 0x7ffffff0")
    mut("flatbuffer-shape-count", "the shape vector's count says 2^30 dims: past the metadata",
        patch(d, r.shape_len, "<I", 0x40000000), "shape vector count 2 -> 0x40000000",
        budget=HOSTILE_BUDGET)
    mut("flatbuffer-data-field", "the vtable puts Tensor.data 65520 bytes into the table",
        patch(d, r.data_vt_entry, "<H", 0xFFF0), "vtable entry of Tensor.data -> 0xfff0")
    flipped = d[:meta] + bytes(b ^ 0xFF for b in d[meta:meta + r.m_len]) + d[meta + r.m_len:]
    mut("flatbuffer-inverted", "every metadata byte inverted", flipped, "metadata bytes xor ff")
    mut("version-v4", "Message version V4, not V5 (pyarrow reads it)", patch(d, r.version, "<h", ft.V4),
        "version V5 -> V4", flamepy="accepts")
    mut("version-v1", "Message version V1", patch(d, r.version, "<h", 0), "version V5 -> V1")
    mut("body-length-larger", "bodyLength 56 for a 48-byte body", patch(d, r.body_length, "<q", 56),
        "bodyLength 48 -> 56")
    mut("body-length-smaller", "bodyLength 40 for a 48-byte body",
        patch(d, r.body_length, "<q", 40), "bodyLength 48 -> 40")
    mut("body-length-negative", "bodyLength -1", patch(d, r.body_length, "<q", -1), "bodyLength 48 -> -1")
    mut("body-length-huge", "bodyLength 2^62: compared with the input before anything is read",
        patch(d, r.body_length, "<q", 2**62), "bodyLength 48 -> 2^62", budget=HOSTILE_BUDGET)

    HW = "a message with another header: only hand-built (flamepy writes tensors, pyarrow checks it)"
    for vid, desc, header_type in [("header-schema", "a Schema message where a Tensor must be",
                                    ft.H_SCHEMA),
                                   ("header-record-batch", "a RecordBatch message where a Tensor must be",
                                    ft.H_RECORD_BATCH)]:
        mut2 = b"FLM\x01" + ft.other_header_payload(header_type)
        add(vid, desc, MSG, mut2, "E_ARROW_PAYLOAD", hand(HW), flamepy="rejects")
    add("header-absent", "Message header_type Tensor with no header", MSG,
        b"FLM\x01" + ft.tensor_payload(shape=[3], dtype="int32", body=I32_BODY, header=False),
        "E_ARROW_PAYLOAD", hand("a message without its header: no producer writes it"),
        flamepy="rejects")


# ----------------------------------------------------------------------------------------------
# [flame.tensor.message]: alignment and strings, in messages laid out by hand
# ----------------------------------------------------------------------------------------------

def pyarrow_reads(data: bytes) -> str:
    """pyarrow's verdict on an FLM\\x01 input's message: "accepts" or "rejects"."""
    try:
        pa.ipc.read_tensor(pa.BufferReader(data[4:]))
    except Exception:  # noqa: BLE001 - pyarrow's verdict, whatever it raises
        return "rejects"
    return "accepts"


def alignment(add):
    """Each message is laid out by flame_tensor.Layout twice: once with every object where a
    builder puts it, which must decode (the generator's reader, pyarrow) to the value, and once
    with one thing moved or changed, which must fail [flame.tensor.message]. So the vector has
    that one fault, everything else valid and in bounds. pyarrow's verdict is checked and
    stated. arrow-rs's `root_as_message` (arrow-ipc 60.1.0) rejects each but align-data-buffer:
    it was run on them outside the generator, which has no Rust."""
    MSG = ["flame.tensor.message", "flame.profile"]
    WHY = ("flatbuffers builders align every object and end every string with a zero byte, and "
           "pyarrow's does too: laid out by hand with flame_tensor.Layout")
    f64_3 = dict(dtype="float64", shape=[3], body=np.arange(3.0).tobytes())
    f64_0d = dict(dtype="float64", shape=[], body=np.array(3.5).tobytes())

    def lay(vid, desc, base, fault, pyarrow, clauses=MSG, note="", **kw):
        good, _ = ft.laid_out_payload(**{**base, **fault.get("control", {})})
        want = canon(np.frombuffer(base["body"], dtype=base["dtype"]).reshape(base["shape"]))
        assert ft.decode(b"FLM\x01" + good) == want, f"{vid}: the control does not decode"
        assert pyarrow_reads(b"FLM\x01" + good) == "accepts", vid
        bad, _ = ft.laid_out_payload(**{**base, **fault["fault"]})
        data = b"FLM\x01" + bad
        assert pyarrow_reads(data) == pyarrow, f"{vid}: pyarrow {pyarrow_reads(data)}"
        add(vid, f"{desc} ({note}pyarrow {pyarrow} it)", clauses, data, "E_ARROW_PAYLOAD", hand(WHY),
            flamepy=pyarrow, **kw)

    lay("align-strides-elements",
        "float64 [0, 1, 2], strides [8] 4 bytes off a multiple of 8",
        f64_3, {"fault": {"strides_at": (8, 0)}}, "accepts", note="C++ checks no element's alignment: ")
    lay("align-data-buffer",
        "float64 [0, 1, 2], the Buffer struct Tensor.data 4 bytes off a multiple of 8",
        f64_3, {"fault": {"skew": {"data": 4}}}, "rejects", note="arrow-rs accepts it, ")
    lay("align-body-length",
        "float64 [0, 1, 2], Message.bodyLength (a long) 4 bytes off a multiple of 8",
        f64_3, {"fault": {"skew": {"bodyLength": 4}}}, "rejects")
    lay("align-empty-strides-length-odd",
        "float64 0-d, the empty strides vector's length at an odd offset: only elements are "
        "exempt",
        f64_0d, {"fault": {"strides_at": (4, 1)}}, "rejects")
    lay("string-not-utf8",
        "float64 [0, 1, 2], dimension name the byte ff, not UTF-8: checked before names are",
        f64_3, {"fault": {"names": [b"\xff"]}}, "accepts",
        clauses=["flame.tensor.message", "flame.tensor.metadata", "flame.profile"], tags=PO)
    lay("string-no-zero",
        "float64 [0, 1, 2], name \"\" ends the metadata with no zero byte; the body starts "
        "00",
        {**f64_3, "name_last": True, "align": 8}, {"fault": {"name_zero": False}}, "rejects")


# ----------------------------------------------------------------------------------------------
# Hand-built tensor messages: type, shape, metadata, data, strides
# ----------------------------------------------------------------------------------------------

def hb(shape=(2, 3), dtype="float64", body=F64_BODY, **kw) -> bytes:
    """FLM\\x01 and a message built with the flatbuffers Builder: a float64 2x3 tensor
    (arange(6.0)) as pyarrow writes it, but for what `kw` changes."""
    return b"FLM\x01" + ft.tensor_payload(shape=list(shape), dtype=dtype, body=body, **kw)


def hand_built(add):
    def h(vid, desc, clauses, data, code, why, flamepy="rejects", **kw):
        add(vid, desc, clauses, data, code, hand(why), flamepy=flamepy, **kw)

    TY = ["flame.tensor.type", "flame.profile"]
    WHY_TYPE = ("pyarrow's Tensor.from_numpy makes no tensor of this type, so flamepy never "
                "writes it; built with the flatbuffers Builder")
    for vid, desc, type_, body, flamepy in [
            ("type-bool", "Arrow Bool", (ft.T_BOOL, []), bytes([1, 0, 1]), "rejects"),
            ("type-utf8", "Arrow Utf8", (ft.T_UTF8, []), b"abc", "rejects"),
            ("type-int24", "Int of bitWidth 24", (ft.T_INT, [(0, "i", 24), (1, "?", True)]),
             bytes(9), "rejects"),
            ("type-int128", "Int of bitWidth 128", (ft.T_INT, [(0, "i", 128), (1, "?", True)]),
             bytes(48), "rejects"),
            ("type-int-width-0", "Int of bitWidth 0", (ft.T_INT, [(0, "i", 0), (1, "?", False)]),
             b"", "rejects"),
            ("type-decimal", "Decimal(38, 10)",
             (ft.T_DECIMAL, [(0, "i", 38), (1, "i", 10), (2, "i", 128)]), bytes(48), "rejects"),
            ("type-timestamp", "Timestamp(ns)", (ft.T_TIMESTAMP, [(0, "h", ft.NANOSECOND)]),
             bytes(24), "rejects"),
            ("type-duration", "Duration(ns)", (ft.T_DURATION, [(0, "h", ft.NANOSECOND)]),
             bytes(24), "rejects"),
            ("type-float-precision-3", "FloatingPoint of precision 3, which does not exist "
             "(pyarrow reads float64)", (ft.T_FLOAT, [(0, "h", 3)]), bytes(24), "accepts"),
            ("type-none", "the type union NONE", (ft.T_NONE, []), bytes(3), "rejects")]:
        h(vid, f"tensor of 3 elements of type {desc}", TY,
          b"FLM\x01" + ft.tensor_payload(type_, shape=[3], strides=None, body=body),
          "E_DTYPE_UNSUPPORTED", WHY_TYPE, flamepy=flamepy)

    SH = ["flame.tensor.shape", "flame.profile"]
    WHY_SHAPE = "a shape no array has: built with the flatbuffers Builder"
    h("shape-negative", "float64 tensor with a dimension of -1", SH,
      hb(shape=(-1,), strides=[8], body=bytes(8)), "E_SHAPE_INVALID", WHY_SHAPE)
    h("shape-negative-second", "float64 (2, -3): the second dimension negative", SH,
      hb(shape=(2, -3), strides=[24, 8]), "E_SHAPE_INVALID", WHY_SHAPE)
    h("shape-2-53", "uint8 tensor with a dimension of 2^53, past 2^53-1", SH,
      hb(shape=(2**53,), dtype="uint8", strides=[1], body=bytes(8)), "E_SHAPE_INVALID", WHY_SHAPE)
    h("shape-int64-min", "uint8 (0, -2^63): negative, though another dimension is 0", SH,
      hb(shape=(0, -2**63), dtype="uint8", strides=[1, 1], body=b""), "E_SHAPE_INVALID", WHY_SHAPE)
    LIM = ["flame.tensor.shape", "limits.conformance-defaults", "flame.profile"]
    WHY_HUGE = "a shape of more elements than the body holds, to make a decoder allocate: hostile"
    h("shape-2-40-elements", "float64 (2^20, 2^20), 2^40 elements, with an 8-byte body",
      ["limits.elements"] + LIM, hb(shape=(2**20, 2**20), body=bytes(8)), "E_LIMIT_EXCEEDED",
      WHY_HUGE, budget=HOSTILE_BUDGET)
    h("shape-2-62-elements", "float64 (2^31, 2^31), 2^62 elements", ["limits.elements"] + LIM,
      hb(shape=(2**31, 2**31), body=bytes(8)), "E_LIMIT_EXCEEDED", WHY_HUGE, budget=HOSTILE_BUDGET)
    h("shape-elements-plus-1", "uint8 of 2^28 + 1 elements, one past max_elements",
      ["limits.elements"] + LIM, hb(shape=(2**28 + 1,), dtype="uint8", body=bytes(8)),
      "E_LIMIT_EXCEEDED", WHY_HUGE, budget=HOSTILE_BUDGET, tags=["hostile", "boundary"])
    h("shape-decoded-bytes", "uint16 of 2^27 + 1 elements: 2 bytes past max_decoded_bytes",
      ["limits.decoded-bytes", "flame.tensor.type[uint16]"] + LIM,
      hb(shape=(2**27 + 1,), dtype="uint16", body=bytes(8)),
      "E_LIMIT_EXCEEDED", WHY_HUGE, budget=HOSTILE_BUDGET, tags=["hostile", "boundary"])
    # [flame.tensor.type] row by row: the item size of each type's dtype decides where
    # max_decoded_bytes (2^28) falls. 2^28 / size elements pass it, and the 3 elements' body is
    # then short ([flame.tensor.data]); one more element is over it.
    for dtype in ft.DTYPES:
        size = ft.ITEMSIZE[dtype]
        n = ft.MAX_DECODED_BYTES // size
        row = f"flame.tensor.type[{dtype}]"
        h(f"shape-{dtype}-bytes-at-limit", f"{dtype} of {n} elements ({n * size} bytes, at the limit), "
          f"a body of 3", ["flame.tensor.data", row] + LIM + ["limits.decoded-bytes"],
          hb(shape=(n,), dtype=dtype, body=bytes(3 * size)), "E_SHAPE_MISMATCH", WHY_HUGE,
          budget=HOSTILE_BUDGET, tags=["hostile", "boundary"])
        if size > 1 and dtype != "uint16":  # uint16's is shape-decoded-bytes above
            h(f"shape-{dtype}-bytes-over-limit", f"{dtype} of {n + 1} elements: {size} bytes past "
              "max_decoded_bytes", ["limits.decoded-bytes", row] + LIM,
              hb(shape=(n + 1,), dtype=dtype, body=bytes(3 * size)), "E_LIMIT_EXCEEDED", WHY_HUGE,
              budget=HOSTILE_BUDGET, tags=["hostile", "boundary"])
    h("shape-65-dims", "float64 of 65 dimensions of 1, one past max_ndim", ["limits.ndim"] + LIM,
      hb(shape=(1,) * 65, body=bytes(8)), "E_LIMIT_EXCEEDED",
      "numpy has at most 64 dimensions, so flamepy never writes 65: hand-built",
      budget=HOSTILE_BUDGET, tags=["hostile", "boundary"])

    MD = ["flame.tensor.metadata", "flame.profile"]
    WHY_MD = "pyarrow writes every dimension name as \"\" and no custom_metadata: hand-built"
    h("dim-name", "float64 2x3 whose first dimension is named x (pyarrow ignores the name)", MD,
      hb(names=["x", ""]), "E_ARROW_SCHEMA", WHY_MD, flamepy="accepts")
    h("custom-metadata", "int32 [1, 2, 3] with custom_metadata k=v (pyarrow ignores it)", MD,
      hb(shape=(3,), dtype="int32", body=I32_BODY, custom_metadata=[("k", "v")]),
      "E_ARROW_SCHEMA", WHY_MD, flamepy="accepts")
    h("custom-metadata-empty-key", "int32 [1, 2, 3] with custom_metadata \"\"=\"\" (pyarrow ignores it)",
      MD, hb(shape=(3,), dtype="int32", body=I32_BODY, custom_metadata=[("", "")]),
      "E_ARROW_SCHEMA", WHY_MD, flamepy="accepts")

    DA = ["flame.tensor.data", "flame.profile"]
    WHY_DATA = "pyarrow writes data {offset 0, length bodyLength}: hand-built"
    h("data-offset-8", "int32 [3] whose data starts at 8 in a 24-byte body (pyarrow reads it)", DA,
      hb(shape=(3,), dtype="int32", data=(8, 12), body=bytes(8) + I32_BODY + bytes(4)),
      "E_ARROW_PAYLOAD", WHY_DATA, flamepy="accepts")
    h("data-offset-negative", "int32 [3] whose data offset is -8 (pyarrow reads before the body)", DA,
      hb(shape=(3,), dtype="int32", data=(-8, 12), body=I32_BODY), "E_ARROW_PAYLOAD", WHY_DATA,
      flamepy="accepts")
    h("data-past-body", "int32 [3] whose data is 16 bytes in a 12-byte body (pyarrow reads past it)",
      DA, hb(shape=(3,), dtype="int32", data=(0, 16), body=I32_BODY), "E_ARROW_PAYLOAD", WHY_DATA,
      flamepy="accepts")
    h("body-padded-past-8", "int32 [3]: 12 data bytes, bodyLength 24, padded past 8 (pyarrow reads it)",
      DA, hb(shape=(3,), dtype="int32", data=(0, 12), body=I32_BODY + bytes(12)), "E_ARROW_PAYLOAD",
      WHY_DATA, flamepy="accepts")
    h("data-length-negative", "int32 [3] whose data length is -12", DA,
      hb(shape=(3,), dtype="int32", data=(0, -12), body=b""), "E_ARROW_PAYLOAD", WHY_DATA)
    DL = ["flame.tensor.data", "flame.profile", "flame.tensor.shape"]
    h("data-length-short", "int32 [3] with 8 data bytes, not 12", DL,
      hb(shape=(3,), dtype="int32", body=I32_BODY[:8]), "E_SHAPE_MISMATCH", WHY_DATA)
    h("data-length-long", "int32 [3] with 16 data bytes, not 12 (pyarrow reads the first 12)", DL,
      hb(shape=(3,), dtype="int32", body=I32_BODY + bytes(4)), "E_SHAPE_MISMATCH", WHY_DATA,
      flamepy="accepts")
    h("data-empty-nonzero-length", "float32 (0, 3) with 8 data bytes", DL,
      hb(shape=(0, 3), dtype="float32", strides=[12, 4], body=bytes(8)), "E_SHAPE_MISMATCH",
      WHY_DATA)

    STR = ["flame.tensor.strides", "flame.profile"]
    WHY_STR = ("pyarrow writes the C or Fortran strides of a contiguous array (and row-major ones "
               "for any other): hand-built")
    for vid, desc, shape, strides, flamepy in [
            ("strides-count-short", "float64 2x3 with one stride", (2, 3), [8], "rejects"),
            ("strides-count-long", "float64 2x3 with three strides", (2, 3), [24, 8, 8], "rejects"),
            ("strides-empty", "float64 2x3 with an empty strides vector (pyarrow reads it as absent)",
             (2, 3), [], "accepts"),
            ("strides-negative", "float64 2x3 with strides [-24, 8]", (2, 3), [-24, 8], "rejects"),
            ("strides-zero", "float64 2x3 with strides [0, 8] (pyarrow repeats the first row)",
             (2, 3), [0, 8], "accepts"),
            ("strides-overlapping", "float64 2x3 with strides [8, 8], rows overlapping (pyarrow reads it)",
             (2, 3), [8, 8], "accepts"),
            ("strides-padded", "float64 2x3 with strides [32, 8], a gap after each row",
             (2, 3), [32, 8], "rejects"),
            ("strides-transposed", "float64 2x3x4 with strides [32, 64, 8]: contiguous, neither C nor F "
             "(pyarrow reads it)", (2, 3, 4), [32, 64, 8], "accepts"),
            ("strides-1x3-zero", "float64 (1, 3) with strides [0, 8], neither C [24, 8] nor F [8, 8] "
             "(pyarrow reads it)", (1, 3), [0, 8], "accepts"),
            ("strides-elements", "float64 2x3 with strides [3, 1], counted in elements (pyarrow reads it)",
             (2, 3), [3, 1], "accepts")]:
        n = int(np.prod(shape))
        h(vid, desc, STR, hb(shape=shape, strides=strides, body=np.arange(float(n)).tobytes()),
          "E_SHAPE_MISMATCH", WHY_STR, flamepy=flamepy)

    # Two faults: the one that comes first in flame.md's order gives the code.
    WHY_PO = "two faults on purpose, to pin the processing order: hand-built"
    h("order-message-before-type", "Bool tensor followed by a trailing byte: the message check first",
      ["flame.tensor.message", "flame.tensor.type", "flame.profile"],
      b"FLM\x01" + ft.tensor_payload((ft.T_BOOL, []), shape=[3], body=bytes(3)) + b"\x00",
      "E_ARROW_PAYLOAD", WHY_PO, tags=PO)
    h("order-type-before-shape", "Bool tensor of shape (-1): the type check first",
      ["flame.tensor.type", "flame.tensor.shape", "flame.profile"],
      b"FLM\x01" + ft.tensor_payload((ft.T_BOOL, []), shape=[-1], body=bytes(3)),
      "E_DTYPE_UNSUPPORTED", WHY_PO, tags=PO)
    h("order-shape-before-metadata", "float64 (-1) with a dimension named x: the shape check first",
      ["flame.tensor.shape", "flame.tensor.metadata", "flame.profile"],
      hb(shape=(-1,), names=["x"], strides=[8], body=bytes(8)), "E_SHAPE_INVALID", WHY_PO, tags=PO)
    h("order-limits-before-metadata", "float64 (2^20, 2^20) with custom_metadata: the limits first",
      ["limits.elements", "flame.tensor.shape", "flame.tensor.metadata", "flame.profile"],
      hb(shape=(2**20, 2**20), custom_metadata=[("k", "v")], body=bytes(8)), "E_LIMIT_EXCEEDED",
      WHY_PO, budget=HOSTILE_BUDGET, tags=PO + ["hostile"])
    h("order-metadata-before-data", "float64 2x3 named x, data at offset 8: the names first (pyarrow reads it)",
      ["flame.tensor.metadata", "flame.tensor.data", "flame.profile"],
      hb(names=["x", ""], data=(8, 48), body=bytes(8) + F64_BODY), "E_ARROW_SCHEMA", WHY_PO,
      flamepy="accepts", tags=PO)
    h("order-data-before-strides", "int32 [3], data at offset 8, strides [8]: the data first (pyarrow reads it)",
      ["flame.tensor.data", "flame.tensor.strides", "flame.profile"],
      hb(shape=(3,), dtype="int32", data=(8, 12), strides=[8], body=bytes(8) + I32_BODY + bytes(4)),
      "E_ARROW_PAYLOAD", WHY_PO, flamepy="accepts", tags=PO)
    h("order-length-before-strides", "int32 [3] with 8 data bytes and strides [8]: the length first",
      ["flame.tensor.data", "flame.tensor.strides", "flame.profile"],
      hb(shape=(3,), dtype="int32", strides=[8], body=I32_BODY[:8]), "E_SHAPE_MISMATCH", WHY_PO,
      tags=PO)

