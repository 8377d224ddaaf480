// Helper process for `harness.py --decoder ts`: runs tywrap's own TypeScript
// decoder (BridgeCodec.decodeResponseAsync, bundled from the user's checkout by
// harness.py with esbuild) on the bytes it is given, and reports tywrap's answer
// as data. No tywrap code is in this file; the bundle is built at run time.
//
//   node ts_decoder.mjs BUNDLE.mjs
//
// Requests, one JSON object a line on stdin:   {"b64": "<input bytes>"}
//                                         or  {"file": "<path of the input bytes>"}
// Answers, one a line on stdout:
//   {"ok": true,  "result": T, "parsed": P}  tywrap accepted; P is the input's
//                                            own marker/dtype/shape/... as
//                                            JSON.parse saw them (for a
//                                            torch.tensor also its nested
//                                            value's), T tywrap's result as a
//                                            tagged tree (see tag(), tagPlain(),
//                                            tagTable()), present for the six
//                                            markers sciwire defines only
//   {"ok": false, "error": {"class", "name", "message", "codecPhase", "valueType"}}
//                                            tywrap rejected the input
//   {"crash": "..."}                         something else went wrong here

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const WRAP_MAX = 16 * 1024 * 1024;
import { pathToFileURL } from 'node:url';

const bundle = await import(pathToFileURL(process.argv[2]).href);
const { BridgeCodec, autoRegisterArrowDecoder } = bundle;
if (!(await autoRegisterArrowDecoder())) {
  process.stderr.write('ts_decoder: apache-arrow could not be loaded next to the bundle\n');
  process.exit(3);
}

// The tagged tree: arrays stay arrays; every leaf becomes a one-member object
// saying what JS value tywrap returned, without loss (-0, bigints, bytes).
function tag(v, depth = 0) {
  if (depth > 200) throw new RangeError('result nested more than 200 deep');
  if (Array.isArray(v)) return v.map(x => tag(x, depth + 1));
  switch (typeof v) {
    case 'number':
      return { n: Object.is(v, -0) ? '-0' : String(v) };
    case 'bigint':
      return { i: v.toString() };
    case 'string':
      return { s: v };
    case 'boolean':
      return { b: v };
    case 'undefined':
      return { undefined: true };
    default:
      break;
  }
  if (v === null) return { null: true };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (ArrayBuffer.isView(v)) return { typed: v.constructor.name, values: Array.from(v, x => tag(x, depth + 1)) };
  if (v instanceof Date) return { date: v.getTime() };
  let text;
  try {
    text = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() + 'n' : x));
  } catch (e) {
    text = String(e);
  }
  return { object: v?.constructor?.name ?? 'Object', json: text?.slice(0, 2000) };
}

// Results that are objects (a sparse matrix, a tensor, an estimator): plain
// objects become {"members": [[name, tagged], ...]} (in Object.entries order),
// arrays stay arrays, everything else is tagged as tag() does.
function tagPlain(v, depth = 0) {
  if (depth > 1000) throw new RangeError('result nested more than 1000 deep');
  if (Array.isArray(v)) return v.map(x => tagPlain(x, depth + 1));
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      return { members: Object.entries(v).map(([k, x]) => [k, tagPlain(x, depth + 1)]) };
    }
  }
  return tag(v, depth);
}

function describe(p, keys) {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return { kind: Array.isArray(p) ? 'array' : typeof p };
  const out = { kind: 'object' };
  for (const k of keys) {
    if (Object.prototype.hasOwnProperty.call(p, k)) out[k] = p[k];
  }
  return out;
}

function describeParsed(p) {
  const out = describe(p, ['__tywrap__', 'codecVersion', 'encoding', 'dtype', 'shape', 'format']);
  if (out.__tywrap__ === 'torch.tensor' && Object.prototype.hasOwnProperty.call(p, 'value')) {
    out.value = describe(p.value, ['__tywrap__', 'codecVersion', 'encoding', 'dtype', 'shape']);
  }
  return out;
}

// tywrap returns an apache-arrow Table for an arrow dataframe or series. It is
// described as data: the schema (fields with their Arrow types, the schema's
// custom metadata) and each column's cells as the Table holds them, read from
// the typed arrays apache-arrow built (integers exactly, floats as their bits,
// strings and bytes through apache-arrow's get()), nulls from getValid():
//   {"table": {"rows", "metadata": [[k, v]], "columns": [{"name", "type",
//    "metadata", "cells": [leaf | null], "dictionaries": [[leaf | null]]}]}}
// A leaf is {"i": "decimal"} | {"f": "hex bits"} | {"b": bool} | {"s": string}
// | {"bytes": "hex"}. Types outside what a canonical column has get no cells.
const TABLE_CELLS_MAX = 2 ** 28; // sciwire's default max_elements: past it, no cells

function isArrowTable(v) {
  return v !== null && typeof v === 'object' && v.schema !== undefined &&
    typeof v.getChildAt === 'function' && typeof v.numRows === 'number';
}

function describeArrowType(t) {
  const out = { typeId: t.typeId, text: String(t) };
  for (const k of ['bitWidth', 'isSigned', 'precision', 'unit', 'timezone', 'isOrdered', 'id']) {
    if (t[k] !== undefined && t[k] !== null) out[k] = typeof t[k] === 'bigint' ? String(t[k]) : t[k];
    else if (k === 'timezone' && t.typeId === 10) out.timezone = null;
  }
  if (t.typeId === -1) {
    out.indices = describeArrowType(t.indices);
    out.dictionary = describeArrowType(t.dictionary);
  }
  if (Array.isArray(t.children) && t.children.length) out.children = t.children.length;
  return out;
}

function hexOf(u8) {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');
}

// The cells of one Vector of type t, or undefined when t is no canonical type.
function arrowCells(vector, t) {
  const id = t.typeId;
  const cells = [];
  let row = 0;
  for (const data of vector.data) {
    const dv = data.values && ArrayBuffer.isView(data.values)
      ? new DataView(data.values.buffer, data.values.byteOffset, data.values.byteLength) : undefined;
    for (let i = 0; i < data.length; i++, row++) {
      if (id === 1 || !data.getValid(i)) { cells.push(null); continue; }
      switch (id) {
        case 6: cells.push({ b: vector.get(row) }); break;
        case 2: case 8: case 10: case 18: case -1: {
          if (id === 8 && t.unit !== 0) return undefined; // Date MILLISECOND
          cells.push({ i: String(data.values[i]) });
          break;
        }
        case 3: {
          const p = t.precision;
          const bits = p === 0 ? dv.getUint16(2 * i, true).toString(16).padStart(4, '0')
            : p === 1 ? dv.getUint32(4 * i, true).toString(16).padStart(8, '0')
              : dv.getBigUint64(8 * i, true).toString(16).padStart(16, '0');
          cells.push({ f: bits });
          break;
        }
        case 5: case 20: cells.push({ s: vector.get(row) }); break;
        case 4: case 19: cells.push({ bytes: hexOf(vector.get(row)) }); break;
        default: return undefined;
      }
    }
  }
  return cells;
}

function tagTable(table) {
  const fields = table.schema.fields;
  const rows = table.numRows;
  const out = { rows, metadata: [...(table.schema.metadata ?? new Map()).entries()], columns: [] };
  const tooMany = rows * fields.length > TABLE_CELLS_MAX;
  if (tooMany) out.tooMany = rows * fields.length;
  fields.forEach((field, k) => {
    const col = {
      name: field.name,
      type: describeArrowType(field.type),
      metadata: [...(field.metadata ?? new Map()).entries()],
    };
    const vector = table.getChildAt(k);
    // apache-arrow's Table can pair a field with data of another type (two
    // fields of one name): then the Table holds no one type for the column
    const dataTypes = [...new Set((vector?.data ?? []).map(d => String(d.type)))];
    if (dataTypes.some(x => x !== String(field.type))) col.dataTypes = dataTypes;
    else if (!tooMany && vector) {
      const cells = arrowCells(vector, field.type);
      if (cells !== undefined) col.cells = cells;
      if (field.type.typeId === -1) {
        const seen = new Map();
        for (const data of vector.data) {
          const d = data.dictionary;
          if (!d) continue;
          if (d.length > TABLE_CELLS_MAX) { col.dictionaryTooMany = d.length; break; }
          const leaves = arrowCells(d, field.type.dictionary);
          const key = JSON.stringify(leaves ?? null);
          if (!seen.has(key)) seen.set(key, leaves ?? null);
        }
        col.dictionaries = [...seen.values()];
      }
    }
    out.columns.push(col);
  });
  return { table: out };
}

const WITH_RESULT = new Set(['ndarray', 'scipy.sparse', 'torch.tensor', 'sklearn.estimator',
  'dataframe', 'series']);

const codec = new BridgeCodec();
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
for await (const line of rl) {
  if (!line.trim()) continue;
  let answer;
  try {
    const req = JSON.parse(line);
    const bytes = req.file !== undefined ? readFileSync(req.file) : Buffer.from(req.b64, 'base64');
    // What tywrap's transport hands its codec: the line as UTF-8 text (invalid
    // sequences become U+FFFD, a BOM stays).
    const text = bytes.toString('utf8');
    // In the bridge an envelope arrives as the result of a tywrap/1 response.
    // Wrap only text that is one JSON value (so the wrapping cannot change its
    // meaning); anything else goes to tywrap as it is, for tywrap's own error.
    // Inputs past WRAP_MAX go as they are, unparsed here, to spare memory.
    let parsed;
    let wrap = false;
    if (text.length <= WRAP_MAX) {
      try {
        parsed = JSON.parse(text);
        wrap = true;
      } catch {
        wrap = false;
      }
    }
    const payload = wrap ? `{"id": 0, "protocol": "tywrap/1", "result": ${text}\n}` : text;
    try {
      const result = await codec.decodeResponseAsync(payload);
      if (!wrap) parsed = JSON.parse(text);
      answer = { ok: true, parsed: describeParsed(parsed) };
      // Only the result of an envelope sciwire defines can be a canonical
      // value; tywrap returns anything else (plain JSON, unknown markers) as
      // it came.
      const marker = answer.parsed.__tywrap__;
      if (WITH_RESULT.has(marker)) {
        try {
          answer.result = marker === 'ndarray' ? tag(result)
            : isArrowTable(result) ? tagTable(result) : tagPlain(result);
        } catch (e) {
          answer.untaggable = String(e);
        }
      }
    } catch (e) {
      answer = {
        ok: false,
        error: {
          class: e?.constructor?.name ?? typeof e,
          name: e?.name,
          message: e instanceof Error ? e.message : String(e),
          codecPhase: e?.codecPhase,
          valueType: e?.valueType,
        },
      };
    }
  } catch (e) {
    answer = { crash: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) };
  }
  let out;
  try {
    out = JSON.stringify(answer);
  } catch (e) {
    out = JSON.stringify({ crash: `answer not serialisable: ${e}` });
  }
  process.stdout.write(out + '\n');
}
