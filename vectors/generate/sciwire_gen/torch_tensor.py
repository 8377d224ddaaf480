"""The `torch.tensor` envelope: its producer, valid, equivalence and encode vectors, and build(S).

Valid vectors come from real torch tensors (CPU only), turned into envelopes by `tensor_env`, a
producer that follows the spec's encode clauses ([torch.encode.members], [torch.encode.refuse]):
tywrap 0.10's `serialize_torch_tensor` is its model, and where the two differ the spec wins (the
device is always written "cpu"; dtypes outside the torch dtype table are refused rather than
handed to `.numpy()`). The nested ndarray envelope is ndarray_producer's `arrow_env`/`json_env`
of `t.numpy()`. Invalid vectors are in torch_tensor_invalid.py. Deterministic: no network, no
clock, no randomness (every tensor is written out or built with arange/ones/zeros).

torch is optional (README.md): OPTIONAL = True, pinned in requirements-torch.txt.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import torch

from .common import MAX_SAFE, Suite, dumps_env, hand, source_maker, uniq, with_, without
from .ndarray import sanity_decode as ndarray_sanity_decode
from .ndarray_producer import arrow_env, canon, json_env

# The envelope module's header, read by common.load_envelopes without importing this module.
MARKER = "torch.tensor"
ID_PREFIX = "torch-"
REQUIRES = ("numpy", "pyarrow", "torch")
OPTIONAL = True

# torch.__version__ carries the wheel's local build tag ("2.15.0+cu132" from PyPI's default wheel,
# "2.15.0+cpu" from the CPU index); the generator runs on CPU only, where the builds agree, and
# the pin (requirements-torch.txt) is torch==2.15.0. Recording the public version keeps the files
# byte-identical whichever build regenerates them.
TORCH_VERSION = torch.__version__.split("+")[0]
LIBRARIES = {"numpy": np.__version__, "pyarrow": pa.__version__, "torch": TORCH_VERSION}
src = source_maker(LIBRARIES)

NS = {"torch": torch, "np": np}


def run(expr: str):
    """Evaluate the expression that builds a tensor, so `source.expr` is exactly what ran."""
    return eval(expr, dict(NS))  # noqa: S307 - expressions are literals in the torch modules


# ----------------------------------------------------------------------------------------------
# The producer: [torch.encode.members], [torch.encode.refuse]
# ----------------------------------------------------------------------------------------------

# [torch.dtype.table]: each torch dtype (as str(t.dtype) spells it) and its nested ndarray dtype.
TORCH_TO_NUMPY = {
    "torch.bool": "bool",
    "torch.uint8": "uint8", "torch.uint16": "uint16", "torch.uint32": "uint32",
    "torch.uint64": "uint64",
    "torch.int8": "int8", "torch.int16": "int16", "torch.int32": "int32", "torch.int64": "int64",
    "torch.float16": "float16", "torch.float32": "float32", "torch.float64": "float64",
}
BFLOAT16 = "torch.bfloat16"


class Refused(Exception):
    """A producer's or encoder's refusal, with the code a decoder would give ([error.codes])."""

    def __init__(self, code: str, why: str):
        super().__init__(f"{code}: {why}")
        self.code = code


def to_host(t, allow_copy=True):
    """What a producer does to a tensor before writing it ([torch.encode.refuse]), in tywrap's
    order: detach; refuse sparse, quantized, meta and complex tensors whatever the user allows;
    copy to the host or make contiguous only when allowed (the generator allows it; there is no
    device but the CPU here); carry bfloat16 as float32 ([torch.source-dtype]); refuse any dtype
    outside the table. Returns (host tensor, t.numpy(), sourceDtype or None, sourceDevice or None).
    """
    t = t.detach()
    if t.layout != torch.strided:
        raise Refused("E_DTYPE_UNSUPPORTED", f"sparse tensor (layout {t.layout})")
    if t.is_quantized:
        raise Refused("E_DTYPE_UNSUPPORTED", "quantized tensor")
    if t.device.type == "meta":
        raise Refused("E_DTYPE_UNSUPPORTED", "meta tensor: no data")
    if t.is_complex():
        raise Refused("E_DTYPE_UNSUPPORTED", f"complex tensor ({t.dtype})")
    source_device = None
    if t.device.type != "cpu":
        if not allow_copy:
            raise Refused("E_DEVICE_UNSUPPORTED", f"tensor on {t.device}, copy not allowed")
        source_device = str(t.device)
        t = t.to("cpu")
    if not t.is_contiguous():
        if not allow_copy:
            raise Refused("E_VALUE_DOMAIN", "non-contiguous tensor, copy not allowed")
        t = t.contiguous()
    source_dtype = None
    if t.dtype == torch.bfloat16:
        source_dtype = str(t.dtype)
        t = t.float()  # exact: every bfloat16 is a float32
    if str(t.dtype) not in TORCH_TO_NUMPY:
        raise Refused("E_DTYPE_UNSUPPORTED", f"dtype {t.dtype} is not in the torch dtype table")
    a = t.numpy()
    assert str(a.dtype) == TORCH_TO_NUMPY[str(t.dtype)] and a.flags.c_contiguous, (t.dtype, a.dtype)
    assert list(a.shape) == list(t.shape)
    return t, a, source_dtype, source_device


def json_refusal(a: np.ndarray):
    """[ndarray.encode.json-refuse] for the dtypes a tensor can have: NaN and infinities, and
    integers beyond +-(2^53-1), are refused with E_VALUE_DOMAIN."""
    if a.size == 0:
        return
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise Refused("E_VALUE_DOMAIN", "NaN or infinity has no json form")
    if a.dtype.kind in "iu" and (int(a.max()) > MAX_SAFE or int(a.min()) < -MAX_SAFE):
        raise Refused("E_VALUE_DOMAIN", "integer beyond 2^53-1 has no exact json form")


def nested_env(a: np.ndarray, encoding: str) -> dict:
    """The version 1 ndarray envelope of the elements, in the nested encoding asked for."""
    if encoding == "arrow":
        return arrow_env(a)
    assert encoding == "json", encoding
    json_refusal(a)
    return json_env(a)


def outer_env(nested: dict, shape, dtype: str, source_dtype=None, source_device=None) -> dict:
    """[torch.encode.members], members in tywrap's order."""
    env = {"__tywrap__": "torch.tensor", "codecVersion": 1, "encoding": "ndarray",
           "value": nested, "shape": list(shape), "dtype": dtype, "device": "cpu"}
    if source_dtype is not None:
        env["sourceDtype"] = source_dtype
    if source_device is not None:
        env["sourceDevice"] = source_device
    return env


def tensor_env(t, encoding: str) -> dict:
    """The envelope a producer writes for tensor t, its elements nested in `encoding`."""
    host, a, source_dtype, source_device = to_host(t)
    return outer_env(nested_env(a, encoding), host.shape, str(host.dtype), source_dtype,
                     source_device)


def tensor_value(t) -> dict:
    """[canonical.tensor]: the canonical value of the envelope tensor_env writes for t."""
    host, a, source_dtype, source_device = to_host(t)
    return make_value(str(host.dtype), canon(a), source_dtype, source_device)


def make_value(dtype, array, source_dtype=None, source_device=None) -> dict:
    v = {"kind": "tensor", "dtype": dtype, "array": array}
    if source_dtype is not None:
        v["sourceDtype"] = source_dtype
    if source_device is not None:
        v["sourceDevice"] = source_device
    return v


def value_array(value: dict) -> np.ndarray:
    """The numpy array of a canonical value's `array` (little-endian on every platform here)."""
    arr = value["array"]
    dt = np.dtype(arr["dtype"]).newbyteorder("<")
    data = bytes.fromhex(arr["hex"])
    count = int(np.prod(arr["shape"], dtype=object)) if arr["shape"] else 1
    if len(data) != count * dt.itemsize:
        raise Refused("E_SHAPE_MISMATCH", "hex length disagrees with dtype and shape")
    return np.frombuffer(data, dtype=dt).reshape(arr["shape"]).astype(arr["dtype"])


def encode_value(value: dict, encoding: str) -> dict:
    """An encoder from a canonical value ([torch.encode.members], [torch.encode.refuse]): used to
    check that every encode vector's verdict is what the spec's encoder gives."""
    dtype = value["dtype"]
    if TORCH_TO_NUMPY.get(dtype) != value["array"]["dtype"]:
        raise Refused("E_DTYPE_MISMATCH", f"{dtype} over nested {value['array']['dtype']}")
    a = value_array(value)
    if "sourceDtype" in value:
        if dtype != "torch.float32":
            raise Refused("E_DTYPE_MISMATCH", f"sourceDtype with {dtype}")
        if (a.view(np.uint32) & 0xFFFF).any():
            raise Refused("E_VALUE_DOMAIN", "element that is not a bfloat16")
    return outer_env(nested_env(a, encoding), a.shape, dtype, value.get("sourceDtype"),
                     value.get("sourceDevice"))


def tensor_of_value(value: dict):
    """The torch tensor a canonical value denotes (bfloat16 when sourceDtype says so)."""
    t = torch.from_numpy(np.array(value_array(value)))
    assert str(t.dtype) == value["dtype"], (t.dtype, value["dtype"])
    if value.get("sourceDtype") == BFLOAT16:
        bits = t.view(torch.int32)
        assert not (bits & 0xFFFF).any(), "not bfloat16 values"
        # the upper 16 bits are the bfloat16 (t.to(torch.bfloat16) would turn every NaN into ffff)
        t = (bits >> 16).to(torch.int16).view(torch.bfloat16)
    return t


def same_tensor(x, y) -> bool:
    """Bitwise equality of two tensors (NaN payloads and the sign of zero included)."""
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    if x.dtype == torch.bool:
        return torch.equal(x, y)
    as_int = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[x.element_size()]
    return torch.equal(x.contiguous().view(as_int), y.contiguous().view(as_int))


# ----------------------------------------------------------------------------------------------
# Sanity decoding of valid vectors (guards the generator, not the spec)
# ----------------------------------------------------------------------------------------------

def sanity_decode(vid, inp, value):
    """Decode a valid vector's input with numpy/pyarrow and the rules of the torch page, and
    compare with the expected canonical value."""
    if "base64" in inp:  # a frame (torch_tensor_frame.py)
        from .torch_tensor_frame import sanity_decode_frame
        return sanity_decode_frame(vid, inp, value)
    if "json" in inp:
        env = inp["json"]
    elif "text" in inp:
        env = json.loads(inp["text"])
    else:
        raise AssertionError(vid)
    assert env["__tywrap__"] == "torch.tensor" and env["encoding"] == "ndarray", vid
    assert env.get("codecVersion", 1) == 1, vid
    v1 = "codecVersion" in env
    for k in env:
        assert k in ("__tywrap__", "codecVersion", "encoding", "value", "shape", "dtype", "device",
                     "sourceDtype", "sourceDevice") or k.startswith("x-"), (vid, k)
    if v1:
        assert all(k in env for k in ("value", "shape", "dtype", "device")), vid
        assert "codecVersion" in env["value"], vid
    assert env["dtype"] == value["dtype"] and env["dtype"] in TORCH_TO_NUMPY, vid
    assert env.get("device", "cpu") == "cpu", vid
    for k in ("sourceDtype", "sourceDevice"):
        assert env.get(k) == value.get(k), (vid, k)
    assert set(value) == {"kind", "dtype", "array"} | ({"sourceDtype", "sourceDevice"} & set(env))
    if "sourceDtype" in env:
        assert env["sourceDtype"] == BFLOAT16 and env["dtype"] == "torch.float32", vid
    if "sourceDevice" in env:
        assert isinstance(env["sourceDevice"], str) and env["sourceDevice"], vid
    nested = env["value"]
    assert nested["__tywrap__"] == "ndarray", vid
    ndarray_sanity_decode(vid, {"json": nested}, value["array"])
    assert value["array"]["dtype"] == TORCH_TO_NUMPY[env["dtype"]], vid
    assert list(env.get("shape", value["array"]["shape"])) == value["array"]["shape"], vid
    tensor_of_value(value)  # bfloat16 claim holds


# ----------------------------------------------------------------------------------------------
# Clause lists
# ----------------------------------------------------------------------------------------------

NESTED_ARROW = ["ndarray.arrow.elements", "ndarray.arrow.type", "ndarray.dtype.table",
                "canonical.ndarray.bytes"]
NESTED_JSON = ["ndarray.json.elements", "ndarray.json.values", "ndarray.json.dtypes",
               "ndarray.dtype.table", "canonical.ndarray.bytes"]
TORCH_BASE = ["torch.dtype.table", "torch.nested", "torch.dtype.agreement",
              "torch.shape.agreement", "torch.elements", "canonical.tensor"]
TORCH_ALL = ["envelope.object", "envelope.marker", "envelope.codec-version", "envelope.encoding",
             "envelope.unknown-fields", "envelope.field-types", "envelope.required-fields",
             "torch.encodings", "torch.required", "torch.dtype.table", "torch.device",
             "torch.shape", "torch.value", "torch.nested-version", "torch.nested",
             "torch.dtype.agreement", "torch.shape.agreement", "torch.elements",
             "torch.encode.members", "canonical.tensor", "canonical.ndarray"]
BF16 = ["torch.source-dtype", "torch.bfloat16"]


def nested_base(encoding):
    return NESTED_ARROW if encoding == "arrow" else NESTED_JSON


# ----------------------------------------------------------------------------------------------
# Valid vectors
# ----------------------------------------------------------------------------------------------

F32_2X3 = "torch.tensor([[1.5, -2.25, 0.0], [3.0, 4.5, -0.5]])"
F32_PAIR = "torch.tensor([1.5, -2.25])"

DTYPES = [
    # (id suffix, expression, description, encodings: a = arrow, j = json)
    ("bool", "torch.tensor([True, False, True])", "bool of three", "aj"),
    ("uint8", "torch.tensor([0, 1, 255], dtype=torch.uint8)", "uint8 0, 1, max", "aj"),
    ("uint16", "torch.tensor([0, 1, 65535], dtype=torch.uint16)", "uint16 0, 1, max", "aj"),
    ("uint32", "torch.tensor([0, 1, 2**32 - 1], dtype=torch.uint32)", "uint32 0, 1, max", "aj"),
    ("uint64-extremes", "torch.tensor([0, 1, 2**64 - 1], dtype=torch.uint64)", "uint64 0, 1, max",
     "a"),
    ("uint64-safe", "torch.tensor([0, 1, 2**53 - 1], dtype=torch.uint64)",
     "uint64 up to 2^53-1", "aj"),
    ("int8", "torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8)", "int8 min, -1, 0, 1, max",
     "aj"),
    ("int16", "torch.tensor([-32768, -1, 0, 1, 32767], dtype=torch.int16)",
     "int16 min, -1, 0, 1, max", "aj"),
    ("int32", "torch.tensor([-2**31, -1, 0, 1, 2**31 - 1], dtype=torch.int32)",
     "int32 min, -1, 0, 1, max", "aj"),
    ("int64-extremes", "torch.tensor([-2**63, -1, 0, 1, 2**63 - 1])", "int64 min, -1, 0, 1, max",
     "a"),
    ("int64-safe", "torch.tensor([-(2**53 - 1), -1, 0, 1, 2**53 - 1])", "int64 at +-(2^53-1)",
     "aj"),
    ("float16", "torch.tensor([1.5, -2.25], dtype=torch.float16)", "float16 1.5, -2.25", "aj"),
    ("float16-extremes",
     "torch.tensor([65504.0, -65504.0, 2.0**-24, 2.0**-14, -0.0, 0.1], dtype=torch.float16)",
     "float16 max, -max, smallest subnormal, smallest normal, -0.0, nearest 0.1", "aj"),
    ("float16-nan-inf", "torch.tensor([float('nan'), float('inf'), -float('inf')], "
     "dtype=torch.float16)", "float16 NaN, +Inf, -Inf", "a"),
    ("float32-2x3", F32_2X3, "float32 2x3", "aj"),
    ("float32-extremes",
     "torch.tensor([torch.finfo(torch.float32).max, -torch.finfo(torch.float32).max, "
     "torch.finfo(torch.float32).tiny, 2.0**-149, -0.0, 0.1])",
     "float32 max, -max, smallest normal, smallest subnormal, -0.0, nearest 0.1", "aj"),
    ("float32-nan-inf", "torch.tensor([float('nan'), float('inf'), -float('inf'), 1.0])",
     "float32 NaN, +Inf, -Inf, 1", "a"),
    ("float64-2x3", "torch.arange(6, dtype=torch.float64).reshape(2, 3)",
     "float64 2x3 from arange", "aj"),
    ("float64-extremes",
     "torch.tensor([torch.finfo(torch.float64).max, -torch.finfo(torch.float64).max, "
     "torch.finfo(torch.float64).tiny, 5e-324, -0.0, 0.1], dtype=torch.float64)",
     "float64 max, -max, smallest normal, smallest subnormal, -0.0, 0.1", "aj"),
    ("float64-nan-inf", "torch.tensor([float('nan'), float('inf'), -float('inf')], "
     "dtype=torch.float64)", "float64 NaN, +Inf, -Inf", "a"),
    # bfloat16, carried as float32 with sourceDtype
    ("bfloat16", "torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16)",
     "bfloat16 1.0, -2.5, 3.140625 carried as float32", "aj"),
    ("bfloat16-tenth", "torch.tensor([0.1], dtype=torch.bfloat16)",
     "bfloat16 nearest 0.1 (0.10009765625)", "aj"),
    ("bfloat16-extremes",
     "torch.tensor([torch.finfo(torch.bfloat16).max, -torch.finfo(torch.bfloat16).max, "
     "torch.finfo(torch.bfloat16).tiny, 2.0**-133, -0.0], dtype=torch.bfloat16)",
     "bfloat16 max, -max, smallest normal, smallest subnormal, -0.0", "aj"),
    ("bfloat16-nan-inf", "torch.tensor([float('nan'), float('inf'), -float('inf')], "
     "dtype=torch.bfloat16)", "bfloat16 NaN, +Inf, -Inf", "a"),
    ("bfloat16-0d", "torch.tensor(1.5, dtype=torch.bfloat16)", "bfloat16 0-d", "aj"),
    ("bfloat16-2x2", "torch.arange(4, dtype=torch.bfloat16).reshape(2, 2) / 8",
     "bfloat16 2x2 eighths", "aj"),
]

SHAPES = [
    ("float32-0d", "torch.tensor(1.5)", "float32 0-d scalar, shape []", "aj"),
    ("int64-0d", "torch.tensor(7)", "int64 0-d scalar", "aj"),
    ("bool-0d", "torch.tensor(True)", "bool 0-d scalar", "aj"),
    ("float32-1", "torch.tensor([1.5])", "float32 one-element vector, shape [1]", "aj"),
    ("float32-pair", F32_PAIR, "float32 1.5, -2.25", "aj"),
    ("float32-empty", "torch.zeros(0)", "float32 empty, shape [0]", "aj"),
    ("int64-2x0", "torch.zeros(2, 0, dtype=torch.int64)", "int64 empty, shape [2, 0]", "aj"),
    ("float32-0x3", "torch.zeros(0, 3)", "float32 empty, shape [0, 3]", "aj"),
    ("int32-3d", "torch.arange(24, dtype=torch.int32).reshape(2, 3, 4)", "int32 3-d 2x3x4", "aj"),
    ("uint8-5d", "torch.arange(6, dtype=torch.uint8).reshape(1, 2, 1, 3, 1)",
     "uint8 5-d with unit dimensions 1x2x1x3x1", "aj"),
    ("int8-64d", "torch.ones((1,) * 64, dtype=torch.int8)",
     "int8 with 64 dimensions of 1, the ndim limit", "aj"),
]

LAYOUTS = [
    # (id suffix, non-contiguous expression, its contiguous copy, description)
    ("float32-transposed", "torch.arange(6, dtype=torch.float32).reshape(2, 3).T",
     "torch.tensor([[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]])", "float32 3x2 transposed view"),
    ("float64-sliced", "torch.arange(12, dtype=torch.float64).reshape(3, 4)[:, ::2]",
     "torch.tensor([[0.0, 2.0], [4.0, 6.0], [8.0, 10.0]], dtype=torch.float64)",
     "float64 3x2 strided slice"),
    ("int64-expanded", "torch.tensor([1, 2]).expand(3, 2)",
     "torch.tensor([[1, 2], [1, 2], [1, 2]])", "int64 3x2 expanded, stride 0"),
    ("float32-channels-last",
     "torch.arange(8, dtype=torch.float32).reshape(1, 2, 2, 2)"
     ".contiguous(memory_format=torch.channels_last)",
     "torch.arange(8, dtype=torch.float32).reshape(1, 2, 2, 2)", "float32 1x2x2x2 channels_last"),
    ("bfloat16-transposed", "(torch.arange(6, dtype=torch.bfloat16).reshape(2, 3) / 4).T",
     "torch.tensor([[0.0, 0.75], [0.25, 1.0], [0.5, 1.25]], dtype=torch.bfloat16)",
     "bfloat16 3x2 transposed view"),
]

GRAD = [
    # (id suffix, expression, description): float32 1.5, -2.25, like F32_PAIR
    ("float32-requires-grad", "torch.tensor([1.5, -2.25], requires_grad=True)",
     "float32 leaf with requires_grad, detached"),
    ("float32-non-leaf", "torch.tensor([0.75, -1.125], requires_grad=True) * 2",
     "float32 non-leaf result of autograd, detached"),
    ("float32-parameter", "torch.nn.Parameter(torch.tensor([1.5, -2.25]))",
     "float32 nn.Parameter, detached"),
]


def add_tensor(S, vid, desc, expr, encoding, clauses=(), tags=None, row=False):
    """A valid vector: the envelope tensor_env writes for run(expr). The expected value is
    checked against the tensor itself: decoding it gives back the same tensor, bit for bit.
    With `row`, it also cites its dtype's row of [torch.dtype.agreement]."""
    t = run(expr)
    value = tensor_value(t)
    assert same_tensor(tensor_of_value(value), t.detach().contiguous()), vid
    cl = list(clauses) + TORCH_BASE + nested_base(encoding)
    if "sourceDtype" in value:
        cl += BF16
    elif row:
        cl += [f"torch.dtype.agreement[{tensor_env(t, encoding)['dtype']}]"]
    S.valid(vid, desc, uniq(cl), {"json": tensor_env(t, encoding)}, value, src(expr), tags)
    return vid


def valid_vectors(S: Suite):
    for suffix, expr, desc, encs in DTYPES:
        for enc in ("arrow", "json"):
            if enc[0] not in encs:
                continue
            extra = TORCH_ALL + ["vector.equivalent"] if suffix == "float32-2x3" else []
            if "nan" in suffix and enc == "arrow":
                extra = ["ndarray.arrow.nulls"]
            add_tensor(S, f"torch-{enc}-{suffix}", f"tensor {enc} {desc}", expr, enc, extra,
                       row=True)
    for suffix, expr, desc, encs in SHAPES:
        for enc in ("arrow", "json"):
            if enc[0] not in encs:
                continue
            cl = ["torch.shape", "ndarray.shape.items", "ndarray.shape.elements"]
            cl += ["ndarray.arrow.length"] if enc == "arrow" else ["ndarray.json.nesting"]
            if "64d" in suffix:
                cl = ["limits.ndim", "limits.conformance-defaults"] + cl
            if "empty" in suffix or "x0" in suffix or "0x" in suffix:
                cl += ["ndarray.arrow.batches"] if enc == "arrow" else []
            add_tensor(S, f"torch-{enc}-{suffix}", f"tensor {enc} {desc}", expr, enc, cl,
                       tags=["boundary"] if "64d" in suffix else None)
    for suffix, view, copy, desc in LAYOUTS:
        assert not run(view).is_contiguous() and run(copy).is_contiguous()
        for enc in ("arrow", "json"):
            cl = ["torch.encode.refuse", "ndarray.encode.c-order", "torch.shape"]
            add_tensor(S, f"torch-{enc}-{suffix}", f"tensor {enc} {desc}, written in C order",
                       view, enc, cl)
            add_tensor(S, f"torch-{enc}-{suffix}-copy", f"tensor {enc} {desc}: its contiguous copy",
                       copy, enc, ["torch.shape"])
    for suffix, expr, desc in GRAD:
        for enc in ("arrow", "json"):
            add_tensor(S, f"torch-{enc}-{suffix}", f"tensor {enc} {desc}", expr, enc,
                       ["torch.encode.members"])
    legacy_vectors(S)
    extension_vectors(S)
    text_vectors(S)
    source_vectors(S)
    equivalence_groups(S)


def legacy_vectors(S: Suite):
    """[torch.legacy-v0]: the v0 forms, with the nested envelope v1 or v0."""
    V0 = ["torch.legacy-v0", "envelope.legacy-v0", "torch.nested-version"]

    def v0(vid, desc, expr, enc, drop_outer, drop_nested, clauses=()):
        t = run(expr)
        env = tensor_env(t, enc)
        env = without(env, "codecVersion", *drop_outer)
        if drop_nested is not None:
            env["value"] = without(env["value"], "codecVersion", *drop_nested)
        parts = ["codecVersion" + "".join(f", {m}" for m in drop_outer) + " removed"]
        if drop_nested is not None:
            parts.append("nested codecVersion" + "".join(f", {m}" for m in drop_nested) +
                         " removed")
        cl = V0 + list(clauses) + (["ndarray.legacy-v0"] if drop_nested is not None else [])
        S.valid(vid, desc, uniq(cl + TORCH_BASE + nested_base(enc)), {"json": env},
                tensor_value(t), src(expr, "; ".join(parts)))
        return vid

    v0("torch-v0-arrow-float32-2x3", "tensor v0 arrow float32 2x3 without shape and device",
       F32_2X3, "arrow", ("shape", "device"), None)
    v0("torch-v0-json-float32-2x3", "tensor v0 json float32 2x3 without shape and device",
       F32_2X3, "json", ("shape", "device"), None)
    v0("torch-v0-arrow-float32-2x3-with-shape",
       "tensor v0 arrow float32 2x3 keeping shape and device",
       F32_2X3, "arrow", (), None, ["torch.shape", "torch.device"])
    v0("torch-v0-arrow-float32-2x3-nested-v0", "tensor v0 arrow float32 2x3 holding a v0 ndarray",
       F32_2X3, "arrow", ("shape", "device"), ())
    v0("torch-v0-json-float32-2x3-nested-v0", "tensor v0 json float32 2x3 holding a v0 ndarray",
       F32_2X3, "json", (), ())
    v0("torch-v0-json-float32-2x3-nested-v0-no-shape",
       "tensor v0 json 2x3: no outer shape, nested v0 shape inferred from data",
       F32_2X3, "json", ("shape", "device"), ("shape",), ["ndarray.json.nesting"])
    v0("torch-v0-arrow-float32-pair-minimal",
       "tensor v0 arrow at its smallest: outer value and dtype, nested b64 only",
       F32_PAIR, "arrow", ("shape", "device"), ("shape", "dtype"),
       ["ndarray.arrow.type", "ndarray.arrow.length"])
    v0("torch-v0-json-float32-pair-minimal",
       "tensor v0 json at its smallest: outer value and dtype, nested data and dtype",
       F32_PAIR, "json", ("shape", "device"), ("shape",), ["ndarray.json.nesting"])
    v0("torch-v0-arrow-bfloat16", "tensor v0 arrow bfloat16 with sourceDtype, no shape or device",
       "torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16)", "arrow", ("shape", "device"),
       None, BF16)
    v0("torch-v0-arrow-bool-0d", "tensor v0 arrow bool 0-d: nested shape [] kept, outer omitted",
       "torch.tensor(True)", "arrow", ("shape", "device"), (), ["ndarray.shape.elements"])


def extension_vectors(S: Suite):
    """[envelope.extension-members], outer and nested."""
    t = run(F32_2X3)
    for enc in ("arrow", "json"):
        env = tensor_env(t, enc)
        env["x-producer"] = {"name": "sciwire-gen", "grad": None, "tags": [1, "a", True]}
        env["value"]["x-note"] = "nested extension member"
        S.valid(f"torch-{enc}-float32-2x3-extension-members",
                f"tensor {enc} float32 2x3 with x- members outside and in the nested envelope",
                uniq(["envelope.extension-members", "envelope.unknown-fields"] + TORCH_BASE +
                     nested_base(enc)),
                {"json": env}, tensor_value(t),
                src(F32_2X3, "x-producer added to the envelope, x-note to the nested one"))


def text_vectors(S: Suite):
    """Spellings of one envelope that only the JSON text shows (codecVersion 1.0 and such)."""
    t = run(F32_2X3)
    plain = dumps_env(tensor_env(t, "json"))
    outer_v = '"__tywrap__": "torch.tensor", "codecVersion": 1,'
    nested_v = '"__tywrap__": "ndarray", "codecVersion": 1,'
    assert plain.count(outer_v) == 1 and plain.count(nested_v) == 1, plain
    assert plain.count('"shape": [2, 3]') == 2
    value = tensor_value(t)
    for vid, desc, text, m, clauses in [
            ("torch-text-codec-version-1-0", "tensor envelope with codecVersion written 1.0",
             plain.replace(outer_v, outer_v.replace(": 1,", ": 1.0,")), "codecVersion written 1.0",
             ["envelope.codec-version", "json.numbers"]),
            ("torch-text-nested-codec-version-1e0",
             "tensor envelope whose nested codecVersion is written 1e0",
             plain.replace(nested_v, nested_v.replace(": 1,", ": 1e0,")),
             "nested codecVersion written 1e0",
             ["torch.nested-version", "envelope.codec-version", "json.numbers"]),
            ("torch-text-shape-spellings", "tensor envelope with outer shape written [2.0, 3e0]",
             plain.replace('"shape": [2, 3], "dtype": "torch',
                           '"shape": [2.0, 3e0], "dtype": "torch'),
             "outer shape written [2.0, 3e0]",
             ["torch.shape", "ndarray.shape.items", "json.numbers"]),
            ("torch-text-key-order", "tensor envelope with its members in reverse order",
             json.dumps(dict(reversed(list(json.loads(plain).items())))),
             "members written in reverse order", ["envelope.object", "json.syntax"]),
            ("torch-text-dtype-escape", "tensor dtype written as torch.float\\u00332",
             plain.replace('"dtype": "torch.float32"', '"dtype": "torch.float\\u00332"'),
             "dtype written with a \\u escape", ["torch.dtype.table", "json.syntax"])]:
        assert text != plain and json.loads(text) == json.loads(plain), vid
        S.valid(vid, desc, uniq(clauses + TORCH_BASE + NESTED_JSON), {"text": text}, value,
                src(F32_2X3, m))


CUDA_WHY = ("no GPU on the generating machine: the envelope a producer writes for the tensor "
            "{expr} on device cuda:0 when its user lets it copy the tensor to the host "
            "(tywrap: TYWRAP_TORCH_ALLOW_COPY=1), which records sourceDevice \"cuda:0\"")


def source_vectors(S: Suite):
    """sourceDevice (hand-written: there is no GPU here), and a float32 tensor that claims
    bfloat16."""
    for suffix, expr in [("float32-pair", F32_PAIR),
                         ("bfloat16", "torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16)")]:
        t = run(expr)
        for enc in ("arrow", "json"):
            env = with_(tensor_env(t, enc), sourceDevice="cuda:0")
            value = with_(tensor_value(t), sourceDevice="cuda:0")
            cl = ["torch.source-device", "canonical.tensor"] + TORCH_BASE + nested_base(enc)
            cl += BF16 if "bfloat16" in suffix else []
            S.valid(f"torch-{enc}-{suffix}-source-device",
                    f"tensor {enc} {suffix.replace('-', ' ')} copied from cuda:0 (sourceDevice)",
                    uniq(cl), {"json": env}, value, hand(CUDA_WHY.format(expr=expr)))
    # a float32 tensor whose elements are all bfloat16 values may say so: the claim is true
    expr = "torch.tensor([1.0, -2.5, 3.140625])"
    t = run(expr)
    for enc in ("arrow", "json"):
        env = with_(tensor_env(t, enc), sourceDtype=BFLOAT16)
        value = with_(tensor_value(t), sourceDtype=BFLOAT16)
        S.valid(f"torch-{enc}-float32-claims-bfloat16",
                f"tensor {enc} float32 whose elements are bfloat16 values, with sourceDtype",
                uniq(BF16 + ["canonical.tensor"] + TORCH_BASE + nested_base(enc)), {"json": env},
                value, src(expr, "sourceDtype torch.bfloat16 added"), tags=["interpretation"])


def equivalence_groups(S: Suite):
    for suffix, expr, desc, encs in DTYPES + SHAPES:
        if encs == "aj":
            S.group(f"eq-torch-{suffix}-encodings", f"tensor {desc} nested in arrow and in json",
                    [f"torch-arrow-{suffix}", f"torch-json-{suffix}"])
    for suffix, view, copy, desc in LAYOUTS:
        S.group(f"eq-torch-{suffix}-layouts", f"tensor {desc} and its contiguous copy",
                [f"torch-{e}-{suffix}{c}" for c in ("", "-copy") for e in ("arrow", "json")])
    S.group("eq-torch-float32-pair-autograd",
            "tensor float32 1.5, -2.25 plain, requiring grad, as a non-leaf and as a Parameter",
            [f"torch-{e}-{s}" for s in ["float32-pair"] + [g[0] for g in GRAD]
             for e in ("arrow", "json")] +
            ["torch-v0-arrow-float32-pair-minimal", "torch-v0-json-float32-pair-minimal"])
    S.group("eq-torch-float32-2x3-forms",
            "tensor float32 2x3 in v1 and v0 forms, nested v1 or v0, with x- members, as text",
            ["torch-arrow-float32-2x3", "torch-json-float32-2x3", "torch-v0-arrow-float32-2x3",
             "torch-v0-json-float32-2x3", "torch-v0-arrow-float32-2x3-with-shape",
             "torch-v0-arrow-float32-2x3-nested-v0", "torch-v0-json-float32-2x3-nested-v0",
             "torch-v0-json-float32-2x3-nested-v0-no-shape",
             "torch-arrow-float32-2x3-extension-members",
             "torch-json-float32-2x3-extension-members",
             "torch-text-codec-version-1-0", "torch-text-nested-codec-version-1e0",
             "torch-text-shape-spellings", "torch-text-key-order", "torch-text-dtype-escape"])
    S.group("eq-torch-bfloat16-claim",
            "tensor bfloat16 1.0, -2.5, 3.140625 and a float32 tensor of them claiming bfloat16",
            ["torch-arrow-bfloat16", "torch-json-bfloat16", "torch-v0-arrow-bfloat16",
             "torch-arrow-float32-claims-bfloat16", "torch-json-float32-claims-bfloat16"])
    S.group("eq-torch-float32-pair-source-device",
            "tensor float32 copied from cuda:0, both encodings",
            ["torch-arrow-float32-pair-source-device", "torch-json-float32-pair-source-device"])
    S.group("eq-torch-bfloat16-source-device",
            "tensor bfloat16 copied from cuda:0, both encodings",
            ["torch-arrow-bfloat16-source-device", "torch-json-bfloat16-source-device"])
    S.group("eq-torch-bool-0d-forms", "tensor bool 0-d in v1 arrow, v1 json and v0 arrow",
            ["torch-arrow-bool-0d", "torch-json-bool-0d", "torch-v0-arrow-bool-0d"])


# ----------------------------------------------------------------------------------------------
# Encode vectors
# ----------------------------------------------------------------------------------------------

ENC = ["torch.encode.members", "canonical.tensor", "ndarray.encode.members", "canonical.ndarray",
       "canonical.ndarray.bytes"]


def encode_vectors(S: Suite):
    """Round trips of every producer-made value in each nested encoding that can carry it, and
    the encoder's refusals ([torch.encode.refuse])."""
    for vid, (kind, vec) in list(S.vectors.items()):
        parts = vid.split("-", 2)
        if kind != "valid" or parts[1] not in ("arrow", "json") or vid.endswith("-copy") or \
                "extension-members" in vid or "claims" in vid or \
                any(vid.endswith(g[0]) for g in GRAD):
            continue
        enc, name = parts[1], parts[2]
        value = vec["expect"]["value"]
        env = encode_value(value, enc)
        sanity_decode(vid, {"json": env}, value)
        extra = ["torch.encode.refuse", "ndarray.encode.json-refuse"] if enc == "json" else \
            ["ndarray.arrow.stream", "ndarray.arrow.batches"]
        if "sourceDtype" in value:
            extra += BF16
        if "sourceDevice" in value:
            extra += ["torch.source-device"]
        what = vec["description"].replace(f"tensor {enc} ", "", 1)
        S.encode(f"torch-encode-{enc}-{name}", f"tensor {enc} encoder round trip: {what}",
                 uniq(ENC + extra), value, enc, {"roundtrip": True}, vec["source"])

    def refuse(vid, desc, clauses, value, enc, code, source):
        try:
            encode_value(value, enc)
        except Refused as e:
            assert e.code == code, (vid, e)
        else:
            raise AssertionError(f"{vid}: the encoder does not refuse")
        S.encode(vid, desc, clauses, value, enc, {"error": code}, source)

    REF = ["torch.encode.refuse", "ndarray.encode.json-refuse"]
    for name, desc, expr in [
            ("float32-nan", "float32 NaN", "torch.tensor([1.0, float('nan')])"),
            ("float32-inf", "float32 +Inf", "torch.tensor([float('inf'), 1.0])"),
            ("float64-minus-inf", "float64 -Inf",
             "torch.tensor([-float('inf')], dtype=torch.float64)"),
            ("float16-nan", "float16 NaN", "torch.tensor([float('nan')], dtype=torch.float16)"),
            ("bfloat16-nan", "bfloat16-sourced NaN",
             "torch.tensor([float('nan'), 1.0], dtype=torch.bfloat16)"),
            ("float32-nan-0d", "float32 0-d NaN", "torch.tensor(float('nan'))"),
            ("int64-2-53", "int64 2^53", "torch.tensor([2**53])"),
            ("int64-minus-2-53", "int64 -2^53", "torch.tensor([-2**53, 0])"),
            ("int64-min", "int64 min", "torch.tensor([-2**63])"),
            ("uint64-max", "uint64 max", "torch.tensor([2**64 - 1], dtype=torch.uint64)")]:
        t = run(expr)
        try:
            tensor_env(t, "json")
        except Refused as e:
            assert e.code == "E_VALUE_DOMAIN"
        else:
            raise AssertionError(name)
        refuse(f"torch-encode-json-refuse-{name}", f"tensor json encoder refuses {desc}", REF,
               tensor_value(t), "json", "E_VALUE_DOMAIN", src(expr))

    f32 = tensor_value(run(F32_PAIR))
    f64_expr = "torch.tensor([1.5, -2.25], dtype=torch.float64)"
    f64 = tensor_value(run(f64_expr))
    u8_expr = "torch.tensor([0, 1, 255], dtype=torch.uint8)"
    u8 = tensor_value(run(u8_expr))
    i8_expr = "torch.tensor([-1, 0, 1], dtype=torch.int8)"
    i8 = tensor_value(run(i8_expr))
    MIS = ["torch.encode.refuse", "torch.dtype.agreement", "canonical.tensor"]
    for enc in ("arrow", "json"):
        for name, desc, value, expr, m in [
                ("int64-over-float32", "dtype torch.int64 over a float32 array",
                 with_(f32, dtype="torch.int64"), F32_PAIR, "dtype torch.float32 -> torch.int64"),
                ("float32-over-float64", "dtype torch.float32 over a float64 array",
                 with_(f64, dtype="torch.float32"), f64_expr,
                 "dtype torch.float64 -> torch.float32"),
                ("bool-over-uint8", "dtype torch.bool over a uint8 array",
                 with_(u8, dtype="torch.bool"), u8_expr, "dtype torch.uint8 -> torch.bool"),
                ("uint8-over-int8", "dtype torch.uint8 over an int8 array",
                 with_(i8, dtype="torch.uint8"), i8_expr, "dtype torch.int8 -> torch.uint8")]:
            refuse(f"torch-encode-{enc}-refuse-{name}", f"tensor {enc} encoder refuses {desc}",
                   MIS, value, enc, "E_DTYPE_MISMATCH", src(expr, "canonical value's " + m))
        refuse(f"torch-encode-{enc}-refuse-source-dtype-float64",
               f"tensor {enc} encoder refuses sourceDtype bfloat16 on a torch.float64 value",
               ["torch.encode.refuse", "torch.source-dtype", "canonical.tensor"],
               with_(f64, sourceDtype=BFLOAT16), enc, "E_DTYPE_MISMATCH",
               src(f64_expr, "sourceDtype torch.bfloat16 added to the canonical value"))
        for name, desc, expr in [
                ("tenth", "float32 0.1, which bfloat16 does not hold", "torch.tensor([1.0, 0.1])"),
                ("low-bit", "float32 1 + 2^-23: only the lowest bit set",
                 "torch.tensor([1.0 + 2.0**-23])"),
                ("nan-payload", "float32 NaN 7fc00001, whose low bits are not zero",
                 "torch.tensor([0x7fc00001], dtype=torch.int32).view(torch.float32)")]:
            if name == "nan-payload" and enc == "json":
                continue  # a json encoder refuses NaN anyway; keep the verdict unambiguous
            refuse(f"torch-encode-{enc}-refuse-bfloat16-{name}",
                   f"tensor {enc} encoder refuses a bfloat16-sourced {desc}",
                   ["torch.encode.refuse", "torch.bfloat16", "canonical.tensor"],
                   with_(tensor_value(run(expr)), sourceDtype=BFLOAT16), enc, "E_VALUE_DOMAIN",
                   src(expr, "sourceDtype torch.bfloat16 added to the canonical value"))
        good = tensor_value(run(F32_2X3))
        for name, desc, hexv in [("short", "one byte short", good["array"]["hex"][:-2]),
                                 ("long", "one byte too long", good["array"]["hex"] + "00")]:
            refuse(f"torch-encode-{enc}-refuse-hex-{name}",
                   f"tensor {enc} encoder given a float32 2x3 array whose hex is {desc}",
                   ["canonical.ndarray.lowercase", "torch.encode.refuse", "canonical.tensor"],
                   with_(good, array=with_(good["array"], hex=hexv)), enc, "E_SHAPE_MISMATCH",
                   src(F32_2X3, "canonical value's array.hex cut or extended"))


# ----------------------------------------------------------------------------------------------

def build(S: Suite):
    """Add every torch.tensor vector to S (encode vectors reuse valid ones: they come last)."""
    from .torch_tensor_invalid import invalid_vectors
    valid_vectors(S)
    invalid_vectors(S)
    encode_vectors(S)
    from .torch_tensor_frame import frame_vectors  # frames: valid, groups, encode, invalid
    frame_vectors(S)
