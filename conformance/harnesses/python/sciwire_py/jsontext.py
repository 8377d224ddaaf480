"""Strict JSON text ([json.*] in spec/src/json.md).

A small iterative parser, because Python's ``json`` module differs from the
rules in ways that change verdicts: it accepts ``NaN``/``Infinity``, keeps the
last of duplicate names, accepts lone surrogate escapes and recurses.

Values come back as Python objects:

* objects -> ``dict`` (names unescaped; a repeated name is rejected),
* arrays -> ``list``, or :class:`NumberArray` for an array holding only
  numbers (kept as its span of text and parsed only when its values are
  needed, so that a large ``data`` array or an ignored ``x-`` member never
  becomes millions of Python objects); use :func:`is_array` to test for
  either,
* strings -> ``str``, ``true``/``false`` -> ``bool``, ``null`` -> ``None``,
* numbers -> ``float``: the binary64 value nearest to the number
  ([json.numbers]). A number whose magnitude rounds beyond the largest finite
  binary64 ("no value", e.g. ``1e400``) comes back as ``inf``/``-inf``, which
  no JSON text can otherwise denote; every rule that needs a value rejects it.
  A number written without a fraction or an exponent (``200``, ``-0``) comes
  back as :class:`JsonInt`, a ``float`` subclass with the same value, so that
  the few rules that care about a number's *kind* ([sklearn.params.numbers])
  can tell ``1`` from ``1.0``; every other rule reads both as the float they
  are. Use :func:`is_number` (not ``type(v) is float``) to test for a number.

A number-only array is recognised by its characters and checked against the
number grammar by a regular expression when short, and above 64 KiB in 1 MiB
chunks cut at commas by the json module's C scanner (whose number grammar is
JSON's): the regular expression costs about a microsecond per item, the
scanner about 60 ns. An array that fails is parsed item by item instead, so
the error reported is the parser's own.

Syntax ([json.syntax]), depth ([json.depth]) and duplicate names
([json.duplicate-keys]) are checked in one left-to-right pass, so the first
violation in the text is the one reported. The text is decoded as strict UTF-8
first ([json.utf8]).
"""

from __future__ import annotations

import re

from .errors import SciwireError

_WS = re.compile(r"[ \t\n\r]*")
_NUM_PAT = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_NUM = re.compile(_NUM_PAT)
# A whole array of numbers, the common case for payloads: parsed at once.
_NUM_ARRAY = re.compile(
    r"\[[ \t\n\r]*(" + _NUM_PAT + r"(?:[ \t\n\r]*,[ \t\n\r]*" + _NUM_PAT + r")*)[ \t\n\r]*\]")
_NUM_FIND = re.compile(_NUM_PAT)
# The characters a number-only array holds between its brackets.
_NUM_SPAN = re.compile(r"[0-9eE+\-.,\x20\t\n\r]*")
# Spans longer than this are validated in chunks by the json module's C
# scanner: _NUM_ARRAY costs about a microsecond per item (38 s for 2^25).
_SMALL_SPAN = 1 << 16
_CHUNK = 1 << 20
_STR_SIMPLE = re.compile(r'"([^"\\\x00-\x1f]*)"')
_STR_CHUNK = re.compile(r'[^"\\\x00-\x1f]*')
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class JsonInt(float):
    """A JSON number written as an integer: no fraction, no exponent.

    Its float value is the binary64 value nearest to the text, like any other
    number (``inf`` for a text of more than 308 digits). ``exact()`` gives the
    integer itself when it is within +-(2^53-1), where the float is exact.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"JsonInt({float(self)!r})"


def is_number(v) -> bool:
    """Whether a parsed value is a JSON number (of either kind)."""
    return isinstance(v, float)


def is_integer_text(token: str) -> bool:
    """Whether a JSON number token has neither a fraction nor an exponent."""
    return "." not in token and "e" not in token and "E" not in token


def number(token: str) -> float:
    """The parsed value of one JSON number token."""
    return JsonInt(token) if is_integer_text(token) else float(token)


class NumberArray:
    """A JSON array of numbers only, validated but not yet converted.

    ``len()``, iteration (plain Python floats: the values, without their
    kinds), ``[0]`` and :meth:`to_numpy` (float64, each element the binary64
    value nearest to its number, ``inf`` for a number without a value) behave
    as for the list it stands for; :meth:`items` gives the numbers with their
    kinds (:class:`JsonInt` or ``float``). Its length is counted (commas)
    without converting a single item, so limits are checked before anything
    is stored.
    """

    __slots__ = ("text", "start", "end", "_len")

    def __init__(self, text: str, start: int, end: int):
        self.text, self.start, self.end = text, start, end
        self._len = text.count(",", start, end) + 1

    def __len__(self) -> int:
        return self._len

    def to_numpy(self):
        import numpy as np
        # The span matched the JSON number grammar, so this reads exactly
        # the numbers float() would (numpy parses with PyOS_string_to_double).
        a = np.fromstring(self.text[self.start:self.end], dtype=np.float64, sep=",")
        if a.size != self._len:  # pragma: no cover - defensive
            return np.array([float(t) for t in _NUM_FIND.findall(self.text, self.start, self.end)])
        return a

    def __iter__(self):
        return iter(self.to_numpy().tolist())

    def __getitem__(self, i):
        if i == 0:
            return number(_NUM.match(self.text, self.start).group())
        return self.items()[i]

    def items(self) -> list:
        """The numbers as parsed values, each of its own kind (:class:`JsonInt`
        or ``float``), in order."""
        return [number(t) for t in _NUM_FIND.findall(self.text, self.start, self.end)]

    def __repr__(self) -> str:
        return f"NumberArray({self.text[self.start:self.end][:60]!r}, len={self._len})"


def _number_array(text: str, i: int):
    """The :class:`NumberArray` of the array starting at text[i] == '[', and
    the index after its ']', when it holds only numbers (one or more); else
    (None, i)."""
    end = _NUM_SPAN.match(text, i + 1).end()
    if end >= len(text) or text[end] != "]":
        return None, i
    if end - i <= _SMALL_SPAN:
        m = _NUM_ARRAY.match(text, i)
        return (NumberArray(text, m.start(1), m.end(1)), m.end()) if m is not None else (None, i)
    start = _WS.match(text, i + 1).end()
    stop = end
    while stop > start and text[stop - 1] in " \t\n\r":
        stop -= 1
    if stop == start or not _valid_numbers(text, start, stop):
        return None, i
    return NumberArray(text, start, stop), end + 1


def _valid_numbers(text: str, start: int, stop: int) -> bool:
    """Whether text[start:stop] (no brackets, no letters but e/E) is JSON
    numbers separated by commas with optional whitespace, checked a chunk at
    a time (cut at commas) by the json module's C scanner, whose number
    grammar is JSON's (and which has no NaN/Infinity without letters)."""
    import json
    pos = start
    while pos < stop:
        cut = stop
        if stop - pos > _CHUNK:
            cut = text.rfind(",", pos, pos + _CHUNK)
            if cut < 0:
                cut = text.find(",", pos + _CHUNK, stop)
                if cut < 0:
                    cut = stop
        chunk = text[pos:cut]
        try:
            items = json.loads("[" + chunk + "]")
        except ValueError:  # JSONDecodeError, or an integer of more than 4300 digits
            return False
        if len(items) != chunk.count(",") + 1:  # an empty item: "1, ,2"
            return False
        pos = cut + 1
        if cut == stop - 1:  # a trailing comma
            return False
    return True


def is_array(v) -> bool:
    """Whether a parsed value is a JSON array."""
    return isinstance(v, (list, NumberArray))


def _syntax(msg: str, pos: int):
    return SciwireError("E_JSON_SYNTAX", f"{msg} at character {pos}", "json.syntax")


def decode_utf8(data) -> str:
    """Strict UTF-8 without a byte order mark ([json.utf8]).

    ``data`` is bytes, or a str already known to be encodable as UTF-8.
    Python's UTF-8 codec rejects overlong forms, encoded surrogates, code
    points past U+10FFFF, stray continuation bytes and cut sequences.
    """
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SciwireError("E_JSON_SYNTAX", f"input is not UTF-8 (byte {e.start}: {e.reason})", "json.utf8")
    if text.startswith("\ufeff"):
        raise SciwireError("E_JSON_SYNTAX", "input starts with a byte order mark", "json.utf8")
    return text


def _parse_string(text: str, i: int):
    """Parse the string starting at text[i] == '"'; return (value, next index)."""
    m = _STR_SIMPLE.match(text, i)
    if m is not None:
        return m.group(1), m.end()
    n = len(text)
    parts = []
    j = i + 1
    while True:
        m = _STR_CHUNK.match(text, j)
        parts.append(m.group())
        j = m.end()
        if j >= n:
            raise _syntax("unterminated string", i)
        c = text[j]
        if c == '"':
            return "".join(parts), j + 1
        if c != "\\":
            raise _syntax("raw control character in a string", j)
        e = text[j + 1] if j + 1 < n else ""
        if e in _ESCAPES:
            parts.append(_ESCAPES[e])
            j += 2
            continue
        if e != "u":
            raise _syntax("invalid escape", j)
        if not _HEX4.fullmatch(text, j + 2, j + 6):
            raise _syntax("invalid \\u escape", j)
        cp = int(text[j + 2:j + 6], 16)
        if 0xDC00 <= cp <= 0xDFFF:
            raise _syntax("lone low surrogate escape", j)
        if 0xD800 <= cp <= 0xDBFF:
            k = j + 6
            if not (text.startswith("\\u", k) and _HEX4.fullmatch(text, k + 2, k + 6)):
                raise _syntax("high surrogate escape without a low surrogate", j)
            lo = int(text[k + 2:k + 6], 16)
            if not 0xDC00 <= lo <= 0xDFFF:
                raise _syntax("high surrogate escape without a low surrogate", j)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
            j = k + 6
        else:
            j += 6
        parts.append(chr(cp))


def parse(text: str, max_depth: int = 128, *, duplicate_keys: bool = False, depth_limit: bool = True):
    """Parse one JSON value from ``text`` (already UTF-8 decoded).

    ``duplicate_keys`` and ``depth_limit`` exist only so that the mutants can
    switch a rule off; the decoder always uses the defaults.
    """
    n = len(text)
    ws = _WS
    i = ws.match(text, 0).end()
    # stack of [container, key-or-None]; a dict container collects members.
    stack = []
    while True:
        # ---- parse a value at i ----
        if i >= n:
            raise _syntax("expected a value", i)
        c = text[i]
        if c == "[" or c == "{":
            if depth_limit and len(stack) >= max_depth:
                raise SciwireError("E_LIMIT_EXCEEDED",
                                   f"nesting deeper than max_depth {max_depth} at character {i}", "json.depth")
            if c == "[":
                value, j = _number_array(text, i)
                if value is not None:
                    i = j
                else:
                    j = ws.match(text, i + 1).end()
                    if j < n and text[j] == "]":
                        value = []
                        i = j + 1
                    else:
                        stack.append([[], None])
                        i = j
                        continue
            else:
                j = ws.match(text, i + 1).end()
                if j < n and text[j] == "}":
                    value = {}
                    i = j + 1
                else:
                    obj = {}
                    entry = [obj, None]
                    stack.append(entry)
                    i = _parse_key(text, j, obj, entry, duplicate_keys)
                    continue
        elif c == '"':
            value, i = _parse_string(text, i)
        elif c == "-" or "0" <= c <= "9":
            m = _NUM.match(text, i)
            if m is None:
                raise _syntax("invalid number", i)
            tok = m.group()
            value = JsonInt(tok) if ("." not in tok and "e" not in tok and "E" not in tok) else float(tok)
            i = m.end()
        elif c == "t" and text.startswith("true", i):
            value = True
            i += 4
        elif c == "f" and text.startswith("false", i):
            value = False
            i += 5
        elif c == "n" and text.startswith("null", i):
            value = None
            i += 4
        else:
            raise _syntax(f"unexpected character {c!r}", i)

        # ---- a value is complete: attach it and read what follows ----
        while True:
            i = ws.match(text, i).end()
            if not stack:
                if i != n:
                    raise _syntax("text after the value", i)
                return value
            entry = stack[-1]
            container = entry[0]
            if entry[1] is None:
                container.append(value)
                close = "]"
            else:
                container[entry[1]] = value
                close = "}"
            if i >= n:
                raise _syntax("unterminated array or object", i)
            c = text[i]
            if c == ",":
                i = ws.match(text, i + 1).end()
                if close == "}":
                    i = _parse_key(text, i, container, entry, duplicate_keys)
                break
            if c == close:
                stack.pop()
                value = container
                i += 1
                continue
            raise _syntax(f"expected ',' or '{close}'", i)


def _parse_key(text, i, obj, entry, duplicate_keys):
    """Parse `"name" :` at i; record the name in entry; return the value's index."""
    if i >= len(text) or text[i] != '"':
        raise _syntax("expected a member name", i)
    key, j = _parse_string(text, i)
    if key in obj and not duplicate_keys:
        raise SciwireError("E_JSON_DUPLICATE_KEY", f"member name {key!r} repeated at character {i}",
                           "json.duplicate-keys")
    obj[key] = None  # reserve the name, so that a later repeat is seen
    j = _WS.match(text, j).end()
    if j >= len(text) or text[j] != ":":
        raise _syntax("expected ':'", j)
    entry[1] = key
    return _WS.match(text, j + 1).end()
