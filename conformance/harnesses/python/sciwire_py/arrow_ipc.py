"""Arrow IPC stream reading for the ``arrow`` encoding ([ndarray.arrow.stream]).

Everything here works on the raw bytes: a small flatbuffer verifier/reader for
the ``Message``, ``Schema`` and ``RecordBatch`` tables (Arrow's Message.fbs and
Schema.fbs), the stream framing, and the column contents. No Arrow library
sees the bytes, so a hostile length or offset can neither crash nor make us
allocate: every length is compared with the bytes present first.

All failures raise :class:`ArrowPayloadError`, which the decoder reports as
``E_ARROW_PAYLOAD``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

CONTINUATION = b"\xff\xff\xff\xff"

# MetadataVersion
V5 = 4
# MessageHeader union
H_NONE, H_SCHEMA, H_DICTIONARY_BATCH, H_RECORD_BATCH, H_TENSOR, H_SPARSE_TENSOR = range(6)
HEADER_NAMES = {0: "NONE", 1: "Schema", 2: "DictionaryBatch", 3: "RecordBatch", 4: "Tensor", 5: "SparseTensor"}

# Type union
T_NAMES = ["NONE", "Null", "Int", "FloatingPoint", "Binary", "Utf8", "Bool", "Decimal", "Date", "Time",
           "Timestamp", "Interval", "List", "Struct_", "Union", "FixedSizeBinary", "FixedSizeList", "Map",
           "Duration", "LargeBinary", "LargeUtf8", "LargeList", "RunEndEncoded", "BinaryView", "Utf8View",
           "ListView", "LargeListView"]
T = {name: i for i, name in enumerate(T_NAMES)}
TIME_UNITS = ["SECOND", "MILLISECOND", "MICROSECOND", "NANOSECOND"]
PRECISIONS = ["HALF", "SINGLE", "DOUBLE"]

# [ndarray.arrow.stream] item 1: tables nest at most 64 deep (the root table
# counts as 1; here it has depth 0), and at most 1,000,000 tables are visited
# (a table reached through several offsets counts each time).
MAX_FB_DEPTH = 64
MAX_FB_TABLES = 1000000
# ... and at most 2^31 bytes are checked in all, what is reached several
# times counted each time (a vector of offsets all leading to one table).
MAX_FB_CHECKED = 2**31


class ArrowPayloadError(Exception):
    pass


def _bad(msg: str):
    raise ArrowPayloadError(msg)


# --------------------------------------------------------------------------
# Flatbuffers
# --------------------------------------------------------------------------

class _Buf:
    """A flatbuffer with the checks of a flatbuffers Verifier: every offset,
    vtable, vector and string lies inside the buffer and is aligned."""

    def __init__(self, data: bytes):
        self.b = data
        self.n = len(data)
        self.tables = 0
        self.checked = 0

    def need(self, pos: int, size: int, align: int = 1, what: str = "value"):
        self.checked += size
        if self.checked > MAX_FB_CHECKED:
            _bad("flatbuffer checks more than 2^31 bytes")
        if pos < 0 or pos + size > self.n:
            _bad(f"flatbuffer {what} at {pos} (+{size}) lies outside the {self.n}-byte metadata")
        if align > 1 and pos % align:
            _bad(f"flatbuffer {what} at {pos} is not {align}-byte aligned")

    def u8(self, p):
        return self.b[p]

    def i16(self, p):
        return struct.unpack_from("<h", self.b, p)[0]

    def u16(self, p):
        return struct.unpack_from("<H", self.b, p)[0]

    def i32(self, p):
        return struct.unpack_from("<i", self.b, p)[0]

    def u32(self, p):
        return struct.unpack_from("<I", self.b, p)[0]

    def i64(self, p):
        return struct.unpack_from("<q", self.b, p)[0]

    def deref(self, pos: int, what: str) -> int:
        """Follow the uoffset stored at pos."""
        self.need(pos, 4, 4, what + " offset")
        o = self.u32(pos)
        if o == 0 or o >= 2**31:
            _bad(f"flatbuffer {what} offset {o} is invalid")
        target = pos + o
        self.need(target, 1, 1, what)
        return target

    def root(self, depth=0) -> "_Table":
        self.need(0, 4, 4, "root offset")
        return _Table(self, self.deref(0, "root table"), depth)


class _Table:
    def __init__(self, buf: _Buf, pos: int, depth: int):
        if depth >= MAX_FB_DEPTH:
            _bad("flatbuffer nested too deeply")
        buf.tables += 1
        if buf.tables > MAX_FB_TABLES:
            _bad("flatbuffer has too many tables")
        self.buf = buf
        self.pos = pos
        self.depth = depth
        buf.need(pos, 4, 4, "table")
        vt = pos - buf.i32(pos)
        buf.need(vt, 4, 2, "vtable")
        vsize = buf.u16(vt)
        if vsize % 2:
            _bad(f"flatbuffer vtable size {vsize} is odd")
        buf.need(vt, vsize, 2, "vtable")
        # As a flatbuffers Verifier: a vtable shorter than its two header
        # fields has no field slots; the table's inline size is not checked
        # (each field is checked where it lies).
        self.vt = vt
        self.nslots = max(0, (vsize - 4) // 2)

    def _slot(self, i: int) -> int:
        if i >= self.nslots:
            return 0
        return self.buf.u16(self.vt + 4 + 2 * i)

    def _field(self, i, size, what):
        off = self._slot(i)
        if off == 0:
            return None
        p = self.pos + off
        self.buf.need(p, size, size, what)
        return p

    def scalar(self, i, kind, default, what="field"):
        size = {"u8": 1, "bool": 1, "i16": 2, "u16": 2, "i32": 4, "i64": 8}[kind]
        p = self._field(i, size, what)
        if p is None:
            return default
        b = self.buf
        if kind in ("u8", "bool"):
            v = b.u8(p)
            return bool(v) if kind == "bool" else v
        return {"i16": b.i16, "u16": b.u16, "i32": b.i32, "i64": b.i64}[kind](p)

    def table(self, i, what="table") -> Optional["_Table"]:
        p = self._field(i, 4, what)
        if p is None:
            return None
        return _Table(self.buf, self.buf.deref(p, what), self.depth + 1)

    def vector(self, i, elem_size, what="vector", align=1):
        """(position of the first element, length) or None. ``align`` is the
        alignment of a scalar element (8 for an int64 vector); a vector of
        structs needs only its length aligned ([ndarray.arrow.stream] item 1)."""
        p = self._field(i, 4, what)
        if p is None:
            return None
        v = self.buf.deref(p, what)
        self.buf.need(v, 4, 4, what + " length")
        n = self.buf.u32(v)
        self.buf.need(v + 4, n * elem_size, align, what + " elements")
        return v + 4, n

    def string(self, i, what="string") -> Optional[str]:
        raw = self.raw_string(i, what)
        if raw is None:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            _bad(f"flatbuffer {what} is not UTF-8")

    def raw_string(self, i, what="string") -> Optional[bytes]:
        """A string's bytes (terminator checked, no UTF-8 check)."""
        r = self.vector(i, 1, what)
        if r is None:
            return None
        p, n = r
        self.buf.need(p + n, 1, 1, what + " terminator")
        if self.buf.b[p + n] != 0:
            _bad(f"flatbuffer {what} lacks its NUL terminator")
        return bytes(self.buf.b[p:p + n])

    def tables(self, i, what="vector of tables") -> List["_Table"]:
        r = self.vector(i, 4, what)
        if r is None:
            return []
        p, n = r
        return [_Table(self.buf, self.buf.deref(p + 4 * k, what), self.depth + 1) for k in range(n)]


def _key_values(t: _Table, slot: int):
    """Custom metadata as (key, value) byte strings, in order. Flatbuffers
    strings are checked for their terminator only: what the bytes mean is for
    the reader of a key to say (the dataframe page reads ``pandas`` as JSON
    text, [dataframe.pandas.metadata]); custom metadata never changes an
    ndarray's value."""
    out = []
    for kv in t.tables(slot, "custom_metadata"):
        out.append((kv.raw_string(0, "metadata key"), kv.raw_string(1, "metadata value")))
    return out


# --------------------------------------------------------------------------
# Message, Schema, RecordBatch
# --------------------------------------------------------------------------

@dataclass
class ArrowField:
    name: Optional[str]
    nullable: bool
    type_id: int
    type: dict                  # parameters of the type table
    dictionary: Optional[dict]
    children: List["ArrowField"]
    metadata: list = field(default_factory=list)   # [(key bytes, value bytes)]

    def type_tuple(self):
        """The type in the dtype module's tuple form, or a tuple naming an
        Arrow type outside the table (never equal to a table type)."""
        t, p = self.type_id, self.type
        if t == T["Bool"]:
            return ("bool",)
        if t == T["Int"]:
            return ("int", p["bitWidth"], p["is_signed"])
        if t == T["FloatingPoint"]:
            return ("float", PRECISIONS[p["precision"]] if 0 <= p["precision"] < 3 else p["precision"])
        if t == T["Timestamp"]:
            tz = p["timezone"]
            unit = TIME_UNITS[p["unit"]] if 0 <= p["unit"] < 4 else p["unit"]
            # Arrow: a null or empty timezone both mean "no timezone".
            return ("timestamp", unit, tz if tz else None)
        if t == T["Date"]:
            return ("date32",) if p["unit"] == 0 else ("date64", p["unit"])
        if t == T["Duration"]:
            return ("duration", TIME_UNITS[p["unit"]] if 0 <= p["unit"] < 4 else p["unit"])
        if t == T["Utf8"]:
            return ("utf8",)
        if t == T["Binary"]:
            return ("binary",)
        name = T_NAMES[t] if 0 <= t < len(T_NAMES) else f"type#{t}"
        return ("other", name, tuple(sorted((k, str(v)) for k, v in p.items())))

    def describe(self) -> str:
        t = self.type_tuple()
        return " ".join(str(x) for x in t if x is not None)


def _parse_type(type_id: int, t: Optional[_Table]) -> dict:
    """Read the parameters of a Type union member (verifying its table)."""
    if t is None:
        if type_id == 0:
            return {}
    p = {}
    if type_id == T["Int"]:
        p["bitWidth"] = t.scalar(0, "i32", 0) if t else 0
        p["is_signed"] = t.scalar(1, "bool", False) if t else False
    elif type_id == T["FloatingPoint"]:
        p["precision"] = t.scalar(0, "i16", 0) if t else 0
    elif type_id == T["Timestamp"]:
        p["unit"] = t.scalar(0, "i16", 0) if t else 0
        p["timezone"] = t.string(1, "timezone") if t else None
    elif type_id == T["Date"]:
        p["unit"] = t.scalar(0, "i16", 1) if t else 1
    elif type_id == T["Duration"]:
        p["unit"] = t.scalar(0, "i16", 1) if t else 1
    elif type_id == T["Time"]:
        p["unit"] = t.scalar(0, "i16", 1) if t else 1
        p["bitWidth"] = t.scalar(1, "i32", 32) if t else 32
    elif type_id == T["Decimal"]:
        p["precision"] = t.scalar(0, "i32", 0) if t else 0
        p["scale"] = t.scalar(1, "i32", 0) if t else 0
        p["bitWidth"] = t.scalar(2, "i32", 128) if t else 128
    elif type_id == T["FixedSizeBinary"]:
        p["byteWidth"] = t.scalar(0, "i32", 0) if t else 0
    elif type_id == T["FixedSizeList"]:
        p["listSize"] = t.scalar(0, "i32", 0) if t else 0
    elif type_id == T["Interval"]:
        p["unit"] = t.scalar(0, "i16", 0) if t else 0
    elif type_id == T["Union"]:
        p["mode"] = t.scalar(0, "i16", 0) if t else 0
        if t is not None:
            r = t.vector(1, 4, "union typeIds")
            # The ids themselves: two schemas with unions are the same only
            # when their typeIds are ([dataframe.arrow.file] item 3).
            p["typeIds"] = tuple(t.buf.i32(r[0] + 4 * k) for k in range(r[1])) if r else None
    elif type_id == T["Map"]:
        p["keysSorted"] = t.scalar(0, "bool", False) if t else False
    # Enum values must be ones Schema.fbs defines; Arrow's reference reader
    # rejects others as a malformed message.
    enum_ranges = {T["FloatingPoint"]: ("precision", 0, 2), T["Timestamp"]: ("unit", 0, 3),
                   T["Date"]: ("unit", 0, 1), T["Duration"]: ("unit", 0, 3), T["Time"]: ("unit", 0, 3),
                   T["Interval"]: ("unit", 0, 2), T["Union"]: ("mode", 0, 1)}
    widths = {T["Int"]: (8, 16, 32, 64), T["Time"]: (32, 64), T["Decimal"]: (32, 64, 128, 256)}
    if type_id in widths and p["bitWidth"] not in widths[type_id]:
        _bad(f"type {type_id} has bitWidth {p['bitWidth']}, which the Arrow format does not define")
    if type_id == T["Decimal"]:
        most = {32: 9, 64: 18, 128: 38, 256: 76}.get(p["bitWidth"], 0)
        if not 1 <= p["precision"] <= most:
            _bad(f"decimal precision {p['precision']} is outside what a {p['bitWidth']}-bit decimal holds")
        if not -128 <= p["scale"] <= 127:
            _bad(f"decimal scale {p['scale']} is outside [-128, 127]")
    if type_id in enum_ranges:
        key, lo, hi = enum_ranges[type_id]
        if not lo <= p[key] <= hi:
            _bad(f"type {type_id} has {key} {p[key]}, which the Arrow format does not define")
    if type_id == T["Time"] and (p["bitWidth"] == 32) != (p["unit"] in (0, 1)):
        # Time32 holds seconds or milliseconds, Time64 microseconds or nanoseconds.
        _bad(f"a Time of bitWidth {p['bitWidth']} cannot have unit {TIME_UNITS[p['unit']]}")
    return p


def _parse_field(t: _Table) -> ArrowField:
    name = t.string(0, "field name")
    nullable = t.scalar(1, "bool", False)
    type_id = t.scalar(2, "u8", 0)
    type_table = t.table(3, "field type")
    if type_id == 0 or type_table is None:
        _bad(f"field {name!r} has no type")
    if type_id > 26:
        # Schema.fbs defines Type tags 1 (Null) to 26 (LargeListView); Arrow's
        # reference reader rejects any other as a malformed message.
        _bad(f"field {name!r} has type tag {type_id}, which the Arrow format does not define")
    params = _parse_type(type_id, type_table)
    dictionary = None
    d = t.table(4, "dictionary encoding")
    if d is not None:
        dictionary = {"id": d.scalar(0, "i64", 0)}
        it = d.table(1, "dictionary index type")
        if it is not None:
            # an Int table: its bitWidth is 8, 16, 32 or 64 like any Int's
            ip = _parse_type(T["Int"], it)
            dictionary["indexType"] = (ip["bitWidth"], ip["is_signed"])
        dictionary["isOrdered"] = d.scalar(2, "bool", False)
        # dictionaryKind is not read ([ndarray.arrow.stream] item 1).
    children = [_parse_field(c) for c in t.tables(5, "field children")]
    # List-like types and Map have exactly one child in the Arrow format.
    if type_id in (12, 16, 17, 21, 25, 26) and len(children) != 1:
        _bad(f"field {name!r} of type {type_id} has {len(children)} children, not one")
    if type_id == T["RunEndEncoded"] and len(children) != 2:
        _bad(f"field {name!r} is RunEndEncoded with {len(children)} children, not two")
    ids = params.get("typeIds") if type_id == T["Union"] else None
    if ids is not None and (len(ids) != len(children) or len(set(ids)) != len(ids)
                            or any(not 0 <= i <= 127 for i in ids)):
        _bad(f"field {name!r}: union typeIds {list(ids)[:8]} are not one distinct id in [0, 127] per child")
    metadata = _key_values(t, 6)
    return ArrowField(name, nullable, type_id, params, dictionary, children, metadata)


@dataclass
class ArrowSchema:
    endianness: int
    fields: List[ArrowField]
    metadata: list = field(default_factory=list)   # [(key bytes, value bytes)]


def _parse_schema(t: _Table) -> ArrowSchema:
    endianness = t.scalar(0, "i16", 0)
    fields = [_parse_field(f) for f in t.tables(1, "schema fields")]
    metadata = _key_values(t, 2)
    t.vector(3, 8, "schema features", align=8)
    return ArrowSchema(endianness, fields, metadata)


@dataclass
class RecordBatch:
    length: int
    nodes: List[tuple]          # (length, null_count)
    buffers: List[tuple]        # (offset, length) relative to the body
    compressed: bool
    variadic: List[int]
    body: memoryview = field(repr=False, default=None)


def _parse_record_batch(t: _Table) -> RecordBatch:
    buf = t.buf
    length = t.scalar(0, "i64", 0)
    nodes = []
    r = t.vector(1, 16, "field nodes")
    if r is not None:
        p, n = r
        for k in range(n):
            q = p + 16 * k
            nodes.append((buf.i64(q), buf.i64(q + 8)))
    buffers = []
    r = t.vector(2, 16, "buffers")
    if r is not None:
        p, n = r
        for k in range(n):
            q = p + 16 * k
            buffers.append((buf.i64(q), buf.i64(q + 8)))
    comp = t.table(3, "body compression")
    if comp is not None:
        comp.scalar(0, "u8", 0)
        comp.scalar(1, "u8", 0)
    variadic = []
    r = t.vector(4, 8, "variadic buffer counts", align=8)
    if r is not None:
        p, n = r
        variadic = [buf.i64(p + 8 * k) for k in range(n)]
    return RecordBatch(length, nodes, buffers, comp is not None, variadic)


@dataclass
class DictionaryBatch:
    id: int
    data: RecordBatch
    is_delta: bool


@dataclass
class Message:
    version: int
    header_type: int
    header: object
    body_length: int


def parse_message(meta: bytes) -> Message:
    buf = _Buf(meta)
    t = buf.root()
    version = t.scalar(0, "i16", 0, "version")
    header_type = t.scalar(1, "u8", 0, "header type")
    ht = t.table(2, "message header")
    body_length = t.scalar(3, "i64", 0, "bodyLength")
    _key_values(t, 4)
    header = None
    if ht is not None:
        if header_type == H_SCHEMA:
            header = _parse_schema(ht)
        elif header_type == H_RECORD_BATCH:
            header = _parse_record_batch(ht)
        elif header_type == H_DICTIONARY_BATCH:
            did = ht.scalar(0, "i64", 0)
            data = ht.table(1, "dictionary data")
            rb = _parse_record_batch(data) if data is not None else None
            is_delta = ht.scalar(2, "bool", False)
            header = DictionaryBatch(did, rb, is_delta) if rb is not None else None
    return Message(version, header_type, header, body_length)


# --------------------------------------------------------------------------
# The stream
# --------------------------------------------------------------------------

@dataclass
class Stream:
    schema: ArrowSchema
    batches: List[RecordBatch]


def read_messages(payload: bytes, allow_trailing: bool = False):
    """Split the payload into (Message, body) pairs, checking the framing
    (item 1 and 5 of [ndarray.arrow.stream])."""
    out, _end = read_framed(payload, 0, allow_trailing)
    return [(msg, body) for msg, body, _pos, _meta in out]


def read_framed(payload, start: int = 0, allow_trailing: bool = False):
    """The messages from byte ``start`` up to the end-of-stream marker:
    ([(Message, body, position of its continuation marker, 8 + metadata
    length)], the position just past the end-of-stream marker)."""
    mv = memoryview(payload)
    n = len(payload)
    pos = start
    out = []
    while True:
        if pos + 4 > n:
            _bad(f"stream ends at byte {pos} without the end-of-stream marker")
        if payload[pos:pos + 4] != CONTINUATION:
            _bad(f"no continuation marker at byte {pos}")
        if pos + 8 > n:
            _bad(f"stream cut inside the metadata length at byte {pos + 4}")
        m = struct.unpack_from("<i", payload, pos + 4)[0]
        if m == 0:
            pos += 8
            break
        if m < 0:
            _bad(f"negative metadata length {m} at byte {pos + 4}")
        start = pos + 8
        if start + m > n:
            _bad(f"metadata length {m} at byte {pos + 4} runs past the {n}-byte payload")
        msg = parse_message(bytes(mv[start:start + m]))
        if msg.version != V5:
            _bad(f"message at byte {pos} has metadata version {msg.version}, not V5")
        body_start = start + m
        if msg.body_length < 0:
            _bad(f"negative bodyLength {msg.body_length}")
        if body_start + msg.body_length > n:
            _bad(f"bodyLength {msg.body_length} runs past the {n}-byte payload")
        out.append((msg, mv[body_start:body_start + msg.body_length], pos, 8 + m))
        pos = body_start + msg.body_length
    if pos != n and not allow_trailing:
        _bad(f"{n - pos} bytes follow the end-of-stream marker")
    return out, pos


def _count_fields(fields: List[ArrowField]) -> int:
    """Field nodes a record batch has for these fields (pre-order). A
    dictionary-encoded field has one: its values live in dictionary batches."""
    return sum(1 + (0 if f.dictionary is not None else _count_fields(f.children)) for f in fields)


def _buffer_count(f: ArrowField, variadic: list) -> Optional[int]:
    """Buffers the field's subtree uses (pre-order), or None if unknown."""
    if f.dictionary is not None:
        return 2  # validity and indices; the values live in dictionary batches
    t = f.type_id
    if t == T["Null"]:
        own = 0
    elif t in (T["Int"], T["FloatingPoint"], T["Bool"], T["Decimal"], T["Date"], T["Time"], T["Timestamp"],
               T["Interval"], T["Duration"], T["FixedSizeBinary"]):
        own = 2
    elif t in (T["Binary"], T["Utf8"], T["LargeBinary"], T["LargeUtf8"]):
        own = 3
    elif t in (T["List"], T["LargeList"], T["Map"]):
        own = 2
    elif t in (T["FixedSizeList"], T["Struct_"]):
        own = 1
    elif t == T["Union"]:
        own = 1 if f.type.get("mode", 0) == 0 else 2
    elif t == T["RunEndEncoded"]:
        own = 0
    elif t in (T["BinaryView"], T["Utf8View"]):
        if not variadic:
            return None
        own = 2 + variadic.pop(0)
    elif t in (T["ListView"], T["LargeListView"]):
        own = 3
    else:
        return None
    total = own
    for c in f.children:
        k = _buffer_count(c, variadic)
        if k is None:
            return None
        total += k
    return total


def _fixed_width(f: ArrowField) -> Optional[int]:
    """Bytes per value of a fixed-width primitive type, else None."""
    t, p = f.type_id, f.type
    if t == T["Int"]:
        bw = p["bitWidth"]
        return bw // 8 if bw in (8, 16, 32, 64) else None
    if t == T["FloatingPoint"]:
        return {0: 2, 1: 4, 2: 8}.get(p["precision"])
    if t in (T["Timestamp"], T["Duration"]):
        return 8
    if t == T["Date"]:
        return 4 if p["unit"] == 0 else 8
    if t == T["Time"]:
        return p["bitWidth"] // 8 if p["bitWidth"] in (32, 64) else None
    if t == T["Decimal"]:
        return p["bitWidth"] // 8 if p["bitWidth"] in (32, 64, 128, 256) else None
    if t == T["FixedSizeBinary"]:
        return p["byteWidth"] if p["byteWidth"] >= 0 else None
    return None


def count_unset(bitmap, length: int) -> int:
    """Unset bits among the first ``length`` bits (LSB first)."""
    if length == 0:
        return 0
    nbytes = (length + 7) // 8
    bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8, count=nbytes), bitorder="little", count=length)
    return int(length - int(np.count_nonzero(bits)))


def check_validity(bitmap, length: int, null_count: int) -> None:
    """A field node's null_count equals the unset bits of its validity
    bitmap, or 0 when it has none (an empty buffer)."""
    if len(bitmap) == 0:
        if null_count != 0:
            _bad(f"null_count {null_count} but the column has no validity bitmap")
        return
    if len(bitmap) < (length + 7) // 8:
        _bad("validity bitmap shorter than the column")
    unset = count_unset(bitmap, length)
    if unset != null_count:
        _bad(f"null_count {null_count} but the validity bitmap has {unset} unset bits")


def check_endianness(schema: "ArrowSchema") -> None:
    if schema.endianness != 0:
        _bad("schema endianness is not Little")


def _validate_column(f: ArrowField, node, bufs, body) -> None:
    """Item 4 of [ndarray.arrow.stream] for one top-level column: its
    null_count agrees with its validity bitmap, its buffers are long enough,
    offsets are sane and Utf8 is UTF-8."""
    length, null_count = node
    t = f.type_id
    has_validity = t not in (T["Null"], T["Union"], T["RunEndEncoded"])
    if t == T["Null"]:
        return
    if not bufs:
        _bad("column names no buffers")
    if has_validity:
        voff, vlen = bufs[0]
        check_validity(body[voff:voff + vlen], length, null_count)
    if f.dictionary is not None:
        return
    if t == T["Bool"]:
        if len(bufs) < 2 or bufs[1][1] < (length + 7) // 8:
            _bad("Bool values bitmap shorter than the column")
        return
    w = _fixed_width(f)
    if w is not None:
        if len(bufs) >= 2 and bufs[1][1] % w:
            _bad(f"values buffer of {bufs[1][1]} bytes does not hold whole {w}-byte elements")
        if len(bufs) < 2 or bufs[1][1] < w * length:
            _bad(f"values buffer of {bufs[1][1] if len(bufs) > 1 else 0} bytes is too short for "
                 f"{length} values of {w} bytes")
        return
    if t in (T["Binary"], T["Utf8"], T["LargeBinary"], T["LargeUtf8"]):
        if len(bufs) < 3:
            _bad("variable-size binary column without offsets and data buffers")
        large = t in (T["LargeBinary"], T["LargeUtf8"])
        ow = 8 if large else 4
        ooff, olen = bufs[1]
        doff, dlen = bufs[2]
        if olen % ow:
            _bad(f"offsets buffer of {olen} bytes does not hold whole {ow}-byte offsets")
        if length == 0 and olen == 0:
            return
        if olen < ow * (length + 1):
            _bad("offsets buffer too short for the column")
        offs = np.frombuffer(body, dtype="<i8" if large else "<i4", count=length + 1, offset=ooff).astype(np.int64)
        if offs[0] < 0 or (length > 0 and np.any(np.diff(offs) < 0)):
            _bad("offsets decrease or are negative")
        if int(offs[-1]) > dlen:
            _bad(f"offsets point past the {dlen}-byte data buffer")
        if t in (T["Utf8"], T["LargeUtf8"]):
            data = bytes(body[doff + int(offs[0]):doff + int(offs[-1])])
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                _bad("Utf8 data is not UTF-8")
            # Each element on its own: no boundary may split a character.
            if length > 0 and data:
                cont = (np.frombuffer(data, dtype=np.uint8) & 0xC0) == 0x80
                rel = offs.astype(np.int64) - int(offs[0])
                rel = rel[rel < len(data)]
                if rel.size and bool(np.any(cont[rel])):
                    _bad("a Utf8 element boundary splits a character")


def read_stream(payload: bytes, *, allow_trailing: bool = False) -> Stream:
    """Check [ndarray.arrow.stream] and return the schema and record batches."""
    msgs = read_messages(payload, allow_trailing)
    if not msgs:
        _bad("stream holds no schema message")
    first, _body = msgs[0]
    if first.header_type != H_SCHEMA or first.header is None:
        _bad(f"first message is a {HEADER_NAMES.get(first.header_type, first.header_type)}, not a Schema")
    schema: ArrowSchema = first.header
    check_endianness(schema)
    batches = []
    nfields = _count_fields(schema.fields)
    for msg, body in msgs[1:]:
        if msg.header_type != H_RECORD_BATCH or msg.header is None:
            _bad(f"a {HEADER_NAMES.get(msg.header_type, msg.header_type)} message follows the schema")
        rb: RecordBatch = msg.header
        rb.body = body
        if rb.compressed:
            _bad("record batch body is compressed")
        if rb.length < 0:
            _bad(f"record batch length {rb.length} is negative")
        if len(rb.nodes) != nfields:
            _bad(f"record batch has {len(rb.nodes)} field nodes for {nfields} fields")
        for ln, nc in rb.nodes:
            if ln < 0 or nc < 0 or nc > ln:
                _bad(f"field node length {ln} / null_count {nc} is invalid")
        blen = len(body)
        for off, ln in rb.buffers:
            if off % 8:
                _bad(f"buffer at offset {off} is not at a multiple of 8")
            if off < 0 or ln < 0 or off + ln > blen:
                _bad(f"buffer at offset {off} of length {ln} lies outside the {blen}-byte body")
        variadic = list(rb.variadic)
        if any(v < 0 for v in variadic):
            _bad("negative variadic buffer count")
        batches.append(rb)
    return Stream(schema, batches)


def validate_contents(stream: Stream) -> None:
    """Item 4 of [ndarray.arrow.stream]: each batch's column contents. Called
    only after [ndarray.arrow.type], once the column has a table type."""
    schema = stream.schema
    for rb in stream.batches:
        body = rb.body
        if rb.variadic:
            # Only the view types read them, and no table type is one.
            _bad(f"the record batch declares variadic buffer counts {list(rb.variadic)}, "
                 "which only a view type reads")
        variadic = list(rb.variadic)
        counts = []
        for f in schema.fields:
            k = _buffer_count(f, variadic)
            counts.append(k)
        if all(k is not None for k in counts) and sum(counts) > len(rb.buffers):
            _bad(f"record batch has {len(rb.buffers)} buffers, its schema needs {sum(counts)}")
        node_i = 0
        buf_i = 0
        for f, k in zip(schema.fields, counts):
            if k is None:
                break
            node = rb.nodes[node_i]
            if node[0] != rb.length:
                _bad(f"column length {node[0]} differs from the record batch length {rb.length}")
            _validate_column(f, node, rb.buffers[buf_i:buf_i + k], body)
            node_i += _count_fields([f])
            buf_i += k
