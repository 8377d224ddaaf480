"""The torch.tensor envelope (spec/src/torch-tensor.md): [torch.*] in
processing order, the canonical value ([canonical.tensor]) and the encoder.

torch is optional. Nothing here imports it except :func:`torch_module`, which
``DecodedTensor.to_python()`` and the producer for ``torch.Tensor`` objects
call; without torch a decoded tensor is a :class:`Tensor` record.

As in decoder.py, each clause is one module-level function called through the
module's globals, in the order the page lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from . import decoder, dtypes, encoder, jsontext
from .errors import SciwireError, UnrepresentableError, pointer
from .limits import DEFAULT_LIMITS, Limits

#: [torch.dtype.table]: torch dtype -> the nested ndarray dtype
TORCH_DTYPES = {
    "torch.bool": "bool",
    "torch.uint8": "uint8", "torch.uint16": "uint16", "torch.uint32": "uint32", "torch.uint64": "uint64",
    "torch.int8": "int8", "torch.int16": "int16", "torch.int32": "int32", "torch.int64": "int64",
    "torch.float16": "float16", "torch.float32": "float32", "torch.float64": "float64",
}
BFLOAT16 = "torch.bfloat16"
#: [torch.required] (version 1) and [torch.legacy-v0], in reporting order
REQUIRED_V1 = ("value", "shape", "dtype", "device")
REQUIRED_V0 = ("value", "dtype")


@dataclass(eq=False)  # numpy arrays inside: compare canonical values instead
class Tensor:
    """A tensor without torch: its torch dtype (``"torch.float32"``), its
    elements as a numpy array of the nested dtype, and the optional
    ``source_dtype`` (``"torch.bfloat16"``: the tensor was bfloat16, carried
    as float32) and ``source_device`` (where it was copied from, e.g.
    ``"cuda:0"``). The device is always the host ("cpu")."""

    dtype: str
    array: np.ndarray
    source_dtype: Optional[str] = None
    source_device: Optional[str] = None

    def to_torch(self):
        """The torch.Tensor (needs torch): bfloat16 again when ``source_dtype``
        says it was (exact: every element is a bfloat16 value)."""
        torch = torch_module()
        if torch is None:
            raise ImportError("torch is not installed")
        return _to_torch(torch, self.array, self.source_dtype)


def torch_module():
    """torch, or None when it cannot be imported (it is optional)."""
    try:
        import torch
    except Exception:  # ImportError, or a broken install (OSError from its libraries)
        return None
    return torch


def _to_torch(torch, arr: np.ndarray, source_dtype: Optional[str]):
    try:
        t = torch.from_numpy(np.array(arr, copy=True, order="C"))
    except (TypeError, RuntimeError) as e:
        raise UnrepresentableError(f"this torch cannot hold a {arr.dtype} tensor: {e}") from None
    if source_dtype == BFLOAT16:
        t = t.to(torch.bfloat16)
    return t


@dataclass(eq=False)  # numpy arrays inside: compare canonical values instead
class DecodedTensor:
    """A decoded torch.tensor envelope: the torch dtype, the nested ndarray
    (a decoder.Decoded) and the optional sourceDtype and sourceDevice."""

    dtype: str
    nested: "decoder.Decoded"
    source_dtype: Optional[str] = None
    source_device: Optional[str] = None

    def canonical(self) -> dict:
        """The canonical value ([canonical.tensor])."""
        c = {"kind": "tensor", "dtype": self.dtype, "array": self.nested.canonical()}
        if self.source_dtype is not None:
            c["sourceDtype"] = self.source_dtype
        if self.source_device is not None:
            c["sourceDevice"] = self.source_device
        return c

    def to_record(self) -> Tensor:
        return Tensor(self.dtype, self.nested.to_numpy(), self.source_dtype, self.source_device)

    def to_python(self):
        """A torch.Tensor when torch can be imported, else a :class:`Tensor`."""
        torch = torch_module()
        if torch is None:
            return self.to_record()
        return _to_torch(torch, self.nested.to_numpy(), self.source_dtype)


# ---------------------------------------------------------------------------
# The page's clauses, in processing order
# ---------------------------------------------------------------------------

def check_required(v, version: int) -> None:
    """[torch.required] (version 1), [torch.legacy-v0] (v0: shape and device
    may be omitted)."""
    if version == 1:
        for name in REQUIRED_V1:
            if name not in v:
                raise SciwireError("E_MISSING_FIELD", f"{name} is required", "torch.required", pointer(name))
    else:
        for name in REQUIRED_V0:
            if name not in v:
                raise SciwireError("E_MISSING_FIELD", f"{name} is required, in the legacy v0 form too",
                                   "torch.legacy-v0", pointer(name))


def check_dtype(v) -> str:
    """[torch.dtype.table]"""
    d = v["dtype"]
    if not isinstance(d, str):
        raise SciwireError("E_FIELD_TYPE", f"dtype is {decoder._kind(d)}, not a string", "torch.dtype.table",
                           "/dtype")
    if d not in TORCH_DTYPES:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"dtype {decoder._show(d)} is not in the torch dtype table",
                           "torch.dtype.table", "/dtype")
    return d


def check_source_dtype(v, dtype: str) -> Optional[str]:
    """[torch.source-dtype]"""
    if "sourceDtype" not in v:
        return None
    s = v["sourceDtype"]
    if not isinstance(s, str):
        raise SciwireError("E_FIELD_TYPE", f"sourceDtype is {decoder._kind(s)}, not a string", "torch.source-dtype",
                           "/sourceDtype")
    if s != BFLOAT16:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"sourceDtype {decoder._show(s)} is not 'torch.bfloat16'",
                           "torch.source-dtype", "/sourceDtype")
    if dtype != "torch.float32":
        raise SciwireError("E_DTYPE_MISMATCH", f"a bfloat16 tensor is carried as torch.float32, not {dtype}",
                           "torch.source-dtype", "/dtype")
    return s


def check_device(v) -> None:
    """[torch.device]; absent (v0 only) means cpu."""
    if "device" not in v:
        return
    d = v["device"]
    if not isinstance(d, str):
        raise SciwireError("E_FIELD_TYPE", f"device is {decoder._kind(d)}, not a string", "torch.device", "/device")
    if d != "cpu":
        raise SciwireError("E_DEVICE_UNSUPPORTED", f"device {decoder._show(d)} is not 'cpu': the elements are in "
                           "host memory", "torch.device", "/device")


def check_source_device(v) -> Optional[str]:
    """[torch.source-device]"""
    if "sourceDevice" not in v:
        return None
    s = v["sourceDevice"]
    if not isinstance(s, str):
        raise SciwireError("E_FIELD_TYPE", f"sourceDevice is {decoder._kind(s)}, not a string",
                           "torch.source-device", "/sourceDevice")
    if not s:
        raise SciwireError("E_VALUE_DOMAIN", "sourceDevice is empty", "torch.source-device", "/sourceDevice")
    return s


def check_shape(v, limits: Limits) -> Optional[Tuple[int, ...]]:
    """[torch.shape]: [ndarray.shape.items], then [limits.ndim]."""
    if "shape" not in v:
        return None
    s = v["shape"]
    if not jsontext.is_array(s):
        raise SciwireError("E_FIELD_TYPE", f"shape is {decoder._kind(s)}, not an array", "torch.shape", "/shape")
    out = []
    for k, item in enumerate(s if isinstance(s, list) else s.items()):
        if not (decoder.is_integer_value(item) and 0 <= item <= decoder.MAX_SAFE_INTEGER):
            raise SciwireError("E_SHAPE_INVALID", f"shape entry {decoder._show(item)} is not an integer in "
                               "[0, 2^53-1]", "torch.shape", pointer("shape", k))
        out.append(int(item))
    if len(out) > limits.max_ndim:
        raise SciwireError("E_LIMIT_EXCEEDED", f"shape has {len(out)} entries, more than max_ndim "
                           f"{limits.max_ndim}", "limits.ndim", "/shape")
    return tuple(out)


def check_value(v) -> dict:
    """[torch.value]: an object whose __tywrap__ is the string "ndarray"."""
    nested = v["value"]
    if not isinstance(nested, dict):
        raise SciwireError("E_FIELD_TYPE", f"value is {decoder._kind(nested)}, not an object", "torch.value",
                           "/value")
    if "__tywrap__" not in nested:
        raise SciwireError("E_NESTED_ENVELOPE", "value is an object without a __tywrap__ marker, not an ndarray "
                           "envelope", "torch.value", "/value")
    m = nested["__tywrap__"]
    if not isinstance(m, str) or m != "ndarray":
        what = f"a {m!r} envelope" if isinstance(m, str) else f"an object whose marker is {decoder._kind(m)}"
        raise SciwireError("E_NESTED_ENVELOPE", f"value is {what}, not an ndarray envelope", "torch.value",
                           "/value/__tywrap__")
    return nested


def check_nested_version(nested: dict, version: int) -> None:
    """[torch.nested-version]: a version 1 envelope nests a version 1 ndarray."""
    if version == 1 and "codecVersion" not in nested:
        raise SciwireError("E_CODEC_VERSION", "a version 1 torch.tensor envelope holds a legacy v0 ndarray "
                           "envelope (no codecVersion)", "torch.nested-version", "/value")


def decode_nested(nested: dict, limits: Limits) -> "decoder.Decoded":
    """[torch.nested]: a complete ndarray envelope, its errors' paths under /value."""
    try:
        return decoder.decode_value(nested, limits)
    except SciwireError as e:
        raise SciwireError(e.code, e.message, e.clause, "/value" + (e.path or "")) from None


def check_dtype_agreement(dtype: str, nested_dtype: str) -> None:
    """[torch.dtype.agreement]"""
    want = TORCH_DTYPES[dtype]
    if nested_dtype != want:
        raise SciwireError("E_DTYPE_MISMATCH", f"{dtype} holds {want}, but the nested array is {nested_dtype}",
                           "torch.dtype.agreement", "/value/dtype")


def check_shape_agreement(shape, nested_shape) -> None:
    """[torch.shape.agreement]: entry for entry ([] is not [1])."""
    if shape is not None and tuple(shape) != tuple(nested_shape):
        raise SciwireError("E_SHAPE_MISMATCH", f"shape {list(shape)} is not the nested array's shape "
                           f"{list(nested_shape)}", "torch.shape.agreement", "/shape")


def check_bfloat16(arr: Optional[np.ndarray]) -> None:
    """[torch.bfloat16]: the low 16 bits of every float32 are zero."""
    if arr is None or arr.size == 0:
        return
    low = arr.reshape(-1).view("<u4") & 0xFFFF
    if low.any():
        k = int(np.argmax(low != 0))
        raise SciwireError("E_VALUE_DOMAIN", f"element {k} is not a bfloat16 value (its low 16 bits are not zero)",
                           "torch.bfloat16", "/value")


def decode_tensor(v, version: int, limits: Limits = DEFAULT_LIMITS) -> DecodedTensor:
    """The torch.tensor page, after the envelope's checks."""
    check_required(v, version)
    dtype = check_dtype(v)
    source_dtype = check_source_dtype(v, dtype)
    check_device(v)
    source_device = check_source_device(v)
    shape = check_shape(v, limits)
    nested = check_value(v)
    check_nested_version(nested, version)
    inner = decode_nested(nested, limits)
    check_dtype_agreement(dtype, inner.dtype.name)
    check_shape_agreement(shape, inner.shape)
    if source_dtype is not None:
        check_bfloat16(inner.array)
    return DecodedTensor(dtype, inner, source_dtype, source_device)


# ---------------------------------------------------------------------------
# Canonical values and the encoder
# ---------------------------------------------------------------------------

def _canon_error(msg, path=None):
    return SciwireError("E_FIELD_TYPE", msg, "canonical.tensor", path)


def from_canonical(value: dict) -> Tensor:
    """The :class:`Tensor` record a canonical tensor value denotes (a record,
    not a torch.Tensor: it keeps sourceDevice, which a torch.Tensor cannot).
    The page's rules are checked when it is encoded or turned into a
    canonical value again."""
    if not isinstance(value, dict) or value.get("kind") != "tensor":
        raise _canon_error("a canonical tensor value is an object with kind 'tensor'")
    extra = set(value) - {"kind", "dtype", "array", "sourceDtype", "sourceDevice"}
    if extra:
        name = sorted(extra)[0]
        raise _canon_error(f"a canonical tensor value has no member {name!r}", pointer(name))
    for name in ("dtype", "array"):
        if name not in value:
            raise _canon_error(f"a canonical tensor value has {name}", pointer(name))
    if not isinstance(value["dtype"], str):
        raise _canon_error("dtype is not a string", "/dtype")
    try:
        arr = encoder.ndarray_from_canonical(value["array"])
    except SciwireError as e:
        raise SciwireError(e.code, e.message, e.clause, "/array" + (e.path or "")) from None
    return Tensor(value["dtype"], arr, value.get("sourceDtype"), value.get("sourceDevice"))


def check_record(t: Tensor, nested=None):
    """The page's rules on a Tensor record, in the decoder's order
    ([torch.encode.refuse]): the dtype table, sourceDtype, sourceDevice, then
    ``nested()`` (the nested ndarray encoder, whose refusals come first), the
    dtype agreement, the bfloat16 values. Returns what ``nested()`` returned."""
    dtype = check_dtype({"dtype": t.dtype})
    if t.source_dtype is not None:
        check_source_dtype({"sourceDtype": t.source_dtype}, dtype)
    if t.source_device is not None:
        check_source_device({"sourceDevice": t.source_device})
    arr = encoder._as_array(t.array)
    out = nested(arr) if nested is not None else None
    encode_dtype_agreement(dtype, dtypes.of_numpy(arr.dtype).name)
    if t.source_dtype is not None:
        try:
            check_bfloat16(np.ascontiguousarray(arr))
        except SciwireError as e:
            raise SciwireError(e.code, e.message, "torch.encode.refuse") from None
    return out


def encode_dtype_agreement(dtype: str, array_dtype: str) -> None:
    """[torch.encode.refuse]: the dtype and the array's dtype agree."""
    want = TORCH_DTYPES[dtype]
    if array_dtype != want:
        raise SciwireError("E_DTYPE_MISMATCH", f"{dtype} holds {want}, not {array_dtype}", "torch.encode.refuse")


def to_canonical(t: Tensor) -> dict:
    check_record(t)
    c = {"kind": "tensor", "dtype": t.dtype, "array": encoder.ndarray_to_canonical(t.array)}
    if t.source_dtype is not None:
        c["sourceDtype"] = t.source_dtype
    if t.source_device is not None:
        c["sourceDevice"] = t.source_device
    return c


def envelope(t: Tensor, encoding: str) -> dict:
    """[torch.encode.members]: ``encoding`` is the nested ndarray's."""
    if encoding not in ("arrow", "json"):
        raise SciwireError("E_ENCODING_UNSUPPORTED", f"the nested encoding {encoding!r} is not 'arrow' or 'json'",
                           "torch.encode.members")
    nested = check_record(t, lambda arr: encoder.ndarray_envelope(arr, encoding))
    env = {"__tywrap__": "torch.tensor", "codecVersion": 1, "encoding": "ndarray", "dtype": t.dtype,
           "shape": list(nested["shape"]), "device": "cpu"}
    if t.source_dtype is not None:
        env["sourceDtype"] = t.source_dtype
    if t.source_device is not None:
        env["sourceDevice"] = t.source_device
    env["value"] = nested
    return env


def frame_parts(t: Tensor):
    """[frame.encode] for a tensor: the header (members in the torch page's
    order: value, shape, dtype, device, then sourceDtype and sourceDevice
    when the value has them; the nested ndarray envelope in the ndarray
    order, its data buffer 0) without ``buffers``, and the one buffer. The
    refusals are [torch.encode.refuse]'s, in the same order as for JSON."""
    parts = check_record(t, lambda arr: encoder.ndarray_frame_parts(arr))
    nested, buf = parts
    env = {"__tywrap__": "torch.tensor", "codecVersion": 1, "encoding": "ndarray", "value": nested,
           "shape": list(nested["shape"]), "dtype": t.dtype, "device": "cpu"}
    if t.source_dtype is not None:
        env["sourceDtype"] = t.source_dtype
    if t.source_device is not None:
        env["sourceDevice"] = t.source_device
    return env, [buf]


def is_torch_tensor(obj) -> bool:
    import sys
    torch = sys.modules.get("torch")  # a torch.Tensor exists only once torch is imported
    return torch is not None and isinstance(obj, torch.Tensor)


def from_torch(t, copy_to_host: bool = False) -> Tensor:
    """A :class:`Tensor` record from a torch.Tensor (the producer).

    Refuses (never converts on its own): sparse and other non-strided
    layouts, quantized, complex, 8-bit float and other dtypes outside the
    table (E_DTYPE_UNSUPPORTED); a tensor on the meta device, or on another
    device unless ``copy_to_host`` (E_DEVICE_UNSUPPORTED). A bfloat16 tensor
    is carried as float32 (exact) with ``source_dtype``; a tensor copied from
    another device records it in ``source_device``.
    """
    import torch
    name = str(t.dtype)
    if t.layout != torch.strided:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"{t.layout} tensors are refused; convert explicitly "
                           "(t.to_dense())", "torch.encode.refuse")
    if name not in TORCH_DTYPES and name != BFLOAT16:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"dtype {name} is not in the torch dtype table",
                           "torch.encode.refuse")
    if getattr(t, "is_quantized", False):  # pragma: no cover - quantized dtypes are outside the table
        raise SciwireError("E_DTYPE_UNSUPPORTED", "quantized tensors are refused", "torch.encode.refuse")
    source_device = None
    if t.device.type != "cpu":
        if t.device.type == "meta" or not copy_to_host:
            raise SciwireError("E_DEVICE_UNSUPPORTED", f"the tensor is on {t.device}; pass copy_to_host=True to "
                               "copy it to host memory", "torch.device")
        source_device = str(t.device)
        t = t.cpu()
    t = t.detach()
    source_dtype = None
    if name == BFLOAT16:
        t = t.to(torch.float32)
        source_dtype, name = BFLOAT16, "torch.float32"
    if t.is_conj():  # pragma: no cover - complex tensors are refused above
        t = t.resolve_conj()
    arr = t.numpy()
    return Tensor(name, arr, source_dtype, source_device)
