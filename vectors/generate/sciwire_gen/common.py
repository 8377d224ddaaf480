"""What every envelope's generator shares.

The Suite an envelope module fills, the source records of its vectors, the file layout and the
manifest, the envelope modules themselves (found and loaded here), the reading of spec/src for
clause ids, and the `generate` and `check` commands with the check's lint and clause coverage.

No numpy, pyarrow, scipy or torch here: an envelope module imports the libraries it needs, and
is loaded only when they import (load_envelopes).
"""

from __future__ import annotations

import ast
import base64
import hashlib
import importlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).resolve().parent
HERE = PACKAGE.parent
VECTORS = HERE.parent
V1 = VECTORS / "v1"
REPO = VECTORS.parent
SPEC = REPO / "spec" / "src"
GENERATOR = "vectors/generate/generate.py"
KINDS = ("valid", "invalid", "encode", "equivalent")
KEY_ORDER = ("id", "description", "clauses", "profile", "direction", "input", "expect",
             "schemaValid", "source", "budget", "tags")
HOSTILE_BUDGET = {"wall_ms": 2000, "rss_mb": 256}
MAX_SAFE = 2**53 - 1
GROUP_PREFIX = "eq-"  # an equivalence group's id is GROUP_PREFIX + the envelope's ID_PREFIX + ...

# ----------------------------------------------------------------------------------------------
# Building inputs
# ----------------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def without(d: dict, *keys) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


def with_(d: dict, **kv) -> dict:
    out = dict(d)
    out.update(kv)
    return out


def dumps_env(env: dict) -> str:
    """JSON text as tywrap's Python producer writes it (json.dumps defaults)."""
    return json.dumps(env, ensure_ascii=True)


def J(env):
    return {"json": env}


def T(text):
    return {"text": text}


def B(data: bytes):
    return {"base64": b64(data)}


def py_json(text: str):
    """The JSON text as Python values, reading `-0` as the float -0.0 (its value, which
    Python's int would lose) for the generator's own sanity decoding."""
    def parse_int(s):
        v = int(s)
        return -0.0 if (v == 0 and s.startswith("-")) else v
    return json.loads(text, parse_int=parse_int)


def uniq(seq):
    out = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


# ----------------------------------------------------------------------------------------------
# Source records
# ----------------------------------------------------------------------------------------------

def source_maker(libraries: dict):
    """An envelope's src(expr, mutation=None): the source of a vector built by evaluating `expr`
    with `libraries` ({name: version}, the envelope's LIBRARIES), optionally then mutated."""
    def src(expr: str, mutation: str | None = None) -> dict:
        s = {"generator": GENERATOR, "libraries": dict(libraries), "expr": expr}
        if mutation is not None:
            s["mutation"] = mutation
        return s
    return src


def hand(why: str) -> dict:
    return {"handWritten": why}


# ----------------------------------------------------------------------------------------------
# The suite being built: one per envelope
# ----------------------------------------------------------------------------------------------

class Suite:
    """The vectors and equivalence groups of one envelope (or profile), written under
    vectors/v1/<folder>/ (the marker, or the profile's name).

    Vector ids start with the envelope's id_prefix, group ids with "eq-" + id_prefix. When the
    envelope module has a sanity_decode(vid, input, value), every valid vector goes through it.
    A profile's suite writes "profile": <profile> in each of its vectors ([vector.profile]).
    """

    def __init__(self, folder: str, id_prefix: str, sanity_decode=None, profile: str | None = None):
        self.folder, self.id_prefix, self.sanity_decode = folder, id_prefix, sanity_decode
        self.profile = profile
        self.vectors = {}  # id -> (kind, dict)
        self.groups = {}

    def _new_id(self, vid, prefix):
        assert re.fullmatch(r"[a-z0-9-]+", vid), vid
        assert vid.startswith(prefix), f"{vid}: an id of {self.folder} starts with {prefix}"
        assert vid not in self.vectors and vid not in self.groups, f"duplicate id {vid}"

    def _put(self, kind, vec):
        vid = vec["id"]
        self._new_id(vid, self.id_prefix)
        assert vec["clauses"], vid
        # [frame.references] stands on a table with a row per marker (frame.md): a vector of a
        # marker's folder that cites it cites its marker's row.
        if "frame.references" in vec["clauses"] and self.profile is None:
            vec["clauses"] = uniq(vec["clauses"] + [f"frame.references[{self.folder}]"])
        vec["profile"] = self.profile
        ordered = {k: vec[k] for k in KEY_ORDER if vec.get(k) is not None}
        self.vectors[vid] = (kind, ordered)

    def valid(self, vid, description, clauses, inp, value, source, tags=None):
        if self.sanity_decode is not None:
            self.sanity_decode(vid, inp, value)
        self._put("valid", {"id": vid, "description": description, "clauses": list(clauses),
                            "direction": "decode", "input": inp, "expect": {"value": value},
                            "source": source, "tags": tags})

    def invalid(self, vid, description, clauses, inp, code, source, schema_valid=None,
                budget=None, tags=None):
        clauses = list(clauses)
        if tags and "processing-order" in tags:
            clauses = uniq(clauses + ["error.codes"])
        if budget:
            clauses = uniq(clauses + ["vector.budget"])
        if "json" in inp:
            assert schema_valid is not None, f"{vid}: schemaValid needed for a json input"
        else:
            assert schema_valid is None, vid
        self._put("invalid", {"id": vid, "description": description, "clauses": list(clauses),
                              "direction": "decode", "input": inp, "expect": {"error": code},
                              "schemaValid": schema_valid, "source": source, "budget": budget,
                              "tags": tags})

    def encode(self, vid, description, clauses, value, encoding, expect, source, tags=None):
        self._put("encode", {"id": vid, "description": description, "clauses": list(clauses),
                             "direction": "encode", "input": {"value": value, "encoding": encoding},
                             "expect": expect, "source": source, "tags": tags})

    def group(self, gid, description, members, others=None):
        """A group of valid vectors of this suite, and of `others` ({id: (kind, vector)}: another
        suite's vectors, such as ndarray's beside a profile's)."""
        self._new_id(gid, GROUP_PREFIX + self.id_prefix)
        values = set()
        for m in members:
            kind, vec = self.vectors[m] if m in self.vectors else (others or {})[m]
            assert kind == "valid", (gid, m)
            values.add(json.dumps(vec["expect"]["value"], sort_keys=True))
        assert len(values) == 1 and len(members) >= 2, f"{gid}: members disagree"
        self.groups[gid] = {"id": gid, "description": description, "members": list(members)}

    def files(self) -> dict:
        out = {}
        for vid, (kind, vec) in self.vectors.items():
            out[f"{self.folder}/{kind}/{vid}.json"] = vec
        for gid, grp in self.groups.items():
            out[f"{self.folder}/equivalent/{gid}.json"] = grp
        return out


# ----------------------------------------------------------------------------------------------
# The envelope modules
# ----------------------------------------------------------------------------------------------

HEADER = ("ID_PREFIX", "REQUIRES")
NAMES = ("MARKER", "PROFILE")  # a module assigns one of them: its folder under vectors/v1/
# An envelope module may also assign OPTIONAL = True (torch: a 5 GB wheel the test command does
# not install). Only an optional envelope may be skipped when its REQUIRES do not import; for any
# other, a missing library is an error, so that a forgotten pin cannot pass CI by skipping.
# A profile module (PROFILE = "flame", spec/src/flame.md) is loaded like an envelope module; its
# vectors are read in the profile and say so ("profile", [vector.profile]).


@dataclass
class Envelope:
    folder: str                 # MARKER or PROFILE: the envelope's marker (or the profile's
                                # name) and its folder under vectors/v1/
    id_prefix: str              # ID_PREFIX: how its vector ids start
    module: ModuleType | None   # None when a module in REQUIRES does not import
    missing: str | None         # then, why
    optional: bool = False      # OPTIONAL: may be skipped when REQUIRES do not import
    profile: str | None = None  # PROFILE, for a profile module


def _header(path: Path) -> dict:
    """MARKER (or PROFILE), ID_PREFIX and REQUIRES as the module's source assigns them, read
    without importing it (importing it imports its libraries), or {} for a module with neither
    MARKER nor PROFILE."""
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and \
                node.targets[0].id in HEADER + NAMES + ("OPTIONAL",):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise AssertionError(f"{path}: {node.targets[0].id} is not a literal") from None
    names = [k for k in NAMES if k in found]
    if not names:
        return {}
    assert len(names) == 1, f"{path}: assigns both MARKER and PROFILE"
    missing = [k for k in HEADER if k not in found]
    assert not missing, \
        f"{path}: {names[0]} without a literal {' and '.join(missing)} at module level"
    return found


def _missing_requirement(requires) -> str | None:
    for req in requires:
        try:
            importlib.import_module(req)
        except ModuleNotFoundError as e:
            if e.name and (req == e.name or req.startswith(e.name + ".")):
                return f"{req} is not installed"
            return f"{req} does not import ({e})"
        except ImportError as e:
            return f"{req} does not import ({e})"
    return None


def load_envelopes() -> list:
    """Every envelope or profile module of the package (a module is one when it assigns MARKER
    or PROFILE), sorted by folder; imported when its REQUIRES import."""
    envelopes = []
    for path in sorted(PACKAGE.glob("*.py")):
        head = _header(path)
        if not head:
            continue
        missing = _missing_requirement(head["REQUIRES"])
        module = None if missing else importlib.import_module(f"{__package__}.{path.stem}")
        if module is not None:
            assert all(getattr(module, k) == head[k] for k in HEADER + NAMES if k in head), path
            assert isinstance(module.LIBRARIES, dict) and callable(module.build), path
        envelopes.append(Envelope(head.get("MARKER", head.get("PROFILE")), head["ID_PREFIX"],
                                  module, missing, bool(head.get("OPTIONAL", False)),
                                  head.get("PROFILE")))
    envelopes.sort(key=lambda e: e.folder)
    for attr in ("folder", "id_prefix"):
        seen = [getattr(e, attr) for e in envelopes]
        assert len(set(seen)) == len(seen), f"two envelope modules share a {attr}: {seen}"
    return envelopes


def build_suites(envelopes) -> list:
    """Each loaded envelope's Suite; ids are unique across all of them."""
    suites, owner = [], {}
    for env in envelopes:
        S = Suite(env.folder, env.id_prefix, getattr(env.module, "sanity_decode", None),
                  env.profile)
        env.module.build(S)
        for vid in list(S.vectors) + list(S.groups):
            assert vid not in owner, f"id {vid} made by both {owner[vid]} and {env.folder}"
            owner[vid] = env.folder
        suites.append(S)
    return suites


def requirements_file(env: Envelope) -> str:
    """The pinned requirements that install a module's REQUIRES: a profile's own file
    (requirements-flame.txt), which includes requirements.txt, or requirements.txt."""
    name = f"requirements-{env.profile}.txt" if env.profile else "requirements.txt"
    return f"vectors/generate/{name}"


def skip_line(env: Envelope, on_disk: dict, what: str) -> str:
    n = sum(1 for rel in on_disk if rel.startswith(env.folder + "/"))
    files = "1 file is" if n == 1 else f"{n} files are"
    return f"skipped {env.folder}: {env.missing}; its {files} {what}"


# ----------------------------------------------------------------------------------------------
# Writing, manifest
# ----------------------------------------------------------------------------------------------

def serialize(obj) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=True, allow_nan=False) + "\n").encode("ascii")


def suite_bytes(S: Suite) -> dict:
    """The envelope's files as its generator writes them: {relpath under v1: bytes}."""
    return {rel: serialize(obj) for rel, obj in S.files().items()}


def write_suite(S: Suite, root: Path) -> dict:
    """Rewrite the envelope's folders under root (a v1 directory); return {relpath: bytes}."""
    out = suite_bytes(S)
    for kind in KINDS:
        d = root / S.folder / kind
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("*.json"):
            old.unlink()
    for rel, data in sorted(out.items()):
        (root / rel).write_bytes(data)
    return out


def vector_files(root: Path) -> dict:
    """Every vector file under a v1 directory: {relpath: bytes}."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*.json")) if p.is_file()}


def manifest_text(files: dict) -> str:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {rel}\n"
                   for rel, data in sorted(files.items()))


def cmd_generate(envelopes, only=None) -> int:
    """Rewrite the folders of every envelope (of those named in `only`) whose requirements
    import, then MANIFEST.sha256 over every vector file on disk."""
    if only:
        unknown = sorted(set(only) - {e.folder for e in envelopes})
        if unknown:
            print(f"--only {', '.join(unknown)}: no envelope module has that MARKER or PROFILE "
                  f"(there are: {', '.join(e.folder for e in envelopes)})", file=sys.stderr)
            return 2
        chosen = [e for e in envelopes if e.folder in only]
        for env in chosen:
            if env.module is None:
                print(f"cannot generate {env.folder}: {env.missing}", file=sys.stderr)
                return 2
    else:
        chosen = envelopes
    on_disk = vector_files(V1)
    for env in chosen:
        if env.module is None and not env.optional:
            print(f"cannot generate {env.folder}: {env.missing} (install "
                  f"{requirements_file(env)})", file=sys.stderr)
            return 2
        if env.module is None:
            print(skip_line(env, on_disk, "left unchanged"))
    written = {}
    for S in build_suites([e for e in chosen if e.module is not None]):
        written.update(write_suite(S, V1))
    files = vector_files(V1)
    (V1 / "MANIFEST.sha256").write_bytes(manifest_text(files).encode("ascii"))
    counts = {k: sum(1 for rel in written if rel.split("/")[1] == k) for k in KINDS}
    print(f"wrote {len(written)} files under {V1}: " +
          ", ".join(f"{n} {k}" for k, n in counts.items()))
    if len(files) != len(written):
        print(f"MANIFEST.sha256 lists all {len(files)} vector files under {V1}")
    return 0


# ----------------------------------------------------------------------------------------------
# The specification, read for clause ids and codes
# ----------------------------------------------------------------------------------------------

def split_row(citation: str):
    """`id[row]` is (id, row), a plain id (id, None): the row runs from the first [ to the final ]
    ([vector.clauses])."""
    i = citation.find("[")
    if i > 0 and citation.endswith("]") and len(citation) - i > 2:
        return citation[:i], citation[i + 1:-1]
    return citation, None


def dtype_row(dtype) -> str:
    """The row of ndarray.md's dtype table a numpy dtype (or its name) is on: its name, or
    `<U{n}` / `|S{n}` for the strings of any width."""
    name = str(dtype)
    return "<U{n}" if name.startswith("<U") else "|S{n}" if name.startswith("|S") else name


def _cell_rows(cell: str) -> list:
    """The rows one first-column cell names (conventions.md, 'Clauses'): each code span, a span
    starting with [ abbreviating the previous name up to its [; a cell without spans is its text."""
    cell = cell.strip().replace("\\|", "|")
    spans = cell.split("`")[1::2]
    if not spans:
        return [cell]
    out = []
    for span in spans:
        if span.startswith("[") and out and "[" in out[-1]:
            span = out[-1][:out[-1].index("[")] + span
        out.append(span)
    return out


def _table_rows(lines: list, column: int = 0) -> list:
    while lines and not lines[0].strip():
        lines = lines[1:]
    table = []
    for line in lines:
        if not line.startswith("|"):
            break
        table.append(line)
    assert len(table) >= 3 and set(table[1]) <= set("|-: "), "a rows marker without a table after it"
    rows = []
    for line in table[2:]:
        cells = line.strip().replace("\\|", "\0").strip("|").split("|")
        assert column < len(cells), f"a rows marker names column {column + 1} of a narrower table"
        cell = cells[column].replace("\0", "\\|")
        rows.extend(_cell_rows(cell))
    assert len(rows) == len(set(rows)) and all(rows), f"table rows empty or repeated: {rows}"
    return rows


def spec_clauses():
    """{clause id: codes it rejects with}, the set of error codes of errors.md, and {clause id:
    rows of its table} for the clauses a `<!-- rows: id ... -->` marker names.

    A clause starts with **[id]** at the start of a paragraph (outside code blocks) and runs to
    the next clause or heading; its codes are the `rejects `E_...`` phrases in it. A rows marker
    is a comment on its own line before a table; the rows are the table's first column. This is
    the reading conventions.md describes (and the conformance crate's).
    """
    clauses = {}
    rows = {}
    cited = set()
    for md in sorted(SPEC.glob("*.md")):
        text = md.read_text(encoding="utf-8")
        cited.update(re.findall(r"\*\*\[([a-z0-9.-]+)\]\*\*", text))
        current, body, in_code, prev_blank = None, [], False, True

        def finish():
            if current is not None:
                scope = re.sub(r"\s+", " ", " ".join(body))
                assert current not in clauses, f"clause {current} defined twice"
                clauses[current] = set(re.findall(r"rejects `(E_[A-Z0-9_]+)`", scope))

        lines = text.split("\n")
        for n, line in enumerate(lines):
            if line.startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            m = re.fullmatch(r"<!-- rows(?: from column ([1-9][0-9]*))?:([a-z0-9. -]+)-->", line.strip())
            if m:
                ids = m.group(2).split()
                assert ids, f"{md.name}: a rows marker names no clause"
                for cid in ids:
                    assert cid not in rows, f"{md.name}: two rows markers name {cid}"
                    rows[cid] = _table_rows(lines[n + 1:], int(m.group(1) or 1) - 1)
            else:
                assert not line.strip().startswith("<!-- rows"), f"{md.name}: malformed {line!r}"
            if line.startswith("#"):
                finish()
                current, body = None, []
            m = re.match(r"\*\*\[([a-z0-9.-]+)\]\*\*", line)
            if prev_blank and m:
                finish()
                current, body = m.group(1), []
            if current is not None:
                body.append(line)
            prev_blank = not line.strip()
        finish()
    missing = cited - set(clauses)
    assert not missing, f"clauses cited in the spec without a definition: {missing}"
    assert set(rows) <= set(clauses), f"rows markers name undefined clauses: {set(rows) - set(clauses)}"
    codes = set(re.findall(r"^\| `(E_[A-Z0-9_]+)` \|",
                           (SPEC / "errors.md").read_text(encoding="utf-8"), re.M))
    return clauses, codes, rows


# Clauses about reports, the suite and configuration rather than about an input: they need a
# vector that cites them (as conventions.md asks of every clause), not a valid one.
META = ("error.", "vector.", "limits.configurable")
def test_cited() -> set:
    """Protocol clauses are exercised by the runner's tests, which cite them as
    `// clause: <id>` comments (the Rust coverage check counts the same)."""
    return set(re.findall(r"//\s*clause:\s*([a-z0-9.-]+)", "".join(
        p.read_text(encoding="utf-8")
        for p in sorted((REPO / "conformance" / "tests").glob("*.rs")))))


# ----------------------------------------------------------------------------------------------
# The check: lint and clause coverage over every vector file on disk
# ----------------------------------------------------------------------------------------------

def _is_versions(libraries) -> bool:
    return isinstance(libraries, dict) and bool(libraries) and \
        all(isinstance(k, str) and isinstance(v, str) for k, v in libraries.items())


def _frame_bytes_ok(obj) -> bool:
    """An encode vector asking for a frame may give the frame's exact bytes ([frame.encode]):
    expect {"roundtrip": true, "bytes": canonical base64 of a frame}."""
    expect, inp = obj.get("expect"), obj.get("input", {})
    if not (isinstance(expect, dict) and set(expect) == {"roundtrip", "bytes"} and
            expect["roundtrip"] is True and inp.get("encoding") == "frame" and
            isinstance(expect["bytes"], str)):
        return False
    try:
        data = base64.b64decode(expect["bytes"], validate=True)
    except ValueError:
        return False
    return b64(data) == expect["bytes"] and data[:8] == bytes.fromhex("c15357520d0a1a0a")


def lint(files: dict, spec, envelopes, problems: list):
    """Check every vector file of every envelope folder; return {id: (kind, vector)}."""
    clauses, codes, rows = spec
    by_folder = {e.folder: e for e in envelopes}
    ids, descs = {}, {}
    vectors, groups = {}, []
    for rel, data in sorted(files.items()):
        if "/" not in rel:
            problems.append(f"{rel}: not inside an envelope's folder")
            continue
        folder = rel.split("/")[0]
        env = by_folder.get(folder)
        if env is None:
            problems.append(f"{rel}: no module in sciwire_gen has MARKER or PROFILE {folder!r}")
            continue
        try:
            obj = json.loads(data)
        except ValueError as e:
            problems.append(f"{rel}: not JSON ({e})")
            continue
        kind = rel.split("/")[1]
        if not isinstance(obj, dict) or kind not in KINDS:
            problems.append(f"{rel}: not a vector file in a known folder")
            continue
        if kind == "equivalent":
            groups.append((rel, obj))
        if kind != "equivalent" and not (
                isinstance(obj.get("clauses"), list) and obj["clauses"] and
                all(isinstance(c, str) for c in obj["clauses"]) and
                isinstance(obj.get("expect"), dict) and isinstance(obj.get("input"), dict)):
            problems.append(f"{rel}: clauses, input or expect missing or malformed")
            continue
        vid = obj.get("id")
        if f"{folder}/{kind}/{vid}.json" != rel:
            problems.append(f"{rel}: id {vid!r} differs from the file name")
        if not isinstance(vid, str) or not re.fullmatch(r"[a-z0-9-]+", vid):
            problems.append(f"{rel}: id {vid!r} is not [a-z0-9-]+")
        prefix = (GROUP_PREFIX if kind == "equivalent" else "") + env.id_prefix
        if not (isinstance(vid, str) and vid.startswith(prefix)):
            problems.append(f"{rel}: id {vid!r} does not start with {prefix!r}")
        if vid in ids:
            problems.append(f"{rel}: id {vid!r} also used by {ids[vid]}")
        ids[vid] = rel
        desc = obj.get("description", "")
        if not desc or len(desc) >= 120:
            problems.append(f"{rel}: description empty or 120 characters or longer")
        if re.search(r"should|test that", desc, re.I):
            problems.append(f"{rel}: description says 'should' or 'test that'")
        if not isinstance(desc, str):
            problems.append(f"{rel}: description is not a string")
            continue
        if desc in descs:
            problems.append(f"{rel}: description also used by {descs[desc]}")
        descs[desc] = rel
        if data != serialize(obj):
            problems.append(f"{rel}: not in the canonical file layout")
        if kind == "equivalent":
            if list(obj) != ["id", "description", "members"]:
                problems.append(f"{rel}: keys {list(obj)}")
            continue
        keys = list(obj)
        if keys != [k for k in KEY_ORDER if k in obj] or set(keys) - set(KEY_ORDER):
            problems.append(f"{rel}: keys {keys} not in the order {KEY_ORDER}")
        for c in obj.get("clauses", []):
            cid, row = split_row(c)
            if cid not in clauses:
                problems.append(f"{rel}: clause {c} is not in spec/src")
            elif row is not None and row not in rows.get(cid, []):
                problems.append(f"{rel}: {c}: the table of {cid} has no row {row!r}")
        if len(set(obj.get("clauses", []))) != len(obj.get("clauses", [])) or not obj.get("clauses"):
            problems.append(f"{rel}: clauses empty or repeated")
        expect = obj.get("expect", {})
        want_dir = "encode" if kind == "encode" else "decode"
        if obj.get("direction") != want_dir:
            problems.append(f"{rel}: direction {obj.get('direction')!r}")
        if kind == "valid" and set(expect) != {"value"}:
            problems.append(f"{rel}: a valid vector expects a value")
        if kind == "invalid" and set(expect) != {"error"}:
            problems.append(f"{rel}: an invalid vector expects an error")
        if kind == "encode" and not (expect == {"roundtrip": True} or set(expect) == {"error"} or
                                     _frame_bytes_ok(obj)):
            problems.append(f"{rel}: an encode vector expects roundtrip or an error")
        if "error" in expect:
            code = expect["error"]
            if code not in codes:
                problems.append(f"{rel}: error {code} is not in errors.md's table")
            first_clause = split_row(obj["clauses"][0])[0]
            if code not in clauses.get(first_clause, set()):
                problems.append(f"{rel}: first clause {first_clause} does not name {code}")
        inp = obj.get("input", {})
        if kind in ("valid", "invalid"):
            if len(inp) != 1 or next(iter(inp)) not in ("json", "text", "base64", "concat"):
                problems.append(f"{rel}: input {list(inp)}")
        if kind == "invalid" and ("json" in inp) != ("schemaValid" in obj):
            problems.append(f"{rel}: schemaValid goes with (and only with) a json input")
        if obj.get("profile") != env.profile:  # [vector.profile]
            problems.append(f"{rel}: profile {obj.get('profile')!r} in the folder of "
                            f"{'profile ' + repr(env.profile) if env.profile else 'a marker'}")
        if env.profile and kind in ("valid", "invalid") and \
                next(iter(inp), None) not in ("base64", "text", "concat"):
            problems.append(f"{rel}: a profile's decode input is base64, text or concat")
        src_ = obj.get("source", {})
        # A regenerated envelope records its module's LIBRARIES; a skipped one, some versions.
        libraries = src_.get("libraries")
        libraries_ok = libraries == env.module.LIBRARIES if env.module else _is_versions(libraries)
        if not (("handWritten" in src_ and set(src_) == {"handWritten"}) or
                (src_.get("generator") == GENERATOR and libraries_ok and
                 "expr" in src_ and set(src_) <= {"generator", "libraries", "expr", "mutation"})):
            problems.append(f"{rel}: source {src_}")
        vectors[vid] = (kind, obj)
    for rel, grp in groups:
        vals = set()
        if not isinstance(grp.get("members"), list):
            problems.append(f"{rel}: members missing")
            continue
        for m in grp["members"]:
            kind, obj = vectors.get(m, (None, None))
            if kind != "valid":
                problems.append(f"{rel}: member {m} is not a valid vector")
                continue
            vals.add(json.dumps(obj["expect"]["value"], sort_keys=True))
        if len(vals) != 1 or len(grp.get("members", [])) < 2:
            problems.append(f"{rel}: members do not share one value")
    return vectors


def coverage(vectors: dict, spec):
    """Clause coverage as conventions.md states it, rows included: a row citation id[row] cites
    the clause id too; every row of a clause's table needs a valid vector and, where the clause
    names codes, an invalid one (of any code)."""
    clauses, _, rows = spec
    by_tests = test_cited()
    positive, negative = {}, {}
    row_pos, row_neg = set(), set()
    for vid, (kind, obj) in vectors.items():
        exp = obj["expect"]
        cits = [split_row(c) for c in obj["clauses"]]
        if kind == "valid" or exp.get("roundtrip") is True:
            for c, row in cits:
                positive.setdefault(c, []).append(vid)
                if row is not None:
                    row_pos.add((c, row))
        elif "error" in exp:
            for c, row in cits:
                if c in clauses and exp["error"] in clauses[c]:
                    negative.setdefault((c, exp["error"]), []).append(vid)
                if row is not None:
                    row_neg.add((c, row))
    cited = set(positive) | {c for c, _ in negative} | {
        split_row(c)[0] for _, (kind, obj) in vectors.items() for c in obj["clauses"]}
    no_valid = sorted(c for c in clauses if c not in positive and not c.startswith(META) and c not in by_tests)
    no_valid += sorted(f"{c} (no vector at all)" for c in clauses
                       if c.startswith(META) and c not in cited)
    no_invalid = sorted((c, code) for c, rej in clauses.items() for code in rej
                        if (c, code) not in negative)
    no_valid += [f"{c}[{r}]" for c, rs in sorted(rows.items()) for r in rs if (c, r) not in row_pos]
    no_invalid += [(f"{c}[{r}]", "(any code)") for c, rs in sorted(rows.items()) for r in rs
                   if clauses[c] and (c, r) not in row_neg]
    return positive, negative, no_valid, no_invalid


def cmd_check(envelopes) -> int:
    """Regenerate every envelope whose requirements import and compare with the files on disk;
    check MANIFEST.sha256 over every file; lint every file and print the clause coverage."""
    problems = []
    on_disk = vector_files(V1)
    for env in envelopes:
        if env.module is None and not env.optional:
            problems.append(f"{env.folder}: {env.missing}, and only an OPTIONAL envelope may be "
                            f"skipped (install {requirements_file(env)})")
        elif env.module is None:
            print(skip_line(env, on_disk, "checked against MANIFEST.sha256 (and linted) only, "
                                          "not regenerated"))
    for S in build_suites([e for e in envelopes if e.module is not None]):
        generated = suite_bytes(S)
        ours = {rel: data for rel, data in on_disk.items()
                if any(rel.startswith(f"{S.folder}/{k}/") for k in KINDS)}
        for rel in sorted(set(ours) | set(generated)):
            if rel not in ours:
                problems.append(f"{rel}: generated but not on disk")
            elif rel not in generated:
                problems.append(f"{rel}: on disk but not generated")
            elif ours[rel] != generated[rel]:
                problems.append(f"{rel}: differs from what the generator writes")
    manifest_path = V1 / "MANIFEST.sha256"
    want = manifest_text(on_disk)
    have = manifest_path.read_text(encoding="ascii") if manifest_path.exists() else ""
    if have != want:
        listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0]
                  for line in have.splitlines() if "  " in line}
        for rel, data in sorted(on_disk.items()):
            if listed.get(rel) != hashlib.sha256(data).hexdigest():
                problems.append(f"MANIFEST.sha256: {rel} missing or with another sha256")
        for rel in sorted(set(listed) - set(on_disk)):
            problems.append(f"MANIFEST.sha256: lists {rel}, which does not exist")
        if not problems:
            problems.append("MANIFEST.sha256: not sorted or not in sha256sum format")
    spec = spec_clauses()
    vectors = lint(on_disk, spec, envelopes, problems)
    positive, negative, no_valid, no_invalid = coverage(vectors, spec)

    counts = {}
    for kind, obj in vectors.values():
        key = kind if kind != "encode" else ("encode-roundtrip" if "roundtrip" in obj["expect"]
                                             else "encode-error")
        counts[key] = counts.get(key, 0) + 1
    groups = sum(1 for rel in on_disk if rel.split("/")[1:2] == ["equivalent"])
    print("vectors: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) +
          f", {groups} equivalence groups")
    print("clause coverage:")
    print(f"  clauses without a valid vector: {', '.join(no_valid) or 'none'}")
    print("  (clause, code) pairs without an invalid vector: " +
          (", ".join(f"{c} {e}" for c, e in no_invalid) or "none"))
    print("  meta clauses (" + ", ".join(META) + "*) need only a citing vector")
    if no_valid or no_invalid:
        problems.append("clause coverage is incomplete")
    if problems:
        print(f"check FAILED, {len(problems)} problem(s):")
        for p in problems:
            print(f"  {p}")
        return 1
    print("check passed")
    return 0
