"""Error object of spec/src/errors.md."""

from __future__ import annotations

from typing import Optional

#: Every error code of v1 ([error.codes]).
CODES = (
    "E_JSON_SYNTAX",
    "E_JSON_DUPLICATE_KEY",
    "E_NOT_ENVELOPE",
    "E_UNKNOWN_MARKER",
    "E_CODEC_VERSION",
    "E_ENCODING_UNSUPPORTED",
    "E_MISSING_FIELD",
    "E_FIELD_TYPE",
    "E_UNKNOWN_FIELD",
    "E_DTYPE_UNSUPPORTED",
    "E_SHAPE_INVALID",
    "E_SHAPE_MISMATCH",
    "E_VALUE_DOMAIN",
    "E_BASE64",
    "E_ARROW_PAYLOAD",
    "E_ARROW_SCHEMA",
    "E_DTYPE_MISMATCH",
    "E_ARROW_NULLS",
    "E_LIMIT_EXCEEDED",
    "E_FORMAT_UNSUPPORTED",
    "E_SPARSE_INDEX",
    "E_NESTED_ENVELOPE",
    "E_DEVICE_UNSUPPORTED",
    "E_FRAME_SIGNATURE",
    "E_FRAME_VERSION",
    "E_FRAME_LAYOUT",
    "E_PICKLE_REFUSED",
    "E_COLUMN_TYPE",
    "E_PANDAS_METADATA",
    "E_FLAME_TAG",
)


class SciwireError(ValueError):
    """A rejected envelope, or a value an encoder refuses.

    ``code`` is the contract (one of :data:`CODES`); ``message`` is for people;
    ``clause`` names the clause of the specification the input broke and
    ``path`` is a JSON Pointer to the offending member, when there is one.
    """

    def __init__(self, code: str, message: str, clause: Optional[str] = None,
                 path: Optional[str] = None):
        if code not in CODES:  # pragma: no cover - programming error
            raise AssertionError(f"unknown error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.clause = clause
        self.path = path

    def to_dict(self) -> dict:
        """The error object ([error.object]) as a JSON-ready dict."""
        d = {"code": self.code, "message": self.message}
        if self.clause is not None:
            d["clause"] = self.clause
        if self.path is not None:
            d["path"] = self.path
        return d

    def __repr__(self) -> str:
        return f"SciwireError({self.code!r}, {self.message!r}, clause={self.clause!r}, path={self.path!r})"


class UnrepresentableError(ValueError):
    """A *valid* envelope whose value numpy cannot hold.

    numpy's ``<U{n}`` dtypes stop at n = 536870911 (item size below 2^31), while
    the dtype table allows n up to 999999999. An empty array of such a dtype is
    a valid envelope; :func:`sciwire_py.decode` returns it (without a numpy
    array), while :func:`sciwire_py.loads`, which must return a numpy array,
    raises this. It is not a :class:`SciwireError`: the input broke no rule.
    """


def fail(code: str, message: str, clause: Optional[str] = None, path: Optional[str] = None):
    raise SciwireError(code, message, clause, path)


def pointer(*tokens) -> str:
    """A JSON Pointer (RFC 6901) from reference tokens."""
    out = []
    for t in tokens:
        t = str(t).replace("~", "~0").replace("/", "~1")
        out.append("/" + t)
    return "".join(out)
