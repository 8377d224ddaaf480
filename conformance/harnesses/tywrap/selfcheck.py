#!/usr/bin/env python3
"""Measure tywrap's Python producer against the sciwire vectors, through harness.py.

    python3 conformance/harnesses/tywrap/selfcheck.py --tywrap /path/to/tywrap \
        [--fallback json] [--xfail conformance/harnesses/tywrap/expected-failures.txt]

It starts harness.py as the conformance runner would (JSON Lines over a pipe)
and sends it ndarray cases only (scipy.sparse, torch.tensor and
sklearn.estimator are measured with the runner, see README.md):

  1. every encode vector in vectors/v1/ndarray/encode/ (these are the cases
     the runner sends), and
  2. the `expect.value` of every valid vector in vectors/v1/ndarray/valid/,
     once per encoding (case ids `<vector id>@arrow`, `<vector id>@json`), and
  3. a few probes for behaviour no vector reaches (NaT; see PROBES).
     Sets 2 and 3 are not runner cases; what sciwire expects for them is what
     the reference encoder (`sciwire encode`) does with the same value: write
     an envelope (then the output must round-trip) or refuse with a code.

Each answer is judged as the runner judges it: an `output` must validate
against envelope.schema.json and decode, with the reference implementation
(`sciwire decode`), to the value sent; an `error` must carry the expected code.
It prints every case that is not a pass, with the reason, and a summary.

With --xfail FILE it also compares the results of the runner's cases (encode
vectors, and with --decoder ts the decode vectors) with an expected-failure
file (lines `<id or glob>  # reason`) and exits 1 if the file lists a passing
case, misses a failing one (wrong-code counts as failing, as under
--require-codes), or has an entry that matches no vector id. The conformance
runner also runs equivalence groups (`eq-*`); this script does not.
"""

import argparse
import base64
import fnmatch
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def sciwire_binary(explicit):
    if explicit:
        return explicit
    subprocess.run(["cargo", "build", "-q", "-p", "sciwire"], cwd=ROOT, check=True)
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT, check=True, stdout=subprocess.PIPE).stdout)
    return os.path.join(meta["target_directory"], "debug", "sciwire")


class Reference:
    def __init__(self, binary):
        self.binary = binary

    def _run(self, args, data):
        proc = subprocess.run([self.binary] + args + ["-"], input=data, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return proc.returncode, proc.stdout.decode("utf-8", "replace").strip(), \
            proc.stderr.decode("utf-8", "replace").strip()

    def decode(self, data):
        rc, out, err = self._run(["decode"], data)
        if rc == 0:
            return "value", json.loads(out)
        if rc == 1:
            return "error", json.loads(out)
        raise RuntimeError(f"sciwire decode exited {rc}: {err}")

    def validate_envelope(self, data):
        rc, out, err = self._run(["validate", "--schema", "envelope"], data)
        if rc == 2:
            # not JSON at all: the decode step reports it
            return True, err
        return rc == 0, out

    def encode(self, value, encoding):
        rc, out, err = self._run(["encode", "--encoding", encoding],
                                 json.dumps(value).encode())
        if rc == 0:
            return {"roundtrip": True}
        if rc == 1:
            return {"error": json.loads(out)["code"]}
        raise RuntimeError(f"sciwire encode exited {rc}: {err}")


class HarnessProc:
    def __init__(self, cmd, timeout, memory_limit_mb):
        self.cmd = cmd
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self.next_id = 0
        self.proc = None
        self.buf = b""
        self.stderr = tempfile.TemporaryFile()

    def ensure(self):
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.stderr, cwd=ROOT, start_new_session=True,
                                         preexec_fn=self._limit)
            self.buf = b""
            self.start = self.request({"cmd": "start", "protocol": 1}, timeout=600)

    def _limit(self):
        # the runner's address-space limit (sciwire-conformance run --memory-limit-mb)
        if self.memory_limit_mb:
            import resource
            n = self.memory_limit_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (n, n))

    def _readline(self, timeout):
        """One line from the harness, or None at end of output or after timeout s."""
        import select
        import time

        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def kill(self):
        import signal
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the harness and its node helper
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None

    def request(self, req, timeout=None):
        req = dict(req, id=self.next_id)
        self.next_id += 1
        try:
            self.proc.stdin.write((json.dumps(req) + "\n").encode())
            self.proc.stdin.flush()
            line = self._readline(timeout or self.timeout)
        except BrokenPipeError:
            line = None
        if line is None:
            alive = self.proc.poll() is None
            self.kill()
            return {"id": req["id"], "errored": True,
                    "context": {"message": f"timed out after {timeout or self.timeout} s"
                                if alive else "harness exited without answering"}}
        resp = json.loads(line)
        if resp.get("id") != req["id"]:
            raise RuntimeError(f"response id {resp.get('id')} for request {req['id']}")
        return resp

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.write((json.dumps({"cmd": "stop", "id": self.next_id}) + "\n").encode())
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def describe_difference(sent, got):
    diffs = []
    for key in ("dtype", "shape"):
        if sent.get(key) != got.get(key):
            diffs.append(f"{key} {got.get(key)!r} instead of {sent.get(key)!r}")
    if sent.get("hex") != got.get("hex"):
        try:
            import numpy as np
            dt = np.dtype(sent["dtype"]).newbyteorder("<")
            a = np.frombuffer(bytes.fromhex(sent["hex"]), dtype=dt)
            gdt = np.dtype(got["dtype"]).newbyteorder("<")
            b = np.frombuffer(bytes.fromhex(got["hex"]), dtype=gdt)
            if len(a) == len(b):
                bad = [i for i in range(len(a)) if a[i:i + 1].tobytes() != b[i:i + 1].tobytes()]
                shown = ", ".join(f"[{i}] {a[i]!r} ({a[i:i+1].tobytes().hex()}) -> "
                                  f"{b[i]!r} ({b[i:i+1].tobytes().hex()})" for i in bad[:4])
                diffs.append(f"{len(bad)} of {len(a)} elements differ: {shown}"
                             + (" ..." if len(bad) > 4 else ""))
            else:
                diffs.append(f"{len(b)} elements instead of {len(a)}")
        except Exception as exc:  # describe as bytes then
            diffs.append(f"hex {got.get('hex')[:64]!r} instead of {sent.get('hex')[:64]!r} ({exc})")
    return "; ".join(diffs) or "values differ"


def judge(ref, case, resp):
    """(verdict, detail)"""
    expect, sent = case["expect"], case["value"]
    if resp.get("errored"):
        ctx = resp.get("context", {})
        return "errored", ctx.get("message", "") + "\n" + ctx.get("traceback", "")
    if resp.get("skipped"):
        return "skipped", resp.get("message", "")
    if "error" in resp:
        code, msg = resp["error"].get("code"), resp["error"].get("message", "")
        if "error" in expect:
            if code == expect["error"]:
                return "pass", f"refused {code}: {msg}"
            return "wrong-code", f"refused {code}, expected {expect['error']}: {msg}"
        return "fail", f"refused {code}, expected an envelope that round-trips: {msg}"
    data = base64.b64decode(resp["output"], validate=True)
    envelope_text = data.decode("utf-8", "replace")
    ok_schema, schema_msg = ref.validate_envelope(data)
    kind, result = ref.decode(data)
    if "error" in expect:
        what = (f"the reference rejects it: {result.get('code')}" if kind == "error" else
                "it decodes to the value sent" if result == sent else
                f"it decodes to another value: {describe_difference(sent, result)}")
        return "fail", (f"wrote an envelope, expected refusal {expect['error']}; {what}; "
                        f"envelope: {short(envelope_text)}")
    if not ok_schema:
        return "fail", f"envelope fails envelope.schema.json: {schema_msg}; envelope: {short(envelope_text)}"
    if kind == "error":
        return "fail", (f"the reference rejects the envelope: {result.get('code')}: "
                        f"{result.get('message')}; envelope: {short(envelope_text)}")
    if result != sent:
        return "fail", f"decodes to another value: {describe_difference(sent, result)}; envelope: {short(envelope_text)}"
    return "pass", ""


def short(text, n=300):
    return text if len(text) <= n else text[:n] + f"... ({len(text)} chars)"


def load_cases(ref):
    cases = []
    for path in sorted(glob.glob(os.path.join(ROOT, "vectors/v1/ndarray/encode/*.json"))):
        v = json.load(open(path, encoding="utf-8"))
        cases.append({"id": v["id"], "set": "encode", "value": v["input"]["value"],
                      "encoding": v["input"]["encoding"], "expect": v["expect"]})
    for path in sorted(glob.glob(os.path.join(ROOT, "vectors/v1/ndarray/valid/*.json"))):
        v = json.load(open(path, encoding="utf-8"))
        for encoding in ("arrow", "json"):
            cases.append({"id": f"{v['id']}@{encoding}", "set": "valid-sweep",
                          "value": v["expect"]["value"], "encoding": encoding,
                          "expect": ref.encode(v["expect"]["value"], encoding)})
    return cases


# Values no vector holds, for behaviour the vectors do not reach. What sciwire
# expects for them is again what the reference encoder does.
NAT = "0000000000000080"  # int64 min: numpy's NaT
PROBES = [
    ("probe-arrow-datetime64-ns-nat", "datetime64[ns]", [2], "0000000000000000" + NAT, "arrow"),
    ("probe-arrow-timedelta64-ns-nat", "timedelta64[ns]", [2], "0000000000000000" + NAT, "arrow"),
    ("probe-arrow-datetime64-s-nat-0d", "datetime64[s]", [], NAT, "arrow"),
    ("probe-arrow-datetime64-d-nat", "datetime64[D]", [1], NAT, "arrow"),
]


def load_probes(ref):
    cases = []
    for case_id, dtype, shape, hexdigits, encoding in PROBES:
        value = {"kind": "ndarray", "dtype": dtype, "shape": shape, "hex": hexdigits}
        cases.append({"id": case_id, "set": "probe", "value": value, "encoding": encoding,
                      "expect": ref.encode(value, encoding)})
    return cases


def input_bytes(inp):
    if "json" in inp:
        return json.dumps(inp["json"], ensure_ascii=False).encode("utf-8")
    if "text" in inp:
        return inp["text"].encode("utf-8")
    if "base64" in inp:
        return base64.b64decode(inp["base64"])
    if "concat" in inp:
        return b"".join(p["text"].encode("utf-8") * p.get("repeat", 1) for p in inp["concat"])
    raise ValueError(f"unknown input form {sorted(inp)}")


def legacy_v0(data):
    """As the runner classifies inputs: a JSON object without codecVersion."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and "codecVersion" not in doc


def load_decode_cases():
    cases = []
    for kind in ("valid", "invalid"):
        for path in sorted(glob.glob(os.path.join(ROOT, f"vectors/v1/ndarray/{kind}/*.json"))):
            v = json.load(open(path, encoding="utf-8"))
            data = input_bytes(v["input"])
            cases.append({"id": v["id"], "set": f"decode-{kind}", "input": data,
                          "expect": v["expect"], "v0": legacy_v0(data)})
    return cases


def judge_decode(case, resp):
    expect = case["expect"]
    if resp.get("errored"):
        ctx = resp.get("context", {})
        return "errored", ctx.get("message", "") + ("\n" + ctx["traceback"] if "traceback" in ctx else "")
    if resp.get("skipped"):
        return "skipped", resp.get("message", "")
    if resp.get("noncanonical"):  # [harness.noncanonical]: a failure whatever the vector expects
        return "noncanonical", f"{resp.get('message', '')}; value {short(json.dumps(resp.get('value')), 200)}"
    if "error" in resp:
        code, msg = resp["error"].get("code"), resp["error"].get("message", "")
        if "error" in expect:
            if code == expect["error"]:
                return "pass", f"rejected {code}: {msg}"
            return "wrong-code", f"rejected {code}, expected {expect['error']}: {msg}"
        return "fail", f"rejected {code}, expected a value: {msg}"
    value = resp.get("value")
    if "error" in expect:
        return "fail", (f"accepted, expected rejection {expect['error']}; value "
                        f"{short(json.dumps(value), 200)}")
    if value != expect["value"]:
        return "fail", f"another value: {describe_difference(expect['value'], value)}"
    return "pass", ""


def read_xfail(path):
    entries = []
    for raw in open(path, encoding="utf-8"):
        line = raw.split("#", 1)[0].strip()
        if line:
            entries.append(line)
    return entries


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tywrap", required=True)
    ap.add_argument("--fallback", choices=["json"])
    ap.add_argument("--layout", choices=["c", "fortran", "reversed", "strided"],
                    help="passed to harness.py: the memory layout of the arrays given to tywrap")
    ap.add_argument("--decoder", choices=["ts"],
                    help="passed to harness.py: also run the decode vectors through tywrap's "
                         "TypeScript decoder")
    ap.add_argument("--timeout", type=float, default=20.0,
                    help="seconds a case may take before the harness is killed and restarted "
                         "(default 20)")
    ap.add_argument("--memory-limit-mb", type=int, default=4096,
                    help="address-space limit of the harness, as the runner sets it "
                         "(default 4096; 0 for none)")
    ap.add_argument("--sciwire", help="the reference binary (default: cargo build -p sciwire)")
    ap.add_argument("--xfail", help="compare encode-vector failures with this expected-failure file")
    ap.add_argument("--json", metavar="FILE", help="also write every result as JSON Lines to FILE")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passing cases too")
    args = ap.parse_args()

    ref = Reference(sciwire_binary(args.sciwire))
    cmd = [sys.executable, os.path.join(HERE, "harness.py"), "--tywrap", args.tywrap]
    if args.fallback:
        cmd += ["--fallback", args.fallback]
    if args.layout:
        cmd += ["--layout", args.layout]
    if args.decoder:
        cmd += ["--decoder", args.decoder]
    harness = HarnessProc(cmd, args.timeout, args.memory_limit_mb)
    harness.ensure()
    print(f"implementation: {json.dumps(harness.start.get('implementation'))}")
    print(f"capabilities:   {json.dumps(harness.start.get('capabilities'))}")
    encodings = harness.start["capabilities"]["ndarray"]["encodings"]

    results = []
    for case in load_cases(ref) + load_probes(ref):
        if case["encoding"] not in encodings:
            continue
        harness.ensure()
        resp = harness.request({"cmd": "encode", "case": case["id"], "value": case["value"],
                                "encoding": case["encoding"]})
        verdict, detail = judge(ref, case, resp)
        results.append((case, verdict, detail))
    caps = harness.start["capabilities"]["ndarray"]
    if "decode" in caps["directions"]:
        for case in load_decode_cases():
            if case["v0"] and 0 not in caps["codecVersions"]:
                continue
            harness.ensure()
            t0 = time.monotonic()
            resp = harness.request({"cmd": "decode", "case": case["id"],
                                    "input": base64.b64encode(case["input"]).decode("ascii")})
            case["seconds"] = round(time.monotonic() - t0, 3)
            verdict, detail = judge_decode(case, resp)
            case["value"] = {"dtype": "", "shape": []}
            results.append((case, verdict, detail))
    harness.close()

    out = open(args.json, "w", encoding="utf-8") if args.json else None
    for set_name in ("encode", "valid-sweep", "probe", "decode-valid", "decode-invalid"):
        rows = [r for r in results if r[0]["set"] == set_name]
        if not rows:
            continue
        counts = {}
        print(f"\n== {set_name}: {len(rows)} cases")
        for case, verdict, detail in rows:
            counts[verdict] = counts.get(verdict, 0) + 1
            if out:
                out.write(json.dumps({"set": set_name, "id": case["id"], "encoding": case.get("encoding"),
                                      "dtype": case["value"]["dtype"], "expect": case["expect"],
                                      "verdict": verdict, "detail": detail,
                                      "seconds": case.get("seconds")}) + "\n")
            if verdict != "pass" or args.verbose:
                if set_name.startswith("decode"):
                    print(f"{verdict:10} {case['id']}")
                else:
                    print(f"{verdict:10} {case['id']}  [{case['value']['dtype']} "
                          f"{case['value']['shape'] if len(case['value']['shape']) < 8 else '...'}]")
                if detail:
                    print("           " + detail.replace("\n", "\n           ").rstrip())
        print(f"-- {set_name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))

    status = 0
    if args.xfail:
        entries = read_xfail(args.xfail)
        # runner cases only (not the valid-sweep or probes); wrong-code counts
        # as failing, as with --require-codes
        ran = [(c, v) for c, v, _ in results if c["set"] in ("encode", "decode-valid", "decode-invalid")]
        failing = {c["id"] for c, v in ran if v not in ("pass", "skipped")}
        everyone = {c["id"] for c, v in ran}
        listed = {i for i in everyone if any(fnmatch.fnmatchcase(i, e) for e in entries)}
        # every id of the suite: the file also lists the other markers' cases,
        # which this script does not run (the runner does)
        all_ids = [json.load(open(f, encoding="utf-8")).get("id") for f in
                   glob.glob(os.path.join(ROOT, "vectors/v1/*/*/*.json"))]
        unmatched = [e for e in entries if not any(fnmatch.fnmatchcase(i, e) for i in all_ids)]
        print(f"\n== {args.xfail}")
        for i in sorted(failing - listed):
            print(f"not listed but failing: {i}")
            status = 1
        for i in sorted(listed - failing):
            print(f"listed but passing (xpass): {i}")
            status = 1
        for e in unmatched:
            print(f"entry matches no case: {e}")
            status = 1
        if status == 0:
            print(f"matches: {len(listed)} expected failures, all failing, none missing")
    return status


if __name__ == "__main__":
    sys.exit(main())
