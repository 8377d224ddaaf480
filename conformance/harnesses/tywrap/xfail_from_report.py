#!/usr/bin/env python3
"""Write the expected-failure file for `harness.py --decoder ts` from a runner report.

    cargo run -p sciwire-conformance -- run \
        --impl 'python3 conformance/harnesses/tywrap/harness.py --tywrap /path/to/tywrap --decoder ts' \
        --report /tmp/tywrap-ts.jsonl
    python3 conformance/harnesses/tywrap/xfail_from_report.py /tmp/tywrap-ts.jsonl \
        conformance/harnesses/tywrap/expected-failures.txt \
        > conformance/harnesses/tywrap/expected-failures-ts-decoder.txt

Every case of the report that is not a pass (fail, errored, wrong-code) gets an
entry, with the reason read off what the runner recorded and, for `errored`
cases (whose expectation the report leaves empty), off the vector itself (the
categories below, each checked by hand against tywrap's source); the encode
entries are copied from the second file. Cases with one reason are grouped
under a glob (`torch-invalid-device-*`) when every case of the suite that the
glob matches has that reason; otherwise they are listed one by one. Prints a
count per reason on standard error. A reason starting UNCATEGORISED needs a
look (and a category here).
"""
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.normpath(os.path.join(HERE, "..", "..", "..", "vectors", "v1"))

rows = [json.loads(l) for l in open(sys.argv[1])]
cases = [r for r in rows if r.get("type") == "case"]
suite_ids = {r["id"] for r in cases} | {r["id"] for r in rows if r.get("type") == "left-out"}
enc_lines = [l.rstrip("\n") for l in open(sys.argv[2])
             if l.strip() and not l.startswith("#")]


def vector(r):
    try:
        with open(os.path.join(SUITE, r["path"]), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError, KeyError):
        return {}


def code_of(text):
    m = re.search(r"E_[A-Z0-9_]+", text or "")
    return m.group(0) if m else ""


MEMBERS = {
    "ndarray": "tywrap ignores members an ndarray envelope may not have",
    "scipy.sparse": "tywrap ignores members a sparse envelope may not have (row/col in csr or csc, "
                    "indices/indptr in coo, b64, nnz, has_sorted_indices, ...)",
    "torch.tensor": "tywrap ignores members a tensor envelope may not have (data, b64, layout, stride, "
                    "requires_grad, source_dtype, ...), in the tensor and in its nested ndarray",
    "sklearn.estimator": "tywrap ignores members an estimator envelope may not have (pickle, joblib, "
                         "state, fitted attributes, ...): metadata only is not enforced",
    "dataframe": "tywrap ignores members a dataframe envelope may not have (data beside b64, b64 beside data, "
                 "shape, dtype, name)",
    "series": "tywrap ignores members a series envelope may not have",
}


def reason(r):
    a, i, st = r["actual"] or "", r["id"], r["status"]
    marker = r.get("path", "").split("/")[0]
    v = vector(r)
    e = code_of(r["expected"]) or code_of(json.dumps(v.get("expect", {}).get("error", "")))
    clauses = r.get("clauses") or v.get("clauses") or []
    if st == "xfail":  # a report written with --xfail: judge by what was recorded
        st = "wrong-code" if re.fullmatch(r"E_[A-Z0-9_]+", a) and re.fullmatch(r"E_[A-Z0-9_]+", r["expected"] or "") else "fail"
    if st == "wrong-code":
        return f"tywrap rejects it; its message reads as {code_of(a) or '?'} (expected {e})"

    # -- the results of tywrap's decoder that no canonical value holds
    if "the kind a canonical value keeps is lost" in a:
        if e:
            return (f"tywrap accepts an estimator envelope sciwire rejects ({e}, {clauses[0] if clauses else '?'}); "
                    "its result also returns float params (0.0, 1.0, -0.0) as integer-valued JavaScript numbers")
        return ("tywrap's decoder returns params as JavaScript numbers: a float written 0.0, 1.0 or -0.0 comes "
                "back as the integer-valued number 0 or 1, the same as the integer, so the int/float kind "
                "(max_features=1 vs 1.0) is lost")
    if "tywrap returned no version" in a:
        return "tywrap accepts an estimator envelope without version (v1 and v0) and returns no version"
    if "version must be a string when provided" in a:
        return ('tywrap\'s decoder rejects "version": null, which its own producer writes when '
                "sklearn.__version__ is missing")
    if "which is not a sparse dtype" in a:
        return ("tywrap checks sparse values only for bool, int and float dtype names and accepts any other "
                "non-empty dtype string (complex128 with string values, <U2, f8, float128, Float64, ...)")
    if "returned the matrix with dtype undefined" in a:
        return "tywrap reads a legacy (v0) sparse envelope without dtype leniently and returns no dtype"
    if "accepted the tensor dtype undefined" in a:
        return "tywrap reads a legacy (v0) tensor envelope without dtype leniently and returns no dtype"
    if "accepted the tensor dtype" in a:
        return ("tywrap accepts any non-empty tensor dtype string: numpy names (float32), torch aliases "
                "(torch.float, torch.half, torch.long), torch.bfloat16, complex, float8 and quantized dtypes")
    if "accepted device" in a:
        return ('tywrap accepts any non-empty device string ("cuda:0", "meta", "mps", "cpu:0", " cpu", "CPU") '
                "and returns it; the elements are in host memory whatever it says")
    if "accepted sourceDtype" in a:
        return "tywrap accepts any non-empty sourceDtype (torch.float16, torch.float32, bfloat16, torch.BFloat16)"
    if "with data it read with the nested shape" in a:
        return ("tywrap lets a tensor's shape [] stand for a nested [1] and the reverse (its only exception to "
                "exact shapes), so its result's shape and data disagree")
    if "with data nested as" in a:
        return ("in a legacy (v0) tensor tywrap compares only the element counts of the outer and nested "
                "shapes ([2, 3] over a flat [6] is accepted)")
    if i.startswith("eq-ndarray-float16") or i.startswith("eq-torch-float16"):
        return "Arrow float16 decodes to raw binary16 words (apache-arrow toArray on HALF), so the arrow and json members differ"
    if "died (killed by signal" in a:
        return "tywrap's decoder runs node out of memory (aborts): it materialises what the shape or the Arrow metadata claims, with no limit"
    if "timed out" in a:
        return "tywrap's decoder takes longer than the case budget: no limit on what it materialises"
    if "non-finite number" in a and marker in ("dataframe", "series"):
        return ("tywrap rejects the whole response when any float buffer of the Table holds NaN or +-Infinity "
                "bits (assertNoSpecialFloats walks the Table's typed arrays), also under a null: pyarrow writes "
                "pandas' NaN under the null of a float column with missing values, so most float columns fail")
    if "RangeError" in a and marker in ("dataframe", "series"):
        return ("tywrap hands the bytes to tableFromIPC, which accepts a buffer outside the message body: the "
                "Table it returns holds less data than its lengths claim (reading it throws RangeError)")
    if "for a series ([series.arrow.schema])" in a:
        return ("tywrap returns the Table of a series envelope whatever its fields (none, two, a dataframe's "
                "index column) (E_ARROW_SCHEMA)")
    if marker == "dataframe" and st == "fail" and "json-index-like-names" in i:
        return ('JavaScript\'s JSON.parse moves member names that look like array indices ("1", "2") to the '
                "front of each row, so tywrap returns the columns in another order")
    if "non-finite number" in a:
        return "tywrap rejects the whole response when an Arrow float column holds NaN or +-Infinity (assertNoSpecialFloats)"
    # -- dataframe and series
    if "drops the series name" in a:
        return ("tywrap's decoder drops the series name (both encodings return only the Table or the data), "
                "so no series it accepts has a canonical value" + (f"; this input sciwire rejects ({e})" if e else ""))
    if "the kind a canonical column keeps" in a:
        return ("tywrap's decoder returns json cells as JavaScript numbers: a float written 1.0, 1e5 or "
                "9007199254740993.0 comes back as the integer-valued number, the same as the integer, so the "
                "column's float64 type is lost" + (f"; this input sciwire rejects ({e})" if e else ""))
    if "which no canonical column has" in a or "of the Arrow extension type" in a:
        return ("tywrap returns apache-arrow's Table of any Arrow type: decimal, date64, time, interval, list, "
                "struct, map, union, view and fixed-size types, dictionaries of them or of nulls, and extension "
                "types (pandas.period, pandas.interval, arrow.uuid) as their storage (E_COLUMN_TYPE)")
    if "pandas metadata unread" in a:
        return ("tywrap returns the Table with its pandas metadata unread: metadata sciwire rejects "
                "(E_PANDAS_METADATA: not JSON, no index_columns, bad ranges, index columns that are not "
                "there) is accepted")
    if "holds data of type" in a:
        return ("apache-arrow's Table pairs fields and data by name: with two fields of one name tywrap's result "
                "gives a field the type of the other and data of its own")
    if "outside the dictionary" in a or "dictionary holding a null entry" in a \
            or "different dictionaries" in a:
        return ("tywrap hands the bytes to tableFromIPC, which does not check dictionaries: codes outside the "
                "dictionary, null entries, missing, repeated or replaced dictionary batches are accepted")
    if "rows with other members unchecked" in a or "no object" in a or "not an array of rows" in a \
            or "unchecked, not an array" in a:
        return ("tywrap returns a json envelope's data unchecked: data that is no array of rows with one set "
                "of members (E_FIELD_TYPE, E_SHAPE_MISMATCH) is accepted")
    if "no column type holds" in a:
        return ("tywrap returns a json envelope's data unchecked: cells of mixed kinds, arrays and objects "
                "(E_COLUMN_TYPE) are accepted")
    if "tywrap accepted a table of" in a:
        return "tywrap has no limit on the number of cells (a Null column of 2^28+1 rows costs nothing to claim)"
    if "returned the input undecoded" in a:
        return "tywrap passes values that are no envelope to it (no object, no or an unknown marker) through undecoded"
    if "which is not in sciwire's dtype table" in a:
        return "tywrap accepts any non-empty dtype string (and with Arrow decodes the column whatever it is)"
    if "past sciwire's max_decoded_bytes" in a:
        return ("tywrap has no limit on decoded bytes: it accepts a string dtype whose one element is past 256 MiB "
                "(<U67108865, <U999999999, a |S as wide) and returns the short string it holds")
    if "dimensions; a canonical value has at most 64" in a:
        return "tywrap has no limit on the number of dimensions"
    if "longer than" in a:
        return "tywrap does not check string or byte-string widths against dtype"
    if '{"null": true}' in a:
        return "tywrap returns Arrow nulls as null elements instead of rejecting"
    if "not a number" in a or "not a boolean" in a or "not a string" in a or "not a byte string" in a \
            or "not an integer" in a or "outside" in a:
        if marker == "scipy.sparse":
            return ("tywrap range-checks sparse data only for 8, 16 and 32-bit integers: int64/uint64 beyond "
                    "+-(2^53-1) are accepted and rounded by JSON.parse (2^63-1 becomes 2^63)")
        if e == "E_ARROW_NULLS":
            return "tywrap returns Arrow nulls as null elements instead of rejecting"
        if e == "E_DTYPE_MISMATCH":
            return "tywrap never compares the Arrow column type with dtype"
        if e == "E_DTYPE_UNSUPPORTED":
            return "tywrap accepts datetime, timedelta and string dtypes with the json encoding and returns the leaves as they are"
        return "tywrap does not check JSON leaves against dtype (kind, integrality, range)"
    if i.startswith("ndarray-arrow-float16") or i.startswith("torch-arrow-float16") \
            or i == "ndarray-text-b64-solidus-escape":
        return "Arrow float16 decodes to raw binary16 words (apache-arrow toArray on HALF): 1.5 comes back as 15872"
    if i.startswith("ndarray-arrow-datetime64-d"):
        return "Arrow Date32 decodes to epoch milliseconds (apache-arrow), not the day count dtype datetime64[D] means"

    # -- accepted what sciwire rejects: by marker and expected code
    if st == "fail" and a.startswith("value"):
        if e == "E_UNKNOWN_FIELD":
            return MEMBERS.get(marker, MEMBERS["ndarray"])
        if marker == "scipy.sparse":
            if e == "E_DTYPE_UNSUPPORTED":
                return "tywrap accepts a float16 sparse envelope (scipy.sparse holds no float16; sciwire rejects the dtype)"
            if e == "E_VALUE_DOMAIN":
                return ("tywrap checks sparse data for integers only in 8/16/32-bit range and floats only for being "
                        "numbers: int64/uint64 beyond +-(2^53-1) and float32 values that are no float32 (0.1, "
                        "2^24+1, overflow, underflow) are accepted")
        if marker == "torch.tensor":
            if e == "E_VALUE_DOMAIN" and "sourceDtype" in a:
                return ("tywrap does not check that a bfloat16-sourced tensor's float32 elements are bfloat16 values "
                        "(low 16 bits zero)")
            if e == "E_DTYPE_MISMATCH" and "nested-arrow" not in i:
                return ("tywrap never compares the tensor dtype with the nested ndarray's (torch.int64 over float32 is "
                        "accepted), nor sourceDtype torch.bfloat16 with a dtype other than torch.float32")
            if e == "E_CODEC_VERSION":
                return "tywrap accepts a version 1 tensor holding a legacy (v0) ndarray"
            if e == "E_MISSING_FIELD":
                return ("tywrap requires neither device in a version 1 tensor nor dtype in a legacy nested JSON ndarray")
        if marker in ("dataframe", "series"):
            df = {
                "E_ARROW_PAYLOAD": "tywrap hands the bytes to apache-arrow's tableFromIPC, which accepts this "
                                   "malformed or disallowed Arrow (an IPC stream for a file, footer blocks and "
                                   "lengths it does not check, bytes after the file, delta or misplaced "
                                   "dictionaries, a second schema, invalid UTF-8 read as U+FFFD)",
                "E_VALUE_DOMAIN": "tywrap returns json data unchecked: integers beyond +-(2^53-1) are accepted "
                                  "and rounded by JSON.parse",
                "E_JSON_DUPLICATE_KEY": "JavaScript's JSON.parse keeps the last of duplicate keys",
                "E_SHAPE_MISMATCH": "tywrap returns json rows unchecked: rows whose members come in another "
                                    "order are accepted",
                "E_PANDAS_METADATA": "tywrap returns the Table with its pandas metadata unread: metadata "
                                     "sciwire rejects is accepted",
                "E_LIMIT_EXCEEDED": "tywrap has none of sciwire's depth, element or size limits",
            }
            if e in df:
                return df[e]
        return {
            "E_ARROW_PAYLOAD": "tywrap hands the bytes to apache-arrow's tableFromIPC, which accepts this malformed or disallowed stream",
            "E_DTYPE_MISMATCH": "tywrap never compares the Arrow column type with dtype",
            "E_ARROW_SCHEMA": "tywrap reads the first Arrow column whatever its name and however many there are",
            "E_ARROW_NULLS": "tywrap does not check Arrow nulls: for numbers apache-arrow's toArray returns whatever bytes lie under a null",
            "E_VALUE_DOMAIN": "tywrap does not check element values (trailing zeros, widths, JSON leaf values) against dtype",
            "E_JSON_SYNTAX": "JavaScript's JSON.parse accepts it (lone surrogates; invalid UTF-8 was already replaced by U+FFFD)",
            "E_JSON_DUPLICATE_KEY": "JavaScript's JSON.parse keeps the last of duplicate keys",
            "E_LIMIT_EXCEEDED": "tywrap has none of sciwire's depth, element or size limits",
            "E_DTYPE_UNSUPPORTED": "tywrap accepts datetime, timedelta and string dtypes with the json encoding",
            "E_BASE64": "tywrap's base64 check is a regular expression that does not look at the unused low bits",
            "E_SHAPE_MISMATCH": "tywrap does not check the element count here",
            "E_CODEC_VERSION": "tywrap accepts this codecVersion",
        }.get(e, f"UNCATEGORISED accepted, expected {e}")
    return f"UNCATEGORISED {st}: {a[:120]}"


out = {}
for r in cases:
    # encode cases: their entries come from the second file
    if r["status"] in ("pass", "skipped", "xpass") or "/encode/" in r.get("path", ""):
        continue
    out[r["id"]] = reason(r)

# Group the ids of one reason under globs: P* where P is a prefix of an id
# ending at a hyphen (or the id's end), P* matches at least two ids, and
# every id of the suite P* matches has this reason.
by_reason = collections.defaultdict(set)
for i, why in out.items():
    by_reason[why].add(i)
entries = []
for why, ids in by_reason.items():
    left = set(ids)
    for i in sorted(ids):
        if i not in left:
            continue
        parts = i.split("-")
        best = None
        for k in range(2, len(parts) + 1):
            for prefix in ("-".join(parts[:k]) + ("-" if k < len(parts) else ""), "-".join(parts[:k])):
                matched = {u for u in suite_ids if u.startswith(prefix)}
                if len(matched) >= 2 and matched <= ids:
                    best = prefix
                    break
            if best:
                break
        if best:
            matched = {u for u in suite_ids if u.startswith(best)}
            entries.append((best + "*", why, len(matched)))
            left -= matched
        else:
            entries.append((i, why, 1))
            left.discard(i)

c = collections.Counter(out.values())
for k, v in c.most_common():
    print(f"# {v:4}  {k}", file=sys.stderr)
print("# Expected failures of `harness.py --decoder ts` (tywrap 0.10.0's Python producer and TypeScript")
print("# decoder, apache-arrow 21.2.0), measured with sciwire-conformance run --report; see README.md.")
print("# Written by xfail_from_report.py. The encode entries are those of expected-failures.txt; the")
print("# others are grouped by reason, under a glob when every case it matches has that reason.")
for line in enc_lines:
    print(line)
for pattern, why, _n in sorted(entries):
    print(f"{pattern}  # {why}")
