"""Encoding ``dataframe`` and ``series`` canonical values
([dataframe.encode.members], [dataframe.encode.refuse],
[series.encode.members], [series.encode.refuse]).

The Arrow IPC file (dataframe) and stream (series) are written here, with
the front-to-back flatbuffer writer of flame.py: no Arrow library is used.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from typing import List, Optional

import numpy as np

from . import table
from .arrow_ipc import T, V5, H_SCHEMA, H_DICTIONARY_BATCH, H_RECORD_BATCH, CONTINUATION
from .errors import SciwireError
from .flame import _Writer
from .limits import MAX_SAFE_INTEGER

_INT_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_HEX = re.compile(r"(?:[0-9a-f]{2})*")
INT_RANGE = {name: ((-(2 ** (bw - 1)), 2 ** (bw - 1) - 1) if signed else (0, 2 ** bw - 1))
             for (bw, signed), name in table.INT_NAMES.items()}
INT_RANGE["date32"] = INT_RANGE["int32"]
INT_RANGE["timestamp"] = INT_RANGE["int64"]
INT_RANGE["duration"] = INT_RANGE["int64"]
UNIT_CODE = {u: k for k, u in enumerate(table.UNITS)}


def _fail(code, msg, clause="dataframe.encode.refuse", path=None):
    raise SciwireError(code, msg, clause, path)


def _shape(msg, clause):
    _fail("E_FIELD_TYPE", msg, clause)


# ---------------------------------------------------------------------------
# Reading the canonical value ([canonical.dataframe], [canonical.column])
# ---------------------------------------------------------------------------

def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def check_type(t, clause: str, in_dictionary: bool = False) -> dict:
    """A column type as the table writes it, exactly; else E_COLUMN_TYPE."""
    if not isinstance(t, dict) or not isinstance(t.get("id"), str):
        _fail("E_COLUMN_TYPE", f"{t!r} is not a column type", clause)
    tid = t["id"]
    simple = ("bool", "string", "binary", "date32", "null") + tuple(table.INT_OF_NAME) + tuple(table.FLOAT_DIGITS)
    if tid in simple and set(t) == {"id"}:
        if in_dictionary and tid == "null":
            _fail("E_COLUMN_TYPE", "a dictionary's values are never of type null", clause)
        return t
    if tid == "timestamp" and set(t) == {"id", "unit", "tz"} and t["unit"] in UNIT_CODE \
            and (t["tz"] is None or (isinstance(t["tz"], str) and t["tz"] != "")):
        return t
    if tid == "duration" and set(t) == {"id", "unit"} and t["unit"] in UNIT_CODE:
        return t
    if tid == "dictionary" and not in_dictionary and set(t) == {"id", "index", "ordered", "values"} \
            and t["index"] in table.INT_OF_NAME and isinstance(t["ordered"], bool):
        check_type(t["values"], clause, True)
        return t
    _fail("E_COLUMN_TYPE", f"{t!r} is not a column type of the table", clause)


def check_leaf(x, tid: str, where: str, clause: str) -> None:
    """A non-null leaf of the type ``tid`` (for a dictionary column: its index type)."""
    def bad(why):
        _fail("E_VALUE_DOMAIN", f"{where}: {x!r} is not a leaf of {tid} ({why})", clause)
    if tid == "bool":
        if not isinstance(x, bool):
            bad("not true or false")
    elif tid in INT_RANGE:
        if not isinstance(x, str) or not _INT_TEXT.fullmatch(x) or x == "-0":
            bad("not an integer in decimal")
        lo, hi = INT_RANGE[tid]
        if not lo <= int(x) <= hi:
            bad(f"outside [{lo}, {hi}]")
    elif tid in table.FLOAT_DIGITS:
        if not isinstance(x, str) or len(x) != table.FLOAT_DIGITS[tid] or not _HEX.fullmatch(x):
            bad(f"not {table.FLOAT_DIGITS[tid]} lowercase hex digits")
    elif tid == "string":
        if not isinstance(x, str):
            bad("not a string")
        try:
            x.encode("utf-8")
        except UnicodeEncodeError:
            bad("not Unicode text")
    elif tid == "binary":
        if not isinstance(x, str) or not _HEX.fullmatch(x):
            bad("not lowercase hex bytes")
    elif tid == "null":
        bad("a null column holds nulls only")
    else:  # pragma: no cover
        raise AssertionError(tid)


def _leaf_id(t: dict) -> str:
    return t["index"] if t["id"] == "dictionary" else t["id"]


def read_column(c, clause: str, index_column: bool = False) -> table.Column:
    """The structure of a column value (lengths and leaves checked later)."""
    if not isinstance(c, dict):
        _shape("a column value is an object", clause)
    t = check_type(c.get("type"), clause)
    want = {"name", "type", "values"} | ({"dictionary"} if t["id"] == "dictionary" else set())
    if set(c) != want:
        _shape(f"a column value has exactly the members {sorted(want)}, not {sorted(c)}", clause)
    name = c["name"]
    if not (isinstance(name, str) or (index_column and name is None)):
        _shape(f"a column's name is {'a string or null' if index_column else 'a string'}", clause)
    if not isinstance(c["values"], list):
        _shape("a column's values are an array", clause)
    d = c.get("dictionary")
    if t["id"] == "dictionary" and not isinstance(d, list):
        _shape("a dictionary column's dictionary is an array", clause)
    return table.Column(name, t, c["values"], d)


def check_leaves(col: table.Column, clause: str) -> None:
    """Every leaf of its type's form; dictionary entries non-null; codes in range."""
    t = col.type
    lid = _leaf_id(t)
    where = f"column {col.name!r}"
    for x in col.values:
        if x is not None:
            check_leaf(x, lid, where, clause)
    if t["id"] == "dictionary":
        vid = t["values"]["id"]
        for x in col.dictionary:
            if x is None:
                _fail("E_VALUE_DOMAIN", f"{where}: a dictionary entry is null", clause)
            check_leaf(x, vid, where + " dictionary", clause)
        n = len(col.dictionary)
        for x in col.values:
            if x is not None and not 0 <= int(x) < n:
                _fail("E_VALUE_DOMAIN", f"{where}: the code {x} is outside a dictionary of {n} entries", clause)


def read_dataframe(value: dict):
    """(rows, columns, index) of a canonical dataframe, its rules checked:
    structure, then lengths (E_SHAPE_MISMATCH), then leaves (E_VALUE_DOMAIN)."""
    clause = "dataframe.encode.refuse"
    if set(value) != {"kind", "rows", "columns", "index"}:
        _shape("a canonical dataframe has exactly kind, rows, columns and index", "canonical.dataframe")
    rows = value["rows"]
    if not _is_int(rows) or not 0 <= rows <= MAX_SAFE_INTEGER:
        _shape("rows is a non-negative integer", "canonical.dataframe")
    if not isinstance(value["columns"], list):
        _shape("columns is an array", "canonical.dataframe")
    cols = [read_column(c, clause) for c in value["columns"]]
    idx = value["index"]
    if not isinstance(idx, dict):
        _shape("index is an object", "canonical.dataframe")
    if idx.get("kind") == "range":
        if set(idx) != {"kind", "name", "start", "stop", "step"} or not all(
                _is_int(idx[m]) for m in ("start", "stop", "step")) or not (
                idx["name"] is None or isinstance(idx["name"], str)):
            _shape("a range index has kind, name (a string or null), and integers start, stop, step",
                   "canonical.dataframe")
        index = dict(idx)
    elif idx.get("kind") == "columns" and set(idx) == {"kind", "columns"} and isinstance(idx["columns"], list):
        index = [read_column(c, clause, True) for c in idx["columns"]]
    else:
        _shape("index is a range or {kind: columns, columns: [...]}", "canonical.dataframe")
    for c in cols + (index if isinstance(index, list) else []):
        if len(c.values) != rows:
            _fail("E_SHAPE_MISMATCH", f"column {c.name!r} has {len(c.values)} values; the table has {rows} rows",
                  clause)
    if isinstance(index, dict):
        start, stop, step = index["start"], index["stop"], index["step"]
        if step == 0 or max(abs(start), abs(stop), abs(step)) > MAX_SAFE_INTEGER:
            _fail("E_VALUE_DOMAIN", "a range index has a step other than 0 and bounds within +-(2^53-1)", clause)
        if len(range(start, stop, step)) != rows:
            _fail("E_SHAPE_MISMATCH", f"the range index has {len(range(start, stop, step))} values; the table has "
                  f"{rows} rows", clause)
    for c in cols + (index if isinstance(index, list) else []):
        check_leaves(c, clause)
    return rows, cols, index


def read_name(node):
    """A series name from its typed JSON node, refused as [series.name]
    rejects it ([series.encode.refuse])."""
    clause = "series.encode.refuse"
    if not isinstance(node, dict) or len(node) != 1:
        _fail("E_FIELD_TYPE", "the name is a typed JSON node: an object with one member", clause, "/name")
    (k, x), = node.items()
    if k == "null" and x is None:
        return None
    if k == "bool" and isinstance(x, bool):
        return x
    if k == "string" and isinstance(x, str):
        return x
    if k == "int" and _is_int(x):
        if abs(x) > MAX_SAFE_INTEGER:
            _fail("E_VALUE_DOMAIN", "an integer name beyond +-(2^53-1)", clause, "/name")
        return table.IntName(x)
    if k == "float" and isinstance(x, str) and len(x) == 16 and _HEX.fullmatch(x):
        f = struct.unpack(">d", bytes.fromhex(x))[0]
        if f != f or f in (float("inf"), float("-inf")):
            _fail("E_VALUE_DOMAIN", "a NaN or infinite float name", clause, "/name")
        return f
    _fail("E_FIELD_TYPE", f"the name {node!r} is not a string, number, boolean or null", clause, "/name")


def read_series(value: dict):
    clause = "series.encode.refuse"
    if not isinstance(value.get("type"), dict):
        _shape("a series has a type", "canonical.series")
    want = {"kind", "name", "type", "values"} | ({"dictionary"} if value["type"].get("id") == "dictionary" else set())
    if set(value) != want:
        _shape(f"a canonical series has exactly the members {sorted(want)}", "canonical.series")
    name = read_name(value["name"])
    col = read_column({k: value[k] for k in ("type", "values", "dictionary") if k in value} | {"name": ""}, clause)
    col.name = None
    check_leaves(col, clause)
    return name, col


# ---------------------------------------------------------------------------
# The json encoding
# ---------------------------------------------------------------------------

def _json_cells(col: table.Column, clause: str) -> list:
    tid = col.type["id"]
    out = []
    for x in col.values:
        if x is None:
            out.append(None)
        elif tid == "int64":
            n = int(x)
            if abs(n) > MAX_SAFE_INTEGER:
                _fail("E_VALUE_DOMAIN", f"column {col.name!r}: the integer {n} is beyond +-(2^53-1)", clause)
            out.append(n)
        elif tid == "float64":
            f = struct.unpack(">d", bytes.fromhex(x))[0]
            if f != f or f in (float("inf"), float("-inf")):
                _fail("E_VALUE_DOMAIN", f"column {col.name!r}: NaN and infinities have no json form", clause)
            out.append(f)
        else:
            out.append(x)
    return out


def check_json_type(col: table.Column, clause: str) -> None:
    tid = col.type["id"]
    if tid not in table.JSON_TYPES:
        _fail("E_COLUMN_TYPE", f"column {col.name!r} of type {tid} has no json form", clause)
    if tid != "null" and col.values and all(x is None for x in col.values):
        _fail("E_COLUMN_TYPE", f"column {col.name!r}: a {tid} column whose every cell is null reads back as null",
              clause)


def dataframe_json(rows, cols, index) -> dict:
    clause = "dataframe.encode.refuse"
    for c in cols:
        check_json_type(c, clause)
    cells = [_json_cells(c, clause) for c in cols]
    names = [c.name for c in cols]
    if len(set(names)) != len(names):
        _fail("E_JSON_DUPLICATE_KEY", "two columns have one name; a json row cannot hold both", clause)
    if index != {"kind": "range", "name": None, "start": 0, "stop": rows, "step": 1}:
        _fail("E_ENCODING_UNSUPPORTED", "the json encoding carries only the unnamed range index from 0 to the "
              "number of rows, step 1", clause)
    if rows == 0 and cols:
        _fail("E_ENCODING_UNSUPPORTED", "the json encoding cannot carry columns without rows", clause)
    data = [{n: cells[k][r] for k, n in enumerate(names)} for r in range(rows)]
    return {"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "json", "data": data}


def _name_json(name):
    return int(name) if isinstance(name, table.IntName) else name


def series_json(name, col) -> dict:
    clause = "series.encode.refuse"
    check_json_type(col, clause)
    if not col.values and col.type["id"] != "null":
        _fail("E_ENCODING_UNSUPPORTED", f"an empty series of type {col.type['id']} reads back as null in json", clause)
    return {"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": _json_cells(col, clause),
            "name": _name_json(name)}


# ---------------------------------------------------------------------------
# Arrow IPC writing
# ---------------------------------------------------------------------------

def _pad8(b: bytes) -> bytes:
    return b + b"\x00" * (-len(b) % 8)


def _bitmap(bits: List[bool]) -> bytes:
    if not bits:
        return b""
    return np.packbits(np.array(bits, dtype=bool), bitorder="little").tobytes()


def _column_buffers(tid: str, typ: dict, values: list) -> List[bytes]:
    """The buffers of one column (validity first, except Null: none)."""
    n = len(values)
    if tid == "null":
        return []
    has_null = any(x is None for x in values)
    validity = _bitmap([x is not None for x in values]) if has_null else b""
    if tid == "bool":
        return [validity, _bitmap([bool(x) for x in values])]
    if tid == "dictionary" or tid in table.INT_OF_NAME or tid in ("date32", "timestamp", "duration"):
        dt = {"dictionary": typ.get("index"), "date32": "int32", "timestamp": "int64",
              "duration": "int64"}.get(tid, tid)
        a = np.array([int(x) if x is not None else 0 for x in values], dtype=np.dtype(dt).newbyteorder("<"))
        return [validity, a.tobytes()]
    if tid in table.FLOAT_DIGITS:
        u = {4: "<u2", 8: "<u4", 16: "<u8"}[table.FLOAT_DIGITS[tid]]
        a = np.array([int(x, 16) if x is not None else 0 for x in values], dtype=u)
        return [validity, a.tobytes()]
    if tid in ("string", "binary"):
        items = [b"" if x is None else (x.encode("utf-8") if tid == "string" else bytes.fromhex(x)) for x in values]
        offs = np.zeros(n + 1, dtype="<i8")
        if n:
            np.cumsum([len(b) for b in items], out=offs[1:])
        if offs[-1] > 2**31 - 1:
            _fail("E_VALUE_DOMAIN", "a column's data passes the 2 GiB a Utf8/Binary column holds")
        return [validity, offs.astype("<i4").tobytes(), b"".join(items)]
    raise AssertionError(tid)  # pragma: no cover


def _record_batch_parts(columns, length: int):
    """(length, nodes, buffers, body) of one batch of ``length`` rows of
    (type, values) columns (a table without columns still has its rows)."""
    nodes, bufs, body = [], [], bytearray()
    for typ, values in columns:
        tid = typ["id"]
        nulls = sum(1 for x in values if x is None)
        nodes.append((len(values), nulls))
        for b in _column_buffers(tid, typ, values):
            bufs.append((len(body), len(b)))
            body += _pad8(b)
    return length, nodes, bufs, bytes(body)


def _type_table(w: _Writer, typ: dict):
    """Writes a (non-dictionary) type's table; returns (type tag, position)."""
    tid = typ["id"]
    if tid == "bool":
        return T["Bool"], w.table([])["table"]
    if tid in table.INT_OF_NAME:
        bw, signed = table.INT_OF_NAME[tid]
        return T["Int"], w.table([(0, "i", bw), (1, "B", 1 if signed else 0)])["table"]
    if tid in table.FLOAT_DIGITS:
        prec = {"float16": 0, "float32": 1, "float64": 2}[tid]
        return T["FloatingPoint"], w.table([(0, "h", prec)])["table"]
    if tid == "string":
        return T["Utf8"], w.table([])["table"]
    if tid == "binary":
        return T["Binary"], w.table([])["table"]
    if tid == "date32":
        return T["Date"], w.table([(0, "h", 0)])["table"]
    if tid == "duration":
        return T["Duration"], w.table([(0, "h", UNIT_CODE[typ["unit"]])])["table"]
    if tid == "timestamp":
        if typ["tz"] is None:
            return T["Timestamp"], w.table([(0, "h", UNIT_CODE[typ["unit"]])])["table"]
        t = w.table([(0, "h", UNIT_CODE[typ["unit"]]), (1, "off", None)])
        w.point(t[1], w.string(typ["tz"]))
        return T["Timestamp"], t["table"]
    if tid == "null":
        return T["Null"], w.table([])["table"]
    raise AssertionError(tid)  # pragma: no cover


def _write_field(w: _Writer, name: str, typ: dict, dict_id: Optional[int]) -> int:
    values = typ["values"] if typ["id"] == "dictionary" else typ
    vt = _type_table_tag(values)
    fields = [(0, "off", None), (1, "B", 1), (2, "B", vt), (3, "off", None), (5, "off", None)]
    if typ["id"] == "dictionary":
        fields.append((4, "off", None))
    f = w.table(fields)
    w.point(f[0], w.string(name))
    _tag, tpos = _type_table(w, values)
    w.point(f[3], tpos)
    if typ["id"] == "dictionary":
        bw, signed = table.INT_OF_NAME[typ["index"]]
        d = w.table([(0, "q", dict_id), (1, "off", None), (2, "B", 1 if typ["ordered"] else 0)])
        w.point(f[4], d["table"])
        it = w.table([(0, "i", bw), (1, "B", 1 if signed else 0)])
        w.point(d[1], it["table"])
    w.point(f[5], w.offsets(0)[0])
    return f["table"]


def _type_table_tag(typ: dict) -> int:
    tid = typ["id"]
    return {"bool": T["Bool"], "string": T["Utf8"], "binary": T["Binary"], "date32": T["Date"],
            "duration": T["Duration"], "timestamp": T["Timestamp"], "null": T["Null"]}.get(
        tid, T["Int"] if tid in table.INT_OF_NAME else T["FloatingPoint"])


def _write_schema(w: _Writer, fields, metadata) -> int:
    """fields: [(name, type, dictionary id or None)]; metadata [(key, value)]."""
    slots = [(0, "h", 0), (1, "off", None)]
    if metadata:
        slots.append((2, "off", None))
    s = w.table(slots)
    vec, fslots = w.offsets(len(fields))
    w.point(s[1], vec)
    for slot, (name, typ, did) in zip(fslots, fields):
        w.point(slot, _write_field(w, name, typ, did))
    if metadata:
        mvec, mslots = w.offsets(len(metadata))
        w.point(s[2], mvec)
        for slot, (k, v) in zip(mslots, metadata):
            kv = w.table([(0, "off", None), (1, "off", None)])
            w.point(slot, kv["table"])
            w.point(kv[0], w.string(k))
            w.point(kv[1], w.string(v))
    return s["table"]


def _struct_vector(w: _Writer, structs) -> int:
    """A vector of structs made of int64 words (FieldNode, Buffer, Block),
    8-aligned; its length counts structs. Returns its position."""
    w.pad(4)
    while (len(w.b) + 4) % 8:
        w.b += b"\x00\x00\x00\x00"
    pos = len(w.b)
    flat = [x for st in structs for x in st]
    w.b += struct.pack(f"<I{len(flat)}q", len(structs), *flat)
    return pos


def _write_record_batch(w: _Writer, length, nodes, bufs) -> int:
    rb = w.table([(0, "q", length), (1, "off", None), (2, "off", None)])
    w.point(rb[1], _struct_vector(w, nodes))
    w.point(rb[2], _struct_vector(w, bufs))
    return rb["table"]


def _message(header_type: int, body_length: int, write_header) -> bytes:
    w = _Writer()
    root = w.uoffset_slot()
    m = w.table([(0, "h", V5), (1, "B", header_type), (2, "off", None), (3, "q", body_length)])
    w.point(root, m["table"])
    w.point(m[2], write_header(w))
    w.b += b"\x00" * (-(8 + len(w.b)) % 8)
    return bytes(w.b)


def _framed(meta: bytes, body: bytes) -> bytes:
    return CONTINUATION + struct.pack("<i", len(meta)) + meta + body


def ipc_messages(fields, metadata, columns):
    """The messages of a schema, its dictionary batches and one record batch
    (None: no record batch). fields: [(name, type)]; columns: the values per
    field, with the dictionaries. Returns (schema message, [dictionary
    messages], [record batch messages]) as (metadata, body) pairs."""
    ids = []
    next_id = 0
    for _name, typ in fields:
        if typ["id"] == "dictionary":
            ids.append(next_id)
            next_id += 1
        else:
            ids.append(None)
    schema = _message(H_SCHEMA, 0, lambda w: _write_schema(
        w, [(n, t, i) for (n, t), i in zip(fields, ids)], metadata))
    dict_msgs = []
    for (name, typ), did, col in zip(fields, ids, columns):
        if did is None:
            continue
        length, nodes, bufs, body = _record_batch_parts([(typ["values"], col.dictionary)], len(col.dictionary))

        def header(w, length=length, nodes=nodes, bufs=bufs, did=did):
            db = w.table([(0, "q", did), (1, "off", None)])
            w.point(db[1], _write_record_batch(w, length, nodes, bufs))
            return db["table"]
        dict_msgs.append((_message(H_DICTIONARY_BATCH, len(body), header), body))
    return (schema, b""), dict_msgs, ids


def _batch_message(fields, columns, rows: int):
    length, nodes, bufs, body = _record_batch_parts([(typ, col.values) for (_n, typ), col in zip(fields, columns)],
                                                    rows)
    meta = _message(H_RECORD_BATCH, len(body), lambda w: _write_record_batch(w, length, nodes, bufs))
    return meta, body


def write_stream(fields, columns, rows: int) -> bytes:
    """An Arrow IPC stream: schema, dictionary batches, at most one record
    batch, end-of-stream ([series.encode.members])."""
    schema, dict_msgs, _ids = ipc_messages(fields, [], columns)
    parts = [_framed(*schema)] + [_framed(m, b) for m, b in dict_msgs]
    if rows or any(typ["id"] == "dictionary" for _n, typ in fields):
        # a dictionary series always has its record batch (of length 0 when
        # there are no values), so that its dictionary batch is read
        parts.append(_framed(*_batch_message(fields, columns, rows)))
    parts.append(table.EOS)
    return b"".join(parts)


def write_file(fields, metadata, columns, rows: int) -> bytes:
    """An Arrow IPC file ([dataframe.arrow.file]): magic, the stream's
    messages with one record batch, end-of-stream, footer, its length, ARROW1."""
    schema, dict_msgs, ids = ipc_messages(fields, metadata, columns)
    out = bytearray(table.FILE_MAGIC)
    out += _framed(*schema)
    dict_blocks, batch_blocks = [], []
    for m, b in dict_msgs:
        dict_blocks.append((len(out), 8 + len(m), len(b)))
        out += _framed(m, b)
    m, b = _batch_message(fields, columns, rows)
    batch_blocks.append((len(out), 8 + len(m), len(b)))
    out += _framed(m, b)
    out += table.EOS
    w = _Writer()
    root = w.uoffset_slot()
    ft = w.table([(0, "h", V5), (1, "off", None), (2, "off", None), (3, "off", None)])
    w.point(root, ft["table"])
    w.point(ft[1], _write_schema(w, [(n, t, i) for (n, t), i in zip(fields, ids)], metadata))
    w.point(ft[2], _struct_vector(w, dict_blocks))
    w.point(ft[3], _struct_vector(w, batch_blocks))
    footer = bytes(w.b)
    out += footer + struct.pack("<i", len(footer)) + table.FILE_TAIL
    return bytes(out)


def index_field_names(cols, n: int) -> List[str]:
    """[dataframe.encode.members]: ``__index_level_K__``, K counting from 0
    and skipping every K whose name a column (or an earlier index field)
    already has."""
    taken = {c.name for c in cols}
    names, k = [], 0
    for _ in range(n):
        while f"__index_level_{k}__" in taken:
            k += 1
        names.append(f"__index_level_{k}__")
        taken.add(names[-1])
        k += 1
    return names


def pandas_type(typ: dict) -> str:
    """The ``pandas_type`` pyarrow writes for a column of this type (decoders
    ignore it; pyarrow's to_pandas reads it)."""
    tid = typ["id"]
    return {"string": "unicode", "binary": "bytes", "date32": "date", "duration": "timedelta", "null": "empty",
            "dictionary": "categorical",
            "timestamp": "datetimetz" if typ.get("tz") is not None else "datetime"}.get(tid, tid)


def numpy_type(typ: dict) -> str:
    """The ``numpy_type``: a numpy dtype pandas needs no extension type for."""
    tid = typ["id"]
    return tid if tid in table.INT_OF_NAME or tid in table.FLOAT_DIGITS or tid == "bool" else "object"


def dataframe_parts(rows, cols, index):
    """[dataframe.encode.members] for arrow: (fields, custom metadata,
    columns): the columns, then the index fields __index_level_K__, and the
    ``pandas`` metadata. Shared by the file and the flame table stream
    ([flame.encode.table])."""
    fields = [(c.name, c.type) for c in cols]
    columns = list(cols)
    if isinstance(index, dict):
        md = {"index_columns": [dict(kind="range", name=index["name"], start=index["start"], stop=index["stop"],
                                     step=index["step"])], "columns": []}
    else:
        names = index_field_names(cols, len(index))
        fields += [(n, c.type) for n, c in zip(names, index)]
        columns += list(index)
        md = {"index_columns": names,
              "columns": [{"name": c.name, "field_name": n, "pandas_type": pandas_type(c.type),
                           "numpy_type": numpy_type(c.type), "metadata": None} for n, c in zip(names, index)]}
    return fields, [("pandas", json.dumps(md, ensure_ascii=True, allow_nan=False))], columns


def dataframe_file(rows, cols, index) -> bytes:
    """[dataframe.encode.members] for arrow: the columns, then the index
    fields __index_level_K__, and the pandas metadata."""
    fields, metadata, columns = dataframe_parts(rows, cols, index)
    return write_file(fields, metadata, columns, rows)


def write_one_batch_stream(fields, metadata, columns, rows: int) -> bytes:
    """An Arrow IPC stream of the flame profile ([flame.encode.table],
    [flame.encode.array]): the schema (with ``metadata``), one dictionary
    batch per dictionary field, exactly one record batch (of length 0 when
    there are no rows) and the end-of-stream marker."""
    schema, dict_msgs, _ids = ipc_messages(fields, metadata, columns)
    parts = [_framed(*schema)] + [_framed(m, b) for m, b in dict_msgs]
    parts.append(_framed(*_batch_message(fields, columns, rows)))
    parts.append(table.EOS)
    return b"".join(parts)


def dataframe_stream(rows, cols, index) -> bytes:
    """[flame.encode.table]: a dataframe as the stream of tags 02 and 04."""
    fields, metadata, columns = dataframe_parts(rows, cols, index)
    return write_one_batch_stream(fields, metadata, columns, rows)


def array_stream(col: table.Column) -> bytes:
    """[flame.encode.array]: a series as the stream of tag 03: one field
    ``data``, no custom metadata."""
    return write_one_batch_stream([("data", col.type)], [], [col], len(col.values))


def series_stream(col: table.Column) -> bytes:
    return write_stream([("value", col.type)], [col], len(col.values))


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------

def encode(value: dict, encoding: str):
    """A dataframe or series canonical value's envelope: JSON text (``str``)
    for ``arrow`` and ``json``, the frame's ``bytes`` for ``frame``."""
    from . import encoder, frame
    kind = value.get("kind")
    page = "dataframe" if kind == "dataframe" else "series"
    if kind == "dataframe":
        rows, cols, index = read_dataframe(value)
    else:
        name, col = read_series(value)
    if encoding not in ("arrow", "json", "frame"):
        _fail("E_ENCODING_UNSUPPORTED", f"encoding {encoding!r} is not arrow, json or frame", f"{page}.encodings")
    if encoding == "json":
        env = dataframe_json(rows, cols, index) if kind == "dataframe" else series_json(name, col)
        return encoder.write_json(env)
    payload = dataframe_file(rows, cols, index) if kind == "dataframe" else series_stream(col)
    if encoding == "frame":
        header = {"__tywrap__": page, "codecVersion": 1, "encoding": "frame", "data": 0}
        if kind == "series":
            header["name"] = _name_json(name)
        return frame.write(header, [payload])
    env = {"__tywrap__": page, "codecVersion": 1, "encoding": "arrow",
           "b64": base64.b64encode(payload).decode("ascii")}
    if kind == "series":
        env["name"] = _name_json(name)
    return encoder.write_json(env)
