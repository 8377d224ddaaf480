#!/usr/bin/env python3
"""A minimal sciwire harness (spec: harness.md), for the tutorial.

It decodes `ndarray` envelopes in the `json` encoding, version 1, for three
dtypes (float64, int32, bool), and rejects what it recognises as broken with
the code the spec names. Anything else it answers `skipped`: a harness
declines a case out loud, it never guesses.
"""
import base64
import json
import math
import struct
import sys

DTYPES = {"float64": "<d", "int32": "<i", "bool": "<?"}
MEMBERS = {"__tywrap__", "codecVersion", "encoding", "dtype", "shape", "data"}
MAX_DEPTH, MAX_NDIM, MAX_ELEMENTS = 128, 64, 2**28  # the default limits (limits.md)


class Reject(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Skip(Exception):
    pass


def no_duplicates(pairs):
    names = [k for k, _ in pairs]
    if len(names) != len(set(names)):
        raise Reject("E_JSON_DUPLICATE_KEY", "an object has two members with one name")
    return dict(pairs)


def integer(s):  # "-0" is negative zero to a float64 (json.numbers)
    return -0.0 if s == "-0" else int(s)


def no_constant(name):  # NaN, Infinity, -Infinity are not JSON
    raise Reject("E_JSON_SYNTAX", f"{name} is not JSON")


def leaves(data, shape):
    """The leaves of `data` in C order, after checking it nests as `shape` says."""
    if not shape:
        if isinstance(data, list):
            raise Reject("E_SHAPE_MISMATCH", "an array where a leaf belongs")
        return [data]
    if not isinstance(data, list) or len(data) != shape[0]:
        raise Reject("E_SHAPE_MISMATCH", f"expected an array of {shape[0]} items")
    return [leaf for item in data for leaf in leaves(item, shape[1:])]


def element(dtype, v):
    if dtype == "bool":
        if not isinstance(v, bool):
            raise Reject("E_VALUE_DOMAIN", f"{v!r} is not true or false")
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Reject("E_VALUE_DOMAIN", f"{v!r} is not a number")
    x = float(v)  # a JSON number's value is the nearest binary64 (json.numbers)
    if not math.isfinite(x):
        raise Reject("E_VALUE_DOMAIN", "a number without a finite value")
    if dtype == "int32":
        if not x.is_integer() or not -2**31 <= x < 2**31:
            raise Reject("E_VALUE_DOMAIN", f"{v!r} is not an int32")
        return int(x)
    return x


def decode(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Reject("E_JSON_SYNTAX", str(e))
    if "\\ud" in text.lower() or "\ufeff" in text or text.count("[") + text.count("{") > MAX_DEPTH:
        # (the bracket count bounds the depth, json.depth, without recursing)
        raise Skip("surrogate escapes, byte order marks and over 128 arrays or objects are not handled here")
    try:
        env = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant, parse_int=integer)
    except json.JSONDecodeError as e:
        raise Reject("E_JSON_SYNTAX", str(e))
    if not isinstance(env, dict) or "__tywrap__" not in env:
        raise Reject("E_NOT_ENVELOPE", "not an object with a __tywrap__ member")
    if set(env) != MEMBERS or env["__tywrap__"] != "ndarray" or env["codecVersion"] != 1 \
            or type(env["codecVersion"]) is not int or env["encoding"] != "json" \
            or not isinstance(env["dtype"], str) or env["dtype"] not in DTYPES:
        raise Skip("only version 1 json ndarrays of float64, int32 or bool, without extra members")
    shape = env["shape"]
    if not isinstance(shape, list) or not all(type(d) is int and 0 <= d < 2**53 for d in shape) \
            or len(shape) > MAX_NDIM or math.prod(shape) > MAX_ELEMENTS // 8:
        raise Skip("shapes other than small lists of integers are not handled here")
    dtype = env["dtype"]
    values = [element(dtype, v) for v in leaves(env["data"], shape)]
    hexa = b"".join(struct.pack(DTYPES[dtype], v) for v in values).hex()
    return {"kind": "ndarray", "dtype": dtype, "shape": shape, "hex": hexa}


def answer(req):
    if req["cmd"] == "start":
        return {"protocol": 1,
                "implementation": {"name": "tutorial-py", "version": "0.1.0", "language": "python"},
                "capabilities": {"ndarray": {
                    "directions": ["decode"], "encodings": ["json"], "codecVersions": [1],
                    "leftOut": ["float16", "datetimes", "strings", "bytes", "categoricals", "large-inputs"]}}}
    if req["cmd"] == "decode":
        try:
            return {"value": decode(base64.b64decode(req["input"]))}
        except Reject as e:
            return {"error": {"code": e.code, "message": str(e)}}
        except Skip as e:
            return {"skipped": True, "message": str(e)}
    return {"skipped": True, "message": f"{req['cmd']} is not implemented"}


for line in sys.stdin:
    req = json.loads(line)
    if req["cmd"] == "stop":
        break
    sys.stdout.write(json.dumps({"id": req["id"], **answer(req)}) + "\n")
    sys.stdout.flush()
