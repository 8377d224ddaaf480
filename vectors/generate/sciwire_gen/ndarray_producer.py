"""The ndarray envelope as tywrap 0.10's Python producer writes it (numpy + pyarrow,
re-implemented from the wire-format notes, not copied), and the canonical value of an array.

Shared by the ndarray modules (ndarray.py, ndarray_invalid.py, ndarray_invalid_arrow.py), and
by any envelope that carries ndarrays.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .arrowbytes import messages
from .common import b64, source_maker

# What the ndarray vectors were built with: source.libraries of each of them.
LIBRARIES = {"numpy": np.__version__, "pyarrow": pa.__version__}
src = source_maker(LIBRARIES)

NS = {"np": np, "pa": pa}


def run(expr: str):
    """Evaluate the expression that builds a value, so `source.expr` is exactly what ran."""
    return eval(expr, dict(NS))  # noqa: S307 - expressions are literals in the ndarray modules


def write_stream(schema, tables=(), batches=(), options=None, max_chunksize=None) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema, options=options) as w:
        for t in tables:
            w.write_table(t, max_chunksize=max_chunksize)
        for b in batches:
            w.write_batch(b)
    return sink.getvalue().to_pybytes()


def column_stream(arr, name="value", schema=None, options=None) -> bytes:
    """One-column stream holding an Arrow array (for payloads built directly with pyarrow)."""
    if schema is None:
        table = pa.Table.from_arrays([arr], names=[name])
    else:
        table = pa.Table.from_arrays([arr], schema=schema)
    return write_stream(table.schema, [table], options=options)


def producer_payload(a: np.ndarray) -> bytes:
    """tywrap's Arrow payload: flatten in C order, one column `value`, one IPC stream."""
    flat = a.flatten()
    table = pa.Table.from_arrays([pa.array(flat)], names=["value"])
    data = write_stream(table.schema, [table])
    if a.size == 0:  # pyarrow writes no RecordBatch for a zero-row table, as tywrap's payload has
        assert [m.kind for m in messages(data)] == ["schema", "eos"], "empty payload has a batch"
    return data


def arrow_env(a: np.ndarray) -> dict:
    return {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "arrow",
            "b64": b64(producer_payload(a)), "shape": list(a.shape), "dtype": str(a.dtype)}


def json_env(a: np.ndarray) -> dict:
    return {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json",
            "data": a.tolist(), "shape": list(a.shape), "dtype": a.dtype.name}


def env_arrow_raw(payload: bytes, shape, dtype) -> dict:
    env = {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "arrow", "b64": b64(payload)}
    if shape is not None:
        env["shape"] = shape
    if dtype is not None:
        env["dtype"] = dtype
    return env


def env_json_raw(data, shape, dtype) -> dict:
    return {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json",
            "data": data, "shape": shape, "dtype": dtype}


def canon(a: np.ndarray) -> dict:
    c = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"))
    return {"kind": "ndarray", "dtype": str(a.dtype), "shape": list(a.shape),
            "hex": c.tobytes().hex()}
