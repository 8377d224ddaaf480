#!/usr/bin/env python3
"""Builds the sciwire site (issue #13): stages spec/src, adds what is generated
from schemas/v1, vectors/v1 and the runner's JSON Lines reports, runs mdBook,
and checks the built HTML.

Standard library only. Usage (scripts/site calls it):

    python3 site/generate.py --mdbook target/tools/bin/mdbook [--reports DIR] [--out DIR]

What is generated (nothing here is copied by hand into spec/src):
- an anchor id="<clause id>" on every clause, and every clause reference
  (`[**[id]**](page.md)`, `**[id]**`, `[id]`) linked to its clause; a
  reference that names no clause fails the build;
- on each page that has one, its JSON Schema(s), and on each envelope page
  worked examples picked from the vectors (one valid, one invalid);
- on errors.md, each code with the clauses that raise it and one invalid
  vector;
- traceability.md (clause -> page, vectors, per implementation results),
  results.md and one SVG badge per implementation, from the reports.

The build fails (exit 1) on a broken internal link or anchor in the built
HTML, on a clause reference that names no clause, and on a clause that has
no anchor in the built page.
"""

import argparse
import base64
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
SPEC_SRC = ROOT / "spec" / "src"
SCHEMAS = ROOT / "schemas" / "v1"
VECTORS = ROOT / "vectors" / "v1"

ID_WORD = r"[a-z0-9-]+"
CLAUSE_ID = rf"{ID_WORD}(?:\.{ID_WORD})+"
REF_ID = rf"{ID_WORD}(?:\.(?:{ID_WORD}|\*))+"  # [limits.*] names every limits clause

# page -> (vector folders its examples come from, schema files shown on it)
ENVELOPE_PAGES = {
    "ndarray.md": ("ndarray", ["ndarray.schema.json"]),
    "scipy-sparse.md": ("scipy.sparse", ["scipy-sparse.schema.json"]),
    "torch-tensor.md": ("torch.tensor", ["torch-tensor.schema.json"]),
    "sklearn-estimator.md": ("sklearn.estimator", ["sklearn-estimator.schema.json"]),
    "dataframe.md": ("dataframe", ["dataframe.schema.json"]),
    "series.md": ("series", ["series.schema.json"]),
    "frame.md": ("frame", ["frame-header.schema.json"]),
    "flame.md": ("flame", []),
}
OTHER_SCHEMA_PAGES = {
    "envelope.md": ["envelope.schema.json", "common.schema.json"],
    "canonical-value.md": ["canonical-value.schema.json"],
    "errors.md": ["error.schema.json"],
    "vectors.md": ["vector.schema.json", "equivalence.schema.json"],
    "harness.md": ["harness/request.schema.json", "harness/start.schema.json", "harness/decode.schema.json",
                   "harness/encode.schema.json", "harness/stop.schema.json", "harness/common.schema.json"],
}
STATUS_ORDER = ["pass", "xfail", "left-out", "wrong-code", "fail", "noncanonical", "errored", "skipped", "xpass"]


class BuildError(Exception):
    pass


# ---------------------------------------------------------------- clauses

def parse_clauses(page, text):
    """The clauses of one page, as conformance/src/clauses.rs reads them:
    `**[id]**` at the start of a paragraph, outside code blocks, up to the
    next clause or heading; its codes are the `rejects `E_…`` it names."""
    out = []
    cur = None
    in_code = False
    prev_blank = True
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code:
            continue
        if line.startswith("#") and cur:
            out.append(cur)
            cur = None
        m = re.match(r"\*\*\[([^\]]*)\]\*\*", line)
        if prev_blank and m:
            if not re.fullmatch(CLAUSE_ID, m.group(1)):
                raise BuildError(f"{page}: malformed clause id {m.group(1)!r}")
            if cur:
                out.append(cur)
            cur = {"id": m.group(1), "page": page, "body": ""}
        if cur:
            cur["body"] += line + "\n"
        prev_blank = not line.strip()
    if cur:
        out.append(cur)
    for c in out:
        body = " ".join(c["body"].split())
        c["codes"] = re.findall(r"rejects `(E_[A-Z0-9_]+)`", body)
    return out


def read_clauses(pages):
    clauses = {}
    for name, text in pages.items():
        for c in parse_clauses(name, text):
            if c["id"] in clauses:
                raise BuildError(f"clause {c['id']} is defined twice")
            clauses[c["id"]] = c
    return clauses


# ---------------------------------------------------------------- vectors

def input_bytes(inp):
    """The input's bytes, or None for an input too large to store (concat)."""
    if "json" in inp:
        return json.dumps(inp["json"], ensure_ascii=False).encode()
    if "text" in inp:
        return inp["text"].encode()
    if "base64" in inp:
        return base64.b64decode(inp["base64"])
    return None


def read_vectors():
    vectors = {}
    groups = []
    for path in sorted(VECTORS.rglob("*.json")):
        rel = path.relative_to(VECTORS)
        folder, kind = rel.parts[0], rel.parts[1]
        v = json.loads(path.read_text())
        v["_folder"], v["_kind"], v["_path"] = folder, kind, f"vectors/v1/{rel.as_posix()}"
        if kind == "equivalent":
            groups.append(v)
            continue
        v["_size"] = path.stat().st_size
        # a citation may name a row of the clause's table, `id[row]`: the clause is the id
        v["_cited"] = v["clauses"]
        v["clauses"] = list(dict.fromkeys(c.split("[", 1)[0] for c in v["clauses"]))
        vectors[v["id"]] = v
    return vectors, groups


def is_frame(v):
    inp = v["input"]
    return "base64" in inp and v.get("profile") != "flame" and inp["base64"].startswith("w")  # 0xc1 -> "w"


# ---------------------------------------------------------------- reports

def read_test_citations():
    """Clause citations in the runner's tests (`// clause: <id>`), which cover
    the clauses no vector can (the harness protocol), as
    conformance/src/clauses.rs reads them."""
    out = defaultdict(list)
    for f in sorted((ROOT / "conformance" / "tests").glob("*.rs")):
        for n, line in enumerate(f.read_text().split("\n"), 1):
            t = line.strip()
            if t.startswith("// clause: "):
                out[t[len("// clause: "):].strip()].append(f"conformance/tests/{f.name}:{n}")
    return out


def read_reports(folder):
    reports = []
    for path in sorted(Path(folder).glob("*.jsonl")) if Path(folder).is_dir() else []:
        rep = {"file": path, "name": path.stem, "cases": [], "left_out": [], "header": {}, "footer": {}}
        for n, line in enumerate(path.read_text().split("\n"), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise BuildError(f"{path}:{n}: not JSON: {e}")
            t = rec.get("type")
            if t == "header":
                rep["header"] = rec
            elif t == "case":
                rep["cases"].append(rec)
            elif t == "left-out":
                rep["left_out"].append(rec)
            elif t == "footer":
                rep["footer"] = rec
        if not rep["header"] or not rep["footer"]:
            raise BuildError(f"{path}: no header or no footer line: not a whole `sciwire-conformance run --report` file")
        reports.append(rep)
    return reports


def envelope_of(path):
    """The envelope folder of a report's case path (`ndarray/valid/x.json`,
    relative to the suite; older runners may prefix `vectors/v1/`)."""
    parts = (path or "").split("/")
    if parts[:2] == ["vectors", "v1"]:
        parts = parts[2:]
    return parts[0] if len(parts) > 1 else "?"


def short_status(s):
    return {"pass": "pass", "xfail": "expected failure", "left-out": "left out"}.get(s, s)


# ---------------------------------------------------------------- markdown rewriting

def link_refs(line, clauses, page, where, errors):
    """Links every clause reference on one line (outside code spans)."""
    def target(cid):
        if cid.endswith(".*"):
            prefix = cid[:-1]
            hits = sorted(c for c in clauses if c.startswith(prefix))
            if not hits:
                errors.append(f"{where}: reference [{cid}] names no clause")
                return None
            return clauses[hits[0]]["page"]
        if cid not in clauses:
            errors.append(f"{where}: reference [{cid}] names no clause")
            return None
        return f"{clauses[cid]['page']}#{cid}"

    def full_link(m):
        cid, href = m.group(1), m.group(2)
        t = target(cid)
        if t is None:
            return m.group(0)
        linked_page = href.split("#")[0] or page
        if linked_page != clauses[cid]["page"]:
            errors.append(f"{where}: [**[{cid}]**]({href}) links to {linked_page}, but the clause is on {clauses[cid]['page']}")
        return f"[**[{cid}]**]({t})"

    def bold(m):
        t = target(m.group(1))
        return m.group(0) if t is None else f"[**[{m.group(1)}]**]({t})"

    def plain(m):
        t = target(m.group(1))
        return m.group(0) if t is None else f"[\\[{m.group(1)}\\]]({t})"

    parts = line.split("`")
    for i in range(0, len(parts), 2):  # even parts are outside code spans
        s = parts[i]
        s = re.sub(rf"\[\*\*\[({CLAUSE_ID})\]\*\*\]\(([^)\s]*)\)", full_link, s)
        s = re.sub(rf"(?<!\[)\*\*\[({CLAUSE_ID})\]\*\*(?!\])", bold, s)
        s = re.sub(rf"(?<![\[\]\w*\\])\[({REF_ID})\](?![\[(:\]])", plain, s)
        parts[i] = s
    return "`".join(parts)


def stage_page(name, text, clauses, errors):
    out = []
    in_code = False
    prev_blank = True
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
            out.append(line)
            prev_blank = False
            continue
        if in_code:
            out.append(line)
            continue
        m = re.match(rf"\*\*\[({CLAUSE_ID})\]\*\*", line)
        if prev_blank and m and m.group(1) in clauses:
            cid = m.group(1)
            rest = link_refs(line[m.end():], clauses, name, f"{name}:{n}", errors)
            line = f'<a class="clause-id" id="{cid}" href="#{cid}">**[{cid}]**</a>{rest}'
        else:
            line = link_refs(line, clauses, name, f"{name}:{n}", errors)
        out.append(line)
        prev_blank = not line.strip()
    return "\n".join(out) + "\n"


def expand_includes(name, text):
    """Expands `{{#include PATH}}` (relative to spec/src, as mdBook reads
    it), so that the staged copy carries the file's text itself."""
    def sub(m):
        p = (SPEC_SRC / m.group(1).strip()).resolve()
        if not p.is_file():
            raise BuildError(f"{name}: {{{{#include {m.group(1)}}}}}: no such file {p}")
        return p.read_text().rstrip("\n")
    return re.sub(r"\{\{#include ([^}]+)\}\}", sub, text)


# ---------------------------------------------------------------- generated sections

def code_block(lang, text):
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{lang}\n{text}\n{fence}"


def compact_json(value):
    """One line when short, else one top-level member per line."""
    s = json.dumps(value, ensure_ascii=False)
    if len(s) <= 100 or not isinstance(value, dict):
        return s
    members = [f" {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()]
    return "{\n" + ",\n".join(members) + "\n}"


def show_input(v):
    inp = v["input"]
    if "json" in inp:
        return "JSON text", code_block("json", compact_json(inp["json"]))
    if "text" in inp:
        return "these exact bytes, as UTF-8 text", code_block("text", inp["text"])
    b = input_bytes(inp)
    lines = []
    for off in range(0, len(b), 16):
        chunk = b[off:off + 16]
        asc = "".join(chr(c) if 32 <= c < 127 else "." for c in chunk)
        lines.append(f"{off:06x}  {chunk.hex(' '):<47}  {asc}")
    return f"{len(b)} bytes (hex dump)", code_block("text", "\n".join(lines))


def example_size(v):
    b = input_bytes(v["input"]) if v["_kind"] != "encode" else None
    return len(b) if b is not None else 10 ** 9


def pick_example(cands):
    """A short input (at most 600 bytes) from a real producer (a valid vector
    whose source names the expression that built it; an invalid vector
    mutated from such output), closest to 200 bytes, the id breaking ties."""
    short = [v for v in cands if example_size(v) <= 600]
    if not short:
        return None

    def rank(v):
        src = v.get("source", {})
        real = "handWritten" not in src and ("mutation" in src if v["_kind"] == "invalid" else "mutation" not in src)
        return (not real, "json" not in v["input"] and v.get("profile") != "flame" and not is_frame(v),
                len(v["clauses"]) > 3 and v["_kind"] == "invalid", abs(example_size(v) - 200), v["id"])
    return min(short, key=rank)


def clause_link(cid, clauses):
    return f"[`{cid}`]({clauses[cid]['page']}#{cid})" if cid in clauses else f"`{cid}`"


def envelope_section(page, vectors, clauses):
    folder, schema_files = ENVELOPE_PAGES[page]
    if folder == "frame":
        pool = [v for v in vectors.values() if is_frame(v)]
    else:
        pool = [v for v in vectors.values() if v["_folder"] == folder and not is_frame(v)]
    valid = pick_example([v for v in pool if v["_kind"] == "valid"])
    invalid = pick_example([v for v in pool if v["_kind"] == "invalid"])
    counts = defaultdict(int)
    for v in pool:
        counts[v["_kind"]] += 1
    out = ["", "## Worked examples (generated from the vectors)", "",
           f"*Generated at build time from `vectors/v1/` ({counts['valid']} valid, {counts['invalid']} invalid and "
           f"{counts['encode']} encode vectors for this page); every clause they cite is listed in the "
           f"[traceability index](traceability.md).*", ""]
    for label, v in (("A valid input", valid), ("An invalid input", invalid)):
        if v is None:
            continue
        what, block = show_input(v)
        out += [f"### {label}: `{v['id']}`", "", f"{v['description']} (`{v['_path']}`). The input, {what}:", "", block, ""]
        if "value" in v["expect"]:
            out += ["decodes to the canonical value:", "",
                    code_block("json", json.dumps(v["expect"]["value"], ensure_ascii=False)), ""]
        else:
            first = v["clauses"][0]
            out += [f"is rejected with **`{v['expect']['error']}`**: it breaks {clause_link(first, clauses)}.", ""]
        rest = ", ".join(clause_link(c, clauses) for c in v["clauses"])
        out += [f"Clauses this vector exercises: {rest}.", ""]
    out += schema_section(schema_files)
    return "\n".join(out)


def schema_section(files):
    if not files:
        return []
    out = ["", "## JSON Schema (generated from `schemas/v1/`)", ""]
    for f in files:
        text = (SCHEMAS / f).read_text()
        try:
            title = json.loads(text).get("title", f)
        except json.JSONDecodeError as e:
            raise BuildError(f"schemas/v1/{f}: {e}")
        out += [f"<details><summary><code>schemas/v1/{f}</code>: {html.escape(title)} "
                f"({len(text):,} bytes)</summary>", "", code_block("json", text.rstrip("\n")), "", "</details>", ""]
    return out


def errors_section(errors_text, clauses, vectors):
    codes = re.findall(r"^\| `(E_[A-Z0-9_]+)` \|", errors_text, re.M)
    raised = defaultdict(list)
    for c in clauses.values():
        for code in c["codes"]:
            if c["id"] not in raised[code]:
                raised[code].append(c["id"])
    # The table's "raised by" column also names clauses that raise a code by
    # reference ("with its codes"), without a **rejects** line of their own.
    for m in re.finditer(r"^\| `(E_[A-Z0-9_]+)` \|.*\| ([^|]*) \|$", errors_text, re.M):
        for cid in re.findall(rf"\[({CLAUSE_ID})\]", m.group(2)):
            if cid in clauses and cid not in raised[m.group(1)]:
                raised[m.group(1)].append(cid)
    by_code = defaultdict(list)
    for v in vectors.values():
        if v["_kind"] == "invalid":
            by_code[v["expect"]["error"]].append(v)
    out = ["", "## Each code: its clauses and one vector (generated)", "",
           "*Generated at build time from the clauses' **rejects** lines, the table's last column and "
           "`vectors/v1/`: the clauses that raise each code, and one invalid vector that expects it (the "
           "shortest input).*", ""]
    for code in codes:
        out += [f"### `{code}`", ""]
        cl = raised.get(code, [])
        out += ["Raised by " + (", ".join(clause_link(c, clauses) for c in cl) if cl else "no clause") + ".", ""]
        cands = sorted(by_code.get(code, []), key=lambda v: (example_size(v), v["id"]))
        if cands:
            v = cands[0]
            what, block = show_input(v)
            out += [f"One of its {len(cands)} invalid vectors: `{v['id']}` ({v['description']}), first clause "
                    f"{clause_link(v['clauses'][0], clauses)}; input, {what}:", "",
                    block if example_size(v) <= 600 else "*(input too long to show)*", ""]
        else:
            out += ["No invalid vector expects it.", ""]
    unknown = sorted(set(raised) - set(codes))
    if unknown:
        raise BuildError(f"errors.md: clauses name codes missing from its table: {', '.join(unknown)}")
    return "\n".join(out)


def tutorial_outcome(path):
    """What site/check_tutorial.py measured when this site was built."""
    if not path.is_file():
        return "\n*This build did not run the tutorial's harnesses (no `tutorial-outcome.json`).*\n"
    o = json.loads(path.read_text())
    py, js = o.get("python", {}), o.get("javascript", {})
    return ("\n## Checked when this site was built\n\n"
            f"On the suite this site was built from, with `--case 'ndarray-*'`: the Python harness "
            f"{counts_text(py)}, the JavaScript harness {counts_text(js)}; both conform. With the `-0` rule "
            f"removed (step 4), the failing cases are: {', '.join('`' + c + '`' for c in o.get('step4_failing', []))}.\n")


# ---------------------------------------------------------------- results and traceability

def report_stats(rep, vectors, group_folder):
    """(per envelope status counts, per clause status counts, xfails, left-out reasons)."""
    per_env = defaultdict(lambda: defaultdict(int))
    per_clause = defaultdict(lambda: defaultdict(int))
    xfails = []
    for r in rep["cases"]:
        env = envelope_of(r.get("path"))
        st = r["status"]
        per_env[env][st] += 1
        clauses = r.get("clauses") or (vectors[r["id"]]["clauses"] if r["id"] in vectors else [])
        for c in dict.fromkeys(c.split("[", 1)[0] for c in clauses):
            per_clause[c][st] += 1
        if st == "xfail":
            xfails.append((r["id"], r.get("xfail_reason") or ""))
    reasons = defaultdict(int)
    for r in rep["left_out"]:
        v = vectors.get(r["id"])
        env = v["_folder"] if v else group_folder.get(r["id"], "?")
        per_env[env]["left-out"] += 1
        reasons[r.get("reason", "?")] += 1
        for c in (v["clauses"] if v else []):
            per_clause[c]["left-out"] += 1
    return per_env, per_clause, xfails, reasons


def counts_text(d):
    return ", ".join(f"{d[s]} {short_status(s)}" for s in STATUS_ORDER if d.get(s)) or "—"


def badge_svg(label, message, color):
    def width(s):
        return int(sum(7.2 if ch.isupper() else 6.1 for ch in s)) + 12
    lw, mw = width(label), width(message)
    e = html.escape
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{lw + mw}" height="20" role="img" aria-label="{e(label)}: {e(message)}">
<title>{e(label)}: {e(message)}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="{lw + mw}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{mw}" height="20" fill="{color}"/><rect width="{lw + mw}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="{lw / 2}" y="14">{e(label)}</text><text x="{lw + mw / 2}" y="14">{e(message)}</text></g>
</svg>
"""


def manifest_digest():
    return hashlib.sha256((VECTORS / "MANIFEST.sha256").read_bytes()).hexdigest()


def results_page(reports, vectors, groups, reports_dir, badges_dir):
    envs = sorted({v["_folder"] for v in vectors.values()})
    group_folder = {g["id"]: g["_folder"] for g in groups}
    out = ["# Conformance results", "",
           "*Generated at build time from the conformance runner's JSON Lines reports "
           "(`sciwire-conformance run --report FILE`).*", ""]
    if not reports:
        out += [f"**No reports were found in `{reports_dir}`**: this build shows no results. Run the "
                "implementations with `--report` (see [the tutorial](tutorial.md)) and build again.", ""]
        return "\n".join(out), {}
    digest = manifest_digest()
    out += ["## Reports used", "", "| report | implementation | runner | suite | verdict |", "|---|---|---|---|---|"]
    for rep in reports:
        h, f = rep["header"], rep["footer"]
        suite = "this suite" if h.get("suite_manifest_sha256") in (digest, None) else \
            f"**another version of the suite** (manifest `{str(h.get('suite_manifest_sha256'))[:12]}…`)"
        verdict = "conforms" if f.get("conforms") else "**does not conform**"
        out.append(f"| `{rep['file'].name}` | {h.get('implementation', '?')} | {h.get('runner', '?')} | {suite} | {verdict} |")
    out += ["", f"Reports read from `{reports_dir}`; suite manifest sha256 `{digest[:16]}…`.", ""]
    out += ["## Badges", ""]
    stats = {}
    for rep in reports:
        per_env, per_clause, xfails, reasons = report_stats(rep, vectors, group_folder)
        stats[rep["name"]] = (per_env, per_clause, xfails, reasons)
        tot = defaultdict(int)
        for d in per_env.values():
            for k, n in d.items():
                tot[k] += n
        bad = sum(n for k, n in tot.items() if k not in ("pass", "xfail", "left-out", "skipped", "wrong-code"))
        msg = f"{tot['pass']} pass" + (f", {tot['xfail']} xfail" if tot["xfail"] else "") + (f", {bad} failing" if bad else "")
        color = "#4c1" if rep["footer"].get("conforms") else "#e05d44"
        (badges_dir / f"{rep['name']}.svg").write_text(badge_svg(f"sciwire {rep['name']}", msg, color))
        out.append(f"![{rep['name']}: {msg}](badges/{rep['name']}.svg) ")
    out += ["", "Each badge is `badges/<implementation>.svg` on this site.", ""]
    out += ["## Envelope × implementation", "",
            "Cases per envelope folder of `vectors/v1/` (equivalence groups included): passed, expected failures "
            "(listed in the implementation's expected-failure file, each with its reason below), and left out "
            "(outside the capabilities the harness declares, [**[harness.capabilities]**](harness.md#harness.capabilities)).", ""]
    out += ["| envelope | " + " | ".join(rep["name"] for rep in reports) + " |", "|---|" + "---|" * len(reports)]
    if any("?" in stats[rep["name"]][0] for rep in reports):
        envs = envs + ["?"]
    for env in envs:
        label = "(not in this suite)" if env == "?" else f"`{env}`"
        out.append(f"| {label} | " + " | ".join(counts_text(stats[rep["name"]][0].get(env, {})) for rep in reports) + " |")
    out.append("")
    for rep in reports:
        per_env, _, xfails, reasons = stats[rep["name"]]
        h, f = rep["header"], rep["footer"]
        out += [f"## {rep['name']}", "", f"`{rep['file'].name}`: {h.get('implementation', '?')}, "
                f"{len(rep['cases']) + len(rep['left_out'])} cases, {len(rep['cases'])} of them run, in "
                f"{f.get('elapsed_s', 0):.1f} s: "
                + counts_text({k: v for k, v in (f.get('counts') or {}).items()}) + ".", ""]
        if reasons:
            out += ["Left out, by reason:", ""] + [f"- {why}: {n}" for why, n in sorted(reasons.items())] + [""]
        if xfails:
            out += [f"<details><summary>{len(xfails)} expected failures, each with its reason</summary>", "",
                    "| case | reason |", "|---|---|"]
            out += [f"| `{cid}` | {html.escape(why).replace('|', '&#124;')} |" for cid, why in sorted(xfails)]
            out += ["", "</details>", ""]
        fails = [r for r in rep["cases"] if r["status"] not in ("pass", "xfail", "skipped", "wrong-code")]
        if fails:
            out += [f"Not passing ({len(fails)}): " + ", ".join(f"`{r['id']}` ({r['status']})" for r in fails[:50]), ""]
    return "\n".join(out), stats


def compact_counts(d):
    names = {"pass": "✓", "xfail": "xfail", "left-out": "out"}
    return " ".join(f"{d[k]} {names.get(k, k)}" for k in STATUS_ORDER if d.get(k)) or "—"


def traceability_page(clauses, page_order, summary_lines, vectors, reports, stats, tests):
    valid, invalid_first, invalid_any, encode = (defaultdict(list) for _ in range(4))
    for v in vectors.values():
        for i, c in enumerate(v["clauses"]):
            if v["_kind"] == "valid":
                valid[c].append(v)
            elif v["_kind"] == "invalid":
                (invalid_first if i == 0 else invalid_any)[c].append(v)
            elif v["_kind"] == "encode":
                encode[c].append(v)
    names = [r["name"] for r in reports]
    e = html.escape
    out = ["# Clause traceability", "",
           f"*Generated at build time: {len(clauses)} clauses on {len(page_order)} pages, "
           f"{len(vectors)} vectors in `vectors/v1/`, and the results of "
           + (", ".join(names) if names else "no implementation (no reports found)") +
           " from the [conformance results](results.md).*", "",
           "For each clause: its codes; the vectors that cite it (open the cell for their ids: every invalid "
           "vector that lists it first, i.e. expects its code, and the five most specific valid and encode vectors, "
           "those citing the fewest clauses); and for each implementation the cases citing it that pass (✓), are "
           "expected failures (xfail) or are left out (out). The clauses of the harness protocol, which no vector can exercise, "
           "are covered by the runner's own tests (`// clause: <id>` in `conformance/tests/`).", ""]
    missing = []
    titles = dict(re.findall(r"\[([^\]]+)\]\(([^)]+\.md)\)", "\n".join(summary_lines)))
    titles = {v: k for k, v in titles.items()}

    def ids(vs, k=None, code=False):
        vs = sorted(vs, key=lambda v: (len(v["clauses"]), v["id"]))
        shown = vs if k is None else vs[:k]
        return "<br>".join(f"<code>{e(v['id'])}</code>" + (f" → {e(v['expect']['error'])}" if code else "")
                           for v in shown) + (f"<br>… {len(vs) - k} more" if k is not None and len(vs) > k else "")

    for page in page_order:
        cs = [c for c in clauses.values() if c["page"] == page]
        if not cs:
            continue
        out += [f"## {titles.get(page, page)}", "", f"Clauses of [{e(titles.get(page, page))}]({page}), in page order.", "",
                '<div class="trace-wrap"><table class="trace"><thead><tr><th>clause</th><th>codes</th>'
                '<th>vectors</th>' + "".join(f"<th>{e(n)}</th>" for n in names) + "</tr></thead><tbody>"]
        for c in cs:
            cid = c["id"]
            if not (valid[cid] or invalid_first[cid] or invalid_any[cid] or encode[cid] or tests.get(cid)):
                missing.append(cid)
            inv = invalid_first[cid]
            summary = (f"{len(valid[cid])} valid · {len(inv) + len(invalid_any[cid])} invalid"
                       f"{f' ({len(inv)} expect its code)' if inv else ''} · {len(encode[cid])} encode")
            parts = []
            if inv:
                parts.append(f"<b>invalid, expecting its code</b><br>{ids(inv, code=True)}")
            if valid[cid]:
                parts.append(f"<b>valid</b> (the most specific)<br>{ids(valid[cid], 5)}")
            if encode[cid]:
                parts.append(f"<b>encode</b><br>{ids(encode[cid], 5)}")
            rows = defaultdict(lambda: defaultdict(int))
            for v in valid[cid] + inv + invalid_any[cid] + encode[cid]:
                for cited in v["_cited"]:
                    if cited.startswith(cid + "["):
                        rows[cited[len(cid) + 1:-1]][v["_kind"]] += 1
            if rows:
                parts.append(f"<b>rows of its table cited</b> ({len(rows)})<br>" + "<br>".join(
                    f"<code>{e(r)}</code>: " + ", ".join(f"{n} {k}" for k, n in sorted(rows[r].items()))
                    for r in sorted(rows)))
            if tests.get(cid):
                parts.append("<b>the runner's tests</b><br>" + "<br>".join(f"<code>{e(t)}</code>" for t in tests[cid]))
            cell = f"<details><summary>{summary}</summary>{'<br>'.join(parts)}</details>" if parts else summary
            row = (f'<tr><td><a href="{e(page.replace(".md", ".html"))}#{e(cid)}"><code>{e(cid)}</code></a></td>'
                   f"<td>{' '.join('<code>' + e(x) + '</code>' for x in dict.fromkeys(c['codes']))}</td><td>{cell}</td>")
            for n in names:
                d = stats[n][1].get(cid, {})
                row += f"<td>{e(compact_counts(d))}</td>"
            out.append(row + "</tr>")
        out += ["</tbody></table></div>", ""]
    return "\n".join(out), missing


# ---------------------------------------------------------------- HTML checks

class Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if a.get(key) is not None and tag in ("a", "img", "script", "link", "iframe"):
                self.links.append((tag, a[key]))


def check_html(book, clauses):
    parsed = {}
    for p in sorted(book.rglob("*.html")):
        c = Collect()
        c.feed(p.read_text(errors="replace"))
        parsed[p.resolve()] = c
    errors = []
    for p, c in parsed.items():
        rel = p.relative_to(book.resolve())
        if rel.name == "404.html":  # its links are absolute to the site root, by design
            continue
        for tag, url in c.links:
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) or url.startswith("//"):
                continue  # external
            path, _, frag = url.partition("#")
            path = path.split("?")[0]
            target = (p.parent / path).resolve() if path else p
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                errors.append(f"{rel}: <{tag}> {url}: no such file")
                continue
            if frag and target.suffix == ".html":
                if unquote(frag) not in parsed[target].ids:
                    errors.append(f"{rel}: <{tag}> {url}: no element with id {unquote(frag)!r}")
    for cid, c in clauses.items():
        page = (book / c["page"].replace(".md", ".html")).resolve()
        if page not in parsed or cid not in parsed[page].ids:
            errors.append(f"clause {cid}: no anchor id={cid!r} in {c['page'].replace('.md', '.html')}")
    return errors, len(parsed)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mdbook", default=str(ROOT / "target/tools/bin/mdbook"))
    ap.add_argument("--reports", default=str(ROOT / "target/reports"))
    ap.add_argument("--out", default=str(ROOT / "target/site"))
    args = ap.parse_args()
    out = Path(args.out)
    src = out / "src"
    try:
        if src.exists():
            shutil.rmtree(src)
        src.mkdir(parents=True)
        pages = {p.name: p.read_text() for p in sorted(SPEC_SRC.glob("*.md"))}
        clauses = read_clauses({k: v for k, v in pages.items() if k != "SUMMARY.md"})
        summary = pages["SUMMARY.md"]
        page_order = [m for m in re.findall(r"\]\(([^)]+\.md)\)", summary)]
        off_summary = sorted({c["page"] for c in clauses.values()} - set(page_order))
        if off_summary:
            raise BuildError(f"pages with clauses that SUMMARY.md does not list: {', '.join(off_summary)}")
        vectors, groups = read_vectors()
        reports = read_reports(args.reports)
        errors = []
        for name, text in pages.items():
            if name == "SUMMARY.md":
                continue
            text = expand_includes(name, text)
            staged = stage_page(name, text, clauses, errors)
            if name in ENVELOPE_PAGES:
                staged += envelope_section(name, vectors, clauses)
            elif name in OTHER_SCHEMA_PAGES:
                if name == "errors.md":
                    staged += errors_section(text, clauses, vectors)
                staged += "\n".join(schema_section(OTHER_SCHEMA_PAGES[name]))
            if name == "tutorial.md":
                staged += tutorial_outcome(out / "tutorial-outcome.json")
            (src / name).write_text(staged)
        for p in SPEC_SRC.iterdir():  # images and other assets beside the pages
            if p.is_file() and p.suffix != ".md":
                shutil.copy2(p, src / p.name)
        badges = src / "badges"
        badges.mkdir()
        res_text, stats = results_page(reports, vectors, groups, args.reports, badges)
        (src / "results.md").write_text(res_text + "\n")
        trace, missing = traceability_page(clauses, page_order, summary.splitlines(), vectors, reports, stats, read_test_citations())
        (src / "traceability.md").write_text(trace + "\n")
        if missing:
            errors.append("clauses with no vector in the traceability index: " + ", ".join(missing))
        (src / "SUMMARY.md").write_text(summary.rstrip("\n") + "\n\n# Generated\n\n"
                                        "- [Clause traceability](traceability.md)\n"
                                        "- [Conformance results](results.md)\n")
        (out / "site.css").write_text((ROOT / "site" / "site.css").read_text())
        book_toml = (ROOT / "spec" / "book.toml").read_text()
        (out / "book.toml").write_text(book_toml.replace('[output.html]', '[output.html]\nadditional-css = ["site.css"]', 1))
        if errors:
            raise BuildError("\n".join(errors))
        book = out / "book"
        if book.exists():
            shutil.rmtree(book)
        r = subprocess.run([args.mdbook, "build", str(out)], capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError(f"mdbook build failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        html_errors, n_html = check_html(book, clauses)
        if html_errors:
            shown = "\n".join(html_errors[:60])
            more = f"\n… and {len(html_errors) - 60} more" if len(html_errors) > 60 else ""
            raise BuildError(f"broken links or anchors in the built site ({len(html_errors)}):\n{shown}{more}")
    except BuildError as e:
        print(f"site: FAILED\n{e}", file=sys.stderr)
        return 1
    n_pages = len(page_order) + 2
    print(f"site: {out / 'book'}: {n_pages} pages ({len(page_order)} from spec/src, 2 generated), {n_html} HTML files; "
          f"{len(clauses)} clauses, all anchored and indexed; {len(vectors)} vectors and {len(groups)} equivalence groups; "
          f"reports: {', '.join(r['file'].name for r in reports) or 'none'}; links and anchors checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
