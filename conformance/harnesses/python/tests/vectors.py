"""Loading the golden vectors (vectors/v1) and judging one implementation
against them. Shared by test_vectors.py, test_mutants.py and mutants.py."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PKG_DIR = HERE.parent
if str(PKG_DIR) not in sys.path:
    sys.path.insert(0, str(PKG_DIR))


def find_repo_root() -> Path:
    for p in [HERE, *HERE.parents]:
        if (p / "vectors" / "v1").is_dir() and (p / "schemas" / "v1").is_dir():
            return p
    raise RuntimeError("cannot find the repository root (a folder with vectors/v1 and schemas/v1)")


REPO = find_repo_root()
VECTORS = REPO / "vectors" / "v1"
SCHEMAS = REPO / "schemas" / "v1"


def load_all():
    """(decode+encode vectors by id, equivalence groups): every file, recursively."""
    vectors, groups = {}, {}
    for path in sorted(VECTORS.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if "members" in doc:
            groups[doc["id"]] = doc
        else:
            doc["_folder"] = path.parent.name
            # the envelope: the first folder under vectors/v1 (ndarray, scipy.sparse, ...,
            # or a profile's: flame)
            doc["_envelope"] = path.relative_to(VECTORS).parts[0]
            vectors[doc["id"]] = doc
    return vectors, groups


class TooLarge:
    """A decode input we did not build because its length alone decides it."""

    def __init__(self, length: int):
        self.length = length


def input_bytes(inp: dict, max_build: int):
    """The bytes of a decode vector's input ([vector.input]).

    A ``concat`` input longer than ``max_build`` is not built: its length is
    returned as :class:`TooLarge`, and the caller checks it with the
    decoder's own max_input_bytes check, before doing anything else.
    """
    if "json" in inp:
        # json.dumps writes -0.0 as -0.0, large ints exactly and never NaN
        # (the vectors hold none); ensure_ascii=False keeps UTF-8 as text.
        return json.dumps(inp["json"], ensure_ascii=False, allow_nan=False).encode("utf-8")
    if "text" in inp:
        return inp["text"].encode("utf-8", errors="strict")
    if "base64" in inp:
        return base64.b64decode(inp["base64"], validate=True)
    if "concat" in inp:
        total = sum(len(p["text"].encode("utf-8")) * p.get("repeat", 1) for p in inp["concat"])
        if total > max_build:
            return TooLarge(total)
        return b"".join(p["text"].encode("utf-8") * p.get("repeat", 1) for p in inp["concat"])
    raise ValueError(f"unknown input form {sorted(inp)}")


def check_manifest():
    """Lines of MANIFEST.sha256 whose hash disagrees (empty when all agree)."""
    bad = []
    for line in (VECTORS / "MANIFEST.sha256").read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split(None, 1)
        name = name.lstrip("*")
        p = VECTORS / name
        if not p.exists() or hashlib.sha256(p.read_bytes()).hexdigest() != digest:
            bad.append(name)
    return bad


def decoder_for(vec: dict, sw):
    """The entry point a vector's input is read with ([vector.profile]): the
    flame profile's own for ``"profile": "flame"``, else the default one."""
    profile = vec.get("profile")
    if profile is None:
        return sw.decode
    if profile == "flame":
        return sw.flame.decode
    raise ValueError(f"unknown profile {profile!r}")


def decode_input(vec: dict, sw, limits=None):
    """A valid decode vector's decoded record, in its profile."""
    limits = limits or sw.Limits()
    return decoder_for(vec, sw)(input_bytes(vec["input"], limits.max_input_bytes), limits)


def judge(vec: dict, sw) -> tuple:
    """Run one vector against the implementation module ``sw`` (sciwire_py).

    Returns (passed: bool, detail: str). Exceptions other than SciwireError
    count as failures (as the runner's ``errored``).
    """
    limits = sw.Limits()
    exp = vec["expect"]
    decode = decoder_for(vec, sw)
    try:
        if vec.get("direction", "decode") == "encode" and vec.get("profile") == "flame":
            # [vector.profile]: checked by decoding the output in the profile, never by its bytes
            out = sw.flame.encode(vec["input"]["value"], vec["input"]["encoding"])
            if "error" in exp:
                return False, f"encoded, expected {exp['error']}"
            tag = b"FLM" + bytes([sw.flame.ENCODING_TAGS[vec["input"]["encoding"]]])
            if out[:4] != tag:
                return False, f"asked for the flame {vec['input']['encoding']} encoding, wrote {out[:4]!r}..."
            got = decode(out).canonical()
            if got != vec["input"]["value"]:
                return False, f"round trip gave {short(got)}"
            return True, "roundtrip"
        if vec.get("direction", "decode") == "encode":
            out = sw.encode_canonical(vec["input"]["value"], vec["input"]["encoding"])
            if "error" in exp:
                return False, f"encoded, expected {exp['error']}"
            data = out if isinstance(out, bytes) else out.encode("utf-8")
            if vec["input"]["encoding"] == "frame" and data[:1] != b"\xc1":
                return False, "asked for a frame, wrote something else"
            if "bytes" in exp and data != base64.b64decode(exp["bytes"], validate=True):
                return False, f"wrote other bytes than expect.bytes ({len(data)} bytes)"
            got = sw.decode(data).canonical()
            if got != vec["input"]["value"]:
                return False, f"round trip gave {short(got)}"
            return True, "roundtrip"
        data = input_bytes(vec["input"], limits.max_input_bytes)
        if isinstance(data, TooLarge):
            sw.decoder.check_input_bytes(data.length, limits)
            return False, "accepted an input longer than max_input_bytes"
        got = decode(data, limits).canonical()
        if "error" in exp:
            return False, f"decoded to {short(got)}, expected {exp['error']}"
        if got != exp["value"]:
            return False, f"decoded to {short(got)}, expected {short(exp['value'])}"
        return True, "value"
    except sw.SciwireError as e:
        if exp.get("error") == e.code:
            return True, e.code
        return False, f"rejected with {e.code} ({e.message}), expected {exp}"
    except Exception as e:  # an errored case
        return False, f"raised {type(e).__name__}: {e}"


def short(v) -> str:
    s = json.dumps(v)
    return s if len(s) < 200 else s[:200] + "..."
