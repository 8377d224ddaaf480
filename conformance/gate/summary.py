#!/usr/bin/env python3
"""The job summary of the sciwire GitHub Action (action.yml at the repository root).

Prints Markdown on standard output: the runner's own summary (`--markdown`),
then, read from the JSON Lines report (`--report`), the lines to add to and
remove from the expected-failure file, so that a failing gate says what to do
about it. When the runner stopped before writing its reports (exit status 2),
the end of its output instead. Standard library only; kept under GitHub's
1 MiB step-summary limit."""

import argparse
import json
import os
import sys

LIMIT = 900_000  # bytes of Markdown; GitHub refuses a step summary over 1 MiB
LIST_MAX = 400   # lines per list of expected-failure lines

# Statuses that never count against conformance; `wrong-code` counts only with
# --require-codes. Any other status (fail, errored, and whatever a newer runner
# adds) is a failure that the expected-failure file could list.
NEUTRAL = {"pass", "skipped", "xfail", "xpass"}


def read_report(path):
    cases, footer, header = [], None, None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError as e:
                raise SystemExit(f"summary.py: {path}:{n}: not JSON: {e}")
            kind = rec.get("type")
            if kind == "case":
                cases.append(rec)
            elif kind == "footer":
                footer = rec
            elif kind == "header":
                header = rec
    return header, cases, footer


def first_line(s, width=120):
    s = (s or "").strip().splitlines()
    return s[0][:width] if s else ""


def fenced(lines):
    # a fence longer than any backtick run inside
    fence = "```"
    while any(fence in l for l in lines):
        fence += "`"
    return "\n".join([fence + "text", *lines, fence])


def render(args):
    out = []
    md = os.path.join(args.dir, "summary.md")
    report = os.path.join(args.dir, "report.jsonl")
    output = os.path.join(args.dir, "output.txt")
    if os.path.isfile(md):
        with open(md, encoding="utf-8") as f:
            out.append(f.read().rstrip("\n"))
    else:
        out.append(f"## sciwire conformance: the runner stopped (exit status {args.exit_code or 'unknown'})\n")
        out.append("It wrote no summary: a usage or configuration error, or a harness that did not start. "
                   "The end of its output:\n")
        tail = []
        for name in (output, os.path.join(args.dir, "stderr.txt")):
            if os.path.isfile(name):
                with open(name, encoding="utf-8", errors="replace") as f:
                    # progress is written with carriage returns: keep what each line ends as
                    lines = [l.split("\r")[-1] for l in f.read().splitlines()]
                tail += [l[:300] for l in lines if l.strip()][-40:]
        out.append(fenced(tail or ["(no output; see the run step's log)"]))
    suite = f"suite: sciwire {args.suite_commit or '(commit unknown)'}"
    if args.suite_manifest:
        suite += f", `MANIFEST.sha256` {args.suite_manifest}…"
    out.append(f"\n<sub>{suite}</sub>")

    if os.path.isfile(report):
        _, cases, footer = read_report(report)
        require = args.require_codes == "true"
        add = [c for c in cases
               if c.get("status") not in NEUTRAL and not (c.get("status") == "wrong-code" and not require)]
        remove = [f"{c['id']}  (listed, but passes)" for c in cases if c.get("status") == "xpass"]
        remove += [f"{p}  (matches no case)" for p in (footer or {}).get("unmatched_xfails", [])]
        target = f"`{args.xfail}`" if args.xfail else "an expected-failure file (input `expected-failures`)"
        if add:
            lines = [f"{c['id']}  # {c.get('status')}: {first_line(c.get('actual'))}" for c in add[:LIST_MAX]]
            if len(add) > LIST_MAX:
                lines.append(f"# … and {len(add) - LIST_MAX} more: see report.jsonl")
            out.append(f"\n<details><summary>To accept these {len(add)} failures, add to {target} "
                       "(replace each reason by the defect it is)</summary>\n\n" + fenced(lines) + "\n\n</details>")
        if remove:
            lines = remove[:LIST_MAX]
            if len(remove) > LIST_MAX:
                lines.append(f"… and {len(remove) - LIST_MAX} more: see report.jsonl")
            out.append(f"\n<details open><summary>Remove from {target} ({len(remove)} lines)</summary>\n\n"
                       + fenced(lines) + "\n\n</details>")
    text = "\n".join(out) + "\n"
    data = text.encode("utf-8")
    if len(data) > LIMIT:
        text = data[:LIMIT].decode("utf-8", errors="ignore") + "\n\n…(cut at the step-summary limit: see the reports)\n"
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True, help="the report directory (summary.md, report.jsonl, output.txt, stderr.txt)")
    ap.add_argument("--exit-code", default="")
    ap.add_argument("--require-codes", default="true")
    ap.add_argument("--xfail", default="")
    ap.add_argument("--suite-commit", default="")
    ap.add_argument("--suite-manifest", default="")
    sys.stdout.write(render(ap.parse_args()))


if __name__ == "__main__":
    main()
