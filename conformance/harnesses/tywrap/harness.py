#!/usr/bin/env python3
"""sciwire conformance harness for the tywrap bridge (bbopen/tywrap).

    python3 harness.py --tywrap /path/to/tywrap-checkout
                       [--fallback json] [--layout c|fortran|reversed|strided]
                       [--sparse-class matrix|array]
                       [--decoder ts [--ts-cache DIR] [--prepare]]

Speaks the sciwire harness protocol (spec/src/harness.md): JSON Lines on
standard input and output, commands start / decode / encode / stop.

encode: checks tywrap's Python *producer*. The canonical value becomes the
Python object it denotes (a numpy array; a scipy.sparse csr/csc/coo_matrix,
or *_array with --sparse-class array, storing exactly the value's entries; a
torch tensor, bfloat16 when the value says it came from one; a scikit-learn
estimator built from an allow-listed module and its typed params), which goes
through tywrap's own code as a function's return value goes through tywrap's
subprocess bridge (a dataframe or series value becomes a pandas DataFrame or
Series, each column in the dtype pandas gives its values, or a nullable or
pd.ArrowDtype column where that cannot hold them exactly: objects.py):

    env  = core.serialize(obj, force_json_markers=..., torch_allow_copy=...)
    text = core.encode_value(env, allow_nan=False)     # the bridge's final encode

(force_json_markers is true exactly when the request asks for `json`, for a
tensor the nested ndarray's encoding; torch_allow_copy only for a tensor that
came from another device, whose user let tywrap copy it.)

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
([ndarray.encode.c-order]); the expected envelopes do not change (ndarray
values only: tywrap refuses non-contiguous tensors unless allowed to copy).

A value no Python object can be (a hex of the wrong length, a tensor whose
dtype and elements disagree, a dict with two members of one name) is refused
by the adapter itself, marked "[adapter, before tywrap]"; one the libraries
or this machine cannot hold (numpy's limits, a CUDA tensor, another
scikit-learn version, a param the estimator's constructor does not take) is
answered `skipped`; one the adapter would have to import from outside its
allow-list is answered `errored`.

decode: answered `skipped` (and not offered in start): tywrap's decoder is
TypeScript. With --decoder ts, decode requests go to tywrap's own
BridgeCodec.decodeResponseAsync, bundled from the checkout's src/ with esbuild
(apache-arrow 21.2.0 kept external) and run by node (ts_decoder.mjs). Its
result is read back as a canonical value with the envelope's declared dtype
and shape (ts_to_canonical); its rejections get the code their message matches
(_TS_REJECTIONS). tywrap's SparseMatrix, TorchTensor and SklearnEstimator
results are read the same way (ts_sparse_to_canonical, ts_tensor_to_canonical,
ts_estimator_to_canonical), and so are the apache-arrow Table (described by
ts_decoder.mjs) or the json data it returns for a dataframe or series
(ts_dataframe_to_canonical, ts_series_to_canonical; tywrap drops a series'
name, so an accepted series is answered `noncanonical`). When tywrap accepts an input but returns something
that is no canonical value (a value it passed through undecoded, a dtype
outside the table, a leaf that is no value of the dtype, a device other than
cpu, a float param it returns as an integer-valued JavaScript number), the
answer is `noncanonical` ([harness.noncanonical]), with what tywrap returned
(as ts_decoder.mjs describes it) and why it is no canonical value.

The code is in four files, side by side: harness.py (this file) loads tywrap,
maps its Python producer's exceptions to codes (_REFUSALS, classify) and speaks
the protocol (Harness, main); objects.py turns canonical values into the Python
objects tywrap is given; ts.py runs tywrap's TypeScript decoder and reads its
results back as canonical values (_TS_REJECTIONS, ts_to_canonical, ...);
canonical.py holds the tables both check canonical values against.
"""

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # the sibling modules, also when imported from elsewhere
    sys.path.insert(0, HERE)

from objects import (  # noqa: E402
    AdapterRefusal, NotCanonical, NumpyCannot, Unfaithful, to_dataframe, to_estimator, to_numpy,
    to_series, to_sparse, to_tensor, with_layout)
from ts import (  # noqa: E402
    Inexpressible, TsDecoder, _log, classify_ts, default_ts_cache, prepare_ts,
    ts_dataframe_to_canonical, ts_estimator_to_canonical, ts_series_to_canonical,
    ts_sparse_to_canonical, ts_tensor_to_canonical, ts_to_canonical)

PROTOCOL = 1
TYWRAP_HOMEPAGE = "https://github.com/bbopen/tywrap"
TYWRAP_ISSUES = "https://github.com/bbopen/tywrap/issues"


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
    # serialize_sparse_matrix: complex64/complex128 data
    (re.compile(r"Complex scipy sparse matrices are not supported"), "E_DTYPE_UNSUPPORTED"),
    # serialize_sparse_matrix: dia, bsr, lil, dok
    (re.compile(r"Unsupported scipy sparse format"), "E_FORMAT_UNSUPPORTED"),
    # serialize_torch_tensor: complex and quantized dtypes
    (re.compile(r"Torch complex tensors are not supported|Torch quantized tensors are not "
                r"supported"), "E_DTYPE_UNSUPPORTED"),
    # serialize_dataframe_json / serialize_series_json (_validate_pandas_json_index,
    # the label check, the categorical check, _normalize_pandas_json_scalar)
    (re.compile(r"JSON pandas\.\w+ encoding (?:does not support MultiIndex|requires an unnamed "
                r"RangeIndex)"), "E_ENCODING_UNSUPPORTED"),
    (re.compile(r"JSON pandas\.DataFrame encoding requires column labels to remain unique"),
     "E_JSON_DUPLICATE_KEY"),
    (re.compile(r"JSON pandas\.\w+ encoding does not support categorical dtype"), "E_COLUMN_TYPE"),
    (re.compile(r"JSON pandas encoding cannot represent non-finite"), "E_VALUE_DOMAIN"),
    (re.compile(r"JSON pandas encoding does not support .* value of type"), "E_COLUMN_TYPE"),
    # (serialize_sklearn_estimator's "param ... is not JSON-serializable" is
    # classified by its cause: _sklearn_param_refusal)
]

_SKLEARN_PARAM = re.compile(r"scikit-learn estimator param ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\") "
                            r"is not JSON-serializable")


def _contains_estimator(v, depth=0):
    from sklearn.base import BaseEstimator

    if isinstance(v, BaseEstimator) or (isinstance(v, dict) and "__tywrap__" in v):
        return True
    if depth < 100 and isinstance(v, (list, tuple)):
        return any(_contains_estimator(x, depth + 1) for x in v)
    if depth < 100 and isinstance(v, dict):
        return any(_contains_estimator(x, depth + 1) for x in v.values())
    return False


def _sklearn_param_refusal(exc, texts, obj):
    """serialize_sklearn_estimator refuses a param that json.dumps(v,
    allow_nan=False) refuses, with one message whatever the cause. The code
    is the cause's: NaN or an infinity (json's ValueError) -> E_VALUE_DOMAIN;
    an estimator (or an envelope) inside the param -> E_NESTED_ENVELOPE;
    anything else (a numpy scalar, a function) -> None (errored)."""
    import ast

    m = _SKLEARN_PARAM.search(texts[0])
    if not m:
        return None
    if any(t.startswith("ValueError: Out of range float values are not JSON compliant")
           for t in texts[1:]):
        return "E_VALUE_DOMAIN"
    try:
        key = ast.literal_eval(m.group(1))
        value = obj.get_params(deep=False)[key]
    except Exception:
        return None
    if _contains_estimator(value):
        return "E_NESTED_ENVELOPE"
    return None


def _chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify(exc, obj=None):
    """(code, message) for an exception tywrap raised on `obj`, or None if the
    adapter does not know it as a refusal."""
    chain = list(_chain(exc))
    texts = [f"{type(e).__name__}: {e}" for e in chain]
    if _SKLEARN_PARAM.search(texts[0]):
        code = _sklearn_param_refusal(exc, texts, obj)
        return None if code is None else (code, " <- ".join(texts))
    for pattern, code in _REFUSALS:
        for text in texts:
            if pattern.search(text):
                return code, " <- ".join(texts)
    return None


# ---------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------

def input_bytes(inp):
    """A decode request's bytes: its base64, or a concat input's pieces
    ([harness.inputs]: {"concat": [{"text": S, "repeat": N}, ...]}, each
    text's UTF-8 repeated N times), built here."""
    if isinstance(inp, str):
        return base64.b64decode(inp, validate=True)
    pieces = inp.get("concat") if isinstance(inp, dict) else None
    if not isinstance(pieces, list):
        raise ValueError('input is neither base64 nor {"concat": [...]}')
    return b"".join(p["text"].encode("utf-8") * p["repeat"] for p in pieces)


class Harness:
    def __init__(self, args, out):
        self.args = args
        self.out = out
        self.checkout = os.path.abspath(args.tywrap)
        self.core = load_tywrap(self.checkout)
        import numpy as np  # noqa: E402

        self.np = np
        self.encodings = ["json"] if args.fallback == "json" else ["arrow", "json"]
        # The libraries of the other markers. Importing them also puts them in
        # sys.modules, which is where tywrap's dispatch looks for them.
        self.sp = self.torch = self.sklearn = None
        self.missing = {}
        try:
            import scipy.sparse as sp
            self.sp = sp
        except Exception as exc:
            self.missing["scipy.sparse"] = f"{type(exc).__name__}: {exc}"
        try:
            import torch
            self.torch = torch
        except Exception as exc:
            self.missing["torch.tensor"] = f"{type(exc).__name__}: {exc}"
        try:
            import sklearn
            import sklearn.base  # noqa: F401
            self.sklearn = sklearn
        except Exception as exc:
            self.missing["sklearn.estimator"] = f"{type(exc).__name__}: {exc}"
        # pandas and pyarrow are found now and imported at the first dataframe
        # or series encode (importing pyarrow reserves much address space,
        # which a decode-only run under the runner's limit needs for its input)
        import importlib.util
        self.pd = None
        self.has_pandas = all(importlib.util.find_spec(m) is not None for m in ("pandas", "pyarrow"))
        if not self.has_pandas:
            self.missing["dataframe"] = self.missing["series"] = "pandas or pyarrow is not installed"
        for marker, why in self.missing.items():
            _log(f"{marker} not offered: {why}")
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
            "capabilities": self.capabilities(),
            "inputs": ["concat"],
        }

    def capabilities(self):
        directions = ["encode"] if self.ts is None else ["decode", "encode"]
        caps = {
            "ndarray": {
                "directions": directions,
                "encodings": ["arrow", "json"] if self.ts else list(self.encodings),
                "codecVersions": [1],
            }
        }
        # The other markers: legacy v0 inputs too with --decoder ts (their v0
        # forms omit nothing the reading of tywrap's result needs, except
        # where tywrap's leniency is what is measured).
        versions = [1] if self.ts is None else [0, 1]
        if self.sp is not None:
            caps["scipy.sparse"] = {"directions": directions, "encodings": ["json"],
                                    "codecVersions": versions}
        if self.torch is not None:
            caps["torch.tensor"] = {"directions": directions,
                                    "encodings": ["arrow", "json"] if self.ts
                                    else list(self.encodings),
                                    "codecVersions": versions}
        if self.sklearn is not None:
            caps["sklearn.estimator"] = {"directions": directions, "encodings": ["json"],
                                         "codecVersions": versions}
        if self.has_pandas:
            for marker in ("dataframe", "series"):
                caps[marker] = {"directions": directions,
                                "encodings": ["arrow", "json"] if self.ts else list(self.encodings),
                                "codecVersions": versions}
        return caps

    KINDS_MAX = 64 << 20  # inputs up to this size are kept for ts_estimator_to_canonical

    def decode(self, rid, req):
        if self.ts is None:
            return {
                "id": rid,
                "skipped": True,
                "message": "tywrap's decoder is TypeScript (src/utils/codec.ts); without "
                           "--decoder ts this adapter drives only tywrap's Python producer",
            }
        data = input_bytes(req.pop("input"))
        answer = self.ts.decode(data)
        if len(data) > self.KINDS_MAX or not any(
                m in data for m in (b"sklearn.estimator", b"dataframe", b"series")):
            data = None  # spare the memory: only an estimator's reading needs the input
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
            parsed, result = answer["parsed"], answer.get("result")
            marker = parsed.get("__tywrap__") if parsed.get("kind") == "object" else None
            if marker == "scipy.sparse":
                value = ts_sparse_to_canonical(self.np, parsed, result)
            elif marker == "torch.tensor":
                value = ts_tensor_to_canonical(self.np, parsed, result)
            elif marker == "sklearn.estimator":
                value = ts_estimator_to_canonical(parsed, result, data)
            elif marker == "dataframe":
                value = ts_dataframe_to_canonical(parsed, result, data)
            elif marker == "series":
                value = ts_series_to_canonical(parsed, result, data)
            else:
                value = ts_to_canonical(self.np, parsed, result)
        except Inexpressible as exc:
            return noncanonical(rid, answer.get("result"),
                                f"tywrap accepted the input, but its result has no canonical value: {exc}")
        return {"id": rid, "value": value}

    def encode(self, rid, req):
        encoding = req.get("encoding")
        if encoding not in ("arrow", "json"):
            raise NotCanonical(f"encoding {encoding!r} is not arrow or json")
        if encoding not in self.encodings:
            return {"id": rid, "skipped": True,
                    "message": f"this harness runs tywrap with TYWRAP_CODEC_FALLBACK=json; "
                               f"it produces no {encoding} envelopes"}
        value = req.get("value")
        kind = value.get("kind") if isinstance(value, dict) else None
        allow_copy = False
        try:
            if kind == "ndarray":
                obj = with_layout(self.np, to_numpy(self.np, value), self.args.layout)
            elif kind == "sparse":
                if self.sp is None:
                    raise NotCanonical("scipy.sparse is not offered: " + self.missing["scipy.sparse"])
                if encoding != "json":
                    raise NotCanonical(f"a sparse value has no {encoding} encoding")
                obj, _how = to_sparse(self.np, self.sp, value, self.args.sparse_class)
            elif kind == "tensor":
                if self.torch is None:
                    raise NotCanonical("torch.tensor is not offered: " + self.missing["torch.tensor"])
                # the request's encoding is the nested ndarray's ([harness.capabilities])
                obj, allow_copy = to_tensor(self.np, self.torch, value)
            elif kind == "estimator":
                if self.sklearn is None:
                    raise NotCanonical("sklearn.estimator is not offered: "
                                       + self.missing["sklearn.estimator"])
                if encoding != "json":
                    raise NotCanonical(f"an estimator value has no {encoding} encoding")
                obj = to_estimator(value)
            elif kind in ("dataframe", "series"):
                if not self.has_pandas:
                    raise NotCanonical(f"{kind} is not offered: " + self.missing[kind])
                if self.pd is None:
                    import pandas as pd
                    import pyarrow  # noqa: F401  (tywrap's Arrow path; the adapter's exact columns)
                    self.pd = pd
                obj = (to_dataframe if kind == "dataframe" else to_series)(self.np, value)
            else:
                raise NotCanonical(f"value kind {kind!r} is not ndarray, sparse, tensor, estimator, "
                                   "dataframe or series")
        except AdapterRefusal as r:
            return {"id": rid, "error": {"code": r.code, "message": str(r)}}
        except NumpyCannot as r:
            return {"id": rid, "skipped": True, "message": str(r)}
        except Unfaithful as r:
            return errored(rid, f"[adapter, before tywrap] cannot hand tywrap this {kind} "
                                f"faithfully: {r}")

        core = self.core
        stage = "core.serialize"
        try:
            env = core.serialize(obj, force_json_markers=(encoding == "json"),
                                 torch_allow_copy=allow_copy)
            stage = "core.encode_value (the bridge's final encode)"
            text = core.encode_value(env, allow_nan=False)
        except Exception as exc:  # tywrap refused (or broke)
            verdict = classify(exc, obj)
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


NONCANONICAL_MAX = 64 * 1024  # characters of JSON: a huge result is given cut, as a string
NONCANONICAL_DEPTH = 64       # nesting: a deeper result is given as a string (readers stop at 128)


def _deeper_than(value, limit):
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (list, dict)):
            if d > limit:
                return True
            stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))
    return False


def noncanonical(rid, result, message):
    """Accepted, but not as a canonical value ([harness.noncanonical]): what tywrap
    returned (as ts_decoder.mjs describes it; null when it could not), and why.
    A result too large or too deep for a JSON reader is given as its JSON text."""
    text = json.dumps(result)
    if len(text) > NONCANONICAL_MAX:
        result = text[:NONCANONICAL_MAX] + "…"
        message += f" (tywrap's result is given as its first {NONCANONICAL_MAX} characters of JSON)"
    elif _deeper_than(result, NONCANONICAL_DEPTH):
        result = text
        message += f" (tywrap's result, nested more than {NONCANONICAL_DEPTH} deep, is given as its JSON text)"
    return {"id": rid, "noncanonical": True, "value": result, "message": message}


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
    ap.add_argument("--sparse-class", choices=["matrix", "array"], default="matrix",
                    help="the scipy class a canonical sparse value becomes: *_matrix (default: "
                         "csr_matrix, csc_matrix, coo_matrix) or *_array (csr_array, ...), "
                         "which tywrap 0.10 cannot serialize")
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
