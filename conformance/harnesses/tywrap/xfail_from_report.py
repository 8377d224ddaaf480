#!/usr/bin/env python3
"""Write the expected-failure file for `harness.py --decoder ts` from a runner report.

    cargo run -p sciwire-conformance -- run \
        --impl 'python3 conformance/harnesses/tywrap/harness.py --tywrap /path/to/tywrap --decoder ts' \
        --report /tmp/tywrap-ts.jsonl
    python3 conformance/harnesses/tywrap/xfail_from_report.py /tmp/tywrap-ts.jsonl \
        conformance/harnesses/tywrap/expected-failures.txt \
        > conformance/harnesses/tywrap/expected-failures-ts-decoder.txt

Every case of the report that is not a pass (fail, errored, wrong-code) gets a
line, with the reason read off what the runner recorded (the categories below,
each checked by hand against tywrap's source); the encode entries are copied
from the second file. Prints a count per reason on standard error. A reason
starting UNCATEGORISED needs a look (and a category here).
"""
import collections
import json
import re
import sys

rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r.get("type") == "case"]
enc_x = {}
for line in open(sys.argv[2]):
    if line.strip() and not line.startswith("#"):
        p, reason = line.split("#", 1)
        enc_x[p.strip()] = reason.strip()

def reason(r):
    a, e, i = r["actual"] or "", r["expected"] or "", r["id"]
    m = re.search(r"E_[A-Z0-9_]+", e)
    e = m.group(0) if m else e
    st = r["status"]
    if st == "xfail":  # a report written with --xfail: judge by what was recorded
        st = "wrong-code" if re.fullmatch(r"E_[A-Z0-9_]+", a) and re.fullmatch(r"E_[A-Z0-9_]+", e) else "fail"
    if st == "wrong-code":
        m = re.search(r"E_[A-Z0-9_]+", a)
        return f"tywrap rejects it; its message reads as {m.group(0) if m else '?'} (expected {e})"
    if i.startswith("eq-ndarray-float16"):
        return "Arrow float16 decodes to raw binary16 words (apache-arrow toArray on HALF), so the arrow and json members differ"
    if "died (killed by signal" in a:
        return "tywrap's decoder runs node out of memory (aborts): it materialises what the shape or the Arrow metadata claims, with no limit"
    if "timed out" in a:
        return "tywrap's decoder takes longer than the case budget: no limit on what it materialises"
    if "non-finite number" in a:
        return "tywrap rejects the whole response when an Arrow float column holds NaN or +-Infinity (assertNoSpecialFloats)"
    if "returned the input undecoded" in a:
        return "tywrap passes values that are not ndarray envelopes (no object, no or unknown marker) through undecoded"
    if "which is not in sciwire's dtype table" in a:
        return "tywrap accepts any non-empty dtype string (and with Arrow decodes the column whatever it is)"
    if "dimensions; a canonical value has at most 64" in a:
        return "tywrap has no limit on the number of dimensions"
    if "longer than" in a:
        return "tywrap does not check string or byte-string widths against dtype"
    if '{"null": true}' in a:
        return "tywrap returns Arrow nulls as null elements instead of rejecting"
    if "not a number" in a or "not a boolean" in a or "not a string" in a or "not a byte string" in a \
            or "not an integer" in a or "outside" in a:
        if e == "E_ARROW_NULLS":
            return "tywrap returns Arrow nulls as null elements instead of rejecting"
        if e == "E_DTYPE_MISMATCH":
            return "tywrap never compares the Arrow column type with dtype"
        if e == "E_DTYPE_UNSUPPORTED":
            return "tywrap accepts datetime, timedelta and string dtypes with the json encoding and returns the leaves as they are"
        return "tywrap does not check JSON leaves against dtype (kind, integrality, range)"
    if i.startswith("ndarray-arrow-float16") or i == "ndarray-text-b64-solidus-escape":
        return "Arrow float16 decodes to raw binary16 words (apache-arrow toArray on HALF): 1.5 comes back as 15872"
    if i.startswith("ndarray-arrow-datetime64-d"):
        return "Arrow Date32 decodes to epoch milliseconds (apache-arrow), not the day count dtype datetime64[D] means"
    if st == "fail" and a.startswith("value"):
        return {
            "E_ARROW_PAYLOAD": "tywrap hands the bytes to apache-arrow's tableFromIPC, which accepts this malformed or disallowed stream",
            "E_DTYPE_MISMATCH": "tywrap never compares the Arrow column type with dtype",
            "E_ARROW_SCHEMA": "tywrap reads the first Arrow column whatever its name and however many there are",
            "E_ARROW_NULLS": "tywrap does not check Arrow nulls: for numbers apache-arrow's toArray returns whatever bytes lie under a null",
            "E_VALUE_DOMAIN": "tywrap does not check element values (trailing zeros, widths, JSON leaf values) against dtype",
            "E_JSON_SYNTAX": "JavaScript's JSON.parse accepts it (lone surrogates; invalid UTF-8 was already replaced by U+FFFD)",
            "E_JSON_DUPLICATE_KEY": "JavaScript's JSON.parse keeps the last of duplicate keys",
            "E_LIMIT_EXCEEDED": "tywrap has none of sciwire's depth, element or size limits",
            "E_UNKNOWN_FIELD": "tywrap ignores members an ndarray envelope may not have",
            "E_DTYPE_UNSUPPORTED": "tywrap accepts datetime, timedelta and string dtypes with the json encoding",
            "E_BASE64": "tywrap's base64 check is a regular expression that does not look at the unused low bits",
            "E_SHAPE_MISMATCH": "tywrap does not check the element count here",
            "E_CODEC_VERSION": "tywrap accepts this codecVersion",
        }.get(e, f"accepted, expected {e}")
    return f"UNCATEGORISED {st}: {a[:120]}"

out = []
for r in rows:
    # encode cases: their entries come from the second file
    if r["status"] in ("pass", "skipped", "xpass") or "/encode/" in r.get("path", ""):
        continue
    out.append((r["id"], reason(r)))
c = collections.Counter(x for _, x in out)
for k, v in c.most_common():
    print(f"# {v:4}  {k}", file=sys.stderr)
print("# Expected failures of `harness.py --decoder ts` (tywrap 0.10.0's Python producer and TypeScript")
print("# decoder, apache-arrow 21.2.0), measured with sciwire-conformance run --report; see README.md.")
print("# The encode entries are those of expected-failures.txt.")
for line in open(sys.argv[2]):
    if line.strip() and not line.startswith("#"):
        print(line.rstrip())
for i, why in sorted(out):
    print(f"{i}  # {why}")
