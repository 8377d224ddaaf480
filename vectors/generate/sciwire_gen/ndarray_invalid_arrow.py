"""Invalid ndarray vectors in the Arrow payload: base64, the IPC stream and its messages, the
flatbuffers, buffers, schema, column type, length, nulls and strings. Most are pyarrow's output
for a real array, patched in place (arrowbytes.py); the mutation is in `source.mutation`.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

import struct

from .arrowbytes import (FbStr, FbStructs, FbT, FbTable, FbVec, encapsulate, fb_serialize, first,
                         messages, patch, rb_body, rb_buffers, rb_field_nodes, schema_message_int64,
                         u32)
from .common import HOSTILE_BUDGET, J, Suite, b64, dtype_row, hand, with_, without
from .ndarray_producer import (arrow_env, canon, column_stream, env_arrow_raw, producer_payload, run,
                               src, write_stream)


def arrow_invalid_vectors(S: Suite):
    base64_vectors(S)
    stream_vectors(S)
    schema_type_vectors(S)
    length_null_string_vectors(S)
    flatbuffer_vectors(S)


B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def base64_vectors(S: Suite):
    e3x = "np.arange(3)"
    e3 = arrow_env(run(e3x))
    t3 = e3["b64"]
    assert "+" in t3 and "/" in t3 and not t3.endswith("=")
    e2x = "np.array([1, 2], dtype=np.int32)"
    e2 = arrow_env(run(e2x))
    t2 = e2["b64"]
    assert t2.endswith("A=") and not t2.endswith("==")
    e1x = "np.arange(3.0)"
    e1 = arrow_env(run(e1x))
    t1 = e1["b64"]
    assert t1.endswith("AA==")

    def bump(text, pos):
        i = B64_ALPHABET.index(text[pos])
        return text[:pos] + B64_ALPHABET[i + 1] + text[pos + 1:]

    p3 = producer_payload(run(e3x))
    for vid, desc, (expr, env), b, m in [
            ("ndarray-invalid-base64-space", "a space inside b64", (e3x, e3), t3[:40] + " " + t3[40:],
             "space inserted at 40"),
            ("ndarray-invalid-base64-leading-space", "b64 starting with a space", (e3x, e3), " " + t3,
             "leading space"),
            ("ndarray-invalid-base64-trailing-space", "b64 ending with a space", (e3x, e3), t3 + " ",
             "trailing space"),
            ("ndarray-invalid-base64-tab", "a tab inside b64", (e3x, e3), t3[:4] + "\t" + t3[4:],
             "tab inserted at 4"),
            ("ndarray-invalid-base64-mime-lines", "b64 broken into 76-character lines", (e3x, e3),
             "\n".join(t3[i:i + 76] for i in range(0, len(t3), 76)), "LF every 76 characters"),
            ("ndarray-invalid-base64-trailing-crlf", "b64 ending with CR LF", (e3x, e3), t3 + "\r\n",
             "CR LF appended"),
            ("ndarray-invalid-base64-url-safe", "b64 in the URL-safe alphabet", (e3x, e3),
             t3.replace("+", "-").replace("/", "_"), "+ -> -, / -> _"),
            ("ndarray-invalid-base64-one-url-safe-char", "one _ in otherwise standard b64", (e3x, e3),
             t3.replace("/", "_", 1), "first / -> _"),
            ("ndarray-invalid-base64-missing-double-padding", "b64 without its == padding",
             (e1x, e1), t1[:-2], "== removed"),
            ("ndarray-invalid-base64-missing-single-padding", "b64 without its = padding",
             (e2x, e2), t2[:-1], "= removed"),
            ("ndarray-invalid-base64-half-padding", "b64 with = where == belongs", (e1x, e1), t1[:-1],
             "last = removed"),
            ("ndarray-invalid-base64-extra-padding", "b64 followed by ====", (e3x, e3), t3 + "====",
             "==== appended"),
            ("ndarray-invalid-base64-padding-in-middle", "a padded group followed by more b64",
             (e3x, e3), b64(p3[:1]) + b64(p3[1:]), "first byte encoded separately, padding kept"),
            ("ndarray-invalid-base64-equals-in-middle", "one symbol replaced by =", (e3x, e3),
             t3[:8] + "=" + t3[9:], "symbol 8 -> ="),
            ("ndarray-invalid-base64-unused-bits-double", "non-zero unused bits before ==", (e1x, e1),
             bump(t1, -3), "last symbol before == bumped so its low 4 bits are 0001"),
            ("ndarray-invalid-base64-unused-bits-single", "non-zero unused bits before =", (e2x, e2),
             bump(t2, -2), "last symbol before = bumped so its low 2 bits are 01"),
            ("ndarray-invalid-base64-length-not-multiple-4", "b64 with its last symbol removed",
             (e3x, e3), t3[:-1], "last symbol removed"),
            ("ndarray-invalid-base64-non-ascii", "an e-acute inside b64", (e3x, e3),
             t3[:8] + "\u00e9" + t3[9:], "symbol 8 -> U+00E9"),
            ("ndarray-invalid-base64-nul", "a NUL character inside b64", (e3x, e3),
             t3[:8] + "\u0000" + t3[9:], "symbol 8 -> U+0000"),
            ("ndarray-invalid-base64-only-padding", "b64 ====", (e3x, e3), "====", "b64 -> ===="),
            ("ndarray-invalid-base64-one-symbol", "b64 of one symbol", (e3x, e3), "A", "b64 -> A"),
            ("ndarray-invalid-base64-three-padding", "b64 A===", (e3x, e3), "A===", "b64 -> A===")]:
        assert b != env["b64"]
        S.invalid(vid, desc, ["ndarray.arrow.base64"], J(with_(env, b64=b)), "E_BASE64",
                  src(expr, m), schema_valid=False)
    for vid, desc, v in [
            ("ndarray-invalid-base64-number", "b64 5", 5),
            ("ndarray-invalid-base64-null", "b64 null", None),
            ("ndarray-invalid-base64-array", "b64 as an array of one string", [t3]),
            ("ndarray-invalid-base64-bytes-array", "b64 as an array of byte values", [255, 255])]:
        S.invalid(vid, desc, ["ndarray.arrow.base64", "envelope.field-types"],
                  J(with_(e3, b64=v)), "E_FIELD_TYPE", src(e3x, "b64 replaced by a non-string"),
                  schema_valid=False)
    f = pa.BufferOutputStream()
    t = pa.Table.from_arrays([pa.array(np.arange(3))], names=["value"])
    with pa.ipc.new_file(f, t.schema) as w:
        w.write_table(t)
    file_b64 = b64(f.getvalue().to_pybytes()) + "\n"
    S.invalid("ndarray-invalid-base64-before-stream", "IPC file payload whose b64 also ends in LF",
              ["ndarray.arrow.base64", "ndarray.arrow.stream"], J(with_(e3, b64=file_b64)),
              "E_BASE64", src("pa.ipc.new_file(sink, table.schema).write_table(table)",
                              "IPC file format instead of a stream; LF appended to b64"),
              schema_valid=False, tags=["processing-order"])


def stream_vectors(S: Suite):
    x = "np.arange(3.0)"
    P = producer_payload(run(x))
    ms = messages(P)
    sch, rb, eos = ms
    assert (sch.kind, rb.kind, eos.kind) == ("schema", "recordbatch", "eos")
    EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"
    ST = ["ndarray.arrow.stream"]

    def pl(vid, desc, payload, m, clauses=ST, expr=x, shape=(3,), dtype="float64", budget=None,
           tags=None, source=None):
        assert payload != P or source is not None
        S.invalid(vid, desc, clauses, J(env_arrow_raw(payload, list(shape), dtype)),
                  "E_ARROW_PAYLOAD", source or src(expr, m), schema_valid=True, budget=budget,
                  tags=tags)

    pl("ndarray-invalid-arrow-empty-payload", "empty payload, b64 \"\"", b"", "payload emptied")
    pl("ndarray-invalid-arrow-eos-only", "payload holding only the end-of-stream marker", EOS,
       "payload replaced by the EOS marker")
    f = pa.BufferOutputStream()
    t = pa.Table.from_arrays([pa.array(run(x))], names=["value"])
    with pa.ipc.new_file(f, t.schema) as w:
        w.write_table(t)
    pl("ndarray-invalid-arrow-ipc-file", "IPC file format (ARROW1 magic) instead of a stream",
       f.getvalue().to_pybytes(), "written with pa.ipc.new_file instead of new_stream")
    for vid, desc, cut in [
            ("ndarray-invalid-arrow-truncated-continuation", "payload cut inside the first continuation",
             2),
            ("ndarray-invalid-arrow-truncated-metadata-length", "payload cut inside the metadata length",
             6),
            ("ndarray-invalid-arrow-truncated-schema-metadata", "payload cut inside the schema metadata",
             sch.end - 24),
            ("ndarray-invalid-arrow-truncated-batch-metadata",
             "payload cut inside the record batch metadata", rb.fb + 16),
            ("ndarray-invalid-arrow-truncated-body", "payload cut inside the record batch body",
             rb.body + 8),
            ("ndarray-invalid-arrow-missing-eos", "payload without the end-of-stream marker", rb.end),
            ("ndarray-invalid-arrow-truncated-eos", "payload cut inside the end-of-stream marker",
             rb.end + 4)]:
        pl(vid, desc, P[:cut], f"truncated to {cut} of {len(P)} bytes")
    pl("ndarray-invalid-arrow-legacy-eos", "stream ending with the pre-0.15 4-byte EOS 00000000",
       P[:rb.end] + b"\x00" * 4, "EOS replaced by 00 00 00 00")
    pl("ndarray-invalid-arrow-trailing-zeros", "16 zero bytes after the end-of-stream marker",
       P + bytes(16), "16 zero bytes appended")
    pl("ndarray-invalid-arrow-trailing-byte", "one byte after the end-of-stream marker",
       P + b"\x00", "one zero byte appended")
    pl("ndarray-invalid-arrow-second-eos", "end-of-stream marker twice", P + EOS, "EOS appended")
    pl("ndarray-invalid-arrow-two-streams", "two whole streams back to back", P + P,
       "payload repeated", shape=(6,))
    pl("ndarray-invalid-arrow-second-schema", "a second schema message after the first",
       P[:sch.end] + P[:sch.end] + P[sch.end:], "schema message repeated")
    pl("ndarray-invalid-arrow-schema-after-batch", "a schema message after the record batch",
       P[:rb.end] + P[:sch.end] + EOS, "schema message inserted before EOS")
    pl("ndarray-invalid-arrow-no-schema", "stream starting with the record batch",
       P[sch.end:], "schema message removed")
    sink = pa.BufferOutputStream()
    pa.ipc.write_tensor(pa.Tensor.from_numpy(np.arange(3.0)), sink)
    tensor = sink.getvalue().to_pybytes()
    assert messages(tensor + EOS)[0].kind == "tensor"
    pl("ndarray-invalid-arrow-tensor-message", "a Tensor message between schema and batch",
       P[:sch.end] + tensor + P[sch.end:],
       "pa.ipc.write_tensor(pa.Tensor.from_numpy(np.arange(3.0))) message inserted after the schema")
    dx = "pa.array(['a', 'b', 'a']).dictionary_encode()"
    dpay = column_stream(run(dx))
    assert [m.kind for m in messages(dpay)] == ["schema", "dictionary", "recordbatch", "eos"]
    pl("ndarray-invalid-arrow-dictionary-batch", "dictionary-encoded column: a DictionaryBatch message",
       dpay, "one-column stream of a dictionary array", clauses=ST + ["ndarray.arrow.schema"],
       expr=dx, dtype="<U1")
    for codec in ("zstd", "lz4"):
        cpay = column_stream(pa.array(run(x)), options=pa.ipc.IpcWriteOptions(compression=codec))
        assert first(cpay, "recordbatch").header.field_pos(3) is not None
        pl(f"ndarray-invalid-arrow-compressed-{codec}", f"record batch body compressed with {codec}",
           cpay, f"written with IpcWriteOptions(compression='{codec}')")
    pl("ndarray-invalid-arrow-no-continuation", "pre-0.15 messages without the continuation marker",
       column_stream(pa.array(run(x)), options=pa.ipc.IpcWriteOptions(use_legacy_format=True)),
       "written with IpcWriteOptions(use_legacy_format=True)")
    v4 = column_stream(pa.array(run(x)), options=pa.ipc.IpcWriteOptions(
        metadata_version=pa.ipc.MetadataVersion.V4))
    pl("ndarray-invalid-arrow-metadata-v4", "messages with metadata version V4", v4,
       "written with IpcWriteOptions(metadata_version=MetadataVersion.V4)")
    pl("ndarray-invalid-arrow-metadata-v6", "schema message with an unknown metadata version 5 (V6)",
       patch(P, sch.root.field_pos(0), "<h", 5), "Message.version 4 -> 5")

    # big-endian: a hand-built Schema message with endianness Big, body byte-swapped to match
    ix = "np.arange(3)"
    IP = producer_payload(run(ix))
    irb = first(IP, "recordbatch")
    (_, _, vo, vl) = rb_buffers(IP)[1]
    body = bytearray(IP[irb.pos:irb.end])
    start = irb.body - irb.pos + vo
    for k in range(start, start + vl, 8):
        body[k:k + 8] = body[k:k + 8][::-1]
    be = schema_message_int64(1) + bytes(body) + EOS
    assert pa.ipc.open_stream(be).read_all().column(0).to_pylist() == [0, 1, 2]
    pl("ndarray-invalid-arrow-big-endian", "schema with endianness Big (pyarrow reads it as 0, 1, 2)",
       be, "", dtype="int64",
       source=hand("Schema message built by this generator's flatbuffer writer with endianness Big; "
                   "record batch from pyarrow's stream for np.arange(3) with its values byte-swapped"))

    # corrupted flatbuffers
    pl("ndarray-invalid-arrow-flatbuffer-root-offset", "schema flatbuffer root offset out of bounds",
       patch(P, sch.fb, "<I", 0x7FFFFFF0), "schema Message root offset -> 0x7ffffff0")
    field = sch.header.vector(1)
    fpos = field[2] + u32(P, field[2])
    name_slot = FbTable(P, fpos).field_pos(0)
    name_pos = name_slot + u32(P, name_slot)
    assert P[name_pos + 4:name_pos + 9] == b"value"
    pl("ndarray-invalid-arrow-flatbuffer-name-length", "field name string length past the metadata",
       patch(P, name_pos, "<I", 0x7FFFFFFF), "Field.name length 5 -> 0x7fffffff")
    nodes_len_pos = rb.header.vector(1)[0]
    pl("ndarray-invalid-arrow-flatbuffer-nodes-length", "field node vector length past the metadata",
       patch(P, nodes_len_pos, "<I", 0x0FFFFFFF), "RecordBatch.nodes length 1 -> 0x0fffffff")
    vt = rb.header.vt
    pl("ndarray-invalid-arrow-flatbuffer-vtable-size", "record batch vtable size past the metadata",
       patch(P, vt, "<H", 0xFFF0), "RecordBatch vtable size -> 0xfff0")

    # lengths that point outside the bytes present
    HB = HOSTILE_BUDGET
    pl("ndarray-invalid-arrow-metadata-length-negative", "metadata length -2^31",
       patch(P, 4, "<i", -2**31), "schema metadata length -> -2147483648", budget=HB, tags=["hostile"])
    pl("ndarray-invalid-arrow-metadata-length-huge", "metadata length 2^31-1 with 300 bytes present",
       patch(P, 4, "<i", 2**31 - 1), "schema metadata length -> 2147483647", budget=HB,
       tags=["hostile"])
    pl("ndarray-invalid-arrow-metadata-length-past-end", "metadata length a little past the end",
       patch(P, 4, "<i", len(P)), f"schema metadata length -> {len(P)}")
    pl("ndarray-invalid-arrow-metadata-length-zero-first", "metadata length 0 before any schema",
       patch(P, 4, "<i", 0), "schema metadata length -> 0 (an EOS marker first)")
    pl("ndarray-invalid-arrow-body-length-2-40", "record batch bodyLength 2^40",
       patch(P, rb.body_len_pos, "<q", 2**40), "Message.bodyLength -> 2^40", budget=HB,
       tags=["hostile"])
    pl("ndarray-invalid-arrow-body-length-negative", "record batch bodyLength -1",
       patch(P, rb.body_len_pos, "<q", -1), "Message.bodyLength -> -1", tags=["hostile"])
    pl("ndarray-invalid-arrow-body-length-swallows-eos", "bodyLength 8 longer, taking in the EOS",
       patch(P, rb.body_len_pos, "<q", rb.body_len + 8), "Message.bodyLength + 8")
    bufs = rb_buffers(P)
    (off_pos, len_pos, vo, vl) = bufs[1]
    pl("ndarray-invalid-arrow-buffer-past-body", "values buffer starting at the end of the body",
       patch(P, off_pos, "<q", rb.body_len), f"Buffer[1].offset {vo} -> {rb.body_len}")
    pl("ndarray-invalid-arrow-buffer-length-2-40", "values buffer length 2^40",
       patch(P, len_pos, "<q", 2**40), "Buffer[1].length -> 2^40", budget=HB, tags=["hostile"])
    pl("ndarray-invalid-arrow-buffer-offset-negative", "values buffer offset -8",
       patch(P, off_pos, "<q", -8), "Buffer[1].offset -> -8", tags=["hostile"])
    pl("ndarray-invalid-arrow-buffer-offset-2-63", "values buffer offset 2^63-1, overflowing a sum",
       patch(P, off_pos, "<q", 2**63 - 1), "Buffer[1].offset -> 2^63-1", budget=HB, tags=["hostile"])
    # A uint8 column whose values buffer moves 4 bytes into its padding: still
    # inside the body and long enough, so only the alignment rule rejects it.
    u8_expr = "np.array([1, 2, 3], dtype=np.uint8)"
    U8 = producer_payload(run(u8_expr))
    (u8_off_pos, _, u8_vo, u8_vl) = rb_buffers(U8)[1]
    u8_body, u8_body_len = rb_body(U8)
    assert u8_vo + 4 + u8_vl <= u8_body_len
    S.invalid("ndarray-invalid-arrow-buffer-unaligned", "values buffer at an offset that is not a multiple of 8",
              ["ndarray.arrow.stream"], J(env_arrow_raw(patch(U8, u8_off_pos, "<q", u8_vo + 4), [3], "uint8")),
              "E_ARROW_PAYLOAD", src(u8_expr, f"Buffer[1].offset {u8_vo} -> {u8_vo + 4}"), schema_valid=True)
    pl("ndarray-invalid-arrow-no-field-nodes", "record batch with no field node for the column",
       patch(P, nodes_len_pos, "<I", 0), "RecordBatch.nodes length 1 -> 0")
    buffers_len_pos = rb.header.vector(2)[0]
    pl("ndarray-invalid-arrow-no-buffers", "record batch naming no buffers for a float64 column",
       patch(P, buffers_len_pos, "<I", 0), "RecordBatch.buffers length 2 -> 0",
       tags=["interpretation"])
    pl("ndarray-invalid-arrow-values-buffer-short", "values buffer of 16 bytes for 3 float64 values",
       patch(P, len_pos, "<q", 16), "Buffer[1].length 24 -> 16", tags=["interpretation"])

    # Utf8 data that is not UTF-8, and offsets that leave the data buffer
    for vid, desc, expr, n in [
            ("ndarray-invalid-arrow-utf8-invalid-bytes", "Utf8 column holding the bytes ff fe",
             "pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(np.array([0, 2], "
             "dtype='<i4').tobytes()), pa.py_buffer(b'\\xff\\xfe')])", 1),
            ("ndarray-invalid-arrow-utf8-surrogate", "Utf8 column holding an encoded surrogate",
             "pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(np.array([0, 3], "
             "dtype='<i4').tobytes()), pa.py_buffer(b'\\xed\\xa0\\x80')])", 1),
    ]:
        payload = column_stream(run(expr))
        pl(vid, desc, payload, "", clauses=ST + ["ndarray.arrow.strings"], expr=expr, shape=(n,),
           dtype="<U2", tags=["interpretation"],
           source=src(expr, "array from buffers (UTF-8 not validated), written as a stream"))
    # Contents are checked only after the type: the same broken Utf8 column
    # under a float64 dtype is a type mismatch, not a malformed payload.
    expr = ("pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(np.array([0, 2], "
            "dtype='<i4').tobytes()), pa.py_buffer(b'\\xff\\xfe')])")
    S.invalid("ndarray-invalid-arrow-type-before-contents",
              "non-UTF-8 Utf8 column under dtype float64: the type is checked first",
              ["ndarray.arrow.type", "ndarray.arrow.stream"],
              J(env_arrow_raw(column_stream(run(expr)), [1], "float64")), "E_DTYPE_MISMATCH",
              src(expr, "dtype float64 for a Utf8 column"), schema_valid=True, tags=["processing-order"])
    # Buffers hold whole elements: an offsets buffer 3 bytes longer (still
    # inside the body's padding) is malformed. arrow-rs asserted on this.
    expr = "pa.array(['ab'])"
    sp = column_stream(run(expr))
    (o_off_pos, o_len_pos, o_vo, o_vl) = rb_buffers(sp)[1]
    S.invalid("ndarray-invalid-arrow-offsets-buffer-partial-element",
              "Utf8 offsets buffer of 11 bytes: not whole 4-byte offsets",
              ["ndarray.arrow.stream"], J(env_arrow_raw(patch(sp, o_len_pos, "<q", o_vl + 3), [1], "<U2")),
              "E_ARROW_PAYLOAD", src(expr, f"Buffer[1].length {o_vl} -> {o_vl + 3}; found by fuzzing"),
              schema_valid=True)
    expr = "np.array([1, 2, 3], dtype=np.int32)"
    sp = producer_payload(run(expr))
    (_, v_len_pos, _, v_vl) = rb_buffers(sp)[1]
    S.invalid("ndarray-invalid-arrow-values-buffer-partial-element",
              "int32 values buffer of 14 bytes: not whole 4-byte values",
              ["ndarray.arrow.stream"], J(env_arrow_raw(patch(sp, v_len_pos, "<q", v_vl + 2), [3], "int32")),
              "E_ARROW_PAYLOAD", src(expr, f"Buffer[1].length {v_vl} -> {v_vl + 2}"), schema_valid=True)
    for vid, desc, expr, new_offsets in [
            ("ndarray-invalid-arrow-utf8-offsets-past-data", "Utf8 offsets pointing past the data",
             "pa.array(['ab'])", [0, 64]),
            ("ndarray-invalid-arrow-utf8-offsets-decreasing", "Utf8 offsets that decrease",
             "pa.array(['a', 'b'])", [0, 2, 1])]:
        sp = column_stream(run(expr))
        body, _ = rb_body(sp)
        (_, _, oo, ol) = rb_buffers(sp)[1]
        assert ol >= 4 * len(new_offsets)
        for i, v in enumerate(new_offsets):
            sp = patch(sp, body + oo + 4 * i, "<i", v)
        pl(vid, desc, sp, "", clauses=ST + ["ndarray.arrow.strings"], expr=expr,
           shape=(len(new_offsets) - 1,), dtype="<U2", tags=["interpretation"],
           source=src(expr, f"offsets buffer patched to {new_offsets}"))

    # more than one record batch
    BA = ["ndarray.arrow.batches", "ndarray.arrow.stream"]
    tx = "np.arange(4.0)"
    t4 = pa.Table.from_arrays([pa.array(run(tx))], names=["value"])
    two = write_stream(t4.schema, [t4], max_chunksize=2)
    assert [m.kind for m in messages(two)] == ["schema", "recordbatch", "recordbatch", "eos"]
    pl("ndarray-invalid-arrow-two-batches", "two record batches of two rows", two,
       "write_table(table, max_chunksize=2)", clauses=BA, expr=tx, shape=(4,))
    three = write_stream(t4.schema, [t4.slice(0, 3)], max_chunksize=1)
    pl("ndarray-invalid-arrow-three-batches", "three record batches of one row", three,
       "write_table(table.slice(0, 3), max_chunksize=1)", clauses=BA, expr=tx, shape=(3,))
    rbx = "pa.record_batch([pa.array(np.arange(3.0))], names=['value'])"
    full = run(rbx)
    emptyb = full.slice(0, 0)
    pl("ndarray-invalid-arrow-empty-then-full-batch", "an empty record batch before the full one",
       write_stream(full.schema, batches=[emptyb, full]), "write_batch(empty); write_batch(batch)",
       clauses=BA, expr=rbx)
    pl("ndarray-invalid-arrow-two-empty-batches", "two empty record batches for shape [0]",
       write_stream(full.schema, batches=[emptyb, emptyb]), "write_batch(empty) twice",
       clauses=BA, expr=rbx, shape=(0,))
    pl("ndarray-invalid-arrow-batches-before-type", "two record batches and a dtype that differs",
       two, "write_table(table, max_chunksize=2); dtype int64", clauses=BA + ["ndarray.arrow.type"],
       expr=tx, shape=(4,), dtype="int64", tags=["processing-order"])


def schema_type_vectors(S: Suite):
    x = "np.arange(3.0)"
    SC = ["ndarray.arrow.schema"]

    def col(vid, desc, payload, expr, m, code, clauses, shape=(3,), dtype="float64", tags=None,
            source=None):
        S.invalid(vid, desc, clauses, J(env_arrow_raw(payload, list(shape), dtype)), code,
                  source or src(expr, m), schema_valid=True, tags=tags)

    tx = "pa.Table.from_arrays([pa.array(np.arange(3.0)), pa.array(np.arange(3.0))], " \
         "names=['value', 'other'])"
    t = run(tx)
    col("ndarray-invalid-arrow-schema-two-columns", "two columns, the first named value",
        write_stream(t.schema, [t]), tx, "written as a stream", "E_ARROW_SCHEMA", SC)
    tx2 = "pa.Table.from_arrays([pa.array(np.arange(3.0)), pa.array(np.arange(3.0))], " \
          "names=['value', 'value'])"
    t = run(tx2)
    col("ndarray-invalid-arrow-schema-two-value-columns", "two columns both named value",
        write_stream(t.schema, [t]), tx2, "written as a stream", "E_ARROW_SCHEMA", SC)
    for slug, name in [("values", "values"), ("empty-name", ""), ("capitalised", "Value"),
                       ("trailing-space", "value "), ("index-level", "__index_level_0__")]:
        col(f"ndarray-invalid-arrow-schema-column-{slug}", f"one column named {json.dumps(name)}",
            column_stream(pa.array(run(x)), name=name), x, f"column named {json.dumps(name)}",
            "E_ARROW_SCHEMA", SC)
    zx = "pa.schema([])"
    col("ndarray-invalid-arrow-schema-no-columns", "schema with no fields and no batch",
        write_stream(run(zx)), zx, "stream of an empty schema", "E_ARROW_SCHEMA", SC, shape=(0,))
    dx = "pa.array([], pa.string()).dictionary_encode()"
    dpay = column_stream(run(dx))
    assert [m.kind for m in messages(dpay)] == ["schema", "eos"]
    col("ndarray-invalid-arrow-schema-dictionary-field",
        "dictionary-encoded field with zero rows, so no DictionaryBatch", dpay, dx,
        "one-column stream; pyarrow writes no dictionary for zero rows", "E_ARROW_SCHEMA", SC,
        shape=(0,), dtype="<U1")
    col("ndarray-invalid-arrow-schema-before-type", "column named values and of type int32",
        column_stream(pa.array(np.arange(3, dtype=np.int32)), name="values"),
        "pa.array(np.arange(3, dtype=np.int32))", "column named values; dtype float64",
        "E_ARROW_SCHEMA", SC + ["ndarray.arrow.type"], tags=["processing-order"])

    TY = ["ndarray.arrow.type"]
    for slug, expr, dtype in [
            ("int32-as-float32", "pa.array(np.arange(3, dtype=np.int32))", "float32"),
            ("int64-as-uint64", "pa.array(np.arange(3))", "uint64"),
            ("uint64-as-int64", "pa.array(np.arange(3, dtype=np.uint64))", "int64"),
            ("int32-as-int64", "pa.array(np.arange(3, dtype=np.int32))", "int64"),
            ("int64-as-int32", "pa.array(np.arange(3))", "int32"),
            ("int8-as-uint8", "pa.array(np.arange(3, dtype=np.int8))", "uint8"),
            ("float64-as-float16", "pa.array(np.arange(3.0))", "float16"),
            ("uint16-words-as-float16", "pa.array(np.array([15872, 49280, 0], dtype=np.uint16))",
             "float16"),
            ("float32-as-float64", "pa.array(np.arange(3, dtype=np.float32))", "float64"),
            ("float16-as-float32", "pa.array(np.arange(3, dtype=np.float16))", "float32"),
            ("float64-as-int64", "pa.array(np.arange(3.0))", "int64"),
            ("bool-as-uint8", "pa.array(np.array([True, False, True]))", "uint8"),
            ("uint8-as-bool", "pa.array(np.array([1, 0, 1], dtype=np.uint8))", "bool"),
            ("timestamp-utc-as-datetime64-ns", "pa.array([0, 1, 2], pa.timestamp('ns', tz='UTC'))",
             "datetime64[ns]"),
            ("timestamp-ms-as-datetime64-ns", "pa.array([0, 1, 2], pa.timestamp('ms'))",
             "datetime64[ns]"),
            ("int64-as-datetime64-ns", "pa.array(np.arange(3))", "datetime64[ns]"),
            ("timestamp-ns-as-int64", "pa.array([0, 1, 2], pa.timestamp('ns'))", "int64"),
            ("timestamp-s-as-datetime64-d", "pa.array([0, 1, 2], pa.timestamp('s'))",
             "datetime64[D]"),
            ("date64-as-datetime64-d", "pa.array([0, 86400000, 172800000], pa.date64())",
             "datetime64[D]"),
            ("date32-as-datetime64-s", "pa.array([0, 1, 2], pa.date32())", "datetime64[s]"),
            ("int32-as-datetime64-d", "pa.array(np.arange(3, dtype=np.int32))", "datetime64[D]"),
            ("duration-ms-as-timedelta64-ns", "pa.array([0, 1, 2], pa.duration('ms'))",
             "timedelta64[ns]"),
            ("int64-as-timedelta64-s", "pa.array(np.arange(3))", "timedelta64[s]"),
            ("timestamp-as-timedelta64-s", "pa.array([0, 1, 2], pa.timestamp('s'))",
             "timedelta64[s]"),
            ("duration-as-datetime64-s", "pa.array([0, 1, 2], pa.duration('s'))", "datetime64[s]"),
            ("large-utf8-as-str", "pa.array(['a', 'bc', ''], pa.large_string())", "<U2"),
            ("binary-as-str", "pa.array([b'a', b'bc', b''])", "<U2"),
            ("utf8-view-as-str", "pa.array(['a', 'bc', ''], pa.string_view())", "<U2"),
            ("utf8-as-bytes", "pa.array(['a', 'bc', ''])", "|S2"),
            ("large-binary-as-bytes", "pa.array([b'a', b'bc', b''], pa.large_binary())", "|S2"),
            ("fixed-size-binary-as-bytes", "pa.array([b'ab', b'cd', b'ef'], pa.binary(2))", "|S2"),
            ("null-type-as-float64", "pa.nulls(3)", "float64"),
            ("list-as-int64", "pa.array([[1], [2], [3]])", "int64"),
            ("struct-as-int64", "pa.array([{'x': 1}, {'x': 2}, {'x': 3}])", "int64"),
            ("decimal-as-float64", "pa.array([1, 2, 3], pa.decimal128(5, 2))", "float64"),
            # The rest of the dtype table's rows, each given its nearest wrong type.
            ("uint8-as-int8", "pa.array(np.arange(3, dtype=np.uint8))", "int8"),
            ("uint16-as-int16", "pa.array(np.arange(3, dtype=np.uint16))", "int16"),
            ("int16-as-uint16", "pa.array(np.arange(3, dtype=np.int16))", "uint16"),
            ("int32-as-uint32", "pa.array(np.arange(3, dtype=np.int32))", "uint32"),
            ("float32-as-uint32", "pa.array(np.arange(3, dtype=np.float32))", "uint32"),
            ("timestamp-us-as-datetime64-ms", "pa.array([0, 1, 2], pa.timestamp('us'))",
             "datetime64[ms]"),
            ("timestamp-ns-as-datetime64-us", "pa.array([0, 1, 2], pa.timestamp('ns'))",
             "datetime64[us]"),
            ("duration-s-as-timedelta64-ms", "pa.array([0, 1, 2], pa.duration('s'))",
             "timedelta64[ms]"),
            ("duration-ns-as-timedelta64-us", "pa.array([0, 1, 2], pa.duration('ns'))",
             "timedelta64[us]")]:
        col(f"ndarray-invalid-arrow-type-{slug}",
            f"{slug.split('-as-')[0]} column with dtype {dtype}",
            column_stream(run(expr)), expr, f"one-column stream; dtype {dtype}",
            "E_DTYPE_MISMATCH", TY + (["vector.schema-valid"] if slug == "int32-as-float32" else []) +
            [f"ndarray.arrow.type[{dtype_row(dtype)}]"], dtype=dtype)
    col("ndarray-invalid-arrow-type-before-length", "int32 column of 3 with dtype float32, shape [5]",
        column_stream(pa.array(np.arange(3, dtype=np.int32))), "pa.array(np.arange(3, dtype=np.int32))",
        "dtype float32, shape [5]", "E_DTYPE_MISMATCH", TY + ["ndarray.arrow.length"], shape=(5,),
        dtype="float32", tags=["processing-order"])
    col("ndarray-invalid-arrow-type-null-before-nulls", "null-type column (all null) with dtype int64",
        column_stream(pa.nulls(3)), "pa.nulls(3)", "dtype int64", "E_DTYPE_MISMATCH",
        TY + ["ndarray.arrow.nulls"], dtype="int64", tags=["processing-order"])


def length_null_string_vectors(S: Suite):
    LE = ["ndarray.arrow.length"]

    def pay(vid, desc, payload, expr, m, code, clauses, shape, dtype, tags=None, v0=False):
        env = env_arrow_raw(payload, list(shape), dtype)
        if v0:
            env = without(env, "codecVersion")
        S.invalid(vid, desc, clauses, J(env), code, src(expr, m), schema_valid=True, tags=tags)

    for vid, desc, expr, shape in [
            ("ndarray-invalid-arrow-length-5-rows-2x3", "5 rows for shape [2, 3]", "np.arange(5.0)",
             (2, 3)),
            ("ndarray-invalid-arrow-length-6-rows-7", "6 rows for shape [7]", "np.arange(6.0)", (7,)),
            ("ndarray-invalid-arrow-length-no-batch-1", "no record batch for shape [1]",
             "np.zeros((0,))", (1,)),
            ("ndarray-invalid-arrow-length-no-batch-0d", "no record batch for shape []",
             "np.zeros((0,))", ()),
            ("ndarray-invalid-arrow-length-2-rows-0d", "2 rows for shape []", "np.arange(2.0)", ()),
            ("ndarray-invalid-arrow-length-1-row-0", "1 row for shape [0]", "np.arange(1.0)", (0,)),
            ("ndarray-invalid-arrow-length-6-rows-3x0", "6 rows for shape [3, 0]", "np.arange(6.0)",
             (3, 0))]:
        pay(vid, desc, producer_payload(run(expr)), expr, f"shape set to {list(shape)}",
            "E_SHAPE_MISMATCH", LE, shape, "float64")
    rbx = "pa.record_batch([pa.array([], pa.float64())], names=['value'])"
    rb0 = run(rbx)
    pay("ndarray-invalid-arrow-length-empty-batch-2", "one empty record batch for shape [2]",
        write_stream(rb0.schema, batches=[rb0]), rbx, "write_batch; shape [2]", "E_SHAPE_MISMATCH",
        LE + ["ndarray.arrow.batches"], (2,), "float64")
    pay("ndarray-invalid-arrow-length-v0", "v0 envelope whose shape [4] disagrees with 3 rows",
        producer_payload(run("np.arange(3.0)")), "np.arange(3.0)",
        "codecVersion removed, shape [4]", "E_SHAPE_MISMATCH", LE + ["envelope.legacy-v0"], (4,),
        "float64", v0=True)
    pay("ndarray-invalid-arrow-length-before-nulls", "4 rows, one null, for shape [3]",
        column_stream(pa.array([1.0, None, 3.0, 4.0])), "pa.array([1.0, None, 3.0, 4.0])",
        "one-column stream; shape [3]", "E_SHAPE_MISMATCH", LE + ["ndarray.arrow.nulls"], (3,),
        "float64", tags=["processing-order"])

    NU = ["ndarray.arrow.nulls"]
    for vid, desc, expr, dtype, shape in [
            ("ndarray-invalid-arrow-nulls-int64", "int64 column 1, null, 3", "pa.array([1, None, 3])",
             "int64", (3,)),
            ("ndarray-invalid-arrow-nulls-float64", "float64 column with a null",
             "pa.array([1.0, None])", "float64", (2,)),
            ("ndarray-invalid-arrow-nulls-bool", "bool column with a null", "pa.array([True, None])",
             "bool", (2,)),
            ("ndarray-invalid-arrow-nulls-str", "Utf8 column with a null", "pa.array(['a', None])",
             "<U1", (2,)),
            ("ndarray-invalid-arrow-nulls-all", "float64 column all null",
             "pa.array([None, None], pa.float64())", "float64", (2,)),
            ("ndarray-invalid-arrow-nulls-0d", "0-d float64 whose one element is null",
             "pa.array([None], pa.float64())", "float64", ())]:
        pay(vid, desc, column_stream(run(expr)), expr, "one-column stream", "E_ARROW_NULLS", NU,
            shape, dtype)
    for vid, desc, expr, dtype in [
            ("ndarray-invalid-arrow-nulls-nat", "datetime64[ns] with NaT, which pyarrow writes as null",
             "np.array(['2024-01-01', 'NaT'], dtype='datetime64[ns]')", "datetime64[ns]"),
            ("ndarray-invalid-arrow-nulls-nat-timedelta", "timedelta64[s] with NaT, written as null",
             "np.array([1, 'NaT'], dtype='timedelta64[s]')", "timedelta64[s]")]:
        a = run(expr)
        S.invalid(vid, desc, NU, J(arrow_env(a)), "E_ARROW_NULLS",
                  src(expr),
                  schema_valid=True)
    ex = "pa.array([1, None, 3])"
    base = column_stream(run(ex))
    (_, nc_pos), = rb_field_nodes(base)
    pay("ndarray-invalid-arrow-null-count-zero", "bitmap marks a null while null_count says 0",
        patch(base, nc_pos, "<q", 0), ex, "FieldNode null_count 1 -> 0", "E_ARROW_PAYLOAD",
        ["ndarray.arrow.stream"] + NU, (3,), "int64", tags=["hostile"])
    pay("ndarray-invalid-arrow-nulls-before-strings", "a null and a too-long string in <U2",
        column_stream(pa.array([None, "abc"])), "pa.array([None, 'abc'])", "dtype <U2",
        "E_ARROW_NULLS", NU + ["ndarray.arrow.strings"], (2,), "<U2", tags=["processing-order"])

    SD = ["ndarray.arrow.strings"]
    for vid, desc, payload, expr, m, dtype, n in [
            ("ndarray-invalid-arrow-str-too-long", "\"abc\" in a <U2 column",
             producer_payload(np.array(["abc"])), "np.array(['abc'])", "dtype <U3 -> <U2", "<U2", 1),
            ("ndarray-invalid-arrow-str-too-many-emoji", "three emoji (3 code points) in <U2",
             producer_payload(np.array(["\U0001f600" * 3])), "np.array(['\U0001f600' * 3])",
             "dtype <U3 -> <U2", "<U2", 1),
            ("ndarray-invalid-arrow-str-trailing-nul", "\"a\\x00\" in a <U2 column",
             column_stream(pa.array(["a\x00"])), "pa.array(['a\\x00'])", "one-column stream", "<U2", 1),
            ("ndarray-invalid-arrow-str-only-nul", "\"\\x00\" in a <U1 column",
             column_stream(pa.array(["\x00"])), "pa.array(['\\x00'])", "one-column stream", "<U1", 1),
            ("ndarray-invalid-arrow-bytes-trailing-zero", "b\"ab\\x00\" in a |S3 column",
             column_stream(pa.array([b"ab\x00"])), "pa.array([b'ab\\x00'])", "one-column stream",
             "|S3", 1),
            ("ndarray-invalid-arrow-bytes-too-long", "b\"abc\" in a |S2 column",
             producer_payload(np.array([b"abc"])), "np.array([b'abc'])", "dtype |S3 -> |S2", "|S2",
             1),
            ("ndarray-invalid-arrow-bytes-utf8-too-long", "2-byte UTF-8 e-acute in a |S1 column",
             producer_payload(np.array(["\u00e9".encode()])), "np.array(['\u00e9'.encode()])",
             "dtype |S2 -> |S1", "|S1", 1),
            ("ndarray-invalid-arrow-bytes-only-zero", "b\"\\x00\" in a |S1 column",
             column_stream(pa.array([b"\x00"])), "pa.array([b'\\x00'])", "one-column stream", "|S1", 1),
            ("ndarray-invalid-arrow-str-second-too-long", "second of three strings too long for <U1",
             producer_payload(np.array(["a", "bc", "d"])), "np.array(['a', 'bc', 'd'])",
             "dtype <U2 -> <U1", "<U1", 3)]:
        pay(vid, desc, payload, expr, m, "E_VALUE_DOMAIN", SD, (n,), dtype)


# ----------------------------------------------------------------------------------------------
# [ndarray.arrow.stream] item 1: the flatbuffer rules and the type parameters, both sides
# ----------------------------------------------------------------------------------------------

EOS_MARKER = b"\xff\xff\xff\xff\x00\x00\x00\x00"
TYPE_TAG = {"Int": 2, "FloatingPoint": 3, "Bool": 6, "Decimal": 7, "Date": 8, "Time": 9,
            "Timestamp": 10, "Interval": 11, "List": 12, "Union": 14, "FixedSizeBinary": 15,
            "Map": 17, "Duration": 18, "RunEndEncoded": 22, "Utf8": 5}


class Rebuilt:
    """pyarrow's stream for one fixed-width column, its two messages written again by this
    generator's flatbuffer writer (arrowbytes.fb_serialize) with the same content: field
    `value`, nullable, its type; a record batch with pyarrow's length, field node, buffers and
    body. Options lay the flatbuffers out differently (see FbT); `build` asserts, for a layout
    that is valid, that pyarrow reads the same column from it."""

    def __init__(self, expr, type_tag, type_fields):
        self.expr, self.arr = expr, run(expr)
        self.payload = producer_payload(self.arr)
        self.type_tag, self.type_fields = type_tag, type_fields
        rb = first(self.payload, "recordbatch")
        self.length = struct.unpack_from("<q", self.payload, rb.header.field_pos(0))[0]
        self.nodes = [(struct.unpack_from("<q", self.payload, a)[0],
                       struct.unpack_from("<q", self.payload, b)[0]) for a, b in rb_field_nodes(self.payload)]
        self.buffers = [(o, ln) for (_, _, o, ln) in rb_buffers(self.payload)]
        self.body = self.payload[rb.body:rb.end]

    def schema(self, msg=None, schema=None, field=None, type_table=None, field_extra=None,
               msg_extra=None, schema_extra=None, name=None):
        tt = type_table if type_table is not None else FbT(dict(self.type_fields))
        f = {0: name if name is not None else FbStr("value"), 1: ("B", 1), 2: ("B", self.type_tag),
             3: tt, 5: FbVec([])}
        f.update(field_extra or {})
        sc = {1: FbVec([FbT(f, **(field or {}))])}
        sc.update(schema_extra or {})
        m = {0: ("h", 4), 1: ("B", 1), 2: FbT(sc, **(schema or {})), 3: ("q", 0)}
        m.update(msg_extra or {})
        return encapsulate(fb_serialize(FbT(m, **(msg or {}))))

    def batch(self, msg=None, rb=None, nodes=None, buffers=None, rb_extra=None, pad_metadata=0):
        nv = FbStructs(b"".join(struct.pack("<qq", *n) for n in self.nodes), len(self.nodes),
                       **(nodes or {}))
        bv = FbStructs(b"".join(struct.pack("<qq", *b) for b in self.buffers), len(self.buffers),
                       **(buffers or {}))
        r = {0: ("q", self.length), 1: nv, 2: bv}
        r.update(rb_extra or {})
        m = {0: ("h", 4), 1: ("B", 3), 2: FbT(r, **(rb or {})), 3: ("q", len(self.body))}
        fb = fb_serialize(FbT(m, **(msg or {}))) + bytes(pad_metadata)
        return encapsulate(fb, self.body)

    def build(self, schema=None, batch=None, read_by_pyarrow=True):
        out = (schema if schema is not None else self.schema()) + \
              (batch if batch is not None else self.batch()) + EOS_MARKER
        if read_by_pyarrow:
            got = pa.ipc.open_stream(out).read_all().column(0).to_pylist()
            assert got == pa.array(self.arr).to_pylist(), (self.expr, got)
        return out


def flatbuffer_vectors(S: Suite):
    ST = ["ndarray.arrow.stream"]
    x = "np.arange(3.0)"
    F = Rebuilt(x, TYPE_TAG["FloatingPoint"], {0: ("h", 2)})
    base = F.build()
    assert pa.ipc.open_stream(base).read_all().equals(pa.ipc.open_stream(F.payload).read_all())
    how = ("pyarrow's stream for np.arange(3.0), its Schema and RecordBatch messages written again "
           "with the same content by this generator's flatbuffer writer, ")

    def ok(vid, desc, payload, why, arr=None, dtype="float64"):
        a = arr if arr is not None else F.arr
        env = env_arrow_raw(payload, list(a.shape), dtype)
        S.valid(vid, desc, ST + ["ndarray.arrow.elements", "canonical.ndarray.bytes"], {"json": env},
                canon(a), hand(how + why + "; pyarrow reads it as the same column"),
                tags=["flatbuffer", "accept"])

    def bad(vid, desc, payload, why, code="E_ARROW_PAYLOAD", clauses=ST, shape=(3,), dtype="float64",
            note=""):
        S.invalid(vid, desc, clauses, J(env_arrow_raw(payload, list(shape), dtype)), code,
                  hand(how + why + note), schema_valid=True, tags=["flatbuffer"])

    # the accept side: layouts the flatbuffer format allows and writers other than pyarrow's use
    ok("ndarray-arrow-fb-baseline", "arrow float64 0, 1, 2 written by this generator's flatbuffer writer",
       base, "laid out front to back, parents before children")
    ok("ndarray-arrow-fb-inline-size-4", "tables whose vtable gives an inline size of 4, their fields past it",
       F.build(F.schema(msg=dict(tsize=4), field=dict(tsize=4)), F.batch(msg=dict(tsize=4), rb=dict(tsize=4))),
       "each table's inline size (the vtable's second u16) set to 4, so that its fields lie past it")
    ok("ndarray-arrow-fb-vtable-after-table", "vtables placed after their tables (negative soffsets)",
       F.build(F.schema(msg=dict(vt_after=True), schema=dict(vt_after=True), field=dict(vt_after=True)),
               F.batch(msg=dict(vt_after=True), rb=dict(vt_after=True))),
       "every vtable written after its table")
    kvs = FbVec([FbT({0: FbStr("a"), 1: FbStr("1")}, share=True),
                 FbT({0: FbStr("b"), 1: FbStr("2")}, share=True)])
    shared = F.schema(field_extra={6: kvs})
    assert len(shared) < len(F.schema(field_extra={6: FbVec([FbT({0: FbStr("a"), 1: FbStr("1")}),
                                                             FbT({0: FbStr("b"), 1: FbStr("2")})])}))
    ok("ndarray-arrow-fb-shared-vtable", "two KeyValue tables of field metadata sharing one vtable",
       F.build(shared), "the field given custom metadata a=1, b=2 whose two KeyValue tables share one "
       "vtable (as flatbuffers builders write identical vtables once)")
    unknown = F.schema(msg_extra={5: ("q", 12345), 6: ("i", 7)})
    root = first(unknown + EOS_MARKER, "schema").root
    assert root.vtlen == 4 + 2 * 7
    unknown = patch(unknown, root.vt + 4 + 2 * 6, "<H", 60000)
    ok("ndarray-arrow-fb-unknown-fields", "Message tables with entries for fields Message.fbs does not define",
       F.build(unknown, F.batch(rb_extra={7: ("q", -1)})),
       "the schema Message's vtable given slot 5 (an int64) and slot 6 (pointing 60000 bytes past the "
       "table, outside the metadata), the RecordBatch's slot 7; the format defines slots 0-4 of "
       "Message and 0-4 of RecordBatch")
    ok("ndarray-arrow-fb-struct-vectors-unaligned", "FieldNode and Buffer vectors whose structs are not 8-aligned",
       F.build(batch=F.batch(nodes=dict(misalign=4), buffers=dict(misalign=4))),
       "the RecordBatch's nodes and buffers vectors placed so that their 16-byte structs start at "
       "4 mod 8 (their lengths stay 4-aligned)")
    ok("ndarray-arrow-fb-metadata-unpadded", "record batch metadata length not a multiple of 8",
       F.build(batch=F.batch(pad_metadata=4)),
       "4 zero bytes appended to the RecordBatch message's metadata, its length (now 4 mod 8) "
       "counting them, so that the body starts at a position that is not a multiple of 8")
    ok("ndarray-arrow-fb-features-aligned", "a Schema.features vector of one int64, 8-aligned",
       F.build(F.schema(schema_extra={3: FbStructs(struct.pack("<q", 1), 1, align=8)})),
       "Schema.features [DICTIONARY_REPLACEMENT] added, its elements at a multiple of 8")
    B = Rebuilt("np.array([True, False, True])", TYPE_TAG["Bool"], {})
    for size in (4, 2, 0):
        payload = B.build(B.schema(type_table=FbT({}, vt_size=size)))
        S.valid(f"ndarray-arrow-fb-empty-vtable-{size}", f"the Bool type table's vtable is {size} bytes long: no fields",
                ST + ["ndarray.arrow.elements", "canonical.ndarray.bytes"],
                {"json": env_arrow_raw(payload, [3], "bool")}, canon(B.arr),
                hand("pyarrow's stream for np.array([True, False, True]), its messages written again "
                     f"by this generator's flatbuffer writer with the Bool type table's vtable {size} "
                     "bytes long" + (" (pyarrow's own)" if size == 4 else "") + "; pyarrow reads it "
                     "as the same column"), tags=["flatbuffer", "accept"])
    H = Rebuilt("np.array([1.5, -2.0, 0.0], dtype=np.float16)", TYPE_TAG["FloatingPoint"], {0: ("h", 0)})
    S.valid("ndarray-arrow-fb-default-precision", "a FloatingPoint table with no fields: precision HALF",
            ST + ["ndarray.arrow.type", "ndarray.arrow.elements", "canonical.ndarray.bytes"],
            {"json": env_arrow_raw(H.build(H.schema(type_table=FbT({}))), [3], "float16")}, canon(H.arr),
            hand("pyarrow's stream for np.array([1.5, -2.0, 0.0], dtype=np.float16), written again with "
                 "an empty FloatingPoint table (4-byte vtable): precision is absent, so HALF, its "
                 "default; pyarrow reads it as the same column"), tags=["flatbuffer", "accept"])

    # the reject side: each rule of item 1 broken once
    bad("ndarray-invalid-arrow-fb-vtable-odd", "a vtable size of 11 (odd)",
        F.build(F.schema(field=dict(vt_size=11)), read_by_pyarrow=False), "the Field's vtable size set to 11")
    bad("ndarray-invalid-arrow-fb-scalar-unaligned", "Message.bodyLength (int64) at a position 4 mod 8",
        F.build(batch=F.batch(msg=dict(place={3: 12})), read_by_pyarrow=False),
        "the RecordBatch Message's bodyLength placed at inline offset 12 of an 8-aligned table")
    bad("ndarray-invalid-arrow-fb-i16-odd", "FloatingPoint.precision (int16) at an odd position",
        F.build(F.schema(type_table=FbT({0: ("h", 2)}, place={0: 5})), read_by_pyarrow=False),
        "the FloatingPoint table's precision placed at inline offset 5")
    plain = F.schema()
    sch = first(plain + EOS_MARKER, "schema")
    fields = sch.header.vector(1)
    fld = FbTable(plain, fields[2] + u32(plain, fields[2]))
    assert fld.field_pos(1) is not None and len(plain) < 40000
    bad("ndarray-invalid-arrow-fb-field-outside", "Field.nullable placed past the end of the metadata",
        F.build(patch(plain, fld.vt + 4 + 2 * 1, "<H", 40000), read_by_pyarrow=False),
        "the Field's vtable entry for nullable (a field the format defines) set to 40000")
    bad("ndarray-invalid-arrow-fb-string-unterminated", "Field.name without its terminating 0 byte",
        F.build(F.schema(name=FbStr("value", terminator=False)), read_by_pyarrow=False),
        "the name's bytes followed by 'X' instead of 0")
    bad("ndarray-invalid-arrow-fb-name-not-utf8", "Field.name holding the bytes 'valu' ff",
        F.build(F.schema(name=FbStr(b"valu\xff")), read_by_pyarrow=False),
        "the field name's bytes replaced by 76 61 6c 75 ff")
    bad("ndarray-invalid-arrow-fb-union-without-value", "Message.header_type Schema with no header",
        encapsulate(fb_serialize(FbT({0: ("h", 4), 1: ("B", 1), 3: ("q", 0)}))) + F.batch() + EOS_MARKER,
        "the schema Message written without its header table")
    bad("ndarray-invalid-arrow-fb-int64-vector-unaligned", "Schema.features elements at a position 4 mod 8",
        F.build(F.schema(schema_extra={3: FbStructs(struct.pack("<q", 1), 1, align=8, misalign=4)})),
        "Schema.features [DICTIONARY_REPLACEMENT] added with its int64 elements at 4 mod 8",
        note="; Arrow C++ reads it (its verifier checks only the length's alignment), sciwire does not")
    bad("ndarray-invalid-arrow-fb-variadic-unaligned", "RecordBatch.variadicBufferCounts elements at 4 mod 8",
        F.build(batch=F.batch(rb_extra={4: FbStructs(struct.pack("<q", 0), 1, align=8, misalign=4)})),
        "RecordBatch.variadicBufferCounts [0] added with its int64 elements at 4 mod 8",
        note="; Arrow C++ reads it, sciwire does not")

    # item 4: variadicBufferCounts, which only the view types read, on a float64 column
    for n in (0, 5):
        bad(f"ndarray-invalid-arrow-variadic-count-{n}",
            f"RecordBatch.variadicBufferCounts [{n}] beside a float64 column, which has no view type",
            F.build(batch=F.batch(rb_extra={4: FbStructs(struct.pack("<q", n), 1, align=8)})),
            f"RecordBatch.variadicBufferCounts [{n}] added, its int64 elements aligned",
            note="; Arrow C++ reads it and ignores the count, arrow-rs refuses it: sciwire refuses it")

    def nested_list(k):
        f = FbT({0: FbStr("item"), 1: ("B", 1), 2: ("B", TYPE_TAG["Int"]), 3: FbT({0: ("i", 64), 1: ("B", 1)}),
                 5: FbVec([])})
        for i in range(k):
            f = FbT({0: FbStr("value" if i == k - 1 else "item"), 1: ("B", 1), 2: ("B", TYPE_TAG["List"]),
                     3: FbT({}), 5: FbVec([f])})
        m = FbT({0: ("h", 4), 1: ("B", 1), 2: FbT({1: FbVec([f])}), 3: ("q", 0)})
        return encapsulate(fb_serialize(m)) + EOS_MARKER
    assert pa.ipc.open_stream(nested_list(60)).schema.field(0).type.value_type is not None
    bad("ndarray-invalid-arrow-fb-depth-64-type", "tables nested 64 deep: a list of lists 60 levels deep, of int64",
        nested_list(60), "a schema of one field, 60 nested List levels over Int(64); its deepest "
        "table (the Int) is at depth 64", code="E_DTYPE_MISMATCH", clauses=["ndarray.arrow.type"] + ST,
        shape=(0,))
    bad("ndarray-invalid-arrow-fb-depth-65", "tables nested 65 deep: a list of lists 61 levels deep",
        nested_list(61), "a schema of one field, 61 nested List levels over Int(64); its deepest "
        "table is at depth 65", shape=(0,), note="; Arrow C++ allows depth 128")

    # type parameters: one schema of one field, no record batch, shape [0], dtype float64
    def child(tag=TYPE_TAG["Int"], tt=None):
        return FbT({0: FbStr("item"), 1: ("B", 1), 2: ("B", tag),
                    3: tt if tt is not None else FbT({0: ("i", 64), 1: ("B", 1)}), 5: FbVec([])})

    def one_field(tag, tt, children=(), dictionary=None):
        f = {0: FbStr("value"), 1: ("B", 1), 2: ("B", tag), 3: tt, 5: FbVec(list(children))}
        if dictionary is not None:
            f[4] = dictionary
        m = FbT({0: ("h", 4), 1: ("B", 1), 2: FbT({1: FbVec([FbT(f)])}), 3: ("q", 0)})
        return encapsulate(fb_serialize(m)) + EOS_MARKER

    def param(slug, desc, payload, code, why, pyarrow_reads):
        try:
            pa.ipc.open_stream(payload).read_all()
            reads = True
        except Exception:
            reads = False
        assert reads == pyarrow_reads, slug
        note = "" if (code == "E_ARROW_PAYLOAD") != reads else (
            "; Arrow C++ reads this type" if reads else "; Arrow C++ refuses this type")
        clauses = {"E_ARROW_PAYLOAD": [], "E_DTYPE_MISMATCH": ["ndarray.arrow.type"],
                   "E_ARROW_SCHEMA": ["ndarray.arrow.schema"]}[code] + ST
        vid = "ndarray-invalid-arrow-param-" + slug
        S.invalid(vid, desc, clauses, J(env_arrow_raw(payload, [0], "float64")), code,
                  hand("a Schema message of one field `value` built by this generator's flatbuffer "
                       "writer, no record batch: " + why + note), schema_valid=True, tags=["flatbuffer"])

    D = TYPE_TAG["Decimal"]
    dec = lambda p, s, w: FbT({0: ("i", p), 1: ("i", s), 2: ("i", w)})  # noqa: E731
    P_, M_ = "E_ARROW_PAYLOAD", "E_DTYPE_MISMATCH"
    for slug, desc, payload, code, why, reads in [
            ("decimal128-precision-38", "Decimal(128) of precision 38, scale 2", one_field(D, dec(38, 2, 128)),
             M_, "the largest precision a 128-bit decimal holds", True),
            ("decimal128-precision-39", "Decimal(128) of precision 39", one_field(D, dec(39, 2, 128)),
             P_, "a precision beyond 38 digits, what a 128-bit decimal holds", False),
            ("decimal128-precision-0", "Decimal(128) of precision 0", one_field(D, dec(0, 0, 128)),
             P_, "precision 0: a decimal has at least one digit", False),
            ("decimal32-precision-10", "Decimal(32) of precision 10", one_field(D, dec(10, 0, 32)),
             P_, "a precision beyond the 9 digits a 32-bit decimal holds", False),
            ("decimal256-precision-76", "Decimal(256) of precision 76", one_field(D, dec(76, 0, 256)),
             M_, "the largest precision a 256-bit decimal holds", True),
            ("decimal-scale-127", "Decimal(128) of precision 10, scale 127", one_field(D, dec(10, 127, 128)),
             M_, "scale 127, the largest allowed (a scale may exceed the precision)", True),
            ("decimal-scale-128", "Decimal(128) of precision 10, scale 128", one_field(D, dec(10, 128, 128)),
             P_, "scale 128, past the allowed -128 to 127", True),
            ("decimal-scale-minus-129", "Decimal(128) of precision 10, scale -129",
             one_field(D, dec(10, -129, 128)), P_, "scale -129, past the allowed -128 to 127", True),
            ("decimal-bit-width-100", "Decimal of bitWidth 100", one_field(D, dec(5, 0, 100)),
             P_, "bitWidth 100: only 32, 64, 128 and 256 are defined", False),
            ("time32-nanosecond", "Time(32) in nanoseconds", one_field(TYPE_TAG["Time"], FbT({0: ("h", 3), 1: ("i", 32)})),
             P_, "a 32-bit time holds seconds or milliseconds only", False),
            ("time64-second", "Time(64) in seconds", one_field(TYPE_TAG["Time"], FbT({0: ("h", 0), 1: ("i", 64)})),
             P_, "a 64-bit time holds microseconds or nanoseconds only", False),
            ("time64-nanosecond", "Time(64) in nanoseconds", one_field(TYPE_TAG["Time"], FbT({0: ("h", 3), 1: ("i", 64)})),
             M_, "a defined Time", True),
            ("interval-unit-3", "Interval of unit 3", one_field(TYPE_TAG["Interval"], FbT({0: ("h", 3)})),
             P_, "IntervalUnit defines 0 to 2", False),
            ("interval-month-day-nano", "Interval MONTH_DAY_NANO", one_field(TYPE_TAG["Interval"], FbT({0: ("h", 2)})),
             M_, "IntervalUnit 2, defined", True),
            ("date-unit-2", "Date of unit 2", one_field(TYPE_TAG["Date"], FbT({0: ("h", 2)})),
             P_, "DateUnit defines DAY (0) and MILLISECOND (1)", True),
            ("timestamp-unit-4", "Timestamp of unit 4", one_field(TYPE_TAG["Timestamp"], FbT({0: ("h", 4)})),
             P_, "TimeUnit defines 0 to 3", True),
            ("duration-unit-4", "Duration of unit 4", one_field(TYPE_TAG["Duration"], FbT({0: ("h", 4)})),
             P_, "TimeUnit defines 0 to 3", True),
            ("union-mode-2", "Union of mode 2", one_field(TYPE_TAG["Union"], FbT({0: ("h", 2)}), [child()]),
             P_, "UnionMode defines Sparse (0) and Dense (1)", True),
            ("union-type-ids-count", "sparse Union of one child with typeIds [5, 6]",
             one_field(TYPE_TAG["Union"], FbT({0: ("h", 0), 1: FbStructs(struct.pack("<ii", 5, 6), 2, align=4)}),
                       [child()]),
             P_, "typeIds has two entries for one child", False),
            ("union-sparse-no-children", "sparse Union with no children", one_field(TYPE_TAG["Union"], FbT({0: ("h", 0)})),
             M_, "a Union may have no children", True),
            ("run-end-encoded-one-child", "RunEndEncoded with one child",
             one_field(TYPE_TAG["RunEndEncoded"], FbT({}), [child()]), P_, "RunEndEncoded has exactly two children",
             False),
            ("run-end-encoded-two-children", "RunEndEncoded with two children",
             one_field(TYPE_TAG["RunEndEncoded"], FbT({}), [child(), child()]), M_, "run ends and values", True),
            ("list-two-children", "List with two children", one_field(TYPE_TAG["List"], FbT({}), [child(), child()]),
             P_, "a List has exactly one child", False),
            ("map-no-child", "Map with no child", one_field(TYPE_TAG["Map"], FbT({})),
             P_, "a Map has exactly one child", False),
            ("map-child-not-struct", "Map whose one child is an int64",
             one_field(TYPE_TAG["Map"], FbT({}), [child()]), M_,
             "the Map's child's type is not checked (only that there is one)", False),
            ("fixed-size-binary-width-minus-1", "FixedSizeBinary of byteWidth -1",
             one_field(TYPE_TAG["FixedSizeBinary"], FbT({0: ("i", -1)})), M_, "byteWidth is not checked", False),
            ("int-bit-width-128", "Int of bitWidth 128", one_field(TYPE_TAG["Int"], FbT({0: ("i", 128), 1: ("B", 1)})),
             P_, "Int bitWidth is 8, 16, 32 or 64", False),
            ("dictionary-index-bit-width-7", "Utf8 dictionary whose index type is Int(7)",
             one_field(TYPE_TAG["Utf8"], FbT({}), dictionary=FbT({0: ("q", 0), 1: FbT({0: ("i", 7), 1: ("B", 1)})})),
             P_, "a dictionary's index type is an Int of 8 to 64 bits", False),
            ("dictionary-kind-1", "Utf8 dictionary of dictionaryKind 1",
             one_field(TYPE_TAG["Utf8"], FbT({}),
                       dictionary=FbT({0: ("q", 0), 1: FbT({0: ("i", 32), 1: ("B", 1)}), 3: ("h", 1)})),
             "E_ARROW_SCHEMA", "dictionaryKind is not read; the field is dictionary-encoded", True)]:
        param(slug, desc, payload, code, why, reads)
