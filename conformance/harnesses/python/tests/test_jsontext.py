"""The strict JSON parser's number kinds and its large number-only arrays."""

from __future__ import annotations

import time

import pytest

import vectors as V  # noqa: F401  (puts the package on sys.path)

import sciwire_py as sw
from sciwire_py import jsontext


def parse(text):
    return jsontext.parse(text)


def test_number_kinds():
    v = parse('{"a": 1, "b": 1.0, "c": 1e0, "d": -0, "e": -0.0, "f": 2E3, "g": 12345678901234567890}')
    assert [type(v[k]) for k in "abcdefg"] == [jsontext.JsonInt, float, float, jsontext.JsonInt, float, float,
                                               jsontext.JsonInt]
    # a JsonInt is the float it denotes: every other rule reads both kinds alike
    assert v["a"] == v["b"] == 1.0 and isinstance(v["a"], float)
    assert float(v["d"]).hex() == "-0x0.0p+0"
    assert v["g"] == 12345678901234567890.0
    big = parse("1" + "0" * 400)
    assert isinstance(big, jsontext.JsonInt) and big == float("inf")


def test_number_arrays_keep_kinds():
    a = parse("[1, 1.0, -0, 2e1]")
    assert isinstance(a, jsontext.NumberArray) and len(a) == 4
    assert [type(x) for x in a.items()] == [jsontext.JsonInt, float, jsontext.JsonInt, float]
    assert a.to_numpy().tolist() == [1.0, 1.0, 0.0, 20.0]
    assert type(a[0]) is jsontext.JsonInt


def test_codec_version_reads_both_kinds():
    env = '{"__tywrap__": "ndarray", "codecVersion": %s, "encoding": "json", "dtype": "int8", "shape": [], "data": 1}'
    for cv in ("1", "1.0", "1e0", "10e-1"):
        assert sw.decode(env % cv).canonical()["hex"] == "01"


def _big(body):
    return "[" + body + "]"


N = 40000   # above the 64 KiB span where the chunked check takes over


@pytest.mark.parametrize("tail,ok", [
    ("2", True), (" 3 ", True), ("1e+5,-0.0E-1", True), ("01", False), ("", False), (" ,2", False),
    ("-", False), ("1e", False), (".5", False), ("+1", False), ("1.", False), ("--1", False), ("1e5e5", False),
    ("0x1", False), ("1 2", False),
])
def test_large_number_arrays_agree_with_the_small_path(tail, ok):
    for text in (_big("1, " * N + tail), _big("1," * 10 + tail)):
        if ok:
            v = parse(text)
            assert isinstance(v, jsontext.NumberArray) and len(v) == text.count(",") + 1
        else:
            with pytest.raises(sw.SciwireError) as e:
                parse(text)
            assert e.value.code == "E_JSON_SYNTAX"


def test_large_array_with_chunk_boundaries():
    # items of assorted lengths so that chunks are cut mid-way at commas
    items = [str(i * 7919 % 1000003) + (".5" if i % 3 else "") + ("e-3" if i % 5 == 0 else "") for i in range(300000)]
    text = _big(",\n ".join(items))
    v = parse(text)
    assert isinstance(v, jsontext.NumberArray) and len(v) == len(items)
    assert v.to_numpy().tolist() == [float(x) for x in items]
    # one bad item near the end: the item-by-item parser reports it, at its position
    bad = text[:-1] + ", +1]"
    with pytest.raises(sw.SciwireError) as e:
        parse(bad)
    assert e.value.code == "E_JSON_SYNTAX" and e.value.message.endswith(f"at character {len(text) + 1}")


def test_a_long_integer_item_falls_back():
    text = _big("1," * N + "1" * 5000)    # past Python's int-digit limit for the json module
    v = parse(text)
    assert len(v) == N + 1


def test_large_array_is_fast():
    text = '{"a": ' + _big("0," * (1 << 22) + "0") + "}"
    t0 = time.perf_counter()
    v = parse(text)
    assert len(v["a"]) == (1 << 22) + 1
    assert time.perf_counter() - t0 < 10   # the regular expression alone took ~5 s here
