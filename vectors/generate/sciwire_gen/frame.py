"""The binary frame ([frame.encode]): a writer, the pieces invalid vectors are built from, and a
reader of the frame layer ([frame.signature] to [frame.padding], then [frame.references]) that
guards the generator: valid frames are read back, invalid ones checked to fail first where they say.

Not an envelope module (no MARKER): each envelope's `*_frame.py` companion builds the header of
its marker and the element bytes of its real library object, and calls `write_frame` here.

The layout ([frame.encode], spec/src/frame.md):

    0     8  signature  c1 53 57 52 0d 0a 1a 0a
    8     4  version    u32 LE, 1
    12    4  H          u32 LE, the header's length in bytes
    16    H  header     JSON text: the envelope, then "buffers"; no whitespace, only the escapes
                        JSON requires in their short forms (json.dumps(separators=(",", ":"),
                        ensure_ascii=False) writes exactly that: checked below)
    16+H     padding    zero bytes up to D, the first multiple of 64 >= 16 + H
    D        buffers    buffer i at D + offset_i; offset_0 = 0, each next offset the first multiple
                        of 64 at or after the previous buffer's end, zero bytes between; the frame
                        ends where the last buffer ends (at D when there is none)

Buffer i is the i-th buffer the header's members refer to, in member order (ndarray: `data`;
scipy.sparse: `data`, then the two index arrays; torch.tensor: the nested `data`).
"""

from __future__ import annotations

import json
import math
import struct

SIGNATURE = bytes.fromhex("c15357520d0a1a0a")
VERSION = 1
ALIGN = 64
MAX_SAFE = 2**53 - 1
MAX_DEPTH = 128
MAX_DECODED_BYTES = 268435456


def align(n: int) -> int:
    """The first multiple of 64 at or after n."""
    return -(-n // ALIGN) * ALIGN


def header_text(header: dict) -> bytes:
    """[frame.encode]'s header spelling of a header held as Python values (members in the order
    the dict has them): no whitespace, integers in decimal, only the escapes JSON requires."""
    return json.dumps(header, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def layout(lengths) -> list:
    """[[offset, length], ...] of buffers of these lengths, as [frame.buffers] places them."""
    out, end = [], 0
    for n in lengths:
        off = align(end)
        out.append([off, n])
        end = off + n
    return out


def assemble(header: bytes, buffers, offsets=None, *, version=VERSION, h=None,
             signature=SIGNATURE, padding=None) -> bytes:
    """A frame from raw parts. `offsets` (relative to D) default to [frame.buffers]' layout of the
    buffers; `h` overrides the H field; `padding` overrides the bytes between 16 + H and D.
    Bytes between buffers are zero. Used by write_frame and, with overrides, by invalid vectors."""
    if offsets is None:
        offsets = [o for o, _ in layout(len(b) for b in buffers)]
    start = 16 + len(header)
    d = align(start)
    pad = bytes(d - start) if padding is None else padding
    out = bytearray(signature + struct.pack("<I", version) +
                    struct.pack("<I", len(header) if h is None else h) + header + pad)
    body = bytearray()
    for off, buf in zip(offsets, buffers):
        if off > len(body):
            body += bytes(off - len(body))
        body[off:off + len(buf)] = buf
    return bytes(out + body)


def write_frame(header: dict, buffers) -> bytes:
    """[frame.encode]: the frame of an envelope header (its members in [frame.encode]'s order,
    without `buffers`) and the bytes of the buffers it refers to, in reference order."""
    assert "buffers" not in header
    full = dict(header)
    full["buffers"] = layout(len(b) for b in buffers)
    return assemble(header_text(full), list(buffers))


def split(frame: bytes):
    """(header as a Python dict with member order kept, the buffers' bytes) of a well-formed
    frame, as write_frame made it."""
    h = struct.unpack_from("<I", frame, 12)[0]
    header = json.loads(frame[16:16 + h].decode("utf-8"))
    d = align(16 + h)
    return header, [frame[d + o:d + o + n] for o, n in header["buffers"]]


def rebuild(header: dict, buffers, **kw) -> bytes:
    """A frame of a (mutated) header dict, spelled as [frame.encode] says, and given buffers laid
    out by [frame.buffers] unless `offsets` is given: the header's own `buffers` member is kept as
    it is (a mutation may have changed it)."""
    return assemble(header_text(header), list(buffers), **kw)


# ----------------------------------------------------------------------------------------------
# Self-checks of the header spelling ([frame.encode])
# ----------------------------------------------------------------------------------------------

def _check_spelling():
    controls = "".join(chr(i) for i in range(0x20))
    got = header_text({"s": controls + '"\\/\u00e9\u2028\U0001f600', "n": [0, -1, 2**53 - 1],
                       "t": True, "z": None})
    short = {8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}
    want = ('{"s":"' + "".join(short.get(i, f"\\u{i:04x}") for i in range(0x20)) +
            '\\"\\\\/\u00e9\u2028\U0001f600","n":[0,-1,9007199254740991],"t":true,"z":null}')
    assert got == want.encode("utf-8"), got


_check_spelling()


# ----------------------------------------------------------------------------------------------
# A reader of the frame layer, for the generator's own checks (not a decoder: it reads what it
# needs to confirm that a vector breaks the rule it says, first)
# ----------------------------------------------------------------------------------------------

class FrameError(Exception):
    def __init__(self, code: str, clause: str, why: str):
        super().__init__(f"{code} [{clause}]: {why}")
        self.code, self.clause = code, clause


class NotAFrame(Exception):
    """[frame.detect]: the input does not start with c1; it is read as JSON text."""


def is_integer(v) -> bool:
    """A JSON number whose value is a whole number (conventions.md), as Python's json reads it."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, float) and math.isfinite(v) and v.is_integer()


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def _pairs(pairs):
    names = [k for k, _ in pairs]
    if len(set(names)) != len(names):
        raise FrameError("E_JSON_DUPLICATE_KEY", "json.duplicate-keys", "duplicate member name")
    return dict(pairs)


def _depth(v) -> int:
    if isinstance(v, dict):
        return 1 + max((_depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((_depth(x) for x in v), default=0)
    return 0


def parse_json(raw: bytes):
    """[json.utf8], [json.syntax], [json.duplicate-keys], [json.depth] of a single-fault text."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raise FrameError("E_JSON_SYNTAX", "json.utf8", "byte order mark")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FrameError("E_JSON_SYNTAX", "json.utf8", str(e)) from None
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constants)
    except FrameError:
        raise
    except (ValueError, RecursionError) as e:
        raise FrameError("E_JSON_SYNTAX", "json.syntax", str(e)) from None
    if _depth(value) > MAX_DEPTH:
        raise FrameError("E_LIMIT_EXCEEDED", "json.depth", "deeper than max_depth")
    return value


def read_frame(data: bytes, max_decoded=MAX_DECODED_BYTES):
    """The frame layer in processing order ([frame.signature] to [frame.padding]): returns
    (header, D, [(offset, length)]) or raises FrameError with the code and clause."""
    if data[:1] != SIGNATURE[:1]:
        raise NotAFrame()
    if len(data) < 8 or data[:8] != SIGNATURE:
        raise FrameError("E_FRAME_SIGNATURE", "frame.signature", "signature damaged or cut")
    if len(data) < 12:
        raise FrameError("E_FRAME_LAYOUT", "frame.header-length", "input ends inside the version")
    version = struct.unpack_from("<I", data, 8)[0]
    if version != VERSION:
        raise FrameError("E_FRAME_VERSION", "frame.version", f"version {version}")
    if len(data) < 16:
        raise FrameError("E_FRAME_LAYOUT", "frame.header-length", "H cut")
    h = struct.unpack_from("<I", data, 12)[0]
    if 16 + h > len(data):
        raise FrameError("E_FRAME_LAYOUT", "frame.header-length", f"16 + H = {16 + h} > {len(data)}")
    header = parse_json(data[16:16 + h])
    if not isinstance(header, dict):
        raise FrameError("E_NOT_ENVELOPE", "envelope.object", "the header is not an object")
    d = align(16 + h)
    if "buffers" not in header:
        raise FrameError("E_MISSING_FIELD", "frame.buffers", "no buffers member")
    bufs = header["buffers"]
    if not isinstance(bufs, list):
        raise FrameError("E_FIELD_TYPE", "frame.buffers", "buffers is not an array")
    items = []
    for entry in bufs:
        if not (isinstance(entry, list) and len(entry) == 2 and
                all(is_integer(x) and 0 <= x <= MAX_SAFE for x in entry)):
            raise FrameError("E_FRAME_LAYOUT", "frame.buffers", f"entry {entry!r}")
        items.append((int(entry[0]), int(entry[1])))
    if sum(n for _, n in items) > max_decoded:
        raise FrameError("E_LIMIT_EXCEEDED", "frame.limits", "buffers exceed max_decoded_bytes")
    end = 0
    for off, n in items:
        if off != align(end):
            raise FrameError("E_FRAME_LAYOUT", "frame.buffers", f"offset {off}, expected {align(end)}")
        end = off + n
    if d + end != len(data):
        raise FrameError("E_FRAME_LAYOUT", "frame.buffers", f"frame ends at {d + end}, input at {len(data)}")
    if any(data[16 + h:d]):
        raise FrameError("E_FRAME_LAYOUT", "frame.padding", "nonzero byte before D")
    prev = 0
    for off, n in items:
        if any(data[d + prev:d + off]):
            raise FrameError("E_FRAME_LAYOUT", "frame.padding", "nonzero byte between buffers")
        prev = off + n
    return header, d, items


def ref_index(v, nbuf: int, used: set) -> int:
    """[frame.references] of one payload member, where the marker's page checks it."""
    if not is_integer(v):
        raise FrameError("E_FIELD_TYPE", "frame.references", f"reference {v!r}")
    if not 0 <= v < nbuf:
        raise FrameError("E_FRAME_LAYOUT", "frame.references", f"no buffer {v}")
    if int(v) in used:
        raise FrameError("E_FRAME_LAYOUT", "frame.references", f"buffer {v} referred to twice")
    used.add(int(v))
    return int(v)


def all_referred(used: set, nbuf: int):
    """[frame.references], once the envelope is decoded: every buffer was referred to."""
    if used != set(range(nbuf)):
        raise FrameError("E_FRAME_LAYOUT", "frame.references", f"buffers {sorted(set(range(nbuf)) - used)} "
                         "never referred to")


def span(data: bytes, d: int, spans, i: int) -> bytes:
    off, n = spans[i]
    return data[d + off:d + off + n]
