#!/usr/bin/env python3
"""The sciwire-py conformance harness (spec/src/harness.md).

JSON Lines on standard input and output: ``start``, ``decode``, ``encode``,
``stop``. Run it from anywhere, without installing anything but numpy,
pyarrow and scipy (torch is never imported: a decoded tensor's canonical
value needs none):

    python3 conformance/harnesses/python/harness.py

It imports ``sciwire_py`` from its own directory. Responses go to standard
output, one line each, flushed; diagnostics go to standard error only.
"""

from __future__ import annotations

import binascii
import json
import os
import re
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import sciwire_py as sw  # noqa: E402

PROTOCOL = 1
IMPLEMENTATION = {
    "name": "sciwire-py",
    "version": sw.__version__,
    "language": "python",
}
# [harness.capabilities]: for torch.tensor the encoding that counts is the
# nested ndarray envelope's; scipy.sparse and sklearn.estimator have json in
# JSON text. "frame" (spec/src/frame.md) is an encoding of every marker: a
# binary frame, read and written (an estimator's frame has no buffers).
CAPABILITIES = {
    "ndarray": {
        "directions": ["decode", "encode"],
        "encodings": ["arrow", "json", "frame"],
        "codecVersions": [0, 1],
    },
    "scipy.sparse": {
        "directions": ["decode", "encode"],
        "encodings": ["json", "frame"],
        "codecVersions": [0, 1],
    },
    "torch.tensor": {
        "directions": ["decode", "encode"],
        "encodings": ["arrow", "json", "frame"],
        "codecVersions": [0, 1],
    },
    "sklearn.estimator": {
        "directions": ["decode", "encode"],
        "encodings": ["json", "frame"],
        "codecVersions": [0, 1],
    },
    "dataframe": {
        "directions": ["decode", "encode"],
        "encodings": ["arrow", "json", "frame"],
        "codecVersions": [0, 1],
    },
    "series": {
        "directions": ["decode", "encode"],
        "encodings": ["arrow", "json", "frame"],
        "codecVersions": [0, 1],
    },
    # [harness.profiles]: flamepy's FLM frames, read and written in the flame
    # profile only: every tag flamepy writes but the pickle (tensor FLM\x01,
    # table FLM\x02, array FLM\x03, batch FLM\x04).
    "flame": {
        "directions": ["decode", "encode"],
        "encodings": list(sw.flame.ENCODINGS),
    },
}
#: the profiles a request may name ([harness.profiles]), with the name of the
#: decoder each reads with (looked up per request, so that mutants.py can
#: patch them); None: the default entry point
PROFILES = {None: (sw, "decode"), "flame": (sw.flame, "decode")}

# A request line longer than this has its base64 `input` located in the raw
# bytes instead of being parsed by the json module, so that a 256 MiB input
# costs one copy of the line and no decoded copy at all when its length alone
# rejects it ([limits.input-bytes]).
BIG_LINE = 1 << 20
_INPUT_KEY = re.compile(rb'"input"[ \t\r\n]*:[ \t\r\n]*"')


class BadRequest(Exception):
    pass


def _request_id(req):
    rid = req.get("id") if isinstance(req, dict) else None
    if isinstance(rid, int) and not isinstance(rid, bool) and rid >= 0:
        return rid
    return None


def _errored(rid, message, tb=None):
    ctx = {"message": message}
    if tb:
        ctx["traceback"] = tb
    return {"id": rid if rid is not None else 0, "errored": True, "context": ctx}


def _b64_decoded_length(b64) -> int:
    n = len(b64)
    pad = 2 if b64[-2:] == b"==" else 1 if b64[-1:] == b"=" else 0
    return (3 * n) // 4 - pad


def _profile(req):
    """The request's profile: None (the default entry point) or "flame"."""
    profile = req.get("profile")
    if profile not in PROFILES:
        raise BadRequest(f"unknown profile {profile!r}: this harness knows {sorted(p for p in PROFILES if p)}")
    return profile


def _concat_pieces(inp):
    """[harness.inputs]: a ``{"concat": [{"text": S, "repeat": N}, ...]}``
    input as (UTF-8 bytes, repeat) pairs."""
    pieces = inp.get("concat") if isinstance(inp, dict) and set(inp) == {"concat"} else None
    if not isinstance(pieces, list) or not pieces:
        raise BadRequest('decode needs a base64 string input or {"concat": [...]}')
    out = []
    for p in pieces:
        n = p.get("repeat") if isinstance(p, dict) else None
        if (not isinstance(p, dict) or set(p) != {"text", "repeat"} or not isinstance(p["text"], str)
                or not isinstance(n, int) or isinstance(n, bool) or n < 1):
            raise BadRequest(f"a concat piece is {{\"text\": S, \"repeat\": N >= 1}}, not {p!r}")
        out.append((p["text"].encode("utf-8"), n))
    return out


def _decode(rid, b64=None, profile=None, pieces=None):
    """Answer a decode request whose input is the base64 ``b64`` (bytes-like),
    or a concat input's ``pieces`` ([harness.inputs]), read by the default
    entry point or in ``profile``."""
    limits = sw.Limits()
    try:
        # [limits.input-bytes] before anything else: the length the base64
        # claims (or the pieces add up to) is the input's length, so the
        # input need not be built.
        if pieces is not None:
            sw.decoder.check_input_bytes(sum(len(t) * n for t, n in pieces), limits)
            data = b"".join(t * n for t, n in pieces)
        else:
            sw.decoder.check_input_bytes(_b64_decoded_length(b64), limits)
            try:
                data = binascii.a2b_base64(b64, strict_mode=True)
            except (binascii.Error, ValueError) as e:
                raise BadRequest(f"input is not standard padded base64: {e}")
        del b64, pieces
        module, name = PROFILES[profile]
        decoded = getattr(module, name)(data, limits)
        del data
        return {"id": rid, "value": decoded.canonical()}
    except sw.SciwireError as e:
        return {"id": rid, "error": e.to_dict()}


def _encode(rid, req, profile=None):
    value = req.get("value")
    encoding = req.get("encoding")
    if not isinstance(value, dict) or not isinstance(encoding, str):
        raise BadRequest("encode needs a canonical value and an encoding")
    if profile == "flame" and encoding not in sw.flame.ENCODINGS:
        raise BadRequest(f"the flame profile's encodings are {list(sw.flame.ENCODINGS)}, not {encoding!r}")
    try:
        out = sw.flame.encode(value, encoding) if profile == "flame" else sw.encode_canonical(value, encoding)
    except sw.SciwireError as e:
        return {"id": rid, "error": e.to_dict()}
    except sw.UnrepresentableError as e:
        return {"id": rid, "skipped": True, "message": str(e)}
    data = out if isinstance(out, bytes) else out.encode("utf-8")  # a frame's bytes, or JSON text
    return {"id": rid, "output": binascii.b2a_base64(data, newline=False).decode("ascii")}


def _parse_line(line: bytes):
    """(request dict, raw base64 input or None)."""
    if len(line) > BIG_LINE:
        m = _INPUT_KEY.search(line)
        if m is not None:
            start = m.end()
            end = line.find(b'"', start)
            if end > 0 and line.find(b"\\", start, end) < 0:  # no escapes inside: the span is the string
                small = line[:start] + line[end:]
                req = json.loads(small)
                return req, memoryview(line)[start:end]
    return json.loads(line), None


def handle(line: bytes):
    """The response dict to one request line, or None for ``stop``."""
    rid = None
    try:
        try:
            req, raw_input = _parse_line(line)
        except (ValueError, UnicodeDecodeError) as e:
            raise BadRequest(f"request is not JSON: {e}")
        rid = _request_id(req)
        if not isinstance(req, dict):
            raise BadRequest("request is not a JSON object")
        if rid is None:
            raise BadRequest("request has no non-negative integer id")
        cmd = req.get("cmd")
        if cmd == "start":
            return {"id": rid, "protocol": PROTOCOL, "implementation": IMPLEMENTATION,
                    "capabilities": CAPABILITIES, "inputs": ["concat"]}
        if cmd == "stop":
            return None
        if cmd == "decode":
            if raw_input is None:
                inp = req.get("input")
                if not isinstance(inp, str):
                    return _decode(rid, profile=_profile(req), pieces=_concat_pieces(inp))
                raw_input = inp.encode("ascii", errors="strict")
            return _decode(rid, raw_input, _profile(req))
        if cmd == "encode":
            return _encode(rid, req, _profile(req))
        raise BadRequest(f"unknown command {cmd!r}")
    except BadRequest as e:
        return _errored(rid, str(e))
    except Exception as e:  # never crash on one request
        return _errored(rid, f"{type(e).__name__}: {e}", traceback.format_exc())


class LineReader:
    """Lines from a file descriptor, without the extra copies a buffered
    readline makes: a request line that ends the data read so far (the usual
    case, since the runner waits for each response) is handed over as the
    buffer itself."""

    CHUNK = 1 << 22

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = bytearray()
        self.eof = False

    def readline(self):
        searched = 0
        while True:
            i = self.buf.find(b"\n", searched)
            if i >= 0:
                if i == len(self.buf) - 1:
                    line, self.buf = self.buf, bytearray()
                    return line
                line = bytes(memoryview(self.buf)[:i + 1])
                del self.buf[:i + 1]
                return line
            if self.eof:
                line, self.buf = self.buf, bytearray()
                return line
            searched = len(self.buf)
            chunk = os.read(self.fd, self.CHUNK)
            if not chunk:
                self.eof = True
            else:
                self.buf += chunk


def write_response(out, resp: dict) -> None:
    value = resp.get("value")
    # the hex of an ndarray or sparse value, or of a tensor's array
    holder = value.get("array") if isinstance(value, dict) and value.get("kind") == "tensor" else value
    if isinstance(holder, dict) and isinstance(holder.get("hex"), str) and len(holder["hex"]) > BIG_LINE:
        # Splice the (large) hex in, rather than copying it through json.dumps.
        hexstr = holder["hex"]
        if holder is value:
            head = dict(resp, value=dict(value, hex=""))
        else:
            head = dict(resp, value=dict(value, array=dict(holder, hex="")))
        text = json.dumps(head, ensure_ascii=True, separators=(",", ":"))
        cut = text.rindex('"hex":""') + len('"hex":"')
        out.write(text[:cut].encode("ascii"))
        out.write(hexstr.encode("ascii"))
        out.write(text[cut:].encode("ascii") + b"\n")
    else:
        out.write(json.dumps(resp, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n")
    out.flush()


def main(stdin=None, stdout=None) -> int:
    reader = LineReader(stdin.fileno() if stdin is not None else sys.stdin.buffer.fileno())
    out = stdout if stdout is not None else sys.stdout.buffer
    # Nothing but responses may reach standard output.
    sys.stdout = sys.stderr
    while True:
        line = reader.readline()
        if not line:
            return 0  # input ended
        if len(line) < 64 and not line.strip():
            continue
        resp = handle(line)
        del line
        if resp is None:
            return 0  # stop: exit without answering
        write_response(out, resp)


if __name__ == "__main__":
    sys.exit(main())
