"""The flame profile (spec/src/flame.md): flamepy 0.6.0's ``FLM`` frames.

    offset  size  content
    0       3     "FLM"
    3       1     tag: 00 cloudpickle, 01 tensor, 02 table, 03 array, 04 record batch
    4       ...   tag 01: one Arrow IPC encapsulated message whose header is a Tensor
                  tags 02, 03, 04: one Arrow IPC stream

:func:`decode` reads an FLM frame, and nothing else: the default entry point
(:func:`sciwire_py.decode`) never guesses this profile ([flame.profile]).
Nothing is ever unpickled: an input flamepy would hand to
``cloudpickle.loads`` is recognised and refused ([flame.pickle]).

The tensor message is read from the raw bytes, as arrow_ipc.py reads
streams: a flatbuffer verifier of its own (:class:`_Fb`) checks every
offset, vtable, vector, string, union and struct of the ``Message`` and its
``Tensor`` against the M metadata bytes before a field is used, so a hostile
offset can neither crash the decoder nor be read as a default. No Arrow
library sees the bytes.

The streams of tags 02 (a pyarrow Table), 03 (an Array, wrapped in a
one-field batch named ``data``) and 04 (a RecordBatch) are read by the
dataframe and series code of table.py on arrow_ipc.py's verifier, with the
flame clauses' ids and batch rules: 02 and 04 give a dataframe value, 03 a
series value named null ([flame.stream.*]).

:func:`encode` writes ``FLM\\x01`` and a tensor message with a small
flatbuffer writer (:class:`_Writer`), laid out front to back; pyarrow's
``ipc.read_tensor`` and flamepy read it. It writes ``table``, ``batch`` and
``array`` frames with table_encode.py's stream writer ([flame.encode.table],
[flame.encode.array]).

As in decoder.py and frame.py, each clause is a module-level function called
through the module's globals, in the page's processing order, so that
mutants.py can switch single rules off.
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from . import decoder, dtypes, table
from .decoder import Decoded
from .dtypes import DType
from .encoder import _HEX
from .errors import SciwireError
from .limits import DEFAULT_LIMITS, MAX_SAFE_INTEGER, Limits

PREFIX = b"FLM"
TAG_PICKLE, TAG_TENSOR, TAG_TABLE, TAG_ARRAY, TAG_BATCH = range(5)
#: tag -> the encoding name of [harness.profiles]
TAG_NAMES = {TAG_TENSOR: "tensor", TAG_TABLE: "table", TAG_ARRAY: "array", TAG_BATCH: "batch"}
#: the encodings this implementation reads and writes ([harness.profiles])
ENCODINGS = ("tensor", "table", "array", "batch")
#: encoding -> tag
ENCODING_TAGS = {name: tag for tag, name in TAG_NAMES.items()}
#: encoding -> the kind of canonical value it carries ([flame.encode.refuse])
ENCODING_KINDS = {"tensor": "ndarray", "table": "dataframe", "batch": "dataframe", "array": "series"}

CONTINUATION = b"\xff\xff\xff\xff"
V5 = 4                  # MetadataVersion.V5
HEADER_TENSOR = 4       # MessageHeader.Tensor
BODY_ALIGN = 8          # [flame.tensor.data]: a body may be padded to 8 bytes, no more
META_ALIGN = 64         # [flame.encode.tensor]: 8 + M is a multiple of 64

# Arrow's Type union (Schema.fbs)
T_INT, T_FLOAT = 2, 3

#: (Arrow type id, parameters) -> dtype name: the table of [flame.tensor.type]
_TYPES = {}
for _b in (8, 16, 32, 64):
    _TYPES[(T_INT, _b, True)] = f"int{_b}"
    _TYPES[(T_INT, _b, False)] = f"uint{_b}"
for _p, _name in enumerate(("float16", "float32", "float64")):
    _TYPES[(T_FLOAT, _p)] = _name
#: dtype name -> (Arrow type id, parameters)
_ARROW_OF = {v: k for k, v in _TYPES.items()}


def _fail(code: str, message: str, clause: str):
    raise SciwireError(code, message, clause)


def _payload(message: str):
    _fail("E_ARROW_PAYLOAD", message, "flame.tensor.message")


# ---------------------------------------------------------------------------
# A flatbuffer verifier and reader
# ---------------------------------------------------------------------------

class _Fb:
    """The M metadata bytes as a flatbuffer, read with a verifier's checks:
    every position read lies inside the bytes and is aligned to its scalar's
    size (a non-empty vector's elements too); a uoffset is below 2^31; a
    vtable is inside the bytes, 2-aligned, of even length; a union's type and
    value are both present or both absent, and a required field is present;
    strings are UTF-8 with their NUL. Any failure is E_ARROW_PAYLOAD
    ([flame.tensor.message])."""

    MAX_DEPTH = 64
    MAX_TABLES = 1000000   # as flatbuffers' verifiers: a vector may name one table many times

    def __init__(self, data: bytes):
        self.b = data
        self.n = len(data)
        self.tables = 0

    def need(self, pos: int, size: int, align: int, what: str) -> None:
        if pos < 0 or size < 0 or pos + size > self.n:
            _payload(f"flatbuffer {what} at byte {pos} (+{size}) lies outside the {self.n} metadata bytes")
        if align > 1 and pos % align:
            _payload(f"flatbuffer {what} at byte {pos} is not {align}-byte aligned")

    def scalar(self, pos: int, fmt: str, what: str):
        size = struct.calcsize("<" + fmt)
        self.need(pos, size, size, what)
        return struct.unpack_from("<" + fmt, self.b, pos)[0]

    def uoffset(self, pos: int, what: str) -> int:
        """The position the uoffset at ``pos`` points to."""
        o = self.scalar(pos, "I", what + " offset")
        # 0 points at the offset itself, as flatbuffers' Rust verifier
        # reads it (the C++ one refuses it); what lies there is then
        # verified like anything else.
        if o >= 2**31:
            _payload(f"flatbuffer {what} offset {o} at byte {pos} is invalid")
        return pos + o

    def table(self, pos: int, what: str, depth: int) -> "_FbTable":
        if depth > self.MAX_DEPTH:
            _payload("flatbuffer nested too deeply")
        self.count_table()
        return _FbTable(self, pos, what, depth)

    def count_table(self) -> None:
        self.tables += 1
        if self.tables > self.MAX_TABLES:
            _payload(f"flatbuffer has more than {self.MAX_TABLES} tables")

    def root(self) -> "_FbTable":
        return self.table(self.uoffset(0, "root table"), "Message", 0)


class _FbTable:
    def __init__(self, fb: _Fb, pos: int, what: str, depth: int):
        self.fb, self.pos, self.what, self.depth = fb, pos, what, depth
        soff = fb.scalar(pos, "i", what + " vtable offset")
        vt = pos - soff
        vsize = fb.scalar(vt, "H", what + " vtable size")
        if vsize % 2:
            _payload(f"flatbuffer {what} vtable size {vsize} is odd")
        fb.need(vt, vsize, 2, what + " vtable")
        self.vt, self.vsize = vt, vsize

    def slot(self, i: int) -> Optional[int]:
        """The position of field ``i``, or None when it is absent."""
        voff = 4 + 2 * i
        if voff + 2 > self.vsize:
            return None
        off = self.fb.scalar(self.vt + voff, "H", self.what + " vtable entry")
        return None if off == 0 else self.pos + off

    def scalar(self, i: int, fmt: str, default, name: str):
        p = self.slot(i)
        if p is None:
            return default
        return self.fb.scalar(p, fmt, f"{self.what}.{name}")

    def struct(self, i: int, size: int, align: int, name: str) -> Optional[int]:
        """The position of an inline struct of ``size`` bytes, aligned to its
        widest scalar (Buffer: two i64, so 8)."""
        p = self.slot(i)
        if p is not None:
            self.fb.need(p, size, align, f"{self.what}.{name}")
        return p

    def table(self, i: int, name: str) -> Optional["_FbTable"]:
        p = self.slot(i)
        if p is None:
            return None
        return self.fb.table(self.fb.uoffset(p, f"{self.what}.{name}"), name, self.depth + 1)

    def vector(self, i: int, elem_size: int, name: str) -> Optional[Tuple[int, int]]:
        """(position of the first element, length), elements aligned to
        their size, or None when the field is absent."""
        p = self.slot(i)
        if p is None:
            return None
        what = f"{self.what}.{name}"
        v = self.fb.uoffset(p, what)
        n = self.fb.scalar(v, "I", what + " length")
        # Elements are aligned to their size; an empty vector has none to
        # align (pyarrow writes a 0-d tensor's empty strides 4 bytes past a
        # multiple of 8, and flatbuffers' C++ verifier accepts it).
        self.fb.need(v + 4, n * elem_size, elem_size if n else 1, what + " elements")
        return v + 4, n

    def string(self, i: int, name: str) -> Optional[str]:
        r = self.vector(i, 1, name)
        if r is None:
            return None
        p, n = r
        what = f"{self.what}.{name}"
        self.fb.need(p + n, 1, 1, what + " terminator")
        if self.fb.b[p + n] != 0:
            _payload(f"flatbuffer string {what} lacks its NUL terminator")
        try:
            return bytes(self.fb.b[p:p + n]).decode("utf-8")
        except UnicodeDecodeError:
            _payload(f"flatbuffer string {what} is not UTF-8")

    def tables(self, i: int, name: str) -> Optional[List["_FbTable"]]:
        r = self.vector(i, 4, name)
        if r is None:
            return None
        p, n = r
        return [self.fb.table(self.fb.uoffset(p + 4 * k, f"{self.what}.{name}[{k}]"), name, self.depth + 1)
                for k in range(n)]

    def union(self, type_slot: int, value_slot: int, name: str, required: bool) -> Tuple[int, Optional[int]]:
        """(type tag, position of the value's uoffset). The tag and the value
        are both present or both absent; a required union is present."""
        tp, vp = self.slot(type_slot), self.slot(value_slot)
        if tp is None and vp is None:
            if required:
                _payload(f"flatbuffer {self.what} lacks its required {name}")
            return 0, None
        if tp is None or vp is None:
            _payload(f"flatbuffer {self.what}.{name} has a type without a value or a value without a type")
        return self.fb.scalar(tp, "B", f"{self.what}.{name}_type"), vp


# Schema.fbs: each Type union member's table fields, (slot, kind, name), so
# that the verifier checks the table whatever its type ("s" a string, "v4" a
# vector of 4-byte ints).
_TYPE_FIELDS = {
    2: [(0, "i", "bitWidth"), (1, "B", "is_signed")],                     # Int
    3: [(0, "h", "precision")],                                           # FloatingPoint
    7: [(0, "i", "precision"), (1, "i", "scale"), (2, "i", "bitWidth")],  # Decimal
    8: [(0, "h", "unit")],                                                # Date
    9: [(0, "h", "unit"), (1, "i", "bitWidth")],                          # Time
    10: [(0, "h", "unit"), (1, "s", "timezone")],                         # Timestamp
    11: [(0, "h", "unit")],                                               # Interval
    14: [(0, "h", "mode"), (1, "v4", "typeIds")],                         # Union
    15: [(0, "i", "byteWidth")],                                          # FixedSizeBinary
    16: [(0, "i", "listSize")],                                           # FixedSizeList
    17: [(0, "B", "keysSorted")],                                         # Map
    18: [(0, "h", "unit")],                                               # Duration
}
_TYPE_COUNT = 26  # Null (1) to LargeListView (26); the others' tables have no fields

_DEFAULTS = {"i": 0, "h": 0, "B": 0}


@dataclass
class TensorMessage:
    """The verified flatbuffer ``Message`` with its ``Tensor`` header."""

    version: int
    header_type: int
    has_header: bool
    body_length: int
    custom_metadata: int                                # number of KeyValue entries
    type_id: int = 0
    type_params: dict = field(default_factory=dict)
    dims: List[Tuple[int, Optional[str]]] = field(default_factory=list)   # (size, name)
    strides: Optional[np.ndarray] = None               # int64 view of the metadata
    data: Tuple[int, int] = (0, 0)                      # Buffer {offset, length}


def _verify_type(t: _FbTable, type_id: int) -> dict:
    params = {}
    for slot, kind, name in _TYPE_FIELDS.get(type_id, []):
        if kind == "s":
            params[name] = t.string(slot, name)
        elif kind == "v4":
            t.vector(slot, 4, name)
        else:
            params[name] = t.scalar(slot, kind, _DEFAULTS[kind], name)
    return params


def _verify_key_values(t: _FbTable, slot: int) -> int:
    kvs = t.tables(slot, "custom_metadata")
    for kv in kvs or []:
        kv.string(0, "key")
        kv.string(1, "value")
    return len(kvs or [])


def _verify_tensor(t: _FbTable, msg: TensorMessage) -> None:
    """Tensor { type: Type (required); shape: [TensorDim] (required);
    strides: [long]; data: Buffer (required) }"""
    type_id, tpos = t.union(0, 1, "type", required=True)
    msg.type_id = type_id
    if 1 <= type_id <= _TYPE_COUNT:
        tt = t.fb.table(t.fb.uoffset(tpos, "Tensor.type"), "Tensor.type", t.depth + 1)
        msg.type_params = _verify_type(tt, type_id)
    # (a tag Schema.fbs does not define has no table to verify)
    r = t.vector(2, 4, "shape")
    if r is None:
        _payload("flatbuffer Tensor lacks its required shape")
    p, n = r
    fb, seen = t.fb, {}
    for k in range(n):
        pos = fb.uoffset(p + 4 * k, f"Tensor.shape[{k}]")
        dim = seen.get(pos)
        if dim is None:
            d = fb.table(pos, "TensorDim", t.depth + 1)
            dim = seen[pos] = (d.scalar(0, "q", 0, "size"), d.string(1, "name"))
        else:
            fb.count_table()   # a TensorDim named again: counted, as a verifier counts it, not re-read
        msg.dims.append(dim)
    r = t.vector(3, 8, "strides")
    if r is not None:
        p, n = r
        # a view, not a list: a hostile vector may hold millions of entries,
        # and only one of as many entries as dimensions is ever read
        msg.strides = np.frombuffer(t.fb.b, dtype="<i8", count=n, offset=p)
    p = t.struct(4, 16, 8, "data")
    if p is None:
        _payload("flatbuffer Tensor lacks its required data")
    msg.data = struct.unpack_from("<qq", t.fb.b, p)


def parse_message(meta) -> TensorMessage:
    """Verify the ``Message`` flatbuffer (all of it, before any field is
    judged) and read it. Message { version: short; header: MessageHeader;
    bodyLength: long; custom_metadata: [KeyValue] }"""
    fb = _Fb(meta)   # bytes or a memoryview of the input: read in place
    m = fb.root()
    version = m.scalar(0, "h", 0, "version")
    header_type, hpos = m.union(1, 2, "header", required=False)
    body_length = m.scalar(3, "q", 0, "bodyLength")
    n_meta = _verify_key_values(m, 4)
    msg = TensorMessage(version, header_type, hpos is not None, body_length, n_meta)
    if hpos is not None and header_type == HEADER_TENSOR:
        _verify_tensor(fb.table(fb.uoffset(hpos, "Message.header"), "Tensor", 1), msg)
    elif hpos is not None and 1 <= header_type <= 5:
        # another MessageHeader member's table (Schema, RecordBatch, ...):
        # rejected below whatever it holds; its own offset must still be sound
        fb.table(fb.uoffset(hpos, "Message.header"), "Message.header", 1)
    return msg


# ---------------------------------------------------------------------------
# Entry: [flame.profile], [flame.pickle], [flame.tag], [flame.streams]
# ---------------------------------------------------------------------------

def check_input_bytes(nbytes: int, limits: Limits) -> None:
    """[limits.input-bytes], before anything else"""
    decoder.check_input_bytes(nbytes, limits)


def check_pickle(data) -> None:
    """[flame.pickle]: no FLM prefix, or FLM and the tag 00, is what flamepy
    unpickles; refused without reading any of it as pickle."""
    if bytes(data[:3]) != PREFIX:
        _fail("E_PICKLE_REFUSED", "the input does not start with FLM: flamepy 0.6.0 would unpickle it "
              "(cloudpickle.loads); refused, never unpickled", "flame.pickle")
    if len(data) >= 4 and data[3] == TAG_PICKLE:
        _fail("E_PICKLE_REFUSED", "FLM\\x00 is a cloudpickle stream; refused, never unpickled", "flame.pickle")


def check_tag(data) -> int:
    """[flame.tag]: a tag byte, 00 to 04"""
    if len(data) < 4:
        _fail("E_FLAME_TAG", "the input is FLM with no tag byte", "flame.tag")
    tag = data[3]
    if tag > TAG_BATCH:
        _fail("E_FLAME_TAG", f"tag {tag:02x} is not one flamepy 0.6.0 writes (00 to 04)", "flame.tag")
    return tag


# ---------------------------------------------------------------------------
# Tag 01: [flame.tensor.*]
# ---------------------------------------------------------------------------

def split_message(payload) -> Tuple[memoryview, int]:
    """[flame.tensor.message], the framing: the continuation, then M (i32 LE,
    non-negative, a multiple of 8, 8 + M inside the payload), compared before
    anything is read through it. Returns (the M metadata bytes, M)."""
    n = len(payload)
    if n < 4 or bytes(payload[:4]) != CONTINUATION:
        _payload("the tensor message does not start with the continuation ff ff ff ff")
    if n < 8:
        _payload(f"the tensor message ends after {n} bytes, inside its metadata length")
    m = struct.unpack_from("<i", payload, 4)[0]
    if m < 0:
        _payload(f"metadata length {m} is negative")
    if m % 8:
        _payload(f"metadata length {m} is not a multiple of 8")
    if 8 + m > n:
        _payload(f"metadata length {m} runs past the {n}-byte message")
    return payload[8:8 + m], m


def check_message(msg: TensorMessage, m: int, n: int) -> None:
    """[flame.tensor.message], the Message: V5, a Tensor header,
    bodyLength non-negative, and 8 + M + bodyLength exactly the payload."""
    if msg.version != V5:
        _payload(f"metadata version {msg.version} is not V5 (4)")
    if msg.header_type != HEADER_TENSOR:
        _payload(f"the message header is type {msg.header_type}, not Tensor (4)")
    if not msg.has_header:
        _payload("the message has no header")
    if msg.body_length < 0:
        _payload(f"bodyLength {msg.body_length} is negative")
    end = 8 + m + msg.body_length
    if end > n:
        _payload(f"the body of {msg.body_length} bytes runs past the {n}-byte message (truncated)")
    if end < n:
        _payload(f"{n - end} bytes follow the tensor's body")


def read_message(payload) -> Tuple[TensorMessage, memoryview]:
    """[flame.tensor.message]: (the verified message, its body)."""
    meta, m = split_message(payload)
    msg = parse_message(meta)
    check_message(msg, m, len(payload))
    return msg, payload[8 + m:]


def check_type(msg: TensorMessage) -> DType:
    """[flame.tensor.type]: Int 8/16/32/64 signed or not, FloatingPoint
    HALF/SINGLE/DOUBLE; never bool."""
    p = msg.type_params
    if msg.type_id == T_INT:
        key = (T_INT, p["bitWidth"], bool(p["is_signed"]))
    elif msg.type_id == T_FLOAT:
        key = (T_FLOAT, p["precision"])
    else:
        key = (msg.type_id,)
    name = _TYPES.get(key)
    if name is None:
        _fail("E_DTYPE_UNSUPPORTED", f"Arrow tensor type {_describe(msg.type_id, p)} has no dtype in the flame "
              "profile (Int 8-64 bits, FloatingPoint HALF/SINGLE/DOUBLE)", "flame.tensor.type")
    return dtypes.lookup(name)


def _describe(type_id: int, p: dict) -> str:
    from .arrow_ipc import T_NAMES
    name = T_NAMES[type_id] if 0 <= type_id < len(T_NAMES) else f"#{type_id}"
    return name + (f" {p}" if p else "")


def check_shape(msg: TensorMessage) -> Tuple[int, ...]:
    """[flame.tensor.shape]: each TensorDim.size in [0, 2^53-1]"""
    shape = []
    for k, (size, _name) in enumerate(msg.dims):
        if not 0 <= size <= MAX_SAFE_INTEGER:
            _fail("E_SHAPE_INVALID", f"dimension {k} has size {size}, not an integer in [0, 2^53-1]",
                  "flame.tensor.shape")
        shape.append(size)
    return tuple(shape)


def check_shape_limits(shape, dtype: DType, limits: Limits) -> int:
    """[flame.tensor.shape]: [limits.ndim], [limits.elements],
    [limits.decoded-bytes], before any element is read."""
    return decoder.check_shape_limits(shape, dtype, limits)


def check_metadata(msg: TensorMessage) -> None:
    """[flame.tensor.metadata]: no dimension names, no custom_metadata"""
    for k, (_size, name) in enumerate(msg.dims):
        if name:
            _fail("E_ARROW_SCHEMA", f"dimension {k} is named {name!r}; the canonical value has no dimension names",
                  "flame.tensor.metadata")
    if msg.custom_metadata:
        _fail("E_ARROW_SCHEMA", f"the message has {msg.custom_metadata} custom_metadata entries; the canonical "
              "value has no metadata", "flame.tensor.metadata")


def check_data(msg: TensorMessage, count: int, dtype: DType) -> int:
    """[flame.tensor.data]: Buffer {offset 0, length L} in the body, the body
    at most L rounded up to 8 (E_ARROW_PAYLOAD); then L is the elements'
    bytes (E_SHAPE_MISMATCH). Returns L."""
    offset, length = msg.data
    if offset != 0:
        _fail("E_ARROW_PAYLOAD", f"the data buffer starts at {offset}, not 0", "flame.tensor.data")
    if length < 0 or length > msg.body_length:
        _fail("E_ARROW_PAYLOAD", f"the data buffer of {length} bytes does not lie in the {msg.body_length}-byte "
              "body", "flame.tensor.data")
    if msg.body_length > -(-length // BODY_ALIGN) * BODY_ALIGN:
        _fail("E_ARROW_PAYLOAD", f"the {msg.body_length}-byte body is longer than the {length}-byte data buffer "
              "padded to 8", "flame.tensor.data")
    need = count * dtype.itemsize
    if length != need:
        _fail("E_SHAPE_MISMATCH", f"the data buffer holds {length} bytes; {count} elements of {dtype.name} are "
              f"{need}", "flame.tensor.data")
    return length


def c_strides(shape, itemsize: int) -> List[int]:
    out, s = [], itemsize
    for d in reversed(shape):
        out.append(s)
        s *= d
    return out[::-1]


def f_strides(shape, itemsize: int) -> List[int]:
    out, s = [], itemsize
    for d in shape:
        out.append(s)
        s *= d
    return out


def check_strides(msg: TensorMessage, shape, dtype: DType, count: int) -> str:
    """[flame.tensor.strides]: absent (row-major), or one per dimension and,
    for a non-empty tensor, exactly the C or the Fortran strides. Returns
    "C" or "F", the order of the body's elements."""
    if msg.strides is None:
        return "C"
    if len(msg.strides) != len(shape):
        _fail("E_SHAPE_MISMATCH", f"{len(msg.strides)} strides for {len(shape)} dimensions", "flame.tensor.strides")
    if count == 0:
        return "C"
    s = [int(x) for x in msg.strides]
    if s == c_strides(shape, dtype.itemsize):
        return "C"
    if s == f_strides(shape, dtype.itemsize):
        return "F"
    _fail("E_SHAPE_MISMATCH", f"strides {s} are neither the row-major {c_strides(shape, dtype.itemsize)} nor the "
          f"column-major {f_strides(shape, dtype.itemsize)} strides of shape {list(shape)}", "flame.tensor.strides")


def elements(body, dtype: DType, shape, count: int, order: str) -> Optional[np.ndarray]:
    """[flame.tensor.elements]: little-endian elements, reordered to C order;
    the body is copied once (it is not aligned: the 4-byte prefix)."""
    if count == 0:
        return decoder.shaped(None, dtype, shape)
    view = np.frombuffer(body, dtype=dtype.numpy(), count=count)
    return np.array(view.reshape(shape, order=order), order="C", copy=True)


def decode_tensor(payload, limits: Limits) -> Decoded:
    """Tag 01, in the page's processing order."""
    msg, body = read_message(payload)
    dtype = check_type(msg)
    shape = check_shape(msg)
    count = check_shape_limits(shape, dtype, limits)
    check_metadata(msg)
    check_data(msg, count, dtype)
    order = check_strides(msg, shape, dtype, count)
    return Decoded(dtype, shape, elements(body, dtype, shape, count, order))


# ---------------------------------------------------------------------------
# Tags 02 to 04: [flame.stream.*]
# ---------------------------------------------------------------------------

def _stream_fail(code: str, message: str, clause: str):
    raise SciwireError(code, message, clause)


def read_stream(payload) -> "table.Payload":
    """[flame.stream.message] without item 4 of [ndarray.arrow.stream]: the
    messages framed and verified, a little-endian Schema first, dictionary
    batches (declared ids, not deltas, one per id, before the first record
    batch: a replacement is refused), record batches with one field node
    per field, the end-of-stream marker and nothing after it."""
    return table.read_stream(payload, None, clause="flame.stream.message")


def check_batches(tag: int, p) -> None:
    """[flame.stream.batches]: tag 02 any number of record batches; tags 03
    and 04 exactly one (flamepy keeps the first and drops the rest)."""
    if tag != TAG_TABLE and len(p.batches) != 1:
        _stream_fail("E_ARROW_PAYLOAD", f"a tag {tag:02x} ({TAG_NAMES[tag]}) stream holds {len(p.batches)} record "
                     "batches, not exactly one", "flame.stream.batches")


def check_array_schema(p):
    """[flame.stream.array]: exactly one field, named ``data`` (flamepy's
    wrapper). Returns it."""
    fields = p.schema.fields
    if len(fields) != 1:
        _stream_fail("E_ARROW_SCHEMA", f"an array stream's schema has {len(fields)} fields, not exactly one",
                     "flame.stream.array")
    if fields[0].name != "data":
        _stream_fail("E_ARROW_SCHEMA", f"an array stream's field is named {fields[0].name!r}, not 'data'",
                     "flame.stream.array")
    return fields[0]


def check_stream_types(fields) -> list:
    """[flame.stream.types]: every field's type from the closed list of
    [dataframe.column-types]."""
    return table.check_column_types(fields, "flame.stream.types")


def check_stream_limits(p, nfields: int, limits: Limits) -> int:
    """[flame.stream.limits]: rows within 2^53-1; rows x fields plus every
    dictionary's entries within max_elements, before any contents are read.
    Returns the rows."""
    rows = table.row_count(p)
    if rows > MAX_SAFE_INTEGER:
        _stream_fail("E_LIMIT_EXCEEDED", f"{rows} rows are more than 2^53-1", "flame.stream.limits")
    entries = table._dictionary_entries(p)
    if rows * nfields + entries > limits.max_elements:
        _stream_fail("E_LIMIT_EXCEEDED", f"{rows} rows x {nfields} fields plus {entries} dictionary entries are more "
                     f"than max_elements {limits.max_elements}", "flame.stream.limits")
    return rows


def check_stream_contents(p, fields) -> None:
    """Item 4 of [ndarray.arrow.stream] for every column of every batch,
    dictionary batches first ([flame.stream.message])."""
    table.check_contents(p, fields, "flame.stream.message", None)


def read_stream_columns(p, types) -> list:
    """[flame.stream.values]: dictionaries (no null entries), codes within
    them, then every column's leaves."""
    return table.read_columns(p, types, "flame.stream.values")


def stream_index(p, fields, rows: int, limits: Limits):
    """[flame.stream.table]: the index from the schema's ``pandas`` custom
    metadata, as the dataframe page's pandas metadata clauses read it (no
    key: the range 0..rows). Returns (index, positions of the column fields).
    Rejections are the dataframe clauses' E_PANDAS_METADATA, reported under
    this clause."""
    try:
        md = table.pandas_metadata(p.schema, limits)
        return table.resolve_index(md, fields, rows)
    except SciwireError as e:
        if e.code != "E_PANDAS_METADATA":
            raise
        raise SciwireError(e.code, f"{e.message} [{e.clause}]", "flame.stream.table") from None


def decode_stream(tag: int, payload, limits: Limits):
    """Tags 02 to 04, in the page's processing order: framing, batches,
    (03) the schema, types, limits, contents, values, (02, 04) the index."""
    p = read_stream(payload)
    check_batches(tag, p)
    if tag == TAG_ARRAY:
        fields = [check_array_schema(p)]
    else:
        fields = p.schema.fields
    types = check_stream_types(fields)
    rows = check_stream_limits(p, len(fields), limits)
    check_stream_contents(p, fields)
    cols = read_stream_columns(p, types)
    if tag == TAG_ARRAY:
        col = cols[0]
        col.name = None
        return table.DecodedSeries(None, col)
    index, col_pos = stream_index(p, fields, rows, limits)
    columns = [cols[k] for k in col_pos]
    if not isinstance(index, dict):
        index = [dataclasses.replace(cols[k], name=name) for k, name in index]
    return table.DecodedTable(rows, columns, index)


def decode(data, limits: Limits = DEFAULT_LIMITS):
    """Read one FLM frame (bytes) in the flame profile, or raise
    :class:`SciwireError` with the spec's code and clause. Tag 01 gives a
    :class:`Decoded` (its ``canonical()`` is the canonical ndarray value,
    ``to_numpy()`` the array, C-contiguous, little-endian, owning its
    data); tags 02 and 04 a :class:`table.DecodedTable` (a dataframe value),
    tag 03 a :class:`table.DecodedSeries` named null ([flame.streams])."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"flame.decode() takes bytes, not {type(data).__name__}")
    mv = memoryview(data).cast("B") if isinstance(data, memoryview) else memoryview(data)
    check_input_bytes(mv.nbytes, limits)
    check_pickle(mv)
    tag = check_tag(mv)
    if tag == TAG_TENSOR:
        return decode_tensor(mv[4:], limits)
    return decode_stream(tag, mv[4:], limits)


def loads(data, limits: Limits = DEFAULT_LIMITS):
    """:func:`decode`, as a numpy array (tag 01) or the table or series
    record (tags 02 to 04)."""
    d = decode(data, limits)
    return d.to_numpy() if isinstance(d, Decoded) else d.to_python()


# ---------------------------------------------------------------------------
# Encoding: [flame.encode.tensor], [flame.encode.refuse]
# ---------------------------------------------------------------------------

class _Writer:
    """A flatbuffer laid out front to back: a parent is written before its
    children, so every uoffset points forward, and it is patched once the
    child's position is known. Tables follow their vtables."""

    def __init__(self):
        self.b = bytearray()

    def pad(self, align: int) -> None:
        self.b += b"\x00" * (-len(self.b) % align)

    def uoffset_slot(self) -> int:
        self.pad(4)
        self.b += b"\x00\x00\x00\x00"
        return len(self.b) - 4

    def point(self, slot: int, target: int) -> None:
        struct.pack_into("<I", self.b, slot, target - slot)

    def table(self, fields) -> dict:
        """``fields``: (slot, fmt, value) with fmt a struct format ("h", "B",
        "i", "q", "16s" for an inline Buffer) or "off" (a uoffset to patch).
        Returns {slot: position of the field}."""
        # inline layout: the soffset, then the fields, widest first, each
        # aligned to its own size (an inline Buffer to 8)
        def size_align(fmt):
            if fmt == "off":
                return 4, 4
            if fmt == "16s":
                return 16, 8
            n = struct.calcsize("<" + fmt)
            return n, n
        layout, pos = [], 4
        for slot, fmt, value in sorted(fields, key=lambda f: -size_align(f[1])[1]):
            n, a = size_align(fmt)
            pos += -pos % a
            layout.append((slot, fmt, value, pos))
            pos += n
        nslots = max((f[0] for f in fields), default=-1) + 1
        vt = [0] * nslots
        for slot, _fmt, _value, off in layout:
            vt[slot] = off
        vtable = struct.pack(f"<HH{nslots}H", 4 + 2 * nslots, pos, *vt)
        # the table starts 8-aligned (its widest field is 8-aligned within it)
        self.pad(2)
        vt_pos = len(self.b)
        self.b += vtable
        self.pad(8)
        t_pos = len(self.b)
        self.b += b"\x00" * pos
        struct.pack_into("<i", self.b, t_pos, t_pos - vt_pos)
        out = {}
        for slot, fmt, value, off in layout:
            if fmt != "off":
                struct.pack_into("<" + fmt, self.b, t_pos + off, value)
            out[slot] = t_pos + off
        out["table"] = t_pos
        return out

    def vector(self, fmt: str, items) -> int:
        """A vector of scalars, its elements aligned to their size; returns
        the position of its length."""
        n = struct.calcsize("<" + fmt)
        self.pad(4)
        while (len(self.b) + 4) % n:
            self.b += b"\x00\x00\x00\x00"
        pos = len(self.b)
        self.b += struct.pack(f"<I{len(items)}{fmt}", len(items), *items)
        return pos

    def string(self, text: str) -> int:
        """A string (length, UTF-8 bytes, NUL); returns its position."""
        data = text.encode("utf-8")
        self.pad(4)
        pos = len(self.b)
        self.b += struct.pack("<I", len(data)) + data + b"\x00"
        return pos

    def offsets(self, count: int) -> Tuple[int, List[int]]:
        """A vector of uoffsets to patch: (its position, the slots)."""
        self.pad(4)
        pos = len(self.b)
        self.b += struct.pack("<I", count) + b"\x00" * (4 * count)
        return pos, [pos + 4 + 4 * k for k in range(count)]


def tensor_metadata(dtype: DType, shape, strides, length: int) -> bytes:
    """The Message flatbuffer of [flame.encode.tensor]."""
    type_id, *params = _ARROW_OF[dtype.name]
    w = _Writer()
    root = w.uoffset_slot()
    m = w.table([(0, "h", V5), (1, "B", HEADER_TENSOR), (2, "off", None), (3, "q", length)])
    w.point(root, m["table"])
    t = w.table([(0, "B", type_id), (1, "off", None), (2, "off", None), (3, "off", None),
                 (4, "16s", struct.pack("<qq", 0, length))])
    w.point(m[2], t["table"])
    if type_id == T_INT:
        tt = w.table([(0, "i", params[0]), (1, "B", 1 if params[1] else 0)])
    else:
        tt = w.table([(0, "h", params[0])])
    w.point(t[1], tt["table"])
    vec, slots = w.offsets(len(shape))
    w.point(t[2], vec)
    for slot, size in zip(slots, shape):
        d = w.table([(0, "q", size)])  # no name: [flame.tensor.metadata] allows it absent
        w.point(slot, d["table"])
    w.point(t[3], w.vector("q", strides))
    # 8 + M a multiple of 64, zero padding
    w.b += b"\x00" * (-(8 + len(w.b)) % META_ALIGN)
    return bytes(w.b)


def _refuse_dtype(name) -> None:
    if name not in _ARROW_OF:
        why = " (a decoder would give it back as uint8)" if name == "bool" else ""
        _fail("E_DTYPE_UNSUPPORTED", f"dtype {name!r} has no Arrow tensor type in the flame profile{why}",
              "flame.encode.refuse")


def _canonical_parts(value: dict) -> Tuple[DType, Tuple[int, ...], str]:
    """The dtype, shape and hex of a canonical ndarray value, checked as
    encoder.ndarray_from_canonical checks them, without building an array
    (so shapes numpy cannot hold, such as [2^40, 2^40, 0], are written too)."""
    if isinstance(value, dict) and value.get("kind") in ("sparse", "tensor", "estimator"):
        from . import encoder
        encoder.from_canonical(value)  # a value of another kind is read (and checked) first
        _fail("E_ENCODING_UNSUPPORTED", f"a {value['kind']} value has no flame form; only an ndarray value has",
              "flame.encode.refuse")
    if not isinstance(value, dict) or value.get("kind") != "ndarray" or set(value) - {"kind", "dtype", "shape", "hex"}:
        _fail("E_FIELD_TYPE", "the flame profile carries canonical ndarray values: exactly kind 'ndarray', dtype, "
              "shape and hex", "canonical.ndarray")
    name = value.get("dtype")
    if not isinstance(name, str):
        _fail("E_FIELD_TYPE", "dtype is not a string", "canonical.ndarray")
    if dtypes.lookup(name) is None:
        _fail("E_DTYPE_UNSUPPORTED", f"dtype {name!r} is not in the dtype table", "ndarray.dtype.table")
    _refuse_dtype(name)
    d = dtypes.lookup(name)
    shape = value.get("shape")
    if not isinstance(shape, list):
        _fail("E_FIELD_TYPE", "shape is not an array", "canonical.ndarray")
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, float)) or s != s or s in (float("inf"), float("-inf")) \
                or int(s) != s or not 0 <= s <= MAX_SAFE_INTEGER:
            _fail("E_SHAPE_INVALID", f"shape entry {s!r} is not an integer in [0, 2^53-1]", "ndarray.shape.items")
    hexstr = value.get("hex")
    if not isinstance(hexstr, str):
        _fail("E_FIELD_TYPE", "hex is not a string", "canonical.ndarray")
    return d, tuple(int(s) for s in shape), hexstr


def check_frame_size(nbytes: int) -> None:
    """[flame.encode.refuse]: no frame longer than the default max_input_bytes"""
    limit = Limits().max_input_bytes
    if nbytes > limit:
        _fail("E_LIMIT_EXCEEDED", f"the FLM frame would be {nbytes} bytes; decoders read at most {limit}",
              "flame.encode.refuse")


def encode(value, encoding: str = "tensor") -> bytes:
    """An FLM frame of a canonical value (a dict) or, for ``tensor``, a numpy
    array: ``tensor`` (``FLM\\x01`` + an Arrow tensor message) an ndarray
    value, ``table`` and ``batch`` (``FLM\\x02``, ``FLM\\x04`` + an Arrow IPC
    stream) a dataframe value, ``array`` (``FLM\\x03``) a series value named
    null. Refuses (SciwireError) dtypes without an Arrow tensor type (bool,
    complex, strings, datetimes: E_DTYPE_UNSUPPORTED), values of another
    kind and named series (E_ENCODING_UNSUPPORTED), values breaking their
    own rules (their codes) and frames longer than the default
    max_input_bytes (E_LIMIT_EXCEEDED). Never writes a pickle."""
    if encoding not in ENCODINGS:
        _fail("E_ENCODING_UNSUPPORTED", f"the flame profile writes the encodings {list(ENCODINGS)}, not "
              f"{encoding!r}", "flame.encode.refuse")
    if encoding != "tensor":
        return encode_stream(value, encoding)
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        d = dtypes.of_numpy(arr.dtype)
        _refuse_dtype(d.name)
        return _write(d, tuple(int(s) for s in arr.shape),
                      lambda: arr.astype(d.numpy(), copy=False).tobytes(order="C"))
    if isinstance(value, dict) and value.get("kind") in ("dataframe", "series"):
        refuse_kind(value, encoding)
    d, shape, hexstr = _canonical_parts(value)

    def body() -> bytes:
        count = 1
        for s in shape:
            count *= s
        if len(hexstr) != 2 * count * d.itemsize or not _HEX.fullmatch(hexstr):
            _fail("E_SHAPE_MISMATCH", f"hex holds {len(hexstr) / 2:g} bytes; dtype {d.name} and shape "
                  f"{list(shape)} need {count * d.itemsize} lowercase hex bytes", "canonical.ndarray.lowercase")
        return bytes.fromhex(hexstr)
    return _write(d, shape, body)


def refuse_kind(value: dict, encoding: str) -> None:
    """[flame.encode.refuse]: a value of a kind the encoding does not carry.
    The value is read (and its own rules checked) first, as any encoder
    reads a canonical value; then it is refused."""
    from . import encoder, table_encode
    kind = value.get("kind")
    if kind == "dataframe":
        table_encode.read_dataframe(value)
    elif kind == "series":
        table_encode.read_series(value)
    else:
        encoder.from_canonical(value)
    _fail("E_ENCODING_UNSUPPORTED", f"a {kind} value has no flame {encoding!r} form; that encoding carries "
          f"{ENCODING_KINDS[encoding]} values", "flame.encode.refuse")


def check_array_name(name) -> None:
    """[flame.encode.refuse]: the array frame has no place for a name; a
    series named anything but null is refused, not written nameless."""
    if name is not None:
        _fail("E_ENCODING_UNSUPPORTED", f"the series is named {table.typed_name(name)}; an FLM\\x03 array frame "
              "has no name, and dropping it would lose it", "flame.encode.refuse")


def encode_stream(value, encoding: str) -> bytes:
    """[flame.encode.table] (``table``, ``batch``) and [flame.encode.array]
    (``array``): FLM, the tag, one Arrow IPC stream with exactly one record
    batch."""
    from . import table_encode
    want = ENCODING_KINDS[encoding]
    kind = value.get("kind") if isinstance(value, dict) else None
    if kind not in ("ndarray", "sparse", "tensor", "estimator", "dataframe", "series"):
        _fail("E_FIELD_TYPE", "a canonical value is an object whose kind is ndarray, sparse, tensor, estimator, "
              "dataframe or series", None)
    if kind != want:
        refuse_kind(value, encoding)
    if kind == "dataframe":
        rows, cols, index = table_encode.read_dataframe(value)
        stream = table_encode.dataframe_stream(rows, cols, index)
    else:
        name, col = table_encode.read_series(value)
        check_array_name(name)
        stream = table_encode.array_stream(col)
    check_frame_size(4 + len(stream))
    return PREFIX + bytes([ENCODING_TAGS[encoding]]) + stream


def writer_strides(shape, itemsize: int, count: int) -> List[int]:
    """The strides the encoder writes: row-major; an empty tensor's are not
    read, and pyarrow writes the item size in each (row-major strides of a
    shape such as [0, 2^53-1, 2^53-1] would not fit an int64)."""
    return c_strides(shape, itemsize) if count else [itemsize] * len(shape)


def _write(d: DType, shape, body) -> bytes:
    count = 1
    for s in shape:
        count *= s
    length = count * d.itemsize
    strides = writer_strides(shape, d.itemsize, count)
    meta = tensor_metadata(d, shape, strides, length)
    check_frame_size(4 + 8 + len(meta) + length)
    data = body()
    return b"".join((PREFIX, bytes([TAG_TENSOR]), CONTINUATION, struct.pack("<i", len(meta)), meta, data))
