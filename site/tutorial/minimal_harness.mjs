// A minimal sciwire harness (spec: harness.md), for the tutorial: the same
// cases as minimal_harness.py, in JavaScript (node 20, no packages).
//
// It decodes `ndarray` envelopes in the `json` encoding, version 1, for three
// dtypes (float64, int32, bool), rejects what it recognises as broken with the
// code the spec names, and answers `skipped` to anything else.
// JSON.parse cannot be used: it keeps the last of two duplicate members and
// drops the difference between -0 and 0. This reader keeps both.
import { createInterface } from "node:readline";

const MEMBERS = ["__tywrap__", "codecVersion", "encoding", "dtype", "shape", "data"];
const MAX_DEPTH = 128, MAX_NDIM = 64, MAX_ELEMENTS = 2 ** 28; // the default limits (limits.md)

class Reject extends Error { constructor(code, message) { super(message); this.code = code; } }
class Skip extends Error {}

// Strict JSON (json.md): objects become Maps, numbers stay {num: text}.
function parse(text) {
  let i = 0, depth = 0;
  const fail = (why) => { throw new Reject("E_JSON_SYNTAX", `${why} at offset ${i}`); };
  const ws = () => { while (" \t\n\r".includes(text[i]) && i < text.length) i++; };
  function value() {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      if (++depth > MAX_DEPTH) throw new Skip("nesting deeper than the depth limit is not handled here");
      i++; ws();
      const close = c === "{" ? "}" : "]", out = c === "{" ? new Map() : [];
      if (text[i] === close) { i++; depth--; return out; }
      for (;;) {
        if (c === "{") {
          ws(); if (text[i] !== '"') fail("expected a member name");
          const k = string(); ws(); if (text[i++] !== ":") fail("expected ':'");
          if (out.has(k)) throw new Reject("E_JSON_DUPLICATE_KEY", `two members named ${k}`);
          out.set(k, value());
        } else out.push(value());
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i++] === close) { depth--; return out; }
        fail("expected ',' or a closing bracket");
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === "") fail("unexpected character");
    i += m[0].length;
    return { num: m[0] };
  }
  function string() {
    const m = /^"((?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*)"/.exec(text.slice(i));
    if (!m) fail("bad string");
    if (/\\u[dD][89a-fA-F]/.test(m[1])) throw new Skip("surrogate escapes are not handled here");
    i += m[0].length;
    return JSON.parse(m[0]);
  }
  const v = value(); ws();
  if (i !== text.length) fail("trailing characters");
  return v;
}

function leaves(data, shape) {
  if (shape.length === 0) {
    if (Array.isArray(data)) throw new Reject("E_SHAPE_MISMATCH", "an array where a leaf belongs");
    return [data];
  }
  if (!Array.isArray(data) || data.length !== shape[0]) {
    throw new Reject("E_SHAPE_MISMATCH", `expected an array of ${shape[0]} items`);
  }
  return data.flatMap((item) => leaves(item, shape.slice(1)));
}

const isNum = (v) => v !== null && typeof v === "object" && !(v instanceof Map) && !Array.isArray(v) && "num" in v;

function element(dtype, v, view, at) {
  if (dtype === "bool") {
    if (typeof v !== "boolean") throw new Reject("E_VALUE_DOMAIN", "not true or false");
    view.setUint8(at, v ? 1 : 0);
    return;
  }
  if (!isNum(v)) throw new Reject("E_VALUE_DOMAIN", "not a number");
  const x = Number(v.num); // the nearest binary64 (json.numbers); -0 stays -0
  if (!Number.isFinite(x)) throw new Reject("E_VALUE_DOMAIN", "a number without a finite value");
  if (dtype === "int32") {
    if (!Number.isInteger(x) || x < -(2 ** 31) || x >= 2 ** 31) throw new Reject("E_VALUE_DOMAIN", `${v.num} is not an int32`);
    view.setInt32(at, x, true);
  } else view.setFloat64(at, x, true);
}

const SIZE = { float64: 8, int32: 4, bool: 1 };

function decode(bytes) {
  let text;
  try { text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes); }
  catch (e) { throw new Reject("E_JSON_SYNTAX", "not UTF-8"); }
  // (the bracket count bounds the depth, json.depth, as in the Python harness)
  if (text.startsWith("\ufeff") || (text.match(/[[{]/g) || []).length > MAX_DEPTH) {
    throw new Skip("byte order marks and over 128 arrays or objects are not handled here");
  }
  const env = parse(text);
  if (!(env instanceof Map) || !env.has("__tywrap__")) throw new Reject("E_NOT_ENVELOPE", "not an object with a __tywrap__ member");
  const num = (v) => (isNum(v) ? v.num : undefined);
  if (env.size !== MEMBERS.length || !MEMBERS.every((k) => env.has(k)) || env.get("__tywrap__") !== "ndarray"
      || num(env.get("codecVersion")) !== "1" || env.get("encoding") !== "json" || !Object.hasOwn(SIZE, env.get("dtype"))) {
    throw new Skip("only version 1 json ndarrays of float64, int32 or bool, without extra members");
  }
  const dtype = env.get("dtype"), rawShape = env.get("shape");
  const isSize = (d) => /^(0|[1-9][0-9]*)$/.test(num(d)) && Number.isSafeInteger(Number(d.num));
  const shape = Array.isArray(rawShape) && rawShape.every(isSize) ? rawShape.map((d) => Number(d.num)) : null;
  if (!shape || shape.length > MAX_NDIM || shape.reduce((a, b) => a * b, 1) > MAX_ELEMENTS / 8) {
    throw new Skip("shapes other than small lists of integers are not handled here");
  }
  const values = leaves(env.get("data"), shape);
  const out = new DataView(new ArrayBuffer(values.length * SIZE[dtype]));
  values.forEach((v, k) => element(dtype, v, out, k * SIZE[dtype]));
  return { kind: "ndarray", dtype, shape, hex: Buffer.from(out.buffer).toString("hex") };
}

function answer(req) {
  if (req.cmd === "start") {
    return {
      protocol: 1,
      implementation: { name: "tutorial-js", version: "0.1.0", language: "javascript" },
      capabilities: { ndarray: { directions: ["decode"], encodings: ["json"], codecVersions: [1],
        leftOut: ["float16", "datetimes", "strings", "bytes", "categoricals", "large-inputs"] } },
    };
  }
  if (req.cmd === "decode") {
    try {
      return { value: decode(Buffer.from(req.input, "base64")) };
    } catch (e) {
      if (e instanceof Reject) return { error: { code: e.code, message: e.message } };
      if (e instanceof Skip) return { skipped: true, message: e.message };
      throw e;
    }
  }
  return { skipped: true, message: `${req.cmd} is not implemented` };
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const req = JSON.parse(line); // the runner's requests are plain JSON
  if (req.cmd === "stop") break;
  process.stdout.write(JSON.stringify({ id: req.id, ...answer(req) }) + "\n");
}
process.exit(0);
