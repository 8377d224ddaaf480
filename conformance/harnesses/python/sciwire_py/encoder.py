"""The encoder ([ndarray.encode.*]) and the canonical value ([canonical.*])."""

from __future__ import annotations

import base64
import json
import re

import numpy as np

import pyarrow as pa

from . import dtypes
from .dtypes import DType
from .errors import SciwireError, UnrepresentableError
from .limits import MAX_SAFE_INTEGER, Limits

DATE32_MIN, DATE32_MAX = -(2**31), 2**31 - 1
NAT = np.iinfo(np.int64).min

_ARROW_UNITS = {"SECOND": "s", "MILLISECOND": "ms", "MICROSECOND": "us", "NANOSECOND": "ns"}


def _as_array(arr) -> np.ndarray:
    if isinstance(arr, np.ma.MaskedArray):
        raise SciwireError("E_DTYPE_UNSUPPORTED", "masked arrays are refused: an ndarray envelope has no null "
                           "elements; pass arr.filled(...) or arr.data explicitly", "ndarray.dtype.table")
    if isinstance(arr, np.generic):
        return np.asarray(arr)
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected a numpy.ndarray, not {type(arr).__name__}")
    return arr


# ---------------------------------------------------------------------------
# Canonical value
# ---------------------------------------------------------------------------

def ndarray_to_canonical(arr) -> dict:
    """The canonical value of a numpy array ([canonical.ndarray]).

    Refuses (E_DTYPE_UNSUPPORTED) dtypes outside the table, as an encoder does.
    """
    arr = _as_array(arr)
    d = dtypes.of_numpy(arr.dtype)
    if d.kind == "bool":
        arr = _normal_bool(arr)
    data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
    return {"kind": "ndarray", "dtype": d.name, "shape": [int(x) for x in arr.shape], "hex": data.hex()}


def _normal_bool(arr: np.ndarray) -> np.ndarray:
    """A bool array whose bytes are 00/01 (numpy can hold other bytes in a
    bool array built with .view(); they mean True)."""
    return np.not_equal(np.ascontiguousarray(arr).view(np.uint8), 0).reshape(arr.shape)


_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def ndarray_from_canonical(value: dict) -> np.ndarray:
    """The numpy array a canonical value denotes.

    A ``hex`` of the wrong length (or not lowercase hex) is E_SHAPE_MISMATCH
    ([canonical.ndarray.lowercase]).
    """
    if not isinstance(value, dict):
        raise SciwireError("E_FIELD_TYPE", "a canonical value is an object", "canonical.ndarray")
    extra = set(value) - {"kind", "dtype", "shape", "hex"}
    if value.get("kind") != "ndarray" or extra:
        raise SciwireError("E_FIELD_TYPE", "a canonical ndarray has exactly kind 'ndarray', dtype, shape and hex",
                           "canonical.ndarray")
    name = value.get("dtype")
    if not isinstance(name, str):
        raise SciwireError("E_FIELD_TYPE", "dtype is not a string", "canonical.ndarray", "/dtype")
    d = dtypes.lookup(name)
    if d is None:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"dtype {name!r} is not in the dtype table",
                           "ndarray.dtype.table", "/dtype")
    shape = value.get("shape")
    if not isinstance(shape, list):
        raise SciwireError("E_FIELD_TYPE", "shape is not an array", "canonical.ndarray", "/shape")
    for k, s in enumerate(shape):
        if isinstance(s, bool) or not isinstance(s, (int, float)) or s != s or s in (float("inf"), float("-inf")) \
                or int(s) != s or not 0 <= s <= MAX_SAFE_INTEGER:
            raise SciwireError("E_SHAPE_INVALID", f"shape entry {s!r} is not an integer in [0, 2^53-1]",
                               "ndarray.shape.items", f"/shape/{k}")
    shape = tuple(int(s) for s in shape)
    hexstr = value.get("hex")
    if not isinstance(hexstr, str):
        raise SciwireError("E_FIELD_TYPE", "hex is not a string", "canonical.ndarray", "/hex")
    count = 1
    for s in shape:
        count *= s
    need = count * d.itemsize
    if len(hexstr) != 2 * need or not _HEX.fullmatch(hexstr):
        raise SciwireError("E_SHAPE_MISMATCH", f"hex holds {len(hexstr) / 2:g} bytes; dtype {name} and shape "
                           f"{list(shape)} need {need} lowercase hex bytes", "canonical.ndarray.lowercase", "/hex")
    npd = d.numpy()
    try:
        if npd is None:
            raise ValueError(f"numpy has no dtype {name}")
        if count == 0:
            return np.empty(shape, dtype=npd)
    except (ValueError, OverflowError) as e:
        raise UnrepresentableError(f"numpy cannot represent an empty array of dtype {name} and shape "
                                   f"{list(shape)}: {e}") from None
    raw = bytes.fromhex(hexstr)
    if d.kind == "bool" and raw.translate(None, b"\x00\x01"):
        raise SciwireError("E_VALUE_DOMAIN", "bool elements are the bytes 00 and 01", "canonical.ndarray.bytes",
                           "/hex")
    return np.frombuffer(raw, dtype=npd).reshape(shape).copy()


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------

def dumps_ndarray(arr, encoding: str = "arrow"):
    """Encode a numpy array as an ndarray envelope: JSON text (``str``) for
    ``"arrow"`` (every table dtype) or ``"json"`` (bool, int, uint and float
    dtypes whose values JSON carries exactly), the frame's ``bytes`` for
    ``"frame"`` (every table dtype, every value). A value the encoding cannot
    carry is refused with :class:`SciwireError`; the encoder never
    substitutes a value or falls back to another encoding.
    """
    if encoding == "frame":
        from . import frame
        header, buf = ndarray_frame_parts(arr)
        return frame.write(header, [buf])
    return write_json(ndarray_envelope(arr, encoding))


def ndarray_frame_parts(arr):
    """The header of an ndarray frame ([frame.encode]: ``__tywrap__``,
    ``codecVersion``, ``encoding``, ``dtype``, ``shape``, ``data``; without
    ``buffers``) and its one buffer: the element bytes of
    [canonical.ndarray.bytes], C order, little-endian. Refuses a ``<U{n}``
    unit that is not a Unicode scalar value (E_VALUE_DOMAIN); NaN, large
    integers, datetimes and strings are written as they are."""
    arr = _as_array(arr)
    d = dtypes.of_numpy(arr.dtype)
    arr = np.asarray(arr, order="C").astype(d.numpy(), order="C", copy=False)
    if d.kind == "bool":
        arr = _normal_bool(arr)
    return ndarray_frame_header(d, [int(x) for x in arr.shape]), _element_bytes(arr, d)


def ndarray_frame_header(d: DType, shape) -> dict:
    return {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "frame", "dtype": d.name, "shape": list(shape),
            "data": 0}


def _element_bytes(arr: np.ndarray, d: DType):
    """The element bytes of a C-ordered little-endian array, without a copy
    when it is contiguous; <U units checked ([frame.values])."""
    from . import frame
    flat = np.ascontiguousarray(arr).reshape(-1)
    raw = memoryview(flat.view(np.uint8)) if flat.size else memoryview(b"")
    if d.kind == "str":
        try:
            frame.check_str_units(raw, "/hex")
        except SciwireError as e:
            raise SciwireError(e.code, e.message, "frame.encode", e.path) from None
    return raw


def write_json(env: dict) -> str:
    """An envelope's JSON text: ASCII, every float as Python's repr (the
    shortest text that denotes it exactly), integers as integers."""
    return json.dumps(env, allow_nan=False, ensure_ascii=True, separators=(", ", ": "))


def ndarray_envelope(arr, encoding: str = "arrow") -> dict:
    """The ndarray envelope of a numpy array, as a dict ready for json.dumps."""
    arr = _as_array(arr)
    if encoding not in ("arrow", "json"):
        raise SciwireError("E_ENCODING_UNSUPPORTED", f"encoding {encoding!r} is not 'arrow' or 'json'",
                           "ndarray.encodings")
    d = dtypes.of_numpy(arr.dtype)
    # C order whatever the memory layout ([ndarray.encode.c-order]); native LE.
    arr = np.asarray(arr, order="C").astype(d.numpy(), order="C", copy=False)
    if d.kind == "bool":
        arr = _normal_bool(arr)
    env = {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": encoding, "dtype": d.name,
           "shape": [int(x) for x in arr.shape]}
    _check_envelope_size(env["shape"], arr.nbytes, encoding)
    if encoding == "json":
        env["data"] = json_payload(arr, d)
    else:
        env["b64"] = base64.b64encode(arrow_payload(arr, d)).decode("ascii")
    return env


def _check_envelope_size(shape, nbytes: int, encoding: str) -> None:
    """[ndarray.encode.limits]: refuse an envelope no decoder with the default
    limits could read, judged from the shape before anything is written."""
    limit = Limits().max_input_bytes
    if encoding == "arrow":
        least = -(-nbytes // 3) * 4
    else:
        # every nested array is at least "[]", every element a character and a separator
        arrays, at_level, count = 0, 1, 1
        for n in shape:
            count *= n
        for n in shape:
            arrays += at_level
            at_level *= n
            if at_level == 0:
                break
        least = 2 * arrays + 2 * count
    if least > limit:
        raise SciwireError("E_LIMIT_EXCEEDED",
                           f"the {encoding} envelope of shape {list(shape)} needs at least {least} bytes; "
                           f"decoders read at most {limit}", "ndarray.encode.limits")


def json_payload(arr: np.ndarray, d: DType):
    """[ndarray.encode.json-refuse], then the nested data."""
    if not d.json_ok:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"dtype {d.name} has no json form; use the arrow encoding",
                           "ndarray.encode.json-refuse")
    if d.kind == "float":
        if arr.size and not np.isfinite(arr).all():
            raise SciwireError("E_VALUE_DOMAIN", "NaN and infinity have no json form; use the arrow encoding",
                               "ndarray.encode.json-refuse")
    elif d.kind in ("int", "uint"):
        if arr.size and (int(arr.max()) > MAX_SAFE_INTEGER or int(arr.min()) < -MAX_SAFE_INTEGER):
            raise SciwireError("E_VALUE_DOMAIN", "integers beyond +-(2^53-1) have no exact json form; use the "
                               "arrow encoding", "ndarray.encode.json-refuse")
    # tolist(): nested lists in C order, Python ints/bools, and floats that
    # hold float16/float32 values exactly (repr then denotes them exactly).
    return arr.tolist()


def arrow_column(arr: np.ndarray, d: DType) -> pa.Array:
    """One Arrow array holding the elements in C order, of the dtype's Arrow type."""
    flat = arr.reshape(-1)
    n = flat.size
    k = d.kind
    if k == "bool":
        return pa.array(flat, type=pa.bool_())
    if k in ("int", "uint", "float"):
        typ = {"int": {1: pa.int8(), 2: pa.int16(), 4: pa.int32(), 8: pa.int64()},
               "uint": {1: pa.uint8(), 2: pa.uint16(), 4: pa.uint32(), 8: pa.uint64()},
               "float": {2: pa.float16(), 4: pa.float32(), 8: pa.float64()}}[k][d.itemsize]
        return pa.Array.from_buffers(typ, n, [None, pa.py_buffer(flat.tobytes())])
    if k == "date":
        days = flat.view("<i8")
        if n and (int(days.min()) < DATE32_MIN or int(days.max()) > DATE32_MAX):
            raise SciwireError("E_VALUE_DOMAIN", "a datetime64[D] value lies outside the Date32 range "
                               "[-2^31, 2^31-1] days", "ndarray.encode.arrow-refuse")
        return pa.Array.from_buffers(pa.date32(), n, [None, pa.py_buffer(days.astype("<i4").tobytes())])
    if k in ("datetime", "timedelta"):
        # NaT is carried as its int64 value, never as a null ([ndarray.arrow.nulls]).
        unit = _ARROW_UNITS[d.arrow[1]]
        typ = pa.timestamp(unit) if k == "datetime" else pa.duration(unit)
        return pa.Array.from_buffers(typ, n, [None, pa.py_buffer(flat.view("<i8").tobytes())])
    if k == "str":
        # Through Python strings: pa.array on a numpy <U array cuts elements
        # at their first U+0000 ([ndarray.encode.arrow-refuse]).
        try:
            items = flat.tolist()
            encoded = [s.encode("utf-8") for s in items]
        except (ValueError, UnicodeEncodeError) as e:
            raise SciwireError("E_VALUE_DOMAIN", f"a string element is not valid Unicode text: {e}",
                               "ndarray.encode.arrow-refuse")
        return _binary_array(pa.string(), encoded)
    if k == "bytes":
        return _binary_array(pa.binary(), flat.tolist())
    raise AssertionError(d.name)


def _binary_array(typ, items) -> pa.Array:
    offsets = np.zeros(len(items) + 1, dtype="<i4")
    lengths = np.fromiter((len(b) for b in items), dtype=np.int64, count=len(items))
    total = int(lengths.sum()) if len(items) else 0
    if total > 2**31 - 1:
        raise SciwireError("E_VALUE_DOMAIN", "string data exceeds the 2 GiB a Utf8/Binary column holds",
                           "ndarray.encode.arrow-refuse")
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(typ, len(items), [None, pa.py_buffer(offsets.tobytes()),
                                                   pa.py_buffer(b"".join(items))])


def arrow_payload(arr: np.ndarray, d: DType) -> bytes:
    """One Arrow IPC stream: schema, one record batch (none when empty), EOS."""
    col = arrow_column(arr, d)
    col.validate(full=True)
    schema = pa.schema([pa.field("value", col.type)])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as w:
        if len(col):
            w.write_batch(pa.record_batch([col], schema=schema))
    return sink.getvalue().to_pybytes()


# ---------------------------------------------------------------------------
# Every envelope: dispatch on the Python value (or the canonical kind)
# ---------------------------------------------------------------------------

def _kind_of(obj) -> str:
    from . import estimator, sparse, tensor
    if isinstance(obj, (np.ndarray, np.generic)):
        return "ndarray"
    if sparse.is_scipy_sparse(obj):
        return "sparse"
    if isinstance(obj, tensor.Tensor) or tensor.is_torch_tensor(obj):
        return "tensor"
    if isinstance(obj, estimator.Estimator) or estimator.is_estimator_object(obj):
        return "estimator"
    raise TypeError(f"sciwire carries numpy arrays, scipy.sparse csr/csc/coo matrices, torch tensors (or "
                    f"sciwire_py.Tensor records) and scikit-learn estimator metadata (sciwire_py.Estimator), "
                    f"not {type(obj).__name__}")


def _json_only(encoding, marker: str, page: str) -> None:
    if encoding not in (None, "json"):
        raise SciwireError("E_ENCODING_UNSUPPORTED", f"{marker} envelopes have only the json encoding, not "
                           f"{encoding!r}", f"{page}.encodings")


def _write_sparse(p, encoding):
    """A sparse matrix's parts as a frame, or as JSON text (its only other encoding)."""
    from . import frame, sparse
    if encoding == "frame":
        return frame.write(*sparse.frame_parts(p))
    _json_only(encoding, "scipy.sparse", "sparse")
    return write_json(sparse.envelope(p))


def _write_tensor(rec, encoding):
    """A tensor as a frame, or as JSON text with its nested array in ``encoding``."""
    from . import frame, tensor
    if encoding == "frame":
        return frame.write(*tensor.frame_parts(rec))
    return write_json(tensor.envelope(rec, encoding))


def _write_estimator(rec, encoding):
    """An estimator as a frame (no buffers), or as JSON text (its only other encoding)."""
    from . import estimator, frame
    if encoding == "frame":
        return frame.write(estimator.envelope(rec), [])
    _json_only(encoding, "sklearn.estimator", "sklearn")
    return write_json(estimator.envelope(rec))


def dumps(obj, encoding=None, *, copy_to_host: bool = False):
    """Encode a value as its envelope's JSON text (``str``), or, with
    ``encoding="frame"``, as a binary frame (``bytes``, spec/src/frame.md:
    every marker; for a tensor the nested array is frame-encoded, an
    estimator's frame has no buffers).

    * numpy array: an ``ndarray`` envelope, ``encoding`` ``"arrow"`` (the
      default) or ``"json"``;
    * scipy.sparse csr/csc/coo (``*_array`` or ``*_matrix``): a
      ``scipy.sparse`` envelope (``json`` only);
    * ``torch.Tensor`` or :class:`sciwire_py.Tensor`: a ``torch.tensor``
      envelope whose nested ndarray is in ``encoding`` (``"arrow"``, the
      default, or ``"json"``); a tensor on another device is refused unless
      ``copy_to_host``;
    * :class:`sciwire_py.Estimator` or a live scikit-learn estimator: a
      ``sklearn.estimator`` envelope (``json`` only) of its metadata.

    A value the envelope cannot carry exactly is refused with
    :class:`SciwireError`; nothing is converted, densified or dropped.
    """
    from . import estimator, sparse, tensor
    kind = _kind_of(obj)
    if kind == "ndarray":
        return dumps_ndarray(obj, "arrow" if encoding is None else encoding)
    if kind == "sparse":
        return _write_sparse(sparse.parts_from_scipy(obj), encoding)
    if kind == "tensor":
        rec = obj if isinstance(obj, tensor.Tensor) else tensor.from_torch(obj, copy_to_host=copy_to_host)
        return _write_tensor(rec, "arrow" if encoding is None else encoding)
    rec = obj if isinstance(obj, estimator.Estimator) else estimator.Estimator.from_sklearn(obj)
    return _write_estimator(rec, encoding)


def to_canonical(obj) -> dict:
    """The canonical value ([canonical.*]) of a numpy array, a scipy sparse
    matrix, a torch tensor or :class:`Tensor` record, or an
    :class:`Estimator` record (or live estimator). Refuses, with the
    encoder's codes, what no envelope can carry."""
    from . import estimator, sparse, tensor
    if isinstance(obj, np.ma.MaskedArray):
        return ndarray_to_canonical(obj)
    kind = _kind_of(obj)
    if kind == "ndarray":
        return ndarray_to_canonical(obj)
    if kind == "sparse":
        return sparse.parts_to_canonical(sparse.parts_from_scipy(obj))
    if kind == "tensor":
        return tensor.to_canonical(obj if isinstance(obj, tensor.Tensor) else tensor.from_torch(obj))
    rec = obj if isinstance(obj, estimator.Estimator) else estimator.Estimator.from_sklearn(obj)
    return estimator.to_canonical(rec)


def from_canonical(value: dict):
    """The Python value a canonical value denotes: a numpy array (``ndarray``),
    a scipy ``*_array`` (``sparse``), a :class:`Tensor` record (``tensor``:
    a record, since a torch.Tensor cannot keep sourceDevice; ``.to_torch()``
    converts) or an :class:`Estimator` record (``estimator``)."""
    from . import estimator, sparse, tensor
    kind = value.get("kind") if isinstance(value, dict) else None
    if kind == "ndarray":
        return ndarray_from_canonical(value)
    if kind == "sparse":
        return sparse.from_canonical(value)
    if kind == "tensor":
        return tensor.from_canonical(value)
    if kind == "estimator":
        return estimator.from_canonical(value)
    raise SciwireError("E_FIELD_TYPE", "a canonical value is an object whose kind is ndarray, sparse, tensor or "
                       "estimator", None, "/kind")


def encode_canonical(value: dict, encoding: str):
    """A canonical value's envelope, as the harness's ``encode`` asks: JSON
    text (``str``), or the frame's ``bytes`` when ``encoding`` is ``"frame"``.
    ``encoding`` is the envelope's (for a tensor, the nested ndarray's).
    The value's rules are checked in the decoder's processing order."""
    from . import estimator, sparse, tensor
    kind = value.get("kind") if isinstance(value, dict) else None
    if kind == "sparse":
        return _write_sparse(sparse.parts_from_canonical(value), encoding)
    if kind == "tensor":
        return _write_tensor(tensor.from_canonical(value), encoding)
    if kind == "estimator":
        return _write_estimator(estimator.from_canonical(value), encoding)
    if kind in ("dataframe", "series"):
        from . import table_encode
        return table_encode.encode(value, encoding)
    try:
        arr = from_canonical(value)
    except UnrepresentableError as e:
        return _dumps_empty_unrepresentable(value, encoding, e)
    return dumps_ndarray(arr, encoding)


def _dumps_empty_unrepresentable(value: dict, encoding: str, error: Exception) -> str:
    """A valid empty array whose shape numpy cannot build ([2^40, 2^40, 0]:
    canonical-value.md): its payload is that of any empty array of its dtype,
    so encode an empty 1-d array and write the value's own shape. Anything
    else numpy cannot represent is re-raised."""
    shape = [int(s) for s in value["shape"]]
    d = dtypes.lookup(value["dtype"])
    if encoding == "frame" and 0 in shape and d is not None:
        from . import frame
        return frame.write(ndarray_frame_header(d, shape), [b""])
    if 0 not in shape or d is None or d.numpy() is None:
        raise error
    _check_envelope_size(shape, 0, encoding)
    env = ndarray_envelope(np.empty((0,), dtype=d.numpy()), encoding)
    env["shape"] = shape
    return write_json(env)
