"""The ``dataframe`` and ``series`` envelopes (spec/src/dataframe.md,
spec/src/series.md), decoded to their canonical values
([canonical.dataframe], [canonical.series]).

Everything is read from the bytes by arrow_ipc.py's flatbuffer reader: the
Arrow IPC *file* of a dataframe ([dataframe.arrow.file]: magic, messages,
dictionary batches, record batches, end-of-stream, footer) and the Arrow IPC
*stream* of a series ([series.arrow.stream]). No Arrow library sees them.

As in decoder.py, each clause is one module-level function, called through
the module's globals in the order the pages list the clauses, so that
mutants.py can switch single rules off.

Processing order of the ``arrow`` encoding (dataframe.md's "Processing
order" paragraph after [dataframe.arrow.file]; a series stream alike):

    base64 -> file/stream framing ([dataframe.arrow.file] without item 4 of
    [ndarray.arrow.stream], footer included) -> column types -> limits
    -> column contents (item 4: dictionary batches first, then each record
    batch column by column) -> dictionaries -> values -> pandas metadata
    -> index
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from . import arrow_ipc, decoder, jsontext
from .arrow_ipc import T, ArrowPayloadError
from .errors import SciwireError, pointer
from .limits import MAX_SAFE_INTEGER, Limits

FILE_MAGIC = b"ARROW1\x00\x00"
FILE_TAIL = b"ARROW1"
EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"
UNITS = ("s", "ms", "us", "ns")
INT_NAMES = {(8, True): "int8", (16, True): "int16", (32, True): "int32", (64, True): "int64",
             (8, False): "uint8", (16, False): "uint16", (32, False): "uint32", (64, False): "uint64"}
INT_OF_NAME = {v: k for k, v in INT_NAMES.items()}
FLOAT_NAMES = {0: "float16", 1: "float32", 2: "float64"}
FLOAT_DIGITS = {"float16": 4, "float32": 8, "float64": 16}
EXTENSION_KEY = b"ARROW:extension:name"
#: the json encoding's column types ([dataframe.json.types])
JSON_TYPES = ("bool", "int64", "float64", "string", "null")


# ---------------------------------------------------------------------------
# Decoded records
# ---------------------------------------------------------------------------

@dataclass
class Column:
    """One column value ([canonical.column]): name, canonical type, leaves
    (``None`` for a null) and, for a dictionary column, the dictionary."""

    name: Optional[str]
    type: dict
    values: list
    dictionary: Optional[list] = None

    def canonical(self) -> dict:
        d = {"name": self.name, "type": self.type, "values": self.values}
        if self.type["id"] == "dictionary":
            d["dictionary"] = self.dictionary
        return d


@dataclass
class DecodedTable:
    """A decoded dataframe: rows, columns and index (a range dict, or index
    columns). ``canonical()`` is [canonical.dataframe]."""

    rows: int
    columns: List[Column]
    index: object   # {"kind": "range", ...} or List[Column]

    def canonical(self) -> dict:
        if isinstance(self.index, dict):
            index = dict(self.index)
        else:
            index = {"kind": "columns", "columns": [c.canonical() for c in self.index]}
        return {"kind": "dataframe", "rows": self.rows, "columns": [c.canonical() for c in self.columns],
                "index": index}

    def to_python(self) -> "DecodedTable":
        return self


@dataclass
class DecodedSeries:
    """A decoded series: its name (a plain JSON value: str, int, float, bool
    or None, the float/int kind kept), type, leaves and dictionary.
    ``canonical()`` is [canonical.series]."""

    name: object
    column: Column

    def canonical(self) -> dict:
        d = {"kind": "series", "name": typed_name(self.name), "type": self.column.type,
             "values": self.column.values}
        if self.column.type["id"] == "dictionary":
            d["dictionary"] = self.column.dictionary
        return d

    def to_python(self) -> "DecodedSeries":
        return self


class IntName(int):
    """An integer series name (kept apart from a float name of equal value)."""


def typed_name(name) -> dict:
    """[canonical.typed-json] node of a series name."""
    if name is None:
        return {"null": None}
    if isinstance(name, bool):
        return {"bool": name}
    if isinstance(name, str):
        return {"string": name}
    if isinstance(name, (IntName, jsontext.JsonInt)):
        return {"int": int(name)}
    if isinstance(name, float):
        return {"float": struct.pack(">d", name).hex()}
    raise AssertionError(name)  # pragma: no cover


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def _payload(msg: str, clause: str, path: str) -> SciwireError:
    return SciwireError("E_ARROW_PAYLOAD", msg, clause, path)


def _column_type_error(msg: str, clause: str) -> SciwireError:
    return SciwireError("E_COLUMN_TYPE", msg, clause)


def _meta_error(msg: str, clause: str = "dataframe.pandas.metadata") -> SciwireError:
    return SciwireError("E_PANDAS_METADATA", msg, clause)


# ---------------------------------------------------------------------------
# The envelope's members ([dataframe.required], [series.required], [series.name])
# ---------------------------------------------------------------------------

def check_required_dataframe(v, version: int, encoding: str) -> None:
    """[dataframe.required]: the payload member, in v1 and v0 alike."""
    payload = "b64" if encoding == "arrow" else "data"
    if payload not in v:
        raise SciwireError("E_MISSING_FIELD", f"{payload} is required", "dataframe.required", pointer(payload))


def check_required_series(v, version: int, encoding: str) -> None:
    """[series.required]: the payload member always; name in version 1."""
    payload = "b64" if encoding == "arrow" else "data"
    if payload not in v:
        raise SciwireError("E_MISSING_FIELD", f"{payload} is required", "series.required", pointer(payload))
    if version == 1 and "name" not in v:
        raise SciwireError("E_MISSING_FIELD", "name is required in version 1", "series.required", "/name")


def check_series_name(v):
    """[series.name]: a string, number, boolean or null; an integer within
    +-(2^53-1), a float finite. Returns the name (None when absent in v0)."""
    if "name" not in v:
        return None
    x = v["name"]
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            raise SciwireError("E_VALUE_DOMAIN", "the name is a number without a finite binary64 value",
                               "series.name", "/name")
        if isinstance(x, jsontext.JsonInt):
            if abs(x) > MAX_SAFE_INTEGER:
                raise SciwireError("E_VALUE_DOMAIN", "the integer name is beyond +-(2^53-1)", "series.name",
                                   "/name")
            return IntName(int(x))
        return float(x)
    raise SciwireError("E_FIELD_TYPE", f"the name is {decoder._kind(x)}, not a string, number, boolean or null",
                       "series.name", "/name")


# ---------------------------------------------------------------------------
# Column types ([dataframe.column-types], [series.arrow.type])
# ---------------------------------------------------------------------------

def value_type(f: arrow_ipc.ArrowField) -> Optional[dict]:
    """The canonical type of a field's (value) Arrow type, or None if it is
    not in the table."""
    t, p = f.type_id, f.type
    if t == T["Bool"]:
        return {"id": "bool"}
    if t == T["Int"]:
        return {"id": INT_NAMES[(p["bitWidth"], bool(p["is_signed"]))]}
    if t == T["FloatingPoint"]:
        return {"id": FLOAT_NAMES[p["precision"]]}
    if t in (T["Utf8"], T["LargeUtf8"]):
        return {"id": "string"}
    if t in (T["Binary"], T["LargeBinary"]):
        return {"id": "binary"}
    if t == T["Date"]:
        return {"id": "date32"} if p["unit"] == 0 else None
    if t == T["Timestamp"]:
        # An empty timezone is none, as the Arrow format reads it ([dataframe.column-types]).
        return {"id": "timestamp", "unit": UNITS[p["unit"]], "tz": p["timezone"] or None}
    if t == T["Duration"]:
        return {"id": "duration", "unit": UNITS[p["unit"]]}
    if t == T["Null"]:
        return {"id": "null"}
    return None


def index_type_name(f: arrow_ipc.ArrowField) -> str:
    bw, signed = f.dictionary.get("indexType", (32, True))
    return INT_NAMES[(bw, bool(signed))]


def column_type(f: arrow_ipc.ArrowField, clause: str) -> dict:
    """The canonical type of a field, or E_COLUMN_TYPE."""
    what = f"field {f.name!r}"
    if f.children:
        raise _column_type_error(f"{what} has child fields ({f.describe()}); no column type has any", clause)
    if any(k == EXTENSION_KEY for k, _v in f.metadata):
        raise _column_type_error(f"{what} declares an Arrow extension type; its storage type is not its meaning",
                                 clause)
    base = value_type(f)
    if base is None:
        raise _column_type_error(f"{what} has Arrow type {f.describe()}, which is not a column type", clause)
    if f.dictionary is None:
        return base
    if base["id"] == "null":
        raise _column_type_error(f"{what} is a dictionary of nulls", clause)
    return {"id": "dictionary", "index": index_type_name(f), "ordered": bool(f.dictionary.get("isOrdered")),
            "values": base}


def check_column_types(fields, clause: str) -> List[dict]:
    """[dataframe.column-types] for every field, in schema order."""
    return [column_type(f, clause) for f in fields]


# ---------------------------------------------------------------------------
# The arrow payload: base64, then the file or stream framing
# ---------------------------------------------------------------------------

def read_b64(v, limits: Limits) -> bytes:
    """[dataframe.arrow.base64] / [series.arrow.base64]: as [ndarray.arrow.base64]."""
    s = decoder.check_b64_type(v)
    decoder.check_b64_length(s, limits)
    decoder.check_b64_canonical(s)
    return decoder.b64_decode(s)


@dataclass
class Payload:
    """The framing of an Arrow IPC file or stream, checked: the schema, the
    dictionary batches (by id) and the record batches, in order."""

    schema: arrow_ipc.ArrowSchema
    dictionaries: dict          # id -> RecordBatch (with .body)
    batches: List[arrow_ipc.RecordBatch]
    dict_fields: dict           # id -> the field that declares it


def _dictionary_fields(fields, out: dict) -> dict:
    for f in fields:
        if f.dictionary is not None:
            did = f.dictionary["id"]
            if did in out:
                arrow_ipc._bad(f"two fields declare the dictionary id {did}")
            out[did] = f
        _dictionary_fields(f.children, out)
    return out


def check_batch_framing(rb: arrow_ipc.RecordBatch, body, nfields: int, what: str) -> None:
    """Item 3 of [ndarray.arrow.stream]: no compression, one field node per
    field, every buffer inside the body at a multiple of 8."""
    rb.body = body
    if rb.compressed:
        arrow_ipc._bad(f"{what} body is compressed")
    if rb.length < 0:
        arrow_ipc._bad(f"{what} length {rb.length} is negative")
    if len(rb.nodes) != nfields:
        arrow_ipc._bad(f"{what} has {len(rb.nodes)} field nodes for {nfields} fields")
    for ln, nc in rb.nodes:
        if ln < 0 or nc < 0 or nc > ln:
            arrow_ipc._bad(f"{what}: field node length {ln} / null_count {nc} is invalid")
    blen = len(body)
    for off, ln in rb.buffers:
        if off % 8:
            arrow_ipc._bad(f"{what}: buffer at offset {off} is not at a multiple of 8")
        if off < 0 or ln < 0 or off + ln > blen:
            arrow_ipc._bad(f"{what}: buffer at offset {off} of length {ln} lies outside the {blen}-byte body")
    # variadicBufferCounts are read only by the view types, which no column
    # type is ([dataframe.column-types] rejects them first): not framing.


def check_messages(framed) -> Payload:
    """Item 2 of [dataframe.arrow.file] (and of [series.arrow.stream]): a
    Schema, little-endian; then dictionary batches (declared ids, no delta,
    one per id, before the first record batch) and record batches."""
    if not framed:
        arrow_ipc._bad("no schema message")
    first = framed[0][0]
    if first.header_type != arrow_ipc.H_SCHEMA or first.header is None:
        arrow_ipc._bad(f"the first message is a {arrow_ipc.HEADER_NAMES.get(first.header_type, first.header_type)}"
                       ", not a Schema")
    schema = first.header
    arrow_ipc.check_endianness(schema)
    dict_fields = _dictionary_fields(schema.fields, {})
    nfields = arrow_ipc._count_fields(schema.fields)
    dictionaries, batches = {}, []
    for msg, body, pos, _meta in framed[1:]:
        ht = msg.header_type
        if ht == arrow_ipc.H_DICTIONARY_BATCH and msg.header is not None:
            db = msg.header
            if batches:
                arrow_ipc._bad(f"a dictionary batch (id {db.id}) at byte {pos} follows a record batch")
            if db.id not in dict_fields:
                arrow_ipc._bad(f"dictionary batch id {db.id} is declared by no field")
            if db.is_delta:
                arrow_ipc._bad(f"dictionary batch id {db.id} is a delta")
            if db.id in dictionaries:
                arrow_ipc._bad(f"a second dictionary batch for id {db.id}")
            f = dict_fields[db.id]
            check_batch_framing(db.data, body, 1 + arrow_ipc._count_fields(f.children),
                                f"dictionary batch {db.id}")
            dictionaries[db.id] = db.data
        elif ht == arrow_ipc.H_RECORD_BATCH and msg.header is not None:
            check_batch_framing(msg.header, body, nfields, "record batch")
            batches.append(msg.header)
        else:
            arrow_ipc._bad(f"a {arrow_ipc.HEADER_NAMES.get(ht, ht)} message at byte {pos}; only dictionary and "
                           "record batches follow the schema")
    check_dictionaries_present(dict_fields, dictionaries, batches)
    return Payload(schema, dictionaries, batches, dict_fields)


def check_dictionaries_present(dict_fields: dict, dictionaries: dict, batches) -> None:
    """Item 2 of [dataframe.arrow.file]: a dictionary id without its batch
    is allowed only in a table with no rows (pyarrow writes none for a
    zero-row categorical); its dictionary is then empty. Zero-length record
    batches count no rows."""
    rows = sum(rb.length for rb in batches)
    if rows:
        for did in dict_fields:
            if did not in dictionaries:
                arrow_ipc._bad(f"no dictionary batch for the dictionary id {did}, in a table of {rows} rows")


def _same_field(a: arrow_ipc.ArrowField, b: arrow_ipc.ArrowField) -> bool:
    def enc(d):
        if d is None:
            return None
        bw, signed = d.get("indexType", (32, True))
        return (d["id"], bw, bool(signed), bool(d.get("isOrdered")), d.get("kind", 0))
    return (a.name == b.name and a.type_id == b.type_id and a.type == b.type
            and enc(a.dictionary) == enc(b.dictionary) and len(a.children) == len(b.children)
            and all(_same_field(x, y) for x, y in zip(a.children, b.children)))


def _blocks(t, slot: int, what: str):
    r = t.vector(slot, 24, what)
    if r is None:
        return []
    p, n = r
    buf = t.buf
    return [(buf.i64(p + 24 * k), buf.i32(p + 24 * k + 8), buf.i64(p + 24 * k + 16)) for k in range(n)]


def check_footer(payload: bytes, end: int, framed, schema: arrow_ipc.ArrowSchema) -> None:
    """Item 3 of [dataframe.arrow.file]: the Footer, its length and ARROW1
    exactly fill the bytes after the end-of-stream marker; version V5; the
    same fields as the Schema message; blocks naming exactly the dictionary
    and record batch messages, in order."""
    n = len(payload)
    if n - end < 4 + len(FILE_TAIL):
        arrow_ipc._bad("the file ends without a footer, its length and ARROW1")
    if payload[n - 6:] != FILE_TAIL:
        arrow_ipc._bad("the file does not end with ARROW1 (truncated, or bytes after it)")
    flen = struct.unpack_from("<i", payload, n - 10)[0]
    if flen <= 0 or end + flen != n - 10:
        arrow_ipc._bad(f"the footer length {flen} does not fill the {n - 10 - end} bytes between the end-of-stream "
                       "marker and the footer length")
    buf = arrow_ipc._Buf(bytes(payload[end:end + flen]))
    t = buf.root()
    version = t.scalar(0, "i16", 0, "footer version")
    if version != arrow_ipc.V5:
        arrow_ipc._bad(f"the footer's version is {version}, not V5")
    st = t.table(1, "footer schema")
    if st is None:
        arrow_ipc._bad("the footer has no schema")
    fschema = arrow_ipc._parse_schema(st)
    dict_blocks = _blocks(t, 2, "footer dictionaries")
    batch_blocks = _blocks(t, 3, "footer recordBatches")
    arrow_ipc._key_values(t, 4)
    if len(fschema.fields) != len(schema.fields) or not all(
            _same_field(a, b) for a, b in zip(fschema.fields, schema.fields)):
        arrow_ipc._bad("the footer's schema has other fields than the Schema message")
    want_d = [(pos, meta, msg.body_length) for msg, _b, pos, meta in framed[1:]
              if msg.header_type == arrow_ipc.H_DICTIONARY_BATCH]
    want_r = [(pos, meta, msg.body_length) for msg, _b, pos, meta in framed[1:]
              if msg.header_type == arrow_ipc.H_RECORD_BATCH]
    if dict_blocks != want_d:
        arrow_ipc._bad(f"the footer's dictionary blocks {dict_blocks} are not the dictionary batches {want_d}")
    if batch_blocks != want_r:
        arrow_ipc._bad(f"the footer's record batch blocks {batch_blocks} are not the record batches {want_r}")


def read_file(payload, path: str) -> Payload:
    """[dataframe.arrow.file]"""
    try:
        if bytes(payload[:8]) != FILE_MAGIC:
            arrow_ipc._bad("the payload does not start with the Arrow file magic ARROW1\\0\\0")
        framed, end = arrow_ipc.read_framed(payload, 8, allow_trailing=True)
        p = check_messages(framed)
        check_footer(payload, end, framed, p.schema)
        return p
    except ArrowPayloadError as e:
        raise _payload(f"not one well-formed Arrow IPC file: {e}", "dataframe.arrow.file", path) from None


def read_stream(payload, path: Optional[str], clause: str = "series.arrow.stream") -> Payload:
    """[series.arrow.stream] (and the flame profile's [flame.stream.message],
    with its clause): the stream's messages, framed and verified, in the rules
    of item 2 of [dataframe.arrow.file], up to the end-of-stream marker and
    nothing after it. The number of record batches is the caller's rule."""
    try:
        framed, _end = arrow_ipc.read_framed(payload, 0)
        return check_messages(framed)
    except ArrowPayloadError as e:
        raise _payload(f"not one well-formed Arrow IPC stream: {e}", clause, path) from None


def check_series_batches(p: Payload, path: str) -> None:
    """[series.arrow.stream]: at most one RecordBatch ([ndarray.arrow.batches])."""
    if len(p.batches) > 1:
        raise _payload(f"the stream holds {len(p.batches)} record batches; at most one is allowed",
                       "series.arrow.stream", path)


def check_series_schema(p: Payload) -> arrow_ipc.ArrowField:
    """[series.arrow.schema]"""
    fields = p.schema.fields
    if len(fields) != 1:
        raise SciwireError("E_ARROW_SCHEMA", f"the schema has {len(fields)} fields, not exactly one",
                           "series.arrow.schema")
    if fields[0].name != "value":
        raise SciwireError("E_ARROW_SCHEMA", f"the field is named {fields[0].name!r}, not 'value'",
                           "series.arrow.schema")
    return fields[0]


# ---------------------------------------------------------------------------
# Limits, contents, dictionaries, values
# ---------------------------------------------------------------------------

def row_count(p: Payload) -> int:
    return sum(rb.length for rb in p.batches)


def _dictionary_entries(p: Payload) -> int:
    return sum(rb.length for rb in p.dictionaries.values())


def check_table_limits(p: Payload, nfields: int, limits: Limits) -> int:
    """[dataframe.arrow.limits]: rows within 2^53-1; cells (rows x fields)
    plus the entries of every dictionary within max_elements."""
    rows = row_count(p)
    if rows > MAX_SAFE_INTEGER:
        raise SciwireError("E_LIMIT_EXCEEDED", f"{rows} rows are more than 2^53-1", "dataframe.arrow.limits")
    entries = _dictionary_entries(p)
    if rows * nfields + entries > limits.max_elements:
        raise SciwireError("E_LIMIT_EXCEEDED", f"{rows} rows x {nfields} fields plus {entries} dictionary entries "
                           f"are more than max_elements {limits.max_elements}", "dataframe.arrow.limits")
    return rows


def check_series_limits(p: Payload, limits: Limits) -> int:
    """[series.arrow.limits]: values plus dictionary entries within max_elements."""
    rows = row_count(p)
    entries = _dictionary_entries(p)
    if rows + entries > limits.max_elements:
        raise SciwireError("E_LIMIT_EXCEEDED", f"{rows} values plus {entries} dictionary entries are more than "
                           f"max_elements {limits.max_elements}", "series.arrow.limits")
    return rows


def _validate_field(f: arrow_ipc.ArrowField, node, bufs, body, length: int) -> None:
    if node[0] != length:
        arrow_ipc._bad(f"column length {node[0]} differs from the batch length {length}")
    arrow_ipc._validate_column(f, node, bufs, body)
    if f.dictionary is not None:
        bw, _signed = f.dictionary.get("indexType", (32, True))
        w = bw // 8
        if len(bufs) < 2 or bufs[1][1] % w or bufs[1][1] < w * length:
            arrow_ipc._bad(f"the dictionary indices buffer is not {length} whole {w}-byte indices")


def _validate_batch(fields, rb, what: str) -> None:
    if rb.variadic:
        # Only the view types read them, and no column type is one.
        arrow_ipc._bad(f"{what} declares variadic buffer counts {list(rb.variadic)}, which only a view type reads")
    counts = [arrow_ipc._buffer_count(f, []) for f in fields]
    if sum(counts) > len(rb.buffers):
        arrow_ipc._bad(f"{what} has {len(rb.buffers)} buffers, its fields need {sum(counts)}")
    bi = 0
    for k, (f, c) in enumerate(zip(fields, counts)):
        _validate_field(f, rb.nodes[k], rb.buffers[bi:bi + c], rb.body, rb.length)
        bi += c


def check_contents(p: Payload, fields, clause: str, path: str) -> None:
    """Item 4 of [ndarray.arrow.stream], for every column of every batch,
    dictionary batches included (their one field: the dictionary's values)."""
    try:
        for did, rb in p.dictionaries.items():
            vf = dataclasses.replace(p.dict_fields[did], dictionary=None)
            _validate_batch([vf], rb, f"dictionary batch {did}")
        for rb in p.batches:
            _validate_batch(fields, rb, "record batch")
    except ArrowPayloadError as e:
        raise _payload(f"a column's contents are not valid for its type: {e}", clause, path) from None


def _buffer(rb, k):
    off, ln = rb.buffers[k]
    return rb.body[off:off + ln]


def _valid_mask(rb, k: int, null_count: int, length: int):
    """The validity bits as a list of bools, or None when all are valid."""
    if null_count == 0 or length == 0:
        return None
    bm = _buffer(rb, k)
    bits = np.unpackbits(np.frombuffer(bm, dtype=np.uint8, count=(length + 7) // 8), bitorder="little",
                         count=length)
    return bits.astype(bool).tolist()


def _fixed(rb, k, dtype: str, length: int):
    return np.frombuffer(_buffer(rb, k), dtype=dtype, count=length)


def _leaves(tid: str, typ: dict, f: arrow_ipc.ArrowField, rb, bi: int, length: int) -> list:
    """The canonical leaves of one column of one batch (nulls not applied).
    ``bi`` is the column's first buffer (its validity bitmap)."""
    if length == 0:
        return []
    if tid == "null":
        return [None] * length
    if tid == "bool":
        bits = np.unpackbits(np.frombuffer(_buffer(rb, bi + 1), dtype=np.uint8, count=(length + 7) // 8),
                             bitorder="little", count=length)
        return bits.astype(bool).tolist()
    if tid == "dictionary":
        return [str(x) for x in _fixed(rb, bi + 1, np.dtype(typ["index"]).newbyteorder("<"), length).tolist()]
    if tid in INT_OF_NAME:
        return [str(x) for x in _fixed(rb, bi + 1, np.dtype(tid).newbyteorder("<"), length).tolist()]
    if tid in FLOAT_DIGITS:
        digits = FLOAT_DIGITS[tid]
        u = {4: "<u2", 8: "<u4", 16: "<u8"}[digits]
        fmt = f"0{digits}x"
        return [format(x, fmt) for x in _fixed(rb, bi + 1, u, length).tolist()]
    if tid == "date32":
        return [str(x) for x in _fixed(rb, bi + 1, "<i4", length).tolist()]
    if tid in ("timestamp", "duration"):
        return [str(x) for x in _fixed(rb, bi + 1, "<i8", length).tolist()]
    if tid in ("string", "binary"):
        large = f.type_id in (T["LargeUtf8"], T["LargeBinary"])
        offs = _fixed(rb, bi + 1, "<i8" if large else "<i4", length + 1).tolist()
        data = bytes(_buffer(rb, bi + 2))
        if tid == "string":
            return [data[offs[i]:offs[i + 1]].decode("utf-8") for i in range(length)]
        return [data[offs[i]:offs[i + 1]].hex() for i in range(length)]
    raise AssertionError(tid)  # pragma: no cover


def column_leaves(f: arrow_ipc.ArrowField, typ: dict, batches, field_index: int, fields) -> list:
    """The column's leaves over every batch, nulls as None ([dataframe.arrow.values])."""
    tid = typ["id"]
    out: list = []
    counts = [arrow_ipc._buffer_count(g, []) for g in fields]
    bi = sum(counts[:field_index])
    for rb in batches:
        length, null_count = rb.nodes[field_index]
        vals = _leaves(tid, typ, f, rb, bi, length)
        if tid != "null":
            mask = _valid_mask(rb, bi, null_count, length)
            if mask is not None:
                vals = [v if ok else None for v, ok in zip(vals, mask)]
        out.extend(vals)
    return out


def dictionary_entries(p: Payload, f: arrow_ipc.ArrowField, typ: dict, clause: str) -> list:
    """A dictionary's entries as leaves of its values type; never null
    ([dataframe.arrow.dictionary]). No batch at all (an empty table pyarrow
    wrote): no dictionary batch, no entries."""
    did = f.dictionary["id"]
    rb = p.dictionaries.get(did)
    if rb is None:
        return []
    vf = dataclasses.replace(f, dictionary=None)
    if rb.length and rb.nodes[0][1] > 0:
        raise SciwireError("E_VALUE_DOMAIN", f"dictionary {did} of field {f.name!r} has {rb.nodes[0][1]} null "
                           "entries", clause)
    return _leaves(typ["values"]["id"], typ["values"], vf, rb, 0, rb.length)


def check_codes(col: Column, clause: str) -> None:
    """[dataframe.arrow.dictionary]: every non-null code is in [0, n)."""
    n = len(col.dictionary)
    for r, code in enumerate(col.values):
        if code is not None and not 0 <= int(code) < n:
            raise SciwireError("E_VALUE_DOMAIN", f"row {r} of column {col.name!r} has the code {code}, outside a "
                               f"dictionary of {n} entries", clause)


def read_columns(p: Payload, types, clause_dict: str) -> List[Column]:
    """[dataframe.arrow.dictionary] then [dataframe.arrow.values], per column."""
    fields = p.schema.fields
    cols = []
    dicts = {}
    for k, (f, typ) in enumerate(zip(fields, types)):
        if typ["id"] == "dictionary":
            dicts[k] = dictionary_entries(p, f, typ, clause_dict)
    for k, (f, typ) in enumerate(zip(fields, types)):
        col = Column(f.name if f.name is not None else "", typ, column_leaves(f, typ, p.batches, k, fields),
                     dicts.get(k))
        if typ["id"] == "dictionary":
            check_codes(col, clause_dict)
        cols.append(col)
    return cols


# ---------------------------------------------------------------------------
# pandas metadata ([dataframe.pandas.*])
# ---------------------------------------------------------------------------

def pandas_metadata(schema: arrow_ipc.ArrowSchema, limits: Limits):
    """[dataframe.pandas.metadata]: the parsed ``pandas`` value, or None."""
    values = [v for k, v in schema.metadata if k == b"pandas"]
    if not values:
        return None
    if len(values) > 1:
        raise _meta_error("the schema's custom metadata has the key 'pandas' twice")
    raw = values[0] if values[0] is not None else b""
    try:
        text = jsontext.decode_utf8(raw)
        md = jsontext.parse(text, limits.max_depth)
    except SciwireError as e:
        raise _meta_error(f"the pandas metadata is not JSON text: {e.message}") from None
    if not isinstance(md, dict):
        raise _meta_error("the pandas metadata is not a JSON object")
    ic = md.get("index_columns")
    if not jsontext.is_array(ic):
        raise _meta_error("the pandas metadata has no array index_columns")
    if isinstance(ic, jsontext.NumberArray):
        raise _meta_error("an entry of index_columns is a number, neither a range nor a column name",
                          "dataframe.pandas.index")
    if any(isinstance(e, str) for e in ic):
        cols = md.get("columns")
        if not isinstance(cols, list) or not all(isinstance(c, dict) for c in cols):
            raise _meta_error("index_columns names a column, and the metadata has no array of objects 'columns'")
    return md


def _int_member(o: dict, name: str) -> int:
    x = o.get(name)
    if not isinstance(x, jsontext.JsonInt) or abs(x) > MAX_SAFE_INTEGER:
        raise _meta_error(f"the range's {name} is not an integer token within +-(2^53-1)", "dataframe.pandas.index")
    return int(x)


def resolve_index(md, fields, rows: int):
    """[dataframe.pandas.index] and [dataframe.pandas.index-columns]: the
    index (a range dict, or [(field position, name)]) and the positions of
    the fields that are columns."""
    default = {"kind": "range", "name": None, "start": 0, "stop": rows, "step": 1}
    all_pos = list(range(len(fields)))
    if md is None:
        return default, all_pos
    ic = list(md["index_columns"])
    if not ic:
        return default, all_pos
    index_fields = []
    seen = set()
    for e in ic:
        if isinstance(e, dict):
            if e.get("kind") != "range":
                raise _meta_error("an index_columns object is not a range (kind 'range')", "dataframe.pandas.index")
            if len(ic) != 1:
                raise _meta_error("a range index is not the only entry of index_columns", "dataframe.pandas.index")
            start, stop, step = (_int_member(e, m) for m in ("start", "stop", "step"))
            if step == 0:
                raise _meta_error("the range's step is 0", "dataframe.pandas.index")
            if "name" not in e or not (e["name"] is None or isinstance(e["name"], str)):
                raise _meta_error("the range's name is not a string or null", "dataframe.pandas.index")
            if len(range(start, stop, step)) != rows:
                raise _meta_error(f"the range index has {len(range(start, stop, step))} values; the table has "
                                  f"{rows} rows", "dataframe.pandas.index")
            return {"kind": "range", "name": e["name"], "start": start, "stop": stop, "step": step}, all_pos
        if not isinstance(e, str):
            raise _meta_error("an entry of index_columns is neither a range nor a column name",
                              "dataframe.pandas.index")
        if e in seen:
            raise _meta_error(f"index_columns names the field {e!r} twice", "dataframe.pandas.index")
        seen.add(e)
        pos = [k for k, f in enumerate(fields) if f.name == e]
        if len(pos) != 1:
            raise _meta_error(f"index_columns names {e!r}, the name of {len(pos)} fields, not exactly one",
                              "dataframe.pandas.index")
        objs = [c for c in md["columns"] if c.get("field_name") == e]
        if len(objs) != 1:
            raise _meta_error(f"index_columns names {e!r}, the field_name of {len(objs)} objects of columns, not "
                              "exactly one", "dataframe.pandas.index")
        if "name" not in objs[0] or not (objs[0]["name"] is None or isinstance(objs[0]["name"], str)):
            raise _meta_error(f"the columns object of index field {e!r} has no name that is a string or null",
                              "dataframe.pandas.index")
        index_fields.append((pos[0], objs[0]["name"]))
    taken = {k for k, _n in index_fields}
    return index_fields, [k for k in all_pos if k not in taken]


# ---------------------------------------------------------------------------
# The json encoding
# ---------------------------------------------------------------------------

def _cell_kind(x) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, jsontext.JsonInt):
        return "int64"
    if isinstance(x, float):
        return "float64"
    if isinstance(x, str):
        return "string"
    return "nested"


def json_column_type(cells, what: str, clause: str) -> str:
    """[dataframe.json.types]: the one kind of the non-null cells."""
    kind = "null"
    for r, x in enumerate(cells):
        k = _cell_kind(x)
        if k == "nested":
            raise SciwireError("E_COLUMN_TYPE", f"{what}, row {r}: a cell is {decoder._kind(x)}", clause)
        if k == "null":
            continue
        if kind == "null":
            kind = k
        elif k != kind:
            raise SciwireError("E_COLUMN_TYPE", f"{what} mixes {kind} and {k} cells", clause)
    return kind


def json_leaves(cells, kind: str, what: str, clause: str) -> list:
    """[dataframe.json.values]: the leaves of a column of one kind."""
    out = []
    for x in cells:
        if x is None:
            out.append(None)
        elif kind == "bool" or kind == "string":
            out.append(x)
        elif kind == "int64":
            if not abs(x) <= MAX_SAFE_INTEGER:
                raise SciwireError("E_VALUE_DOMAIN", f"{what}: an integer beyond +-(2^53-1)", clause)
            out.append(str(int(x)))
        else:
            if x != x or x in (float("inf"), float("-inf")):
                raise SciwireError("E_VALUE_DOMAIN", f"{what}: a float with no finite binary64 value", clause)
            out.append(struct.pack(">d", x).hex())
    return out


def check_json_cells(data, limits: Limits) -> None:
    """[dataframe.json.limits]: rows x the first row's members x 8 bytes
    within max_decoded_bytes, before the rows' members are compared."""
    members = len(data[0]) if data else 0
    size = len(data) * members * 8
    if size > limits.max_decoded_bytes:
        raise SciwireError("E_LIMIT_EXCEEDED", f"{len(data)} rows x {members} members x 8 bytes are more than "
                           f"max_decoded_bytes {limits.max_decoded_bytes}", "dataframe.json.limits", "/data")


def check_json_columns(data) -> list:
    """[dataframe.json.columns]: the first row's members, in every row, in order."""
    names = list(data[0]) if data else []
    for r, row in enumerate(data):
        if list(row) != names:
            raise SciwireError("E_SHAPE_MISMATCH", f"row {r} has the members {list(row)[:8]}, not {names[:8]} in "
                               "that order", "dataframe.json.columns", pointer("data", r))
    return names


def decode_dataframe_json(v, limits: Limits) -> DecodedTable:
    data = v["data"]
    # [dataframe.json.rows]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise SciwireError("E_FIELD_TYPE", "data is not an array of objects", "dataframe.json.rows", "/data")
    check_json_cells(data, limits)
    names = check_json_columns(data)
    # [dataframe.json.types], then [dataframe.json.values]
    kinds = [json_column_type([row[n] for row in data], f"column {n!r}", "dataframe.json.types") for n in names]
    cols = [Column(n, {"id": k}, json_leaves([row[n] for row in data], k, f"column {n!r}", "dataframe.json.values"))
            for n, k in zip(names, kinds)]
    # [dataframe.json.index]
    rows = len(data)
    return DecodedTable(rows, cols, {"kind": "range", "name": None, "start": 0, "stop": rows, "step": 1})


def check_series_json_size(data, limits: Limits) -> None:
    """[series.json.data]: len(data) x 8 bytes within max_decoded_bytes."""
    if len(data) * 8 > limits.max_decoded_bytes:
        raise SciwireError("E_LIMIT_EXCEEDED", f"data holds {len(data)} values, 8 bytes each, more than "
                           f"max_decoded_bytes {limits.max_decoded_bytes}", "series.json.data", "/data")


def decode_series_json(v, name, limits: Limits) -> DecodedSeries:
    data = v["data"]
    # [series.json.data]
    if not jsontext.is_array(data):
        raise SciwireError("E_FIELD_TYPE", "data is not an array", "series.json.data", "/data")
    check_series_json_size(data, limits)
    items = data.items() if isinstance(data, jsontext.NumberArray) else data
    # [series.json.values]
    kind = json_column_type(items, "the series", "series.json.values")
    leaves = json_leaves(items, kind, "the series", "series.json.values")
    return DecodedSeries(name, Column(None, {"id": kind}, leaves))


# ---------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------

def arrow_bytes(v, encoding: str, limits: Limits):
    """The Arrow IPC bytes: the decoded ``b64``, or a frame's buffer
    ([frame.references], checked where the page reads the payload)."""
    if encoding == "frame":
        from . import frame
        index = frame.reference(v, "data")
        return frame.active().view(index), "/data"
    return read_b64(v, limits), "/b64"


def decode_dataframe(v, version: int, encoding: str, limits: Limits) -> DecodedTable:
    """The dataframe page, after the envelope's checks and [dataframe.members]."""
    check_required_dataframe(v, version, encoding)
    if encoding == "json":
        return decode_dataframe_json(v, limits)
    payload, path = arrow_bytes(v, encoding, limits)
    p = read_file(payload, path)
    fields = p.schema.fields
    types = check_column_types(fields, "dataframe.column-types")
    rows = check_table_limits(p, len(fields), limits)
    check_contents(p, fields, "dataframe.arrow.file", path)
    cols = read_columns(p, types, "dataframe.arrow.dictionary")
    md = pandas_metadata(p.schema, limits)
    index, col_pos = resolve_index(md, fields, rows)
    columns = [cols[k] for k in col_pos]
    if not isinstance(index, dict):
        index = [dataclasses.replace(cols[k], name=name) for k, name in index]
    return DecodedTable(rows, columns, index)


def decode_series(v, version: int, encoding: str, limits: Limits) -> DecodedSeries:
    """The series page, after the envelope's checks and [series.members]."""
    check_required_series(v, version, encoding)
    name = check_series_name(v)
    if encoding == "json":
        return decode_series_json(v, name, limits)
    payload, path = arrow_bytes(v, encoding, limits)
    p = read_stream(payload, path)
    check_series_batches(p, path)
    f = check_series_schema(p)
    typ = column_type(f, "series.arrow.type")
    check_series_limits(p, limits)
    check_contents(p, [f], "series.arrow.stream", path)
    col = read_columns(p, [typ], "series.arrow.values")[0]
    col.name = None
    return DecodedSeries(name, col)
