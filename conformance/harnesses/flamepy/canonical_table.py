"""Canonical dataframe and series values (spec/src/canonical-value.md) to pyarrow objects and
back, for harness.py's stream tags (FLM\\x02 table, \\x03 array, \\x04 record batch).

from_table / from_batch / from_array read what flamepy's reader returned (a pa.Table, a
pa.RecordBatch, a pa.Array) as a canonical value: the columns exactly as their Arrow types
say (spec/src/dataframe.md, "Column types"), the index from the schema's `pandas` metadata
the way pyarrow's `to_pandas` reads it (pyarrow.pandas_compat._reconstruct_index), the
series named null. to_table / to_batch / to_array build the pyarrow object a canonical value
denotes, which harness.py hands to flamepy's writer.

The exceptions say why no answer is a plain value:
- Refusal: the adapter answers `error` with the spec's code, its message marked `[adapter]`:
  flamepy returned a well-formed Arrow object that has no canonical value (a column type
  outside the closed list, a null dictionary entry, an index name that is no string), or
  pyarrow's to_pandas could not read the pandas metadata; or, for encode, the canonical value
  denotes no pyarrow object ([adapter, before flamepy]).
- Unanswerable: flamepy accepted the input, but what it returned cannot be read as one
  canonical value (it fails pyarrow's full validation, has two dictionaries in one column, or
  is larger than max_elements). harness.py answers `noncanonical` ([harness.noncanonical]),
  its value of kind `flamepy-arrow-*` and its message saying why, so that the runner records
  flamepy's acceptance as a failure.
"""

import json
import re

MAX_ELEMENTS = 2**28  # limits.md, the default max_elements
MAX_SAFE = 2**53 - 1
INT_LEAF = re.compile(r"^-?(?:0|[1-9][0-9]*)$")
HEX_RE = re.compile(r"^(?:[0-9a-f]{2})*$")

INT_IDS = {(8, True): "int8", (16, True): "int16", (32, True): "int32", (64, True): "int64",
           (8, False): "uint8", (16, False): "uint16", (32, False): "uint32", (64, False): "uint64"}
INT_RANGES = {name: ((-(2**(bits - 1)), 2**(bits - 1) - 1) if signed else (0, 2**bits - 1))
              for (bits, signed), name in INT_IDS.items()}
FLOAT_IDS = {16: "float16", 32: "float32", 64: "float64"}
# canonical type id -> little-endian numpy dtype of the Arrow data buffer
FIXED = {"int8": "<i1", "int16": "<i2", "int32": "<i4", "int64": "<i8", "uint8": "<u1",
         "uint16": "<u2", "uint32": "<u4", "uint64": "<u8", "date32": "<i4", "timestamp": "<i8",
         "duration": "<i8"}
# float id -> (bits dtype, float dtype, hex digits)
FLOAT_BITS = {"float16": ("<u2", "<f2", 4), "float32": ("<u4", "<f4", 8), "float64": ("<u8", "<f8", 16)}
UNITS = ("s", "ms", "us", "ns")


class Refusal(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Unanswerable(Exception):
    """flamepy returned an object the adapter cannot read as one canonical value."""


class NotCanonical(Exception):
    """An encode request's value is no canonical dataframe or series value at all."""


# ---------------------------------------------------------------------------
# decode: pyarrow objects -> canonical values
# ---------------------------------------------------------------------------

def col_type(pa, t, field=None):
    """The canonical column type of an Arrow type, or Refusal E_COLUMN_TYPE."""
    def refuse(what):
        return Refusal("E_COLUMN_TYPE", f"[adapter] flamepy returned a column of type {what}, which has "
                                        "no canonical value")
    if field is not None and field.metadata and b"ARROW:extension:name" in field.metadata:
        name = field.metadata[b"ARROW:extension:name"].decode("utf-8", "replace")
        raise refuse(f"{t} declaring the extension type {name!r}")
    if isinstance(t, pa.ExtensionType):
        raise refuse(f"{t} (an extension type)")
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
        if pa.types.is_dictionary(t.value_type) or pa.types.is_null(t.value_type):
            raise refuse(f"{t} (a dictionary of {t.value_type})")
        try:
            values = col_type(pa, t.value_type)
        except Refusal:
            raise refuse(f"{t} (a dictionary of {t.value_type})") from None
        return {"id": "dictionary", "index": col_type(pa, t.index_type)["id"],
                "ordered": bool(t.ordered), "values": values}
    raise refuse(str(t))


def _fixed(np, arr, dtype):
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=dtype)
    buf = arr.buffers()[1]
    return np.frombuffer(buf, dtype=dtype, count=arr.offset + n)[arr.offset:]


def leaves(np, arr, typ):
    """The canonical leaves of one Arrow array (one chunk) of a column type; the array has
    passed pyarrow's full validation."""
    tid = typ["id"]
    n = len(arr)
    if tid == "null":
        return [None] * n
    if tid == "dictionary":
        return leaves(np, arr.indices, {"id": typ["index"]})
    valid = arr.is_valid().to_pylist()
    if tid == "bool":
        vals = arr.to_pylist()
    elif tid in FIXED:
        vals = [str(int(x)) for x in _fixed(np, arr, FIXED[tid])]
    elif tid in FLOAT_BITS:
        bits, _, digits = FLOAT_BITS[tid]
        vals = [format(int(x), f"0{digits}x") for x in _fixed(np, arr, bits)]
    elif tid == "string":
        vals = arr.to_pylist()
    elif tid == "binary":
        vals = [None if v is None else v.hex() for v in arr.to_pylist()]
    else:
        raise AssertionError(tid)
    return [v if ok else None for v, ok in zip(vals, valid)]


def _validate(obj, what):
    try:
        obj.validate(full=True)
    except Exception as exc:  # pyarrow's full validation: offsets, UTF-8, dictionary codes
        raise Unanswerable(f"flamepy returned a {what} that fails pyarrow's full validation "
                           f"({type(exc).__name__}: {exc}); the adapter does not read it") from exc


def column_value(pa, np, name, field, chunks, what):
    """[canonical.column] of a field and its chunks."""
    typ = col_type(pa, field.type, field)
    values = []
    for c in chunks:
        values += leaves(np, c, typ)
    col = {"name": name, "type": typ, "values": values}
    if typ["id"] == "dictionary":
        dicts = [c.dictionary for c in chunks]
        if any(not d.equals(dicts[0]) for d in dicts[1:]):
            raise Unanswerable(f"flamepy returned a {what} whose dictionary column {name!r} has chunks "
                               f"with different dictionaries ({len(dicts)} chunks), which no canonical "
                               "dictionary column holds")
        dictionary = leaves(np, dicts[0], typ["values"]) if dicts else []
        if None in dictionary:
            which = "a dictionary array" if name is None else f"a dictionary column {name!r}"
            raise Refusal("E_VALUE_DOMAIN", f"[adapter] flamepy returned {which} with a null dictionary "
                                            "entry, which has no canonical value")
        col["dictionary"] = dictionary
    return col


def _count(pa, fields, rows, dictionaries, what):
    cells = rows * len(fields) + sum(len(d) for d in dictionaries)
    if rows > MAX_SAFE or cells > MAX_ELEMENTS:
        raise Unanswerable(f"flamepy returned a {what} of {rows} rows and {len(fields)} columns "
                           f"({cells} cells and dictionary entries, more than max_elements "
                           f"{MAX_ELEMENTS}): it has no limits; the adapter does not read it")


def _name(value, what):
    if value is None or isinstance(value, str):
        return value
    raise Refusal("E_PANDAS_METADATA", f"[adapter] pyarrow's to_pandas gives the index {what} the name "
                                       f"{value!r}, which is no string: no canonical index has it")


def from_table(pa, np, pd, table, what="pyarrow.Table"):
    """[canonical.dataframe] of the table flamepy returned (tag 02; a record batch, tag 04,
    as its one-batch table)."""
    schema = table.schema
    for f in schema:  # column types first: nothing else of a column is read before
        col_type(pa, f.type, f)
    # one dictionary per column (chunks with other dictionaries are refused below)
    dictionaries = [col.chunk(0).dictionary for col in table.columns
                    if pa.types.is_dictionary(col.type) and col.num_chunks]
    _count(pa, list(schema), table.num_rows, dictionaries, what)
    _validate(table, what)
    rows = table.num_rows
    index, result = _reconstruct_index(pa, np, pd, table, what)
    columns = [column_value(pa, np, f.name, f, result.column(i).chunks, what)
               for i, f in enumerate(result.schema)]
    return {"kind": "dataframe", "rows": rows, "columns": columns, "index": index}


def _reconstruct_index(pa, np, pd, table, what):
    """The canonical index of `table` and the table without its index fields, as pyarrow's
    to_pandas (pandas_compat.table_to_dataframe, _reconstruct_index, pyarrow 26) reads the
    `pandas` metadata: an index column missing from the schema (or named twice) is skipped, a
    range index whose length is not the table's is dropped, no metadata (or no levels left)
    means RangeIndex(num_rows). What to_pandas raises on is answered E_PANDAS_METADATA."""
    rows = table.num_rows
    default = {"kind": "range", "name": None, "start": 0, "stop": rows, "step": 1}
    try:
        pm = table.schema.pandas_metadata
        if pm is None:
            return default, table
        all_columns = pm["columns"]
        index_descriptors = pm["index_columns"]
        field_name_to_metadata = {c.get("field_name", c["name"]): c for c in all_columns}
        levels = []  # (name, column value | range)
        result = table
        for descr in index_descriptors:
            if isinstance(descr, str):
                logical_name = field_name_to_metadata[descr]["name"]
                index_name = (None if descr == logical_name and re.match(r"^__index_level_\d+__$", descr)
                              else logical_name)
                i = table.schema.get_field_index(descr)
                if i == -1:  # ARROW-1883: the serialized index column was not found
                    continue
                field = table.schema.field(i)
                chunks = table.column(i).chunks
                result = result.remove_column(result.schema.get_field_index(descr))
                levels.append(("column", index_name, field, chunks))
            elif descr["kind"] == "range":
                index_name = descr["name"]
                level = pd.RangeIndex(descr["start"], descr["stop"], step=descr["step"], name=index_name)
                if len(level) != rows:  # "Possibly the result of munged metadata"
                    continue
                levels.append(("range", index_name, level, None))
            else:
                raise ValueError(f"Unrecognized index kind: {descr['kind']}")
    except Refusal:
        raise
    except Exception as exc:
        raise Refusal("E_PANDAS_METADATA", f"[adapter: the table's pandas metadata, read as pyarrow's "
                                           f"to_pandas reads it] {type(exc).__name__}: {exc}") from exc
    if not levels:
        return default, result
    if len(levels) == 1 and levels[0][0] == "range":
        _, name, level, _ = levels[0]
        return {"kind": "range", "name": _name(name, "level"), "start": int(level.start),
                "stop": int(level.stop), "step": int(level.step)}, result
    cols = []
    for kind, name, a, b in levels:
        if kind == "column":
            col = column_value(pa, np, a.name, a, b, what)
        else:  # a range level of a MultiIndex: to_pandas makes it an int64 level
            col = {"name": None, "type": {"id": "int64"}, "values": [str(int(x)) for x in a]}
        col["name"] = _name(name, "level")
        cols.append(col)
    return {"kind": "columns", "columns": cols}, result


def from_batch(pa, np, pd, batch):
    """A record batch (tag 04): its one-batch table, as RecordBatch.to_pandas reads it."""
    return from_table(pa, np, pd, pa.Table.from_batches([batch], schema=batch.schema),
                      what="pyarrow.RecordBatch")


def from_array(pa, np, arr):
    """[canonical.series] of the array flamepy returned (tag 03): named null."""
    what = f"pyarrow.{type(arr).__name__}"
    typ = col_type(pa, arr.type)
    dictionaries = [arr.dictionary] if typ["id"] == "dictionary" else []
    _count(pa, [None], len(arr), dictionaries, what)
    _validate(arr, what)
    col = column_value(pa, np, None, pa.field("data", arr.type), [arr], what)
    out = {"kind": "series", "name": {"null": None}, "type": col["type"], "values": col["values"]}
    if "dictionary" in col:
        out["dictionary"] = col["dictionary"]
    return out


# ---------------------------------------------------------------------------
# encode: canonical values -> pyarrow objects
# ---------------------------------------------------------------------------

def _adapter(code, message):
    return Refusal(code, f"[adapter, before flamepy] {message}")


def pa_type(pa, t):
    if not isinstance(t, dict) or not isinstance(t.get("id"), str):
        raise NotCanonical(f"column type {t!r} is no type object")
    tid = t["id"]
    simple = {"bool": pa.bool_(), "float16": pa.float16(), "float32": pa.float32(),
              "float64": pa.float64(), "string": pa.string(), "binary": pa.binary(),
              "date32": pa.date32(), "null": pa.null()}
    if tid in simple or tid in INT_RANGES:
        if set(t) != {"id"}:
            raise NotCanonical(f"column type {t!r} has other members than id")
        return simple[tid] if tid in simple else getattr(pa, tid)()
    if tid == "timestamp":
        if set(t) != {"id", "unit", "tz"} or t["unit"] not in UNITS or not (t["tz"] is None or isinstance(t["tz"], str)):
            raise NotCanonical(f"column type {t!r} is no timestamp type")
        if t["tz"] == "":
            # pyarrow would make it tz None silently: a canonical tz is never "" ([dataframe.column-types])
            raise _adapter("E_COLUMN_TYPE", "a timestamp type whose tz is \"\" is none of the closed list "
                           "(an empty timezone is none: null)")
        return pa.timestamp(t["unit"], tz=t["tz"])
    if tid == "duration":
        if set(t) != {"id", "unit"} or t["unit"] not in UNITS:
            raise NotCanonical(f"column type {t!r} is no duration type")
        return pa.duration(t["unit"])
    if tid == "dictionary":
        if set(t) != {"id", "index", "ordered", "values"} or t["index"] not in INT_RANGES \
                or not isinstance(t["ordered"], bool):
            raise NotCanonical(f"column type {t!r} is no dictionary type")
        vt = pa_type(pa, t["values"])
        if t["values"]["id"] in ("dictionary", "null"):
            raise _adapter("E_COLUMN_TYPE", f"a dictionary of {t['values']['id']} has no Arrow column "
                                            "type in the closed list")
        return pa.dictionary(getattr(pa, t["index"])(), vt, ordered=t["ordered"])
    raise _adapter("E_COLUMN_TYPE", f"column type {tid!r} is none of the closed list")


def _int_leaf(v, tid, lo, hi):
    if not isinstance(v, str) or not INT_LEAF.match(v) or v == "-0":
        raise _adapter("E_VALUE_DOMAIN", f"leaf {v!r} is no {tid} leaf (a decimal string)")
    x = int(v)
    if not lo <= x <= hi:
        raise _adapter("E_VALUE_DOMAIN", f"leaf {v!r} is outside {tid}")
    return x


def pa_array(pa, np, t, values, dictionary=None, where="column"):
    """The Arrow array of a canonical column's type, values and dictionary."""
    typ = pa_type(pa, t)
    tid = t["id"]
    if not isinstance(values, list):
        raise NotCanonical(f"{where}: values is no array")
    mask = np.array([v is None for v in values], dtype=bool)
    nulls = mask if mask.any() else None
    if tid == "null":
        if not mask.all():
            raise _adapter("E_VALUE_DOMAIN", f"{where}: a null column with a non-null leaf")
        return pa.nulls(len(values))
    if tid == "dictionary":
        if "dictionary" in t:
            raise NotCanonical("dictionary in the type")
        if not isinstance(dictionary, list):
            raise NotCanonical(f"{where}: a dictionary column without a dictionary array")
        if any(v is None for v in dictionary):
            raise _adapter("E_VALUE_DOMAIN", f"{where}: a null dictionary entry")
        lo, hi = INT_RANGES[t["index"]]
        codes = [None if v is None else _int_leaf(v, t["index"], lo, hi) for v in values]
        for c in codes:
            if c is not None and not 0 <= c < len(dictionary):
                raise _adapter("E_VALUE_DOMAIN", f"{where}: code {c} outside the dictionary of "
                                                 f"{len(dictionary)} entries")
        indices = pa.array(codes, type=typ.index_type)
        dict_arr = pa_array(pa, np, t["values"], dictionary, where=f"{where}'s dictionary")
        return pa.DictionaryArray.from_arrays(indices, dict_arr, ordered=t["ordered"])
    if dictionary is not None:
        raise NotCanonical(f"{where}: a dictionary on a {tid} column")
    present = [v for v in values if v is not None]
    if tid == "bool":
        if not all(isinstance(v, bool) for v in present):
            raise _adapter("E_VALUE_DOMAIN", f"{where}: a bool leaf that is no true or false")
        return pa.array(values, type=typ)
    if tid == "string":
        if not all(isinstance(v, str) for v in present):
            raise _adapter("E_VALUE_DOMAIN", f"{where}: a string leaf that is no string")
        return pa.array(values, type=typ)
    if tid == "binary":
        if not all(isinstance(v, str) and HEX_RE.match(v) for v in present):
            raise _adapter("E_VALUE_DOMAIN", f"{where}: a binary leaf that is no lowercase hex")
        return pa.array([None if v is None else bytes.fromhex(v) for v in values], type=typ)
    if tid in FLOAT_BITS:
        bits, fl, digits = FLOAT_BITS[tid]
        if not all(isinstance(v, str) and len(v) == digits and HEX_RE.match(v) for v in present):
            raise _adapter("E_VALUE_DOMAIN", f"{where}: a {tid} leaf that is no {digits} lowercase hex digits")
        raw = np.array([0 if v is None else int(v, 16) for v in values], dtype=bits).view(fl)
        return pa.array(raw, type=typ, mask=nulls, from_pandas=False)
    if tid in INT_RANGES:
        lo, hi = INT_RANGES[tid]
        ints = np.array([0 if v is None else _int_leaf(v, tid, lo, hi) for v in values], dtype=FIXED[tid])
        return pa.array(ints, type=typ, mask=nulls)
    # date32, timestamp, duration: the count as a signed int of their width
    lo, hi = INT_RANGES["int32" if tid == "date32" else "int64"]
    ints = np.array([0 if v is None else _int_leaf(v, tid, lo, hi) for v in values], dtype=FIXED[tid])
    return pa.array(ints, mask=nulls).view(typ)


def _column(pa, np, c, rows, where):
    if not isinstance(c, dict) or not {"name", "type", "values"} <= set(c) \
            or not set(c) <= {"name", "type", "values", "dictionary"}:
        raise NotCanonical(f"{where} is no column value")
    if not isinstance(c["values"], list):
        raise NotCanonical(f"{where}: values is no array")
    if len(c["values"]) != rows:
        raise _adapter("E_SHAPE_MISMATCH", f"{where} {c['name']!r} has {len(c['values'])} values, "
                                           f"the table {rows} rows")
    return pa_array(pa, np, c["type"], c["values"], c.get("dictionary"), where=f"{where} {c['name']!r}")


def to_batch(pa, np, pd, value):
    """The one record batch a canonical dataframe value denotes: its columns with the Arrow
    types their canonical types name, then the index fields __index_level_K__, and the
    `pandas` metadata with index_columns (a range entry, or the index fields) and one
    columns object per index field ([dataframe.encode.members])."""
    if not isinstance(value, dict) or set(value) != {"kind", "rows", "columns", "index"}:
        raise NotCanonical(f"value with members {sorted(value) if isinstance(value, dict) else value!r} "
                           "is no canonical dataframe value")
    rows, cols, ix = value["rows"], value["columns"], value["index"]
    if not isinstance(rows, int) or isinstance(rows, bool) or not 0 <= rows <= MAX_SAFE \
            or not isinstance(cols, list) or not isinstance(ix, dict):
        raise NotCanonical("rows, columns or index of the wrong JSON type")
    arrays, names = [], []
    for c in cols:
        arrays.append(_column(pa, np, c, rows, "column"))
        if not isinstance(c["name"], str):
            raise NotCanonical(f"column name {c['name']!r} is no string")
        names.append(c["name"])
    meta_cols = []
    if ix.get("kind") == "range" and set(ix) == {"kind", "name", "start", "stop", "step"}:
        bounds = [ix["start"], ix["stop"], ix["step"]]
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds) \
                or not (ix["name"] is None or isinstance(ix["name"], str)):
            raise NotCanonical(f"range index {ix!r}")
        if ix["step"] == 0 or any(abs(b) > MAX_SAFE for b in bounds):
            raise _adapter("E_VALUE_DOMAIN", f"range index {bounds}: step 0 or a bound beyond 2^53-1")
        if len(range(*bounds)) != rows:
            raise _adapter("E_SHAPE_MISMATCH", f"range index {bounds} has {len(range(*bounds))} values, "
                                               f"the table {rows} rows")
        entries = [{"kind": "range", "name": ix["name"], "start": ix["start"], "stop": ix["stop"],
                    "step": ix["step"]}]
    elif ix.get("kind") == "columns" and set(ix) == {"kind", "columns"} and isinstance(ix["columns"], list):
        entries, taken, k = [], set(names), 0
        for c in ix["columns"]:
            array = _column(pa, np, c, rows, "index column")
            if not (c["name"] is None or isinstance(c["name"], str)):
                raise NotCanonical(f"index column name {c['name']!r}")
            while f"__index_level_{k}__" in taken:
                k += 1
            fname = f"__index_level_{k}__"
            taken.add(fname)
            k += 1
            arrays.append(array)
            names.append(fname)
            entries.append(fname)
            meta_cols.append({"name": c["name"], "field_name": fname,
                              "pandas_type": pa.pandas_compat.get_logical_type(array.type),
                              "numpy_type": _numpy_type(np, array.type),
                              "metadata": None})
    else:
        raise NotCanonical(f"index {ix!r} is no canonical index")
    meta = {"index_columns": entries, "column_indexes": [], "columns": meta_cols}
    schema = pa.schema([pa.field(n, a.type) for n, a in zip(names, arrays)],
                       metadata={"pandas": json.dumps(meta)})
    if arrays:
        return pa.RecordBatch.from_arrays(arrays, schema=schema)
    batch = pa.record_batch([pa.nulls(rows)], names=["x"]).drop_columns(["x"])
    return batch.replace_schema_metadata(schema.metadata)


def _numpy_type(np, t):
    try:
        return str(np.dtype(t.to_pandas_dtype()))
    except Exception:  # a categorical, a tz-aware timestamp: pandas' own dtypes
        return "object"


def to_table(pa, np, pd, value):
    """The table of that one record batch (what pa.Table.from_pandas(df) of the DataFrame the
    value denotes would be, with the value's exact Arrow types)."""
    batch = to_batch(pa, np, pd, value)
    return pa.Table.from_batches([batch], schema=batch.schema)


def to_array(pa, np, value):
    """The pyarrow Array of a canonical series value; its name has no place in a pa.Array
    (harness.py decides what to do with a named series)."""
    if not isinstance(value, dict) or not {"kind", "name", "type", "values"} <= set(value) \
            or not set(value) <= {"kind", "name", "type", "values", "dictionary"}:
        raise NotCanonical("value is no canonical series value")
    return pa_array(pa, np, value["type"], value["values"], value.get("dictionary"), where="series")
