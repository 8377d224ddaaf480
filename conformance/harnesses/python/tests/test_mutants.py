"""Every mutant in mutants.json is killed: each vector it lists passes with the
correct package and fails with the mutant applied (in process, by the same
monkeypatch mutants.py applies to the harness)."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys

import pytest

import vectors as V

sys.path.insert(0, str(V.PKG_DIR))
import mutants  # noqa: E402
import sciwire_py as sw  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # mutants overflow casts

DOC = json.loads((V.PKG_DIR / "mutants.json").read_text())
VECTORS, _ = V.load_all()


def test_mutants_json_matches_mutants_py():
    assert [m["name"] for m in DOC] == list(mutants.MUTANTS)
    assert len(DOC) >= 14
    for m in DOC:
        assert m["command"] == f"python3 conformance/harnesses/python/mutants.py {m['name']}"
        assert m["description"] == mutants.MUTANTS[m["name"]][0]
        assert m["kills"], m["name"]


class _OverBudget(Exception):
    pass


def _passes_within_budget(vec) -> bool:
    """V.judge, with the vector's wall-clock budget ([vector.budget]) as the
    runner enforces it: a verdict reached only after the budget is a failure.
    (A limit mutant, one that drops a limit, is caught by the budget: without
    it, this test would wait minutes for sciwire-py to build 2^28 cells.)"""
    budget_ms = vec.get("budget", {}).get("wall_ms")
    if not budget_ms:
        return V.judge(vec, sw)[0]

    def over(signum, frame):
        raise _OverBudget()

    old = signal.signal(signal.SIGALRM, over)
    signal.setitimer(signal.ITIMER_REAL, budget_ms / 1000)
    try:
        return V.judge(vec, sw)[0]
    except _OverBudget:
        return False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("entry", DOC, ids=[m["name"] for m in DOC])
def test_mutant_is_killed(entry):
    kills = entry["kills"]
    for vid in kills:
        assert V.judge(VECTORS[vid], sw)[0], f"{vid} fails without the mutant"
    with mutants.applied(entry["name"]):
        survivors = [vid for vid in kills if _passes_within_budget(VECTORS[vid])]
    assert survivors == [], f"{entry['name']} survives {survivors}"
    # and the package is whole again
    for vid in kills:
        assert V.judge(VECTORS[vid], sw)[0]


def test_mutant_harness_runs():
    """mutants.py NAME is the harness with the fault: ignore-codec-version
    decodes what the real harness rejects."""
    vec = VECTORS["ndarray-invalid-codec-version-2"]
    data = base64.b64encode(V.input_bytes(vec["input"], 1 << 30)).decode()
    lines = "\n".join([json.dumps({"cmd": "start", "id": 0, "protocol": 1}),
                       json.dumps({"cmd": "decode", "id": 1, "case": vec["id"], "input": data})]) + "\n"
    for args, expect_value in ((["ignore-codec-version"], True), ([], False)):
        script = V.PKG_DIR / ("mutants.py" if args else "harness.py")
        proc = subprocess.run([sys.executable, str(script), *args], input=lines.encode(), capture_output=True,
                              timeout=60)
        resp = [json.loads(l) for l in proc.stdout.decode().splitlines()]
        assert proc.returncode == 0 and len(resp) == 2, proc.stderr
        assert ("value" in resp[1]) == expect_value, resp[1]


def _flame_probes():
    """One input per flame mutant that the mutant gets wrong, made here
    (pyarrow's real frames, or built field by field), so that each mutant is
    seen to bite whatever the vector suite holds."""
    import numpy as np
    import test_flame as F
    body = np.arange(6, dtype="<i4").tobytes()
    return {
        "flame-trailing-bytes-ignored": ("decode", F.pyarrow_frame(np.array([1, 2, 3], np.int32)) + b"\0" * 8,
                                         "E_ARROW_PAYLOAD"),
        "flame-strides-ignored": ("decode", F.pyarrow_frame(np.asfortranarray(np.arange(6.0).reshape(2, 3))),
                                  sw.to_canonical(np.arange(6.0).reshape(2, 3))),
        "flame-bool-guessed-from-values": ("decode", F.pyarrow_frame(np.array([True, False])),
                                           {"kind": "ndarray", "dtype": "uint8", "shape": [2], "hex": "0100"}),
        "flame-unknown-tag-as-pickle": ("decode", b"FLM\x05" + F.frame()[4:], "E_FLAME_TAG"),
        "flame-unprefixed-read-as-json": ("decode", sw.dumps(np.arange(3.0), "json").encode(), "E_PICKLE_REFUSED"),
        "flame-flatbuffer-unverified": ("decode", F.patch(F.frame(), F.positions(F.frame())["shape_vec"], "I", 9999),
                                        "E_ARROW_PAYLOAD"),
        "flame-body-padding-unbounded": ("decode", F.frame(body + b"\0" * 16, dims=((2, None), (3, None)),
                                                           data=(0, 24)), "E_ARROW_PAYLOAD"),
        "flame-body-padding-refused": ("decode", F.frame(body[:20] + b"\0" * 4, dims=((5, None),), data=(0, 20)),
                                       {"kind": "ndarray", "dtype": "int32", "shape": [5], "hex": body[:20].hex()}),
        "flame-dim-names-dropped": ("decode", F.pyarrow_frame(np.arange(3.0), dim_names=["x"]), "E_ARROW_SCHEMA"),
        "flame-custom-metadata-dropped": ("decode", F.frame(custom=[("k", "v")]), "E_ARROW_SCHEMA"),
        "flame-dim-sizes-unchecked": ("decode", F.frame(b"", dims=((-1, None),), strides=None, data=(0, 0)),
                                      "E_SHAPE_INVALID"),
        "flame-encoder-writes-bool": ("encode", {"kind": "ndarray", "dtype": "bool", "shape": [1], "hex": "01"},
                                      "E_DTYPE_UNSUPPORTED"),
        "flame-encoder-fortran-strides": ("encode", sw.to_canonical(np.arange(6.0).reshape(2, 3)), "roundtrip"),
        **_flame_stream_probes(),
    }


def _flame_stream_probes():
    """The stream mutants' probes (mutants_flame.py): pyarrow's frames, as
    flamepy writes them, or sciwire-py's own writer's."""
    import pyarrow as pa
    import test_flame_stream as S
    from sciwire_py import table, table_encode
    two = pa.concat_tables([pa.table({"a": [1]}), pa.table({"a": [2]})])
    replaced = pa.concat_tables([pa.table({"c": pa.array(["a", "b"]).dictionary_encode()}),
                                 pa.table({"c": pa.array(["c"]).dictionary_encode()})])
    none = pa.table({"data": pa.array([], pa.int64())})
    small = table.Column("a", {"id": "int8"}, ["1"])
    over = b"FLM\x04" + table_encode.write_one_batch_stream([("a", small.type)], [], [small], 2**28 + 1)
    named = S.df(2, [S.col("v", "int64", ["1", "2"])], {"kind": "columns", "columns": [S.col("k", "string",
                                                                                             ["x", "y"])]})
    nulls2 = b"FLM\x02" + table_encode.write_one_batch_stream(
        [("a", {"id": "null"}), ("b", {"id": "null"})], [],
        [table.Column("a", {"id": "null"}, []), table.Column("b", {"id": "null"}, [])], 2**27 + 1)
    return {
        "flame-stream-trailing-bytes-ignored": ("decode", S.frame(pa.table({"a": [1]})) + b"\0", "E_ARROW_PAYLOAD"),
        "flame-stream-eos-optional": ("decode", S.frame(pa.table({"a": [1]}))[:-8], "E_ARROW_PAYLOAD"),
        "flame-stream-dictionary-replacement-dropped": ("decode", S.frame(replaced), "E_ARROW_PAYLOAD"),
        "flame-stream-first-batch-kept": ("decode", b"FLM\x04" + S.stream(two), "E_ARROW_PAYLOAD"),
        "flame-stream-no-batch-as-empty": ("decode", b"FLM\x03" + S.stream(none), "E_ARROW_PAYLOAD"),
        "flame-array-field-name-unchecked": ("decode", b"FLM\x03" + S.stream(pa.record_batch({"value": [1]})),
                                             "E_ARROW_SCHEMA"),
        "flame-array-named-data": ("decode", S.frame(pa.array([1, None])), S.series("int64", ["1", None])),
        "flame-table-pandas-metadata-ignored": ("decode", sw.flame.encode(named, "table"), named),
        "flame-stream-limits-after-contents": ("decode", over, "E_LIMIT_EXCEEDED"),
        "flame-stream-limits-rows-only": ("decode", nulls2, "E_LIMIT_EXCEEDED"),
        "flame-encoder-array-name-dropped": ("encode", dict(S.series("int64", ["1"]), name={"string": "s"}),
                                             "E_ENCODING_UNSUPPORTED", "array"),
        "flame-encoder-no-batch-when-empty": ("encode", S.df(0, [S.col("a", "int64", [])]), "roundtrip", "batch"),
        "flame-encoder-pandas-metadata-omitted": ("encode", named, "roundtrip", "table"),
    }


def _flame_outcome(kind, data, expect, encoding="tensor"):
    """Whether the package (patched or not) gets the probe right."""
    try:
        if kind == "encode":
            out = sw.flame.encode(data, encoding)
            return expect == "roundtrip" and sw.flame.decode(out).canonical() == data
        return sw.flame.decode(data).canonical() == expect
    except sw.SciwireError as e:
        return e.code == expect


def test_flame_mutants_bite_own_probes():
    probes = _flame_probes()
    assert set(probes) == {n for n in mutants.MUTANTS if n.startswith("flame-")}
    for name, (kind, data, expect, *enc) in probes.items():
        assert _flame_outcome(kind, data, expect, *enc), f"{name}: the package itself gets its probe wrong"
        with mutants.applied(name):
            assert not _flame_outcome(kind, data, expect, *enc), f"{name} survives its probe"
        assert _flame_outcome(kind, data, expect, *enc)
