"""Arrow IPC *file* bytes for the dataframe vectors: split a real pyarrow file into its messages
and footer, put (mutated) pieces back together with the footer's blocks pointing where the
messages now are, and a structural check of [dataframe.arrow.file] (items 1 to 3: magic, message
framing, message order, dictionary batches, end-of-stream, footer) that guards the generator:
structural invalid vectors must fail it, all the others must pass it.

Pure `struct` plus arrowbytes' flatbuffer reader, except file_schemas_agree (pyarrow's readers).
"""

from __future__ import annotations

import struct

from .arrowbytes import FbTable, Msg, i32, i64, u32

MAGIC = b"ARROW1\x00\x00"
EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"
BLOCK = 24


class Piece:
    """One encapsulated message of the file: its bytes and kind."""

    def __init__(self, data: bytes, kind: str):
        self.data, self.kind = data, kind

    def __repr__(self):
        return f"Piece({self.kind}, {len(self.data)})"


def split(buf: bytes):
    """(pieces, footer bytes) of a well-formed file as pyarrow writes it."""
    assert buf[:8] == MAGIC and buf[-6:] == b"ARROW1"
    flen = i32(buf, len(buf) - 10)
    fpos = len(buf) - 10 - flen
    pieces, pos = [], 8
    while pos < fpos:
        assert u32(buf, pos) == 0xFFFFFFFF
        if i32(buf, pos + 4) == 0:
            assert pos + 8 == fpos, "EOS right before the footer"
            break
        m = Msg(buf, pos)
        pieces.append(Piece(buf[pos:m.end], m.kind))
        pos = m.end
    return pieces, buf[fpos:len(buf) - 10]


def footer_root(footer: bytes) -> FbTable:
    return FbTable(footer, u32(footer, 0))


def footer_blocks(footer: bytes):
    """[(slot, position of the Block struct in footer, offset, metaDataLength, bodyLength)] for
    the dictionaries (slot 2) then the recordBatches (slot 3)."""
    root = footer_root(footer)
    out = []
    for slot in (2, 3):
        v = root.vector(slot)
        if v is None:
            continue
        _, n, start = v
        for k in range(n):
            p = start + BLOCK * k
            out.append((slot, p, i64(footer, p), i32(footer, p + 8), i64(footer, p + 16)))
    return out


def join(pieces, footer: bytes, eos=True, block_pieces=None, trailer=None) -> bytes:
    """A file of these pieces and this footer, the footer's blocks re-pointed: block k (in
    footer_blocks order) names piece block_pieces[k] (default: the dictionary and record batch
    pieces in order). `trailer` overrides the footer length field."""
    body, offsets = bytearray(MAGIC), []
    for p in pieces:
        offsets.append(len(body))
        body += p.data
    if eos:
        body += EOS
    blocks = footer_blocks(footer)
    if block_pieces is None:
        block_pieces = [i for i, p in enumerate(pieces) if p.kind in ("dictionary", "recordbatch")]
        assert len(block_pieces) == len(blocks), (block_pieces, blocks)
    f = bytearray(footer)
    for (slot, pos, off, meta, blen), k in zip(blocks, block_pieces):
        if k is None:  # keep the block as it was
            continue
        struct.pack_into("<q", f, pos, offsets[k])
    flen = len(f) if trailer is None else trailer
    return bytes(body + f + struct.pack("<i", flen) + b"ARROW1")


# ----------------------------------------------------------------------------------------------
# Structural check ([dataframe.arrow.file] items 1-3) for the generator's own guard
# ----------------------------------------------------------------------------------------------

def _dict_ids(buf: bytes, schema_msg: Msg) -> list:
    """Dictionary ids declared by the schema's top-level fields."""
    sch = schema_msg.header
    ids = []
    v = sch.vector(1)
    if v is None:
        return ids
    _, n, start = v
    for k in range(n):
        p = start + 4 * k
        field = FbTable(buf, p + u32(buf, p))
        enc = field.table(4)
        if enc is not None:
            idp = enc.field_pos(0)
            ids.append(i64(buf, idp) if idp is not None else 0)
    return ids


def file_fault(buf: bytes, stream=False):
    """None if the bytes are structurally one Arrow IPC file (or, with stream=True, one stream
    with dictionary batches as [series.arrow.stream] allows), else why not. Messages are
    trusted to be pyarrow's (no flatbuffer verification beyond framing)."""
    n = len(buf)
    if stream:
        pos, end = 0, n
    else:
        if n < 8 + 8 + 10 or buf[:8] != MAGIC:
            return "magic"
        if buf[-6:] != b"ARROW1":
            return "closing magic"
        flen = i32(buf, n - 10)
        if flen <= 0 or flen > n - 10 - 8:
            return "footer length"
        end = n - 10 - flen
        pos = 8
    msgs, saw_eos = [], False
    while pos < end:
        if pos + 8 > end or u32(buf, pos) != 0xFFFFFFFF:
            return f"continuation marker at {pos}"
        mlen = i32(buf, pos + 4)
        if mlen == 0:
            saw_eos = True
            pos += 8
            break
        if mlen < 0 or pos + 8 + mlen > end:
            return "metadata length"
        m = Msg(buf, pos)
        if m.body_len < 0 or m.end > end:
            return "body length"
        msgs.append(m)
        pos = m.end
    if not saw_eos:
        return "no end-of-stream marker"
    if pos != end:
        return "bytes between end-of-stream and footer" if not stream else "bytes after end-of-stream"
    if not msgs or msgs[0].kind != "schema":
        return "schema first"
    ids = _dict_ids(buf, msgs[0])
    seen, saw_rb = set(), 0
    for m in msgs[1:]:
        if m.kind == "schema":
            return "second schema"
        if m.kind == "dictionary":
            if saw_rb:
                return "dictionary batch after a record batch"
            idp = m.header.field_pos(0)
            did = i64(buf, idp) if idp is not None else 0
            if did not in ids:
                return f"dictionary id {did} undeclared"
            if did in seen:
                return f"dictionary id {did} twice"
            seen.add(did)
            dp = m.header.field_pos(2)
            if dp is not None and buf[dp]:
                return "delta dictionary"
            data = m.header.table(1)
            if data is not None and data.field_pos(3) is not None:
                return "compressed dictionary batch"
        elif m.kind == "recordbatch":
            saw_rb += 1
            if m.header.field_pos(3) is not None:
                return "body compression"
        else:
            return f"{m.kind} message"
    if saw_rb and set(ids) - seen:
        return "a declared dictionary id without its dictionary batch"
    if stream:
        if saw_rb > 1:
            return "more than one record batch"
        return None
    footer = buf[end:n - 10]
    root = footer_root(footer)
    vp = root.field_pos(0)
    if vp is None or struct.unpack_from("<h", footer, vp)[0] != 4:
        return "footer version"
    blocks = footer_blocks(footer)
    want = [(m.pos, m.fb - m.pos + m.meta_len, m.body_len) for m in msgs if m.kind == "dictionary"]
    want += [(m.pos, m.fb - m.pos + m.meta_len, m.body_len) for m in msgs if m.kind == "recordbatch"]
    got = [(off, meta, blen) for _, _, off, meta, blen in blocks]
    ndict = sum(1 for m in msgs if m.kind == "dictionary")
    if [b[0] for b in blocks].count(2) != ndict or got != want:
        return "footer blocks disagree with the messages"
    if not file_schemas_agree(buf):
        return "footer schema differs from the stream's"
    return None


def file_schemas_agree(buf: bytes) -> bool:
    import pyarrow as pa
    try:
        fs = pa.ipc.open_file(pa.py_buffer(buf)).schema
        ss = pa.ipc.open_stream(pa.py_buffer(buf[8:])).schema
    except Exception:  # noqa: BLE001 - pyarrow refusing one of them is a disagreement
        return False
    return fs.equals(ss, check_metadata=False)
