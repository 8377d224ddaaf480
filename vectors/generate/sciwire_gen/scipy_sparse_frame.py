"""Frame vectors of the `scipy.sparse` envelope ([frame.*] with [sparse.*]): valid frames of real
scipy matrices and arrays, groups with the json vectors of the same objects, `frame` encode
vectors with the exact bytes, and invalid frames, each one mutation of a real frame.

The header is the sparse envelope of [frame.encode] (`format`, `shape`, `dtype`, then `data`,
`indices`, `indptr` or `data`, `row`, `col` as buffer indices 0, 1, 2); buffer 0 holds the stored
values' element bytes (`m.data`, little-endian), buffers 1 and 2 the index arrays as little-endian
int64. Unlike the json encoding, a frame carries NaN, infinities and integers beyond +-(2^53-1)
([frame.values]); indices are still integers in [0, 2^53-1].
"""

from __future__ import annotations

import base64
import json
import struct

import numpy as np

from .common import HOSTILE_BUDGET, MAX_SAFE, B, J, Suite, uniq, with_, without
from .frame import (FrameError, all_referred, read_frame, rebuild, ref_index, span, split, write_frame)
from .ndarray_frame import FRAME_BASE, READER, check_elements, checked, element_bytes
from .scipy_sparse_producer import (FORMATS, INDEX_MEMBERS, ITEM_SIZE, SPARSE_DTYPES, Refused,
                                    _check_indices, _index_lists, canon, run, src)

MARKER_NAME = "scipy.sparse"


def sparse_header(fmt, shape, dtype) -> dict:
    na, nb = INDEX_MEMBERS[fmt]
    return {"__tywrap__": MARKER_NAME, "codecVersion": 1, "encoding": "frame", "format": fmt,
            "shape": list(shape), "dtype": dtype, "data": 0, na: 1, nb: 2}


def index_bytes(values) -> bytes:
    return np.asarray(values, dtype="<i8").tobytes()


def sparse_frame(m) -> bytes:
    """The frame a writer writes for a scipy sparse object; refuses (Refused) what a frame cannot
    carry: other formats, other dtypes, inconsistent or out-of-range indices."""
    fmt = m.format
    if fmt not in FORMATS:
        raise Refused("E_FORMAT_UNSUPPORTED", f"format {fmt}")
    if len(m.shape) != 2:
        raise Refused("E_SHAPE_INVALID", "not a matrix")
    dt = m.dtype
    if dt.name not in SPARSE_DTYPES or dt.byteorder not in "=|<":
        raise Refused("E_DTYPE_UNSUPPORTED", f"dtype {dt}")
    shape = [int(m.shape[0]), int(m.shape[1])]
    a, b = _index_lists(m)
    _check_indices(fmt, shape, len(m.data), a, b)
    if any(x > MAX_SAFE for x in a + b):
        raise Refused("E_VALUE_DOMAIN", "an index beyond 2^53-1")
    return write_frame(sparse_header(fmt, shape, dt.name), [element_bytes(np.asarray(m.data)),
                                                           index_bytes(a), index_bytes(b)])


def frame_of_value(value: dict) -> bytes:
    """The frame an encoder writes for a canonical sparse value (the other writer)."""
    fmt, dtype = value["format"], value["dtype"]
    na, nb = INDEX_MEMBERS[fmt]
    data = bytes.fromhex(value["hex"])
    if len(data) % ITEM_SIZE[dtype]:
        raise Refused("E_SHAPE_MISMATCH", "hex is not a whole number of elements")
    check_elements(dtype, data)
    _check_indices(fmt, value["shape"], len(data) // ITEM_SIZE[dtype], value[na], value[nb])
    return write_frame(sparse_header(fmt, value["shape"], dtype),
                       [data, index_bytes(value[na]), index_bytes(value[nb])])


def _sparse_tail(header, data, d, spans):
    """[sparse.arrays] as buffer references, [frame.lengths], [sparse.lengths], [frame.values]
    ([sparse.values], [sparse.index-values]), [sparse.indptr], [sparse.index-range], and every
    buffer referred to; the members before them are assumed to hold."""
    fmt, dtype, shape = header["format"], header["dtype"], header["shape"]
    na, nb = INDEX_MEMBERS[fmt]
    used = set()
    idx = [ref_index(header.get(k), len(spans), used) for k in ("data", na, nb)]
    raw = [span(data, d, spans, i) for i in idx]
    if len(raw[0]) % ITEM_SIZE[dtype]:
        raise FrameError("E_SHAPE_MISMATCH", "frame.lengths", "data not a whole number of elements")
    for r in raw[1:]:
        if len(r) % 8:
            raise FrameError("E_SHAPE_MISMATCH", "frame.lengths", "index buffer not a multiple of 8")
    nnz = len(raw[0]) // ITEM_SIZE[dtype]
    a = [x for (x,) in struct.iter_unpack("<q", raw[1])]
    b = [x for (x,) in struct.iter_unpack("<q", raw[2])]
    if fmt == "coo":
        if len(a) != nnz or len(b) != nnz:
            raise FrameError("E_SHAPE_MISMATCH", "sparse.lengths", "row/col count")
    else:
        major = shape[0] if fmt == "csr" else shape[1]
        if len(a) != nnz or len(b) != major + 1:
            raise FrameError("E_SHAPE_MISMATCH", "sparse.lengths", "indices/indptr count")
    check_elements(dtype, raw[0])
    if any(not 0 <= x <= MAX_SAFE for x in a + b):
        raise FrameError("E_VALUE_DOMAIN", "frame.values", "index outside [0, 2^53-1]")
    try:
        _check_indices(fmt, shape, nnz, a, b)
    except Refused as e:
        raise FrameError(e.code, "sparse.index-range", str(e)) from None
    all_referred(used, len(spans))
    return {"kind": "sparse", "format": fmt, "dtype": dtype, "shape": list(shape), "hex": raw[0].hex(),
            na: a, nb: b}


def sanity_decode_frame(vid, inp, value):
    data = base64.b64decode(inp["base64"], validate=True)
    header, d, spans = read_frame(data)
    assert header["__tywrap__"] == MARKER_NAME and header["encoding"] == "frame", vid
    assert header["format"] in FORMATS and header["dtype"] in SPARSE_DTYPES, vid
    got = _sparse_tail(header, data, d, spans)
    assert got == value, f"{vid}: frame decodes to {got}, expected {value}"


# ----------------------------------------------------------------------------------------------

SP_BASE = ["sparse.format", "sparse.dtype", "sparse.shape", "sparse.arrays", "sparse.lengths",
           "sparse.index-values", "sparse.index-range", "sparse.stored-entries", "canonical.sparse",
           "canonical.ndarray.bytes"]
ENC = ["frame.encode", "frame.buffers", "frame.padding", "sparse.encode.members", "canonical.sparse",
       "canonical.ndarray.bytes"]
EXAMPLE = "sp.csr_matrix(np.array([[0, 1.5, 0], [2.0, 0, -1.0]]))"

# values the json encoding refuses and a frame carries ([frame.values], [sparse.encode.refuse])
BEYOND_JSON = [
    ("csr-matrix-float64-nan-inf", "sp.csr_matrix(np.array([[np.nan, 0], [0, np.inf], [-np.inf, 0]]))",
     "csr_matrix float64 NaN, +Inf and -Inf, which json cannot carry"),
    ("coo-array-float64-nan-payload",
     "sp.coo_array((np.array([0x7ff0000000000001, 0xfff8000000000000], dtype='<u8').view('<f8'), "
     "(np.array([0, 1]), np.array([1, 0]))), shape=(2, 2))",
     "coo_array float64 signalling NaN with payload 1 and a negative quiet NaN, bits kept"),
    ("csc-array-float32-nan", "sp.csc_array(np.array([[np.nan, 0], [0, -np.inf]], dtype=np.float32))",
     "csc_array float32 NaN and -Inf"),
    ("csr-array-int64-extremes", "sp.csr_array(np.array([[-2**63, 0], [2**53, 2**63 - 1]], dtype=np.int64))",
     "csr_array int64 min, 2^53 and max, beyond json's range"),
    ("coo-matrix-uint64-max", "sp.coo_matrix(np.array([[2**64 - 1, 0], [0, 2**53 + 1]], dtype=np.uint64))",
     "coo_matrix uint64 max and 2^53+1"),
]


def frame_vectors(S: Suite):
    from .scipy_sparse import BIG, CLASSES, DTYPES, EMPTY, STORED
    made = []

    def add(vid, desc, expr, clauses=(), tags=None):
        m = run(expr)
        data = sparse_frame(m)
        value = canon(m)
        assert frame_of_value(value) == data, vid
        S.valid(vid, desc, uniq(["frame.encode"] + FRAME_BASE + list(clauses) + SP_BASE +
                                (["sparse.indptr"] if m.format != "coo" else [])), B(data), value, src(expr), tags)
        made.append((vid, value))
        return vid

    for suffix, expr, desc, *_ in CLASSES + DTYPES + EMPTY + STORED + BIG:
        extra = []
        if suffix == "csr-matrix-example":
            from .ndarray_frame import FRAME_ALL
            extra = FRAME_ALL + ["sparse.encodings", "sparse.members", "sparse.required", "sparse.limits",
                                 "sparse.values", "sparse.elements"]
        tags = ["boundary"] if (suffix, expr, desc) in EMPTY or any(suffix == b[0] for b in BIG) else None
        vid = add(f"sparse-frame-{suffix}", f"frame {desc}", expr, extra, tags)
        S.group(f"eq-sparse-frame-{suffix}", f"{desc}: frame and json", [vid, f"sparse-{suffix}"])
    for suffix, expr, desc in BEYOND_JSON:
        add(f"sparse-frame-{suffix}", f"frame {desc}", expr, ["frame.values", "sparse.values"])
    add("sparse-frame-csr-matrix-buffers-touching", "frame csr_matrix whose 64-byte data and indices "
        "leave no padding between buffers", "sp.csr_matrix(np.arange(1.0, 9.0).reshape(2, 4))",
        ["frame.padding"], tags=["boundary"])
    from .scipy_sparse import add_valid
    add_valid(S, "sparse-csr-matrix-float64-2x4-full", "csr_matrix float64 2x4 with all eight entries stored",
              "sp.csr_matrix(np.arange(1.0, 9.0).reshape(2, 4))")
    S.group("eq-sparse-frame-csr-matrix-buffers-touching", "csr_matrix float64 2x4 full: frame and json",
            ["sparse-frame-csr-matrix-buffers-touching", "sparse-csr-matrix-float64-2x4-full"])
    h, bufs = split(sparse_frame(run("sp.csr_matrix(np.arange(1.0, 9.0).reshape(2, 4))")))
    assert h["buffers"] == [[0, 64], [64, 64], [128, 24]], h["buffers"]
    h, bufs = split(sparse_frame(run("sp.coo_matrix((0, 0))")))
    assert h["buffers"] == [[0, 0], [0, 0], [0, 0]], h["buffers"]

    for vid, value in made:
        _, vec = S.vectors[vid]
        name = vid[len("sparse-frame-"):]
        extra = ["sparse.encode.refuse"] if any(name == b[0] for b in BEYOND_JSON) else []
        S.encode(f"sparse-frame-encode-{name}", f"frame encoder writes exactly: {vec['description'][6:]}",
                 uniq(ENC + extra), value, "frame", {"roundtrip": True, "bytes": vec["input"]["base64"]},
                 vec["source"])
    ex = canon(run(EXAMPLE))
    for name, desc, value, code, cl, m in [
            ("hex-not-whole", "hex of two and a half float64 values", with_(ex, hex=ex["hex"][:40]),
             "E_SHAPE_MISMATCH", ["sparse.encode.refuse", "frame.lengths", "canonical.sparse"],
             "hex cut to 20 bytes"),
            ("indices-long", "indices one longer than nnz", with_(ex, indices=ex["indices"] + [0]),
             "E_SHAPE_MISMATCH", ["sparse.encode.refuse", "sparse.lengths", "canonical.sparse"],
             "indices [1, 0, 2] -> [1, 0, 2, 0]"),
            ("index-out-of-range", "column index 3 in a 2x3 shape", with_(ex, indices=[1, 0, 3]),
             "E_SPARSE_INDEX", ["sparse.encode.refuse", "sparse.index-range", "canonical.sparse"],
             "indices [1, 0, 2] -> [1, 0, 3]"),
            ("indptr-decreasing", "indptr [0, 2, 1] ending below nnz", with_(ex, indptr=[0, 2, 1]),
             "E_SPARSE_INDEX", ["sparse.encode.refuse", "sparse.indptr", "canonical.sparse"],
             "indptr [0, 1, 3] -> [0, 2, 1]"),
            ("format-dia", "format dia", with_(ex, format="dia"), "E_FORMAT_UNSUPPORTED",
             ["sparse.encode.refuse", "sparse.format", "canonical.sparse"], "format csr -> dia"),
            ("dtype-float16", "dtype float16, which scipy cannot hold",
             with_(ex, dtype="float16", hex=np.array([1.5, 2.0, -1.0], dtype="<f2").tobytes().hex()),
             "E_DTYPE_UNSUPPORTED", ["sparse.encode.refuse", "sparse.dtype", "canonical.sparse"],
             "dtype float64 -> float16, hex as binary16")]:
        S.encode(f"sparse-frame-encode-refuse-{name}", f"frame encoder refuses a sparse value with {desc}",
                 cl + ["frame.encode"], value, "frame", {"error": code}, src(EXAMPLE, f"canonical value's {m}"))
    bexpr = "sp.csr_matrix(np.array([[True, False], [False, True]]))"
    bv = canon(run(bexpr))
    assert bv["hex"] == "0101"
    S.encode("sparse-frame-encode-refuse-bool-02", "frame encoder refuses a bool sparse value holding the byte 02",
             ["frame.values", "sparse.values", "frame.encode", "canonical.sparse"], with_(bv, hex="0102"), "frame",
             {"error": "E_VALUE_DOMAIN"}, src(bexpr, "canonical value's hex 0101 -> 0102"))

    invalid_vectors(S)


def invalid_vectors(S: Suite):
    F = sparse_frame(run(EXAMPLE))
    header, bufs = split(F)
    assert header["buffers"] == [[0, 24], [64, 24], [128, 24]]
    D = len(F) - 152

    def bad(name, desc, clauses, data, code, m, expr=EXAMPLE, budget=None, tags=None):
        checked(data, code, clauses, _sparse_tail,
                known=READER + ("sparse.lengths", "sparse.index-range", "sparse.indptr"))
        S.invalid(f"sparse-frame-invalid-{name}", desc, clauses, B(data), code, src(expr, m),
                  budget=budget, tags=tags)

    def hdr(bufs_=bufs, offsets=None, **kv):
        return rebuild(with_(header, **kv), bufs_, offsets=offsets)

    bad("padding-between-buffers", "sparse frame with byte 01 between data and indices", ["frame.padding"],
        F[:D + 24] + b"\x01" + F[D + 25:], "E_FRAME_LAYOUT", "byte 24 after D (padding after data): 00 -> 01")
    FB = ["frame.buffers"]
    for name, offs, desc in [
            ("indices-at-32", [0, 32, 64], "indices at offset 32, not a multiple of 64"),
            ("indices-at-24", [0, 24, 64], "indices right after data at 24, unaligned"),
            ("overlapping", [0, 0, 64], "indices at offset 0, over data"),
            ("gap", [0, 128, 192], "indices at 128, leaving a 64-byte gap"),
            ("out-of-order", [0, 128, 64], "indices at 128 listed before indptr at 64")]:
        lay = [[o, 24] for o in offs]
        bad(f"buffers-{name}", f"sparse frame with {desc}", FB, hdr(offsets=offs, buffers=lay), "E_FRAME_LAYOUT",
            f"buffers placed at {offs}, header buffers {json.dumps(lay)}")
    bad("trailing-byte", "sparse frame followed by one zero byte", FB, F + b"\x00", "E_FRAME_LAYOUT",
        "byte 00 appended")
    bad("buffers-length-2-40", "sparse frame whose indptr buffer claims 2^40 bytes",
        ["frame.limits", "limits.decoded-bytes", "frame.buffers"],
        hdr(buffers=[[0, 24], [64, 24], [128, 2**40]]), "E_LIMIT_EXCEEDED",
        "header: indptr length 24 -> 2^40; the buffers' bytes kept", budget=HOSTILE_BUDGET, tags=["hostile"])

    FR = ["frame.references", "sparse.arrays"]
    twice = "sp.csr_matrix(np.array([[1.0, 0, 0, 0], [0, 2.0, 0, 3.0]]))"
    h2, b2 = split(sparse_frame(run(twice)))
    assert b2[1] == b2[2] and h2["indices"] == 1 and h2["indptr"] == 2
    bad("buffer-referred-twice", "sparse frame whose indices and indptr both refer to buffer 1", FR,
        rebuild(with_(h2, indptr=1, buffers=h2["buffers"][:2]), b2[:2]), "E_FRAME_LAYOUT",
        "indptr 2 -> 1 (indices and indptr are both [0, 1, 3]), buffer 2 removed", expr=twice)
    bad("buffer-never-referred", "sparse frame with a fourth buffer no member refers to", FR,
        hdr(bufs_=bufs + [b"\x00" * 8], buffers=header["buffers"] + [[192, 8]]), "E_FRAME_LAYOUT",
        "an 8-byte zero buffer added at offset 192")
    bad("indptr-index-3", "sparse frame whose indptr refers to buffer 3 of three", FR, hdr(indptr=3),
        "E_FRAME_LAYOUT", "header: indptr 2 -> 3")
    bad("indices-string", "sparse frame whose indices member is the string \"1\"",
        FR + ["envelope.field-types"], hdr(indices="1"), "E_FIELD_TYPE", 'header: indices 1 -> "1"')
    bad("data-json-array", "sparse frame whose data member is the json array of values",
        FR + ["envelope.field-types"], hdr(data=[1.5, 2.0, -1.0]), "E_FIELD_TYPE",
        "header: data 0 -> [1.5, 2.0, -1.0]")

    FL = ["frame.lengths"]
    for name, i, n, desc, code, cl in [
            ("data-not-whole", 0, 20, "data of 20 bytes: two and a half float64", "E_SHAPE_MISMATCH", FL),
            ("indices-not-whole", 1, 20, "indices of 20 bytes, not a multiple of 8", "E_SHAPE_MISMATCH", FL),
            ("indices-count", 1, 16, "two indices for three values", "E_SHAPE_MISMATCH", ["sparse.lengths"] + FL),
            ("indptr-count", 2, 16, "indptr of two items for two rows (three needed)", "E_SHAPE_MISMATCH",
             ["sparse.lengths"] + FL)]:
        nb = list(bufs)
        nb[i] = nb[i][:n]
        lay = [[o, len(b)] for o, b in zip((0, 64, 128), nb)]
        bad(f"length-{name}", f"sparse frame with {desc}", cl, hdr(bufs_=nb, buffers=lay), code,
            f"buffer {i} cut from {len(bufs[i])} to {n} bytes")
    cexpr = "sp.coo_array(np.array([[0, 1.5, 0], [2.0, 0, -1.0]]))"
    hc, bc = split(sparse_frame(run(cexpr)))
    bad("coo-col-count", "coo frame whose col holds two indices for three values", ["sparse.lengths"] + FL,
        rebuild(with_(hc, buffers=[[0, 24], [64, 24], [128, 16]]), [bc[0], bc[1], bc[2][:16]]),
        "E_SHAPE_MISMATCH", "col buffer cut from 24 to 16 bytes", expr=cexpr)

    FV = ["frame.values", "sparse.index-values"]
    for name, i, k, v, desc in [("index-minus-1", 1, 1, -1, "indices item 1 is -1"),
                                ("index-int64-min", 1, 0, -2**63, "indices item 0 is -2^63"),
                                ("indptr-2-53", 2, 2, 2**53, "indptr's last item is 2^53")]:
        nb = list(bufs)
        nb[i] = nb[i][:8 * k] + struct.pack("<q", v) + nb[i][8 * k + 8:]
        bad(name, f"sparse frame whose {desc}", FV, hdr(bufs_=nb), "E_VALUE_DOMAIN",
            f"buffer {i} item {k} -> {v}")
    nb = list(bc)
    nb[1] = struct.pack("<q", 2**53 - 1 + 1) + nb[1][8:]
    bad("coo-row-2-53", "coo frame whose first row index is 2^53", FV, rebuild(hc, nb), "E_VALUE_DOMAIN",
        "row item 0 -> 9007199254740992", expr=cexpr)
    bexpr = "sp.csr_matrix(np.array([[True, False], [False, True]]))"
    hb, bb = split(sparse_frame(run(bexpr)))
    bad("bool-data-02", "bool sparse frame whose second stored value is the byte 02",
        ["frame.values", "sparse.values"], rebuild(hb, [b"\x01\x02", bb[1], bb[2]]), "E_VALUE_DOMAIN",
        "data 01 01 -> 01 02", expr=bexpr)

    nb = list(bufs)
    nb[1] = index_bytes([1, 0, 3])
    bad("index-out-of-range", "sparse frame with column index 3 in a 2x3 matrix",
        ["sparse.index-range", "frame.values"], hdr(bufs_=nb), "E_SPARSE_INDEX", "indices [1, 0, 2] -> [1, 0, 3]")
    eye = "sp.csr_matrix(np.eye(3))"
    he, be = split(sparse_frame(run(eye)))
    assert be[2] == index_bytes([0, 1, 2, 3])
    bad("indptr-decreasing", "sparse frame whose indptr [0, 2, 1, 3] decreases",
        ["sparse.indptr", "frame.values"], rebuild(he, [be[0], be[1], index_bytes([0, 2, 1, 3])]),
        "E_SPARSE_INDEX", "indptr [0, 1, 2, 3] -> [0, 2, 1, 3]", expr=eye)
    bad("indptr-last-not-nnz", "sparse frame whose indptr ends at 2 with nnz 3",
        ["sparse.indptr", "frame.values"], hdr(bufs_=[bufs[0], bufs[1], index_bytes([0, 1, 2])]),
        "E_SPARSE_INDEX", "indptr [0, 1, 3] -> [0, 1, 2]")
    nb = list(bc)
    nb[1] = index_bytes([0, 1, 2])
    bad("coo-row-out-of-range", "coo frame with row index 2 in a 2x3 matrix", ["sparse.index-range", "frame.values"],
        rebuild(hc, nb), "E_SPARSE_INDEX", f"row {[x for (x,) in struct.iter_unpack('<q', bc[1])]} -> [0, 1, 2]",
        expr=cexpr)

    FE = ["frame.envelope"]
    bad("dtype-float16", "sparse frame whose dtype is float16", ["sparse.dtype"] + FE, hdr(dtype="float16"),
        "E_DTYPE_UNSUPPORTED", "header: dtype float64 -> float16")
    bad("format-dia", "sparse frame whose format is dia", ["sparse.format"] + FE, hdr(format="dia"),
        "E_FORMAT_UNSUPPORTED", "header: format csr -> dia")
    bad("row-in-csr", "csr frame whose header also names a row buffer", ["sparse.members"] + FE,
        rebuild(dict(list(header.items())[:-1] + [("row", 1), ("buffers", header["buffers"])]), bufs),
        "E_UNKNOWN_FIELD", "header: row 1 added before buffers")
    bad("indices-missing", "csr frame whose header has no indices member", ["sparse.required"] + FE,
        rebuild(without(header, "indices"), bufs), "E_MISSING_FIELD", "header: indices removed")
    bad("no-codec-version", "sparse frame whose header has no codecVersion",
        ["frame.codec-version", "envelope.codec-version", "sparse.legacy-v0"] + FE,
        rebuild(without(header, "codecVersion"), bufs), "E_CODEC_VERSION", "header: codecVersion removed")
    from .scipy_sparse_producer import sparse_env
    jenv = sparse_env(run(EXAMPLE))
    jh = dict(jenv)
    jh["buffers"] = []
    bad("encoding-json", "sparse frame whose header is the json envelope, arrays inline, no buffers",
        ["sparse.encodings", "envelope.encoding"] + FE, rebuild(jh, []), "E_ENCODING_UNSUPPORTED",
        "header: the json envelope with buffers [], the buffers removed")
    S.invalid("sparse-frame-invalid-json-encoding-frame", "JSON sparse envelope with encoding frame and "
              "buffer indices", ["sparse.encodings", "frame.envelope", "envelope.encoding"],
              J(without(header, "buffers")), "E_ENCODING_UNSUPPORTED",
              src(EXAMPLE, "the frame's header, without buffers, sent as a JSON envelope"), schema_valid=False)
