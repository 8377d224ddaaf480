#!/usr/bin/env python3
"""Deliberately faulty variants of sciwire-py, to measure the vector suite.

    python3 conformance/harnesses/python/mutants.py NAME     # the harness, with one fault
    python3 conformance/harnesses/python/mutants.py --list
    python3 conformance/harnesses/python/mutants.py --verify [NAME ...]
    python3 conformance/harnesses/python/mutants.py --write-json [NAME ...]

Each mutant is one fault a real implementation could plausibly have, applied
by monkeypatching the (correct) package at run time: the package itself has
no mutant switches. A suite "kills" a mutant when at least one vector changes
verdict under it; mutants.json lists, per mutant, vectors that must fail.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from contextlib import contextmanager

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import sciwire_py as sw  # noqa: E402
from sciwire_py import arrow_ipc, decoder, dtypes, encoder, estimator, flame, frame, jsontext, sparse, tensor  # noqa: E402
from sciwire_py.errors import SciwireError  # noqa: E402


from mutants_registry import MUTANTS, PREFER, SIDE, Patcher, mutant  # noqa: E402,F401


# --- JSON text ---------------------------------------------------------------

@mutant("duplicate-keys-last-wins",
        "JSON objects keep the last of repeated member names instead of rejecting them (Python's json, JSON.parse)",
        prefer=("invalid-json-duplicate-shape", "invalid-json-duplicate-escaped-name", "invalid-json-duplicate-marker",
                "invalid-json-duplicate-surrogate-pair", "invalid-json-duplicate-before-garbage"))
def _(p):
    p.set(decoder, "parse_text",
          lambda data, limits: jsontext.parse(jsontext.decode_utf8(data), limits.max_depth, duplicate_keys=True))


@mutant("no-depth-limit", "the JSON parser has no nesting limit (an iterative parser that never counts depth)")
def _(p):
    p.set(decoder, "parse_text",
          lambda data, limits: jsontext.parse(jsontext.decode_utf8(data), limits.max_depth, depth_limit=False))


@mutant("python-json-module",
        "parses with Python's json module: NaN/Infinity literals, lone surrogate escapes, last duplicate wins, "
        "recursion limit instead of the depth limit",
        prefer=("invalid-json-nan-literal", "invalid-json-infinity-literal", "invalid-json-lone-high-surrogate",
                "invalid-json-duplicate-shape", "invalid-json-100001-brackets"))
def _(p):
    def parse_text(data, limits):
        text = jsontext.decode_utf8(data)
        try:
            return json.loads(text, parse_int=float, parse_float=float, parse_constant=float)
        except json.JSONDecodeError as e:
            raise SciwireError("E_JSON_SYNTAX", str(e), "json.syntax")
    p.set(decoder, "parse_text", parse_text)


@mutant("no-input-size-limit", "max_input_bytes is never checked: the whole input is read and parsed")
def _(p):
    p.set(decoder, "check_input_bytes", lambda nbytes, limits: None)


# --- the envelope --------------------------------------------------------------

@mutant("ignore-codec-version", "codecVersion is read for presence only: any value counts as version 1",
        prefer=("invalid-codec-version-2", "invalid-codec-version-0", "invalid-codec-version-string",
                "invalid-codec-version-null", "invalid-json-codec-version-1e400"))
def _(p):
    p.set(decoder, "check_codec_version", lambda v: 1 if "codecVersion" in v else 0)


@mutant("accept-unknown-members", "members that are neither common, of the encoding, nor x- are ignored")
def _(p):
    p.set(decoder, "check_members", lambda v, marker, encoding: None)


@mutant("shape-truncates-fractions", "shape entries are converted with int(): 1.5 becomes 1, -0.5 becomes 0")
def _(p):
    def check_shape(v):
        if "shape" not in v:
            return None
        s = v["shape"]
        if not jsontext.is_array(s):
            raise SciwireError("E_FIELD_TYPE", "shape is not an array", "ndarray.shape.items")
        out = []
        for item in s:
            if not isinstance(item, float) or not np.isfinite(item) or int(item) < 0 or int(item) > 2**53 - 1:
                raise SciwireError("E_SHAPE_INVALID", "bad shape entry", "ndarray.shape.items")
            out.append(int(item))
        return tuple(out)
    p.set(decoder, "check_shape", check_shape)


@mutant("elements-product-wraps", "the element count is a 64-bit product that wraps around instead of stopping "
        "at max_elements")
def _(p):
    def element_count(shape, limits):
        prod = 1
        for d in shape:
            prod = (prod * d) % 2**64
        if prod > limits.max_elements:
            raise SciwireError("E_LIMIT_EXCEEDED", "too many elements", "limits.elements")
        return prod
    p.set(decoder, "element_count", element_count)


# --- the json encoding -------------------------------------------------------------

@mutant("json-fortran-order", "json data is read in Fortran order (the first index varies fastest)",
        prefer=("json-float64-2x3", "json-int32-3d", "json-int32-2x3-fortran", "v0-json-float64-2x3-no-shape",
                "encode-json-float64-2x3"))
def _(p):
    orig = decoder.json_leaves

    def json_leaves(data, shape):
        leaves = orig(data, shape)
        if len(leaves) > 1:
            order = np.arange(len(leaves)).reshape(shape, order="F").ravel(order="C")
            leaves = leaves[order] if isinstance(leaves, np.ndarray) else [leaves[i] for i in order]
        return leaves
    p.set(decoder, "json_leaves", json_leaves)


@mutant("float16-float32-rounded", "inexact float16/float32 json values are rounded to the nearest value (or "
        "overflow to infinity) instead of being rejected",
        prefer=("invalid-json-value-float16-tenth", "invalid-json-value-float32-tenth", "invalid-json-value-float16-65520",
                "invalid-json-value-float32-underflow", "invalid-json-value-float16-half-subnormal"))
def _(p):
    def json_float_exact(a, dtype):
        with np.errstate(over="ignore"):
            return a.astype(dtype.numpy())
    p.set(decoder, "json_float_exact", json_float_exact)


@mutant("json-unsafe-integers", "integer leaves are checked against the dtype's range only, not against "
        "+-(2^53-1), so 2^53 and beyond are accepted")
def _(p):
    p.set(decoder, "json_int_range", lambda dtype: dtype.int_range())


@mutant("bool-accepts-0-1", "bool json leaves 0 and 1 are accepted as false and true")
def _(p):
    orig = decoder.json_values

    def json_values(leaves, dtype):
        if dtype.kind == "bool":
            if isinstance(leaves, np.ndarray):
                leaves = leaves.tolist()
            leaves = [bool(x) if isinstance(x, float) and x in (0.0, 1.0) else x for x in leaves]
        return orig(leaves, dtype)
    p.set(decoder, "json_values", json_values)


# --- the arrow encoding ------------------------------------------------------------

@mutant("base64-unpadded", "base64 without its = padding is accepted (padding is added back before decoding)")
def _(p):
    orig_check = decoder.check_b64_canonical

    def repad(s):
        return s + "=" * (-len(s) % 4) if len(s) % 4 in (2, 3) else s

    p.set(decoder, "check_b64_canonical", lambda s: orig_check(repad(s)))
    p.set(decoder, "b64_decode", lambda s: base64.b64decode(repad(s)))


@mutant("base64-unused-bits", "base64 whose unused low bits before the padding are not zero is accepted "
        "(a decoder that checks only the alphabet and length)")
def _(p):
    loose = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")

    def check(s):
        if not loose.fullmatch(s):
            raise SciwireError("E_BASE64", "not base64", "ndarray.arrow.base64")
    p.set(decoder, "check_b64_canonical", check)
    p.set(decoder, "b64_decode", lambda s: base64.b64decode(s))


@mutant("accept-ipc-file", "an Arrow IPC file (ARROW1 magic, footer) is accepted as well as a stream")
def _(p):
    orig = decoder.read_arrow_stream

    def read(payload):
        if payload[:6] == b"ARROW1":
            try:
                return arrow_ipc.read_stream(payload[8:], allow_trailing=True)
            except arrow_ipc.ArrowPayloadError as e:
                raise decoder._payload_error(e) from None
        return orig(payload)
    p.set(decoder, "read_arrow_stream", read)


@mutant("trailing-bytes-after-eos", "bytes after the end-of-stream marker are ignored (a reader that stops at EOS)")
def _(p):
    def read(payload):
        try:
            return arrow_ipc.read_stream(payload, allow_trailing=True)
        except arrow_ipc.ArrowPayloadError as e:
            raise decoder._payload_error(e) from None
    p.set(decoder, "read_arrow_stream", read)


@mutant("accept-big-endian-schema", "the schema's endianness is not checked; the buffers are read as little-endian")
def _(p):
    p.set(arrow_ipc, "check_endianness", lambda schema: None)


@mutant("stale-null-count", "a field node's null_count is trusted without comparing it with the validity bitmap")
def _(p):
    p.set(arrow_ipc, "check_validity", lambda bitmap, length, null_count: None)


@mutant("many-batches-concatenated", "several record batches are concatenated instead of rejected")
def _(p):
    orig_len = decoder.column_length

    def check_batches(stream):
        if len(stream.batches) > 1:
            first = stream.batches[0]
            # concatenate fixed-width values of all batches into the first
            parts = []
            for rb in stream.batches:
                off, ln = rb.buffers[1]
                parts.append(bytes(rb.body[off:off + ln]))
            total = sum(rb.length for rb in stream.batches)
            body = b"".join(parts)
            first.body = memoryview(b"\x00" * 0 + body)
            first.buffers = [(0, 0), (0, len(body))]
            first.nodes = [(total, 0)]
            first.length = total
            stream.batches[:] = [first]
    p.set(decoder, "check_batches", check_batches)
    p.set(decoder, "column_length", orig_len)


@mutant("no-arrow-type-check", "the Arrow column type is not compared with dtype: the values buffer is read as "
        "dtype (tywrap 0.10's behaviour)",
        prefer=("invalid-arrow-type-int32-as-float32", "invalid-arrow-type-timestamp-utc-as-datetime64-ns",
                "invalid-arrow-type-large-utf8-as-str", "invalid-arrow-type-uint16-words-as-float16",
                "invalid-arrow-type-int64-as-uint64"))
def _(p):
    orig = decoder.check_type

    def check_type(f, dtype):
        return dtype if dtype is not None else orig(f, dtype)
    p.set(decoder, "check_type", check_type)


@mutant("skip-element-count", "the Arrow column length is not compared with the shape's element count")
def _(p):
    p.set(decoder, "check_length", lambda length, count, shape: None)


@mutant("arrow-nulls-as-zeros", "Arrow nulls are not rejected: the values buffer's bytes under a null are used")
def _(p):
    p.set(decoder, "check_nulls", lambda stream: None)


@mutant("strings-trailing-nul", "string elements ending with U+0000 / 00 are accepted (numpy then strips them)")
def _(p):
    def arrow_strings(rb, dtype, length):
        offs = np.frombuffer(decoder._buffer(rb, 1), dtype="<i4", count=length + 1).tolist()
        data = decoder._buffer(rb, 2)
        out = []
        for k in range(length):
            raw = bytes(data[offs[k]:offs[k + 1]])
            item = raw.decode("utf-8") if dtype.kind == "str" else raw
            if len(item) > dtype.width:
                raise SciwireError("E_VALUE_DOMAIN", "element too long", "ndarray.arrow.strings")
            out.append(item)
        return out
    p.set(decoder, "arrow_strings", arrow_strings)


@mutant("v0-skips-element-count", "legacy v0 envelopes skip the element-count checks, as tywrap's decoder does")
def _(p):
    state = {"v0": False}
    orig_decode_value = decoder.decode_value
    orig_check_length = decoder.check_length
    orig_leaves = decoder.json_leaves

    def decode_value(v, limits=sw.Limits()):
        state["v0"] = isinstance(v, dict) and "codecVersion" not in v
        try:
            return orig_decode_value(v, limits)
        finally:
            state["v0"] = False

    def check_length(length, count, shape):
        if not state["v0"]:
            orig_check_length(length, count, shape)

    def json_leaves(data, shape):
        if state["v0"]:
            # flatten whatever is there, ignoring the shape
            out, stack = [], [data]
            while stack:
                x = stack.pop()
                if jsontext.is_array(x):
                    stack.extend(reversed(list(x)))
                else:
                    out.append(x)
            return out
        return orig_leaves(data, shape)
    p.set(decoder, "decode_value", decode_value)
    p.set(decoder, "check_length", check_length)
    p.set(decoder, "json_leaves", json_leaves)


# --- the encoder -----------------------------------------------------------------

@mutant("json-encoder-nan-as-null", "the json encoder writes NaN and infinity as null instead of refusing them",
        prefer=("encode-json-refuse-float64-nan", "encode-json-refuse-float64-nan-payload", "encode-json-refuse-float32-inf",
                "encode-json-refuse-float16-nan", "encode-json-refuse-float64-nan-in-2x3"))
def _(p):
    orig = encoder.json_payload

    def json_payload(arr, d):
        if d.kind == "float":
            data = np.where(np.isfinite(arr), arr, 0).tolist()
            flat_bad = (~np.isfinite(arr)).reshape(-1).tolist()
            return _replace_nonfinite(data, flat_bad)
        return orig(arr, d)
    p.set(encoder, "json_payload", json_payload)


def _replace_nonfinite(data, flat_bad):
    it = iter(flat_bad)

    def walk(x):
        if isinstance(x, list):
            return [walk(y) for y in x]
        return None if next(it) else x
    return walk(data)


@mutant("arrow-encoder-date32-wraps", "the arrow encoder casts datetime64[D] days to int32 without a range check, "
        "wrapping them as pyarrow does")
def _(p):
    p.set(encoder, "DATE32_MIN", -(2**63))
    p.set(encoder, "DATE32_MAX", 2**63 - 1)


@mutant("arrow-encoder-cuts-at-nul", "the arrow encoder converts <U/|S arrays with pa.array on the numpy array, "
        "which cuts each element at its first zero")
def _(p):
    import pyarrow as pa
    orig = encoder.arrow_column

    def arrow_column(arr, d):
        if d.kind in ("str", "bytes"):
            flat = arr.reshape(-1)
            cut = [x.split("\x00")[0] if d.kind == "str" else x.split(b"\x00")[0] for x in flat.tolist()]
            return pa.array(cut, type=pa.string() if d.kind == "str" else pa.binary())
        return orig(arr, d)
    p.set(encoder, "arrow_column", arrow_column)


# --- scipy.sparse ---------------------------------------------------------------------

@mutant("sparse-indptr-not-monotonic", "indptr is checked only at its ends (starts at 0, ends at nnz): a "
        "decreasing step inside is accepted", side="decode")
def _(p):
    def check_indptr(indptr, nnz):
        if indptr[0] != 0 or indptr[-1] != nnz:
            raise SciwireError("E_SPARSE_INDEX", "indptr does not run from 0 to nnz", "sparse.indptr")
    p.set(sparse, "check_indptr", check_indptr)


@mutant("sparse-index-range-off-by-one", "indices are compared with the shape using <= instead of <: an index "
        "equal to the dimension is accepted", side="decode")
def _(p):
    def check_index_range(fmt, shape, index1, index2):
        pairs = {"csr": [(index1, shape[1])], "csc": [(index1, shape[0])],
                 "coo": [(index1, shape[0]), (index2, shape[1])]}[fmt]
        for arr, bound in pairs:
            if arr.size and int(arr.max()) > bound:
                raise SciwireError("E_SPARSE_INDEX", "index outside the shape", "sparse.index-range")
    p.set(sparse, "check_index_range", check_index_range)


@mutant("sparse-sum-duplicates", "the decoder puts the matrix in canonical format (scipy's sum_duplicates(): "
        "duplicates summed, indices sorted) instead of keeping the stored entries", side="decode")
def _(p):
    def stored_entries(fmt, shape, data, index1, index2):
        m = sparse.to_scipy(fmt, shape, data, index1, index2)
        m.sum_duplicates()
        if fmt == "coo":
            return np.asarray(m.data), np.asarray(m.row, dtype=np.int64), np.asarray(m.col, dtype=np.int64)
        return np.asarray(m.data), np.asarray(m.indices, dtype=np.int64), np.asarray(m.indptr, dtype=np.int64)
    p.set(sparse, "stored_entries", stored_entries)


@mutant("sparse-unsafe-integers", "int64/uint64 sparse values are range-checked against the dtype only (tywrap "
        "checks 8/16/32-bit integers): values beyond +-(2^53-1) are accepted", side="decode")
def _(p):
    orig = sparse.data_values

    def data_values(data, dtype):
        if dtype.name in ("int64", "uint64"):
            saved = decoder.json_int_range
            decoder.json_int_range = lambda d: d.int_range()
            try:
                return orig(data, dtype)
            finally:
                decoder.json_int_range = saved
        return orig(data, dtype)
    p.set(sparse, "data_values", data_values)


@mutant("sparse-v0-lenient", "a legacy v0 sparse envelope without dtype or shape is accepted, as tywrap reads it: "
        "dtype float64, shape from the largest indices", side="decode")
def _(p):
    orig = sparse.decode_sparse

    def decode_sparse(v, version, limits=sw.Limits()):
        if version == 0 and isinstance(v, dict) and ("dtype" not in v or "shape" not in v):
            v = dict(v)
            v.setdefault("dtype", "float64")
            if "shape" not in v:
                def top(name):
                    arr = v.get(name)
                    items = arr.items() if isinstance(arr, jsontext.NumberArray) else (arr or [])
                    return int(max(items, default=-1)) + 1
                fmt = v.get("format")
                if fmt == "coo":
                    v["shape"] = [jsontext.JsonInt(top("row")), jsontext.JsonInt(top("col"))]
                elif fmt == "csr":
                    v["shape"] = [jsontext.JsonInt(max(len(v.get("indptr") or [0]) - 1, 0)),
                                  jsontext.JsonInt(top("indices"))]
                else:
                    v["shape"] = [jsontext.JsonInt(top("indices")),
                                  jsontext.JsonInt(max(len(v.get("indptr") or [0]) - 1, 0))]
        return orig(v, version, limits)
    p.set(sparse, "decode_sparse", decode_sparse)


# --- torch.tensor ----------------------------------------------------------------------

@mutant("torch-scalar-shape-exception", "outer shape [] is accepted over a nested [1] and the reverse (tywrap's "
        "decoder lets one stand for the other)", side="decode")
def _(p):
    orig = tensor.check_shape_agreement

    def check_shape_agreement(shape, nested_shape):
        if shape is not None and {tuple(shape), tuple(nested_shape)} == {(), (1,)}:
            return
        orig(shape, nested_shape)
    p.set(tensor, "check_shape_agreement", check_shape_agreement)


@mutant("torch-no-dtype-agreement", "the torch dtype is not compared with the nested array's dtype (tywrap 0.10)", side="decode")
def _(p):
    p.set(tensor, "check_dtype_agreement", lambda dtype, nested_dtype: None)


@mutant("torch-any-device", "device is checked to be a string only: cuda:0 and other devices are accepted "
        "(tywrap 0.10)", side="decode")
def _(p):
    def check_device(v):
        if "device" in v and not isinstance(v["device"], str):
            raise SciwireError("E_FIELD_TYPE", "device is not a string", "torch.device")
    p.set(tensor, "check_device", check_device)


@mutant("torch-nested-v0-in-v1", "a version 1 torch.tensor envelope may hold a legacy v0 ndarray envelope (no "
        "nested codecVersion required)", side="decode")
def _(p):
    p.set(tensor, "check_nested_version", lambda nested, version: None)


@mutant("torch-no-bfloat16-check", "sourceDtype torch.bfloat16 is taken on trust: float32 elements that are not "
        "bfloat16 values are accepted", side="decode")
def _(p):
    p.set(tensor, "check_bfloat16", lambda arr: None)


# --- sklearn.estimator -----------------------------------------------------------------

@mutant("sklearn-int-float-conflated", "params numbers lose their kind, as in JavaScript: a float with an "
        "integral value (1.0, -0.0) is read as the integer", side="decode")
def _(p):
    orig = estimator.plain

    def plain(x):
        out = orig(x)

        def conflate(y):
            if isinstance(y, dict):
                return {k: conflate(z) for k, z in y.items()}
            if isinstance(y, list):
                return [conflate(z) for z in y]
            if type(y) is float and y.is_integer():
                return int(y)
            return y
        return conflate(out)
    p.set(estimator, "plain", plain)


@mutant("sklearn-version-null-rejected", "\"version\": null is rejected as not a string (tywrap's decoder "
        "rejects its own producer's envelope)", side="decode")
def _(p):
    orig = estimator.check_version

    def check_version(v):
        if v["version"] is None:
            raise SciwireError("E_FIELD_TYPE", "version is not a string", "sklearn.version", "/version")
        return orig(v)
    p.set(estimator, "check_version", check_version)


@mutant("sklearn-nested-envelope-accepted", "objects with a __tywrap__ member inside params are kept as plain "
        "objects (tywrap 0.10)", side="decode")
def _(p):
    p.set(estimator, "check_no_envelope", lambda params: None)


@mutant("sklearn-class-name-unchecked", "className and module are checked to be non-empty strings only, not "
        "identifiers (tywrap 0.10)", side="decode")
def _(p):
    def loose(member, clause):
        def check(v):
            x = v[member]
            if not isinstance(x, str):
                raise SciwireError("E_FIELD_TYPE", f"{member} is not a string", clause)
            if not x:
                raise SciwireError("E_VALUE_DOMAIN", f"{member} is empty", clause)
            return x
        return check
    p.set(estimator, "check_class_name", loose("className", "sklearn.class-name"))
    p.set(estimator, "check_module", loose("module", "sklearn.module"))


@mutant("sklearn-no-params-size-limit", "params are read whatever their size: no max_params_values (the whole "
        "tree is built)", side="decode")
def _(p):
    p.set(estimator, "check_params_size", lambda params, limits: None)


@mutant("sklearn-unsafe-integers", "integers in params are not range-checked: beyond +-(2^53-1) they are "
        "accepted (and rounded by a JavaScript reader)", side="decode")
def _(p):
    def number_ok(x):
        return isinstance(x, jsontext.JsonInt) or np.isfinite(x)
    p.set(estimator, "number_ok", number_ok)


# --- encoders of the new envelopes ----------------------------------------------------

@mutant("sparse-encoder-unsafe-integers", "the sparse encoder writes int64/uint64 values beyond +-(2^53-1) as raw "
        "JSON integers (tywrap 0.10's producer) instead of refusing them", side="encode")
def _(p):
    orig = sparse.json_refuse

    def json_refuse(data, dtype):
        if dtype.kind != "float":
            return
        orig(data, dtype)
    p.set(sparse, "json_refuse", json_refuse)


@mutant("torch-encoder-no-dtype-agreement", "the torch encoder writes the tensor's dtype over a nested array of "
        "another dtype instead of refusing the value", side="encode")
def _(p):
    p.set(tensor, "encode_dtype_agreement", lambda dtype, array_dtype: None)


@mutant("sklearn-encoder-integral-floats-as-integers", "the estimator encoder writes a float with an integral "
        "value as an integer (1.0 as 1), as JavaScript's JSON.stringify does", side="encode")
def _(p):
    orig = estimator._json_ready

    def json_ready(x):
        out = orig(x)

        def conflate(y):
            if isinstance(y, dict):
                return {k: conflate(z) for k, z in y.items()}
            if isinstance(y, list):
                return [conflate(z) for z in y]
            if type(y) is float and y.is_integer():
                return int(y)
            return y
        return conflate(out)
    p.set(estimator, "_json_ready", json_ready)


# --- binary frames (spec/src/frame.md) ----------------------------------------------

@mutant("frame-padding-unchecked", "the padding after the header and between buffers is skipped, not checked to "
        "be zero", prefer=("padding-byte-01", "padding-space"), prefix="ndarray-frame-invalid-", side="decode")
def _(p):
    p.set(frame, "check_padding", lambda mem, h, d, buffers: None)


@mutant("frame-trailing-bytes-ignored", "bytes after the last buffer are ignored (a reader that stops where the "
        "envelope's buffers end)", side="decode")
def _(p):
    orig = frame.check_layout

    def check_layout(buffers, h, size):
        end = 0
        for off, length in buffers:
            end = off + length
        d = frame.align(frame.PREFIX + h)
        return orig(buffers, h, min(size, d + end))
    p.set(frame, "check_layout", check_layout)


@mutant("frame-alignment-unchecked", "a buffer may start anywhere at or after the end of the one before (and "
        "buffer 0 anywhere): offsets are not checked against the 64-byte layout", side="decode")
def _(p):
    def check_layout(buffers, h, size):
        d = frame.align(frame.PREFIX + h)
        end = 0
        for k, (off, length) in enumerate(buffers):
            if off < end:
                raise SciwireError("E_FRAME_LAYOUT", f"buffers[{k}] overlaps the one before", "frame.buffers")
            end = off + length
        if d + end != size:
            raise SciwireError("E_FRAME_LAYOUT", "the frame does not end where its last buffer ends",
                               "frame.buffers")
        return d
    p.set(frame, "check_layout", check_layout)

    def check_padding(mem, h, d, buffers):  # the gaps it does know about are still checked
        gaps, end = [(frame.PREFIX + h, d)], 0
        for off, length in buffers:
            gaps.append((d + end, d + off))
            end = off + length
        for a, b in gaps:
            if b > a and bytes(mem[a:b]).count(0) != b - a:
                raise SciwireError("E_FRAME_LAYOUT", "non-zero padding", "frame.padding")
    p.set(frame, "check_padding", check_padding)


@mutant("frame-buffer-overlap-accepted", "buffers are checked one by one (aligned, inside the input), not against "
        "each other: overlapping and out-of-order buffers are accepted", side="decode")
def _(p):
    def check_layout(buffers, h, size):
        d = frame.align(frame.PREFIX + h)
        end = 0
        for k, (off, length) in enumerate(buffers):
            if off % frame.ALIGN or d + off + length > size:
                raise SciwireError("E_FRAME_LAYOUT", f"buffers[{k}] is misplaced", "frame.buffers")
            end = max(end, off + length)
        if d + end != size:
            raise SciwireError("E_FRAME_LAYOUT", "the frame does not end where its buffers end", "frame.buffers")
        return d
    p.set(frame, "check_layout", check_layout)
    p.set(frame, "check_padding", lambda mem, h, d, buffers: None)  # the gaps are not known


@mutant("frame-header-length-unchecked", "H is not checked against the input's length: the header is the slice "
        "input[16:16+H], which Python cuts short at the end of the input", side="decode")
def _(p):
    def check_header_length(mem):
        if len(mem) < frame.PREFIX:
            raise SciwireError("E_FRAME_LAYOUT", "no room for the prefix", "frame.header-length")
        return int.from_bytes(bytes(mem[12:16]), "little")
    p.set(frame, "check_header_length", check_header_length)


@mutant("frame-limits-after-layout", "the sum of the buffers' lengths is compared with max_decoded_bytes only "
        "after the layout is compared with the input (a huge claim is a layout error, not a limit)", side="decode")
def _(p):
    orig_limits, orig_layout = frame.check_buffer_limits, frame.check_layout

    def check_layout(buffers, h, size):
        d = orig_layout(buffers, h, size)
        orig_limits(buffers, sw.Limits())
        return d
    p.set(frame, "check_buffer_limits", lambda buffers, limits: None)
    p.set(frame, "check_layout", check_layout)


@mutant("frame-bool-bytes-unchecked", "bool element bytes in a frame are not checked: 02 and ff are kept (numpy "
        "reads them as True)", side="decode")
def _(p):
    p.set(frame, "check_bool_bytes", lambda raw, path: None)


@mutant("frame-buffer-index-wraps", "a buffer index is not range-checked: it is taken modulo the number of "
        "buffers, so -1 is the last buffer (Python's list indexing) and one past the end is the first",
        side="decode")
def _(p):
    orig = frame.reference

    def reference(v, name, path_prefix=""):
        fr = frame.active()
        x = v[name]
        if decoder.is_integer_value(x) and len(fr):
            v = dict(v)
            v[name] = jsontext.JsonInt(int(x) % len(fr))
        return orig(v, name, path_prefix)
    p.set(frame, "reference", reference)


@mutant("frame-buffer-referred-twice", "a buffer may be referred to by two members (no record of which buffers "
        "are taken)", side="decode")
def _(p):
    p.set(frame, "check_not_referred", lambda fr, i, name, path: None)


@mutant("frame-unreferenced-buffer-accepted", "a buffer that no member refers to is accepted (the frame carries "
        "bytes its envelope does not name)", side="decode")
def _(p):
    p.set(frame, "check_all_referred", lambda fr: None)


@mutant("frame-writer-pads-to-8", "the frame writer aligns the header's end and each buffer to 8 bytes instead "
        "of 64", side="encode")
def _(p):
    p.set(frame, "writer_align", lambda n: -(-n // 8) * 8)


@mutant("frame-writer-spaced-header", "the frame writer writes the header with spaces after ':' and ',' (Python's "
        "json.dumps default) instead of no whitespace", side="encode")
def _(p):
    p.set(frame, "header_text", lambda header: json.dumps(header, ensure_ascii=False, allow_nan=False)
          .encode("utf-8"))


# --- the flame profile (spec/src/flame.md) ----------------------------------------

@mutant("flame-trailing-bytes-ignored",
        "bytes after a tensor's body are ignored (flamepy 0.6.0 does so): only a truncated body is rejected",
        prefer=("invalid-trailing-1", "invalid-trailing-16", "invalid-trailing-tensor",
                "invalid-order-message-before-type"),
        prefix="flame-", side="decode")
def _(p):
    orig = flame.check_message

    def check_message(msg, m, n):
        return orig(msg, m, min(n, 8 + m + max(msg.body_length, 0)))
    p.set(flame, "check_message", check_message)


@mutant("flame-strides-ignored",
        "a tensor's strides are never read: the body is taken as row-major, so Fortran-ordered data comes out"
        " transposed and strides no array has are accepted",
        prefer=("tensor-float64-2x3-fortran", "tensor-int32-2x3-fortran", "invalid-strides-negative",
                "invalid-strides-padded", "invalid-strides-count-short"),
        prefix="flame-", side="decode")
def _(p):
    p.set(flame, "check_strides", lambda msg, shape, dtype, count: "C")


@mutant("flame-bool-guessed-from-values",
        "a uint8 tensor whose elements are all 0 or 1 is decoded as bool (what flamepy wrote for a numpy bool"
        " array), guessing from the values",
        prefer=("tensor-uint8-from-bool", "tensor-uint8-from-bool-0d"),
        prefix="flame-", side="decode")
def _(p):
    orig = flame.decode_tensor

    def decode_tensor(payload, limits):
        d = orig(payload, limits)
        a = d.array
        if d.dtype.name == "uint8" and a is not None and a.size and int(a.max()) <= 1:
            return decoder.Decoded(dtypes.lookup("bool"), d.shape, a.astype(bool))
        return d
    p.set(flame, "decode_tensor", decode_tensor)


@mutant("flame-unknown-tag-as-pickle",
        "FLM alone, or FLM with a tag from 05 up, is reported as a refused pickle (flamepy hands it to "
        "cloudpickle.loads) instead of E_FLAME_TAG",
        prefer=("invalid-tag-none", "invalid-tag-05-alone", "invalid-tag-05", "invalid-tag-ff"),
        prefix="flame-", side="decode")
def _(p):
    def check_tag(data):
        if len(data) < 4 or data[3] > flame.TAG_BATCH:
            raise SciwireError("E_PICKLE_REFUSED", "not a tag flamepy reads: a pickle", "flame.pickle")
        return data[3]
    p.set(flame, "check_tag", check_tag)


@mutant("flame-unprefixed-read-as-json",
        "an input without the FLM prefix is read by the default entry point (JSON text or a sciwire frame) "
        "instead of being refused as the pickle flamepy would load",
        prefer=("invalid-pickle-sciwire-json", "invalid-pickle-sciwire-frame", "invalid-pickle-empty",
                "invalid-pickle-legacy-dict", "invalid-pickle-lowercase-prefix"),
        prefix="flame-", side="decode")
def _(p):
    orig = flame.decode

    def decode(data, limits=flame.DEFAULT_LIMITS):
        if bytes(data[:3]) != flame.PREFIX:
            return sw.decode(data, limits)
        return orig(data, limits)
    p.set(flame, "decode", decode)


@mutant("flame-flatbuffer-unverified",
        "the Message flatbuffer is read without a verifier: a field, vector or string past the end of the "
        "metadata reads as zeros (vectors cut to the bytes present), as an unchecked accessor over a "
        "zero-filled buffer would",
        prefer=("invalid-flatbuffer-data-field", "invalid-flatbuffer-shape-count"),
        prefix="flame-", side="decode")
def _(p):
    def need(self, pos, size, align, what):
        return None

    def scalar(self, pos, fmt, what):
        size = flame.struct.calcsize("<" + fmt)
        if pos < 0 or pos + size > self.n:
            return 0
        return flame.struct.unpack_from("<" + fmt, self.b, pos)[0]
    orig_vector = flame._FbTable.vector

    def vector(self, i, elem_size, name):
        r = orig_vector(self, i, elem_size, name)
        if r is None:
            return None
        start, n = r
        return start, max(0, min(n, (self.fb.n - start) // max(elem_size, 1)))

    def string(self, i, name):
        r = self.vector(i, 1, name)
        return None if r is None else bytes(self.fb.b[r[0]:r[0] + r[1]]).decode("utf-8", "replace")
    p.set(flame._Fb, "need", need)
    p.set(flame._Fb, "scalar", scalar)
    p.set(flame._FbTable, "vector", vector)
    p.set(flame._FbTable, "string", string)


@mutant("flame-body-padding-unbounded",
        "a tensor's body may be longer than its data buffer by any number of bytes (the padding is not "
        "bounded to 8)",
        prefer=("invalid-body-padded-past-8",),
        prefix="flame-", side="decode")
def _(p):
    p.set(flame, "BODY_ALIGN", 2**62)


@mutant("flame-body-padding-refused",
        "a tensor's body must be exactly its data buffer: the 8-byte padding Arrow's format allows is "
        "rejected",
        prefer=("tensor-hand-int32-1d-body-padded",),
        prefix="flame-", side="decode")
def _(p):
    p.set(flame, "BODY_ALIGN", 1)


@mutant("flame-dim-names-dropped",
        "TensorDim names are silently dropped instead of rejected",
        prefer=("invalid-dim-name", "invalid-order-metadata-before-data"),
        prefix="flame-", side="decode")
def _(p):
    orig = flame.check_metadata

    def check_metadata(msg):
        return orig(flame.TensorMessage(msg.version, msg.header_type, msg.has_header, msg.body_length,
                                        msg.custom_metadata, dims=[(s, None) for s, _ in msg.dims]))
    p.set(flame, "check_metadata", check_metadata)


@mutant("flame-custom-metadata-dropped",
        "the Message's custom_metadata is silently dropped instead of rejected",
        prefer=("invalid-custom-metadata", "invalid-custom-metadata-empty-key"),
        prefix="flame-", side="decode")
def _(p):
    orig = flame.check_metadata

    def check_metadata(msg):
        return orig(flame.TensorMessage(msg.version, msg.header_type, msg.has_header, msg.body_length, 0,
                                        dims=msg.dims))
    p.set(flame, "check_metadata", check_metadata)


@mutant("flame-dim-sizes-unchecked",
        "TensorDim sizes are used as the int64s they are: negative sizes and sizes past 2^53-1 are not "
        "rejected as an invalid shape",
        prefer=("invalid-shape-negative", "invalid-shape-2-53", "invalid-shape-int64-min",
                "invalid-shape-negative-second", "invalid-order-shape-before-metadata"),
        prefix="flame-", side="decode")
def _(p):
    p.set(flame, "check_shape", lambda msg: tuple(size for size, _name in msg.dims))


@mutant("flame-encoder-writes-bool",
        "the flame encoder writes a bool array as an unsigned 8-bit Int tensor (as flamepy does) instead of "
        "refusing it",
        prefer=("encode-refuse-bool", "encode-refuse-bool-0d"),
        prefix="flame-", side="encode")
def _(p):
    arrow_of = dict(flame._ARROW_OF, bool=(flame.T_INT, 8, False))
    p.set(flame, "_ARROW_OF", arrow_of)


@mutant("flame-encoder-fortran-strides",
        "the flame encoder writes column-major strides for the row-major elements it writes",
        prefer=("encode-float64-2x3", "encode-int32-2x3", "encode-int8-2x3", "encode-float16-2x3"),
        prefix="flame-", side="encode")
def _(p):
    p.set(flame, "writer_strides", lambda shape, itemsize, count: flame.f_strides(shape, itemsize))


# --- dataframe and series: mutants_table.py ------------------------------------------

import mutants_table  # noqa: E402,F401  (registers them here, after the others)

# --- the flame profile's streams: mutants_flame.py -----------------------------------

import mutants_flame  # noqa: E402,F401  (registers them here, after the table ones)


# -----------------------------------------------------------------------------------

@contextmanager
def applied(name):
    p = Patcher()
    MUTANTS[name][1](p)
    try:
        yield
    finally:
        p.undo()


def _vectors():
    sys.path.insert(0, os.path.join(HERE, "tests"))
    import vectors as V
    return V


def verify(names=None, full=True, out=sys.stdout):
    """Run the vectors under each mutant; return {name: [failing ids]}."""
    V = _vectors()
    vecs, _groups = V.load_all()
    baseline = {vid: V.judge(v, sw)[0] for vid, v in vecs.items()}
    assert all(baseline.values()), [k for k, ok in baseline.items() if not ok]
    result = {}
    for name in names or MUTANTS:
        with applied(name):
            fails = [vid for vid, v in sorted(vecs.items()) if not V.judge(v, sw)[0]]
        result[name] = fails
        if out:
            print(f"{name}: {len(fails)} vectors fail" + (f" (e.g. {', '.join(fails[:4])})" if fails else
                                                           "  ** SURVIVES **"), file=out)
    return result


def write_json(path=os.path.join(HERE, "mutants.json"), per=5, names=None):
    """mutants.json from a full run: each mutant's kills are a handful of the
    vectors that fail under it, chosen to spread over clauses (and, for a
    mutant with a ``side``, among the vectors of that direction). With
    ``names``, only those mutants' entries are rewritten; the others keep
    theirs."""
    old = {}
    if names and os.path.exists(path):
        with open(path) as f:
            old = {m["name"]: m for m in json.load(f)}
    res = verify(names=names, out=sys.stderr)
    V = _vectors()
    vecs, _groups = V.load_all()
    doc = []
    for name, (desc, _fn) in MUTANTS.items():
        if names and name not in names:
            if name in old:
                doc.append(old[name])
            continue
        fails = res[name]
        if SIDE.get(name):
            same = [v for v in fails if vecs[v].get("direction", "decode") == SIDE[name]]
            fails = same or fails
        picked, seen = [v for v in PREFER[name] if v in fails][:per], set()
        for vid in fails:   # prefer variety: one per id stem first
            stem = re.sub(r"-[^-]+$", "", vid)
            if stem not in seen and vid not in picked:
                picked.append(vid)
                seen.add(stem)
        for vid in fails:
            if len(picked) >= per:
                break
            if vid not in picked:
                picked.append(vid)
        doc.append({"name": name, "description": desc,
                    "command": f"python3 conformance/harnesses/python/mutants.py {name}",
                    "kills": sorted(picked[:per])})
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    return doc


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "--list":
        for name, (desc, _fn) in MUTANTS.items():
            print(f"{name}: {desc}")
        return 0
    if argv[0] == "--verify":
        res = verify(argv[1:] or None)
        return 1 if any(not f for f in res.values()) else 0
    if argv[0] == "--write-json":
        write_json(names=argv[1:] or None)
        return 0
    name = argv[0]
    if name not in MUTANTS:
        print(f"unknown mutant {name!r}; --list shows them", file=sys.stderr)
        return 2
    p = Patcher()
    MUTANTS[name][1](p)
    import harness
    harness.IMPLEMENTATION["version"] = f"{sw.__version__}+mutant.{name}"
    return harness.main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
