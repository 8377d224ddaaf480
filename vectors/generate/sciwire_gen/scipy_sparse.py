"""The `scipy.sparse` envelope: its valid, equivalence and encode vectors, and build(S) for all of it.

Valid vectors are real scipy objects (`*_matrix` and `*_array` classes alike) turned into envelopes
by the producer in scipy_sparse_producer.py, which follows [sparse.encode.members]; the expected
value is the canonical value read from the same object. Invalid vectors (scipy_sparse_invalid.py)
are one-mutation changes of that output (`source.mutation`) or hand-written hostile input
(`source.handWritten`). Deterministic: no network, no clock, no randomness.
"""

from __future__ import annotations

import json

import numpy as np
import scipy.sparse as sp

from .common import MAX_SAFE, Suite, dumps_env, hand, uniq, with_, without, py_json
from .scipy_sparse_invalid import invalid_vectors
from .scipy_sparse_producer import LIBRARIES  # noqa: F401 - this envelope's LIBRARIES, read by common
from .scipy_sparse_producer import (FORMATS, INDEX_MEMBERS, SPARSE_DTYPES, canon, canon_raw, refusal,
                                    run, sparse_env, src)

# The envelope module's header, read by common.load_envelopes without importing this module.
MARKER = "scipy.sparse"
ID_PREFIX = "sparse-"
REQUIRES = ("numpy", "scipy")


def build(S: Suite):
    """Add every scipy.sparse vector to S (encode vectors reuse valid ones: they come last)."""
    valid_vectors(S)
    invalid_vectors(S)
    encode_vectors(S)
    from .scipy_sparse_frame import frame_vectors  # frames: valid, groups, encode, invalid
    frame_vectors(S)


# ----------------------------------------------------------------------------------------------
# Sanity decoding of valid vectors with numpy/scipy (guards the generator, not the spec)
# ----------------------------------------------------------------------------------------------



def sanity_decode(vid, inp, value):
    if "base64" in inp:  # a frame (scipy_sparse_frame.py)
        from .scipy_sparse_frame import sanity_decode_frame
        return sanity_decode_frame(vid, inp, value)
    env = inp["json"] if "json" in inp else py_json(inp["text"])
    fmt, dtype = env["format"], env["dtype"]
    assert fmt in FORMATS and dtype in SPARSE_DTYPES, vid
    assert (fmt, dtype) == (value["format"], value["dtype"]), vid
    shape = tuple(int(x) for x in env["shape"])
    kind = np.dtype(dtype).kind
    raw = env["data"]
    if kind == "b":
        assert all(isinstance(v, bool) for v in raw), vid
        data = np.array(raw, dtype=bool)
    elif kind in "iu":
        assert all(not isinstance(v, bool) and float(v) == int(v) and abs(int(v)) <= MAX_SAFE
                   for v in raw), vid
        data = np.array([int(v) for v in raw], dtype=dtype)
    else:
        wide = np.array([float(v) for v in raw], dtype=np.float64)
        data = wide.astype(dtype)
        assert np.array_equal(data.astype(np.float64), wide), f"{vid}: a value is not a {dtype}"
    na, nb = INDEX_MEMBERS[fmt]
    a = np.array([int(x) for x in env[na]], dtype=np.int64)
    b = np.array([int(x) for x in env[nb]], dtype=np.int64)
    if fmt == "coo":
        m = sp.coo_array((data, (a, b)), shape=shape)
    else:
        m = getattr(sp, f"{fmt}_array")((data, a, b), shape=shape)
    assert canon(m) == value, f"{vid}: scipy reads {canon(m)}, expected {value}"


# ----------------------------------------------------------------------------------------------
# Clause lists
# ----------------------------------------------------------------------------------------------

ENVELOPE_OK = ["envelope.object", "envelope.marker", "envelope.codec-version", "envelope.encoding",
               "envelope.unknown-fields", "envelope.field-types", "envelope.required-fields"]
SPARSE_ALL = ["sparse.encodings", "sparse.format", "sparse.members", "sparse.required",
              "sparse.dtype", "sparse.shape", "sparse.arrays", "sparse.limits", "sparse.lengths",
              "sparse.values", "sparse.index-values", "sparse.indptr", "sparse.index-range",
              "sparse.stored-entries", "sparse.elements", "canonical.sparse",
              "canonical.ndarray.bytes"]
DECODED = ["sparse.values", "sparse.elements", "sparse.index-values", "sparse.lengths",
           "sparse.index-range", "canonical.sparse"]


def base_clauses(fmt, produced=True):
    cl = (["sparse.encode.members"] if produced else []) + DECODED
    return cl + (["sparse.indptr"] if fmt in ("csr", "csc") else [])


# ----------------------------------------------------------------------------------------------
# Valid vectors
# ----------------------------------------------------------------------------------------------

D34 = "np.array([[1.0, 0, 2.0, 0], [0, 0, 0, 3.5], [4.25, 0, 0, 0]])"   # tywrap's golden 3x4
D23 = "np.array([[0, 1.5, 0], [2.0, 0, -1.0]])"                         # the spec's example
EXAMPLE = f"sp.csr_matrix({D23})"

CLASSES = [
    # (id, expression, description): one dense matrix through every class
    ("csr-matrix-float64-3x4", f"sp.csr_matrix({D34})", "csr_matrix float64 3x4 (tywrap's golden)"),
    ("csr-array-float64-3x4", f"sp.csr_array({D34})", "csr_array float64 3x4 (tywrap fails on it)"),
    ("csc-matrix-float64-3x4", f"sp.csc_matrix({D34})", "csc_matrix float64 3x4"),
    ("csc-array-float64-3x4", f"sp.csc_array({D34})", "csc_array float64 3x4"),
    ("coo-matrix-float64-3x4", f"sp.coo_matrix({D34})", "coo_matrix float64 3x4"),
    ("coo-array-float64-3x4", f"sp.coo_array({D34})", "coo_array float64 3x4"),
    ("csr-matrix-example", EXAMPLE, "csr_matrix float64 2x3, the spec's example"),
    ("csr-array-example", f"sp.csr_array({D23})", "csr_array float64 2x3, the spec's example"),
    ("csc-matrix-example", f"sp.csc_matrix({D23})", "csc_matrix float64 2x3 of the spec's example"),
    ("coo-array-example", f"sp.coo_array({D23})", "coo_array float64 2x3 of the spec's example"),
]

DTYPES = [
    # (id, expression, description, extra clauses)
    ("csr-array-bool", "sp.csr_array(np.array([[True, False, True], [False, False, True]]))",
     "csr_array bool 2x3", []),
    ("coo-matrix-bool-explicit-false",
     "sp.coo_matrix((np.array([True, False]), (np.array([0, 1]), np.array([1, 0]))), shape=(2, 2))",
     "coo_matrix bool with an explicitly stored false (byte 00)", ["sparse.stored-entries"]),
    ("csr-matrix-int8-extremes", "sp.csr_matrix(np.array([[-128, 0, 127], [0, -1, 1]], dtype=np.int8))",
     "csr_matrix int8 min, max, -1, 1", []),
    ("csc-array-int16-extremes",
     "sp.csc_array(np.array([[-32768, 0], [0, 32767], [-1, 0]], dtype=np.int16))",
     "csc_array int16 min, max, -1", []),
    ("coo-array-int32-extremes",
     "sp.coo_array(np.array([[-2**31, 0, 2**31 - 1], [0, -1, 0]], dtype=np.int32))",
     "coo_array int32 min, max, -1", []),
    ("csr-array-int64-safe",
     "sp.csr_array(np.array([[2**53 - 1, 0], [0, -(2**53 - 1)], [-1, 1]], dtype=np.int64))",
     "csr_array int64 at +-(2^53-1), the widest JSON range", []),
    ("csr-matrix-uint8-extremes", "sp.csr_matrix(np.array([[255, 0], [0, 1]], dtype=np.uint8))",
     "csr_matrix uint8 1 and max", []),
    ("csc-matrix-uint16-extremes", "sp.csc_matrix(np.array([[65535, 0], [0, 1]], dtype=np.uint16))",
     "csc_matrix uint16 1 and max", []),
    ("coo-matrix-uint32-extremes", "sp.coo_matrix(np.array([[2**32 - 1, 0], [0, 1]], dtype=np.uint32))",
     "coo_matrix uint32 1 and max", []),
    ("csr-array-uint64-safe", "sp.csr_array(np.array([[2**53 - 1, 0], [0, 1]], dtype=np.uint64))",
     "csr_array uint64 up to 2^53-1", []),
    ("csr-array-float32-extremes",
     "sp.csr_array((np.array([np.finfo(np.float32).max, -np.finfo(np.float32).max, "
     "np.finfo(np.float32).tiny, np.finfo(np.float32).smallest_subnormal, -0.0], dtype=np.float32), "
     "np.array([0, 1, 2, 0, 1]), np.array([0, 3, 5])), shape=(2, 3))",
     "csr_array float32 max, -max, smallest normal, smallest subnormal, stored -0.0",
     ["sparse.stored-entries"]),
    ("csr-matrix-float32-tenth", "sp.csr_matrix(np.array([[0.1, 0], [0, 1 / 3]], dtype=np.float32))",
     "csr_matrix float32 nearest 0.1 and 1/3, written as exact float64 digits", []),
    ("coo-matrix-float64-extremes",
     "sp.coo_matrix((np.array([np.finfo(np.float64).max, -np.finfo(np.float64).max, "
     "np.finfo(np.float64).tiny, 5e-324, -5e-324, -0.0]), (np.array([0, 0, 1, 1, 2, 2]), "
     "np.array([0, 1, 0, 1, 0, 1]))), shape=(3, 2))",
     "coo_matrix float64 max, -max, smallest normal, +-smallest subnormal, stored -0.0",
     ["sparse.stored-entries"]),
    ("csc-array-float64-fractions",
     "sp.csc_array(np.array([[0.1, 0], [0, 0.30000000000000004], [1e300, -2.5e-300]]))",
     "csc_array float64 0.1, 0.1+0.2, 1e300, -2.5e-300", []),
]

EMPTY = [
    ("csr-matrix-0x0", "sp.csr_matrix((0, 0))", "csr_matrix 0x0: indptr [0]"),
    ("csr-array-3x0", "sp.csr_array((3, 0))", "csr_array 3x0: four zero indptr items"),
    ("csr-matrix-0x3", "sp.csr_matrix((0, 3))", "csr_matrix 0x3: indptr [0]"),
    ("csc-matrix-0x0", "sp.csc_matrix((0, 0))", "csc_matrix 0x0"),
    ("csc-array-3x0", "sp.csc_array((3, 0))", "csc_array 3x0: indptr [0]"),
    ("csc-matrix-0x3", "sp.csc_matrix((0, 3))", "csc_matrix 0x3: four zero indptr items"),
    ("coo-matrix-0x0", "sp.coo_matrix((0, 0))", "coo_matrix 0x0"),
    ("coo-array-3x0", "sp.coo_array((3, 0))", "coo_array 3x0"),
    ("coo-matrix-0x3", "sp.coo_matrix((0, 3))", "coo_matrix 0x3"),
    ("csr-matrix-2x3-no-entries", "sp.csr_matrix((2, 3))", "csr_matrix 2x3 with no stored entry"),
    ("coo-array-2x3-no-entries", "sp.coo_array((2, 3))", "coo_array 2x3 with no stored entry"),
    ("csr-matrix-int32-no-entries", "sp.csr_matrix((2, 2), dtype=np.int32)",
     "csr_matrix int32 2x2 with no stored entry"),
    ("csc-array-bool-no-entries", "sp.csc_array((1, 2), dtype=bool)",
     "csc_array bool 1x2 with no stored entry"),
]

STORED = [
    # duplicates, explicit zeros, unsorted indices: all kept ([sparse.stored-entries])
    ("coo-matrix-duplicates-zero",
     "sp.coo_matrix((np.array([1.0, 2.0, 0.0]), (np.array([0, 0, 1]), np.array([1, 1, 2]))), "
     "shape=(2, 3))", "coo_matrix with (0, 1) stored twice and an explicit zero, all kept"),
    ("coo-array-duplicates-zero",
     "sp.coo_array((np.array([1.0, 2.0, 0.0]), (np.array([0, 0, 1]), np.array([1, 1, 2]))), "
     "shape=(2, 3))", "coo_array with (0, 1) stored twice and an explicit zero, all kept"),
    ("csr-matrix-unsorted-zero",
     "sp.csr_matrix((np.array([3.0, 1.0, 0.0, 5.0]), np.array([2, 0, 1, 1]), np.array([0, 3, 4])), "
     "shape=(2, 3))", "csr_matrix with row 0 indices [2, 0, 1] unsorted and an explicit zero, kept"),
    ("csr-matrix-duplicate-column",
     "sp.csr_matrix((np.array([1.0, 2.0]), np.array([1, 1]), np.array([0, 2, 2])), shape=(2, 3))",
     "csr_matrix with column 1 stored twice in row 0, kept (not summed to 3.0)"),
    ("csc-array-unsorted-duplicate",
     "sp.csc_array((np.array([1.0, 2.0, 3.0]), np.array([2, 0, 2]), np.array([0, 3, 3])), "
     "shape=(3, 2))", "csc_array with rows [2, 0, 2] in column 0: unsorted and a duplicate, kept"),
    ("coo-array-unsorted-rows",
     "sp.coo_array((np.array([7, 8, 9], dtype=np.int16), (np.array([2, 0, 1]), "
     "np.array([0, 1, 0]))), shape=(3, 2))", "coo_array int16 entries in row order 2, 0, 1, kept"),
    ("csr-array-int64-duplicates",
     "sp.csr_array((np.array([2**53 - 1, 2**53 - 1], dtype=np.int64), np.array([0, 0]), "
     "np.array([0, 2])), shape=(1, 1))",
     "csr_array int64 2^53-1 stored twice in one cell: summing would overflow JSON's range"),
    ("csr-matrix-from-coo-tocsr",
     "sp.coo_matrix((np.array([1.0, 2.0, 0.0]), (np.array([0, 0, 1]), np.array([1, 1, 2]))), "
     "shape=(2, 3)).tocsr()", "csr_matrix from coo .tocsr(): scipy summed the duplicate itself"),
]

BIG = [
    ("coo-array-2-40-square",
     "sp.coo_array((np.array([1.0, 2.0, 3.0]), (np.array([0, 2**40 - 1, 5]), "
     "np.array([2**40 - 1, 0, 7]))), shape=(2**40, 2**40))",
     "coo_array 2^40 x 2^40 with three entries: the shape product is not limited"),
    ("coo-matrix-2-40-square",
     "sp.coo_matrix((np.array([1.0, 2.0, 3.0]), (np.array([0, 2**40 - 1, 5]), "
     "np.array([2**40 - 1, 0, 7]))), shape=(2**40, 2**40))",
     "coo_matrix 2^40 x 2^40 with three entries"),
    ("csr-array-3-by-2-40",
     "sp.csr_array((np.array([1.0, 2.0]), np.array([2**40 - 1, 0]), np.array([0, 1, 1, 2])), "
     "shape=(3, 2**40))", "csr_array 3 x 2^40: a column index of 2^40-1"),
    ("csc-array-2-40-by-3",
     "sp.csc_array((np.array([1.0, 2.0]), np.array([2**40 - 1, 0]), np.array([0, 1, 1, 2])), "
     "shape=(2**40, 3))", "csc_array 2^40 x 3: a row index of 2^40-1"),
    ("coo-array-max-safe-square",
     "sp.coo_array((np.array([7.0, -7.0]), (np.array([2**53 - 2, 0]), np.array([2**53 - 2, 0]))), "
     "shape=(2**53 - 1, 2**53 - 1))",
     "coo_array (2^53-1) x (2^53-1), an entry at the last row and column"),
]


def add_valid(S, vid, description, expr, clauses=(), tags=None):
    m = run(expr)
    env = sparse_env(m)
    S.valid(vid, description, uniq(list(clauses) + base_clauses(m.format)), {"json": env}, canon(m),
            src(expr), tags)
    return m


def valid_vectors(S: Suite):
    for suffix, expr, desc in CLASSES:
        extra = []
        if suffix == "csr-matrix-example":
            extra = ENVELOPE_OK + SPARSE_ALL + ["vector.equivalent"]
        add_valid(S, f"sparse-{suffix}", desc, expr, extra)
    for fmt in FORMATS:
        S.group(f"eq-sparse-{fmt}-float64-3x4-classes",
                f"{fmt}_matrix and {fmt}_array of one dense matrix give one envelope and value",
                [f"sparse-{fmt}-matrix-float64-3x4", f"sparse-{fmt}-array-float64-3x4"])
    S.group("eq-sparse-csr-example-classes", "the spec's example from csr_matrix and csr_array",
            ["sparse-csr-matrix-example", "sparse-csr-array-example"])
    for suffix, expr, desc, extra in DTYPES:
        add_valid(S, f"sparse-{suffix}", desc, expr, ["sparse.dtype"] + extra)
    for suffix, expr, desc in EMPTY:
        add_valid(S, f"sparse-{suffix}", desc, expr, ["sparse.shape", "sparse.lengths"],
                  tags=["boundary"])
    for suffix, expr, desc in STORED:
        add_valid(S, f"sparse-{suffix}", desc, expr, ["sparse.stored-entries"],
                  tags=None if suffix.endswith("tocsr") else ["interpretation"])
    for suffix, expr, desc in BIG:
        add_valid(S, f"sparse-{suffix}", desc, expr, ["sparse.shape", "sparse.limits",
                                                      "sparse.index-values"], tags=["boundary"])

    # the format is read from the object: a transposed csr is a csc
    add_valid(S, "sparse-csc-from-csr-matrix-transpose", "csr_matrix(...).T is a csc_matrix",
              "sp.csr_matrix(np.array([[1.0, 0, 2.0], [0, 3.0, 0]])).T")
    add_valid(S, "sparse-csc-from-csr-array-transpose", "csr_array(...).T is a csc_array",
              "sp.csr_array(np.array([[1.0, 0, 2.0], [0, 3.0, 0]])).T")
    add_valid(S, "sparse-csc-matrix-of-transpose", "csc_matrix of the transposed dense matrix",
              "sp.csc_matrix(np.array([[1.0, 0], [0, 3.0], [2.0, 0]]))")
    S.group("eq-sparse-transpose-is-csc", "a transposed csr object and the csc of the transpose",
            ["sparse-csc-from-csr-matrix-transpose", "sparse-csc-from-csr-array-transpose",
             "sparse-csc-matrix-of-transpose"])
    add_valid(S, "sparse-coo-from-csr-array-tocoo", "coo_array from csr_array(...).tocoo()",
              "sp.csr_array(np.array([[1, 0, -2], [0, 3, 0]], dtype=np.int32)).tocoo()")
    add_valid(S, "sparse-coo-matrix-int32-2x3", "coo_matrix int32 2x3 from dense (tywrap's golden)",
              "sp.coo_matrix(np.array([[1, 0, -2], [0, 3, 0]], dtype=np.int32))")
    S.group("eq-sparse-coo-int32-2x3", "coo from a csr's .tocoo() and from the dense matrix",
            ["sparse-coo-from-csr-array-tocoo", "sparse-coo-matrix-int32-2x3"])
    add_valid(S, "sparse-csr-matrix-6x8-pattern", "csr_matrix float64 6x8 with nine entries",
              "sp.csr_matrix(np.arange(48.0).reshape(6, 8) * (np.arange(48).reshape(6, 8) % 5 == 0))")

    # scipy's index dtype (int32 or int64) is not carried
    add_valid(S, "sparse-coo-array-int64-coords", "coo_array whose row and col are int64 arrays",
              "sp.coo_array((np.array([1.0, 2.0]), (np.array([0, 1], dtype=np.int64), "
              "np.array([1, 0], dtype=np.int64))), shape=(2, 2))", ["sparse.index-values"])
    add_valid(S, "sparse-coo-array-int32-coords", "coo_array whose row and col are int32 arrays",
              "sp.coo_array((np.array([1.0, 2.0]), (np.array([0, 1], dtype=np.int32), "
              "np.array([1, 0], dtype=np.int32))), shape=(2, 2))", ["sparse.index-values"])
    S.group("eq-sparse-coo-index-dtypes", "int32 and int64 index arrays give one value",
            ["sparse-coo-array-int64-coords", "sparse-coo-array-int32-coords"])

    legacy_vectors(S)
    extension_vectors(S)
    text_vectors(S)


def legacy_vectors(S: Suite):
    V0 = ["envelope.legacy-v0", "sparse.legacy-v0"]
    members = ["sparse-csr-matrix-example"]
    for vid, desc, expr in [
            ("sparse-v0-csr-example", "v0 csr envelope of the spec's example", EXAMPLE),
            ("sparse-v0-csr-array-example", "v0 csr envelope from a csr_array",
             f"sp.csr_array({D23})")]:
        env = without(sparse_env(run(expr)), "codecVersion")
        S.valid(vid, desc, uniq(V0 + base_clauses("csr", produced=False)), {"json": env},
                canon(run(expr)), src(expr, "codecVersion removed"))
        members.append(vid)
    plain = dumps_env(sparse_env(run(EXAMPLE)))
    for vid, desc, spelled in [("sparse-text-codec-version-1-0", "csr envelope with codecVersion 1.0",
                                "1.0"),
                               ("sparse-text-codec-version-1e0", "csr envelope with codecVersion 1e0",
                                "1e0")]:
        S.valid(vid, desc, uniq(["envelope.codec-version", "json.numbers"]
                                + base_clauses("csr", produced=False)),
                {"text": plain.replace('"codecVersion": 1,', f'"codecVersion": {spelled},')},
                canon(run(EXAMPLE)), hand(f"exact JSON text of the envelope for {EXAMPLE} with "
                                          f"codecVersion spelled {spelled}"))
        members.append(vid)
    S.group("eq-sparse-example-versions", "the spec's example in version 1, as 1.0 and 1e0, and v0",
            members)
    for fmt, expr in (("csc", f"sp.csc_matrix({D34})"), ("coo", f"sp.coo_array({D34})")):
        env = without(sparse_env(run(expr)), "codecVersion")
        vid = f"sparse-v0-{fmt}-float64-3x4"
        S.valid(vid, f"v0 {fmt} envelope of the 3x4 matrix", uniq(V0 + base_clauses(fmt, False)),
                {"json": env}, canon(run(expr)), src(expr, "codecVersion removed"))
        S.group(f"eq-sparse-{fmt}-float64-3x4-versions", f"{fmt} 3x4 in version 1 and v0",
                [f"sparse-{fmt}-matrix-float64-3x4", f"sparse-{fmt}-array-float64-3x4", vid])


def extension_vectors(S: Suite):
    expr = EXAMPLE
    env = sparse_env(run(expr))
    value = canon(run(expr))
    meta = {"producer": "sciwire-vectors", "nested": {"a": [1, None, True, 1.5e300, "\u00e9"]},
            "format": "coo", "row": [9]}
    members = ["sparse-csr-matrix-example"]
    EXT = ["envelope.extension-members", "envelope.unknown-fields", "sparse.members"]
    for vid, desc, e2, m in [
            ("sparse-extension-object", "csr envelope with an x- member holding an object",
             {**env, "x-meta": meta}, "x-meta object member added"),
            ("sparse-extension-row-col-names", "csr envelope with members x-row and x-col",
             {**env, "x-row": [0, 1], "x-col": "not an index"}, "x-row and x-col members added"),
            ("sparse-extension-first", "csr envelope with an x- member before the marker",
             {"x-first": {"format": "dia", "codecVersion": 2}, **env},
             "x-first member placed before __tywrap__"),
            ("sparse-v0-extension", "v0 csr envelope with an x- member",
             {**without(env, "codecVersion"), "x-note": ""}, "codecVersion removed, x-note added")]:
        cl = EXT + (["envelope.legacy-v0", "sparse.legacy-v0"] if "v0" in vid else [])
        S.valid(vid, desc, uniq(cl + base_clauses("csr", produced=False)), {"json": e2}, value,
                src(expr, m))
        members.append(vid)
    S.group("eq-sparse-example-extensions", "x- members, whatever their names, leave the value alone",
            members)
    cexpr = f"sp.coo_array({D34})"
    S.valid("sparse-coo-extension-indices-name", "coo envelope with members x-indices and x-indptr",
            uniq(EXT + base_clauses("coo", False)),
            {"json": {**sparse_env(run(cexpr)), "x-indices": [0], "x-indptr": [0, 1]}},
            canon(run(cexpr)), src(cexpr, "x-indices and x-indptr members added"))
    S.group("eq-sparse-coo-float64-3x4-extensions", "coo 3x4 with and without x- members",
            ["sparse-coo-array-float64-3x4", "sparse-coo-extension-indices-name"])


def text_vectors(S: Suite):
    """Spellings of one JSON value that decode identically (json.numbers, escapes, layout)."""
    value = canon(run(EXAMPLE))
    plain = dumps_env(sparse_env(run(EXAMPLE)))
    assert plain == ('{"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "json", '
                     '"format": "csr", "shape": [2, 3], "dtype": "float64", "data": [1.5, 2.0, -1.0], '
                     '"indices": [1, 0, 2], "indptr": [0, 1, 3]}'), plain

    def t(vid, desc, text, clauses, value=value, expr=EXAMPLE, fmt="csr", tags=None):
        S.valid(vid, desc, uniq(clauses + base_clauses(fmt, produced=False)), {"text": text}, value,
                hand(f"exact JSON spelling of the envelope the producer writes for {expr}"), tags)
        return vid

    ids = ["sparse-csr-matrix-example"]
    ids.append(t("sparse-text-index-fractions", "csr indices and indptr written 1.0, 0e0, 2E0, 3.0",
                 plain.replace('"indices": [1, 0, 2], "indptr": [0, 1, 3]',
                               '"indices": [1.0, 0e0, 2E0], "indptr": [0.0, 1e0, 3.0]'),
                 ["sparse.index-values", "json.numbers"]))
    ids.append(t("sparse-text-shape-fractions", "csr shape written [2.0, 3e0]",
                 plain.replace('"shape": [2, 3]', '"shape": [2.0, 3e0]'),
                 ["sparse.shape", "json.numbers"]))
    ids.append(t("sparse-text-data-spellings", "float64 data written 15e-1, 2, -1.000",
                 plain.replace('[1.5, 2.0, -1.0]', '[15e-1, 2, -1.000]'),
                 ["sparse.values", "json.numbers"]))
    ids.append(t("sparse-text-member-order", "csr members in reverse order",
                 '{"indptr": [0, 1, 3], "indices": [1, 0, 2], "data": [1.5, 2.0, -1.0], '
                 '"dtype": "float64", "shape": [2, 3], "format": "csr", "encoding": "json", '
                 '"codecVersion": 1, "__tywrap__": "scipy.sparse"}',
                 ["sparse.format", "json.syntax"]))
    ids.append(t("sparse-text-escapes", "marker, format, dtype and a member name with \\u escapes",
                 plain.replace('"scipy.sparse"', '"scipy\\u002esparse"')
                      .replace('"format": "csr"', '"\\u0066ormat": "c\\u0073r"')
                      .replace('"float64"', '"float\\u0036\\u0034"'),
                 ["json.duplicate-keys", "envelope.marker", "sparse.format", "sparse.dtype"]))
    ws = plain.replace(", ", " ,\r\n\t").replace(": ", "\n:\t")
    ids.append(t("sparse-text-whitespace", "csr envelope with CR, LF and tab between tokens",
                 "\n" + ws + "\n", ["json.syntax"]))
    S.group("eq-sparse-example-spellings",
            "the spec's example under different number spellings, member orders and escapes", ids)

    # int data written with fractions and exponents; float data with exponents
    iexpr = "sp.csr_matrix(np.array([[1, 0], [0, -2]], dtype=np.int32))"
    add_valid(S, "sparse-csr-matrix-int32-1-minus-2", "csr_matrix int32 1 and -2", iexpr)
    iplain = dumps_env(sparse_env(run(iexpr)))
    assert '"data": [1, -2]' in iplain
    ivalue = canon(run(iexpr))
    g = ["sparse-csr-matrix-int32-1-minus-2"]
    for vid, desc, spelled in [
            ("sparse-text-int32-data-1-0", "int32 data written 1.0 and -2.0", "[1.0, -2.0]"),
            ("sparse-text-int32-data-1e0", "int32 data written 1e0 and -0.2E1", "[1e0, -0.2E1]")]:
        g.append(t(vid, desc, iplain.replace("[1, -2]", spelled), ["sparse.values", "json.numbers"],
                   value=ivalue, expr=iexpr))
    S.group("eq-sparse-int32-data-spellings", "int32 data 1 and -2 written as integers or not", g)

    fexpr = "sp.coo_matrix(np.array([[0.5, 0], [0, 0]]))"
    add_valid(S, "sparse-coo-matrix-float64-half", "coo_matrix float64 0.5", fexpr)
    fplain = dumps_env(sparse_env(run(fexpr)))
    fvalue = canon(run(fexpr))
    g = ["sparse-coo-matrix-float64-half"]
    for vid, desc, spelled in [("sparse-text-float64-half-5e-1", "float64 data 0.5 written 5e-1", "5e-1"),
                               ("sparse-text-float64-half-long", "float64 data 0.5 written 0.50000",
                                "0.50000")]:
        g.append(t(vid, desc, fplain.replace("[0.5]", f"[{spelled}]"), ["sparse.values", "json.numbers"],
                   value=fvalue, expr=fexpr, fmt="coo"))
    S.group("eq-sparse-float64-half-spellings", "float64 0.5 written 0.5, 5e-1 and 0.50000", g)

    zexpr = "sp.coo_matrix((np.array([-0.0, 0.0]), (np.array([0, 1]), np.array([0, 0]))), shape=(2, 1))"
    add_valid(S, "sparse-coo-matrix-signed-zeros", "coo_matrix float64 stored -0.0 and 0.0", zexpr,
              ["sparse.stored-entries", "sparse.elements"])
    zplain = dumps_env(sparse_env(run(zexpr)))
    assert "[-0.0, 0.0]" in zplain
    t("sparse-text-float64-minus-0-integer", "sparse float64 data -0 and 0 give -0.0 and 0.0",
      zplain.replace("[-0.0, 0.0]", "[-0, 0]"), ["sparse.values", "sparse.elements", "json.numbers"],
      value=canon(run(zexpr)), expr=zexpr, fmt="coo")
    S.group("eq-sparse-float64-signed-zeros", "-0 and -0.0 both give negative zero in float64 data",
            ["sparse-coo-matrix-signed-zeros", "sparse-text-float64-minus-0-integer"])

    bexpr = "sp.csr_matrix(np.array([[0, 0], [0, 0], [0, 9]], dtype=np.uint8))"
    add_valid(S, "sparse-csr-matrix-uint8-last-cell", "csr_matrix uint8 3x2 with one entry in the last cell",
              bexpr)
    bplain = dumps_env(sparse_env(run(bexpr)))
    assert '"indices": [1], "indptr": [0, 0, 0, 1]' in bplain
    t("sparse-text-index-minus-0", "csr indptr items written -0 are the integer 0",
      bplain.replace('"indptr": [0, 0, 0, 1]', '"indptr": [-0, -0.0, 0e5, 1]'),
      ["sparse.index-values", "sparse.indptr", "json.numbers"], value=canon(run(bexpr)), expr=bexpr,
      tags=["interpretation"])
    S.group("eq-sparse-index-minus-0", "indptr items 0, -0, -0.0 and 0e5 are all 0",
            ["sparse-csr-matrix-uint8-last-cell", "sparse-text-index-minus-0"])
    t("sparse-text-float64-long-decimals", "float64 data with more digits than binary64 holds",
      plain.replace("[1.5, 2.0, -1.0]", "[1.50000000000000000001, 2.0000000000000000000000001, "
                                        "-0.99999999999999999999]"),
      ["sparse.values", "json.numbers"])
    t("sparse-text-float32-exact-decimal", "sparse float32 nearest 0.1 written as its exact decimal",
      dumps_env(sparse_env(run("sp.csr_matrix(np.array([[0.1]], dtype=np.float32))")))
      .replace("0.10000000149011612", "0.100000001490116119384765625"),
      ["sparse.values", "json.numbers"], value=canon(run("sp.csr_matrix(np.array([[0.1]], dtype=np.float32))")),
      expr="sp.csr_matrix(np.array([[0.1]], dtype=np.float32))")
    t("sparse-text-int64-2-53-minus-1-spelled", "int64 data 9007199254740991.0 and -9.007199254740991E15",
      dumps_env(sparse_env(run("sp.csr_array(np.array([[2**53 - 1, -(2**53 - 1)]], dtype=np.int64))")))
      .replace("[9007199254740991, -9007199254740991]", "[9007199254740991.0, -9.007199254740991E15]"),
      ["sparse.values", "json.numbers"],
      value=canon(run("sp.csr_array(np.array([[2**53 - 1, -(2**53 - 1)]], dtype=np.int64))")),
      expr="sp.csr_array(np.array([[2**53 - 1, -(2**53 - 1)]], dtype=np.int64))", tags=["boundary"])


# ----------------------------------------------------------------------------------------------
# Encode vectors
# ----------------------------------------------------------------------------------------------

def encode_vectors(S: Suite):
    ENC = ["sparse.encode.members", "canonical.sparse", "canonical.ndarray.bytes"]
    roundtrip = [s for s, _, _ in CLASSES] + [s for s, _, _, _ in DTYPES] + \
        [s for s, _, _ in EMPTY] + [s for s, _, _ in STORED] + [s for s, _, _ in BIG] + \
        ["csc-from-csr-matrix-transpose", "coo-matrix-signed-zeros", "csr-matrix-6x8-pattern"]
    for name in roundtrip:
        _, vec = S.vectors[f"sparse-{name}"]
        value = vec["expect"]["value"]
        fmt = value["format"]
        extra = ["sparse.stored-entries"] if name in [s for s, _, _ in STORED] else []
        if name in ("csr-array-int64-safe", "csr-array-uint64-safe", "csr-array-float32-extremes",
                    "coo-matrix-float64-extremes", "csr-array-int64-duplicates"):
            extra = extra + ["sparse.encode.refuse"]  # at the edge of what is refused, not refused
        if name in [s for s, _, _ in BIG]:
            extra = extra + ["sparse.shape"]
        S.encode(f"sparse-encode-{name}", f"encoder round trip: {vec['description']}",
                 uniq(ENC + extra + base_clauses(fmt, produced=False)), value, "json",
                 {"roundtrip": True}, vec["source"])

    REF = ["sparse.encode.refuse"]
    for vid, desc, expr, code, extra in [
            ("float64-nan", "float64 NaN in data", "sp.csr_matrix(np.array([[np.nan, 0], [0, 1.0]]))",
             "E_VALUE_DOMAIN", ["sparse.values"]),
            ("float64-inf", "float64 +Inf in data", "sp.csr_matrix(np.array([[np.inf, 0], [0, 1.0]]))",
             "E_VALUE_DOMAIN", ["sparse.values"]),
            ("float64-minus-inf", "float64 -Inf in coo data", "sp.coo_array(np.array([[0, -np.inf]]))",
             "E_VALUE_DOMAIN", ["sparse.values"]),
            ("float32-nan", "float32 NaN in csc data", "sp.csc_array(np.array([[np.nan]], dtype=np.float32))",
             "E_VALUE_DOMAIN", ["sparse.values"]),
            ("float32-inf", "float32 +Inf in data",
             "sp.csr_array(np.array([[0, np.inf]], dtype=np.float32))", "E_VALUE_DOMAIN",
             ["sparse.values"]),
            ("int64-2-53", "int64 2^53 in data (tywrap writes it as a raw integer)",
             "sp.csr_matrix(np.array([[2**53, 0]], dtype=np.int64))", "E_VALUE_DOMAIN", ["sparse.values"]),
            ("int64-2-53-plus-1", "int64 2^53+1 in data, tywrap's golden int64_unsafe",
             "sp.csr_matrix(np.array([[2**53 + 1, 0]], dtype=np.int64))", "E_VALUE_DOMAIN",
             ["sparse.values"]),
            ("int64-minus-2-53", "int64 -2^53 in data", "sp.coo_array(np.array([[-2**53]], dtype=np.int64))",
             "E_VALUE_DOMAIN", ["sparse.values"]),
            ("int64-min", "int64 min in data", "sp.csr_array(np.array([[-2**63]], dtype=np.int64))",
             "E_VALUE_DOMAIN", ["sparse.values"]),
            ("uint64-max", "uint64 max in data", "sp.coo_matrix(np.array([[2**64 - 1, 0]], dtype=np.uint64))",
             "E_VALUE_DOMAIN", ["sparse.values"]),
            ("complex128", "a complex128 matrix", "sp.csr_matrix(np.array([[1 + 2j, 0]]))",
             "E_DTYPE_UNSUPPORTED", ["sparse.dtype"]),
            ("complex64", "a complex64 coo matrix", "sp.coo_array(np.array([[0, 1 - 1j]], dtype=np.complex64))",
             "E_DTYPE_UNSUPPORTED", ["sparse.dtype"]),
            ("float128-empty", "an empty float128 matrix (tywrap writes dtype float128)",
             "sp.csr_matrix((2, 2), dtype=np.longdouble)", "E_DTYPE_UNSUPPORTED", ["sparse.dtype"]),
            ("indptr-decreasing", "a csr_matrix built with indptr [0, 2, 1, 2]",
             "sp.csr_matrix((np.array([1.0, 2.0]), np.array([0, 1]), np.array([0, 2, 1, 2])), "
             "shape=(3, 3))", "E_SPARSE_INDEX", ["sparse.indptr"]),
            ("index-equals-columns", "a csr_matrix built with column index 3 in a 2x3 shape",
             "sp.csr_matrix((np.array([1.0, 2.0]), np.array([0, 3]), np.array([0, 1, 2])), shape=(2, 3))",
             "E_SPARSE_INDEX", ["sparse.index-range"]),
            ("csc-index-equals-rows", "a csc_array built with row index 2 in a 2x3 shape",
             "sp.csc_array((np.array([1.0]), np.array([2]), np.array([0, 1, 1, 1])), shape=(2, 3))",
             "E_SPARSE_INDEX", ["sparse.index-range"])]:
        m = run(expr)
        assert refusal(m) == code, (vid, refusal(m))
        S.encode(f"sparse-encode-refuse-{vid}", f"sparse encoder refuses {desc}", REF + extra + ["canonical.sparse"],
                 canon(m), "json", {"error": code}, src(expr))
    for name in ("dia_matrix", "bsr_array", "lil_matrix", "dok_array"):
        assert refusal(run(f"sp.{name}({D34})")) == "E_FORMAT_UNSUPPORTED", name
    # A dia matrix has no indices/indptr: the value an encoder is handed says format "dia" with
    # the csr arrays of the same matrix (what a producer that relabels instead of converting has).
    good = canon(run(f"sp.csr_matrix({D34})"))
    for fmt_ in ("dia", "bsr", "CSR"):
        S.encode(f"sparse-encode-refuse-format-{fmt_.lower()}{'-upper' if fmt_ == 'CSR' else ''}",
                 f"sparse encoder refuses a value whose format is {fmt_!r}",
                 REF + ["sparse.format", "canonical.sparse"], with_(good, format=fmt_), "json",
                 {"error": "E_FORMAT_UNSUPPORTED"},
                 src(f"sp.csr_matrix({D34})", f"canonical value's format csr -> {fmt_} (the producer "
                     f"refuses sp.{fmt_.lower()}_matrix itself the same way)"))

    f32 = "sp.csr_matrix(np.array([[1.5, 0], [0, -2.25]], dtype=np.float32))"
    v32 = canon(run(f32))
    v16 = with_(v32, dtype="float16", hex=np.array([1.5, -2.25], dtype="<f2").tobytes().hex())
    S.encode("sparse-encode-refuse-float16", "sparse encoder refuses a float16 value scipy cannot hold",
             REF + ["sparse.dtype", "canonical.sparse"], v16, "json", {"error": "E_DTYPE_UNSUPPORTED"},
             src(f32, "canonical value's dtype float32 -> float16, hex as binary16 (scipy refuses "
                      "to build a float16 matrix)"))

    ex = canon(run(EXAMPLE))          # csr 2x3, nnz 3
    coo = canon(run(f"sp.coo_array({D23})"))
    csc = canon(run(f"sp.csc_matrix({D23})"))
    for vid, desc, value, code, cl, mut in [
            ("hex-short", "hex one byte short of three float64 values", with_(ex, hex=ex["hex"][:-2]),
             "E_SHAPE_MISMATCH", ["canonical.sparse", "sparse.lengths"], "hex cut by one byte"),
            ("hex-long", "hex one byte past three float64 values", with_(ex, hex=ex["hex"] + "00"),
             "E_SHAPE_MISMATCH", ["canonical.sparse", "sparse.lengths"], "hex extended by one byte"),
            ("hex-two-values", "hex of two values with three indices", with_(ex, hex=ex["hex"][:32]),
             "E_SHAPE_MISMATCH", ["sparse.lengths", "canonical.sparse"], "hex cut to two float64 values"),
            ("indices-long", "csr indices one longer than nnz", with_(ex, indices=ex["indices"] + [0]),
             "E_SHAPE_MISMATCH", ["sparse.lengths", "canonical.sparse"], "indices [1, 0, 2] -> [1, 0, 2, 0]"),
            ("indptr-short", "csr indptr one shorter than rows + 1", with_(ex, indptr=[0, 3]),
             "E_SHAPE_MISMATCH", ["sparse.lengths", "canonical.sparse"], "indptr [0, 1, 3] -> [0, 3]"),
            ("csc-indptr-rows", "csc indptr of rows + 1 items instead of columns + 1",
             with_(csc, indptr=csc["indptr"][:3]), "E_SHAPE_MISMATCH", ["sparse.lengths", "canonical.sparse"],
             f"indptr {csc['indptr']} -> {csc['indptr'][:3]}"),
            ("coo-col-short", "coo col one shorter than nnz", with_(coo, col=coo["col"][:-1]),
             "E_SHAPE_MISMATCH", ["sparse.lengths", "canonical.sparse"], "last col item removed"),
            ("indptr-not-from-0", "csr indptr starting at 1", with_(ex, indptr=[1, 1, 3]),
             "E_SPARSE_INDEX", ["sparse.indptr", "canonical.sparse"], "indptr [0, 1, 3] -> [1, 1, 3]"),
            ("indptr-last-not-nnz", "csr indptr ending at 2 with nnz 3", with_(ex, indptr=[0, 1, 2]),
             "E_SPARSE_INDEX", ["sparse.indptr", "canonical.sparse"], "indptr [0, 1, 3] -> [0, 1, 2]"),
            ("coo-row-equals-rows", "coo row index 2 in a 2x3 shape", with_(coo, row=[0, 1, 2]),
             "E_SPARSE_INDEX", ["sparse.index-range", "canonical.sparse"], f"row {coo['row']} -> [0, 1, 2]"),
            ("coo-col-equals-columns", "coo col index 3 in a 2x3 shape",
             with_(coo, col=coo["col"][:-1] + [3]), "E_SPARSE_INDEX", ["sparse.index-range", "canonical.sparse"],
             "last col item -> 3")]:
        base_expr = f"sp.coo_array({D23})" if vid.startswith("coo") else \
            (f"sp.csc_matrix({D23})" if vid.startswith("csc") else EXAMPLE)
        S.encode(f"sparse-encode-refuse-{vid}", f"sparse encoder given {desc}", REF + cl, value, "json",
                 {"error": code}, src(base_expr, f"canonical value's {mut}"))
