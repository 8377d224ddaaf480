"""Invalid ndarray vectors at the JSON level: the text, the envelope's members, dtype, shape, the
limits, the json encoding's data, and the inputs differential fuzzing found (differential.json).
Invalid Arrow payloads are in ndarray_invalid_arrow.py.
"""

from __future__ import annotations

import json

import numpy as np

from .common import (HERE, HOSTILE_BUDGET, MAX_SAFE, B, J, Suite, T, b64, dtype_row, dumps_env,
                     hand, with_, without)
from .ndarray_producer import (arrow_env, column_stream, env_arrow_raw, env_json_raw, json_env,
                               producer_payload, run, src)

F64_EXPR = "np.array([1.5, 2.5])"


def invalid_vectors(S: Suite):
    json_text_vectors(S)
    envelope_vectors(S)
    ndarray_member_vectors(S)
    dtype_vectors(S)
    shape_vectors(S)
    json_payload_vectors(S)
    v0_order_vectors(S)
    v0_row_vectors(S)


def differential_vectors(S: Suite):
    """Inputs on which the Rust reference and sciwire-py disagreed under
    differential fuzzing (sciwire-conformance differential), minimised, with
    the code the spec settled on. Kept in differential.json."""
    for d in json.loads((HERE / "differential.json").read_text(encoding="utf-8")):
        p = d["provenance"]
        S.invalid(d["id"], d["description"], ["ndarray.arrow.stream" if d["error"] == "E_ARROW_PAYLOAD" else
                                               {"E_ARROW_SCHEMA": "ndarray.arrow.schema",
                                                "E_ARROW_NULLS": "ndarray.arrow.nulls"}[d["error"]]],
                  T(d["text"]), d["error"],
                  hand(f"found by differential fuzzing ({d['candidate']}, seed {p['rng_seed']}, from "
                       f"{p['seed_vector']}: {p['mutation']}), minimised; {d['why']}"),
                  tags=["differential"])


def json_text_vectors(S: Suite):
    a = run(F64_EXPR)
    plain = dumps_env(json_env(a))
    assert plain == ('{"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", '
                     '"data": [1.5, 2.5], "shape": [2], "dtype": "float64"}')
    tail = plain[:-1]
    why = "hand-edited JSON text of tywrap's envelope for " + F64_EXPR
    SYN = ["json.syntax"]
    UTF = ["json.utf8", "json.syntax"]

    def syn(vid, desc, text, clauses=SYN, tags=None):
        S.invalid(vid, desc, clauses, T(text), "E_JSON_SYNTAX", hand(why), tags=tags)

    syn("ndarray-invalid-json-empty-input", "empty input", "")
    syn("ndarray-invalid-json-whitespace-only", "whitespace only", " \n\t")
    syn("ndarray-invalid-json-truncated-end", "closing brace missing", plain[:-1])
    syn("ndarray-invalid-json-truncated-string", "text cut inside a string", plain[:20])
    syn("ndarray-invalid-json-truncated-number", "text cut after a number's minus sign",
        plain[:plain.index("[1.5") + 1] + "-")
    syn("ndarray-invalid-json-trailing-garbage", "trailing garbage after the value", plain + " x")
    syn("ndarray-invalid-json-trailing-nul", "a NUL character after the value", plain + "\u0000")
    syn("ndarray-invalid-json-two-values", "two envelopes in one text", plain + "\n" + plain)
    syn("ndarray-invalid-json-nan-literal", "NaN literal in data", plain.replace("[1.5, 2.5]", "[NaN, 2.5]"),
        ["json.syntax", "ndarray.json.values"])
    syn("ndarray-invalid-json-infinity-literal", "Infinity literal in data",
        plain.replace("[1.5, 2.5]", "[Infinity, 2.5]"), ["json.syntax", "ndarray.json.values"])
    syn("ndarray-invalid-json-negative-infinity-literal", "-Infinity literal in data",
        plain.replace("[1.5, 2.5]", "[1.5, -Infinity]"), ["json.syntax", "ndarray.json.values"])
    syn("ndarray-invalid-json-single-quotes", "strings in single quotes", plain.replace('"', "'"))
    syn("ndarray-invalid-json-single-quoted-value", "one string value in single quotes",
        plain.replace('"float64"', "'float64'"))
    syn("ndarray-invalid-json-trailing-comma-object", "trailing comma before the closing brace",
        tail + ", }")
    syn("ndarray-invalid-json-trailing-comma-array", "trailing comma inside data",
        plain.replace("[1.5, 2.5]", "[1.5, 2.5, ]"))
    syn("ndarray-invalid-json-leading-zero", "shape entry written 02", plain.replace('[2]', '[02]'))
    syn("ndarray-invalid-json-plus-sign", "number written with a plus sign",
        plain.replace("[1.5, 2.5]", "[+1.5, 2.5]"))
    syn("ndarray-invalid-json-bare-fraction", "number written .5",
        plain.replace("[1.5, 2.5]", "[.5, 2.5]"))
    syn("ndarray-invalid-json-trailing-dot", "number written 1.", plain.replace("[1.5, 2.5]", "[1., 2.5]"))
    syn("ndarray-invalid-json-hex-number", "number written 0x10", plain.replace('[2]', '[0x2]'))
    # malformed numbers inside data, which a one-scan number reader must refuse as the grammar does
    for vid, desc, d in [
            ("ndarray-invalid-json-data-lone-minus", "data item written - alone", "[1.5, -]"),
            ("ndarray-invalid-json-data-minus-bare-fraction", "data item written -.5", "[-.5, 2.5]"),
            ("ndarray-invalid-json-data-leading-zero", "data item written 01.5", "[01.5, 2.5]"),
            ("ndarray-invalid-json-data-empty-exponent", "data item written 1.5e", "[1.5e, 2.5]"),
            ("ndarray-invalid-json-data-signed-empty-exponent", "data item written 1.5e+", "[1.5, 2.5e+]"),
            ("ndarray-invalid-json-data-minus-newline", "data item written - then a newline", "[-\n, 2.5]"),
    ]:
        syn(vid, desc, plain.replace("[1.5, 2.5]", d))
    syn("ndarray-invalid-json-comment", "a /* */ comment before the value", "/* c */ " + plain)
    syn("ndarray-invalid-json-python-true", "Python literal True", tail + ', "x-flag": True}')
    syn("ndarray-invalid-json-unquoted-key", "member name without quotes", tail + ", x-a: 1}")
    syn("ndarray-invalid-json-raw-control-char", "raw tab character inside a string",
        tail + ', "x-note": "a\tb"}')
    syn("ndarray-invalid-json-raw-control-char-long-string",
        "raw U+0001 at the fifth character of a 40-character string, no space before it",
        tail + ', "x-note": "' + "abcd\x01" + "e" * 35 + '"}')
    syn("ndarray-invalid-json-bad-escape", "string escape \\x41", tail + ', "x-note": "\\x41"}')
    syn("ndarray-invalid-json-short-unicode-escape", "string escape \\u12 with two digits",
        tail + ', "x-note": "\\u12"}')
    syn("ndarray-invalid-json-lone-high-surrogate", "lone surrogate escape \\ud800",
        tail + ', "x-note": "\\ud800"}')
    syn("ndarray-invalid-json-lone-low-surrogate", "lone low surrogate escape \\udc00",
        tail + ', "x-note": "a\\udc00b"}')
    syn("ndarray-invalid-json-surrogate-then-letter", "high surrogate escape followed by \\u0041",
        tail + ', "x-note": "\\ud800\\u0041"}')
    syn("ndarray-invalid-json-reversed-surrogates", "low then high surrogate escape",
        tail + ', "x-note": "\\ude00\\ud83d"}')
    syn("ndarray-invalid-json-nbsp-whitespace", "U+00A0 no-break space between tokens",
        plain.replace(', "shape"', ',\u00a0"shape"'))
    syn("ndarray-invalid-json-form-feed", "form feed between tokens",
        plain.replace(', "shape"', ',\f"shape"'))
    syn("ndarray-invalid-json-vertical-tab", "vertical tab between tokens",
        plain.replace(', "shape"', ',\v"shape"'))
    syn("ndarray-invalid-json-bom", "UTF-8 byte order mark before the value", "\ufeff" + plain, UTF)

    raw = plain.encode("ascii")
    tailb = raw[:-1]

    def utf(vid, desc, data: bytes):
        S.invalid(vid, desc, UTF, B(data), "E_JSON_SYNTAX", hand(why))

    utf("ndarray-invalid-json-utf8-ff-byte", "byte ff inside an x- string",
        tailb + b', "x-note": "a\xffb"}')
    utf("ndarray-invalid-json-utf8-lone-continuation", "lone continuation byte 80 in a string",
        tailb + b', "x-note": "a\x80b"}')
    utf("ndarray-invalid-json-utf8-overlong-2", "overlong c0 af for '/' in a string",
        tailb + b', "x-note": "a\xc0\xafb"}')
    utf("ndarray-invalid-json-utf8-overlong-3", "overlong e0 80 af in a string",
        tailb + b', "x-note": "a\xe0\x80\xafb"}')
    utf("ndarray-invalid-json-utf8-overlong-quote", "overlong c0 a2 standing for a quote",
        tailb + b', "x-note": "a\xc0\xa2}')
    utf("ndarray-invalid-json-utf8-surrogate", "UTF-8 encoded surrogate ed a0 80 in a string",
        tailb + b', "x-note": "a\xed\xa0\x80b"}')
    utf("ndarray-invalid-json-utf8-beyond-10ffff", "f4 90 80 80, a code point past U+10FFFF",
        tailb + b', "x-note": "a\xf4\x90\x80\x80b"}')
    utf("ndarray-invalid-json-utf8-truncated-sequence", "two-byte sequence cut before the quote",
        tailb + b', "x-note": "a\xc3"}')
    utf("ndarray-invalid-json-utf16", "the envelope encoded as UTF-16LE", plain.encode("utf-16-le"))
    utf("ndarray-invalid-json-utf8-ff-outside-string", "byte ff between tokens",
        raw.replace(b', "shape"', b',\xff"shape"'))

    DUP = ["json.duplicate-keys"]

    def dup(vid, desc, text, tags=None):
        S.invalid(vid, desc, DUP, T(text), "E_JSON_DUPLICATE_KEY", hand(why), tags=tags)

    dup("ndarray-invalid-json-duplicate-shape", "member shape twice", tail + ', "shape": [2]}')
    dup("ndarray-invalid-json-duplicate-shape-different", "member shape twice with different values",
        tail + ', "shape": [1, 2]}')
    dup("ndarray-invalid-json-duplicate-escaped-name", "sh\\u0061pe and shape are one name",
        plain.replace('"shape"', '"sh\\u0061pe"') [:-1] + ', "shape": [2]}')
    dup("ndarray-invalid-json-duplicate-marker", "member __tywrap__ twice",
        '{"__tywrap__": "ndarray", ' + plain[1:])
    dup("ndarray-invalid-json-duplicate-in-extension", "duplicate name inside an x- member's object",
        tail + ', "x-meta": {"a": 1, "a": 1}}')
    dup("ndarray-invalid-json-duplicate-extension", "x- member twice", tail + ', "x-a": 1, "x-a": 2}')
    # Past 16 names a reader may switch to another way of finding duplicates: one after
    # the switch of a name from before it.
    dup("ndarray-invalid-json-duplicate-after-16-members", "shape again after 16 x- members",
        tail + "".join(f', "x-{k}": {k}' for k in range(16)) + ', "shape": [2]}')
    dup("ndarray-invalid-json-duplicate-in-extension-after-17", "an x- member's object of 18 members, the last named as the first",
        tail + ', "x-meta": {' + ", ".join(f'"a{k}": {k}' for k in range(17)) + ', "a0": 17}}')
    dup("ndarray-invalid-json-duplicate-non-ascii-escape", "x-\\u00e9 and raw x-\u00e9 are one name",
        tail + ', "x-\\u00e9": 1, "x-\u00e9": 2}')
    dup("ndarray-invalid-json-duplicate-surrogate-pair", "surrogate-pair escape and raw emoji names",
        tail + ', "x-\\ud83d\\ude00": 1, "x-\U0001f600": 2}')

    depth_cl = ["json.depth", "limits.depth", "limits.conformance-defaults"]

    def lim(vid, desc, text, budget=None, tags=None):
        S.invalid(vid, desc, depth_cl, T(text), "E_LIMIT_EXCEEDED", hand(why + " nested deeply"),
                  budget=budget, tags=tags)

    lim("ndarray-invalid-json-depth-129", "x- member arrays reach depth 129",
        tail + ', "x-deep": ' + "[" * 128 + "]" * 128 + "}", tags=["boundary"])
    lim("ndarray-invalid-json-depth-129-objects", "x- member objects reach depth 129",
        tail + ', "x-deep": ' + '{"x": ' * 127 + "{}" + "}" * 127 + "}", tags=["boundary"])
    lim("ndarray-invalid-json-depth-129-in-data", "data arrays reach depth 129",
        plain.replace("[1.5, 2.5]", "[" * 128 + "1.5" + "]" * 128))
    S.invalid("ndarray-invalid-input-one-byte-over-max-input-bytes",
              "envelope padded with spaces to max_input_bytes + 1 bytes",
              ["limits.input-bytes", "limits.conformance-defaults", "vector.input", "vector.budget"],
              {"concat": [{"text": plain}, {"text": " ", "repeat": 268435456 + 1 - len(plain.encode())}]},
              "E_LIMIT_EXCEEDED",
              hand("an otherwise valid envelope one byte over the default max_input_bytes; "
                   "a decoder rejects it before parsing"),
              budget={"wall_ms": 60000, "rss_mb": 2048}, tags=["hostile", "boundary"])
    S.invalid("ndarray-invalid-json-100001-brackets",
              "100001 unclosed [, deeper than the largest allowed max_depth",
              depth_cl + ["limits.configurable", "vector.budget"], T("[" * 100001), "E_LIMIT_EXCEEDED",
              hand("hostile nesting with no envelope at all"), budget=HOSTILE_BUDGET,
              tags=["hostile"])
    S.invalid("ndarray-invalid-json-100001-objects", "100001 unclosed objects inside an x- member",
              depth_cl + ["limits.configurable", "vector.budget"],
              T(tail + ', "x-deep": ' + '{"a": ' * 100001), "E_LIMIT_EXCEEDED",
              hand(why + " nested deeply"), budget=HOSTILE_BUDGET, tags=["hostile"])

    # one left-to-right pass: the earliest violation wins
    po = ["processing-order"]
    S.invalid("ndarray-invalid-json-duplicate-before-garbage",
              "duplicate key earlier than trailing garbage", DUP + ["json.syntax"],
              T(tail + ', "shape": [2]} x'), "E_JSON_DUPLICATE_KEY", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-nan-before-duplicate", "NaN literal earlier than a duplicate key",
              ["json.syntax", "json.duplicate-keys"],
              T(plain.replace("[1.5, 2.5]", "[NaN, 2.5]")[:-1] + ', "shape": [2]}'),
              "E_JSON_SYNTAX", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-depth-before-duplicate", "depth 129 earlier than a duplicate key",
              depth_cl + ["json.duplicate-keys"],
              T('{"x-deep": ' + "[" * 128 + "]" * 128 + ", " + plain[1:-1] + ', "shape": [2]}'),
              "E_LIMIT_EXCEEDED", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-duplicate-before-depth", "duplicate key earlier than depth 129",
              DUP + depth_cl,
              T(tail + ', "shape": [2], "x-deep": ' + "[" * 128 + "]" * 128 + "}"),
              "E_JSON_DUPLICATE_KEY", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-bad-utf8-before-duplicate",
              "invalid UTF-8 earlier than a duplicate key", UTF + ["json.duplicate-keys"],
              B(tailb + b', "x-note": "\xff", "shape": [2]}'), "E_JSON_SYNTAX", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-syntax-before-envelope",
              "syntax error in a text that is also no envelope", SYN + ["envelope.object"],
              T('[1, 2,]'), "E_JSON_SYNTAX", hand("a non-envelope with a trailing comma"), tags=po)
    # a fault inside data is earlier than what follows it, even when data is read last
    S.invalid("ndarray-invalid-json-data-syntax-before-duplicate",
              "syntax error inside data earlier than a duplicate key after it", SYN + ["json.duplicate-keys"],
              T(plain.replace("[1.5, 2.5]", "[1.5, x]")[:-1] + ', "shape": [2]}'), "E_JSON_SYNTAX",
              hand(why), tags=po)
    S.invalid("ndarray-invalid-json-nesting-then-data-syntax",
              "data's first item an array where shape puts an element, a syntax error later in data",
              SYN + ["ndarray.json.nesting"], T(plain.replace("[1.5, 2.5]", "[[1.5], 2.5 x]")),
              "E_JSON_SYNTAX", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-value-then-null", "int8 data 1.5 (no integer), then null",
              ["ndarray.json.values"],
              T(plain.replace("[1.5, 2.5]", "[1.5, null, true]").replace('"float64"', '"int8"').replace("[2]", "[3]")),
              "E_VALUE_DOMAIN", hand(why), tags=po)
    # strings inside data whose brackets, escaped quotes and length a reader that only finds where
    # data ends (brackets counted outside strings) must step over as the grammar reads them
    S.invalid("ndarray-invalid-json-data-string-escaped-quote-bracket",
              "float64 data items the strings ] and \\\"], a long x- member after data",
              ["ndarray.json.values", "json.syntax", "envelope.unknown-fields"],
              T(plain.replace("[1.5, 2.5]", '["]", "\\"]"]')[:-1] + ', "x-note": "' + "a" * 200 + '"}'),
              "E_VALUE_DOMAIN", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-data-long-string-then-bracket",
              "float64 data ending in a 40-character string, a ] inside a later x- member's string",
              ["ndarray.json.values", "json.syntax", "envelope.unknown-fields"],
              T(plain.replace("[1.5, 2.5]", "[1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, \"" + "x" * 40 + "\"]")
                .replace("[2]", "[9]")[:-1] + ', "x-note": "]"}'),
              "E_VALUE_DOMAIN", hand(why), tags=po)
    S.invalid("ndarray-invalid-json-codec-version-1e400", "codecVersion 1e400 has no value",
              ["envelope.codec-version", "json.numbers"],
              T(plain.replace('"codecVersion": 1,', '"codecVersion": 1e400,')), "E_CODEC_VERSION",
              hand(why))


def envelope_vectors(S: Suite):
    a = run(F64_EXPR)
    je = json_env(a)
    ae = arrow_env(a)
    mut = lambda m: src(F64_EXPR, m)  # noqa: E731

    for vid, desc, value in [
            ("ndarray-invalid-envelope-array", "top-level array", [1.5, 2.5]),
            ("ndarray-invalid-envelope-string", "top-level string", "ndarray"),
            ("ndarray-invalid-envelope-number", "top-level number", 5),
            ("ndarray-invalid-envelope-null", "top-level null", None),
            ("ndarray-invalid-envelope-true", "top-level true", True),
            ("ndarray-invalid-envelope-empty-object", "empty object", {}),
            ("ndarray-invalid-envelope-wrapped-in-array", "a valid envelope inside an array", [je]),
    ]:
        S.invalid(vid, desc, ["envelope.object"] + (["error.object", "vector.schema-valid"]
                                                     if vid.endswith("-array") else []),
                  J(value), "E_NOT_ENVELOPE", hand("JSON value that is not an envelope"),
                  schema_valid=False)
    for vid, desc, env, m in [
            ("ndarray-invalid-envelope-no-marker", "object without __tywrap__",
             without(je, "__tywrap__"), "__tywrap__ removed"),
            ("ndarray-invalid-envelope-marker-misspelled", "marker member spelled __tywrap",
             {("__tywrap" if k == "__tywrap__" else k): v for k, v in je.items()},
             "__tywrap__ renamed __tywrap"),
            ("ndarray-invalid-envelope-marker-uppercase", "marker member spelled __TYWRAP__",
             {("__TYWRAP__" if k == "__tywrap__" else k): v for k, v in je.items()},
             "__tywrap__ renamed __TYWRAP__"),
            ("ndarray-invalid-envelope-bytes-marker", "tywrap bytes envelope marker __type__",
             {"__type__": "bytes", "encoding": "base64", "data": "AP+A"}, None),
    ]:
        S.invalid(vid, desc, ["envelope.object"], J(env), "E_NOT_ENVELOPE",
                  mut(m) if m else hand("tywrap's bytes value form, not an envelope"),
                  schema_valid=False)

    for vid, desc, v in [
            ("ndarray-invalid-envelope-marker-number", "marker 5", 5),
            ("ndarray-invalid-envelope-marker-null", "marker null", None),
            ("ndarray-invalid-envelope-marker-array", "marker [\"ndarray\"]", ["ndarray"]),
            ("ndarray-invalid-envelope-marker-true", "marker true", True),
            ("ndarray-invalid-envelope-marker-object", "marker {\"name\": \"ndarray\"}",
             {"name": "ndarray"})]:
        S.invalid(vid, desc, ["envelope.marker", "envelope.field-types"],
                  J(with_(je, __tywrap__=v)), "E_FIELD_TYPE",
                  mut(f"__tywrap__ set to {json.dumps(v)}"), schema_valid=False)
    for vid, desc, v in [
            # scipy.sparse, torch.tensor and sklearn.estimator were reserved here until their
            # pages were written; their three vectors were withdrawn (an id never changes meaning),
            # and so were dataframe's and series' two when v1 defined them.
            ("ndarray-invalid-envelope-marker-upper", "marker NDARRAY", "NDARRAY"),
            ("ndarray-invalid-envelope-marker-empty", "marker empty string", ""),
            ("ndarray-invalid-envelope-marker-trailing-space", "marker 'ndarray ' with a space",
             "ndarray "),
            ("ndarray-invalid-envelope-marker-cyrillic-a", "marker with a Cyrillic a",
             "nd\u0430rray")]:
        S.invalid(vid, desc, ["envelope.marker"], J(with_(je, __tywrap__=v)), "E_UNKNOWN_MARKER",
                  mut(f"__tywrap__ set to {json.dumps(v)}"), schema_valid=False)
    # (Until v1 defined dataframe and series, the two vectors here used those
    # markers as unknown ones; they are known now, so the unknown markers are
    # pandas' class names, which tywrap never writes.)
    S.invalid("ndarray-invalid-envelope-pandas-dataframe-arrow",
              "an envelope marked with pandas' class name pandas.DataFrame, not the dataframe marker",
              ["envelope.marker"],
              J({"__tywrap__": "pandas.DataFrame", "codecVersion": 1, "encoding": "arrow", "b64": ae["b64"]}),
              "E_UNKNOWN_MARKER", mut("marker pandas.DataFrame, shape and dtype removed"), schema_valid=False)
    S.invalid("ndarray-invalid-envelope-unknown-marker-pandas-series-before-version",
              "unknown marker pandas.Series with codecVersion 2", ["envelope.marker", "envelope.codec-version"],
              J(with_(je, __tywrap__="pandas.Series", codecVersion=2)), "E_UNKNOWN_MARKER",
              mut("marker pandas.Series, codecVersion 2"), schema_valid=False, tags=["processing-order"])

    for vid, desc, v in [
            ("ndarray-invalid-codec-version-0", "codecVersion 0", 0),
            ("ndarray-invalid-codec-version-2", "codecVersion 2", 2),
            ("ndarray-invalid-codec-version-minus-1", "codecVersion -1", -1),
            ("ndarray-invalid-codec-version-string", "codecVersion \"1\"", "1"),
            ("ndarray-invalid-codec-version-null", "codecVersion null", None),
            ("ndarray-invalid-codec-version-true", "codecVersion true", True),
            ("ndarray-invalid-codec-version-false", "codecVersion false", False),
            ("ndarray-invalid-codec-version-1-5", "codecVersion 1.5", 1.5),
            ("ndarray-invalid-codec-version-next-double", "codecVersion 1.0000000000000002",
             1.0000000000000002),
            ("ndarray-invalid-codec-version-array", "codecVersion [1]", [1]),
            ("ndarray-invalid-codec-version-object", "codecVersion {\"v\": 1}", {"v": 1})]:
        S.invalid(vid, desc, ["envelope.codec-version"], J(with_(je, codecVersion=v)),
                  "E_CODEC_VERSION", mut(f"codecVersion set to {json.dumps(v)}"),
                  schema_valid=False)
    S.invalid("ndarray-invalid-codec-version-before-encoding", "codecVersion 2 and no encoding",
              ["envelope.codec-version", "envelope.encoding"],
              J(without(with_(je, codecVersion=2), "encoding")), "E_CODEC_VERSION",
              mut("codecVersion 2, encoding removed"), schema_valid=False, tags=["processing-order"])

    S.invalid("ndarray-invalid-encoding-missing", "encoding member absent",
              ["envelope.encoding", "envelope.required-fields"], J(without(je, "encoding")),
              "E_MISSING_FIELD", mut("encoding removed"), schema_valid=False)
    S.invalid("ndarray-invalid-encoding-missing-v0", "v0 envelope without encoding",
              ["envelope.encoding", "envelope.required-fields", "envelope.legacy-v0"],
              J(without(je, "encoding", "codecVersion")), "E_MISSING_FIELD",
              mut("encoding and codecVersion removed"), schema_valid=False)
    for vid, desc, v in [
            ("ndarray-invalid-encoding-number", "encoding 5", 5),
            ("ndarray-invalid-encoding-null", "encoding null", None),
            ("ndarray-invalid-encoding-array", "encoding [\"json\"]", ["json"])]:
        S.invalid(vid, desc, ["envelope.encoding", "envelope.field-types"],
                  J(with_(je, encoding=v)), "E_FIELD_TYPE", mut(f"encoding set to {json.dumps(v)}"),
                  schema_valid=False)
    for vid, desc, v, first_cl in [
            ("ndarray-invalid-encoding-base64", "encoding base64", "base64", "envelope.encoding"),
            ("ndarray-invalid-encoding-ndarray", "encoding ndarray (torch's nesting encoding)",
             "ndarray", "ndarray.encodings"),
            ("ndarray-invalid-encoding-upper", "encoding ARROW", "ARROW", "ndarray.encodings"),
            ("ndarray-invalid-encoding-empty", "encoding empty string", "", "envelope.encoding"),
            ("ndarray-invalid-encoding-utf8-slice", "encoding utf8-slice", "utf8-slice",
             "envelope.encoding")]:
        other = "ndarray.encodings" if first_cl == "envelope.encoding" else "envelope.encoding"
        S.invalid(vid, desc, [first_cl, other], J(with_(ae, encoding=v)), "E_ENCODING_UNSUPPORTED",
                  src(F64_EXPR, f"arrow envelope, encoding set to {json.dumps(v)}"),
                  schema_valid=False)
    S.invalid("ndarray-invalid-encoding-before-unknown-field",
              "unsupported encoding and an unknown member", ["envelope.encoding",
                                                            "envelope.unknown-fields"],
              J(with_(je, encoding="msgpack", order="C")), "E_ENCODING_UNSUPPORTED",
              mut("encoding msgpack, member order added"), schema_valid=False,
              tags=["processing-order"])

    UF = ["envelope.unknown-fields", "ndarray.members"]
    for vid, desc, env, m in [
            ("ndarray-invalid-unknown-member-order", "unknown member order",
             with_(je, order="F"), "member order: \"F\" added"),
            ("ndarray-invalid-unknown-member-uppercase-x", "member X-meta is no extension",
             {**je, "X-meta": 1}, "member X-meta added"),
            ("ndarray-invalid-unknown-member-x-underscore", "member x_meta is no extension",
             with_(je, x_meta=1), "member x_meta added"),
            ("ndarray-invalid-unknown-member-name", "series member name on an ndarray",
             with_(je, name="s"), "member name added"),
            ("ndarray-invalid-unknown-member-empty-name", "member with an empty name",
             {**je, "": 1}, "member \"\" added"),
            ("ndarray-invalid-unknown-member-data-in-arrow", "data member in an arrow envelope",
             with_(ae, data=[1.5, 2.5]), "arrow envelope, data added"),
            ("ndarray-invalid-unknown-member-b64-in-json", "b64 member in a json envelope",
             with_(je, b64=ae["b64"]), "json envelope, b64 added"),
            ("ndarray-invalid-unknown-member-data-instead-of-b64",
             "arrow envelope with data in place of b64",
             with_(without(ae, "b64"), data=[1.5, 2.5]), "arrow envelope, b64 replaced by data"),
            ("ndarray-invalid-unknown-member-v0", "v0 envelope with an unknown member",
             with_(without(je, "codecVersion"), order="C"), "codecVersion removed, order added"),
    ]:
        first_cl = ["ndarray.members", "envelope.unknown-fields"] if "in-" in vid or \
            "instead" in vid else UF
        cl = first_cl + (["envelope.legacy-v0"] if vid.endswith("-v0") else [])
        tags = ["processing-order"] if "instead" in vid else None
        S.invalid(vid, desc, cl, J(env), "E_UNKNOWN_FIELD", mut(m), schema_valid=False, tags=tags)


def ndarray_member_vectors(S: Suite):
    a = run(F64_EXPR)
    je, ae = json_env(a), arrow_env(a)
    REQ = ["ndarray.required", "envelope.required-fields"]
    for vid, desc, env, m in [
            ("ndarray-invalid-required-arrow-dtype", "v1 arrow without dtype", without(ae, "dtype"),
             "dtype removed"),
            ("ndarray-invalid-required-arrow-shape", "v1 arrow without shape", without(ae, "shape"),
             "shape removed"),
            ("ndarray-invalid-required-arrow-b64", "v1 arrow without b64", without(ae, "b64"),
             "b64 removed"),
            ("ndarray-invalid-required-json-dtype", "v1 json without dtype", without(je, "dtype"),
             "dtype removed"),
            ("ndarray-invalid-required-json-shape", "v1 json without shape", without(je, "shape"),
             "shape removed"),
            ("ndarray-invalid-required-json-data", "v1 json without data", without(je, "data"),
             "data removed"),
            ("ndarray-invalid-required-arrow-all", "v1 arrow with only the common members",
             without(ae, "dtype", "shape", "b64"), "dtype, shape and b64 removed")]:
        S.invalid(vid, desc, REQ, J(env), "E_MISSING_FIELD", src(F64_EXPR, m), schema_valid=False)
    S.invalid("ndarray-invalid-required-before-dtype", "shape missing and dtype complex128",
              REQ + ["ndarray.dtype.table"], J(with_(without(ae, "shape"), dtype="complex128")),
              "E_MISSING_FIELD", src(F64_EXPR, "shape removed, dtype complex128"),
              schema_valid=False, tags=["processing-order"])

    V0 = ["ndarray.legacy-v0", "envelope.legacy-v0", "envelope.required-fields"]
    for vid, desc, env, m in [
            ("ndarray-invalid-v0-json-no-dtype", "v0 json without dtype",
             without(je, "codecVersion", "dtype"), "codecVersion and dtype removed"),
            ("ndarray-invalid-v0-json-no-dtype-no-shape", "v0 json without dtype and shape",
             without(je, "codecVersion", "dtype", "shape"), "codecVersion, dtype, shape removed"),
            ("ndarray-invalid-v0-json-no-data", "v0 json without data",
             without(je, "codecVersion", "data"), "codecVersion and data removed"),
            ("ndarray-invalid-v0-arrow-no-b64", "v0 arrow without b64",
             without(ae, "codecVersion", "b64"), "codecVersion and b64 removed")]:
        S.invalid(vid, desc, V0, J(env), "E_MISSING_FIELD", src(F64_EXPR, m), schema_valid=False)

    TYPE_MISSING = ["ndarray.legacy-v0", "ndarray.arrow.type", "envelope.legacy-v0"]
    for vid, desc, expr, n, shape in [
            ("ndarray-invalid-v0-arrow-utf8-no-dtype", "v0 arrow Utf8 column without dtype",
             "np.array(['a', 'bc'])", 2, True),
            ("ndarray-invalid-v0-arrow-utf8-no-dtype-no-shape",
             "v0 arrow Utf8 column without dtype and shape", "np.array(['a', 'bc'])", 2, False),
            ("ndarray-invalid-v0-arrow-binary-no-dtype", "v0 arrow Binary column without dtype",
             "np.array([b'a', b'bc'])", 2, True)]:
        env = without(arrow_env(run(expr)), "codecVersion", "dtype")
        if not shape:
            env = without(env, "shape")
        row = "ndarray.legacy-v0[<U{n}]" if "utf8" in vid else "ndarray.legacy-v0[|S{n}]"
        S.invalid(vid, desc, TYPE_MISSING + [row], J(env), "E_MISSING_FIELD",
                  src(expr, "codecVersion and dtype removed" + ("" if shape else ", shape removed")),
                  schema_valid=True)
    for vid, desc, expr, n in [
            ("ndarray-invalid-v0-arrow-date64-no-dtype", "v0 arrow Date64 column without dtype",
             "pa.array([0, 86400000], pa.date64())", 2),
            ("ndarray-invalid-v0-arrow-timestamp-tz-no-dtype",
             "v0 arrow Timestamp with timezone without dtype",
             "pa.array([0, 1], pa.timestamp('ns', tz='UTC'))", 2),
            ("ndarray-invalid-v0-arrow-large-utf8-no-dtype", "v0 arrow LargeUtf8 without dtype",
             "pa.array(['a', 'bc'], pa.large_string())", 2),
            ("ndarray-invalid-v0-arrow-list-no-dtype", "v0 arrow list<int64> without dtype",
             "pa.array([[1], [2, 3]])", 2),
            ("ndarray-invalid-v0-arrow-decimal-no-dtype", "v0 arrow decimal128 without dtype",
             "pa.array([1, 2], pa.decimal128(5, 2))", 2)]:
        env = {"__tywrap__": "ndarray", "encoding": "arrow",
               "b64": b64(column_stream(run(expr))), "shape": [n]}
        S.invalid(vid, desc, TYPE_MISSING, J(env), "E_MISSING_FIELD",
                  src(expr, "one-column stream; envelope without codecVersion and dtype"),
                  schema_valid=True)


UNSUPPORTED_DTYPES = [
    # (id slug, dtype string, reason for the description)
    ("complex128", "complex128", "complex"),
    ("complex64", "complex64", "complex"),
    ("object", "object", "object"),
    ("object-o", "O", "object code O"),
    ("float128", "float128", "extended precision"),
    ("longdouble", "longdouble", "extended precision"),
    ("big-endian-int32", ">i4", "big-endian"),
    ("big-endian-float64", ">f8", "big-endian"),
    ("big-endian-str", ">U2", "big-endian"),
    ("little-f8", "<f8", "another spelling of float64"),
    ("f8", "f8", "another spelling of float64"),
    ("double", "double", "another spelling of float64"),
    ("int", "int", "another spelling"),
    ("float", "float", "another spelling"),
    ("str", "str", "another spelling"),
    ("bool-underscore", "bool_", "another spelling of bool"),
    ("question-mark", "?", "another spelling of bool"),
    ("uint", "uint", "another spelling"),
    ("v8", "V8", "void"),
    ("structured", "[('x', '<i4')]", "structured"),
    ("datetime64-y", "datetime64[Y]", "unit outside the table"),
    ("datetime64-h", "datetime64[h]", "unit outside the table"),
    ("datetime64-ps", "datetime64[ps]", "unit outside the table"),
    ("datetime64-generic", "datetime64", "generic datetime64"),
    ("timedelta64-generic", "timedelta64", "generic timedelta64"),
    ("timedelta64-d", "timedelta64[D]", "unit outside the table"),
    ("datetime64-lower-d", "datetime64[d]", "unit letter case"),
    ("datetime64-upper-ns", "datetime64[NS]", "unit letter case"),
    ("str-width-0", "<U0", "width 0"),
    ("str-width-leading-zero", "<U01", "leading zero in the width"),
    ("str-no-width", "<U", "width missing"),
    ("str-width-negative", "<U-1", "negative width"),
    ("str-width-plus", "<U+1", "width with a plus sign"),
    ("str-width-fraction", "<U1.0", "width 1.0"),
    ("str-width-arabic-digit", "<U\u0663", "width in an Arabic-Indic digit"),
    ("str-width-10-digits", "<U1000000000", "width of ten digits"),
    ("str-width-2-64", "<U18446744073709551616", "width 2^64"),
    ("bytes-width-10-digits", "|S1000000000", "width of ten digits"),
    ("str-no-byte-order", "U2", "byte order character missing"),
    ("bytes-no-pipe", "S2", "byte order character missing"),
    ("bytes-little", "<S2", "wrong byte order character"),
    ("str-pipe", "|U2", "wrong byte order character"),
    ("bytes-width-0", "|S0", "width 0"),
    ("uppercase", "Float64", "letter case"),
    ("leading-space", " float64", "leading space"),
    ("trailing-space", "float64 ", "trailing space"),
    ("empty", "", "empty string"),
    ("trailing-nul", "float64\u0000", "trailing NUL character"),
    ("bfloat16", "bfloat16", "not in the table"),
    ("int128", "int128", "not in the table"),
    ("float8", "float8_e4m3fn", "not in the table"),
]


def dtype_vectors(S: Suite):
    a = run(F64_EXPR)
    je, ae = json_env(a), arrow_env(a)
    for vid, desc, v in [
            ("ndarray-invalid-dtype-type-number", "dtype 5", 5),
            ("ndarray-invalid-dtype-type-null", "dtype null", None),
            ("ndarray-invalid-dtype-type-array", "dtype [\"float64\"]", ["float64"]),
            ("ndarray-invalid-dtype-type-true", "dtype true", True),
            ("ndarray-invalid-dtype-type-object", "dtype {\"name\": \"float64\"}", {"name": "float64"})]:
        S.invalid(vid, desc, ["ndarray.dtype.table", "envelope.field-types"],
                  J(with_(ae, dtype=v)), "E_FIELD_TYPE", src(F64_EXPR, f"dtype set to {json.dumps(v)}"),
                  schema_valid=False)
    for slug, dt, why in UNSUPPORTED_DTYPES:
        S.invalid(f"ndarray-invalid-dtype-{slug}", f"dtype {json.dumps(dt)} ({why})",
                  ["ndarray.dtype.table"], J(with_(ae, dtype=dt)), "E_DTYPE_UNSUPPORTED",
                  src(F64_EXPR, f"dtype set to {json.dumps(dt)}"), schema_valid=False)
    S.invalid("ndarray-invalid-dtype-json-complex128", "json envelope with dtype complex128",
              ["ndarray.dtype.table"], J(with_(je, dtype="complex128")), "E_DTYPE_UNSUPPORTED",
              src(F64_EXPR, "dtype set to complex128"), schema_valid=False)
    S.invalid("ndarray-invalid-dtype-before-shape", "dtype complex128 and shape [-1]",
              ["ndarray.dtype.table", "ndarray.shape.items"],
              J(with_(ae, dtype="complex128", shape=[-1])), "E_DTYPE_UNSUPPORTED",
              src(F64_EXPR, "dtype complex128, shape [-1]"), schema_valid=False,
              tags=["processing-order"])

    JD = ["ndarray.json.dtypes"]
    for vid, desc, expr, dt, data in [
            ("ndarray-invalid-json-dtype-datetime64-ns", "json envelope with dtype datetime64[ns]",
             "np.array([0, 1]).astype('datetime64[ns]')", "datetime64[ns]", [0, 1]),
            ("ndarray-invalid-json-dtype-datetime64-d", "json envelope with dtype datetime64[D]",
             "np.array(['2024-01-01', '2024-01-02'], dtype='datetime64[D]')", "datetime64[D]",
             ["2024-01-01", "2024-01-02"]),
            ("ndarray-invalid-json-dtype-timedelta64-s", "json envelope with dtype timedelta64[s]",
             "np.array([5, -3], dtype='timedelta64[s]')", "timedelta64[s]", [5, -3]),
            ("ndarray-invalid-json-dtype-str", "json envelope with dtype <U2",
             "np.array(['ab', 'c'])", "<U2", ["ab", "c"]),
            ("ndarray-invalid-json-dtype-bytes", "json envelope with dtype |S2",
             "np.array([b'ab', b'c'])", "|S2", ["ab", "c"])]:
        S.invalid(vid, desc, JD, J(env_json_raw(data, [2], dt)), "E_DTYPE_UNSUPPORTED",
                  hand(f"tywrap's json producer refuses {expr}; this is the envelope it would need"),
                  schema_valid=False)
    S.invalid("ndarray-invalid-shape-before-json-dtype", "json datetime64[ns] with shape [-1]",
              ["ndarray.shape.items", "ndarray.json.dtypes"],
              J(env_json_raw([0], [-1], "datetime64[ns]")), "E_SHAPE_INVALID",
              hand("datetime64[ns] json envelope with a negative shape entry"), schema_valid=False,
              tags=["processing-order"])
    S.invalid("ndarray-invalid-json-dtype-before-nesting",
              "json datetime64[ns] whose data is also nested wrongly",
              ["ndarray.json.dtypes", "ndarray.json.nesting"],
              J(env_json_raw([[0], [1, 2]], [2], "datetime64[ns]")), "E_DTYPE_UNSUPPORTED",
              hand("datetime64[ns] with mis-nested data"), schema_valid=False,
              tags=["processing-order"])


def shape_vectors(S: Suite):
    a = run(F64_EXPR)
    je, ae = json_env(a), arrow_env(a)
    for vid, desc, v in [
            ("ndarray-invalid-shape-string", "shape \"3\"", "3"),
            ("ndarray-invalid-shape-number", "shape 2", 2),
            ("ndarray-invalid-shape-null", "shape null", None),
            ("ndarray-invalid-shape-true", "shape true", True),
            ("ndarray-invalid-shape-object", "shape {\"0\": 2}", {"0": 2})]:
        S.invalid(vid, desc, ["ndarray.shape.items", "envelope.field-types"],
                  J(with_(ae, shape=v)), "E_FIELD_TYPE", src(F64_EXPR, f"shape set to {json.dumps(v)}"),
                  schema_valid=False)
    SI = ["ndarray.shape.items"]
    for vid, desc, v, env in [
            ("ndarray-invalid-shape-negative", "shape [-1]", [-1], ae),
            ("ndarray-invalid-shape-negative-json", "json envelope with shape [-1]", [-1], je),
            ("ndarray-invalid-shape-fraction", "shape [1.5]", [1.5], ae),
            ("ndarray-invalid-shape-string-item", "shape [\"3\"]", ["3"], ae),
            ("ndarray-invalid-shape-null-item", "shape [null]", [None], ae),
            ("ndarray-invalid-shape-true-item", "shape [true]", [True], ae),
            ("ndarray-invalid-shape-nested", "shape [[2]]", [[2]], ae),
            ("ndarray-invalid-shape-object-item", "shape [{}]", [{}], ae),
            ("ndarray-invalid-shape-2-53", "shape [2^53], one past the integer range", [2**53], ae),
            ("ndarray-invalid-shape-2-62", "shape [2^62]", [2**62], ae),
            ("ndarray-invalid-shape-0-and-2-62", "shape [0, 2^62]: a zero does not excuse 2^62",
             [0, 2**62], je),
            ("ndarray-invalid-shape-2-64", "shape [2, 2^64]", [2, 2**64], ae),
            ("ndarray-invalid-shape-negative-fraction", "shape [2, -0.5]", [2, -0.5], ae)]:
        m = f"shape set to {json.dumps(v)}"
        data_note = {"data": []} if v == [0, 2**62] else {}
        S.invalid(vid, desc, SI, J(with_(env, shape=v, **data_note)), "E_SHAPE_INVALID",
                  src(F64_EXPR, m + (", data []" if data_note else "")), schema_valid=False)
    plain_ae = dumps_env(ae)
    for vid, desc, text in [
            ("ndarray-invalid-shape-1e400", "shape [1e400], a number without a value",
             plain_ae.replace('"shape": [2]', '"shape": [1e400]')),
            ("ndarray-invalid-shape-rounds-to-2-53", "shape [9007199254740993] denotes 2^53",
             plain_ae.replace('"shape": [2]', '"shape": [9007199254740993]'))]:
        S.invalid(vid, desc, SI + ["json.numbers"], T(text), "E_SHAPE_INVALID",
                  hand("hand-edited JSON text of tywrap's envelope for " + F64_EXPR))
    S.invalid("ndarray-invalid-shape-item-before-ndim", "65 shape entries, the last one -1",
              SI + ["limits.ndim"], J(with_(ae, shape=[1] * 64 + [-1])), "E_SHAPE_INVALID",
              src(F64_EXPR, "shape set to 64 ones and -1"), schema_valid=False,
              tags=["processing-order"])

    one_expr = "np.array([1.5])"
    one = run(one_expr)
    one_env = arrow_env(one)
    empty = producer_payload(np.zeros((0,)))
    true_payload = producer_payload(np.array([True]))
    a_payload = producer_payload(np.array(["a"]))
    LIM = ["limits.conformance-defaults"]
    H, BND, PO = ["hostile"], ["boundary"], ["processing-order"]
    for vid, desc, expr, env, m, clauses, budget, tags in [
            ("ndarray-invalid-limit-ndim-65", "65 dimensions of 1", one_expr,
             with_(one_env, shape=[1] * 65), "shape [1] -> 65 ones",
             ["limits.ndim", "limits.configurable"], None, BND),
            ("ndarray-invalid-limit-ndim-65-json", "json envelope with 65 dimensions of 1", one_expr,
             with_(json_env(one), shape=[1] * 65, data=_nest([1.5], 64)),
             "shape 65 ones, data nested 65 deep", ["limits.ndim"], None, BND),
            ("ndarray-invalid-limit-elements-2-28-plus-1",
             "bool shape [2^28+1], one past max_elements", "np.array([True])",
             env_arrow_raw(true_payload, [2**28 + 1], "bool"), "shape [268435457]",
             ["limits.elements"], HOSTILE_BUDGET, BND),
            ("ndarray-invalid-limit-elements-json", "json bool shape [2^28+1] with data []",
             "np.zeros((0,), dtype=bool)", env_json_raw([], [2**28 + 1], "bool"),
             "shape [268435457]", ["limits.elements"], HOSTILE_BUDGET, None),
            ("ndarray-invalid-limit-elements-2-31-cubed", "shape [2^31, 2^31, 2^31]", one_expr,
             with_(one_env, shape=[2**31] * 3), "shape [2147483648] * 3",
             ["limits.elements", "limits.configurable"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-elements-wraps-to-zero",
             "shape [2^32, 2^32]: a 64-bit product wraps to 0", "np.zeros((0,))",
             env_arrow_raw(empty, [2**32, 2**32], "float64"),
             "shape [4294967296, 4294967296]", ["limits.elements"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-elements-max-squared", "shape [2^53-1, 2^53-1]", one_expr,
             with_(one_env, shape=[MAX_SAFE, MAX_SAFE]), "shape [2^53-1, 2^53-1]",
             ["limits.elements"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-elements-max-times-2", "shape [2^53-1, 2, 1]: product past 2^53",
             one_expr, with_(one_env, shape=[MAX_SAFE, 2, 1]), "shape [2^53-1, 2, 1]",
             ["limits.elements"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-decoded-bytes-float64", "float64 shape [2^25+1] is 2^28+8 bytes",
             one_expr, with_(one_env, shape=[2**25 + 1]), "shape [33554433]",
             ["limits.decoded-bytes"], HOSTILE_BUDGET, BND),
            ("ndarray-invalid-limit-decoded-bytes-str", "<U67108865 shape [1] is 2^28+4 bytes",
             "np.array(['a'])", env_arrow_raw(a_payload, [1], "<U67108865"), "dtype <U67108865",
             ["limits.decoded-bytes", "ndarray.dtype.table"], HOSTILE_BUDGET, BND),
            ("ndarray-invalid-limit-decoded-bytes-bytes", "|S268435457 shape [1]",
             "np.array([b'a'])", env_arrow_raw(producer_payload(np.array([b"a"])), [1],
                                               "|S268435457"),
             "dtype |S268435457", ["limits.decoded-bytes"], HOSTILE_BUDGET, BND),
            ("ndarray-invalid-limit-decoded-bytes-str-max-width",
             "<U999999999 shape [1], the widest dtype, is 4 GB", "np.array(['a'])",
             env_arrow_raw(a_payload, [1], "<U999999999"), "dtype <U999999999",
             ["limits.decoded-bytes", "ndarray.dtype.table"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-decoded-bytes-before-json-dtype",
             "json datetime64[ns] shape [2^28] passes max_elements, not max_decoded_bytes",
             "np.zeros((0,), dtype='datetime64[ns]')",
             env_json_raw([], [2**28], "datetime64[ns]"), "json envelope, shape [268435456]",
             ["limits.decoded-bytes", "ndarray.json.dtypes"], HOSTILE_BUDGET, PO),
            ("ndarray-invalid-limit-ndim-before-elements", "65 dimensions of 2^31", one_expr,
             with_(one_env, shape=[2**31] * 65), "shape [2147483648] * 65",
             ["limits.ndim", "limits.elements"], HOSTILE_BUDGET, H),
            ("ndarray-invalid-limit-before-base64", "shape over max_elements and b64 not base64",
             one_expr, with_(one_env, shape=[2**29], b64="not base64!"),
             "shape [536870912], b64 'not base64!'", ["limits.elements", "ndarray.arrow.base64"],
             HOSTILE_BUDGET, PO)]:
        S.invalid(vid, desc, clauses + LIM, J(env), "E_LIMIT_EXCEEDED", src(expr, m),
                  schema_valid=not vid.endswith(("before-base64", "before-json-dtype", "ndim-65",
                                                 "ndim-65-json", "ndim-before-elements")),
                  budget=budget, tags=tags)

    # at the limits exactly: the limits pass, the payload then disagrees with the shape
    for vid, desc, expr, env, m in [
            ("ndarray-invalid-length-bool-2-28", "bool shape [2^28] passes the limits; 1 row",
             "np.array([True])", env_arrow_raw(true_payload, [2**28], "bool"), "shape [268435456]"),
            ("ndarray-invalid-length-float64-2-25", "float64 shape [2^25] is 2^28 bytes; 1 row",
             one_expr, with_(one_env, shape=[2**25]), "shape [33554432]"),
            ("ndarray-invalid-length-str-max-width", "<U67108864 shape [1] is 2^28 bytes; no rows",
             "np.zeros((0,), dtype='<U1')",
             env_arrow_raw(producer_payload(np.zeros((0,), dtype="<U1")), [1], "<U67108864"),
             "shape [1], dtype <U67108864")]:
        S.invalid(vid, desc, ["ndarray.arrow.length", "limits.elements", "limits.decoded-bytes"],
                  J(env), "E_SHAPE_MISMATCH", src(expr, m), schema_valid=True,
                  budget=HOSTILE_BUDGET, tags=["boundary"])


def _nest(x, levels):
    for _ in range(levels):
        x = [x]
    return x


def json_payload_vectors(S: Suite):
    NE = ["ndarray.json.nesting"]
    why = "json envelope with data that no numpy array's tolist() gives"
    for vid, desc, data, shape, dtype, sv, tags in [
            ("ndarray-invalid-json-nesting-ragged", "[[1, 2], [3]] for shape [2, 2]",
             [[1, 2], [3]], [2, 2], "float64", True, None),
            ("ndarray-invalid-json-nesting-too-long", "[1, 2, 3] for shape [2]", [1, 2, 3], [2],
             "float64", True, None),
            ("ndarray-invalid-json-nesting-too-short", "[1] for shape [2]", [1], [2], "float64", True,
             None),
            ("ndarray-invalid-json-nesting-array-for-leaf", "[[1, 2]] for shape [2]", [[1, 2]], [2],
             "float64", True, None),
            ("ndarray-invalid-json-nesting-leaf-for-array", "a bare number for shape [1]", 5, [1],
             "float64", True, None),
            ("ndarray-invalid-json-nesting-array-for-0d", "[5] for shape []", [5], [], "float64", True,
             None),
            ("ndarray-invalid-json-nesting-empty-for-0d", "[] for shape []", [], [], "float64", True,
             None),
            ("ndarray-invalid-json-nesting-flat-for-2d", "[1, 2, 3, 4] for shape [2, 2]",
             [1, 2, 3, 4], [2, 2], "float64", True, None),
            ("ndarray-invalid-json-nesting-2d-for-flat", "[[1, 2], [3, 4]] for shape [4]",
             [[1, 2], [3, 4]], [4], "float64", True, None),
            ("ndarray-invalid-json-nesting-mixed-depth", "[[1, 2], 3] for shape [2, 2]",
             [[1, 2], 3], [2, 2], "float64", True, None),
            ("ndarray-invalid-json-nesting-empty-rows", "[[], [1]] for shape [2, 0]", [[], [1]],
             [2, 0], "float64", True, None),
            ("ndarray-invalid-json-nesting-extra-level-empty", "[[[]]] for shape [1, 0]", [[[]]],
             [1, 0], "float64", True, None),
            ("ndarray-invalid-json-nesting-empty-for-3", "[] for shape [3]", [], [3], "int32", True,
             None),
            ("ndarray-invalid-json-nesting-string-for-array", "the string \"abc\" for shape [3]", "abc",
             [3], "float64", False, None),
            ("ndarray-invalid-json-nesting-object-for-array", "an object for shape [1]", {"0": 1},
             [1], "float64", False, None),
            ("ndarray-invalid-json-nesting-null-for-array", "null for shape [1]", None, [1], "float64",
             False, None),
            ("ndarray-invalid-json-nesting-before-values", "ragged data that also holds a string",
             [[1, "x"], [3]], [2, 2], "float64", False, ["processing-order"])]:
        S.invalid(vid, desc, NE + (["ndarray.json.values"] if tags else []),
                  J(env_json_raw(data, shape, dtype)), "E_SHAPE_MISMATCH", hand(why),
                  schema_valid=sv, tags=tags)
    V0 = NE + ["ndarray.legacy-v0", "envelope.legacy-v0"]
    for vid, desc, data in [
            ("ndarray-invalid-json-v0-ragged", "v0 json without shape, data [[1, 2], [3]]", [[1, 2], [3]]),
            ("ndarray-invalid-json-v0-empty-first-row", "v0 json without shape, data [[], [1]]",
             [[], [1]]),
            ("ndarray-invalid-json-v0-scalar-then-array", "v0 json without shape, data [1, [2]]",
             [1, [2]])]:
        env = without(env_json_raw(data, None, "float64"), "codecVersion", "shape")
        S.invalid(vid, desc, V0, J(env), "E_SHAPE_MISMATCH", hand(why), schema_valid=True)
    S.invalid("ndarray-invalid-json-v0-shape-disagrees", "v0 json with shape [3] and two values",
              NE + ["envelope.legacy-v0"], J(without(env_json_raw([1.5, 2.5], [3], "float64"),
                                                     "codecVersion")),
              "E_SHAPE_MISMATCH", src(F64_EXPR, "codecVersion removed, shape [3]"), schema_valid=True)
    S.invalid("ndarray-invalid-json-v0-inferred-ndim-65", "v0 json data nested 65 deep, no shape",
              ["limits.ndim", "ndarray.json.nesting", "ndarray.legacy-v0",
               "limits.conformance-defaults"],
              J(without(env_json_raw(_nest(1.5, 65), None, "float64"), "codecVersion", "shape")),
              "E_LIMIT_EXCEEDED", hand("v0 json envelope whose inferred shape has 65 entries"),
              schema_valid=True, tags=["boundary"])

    VA = ["ndarray.json.values"]
    for vid, desc, data, dtype, sv in [
            ("bool-one", "bool data [1]", [1], "bool", False),
            ("bool-zero", "bool data [0]", [0], "bool", False),
            ("bool-string", "bool data [\"true\"]", ["true"], "bool", False),
            ("bool-null", "bool data [null]", [None], "bool", False),
            ("int8-128", "int8 data [128]", [128], "int8", False),
            ("int8-minus-129", "int8 data [-129]", [-129], "int8", False),
            ("uint8-minus-1", "uint8 data [-1]", [-1], "uint8", False),
            ("uint8-256", "uint8 data [256]", [256], "uint8", False),
            ("int16-32768", "int16 data [32768]", [32768], "int16", False),
            ("uint16-65536", "uint16 data [65536]", [65536], "uint16", False),
            ("int32-2-31", "int32 data [2147483648]", [2**31], "int32", False),
            ("uint32-2-32", "uint32 data [4294967296]", [2**32], "uint32", False),
            ("uint32-minus-1", "uint32 data [-1]", [-1], "uint32", False),
            ("int32-fraction", "int32 data [1.5]", [1.5], "int32", False),
            ("int64-2-53", "int64 data [9007199254740992]", [2**53], "int64", False),
            ("int64-minus-2-53", "int64 data [-9007199254740992]", [-2**53], "int64", False),
            ("int64-max", "int64 data [2^63-1]", [2**63 - 1], "int64", False),
            ("int64-1e300", "int64 data [1e+300], an integer far out of range", [1e300], "int64",
             False),
            ("uint64-2-53", "uint64 data [9007199254740992]", [2**53], "uint64", False),
            ("uint64-max", "uint64 data [2^64-1]", [2**64 - 1], "uint64", False),
            ("float32-tenth", "float32 data [0.1] is not a float32", [0.1], "float32", True),
            ("float32-overflow", "float32 data [1e39] overflows", [1e39], "float32", False),
            ("float32-rounds-to-max", "float32 data [3.4028235e38] rounds to the float32 max",
             [3.4028235e38], "float32", False),
            ("float32-underflow", "float32 data [1e-46] rounds to zero", [1e-46], "float32", True),
            ("float16-65520", "float16 data [65520] rounds to infinity", [65520], "float16", False),
            ("float16-65505", "float16 data [65505] rounds to 65504", [65505], "float16", False),
            ("float16-tenth", "float16 data [0.1] is not a float16", [0.1], "float16", True),
            ("float16-half-subnormal", "float16 data [2^-25] rounds to zero", [2.0**-25], "float16",
             True),
            ("string-digit", "float64 data [\"1\"]", ["1"], "float64", False),
            ("null", "float64 data [null]", [None], "float64", False),
            ("object", "float64 data [{}]", [{}], "float64", False),
            ("true-for-int", "int32 data [true]", [True], "int32", False),
            ("true-for-float", "float64 data [true]", [True], "float64", False),
            ("false-for-uint8", "uint8 data [false]", [False], "uint8", False),
            ("string-0d", "float64 0-d data \"1.5\"", "1.5", "float64", False)]:
        shape = [] if vid.endswith("0d") else [1]
        S.invalid(f"ndarray-invalid-json-value-{vid}", desc, VA,
                  J(env_json_raw(data, shape, dtype)), "E_VALUE_DOMAIN", hand(why),
                  schema_valid=sv)
    # The violation's place in C order, past the first element of a dtype other than float64
    # (whose leaves are all counted the same way): element 3, not 0.
    S.invalid("ndarray-invalid-json-value-int8-128-fourth", "int8 data [[1, 2], [3, 128]]: element 3 out of range",
              VA, J(env_json_raw([[1, 2], [3, 128]], [2, 2], "int8")), "E_VALUE_DOMAIN", hand(why),
              schema_valid=False)
    base = '{"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", "data": [%s], ' \
           '"shape": [1], "dtype": "%s"}'
    for vid, desc, num, dtype in [
            ("float64-1e400", "float64 data [1e400], a number without a value", "1e400", "float64"),
            ("float64-minus-1e400", "float64 data [-1e400]", "-1e400", "float64"),
            ("int32-1e400", "int32 data [1e400]", "1e400", "int32"),
            ("int64-rounds-to-2-53", "int64 data 9007199254740993 denotes 2^53", "9007199254740993",
             "int64")]:
        S.invalid(f"ndarray-invalid-json-value-{vid}", desc, VA + ["json.numbers"],
                  T(base % (num, dtype)), "E_VALUE_DOMAIN", hand(why))


def v0_order_vectors(S: Suite):
    """[ndarray.legacy-v0]: where the limits fall in the legacy form. A json envelope without
    shape: the inferred shape's limits, then the nesting. An arrow envelope with shape but no
    dtype: ndim and elements on the shape at once; decoded bytes once the field's type gives the
    dtype (after the framing and the schema), before the length, the contents and the nulls."""
    PO = ["processing-order"]
    V0 = ["ndarray.legacy-v0", "envelope.legacy-v0"]
    row = [0.0] * 1024
    for vid, desc, data, dtype, code, first_cl, why in [
            ("ndarray-invalid-json-v0-elements-before-nesting",
             "v0 json, no shape: inferred [1024, 1024, 1024] over max_elements, and ragged",
             [[row] + [[0.0]] * 1023] + [0.0] * 1023, "float64", "E_LIMIT_EXCEEDED", "limits.elements",
             "data whose first items give the shape [1024, 1024, 1024] (2^30 elements) though "
             "data[1] is a leaf and data[0][1] has one item"),
            ("ndarray-invalid-json-v0-bytes-before-nesting",
             "v0 json float64, no shape: inferred [256, 1024, 256] is 2^29 bytes, and ragged",
             [[row[:256]] + [[0.0]] * 1023] + [0.0] * 255, "float64", "E_LIMIT_EXCEEDED",
             "limits.decoded-bytes",
             "data whose first items give the shape [256, 1024, 256] (2^26 elements of 8 bytes) "
             "though it is ragged"),
            ("ndarray-invalid-json-v0-within-limits-ragged",
             "v0 json uint8, no shape: inferred [256, 1024, 256] passes the limits; ragged",
             [[[0] * 256] + [[0]] * 1023] + [0] * 255, "uint8", "E_SHAPE_MISMATCH", "ndarray.json.nesting",
             "the same ragged data as uint8: 2^26 bytes pass the limits, so the nesting check rejects it"),
            ("ndarray-invalid-json-v0-ndim-before-nesting",
             "v0 json, no shape: data nested 65 deep in its first item, a leaf after it",
             [_nest(1.5, 64), 2.5], "float64", "E_LIMIT_EXCEEDED", "limits.ndim",
             "the first item nested 64 more levels (inferred shape of 65 entries), the second a leaf")]:
        env = without(env_json_raw(data, None, dtype), "codecVersion", "shape")
        S.invalid(vid, desc, [first_cl] + V0 + ["ndarray.json.nesting"], J(env), code, hand(why),
                  schema_valid=True, tags=PO)

    def arrow_v0(vid, desc, payload, expr, shape, code, first_cl, why, more=()):
        env = without(env_arrow_raw(payload, shape, None), "codecVersion")
        S.invalid(vid, desc, [first_cl] + V0 + list(more), J(env), code, src(expr, why),
                  schema_valid=True, tags=PO)

    f3 = "np.arange(3.0)"
    big = [2**28]
    arrow_v0("ndarray-invalid-arrow-v0-no-dtype-bytes-before-length",
             "v0 arrow float64 of 3 rows, no dtype, shape [2^28]: 2^31 bytes", producer_payload(run(f3)),
             f3, big, "E_LIMIT_EXCEEDED", "limits.decoded-bytes",
             "codecVersion and dtype removed, shape [268435456]", ["ndarray.arrow.length"])
    nx = "pa.array([1.0, None, 3.0])"
    arrow_v0("ndarray-invalid-arrow-v0-no-dtype-bytes-before-nulls",
             "v0 arrow float64 with a null, no dtype, shape [2^28]", column_stream(run(nx)), nx, big,
             "E_LIMIT_EXCEEDED", "limits.decoded-bytes", "one-column stream; no codecVersion or dtype, "
             "shape [268435456]", ["ndarray.arrow.nulls"])
    bx = "np.array([True, False, True])"
    arrow_v0("ndarray-invalid-arrow-v0-no-dtype-bool-within-bytes",
             "v0 arrow bool of 3 rows, no dtype, shape [2^28]: 2^28 bytes pass", producer_payload(run(bx)),
             bx, big, "E_SHAPE_MISMATCH", "ndarray.arrow.length",
             "codecVersion and dtype removed, shape [268435456]", ["limits.decoded-bytes"])
    vx = "pa.array(np.arange(3.0))"
    arrow_v0("ndarray-invalid-arrow-v0-no-dtype-schema-before-bytes",
             "v0 arrow float64 column named values, no dtype, shape [2^28]",
             column_stream(run(vx), name="values"), vx, big, "E_ARROW_SCHEMA", "ndarray.arrow.schema",
             "column named values; no codecVersion or dtype, shape [268435456]", ["limits.decoded-bytes"])
    ux = "np.array(['a', 'bc'])"
    arrow_v0("ndarray-invalid-arrow-v0-no-dtype-utf8-before-bytes",
             "v0 arrow Utf8 column, no dtype, shape [2^28]: no dtype to size it",
             producer_payload(run(ux)), ux, big, "E_MISSING_FIELD", "ndarray.legacy-v0",
             "codecVersion and dtype removed, shape [268435456]", ["ndarray.arrow.type", "limits.decoded-bytes"])
    P = producer_payload(run(f3))
    arrow_v0("ndarray-invalid-arrow-v0-no-dtype-payload-before-bytes",
             "v0 arrow truncated stream, no dtype, shape [2^28]", P[:-8], f3, big, "E_ARROW_PAYLOAD",
             "ndarray.arrow.stream", "end-of-stream marker cut off; no codecVersion or dtype, shape "
             "[268435456]", ["limits.decoded-bytes"])
    arrow_v0("ndarray-invalid-arrow-v0-no-dtype-elements-first",
             "v0 arrow truncated stream, no dtype, shape [2^28 + 1]: elements are checked at once",
             P[:-8], f3, [2**28 + 1], "E_LIMIT_EXCEEDED", "limits.elements",
             "end-of-stream marker cut off; no codecVersion or dtype, shape [268435457]",
             ["ndarray.arrow.stream"])


# One array per row of the dtype table with an Arrow type that gives the dtype (every row but
# <U{n} and |S{n}, whose v0 rows are the Utf8 and Binary vectors of ndarray_member_vectors).
V0_ROW_ARRAYS = [
    ("bool", "np.array([True, False, True])"),
    ("int8", "np.array([-128, 0, 127], dtype=np.int8)"),
    ("int16", "np.array([-32768, 0, 32767], dtype=np.int16)"),
    ("int32", "np.array([-2**31, 0, 2**31 - 1], dtype=np.int32)"),
    ("int64", "np.array([-2**63, 0, 2**63 - 1])"),
    ("uint8", "np.array([0, 1, 255], dtype=np.uint8)"),
    ("uint16", "np.array([0, 1, 65535], dtype=np.uint16)"),
    ("uint32", "np.array([0, 1, 2**32 - 1], dtype=np.uint32)"),
    ("uint64", "np.array([0, 1, 2**64 - 1], dtype=np.uint64)"),
    ("float16", "np.array([1.5, -2.25, 0.0], dtype=np.float16)"),
    ("float32", "np.array([1.5, -2.25, 0.0], dtype=np.float32)"),
    ("float64", "np.array([1.5, -2.25, 0.0])"),
    ("datetime64-s", "np.array(['1970-01-01T00:00:00', '2024-01-02T03:04:05'], dtype='datetime64[s]')"),
    ("datetime64-ms", "np.array(['2024-01-02T03:04:05.123'], dtype='datetime64[ms]')"),
    ("datetime64-us", "np.array(['2024-01-02T03:04:05.123456'], dtype='datetime64[us]')"),
    ("datetime64-ns", "np.array(['2024-01-02T03:04:05.123456789'], dtype='datetime64[ns]')"),
    ("datetime64-d", "np.array(['1970-01-01', '2024-02-29'], dtype='datetime64[D]')"),
    ("timedelta64-s", "np.array([0, 5, -3], dtype='timedelta64[s]')"),
    ("timedelta64-ms", "np.array([0, 5, -3], dtype='timedelta64[ms]')"),
    ("timedelta64-us", "np.array([0, 5, -3], dtype='timedelta64[us]')"),
    ("timedelta64-ns", "np.array([0, 5, -3], dtype='timedelta64[ns]')"),
]


def v0_row_vectors(S: Suite):
    """[ndarray.legacy-v0] row by row: a v0 arrow envelope without dtype, its shape at the edge of
    max_decoded_bytes (2^28) for the item size of the dtype the Arrow type gives. With
    2^28 / size elements the bytes pass and the length (the array's own) does not match:
    E_SHAPE_MISMATCH; with one more the bytes are over: E_LIMIT_EXCEEDED (for an item size of 1
    max_elements, 2^28, is reached first). A decoder that recovers the wrong dtype, or none,
    or sizes it wrongly, answers otherwise."""
    V0 = ["ndarray.legacy-v0", "envelope.legacy-v0"]
    limit = 2**28
    for slug, expr in V0_ROW_ARRAYS:
        a = run(expr)
        row = f"ndarray.legacy-v0[{dtype_row(a.dtype)}]"
        size = a.dtype.itemsize
        env = without(arrow_env(a), "codecVersion", "dtype")
        n = limit // size
        S.invalid(f"ndarray-invalid-arrow-v0-no-dtype-{slug}-bytes-at-limit",
                  f"v0 arrow {a.dtype} of {a.size} rows, no dtype, shape [{n}]: {n * size} bytes pass",
                  ["ndarray.arrow.length", row] + V0 + ["ndarray.arrow.type", "limits.decoded-bytes"],
                  J(with_(env, shape=[n])), "E_SHAPE_MISMATCH",
                  src(expr, f"codecVersion and dtype removed, shape [{n}]"), schema_valid=True)
        if size == 1:
            continue
        S.invalid(f"ndarray-invalid-arrow-v0-no-dtype-{slug}-bytes-over-limit",
                  f"v0 arrow {a.dtype} of {a.size} rows, no dtype, shape [{n + 1}]: "
                  f"{(n + 1) * size} bytes",
                  ["limits.decoded-bytes", row] + V0 + ["ndarray.arrow.type", "ndarray.arrow.length"],
                  J(with_(env, shape=[n + 1])), "E_LIMIT_EXCEEDED",
                  src(expr, f"codecVersion and dtype removed, shape [{n + 1}]"), schema_valid=True)
