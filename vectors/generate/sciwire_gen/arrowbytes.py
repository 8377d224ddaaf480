"""Arrow IPC stream bytes: a minimal flatbuffer reader to find and patch fields in pyarrow's
output, and a minimal flatbuffer writer for metadata pyarrow cannot be made to write.

Pure `struct`: no pyarrow here, so any envelope module can use it.
"""

from __future__ import annotations

import struct

# ----------------------------------------------------------------------------------------------
# Arrow IPC stream inspection and patching (minimal flatbuffer reader)
# ----------------------------------------------------------------------------------------------


def u16(b, p):
    return struct.unpack_from("<H", b, p)[0]


def u32(b, p):
    return struct.unpack_from("<I", b, p)[0]


def i32(b, p):
    return struct.unpack_from("<i", b, p)[0]


def i64(b, p):
    return struct.unpack_from("<q", b, p)[0]


class FbTable:
    """A flatbuffer table inside `buf` at absolute position `pos`."""

    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        self.vt = pos - i32(buf, pos)
        self.vtlen = u16(buf, self.vt)

    def field_pos(self, slot):
        o = 4 + 2 * slot
        off = u16(self.buf, self.vt + o) if o < self.vtlen else 0
        return self.pos + off if off else None

    def table(self, slot):
        p = self.field_pos(slot)
        return None if p is None else FbTable(self.buf, p + u32(self.buf, p))

    def vector(self, slot):
        """(position of the u32 length, element count, position of the first element)"""
        p = self.field_pos(slot)
        if p is None:
            return None
        vp = p + u32(self.buf, p)
        return vp, u32(self.buf, vp), vp + 4


class Msg:
    HEADER = {1: "schema", 2: "dictionary", 3: "recordbatch", 4: "tensor", 5: "sparsetensor"}

    def __init__(self, buf, pos):
        self.pos = pos
        self.meta_len = i32(buf, pos + 4)
        self.fb = pos + 8
        self.root = FbTable(buf, self.fb + u32(buf, self.fb))
        ht = self.root.field_pos(1)
        self.kind = self.HEADER.get(buf[ht] if ht is not None else 0, "none")
        bl = self.root.field_pos(3)
        self.body_len = i64(buf, bl) if bl is not None else 0
        self.body_len_pos = bl
        self.body = self.fb + self.meta_len
        self.end = self.body + self.body_len
        self.header = self.root.table(2)


class Eos:
    kind = "eos"

    def __init__(self, pos):
        self.pos, self.end = pos, pos + 8


def messages(buf: bytes):
    """Split a well-formed pyarrow stream into messages (only used on real pyarrow output)."""
    out, pos = [], 0
    while pos < len(buf):
        assert u32(buf, pos) == 0xFFFFFFFF, "continuation marker expected"
        if i32(buf, pos + 4) == 0:
            out.append(Eos(pos))
            pos += 8
            continue
        m = Msg(buf, pos)
        out.append(m)
        pos = m.end
    return out


def first(buf, kind):
    return next(m for m in messages(buf) if m.kind == kind)


def patch(buf: bytes, pos: int, fmt: str, value) -> bytes:
    out = bytearray(buf)
    old = bytes(out[pos:pos + struct.calcsize(fmt)])
    struct.pack_into(fmt, out, pos, value)
    assert bytes(out) != buf or old == struct.pack(fmt, value), "patch changed nothing"
    return bytes(out)


def rb_field_nodes(buf):
    """[(pos_of_length, pos_of_null_count)] for the RecordBatch's FieldNode structs."""
    rb = first(buf, "recordbatch").header
    _, n, start = rb.vector(1)
    return [(start + 16 * i, start + 16 * i + 8) for i in range(n)]


def rb_buffers(buf):
    """[(pos_of_offset, pos_of_length, offset, length)] for the RecordBatch's Buffer structs."""
    rb = first(buf, "recordbatch").header
    _, n, start = rb.vector(2)
    return [(start + 16 * i, start + 16 * i + 8, i64(buf, start + 16 * i),
             i64(buf, start + 16 * i + 8)) for i in range(n)]


def rb_body(buf):
    m = first(buf, "recordbatch")
    return m.body, m.body_len


def with_variadic_counts(buf: bytes, counts) -> bytes:
    """`buf` (pyarrow's messages) with its first RecordBatch message written again by the writer
    below: the same length, field nodes, buffers and body, and a variadicBufferCounts vector
    `counts` (int64s, aligned), which pyarrow's own writer gives only view types."""
    m = first(buf, "recordbatch")
    rb = m.header
    lp = rb.field_pos(0)
    length = i64(buf, lp) if lp is not None else 0
    nodes = [(i64(buf, a), i64(buf, b)) for a, b in rb_field_nodes(buf)]
    bufs = [(o, ln) for _, _, o, ln in rb_buffers(buf)]
    r = {0: ("q", length),
         1: FbStructs(b"".join(struct.pack("<qq", *n) for n in nodes), len(nodes)),
         2: FbStructs(b"".join(struct.pack("<qq", *b) for b in bufs), len(bufs)),
         4: FbStructs(b"".join(struct.pack("<q", c) for c in counts), len(counts))}
    body = buf[m.body:m.end]
    msg = FbT({0: ("h", 4), 1: ("B", 3), 2: FbT(r), 3: ("q", len(body))})
    return buf[:m.pos] + encapsulate(fb_serialize(msg), body) + buf[m.end:]


# ----------------------------------------------------------------------------------------------
# Minimal flatbuffer writer, for Arrow metadata pyarrow cannot be made to write (big-endian schema)
# ----------------------------------------------------------------------------------------------

class FbObj:
    pass


class FbT(FbObj):
    """A table: fields is {slot: (fmt, value)} with fmt a struct code, or {slot: FbObj}.

    The options shape the bytes the way a flatbuffer may legally (or, for rejection vectors,
    illegally) be laid out; without them the layout is the writer's ordinary one:
    - ``place``: {slot: inline offset} overriding where a field lies in the table;
    - ``vt_size``: the vtable size written in its first u16 (its slots are cut to it);
    - ``tsize``: the table's inline size written in the vtable's second u16;
    - ``vt_after``: the vtable lies after the table (a negative soffset);
    - ``share``: reuse an identical vtable already written instead of writing another.
    """

    def __init__(self, fields, place=None, vt_size=None, tsize=None, vt_after=False, share=False):
        self.fields = fields
        self.place = place or {}
        self.vt_size, self.tsize, self.vt_after, self.share = vt_size, tsize, vt_after, share


class FbVec(FbObj):
    def __init__(self, items):  # vector of offsets to objects
        self.items = items


class FbStr(FbObj):
    def __init__(self, s, terminator=True):
        self.data = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        self.terminator = terminator


class FbStructs(FbObj):
    """A vector of structs (or scalars) given as raw bytes: `count` elements, aligned to `align`
    (the length u32 just before them); `misalign` shifts the elements by that many bytes."""

    def __init__(self, raw: bytes, count: int, align: int = 8, misalign: int = 0):
        self.raw, self.count, self.align, self.misalign = raw, count, align, misalign


def fb_serialize(root: FbObj) -> bytes:
    """Front-to-back layout: parents first, children after them (uoffsets point forward)."""
    out = bytearray(4)
    fixups = []  # (position of a uoffset, object it points to)
    where = {}
    vtables = {}  # vtable bytes -> position, for shared vtables
    queue = [root]
    fixups.append((0, root))
    while queue:
        obj = queue.pop(0)
        if id(obj) in where:
            continue
        if isinstance(obj, FbT):
            slots = sorted(obj.fields)
            nslots = (max(slots) + 1) if slots else 0
            inline = []  # (slot, size, fmt, value)
            for s in slots:
                v = obj.fields[s]
                if isinstance(v, FbObj):
                    inline.append((s, 4, "<I", v))
                else:
                    inline.append((s, struct.calcsize("<" + v[0]), "<" + v[0], v[1]))
            inline.sort(key=lambda x: -x[1])
            offsets, cur = {}, 4
            for s, size, _, _ in inline:
                if s in obj.place:
                    offsets[s] = obj.place[s]
                    continue
                cur = (cur + size - 1) // size * size
                offsets[s] = cur
                cur += size
            objlen = (max([cur] + [obj.place[s] + size for s, size, _, _ in inline if s in obj.place])
                      + 3) // 4 * 4
            vt = struct.pack("<HH", 4 + 2 * nslots, objlen) + b"".join(
                struct.pack("<H", offsets.get(s, 0)) for s in range(nslots))
            if obj.vt_size is not None:
                vt = struct.pack("<H", obj.vt_size) + vt[2:max(obj.vt_size, 2)]
            if obj.tsize is not None:
                vt = vt[:2] + struct.pack("<H", obj.tsize) + vt[4:]

            def put_vtable():
                if obj.share and vt in vtables:
                    return vtables[vt]
                while len(out) % 2:
                    out.append(0)
                pos = len(out)
                out.extend(vt)
                vtables.setdefault(vt, pos)
                return pos
            vt_pos = None if obj.vt_after else put_vtable()
            # table start 8-aligned, so that field offsets aligned to their size are aligned
            while len(out) % 8:
                out.append(0)
            t_pos = len(out)
            out.extend(bytes(objlen))
            if obj.vt_after:
                vt_pos = put_vtable()
            struct.pack_into("<i", out, t_pos, t_pos - vt_pos)
            for s, size, fmt, v in inline:
                if isinstance(v, FbObj):
                    fixups.append((t_pos + offsets[s], v))
                    queue.append(v)
                else:
                    struct.pack_into(fmt, out, t_pos + offsets[s], v)
            where[id(obj)] = t_pos
        elif isinstance(obj, FbVec):
            while len(out) % 4:
                out.append(0)
            where[id(obj)] = len(out)
            out += struct.pack("<I", len(obj.items))
            for it in obj.items:
                fixups.append((len(out), it))
                out += bytes(4)
                queue.append(it)
        elif isinstance(obj, FbStr):
            while len(out) % 4:
                out.append(0)
            where[id(obj)] = len(out)
            out += struct.pack("<I", len(obj.data)) + obj.data + (b"\x00" if obj.terminator else b"X")
        elif isinstance(obj, FbStructs):
            while (len(out) + 4) % obj.align != obj.misalign % obj.align:
                out.append(0)
            where[id(obj)] = len(out)
            out += struct.pack("<I", obj.count) + obj.raw
    for pos, obj in fixups:
        struct.pack_into("<I", out, pos, where[id(obj)] - pos)
    while len(out) % 8:
        out.append(0)
    return bytes(out)


def encapsulate(fb: bytes, body: bytes = b"") -> bytes:
    """A message: continuation marker, metadata length, the flatbuffer, then its body."""
    return b"\xff\xff\xff\xff" + struct.pack("<i", len(fb)) + fb + body


def schema_message_int64(endianness: int) -> bytes:
    """Encapsulated Schema message: one nullable field `value` of Int(64, signed)."""
    int_type = FbT({0: ("i", 64), 1: ("B", 1)})
    field = FbT({0: FbStr("value"), 1: ("B", 1), 2: ("B", 2), 3: int_type, 5: FbVec([])})
    fields = {1: FbVec([field])}
    if endianness:
        fields[0] = ("h", endianness)
    schema = FbT(fields)
    msg = FbT({0: ("h", 4), 1: ("B", 1), 2: schema, 3: ("q", 0)})
    fb = fb_serialize(msg)
    return b"\xff\xff\xff\xff" + struct.pack("<i", len(fb)) + fb
