"""The flame profile's Arrow IPC streams (spec/src/flame.md, "Tags 02 to 04"):
FLM\\x02 (a pyarrow Table), FLM\\x04 (a RecordBatch) and FLM\\x03 (an Array,
wrapped in a one-field batch named ``data``), read by sciwire_py.flame.decode
clause by clause in the page's processing order, and written by
sciwire_py.flame.encode ([flame.encode.table], [flame.encode.array]).

Frames come from pyarrow's stream writer (what flamepy 0.6.0 writes after
the tag) and, where flamepy is installed, from flamepy itself; hostile ones
are pyarrow's with a byte patched, or written with sciwire-py's own stream
writer (table_encode) where pyarrow cannot write them. Expected values are
written out by hand."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import vectors as V  # noqa: F401  (puts the package on sys.path)

import sciwire_py as sw
from sciwire_py import arrow_ipc, flame, table, table_encode

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"
RANGE3 = {"kind": "range", "name": None, "start": 0, "stop": 3, "step": 1}


def flamepy():
    return pytest.importorskip("flamepy.core.cache")


def stream(obj, options=None) -> bytes:
    """The Arrow IPC stream flamepy writes after the tag: a Table's batches,
    one RecordBatch, or an Array as ``RecordBatch.from_arrays([arr], names=["data"])``."""
    if isinstance(obj, (pa.Array, pa.ChunkedArray)):
        obj = pa.RecordBatch.from_arrays([obj], names=["data"])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, obj.schema, options=options) as w:
        if isinstance(obj, pa.Table):
            w.write_table(obj)
        else:
            w.write_batch(obj)
    return sink.getvalue().to_pybytes()


def frame(obj, tag=None, options=None) -> bytes:
    if tag is None:
        tag = 2 if isinstance(obj, pa.Table) else 4 if isinstance(obj, pa.RecordBatch) else 3
    return b"FLM" + bytes([tag]) + stream(obj, options)


def value(data, limits=None) -> dict:
    return flame.decode(data, limits or sw.Limits()).canonical()


def err(data, limits=None) -> sw.SciwireError:
    with pytest.raises(sw.SciwireError) as e:
        flame.decode(data, limits or sw.Limits())
    return e.value


def rejects(data, code, clause, limits=None) -> sw.SciwireError:
    e = err(data, limits)
    assert (e.code, e.clause) == (code, clause), e
    return e


def col(name, typ, values, dictionary=None) -> dict:
    c = {"name": name, "type": typ if isinstance(typ, dict) else {"id": typ}, "values": values}
    if dictionary is not None:
        c["dictionary"] = dictionary
    return c


def df(rows, columns, index=None) -> dict:
    return {"kind": "dataframe", "rows": rows, "columns": columns,
            "index": index or {"kind": "range", "name": None, "start": 0, "stop": rows, "step": 1}}


def series(typ, values, dictionary=None) -> dict:
    s = {"kind": "series", "name": {"null": None}, "type": typ if isinstance(typ, dict) else {"id": typ},
         "values": values}
    if dictionary is not None:
        s["dictionary"] = dictionary
    return s


def f64(x) -> str:
    return struct.pack(">d", x).hex()


def messages(data: bytes):
    """The (header type, metadata) of each message of a frame's stream."""
    framed, _end = arrow_ipc.read_framed(data[4:], 0)
    return [(m.header_type, m.header) for m, _b, _p, _l in framed]


# --------------------------------------------------------------------------
# [flame.streams], [flame.stream.table]: tags 02 and 04 are dataframes
# --------------------------------------------------------------------------

def test_table_without_pandas_metadata_has_the_range_index():
    t = pa.table({"a": pa.array([1, None, 3], pa.int32()), "b": ["x", "y", None]})
    assert value(frame(t)) == df(3, [col("a", "int32", ["1", None, "3"]), col("b", "string", ["x", "y", None])])


def test_table_from_pandas_default_range_index():
    t = pa.Table.from_pandas(pd.DataFrame({"a": [1.5, -2.0, 0.0]}))
    assert b"pandas" in t.schema.metadata
    assert value(frame(t)) == df(3, [col("a", "float64", [f64(1.5), f64(-2.0), f64(0.0)])], RANGE3)


def test_table_from_pandas_named_stepped_range_index():
    t = pa.Table.from_pandas(pd.DataFrame({"a": [1, 2]}, index=pd.RangeIndex(10, 14, 2, name="r")))
    assert value(frame(t))["index"] == {"kind": "range", "name": "r", "start": 10, "stop": 14, "step": 2}


def test_table_from_pandas_index_columns_and_multiindex():
    d = pd.DataFrame({"v": [1, 2, 3]}, index=pd.Index(["p", "q", "r"], name="k"))
    got = value(frame(pa.Table.from_pandas(d)))
    assert got["columns"] == [col("v", "int64", ["1", "2", "3"])]
    assert got["index"] == {"kind": "columns", "columns": [col("k", "string", ["p", "q", "r"])]}
    m = pd.DataFrame({"v": [1.0, 2.0]}, index=pd.MultiIndex.from_arrays([[1, 2], ["a", "b"]], names=["i", None]))
    got = value(frame(pa.Table.from_pandas(m)))
    assert [c["name"] for c in got["index"]["columns"]] == ["i", None]
    assert got["index"]["columns"][0]["values"] == ["1", "2"] and got["columns"][0]["name"] == "v"


def test_categorical_and_nullable_pandas_columns():
    d = pd.DataFrame({"c": pd.Categorical(["u", "v", None], categories=["u", "v", "w"], ordered=True),
                      "n": pd.array([1, None, 3], dtype="Int64"), "b": pd.array([True, None, False], dtype="boolean")})
    got = value(frame(pa.Table.from_pandas(d, preserve_index=False)))
    assert got == df(3, [
        col("c", {"id": "dictionary", "index": "int8", "ordered": True, "values": {"id": "string"}}, ["0", "1", None],
            ["u", "v", "w"]),
        col("n", "int64", ["1", None, "3"]), col("b", "bool", [True, None, False])])


def test_every_column_type():
    t = pa.table({
        "bool": pa.array([True, None], pa.bool_()), "i8": pa.array([-128, 127], pa.int8()),
        "u64": pa.array([0, 2**64 - 1], pa.uint64()), "f16": pa.array([np.float16(1.0), None], pa.float16()),
        "f32": pa.array([1.0, -0.0], pa.float32()), "s": pa.array(["é", ""], pa.large_string()),
        "bin": pa.array([b"\x00\xff", None], pa.large_binary()), "d": pa.array([0, -1], pa.date32()),
        "ts": pa.array([1, None], pa.timestamp("ms", tz="UTC")), "tsn": pa.array([2, 3], pa.timestamp("ns")),
        "dur": pa.array([-5, 5], pa.duration("s")), "null": pa.nulls(2),
        "dict": pa.DictionaryArray.from_arrays(pa.array([1, 0], pa.uint16()), pa.array([10, 20], pa.int64())),
    })
    got = value(frame(t))
    assert [(c["name"], c["type"], c["values"]) for c in got["columns"]] == [
        ("bool", {"id": "bool"}, [True, None]), ("i8", {"id": "int8"}, ["-128", "127"]),
        ("u64", {"id": "uint64"}, ["0", str(2**64 - 1)]), ("f16", {"id": "float16"}, ["3c00", None]),
        ("f32", {"id": "float32"}, ["3f800000", "80000000"]), ("s", {"id": "string"}, ["é", ""]),
        ("bin", {"id": "binary"}, ["00ff", None]), ("d", {"id": "date32"}, ["0", "-1"]),
        ("ts", {"id": "timestamp", "unit": "ms", "tz": "UTC"}, ["1", None]),
        ("tsn", {"id": "timestamp", "unit": "ns", "tz": None}, ["2", "3"]),
        ("dur", {"id": "duration", "unit": "s"}, ["-5", "5"]), ("null", {"id": "null"}, [None, None]),
        ("dict", {"id": "dictionary", "index": "uint16", "ordered": False, "values": {"id": "int64"}}, ["1", "0"])]
    assert got["columns"][-1]["dictionary"] == ["10", "20"]


def test_table_of_several_batches():
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, pa.schema([("a", pa.int64())])) as w:
        for vals in ([1, 2], [], [3]):
            w.write_batch(pa.record_batch({"a": pa.array(vals, pa.int64())}))
    data = b"FLM\x02" + sink.getvalue().to_pybytes()
    assert sum(1 for h, _ in messages(data) if h == arrow_ipc.H_RECORD_BATCH) == 3
    assert value(data) == df(3, [col("a", "int64", ["1", "2", "3"])])
    # one dictionary shared by the chunks: one dictionary batch, read once
    d = pa.array(["x", "y"]).dictionary_encode()
    t = pa.concat_tables([pa.table({"c": d}), pa.table({"c": d})])
    assert value(frame(t))["columns"] == [col("c", {"id": "dictionary", "index": "int32", "ordered": False,
                                                    "values": {"id": "string"}}, ["0", "1", "0", "1"], ["x", "y"])]


def test_table_with_no_batches_and_no_rows():
    t = pa.table({"a": pa.array([], pa.int64()), "c": pa.array([], pa.string()).dictionary_encode()})
    data = b"FLM\x02" + stream(t)
    assert [h for h, _ in messages(data)] == [arrow_ipc.H_SCHEMA]   # pyarrow writes no batch at all
    assert value(data) == df(0, [col("a", "int64", []), col("c", {"id": "dictionary", "index": "int32",
                                                                  "ordered": False, "values": {"id": "string"}}, [],
                                                            [])])


def test_record_batch():
    b = pa.record_batch({"a": pa.array([1.0, None]), "s": ["p", "q"]})
    assert value(frame(b)) == df(2, [col("a", "float64", [f64(1.0), None]), col("s", "string", ["p", "q"])])
    assert value(frame(pa.record_batch({"a": pa.array([], pa.int8())}))) == df(0, [col("a", "int8", [])])
    rb = pa.RecordBatch.from_pandas(pd.DataFrame({"a": [1]}, index=pd.Index([7], name="k")))
    assert value(frame(rb))["index"] == {"kind": "columns", "columns": [col("k", "int64", ["7"])]}


def test_other_schema_metadata_is_ignored():
    t = pa.table({"a": [1]}).replace_schema_metadata({"x": "\xff not json", "ARROW:extension:name": "n"})
    assert value(frame(t)) == df(1, [col("a", "int64", ["1"])])


def test_zero_fields_many_rows():
    """A table without columns still has rows; rows up to 2^53-1 cost no cells."""
    data = b"FLM\x02" + table_encode.write_one_batch_stream([], [], [], 2**53 - 1)
    assert value(data) == df(2**53 - 1, [])


# --------------------------------------------------------------------------
# [flame.stream.array]: tag 03 is a series named null
# --------------------------------------------------------------------------

def test_array():
    assert value(frame(pa.array([1, None, 3]))) == series("int64", ["1", None, "3"])
    assert value(frame(pa.array([], pa.float32()))) == series("float32", [])
    assert value(frame(pa.array(["b", "a", "b", None]).dictionary_encode())) == series(
        {"id": "dictionary", "index": "int32", "ordered": False, "values": {"id": "string"}}, ["0", "1", "0", None],
        ["b", "a"])


def test_array_schema_metadata_is_ignored():
    rb = pa.RecordBatch.from_arrays([pa.array([True])], names=["data"]).replace_schema_metadata({"pandas": "{"})
    assert value(b"FLM\x03" + stream(rb)) == series("bool", [True])


@pytest.mark.parametrize("names", [["value"], ["DATA"], [""], ["data", "data"], ["data", "x"], []])
def test_array_field_must_be_data(names):
    rb = pa.RecordBatch.from_arrays([pa.array([1])] * len(names), names=names) if names else \
        pa.RecordBatch.from_pydict({})
    rejects(b"FLM\x03" + stream(rb), "E_ARROW_SCHEMA", "flame.stream.array")


# --------------------------------------------------------------------------
# flamepy's own frames
# --------------------------------------------------------------------------

def test_flamepy_frames_are_pyarrows_streams():
    fp = flamepy()
    d = pd.DataFrame({"a": [1, 2, 3], "c": pd.Categorical(["x", "y", "x"])}, index=pd.Index([4, 5, 6], name="i"))
    t = pa.Table.from_pandas(d)
    for obj in (t, pa.RecordBatch.from_pandas(d), pa.array([1.5, None]), pa.array(["a", "b"]).dictionary_encode()):
        data = fp._serialize_object_data(obj)
        assert data == frame(obj)
    got = value(fp._serialize_object_data(t))
    assert got["index"] == {"kind": "columns", "columns": [col("i", "int64", ["4", "5", "6"])]}
    assert got["columns"][1]["dictionary"] == ["x", "y"]
    assert value(fp._serialize_object_data(pa.array([1.5, None]))) == series("float64", [f64(1.5), None])


def test_flamepy_reads_what_the_profile_rejects():
    """The table of differences: flamepy reads these; the profile refuses them."""
    fp = flamepy()
    two = pa.concat_tables([pa.table({"a": [1]}), pa.table({"a": [2]})])
    data = b"FLM\x04" + stream(two)
    assert fp._deserialize_object_data(data).num_rows == 1          # the second batch dropped
    rejects(data, "E_ARROW_PAYLOAD", "flame.stream.batches")
    data = frame(pa.table({"a": [1]})) + b"\x00" * 8
    assert fp._deserialize_object_data(data).num_rows == 1          # trailing bytes ignored
    rejects(data, "E_ARROW_PAYLOAD", "flame.stream.message")
    data = b"FLM\x03" + stream(pa.record_batch({"value": [1]}))
    assert fp._deserialize_object_data(data).to_pylist() == [1]     # whatever the field is named
    rejects(data, "E_ARROW_SCHEMA", "flame.stream.array")


# --------------------------------------------------------------------------
# [flame.stream.message]
# --------------------------------------------------------------------------

def _message(data):
    return rejects(data, "E_ARROW_PAYLOAD", "flame.stream.message")


@pytest.mark.parametrize("tag", [2, 3, 4])
def test_message_nothing_after_the_tag(tag):
    _message(b"FLM" + bytes([tag]))


def test_message_truncated_and_without_eos():
    data = frame(pa.table({"a": [1, 2], "s": ["x", "y"]}))
    assert data.endswith(EOS)
    for cut in (5, 8, 11, 12, 40, len(data) - 40, len(data) - 9, len(data) - 8, len(data) - 1):
        _message(data[:cut])
    _message(data[:-8])                       # no end-of-stream marker
    _message(data[:-8] + b"\xff\xff\xff\xff")  # half of one


@pytest.mark.parametrize("trailing", [b"\x00", EOS, b"\x00" * 8])
def test_message_bytes_after_eos(trailing):
    _message(frame(pa.table({"a": [1]})) + trailing)


def test_message_dictionary_replacement():
    """pyarrow writes a second dictionary batch for the id when a table's
    chunks have different dictionaries: one canonical column cannot hold two."""
    t = pa.concat_tables([pa.table({"c": pa.array(["a", "b"]).dictionary_encode()}),
                          pa.table({"c": pa.array(["c"]).dictionary_encode()})])
    data = frame(t)
    kinds = [h for h, _ in messages(data)]
    assert kinds == [arrow_ipc.H_SCHEMA, arrow_ipc.H_DICTIONARY_BATCH, arrow_ipc.H_RECORD_BATCH,
                     arrow_ipc.H_DICTIONARY_BATCH, arrow_ipc.H_RECORD_BATCH]
    assert "follows a record batch" in _message(data).message


def test_message_dictionary_delta():
    t = pa.concat_tables([pa.table({"c": pa.array(["a", "b"]).dictionary_encode()}),
                          pa.table({"c": pa.array(["a", "b", "c"]).dictionary_encode()})])
    data = frame(t, options=pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True))
    assert any(h == arrow_ipc.H_DICTIONARY_BATCH and m.is_delta for h, m in messages(data))
    _message(data)


@pytest.mark.parametrize("codec", ["lz4", "zstd"])
def test_message_compressed_body(codec):
    if not pa.Codec.is_available(codec):
        pytest.skip(f"pyarrow without {codec}")
    _message(frame(pa.table({"a": list(range(100))}), options=pa.ipc.IpcWriteOptions(compression=codec)))


def test_message_second_schema_and_tensor():
    one = stream(pa.table({"a": [1]}))
    _message(b"FLM\x02" + one[:-8] + one)       # a second schema after the first stream's batches
    sink = pa.BufferOutputStream()
    pa.ipc.write_tensor(pa.Tensor.from_numpy(np.arange(3)), sink)
    _message(b"FLM\x02" + one[:-8] + sink.getvalue().to_pybytes() + EOS)
    _message(b"FLM\x02" + sink.getvalue().to_pybytes() + EOS)   # a tensor first


def test_message_big_endian_schema(monkeypatch):
    orig = table_encode._write_schema

    def big_endian(w, fields, metadata):
        pos = orig(w, fields, metadata)
        vt = pos - struct.unpack_from("<i", w.b, pos)[0]
        slot = struct.unpack_from("<H", w.b, vt + 4)[0]
        struct.pack_into("<h", w.b, pos + slot, 1)
        return pos
    monkeypatch.setattr(table_encode, "_write_schema", big_endian)
    data = b"FLM\x02" + table_encode.write_one_batch_stream([("a", {"id": "int32"})], [],
                                                            [table.Column("a", {"id": "int32"}, ["1"])], 1)
    monkeypatch.undo()
    assert "endianness" in _message(data).message


def test_message_dictionary_missing_with_rows():
    """A dictionary id without its DictionaryBatch only when there are no rows."""
    t = pa.table({"c": pa.array(["a"]).dictionary_encode()})
    data = frame(t)
    parts = []
    framed, _ = arrow_ipc.read_framed(data[4:], 0)
    body = data[4:]
    for m, _b, pos, meta in framed:
        if m.header_type != arrow_ipc.H_DICTIONARY_BATCH:
            parts.append(body[pos:pos + meta + m.body_length])
    _message(b"FLM\x02" + b"".join(parts) + EOS)


def test_message_contents_checked_late():
    """Item 4 (contents): a string column's bytes not UTF-8; a null count
    that disagrees with the bitmap."""
    data = frame(pa.table({"s": ["xyz"]}))
    _message(data.replace(b"xyz", b"x\xffz"))
    data = frame(pa.array([1, None, 3], pa.int8()))
    i = data.index(bytes([1, 0, 3]))
    _message(data[:i - 8] + b"\x07" + data[i - 7:])   # the validity bitmap 0b101 -> 0b111: null_count 1 is wrong


# --------------------------------------------------------------------------
# [flame.stream.batches]
# --------------------------------------------------------------------------

@pytest.mark.parametrize("tag", [3, 4])
def test_batches_exactly_one(tag):
    name = "data" if tag == 3 else "a"
    two = pa.concat_tables([pa.table({name: [1]}), pa.table({name: [2]})])
    rejects(b"FLM" + bytes([tag]) + stream(two), "E_ARROW_PAYLOAD", "flame.stream.batches")
    none = pa.table({name: pa.array([], pa.int64())})
    assert [h for h, _ in messages(b"FLM\x02" + stream(none))] == [arrow_ipc.H_SCHEMA]
    rejects(b"FLM" + bytes([tag]) + stream(none), "E_ARROW_PAYLOAD", "flame.stream.batches")
    # one batch of no rows is one batch
    assert value(b"FLM" + bytes([tag]) + stream(pa.record_batch({name: pa.array([], pa.int64())}))) in (
        series("int64", []), df(0, [col("a", "int64", [])]))


def test_batches_before_the_array_schema():
    two = pa.concat_tables([pa.table({"value": [1]}), pa.table({"value": [2]})])
    rejects(b"FLM\x03" + stream(two), "E_ARROW_PAYLOAD", "flame.stream.batches")


# --------------------------------------------------------------------------
# [flame.stream.types]
# --------------------------------------------------------------------------

BAD_TYPES = [
    pa.array([1], pa.decimal128(5, 2)), pa.array([[1]], pa.list_(pa.int64())), pa.array([{"x": 1}]),
    pa.array([0], pa.date64()), pa.array([1], pa.time32("s")), pa.array([b"ab"], pa.binary(2)),
    pa.array(["a"], pa.string_view()), pa.array([[1]], pa.large_list(pa.int8())),
    pa.array([(1, 2, 3)], pa.month_day_nano_interval()),
]


@pytest.mark.parametrize("arr", BAD_TYPES, ids=lambda a: str(a.type))
def test_types_closed_list(arr):
    rejects(frame(pa.table({"ok": [1], "bad": arr})), "E_COLUMN_TYPE", "flame.stream.types")
    rejects(frame(pa.record_batch({"bad": arr})), "E_COLUMN_TYPE", "flame.stream.types")
    rejects(frame(arr), "E_COLUMN_TYPE", "flame.stream.types")


def test_types_extension_from_pandas():
    d = pd.DataFrame({"p": pd.period_range("2020-01", periods=2, freq="M")})
    t = pa.Table.from_pandas(d, preserve_index=False)
    assert b"ARROW:extension:name" in stream(t)
    rejects(frame(t), "E_COLUMN_TYPE", "flame.stream.types")


def test_types_dictionary_of_nulls():
    arr = pa.DictionaryArray.from_arrays(pa.array([0], pa.int8()), pa.nulls(1))
    rejects(frame(arr), "E_COLUMN_TYPE", "flame.stream.types")


# --------------------------------------------------------------------------
# [flame.stream.limits]
# --------------------------------------------------------------------------

SMALL = sw.Limits(max_elements=2**20)


def test_limits_cells():
    n = 2**19 + 1
    assert value(frame(pa.table({"a": pa.nulls(n)})), SMALL)["rows"] == n
    rejects(frame(pa.table({"a": pa.nulls(n), "b": pa.nulls(n)})), "E_LIMIT_EXCEEDED", "flame.stream.limits", SMALL)
    rejects(frame(pa.nulls(2**20 + 1)), "E_LIMIT_EXCEEDED", "flame.stream.limits", SMALL)


def test_limits_dictionary_entries_count():
    arr = pa.DictionaryArray.from_arrays(pa.array([0], pa.int32()), pa.array(np.arange(2**20)))
    rejects(frame(arr), "E_LIMIT_EXCEEDED", "flame.stream.limits", SMALL)
    rejects(frame(pa.table({"c": arr})), "E_LIMIT_EXCEEDED", "flame.stream.limits", SMALL)


def test_limits_rows_beyond_2_53():
    data = b"FLM\x02" + table_encode.write_one_batch_stream([], [], [], 2**53)
    rejects(data, "E_LIMIT_EXCEEDED", "flame.stream.limits")


def test_limits_before_contents():
    """A record batch of 2^21 rows whose column holds one value: over the
    limit, which is checked before the column's contents (wrong here)."""
    c = table.Column("a", {"id": "int8"}, ["1"])
    data = b"FLM\x04" + table_encode.write_one_batch_stream([("a", c.type)], [], [c], 2**21)
    rejects(data, "E_LIMIT_EXCEEDED", "flame.stream.limits", SMALL)
    _message(b"FLM\x04" + table_encode.write_one_batch_stream([("a", c.type)], [], [c], 2))


# --------------------------------------------------------------------------
# [flame.stream.values]
# --------------------------------------------------------------------------

def test_values_code_outside_the_dictionary():
    arr = pa.DictionaryArray.from_arrays(pa.array([0, 2], pa.int8()), pa.array(["a", "b"]), safe=False)
    rejects(frame(arr), "E_VALUE_DOMAIN", "flame.stream.values")
    rejects(frame(pa.table({"c": arr})), "E_VALUE_DOMAIN", "flame.stream.values")
    arr = pa.DictionaryArray.from_arrays(pa.array([-1], pa.int8()), pa.array(["a"]), safe=False)
    rejects(frame(arr), "E_VALUE_DOMAIN", "flame.stream.values")


def test_values_null_dictionary_entry():
    arr = pa.DictionaryArray.from_arrays(pa.array([0], pa.int8()), pa.array(["a", None]))
    rejects(frame(arr), "E_VALUE_DOMAIN", "flame.stream.values")


def test_values_before_pandas_metadata():
    arr = pa.DictionaryArray.from_arrays(pa.array([5], pa.int8()), pa.array(["a"]), safe=False)
    t = pa.table({"c": arr}).replace_schema_metadata({"pandas": "not json"})
    rejects(frame(t), "E_VALUE_DOMAIN", "flame.stream.values")


# --------------------------------------------------------------------------
# [flame.stream.table]: the pandas metadata clauses, reported under this one
# --------------------------------------------------------------------------

def _with_pandas(md, tag=2):
    t = pa.table({"a": [1, 2], "k": ["x", "y"]})
    text = md if isinstance(md, (str, bytes)) else json.dumps(md)
    t = t.replace_schema_metadata({"pandas": text})
    return frame(t if tag == 2 else t.to_batches()[0])


@pytest.mark.parametrize("tag", [2, 4])
@pytest.mark.parametrize("md", [
    "not json", b"\xff", "[]", {"columns": []}, {"index_columns": {}},
    {"index_columns": [{"kind": "range", "name": None, "start": 0, "stop": 5, "step": 1}]},
    {"index_columns": [{"kind": "range", "name": None, "start": 0, "stop": 2, "step": 0}]},
    {"index_columns": ["nope"], "columns": [{"name": None, "field_name": "nope"}]},
    {"index_columns": ["k"], "columns": []},
    {"index_columns": ["k", "k"], "columns": [{"name": None, "field_name": "k"}]},
    {"index_columns": [1]},
])
def test_pandas_metadata_rejected(md, tag):
    rejects(_with_pandas(md, tag), "E_PANDAS_METADATA", "flame.stream.table")


def test_pandas_metadata_read():
    got = value(_with_pandas({"index_columns": ["k"], "columns": [{"name": "key", "field_name": "k"}],
                              "creator": {"library": "anything"}}))
    assert got == df(2, [col("a", "int64", ["1", "2"])],
                     {"kind": "columns", "columns": [col("key", "string", ["x", "y"])]})
    got = value(_with_pandas({"index_columns": []}, tag=4))
    assert got["index"] == {"kind": "range", "name": None, "start": 0, "stop": 2, "step": 1}


# --------------------------------------------------------------------------
# Encoding: [flame.encode.table], [flame.encode.array], [flame.encode.refuse]
# --------------------------------------------------------------------------

DICT = {"id": "dictionary", "index": "int8", "ordered": True, "values": {"id": "string"}}
FRAMES = [
    df(3, [col("a", "int64", ["1", None, "3"]), col("s", "string", ["x", "", None])]),
    df(2, [col("f", "float16", ["3c00", "7e00"]), col("c", DICT, ["1", None], ["p", "q"])],
       {"kind": "range", "name": "r", "start": 10, "stop": 14, "step": 2}),
    df(2, [col("__index_level_0__", "int8", ["1", "2"])],
       {"kind": "columns", "columns": [col(None, "string", ["a", "b"]), col("t", {"id": "timestamp", "unit": "us",
                                                                                  "tz": "UTC"}, ["0", "1"])]}),
    df(0, [col("c", DICT, [], ["only"]), col("n", "null", [])]),
    df(0, []),
    df(5, []),
]
SERIES = [
    series("int32", ["1", None]), series("string", []), series(DICT, ["0", None], ["z"]),
    series(DICT, [], ["kept"]), series("null", [None]),
    series({"id": "duration", "unit": "ns"}, ["-1"]), series("binary", ["00ff"]),
]


@pytest.mark.parametrize("encoding", ["table", "batch"])
@pytest.mark.parametrize("k", range(len(FRAMES)))
def test_encode_table_round_trip(encoding, k):
    v = FRAMES[k]
    data = flame.encode(v, encoding)
    assert data[:4] == (b"FLM\x02" if encoding == "table" else b"FLM\x04")
    assert value(data) == v
    kinds = [h for h, _ in messages(data)]
    ndict = sum(1 for c in v["columns"] if c["type"]["id"] == "dictionary")
    assert kinds == [arrow_ipc.H_SCHEMA] + [arrow_ipc.H_DICTIONARY_BATCH] * ndict + [arrow_ipc.H_RECORD_BATCH]
    # pyarrow reads it back, pandas metadata and all
    t = pa.ipc.open_stream(data[4:]).read_all()
    assert t.num_rows == v["rows"]


def test_encode_table_pandas_reads_the_index():
    data = flame.encode(FRAMES[1], "table")
    got = pa.ipc.open_stream(data[4:]).read_all().to_pandas()
    assert list(got.index) == [10, 12] and got.index.name == "r"
    assert list(got["c"].cat.categories) == ["p", "q"] and got["c"].cat.ordered
    data = flame.encode(FRAMES[2], "batch")
    got = pa.ipc.open_stream(data[4:]).read_all().to_pandas()
    assert got.index.names == [None, "t"] and list(got["__index_level_0__"]) == [1, 2]


@pytest.mark.parametrize("k", range(len(SERIES)))
def test_encode_array_round_trip(k):
    v = SERIES[k]
    data = flame.encode(v, "array")
    assert data[:4] == b"FLM\x03"
    assert value(data) == v
    (h, schema), *rest = messages(data)
    assert [f.name for f in schema.fields] == ["data"] and schema.metadata == []
    assert [h for h, _ in rest] == [arrow_ipc.H_DICTIONARY_BATCH] * (v["type"]["id"] == "dictionary") + \
        [arrow_ipc.H_RECORD_BATCH]


def test_encode_read_by_flamepy():
    fp = flamepy()
    got = fp._deserialize_object_data(flame.encode(FRAMES[0], "table"))
    assert isinstance(got, pa.Table) and got.to_pydict() == {"a": [1, None, 3], "s": ["x", "", None]}
    got = fp._deserialize_object_data(flame.encode(FRAMES[0], "batch"))
    assert isinstance(got, pa.RecordBatch) and got.num_rows == 3
    got = fp._deserialize_object_data(flame.encode(SERIES[2], "array"))
    assert isinstance(got, pa.DictionaryArray) and got.to_pylist() == ["z", None]
    # and what flamepy writes for the decoded value is what was encoded
    v = value(fp._serialize_object_data(got))
    assert v == SERIES[2]


def _refused(v, encoding, code="E_ENCODING_UNSUPPORTED"):
    with pytest.raises(sw.SciwireError) as e:
        flame.encode(v, encoding)
    assert e.value.code == code, e.value
    return e.value


def test_encode_refuses_named_series():
    for name in ({"string": "data"}, {"int": 0}, {"bool": False}, {"float": f64(1.0)}):
        e = _refused(dict(SERIES[0], name=name), "array")
        assert e.clause == "flame.encode.refuse"


def test_encode_refuses_kind_mismatch():
    for v, encodings in ((SERIES[0], ("table", "batch", "tensor")), (FRAMES[0], ("array", "tensor")),
                         (sw.to_canonical(np.arange(3.0)), ("table", "batch", "array")),
                         (sw.to_canonical(np.eye(2).astype(np.float64)), ("array",))):
        for enc in encodings:
            assert _refused(v, enc).clause == "flame.encode.refuse"
    import scipy.sparse as sp
    _refused(sw.to_canonical(sp.csr_array(np.eye(2))), "table")


def test_encode_refuses_broken_values_with_their_codes():
    short = dict(FRAMES[0], rows=4)
    _refused(short, "table", "E_SHAPE_MISMATCH")
    _refused(short, "array", "E_SHAPE_MISMATCH")   # its own rules first, then the kind
    bad_code = df(1, [col("c", DICT, ["3"], ["p"])])
    _refused(bad_code, "batch", "E_VALUE_DOMAIN")
    _refused(df(1, [col("a", "int8", ["300"])]), "table", "E_VALUE_DOMAIN")
    _refused(df(2, [col("a", "int8", ["1", "2"])], {"kind": "range", "name": None, "start": 0, "stop": 3,
                                                    "step": 1}), "table", "E_SHAPE_MISMATCH")
    _refused(series(DICT, ["1"], ["p"]), "array", "E_VALUE_DOMAIN")
    _refused(series("float32", ["3f80"]), "array", "E_VALUE_DOMAIN")
    _refused(dict(SERIES[0], name={"int": 2**60}), "array", "E_VALUE_DOMAIN")   # a name series.name rejects
    _refused(FRAMES[0], "frame")


def test_encoded_stream_is_exactly_one_batch_even_empty():
    """A zero-row batch frame is one RecordBatch of length 0, so that the
    batch rule (exactly one) reads it back, and the dictionary survives."""
    data = flame.encode(FRAMES[3], "batch")
    kinds = [(h, getattr(m, "length", None)) for h, m in messages(data)]
    assert kinds[-1] == (arrow_ipc.H_RECORD_BATCH, 0)
    assert value(data)["columns"][0]["dictionary"] == ["only"]


def test_variadic_counts_are_not_framing():
    """A view type's negative variadicBufferCounts entry is read only with
    the view column, which [flame.stream.types] refuses first (the closed
    list has no view type): E_COLUMN_TYPE, as for the series stream (a
    differential run against the reference found sciwire-py reporting
    E_ARROW_PAYLOAD there)."""
    data = bytearray(frame(pa.array(["a string longer than twelve bytes"], pa.string_view())))
    framed, _ = arrow_ipc.read_framed(bytes(data[4:]), 0)
    msg, _body, pos, _meta = framed[1]
    assert msg.header_type == arrow_ipc.H_RECORD_BATCH and msg.header.variadic == [1]
    meta_start = 4 + pos + 8
    buf = arrow_ipc._Buf(bytes(data[meta_start:meta_start + _meta - 8]))
    vec, n = buf.root().table(2).vector(4, 8)
    struct.pack_into("<q", data, meta_start + vec, -1)
    rejects(bytes(data), "E_COLUMN_TYPE", "flame.stream.types")
