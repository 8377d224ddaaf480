"""Invalid scipy.sparse vectors: each breaks one rule of spec/src/scipy-sparse.md (or of the
envelope and JSON pages, where a sparse envelope meets them), in processing order.

Almost all are one mutation of the producer's envelope of a real scipy object (`source.mutation`);
hostile inputs (huge arrays, shapes that would size an allocation) are hand-written with a budget.

`schemaValid` is set by reasoning about what schemas/v1/scipy-sparse.schema.json can check:
member names and JSON types, the marker, codecVersion, encoding, format, which members each
format has and requires, the dtype name, a shape of two integers in [0, 2^53-1], the JSON type
and integer range (or float bound) of each `data` item for the dtype, and each index item as an
integer in [0, 2^53-1]. It cannot check lengths against nnz and shape, indptr's rise, indices
against the shape, float32 exactness or the limits: those vectors are schemaValid true.
"""

from __future__ import annotations

import json

from .common import HOSTILE_BUDGET, MAX_SAFE, J, Suite, T, dumps_env, hand, with_, without
from .scipy_sparse_producer import env_raw, run, sparse_env, src

D23 = "np.array([[0, 1.5, 0], [2.0, 0, -1.0]])"
CSR_EXPR = f"sp.csr_matrix({D23})"
COO_EXPR = f"sp.coo_array({D23})"
CSC_EXPR = f"sp.csc_matrix({D23})"
BIG_BUDGET = {"wall_ms": 20000, "rss_mb": 1024}


def invalid_vectors(S: Suite):
    text_vectors(S)
    long_list_vectors(S)
    envelope_vectors(S)
    format_member_vectors(S)
    dtype_shape_vectors(S)
    array_vectors(S)
    value_vectors(S)
    index_vectors(S)
    hostile_vectors(S)


def _envs():
    csr, coo, csc = (sparse_env(run(e)) for e in (CSR_EXPR, COO_EXPR, CSC_EXPR))
    assert csr["indices"] == [1, 0, 2] and csr["indptr"] == [0, 1, 3], csr
    assert coo["row"] == [0, 1, 1] and coo["col"] == [1, 0, 2], coo
    assert csc["data"] == [2.0, 1.5, -1.0] and csc["indices"] == [1, 0, 1] and \
        csc["indptr"] == [0, 1, 2, 3], csc
    return csr, coo, csc


def _expr(env):
    return {"csr": CSR_EXPR, "coo": COO_EXPR, "csc": CSC_EXPR}[env["format"]]


def text_vectors(S: Suite):
    csr, _, _ = _envs()
    plain = dumps_env(csr)
    why = f"hand-edited JSON text of the producer's envelope for {CSR_EXPR}"
    S.invalid("sparse-invalid-json-nan-literal",
              "NaN literal in sparse data, as tywrap writes with allow_nan=True",
              ["json.syntax", "sparse.values"], T(plain.replace("[1.5, 2.0, -1.0]", "[NaN, 2.0, -1.0]")),
              "E_JSON_SYNTAX", hand("tywrap's encode_value(..., allow_nan=True) writes NaN for "
                                    "sp.csr_matrix(np.array([[np.nan, 0], [0, 1.0]])); " + why))
    S.invalid("sparse-invalid-json-infinity-index", "Infinity literal as an index",
              ["json.syntax", "sparse.index-values"],
              T(plain.replace('"indices": [1, 0, 2]', '"indices": [1, 0, Infinity]')), "E_JSON_SYNTAX",
              hand(why))
    S.invalid("sparse-invalid-json-duplicate-format", "member format twice, csr then coo",
              ["json.duplicate-keys", "sparse.format"], T(plain[:-1] + ', "format": "coo"}'),
              "E_JSON_DUPLICATE_KEY", hand(why))
    S.invalid("sparse-invalid-json-duplicate-escaped-indptr", "indptr and ind\\u0070tr are one name",
              ["json.duplicate-keys"], T(plain[:-1] + ', "ind\\u0070tr": [0, 1, 3]}'),
              "E_JSON_DUPLICATE_KEY", hand(why))
    S.invalid("sparse-invalid-json-depth-129-in-data", "sparse data nested to depth 129",
              ["json.depth", "limits.depth", "limits.conformance-defaults", "sparse.values"],
              T(plain.replace("[1.5, 2.0, -1.0]", "[1.5, 2.0, " + "[" * 127 + "]" * 127 + "]")),
              "E_LIMIT_EXCEEDED", hand(why + ", one data item nested deeply"), tags=["boundary"])
    S.invalid("sparse-invalid-json-trailing-comma-indices", "trailing comma inside indices",
              ["json.syntax"], T(plain.replace("[1, 0, 2]", "[1, 0, 2,]")), "E_JSON_SYNTAX", hand(why))
    # A member named data outside the ndarray json envelope is validated with the
    # rest of the text, even when it comes after the marker and the encoding, and
    # even when other members hold the strings "ndarray" and "json".
    assert plain.index('"encoding"') < plain.index('"data"') and '"data": [1.5, 2.0, -1.0]' in plain, plain
    S.invalid("sparse-invalid-json-data-bare-t", "sparse data with a bare t among its numbers",
              ["json.syntax", "sparse.values"], T(plain.replace("[1.5, 2.0, -1.0]", "[1.5, t]")),
              "E_JSON_SYNTAX", hand(why))
    S.invalid("sparse-invalid-json-data-bare-t-ndarray-strings",
              "sparse data with a bare t, after x- members holding \"ndarray\" and \"json\"",
              ["json.syntax", "sparse.values", "envelope.extension-members"],
              T(plain.replace('"data": [1.5, 2.0, -1.0]', '"x-a": "ndarray", "x-b": "json", "data": [1.5, t]')),
              "E_JSON_SYNTAX", hand(why))


def long_list_vectors(S: Suite):
    """A fault inside a long list of plain integers, as Python's json writes an index array
    (`0, 0, 0`): a decoder that reads such lists many bytes at a time still finds it
    ([json.syntax]); the row array of a 1x50 coo matrix, 20 items before the fault."""
    expr = "sp.coo_array(np.arange(1, 51, dtype=np.float64).reshape(1, 50))"
    plain = dumps_env(sparse_env(run(expr)))
    row = "[" + ", ".join(["0"] * 50) + "]"
    assert '"row": ' + row in plain, plain
    # As json.dumps writes a list (", "), then without spaces, as JSON.stringify writes it.
    for sep, kind, how, faults in [
            (", ", "", "written as json.dumps writes it",
             [("leading-zero", "an item 00", "00"),
              ("empty-item", "two commas with a space between", "0, ,"),
              ("double-comma", "two commas", "0,,"),
              ("space-between-digits", "an item 0 0", "0 0"),
              ("letter-in-item", "an item 0x1", "0x1"),
              ("colon-in-item", "an item 1:1 (':' follows '9' in ASCII)", "1:1")]),
            (",", "compact-", "written without spaces (0,0,0)",
             [("letter-in-item", "an item 0x1", "0x1"),
              ("space-between-digits", "an item 0 0", "0 0"),
              ("leading-zero", "an item 00", "00")])]:
        for vid, desc, fault in faults:
            bad = "[" + sep.join(["0"] * 20) + sep + fault + sep + sep.join(["0"] * 29) + "]"
            S.invalid(f"sparse-invalid-json-row-long-{kind}{vid}",
                      f"a coo row of 50 zeros {how}, the 21st {desc}",
                      ["json.syntax", "sparse.index-values"], T(plain.replace('"row": ' + row, '"row": ' + bad)),
                      "E_JSON_SYNTAX", hand(f"hand-edited JSON text of the producer's envelope for {expr}"))


def envelope_vectors(S: Suite):
    csr, coo, _ = _envs()
    mut = lambda m, e=csr: src(_expr(e), m)  # noqa: E731
    S.invalid("sparse-invalid-marker-sparse", "marker \"sparse\" instead of \"scipy.sparse\"",
              ["envelope.marker"], J(with_(csr, __tywrap__="sparse")), "E_UNKNOWN_MARKER",
              mut("__tywrap__ scipy.sparse -> sparse"), schema_valid=False)
    S.invalid("sparse-invalid-marker-scipy-sparse-upper", "marker \"scipy.SPARSE\"",
              ["envelope.marker"], J(with_(csr, __tywrap__="scipy.SPARSE")), "E_UNKNOWN_MARKER",
              mut("__tywrap__ scipy.sparse -> scipy.SPARSE"), schema_valid=False)
    S.invalid("sparse-invalid-codec-version-2", "sparse envelope with codecVersion 2",
              ["envelope.codec-version"], J(with_(csr, codecVersion=2)), "E_CODEC_VERSION",
              mut("codecVersion 1 -> 2"), schema_valid=False)
    S.invalid("sparse-invalid-codec-version-string", "sparse envelope with codecVersion \"1\"",
              ["envelope.codec-version"], J(with_(coo, codecVersion="1")), "E_CODEC_VERSION",
              mut("codecVersion 1 -> \"1\"", coo), schema_valid=False)
    S.invalid("sparse-invalid-encoding-missing", "sparse envelope without encoding",
              ["envelope.encoding", "envelope.required-fields"], J(without(csr, "encoding")),
              "E_MISSING_FIELD", mut("encoding removed"), schema_valid=False)
    S.invalid("sparse-invalid-encoding-number", "sparse envelope with encoding 5",
              ["envelope.encoding", "envelope.field-types"], J(with_(csr, encoding=5)), "E_FIELD_TYPE",
              mut("encoding \"json\" -> 5"), schema_valid=False)
    for vid, v, first in [("arrow", "arrow", "sparse.encodings"), ("ndarray", "ndarray", "sparse.encodings"),
                          ("json-upper", "JSON", "sparse.encodings"),
                          ("base64", "base64", "envelope.encoding")]:
        other = "envelope.encoding" if first == "sparse.encodings" else "sparse.encodings"
        S.invalid(f"sparse-invalid-encoding-{vid}", f"sparse envelope with encoding {v!r}", [first, other],
                  J(with_(csr, encoding=v)), "E_ENCODING_UNSUPPORTED", mut(f"encoding \"json\" -> {v!r}"),
                  schema_valid=False)
    S.invalid("sparse-invalid-encoding-before-format", "encoding msgpack and format dia",
              ["sparse.encodings", "sparse.format"], J(with_(csr, encoding="msgpack", format="dia")),
              "E_ENCODING_UNSUPPORTED", mut("encoding msgpack, format dia"), schema_valid=False,
              tags=["processing-order"])
    UF = ["envelope.unknown-fields"]
    for vid, desc, env, m in [
            ("order", "csr envelope with an unknown member order", with_(csr, order="C"), "order added"),
            ("b64", "csr envelope with an ndarray member b64", with_(csr, b64="AAAA"), "b64 added"),
            ("nnz", "csr envelope with a member nnz", with_(csr, nnz=3), "nnz added"),
            ("offsets", "csr envelope with dia's member offsets", with_(csr, offsets=[0]), "offsets added"),
            ("has-sorted-indices", "csr envelope with a member has_sorted_indices",
             with_(csr, has_sorted_indices=False), "has_sorted_indices added")]:
        S.invalid(f"sparse-invalid-unknown-member-{vid}", desc, UF, J(env), "E_UNKNOWN_FIELD", mut(m),
                  schema_valid=False)
    S.invalid("sparse-invalid-unknown-member-before-format",
              "dia envelope with offsets: the unknown member is reported before the format",
              UF + ["sparse.format"], J(with_(csr, format="dia", offsets=[0, 1])), "E_UNKNOWN_FIELD",
              mut("format dia, offsets added"), schema_valid=False, tags=["processing-order"])
    S.invalid("sparse-invalid-codec-version-before-members", "codecVersion 2 and a member row in csr",
              ["envelope.codec-version", "sparse.members"], J(with_(csr, codecVersion=2, row=[0, 1, 1])),
              "E_CODEC_VERSION", mut("codecVersion 2, row added"), schema_valid=False,
              tags=["processing-order"])


def format_member_vectors(S: Suite):
    csr, coo, csc = _envs()
    mut = lambda m, e=csr: src(_expr(e), m)  # noqa: E731
    S.invalid("sparse-invalid-format-missing", "sparse envelope without format",
              ["sparse.format", "envelope.required-fields"], J(without(csr, "format")), "E_MISSING_FIELD",
              mut("format removed"), schema_valid=False)
    S.invalid("sparse-invalid-format-missing-v0", "v0 sparse envelope without format",
              ["sparse.format", "envelope.legacy-v0"], J(without(coo, "format", "codecVersion")),
              "E_MISSING_FIELD", mut("format and codecVersion removed", coo), schema_valid=False)
    for vid, v in [("number", 5), ("null", None), ("array", ["csr"]), ("true", True), ("object", {"csr": 1})]:
        S.invalid(f"sparse-invalid-format-{vid}", f"sparse format {json.dumps(v)}",
                  ["sparse.format", "envelope.field-types"], J(with_(csr, format=v)), "E_FIELD_TYPE",
                  mut(f"format \"csr\" -> {json.dumps(v)}"), schema_valid=False)
    for vid, v in [("dia", "dia"), ("bsr", "bsr"), ("lil", "lil"), ("dok", "dok"), ("upper", "CSR"),
                   ("csr-matrix", "csr_matrix"), ("empty", ""), ("trailing-space", "csr "),
                   ("coo-upper", "COO"), ("sparse-csr", "scipy.sparse.csr")]:
        S.invalid(f"sparse-invalid-format-{vid}", f"sparse format {v!r}", ["sparse.format"],
                  J(with_(csr, format=v)), "E_FORMAT_UNSUPPORTED", mut(f"format \"csr\" -> {v!r}"),
                  schema_valid=False)
    S.invalid("sparse-invalid-format-before-required", "format dia with shape missing",
              ["sparse.format", "sparse.required"], J(without(with_(csr, format="dia"), "shape")),
              "E_FORMAT_UNSUPPORTED", mut("format dia, shape removed"), schema_valid=False,
              tags=["processing-order"])
    S.invalid("sparse-invalid-format-missing-before-dtype", "format missing and dtype complex128",
              ["sparse.format", "sparse.dtype"], J(with_(without(csr, "format"), dtype="complex128")),
              "E_MISSING_FIELD", mut("format removed, dtype complex128"), schema_valid=False,
              tags=["processing-order"])

    MEM = ["sparse.members"]
    for vid, desc, env, m, e in [
            ("csr-row", "csr envelope that also has row", with_(csr, row=[0, 1, 1]), "row added", csr),
            ("csr-col", "csr envelope that also has col", with_(csr, col=[1, 0, 2]), "col added", csr),
            ("csc-row-col", "csc envelope that also has row and col", with_(csc, row=[1, 0, 1], col=[0, 1, 2]),
             "row and col added", csc),
            ("coo-indices", "coo envelope that also has indices", with_(coo, indices=[1, 0, 2]),
             "indices added", coo),
            ("coo-indptr", "coo envelope that also has indptr", with_(coo, indptr=[0, 1, 3]),
             "indptr added", coo),
            ("csr-relabelled-coo", "coo envelope carrying indices and indptr (a relabelled csr)",
             with_(csr, format="coo"), "format csr -> coo", csr),
            ("coo-relabelled-csr", "csr envelope carrying row and col (a relabelled coo)",
             with_(coo, format="csr"), "format coo -> csr", coo),
            ("csr-row-null", "csr envelope with row null", with_(csr, row=None), "row: null added", csr)]:
        tags = ["processing-order"] if "relabelled" in vid else None
        S.invalid(f"sparse-invalid-members-{vid}", desc, MEM + ["envelope.unknown-fields"], J(env),
                  "E_UNKNOWN_FIELD", src(_expr(e), m), schema_valid=False, tags=tags)
    S.invalid("sparse-invalid-members-v0-coo-indptr", "v0 coo envelope that also has indptr",
              MEM + ["envelope.legacy-v0", "sparse.legacy-v0"],
              J(with_(without(coo, "codecVersion"), indptr=[0, 3])), "E_UNKNOWN_FIELD",
              mut("codecVersion removed, indptr added", coo), schema_valid=False)
    S.invalid("sparse-invalid-members-before-required", "coo with indices but without row",
              MEM + ["sparse.required"], J(with_(without(coo, "row"), indices=[0, 1, 1])),
              "E_UNKNOWN_FIELD", mut("row renamed indices", coo), schema_valid=False,
              tags=["processing-order"])

    REQ = ["sparse.required", "envelope.required-fields"]
    for vid, env, e in [("shape", csr, csr), ("dtype", csr, csr), ("data", csr, csr), ("indices", csr, csr),
                        ("indptr", csr, csr), ("csc-indptr", csc, csc), ("row", coo, coo), ("col", coo, coo),
                        ("coo-data", coo, coo)]:
        member = vid.split("-")[-1]
        S.invalid(f"sparse-invalid-required-{vid}", f"{env['format']} envelope without {member}", REQ,
                  J(without(env, member)), "E_MISSING_FIELD", src(_expr(e), f"{member} removed"),
                  schema_valid=False)
    S.invalid("sparse-invalid-required-all", "csr envelope with only the common members and format",
              REQ, J(without(csr, "shape", "dtype", "data", "indices", "indptr")), "E_MISSING_FIELD",
              mut("shape, dtype, data, indices and indptr removed"), schema_valid=False)
    S.invalid("sparse-invalid-required-before-shape-type", "dtype missing and shape \"2x3\"",
              REQ + ["sparse.shape"], J(with_(without(csr, "dtype"), shape="2x3")), "E_MISSING_FIELD",
              mut("dtype removed, shape \"2x3\""), schema_valid=False, tags=["processing-order"])
    S.invalid("sparse-invalid-required-null-is-present", "csr envelope with dtype null (present, wrong type)",
              ["sparse.dtype", "envelope.required-fields", "envelope.field-types"], J(with_(csr, dtype=None)),
              "E_FIELD_TYPE", mut("dtype \"float64\" -> null"), schema_valid=False)

    V0 = ["sparse.legacy-v0", "envelope.legacy-v0", "sparse.required"]
    for vid, env, drop in [("csr-no-dtype", csr, "dtype"), ("csr-no-shape", csr, "shape"),
                           ("coo-no-dtype", coo, "dtype"), ("csc-no-indptr", csc, "indptr"),
                           ("coo-no-col", coo, "col")]:
        S.invalid(f"sparse-invalid-v0-{vid}", f"v0 {env['format']} envelope without {drop}", V0,
                  J(without(env, "codecVersion", drop)), "E_MISSING_FIELD",
                  src(_expr(env), f"codecVersion and {drop} removed"), schema_valid=False)
    S.invalid("sparse-invalid-v0-no-dtype-no-shape", "v0 csr envelope without dtype and shape, as tywrap "
              "reads leniently", V0, J(without(csr, "codecVersion", "dtype", "shape")), "E_MISSING_FIELD",
              mut("codecVersion, dtype and shape removed"), schema_valid=False)


def dtype_shape_vectors(S: Suite):
    csr, coo, _ = _envs()
    mut = lambda m, e=csr: src(_expr(e), m)  # noqa: E731
    for vid, v in [("number", 5), ("array", ["float64"]), ("true", True), ("object", {"name": "float64"})]:
        S.invalid(f"sparse-invalid-dtype-type-{vid}", f"sparse dtype {json.dumps(v)}",
                  ["sparse.dtype", "envelope.field-types"], J(with_(csr, dtype=v)), "E_FIELD_TYPE",
                  mut(f"dtype \"float64\" -> {json.dumps(v)}"), schema_valid=False)
    for vid, v in [("complex128", "complex128"), ("complex64", "complex64"), ("str", "<U2"),
                   ("bytes", "|S2"), ("datetime64-ns", "datetime64[ns]"), ("timedelta64-s", "timedelta64[s]"),
                   ("float", "float"), ("f8", "f8"), ("little-f8", "<f8"), ("big-endian", ">f8"),
                   ("float128", "float128"), ("longdouble", "longdouble"), ("object", "object"),
                   ("uppercase", "Float64"), ("empty", ""), ("bool-underscore", "bool_"),
                   ("bfloat16", "bfloat16"), ("float16", "float16")]:
        why = " (scipy cannot hold it)" if v == "float16" else ""
        S.invalid(f"sparse-invalid-dtype-{vid}", f"sparse dtype {v!r}{why}", ["sparse.dtype"],
                  J(with_(csr, dtype=v)), "E_DTYPE_UNSUPPORTED", mut(f"dtype \"float64\" -> {v!r}"),
                  schema_valid=False)
    S.invalid("sparse-invalid-dtype-complex128-strings",
              "complex128 with string data, which tywrap's decoder lets through", ["sparse.dtype"],
              J(with_(csr, dtype="complex128", data=["(1.5+0j)", "(2+0j)", "(-1+1j)"])),
              "E_DTYPE_UNSUPPORTED", hand("the envelope a lenient producer would write for a complex "
                                          "matrix with the json codec; sciwire producers refuse it"),
              schema_valid=False)
    S.invalid("sparse-invalid-dtype-float16-exact-values", "float16 dtype with values exact in float16",
              ["sparse.dtype"],
              J(with_(sparse_env(run("sp.csr_matrix(np.array([[1.5, 0], [0, -2.25]], dtype=np.float32))")),
                      dtype="float16")), "E_DTYPE_UNSUPPORTED",
              src("sp.csr_matrix(np.array([[1.5, 0], [0, -2.25]], dtype=np.float32))",
                  "dtype float32 -> float16"), schema_valid=False)
    S.invalid("sparse-invalid-dtype-before-shape", "dtype complex128 and shape [-1, 2]",
              ["sparse.dtype", "sparse.shape"], J(with_(csr, dtype="complex128", shape=[-1, 2])),
              "E_DTYPE_UNSUPPORTED", mut("dtype complex128, shape [-1, 2]"), schema_valid=False,
              tags=["processing-order"])

    for vid, v in [("string", "2x3"), ("number", 6), ("null", None), ("object", {"rows": 2, "cols": 3}),
                   ("true", True)]:
        S.invalid(f"sparse-invalid-shape-{vid}", f"sparse shape {json.dumps(v)}",
                  ["sparse.shape", "envelope.field-types"], J(with_(csr, shape=v)), "E_FIELD_TYPE",
                  mut(f"shape [2, 3] -> {json.dumps(v)}"), schema_valid=False)
    for vid, v, env in [("one-entry", [3], csr), ("three-entries", [2, 3, 4], csr), ("empty", [], csr),
                        ("negative", [-1, 2], coo), ("fraction", [1.5, 2], coo), ("string-item", ["2", 3], csr),
                        ("null-item", [2, None], csr), ("true-item", [True, 3], coo),
                        ("nested", [[2], 3], csr), ("2-53", [2, 2**53], coo),
                        ("negative-fraction", [2, -0.5], csr)]:
        S.invalid(f"sparse-invalid-shape-{vid}", f"sparse shape {json.dumps(v)}", ["sparse.shape"],
                  J(with_(env, shape=v)), "E_SHAPE_INVALID",
                  src(_expr(env), f"shape [2, 3] -> {json.dumps(v)}"), schema_valid=False)
    plain = dumps_env(coo)
    for vid, desc, text in [
            ("1e400", "sparse shape [1e400, 3]: a number without a value",
             plain.replace('"shape": [2, 3]', '"shape": [1e400, 3]')),
            ("rounds-to-2-53", "sparse shape entry 9007199254740993 denotes 2^53",
             plain.replace('"shape": [2, 3]', '"shape": [2, 9007199254740993]'))]:
        S.invalid(f"sparse-invalid-shape-{vid}", desc, ["sparse.shape", "json.numbers"], T(text),
                  "E_SHAPE_INVALID", hand(f"hand-edited JSON text of the producer's envelope for {COO_EXPR}"))
    S.invalid("sparse-invalid-shape-before-arrays", "shape [3] and data \"x\"",
              ["sparse.shape", "sparse.arrays"], J(with_(csr, shape=[3], data="x")), "E_SHAPE_INVALID",
              mut("shape [3], data \"x\""), schema_valid=False, tags=["processing-order"])


def array_vectors(S: Suite):
    csr, coo, _ = _envs()
    AR = ["sparse.arrays", "envelope.field-types"]
    for vid, env, member, v in [
            ("data-string", csr, "data", "1.5,2.0,-1.0"), ("data-null", csr, "data", None),
            ("data-number", coo, "data", 1.5), ("data-object", csr, "data", {"0": 1.5}),
            ("indices-string", csr, "indices", "1 0 2"), ("indices-null", csr, "indices", None),
            ("indptr-number", csr, "indptr", 3), ("indptr-object", csr, "indptr", {}),
            ("row-string", coo, "row", "0"), ("col-null", coo, "col", None), ("col-true", coo, "col", True)]:
        S.invalid(f"sparse-invalid-arrays-{vid}", f"{env['format']} {member} {json.dumps(v)}", AR,
                  J(with_(env, **{member: v})), "E_FIELD_TYPE",
                  src(_expr(env), f"{member} -> {json.dumps(v)}"), schema_valid=False)
    S.invalid("sparse-invalid-arrays-data-before-indices", "csr data null and indices \"x\": data is checked first",
              AR, J(with_(csr, data=None, indices="x")), "E_FIELD_TYPE",
              src(CSR_EXPR, "data null, indices \"x\""), schema_valid=False, tags=["processing-order"])
    S.invalid("sparse-invalid-arrays-before-lengths", "coo col null with row one item short",
              AR + ["sparse.lengths"], J(with_(coo, row=[0, 1], col=None)), "E_FIELD_TYPE",
              src(COO_EXPR, "row [0, 1, 1] -> [0, 1], col null"), schema_valid=False,
              tags=["processing-order"])

    LEN = ["sparse.lengths"]
    for vid, env, member, v in [
            ("indices-short", csr, "indices", [1, 0]), ("indices-long", csr, "indices", [1, 0, 2, 0]),
            ("indptr-short", csr, "indptr", [0, 3]), ("indptr-long", csr, "indptr", [0, 1, 3, 3]),
            ("indptr-empty", csr, "indptr", []), ("row-short", coo, "row", [0, 1]),
            ("col-long", coo, "col", [1, 0, 2, 2]), ("row-col-empty", coo, "row", [])]:
        e2 = with_(env, **{member: v})
        if vid == "row-col-empty":
            e2 = with_(env, row=[], col=[])
        S.invalid(f"sparse-invalid-lengths-{vid}",
                  f"{env['format']} {'row and col' if vid == 'row-col-empty' else member} {v} with nnz 3",
                  LEN, J(e2), "E_SHAPE_MISMATCH", src(_expr(env), f"{member} {env[member]} -> {v}"),
                  schema_valid=True)
    S.invalid("sparse-invalid-lengths-csr-relabelled-csc", "2x3 csr relabelled csc: indptr needs 4 items",
              LEN, J(with_(csr, format="csc")), "E_SHAPE_MISMATCH", src(CSR_EXPR, "format csr -> csc"),
              schema_valid=True)
    S.invalid("sparse-invalid-lengths-shape-transposed", "csr shape [3, 2] for indptr of 3 items",
              LEN, J(with_(csr, shape=[3, 2])), "E_SHAPE_MISMATCH", src(CSR_EXPR, "shape [2, 3] -> [3, 2]"),
              schema_valid=True)
    S.invalid("sparse-invalid-lengths-data-short", "csr data of two items with three indices",
              LEN, J(with_(csr, data=[1.5, 2.0])), "E_SHAPE_MISMATCH", src(CSR_EXPR, "last data item removed"),
              schema_valid=True)
    S.invalid("sparse-invalid-lengths-before-values", "indices one short and a string in data",
              LEN + ["sparse.values"], J(with_(csr, indices=[1, 0], data=[1.5, "2.0", -1.0])),
              "E_SHAPE_MISMATCH", src(CSR_EXPR, "indices [1, 0, 2] -> [1, 0], data item \"2.0\""),
              schema_valid=False, tags=["processing-order"])
    S.invalid("sparse-invalid-lengths-before-index-values", "coo col one long, holding -1",
              LEN + ["sparse.index-values"], J(with_(coo, col=[1, 0, 2, -1])), "E_SHAPE_MISMATCH",
              src(COO_EXPR, "col [1, 0, 2] -> [1, 0, 2, -1]"), schema_valid=False, tags=["processing-order"])


def _dtype_env(dtype, value_items):
    """A real csr_matrix of `dtype` with two entries, and its envelope."""
    expr = f"sp.csr_matrix(np.array([[{value_items[0]}, 0], [0, {value_items[1]}]], dtype=np.{dtype}))"
    return expr, sparse_env(run(expr))


def value_vectors(S: Suite):
    VA = ["sparse.values"]
    for vid, dtype, items, bad, sv in [
            ("float64-string", "float64", ("1.5", "2.5"), "2.5", False),
            ("float64-null", "float64", ("1.5", "2.5"), None, False),
            ("float64-true", "float64", ("1.5", "2.5"), True, False),
            ("float64-nested-array", "float64", ("1.5", "2.5"), [2.5], False),
            ("float64-object", "float64", ("1.5", "2.5"), {"v": 2.5}, False),
            ("int32-fraction", "int32", ("1", "2"), 1.5, False),
            ("int32-2-31", "int32", ("1", "2"), 2**31, False),
            ("int8-128", "int8", ("1", "2"), 128, False),
            ("int8-minus-129", "int8", ("1", "2"), -129, False),
            ("int16-32768", "int16", ("1", "2"), 32768, False),
            ("uint8-minus-1", "uint8", ("1", "2"), -1, False),
            ("uint8-256", "uint8", ("1", "2"), 256, False),
            ("uint16-65536", "uint16", ("1", "2"), 65536, False),
            ("uint32-2-32", "uint32", ("1", "2"), 2**32, False),
            ("int64-2-53", "int64", ("1", "2"), 2**53, False),
            ("int64-minus-2-53", "int64", ("1", "2"), -2**53, False),
            ("int64-max", "int64", ("1", "2"), 2**63 - 1, False),
            ("uint64-2-53", "uint64", ("1", "2"), 2**53, False),
            ("uint64-max", "uint64", ("1", "2"), 2**64 - 1, False),
            ("int64-string", "int64", ("1", "2"), "2", False),
            ("int32-true", "int32", ("1", "2"), True, False),
            ("float32-tenth", "float32", ("1.5", "2.5"), 0.1, True),
            ("float32-overflow", "float32", ("1.5", "2.5"), 1e39, False),
            ("float32-rounds-to-max", "float32", ("1.5", "2.5"), 3.4028235e38, False),
            ("float32-underflow", "float32", ("1.5", "2.5"), 1e-46, True),
            ("float32-2-24-plus-1", "float32", ("1.5", "2.5"), 2**24 + 1, True),
            ("bool-one", "bool", ("True", "True"), 1, False),
            ("bool-string", "bool", ("True", "True"), "true", False),
            ("bool-null", "bool", ("True", "True"), None, False)]:
        expr, env = _dtype_env(dtype, items)
        env2 = with_(env, data=[env["data"][0], bad])
        S.invalid(f"sparse-invalid-values-{vid}", f"{dtype} sparse data item {json.dumps(bad)}", VA, J(env2),
                  "E_VALUE_DOMAIN", src(expr, f"data item 2 -> {json.dumps(bad)}"), schema_valid=sv)
    # Items are counted before any is read ([sparse.limits]), 32 bytes at a time where a block
    # holds no bracket and no string: a long data array whose 41st item holds commas, brackets
    # and escapes inside a string, a nested array or an object has 50 items, as row and col do,
    # so the fault is that item's ([sparse.values]), not the lengths ([sparse.lengths]).
    lexpr = "sp.coo_array(np.arange(1, 51, dtype=np.float64).reshape(1, 50))"
    lenv = sparse_env(run(lexpr))
    assert lenv["data"] == [float(k) for k in range(1, 51)] and lenv["col"] == list(range(50)), lenv
    for vid, desc, bad in [
            ("long-string-commas", "a string of commas, brackets and escapes",
             "a, b], [c \" d \\ e, " + ",".join(["f"] * 30) + ", g"),
            ("long-nested-array", "an array of 30 numbers", [float(k) + 0.5 for k in range(30)]),
            ("long-object", "an object holding an array and a string with commas",
             {"a": [1, 2, 3], "b": "x, y], {z", "c": list(range(20))})]:
        data = lenv["data"][:40] + [bad] + lenv["data"][41:]
        S.invalid(f"sparse-invalid-values-float64-{vid}",
                  f"float64 coo data of 50 items, the 41st {desc}: counted as one item",
                  VA + ["sparse.limits", "sparse.lengths"], J(with_(lenv, data=data)), "E_VALUE_DOMAIN",
                  src(lexpr, f"data item 41 -> {desc}"), schema_valid=False)
    wexpr, wenv = _dtype_env("float64", ("1.5", "2.5"))
    wplain = dumps_env(wenv)
    assert '"data": [1.5, 2.5]' in wplain, wplain
    S.invalid("sparse-invalid-values-float64-string-after-whitespace",
              "float64 data [ 1.5, \"x\"] (a space after its bracket): two items, the second a string",
              VA + ["sparse.limits", "sparse.lengths"], T(wplain.replace('"data": [1.5, 2.5]', '"data": [ 1.5, "x"]')),
              "E_VALUE_DOMAIN", hand(f"hand-edited JSON text of the producer's envelope for {wexpr}"))
    S.invalid("sparse-invalid-values-float64-first-item-nested-array",
              "float64 coo data of 50 items, the first an array of two numbers: counted as one item",
              VA + ["sparse.limits", "sparse.lengths"], J(with_(lenv, data=[[0.5, 1.5]] + lenv["data"][1:])),
              "E_VALUE_DOMAIN", src(lexpr, "data item 1 -> [0.5, 1.5]"), schema_valid=False)
    texpr = "sp.csr_matrix(np.array([[2**53 + 1, 0]], dtype=np.int64))"
    tenv = env_raw("csr", [1, 2], "int64", [2**53 + 1], [0], [0, 1])
    S.invalid("sparse-invalid-values-int64-tywrap-unsafe", "int64 data 9007199254740993 as tywrap 0.10 writes it",
              VA, J(tenv), "E_VALUE_DOMAIN",
              src(texpr, "written as tywrap 0.10's producer writes it: the raw integer (a sciwire producer "
                         "refuses it)"), schema_valid=False)
    expr, env = _dtype_env("float64", ("1.5", "2.5"))
    plain = dumps_env(env)
    for vid, desc, num in [("float64-1e400", "float64 sparse data item 1e400, a number without a value", "1e400"),
                           ("float64-minus-1e400", "float64 sparse data item -1e400", "-1e400")]:
        S.invalid(f"sparse-invalid-values-{vid}", desc, VA + ["json.numbers"],
                  T(plain.replace("[1.5, 2.5]", f"[1.5, {num}]")), "E_VALUE_DOMAIN",
                  hand(f"hand-edited JSON text of the producer's envelope for {expr}"))
    iexpr, ienv = _dtype_env("int64", ("1", "2"))
    S.invalid("sparse-invalid-values-int64-rounds-to-2-53", "int64 sparse data 9007199254740993 denotes 2^53",
              VA + ["json.numbers"], T(dumps_env(ienv).replace("[1, 2]", "[1, 9007199254740993]")),
              "E_VALUE_DOMAIN", hand(f"hand-edited JSON text of the producer's envelope for {iexpr}"))
    csr, _, _ = _envs()
    S.invalid("sparse-invalid-values-before-index-values", "a string in data and -1 in indices",
              VA + ["sparse.index-values"], J(with_(csr, data=[1.5, "x", -1.0], indices=[1, -1, 2])),
              "E_VALUE_DOMAIN", src(CSR_EXPR, "data item 2 \"x\", indices item 2 -1"), schema_valid=False,
              tags=["processing-order"])
    S.invalid("sparse-invalid-values-before-indptr", "float32 data 0.1 and a decreasing indptr",
              VA + ["sparse.indptr"],
              J(with_(sparse_env(run("sp.csr_matrix(np.array([[0, 1.5, 0], [2.0, 0, -1.0]], "
                                     "dtype=np.float32))")), data=[1.5, 0.1, -1.0], indptr=[0, 3, 3])),
              "E_VALUE_DOMAIN", src("sp.csr_matrix(np.array([[0, 1.5, 0], [2.0, 0, -1.0]], dtype=np.float32))",
                                    "data item 2 -> 0.1, indptr [0, 1, 3] -> [0, 3, 3]"),
              schema_valid=True, tags=["processing-order"])


def index_vectors(S: Suite):
    csr, coo, csc = _envs()
    IV = ["sparse.index-values"]
    for vid, env, member, pos, bad in [
            ("indices-minus-1", csr, "indices", 2, -1), ("indices-fraction", csr, "indices", 0, 1.5),
            ("indices-string", csr, "indices", 1, "0"), ("indices-null", csr, "indices", 0, None),
            ("indices-true", csr, "indices", 0, True), ("indices-2-53", csr, "indices", 2, 2**53),
            ("indices-array", csr, "indices", 0, [1]),
            ("indptr-minus-1", csr, "indptr", 1, -1), ("indptr-fraction", csr, "indptr", 1, 0.5),
            ("indptr-string", csr, "indptr", 2, "3"), ("indptr-2-53", csr, "indptr", 2, 2**53),
            ("csc-indices-false", csc, "indices", 1, False),
            ("row-minus-1", coo, "row", 0, -1), ("row-null", coo, "row", 1, None),
            ("row-2-53", coo, "row", 2, 2**53), ("col-fraction", coo, "col", 0, 1.5),
            ("col-string", coo, "col", 2, "2"), ("col-object", coo, "col", 1, {})]:
        items = list(env[member])
        items[pos] = bad
        S.invalid(f"sparse-invalid-index-values-{vid}", f"{env['format']} {member} item {json.dumps(bad)}",
                  IV, J(with_(env, **{member: items})), "E_VALUE_DOMAIN",
                  src(_expr(env), f"{member} {env[member]} -> {json.dumps(items)}"), schema_valid=False)
    plain = dumps_env(coo)
    why = f"hand-edited JSON text of the producer's envelope for {COO_EXPR}"
    for vid, desc, text in [
            ("row-1e400", "coo row item 1e400, a number without a value",
             plain.replace('"row": [0, 1, 1]', '"row": [0, 1, 1e400]')),
            ("col-rounds-to-2-53", "coo col item 9007199254740993 denotes 2^53",
             plain.replace('"col": [1, 0, 2]', '"col": [1, 0, 9007199254740993]'))]:
        S.invalid(f"sparse-invalid-index-values-{vid}", desc, IV + ["json.numbers"], T(text), "E_VALUE_DOMAIN",
                  hand(why))
    S.invalid("sparse-invalid-index-values-before-indptr", "indptr [-1, 1, 3]: an index value error first",
              IV + ["sparse.indptr"], J(with_(csr, indptr=[-1, 1, 3])), "E_VALUE_DOMAIN",
              src(CSR_EXPR, "indptr [0, 1, 3] -> [-1, 1, 3]"), schema_valid=False, tags=["processing-order"])
    S.invalid("sparse-invalid-index-values-indptr-before-range", "indices [1, 0, 3] and indptr [0, 1.5, 3]",
              IV + ["sparse.index-range"], J(with_(csr, indices=[1, 0, 3], indptr=[0, 1.5, 3])),
              "E_VALUE_DOMAIN", src(CSR_EXPR, "indices item 3 -> 3, indptr item 2 -> 1.5"),
              schema_valid=False, tags=["processing-order"])

    IP = ["sparse.indptr"]
    for vid, env, v in [("not-from-0", csr, [1, 1, 3]), ("decreasing", csr, [0, 2, 1]),
                        ("last-below-nnz", csr, [0, 1, 2]), ("last-above-nnz", csr, [0, 1, 4]),
                        ("csc-decreasing", csc, [0, 2, 1, 3]), ("csc-not-from-0", csc, [1, 1, 2, 3]),
                        ("past-nnz-then-back", csr, [0, 4, 3])]:
        S.invalid(f"sparse-invalid-indptr-{vid}", f"{env['format']} indptr {v} with nnz 3", IP,
                  J(with_(env, indptr=v)), "E_SPARSE_INDEX", src(_expr(env), f"indptr {env['indptr']} -> {v}"),
                  schema_valid=True)
    e3 = sparse_env(run("sp.csr_matrix((3, 0))"))
    S.invalid("sparse-invalid-indptr-empty-nonzero", "csr 3x0 with no entries and indptr [0, 0, 0, 1]",
              IP, J(with_(e3, indptr=[0, 0, 0, 1])), "E_SPARSE_INDEX",
              src("sp.csr_matrix((3, 0))", "indptr [0, 0, 0, 0] -> [0, 0, 0, 1]"), schema_valid=True)
    S.invalid("sparse-invalid-indptr-before-range", "indptr ending at 2 and column index 3",
              IP + ["sparse.index-range"], J(with_(csr, indptr=[0, 1, 2], indices=[1, 0, 3])),
              "E_SPARSE_INDEX", src(CSR_EXPR, "indptr [0, 1, 2], indices item 3 -> 3"), schema_valid=True,
              tags=["processing-order"])

    IR = ["sparse.index-range"]
    for vid, env, member, items in [
            ("csr-column-equals-width", csr, "indices", [1, 0, 3]),
            ("csr-column-far", csr, "indices", [MAX_SAFE, 0, 2]),
            ("csc-row-equals-height", csc, "indices", [1, 0, 2]),
            ("coo-row-equals-height", coo, "row", [0, 1, 2]),
            ("coo-col-equals-width", coo, "col", [1, 0, 3])]:
        S.invalid(f"sparse-invalid-index-range-{vid}", f"{env['format']} {member} {items} in shape "
                  f"{env['shape']}", IR, J(with_(env, **{member: items})), "E_SPARSE_INDEX",
                  src(_expr(env), f"{member} {env[member]} -> {items}"), schema_valid=True)
    S.invalid("sparse-invalid-index-range-csr-narrower-shape", "csr column index 2 in shape [2, 2]",
              IR, J(with_(csr, shape=[2, 2])), "E_SPARSE_INDEX", src(CSR_EXPR, "shape [2, 3] -> [2, 2]"),
              schema_valid=True)
    for vid, desc, expr, m, env in [
            ("coo-zero-rows", "coo 0x3 with one stored entry at row 0", "sp.coo_matrix((0, 3))",
             "data [1.0], row [0], col [0]", env_raw("coo", [0, 3], "float64", [1.0], [0], [0])),
            ("coo-zero-cols", "coo 3x0 with one stored entry at column 0", "sp.coo_matrix((3, 0))",
             "data [1.0], row [0], col [0]", env_raw("coo", [3, 0], "float64", [1.0], [0], [0])),
            ("csr-zero-cols", "csr 3x0 with one stored entry in row 2", "sp.csr_matrix((3, 0))",
             "data [1.0], indices [0], indptr [0, 0, 0, 1]",
             env_raw("csr", [3, 0], "float64", [1.0], [0], [0, 0, 0, 1])),
            ("csc-zero-rows", "csc 0x2 with one stored entry in column 0", "sp.csc_matrix((0, 2))",
             "data [1.0], indices [0], indptr [0, 1, 1]",
             env_raw("csc", [0, 2], "float64", [1.0], [0], [0, 1, 1]))]:
        assert sparse_env(run(expr))["shape"] == env["shape"]
        S.invalid(f"sparse-invalid-index-range-{vid}", desc, IR, J(env), "E_SPARSE_INDEX", src(expr, m),
                  schema_valid=True, tags=["boundary"])


def hostile_vectors(S: Suite):
    """Inputs that would size an allocation: limits first, then nothing sized by the shape."""
    head = ('{"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "json", "format": "coo", '
            '"shape": [1, 1], "dtype": "float64", "data": [')
    n = 2**25 + 1  # float64: n * 8 = 2^28 + 8 bytes, one element past max_decoded_bytes
    S.invalid("sparse-invalid-limit-decoded-bytes-float64",
              "coo float64 data of 2^25+1 items: nnz x 8 bytes passes max_decoded_bytes",
              ["sparse.limits", "limits.decoded-bytes", "limits.conformance-defaults", "vector.input"],
              {"concat": [{"text": head}, {"text": "0,", "repeat": n - 1},
                          {"text": '0], "row": [0], "col": [0]}'}]},
              "E_LIMIT_EXCEEDED",
              hand("hostile: 64 MiB of float64 data for a 1x1 matrix; the items are counted "
                   "before any is stored"), budget=BIG_BUDGET, tags=["hostile", "boundary"])
    n = 2**25  # exactly max_decoded_bytes: the limit passes, then the lengths disagree
    S.invalid("sparse-invalid-lengths-at-decoded-bytes-limit",
              "coo float64 data of 2^25 items is exactly max_decoded_bytes; row has one item",
              ["sparse.lengths", "sparse.limits", "limits.decoded-bytes"],
              {"concat": [{"text": head}, {"text": "0,", "repeat": n - 1},
                          {"text": '0], "row": [0], "col": [0]}'}]},
              "E_SHAPE_MISMATCH", hand("hostile: 64 MiB of float64 data for a 1x1 matrix with one "
                                       "index; the limit is not exceeded"),
              budget=BIG_BUDGET, tags=["hostile", "boundary"])
    e = env_raw("csr", [MAX_SAFE, 3], "float64", [], [], [0])
    S.invalid("sparse-invalid-lengths-indptr-for-max-rows",
              "csr shape [2^53-1, 3] with indptr [0]: lengths compared, nothing allocated by the shape",
              ["sparse.lengths", "sparse.shape"], J(e), "E_SHAPE_MISMATCH",
              src("sp.csr_matrix((0, 3))", "shape [0, 3] -> [9007199254740991, 3]"), schema_valid=True,
              budget=HOSTILE_BUDGET, tags=["hostile"])
    e = env_raw("csc", [3, 2**40], "float64", [1.0], [0], [0, 1])
    S.invalid("sparse-invalid-lengths-indptr-for-2-40-cols",
              "csc shape [3, 2^40] with an indptr of two items",
              ["sparse.lengths", "sparse.shape"], J(e), "E_SHAPE_MISMATCH",
              hand("a csc envelope whose indptr would need 2^40+1 items"), schema_valid=True,
              budget=HOSTILE_BUDGET, tags=["hostile"])
    e = env_raw("csr", [1, 1], "float64", [], [], [0, MAX_SAFE])
    S.invalid("sparse-invalid-indptr-huge-gap", "csr 1x1 with indptr [0, 2^53-1] and no entries",
              ["sparse.indptr"], J(e), "E_SPARSE_INDEX",
              src("sp.csr_matrix((1, 1))", "indptr [0, 0] -> [0, 9007199254740991]"), schema_valid=True,
              budget=HOSTILE_BUDGET, tags=["hostile"])
    e = env_raw("coo", [MAX_SAFE, MAX_SAFE], "float64", [1.0, 2.0], [0, MAX_SAFE], [0, 0])
    S.invalid("sparse-invalid-index-range-max-safe", "coo (2^53-1) x (2^53-1) with a row index 2^53-1",
              ["sparse.index-range"], J(e), "E_SPARSE_INDEX",
              src("sp.coo_array((np.array([1.0, 2.0]), (np.array([0, 2**53 - 2]), np.array([0, 0]))), "
                  "shape=(2**53 - 1, 2**53 - 1))", "row item 2 -> 9007199254740991"),
              schema_valid=True, tags=["boundary"])
    S.invalid("sparse-invalid-shape-2-40-squared-csr",
              "csr shape [2^40, 2^40] with the indptr of a 2x3 matrix",
              ["sparse.lengths", "sparse.shape"], J(with_(_envs()[0], shape=[2**40, 2**40])),
              "E_SHAPE_MISMATCH", src(CSR_EXPR, "shape [2, 3] -> [1099511627776, 1099511627776]"),
              schema_valid=True, budget=HOSTILE_BUDGET, tags=["hostile"])
    S.invalid("sparse-invalid-shape-before-limit", "shape [2, -1] with 2^25+1 float64 items",
              ["sparse.shape", "sparse.limits"],
              {"concat": [{"text": head.replace('"shape": [1, 1]', '"shape": [2, -1]')},
                          {"text": "0,", "repeat": 2**25}, {"text": '0], "row": [0], "col": [0]}'}]},
              "E_SHAPE_INVALID", hand("hostile: a bad shape before 64 MiB of data"), budget=BIG_BUDGET,
              tags=["hostile", "processing-order"])
