#!/usr/bin/env python3
"""Runs the conformance runner against the tutorial's two minimal harnesses
(site/tutorial/), on the commands spec/src/tutorial.md shows, and checks the
outcome the page describes:

- each harness conforms on `--case 'ndarray-*'` (exit 0, no case failed,
  some passed, some skipped), and both pass and skip the same cases;
- the Python harness with the `-0` rule removed (step 4 of the page) fails
  exactly `ndarray-text-float64-negative-zero`.

Writes the numbers to OUT (JSON) for the site's generator. Standard library only.
Usage: check_tutorial.py RUNNER OUT
"""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "site" / "tutorial"


def run(runner, impl, report):
    cmd = [runner, "run", "--quiet", "--require-codes", "--validate-messages", "--impl", impl,
           "--case", "ndarray-*", "--report", str(report)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if not report.is_file():
        sys.exit(f"site: the runner wrote no report (exit {p.returncode}):\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    statuses = {}
    for line in report.read_text().split("\n"):
        if line.strip():
            rec = json.loads(line)
            if rec.get("type") == "case":
                statuses[rec["id"]] = rec["status"]
    return p, statuses


def main():
    runner, out = sys.argv[1], Path(sys.argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    for old in out.parent.glob("tutorial-*.jsonl"):
        old.unlink()
    work = out.parent
    problems = []
    result = {}
    runs = {}
    for name, impl in (("python", f"python3 {TUTORIAL / 'minimal_harness.py'}"),
                       ("javascript", f"node {TUTORIAL / 'minimal_harness.mjs'}")):
        p, st = run(runner, impl, work / f"tutorial-{name}.jsonl")
        counts = {s: list(st.values()).count(s) for s in sorted(set(st.values()))}
        runs[name] = st
        result[name] = counts
        if p.returncode != 0 or set(counts) - {"pass", "skipped"} or not counts.get("pass") or not counts.get("skipped"):
            problems.append(f"the {name} harness: expected exit 0 with passes and skips only, got exit "
                            f"{p.returncode}, {counts}\n{p.stdout[-3000:]}{p.stderr[-2000:]}")
    if runs["python"] != runs["javascript"]:
        differ = sorted(k for k in set(runs["python"]) | set(runs["javascript"])
                        if runs["python"].get(k) != runs["javascript"].get(k))
        problems.append(f"the two harnesses differ on {len(differ)} cases: {differ[:10]}")
    # Step 4 of the page: drop the -0 rule, exactly one case fails.
    src = (TUTORIAL / "minimal_harness.py").read_text()
    rule = 'return -0.0 if s == "-0" else int(s)'
    if rule not in src:
        problems.append(f"minimal_harness.py no longer holds the line step 4 of the tutorial changes: {rule}")
    else:
        mutant = work / "tutorial-mutant.py"
        mutant.write_text(src.replace(rule, "return int(s)"))
        p, st = run(runner, f"python3 {mutant}", work / "tutorial-mutant.jsonl")
        failing = sorted(k for k, s in st.items() if s not in ("pass", "skipped"))
        result["step4_failing"] = failing
        if p.returncode == 0 or failing != ["ndarray-text-float64-negative-zero"]:
            problems.append(f"step 4: expected exactly ndarray-text-float64-negative-zero to fail, got exit "
                            f"{p.returncode}, failing {failing}")
    out.write_text(json.dumps(result, indent=1) + "\n")
    if problems:
        print("site: the tutorial's harnesses do not do what tutorial.md says:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    py = result["python"]
    print(f"site: tutorial harnesses (python, javascript) conform on ndarray-*: {py.get('pass')} passed, "
          f"{py.get('skipped')} skipped each; step 4's change fails exactly {result['step4_failing'][0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
