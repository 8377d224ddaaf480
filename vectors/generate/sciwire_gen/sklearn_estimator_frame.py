"""Frame vectors of the `sklearn.estimator` envelope ([frame.*] with [sklearn.*]): an estimator's
frame is its envelope as the header, `encoding` kept "json", `buffers` [] and no buffer
([frame.envelope]); the members of every object in `params` sorted by code points ([frame.encode],
[canonical.typed-json]). Valid frames of real estimators, groups with their json vectors, `frame`
encode vectors (with `expect.bytes` only when no float is in `params`: a float's spelling is
free), and invalid frames, each one mutation of a real frame.
"""

from __future__ import annotations

import base64
import math
import struct

from .common import B, J, MAX_SAFE, Suite, uniq, with_, without
from .frame import all_referred, assemble, header_text, read_frame, rebuild, split, write_frame
from .ndarray_frame import FRAME_BASE, READER, checked
from .sklearn_estimator_producer import Refused, canon_env, estimator_env, src, typed

MARKER_NAME = "sklearn.estimator"


def sorted_params(v):
    """A plain JSON value with the members of every object sorted by code points."""
    if isinstance(v, dict):
        return {k: sorted_params(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [sorted_params(x) for x in v]
    return v


def has_float(v) -> bool:
    if isinstance(v, float):
        return True
    if isinstance(v, dict):
        return any(has_float(x) for x in v.values())
    if isinstance(v, list):
        return any(has_float(x) for x in v)
    return False


def estimator_header(env: dict) -> dict:
    h = {k: env[k] for k in ("__tywrap__", "codecVersion", "encoding", "className", "module", "version")}
    h["params"] = sorted_params(env["params"])
    return h


def estimator_frame(est, version=None) -> bytes:
    env = estimator_env(est) if version is None else estimator_env(est, version=version[0])
    return write_frame(estimator_header(env), [])


def untyped(node):
    """The plain JSON value of a typed tree ([canonical.typed-json]); refuses what an encoder
    refuses (NaN and infinities, integers beyond +-(2^53-1))."""
    (kind, v), = node.items()
    if kind in ("null", "bool", "string"):
        return v
    if kind == "int":
        if abs(v) > MAX_SAFE:
            raise Refused("E_VALUE_DOMAIN", "int beyond 2^53-1")
        return v
    if kind == "float":
        f = struct.unpack(">d", bytes.fromhex(v))[0]
        if not math.isfinite(f):
            raise Refused("E_VALUE_DOMAIN", "NaN or infinity")
        return f
    if kind == "array":
        return [untyped(x) for x in v]
    names = [k for k, _ in v]
    if len(set(names)) != len(names):
        raise Refused("E_JSON_DUPLICATE_KEY", "two members with one name")
    return {k: untyped(x) for k, x in v}


def frame_of_value(value: dict) -> bytes:
    h = {"__tywrap__": MARKER_NAME, "codecVersion": 1, "encoding": "json", "className": value["className"],
         "module": value["module"], "version": value["version"], "params": sorted_params(untyped(value["params"]))}
    return write_frame(h, [])


def sanity_decode_frame(vid, inp, value):
    data = base64.b64decode(inp["base64"], validate=True)
    header, d, spans = read_frame(data)
    assert spans == [] and len(data) == d, vid
    all_referred(set(), 0)
    assert header["__tywrap__"] == MARKER_NAME and header["encoding"] == "json" and header["codecVersion"] == 1
    got = {"kind": "estimator", "className": header["className"], "module": header["module"],
           "version": header["version"], "params": typed(header["params"])}
    assert got == value, f"{vid}: {got} != {value}"


SK_BASE = ["sklearn.encodings", "sklearn.required", "sklearn.class-name", "sklearn.module", "sklearn.version",
           "sklearn.params", "sklearn.params.numbers", "sklearn.params.value", "canonical.estimator",
           "canonical.typed-json"]
ENC = ["frame.encode", "frame.buffers", "frame.padding", "sklearn.encode.members", "canonical.estimator",
       "canonical.typed-json"]

CONTROLS = ("SciwireDemoEstimator(alpha=2, n_iter=0, label='\\x00\\x01\\x08\\t\\n\\x0b\\x0c\\r\\x1f\"\\\\/ "
            "\\u00e9 \\u2028 \\U0001f600', weights=(1, 2), options={'\\uff01': 1, '\\U0001f600': 2, 'Z': [True, "
            "None], 'a': {'z': '', 'y\\n': 'x'}, '\\u00e9': 'caf\\u00e9'})")


def frame_vectors(S: Suite, run):
    made = []

    def add(vid, desc, expr, clauses=(), version=None, json_id=None):
        est = run(expr)
        env = estimator_env(est) if version is None else estimator_env(est, version=version[0])
        data = estimator_frame(est, version)
        value = canon_env(env)
        assert frame_of_value(value) == data, vid
        S.valid(vid, desc, uniq(["frame.encode"] + FRAME_BASE + list(clauses) + SK_BASE), B(data), value,
                src(expr) if version is None else src(expr, "version written null"))
        made.append((vid, value, has_float(env["params"])))
        if json_id:
            S.group(f"eq-{vid}", f"{desc[6:]}: frame and json", [vid, json_id])
        return vid

    from .sklearn_estimator import LOGREG
    from .ndarray_frame import FRAME_ALL
    add("sklearn-frame-logistic-regression", "frame LogisticRegression(C=0.5, max_iter=200), floats in params",
        LOGREG, FRAME_ALL, json_id="sklearn-logistic-regression")
    add("sklearn-frame-standard-scaler", "frame StandardScaler(): booleans only, exact bytes", "StandardScaler()",
        json_id="sklearn-standard-scaler")
    add("sklearn-frame-min-max-scaler", "frame MinMaxScaler(feature_range=(0, 1)): integers and booleans",
        "MinMaxScaler(feature_range=(0, 1))", json_id="sklearn-min-max-scaler")
    add("sklearn-frame-kmeans", "frame KMeans(n_clusters=3, random_state=0)", "KMeans(n_clusters=3, random_state=0)",
        json_id="sklearn-kmeans")
    add("sklearn-frame-version-null", "frame LinearRegression() from a producer that could not tell the version",
        "LinearRegression()", version=(None,), json_id="sklearn-version-null")
    from .sklearn_estimator import ESTIMATORS
    nested_expr = next(e for s, e, _, _ in ESTIMATORS if s == "user-estimator-nested")
    add("sklearn-frame-user-estimator-nested", "frame user estimator with nested params and sorted members",
        nested_expr, ["canonical.typed-json"], json_id="sklearn-user-estimator-nested")
    from .sklearn_estimator import add_valid
    add_valid(S, "sklearn-user-estimator-escapes",
              "user estimator whose strings hold control characters, quotes, U+2028 and non-BMP keys", CONTROLS)
    vid = add("sklearn-frame-user-estimator-escapes",
              "frame user estimator whose strings hold control characters, quotes, U+2028 and non-BMP keys",
              CONTROLS, ["json.syntax"], json_id="sklearn-user-estimator-escapes")
    header = split(S_bytes(S, vid))[0]
    assert list(header["params"]["options"]) == ["Z", "a", "\u00e9", "\uff01", "\U0001f600"]
    text = header_text(header)
    assert b'\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\\"\\\\/ \xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80' in text

    for vid, value, floats in made:
        _, vec = S.vectors[vid]
        expect = {"roundtrip": True} if floats else {"roundtrip": True, "bytes": vec["input"]["base64"]}
        S.encode(vid.replace("sklearn-frame-", "sklearn-frame-encode-"),
                 f"frame encoder {'round trip' if floats else 'writes exactly'}: {vec['description'][6:]}",
                 ENC + (["sklearn.params.numbers"] if floats else []), value, "frame", expect, vec["source"])
    nan_expr = "LogisticRegression(C=float('nan'))"
    from .sklearn_estimator_producer import canon
    S.encode("sklearn-frame-encode-refuse-float-nan", "frame encoder refuses a float param NaN: the header is JSON",
             ["sklearn.encode.refuse", "sklearn.params.numbers", "frame.encode", "canonical.typed-json"],
             canon(run(nan_expr)), "frame", {"error": "E_VALUE_DOMAIN"}, src(nan_expr))

    invalid_vectors(S, run)


def S_bytes(S, vid) -> bytes:
    return base64.b64decode(S.vectors[vid][1]["input"]["base64"])


def invalid_vectors(S: Suite, run):
    expr = "StandardScaler()"
    F = estimator_frame(run(expr))
    header, bufs = split(F)
    assert bufs == [] and header["buffers"] == []
    text = header_text(header)
    H = len(text)
    assert (16 + H) % 64

    def bad(name, desc, clauses, data, code, m):
        checked(data, code, clauses, lambda h, data, d, spans: all_referred(set(), len(spans)), known=READER)
        S.invalid(f"sklearn-frame-invalid-{name}", desc, clauses, B(data), code, src(expr, m))

    bad("buffers-nonempty", "estimator frame with an 8-byte buffer nothing refers to", ["frame.references"],
        rebuild(with_(header, buffers=[[0, 8]]), [bytes(range(1, 9))]), "E_FRAME_LAYOUT",
        "buffer 01..08 added, header buffers [[0, 8]]")
    bad("buffers-missing", "estimator frame whose header has no buffers member", ["frame.buffers"],
        rebuild(without(header, "buffers"), []), "E_MISSING_FIELD", "header: buffers removed")
    bad("trailing-byte", "estimator frame followed by one zero byte", ["frame.buffers"], F + b"\x00",
        "E_FRAME_LAYOUT", "byte 00 appended")
    bad("padding-missing", "estimator frame that ends with its header, without the zero padding",
        ["frame.buffers", "frame.padding"], F[:16 + H], "E_FRAME_LAYOUT", "the padding after the header removed")
    bad("padding-byte-ff", "estimator frame with byte ff in its padding", ["frame.padding"],
        F[:-1] + b"\xff", "E_FRAME_LAYOUT", "last padding byte: 00 -> ff")
    bad("params-duplicate", "estimator frame whose params has copy twice", ["json.duplicate-keys", "frame.header"],
        assemble(text.replace(b'"params":{', b'"params":{"copy":false,'), []), "E_JSON_DUPLICATE_KEY",
        'header: "copy":false put first in params')
    bad("params-nan-literal", "estimator frame whose params holds a NaN literal", ["json.syntax", "frame.header"],
        assemble(text.replace(b'"copy":true', b'"copy":NaN'), []), "E_JSON_SYNTAX", "header: copy true -> NaN")
    FE = ["frame.envelope"]
    bad("encoding-frame", "estimator frame whose header says encoding frame",
        ["sklearn.encodings", "envelope.encoding"] + FE, rebuild(with_(header, encoding="frame"), []),
        "E_ENCODING_UNSUPPORTED", "header: encoding json -> frame")
    bad("no-codec-version", "estimator frame whose header has no codecVersion",
        ["frame.codec-version", "envelope.codec-version", "sklearn.legacy-v0"] + FE,
        rebuild(without(header, "codecVersion"), []), "E_CODEC_VERSION", "header: codecVersion removed")
    bad("params-buffer-reference", "estimator frame whose params is 0, as if a buffer index",
        ["sklearn.params", "envelope.field-types"] + FE,
        rebuild(with_(header, params=0, buffers=[[0, 8]]), [bytes(8)]), "E_FIELD_TYPE",
        "header: params -> 0, an 8-byte zero buffer added")
    S.invalid("sklearn-frame-invalid-json-encoding-frame", "JSON estimator envelope with encoding frame",
              ["sklearn.encodings", "frame.envelope", "envelope.encoding"],
              J(with_(estimator_env(run(expr)), encoding="frame")), "E_ENCODING_UNSUPPORTED",
              src(expr, "encoding json -> frame"), schema_valid=False)
