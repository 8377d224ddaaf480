"""The dataframe and series mutants of sciwire-py (spec/src/dataframe.md,
spec/src/series.md). mutants.py imports this module after its own mutants,
so these come last in mutants.json, in this order."""

from __future__ import annotations

import json  # noqa: F401  (used by some mutants)

from mutants_registry import mutant
from sciwire_py import arrow_ipc, decoder, encoder, frame, jsontext, table, table_encode  # noqa: F401
from sciwire_py.errors import SciwireError  # noqa: F401


# --- dataframe (spec/src/dataframe.md) ---------------------------------------------

@mutant("df-footer-blocks-ignored",
        "the Arrow file is read as a stream reader reads it, from the magic to the end-of-stream marker: the "
        "footer's blocks, version and schema are never compared with the messages (only the closing ARROW1 is)",
        prefix="dataframe-", side="decode")
def _(p):
    def check_footer(payload, end, framed, schema):
        if bytes(payload[len(payload) - 6:]) != table.FILE_TAIL or len(payload) - end < 10:
            table.arrow_ipc._bad("the file does not end with ARROW1")
    p.set(table, "check_footer", check_footer)


@mutant("df-json-int-float-merged",
        "a json column mixing integer and float tokens is read as float64 (pandas' DataFrame.from_records), "
        "instead of being rejected",
        prefix="dataframe-", side="decode")
def _(p):
    orig = table.json_column_type

    def json_column_type(cells, what, clause):
        kinds = {table._cell_kind(x) for x in cells} - {"null"}
        if kinds == {"int64", "float64"}:
            return "float64"
        return orig(cells, what, clause)
    p.set(table, "json_column_type", json_column_type)


@mutant("df-range-index-length-ignored",
        "a pandas range index is taken from the metadata as written: its length is never compared with the "
        "number of rows",
        prefix="dataframe-", side="decode")
def _(p):
    orig = table.resolve_index

    def resolve_index(md, fields, rows):
        if md is not None and len(md["index_columns"]) == 1 and isinstance(md["index_columns"][0], dict):
            e = md["index_columns"][0]
            if e.get("kind") == "range" and all(isinstance(e.get(k), jsontext.JsonInt) for k in ("start", "stop",
                                                                                                  "step")):
                n = len(range(int(e["start"]), int(e["stop"]), int(e["step"]) or 1))
                if n != rows:
                    return ({"kind": "range", "name": e.get("name"), "start": int(e["start"]),
                             "stop": int(e["stop"]), "step": int(e["step"])}, list(range(len(fields))))
        return orig(md, fields, rows)
    p.set(table, "resolve_index", resolve_index)


@mutant("df-dictionary-materialized",
        "a dictionary (categorical) column is decoded to its values, as Table.to_pylist gives them, instead of "
        "its codes and dictionary: the type becomes the values' type",
        prefix="dataframe-", side="decode")
def _(p):
    orig = table.read_columns

    def read_columns(pl, types, clause_dict):
        cols = orig(pl, types, clause_dict)
        for c in cols:
            if c.type["id"] == "dictionary":
                d = c.dictionary
                c.values = [None if x is None else d[int(x)] for x in c.values]
                c.type, c.dictionary = c.type["values"], None
        return cols
    p.set(table, "read_columns", read_columns)


@mutant("df-no-cell-limit",
        "a table's size is never bounded: cells plus dictionary entries never against max_elements, rows never "
        "against 2^53-1, json rows x members never against max_decoded_bytes (only the input bytes bound it)",
        prefix="dataframe-", side="decode")
def _(p):
    p.set(table, "check_table_limits", lambda pl, nfields, limits: table.row_count(pl))
    p.set(table, "check_json_cells", lambda data, limits: None)


@mutant("df-json-limit-after-columns",
        "the json table's rows x first-row members x 8 bytes are counted only once every row's members were "
        "compared with the first row's (a reader that validates the rows before sizing the columns)",
        prefix="dataframe-", side="decode")
def _(p):
    orig = table.decode_dataframe_json

    def decode_dataframe_json(v, limits):
        data = v["data"]
        if isinstance(data, list) and all(isinstance(r, dict) for r in data):
            table.check_json_columns(data)
        return orig(v, limits)
    p.set(table, "decode_dataframe_json", decode_dataframe_json)


@mutant("df-dictionary-batch-optional",
        "a dictionary id with no DictionaryBatch is read as an empty dictionary whatever the rows (as when "
        "pyarrow writes none for a zero-row categorical), instead of rejecting a table with rows",
        prefix="dataframe-", side="decode")
def _(p):
    p.set(table, "check_dictionaries_present", lambda dict_fields, dictionaries, batches: None)


@mutant("df-encoder-index-name-clash-refused",
        "the encoder names index field k __index_level_k__ whatever the columns are called, and refuses a frame "
        "with a column of that name (E_PANDAS_METADATA) instead of skipping to the next free K",
        prefix="dataframe-", side="encode")
def _(p):
    def index_field_names(cols, n):
        names = [f"__index_level_{k}__" for k in range(n)]
        if set(names) & {c.name for c in cols}:
            raise SciwireError("E_PANDAS_METADATA", "a column has an index field's name", "dataframe.encode.members")
        return names
    p.set(table_encode, "index_field_names", index_field_names)


@mutant("df-extension-types-as-storage",
        "a field declaring an Arrow extension type (ARROW:extension:name: pandas' period and interval) is read "
        "as its storage type instead of being rejected",
        prefix="dataframe-", side="decode")
def _(p):
    p.set(table, "EXTENSION_KEY", b"\x00never a key")


@mutant("df-null-float-as-nan",
        "a null in a float column is read as NaN (what pandas' to_pandas gives for float64 columns) instead "
        "of null",
        prefix="dataframe-", side="decode")
def _(p):
    orig = table.column_leaves
    nan = {"float16": "7e00", "float32": "7fc00000", "float64": "7ff8000000000000"}

    def column_leaves(f, typ, batches, field_index, fields):
        vals = orig(f, typ, batches, field_index, fields)
        if typ["id"] in nan:
            vals = [nan[typ["id"]] if x is None else x for x in vals]
        return vals
    p.set(table, "column_leaves", column_leaves)


@mutant("df-json-member-order-ignored",
        "json rows are compared as sets of names: a row with the columns' members in another order is "
        "accepted (and read by name), as a reader that indexes each row by column name does",
        prefix="dataframe-", side="decode")
def _(p):
    def check_json_columns(data):
        names = list(data[0]) if data else []
        for r, row in enumerate(data):
            if set(row) != set(names) or len(row) != len(names):
                raise SciwireError("E_SHAPE_MISMATCH", f"row {r} has other members", "dataframe.json.columns")
        return names
    p.set(table, "check_json_columns", check_json_columns)


@mutant("df-encoder-json-integral-floats-as-ints",
        "the json encoder writes a float64 cell whose value is integral as an integer token (1.0 as 1, as "
        "JavaScript's JSON.stringify does), so the column reads back as int64 or mixed",
        prefix="dataframe-", side="encode")
def _(p):
    orig = table_encode._json_cells

    def _json_cells(col, clause):
        out = orig(col, clause)
        return [int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 2**53 else x for x in out]
    p.set(table_encode, "_json_cells", _json_cells)


# --- series (spec/src/series.md) -----------------------------------------------------

@mutant("series-name-kind-dropped",
        "a float name with an integral value is read as an integer (5.0 as 5), as a JSON.parse-based reader does",
        prefix="series-", side="decode")
def _(p):
    orig = table.check_series_name

    def check_series_name(v):
        x = orig(v)
        if isinstance(x, float) and not isinstance(x, (bool, table.IntName, jsontext.JsonInt)) and x.is_integer():
            return table.IntName(int(x))
        return x
    p.set(table, "check_series_name", check_series_name)


@mutant("series-name-optional",
        "name may be absent in version 1 too (tywrap's decoder never reads it) and is then null",
        prefix="series-", side="decode")
def _(p):
    def check_required_series(v, version, encoding):
        payload = "b64" if encoding == "arrow" else "data"
        if payload not in v:
            raise SciwireError("E_MISSING_FIELD", f"{payload} is required", "series.required")
    p.set(table, "check_required_series", check_required_series)


@mutant("series-field-name-unchecked",
        "the stream's one field may have any name: only the number of fields is checked",
        prefix="series-", side="decode")
def _(p):
    def check_series_schema(pl):
        if len(pl.schema.fields) != 1:
            raise SciwireError("E_ARROW_SCHEMA", "not one field", "series.arrow.schema")
        return pl.schema.fields[0]
    p.set(table, "check_series_schema", check_series_schema)


@mutant("series-batches-concatenated",
        "a series stream with several record batches is read as their concatenation (Table.from_batches) "
        "instead of being rejected",
        prefix="series-", side="decode")
def _(p):
    p.set(table, "check_series_batches", lambda pl, path: None)


@mutant("series-dictionary-null-entries",
        "a series' dictionary may hold nulls: its entries are read as they are, a null entry as null",
        prefix="series-", side="decode")
def _(p):
    orig = table.dictionary_entries

    def dictionary_entries(pl, f, typ, clause):
        rb = pl.dictionaries.get(f.dictionary["id"])
        if clause == "series.arrow.values" and rb is not None and rb.length and rb.nodes[0][1] > 0:
            vf = table.dataclasses.replace(f, dictionary=None)
            return table.column_leaves(vf, typ["values"], [rb], 0, [vf])
        return orig(pl, f, typ, clause)
    p.set(table, "dictionary_entries", dictionary_entries)


@mutant("series-empty-json-float64",
        "an empty json series is typed float64 (pandas' default for pd.Series([]) before 2.0) instead of null",
        prefix="series-", side="decode")
def _(p):
    orig = table.decode_series_json

    def decode_series_json(v, name, limits):
        d = orig(v, name, limits)
        if not d.column.values:
            d.column.type = {"id": "float64"}
        return d
    p.set(table, "decode_series_json", decode_series_json)


@mutant("series-encoder-name-dropped",
        "the encoder writes name null whatever the series' name (tywrap's decoder drops the name)",
        prefix="series-", side="encode")
def _(p):
    p.set(table_encode, "_name_json", lambda name: None)


@mutant("series-json-values-against-max-elements",
        "a json series' values are counted against max_elements (a count of values, not of the 8 bytes each "
        "takes once decoded), so 2^25+1 values pass the default limits",
        prefix="series-", side="decode")
def _(p):
    def check_series_json_size(data, limits):
        if len(data) > limits.max_elements:
            raise SciwireError("E_LIMIT_EXCEEDED", "more values than max_elements", "series.json.data")
    p.set(table, "check_series_json_size", check_series_json_size)


@mutant("series-encoder-empty-dictionary-unwritten",
        "the encoder writes neither a dictionary batch nor a record batch for a series without values (as "
        "pyarrow does for an empty categorical), so an empty dictionary series loses its dictionary",
        prefix="series-", side="encode")
def _(p):
    def write_stream(fields, columns, rows):
        schema, dict_msgs, _ids = table_encode.ipc_messages(fields, [], columns)
        parts = [table_encode._framed(*schema)]
        if rows:
            parts += [table_encode._framed(m, b) for m, b in dict_msgs]
            parts.append(table_encode._framed(*table_encode._batch_message(fields, columns, rows)))
        parts.append(table.EOS)
        return b"".join(parts)
    p.set(table_encode, "write_stream", write_stream)
