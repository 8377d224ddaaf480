"""Invalid FLM\\x02-\\x04 frames (spec/src/flame.md, "Tags 02 to 04"): flamepy's own bytes of real
pyarrow objects where flamepy writes what the profile refuses (a dictionary replaced between
chunks, extension and nested types, broken pandas metadata set with real pyarrow), streams of
pyarrow's own writer where flamepy's path cannot ask for an option (delta dictionaries, body
compression), and mutations of flamepy's bytes (`source.mutation`) or hand-built messages
(`source.handWritten`) for what no writer produces.

Each vector must fail first, in flame_stream.decode, at the clause it cites first, with its code
(flame_invalid.adder checks it). flamepy's verdict is computed, and the description says where
flamepy reads what the profile refuses.
"""

from __future__ import annotations

import struct

import pyarrow as pa

from .arrowbytes import Msg, i64, messages, patch, schema_message_int64
from .common import HOSTILE_BUDGET, hand
from .flame_stream import flamepy_reads, run, src, written

EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"
PO = ["processing-order"]


def pieces(data: bytes):
    """The messages of an FLM stream frame (the tag removed), as bytes, EOS last."""
    p = data[4:]
    return [p[m.pos:m.end] for m in messages(p)]


def join(tag: int, ps) -> bytes:
    return b"FLM" + bytes([tag]) + b"".join(ps)


def pyarrow_stream(tag: int, tables, options=None) -> bytes:
    sink = pa.BufferOutputStream()
    sink.write(b"FLM" + bytes([tag]))
    with pa.ipc.new_stream(sink, tables[0].schema, options=options) as w:
        for t in tables:
            w.write_table(t)
    return sink.getvalue().to_pybytes()


def body_buffers(piece: bytes):
    """[(position of offset, position of length, offset, length)] of a RecordBatch piece, and the
    body's position."""
    m = Msg(piece, 0)
    rb = m.header
    _, n, start = rb.vector(2)
    return [(start + 16 * k, start + 16 * k + 8, i64(piece, start + 16 * k), i64(piece, start + 16 * k + 8))
            for k in range(n)], m


def stream_invalid_vectors(add):
    """`add` is flame_invalid's adder(S): add(vid, desc, clauses, data, code, source, ...)."""

    def real(expr):
        return run(written(expr))

    def a(vid, desc, clauses, data, code, source, **kw):
        # "value" and "unconvertible" alike: flamepy returned something
        if flamepy_reads(data) and "flamepy" not in desc:
            note = " (flamepy reads it)"
            if len(desc) + len(note) < 120:
                desc += note
        add(vid, desc, clauses, data, code, source, **kw)

    MSG = ["flame.stream.message", "flame.streams", "flame.profile"]
    EX = "pa.table({'a': [1, 2], 's': ['x', 'yz']})"
    ex = real(EX)
    exsrc = lambda m: src(written(EX), m)  # noqa: E731
    p = pieces(ex)
    assert len(p) == 3 and p[2] == EOS
    a("stream-tag-alone", "FLM\\x02 with no stream after it", MSG, ex[:4], "E_ARROW_PAYLOAD",
      exsrc("the stream removed"))
    for tag, name, expr in [(3, "array", "pa.array([1, 2, 3], type=pa.int32())"),
                            (4, "batch", "pa.record_batch({'a': [1, 2]})")]:
        d = real(expr)
        assert d[3] == tag
        a(f"{name}-tag-alone", f"FLM\\x{tag:02x} with no stream after it", MSG, d[:4], "E_ARROW_PAYLOAD",
          src(written(expr), "the stream removed"))
    a("table-truncated-half", "a table stream cut in half", MSG, ex[:4 + (len(ex) - 4) // 2], "E_ARROW_PAYLOAD",
      exsrc("cut in half"))
    a("table-truncated-1", "a table stream one byte short (its end-of-stream marker cut)", MSG, ex[:-1],
      "E_ARROW_PAYLOAD", exsrc("last byte removed"))
    a("table-no-eos", "a table stream without its end-of-stream marker", MSG, ex[:-8], "E_ARROW_PAYLOAD",
      exsrc("the 8-byte end-of-stream marker removed"))
    a("table-trailing-byte", "a table stream and one zero byte after its end-of-stream marker", MSG,
      ex + b"\x00", "E_ARROW_PAYLOAD", exsrc("00 appended"))
    a("table-trailing-stream", "a table stream followed by the same stream again", MSG, ex + ex[4:],
      "E_ARROW_PAYLOAD", exsrc("the stream repeated after its end"))
    a("table-second-schema", "a table stream with its Schema message twice", MSG, join(2, [p[0], p[0], p[1], EOS]),
      "E_ARROW_PAYLOAD", exsrc("the schema message repeated"))
    a("table-batch-before-schema", "a table stream whose record batch comes before the schema", MSG,
      join(2, [p[1], p[0], EOS]), "E_ARROW_PAYLOAD", exsrc("schema and record batch swapped"))
    a("table-file-not-stream", "an Arrow IPC file (ARROW1) after FLM\\x02, not a stream", MSG,
      b"FLM\x02" + _file_bytes(run(EX)), "E_ARROW_PAYLOAD",
      src(f"pa.ipc.new_file(sink, t.schema).write_table(t) with t = {EX}", "FLM\\x02 prefixed"))
    tensor = run(written("np.arange(6.0).reshape(2, 3)"))
    a("table-tensor-message", "FLM\\x02 followed by a Tensor message: no Schema first", MSG,
      b"FLM\x02" + tensor[4:], "E_ARROW_PAYLOAD",
      src(written("np.arange(6.0).reshape(2, 3)"), "tag 01 -> 02"))

    # a dictionary replacement: flamepy's own bytes of a table whose chunks have different dictionaries
    REPL = ("pa.concat_tables([pa.Table.from_pandas(pd.DataFrame({'c': pd.Categorical(['x', 'y'])}), "
            "preserve_index=False), pa.Table.from_pandas(pd.DataFrame({'c': pd.Categorical(['z'])}), "
            "preserve_index=False)])")
    d = real(REPL)
    kinds = [m.kind for m in messages(d[4:])]
    assert kinds == ["schema", "dictionary", "recordbatch", "dictionary", "recordbatch", "eos"], kinds
    a("table-dictionary-replacement", "a table whose chunks have different dictionaries: flamepy writes a second "
      "dictionary batch, and reads it", MSG, d, "E_ARROW_PAYLOAD", src(written(REPL)))
    # a delta dictionary: pyarrow's writer, asked for deltas (flamepy's writer cannot be)
    DELTA = ("[pa.table({'c': pa.DictionaryArray.from_arrays(pa.array([0], pa.int8()), pa.array(['x']))}), "
             "pa.table({'c': pa.DictionaryArray.from_arrays(pa.array([1], pa.int8()), pa.array(['x', 'y']))})]")
    d = pyarrow_stream(2, run(DELTA), pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True))
    kinds = [m.kind for m in messages(d[4:])]
    assert kinds == ["schema", "dictionary", "recordbatch", "dictionary", "recordbatch", "eos"], kinds
    a("table-dictionary-delta", "pyarrow stream of two chunks with a delta dictionary batch, after FLM\\x02",
      MSG, d, "E_ARROW_PAYLOAD",
      src(f"pa.ipc.new_stream(sink, ts[0].schema, options=pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True))"
          f" writing ts = {DELTA}", "pyarrow's writer, not flamepy's: FLM\\x02 written before the stream"))
    CAT = "pa.Table.from_pandas(pd.DataFrame({'c': pd.Categorical(['x', 'y', 'x'])}), preserve_index=False)"
    cd = real(CAT)
    cp = pieces(cd)
    assert [m.kind for m in messages(cd[4:])] == ["schema", "dictionary", "recordbatch", "eos"]
    a("table-dictionary-missing", "a categorical table stream with rows but no dictionary batch", MSG,
      join(2, [cp[0], cp[2], EOS]), "E_ARROW_PAYLOAD", src(written(CAT), "the dictionary batch removed"))
    a("table-dictionary-twice", "a categorical table stream with its dictionary batch twice", MSG,
      join(2, [cp[0], cp[1], cp[1], cp[2], EOS]), "E_ARROW_PAYLOAD", src(written(CAT), "dictionary batch repeated"))
    a("table-dictionary-after-batch", "a categorical table stream whose dictionary follows the record batch", MSG,
      join(2, [cp[0], cp[2], cp[1], EOS]), "E_ARROW_PAYLOAD", src(written(CAT), "dictionary and record batch swapped"))
    for codec in ("lz4", "zstd"):
        d = pyarrow_stream(2, [run(EX)], pa.ipc.IpcWriteOptions(compression=codec))
        a(f"table-compressed-{codec}", f"pyarrow stream with {codec} body compression, after FLM\\x02", MSG, d,
          "E_ARROW_PAYLOAD",
          src(f"pa.ipc.new_stream(sink, t.schema, options=pa.ipc.IpcWriteOptions(compression={codec!r})) "
              f"writing t = {EX}", "pyarrow's writer, not flamepy's: FLM\\x02 written before the stream"))
    I64 = "pa.table({'value': pa.array([1, 2], pa.int64())})"
    ip = pieces(real(I64))
    a("table-big-endian-schema", "a table stream whose schema says big-endian", MSG,
      join(2, [schema_message_int64(1), ip[1], EOS]), "E_ARROW_PAYLOAD",
      src(written(I64), "schema message replaced by one with endianness Big (arrowbytes' writer)"))
    bufs, m = body_buffers(p[1])
    a("table-buffer-outside-body", "a table stream whose first values buffer lies past the body", MSG,
      join(2, [p[0], patch(p[1], bufs[1][0], "<q", m.body_len + 64), EOS]), "E_ARROW_PAYLOAD",
      exsrc(f"values buffer offset {bufs[1][2]} -> {m.body_len + 64}"))
    a("table-buffer-unaligned", "a table stream whose first values buffer starts at an offset not a multiple of 8",
      MSG, join(2, [p[0], patch(p[1], bufs[1][0], "<q", bufs[1][2] + 4), EOS]), "E_ARROW_PAYLOAD",
      exsrc(f"values buffer offset {bufs[1][2]} -> {bufs[1][2] + 4}"))
    a("table-body-length-huge", "a table record batch whose bodyLength is 2^40", MSG,
      join(2, [p[0], patch(p[1], m.body_len_pos, "<q", 2**40), EOS]), "E_ARROW_PAYLOAD",
      exsrc("bodyLength -> 2^40"), budget=HOSTILE_BUDGET)
    # item 4: the string column's contents
    UTF = "pa.table({'s': ['ab', 'cd']})"
    up = pieces(real(UTF))
    ubufs, um = body_buffers(up[1])
    data_off = ubufs[-1][2]
    assert up[1][um.body + data_off:um.body + data_off + 4] == b"abcd"
    bad = bytearray(up[1])
    bad[um.body + data_off] = 0xFF
    a("table-string-not-utf8", "a string column whose first byte is ff: not UTF-8", MSG, join(2, [up[0], bytes(bad), EOS]),
      "E_ARROW_PAYLOAD", src(written(UTF), "first data byte a -> ff"))
    off_pos = um.body + ubufs[1][2]
    assert struct.unpack_from("<3i", up[1], off_pos) == (0, 2, 4)
    a("table-string-offsets-decreasing", "a string column whose offsets are 0, 3, 2", MSG,
      join(2, [up[0], patch(patch(up[1], off_pos + 4, "<i", 3), off_pos + 8, "<i", 2), EOS]),
      "E_ARROW_PAYLOAD", src(written(UTF), "offsets 0, 2, 4 -> 0, 3, 2"))
    a("table-string-offsets-past-data", "a string column whose last offset is past its data", MSG,
      join(2, [up[0], patch(up[1], off_pos + 8, "<i", 64), EOS]),
      "E_ARROW_PAYLOAD", src(written(UTF), "last offset 4 -> 64"))
    NODES = "pa.table({'a': [1, 2]})"
    np_ = pieces(real(NODES))
    rb = Msg(np_[1], 0).header
    vpos, n, start = rb.vector(1)
    a("table-node-length", "a table whose field node says 3 values in a batch of 2", MSG,
      join(2, [np_[0], patch(np_[1], start, "<q", 3), EOS]), "E_ARROW_PAYLOAD",
      src(written(NODES), "field node length 2 -> 3"))

    # [flame.stream.batches]
    BA = ["flame.stream.batches", "flame.streams", "flame.profile"]
    TWO = "pa.concat_tables([pa.table({'data': [1, 2]}), pa.table({'data': [3]})])"
    two = real(TWO)
    assert [m.kind for m in messages(two[4:])].count("recordbatch") == 2
    a("batch-two-batches", "FLM\\x04 with two record batches (flamepy keeps the first and drops the other)",
      BA, b"FLM\x04" + two[4:], "E_ARROW_PAYLOAD", src(written(TWO), "tag 02 -> 04"))
    a("array-two-batches", "FLM\\x03 with two record batches of field data (flamepy keeps the first)",
      BA, b"FLM\x03" + two[4:], "E_ARROW_PAYLOAD", src(written(TWO), "tag 02 -> 03"))
    NONE = "pa.table({'data': pa.array([], pa.int64())})"
    none = real(NONE)
    assert [m.kind for m in messages(none[4:])] == ["schema", "eos"]
    a("batch-no-batch", "FLM\\x04 with a schema and no record batch (flamepy: StopIteration)",
      BA, b"FLM\x04" + none[4:], "E_ARROW_PAYLOAD", src(written(NONE), "tag 02 -> 04"))
    a("array-no-batch", "FLM\\x03 with a schema of field data and no record batch",
      BA, b"FLM\x03" + none[4:], "E_ARROW_PAYLOAD", src(written(NONE), "tag 02 -> 03"))

    # [flame.stream.array]
    AR = ["flame.stream.array", "flame.streams", "flame.profile"]
    for vid, desc, expr in [
            ("array-field-value", "FLM\\x03 whose one field is named value, not data", "pa.record_batch({'value': [1, 2]})"),
            ("array-field-empty-name", "FLM\\x03 whose one field is named with the empty string",
             "pa.record_batch({'': [1, 2]})"),
            ("array-two-fields", "FLM\\x03 with two fields, data and x", "pa.record_batch({'data': [1, 2], 'x': [3, 4]})"),
            ("array-zero-fields", "FLM\\x03 with a schema of no field and one batch of 2 rows",
             "pa.record_batch([pa.nulls(2)], names=['x']).drop_columns(['x'])")]:
        d = real(expr)
        assert d[3] == 4
        a(vid, desc + " (flamepy returns its first column)" if "zero" not in vid else desc, AR,
          b"FLM\x03" + d[4:], "E_ARROW_SCHEMA", src(written(expr), "tag 04 -> 03"))

    # [flame.stream.types]
    TY = ["flame.stream.types", "dataframe.column-types", "flame.streams", "flame.profile"]
    for suffix, arr, desc in [
            ("decimal128", "pa.array([decimal.Decimal('1.5'), None])", "decimal128(2, 1)"),
            ("list", "pa.array([[1, 2], None, []])", "list<int64>"),
            ("struct", "pa.array([{'x': 1}, None])", "struct<x: int64>"),
            ("date64", "pa.array([0, 86400000], pa.date64())", "date64"),
            ("time64", "pa.array([1, 2], pa.time64('us'))", "time64[us]"),
            ("time32", "pa.array([1, 2], pa.time32('s'))", "time32[s]"),
            ("fixed-size-binary", "pa.array([b'ab', b'cd'], pa.binary(2))", "fixed_size_binary(2)"),
            ("string-view", "pa.array(['a', 'b'], pa.string_view())", "string_view"),
            ("dictionary-of-null", "pa.DictionaryArray.from_arrays(pa.array([None], pa.int8()), pa.nulls(0))",
             "dictionary whose values are Null"),
            ("period-extension", "pa.Array.from_pandas(pd.Series(pd.period_range('2020-01', periods=2, freq='M')))",
             "pandas period (an extension type over int64)"),
            ("interval-extension", "pa.Array.from_pandas(pd.Series(pd.interval_range(0, 2)))",
             "pandas interval (an extension type over a struct)")]:
        for kind, expr in [("table", f"pa.table({{'x': {arr}}})"), ("array", arr)]:
            d = real(expr)
            what = "a table with a column" if kind == "table" else "an array"
            a(f"{kind}-type-{suffix}", f"{what} of type {desc}", TY, d, "E_COLUMN_TYPE", src(written(expr)))
    PER = "pa.Table.from_pandas(pd.DataFrame({'p': pd.period_range('2020-01', periods=2, freq='M'), 'i': [1, 2]}))"
    a("table-type-period-from-pandas", "from_pandas of a DataFrame with a period column", TY, real(PER),
      "E_COLUMN_TYPE", src(written(PER)))
    BAT = "pa.RecordBatch.from_pandas(pd.DataFrame({'x': pd.interval_range(0, 2)}))"
    a("batch-type-interval-from-pandas", "a record batch from_pandas of an interval column", TY, real(BAT),
      "E_COLUMN_TYPE", src(written(BAT)))

    # [flame.stream.limits]
    LI = ["flame.stream.limits", "dataframe.arrow.limits", "limits.conformance-defaults", "flame.streams",
          "flame.profile"]
    for vid, desc, expr in [
            ("table-limit-null-2-28-plus-1", "a Null column of 2^28 + 1 rows: one cell past max_elements",
             "pa.table({'n': pa.nulls(2**28 + 1)})"),
            ("table-limit-two-null-columns", "two Null columns of 2^27 + 1 rows: 2^28 + 2 cells",
             "pa.table({'n': pa.nulls(2**27 + 1), 'm': pa.nulls(2**27 + 1)})"),
            ("array-limit-null-2-28-plus-1", "a Null array of 2^28 + 1 values", "pa.nulls(2**28 + 1)"),
            ("batch-limit-null-2-28-plus-1", "a record batch with a Null column of 2^28 + 1 rows",
             "pa.record_batch({'n': pa.nulls(2**28 + 1)})")]:
        d = real(expr)
        assert len(d) < 4096, vid
        a(vid, desc, LI, d, "E_LIMIT_EXCEEDED", src(written(expr)), budget=HOSTILE_BUDGET,
          tags=["hostile", "boundary"])
    Z = "pa.record_batch([pa.nulls(5)], names=['x']).drop_columns(['x'])"
    zp = pieces(real(Z))
    zm = Msg(zp[1], 0)
    lp = zm.header.field_pos(0)
    assert i64(zp[1], lp) == 5
    a("batch-limit-rows-2-53", "a record batch of no columns and 2^53 rows: past 2^53 - 1 (no cells)", LI,
      join(4, [zp[0], patch(zp[1], lp, "<q", 2**53), EOS]), "E_LIMIT_EXCEEDED", src(written(Z), "length 5 -> 2^53"),
      budget=HOSTILE_BUDGET)
    NU = "pa.table({'n': pa.nulls(3)})"
    nup = pieces(real(NU))
    nm = Msg(nup[1], 0)
    nlp = nm.header.field_pos(0)
    _, _, nstart = nm.header.vector(1)
    a("table-limit-null-2-40", "a Null column whose batch and node say 2^40 rows: 64 bytes of input", LI,
      join(2, [nup[0], patch(patch(nup[1], nlp, "<q", 2**40), nstart, "<q", 2**40), EOS]), "E_LIMIT_EXCEEDED",
      src(written(NU), "batch length and field node length 3 -> 2^40"), budget=HOSTILE_BUDGET)

    # [flame.stream.values]
    VA = ["flame.stream.values", "dataframe.arrow.dictionary", "flame.streams", "flame.profile"]
    cb, cm = body_buffers(cp[2])
    codes = cm.body + cb[1][2]
    assert cp[2][codes:codes + 3] == b"\x00\x01\x00"
    for vid, v, desc in [("code-2", 2, "code 2 for two categories"), ("code-minus-1", 0xFF, "code -1")]:
        a(f"table-dictionary-{vid}", f"a categorical table with {desc}", VA,
          join(2, [cp[0], cp[1], patch(cp[2], codes + 1, "<B", v), EOS]), "E_VALUE_DOMAIN",
          src(written(CAT), f"second code 1 -> {v if v < 128 else v - 256}"))
    ACAT = "pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int8()), pa.array(['x', 'y']))"
    ad = real(ACAT)
    ap = pieces(ad)
    ab, am = body_buffers(ap[2])
    acodes = am.body + ab[1][2]
    assert ap[2][acodes:acodes + 3] == b"\x00\x01\x00"
    a("array-dictionary-code-5", "a dictionary array with code 5 for two entries", VA,
      join(3, [ap[0], ap[1], patch(ap[2], acodes + 1, "<B", 5), EOS]), "E_VALUE_DOMAIN",
      src(written(ACAT), "second code 1 -> 5"))
    NULLD = "pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array([None, 'b']))"
    a("array-dictionary-null-entry", "a dictionary array whose first dictionary entry is null", VA, real(NULLD),
      "E_VALUE_DOMAIN", src(written(NULLD)))
    a("table-dictionary-null-entry", "a table whose dictionary column has a null entry", VA,
      real(f"pa.table({{'c': {NULLD}}})"), "E_VALUE_DOMAIN", src(written(f"pa.table({{'c': {NULLD}}})")))

    # [flame.stream.table]
    TA = ["flame.stream.table", "dataframe.pandas.metadata", "flame.streams", "flame.profile"]
    TI = ["flame.stream.table", "dataframe.pandas.index", "flame.streams", "flame.profile"]
    DF = "pa.Table.from_pandas(pd.DataFrame({'a': [1, 2]}))"
    for vid, desc, cl, expr in [
            ("table-pandas-not-json", "a table whose pandas metadata is the text not json", TA,
             f"{DF}.replace_schema_metadata({{'pandas': 'not json'}})"),
            ("table-pandas-no-index-columns", "a table whose pandas metadata has columns but no index_columns", TA,
             f"{DF}.replace_schema_metadata({{'pandas': '{{\"columns\": []}}'}})"),
            ("table-pandas-range-length", "a range index of 3 values for 2 rows", TI,
             f"{DF}.replace_schema_metadata({{'pandas': '{{\"index_columns\": [{{\"kind\": \"range\", \"name\": null, "
             f"\"start\": 0, \"stop\": 3, \"step\": 1}}], \"columns\": []}}'}})"),
            ("table-pandas-index-names-no-field", "index_columns names a field the schema lacks", TI,
             f"{DF}.replace_schema_metadata({{'pandas': '{{\"index_columns\": [\"nope\"], \"columns\": "
             f"[{{\"name\": null, \"field_name\": \"nope\"}}]}}'}})"),
            ("table-pandas-concat-range", "flamepy: concat_tables of two from_pandas tables keeps the first "
             "range index, 0..2 for 4 rows", TI, f"pa.concat_tables([{DF}, {DF}])"),
            ("batch-pandas-range-step-0", "a record batch whose range index has step 0", TI,
             "pa.RecordBatch.from_pandas(pd.DataFrame({'a': [1, 2]})).replace_schema_metadata({'pandas': "
             "'{\"index_columns\": [{\"kind\": \"range\", \"name\": null, \"start\": 0, \"stop\": 2, \"step\": 0}], "
             "\"columns\": []}'})")]:
        a(vid, desc, cl, real(expr), "E_PANDAS_METADATA", src(written(expr)))

    # processing order: two faults, the first in flame.md's order gives the code
    for vid, desc, cl, data, code, source in [
            ("array-order-schema-before-type", "FLM\\x03 of one decimal field named value: the schema first",
             ["flame.stream.array", "flame.stream.types", "flame.streams", "flame.profile"],
             b"FLM\x03" + real("pa.record_batch({'value': pa.array([decimal.Decimal('1.5')])})")[4:], "E_ARROW_SCHEMA",
             src(written("pa.record_batch({'value': pa.array([decimal.Decimal('1.5')])})"), "tag 04 -> 03")),
            ("batch-order-batches-before-schema", "FLM\\x04 of two batches of a decimal column: the count first",
             ["flame.stream.batches", "flame.stream.types", "flame.streams", "flame.profile"],
             b"FLM\x04" + real("pa.concat_tables([pa.table({'d': pa.array([decimal.Decimal('1.5')])})] * 2)")[4:],
             "E_ARROW_PAYLOAD",
             src(written("pa.concat_tables([pa.table({'d': pa.array([decimal.Decimal('1.5')])})] * 2)"), "tag 02 -> 04")),
            ("table-order-types-before-pandas", "a decimal column and pandas metadata that is not JSON: type first",
             ["flame.stream.types", "flame.stream.table", "flame.streams", "flame.profile"],
             real("pa.table({'d': pa.array([decimal.Decimal('1.5')])}).replace_schema_metadata({'pandas': '['})"),
             "E_COLUMN_TYPE",
             src(written("pa.table({'d': pa.array([decimal.Decimal('1.5')])}).replace_schema_metadata({'pandas': '['})"))),
            ("table-order-limits-before-contents", "a Null column of 2^28 + 1 rows beside a string column whose data "
             "is cut: the limit first", ["flame.stream.limits", "flame.stream.message", "flame.streams", "flame.profile"],
             None, "E_LIMIT_EXCEEDED", None),
            ("table-order-contents-before-values", "a categorical whose dictionary string is not UTF-8 and a code 2: "
             "contents first", ["flame.stream.message", "flame.stream.values", "flame.streams", "flame.profile"],
             None, "E_ARROW_PAYLOAD", None),
            ("table-order-values-before-pandas", "a code outside the dictionary and pandas metadata not JSON: values first",
             ["flame.stream.values", "flame.stream.table", "flame.streams", "flame.profile"], None, "E_VALUE_DOMAIN", None)]:
        if data is None:
            data, source = _order_case(vid, cp, codes)
        a(vid, desc, cl, data, code, source, tags=PO + (["hostile"] if "limits" in vid else []),
          budget=HOSTILE_BUDGET if "limits" in vid else None)


def _file_bytes(t: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, t.schema) as w:
        w.write_table(t)
    return sink.getvalue().to_pybytes()


def _order_case(vid, cp, codes):
    CAT = "pa.Table.from_pandas(pd.DataFrame({'c': pd.Categorical(['x', 'y', 'x'])}), preserve_index=False)"
    if vid == "table-order-limits-before-contents":
        E = "pa.table({'n': pa.nulls(2**28 + 1), 's': pa.array(['ab'] * (2**28 + 1))})"
        small = "pa.table({'n': pa.nulls(1), 's': ['ab']})"
        sp = pieces(run(written(small)))
        m = Msg(sp[1], 0)
        lp = m.header.field_pos(0)
        _, n, start = m.header.vector(1)
        piece = patch(sp[1], lp, "<q", 2**28 + 1)
        for k in range(n):
            piece = patch(piece, start + 16 * k, "<q", 2**28 + 1)
        return join(2, [sp[0], piece, EOS]), src(written(small), "batch length and both field node lengths 1 -> "
                                                 "2^28 + 1: the string column's buffers now far too short")
    if vid == "table-order-contents-before-values":
        dpiece = bytearray(cp[1])
        dm = Msg(cp[1], 0)
        pos = bytes(dpiece).index(b"xy", dm.body)
        dpiece[pos] = 0xFF
        return (join(2, [cp[0], bytes(dpiece), patch(cp[2], codes + 1, "<B", 2), EOS]),
                src(written(CAT), "dictionary entry x -> \\xff, second code 1 -> 2"))
    if vid == "table-order-values-before-pandas":
        DFC = "pa.Table.from_pandas(pd.DataFrame({'c': pd.Categorical(['x', 'y', 'x'])}))"
        dp = pieces(run(written(DFC)))
        # the schema's pandas metadata: its first byte { -> [ (same length), then a code 2
        sch = bytearray(dp[0])
        pos = bytes(sch).index(b'{"index_columns"')
        sch[pos] = ord("[")
        cb, cm = body_buffers(dp[2])
        c = cm.body + cb[1][2]
        assert dp[2][c:c + 3] == b"\x00\x01\x00"
        return (join(2, [bytes(sch), dp[1], patch(dp[2], c + 1, "<B", 2), EOS]),
                src(written(DFC), "pandas metadata's first byte { -> [, second code 1 -> 2"))
    raise AssertionError(vid)
