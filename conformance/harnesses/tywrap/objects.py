"""Canonical values -> the Python objects tywrap's producer is given (the
encode side of harness.py): numpy arrays (to_numpy, with_layout), scipy.sparse
matrices (to_sparse), torch tensors (to_tensor) and scikit-learn estimators
(to_estimator, with typed JSON trees read by typed_to_python and compared by
python_to_typed); and the exceptions that say why a value became no object
(AdapterRefusal, NumpyCannot, NotCanonical, Unfaithful), which harness.py
answers as `error`, `skipped` and `errored`."""

import json
import os
import re
import sys

from canonical import _DTYPE_RE, _HEX_RE, SAFE, SPARSE_INDEX_MEMBERS, TORCH_DTYPES


class AdapterRefusal(Exception):
    """The canonical value itself is unusable (a verdict the spec assigns to
    every encoder, e.g. [canonical.ndarray.lowercase]); answered as `error`."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class NumpyCannot(Exception):
    """numpy itself cannot hold the value (an itemsize or a shape beyond its
    limits), so no Python function could hand it to tywrap: answered `skipped`.
    Also raised when scipy or torch cannot hold it (a float16 sparse matrix),
    or this machine lacks what it needs (a tensor on a CUDA device)."""


class NotCanonical(Exception):
    """The request does not hold a canonical value at all: answered `errored`."""


class Unfaithful(Exception):
    """The adapter cannot build the Python object the canonical value denotes
    (an estimator class outside the allow-list, parameters its constructor does
    not keep as given, a scikit-learn version other than the running one).
    Answered `errored` with the reason: handing tywrap anything else would be a
    guess."""


# ---------------------------------------------------------------------------
# Canonical value -> numpy array
# ---------------------------------------------------------------------------

def to_numpy(np, value):
    """The numpy array a canonical value denotes (native byte order, C order,
    writeable), or AdapterRefusal(E_SHAPE_MISMATCH) when `hex` has the wrong
    length."""
    if not isinstance(value, dict) or value.get("kind") != "ndarray":
        raise NotCanonical("value is not a canonical ndarray value")
    if set(value) != {"kind", "dtype", "shape", "hex"}:
        raise NotCanonical(f"canonical value has members {sorted(value)}")
    dtype_name, shape, hexdigits = value["dtype"], value["shape"], value["hex"]
    if not isinstance(dtype_name, str) or not _DTYPE_RE.match(dtype_name):
        raise NotCanonical(f"dtype {dtype_name!r} is not in the dtype table")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 2**53 - 1 for d in shape
    ):
        raise NotCanonical(f"shape {shape!r} is not a list of integers in [0, 2^53-1]")
    if not isinstance(hexdigits, str) or not _HEX_RE.match(hexdigits):
        raise NotCanonical("hex is not lowercase hexadecimal with an even number of digits")

    try:
        dtype = np.dtype(dtype_name)
    except TypeError as exc:  # e.g. <U999999999: itemsize beyond numpy's int32 limit
        raise NumpyCannot(f"numpy cannot create dtype {dtype_name}: {exc}") from exc
    count = 1
    for d in shape:
        count *= d
    nonzero = 1
    for d in shape:
        nonzero *= max(d, 1)
    if len(shape) > 64 or nonzero * max(dtype.itemsize, 1) > 2**63 - 1:
        raise NumpyCannot(f"numpy cannot create an array of shape {shape} and dtype {dtype_name} "
                          "(more than 64 dimensions, or sizes beyond its intp range)")
    expected = count * dtype.itemsize
    got = len(hexdigits) // 2
    if got != expected:
        raise AdapterRefusal(
            "E_SHAPE_MISMATCH",
            f"[adapter, before tywrap] hex holds {got} bytes; dtype {dtype_name} and "
            f"shape {shape} need {expected}",
        )
    raw = bytes.fromhex(hexdigits)
    flat = np.frombuffer(raw, dtype=dtype.newbyteorder("<"), count=count)
    # Native byte order and a private, writeable, C-contiguous buffer: the
    # array a Python function would ordinarily return.
    arr = flat.astype(dtype.newbyteorder("="), copy=True).reshape(tuple(shape))
    return arr


def with_layout(np, arr, layout):
    """The same logical array in another memory layout ([ndarray.encode.c-order]:
    a producer flattens in C order whatever the layout)."""
    if layout == "c" or arr.ndim == 0:
        return arr
    if layout == "fortran":
        out = np.asfortranarray(arr)
    elif layout == "reversed":
        # negative strides on every axis: flip a flipped copy
        out = np.flip(np.flip(arr).copy())
    elif layout == "strided":
        # every other element of a buffer twice as long on the last axis
        big = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), dtype=arr.dtype)
        big[..., ::2] = arr
        out = big[..., ::2]
    else:
        raise ValueError(f"unknown layout {layout!r}")
    assert out.shape == arr.shape and out.dtype == arr.dtype
    assert out.tobytes(order="C") == arr.tobytes(order="C")
    return out


# ---------------------------------------------------------------------------
# Canonical sparse / tensor / estimator -> the Python objects tywrap is given
# ---------------------------------------------------------------------------

# Modules an estimator class may be imported from: scikit-learn's own, and the
# vector generator's test estimators (vectors/generate/sciwire_gen/sklearn_estimator.py).
ESTIMATOR_TEST_MODULE = "sciwire_gen.sklearn_estimator"
GENERATOR_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                              "..", "..", "..", "vectors", "generate"))


def _is_count(x, hi=SAFE):
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= hi


def _stored(m, fmt):
    names = SPARSE_INDEX_MEMBERS[fmt]
    return (m.data,) + tuple(getattr(m, n) for n in names)


def _holds_exactly(np, m, fmt, shape, data, index_lists):
    """Whether scipy object m stores exactly these arrays (no entry summed,
    pruned, sorted or dropped)."""
    try:
        if getattr(m, "format", None) != fmt or tuple(m.shape) != tuple(shape):
            return False
        got = _stored(m, fmt)
        if got[0].dtype != data.dtype or got[0].shape != data.shape \
                or got[0].tobytes() != data.tobytes():
            return False
        return all(np.asarray(g).tolist() == want for g, want in zip(got[1:], index_lists))
    except Exception:
        return False


def to_sparse(np, sp, value, sparse_class):
    """The scipy.sparse object (`*_matrix`, or `*_array` with --sparse-class
    array) storing exactly the canonical value's entries, in its order
    ([sparse.stored-entries]: no sum_duplicates, sort_indices or
    eliminate_zeros). scipy's constructor is used when it keeps the arrays as
    they are; when it refuses them or changes them (it prunes `data` past
    indptr[-1], it rejects indices outside the shape), the arrays are set on
    the object afterwards, as a caller mutating a matrix does: a scipy object
    holding exactly those arrays is what tywrap is given either way.

    Values no sparse envelope carries, as the encode vectors hold them:
    another dtype numpy and scipy have (complex128, float128) gives a matrix
    of that dtype; another format scipy has (bsr, dia, lil, dok), whose
    entries the value gives as csr or coo arrays, gives that matrix converted
    with .asformat(format). What scipy cannot hold at all (float16, a format
    it has not, such as "CSR") is refused by the adapter, as for a `hex` of
    the wrong length: no Python function could hand tywrap such a matrix.
    Returns (matrix, how)."""
    if not isinstance(value, dict) or value.get("kind") != "sparse":
        raise NotCanonical("value is not a canonical sparse value")
    fmt = value.get("format")
    if not isinstance(fmt, str):
        raise NotCanonical(f"format {fmt!r} is not a string")
    base = fmt if fmt in SPARSE_INDEX_MEMBERS else \
        "coo" if "row" in value else "csr"  # the arrays of another format's value
    names = SPARSE_INDEX_MEMBERS[base]
    if set(value) != {"kind", "format", "dtype", "shape", "hex", *names}:
        raise NotCanonical(f"canonical sparse value has members {sorted(value)}")
    dtype_name, shape, hexdigits = value["dtype"], value["shape"], value["hex"]
    if not (isinstance(shape, list) and len(shape) == 2 and all(_is_count(d) for d in shape)):
        raise NotCanonical(f"shape {shape!r} is not two integers in [0, 2^53-1]")
    index_lists = [value[n] for n in names]
    for n, lst in zip(names, index_lists):
        if not (isinstance(lst, list) and all(_is_count(x) for x in lst)):
            raise NotCanonical(f"{n} is not an array of integers in [0, 2^53-1]")
    if not isinstance(hexdigits, str) or not _HEX_RE.match(hexdigits):
        raise NotCanonical("hex is not lowercase hexadecimal with an even number of digits")
    if fmt not in SPARSE_INDEX_MEMBERS and not hasattr(sp, f"{fmt}_{sparse_class}"):
        raise AdapterRefusal(
            "E_FORMAT_UNSUPPORTED",
            f"[adapter, before tywrap] scipy has no sparse format {fmt!r}, so no Python "
            "function could hand tywrap this matrix")
    try:
        dtype = np.dtype(dtype_name) if isinstance(dtype_name, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype_name not in (dtype.name, str(dtype)):
        raise AdapterRefusal(
            "E_DTYPE_UNSUPPORTED",
            f"[adapter, before tywrap] numpy has no dtype {dtype_name!r}, so no Python function "
            "could hand tywrap this matrix")
    if (len(hexdigits) // 2) % dtype.itemsize:
        raise AdapterRefusal(
            "E_SHAPE_MISMATCH",
            f"[adapter, before tywrap] hex holds {len(hexdigits) // 2} bytes, not a whole "
            f"number of {dtype_name} elements")
    data = np.frombuffer(bytes.fromhex(hexdigits), dtype=dtype.newbyteorder("<")) \
        .astype(dtype.newbyteorder("="), copy=True)
    # scipy's own index dtype choice: int32 when every index and the shape fit
    fits32 = all(d <= 2**31 - 1 for d in shape) and all(x <= 2**31 - 1 for l in index_lists for x in l)
    idx_dtype = np.int32 if fits32 else np.int64
    idx = [np.asarray(l, dtype=idx_dtype) for l in index_lists]
    cls = getattr(sp, f"{base}_{sparse_class}")
    try:
        cls((0, 0), dtype=dtype)
    except ValueError as exc:  # "scipy.sparse does not support dtype float16. ..."
        raise AdapterRefusal(
            "E_DTYPE_UNSUPPORTED",
            f"[adapter, before tywrap] scipy.sparse cannot hold {dtype_name} values ({exc}), so "
            "no Python function could hand tywrap this matrix")

    import warnings
    m, how = None, f"scipy.sparse.{cls.__name__}((data, ...), shape=...)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if base == "coo":
                m = cls((data.copy(), (idx[0].copy(), idx[1].copy())), shape=tuple(shape))
            else:
                m = cls((data.copy(), idx[0].copy(), idx[1].copy()), shape=tuple(shape))
    except Exception:
        m = None
    if m is None or not _holds_exactly(np, m, base, shape, data, index_lists):
        # scipy refuses (or would change) these arrays: an empty matrix of the
        # class, with the arrays set on it
        how = (f"an empty scipy.sparse.{cls.__name__} with these arrays set on it (scipy's "
               "constructor refuses or changes them)")
        m = cls((0, 0), dtype=data.dtype)
        if base == "coo":
            if hasattr(m, "coords"):
                m.coords = (idx[0], idx[1])
            else:  # scipy < 1.13
                m.row, m.col = idx[0], idx[1]
            m.has_canonical_format = False
        else:
            m.indices, m.indptr = idx[0], idx[1]
            for attr in ("_has_sorted_indices", "_has_canonical_format"):
                m.__dict__.pop(attr, None)
        m.data = data
        m._shape = tuple(shape)
        if not _holds_exactly(np, m, base, shape, data, index_lists):
            raise Unfaithful(f"could not make a scipy.sparse.{cls.__name__} that stores exactly "
                             "these arrays")
    if fmt != base:
        try:
            m = m.asformat(fmt)
        except Exception as exc:
            raise Unfaithful(f"scipy cannot convert this {base} matrix to {fmt}: "
                             f"{type(exc).__name__}: {exc}")
        how += f", then .asformat({fmt!r})"
    return m, how


def to_tensor(np, torch, value):
    """The torch tensor the canonical value denotes: a fresh, contiguous CPU
    tensor of its dtype holding the array's elements; for sourceDtype
    torch.bfloat16 a bfloat16 tensor (bit for bit: the upper halves of the
    float32 elements); for sourceDevice a tensor on that device (then tywrap
    must be allowed to copy, torch_allow_copy=True, as that user did).
    Returns (tensor, torch_allow_copy)."""
    if not isinstance(value, dict) or value.get("kind") != "tensor":
        raise NotCanonical("value is not a canonical tensor value")
    extra = set(value) - {"kind", "dtype", "array", "sourceDtype", "sourceDevice"}
    if extra or not {"dtype", "array"} <= set(value):
        raise NotCanonical(f"canonical tensor value has members {sorted(value)}")
    tdtype = value["dtype"]
    if tdtype not in TORCH_DTYPES:
        raise NotCanonical(f"dtype {tdtype!r} is not in the torch dtype table")
    arr = to_numpy(np, value["array"])  # AdapterRefusal / NumpyCannot / NotCanonical
    if value["array"]["dtype"] != TORCH_DTYPES[tdtype]:
        raise AdapterRefusal(
            "E_DTYPE_MISMATCH",
            f"[adapter, before tywrap] a {tdtype} tensor holds {TORCH_DTYPES[tdtype]} elements, "
            f"not {value['array']['dtype']}: no torch tensor is this value")
    t = torch.from_numpy(arr)  # arr is the adapter's own C-contiguous copy
    allow_copy = False
    if "sourceDtype" in value:
        if value["sourceDtype"] != "torch.bfloat16":
            raise NotCanonical(f"sourceDtype {value['sourceDtype']!r} is not torch.bfloat16")
        if tdtype != "torch.float32":
            raise AdapterRefusal(
                "E_DTYPE_MISMATCH",
                f"[adapter, before tywrap] a bfloat16-sourced tensor is carried as torch.float32, "
                f"not {tdtype}")
        bits = arr.view(np.uint32)
        low = np.flatnonzero(bits.reshape(-1) & 0xFFFF)
        if low.size:
            i = int(low[0])
            raise AdapterRefusal(
                "E_VALUE_DOMAIN",
                f"[adapter, before tywrap] element {i} (float32 bits "
                f"{int(bits.reshape(-1)[i]):08x}) is no bfloat16 value, so no bfloat16 tensor "
                "holds it")
        # the upper halves, as a fresh C-contiguous int16 array (0-d stays 0-d)
        upper = np.array(bits >> 16, dtype=np.uint32).astype(np.uint16).view(np.int16) \
            .reshape(arr.shape)
        t = torch.from_numpy(upper).view(torch.bfloat16)  # the same bits, as bfloat16
        assert t.dtype == torch.bfloat16 and tuple(t.shape) == arr.shape
    if "sourceDevice" in value:
        dev = value["sourceDevice"]
        try:
            device = torch.device(dev)
        except Exception as exc:
            raise NumpyCannot(f"torch has no device {dev!r} ({exc}), so no tensor comes from it")
        if device.type in ("cpu", "meta"):
            raise NumpyCannot(f"a tensor on {dev!r} gets no sourceDevice from tywrap (cpu needs no "
                              "copy; meta tensors hold no elements)")
        try:
            t = t.to(device)
        except Exception as exc:
            raise NumpyCannot(f"this machine has no device {dev!r} to put the tensor on: {exc}")
        if str(t.device) != dev:
            raise Unfaithful(f"a tensor moved to {dev!r} reports device {str(t.device)!r}, which "
                             "tywrap would write as sourceDevice")
        allow_copy = True  # the user let tywrap copy it to the host
    return t, allow_copy


class _DuplicateName(Exception):
    pass


def typed_to_python(node, path="params"):
    """The plain Python value of a typed JSON node ([canonical.typed-json]):
    int nodes become int, float nodes float (bit for bit), arrays lists,
    objects dicts."""
    import struct

    if not (isinstance(node, dict) and len(node) == 1):
        raise NotCanonical(f"{path}: not a typed JSON node")
    (k, v), = node.items()
    if k == "null" and v is None:
        return None
    if k == "bool" and isinstance(v, bool):
        return v
    if k == "int" and isinstance(v, int) and not isinstance(v, bool):
        return v
    if k == "float" and isinstance(v, str) and re.fullmatch(r"[0-9a-f]{16}", v):
        return struct.unpack(">d", bytes.fromhex(v))[0]
    if k == "string" and isinstance(v, str):
        return v
    if k == "array" and isinstance(v, list):
        return [typed_to_python(x, f"{path}[{i}]") for i, x in enumerate(v)]
    if k == "object" and isinstance(v, list):
        out = {}
        for pair in v:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise NotCanonical(f"{path}: an object member is not a [name, node] pair")
            name = pair[0]
            if name in out:
                raise _DuplicateName(f"{path} has two members named {name!r}")
            out[name] = typed_to_python(pair[1], f"{path}.{name}")
        return out
    raise NotCanonical(f"{path}: not a typed JSON node ({k!r})")


def python_to_typed(v, path="params"):
    """The typed JSON node of a plain Python value (as tywrap's json.dumps
    would write it, tuples as arrays), or Unfaithful for anything else."""
    import struct

    if v is None:
        return {"null": None}
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int) and type(v).__module__ == "builtins":
        return {"int": int(v)}
    if isinstance(v, float):  # also numpy.float64, a float subclass
        return {"float": struct.pack(">d", float(v)).hex()}
    if isinstance(v, str):
        return {"string": str(v)}
    if isinstance(v, (list, tuple)):
        return {"array": [python_to_typed(x, f"{path}[{i}]") for i, x in enumerate(v)]}
    if isinstance(v, dict) and all(isinstance(k, str) for k in v):
        return {"object": sorted([[k, python_to_typed(x, f"{path}.{k}")] for k, x in v.items()],
                                 key=lambda p: p[0])}
    raise Unfaithful(f"{path} is a {type(v).__module__}.{type(v).__qualname__}, no plain JSON value")


def _typed_sorted(node):
    (k, v), = node.items()
    if k == "array":
        return {"array": [_typed_sorted(x) for x in v]}
    if k == "object":
        return {"object": sorted([[n, _typed_sorted(x)] for n, x in v], key=lambda p: p[0])}
    return {k: v}


def _allowed_module(module):
    return module == "sklearn" or module.startswith("sklearn.") or module == ESTIMATOR_TEST_MODULE


def to_estimator(value):
    """The scikit-learn estimator the canonical value denotes: the class
    `className` of module `module`, called with the params read from the
    typed tree (int and float kept apart; arrays as lists, objects as dicts,
    exactly as the tree says: an object with a __tywrap__ member is a dict).
    Modules are imported only from an allow-list (scikit-learn's, and the
    vector generator's test module); a class that is not there, with no
    params, is made as Python makes any such class, type(className,
    (BaseEstimator,), {"__module__": module}), which imports nothing.

    The estimator must then report exactly those params (get_params(deep=False),
    which is what tywrap writes), and the running scikit-learn must have the
    value's version. A value no estimator in this process can be (a param
    the class's constructor does not take, another scikit-learn version) is
    answered `skipped`, like an array numpy cannot hold; a class the adapter
    would have to import from outside its allow-list is answered `errored`."""
    import importlib

    if not isinstance(value, dict) or value.get("kind") != "estimator":
        raise NotCanonical("value is not a canonical estimator value")
    if set(value) != {"kind", "className", "module", "version", "params"}:
        raise NotCanonical(f"canonical estimator value has members {sorted(value)}")
    module, name, version = value["module"], value["className"], value["version"]
    if not (isinstance(module, str) and isinstance(name, str)):
        raise NotCanonical("className and module must be strings")
    try:
        params = typed_to_python(value["params"])
    except _DuplicateName as exc:
        raise AdapterRefusal("E_JSON_DUPLICATE_KEY",
                             f"[adapter, before tywrap] {exc}: no Python dict holds that")
    if not isinstance(params, dict):
        raise NotCanonical("params is not an object node")

    import sklearn
    from sklearn.base import BaseEstimator

    if version != sklearn.__version__:
        raise NumpyCannot(f"tywrap writes the running scikit-learn's sklearn.__version__ "
                          f"({json.dumps(sklearn.__version__)}); this value's version is "
                          f"{json.dumps(version)}, which no estimator in this process gives")
    cls = None
    if _allowed_module(module):
        if module == ESTIMATOR_TEST_MODULE and GENERATOR_DIR not in sys.path:
            sys.path.append(GENERATOR_DIR)
        try:
            mod = importlib.import_module(module)
        except Exception as exc:
            raise Unfaithful(f"cannot import {module}: {type(exc).__name__}: {exc}")
        found = getattr(mod, name, None)
        if isinstance(found, type) and issubclass(found, BaseEstimator) \
                and found.__name__ == name and found.__module__ == module:
            cls = found
    how = f"{module}.{name}(**params)"
    if cls is None:
        if params:
            if not _allowed_module(module):
                raise Unfaithful(f"module {module!r} is outside the adapter's allow-list "
                                 f"(sklearn, sklearn.*, {ESTIMATOR_TEST_MODULE}); the adapter "
                                 "imports nothing else")
            raise NumpyCannot(f"{module} has no estimator class {name!r} (with __name__ "
                              f"{name!r} and __module__ {module!r}) in this scikit-learn")
        # a class with no params: Python makes one for any name and module
        cls = type(name, (BaseEstimator,), {"__module__": module})
        how = f"type({name!r}, (BaseEstimator,), {{'__module__': {module!r}}})()"
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = cls(**params)
    except Exception as exc:
        raise NumpyCannot(f"{how} raised {type(exc).__name__}: {exc}; no {name} takes these "
                          "params")
    got = python_to_typed(est.get_params(deep=False))
    if got != _typed_sorted(value["params"]):
        want = {p[0]: p[1] for p in _typed_sorted(value["params"])["object"]}
        have = {p[0]: p[1] for p in got["object"]}
        diff = sorted(set(want) ^ set(have)) or sorted(k for k in want if want[k] != have.get(k))
        raise NumpyCannot(f"{how}.get_params(deep=False) differs from the params given (at "
                          f"{', '.join(diff[:5])}), and tywrap writes what get_params says")
    return est


# ---------------------------------------------------------------------------
# Canonical dataframe / series -> the pandas objects tywrap is given
# ---------------------------------------------------------------------------
#
# Each column becomes the pandas array a Python function would ordinarily hold
# for those values: the dtype pandas itself gives them (numpy bool, int, uint
# and float arrays; pandas 3's default `str` dtype for strings; datetime64 and
# timedelta64 of the unit, DatetimeTZDtype for a time zone, NaT for a null;
# object arrays of bytes, datetime.date and None for binary, date32 and null
# columns; pd.Categorical for a dictionary), except where that dtype cannot
# hold the values exactly:
#   - bool, integer, float and string columns with nulls: pandas' nullable
#     dtypes (boolean, Int8 ... UInt64, Float32/Float64, string), whose
#     missing value pd.NA is no value of the column (numpy's and the `str`
#     dtype's missing value is NaN, which a float column also holds);
#   - float32/float64 holding NaN as a value: Float32/Float64 with the NaN
#     unmasked; float16 with nulls or NaN (no nullable dtype): pd.ArrowDtype;
#   - what pandas' own dtypes have no room for (a datetime or timedelta of
#     int64 min, which pandas reads as NaT; a time zone pandas would rename;
#     a date beyond datetime.date; a dictionary whose index type is not the
#     one pandas picks for its number of categories, or whose entries pandas
#     cannot hold as categories): the exact Arrow array in a pd.ArrowDtype
#     column (pd.arrays.ArrowExtensionArray), which is a pandas object too.

INT_TYPES = {"int8": (-(2**7), 2**7 - 1), "int16": (-(2**15), 2**15 - 1),
             "int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1),
             "uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1), "uint32": (0, 2**32 - 1),
             "uint64": (0, 2**64 - 1)}
FLOAT_TYPES = {"float16": 4, "float32": 8, "float64": 16}  # hex digits of a leaf
TIME_UNITS = ("s", "ms", "us", "ns")
_INT_LEAF = re.compile(r"^(?:0|-?[1-9][0-9]*)$")
NULLABLE_INT = {"int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64",
                "uint8": "UInt8", "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}


def _refuse(code, what, why):
    return AdapterRefusal(code, f"[adapter, before tywrap] {what}: {why}")


def _check_type(t, what, inner=False):
    """Validate a canonical column type (the table of spec/src/dataframe.md)."""
    if not isinstance(t, dict) or not isinstance(t.get("id"), str):
        raise NotCanonical(f"{what}: type {json.dumps(t)[:200]} is not a column type")
    tid = t["id"]
    simple = {"bool", "string", "binary", "date32", "null", *INT_TYPES, *FLOAT_TYPES}
    if tid in simple:
        keys = {"id"}
    elif tid == "timestamp":
        keys = {"id", "unit", "tz"}
        if t.get("unit") not in TIME_UNITS or not (t.get("tz") is None or isinstance(t.get("tz"), str)):
            raise NotCanonical(f"{what}: timestamp type {json.dumps(t)[:200]}")
    elif tid == "duration":
        keys = {"id", "unit"}
        if t.get("unit") not in TIME_UNITS:
            raise NotCanonical(f"{what}: duration type {json.dumps(t)[:200]}")
    elif tid == "dictionary" and not inner:
        keys = {"id", "index", "ordered", "values"}
        if t.get("index") not in INT_TYPES or not isinstance(t.get("ordered"), bool):
            raise NotCanonical(f"{what}: dictionary type {json.dumps(t)[:200]}")
        _check_type(t.get("values"), what + " (dictionary values)", inner=True)
        if t["values"]["id"] == "null":
            raise _refuse("E_COLUMN_TYPE", what, "a dictionary of null values is no column type")
    else:
        raise _refuse("E_COLUMN_TYPE", what, f"type {json.dumps(t)[:200]} is not in the "
                                             "column-type table ([dataframe.column-types])")
    if set(t) != keys:
        raise NotCanonical(f"{what}: type {json.dumps(t)[:200]} has members {sorted(t)}")


def _leaf(t, v, where):
    """The Python value of one non-null canonical leaf of column type t (ints
    as int, floats as their bits' int, bytes as bytes), or AdapterRefusal
    E_VALUE_DOMAIN for a leaf that is not its type's ([dataframe.encode.refuse])."""
    tid = t["id"]

    def bad(why):
        return _refuse("E_VALUE_DOMAIN", where, f"{json.dumps(v)[:80]} is no {tid} leaf ({why})")

    if tid == "bool":
        if not isinstance(v, bool):
            raise bad("not true or false")
        return v
    if tid in INT_TYPES or tid in ("date32", "timestamp", "duration", "dictionary"):
        if not isinstance(v, str) or not _INT_LEAF.match(v):
            raise bad("not an integer in decimal, as a JSON string")
        n = int(v)
        lo, hi = INT_TYPES[tid] if tid in INT_TYPES else \
            INT_TYPES["int32"] if tid == "date32" else \
            INT_TYPES[t["index"]] if tid == "dictionary" else INT_TYPES["int64"]
        if not lo <= n <= hi:
            raise bad("out of range")
        return n
    if tid in FLOAT_TYPES:
        if not (isinstance(v, str) and len(v) == FLOAT_TYPES[tid] and _HEX_RE.match(v)):
            raise bad(f"not {FLOAT_TYPES[tid]} lowercase hex digits")
        return int(v, 16)
    if tid == "string":
        if not isinstance(v, str):
            raise bad("not a string")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise bad("a lone surrogate")
        return v
    if tid == "binary":
        if not (isinstance(v, str) and _HEX_RE.match(v)):
            raise bad("not lowercase hex")
        return bytes.fromhex(v)
    raise bad("the null type has no leaves")


def _pa_type(pa, t):
    tid = t["id"]
    if tid in INT_TYPES:
        return getattr(pa, tid)()
    if tid == "dictionary":
        return pa.dictionary(_pa_type(pa, {"id": t["index"]}), _pa_type(pa, t["values"]),
                             ordered=t["ordered"])
    return {"bool": pa.bool_, "float16": pa.float16, "float32": pa.float32,
            "float64": pa.float64, "string": pa.string, "binary": pa.binary,
            "date32": pa.date32, "null": pa.null}[tid]() if tid not in ("timestamp", "duration") \
        else pa.timestamp(t["unit"], tz=t["tz"]) if tid == "timestamp" else pa.duration(t["unit"])


_FLOAT_NP = {"float16": ("<u2", "<f2"), "float32": ("<u4", "<f4"), "float64": ("<u8", "<f8")}


def _pa_array(np, pa, t, vals):
    """The exact Arrow array of parsed leaves (None for null), for a pd.ArrowDtype column."""
    tid = t["id"]
    mask = np.array([v is None for v in vals], dtype=bool)
    m = mask if mask.any() else None
    if tid == "null":
        return pa.nulls(len(vals))
    if tid in _FLOAT_NP:
        bits, fl = _FLOAT_NP[tid]
        arr = np.array([0 if v is None else v for v in vals], dtype=bits).view(fl)
        return pa.array(arr, type=_pa_type(pa, t), mask=m, from_pandas=False)
    if tid in INT_TYPES or tid in ("date32", "timestamp", "duration"):
        storage = "int32" if tid == "date32" else "int64" if tid in ("timestamp", "duration") else tid
        arr = np.array([0 if v is None else v for v in vals], dtype=storage)
        return pa.array(arr, mask=m).view(_pa_type(pa, t))
    return pa.array(vals, type=_pa_type(pa, t))


def _arrow_ext(pd, arr):
    return pd.arrays.ArrowExtensionArray(arr)


def _pandas_array(np, pd, t, vals, dictionary=None):
    """The pandas array (numpy array or extension array) of parsed leaves
    (see the comment above: pandas' own dtype where it holds them exactly)."""
    import datetime
    import pyarrow as pa

    tid = t["id"]
    nulls = [v is None for v in vals]
    has_null = any(nulls)
    if tid == "null":
        return np.array([None] * len(vals), dtype=object)
    if tid == "bool":
        if not has_null:
            return np.array(vals, dtype=bool)
        return pd.arrays.BooleanArray(np.array([bool(v) for v in vals], dtype=bool),
                                      np.array(nulls, dtype=bool))
    if tid in INT_TYPES:
        data = np.array([0 if v is None else v for v in vals], dtype=tid)
        if not has_null:
            return data
        arr = pd.arrays.IntegerArray(data, np.array(nulls, dtype=bool))
        assert str(arr.dtype) == NULLABLE_INT[tid]
        return arr
    if tid in FLOAT_TYPES:
        bits, fl = _FLOAT_NP[tid]
        data = np.array([0 if v is None else v for v in vals], dtype=bits).view(fl)
        data = data.astype(data.dtype.newbyteorder("="))
        if not has_null and not np.isnan(data).any():
            return data
        # a null, or a NaN that is a value: numpy's NaN would be both
        if tid == "float16":
            return _arrow_ext(pd, _pa_array(np, pa, t, vals))
        return pd.arrays.FloatingArray(data, np.array(nulls, dtype=bool))
    if tid == "string":
        # pandas 3's default `str` dtype; with nulls its nullable `string`
        # dtype, whose missing value is pd.NA (the default's is NaN)
        return pd.array(vals, dtype="string" if has_null else "str")
    if tid == "binary":
        return np.array(vals, dtype=object)
    if tid == "date32":
        epoch = datetime.date(1970, 1, 1)
        lo, hi = (datetime.date.min - epoch).days, (datetime.date.max - epoch).days
        if all(v is None or lo <= v <= hi for v in vals):
            return np.array([None if v is None else epoch + datetime.timedelta(days=v)
                             for v in vals], dtype=object)
        return _arrow_ext(pd, _pa_array(np, pa, t, vals))
    if tid in ("timestamp", "duration"):
        nat = -(2**63)
        if any(v == nat for v in vals):  # pandas reads int64 min as NaT
            return _arrow_ext(pd, _pa_array(np, pa, t, vals))
        unit = t["unit"]
        raw = np.array([nat if v is None else v for v in vals], dtype="int64")
        if tid == "duration":
            return raw.view(f"timedelta64[{unit}]")
        arr = raw.view(f"datetime64[{unit}]")
        if t["tz"] is None:
            return arr
        try:
            dtype = pd.DatetimeTZDtype(unit, t["tz"])
            same = pa.lib.tzinfo_to_string(dtype.tz) == t["tz"]
        except Exception:
            same = False
        if not same:  # a zone pandas does not know, or would spell otherwise
            return _arrow_ext(pd, _pa_array(np, pa, t, vals))
        # the instants are UTC counts ([dataframe.column-types]), shown in the zone
        return pd.Series(arr).dt.tz_localize("UTC").dt.tz_convert(dtype.tz).array
    if tid == "dictionary":
        codes = [-1 if v is None else v for v in vals]
        try:
            cats = pd.Index(_pandas_array(np, pd, t["values"], dictionary))
            cat = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(cats, t["ordered"]))
            natural = (cat.codes.dtype == np.dtype(t["index"])
                       and len(cat.categories) == len(dictionary)
                       and cat.categories.dtype == cats.dtype)
        except Exception:
            natural = False
        if natural:
            return cat
        # an index type pandas does not pick, or entries pandas cannot hold
        # as categories (duplicates, float16, NaN): the exact Arrow array
        return _arrow_ext(pd, pa.DictionaryArray.from_arrays(
            _pa_array(np, pa, {"id": t["index"]}, vals),
            _pa_array(np, pa, t["values"], dictionary), ordered=t["ordered"]))
    raise NotCanonical(f"column type {tid!r}")


def _column(np, pd, col, rows, what, index_column=False):
    """(name, pandas array) of one canonical column value."""
    if not isinstance(col, dict):
        raise NotCanonical(f"{what} is not an object")
    t = col.get("type")
    _check_type(t, what)
    keys = {"name", "type", "values"} | ({"dictionary"} if t["id"] == "dictionary" else set())
    if set(col) != keys:
        raise NotCanonical(f"{what} has members {sorted(col)}")
    name = col["name"]
    if not (isinstance(name, str) or (index_column and name is None)):
        raise NotCanonical(f"{what}: name {json.dumps(name)[:80]}")
    values = col["values"]
    if not isinstance(values, list):
        raise NotCanonical(f"{what}: values is not an array")
    if len(values) != rows:
        raise _refuse("E_SHAPE_MISMATCH", what, f"{len(values)} values in a table of {rows} rows")
    dictionary = None
    if t["id"] == "dictionary":
        dictionary = col["dictionary"]
        if not isinstance(dictionary, list):
            raise NotCanonical(f"{what}: dictionary is not an array")
        dictionary = [_leaf(t["values"], v, f"{what} dictionary[{i}]") if v is not None else
                      _null_entry(what, i) for i, v in enumerate(dictionary)]
    vals = [None if v is None else _leaf(t, v, f"{what} values[{i}]") for i, v in enumerate(values)]
    if t["id"] == "null" and any(v is not None for v in values):
        raise _refuse("E_VALUE_DOMAIN", what, "a null column holds a value")
    if dictionary is not None:
        bad = next((i for i, v in enumerate(vals) if v is not None and not 0 <= v < len(dictionary)), None)
        if bad is not None:
            raise _refuse("E_VALUE_DOMAIN", f"{what} values[{bad}]",
                          f"code {vals[bad]} is outside the dictionary of {len(dictionary)} entries")
    return name, _pandas_array(np, pd, t, vals, dictionary)


def _null_entry(what, i):
    raise _refuse("E_VALUE_DOMAIN", f"{what} dictionary[{i}]", "a dictionary entry is never null")


def _rows(value):
    rows = value.get("rows")
    if not _is_count(rows):
        raise NotCanonical(f"rows {json.dumps(rows)[:80]} is not a count")
    return rows


def to_dataframe(np, value):
    """The pandas DataFrame a canonical dataframe value denotes: its columns
    in order with their names (two may share one), each the pandas array
    _pandas_array gives; its index a RangeIndex (with its name) or the index
    columns as an Index, or a MultiIndex for more than one, with their names."""
    import pandas as pd

    if not isinstance(value, dict) or value.get("kind") != "dataframe":
        raise NotCanonical("value is not a canonical dataframe value")
    if set(value) != {"kind", "rows", "columns", "index"}:
        raise NotCanonical(f"canonical dataframe value has members {sorted(value)}")
    rows = _rows(value)
    cols = value["columns"]
    if not isinstance(cols, list):
        raise NotCanonical("columns is not an array")
    built = [_column(np, pd, c, rows, f"columns[{i}]") for i, c in enumerate(cols)]
    ix = value["index"]
    if not isinstance(ix, dict):
        raise NotCanonical("index is not an object")
    if ix.get("kind") == "range":
        if set(ix) != {"kind", "name", "start", "stop", "step"}:
            raise NotCanonical(f"range index has members {sorted(ix)}")
        start, stop, step, name = ix["start"], ix["stop"], ix["step"], ix["name"]
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, stop, step)) \
                or not (name is None or isinstance(name, str)):
            raise NotCanonical(f"range index {json.dumps(ix)[:200]}")
        if step == 0:
            raise _refuse("E_VALUE_DOMAIN", "index", "a range with step 0")
        n = len(range(start, stop, step))
        if n != rows:
            raise _refuse("E_SHAPE_MISMATCH", "index", f"a range of {n} values in a table of {rows} rows")
        index = pd.RangeIndex(start, stop, step, name=name)
    elif ix.get("kind") == "columns":
        if set(ix) != {"kind", "columns"} or not isinstance(ix["columns"], list) or not ix["columns"]:
            raise NotCanonical(f"columns index {json.dumps(ix)[:200]}")
        levels = [_column(np, pd, c, rows, f"index.columns[{i}]", index_column=True)
                  for i, c in enumerate(ix["columns"])]
        if len(levels) == 1:
            index = pd.Index(levels[0][1], name=levels[0][0], tupleize_cols=False)
        else:
            index = pd.MultiIndex.from_arrays([a for _, a in levels], names=[n for n, _ in levels])
    else:
        raise NotCanonical(f"index kind {json.dumps(ix.get('kind'))[:80]}")
    df = pd.DataFrame({i: a for i, (_, a) in enumerate(built)}, index=index)
    df.columns = pd.Index([n for n, _ in built], dtype=object)
    if len(df) != rows or len(df.columns) != len(built):
        raise Unfaithful(f"pandas made a DataFrame of {len(df)} rows and {len(df.columns)} columns")
    return df


def series_name(node):
    """The Python name a typed JSON name node stands for ([series.name])."""
    import struct

    if not (isinstance(node, dict) and len(node) == 1):
        raise NotCanonical("name is not a typed JSON node")
    (k, v), = node.items()
    if k in ("array", "object"):
        raise AdapterRefusal(
            "E_FIELD_TYPE", f"[adapter, before tywrap] a series name that is an {k} ([series.name]); "
                            "pandas takes only hashable names, so no Series has it")
    if k == "float" and isinstance(v, str) and re.fullmatch(r"[0-9a-f]{16}", v):
        return struct.unpack(">d", bytes.fromhex(v))[0]
    return typed_to_python(node, "name")


def to_series(np, value):
    """The pandas Series a canonical series value denotes: its values as one
    column of to_dataframe, its name, and the default RangeIndex (a series
    value has no index: tywrap drops it)."""
    import pandas as pd

    if not isinstance(value, dict) or value.get("kind") != "series":
        raise NotCanonical("value is not a canonical series value")
    t = value.get("type")
    keys = {"kind", "name", "type", "values"} | \
        ({"dictionary"} if isinstance(t, dict) and t.get("id") == "dictionary" else set())
    if set(value) != keys:
        raise NotCanonical(f"canonical series value has members {sorted(value)}")
    name = series_name(value["name"])
    col = {k: value[k] for k in keys if k not in ("kind", "name")}
    col["name"] = "value"
    values = value["values"]
    if not isinstance(values, list):
        raise NotCanonical("values is not an array")
    _, arr = _column(np, pd, col, len(values), "the series")
    return pd.Series(arr, name=name, index=pd.RangeIndex(len(values)))
