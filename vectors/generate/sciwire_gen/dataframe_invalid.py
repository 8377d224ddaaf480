"""Invalid `dataframe` vectors: members, base64, the Arrow IPC file (structure, footer, dictionary
batches, compression, buffers), column types, limits, dictionary codes, pandas metadata, json rows,
and frames. Each is a real producer's output mutated once (`source.mutation`), a real pyarrow or
pandas object the spec rejects, or hand-written hostile input.

Guards: a structural vector must fail table_arrow.file_fault (items 1-3 of [dataframe.arrow.file]);
every other Arrow vector must pass it, and then fail where it says: pyarrow's full validation for
buffer faults, the canonicaliser's Unsupported for column types, and so on.
"""

from __future__ import annotations

import base64
import json
import struct

import pyarrow as pa

from .arrowbytes import Msg, i64, messages, rb_buffers, rb_field_nodes, with_variadic_counts
from .common import HOSTILE_BUDGET, J, T, B, Suite, b64, dumps_env, hand, with_, without
from .dataframe_producer import (Unsupported, canon_file, df_arrow_bytes, df_env, df_json_env, feather_bytes,
                                 file_bytes, run, src, stream_bytes)
from .frame import _depth, rebuild, split as frame_split, write_frame
from .table_arrow import Piece, file_fault, footer_blocks, join, split

EX = 'pd.DataFrame({"a": [1, 2], "b": ["x", None]})'
JEX = 'pd.DataFrame({"a": [1, 2], "b": pd.Series(["x", None], dtype=object)})'
CAT = 'pd.DataFrame({"a": [1, 2, 3], "c": pd.Categorical(["x", "y", "x"])})'
CAT2 = 'pd.DataFrame({"c": pd.Categorical(["x", "y"]), "d": pd.Categorical(["p", "q"])})'
AF = ["dataframe.arrow.file"]
CT = ["dataframe.column-types"]
PM = ["dataframe.pandas.metadata"]
PI = ["dataframe.pandas.index"]


def invalid_vectors(S: Suite):
    member_vectors(S)
    base64_vectors(S)
    file_vectors(S)
    buffer_vectors(S)
    type_vectors(S)
    limit_vectors(S)
    dictionary_vectors(S)
    metadata_vectors(S)
    json_vectors(S)
    json_limit_vectors(S)


def bad_struct(S, name, desc, data, expr, mutation, clauses=AF, budget=None, tags=None, handwritten=None):
    fault = file_fault(data)
    assert fault is not None, f"{name}: structurally fine"
    S.invalid(f"dataframe-invalid-{name}", desc, clauses, J(df_env(data)), "E_ARROW_PAYLOAD",
              hand(handwritten) if handwritten else src(expr, mutation), schema_valid=True, budget=budget, tags=tags)


def bad_payload(S, name, desc, clauses, data, code, expr, mutation=None, budget=None, tags=None):
    """A vector that passes the file's structure and fails later, at its first clause."""
    assert file_fault(data) is None, f"{name}: {file_fault(data)}"
    S.invalid(f"dataframe-invalid-{name}", desc, clauses, J(df_env(data)), code, src(expr, mutation),
              schema_valid=True, budget=budget, tags=tags)


# ----------------------------------------------------------------------------------------------

def member_vectors(S: Suite):
    env = df_env(df_arrow_bytes(run(EX)))
    jenv = df_json_env(run(JEX))
    for name, desc, e, code, cl, sv, m in [
            ("encoding-ndarray", "arrow dataframe with encoding ndarray", with_(env, encoding="ndarray"),
             "E_ENCODING_UNSUPPORTED", ["dataframe.encodings", "envelope.encoding"], False, "encoding arrow -> ndarray"),
            ("encoding-frame", "JSON dataframe envelope with encoding frame and data 0",
             {"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "frame", "data": 0},
             "E_ENCODING_UNSUPPORTED", ["dataframe.encodings", "frame.envelope"], False,
             "encoding frame, b64 replaced by data 0"),
            ("encoding-feather", "arrow dataframe with encoding feather", with_(env, encoding="feather"),
             "E_ENCODING_UNSUPPORTED", ["dataframe.encodings"], False, "encoding arrow -> feather"),
            ("arrow-with-data", "arrow dataframe that also has data", with_(env, data=[]),
             "E_UNKNOWN_FIELD", ["dataframe.members", "envelope.unknown-fields"], False, "data [] added"),
            ("json-with-b64", "json dataframe that also has b64", with_(jenv, b64=env["b64"]),
             "E_UNKNOWN_FIELD", ["dataframe.members", "envelope.unknown-fields"], False, "b64 of the arrow form added"),
            ("arrow-with-shape", "arrow dataframe with a shape member", with_(env, shape=[2, 2]),
             "E_UNKNOWN_FIELD", ["dataframe.members", "envelope.unknown-fields"], False, "shape [2, 2] added"),
            ("json-with-name", "json dataframe with a series' name member", with_(jenv, name="x"),
             "E_UNKNOWN_FIELD", ["dataframe.members", "envelope.unknown-fields"], False, "name x added"),
            ("arrow-no-b64", "arrow dataframe without b64", without(env, "b64"), "E_MISSING_FIELD",
             ["dataframe.required"], False, "b64 removed"),
            ("json-no-data", "json dataframe without data", without(jenv, "data"), "E_MISSING_FIELD",
             ["dataframe.required"], False, "data removed"),
            ("v0-arrow-no-b64", "v0 arrow dataframe without b64", without(env, "b64", "codecVersion"),
             "E_MISSING_FIELD", ["dataframe.required", "envelope.legacy-v0"], False, "codecVersion and b64 removed"),
            ("v0-json-no-data", "v0 json dataframe without data", without(jenv, "data", "codecVersion"),
             "E_MISSING_FIELD", ["dataframe.required", "envelope.legacy-v0"], False, "codecVersion and data removed"),
            ("b64-number", "arrow dataframe whose b64 is a number", with_(env, b64=5), "E_FIELD_TYPE",
             ["ndarray.arrow.base64", "dataframe.arrow.base64"], False, "b64 -> 5"),
            ("b64-null", "arrow dataframe whose b64 is null", with_(env, b64=None), "E_FIELD_TYPE",
             ["ndarray.arrow.base64", "dataframe.arrow.base64"], False, "b64 -> null"),
            ("codec-version-2", "dataframe with codecVersion 2", with_(env, codecVersion=2), "E_CODEC_VERSION",
             ["envelope.codec-version"], False, "codecVersion 1 -> 2")]:
        S.invalid(f"dataframe-invalid-{name}", desc, cl, J(e), code, src(JEX if "json" in name else EX, m),
                  schema_valid=sv)


def base64_vectors(S: Suite):
    data = df_arrow_bytes(run(EX))
    env = df_env(data)
    t = env["b64"]
    assert t.endswith("=") or True
    for name, desc, text, m in [
            ("base64-space", "a space inside b64", t[:40] + " " + t[40:], "space inserted at 40"),
            ("base64-newlines", "b64 in 76-character lines", "\n".join(t[i:i + 76] for i in range(0, len(t), 76)),
             "LF every 76 characters"),
            ("base64-url-safe", "b64 in the URL-safe alphabet", t.replace("+", "-").replace("/", "_"),
             "+ -> -, / -> _"),
            ("base64-no-padding", "b64 without its padding", t.rstrip("="), "= padding removed"),
            ("base64-bad-length", "b64 one character short", t[:-5] + t[-4:], "character -5 removed")]:
        if text == t:
            continue
        S.invalid(f"dataframe-invalid-{name}", f"arrow dataframe with {desc}",
                  ["ndarray.arrow.base64", "dataframe.arrow.base64"], J(with_(env, b64=text)), "E_BASE64",
                  src(EX, m), schema_valid=False)


# ----------------------------------------------------------------------------------------------
# The file's structure ([dataframe.arrow.file] items 1-3)
# ----------------------------------------------------------------------------------------------

def file_vectors(S: Suite):
    ex = df_arrow_bytes(run(EX))
    pieces, footer = split(ex)
    assert [p.kind for p in pieces] == ["schema", "recordbatch"]
    st = stream_bytes(pa.Table.from_pandas(run(EX)))
    bad_struct(S, "stream-not-file", "an Arrow IPC stream of the frame where a file belongs", st, EX,
               "the same table written with pa.ipc.new_stream")
    bad_struct(S, "stream-after-magic", "the file's magic followed by the stream, no footer", ex[:8] + st, EX,
               "ARROW1 00 00 + the IPC stream of the same table")
    n = len(ex)
    for name, cut, desc in [("magic-only", 8, "only the 8-byte magic"), ("half", n // 2, "the first half"),
                            ("minus-one", n - 1, "all but the last byte"),
                            ("minus-closing-magic", n - 6, "all but the closing ARROW1"),
                            ("at-footer", n - 10 - struct.unpack_from("<i", ex, n - 10)[0],
                             "everything before the footer")]:
        bad_struct(S, f"truncated-{name}", f"arrow dataframe file cut to {desc}", ex[:cut], EX, f"cut to {cut} bytes")
    bad_struct(S, "empty-payload", "arrow dataframe whose b64 is empty", b"", EX, "payload emptied")
    bad_struct(S, "magic-arrow2", "file starting ARROW2", b"ARROW2" + ex[6:], EX, "leading ARROW1 -> ARROW2")
    bad_struct(S, "magic-padding", "file whose magic padding is 00 01", ex[:7] + b"\x01" + ex[8:], EX,
               "byte 7 00 -> 01")
    bad_struct(S, "closing-magic", "file ending ARROW2", ex[:-1] + b"2", EX, "closing ARROW1 -> ARROW2")
    bad_struct(S, "trailing-byte", "file followed by one zero byte", ex + b"\x00", EX, "00 appended")
    bad_struct(S, "trailing-file", "file followed by a second copy of itself", ex + ex, EX, "file repeated")
    flen = struct.unpack_from("<i", ex, n - 10)[0]
    for name, v, desc in [("plus-8", flen + 8, "8 more"), ("minus-8", flen - 8, "8 fewer"), ("zero", 0, "0"),
                          ("negative", -1, "-1"), ("int32-max", 2**31 - 1, "2^31-1")]:
        bad_struct(S, f"footer-length-{name}", f"file whose footer length says {desc}",
                   ex[:n - 10] + struct.pack("<i", v) + ex[n - 6:], EX, f"footer length {flen} -> {v}",
                   tags=["hostile"] if v > flen + 8 else None)
    bad_struct(S, "no-eos", "file without the end-of-stream marker before its footer", join(pieces, footer, eos=False),
               EX, "ff ff ff ff 00 00 00 00 removed, blocks kept")
    # footer blocks against the messages
    cat = df_arrow_bytes(run(CAT), chunksize=2)
    cp, cf = split(cat)
    assert [p.kind for p in cp] == ["schema", "dictionary", "recordbatch", "recordbatch"]
    blocks = footer_blocks(cf)
    cexpr = f"{CAT}; write_feather(..., chunksize=2)"

    rb2 = blocks[2]
    for name, desc, data, m in [
            ("block-offset", "footer block of batch 2 pointing 8 bytes late",
             _with_footer(cat, cf, _pq(cf, rb2[1], "<q", rb2[2] + 8)), "recordBatches[1].offset + 8"),
            ("block-meta-length", "footer block whose metaDataLength is 8 short",
             _with_footer(cat, cf, _pq(cf, rb2[1] + 8, "<i", rb2[3] - 8)), "recordBatches[1].metaDataLength - 8"),
            ("block-body-length", "footer block whose bodyLength is 8 more",
             _with_footer(cat, cf, _pq(cf, rb2[1] + 16, "<q", rb2[4] + 8)), "recordBatches[1].bodyLength + 8"),
            ("block-dictionary-offset", "footer dictionary block pointing at the schema",
             _with_footer(cat, cf, _pq(cf, blocks[0][1], "<q", 8)), "dictionaries[0].offset -> 8"),
            ("blocks-swapped", "footer record batch blocks in the wrong order",
             join(cp, cf, block_pieces=[1, 3, 2]), "recordBatches' two blocks swapped"),
            ("block-missing", "footer naming one of two record batches",
             _with_footer(cat, cf, _pq(cf, _vec_len_pos(cf, 3), "<I", 1)), "recordBatches count 2 -> 1"),
            ("block-dictionary-missing", "footer naming no dictionary batch",
             _with_footer(cat, cf, _pq(cf, _vec_len_pos(cf, 2), "<I", 0)), "dictionaries count 1 -> 0"),
            ("block-extra", "footer naming a record batch the stream does not have",
             join(cp[:3], cf, block_pieces=[1, 2, None]), "the last record batch message removed, footer kept"),
            ("footer-version-v4", "footer whose version is V4",
             _with_footer(cat, cf, _pq(cf, _field_pos(cf, 0), "<h", 3)), "footer version V5 -> V4")]:
        bad_struct(S, name, desc, data, cexpr, m)
    # footer schema differing from the stream's
    i = cf.find(b"\x01\x00\x00\x00c\x00")
    assert i > 0
    bad_struct(S, "footer-schema-name", "footer schema naming column d where the stream says c",
               _with_footer(cat, cf, cf[:i + 4] + b"d" + cf[i + 5:]), cexpr, "footer schema field name c -> d")
    # message order and kinds
    bad_struct(S, "second-schema", "file with the schema message twice",
               join([cp[0]] + cp, cf, block_pieces=[2, 3, 4]), cexpr, "schema message repeated")
    bad_struct(S, "dictionary-twice", "file with its dictionary batch twice",
               join(cp[:2] + cp[1:], cf, block_pieces=[1, 3, 4]), cexpr, "dictionary batch repeated")
    bad_struct(S, "dictionary-after-batch", "file whose dictionary batch follows the first record batch",
               join([cp[0], cp[2], cp[1], cp[3]], cf, block_pieces=[2, 1, 3]), cexpr,
               "dictionary batch moved after record batch 1")
    bad_struct(S, "no-schema", "file with no schema message", join(cp[1:], cf, block_pieces=[0, 1, 2]), cexpr,
               "schema message removed")
    bad_struct(S, "batch-before-schema", "file whose first message is a record batch",
               join([cp[2], cp[0], cp[1], cp[3]], cf, block_pieces=[2, 0, 3]), cexpr, "record batch 1 moved first")
    d = cp[1].data
    m = Msg(d, 0)
    idp = m.header.field_pos(0)
    two = df_arrow_bytes(run(CAT2))
    tp, tf = split(two)
    assert [p.kind for p in tp] == ["schema", "dictionary", "dictionary", "recordbatch"]
    m2 = Msg(tp[2].data, 0)
    id2 = m2.header.field_pos(0)
    assert id2 is not None and i64(tp[2].data, id2) == 1
    bad_struct(S, "dictionary-id-undeclared", "dictionary batch with id 7, which no field declares",
               join([tp[0], tp[1], Piece(_pq(tp[2].data, id2, "<q", 7), "dictionary"), tp[3]], tf), CAT2,
               "second dictionary batch id 1 -> 7")
    bad_struct(S, "dictionary-id-repeated", "two dictionary batches with id 0, none with id 1",
               join([tp[0], tp[1], Piece(_pq(tp[2].data, id2, "<q", 0), "dictionary"), tp[3]], tf), CAT2,
               "second dictionary batch id 1 -> 0")
    # delta dictionary: pyarrow's own file with emit_dictionary_deltas
    dexpr = ('pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array(["x", "y"]))}) '
             'then ([0, 2], ["x", "y", "z"]), written by pa.ipc.new_file with emit_dictionary_deltas=True')
    t1 = pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array(["x", "y"]))})
    t2 = pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([0, 2], pa.int8()), pa.array(["x", "y", "z"]))})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, t1.schema, options=pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True)) as w:
        w.write_table(t1)
        w.write_table(t2)
    delta = sink.getvalue().to_pybytes()
    dp, df_ = split(delta)
    dm = Msg(dp[3].data, 0)
    assert dm.header.field_pos(2) is not None and dp[3].data[dm.header.field_pos(2)] == 1
    S.invalid("dataframe-invalid-delta-dictionary-pyarrow", "pyarrow file with a delta dictionary batch",
              AF, J(df_env(delta)), "E_ARROW_PAYLOAD", src(dexpr), schema_valid=True)
    assert file_fault(delta) is not None
    bad_struct(S, "delta-dictionary-first", "file whose only dictionary batch for an id is a delta",
               join([dp[0], dp[3], dp[2]], df_, block_pieces=[1, 2]), dexpr,
               "first dictionary batch and record batch 2 removed: the delta alone, before record batch 1")
    # body compression: write_feather's own compressions
    for codec in ("lz4", "zstd"):
        data = df_arrow_bytes(run(EX), compression=codec)
        bad_struct(S, f"compressed-{codec}", f"file written by write_feather with compression={codec}", data,
                   f"{EX}; write_feather(..., compression={codec!r})", None)
    # message framing inside the file
    rb = cp[2].data
    mrb = Msg(rb, 0)
    for name, desc, piece, m in [
            ("message-body-huge", "record batch whose bodyLength is 2^40",
             _pq(rb, mrb.body_len_pos, "<q", 2**40), "record batch 1 bodyLength -> 2^40"),
            ("message-meta-length-negative", "record batch whose metadata length is -8",
             _pq(rb, 4, "<i", -8), "record batch 1 metadata length -> -8"),
            ("message-no-continuation", "record batch without its continuation marker",
             rb[4:] + b"\x00\x00\x00\x00", "ff ff ff ff removed (4 zero bytes after the body keep the length)")]:
        data = join([cp[0], cp[1], Piece(piece, "recordbatch"), cp[3]], cf)
        bad_struct(S, name, desc, data, cexpr, m, budget=HOSTILE_BUDGET if "huge" in name else None,
                   tags=["hostile"] if "huge" in name else None)


def _pq(buf: bytes, pos: int, fmt: str, v) -> bytes:
    out = bytearray(buf)
    struct.pack_into(fmt, out, pos, v)
    assert bytes(out) != buf
    return bytes(out)


def _with_footer(file: bytes, old_footer: bytes, new_footer: bytes) -> bytes:
    assert len(old_footer) == len(new_footer)
    i = len(file) - 10 - len(old_footer)
    assert file[i:len(file) - 10] == old_footer
    return file[:i] + new_footer + file[len(file) - 10:]


def _vec_len_pos(footer: bytes, slot: int) -> int:
    from .table_arrow import footer_root
    return footer_root(footer).vector(slot)[0]


def _field_pos(footer: bytes, slot: int) -> int:
    from .table_arrow import footer_root
    return footer_root(footer).field_pos(slot)


# ----------------------------------------------------------------------------------------------
# Buffers and contents (item 2's reference to items 3 and 4 of [ndarray.arrow.stream])
# ----------------------------------------------------------------------------------------------

def _pyarrow_rejects(data: bytes) -> bool:
    try:
        r = pa.ipc.open_file(pa.py_buffer(data))
        for i in range(r.num_record_batches):
            r.get_batch(i).validate(full=True)
    except (pa.ArrowException, ValueError, OSError):
        return True
    return False


def buffer_vectors(S: Suite):
    ex = df_arrow_bytes(run(EX))
    pieces, footer = split(ex)
    rb = pieces[1].data
    m = Msg(rb, 0)
    bufs = rb_buffers(rb)
    nodes = rb_field_nodes(rb)
    # field b (large_string): buffers validity, offsets, data; a: validity, values
    assert len(nodes) == 2 and len(bufs) == 5, (nodes, bufs)

    def with_rb(new):
        return join([pieces[0], Piece(new, "recordbatch")], footer)

    body = m.body
    voff = bufs[3]  # b's offsets
    dat = bufs[4]   # b's data
    cases = [
        ("buffer-outside-body", "record batch whose data buffer lies past its body",
         _pq(rb, dat[0], "<q", m.body_len + 64), "b's data buffer offset -> past the body"),
        ("buffer-unaligned", "record batch whose values buffer offset is 4, not a multiple of 8",
         _pq(rb, bufs[1][0], "<q", bufs[1][2] + 4), "a's values buffer offset + 4"),
        ("node-length", "record batch whose field node for a says 3 rows of 2",
         _pq(rb, nodes[0][0], "<q", 3), "a's field node length 2 -> 3"),
        ("null-count", "record batch whose field node for b says 0 nulls where the bitmap has 1",
         _pq(rb, nodes[1][1], "<q", 0), "b's null_count 1 -> 0"),
        ("offsets-decreasing", "string offsets 0, 1, 0",
         _pq(rb, body + voff[2] + 16, "<q", 0), "b's third large_string offset 1 -> 0"),
        ("offsets-past-data", "string offset past the end of the data",
         _pq(rb, body + voff[2] + 16, "<q", 64), "b's last large_string offset 1 -> 64"),
        ("utf8-invalid", "string column holding the byte ff",
         _pq(rb, body + dat[2], "<B", 0xFF), "b's data x -> ff"),
        ("buffer-count", "record batch naming four buffers for two columns that need five",
         _pq(rb, m.header.vector(2)[0], "<I", 4), "buffers count 5 -> 4"),
    ]
    for name, desc, new, mut in cases:
        data = with_rb(new)
        # pyarrow's full validation does not compare null_count with the bitmap: that one is
        # checked here (b's bitmap has one unset bit of two, the node now says 0)
        assert _pyarrow_rejects(data) or name == "null-count", f"{name}: pyarrow accepts"
        S.invalid(f"dataframe-invalid-{name}", desc, AF, J(df_env(data)), "E_ARROW_PAYLOAD", src(EX, mut),
                  schema_valid=True)
    # item 4: variadicBufferCounts beside columns of no view type, which pyarrow reads past; the
    # record batch is written again, and the footer's block gets its new metaDataLength
    (slot, at, _off, _meta, _blen), = [b for b in footer_blocks(footer) if b[0] == 3]
    for n in (0, 5):
        new = with_variadic_counts(rb, [n])
        data = join([pieces[0], Piece(new, "recordbatch")], _pq(footer, at + 8, "<i", len(new) - m.body_len))
        assert pa.ipc.open_file(pa.py_buffer(data)).read_all().equals(pa.ipc.open_file(pa.py_buffer(ex)).read_all())
        S.invalid(f"dataframe-invalid-variadic-count-{n}",
                  f"record batch with variadicBufferCounts [{n}] beside its int64 and large_string columns",
                  AF, J(df_env(data)), "E_ARROW_PAYLOAD",
                  src(EX, f"record batch written again with variadicBufferCounts [{n}], its footer block's "
                          "metaDataLength to match (pyarrow reads it)"), schema_valid=True)


# ----------------------------------------------------------------------------------------------
# Column types
# ----------------------------------------------------------------------------------------------

TYPE_CASES = [
    ("decimal128", 'pd.DataFrame({"d": [decimal.Decimal("1.5"), decimal.Decimal("-2.25")]})', "decimal objects: decimal128"),
    ("date64", 'pa.table({"d": pa.array([0, 86400000], pa.date64())})', "a date64 (Date MILLISECOND) column"),
    ("time32", 'pa.table({"t": pa.array([1, 2], pa.time32("s"))})', "a time32 column"),
    ("time64-pandas", 'pd.DataFrame({"t": [datetime.time(1, 2), datetime.time(3, 4)]})', "datetime.time objects: time64"),
    ("list", 'pd.DataFrame({"l": [[1, 2], [3]]})', "lists: a list<int64> column"),
    ("struct", 'pd.DataFrame({"s": [{"a": 1}, {"a": 2}]})', "dicts: a struct column"),
    ("fixed-size-binary", 'pa.table({"f": pa.array([b"abc", b"def"], pa.binary(3))})', "a fixed_size_binary(3) column"),
    ("string-view", 'pa.table({"s": pa.array(["a", "b"], pa.string_view())})', "a string_view column"),
    ("binary-view", 'pa.table({"b": pa.array([b"a"], pa.binary_view())})', "a binary_view column"),
    ("large-list", 'pa.table({"l": pa.array([[1]], pa.large_list(pa.int8()))})', "a large_list column"),
    ("map", 'pa.table({"m": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64()))})', "a map column"),
    ("interval-mdn", 'pa.table({"i": pa.array([pa.MonthDayNano([1, 2, 3])])})', "a month_day_nano interval column"),
    ("run-end-encoded", 'pa.table({"r": pa.RunEndEncodedArray.from_arrays(pa.array([2, 3], pa.int32()), '
     'pa.array([7, 8]))})', "a run-end encoded column"),
    ("dense-union", 'pa.table({"u": pa.UnionArray.from_dense(pa.array([0, 1], pa.int8()), '
     'pa.array([0, 0], pa.int32()), [pa.array([1]), pa.array(["a"])])})', "a dense union column"),
    ("period", 'pd.DataFrame({"p": pd.period_range("2020-01", periods=2, freq="M")})',
     "pandas period dtype: extension type pandas.period over int64"),
    ("interval-pandas", 'pd.DataFrame({"i": pd.arrays.IntervalArray.from_breaks([0, 1, 2])})',
     "pandas interval dtype: extension type pandas.interval"),
    ("extension-unregistered", 'pa.table([pa.array([1, 2])], schema=pa.schema([pa.field("x", pa.int64(), '
     'metadata={"ARROW:extension:name": "my.ext", "ARROW:extension:metadata": ""})]))',
     "an int64 field declaring an unregistered extension type"),
    ("extension-uuid", 'pa.table({"u": pa.array([b"0123456789abcdef"], pa.uuid())})', "the canonical arrow.uuid extension"),
    ("dictionary-of-null", 'pd.DataFrame({"c": pd.Categorical([None, None], categories=[])})',
     "a categorical with no categories: dictionary of null"),
    ("dictionary-of-decimal", 'pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([0], pa.int8()), '
     'pa.array([decimal.Decimal("1.5")]))})', "a dictionary of decimal128 values"),
    ("index-time64", 'pd.DataFrame({"a": [1, 2]}, index=pd.Index([datetime.time(1), datetime.time(2)], name="t"))',
     "an Index of datetime.time: a time64 index column"),
    ("multiindex-list-level", 'pa.table({"a": [1], "k": pa.array([[1]])}).replace_schema_metadata({"pandas": '
     '\'{"index_columns": ["k"], "columns": [{"name": "k", "field_name": "k"}]}\'})', "an index field of a list type"),
]


def type_vectors(S: Suite):
    for name, expr, desc in TYPE_CASES:
        obj = run(expr)
        data = df_arrow_bytes(obj) if not isinstance(obj, pa.Table) else feather_bytes(obj)
        try:
            canon_file(data)
            raise AssertionError(f"{name}: the canonicaliser accepts")
        except Unsupported:
            pass
        bad_payload(S, f"type-{name}", f"arrow dataframe with {desc}", CT + ["dataframe.arrow.columns"], data,
                    "E_COLUMN_TYPE", expr)
        if name == "dense-union":
            footer_schema_union_vector(S, data, expr)


def footer_schema_union_vector(S: Suite, data: bytes, expr: str):
    """The footer's schema is compared in full, a type's parameters included, before any
    column type is judged ([dataframe.arrow.file] item 3 comes before
    [dataframe.column-types]): the union file with the Schema message's typeIds [0, 1] made
    [0, 2], its footer kept. (Found by the differential run: sciwire-py compared the number of
    typeIds only, and reported E_COLUMN_TYPE.)"""
    pieces, footer = split(data)
    schema = pieces[0].data
    at = schema.find(struct.pack("<iii", 2, 0, 1))
    assert at > 0 and schema.find(struct.pack("<iii", 2, 0, 1), at + 1) < 0
    out = join([Piece(_pq(schema, at + 8, "<i", 2), "schema")] + pieces[1:], footer)
    assert len(out) == len(data)
    bad_struct(S, "footer-schema-union-type-ids", "footer schema whose union typeIds differ from the stream's",
               out, expr, "Schema message: union typeIds [0, 1] -> [0, 2], footer kept")


# ----------------------------------------------------------------------------------------------
# Limits
# ----------------------------------------------------------------------------------------------

def limit_vectors(S: Suite):
    n = 2**28 + 1
    for name, expr, desc in [
            ("cells-null-2-28-plus-1", "pa.table({'n': pa.nulls(2**28 + 1)})",
             "one null column of 2^28+1 rows: cells pass max_elements"),
            ("cells-two-null-columns", "pa.table({'n': pa.nulls(2**27 + 1), 'm': pa.nulls(2**27 + 1)})",
             "two null columns of 2^27+1 rows: rows x fields passes max_elements")]:
        data = file_bytes(run(expr))
        assert len(data) < 4096 and pa.ipc.open_file(pa.py_buffer(data)).num_record_batches == 1
        bad_payload(S, f"limit-{name}", desc, ["dataframe.arrow.limits", "limits.conformance-defaults"], data,
                    "E_LIMIT_EXCEEDED", f"pa.ipc.new_file(...).write_table({expr})", budget=HOSTILE_BUDGET,
                    tags=["hostile", "boundary"])
    del n
    limit_before_contents_vector(S)
    rows_limit_vectors(S)


def limit_before_contents_vector(S: Suite):
    """The "Processing order" of [dataframe.arrow.file]: the limits come before item 4 (the
    columns' contents). A one-row table of a null and an int8 column, its batch length and both
    field nodes patched to 2^27+1 rows: 2^28+2 cells pass max_elements, and the int8 column's
    8-byte buffer is far too short for its rows. The limit is reported."""
    rows = 2**27 + 1
    expr = "pa.table({'n': pa.nulls(1), 'i': pa.array([1], pa.int8())})"
    data = file_bytes(run(expr))
    pieces, footer = split(data)
    assert [p.kind for p in pieces] == ["schema", "recordbatch"]
    rb = pieces[1].data
    m = Msg(rb, 0)
    lp = m.header.field_pos(0)
    assert lp is not None and i64(rb, lp) == 1
    rb = _pq(rb, lp, "<q", rows)
    nodes = rb_field_nodes(rb)
    assert len(nodes) == 2
    for length_pos, _ in nodes:
        assert i64(rb, length_pos) == 1
        rb = _pq(rb, length_pos, "<q", rows)
    out = join([pieces[0], Piece(rb, "recordbatch")], footer)
    assert len(out) == len(data) and file_fault(out) is None
    bad_payload(S, "limit-before-contents", "2^27+1 rows of a null and an int8 column with an 8-byte buffer: "
                "the cell limit comes first", ["dataframe.arrow.limits",
                                                                             "dataframe.arrow.file"],
                out, "E_LIMIT_EXCEEDED", expr, f"record batch length and both field nodes 1 -> {rows}",
                budget=HOSTILE_BUDGET, tags=["hostile", "processing-order"])


def _zero_column_file(lengths) -> bytes:
    """pyarrow's file of record batches of one row and no columns, each batch's length then
    patched to lengths[k] (a batch with no fields has no buffers, so any length is consistent)."""
    b = pa.record_batch([pa.nulls(1)], names=["x"]).drop_columns(["x"])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, b.schema) as w:
        for _ in lengths:
            w.write_batch(b)
    data = sink.getvalue().to_pybytes()
    pieces, footer = split(data)
    assert [p.kind for p in pieces] == ["schema"] + ["recordbatch"] * len(lengths)
    new = [pieces[0]]
    for p, n in zip(pieces[1:], lengths):
        m = Msg(p.data, 0)
        lp = m.header.field_pos(0)
        assert lp is not None and i64(p.data, lp) == 1
        new.append(Piece(_pq(p.data, lp, "<q", n), "recordbatch"))
    out = join(new, footer)
    assert len(out) == len(data)
    return out


def rows_limit_vectors(S: Suite):
    """[dataframe.arrow.limits]: rows at most 2^53-1, even with no columns (no cells)."""
    e = "pa.record_batch([pa.nulls(1)], names=['x']).drop_columns(['x'])"
    for name, lengths, desc in [
            ("rows-2-53", [2**53], "one record batch of 2^53 rows and no columns: rows pass 2^53-1"),
            ("rows-two-batches-2-62", [2**62, 2**62],
             "two record batches of 2^62 rows each, no columns: the sum 2^63 passes 2^53-1 (and int64)"),
            ("rows-two-batches-2-52", [2**52, 2**52],
             "two record batches of 2^52 rows each, no columns: the sum 2^53 passes 2^53-1")]:
        data = _zero_column_file(lengths)
        assert file_fault(data) is None, name
        S.invalid(f"dataframe-invalid-limit-{name}", desc, ["dataframe.arrow.limits", "dataframe.arrow.columns"],
                  J(df_env(data)), "E_LIMIT_EXCEEDED",
                  src(f"pa.ipc.new_file(...).write_batch({e}) x {len(lengths)}",
                      f"record batch lengths 1 -> {', '.join(str(n) for n in lengths)}"),
                  schema_valid=True, budget=HOSTILE_BUDGET, tags=["hostile", "boundary"])


# ----------------------------------------------------------------------------------------------
# Dictionaries
# ----------------------------------------------------------------------------------------------

def dictionary_vectors(S: Suite):
    cat = df_arrow_bytes(run(CAT))
    cp, cf = split(cat)
    assert [p.kind for p in cp] == ["schema", "dictionary", "recordbatch"]
    rb = cp[2].data
    m = Msg(rb, 0)
    bufs = rb_buffers(rb)
    # columns a (int64: validity, values), c (int8 codes: validity, values)
    codes = bufs[3]
    assert rb[m.body + codes[2]:m.body + codes[2] + 3] == b"\x00\x01\x00"
    for name, v, desc in [("code-2", 2, "code 2 for a dictionary of two"), ("code-minus-1", 0xFF, "code -1"),
                          ("code-127", 0x7F, "code 127 for a dictionary of two")]:
        new = _pq(rb, m.body + codes[2] + 1, "<B", v)
        bad_payload(S, f"dictionary-{name}", f"categorical with {desc}", ["dataframe.arrow.dictionary"],
                    join([cp[0], cp[1], Piece(new, "recordbatch")], cf), "E_VALUE_DOMAIN", CAT,
                    f"second code 1 -> {v - 256 if v > 127 else v}")
    # the dictionary batch removed (footer's dictionaries block too): allowed only with no rows
    nf = _pq(cf, _vec_len_pos(cf, 2), "<I", 0)
    data = join([cp[0], cp[2]], nf, block_pieces=[1])
    assert file_fault(data) == "a declared dictionary id without its dictionary batch", file_fault(data)
    S.invalid("dataframe-invalid-dictionary-batch-missing",
              "categorical file of 3 rows whose dictionary batch is gone (the footer names none)", AF,
              J(df_env(data)), "E_ARROW_PAYLOAD",
              src(CAT, "dictionary batch removed, footer dictionaries count 1 -> 0"), schema_valid=True)
    e = 'pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array(["a", None]))})'
    bad_payload(S, "dictionary-null-entry", "dictionary whose second entry is null",
                ["dataframe.arrow.dictionary"], feather_bytes(run(e)), "E_VALUE_DOMAIN", f"write_feather({e})")
    e = 'pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([0, None], pa.int8()), pa.array([None, "b"]))})'
    bad_payload(S, "dictionary-null-entry-used", "dictionary whose null entry is the code of row 0",
                ["dataframe.arrow.dictionary"], feather_bytes(run(e)), "E_VALUE_DOMAIN", f"write_feather({e})")
    e = 'pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([5, None], pa.uint64()), pa.array(["a"]), safe=False)})'
    bad_payload(S, "dictionary-uint64-code-5", "uint64 code 5 for a dictionary of one entry",
                ["dataframe.arrow.dictionary"], feather_bytes(run(e)), "E_VALUE_DOMAIN", f"write_feather({e})")


# ----------------------------------------------------------------------------------------------
# pandas metadata
# ----------------------------------------------------------------------------------------------

def _nodup(pairs):
    names = [k for k, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError("duplicate member")
    return dict(pairs)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and abs(v) <= 2**53 - 1


def pandas_meta_fault(raw: bytes, names, rows):
    """The first of [dataframe.pandas.metadata], [dataframe.pandas.index] the metadata breaks, or None:
    the spec's rules, written out again for the generator's guard."""
    try:
        obj = json.loads(raw.decode("utf-8"), object_pairs_hook=_nodup,
                         parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError:
        return "dataframe.pandas.metadata"
    if _depth(obj) > 128 or not isinstance(obj, dict) or not isinstance(obj.get("index_columns"), list):
        return "dataframe.pandas.metadata"
    ic = obj["index_columns"]
    cols = obj.get("columns")
    if any(isinstance(e, str) for e in ic) and not (
            isinstance(cols, list) and all(isinstance(c, dict) for c in cols)):
        return "dataframe.pandas.metadata"
    PI_ = "dataframe.pandas.index"
    ranges = 0
    for e in ic:
        if isinstance(e, str):
            if names.count(e) != 1:
                return PI_
            objs = [c for c in cols if c.get("field_name") == e]
            if len(objs) != 1 or not (objs[0].get("name") is None or isinstance(objs[0].get("name"), str)) \
                    or "name" not in objs[0]:
                return PI_
        elif isinstance(e, dict) and e.get("kind") == "range":
            ranges += 1
            if not all(_int(e.get(k)) for k in ("start", "stop", "step")) or e["step"] == 0 or \
                    "name" not in e or not (e["name"] is None or isinstance(e["name"], str)):
                return PI_
            if len(range(e["start"], e["stop"], e["step"])) != rows:
                return PI_
        else:
            return PI_
    if ranges and len(ic) != 1:
        return PI_
    strs = [e for e in ic if isinstance(e, str)]
    if len(set(strs)) != len(strs):
        return PI_
    return None


IDX = 'pd.DataFrame({"a": [1.5, 2.5]}, index=pd.Index(["x", "y"], name="key"))'


def metadata_vectors(S: Suite):
    t = pa.Table.from_pandas(run(EX))
    pm = json.loads(t.schema.metadata[b"pandas"])
    ti = pa.Table.from_pandas(run(IDX))
    pmi = json.loads(ti.schema.metadata[b"pandas"])
    assert pmi["index_columns"] == ["key"]

    def meta(name, desc, table, text, clauses, mutation, expr=EX, code="E_PANDAS_METADATA", valid=False):
        data = feather_bytes(table.replace_schema_metadata({"pandas": text}))
        fault = pandas_meta_fault(text.encode("utf-8") if isinstance(text, str) else text, table.schema.names,
                                  table.num_rows)
        if valid:
            assert fault is None, (name, fault)
            return data
        assert fault == clauses[0], (name, fault)
        bad_payload(S, f"pandas-{name}", desc, clauses, data, code, expr, f"pandas metadata: {mutation}")

    def pmj(**kv):
        return json.dumps(with_(pm, **kv))

    def pmij(**kv):
        return json.dumps(with_(pmi, **kv))

    r = pm["index_columns"][0]
    for name, desc, text, m in [
            ("not-json", "pandas metadata that is not JSON", '{"index_columns": [', "cut after ["),
            ("not-utf8", "pandas metadata that is not UTF-8", b'{"index_columns": [], "x": "\xff"}',
             'a member "x" holding the byte ff'),
            ("duplicate-key", "pandas metadata with index_columns twice",
             '{"index_columns": [], "index_columns": []}', "index_columns written twice"),
            ("array", "pandas metadata that is an array", "[]", "[]"),
            ("string", "pandas metadata that is a JSON string", '"range"', '"range"'),
            ("null", "pandas metadata that is null", "null", "null"),
            ("empty", "pandas metadata that is empty", "", "empty text"),
            ("too-deep", "pandas metadata nested 200 deep in an ignored member",
             '{"index_columns": [], "attributes": ' + "[" * 200 + "]" * 200 + "}", "attributes: 200 nested arrays"),
            ("no-index-columns", "pandas metadata without index_columns", json.dumps(without(pm, "index_columns")),
             "index_columns removed"),
            ("index-columns-object", "index_columns an object", pmj(index_columns=r), "index_columns [r] -> r"),
            ("index-columns-null", "index_columns null", pmj(index_columns=None), "index_columns -> null"),
            ("index-columns-string", "index_columns a string", pmj(index_columns="a"), 'index_columns -> "a"')]:
        meta(name, desc, t, text, PM, m)
    for name, desc, entries, m in [
            ("range-stop-3", "range index of 3 values for 2 rows", [with_(r, stop=3)], "stop 2 -> 3"),
            ("range-stop-0", "range index of 0 values for 2 rows", [with_(r, stop=0)], "stop 2 -> 0"),
            ("range-step-0", "range index with step 0", [with_(r, step=0)], "step 1 -> 0"),
            ("range-step-minus-1", "range 0..2 step -1: no values for 2 rows", [with_(r, step=-1)], "step 1 -> -1"),
            ("range-two", "two range entries", [r, r], "range entry repeated"),
            ("range-and-column", "a range entry and a column entry", [r, "a"], 'entries [range, "a"]'),
            ("range-start-2-53", "range start 2^53", [with_(r, start=2**53, stop=2**53 + 2)],
             "start 0 -> 2^53, stop 2 -> 2^53+2"),
            ("range-start-float", "range start written 0.0", [with_(r, start=0.0)], "start 0 -> 0.0"),
            ("range-start-string", "range start written \"0\"", [with_(r, start="0")], 'start 0 -> "0"'),
            ("range-stop-missing", "range without stop", [without(r, "stop")], "stop removed"),
            ("range-name-int", "range name 5", [with_(r, name=5)], "name null -> 5"),
            ("range-kind-other", "range entry with kind ranged", [with_(r, kind="ranged")], 'kind "range" -> "ranged"'),
            ("entry-number", "index_columns entry 5", [5], "entries [5]"),
            ("entry-null", "index_columns entry null", [None], "entries [null]"),
            ("column-not-in-schema", "index column zzz, which no field has", ["zzz"], 'entries ["zzz"]')]:
        meta(name, desc, t, pmj(index_columns=entries), PI, m)
    for name, desc, text, m in [
            ("index-column-twice", "index column key named twice", pmij(index_columns=["key", "key"]),
             'index_columns ["key"] -> ["key", "key"]'),
            ("index-columns-no-columns", "index column key with no columns member", json.dumps(without(pmi, "columns")),
             "columns removed"),
            ("index-columns-columns-null", "index column key with columns null", pmij(columns=None), "columns -> null"),
            ("index-column-no-entry", "index column key with no columns object for it",
             pmij(columns=[c for c in pmi["columns"] if c["field_name"] != "key"]), "the key object removed from columns"),
            ("index-column-two-entries", "index column key with two columns objects for it",
             pmij(columns=pmi["columns"] + [c for c in pmi["columns"] if c["field_name"] == "key"]),
             "the key object repeated in columns"),
            ("index-column-name-int", "index column whose columns object has name 5",
             pmij(columns=[with_(c, name=5) if c["field_name"] == "key" else c for c in pmi["columns"]]),
             "key's name -> 5"),
            ("index-column-name-list", "index column whose columns object has name [\"k\"]",
             pmij(columns=[with_(c, name=["k"]) if c["field_name"] == "key" else c for c in pmi["columns"]]),
             'key\'s name -> ["k"]'),
            ("columns-item-string", "index column key, columns holding a string",
             pmij(columns=["key"] + pmi["columns"]), 'columns gets "key" first')]:
        clauses = PI if "index-column" in name and "columns" not in name.split("-")[1:3] else PM
        if name in ("index-column-twice", "index-column-no-entry", "index-column-two-entries",
                    "index-column-name-int", "index-column-name-list"):
            clauses = PI
        else:
            clauses = PM
        meta(name, desc, ti, text, clauses + ["dataframe.pandas.index-columns"], m, expr=IDX)
    dup = 'pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["x", "x"])'
    td = run(dup)
    meta("index-column-two-fields", "index column x where two fields are named x", td,
         json.dumps({"index_columns": ["x"], "columns": [{"name": None, "field_name": "x"}]}), PI,
         "index_columns [\"x\"], one columns object", expr=dup)
    # ignored members: valid
    for name, desc, text in [
            ("ignored-columns-names", "columns objects naming other columns: names come from the fields",
             pmj(columns=[with_(c, name="zz") for c in pm["columns"]])),
            ("ignored-extras", "unknown members, no creator, pandas_version 0",
             json.dumps(with_(without(pm, "creator", "column_indexes"), pandas_version="0", extra={"a": [1]}))),
            ("ignored-no-columns", "index_columns a range and no columns member", json.dumps(without(pm, "columns"))),
            ("range-max-safe", "range index start 2^53-3, stop 2^53-1", pmj(index_columns=[
                with_(r, start=2**53 - 3, stop=2**53 - 1)])),
            ("range-negative", "range index from -4 to -2 for 2 rows",
             pmj(index_columns=[with_(r, start=-4, stop=-2)])),
            ("index-columns-empty", "index_columns []: the default range", pmj(index_columns=[]))]:
        data = meta(name, desc, t, text, None, None, valid=True)
        from .dataframe import add_arrow
        add_arrow(S, f"pandas-{name}", f"write_feather(pa.Table.from_pandas({EX}).replace_schema_metadata(...))",
                  desc, ["dataframe.pandas.ignored", "dataframe.pandas.metadata", "dataframe.pandas.index"], data)


# ----------------------------------------------------------------------------------------------
# json rows
# ----------------------------------------------------------------------------------------------

def json_vectors(S: Suite):
    env = df_json_env(run(JEX))
    head = '{"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "json", "data": '

    def jbad(name, desc, data, code, clauses, sv, m=None, text=None):
        inp = T(head + text + "}") if text is not None else J(with_(env, data=data))
        source = src(JEX, m) if m else hand("json rows no pandas frame produces")
        if text is not None:
            S.invalid(f"dataframe-invalid-json-{name}", desc, clauses, inp, code, source)
        else:
            S.invalid(f"dataframe-invalid-json-{name}", desc, clauses, inp, code, source, schema_valid=sv)

    R, C, TY, V = (["dataframe.json.rows"], ["dataframe.json.columns"], ["dataframe.json.types"],
                   ["dataframe.json.values"])
    jbad("data-object", "json dataframe whose data is an object", {"a": [1, 2]}, "E_FIELD_TYPE", R, False,
         "data -> {\"a\": [1, 2]} (to_dict's default orient)")
    jbad("data-string", "json dataframe whose data is a string", "[]", "E_FIELD_TYPE", R, False, 'data -> "[]"')
    jbad("data-null", "json dataframe whose data is null", None, "E_FIELD_TYPE", R, False, "data -> null")
    jbad("row-array", "json dataframe whose rows are arrays", [[1, "x"], [2, None]], "E_FIELD_TYPE", R, False,
         "rows as arrays (orient split's data)")
    jbad("row-null", "json dataframe with a null row", [{"a": 1, "b": "x"}, None], "E_FIELD_TYPE", R, False,
         "row 1 -> null")
    jbad("row-string", "json dataframe with a string row", [{"a": 1, "b": "x"}, "a=2,b=y"], "E_FIELD_TYPE", R,
         False, 'row 1 -> "a=2,b=y"')
    jbad("row-bool", "json dataframe with a boolean row", [{"a": 1, "b": "x"}, True], "E_FIELD_TYPE", R, False,
         "row 1 -> true")
    jbad("row-number", "json dataframe with a number row", [{"a": 1, "b": "x"}, 2], "E_FIELD_TYPE", R, False,
         "row 1 -> 2")
    jbad("missing-member", "json rows where row 2 lacks b", [{"a": 1, "b": "x"}, {"a": 2}], "E_SHAPE_MISMATCH", C,
         True, "row 1's b removed")
    jbad("extra-member", "json rows where row 2 has c too", [{"a": 1, "b": "x"}, {"a": 2, "b": None, "c": 1}],
         "E_SHAPE_MISMATCH", C, True, "row 1 gets c: 1")
    S.invalid("dataframe-invalid-json-member-order", "json rows where row 2 has b before a", C,
              T(dumps_env(with_(env, data=[{"a": 1, "b": "x"}, {"b": None, "a": 2}]))), "E_SHAPE_MISMATCH",
              src(JEX, "row 1's members swapped (text: member order is the fault)"))
    jbad("other-name", "json rows where row 2 has c for b", [{"a": 1, "b": "x"}, {"a": 2, "c": None}],
         "E_SHAPE_MISMATCH", C, True, "row 1's b renamed c")
    jbad("empty-row-second", "json rows where row 2 is {}", [{"a": 1, "b": "x"}, {}], "E_SHAPE_MISMATCH", C, True,
         "row 1 -> {}")
    jbad("empty-row-first", "json rows where row 1 is {} and row 2 has members", [{}, {"a": 1}], "E_SHAPE_MISMATCH",
         C, True, "row 0 -> {}")
    for name, cells, desc, sv in [
            ("int-float", [1, 2.5], "1 and 2.5", True), ("int-string", [1, "1"], "1 and \"1\"", True),
            ("bool-int", [True, 1], "true and 1", True), ("float-string", [0.5, "x"], "0.5 and \"x\"", True),
            ("bool-string", [False, "false"], "false and \"false\"", True),
            ("array-cell", [[1], [2]], "array cells", False), ("object-cell", [{"x": 1}, None], "an object cell", False),
            ("array-cell-after-ints", [1, [2]], "1 and [2]", False)]:
        jbad(f"types-{name}", f"json column mixing {desc}", [{"a": c} for c in cells], "E_COLUMN_TYPE", TY, sv,
             f"column a cells -> {json.dumps(cells)}")
    for name, text, desc in [("int-float-text", '[{"a": 1}, {"a": 1.0}]', "integer token 1 and float token 1.0"),
                             ("int-exponent", '[{"a": 1}, {"a": 1e0}]', "integer token 1 and float token 1e0")]:
        jbad(f"types-{name}", f"json column of {desc}", None, "E_COLUMN_TYPE", TY, None, text=text)
    for name, text, desc in [
            ("int-2-53", '[{"a": 9007199254740992}]', "integer 2^53"),
            ("int-minus-2-53", '[{"a": -9007199254740992}]', "integer -2^53"),
            ("int-2-64", '[{"a": 18446744073709551616}]', "integer 2^64"),
            ("float-1e400", '[{"a": 1e400}]', "float 1e400"),
            ("float-minus-1e400", '[{"a": 1.5}, {"a": -1e400}]', "float -1e400 after 1.5")]:
        jbad(f"values-{name}", f"json cell {desc}", None, "E_VALUE_DOMAIN", V, None, text=text)
    jbad("values-int-2-53-json", "json cell 2^53 as a JSON integer", [{"a": 2**53}], "E_VALUE_DOMAIN", V, True,
         "a: 9007199254740992")
    jbad("duplicate-key", "json row with a twice", None, "E_JSON_DUPLICATE_KEY", ["json.duplicate-keys"], None,
         text='[{"a": 1, "a": 2}]')


# ----------------------------------------------------------------------------------------------
# Frames
# ----------------------------------------------------------------------------------------------

def frame_invalid_vectors(S: Suite, made):
    from .dataframe import df_frame
    expr, data = made["example"]
    F = df_frame(data)
    header, bufs = frame_split(F)
    st = stream_bytes(pa.Table.from_pandas(run(EX)))

    def fbad(name, desc, clauses, frame, code, m):
        S.invalid(f"dataframe-frame-invalid-{name}", desc, clauses, B(frame), code, src(EX, m))

    fbad("stream-buffer", "dataframe frame whose buffer is an Arrow stream", AF + ["frame.envelope"],
         write_frame(without(header, "buffers"), [st]), "E_ARROW_PAYLOAD", "buffer -> the IPC stream of the table")
    fbad("truncated-buffer", "dataframe frame whose buffer is the file cut in half", AF + ["frame.envelope"],
         write_frame(without(header, "buffers"), [data[:len(data) // 2]]), "E_ARROW_PAYLOAD", "buffer cut in half")
    fbad("data-string", "dataframe frame whose data is \"0\"", ["frame.references"],
         rebuild(with_(header, data="0"), bufs), "E_FIELD_TYPE", 'header data 0 -> "0"')
    fbad("data-1", "dataframe frame whose data refers to buffer 1 of one", ["frame.references"],
         rebuild(with_(header, data=1), bufs), "E_FRAME_LAYOUT", "header data 0 -> 1")
    fbad("extra-buffer", "dataframe frame with a second buffer nothing refers to", ["frame.references"],
         rebuild(with_(header, buffers=header["buffers"] + [[(len(data) + 63) // 64 * 64, 8]]), bufs + [b"\x00" * 8]),
         "E_FRAME_LAYOUT", "an 8-byte zero buffer appended")
    fbad("b64-member", "dataframe frame whose header also has b64", ["dataframe.members", "frame.envelope"],
         rebuild(dict(list(header.items())[:-1] + [("b64", b64(data)), ("buffers", header["buffers"])]), bufs),
         "E_UNKNOWN_FIELD", "b64 added before buffers")
    fbad("encoding-arrow", "dataframe frame whose header says encoding arrow", ["dataframe.encodings", "frame.envelope"],
         rebuild(with_(header, encoding="arrow"), bufs), "E_ENCODING_UNSUPPORTED", "encoding frame -> arrow")
    fbad("no-data", "dataframe frame whose header has no data", ["dataframe.required", "frame.envelope"],
         rebuild(without(header, "data"), bufs), "E_MISSING_FIELD", "data removed")
    fbad("no-codec-version", "dataframe frame without codecVersion", ["frame.codec-version", "envelope.codec-version"],
         rebuild(without(header, "codecVersion"), bufs), "E_CODEC_VERSION", "codecVersion removed")
    cat_expr, cat = made["categorical"]
    cp, cf = split(cat)
    rb = cp[2].data
    m = Msg(rb, 0)
    codes = rb_buffers(rb)[1]
    assert rb[m.body + codes[2] + 1] == 1
    new = _pq(rb, m.body + codes[2] + 1, "<B", 9)
    bad = join([cp[0], cp[1], Piece(new, "recordbatch")], cf)
    S.invalid("dataframe-frame-invalid-dictionary-code", "dataframe frame whose categorical has code 9 of three",
              ["dataframe.arrow.dictionary", "frame.envelope"], B(df_frame(bad)), "E_VALUE_DOMAIN",
              src(cat_expr, "second code 1 -> 9"))
    e = "pd.DataFrame({\"p\": pd.period_range(\"2020-01\", periods=2, freq=\"M\")})"
    S.invalid("dataframe-frame-invalid-type-period", "dataframe frame of a period column",
              CT + ["frame.envelope"], B(df_frame(df_arrow_bytes(run(e)))), "E_COLUMN_TYPE", src(e))


# ----------------------------------------------------------------------------------------------
# json limits ([dataframe.json.limits] before [dataframe.json.columns])
# ----------------------------------------------------------------------------------------------

JSON_LIMIT_BUDGET = {"wall_ms": 5000, "rss_mb": 256}


def json_limit_vectors(S: Suite):
    head = '{"__tywrap__": "dataframe", "codecVersion": 1, "encoding": "json", "data": ['
    first = "{" + ", ".join(f'"c{k}": 0' for k in range(1024)) + "}"
    for name, rows, code, clauses, desc in [
            ("limit-rows-x-members", 2**15 + 1, "E_LIMIT_EXCEEDED", ["dataframe.json.limits", "limits.conformance-defaults"],
             "1024 members in row 1, then 32768 rows {}: 32769 x 1024 x 8 passes max_decoded_bytes before rows compare"),
            ("columns-at-limit", 2**15, "E_SHAPE_MISMATCH", ["dataframe.json.columns", "dataframe.json.limits"],
             "1024 members in row 1, then 32767 rows {}: 32768 x 1024 x 8 is max_decoded_bytes; row 2 lacks members")]:
        inp = {"concat": [{"text": head + first}, {"text": ", {}", "repeat": rows - 1}, {"text": "]}"}]}
        text = head + first + ", {}" * (rows - 1) + "]}"
        env = json.loads(text)
        assert len(env["data"]) == rows and len(env["data"][0]) == 1024
        assert (rows * 1024 * 8 > 2**28) == (code == "E_LIMIT_EXCEEDED")
        S.invalid(f"dataframe-invalid-json-{name}", desc, clauses + ["vector.input"], inp, code,
                  hand("hostile: rows x first-row members sized against max_decoded_bytes with rows of no members"),
                  budget=JSON_LIMIT_BUDGET, tags=["hostile", "boundary", "processing-order"])
