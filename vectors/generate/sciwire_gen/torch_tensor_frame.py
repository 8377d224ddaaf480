"""Frame vectors of the `torch.tensor` envelope ([frame.*] with [torch.*]): valid frames of real
torch tensors (CPU), groups with the arrow/json vectors of the same tensors, `frame` encode vectors
with the exact bytes, and invalid frames, each one mutation of a real frame.

The header is the torch envelope of [frame.encode]: `encoding` stays "ndarray", `value` is the
nested ndarray frame envelope (`encoding` "frame", `data` 0, no `buffers` of its own), then
`shape`, `dtype`, `device` and, when the tensor has them, `sourceDtype` and `sourceDevice`; the one
buffer holds `t.numpy()`'s element bytes (a bfloat16 tensor as float32, [torch.source-dtype]).
Imported by torch_tensor.build only (torch is optional).
"""

from __future__ import annotations

import base64
import struct

from .common import B, J, Suite, hand, uniq, with_, without
from .frame import FrameError, all_referred, read_frame, rebuild, ref_index, span, split, write_frame
from .ndarray_frame import (FRAME_BASE, READER, array_header, checked, decode_array, element_bytes,
                            value_bytes)
from .torch_tensor import (BFLOAT16, CUDA_WHY, DTYPES, F32_PAIR, LAYOUTS, SHAPES, TORCH_TO_NUMPY, Refused,
                           make_value, run, same_tensor, src, tensor_of_value, tensor_value, to_host)


def tensor_header(nested: dict, shape, dtype, source_dtype=None, source_device=None) -> dict:
    h = {"__tywrap__": "torch.tensor", "codecVersion": 1, "encoding": "ndarray", "value": nested,
         "shape": list(shape), "dtype": dtype, "device": "cpu"}
    if source_dtype is not None:
        h["sourceDtype"] = source_dtype
    if source_device is not None:
        h["sourceDevice"] = source_device
    return h


def tensor_frame(t) -> bytes:
    """The frame a writer writes for a tensor: to_host (the producer's refusals), then t.numpy()."""
    host, a, sdt, sdev = to_host(t)
    return write_frame(tensor_header(array_header(str(a.dtype), a.shape), host.shape, str(host.dtype), sdt, sdev),
                       [element_bytes(a)])


def frame_of_value(value: dict) -> bytes:
    """The frame an encoder writes for a canonical tensor value ([torch.encode.refuse])."""
    arr = value["array"]
    if TORCH_TO_NUMPY.get(value["dtype"]) != arr["dtype"]:
        raise Refused("E_DTYPE_MISMATCH", "dtype and nested dtype disagree")
    data = value_bytes(arr)
    if "sourceDtype" in value:
        if value["dtype"] != "torch.float32":
            raise Refused("E_DTYPE_MISMATCH", "sourceDtype on another dtype")
        if any(struct.unpack_from("<I", data, i)[0] & 0xFFFF for i in range(0, len(data), 4)):
            raise Refused("E_VALUE_DOMAIN", "not a bfloat16 value")
    from .ndarray_frame import check_elements
    check_elements(arr["dtype"], data)
    return write_frame(tensor_header(array_header(arr["dtype"], arr["shape"]), arr["shape"], value["dtype"],
                                     value.get("sourceDtype"), value.get("sourceDevice")), [data])


def _tensor_tail(header, data, d, spans):
    nested = header["value"]
    used = set()
    i = ref_index(nested.get("data"), len(spans), used)
    arr = decode_array(nested, span(data, d, spans, i))
    all_referred(used, len(spans))
    return arr


def sanity_decode_frame(vid, inp, value):
    data = base64.b64decode(inp["base64"], validate=True)
    header, d, spans = read_frame(data)
    assert header["__tywrap__"] == "torch.tensor" and header["encoding"] == "ndarray", vid
    nested = header["value"]
    assert nested["__tywrap__"] == "ndarray" and nested["encoding"] == "frame" and "buffers" not in nested, vid
    assert header["codecVersion"] == 1 and nested["codecVersion"] == 1 and header["device"] == "cpu", vid
    arr = _tensor_tail(header, data, d, spans)
    assert TORCH_TO_NUMPY[header["dtype"]] == arr["dtype"] and header["shape"] == arr["shape"], vid
    got = make_value(header["dtype"], arr, header.get("sourceDtype"), header.get("sourceDevice"))
    assert got == value, f"{vid}: frame decodes to {got}, expected {value}"
    tensor_of_value(value)  # the bfloat16 claim holds


TORCH_BASE = ["torch.dtype.table", "torch.value", "torch.nested-version", "torch.nested",
              "torch.dtype.agreement", "torch.shape.agreement", "torch.elements", "canonical.tensor",
              "ndarray.dtype.table", "canonical.ndarray.bytes"]
ENC = ["frame.encode", "frame.buffers", "frame.padding", "torch.encode.members", "canonical.tensor",
       "canonical.ndarray.bytes"]
BF16 = ["torch.source-dtype", "torch.bfloat16"]


def frame_vectors(S: Suite):
    made = []

    def add(vid, desc, expr, clauses=(), tags=None):
        t = run(expr)
        data = tensor_frame(t)
        value = tensor_value(t)
        assert same_tensor(tensor_of_value(value), t.detach().contiguous()), vid
        assert frame_of_value(value) == data, vid
        cl = ["frame.encode"] + FRAME_BASE + list(clauses) + TORCH_BASE + (BF16 if "sourceDtype" in value else [])
        S.valid(vid, desc, uniq(cl), B(data), value, src(expr), tags)
        made.append((vid, value))
        return vid

    for suffix, expr, desc, encs in DTYPES + SHAPES:
        extra = []
        if suffix == "float32-2x3":
            from .ndarray_frame import FRAME_ALL
            extra = FRAME_ALL + ["torch.encodings", "torch.required", "torch.device", "torch.shape"]
        if "nan" in suffix or "int64-extremes" in suffix or "uint64-extremes" in suffix:
            extra = ["frame.values"]
        vid = add(f"torch-frame-{suffix}", f"tensor frame {desc}", expr, extra,
                  tags=["boundary"] if "64d" in suffix or "0d" in suffix else None)
        members = [vid] + [f"torch-{e}-{suffix}" for e in ("arrow", "json") if e[0] in encs]
        S.group(f"eq-torch-frame-{suffix}", f"tensor {desc}: frame and nested {'/'.join(m.split('-')[1] for m in members[1:])}",
                members)
    for suffix, view, copy, desc in LAYOUTS:
        vid = add(f"torch-frame-{suffix}", f"tensor frame {desc}, written in C order", view,
                  ["torch.encode.refuse", "ndarray.encode.c-order"])
        S.group(f"eq-torch-frame-{suffix}", f"tensor {desc}: frame of the view, arrow and json of its copy",
                [vid, f"torch-arrow-{suffix}-copy", f"torch-json-{suffix}-copy"])

    # sourceDevice: hand-written as in torch_tensor.source_vectors (no GPU here)
    t = run(F32_PAIR)
    host, a, _, _ = to_host(t)
    data = write_frame(tensor_header(array_header(str(a.dtype), a.shape), host.shape, str(host.dtype), None,
                                     "cuda:0"), [element_bytes(a)])
    value = with_(tensor_value(t), sourceDevice="cuda:0")
    assert frame_of_value(value) == data
    S.valid("torch-frame-float32-pair-source-device", "tensor frame float32 pair copied from cuda:0",
            uniq(["torch.source-device", "frame.encode"] + FRAME_BASE + TORCH_BASE), B(data), value,
            hand(CUDA_WHY.format(expr=F32_PAIR)))
    made.append(("torch-frame-float32-pair-source-device", value))
    S.group("eq-torch-frame-float32-pair-source-device", "tensor float32 pair from cuda:0: frame, arrow, json",
            ["torch-frame-float32-pair-source-device", "torch-arrow-float32-pair-source-device",
             "torch-json-float32-pair-source-device"])
    S.group("eq-torch-frame-bfloat16-claim", "bfloat16 tensor and a float32 tensor claiming bfloat16: frame and json",
            ["torch-frame-bfloat16", "torch-arrow-float32-claims-bfloat16", "torch-json-bfloat16"])

    for vid, value in made:
        _, vec = S.vectors[vid]
        name = vid[len("torch-frame-"):]
        extra = BF16 if "sourceDtype" in value else []
        extra += ["torch.source-device"] if "sourceDevice" in value else []
        S.encode(f"torch-frame-encode-{name}", f"tensor frame encoder writes exactly: {vec['description'][13:]}",
                 uniq(ENC + extra), value, "frame", {"roundtrip": True, "bytes": vec["input"]["base64"]},
                 vec["source"])
    # the json encoder's refusals are values a frame carries
    for name, expr, desc in [("float32-nan", "torch.tensor([1.0, float('nan')])", "float32 1.0 and NaN"),
                             ("bfloat16-nan", "torch.tensor([float('nan'), 1.0], dtype=torch.bfloat16)",
                              "bfloat16-sourced NaN and 1.0"),
                             ("int64-2-53", "torch.tensor([2**53])", "int64 2^53"),
                             ("uint64-max", "torch.tensor([2**64 - 1], dtype=torch.uint64)", "uint64 max")]:
        t = run(expr)
        value = tensor_value(t)
        data = tensor_frame(t)
        assert frame_of_value(value) == data
        S.encode(f"torch-frame-encode-beyond-json-{name}",
                 f"tensor frame encoder writes exactly {desc}, which the json encoder refuses",
                 uniq(ENC + ["frame.values", "torch.encode.refuse"] + (BF16 if "sourceDtype" in value else [])),
                 value, "frame", {"roundtrip": True, "bytes": B(data)["base64"]}, src(expr))

    def refuse(name, desc, clauses, value, code, source):
        try:
            frame_of_value(value)
        except (Refused, FrameError) as e:
            assert e.code == code, (name, e)
        else:
            raise AssertionError(f"{name}: not refused")
        S.encode(f"torch-frame-encode-refuse-{name}", f"tensor frame encoder refuses {desc}", clauses, value,
                 "frame", {"error": code}, source)

    f32 = tensor_value(run(F32_PAIR))
    refuse("int64-over-float32", "dtype torch.int64 over a float32 array",
           ["torch.encode.refuse", "torch.dtype.agreement", "frame.encode", "canonical.tensor"],
           with_(f32, dtype="torch.int64"), "E_DTYPE_MISMATCH", src(F32_PAIR, "canonical value's dtype -> torch.int64"))
    tenth = "torch.tensor([1.0, 0.1])"
    refuse("bfloat16-tenth", "a bfloat16-sourced float32 0.1", ["torch.encode.refuse", "torch.bfloat16", "frame.encode"],
           with_(tensor_value(run(tenth)), sourceDtype=BFLOAT16), "E_VALUE_DOMAIN",
           src(tenth, "sourceDtype torch.bfloat16 added to the canonical value"))
    refuse("hex-short", "a float32 pair whose hex is one byte short",
           ["canonical.ndarray.lowercase", "torch.encode.refuse", "frame.encode"],
           with_(f32, array=with_(f32["array"], hex=f32["array"]["hex"][:-2])), "E_SHAPE_MISMATCH",
           src(F32_PAIR, "canonical value's array.hex cut by one byte"))
    bexpr = "torch.tensor([True, False])"
    bv = tensor_value(run(bexpr))
    refuse("bool-02", "a bool tensor value holding the byte 02", ["frame.values", "frame.encode", "canonical.tensor"],
           with_(bv, array=with_(bv["array"], hex="0102")), "E_VALUE_DOMAIN", src(bexpr, "array.hex 0100 -> 0102"))

    invalid_vectors(S)


def invalid_vectors(S: Suite):
    F = tensor_frame(run(F32_PAIR))
    header, bufs = split(F)
    nested = header["value"]
    assert header["buffers"] == [[0, 8]] and list(header)[:4] == ["__tywrap__", "codecVersion", "encoding", "value"]

    def bad(name, desc, clauses, data, code, m, expr=F32_PAIR, tags=None):
        checked(data, code, clauses, _tensor_tail, known=READER)
        S.invalid(f"torch-frame-invalid-{name}", desc, clauses, B(data), code, src(expr, m), tags=tags)

    def hdr(bufs_=bufs, **kv):
        return rebuild(with_(header, **kv), bufs_)

    def nest(bufs_=bufs, **kv):
        return rebuild(with_(header, value=with_(nested, **kv)), bufs_)

    FE = ["frame.envelope"]
    TN = ["torch.nested"]
    bad("dtype-disagreement", "tensor frame whose dtype torch.int32 is over a float32 array",
        ["torch.dtype.agreement"] + FE, hdr(dtype="torch.int32"), "E_DTYPE_MISMATCH",
        "header: dtype torch.float32 -> torch.int32 (same item size)")
    bad("nested-dtype-disagreement", "tensor frame whose nested dtype int32 is under torch.float32",
        ["torch.dtype.agreement"] + TN + FE, nest(dtype="int32"), "E_DTYPE_MISMATCH",
        "nested dtype float32 -> int32 (same item size)")
    bad("shape-disagreement", "tensor frame whose shape [1, 2] is over a nested [2]",
        ["torch.shape.agreement"] + FE, hdr(shape=[1, 2]), "E_SHAPE_MISMATCH", "header: shape [2] -> [1, 2]")
    one = "torch.tensor([1.5])"
    h1, b1 = split(tensor_frame(run(one)))
    bad("shape-0d-over-1", "tensor frame whose shape [] is over a nested [1]", ["torch.shape.agreement"] + FE,
        rebuild(with_(h1, shape=[]), b1), "E_SHAPE_MISMATCH", "header: shape [1] -> []", expr=one)
    bad("nested-buffers-member", "tensor frame whose nested envelope has a buffers member of its own",
        ["envelope.unknown-fields"] + TN + FE, nest(buffers=[[0, 8]]), "E_UNKNOWN_FIELD",
        "nested: buffers [[0, 8]] added")
    bad("buffers-only-nested", "tensor frame with buffers in the nested envelope instead of the header",
        ["frame.buffers", "frame.envelope"], rebuild(with_(without(header, "buffers"),
                                                            value=with_(nested, buffers=[[0, 8]])), bufs),
        "E_MISSING_FIELD", "buffers moved from the header into the nested envelope")
    bad("outer-encoding-frame", "tensor frame whose own encoding is frame", ["torch.encodings", "envelope.encoding"] + FE,
        hdr(encoding="frame"), "E_ENCODING_UNSUPPORTED", "header: encoding ndarray -> frame")
    from .torch_tensor import tensor_env
    jnested = tensor_env(run(F32_PAIR), "json")["value"]
    bad("nested-encoding-json", "tensor frame whose nested envelope is json with data inline, no buffers",
        ["ndarray.encodings", "envelope.encoding"] + TN + FE,
        rebuild(with_(header, value=jnested, buffers=[]), []), "E_ENCODING_UNSUPPORTED",
        "nested: the json envelope of the same tensor; buffers [] and the buffer removed")
    bad("no-codec-version", "tensor frame whose header has no codecVersion: no v0 frames",
        ["frame.codec-version", "envelope.codec-version", "torch.legacy-v0"] + FE,
        rebuild(without(header, "codecVersion"), bufs), "E_CODEC_VERSION", "header: codecVersion removed")
    bad("nested-no-codec-version", "tensor frame whose nested envelope has no codecVersion",
        ["torch.nested-version", "frame.codec-version"] + FE,
        rebuild(with_(header, value=without(nested, "codecVersion")), bufs), "E_CODEC_VERSION",
        "nested: codecVersion removed")
    tenth = "torch.tensor([1.0, 0.1])"
    ht, bt = split(tensor_frame(run(tenth)))
    bad("bfloat16-claim-false", "tensor frame claiming bfloat16 over a float32 0.1", ["torch.bfloat16"] + FE,
        rebuild(dict(list(ht.items())[:-1] + [("sourceDtype", BFLOAT16), ("buffers", ht["buffers"])]), bt),
        "E_VALUE_DOMAIN", "header: sourceDtype torch.bfloat16 added", expr=tenth)
    bad("nested-length", "tensor frame whose buffer holds 4 bytes for two float32",
        ["frame.lengths"] + TN, rebuild(with_(header, buffers=[[0, 4]]), [bufs[0][:4]]), "E_SHAPE_MISMATCH",
        "buffer cut from 8 to 4 bytes")
    bad("nested-data-index-1", "tensor frame whose nested data refers to buffer 1 of one",
        ["frame.references"] + TN, nest(data=1), "E_FRAME_LAYOUT", "nested: data 0 -> 1")
    bad("nested-data-string", "tensor frame whose nested data is the string \"0\"",
        ["frame.references", "envelope.field-types"] + TN, nest(data="0"), "E_FIELD_TYPE", 'nested: data 0 -> "0"')
    bad("outer-data-member", "tensor frame with data 0 in the header as well as in the nested envelope",
        ["envelope.unknown-fields"] + FE,
        rebuild(dict(list(header.items())[:-1] + [("data", 0), ("buffers", header["buffers"])]), bufs),
        "E_UNKNOWN_FIELD", "header: data 0 added before buffers")
    bexpr = "torch.tensor([True, False, True])"
    hb, bb = split(tensor_frame(run(bexpr)))
    bad("bool-02", "bool tensor frame whose second element is the byte 02", ["frame.values"] + TN,
        rebuild(hb, [b"\x01\x02\x01"]), "E_VALUE_DOMAIN", "element 1: 00 -> 02", expr=bexpr)
    bad("trailing-byte", "tensor frame followed by one zero byte", ["frame.buffers"], F + b"\x00",
        "E_FRAME_LAYOUT", "byte 00 appended")
    S.invalid("torch-frame-invalid-json-nested-encoding-frame",
              "JSON tensor envelope whose nested ndarray says encoding frame, data 0",
              ["ndarray.encodings", "torch.nested", "frame.envelope", "envelope.encoding"],
              J(without(header, "buffers")), "E_ENCODING_UNSUPPORTED",
              src(F32_PAIR, "the frame's header, without buffers, sent as a JSON envelope"), schema_valid=False)
