"""Frame vectors of the `ndarray` envelope ([frame.*], spec/src/frame.md): valid frames of real
numpy arrays, their equivalence groups with the arrow/json vectors of the same arrays, `frame`
encode vectors with the exact bytes, and invalid frames, each one mutation of a real frame.

The writer is frame.py; the header is the ndarray envelope of [frame.encode] (`dtype`, `shape`,
`data`), the one buffer the array's element bytes, `a.astype(a.dtype.newbyteorder('<'))
.tobytes(order='C')` ([canonical.ndarray.bytes]). Called from ndarray.build; the helpers here
(header, element bytes, the array check) are shared with torch_tensor_frame.py.
"""

from __future__ import annotations

import base64
import json
import re
import struct

import numpy as np

from .common import HOSTILE_BUDGET, MAX_SAFE, B, J, Suite, uniq, with_, without
from .frame import (FrameError, NotAFrame, align, all_referred, assemble, header_text, parse_json,
                    read_frame, rebuild, ref_index, span, split, write_frame)
from .ndarray_producer import canon, run, src

# ----------------------------------------------------------------------------------------------
# The ndarray frame envelope
# ----------------------------------------------------------------------------------------------

FIXED = {"bool": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8, "uint8": 1, "uint16": 2,
         "uint32": 4, "uint64": 8, "float16": 2, "float32": 4, "float64": 8}
for _u in ("s", "ms", "us", "ns"):
    FIXED[f"datetime64[{_u}]"] = FIXED[f"timedelta64[{_u}]"] = 8
FIXED["datetime64[D]"] = 8


def item_size(dtype: str) -> int:
    """The item size of a dtype-table name ([ndarray.dtype.table]); KeyError for other names."""
    if dtype in FIXED:
        return FIXED[dtype]
    m = re.fullmatch(r"(<U|\|S)([1-9][0-9]{0,8})", dtype)
    if not m:
        raise KeyError(dtype)
    return int(m.group(2)) * (4 if m.group(1) == "<U" else 1)


def count(shape) -> int:
    n = 1
    for x in shape:
        n *= x
    return n


def array_header(dtype: str, shape, data=0) -> dict:
    """The ndarray frame envelope, members in [frame.encode]'s order (no `buffers`)."""
    return {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "frame", "dtype": dtype,
            "shape": list(shape), "data": data}


def element_bytes(a: np.ndarray) -> bytes:
    """The buffer of an array: its element bytes in C order, little-endian."""
    return a.astype(a.dtype.newbyteorder("<")).tobytes(order="C")


def ndarray_frame(a: np.ndarray) -> bytes:
    """The frame a writer writes for a numpy array ([frame.encode])."""
    return write_frame(array_header(str(a.dtype), a.shape), [element_bytes(a)])


def value_bytes(value: dict) -> bytes:
    """The element bytes of a canonical ndarray value; [canonical.ndarray.lowercase] refuses a
    hex of the wrong length."""
    data = bytes.fromhex(value["hex"])
    if len(data) != count(value["shape"]) * item_size(value["dtype"]):
        raise FrameError("E_SHAPE_MISMATCH", "canonical.ndarray.lowercase", "hex length")
    return data


def frame_of_value(value: dict) -> bytes:
    """The frame an encoder writes for a canonical ndarray value: the other writer, which must
    give the same bytes as ndarray_frame of the array."""
    return write_frame(array_header(value["dtype"], value["shape"]), [value_bytes(value)])


def check_elements(dtype: str, buf: bytes):
    """[frame.values]: bool bytes 00/01, <U units Unicode scalar values."""
    if dtype == "bool" and any(b > 1 for b in buf):
        raise FrameError("E_VALUE_DOMAIN", "frame.values", "bool byte other than 00, 01")
    if dtype.startswith("<U"):
        for (u,) in struct.iter_unpack("<I", buf):
            if u > 0x10FFFF or 0xD800 <= u <= 0xDFFF:
                raise FrameError("E_VALUE_DOMAIN", "frame.values", f"<U unit {u:x}")


def decode_array(env: dict, buf: bytes) -> dict:
    """The canonical value of an ndarray frame envelope whose `data` buffer is buf ([frame.lengths],
    [frame.values]); cross-checked with numpy where numpy can hold the array."""
    dtype, shape = env["dtype"], [int(x) for x in env["shape"]]
    n = count(shape)
    if len(buf) != n * item_size(dtype):
        raise FrameError("E_SHAPE_MISMATCH", "frame.lengths", f"{len(buf)} bytes for {shape} {dtype}")
    check_elements(dtype, buf)
    value = {"kind": "ndarray", "dtype": dtype, "shape": shape, "hex": buf.hex()}
    if n:
        a = np.frombuffer(buf, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
        assert canon(a.astype(dtype)) == value, value
    return value


def decode_ndarray_frame(data: bytes) -> dict:
    """The frame layer, then the ndarray references, lengths and values (the envelope's own checks
    are the ndarray page's; the generator's inputs keep them)."""
    header, d, spans = read_frame(data)
    assert header.get("__tywrap__") == "ndarray" and header.get("encoding") == "frame", header
    assert header.get("codecVersion") == 1, header
    return _ndarray_tail(header, data, d, spans)


def sanity_decode_frame(vid, inp, value):
    data = base64.b64decode(inp["base64"], validate=True)
    got = decode_ndarray_frame(data)
    assert got == value, f"{vid}: frame decodes to {str(got)[:200]}, expected {str(value)[:200]}"


# ----------------------------------------------------------------------------------------------
# Checking an invalid vector: the rule it names comes first (as far as this reader sees)
# ----------------------------------------------------------------------------------------------

def first_fault(data: bytes, tail):
    """(code, clause) of the first fault the frame reader finds, then `tail(header, data, d,
    spans)` (the marker's references, lengths and values), or None."""
    try:
        header, d, spans = read_frame(data)
    except NotAFrame:
        try:
            parse_json(data)
        except FrameError as e:
            return e.code, e.clause
        return None
    except FrameError as e:
        return e.code, e.clause
    if tail is None:
        return None
    try:
        tail(header, data, d, spans)
    except FrameError as e:
        return e.code, e.clause
    return None


READER = ("frame.signature", "frame.version", "frame.header-length", "frame.header", "frame.buffers",
          "frame.limits", "frame.padding", "frame.references", "frame.lengths", "frame.values", "json.")


def checked(data: bytes, code: str, clauses, tail, known=READER):
    """Assert that an invalid frame breaks its first clause first: a clause the reader checks
    must be the fault it finds; for another clause (the marker page's), the frame layer passes."""
    first = clauses[0]
    if first.startswith(tuple(known)) or (first == "envelope.object" and "frame.header" in clauses):
        got = first_fault(data, tail)
        assert got is not None and got[0] == code, f"{first}: the reader finds {got}, not {code}"
    else:
        got = first_fault(data, None)
        assert got is None, f"{first}: the frame layer already fails with {got}"


def _ndarray_tail(header, data, d, spans):
    used = set()
    i = ref_index(header.get("data"), len(spans), used)
    value = decode_array(header, span(data, d, spans, i))
    all_referred(used, len(spans))
    return value


# ----------------------------------------------------------------------------------------------
# Clause lists
# ----------------------------------------------------------------------------------------------

FRAME_ALL = ["frame.detect", "frame.signature", "frame.version", "frame.header-length",
             "frame.header", "frame.buffers", "frame.limits", "frame.padding", "frame.envelope",
             "frame.codec-version", "frame.references", "frame.lengths", "frame.values", "frame.view",
             "frame.encode"]
FRAME_BASE = ["frame.detect", "frame.envelope", "frame.codec-version", "frame.buffers",
              "frame.references", "frame.lengths", "frame.values", "frame.view"]
ND_BASE = ["ndarray.dtype.table", "ndarray.shape.items", "ndarray.shape.elements",
           "canonical.ndarray", "canonical.ndarray.bytes"]
ENC = ["frame.encode", "frame.buffers", "frame.padding", "ndarray.encode.members",
       "canonical.ndarray", "canonical.ndarray.bytes", "canonical.ndarray.lowercase"]

BASE_EXPR = "np.arange(6.0).reshape(2, 3)"  # the frame most invalid vectors are mutations of


# ----------------------------------------------------------------------------------------------
# Valid vectors, groups, encode vectors
# ----------------------------------------------------------------------------------------------

def frame_vectors(S: Suite):
    from .ndarray import ARROW_DTYPES, JSON_DTYPES, SHAPES
    made = []  # (frame id, value) of frames written from a real object: encode vectors

    def add(vid, desc, expr, clauses=(), tags=None, by_writer=True):
        a = run(expr)
        data = ndarray_frame(a)
        value = canon(a)
        assert frame_of_value(value) == data, vid  # the encoder writes the writer's bytes
        cl = (["frame.encode"] if by_writer else []) + FRAME_BASE + list(clauses) + ND_BASE
        S.valid(vid, desc, uniq(cl), B(data), value, src(expr), tags)
        made.append((vid, value))
        return vid

    json_exprs = {s: e for s, e, _ in JSON_DTYPES}
    for suffix, expr, desc in ARROW_DTYPES:
        extra = []
        if suffix == "float64-2x3":
            extra = FRAME_ALL + ["vector.input"]
        if "str" in suffix or "bytes" in suffix:
            extra = ["frame.values"]
        vid = add(f"ndarray-frame-{suffix}", f"frame {desc}", expr, extra)
        members = [vid, f"ndarray-arrow-{suffix}"]
        if json_exprs.get(suffix) == expr:
            members.append(f"ndarray-json-{suffix}")
        S.group(f"eq-ndarray-frame-{suffix}", f"{desc}: frame, arrow{' and json' if len(members) == 3 else ''}",
                members)
    for suffix, expr, desc, encs in SHAPES:
        cl = []
        if any(k in suffix for k in ("fortran", "transposed", "sliced", "reversed")) and \
                not suffix.endswith("-copy"):
            cl = ["ndarray.encode.c-order"]
        if "64d" in suffix:
            cl = ["limits.ndim", "limits.conformance-defaults"]
        vid = add(f"ndarray-frame-{suffix}", f"frame {desc}", expr, cl,
                  tags=["boundary"] if "64d" in suffix or "empty" in suffix or "x0" in suffix or
                  "0x" in suffix else None)
        members = [vid] + [f"ndarray-{e}-{suffix}" for e, k in (("arrow", "a"), ("json", "j")) if k in encs]
        S.group(f"eq-ndarray-frame-{suffix}", f"{desc}: frame and the {'/'.join(m.split('-')[1] for m in members[1:])} "
                "vectors", members)
    for base, others, desc in [
            ("int32-2x3", ["int32-2x3-fortran"], "C- and Fortran-ordered int32 2x3"),
            ("int32-transposed-copy", ["int32-transposed"], "transposed int32 view and its C copy"),
            ("int64-sliced-copy", ["int64-sliced"], "sliced int64 view and its C copy"),
            ("float64-reversed-copy", ["float64-reversed"], "negative-stride float64 view and its C copy"),
            ("str-fortran-copy", ["str-fortran"], "Fortran- and C-ordered <U2 2x2")]:
        S.group(f"eq-ndarray-frame-{base.replace('-copy', '')}-layouts", f"frames of the {desc}",
                [f"ndarray-frame-{n}" for n in [base] + others])

    # [N, 0] and a zero-length buffer; the largest shape entries beside a 0 (hand-made shapes)
    empty = ndarray_frame(np.zeros((0,)))
    for vid, desc, shape, arrow_id, json_id in [
            ("ndarray-frame-shape-0-by-max", "frame shape [0, 2^53-1] with a zero-length buffer",
             [0, MAX_SAFE], "ndarray-arrow-shape-0-by-max", "ndarray-json-shape-0-by-max"),
            ("ndarray-frame-shape-zero-last", "frame shape [2^40, 2^40, 0]: the product is 0",
             [2**40, 2**40, 0], "ndarray-arrow-shape-zero-last", None)]:
        value = {"kind": "ndarray", "dtype": "float64", "shape": shape, "hex": ""}
        data = frame_of_value(value)
        header, bufs = split(empty)
        assert data == rebuild(with_(header, shape=shape), bufs)
        S.valid(vid, desc, uniq(["limits.elements", "ndarray.shape.elements", "frame.lengths"] + FRAME_BASE +
                                ND_BASE), B(data), value,
                src("np.zeros((0,))", f"shape [0] -> {json.dumps(shape)}"), tags=["boundary"])
        made.append((vid, value))
        S.group(f"eq-{vid}", f"{desc[6:]}: frame and the other encodings",
                [vid, arrow_id] + ([json_id] if json_id else []))
    value = {"kind": "ndarray", "dtype": "<U999999999", "shape": [0], "hex": ""}
    data = frame_of_value(value)
    S.valid("ndarray-frame-str-max-width-empty", "frame dtype <U999999999 with zero elements: an empty buffer",
            uniq(["limits.decoded-bytes", "frame.lengths"] + FRAME_BASE + ND_BASE), B(data), value,
            src("np.zeros((0,), dtype='<U1')", "dtype <U1 -> <U999999999"), tags=["boundary"])
    made.append(("ndarray-frame-str-max-width-empty", value))
    S.group("eq-ndarray-frame-str-max-width-empty", "<U999999999 with zero elements, frame and arrow",
            ["ndarray-frame-str-max-width-empty", "ndarray-arrow-str-max-width-empty"])

    # element bytes no other encoding holds as they are
    add("ndarray-frame-str-scalar-value-edges",
        "frame <U3 with U+D7FF, U+E000, U+10FFFF and an element with a leading NUL",
        "np.array(['\\ud7ff\\ue000\\U0010ffff', '\\x00a'])", ["frame.values"], tags=["boundary"])
    add("ndarray-frame-bytes-nul-inside", "frame |S3 with leading and interior zero bytes",
        "np.array([b'\\x00a', b'a\\x00b'])", ["frame.values"])
    add("ndarray-frame-float64-1mib", "frame float64 of 131072 elements: a 1 MiB buffer",
        "np.arange(131072.0)", ["frame.limits", "frame.view"], tags=["boundary"])
    nopad = "np.full((1,) * 32, -7, dtype=np.int8)"
    d0 = ndarray_frame(run(nopad))
    assert (16 + struct.unpack_from("<I", d0, 12)[0]) % 64 == 0
    add("ndarray-frame-int8-32d-header-no-padding",
        "frame int8 with 32 dimensions of 1, whose header ends on a multiple of 64: no padding",
        nopad, ["frame.padding", "frame.header-length"], tags=["boundary"])
    from .ndarray import add_valid_arrow, add_valid_json
    add_valid_arrow(S, "ndarray-arrow-int8-32d", "arrow int8 -7 with 32 dimensions of 1", nopad,
                    ["ndarray.shape.items", "ndarray.arrow.length"])
    add_valid_json(S, "ndarray-json-int8-32d", "json int8 -7 with 32 dimensions of 1", nopad,
                   ["ndarray.shape.items", "ndarray.json.nesting"])
    S.group("eq-ndarray-frame-int8-32d", "int8 -7 with 32 dimensions of 1: frame, arrow and json",
            ["ndarray-frame-int8-32d-header-no-padding", "ndarray-arrow-int8-32d", "ndarray-json-int8-32d"])
    header_variants(S)

    # encode vectors: the exact bytes of every frame written from a value
    for vid, value in made:
        if vid == "ndarray-frame-float64-1mib":
            continue  # its valid vector carries the bytes once; 3 MiB more would add nothing
        _, vec = S.vectors[vid]
        name = vid[len("ndarray-frame-"):]
        what = vec["description"][len("frame "):]
        S.encode(f"ndarray-frame-encode-{name}", f"frame encoder writes exactly: {what}", ENC, value,
                 "frame", {"roundtrip": True, "bytes": vec["input"]["base64"]}, vec["source"])
    good = canon(run(BASE_EXPR))
    for name, desc, hexv in [("short", "one byte short of", good["hex"][:-2]),
                             ("long", "one byte longer than", good["hex"] + "00")]:
        S.encode(f"ndarray-frame-encode-refuse-hex-{name}",
                 f"frame encoder given a float64 2x3 value whose hex is {desc} the shape's",
                 ["canonical.ndarray.lowercase", "frame.encode", "frame.lengths"],
                 with_(good, hex=hexv), "frame", {"error": "E_SHAPE_MISMATCH"},
                 src(BASE_EXPR, "canonical value's hex cut or extended"))

    invalid_vectors(S)


def header_variants(S: Suite):
    """Headers a decoder reads like the writer's, though no writer writes them: JSON spellings,
    member orders, extension members, a header that fills its 64 bytes exactly."""
    a = run(BASE_EXPR)
    frame = ndarray_frame(a)
    value = canon(a)
    header, bufs = split(frame)
    text = header_text(header)
    members = ["ndarray-frame-float64-2x3"]

    def variant(vid, desc, new_text: bytes, clauses, m, tags=None):
        data = assemble(new_text, bufs)
        S.valid(vid, desc, uniq(clauses + FRAME_BASE + ND_BASE), B(data), value, src(BASE_EXPR, m), tags)
        members.append(vid)

    rev = dict(reversed(list(header.items())))
    variant("ndarray-frame-header-members-reversed", "frame whose header lists its members in reverse, buffers first",
            header_text(rev), ["frame.header", "json.syntax"], "header members in reverse order")
    pretty = json.dumps(header, indent="\t", ensure_ascii=True).replace("\n", "\r\n").encode("ascii")
    variant("ndarray-frame-header-whitespace", "frame whose header has tabs, CR and LF between tokens",
            b"\n " + pretty + b" \n", ["frame.header", "json.syntax"],
            "header written with tabs and CRLF line breaks, whitespace before and after")
    ext = {"x-first": {"buffers": [[0, 1]], "data": 7}, **header, "x-meta": {"producer": "h\u00e9", "n": [1.5, None]}}
    variant("ndarray-frame-header-extension-members",
            "frame whose header has x- members, one naming buffers and data",
            header_text(ext), ["envelope.extension-members", "frame.references"],
            "x-first (holding buffers and data members) and x-meta members added to the header")
    spelled = text.replace(b'"codecVersion":1', b'"codecVersion":1.0').replace(b'"data":0', b'"data":0.0') \
        .replace(b'"shape":[2,3]', b'"shape":[2e0,3.0]').replace(b'"buffers":[[0,48]]', b'"buffers":[[-0,4.8e1]]')
    assert spelled.count(b".0") == 3
    variant("ndarray-frame-header-integral-spellings",
            "frame whose header writes integers 1.0, 0.0, 2e0, -0 and 4.8e1",
            spelled, ["frame.buffers", "frame.references", "json.numbers", "envelope.codec-version"],
            "codecVersion, data, shape and buffers written with fractions, exponents and -0",
            tags=["interpretation"])
    esc = text.replace(b'"float64"', b'"float\\u0036\\u0034"').replace(b'"buffers"', b'"b\\u0075ffers"') \
        .replace(b'"data"', b'"\\u0064ata"')
    variant("ndarray-frame-header-escapes", "frame whose header spells dtype, buffers and data with \\u escapes",
            esc, ["frame.header", "json.syntax", "frame.buffers"], "\\u escapes in dtype's value and two names")
    # H is the JSON text and its whitespace: spaces after the object, inside H, before the padding
    variant("ndarray-frame-header-trailing-spaces", "frame whose header ends with three spaces inside H",
            text + b"   ", ["frame.header", "frame.header-length", "json.syntax"],
            "three spaces appended to the header (counted in H)", tags=["interpretation"])
    # a header that ends exactly on a multiple of 64: D = 16 + H, no padding byte
    fill = 64 - (16 + len(text) + len(b',"x-pad":""')) % 64
    exact = text[:-1] + b',"x-pad":"' + b"p" * (fill % 64) + b'"}'
    assert (16 + len(exact)) % 64 == 0
    variant("ndarray-frame-header-fills-64", "frame whose header ends on a multiple of 64, so D = 16 + H",
            exact, ["frame.padding", "frame.header-length"], "x-pad member added so that 16 + H is a multiple of 64",
            tags=["boundary"])
    S.group("eq-ndarray-frame-float64-2x3-headers",
            "float64 2x3 frames with other header spellings, and the arrow and json envelopes",
            members + ["ndarray-arrow-float64-2x3", "ndarray-json-float64-2x3"])


# ----------------------------------------------------------------------------------------------
# Invalid vectors: one mutation of a real frame each
# ----------------------------------------------------------------------------------------------

def invalid_vectors(S: Suite):
    a = run(BASE_EXPR)
    F = ndarray_frame(a)
    header, bufs = split(F)
    text = header_text(header)
    H = len(text)
    D = align(16 + H)
    assert 16 + H < D - 1 and header["buffers"] == [[0, 48]]

    def bad(name, desc, clauses, data, code, m, expr=BASE_EXPR, budget=None, tags=None):
        checked(data, code, clauses, _ndarray_tail)
        S.invalid(f"ndarray-frame-invalid-{name}", desc, clauses, B(data), code, src(expr, m),
                  budget=budget, tags=tags)

    def hdr(**kv):
        return rebuild(with_(header, **kv), bufs)

    # [frame.signature], [frame.detect]
    SIG = ["frame.signature", "frame.detect"]
    bad("signature-crlf-to-lf", "frame after a CRLF to LF translation of every line end", SIG,
        F.replace(b"\r\n", b"\n"), "E_FRAME_SIGNATURE", "every 0d 0a replaced by 0a (a text-mode channel)")
    bad("signature-lf-to-crlf", "frame after an LF to CRLF translation of every 0a byte", SIG,
        F.replace(b"\n", b"\r\n"), "E_FRAME_SIGNATURE", "every 0a replaced by 0d 0a (a text-mode channel)")
    bad("signature-swr-changed", "frame whose signature says SWX instead of SWR", SIG,
        F[:3] + b"X" + F[4:], "E_FRAME_SIGNATURE", "signature byte 3: 52 -> 58")
    bad("signature-1a-zeroed", "frame whose signature byte 1a is 00", SIG, F[:6] + b"\x00" + F[7:],
        "E_FRAME_SIGNATURE", "signature byte 6: 1a -> 00")
    for n in (1, 5, 7):
        bad(f"signature-cut-{n}", f"the first {n} byte{'s' if n > 1 else ''} of a frame, cut inside the signature",
            SIG, F[:n], "E_FRAME_SIGNATURE", f"frame cut to its first {n} bytes")
    bad("signature-high-bit-stripped", "frame with the high bit of every byte cleared: read as JSON",
        ["json.syntax", "frame.detect", "frame.signature"], bytes(b & 0x7F for b in F), "E_JSON_SYNTAX",
        "every byte ANDed with 7f (a 7-bit channel); it starts with 41, so it is not a frame")
    bad("signature-first-byte-c0", "frame whose first byte c1 is c0: not a frame, and not UTF-8",
        ["json.utf8", "frame.detect", "frame.signature"], b"\xc0" + F[1:], "E_JSON_SYNTAX",
        "byte 0: c1 -> c0")

    for n, desc in [(8, "after its signature"), (10, "inside its version")]:
        bad(f"cut-{n}", f"frame cut {desc}: {n} bytes", ["frame.header-length", "frame.version"], F[:n],
            "E_FRAME_LAYOUT", f"frame cut to its first {n} bytes")

    # [frame.version]
    for name, v, desc in [("0", 0, "version 0"), ("2", 2, "version 2"),
                          ("1-big-endian", 0x01000000, "version 1 written big-endian (16777216)")]:
        bad(f"version-{name}", f"frame with {desc}", ["frame.version"], assemble(text, bufs, version=v),
            "E_FRAME_VERSION", f"version field -> {v}")

    # [frame.header-length]
    HL = ["frame.header-length"]
    bad("cut-after-version", "frame cut after its version: no H", HL, F[:12], "E_FRAME_LAYOUT",
        "frame cut to its first 12 bytes")
    bad("cut-inside-h", "frame cut inside its H field", HL, F[:14], "E_FRAME_LAYOUT", "frame cut to 14 bytes")
    bad("cut-inside-header", "frame cut inside its header", HL, F[:16 + H - 1], "E_FRAME_LAYOUT",
        f"frame cut to {16 + H - 1} bytes, one short of its header")
    bad("header-length-past-end", "frame whose H reaches one byte past the input", HL,
        F[:12] + struct.pack("<I", len(F) - 15) + F[16:], "E_FRAME_LAYOUT", f"H {H} -> {len(F) - 15}")
    bad("header-length-max-u32", "frame whose H is 2^32-1 in an input of 240 bytes", HL,
        F[:12] + struct.pack("<I", 2**32 - 1) + F[16:], "E_FRAME_LAYOUT", f"H {H} -> 4294967295",
        budget=HOSTILE_BUDGET, tags=["hostile"])
    short = F[:12] + struct.pack("<I", H - 1) + F[16:]
    assert align(16 + H - 1) == D
    bad("header-length-one-short", "frame whose H is one short: the header loses its closing brace",
        ["frame.header", "json.syntax", "frame.header-length"], short, "E_JSON_SYNTAX", f"H {H} -> {H - 1}")

    # [frame.header] with [json.*]
    FH = ["frame.header"]
    bad("header-not-utf8", "frame whose header holds the byte ff", FH + ["json.utf8"],
        F.replace(b'"float64"', b'"float6\xff"'), "E_JSON_SYNTAX", "header byte 4 of float64 (36) -> ff")
    bad("header-bom", "frame whose header starts with a UTF-8 byte order mark", FH + ["json.utf8"],
        assemble(b"\xef\xbb\xbf" + text, bufs), "E_JSON_SYNTAX", "ef bb bf put before the header (H + 3)")
    bad("header-not-json", "frame whose header writes = where a : belongs", FH + ["json.syntax"],
        F.replace(b'"__tywrap__":', b'"__tywrap__"='), "E_JSON_SYNTAX", "header: the first : -> =")
    bad("header-array", "frame whose header is an array holding the envelope", ["envelope.object"] + FH,
        assemble(b"[" + text + b"]", bufs), "E_NOT_ENVELOPE", "header wrapped in [ ]")
    bad("header-string", "frame whose header is a JSON string", ["envelope.object"] + FH,
        assemble(b'"ndarray"', bufs), "E_NOT_ENVELOPE", 'header replaced by "ndarray"')
    bad("header-empty", "frame with H 0: an empty header", FH + ["json.syntax"], assemble(b"", bufs),
        "E_JSON_SYNTAX", "header removed, H 0")
    bad("header-nul-inside-h", "frame whose H counts one zero byte of the padding", FH + ["json.syntax"],
        assemble(text + b"\x00", bufs), "E_JSON_SYNTAX", "H increased by one over a padding byte 00")
    bad("header-duplicate-dtype", "frame whose header has dtype twice", ["json.duplicate-keys"] + FH,
        assemble(text.replace(b',"buffers"', b',"dtype":"float64","buffers"'), bufs), "E_JSON_DUPLICATE_KEY",
        'header: "dtype":"float64" added before buffers')
    bad("header-duplicate-buffers", "frame whose header has buffers twice", ["json.duplicate-keys"] + FH,
        assemble(text[:-1] + b',"buffers":[[0,48]]}', bufs), "E_JSON_DUPLICATE_KEY",
        "header: buffers member written a second time")
    bad("header-depth-129", "frame whose header nests an x- member to depth 129",
        ["json.depth", "limits.depth"] + FH, assemble(text[:-1] + b',"x-deep":' + b"[" * 128 + b"]" * 128 + b"}", bufs),
        "E_LIMIT_EXCEEDED", "header: x-deep member of 128 nested arrays added")

    # [frame.padding]
    bad("padding-byte-01", "frame with byte 01 in the padding after the header", ["frame.padding"],
        F[:16 + H] + b"\x01" + F[16 + H + 1:], "E_FRAME_LAYOUT", f"padding byte at {16 + H}: 00 -> 01")
    bad("padding-space", "frame with a space as the last padding byte", ["frame.padding"],
        F[:D - 1] + b" " + F[D:], "E_FRAME_LAYOUT", f"padding byte at {D - 1}: 00 -> 20")

    # [frame.buffers]
    FB = ["frame.buffers"]
    bad("buffers-missing", "frame whose header has no buffers member", FB + ["envelope.required-fields"],
        rebuild(without(header, "buffers"), bufs), "E_MISSING_FIELD", "header: buffers removed")
    for name, v, desc in [("null", None, "null"), ("object", {"0": [0, 48]}, "an object"),
                          ("number", 48, "the number 48")]:
        bad(f"buffers-{name}", f"frame whose buffers member is {desc}", FB + ["envelope.field-types"],
            hdr(buffers=v), "E_FIELD_TYPE", f"header: buffers -> {json.dumps(v)}")
    for name, v, desc in [
            ("flat-pair", [0, 48], "[0, 48], a pair but no array of pairs"),
            ("entry-triple", [[0, 48, 0]], "[[0, 48, 0]]: an entry of three"),
            ("entry-single", [[0]], "[[0]]: an entry of one"),
            ("entry-string", [[0, "48"]], "[[0, \"48\"]]: a string length"),
            ("entry-fraction", [[0, 48.5]], "[[0, 48.5]]: a length that is no integer"),
            ("entry-null", [[0, None]], "[[0, null]]"),
            ("entry-object", [{"offset": 0, "length": 48}], "an entry that is an object"),
            ("entry-negative-length", [[0, -48]], "[[0, -48]]: a negative length"),
            ("entry-negative-offset", [[-64, 48]], "[[-64, 48]]: a negative offset"),
            ("entry-length-2-53", [[0, 2**53]], "[[0, 2^53]]: a length past 2^53-1")]:
        bad(f"buffers-{name}", f"frame whose buffers member is {desc}", FB, hdr(buffers=v), "E_FRAME_LAYOUT",
            f"header: buffers -> {json.dumps(v)}")
    bad("buffers-first-at-64", "frame whose only buffer sits at offset 64, not 0", FB,
        rebuild(with_(header, buffers=[[64, 48]]), bufs, offsets=[64]), "E_FRAME_LAYOUT",
        "buffer moved to offset 64 (64 zero bytes before it), header [[64, 48]]")
    bad("buffers-offset-8", "frame whose only buffer sits at offset 8, not aligned to 64", FB,
        rebuild(with_(header, buffers=[[8, 48]]), bufs, offsets=[8]), "E_FRAME_LAYOUT",
        "buffer moved to offset 8 (8 zero bytes before it), header [[8, 48]]")
    bad("buffers-empty-bytes-kept", "frame whose buffers member is [] while the 48 bytes follow",
        FB + ["frame.references"], hdr(buffers=[]), "E_FRAME_LAYOUT", "header: buffers -> []")
    bad("trailing-byte", "frame followed by one zero byte", FB, F + b"\x00", "E_FRAME_LAYOUT", "byte 00 appended")
    bad("trailing-newline", "frame followed by a line feed", FB, F + b"\n", "E_FRAME_LAYOUT", "byte 0a appended")
    bad("trailing-padding-to-64", "frame padded with zeros to a multiple of 64 after its buffer", FB,
        F + bytes(align(len(F)) - len(F)), "E_FRAME_LAYOUT", f"{align(len(F)) - len(F)} zero bytes appended")
    bad("trailing-frame", "two frames, one after the other", FB, F + F, "E_FRAME_LAYOUT", "the frame appended to itself")
    bad("buffer-cut", "frame whose buffer lacks its last byte", FB, F[:-1], "E_FRAME_LAYOUT", "last byte removed")
    bad("buffers-second-past-input", "frame whose second buffer, [64, 48], starts inside the input and runs past it",
        FB, hdr(buffers=[[0, 48], [64, 48]]) + bytes(16) + bytes(8),
        "E_FRAME_LAYOUT", "header: buffers -> [[0, 48], [64, 48]]; 16 bytes of padding and 8 of the second buffer appended")
    FLIM = ["frame.limits", "limits.decoded-bytes", "limits.conformance-defaults", "frame.buffers"]
    for name, v, desc in [("length-2-40", [[0, 2**40]], "a buffer of 2^40 bytes"),
                          ("length-max-safe", [[0, MAX_SAFE]], "a buffer of 2^53-1 bytes"),
                          ("length-limit-plus-1", [[0, 268435457]], "a buffer of max_decoded_bytes + 1"),
                          ("sum-limit-plus-1", [[0, 48], [64, 268435409]],
                           "two buffers whose lengths add up to max_decoded_bytes + 1"),
                          ("sum-past-2-64", [[0, MAX_SAFE]] * 2049,
                           "2049 buffers of 2^53-1 bytes: their sum passes 2^64")]:
        bad(f"buffers-{name}", f"frame whose header claims {desc}, in an input of 240 bytes", FLIM,
            hdr(buffers=v), "E_LIMIT_EXCEEDED",
            f"header: buffers -> {json.dumps(v) if len(v) < 3 else f'[[0, {MAX_SAFE}]] * {len(v)}'}; the 48-byte buffer kept",
            budget=HOSTILE_BUDGET, tags=["hostile"] + (["boundary"] if "plus-1" in name else []))
    # A claim of exactly max_decoded_bytes is not over the limit: the layout,
    # checked after it, rejects these (the buffer runs past the input).
    for name, v, desc in [("length-at-limit", [[0, 268435456]], "a buffer of exactly max_decoded_bytes"),
                          ("sum-at-limit", [[0, 48], [64, 268435408]],
                           "two buffers adding up to exactly max_decoded_bytes")]:
        bad(f"buffers-{name}", f"frame claiming {desc}: not over the limit; the layout rejects it", FB + [c for c in FLIM if c not in FB], hdr(buffers=v), "E_FRAME_LAYOUT",
            f"header: buffers -> {json.dumps(v)}; the 48-byte buffer kept",
            budget=HOSTILE_BUDGET, tags=["hostile", "boundary"])
    bad("buffers-offset-max-safe", "frame whose only buffer claims offset 2^53-1", FB,
        hdr(buffers=[[MAX_SAFE, 48]]), "E_FRAME_LAYOUT", f"header: buffers -> [[{MAX_SAFE}, 48]]",
        budget=HOSTILE_BUDGET, tags=["hostile"])

    # [frame.references]
    FR = ["frame.references"]
    for name, v, desc in [("1", 1, "1, past the one buffer"), ("minus-1", -1, "-1")]:
        bad(f"data-index-{name}", f"frame whose data refers to buffer {desc}", FR, hdr(data=v), "E_FRAME_LAYOUT",
            f"header: data 0 -> {v}")
    for name, v, desc in [("string", "0", 'the string "0"'), ("fraction", 0.5, "0.5"), ("null", None, "null"),
                          ("true", True, "true"), ("array", [0], "[0]"),
                          ("json-data", a.tolist(), "the json encoding's nested arrays")]:
        bad(f"data-{name}", f"frame whose data member is {desc}", FR + ["envelope.field-types"], hdr(data=v),
            "E_FIELD_TYPE", f"header: data -> {json.dumps(v)}")
    bad("data-missing", "frame whose header has no data member",
        ["ndarray.required", "frame.envelope", "envelope.required-fields", "frame.references"],
        rebuild(without(header, "data"), bufs), "E_MISSING_FIELD", "header: data removed")
    bad("buffer-never-referred", "frame with a second buffer that no member refers to", FR,
        rebuild(with_(header, buffers=[[0, 48], [64, 8]]), bufs + [bytes(range(8))]), "E_FRAME_LAYOUT",
        "buffer 01..07 (8 bytes) added at offset 64, header buffers [[0, 48], [64, 8]]")

    # [frame.lengths]
    FL = ["frame.lengths"]
    for name, n, desc in [("short", 40, "40 bytes for float64 2x3 (48)"), ("long", 56, "56 bytes for float64 2x3 (48)")]:
        buf = (bufs[0] + bytes(8))[:n]
        bad(f"length-{name}", f"frame whose buffer holds {desc}", FL,
            rebuild(with_(header, buffers=[[0, n]]), [buf]), "E_SHAPE_MISMATCH",
            f"buffer {'cut to' if n < 48 else 'extended with zeros to'} {n} bytes")
    for name, expr, n, desc in [
            ("0d-empty", "np.array(3.5)", 0, "a 0-d float64 whose buffer is empty"),
            ("empty-shape-8-bytes", "np.zeros((0,))", 8, "shape [0] float64 with an 8-byte buffer"),
            ("str-units", "np.array(['ab', 'c'])", 12, "<U2 of two elements with 12 bytes (16)")]:
        h2, b2 = split(ndarray_frame(run(expr)))
        buf = (b2[0] + bytes(8))[:n]
        bad(f"length-{name}", f"frame {desc}", FL, rebuild(with_(h2, buffers=[[0, n]]), [buf]),
            "E_SHAPE_MISMATCH", f"buffer {len(b2[0])} -> {n} bytes", expr=expr)

    # [frame.values]
    FV = ["frame.values"]
    bexpr = "np.array([True, False, True])"
    hb, bb = split(ndarray_frame(run(bexpr)))
    for name, byte in [("02", 2), ("ff", 0xFF)]:
        bad(f"bool-{name}", f"frame bool whose second element is the byte {name}", FV + ["canonical.ndarray.bytes"],
            rebuild(hb, [bb[0][:1] + bytes([byte]) + bb[0][2:]]), "E_VALUE_DOMAIN",
            f"element 1: 00 -> {name}", expr=bexpr)
    uexpr = "np.array(['ab', 'c'])"
    hu, bu = split(ndarray_frame(run(uexpr)))
    for name, unit, desc in [("high-surrogate", 0xD800, "U+D800, a high surrogate"),
                             ("low-surrogate", 0xDFFF, "U+DFFF, a low surrogate"),
                             ("beyond-10ffff", 0x110000, "110000, past U+10FFFF"),
                             ("ffffffff", 0xFFFFFFFF, "ffffffff")]:
        buf = bu[0][:4] + struct.pack("<I", unit) + bu[0][8:]
        bad(f"str-unit-{name}", f"frame <U2 with a code unit {desc}", FV, rebuild(hu, [buf]), "E_VALUE_DOMAIN",
            f"element 0, unit 1 ('b'): 62 -> {unit:x}", expr=uexpr)

    # the envelope clauses apply to the header ([frame.envelope])
    FE = ["frame.envelope"]
    bad("header-no-marker", "frame whose header has no __tywrap__ member", ["envelope.object"] + FE,
        rebuild(without(header, "__tywrap__"), bufs), "E_NOT_ENVELOPE", "header: __tywrap__ removed")
    bad("header-codec-version-2", "frame whose header says codecVersion 2", ["envelope.codec-version"] + FE,
        hdr(codecVersion=2), "E_CODEC_VERSION", "header: codecVersion 1 -> 2")
    bad("header-no-codec-version", "frame whose header has no codecVersion: frames have no v0 form",
        ["frame.codec-version", "envelope.codec-version", "envelope.legacy-v0", "ndarray.legacy-v0"] + FE,
        rebuild(without(header, "codecVersion"), bufs), "E_CODEC_VERSION", "header: codecVersion removed")
    bad("header-encoding-json", "frame whose header is a json envelope, data nested arrays, no buffers",
        ["ndarray.encodings", "envelope.encoding"] + FE,
        rebuild(with_(header, encoding="json", data=a.tolist(), buffers=[]), []), "E_ENCODING_UNSUPPORTED",
        "header: encoding json, data the nested arrays, buffers [] and the buffer removed")
    from .ndarray_producer import arrow_env
    b64v = arrow_env(a)["b64"]
    arrow_header = {k: v for k, v in header.items() if k != "data" and k != "buffers"}
    arrow_header.update(encoding="arrow", b64=b64v, buffers=[])
    bad("header-encoding-arrow", "frame whose header is an arrow envelope with b64, no buffers",
        ["ndarray.encodings", "envelope.encoding"] + FE, rebuild(arrow_header, []), "E_ENCODING_UNSUPPORTED",
        "header: encoding arrow, data replaced by tywrap's b64, buffers [] and the buffer removed")
    bad("header-encoding-missing", "frame whose header has no encoding", ["envelope.encoding"] + FE,
        rebuild(without(header, "encoding"), bufs), "E_MISSING_FIELD", "header: encoding removed")
    bad("header-encoding-upper", "frame whose header says encoding FRAME", ["envelope.encoding", "ndarray.encodings"] + FE,
        hdr(encoding="FRAME"), "E_ENCODING_UNSUPPORTED", "header: encoding frame -> FRAME")
    bad("header-b64-member", "frame whose header also has a b64 member",
        ["envelope.unknown-fields", "ndarray.members"] + FE,
        rebuild(dict(list(header.items())[:-1] + [("b64", "AAAA"), ("buffers", header["buffers"])]), bufs),
        "E_UNKNOWN_FIELD", 'header: "b64":"AAAA" added before buffers')
    for name, dt, desc in [("complex128", "complex128", "complex128 (48 bytes are 3 of them)"),
                           ("big-endian", ">f8", ">f8, a big-endian spelling")]:
        bad(f"dtype-{name}", f"frame whose dtype is {desc}", ["ndarray.dtype.table"] + FE, hdr(dtype=dt),
            "E_DTYPE_UNSUPPORTED", f"header: dtype float64 -> {dt}")
    bad("shape-minus-1", "frame whose shape is [-1, 3]", ["ndarray.shape.items"] + FE, hdr(shape=[-1, 3]),
        "E_SHAPE_INVALID", "header: shape [2, 3] -> [-1, 3]")
    one = "np.array([1.5])"
    h1, b1 = split(ndarray_frame(run(one)))
    bad("shape-2-40", "frame of one float64 whose shape says 2^40 elements",
        ["limits.elements"] + FE + ["frame.lengths"], rebuild(with_(h1, shape=[2**40]), b1), "E_LIMIT_EXCEEDED",
        "header: shape [1] -> [1099511627776]; the 8-byte buffer kept", expr=one, budget=HOSTILE_BUDGET,
        tags=["hostile"])
    sexpr = "np.array(['a'])"
    hs, bs = split(ndarray_frame(run(sexpr)))
    bad("dtype-str-past-decoded-bytes", "frame <U1 of one element relabelled <U67108865 (4 bytes kept)",
        ["limits.decoded-bytes"] + FE + ["frame.lengths"], rebuild(with_(hs, dtype="<U67108865"), bs),
        "E_LIMIT_EXCEEDED", "header: dtype <U1 -> <U67108865; the 4-byte buffer kept", expr=sexpr,
        budget=HOSTILE_BUDGET, tags=["hostile"])

    # "frame" is an encoding only inside a frame
    env = without(header, "buffers")
    S.invalid("ndarray-frame-invalid-json-encoding-frame", "JSON envelope with encoding frame and data 0",
              ["ndarray.encodings", "frame.envelope", "envelope.encoding"], J(env), "E_ENCODING_UNSUPPORTED",
              src(BASE_EXPR, "the frame's header, without buffers, sent as a JSON envelope"), schema_valid=False)
    S.invalid("ndarray-frame-invalid-json-header-as-envelope", "a frame's header, buffers and all, read as JSON text",
              ["ndarray.encodings", "frame.envelope", "frame.detect"], {"text": text.decode("utf-8")},
              "E_ENCODING_UNSUPPORTED", src(BASE_EXPR, "the frame's header bytes alone, without the binary prefix"))
