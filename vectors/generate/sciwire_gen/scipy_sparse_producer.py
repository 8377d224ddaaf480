"""The scipy.sparse envelope as a conforming producer writes it ([sparse.encode.members],
[sparse.encode.refuse]), and the canonical value of a sparse matrix ([canonical.sparse]).

Modelled on tywrap 0.10's `serialize_sparse_matrix`, with the defects the spec fixes: the format
is read with `m.format` (tywrap calls `getformat()`, which the `*_array` classes lack, so it fails
on them), integers beyond +-(2^53-1) and non-finite floats are refused instead of written, and a
dtype outside [sparse.dtype] (complex, float128, float16) and inconsistent index arrays are
refused with the code a decoder would give.

Shared by scipy_sparse.py (valid, encode, equivalence) and scipy_sparse_invalid.py.
"""

from __future__ import annotations

import numpy as np
import scipy
import scipy.sparse as sp

from .common import MAX_SAFE, source_maker

# What the scipy.sparse vectors were built with: source.libraries of each of them.
LIBRARIES = {"numpy": np.__version__, "scipy": scipy.__version__}
src = source_maker(LIBRARIES)

NS = {"np": np, "sp": sp}

MARKER_NAME = "scipy.sparse"
FORMATS = ("csr", "csc", "coo")
# [sparse.dtype]: the ndarray table's json dtypes that scipy.sparse holds (not float16)
SPARSE_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                 "float32", "float64")
ITEM_SIZE = {"bool": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8, "uint8": 1, "uint16": 2,
             "uint32": 4, "uint64": 8, "float16": 2, "float32": 4, "float64": 8}
INDEX_MEMBERS = {"csr": ("indices", "indptr"), "csc": ("indices", "indptr"), "coo": ("row", "col")}


def run(expr: str):
    """Evaluate the expression that builds a value, so `source.expr` is exactly what ran."""
    return eval(expr, dict(NS))  # noqa: S307 - expressions are literals in the sparse modules


class Refused(Exception):
    """The producer refuses the object, with the code [sparse.encode.refuse] names."""

    def __init__(self, code: str, why: str):
        super().__init__(f"{code}: {why}")
        self.code = code


def _check_indices(fmt, shape, nnz, a, b):
    """[sparse.lengths], [sparse.indptr], [sparse.index-range] on the index arrays (lists)."""
    if fmt in ("csr", "csc"):
        major, minor = (shape[0], shape[1]) if fmt == "csr" else (shape[1], shape[0])
        indices, indptr = a, b
        if len(indices) != nnz or len(indptr) != major + 1:
            raise Refused("E_SHAPE_MISMATCH", "index array lengths disagree with nnz and shape")
        if indptr[0] != 0 or indptr[-1] != nnz or any(x > y for x, y in zip(indptr, indptr[1:])):
            raise Refused("E_SPARSE_INDEX", "indptr does not rise from 0 to nnz")
        if any(not 0 <= i < minor for i in indices):
            raise Refused("E_SPARSE_INDEX", "an index lies outside the shape")
    else:
        row, col = a, b
        if len(row) != nnz or len(col) != nnz:
            raise Refused("E_SHAPE_MISMATCH", "row/col lengths differ from nnz")
        if any(not 0 <= r < shape[0] for r in row) or any(not 0 <= c < shape[1] for c in col):
            raise Refused("E_SPARSE_INDEX", "an index lies outside the shape")


def _index_lists(m):
    fmt = m.format
    if fmt in ("csr", "csc"):
        return [int(x) for x in m.indices.tolist()], [int(x) for x in m.indptr.tolist()]
    return [int(x) for x in m.row.tolist()], [int(x) for x in m.col.tolist()]


def sparse_env(m) -> dict:
    """The envelope of a scipy sparse matrix or array, as [sparse.encode.members] says; raises
    Refused for what [sparse.encode.refuse] refuses. The stored entries are written as stored:
    no sum_duplicates(), eliminate_zeros() or sort_indices()."""
    if not sp.issparse(m):
        raise TypeError("not a scipy sparse object")
    fmt = m.format  # both *_matrix and *_array have .format; only *_matrix has getformat()
    if fmt not in FORMATS:
        raise Refused("E_FORMAT_UNSUPPORTED", f"format {fmt}; convert explicitly, e.g. m.tocsr()")
    if len(m.shape) != 2:
        raise Refused("E_SHAPE_INVALID", f"a {len(m.shape)}-d sparse array is not a matrix")
    dt = m.dtype
    if dt.name not in SPARSE_DTYPES or dt.byteorder not in "=|<":
        raise Refused("E_DTYPE_UNSUPPORTED", f"dtype {dt}")
    data = m.data.tolist()
    if dt.kind == "f":
        if not all(np.isfinite(m.data)):
            raise Refused("E_VALUE_DOMAIN", "NaN or infinity in data")
        data = [float(x) for x in data]
    elif dt.kind in "iu":
        if any(abs(int(x)) > MAX_SAFE for x in data):
            raise Refused("E_VALUE_DOMAIN", "an integer beyond +-(2^53-1)")
        data = [int(x) for x in data]
    else:
        data = [bool(x) for x in data]
    shape = [int(m.shape[0]), int(m.shape[1])]
    a, b = _index_lists(m)
    _check_indices(fmt, shape, len(data), a, b)
    na, nb = INDEX_MEMBERS[fmt]
    return {"__tywrap__": MARKER_NAME, "codecVersion": 1, "encoding": "json", "format": fmt,
            "shape": shape, "dtype": dt.name, "data": data, na: a, nb: b}


def refusal(m) -> str | None:
    """The code sparse_env refuses m with, or None when it writes an envelope."""
    try:
        sparse_env(m)
    except Refused as e:
        return e.code
    return None


def le_hex(values: np.ndarray) -> str:
    """[canonical.ndarray.bytes] of a 1-d array: little-endian element bytes."""
    a = np.ascontiguousarray(values)
    return a.astype(a.dtype.newbyteorder("<")).tobytes().hex()


def canon(m) -> dict:
    """[canonical.sparse] of a scipy sparse object, read from what it stores (no check: an
    encode refusal vector needs the canonical value of an object the producer refuses)."""
    fmt = m.format
    na, nb = INDEX_MEMBERS.get(fmt, ("indices", "indptr"))
    a, b = _index_lists(m) if fmt in FORMATS else ([], [])
    return {"kind": "sparse", "format": fmt, "dtype": str(m.dtype), "shape": [int(x) for x in m.shape],
            "hex": le_hex(m.data), na: a, nb: b}


def canon_raw(fmt, dtype, shape, data, a, b) -> dict:
    """[canonical.sparse] of stored entries given as lists (for hand-built values)."""
    na, nb = INDEX_MEMBERS[fmt]
    return {"kind": "sparse", "format": fmt, "dtype": dtype, "shape": list(shape),
            "hex": le_hex(np.array(data, dtype=dtype)), na: list(a), nb: list(b)}


def env_raw(fmt, shape, dtype, data, a, b, **extra) -> dict:
    """An envelope with the producer's member order, built from parts (for hand-written ones)."""
    na, nb = INDEX_MEMBERS.get(fmt, ("indices", "indptr"))
    env = {"__tywrap__": MARKER_NAME, "codecVersion": 1, "encoding": "json", "format": fmt,
           "shape": shape, "dtype": dtype, "data": data, na: a, nb: b}
    env.update(extra)
    return env
