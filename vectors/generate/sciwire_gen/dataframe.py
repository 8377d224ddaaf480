"""The `dataframe` envelope: valid, equivalence, encode and frame vectors, and build(S) for all
of it (invalid vectors: dataframe_invalid.py).

Valid vectors are real pandas 3 DataFrames (or, where pandas cannot make the bytes, real pyarrow
tables) written by tywrap's producer as re-implemented in dataframe_producer.py; the expected
value is what pyarrow's IPC readers read back from those bytes plus the `pandas` metadata
(dataframe_producer.canon_file), never hand-typed. Deterministic: no network, clock or randomness.
"""

from __future__ import annotations

import base64
import json

import pyarrow as pa

from .common import Suite, T, J, dumps_env, hand, uniq, with_, without
from .dataframe_producer import LIBRARIES  # noqa: F401 - this envelope's LIBRARIES, read by common
from .dataframe_producer import (Refused, canon_file, canon_json_rows, df_arrow_bytes, df_env,
                                 df_json_env, encode_arrow, encode_json, feather_bytes, run, src)
from .frame import read_frame, write_frame
from .table_arrow import file_fault

MARKER = "dataframe"
ID_PREFIX = "dataframe-"
REQUIRES = ("numpy", "pandas", "pyarrow")


def build(S: Suite):
    valid_vectors(S)
    json_vectors(S)
    extra_valid(S)
    groups(S)
    from .dataframe_invalid import invalid_vectors
    invalid_vectors(S)
    encode_vectors(S)
    frame_vectors(S)


# ----------------------------------------------------------------------------------------------
# Sanity decoding (guards the generator, not the spec)
# ----------------------------------------------------------------------------------------------

def frame_payload(data: bytes) -> bytes:
    header, d, spans = read_frame(data)
    assert header["encoding"] == "frame" and header["data"] == 0 and len(spans) == 1
    off, n = spans[0]
    return data[d + off:d + off + n]


def sanity_decode(vid, inp, value):
    if "base64" in inp:
        data = frame_payload(base64.b64decode(inp["base64"]))
        assert file_fault(data) is None, vid
        got = canon_file(data)
    else:
        env = inp["json"] if "json" in inp else json.loads(inp["text"])
        if env["encoding"] == "arrow":
            data = base64.b64decode(env["b64"], validate=True)
            assert file_fault(data) is None, f"{vid}: {file_fault(data)}"
            got = canon_file(data)
        else:
            got = canon_json_rows(env["data"])
    assert got == value, f"{vid}: decodes to {str(got)[:300]}, expected {str(value)[:300]}"


# ----------------------------------------------------------------------------------------------
# Clause lists
# ----------------------------------------------------------------------------------------------

ENVELOPE_OK = ["envelope.object", "envelope.marker", "envelope.codec-version", "envelope.encoding",
               "envelope.unknown-fields", "envelope.field-types", "envelope.required-fields"]
CANON = ["canonical.dataframe", "canonical.column"]
ARROW = ["dataframe.arrow.file", "dataframe.arrow.columns", "dataframe.arrow.values",
         "dataframe.column-types", "dataframe.encode.members"] + CANON
ARROW_ALL = ["dataframe.encodings", "dataframe.members", "dataframe.required", "dataframe.arrow.base64",
             "dataframe.arrow.limits", "dataframe.pandas.metadata", "dataframe.pandas.index",
             "dataframe.pandas.ignored"]
JSONC = ["dataframe.json.rows", "dataframe.json.columns", "dataframe.json.types", "dataframe.json.values",
         "dataframe.json.index", "dataframe.encode.members"] + CANON
RANGE = ["dataframe.pandas.metadata", "dataframe.pandas.index"]
IXCOL = ["dataframe.pandas.metadata", "dataframe.pandas.index", "dataframe.pandas.index-columns"]
DICT = ["dataframe.arrow.dictionary"]

# (suffix, expression, description, extra clauses, write_feather keywords)
TYPES = [
    ("example", 'pd.DataFrame({"a": [1, 2], "b": ["x", None]})', "int64 and string columns, one null",
     ARROW_ALL + RANGE, {}),
    ("bool", 'pd.DataFrame({"flag": [True, False, True]})', "bool column", RANGE, {}),
    ("signed-ints", 'pd.DataFrame({"i8": np.array([-128, 0, 127], dtype=np.int8), '
     '"i16": np.array([-32768, -1, 32767], dtype=np.int16), '
     '"i32": np.array([-2**31, 5, 2**31 - 1], dtype=np.int32), '
     '"i64": np.array([-2**63, 2**53 + 1, 2**63 - 1], dtype=np.int64)})',
     "int8, int16, int32, int64 columns at their extremes", [], {}),
    ("unsigned-ints", 'pd.DataFrame({"u8": np.array([0, 1, 255], dtype=np.uint8), '
     '"u16": np.array([0, 2, 65535], dtype=np.uint16), '
     '"u32": np.array([0, 3, 2**32 - 1], dtype=np.uint32), '
     '"u64": np.array([0, 2**63, 2**64 - 1], dtype=np.uint64)})',
     "uint8, uint16, uint32, uint64 columns at their extremes", [], {}),
    ("float16", 'pd.DataFrame({"h": np.array([1.0, -0.0, np.inf, 65504.0, 6e-08], dtype=np.float16)})',
     "float16 column with -0.0, inf, max and the smallest subnormal", [], {}),
    ("float32", 'pd.DataFrame({"f": np.array([1.5, -0.0, -np.inf, 3.4028235e38, 1e-45], dtype=np.float32)})',
     "float32 column with -0.0, -inf, max and the smallest subnormal", [], {}),
    ("float64", 'pd.DataFrame({"x": [0.1, -0.0, np.inf, -np.inf, 5e-324, 1.7976931348623157e308]})',
     "float64 column with -0.0, both infinities, 5e-324 and max", [], {}),
    ("float64-nan-written-as-null", 'pd.DataFrame({"x": [1.5, np.nan, -2.0]})',
     "pandas NaN in a float64 column, written by from_pandas as a null", [], {}),
    ("string-pandas3", 'pd.DataFrame({"s": ["a", "\\u00e9", "", None, "\\U0001f600"]})',
     "pandas 3 str column (large_string) with empty, null and non-ASCII strings", [], {}),
    ("string-object", 'pd.DataFrame({"s": pd.Series(["a", None, "c"], dtype=object)})',
     "object column of str (Arrow string, not large_string)", [], {}),
    ("binary", 'pd.DataFrame({"b": [b"\\x00\\xff", b"", None, b"abc"]})', "bytes column (Arrow binary)", [], {}),
    ("date32", 'pd.DataFrame({"d": [datetime.date(1970, 1, 1), datetime.date(1969, 12, 31), None, '
     'datetime.date(2020, 2, 29)]})', "date column (date32) before and after the epoch, one null", [], {}),
    ("null", 'pd.DataFrame({"n": [None, None, None]})', "all-None object column (Arrow null)", [], {}),
    ("nullable-extension", 'pd.DataFrame({"i": pd.array([1, None, -3], dtype="Int64"), '
     '"b": pd.array([True, None, False], dtype="boolean"), "f": pd.array([1.5, None, -0.0], dtype="Float64"), '
     '"s": pd.array(["x", None, "z"], dtype="string")})',
     "pandas Int64, boolean, Float64 and string dtypes with missing values", ["dataframe.pandas.ignored"], {}),
    ("nullable-narrow", 'pd.DataFrame({"i8": pd.array([-1, None], dtype="Int8"), '
     '"u64": pd.array([2**64 - 1, None], dtype="UInt64"), "f32": pd.array([None, 0.5], dtype="Float32")})',
     "pandas Int8, UInt64 and Float32 dtypes with missing values", [], {}),
    ("int-with-none", 'pd.DataFrame({"i": [1, None, 3]})',
     "int list with None: pandas makes it float64, a null in Arrow", [], {}),
]
for unit in ("s", "ms", "us", "ns"):
    TYPES.append((f"timestamp-{unit}", f'pd.DataFrame({{"t": pd.to_datetime(["2020-01-01 00:00:01", None, '
                  f'"1969-12-31 23:59:59"]).as_unit("{unit}")}})',
                  f"naive datetime64[{unit}] column with NaT and a time before the epoch", [], {}))
    TYPES.append((f"duration-{unit}", f'pd.DataFrame({{"d": pd.to_timedelta([1, None, -5], unit="s")'
                  f'.as_unit("{unit}")}})', f"timedelta64[{unit}] column with NaT and a negative value", [], {}))
TYPES += [
    ("timestamp-tz-berlin", 'pd.DataFrame({"t": pd.date_range("2020-03-29", periods=3, freq="h", '
     'tz="Europe/Berlin")})', "tz-aware Europe/Berlin column across a DST change (pandas 3: us)", [], {}),
    ("timestamp-tz-utc-ns", 'pd.DataFrame({"t": pd.date_range("2020-01-01", periods=2, freq="D", '
     'tz="UTC").as_unit("ns")})', "tz-aware UTC datetime64[ns] column", [], {}),
    ("timestamp-tz-offset", 'pd.DataFrame({"t": pd.date_range("2020-01-01", periods=2, freq="D", '
     'tz=datetime.timezone(datetime.timedelta(hours=5, minutes=30)))})',
     "fixed-offset +05:30 timestamp column", [], {}),
    ("categorical", 'pd.DataFrame({"c": pd.Categorical(["a", "b", None, "a"], categories=["a", "b", "c"])})',
     "categorical with an unused category and a missing value (null code)", DICT, {}),
    ("categorical-ordered", 'pd.DataFrame({"c": pd.Categorical(["lo", "hi", "lo"], '
     'categories=["lo", "mid", "hi"], ordered=True)})', "ordered categorical", DICT, {}),
    ("categorical-int", 'pd.DataFrame({"c": pd.Categorical([10, 20, 10, None])})',
     "categorical of int64 categories", DICT, {}),
    ("categorical-int16-codes", 'pd.DataFrame({"c": pd.Categorical([f"k{i}" for i in range(200)])})',
     "categorical of 200 categories: int16 codes", DICT, {}),
    ("categorical-datetime", 'pd.DataFrame({"c": pd.Categorical(pd.to_datetime(["2020-01-01", '
     '"2021-01-01", "2020-01-01"]))})', "categorical of timestamp categories", DICT, {}),
    ("two-categoricals", 'pd.DataFrame({"x": pd.Categorical(["a", "b"]), "y": pd.Categorical([1.5, 1.5])})',
     "two categorical columns: two dictionaries", DICT, {}),
    ("mixed", 'pd.DataFrame({"i": [1, 2, 3], "f": [0.5, -1.0, 2.0], "s": ["x", "y", "z"], '
     '"b": [True, False, True], "c": pd.Categorical(["u", "v", "u"]), '
     '"t": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03"])})',
     "six columns of six types", DICT, {}),
]

SHAPES = [
    ("zero-rows", 'pd.DataFrame({"a": pd.Series([], dtype="int64"), "s": pd.Series([], dtype="str")})',
     "zero rows, two typed columns: no record batch", RANGE, {}),
    ("empty", "pd.DataFrame()", "no rows and no columns", RANGE, {}),
    ("zero-columns", "pd.DataFrame(index=range(3))", "three rows and no columns", RANGE, {}),
    ("range-5-11-2", 'pd.DataFrame({"a": [1, 2, 3]}, index=pd.RangeIndex(5, 11, 2))',
     "RangeIndex(5, 11, 2)", RANGE, {}),
    ("range-named", 'pd.DataFrame({"a": [1, 2, 3]}, index=pd.RangeIndex(3, name="row"))',
     "named RangeIndex", RANGE, {}),
    ("range-negative-step", 'pd.DataFrame({"a": [1, 2, 3]}, index=pd.RangeIndex(10, 4, -2))',
     "RangeIndex(10, 4, -2)", RANGE, {}),
    ("index-named", 'pd.DataFrame({"a": [1.5, 2.5]}, index=pd.Index(["x", "y"], name="key"))',
     "named string Index, stored as the field key", IXCOL, {}),
    ("index-unnamed", 'pd.DataFrame({"a": [1, 2, 3]}, index=[10, 20, 40])',
     "unnamed non-range Index, stored as __index_level_0__", IXCOL, {}),
    ("index-datetime", 'pd.DataFrame({"a": [1, 2]}, index=pd.date_range("2020-01-01", periods=2, name="when"))',
     "named DatetimeIndex", IXCOL, {}),
    ("index-named-like-column", 'pd.DataFrame({"a": [1, 2]}, index=pd.Index([5, 6], name="a"))',
     "Index named like a column: field __index_level_0__ whose name is a", IXCOL, {}),
    ("column-named-index-level", 'pd.DataFrame({"__index_level_0__": [1, 2]}, index=[5, 6])',
     "a column named __index_level_0__ beside an unnamed Index", IXCOL, {}),
    ("multiindex-column-named-index-level", 'pd.DataFrame({"__index_level_0__": [1, 2], "__index_level_2__": [3, 4]}, '
     'index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)]))',
     "columns __index_level_0__, __index_level_2__ beside an unnamed MultiIndex: index fields 1 and 3",
     IXCOL, {}),
    ("multiindex-column-named-index-level-1", 'pd.DataFrame({"__index_level_1__": [1, 2]}, '
     'index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)]))',
     "column __index_level_1__ beside an unnamed MultiIndex: index fields 0 and 2", IXCOL, {}),
    ("categorical-zero-rows", 'pd.DataFrame({"a": pd.Series([], dtype="int64"), '
     '"c": pd.Categorical([], categories=["x", "y"])})',
     "zero rows and a categorical: pyarrow writes no dictionary batch, the dictionary is empty",
     DICT + ["dataframe.arrow.file"], {}),
    ("multiindex", 'pd.DataFrame({"v": [1.0, 2.0, 3.0]}, index=pd.MultiIndex.from_tuples('
     '[("a", 1), ("a", 2), ("b", 1)], names=["k", None]))', "MultiIndex of a named and an unnamed level",
     IXCOL, {}),
    ("index-categorical", 'pd.DataFrame({"v": [1, 2]}, index=pd.CategoricalIndex(["p", "q"], name="cat"))',
     "CategoricalIndex: a dictionary index column", IXCOL + DICT, {}),
    ("names-stringified", 'pd.DataFrame([[1, 2]], columns=[1, "1"])',
     "labels 1 and '1' both stringified: two fields named 1", ["dataframe.arrow.columns"], {}),
    ("name-empty", 'pd.DataFrame({"": [1, 2]})', "a column whose name is the empty string", [], {}),
    ("names-unicode", 'pd.DataFrame({"\\u00e9 \\u00fc": [1], "\\u65e5\\u672c": [2], "a\\"b\\\\c": [3]})',
     "column names with non-ASCII, quote and backslash", [], {}),
    ("names-numeric", "pd.DataFrame({0: [1], 1: [2], 2.5: [3]})", "int and float labels stringified", [], {}),
    ("batches-chunksize-2", 'pd.DataFrame({"a": [1, 2, 3, 4, 5], "c": pd.Categorical(["x", "y", "x", "z", None])})',
     "five rows written with chunksize=2: three record batches, one dictionary",
     ["dataframe.arrow.columns"] + DICT, {"chunksize": 2}),
    ("batches-chunksize-1-nulls", 'pd.DataFrame({"s": ["a", None, "c"], "f": [1.0, None, 3.0]})',
     "three rows written with chunksize=1, nulls in two batches", ["dataframe.arrow.columns"], {"chunksize": 1}),
]

# pyarrow tables written directly (no pandas metadata, or what pandas cannot make)
TABLES = [
    ("no-pandas-metadata", 'pa.table({"a": [1, 2, 3], "b": ["x", "y", None]})',
     "pyarrow table without pandas metadata: index 0..3", ["dataframe.pandas.metadata"]),
    ("no-pandas-metadata-empty", 'pa.table({"a": pa.array([], pa.int32())})',
     "pyarrow table without pandas metadata and no rows", ["dataframe.pandas.metadata"]),
    ("string-explicit", 'pa.Table.from_pandas(pd.DataFrame({"s": ["x", "y"]}), '
     'schema=pa.schema([("s", pa.string())]))',
     "from_pandas with an explicit pa.string() schema: index_columns []", RANGE),
    ("large-binary", 'pa.table({"b": pa.array([b"\\x01", None, b""], pa.large_binary())})',
     "large_binary column", []),
    ("float64-nan", 'pa.table({"x": pa.array(np.array([np.nan, -np.nan, 1.0, '
     'np.array([0x7ff0000000000001], dtype="<u8").view("<f8")[0]]), from_pandas=False)})',
     "float64 NaN, negative NaN and a signalling NaN payload, bits kept", []),
    ("float16-32-nan", 'pa.table({"h": pa.array(np.array([np.nan, 1.0], dtype=np.float16)), '
     '"f": pa.array(np.array([np.nan, -np.nan], dtype=np.float32))})',
     "float16 and float32 NaN", []),
    ("null-bytes-under-nulls", 'pa.table({"i": pa.array([7, None, 9], pa.int64())})',
     "int64 with a null: the bytes under it are not part of the value", ["dataframe.arrow.values"]),
    ("duplicate-names-table", 'pa.table([pa.array([1]), pa.array(["a"])], names=["x", "x"])',
     "two fields named x of different types", ["dataframe.arrow.columns"]),
    ("dictionary-uint32-index", 'pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([1, 0, None], '
     'pa.uint32()), pa.array(["p", "q"]))})', "dictionary with uint32 indices", DICT),
    ("dictionary-binary-values", 'pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([0, 0, 1], '
     'pa.int16()), pa.array([b"\\x00", b"\\xff"]))})', "dictionary of binary values, int16 indices", DICT),
    ("sliced-table", 'pa.table({"a": [0, 1, 2, 3, 4], "s": ["v", "w", None, "y", "z"]}).slice(1, 3)',
     "a sliced table: values from the slice's offset", []),
]


# The rows of dataframe.md's column-type table, by the canonical type's id.
TYPE_ROW = {"bool": "bool", "string": "string", "binary": "binary", "date32": "date",
            "timestamp": "timestamp", "duration": "duration", "null": "null", "dictionary": "dictionary",
            **{f"int{w}": "signed int" for w in (8, 16, 32, 64)},
            **{f"uint{w}": "unsigned int" for w in (8, 16, 32, 64)},
            **{f"float{w}": "float" for w in (16, 32, 64)}}


def type_rows(value: dict) -> list:
    """[dataframe.arrow.values] rows a decoded dataframe's columns are read by, in column order."""
    return uniq(f"dataframe.arrow.values[{TYPE_ROW[c['type']['id']]}]" for c in value["columns"])


def add_arrow(S: Suite, suffix, expr, desc, clauses, data, tags=None, legacy=False, rows=False):
    value = canon_file(data)
    if rows:
        clauses = list(clauses) + type_rows(value)
    assert file_fault(data) is None, suffix
    assert canon_file(encode_arrow(value)) == value, f"{suffix}: the second writer disagrees"
    env = df_env(data)
    vid = f"dataframe-arrow-{suffix}"
    if legacy:
        env = without(env, "codecVersion")
        vid = f"dataframe-v0-arrow-{suffix}"
        clauses = ["envelope.legacy-v0"] + list(clauses)
    S.valid(vid, f"arrow {'v0 ' if legacy else ''}{desc}", uniq(list(ARROW) + list(clauses)), J(env), value,
            src(expr), tags)
    return vid


ARROW_MADE = {}  # suffix -> (expr, bytes)


def valid_vectors(S: Suite):
    for suffix, expr, desc, extra, kw in TYPES + SHAPES:
        data = df_arrow_bytes(run(expr), **kw)
        full = expr if not kw else f"{expr}; write_feather(..., chunksize={kw['chunksize']})"
        tags = ["boundary"] if suffix in ("zero-rows", "empty", "zero-columns") else None
        add_arrow(S, suffix, full, desc, extra, data, tags, rows=(suffix, expr, desc, extra, kw) in TYPES)
        ARROW_MADE[suffix] = (full, data)
    for suffix, expr, desc, extra in TABLES:
        data = feather_bytes(run(expr))
        add_arrow(S, suffix, f"write_feather({expr})", desc, extra, data)
        ARROW_MADE[suffix] = (f"write_feather({expr})", data)
    for suffix in ("example", "categorical", "index-named", "zero-columns"):
        expr, data = ARROW_MADE[suffix]
        add_arrow(S, suffix, expr, f"{dict((t[0], t[2]) for t in TYPES + SHAPES)[suffix]}, no codecVersion",
                  ["dataframe.required"], data, legacy=True)


# ----------------------------------------------------------------------------------------------
# json
# ----------------------------------------------------------------------------------------------

JSON_FRAMES = [
    ("example", 'pd.DataFrame({"a": [1, 2], "b": pd.Series(["x", None], dtype=object)})',
     "int64 and object str columns, one None (a pandas 3 str NaN is refused)"),
    ("bool", 'pd.DataFrame({"flag": [True, False, True]})', "bool column"),
    ("int64", 'pd.DataFrame({"i": [-(2**53 - 1), 0, 2**53 - 1]})', "int64 column at +-(2^53-1)"),
    ("int64-nulls", 'pd.DataFrame({"i": pd.array([1, None, -3], dtype="Int64")})', "Int64 column with a null"),
    ("float64", 'pd.DataFrame({"x": [1.0, -0.0, 0.1, 2.5e-300, 1e300]})',
     "float64 column: 1.0 stays a float token"),
    ("float64-nulls", 'pd.DataFrame({"x": pd.array([1.5, None], dtype="Float64")})', "Float64 column with a null"),
    ("string", 'pd.DataFrame({"s": ["a", "\\u00e9", ""]})', "string column with empty and non-ASCII strings"),
    ("string-nulls", 'pd.DataFrame({"s": pd.array(["a", None], dtype="string")})', "string dtype with a null"),
    ("all-null", 'pd.DataFrame({"n": [None, None]})', "all-None column"),
    ("bool-nulls", 'pd.DataFrame({"b": pd.array([None, True], dtype="boolean")})', "boolean column, first cell null"),
    ("mixed", 'pd.DataFrame({"i": [1, 2, 3], "f": [0.5, -1.0, 2.0], "s": ["x", "y", "z"], "b": [True, False, True]})',
     "four columns of four types"),
    ("zero-columns", "pd.DataFrame(index=range(3))", "three rows and no columns: [{}, {}, {}]"),
    ("empty", "pd.DataFrame()", "no rows: []"),
]

JSON_TEXT = [
    ("int-token-minus-zero", '[{"a": -0}]', "integer token -0, an int64 0", []),
    ("float-exponent-tokens", '[{"x": 1e5}, {"x": 1E-2}, {"x": -0.0}]', "float tokens 1e5, 1E-2 and -0.0", []),
    ("float-int-valued", '[{"x": 1.0}, {"x": 2.0}]', "float tokens 1.0 and 2.0 stay float64", []),
    ("member-order", '[{"b": 1, "a": 2}, {"b": 3, "a": 4}]', "members b then a: columns in text order",
     ["dataframe.json.columns"]),
    ("index-like-names", '[{"2": 1, "1": 2, "x": 3}]', "member names 2 and 1 kept in text order",
     ["dataframe.json.columns"]),
    ("escaped-names", '[{"\\u00e9\\n": true, "\\"": false}]', "member names with escapes", []),
    ("null-first-cells", '[{"i": null, "s": null}, {"i": 5, "s": "x"}]', "first row all null: types from row 2", []),
    ("float-max-safe-int", '[{"x": 9007199254740993.0}]', "float token beyond 2^53 is a float, rounded", []),
    ("float-tiny", '[{"x": 1e-400}]', "float token 1e-400 rounds to 0.0, finite", ["dataframe.json.values"]),
]


def ordered(env: dict) -> dict:
    """A json dataframe whose rows have two or more members is given as text: column order is
    member order ([dataframe.json.columns]), which a JSON loader that sorts members would lose."""
    if isinstance(env.get("data"), list) and any(isinstance(r, dict) and len(r) > 1 for r in env["data"]):
        return T(dumps_env(env))
    return J(env)


def json_vectors(S: Suite):
    for suffix, expr, desc in JSON_FRAMES:
        env = df_json_env(run(expr))
        value = canon_json_rows(env["data"])
        assert encode_json(value) == env["data"], suffix
        S.valid(f"dataframe-json-{suffix}", f"json {desc}", uniq(JSONC + (
            ["dataframe.encodings", "dataframe.members", "dataframe.required", "dataframe.json.limits"]
            if suffix == "example" else [])), ordered(env), value, src(expr))
    for suffix in ("example", "zero-columns"):
        expr = dict((t[0], t[1]) for t in JSON_FRAMES)[suffix]
        env = without(df_json_env(run(expr)), "codecVersion")
        S.valid(f"dataframe-v0-json-{suffix}", f"json v0 {dict((t[0], t[2]) for t in JSON_FRAMES)[suffix]}",
                ["envelope.legacy-v0", "dataframe.required"] + JSONC, ordered(env), canon_json_rows(env["data"]),
                src(expr))
    for suffix, rows, desc, extra in JSON_TEXT:
        text = '{"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "json", "data": ' + rows + "}"
        value = canon_json_rows(json.loads(text)["data"])
        S.valid(f"dataframe-json-{suffix}", f"json {desc}", uniq(JSONC + extra), T(text), value,
                hand("number spellings and member order only text can carry"))


# ----------------------------------------------------------------------------------------------
# Equivalence groups ("What the json encoding cannot carry")
# ----------------------------------------------------------------------------------------------

GROUPS = [
    ("example", "int64 and string columns, one null"),
    ("bool", "bool column"),
    ("int64", "int64 column at +-(2^53-1)"),
    ("int64-nulls", "Int64 column with a null"),
    ("float64", "float64 column of finite values"),
    ("float64-nulls", "Float64 column with a null"),
    ("string", "string column"),
    ("string-nulls", "string dtype column with a null"),
    ("all-null", "all-None column"),
    ("bool-nulls", "boolean column with a null"),
    ("mixed", "four columns of four types"),
    ("zero-columns", "three rows and no columns"),
]


def groups(S: Suite):
    exprs = dict((t[0], t[1]) for t in JSON_FRAMES)
    for suffix, desc in GROUPS:
        expr = exprs[suffix]
        data = df_arrow_bytes(run(expr))
        aid = f"dataframe-eq-arrow-{suffix}"
        if aid not in S.vectors:
            S.valid(aid, f"arrow of the json group {suffix}: {desc}", ARROW, J(df_env(data)), canon_file(data),
                    src(expr))
        fid = f"dataframe-frame-eq-{suffix}"
        S.valid(fid, f"frame of the json group {suffix}: {desc}", FRAME_DF, {"base64": _b64(df_frame(data))},
                canon_file(data), src(expr))
        members = [aid, f"dataframe-json-{suffix}", fid]
        if f"dataframe-v0-json-{suffix}" in S.vectors:
            members.append(f"dataframe-v0-json-{suffix}")
        S.group(f"eq-dataframe-{suffix}", f"{desc}: arrow, json and frame", members)
    S.group("eq-dataframe-v0-arrow-example", "int64 and string columns: arrow v1 and v0",
            ["dataframe-arrow-example", "dataframe-v0-arrow-example"])
    S.group("eq-dataframe-v0-arrow-categorical", "categorical: arrow v1 and v0",
            ["dataframe-arrow-categorical", "dataframe-v0-arrow-categorical"])
    S.group("eq-dataframe-v0-arrow-index-named", "named string Index: arrow v1 and v0",
            ["dataframe-arrow-index-named", "dataframe-v0-arrow-index-named"])
    S.group("eq-dataframe-string-large-and-plain", "one string column as large_string and as string",
            ["dataframe-arrow-string-explicit", "dataframe-json-string-xy"])
    S.group("eq-dataframe-batches", "a table in three record batches and in one",
            ["dataframe-arrow-batches-chunksize-2", "dataframe-arrow-batches-one"])
    S.group("eq-dataframe-no-metadata-range", "no pandas metadata, and an explicit RangeIndex(0, 3, 1)",
            ["dataframe-arrow-no-pandas-metadata", "dataframe-arrow-no-pandas-metadata-with"])


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def df_frame(data: bytes) -> bytes:
    return write_frame({"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "frame", "data": 0}, [data])


FRAME_DF = ["frame.detect", "frame.envelope", "frame.codec-version", "frame.buffers", "frame.references",
            "dataframe.encodings", "dataframe.arrow.file", "dataframe.arrow.columns", "dataframe.arrow.values",
            "canonical.dataframe", "canonical.column"]


# ----------------------------------------------------------------------------------------------
# Encode vectors
# ----------------------------------------------------------------------------------------------

ENC_ARROW = ["dataframe.encode.members", "dataframe.arrow.file", "canonical.dataframe", "canonical.column"]
ENC_JSON = ["dataframe.encode.members", "dataframe.encode.refuse", "dataframe.json.types", "canonical.dataframe", "canonical.column"]


def extra_valid(S: Suite):
    """Members of the groups below that no list above makes, and boundary tables."""
    e = 'pd.DataFrame({"s": ["x", "y"]})'
    env = df_json_env(run(e))
    S.valid("dataframe-json-string-xy", "json string column x, y", JSONC, J(env), canon_json_rows(env["data"]), src(e))
    e = 'pd.DataFrame({"a": [1, 2, 3, 4, 5], "c": pd.Categorical(["x", "y", "x", "z", None])})'
    add_arrow(S, "batches-one", e, "five rows and a categorical in one record batch", ["dataframe.arrow.columns"] + DICT,
              df_arrow_bytes(run(e)))
    e = 'pa.table({"a": [1, 2, 3], "b": ["x", "y", None]})'
    t = run(e)
    meta = {"index_columns": [{"kind": "range", "name": None, "start": 0, "stop": 3, "step": 1}], "columns": []}
    add_arrow(S, "no-pandas-metadata-with", f"write_feather({e}.replace_schema_metadata(...))",
              "pyarrow table with minimal pandas metadata: RangeIndex(0, 3, 1)", RANGE + ["dataframe.pandas.ignored"],
              feather_bytes(t.replace_schema_metadata({"pandas": json.dumps(meta)})))
    e = "pa.record_batch([pa.nulls(2**28 + 1)], names=['x']).drop_columns(['x'])"
    b = run(e)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, b.schema) as w:
        w.write_batch(b)
    add_arrow(S, "zero-columns-2-28-plus-1-rows", f"pa.ipc.new_file(...).write_batch({e})",
              "2^28+1 rows and no columns: zero cells, within max_elements",
              ["dataframe.arrow.limits", "dataframe.pandas.metadata"], sink.getvalue().to_pybytes(), tags=["boundary"])


def encode_vectors(S: Suite):
    for vid, (kind, vec) in list(S.vectors.items()):
        if kind != "valid" or not vid.startswith(("dataframe-arrow-", "dataframe-json-")):
            continue
        value = vec["expect"]["value"]
        name = vid[len("dataframe-"):]
        assert canon_file(encode_arrow(value)) == value, vid
        S.encode(f"dataframe-encode-arrow-{name}", f"arrow encoder round-trips {vec['description'][:90]}",
                 ENC_ARROW, value, "arrow", {"roundtrip": True}, vec["source"])
        if value["rows"] > 2**20:  # its rows alone would pass max_input_bytes in json
            continue
        try:
            rows = encode_json(value)
        except Refused:
            continue
        assert canon_json_rows(json.loads(json.dumps(rows))) == value, vid
        S.encode(f"dataframe-encode-json-{name}", f"json encoder round-trips {vec['description'][:90]}",
                 ENC_JSON, value, "json", {"roundtrip": True}, vec["source"])
    for suffix in ("example", "categorical", "multiindex", "zero-columns", "empty", "float64-nan"):
        vid = f"dataframe-arrow-{suffix}"
        _, vec = S.vectors[vid]
        S.encode(f"dataframe-encode-frame-{suffix}", f"frame encoder round-trips {vec['description'][6:]}",
                 ["frame.encode"] + ENC_ARROW, vec["expect"]["value"], "frame", {"roundtrip": True}, vec["source"])
    # zero rows and a categorical whose dictionary is not empty: the encoder's one (empty) record
    # batch brings the dictionary batch with it
    e = 'pd.DataFrame({"a": pd.Series([], dtype="int64"), "c": pd.Categorical([], categories=["x", "y"])})'
    _, vec = S.vectors["dataframe-arrow-categorical-zero-rows"]
    v = json.loads(json.dumps(vec["expect"]["value"]))
    assert v["columns"][1]["dictionary"] == []
    v["columns"][1]["dictionary"] = ["x", "y"]
    data = encode_arrow(v)
    assert file_fault(data) is None and canon_file(data) == v
    for enc in ("arrow", "frame"):
        S.encode(f"dataframe-encode-{enc}-categorical-zero-rows-with-dictionary",
                 f"{enc} encoder round-trips zero rows and a categorical whose dictionary is x, y",
                 (["frame.encode"] if enc == "frame" else []) + ENC_ARROW + DICT, v, enc, {"roundtrip": True},
                 src(e, "dictionary [] -> the categories [x, y] (pyarrow writes no dictionary batch for no rows)"))
    refusals(S)


def _value(expr):
    return canon_file(df_arrow_bytes(run(expr)))


def refusals(S: Suite):
    R = "dataframe.encode.refuse"

    def refuse(name, desc, value, encoding, code, expr, mutation=None, extra=()):
        assert encoding == "json"
        try:
            encode_json(value)
            raise AssertionError(f"{name}: json encoder accepts")
        except Refused as e:
            assert e.code == code, (name, e.code)
        S.encode(f"dataframe-encode-refuse-{name}", f"{encoding} encoder refuses {desc}",
                 [R] + list(extra) + ["canonical.dataframe"], value, encoding, {"error": code},
                 src(expr, mutation))

    for name, expr in [("uint8", 'pd.DataFrame({"u": np.array([1, 2], dtype=np.uint8)})'),
                       ("int32", 'pd.DataFrame({"i": np.array([1, 2], dtype=np.int32)})'),
                       ("float32", 'pd.DataFrame({"f": np.array([1.5], dtype=np.float32)})'),
                       ("float16", 'pd.DataFrame({"h": np.array([1.5], dtype=np.float16)})'),
                       ("binary", 'pd.DataFrame({"b": [b"x"]})'),
                       ("date32", 'pd.DataFrame({"d": [datetime.date(2020, 1, 1)]})'),
                       ("timestamp", 'pd.DataFrame({"t": pd.to_datetime(["2020-01-01"])})'),
                       ("duration", 'pd.DataFrame({"d": pd.to_timedelta([1], unit="s")})'),
                       ("categorical", 'pd.DataFrame({"c": pd.Categorical(["a", "b"])})')]:
        refuse(f"json-{name}", f"a {name} column", _value(expr), "json", "E_COLUMN_TYPE", expr,
               extra=["dataframe.json.types"])
    base = _value('pd.DataFrame({"x": [1.5, 2.5]})')
    for name, bits in [("nan", "7ff8000000000000"), ("inf", "7ff0000000000000"), ("minus-inf", "fff0000000000000")]:
        v = json.loads(json.dumps(base))
        v["columns"][0]["values"][1] = bits
        refuse(f"json-{name}", f"a float64 {name.replace('-', ' ')}", v, "json", "E_VALUE_DOMAIN",
               'pd.DataFrame({"x": [1.5, 2.5]})', f"values[1] -> {bits}", ["dataframe.json.values"])
    iv = _value('pd.DataFrame({"i": [1, 2**53]})')
    refuse("json-int-2-53", "an int64 2^53", iv, "json", "E_VALUE_DOMAIN", 'pd.DataFrame({"i": [1, 2**53]})',
           extra=["dataframe.json.values"])
    iv = _value('pd.DataFrame({"i": [-(2**63)]})')
    refuse("json-int-min", "an int64 -2^63", iv, "json", "E_VALUE_DOMAIN", 'pd.DataFrame({"i": [-(2**63)]})',
           extra=["dataframe.json.values"])
    e = 'pd.DataFrame([[1, 2]], columns=[1, "1"])'
    refuse("json-duplicate-names", "two columns named 1", _value(e), "json", "E_JSON_DUPLICATE_KEY", e)
    for name, e in [("range-named", 'pd.DataFrame({"a": [1, 2, 3]}, index=pd.RangeIndex(3, name="row"))'),
                    ("range-start-5", 'pd.DataFrame({"a": [1, 2, 3]}, index=pd.RangeIndex(5, 8))'),
                    ("range-step-2", 'pd.DataFrame({"a": [1, 2, 3]}, index=pd.RangeIndex(0, 6, 2))'),
                    ("index-columns", 'pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x", "y"], name="key"))'),
                    ("multiindex", 'pd.DataFrame({"v": [1.0, 2.0]}, index=pd.MultiIndex.from_tuples('
                                   '[("a", 1), ("b", 1)]))')]:
        refuse(f"json-index-{name}", f"an index {name.replace('-', ' ')}", _value(e), "json", "E_ENCODING_UNSUPPORTED",
               e, extra=["dataframe.json.index"])
    e = 'pd.DataFrame({"a": pd.Series([], dtype="int64")})'
    refuse("json-columns-no-rows", "an int64 column with no rows", _value(e), "json", "E_ENCODING_UNSUPPORTED", e)
    e = 'pd.DataFrame({"s": pd.array([None, None], dtype="string")})'
    refuse("json-string-all-null", "a string column whose every cell is null", _value(e), "json", "E_COLUMN_TYPE", e)
    for name, e in [("int64", 'pd.DataFrame({"i": pd.array([None, None], dtype="Int64")})'),
                    ("float64", 'pd.DataFrame({"f": pd.array([None, None], dtype="Float64")})'),
                    ("bool", 'pd.DataFrame({"b": pd.array([None, None], dtype="boolean")})'),
                    ("float64-nan", 'pd.DataFrame({"f": [float("nan"), float("nan")]})'),
                    ("second-column-int64", 'pd.DataFrame({"a": [1, 2], "i": pd.array([None, None], dtype="Int64")})')]:
        v = _value(e)
        assert all(x is None for x in v["columns"][-1]["values"]) and v["columns"][-1]["type"]["id"] != "null", v
        refuse(f"json-{name}-all-null", f"a {name} column whose every cell is null", v, "json", "E_COLUMN_TYPE", e)
    # any encoder: a value breaking its own rules
    ex_expr = 'pd.DataFrame({"a": [1, 2], "b": ["x", None]})'
    ex = _value(ex_expr)
    for enc in ("arrow", "json", "frame"):
        v = json.loads(json.dumps(ex))
        v["columns"][1]["values"].append("y")
        refuse_any(S, f"{enc}-column-longer", "a column of three values in a two-row table", v, enc,
                   "E_SHAPE_MISMATCH", ex_expr, "columns[1].values gets a third value y")
        v = json.loads(json.dumps(ex))
        v["rows"] = 3
        refuse_any(S, f"{enc}-rows-3", "rows 3 with columns of two values", v, enc, "E_SHAPE_MISMATCH", ex_expr,
                   "rows 2 -> 3 (index stop kept 2)")
    ue = 'pd.DataFrame({"u": np.array([1, 255], dtype=np.uint8)})'
    v = json.loads(json.dumps(_value(ue)))
    v["columns"][0]["values"][1] = "256"
    refuse_any(S, "arrow-uint8-leaf-256", "a uint8 leaf 256", v, "arrow", "E_VALUE_DOMAIN", ue,
               'values[1] "255" -> "256"')
    ie = 'pd.DataFrame({"i": [1, 2]})'
    v = json.loads(json.dumps(_value(ie)))
    v["columns"][0]["values"][1] = str(2**63)
    for enc in ("arrow", "json"):
        refuse_any(S, f"{enc}-int64-leaf-2-63", "an int64 leaf 2^63", v, enc, "E_VALUE_DOMAIN", ie,
                   'values[1] "2" -> "9223372036854775808"')
    cv_expr = 'pd.DataFrame({"c": pd.Categorical(["a", "b"])})'
    cv = _value(cv_expr)
    for enc in ("arrow", "frame"):
        v = json.loads(json.dumps(cv))
        v["columns"][0]["values"][1] = "2"
        refuse_any(S, f"{enc}-dictionary-code-2", "dictionary code 2 with two entries", v, enc, "E_VALUE_DOMAIN",
                   cv_expr, 'values[1] "1" -> "2"', extra=["dataframe.arrow.dictionary"])


def refuse_any(S, name, desc, value, enc, code, expr, mutation, extra=()):
    """A refusal every encoder gives, whatever the encoding; checked on the generator's writers."""
    fn = encode_json if enc == "json" else encode_arrow
    try:
        fn(value)
        raise AssertionError(f"{name}: accepted")
    except Refused as e:
        assert e.code == code, (name, e.code, code)
    except ValueError:  # int("1.5"): the writer refuses, as the leaf is not its type's
        assert code == "E_VALUE_DOMAIN", name
    S.encode(f"dataframe-encode-refuse-{name}", f"{enc} encoder refuses {desc}",
             ["dataframe.encode.refuse"] + list(extra) + (["frame.encode"] if enc == "frame" else []) +
             ["canonical.dataframe", "canonical.column"], value, enc, {"error": code}, src(expr, mutation))


# ----------------------------------------------------------------------------------------------
# Frames
# ----------------------------------------------------------------------------------------------

def frame_vectors(S: Suite):
    from .frame import FrameError  # noqa: F401
    for suffix in ("example", "categorical", "multiindex", "zero-rows", "empty", "zero-columns", "categorical-zero-rows",
                   "batches-chunksize-2", "float64-nan", "timestamp-tz-berlin", "signed-ints"):
        expr, data = ARROW_MADE[suffix]
        _, vec = S.vectors[f"dataframe-arrow-{suffix}"]
        fid = f"dataframe-frame-{suffix}"
        S.valid(fid, f"frame {vec['description'][6:]}", FRAME_DF + (
            ["frame.signature", "frame.version", "frame.header-length", "frame.header", "frame.padding",
             "frame.encode", "dataframe.members", "dataframe.required"] if suffix == "example" else []),
            {"base64": _b64(df_frame(data))}, vec["expect"]["value"], src(expr))
        S.group(f"eq-dataframe-frame-{suffix}", f"{vec['description'][6:]}: arrow and frame",
                [f"dataframe-arrow-{suffix}", fid])
    from .dataframe_invalid import frame_invalid_vectors
    frame_invalid_vectors(S, ARROW_MADE)
