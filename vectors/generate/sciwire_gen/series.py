"""The `series` envelope: valid, equivalence, encode and frame vectors, and build(S) (invalid
vectors: series_invalid.py).

Valid vectors are real pandas 3 Series written by tywrap's producer as re-implemented in
dataframe_producer.py (arrow: `pa.Array.from_pandas(s)` as the one column `value` of an IPC
stream; json: `s.to_list()`; both with `name`). The expected value is what pyarrow's stream
reader reads back (dataframe_producer.canon_stream_series), never hand-typed.
"""

from __future__ import annotations

import base64
import json
import struct

import pyarrow as pa

from .common import J, Suite, T, b64, hand, uniq, with_, without
from .dataframe_producer import LIBRARIES  # noqa: F401 - this envelope's LIBRARIES, read by common
from .dataframe_producer import (Refused, canon_json_series, canon_stream_series, encode_series_arrow,
                                 encode_series_json, run, series_arrow_bytes, series_json_env, src,
                                 stream_bytes)
from .frame import read_frame, write_frame
from .table_arrow import file_fault

MARKER = "series"
ID_PREFIX = "series-"
REQUIRES = ("numpy", "pandas", "pyarrow")


def build(S: Suite):
    valid_vectors(S)
    json_vectors(S)
    groups(S)
    from .series_invalid import invalid_vectors
    invalid_vectors(S)
    encode_vectors(S)
    frame_vectors(S)


def s_env(data: bytes, name, with_name=True) -> dict:
    env = {"__tywrap__": "series", "codecVersion": 1, "encoding": "arrow", "b64": b64(data)}
    if with_name:
        env["name"] = name
    return env


def s_frame(data: bytes, name) -> bytes:
    return write_frame({"__tywrap__": "series", "codecVersion": 1, "encoding": "frame", "data": 0, "name": name},
                       [data])


def sanity_decode(vid, inp, value):
    if "base64" in inp:
        raw = base64.b64decode(inp["base64"])
        header, d, spans = read_frame(raw)
        assert header["encoding"] == "frame" and header["data"] == 0 and len(spans) == 1
        data = raw[d + spans[0][0]:d + spans[0][0] + spans[0][1]]
        assert file_fault(data, stream=True) is None, vid
        got = canon_stream_series(data, header["name"])
    else:
        env = inp["json"] if "json" in inp else json.loads(inp["text"])
        if env["encoding"] == "arrow":
            data = base64.b64decode(env["b64"], validate=True)
            assert file_fault(data, stream=True) is None, f"{vid}: {file_fault(data, stream=True)}"
            got = canon_stream_series(data, env.get("name"))
        else:
            got = canon_json_series(env["data"], env.get("name"))
    assert got == value, f"{vid}: decodes to {str(got)[:300]}, expected {str(value)[:300]}"


CANON = ["canonical.series", "canonical.column"]
ARROW = ["series.arrow.stream", "series.arrow.schema", "series.arrow.type", "series.arrow.values",
         "series.name", "series.encode.members", "dataframe.column-types"] + CANON
ARROW_ALL = ["series.encodings", "series.members", "series.required", "series.arrow.base64", "series.arrow.limits",
             "dataframe.arrow.values"]
JSONC = ["series.json.data", "series.json.values", "series.name", "series.encode.members",
         "dataframe.json.types"] + CANON
DICT = ["dataframe.arrow.dictionary"]

SERIES = [
    ("example-float64", 'pd.Series([1.5, None, -2.0], name="price")', "float64 named price, None as null",
     ARROW_ALL),
    ("int64", 'pd.Series([1, -2, 2**63 - 1], name="x")', "int64 with int64 max", []),
    ("int8", 'pd.Series(np.array([-128, 0, 127], dtype=np.int8), name="i8")', "int8 extremes", []),
    ("uint64", 'pd.Series(np.array([0, 2**64 - 1], dtype=np.uint64), name="u")', "uint64 max", []),
    ("float32", 'pd.Series(np.array([0.5, -0.0, np.inf], dtype=np.float32), name="f")', "float32 -0.0 and inf", []),
    ("float16", 'pd.Series(np.array([1.0, -2.5], dtype=np.float16), name="h")', "float16", []),
    ("bool", 'pd.Series([True, False], name="flag")', "bool", []),
    ("string-pandas3", 'pd.Series(["a", None, "\\u00e9"], name="s")', "pandas 3 str with a missing value: large_string", []),
    ("string-object", 'pd.Series(["a", None], dtype=object, name="s")', "object str with None: string", []),
    ("binary", 'pd.Series([b"\\x00\\x01", None], name="b")', "bytes: binary", []),
    ("date32", 'pd.Series([datetime.date(2000, 1, 1), None], name="d")', "dates: date32", []),
    ("timestamp-ns", 'pd.Series(pd.to_datetime(["2020-01-01", None]).as_unit("ns"), name="t")',
     "datetime64[ns] with NaT", []),
    ("timestamp-tz", 'pd.Series(pd.date_range("2020-01-01", periods=2, freq="D", tz="America/New_York"), name="t")',
     "tz-aware America/New_York", []),
    ("duration-ms", 'pd.Series(pd.to_timedelta([1500, None], unit="ms").as_unit("ms"), name="d")',
     "timedelta64[ms] with NaT", []),
    ("null", 'pd.Series([None, None], dtype=object, name="n")', "all-None object: null", []),
    ("categorical", 'pd.Series(pd.Categorical(["a", None, "b"], categories=["b", "a", "z"]), name="c")',
     "categorical with an unused category and a null code", DICT),
    ("categorical-empty", 'pd.Series(pd.Categorical([], categories=["x", "y"]), name="c")',
     "empty categorical: pyarrow writes neither a dictionary batch nor a record batch, the dictionary is empty",
     DICT + ["series.arrow.stream"]),
    ("categorical-ordered", 'pd.Series(pd.Categorical([3, 1], categories=[1, 2, 3], ordered=True), name="c")',
     "ordered categorical of ints", DICT),
    ("int64-nullable", 'pd.Series(pd.array([1, None], dtype="Int64"), name="i")', "Int64 with NA", []),
    ("boolean-nullable", 'pd.Series(pd.array([None, False], dtype="boolean"), name="b")', "boolean with NA", []),
    ("string-nullable", 'pd.Series(pd.array(["x", None], dtype="string"), name="s")', "string dtype with NA", []),
    ("float64-nullable", 'pd.Series(pd.array([0.25, None], dtype="Float64"), name="f")', "Float64 with NA", []),
    ("empty-float64", 'pd.Series([], dtype="float64", name="e")', "empty float64: no record batch", []),
    ("empty-object", 'pd.Series([], dtype=object, name="e")', "empty object: null type, no record batch", []),
    ("indexed", 'pd.Series([1, 2], index=["p", "q"], name="x")', "a Series with a string index: dropped", []),
    ("name-none", "pd.Series([1, 2])", "int64 without a name: null", []),
    ("name-int", "pd.Series([1, 2], name=5)", "int64 named 5", []),
    ("name-float", "pd.Series([1, 2], name=2.5)", "int64 named 2.5", []),
    ("name-float-integral", "pd.Series([1, 2], name=5.0)", "int64 named 5.0, a float name", []),
    ("name-true", "pd.Series([1, 2], name=True)", "int64 named true", []),
    ("name-empty", 'pd.Series([1, 2], name="")', "int64 named the empty string", []),
    ("name-unicode", 'pd.Series([1, 2], name="\\u00e9\\U0001f600")', "int64 with a non-ASCII name", []),
]

TABLES = [
    ("float64-nan", 'pa.array(np.array([np.nan, -np.nan, -0.0]), from_pandas=False)', "x",
     "float64 NaN, negative NaN and -0.0 from a pyarrow array", []),
    ("large-binary", 'pa.array([b"\\xff", None], pa.large_binary())', "b", "large_binary", []),
    ("dictionary-uint8", 'pa.DictionaryArray.from_arrays(pa.array([1, 1, None], pa.uint8()), pa.array(["p", "q"]))',
     "c", "dictionary with uint8 indices", DICT),
]

MADE = {}  # suffix -> (expr, bytes, name)


def add_arrow(S, suffix, expr, desc, clauses, data, name, legacy=False, no_name=False, tags=None):
    value = canon_stream_series(data, None if no_name else name)
    assert file_fault(data, stream=True) is None, suffix
    assert canon_stream_series(encode_series_arrow(value), None if no_name else name) == value, suffix
    env = s_env(data, name, with_name=not no_name)
    vid = f"series-arrow-{suffix}"
    if legacy:
        env = without(env, "codecVersion")
        vid = f"series-v0-arrow-{suffix}"
        clauses = ["envelope.legacy-v0", "series.required"] + list(clauses)
    S.valid(vid, f"arrow {'v0 ' if legacy else ''}{desc}", uniq(ARROW + list(clauses)), J(env), value, src(expr), tags)
    return vid


def valid_vectors(S: Suite):
    for suffix, expr, desc, extra in SERIES:
        s = run(expr)
        data = series_arrow_bytes(s)
        add_arrow(S, suffix, expr, desc, extra, data, s.name,
                  tags=["boundary"] if suffix.startswith("empty") else None)
        MADE[suffix] = (expr, data, s.name)
    for suffix, expr, name, desc, extra in TABLES:
        data = stream_bytes(pa.Table.from_arrays([run(expr)], names=["value"]))
        full = f'pa.Table.from_arrays([{expr}], names=["value"]), name {name!r}'
        add_arrow(S, suffix, full, desc, extra, data, name)
        MADE[suffix] = (full, data, name)
    expr, data, name = MADE["example-float64"]
    add_arrow(S, "example-float64", expr, "float64 named price", [], data, name, legacy=True)
    expr, data, name = MADE["name-int"]
    add_arrow(S, "no-name", expr, "int64 without the name member: name null", [], data, name, legacy=True,
              no_name=True)
    expr, data, name = MADE["name-none"]
    add_arrow(S, "name-none", expr, "int64 whose name is null", [], data, name, legacy=True)


JSON_SERIES = [
    ("example-float64", 'pd.Series(pd.array([1.5, None, -2.0], dtype="Float64"), name="price")',
     "Float64 named price with a missing value"),
    ("int64", 'pd.Series([1, -2, 2**53 - 1], name="x")', "int64 up to 2^53-1"),
    ("bool", 'pd.Series([True, False], name="flag")', "bool"),
    ("float64", 'pd.Series([1.0, -0.0, 0.1], name="f")', "float64 1.0 stays a float"),
    ("string", 'pd.Series(["a", "\\u00e9"], name="s")', "strings"),
    ("string-object", 'pd.Series(["a", None], dtype=object, name="s")', "object str with None"),
    ("null", 'pd.Series([None, None], dtype=object, name="n")', "all-None"),
    ("int64-nullable", 'pd.Series(pd.array([1, None], dtype="Int64"), name="i")', "Int64 with NA"),
    ("boolean-nullable", 'pd.Series(pd.array([None, False], dtype="boolean"), name="b")', "boolean with NA"),
    ("empty-object", 'pd.Series([], dtype=object, name="e")', "empty: type null"),
    ("string-nullable", 'pd.Series(pd.array(["x", None], dtype="string"), name="s")', "string dtype with NA"),
    ("name-none", "pd.Series([1, 2])", "int64 without a name"),
    ("name-int", "pd.Series([1, 2], name=5)", "int64 named 5"),
    ("name-float", "pd.Series([1, 2], name=2.5)", "int64 named 2.5"),
    ("name-float-integral", "pd.Series([1, 2], name=5.0)", "int64 named 5.0"),
    ("name-true", "pd.Series([1, 2], name=True)", "int64 named true"),
    ("indexed", 'pd.Series([1, 2], index=["p", "q"], name="x")', "a Series with a string index: dropped"),
]

JSON_TEXT = [
    ("name-float-token", '{"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": [1], "name": 5.0}',
     "name 5.0 is a float name, not the int 5"),
    ("name-exponent", '{"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": [1], "name": 1e2}',
     "name 1e2 is the float 100.0"),
    ("data-float-tokens", '{"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": [1.0, 2E0, -0.0], '
     '"name": null}', "values 1.0, 2E0 and -0.0: float64"),
    ("data-minus-zero-int", '{"__tywrap__": "series", "codecVersion": 1, "encoding": "json", "data": [-0, 3], '
     '"name": "z"}', "values -0 and 3: int64 0 and 3"),
    ("v0-no-name", '{"__tywrap__": "series", "encoding": "json", "data": [true]}', "v0 without name: name null"),
]


def json_vectors(S: Suite):
    for suffix, expr, desc in JSON_SERIES:
        s = run(expr)
        env = series_json_env(s)
        value = canon_json_series(env["data"], env["name"])
        assert encode_series_json(value) == env["data"], suffix
        S.valid(f"series-json-{suffix}", f"json {desc}", uniq(JSONC + (
            ["series.encodings", "series.members", "series.required"] if suffix.startswith("example") else [])),
            J(env), value, src(expr))
    s = run(JSON_SERIES[0][1])
    env = without(series_json_env(s), "codecVersion")
    S.valid("series-v0-json-example-float64", "json v0 Float64 named price", ["envelope.legacy-v0", "series.required"]
            + JSONC, J(env), canon_json_series(env["data"], env["name"]), src(JSON_SERIES[0][1]))
    for suffix, text, desc in JSON_TEXT:
        env = json.loads(text)
        value = canon_json_series(env["data"], env.get("name"))
        S.valid(f"series-json-{suffix}", f"json {desc}", uniq(JSONC + (["envelope.legacy-v0", "series.required"]
                                                                      if "v0" in suffix else [])),
                T(text), value, hand("number spellings only text can carry"))


GROUPS = [("example-float64", "float64-nullable"), ("int64", None), ("bool", None), ("string-object", None),
          ("null", None), ("int64-nullable", None), ("boolean-nullable", None), ("empty-object", None),
          ("name-none", None), ("name-int", None), ("name-float", None), ("name-float-integral", None),
          ("name-true", None), ("indexed", None)]


def groups(S: Suite):
    exprs = dict((t[0], t[1]) for t in JSON_SERIES)
    for suffix, _ in GROUPS:
        expr = exprs[suffix]
        s = run(expr)
        data = series_arrow_bytes(s)
        aid = f"series-eq-arrow-{suffix}"
        value = canon_stream_series(data, s.name)
        S.valid(aid, f"arrow of the json group {suffix}", ARROW, J(s_env(data, s.name)), value, src(expr))
        fid = f"series-frame-eq-{suffix}"
        S.valid(fid, f"frame of the json group {suffix}", FRAME_S, {"base64": _b64(s_frame(data, s.name))}, value,
                src(expr))
        members = [aid, f"series-json-{suffix}", fid]
        if suffix == "example-float64":
            members.append("series-v0-json-example-float64")
        S.group(f"eq-series-{suffix}", f"series {suffix}: arrow, json and frame", members)
    S.group("eq-series-v0-arrow-example", "float64 named price: arrow v1 and v0",
            ["series-arrow-example-float64", "series-v0-arrow-example-float64"])
    S.group("eq-series-v0-no-name", "name null: v1 name null, v0 name null and v0 without name",
            ["series-arrow-name-none", "series-v0-arrow-name-none", "series-v0-arrow-no-name"])
    S.group("eq-series-string-nullable", "a string dtype series with NA: arrow large_string and json",
            ["series-arrow-string-nullable", "series-json-string-nullable"])


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


FRAME_S = ["frame.detect", "frame.envelope", "frame.codec-version", "frame.buffers", "frame.references",
           "series.encodings", "series.arrow.stream", "series.arrow.values"] + CANON


ENC_ARROW = ["series.encode.members", "series.arrow.stream"] + CANON
ENC_JSON = ["series.encode.members", "series.encode.refuse", "series.json.values"] + CANON


def encode_vectors(S: Suite):
    for vid, (kind, vec) in list(S.vectors.items()):
        if kind != "valid" or not vid.startswith(("series-arrow-", "series-json-")):
            continue
        value = vec["expect"]["value"]
        name = vid[len("series-"):]
        S.encode(f"series-encode-arrow-{name}", f"arrow encoder round-trips {vec['description'][:90]}",
                 ENC_ARROW, value, "arrow", {"roundtrip": True}, vec["source"])
        try:
            data = encode_series_json(value)
        except Refused:
            continue
        assert canon_json_series(json.loads(json.dumps(data)), name_value_py(value["name"])) == value, vid
        S.encode(f"series-encode-json-{name}", f"json encoder round-trips {vec['description'][:90]}",
                 ENC_JSON, value, "json", {"roundtrip": True}, vec["source"])
    for suffix in ("example-float64", "categorical", "empty-float64", "name-float", "float64-nan"):
        _, vec = S.vectors[f"series-arrow-{suffix}"]
        S.encode(f"series-encode-frame-{suffix}", f"frame encoder round-trips {vec['description'][6:]}",
                 ["frame.encode"] + ENC_ARROW, vec["expect"]["value"], "frame", {"roundtrip": True}, vec["source"])
    # a dictionary series with no values and a dictionary: the encoder writes both batches
    e = 'pd.Series(pd.Categorical([], categories=["x", "y"]), name="c")'
    _, vec = S.vectors["series-arrow-categorical-empty"]
    v = with_(vec["expect"]["value"], dictionary=["x", "y"])
    data = encode_series_arrow(v)
    assert file_fault(data, stream=True) is None and canon_stream_series(data, "c") == v
    for enc in ("arrow", "frame"):
        S.encode(f"series-encode-{enc}-categorical-empty-with-dictionary",
                 f"{enc} encoder round-trips an empty categorical whose dictionary is x, y",
                 (["frame.encode"] if enc == "frame" else []) + ENC_ARROW + ["dataframe.arrow.dictionary"], v, enc,
                 {"roundtrip": True}, src(e, "dictionary [] -> the categories [x, y] (pyarrow writes no dictionary "
                                            "batch for no values)"))
    refusals(S)


def name_value_py(node):
    (k, v), = node.items()
    return struct.unpack(">d", bytes.fromhex(v))[0] if k == "float" else v


def _sval(expr):
    s = run(expr)
    return canon_stream_series(series_arrow_bytes(s), s.name)


def refusals(S: Suite):
    def refuse(name, desc, value, enc, code, clauses, expr, mutation=None):
        fn = encode_series_json if enc == "json" else encode_series_arrow
        try:
            fn(value)
            raise AssertionError(f"{name}: accepted")
        except Refused as e:
            assert e.code == code, (name, e.code, code)
        except ValueError:
            assert code == "E_VALUE_DOMAIN", name
        S.encode(f"series-encode-refuse-{name}", f"{enc} encoder refuses {desc}",
                 list(clauses) + (["frame.encode"] if enc == "frame" else []) + ["canonical.series"], value, enc,
                 {"error": code}, src(expr, mutation))

    DR = ["dataframe.encode.refuse", "series.encode.refuse"]
    for name, expr in [("uint8", 'pd.Series(np.array([1], dtype=np.uint8))'),
                       ("float32", 'pd.Series(np.array([0.5], dtype=np.float32))'),
                       ("categorical", 'pd.Series(pd.Categorical(["a"]))'),
                       ("timestamp", 'pd.Series(pd.to_datetime(["2020-01-01"]))'),
                       ("binary", 'pd.Series([b"x"])')]:
        refuse(f"json-{name}", f"a {name} series", _sval(expr), "json", "E_COLUMN_TYPE", DR, expr)
    e = "pd.Series([1.5, 2.5])"
    v = _sval(e)
    for nm, bits in [("nan", "7ff8000000000000"), ("inf", "7ff0000000000000")]:
        refuse(f"json-{nm}", f"a float64 series holding {nm}", with_(v, values=["3ff8000000000000", bits]), "json", "E_VALUE_DOMAIN",
               DR, e, f"values[1] -> {bits}")
    e = "pd.Series([2**53])"
    refuse("json-int-2-53", "an int64 series holding 2^53", _sval(e), "json", "E_VALUE_DOMAIN", DR, e)
    e = 'pd.Series(pd.array([None, None], dtype="string"))'
    refuse("json-string-all-null", "a string series whose every value is null", _sval(e), "json", "E_COLUMN_TYPE",
           DR, e)
    for nm, e in [("int64", 'pd.Series(pd.array([None, None], dtype="Int64"))'),
                  ("float64", 'pd.Series(pd.array([None, None], dtype="Float64"))'),
                  ("bool", 'pd.Series(pd.array([None, None], dtype="boolean"))'),
                  ("float64-nan", 'pd.Series([float("nan"), float("nan")])')]:
        v = _sval(e)
        assert all(x is None for x in v["values"]) and v["type"]["id"] != "null", (nm, v)
        refuse(f"json-{nm}-all-null", f"a {nm} series whose every value is null", v, "json", "E_COLUMN_TYPE", DR, e)
    for nm, e in [("float64", 'pd.Series([], dtype="float64")'), ("string", 'pd.Series([], dtype="str")'),
                  ("int64", 'pd.Series([], dtype="int64")')]:
        refuse(f"json-empty-{nm}", f"an empty {nm} series", _sval(e), "json", "E_ENCODING_UNSUPPORTED",
               ["series.encode.refuse"], e)
    e = "pd.Series([1, 2], name=5)"
    v = _sval(e)
    for enc in ("arrow", "json", "frame"):
        for nm, node, code, m in [
                ("name-nan", {"float": "7ff8000000000000"}, "E_VALUE_DOMAIN", "name -> float NaN"),
                ("name-inf", {"float": "fff0000000000000"}, "E_VALUE_DOMAIN", "name -> float -inf"),
                ("name-int-2-53", {"int": 2**53}, "E_VALUE_DOMAIN", "name -> int 2^53"),
                ]:
            if enc == "frame" and nm in ("name-inf",):
                continue
            refuse(f"{enc}-{nm}", f"a series {nm.replace('-', ' ')}", with_(v, name=node), enc if enc != "frame"
                   else "arrow", code, ["series.name", "series.encode.refuse"], e, m) if enc != "frame" else \
                _frame_refuse(S, nm, with_(v, name=node), code, e, m)
    e = "pd.Series([1.5, 2.5])"
    v = _sval(e)
    e = 'pd.Series(np.array([1, 2], dtype=np.int8))'
    v = _sval(e)
    refuse("arrow-int8-leaf-128", "an int8 leaf 128", with_(v, values=["1", "128"]), "arrow", "E_VALUE_DOMAIN",
           ["dataframe.encode.refuse", "series.encode.refuse", "canonical.column"], e, 'values[1] "2" -> "128"')
    e = 'pd.Series(pd.Categorical(["a", "b"]))'
    v = _sval(e)
    refuse("arrow-dictionary-code-2", "dictionary code 2 of two entries", with_(v, values=["0", "2"]), "arrow",
           "E_VALUE_DOMAIN", ["dataframe.encode.refuse", "series.encode.refuse", "series.arrow.values"], e,
           'values[1] "1" -> "2"')


def _frame_refuse(S, nm, value, code, expr, m):
    try:
        encode_series_arrow(value)
        raise AssertionError(nm)
    except Refused as e:
        assert e.code == code
    S.encode(f"series-encode-refuse-frame-{nm}", f"frame encoder refuses a series {nm.replace('-', ' ')}",
             ["series.name", "series.encode.refuse", "frame.encode", "canonical.series"], value, "frame",
             {"error": code}, src(expr, m))


def frame_vectors(S: Suite):
    for suffix in ("example-float64", "categorical", "empty-float64", "name-float", "name-true", "float64-nan",
                   "timestamp-tz", "string-pandas3", "categorical-empty"):
        expr, data, name = MADE[suffix]
        _, vec = S.vectors[f"series-arrow-{suffix}"]
        fid = f"series-frame-{suffix}"
        S.valid(fid, f"frame {vec['description'][6:]}", FRAME_S + (
            ["frame.signature", "frame.version", "frame.header-length", "frame.header", "frame.padding",
             "frame.encode", "series.members", "series.required", "series.name"] if suffix == "example-float64"
            else []), {"base64": _b64(s_frame(data, name))}, vec["expect"]["value"], src(expr))
        S.group(f"eq-series-frame-{suffix}", f"series {suffix}: arrow and frame", [f"series-arrow-{suffix}", fid])
    from .series_invalid import frame_invalid_vectors
    frame_invalid_vectors(S, MADE)

