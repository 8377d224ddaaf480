"""The decoder: [json.*], [envelope.*], [limits.*] and [ndarray.*] in
processing order. After the envelope's checks, :func:`decode_value` hands the
other markers to their pages: sparse.py, tensor.py and estimator.py.

Each clause is one module-level function, called through the module's
globals, in the order the specification lists the clauses. That makes the
order easy to audit against the book (and lets mutants.py switch single
rules off by monkeypatching without touching this file).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from . import arrow_ipc, dtypes, jsontext
from .dtypes import DType
from .errors import SciwireError, UnrepresentableError, pointer
from .limits import DEFAULT_LIMITS, MAX_SAFE_INTEGER, Limits

#: marker -> the encodings its page lists ([envelope.marker], [envelope.encoding])
MARKERS = {
    "ndarray": ("arrow", "json"),
    "scipy.sparse": ("json",),
    "torch.tensor": ("ndarray",),
    "sklearn.estimator": ("json",),
    "dataframe": ("arrow", "json"),
    "series": ("arrow", "json"),
}
#: marker -> the encodings its page lists in a frame's header ([frame.envelope]):
#: "frame" for the markers with a payload, the unchanged nested "ndarray" of a
#: tensor, and json for an estimator, whose payload is plain JSON.
FRAME_ENCODINGS = {
    "ndarray": ("frame",),
    "scipy.sparse": ("frame",),
    "torch.tensor": ("ndarray",),
    "sklearn.estimator": ("json",),
    "dataframe": ("frame",),
    "series": ("frame",),
}
#: marker -> the prefix of its page's clause ids
PAGE = {"ndarray": "ndarray", "scipy.sparse": "sparse", "torch.tensor": "torch", "sklearn.estimator": "sklearn",
        "dataframe": "dataframe", "series": "series"}
COMMON_MEMBERS = ("__tywrap__", "codecVersion", "encoding")
NDARRAY_MEMBERS = {"arrow": ("dtype", "shape", "b64"), "json": ("dtype", "shape", "data"),
                   "frame": ("dtype", "shape", "data")}
PAYLOAD_MEMBER = {"arrow": "b64", "json": "data", "frame": "data"}
#: marker -> encoding -> the members its page lists ([envelope.unknown-fields])
MEMBERS = {
    "ndarray": NDARRAY_MEMBERS,
    # all eight for the json encoding; [sparse.members] narrows them by format
    "scipy.sparse": {"json": ("format", "shape", "dtype", "data", "indices", "indptr", "row", "col"),
                     "frame": ("format", "shape", "dtype", "data", "indices", "indptr", "row", "col")},
    "torch.tensor": {"ndarray": ("value", "shape", "dtype", "device", "sourceDtype", "sourceDevice")},
    "sklearn.estimator": {"json": ("className", "module", "version", "params")},
    # [dataframe.members], [series.members]
    "dataframe": {"arrow": ("b64",), "json": ("data",), "frame": ("data",)},
    "series": {"arrow": ("b64", "name"), "json": ("data", "name"), "frame": ("data", "name")},
}


@dataclass
class Decoded:
    """A decoded ndarray envelope.

    ``array`` is the numpy array (C-contiguous, little-endian), or None when
    numpy cannot hold a valid, empty value: a ``<U{n}`` dtype wider than numpy
    allows (n > 536870911), or a shape such as ``[2^40, 2^40, 0]`` whose
    entries overflow numpy's size arithmetic although the product is 0.
    """

    dtype: DType
    shape: Tuple[int, ...]
    array: Optional[np.ndarray]

    def canonical(self) -> dict:
        """The canonical value ([canonical.ndarray])."""
        if self.array is None:
            hexstr = ""
        else:
            hexstr = canonical_bytes(self.array).hex()
        return {"kind": "ndarray", "dtype": self.dtype.name, "shape": list(self.shape), "hex": hexstr}

    def to_python(self) -> np.ndarray:
        return self.to_numpy()

    def to_numpy(self) -> np.ndarray:
        if self.array is None:
            raise UnrepresentableError(
                f"the envelope is valid, but numpy cannot represent an empty array of dtype {self.dtype.name} "
                f"and shape {list(self.shape)}; sciwire_py.decode() gives its canonical value")
        return self.array


def shaped(flat: Optional[np.ndarray], dtype: DType, shape) -> Optional[np.ndarray]:
    """``flat`` reshaped, or None for an empty value numpy cannot hold."""
    if flat is not None and flat.size:
        return flat.reshape(shape)
    npd = dtype.numpy()
    if npd is None:
        return None
    try:
        return np.empty(shape, dtype=npd)
    except (ValueError, MemoryError, OverflowError):
        return None


def canonical_bytes(arr: np.ndarray) -> bytes:
    """[canonical.ndarray.bytes]: C order, little-endian."""
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(order="C")


# ---------------------------------------------------------------------------
# JSON text
# ---------------------------------------------------------------------------

def check_input_bytes(nbytes: int, limits: Limits) -> None:
    """[limits.input-bytes]"""
    if nbytes > limits.max_input_bytes:
        raise SciwireError("E_LIMIT_EXCEEDED",
                           f"input of {nbytes} bytes is longer than max_input_bytes {limits.max_input_bytes}",
                           "limits.input-bytes")


def parse_text(data, limits: Limits):
    """[json.utf8], then [json.syntax], [json.depth], [json.duplicate-keys] in
    one pass."""
    text = jsontext.decode_utf8(data)
    return jsontext.parse(text, limits.max_depth)


# ---------------------------------------------------------------------------
# The envelope
# ---------------------------------------------------------------------------

def is_number(v) -> bool:
    """A JSON number, of either kind (jsontext.JsonInt is a float)."""
    return isinstance(v, float)


def is_integer_value(v) -> bool:
    """A JSON number whose value is a whole number (no value -> False)."""
    return isinstance(v, float) and v == v and v not in (float("inf"), float("-inf")) and v.is_integer()


def _kind(v) -> str:
    """The JSON type of a parsed value, for messages."""
    if jsontext.is_array(v):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if v is None:
        return "null"
    return type(v).__name__


def check_object(v) -> None:
    """[envelope.object]"""
    if not isinstance(v, dict):
        kind = _kind(v)
        raise SciwireError("E_NOT_ENVELOPE", f"the JSON value is {kind}, not an envelope object", "envelope.object")
    if "__tywrap__" not in v:
        raise SciwireError("E_NOT_ENVELOPE", "the object has no __tywrap__ member", "envelope.object")


def check_marker(v) -> str:
    """[envelope.marker]"""
    m = v["__tywrap__"]
    if not isinstance(m, str):
        raise SciwireError("E_FIELD_TYPE", "__tywrap__ is not a string", "envelope.marker", "/__tywrap__")
    if m not in MARKERS:
        raise SciwireError("E_UNKNOWN_MARKER", f"marker {m!r} names no envelope of this version",
                           "envelope.marker", "/__tywrap__")
    return m


def check_codec_version(v) -> int:
    """[envelope.codec-version]; returns 1, or 0 for the legacy form."""
    if "codecVersion" not in v:
        return 0
    cv = v["codecVersion"]
    if not (is_number(cv) and cv == 1.0):
        raise SciwireError("E_CODEC_VERSION", f"codecVersion {_show(cv)} is not the number 1",
                           "envelope.codec-version", "/codecVersion")
    return 1


def listed_encodings(marker: str):
    """The encodings the marker's page lists where the envelope is: in JSON
    text, or in a frame's header ([envelope.encoding], [frame.envelope])."""
    from . import frame
    return FRAME_ENCODINGS[marker] if frame.active() is not None else MARKERS[marker]


def check_encoding(v, marker: str) -> str:
    """[envelope.encoding], with the page's list: [ndarray.encodings],
    [sparse.encodings], [torch.encodings], [sklearn.encodings]; "frame" is
    listed only in a frame's header, and there it is the only payload
    encoding ([frame.envelope])"""
    if "encoding" not in v:
        raise SciwireError("E_MISSING_FIELD", "encoding is missing", "envelope.encoding", "/encoding")
    e = v["encoding"]
    if not isinstance(e, str):
        raise SciwireError("E_FIELD_TYPE", "encoding is not a string", "envelope.encoding", "/encoding")
    listed = listed_encodings(marker)
    if e not in listed:
        where = "in a frame's header" if listed is FRAME_ENCODINGS[marker] else "in JSON text"
        raise SciwireError("E_ENCODING_UNSUPPORTED", f"encoding {e!r} is not one of {', '.join(listed)} "
                           f"for {marker} {where}", f"{PAGE[marker]}.encodings", "/encoding")
    return e


def check_frame_codec_version(version: int) -> None:
    """[frame.codec-version]: a frame's header has codecVersion (frames have
    no legacy v0 form), checked at the point of [envelope.codec-version]."""
    from . import frame
    if version == 0 and frame.active() is not None:
        raise SciwireError("E_CODEC_VERSION", "a frame's header has no codecVersion; frames have no legacy v0 form",
                           "frame.codec-version", "/codecVersion")


def check_members(v, marker: str, encoding: str) -> None:
    """[envelope.unknown-fields], [ndarray.members]; extension members
    ([envelope.extension-members]) are ignored. (sklearn's pickle, joblib or
    state are unknown members too: [sklearn.no-code].)"""
    allowed = COMMON_MEMBERS + MEMBERS[marker][encoding]
    for name in v:
        if name in allowed or name.startswith("x-"):
            continue
        other = [e for e, ms in MEMBERS[marker].items() if name in ms and e != encoding]
        page_clause = f"{PAGE[marker]}.members" if marker in ("ndarray", "dataframe", "series") else None
        if other:
            raise SciwireError("E_UNKNOWN_FIELD", f"member {name!r} belongs to the {other[0]} encoding, "
                               f"not {encoding}", page_clause or "ndarray.members", pointer(name))
        raise SciwireError("E_UNKNOWN_FIELD", f"unknown member {name!r}",
                           page_clause if marker in ("dataframe", "series") else "envelope.unknown-fields",
                           pointer(name))


# ---------------------------------------------------------------------------
# ndarray: members, dtype, shape, limits
# ---------------------------------------------------------------------------

def check_required(v, version: int, encoding: str) -> None:
    """[ndarray.required] (version 1) and [ndarray.legacy-v0]"""
    payload = PAYLOAD_MEMBER[encoding]
    if version == 1:
        for name in ("dtype", "shape", payload):
            if name not in v:
                raise SciwireError("E_MISSING_FIELD", f"{name} is required", "ndarray.required", pointer(name))
    else:
        needed = (payload, "dtype") if encoding == "json" else (payload,)
        for name in needed:
            if name not in v:
                raise SciwireError("E_MISSING_FIELD", f"{name} is required, even in the legacy v0 form",
                                   "ndarray.legacy-v0", pointer(name))


def check_dtype(v) -> Optional[DType]:
    """[ndarray.dtype.table]; None when absent (legacy v0 arrow)."""
    if "dtype" not in v:
        return None
    name = v["dtype"]
    if not isinstance(name, str):
        raise SciwireError("E_FIELD_TYPE", "dtype is not a string", "ndarray.dtype.table", "/dtype")
    d = dtypes.lookup(name)
    if d is None:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"dtype {name!r} is not in the dtype table",
                           "ndarray.dtype.table", "/dtype")
    return d


def check_shape(v) -> Optional[Tuple[int, ...]]:
    """[ndarray.shape.items]; None when absent (legacy v0)."""
    if "shape" not in v:
        return None
    s = v["shape"]
    if not jsontext.is_array(s):
        raise SciwireError("E_FIELD_TYPE", "shape is not an array", "ndarray.shape.items", "/shape")
    out = []
    for k, item in enumerate(s):
        if not (is_integer_value(item) and 0 <= item <= MAX_SAFE_INTEGER):
            raise SciwireError("E_SHAPE_INVALID", f"shape entry {_show(item)} is not an integer in [0, 2^53-1]",
                               "ndarray.shape.items", pointer("shape", k))
        out.append(int(item))
    return tuple(out)


def check_ndim(shape, limits: Limits) -> None:
    """[limits.ndim]"""
    if len(shape) > limits.max_ndim:
        raise SciwireError("E_LIMIT_EXCEEDED", f"shape has {len(shape)} entries, more than max_ndim "
                           f"{limits.max_ndim}", "limits.ndim", "/shape")


def element_count(shape, limits: Limits) -> int:
    """[ndarray.shape.elements] with [limits.elements]: stop as soon as a
    partial product passes the limit (a zero entry makes the product 0)."""
    if 0 in shape:
        return 0
    p = 1
    for d in shape:
        p *= d
        if p > limits.max_elements:
            raise SciwireError("E_LIMIT_EXCEEDED", f"shape {list(shape)} has more than max_elements "
                               f"{limits.max_elements} elements", "limits.elements", "/shape")
    return p


def check_decoded_bytes(count: int, dtype: DType, limits: Limits) -> None:
    """[limits.decoded-bytes] on elements x item size"""
    if count * dtype.itemsize > limits.max_decoded_bytes:
        raise SciwireError("E_LIMIT_EXCEEDED", f"{count} elements of {dtype.name} are {count * dtype.itemsize} "
                           f"bytes, more than max_decoded_bytes {limits.max_decoded_bytes}",
                           "limits.decoded-bytes")


def check_shape_limits(shape, dtype: Optional[DType], limits: Limits) -> int:
    """The limits checked on a shape, in order: ndim, elements, decoded bytes
    (the last only when the dtype is known)."""
    check_ndim(shape, limits)
    count = element_count(shape, limits)
    if dtype is not None:
        check_decoded_bytes(count, dtype, limits)
    return count


# ---------------------------------------------------------------------------
# The json encoding
# ---------------------------------------------------------------------------

def check_json_dtype(dtype: DType) -> None:
    """[ndarray.json.dtypes]"""
    if not dtype.json_ok:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"dtype {dtype.name} has no json form; use the arrow encoding",
                           "ndarray.json.dtypes", "/dtype")


def infer_json_shape(data) -> Tuple[int, ...]:
    """Legacy v0 without shape ([ndarray.json.nesting]): follow first items."""
    shape = []
    v = data
    while jsontext.is_array(v):
        shape.append(len(v))
        if not v:
            break
        v = v[0]
    return tuple(shape)


def _nesting_error(msg):
    return SciwireError("E_SHAPE_MISMATCH", msg, "ndarray.json.nesting", "/data")


def json_leaves(data, shape):
    """[ndarray.json.nesting]: the whole structure, before any value.

    Returns the leaves in document order (C order): a list, or a float64
    numpy array when every innermost array held numbers only."""
    if not shape:
        if jsontext.is_array(data):
            raise _nesting_error("an array where the one leaf of a 0-d array belongs")
        return [data]
    level = [data]
    last = len(shape) - 1
    for depth, d in enumerate(shape):
        nxt = []
        for item in level:
            if not jsontext.is_array(item):
                raise _nesting_error(f"a leaf where an array of {d} belongs (dimension {depth})")
            if len(item) != d:
                raise _nesting_error(f"an array of {len(item)} items where {d} belong (dimension {depth})")
            if depth < last:
                if isinstance(item, jsontext.NumberArray):
                    raise _nesting_error(f"numbers where arrays belong (dimension {depth + 1})")
                nxt.extend(item)
            else:
                nxt.append(item)
        level = nxt
    # level: the innermost arrays, in document order
    chunks = []
    for item in level:
        if isinstance(item, jsontext.NumberArray):
            chunks.append(item.to_numpy())
        else:
            for x in item:
                if jsontext.is_array(x):
                    raise _nesting_error("an array where a leaf belongs")
            chunks.append(item)
    if all(isinstance(c, np.ndarray) for c in chunks):
        return np.concatenate(chunks) if chunks else np.empty((0,), dtype=np.float64)
    out = []
    for c in chunks:
        out.extend(c.tolist() if isinstance(c, np.ndarray) else c)
    return out


def _domain(msg):
    return SciwireError("E_VALUE_DOMAIN", msg, "ndarray.json.values", "/data")


def json_int_range(dtype: DType):
    """The dtype's range intersected with [-(2^53-1), 2^53-1]."""
    lo, hi = dtype.int_range()
    return max(lo, -MAX_SAFE_INTEGER), min(hi, MAX_SAFE_INTEGER)


def json_values(leaves, dtype: DType) -> np.ndarray:
    """[ndarray.json.values] and [ndarray.json.elements]: a flat array."""
    kind = dtype.kind
    numbers = isinstance(leaves, np.ndarray)  # parsed from number-only arrays
    if kind == "bool":
        if numbers:
            if leaves.size:
                raise _domain(f"{_show(float(leaves[0]))} is not true or false")
            return np.empty((0,), dtype=np.bool_)
        for x in leaves:
            if x is not True and x is not False:
                raise _domain(f"{_show(x)} is not true or false")
        return np.array(leaves, dtype=np.bool_)
    if not numbers:
        for x in leaves:
            if not isinstance(x, float):
                raise _domain(f"{_show(x)} is not a number")
    a = leaves if numbers else np.array(leaves, dtype=np.float64)
    if a.size and not np.isfinite(a).all():
        raise _domain("a number has no value (its magnitude rounds beyond binary64)")
    if kind in ("int", "uint"):
        lo, hi = json_int_range(dtype)
        if a.size:
            if not (np.trunc(a) == a).all():
                raise _domain(f"a value is not an integer, as {dtype.name} needs")
            if a.min() < lo or a.max() > hi:
                raise _domain(f"a value is outside [{lo}, {hi}], the range json carries for {dtype.name}")
        return a.astype(np.int64).astype(dtype.numpy())
    if dtype.name == "float64":
        return a
    return json_float_exact(a, dtype)


def json_float_exact(a: np.ndarray, dtype: DType) -> np.ndarray:
    """float32/float16 leaves must convert exactly: not rounded, not overflowing."""
    with np.errstate(over="ignore", invalid="ignore"):
        b = a.astype(dtype.numpy())
    if a.size and not (b.astype(np.float64) == a).all():
        raise _domain(f"a value does not convert to {dtype.name} exactly")
    return b


def decode_json(v, version, dtype: DType, shape, limits: Limits) -> Decoded:
    check_json_dtype(dtype)
    data = v["data"]
    if shape is None:
        shape = infer_json_shape(data)
        check_shape_limits(shape, dtype, limits)
    leaves = json_leaves(data, shape)
    flat = json_values(leaves, dtype)
    return Decoded(dtype, tuple(shape), shaped(flat, dtype, shape))


# ---------------------------------------------------------------------------
# The arrow encoding
# ---------------------------------------------------------------------------

def check_b64_type(v) -> str:
    """[ndarray.arrow.base64]: the member's type"""
    s = v["b64"]
    if not isinstance(s, str):
        raise SciwireError("E_FIELD_TYPE", "b64 is not a string", "ndarray.arrow.base64", "/b64")
    return s


def b64_claimed_length(s: str) -> int:
    pad = 0
    if s.endswith("=="):
        pad = 2
    elif s.endswith("="):
        pad = 1
    return (3 * len(s)) // 4 - pad


def check_b64_length(s: str, limits: Limits) -> None:
    """[limits.decoded-bytes] on the length the base64 text claims, before decoding."""
    n = b64_claimed_length(s)
    if n > limits.max_decoded_bytes:
        raise SciwireError("E_LIMIT_EXCEEDED", f"b64 claims {n} bytes, more than max_decoded_bytes "
                           f"{limits.max_decoded_bytes}", "limits.decoded-bytes", "/b64")


_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Symbols whose unused low bits are zero: before "==" (4 unused bits) and
# before "=" (2 unused bits).
_B64_LAST_BEFORE_2 = frozenset(b"AQgw")
_B64_LAST_BEFORE_1 = frozenset(b"AEIMQUYcgkosw048")


def check_b64_canonical(s: str) -> None:
    """[ndarray.arrow.base64]: canonical padded standard base64: only the
    standard alphabet, a length that is a multiple of 4, '=' only as the last
    one or two characters, unused bits of the last symbol zero."""
    def bad(why):
        raise SciwireError("E_BASE64", f"b64 is not canonical padded standard base64: {why}",
                           "ndarray.arrow.base64", "/b64")
    if not s.isascii():
        bad("a character outside the base64 alphabet")
    if len(s) % 4:
        bad(f"its length {len(s)} is not a multiple of 4")
    b = s.encode("ascii")
    pad = 2 if b.endswith(b"==") else 1 if b.endswith(b"=") else 0
    body = b[:len(b) - pad]
    if body.translate(None, _B64_ALPHABET):
        bad("whitespace, '=' inside the text, or a character outside the standard alphabet")
    if pad == 2 and body[-1] not in _B64_LAST_BEFORE_2:
        bad("the unused bits before '==' are not zero")
    if pad == 1 and body[-1] not in _B64_LAST_BEFORE_1:
        bad("the unused bits before '=' are not zero")


def b64_decode(s: str) -> bytes:
    return binascii.a2b_base64(s.encode("ascii"), strict_mode=True)


def _payload_error(e):
    return SciwireError("E_ARROW_PAYLOAD", f"not one well-formed Arrow IPC stream: {e}", "ndarray.arrow.stream",
                        "/b64")


def read_arrow_stream(payload: bytes) -> arrow_ipc.Stream:
    """[ndarray.arrow.stream]"""
    try:
        return arrow_ipc.read_stream(payload)
    except arrow_ipc.ArrowPayloadError as e:
        raise _payload_error(e) from None


def check_batches(stream: arrow_ipc.Stream) -> None:
    """[ndarray.arrow.batches]"""
    if len(stream.batches) > 1:
        raise SciwireError("E_ARROW_PAYLOAD", f"the stream holds {len(stream.batches)} record batches; at most one "
                           "is allowed", "ndarray.arrow.batches", "/b64")


def check_schema(stream: arrow_ipc.Stream) -> arrow_ipc.ArrowField:
    """[ndarray.arrow.schema]"""
    fields = stream.schema.fields
    if len(fields) != 1:
        raise SciwireError("E_ARROW_SCHEMA", f"the schema has {len(fields)} fields, not exactly one",
                           "ndarray.arrow.schema", "/b64")
    f = fields[0]
    if f.name != "value":
        raise SciwireError("E_ARROW_SCHEMA", f"the field is named {f.name!r}, not 'value'", "ndarray.arrow.schema",
                           "/b64")
    if f.dictionary is not None:
        raise SciwireError("E_ARROW_SCHEMA", "the field is dictionary-encoded", "ndarray.arrow.schema", "/b64")
    return f


def check_type(f: arrow_ipc.ArrowField, dtype: Optional[DType]) -> DType:
    """[ndarray.arrow.type]; in legacy v0 without dtype, recover it
    ([ndarray.legacy-v0])."""
    actual = f.type_tuple()
    if dtype is None:
        d = dtypes.from_arrow(actual)
        if d is None:
            raise SciwireError("E_MISSING_FIELD", f"dtype is absent and the Arrow type {f.describe()} gives none",
                               "ndarray.legacy-v0", "/dtype")
        return d
    if actual != dtype.arrow:
        raise SciwireError("E_DTYPE_MISMATCH", f"the Arrow column is {f.describe()}, dtype {dtype.name} needs "
                           f"{' '.join(str(x) for x in dtype.arrow if x is not None)}", "ndarray.arrow.type")
    return dtype


def check_contents(stream: arrow_ipc.Stream) -> None:
    """[ndarray.arrow.stream] item 4, once the type is known."""
    try:
        arrow_ipc.validate_contents(stream)
    except arrow_ipc.ArrowPayloadError as e:
        raise _payload_error(e) from None


def column_length(stream: arrow_ipc.Stream) -> int:
    return stream.batches[0].nodes[0][0] if stream.batches else 0


def check_length(length: int, count: int, shape) -> None:
    """[ndarray.arrow.length]"""
    if length != count:
        raise SciwireError("E_SHAPE_MISMATCH", f"the arrow column has {length} rows but shape {list(shape)} has "
                           f"{count} elements", "ndarray.arrow.length")


def check_nulls(stream: arrow_ipc.Stream) -> None:
    """[ndarray.arrow.nulls] (null_count agrees with the bitmap: checked with the stream)"""
    if stream.batches and stream.batches[0].nodes[0][1] > 0:
        raise SciwireError("E_ARROW_NULLS", f"the column has {stream.batches[0].nodes[0][1]} nulls",
                           "ndarray.arrow.nulls")


def _buffer(rb, k):
    off, ln = rb.buffers[k]
    return rb.body[off:off + ln]


def arrow_strings(rb, dtype: DType, length: int) -> list:
    """The Utf8/Binary elements as str/bytes ([ndarray.arrow.strings] checks)."""
    if length == 0:
        return []
    offs = np.frombuffer(_buffer(rb, 1), dtype="<i4", count=length + 1).tolist()
    data = _buffer(rb, 2)
    out = []
    n = dtype.width
    is_str = dtype.kind == "str"
    for k in range(length):
        raw = bytes(data[offs[k]:offs[k + 1]])
        if is_str:
            s = raw.decode("utf-8")
            if len(s) > n:
                raise SciwireError("E_VALUE_DOMAIN", f"element {k} has {len(s)} code points, more than {n}",
                                   "ndarray.arrow.strings")
            if s.endswith("\x00"):
                raise SciwireError("E_VALUE_DOMAIN", f"element {k} ends with U+0000, which numpy would strip",
                                   "ndarray.arrow.strings")
            out.append(s)
        else:
            if len(raw) > n:
                raise SciwireError("E_VALUE_DOMAIN", f"element {k} has {len(raw)} bytes, more than {n}",
                                   "ndarray.arrow.strings")
            if raw.endswith(b"\x00"):
                raise SciwireError("E_VALUE_DOMAIN", f"element {k} ends with a zero byte, which numpy would strip",
                                   "ndarray.arrow.strings")
            out.append(raw)
    return out


def arrow_elements(stream: arrow_ipc.Stream, dtype: DType, length: int, strings) -> Optional[np.ndarray]:
    """[ndarray.arrow.elements]: the flat array, or None if numpy cannot hold
    the dtype and there is nothing to hold."""
    npd = dtype.numpy()
    if npd is None:
        if length == 0:
            return None
        raise UnrepresentableError(f"numpy cannot represent dtype {dtype.name}")
    if length == 0:
        return np.empty((0,), dtype=npd)
    rb = stream.batches[0]
    if dtype.kind in ("str", "bytes"):
        return np.array(strings, dtype=npd)
    values = _buffer(rb, 1)
    if dtype.kind == "bool":
        bits = np.unpackbits(np.frombuffer(values, dtype=np.uint8, count=(length + 7) // 8), bitorder="little",
                             count=length)
        return bits.astype(np.bool_)
    if dtype.kind == "date":
        return np.frombuffer(values, dtype="<i4", count=length).astype("<i8").view(npd)
    return np.frombuffer(values, dtype=npd, count=length).copy()


def decode_arrow(v, version, dtype: Optional[DType], shape, limits: Limits) -> Decoded:
    s = check_b64_type(v)
    check_b64_length(s, limits)
    check_b64_canonical(s)
    payload = b64_decode(s)
    stream = read_arrow_stream(payload)
    check_batches(stream)
    f = check_schema(stream)
    had_dtype = dtype is not None
    dtype = check_type(f, dtype)
    check_contents(stream)
    length = column_length(stream)
    if shape is None:
        shape = (length,)
        count = check_shape_limits(shape, dtype, limits)
    else:
        count = element_count(shape, limits)
        if not had_dtype:
            check_decoded_bytes(count, dtype, limits)
    check_length(length, count, shape)
    check_nulls(stream)
    strings = None
    if dtype.kind in ("str", "bytes") and length:
        strings = arrow_strings(stream.batches[0], dtype, length)
    flat = arrow_elements(stream, dtype, length, strings)
    return Decoded(dtype, tuple(shape), shaped(flat, dtype, shape))


# ---------------------------------------------------------------------------
# The whole decoder
# ---------------------------------------------------------------------------

def decode(data, limits: Limits = DEFAULT_LIMITS):
    """Decode one envelope (bytes or str): see :func:`decode_value`. Bytes
    whose first byte is c1 are a frame ([frame.detect]), read over the
    input's memory without a copy; anything else is JSON text."""
    if isinstance(data, str):
        # every character is at least one UTF-8 byte: a cheap first bound
        check_input_bytes(len(data), limits)
        try:
            nbytes = len(data.encode("utf-8"))
        except UnicodeEncodeError as e:
            raise SciwireError("E_JSON_SYNTAX", f"text holds a surrogate code point at {e.start}", "json.utf8")
        check_input_bytes(nbytes, limits)
        src = data
    elif isinstance(data, (bytes, bytearray, memoryview)):
        check_input_bytes(len(data) if not isinstance(data, memoryview) else data.nbytes, limits)
        from . import frame
        if frame.is_frame(data):
            return frame.decode_frame(data, limits)
        src = bytes(data)
    else:
        raise TypeError(f"decode() takes bytes or str, not {type(data).__name__}")
    value = parse_text(src, limits)
    return decode_value(value, limits)


def decode_value(v, limits: Limits = DEFAULT_LIMITS):
    """The envelope checks and the marker's page, on an already parsed JSON
    value: a :class:`Decoded` for ndarray, and the decoded records of
    sparse.py, tensor.py and estimator.py for the other markers."""
    check_object(v)
    marker = check_marker(v)
    version = check_codec_version(v)
    check_frame_codec_version(version)
    encoding = check_encoding(v, marker)
    check_members(v, marker, encoding)
    if marker == "ndarray":
        return decode_ndarray(v, version, encoding, limits)
    if marker == "scipy.sparse":
        from . import sparse
        return sparse.decode_sparse(v, version, limits)
    if marker == "torch.tensor":
        from . import tensor
        return tensor.decode_tensor(v, version, limits)
    if marker == "dataframe":
        from . import table
        return table.decode_dataframe(v, version, encoding, limits)
    if marker == "series":
        from . import table
        return table.decode_series(v, version, encoding, limits)
    from . import estimator
    return estimator.decode_estimator(v, version, limits)


def decode_ndarray(v, version: int, encoding: str, limits: Limits) -> Decoded:
    """The ndarray page, after the envelope's checks."""
    check_required(v, version, encoding)
    dtype = check_dtype(v)
    shape = check_shape(v)
    if shape is not None:
        check_shape_limits(shape, dtype, limits)
    if encoding == "json":
        return decode_json(v, version, dtype, shape, limits)
    if encoding == "frame":
        return decode_frame_payload(v, dtype, shape, limits)
    return decode_arrow(v, version, dtype, shape, limits)


def decode_frame_payload(v, dtype: DType, shape, limits: Limits) -> Decoded:
    """The frame encoding ([ndarray.encodings] lists it only in a frame's
    header): after the shape and its limits, [frame.references],
    [frame.lengths], [frame.values]. The elements are the buffer's bytes,
    viewed in place when they can be ([frame.view])."""
    from . import frame
    count = element_count(shape, limits)
    flat = frame.ndarray_payload(v, dtype, shape, count)
    return Decoded(dtype, tuple(shape), shaped(flat, dtype, shape))


def _show(v) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return "a number without a value"
        return repr(int(v)) if v.is_integer() and abs(v) < 2**63 else repr(v)
    if isinstance(v, str):
        return repr(v) if len(v) < 40 else repr(v[:37] + "...")
    if jsontext.is_array(v):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return repr(v)
