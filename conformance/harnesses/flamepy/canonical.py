"""Canonical ndarray values (spec/src/canonical-value.md) to numpy arrays and
back, for harness.py: to_numpy builds the array an encode request's value
denotes (what flamepy's writer is given), from_numpy reads the array
flamepy's reader returned as a canonical value. The exceptions say why a
value became no array (AdapterRefusal, NumpyCannot, NotCanonical) or an array
no canonical value (Inexpressible); harness.py answers them as `error`,
`skipped` and `errored`."""

import re

# The dtype table of spec/src/ndarray.md, as the canonical value spells it.
DTYPE_RE = re.compile(
    r"^(?:bool|u?int(?:8|16|32|64)|float(?:16|32|64)"
    r"|datetime64\[(?:s|ms|us|ns|D)\]|timedelta64\[(?:s|ms|us|ns)\]"
    r"|<U[1-9][0-9]{0,8}|\|S[1-9][0-9]{0,8})$"
)
HEX_RE = re.compile(r"^(?:[0-9a-f]{2})*$")
SAFE = 2**53 - 1
MAX_NDIM = 64  # numpy's own limit (NPY_MAXDIMS), also the spec's max_ndim


class AdapterRefusal(Exception):
    """The canonical value itself is unusable, with the code the spec gives
    every encoder ([canonical.ndarray.lowercase]: a hex of the wrong length is
    E_SHAPE_MISMATCH); answered as `error`, marked [adapter, before flamepy]."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class NumpyCannot(Exception):
    """numpy cannot hold the value (an itemsize or a shape beyond its
    limits), so no Python caller could hand it to flamepy: answered `skipped`."""


class NotCanonical(Exception):
    """The request holds no canonical ndarray value at all: answered `errored`."""


class Inexpressible(Exception):
    """flamepy returned an array that has no canonical value (a dtype outside
    the table): answered `errored`, with what flamepy returned."""


def to_numpy(np, value):
    """The numpy array a canonical ndarray value denotes: native byte order
    (little-endian on every machine this runs on), C order, writeable."""
    if not isinstance(value, dict) or value.get("kind") != "ndarray":
        kind = value.get("kind") if isinstance(value, dict) else type(value).__name__
        raise NotCanonical(f"value of kind {kind!r} is not a canonical ndarray value")
    if set(value) != {"kind", "dtype", "shape", "hex"}:
        raise NotCanonical(f"canonical value has members {sorted(value)}")
    dtype_name, shape, hexdigits = value["dtype"], value["shape"], value["hex"]
    if not isinstance(dtype_name, str) or not DTYPE_RE.match(dtype_name):
        raise NotCanonical(f"dtype {dtype_name!r} is not in the dtype table")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= SAFE for d in shape
    ):
        raise NotCanonical(f"shape {shape!r} is not a list of integers in [0, 2^53-1]")
    if not isinstance(hexdigits, str) or not HEX_RE.match(hexdigits):
        raise NotCanonical("hex is not lowercase hexadecimal with an even number of digits")
    try:
        dtype = np.dtype(dtype_name)
    except TypeError as exc:  # <U999999999: an itemsize beyond numpy's int32
        raise NumpyCannot(f"numpy cannot create dtype {dtype_name}: {exc}") from exc
    count = 1
    nonzero = 1
    for d in shape:
        count *= d
        nonzero *= max(d, 1)
    if len(shape) > MAX_NDIM or nonzero * max(dtype.itemsize, 1) > 2**63 - 1:
        raise NumpyCannot(f"numpy cannot create an array of shape {shape} and dtype {dtype_name} "
                          "(more than 64 dimensions, or sizes beyond its intp range)")
    expected = count * dtype.itemsize
    got = len(hexdigits) // 2
    if got != expected:
        raise AdapterRefusal(
            "E_SHAPE_MISMATCH",
            f"[adapter, before flamepy] hex holds {got} bytes; dtype {dtype_name} and "
            f"shape {shape} need {expected}",
        )
    raw = bytes.fromhex(hexdigits)
    flat = np.frombuffer(raw, dtype=dtype.newbyteorder("<"), count=count)
    # a private, writeable, C-contiguous array in native order: what a Python
    # caller of flamepy ordinarily holds
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(tuple(shape))


def with_layout(np, arr, layout):
    """The same logical array in another memory layout: `fortran`
    (column-major, which flamepy writes as a tensor with column-major
    strides) or `strided` (every other element of a buffer twice as long on
    the last axis: not contiguous, which flamepy writes as FLM\\x00)."""
    if layout == "c" or arr.ndim == 0:
        return arr
    if layout == "fortran":
        return np.asfortranarray(arr)
    if layout == "strided":
        big = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), dtype=arr.dtype)
        big[..., ::2] = arr
        return big[..., ::2]
    raise ValueError(f"unknown layout {layout!r}")


def dtype_name(np, dtype):
    """The dtype table's name of a numpy dtype, or None when it has none."""
    kind, size = dtype.kind, dtype.itemsize
    if dtype.fields is not None or dtype.subdtype is not None:
        return None
    if kind == "b":
        return "bool"
    if kind in "iu" and size in (1, 2, 4, 8):
        return f"{'u' if kind == 'u' else ''}int{8 * size}"
    if kind == "f" and size in (2, 4, 8):
        return f"float{8 * size}"
    if kind in "mM":
        unit, step = np.datetime_data(dtype)
        name = f"{'datetime64' if kind == 'M' else 'timedelta64'}[{unit}]"
        return name if step == 1 and DTYPE_RE.match(name) else None
    if kind == "U" and size >= 4:
        return f"<U{size // 4}"
    if kind == "S" and size >= 1:
        return f"|S{size}"
    return None


def from_numpy(np, arr):
    """The canonical value of a numpy array flamepy returned: its dtype's
    name, its shape, and its elements in C order, little-endian
    ([canonical.ndarray.bytes]), whatever its layout in memory."""
    name = dtype_name(np, arr.dtype)
    if name is None:
        raise Inexpressible(f"flamepy returned a numpy array of dtype {arr.dtype.str!r} "
                            f"(shape {list(arr.shape)}), which has no row in the dtype table")
    data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
    return {"kind": "ndarray", "dtype": name, "shape": [int(d) for d in arr.shape],
            "hex": data.hex()}
