"""Every mutant in mutants.json is killed: each vector it lists passes with the
correct package and fails with the mutant applied (in process, by the same
monkeypatch mutants.py applies to the harness)."""

from __future__ import annotations

import base64
import json
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


@pytest.mark.parametrize("entry", DOC, ids=[m["name"] for m in DOC])
def test_mutant_is_killed(entry):
    kills = entry["kills"]
    for vid in kills:
        assert V.judge(VECTORS[vid], sw)[0], f"{vid} fails without the mutant"
    with mutants.applied(entry["name"]):
        survivors = [vid for vid in kills if V.judge(VECTORS[vid], sw)[0]]
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
