"""The dataframe and series envelopes (spec/src/dataframe.md, series.md):
tables written by pandas and pyarrow decode to the canonical values of
canonical-value.md; broken ones are rejected with the clause's code; the
encoder's files and streams read back in sciwire-py and in pyarrow."""

from __future__ import annotations

import base64
import json
import struct

import numpy as np
import pytest

from helpers import code, err, value  # noqa: F401

import sciwire_py as sw
from sciwire_py import table

pa = pytest.importorskip("pyarrow")
ipc = pytest.importorskip("pyarrow.ipc")
feather = pytest.importorskip("pyarrow.feather")
pd = pytest.importorskip("pandas")

RANGE2 = {"kind": "range", "name": None, "start": 0, "stop": 2, "step": 1}


def file_bytes(tbl) -> bytes:
    sink = pa.BufferOutputStream()
    feather.write_feather(tbl, sink, compression="uncompressed")
    return sink.getvalue().to_pybytes()


def df_bytes(df, **kw) -> bytes:
    return file_bytes(pa.Table.from_pandas(df, **kw))


def stream_bytes(tbl, batches=None) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, tbl.schema) as w:
        for b in (batches if batches is not None else tbl.to_batches()):
            w.write_batch(b)
    return sink.getvalue().to_pybytes()


def df_env(payload: bytes, **extra) -> dict:
    return dict({"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "arrow",
                 "b64": base64.b64encode(payload).decode("ascii")}, **extra)


def s_env(payload: bytes, name="value", **extra) -> dict:
    return dict({"__tywrap__": "series", "codecVersion": 1, "encoding": "arrow",
                 "b64": base64.b64encode(payload).decode("ascii"), "name": name}, **extra)


def series_bytes(arr) -> bytes:
    return stream_bytes(pa.table([arr], names=["value"]))


def jdf(data, **extra) -> dict:
    return dict({"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "json", "data": data}, **extra)


def js(data, name=None, **extra) -> dict:
    return dict({"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": data, "name": name}, **extra)


def f64(x: float) -> str:
    return struct.pack(">d", x).hex()


# ---------------------------------------------------------------------------
# arrow: values
# ---------------------------------------------------------------------------

def test_pandas_frame_every_column_type():
    df = pd.DataFrame({
        "i": pd.array([1, None], dtype="Int64"),
        "u8": np.array([0, 255], dtype=np.uint8),
        "u64": np.array([1, 2**64 - 1], dtype=np.uint64),
        "f": [1.0, np.nan],
        "h": np.array([1.5, -0.0], dtype=np.float16),
        "s": pd.array(["x", None], dtype="string"),
        "b": [True, False],
        "by": [b"ab", b""],
        "c": pd.Categorical(["v", "u"], categories=["u", "v", "w"]),
        "t": pd.to_datetime(["2020-01-01", None]).tz_localize("UTC"),
        "d": pd.to_timedelta([1, -2], unit="s"),
    })
    v = value(df_env(df_bytes(df)))
    cols = {c["name"]: c for c in v["columns"]}
    assert v["rows"] == 2 and v["index"] == RANGE2
    assert [c["name"] for c in v["columns"]] == list(df.columns)
    assert cols["i"] == {"name": "i", "type": {"id": "int64"}, "values": ["1", None]}
    assert cols["u8"]["values"] == ["0", "255"] and cols["u8"]["type"] == {"id": "uint8"}
    assert cols["u64"]["values"] == ["1", str(2**64 - 1)]
    # pandas' NaN in a float64 column is a NaN value (pyarrow from_pandas makes it a null)
    assert cols["f"]["values"] == ["3ff0000000000000", None]
    assert cols["h"] == {"name": "h", "type": {"id": "float16"}, "values": ["3e00", "8000"]}
    assert cols["s"] == {"name": "s", "type": {"id": "string"}, "values": ["x", None]}
    assert cols["b"]["values"] == [True, False]
    assert cols["by"] == {"name": "by", "type": {"id": "binary"}, "values": ["6162", ""]}
    assert cols["c"] == {"name": "c", "type": {"id": "dictionary", "index": "int8", "ordered": False,
                                               "values": {"id": "string"}},
                         "values": ["1", "0"], "dictionary": ["u", "v", "w"]}
    assert cols["t"]["type"] == {"id": "timestamp", "unit": "us", "tz": "UTC"}
    assert cols["t"]["values"] == ["1577836800000000", None]
    assert cols["d"]["type"]["id"] == "duration" and cols["d"]["values"][1].startswith("-2")


def test_index_columns_and_ranges():
    df = pd.DataFrame({"a": [1, 2]}, index=pd.MultiIndex.from_tuples([(1, "p"), (2, "q")], names=["x", None]))
    v = value(df_env(df_bytes(df)))
    assert [c["name"] for c in v["columns"]] == ["a"]
    assert v["index"]["kind"] == "columns"
    assert [(c["name"], c["type"]["id"], c["values"]) for c in v["index"]["columns"]] == [
        ("x", "int64", ["1", "2"]), (None, "string", ["p", "q"])]
    v = value(df_env(df_bytes(pd.DataFrame({"a": [1, 2, 3]}, index=pd.RangeIndex(10, 4, -2, name="r")))))
    assert v["index"] == {"kind": "range", "name": "r", "start": 10, "stop": 4, "step": -2}
    # no pandas metadata: the default range
    v = value(df_env(file_bytes(pa.table({"a": [1, 2]}))))
    assert v["index"] == RANGE2 and v["rows"] == 2


def test_empty_table_and_many_batches():
    v = value(df_env(df_bytes(pd.DataFrame({"c": pd.Categorical([], categories=["u"])}))))
    assert v["rows"] == 0 and v["columns"][0]["values"] == [] and v["columns"][0]["dictionary"] == []
    t = pa.Table.from_batches([pa.record_batch({"a": [1, 2]}), pa.record_batch({"a": [3]})])
    v = value(df_env(file_bytes(t)))
    assert v["rows"] == 3 and v["columns"][0]["values"] == ["1", "2", "3"]


def test_duplicate_field_names_are_two_columns():
    t = pa.Table.from_arrays([pa.array([1]), pa.array(["x"])], names=["a", "a"])
    v = value(df_env(file_bytes(t)))
    assert [c["name"] for c in v["columns"]] == ["a", "a"]


# ---------------------------------------------------------------------------
# arrow: the file format
# ---------------------------------------------------------------------------

def _footer_span(b: bytes):
    flen = struct.unpack_from("<i", b, len(b) - 10)[0]
    return len(b) - 10 - flen, len(b) - 10


def test_file_framing_rejected():
    good = df_bytes(pd.DataFrame({"a": [1, 2]}))
    assert value(df_env(good))["rows"] == 2
    stream = stream_bytes(pa.Table.from_pandas(pd.DataFrame({"a": [1, 2]})))
    for bad in (stream, good + b"\x00", good[:-1], good[:-20], good[:8], b"ARROW1\x00\x00ARROW1"):
        e = err(df_env(bad))
        assert (e.code, e.clause) == ("E_ARROW_PAYLOAD", "dataframe.arrow.file"), bad[:16]


def test_footer_blocks_must_name_the_messages():
    good = df_bytes(pd.DataFrame({"a": [1, 2]}))
    start, end = _footer_span(good)
    footer = good[start:end]
    # the record batch's Block: offset, metaDataLength (+4 padding), bodyLength
    framed, _ = table.arrow_ipc.read_framed(good, 8, allow_trailing=True)
    msg, body, pos, meta = framed[-1]
    block = struct.pack("<qi4xq", pos, meta, msg.body_length)
    assert footer.count(block) == 1
    for other in (struct.pack("<qi4xq", pos + 8, meta, msg.body_length),
                  struct.pack("<qi4xq", pos, meta - 8, msg.body_length),
                  struct.pack("<qi4xq", pos, meta, msg.body_length + 8)):
        bad = good[:start] + footer.replace(block, other) + good[end:]
        assert code(df_env(bad)) == "E_ARROW_PAYLOAD"


def test_footer_schema_must_match():
    good = df_bytes(pd.DataFrame({"abc": [1, 2]}))
    start, end = _footer_span(good)
    footer = good[start:end]
    name = b"\x03\x00\x00\x00abc\x00"
    assert footer.count(name) == 1
    bad = good[:start] + footer.replace(name, b"\x03\x00\x00\x00abd\x00") + good[end:]
    assert code(df_env(bad)) == "E_ARROW_PAYLOAD"


def test_dictionary_batches():
    # a code outside its dictionary
    arr = pa.DictionaryArray.from_arrays(pa.array([0, 2], pa.int8()), pa.array(["u", "v"]), safe=False)
    e = err(df_env(file_bytes(pa.table({"c": arr}))))
    assert (e.code, e.clause) == ("E_VALUE_DOMAIN", "dataframe.arrow.dictionary")
    # a null entry in the dictionary
    arr = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array(["u", None]))
    assert code(df_env(file_bytes(pa.table({"c": arr})))) == "E_VALUE_DOMAIN"
    # a null code is a null value
    arr = pa.DictionaryArray.from_arrays(pa.array([None, 1], pa.int8()), pa.array(["u", "v"]))
    v = value(df_env(file_bytes(pa.table({"c": arr}))))
    assert v["columns"][0]["values"] == [None, "1"]


def _without_dictionary_batch(stream: bytes) -> bytes:
    """A series stream with its dictionary batch cut out."""
    framed, _ = table.arrow_ipc.read_framed(stream, 0)
    (_s, _b, _p1, _m), (d, _db, p2, _m2), (_rb, _rbb, p3, _m3) = framed
    assert d.header_type == table.arrow_ipc.H_DICTIONARY_BATCH
    return stream[:p2] + stream[p3:]


def test_dictionary_batch_missing():
    # [dataframe.arrow.file] item 2 / [series.arrow.stream]: an id with no
    # DictionaryBatch only in a table of no rows, and its dictionary is then []
    cat = pa.Array.from_pandas(pd.Series(pd.Categorical(["a", "b"])))
    good = series_bytes(cat)
    assert value(s_env(good))["dictionary"] == ["a", "b"]
    e = err(s_env(_without_dictionary_batch(good)))
    assert (e.code, e.clause) == ("E_ARROW_PAYLOAD", "series.arrow.stream")
    empty = stream_bytes(pa.table([cat[:0]], names=["value"]),
                         [pa.record_batch([cat[:0]], names=["value"])])   # a dictionary batch, a batch of 0
    v = value(s_env(empty))
    assert (v["values"], v["dictionary"]) == ([], ["a", "b"])
    v = value(s_env(_without_dictionary_batch(empty)))
    assert (v["values"], v["dictionary"]) == ([], [])
    # a zero-row categorical frame: pyarrow writes no dictionary batch; a
    # zero-length record batch is allowed and counts no rows
    df = pd.DataFrame({"c": pd.Categorical([], categories=["u", "v"])})
    v = value(df_env(df_bytes(df)))
    assert (v["rows"], v["columns"][0]["dictionary"]) == (0, [])
    t = pa.Table.from_pandas(df)
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, t.schema) as w:
        w.write_batch(pa.record_batch([pa.array([], t.schema.field("c").type)], schema=t.schema))
    b = sink.getvalue().to_pybytes()
    framed, _ = table.arrow_ipc.read_framed(b, 8, allow_trailing=True)
    assert [m.header_type for m, *_ in framed][1:] in ([table.arrow_ipc.H_RECORD_BATCH],
                                                      [table.arrow_ipc.H_DICTIONARY_BATCH,
                                                       table.arrow_ipc.H_RECORD_BATCH])
    assert value(df_env(b))["rows"] == 0


# ---------------------------------------------------------------------------
# column types
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("arr", [
    pa.array([1, 2], pa.decimal128(5, 2)),
    pa.array([[1], [2]]),
    pa.array([{"x": 1}, {"x": 2}]),
    pa.array([1, 2], pa.date64()),
    pa.array([1, 2], pa.time32("s")),
    pa.array([b"ab", b"cd"], pa.binary(2)),
    pa.array(["a", "b"], pa.string_view()),
    pa.DictionaryArray.from_arrays(pa.array([0, 0], pa.int8()), pa.array([None], pa.null())),
], ids=["decimal", "list", "struct", "date64", "time32", "fixed-size-binary", "string-view", "dictionary-of-null"])
def test_types_outside_the_table(arr):
    e = err(df_env(file_bytes(pa.table({"x": arr}))))
    assert (e.code, e.clause) == ("E_COLUMN_TYPE", "dataframe.column-types")
    e = err(s_env(series_bytes(arr)))
    assert (e.code, e.clause) == ("E_COLUMN_TYPE", "series.arrow.type")


def test_extension_types_are_refused():
    df = pd.DataFrame({"p": pd.period_range("2020", periods=2, freq="M")})
    assert code(df_env(df_bytes(df))) == "E_COLUMN_TYPE"
    df = pd.DataFrame({"iv": pd.interval_range(0, 2)})
    assert code(df_env(df_bytes(df))) == "E_COLUMN_TYPE"


# ---------------------------------------------------------------------------
# pandas metadata
# ---------------------------------------------------------------------------

def _with_pandas(md, tbl=None, rows=2):
    tbl = tbl if tbl is not None else pa.table({"a": list(range(rows))})
    raw = md if isinstance(md, bytes) else json.dumps(md).encode()
    return df_env(file_bytes(tbl.replace_schema_metadata({b"pandas": raw})))


@pytest.mark.parametrize("md", [
    b"{not json", b'{"index_columns": []}\xff', b'{"index_columns": [], "index_columns": []}', b"[]",
    {"columns": []}, {"index_columns": {}}, {"index_columns": ["a"]}, {"index_columns": ["a"], "columns": [1]},
])
def test_pandas_metadata_not_readable(md):
    e = err(_with_pandas(md))
    assert e.code == "E_PANDAS_METADATA"


def test_pandas_metadata_key_twice_and_depth():
    t = pa.table({"a": [1, 2]})
    md = pa.KeyValueMetadata([(b"pandas", b'{"index_columns": []}'), (b"pandas", b'{"index_columns": []}')])
    e = err(df_env(file_bytes(t.replace_schema_metadata(md))))
    assert (e.code, e.clause) == ("E_PANDAS_METADATA", "dataframe.pandas.metadata")
    deep = b'{"index_columns": [], "x": ' + b"[" * 127 + b"]" * 127 + b"}"
    assert value(_with_pandas(deep))["rows"] == 2                       # depth 128
    deep = b'{"index_columns": [], "x": ' + b"[" * 128 + b"]" * 128 + b"}"
    e = err(_with_pandas(deep))
    assert (e.code, e.clause) == ("E_PANDAS_METADATA", "dataframe.pandas.metadata")
    e = err(_with_pandas(b'{"index_columns": [], "x": "\xc3"}'))
    assert (e.code, e.clause) == ("E_PANDAS_METADATA", "dataframe.pandas.metadata")


@pytest.mark.parametrize("entry, extra", [
    ({"kind": "range", "name": None, "start": 0, "stop": 3, "step": 1}, {}),           # 3 values, 2 rows
    ({"kind": "range", "name": None, "start": 0, "stop": 2, "step": 0}, {}),
    ({"kind": "range", "name": None, "start": 0.0, "stop": 2, "step": 1}, {}),         # a float token
    ({"kind": "range", "name": None, "start": 0, "stop": 2**53, "step": 1}, {}),
    ({"kind": "range", "name": 5, "start": 0, "stop": 2, "step": 1}, {}),
    ({"kind": "other"}, {}),
    (7, {}),
    ("missing", {"columns": [{"name": None, "field_name": "missing"}]}),
    ("a", {"columns": []}),
    ("a", {"columns": [{"name": None, "field_name": "a"}, {"name": "x", "field_name": "a"}]}),
    ("a", {"columns": [{"name": 3, "field_name": "a"}]}),
])
def test_pandas_index_rules(entry, extra):
    e = err(_with_pandas(dict({"index_columns": [entry]}, **extra)))
    assert (e.code, e.clause) == ("E_PANDAS_METADATA", "dataframe.pandas.index"), entry


def test_pandas_index_field_named_twice_or_listed_twice():
    t = pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=["a", "a"])
    assert code(_with_pandas({"index_columns": ["a"], "columns": [{"name": None, "field_name": "a"}]}, t)) \
        == "E_PANDAS_METADATA"
    t = pa.table({"a": [1, 2], "b": [3, 4]})
    md = {"index_columns": ["a", "a"], "columns": [{"name": None, "field_name": "a"}]}
    assert code(_with_pandas(md, t)) == "E_PANDAS_METADATA"


def test_pandas_metadata_other_members_ignored():
    md = {"index_columns": [{"kind": "range", "name": "n", "start": 5, "stop": 7, "step": 1, "x": [1]}],
          "columns": [{"name": "RENAMED", "field_name": "a", "pandas_type": "nonsense"}], "creator": 5}
    v = value(_with_pandas(md))
    assert v["columns"][0]["name"] == "a"
    assert v["index"] == {"kind": "range", "name": "n", "start": 5, "stop": 7, "step": 1}


# ---------------------------------------------------------------------------
# limits
# ---------------------------------------------------------------------------

def test_cell_limit_before_values():
    small = sw.Limits(max_elements=1048576)
    t = pa.table({"n": pa.nulls(1048577)})
    e = err(df_env(file_bytes(t)), small)
    assert (e.code, e.clause) == ("E_LIMIT_EXCEEDED", "dataframe.arrow.limits")
    t = pa.table({"n": pa.nulls(524289), "m": pa.nulls(524289)})
    assert code(df_env(file_bytes(t)), small) == "E_LIMIT_EXCEEDED"
    assert value(df_env(file_bytes(pa.table({"n": pa.nulls(1048576)}))), small)["rows"] == 1048576
    e = err(s_env(series_bytes(pa.nulls(1048577))), small)
    assert (e.code, e.clause) == ("E_LIMIT_EXCEEDED", "series.arrow.limits")


def _dict_column(entries: int, rows: int):
    return pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()),
                                          pa.array([str(k) for k in range(entries)]))


def test_dictionary_entries_count_with_the_cells():
    # [dataframe.arrow.limits] / [series.arrow.limits]: cells plus every
    # dictionary's entries within max_elements
    small = sw.Limits(max_elements=1048576)
    at = _dict_column(1048574, 2)           # 2 cells + 1048574 entries: exactly the limit
    over = _dict_column(1048575, 2)
    assert value(df_env(file_bytes(pa.table({"c": at}))), small)["rows"] == 2
    e = err(df_env(file_bytes(pa.table({"c": over}))), small)
    assert (e.code, e.clause) == ("E_LIMIT_EXCEEDED", "dataframe.arrow.limits")
    # two dictionaries' entries add up: 2 x 2 cells + 2 x 524286 entries is the limit
    half = _dict_column(524286, 2)
    assert value(df_env(file_bytes(pa.table({"c": half, "d": half}))), small)["rows"] == 2
    assert code(df_env(file_bytes(pa.table({"c": half, "d": _dict_column(524287, 2)}))), small) \
        == "E_LIMIT_EXCEEDED"
    assert value(s_env(series_bytes(_dict_column(1048574, 2))), small)["dictionary"][-1] == "1048573"
    e = err(s_env(series_bytes(_dict_column(1048575, 2))), small)
    assert (e.code, e.clause) == ("E_LIMIT_EXCEEDED", "series.arrow.limits")


def test_rows_limit_without_columns():
    from sciwire_py import table_encode
    top = table_encode.write_file([], [("pandas", '{"index_columns": []}')], [], 2**53 - 1)
    v = value(df_env(top))
    assert (v["rows"], v["columns"], v["index"]["stop"]) == (2**53 - 1, [], 2**53 - 1)
    e = err(df_env(table_encode.write_file([], [], [], 2**53)))
    assert (e.code, e.clause) == ("E_LIMIT_EXCEEDED", "dataframe.arrow.limits")
    # a table of no columns has no cells: max_elements does not bound its rows
    assert value(df_env(table_encode.write_file([], [], [], 2**40)), sw.Limits(max_elements=1048576))["rows"] == 2**40


def test_json_limits_count_decoded_bytes_first():
    # [dataframe.json.limits]: rows x the FIRST row's members x 8 bytes, counted
    # before [dataframe.json.columns] compares the rows
    # (2^21 cells: max_elements plays no part, the count is of bytes)
    small = sw.Limits(max_decoded_bytes=16777216, max_elements=1048576)
    at = [{"a": 1, "b": 2}] + [{}] * 1048575          # 2^20 x 2 x 8 = the limit
    e = err(jdf(at), small)
    assert (e.code, e.clause) == ("E_SHAPE_MISMATCH", "dataframe.json.columns")
    e = err(jdf(at + [{}]), small)
    assert (e.code, e.clause) == ("E_LIMIT_EXCEEDED", "dataframe.json.limits")
    # a first row of no members: no bytes, whatever the rows
    assert value(jdf([{}] * 1048577), small)["rows"] == 1048577
    # [series.json.data]: len(data) x 8 bytes
    assert len(value(js([0] * 2097152), small)["values"]) == 2097152
    e = err(js([0] * 2097153), small)
    assert (e.code, e.clause) == ("E_LIMIT_EXCEEDED", "series.json.data")
    assert code('{"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "name": null, "data": [0'
                + ",0" * 2097152 + "]}", small) == "E_LIMIT_EXCEEDED"


# ---------------------------------------------------------------------------
# json
# ---------------------------------------------------------------------------

def test_json_dataframe_values_and_order():
    v = value('{"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "json", '
              '"data": [{"2": 1, "1": 1.0, "s": "x", "b": true, "n": null}, '
              '{"2": -0, "1": 1e5, "s": null, "b": null, "n": null}]}')
    assert [c["name"] for c in v["columns"]] == ["2", "1", "s", "b", "n"]
    cols = {c["name"]: c for c in v["columns"]}
    assert cols["2"] == {"name": "2", "type": {"id": "int64"}, "values": ["1", "0"]}
    assert cols["1"] == {"name": "1", "type": {"id": "float64"}, "values": [f64(1.0), f64(1e5)]}
    assert cols["s"]["type"] == {"id": "string"} and cols["b"]["values"] == [True, None]
    assert cols["n"] == {"name": "n", "type": {"id": "null"}, "values": [None, None]}
    assert v["index"] == RANGE2
    assert value(jdf([])) == {"kind": "dataframe", "rows": 0, "columns": [],
                              "index": {"kind": "range", "name": None, "start": 0, "stop": 0, "step": 1}}
    assert value(jdf([{}, {}]))["rows"] == 2


@pytest.mark.parametrize("text, want", [
    ('[{"a": 1}, {"a": 2.5}]', "E_COLUMN_TYPE"),
    ('[{"a": 1}, {"a": "1"}]', "E_COLUMN_TYPE"),
    ('[{"a": true}, {"a": 1}]', "E_COLUMN_TYPE"),
    ('[{"a": [1]}]', "E_COLUMN_TYPE"),
    ('[{"a": {}}]', "E_COLUMN_TYPE"),
    ('[{"a": 9007199254740992}]', "E_VALUE_DOMAIN"),
    ('[{"a": 1e400}]', "E_VALUE_DOMAIN"),
    ('[{"a": 1, "b": 2}, {"b": 2, "a": 1}]', "E_SHAPE_MISMATCH"),
    ('[{"a": 1}, {"a": 1, "b": 2}]', "E_SHAPE_MISMATCH"),
    ('[{"a": 1}, {}]', "E_SHAPE_MISMATCH"),
    ('[{"a": 1}, 5]', "E_FIELD_TYPE"),
    ('[1, 2]', "E_FIELD_TYPE"),
    ('{"a": [1]}', "E_FIELD_TYPE"),
])
def test_json_dataframe_rejections(text, want):
    env = '{"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "json", "data": ' + text + "}"
    assert code(env) == want


def test_members():
    assert code(jdf([], b64="")) == "E_UNKNOWN_FIELD"
    assert code(jdf([], name="x")) == "E_UNKNOWN_FIELD"
    assert code({"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "json"}) == "E_MISSING_FIELD"
    assert code({"__tywrap__": "dataframe", "encoding": "arrow"}) == "E_MISSING_FIELD"  # v0 omits nothing
    assert code(jdf([], encoding="frame")) == "E_ENCODING_UNSUPPORTED"
    assert code(jdf([], encoding="table")) == "E_ENCODING_UNSUPPORTED"
    assert code({"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": []}) == "E_MISSING_FIELD"
    assert value({"__tywrap__": "series", "encoding": "json", "data": []})["name"] == {"null": None}
    assert code(js([], b64="")) == "E_UNKNOWN_FIELD"
    assert value(jdf([], **{"x-note": 1}))["rows"] == 0


# ---------------------------------------------------------------------------
# series
# ---------------------------------------------------------------------------

def test_series_names_keep_their_kind():
    base = '{"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": [], "name": '
    assert value(base + "5}")["name"] == {"int": 5}
    assert value(base + "5.0}")["name"] == {"float": f64(5.0)}
    assert value(base + "-0}")["name"] == {"int": 0}
    assert value(base + '"p"}')["name"] == {"string": "p"}
    assert value(base + "false}")["name"] == {"bool": False}
    assert value(base + "null}")["name"] == {"null": None}
    assert code(base + "[1]}") == "E_FIELD_TYPE"
    assert code(base + "{}}") == "E_FIELD_TYPE"
    assert code(base + "9007199254740992}") == "E_VALUE_DOMAIN"
    assert code(base + "1e400}") == "E_VALUE_DOMAIN"


def test_series_json():
    v = value(js([1.5, None, -2.0], "price"))
    assert v == {"kind": "series", "name": {"string": "price"}, "type": {"id": "float64"},
                 "values": [f64(1.5), None, f64(-2.0)]}
    assert value(js([1, 2]))["type"] == {"id": "int64"}
    assert value(js([]))["type"] == {"id": "null"}
    assert code(js([1, 2.5])) == "E_COLUMN_TYPE"
    assert code(js([[1]])) == "E_COLUMN_TYPE"
    assert code(js({"a": 1})) == "E_FIELD_TYPE"
    assert code(js([2**53])) == "E_VALUE_DOMAIN"


def test_series_arrow():
    v = value(s_env(series_bytes(pa.array([1.5, None, -2.0])), "price"))
    assert v == {"kind": "series", "name": {"string": "price"}, "type": {"id": "float64"},
                 "values": [f64(1.5), None, f64(-2.0)]}
    cat = pa.Array.from_pandas(pd.Series(pd.Categorical(["a", "b", "a"], ordered=True)))
    v = value(s_env(series_bytes(cat), 5))
    assert v["type"] == {"id": "dictionary", "index": "int8", "ordered": True, "values": {"id": "string"}}
    assert (v["values"], v["dictionary"], v["name"]) == (["0", "1", "0"], ["a", "b"], {"int": 5})
    empty = pa.table([pa.array([], pa.int32())], names=["value"])
    assert value(s_env(stream_bytes(empty, [])))["values"] == []


def test_series_arrow_rejections():
    two = pa.table({"value": [1], "b": [2]})
    assert code(s_env(stream_bytes(two))) == "E_ARROW_SCHEMA"
    assert code(s_env(stream_bytes(pa.table({"v": [1]})))) == "E_ARROW_SCHEMA"
    t = pa.table({"value": [1, 2]})
    assert code(s_env(stream_bytes(t, [t.to_batches()[0]] * 2))) == "E_ARROW_PAYLOAD"
    assert code(s_env(file_bytes(t))) == "E_ARROW_PAYLOAD"               # a file where a stream belongs
    e = err(df_env(stream_bytes(t)))
    assert e.code == "E_ARROW_PAYLOAD"


# ---------------------------------------------------------------------------
# encoding
# ---------------------------------------------------------------------------

FRAMES = [
    pd.DataFrame({"a": [1, 2], "b": ["x", None], "f": [1.5, -0.0], "t": [True, None], "n": [None, None]}),
    pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "c": pd.Categorical(["v", "u"]),
                  "h": np.array([1.5, 2], dtype=np.float16), "by": [b"\x00", b""],
                  "ts": pd.to_datetime(["2020-01-01", None]).tz_localize("Europe/Paris")},
                 index=pd.Index(["r", "s"], name="k")),
    pd.DataFrame({"a": [1, 2, 3]}, index=pd.RangeIndex(10, 4, -2, name="r")),
]


@pytest.mark.parametrize("k", range(len(FRAMES)))
def test_encode_roundtrip_and_pyarrow_reads(k):
    v = value(df_env(df_bytes(FRAMES[k])))
    for enc in ("arrow", "frame"):
        out = sw.encode_canonical(v, enc)
        assert sw.decode(out).canonical() == v
    env = json.loads(sw.encode_canonical(v, "arrow"))
    assert list(env) == ["__tywrap__", "codecVersion", "encoding", "b64"]
    b = base64.b64decode(env["b64"])
    t = ipc.open_file(pa.BufferReader(b)).read_all()
    assert t.num_rows == v["rows"] and t.column_names[:len(v["columns"])] == [c["name"] for c in v["columns"]]
    assert ipc.open_stream(pa.BufferReader(b[8:])).read_all().equals(t)
    md = json.loads(t.schema.metadata[b"pandas"])
    assert "index_columns" in md


def test_encode_json_and_refusals():
    v = value(df_env(df_bytes(FRAMES[0].drop(columns=["n"]))))
    out = sw.encode_canonical(v, "json")
    assert json.loads(out)["data"][0] == {"a": 1, "b": "x", "f": 1.5, "t": True}
    assert '"f": -0.0' in out and sw.decode(out).canonical() == v
    refusals = [
        (value(df_env(df_bytes(FRAMES[1]))), "E_COLUMN_TYPE"),
        (value(df_env(df_bytes(FRAMES[2]))), "E_ENCODING_UNSUPPORTED"),
        (value(jdf([{"a": 1.5}]), ) | {"columns": [{"name": "a", "type": {"id": "float64"},
                                                    "values": ["7ff8000000000000"]}]}, "E_VALUE_DOMAIN"),
        (value(jdf([{"a": 1}])) | {"columns": [{"name": "a", "type": {"id": "int64"},
                                                "values": [str(2**53)]}]}, "E_VALUE_DOMAIN"),
        (value(jdf([{"a": 1, "b": 2}])) | {"columns": [{"name": "a", "type": {"id": "int64"}, "values": ["1"]}] * 2},
         "E_JSON_DUPLICATE_KEY"),
        (value(jdf([{"a": "x"}])) | {"columns": [{"name": "a", "type": {"id": "string"}, "values": [None]}]},
         "E_COLUMN_TYPE"),
        ({"kind": "dataframe", "rows": 0, "columns": [{"name": "a", "type": {"id": "int64"}, "values": []}],
          "index": {"kind": "range", "name": None, "start": 0, "stop": 0, "step": 1}}, "E_ENCODING_UNSUPPORTED"),
    ]
    for val, want in refusals:
        with pytest.raises(sw.SciwireError) as e:
            sw.encode_canonical(val, "json")
        assert e.value.code == want, val


def test_encode_refuses_broken_values():
    good = value(jdf([{"a": 1}, {"a": 2}]))
    broken = [
        (good | {"rows": 3}, "E_SHAPE_MISMATCH"),
        (good | {"columns": [{"name": "a", "type": {"id": "int64"}, "values": ["01", "2"]}]}, "E_VALUE_DOMAIN"),
        (good | {"columns": [{"name": "a", "type": {"id": "int8"}, "values": ["128", "2"]}]}, "E_VALUE_DOMAIN"),
        (good | {"columns": [{"name": "a", "type": {"id": "float32"}, "values": ["3ff0000000000000", None]}]},
         "E_VALUE_DOMAIN"),
        (good | {"columns": [{"name": "a", "type": {"id": "dictionary", "index": "int8", "ordered": False,
                                                    "values": {"id": "string"}},
                              "values": ["0", "1"], "dictionary": ["u"]}]}, "E_VALUE_DOMAIN"),
        (good | {"columns": [{"name": "a", "type": {"id": "decimal"}, "values": ["1", "2"]}]}, "E_COLUMN_TYPE"),
        (good | {"index": {"kind": "range", "name": None, "start": 0, "stop": 3, "step": 1}}, "E_SHAPE_MISMATCH"),
    ]
    for val, want in broken:
        for enc in ("arrow", "json", "frame"):
            with pytest.raises(sw.SciwireError) as e:
                sw.encode_canonical(val, enc)
            assert e.value.code == want, (val, enc)


def test_encode_series():
    for env in (js([1.5, None], 5.0), js([1, 2], 5), js([], None), js(["a", None], "n")):
        v = value(env)
        for enc in ("arrow", "json", "frame"):
            out = sw.encode_canonical(v, enc)
            assert sw.decode(out).canonical() == v, enc
    out = json.loads(sw.encode_canonical(value(js([1, 2], 5)), "json"))
    assert out == {"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": [1, 2], "name": 5}
    v = value(s_env(series_bytes(pa.Array.from_pandas(pd.Series(pd.Categorical(["a", "b"]))))))
    b = base64.b64decode(json.loads(sw.encode_canonical(v, "arrow"))["b64"])
    t = ipc.open_stream(pa.BufferReader(b)).read_all()
    assert t.column_names == ["value"] and t.schema.metadata is None
    assert t.column(0).to_pylist() == ["a", "b"]
    with pytest.raises(sw.SciwireError) as e:
        sw.encode_canonical(v, "json")
    assert e.value.code == "E_COLUMN_TYPE"
    empty = {"kind": "series", "name": {"null": None}, "type": {"id": "int64"}, "values": []}
    with pytest.raises(sw.SciwireError) as e:
        sw.encode_canonical(empty, "json")
    assert e.value.code == "E_ENCODING_UNSUPPORTED"
    assert sw.decode(sw.encode_canonical(empty, "arrow")).canonical() == empty
    for name, want in (({"array": []}, "E_FIELD_TYPE"), ({"float": "7ff0000000000000"}, "E_VALUE_DOMAIN"),
                       ({"int": 2**53}, "E_VALUE_DOMAIN")):
        with pytest.raises(sw.SciwireError) as e:
            sw.encode_canonical(dict(empty, name=name), "arrow")
        assert e.value.code == want


def _encoded_file(v) -> bytes:
    return base64.b64decode(json.loads(sw.encode_canonical(v, "arrow"))["b64"])


def test_encode_index_field_names_skip_taken_names():
    # [dataframe.encode.members]: __index_level_K__, K from 0, skipping the
    # names a column already has
    idx = {"kind": "columns", "columns": [{"name": None, "type": {"id": "int64"}, "values": ["7", "8"]},
                                          {"name": "k", "type": {"id": "string"}, "values": ["p", "q"]}]}
    for colnames, want in ((["a"], ["__index_level_0__", "__index_level_1__"]),
                           (["__index_level_0__"], ["__index_level_1__", "__index_level_2__"]),
                           (["__index_level_1__", "x"], ["__index_level_0__", "__index_level_2__"]),
                           (["__index_level_0__", "__index_level_2__"], ["__index_level_1__", "__index_level_3__"])):
        cols = [{"name": n, "type": {"id": "bool"}, "values": [True, False]} for n in colnames]
        v = {"kind": "dataframe", "rows": 2, "columns": cols, "index": idx}
        t = ipc.open_file(pa.BufferReader(_encoded_file(v))).read_all()
        assert t.column_names == colnames + want
        md = json.loads(t.schema.metadata[b"pandas"])
        assert md["index_columns"] == want
        assert [(c["name"], c["field_name"]) for c in md["columns"]] == [(None, want[0]), ("k", want[1])]
        assert all(set(c) == {"name", "field_name", "pandas_type", "numpy_type", "metadata"} for c in md["columns"])
        assert sw.decode(sw.encode_canonical(v, "arrow")).canonical() == v
        df = t.to_pandas()
        assert list(df.columns) == colnames and list(df.index) == [(7, "p"), (8, "q")]
        assert list(df.index.names) == [None, "k"]


def test_encode_index_columns_read_by_pandas():
    v = value(df_env(df_bytes(FRAMES[1])))
    assert v["index"]["kind"] == "columns"
    df = ipc.open_file(pa.BufferReader(_encoded_file(v))).read_all().to_pandas()
    assert df.index.name == "k" and list(df.index) == ["r", "s"]
    assert list(df.columns) == list(FRAMES[1].columns)


def test_encode_refuses_ranges_and_all_null_columns():
    good = value(jdf([{"a": 1}, {"a": 2}]))
    for idx, want in (({"start": 0, "stop": 2, "step": 0}, "E_VALUE_DOMAIN"),
                      ({"start": -2**53, "stop": -2**53 + 2, "step": 1}, "E_VALUE_DOMAIN"),
                      ({"start": 0, "stop": 2**53, "step": 2**52}, "E_VALUE_DOMAIN"),
                      ({"start": 0, "stop": 4, "step": 1}, "E_SHAPE_MISMATCH"),
                      ({"start": 2, "stop": 0, "step": 1}, "E_SHAPE_MISMATCH")):
        val = good | {"index": {"kind": "range", "name": None} | idx}
        for enc in ("arrow", "json", "frame"):
            with pytest.raises(sw.SciwireError) as e:
                sw.encode_canonical(val, enc)
            assert e.value.code == want, (idx, enc)
    ok = good | {"index": {"kind": "range", "name": None, "start": 2**53 - 1, "stop": 2**53 - 5, "step": -2}}
    assert sw.decode(sw.encode_canonical(ok, "arrow")).canonical() == ok
    # json: a column of any type but null whose every cell is null reads back as null
    for tid in ("bool", "int64", "float64", "string"):
        val = good | {"columns": [good["columns"][0], {"name": "n", "type": {"id": tid}, "values": [None, None]}]}
        with pytest.raises(sw.SciwireError) as e:
            sw.encode_canonical(val, "json")
        assert e.value.code == "E_COLUMN_TYPE", tid
        assert sw.decode(sw.encode_canonical(val, "arrow")).canonical() == val
        s = {"kind": "series", "name": {"null": None}, "type": {"id": tid}, "values": [None]}
        with pytest.raises(sw.SciwireError) as e:
            sw.encode_canonical(s, "json")
        assert e.value.code == "E_COLUMN_TYPE", tid
    val = good | {"columns": [{"name": "n", "type": {"id": "null"}, "values": [None, None]}]}
    assert json.loads(sw.encode_canonical(val, "json"))["data"] == [{"n": None}, {"n": None}]


def test_encode_empty_dictionary_series_keeps_its_dictionary():
    # [series.encode.members]: a dictionary series always writes its
    # DictionaryBatch and one RecordBatch, of length 0 when there are no values
    v = {"kind": "series", "name": {"string": "c"},
         "type": {"id": "dictionary", "index": "int8", "ordered": True, "values": {"id": "string"}},
         "values": [], "dictionary": ["lo", "hi"]}
    for enc in ("arrow", "frame"):
        assert sw.decode(sw.encode_canonical(v, enc)).canonical() == v
    b = base64.b64decode(json.loads(sw.encode_canonical(v, "arrow"))["b64"])
    framed, _ = table.arrow_ipc.read_framed(b, 0)
    assert [m.header_type for m, *_ in framed] == [table.arrow_ipc.H_SCHEMA, table.arrow_ipc.H_DICTIONARY_BATCH,
                                                   table.arrow_ipc.H_RECORD_BATCH]
    assert framed[2][0].header.length == 0
    t = ipc.open_stream(pa.BufferReader(b)).read_all()
    assert t.num_rows == 0 and t.column(0).chunk(0).dictionary.to_pylist() == ["lo", "hi"]
    # a series of another type and no values writes no record batch
    e = {"kind": "series", "name": {"null": None}, "type": {"id": "int64"}, "values": []}
    b = base64.b64decode(json.loads(sw.encode_canonical(e, "arrow"))["b64"])
    assert [m.header_type for m, *_ in table.arrow_ipc.read_framed(b, 0)[0]] == [table.arrow_ipc.H_SCHEMA]


def test_harness_capabilities():
    import harness
    for marker in ("dataframe", "series"):
        assert harness.CAPABILITIES[marker] == {"directions": ["decode", "encode"],
                                                "encodings": ["arrow", "json", "frame"], "codecVersions": [0, 1]}


def test_writer_matches_reader_on_every_type():
    cols = [
        {"name": "b", "type": {"id": "bool"}, "values": [True, None, False]},
        {"name": "i8", "type": {"id": "int8"}, "values": ["-128", "127", None]},
        {"name": "u64", "type": {"id": "uint64"}, "values": ["0", str(2**64 - 1), None]},
        {"name": "h", "type": {"id": "float16"}, "values": ["7e00", None, "8000"]},
        {"name": "f32", "type": {"id": "float32"}, "values": ["7fc00001", "3f800000", None]},
        {"name": "s", "type": {"id": "string"}, "values": ["é", "", None]},
        {"name": "y", "type": {"id": "binary"}, "values": ["00ff", None, ""]},
        {"name": "d", "type": {"id": "date32"}, "values": ["-1", "0", None]},
        {"name": "ts", "type": {"id": "timestamp", "unit": "ns", "tz": None}, "values": ["-9223372036854775808",
                                                                                         "1", None]},
        {"name": "du", "type": {"id": "duration", "unit": "ms"}, "values": ["5", None, "-5"]},
        {"name": "n", "type": {"id": "null"}, "values": [None, None, None]},
        {"name": "c", "type": {"id": "dictionary", "index": "uint16", "ordered": True,
                               "values": {"id": "float64"}}, "values": ["1", None, "0"],
         "dictionary": ["3ff0000000000000", "fff0000000000000"]},
    ]
    v = {"kind": "dataframe", "rows": 3, "columns": cols,
         "index": {"kind": "columns", "columns": [{"name": None, "type": {"id": "int64"}, "values": ["1", "2", "3"]}]}}
    for enc in ("arrow", "frame"):
        assert sw.decode(sw.encode_canonical(v, enc)).canonical() == v
    b = base64.b64decode(json.loads(sw.encode_canonical(v, "arrow"))["b64"])
    t = ipc.open_file(pa.BufferReader(b)).read_all()
    t.validate(full=True)
    assert t.column("s").to_pylist() == ["é", "", None]
    assert t.column("u64").to_pylist() == [0, 2**64 - 1, None]


# ---------------------------------------------------------------------------
# mutants.py: each dataframe/series mutant changes a verdict these tests rely on
# ---------------------------------------------------------------------------

def _verdict(fn):
    try:
        return ("value", fn())
    except sw.SciwireError as e:
        return ("error", e.code)


def _footer_moved():
    good = df_bytes(pd.DataFrame({"a": [1, 2]}))
    start, end = _footer_span(good)
    framed, _ = table.arrow_ipc.read_framed(good, 8, allow_trailing=True)
    msg, _body, pos, meta = framed[-1]
    block = struct.pack("<qi4xq", pos, meta, msg.body_length)
    return good[:start] + good[start:end].replace(block, struct.pack("<qi4xq", pos + 8, meta, msg.body_length)) \
        + good[end:]


def _dict_null_stream():
    arr = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array(["u", None]))
    return series_bytes(arr)


WITNESSES = {
    "df-footer-blocks-ignored": lambda: value(df_env(_footer_moved())),
    "df-json-int-float-merged": lambda: value(jdf([{"a": 1}, {"a": 2.5}])),
    "df-range-index-length-ignored": lambda: value(_with_pandas(
        {"index_columns": [{"kind": "range", "name": None, "start": 0, "stop": 3, "step": 1}]})),
    "df-dictionary-materialized": lambda: value(df_env(df_bytes(pd.DataFrame({"c": pd.Categorical(["v", "u"])})))),
    "df-no-cell-limit": lambda: value(df_env(file_bytes(pa.table({"n": pa.nulls(1048577)}))),
                                      sw.Limits(max_elements=1048576)),
    "df-json-limit-after-columns": lambda: value(jdf([{"a": 1, "b": 2}] + [{}] * 1048576),
                                                sw.Limits(max_decoded_bytes=16777216)),
    "df-dictionary-batch-optional": lambda: value(s_env(_without_dictionary_batch(
        series_bytes(pa.Array.from_pandas(pd.Series(pd.Categorical(["a", "b"]))))))),
    "df-encoder-index-name-clash-refused": lambda: sw.decode(sw.encode_canonical(
        {"kind": "dataframe", "rows": 1, "columns": [{"name": "__index_level_0__", "type": {"id": "bool"},
                                                      "values": [True]}],
         "index": {"kind": "columns", "columns": [{"name": None, "type": {"id": "bool"}, "values": [False]}]}},
        "arrow")).canonical(),
    "series-json-values-against-max-elements": lambda: value(js([0] * 2097153), sw.Limits(
        max_decoded_bytes=16777216, max_elements=16777216)),
    "series-encoder-empty-dictionary-unwritten": lambda: sw.decode(sw.encode_canonical(
        {"kind": "series", "name": {"null": None}, "values": [], "dictionary": ["u"],
         "type": {"id": "dictionary", "index": "int8", "ordered": False, "values": {"id": "string"}}},
        "arrow")).canonical(),
    "df-extension-types-as-storage": lambda: value(df_env(df_bytes(
        pd.DataFrame({"p": pd.period_range("2020", periods=2, freq="M")})))),
    "df-null-float-as-nan": lambda: value(df_env(df_bytes(pd.DataFrame({"f": [1.0, None]})))),
    "df-json-member-order-ignored": lambda: value(jdf([{"a": 1, "b": 2}, {"b": 2, "a": 1}])),
    "df-encoder-json-integral-floats-as-ints": lambda: sw.decode(sw.encode_canonical(
        value(jdf([{"a": 1.0}])), "json")).canonical(),
    "series-name-kind-dropped": lambda: value(js([], 5.0)),
    "series-name-optional": lambda: value({"__tywrap__": "series", "codecVersion": 1, "encoding": "json",
                                           "data": []}),
    "series-field-name-unchecked": lambda: value(s_env(stream_bytes(pa.table({"v": [1]})))),
    "series-batches-concatenated": lambda: value(s_env(stream_bytes(
        pa.table({"value": [1]}), [pa.record_batch({"value": [1]})] * 2))),
    "series-dictionary-null-entries": lambda: value(s_env(_dict_null_stream())),
    "series-empty-json-float64": lambda: value(js([])),
    "series-encoder-name-dropped": lambda: sw.decode(sw.encode_canonical(value(js([1], "n")), "arrow")).canonical(),
}


def test_every_table_mutant_has_a_witness():
    import mutants
    names = [n for n in mutants.MUTANTS if n.startswith(("df-", "series-"))]
    assert sorted(names) == sorted(WITNESSES)
    assert sum(n.startswith("df-") for n in names) >= 5 and sum(n.startswith("series-") for n in names) >= 5


@pytest.mark.parametrize("name", sorted(WITNESSES))
def test_table_mutant_changes_a_verdict(name):
    import mutants
    before = _verdict(WITNESSES[name])
    with mutants.applied(name):
        during = _verdict(WITNESSES[name])
    assert before != during, name
    assert _verdict(WITNESSES[name]) == before
