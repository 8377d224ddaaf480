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
