"""The tables sciwire's canonical values are checked against, shared by
objects.py (canonical value -> the Python object tywrap is given) and ts.py
(tywrap's TypeScript decoder's result -> canonical value): the dtype table,
the sparse dtypes and index members, the torch dtype table, and SAFE, the
largest safe integer of JavaScript (2^53-1)."""

import re

# The dtype table of spec/src/ndarray.md, as the canonical value spells it.
_DTYPE_RE = re.compile(
    r"^(?:bool|u?int(?:8|16|32|64)|float(?:16|32|64)"
    r"|datetime64\[(?:s|ms|us|ns|D)\]|timedelta64\[(?:s|ms|us|ns)\]"
    r"|<U[1-9][0-9]{0,8}|\|S[1-9][0-9]{0,8})$"
)
_HEX_RE = re.compile(r"^(?:[0-9a-f]{2})*$")

# [sparse.dtype]: the dtypes of the table that have a json form
SPARSE_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "float16", "float32", "float64")
SPARSE_INDEX_MEMBERS = {"csr": ("indices", "indptr"), "csc": ("indices", "indptr"),
                        "coo": ("row", "col")}
# [torch.dtype.table]: torch dtype -> the nested ndarray dtype
TORCH_DTYPES = {"torch.bool": "bool"}
TORCH_DTYPES.update({f"torch.{n}": n for n in (
    "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
    "float16", "float32", "float64")})
SAFE = 2**53 - 1
