"""--decoder ts: tywrap's TypeScript decoder, bundled from the checkout.

prepare_ts installs apache-arrow and esbuild and bundles tywrap's BridgeCodec
from the checkout's src/; TsDecoder runs it in node (ts_decoder.mjs);
_TS_REJECTIONS / classify_ts give its rejections the sciwire code their message
matches; ts_to_canonical, ts_sparse_to_canonical, ts_tensor_to_canonical,
ts_estimator_to_canonical, ts_dataframe_to_canonical and ts_series_to_canonical
read what it returns back as canonical values, or raise Inexpressible when that
is no canonical value."""

import base64
import json
import os
import re
import subprocess
import sys

from canonical import _DTYPE_RE, SAFE, SPARSE_DTYPES, SPARSE_INDEX_MEMBERS, TORCH_DTYPES


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


def _die_with_parent():
    """In the child, before exec: on Linux, have the kernel kill node when the
    harness dies. The runner kills a harness whose case ran past its budget;
    tywrap's decoder can be in a loop that never returns (a footer block 8
    bytes late), and node would otherwise go on looping, orphaned."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


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
                                     stderr=self.stderr, cwd=os.path.dirname(self.bundle),
                                     preexec_fn=_die_with_parent)

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
def _index_code(m):
    # [sparse.index-values] before [sparse.index-range]: an index that is no
    # integer in [0, 2^53-1] is E_VALUE_DOMAIN, one outside the shape
    # E_SPARSE_INDEX (tywrap's message says which number it was)
    try:
        v = float(m.group("v"))
    except ValueError:
        return "E_VALUE_DOMAIN"
    return "E_VALUE_DOMAIN" if v < 0 or v > SAFE or v != int(v) else "E_SPARSE_INDEX"


_SPARSE = r"^Scientific envelope decoding failed \(scipy\.sparse\): Invalid scipy\.sparse envelope: "
_TORCH = r"^Scientific envelope decoding failed \(torch\.tensor\): Invalid torch\.tensor envelope: "
_SKLEARN = (r"^Scientific envelope decoding failed \(sklearn\.estimator\): Invalid "
            r"sklearn\.estimator envelope: ")
_TS_REJECTIONS = [
    (r"^JSON parse failed", "E_JSON_SYNTAX"),
    # -- scipy.sparse (decodeScipySparseEnvelope, assertSparseDataDomain,
    #    assertIndexArrayInRange)
    (_SPARSE + r"unsupported (?:encoding|format) undefined$", "E_MISSING_FIELD"),
    (_SPARSE + r"unsupported format", "E_FORMAT_UNSUPPORTED"),
    (_SPARSE + r"shape must be a 2-item non-negative integer\[\]", "E_SHAPE_INVALID"),
    (_SPARSE + r"(?:data must be an array|coo requires row and col arrays"
     r"|csr/csc requires indices and indptr arrays)", "E_FIELD_TYPE"),
    (_SPARSE + r"data\[\d+\] at path data\[\d+\] (?:must be finite|is incompatible)",
     "E_VALUE_DOMAIN"),
    (_SPARSE + r"(?:coo row/col/data lengths must match|\w+ indices/data lengths must match"
     r"|\w+ indptr length must be)", "E_SHAPE_MISMATCH"),
    (_SPARSE + r"(?:indptr|indices|row|col)\[\d+\] must be an integer", "E_VALUE_DOMAIN"),
    (_SPARSE + r"(?:indptr|indices|row|col)\[\d+\]=(?P<v>\S+) is out of range", _index_code),
    (_SPARSE + r"indptr must (?:be non-decreasing|start at 0|end at data\.length)",
     "E_SPARSE_INDEX"),
    # -- torch.tensor (decodeTorchTensorEnvelope; the nested ndarray's own
    #    rejections come as "(ndarray)" and are mapped below)
    (_TORCH + r"unsupported encoding undefined$|" + _TORCH + r"missing value$"
     r"|value\.shape at path value\.shape must be .* actual type undefined", "E_MISSING_FIELD"),
    (_TORCH + r"value must be an ndarray envelope", "E_NESTED_ENVELOPE"),
    (_TORCH + r"shape at path shape .* disagrees with nested ndarray shape", "E_SHAPE_MISMATCH"),
    (r"value\.dtype at path value\.dtype must be a non-empty string.* actual type string",
     "E_DTYPE_UNSUPPORTED"),
    (r"value\.shape at path value\.shape must be a list"
     r"|value\.dtype at path value\.dtype must be a non-empty string", "E_FIELD_TYPE"),
    (_TORCH + r"(?:device|sourceDtype|sourceDevice) must be a non-empty string", "E_FIELD_TYPE"),
    # -- sklearn.estimator (decodeSklearnEstimatorEnvelope, assertPlainJson): one
    #    message for className, module and params; its "actual types" and
    #    "declared" values say which
    (_SKLEARN + r"unsupported encoding undefined$", "E_MISSING_FIELD"),
    (_SKLEARN + r"expected className/module strings.*actual types (?:undefined/\S+|\S+/undefined)$",
     "E_MISSING_FIELD"),
    (_SKLEARN + r"expected className/module strings.*actual types (?!string/string$)",
     "E_FIELD_TYPE"),
    (_SKLEARN + r"expected className/module strings.*declared (?:class|module) \"\",",
     "E_VALUE_DOMAIN"),
    (_SKLEARN + r"expected className/module strings", "E_FIELD_TYPE"),  # params not an object
    (_SKLEARN + r"params must be a plain JSON object|" + _SKLEARN
     + r"version must be a string when provided", "E_FIELD_TYPE"),
    (_SKLEARN + r"\S+ must be a finite JSON number", "E_VALUE_DOMAIN"),
    # -- every marker
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
        m = pattern.search(message)
        if m:
            return code(m) if callable(code) else code
    return None


MAX_DECODED_BYTES = 1 << 28  # the default limit of spec/src/limits.md


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
        raise Inexpressible("tywrap returned the input undecoded (it is no envelope to tywrap, "
                            "which passes such values through)")
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
    count = 1
    for d in shape:
        count *= d
    if count * dtype.itemsize > MAX_DECODED_BYTES:
        # tywrap returned it; the adapter does not build a canonical value past
        # the default limit (its hex alone would be twice that), which would
        # only fail here later, on memory or time, and less clearly
        raise Inexpressible(f"tywrap accepted a {dtype_name} value of shape {shape}, "
                            f"{count * dtype.itemsize} bytes, past sciwire's max_decoded_bytes "
                            f"({MAX_DECODED_BYTES}); the adapter does not build it")
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


# tywrap's result for the other markers, tagged by ts_decoder.mjs's tagPlain():
# plain objects as {"members": [[name, node], ...]}, arrays as arrays, leaves
# as tag() writes them.

def _ts_members(node, what):
    if not (isinstance(node, dict) and set(node) == {"members"}):
        raise Inexpressible(f"tywrap returned {what} that is not a plain object: "
                            f"{json.dumps(node)[:200]}")
    return {k: v for k, v in node["members"]}


def _ts_absent(node):
    return node is None or node == {"undefined": True}


def _ts_str(node):
    return node["s"] if isinstance(node, dict) and set(node) == {"s"} else None


def _show(node):
    """A tagged leaf as the JS value it stands for (for messages)."""
    if isinstance(node, dict) and len(node) == 1:
        (k, v), = node.items()
        if k == "s":
            return json.dumps(v)
        if k in ("n", "i"):
            return str(v)
        if k == "b":
            return "true" if v else "false"
        if k in ("null", "undefined"):
            return k
    return json.dumps(node)[:200]


def _ts_count(node, hi=SAFE):
    """The integer a tagged JS number holds, when it is one in [0, hi]."""
    import math

    if isinstance(node, dict) and set(node) == {"n"}:
        f = float(node["n"])
        if math.isfinite(f) and f == int(f) and 0 <= int(f) <= hi:
            return int(f)
    return None


def _ts_shape(node, what):
    if not isinstance(node, list):
        raise Inexpressible(f"tywrap returned {what} {json.dumps(node)[:200]}, not an array")
    out = [_ts_count(d) for d in node]
    if any(d is None for d in out):
        raise Inexpressible(f"tywrap returned {what} {json.dumps(node)[:200]}, not integers in "
                            "[0, 2^53-1]")
    return out


def ts_sparse_to_canonical(np, parsed, result):
    """tywrap's SparseMatrix {format, shape, data, indices, indptr | row, col,
    dtype} as a canonical sparse value: the stored values read with the
    returned dtype as _leaf_bytes reads ndarray elements, the index arrays
    as the integers they are."""
    r = _ts_members(result, "a sparse matrix")
    fmt = _ts_str(r.get("format"))
    if fmt not in SPARSE_INDEX_MEMBERS:
        raise Inexpressible(f"tywrap returned format {_show(r.get('format'))}")
    dtype_name = _ts_str(r.get("dtype"))
    if dtype_name is None:
        raise Inexpressible(f"tywrap returned the matrix with dtype {_show(r.get('dtype'))} "
                            "(it reads an envelope without one leniently), so its stored values "
                            "have no type")
    if dtype_name not in SPARSE_DTYPES:
        raise Inexpressible(f"tywrap accepted dtype {json.dumps(dtype_name)}, which is not a "
                            "sparse dtype in sciwire's table (bool, integers, float16/32/64)")
    shape = _ts_shape(r.get("shape"), "shape")
    if len(shape) != 2:
        raise Inexpressible(f"tywrap returned shape {shape}, not two dimensions")
    data = r.get("data")
    if not isinstance(data, list):
        raise Inexpressible(f"tywrap returned data {json.dumps(data)[:200]}, not an array")
    dtype = _Dtype(dtype_name)
    hexdigits = b"".join(_leaf_bytes(np, dtype_name, dtype, leaf, f"data[{i}]")
                         for i, leaf in enumerate(data)).hex()
    out = {"kind": "sparse", "format": fmt, "dtype": dtype_name, "shape": shape, "hex": hexdigits}
    for name in SPARSE_INDEX_MEMBERS[fmt]:
        arr = r.get(name)
        if not isinstance(arr, list):
            raise Inexpressible(f"tywrap returned {name} {json.dumps(arr)[:200]}, not an array")
        vals = [_ts_count(x) for x in arr]
        bad = next((i for i, x in enumerate(vals) if x is None), None)
        if bad is not None:
            raise Inexpressible(f"tywrap returned {name}[{bad}] = {_show(arr[bad])}, not an "
                                "integer in [0, 2^53-1]")
        out[name] = vals
    return out


def _nesting(node):
    """The shape of a tagged result's nested arrays, read along the first
    items (ts_to_canonical then checks that every item agrees)."""
    shape = []
    while isinstance(node, list):
        shape.append(len(node))
        node = node[0] if node else None
    return shape


def ts_tensor_to_canonical(np, parsed, result):
    """tywrap's TorchTensor {data, shape, dtype, device, sourceDtype?,
    sourceDevice?} as a canonical tensor value. `data` is what tywrap's
    ndarray decoder returned for the nested envelope; it is read as that
    decode is ([ts_to_canonical]): with the nested envelope's dtype and shape
    (for a nested envelope without dtype, the one the torch dtype table gives)."""
    r = _ts_members(result, "a tensor")
    tdtype = _ts_str(r.get("dtype"))
    if tdtype not in TORCH_DTYPES:
        raise Inexpressible(f"tywrap accepted the tensor dtype {_show(r.get('dtype'))}, which "
                            "is not in sciwire's torch dtype table")
    device = r.get("device")
    if not _ts_absent(device) and _ts_str(device) != "cpu":
        raise Inexpressible(f"tywrap accepted device {_show(device)}; a canonical tensor is "
                            "in host memory (cpu), so this one has no canonical value")
    out = {"kind": "tensor", "dtype": tdtype}
    sd = r.get("sourceDtype")
    if not _ts_absent(sd):
        if _ts_str(sd) != "torch.bfloat16":
            raise Inexpressible(f"tywrap accepted sourceDtype {_show(sd)}; sciwire's only "
                                "one is torch.bfloat16")
        out["sourceDtype"] = "torch.bfloat16"
    sdev = r.get("sourceDevice")
    if not _ts_absent(sdev):
        if not _ts_str(sdev):
            raise Inexpressible(f"tywrap returned sourceDevice {_show(sdev)}")
        out["sourceDevice"] = _ts_str(sdev)
    nested = parsed.get("value") if isinstance(parsed.get("value"), dict) else {}
    nd = nested.get("dtype") if isinstance(nested.get("dtype"), str) else TORCH_DTYPES[tdtype]
    nshape = nested.get("shape")
    shape = None if _ts_absent(r.get("shape")) else _ts_shape(r.get("shape"), "shape")
    if not isinstance(nshape, list):
        # a legacy nested envelope without shape: tywrap returns its data as it
        # reads it (nested JSON arrays as they are, an Arrow column flat), so
        # the data's own nesting is the shape it gave
        nshape = _nesting(r.get("data"))
        what = "data nested as"
    else:
        what = "data it read with the nested shape"
    if shape is not None and shape != nshape:
        raise Inexpressible(f"tywrap returned shape {shape} with {what} "
                            f"{json.dumps(nshape)[:200]}: a canonical tensor has one shape")
    read_shape = nshape
    arr = ts_to_canonical(np, {"kind": "object", "__tywrap__": "ndarray", "dtype": nd,
                               "shape": read_shape}, r.get("data"))
    out["array"] = arr
    # members in the schema's order (kind, dtype, array, sourceDtype, sourceDevice)
    return {k: out[k] for k in ("kind", "dtype", "array", "sourceDtype", "sourceDevice") if k in out}


class _Num:
    """A number of the input text, with its kind ([sklearn.params.numbers])."""
    __slots__ = ("kind", "text")

    def __init__(self, kind, text):
        self.kind, self.text = kind, text


def _input_numbers(data):
    """The input parsed by Python's json with each number kept as its text and
    kind: the only place the kind survives, since tywrap's JSON.parse makes
    1 and 1.0 the same JavaScript number. (JSON.parse and json both keep the
    last of duplicate names.)"""
    text = data.decode("utf-8", "replace")
    return json.loads(text, parse_int=lambda t: _Num("int", t),
                      parse_float=lambda t: _Num("float", t),
                      parse_constant=lambda t: _Num("float", t))


def ts_typed(node, doc, path):
    """tywrap's returned params (tagged) as a typed JSON tree
    ([canonical.typed-json]). A JS number that is not an integer is a float;
    an integer-valued one is the integer the input wrote, or, when the input
    wrote a float (1.0, 1e3, -0.0), Inexpressible: tywrap returns the float
    1.0 as the number 1, the same as the integer 1, and guessing the kind back
    from the input would report a value tywrap does not give."""
    import math
    import struct

    stack = []
    root = {}
    stack.append((node, doc, path, root))
    while stack:
        node, doc, path, slot = stack.pop()
        if isinstance(node, list):
            if not isinstance(doc, list) or len(doc) != len(node):
                raise Inexpressible(f"{path}: tywrap's array does not match the input's")
            items = [{} for _ in node]
            slot["array"] = items
            for i in range(len(node) - 1, -1, -1):
                stack.append((node[i], doc[i], f"{path}[{i}]", items[i]))
            continue
        if isinstance(node, dict) and set(node) == {"members"}:
            if not isinstance(doc, dict):
                raise Inexpressible(f"{path}: tywrap's object does not match the input's")
            pairs = sorted(node["members"], key=lambda p: p[0])
            members = [[k, {}] for k, _ in pairs]
            slot["object"] = members
            for (k, v), m in zip(pairs, members):
                if k not in doc:
                    raise Inexpressible(f"{path}: tywrap returned a member {k!r} the input lacks")
                stack.append((v, doc[k], f"{path}.{k}", m[1]))
            continue
        if node == {"null": True}:
            slot["null"] = None
        elif isinstance(node, dict) and set(node) == {"b"}:
            slot["bool"] = node["b"]
        elif isinstance(node, dict) and set(node) == {"s"}:
            slot["string"] = node["s"]
        elif isinstance(node, dict) and set(node) == {"n"}:
            f = float(node["n"])  # String() of a JS number round-trips; "-0" is -0.0
            if not isinstance(doc, _Num):
                raise Inexpressible(f"{path}: tywrap's number is no number in the input")
            integral = math.isfinite(f) and f == int(f)
            if not integral:
                if not math.isfinite(f):
                    raise Inexpressible(f"{path}: tywrap returned {node['n']}")
                slot["float"] = struct.pack(">d", f).hex()
            elif doc.kind == "int":
                slot["int"] = int(f)
            else:
                raise Inexpressible(
                    f"{path}: the envelope writes the float {doc.text}, which tywrap's decoder "
                    f"returns as the JavaScript number {node['n']}, the same value as the integer "
                    f"{int(f)}: the kind a canonical value keeps is lost")
        else:
            raise Inexpressible(f"{path}: tywrap returned {json.dumps(node)[:200]}, no JSON value")
    return root


def ts_estimator_to_canonical(parsed, result, data):
    """tywrap's SklearnEstimator {className, module, version, params} as a
    canonical estimator value, the params as a typed tree (ts_typed)."""
    r = _ts_members(result, "an estimator")
    name, module = _ts_str(r.get("className")), _ts_str(r.get("module"))
    if name is None or module is None:
        raise Inexpressible(f"tywrap returned className {_show(r.get('className'))}, module "
                            f"{_show(r.get('module'))}")
    version = r.get("version")
    if _ts_absent(version):
        raise Inexpressible("tywrap returned no version (it accepts an envelope without one); a "
                            "canonical estimator has a version string or null")
    if _ts_str(version) is None:
        raise Inexpressible(f"tywrap returned version {_show(version)}")
    if data is None:
        raise Inexpressible("the input is too large for the adapter to read its number kinds")
    try:
        doc = _input_numbers(data)
    except (ValueError, RecursionError) as exc:
        raise Inexpressible(f"Python's json cannot read the input for its number kinds: {exc}")
    params = r.get("params")
    if not isinstance(doc, dict) or "params" not in doc:
        raise Inexpressible("the input, as Python's json reads it, has no params")
    return {"kind": "estimator", "className": name, "module": module,
            "version": _ts_str(version),
            "params": ts_typed(params, doc["params"], "params")}


# ---------------------------------------------------------------------------
# dataframe and series: tywrap returns an apache-arrow Table (arrow) or the
# envelope's `data` unchecked (json); for a series it drops the name
# ---------------------------------------------------------------------------

# apache-arrow's Type ids (enum.ts) of the Arrow types a canonical column has
_ARROW_INT = {(8, True): "int8", (16, True): "int16", (32, True): "int32", (64, True): "int64",
              (8, False): "uint8", (16, False): "uint16", (32, False): "uint32",
              (64, False): "uint64"}
_ARROW_UNITS = {0: "s", 1: "ms", 2: "us", 3: "ns"}
TABLE_CELLS_MAX = 1 << 28  # sciwire's default max_elements


def _arrow_column_type(t, where, inner=False):
    """The canonical column type of an apache-arrow type description
    (ts_decoder.mjs describeArrowType), or Inexpressible."""
    tid = t.get("typeId")

    def none():
        return Inexpressible(f"{where}: tywrap accepted a column of Arrow type {t.get('text')}, "
                             "which no canonical column has ([dataframe.column-types])")

    if t.get("children"):
        raise none()
    if tid == 1:
        return {"id": "null"}
    if tid == 6:
        return {"id": "bool"}
    if tid == 2:
        name = _ARROW_INT.get((t.get("bitWidth"), t.get("isSigned")))
        if name is None:
            raise none()
        return {"id": name}
    if tid == 3:
        name = {0: "float16", 1: "float32", 2: "float64"}.get(t.get("precision"))
        if name is None:
            raise none()
        return {"id": name}
    if tid in (5, 20):
        return {"id": "string"}
    if tid in (4, 19):
        return {"id": "binary"}
    if tid == 8 and t.get("unit") == 0:
        return {"id": "date32"}
    if tid == 10 and t.get("unit") in _ARROW_UNITS:
        tz = t.get("timezone")
        return {"id": "timestamp", "unit": _ARROW_UNITS[t["unit"]],
                "tz": tz if isinstance(tz, str) else None}
    if tid == 18 and t.get("unit") in _ARROW_UNITS:
        return {"id": "duration", "unit": _ARROW_UNITS[t["unit"]]}
    if tid == -1 and not inner:
        idx = _arrow_column_type(t.get("indices") or {}, where, inner=True)
        values = _arrow_column_type(t.get("dictionary") or {}, where, inner=True)
        if idx["id"] not in _ARROW_INT.values() or values["id"] == "null":
            raise none()
        return {"id": "dictionary", "index": idx["id"], "ordered": bool(t.get("isOrdered")),
                "values": values}
    raise none()


def _arrow_leaf(t, cell, where):
    if cell is None:
        return None
    tid = t["id"]
    if tid == "bool" and set(cell) == {"b"}:
        return cell["b"]
    if tid in ("string",) and set(cell) == {"s"}:
        return cell["s"]
    if tid == "binary" and set(cell) == {"bytes"}:
        return cell["bytes"]
    if tid.startswith("float") and set(cell) == {"f"}:
        return cell["f"]
    if set(cell) == {"i"}:
        return str(int(cell["i"]))
    raise Inexpressible(f"{where}: tywrap's Table holds {json.dumps(cell)[:100]} in a {tid} column")


def _arrow_column(col, name, where):
    """A canonical column value of one column of tywrap's Table."""
    meta = dict(col.get("metadata") or [])
    if "ARROW:extension:name" in meta:
        raise Inexpressible(f"{where}: tywrap accepted a field of the Arrow extension type "
                            f"{meta['ARROW:extension:name']!r} and returns its storage; no canonical "
                            "column has it ([dataframe.column-types])")
    t = _arrow_column_type(col["type"], where)
    if "dataTypes" in col:
        raise Inexpressible(f"{where}: tywrap's Table gives this field the Arrow type "
                            f"{col['type'].get('text')} but holds data of type "
                            f"{', '.join(col['dataTypes'])} under it (apache-arrow's Table pairs "
                            "fields and data by name, and two fields share one)")
    if "cells" not in col:
        raise Inexpressible(f"{where}: tywrap's Table gives no cells for this column")
    values = [_arrow_leaf(t, c, f"{where}[{i}]") for i, c in enumerate(col["cells"])]
    out = {"name": name, "type": t, "values": values}
    if t["id"] == "dictionary":
        if col.get("dictionaryTooMany"):
            raise Inexpressible(f"{where}: tywrap accepted a dictionary of {col['dictionaryTooMany']} "
                                "entries, past sciwire's max_elements; the adapter does not build it")
        dicts = col.get("dictionaries") or []
        if len(dicts) != 1:
            raise Inexpressible(
                f"{where}: tywrap's Table holds {len(dicts)} different dictionaries for this column "
                "(one per record batch that replaced it, or none without a batch); a canonical column "
                "has one")
        if dicts[0] is None:
            raise Inexpressible(f"{where}: tywrap's Table has a dictionary of another type")
        entries = [_arrow_leaf(t["values"], c, f"{where} dictionary[{i}]") for i, c in enumerate(dicts[0])]
        if any(e is None for e in entries):
            raise Inexpressible(f"{where}: tywrap accepted a dictionary holding a null entry; a canonical "
                                "dictionary has none ([dataframe.arrow.dictionary])")
        bad = next((v for v in values if v is not None and not 0 <= int(v) < len(entries)), None)
        if bad is not None:
            raise Inexpressible(f"{where}: tywrap accepted the code {bad}, outside the dictionary of "
                                f"{len(entries)} entries ([dataframe.arrow.dictionary])")
        out["dictionary"] = entries
    return out


def _pandas_index(meta_text, columns, rows):
    """[dataframe.pandas.*] applied to the Table's own `pandas` metadata:
    (index value, set of the field positions that are index columns), or
    Inexpressible where sciwire rejects the metadata (tywrap never reads it)."""
    def bad(why):
        return Inexpressible("tywrap returns the Table with its pandas metadata unread; read as "
                             f"[dataframe.pandas.*] reads it, {why}, so the table has no canonical value")

    def no_dup(pairs):
        names = [k for k, _ in pairs]
        if len(set(names)) != len(names):
            raise bad("the metadata has a duplicate member name")
        return dict(pairs)

    default = {"kind": "range", "name": None, "start": 0, "stop": rows, "step": 1}
    if meta_text is None:
        return default, set()
    try:
        pm = json.loads(meta_text, object_pairs_hook=no_dup)
    except ValueError:
        raise bad("the metadata is not JSON text")
    if not isinstance(pm, dict) or not isinstance(pm.get("index_columns"), list):
        raise bad("the metadata has no index_columns array")
    entries = pm["index_columns"]
    if not entries:
        return default, set()

    def is_int(x):
        return isinstance(x, int) and not isinstance(x, bool) and abs(x) <= SAFE

    ranges = [e for e in entries if isinstance(e, dict)]
    if ranges:
        r = ranges[0]
        if len(entries) != 1 or r.get("kind") != "range" or not all(
                is_int(r.get(k)) for k in ("start", "stop", "step")) or r["step"] == 0 \
                or not (r.get("name") is None or isinstance(r.get("name"), str)) or "name" not in r:
            raise bad(f"index_columns {json.dumps(entries)[:200]} is no range the spec reads")
        if len(range(r["start"], r["stop"], r["step"])) != rows:
            raise bad(f"the range index has {len(range(r['start'], r['stop'], r['step']))} values "
                      f"for {rows} rows")
        return {"kind": "range", "name": r["name"], "start": r["start"], "stop": r["stop"],
                "step": r["step"]}, set()
    if not all(isinstance(e, str) for e in entries) or len(set(entries)) != len(entries):
        raise bad(f"index_columns {json.dumps(entries)[:200]} is not distinct field names")
    objs = pm.get("columns")
    if not isinstance(objs, list) or not all(isinstance(o, dict) for o in objs):
        raise bad("the metadata has no columns array of objects")
    positions, names = [], []
    for e in entries:
        pos = [i for i, c in enumerate(columns) if c["name"] == e]
        mine = [o for o in objs if o.get("field_name") == e]
        if len(pos) != 1 or len(mine) != 1 or "name" not in mine[0] \
                or not (mine[0]["name"] is None or isinstance(mine[0]["name"], str)):
            raise bad(f"the index column {e!r} is not one field with one columns object naming it")
        positions.append(pos[0])
        names.append(mine[0]["name"])
    return {"kind": "columns", "names": names, "positions": positions}, set(positions)


def _table_columns(table, what):
    rows = table.get("rows")
    if not isinstance(rows, int) or rows < 0:
        raise Inexpressible(f"tywrap returned a Table of {rows!r} rows")
    if rows > SAFE:
        raise Inexpressible(f"tywrap returned a Table of {rows} rows, more than 2^53-1: no canonical "
                            "table has them ([limits.conformance-defaults])")
    if table.get("tooMany"):
        raise Inexpressible(f"tywrap accepted a table of {table['tooMany']} cells, past sciwire's "
                            f"max_elements ({TABLE_CELLS_MAX}); the adapter does not build it")
    return rows, table.get("columns") or []


def ts_dataframe_to_canonical(parsed, result, data):
    """tywrap's result for a dataframe envelope as a canonical dataframe value:
    the apache-arrow Table's columns (the index columns and the range index its
    own pandas metadata names, read as [dataframe.pandas.*] reads them), or the
    json rows it returned unchecked (ts_json_rows)."""
    if isinstance(result, dict) and set(result) == {"table"}:
        table = result["table"]
        rows, cols = _table_columns(table, "dataframe")
        meta = dict(table.get("metadata") or [])
        index, index_pos = _pandas_index(meta.get("pandas"), cols, rows)
        columns = [_arrow_column(c, c["name"], f"column {i} ({c['name']!r})")
                   for i, c in enumerate(cols) if i not in index_pos]
        if index["kind"] == "columns":
            index = {"kind": "columns", "columns": [
                _arrow_column(cols[p], n, f"index column {k} ({cols[p]['name']!r})")
                for k, (p, n) in enumerate(zip(index["positions"], index["names"]))]}
        return {"kind": "dataframe", "rows": rows, "columns": columns, "index": index}
    if parsed.get("encoding") != "json":
        raise Inexpressible(f"tywrap returned {json.dumps(result)[:200]} for an arrow dataframe, "
                            "no apache-arrow Table")
    names, cols, rows = ts_json_rows(result, data)
    return {"kind": "dataframe", "rows": rows,
            "columns": [dict(name=n, **c) for n, c in zip(names, cols)],
            "index": {"kind": "range", "name": None, "start": 0, "stop": rows, "step": 1}}


def _json_column(cells, docs, where):
    """A json column's type and leaves ([dataframe.json.types]) from tywrap's
    returned cells, the number kinds from the input text (docs)."""
    import math
    import struct

    kinds, leaves = set(), []
    for i, (cell, doc) in enumerate(zip(cells, docs)):
        w = f"{where}[{i}]"
        if cell == {"null": True}:
            leaves.append(None)
            continue
        if isinstance(cell, dict) and set(cell) == {"b"}:
            kinds.add("bool")
            leaves.append(cell["b"])
        elif isinstance(cell, dict) and set(cell) == {"s"}:
            kinds.add("string")
            leaves.append(cell["s"])
        elif isinstance(cell, dict) and set(cell) == {"n"}:
            f = float(cell["n"])
            if not isinstance(doc, _Num):
                raise Inexpressible(f"{w}: tywrap's number is no number in the input")
            if not math.isfinite(f):
                raise Inexpressible(f"{w}: tywrap returned {cell['n']}")
            integral = f == int(f)
            if doc.kind == "int" and integral and not -2**63 <= int(f) < 2**63:
                raise Inexpressible(
                    f"{w}: the envelope writes the integer {doc.text}, which tywrap's decoder returns as "
                    f"the JavaScript number {cell['n']}, outside int64: no column type holds it "
                    "([dataframe.json.types])")
            if doc.kind == "int" and integral:
                kinds.add("int64")
                leaves.append(str(int(f)))
            elif doc.kind == "float" and not integral:
                kinds.add("float64")
                leaves.append(struct.pack(">d", f).hex())
            else:
                raise Inexpressible(
                    f"{w}: the envelope writes the {doc.kind} {doc.text}, which tywrap's decoder returns "
                    f"as the JavaScript number {cell['n']}, the same value as the "
                    f"{'integer' if integral else 'float'}: the kind a canonical column keeps "
                    "([dataframe.json.types]) is lost")
        else:
            raise Inexpressible(f"{w}: tywrap returned the cell {json.dumps(cell)[:200]} unchecked; "
                                "no column type holds it ([dataframe.json.types])")
    if len(kinds) > 1:
        raise Inexpressible(f"{where}: tywrap returned cells of kinds {sorted(kinds)} unchecked; no "
                            "column type holds them ([dataframe.json.types])")
    return {"type": {"id": kinds.pop() if kinds else "null"}, "values": leaves}


def ts_json_rows(result, data):
    """(names, columns, rows) of the json rows tywrap returned unchecked."""
    doc = _json_doc(data)
    if not isinstance(result, list):
        raise Inexpressible(f"tywrap returned data {json.dumps(result)[:200]} unchecked, not an array "
                            "of rows")
    drows = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(drows, list) or len(drows) != len(result):
        raise Inexpressible("tywrap's rows do not match the input's")
    rows, names = [], None
    for r, (row, drow) in enumerate(zip(result, drows)):
        if not (isinstance(row, dict) and set(row) == {"members"}) or not isinstance(drow, dict):
            raise Inexpressible(f"tywrap returned row {r} {json.dumps(row)[:200]} unchecked, no object")
        these = [k for k, _ in row["members"]]
        if names is None:
            names = these
        elif these != names:
            raise Inexpressible(f"tywrap returned rows with other members unchecked (row 0 {names}, "
                                f"row {r} {these}): no table ([dataframe.json.columns])")
        rows.append((dict(row["members"]), drow))
    names = names or []
    cols = [_json_column([m[n] for m, _ in rows], [d.get(n) for _, d in rows], f"column {n!r}")
            for n in names]
    return names, cols, len(result)


def _json_doc(data):
    if data is None:
        raise Inexpressible("the input is too large for the adapter to read its number kinds")
    try:
        return _input_numbers(data)
    except (ValueError, RecursionError) as exc:
        raise Inexpressible(f"Python's json cannot read the input for its number kinds: {exc}")


def ts_series_to_canonical(parsed, result, data):
    """tywrap's result for a series envelope: the Table's one column or the
    json values, read as a dataframe's column is; and then Inexpressible
    either way, since tywrap's decoder drops the name (both encodings) and a
    canonical series has one."""
    if isinstance(result, dict) and set(result) == {"table"}:
        rows, cols = _table_columns(result["table"], "series")
        if len(cols) != 1:
            raise Inexpressible(f"tywrap returned a Table of {len(cols)} columns for a series "
                                "([series.arrow.schema])")
        col = _arrow_column(cols[0], cols[0]["name"], f"column {cols[0]['name']!r}")
        how = f"its Table's one column ({cols[0]['name']!r}, {json.dumps(col['type'])})"
    elif parsed.get("encoding") == "json":
        if not isinstance(result, list):
            raise Inexpressible(f"tywrap returned data {json.dumps(result)[:200]} unchecked, not an "
                                "array")
        doc = _json_doc(data)
        docs = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(docs, list) or len(docs) != len(result):
            raise Inexpressible("tywrap's values do not match the input's")
        col = _json_column(result, docs, "data")
        how = f"its data read as a column of type {json.dumps(col['type'])}"
    else:
        raise Inexpressible(f"tywrap returned {json.dumps(result)[:200]} for an arrow series, no "
                            "apache-arrow Table")
    raise Inexpressible(f"tywrap's decoder drops the series name (it returns {how} and nothing "
                        "else); a canonical series has one ([canonical.series])")
