"""The sklearn.estimator envelope as a conforming producer writes it ([sklearn.encode.members],
[sklearn.encode.refuse]), and the canonical value of an estimator ([canonical.estimator],
[canonical.typed-json]).

Modelled on tywrap 0.10's `serialize_sklearn_estimator` (metadata only: class name, module,
scikit-learn version, `get_params(deep=False)`), with the defects the spec fixes: integers beyond
+-(2^53-1) are refused (tywrap writes them), a dict parameter with a key that is not a string is
refused (tywrap's json.dumps stringifies it), a class or module name that is not an ASCII
identifier is refused, and a parameter object with a `__tywrap__` member is refused as a nested
envelope. Shared by sklearn_estimator.py and sklearn_estimator_invalid.py.
"""

from __future__ import annotations

import json
import math
import re
import struct

import numpy as np
import sklearn
from sklearn.base import BaseEstimator

from .common import MAX_SAFE, source_maker

# What the sklearn.estimator vectors were built with: source.libraries of each of them.
LIBRARIES = {"scikit-learn": sklearn.__version__, "numpy": np.__version__}
src = source_maker(LIBRARIES)

MARKER_NAME = "sklearn.estimator"
VERSION = sklearn.__version__
CLASS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class Refused(Exception):
    """The producer refuses the estimator. `code` is the one [sklearn.encode.refuse] names, or
    None for a parameter that is not plain JSON (the spec names no code for that refusal)."""

    def __init__(self, code, why: str):
        super().__init__(f"{code}: {why}")
        self.code = code


def _plain(v, path: str, strict: bool, nested: bool):
    """A parameter value as plain JSON (Python None/bool/int/float/str/list/dict).

    strict: refuse what [sklearn.encode.refuse] refuses. With strict=False the numbers and nested
    envelopes are written as they are (for the canonical value of a refused estimator, and for
    the mutation that writes a nested estimator as an envelope, which the spec forbids)."""
    if v is None or type(v) is bool or type(v) is str:
        return v
    if type(v) is int:
        if strict and abs(v) > MAX_SAFE:
            raise Refused("E_VALUE_DOMAIN", f"{path}: integer {v} beyond +-(2^53-1)")
        return v
    if isinstance(v, float):  # float, and numpy.float64, which is a float
        if strict and not math.isfinite(v):
            raise Refused("E_VALUE_DOMAIN", f"{path}: float {v!r}")
        return float(v)
    if isinstance(v, (list, tuple)):  # JSON has no tuple: written as an array
        return [_plain(x, f"{path}[{i}]", strict, nested) for i, x in enumerate(v)]
    if isinstance(v, dict):
        if any(type(k) is not str for k in v):
            raise Refused(None, f"{path}: a dict key that is not a string")
        if strict and "__tywrap__" in v:
            raise Refused("E_NESTED_ENVELOPE", f"{path}: an object with a __tywrap__ member")
        return {k: _plain(x, f"{path}.{k}", strict, nested) for k, x in v.items()}
    if isinstance(v, BaseEstimator):
        if nested:
            return estimator_env(v, strict=strict, nested=True)
        raise Refused("E_NESTED_ENVELOPE", f"{path}: a nested estimator {type(v).__name__}")
    raise Refused(None, f"{path}: {type(v).__name__} is not plain JSON")


def estimator_env(est, version=VERSION, strict=True, nested=False) -> dict:
    """The envelope of an estimator ([sklearn.encode.members]); raises Refused for what
    [sklearn.encode.refuse] refuses. `version` is sklearn.__version__, or None when the producer
    cannot tell. `nested=True` writes nested estimators as envelopes (forbidden: used only to
    derive invalid vectors and refused values)."""
    cls = type(est)
    if strict and not CLASS_NAME.fullmatch(cls.__name__):
        raise Refused("E_VALUE_DOMAIN", f"className {cls.__name__!r}")
    if strict and not MODULE_NAME.fullmatch(cls.__module__):
        raise Refused("E_VALUE_DOMAIN", f"module {cls.__module__!r}")
    params = {k: _plain(v, k, strict, nested) for k, v in est.get_params(deep=False).items()}
    return {"__tywrap__": MARKER_NAME, "codecVersion": 1, "encoding": "json",
            "className": cls.__name__, "module": cls.__module__, "version": version, "params": params}


def refusal(est):
    """(refused?, code) of the producer for est."""
    try:
        estimator_env(est)
    except Refused as e:
        return True, e.code
    return False, None


def typed(v):
    """[canonical.typed-json] of a plain JSON value as Python's json module reads it (int for an
    integer text, float for a text with a fraction or an exponent)."""
    if v is None:
        return {"null": None}
    if type(v) is bool:
        return {"bool": v}
    if type(v) is int:
        return {"int": v}
    if type(v) is float:
        return {"float": struct.pack(">d", v).hex()}
    if type(v) is str:
        return {"string": v}
    if type(v) is list:
        return {"array": [typed(x) for x in v]}
    if type(v) is dict:
        return {"object": [[k, typed(v[k])] for k in sorted(v)]}  # str order: by code points
    raise TypeError(type(v))


def canon_env(env: dict) -> dict:
    """[canonical.estimator] of an envelope held as Python values. The numbers' kinds are those
    of the JSON text json.dumps writes for it (int stays int, float stays float)."""
    params = json.loads(json.dumps(env["params"], allow_nan=True))
    return {"kind": "estimator", "className": env["className"], "module": env["module"],
            "version": env["version"], "params": typed(params)}


def canon(est, version=VERSION, nested=False) -> dict:
    """[canonical.estimator] of an estimator, without the producer's checks (an encode refusal
    vector needs the value of an estimator the producer refuses)."""
    return canon_env(estimator_env(est, version=version, strict=False, nested=nested))
