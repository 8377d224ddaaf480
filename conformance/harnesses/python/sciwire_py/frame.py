"""Binary frames (spec/src/frame.md): [frame.*] in processing order, and the
writer of [frame.encode].

A frame is an envelope whose payload travels out of line:

    offset 0   8 bytes  signature c1 53 57 52 0d 0a 1a 0a
           8   u32 LE   version 1
          12   u32 LE   H, the header's length
          16   H bytes  the header: JSON text, one object (the envelope and "buffers")
        16+H   zeros    up to D, the first multiple of 64 >= 16+H
           D   buffers  buffer i at D + offset_i, zeros between them, nothing after

Decoding checks the frame's own clauses first, up to [frame.padding], and
then hands the header (without ``buffers``) to the SAME envelope code that
reads JSON envelopes (:func:`decoder.decode_value`), with the frame active
(:data:`CURRENT`): that is what makes ``"frame"`` a listed encoding, and the
payload members buffer references, read by :meth:`Frame.take`.

As in decoder.py, each clause is one module-level function called through
the module's globals, so that mutants.py can switch single rules off.
"""

from __future__ import annotations

import contextvars
import json
import struct
import sys
from typing import List, Optional, Tuple

import numpy as np

from . import decoder, jsontext
from .dtypes import DType
from .errors import SciwireError, pointer
from .limits import DEFAULT_LIMITS, MAX_SAFE_INTEGER, Limits

SIGNATURE = b"\xc1SWR\r\n\x1a\n"
VERSION = 1
PREFIX = 16
ALIGN = 64

#: The frame whose header is being decoded (None outside a frame's header).
CURRENT: contextvars.ContextVar = contextvars.ContextVar("sciwire_frame", default=None)


def align(n: int) -> int:
    """The first multiple of 64 at or after n."""
    return -(-n // ALIGN) * ALIGN


def is_frame(data) -> bool:
    """[frame.detect]: bytes whose first byte is c1."""
    return isinstance(data, (bytes, bytearray, memoryview)) and len(data) > 0 and memoryview(data)[0] == 0xC1


def active() -> Optional["Frame"]:
    return CURRENT.get()


class Frame:
    """A frame whose layout has been checked: the input's memory, where each
    buffer starts (absolute) and how long it is, and which buffers the
    envelope has referred to so far."""

    def __init__(self, mem: memoryview, starts: List[int], lengths: List[int]):
        self.mem = mem
        self.starts = starts
        self.lengths = lengths
        self.referred = [False] * len(starts)

    def __len__(self) -> int:
        return len(self.starts)

    def view(self, index: int) -> memoryview:
        s = self.starts[index]
        return self.mem[s:s + self.lengths[index]]


# ---------------------------------------------------------------------------
# The frame's own checks, in processing order
# ---------------------------------------------------------------------------

def _layout(msg, clause="frame.buffers", path=None):
    return SciwireError("E_FRAME_LAYOUT", msg, clause, path)


def check_signature(mem: memoryview) -> None:
    """[frame.signature]"""
    if bytes(mem[:8]) != SIGNATURE:
        what = "is shorter than" if len(mem) < 8 and SIGNATURE.startswith(bytes(mem)) else "does not start with"
        raise SciwireError("E_FRAME_SIGNATURE", f"the input starts with c1 but {what} the frame signature "
                           "c1 53 57 52 0d 0a 1a 0a", "frame.signature")


def check_version(mem: memoryview) -> None:
    """[frame.version] (an input that ends before the version is left to
    [frame.header-length])."""
    if len(mem) < 12:
        return
    version = struct.unpack_from("<I", mem, 8)[0]
    if version != VERSION:
        raise SciwireError("E_FRAME_VERSION", f"frame version {version} is not 1", "frame.version")


def check_header_length(mem: memoryview) -> int:
    """[frame.header-length]: the 16-byte prefix is there and 16 + H fits in
    the input, checked before anything is allocated for the header."""
    if len(mem) < PREFIX:
        raise _layout(f"the input ends after {len(mem)} bytes, inside the 16-byte frame prefix",
                      "frame.header-length")
    h = struct.unpack_from("<I", mem, 12)[0]
    if PREFIX + h > len(mem):
        raise _layout(f"the header length {h} runs past the end of the {len(mem)}-byte input",
                      "frame.header-length")
    return h


def parse_header(mem: memoryview, h: int, limits: Limits):
    """[frame.header]: exactly the H bytes after the prefix, as JSON text
    ([json.utf8], [json.syntax], [json.depth], [json.duplicate-keys]), through
    the same reader as JSON envelopes."""
    return decoder.parse_text(bytes(mem[PREFIX:PREFIX + h]), limits)


def check_header_object(header) -> None:
    """A header that is not an object is not an envelope ([envelope.object],
    E_NOT_ENVELOPE); an object without a marker is rejected there too, but
    only once the frame's own checks are done."""
    if not isinstance(header, dict):
        raise SciwireError("E_NOT_ENVELOPE", f"the frame's header is {decoder._kind(header)}, not an envelope "
                           "object", "envelope.object")


def _buffer_item(item) -> Optional[Tuple[int, int]]:
    if not jsontext.is_array(item) or len(item) != 2:
        return None
    pair = item.items() if isinstance(item, jsontext.NumberArray) else item
    out = []
    for x in pair:
        if not (decoder.is_integer_value(x) and 0 <= x <= MAX_SAFE_INTEGER):
            return None
        out.append(int(x))
    return out[0], out[1]


def read_buffers(header: dict) -> List[Tuple[int, int]]:
    """[frame.buffers], the first part: a member ``buffers``, an array whose
    items are each [offset, length], two integers in [0, 2^53-1]. Every item
    is read before the next step."""
    if "buffers" not in header:
        raise SciwireError("E_MISSING_FIELD", "the frame's header has no buffers member", "frame.buffers",
                           "/buffers")
    b = header["buffers"]
    if not jsontext.is_array(b):
        raise SciwireError("E_FIELD_TYPE", f"buffers is {decoder._kind(b)}, not an array", "frame.buffers",
                           "/buffers")
    items = b.items() if isinstance(b, jsontext.NumberArray) else b
    out = []
    for k, item in enumerate(items):
        pair = _buffer_item(item)
        if pair is None:
            raise _layout(f"buffers[{k}] is not an array of two integers [offset, length] in [0, 2^53-1]",
                          path=pointer("buffers", k))
        out.append(pair)
    return out


def check_buffer_limits(buffers, limits: Limits) -> None:
    """[frame.limits]: the sum of the lengths, before the layout is compared
    with the input."""
    total = 0
    for _off, length in buffers:
        total += length
        if total > limits.max_decoded_bytes:
            raise SciwireError("E_LIMIT_EXCEEDED", f"the buffers claim more than max_decoded_bytes "
                               f"{limits.max_decoded_bytes} bytes", "frame.limits", "/buffers")


def check_layout(buffers, h: int, size: int) -> int:
    """[frame.buffers], the layout: buffer 0 at offset 0, each next one at the
    first multiple of 64 after the end of the one before, and the frame ends
    where the last one ends (at D when there is none). Returns D."""
    d = align(PREFIX + h)
    end = 0
    for k, (off, length) in enumerate(buffers):
        want = align(end)
        if off != want:
            raise _layout(f"buffers[{k}] is at offset {off}; the one layout puts it at {want}",
                          path=pointer("buffers", k, 0))
        end = off + length
    if d + end != size:
        if d + end > size:
            raise _layout(f"the frame is cut: its buffers end at byte {d + end} of a {size}-byte input")
        raise _layout(f"{size - d - end} bytes follow the end of the frame at byte {d + end}")
    return d


def check_padding(mem: memoryview, h: int, d: int, buffers) -> None:
    """[frame.padding]: the bytes from 16 + H to D, and between buffers, are zero."""
    gaps = [(PREFIX + h, d)]
    end = 0
    for off, length in buffers:
        gaps.append((d + end, d + off))
        end = off + length
    for a, b in gaps:
        if b > a and bytes(mem[a:b]).count(0) != b - a:
            raise _layout(f"a padding byte between {a} and {b} is not zero", "frame.padding")


# ---------------------------------------------------------------------------
# References and buffer contents ([frame.references], [frame.lengths],
# [frame.values]), called from the marker pages at the points they name
# ---------------------------------------------------------------------------

def reference(v: dict, name: str, path_prefix: str = "") -> int:
    """[frame.references]: the member ``name`` holds the index of a buffer not
    referred to before; marks it referred."""
    fr = active()
    x = v[name]
    path = path_prefix + pointer(name)
    if not decoder.is_integer_value(x):
        raise SciwireError("E_FIELD_TYPE", f"{name} is {decoder._show(x)}, not a buffer index (an integer)",
                           "frame.references", path)
    if not 0 <= x < len(fr):
        raise SciwireError("E_FRAME_LAYOUT", f"{name} refers to buffer {decoder._show(x)}; the frame has "
                           f"{len(fr)}", "frame.references", path)
    i = int(x)
    check_not_referred(fr, i, name, path)
    fr.referred[i] = True
    return i


def check_not_referred(fr: Frame, i: int, name: str, path: str) -> None:
    if fr.referred[i]:
        raise SciwireError("E_FRAME_LAYOUT", f"{name} refers to buffer {i}, which another member already refers "
                           "to", "frame.references", path)


def check_all_referred(fr: Frame) -> None:
    """[frame.references]: once the envelope is decoded, every buffer has been
    referred to."""
    for i, r in enumerate(fr.referred):
        if not r:
            raise SciwireError("E_FRAME_LAYOUT", f"buffer {i} is referred to by no member of the envelope",
                               "frame.references", pointer("buffers", i))


def check_ndarray_length(index: int, count: int, dtype: DType) -> None:
    """[frame.lengths] for ndarray data: exactly count x item size."""
    n = active().lengths[index]
    if n != count * dtype.itemsize:
        raise SciwireError("E_SHAPE_MISMATCH", f"buffer {index} holds {n} bytes; {count} elements of {dtype.name} "
                           f"are {count * dtype.itemsize}", "frame.lengths", "/data")


def check_multiple(index: int, size: int, name: str) -> int:
    """[frame.lengths] for sparse arrays: a whole number of items; returns the count."""
    n = active().lengths[index]
    if n % size:
        raise SciwireError("E_SHAPE_MISMATCH", f"buffer {index} ({name}) holds {n} bytes, not a whole number of "
                           f"{size}-byte items", "frame.lengths", pointer(name))
    return n // size


def check_bool_bytes(raw: memoryview, clause_path: str) -> None:
    """[frame.values]: a bool element is 00 or 01."""
    a = np.frombuffer(raw, dtype=np.uint8)
    if a.size and int(a.max()) > 1:
        k = int(np.argmax(a > 1))
        raise SciwireError("E_VALUE_DOMAIN", f"bool element {k} is the byte {int(a[k]):02x}, not 00 or 01",
                           "frame.values", clause_path)


def check_str_units(raw: memoryview, clause_path: str) -> None:
    """[frame.values]: each UTF-32LE unit of a <U{n} element is a Unicode
    scalar value (at most 10ffff, not a surrogate)."""
    u = np.frombuffer(raw, dtype="<u4")
    if u.size:
        bad = (u > 0x10FFFF) | ((u >= 0xD800) & (u <= 0xDFFF))
        if bad.any():
            k = int(np.argmax(bad))
            raise SciwireError("E_VALUE_DOMAIN", f"UTF-32 unit {k} is {int(u[k]):x}, not a Unicode scalar value",
                               "frame.values", clause_path)


def check_values(raw: memoryview, dtype: DType, path: str) -> None:
    """[frame.values] on element bytes."""
    if dtype.kind == "bool":
        check_bool_bytes(raw, path)
    elif dtype.kind == "str":
        check_str_units(raw, path)


def _alignment(npd: np.dtype) -> int:
    return 4 if npd.kind == "U" else (1 if npd.kind == "S" else npd.itemsize)


def element_array(raw: memoryview, npd: np.dtype, count: int) -> np.ndarray:
    """[frame.view]: the elements over the input's memory when the buffer's
    address suits the element type and the machine is little-endian; else one
    copy, with the conversion it needs."""
    if count == 0:
        return np.empty((0,), dtype=npd)
    a = np.frombuffer(raw, dtype=npd, count=count)
    if sys.byteorder != "little" and npd.byteorder == "<" and npd.itemsize > 1:  # pragma: no cover - BE hosts
        return a.astype(npd.newbyteorder("="))
    if a.ctypes.data % _alignment(npd):
        return a.copy()
    return a


def ndarray_payload(v: dict, dtype: DType, shape, count: int) -> Optional[np.ndarray]:
    """The frame encoding of the ndarray page: [frame.references] (data),
    [frame.lengths], [frame.values]; then the flat elements (a view when it
    can be), or None when numpy cannot hold the (empty) value."""
    index = reference(v, "data")
    check_ndarray_length(index, count, dtype)
    raw = active().view(index)
    check_values(raw, dtype, "/data")
    npd = dtype.numpy()
    if npd is None:
        return None
    return element_array(raw, npd, count)


def sparse_payload(v: dict, fmt: str, names, dtype: DType):
    """The frame form of [sparse.arrays] and [frame.lengths]: the three
    references in member order, then the lengths. Returns the three buffer
    indices and the item counts."""
    idx = [reference(v, n) for n in names]
    counts = [check_multiple(idx[0], dtype.itemsize, names[0]),
              check_multiple(idx[1], 8, names[1]),
              check_multiple(idx[2], 8, names[2])]
    return idx, counts


def sparse_data(index: int, dtype: DType, count: int) -> np.ndarray:
    """[frame.values] on sparse data: the stored values (bool bytes checked)."""
    raw = active().view(index)
    check_values(raw, dtype, "/data")
    return element_array(raw, dtype.numpy(), count)


def sparse_indices(index: int, name: str) -> np.ndarray:
    """[frame.values] / [sparse.index-values]: little-endian int64 in [0, 2^53-1]."""
    raw = active().view(index)
    a = element_array(raw, np.dtype("<i8"), len(raw) // 8)
    if a.size:
        ok = (a >= 0) & (a <= MAX_SAFE_INTEGER)
        if not ok.all():
            k = int(np.argmin(ok))
            raise SciwireError("E_VALUE_DOMAIN", f"{name}[{k}] is {int(a[k])}, not an integer in [0, 2^53-1]",
                               "sparse.index-values", pointer(name, k))
    return a


# ---------------------------------------------------------------------------
# The whole frame
# ---------------------------------------------------------------------------

def as_memory(data) -> memoryview:
    mem = memoryview(data)
    if mem.ndim != 1 or mem.format != "B":
        mem = mem.cast("B")
    return mem


def decode_frame(data, limits: Limits = DEFAULT_LIMITS):
    """Decode a frame (bytes-like starting with c1; [limits.input-bytes] was
    checked by the caller): the frame's checks, then the header's envelope
    through decoder.decode_value, then every buffer referred to."""
    mem = as_memory(data)
    check_signature(mem)
    check_version(mem)
    h = check_header_length(mem)
    header = parse_header(mem, h, limits)
    check_header_object(header)
    buffers = read_buffers(header)
    check_buffer_limits(buffers, limits)
    d = check_layout(buffers, h, len(mem))
    check_padding(mem, h, d, buffers)
    fr = Frame(mem, [d + off for off, _ in buffers], [length for _, length in buffers])
    envelope = {k: x for k, x in header.items() if k != "buffers"}
    token = CURRENT.set(fr)
    try:
        value = decoder.decode_value(envelope, limits)
    finally:
        CURRENT.reset(token)
    check_all_referred(fr)
    return value


# ---------------------------------------------------------------------------
# Writing ([frame.encode])
# ---------------------------------------------------------------------------

def header_text(header: dict) -> bytes:
    """The header's bytes: no whitespace, integers in decimal, strings with
    only the escapes JSON requires in their short forms (control characters
    as \\u00xx, lowercase), every other character as itself in UTF-8. Python's
    json module writes exactly this with ensure_ascii=False."""
    return json.dumps(header, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def writer_align(n: int) -> int:
    """Where the writer puts the next thing after byte n: :func:`align` (a
    function of its own so that a mutant can give the writer another rule
    than the reader's)."""
    return align(n)


def layout(lengths) -> List[List[int]]:
    """The [offset, length] items of the one layout."""
    out, end = [], 0
    for n in lengths:
        off = writer_align(end)
        out.append([off, n])
        end = off + n
    return out


def check_frame_size(total: int) -> None:
    """A writer refuses a frame longer than the default max_input_bytes."""
    limit = Limits().max_input_bytes
    if total > limit:
        raise SciwireError("E_LIMIT_EXCEEDED", f"the frame would be {total} bytes; decoders read at most {limit}",
                           "frame.encode")


def write(header: dict, buffers: list) -> bytes:
    """A frame of ``header`` (members in the order of [frame.encode], without
    ``buffers``) and the buffers' bytes (bytes-like, each written once)."""
    sizes = [memoryview(b).nbytes for b in buffers]
    items = layout(sizes)
    head = dict(header)
    head["buffers"] = items
    text = header_text(head)
    d = writer_align(PREFIX + len(text))
    total = d + (items[-1][0] + items[-1][1] if items else 0)
    check_frame_size(total)
    out = bytearray(total)
    out[0:8] = SIGNATURE
    struct.pack_into("<II", out, 8, VERSION, len(text))
    out[PREFIX:PREFIX + len(text)] = text
    for (off, n), b in zip(items, buffers):
        if n:
            out[d + off:d + off + n] = memoryview(b).cast("B")
    return bytes(out)
