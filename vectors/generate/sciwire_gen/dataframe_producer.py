"""The `dataframe` and `series` envelopes as tywrap's Python producer writes them (pandas +
pyarrow, re-implemented from the wire-format notes §6, not copied), and an independent
canonicaliser of the bytes: the canonical value ([canonical.dataframe], [canonical.series]) is
computed from what pyarrow's own IPC readers (`pa.ipc.open_file`, `pa.ipc.open_stream`) read back,
plus the `pandas` metadata JSON, never from the pandas object or from hand-typed values.

Shared by dataframe*.py and series*.py. Also: an encoder from a canonical value (a second writer,
used to prove encode vectors round-trip) and the json encoding's reader ([dataframe.json.*]).
"""

from __future__ import annotations

import datetime  # noqa: F401 - used by vector expressions
import decimal  # noqa: F401 - used by vector expressions
import json
import math
import re
import struct
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from .common import MAX_SAFE, b64, source_maker

# pandas warns that labels [1, "1"] are stringified: that is what the vector shows
warnings.filterwarnings("ignore", message="The DataFrame has column names of mixed type")

LIBRARIES = {"numpy": np.__version__, "pandas": pd.__version__, "pyarrow": pa.__version__}
src = source_maker(LIBRARIES)

NS = {"np": np, "pd": pd, "pa": pa, "datetime": datetime, "decimal": decimal}


def run(expr: str):
    """Evaluate the expression that builds a value, so `source.expr` is exactly what ran."""
    return eval(expr, dict(NS))  # noqa: S307 - expressions are literals in these modules


class Refused(Exception):
    def __init__(self, code: str, why: str):
        super().__init__(f"{code}: {why}")
        self.code = code


# ----------------------------------------------------------------------------------------------
# The producer (tywrap 0.10's Python side, §6 of the wire-format notes)
# ----------------------------------------------------------------------------------------------

def feather_bytes(table: pa.Table, **kw) -> bytes:
    sink = pa.BufferOutputStream()
    feather.write_feather(table, sink, compression=kw.pop("compression", "uncompressed"), **kw)
    return sink.getvalue().to_pybytes()


def df_arrow_bytes(df: pd.DataFrame, **kw) -> bytes:
    """feather.write_feather(pa.Table.from_pandas(df), sink, compression="uncompressed")."""
    return feather_bytes(pa.Table.from_pandas(df), **kw)


def stream_bytes(table: pa.Table, options=None) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=options) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def file_bytes(table: pa.Table, options=None) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema, options=options) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def series_arrow_bytes(s: pd.Series) -> bytes:
    """pa.Table.from_arrays([pa.Array.from_pandas(s)], names=["value"]) as one IPC stream."""
    return stream_bytes(pa.Table.from_arrays([pa.Array.from_pandas(s)], names=["value"]))


def df_env(data: bytes) -> dict:
    return {"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "arrow", "b64": b64(data)}


def df_arrow_env(df: pd.DataFrame, **kw) -> dict:
    return df_env(df_arrow_bytes(df, **kw))


def df_json_env(df: pd.DataFrame) -> dict:
    return {"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "json",
            "data": df_records(df)}


def py_cell(v):
    """tywrap's cell conversion: numpy scalars .item(); None, pd.NA, pd.NaT null; NaN and
    infinities, and integers beyond 2^53-1, refused."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        raise Refused("E_VALUE_DOMAIN", "non-finite cell")
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_SAFE:
        raise Refused("E_VALUE_DOMAIN", "unsafe integer")
    if not isinstance(v, (bool, int, float, str)):
        raise Refused("E_COLUMN_TYPE", f"cell of type {type(v).__name__}")
    return v


def df_records(df: pd.DataFrame) -> list:
    idx = df.index
    if not (isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and idx.name is None):
        raise Refused("E_ENCODING_UNSUPPORTED", "index other than RangeIndex(0, n, 1)")
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        raise Refused("E_JSON_DUPLICATE_KEY", "duplicate or colliding labels")
    if any(isinstance(t, pd.CategoricalDtype) for t in df.dtypes):
        raise Refused("E_COLUMN_TYPE", "categorical column")
    return [{k: py_cell(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def series_arrow_env(s: pd.Series, name=True) -> dict:
    env = {"__tywrap__": "series", "codecVersion": 1, "encoding": "arrow", "b64": b64(series_arrow_bytes(s))}
    if name:
        env["name"] = s.name
    return env


def series_json_env(s: pd.Series, name=True) -> dict:
    env = {"__tywrap__": "series", "codecVersion": 1, "encoding": "json",
           "data": [py_cell(v) for v in s.to_list()]}
    if name:
        env["name"] = s.name
    return env


# ----------------------------------------------------------------------------------------------
# The canonicaliser: pyarrow's reading of the bytes -> canonical value
# ----------------------------------------------------------------------------------------------

INT_IDS = {(8, True): "int8", (16, True): "int16", (32, True): "int32", (64, True): "int64",
           (8, False): "uint8", (16, False): "uint16", (32, False): "uint32", (64, False): "uint64"}
FLOAT_IDS = {16: "float16", 32: "float32", 64: "float64"}


class Unsupported(Exception):
    """A field whose type is not in the column-type table ([dataframe.column-types])."""


def col_type(t: pa.DataType, field: pa.Field | None = None) -> dict:
    if field is not None and field.metadata and b"ARROW:extension:name" in field.metadata:
        raise Unsupported("extension type")
    if isinstance(t, pa.ExtensionType):
        raise Unsupported(f"extension type {t}")
    if pa.types.is_boolean(t):
        return {"id": "bool"}
    if pa.types.is_integer(t):
        return {"id": INT_IDS[(t.bit_width, pa.types.is_signed_integer(t))]}
    if pa.types.is_floating(t):
        return {"id": FLOAT_IDS[t.bit_width]}
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return {"id": "string"}
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return {"id": "binary"}
    if pa.types.is_date32(t):
        return {"id": "date32"}
    if pa.types.is_timestamp(t):
        return {"id": "timestamp", "unit": t.unit, "tz": t.tz}
    if pa.types.is_duration(t):
        return {"id": "duration", "unit": t.unit}
    if pa.types.is_null(t):
        return {"id": "null"}
    if pa.types.is_dictionary(t):
        vt = col_type(t.value_type)
        if vt["id"] in ("dictionary", "null"):
            raise Unsupported("dictionary of dictionary or null")
        return {"id": "dictionary", "index": col_type(t.index_type)["id"], "ordered": bool(t.ordered),
                "values": vt}
    raise Unsupported(str(t))


FIXED = {"int8": "<i1", "int16": "<i2", "int32": "<i4", "int64": "<i8", "uint8": "<u1",
         "uint16": "<u2", "uint32": "<u4", "uint64": "<u8", "date32": "<i4", "timestamp": "<i8",
         "duration": "<i8"}
FLOAT_BITS = {"float16": ("<u2", 4), "float32": ("<u4", 8), "float64": ("<u8", 16)}


def _fixed(arr: pa.Array, np_dtype: str) -> np.ndarray:
    buf = arr.buffers()[1]
    width = np.dtype(np_dtype).itemsize
    if buf is None or len(arr) == 0:
        return np.zeros(0, dtype=np_dtype)
    return np.frombuffer(buf, dtype=np_dtype, count=len(arr) + arr.offset)[arr.offset:] \
        if len(buf) >= (len(arr) + arr.offset) * width else None


def leaves(arr: pa.Array, typ: dict) -> list:
    """The canonical leaves of one Arrow array (one chunk) of a column type."""
    tid = typ["id"]
    n = len(arr)
    if tid == "null":
        return [None] * n
    valid = arr.is_valid().to_pylist()
    if tid == "dictionary":
        return leaves(arr.indices, {"id": typ["index"]})
    if tid == "bool":
        vals = arr.to_pylist()
    elif tid in FIXED:
        vals = [str(int(x)) for x in _fixed(arr, FIXED[tid])]
    elif tid in FLOAT_BITS:
        dt, digits = FLOAT_BITS[tid]
        vals = [format(int(x), f"0{digits}x") for x in _fixed(arr, dt)]
    elif tid == "string":
        vals = arr.to_pylist()
    elif tid == "binary":
        vals = [None if v is None else v.hex() for v in arr.to_pylist()]
    else:
        raise AssertionError(tid)
    return [v if ok else None for v, ok in zip(vals, valid)]


def column_value(name, field: pa.Field, chunks) -> dict:
    typ = col_type(field.type, field)
    values = []
    for c in chunks:
        values += leaves(c, typ)
    col = {"name": name, "type": typ, "values": values}
    if typ["id"] == "dictionary":
        dicts = [c.dictionary for c in chunks]
        assert all(d.equals(dicts[0]) for d in dicts), "one dictionary per id"
        dictionary = leaves(dicts[0], typ["values"]) if dicts else []
        assert None not in dictionary, "null in a dictionary"
        col["dictionary"] = dictionary
        assert all(v is None or 0 <= int(v) < len(dictionary) for v in values), "code out of range"
    return col


def canon_batches(schema: pa.Schema, batches) -> dict:
    """[canonical.dataframe] of a schema and its record batches ([dataframe.arrow.columns],
    [dataframe.pandas.*])."""
    rows = sum(b.num_rows for b in batches)
    meta = schema.metadata or {}
    fields = list(schema)
    chunks = [[b.column(i) for b in batches] for i in range(len(fields))]
    index = {"kind": "range", "name": None, "start": 0, "stop": rows, "step": 1}
    index_fields = {}
    if b"pandas" in meta:
        pm = json.loads(meta[b"pandas"].decode("utf-8"))
        entries = pm["index_columns"]
        names = [e for e in entries if isinstance(e, str)]
        ranges = [e for e in entries if isinstance(e, dict)]
        if ranges:
            assert len(entries) == 1, "a range is the only entry"
            r = ranges[0]
            assert len(range(r["start"], r["stop"], r["step"])) == rows, "range length"
            index = {"kind": "range", "name": r["name"], "start": r["start"], "stop": r["stop"],
                     "step": r["step"]}
        elif names:
            cols = []
            for nm in names:
                pos = [i for i, f in enumerate(fields) if f.name == nm]
                objs = [c for c in pm["columns"] if c.get("field_name") == nm]
                assert len(pos) == 1 and len(objs) == 1, nm
                index_fields[pos[0]] = True
                cols.append(column_value(objs[0]["name"], fields[pos[0]], chunks[pos[0]]))
            index = {"kind": "columns", "columns": cols}
    columns = [column_value(f.name, f, chunks[i]) for i, f in enumerate(fields) if i not in index_fields]
    return {"kind": "dataframe", "rows": rows, "columns": columns, "index": index}


def canon_file(data: bytes) -> dict:
    """The canonical value of an Arrow IPC file, read by pyarrow's file reader; the stream
    reader reading the same messages must agree."""
    r = pa.ipc.open_file(pa.py_buffer(data))
    batches = [r.get_batch(i) for i in range(r.num_record_batches)]
    value = canon_batches(r.schema, batches)
    s = pa.ipc.open_stream(pa.py_buffer(data[8:]))
    assert canon_batches(s.schema, list(s)) == value, "stream and file readers disagree"
    return value


def name_node(name) -> dict:
    if name is None:
        return {"null": None}
    if isinstance(name, bool):
        return {"bool": name}
    if isinstance(name, int):
        return {"int": name}
    if isinstance(name, float):
        return {"float": struct.pack(">d", name).hex()}
    if isinstance(name, str):
        return {"string": name}
    raise AssertionError(name)


def canon_stream_series(data: bytes, name) -> dict:
    r = pa.ipc.open_stream(pa.py_buffer(data))
    batches = list(r)
    assert len(r.schema) == 1 and r.schema[0].name == "value"
    col = column_value("value", r.schema[0], [b.column(0) for b in batches])
    out = {"kind": "series", "name": name_node(name), "type": col["type"], "values": col["values"]}
    if "dictionary" in col:
        out["dictionary"] = col["dictionary"]
    return out


# ----------------------------------------------------------------------------------------------
# The json encoding, read from the JSON value (Python's json keeps 1 and 1.0 apart)
# ----------------------------------------------------------------------------------------------

def json_kind(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    raise Refused("E_COLUMN_TYPE", f"cell {v!r}")


def json_column(cells) -> tuple:
    kinds = {json_kind(v) for v in cells if v is not None}
    if len(kinds) > 1:
        raise Refused("E_COLUMN_TYPE", f"kinds {sorted(kinds)}")
    tid = kinds.pop() if kinds else "null"
    out = []
    for v in cells:
        if v is None:
            out.append(None)
        elif tid == "int64":
            if abs(v) > MAX_SAFE:
                raise Refused("E_VALUE_DOMAIN", "integer beyond 2^53-1")
            out.append(str(v))
        elif tid == "float64":
            if not math.isfinite(v):
                raise Refused("E_VALUE_DOMAIN", "non-finite")
            out.append(struct.pack(">d", v).hex())
        else:
            out.append(v)
    return {"id": tid}, out


def canon_json_rows(data) -> dict:
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise Refused("E_FIELD_TYPE", "data is not an array of objects")
    names = list(data[0]) if data else []
    if any(list(r) != names for r in data):
        raise Refused("E_SHAPE_MISMATCH", "rows with other members")
    cols = []
    for nm in names:
        typ, vals = json_column([r[nm] for r in data])
        cols.append({"name": nm, "type": typ, "values": vals})
    return {"kind": "dataframe", "rows": len(data), "columns": cols,
            "index": {"kind": "range", "name": None, "start": 0, "stop": len(data), "step": 1}}


def canon_json_series(data, name) -> dict:
    typ, vals = json_column(data)
    return {"kind": "series", "name": name_node(name), "type": typ, "values": vals}


# ----------------------------------------------------------------------------------------------
# A second writer: the canonical value -> Arrow ([dataframe.encode.members]) and json
# ----------------------------------------------------------------------------------------------

def index_field_names(taken_names, n: int) -> list:
    """The fields of n index levels as [dataframe.encode.members] names them: __index_level_K__,
    K counting from 0 and skipping every name a column or an earlier index field has."""
    taken, k, out = set(taken_names), 0, []
    for _ in range(n):
        while f"__index_level_{k}__" in taken:
            k += 1
        out.append(f"__index_level_{k}__")
        taken.add(out[-1])
        k += 1
    return out


def pa_type(t: dict) -> pa.DataType:
    tid = t["id"]
    simple = {"bool": pa.bool_(), "float16": pa.float16(), "float32": pa.float32(),
              "float64": pa.float64(), "string": pa.string(), "binary": pa.binary(),
              "date32": pa.date32(), "null": pa.null()}
    if tid in simple:
        return simple[tid]
    if tid in FIXED and tid.startswith(("int", "uint")):
        return getattr(pa, tid)()
    if tid == "timestamp":
        if t["tz"] == "":
            raise Refused("E_COLUMN_TYPE", "a timestamp tz of \"\" (an empty timezone is none: null)")
        return pa.timestamp(t["unit"], tz=t["tz"])
    if tid == "duration":
        return pa.duration(t["unit"])
    if tid == "dictionary":
        return pa.dictionary(pa_type({"id": t["index"]}), pa_type(t["values"]), ordered=t["ordered"])
    raise Refused("E_COLUMN_TYPE", tid)


def pa_array(t: dict, values, dictionary=None) -> pa.Array:
    tid = t["id"]
    for v in values:
        if v is not None:
            check_leaf(t["index"] if tid == "dictionary" else tid, v)
    mask = np.array([v is None for v in values], dtype=bool)
    if tid == "null":
        return pa.nulls(len(values))
    if tid == "dictionary":
        codes = pa_array({"id": t["index"]}, values)
        if any(v is not None and not 0 <= int(v) < len(dictionary) for v in values):
            raise Refused("E_VALUE_DOMAIN", "code outside the dictionary")
        return pa.DictionaryArray.from_arrays(codes, pa_array(t["values"], dictionary),
                                              ordered=t["ordered"])
    if tid == "bool":
        return pa.array(values, type=pa.bool_())
    if tid in ("string",):
        return pa.array(values, type=pa.string())
    if tid == "binary":
        return pa.array([None if v is None else bytes.fromhex(v) for v in values], type=pa.binary())
    if tid in FLOAT_BITS:
        dt, digits = FLOAT_BITS[tid]
        if any(v is not None and len(v) != digits for v in values):
            raise Refused("E_VALUE_DOMAIN", "float leaf of the wrong width")
        bits = np.array([0 if v is None else int(v, 16) for v in values], dtype=dt)
        fl = bits.view({"<u2": "<f2", "<u4": "<f4", "<u8": "<f8"}[dt])
        return pa.array(fl, type=pa_type(t), mask=mask if mask.any() else None, from_pandas=False)
    ints = np.array([0 if v is None else int(v) for v in values], dtype=FIXED[tid])
    storage = pa.array(ints, mask=mask if mask.any() else None)
    return storage.view(pa_type(t)) if tid in ("date32", "timestamp", "duration") else storage


def check_columns(value: dict, cols):
    for c in cols:
        if len(c["values"]) != value["rows"]:
            raise Refused("E_SHAPE_MISMATCH", f"column {c['name']!r} of {len(c['values'])} values")


def encode_arrow(value: dict) -> bytes:
    """The file an encoder writes for a canonical dataframe value: one RecordBatch at most,
    pandas metadata with index_columns and one columns object per index field."""
    cols = value["columns"]
    check_columns(value, cols)
    arrays, names, meta_cols = [], [], []
    for c in cols:
        arrays.append(pa_array(c["type"], c["values"], c.get("dictionary")))
        names.append(c["name"])
    ix = value["index"]
    if ix["kind"] == "range":
        entries = [dict(ix)]
        assert len(range(ix["start"], ix["stop"], ix["step"])) == value["rows"]
    else:
        check_columns(value, ix["columns"])
        entries = []
        for c, fname in zip(ix["columns"], index_field_names(names, len(ix["columns"]))):
            arrays.append(pa_array(c["type"], c["values"], c.get("dictionary")))
            names.append(fname)
            entries.append(fname)
            meta_cols.append({"name": c["name"], "field_name": fname})
    meta = {"index_columns": entries, "columns": meta_cols}
    schema = pa.schema([pa.field(n, a.type) for n, a in zip(names, arrays)],
                       metadata={"pandas": json.dumps(meta)})
    if arrays:
        table = pa.Table.from_arrays(arrays, schema=schema)
    else:  # no columns: a table of `rows` rows and no arrays
        table = None
        batch = pa.record_batch([pa.nulls(value["rows"])], names=["x"]).drop_columns(["x"])
        batch = batch.replace_schema_metadata(schema.metadata)
        assert batch.num_rows == value["rows"]
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, schema) as w:
        if table is not None and (value["rows"] or any(pa.types.is_dictionary(a.type) for a in arrays)):
            # one batch; with no rows only for a dictionary, whose batch then carries the dictionary
            w.write_batch(pa.record_batch(arrays, schema=schema))
        elif value["rows"]:
            w.write_batch(batch)
    return sink.getvalue().to_pybytes()


INT_LEAF = re.compile(r"-?(0|[1-9][0-9]*)")


def check_leaf(tid: str, v):
    """[canonical.column]: a leaf of the form its type's row says, else E_VALUE_DOMAIN."""
    ok = True
    if tid == "bool":
        ok = isinstance(v, bool)
    elif tid in FIXED:
        ok = isinstance(v, str) and INT_LEAF.fullmatch(v) is not None and v != "-0"
        if ok:
            info = np.iinfo(FIXED[tid])
            ok = info.min <= int(v) <= info.max
    elif tid in FLOAT_BITS:
        ok = isinstance(v, str) and re.fullmatch(f"[0-9a-f]{{{FLOAT_BITS[tid][1]}}}", v) is not None
    elif tid == "string":
        ok = isinstance(v, str)
    elif tid == "binary":
        ok = isinstance(v, str) and re.fullmatch("([0-9a-f]{2})*", v) is not None
    if not ok:
        raise Refused("E_VALUE_DOMAIN", f"leaf {v!r} is not a {tid}")


def json_cell(t: dict, v):
    if v is None:
        return None
    tid = t["id"]
    check_leaf(tid, v)
    if tid == "bool":
        return v
    if tid == "int64":
        n = int(v)
        if abs(n) > MAX_SAFE:
            raise Refused("E_VALUE_DOMAIN", "integer beyond 2^53-1")
        return n
    if tid == "float64":
        f = struct.unpack(">d", bytes.fromhex(v))[0]
        if not math.isfinite(f):
            raise Refused("E_VALUE_DOMAIN", "NaN or infinity")
        return f
    if tid == "string":
        return v
    raise Refused("E_COLUMN_TYPE", tid)


def json_values(c: dict) -> list:
    if c["type"]["id"] not in ("bool", "int64", "float64", "string", "null"):
        raise Refused("E_COLUMN_TYPE", c["type"]["id"])
    out = [json_cell(c["type"], v) for v in c["values"]]
    if c["type"]["id"] != "null" and out and all(v is None for v in out):
        raise Refused("E_COLUMN_TYPE", "a typed column whose every cell is null reads back as null")
    return out


def encode_json(value: dict) -> list:
    """The rows an encoder writes for a canonical dataframe value ([dataframe.encode.refuse])."""
    cols = value["columns"]
    check_columns(value, cols)
    names = [c["name"] for c in cols]
    cells = [json_values(c) for c in cols]
    if len(set(names)) != len(names):
        raise Refused("E_JSON_DUPLICATE_KEY", "two columns with one name")
    ix = value["index"]
    if ix != {"kind": "range", "name": None, "start": 0, "stop": value["rows"], "step": 1}:
        raise Refused("E_ENCODING_UNSUPPORTED", "index other than the unnamed default range")
    if cols and value["rows"] == 0:
        raise Refused("E_ENCODING_UNSUPPORTED", "columns with no rows")
    return [{n: cells[j][i] for j, n in enumerate(names)} for i in range(value["rows"])]


def name_value(node: dict):
    (k, v), = node.items()
    if k == "float":
        f = struct.unpack(">d", bytes.fromhex(v))[0]
        if not math.isfinite(f):
            raise Refused("E_VALUE_DOMAIN", "float name not finite")
        return f
    if k == "int" and abs(v) > MAX_SAFE:
        raise Refused("E_VALUE_DOMAIN", "int name beyond 2^53-1")
    if k in ("array", "object"):
        raise Refused("E_FIELD_TYPE", "name array or object")
    return v


def encode_series_arrow(value: dict) -> bytes:
    name_value(value["name"])
    arr = pa_array(value["type"], value["values"], value.get("dictionary"))
    table = pa.Table.from_arrays([arr], names=["value"])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        # a dictionary series always has its batches, so that its dictionary survives no values
        if len(arr) or pa.types.is_dictionary(arr.type):
            w.write_batch(pa.record_batch([arr], names=["value"]))
    return sink.getvalue().to_pybytes()


def encode_series_json(value: dict) -> list:
    name_value(value["name"])
    c = {"name": "value", "type": value["type"], "values": value["values"]}
    if not value["values"] and value["type"]["id"] != "null":
        raise Refused("E_ENCODING_UNSUPPORTED", "an empty series of a type but null")
    return json_values(c)
