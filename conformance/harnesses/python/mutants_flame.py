"""The flame stream mutants of sciwire-py (spec/src/flame.md, "Tags 02 to
04" and [flame.encode.table], [flame.encode.array]). mutants.py imports this
module after mutants_table.py, so these come last in mutants.json, in this
order. Each is a fault a reader of flamepy's streams could plausibly have
(most of them flamepy's own behaviour, from the table of differences)."""

from __future__ import annotations

from mutants_registry import mutant
from sciwire_py import arrow_ipc, flame, table, table_encode
from sciwire_py.errors import SciwireError


def _read_stream_with(framed_filter=None, allow_trailing=False, add_eos=False):
    """flame.read_stream with a fault: the framed messages filtered, trailing
    bytes allowed, or a missing end-of-stream marker supplied."""
    def read_stream(payload):
        try:
            data = bytes(payload)
            if add_eos and not data.endswith(table.EOS):
                data += table.EOS
            framed, _end = arrow_ipc.read_framed(data, 0, allow_trailing)
            if framed_filter is not None:
                framed = framed_filter(framed)
            return table.check_messages(framed)
        except arrow_ipc.ArrowPayloadError as e:
            raise SciwireError("E_ARROW_PAYLOAD", f"not one well-formed Arrow IPC stream: {e}",
                               "flame.stream.message") from None
    return read_stream


@mutant("flame-stream-trailing-bytes-ignored",
        "bytes after a stream's end-of-stream marker are ignored, as flamepy's reader ignores them",
        prefer=("invalid-table-trailing-byte", "invalid-table-trailing-stream"), prefix="flame-", side="decode")
def _(p):
    p.set(flame, "read_stream", _read_stream_with(allow_trailing=True))


@mutant("flame-stream-eos-optional",
        "a stream that ends after a whole message, without its end-of-stream marker, is read as if it had one",
        prefer=("invalid-table-no-eos",), prefix="flame-", side="decode")
def _(p):
    p.set(flame, "read_stream", _read_stream_with(add_eos=True))


@mutant("flame-stream-dictionary-replacement-dropped",
        "a second DictionaryBatch for an id (pyarrow's replacement, after a record batch) is skipped: every "
        "batch's codes are read against the first dictionary",
        prefer=("invalid-table-dictionary-replacement", "invalid-table-dictionary-twice"), prefix="flame-",
        side="decode")
def _(p):
    def first_dictionary_only(framed):
        seen, out = set(), []
        for item in framed:
            msg = item[0]
            if msg.header_type == arrow_ipc.H_DICTIONARY_BATCH and msg.header is not None:
                if msg.header.id in seen:
                    continue
                seen.add(msg.header.id)
            out.append(item)
        return out
    p.set(flame, "read_stream", _read_stream_with(framed_filter=first_dictionary_only))


@mutant("flame-stream-first-batch-kept",
        "a tag 03 or 04 stream with several record batches is read as its first batch, the rest dropped, as "
        "flamepy's reader does (a stream with none is still refused)",
        prefer=("invalid-batch-two-batches", "invalid-array-two-batches"), prefix="flame-", side="decode")
def _(p):
    orig = flame.check_batches

    def check_batches(tag, pl):
        if tag != flame.TAG_TABLE and len(pl.batches) > 1:
            del pl.batches[1:]
        orig(tag, pl)
    p.set(flame, "check_batches", check_batches)


@mutant("flame-stream-no-batch-as-empty",
        "a tag 03 or 04 stream without a record batch is read as no rows (the series stream's rule: at most one "
        "batch), instead of being refused",
        prefer=("invalid-batch-no-batch", "invalid-array-no-batch"), prefix="flame-", side="decode")
def _(p):
    orig = flame.check_batches

    def check_batches(tag, pl):
        if pl.batches:
            orig(tag, pl)
    p.set(flame, "check_batches", check_batches)


@mutant("flame-array-field-name-unchecked",
        "a tag 03 stream's first field is the array, whatever it is named and however many fields follow "
        "(flamepy's column(0)); only a schema without fields is refused",
        prefer=("invalid-array-field-value", "invalid-array-two-fields", "invalid-array-field-empty-name"),
        prefix="flame-", side="decode")
def _(p):
    orig = flame.check_array_schema

    def check_array_schema(pl):
        if pl.schema.fields:
            return pl.schema.fields[0]
        return orig(pl)
    p.set(flame, "check_array_schema", check_array_schema)


@mutant("flame-array-named-data",
        "a tag 03 series is named after the wrapper's field, 'data', instead of null",
        prefer=("array-int64", "array-string"), prefix="flame-", side="decode")
def _(p):
    orig = flame.decode_stream

    def decode_stream(tag, payload, limits):
        out = orig(tag, payload, limits)
        if tag == flame.TAG_ARRAY:
            out.name = "data"
        return out
    p.set(flame, "decode_stream", decode_stream)


@mutant("flame-table-pandas-metadata-ignored",
        "a table or batch frame's pandas metadata is never read: every field is a column and the index is the "
        "range from 0 to the rows (pyarrow's to_pylist view)",
        prefer=("invalid-table-pandas-not-json", "invalid-table-pandas-range-length"), prefix="flame-",
        side="decode")
def _(p):
    def stream_index(pl, fields, rows, limits):
        return ({"kind": "range", "name": None, "start": 0, "stop": rows, "step": 1}, list(range(len(fields))))
    p.set(flame, "stream_index", stream_index)


@mutant("flame-stream-limits-after-contents",
        "a stream's cells are counted against max_elements only after every column's contents were checked "
        "(a reader that validates the batches first)",
        prefer=("invalid-table-order-limits-before-contents",), prefix="flame-", side="decode")
def _(p):
    orig_limits, orig_contents = flame.check_stream_limits, flame.check_stream_contents
    state = {}

    def check_stream_limits(pl, nfields, limits):
        state["args"] = (pl, nfields, limits)
        return table.row_count(pl)

    def check_stream_contents(pl, fields):
        orig_contents(pl, fields)
        orig_limits(*state.pop("args"))
    p.set(flame, "check_stream_limits", check_stream_limits)
    p.set(flame, "check_stream_contents", check_stream_contents)


@mutant("flame-stream-limits-rows-only",
        "a stream's size is bounded by its rows alone, as a series' values are: rows times fields and the "
        "dictionaries' entries are never counted",
        prefer=("invalid-table-limit-two-null-columns",), prefix="flame-", side="decode")
def _(p):
    def check_stream_limits(pl, nfields, limits):
        rows = table.row_count(pl)
        if rows > min(limits.max_elements, flame.MAX_SAFE_INTEGER):
            raise SciwireError("E_LIMIT_EXCEEDED", "too many rows", "flame.stream.limits")
        return rows
    p.set(flame, "check_stream_limits", check_stream_limits)


@mutant("flame-encoder-array-name-dropped",
        "the encoder writes a named series as an array frame without its name, instead of refusing it",
        prefer=("encode-refuse-array-named-series", "encode-refuse-array-name-int"), prefix="flame-",
        side="encode")
def _(p):
    p.set(flame, "check_array_name", lambda name: None)


@mutant("flame-encoder-no-batch-when-empty",
        "the encoder writes no record batch for a value without rows (as pyarrow's write_table does for an "
        "empty table), so an empty batch or array frame has none",
        prefer=("encode-batch-zero-rows", "encode-array-empty-float64"), prefix="flame-", side="encode")
def _(p):
    def write_one_batch_stream(fields, metadata, columns, rows):
        schema, dict_msgs, _ids = table_encode.ipc_messages(fields, metadata, columns)
        parts = [table_encode._framed(*schema)] + [table_encode._framed(m, b) for m, b in dict_msgs]
        if rows:
            parts.append(table_encode._framed(*table_encode._batch_message(fields, columns, rows)))
        parts.append(table.EOS)
        return b"".join(parts)
    p.set(table_encode, "write_one_batch_stream", write_one_batch_stream)


@mutant("flame-encoder-pandas-metadata-omitted",
        "the encoder writes a table or batch frame without the pandas metadata (pa.Table.from_arrays): the "
        "index fields become columns and a range index is lost",
        prefer=("encode-table-index-named", "encode-batch-range-named"), prefix="flame-", side="encode")
def _(p):
    orig = table_encode.dataframe_parts

    def dataframe_stream(rows, cols, index):
        fields, _metadata, columns = orig(rows, cols, index)
        return table_encode.write_one_batch_stream(fields, [], columns, rows)
    p.set(table_encode, "dataframe_stream", dataframe_stream)
