#!/usr/bin/env python3
"""Generate and check the sciwire v1 golden vectors for the `ndarray` envelope.

    python3 vectors/generate/generate.py [generate]   rewrite vectors/v1/ndarray/** and MANIFEST.sha256
    python3 vectors/generate/generate.py check        regenerate into a temporary directory, compare,
                                                     lint the suite and print the clause coverage

Valid vectors are built the way tywrap 0.10's Python producer builds envelopes (numpy + pyarrow,
written here from the wire-format notes, not copied). Invalid vectors are mutations of that output
(`source.mutation`) or hand-written hostile input (`source.handWritten`). The script is
deterministic: no network, no clock, no unseeded randomness.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent
V1 = VECTORS / "v1"
REPO = VECTORS.parent
SPEC = REPO / "spec" / "src"
GENERATOR = "vectors/generate/generate.py"
LIBS = {"numpy": np.__version__, "pyarrow": pa.__version__}
KINDS = ("valid", "invalid", "encode", "equivalent")
KEY_ORDER = ("id", "description", "clauses", "direction", "input", "expect", "schemaValid",
             "source", "budget", "tags")
HOSTILE_BUDGET = {"wall_ms": 2000, "rss_mb": 256}
MAX_SAFE = 2**53 - 1

# ----------------------------------------------------------------------------------------------
# Producer: what tywrap 0.10 writes (re-implemented from the wire-format notes)
# ----------------------------------------------------------------------------------------------

NS = {"np": np, "pa": pa}


def build(expr: str):
    """Evaluate the expression that builds a value, so `source.expr` is exactly what ran."""
    return eval(expr, dict(NS))  # noqa: S307 - expressions are literals in this file


def write_stream(schema, tables=(), batches=(), options=None, max_chunksize=None) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema, options=options) as w:
        for t in tables:
            w.write_table(t, max_chunksize=max_chunksize)
        for b in batches:
            w.write_batch(b)
    return sink.getvalue().to_pybytes()


def column_stream(arr, name="value", schema=None, options=None) -> bytes:
    """One-column stream holding an Arrow array (for payloads built directly with pyarrow)."""
    if schema is None:
        table = pa.Table.from_arrays([arr], names=[name])
    else:
        table = pa.Table.from_arrays([arr], schema=schema)
    return write_stream(table.schema, [table], options=options)


def producer_payload(a: np.ndarray) -> bytes:
    """tywrap's Arrow payload: flatten in C order, one column `value`, one IPC stream."""
    flat = a.flatten()
    table = pa.Table.from_arrays([pa.array(flat)], names=["value"])
    data = write_stream(table.schema, [table])
    if a.size == 0:  # pyarrow writes no RecordBatch for a zero-row table, as tywrap's payload has
        assert [m.kind for m in messages(data)] == ["schema", "eos"], "empty payload has a batch"
    return data


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def arrow_env(a: np.ndarray) -> dict:
    return {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "arrow",
            "b64": b64(producer_payload(a)), "shape": list(a.shape), "dtype": str(a.dtype)}


def json_env(a: np.ndarray) -> dict:
    return {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json",
            "data": a.tolist(), "shape": list(a.shape), "dtype": a.dtype.name}


def env_arrow_raw(payload: bytes, shape, dtype) -> dict:
    env = {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "arrow", "b64": b64(payload)}
    if shape is not None:
        env["shape"] = shape
    if dtype is not None:
        env["dtype"] = dtype
    return env


def env_json_raw(data, shape, dtype) -> dict:
    return {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json",
            "data": data, "shape": shape, "dtype": dtype}


def canon(a: np.ndarray) -> dict:
    c = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"))
    return {"kind": "ndarray", "dtype": str(a.dtype), "shape": list(a.shape),
            "hex": c.tobytes().hex()}


def without(d: dict, *keys) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


def with_(d: dict, **kv) -> dict:
    out = dict(d)
    out.update(kv)
    return out


def dumps_env(env: dict) -> str:
    """JSON text as tywrap's Python producer writes it (json.dumps defaults)."""
    return json.dumps(env, ensure_ascii=True)


# ----------------------------------------------------------------------------------------------
# Arrow IPC stream inspection and patching (minimal flatbuffer reader)
# ----------------------------------------------------------------------------------------------

def _u16(b, p):
    return struct.unpack_from("<H", b, p)[0]


def _u32(b, p):
    return struct.unpack_from("<I", b, p)[0]


def _i32(b, p):
    return struct.unpack_from("<i", b, p)[0]


def _i64(b, p):
    return struct.unpack_from("<q", b, p)[0]


class FbTable:
    """A flatbuffer table inside `buf` at absolute position `pos`."""

    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        self.vt = pos - _i32(buf, pos)
        self.vtlen = _u16(buf, self.vt)

    def field_pos(self, slot):
        o = 4 + 2 * slot
        off = _u16(self.buf, self.vt + o) if o < self.vtlen else 0
        return self.pos + off if off else None

    def table(self, slot):
        p = self.field_pos(slot)
        return None if p is None else FbTable(self.buf, p + _u32(self.buf, p))

    def vector(self, slot):
        """(position of the u32 length, element count, position of the first element)"""
        p = self.field_pos(slot)
        if p is None:
            return None
        vp = p + _u32(self.buf, p)
        return vp, _u32(self.buf, vp), vp + 4


class Msg:
    HEADER = {1: "schema", 2: "dictionary", 3: "recordbatch", 4: "tensor", 5: "sparsetensor"}

    def __init__(self, buf, pos):
        self.pos = pos
        self.meta_len = _i32(buf, pos + 4)
        self.fb = pos + 8
        self.root = FbTable(buf, self.fb + _u32(buf, self.fb))
        ht = self.root.field_pos(1)
        self.kind = self.HEADER.get(buf[ht] if ht is not None else 0, "none")
        bl = self.root.field_pos(3)
        self.body_len = _i64(buf, bl) if bl is not None else 0
        self.body_len_pos = bl
        self.body = self.fb + self.meta_len
        self.end = self.body + self.body_len
        self.header = self.root.table(2)


class Eos:
    kind = "eos"

    def __init__(self, pos):
        self.pos, self.end = pos, pos + 8


def messages(buf: bytes):
    """Split a well-formed pyarrow stream into messages (only used on real pyarrow output)."""
    out, pos = [], 0
    while pos < len(buf):
        assert _u32(buf, pos) == 0xFFFFFFFF, "continuation marker expected"
        if _i32(buf, pos + 4) == 0:
            out.append(Eos(pos))
            pos += 8
            continue
        m = Msg(buf, pos)
        out.append(m)
        pos = m.end
    return out


def first(buf, kind):
    return next(m for m in messages(buf) if m.kind == kind)


def patch(buf: bytes, pos: int, fmt: str, value) -> bytes:
    out = bytearray(buf)
    old = bytes(out[pos:pos + struct.calcsize(fmt)])
    struct.pack_into(fmt, out, pos, value)
    assert bytes(out) != buf or old == struct.pack(fmt, value), "patch changed nothing"
    return bytes(out)


def rb_field_nodes(buf):
    """[(pos_of_length, pos_of_null_count)] for the RecordBatch's FieldNode structs."""
    rb = first(buf, "recordbatch").header
    _, n, start = rb.vector(1)
    return [(start + 16 * i, start + 16 * i + 8) for i in range(n)]


def rb_buffers(buf):
    """[(pos_of_offset, pos_of_length, offset, length)] for the RecordBatch's Buffer structs."""
    rb = first(buf, "recordbatch").header
    _, n, start = rb.vector(2)
    return [(start + 16 * i, start + 16 * i + 8, _i64(buf, start + 16 * i),
             _i64(buf, start + 16 * i + 8)) for i in range(n)]


def rb_body(buf):
    m = first(buf, "recordbatch")
    return m.body, m.body_len


# ----------------------------------------------------------------------------------------------
# Minimal flatbuffer writer, for Arrow metadata pyarrow cannot be made to write (big-endian schema)
# ----------------------------------------------------------------------------------------------

class FbObj:
    pass


class FbT(FbObj):
    """A table: fields is {slot: (fmt, value)} with fmt a struct code, or {slot: FbObj}."""

    def __init__(self, fields):
        self.fields = fields


class FbVec(FbObj):
    def __init__(self, items):  # vector of offsets to objects
        self.items = items


class FbStr(FbObj):
    def __init__(self, s: str):
        self.data = s.encode("utf-8")


def fb_serialize(root: FbObj) -> bytes:
    """Front-to-back layout: parents first, children after them (uoffsets point forward)."""
    out = bytearray(4)
    fixups = []  # (position of a uoffset, object it points to)
    where = {}
    queue = [root]
    fixups.append((0, root))
    while queue:
        obj = queue.pop(0)
        if isinstance(obj, FbT):
            slots = sorted(obj.fields)
            nslots = (max(slots) + 1) if slots else 0
            inline = []  # (slot, size, fmt, value)
            for s in slots:
                v = obj.fields[s]
                if isinstance(v, FbObj):
                    inline.append((s, 4, "<I", v))
                else:
                    inline.append((s, struct.calcsize("<" + v[0]), "<" + v[0], v[1]))
            inline.sort(key=lambda x: -x[1])
            offsets, cur = {}, 4
            for s, size, _, _ in inline:
                cur = (cur + size - 1) // size * size
                offsets[s] = cur
                cur += size
            objlen = (cur + 3) // 4 * 4
            vt = struct.pack("<HH", 4 + 2 * nslots, objlen) + b"".join(
                struct.pack("<H", offsets.get(s, 0)) for s in range(nslots))
            while len(out) % 2:
                out.append(0)
            vt_pos = len(out)
            out += vt
            # table start 8-aligned, so that field offsets aligned to their size are aligned
            while len(out) % 8:
                out.append(0)
            t_pos = len(out)
            out += bytes(objlen)
            struct.pack_into("<i", out, t_pos, t_pos - vt_pos)
            for s, size, fmt, v in inline:
                if isinstance(v, FbObj):
                    fixups.append((t_pos + offsets[s], v))
                    queue.append(v)
                else:
                    struct.pack_into(fmt, out, t_pos + offsets[s], v)
            where[id(obj)] = t_pos
        elif isinstance(obj, FbVec):
            while len(out) % 4:
                out.append(0)
            where[id(obj)] = len(out)
            out += struct.pack("<I", len(obj.items))
            for it in obj.items:
                fixups.append((len(out), it))
                out += bytes(4)
                queue.append(it)
        elif isinstance(obj, FbStr):
            while len(out) % 4:
                out.append(0)
            where[id(obj)] = len(out)
            out += struct.pack("<I", len(obj.data)) + obj.data + b"\x00"
    for pos, obj in fixups:
        struct.pack_into("<I", out, pos, where[id(obj)] - pos)
    while len(out) % 8:
        out.append(0)
    return bytes(out)


def schema_message_int64(endianness: int) -> bytes:
    """Encapsulated Schema message: one nullable field `value` of Int(64, signed)."""
    int_type = FbT({0: ("i", 64), 1: ("B", 1)})
    field = FbT({0: FbStr("value"), 1: ("B", 1), 2: ("B", 2), 3: int_type, 5: FbVec([])})
    fields = {1: FbVec([field])}
    if endianness:
        fields[0] = ("h", endianness)
    schema = FbT(fields)
    msg = FbT({0: ("h", 4), 1: ("B", 1), 2: schema, 3: ("q", 0)})
    fb = fb_serialize(msg)
    return b"\xff\xff\xff\xff" + struct.pack("<i", len(fb)) + fb


# ----------------------------------------------------------------------------------------------
# The suite being built
# ----------------------------------------------------------------------------------------------

def src(expr: str, mutation: str | None = None) -> dict:
    s = {"generator": GENERATOR, "libraries": dict(LIBS), "expr": expr}
    if mutation is not None:
        s["mutation"] = mutation
    return s


def hand(why: str) -> dict:
    return {"handWritten": why}


class Suite:
    def __init__(self):
        self.vectors = {}  # id -> (kind, dict)
        self.groups = {}

    def _put(self, kind, vec):
        vid = vec["id"]
        assert re.fullmatch(r"[a-z0-9-]+", vid), vid
        assert vid not in self.vectors and vid not in self.groups, f"duplicate id {vid}"
        assert vec["clauses"], vid
        ordered = {k: vec[k] for k in KEY_ORDER if vec.get(k) is not None}
        self.vectors[vid] = (kind, ordered)

    def valid(self, vid, description, clauses, inp, value, source, tags=None):
        sanity_decode(vid, inp, value)
        self._put("valid", {"id": vid, "description": description, "clauses": list(clauses),
                            "direction": "decode", "input": inp, "expect": {"value": value},
                            "source": source, "tags": tags})

    def invalid(self, vid, description, clauses, inp, code, source, schema_valid=None,
                budget=None, tags=None):
        clauses = list(clauses)
        if tags and "processing-order" in tags:
            clauses = uniq(clauses + ["error.codes"])
        if budget:
            clauses = uniq(clauses + ["vector.budget"])
        if "json" in inp:
            assert schema_valid is not None, f"{vid}: schemaValid needed for a json input"
        else:
            assert schema_valid is None, vid
        self._put("invalid", {"id": vid, "description": description, "clauses": list(clauses),
                              "direction": "decode", "input": inp, "expect": {"error": code},
                              "schemaValid": schema_valid, "source": source, "budget": budget,
                              "tags": tags})

    def encode(self, vid, description, clauses, value, encoding, expect, source, tags=None):
        self._put("encode", {"id": vid, "description": description, "clauses": list(clauses),
                             "direction": "encode", "input": {"value": value, "encoding": encoding},
                             "expect": expect, "source": source, "tags": tags})

    def group(self, gid, description, members):
        assert gid not in self.vectors and gid not in self.groups, gid
        values = set()
        for m in members:
            kind, vec = self.vectors[m]
            assert kind == "valid", (gid, m)
            values.add(json.dumps(vec["expect"]["value"], sort_keys=True))
        assert len(values) == 1 and len(members) >= 2, f"{gid}: members disagree"
        self.groups[gid] = {"id": gid, "description": description, "members": list(members)}

    def files(self) -> dict:
        out = {}
        for vid, (kind, vec) in self.vectors.items():
            out[f"ndarray/{kind}/{vid}.json"] = vec
        for gid, grp in self.groups.items():
            out[f"ndarray/equivalent/{gid}.json"] = grp
        return out


# ----------------------------------------------------------------------------------------------
# Sanity decoding of valid vectors with numpy/pyarrow (guards the generator, not the spec)
# ----------------------------------------------------------------------------------------------

def _py_json(text: str):
    def parse_int(s):
        v = int(s)
        return -0.0 if (v == 0 and s.startswith("-")) else v
    return json.loads(text, parse_int=parse_int)


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
    if "json" in inp:
        env = inp["json"]
    elif "text" in inp:
        env = _py_json(inp["text"])
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


def uniq(seq):
    out = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


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


def add_valid_arrow(S, vid, description, expr, clauses=(), tags=None):
    a = build(expr)
    S.valid(vid, description, uniq(list(clauses) + ARROW_BASE + dtype_clauses(a)),
            {"json": arrow_env(a)}, canon(a), src(expr), tags)
    return a


def add_valid_json(S, vid, description, expr, clauses=(), tags=None):
    a = build(expr)
    S.valid(vid, description, uniq(list(clauses) + JSON_BASE), {"json": json_env(a)}, canon(a),
            src(expr), tags)
    return a


def valid_vectors(S: Suite):
    for suffix, expr, desc in ARROW_DTYPES:
        extra = ["ndarray.arrow.nulls"] if "nan" in suffix else []
        if suffix == "float64-2x3":  # the example of vectors.md
            extra = ARROW_ALL + ["vector.id", "vector.clauses", "vector.input", "vector.expect",
                                 "vector.source"]
        add_valid_arrow(S, f"ndarray-arrow-{suffix}", f"arrow {desc}", expr, extra)
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
    a = build("np.arange(6.0).reshape(2, 3)")
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
        a = build(expr)
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
    tv("ndarray-text-shape-negative-zero", "shape entry -0 is the integer 0", "float64", "[]",
       "np.zeros((0,))", ["ndarray.shape.items", "json.numbers"], shape_text="[-0]",
       tags=["interpretation"])

    # an arrow payload whose base64 text uses the JSON escape \/ for every '/'
    a16 = build("np.array([1.5, -2.25], dtype=np.float16)")
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


def add_json_id(S, vid, desc, expr, clauses=()):
    add_valid_json(S, vid, desc, expr, clauses)
    return vid


def legacy_vectors(S: Suite):
    V0 = ["envelope.legacy-v0", "ndarray.legacy-v0"]

    def v0(vid, desc, expr, enc, drop, clauses, expect_expr=None, group=None):
        a = build(expr)
        env = arrow_env(a) if enc == "arrow" else json_env(a)
        env = without(env, "codecVersion", *drop)
        expect = canon(build(expect_expr)) if expect_expr else canon(a)
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
            "np.arange(5)", "arrow", ("dtype",), ["ndarray.arrow.type"]),
         v0("ndarray-v0-arrow-int64-no-shape-no-dtype", "v0 arrow int64 without shape and dtype",
            "np.arange(5)", "arrow", ("shape", "dtype"),
            ["ndarray.arrow.type", "ndarray.arrow.length"])]
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
             "timedelta64[ms] from Duration(ms)")]:
        v0(f"ndarray-v0-arrow-{suffix}-no-dtype", f"v0 arrow without dtype: {desc}", expr, "arrow",
           ("dtype",), ["ndarray.arrow.type"])
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
       ["ndarray.arrow.length", "ndarray.arrow.strings"])


def extension_vectors(S: Suite):
    """x- members: any JSON value, never changing the value or causing a rejection."""
    expr = "np.arange(6.0).reshape(2, 3)"
    a = build(expr)
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
    value = canon(build("np.arange(3)"))
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
        table = build(expr)
        payload = write_stream(table.schema, [table])
        S.valid(vid, desc, uniq(clauses + ARROW_BASE), {"json": env_arrow_raw(payload, [3], "int64")},
                value, src(expr))
        members.append(vid)

    # The Arrow format reads an empty timezone as timezone-naive. pyarrow
    # normalises tz='' away, so the empty string is patched into a real
    # tz='UTC' payload (string length 3 -> 0, its bytes zeroed).
    expr = "pa.array(np.array([0, 1, 2], dtype='datetime64[ns]'), pa.timestamp('ns', tz='UTC'))"
    utc = column_stream(build(expr))
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
    base = column_stream(build(expr))
    (_, _, vo, vl), (_, _, do, _) = rb_buffers(base)[:2]
    body, _ = rb_body(base)
    assert base[body + vo] == 0b101 and vl > 0
    under_null = _i64(base, body + do + 8)
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
    bb = producer_payload(build(expr))
    bufs = rb_buffers(bb)
    body, _ = rb_body(bb)
    assert bufs[0][3] == 0 and bb[body + bufs[1][2]] == 0b101
    padded = patch(bb, body + bufs[1][2], "<B", 0b11111101)
    S.valid("ndarray-arrow-bool-padding-bits-set",
            "bool values bitmap with the unused high bits set",
            uniq(["ndarray.arrow.elements"] + ARROW_BASE),
            {"json": env_arrow_raw(padded, [3], "bool")}, canon(build(expr)),
            src(expr, "values bitmap byte 05 -> fd (bits past the length set)"))
    add_valid_json(S, "ndarray-json-bool-3", "json bool true, false, true",
                   "np.array([True, False, True])")
    S.group("eq-ndarray-bool-3", "bool in both encodings, with and without set padding bits",
            ["ndarray-arrow-bool", "ndarray-json-bool", "ndarray-json-bool-3",
             "ndarray-arrow-bool-padding-bits-set", "ndarray-v0-arrow-bool-no-dtype"])

    add_valid_arrow(S, "ndarray-arrow-int64-empty", "arrow int64 empty, no record batch",
                    "np.zeros((0,), dtype=np.int64)", ["ndarray.arrow.batches", "ndarray.arrow.length"])
    expr = "pa.record_batch([pa.array([], pa.int64())], names=['value'])"
    rb = build(expr)
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
        payload = column_stream(build(expr))
        a = build(value_expr)
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
# Invalid vectors
# ----------------------------------------------------------------------------------------------

F64_EXPR = "np.array([1.5, 2.5])"


def J(env):
    return {"json": env}


def T(text):
    return {"text": text}


def B(data: bytes):
    return {"base64": b64(data)}


def differential_vectors(S: Suite):
    """Inputs on which the Rust reference and sciwire-py disagreed under
    differential fuzzing (sciwire-conformance differential), minimised, with
    the code the spec settled on. Kept in differential.json."""
    for d in json.loads((HERE / "differential.json").read_text(encoding="utf-8")):
        p = d["provenance"]
        S.invalid(d["id"], d["description"], ["ndarray.arrow.stream" if d["error"] == "E_ARROW_PAYLOAD" else
                                               {"E_ARROW_SCHEMA": "ndarray.arrow.schema",
                                                "E_ARROW_NULLS": "ndarray.arrow.nulls"}[d["error"]]],
                  T(d["text"]), d["error"],
                  hand(f"found by differential fuzzing ({d['candidate']}, seed {p['rng_seed']}, from "
                       f"{p['seed_vector']}: {p['mutation']}), minimised; {d['why']}"),
                  tags=["differential"])


def invalid_vectors(S: Suite):
    json_text_vectors(S)
    envelope_vectors(S)
    ndarray_member_vectors(S)
    dtype_vectors(S)
    shape_vectors(S)
    base64_vectors(S)
    stream_vectors(S)
    schema_type_vectors(S)
    length_null_string_vectors(S)
    json_payload_vectors(S)


def json_text_vectors(S: Suite):
    a = build(F64_EXPR)
    plain = dumps_env(json_env(a))
    assert plain == ('{"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", '
                     '"data": [1.5, 2.5], "shape": [2], "dtype": "float64"}')
    tail = plain[:-1]
    why = "hand-edited JSON text of tywrap's envelope for " + F64_EXPR
    SYN = ["json.syntax"]
    UTF = ["json.utf8", "json.syntax"]

    def syn(vid, desc, text, clauses=SYN, tags=None):
        S.invalid(vid, desc, clauses, T(text), "E_JSON_SYNTAX", hand(why), tags=tags)

    syn("ndarray-invalid-json-empty-input", "empty input", "")
    syn("ndarray-invalid-json-whitespace-only", "whitespace only", " \n\t")
    syn("ndarray-invalid-json-truncated-end", "closing brace missing", plain[:-1])
    syn("ndarray-invalid-json-truncated-string", "text cut inside a string", plain[:20])
    syn("ndarray-invalid-json-truncated-number", "text cut after a number's minus sign",
        plain[:plain.index("[1.5") + 1] + "-")
    syn("ndarray-invalid-json-trailing-garbage", "trailing garbage after the value", plain + " x")
    syn("ndarray-invalid-json-trailing-nul", "a NUL character after the value", plain + "\u0000")
    syn("ndarray-invalid-json-two-values", "two envelopes in one text", plain + "\n" + plain)
    syn("ndarray-invalid-json-nan-literal", "NaN literal in data", plain.replace("[1.5, 2.5]", "[NaN, 2.5]"),
        ["json.syntax", "ndarray.json.values"])
    syn("ndarray-invalid-json-infinity-literal", "Infinity literal in data",
        plain.replace("[1.5, 2.5]", "[Infinity, 2.5]"), ["json.syntax", "ndarray.json.values"])
    syn("ndarray-invalid-json-negative-infinity-literal", "-Infinity literal in data",
        plain.replace("[1.5, 2.5]", "[1.5, -Infinity]"), ["json.syntax", "ndarray.json.values"])
    syn("ndarray-invalid-json-single-quotes", "strings in single quotes", plain.replace('"', "'"))
    syn("ndarray-invalid-json-single-quoted-value", "one string value in single quotes",
        plain.replace('"float64"', "'float64'"))
    syn("ndarray-invalid-json-trailing-comma-object", "trailing comma before the closing brace",
        tail + ", }")
    syn("ndarray-invalid-json-trailing-comma-array", "trailing comma inside data",
        plain.replace("[1.5, 2.5]", "[1.5, 2.5, ]"))
    syn("ndarray-invalid-json-leading-zero", "shape entry written 02", plain.replace('[2]', '[02]'))
    syn("ndarray-invalid-json-plus-sign", "number written with a plus sign",
        plain.replace("[1.5, 2.5]", "[+1.5, 2.5]"))
    syn("ndarray-invalid-json-bare-fraction", "number written .5",
        plain.replace("[1.5, 2.5]", "[.5, 2.5]"))
    syn("ndarray-invalid-json-trailing-dot", "number written 1.", plain.replace("[1.5, 2.5]", "[1., 2.5]"))
    syn("ndarray-invalid-json-hex-number", "number written 0x10", plain.replace('[2]', '[0x2]'))
    syn("ndarray-invalid-json-comment", "a /* */ comment before the value", "/* c */ " + plain)
    syn("ndarray-invalid-json-python-true", "Python literal True", tail + ', "x-flag": True}')
    syn("ndarray-invalid-json-unquoted-key", "member name without quotes", tail + ", x-a: 1}")
    syn("ndarray-invalid-json-raw-control-char", "raw tab character inside a string",
        tail + ', "x-note": "a\tb"}')
    syn("ndarray-invalid-json-bad-escape", "string escape \\x41", tail + ', "x-note": "\\x41"}')
    syn("ndarray-invalid-json-short-unicode-escape", "string escape \\u12 with two digits",
        tail + ', "x-note": "\\u12"}')
    syn("ndarray-invalid-json-lone-high-surrogate", "lone surrogate escape \\ud800",
        tail + ', "x-note": "\\ud800"}')
    syn("ndarray-invalid-json-lone-low-surrogate", "lone low surrogate escape \\udc00",
        tail + ', "x-note": "a\\udc00b"}')
    syn("ndarray-invalid-json-surrogate-then-letter", "high surrogate escape followed by \\u0041",
        tail + ', "x-note": "\\ud800\\u0041"}')
    syn("ndarray-invalid-json-reversed-surrogates", "low then high surrogate escape",
        tail + ', "x-note": "\\ude00\\ud83d"}')
    syn("ndarray-invalid-json-nbsp-whitespace", "U+00A0 no-break space between tokens",
        plain.replace(', "shape"', ',\u00a0"shape"'))
    syn("ndarray-invalid-json-form-feed", "form feed between tokens",
        plain.replace(', "shape"', ',\f"shape"'))
    syn("ndarray-invalid-json-vertical-tab", "vertical tab between tokens",
        plain.replace(', "shape"', ',\v"shape"'))
    syn("ndarray-invalid-json-bom", "UTF-8 byte order mark before the value", "\ufeff" + plain, UTF)

    raw = plain.encode("ascii")
    tailb = raw[:-1]

    def utf(vid, desc, data: bytes):
        S.invalid(vid, desc, UTF, B(data), "E_JSON_SYNTAX", hand(why))

    utf("ndarray-invalid-json-utf8-ff-byte", "byte ff inside an x- string",
        tailb + b', "x-note": "a\xffb"}')
    utf("ndarray-invalid-json-utf8-lone-continuation", "lone continuation byte 80 in a string",
        tailb + b', "x-note": "a\x80b"}')
    utf("ndarray-invalid-json-utf8-overlong-2", "overlong c0 af for '/' in a string",
        tailb + b', "x-note": "a\xc0\xafb"}')
    utf("ndarray-invalid-json-utf8-overlong-3", "overlong e0 80 af in a string",
        tailb + b', "x-note": "a\xe0\x80\xafb"}')
    utf("ndarray-invalid-json-utf8-overlong-quote", "overlong c0 a2 standing for a quote",
        tailb + b', "x-note": "a\xc0\xa2}')
    utf("ndarray-invalid-json-utf8-surrogate", "UTF-8 encoded surrogate ed a0 80 in a string",
        tailb + b', "x-note": "a\xed\xa0\x80b"}')
    utf("ndarray-invalid-json-utf8-beyond-10ffff", "f4 90 80 80, a code point past U+10FFFF",
        tailb + b', "x-note": "a\xf4\x90\x80\x80b"}')
    utf("ndarray-invalid-json-utf8-truncated-sequence", "two-byte sequence cut before the quote",
        tailb + b', "x-note": "a\xc3"}')
    utf("ndarray-invalid-json-utf16", "the envelope encoded as UTF-16LE", plain.encode("utf-16-le"))
    utf("ndarray-invalid-json-utf8-ff-outside-string", "byte ff between tokens",
        raw.replace(b', "shape"', b',\xff"shape"'))

    DUP = ["json.duplicate-keys"]

    def dup(vid, desc, text, tags=None):
        S.invalid(vid, desc, DUP, T(text), "E_JSON_DUPLICATE_KEY", hand(why), tags=tags)

    dup("ndarray-invalid-json-duplicate-shape", "member shape twice", tail + ', "shape": [2]}')
    dup("ndarray-invalid-json-duplicate-shape-different", "member shape twice with different values",
        tail + ', "shape": [1, 2]}')
    dup("ndarray-invalid-json-duplicate-escaped-name", "sh\\u0061pe and shape are one name",
        plain.replace('"shape"', '"sh\\u0061pe"') [:-1] + ', "shape": [2]}')
    dup("ndarray-invalid-json-duplicate-marker", "member __tywrap__ twice",
        '{"__tywrap__": "ndarray", ' + plain[1:])
    dup("ndarray-invalid-json-duplicate-in-extension", "duplicate name inside an x- member's object",
        tail + ', "x-meta": {"a": 1, "a": 1}}')
    dup("ndarray-invalid-json-duplicate-extension", "x- member twice", tail + ', "x-a": 1, "x-a": 2}')
    dup("ndarray-invalid-json-duplicate-non-ascii-escape", "x-\\u00e9 and raw x-\u00e9 are one name",
        tail + ', "x-\\u00e9": 1, "x-\u00e9": 2}')
    dup("ndarray-invalid-json-duplicate-surrogate-pair", "surrogate-pair escape and raw emoji names",
        tail + ', "x-\\ud83d\\ude00": 1, "x-\U0001f600": 2}')

    depth_cl = ["json.depth", "limits.depth", "limits.conformance-defaults"]

    def lim(vid, desc, text, budget=None, tags=None):
        S.invalid(vid, desc, depth_cl, T(text), "E_LIMIT_EXCEEDED", hand(why + " nested deeply"),
                  budget=budget, tags=tags)

    lim("ndarray-invalid-json-depth-129", "x- member arrays reach depth 129",
        tail + ', "x-deep": ' + "[" * 128 + "]" * 128 + "}", tags=["boundary"])
    lim("ndarray-invalid-json-depth-129-objects", "x- member objects reach depth 129",
        tail + ', "x-deep": ' + '{"x": ' * 127 + "{}" + "}" * 127 + "}", tags=["boundary"])
    lim("ndarray-invalid-json-depth-129-in-data", "data arrays reach depth 129",
        plain.replace("[1.5, 2.5]", "[" * 128 + "1.5" + "]" * 128))
    S.invalid("ndarray-invalid-input-one-byte-over-max-input-bytes",
              "envelope padded with spaces to max_input_bytes + 1 bytes",
              ["limits.input-bytes", "limits.conformance-defaults", "vector.input", "vector.budget"],
              {"concat": [{"text": plain}, {"text": " ", "repeat": 268435456 + 1 - len(plain.encode())}]},
              "E_LIMIT_EXCEEDED",
              hand("an otherwise valid envelope one byte over the default max_input_bytes; "
                   "a decoder rejects it before parsing"),
              budget={"wall_ms": 60000, "rss_mb": 2048}, tags=["hostile", "boundary"])
    S.invalid("ndarray-invalid-json-100001-brackets",
              "100001 unclosed [, deeper than the largest allowed max_depth",
              depth_cl + ["limits.configurable", "vector.budget"], T("[" * 100001), "E_LIMIT_EXCEEDED",
              hand("hostile nesting with no envelope at all"), budget=HOSTILE_BUDGET,
              tags=["hostile"])
    S.invalid("ndarray-invalid-json-100001-objects", "100001 unclosed objects inside an x- member",
              depth_cl + ["limits.configurable", "vector.budget"],
              T(tail + ', "x-deep": ' + '{"a": ' * 100001), "E_LIMIT_EXCEEDED",
              hand(why + " nested deeply"), budget=HOSTILE_BUDGET, tags=["hostile"])

    # one left-to-right pass: the earliest violation wins
    po = ["processing-order"]
    S.invalid("ndarray-invalid-json-duplicate-before-garbage",
              "duplicate key earlier than trailing garbage", DUP + ["json.syntax"],
              T(tail + ', "shape": [2]} x'), "E_JSON_DUPLICATE_KEY", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-nan-before-duplicate", "NaN literal earlier than a duplicate key",
              ["json.syntax", "json.duplicate-keys"],
              T(plain.replace("[1.5, 2.5]", "[NaN, 2.5]")[:-1] + ', "shape": [2]}'),
              "E_JSON_SYNTAX", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-depth-before-duplicate", "depth 129 earlier than a duplicate key",
              depth_cl + ["json.duplicate-keys"],
              T('{"x-deep": ' + "[" * 128 + "]" * 128 + ", " + plain[1:-1] + ', "shape": [2]}'),
              "E_LIMIT_EXCEEDED", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-duplicate-before-depth", "duplicate key earlier than depth 129",
              DUP + depth_cl,
              T(tail + ', "shape": [2], "x-deep": ' + "[" * 128 + "]" * 128 + "}"),
              "E_JSON_DUPLICATE_KEY", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-bad-utf8-before-duplicate",
              "invalid UTF-8 earlier than a duplicate key", UTF + ["json.duplicate-keys"],
              B(tailb + b', "x-note": "\xff", "shape": [2]}'), "E_JSON_SYNTAX", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-syntax-before-envelope",
              "syntax error in a text that is also no envelope", SYN + ["envelope.object"],
              T('[1, 2,]'), "E_JSON_SYNTAX", hand("a non-envelope with a trailing comma"), tags=po)
    S.invalid("ndarray-invalid-json-codec-version-1e400", "codecVersion 1e400 has no value",
              ["envelope.codec-version", "json.numbers"],
              T(plain.replace('"codecVersion": 1,', '"codecVersion": 1e400,')), "E_CODEC_VERSION",
              hand(why))


def envelope_vectors(S: Suite):
    a = build(F64_EXPR)
    je = json_env(a)
    ae = arrow_env(a)
    mut = lambda m: src(F64_EXPR, m)  # noqa: E731

    for vid, desc, value in [
            ("ndarray-invalid-envelope-array", "top-level array", [1.5, 2.5]),
            ("ndarray-invalid-envelope-string", "top-level string", "ndarray"),
            ("ndarray-invalid-envelope-number", "top-level number", 5),
            ("ndarray-invalid-envelope-null", "top-level null", None),
            ("ndarray-invalid-envelope-true", "top-level true", True),
            ("ndarray-invalid-envelope-empty-object", "empty object", {}),
            ("ndarray-invalid-envelope-wrapped-in-array", "a valid envelope inside an array", [je]),
    ]:
        S.invalid(vid, desc, ["envelope.object"] + (["error.object", "vector.schema-valid"]
                                                     if vid.endswith("-array") else []),
                  J(value), "E_NOT_ENVELOPE", hand("JSON value that is not an envelope"),
                  schema_valid=False)
    for vid, desc, env, m in [
            ("ndarray-invalid-envelope-no-marker", "object without __tywrap__",
             without(je, "__tywrap__"), "__tywrap__ removed"),
            ("ndarray-invalid-envelope-marker-misspelled", "marker member spelled __tywrap",
             {("__tywrap" if k == "__tywrap__" else k): v for k, v in je.items()},
             "__tywrap__ renamed __tywrap"),
            ("ndarray-invalid-envelope-marker-uppercase", "marker member spelled __TYWRAP__",
             {("__TYWRAP__" if k == "__tywrap__" else k): v for k, v in je.items()},
             "__tywrap__ renamed __TYWRAP__"),
            ("ndarray-invalid-envelope-bytes-marker", "tywrap bytes envelope marker __type__",
             {"__type__": "bytes", "encoding": "base64", "data": "AP+A"}, None),
    ]:
        S.invalid(vid, desc, ["envelope.object"], J(env), "E_NOT_ENVELOPE",
                  mut(m) if m else hand("tywrap's bytes value form, not an envelope"),
                  schema_valid=False)

    for vid, desc, v in [
            ("ndarray-invalid-envelope-marker-number", "marker 5", 5),
            ("ndarray-invalid-envelope-marker-null", "marker null", None),
            ("ndarray-invalid-envelope-marker-array", "marker [\"ndarray\"]", ["ndarray"]),
            ("ndarray-invalid-envelope-marker-true", "marker true", True),
            ("ndarray-invalid-envelope-marker-object", "marker {\"name\": \"ndarray\"}",
             {"name": "ndarray"})]:
        S.invalid(vid, desc, ["envelope.marker", "envelope.field-types"],
                  J(with_(je, __tywrap__=v)), "E_FIELD_TYPE",
                  mut(f"__tywrap__ set to {json.dumps(v)}"), schema_valid=False)
    for vid, desc, v in [
            ("ndarray-invalid-envelope-marker-dataframe", "reserved marker dataframe", "dataframe"),
            ("ndarray-invalid-envelope-marker-series", "reserved marker series", "series"),
            ("ndarray-invalid-envelope-marker-scipy-sparse", "reserved marker scipy.sparse",
             "scipy.sparse"),
            ("ndarray-invalid-envelope-marker-torch-tensor", "reserved marker torch.tensor",
             "torch.tensor"),
            ("ndarray-invalid-envelope-marker-sklearn", "reserved marker sklearn.estimator",
             "sklearn.estimator"),
            ("ndarray-invalid-envelope-marker-upper", "marker NDARRAY", "NDARRAY"),
            ("ndarray-invalid-envelope-marker-empty", "marker empty string", ""),
            ("ndarray-invalid-envelope-marker-trailing-space", "marker 'ndarray ' with a space",
             "ndarray "),
            ("ndarray-invalid-envelope-marker-cyrillic-a", "marker with a Cyrillic a",
             "nd\u0430rray")]:
        S.invalid(vid, desc, ["envelope.marker"], J(with_(je, __tywrap__=v)), "E_UNKNOWN_MARKER",
                  mut(f"__tywrap__ set to {json.dumps(v)}"), schema_valid=False)
    S.invalid("ndarray-invalid-envelope-dataframe-arrow", "a dataframe envelope as tywrap writes it",
              ["envelope.marker"],
              J({"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "arrow", "b64": ae["b64"]}),
              "E_UNKNOWN_MARKER", mut("marker dataframe, shape and dtype removed"), schema_valid=False)
    S.invalid("ndarray-invalid-envelope-unknown-marker-before-version",
              "unknown marker with codecVersion 2", ["envelope.marker", "envelope.codec-version"],
              J(with_(je, __tywrap__="series", codecVersion=2)), "E_UNKNOWN_MARKER",
              mut("marker series, codecVersion 2"), schema_valid=False, tags=["processing-order"])

    for vid, desc, v in [
            ("ndarray-invalid-codec-version-0", "codecVersion 0", 0),
            ("ndarray-invalid-codec-version-2", "codecVersion 2", 2),
            ("ndarray-invalid-codec-version-minus-1", "codecVersion -1", -1),
            ("ndarray-invalid-codec-version-string", "codecVersion \"1\"", "1"),
            ("ndarray-invalid-codec-version-null", "codecVersion null", None),
            ("ndarray-invalid-codec-version-true", "codecVersion true", True),
            ("ndarray-invalid-codec-version-false", "codecVersion false", False),
            ("ndarray-invalid-codec-version-1-5", "codecVersion 1.5", 1.5),
            ("ndarray-invalid-codec-version-next-double", "codecVersion 1.0000000000000002",
             1.0000000000000002),
            ("ndarray-invalid-codec-version-array", "codecVersion [1]", [1]),
            ("ndarray-invalid-codec-version-object", "codecVersion {\"v\": 1}", {"v": 1})]:
        S.invalid(vid, desc, ["envelope.codec-version"], J(with_(je, codecVersion=v)),
                  "E_CODEC_VERSION", mut(f"codecVersion set to {json.dumps(v)}"),
                  schema_valid=False)
    S.invalid("ndarray-invalid-codec-version-before-encoding", "codecVersion 2 and no encoding",
              ["envelope.codec-version", "envelope.encoding"],
              J(without(with_(je, codecVersion=2), "encoding")), "E_CODEC_VERSION",
              mut("codecVersion 2, encoding removed"), schema_valid=False, tags=["processing-order"])

    S.invalid("ndarray-invalid-encoding-missing", "encoding member absent",
              ["envelope.encoding", "envelope.required-fields"], J(without(je, "encoding")),
              "E_MISSING_FIELD", mut("encoding removed"), schema_valid=False)
    S.invalid("ndarray-invalid-encoding-missing-v0", "v0 envelope without encoding",
              ["envelope.encoding", "envelope.required-fields", "envelope.legacy-v0"],
              J(without(je, "encoding", "codecVersion")), "E_MISSING_FIELD",
              mut("encoding and codecVersion removed"), schema_valid=False)
    for vid, desc, v in [
            ("ndarray-invalid-encoding-number", "encoding 5", 5),
            ("ndarray-invalid-encoding-null", "encoding null", None),
            ("ndarray-invalid-encoding-array", "encoding [\"json\"]", ["json"])]:
        S.invalid(vid, desc, ["envelope.encoding", "envelope.field-types"],
                  J(with_(je, encoding=v)), "E_FIELD_TYPE", mut(f"encoding set to {json.dumps(v)}"),
                  schema_valid=False)
    for vid, desc, v, first_cl in [
            ("ndarray-invalid-encoding-base64", "encoding base64", "base64", "envelope.encoding"),
            ("ndarray-invalid-encoding-ndarray", "encoding ndarray (torch's nesting encoding)",
             "ndarray", "ndarray.encodings"),
            ("ndarray-invalid-encoding-upper", "encoding ARROW", "ARROW", "ndarray.encodings"),
            ("ndarray-invalid-encoding-empty", "encoding empty string", "", "envelope.encoding"),
            ("ndarray-invalid-encoding-utf8-slice", "encoding utf8-slice", "utf8-slice",
             "envelope.encoding")]:
        other = "ndarray.encodings" if first_cl == "envelope.encoding" else "envelope.encoding"
        S.invalid(vid, desc, [first_cl, other], J(with_(ae, encoding=v)), "E_ENCODING_UNSUPPORTED",
                  src(F64_EXPR, f"arrow envelope, encoding set to {json.dumps(v)}"),
                  schema_valid=False)
    S.invalid("ndarray-invalid-encoding-before-unknown-field",
              "unsupported encoding and an unknown member", ["envelope.encoding",
                                                            "envelope.unknown-fields"],
              J(with_(je, encoding="msgpack", order="C")), "E_ENCODING_UNSUPPORTED",
              mut("encoding msgpack, member order added"), schema_valid=False,
              tags=["processing-order"])

    UF = ["envelope.unknown-fields", "ndarray.members"]
    for vid, desc, env, m in [
            ("ndarray-invalid-unknown-member-order", "unknown member order",
             with_(je, order="F"), "member order: \"F\" added"),
            ("ndarray-invalid-unknown-member-uppercase-x", "member X-meta is no extension",
             {**je, "X-meta": 1}, "member X-meta added"),
            ("ndarray-invalid-unknown-member-x-underscore", "member x_meta is no extension",
             with_(je, x_meta=1), "member x_meta added"),
            ("ndarray-invalid-unknown-member-name", "series member name on an ndarray",
             with_(je, name="s"), "member name added"),
            ("ndarray-invalid-unknown-member-empty-name", "member with an empty name",
             {**je, "": 1}, "member \"\" added"),
            ("ndarray-invalid-unknown-member-data-in-arrow", "data member in an arrow envelope",
             with_(ae, data=[1.5, 2.5]), "arrow envelope, data added"),
            ("ndarray-invalid-unknown-member-b64-in-json", "b64 member in a json envelope",
             with_(je, b64=ae["b64"]), "json envelope, b64 added"),
            ("ndarray-invalid-unknown-member-data-instead-of-b64",
             "arrow envelope with data in place of b64",
             with_(without(ae, "b64"), data=[1.5, 2.5]), "arrow envelope, b64 replaced by data"),
            ("ndarray-invalid-unknown-member-v0", "v0 envelope with an unknown member",
             with_(without(je, "codecVersion"), order="C"), "codecVersion removed, order added"),
    ]:
        first_cl = ["ndarray.members", "envelope.unknown-fields"] if "in-" in vid or \
            "instead" in vid else UF
        cl = first_cl + (["envelope.legacy-v0"] if vid.endswith("-v0") else [])
        tags = ["processing-order"] if "instead" in vid else None
        S.invalid(vid, desc, cl, J(env), "E_UNKNOWN_FIELD", mut(m), schema_valid=False, tags=tags)


def ndarray_member_vectors(S: Suite):
    a = build(F64_EXPR)
    je, ae = json_env(a), arrow_env(a)
    REQ = ["ndarray.required", "envelope.required-fields"]
    for vid, desc, env, m in [
            ("ndarray-invalid-required-arrow-dtype", "v1 arrow without dtype", without(ae, "dtype"),
             "dtype removed"),
            ("ndarray-invalid-required-arrow-shape", "v1 arrow without shape", without(ae, "shape"),
             "shape removed"),
            ("ndarray-invalid-required-arrow-b64", "v1 arrow without b64", without(ae, "b64"),
             "b64 removed"),
            ("ndarray-invalid-required-json-dtype", "v1 json without dtype", without(je, "dtype"),
             "dtype removed"),
            ("ndarray-invalid-required-json-shape", "v1 json without shape", without(je, "shape"),
             "shape removed"),
            ("ndarray-invalid-required-json-data", "v1 json without data", without(je, "data"),
             "data removed"),
            ("ndarray-invalid-required-arrow-all", "v1 arrow with only the common members",
             without(ae, "dtype", "shape", "b64"), "dtype, shape and b64 removed")]:
        S.invalid(vid, desc, REQ, J(env), "E_MISSING_FIELD", src(F64_EXPR, m), schema_valid=False)
    S.invalid("ndarray-invalid-required-before-dtype", "shape missing and dtype complex128",
              REQ + ["ndarray.dtype.table"], J(with_(without(ae, "shape"), dtype="complex128")),
              "E_MISSING_FIELD", src(F64_EXPR, "shape removed, dtype complex128"),
              schema_valid=False, tags=["processing-order"])

    V0 = ["ndarray.legacy-v0", "envelope.legacy-v0", "envelope.required-fields"]
    for vid, desc, env, m in [
            ("ndarray-invalid-v0-json-no-dtype", "v0 json without dtype",
             without(je, "codecVersion", "dtype"), "codecVersion and dtype removed"),
            ("ndarray-invalid-v0-json-no-dtype-no-shape", "v0 json without dtype and shape",
             without(je, "codecVersion", "dtype", "shape"), "codecVersion, dtype, shape removed"),
            ("ndarray-invalid-v0-json-no-data", "v0 json without data",
             without(je, "codecVersion", "data"), "codecVersion and data removed"),
            ("ndarray-invalid-v0-arrow-no-b64", "v0 arrow without b64",
             without(ae, "codecVersion", "b64"), "codecVersion and b64 removed")]:
        S.invalid(vid, desc, V0, J(env), "E_MISSING_FIELD", src(F64_EXPR, m), schema_valid=False)

    TYPE_MISSING = ["ndarray.legacy-v0", "ndarray.arrow.type", "envelope.legacy-v0"]
    for vid, desc, expr, n, shape in [
            ("ndarray-invalid-v0-arrow-utf8-no-dtype", "v0 arrow Utf8 column without dtype",
             "np.array(['a', 'bc'])", 2, True),
            ("ndarray-invalid-v0-arrow-utf8-no-dtype-no-shape",
             "v0 arrow Utf8 column without dtype and shape", "np.array(['a', 'bc'])", 2, False),
            ("ndarray-invalid-v0-arrow-binary-no-dtype", "v0 arrow Binary column without dtype",
             "np.array([b'a', b'bc'])", 2, True)]:
        env = without(arrow_env(build(expr)), "codecVersion", "dtype")
        if not shape:
            env = without(env, "shape")
        S.invalid(vid, desc, TYPE_MISSING, J(env), "E_MISSING_FIELD",
                  src(expr, "codecVersion and dtype removed" + ("" if shape else ", shape removed")),
                  schema_valid=True)
    for vid, desc, expr, n in [
            ("ndarray-invalid-v0-arrow-date64-no-dtype", "v0 arrow Date64 column without dtype",
             "pa.array([0, 86400000], pa.date64())", 2),
            ("ndarray-invalid-v0-arrow-timestamp-tz-no-dtype",
             "v0 arrow Timestamp with timezone without dtype",
             "pa.array([0, 1], pa.timestamp('ns', tz='UTC'))", 2),
            ("ndarray-invalid-v0-arrow-large-utf8-no-dtype", "v0 arrow LargeUtf8 without dtype",
             "pa.array(['a', 'bc'], pa.large_string())", 2),
            ("ndarray-invalid-v0-arrow-list-no-dtype", "v0 arrow list<int64> without dtype",
             "pa.array([[1], [2, 3]])", 2),
            ("ndarray-invalid-v0-arrow-decimal-no-dtype", "v0 arrow decimal128 without dtype",
             "pa.array([1, 2], pa.decimal128(5, 2))", 2)]:
        env = {"__tywrap__": "ndarray", "encoding": "arrow",
               "b64": b64(column_stream(build(expr))), "shape": [n]}
        S.invalid(vid, desc, TYPE_MISSING, J(env), "E_MISSING_FIELD",
                  src(expr, "one-column stream; envelope without codecVersion and dtype"),
                  schema_valid=True)


UNSUPPORTED_DTYPES = [
    # (id slug, dtype string, reason for the description)
    ("complex128", "complex128", "complex"),
    ("complex64", "complex64", "complex"),
    ("object", "object", "object"),
    ("object-o", "O", "object code O"),
    ("float128", "float128", "extended precision"),
    ("longdouble", "longdouble", "extended precision"),
    ("big-endian-int32", ">i4", "big-endian"),
    ("big-endian-float64", ">f8", "big-endian"),
    ("big-endian-str", ">U2", "big-endian"),
    ("little-f8", "<f8", "another spelling of float64"),
    ("f8", "f8", "another spelling of float64"),
    ("double", "double", "another spelling of float64"),
    ("int", "int", "another spelling"),
    ("float", "float", "another spelling"),
    ("str", "str", "another spelling"),
    ("bool-underscore", "bool_", "another spelling of bool"),
    ("question-mark", "?", "another spelling of bool"),
    ("uint", "uint", "another spelling"),
    ("v8", "V8", "void"),
    ("structured", "[('x', '<i4')]", "structured"),
    ("datetime64-y", "datetime64[Y]", "unit outside the table"),
    ("datetime64-h", "datetime64[h]", "unit outside the table"),
    ("datetime64-ps", "datetime64[ps]", "unit outside the table"),
    ("datetime64-generic", "datetime64", "generic datetime64"),
    ("timedelta64-generic", "timedelta64", "generic timedelta64"),
    ("timedelta64-d", "timedelta64[D]", "unit outside the table"),
    ("datetime64-lower-d", "datetime64[d]", "unit letter case"),
    ("datetime64-upper-ns", "datetime64[NS]", "unit letter case"),
    ("str-width-0", "<U0", "width 0"),
    ("str-width-leading-zero", "<U01", "leading zero in the width"),
    ("str-no-width", "<U", "width missing"),
    ("str-width-negative", "<U-1", "negative width"),
    ("str-width-plus", "<U+1", "width with a plus sign"),
    ("str-width-fraction", "<U1.0", "width 1.0"),
    ("str-width-arabic-digit", "<U\u0663", "width in an Arabic-Indic digit"),
    ("str-width-10-digits", "<U1000000000", "width of ten digits"),
    ("str-width-2-64", "<U18446744073709551616", "width 2^64"),
    ("bytes-width-10-digits", "|S1000000000", "width of ten digits"),
    ("str-no-byte-order", "U2", "byte order character missing"),
    ("bytes-no-pipe", "S2", "byte order character missing"),
    ("bytes-little", "<S2", "wrong byte order character"),
    ("str-pipe", "|U2", "wrong byte order character"),
    ("bytes-width-0", "|S0", "width 0"),
    ("uppercase", "Float64", "letter case"),
    ("leading-space", " float64", "leading space"),
    ("trailing-space", "float64 ", "trailing space"),
    ("empty", "", "empty string"),
    ("trailing-nul", "float64\u0000", "trailing NUL character"),
    ("bfloat16", "bfloat16", "not in the table"),
    ("int128", "int128", "not in the table"),
    ("float8", "float8_e4m3fn", "not in the table"),
]


def dtype_vectors(S: Suite):
    a = build(F64_EXPR)
    je, ae = json_env(a), arrow_env(a)
    for vid, desc, v in [
            ("ndarray-invalid-dtype-type-number", "dtype 5", 5),
            ("ndarray-invalid-dtype-type-null", "dtype null", None),
            ("ndarray-invalid-dtype-type-array", "dtype [\"float64\"]", ["float64"]),
            ("ndarray-invalid-dtype-type-true", "dtype true", True),
            ("ndarray-invalid-dtype-type-object", "dtype {\"name\": \"float64\"}", {"name": "float64"})]:
        S.invalid(vid, desc, ["ndarray.dtype.table", "envelope.field-types"],
                  J(with_(ae, dtype=v)), "E_FIELD_TYPE", src(F64_EXPR, f"dtype set to {json.dumps(v)}"),
                  schema_valid=False)
    for slug, dt, why in UNSUPPORTED_DTYPES:
        S.invalid(f"ndarray-invalid-dtype-{slug}", f"dtype {json.dumps(dt)} ({why})",
                  ["ndarray.dtype.table"], J(with_(ae, dtype=dt)), "E_DTYPE_UNSUPPORTED",
                  src(F64_EXPR, f"dtype set to {json.dumps(dt)}"), schema_valid=False)
    S.invalid("ndarray-invalid-dtype-json-complex128", "json envelope with dtype complex128",
              ["ndarray.dtype.table"], J(with_(je, dtype="complex128")), "E_DTYPE_UNSUPPORTED",
              src(F64_EXPR, "dtype set to complex128"), schema_valid=False)
    S.invalid("ndarray-invalid-dtype-before-shape", "dtype complex128 and shape [-1]",
              ["ndarray.dtype.table", "ndarray.shape.items"],
              J(with_(ae, dtype="complex128", shape=[-1])), "E_DTYPE_UNSUPPORTED",
              src(F64_EXPR, "dtype complex128, shape [-1]"), schema_valid=False,
              tags=["processing-order"])

    JD = ["ndarray.json.dtypes"]
    for vid, desc, expr, dt, data in [
            ("ndarray-invalid-json-dtype-datetime64-ns", "json envelope with dtype datetime64[ns]",
             "np.array([0, 1]).astype('datetime64[ns]')", "datetime64[ns]", [0, 1]),
            ("ndarray-invalid-json-dtype-datetime64-d", "json envelope with dtype datetime64[D]",
             "np.array(['2024-01-01', '2024-01-02'], dtype='datetime64[D]')", "datetime64[D]",
             ["2024-01-01", "2024-01-02"]),
            ("ndarray-invalid-json-dtype-timedelta64-s", "json envelope with dtype timedelta64[s]",
             "np.array([5, -3], dtype='timedelta64[s]')", "timedelta64[s]", [5, -3]),
            ("ndarray-invalid-json-dtype-str", "json envelope with dtype <U2",
             "np.array(['ab', 'c'])", "<U2", ["ab", "c"]),
            ("ndarray-invalid-json-dtype-bytes", "json envelope with dtype |S2",
             "np.array([b'ab', b'c'])", "|S2", ["ab", "c"])]:
        S.invalid(vid, desc, JD, J(env_json_raw(data, [2], dt)), "E_DTYPE_UNSUPPORTED",
                  hand(f"tywrap's json producer refuses {expr}; this is the envelope it would need"),
                  schema_valid=False)
    S.invalid("ndarray-invalid-shape-before-json-dtype", "json datetime64[ns] with shape [-1]",
              ["ndarray.shape.items", "ndarray.json.dtypes"],
              J(env_json_raw([0], [-1], "datetime64[ns]")), "E_SHAPE_INVALID",
              hand("datetime64[ns] json envelope with a negative shape entry"), schema_valid=False,
              tags=["processing-order"])
    S.invalid("ndarray-invalid-json-dtype-before-nesting",
              "json datetime64[ns] whose data is also nested wrongly",
              ["ndarray.json.dtypes", "ndarray.json.nesting"],
              J(env_json_raw([[0], [1, 2]], [2], "datetime64[ns]")), "E_DTYPE_UNSUPPORTED",
              hand("datetime64[ns] with mis-nested data"), schema_valid=False,
              tags=["processing-order"])


def shape_vectors(S: Suite):
    a = build(F64_EXPR)
    je, ae = json_env(a), arrow_env(a)
    for vid, desc, v in [
            ("ndarray-invalid-shape-string", "shape \"3\"", "3"),
            ("ndarray-invalid-shape-number", "shape 2", 2),
            ("ndarray-invalid-shape-null", "shape null", None),
            ("ndarray-invalid-shape-true", "shape true", True),
            ("ndarray-invalid-shape-object", "shape {\"0\": 2}", {"0": 2})]:
        S.invalid(vid, desc, ["ndarray.shape.items", "envelope.field-types"],
                  J(with_(ae, shape=v)), "E_FIELD_TYPE", src(F64_EXPR, f"shape set to {json.dumps(v)}"),
                  schema_valid=False)
    SI = ["ndarray.shape.items"]
    for vid, desc, v, env in [
            ("ndarray-invalid-shape-negative", "shape [-1]", [-1], ae),
            ("ndarray-invalid-shape-negative-json", "json envelope with shape [-1]", [-1], je),
            ("ndarray-invalid-shape-fraction", "shape [1.5]", [1.5], ae),
            ("ndarray-invalid-shape-string-item", "shape [\"3\"]", ["3"], ae),
            ("ndarray-invalid-shape-null-item", "shape [null]", [None], ae),
            ("ndarray-invalid-shape-true-item", "shape [true]", [True], ae),
            ("ndarray-invalid-shape-nested", "shape [[2]]", [[2]], ae),
            ("ndarray-invalid-shape-object-item", "shape [{}]", [{}], ae),
            ("ndarray-invalid-shape-2-53", "shape [2^53], one past the integer range", [2**53], ae),
            ("ndarray-invalid-shape-2-62", "shape [2^62]", [2**62], ae),
            ("ndarray-invalid-shape-0-and-2-62", "shape [0, 2^62]: a zero does not excuse 2^62",
             [0, 2**62], je),
            ("ndarray-invalid-shape-2-64", "shape [2, 2^64]", [2, 2**64], ae),
            ("ndarray-invalid-shape-negative-fraction", "shape [2, -0.5]", [2, -0.5], ae)]:
        m = f"shape set to {json.dumps(v)}"
        data_note = {"data": []} if v == [0, 2**62] else {}
        S.invalid(vid, desc, SI, J(with_(env, shape=v, **data_note)), "E_SHAPE_INVALID",
                  src(F64_EXPR, m + (", data []" if data_note else "")), schema_valid=False)
    plain_ae = dumps_env(ae)
    for vid, desc, text in [
            ("ndarray-invalid-shape-1e400", "shape [1e400], a number without a value",
             plain_ae.replace('"shape": [2]', '"shape": [1e400]')),
            ("ndarray-invalid-shape-rounds-to-2-53", "shape [9007199254740993] denotes 2^53",
             plain_ae.replace('"shape": [2]', '"shape": [9007199254740993]'))]:
        S.invalid(vid, desc, SI + ["json.numbers"], T(text), "E_SHAPE_INVALID",
                  hand("hand-edited JSON text of tywrap's envelope for " + F64_EXPR))
    S.invalid("ndarray-invalid-shape-item-before-ndim", "65 shape entries, the last one -1",
              SI + ["limits.ndim"], J(with_(ae, shape=[1] * 64 + [-1])), "E_SHAPE_INVALID",
              src(F64_EXPR, "shape set to 64 ones and -1"), schema_valid=False,
              tags=["processing-order"])

    one_expr = "np.array([1.5])"
    one = build(one_expr)
    one_env = arrow_env(one)
    empty = producer_payload(np.zeros((0,)))
    true_payload = producer_payload(np.array([True]))
    a_payload = producer_payload(np.array(["a"]))
    LIM = ["limits.conformance-defaults"]
    H, BND, PO = ["hostile"], ["boundary"], ["processing-order"]
    for vid, desc, expr, env, m, clauses, budget, tags in [
            ("ndarray-invalid-limit-ndim-65", "65 dimensions of 1", one_expr,
             with_(one_env, shape=[1] * 65), "shape [1] -> 65 ones",
             ["limits.ndim", "limits.configurable"], None, BND),
            ("ndarray-invalid-limit-ndim-65-json", "json envelope with 65 dimensions of 1", one_expr,
             with_(json_env(one), shape=[1] * 65, data=_nest([1.5], 64)),
             "shape 65 ones, data nested 65 deep", ["limits.ndim"], None, BND),
            ("ndarray-invalid-limit-elements-2-28-plus-1",
             "bool shape [2^28+1], one past max_elements", "np.array([True])",
             env_arrow_raw(true_payload, [2**28 + 1], "bool"), "shape [268435457]",
             ["limits.elements"], HOSTILE_BUDGET, BND),
            ("ndarray-invalid-limit-elements-json", "json bool shape [2^28+1] with data []",
             "np.zeros((0,), dtype=bool)", env_json_raw([], [2**28 + 1], "bool"),
             "shape [268435457]", ["limits.elements"], HOSTILE_BUDGET, None),
            ("ndarray-invalid-limit-elements-2-31-cubed", "shape [2^31, 2^31, 2^31]", one_expr,
             with_(one_env, shape=[2**31] * 3), "shape [2147483648] * 3",
             ["limits.elements", "limits.configurable"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-elements-wraps-to-zero",
             "shape [2^32, 2^32]: a 64-bit product wraps to 0", "np.zeros((0,))",
             env_arrow_raw(empty, [2**32, 2**32], "float64"),
             "shape [4294967296, 4294967296]", ["limits.elements"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-elements-max-squared", "shape [2^53-1, 2^53-1]", one_expr,
             with_(one_env, shape=[MAX_SAFE, MAX_SAFE]), "shape [2^53-1, 2^53-1]",
             ["limits.elements"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-elements-max-times-2", "shape [2^53-1, 2, 1]: product past 2^53",
             one_expr, with_(one_env, shape=[MAX_SAFE, 2, 1]), "shape [2^53-1, 2, 1]",
             ["limits.elements"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-decoded-bytes-float64", "float64 shape [2^25+1] is 2^28+8 bytes",
             one_expr, with_(one_env, shape=[2**25 + 1]), "shape [33554433]",
             ["limits.decoded-bytes"], HOSTILE_BUDGET, BND),
            ("ndarray-invalid-limit-decoded-bytes-str", "<U67108865 shape [1] is 2^28+4 bytes",
             "np.array(['a'])", env_arrow_raw(a_payload, [1], "<U67108865"), "dtype <U67108865",
             ["limits.decoded-bytes", "ndarray.dtype.table"], HOSTILE_BUDGET, BND),
            ("ndarray-invalid-limit-decoded-bytes-bytes", "|S268435457 shape [1]",
             "np.array([b'a'])", env_arrow_raw(producer_payload(np.array([b"a"])), [1],
                                               "|S268435457"),
             "dtype |S268435457", ["limits.decoded-bytes"], HOSTILE_BUDGET, BND),
            ("ndarray-invalid-limit-decoded-bytes-str-max-width",
             "<U999999999 shape [1], the widest dtype, is 4 GB", "np.array(['a'])",
             env_arrow_raw(a_payload, [1], "<U999999999"), "dtype <U999999999",
             ["limits.decoded-bytes", "ndarray.dtype.table"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-decoded-bytes-before-json-dtype",
             "json datetime64[ns] shape [2^28] passes max_elements, not max_decoded_bytes",
             "np.zeros((0,), dtype='datetime64[ns]')",
             env_json_raw([], [2**28], "datetime64[ns]"), "json envelope, shape [268435456]",
             ["limits.decoded-bytes", "ndarray.json.dtypes"], HOSTILE_BUDGET, PO),
            ("ndarray-invalid-limit-ndim-before-elements", "65 dimensions of 2^31", one_expr,
             with_(one_env, shape=[2**31] * 65), "shape [2147483648] * 65",
             ["limits.ndim", "limits.elements"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-before-base64", "shape over max_elements and b64 not base64",
             one_expr, with_(one_env, shape=[2**29], b64="not base64!"),
             "shape [536870912], b64 'not base64!'", ["limits.elements", "ndarray.arrow.base64"],
             HOSTILE_BUDGET, PO)]:
        S.invalid(vid, desc, clauses + LIM, J(env), "E_LIMIT_EXCEEDED", src(expr, m),
                  schema_valid=not vid.endswith(("before-base64", "before-json-dtype", "ndim-65",
                                                 "ndim-65-json", "ndim-before-elements")),
                  budget=budget, tags=tags)

    # at the limits exactly: the limits pass, the payload then disagrees with the shape
    for vid, desc, expr, env, m in [
            ("ndarray-invalid-length-bool-2-28", "bool shape [2^28] passes the limits; 1 row",
             "np.array([True])", env_arrow_raw(true_payload, [2**28], "bool"), "shape [268435456]"),
            ("ndarray-invalid-length-float64-2-25", "float64 shape [2^25] is 2^28 bytes; 1 row",
             one_expr, with_(one_env, shape=[2**25]), "shape [33554432]"),
            ("ndarray-invalid-length-str-max-width", "<U67108864 shape [1] is 2^28 bytes; no rows",
             "np.zeros((0,), dtype='<U1')",
             env_arrow_raw(producer_payload(np.zeros((0,), dtype="<U1")), [1], "<U67108864"),
             "shape [1], dtype <U67108864")]:
        S.invalid(vid, desc, ["ndarray.arrow.length", "limits.elements", "limits.decoded-bytes"],
                  J(env), "E_SHAPE_MISMATCH", src(expr, m), schema_valid=True,
                  budget=HOSTILE_BUDGET, tags=["boundary"])


def _nest(x, levels):
    for _ in range(levels):
        x = [x]
    return x


B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def base64_vectors(S: Suite):
    e3x = "np.arange(3)"
    e3 = arrow_env(build(e3x))
    t3 = e3["b64"]
    assert "+" in t3 and "/" in t3 and not t3.endswith("=")
    e2x = "np.array([1, 2], dtype=np.int32)"
    e2 = arrow_env(build(e2x))
    t2 = e2["b64"]
    assert t2.endswith("A=") and not t2.endswith("==")
    e1x = "np.arange(3.0)"
    e1 = arrow_env(build(e1x))
    t1 = e1["b64"]
    assert t1.endswith("AA==")

    def bump(text, pos):
        i = B64_ALPHABET.index(text[pos])
        return text[:pos] + B64_ALPHABET[i + 1] + text[pos + 1:]

    p3 = producer_payload(build(e3x))
    for vid, desc, (expr, env), b, m in [
            ("ndarray-invalid-base64-space", "a space inside b64", (e3x, e3), t3[:40] + " " + t3[40:],
             "space inserted at 40"),
            ("ndarray-invalid-base64-leading-space", "b64 starting with a space", (e3x, e3), " " + t3,
             "leading space"),
            ("ndarray-invalid-base64-trailing-space", "b64 ending with a space", (e3x, e3), t3 + " ",
             "trailing space"),
            ("ndarray-invalid-base64-tab", "a tab inside b64", (e3x, e3), t3[:4] + "\t" + t3[4:],
             "tab inserted at 4"),
            ("ndarray-invalid-base64-mime-lines", "b64 broken into 76-character lines", (e3x, e3),
             "\n".join(t3[i:i + 76] for i in range(0, len(t3), 76)), "LF every 76 characters"),
            ("ndarray-invalid-base64-trailing-crlf", "b64 ending with CR LF", (e3x, e3), t3 + "\r\n",
             "CR LF appended"),
            ("ndarray-invalid-base64-url-safe", "b64 in the URL-safe alphabet", (e3x, e3),
             t3.replace("+", "-").replace("/", "_"), "+ -> -, / -> _"),
            ("ndarray-invalid-base64-one-url-safe-char", "one _ in otherwise standard b64", (e3x, e3),
             t3.replace("/", "_", 1), "first / -> _"),
            ("ndarray-invalid-base64-missing-double-padding", "b64 without its == padding",
             (e1x, e1), t1[:-2], "== removed"),
            ("ndarray-invalid-base64-missing-single-padding", "b64 without its = padding",
             (e2x, e2), t2[:-1], "= removed"),
            ("ndarray-invalid-base64-half-padding", "b64 with = where == belongs", (e1x, e1), t1[:-1],
             "last = removed"),
            ("ndarray-invalid-base64-extra-padding", "b64 followed by ====", (e3x, e3), t3 + "====",
             "==== appended"),
            ("ndarray-invalid-base64-padding-in-middle", "a padded group followed by more b64",
             (e3x, e3), b64(p3[:1]) + b64(p3[1:]), "first byte encoded separately, padding kept"),
            ("ndarray-invalid-base64-equals-in-middle", "one symbol replaced by =", (e3x, e3),
             t3[:8] + "=" + t3[9:], "symbol 8 -> ="),
            ("ndarray-invalid-base64-unused-bits-double", "non-zero unused bits before ==", (e1x, e1),
             bump(t1, -3), "last symbol before == bumped so its low 4 bits are 0001"),
            ("ndarray-invalid-base64-unused-bits-single", "non-zero unused bits before =", (e2x, e2),
             bump(t2, -2), "last symbol before = bumped so its low 2 bits are 01"),
            ("ndarray-invalid-base64-length-not-multiple-4", "b64 with its last symbol removed",
             (e3x, e3), t3[:-1], "last symbol removed"),
            ("ndarray-invalid-base64-non-ascii", "an e-acute inside b64", (e3x, e3),
             t3[:8] + "\u00e9" + t3[9:], "symbol 8 -> U+00E9"),
            ("ndarray-invalid-base64-nul", "a NUL character inside b64", (e3x, e3),
             t3[:8] + "\u0000" + t3[9:], "symbol 8 -> U+0000"),
            ("ndarray-invalid-base64-only-padding", "b64 ====", (e3x, e3), "====", "b64 -> ===="),
            ("ndarray-invalid-base64-one-symbol", "b64 of one symbol", (e3x, e3), "A", "b64 -> A"),
            ("ndarray-invalid-base64-three-padding", "b64 A===", (e3x, e3), "A===", "b64 -> A===")]:
        assert b != env["b64"]
        S.invalid(vid, desc, ["ndarray.arrow.base64"], J(with_(env, b64=b)), "E_BASE64",
                  src(expr, m), schema_valid=False)
    for vid, desc, v in [
            ("ndarray-invalid-base64-number", "b64 5", 5),
            ("ndarray-invalid-base64-null", "b64 null", None),
            ("ndarray-invalid-base64-array", "b64 as an array of one string", [t3]),
            ("ndarray-invalid-base64-bytes-array", "b64 as an array of byte values", [255, 255])]:
        S.invalid(vid, desc, ["ndarray.arrow.base64", "envelope.field-types"],
                  J(with_(e3, b64=v)), "E_FIELD_TYPE", src(e3x, "b64 replaced by a non-string"),
                  schema_valid=False)
    f = pa.BufferOutputStream()
    t = pa.Table.from_arrays([pa.array(np.arange(3))], names=["value"])
    with pa.ipc.new_file(f, t.schema) as w:
        w.write_table(t)
    file_b64 = b64(f.getvalue().to_pybytes()) + "\n"
    S.invalid("ndarray-invalid-base64-before-stream", "IPC file payload whose b64 also ends in LF",
              ["ndarray.arrow.base64", "ndarray.arrow.stream"], J(with_(e3, b64=file_b64)),
              "E_BASE64", src("pa.ipc.new_file(sink, table.schema).write_table(table)",
                              "IPC file format instead of a stream; LF appended to b64"),
              schema_valid=False, tags=["processing-order"])


def stream_vectors(S: Suite):
    x = "np.arange(3.0)"
    P = producer_payload(build(x))
    ms = messages(P)
    sch, rb, eos = ms
    assert (sch.kind, rb.kind, eos.kind) == ("schema", "recordbatch", "eos")
    EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"
    ST = ["ndarray.arrow.stream"]

    def pl(vid, desc, payload, m, clauses=ST, expr=x, shape=(3,), dtype="float64", budget=None,
           tags=None, source=None):
        assert payload != P or source is not None
        S.invalid(vid, desc, clauses, J(env_arrow_raw(payload, list(shape), dtype)),
                  "E_ARROW_PAYLOAD", source or src(expr, m), schema_valid=True, budget=budget,
                  tags=tags)

    pl("ndarray-invalid-arrow-empty-payload", "empty payload, b64 \"\"", b"", "payload emptied")
    pl("ndarray-invalid-arrow-eos-only", "payload holding only the end-of-stream marker", EOS,
       "payload replaced by the EOS marker")
    f = pa.BufferOutputStream()
    t = pa.Table.from_arrays([pa.array(build(x))], names=["value"])
    with pa.ipc.new_file(f, t.schema) as w:
        w.write_table(t)
    pl("ndarray-invalid-arrow-ipc-file", "IPC file format (ARROW1 magic) instead of a stream",
       f.getvalue().to_pybytes(), "written with pa.ipc.new_file instead of new_stream")
    for vid, desc, cut in [
            ("ndarray-invalid-arrow-truncated-continuation", "payload cut inside the first continuation",
             2),
            ("ndarray-invalid-arrow-truncated-metadata-length", "payload cut inside the metadata length",
             6),
            ("ndarray-invalid-arrow-truncated-schema-metadata", "payload cut inside the schema metadata",
             sch.end - 24),
            ("ndarray-invalid-arrow-truncated-batch-metadata",
             "payload cut inside the record batch metadata", rb.fb + 16),
            ("ndarray-invalid-arrow-truncated-body", "payload cut inside the record batch body",
             rb.body + 8),
            ("ndarray-invalid-arrow-missing-eos", "payload without the end-of-stream marker", rb.end),
            ("ndarray-invalid-arrow-truncated-eos", "payload cut inside the end-of-stream marker",
             rb.end + 4)]:
        pl(vid, desc, P[:cut], f"truncated to {cut} of {len(P)} bytes")
    pl("ndarray-invalid-arrow-legacy-eos", "stream ending with the pre-0.15 4-byte EOS 00000000",
       P[:rb.end] + b"\x00" * 4, "EOS replaced by 00 00 00 00")
    pl("ndarray-invalid-arrow-trailing-zeros", "16 zero bytes after the end-of-stream marker",
       P + bytes(16), "16 zero bytes appended")
    pl("ndarray-invalid-arrow-trailing-byte", "one byte after the end-of-stream marker",
       P + b"\x00", "one zero byte appended")
    pl("ndarray-invalid-arrow-second-eos", "end-of-stream marker twice", P + EOS, "EOS appended")
    pl("ndarray-invalid-arrow-two-streams", "two whole streams back to back", P + P,
       "payload repeated", shape=(6,))
    pl("ndarray-invalid-arrow-second-schema", "a second schema message after the first",
       P[:sch.end] + P[:sch.end] + P[sch.end:], "schema message repeated")
    pl("ndarray-invalid-arrow-schema-after-batch", "a schema message after the record batch",
       P[:rb.end] + P[:sch.end] + EOS, "schema message inserted before EOS")
    pl("ndarray-invalid-arrow-no-schema", "stream starting with the record batch",
       P[sch.end:], "schema message removed")
    sink = pa.BufferOutputStream()
    pa.ipc.write_tensor(pa.Tensor.from_numpy(np.arange(3.0)), sink)
    tensor = sink.getvalue().to_pybytes()
    assert messages(tensor + EOS)[0].kind == "tensor"
    pl("ndarray-invalid-arrow-tensor-message", "a Tensor message between schema and batch",
       P[:sch.end] + tensor + P[sch.end:],
       "pa.ipc.write_tensor(pa.Tensor.from_numpy(np.arange(3.0))) message inserted after the schema")
    dx = "pa.array(['a', 'b', 'a']).dictionary_encode()"
    dpay = column_stream(build(dx))
    assert [m.kind for m in messages(dpay)] == ["schema", "dictionary", "recordbatch", "eos"]
    pl("ndarray-invalid-arrow-dictionary-batch", "dictionary-encoded column: a DictionaryBatch message",
       dpay, "one-column stream of a dictionary array", clauses=ST + ["ndarray.arrow.schema"],
       expr=dx, dtype="<U1")
    for codec in ("zstd", "lz4"):
        cpay = column_stream(pa.array(build(x)), options=pa.ipc.IpcWriteOptions(compression=codec))
        assert first(cpay, "recordbatch").header.field_pos(3) is not None
        pl(f"ndarray-invalid-arrow-compressed-{codec}", f"record batch body compressed with {codec}",
           cpay, f"written with IpcWriteOptions(compression='{codec}')")
    pl("ndarray-invalid-arrow-no-continuation", "pre-0.15 messages without the continuation marker",
       column_stream(pa.array(build(x)), options=pa.ipc.IpcWriteOptions(use_legacy_format=True)),
       "written with IpcWriteOptions(use_legacy_format=True)")
    v4 = column_stream(pa.array(build(x)), options=pa.ipc.IpcWriteOptions(
        metadata_version=pa.ipc.MetadataVersion.V4))
    pl("ndarray-invalid-arrow-metadata-v4", "messages with metadata version V4", v4,
       "written with IpcWriteOptions(metadata_version=MetadataVersion.V4)")
    pl("ndarray-invalid-arrow-metadata-v6", "schema message with an unknown metadata version 5 (V6)",
       patch(P, sch.root.field_pos(0), "<h", 5), "Message.version 4 -> 5")

    # big-endian: a hand-built Schema message with endianness Big, body byte-swapped to match
    ix = "np.arange(3)"
    IP = producer_payload(build(ix))
    irb = first(IP, "recordbatch")
    (_, _, vo, vl) = rb_buffers(IP)[1]
    body = bytearray(IP[irb.pos:irb.end])
    start = irb.body - irb.pos + vo
    for k in range(start, start + vl, 8):
        body[k:k + 8] = body[k:k + 8][::-1]
    be = schema_message_int64(1) + bytes(body) + EOS
    assert pa.ipc.open_stream(be).read_all().column(0).to_pylist() == [0, 1, 2]
    pl("ndarray-invalid-arrow-big-endian", "schema with endianness Big (pyarrow reads it as 0, 1, 2)",
       be, "", dtype="int64",
       source=hand("Schema message built by this generator's flatbuffer writer with endianness Big; "
                   "record batch from pyarrow's stream for np.arange(3) with its values byte-swapped"))

    # corrupted flatbuffers
    pl("ndarray-invalid-arrow-flatbuffer-root-offset", "schema flatbuffer root offset out of bounds",
       patch(P, sch.fb, "<I", 0x7FFFFFF0), "schema Message root offset -> 0x7ffffff0")
    field = sch.header.vector(1)
    fpos = field[2] + _u32(P, field[2])
    name_slot = FbTable(P, fpos).field_pos(0)
    name_pos = name_slot + _u32(P, name_slot)
    assert P[name_pos + 4:name_pos + 9] == b"value"
    pl("ndarray-invalid-arrow-flatbuffer-name-length", "field name string length past the metadata",
       patch(P, name_pos, "<I", 0x7FFFFFFF), "Field.name length 5 -> 0x7fffffff")
    nodes_len_pos = rb.header.vector(1)[0]
    pl("ndarray-invalid-arrow-flatbuffer-nodes-length", "field node vector length past the metadata",
       patch(P, nodes_len_pos, "<I", 0x0FFFFFFF), "RecordBatch.nodes length 1 -> 0x0fffffff")
    vt = rb.header.vt
    pl("ndarray-invalid-arrow-flatbuffer-vtable-size", "record batch vtable size past the metadata",
       patch(P, vt, "<H", 0xFFF0), "RecordBatch vtable size -> 0xfff0")

    # lengths that point outside the bytes present
    HB = HOSTILE_BUDGET
    pl("ndarray-invalid-arrow-metadata-length-negative", "metadata length -2^31",
       patch(P, 4, "<i", -2**31), "schema metadata length -> -2147483648", budget=HB, tags=["hostile"])
    pl("ndarray-invalid-arrow-metadata-length-huge", "metadata length 2^31-1 with 300 bytes present",
       patch(P, 4, "<i", 2**31 - 1), "schema metadata length -> 2147483647", budget=HB,
       tags=["hostile"])
    pl("ndarray-invalid-arrow-metadata-length-past-end", "metadata length a little past the end",
       patch(P, 4, "<i", len(P)), f"schema metadata length -> {len(P)}")
    pl("ndarray-invalid-arrow-metadata-length-zero-first", "metadata length 0 before any schema",
       patch(P, 4, "<i", 0), "schema metadata length -> 0 (an EOS marker first)")
    pl("ndarray-invalid-arrow-body-length-2-40", "record batch bodyLength 2^40",
       patch(P, rb.body_len_pos, "<q", 2**40), "Message.bodyLength -> 2^40", budget=HB,
       tags=["hostile"])
    pl("ndarray-invalid-arrow-body-length-negative", "record batch bodyLength -1",
       patch(P, rb.body_len_pos, "<q", -1), "Message.bodyLength -> -1", tags=["hostile"])
    pl("ndarray-invalid-arrow-body-length-swallows-eos", "bodyLength 8 longer, taking in the EOS",
       patch(P, rb.body_len_pos, "<q", rb.body_len + 8), "Message.bodyLength + 8")
    bufs = rb_buffers(P)
    (off_pos, len_pos, vo, vl) = bufs[1]
    pl("ndarray-invalid-arrow-buffer-past-body", "values buffer starting at the end of the body",
       patch(P, off_pos, "<q", rb.body_len), f"Buffer[1].offset {vo} -> {rb.body_len}")
    pl("ndarray-invalid-arrow-buffer-length-2-40", "values buffer length 2^40",
       patch(P, len_pos, "<q", 2**40), "Buffer[1].length -> 2^40", budget=HB, tags=["hostile"])
    pl("ndarray-invalid-arrow-buffer-offset-negative", "values buffer offset -8",
       patch(P, off_pos, "<q", -8), "Buffer[1].offset -> -8", tags=["hostile"])
    pl("ndarray-invalid-arrow-buffer-offset-2-63", "values buffer offset 2^63-1, overflowing a sum",
       patch(P, off_pos, "<q", 2**63 - 1), "Buffer[1].offset -> 2^63-1", budget=HB, tags=["hostile"])
    # A uint8 column whose values buffer moves 4 bytes into its padding: still
    # inside the body and long enough, so only the alignment rule rejects it.
    u8_expr = "np.array([1, 2, 3], dtype=np.uint8)"
    U8 = producer_payload(build(u8_expr))
    (u8_off_pos, _, u8_vo, u8_vl) = rb_buffers(U8)[1]
    u8_body, u8_body_len = rb_body(U8)
    assert u8_vo + 4 + u8_vl <= u8_body_len
    S.invalid("ndarray-invalid-arrow-buffer-unaligned", "values buffer at an offset that is not a multiple of 8",
              ["ndarray.arrow.stream"], J(env_arrow_raw(patch(U8, u8_off_pos, "<q", u8_vo + 4), [3], "uint8")),
              "E_ARROW_PAYLOAD", src(u8_expr, f"Buffer[1].offset {u8_vo} -> {u8_vo + 4}"), schema_valid=True)
    pl("ndarray-invalid-arrow-no-field-nodes", "record batch with no field node for the column",
       patch(P, nodes_len_pos, "<I", 0), "RecordBatch.nodes length 1 -> 0")
    buffers_len_pos = rb.header.vector(2)[0]
    pl("ndarray-invalid-arrow-no-buffers", "record batch naming no buffers for a float64 column",
       patch(P, buffers_len_pos, "<I", 0), "RecordBatch.buffers length 2 -> 0",
       tags=["interpretation"])
    pl("ndarray-invalid-arrow-values-buffer-short", "values buffer of 16 bytes for 3 float64 values",
       patch(P, len_pos, "<q", 16), "Buffer[1].length 24 -> 16", tags=["interpretation"])

    # Utf8 data that is not UTF-8, and offsets that leave the data buffer
    for vid, desc, expr, n in [
            ("ndarray-invalid-arrow-utf8-invalid-bytes", "Utf8 column holding the bytes ff fe",
             "pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(np.array([0, 2], "
             "dtype='<i4').tobytes()), pa.py_buffer(b'\\xff\\xfe')])", 1),
            ("ndarray-invalid-arrow-utf8-surrogate", "Utf8 column holding an encoded surrogate",
             "pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(np.array([0, 3], "
             "dtype='<i4').tobytes()), pa.py_buffer(b'\\xed\\xa0\\x80')])", 1),
    ]:
        payload = column_stream(build(expr))
        pl(vid, desc, payload, "", clauses=ST + ["ndarray.arrow.strings"], expr=expr, shape=(n,),
           dtype="<U2", tags=["interpretation"],
           source=src(expr, "array from buffers (UTF-8 not validated), written as a stream"))
    # Contents are checked only after the type: the same broken Utf8 column
    # under a float64 dtype is a type mismatch, not a malformed payload.
    expr = ("pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(np.array([0, 2], "
            "dtype='<i4').tobytes()), pa.py_buffer(b'\\xff\\xfe')])")
    S.invalid("ndarray-invalid-arrow-type-before-contents",
              "non-UTF-8 Utf8 column under dtype float64: the type is checked first",
              ["ndarray.arrow.type", "ndarray.arrow.stream"],
              J(env_arrow_raw(column_stream(build(expr)), [1], "float64")), "E_DTYPE_MISMATCH",
              src(expr, "dtype float64 for a Utf8 column"), schema_valid=True, tags=["processing-order"])
    # Buffers hold whole elements: an offsets buffer 3 bytes longer (still
    # inside the body's padding) is malformed. arrow-rs asserted on this.
    expr = "pa.array(['ab'])"
    sp = column_stream(build(expr))
    (o_off_pos, o_len_pos, o_vo, o_vl) = rb_buffers(sp)[1]
    S.invalid("ndarray-invalid-arrow-offsets-buffer-partial-element",
              "Utf8 offsets buffer of 11 bytes: not whole 4-byte offsets",
              ["ndarray.arrow.stream"], J(env_arrow_raw(patch(sp, o_len_pos, "<q", o_vl + 3), [1], "<U2")),
              "E_ARROW_PAYLOAD", src(expr, f"Buffer[1].length {o_vl} -> {o_vl + 3}; found by fuzzing"),
              schema_valid=True)
    expr = "np.array([1, 2, 3], dtype=np.int32)"
    sp = producer_payload(build(expr))
    (_, v_len_pos, _, v_vl) = rb_buffers(sp)[1]
    S.invalid("ndarray-invalid-arrow-values-buffer-partial-element",
              "int32 values buffer of 14 bytes: not whole 4-byte values",
              ["ndarray.arrow.stream"], J(env_arrow_raw(patch(sp, v_len_pos, "<q", v_vl + 2), [3], "int32")),
              "E_ARROW_PAYLOAD", src(expr, f"Buffer[1].length {v_vl} -> {v_vl + 2}"), schema_valid=True)
    for vid, desc, expr, new_offsets in [
            ("ndarray-invalid-arrow-utf8-offsets-past-data", "Utf8 offsets pointing past the data",
             "pa.array(['ab'])", [0, 64]),
            ("ndarray-invalid-arrow-utf8-offsets-decreasing", "Utf8 offsets that decrease",
             "pa.array(['a', 'b'])", [0, 2, 1])]:
        sp = column_stream(build(expr))
        body, _ = rb_body(sp)
        (_, _, oo, ol) = rb_buffers(sp)[1]
        assert ol >= 4 * len(new_offsets)
        for i, v in enumerate(new_offsets):
            sp = patch(sp, body + oo + 4 * i, "<i", v)
        pl(vid, desc, sp, "", clauses=ST + ["ndarray.arrow.strings"], expr=expr,
           shape=(len(new_offsets) - 1,), dtype="<U2", tags=["interpretation"],
           source=src(expr, f"offsets buffer patched to {new_offsets}"))

    # more than one record batch
    BA = ["ndarray.arrow.batches", "ndarray.arrow.stream"]
    tx = "np.arange(4.0)"
    t4 = pa.Table.from_arrays([pa.array(build(tx))], names=["value"])
    two = write_stream(t4.schema, [t4], max_chunksize=2)
    assert [m.kind for m in messages(two)] == ["schema", "recordbatch", "recordbatch", "eos"]
    pl("ndarray-invalid-arrow-two-batches", "two record batches of two rows", two,
       "write_table(table, max_chunksize=2)", clauses=BA, expr=tx, shape=(4,))
    three = write_stream(t4.schema, [t4.slice(0, 3)], max_chunksize=1)
    pl("ndarray-invalid-arrow-three-batches", "three record batches of one row", three,
       "write_table(table.slice(0, 3), max_chunksize=1)", clauses=BA, expr=tx, shape=(3,))
    rbx = "pa.record_batch([pa.array(np.arange(3.0))], names=['value'])"
    full = build(rbx)
    emptyb = full.slice(0, 0)
    pl("ndarray-invalid-arrow-empty-then-full-batch", "an empty record batch before the full one",
       write_stream(full.schema, batches=[emptyb, full]), "write_batch(empty); write_batch(batch)",
       clauses=BA, expr=rbx)
    pl("ndarray-invalid-arrow-two-empty-batches", "two empty record batches for shape [0]",
       write_stream(full.schema, batches=[emptyb, emptyb]), "write_batch(empty) twice",
       clauses=BA, expr=rbx, shape=(0,))
    pl("ndarray-invalid-arrow-batches-before-type", "two record batches and a dtype that differs",
       two, "write_table(table, max_chunksize=2); dtype int64", clauses=BA + ["ndarray.arrow.type"],
       expr=tx, shape=(4,), dtype="int64", tags=["processing-order"])


def schema_type_vectors(S: Suite):
    x = "np.arange(3.0)"
    SC = ["ndarray.arrow.schema"]

    def col(vid, desc, payload, expr, m, code, clauses, shape=(3,), dtype="float64", tags=None,
            source=None):
        S.invalid(vid, desc, clauses, J(env_arrow_raw(payload, list(shape), dtype)), code,
                  source or src(expr, m), schema_valid=True, tags=tags)

    tx = "pa.Table.from_arrays([pa.array(np.arange(3.0)), pa.array(np.arange(3.0))], " \
         "names=['value', 'other'])"
    t = build(tx)
    col("ndarray-invalid-arrow-schema-two-columns", "two columns, the first named value",
        write_stream(t.schema, [t]), tx, "written as a stream", "E_ARROW_SCHEMA", SC)
    tx2 = "pa.Table.from_arrays([pa.array(np.arange(3.0)), pa.array(np.arange(3.0))], " \
          "names=['value', 'value'])"
    t = build(tx2)
    col("ndarray-invalid-arrow-schema-two-value-columns", "two columns both named value",
        write_stream(t.schema, [t]), tx2, "written as a stream", "E_ARROW_SCHEMA", SC)
    for slug, name in [("values", "values"), ("empty-name", ""), ("capitalised", "Value"),
                       ("trailing-space", "value "), ("index-level", "__index_level_0__")]:
        col(f"ndarray-invalid-arrow-schema-column-{slug}", f"one column named {json.dumps(name)}",
            column_stream(pa.array(build(x)), name=name), x, f"column named {json.dumps(name)}",
            "E_ARROW_SCHEMA", SC)
    zx = "pa.schema([])"
    col("ndarray-invalid-arrow-schema-no-columns", "schema with no fields and no batch",
        write_stream(build(zx)), zx, "stream of an empty schema", "E_ARROW_SCHEMA", SC, shape=(0,))
    dx = "pa.array([], pa.string()).dictionary_encode()"
    dpay = column_stream(build(dx))
    assert [m.kind for m in messages(dpay)] == ["schema", "eos"]
    col("ndarray-invalid-arrow-schema-dictionary-field",
        "dictionary-encoded field with zero rows, so no DictionaryBatch", dpay, dx,
        "one-column stream; pyarrow writes no dictionary for zero rows", "E_ARROW_SCHEMA", SC,
        shape=(0,), dtype="<U1")
    col("ndarray-invalid-arrow-schema-before-type", "column named values and of type int32",
        column_stream(pa.array(np.arange(3, dtype=np.int32)), name="values"),
        "pa.array(np.arange(3, dtype=np.int32))", "column named values; dtype float64",
        "E_ARROW_SCHEMA", SC + ["ndarray.arrow.type"], tags=["processing-order"])

    TY = ["ndarray.arrow.type"]
    for slug, expr, dtype in [
            ("int32-as-float32", "pa.array(np.arange(3, dtype=np.int32))", "float32"),
            ("int64-as-uint64", "pa.array(np.arange(3))", "uint64"),
            ("uint64-as-int64", "pa.array(np.arange(3, dtype=np.uint64))", "int64"),
            ("int32-as-int64", "pa.array(np.arange(3, dtype=np.int32))", "int64"),
            ("int64-as-int32", "pa.array(np.arange(3))", "int32"),
            ("int8-as-uint8", "pa.array(np.arange(3, dtype=np.int8))", "uint8"),
            ("float64-as-float16", "pa.array(np.arange(3.0))", "float16"),
            ("uint16-words-as-float16", "pa.array(np.array([15872, 49280, 0], dtype=np.uint16))",
             "float16"),
            ("float32-as-float64", "pa.array(np.arange(3, dtype=np.float32))", "float64"),
            ("float16-as-float32", "pa.array(np.arange(3, dtype=np.float16))", "float32"),
            ("float64-as-int64", "pa.array(np.arange(3.0))", "int64"),
            ("bool-as-uint8", "pa.array(np.array([True, False, True]))", "uint8"),
            ("uint8-as-bool", "pa.array(np.array([1, 0, 1], dtype=np.uint8))", "bool"),
            ("timestamp-utc-as-datetime64-ns", "pa.array([0, 1, 2], pa.timestamp('ns', tz='UTC'))",
             "datetime64[ns]"),
            ("timestamp-ms-as-datetime64-ns", "pa.array([0, 1, 2], pa.timestamp('ms'))",
             "datetime64[ns]"),
            ("int64-as-datetime64-ns", "pa.array(np.arange(3))", "datetime64[ns]"),
            ("timestamp-ns-as-int64", "pa.array([0, 1, 2], pa.timestamp('ns'))", "int64"),
            ("timestamp-s-as-datetime64-d", "pa.array([0, 1, 2], pa.timestamp('s'))",
             "datetime64[D]"),
            ("date64-as-datetime64-d", "pa.array([0, 86400000, 172800000], pa.date64())",
             "datetime64[D]"),
            ("date32-as-datetime64-s", "pa.array([0, 1, 2], pa.date32())", "datetime64[s]"),
            ("int32-as-datetime64-d", "pa.array(np.arange(3, dtype=np.int32))", "datetime64[D]"),
            ("duration-ms-as-timedelta64-ns", "pa.array([0, 1, 2], pa.duration('ms'))",
             "timedelta64[ns]"),
            ("int64-as-timedelta64-s", "pa.array(np.arange(3))", "timedelta64[s]"),
            ("timestamp-as-timedelta64-s", "pa.array([0, 1, 2], pa.timestamp('s'))",
             "timedelta64[s]"),
            ("duration-as-datetime64-s", "pa.array([0, 1, 2], pa.duration('s'))", "datetime64[s]"),
            ("large-utf8-as-str", "pa.array(['a', 'bc', ''], pa.large_string())", "<U2"),
            ("binary-as-str", "pa.array([b'a', b'bc', b''])", "<U2"),
            ("utf8-view-as-str", "pa.array(['a', 'bc', ''], pa.string_view())", "<U2"),
            ("utf8-as-bytes", "pa.array(['a', 'bc', ''])", "|S2"),
            ("large-binary-as-bytes", "pa.array([b'a', b'bc', b''], pa.large_binary())", "|S2"),
            ("fixed-size-binary-as-bytes", "pa.array([b'ab', b'cd', b'ef'], pa.binary(2))", "|S2"),
            ("null-type-as-float64", "pa.nulls(3)", "float64"),
            ("list-as-int64", "pa.array([[1], [2], [3]])", "int64"),
            ("struct-as-int64", "pa.array([{'x': 1}, {'x': 2}, {'x': 3}])", "int64"),
            ("decimal-as-float64", "pa.array([1, 2, 3], pa.decimal128(5, 2))", "float64")]:
        col(f"ndarray-invalid-arrow-type-{slug}",
            f"{slug.split('-as-')[0]} column with dtype {dtype}",
            column_stream(build(expr)), expr, f"one-column stream; dtype {dtype}",
            "E_DTYPE_MISMATCH", TY + (["vector.schema-valid"] if slug == "int32-as-float32" else []),
            dtype=dtype)
    col("ndarray-invalid-arrow-type-before-length", "int32 column of 3 with dtype float32, shape [5]",
        column_stream(pa.array(np.arange(3, dtype=np.int32))), "pa.array(np.arange(3, dtype=np.int32))",
        "dtype float32, shape [5]", "E_DTYPE_MISMATCH", TY + ["ndarray.arrow.length"], shape=(5,),
        dtype="float32", tags=["processing-order"])
    col("ndarray-invalid-arrow-type-null-before-nulls", "null-type column (all null) with dtype int64",
        column_stream(pa.nulls(3)), "pa.nulls(3)", "dtype int64", "E_DTYPE_MISMATCH",
        TY + ["ndarray.arrow.nulls"], dtype="int64", tags=["processing-order"])


def length_null_string_vectors(S: Suite):
    LE = ["ndarray.arrow.length"]

    def pay(vid, desc, payload, expr, m, code, clauses, shape, dtype, tags=None, v0=False):
        env = env_arrow_raw(payload, list(shape), dtype)
        if v0:
            env = without(env, "codecVersion")
        S.invalid(vid, desc, clauses, J(env), code, src(expr, m), schema_valid=True, tags=tags)

    for vid, desc, expr, shape in [
            ("ndarray-invalid-arrow-length-5-rows-2x3", "5 rows for shape [2, 3]", "np.arange(5.0)",
             (2, 3)),
            ("ndarray-invalid-arrow-length-6-rows-7", "6 rows for shape [7]", "np.arange(6.0)", (7,)),
            ("ndarray-invalid-arrow-length-no-batch-1", "no record batch for shape [1]",
             "np.zeros((0,))", (1,)),
            ("ndarray-invalid-arrow-length-no-batch-0d", "no record batch for shape []",
             "np.zeros((0,))", ()),
            ("ndarray-invalid-arrow-length-2-rows-0d", "2 rows for shape []", "np.arange(2.0)", ()),
            ("ndarray-invalid-arrow-length-1-row-0", "1 row for shape [0]", "np.arange(1.0)", (0,)),
            ("ndarray-invalid-arrow-length-6-rows-3x0", "6 rows for shape [3, 0]", "np.arange(6.0)",
             (3, 0))]:
        pay(vid, desc, producer_payload(build(expr)), expr, f"shape set to {list(shape)}",
            "E_SHAPE_MISMATCH", LE, shape, "float64")
    rbx = "pa.record_batch([pa.array([], pa.float64())], names=['value'])"
    rb0 = build(rbx)
    pay("ndarray-invalid-arrow-length-empty-batch-2", "one empty record batch for shape [2]",
        write_stream(rb0.schema, batches=[rb0]), rbx, "write_batch; shape [2]", "E_SHAPE_MISMATCH",
        LE + ["ndarray.arrow.batches"], (2,), "float64")
    pay("ndarray-invalid-arrow-length-v0", "v0 envelope whose shape [4] disagrees with 3 rows",
        producer_payload(build("np.arange(3.0)")), "np.arange(3.0)",
        "codecVersion removed, shape [4]", "E_SHAPE_MISMATCH", LE + ["envelope.legacy-v0"], (4,),
        "float64", v0=True)
    pay("ndarray-invalid-arrow-length-before-nulls", "4 rows, one null, for shape [3]",
        column_stream(pa.array([1.0, None, 3.0, 4.0])), "pa.array([1.0, None, 3.0, 4.0])",
        "one-column stream; shape [3]", "E_SHAPE_MISMATCH", LE + ["ndarray.arrow.nulls"], (3,),
        "float64", tags=["processing-order"])

    NU = ["ndarray.arrow.nulls"]
    for vid, desc, expr, dtype, shape in [
            ("ndarray-invalid-arrow-nulls-int64", "int64 column 1, null, 3", "pa.array([1, None, 3])",
             "int64", (3,)),
            ("ndarray-invalid-arrow-nulls-float64", "float64 column with a null",
             "pa.array([1.0, None])", "float64", (2,)),
            ("ndarray-invalid-arrow-nulls-bool", "bool column with a null", "pa.array([True, None])",
             "bool", (2,)),
            ("ndarray-invalid-arrow-nulls-str", "Utf8 column with a null", "pa.array(['a', None])",
             "<U1", (2,)),
            ("ndarray-invalid-arrow-nulls-all", "float64 column all null",
             "pa.array([None, None], pa.float64())", "float64", (2,)),
            ("ndarray-invalid-arrow-nulls-0d", "0-d float64 whose one element is null",
             "pa.array([None], pa.float64())", "float64", ())]:
        pay(vid, desc, column_stream(build(expr)), expr, "one-column stream", "E_ARROW_NULLS", NU,
            shape, dtype)
    for vid, desc, expr, dtype in [
            ("ndarray-invalid-arrow-nulls-nat", "datetime64[ns] with NaT, which pyarrow writes as null",
             "np.array(['2024-01-01', 'NaT'], dtype='datetime64[ns]')", "datetime64[ns]"),
            ("ndarray-invalid-arrow-nulls-nat-timedelta", "timedelta64[s] with NaT, written as null",
             "np.array([1, 'NaT'], dtype='timedelta64[s]')", "timedelta64[s]")]:
        a = build(expr)
        S.invalid(vid, desc, NU, J(arrow_env(a)), "E_ARROW_NULLS",
                  src(expr),
                  schema_valid=True)
    ex = "pa.array([1, None, 3])"
    base = column_stream(build(ex))
    (_, nc_pos), = rb_field_nodes(base)
    pay("ndarray-invalid-arrow-null-count-zero", "bitmap marks a null while null_count says 0",
        patch(base, nc_pos, "<q", 0), ex, "FieldNode null_count 1 -> 0", "E_ARROW_PAYLOAD",
        ["ndarray.arrow.stream"] + NU, (3,), "int64", tags=["hostile"])
    pay("ndarray-invalid-arrow-nulls-before-strings", "a null and a too-long string in <U2",
        column_stream(pa.array([None, "abc"])), "pa.array([None, 'abc'])", "dtype <U2",
        "E_ARROW_NULLS", NU + ["ndarray.arrow.strings"], (2,), "<U2", tags=["processing-order"])

    SD = ["ndarray.arrow.strings"]
    for vid, desc, payload, expr, m, dtype, n in [
            ("ndarray-invalid-arrow-str-too-long", "\"abc\" in a <U2 column",
             producer_payload(np.array(["abc"])), "np.array(['abc'])", "dtype <U3 -> <U2", "<U2", 1),
            ("ndarray-invalid-arrow-str-too-many-emoji", "three emoji (3 code points) in <U2",
             producer_payload(np.array(["\U0001f600" * 3])), "np.array(['\U0001f600' * 3])",
             "dtype <U3 -> <U2", "<U2", 1),
            ("ndarray-invalid-arrow-str-trailing-nul", "\"a\\x00\" in a <U2 column",
             column_stream(pa.array(["a\x00"])), "pa.array(['a\\x00'])", "one-column stream", "<U2", 1),
            ("ndarray-invalid-arrow-str-only-nul", "\"\\x00\" in a <U1 column",
             column_stream(pa.array(["\x00"])), "pa.array(['\\x00'])", "one-column stream", "<U1", 1),
            ("ndarray-invalid-arrow-bytes-trailing-zero", "b\"ab\\x00\" in a |S3 column",
             column_stream(pa.array([b"ab\x00"])), "pa.array([b'ab\\x00'])", "one-column stream",
             "|S3", 1),
            ("ndarray-invalid-arrow-bytes-too-long", "b\"abc\" in a |S2 column",
             producer_payload(np.array([b"abc"])), "np.array([b'abc'])", "dtype |S3 -> |S2", "|S2",
             1),
            ("ndarray-invalid-arrow-bytes-utf8-too-long", "2-byte UTF-8 e-acute in a |S1 column",
             producer_payload(np.array(["\u00e9".encode()])), "np.array(['\u00e9'.encode()])",
             "dtype |S2 -> |S1", "|S1", 1),
            ("ndarray-invalid-arrow-bytes-only-zero", "b\"\\x00\" in a |S1 column",
             column_stream(pa.array([b"\x00"])), "pa.array([b'\\x00'])", "one-column stream", "|S1", 1),
            ("ndarray-invalid-arrow-str-second-too-long", "second of three strings too long for <U1",
             producer_payload(np.array(["a", "bc", "d"])), "np.array(['a', 'bc', 'd'])",
             "dtype <U2 -> <U1", "<U1", 3)]:
        pay(vid, desc, payload, expr, m, "E_VALUE_DOMAIN", SD, (n,), dtype)


def json_payload_vectors(S: Suite):
    NE = ["ndarray.json.nesting"]
    why = "json envelope with data that no numpy array's tolist() gives"
    for vid, desc, data, shape, dtype, sv, tags in [
            ("ndarray-invalid-json-nesting-ragged", "[[1, 2], [3]] for shape [2, 2]",
             [[1, 2], [3]], [2, 2], "float64", True, None),
            ("ndarray-invalid-json-nesting-too-long", "[1, 2, 3] for shape [2]", [1, 2, 3], [2],
             "float64", True, None),
            ("ndarray-invalid-json-nesting-too-short", "[1] for shape [2]", [1], [2], "float64", True,
             None),
            ("ndarray-invalid-json-nesting-array-for-leaf", "[[1, 2]] for shape [2]", [[1, 2]], [2],
             "float64", True, None),
            ("ndarray-invalid-json-nesting-leaf-for-array", "a bare number for shape [1]", 5, [1],
             "float64", True, None),
            ("ndarray-invalid-json-nesting-array-for-0d", "[5] for shape []", [5], [], "float64", True,
             None),
            ("ndarray-invalid-json-nesting-empty-for-0d", "[] for shape []", [], [], "float64", True,
             None),
            ("ndarray-invalid-json-nesting-flat-for-2d", "[1, 2, 3, 4] for shape [2, 2]",
             [1, 2, 3, 4], [2, 2], "float64", True, None),
            ("ndarray-invalid-json-nesting-2d-for-flat", "[[1, 2], [3, 4]] for shape [4]",
             [[1, 2], [3, 4]], [4], "float64", True, None),
            ("ndarray-invalid-json-nesting-mixed-depth", "[[1, 2], 3] for shape [2, 2]",
             [[1, 2], 3], [2, 2], "float64", True, None),
            ("ndarray-invalid-json-nesting-empty-rows", "[[], [1]] for shape [2, 0]", [[], [1]],
             [2, 0], "float64", True, None),
            ("ndarray-invalid-json-nesting-extra-level-empty", "[[[]]] for shape [1, 0]", [[[]]],
             [1, 0], "float64", True, None),
            ("ndarray-invalid-json-nesting-empty-for-3", "[] for shape [3]", [], [3], "int32", True,
             None),
            ("ndarray-invalid-json-nesting-string-for-array", "the string \"abc\" for shape [3]", "abc",
             [3], "float64", False, None),
            ("ndarray-invalid-json-nesting-object-for-array", "an object for shape [1]", {"0": 1},
             [1], "float64", False, None),
            ("ndarray-invalid-json-nesting-null-for-array", "null for shape [1]", None, [1], "float64",
             False, None),
            ("ndarray-invalid-json-nesting-before-values", "ragged data that also holds a string",
             [[1, "x"], [3]], [2, 2], "float64", False, ["processing-order"])]:
        S.invalid(vid, desc, NE + (["ndarray.json.values"] if tags else []),
                  J(env_json_raw(data, shape, dtype)), "E_SHAPE_MISMATCH", hand(why),
                  schema_valid=sv, tags=tags)
    V0 = NE + ["ndarray.legacy-v0", "envelope.legacy-v0"]
    for vid, desc, data in [
            ("ndarray-invalid-json-v0-ragged", "v0 json without shape, data [[1, 2], [3]]", [[1, 2], [3]]),
            ("ndarray-invalid-json-v0-empty-first-row", "v0 json without shape, data [[], [1]]",
             [[], [1]]),
            ("ndarray-invalid-json-v0-scalar-then-array", "v0 json without shape, data [1, [2]]",
             [1, [2]])]:
        env = without(env_json_raw(data, None, "float64"), "codecVersion", "shape")
        S.invalid(vid, desc, V0, J(env), "E_SHAPE_MISMATCH", hand(why), schema_valid=True)
    S.invalid("ndarray-invalid-json-v0-shape-disagrees", "v0 json with shape [3] and two values",
              NE + ["envelope.legacy-v0"], J(without(env_json_raw([1.5, 2.5], [3], "float64"),
                                                     "codecVersion")),
              "E_SHAPE_MISMATCH", src(F64_EXPR, "codecVersion removed, shape [3]"), schema_valid=True)
    S.invalid("ndarray-invalid-json-v0-inferred-ndim-65", "v0 json data nested 65 deep, no shape",
              ["limits.ndim", "ndarray.json.nesting", "ndarray.legacy-v0",
               "limits.conformance-defaults"],
              J(without(env_json_raw(_nest(1.5, 65), None, "float64"), "codecVersion", "shape")),
              "E_LIMIT_EXCEEDED", hand("v0 json envelope whose inferred shape has 65 entries"),
              schema_valid=True, tags=["boundary"])

    VA = ["ndarray.json.values"]
    for vid, desc, data, dtype, sv in [
            ("bool-one", "bool data [1]", [1], "bool", False),
            ("bool-zero", "bool data [0]", [0], "bool", False),
            ("bool-string", "bool data [\"true\"]", ["true"], "bool", False),
            ("bool-null", "bool data [null]", [None], "bool", False),
            ("int8-128", "int8 data [128]", [128], "int8", False),
            ("int8-minus-129", "int8 data [-129]", [-129], "int8", False),
            ("uint8-minus-1", "uint8 data [-1]", [-1], "uint8", False),
            ("uint8-256", "uint8 data [256]", [256], "uint8", False),
            ("int16-32768", "int16 data [32768]", [32768], "int16", False),
            ("uint16-65536", "uint16 data [65536]", [65536], "uint16", False),
            ("int32-2-31", "int32 data [2147483648]", [2**31], "int32", False),
            ("uint32-2-32", "uint32 data [4294967296]", [2**32], "uint32", False),
            ("uint32-minus-1", "uint32 data [-1]", [-1], "uint32", False),
            ("int32-fraction", "int32 data [1.5]", [1.5], "int32", False),
            ("int64-2-53", "int64 data [9007199254740992]", [2**53], "int64", False),
            ("int64-minus-2-53", "int64 data [-9007199254740992]", [-2**53], "int64", False),
            ("int64-max", "int64 data [2^63-1]", [2**63 - 1], "int64", False),
            ("int64-1e300", "int64 data [1e+300], an integer far out of range", [1e300], "int64",
             False),
            ("uint64-2-53", "uint64 data [9007199254740992]", [2**53], "uint64", False),
            ("uint64-max", "uint64 data [2^64-1]", [2**64 - 1], "uint64", False),
            ("float32-tenth", "float32 data [0.1] is not a float32", [0.1], "float32", True),
            ("float32-overflow", "float32 data [1e39] overflows", [1e39], "float32", False),
            ("float32-rounds-to-max", "float32 data [3.4028235e38] rounds to the float32 max",
             [3.4028235e38], "float32", False),
            ("float32-underflow", "float32 data [1e-46] rounds to zero", [1e-46], "float32", True),
            ("float16-65520", "float16 data [65520] rounds to infinity", [65520], "float16", False),
            ("float16-65505", "float16 data [65505] rounds to 65504", [65505], "float16", False),
            ("float16-tenth", "float16 data [0.1] is not a float16", [0.1], "float16", True),
            ("float16-half-subnormal", "float16 data [2^-25] rounds to zero", [2.0**-25], "float16",
             True),
            ("string-digit", "float64 data [\"1\"]", ["1"], "float64", False),
            ("null", "float64 data [null]", [None], "float64", False),
            ("object", "float64 data [{}]", [{}], "float64", False),
            ("true-for-int", "int32 data [true]", [True], "int32", False),
            ("true-for-float", "float64 data [true]", [True], "float64", False),
            ("false-for-uint8", "uint8 data [false]", [False], "uint8", False),
            ("string-0d", "float64 0-d data \"1.5\"", "1.5", "float64", False)]:
        shape = [] if vid.endswith("0d") else [1]
        S.invalid(f"ndarray-invalid-json-value-{vid}", desc, VA,
                  J(env_json_raw(data, shape, dtype)), "E_VALUE_DOMAIN", hand(why),
                  schema_valid=sv)
    base = '{"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", "data": [%s], ' \
           '"shape": [1], "dtype": "%s"}'
    for vid, desc, num, dtype in [
            ("float64-1e400", "float64 data [1e400], a number without a value", "1e400", "float64"),
            ("float64-minus-1e400", "float64 data [-1e400]", "-1e400", "float64"),
            ("int32-1e400", "int32 data [1e400]", "1e400", "int32"),
            ("int64-rounds-to-2-53", "int64 data 9007199254740993 denotes 2^53", "9007199254740993",
             "int64")]:
        S.invalid(f"ndarray-invalid-json-value-{vid}", desc, VA + ["json.numbers"],
                  T(base % (num, dtype)), "E_VALUE_DOMAIN", hand(why))



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
                 REF + extra, canon(build(expr)), "json", {"error": code}, src(expr))

    nat_expr = "np.array(['NaT', '2024-01-02T03:04:05'], dtype='datetime64[ns]')"
    S.encode("ndarray-encode-arrow-datetime64-ns-nat",
             "arrow encoder round trip: NaT is carried as int64 min, never as a null",
             ["ndarray.arrow.nulls", "ndarray.encode.members", "canonical.ndarray.bytes"],
             canon(build(nat_expr)), "arrow", {"roundtrip": True}, src(nat_expr))
    for vid, desc, expr in [
            ("date32-above", "datetime64[D] 2^31 days, past Date32",
             "np.array([2**31], dtype='datetime64[D]')"),
            ("date32-below", "datetime64[D] -2^31-1 days, before Date32",
             "np.array([0, -2**31 - 1], dtype='datetime64[D]')")]:
        S.encode(f"ndarray-encode-arrow-refuse-{vid}", f"arrow encoder refuses {desc}",
                 ["ndarray.encode.arrow-refuse", "ndarray.encode.members"], canon(build(expr)),
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

    good_expr = "np.arange(6.0).reshape(2, 3)"
    good = canon(build(good_expr))
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


def main_build() -> Suite:
    S = Suite()
    valid_vectors(S)
    invalid_vectors(S)
    differential_vectors(S)
    encode_vectors(S)
    return S


# ----------------------------------------------------------------------------------------------
# Writing, manifest, checking
# ----------------------------------------------------------------------------------------------

def serialize(obj) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=True, allow_nan=False) + "\n").encode("ascii")


def write_suite(S: Suite, root: Path) -> dict:
    """Write the ndarray files under root (a v1 directory); return {relpath: bytes}."""
    out = {rel: serialize(obj) for rel, obj in S.files().items()}
    for kind in KINDS:
        d = root / "ndarray" / kind
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("*.json"):
            old.unlink()
    for rel, data in sorted(out.items()):
        (root / rel).write_bytes(data)
    return out


def vector_files(root: Path) -> dict:
    """Every vector file under a v1 directory: {relpath: bytes}."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*.json")) if p.is_file()}


def manifest_text(files: dict) -> str:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {rel}\n"
                   for rel, data in sorted(files.items()))


def cmd_generate() -> int:
    S = main_build()
    write_suite(S, V1)
    files = vector_files(V1)
    (V1 / "MANIFEST.sha256").write_bytes(manifest_text(files).encode("ascii"))
    counts = {k: sum(1 for rel in files if rel.startswith(f"ndarray/{k}/")) for k in KINDS}
    print(f"wrote {len(files)} files under {V1}: " +
          ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


# --- the specification, read for clause ids and codes -----------------------------------------

def spec_clauses():
    """{clause id: codes it rejects with} and the set of error codes of errors.md.

    A clause starts with **[id]** at the start of a paragraph (outside code blocks) and runs to
    the next clause or heading; its codes are the `rejects `E_...`` phrases in it. This is the
    reading conventions.md describes (and the conformance crate's).
    """
    clauses = {}
    cited = set()
    for md in sorted(SPEC.glob("*.md")):
        text = md.read_text(encoding="utf-8")
        cited.update(re.findall(r"\*\*\[([a-z0-9.-]+)\]\*\*", text))
        current, body, in_code, prev_blank = None, [], False, True

        def finish():
            if current is not None:
                scope = re.sub(r"\s+", " ", " ".join(body))
                assert current not in clauses, f"clause {current} defined twice"
                clauses[current] = set(re.findall(r"rejects `(E_[A-Z0-9_]+)`", scope))

        for line in text.split("\n"):
            if line.startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            if line.startswith("#"):
                finish()
                current, body = None, []
            m = re.match(r"\*\*\[([a-z0-9.-]+)\]\*\*", line)
            if prev_blank and m:
                finish()
                current, body = m.group(1), []
            if current is not None:
                body.append(line)
            prev_blank = not line.strip()
        finish()
    missing = cited - set(clauses)
    assert not missing, f"clauses cited in the spec without a definition: {missing}"
    codes = set(re.findall(r"^\| `(E_[A-Z0-9_]+)` \|",
                           (SPEC / "errors.md").read_text(encoding="utf-8"), re.M))
    return clauses, codes


# Clauses about reports, the suite and configuration rather than about an input: they need a
# vector that cites them (as conventions.md asks of every clause), not a valid one.
META = ("error.", "vector.", "limits.configurable")
# Protocol clauses are exercised by the runner's tests, which cite them as
# `// clause: <id>` comments (the Rust coverage check counts the same).
TEST_CITED = set(re.findall(r"//\s*clause:\s*([a-z0-9.-]+)", "".join(
    p.read_text(encoding="utf-8") for p in sorted((REPO / "conformance" / "tests").glob("*.rs")))))
# (clause, code) pairs no vector file can carry, with the reason.
NO_NEGATIVE_POSSIBLE: dict = {}


def lint(files: dict, spec, problems: list):
    clauses, codes = spec
    ids, descs = {}, {}
    vectors = {}
    for rel, data in sorted(files.items()):
        if not rel.startswith("ndarray/"):
            continue
        try:
            obj = json.loads(data)
        except ValueError as e:
            problems.append(f"{rel}: not JSON ({e})")
            continue
        kind = rel.split("/")[1]
        if not isinstance(obj, dict) or kind not in KINDS:
            problems.append(f"{rel}: not a vector file in a known folder")
            continue
        if kind != "equivalent" and not (
                isinstance(obj.get("clauses"), list) and obj["clauses"] and
                all(isinstance(c, str) for c in obj["clauses"]) and
                isinstance(obj.get("expect"), dict) and isinstance(obj.get("input"), dict)):
            problems.append(f"{rel}: clauses, input or expect missing or malformed")
            continue
        vid = obj.get("id")
        if f"ndarray/{kind}/{vid}.json" != rel:
            problems.append(f"{rel}: id {vid!r} differs from the file name")
        if not isinstance(vid, str) or not re.fullmatch(r"[a-z0-9-]+", vid):
            problems.append(f"{rel}: id {vid!r} is not [a-z0-9-]+")
        if vid in ids:
            problems.append(f"{rel}: id {vid!r} also used by {ids[vid]}")
        ids[vid] = rel
        desc = obj.get("description", "")
        if not desc or len(desc) >= 120:
            problems.append(f"{rel}: description empty or 120 characters or longer")
        if re.search(r"should|test that", desc, re.I):
            problems.append(f"{rel}: description says 'should' or 'test that'")
        if not isinstance(desc, str):
            problems.append(f"{rel}: description is not a string")
            continue
        if desc in descs:
            problems.append(f"{rel}: description also used by {descs[desc]}")
        descs[desc] = rel
        if data != serialize(obj):
            problems.append(f"{rel}: not in the canonical file layout")
        if kind == "equivalent":
            if list(obj) != ["id", "description", "members"]:
                problems.append(f"{rel}: keys {list(obj)}")
            continue
        keys = list(obj)
        if keys != [k for k in KEY_ORDER if k in obj] or set(keys) - set(KEY_ORDER):
            problems.append(f"{rel}: keys {keys} not in the order {KEY_ORDER}")
        for c in obj.get("clauses", []):
            if c not in clauses:
                problems.append(f"{rel}: clause {c} is not in spec/src")
        if len(set(obj.get("clauses", []))) != len(obj.get("clauses", [])) or not obj.get("clauses"):
            problems.append(f"{rel}: clauses empty or repeated")
        expect = obj.get("expect", {})
        want_dir = "encode" if kind == "encode" else "decode"
        if obj.get("direction") != want_dir:
            problems.append(f"{rel}: direction {obj.get('direction')!r}")
        if kind == "valid" and set(expect) != {"value"}:
            problems.append(f"{rel}: a valid vector expects a value")
        if kind == "invalid" and set(expect) != {"error"}:
            problems.append(f"{rel}: an invalid vector expects an error")
        if kind == "encode" and not (expect == {"roundtrip": True} or set(expect) == {"error"}):
            problems.append(f"{rel}: an encode vector expects roundtrip or an error")
        if "error" in expect:
            code = expect["error"]
            if code not in codes:
                problems.append(f"{rel}: error {code} is not in errors.md's table")
            first_clause = obj["clauses"][0]
            if code not in clauses.get(first_clause, set()):
                problems.append(f"{rel}: first clause {first_clause} does not name {code}")
        inp = obj.get("input", {})
        if kind in ("valid", "invalid"):
            if len(inp) != 1 or next(iter(inp)) not in ("json", "text", "base64", "concat"):
                problems.append(f"{rel}: input {list(inp)}")
        if kind == "invalid" and ("json" in inp) != ("schemaValid" in obj):
            problems.append(f"{rel}: schemaValid goes with (and only with) a json input")
        src_ = obj.get("source", {})
        if not (("handWritten" in src_ and set(src_) == {"handWritten"}) or
                (src_.get("generator") == GENERATOR and src_.get("libraries") == LIBS and
                 "expr" in src_ and set(src_) <= {"generator", "libraries", "expr", "mutation"})):
            problems.append(f"{rel}: source {src_}")
        vectors[vid] = (kind, obj)
    for rel, data in sorted(files.items()):
        if rel.startswith("ndarray/equivalent/"):
            grp = json.loads(data)
            vals = set()
            if not isinstance(grp, dict) or not isinstance(grp.get("members"), list):
                problems.append(f"{rel}: members missing")
                continue
            for m in grp["members"]:
                kind, obj = vectors.get(m, (None, None))
                if kind != "valid":
                    problems.append(f"{rel}: member {m} is not a valid vector")
                    continue
                vals.add(json.dumps(obj["expect"]["value"], sort_keys=True))
            if len(vals) != 1 or len(grp.get("members", [])) < 2:
                problems.append(f"{rel}: members do not share one value")
    return vectors


def coverage(vectors: dict, spec):
    clauses, _ = spec
    positive, negative = {}, {}
    for vid, (kind, obj) in vectors.items():
        exp = obj["expect"]
        if kind == "valid" or exp == {"roundtrip": True}:
            for c in obj["clauses"]:
                positive.setdefault(c, []).append(vid)
        elif "error" in exp:
            for c in obj["clauses"]:
                if exp["error"] in clauses[c]:
                    negative.setdefault((c, exp["error"]), []).append(vid)
    cited = set(positive) | {c for c, _ in negative} | {
        c for _, (kind, obj) in vectors.items() for c in obj["clauses"]}
    no_valid = sorted(c for c in clauses if c not in positive and not c.startswith(META) and c not in TEST_CITED)
    no_valid += sorted(f"{c} (no vector at all)" for c in clauses
                       if c.startswith(META) and c not in cited)
    no_invalid = sorted((c, code) for c, rej in clauses.items() for code in rej
                        if (c, code) not in negative and (c, code) not in NO_NEGATIVE_POSSIBLE)
    return positive, negative, no_valid, no_invalid


def cmd_check() -> int:
    problems = []
    S = main_build()
    with tempfile.TemporaryDirectory() as tmp:
        generated = write_suite(S, Path(tmp))
    on_disk = vector_files(V1)
    ours = {rel: data for rel, data in on_disk.items()
            if any(rel.startswith(f"ndarray/{k}/") for k in KINDS)}
    for rel in sorted(set(ours) | set(generated)):
        if rel not in ours:
            problems.append(f"{rel}: generated but not on disk")
        elif rel not in generated:
            problems.append(f"{rel}: on disk but not generated")
        elif ours[rel] != generated[rel]:
            problems.append(f"{rel}: differs from what the generator writes")
    manifest_path = V1 / "MANIFEST.sha256"
    want = manifest_text(on_disk)
    have = manifest_path.read_text(encoding="ascii") if manifest_path.exists() else ""
    if have != want:
        listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0]
                  for line in have.splitlines() if "  " in line}
        for rel, data in sorted(on_disk.items()):
            if listed.get(rel) != hashlib.sha256(data).hexdigest():
                problems.append(f"MANIFEST.sha256: {rel} missing or with another sha256")
        for rel in sorted(set(listed) - set(on_disk)):
            problems.append(f"MANIFEST.sha256: lists {rel}, which does not exist")
        if not problems:
            problems.append("MANIFEST.sha256: not sorted or not in sha256sum format")
    spec = spec_clauses()
    vectors = lint(on_disk, spec, problems)
    positive, negative, no_valid, no_invalid = coverage(vectors, spec)

    counts = {}
    for kind, obj in vectors.values():
        key = kind if kind != "encode" else ("encode-roundtrip" if "roundtrip" in obj["expect"]
                                             else "encode-error")
        counts[key] = counts.get(key, 0) + 1
    groups = sum(1 for rel in on_disk if rel.startswith("ndarray/equivalent/"))
    print("vectors: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) +
          f", {groups} equivalence groups")
    print("clause coverage:")
    print(f"  clauses without a valid vector: {', '.join(no_valid) or 'none'}")
    print("  (clause, code) pairs without an invalid vector: " +
          (", ".join(f"{c} {e}" for c, e in no_invalid) or "none"))
    print("  meta clauses (" + ", ".join(META) + "*) need only a citing vector")
    for (c, e), why in sorted(NO_NEGATIVE_POSSIBLE.items()):
        print(f"  exempt, no invalid vector possible: {c} {e}: {why}")
    if no_valid or no_invalid:
        problems.append("clause coverage is incomplete")
    if problems:
        print(f"check FAILED, {len(problems)} problem(s):")
        for p in problems:
            print(f"  {p}")
        return 1
    print("check passed")
    return 0


def main(argv) -> int:
    cmd = argv[1] if len(argv) > 1 else "generate"
    if cmd == "generate":
        return cmd_generate()
    if cmd == "check":
        return cmd_check()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
