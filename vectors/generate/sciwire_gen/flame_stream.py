"""The flame profile's Arrow IPC streams (spec/src/flame.md, "Tags 02 to 04"): flamepy 0.6.0 writes
a pyarrow Table as FLM\\x02 and a stream, a RecordBatch as FLM\\x04, an Array as FLM\\x03 and the
stream of `pa.RecordBatch.from_arrays([arr], names=["data"])`.

Here: the generator's own reader of those frames (decode, fault: flame.md's checks in its
processing order), the encoder of [flame.encode.table] and [flame.encode.array], the valid
vectors (flamepy's exact bytes of real pyarrow objects, mostly the dataframe and series modules'
own expressions), encode vectors and equivalence groups. The invalid ones are in
flame_stream_invalid.py. Not a profile module: flame.py calls build().

Every valid vector's value is computed three ways that must agree: from the pyarrow object
flamepy was given, from what flamepy's `_deserialize_object_data` gives back, and by this
module's reader. The converters are the dataframe module's (dataframe_producer.canon_batches,
column_value): they produced the dataframe and series vectors' values.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import functools
import json
import struct

import numpy as np
import pandas as pd
import pyarrow as pa
from flamepy.core.cache import _deserialize_object_data, _serialize_object_data

from . import flame_tensor as ft
from .arrowbytes import FbTable, Msg, i64, u32
from .common import KEY_ORDER, B, Suite, hand, uniq
from .dataframe_producer import (FIXED, FLOAT_BITS, Refused, Unsupported, canon_batches, check_leaf,
                                 index_field_names, col_type, column_value, name_node, pa_array)
from .flame import LIBRARIES, src
from .table_arrow import file_fault

assert LIBRARIES["pandas"] == pd.__version__
NS = {"np": np, "pa": pa, "pd": pd, "datetime": datetime, "decimal": decimal,
      "_serialize_object_data": _serialize_object_data}

TAG_NAME = {2: "table", 3: "array", 4: "batch"}
ENCODING_TAG = {"table": 2, "array": 3, "batch": 4}
MAX_ELEMENTS = 2**28
MAX_SAFE = 2**53 - 1


def run(expr: str):
    """Evaluate the expression that builds an object (or flamepy's bytes of one), so that
    `source.expr` is exactly what ran."""
    return eval(expr, dict(NS))  # noqa: S307 - expressions are literals in the flame modules


def written(expr: str) -> str:
    return f"_serialize_object_data({expr})"


# ----------------------------------------------------------------------------------------------
# Canonical values of pyarrow objects (the dataframe module's converters)
# ----------------------------------------------------------------------------------------------

def series_of(field: pa.Field, chunks) -> dict:
    """[canonical.series] of an array: name null, the field's type, values and dictionary."""
    col = column_value("data", field, chunks)
    out = {"kind": "series", "name": name_node(None), "type": col["type"], "values": col["values"]}
    if "dictionary" in col:
        out["dictionary"] = col["dictionary"]
    return out


def value_of(obj) -> dict:
    """The canonical value of a pyarrow Table, RecordBatch or Array (as flamepy is given it, or
    as its reader gives it back)."""
    if isinstance(obj, pa.Table):
        return canon_batches(obj.schema, obj.to_batches())
    if isinstance(obj, pa.RecordBatch):
        return canon_batches(obj.schema, [obj])
    if isinstance(obj, pa.Array):
        return series_of(pa.field("data", obj.type), [obj])
    raise AssertionError(type(obj))


# ----------------------------------------------------------------------------------------------
# The generator's reader of tags 02-04, in flame.md's processing order
# ----------------------------------------------------------------------------------------------

def _fail(code, clause, detail):
    raise ft.FlameError(code, clause, detail)


def _rb_table(m: Msg) -> FbTable | None:
    """A RecordBatch message's header, or a DictionaryBatch's data (its RecordBatch)."""
    return m.header if m.kind == "recordbatch" else m.header.table(1)


def _node_count(t: pa.DataType) -> int:
    if isinstance(t, pa.ExtensionType):
        t = t.storage_type
    if pa.types.is_dictionary(t):
        return 1
    return 1 + sum(_node_count(t.field(i).type) for i in range(t.num_fields))


def _item3(buf: bytes, m: Msg, want_nodes: int) -> str | None:
    """Item 3 of [ndarray.arrow.stream]: buffers inside the body at multiples of 8, one field
    node per field (nested ones included)."""
    rb = _rb_table(m)
    if rb is None:
        return "a dictionary batch without data"
    nodes = rb.vector(1)
    n_nodes = 0 if nodes is None else nodes[1]
    if m.kind == "recordbatch" and n_nodes != want_nodes:
        return f"{n_nodes} field nodes for {want_nodes}"
    bufs = rb.vector(2)
    for k in range(0 if bufs is None else bufs[1]):
        p = bufs[2] + 16 * k
        off, length = i64(buf, p), i64(buf, p + 8)
        if off < 0 or length < 0 or off % 8 or off + length > m.body_len:
            return f"buffer {k} at {off}, {length} outside a body of {m.body_len}"
    return None


def _length(m: Msg) -> int:
    rb = _rb_table(m)
    p = rb.field_pos(0)
    return i64(rb.buf, p) if p is not None else 0


def decode(data: bytes) -> dict:
    """The canonical value of an FLM\\x02-\\x04 input, or FlameError for the first rule of
    flame.md it breaks. Inputs with other tags go to flame_tensor.decode."""
    if len(data) < 4 or data[:3] != ft.PREFIX or data[3] not in TAG_NAME:
        return ft.decode(data)
    if len(data) > ft.MAX_INPUT_BYTES:
        _fail("E_LIMIT_EXCEEDED", "limits.input-bytes", f"{len(data)} bytes")
    tag, p = data[3], data[4:]
    MSG = "flame.stream.message"
    # [flame.stream.message] without item 4
    try:
        why = file_fault(p, stream=True)
    except Exception as e:  # noqa: BLE001 - whatever a bad flatbuffer breaks in the parser
        why = f"malformed message: {type(e).__name__} {e}"
    if why not in (None, "more than one record batch"):
        _fail("E_ARROW_PAYLOAD", MSG, why)
    msgs, pos = [], 0
    while u32(p, pos) == 0xFFFFFFFF and struct.unpack_from("<i", p, pos + 4)[0] != 0:
        m = Msg(p, pos)
        msgs.append(m)
        pos = m.end
    sp = msgs[0].header.field_pos(0)
    if sp is not None and struct.unpack_from("<h", p, sp)[0] != 0:
        _fail("E_ARROW_PAYLOAD", MSG, "big-endian schema")
    for m in msgs:
        vp = m.root.field_pos(0)
        if vp is None or struct.unpack_from("<h", p, vp)[0] != ft.V5:
            _fail("E_ARROW_PAYLOAD", MSG, "version")
    try:
        schema = pa.ipc.open_stream(pa.py_buffer(p)).schema
    except Exception as e:  # noqa: BLE001
        _fail("E_ARROW_PAYLOAD", MSG, f"pyarrow cannot read the schema: {e}")
    want_nodes = sum(_node_count(f.type) for f in schema)
    for m in msgs[1:]:
        why = _item3(p, m, want_nodes)
        if why:
            _fail("E_ARROW_PAYLOAD", MSG, why)
    batches = [m for m in msgs if m.kind == "recordbatch"]
    dicts = [m for m in msgs if m.kind == "dictionary"]
    # [flame.stream.batches]
    if tag != 2 and len(batches) != 1:
        _fail("E_ARROW_PAYLOAD", "flame.stream.batches", f"{len(batches)} record batches")
    # [flame.stream.array]
    if tag == 3 and (len(schema) != 1 or schema[0].name != "data"):
        _fail("E_ARROW_SCHEMA", "flame.stream.array", f"fields {schema.names}")
    # [flame.stream.types]
    for f in schema:
        try:
            col_type(f.type, f)
        except Unsupported as e:
            _fail("E_COLUMN_TYPE", "flame.stream.types", f"{f.name}: {e}")
    # [flame.stream.limits]
    rows = sum(_length(m) for m in batches)
    entries = sum(_length(m) for m in dicts)
    if rows > MAX_SAFE or rows * len(schema) + entries > MAX_ELEMENTS:
        _fail("E_LIMIT_EXCEEDED", "flame.stream.limits", f"{rows} rows, {entries} dictionary entries")
    # item 4 of [flame.stream.message]: the contents, batch by batch, column by column
    try:
        read = list(pa.ipc.open_stream(pa.py_buffer(p)))
    except Exception as e:  # noqa: BLE001
        _fail("E_ARROW_PAYLOAD", MSG, f"pyarrow cannot read the batches: {e}")
    for b in read:
        for col in b.columns:
            try:
                if pa.types.is_dictionary(col.type):
                    col.indices.validate(full=True)
                    col.dictionary.validate(full=True)
                else:
                    col.validate(full=True)
            except Exception as e:  # noqa: BLE001
                _fail("E_ARROW_PAYLOAD", MSG, f"column contents: {e}")
    # [flame.stream.values]: dictionaries
    for b in read:
        for col in b.columns:
            if pa.types.is_dictionary(col.type):
                n = len(col.dictionary)
                if col.dictionary.null_count:
                    _fail("E_VALUE_DOMAIN", "flame.stream.values", "a null dictionary entry")
                codes = [c for c in col.indices.to_pylist() if c is not None]
                if any(not 0 <= c < n for c in codes):
                    _fail("E_VALUE_DOMAIN", "flame.stream.values", "a code outside the dictionary")
    if tag == 3:
        return series_of(schema[0], [b.column(0) for b in read])
    # [flame.stream.table]
    raw = (schema.metadata or {}).get(b"pandas")
    if raw is not None:
        from .dataframe_invalid import pandas_meta_fault
        if pandas_meta_fault(raw, schema.names, rows) is not None:
            _fail("E_PANDAS_METADATA", "flame.stream.table", "pandas metadata")
    return canon_batches(schema, read)


def fault(data: bytes):
    try:
        decode(data)
    except ft.FlameError as e:
        return e.code, e.clause
    return None


# ----------------------------------------------------------------------------------------------
# The encoder ([flame.encode.table], [flame.encode.array], [flame.encode.refuse])
# ----------------------------------------------------------------------------------------------

KIND_OF = {"tensor": "ndarray", "table": "dataframe", "batch": "dataframe", "array": "series"}
PANDAS_TYPE = {"bool": ("bool", "bool"), "string": ("unicode", "object"), "binary": ("bytes", "object"),
               "null": ("empty", "object"), "date32": ("date", "object")}


def _meta_col(name, fname, t: dict) -> dict:
    tid = t["id"]
    if tid in PANDAS_TYPE:
        pt, nt = PANDAS_TYPE[tid]
    elif tid == "dictionary":
        pt, nt = "categorical", "int8"
    elif tid == "timestamp":
        pt, nt = ("datetimetz" if t["tz"] else "datetime"), f"datetime64[{t['unit']}]"
    elif tid == "duration":
        pt, nt = "timedelta", f"timedelta64[{t['unit']}]"
    else:
        pt = nt = tid
    return {"name": name, "field_name": fname, "pandas_type": pt, "numpy_type": nt, "metadata": None}


def _stream(tag: int, schema: pa.Schema, batch: pa.RecordBatch) -> bytes:
    sink = pa.BufferOutputStream()
    sink.write(ft.PREFIX + bytes([tag]))
    with pa.ipc.new_stream(sink, schema) as w:
        w.write_batch(batch)
    return sink.getvalue().to_pybytes()


def encode(value: dict, encoding: str) -> bytes:
    """FLM, the tag and one stream of one RecordBatch; FlameError with the code of the refusal."""
    def refuse(code, detail):
        raise ft.FlameError(code, "flame.encode.refuse", detail)
    if not isinstance(value, dict) or value.get("kind") != KIND_OF[encoding]:
        refuse("E_ENCODING_UNSUPPORTED", f"a {value.get('kind')} value as {encoding}")
    if encoding == "tensor":
        return ft.encode(value)
    try:
        if encoding == "array":
            if value["name"] != {"null": None}:
                refuse("E_ENCODING_UNSUPPORTED", "a series with a name")
            arr = pa_array(value["type"], value["values"], value.get("dictionary"))
            schema = pa.schema([pa.field("data", arr.type)])
            return _stream(3, schema, pa.record_batch([arr], schema=schema))
        rows = value["rows"]
        arrays, names, entries, meta_cols = [], [], [], []
        for c in value["columns"]:
            if len(c["values"]) != rows:
                refuse("E_SHAPE_MISMATCH", f"column {c['name']!r} of {len(c['values'])} values")
            arrays.append(pa_array(c["type"], c["values"], c.get("dictionary")))
            names.append(c["name"])
        ix = value["index"]
        if ix["kind"] == "range":
            if ix["step"] == 0 or any(abs(ix[k]) > MAX_SAFE for k in ("start", "stop", "step")):
                refuse("E_VALUE_DOMAIN", "range index")
            if len(range(ix["start"], ix["stop"], ix["step"])) != rows:
                refuse("E_SHAPE_MISMATCH", "range index of another length")
            entries = [{"kind": "range", "name": ix["name"], "start": ix["start"], "stop": ix["stop"],
                        "step": ix["step"]}]
        else:
            for c, fname in zip(ix["columns"], index_field_names(names, len(ix["columns"]))):
                if len(c["values"]) != rows:
                    refuse("E_SHAPE_MISMATCH", "index column length")
                arrays.append(pa_array(c["type"], c["values"], c.get("dictionary")))
                names.append(fname)
                entries.append(fname)
                meta_cols.append(_meta_col(c["name"], fname, c["type"]))
        meta = {"index_columns": entries, "columns": meta_cols}
        schema = pa.schema([pa.field(n, a.type) for n, a in zip(names, arrays)],
                           metadata={"pandas": json.dumps(meta)})
        if arrays:
            batch = pa.record_batch(arrays, schema=schema)
        else:
            batch = pa.record_batch([pa.nulls(rows)], names=["x"]).drop_columns(["x"])
            batch = batch.replace_schema_metadata(schema.metadata)
        return _stream(ENCODING_TAG[encoding], schema, batch)
    except Refused as e:
        raise ft.FlameError(e.code, "flame.encode.refuse", str(e)) from None


# ----------------------------------------------------------------------------------------------
# Checks of a valid vector: three readings agree
# ----------------------------------------------------------------------------------------------

def flamepy_value(data: bytes):
    """("value", canonical value of what flamepy's reader returns) or ("error", class name)."""
    assert data[:3] == ft.PREFIX and data[3] in TAG_NAME, "never unpickled here"
    try:
        obj = _deserialize_object_data(data)
    except Exception as e:  # noqa: BLE001 - flamepy's verdict, whatever it raises
        return "error", type(e).__name__
    try:
        return "value", value_of(obj)
    except Exception as e:  # noqa: BLE001 - flamepy returned an object the converters refuse
        return "unconvertible", f"{type(e).__name__}: {e}"


def flamepy_reads(data: bytes) -> bool:
    """Whether flamepy's reader returns an object for `data` (what it returns is not converted:
    a hostile limit vector holds millions of cells, and the verdict is all that is wanted)."""
    assert data[:3] == ft.PREFIX and data[3] in TAG_NAME, "never unpickled here"
    try:
        _deserialize_object_data(data)
    except Exception:  # noqa: BLE001 - flamepy's verdict, whatever it raises
        return False
    return True


def sanity_decode(vid, data: bytes, value):
    got = decode(data)
    assert got == value, f"{vid}: the generator's reader gives {str(got)[:300]}, not {str(value)[:300]}"
    verdict, theirs = flamepy_value(data)
    assert verdict == "value" and theirs == value, f"{vid}: flamepy reads {verdict} {str(theirs)[:300]}"


# ----------------------------------------------------------------------------------------------
# Valid vectors
# ----------------------------------------------------------------------------------------------

STREAM = ["flame.streams", "flame.stream.message", "flame.stream.types", "flame.stream.limits",
          "flame.stream.values", "flame.profile"]
TABLE = STREAM + ["flame.stream.batches", "flame.stream.table", "canonical.dataframe", "canonical.column"]
ARRAY = STREAM + ["flame.stream.batches", "flame.stream.array", "canonical.series", "canonical.column"]
PANDAS = ["dataframe.pandas.metadata", "dataframe.pandas.index"]
IXCOL = PANDAS + ["dataframe.pandas.index-columns"]
DICT = ["dataframe.arrow.dictionary"]

# Objects only flame writes (tables of several chunks, record batches, arrays): (suffix, expr,
# description, extra clauses). Tag from the object's class.
EXTRA_TABLES = [
    ("chunks-two", "pa.concat_tables([pa.table({'a': [1, 2], 's': ['x', None]}), pa.table({'a': [3], 's': ['z']})])",
     "two record batches (concat_tables), no pandas metadata: rows 0..3", []),
    ("chunks-three-dictionary",
     "pa.concat_tables([pa.Table.from_pandas(pd.DataFrame({'c': pd.Categorical(['x', 'y'], categories=['x', 'y', 'z'])}), "
     "preserve_index=False)] * 3)",
     "three batches of one categorical table: one dictionary batch, then three record batches", DICT + PANDAS),
    ("chunks-empty-first", "pa.concat_tables([pa.table({'a': pa.array([], pa.int64())}), pa.table({'a': [7, 8]})])",
     "concat of an empty and a two-row table", []),
    ("chunks-from-pandas-no-index",
     "pa.concat_tables([pa.Table.from_pandas(pd.DataFrame({'v': [0.5, -1.0]}), preserve_index=False)] * 2)",
     "two chunks of a from_pandas table with preserve_index=False: index_columns []", PANDAS),
    ("zero-columns-rows", "pa.table({'x': pa.nulls(3)}).drop_columns(['x'])",
     "three rows and no columns, no pandas metadata: one record batch of length 3", []),
    ("dictionary-ordered-int8", "pa.table({'c': pa.DictionaryArray.from_arrays(pa.array([2, 0, None], pa.int8()), "
     "pa.array(['lo', 'mid', 'hi']), ordered=True)})", "ordered dictionary with int8 indices and a null code", DICT),
    ("dictionary-uint64-int-values", "pa.table({'c': pa.DictionaryArray.from_arrays(pa.array([1, 1, 0], pa.uint64()), "
     "pa.array([10, -20], pa.int32()))})", "dictionary of int32 values with uint64 indices", DICT),
    ("large-string", "pa.table({'s': pa.array(['a', None, ''], pa.large_string())})", "large_string column", []),
    ("timestamp-tz-s", "pa.table({'t': pa.array([0, None, -1], pa.timestamp('s', tz='UTC'))})",
     "timestamp[s, UTC]", []),
    ("timestamp-tz-ms", "pa.table({'t': pa.array([1, 2], pa.timestamp('ms', tz='+01:00'))})",
     "timestamp[ms, +01:00]", []),
    ("timestamp-tz-us", "pa.table({'t': pa.array([None, 5], pa.timestamp('us', tz='Asia/Tokyo'))})",
     "timestamp[us, Asia/Tokyo]", []),
    ("null-typed", "pa.table({'n': pa.nulls(2), 'i': pa.array([1, None], pa.int8())})",
     "a Null column beside an int8 column", []),
    ("int64-string", "pa.table({'a': [1, 2], 's': ['x', 'yz']})",
     "int64 and string, no pandas metadata (refused before the profile read streams)", []),
    ("float64-value", "pa.table({'value': [0.0, 1.0, 2.0]})", "one float64 column named value", []),
    ("other-metadata-ignored", "pa.table({'a': [1, 2]}).replace_schema_metadata({'k': 'v', 'pandas_x': '['})",
     "schema custom metadata other than pandas (k, pandas_x): ignored", []),
]

EXTRA_BATCHES = [
    ("example", "pa.record_batch({'a': [1, 2], 's': ['x', None]})", "int64 and string, no pandas metadata", []),
    ("int64", "pa.record_batch({'a': [1, 2]})", "one int64 column, no pandas metadata", []),
    ("zero-rows", "pa.record_batch({'a': pa.array([], pa.int64())})", "zero rows: one record batch of length 0", []),
    ("from-pandas", "pa.RecordBatch.from_pandas(pd.DataFrame({'a': [1, 2], 'b': ['x', None]}))",
     "from_pandas of the dataframe example: range index in the pandas metadata", PANDAS),
    ("from-pandas-index-named",
     "pa.RecordBatch.from_pandas(pd.DataFrame({'a': [1.5, 2.5]}, index=pd.Index(['x', 'y'], name='key')))",
     "from_pandas with a named string index", IXCOL),
    ("from-pandas-multiindex", "pa.RecordBatch.from_pandas(pd.DataFrame({'v': [1.0, 2.0, 3.0]}, "
     "index=pd.MultiIndex.from_tuples([('a', 1), ('a', 2), ('b', 1)], names=['k', None])))",
     "from_pandas with a MultiIndex of a named and an unnamed level", IXCOL),
    ("from-pandas-categorical", "pa.RecordBatch.from_pandas(pd.DataFrame({'c': pd.Categorical(['a', 'b', None, 'a'], "
     "categories=['a', 'b', 'c'])}))", "from_pandas of a categorical with an unused category", DICT + PANDAS),
    ("categorical-zero-rows", "pa.RecordBatch.from_pandas(pd.DataFrame({'c': pd.Categorical([], categories=['x', 'y'])}))",
     "zero-row categorical: a batch writes its dictionary batch, the dictionary kept", DICT + PANDAS),
    ("from-pandas-nullable", "pa.RecordBatch.from_pandas(pd.DataFrame({'i': pd.array([1, None], dtype='Int64'), "
     "'s': pd.array(['x', None], dtype='string')}))", "from_pandas of Int64 and string dtypes with NA", PANDAS),
    ("range-named", "pa.RecordBatch.from_pandas(pd.DataFrame({'a': [1, 2, 3]}, index=pd.RangeIndex(3, name='row')))",
     "from_pandas with a named RangeIndex", PANDAS),
]

ARRAYS = [
    ("int64", "pa.array([1, None, -3])", "int64 with a null"),
    ("bool", "pa.array([True, None, False])", "bool with a null"),
    ("int8", "pa.array([-128, 127], pa.int8())", "int8 extremes"),
    ("int32", "pa.array([1, 2, 3], type=pa.int32())", "int32 [1, 2, 3]"),
    ("uint64", "pa.array([0, 2**64 - 1], pa.uint64())", "uint64 max"),
    ("float16", "pa.array(np.array([1.0, -0.0], dtype=np.float16))", "float16 1.0 and -0.0"),
    ("float32", "pa.array([0.5, None], pa.float32())", "float32 with a null"),
    ("float64-nan", "pa.array(np.array([np.nan, np.inf]), from_pandas=False)", "float64 NaN and inf"),
    ("string", "pa.array(['a', None, '\\u00e9'])", "string with a null and non-ASCII"),
    ("large-string", "pa.array(['x', ''], pa.large_string())", "large_string"),
    ("binary", "pa.array([b'\\x00\\xff', None], pa.binary())", "binary with a null"),
    ("large-binary", "pa.array([b'', b'\\x01'], pa.large_binary())", "large_binary"),
    ("date32", "pa.array([datetime.date(1969, 12, 31), None])", "date32 before the epoch"),
    ("timestamp-ns", "pa.array([1, None], pa.timestamp('ns'))", "naive timestamp[ns]"),
    ("timestamp-tz-ms", "pa.array([1, 2], pa.timestamp('ms', tz='Europe/Berlin'))", "timestamp[ms, Europe/Berlin]"),
    ("duration-us", "pa.array([-5, None], pa.duration('us'))", "duration[us] with a null"),
    ("null", "pa.nulls(3)", "Null array of 3"),
    ("dictionary", "pa.DictionaryArray.from_arrays(pa.array([1, None, 0], pa.int32()), pa.array(['p', 'q', 'r']))",
     "dictionary array with a null code and an unused entry"),
    ("dictionary-ordered-uint8", "pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.uint8()), pa.array([2.5, 1.5]), "
     "ordered=True)", "ordered dictionary of float64 with uint8 indices"),
    ("categorical-from-pandas", "pa.Array.from_pandas(pd.Series(pd.Categorical(['a', None, 'b'], categories=['b', 'a', 'z'])))",
     "pa.Array.from_pandas of a categorical Series"),
    ("empty-float64", "pa.array([], pa.float64())", "empty float64: one record batch of length 0"),
    ("empty-dictionary", "pa.DictionaryArray.from_arrays(pa.array([], pa.int8()), pa.array(['x', 'y']))",
     "empty dictionary array: its dictionary batch kept"),
    ("sliced", "pa.array([0, 1, 2, 3, None]).slice(2, 3)", "a sliced array: values from the offset"),
    ("nullable-int64-from-pandas", "pa.Array.from_pandas(pd.Series(pd.array([1, None], dtype='Int64')))",
     "pa.Array.from_pandas of an Int64 Series with NA"),
    ("string-from-pandas", "pa.Array.from_pandas(pd.Series(['a', None]))",
     "pa.Array.from_pandas of a pandas 3 str Series: large_string"),
]

MADE = {}  # vid -> (expr, bytes)


def fit(desc: str, n: int = 119) -> str:
    """A description under 120 characters: cut at the last word that fits."""
    if len(desc) <= n:
        return desc
    return desc[:n].rsplit(" ", 1)[0].rstrip(",:;")


def add_valid(S: Suite, kind: str, suffix: str, expr: str, desc: str, extra, tags=None) -> str:
    obj = run(expr)
    data = run(written(expr))
    tag = data[3]
    assert TAG_NAME.get(tag) == kind, (suffix, tag)
    vid = f"flame-{kind}-{suffix}"
    value = decode(data)
    verdict, theirs = flamepy_value(data)
    assert verdict == "value" and theirs == value, f"{vid}: flamepy's reading differs: {verdict} {theirs}"
    mine = value_of(obj)
    if vid not in OBJECT_DIFFERS:
        assert mine == value, f"{vid}: the object's value differs from the frame's"
    else:
        assert mine != value, f"{vid}: OBJECT_DIFFERS lists it, but the values agree"
    clauses = uniq((ARRAY if kind == "array" else TABLE) + list(extra))
    desc = fit(f"flamepy {kind}: {desc}")
    S.valid(vid, desc, clauses, B(data), value, src(written(expr)), tags)
    MADE[vid] = (expr, data)
    return vid


# Objects whose value differs from the value of flamepy's frame of them (none so far: a zero-row
# categorical table has no chunk, so its dictionary is empty in both).
OBJECT_DIFFERS: set = set()


def valid_vectors(S: Suite):
    from . import dataframe, series
    for suffix, expr, desc, extra, _kw in dataframe.TYPES + dataframe.SHAPES:
        if "chunksize" in _kw:
            continue
        extra = [c for c in extra if c.startswith(("dataframe.pandas", "dataframe.arrow.dictionary"))]
        add_valid(S, "table", suffix, f"pa.Table.from_pandas({expr})", f"from_pandas, {desc}",
                  PANDAS + extra, tags=["boundary"] if suffix in ("zero-rows", "empty", "zero-columns") else None)
    for suffix, expr, desc, extra in dataframe.TABLES:
        extra = [c for c in extra if c.startswith(("dataframe.pandas", "dataframe.arrow.dictionary"))]
        add_valid(S, "table", f"pa-{suffix}", expr, desc, extra)
    for suffix, expr, desc, extra in EXTRA_TABLES:
        add_valid(S, "table", suffix, expr, desc, extra)
    for suffix, expr, desc, extra in EXTRA_BATCHES:
        add_valid(S, "batch", suffix, expr, desc, extra)
    for suffix, expr, desc in ARRAYS:
        add_valid(S, "array", suffix, expr, desc, DICT if "dictionary" in suffix or "categorical" in suffix else [])
    # every series of the series module, as pa.Array.from_pandas(s): no name
    for suffix, expr, desc, extra in series.SERIES:
        if suffix.startswith("name-") or suffix == "indexed":
            continue
        extra = [c for c in extra if c.startswith("dataframe.arrow.dictionary")]
        add_valid(S, "array", f"series-{suffix}", f"pa.Array.from_pandas({expr})",
                  f"from_pandas of a Series, {desc}", extra)
    add_valid(S, "array", "series-name-none", "pa.Array.from_pandas(pd.Series([1, 2]))",
              "pa.Array.from_pandas(pd.Series([1, 2])): int64, the name null", [])
    retagged_valid(S)
    empty_timezone_valid(S)


def empty_timezone_valid(S: Suite):
    """[dataframe.column-types]: an empty timezone is none. pyarrow normalises tz='' away, so the
    empty string is patched into flamepy's frame of a tz='UTC' table (length 3 -> 0, bytes zeroed)."""
    expr = "pa.table({'t': pa.array([0, 1, None], pa.timestamp('ms', tz='UTC'))})"
    data = run(written(expr))
    at = data.index(b"\x03\x00\x00\x00UTC\x00")
    data = data[:at] + b"\x00" * 7 + data[at + 7:]
    vid = "flame-table-timestamp-empty-timezone"
    value = decode(data)
    assert value["columns"][0]["type"] == {"id": "timestamp", "unit": "ms", "tz": None}, value
    verdict, theirs = flamepy_value(data)
    assert verdict == "value" and theirs == value, vid
    S.valid(vid, "flamepy table whose Timestamp timezone is \"\": none, as the Arrow format reads it",
            uniq(TABLE + ["dataframe.column-types"]), B(data), value,
            src(written(expr), "timezone string 'UTC' -> '' (length 0, bytes zeroed)"))
    naive = "flame-table-timestamp-naive-ms"
    add_valid(S, "table", "timestamp-naive-ms", "pa.table({'t': pa.array([0, 1, None], pa.timestamp('ms'))})",
              "Timestamp ms without a timezone", ["dataframe.column-types"])
    assert S.vectors[naive][1]["expect"]["value"] == value
    S.group("eq-flame-table-timestamp-timezone-absent-or-empty",
            "a table's Timestamp column without timezone and one with an empty timezone", [naive, vid])


def retagged_valid(S: Suite):
    """Frames flamepy writes under another tag, retagged (`source.mutation`): what a tag's reader
    allows that flamepy's own writer for that tag never puts there."""
    for vid, desc, expr, tag in [
            ("flame-array-schema-metadata-ignored", "FLM\\x03 whose schema has pandas metadata (not JSON): ignored",
             "pa.RecordBatch.from_pandas(pd.DataFrame({'data': [1, 2]}), preserve_index=False)"
             ".replace_schema_metadata({'pandas': '['})", 3),
            ("flame-batch-from-table-frame", "a table's stream of one batch under tag 04: a record batch",
             "pa.Table.from_pandas(pd.DataFrame({'a': [1, 2], 'b': ['x', None]}))", 4)]:
        data = run(written(expr))
        assert data[3] in (2, 4) and data[3] != tag
        data = ft.PREFIX + bytes([tag]) + data[4:]
        value = decode(data)
        verdict, theirs = flamepy_value(data)
        assert verdict == "value" and theirs == value, vid
        S.valid(vid, desc, uniq((ARRAY if tag == 3 else TABLE) + ["flame.streams"]), B(data), value,
                src(written(expr), f"tag {run(written(expr))[3]:02x} -> {tag:02x}"))


# ----------------------------------------------------------------------------------------------
# Encode vectors ([flame.encode.table], [flame.encode.array], [flame.encode.refuse])
# ----------------------------------------------------------------------------------------------

ENC_TABLE = ["flame.encode.table", "canonical.dataframe", "canonical.column"]
ENC_ARRAY = ["flame.encode.array", "canonical.series", "canonical.column"]
REFUSE = ["flame.encode.refuse"]


def encode_check(vid: str, value: dict, encoding: str, flamepy_loses: str | None = None):
    """The generator's encoder writes a frame that its reader, flamepy's reader and pyarrow read
    back as the value; a table's frame also goes through pandas (to_pandas) without error.
    `flamepy_loses`: the member of the value flamepy's reader is known to lose (asserted lost)."""
    data = encode(value, encoding)
    assert data[3] == ENCODING_TAG[encoding], vid
    assert decode(data) == value, f"{vid}: the reader gives {str(decode(data))[:300]}"
    verdict, theirs = flamepy_value(data)
    if flamepy_loses is None:
        assert verdict == "value" and theirs == value, f"{vid}: flamepy reads {verdict} {str(theirs)[:300]}"
    else:
        assert verdict == "value" and theirs != value, f"{vid}: flamepy no longer loses {flamepy_loses}"
    kinds = [m.kind for m in messages_of(data)]
    assert kinds.count("recordbatch") == 1 and kinds[-1] == "eos", (vid, kinds)
    if encoding != "array":
        pa.ipc.open_stream(pa.py_buffer(data[4:])).read_all().to_pandas()


def messages_of(data: bytes):
    from .arrowbytes import messages
    return messages(data[4:])


# valid vectors whose values are encoded, in both table encodings (suffixes of flame-table-...)
ROUNDTRIP_TABLES = ["example", "bool", "signed-ints", "unsigned-ints", "float16", "float64", "string-pandas3",
                    "binary", "date32", "null", "nullable-extension", "timestamp-ns", "duration-s",
                    "timestamp-tz-berlin", "categorical", "categorical-ordered", "two-categoricals", "mixed",
                    "zero-rows", "empty", "zero-columns", "range-5-11-2", "range-named", "range-negative-step",
                    "index-named", "index-unnamed", "multiindex", "index-categorical", "categorical-zero-rows",
                    "column-named-index-level", "pa-dictionary-uint32-index", "pa-large-binary",
                    "pa-duplicate-names-table", "dictionary-ordered-int8", "timestamp-tz-s"]
ROUNDTRIP_ARRAYS = ["int64", "bool", "float16", "string", "binary", "date32", "timestamp-tz-ms", "duration-us",
                    "null", "dictionary", "dictionary-ordered-uint8", "empty-float64", "empty-dictionary",
                    "series-categorical-empty", "series-empty-object", "series-uint64"]


def encode_vectors(S: Suite):
    for enc in ("table", "batch"):
        for suffix in ROUNDTRIP_TABLES:
            vid = f"flame-table-{suffix}"
            expr, _ = MADE[vid]
            value = S.vectors[vid][1]["expect"]["value"]
            eid = f"flame-encode-{enc}-{suffix}"
            encode_check(eid, value, enc)
            S.encode(eid, fit(f"flame {enc} encoder round trip: the value of {vid}"),
                     ENC_TABLE + (["vector.profile"] if suffix == "example" else []), value, enc,
                     {"roundtrip": True}, src(expr))
    # A zero-row categorical whose dictionary is not empty (the batch frame's value): the spec's table
    # encoder writes one record batch of length 0 and so the dictionary batch; flamepy's writer of a
    # zero-row pa.Table writes no record batch, and pyarrow then writes no dictionary batch either.
    # flamepy's reader loses it too: read_all() keeps no chunk of length 0, and with it the dictionary.
    vid = "flame-batch-categorical-zero-rows"
    value = S.vectors[vid][1]["expect"]["value"]
    assert value["columns"][0]["dictionary"], vid
    eid = "flame-encode-table-categorical-zero-rows-dictionary"
    encode_check(eid, value, "table", flamepy_loses="the dictionary")
    S.encode(eid, fit(f"flame table encoder round trip: zero rows, the dictionary of {vid} kept"), ENC_TABLE,
             value, "table", {"roundtrip": True}, src(MADE[vid][0]))
    for suffix in ROUNDTRIP_ARRAYS:
        vid = f"flame-array-{suffix}"
        expr, _ = MADE[vid]
        value = S.vectors[vid][1]["expect"]["value"]
        eid = f"flame-encode-array-{suffix}"
        encode_check(eid, value, "array")
        S.encode(eid, fit(f"flame array encoder round trip: the value of {vid}"), ENC_ARRAY, value, "array",
                 {"roundtrip": True}, src(expr))

    def refuse(eid, desc, clauses, value, enc, code, source, schema_valid=None):
        try:
            encode(value, enc)
            raise AssertionError(f"{eid}: encoded")
        except ft.FlameError as e:
            assert e.code == code, (eid, e.code, e.detail)
        S.encode(eid, desc, clauses, value, enc, {"error": code}, source)
        if schema_valid is not None:
            vec = dict(S.vectors[eid][1], schemaValid=schema_valid)
            S.vectors[eid] = ("encode", {k: vec[k] for k in KEY_ORDER if k in vec})

    table = S.vectors["flame-table-example"][1]["expect"]["value"]
    texpr = MADE["flame-table-example"][0]
    arr = S.vectors["flame-array-int64"][1]["expect"]["value"]
    aexpr = MADE["flame-array-int64"][0]
    nd = {"kind": "ndarray", "dtype": "float64", "shape": [2], "hex": "0000000000000000" + "3ff0000000000000"}
    U = "E_ENCODING_UNSUPPORTED"
    named = dict(arr, name={"string": "price"})
    refuse("flame-encode-refuse-array-named-series", "flame array encoder given a series named price: no place for it",
           REFUSE + ENC_ARRAY, named, "array", U, src(aexpr, "the value's name null -> \"price\""))
    refuse("flame-encode-refuse-array-name-int", "flame array encoder given a series named 0 (an int name)",
           REFUSE + ENC_ARRAY, dict(arr, name={"int": 0}), "array", U, src(aexpr, "the value's name null -> 0"))
    ets = {"id": "timestamp", "unit": "ms", "tz": ""}
    refuse("flame-encode-refuse-array-timestamp-empty-tz", "flame array encoder given a timestamp type whose tz is \"\"",
           ["dataframe.column-types", "dataframe.encode.refuse"] + REFUSE + ENC_ARRAY,
           dict(arr, type=ets, values=["0", None]), "array", "E_COLUMN_TYPE",
           hand("an empty timezone is none: a canonical tz is never \"\""), schema_valid=False)
    for enc in ("table", "batch", "tensor"):
        refuse(f"flame-encode-refuse-series-as-{enc}", f"flame {enc} encoder given a series value",
               REFUSE + ["canonical.series"], arr, enc, U, src(aexpr))
    for enc in ("array", "tensor"):
        refuse(f"flame-encode-refuse-dataframe-as-{enc}", f"flame {enc} encoder given a dataframe value",
               REFUSE + ["canonical.dataframe"], table, enc, U, src(texpr))
    for enc in ("table", "batch", "array"):
        refuse(f"flame-encode-refuse-ndarray-as-{enc}", f"flame {enc} encoder given an ndarray value",
               REFUSE + ["canonical.ndarray"], nd, enc, U, hand("the float64 array [0.0, 1.0] asked for a stream"))
    for kind, value in [
            ("sparse", {"kind": "sparse", "format": "coo", "dtype": "float64", "shape": [3, 0],
                        "hex": "", "row": [], "col": []}),
            ("estimator", {"kind": "estimator", "className": "linear_model.LinearRegression",
                           "module": "sklearn", "version": "1.9.1", "params": {"object": []}})]:
        refuse(f"flame-encode-refuse-{kind}-as-table", f"flame table encoder given a {kind} value",
               REFUSE + [f"canonical.{kind}"], value, "table", U,
               hand(f"a canonical {kind} value asked for the flame table encoding"))
    # values that break their own rules: dataframe.encode.refuse's codes
    short = json.loads(json.dumps(table))
    short["columns"][0]["values"] = short["columns"][0]["values"][:1]
    for enc in ("table", "batch"):
        refuse(f"flame-encode-refuse-{enc}-column-short", f"flame {enc} encoder: a column of 1 value in a table of 2 rows",
               ["dataframe.encode.refuse"] + REFUSE + ["flame.encode.table"], short, enc, "E_SHAPE_MISMATCH",
               src(texpr, "first column's values cut to one"))
    rng = json.loads(json.dumps(table))
    rng["index"]["stop"] = 5
    refuse("flame-encode-refuse-table-range-length", "flame table encoder: a range index of 5 values for 2 rows",
           ["dataframe.encode.refuse"] + REFUSE + ["flame.encode.table"], rng, "table", "E_SHAPE_MISMATCH",
           src(texpr, "range index stop 2 -> 5"))
    cat = S.vectors["flame-table-categorical"][1]["expect"]["value"]
    cexpr = MADE["flame-table-categorical"][0]
    bad = json.loads(json.dumps(cat))
    bad["columns"][0]["values"][0] = "3"
    for enc in ("table", "batch"):
        refuse(f"flame-encode-refuse-{enc}-code-outside", f"flame {enc} encoder: a dictionary code 3 for 3 entries",
               ["dataframe.encode.refuse"] + REFUSE + ["dataframe.arrow.dictionary"], bad, enc, "E_VALUE_DOMAIN",
               src(cexpr, "first code 0 -> 3"))
    ad = S.vectors["flame-array-dictionary"][1]["expect"]["value"]
    adexpr = MADE["flame-array-dictionary"][0]
    bad = json.loads(json.dumps(ad))
    bad["values"][0] = "7"
    refuse("flame-encode-refuse-array-code-outside", "flame array encoder: a dictionary code 7 for 3 entries",
           ["dataframe.encode.refuse"] + REFUSE + ["flame.encode.array"], bad, "array", "E_VALUE_DOMAIN",
           src(adexpr, "first code 1 -> 7"))
    bad = json.loads(json.dumps(arr))
    bad["values"][0] = "01"
    refuse("flame-encode-refuse-array-leaf-leading-zero", "flame array encoder: int64 leaf 01, not canonical",
           ["dataframe.encode.refuse"] + REFUSE + ["canonical.column"], bad, "array", "E_VALUE_DOMAIN",
           src(aexpr, "first leaf 1 -> 01"), schema_valid=False)
    bad = json.loads(json.dumps(table))
    bad["columns"][0]["values"][0] = "x"
    refuse("flame-encode-refuse-table-leaf-not-int", "flame table encoder: int64 leaf x",
           ["dataframe.encode.refuse"] + REFUSE + ["canonical.column"], bad, "table", "E_VALUE_DOMAIN",
           src(texpr, "first leaf 1 -> x"), schema_valid=False)


# ----------------------------------------------------------------------------------------------
# Equivalence groups: stream frames beside the dataframe and series vectors of the same value
# ----------------------------------------------------------------------------------------------

@functools.cache
def other_suites() -> dict:
    """The dataframe and series envelopes' vectors, built in memory as their modules build them."""
    from . import dataframe, series
    out = {}
    for mod in (dataframe, series):
        N = Suite(mod.MARKER, mod.ID_PREFIX, None)
        mod.build(N)
        out.update(N.vectors)
    return out


def equivalence_groups(S: Suite):
    """One group per value that a flame table, batch or array frame shares with another valid
    vector: other flame frames (a batch and a table of the same data) and every valid dataframe
    or series vector (arrow, json, frame) of that value."""
    def key(value):
        return json.dumps(value, sort_keys=True)

    others = other_suites()
    by_value = {}
    for vid, (kind, vec) in others.items():
        if kind == "valid":
            by_value.setdefault(key(vec["expect"]["value"]), []).append(vid)
    flame_by_value = {}
    for vid, (kind, vec) in S.vectors.items():
        if kind == "valid" and vid.startswith(("flame-table-", "flame-batch-", "flame-array-")):
            flame_by_value.setdefault(key(vec["expect"]["value"]), []).append(vid)
    n = 0
    for k, flame_ids in flame_by_value.items():
        env = by_value.get(k, [])
        if len(flame_ids) + len(env) < 2:
            continue
        first = flame_ids[0]
        what = f"{len(flame_ids)} flame frame{'s' if len(flame_ids) > 1 else ''}"
        if env:
            what += f" and {len(env)} envelope vector{'s' if len(env) > 1 else ''}"
        S.group(f"eq-{first}", fit(f"{what}: {S.vectors[first][1]['description'].split(': ', 1)[1]}"),
                flame_ids + env, others)
        n += 1
    assert n >= 10, n
