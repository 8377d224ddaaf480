"""sciwire-py against every golden vector in vectors/v1 (recursively)."""

from __future__ import annotations

import json

import pytest

import vectors as V  # tests/vectors.py (pytest puts tests/ on sys.path)

import sciwire_py as sw

VECTORS, GROUPS = V.load_all()
DECODE = sorted(i for i, v in VECTORS.items() if v.get("direction", "decode") == "decode")
ENCODE = sorted(i for i, v in VECTORS.items() if v.get("direction") == "encode")


ENVELOPES = ("ndarray", "scipy.sparse", "torch.tensor", "sklearn.estimator", "dataframe", "series")
#: profile folders ([vector.profile]): their vectors say "profile": "flame"
PROFILES = ("flame",)


def test_suite_is_there():
    assert len(DECODE) > 600 and len(ENCODE) > 50 and len(GROUPS) > 40
    # every envelope folder is loaded (the loader recurses), and each has
    # valid, invalid and encode vectors
    folders = sorted(p.name for p in V.VECTORS.iterdir() if p.is_dir())
    assert set(ENVELOPES) <= set(folders) <= set(ENVELOPES + PROFILES), folders
    for env in folders:
        kinds = {v["_folder"] for v in VECTORS.values() if v["_envelope"] == env}
        assert {"valid", "invalid", "encode"} <= kinds, env


def test_profile_vectors_say_so():
    """[vector.profile]: "profile": "flame" for every vector in flame/, and no other."""
    wrong = [vid for vid, v in VECTORS.items() if (v["_envelope"] in PROFILES) != ("profile" in v)
             or v.get("profile", v["_envelope"]) != v["_envelope"]]
    assert wrong == []


KIND = {"ndarray": "ndarray", "scipy.sparse": "sparse", "torch.tensor": "tensor", "sklearn.estimator": "estimator",
        "flame": "ndarray", "dataframe": "dataframe", "series": "series"}

FLAME_KINDS = {1: "ndarray", 2: "dataframe", 3: "series", 4: "dataframe"}


def test_manifest():
    assert V.check_manifest() == []


@pytest.mark.parametrize("vid", DECODE)
def test_decode_vector(vid):
    vec = VECTORS[vid]
    ok, detail = V.judge(vec, sw)
    assert ok, detail
    # The folder agrees with the expectation, and a value's kind with the envelope folder.
    assert vec["_folder"] == ("invalid" if "error" in vec["expect"] else "valid")
    if "value" in vec["expect"]:
        kind = KIND[vec["_envelope"]]
        if vec["_envelope"] == "flame":
            # [flame.streams]: tag 01 a tensor, 02 and 04 a dataframe, 03 a series
            kind = FLAME_KINDS[V.input_bytes(vec["input"], 1 << 30)[3]]
        assert vec["expect"]["value"]["kind"] == kind


def _ecma_patterns(node):
    """ECMA-262 `$` (no multiline flag) matches only at the very end; Python's
    `$` also matches before a final newline (schemas/v1/README.md). Rewrite a
    trailing `$` of every `pattern` as `\\Z` so that jsonschema reads the
    schemas as ECMA-262 does."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "pattern" and isinstance(v, str) and v.endswith("$") and not v.endswith("\\$"):
                v = v[:-1] + "\\Z"
            out[k] = _ecma_patterns(v)
        return out
    if isinstance(node, list):
        return [_ecma_patterns(x) for x in node]
    return node


def _envelope_validator():
    try:
        import jsonschema
        from referencing import Registry, Resource
    except ImportError:  # pragma: no cover - optional
        return None
    reg = Registry()
    for p in V.SCHEMAS.glob("*.json"):
        doc = _ecma_patterns(json.loads(p.read_text()))
        reg = reg.with_resource(doc["$id"], Resource.from_contents(doc))
    env = _ecma_patterns(json.loads((V.SCHEMAS / "envelope.schema.json").read_text()))
    return jsonschema.Draft202012Validator(env, registry=reg)


ENVELOPE_VALIDATOR = _envelope_validator()


@pytest.mark.parametrize("vid", ENCODE)
def test_encode_vector(vid):
    vec = VECTORS[vid]
    ok, detail = V.judge(vec, sw)
    assert ok, detail
    if "roundtrip" in vec["expect"] and ENVELOPE_VALIDATOR is not None and vec["input"]["encoding"] != "frame" \
            and "profile" not in vec:
        # a frame, or a profile's output (an FLM frame), is not JSON text: it
        # is checked by decoding alone ([vector.expect], [vector.profile])
        out = sw.encode_canonical(vec["input"]["value"], vec["input"]["encoding"])
        errors = list(ENVELOPE_VALIDATOR.iter_errors(json.loads(out)))
        assert not errors, errors[0].message


@pytest.mark.parametrize("gid", sorted(GROUPS))
def test_equivalence_group(gid):
    group = GROUPS[gid]
    values = []
    for member in group["members"]:
        vec = VECTORS[member]
        assert vec["_folder"] == "valid", member
        values.append(V.decode_input(vec, sw).canonical())   # in the vector's profile, if it has one
    assert all(v == values[0] for v in values), [V.short(v) for v in values]


def test_schema_valid_flags():
    """[vector.schema-valid]: invalid json-input vectors say whether the
    envelope schema accepts them; check the schema agrees (jsonschema's `$`
    quirk aside, see schemas/v1/README.md)."""
    if ENVELOPE_VALIDATOR is None:  # pragma: no cover
        pytest.skip("jsonschema not installed")
    wrong = []
    for vid in DECODE:
        vec = VECTORS[vid]
        if "schemaValid" not in vec or "json" not in vec["input"]:
            continue
        valid = ENVELOPE_VALIDATOR.is_valid(vec["input"]["json"])
        if valid != vec["schemaValid"]:
            wrong.append(vid)
    assert wrong == []
