"""The sklearn.estimator envelope (spec/src/sklearn-estimator.md):
[sklearn.*] in processing order, the canonical value ([canonical.estimator],
[canonical.typed-json]) and the encoder.

An estimator envelope is metadata. Nothing here imports the module it names,
looks up or instantiates its class, or reads pickled data ([sklearn.no-code]);
a decoded envelope is an :class:`Estimator` record. Reconstructing the
estimator is the receiver's explicit decision.

Numbers keep their kind ([sklearn.params.numbers]): the parser gives an
integer-text number as jsontext.JsonInt, and the decoded ``params`` hold
Python ``int`` for it and ``float`` for every other number, as Python's json
module does.
"""

from __future__ import annotations

import math
import re
import struct
import sys
from dataclasses import dataclass, field
from typing import Any, Optional

from . import decoder, jsontext
from .errors import SciwireError, pointer
from .limits import DEFAULT_LIMITS, MAX_SAFE_INTEGER, Limits

REQUIRED = ("className", "module", "version", "params")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
CLASS_NAME = re.compile(_IDENT)
MODULE = re.compile(rf"{_IDENT}(?:\.{_IDENT})*")


@dataclass
class Estimator:
    """An estimator's metadata: ``class_name`` (the class's ``__name__``),
    ``module`` (its ``__module__``), ``version`` (the producer's
    ``sklearn.__version__``, or None when it did not know) and ``params``
    (``get_params(deep=False)`` as plain JSON values: dict, list, str, int,
    float, bool, None; an ``int`` and a ``float`` are different values)."""

    class_name: str
    module: str
    version: Optional[str]
    params: dict = field(default_factory=dict)

    def canonical(self) -> dict:
        """The canonical value ([canonical.estimator]), as it is: a decoded
        record follows the page's rules already. (:func:`sciwire_py.to_canonical`
        checks a record built by hand first, as the encoder does.)"""
        return {"kind": "estimator", "className": self.class_name, "module": self.module, "version": self.version,
                "params": typed(self.params)}

    def to_python(self) -> "Estimator":
        """A decoded estimator is its record (never an instantiated class)."""
        return self

    @classmethod
    def from_sklearn(cls, est) -> "Estimator":
        """The record of a live scikit-learn estimator: its class's name and
        module, the running sklearn's version (None when sklearn is not
        imported) and ``get_params(deep=False)`` (tuples become lists). The
        parameters are checked when the record is encoded."""
        klass = type(est)
        sk = sys.modules.get("sklearn")
        version = getattr(sk, "__version__", None) if sk is not None else None
        return cls(klass.__name__, klass.__module__, version, dict(est.get_params(deep=False)))


def is_estimator_object(x) -> bool:
    """A live estimator (anything with get_params), not a class."""
    return not isinstance(x, type) and callable(getattr(x, "get_params", None))


# ---------------------------------------------------------------------------
# The page's clauses, in processing order
# ---------------------------------------------------------------------------

def check_required(v, version: int) -> None:
    """[sklearn.required], [sklearn.legacy-v0] (v0 may omit nothing)."""
    for name in REQUIRED:
        if name not in v:
            if version == 0:
                raise SciwireError("E_MISSING_FIELD", f"{name} is required, in the legacy v0 form too",
                                   "sklearn.legacy-v0", pointer(name))
            raise SciwireError("E_MISSING_FIELD", f"{name} is required", "sklearn.required", pointer(name))


def check_class_name(v) -> str:
    """[sklearn.class-name]: an ASCII identifier."""
    c = v["className"]
    if not isinstance(c, str):
        raise SciwireError("E_FIELD_TYPE", f"className is {decoder._kind(c)}, not a string", "sklearn.class-name",
                           "/className")
    if not CLASS_NAME.fullmatch(c):
        raise SciwireError("E_VALUE_DOMAIN", f"className {decoder._show(c)} is not an ASCII identifier",
                           "sklearn.class-name", "/className")
    return c


def check_module(v) -> str:
    """[sklearn.module]: ASCII identifiers joined by dots."""
    m = v["module"]
    if not isinstance(m, str):
        raise SciwireError("E_FIELD_TYPE", f"module is {decoder._kind(m)}, not a string", "sklearn.module",
                           "/module")
    if not MODULE.fullmatch(m):
        raise SciwireError("E_VALUE_DOMAIN", f"module {decoder._show(m)} is not ASCII identifiers joined by '.'",
                           "sklearn.module", "/module")
    return m


def check_version(v) -> Optional[str]:
    """[sklearn.version]: a non-empty string, or null (kept as None)."""
    ver = v["version"]
    if ver is None:
        return None
    if not isinstance(ver, str):
        raise SciwireError("E_FIELD_TYPE", f"version is {decoder._kind(ver)}, not a string or null",
                           "sklearn.version", "/version")
    if not ver:
        raise SciwireError("E_VALUE_DOMAIN", "version is the empty string", "sklearn.version", "/version")
    return ver


def check_params(v) -> dict:
    """[sklearn.params]"""
    p = v["params"]
    if not isinstance(p, dict):
        raise SciwireError("E_FIELD_TYPE", f"params is {decoder._kind(p)}, not an object", "sklearn.params",
                           "/params")
    return p


def check_params_size(params: dict, limits: Limits) -> None:
    """[sklearn.params.size]: params itself and every value inside it (array
    items, member values; not names) count, up to max_params_values. A
    number-only array is counted by its length, without converting an item;
    the walk stops as soon as the count passes the limit."""
    limit = limits.max_params_values
    count = 0
    stack = [params]
    while stack:
        x = stack.pop()
        count += 1
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, jsontext.NumberArray):
            count += len(x)
        elif isinstance(x, list):
            stack.extend(x)
        if count > limit:
            raise SciwireError("E_LIMIT_EXCEEDED", f"params holds more than max_params_values {limit} values",
                               "sklearn.params.size", "/params")


def _walk(root, path: str):
    """(value, JSON Pointer) of every value in a parsed tree, in document
    order (iterative: depth is bounded by the parser, not by recursion)."""
    stack = [(root, path)]
    while stack:
        x, p = stack.pop()
        yield x, p
        if isinstance(x, dict):
            stack.extend(reversed([(y, p + pointer(k)) for k, y in x.items()]))
        elif isinstance(x, jsontext.NumberArray):
            stack.extend(reversed([(y, f"{p}/{k}") for k, y in enumerate(x.items())]))
        elif isinstance(x, list):
            stack.extend(reversed([(y, f"{p}/{k}") for k, y in enumerate(x)]))


def number_ok(x: float) -> bool:
    """[sklearn.params.numbers] on one parsed number: an integer within
    +-(2^53-1), or a float with a finite value."""
    if isinstance(x, jsontext.JsonInt):
        return -MAX_SAFE_INTEGER <= x <= MAX_SAFE_INTEGER
    return math.isfinite(x)


def check_param_numbers(params: dict) -> None:
    """[sklearn.params.numbers], at every depth, first number first."""
    for x, p in _walk(params, "/params"):
        if isinstance(x, float) and not number_ok(x):
            kind = "integer" if isinstance(x, jsontext.JsonInt) else "float"
            why = "beyond +-(2^53-1)" if kind == "integer" else "without a finite value"
            raise SciwireError("E_VALUE_DOMAIN", f"an {kind} {why} in params", "sklearn.params.numbers", p)


def check_no_envelope(params: dict) -> None:
    """[sklearn.params.no-envelope]: no object (params included) has a
    __tywrap__ member."""
    for x, p in _walk(params, "/params"):
        if isinstance(x, dict) and "__tywrap__" in x:
            raise SciwireError("E_NESTED_ENVELOPE", "params holds an object with a __tywrap__ member (a nested "
                               "envelope or estimator, which this version does not carry)",
                               "sklearn.params.no-envelope", p)


def plain(x) -> Any:
    """[sklearn.params.value]: the parsed tree as plain Python values, each
    number of its kind (int for integer text, float otherwise)."""
    if isinstance(x, dict):
        return {k: plain(y) for k, y in x.items()}
    if isinstance(x, jsontext.NumberArray):
        return [plain(y) for y in x.items()]
    if isinstance(x, list):
        return [plain(y) for y in x]
    if isinstance(x, jsontext.JsonInt):
        return int(x)  # exact: within +-(2^53-1); -0 is 0
    if isinstance(x, float):
        return float(x)
    return x


def decode_estimator(v, version: int, limits: Limits = DEFAULT_LIMITS) -> Estimator:
    """The sklearn.estimator page, after the envelope's checks (which reject
    unknown members such as pickle, joblib or state: [sklearn.no-code])."""
    check_required(v, version)
    class_name = check_class_name(v)
    module = check_module(v)
    version_text = check_version(v)
    params = check_params(v)
    check_params_size(params, limits)
    check_param_numbers(params)
    check_no_envelope(params)
    return Estimator(class_name, module, version_text, plain(params))


# ---------------------------------------------------------------------------
# Typed JSON ([canonical.typed-json])
# ---------------------------------------------------------------------------

def float_hex(x: float) -> str:
    return struct.pack(">d", x).hex()


def typed(x) -> dict:
    """The typed tree of a plain JSON value (Python values as :func:`plain`
    gives them)."""
    if x is None:
        return {"null": None}
    if isinstance(x, bool):
        return {"bool": x}
    if isinstance(x, int):
        return {"int": int(x)}
    if isinstance(x, float):
        return {"float": float_hex(float(x))}
    if isinstance(x, str):
        return {"string": x}
    if isinstance(x, (list, tuple)):
        return {"array": [typed(y) for y in x]}
    if isinstance(x, dict):
        # sorted by name, as sequences of code points (Python compares str so)
        return {"object": [[k, typed(x[k])] for k in sorted(x)]}
    raise TypeError(f"{type(x).__name__} is not a plain JSON value")


_NODE_KINDS = ("null", "bool", "int", "float", "string", "array", "object")
_HEX16 = re.compile(r"[0-9a-f]{16}")


def _tree_error(msg, path):
    return SciwireError("E_FIELD_TYPE", msg, "canonical.typed-json", path)


def untyped(node, path: str = "/params") -> Any:
    """The plain Python value of a typed tree. A malformed node is
    E_FIELD_TYPE; an object with two members of one name is
    E_JSON_DUPLICATE_KEY. Values (NaN bits, integers beyond +-(2^53-1)) are
    checked by the encoder, which refuses them."""
    if not isinstance(node, dict) or len(node) != 1:
        raise _tree_error("a typed-tree node is an object with exactly one member", path)
    (kind, val), = node.items()
    if kind not in _NODE_KINDS:
        raise _tree_error(f"{kind!r} is not a typed-tree node kind", path)
    if kind == "null":
        if val is not None:
            raise _tree_error("a null node holds null", path)
        return None
    if kind == "bool":
        if not isinstance(val, bool):
            raise _tree_error("a bool node holds true or false", path)
        return val
    if kind == "int":
        if isinstance(val, bool) or not isinstance(val, (int, float)) or \
                (isinstance(val, float) and not (math.isfinite(val) and val.is_integer())):
            raise _tree_error("an int node holds an integer", path)
        return int(val)
    if kind == "float":
        if not isinstance(val, str) or not _HEX16.fullmatch(val):
            raise _tree_error("a float node holds 16 lowercase hex digits", path)
        return struct.unpack(">d", bytes.fromhex(val))[0]
    if kind == "string":
        if not isinstance(val, str):
            raise _tree_error("a string node holds a string", path)
        return val
    if kind == "array":
        if not isinstance(val, list):
            raise _tree_error("an array node holds an array", path)
        return [untyped(y, f"{path}/{k}") for k, y in enumerate(val)]
    if not isinstance(val, list):
        raise _tree_error("an object node holds an array of [name, node] pairs", path)
    out = {}
    for pair in val:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            raise _tree_error("an object node holds [name, node] pairs", path)
        name, sub = pair
        if name in out:
            raise SciwireError("E_JSON_DUPLICATE_KEY", f"the object has two members named {name!r}",
                               "canonical.typed-json", path + pointer(name))
        out[name] = untyped(sub, path + pointer(name))
    return out


# ---------------------------------------------------------------------------
# Canonical values and the encoder
# ---------------------------------------------------------------------------

def from_canonical(value: dict) -> Estimator:
    """The :class:`Estimator` record a canonical estimator value denotes."""
    if not isinstance(value, dict) or value.get("kind") != "estimator":
        raise SciwireError("E_FIELD_TYPE", "a canonical estimator value is an object with kind 'estimator'",
                           "canonical.estimator")
    extra = set(value) - {"kind", "className", "module", "version", "params"}
    if extra:
        name = sorted(extra)[0]
        raise SciwireError("E_FIELD_TYPE", f"a canonical estimator value has no member {name!r}",
                           "canonical.estimator", pointer(name))
    for name in ("className", "module", "version", "params"):
        if name not in value:
            raise SciwireError("E_FIELD_TYPE", f"a canonical estimator value has {name}", "canonical.estimator",
                               pointer(name))
    for name in ("className", "module"):
        if not isinstance(value[name], str):
            raise SciwireError("E_FIELD_TYPE", f"{name} is not a string", "canonical.estimator", pointer(name))
    if value["version"] is not None and not isinstance(value["version"], str):
        raise SciwireError("E_FIELD_TYPE", "version is not a string or null", "canonical.estimator", "/version")
    params = untyped(value["params"])
    return Estimator(value["className"], value["module"], value["version"], params)


def _utf8_ok(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refuse(msg, path=None):
    return SciwireError("E_VALUE_DOMAIN", msg, "sklearn.encode.refuse", path)


def check_plain(params) -> None:
    """[sklearn.encode.refuse], the first pass: every value plain JSON, every
    number one JSON carries exactly (and strings valid Unicode). Estimators
    are left to :func:`check_no_nested` (the second pass, as on the decoding
    side numbers are checked before envelopes)."""
    stack = [(params, "/params")]
    while stack:
        x, p = stack.pop()
        t = type(x)
        if x is None or t is bool:
            continue
        # numpy's float64 is a float, and is written as one; np.int64,
        # np.float32, np.bool_ are not int/float instances and are refused
        if isinstance(x, int) and not isinstance(x, bool):
            if not -MAX_SAFE_INTEGER <= x <= MAX_SAFE_INTEGER:
                raise _refuse(f"the integer {x} is beyond +-(2^53-1)", p)
        elif isinstance(x, float):
            if not math.isfinite(x):
                raise _refuse(f"{float(x)!r} has no JSON form", p)
        elif t is str:
            if not _utf8_ok(x):
                raise _refuse("a string that is not valid Unicode (a lone surrogate)", p)
        elif t in (list, tuple):
            stack.extend(reversed([(y, f"{p}/{k}") for k, y in enumerate(x)]))
        elif t is dict:
            items = []
            for k, y in x.items():
                if type(k) is not str:
                    raise _refuse(f"the dict key {k!r} is not a string (it would be stringified)", p)
                if not _utf8_ok(k):
                    raise _refuse("a member name that is not valid Unicode (a lone surrogate)", p)
                items.append((y, p + pointer(k)))
            stack.extend(reversed(items))
        elif is_estimator_object(x):
            continue
        else:
            raise _refuse(f"a {t.__module__}.{t.__qualname__} is not plain JSON; convert it explicitly", p)


def check_no_nested(params) -> None:
    """[sklearn.encode.refuse], the second pass: no estimator, no object with
    a __tywrap__ member (params included)."""
    stack = [(params, "/params")]
    while stack:
        x, p = stack.pop()
        if isinstance(x, dict):
            if "__tywrap__" in x:
                raise SciwireError("E_NESTED_ENVELOPE", "a dict with a __tywrap__ member would be an envelope",
                                   "sklearn.encode.refuse", p)
            stack.extend(reversed([(y, p + pointer(k)) for k, y in x.items()]))
        elif isinstance(x, (list, tuple)):
            stack.extend(reversed([(y, f"{p}/{k}") for k, y in enumerate(x)]))
        elif is_estimator_object(x):
            raise SciwireError("E_NESTED_ENVELOPE", f"a parameter is an estimator ({type(x).__name__}); nested "
                               "estimators are not carried by this version", "sklearn.encode.refuse", p)


def check_record(e: Estimator) -> None:
    """The page's rules on a record, in the decoder's order."""
    check_class_name({"className": e.class_name})
    check_module({"module": e.module})
    if e.version is not None:
        if not isinstance(e.version, str):
            raise SciwireError("E_FIELD_TYPE", "version is not a string or None", "sklearn.version", "/version")
        if not e.version:
            raise SciwireError("E_VALUE_DOMAIN", "version is the empty string", "sklearn.version", "/version")
        if not _utf8_ok(e.version):
            raise _refuse("version is not valid Unicode", "/version")
    if type(e.params) is not dict:
        raise SciwireError("E_FIELD_TYPE", "params is not a dict", "sklearn.params", "/params")
    check_plain(e.params)
    check_no_nested(e.params)


def _json_ready(x):
    if isinstance(x, (list, tuple)):
        return [_json_ready(y) for y in x]
    if isinstance(x, dict):
        return {k: _json_ready(y) for k, y in x.items()}
    if isinstance(x, bool) or x is None:
        return x
    if isinstance(x, float):
        return float(x)   # a float subclass (numpy's float64) as the float it is
    if isinstance(x, int):
        return int(x)
    return x


def envelope(e: Estimator) -> dict:
    """[sklearn.encode.members] after [sklearn.encode.refuse]: integers are
    written as integers, floats with a fraction or exponent (Python's repr)."""
    check_record(e)
    return {"__tywrap__": "sklearn.estimator", "codecVersion": 1, "encoding": "json", "className": e.class_name,
            "module": e.module, "version": e.version, "params": _json_ready(e.params)}


def to_canonical(e: Estimator) -> dict:
    """The canonical value of a record; refuses what no envelope can carry."""
    check_record(e)
    return e.canonical()
