"""The dtype table of spec/src/ndarray.md ([ndarray.dtype.table])."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from .errors import SciwireError

# Arrow types are described by small tuples, compared for equality:
#   ("bool",) ("int", bitWidth, signed) ("float", "HALF"|"SINGLE"|"DOUBLE")
#   ("timestamp", unit, None) ("date32",) ("duration", unit) ("utf8",) ("binary",)
ArrowType = Tuple


@dataclass(frozen=True)
class DType:
    name: str           # the table's spelling, e.g. "float64", "<U5"
    kind: str           # bool int uint float datetime date timedelta str bytes
    itemsize: int       # bytes per element in the canonical value
    arrow: ArrowType    # the Arrow type the arrow encoding requires
    width: int = 0      # n for <U{n} and |S{n}

    @property
    def json_ok(self) -> bool:
        """Whether the json encoding allows this dtype ([ndarray.json.dtypes])."""
        return self.kind in ("bool", "int", "uint", "float")

    def numpy(self) -> Optional[np.dtype]:
        """The little-endian numpy dtype, or None if numpy cannot hold it."""
        try:
            if self.kind == "str":
                return np.dtype(f"<U{self.width}")
            if self.kind == "bytes":
                return np.dtype(f"S{self.width}")
            return np.dtype(_NUMPY_SPELLING[self.name])
        except (TypeError, ValueError, OverflowError):
            return None

    def int_range(self) -> Tuple[int, int]:
        if self.kind == "int":
            b = self.itemsize * 8
            return -(2 ** (b - 1)), 2 ** (b - 1) - 1
        if self.kind == "uint":
            return 0, 2 ** (self.itemsize * 8) - 1
        raise AssertionError(self.name)


_UNITS = {"s": "SECOND", "ms": "MILLISECOND", "us": "MICROSECOND", "ns": "NANOSECOND"}

_FIXED = {}


def _add(name, kind, size, arrow, numpy_spelling):
    _FIXED[name] = DType(name, kind, size, arrow)
    _NUMPY_SPELLING[name] = numpy_spelling


_NUMPY_SPELLING = {}
_add("bool", "bool", 1, ("bool",), "?")
for _b in (8, 16, 32, 64):
    _add(f"int{_b}", "int", _b // 8, ("int", _b, True), f"<i{_b // 8}")
    _add(f"uint{_b}", "uint", _b // 8, ("int", _b, False), f"<u{_b // 8}")
_add("float16", "float", 2, ("float", "HALF"), "<f2")
_add("float32", "float", 4, ("float", "SINGLE"), "<f4")
_add("float64", "float", 8, ("float", "DOUBLE"), "<f8")
for _u, _arrow_unit in _UNITS.items():
    _add(f"datetime64[{_u}]", "datetime", 8, ("timestamp", _arrow_unit, None), f"<M8[{_u}]")
    _add(f"timedelta64[{_u}]", "timedelta", 8, ("duration", _arrow_unit), f"<m8[{_u}]")
_add("datetime64[D]", "date", 8, ("date32",), "<M8[D]")

# n: one to nine ASCII digits, no leading zero. fullmatch, so no trailing "\n".
_STR_RE = re.compile(r"<U([1-9][0-9]{0,8})")
_BYTES_RE = re.compile(r"\|S([1-9][0-9]{0,8})")


def lookup(name: str) -> Optional[DType]:
    """The table entry spelled exactly ``name``, or None."""
    d = _FIXED.get(name)
    if d is not None:
        return d
    m = _STR_RE.fullmatch(name)
    if m:
        n = int(m.group(1))
        return DType(name, "str", 4 * n, ("utf8",), n)
    m = _BYTES_RE.fullmatch(name)
    if m:
        n = int(m.group(1))
        return DType(name, "bytes", n, ("binary",), n)
    return None


def from_arrow(arrow: ArrowType) -> Optional[DType]:
    """The dtype whose Arrow type is ``arrow`` (legacy v0 without dtype), or None.

    Utf8 and Binary give none: their width n is unknown ([ndarray.legacy-v0]).
    """
    for d in _FIXED.values():
        if d.arrow == arrow:
            return d
    return None


def of_numpy(dt: np.dtype) -> DType:
    """The table entry of a numpy dtype, or SciwireError E_DTYPE_UNSUPPORTED.

    Only native (or little-endian) byte order is accepted: a big-endian array
    is refused, never byte-swapped ([ndarray.dtype.table]).
    """
    dt = np.dtype(dt)
    if dt.fields is not None or dt.subdtype is not None:
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"structured/subarray dtype {dt} is not in the dtype table; "
                           "sciwire never carries pickles or nested records", "ndarray.dtype.table")
    if dt.byteorder == ">" or (dt.byteorder == "=" and sys.byteorder == "big"):
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"big-endian dtype {dt.str} is refused; convert it explicitly "
                           "with a.astype(a.dtype.newbyteorder('<'))", "ndarray.dtype.table")
    k = dt.kind
    name = None
    if k == "b":
        name = "bool"
    elif k in "iu" and dt.itemsize in (1, 2, 4, 8):
        name = f"{'int' if k == 'i' else 'uint'}{dt.itemsize * 8}"
    elif k == "f" and dt.itemsize in (2, 4, 8):
        name = f"float{dt.itemsize * 8}"
    elif k in "mM":
        unit, count = np.datetime_data(dt)
        base = "datetime64" if k == "M" else "timedelta64"
        if count == 1:
            cand = f"{base}[{unit}]"
            if cand in _FIXED:
                name = cand
    elif k == "U":
        n = dt.itemsize // 4
        if n >= 1:
            name = f"<U{n}"
    elif k == "S":
        if dt.itemsize >= 1:
            name = f"|S{dt.itemsize}"
    d = lookup(name) if name is not None else None
    if d is None:
        why = {
            "c": "complex: split real and imaginary parts explicitly",
            "O": "object arrays would need pickle",
            "V": "void/structured dtypes would need a nested schema",
        }.get(k, "not in the dtype table")
        if k == "f":
            why = "extended precision is not portable"
        raise SciwireError("E_DTYPE_UNSUPPORTED", f"dtype {dt} is refused ({why})", "ndarray.dtype.table")
    return d
