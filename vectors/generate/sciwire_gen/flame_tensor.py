"""FLM frames of the flame profile (spec/src/flame.md): a builder of Arrow IPC tensor messages on
the `flatbuffers` package's Builder (for messages no producer writes), the encoder a canonical
value asks for ([flame.encode.tensor]), and the generator's own reader of the profile, which
guards the vectors: valid ones are read back, invalid ones must fail first where they say.

Not a profile module (no PROFILE): flame.py and flame_invalid.py use it. No flamepy here.

    offset  size  content
    0       3     "FLM"
    3       1     tag       00 cloudpickle, 01 tensor, 02 table, 03 array, 04 record batch
    4       4     ff ff ff ff                  (tag 01: one encapsulated message)
    8       4     M, i32 LE
    12      M     flatbuffer Message {version, header_type Tensor, header, bodyLength}, padding
    12+M    B     body, B = bodyLength

Field slots (Arrow format/Message.fbs, Tensor.fbs, Schema.fbs; the generated Rust of arrow-ipc
60.1.0 has them as VT_ offsets 4 + 2 * slot):
    Message   0 version: short   1 header_type: ubyte   2 header   3 bodyLength: long
              4 custom_metadata: [KeyValue]
    Tensor    0 type_type: ubyte  1 type  2 shape: [TensorDim]  3 strides: [long]  4 data: Buffer
    TensorDim 0 size: long  1 name: string        KeyValue  0 key: string  1 value: string
    Int       0 bitWidth: int  1 is_signed: bool   FloatingPoint  0 precision: short
    Decimal   0 precision: int  1 scale: int  2 bitWidth: int   Timestamp  0 unit: short  1 timezone
    Schema    0 endianness  1 fields: [Field]  ...  RecordBatch  0 length: long  1 nodes  2 buffers
"""

from __future__ import annotations

import struct

import flatbuffers
import numpy as np

PREFIX = b"FLM"
TAG_PICKLE, TAG_TENSOR, TAG_TABLE, TAG_ARRAY, TAG_BATCH = range(5)
CONTINUATION = b"\xff\xff\xff\xff"

V4, V5 = 3, 4                                   # MetadataVersion
H_SCHEMA, H_RECORD_BATCH, H_TENSOR = 1, 3, 4     # MessageHeader
# Type (the union of Schema.fbs)
T_NONE, T_NULL, T_INT, T_FLOAT, T_BINARY, T_UTF8, T_BOOL, T_DECIMAL, T_DATE = range(9)
T_TIMESTAMP, T_DURATION = 10, 18
HALF, SINGLE, DOUBLE = 0, 1, 2                   # Precision
NANOSECOND = 3                                   # TimeUnit

# [flame.tensor.type]: the dtype of each Arrow type, and back.
INT_DTYPES = {(8, True): "int8", (16, True): "int16", (32, True): "int32", (64, True): "int64",
              (8, False): "uint8", (16, False): "uint16", (32, False): "uint32",
              (64, False): "uint64"}
FLOAT_DTYPES = {HALF: "float16", SINGLE: "float32", DOUBLE: "float64"}
ITEMSIZE = {"int8": 1, "int16": 2, "int32": 4, "int64": 8, "uint8": 1, "uint16": 2, "uint32": 4,
            "uint64": 8, "float16": 2, "float32": 4, "float64": 8}
DTYPES = tuple(ITEMSIZE)

MAX_SAFE = 2**53 - 1
# The default limits (spec/src/limits.md).
MAX_INPUT_BYTES = 268435456
MAX_NDIM = 64
MAX_ELEMENTS = 2**28
MAX_DECODED_BYTES = 268435456


def arrow_type(dtype: str):
    """(type id, fields) of a dtype in [flame.tensor.type]'s table; KeyError for any other."""
    for (bits, signed), name in INT_DTYPES.items():
        if name == dtype:
            return T_INT, [(0, "i", bits), (1, "?", signed)]
    for prec, name in FLOAT_DTYPES.items():
        if name == dtype:
            return T_FLOAT, [(0, "h", prec)]
    raise KeyError(dtype)


def c_strides(shape, itemsize: int) -> list:
    out, acc = [], itemsize
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return out[::-1]


def f_strides(shape, itemsize: int) -> list:
    out, acc = [], itemsize
    for n in shape:
        out.append(acc)
        acc *= n
    return out


def roundup8(n: int) -> int:
    return -(-n // 8) * 8


# ----------------------------------------------------------------------------------------------
# Building messages with flatbuffers.Builder
# ----------------------------------------------------------------------------------------------

_PREPEND = {"b": "PrependInt8Slot", "B": "PrependUint8Slot", "h": "PrependInt16Slot",
            "i": "PrependInt32Slot", "q": "PrependInt64Slot", "?": "PrependBoolSlot"}


def builder() -> flatbuffers.Builder:
    """A Builder that writes every field it is given, defaults included."""
    b = flatbuffers.Builder(256)
    b.ForceDefaults(True)
    return b


def _table(b: flatbuffers.Builder, fields) -> int:
    """A table of (slot, fmt, value) fields; fmt a struct code, "s" a string, "o" an offset
    already built. Children are built first (they must not be nested in the table)."""
    strings = {slot: b.CreateString(v) for slot, fmt, v in fields if fmt == "s"}
    nslots = max((slot for slot, _, _ in fields), default=-1) + 1
    b.StartObject(nslots)
    for slot, fmt, v in fields:
        if fmt == "s":
            b.PrependUOffsetTRelativeSlot(slot, strings[slot], 0)
        elif fmt == "o":
            b.PrependUOffsetTRelativeSlot(slot, v, 0)
        else:
            getattr(b, _PREPEND[fmt])(slot, v, 0)  # written even when 0: ForceDefaults
    return b.EndObject()


def _offsets(b: flatbuffers.Builder, offs) -> int:
    b.StartVector(4, len(offs), 4)
    for o in reversed(offs):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def _longs(b: flatbuffers.Builder, xs) -> int:
    b.StartVector(8, len(xs), 8)
    for x in reversed(xs):
        b.PrependInt64(x)
    return b.EndVector()


def _message(b: flatbuffers.Builder, header_type, header, body_length, version,
             custom_metadata) -> bytes:
    fields = [(0, "h", version), (1, "B", header_type)]
    if header is not None:
        fields.append((2, "o", header))
    fields.append((3, "q", body_length))
    if custom_metadata is not None:
        kvs = [_table(b, [(0, "s", k), (1, "s", v)]) for k, v in custom_metadata]
        fields.append((4, "o", _offsets(b, kvs)))
    b.Finish(_table(b, fields))
    return bytes(b.Output())


def encapsulate(fb: bytes, body: bytes, align: int = 64) -> bytes:
    """One encapsulated message: continuation, M, the flatbuffer, zero padding so that 8 + M is a
    multiple of `align`, the body."""
    m = -(-(8 + len(fb)) // align) * align - 8
    return CONTINUATION + struct.pack("<i", m) + fb + bytes(m - len(fb)) + body


MISSING = object()


def tensor_payload(type_=None, shape=(), *, dtype=None, names=MISSING, strides=MISSING,
                   data=None, body=b"", body_length=None, version=V5, custom_metadata=None,
                   header=True, align=64) -> bytes:
    """An encapsulated Tensor message, as [flame.encode.tensor] describes it unless told otherwise:
    the type `type_` ((id, fields)) or that of `dtype`; one TensorDim per shape entry named ""
    (names: a list, None entries absent; None: every name absent); row-major strides (strides:
    a list, or None for absent); data {offset 0, length len(body)} (data: (offset, length));
    bodyLength len(body); version V5; header=False leaves the header out."""
    if type_ is None:
        type_ = arrow_type(dtype)
    itemsize = ITEMSIZE.get(dtype, 8)
    if names is MISSING:
        names = [""] * len(shape)
    elif names is None:
        names = [None] * len(shape)
    if strides is MISSING:
        strides = c_strides(shape, itemsize)
    if data is None:
        data = (0, len(body))
    b = builder()
    tensor = None
    if header:
        type_id, type_fields = type_
        type_table = _table(b, type_fields)
        dims = [_table(b, [(0, "q", n)] + ([(1, "s", nm)] if nm is not None else []))
                for n, nm in zip(shape, names)]
        shape_vec = _offsets(b, dims)
        strides_vec = None if strides is None else _longs(b, strides)
        b.StartObject(5)
        b.PrependUint8Slot(0, type_id, 0)
        b.PrependUOffsetTRelativeSlot(1, type_table, 0)
        b.PrependUOffsetTRelativeSlot(2, shape_vec, 0)
        if strides_vec is not None:
            b.PrependUOffsetTRelativeSlot(3, strides_vec, 0)
        b.Prep(8, 16)  # struct Buffer {offset: long; length: long}, inline
        b.PrependInt64(data[1])
        b.PrependInt64(data[0])
        b.Slot(4)
        tensor = b.EndObject()
    fb = _message(b, H_TENSOR, tensor, len(body) if body_length is None else body_length,
                  version, custom_metadata)
    return encapsulate(fb, body, align)


def other_header_payload(header_type: int) -> bytes:
    """An encapsulated message whose header is an empty Schema (no fields) or an empty
    RecordBatch (length 0, no nodes, no buffers), version V5, no body."""
    b = builder()
    if header_type == H_SCHEMA:
        header = _table(b, [(0, "h", 0), (1, "o", _offsets(b, []))])
    elif header_type == H_RECORD_BATCH:
        nodes, buffers = _longs(b, []), _longs(b, [])  # empty vectors of 16-byte structs
        header = _table(b, [(0, "q", 0), (1, "o", nodes), (2, "o", buffers)])
    else:
        raise ValueError(header_type)
    return encapsulate(_message(b, header_type, header, 0, V5, None), b"")


# ----------------------------------------------------------------------------------------------
# Laying a flatbuffer out by hand: where flatbuffers.Builder cannot be made to put a thing
# ----------------------------------------------------------------------------------------------

class Layout:
    """A flatbuffer written front to back, each object where the caller says: a builder aligns
    everything, and [flame.tensor.message]'s alignment vectors need a scalar, a struct, a vector
    or a string at a chosen offset. Objects are written in the order of the calls; a uoffset
    names the label of an object written after it (uoffsets point forward) and is patched by
    finish()."""

    def __init__(self):
        self.buf = bytearray(4)  # the root uoffset
        self.at = {}             # label -> position of the object (table, vector length, string)
        self.refs = [(0, None)]  # (position of a uoffset, label); None: the root, set by finish

    def pad(self, align: int, rem: int = 0):
        while len(self.buf) % align != rem % align:
            self.buf.append(0)

    def _put(self, fmt: str, v) -> int:
        pos = len(self.buf)
        self.buf += struct.pack("<" + fmt, v)
        return pos

    def table(self, label: str, fields, skew=None):
        """The vtable, then the table: its soffset, then each field (slot, fmt, value), fmt a
        struct code, "o" (value: the label of an object written later) or "buffer" ((offset,
        length), the 16-byte struct), each at a multiple of its alignment, or `skew[slot]` bytes
        past one."""
        skew = skew or {}
        nslots = max(slot for slot, _, _ in fields) + 1
        self.pad(2)
        vt = len(self.buf)
        self.buf += bytes(4 + 2 * nslots)
        self.pad(4)
        pos = self._put("i", 0)
        struct.pack_into("<i", self.buf, pos, pos - vt)
        offs = {}
        for slot, fmt, v in fields:
            align = 8 if fmt == "buffer" else 4 if fmt == "o" else struct.calcsize("<" + fmt)
            self.pad(align, skew.get(slot, 0))
            offs[slot] = len(self.buf) - pos
            if fmt == "o":
                self.refs.append((self._put("I", 0), v))
            elif fmt == "buffer":
                self._put("q", v[0])
                self._put("q", v[1])
            else:
                self._put(fmt, v)
        struct.pack_into("<HH", self.buf, vt, 4 + 2 * nslots, len(self.buf) - pos)
        for slot, off in offs.items():
            struct.pack_into("<H", self.buf, vt + 4 + 2 * slot, off)
        self.at[label] = pos

    def vector(self, label: str, fmt: str, items, at=None):
        """A vector: its u32 length, then the items (fmt a struct code, or "o" for labels of
        objects written later). The length goes where `at` = (modulus, remainder) says, or 4
        bytes before a multiple of the element's alignment (at least 4)."""
        size = 4 if fmt == "o" else struct.calcsize("<" + fmt)
        mod, rem = at if at is not None else (max(size, 4), max(size, 4) - 4)
        self.pad(mod, rem)
        self.at[label] = self._put("I", len(items))
        for v in items:
            if fmt == "o":
                self.refs.append((self._put("I", 0), v))
            else:
                self._put(fmt, v)

    def string(self, label: str, data: bytes, zero: bool = True, at=(4, 0)):
        """A string: u32 length, the bytes, and (zero) its terminating zero byte."""
        self.pad(*at)
        self.at[label] = self._put("I", len(data))
        self.buf += data + (b"\0" if zero else b"")

    def finish(self, root: str) -> bytes:
        for pos, label in self.refs:
            target = self.at[root if label is None else label]
            assert target > pos, (label, target, pos)
            struct.pack_into("<I", self.buf, pos, target - pos)
        return bytes(self.buf)


def laid_out_payload(dtype: str, shape, body: bytes, *, strides=MISSING, names=MISSING,
                     skew=None, strides_at=None, name_zero=True, name_last=False,
                     align=64) -> bytes:
    """An encapsulated Tensor message laid out by hand (Layout): the same fields as
    tensor_payload, every object aligned as a builder aligns it, except what `skew` moves:
    {"bodyLength": k} (Message slot 3) or {"data": k} (the Buffer) k bytes past a multiple of
    8; `strides_at` (modulus, remainder) places the strides vector's length. With name_last the
    dimension names come last in the buffer; with name_zero False the last name has no zero byte
    after it, and M ends where it does (so its length must end the metadata at a multiple of 8).
    Returns (payload, the Layout)."""
    skew = skew or {}
    itemsize = ITEMSIZE[dtype]
    if strides is MISSING:
        strides = c_strides(shape, itemsize)
    if names is MISSING:
        names = [b""] * len(shape)
    lay = Layout()
    lay.table("message", [(0, "h", V5), (1, "B", H_TENSOR), (2, "o", "tensor"),
                          (3, "q", len(body))], skew={3: skew.get("bodyLength", 0)})
    type_id, type_fields = arrow_type(dtype)
    tensor = [(0, "B", type_id), (1, "o", "type"), (2, "o", "shape")]
    if strides is not None:
        tensor.append((3, "o", "strides"))
    tensor.append((4, "buffer", (0, len(body))))
    lay.table("tensor", tensor, skew={4: skew.get("data", 0)})
    lay.table("type", [(slot, fmt, v) for slot, fmt, v in type_fields])
    if strides is not None:
        lay.vector("strides", "q", strides, at=strides_at)
    lay.vector("shape", "o", [f"dim{i}" for i in range(len(shape))])
    for i, n in enumerate(shape):
        lay.table(f"dim{i}", [(0, "q", n)] + ([(1, "o", f"name{i}")] if names[i] is not None else []))
        if not name_last and names[i] is not None:
            lay.string(f"name{i}", names[i])
    if name_last:
        for i, nm in enumerate(names):
            last = i == len(names) - 1
            lay.string(f"name{i}", nm, zero=name_zero or not last)
    fb = lay.finish("message")
    assert name_zero or len(fb) % 8 == 0, "the unterminated name must end the metadata"
    return encapsulate(fb, body, align), lay


def element_bytes(value: dict) -> bytes:
    data = bytes.fromhex(value["hex"])
    n = 1
    for x in value["shape"]:
        n *= x
    if len(data) != n * ITEMSIZE[value["dtype"]]:
        raise FlameError("E_SHAPE_MISMATCH", "canonical.ndarray.lowercase", "hex length")
    return data


def encode(value: dict) -> bytes:
    """[flame.encode.tensor]: the frame an encoder writes for a canonical ndarray value, or
    FlameError for what [flame.encode.refuse] refuses (and [canonical.ndarray.lowercase])."""
    if value.get("kind") != "ndarray":
        raise FlameError("E_ENCODING_UNSUPPORTED", "flame.encode.refuse", value.get("kind"))
    if value["dtype"] not in ITEMSIZE:
        raise FlameError("E_DTYPE_UNSUPPORTED", "flame.encode.refuse", value["dtype"])
    body = element_bytes(value)
    frame = PREFIX + bytes([TAG_TENSOR]) + tensor_payload(shape=value["shape"],
                                                          dtype=value["dtype"], body=body)
    if len(frame) > MAX_INPUT_BYTES:
        raise FlameError("E_LIMIT_EXCEEDED", "flame.encode.refuse", "frame too long")
    return frame


# ----------------------------------------------------------------------------------------------
# Reading: the generator's own decoder of the profile, in flame.md's processing order
# ----------------------------------------------------------------------------------------------

BUFFER_ALIGN = 8  # struct Buffer { offset: long; length: long }: aligned as a long


class FlameError(Exception):
    def __init__(self, code: str, clause: str, detail: str):
        super().__init__(f"{code} [{clause}] {detail}")
        self.code, self.clause, self.detail = code, clause, detail


class Unverified(Exception):
    """The metadata is not a valid flatbuffer Message (what a verifier reports)."""


class _Fb:
    """A bounds-checking reader of one flatbuffer: what a verifier checks (every offset, table,
    vtable, vector and string inside the buffer; required fields present), raising Unverified.

    [flame.tensor.message]'s alignment rule, offsets counted from the start of the metadata:
    every scalar (a table's soffset, a uoffset, a vtable entry, a field) at a multiple of its
    size; a vector's u32 length at a multiple of 4, and its elements at a multiple of the
    element's size, checked only when it has one: pyarrow writes a 0-d tensor's empty strides
    vector with its elements 4 bytes off a multiple of 8, which C++'s verifier accepts (Rust's
    does not). The struct Buffer (two longs) at a multiple of 8, the alignment flatbuffers gives
    a struct (its widest scalar): builders put it at 8 mod 16 too. Every string is UTF-8 and has
    a zero byte after it, inside the buffer (the metadata's M bytes, never the body after)."""

    def __init__(self, buf: bytes):
        self.buf = buf

    def _at(self, fmt: str, pos: int, align: int | None = None):
        size = struct.calcsize("<" + fmt)
        if pos < 0 or pos + size > len(self.buf):
            raise Unverified(f"{fmt} at {pos} beyond the buffer")
        if pos % (align or size):
            raise Unverified(f"{fmt} at {pos} unaligned")
        return struct.unpack_from("<" + fmt, self.buf, pos)[0]

    def root(self) -> int:
        return self.table(self._at("I", 0))

    def table(self, pos: int) -> int:
        vt = pos - self._at("i", pos)
        vtlen, objlen = self._at("H", vt), self._at("H", vt + 2)
        if vtlen < 4 or vtlen % 2 or vt + vtlen > len(self.buf) or pos + objlen > len(self.buf):
            raise Unverified(f"vtable of the table at {pos}")
        return pos

    def field(self, table: int, slot: int) -> int | None:
        vt = table - self._at("i", table)
        vtlen = self._at("H", vt)
        off = self._at("H", vt + 4 + 2 * slot) if 4 + 2 * slot < vtlen else 0
        return table + off if off else None

    def scalar(self, table: int, slot: int, fmt: str, default=0, required=False):
        p = self.field(table, slot)
        if p is None:
            if required:
                raise Unverified(f"required field {slot} absent")
            return default
        return self._at(fmt, p)

    def ref(self, table: int, slot: int, required=False) -> int | None:
        p = self.field(table, slot)
        if p is None:
            if required:
                raise Unverified(f"required field {slot} absent")
            return None
        return p + self._at("I", p)

    def vector(self, pos: int, elem: int, align: int) -> tuple:
        n = self._at("I", pos)
        start = pos + 4
        if start + n * elem > len(self.buf):
            raise Unverified(f"vector at {pos} of {n} elements beyond the buffer")
        if n and start % align:
            raise Unverified(f"vector at {pos} unaligned")
        return n, start

    def string(self, pos: int) -> str:
        n, start = self.vector(pos, 1, 1)
        if start + n >= len(self.buf) or self.buf[start + n] != 0:
            raise Unverified(f"string at {pos} without its terminating zero")
        try:
            return self.buf[start:start + n].decode("utf-8")
        except UnicodeDecodeError:
            raise Unverified(f"string at {pos} not UTF-8") from None

    def tables(self, pos: int) -> list:
        n, start = self.vector(pos, 4, 4)
        return [self.table(start + 4 * i + self._at("I", start + 4 * i)) for i in range(n)]


def read_message(fb: bytes) -> dict:
    """The Message's fields (and the Tensor's, when the header is one), or Unverified."""
    r = _Fb(fb)
    msg = r.root()
    out = {"version": r.scalar(msg, 0, "h"), "header_type": r.scalar(msg, 1, "B"),
           "body_length": r.scalar(msg, 3, "q"), "custom_metadata": []}
    cm = r.ref(msg, 4)
    if cm is not None:
        for kv in r.tables(cm):
            k, v = r.ref(kv, 0), r.ref(kv, 1)
            out["custom_metadata"].append((None if k is None else r.string(k),
                                           None if v is None else r.string(v)))
    header = r.ref(msg, 2)
    out["header"] = None if header is None else r.table(header)
    if header is None or out["header_type"] != H_TENSOR:
        return out
    t = out["header"]
    type_id = r.scalar(t, 0, "B")
    ty = r.table(r.ref(t, 1, required=True))
    out["type"] = (type_id, {
        T_INT: lambda: {"bitWidth": r.scalar(ty, 0, "i"), "is_signed": r.scalar(ty, 1, "?")},
        T_FLOAT: lambda: {"precision": r.scalar(ty, 0, "h")},
        T_DECIMAL: lambda: {"precision": r.scalar(ty, 0, "i"), "scale": r.scalar(ty, 1, "i"),
                            "bitWidth": r.scalar(ty, 2, "i", 128)},
        T_TIMESTAMP: lambda: {"unit": r.scalar(ty, 0, "h")},
    }.get(type_id, dict)())
    dims = []
    for d in r.tables(r.ref(t, 2, required=True)):
        name = r.ref(d, 1)
        dims.append((r.scalar(d, 0, "q"), None if name is None else r.string(name)))
    out["dims"] = dims
    st = r.ref(t, 3)
    if st is None:
        out["strides"] = None
    else:
        n, start = r.vector(st, 8, 8)
        out["strides"] = [r._at("q", start + 8 * i) for i in range(n)]
    p = r.field(t, 4)
    if p is None:
        raise Unverified("required field data absent")
    if p % BUFFER_ALIGN:
        raise Unverified(f"struct Buffer at {p} unaligned")
    out["data"] = (r._at("q", p), r._at("q", p + 8))
    return out


def decode(data: bytes) -> dict:
    """The canonical value of an input in the flame profile, or FlameError for the first rule it
    breaks (flame.md, in processing order), with the default limits."""
    if len(data) > MAX_INPUT_BYTES:
        raise FlameError("E_LIMIT_EXCEEDED", "limits.input-bytes", f"{len(data)} bytes")
    if data[:3] != PREFIX:
        raise FlameError("E_PICKLE_REFUSED", "flame.pickle", "no FLM prefix")
    if len(data) == 3:
        raise FlameError("E_FLAME_TAG", "flame.tag", "no tag")
    tag = data[3]
    if tag == TAG_PICKLE:
        raise FlameError("E_PICKLE_REFUSED", "flame.pickle", "FLM\\x00")
    if tag > TAG_BATCH:
        raise FlameError("E_FLAME_TAG", "flame.tag", f"tag {tag:02x}")
    if tag != TAG_TENSOR:
        raise ValueError(f"tag {tag:02x} is a stream: flame_stream.decode reads it, not flame_tensor.decode")
    return decode_tensor(data[4:])


def decode_tensor(payload: bytes) -> dict:
    def fail(code, clause, detail):
        raise FlameError(code, clause, detail)

    # [flame.tensor.message]
    msg_fault = lambda d: fail("E_ARROW_PAYLOAD", "flame.tensor.message", d)  # noqa: E731
    if len(payload) < 8 or payload[:4] != CONTINUATION:
        msg_fault("no continuation")
    m = struct.unpack_from("<i", payload, 4)[0]
    if m < 0 or m % 8 or 8 + m > len(payload):
        msg_fault(f"M {m}")
    try:
        msg = read_message(payload[8:8 + m])
    except Unverified as e:
        msg_fault(f"flatbuffer: {e}")
    if msg["version"] != V5 or msg["header_type"] != H_TENSOR or msg["header"] is None:
        msg_fault(f"version {msg['version']}, header {msg['header_type']}")
    body_length = msg["body_length"]
    if body_length < 0 or 8 + m + body_length != len(payload):
        msg_fault(f"bodyLength {body_length}, {len(payload) - 8 - m} bytes after the metadata")
    body = payload[8 + m:]

    # [flame.tensor.type]
    type_id, fields = msg["type"]
    if type_id == T_INT and (fields["bitWidth"], fields["is_signed"]) in INT_DTYPES:
        dtype = INT_DTYPES[(fields["bitWidth"], fields["is_signed"])]
    elif type_id == T_FLOAT and fields["precision"] in FLOAT_DTYPES:
        dtype = FLOAT_DTYPES[fields["precision"]]
    else:
        fail("E_DTYPE_UNSUPPORTED", "flame.tensor.type", f"type {type_id} {fields}")
    itemsize = ITEMSIZE[dtype]

    # [flame.tensor.shape], then the limits
    shape = [size for size, _ in msg["dims"]]
    for size in shape:
        if not 0 <= size <= MAX_SAFE:
            fail("E_SHAPE_INVALID", "flame.tensor.shape", f"size {size}")
    if len(shape) > MAX_NDIM:
        fail("E_LIMIT_EXCEEDED", "limits.ndim", f"{len(shape)} dimensions")
    n = 0 if 0 in shape else 1
    for size in shape:
        n *= size
        if n > MAX_ELEMENTS:
            fail("E_LIMIT_EXCEEDED", "limits.elements", "elements")
    if n * itemsize > MAX_DECODED_BYTES:
        fail("E_LIMIT_EXCEEDED", "limits.decoded-bytes", "decoded bytes")

    # [flame.tensor.metadata]
    if any(name for _, name in msg["dims"]) or msg["custom_metadata"]:
        fail("E_ARROW_SCHEMA", "flame.tensor.metadata", "names or custom_metadata")

    # [flame.tensor.data]
    offset, length = msg["data"]
    if offset != 0 or length > body_length or body_length > roundup8(length):
        fail("E_ARROW_PAYLOAD", "flame.tensor.data", f"data {offset}, {length} in {body_length}")
    if length != n * itemsize:
        fail("E_SHAPE_MISMATCH", "flame.tensor.data", f"{length} bytes for {n} elements")

    # [flame.tensor.strides]
    strides = msg["strides"]
    fortran = False
    if strides is not None:
        if len(strides) != len(shape):
            fail("E_SHAPE_MISMATCH", "flame.tensor.strides", f"{len(strides)} strides")
        if n and strides != c_strides(shape, itemsize):
            if strides != f_strides(shape, itemsize):
                fail("E_SHAPE_MISMATCH", "flame.tensor.strides", f"strides {strides}")
            fortran = True

    # [flame.tensor.elements]: little-endian, reordered to C order
    data = body[:length]
    if fortran and n:
        a = np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape[::-1]).T
        data = np.ascontiguousarray(a).tobytes()
    return {"kind": "ndarray", "dtype": dtype, "shape": shape, "hex": data.hex()}


def fault(data: bytes):
    """(code, clause) of the first rule the input breaks, or None when it decodes."""
    try:
        decode(data)
    except FlameError as e:
        return e.code, e.clause
    return None
