"""Small helpers shared by the per-envelope tests."""

from __future__ import annotations

import json

import pytest

import vectors as V  # noqa: F401  (puts the package on sys.path)

import sciwire_py as sw


def text(env) -> bytes:
    """An envelope's JSON text (a dict through json.dumps, or text as is)."""
    if isinstance(env, (bytes, str)):
        return env.encode("utf-8") if isinstance(env, str) else env
    return json.dumps(env, ensure_ascii=False).encode("utf-8")


def err(env, limits=None) -> sw.SciwireError:
    """The error decoding ``env`` raises (fails if it decodes)."""
    with pytest.raises(sw.SciwireError) as e:
        sw.decode(text(env), limits or sw.Limits())
    return e.value


def code(env, limits=None) -> str:
    return err(env, limits).code


def value(env, limits=None) -> dict:
    """The canonical value of a valid envelope."""
    return sw.decode(text(env), limits or sw.Limits()).canonical()


def raises(fn, *args, **kw) -> str:
    """The code of the SciwireError ``fn`` raises."""
    with pytest.raises(sw.SciwireError) as e:
        fn(*args, **kw)
    return e.value.code


def without(d: dict, *names) -> dict:
    return {k: v for k, v in d.items() if k not in names}
