#!/usr/bin/env python3
"""sciwire conformance harness for the tywrap bridge (bbopen/tywrap).

    python3 harness.py --tywrap /path/to/tywrap-checkout
                       [--fallback json] [--layout c|fortran|reversed|strided]
                       [--decoder ts [--ts-cache DIR] [--prepare]]

Speaks the sciwire harness protocol (spec/src/harness.md): JSON Lines on
standard input and output, commands start / decode / encode / stop.

encode: checks tywrap's Python *producer*. The canonical value becomes a numpy
array, which goes through tywrap's own code as a function's return value goes
through tywrap's subprocess bridge:

    env  = core.serialize(arr, force_json_markers=..., torch_allow_copy=False)
    text = core.encode_value(env, allow_nan=False)     # the bridge's final encode

where `core` is `runtime/tywrap_bridge_core.py` imported from the checkout
given with --tywrap. No tywrap code lives in sciwire; the checkout is the
user's. tywrap raises exceptions, not codes: a refusal is answered with the
sciwire code its message matches (see _REFUSALS), an exception matching none
is answered `errored`.

--fallback json mimics a bridge started with TYWRAP_CODEC_FALLBACK=json: every
array goes down tywrap's JSON path and only the `json` encoding is offered.
Without it, each request picks the path: force_json_markers is true exactly
when the request asks for `json` (tywrap itself chooses per process, not per
value: Arrow whenever pyarrow imports, JSON under the fallback setting).

--layout hands tywrap the same logical array in another memory layout
([ndarray.encode.c-order]); the expected envelopes do not change.

decode: answered `skipped` (and not offered in start): tywrap's decoder is
TypeScript. With --decoder ts, decode requests go to tywrap's own
BridgeCodec.decodeResponseAsync, bundled from the checkout's src/ with esbuild
(apache-arrow 21.2.0 kept external) and run by node (ts_decoder.mjs). Its
result is read back as a canonical value with the envelope's declared dtype
and shape (ts_to_canonical); its rejections get the code their message matches
(_TS_REJECTIONS). When tywrap accepts an input but returns something that is
no canonical value (a value it passed through undecoded, a dtype outside the
table, a leaf that is no value of the dtype), the answer is `errored`, with
what tywrap returned: the protocol has no answer for "accepted, but not as a
canonical value".
"""

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import traceback

PROTOCOL = 1
TYWRAP_HOMEPAGE = "https://github.com/bbopen/tywrap"
TYWRAP_ISSUES = "https://github.com/bbopen/tywrap/issues"

# The dtype table of spec/src/ndarray.md, as the canonical value spells it.
_DTYPE_RE = re.compile(
    r"^(?:bool|u?int(?:8|16|32|64)|float(?:16|32|64)"
    r"|datetime64\[(?:s|ms|us|ns|D)\]|timedelta64\[(?:s|ms|us|ns)\]"
    r"|<U[1-9][0-9]{0,8}|\|S[1-9][0-9]{0,8})$"
)
_HEX_RE = re.compile(r"^(?:[0-9a-f]{2})*$")


class AdapterRefusal(Exception):
    """The canonical value itself is unusable (a verdict the spec assigns to
    every encoder, e.g. [canonical.ndarray.lowercase]); answered as `error`."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class NumpyCannot(Exception):
    """numpy itself cannot hold the value (an itemsize or a shape beyond its
    limits), so no Python function could hand it to tywrap: answered `skipped`."""


class NotCanonical(Exception):
    """The request does not hold a canonical value at all: answered `errored`."""


# ---------------------------------------------------------------------------
# Loading tywrap
# ---------------------------------------------------------------------------

def load_tywrap(checkout):
    runtime = os.path.join(checkout, "runtime")
    core_path = os.path.join(runtime, "tywrap_bridge_core.py")
    if not os.path.isfile(core_path):
        raise SystemExit(
            f"harness.py: {core_path} not found; --tywrap must name a tywrap "
            "checkout (git clone https://github.com/bbopen/tywrap)"
        )
    sys.path.insert(0, runtime)
    import tywrap_bridge_core as core  # noqa: E402  (from the user's checkout)

    if os.path.realpath(os.path.dirname(core.__file__)) != os.path.realpath(runtime):
        raise SystemExit(
            f"harness.py: imported tywrap_bridge_core from {core.__file__}, "
            f"not from {runtime}; another copy is shadowing the checkout"
        )
    for name in ("serialize", "encode_value"):
        if not callable(getattr(core, name, None)):
            raise SystemExit(
                f"harness.py: {core_path} has no {name}(); this adapter expects "
                "the tywrap 0.10 runtime layout"
            )
    return core


def tywrap_version(checkout):
    version = None
    try:
        with open(os.path.join(checkout, "package.json"), encoding="utf-8") as f:
            version = json.load(f).get("version")
    except (OSError, ValueError):
        pass
    describe = None
    try:
        if not os.path.exists(os.path.join(checkout, ".git")):
            raise OSError("not a git checkout")  # never describe an enclosing repository
        proc = subprocess.run(
            ["git", "-C", checkout, "describe", "--tags", "--always", "--dirty"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, timeout=10, check=False,
        )
        if proc.returncode == 0 and proc.stdout.strip():
            describe = proc.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    if version and describe and describe != f"v{version}":
        return f"{version} (git {describe})"
    return version or describe or "unknown"


# ---------------------------------------------------------------------------
# Canonical value -> numpy array
# ---------------------------------------------------------------------------

def to_numpy(np, value):
    """The numpy array a canonical value denotes (native byte order, C order,
    writeable), or AdapterRefusal(E_SHAPE_MISMATCH) when `hex` has the wrong
    length."""
    if not isinstance(value, dict) or value.get("kind") != "ndarray":
        raise NotCanonical("value is not a canonical ndarray value")
    if set(value) != {"kind", "dtype", "shape", "hex"}:
        raise NotCanonical(f"canonical value has members {sorted(value)}")
    dtype_name, shape, hexdigits = value["dtype"], value["shape"], value["hex"]
    if not isinstance(dtype_name, str) or not _DTYPE_RE.match(dtype_name):
        raise NotCanonical(f"dtype {dtype_name!r} is not in the dtype table")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 2**53 - 1 for d in shape
    ):
        raise NotCanonical(f"shape {shape!r} is not a list of integers in [0, 2^53-1]")
    if not isinstance(hexdigits, str) or not _HEX_RE.match(hexdigits):
        raise NotCanonical("hex is not lowercase hexadecimal with an even number of digits")

    try:
        dtype = np.dtype(dtype_name)
    except TypeError as exc:  # e.g. <U999999999: itemsize beyond numpy's int32 limit
        raise NumpyCannot(f"numpy cannot create dtype {dtype_name}: {exc}") from exc
    count = 1
    for d in shape:
        count *= d
    nonzero = 1
    for d in shape:
        nonzero *= max(d, 1)
    if len(shape) > 64 or nonzero * max(dtype.itemsize, 1) > 2**63 - 1:
        raise NumpyCannot(f"numpy cannot create an array of shape {shape} and dtype {dtype_name} "
                          "(more than 64 dimensions, or sizes beyond its intp range)")
    expected = count * dtype.itemsize
    got = len(hexdigits) // 2
    if got != expected:
        raise AdapterRefusal(
            "E_SHAPE_MISMATCH",
            f"[adapter, before tywrap] hex holds {got} bytes; dtype {dtype_name} and "
            f"shape {shape} need {expected}",
        )
    raw = bytes.fromhex(hexdigits)
    flat = np.frombuffer(raw, dtype=dtype.newbyteorder("<"), count=count)
    # Native byte order and a private, writeable, C-contiguous buffer: the
    # array a Python function would ordinarily return.
    arr = flat.astype(dtype.newbyteorder("="), copy=True).reshape(tuple(shape))
    return arr


def with_layout(np, arr, layout):
    """The same logical array in another memory layout ([ndarray.encode.c-order]:
    a producer flattens in C order whatever the layout)."""
    if layout == "c" or arr.ndim == 0:
        return arr
    if layout == "fortran":
        out = np.asfortranarray(arr)
    elif layout == "reversed":
        # negative strides on every axis: flip a flipped copy
        out = np.flip(np.flip(arr).copy())
    elif layout == "strided":
        # every other element of a buffer twice as long on the last axis
        big = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), dtype=arr.dtype)
        big[..., ::2] = arr
        out = big[..., ::2]
    else:
        raise ValueError(f"unknown layout {layout!r}")
    assert out.shape == arr.shape and out.dtype == arr.dtype
    assert out.tobytes(order="C") == arr.tobytes(order="C")
    return out


# ---------------------------------------------------------------------------
# tywrap's exceptions -> sciwire error codes
# ---------------------------------------------------------------------------

# Checked in order against "Type: message" of every exception in the chain
# (the exception, its __cause__, its __context__, ...). The first match wins.
_REFUSALS = [
    # final encode (core.encode_value): NaN / +-Infinity
    (re.compile(r"Cannot serialize NaN"), "E_VALUE_DOMAIN"),
    # serialize_ndarray_json: integers beyond +-(2^53-1)
    (re.compile(r"outside the JavaScript safe integer range"), "E_VALUE_DOMAIN"),
    # serialize_ndarray_json: datetime / timedelta / unicode / bytes / complex /
    # object / void / structured / big-endian / float wider than 64 bits
    (re.compile(r"JSON ndarray encoding does not support"), "E_DTYPE_UNSUPPORTED"),
    # serialize_ndarray (Arrow): pyarrow refuses the numpy dtype
    (re.compile(r"Unsupported numpy type|Byte-swapped arrays not supported"), "E_DTYPE_UNSUPPORTED"),
    # serialize_ndarray (Arrow): pyarrow refuses a value (overflow, out of range)
    (re.compile(r"^(?:ArrowInvalid|OverflowError|ArrowNotImplementedError): .*"
                r"(?:overflow|out of (?:range|bounds)|would lose data|Casting from)",
                re.IGNORECASE), "E_VALUE_DOMAIN"),
]


def _chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify(exc):
    """(code, message) for an exception tywrap raised, or None if the adapter
    does not know it as a refusal."""
    chain = list(_chain(exc))
    texts = [f"{type(e).__name__}: {e}" for e in chain]
    for pattern, code in _REFUSALS:
        for text in texts:
            if pattern.search(text):
                return code, " <- ".join(texts)
    return None


# ---------------------------------------------------------------------------
# --decoder ts: tywrap's TypeScript decoder, bundled from the checkout
# ---------------------------------------------------------------------------

ARROW_JS_VERSION = "21.2.0"   # the apache-arrow tywrap 0.10's tests run against
ESBUILD_VERSION = "0.28.2"


def default_ts_cache():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sciwire", "tywrap-ts")


def _log(msg):
    sys.stderr.write(f"harness.py: {msg}\n")
    sys.stderr.flush()


def prepare_ts(checkout, cache):
    """Install apache-arrow and esbuild into `cache` (once) and bundle tywrap's
    BridgeCodec from the checkout (every start, so edits to the checkout count).
    Returns the bundle's path."""
    import hashlib

    os.makedirs(cache, exist_ok=True)
    modules = os.path.join(cache, "node_modules")

    def installed(name, version):
        try:
            with open(os.path.join(modules, name, "package.json"), encoding="utf-8") as f:
                return json.load(f).get("version") == version
        except (OSError, ValueError):
            return False

    if not (installed("apache-arrow", ARROW_JS_VERSION) and installed("esbuild", ESBUILD_VERSION)):
        pkg = os.path.join(cache, "package.json")
        if not os.path.exists(pkg):
            with open(pkg, "w", encoding="utf-8") as f:
                json.dump({"name": "sciwire-tywrap-ts", "private": True}, f)
        _log(f"installing apache-arrow@{ARROW_JS_VERSION} and esbuild@{ESBUILD_VERSION} into {cache}")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                        f"apache-arrow@{ARROW_JS_VERSION}", f"esbuild@{ESBUILD_VERSION}"],
                       cwd=cache, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=True)

    src = os.path.join(checkout, "src")
    for rel in ("runtime/bridge-codec.ts", "utils/codec.ts"):
        if not os.path.isfile(os.path.join(src, rel)):
            raise SystemExit(f"harness.py: {os.path.join(src, rel)} not found; --decoder ts needs "
                             "tywrap's TypeScript sources (src/) in the checkout")
    key = hashlib.sha256(os.path.realpath(checkout).encode()).hexdigest()[:16]
    bundles = os.path.join(cache, "bundles")
    os.makedirs(bundles, exist_ok=True)
    entry = os.path.join(bundles, f"entry-{key}.ts")
    with open(entry + f".{os.getpid()}", "w", encoding="utf-8") as f:
        f.write(f"export {{ BridgeCodec }} from {json.dumps(os.path.join(src, 'runtime', 'bridge-codec.ts'))};\n"
                f"export {{ autoRegisterArrowDecoder }} from {json.dumps(os.path.join(src, 'utils', 'codec.ts'))};\n")
    os.replace(entry + f".{os.getpid()}", entry)
    bundle = os.path.join(bundles, f"tywrap-{key}.mjs")
    tmp = bundle + f".{os.getpid()}.tmp.mjs"
    esbuild = os.path.join(modules, ".bin", "esbuild")
    subprocess.run([esbuild, entry, "--bundle", "--platform=node", "--format=esm",
                    "--external:apache-arrow", "--log-level=warning", f"--outfile={tmp}"],
                   cwd=cache, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=True)
    os.replace(tmp, bundle)
    return bundle


class TsDecoder:
    """A long-lived `node ts_decoder.mjs BUNDLE`, restarted when it dies."""

    HEAP_MB = 1024  # node's --max-old-space-size: a runaway decode dies sooner

    def __init__(self, bundle):
        self.bundle = bundle
        self.proc = None
        self.stderr = None

    def _spawn(self):
        import tempfile

        helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ts_decoder.mjs")
        if self.stderr is not None:
            self.stderr.close()
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(["node", f"--max-old-space-size={self.HEAP_MB}", helper,
                                      self.bundle], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, cwd=os.path.dirname(self.bundle))

    def stderr_tail(self, n=2000):
        if self.stderr is None:
            return ""
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - n))
        return self.stderr.read().decode("utf-8", "replace")

    BIG = 1 << 20  # inputs past this go to node through a file, not the pipe

    def decode(self, data):
        if self.proc is None or self.proc.poll() is not None:
            self._spawn()
        if len(data) > self.BIG:
            import tempfile

            with tempfile.NamedTemporaryFile(prefix="sciwire-tywrap-", delete=False) as f:
                f.write(data)
            try:
                return self._ask(json.dumps({"file": f.name}) + "\n")
            finally:
                os.unlink(f.name)
        return self._ask(json.dumps({"b64": base64.b64encode(data).decode("ascii")}) + "\n")

    def _ask(self, line):
        try:
            self.proc.stdin.write(line.encode("ascii"))
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            answer = b""
            _log(f"node helper: {exc}")
        if not answer:
            try:
                status = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                status = self.proc.wait()
            self.proc = None
            how = f"killed by signal {-status}" if status < 0 else f"exit status {status}"
            tail = self.stderr_tail()
            sys.stderr.write(tail)
            return {"crash": f"node running tywrap's decoder died ({how}) without answering",
                    "stderr": tail}
        return json.loads(answer)


# tywrap's decoder messages -> sciwire codes. tywrap has no codes; these are
# read off its messages (src/utils/codec.ts, src/runtime/bridge-codec.ts), and
# checked in order. A rejection matching none is answered `errored`.
_TS_REJECTIONS = [
    (r"^JSON parse failed", "E_JSON_SYNTAX"),
    # tywrap knows markers sciwire v1 does not define; it rejected the envelope
    # as one of those
    (r"^Scientific envelope decoding failed \((?:dataframe|series|scipy\.sparse|torch\.tensor"
     r"|sklearn\.estimator)\)", "E_UNKNOWN_MARKER"),
    (r"payload size \d+ bytes exceeds maximum|maximum depth \d+ exceeded|maximum visited nodes",
     "E_LIMIT_EXCEEDED"),
    (r"non-finite number \(NaN or Infinity\)", "E_VALUE_DOMAIN"),
    (r"codecVersion must be a number|Unsupported \w[\w.]* envelope codecVersion", "E_CODEC_VERSION"),
    (r"unsupported encoding", "E_ENCODING_UNSUPPORTED"),
    (r"dtype at path dtype is required|missing b64|missing data|data at path data is required"
     r"|unsupported encoding undefined$|at path (?:shape|b64) must be .* actual type undefined",
     "E_MISSING_FIELD"),
    (r"dtype at path dtype must be a non-empty string.* actual type string", "E_DTYPE_UNSUPPORTED"),
    (r"shape at path shape must be a list|dtype at path dtype must be a non-empty string"
     r"|b64 at path b64 must be a base64 string", "E_FIELD_TYPE"),
    (r"shape\[\d+\]=.* must be a non-negative integer", "E_SHAPE_INVALID"),
    (r"b64 at path b64 must be well-formed base64|Invalid base64", "E_BASE64"),
    (r"element count \d+, expected|has length \d+, expected|exceeds nesting depth"
     r"|must be an array at depth|has leaf count", "E_SHAPE_MISMATCH"),
    (r"^Arrow decoding failed|Arrow decode failed|could not extract Arrow values"
     r"|decoded data extraction failed", "E_ARROW_PAYLOAD"),
]
_TS_REJECTIONS = [(re.compile(p), c) for p, c in _TS_REJECTIONS]


def classify_ts(message):
    for pattern, code in _TS_REJECTIONS:
        if pattern.search(message):
            return code
    return None


class _Dtype:
    """kind and itemsize of a table dtype (numpy refuses <U widths past 2^29)."""

    def __init__(self, name):
        if name.startswith("<U"):
            self.kind, self.itemsize = "U", 4 * int(name[2:])
        elif name.startswith("|S"):
            self.kind, self.itemsize = "S", int(name[2:])
        else:
            import numpy as np
            d = np.dtype(name)
            self.kind, self.itemsize, self.np = d.kind, d.itemsize, d


class Inexpressible(Exception):
    """tywrap accepted the input, but what it returned is no canonical value."""


def _leaf_bytes(np, dtype_name, dtype, leaf, where):
    import math

    def bad(why):
        return Inexpressible(f"element {where}: {why} (tywrap returned {json.dumps(leaf)[:200]})")

    if not isinstance(leaf, dict) or len(leaf) < 1:
        raise bad("not a leaf")
    kind = dtype.kind
    if kind == "b":
        if "b" not in leaf:
            raise bad("not a boolean")
        return b"\x01" if leaf["b"] else b"\x00"
    if kind in "iumM":
        if "i" in leaf:
            value = int(leaf["i"])
        elif "n" in leaf:
            f = float(leaf["n"])
            if not math.isfinite(f) or f != int(f):
                raise bad("not an integer")
            value = int(f)  # the exact value of the JS number
        else:
            raise bad("not a number")
        bits = 8 * dtype.itemsize
        lo, hi = (0, 2**bits - 1) if kind == "u" else (-(2**(bits - 1)), 2**(bits - 1) - 1)
        if not lo <= value <= hi:
            raise bad(f"outside {dtype_name}'s range")
        return value.to_bytes(dtype.itemsize, "little", signed=(kind != "u"))
    if kind == "f":
        if "n" in leaf:
            f = float(leaf["n"])
        elif "i" in leaf:
            f = float(int(leaf["i"]))
        else:
            raise bad("not a number")
        # a JS number is a binary64; the element is the dtype's value nearest to it
        with np.errstate(over="ignore"):
            return np.array([f], dtype=np.float64).astype(dtype.np.newbyteorder("<")).tobytes()
    if kind == "U":
        if "s" not in leaf:
            raise bad("not a string")
        try:
            raw = leaf["s"].encode("utf-32-le")
        except UnicodeEncodeError:
            raise bad("a string with a lone surrogate")
        if len(raw) > dtype.itemsize:
            raise bad(f"longer than {dtype_name} holds")
        return raw.ljust(dtype.itemsize, b"\x00")
    if kind == "S":
        if "bytes" not in leaf:
            raise bad("not a byte string")
        raw = bytes.fromhex(leaf["bytes"])
        if len(raw) > dtype.itemsize:
            raise bad(f"longer than {dtype_name} holds")
        return raw.ljust(dtype.itemsize, b"\x00")
    raise bad(f"dtype kind {kind!r}")


def ts_to_canonical(np, parsed, result):
    """The canonical value of what tywrap's decoder returned, read with the
    envelope's declared dtype and shape: nested arrays as the shape says; each
    element the JS value as a value of the dtype (integers and datetime counts
    exactly, floats rounded to the dtype from the binary64 JS number, strings
    as code points, Binary as bytes)."""
    if parsed.get("kind") != "object" or parsed.get("__tywrap__") != "ndarray":
        raise Inexpressible("tywrap returned the input undecoded (it is no ndarray envelope "
                            "to tywrap, which passes such values through)")
    dtype_name, shape = parsed.get("dtype"), parsed.get("shape")
    if not isinstance(dtype_name, str) or not _DTYPE_RE.match(dtype_name):
        raise Inexpressible(f"tywrap accepted dtype {json.dumps(dtype_name)}, which is not in "
                            "sciwire's dtype table")
    if not (isinstance(shape, list) and all(isinstance(d, int) and not isinstance(d, bool)
                                            and 0 <= d <= 2**53 - 1 for d in shape)):
        raise Inexpressible(f"tywrap accepted shape {json.dumps(shape)[:200]}")
    if len(shape) > 64:
        raise Inexpressible(f"tywrap accepted a shape of {len(shape)} dimensions; a canonical "
                            "value has at most 64")
    dtype = _Dtype(dtype_name)
    out = []
    # depth-first over the nesting the shape describes
    stack = [(result, 0, "")]
    while stack:
        node, depth, where = stack.pop()
        if depth == len(shape):
            if isinstance(node, list):
                raise Inexpressible(f"tywrap's result has an array at {where or 'the root'}, "
                                    f"below the {len(shape)} levels of shape {shape}")
            out.append(_leaf_bytes(np, dtype_name, dtype, node, where or "[]"))
            continue
        if not isinstance(node, list) or len(node) != shape[depth]:
            raise Inexpressible(f"tywrap's result at {where or 'the root'} is not an array of "
                                f"{shape[depth]} items, as shape {shape} says")
        for i in range(len(node) - 1, -1, -1):
            stack.append((node[i], depth + 1, f"{where}[{i}]"))
    return {"kind": "ndarray", "dtype": dtype_name, "shape": shape, "hex": b"".join(out).hex()}


# ---------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------

class Harness:
    def __init__(self, args, out):
        self.args = args
        self.out = out
        self.checkout = os.path.abspath(args.tywrap)
        self.core = load_tywrap(self.checkout)
        import numpy as np  # noqa: E402

        self.np = np
        self.encodings = ["json"] if args.fallback == "json" else ["arrow", "json"]
        self.ts = None
        if args.decoder == "ts":
            self.ts = TsDecoder(prepare_ts(self.checkout, args.ts_cache or default_ts_cache()))

    def send(self, obj):
        self.out.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=True) + "\n")
        self.out.flush()

    def start(self, rid, req):
        return {
            "id": rid,
            "protocol": PROTOCOL,
            "implementation": {
                "name": "tywrap-python-runtime" if self.ts is None
                        else "tywrap-python-runtime+ts-decoder",
                "version": tywrap_version(self.checkout),
                "language": "python",
                "homepage": TYWRAP_HOMEPAGE,
                "issues": TYWRAP_ISSUES,
            },
            "capabilities": {
                "ndarray": {
                    "directions": ["encode"] if self.ts is None else ["decode", "encode"],
                    "encodings": ["arrow", "json"] if self.ts else list(self.encodings),
                    "codecVersions": [1],
                }
            },
        }

    def decode(self, rid, req):
        if self.ts is None:
            return {
                "id": rid,
                "skipped": True,
                "message": "tywrap's decoder is TypeScript (src/utils/codec.ts); without "
                           "--decoder ts this adapter drives only tywrap's Python producer",
            }
        data = base64.b64decode(req.pop("input"), validate=True)
        answer = self.ts.decode(data)
        del data
        if "crash" in answer:
            resp = errored(rid, answer["crash"])
            if answer.get("stderr"):
                resp["context"]["stderr"] = answer["stderr"]
            return resp
        if not answer["ok"]:
            err = answer["error"]
            message = f"{err.get('class')}: {err.get('message')}"
            code = classify_ts(err.get("message") or "")
            if code is None:
                return errored(rid, "tywrap rejected the input with a message the adapter "
                                    "does not map to a code: " + message)
            return {"id": rid, "error": {"code": code, "message": message}}
        try:
            if "untaggable" in answer:
                raise Inexpressible(answer["untaggable"])
            value = ts_to_canonical(self.np, answer["parsed"], answer.get("result"))
        except Inexpressible as exc:
            return errored(rid, f"tywrap accepted the input, but its result has no canonical "
                                f"value: {exc}")
        return {"id": rid, "value": value}

    def encode(self, rid, req):
        encoding = req.get("encoding")
        if encoding not in ("arrow", "json"):
            raise NotCanonical(f"encoding {encoding!r} is not arrow or json")
        if encoding not in self.encodings:
            return {"id": rid, "skipped": True,
                    "message": f"this harness runs tywrap with TYWRAP_CODEC_FALLBACK=json; "
                               f"it produces no {encoding} envelopes"}
        try:
            arr = with_layout(self.np, to_numpy(self.np, req.get("value")), self.args.layout)
        except AdapterRefusal as r:
            return {"id": rid, "error": {"code": r.code, "message": str(r)}}
        except NumpyCannot as r:
            return {"id": rid, "skipped": True, "message": str(r)}

        core = self.core
        stage = "core.serialize"
        try:
            env = core.serialize(arr, force_json_markers=(encoding == "json"),
                                 torch_allow_copy=False)
            stage = "core.encode_value (the bridge's final encode)"
            text = core.encode_value(env, allow_nan=False)
        except Exception as exc:  # tywrap refused (or broke)
            verdict = classify(exc)
            if verdict is None:
                return errored(rid, f"tywrap raised, in {stage}, an exception the adapter "
                                    "does not recognise as a refusal", exc)
            code, message = verdict
            return {"id": rid, "error": {"code": code, "message": f"[tywrap {stage}] {message}"}}
        return {"id": rid, "output": base64.b64encode(text.encode("utf-8")).decode("ascii")}

    def run(self, inp):
        handlers = {"start": self.start, "decode": self.decode, "encode": self.encode}
        while True:
            line = inp.readline()
            if not line:
                return 0  # end of input
            if not line.strip():
                continue
            rid = None
            try:
                req = json.loads(line)
                line = None  # large inputs: keep one copy, not two
                rid = req.get("id") if isinstance(req, dict) else None
                cmd = req.get("cmd") if isinstance(req, dict) else None
                if cmd == "stop":
                    return 0
                handler = handlers.get(cmd)
                if handler is None:
                    resp = errored(rid, f"unknown command {cmd!r}")
                else:
                    resp = handler(rid, req)
            except Exception as exc:  # never crash on a request
                resp = errored(rid, f"harness error: {type(exc).__name__}: {exc}", exc)
            if not (isinstance(resp.get("id"), int) and resp["id"] >= 0):
                resp["id"] = 0  # the schema needs one; the runner flags the mismatch
            self.send(resp)


def errored(rid, message, exc=None):
    context = {"message": message}
    if exc is not None:
        context["traceback"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"id": rid, "errored": True, "context": context}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tywrap", required=True, metavar="CHECKOUT",
                    help="path of a tywrap checkout (its runtime/ is imported)")
    ap.add_argument("--fallback", choices=["json"],
                    help="behave like a bridge started with TYWRAP_CODEC_FALLBACK=json "
                         "(JSON envelopes only)")
    ap.add_argument("--layout", choices=["c", "fortran", "reversed", "strided"], default="c",
                    help="memory layout of the arrays handed to tywrap (default c): fortran = "
                         "column-major, reversed = negative strides on every axis, strided = "
                         "every other element of a larger buffer on the last axis; the "
                         "logical value, and so the expected envelope, is the same")
    ap.add_argument("--decoder", choices=["ts"],
                    help="also answer decode requests, with tywrap's TypeScript decoder "
                         "(BridgeCodec.decodeResponseAsync) bundled from the checkout's src/; "
                         "needs node and npm")
    ap.add_argument("--ts-cache", metavar="DIR",
                    help="where --decoder ts installs apache-arrow and esbuild and writes its "
                         "bundle (default $XDG_CACHE_HOME/sciwire/tywrap-ts)")
    ap.add_argument("--prepare", action="store_true",
                    help="with --decoder ts: install and bundle, then exit (so that the "
                         "runner's first start is not slowed by npm)")
    args = ap.parse_args(argv)
    if args.prepare:
        if args.decoder != "ts":
            ap.error("--prepare needs --decoder ts")
        print(prepare_ts(os.path.abspath(args.tywrap), args.ts_cache or default_ts_cache()),
              file=sys.stderr)
        return 0

    # Standard output belongs to the protocol: keep the real stream for it and
    # send anything else that prints (tywrap, numpy, pyarrow warnings) to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", newline="\n")
    sys.stdout = sys.stderr
    os.dup2(sys.stderr.fileno(), 1)

    harness = Harness(args, out)
    inp = open(sys.stdin.fileno(), "r", encoding="utf-8", errors="replace", newline="\n",
               closefd=False)
    return harness.run(inp)


if __name__ == "__main__":
    sys.exit(main())
