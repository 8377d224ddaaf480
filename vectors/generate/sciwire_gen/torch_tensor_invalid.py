"""Invalid torch.tensor vectors: each breaks one rule of the torch page (or of the envelope, or of
the nested ndarray envelope), and is derived from the output of torch_tensor.tensor_env for a
real tensor by one mutation (`source.mutation`), or hand-written where no producer output
leads to it (`source.handWritten`). Vectors tagged processing-order break two rules on purpose
and expect the code of the one that comes first.

schemaValid is set by reasoning over schemas/v1/torch-tensor.schema.json (and
ndarray.schema.json for the nested envelope): the schema checks member names and types, the
torch dtype enum, device "cpu", sourceDtype (and dtype torch.float32 with it), sourceDevice
non-empty, shape entries and at most 64 of them, that value is an ndarray envelope (in full),
and that a version 1 envelope's nested envelope has codecVersion. It cannot check agreement
between the outer members and the nested array (dtype, shape), bfloat16 bits, anything that
needs the nested payload decoded, or the limits on element counts.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from .common import HOSTILE_BUDGET, J, MAX_SAFE, Suite, T, b64, dumps_env, hand, with_, without
from .ndarray_producer import column_stream, producer_payload
from .torch_tensor import BFLOAT16, F32_2X3, run, src, tensor_env

PO = ["processing-order"]
BF16_EXPR = "torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16)"
F64_EXPR = "torch.tensor([1.5, -2.25], dtype=torch.float64)"
ONE_EXPR = "torch.tensor([1.5])"
SCALAR_EXPR = "torch.tensor(1.5)"


def nested(env: dict, **kv) -> dict:
    """env with members of its nested envelope replaced."""
    return with_(env, value=with_(env["value"], **kv))


def nested_without(env: dict, *keys) -> dict:
    return with_(env, value=without(env["value"], *keys))


def invalid_vectors(S: Suite):
    text_level(S)
    envelope_level(S)
    required_members(S)
    dtype_members(S)
    device_members(S)
    shape_member(S)
    value_member(S)
    nested_version(S)
    nested_faults(S)
    agreement(S)
    bfloat16_bits(S)


def text_level(S: Suite):
    """A few JSON-level faults inside a torch envelope: the text rules come before all others.
    Each is the producer's JSON text (json.dumps, as tywrap writes it) with one edit."""
    plain = dumps_env(tensor_env(run(F32_2X3), "json"))
    assert plain.endswith('"device": "cpu"}')
    nested_tail = '"shape": [2, 3], "dtype": "float32"}'
    assert plain.count(nested_tail) == 1 and plain.count("[[1.5, -2.25") == 1
    for vid, desc, clauses, text, code, m in [
            ("duplicate-dtype", "tensor envelope with member dtype twice", ["json.duplicate-keys"],
             plain[:-1] + ', "dtype": "torch.float64"}', "E_JSON_DUPLICATE_KEY",
             'text: "dtype": "torch.float64" appended to the envelope'),
            ("duplicate-in-nested", "tensor envelope whose nested shape is twice",
             ["json.duplicate-keys", "torch.nested"],
             plain.replace(nested_tail, nested_tail[:-1] + ', "shape": [6]}'),
             "E_JSON_DUPLICATE_KEY", 'text: "shape": [6] appended to the nested envelope'),
            ("nested-nan-literal", "tensor whose nested json data holds NaN",
             ["json.syntax", "torch.nested", "ndarray.json.values"],
             plain.replace("[[1.5, -2.25", "[[NaN, -2.25"), "E_JSON_SYNTAX",
             "text: nested data 1.5 -> NaN")]:
        S.invalid(f"torch-invalid-json-{vid}", desc, clauses, T(text), code, src(F32_2X3, m))


def envelope_level(S: Suite):
    """[envelope.*] and [torch.encodings] on a torch envelope."""
    t = run(F32_2X3)
    A, Jn = tensor_env(t, "arrow"), tensor_env(t, "json")
    mut = lambda m: src(F32_2X3, m)  # noqa: E731

    for vid, desc, env, m, sv in [
            ("encoding-json", "tensor encoding json, the nested encoding, in the outer envelope",
             with_(Jn, encoding="json"), "encoding ndarray -> json", False),
            ("encoding-arrow", "tensor encoding arrow in the outer envelope",
             with_(A, encoding="arrow"), "encoding ndarray -> arrow", False),
            ("encoding-upper", "tensor encoding NDARRAY", with_(A, encoding="NDARRAY"),
             "encoding ndarray -> NDARRAY", False),
            ("encoding-tensor", "tensor encoding torch", with_(A, encoding="torch"),
             "encoding ndarray -> torch", False)]:
        S.invalid(f"torch-invalid-{vid}", desc, ["torch.encodings", "envelope.encoding"], J(env),
                  "E_ENCODING_UNSUPPORTED", mut(m), schema_valid=sv)
    S.invalid("torch-invalid-encoding-missing", "tensor envelope without encoding",
              ["envelope.encoding", "envelope.required-fields"], J(without(A, "encoding")),
              "E_MISSING_FIELD", mut("encoding removed"), schema_valid=False)
    S.invalid("torch-invalid-encoding-number", "tensor encoding 5",
              ["envelope.encoding", "envelope.field-types"], J(with_(A, encoding=5)),
              "E_FIELD_TYPE", mut("encoding ndarray -> 5"), schema_valid=False)
    S.invalid("torch-invalid-codec-version-2", "tensor codecVersion 2", ["envelope.codec-version"],
              J(with_(A, codecVersion=2)), "E_CODEC_VERSION", mut("codecVersion 1 -> 2"),
              schema_valid=False)
    S.invalid("torch-invalid-codec-version-string", "tensor codecVersion \"1\"",
              ["envelope.codec-version"], J(with_(A, codecVersion="1")), "E_CODEC_VERSION",
              mut("codecVersion 1 -> \"1\""), schema_valid=False)
    for vid, desc, marker in [("marker-capital", "tensor marker torch.Tensor", "torch.Tensor"),
                              ("marker-tensor", "tensor marker tensor", "tensor")]:
        S.invalid(f"torch-invalid-{vid}", desc, ["envelope.marker"], J(with_(A, __tywrap__=marker)),
                  "E_UNKNOWN_MARKER", mut(f"__tywrap__ torch.tensor -> {marker}"),
                  schema_valid=False)

    for vid, desc, env, m in [
            ("requires-grad", "tensor with member requires_grad", with_(A, requires_grad=True),
             "member requires_grad: true added"),
            ("layout", "tensor with member layout", with_(A, layout="torch.strided"),
             "member layout added"),
            ("stride", "tensor with member stride", with_(A, stride=[3, 1]), "member stride added"),
            ("data", "tensor with the nested data also at the outer level",
             with_(Jn, data=Jn["value"]["data"]), "nested data copied to the outer envelope"),
            ("b64", "tensor with the nested b64 also at the outer level",
             with_(A, b64=A["value"]["b64"]), "nested b64 copied to the outer envelope"),
            ("source-dtype-snake", "tensor with member source_dtype, not sourceDtype",
             with_(A, source_dtype=BFLOAT16), "member source_dtype added"),
            ("uppercase-x", "tensor with member X-note, not an extension",
             {**A, "X-note": "n"}, "member X-note added")]:
        S.invalid(f"torch-invalid-unknown-member-{vid}", desc, ["envelope.unknown-fields"], J(env),
                  "E_UNKNOWN_FIELD", mut(m), schema_valid=False)
    S.invalid("torch-invalid-unknown-member-v0", "tensor v0 with member requires_grad",
              ["envelope.unknown-fields", "envelope.legacy-v0", "torch.legacy-v0"],
              J(with_(without(A, "codecVersion", "shape", "device"), requires_grad=False)),
              "E_UNKNOWN_FIELD", mut("codecVersion, shape, device removed; requires_grad added"),
              schema_valid=False)

    S.invalid("torch-invalid-encoding-before-unknown-member",
              "tensor encoding json and a member requires_grad",
              ["torch.encodings", "envelope.unknown-fields"],
              J(with_(Jn, encoding="json", requires_grad=True)), "E_ENCODING_UNSUPPORTED",
              mut("encoding ndarray -> json, requires_grad added"), schema_valid=False, tags=PO)
    S.invalid("torch-invalid-unknown-member-before-required",
              "tensor without shape and with a member requires_grad",
              ["envelope.unknown-fields", "torch.required"],
              J(with_(without(A, "shape"), requires_grad=True)), "E_UNKNOWN_FIELD",
              mut("shape removed, requires_grad added"), schema_valid=False, tags=PO)


def required_members(S: Suite):
    """[torch.required] and [torch.legacy-v0]."""
    A = tensor_env(run(F32_2X3), "arrow")
    mut = lambda m: src(F32_2X3, m)  # noqa: E731
    REQ = ["torch.required", "envelope.required-fields"]
    for member in ("value", "shape", "dtype", "device"):
        S.invalid(f"torch-invalid-required-{member}", f"tensor v1 without {member}", REQ,
                  J(without(A, member)), "E_MISSING_FIELD", mut(f"{member} removed"),
                  schema_valid=False)
    S.invalid("torch-invalid-required-all", "tensor v1 with only the common members", REQ,
              J(without(A, "value", "shape", "dtype", "device")), "E_MISSING_FIELD",
              mut("value, shape, dtype and device removed"), schema_valid=False)
    S.invalid("torch-invalid-required-shape-before-dtype", "tensor v1 without shape, dtype 5",
              REQ + ["torch.dtype.table"], J(with_(without(A, "shape"), dtype=5)),
              "E_MISSING_FIELD", mut("shape removed, dtype 5"), schema_valid=False, tags=PO)
    S.invalid("torch-invalid-required-device-before-value", "tensor v1 without device, value []",
              REQ + ["torch.value"], J(with_(without(A, "device"), value=[])), "E_MISSING_FIELD",
              mut("device removed, value []"), schema_valid=False, tags=PO)
    S.invalid("torch-invalid-required-device-before-dtype",
              "tensor v1 without device, dtype float32 (numpy's spelling)",
              REQ + ["torch.dtype.table"], J(with_(without(A, "device"), dtype="float32")),
              "E_MISSING_FIELD", mut("device removed, dtype float32"), schema_valid=False, tags=PO)

    V0 = ["torch.legacy-v0", "envelope.legacy-v0", "envelope.required-fields"]
    v0 = without(A, "codecVersion", "shape", "device")
    for vid, desc, env, m in [
            ("no-dtype", "tensor v0 without dtype", without(v0, "dtype"), "dtype"),
            ("no-value", "tensor v0 without value", without(v0, "value"), "value"),
            ("no-value-no-dtype", "tensor v0 with only the marker and encoding",
             without(v0, "value", "dtype"), "value, dtype"),
            ("no-dtype-with-shape", "tensor v0 with shape and device but no dtype",
             without(A, "codecVersion", "dtype"), None)]:
        m = "codecVersion and dtype removed" if m is None else \
            f"codecVersion, shape, device, {m} removed"
        S.invalid(f"torch-invalid-v0-{vid}", desc, V0, J(env), "E_MISSING_FIELD", mut(m),
                  schema_valid=False)
    S.invalid("torch-invalid-v0-no-value-before-dtype", "tensor v0 without value, dtype 5",
              V0 + ["torch.dtype.table"], J(with_(without(v0, "value"), dtype=5)),
              "E_MISSING_FIELD", mut("codecVersion, shape, device, value removed; dtype 5"),
              schema_valid=False, tags=PO)


UNSUPPORTED_DTYPES = [
    # (id slug, dtype string, why, tensor expression the mutation starts from)
    ("numpy-float32", "float32", "numpy's spelling", F32_2X3),
    ("numpy-int64", "int64", "numpy's spelling", "torch.tensor([1, 2])"),
    ("alias-float", "torch.float", "torch's alias of float32", F32_2X3),
    ("alias-half", "torch.half", "torch's alias of float16",
     "torch.tensor([1.5], dtype=torch.float16)"),
    ("alias-long", "torch.long", "torch's alias of int64", "torch.tensor([1, 2])"),
    ("alias-double", "torch.double", "torch's alias of float64", F64_EXPR),
    ("alias-int", "torch.int", "torch's alias of int32", "torch.tensor([1, 2], dtype=torch.int32)"),
    ("alias-cfloat", "torch.cfloat", "torch's alias of complex64", F32_2X3),
    ("complex64", "torch.complex64", "complex", F32_2X3),
    ("complex128", "torch.complex128", "complex", F64_EXPR),
    ("complex32", "torch.complex32", "complex", F32_2X3),
    ("qint8", "torch.qint8", "quantized", "torch.tensor([1, 2], dtype=torch.int8)"),
    ("quint8", "torch.quint8", "quantized", "torch.tensor([1, 2], dtype=torch.uint8)"),
    ("float8", "torch.float8_e4m3fn", "8-bit float", F32_2X3),
    ("float8-e5m2", "torch.float8_e5m2", "8-bit float", F32_2X3),
    ("uint1", "torch.uint1", "sub-byte integer", "torch.tensor([1, 0], dtype=torch.uint8)"),
    ("capital", "torch.Float32", "letter case", F32_2X3),
    ("torch-capital", "Torch.float32", "letter case", F32_2X3),
    ("trailing-space", "torch.float32 ", "trailing space", F32_2X3),
    ("empty", "", "empty string", F32_2X3),
    ("class-repr", "<class 'torch.float32'>", "a repr, not str(dtype)", F32_2X3),
]


def dtype_members(S: Suite):
    """[torch.dtype.table] and [torch.source-dtype]."""
    A = tensor_env(run(F32_2X3), "arrow")
    mut = lambda m: src(F32_2X3, m)  # noqa: E731
    for vid, desc, v in [("number", "tensor dtype 5", 5), ("null", "tensor dtype null", None),
                         ("array", "tensor dtype [\"torch.float32\"]", ["torch.float32"]),
                         ("true", "tensor dtype true", True)]:
        S.invalid(f"torch-invalid-dtype-type-{vid}", desc, ["torch.dtype.table",
                                                            "envelope.field-types"],
                  J(with_(A, dtype=v)), "E_FIELD_TYPE", mut(f"dtype -> {json.dumps(v)}"),
                  schema_valid=False)
    for slug, dt, why, expr in UNSUPPORTED_DTYPES:
        env = tensor_env(run(expr), "arrow")
        S.invalid(f"torch-invalid-dtype-{slug}", f"tensor dtype {json.dumps(dt)} ({why})",
                  ["torch.dtype.table"], J(with_(env, dtype=dt)), "E_DTYPE_UNSUPPORTED",
                  src(expr, f"dtype {env['dtype']} -> {json.dumps(dt)}"), schema_valid=False)
    B = tensor_env(run(BF16_EXPR), "arrow")
    S.invalid("torch-invalid-dtype-bfloat16",
              "tensor dtype \"torch.bfloat16\" over its float32 copy",
              ["torch.dtype.table"], J(with_(without(B, "sourceDtype"), dtype=BFLOAT16)),
              "E_DTYPE_UNSUPPORTED",
              src(BF16_EXPR, "sourceDtype removed, dtype torch.float32 -> torch.bfloat16 "
                             "(str(t.dtype) before .float())"), schema_valid=False)
    jenv = tensor_env(run(F32_2X3), "json")
    S.invalid("torch-invalid-dtype-json-float32",
              "tensor json with dtype float32 (numpy's spelling)",
              ["torch.dtype.table"], J(with_(jenv, dtype="float32")), "E_DTYPE_UNSUPPORTED",
              mut("dtype torch.float32 -> float32"), schema_valid=False)
    S.invalid("torch-invalid-dtype-before-device", "tensor dtype torch.half and device cuda:0",
              ["torch.dtype.table", "torch.device"],
              J(with_(A, dtype="torch.half", device="cuda:0")),
              "E_DTYPE_UNSUPPORTED", mut("dtype torch.half, device cuda:0"), schema_valid=False,
              tags=PO)

    bmut = lambda m: src(BF16_EXPR, m)  # noqa: E731
    SD = ["torch.source-dtype"]
    for vid, desc, v in [("number", "tensor sourceDtype 5", 5),
                         ("null", "tensor sourceDtype null", None),
                         ("array", "tensor sourceDtype [\"torch.bfloat16\"]", [BFLOAT16])]:
        S.invalid(f"torch-invalid-source-dtype-type-{vid}", desc, SD + ["envelope.field-types"],
                  J(with_(B, sourceDtype=v)), "E_FIELD_TYPE",
                  bmut(f"sourceDtype -> {json.dumps(v)}"), schema_valid=False)
    for vid, desc, v in [("float16", "tensor sourceDtype torch.float16", "torch.float16"),
                         ("float32", "tensor sourceDtype torch.float32", "torch.float32"),
                         ("numpy-bfloat16", "tensor sourceDtype bfloat16 without torch.",
                          "bfloat16"),
                         ("upper", "tensor sourceDtype torch.BFloat16", "torch.BFloat16"),
                         ("empty", "tensor sourceDtype empty string", "")]:
        S.invalid(f"torch-invalid-source-dtype-{vid}", desc, SD, J(with_(B, sourceDtype=v)),
                  "E_DTYPE_UNSUPPORTED", bmut(f"sourceDtype -> {json.dumps(v)}"),
                  schema_valid=False)
    for vid, desc, expr in [
            ("float64", "tensor float64 with sourceDtype torch.bfloat16", F64_EXPR),
            ("float16", "tensor float16 with sourceDtype torch.bfloat16",
             "torch.tensor([1.5, -2.25], dtype=torch.float16)"),
            ("int32", "tensor int32 with sourceDtype torch.bfloat16",
             "torch.tensor([1, 2], dtype=torch.int32)")]:
        S.invalid(f"torch-invalid-source-dtype-with-{vid}", desc, SD,
                  J(with_(tensor_env(run(expr), "arrow"), sourceDtype=BFLOAT16)),
                  "E_DTYPE_MISMATCH", src(expr, "sourceDtype torch.bfloat16 added"),
                  schema_valid=False)
    expr = "torch.tensor([0.1], dtype=torch.float64)"
    S.invalid("torch-invalid-source-dtype-mismatch-before-bits",
              "tensor float64 0.1 with sourceDtype: dtype mismatch before the bfloat16 bits",
              SD + ["torch.bfloat16"],
              J(with_(tensor_env(run(expr), "arrow"), sourceDtype=BFLOAT16)), "E_DTYPE_MISMATCH",
              src(expr, "sourceDtype torch.bfloat16 added"), schema_valid=False, tags=PO)
    S.invalid("torch-invalid-source-dtype-before-device",
              "tensor sourceDtype torch.float16 and device cuda:0", SD + ["torch.device"],
              J(with_(B, sourceDtype="torch.float16", device="cuda:0")), "E_DTYPE_UNSUPPORTED",
              bmut("sourceDtype torch.float16, device cuda:0"), schema_valid=False, tags=PO)
    S.invalid("torch-invalid-source-dtype-v0", "tensor v0 with sourceDtype torch.float16",
              SD + ["torch.legacy-v0"],
              J(with_(without(B, "codecVersion", "shape", "device"), sourceDtype="torch.float16")),
              "E_DTYPE_UNSUPPORTED",
              bmut("codecVersion, shape, device removed; sourceDtype torch.float16"),
              schema_valid=False)


def device_members(S: Suite):
    """[torch.device] and [torch.source-device]."""
    A = tensor_env(run(F32_2X3), "arrow")
    mut = lambda m: src(F32_2X3, m)  # noqa: E731
    for vid, desc, v in [("number", "tensor device 5", 5), ("null", "tensor device null", None),
                         ("array", "tensor device [\"cpu\"]", ["cpu"]),
                         ("object", "tensor device {\"type\": \"cpu\"}", {"type": "cpu"})]:
        S.invalid(f"torch-invalid-device-type-{vid}", desc,
                  ["torch.device", "envelope.field-types"],
                  J(with_(A, device=v)), "E_FIELD_TYPE", mut(f"device -> {json.dumps(v)}"),
                  schema_valid=False)
    for vid, v in [("cuda-0", "cuda:0"), ("cuda", "cuda"), ("upper", "CPU"), ("cpu-0", "cpu:0"),
                   ("mps", "mps"), ("meta", "meta"), ("empty", ""), ("leading-space", " cpu")]:
        S.invalid(f"torch-invalid-device-{vid}", f"tensor device {json.dumps(v)}", ["torch.device"],
                  J(with_(A, device=v)), "E_DEVICE_UNSUPPORTED",
                  mut(f"device cpu -> {json.dumps(v)}"),
                  schema_valid=False)
    S.invalid("torch-invalid-device-v0", "tensor v0 with device cuda:0",
              ["torch.device", "torch.legacy-v0", "envelope.legacy-v0"],
              J(with_(without(A, "codecVersion", "shape"), device="cuda:0")),
              "E_DEVICE_UNSUPPORTED", mut("codecVersion, shape removed; device cuda:0"),
              schema_valid=False)
    S.invalid("torch-invalid-device-before-source-device",
              "tensor device cuda:0, sourceDevice \"\"", ["torch.device", "torch.source-device"],
              J(with_(A, device="cuda:0", sourceDevice="")),
              "E_DEVICE_UNSUPPORTED", mut("device cuda:0, sourceDevice \"\" added"),
              schema_valid=False, tags=PO)

    SDV = ["torch.source-device"]
    for vid, desc, v in [("number", "tensor sourceDevice 5", 5),
                         ("null", "tensor sourceDevice null", None),
                         ("array", "tensor sourceDevice [\"cuda:0\"]", ["cuda:0"])]:
        S.invalid(f"torch-invalid-source-device-type-{vid}", desc, SDV + ["envelope.field-types"],
                  J(with_(A, sourceDevice=v)), "E_FIELD_TYPE",
                  mut(f"sourceDevice {json.dumps(v)} added"), schema_valid=False)
    S.invalid("torch-invalid-source-device-empty", "tensor sourceDevice empty string", SDV,
              J(with_(A, sourceDevice="")), "E_VALUE_DOMAIN", mut("sourceDevice \"\" added"),
              schema_valid=False)
    S.invalid("torch-invalid-source-device-empty-v0", "tensor v0 with sourceDevice empty string",
              SDV + ["torch.legacy-v0"],
              J(with_(without(A, "codecVersion", "shape", "device"), sourceDevice="")),
              "E_VALUE_DOMAIN", mut("codecVersion, shape, device removed; sourceDevice \"\" added"),
              schema_valid=False)
    S.invalid("torch-invalid-source-device-before-shape", "tensor sourceDevice \"\" and shape [-1]",
              SDV + ["torch.shape"], J(with_(A, sourceDevice="", shape=[-1])), "E_VALUE_DOMAIN",
              mut("sourceDevice \"\" added, shape [-1]"), schema_valid=False, tags=PO)


def shape_member(S: Suite):
    """[torch.shape]: the outer shape's own checks (its agreement is in agreement())."""
    A = tensor_env(run(F32_2X3), "arrow")
    mut = lambda m: src(F32_2X3, m)  # noqa: E731
    for vid, desc, v in [("string", "tensor shape \"x\"", "x"), ("number", "tensor shape 6", 6),
                         ("null", "tensor shape null", None),
                         ("object", "tensor shape {\"0\": 2}", {"0": 2})]:
        S.invalid(f"torch-invalid-shape-type-{vid}", desc, ["torch.shape", "envelope.field-types"],
                  J(with_(A, shape=v)), "E_FIELD_TYPE", mut(f"shape -> {json.dumps(v)}"),
                  schema_valid=False)
    SI = ["torch.shape", "ndarray.shape.items"]
    for vid, desc, v in [("negative", "tensor shape [-1]", [-1]),
                         ("fraction", "tensor shape [1.5]", [1.5]),
                         ("second-negative", "tensor shape [2, -3]", [2, -3]),
                         ("string-item", "tensor shape [\"2\", 3]", ["2", 3]),
                         ("null-item", "tensor shape [null, 3]", [None, 3]),
                         ("nested", "tensor shape [[2, 3]]", [[2, 3]]),
                         ("2-53", "tensor shape [2^53, 3], past the integer range", [2**53, 3])]:
        S.invalid(f"torch-invalid-shape-{vid}", desc, SI, J(with_(A, shape=v)), "E_SHAPE_INVALID",
                  mut(f"shape -> {json.dumps(v)}"), schema_valid=False)
    S.invalid("torch-invalid-shape-negative-v0", "tensor v0 with shape [-1]",
              SI + ["torch.legacy-v0"], J(with_(without(A, "codecVersion", "device"), shape=[-1])),
              "E_SHAPE_INVALID", mut("codecVersion, device removed; shape [-1]"),
              schema_valid=False)
    S.invalid("torch-invalid-shape-1e400", "tensor shape [1e400], a number without a value",
              SI + ["json.numbers"],
              T(dumps_env(A).replace('"shape": [2, 3], "dtype": "torch',
                                     '"shape": [1e400, 3], "dtype": "torch')),
              "E_SHAPE_INVALID", mut("text: outer shape [2, 3] -> [1e400, 3]"))
    S.invalid("torch-invalid-shape-before-value", "tensor shape [-1] and value []",
              SI + ["torch.value"], J(with_(A, shape=[-1], value=[])), "E_SHAPE_INVALID",
              mut("shape [-1], value []"), schema_valid=False, tags=PO)

    one = tensor_env(run(ONE_EXPR), "arrow")
    LIM = ["limits.ndim", "torch.shape", "limits.conformance-defaults"]
    S.invalid("torch-invalid-shape-ndim-65", "tensor shape of 65 ones over a nested [1]", LIM,
              J(with_(one, shape=[1] * 65)), "E_LIMIT_EXCEEDED",
              src(ONE_EXPR, "shape [1] -> 65 ones"), schema_valid=False, tags=["boundary"])
    S.invalid("torch-invalid-shape-item-before-ndim", "tensor shape of 64 ones and -1",
              SI + ["limits.ndim"], J(with_(one, shape=[1] * 64 + [-1])), "E_SHAPE_INVALID",
              src(ONE_EXPR, "shape [1] -> 64 ones and -1"), schema_valid=False, tags=PO)


def value_member(S: Suite):
    """[torch.value]."""
    A = tensor_env(run(F32_2X3), "arrow")
    Jn = tensor_env(run(F32_2X3), "json")
    mut = lambda m: src(F32_2X3, m)  # noqa: E731
    for vid, desc, v, m in [
            ("array", "tensor value [] (an array)", [], "value -> []"),
            ("data", "tensor value holding the nested data itself", Jn["value"]["data"],
             "value -> its own data member"),
            ("string", "tensor value \"x\"", "x", "value -> \"x\""),
            ("b64-string", "tensor value holding the nested b64 string", A["value"]["b64"],
             "value -> its own b64 member"),
            ("number", "tensor value 5", 5, "value -> 5"),
            ("null", "tensor value null", None, "value -> null")]:
        S.invalid(f"torch-invalid-value-{vid}", desc, ["torch.value", "envelope.field-types"],
                  J(with_(Jn if vid == "data" else A, value=v)), "E_FIELD_TYPE", mut(m),
                  schema_valid=False)
    NE = ["torch.value"]
    sparse = {"__tywrap__": "scipy.sparse", "codecVersion": 1, "encoding": "json", "format": "csr",
              "shape": [2, 3], "data": [1.5, -2.25, 3.0, 4.5, -0.5], "indices": [0, 1, 0, 1, 2],
              "indptr": [0, 2, 5], "dtype": "float32"}
    inner = tensor_env(run(F32_2X3), "json")
    for vid, desc, v, source in [
            ("empty-object", "tensor value {} (no marker)", {}, mut("value -> {}")),
            ("no-marker", "tensor value: the nested envelope without __tywrap__",
             without(A["value"], "__tywrap__"), mut("nested __tywrap__ removed")),
            ("torch-in-torch", "tensor value holding a torch.tensor envelope", inner,
             mut("value -> the json-nested envelope of the same tensor")),
            ("sparse", "tensor value holding a scipy.sparse envelope", sparse,
             hand("tywrap's envelope for sp.csr_matrix(np.array([[1.5, -2.25, 0], [3, 4.5, -0.5]], "
                  "dtype=np.float32)) put where the ndarray envelope belongs")),
            ("marker-dataframe", "tensor value with nested marker dataframe",
             with_(A["value"], __tywrap__="dataframe"), mut("nested __tywrap__ -> dataframe")),
            ("marker-number", "tensor value with nested marker 5",
             with_(A["value"], __tywrap__=5), mut("nested __tywrap__ -> 5")),
            ("marker-upper", "tensor value with nested marker NDARRAY",
             with_(A["value"], __tywrap__="NDARRAY"), mut("nested __tywrap__ -> NDARRAY")),
            ("marker-numpy", "tensor value with nested marker numpy.ndarray",
             with_(A["value"], __tywrap__="numpy.ndarray"),
             mut("nested __tywrap__ -> numpy.ndarray"))]:
        S.invalid(f"torch-invalid-value-{vid}", desc, NE, J(with_(A, value=v)),
                  "E_NESTED_ENVELOPE", source, schema_valid=False)
    S.invalid("torch-invalid-value-v0-torch-in-torch", "tensor v0 whose value is a torch.tensor",
              NE + ["torch.legacy-v0"],
              J(with_(without(A, "codecVersion", "shape", "device"), value=inner)),
              "E_NESTED_ENVELOPE",
              mut("codecVersion, shape, device removed; value -> the json-nested envelope"),
              schema_valid=False)


def nested_version(S: Suite):
    """[torch.nested-version]."""
    A = tensor_env(run(F32_2X3), "arrow")
    Jn = tensor_env(run(F32_2X3), "json")
    mut = lambda m: src(F32_2X3, m)  # noqa: E731
    NV = ["torch.nested-version"]
    for vid, desc, env, m in [
            ("arrow", "tensor v1 holding a v0 arrow ndarray", nested_without(A, "codecVersion"),
             "nested codecVersion removed"),
            ("json", "tensor v1 holding a v0 json ndarray", nested_without(Jn, "codecVersion"),
             "nested codecVersion removed"),
            ("json-no-shape", "tensor v1 holding a v0 json ndarray without shape",
             nested_without(Jn, "codecVersion", "shape"), "nested codecVersion and shape removed"),
            ("arrow-no-dtype", "tensor v1 holding a v0 arrow ndarray without dtype and shape",
             nested_without(A, "codecVersion", "dtype", "shape"),
             "nested codecVersion, dtype and shape removed")]:
        S.invalid(f"torch-invalid-nested-v0-in-{vid}", desc,
                  NV + (["ndarray.legacy-v0"] if "no-" in vid else []), J(env), "E_CODEC_VERSION",
                  mut(m), schema_valid=False)
    for vid, desc, v in [("2", "tensor whose nested codecVersion is 2", 2),
                         ("string", "tensor whose nested codecVersion is \"1\"", "1"),
                         ("null", "tensor whose nested codecVersion is null", None)]:
        S.invalid(f"torch-invalid-nested-codec-version-{vid}", desc,
                  NV + ["envelope.codec-version", "torch.nested"], J(nested(A, codecVersion=v)),
                  "E_CODEC_VERSION", mut(f"nested codecVersion -> {json.dumps(v)}"),
                  schema_valid=False)
    S.invalid("torch-invalid-v0-nested-codec-version-2", "tensor v0 whose nested codecVersion is 2",
              ["envelope.codec-version", "torch.nested", "torch.legacy-v0", "torch.nested-version"],
              J(nested(without(A, "codecVersion", "shape", "device"), codecVersion=2)),
              "E_CODEC_VERSION", mut("codecVersion, shape, device removed; nested codecVersion 2"),
              schema_valid=False)
    S.invalid("torch-invalid-nested-v0-before-nested-member",
              "tensor v1 holding a v0 ndarray with an unknown member",
              NV + ["torch.nested", "envelope.unknown-fields"],
              J(nested(nested_without(A, "codecVersion"), order="C")), "E_CODEC_VERSION",
              mut("nested codecVersion removed, nested order added"), schema_valid=False, tags=PO)
    S.invalid("torch-invalid-nested-v0-before-dtype-agreement",
              "tensor v1 torch.int64 holding a v0 float32 ndarray",
              NV + ["torch.dtype.agreement"],
              J(with_(nested_without(A, "codecVersion"), dtype="torch.int64")), "E_CODEC_VERSION",
              mut("nested codecVersion removed, dtype torch.int64"), schema_valid=False, tags=PO)


def nested_faults(S: Suite):
    """[torch.nested]: the nested ndarray envelope's own rules, reported with their own codes."""
    t = run(F32_2X3)
    A, Jn = tensor_env(t, "arrow"), tensor_env(t, "json")
    mut = lambda m: src(F32_2X3, m)  # noqa: E731
    TN = ["torch.nested"]
    five = producer_payload(t.numpy().reshape(-1)[:5])
    wide = producer_payload(t.double().numpy())
    with_null = column_stream(pa.array([1.5, None, 0.0, 3.0, 4.5, -0.5], pa.float32()))
    b = A["value"]["b64"]
    for vid, desc, clauses, env, code, m, sv in [
            ("arrow-length", "tensor whose nested Arrow column has 5 rows for shape [2, 3]",
             ["ndarray.arrow.length"], nested(A, b64=b64(five)), "E_SHAPE_MISMATCH",
             "nested b64 -> the payload of the first 5 elements", True),
            ("arrow-type", "tensor whose nested float32 envelope holds a float64 column",
             ["ndarray.arrow.type"], nested(A, b64=b64(wide)), "E_DTYPE_MISMATCH",
             "nested b64 -> the payload of t.double()", True),
            ("arrow-nulls", "tensor whose nested Arrow column has a null",
             ["ndarray.arrow.nulls"], nested(A, b64=b64(with_null)), "E_ARROW_NULLS",
             "nested b64 -> a float32 column with element 1 null", True),
            ("base64-space", "tensor whose nested b64 has a space in it", ["ndarray.arrow.base64"],
             nested(A, b64=b[:8] + " " + b[8:]), "E_BASE64", "space inserted in nested b64", False),
            ("base64-url-safe", "tensor whose nested b64 uses the URL-safe alphabet",
             ["ndarray.arrow.base64"], nested(A, b64=b.replace("/", "_").replace("+", "-")),
             "E_BASE64", "nested b64 / -> _ and + -> -", False),
            ("unknown-member", "tensor whose nested envelope has a member order",
             ["envelope.unknown-fields", "ndarray.members"], nested(A, order="C"),
             "E_UNKNOWN_FIELD", "nested order: \"C\" added", False),
            ("data-in-arrow", "tensor whose nested arrow envelope also has data",
             ["ndarray.members", "envelope.unknown-fields"], nested(A, data=Jn["value"]["data"]),
             "E_UNKNOWN_FIELD", "nested data added beside b64", False),
            ("dtype-torch-name", "tensor whose nested dtype is torch.float32",
             ["ndarray.dtype.table"], nested(A, dtype="torch.float32"), "E_DTYPE_UNSUPPORTED",
             "nested dtype float32 -> torch.float32", False),
            ("dtype-number", "tensor whose nested dtype is 5", ["ndarray.dtype.table"],
             nested(A, dtype=5), "E_FIELD_TYPE", "nested dtype float32 -> 5", False),
            ("encoding-ndarray", "tensor whose nested encoding is ndarray",
             ["ndarray.encodings", "envelope.encoding"], nested(A, encoding="ndarray"),
             "E_ENCODING_UNSUPPORTED", "nested encoding arrow -> ndarray", False),
            ("required-shape", "tensor whose v1 nested envelope lacks shape",
             ["ndarray.required", "envelope.required-fields"], nested_without(A, "shape"),
             "E_MISSING_FIELD", "nested shape removed", False),
            ("required-data", "tensor whose v1 nested json envelope lacks data",
             ["ndarray.required", "envelope.required-fields"], nested_without(Jn, "data"),
             "E_MISSING_FIELD", "nested data removed", False),
            ("shape-negative", "tensor whose nested shape is [-1, 3]", ["ndarray.shape.items"],
             nested(A, shape=[-1, 3]), "E_SHAPE_INVALID", "nested shape [2, 3] -> [-1, 3]", False),
            ("json-nesting", "tensor whose nested json data is flat for shape [2, 3]",
             ["ndarray.json.nesting"],
             nested(Jn, data=Jn["value"]["data"][0] + Jn["value"]["data"][1]),
             "E_SHAPE_MISMATCH", "nested data flattened", True),
            ("json-value-tenth", "tensor whose nested float32 data holds 0.1",
             ["ndarray.json.values"],
             nested(Jn, data=[[0.1] + Jn["value"]["data"][0][1:], Jn["value"]["data"][1]]),
             "E_VALUE_DOMAIN", "nested data 1.5 -> 0.1", True),
            ("json-value-string", "tensor whose nested float32 data holds a string",
             ["ndarray.json.values"],
             nested(Jn, data=[["1.5"] + Jn["value"]["data"][0][1:], Jn["value"]["data"][1]]),
             "E_VALUE_DOMAIN", "nested data 1.5 -> \"1.5\"", False)]:
        S.invalid(f"torch-invalid-nested-{vid}", desc, clauses + TN, J(env), code, mut(m),
                  schema_valid=sv)

    big = "torch.tensor([2**53 - 1, 1])"
    benv = tensor_env(run(big), "json")
    assert benv["value"]["data"] == [MAX_SAFE, 1]
    S.invalid("torch-invalid-nested-json-int64-2-53", "tensor whose nested int64 data holds 2^53",
              ["ndarray.json.values"] + TN, J(nested(benv, data=[2**53, 1])), "E_VALUE_DOMAIN",
              src(big, "nested data 2^53-1 -> 2^53"), schema_valid=False)
    bf = tensor_env(run(BF16_EXPR), "arrow")
    S.invalid("torch-invalid-nested-dtype-bfloat16",
              "tensor bfloat16 whose nested dtype says bfloat16",
              ["ndarray.dtype.table"] + TN, J(nested(bf, dtype="bfloat16")), "E_DTYPE_UNSUPPORTED",
              src(BF16_EXPR, "nested dtype float32 -> bfloat16"), schema_valid=False)
    v0 = without(Jn, "codecVersion", "shape", "device")
    S.invalid("torch-invalid-v0-nested-json-no-dtype",
              "tensor v0 holding a v0 json ndarray without dtype",
              ["ndarray.legacy-v0"] + TN + ["torch.legacy-v0"],
              J(nested_without(v0, "codecVersion", "dtype")), "E_MISSING_FIELD",
              mut("codecVersion, shape, device removed; nested codecVersion and dtype removed"),
              schema_valid=False)
    huge = [2**31] * 3
    S.invalid("torch-invalid-nested-limit-elements", "tensor of shape [2^31, 2^31, 2^31] in both",
              ["limits.elements"] + TN + ["torch.shape", "limits.conformance-defaults"],
              J(nested(with_(A, shape=huge), shape=huge)), "E_LIMIT_EXCEEDED",
              mut("shape [2, 3] -> [2147483648] * 3, outer and nested"), schema_valid=True,
              budget=HOSTILE_BUDGET, tags=["hostile"])

    S.invalid("torch-invalid-nested-before-dtype-agreement",
              "tensor torch.int64 whose nested Arrow column is also short",
              ["ndarray.arrow.length"] + TN + ["torch.dtype.agreement"],
              J(with_(nested(A, b64=b64(five)), dtype="torch.int64")), "E_SHAPE_MISMATCH",
              mut("nested b64 -> 5 elements, dtype torch.int64"), schema_valid=True, tags=PO)
    S.invalid("torch-invalid-device-before-nested", "tensor device cuda:0 with a nested bad base64",
              ["torch.device"] + TN + ["ndarray.arrow.base64"],
              J(nested(with_(A, device="cuda:0"), b64="not base64!")), "E_DEVICE_UNSUPPORTED",
              mut("device cuda:0, nested b64 'not base64!'"), schema_valid=False, tags=PO)
    S.invalid("torch-invalid-nested-before-shape-agreement",
              "tensor shape [6] over a nested float32 json envelope holding 0.1",
              ["ndarray.json.values"] + TN + ["torch.shape.agreement"],
              J(nested(with_(Jn, shape=[6]),
                       data=[[0.1] + Jn["value"]["data"][0][1:], Jn["value"]["data"][1]])),
              "E_VALUE_DOMAIN", mut("shape [6], nested data 1.5 -> 0.1"),
              schema_valid=True, tags=PO)


def agreement(S: Suite):
    """[torch.dtype.agreement] and [torch.shape.agreement]."""
    DA = ["torch.dtype.agreement"]
    f64_2 = "torch.arange(6, dtype=torch.float64).reshape(2, 3)"
    for vid, desc, expr, enc, dt in [
            ("int64-over-float32", "tensor torch.int64 over a nested float32 array", F32_2X3,
             "arrow", "torch.int64"),
            ("int64-over-float32-json", "tensor json torch.int64 over a nested float32 array",
             F32_2X3, "json", "torch.int64"),
            ("float32-over-float64", "tensor torch.float32 over a nested float64 array", f64_2,
             "arrow", "torch.float32"),
            ("float32-over-float64-json", "tensor json torch.float32 over a nested float64 array",
             f64_2, "json", "torch.float32"),
            ("bool-over-uint8", "tensor torch.bool over a nested uint8 array",
             "torch.tensor([0, 1, 1], dtype=torch.uint8)", "arrow", "torch.bool"),
            ("uint64-over-int64", "tensor torch.uint64 over a nested int64 array",
             "torch.tensor([1, 2])", "arrow", "torch.uint64"),
            ("float16-over-float32-json", "tensor json torch.float16 over a nested float32 array",
             "torch.tensor([1.5, -2.25])", "json", "torch.float16"),
            ("int32-over-float32-0d", "tensor 0-d torch.int32 over a nested float32 scalar",
             SCALAR_EXPR, "arrow", "torch.int32"),
            # The rest of the dtype table's rows, each over its nearest wrong dtype.
            ("uint8-over-int8", "tensor torch.uint8 over a nested int8 array",
             "torch.tensor([1, 2], dtype=torch.int8)", "arrow", "torch.uint8"),
            ("uint16-over-int16", "tensor torch.uint16 over a nested int16 array",
             "torch.tensor([1, 2], dtype=torch.int16)", "arrow", "torch.uint16"),
            ("uint32-over-int32-json", "tensor json torch.uint32 over a nested int32 array",
             "torch.tensor([1, 2], dtype=torch.int32)", "json", "torch.uint32"),
            ("int8-over-uint8", "tensor torch.int8 over a nested uint8 array",
             "torch.tensor([1, 2], dtype=torch.uint8)", "arrow", "torch.int8"),
            ("int16-over-uint16-json", "tensor json torch.int16 over a nested uint16 array",
             "torch.tensor([1, 2], dtype=torch.uint16)", "json", "torch.int16"),
            ("float64-over-int64", "tensor torch.float64 over a nested int64 array",
             "torch.tensor([1, 2])", "arrow", "torch.float64")]:
        env = tensor_env(run(expr), enc)
        S.invalid(f"torch-invalid-dtype-agreement-{vid}", desc, DA + [f"torch.dtype.agreement[{dt}]"],
                  J(with_(env, dtype=dt)),
                  "E_DTYPE_MISMATCH", src(expr, f"dtype {env['dtype']} -> {dt}"), schema_valid=True)
    f64 = tensor_env(run(F64_EXPR), "arrow")
    minimal = nested_without(without(f64, "codecVersion", "shape", "device"),
                             "codecVersion", "shape", "dtype")
    S.invalid("torch-invalid-dtype-agreement-v0-recovered",
              "tensor v0 torch.float32 over a nested v0 Arrow float64 column without dtype",
              DA + ["ndarray.legacy-v0", "ndarray.arrow.type", "torch.legacy-v0"],
              J(with_(minimal, dtype="torch.float32")), "E_DTYPE_MISMATCH",
              src(F64_EXPR, "v0 at its smallest (codecVersion, shape, device and nested "
                            "codecVersion, shape, dtype removed), then dtype -> torch.float32"),
              schema_valid=True)
    A = tensor_env(run(F32_2X3), "arrow")
    S.invalid("torch-invalid-dtype-agreement-before-shape",
              "tensor torch.int64 over float32, shape [6] over [2, 3]",
              DA + ["torch.shape.agreement"], J(with_(A, dtype="torch.int64", shape=[6])),
              "E_DTYPE_MISMATCH", src(F32_2X3, "dtype torch.int64, shape [6]"), schema_valid=True,
              tags=PO)

    SA = ["torch.shape.agreement"]
    for vid, desc, expr, enc, shape in [
            ("0d-over-1", "tensor shape [] over a nested [1]", ONE_EXPR, "arrow", []),
            ("0d-over-1-json", "tensor json shape [] over a nested [1]", ONE_EXPR, "json", []),
            ("1-over-0d", "tensor shape [1] over a nested 0-d []", SCALAR_EXPR, "arrow", [1]),
            ("1-over-0d-json", "tensor json shape [1] over a nested 0-d []", SCALAR_EXPR, "json",
             [1]),
            ("2x3-over-3x2", "tensor shape [2, 3] over a nested [3, 2]",
             "torch.arange(6, dtype=torch.float32).reshape(2, 3).T", "arrow", [2, 3]),
            ("6-over-2x3", "tensor shape [6] over a nested [2, 3]", F32_2X3, "json", [6]),
            ("2x3-over-6", "tensor shape [2, 3] over a nested [6]",
             "torch.arange(6, dtype=torch.float32)", "arrow", [2, 3]),
            ("0x2-over-2x0", "tensor shape [0, 2] over a nested [2, 0]: no elements, other shape",
             "torch.zeros(2, 0)", "json", [0, 2]),
            ("1x1-over-1", "tensor shape [1, 1] over a nested [1]", ONE_EXPR, "arrow", [1, 1])]:
        env = tensor_env(run(expr), enc)
        S.invalid(f"torch-invalid-shape-agreement-{vid}", desc, SA, J(with_(env, shape=shape)),
                  "E_SHAPE_MISMATCH",
                  src(expr, f"shape {json.dumps(env['shape'])} -> {json.dumps(shape)}"),
                  schema_valid=True)
    S.invalid("torch-invalid-shape-agreement-huge-outer",
              "tensor shape [2^31, 2^31, 2^31] over a nested [1]: only the nested shape is limited",
              SA + ["torch.shape", "limits.elements"],
              J(with_(tensor_env(run(ONE_EXPR), "arrow"), shape=[2**31] * 3)), "E_SHAPE_MISMATCH",
              src(ONE_EXPR, "shape [1] -> [2147483648] * 3"), schema_valid=True,
              budget=HOSTILE_BUDGET, tags=["hostile", "interpretation"])
    v0 = without(A, "codecVersion", "device")
    S.invalid("torch-invalid-shape-agreement-v0-nested-flat",
              "tensor v0 shape [2, 3] over a nested v0 Arrow ndarray without shape, so [6]",
              SA + ["ndarray.legacy-v0", "ndarray.arrow.length", "torch.legacy-v0"],
              J(nested_without(v0, "codecVersion", "shape")), "E_SHAPE_MISMATCH",
              src(F32_2X3, "codecVersion, device removed; nested codecVersion, shape removed"),
              schema_valid=True)
    bf = tensor_env(run(BF16_EXPR), "json")
    S.invalid("torch-invalid-shape-agreement-before-bfloat16",
              "tensor bfloat16 shape [2] over [3] whose data also holds a non-bfloat16",
              SA + ["torch.bfloat16"],
              J(nested(with_(bf, shape=[2]), data=[1.0, -2.5, 3.1415927410125732])),
              "E_SHAPE_MISMATCH", src(BF16_EXPR, "shape [3] -> [2], nested data 3.140625 -> "
                                                 "3.1415927410125732"),
              schema_valid=True, tags=PO)


def bfloat16_bits(S: Suite):
    """[torch.bfloat16]: sourceDtype claims bfloat16, an element is not one."""
    BB = ["torch.bfloat16", "torch.source-dtype"]
    for vid, desc, expr, enc in [
            ("tenth", "tensor float32 1.0, 0.1 with sourceDtype torch.bfloat16",
             "torch.tensor([1.0, 0.1])", "arrow"),
            ("tenth-json", "tensor json float32 1.0, 0.1 with sourceDtype torch.bfloat16",
             "torch.tensor([1.0, 0.1])", "json"),
            ("low-bit", "tensor float32 1 + 2^-23 (lowest bit set) with sourceDtype bfloat16",
             "torch.tensor([1.0 + 2.0**-23])", "arrow"),
            ("bit-16", "tensor float32 1 + 2^-16 (bit 15 set) with sourceDtype bfloat16",
             "torch.tensor([1.0 + 2.0**-16, 2.0])", "json"),
            ("nan-payload", "tensor float32 NaN 7fc00001 with sourceDtype bfloat16",
             "torch.tensor([0x7fc00001], dtype=torch.int32).view(torch.float32)", "arrow"),
            ("subnormal", "tensor float32 smallest subnormal with sourceDtype bfloat16",
             "torch.tensor([2.0**-149])", "arrow"),
            ("0d", "tensor 0-d float32 0.1 with sourceDtype torch.bfloat16", "torch.tensor(0.1)",
             "json")]:
        env = tensor_env(run(expr), enc)
        assert "sourceDtype" not in env
        S.invalid(f"torch-invalid-bfloat16-{vid}", desc, BB, J(with_(env, sourceDtype=BFLOAT16)),
                  "E_VALUE_DOMAIN", src(expr, "sourceDtype torch.bfloat16 added"),
                  schema_valid=True)
    bf = tensor_env(run(BF16_EXPR), "json")
    assert bf["value"]["data"] == [1.0, -2.5, 3.140625]
    pi32 = float(np.float32(np.pi))
    S.invalid("torch-invalid-bfloat16-element-edited",
              "tensor bfloat16 whose nested data has 3.140625 replaced by float32 pi",
              BB, J(nested(bf, data=[1.0, -2.5, pi32])), "E_VALUE_DOMAIN",
              src(BF16_EXPR, f"nested data 3.140625 -> {pi32!r}"), schema_valid=True)
    bfa = tensor_env(run(BF16_EXPR), "arrow")
    wide = producer_payload(np.array([1.0, -2.5, np.pi], dtype=np.float32))
    S.invalid("torch-invalid-bfloat16-payload-edited",
              "tensor bfloat16 whose nested Arrow payload has float32 pi for 3.140625",
              BB, J(nested(bfa, b64=b64(wide))), "E_VALUE_DOMAIN",
              src(BF16_EXPR, "nested b64 -> the payload of np.array([1.0, -2.5, np.pi], "
                             "dtype=np.float32)"), schema_valid=True)
