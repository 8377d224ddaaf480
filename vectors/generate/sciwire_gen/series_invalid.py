"""Invalid `series` vectors: members, name, base64, the Arrow IPC stream (structure, dictionary
batches, batches, compression), schema, column types, limits, dictionary codes, json data, frames.
Real producer output mutated once (`source.mutation`), real pyarrow/pandas objects the spec
rejects, or hand-written input. Structural vectors must fail table_arrow.file_fault(stream=True);
the others must pass it.
"""

from __future__ import annotations

import json
import struct

import pyarrow as pa

from .arrowbytes import Msg, messages, rb_buffers, with_variadic_counts
from .common import HOSTILE_BUDGET, B, J, T, Suite, hand, with_, without
from .dataframe_producer import (Unsupported, canon_stream_series, file_bytes, run, series_arrow_bytes,
                                 series_arrow_env, series_json_env, src, stream_bytes)
from .frame import rebuild, split as frame_split, write_frame
from .table_arrow import file_fault

EX = 'pd.Series([1.5, None, -2.0], name="price")'
JEX = 'pd.Series(pd.array([1.5, None, -2.0], dtype="Float64"), name="price")'
CAT = 'pd.Series(pd.Categorical(["a", "b", "a"]), name="c")'
ST = ["series.arrow.stream"]


def s_env(data: bytes, name="price") -> dict:
    from .series import s_env as env
    return env(data, name)


def invalid_vectors(S: Suite):
    member_vectors(S)
    stream_vectors(S)
    schema_type_vectors(S)
    json_vectors(S)


def bad_struct(S, name, desc, data, expr, mutation, clauses=ST, budget=None, tags=None, sname="price"):
    assert file_fault(data, stream=True) is not None, f"{name}: structurally fine"
    S.invalid(f"series-invalid-{name}", desc, clauses, J(s_env(data, sname)), "E_ARROW_PAYLOAD", src(expr, mutation),
              schema_valid=True, budget=budget, tags=tags)


def bad_payload(S, name, desc, clauses, data, code, expr, mutation=None, budget=None, tags=None, sname="price"):
    assert file_fault(data, stream=True) is None, f"{name}: {file_fault(data, stream=True)}"
    S.invalid(f"series-invalid-{name}", desc, clauses, J(s_env(data, sname)), code, src(expr, mutation),
              schema_valid=True, budget=budget, tags=tags)


def member_vectors(S: Suite):
    env = series_arrow_env(run(EX))
    jenv = series_json_env(run(JEX))
    for name, desc, e, code, cl, sv, m in [
            ("encoding-ndarray", "arrow series with encoding ndarray", with_(env, encoding="ndarray"),
             "E_ENCODING_UNSUPPORTED", ["series.encodings", "envelope.encoding"], False, "encoding -> ndarray"),
            ("encoding-frame", "JSON series envelope with encoding frame and data 0",
             {"__tywrap__": "series", "codecVersion": 1, "encoding": "frame", "data": 0, "name": "price"},
             "E_ENCODING_UNSUPPORTED", ["series.encodings", "frame.envelope"], False, "encoding frame, data 0"),
            ("arrow-with-data", "arrow series that also has data", with_(env, data=[]), "E_UNKNOWN_FIELD",
             ["series.members", "envelope.unknown-fields"], False, "data [] added"),
            ("json-with-b64", "json series that also has b64", with_(jenv, b64=env["b64"]), "E_UNKNOWN_FIELD",
             ["series.members", "envelope.unknown-fields"], False, "b64 added"),
            ("json-with-index", "json series with an index member", with_(jenv, index=[0, 1, 2]), "E_UNKNOWN_FIELD",
             ["series.members", "envelope.unknown-fields"], False, "index [0, 1, 2] added"),
            ("arrow-with-dtype", "arrow series with a dtype member", with_(env, dtype="float64"), "E_UNKNOWN_FIELD",
             ["series.members", "envelope.unknown-fields"], False, "dtype float64 added"),
            ("arrow-no-b64", "arrow series without b64", without(env, "b64"), "E_MISSING_FIELD",
             ["series.required"], False, "b64 removed"),
            ("json-no-data", "json series without data", without(jenv, "data"), "E_MISSING_FIELD",
             ["series.required"], False, "data removed"),
            ("arrow-no-name", "v1 arrow series without name", without(env, "name"), "E_MISSING_FIELD",
             ["series.required"], False, "name removed"),
            ("json-no-name", "v1 json series without name", without(jenv, "name"), "E_MISSING_FIELD",
             ["series.required"], False, "name removed"),
            ("v0-json-no-data", "v0 json series without data", without(jenv, "data", "codecVersion"),
             "E_MISSING_FIELD", ["series.required", "envelope.legacy-v0"], False, "codecVersion and data removed"),
            ("v0-arrow-no-b64", "v0 arrow series without b64 or name", without(env, "b64", "codecVersion", "name"),
             "E_MISSING_FIELD", ["series.required", "envelope.legacy-v0"], False, "codecVersion, b64 and name removed"),
            ("name-array", "series named [\"a\"]", with_(env, name=["a"]), "E_FIELD_TYPE", ["series.name"], False,
             'name -> ["a"]'),
            ("name-object", "series named {}", with_(jenv, name={}), "E_FIELD_TYPE", ["series.name"], False,
             "name -> {}"),
            ("name-tuple-as-array", "series named a MultiIndex-like tuple as an array", with_(jenv, name=["a", 1]),
             "E_FIELD_TYPE", ["series.name"], False, 'name -> ["a", 1] (a tuple name as json writes it)'),
            ("name-int-2-53", "series named 2^53", with_(env, name=2**53), "E_VALUE_DOMAIN", ["series.name"], True,
             "name -> 9007199254740992"),
            ("name-int-minus-2-53", "series named -2^53", with_(jenv, name=-2**53), "E_VALUE_DOMAIN", ["series.name"],
             True, "name -> -9007199254740992"),
            ("b64-number", "arrow series whose b64 is a number", with_(env, b64=1), "E_FIELD_TYPE",
             ["ndarray.arrow.base64", "series.arrow.base64"], False, "b64 -> 1"),
            ("b64-url-safe", "arrow series with URL-safe b64",
             with_(env, b64=env["b64"].replace("+", "-").replace("/", "_")), "E_BASE64",
             ["ndarray.arrow.base64", "series.arrow.base64"], False, "+ -> -, / -> _"),
            ("b64-space", "arrow series with a space in b64", with_(env, b64=env["b64"][:12] + " " + env["b64"][12:]),
             "E_BASE64", ["ndarray.arrow.base64", "series.arrow.base64"], False, "space inserted at 12")]:
        if e.get("b64") == env["b64"] and "b64" in name:
            continue
        S.invalid(f"series-invalid-{name}", desc, cl, J(e), code, src(JEX if "data" in e or "json" in name else EX, m),
                  schema_valid=sv)
    for name, text, desc in [
            ("name-1e400", '{"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": [1], "name": 1e400}',
             "series named 1e400"),
            ("name-int-2-64", '{"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": [1], '
             '"name": 18446744073709551616}', "series named 2^64")]:
        S.invalid(f"series-invalid-{name}", desc, ["series.name"], T(text), "E_VALUE_DOMAIN",
                  hand("a name no pandas Series gives: its number is not a finite float or safe integer"))


def _join(msgs_bytes) -> bytes:
    return b"".join(msgs_bytes)


def _pieces(data: bytes):
    ms = messages(data)
    return [data[m.pos:m.end] for m in ms]


def _pq(buf: bytes, pos: int, fmt: str, v) -> bytes:
    out = bytearray(buf)
    struct.pack_into(fmt, out, pos, v)
    assert bytes(out) != buf
    return bytes(out)


EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def stream_vectors(S: Suite):
    data = series_arrow_bytes(run(EX))
    p = _pieces(data)
    assert len(p) == 3 and p[2] == EOS
    fb = file_bytes(pa.Table.from_arrays([pa.Array.from_pandas(run(EX))], names=["value"]))
    bad_struct(S, "file-not-stream", "an Arrow IPC file where the stream belongs", fb, EX,
               "the same table written with pa.ipc.new_file")
    bad_struct(S, "truncated-half", "stream cut in half", data[:len(data) // 2], EX, "cut in half")
    bad_struct(S, "no-eos", "stream without its end-of-stream marker", data[:-8], EX, "EOS removed")
    bad_struct(S, "trailing-byte", "stream followed by one zero byte", data + b"\x00", EX, "00 appended")
    bad_struct(S, "trailing-stream", "stream followed by itself", data + data, EX, "stream repeated")
    bad_struct(S, "empty", "arrow series whose payload is empty", b"", EX, "payload emptied")
    bad_struct(S, "two-batches", "stream with the record batch twice", _join([p[0], p[1], p[1], EOS]), EX,
               "record batch repeated")
    bad_struct(S, "second-schema", "stream with the schema twice", _join([p[0], p[0], p[1], EOS]), EX,
               "schema repeated")
    e = 'pd.Series([1.5, None, -2.0, 4.0], name="price")'
    t = pa.Table.from_arrays([pa.Array.from_pandas(run(e))], names=["value"])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, t.schema) as w:
        w.write_table(t, max_chunksize=2)
    bad_struct(S, "chunked-two-batches", "pyarrow stream of the series in two record batches", sink.getvalue().to_pybytes(),
               f"{e}; write_table(..., max_chunksize=2)", None)
    c = series_arrow_bytes(run(CAT))
    cp = _pieces(c)
    assert [m.kind for m in messages(c)] == ["schema", "dictionary", "recordbatch", "eos"]
    bad_struct(S, "dictionary-after-batch", "categorical stream whose dictionary follows the batch",
               _join([cp[0], cp[2], cp[1], EOS]), CAT, "dictionary batch moved after the record batch", sname="c")
    bad_struct(S, "dictionary-twice", "categorical stream with its dictionary batch twice",
               _join([cp[0], cp[1], cp[1], cp[2], EOS]), CAT, "dictionary batch repeated", sname="c")
    bad_struct(S, "dictionary-missing", "categorical stream without its dictionary batch",
               _join([cp[0], cp[2], EOS]), CAT, "dictionary batch removed", sname="c")
    m = Msg(cp[1], 0)
    idp = m.header.field_pos(0)
    if idp is not None:
        bad_struct(S, "dictionary-id-undeclared", "categorical stream whose dictionary batch has id 3",
                   _join([cp[0], _pq(cp[1], idp, "<q", 3), cp[2], EOS]), CAT, "dictionary id 0 -> 3", sname="c")
    dexpr = ('pa.DictionaryArray.from_arrays(pa.array([0], pa.int8()), pa.array(["x"])) then ([1], ["x", "y"]), '
             'written by pa.ipc.new_stream with emit_dictionary_deltas=True')
    a1 = pa.DictionaryArray.from_arrays(pa.array([0], pa.int8()), pa.array(["x"]))
    a2 = pa.DictionaryArray.from_arrays(pa.array([1], pa.int8()), pa.array(["x", "y"]))
    t1 = pa.Table.from_arrays([a1], names=["value"])
    t2 = pa.Table.from_arrays([a2], names=["value"])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, t1.schema, options=pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True)) as w:
        w.write_table(t1)
        w.write_table(t2)
    delta = sink.getvalue().to_pybytes()
    dp = _pieces(delta)
    kinds = [mm.kind for mm in messages(delta)]
    assert kinds == ["schema", "dictionary", "recordbatch", "dictionary", "recordbatch", "eos"], kinds
    bad_struct(S, "delta-dictionary-pyarrow", "pyarrow stream with a delta dictionary batch", delta, dexpr, None,
               sname="c")
    bad_struct(S, "delta-dictionary-only", "stream whose only dictionary batch is a delta",
               _join([dp[0], dp[3], dp[4], EOS]), dexpr, "first dictionary batch and record batch removed",
               sname="c")
    for codec in ("lz4", "zstd"):
        t = pa.Table.from_arrays([pa.Array.from_pandas(run(EX))], names=["value"])
        bad_struct(S, f"compressed-{codec}", f"stream written with {codec} body compression",
                   stream_bytes(t, options=pa.ipc.IpcWriteOptions(compression=codec)), f"{EX}; compression={codec!r}",
                   None)
    m = Msg(p[1], 0)
    bad_struct(S, "body-length-huge", "series record batch whose bodyLength is 2^40",
               _join([p[0], _pq(p[1], m.body_len_pos, "<q", 2**40), EOS]), EX, "bodyLength -> 2^40",
               budget=HOSTILE_BUDGET, tags=["hostile"])
    # contents, item 4: pyarrow's own validation must reject them
    bufs = rb_buffers(p[1])
    for name, desc, new, mut in [
            ("buffer-outside-body", "record batch whose values buffer lies past the body",
             _pq(p[1], bufs[1][0], "<q", m.body_len + 64), "values buffer offset -> past the body"),
            ("values-short", "record batch whose values buffer is 8 bytes for 3 float64",
             _pq(p[1], bufs[1][1], "<q", 8), "values buffer length 24 -> 8")]:
        d = _join([p[0], new, EOS])
        try:
            r = pa.ipc.open_stream(pa.py_buffer(d))
            for b in r:
                b.validate(full=True)
            raise AssertionError(f"{name}: pyarrow accepts")
        except (pa.ArrowException, ValueError, OSError):
            pass
        S.invalid(f"series-invalid-{name}", desc, ST, J(s_env(d)), "E_ARROW_PAYLOAD", src(EX, mut), schema_valid=True)
    # item 4: variadicBufferCounts beside a float64 column, which has no view type; pyarrow reads past them.
    # An empty vector is no count at all: that stream is read like pyarrow's own.
    d = _join([p[0], with_variadic_counts(p[1], []), EOS])
    S.valid("series-arrow-variadic-counts-empty",
            "series record batch with an empty variadicBufferCounts vector beside its float64 column",
            ST, J(s_env(d)), canon_stream_series(d, "price"),
            src(EX, "record batch written again with an empty variadicBufferCounts vector (pyarrow reads it)"),
            tags=["accept"])
    for n in (0, 5):
        d = _join([p[0], with_variadic_counts(p[1], [n]), EOS])
        assert pa.ipc.open_stream(pa.py_buffer(d)).read_all().column(0).to_pylist() == [1.5, None, -2.0]
        S.invalid(f"series-invalid-variadic-count-{n}",
                  f"series record batch with variadicBufferCounts [{n}] beside its float64 column",
                  ST, J(s_env(d)), "E_ARROW_PAYLOAD",
                  src(EX, f"record batch written again with variadicBufferCounts [{n}] (pyarrow reads it)"),
                  schema_valid=True)
    # limits
    e = "pa.nulls(2**28 + 1)"
    d = stream_bytes(pa.Table.from_arrays([run(e)], names=["value"]))
    assert len(d) < 4096
    bad_payload(S, "limit-null-2-28-plus-1", "null series of 2^28+1 values: passes max_elements",
                ["series.arrow.limits", "limits.conformance-defaults"], d, "E_LIMIT_EXCEEDED",
                f'pa.Table.from_arrays([{e}], names=["value"])', budget=HOSTILE_BUDGET, tags=["hostile", "boundary"])
    # dictionary codes
    rb = cp[2]
    mr = Msg(rb, 0)
    codes = rb_buffers(rb)[1]
    assert rb[mr.body + codes[2]:mr.body + codes[2] + 3] == b"\x00\x01\x00"
    for name, v, desc in [("code-2", 2, "code 2 for two categories"), ("code-minus-1", 0xFF, "code -1")]:
        bad_payload(S, f"dictionary-{name}", f"categorical series with {desc}", ["series.arrow.values", "dataframe.arrow.dictionary"],
                    _join([cp[0], cp[1], _pq(rb, mr.body + codes[2] + 1, "<B", v), EOS]), "E_VALUE_DOMAIN", CAT,
                    f"second code 1 -> {v if v < 128 else v - 256}", sname="c")
    e = 'pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array([None, "b"]))'
    bad_payload(S, "dictionary-null-entry", "dictionary whose first entry is null",
                ["series.arrow.values", "dataframe.arrow.dictionary"],
                stream_bytes(pa.Table.from_arrays([run(e)], names=["value"])), "E_VALUE_DOMAIN",
                f'pa.Table.from_arrays([{e}], names=["value"])', sname="c")


TYPES = [
    ("decimal128", 'pd.Series([decimal.Decimal("1.5")])', "decimal objects: decimal128"),
    ("period", 'pd.Series(pd.period_range("2020-01", periods=2, freq="M"))', "pandas period: extension pandas.period"),
    ("interval", 'pd.Series(pd.arrays.IntervalArray.from_breaks([0, 1, 2]))', "pandas interval: extension"),
    ("list", "pd.Series([[1, 2], [3]])", "lists: list<int64>"),
    ("struct", 'pd.Series([{"a": 1}])', "dicts: struct"),
    ("time64", "pd.Series([datetime.time(1, 2)])", "datetime.time: time64"),
    ("dictionary-of-null", "pd.Series(pd.Categorical([None], categories=[]))", "categorical with no categories"),
]
PA_TYPES = [
    ("date64", 'pa.array([0], pa.date64())', "date64"),
    ("string-view", 'pa.array(["a"], pa.string_view())', "string_view"),
    ("fixed-size-binary", 'pa.array([b"ab"], pa.binary(2))', "fixed_size_binary(2)"),
    ("time32", 'pa.array([1], pa.time32("ms"))', "time32"),
    ("decimal256", 'pa.array([decimal.Decimal("1")], pa.decimal256(40, 0))', "decimal256"),
]


def schema_type_vectors(S: Suite):
    for name, expr, desc in [
            ("field-name-x", 'pa.Table.from_arrays([pa.Array.from_pandas(pd.Series([1.5]))], names=["x"])',
             "field named x, not value"),
            ("field-name-empty", 'pa.Table.from_arrays([pa.Array.from_pandas(pd.Series([1.5]))], names=[""])',
             "field with an empty name"),
            ("two-fields", 'pa.Table.from_arrays([pa.array([1.5]), pa.array([2.5])], names=["value", "value2"])',
             "two fields, value and value2"),
            ("no-fields", 'pa.table({})', "no field")]:
        t = run(expr)
        d = stream_bytes(t)
        bad_payload(S, f"schema-{name}", f"series stream with {desc}", ["series.arrow.schema"], d, "E_ARROW_SCHEMA", expr)
    e = 'pa.Table.from_pandas(pd.DataFrame({"value": [1.5, 2.5]}), preserve_index=True)'
    d = stream_bytes(run(e))
    bad_payload(S, "schema-dataframe-with-index", "a dataframe table with its index field as a series stream",
                ["series.arrow.schema"], d, "E_ARROW_SCHEMA", e)
    for name, expr, desc in TYPES:
        s = run(expr)
        d = series_arrow_bytes(s)
        try:
            canon_stream_series(d, None)
            raise AssertionError(name)
        except Unsupported:
            pass
        bad_payload(S, f"type-{name}", f"series of {desc}", ["series.arrow.type", "dataframe.column-types"], d,
                    "E_COLUMN_TYPE", expr, sname=None)
    for name, expr, desc in PA_TYPES:
        d = stream_bytes(pa.Table.from_arrays([run(expr)], names=["value"]))
        try:
            canon_stream_series(d, None)
            raise AssertionError(name)
        except Unsupported:
            pass
        bad_payload(S, f"type-{name}", f"series of {desc}", ["series.arrow.type", "dataframe.column-types"], d,
                    "E_COLUMN_TYPE", f'pa.Table.from_arrays([{expr}], names=["value"])', sname=None)


def json_vectors(S: Suite):
    env = series_json_env(run(JEX))

    def jbad(name, desc, data, code, clauses, sv, m=None, text=None):
        if text is not None:
            S.invalid(f"series-invalid-json-{name}", desc, clauses,
                      T('{"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": ' + text +
                        ', "name": "price"}'), code, hand("number spellings only text can carry"))
        else:
            S.invalid(f"series-invalid-json-{name}", desc, clauses, J(with_(env, data=data)), code,
                      src(JEX, m), schema_valid=sv)

    D, V = ["series.json.data"], ["series.json.values", "dataframe.json.types"]
    jbad("data-object", "json series whose data is an object", {"0": 1.5}, "E_FIELD_TYPE", D, False,
         'data -> {"0": 1.5} (to_dict)')
    jbad("data-string", "json series whose data is a string", "1.5", "E_FIELD_TYPE", D, False, 'data -> "1.5"')
    jbad("data-null", "json series whose data is null", None, "E_FIELD_TYPE", D, False, "data -> null")
    for name, cells, desc, sv in [("int-float", [1, 2.5], "1 and 2.5", True), ("int-string", [1, "1"], '1 and "1"', True),
                                  ("bool-int", [True, 0], "true and 0", True),
                                  ("nested-array", [[1.5], [2.0]], "array values", False),
                                  ("object-value", [{"a": 1}], "an object value", False)]:
        jbad(f"types-{name}", f"json series mixing {desc}", cells, "E_COLUMN_TYPE", V, sv, f"data -> {json.dumps(cells)}")
    jbad("types-int-float-text", "json series of 1 and 1.0", None, "E_COLUMN_TYPE", V, None, text="[1, 1.0]")
    VV = ["series.json.values", "dataframe.json.values"]
    jbad("values-int-2-53", "json series value 2^53", [2**53], "E_VALUE_DOMAIN", VV, True, "data -> [2^53]")
    jbad("values-1e400", "json series value 1e400", None, "E_VALUE_DOMAIN", VV, None, text="[1.5, 1e400]")
    jbad("values-minus-2-64", "json series value -2^64", None, "E_VALUE_DOMAIN", VV, None,
         text="[-18446744073709551616]")
    n = 2**25 + 1  # n x 8 = 2^28 + 8 bytes: one value past max_decoded_bytes
    S.invalid("series-invalid-json-limit-decoded-bytes", "json series of 2^25+1 zeros: 8 bytes each passes "
              "max_decoded_bytes, counted before any value is stored",
              ["series.json.data", "dataframe.json.limits", "limits.decoded-bytes", "limits.conformance-defaults",
               "vector.input"],
              {"concat": [{"text": '{"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": [0'},
                          {"text": ",0", "repeat": n - 1}, {"text": '], "name": "z"}'}]},
              "E_LIMIT_EXCEEDED", hand("hostile: 64 MiB of zeros for one series; the values are counted before "
                                       "any is stored"),
              budget={"wall_ms": 20000, "rss_mb": 1024}, tags=["hostile", "boundary"])


def frame_invalid_vectors(S: Suite, made):
    from .series import s_frame
    expr, data, name = made["example-float64"]
    F = s_frame(data, name)
    header, bufs = frame_split(F)
    fb = file_bytes(pa.Table.from_arrays([pa.Array.from_pandas(run(EX))], names=["value"]))

    def fbad(n, desc, clauses, frame, code, m):
        S.invalid(f"series-frame-invalid-{n}", desc, clauses, B(frame), code, src(EX, m))

    fbad("file-buffer", "series frame whose buffer is an Arrow file", ST + ["frame.envelope"],
         write_frame(without(header, "buffers"), [fb]), "E_ARROW_PAYLOAD", "buffer -> the IPC file of the table")
    fbad("no-name", "series frame whose header has no name", ["series.required", "frame.envelope"],
         rebuild(without(header, "name"), bufs), "E_MISSING_FIELD", "name removed")
    fbad("name-array", "series frame named [\"price\"]", ["series.name", "frame.envelope"],
         rebuild(with_(header, name=["price"]), bufs), "E_FIELD_TYPE", 'name -> ["price"]')
    fbad("encoding-arrow", "series frame whose header says arrow", ["series.encodings", "frame.envelope"],
         rebuild(with_(header, encoding="arrow"), bufs), "E_ENCODING_UNSUPPORTED", "encoding frame -> arrow")
    fbad("data-2", "series frame whose data refers to buffer 2 of one", ["frame.references"],
         rebuild(with_(header, data=2), bufs), "E_FRAME_LAYOUT", "data 0 -> 2")
    fbad("data-null", "series frame whose data is null", ["frame.references"],
         rebuild(with_(header, data=None), bufs), "E_FIELD_TYPE", "data 0 -> null")
    e = 'pd.Series(pd.period_range("2020-01", periods=2, freq="M"))'
    S.invalid("series-frame-invalid-type-period", "series frame of a period series",
              ["series.arrow.type", "frame.envelope"], B(s_frame(series_arrow_bytes(run(e)), None)), "E_COLUMN_TYPE",
              src(e))
