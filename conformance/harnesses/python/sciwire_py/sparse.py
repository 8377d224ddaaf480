"""The scipy.sparse envelope (spec/src/scipy-sparse.md): [sparse.*] in
processing order, the canonical value ([canonical.sparse]) and the encoder.

As in decoder.py, each clause is one module-level function called through the
module's globals, in the order the page lists them, so that the order can be
audited against the book and mutants.py can switch single rules off.

A decoded matrix keeps its stored entries exactly ([sparse.stored-entries]):
duplicates, explicit zeros and unsorted indices are never summed, dropped or
sorted, here or in the scipy array :meth:`DecodedSparse.to_scipy` builds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Tuple

import numpy as np

from . import decoder, dtypes, jsontext
from .dtypes import DType
from .errors import SciwireError, UnrepresentableError, pointer
from .limits import DEFAULT_LIMITS, MAX_SAFE_INTEGER, Limits

FORMATS = ("csr", "csc", "coo")
#: format -> the two index arrays, in member order (the first pairs with data)
INDEX_MEMBERS = {"csr": ("indices", "indptr"), "csc": ("indices", "indptr"), "coo": ("row", "col")}
#: [sparse.required]: the order in which missing members are reported
REQUIRED_ORDER = ("shape", "dtype", "data", "indices", "indptr", "row", "col")
#: [sparse.dtype]: the dtype table's names that have a json form and that
#: scipy.sparse holds (not float16: scipy refuses to build it)
SPARSE_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32",
                 "float64")


@dataclass(eq=False)  # numpy arrays inside: compare canonical values instead
class DecodedSparse:
    """A decoded sparse matrix: its stored entries, exactly as stored.

    ``data`` holds the nnz stored values (a numpy array of ``dtype``);
    ``index1`` and ``index2`` are the format's index arrays as int64 numpy
    arrays: ``indices`` and ``indptr`` for csr/csc, ``row`` and ``col`` for coo.
    """

    format: str
    dtype: DType
    shape: Tuple[int, int]
    data: np.ndarray
    index1: np.ndarray
    index2: np.ndarray

    @property
    def nnz(self) -> int:
        return int(self.data.size)

    def canonical(self) -> dict:
        """The canonical value ([canonical.sparse])."""
        a, b = INDEX_MEMBERS[self.format]
        return {"kind": "sparse", "format": self.format, "dtype": self.dtype.name, "shape": list(self.shape),
                "hex": decoder.canonical_bytes(self.data).hex(), a: self.index1.tolist(), b: self.index2.tolist()}

    def to_scipy(self):
        """The matrix as a scipy.sparse ``csr_array``, ``csc_array`` or
        ``coo_array``, with every stored entry kept as stored (no duplicates
        summed, no zeros dropped, no indices sorted)."""
        return to_scipy(self.format, self.shape, self.data, self.index1, self.index2)

    to_python = to_scipy


def to_scipy(fmt: str, shape, data: np.ndarray, index1: np.ndarray, index2: np.ndarray):
    """A scipy ``*_array`` from parts that follow the page's rules.

    scipy's constructors keep the entries as given: ``csr_array((data,
    indices, indptr))`` and ``coo_array((data, (row, col)))`` neither sum
    duplicates nor sort nor prune zeros (tests/test_sparse.py checks it).
    """
    import scipy.sparse as sp
    shape = (int(shape[0]), int(shape[1]))
    try:
        if fmt == "coo":
            m = sp.coo_array((data.copy(), (index1.copy(), index2.copy())), shape=shape)
        else:
            cls = sp.csr_array if fmt == "csr" else sp.csc_array
            m = cls((data.copy(), index1.copy(), index2.copy()), shape=shape)
    except (ValueError, OverflowError, MemoryError) as e:  # pragma: no cover - scipy's own limits
        raise UnrepresentableError(f"scipy cannot hold this valid {fmt} matrix of shape {list(shape)}: {e}") \
            from None
    if m.nnz != data.size:  # pragma: no cover - defensive: scipy must keep every stored entry
        raise AssertionError("scipy changed the stored entries")
    return m


# ---------------------------------------------------------------------------
# The page's clauses, in processing order
# ---------------------------------------------------------------------------

def check_format(v) -> str:
    """[sparse.format]"""
    if "format" not in v:
        raise SciwireError("E_MISSING_FIELD", "format is required", "sparse.format", "/format")
    f = v["format"]
    if not isinstance(f, str):
        raise SciwireError("E_FIELD_TYPE", f"format is {decoder._kind(f)}, not a string", "sparse.format", "/format")
    if f not in FORMATS:
        raise SciwireError("E_FORMAT_UNSUPPORTED", f"format {decoder._show(f)} is not 'csr', 'csc' or 'coo'",
                           "sparse.format", "/format")
    return f


def check_format_members(v, fmt: str) -> None:
    """[sparse.members]: csr/csc have no row/col, coo no indices/indptr."""
    banned = ("indices", "indptr") if fmt == "coo" else ("row", "col")
    for name in v:  # in document order: the first one found is reported
        if name in banned:
            raise SciwireError("E_UNKNOWN_FIELD", f"member {name!r} does not belong to a {fmt} envelope",
                               "sparse.members", pointer(name))


def check_required(v, fmt: str, version: int) -> None:
    """[sparse.required] and [sparse.legacy-v0]: v0 may omit nothing."""
    needed = ("shape", "dtype", "data") + INDEX_MEMBERS[fmt]
    for name in REQUIRED_ORDER:
        if name in needed and name not in v:
            if version == 0:
                raise SciwireError("E_MISSING_FIELD", f"{name} is required, in the legacy v0 form too",
                                   "sparse.legacy-v0", pointer(name))
            raise SciwireError("E_MISSING_FIELD", f"{name} is required", "sparse.required", pointer(name))


def check_dtype(v) -> DType:
    """[sparse.dtype]"""
    name = v["dtype"]
    if not isinstance(name, str):
        raise SciwireError("E_FIELD_TYPE", f"dtype is {decoder._kind(name)}, not a string", "sparse.dtype", "/dtype")
    if name not in SPARSE_DTYPES:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"dtype {decoder._show(name)} is not one of the json dtypes a "
                           "sparse matrix holds", "sparse.dtype", "/dtype")
    return dtypes.lookup(name)


def check_shape(v) -> Tuple[int, int]:
    """[sparse.shape]: exactly two integers in [0, 2^53-1]."""
    s = v["shape"]
    if not jsontext.is_array(s):
        raise SciwireError("E_FIELD_TYPE", f"shape is {decoder._kind(s)}, not an array", "sparse.shape", "/shape")
    if len(s) != 2:
        raise SciwireError("E_SHAPE_INVALID", f"shape has {len(s)} entries; a sparse matrix has 2", "sparse.shape",
                           "/shape")
    out = []
    for k, item in enumerate(s if isinstance(s, list) else s.items()):
        if not (decoder.is_integer_value(item) and 0 <= item <= MAX_SAFE_INTEGER):
            raise SciwireError("E_SHAPE_INVALID", f"shape entry {decoder._show(item)} is not an integer in "
                               "[0, 2^53-1]", "sparse.shape", pointer("shape", k))
        out.append(int(item))
    return out[0], out[1]


def check_arrays(v, fmt: str) -> None:
    """[sparse.arrays]: data, then the two index arrays, are JSON arrays."""
    for name in ("data",) + INDEX_MEMBERS[fmt]:
        if not jsontext.is_array(v[name]):
            raise SciwireError("E_FIELD_TYPE", f"{name} is {decoder._kind(v[name])}, not an array", "sparse.arrays",
                               pointer(name))


def check_limits(v, fmt: str, dtype: DType, limits: Limits) -> None:
    """[sparse.limits]: items of each array ([limits.elements]), then nnz x item
    size ([limits.decoded-bytes]). len() of a parsed array counts its items
    without converting any (jsontext.NumberArray)."""
    names = ("data",) + INDEX_MEMBERS[fmt]
    check_item_counts(names, [len(v[name]) for name in names], dtype, limits)


def check_item_counts(names, counts, dtype: DType, limits: Limits) -> None:
    """[sparse.limits] on the three arrays' item counts (of JSON arrays, or
    of a frame's buffers: [frame.lengths])."""
    for name, n in zip(names, counts):
        if n > limits.max_elements:
            raise SciwireError("E_LIMIT_EXCEEDED", f"{name} has {n} items, more than max_elements "
                               f"{limits.max_elements}", "sparse.limits", pointer(name))
    nnz = counts[0]
    if nnz * dtype.itemsize > limits.max_decoded_bytes:
        raise SciwireError("E_LIMIT_EXCEEDED", f"{nnz} values of {dtype.name} are {nnz * dtype.itemsize} bytes, more "
                           f"than max_decoded_bytes {limits.max_decoded_bytes}", "sparse.limits", "/data")


def expected_lengths(fmt: str, shape, nnz: int) -> Tuple[int, int]:
    """The lengths [sparse.lengths] gives the two index arrays."""
    if fmt == "coo":
        return nnz, nnz
    major = shape[0] if fmt == "csr" else shape[1]
    return nnz, major + 1


def check_lengths(fmt: str, shape, nnz: int, len1: int, len2: int) -> None:
    """[sparse.lengths]: the array that pairs with data first, then the other."""
    a, b = INDEX_MEMBERS[fmt]
    want1, want2 = expected_lengths(fmt, shape, nnz)
    if len1 != want1:
        raise SciwireError("E_SHAPE_MISMATCH", f"{a} has {len1} items; data has {nnz}, so {a} needs {want1}",
                           "sparse.lengths", pointer(a))
    if len2 != want2:
        why = f"data has {nnz}" if fmt == "coo" else \
            f"the major dimension ({'rows' if fmt == 'csr' else 'columns'}) is {want2 - 1}"
        raise SciwireError("E_SHAPE_MISMATCH", f"{b} has {len2} items; {why}, so {b} needs {want2}",
                           "sparse.lengths", pointer(b))


def data_values(data, dtype: DType) -> np.ndarray:
    """[sparse.values] and [sparse.elements]: the rules and element bytes of
    [ndarray.json.values] for a flat array."""
    leaves = data.to_numpy() if isinstance(data, jsontext.NumberArray) else data
    try:
        return decoder.json_values(leaves, dtype)
    except SciwireError as e:
        if e.code != "E_VALUE_DOMAIN":  # pragma: no cover - json_values raises nothing else
            raise
        raise SciwireError("E_VALUE_DOMAIN", e.message, "sparse.values", "/data") from None


def index_values(arr, name: str) -> np.ndarray:
    """[sparse.index-values]: every item an integer in [0, 2^53-1] (1.0 is 1),
    checked from the first item; the indices as int64."""
    def bad(k, x):
        raise SciwireError("E_VALUE_DOMAIN", f"{name}[{k}] is {decoder._show(x)}, not an integer in [0, 2^53-1]",
                           "sparse.index-values", pointer(name, k))
    if isinstance(arr, jsontext.NumberArray):
        a = arr.to_numpy()
    else:
        for k, x in enumerate(arr):
            if not decoder.is_number(x):
                bad(k, x)
        a = np.array(arr, dtype=np.float64)
    if a.size:
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(a) & (np.trunc(a) == a) & (a >= 0) & (a <= MAX_SAFE_INTEGER)
        if not ok.all():
            k = int(np.argmin(ok))
            bad(k, float(a[k]))
    return a.astype(np.int64)


def check_index_values(v, fmt: str) -> Tuple[np.ndarray, np.ndarray]:
    a, b = INDEX_MEMBERS[fmt]
    return index_values(v[a], a), index_values(v[b], b)


def check_indptr(indptr: np.ndarray, nnz: int) -> None:
    """[sparse.indptr] (csr, csc): starts at 0, never decreases, ends at nnz."""
    if indptr[0] != 0:
        raise SciwireError("E_SPARSE_INDEX", f"indptr starts at {int(indptr[0])}, not 0", "sparse.indptr",
                           "/indptr/0")
    if indptr.size > 1:
        drops = np.diff(indptr) < 0
        if drops.any():
            k = int(np.argmax(drops)) + 1
            raise SciwireError("E_SPARSE_INDEX", f"indptr decreases at item {k} ({int(indptr[k - 1])} then "
                               f"{int(indptr[k])})", "sparse.indptr", pointer("indptr", k))
    if indptr[-1] != nnz:
        raise SciwireError("E_SPARSE_INDEX", f"indptr ends at {int(indptr[-1])}, not at nnz {nnz}", "sparse.indptr",
                           pointer("indptr", indptr.size - 1))


def _below(arr: np.ndarray, bound: int, name: str, what: str) -> None:
    if arr.size:
        over = arr >= bound
        if over.any():
            k = int(np.argmax(over))
            raise SciwireError("E_SPARSE_INDEX", f"{name}[{k}] is {int(arr[k])}, outside the {bound} {what}",
                               "sparse.index-range", pointer(name, k))


def check_index_range(fmt: str, shape, index1: np.ndarray, index2: np.ndarray) -> None:
    """[sparse.index-range]: every index inside the shape."""
    if fmt == "csr":
        _below(index1, shape[1], "indices", "columns")
    elif fmt == "csc":
        _below(index1, shape[0], "indices", "rows")
    else:
        _below(index1, shape[0], "row", "rows")
        _below(index2, shape[1], "col", "columns")


def stored_entries(fmt: str, shape, data: np.ndarray, index1: np.ndarray, index2: np.ndarray):
    """[sparse.stored-entries]: the entries exactly as stored (the identity;
    a function so that mutants.py can model a decoder that sums duplicates)."""
    return data, index1, index2


def decode_sparse(v, version: int, limits: Limits = DEFAULT_LIMITS) -> DecodedSparse:
    """The scipy.sparse page, after the envelope's checks (marker, version,
    encoding, unknown members)."""
    fmt = check_format(v)
    check_format_members(v, fmt)
    check_required(v, fmt, version)
    dtype = check_dtype(v)
    shape = check_shape(v)
    from . import frame
    if frame.active() is not None:
        return decode_frame_arrays(v, fmt, dtype, shape, limits)
    check_arrays(v, fmt)
    check_limits(v, fmt, dtype, limits)
    a, b = INDEX_MEMBERS[fmt]
    nnz = len(v["data"])
    check_lengths(fmt, shape, nnz, len(v[a]), len(v[b]))
    data = data_values(v["data"], dtype)
    index1, index2 = check_index_values(v, fmt)
    if fmt != "coo":
        check_indptr(index2, nnz)
    check_index_range(fmt, shape, index1, index2)
    data, index1, index2 = stored_entries(fmt, shape, data, index1, index2)
    return DecodedSparse(fmt, dtype, shape, data, index1, index2)


def decode_frame_arrays(v, fmt: str, dtype: DType, shape, limits: Limits) -> DecodedSparse:
    """The page's clauses from [sparse.arrays] on, in a frame's header: the
    three members are buffer references ([frame.references], in member
    order), then [frame.lengths] (whole items), [sparse.limits] and
    [sparse.lengths] on the item counts, [frame.values] on data (bool bytes),
    [sparse.index-values] on the int64 indices, [sparse.indptr],
    [sparse.index-range]; the same functions as for JSON arrays from the
    lengths on."""
    from . import frame
    a, b = INDEX_MEMBERS[fmt]
    names = ("data", a, b)
    idx, counts = frame.sparse_payload(v, fmt, names, dtype)
    check_item_counts(names, counts, dtype, limits)
    nnz = counts[0]
    check_lengths(fmt, shape, nnz, counts[1], counts[2])
    data = frame.sparse_data(idx[0], dtype, nnz)
    index1, index2 = frame.sparse_indices(idx[1], a), frame.sparse_indices(idx[2], b)
    if fmt != "coo":
        check_indptr(index2, nnz)
    check_index_range(fmt, shape, index1, index2)
    data, index1, index2 = stored_entries(fmt, shape, data, index1, index2)
    return DecodedSparse(fmt, dtype, shape, data, index1, index2)


# ---------------------------------------------------------------------------
# Canonical values and the encoder
# ---------------------------------------------------------------------------

@dataclass(eq=False)  # numpy arrays inside: compare canonical values instead
class SparseParts:
    """A sparse matrix as the encoder sees it, before any rule is checked."""

    format: str
    dtype: DType
    shape: Tuple[int, int]
    data: np.ndarray
    index1: np.ndarray
    index2: np.ndarray


def _canon_error(msg, path=None):
    return SciwireError("E_FIELD_TYPE", msg, "canonical.sparse", path)


def parts_from_canonical(value: dict) -> SparseParts:
    """The parts of a canonical sparse value ([canonical.sparse]), with the
    checks of the page's decoder clauses that come before the lengths, in the
    decoder's order: format, dtype, shape, hex (whole elements) and the index
    arrays' types; the rest is :func:`check_parts`. ``hex`` that is not a
    whole number of elements is E_SHAPE_MISMATCH, as [canonical.sparse] says."""
    if not isinstance(value, dict) or value.get("kind") != "sparse":
        raise _canon_error("a canonical sparse value is an object with kind 'sparse'")
    f = value.get("format")
    if not isinstance(f, str):
        raise _canon_error("format is not a string", "/format")
    if f not in FORMATS:
        raise SciwireError("E_FORMAT_UNSUPPORTED", f"format {f!r} is not 'csr', 'csc' or 'coo'",
                           "sparse.encode.refuse", "/format")
    a, b = INDEX_MEMBERS[f]
    extra = set(value) - {"kind", "format", "dtype", "shape", "hex", a, b}
    if extra:
        raise _canon_error(f"a canonical {f} value has no member {sorted(extra)[0]!r}", pointer(sorted(extra)[0]))
    for name in ("dtype", "shape", "hex", a, b):
        if name not in value:
            raise _canon_error(f"a canonical {f} value has {name}", pointer(name))
    name = value["dtype"]
    if not isinstance(name, str):
        raise _canon_error("dtype is not a string", "/dtype")
    if name not in SPARSE_DTYPES:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"dtype {name!r} is not one of the json dtypes a sparse matrix "
                           "holds", "sparse.encode.refuse", "/dtype")
    dtype = dtypes.lookup(name)
    shape = value["shape"]
    if not isinstance(shape, list):
        raise _canon_error("shape is not an array", "/shape")
    if len(shape) != 2 or not all(_is_index(s) for s in shape):
        raise SciwireError("E_SHAPE_INVALID", f"shape {shape!r} is not two integers in [0, 2^53-1]",
                           "sparse.shape", "/shape")
    hexstr = value["hex"]
    if not isinstance(hexstr, str) or not _HEX.fullmatch(hexstr):
        raise _canon_error("hex is not a string of lowercase hex digit pairs", "/hex")
    if (len(hexstr) // 2) % dtype.itemsize:
        raise SciwireError("E_SHAPE_MISMATCH", f"hex holds {len(hexstr) // 2} bytes, not a whole number of "
                           f"{dtype.name} values", "canonical.sparse", "/hex")
    raw = bytes.fromhex(hexstr)
    data = np.frombuffer(raw, dtype=dtype.numpy()).copy()
    for n in (a, b):
        if not isinstance(value[n], list):
            raise _canon_error(f"{n} is not an array", pointer(n))
    return SparseParts(f, dtype, (int(shape[0]), int(shape[1])), data, value[a], value[b])


_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def _is_index(x) -> bool:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    if isinstance(x, float) and not x.is_integer():
        return False
    return 0 <= x <= MAX_SAFE_INTEGER


def _index_array(arr, name: str) -> np.ndarray:
    """[sparse.index-values] for an encoder's index list or array."""
    if isinstance(arr, np.ndarray):
        if arr.dtype.kind not in "iu":
            raise SciwireError("E_VALUE_DOMAIN", f"{name} is not an integer array", "sparse.index-values",
                               pointer(name))
        a = arr.reshape(-1)
        if a.size and (int(a.min()) < 0 or int(a.max()) > MAX_SAFE_INTEGER):
            k = int(np.argmax((a < 0) | (a > MAX_SAFE_INTEGER)))
            raise SciwireError("E_VALUE_DOMAIN", f"{name}[{k}] is {int(a[k])}, not an integer in [0, 2^53-1]",
                               "sparse.index-values", pointer(name, k))
        return a.astype(np.int64)
    for k, x in enumerate(arr):
        if not _is_index(x):
            raise SciwireError("E_VALUE_DOMAIN", f"{name}[{k}] is {x!r}, not an integer in [0, 2^53-1]",
                               "sparse.index-values", pointer(name, k))
    return np.array([int(x) for x in arr], dtype=np.int64)


def check_parts(p: SparseParts, json_values: bool) -> Tuple[np.ndarray, np.ndarray]:
    """The page's rules on an encoder's parts, in the decoder's processing
    order ([sparse.encode.refuse]): lengths, values (only when writing json:
    NaN, infinity and integers beyond +-(2^53-1)), index values, indptr, index
    range. Returns the index arrays as int64."""
    nnz = int(p.data.size)
    check_lengths(p.format, p.shape, nnz, len(p.index1), len(p.index2))
    if p.dtype.kind == "bool" and p.data.view(np.uint8).tobytes().translate(None, b"\x00\x01"):
        raise SciwireError("E_VALUE_DOMAIN", "bool values are the bytes 00 and 01", "canonical.sparse", "/hex")
    if json_values:
        json_refuse(p.data, p.dtype)
    a, b = INDEX_MEMBERS[p.format]
    i1, i2 = _index_array(p.index1, a), _index_array(p.index2, b)
    if p.format != "coo":
        check_indptr(i2, nnz)
    check_index_range(p.format, p.shape, i1, i2)
    return i1, i2


def json_refuse(data: np.ndarray, dtype: DType) -> None:
    """[sparse.encode.refuse]: values json cannot carry exactly."""
    if dtype.kind == "float":
        if data.size and not np.isfinite(data).all():
            raise SciwireError("E_VALUE_DOMAIN", "NaN and infinity have no json form", "sparse.encode.refuse",
                               "/data")
    elif dtype.kind in ("int", "uint"):
        if data.size and (int(data.max()) > MAX_SAFE_INTEGER or int(data.min()) < -MAX_SAFE_INTEGER):
            raise SciwireError("E_VALUE_DOMAIN", "integers beyond +-(2^53-1) have no exact json form",
                               "sparse.encode.refuse", "/data")


def from_canonical(value: dict):
    """The scipy array a canonical sparse value denotes."""
    p = parts_from_canonical(value)
    i1, i2 = check_parts(p, json_values=False)
    return to_scipy(p.format, p.shape, p.data, i1, i2)


def parts_from_scipy(m) -> SparseParts:
    """The parts of a scipy sparse matrix or array ([sparse.encode.members]:
    the format is read from the object; ``*_matrix`` and ``*_array`` give the
    same envelope). dia, bsr, lil and dok are refused, never converted."""
    fmt = getattr(m, "format", None)
    if fmt not in FORMATS:
        raise SciwireError("E_FORMAT_UNSUPPORTED", f"scipy format {fmt!r} is not csr, csc or coo; convert it "
                           "explicitly (m.tocsr())", "sparse.encode.refuse")
    d = dtypes.of_numpy(m.dtype)  # complex, object, big-endian: E_DTYPE_UNSUPPORTED
    if d.name not in SPARSE_DTYPES:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"dtype {d.name} is not one of the json dtypes a sparse matrix "
                           "holds", "sparse.encode.refuse")
    shape = tuple(int(x) for x in m.shape)
    if len(shape) != 2:  # scipy 1.17's 1-d coo_array and csr_array: matrices only
        raise SciwireError("E_SHAPE_INVALID", f"a sparse matrix has 2 dimensions, not {len(shape)}; the envelope "
                           "carries matrices only", "sparse.encode.refuse")
    data = np.ascontiguousarray(m.data).astype(d.numpy(), copy=False).reshape(-1)
    if d.kind == "bool":  # numpy can hold bytes other than 00/01 in a bool array; they mean True
        data = np.not_equal(data.view(np.uint8), 0)
    if fmt == "coo":
        i1, i2 = np.asarray(m.row), np.asarray(m.col)
    else:
        i1, i2 = np.asarray(m.indices), np.asarray(m.indptr)
    return SparseParts(fmt, d, shape, data, i1, i2)


def frame_parts(p: SparseParts):
    """[frame.encode] for a sparse matrix, after [sparse.encode.refuse] (the
    frame carries NaN, infinities and large integers; indices beyond 2^53-1
    and inconsistent arrays are refused): the header without ``buffers``, and
    the three buffers: the stored values' element bytes, then each index
    array as little-endian int64."""
    i1, i2 = check_parts(p, json_values=False)
    a, b = INDEX_MEMBERS[p.format]
    header = {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "frame", "format": p.format,
              "shape": list(p.shape), "dtype": p.dtype.name, "data": 0, a: 1, b: 2}
    data = np.ascontiguousarray(p.data, dtype=p.dtype.numpy())
    return header, [data.view(np.uint8).reshape(-1), i1.astype("<i8").view(np.uint8),
                    i2.astype("<i8").view(np.uint8)]


def parts_to_canonical(p: SparseParts) -> dict:
    i1, i2 = check_parts(p, json_values=False)
    return DecodedSparse(p.format, p.dtype, p.shape, p.data, i1, i2).canonical()


def envelope(p: SparseParts) -> dict:
    """[sparse.encode.members] after [sparse.encode.refuse]."""
    i1, i2 = check_parts(p, json_values=True)
    data = p.data
    a, b = INDEX_MEMBERS[p.format]
    return {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "json", "format": p.format,
            "shape": list(p.shape), "dtype": p.dtype.name, "data": data.tolist(), a: i1.tolist(), b: i2.tolist()}


def is_scipy_sparse(obj) -> bool:
    mod = type(obj).__module__ or ""
    if not mod.startswith("scipy.sparse"):
        return False
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover
        return False
    return sp.issparse(obj)
