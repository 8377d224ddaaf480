#!/usr/bin/env python3
"""sciwire conformance harness for the tywrap bridge (bbopen/tywrap).

    python3 harness.py --tywrap /path/to/tywrap-checkout
                       [--fallback json] [--layout c|fortran|reversed|strided]
                       [--sparse-class matrix|array]
                       [--decoder ts [--ts-cache DIR] [--prepare]]

Speaks the sciwire harness protocol (spec/src/harness.md): JSON Lines on
standard input and output, commands start / decode / encode / stop.

encode: checks tywrap's Python *producer*. The canonical value becomes the
Python object it denotes (a numpy array; a scipy.sparse csr/csc/coo_matrix,
or *_array with --sparse-class array, storing exactly the value's entries; a
torch tensor, bfloat16 when the value says it came from one; a scikit-learn
estimator built from an allow-listed module and its typed params), which goes
through tywrap's own code as a function's return value goes through tywrap's
subprocess bridge:

    env  = core.serialize(obj, force_json_markers=..., torch_allow_copy=...)
    text = core.encode_value(env, allow_nan=False)     # the bridge's final encode

(force_json_markers is true exactly when the request asks for `json`, for a
tensor the nested ndarray's encoding; torch_allow_copy only for a tensor that
came from another device, whose user let tywrap copy it.)

where `core` is `runtime/tywrap_bridge_core.py` imported from the checkout
given with --tywrap. No tywrap code lives in sciwire; the checkout is the
user's. tywrap raises exceptions, not codes: a refusal is answered with the
sciwire code its message matches (see _REFUSALS), an exception matching none
is answered `errored`.

--fallback json mimics a bridge started with TYWRAP_CODEC_FALLBACK=json: every
array goes down tywrap's JSON path and only the `json` encoding is offered.
Without it, each request picks the path: force_json_markers is true exactly
when the request asks for `json` (tywrap itself chooses per process, not per
value: Arrow whenever pyarrow imports, JSON under the fallback setting).

--layout hands tywrap the same logical array in another memory layout
([ndarray.encode.c-order]); the expected envelopes do not change (ndarray
values only: tywrap refuses non-contiguous tensors unless allowed to copy).

A value no Python object can be (a hex of the wrong length, a tensor whose
dtype and elements disagree, a dict with two members of one name) is refused
by the adapter itself, marked "[adapter, before tywrap]"; one the libraries
or this machine cannot hold (numpy's limits, a CUDA tensor, another
scikit-learn version, a param the estimator's constructor does not take) is
answered `skipped`; one the adapter would have to import from outside its
allow-list is answered `errored`.

decode: answered `skipped` (and not offered in start): tywrap's decoder is
TypeScript. With --decoder ts, decode requests go to tywrap's own
BridgeCodec.decodeResponseAsync, bundled from the checkout's src/ with esbuild
(apache-arrow 21.2.0 kept external) and run by node (ts_decoder.mjs). Its
result is read back as a canonical value with the envelope's declared dtype
and shape (ts_to_canonical); its rejections get the code their message matches
(_TS_REJECTIONS). tywrap's SparseMatrix, TorchTensor and SklearnEstimator
results are read the same way (ts_sparse_to_canonical, ts_tensor_to_canonical,
ts_estimator_to_canonical). When tywrap accepts an input but returns something
that is no canonical value (a value it passed through undecoded, a dtype
outside the table, a leaf that is no value of the dtype, a device other than
cpu, a float param it returns as an integer-valued JavaScript number), the
answer is `errored`, with what tywrap returned: the protocol has no answer for
"accepted, but not as a canonical value".
"""

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import traceback

PROTOCOL = 1
TYWRAP_HOMEPAGE = "https://github.com/bbopen/tywrap"
TYWRAP_ISSUES = "https://github.com/bbopen/tywrap/issues"

# The dtype table of spec/src/ndarray.md, as the canonical value spells it.
_DTYPE_RE = re.compile(
    r"^(?:bool|u?int(?:8|16|32|64)|float(?:16|32|64)"
    r"|datetime64\[(?:s|ms|us|ns|D)\]|timedelta64\[(?:s|ms|us|ns)\]"
    r"|<U[1-9][0-9]{0,8}|\|S[1-9][0-9]{0,8})$"
)
_HEX_RE = re.compile(r"^(?:[0-9a-f]{2})*$")


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
# Loading tywrap
# ---------------------------------------------------------------------------

def load_tywrap(checkout):
    runtime = os.path.join(checkout, "runtime")
    core_path = os.path.join(runtime, "tywrap_bridge_core.py")
    if not os.path.isfile(core_path):
        raise SystemExit(
            f"harness.py: {core_path} not found; --tywrap must name a tywrap "
            "checkout (git clone https://github.com/bbopen/tywrap)"
        )
    sys.path.insert(0, runtime)
    import tywrap_bridge_core as core  # noqa: E402  (from the user's checkout)

    if os.path.realpath(os.path.dirname(core.__file__)) != os.path.realpath(runtime):
        raise SystemExit(
            f"harness.py: imported tywrap_bridge_core from {core.__file__}, "
            f"not from {runtime}; another copy is shadowing the checkout"
        )
    for name in ("serialize", "encode_value"):
        if not callable(getattr(core, name, None)):
            raise SystemExit(
                f"harness.py: {core_path} has no {name}(); this adapter expects "
                "the tywrap 0.10 runtime layout"
            )
    return core


def tywrap_version(checkout):
    version = None
    try:
        with open(os.path.join(checkout, "package.json"), encoding="utf-8") as f:
            version = json.load(f).get("version")
    except (OSError, ValueError):
        pass
    describe = None
    try:
        if not os.path.exists(os.path.join(checkout, ".git")):
            raise OSError("not a git checkout")  # never describe an enclosing repository
        proc = subprocess.run(
            ["git", "-C", checkout, "describe", "--tags", "--always", "--dirty"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, timeout=10, check=False,
        )
        if proc.returncode == 0 and proc.stdout.strip():
            describe = proc.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    if version and describe and describe != f"v{version}":
        return f"{version} (git {describe})"
    return version or describe or "unknown"


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

# [sparse.dtype]: the dtypes of the table that have a json form
SPARSE_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "float16", "float32", "float64")
SPARSE_INDEX_MEMBERS = {"csr": ("indices", "indptr"), "csc": ("indices", "indptr"),
                        "coo": ("row", "col")}
# [torch.dtype.table]: torch dtype -> the nested ndarray dtype
TORCH_DTYPES = {"torch.bool": "bool"}
TORCH_DTYPES.update({f"torch.{n}": n for n in (
    "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
    "float16", "float32", "float64")})
# Modules an estimator class may be imported from: scikit-learn's own, and the
# vector generator's test estimators (vectors/generate/sciwire_gen/sklearn_estimator.py).
ESTIMATOR_TEST_MODULE = "sciwire_gen.sklearn_estimator"
GENERATOR_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                              "..", "..", "..", "vectors", "generate"))
SAFE = 2**53 - 1


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
# tywrap's exceptions -> sciwire error codes
# ---------------------------------------------------------------------------

# Checked in order against "Type: message" of every exception in the chain
# (the exception, its __cause__, its __context__, ...). The first match wins.
_REFUSALS = [
    # final encode (core.encode_value): NaN / +-Infinity
    (re.compile(r"Cannot serialize NaN"), "E_VALUE_DOMAIN"),
    # serialize_ndarray_json: integers beyond +-(2^53-1)
    (re.compile(r"outside the JavaScript safe integer range"), "E_VALUE_DOMAIN"),
    # serialize_ndarray_json: datetime / timedelta / unicode / bytes / complex /
    # object / void / structured / big-endian / float wider than 64 bits
    (re.compile(r"JSON ndarray encoding does not support"), "E_DTYPE_UNSUPPORTED"),
    # serialize_ndarray (Arrow): pyarrow refuses the numpy dtype
    (re.compile(r"Unsupported numpy type|Byte-swapped arrays not supported"), "E_DTYPE_UNSUPPORTED"),
    # serialize_ndarray (Arrow): pyarrow refuses a value (overflow, out of range)
    (re.compile(r"^(?:ArrowInvalid|OverflowError|ArrowNotImplementedError): .*"
                r"(?:overflow|out of (?:range|bounds)|would lose data|Casting from)",
                re.IGNORECASE), "E_VALUE_DOMAIN"),
    # serialize_sparse_matrix: complex64/complex128 data
    (re.compile(r"Complex scipy sparse matrices are not supported"), "E_DTYPE_UNSUPPORTED"),
    # serialize_sparse_matrix: dia, bsr, lil, dok
    (re.compile(r"Unsupported scipy sparse format"), "E_FORMAT_UNSUPPORTED"),
    # serialize_torch_tensor: complex and quantized dtypes
    (re.compile(r"Torch complex tensors are not supported|Torch quantized tensors are not "
                r"supported"), "E_DTYPE_UNSUPPORTED"),
    # (serialize_sklearn_estimator's "param ... is not JSON-serializable" is
    # classified by its cause: _sklearn_param_refusal)
]

_SKLEARN_PARAM = re.compile(r"scikit-learn estimator param ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\") "
                            r"is not JSON-serializable")


def _contains_estimator(v, depth=0):
    from sklearn.base import BaseEstimator

    if isinstance(v, BaseEstimator) or (isinstance(v, dict) and "__tywrap__" in v):
        return True
    if depth < 100 and isinstance(v, (list, tuple)):
        return any(_contains_estimator(x, depth + 1) for x in v)
    if depth < 100 and isinstance(v, dict):
        return any(_contains_estimator(x, depth + 1) for x in v.values())
    return False


def _sklearn_param_refusal(exc, texts, obj):
    """serialize_sklearn_estimator refuses a param that json.dumps(v,
    allow_nan=False) refuses, with one message whatever the cause. The code
    is the cause's: NaN or an infinity (json's ValueError) -> E_VALUE_DOMAIN;
    an estimator (or an envelope) inside the param -> E_NESTED_ENVELOPE;
    anything else (a numpy scalar, a function) -> None (errored)."""
    import ast

    m = _SKLEARN_PARAM.search(texts[0])
    if not m:
        return None
    if any(t.startswith("ValueError: Out of range float values are not JSON compliant")
           for t in texts[1:]):
        return "E_VALUE_DOMAIN"
    try:
        key = ast.literal_eval(m.group(1))
        value = obj.get_params(deep=False)[key]
    except Exception:
        return None
    if _contains_estimator(value):
        return "E_NESTED_ENVELOPE"
    return None


def _chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify(exc, obj=None):
    """(code, message) for an exception tywrap raised on `obj`, or None if the
    adapter does not know it as a refusal."""
    chain = list(_chain(exc))
    texts = [f"{type(e).__name__}: {e}" for e in chain]
    if _SKLEARN_PARAM.search(texts[0]):
        code = _sklearn_param_refusal(exc, texts, obj)
        return None if code is None else (code, " <- ".join(texts))
    for pattern, code in _REFUSALS:
        for text in texts:
            if pattern.search(text):
                return code, " <- ".join(texts)
    return None


# ---------------------------------------------------------------------------
# --decoder ts: tywrap's TypeScript decoder, bundled from the checkout
# ---------------------------------------------------------------------------

ARROW_JS_VERSION = "21.2.0"   # the apache-arrow tywrap 0.10's tests run against
ESBUILD_VERSION = "0.28.2"


def default_ts_cache():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sciwire", "tywrap-ts")


def _log(msg):
    sys.stderr.write(f"harness.py: {msg}\n")
    sys.stderr.flush()


def prepare_ts(checkout, cache):
    """Install apache-arrow and esbuild into `cache` (once) and bundle tywrap's
    BridgeCodec from the checkout (every start, so edits to the checkout count).
    Returns the bundle's path."""
    import hashlib

    os.makedirs(cache, exist_ok=True)
    modules = os.path.join(cache, "node_modules")

    def installed(name, version):
        try:
            with open(os.path.join(modules, name, "package.json"), encoding="utf-8") as f:
                return json.load(f).get("version") == version
        except (OSError, ValueError):
            return False

    if not (installed("apache-arrow", ARROW_JS_VERSION) and installed("esbuild", ESBUILD_VERSION)):
        pkg = os.path.join(cache, "package.json")
        if not os.path.exists(pkg):
            with open(pkg, "w", encoding="utf-8") as f:
                json.dump({"name": "sciwire-tywrap-ts", "private": True}, f)
        _log(f"installing apache-arrow@{ARROW_JS_VERSION} and esbuild@{ESBUILD_VERSION} into {cache}")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                        f"apache-arrow@{ARROW_JS_VERSION}", f"esbuild@{ESBUILD_VERSION}"],
                       cwd=cache, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=True)

    src = os.path.join(checkout, "src")
    for rel in ("runtime/bridge-codec.ts", "utils/codec.ts"):
        if not os.path.isfile(os.path.join(src, rel)):
            raise SystemExit(f"harness.py: {os.path.join(src, rel)} not found; --decoder ts needs "
                             "tywrap's TypeScript sources (src/) in the checkout")
    key = hashlib.sha256(os.path.realpath(checkout).encode()).hexdigest()[:16]
    bundles = os.path.join(cache, "bundles")
    os.makedirs(bundles, exist_ok=True)
    entry = os.path.join(bundles, f"entry-{key}.ts")
    with open(entry + f".{os.getpid()}", "w", encoding="utf-8") as f:
        f.write(f"export {{ BridgeCodec }} from {json.dumps(os.path.join(src, 'runtime', 'bridge-codec.ts'))};\n"
                f"export {{ autoRegisterArrowDecoder }} from {json.dumps(os.path.join(src, 'utils', 'codec.ts'))};\n")
    os.replace(entry + f".{os.getpid()}", entry)
    bundle = os.path.join(bundles, f"tywrap-{key}.mjs")
    tmp = bundle + f".{os.getpid()}.tmp.mjs"
    esbuild = os.path.join(modules, ".bin", "esbuild")
    subprocess.run([esbuild, entry, "--bundle", "--platform=node", "--format=esm",
                    "--external:apache-arrow", "--log-level=warning", f"--outfile={tmp}"],
                   cwd=cache, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=True)
    os.replace(tmp, bundle)
    return bundle


class TsDecoder:
    """A long-lived `node ts_decoder.mjs BUNDLE`, restarted when it dies."""

    HEAP_MB = 1024  # node's --max-old-space-size: a runaway decode dies sooner

    def __init__(self, bundle):
        self.bundle = bundle
        self.proc = None
        self.stderr = None

    def _spawn(self):
        import tempfile

        helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ts_decoder.mjs")
        if self.stderr is not None:
            self.stderr.close()
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(["node", f"--max-old-space-size={self.HEAP_MB}", helper,
                                      self.bundle], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, cwd=os.path.dirname(self.bundle))

    def stderr_tail(self, n=2000):
        if self.stderr is None:
            return ""
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - n))
        return self.stderr.read().decode("utf-8", "replace")

    BIG = 1 << 20  # inputs past this go to node through a file, not the pipe

    def decode(self, data):
        if self.proc is None or self.proc.poll() is not None:
            self._spawn()
        if len(data) > self.BIG:
            import tempfile

            with tempfile.NamedTemporaryFile(prefix="sciwire-tywrap-", delete=False) as f:
                f.write(data)
            try:
                return self._ask(json.dumps({"file": f.name}) + "\n")
            finally:
                os.unlink(f.name)
        return self._ask(json.dumps({"b64": base64.b64encode(data).decode("ascii")}) + "\n")

    def _ask(self, line):
        try:
            self.proc.stdin.write(line.encode("ascii"))
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            answer = b""
            _log(f"node helper: {exc}")
        if not answer:
            try:
                status = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                status = self.proc.wait()
            self.proc = None
            how = f"killed by signal {-status}" if status < 0 else f"exit status {status}"
            tail = self.stderr_tail()
            sys.stderr.write(tail)
            return {"crash": f"node running tywrap's decoder died ({how}) without answering",
                    "stderr": tail}
        return json.loads(answer)


# tywrap's decoder messages -> sciwire codes. tywrap has no codes; these are
# read off its messages (src/utils/codec.ts, src/runtime/bridge-codec.ts), and
# checked in order. A rejection matching none is answered `errored`.
def _index_code(m):
    # [sparse.index-values] before [sparse.index-range]: an index that is no
    # integer in [0, 2^53-1] is E_VALUE_DOMAIN, one outside the shape
    # E_SPARSE_INDEX (tywrap's message says which number it was)
    try:
        v = float(m.group("v"))
    except ValueError:
        return "E_VALUE_DOMAIN"
    return "E_VALUE_DOMAIN" if v < 0 or v > SAFE or v != int(v) else "E_SPARSE_INDEX"


_SPARSE = r"^Scientific envelope decoding failed \(scipy\.sparse\): Invalid scipy\.sparse envelope: "
_TORCH = r"^Scientific envelope decoding failed \(torch\.tensor\): Invalid torch\.tensor envelope: "
_SKLEARN = (r"^Scientific envelope decoding failed \(sklearn\.estimator\): Invalid "
            r"sklearn\.estimator envelope: ")
_TS_REJECTIONS = [
    (r"^JSON parse failed", "E_JSON_SYNTAX"),
    # tywrap knows markers sciwire v1 does not define; it rejected the envelope
    # as one of those
    (r"^Scientific envelope decoding failed \((?:dataframe|series)\)", "E_UNKNOWN_MARKER"),
    # -- scipy.sparse (decodeScipySparseEnvelope, assertSparseDataDomain,
    #    assertIndexArrayInRange)
    (_SPARSE + r"unsupported (?:encoding|format) undefined$", "E_MISSING_FIELD"),
    (_SPARSE + r"unsupported format", "E_FORMAT_UNSUPPORTED"),
    (_SPARSE + r"shape must be a 2-item non-negative integer\[\]", "E_SHAPE_INVALID"),
    (_SPARSE + r"(?:data must be an array|coo requires row and col arrays"
     r"|csr/csc requires indices and indptr arrays)", "E_FIELD_TYPE"),
    (_SPARSE + r"data\[\d+\] at path data\[\d+\] (?:must be finite|is incompatible)",
     "E_VALUE_DOMAIN"),
    (_SPARSE + r"(?:coo row/col/data lengths must match|\w+ indices/data lengths must match"
     r"|\w+ indptr length must be)", "E_SHAPE_MISMATCH"),
    (_SPARSE + r"(?:indptr|indices|row|col)\[\d+\] must be an integer", "E_VALUE_DOMAIN"),
    (_SPARSE + r"(?:indptr|indices|row|col)\[\d+\]=(?P<v>\S+) is out of range", _index_code),
    (_SPARSE + r"indptr must (?:be non-decreasing|start at 0|end at data\.length)",
     "E_SPARSE_INDEX"),
    # -- torch.tensor (decodeTorchTensorEnvelope; the nested ndarray's own
    #    rejections come as "(ndarray)" and are mapped below)
    (_TORCH + r"unsupported encoding undefined$|" + _TORCH + r"missing value$"
     r"|value\.shape at path value\.shape must be .* actual type undefined", "E_MISSING_FIELD"),
    (_TORCH + r"value must be an ndarray envelope", "E_NESTED_ENVELOPE"),
    (_TORCH + r"shape at path shape .* disagrees with nested ndarray shape", "E_SHAPE_MISMATCH"),
    (r"value\.dtype at path value\.dtype must be a non-empty string.* actual type string",
     "E_DTYPE_UNSUPPORTED"),
    (r"value\.shape at path value\.shape must be a list"
     r"|value\.dtype at path value\.dtype must be a non-empty string", "E_FIELD_TYPE"),
    (_TORCH + r"(?:device|sourceDtype|sourceDevice) must be a non-empty string", "E_FIELD_TYPE"),
    # -- sklearn.estimator (decodeSklearnEstimatorEnvelope, assertPlainJson): one
    #    message for className, module and params; its "actual types" and
    #    "declared" values say which
    (_SKLEARN + r"unsupported encoding undefined$", "E_MISSING_FIELD"),
    (_SKLEARN + r"expected className/module strings.*actual types (?:undefined/\S+|\S+/undefined)$",
     "E_MISSING_FIELD"),
    (_SKLEARN + r"expected className/module strings.*actual types (?!string/string$)",
     "E_FIELD_TYPE"),
    (_SKLEARN + r"expected className/module strings.*declared (?:class|module) \"\",",
     "E_VALUE_DOMAIN"),
    (_SKLEARN + r"expected className/module strings", "E_FIELD_TYPE"),  # params not an object
    (_SKLEARN + r"params must be a plain JSON object|" + _SKLEARN
     + r"version must be a string when provided", "E_FIELD_TYPE"),
    (_SKLEARN + r"\S+ must be a finite JSON number", "E_VALUE_DOMAIN"),
    # -- every marker
    (r"payload size \d+ bytes exceeds maximum|maximum depth \d+ exceeded|maximum visited nodes",
     "E_LIMIT_EXCEEDED"),
    (r"non-finite number \(NaN or Infinity\)", "E_VALUE_DOMAIN"),
    (r"codecVersion must be a number|Unsupported \w[\w.]* envelope codecVersion", "E_CODEC_VERSION"),
    (r"unsupported encoding", "E_ENCODING_UNSUPPORTED"),
    (r"dtype at path dtype is required|missing b64|missing data|data at path data is required"
     r"|unsupported encoding undefined$|at path (?:shape|b64) must be .* actual type undefined",
     "E_MISSING_FIELD"),
    (r"dtype at path dtype must be a non-empty string.* actual type string", "E_DTYPE_UNSUPPORTED"),
    (r"shape at path shape must be a list|dtype at path dtype must be a non-empty string"
     r"|b64 at path b64 must be a base64 string", "E_FIELD_TYPE"),
    (r"shape\[\d+\]=.* must be a non-negative integer", "E_SHAPE_INVALID"),
    (r"b64 at path b64 must be well-formed base64|Invalid base64", "E_BASE64"),
    (r"element count \d+, expected|has length \d+, expected|exceeds nesting depth"
     r"|must be an array at depth|has leaf count", "E_SHAPE_MISMATCH"),
    (r"^Arrow decoding failed|Arrow decode failed|could not extract Arrow values"
     r"|decoded data extraction failed", "E_ARROW_PAYLOAD"),
]
_TS_REJECTIONS = [(re.compile(p), c) for p, c in _TS_REJECTIONS]


def classify_ts(message):
    for pattern, code in _TS_REJECTIONS:
        m = pattern.search(message)
        if m:
            return code(m) if callable(code) else code
    return None


MAX_DECODED_BYTES = 1 << 28  # the default limit of spec/src/limits.md


class _Dtype:
    """kind and itemsize of a table dtype (numpy refuses <U widths past 2^29)."""

    def __init__(self, name):
        if name.startswith("<U"):
            self.kind, self.itemsize = "U", 4 * int(name[2:])
        elif name.startswith("|S"):
            self.kind, self.itemsize = "S", int(name[2:])
        else:
            import numpy as np
            d = np.dtype(name)
            self.kind, self.itemsize, self.np = d.kind, d.itemsize, d


class Inexpressible(Exception):
    """tywrap accepted the input, but what it returned is no canonical value."""


def _leaf_bytes(np, dtype_name, dtype, leaf, where):
    import math

    def bad(why):
        return Inexpressible(f"element {where}: {why} (tywrap returned {json.dumps(leaf)[:200]})")

    if not isinstance(leaf, dict) or len(leaf) < 1:
        raise bad("not a leaf")
    kind = dtype.kind
    if kind == "b":
        if "b" not in leaf:
            raise bad("not a boolean")
        return b"\x01" if leaf["b"] else b"\x00"
    if kind in "iumM":
        if "i" in leaf:
            value = int(leaf["i"])
        elif "n" in leaf:
            f = float(leaf["n"])
            if not math.isfinite(f) or f != int(f):
                raise bad("not an integer")
            value = int(f)  # the exact value of the JS number
        else:
            raise bad("not a number")
        bits = 8 * dtype.itemsize
        lo, hi = (0, 2**bits - 1) if kind == "u" else (-(2**(bits - 1)), 2**(bits - 1) - 1)
        if not lo <= value <= hi:
            raise bad(f"outside {dtype_name}'s range")
        return value.to_bytes(dtype.itemsize, "little", signed=(kind != "u"))
    if kind == "f":
        if "n" in leaf:
            f = float(leaf["n"])
        elif "i" in leaf:
            f = float(int(leaf["i"]))
        else:
            raise bad("not a number")
        # a JS number is a binary64; the element is the dtype's value nearest to it
        with np.errstate(over="ignore"):
            return np.array([f], dtype=np.float64).astype(dtype.np.newbyteorder("<")).tobytes()
    if kind == "U":
        if "s" not in leaf:
            raise bad("not a string")
        try:
            raw = leaf["s"].encode("utf-32-le")
        except UnicodeEncodeError:
            raise bad("a string with a lone surrogate")
        if len(raw) > dtype.itemsize:
            raise bad(f"longer than {dtype_name} holds")
        return raw.ljust(dtype.itemsize, b"\x00")
    if kind == "S":
        if "bytes" not in leaf:
            raise bad("not a byte string")
        raw = bytes.fromhex(leaf["bytes"])
        if len(raw) > dtype.itemsize:
            raise bad(f"longer than {dtype_name} holds")
        return raw.ljust(dtype.itemsize, b"\x00")
    raise bad(f"dtype kind {kind!r}")


def ts_to_canonical(np, parsed, result):
    """The canonical value of what tywrap's decoder returned, read with the
    envelope's declared dtype and shape: nested arrays as the shape says; each
    element the JS value as a value of the dtype (integers and datetime counts
    exactly, floats rounded to the dtype from the binary64 JS number, strings
    as code points, Binary as bytes)."""
    if parsed.get("kind") != "object" or parsed.get("__tywrap__") != "ndarray":
        if parsed.get("kind") == "object" and parsed.get("__tywrap__") in ("dataframe", "series"):
            raise Inexpressible(f"tywrap decoded it as its {parsed['__tywrap__']} envelope, a "
                                "marker sciwire v1 does not define")
        raise Inexpressible("tywrap returned the input undecoded (it is no envelope to tywrap, "
                            "which passes such values through)")
    dtype_name, shape = parsed.get("dtype"), parsed.get("shape")
    if not isinstance(dtype_name, str) or not _DTYPE_RE.match(dtype_name):
        raise Inexpressible(f"tywrap accepted dtype {json.dumps(dtype_name)}, which is not in "
                            "sciwire's dtype table")
    if not (isinstance(shape, list) and all(isinstance(d, int) and not isinstance(d, bool)
                                            and 0 <= d <= 2**53 - 1 for d in shape)):
        raise Inexpressible(f"tywrap accepted shape {json.dumps(shape)[:200]}")
    if len(shape) > 64:
        raise Inexpressible(f"tywrap accepted a shape of {len(shape)} dimensions; a canonical "
                            "value has at most 64")
    dtype = _Dtype(dtype_name)
    count = 1
    for d in shape:
        count *= d
    if count * dtype.itemsize > MAX_DECODED_BYTES:
        # tywrap returned it; the adapter does not build a canonical value past
        # the default limit (its hex alone would be twice that), which would
        # only fail here later, on memory or time, and less clearly
        raise Inexpressible(f"tywrap accepted a {dtype_name} value of shape {shape}, "
                            f"{count * dtype.itemsize} bytes, past sciwire's max_decoded_bytes "
                            f"({MAX_DECODED_BYTES}); the adapter does not build it")
    out = []
    # depth-first over the nesting the shape describes
    stack = [(result, 0, "")]
    while stack:
        node, depth, where = stack.pop()
        if depth == len(shape):
            if isinstance(node, list):
                raise Inexpressible(f"tywrap's result has an array at {where or 'the root'}, "
                                    f"below the {len(shape)} levels of shape {shape}")
            out.append(_leaf_bytes(np, dtype_name, dtype, node, where or "[]"))
            continue
        if not isinstance(node, list) or len(node) != shape[depth]:
            raise Inexpressible(f"tywrap's result at {where or 'the root'} is not an array of "
                                f"{shape[depth]} items, as shape {shape} says")
        for i in range(len(node) - 1, -1, -1):
            stack.append((node[i], depth + 1, f"{where}[{i}]"))
    return {"kind": "ndarray", "dtype": dtype_name, "shape": shape, "hex": b"".join(out).hex()}


# tywrap's result for the other markers, tagged by ts_decoder.mjs's tagPlain():
# plain objects as {"members": [[name, node], ...]}, arrays as arrays, leaves
# as tag() writes them.

def _ts_members(node, what):
    if not (isinstance(node, dict) and set(node) == {"members"}):
        raise Inexpressible(f"tywrap returned {what} that is not a plain object: "
                            f"{json.dumps(node)[:200]}")
    return {k: v for k, v in node["members"]}


def _ts_absent(node):
    return node is None or node == {"undefined": True}


def _ts_str(node):
    return node["s"] if isinstance(node, dict) and set(node) == {"s"} else None


def _show(node):
    """A tagged leaf as the JS value it stands for (for messages)."""
    if isinstance(node, dict) and len(node) == 1:
        (k, v), = node.items()
        if k == "s":
            return json.dumps(v)
        if k in ("n", "i"):
            return str(v)
        if k == "b":
            return "true" if v else "false"
        if k in ("null", "undefined"):
            return k
    return json.dumps(node)[:200]


def _ts_count(node, hi=SAFE):
    """The integer a tagged JS number holds, when it is one in [0, hi]."""
    import math

    if isinstance(node, dict) and set(node) == {"n"}:
        f = float(node["n"])
        if math.isfinite(f) and f == int(f) and 0 <= int(f) <= hi:
            return int(f)
    return None


def _ts_shape(node, what):
    if not isinstance(node, list):
        raise Inexpressible(f"tywrap returned {what} {json.dumps(node)[:200]}, not an array")
    out = [_ts_count(d) for d in node]
    if any(d is None for d in out):
        raise Inexpressible(f"tywrap returned {what} {json.dumps(node)[:200]}, not integers in "
                            "[0, 2^53-1]")
    return out


def ts_sparse_to_canonical(np, parsed, result):
    """tywrap's SparseMatrix {format, shape, data, indices, indptr | row, col,
    dtype} as a canonical sparse value: the stored values read with the
    returned dtype as _leaf_bytes reads ndarray elements, the index arrays
    as the integers they are."""
    r = _ts_members(result, "a sparse matrix")
    fmt = _ts_str(r.get("format"))
    if fmt not in SPARSE_INDEX_MEMBERS:
        raise Inexpressible(f"tywrap returned format {_show(r.get('format'))}")
    dtype_name = _ts_str(r.get("dtype"))
    if dtype_name is None:
        raise Inexpressible(f"tywrap returned the matrix with dtype {_show(r.get('dtype'))} "
                            "(it reads an envelope without one leniently), so its stored values "
                            "have no type")
    if dtype_name not in SPARSE_DTYPES:
        raise Inexpressible(f"tywrap accepted dtype {json.dumps(dtype_name)}, which is not a "
                            "sparse dtype in sciwire's table (bool, integers, float16/32/64)")
    shape = _ts_shape(r.get("shape"), "shape")
    if len(shape) != 2:
        raise Inexpressible(f"tywrap returned shape {shape}, not two dimensions")
    data = r.get("data")
    if not isinstance(data, list):
        raise Inexpressible(f"tywrap returned data {json.dumps(data)[:200]}, not an array")
    dtype = _Dtype(dtype_name)
    hexdigits = b"".join(_leaf_bytes(np, dtype_name, dtype, leaf, f"data[{i}]")
                         for i, leaf in enumerate(data)).hex()
    out = {"kind": "sparse", "format": fmt, "dtype": dtype_name, "shape": shape, "hex": hexdigits}
    for name in SPARSE_INDEX_MEMBERS[fmt]:
        arr = r.get(name)
        if not isinstance(arr, list):
            raise Inexpressible(f"tywrap returned {name} {json.dumps(arr)[:200]}, not an array")
        vals = [_ts_count(x) for x in arr]
        bad = next((i for i, x in enumerate(vals) if x is None), None)
        if bad is not None:
            raise Inexpressible(f"tywrap returned {name}[{bad}] = {_show(arr[bad])}, not an "
                                "integer in [0, 2^53-1]")
        out[name] = vals
    return out


def _nesting(node):
    """The shape of a tagged result's nested arrays, read along the first
    items (ts_to_canonical then checks that every item agrees)."""
    shape = []
    while isinstance(node, list):
        shape.append(len(node))
        node = node[0] if node else None
    return shape


def ts_tensor_to_canonical(np, parsed, result):
    """tywrap's TorchTensor {data, shape, dtype, device, sourceDtype?,
    sourceDevice?} as a canonical tensor value. `data` is what tywrap's
    ndarray decoder returned for the nested envelope; it is read as that
    decode is ([ts_to_canonical]): with the nested envelope's dtype and shape
    (for a nested envelope without dtype, the one the torch dtype table gives)."""
    r = _ts_members(result, "a tensor")
    tdtype = _ts_str(r.get("dtype"))
    if tdtype not in TORCH_DTYPES:
        raise Inexpressible(f"tywrap accepted the tensor dtype {_show(r.get('dtype'))}, which "
                            "is not in sciwire's torch dtype table")
    device = r.get("device")
    if not _ts_absent(device) and _ts_str(device) != "cpu":
        raise Inexpressible(f"tywrap accepted device {_show(device)}; a canonical tensor is "
                            "in host memory (cpu), so this one has no canonical value")
    out = {"kind": "tensor", "dtype": tdtype}
    sd = r.get("sourceDtype")
    if not _ts_absent(sd):
        if _ts_str(sd) != "torch.bfloat16":
            raise Inexpressible(f"tywrap accepted sourceDtype {_show(sd)}; sciwire's only "
                                "one is torch.bfloat16")
        out["sourceDtype"] = "torch.bfloat16"
    sdev = r.get("sourceDevice")
    if not _ts_absent(sdev):
        if not _ts_str(sdev):
            raise Inexpressible(f"tywrap returned sourceDevice {_show(sdev)}")
        out["sourceDevice"] = _ts_str(sdev)
    nested = parsed.get("value") if isinstance(parsed.get("value"), dict) else {}
    nd = nested.get("dtype") if isinstance(nested.get("dtype"), str) else TORCH_DTYPES[tdtype]
    nshape = nested.get("shape")
    shape = None if _ts_absent(r.get("shape")) else _ts_shape(r.get("shape"), "shape")
    if not isinstance(nshape, list):
        # a legacy nested envelope without shape: tywrap returns its data as it
        # reads it (nested JSON arrays as they are, an Arrow column flat), so
        # the data's own nesting is the shape it gave
        nshape = _nesting(r.get("data"))
        what = "data nested as"
    else:
        what = "data it read with the nested shape"
    if shape is not None and shape != nshape:
        raise Inexpressible(f"tywrap returned shape {shape} with {what} "
                            f"{json.dumps(nshape)[:200]}: a canonical tensor has one shape")
    read_shape = nshape
    arr = ts_to_canonical(np, {"kind": "object", "__tywrap__": "ndarray", "dtype": nd,
                               "shape": read_shape}, r.get("data"))
    out["array"] = arr
    # members in the schema's order (kind, dtype, array, sourceDtype, sourceDevice)
    return {k: out[k] for k in ("kind", "dtype", "array", "sourceDtype", "sourceDevice") if k in out}


class _Num:
    """A number of the input text, with its kind ([sklearn.params.numbers])."""
    __slots__ = ("kind", "text")

    def __init__(self, kind, text):
        self.kind, self.text = kind, text


def _input_numbers(data):
    """The input parsed by Python's json with each number kept as its text and
    kind: the only place the kind survives, since tywrap's JSON.parse makes
    1 and 1.0 the same JavaScript number. (JSON.parse and json both keep the
    last of duplicate names.)"""
    text = data.decode("utf-8", "replace")
    return json.loads(text, parse_int=lambda t: _Num("int", t),
                      parse_float=lambda t: _Num("float", t),
                      parse_constant=lambda t: _Num("float", t))


def ts_typed(node, doc, path):
    """tywrap's returned params (tagged) as a typed JSON tree
    ([canonical.typed-json]). A JS number that is not an integer is a float;
    an integer-valued one is the integer the input wrote, or, when the input
    wrote a float (1.0, 1e3, -0.0), Inexpressible: tywrap returns the float
    1.0 as the number 1, the same as the integer 1, and guessing the kind back
    from the input would report a value tywrap does not give."""
    import math
    import struct

    stack = []
    root = {}
    stack.append((node, doc, path, root))
    while stack:
        node, doc, path, slot = stack.pop()
        if isinstance(node, list):
            if not isinstance(doc, list) or len(doc) != len(node):
                raise Inexpressible(f"{path}: tywrap's array does not match the input's")
            items = [{} for _ in node]
            slot["array"] = items
            for i in range(len(node) - 1, -1, -1):
                stack.append((node[i], doc[i], f"{path}[{i}]", items[i]))
            continue
        if isinstance(node, dict) and set(node) == {"members"}:
            if not isinstance(doc, dict):
                raise Inexpressible(f"{path}: tywrap's object does not match the input's")
            pairs = sorted(node["members"], key=lambda p: p[0])
            members = [[k, {}] for k, _ in pairs]
            slot["object"] = members
            for (k, v), m in zip(pairs, members):
                if k not in doc:
                    raise Inexpressible(f"{path}: tywrap returned a member {k!r} the input lacks")
                stack.append((v, doc[k], f"{path}.{k}", m[1]))
            continue
        if node == {"null": True}:
            slot["null"] = None
        elif isinstance(node, dict) and set(node) == {"b"}:
            slot["bool"] = node["b"]
        elif isinstance(node, dict) and set(node) == {"s"}:
            slot["string"] = node["s"]
        elif isinstance(node, dict) and set(node) == {"n"}:
            f = float(node["n"])  # String() of a JS number round-trips; "-0" is -0.0
            if not isinstance(doc, _Num):
                raise Inexpressible(f"{path}: tywrap's number is no number in the input")
            integral = math.isfinite(f) and f == int(f)
            if not integral:
                if not math.isfinite(f):
                    raise Inexpressible(f"{path}: tywrap returned {node['n']}")
                slot["float"] = struct.pack(">d", f).hex()
            elif doc.kind == "int":
                slot["int"] = int(f)
            else:
                raise Inexpressible(
                    f"{path}: the envelope writes the float {doc.text}, which tywrap's decoder "
                    f"returns as the JavaScript number {node['n']}, the same value as the integer "
                    f"{int(f)}: the kind a canonical value keeps is lost")
        else:
            raise Inexpressible(f"{path}: tywrap returned {json.dumps(node)[:200]}, no JSON value")
    return root


def ts_estimator_to_canonical(parsed, result, data):
    """tywrap's SklearnEstimator {className, module, version, params} as a
    canonical estimator value, the params as a typed tree (ts_typed)."""
    r = _ts_members(result, "an estimator")
    name, module = _ts_str(r.get("className")), _ts_str(r.get("module"))
    if name is None or module is None:
        raise Inexpressible(f"tywrap returned className {_show(r.get('className'))}, module "
                            f"{_show(r.get('module'))}")
    version = r.get("version")
    if _ts_absent(version):
        raise Inexpressible("tywrap returned no version (it accepts an envelope without one); a "
                            "canonical estimator has a version string or null")
    if _ts_str(version) is None:
        raise Inexpressible(f"tywrap returned version {_show(version)}")
    if data is None:
        raise Inexpressible("the input is too large for the adapter to read its number kinds")
    try:
        doc = _input_numbers(data)
    except (ValueError, RecursionError) as exc:
        raise Inexpressible(f"Python's json cannot read the input for its number kinds: {exc}")
    params = r.get("params")
    if not isinstance(doc, dict) or "params" not in doc:
        raise Inexpressible("the input, as Python's json reads it, has no params")
    return {"kind": "estimator", "className": name, "module": module,
            "version": _ts_str(version),
            "params": ts_typed(params, doc["params"], "params")}


# ---------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------

class Harness:
    def __init__(self, args, out):
        self.args = args
        self.out = out
        self.checkout = os.path.abspath(args.tywrap)
        self.core = load_tywrap(self.checkout)
        import numpy as np  # noqa: E402

        self.np = np
        self.encodings = ["json"] if args.fallback == "json" else ["arrow", "json"]
        # The libraries of the other markers. Importing them also puts them in
        # sys.modules, which is where tywrap's dispatch looks for them.
        self.sp = self.torch = self.sklearn = None
        self.missing = {}
        try:
            import scipy.sparse as sp
            self.sp = sp
        except Exception as exc:
            self.missing["scipy.sparse"] = f"{type(exc).__name__}: {exc}"
        try:
            import torch
            self.torch = torch
        except Exception as exc:
            self.missing["torch.tensor"] = f"{type(exc).__name__}: {exc}"
        try:
            import sklearn
            import sklearn.base  # noqa: F401
            self.sklearn = sklearn
        except Exception as exc:
            self.missing["sklearn.estimator"] = f"{type(exc).__name__}: {exc}"
        for marker, why in self.missing.items():
            _log(f"{marker} not offered: {why}")
        self.ts = None
        if args.decoder == "ts":
            self.ts = TsDecoder(prepare_ts(self.checkout, args.ts_cache or default_ts_cache()))

    def send(self, obj):
        self.out.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=True) + "\n")
        self.out.flush()

    def start(self, rid, req):
        return {
            "id": rid,
            "protocol": PROTOCOL,
            "implementation": {
                "name": "tywrap-python-runtime" if self.ts is None
                        else "tywrap-python-runtime+ts-decoder",
                "version": tywrap_version(self.checkout),
                "language": "python",
                "homepage": TYWRAP_HOMEPAGE,
                "issues": TYWRAP_ISSUES,
            },
            "capabilities": self.capabilities(),
        }

    def capabilities(self):
        directions = ["encode"] if self.ts is None else ["decode", "encode"]
        caps = {
            "ndarray": {
                "directions": directions,
                "encodings": ["arrow", "json"] if self.ts else list(self.encodings),
                "codecVersions": [1],
            }
        }
        # The other markers: legacy v0 inputs too with --decoder ts (their v0
        # forms omit nothing the reading of tywrap's result needs, except
        # where tywrap's leniency is what is measured).
        versions = [1] if self.ts is None else [0, 1]
        if self.sp is not None:
            caps["scipy.sparse"] = {"directions": directions, "encodings": ["json"],
                                    "codecVersions": versions}
        if self.torch is not None:
            caps["torch.tensor"] = {"directions": directions,
                                    "encodings": ["arrow", "json"] if self.ts
                                    else list(self.encodings),
                                    "codecVersions": versions}
        if self.sklearn is not None:
            caps["sklearn.estimator"] = {"directions": directions, "encodings": ["json"],
                                         "codecVersions": versions}
        return caps

    KINDS_MAX = 64 << 20  # inputs up to this size are kept for ts_estimator_to_canonical

    def decode(self, rid, req):
        if self.ts is None:
            return {
                "id": rid,
                "skipped": True,
                "message": "tywrap's decoder is TypeScript (src/utils/codec.ts); without "
                           "--decoder ts this adapter drives only tywrap's Python producer",
            }
        data = base64.b64decode(req.pop("input"), validate=True)
        answer = self.ts.decode(data)
        if len(data) > self.KINDS_MAX or b"sklearn.estimator" not in data:
            data = None  # spare the memory: only an estimator's reading needs the input
        if "crash" in answer:
            resp = errored(rid, answer["crash"])
            if answer.get("stderr"):
                resp["context"]["stderr"] = answer["stderr"]
            return resp
        if not answer["ok"]:
            err = answer["error"]
            message = f"{err.get('class')}: {err.get('message')}"
            code = classify_ts(err.get("message") or "")
            if code is None:
                return errored(rid, "tywrap rejected the input with a message the adapter "
                                    "does not map to a code: " + message)
            return {"id": rid, "error": {"code": code, "message": message}}
        try:
            if "untaggable" in answer:
                raise Inexpressible(answer["untaggable"])
            parsed, result = answer["parsed"], answer.get("result")
            marker = parsed.get("__tywrap__") if parsed.get("kind") == "object" else None
            if marker == "scipy.sparse":
                value = ts_sparse_to_canonical(self.np, parsed, result)
            elif marker == "torch.tensor":
                value = ts_tensor_to_canonical(self.np, parsed, result)
            elif marker == "sklearn.estimator":
                value = ts_estimator_to_canonical(parsed, result, data)
            else:
                value = ts_to_canonical(self.np, parsed, result)
        except Inexpressible as exc:
            return errored(rid, f"tywrap accepted the input, but its result has no canonical "
                                f"value: {exc}")
        return {"id": rid, "value": value}

    def encode(self, rid, req):
        encoding = req.get("encoding")
        if encoding not in ("arrow", "json"):
            raise NotCanonical(f"encoding {encoding!r} is not arrow or json")
        if encoding not in self.encodings:
            return {"id": rid, "skipped": True,
                    "message": f"this harness runs tywrap with TYWRAP_CODEC_FALLBACK=json; "
                               f"it produces no {encoding} envelopes"}
        value = req.get("value")
        kind = value.get("kind") if isinstance(value, dict) else None
        allow_copy = False
        try:
            if kind == "ndarray":
                obj = with_layout(self.np, to_numpy(self.np, value), self.args.layout)
            elif kind == "sparse":
                if self.sp is None:
                    raise NotCanonical("scipy.sparse is not offered: " + self.missing["scipy.sparse"])
                if encoding != "json":
                    raise NotCanonical(f"a sparse value has no {encoding} encoding")
                obj, _how = to_sparse(self.np, self.sp, value, self.args.sparse_class)
            elif kind == "tensor":
                if self.torch is None:
                    raise NotCanonical("torch.tensor is not offered: " + self.missing["torch.tensor"])
                # the request's encoding is the nested ndarray's ([harness.capabilities])
                obj, allow_copy = to_tensor(self.np, self.torch, value)
            elif kind == "estimator":
                if self.sklearn is None:
                    raise NotCanonical("sklearn.estimator is not offered: "
                                       + self.missing["sklearn.estimator"])
                if encoding != "json":
                    raise NotCanonical(f"an estimator value has no {encoding} encoding")
                obj = to_estimator(value)
            else:
                raise NotCanonical(f"value kind {kind!r} is not ndarray, sparse, tensor or estimator")
        except AdapterRefusal as r:
            return {"id": rid, "error": {"code": r.code, "message": str(r)}}
        except NumpyCannot as r:
            return {"id": rid, "skipped": True, "message": str(r)}
        except Unfaithful as r:
            return errored(rid, f"[adapter, before tywrap] cannot hand tywrap this {kind} "
                                f"faithfully: {r}")

        core = self.core
        stage = "core.serialize"
        try:
            env = core.serialize(obj, force_json_markers=(encoding == "json"),
                                 torch_allow_copy=allow_copy)
            stage = "core.encode_value (the bridge's final encode)"
            text = core.encode_value(env, allow_nan=False)
        except Exception as exc:  # tywrap refused (or broke)
            verdict = classify(exc, obj)
            if verdict is None:
                return errored(rid, f"tywrap raised, in {stage}, an exception the adapter "
                                    "does not recognise as a refusal", exc)
            code, message = verdict
            return {"id": rid, "error": {"code": code, "message": f"[tywrap {stage}] {message}"}}
        return {"id": rid, "output": base64.b64encode(text.encode("utf-8")).decode("ascii")}

    def run(self, inp):
        handlers = {"start": self.start, "decode": self.decode, "encode": self.encode}
        while True:
            line = inp.readline()
            if not line:
                return 0  # end of input
            if not line.strip():
                continue
            rid = None
            try:
                req = json.loads(line)
                line = None  # large inputs: keep one copy, not two
                rid = req.get("id") if isinstance(req, dict) else None
                cmd = req.get("cmd") if isinstance(req, dict) else None
                if cmd == "stop":
                    return 0
                handler = handlers.get(cmd)
                if handler is None:
                    resp = errored(rid, f"unknown command {cmd!r}")
                else:
                    resp = handler(rid, req)
            except Exception as exc:  # never crash on a request
                resp = errored(rid, f"harness error: {type(exc).__name__}: {exc}", exc)
            if not (isinstance(resp.get("id"), int) and resp["id"] >= 0):
                resp["id"] = 0  # the schema needs one; the runner flags the mismatch
            self.send(resp)


def errored(rid, message, exc=None):
    context = {"message": message}
    if exc is not None:
        context["traceback"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"id": rid, "errored": True, "context": context}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tywrap", required=True, metavar="CHECKOUT",
                    help="path of a tywrap checkout (its runtime/ is imported)")
    ap.add_argument("--fallback", choices=["json"],
                    help="behave like a bridge started with TYWRAP_CODEC_FALLBACK=json "
                         "(JSON envelopes only)")
    ap.add_argument("--layout", choices=["c", "fortran", "reversed", "strided"], default="c",
                    help="memory layout of the arrays handed to tywrap (default c): fortran = "
                         "column-major, reversed = negative strides on every axis, strided = "
                         "every other element of a larger buffer on the last axis; the "
                         "logical value, and so the expected envelope, is the same")
    ap.add_argument("--sparse-class", choices=["matrix", "array"], default="matrix",
                    help="the scipy class a canonical sparse value becomes: *_matrix (default: "
                         "csr_matrix, csc_matrix, coo_matrix) or *_array (csr_array, ...), "
                         "which tywrap 0.10 cannot serialize")
    ap.add_argument("--decoder", choices=["ts"],
                    help="also answer decode requests, with tywrap's TypeScript decoder "
                         "(BridgeCodec.decodeResponseAsync) bundled from the checkout's src/; "
                         "needs node and npm")
    ap.add_argument("--ts-cache", metavar="DIR",
                    help="where --decoder ts installs apache-arrow and esbuild and writes its "
                         "bundle (default $XDG_CACHE_HOME/sciwire/tywrap-ts)")
    ap.add_argument("--prepare", action="store_true",
                    help="with --decoder ts: install and bundle, then exit (so that the "
                         "runner's first start is not slowed by npm)")
    args = ap.parse_args(argv)
    if args.prepare:
        if args.decoder != "ts":
            ap.error("--prepare needs --decoder ts")
        print(prepare_ts(os.path.abspath(args.tywrap), args.ts_cache or default_ts_cache()),
              file=sys.stderr)
        return 0

    # Standard output belongs to the protocol: keep the real stream for it and
    # send anything else that prints (tywrap, numpy, pyarrow warnings) to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", newline="\n")
    sys.stdout = sys.stderr
    os.dup2(sys.stderr.fileno(), 1)

    harness = Harness(args, out)
    inp = open(sys.stdin.fileno(), "r", encoding="utf-8", errors="replace", newline="\n",
               closefd=False)
    return harness.run(inp)


if __name__ == "__main__":
    sys.exit(main())
