// A decoder of sciwire `ndarray` envelopes in JSON text (spec/src/envelope.md,
// spec/src/ndarray.md), returning the canonical value
// (spec/src/canonical-value.md). Every check is in processing order.
import { tableFromIPC } from 'apache-arrow';
import { fail } from './errors.mjs';
import { parseJson, JNumber, JObject } from './json.mjs';
import { readStream, T } from './arrow.mjs';
import { readFrame } from './frame.mjs';
import { LIMITS } from './limits.mjs';

export { LIMITS };
const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53-1

const MARKERS = new Set(['ndarray', 'scipy.sparse', 'torch.tensor', 'sklearn.estimator', 'dataframe', 'series']);

// The dtype table: name -> { size, kind, arrow: the Arrow type it must have }
const FIXED = new Map([
  ['bool', { size: 1, kind: 'bool', arrow: { tag: T.Bool } }],
  ...[8, 16, 32, 64].flatMap((b) => [
    [`int${b}`, { size: b / 8, kind: 'int', signed: true, arrow: { tag: T.Int, bitWidth: b, signed: true } }],
    [`uint${b}`, { size: b / 8, kind: 'uint', signed: false, arrow: { tag: T.Int, bitWidth: b, signed: false } }],
  ]),
  ['float16', { size: 2, kind: 'float', arrow: { tag: T.FloatingPoint, precision: 0 } }],
  ['float32', { size: 4, kind: 'float', arrow: { tag: T.FloatingPoint, precision: 1 } }],
  ['float64', { size: 8, kind: 'float', arrow: { tag: T.FloatingPoint, precision: 2 } }],
  ['datetime64[D]', { size: 8, kind: 'time', arrow: { tag: T.Date, unit: 0 } }],
  ...['s', 'ms', 'us', 'ns'].flatMap((u, unit) => [
    [`datetime64[${u}]`, { size: 8, kind: 'time', arrow: { tag: T.Timestamp, unit } }],
    [`timedelta64[${u}]`, { size: 8, kind: 'time', arrow: { tag: T.Duration, unit } }],
  ]),
]);
for (const [name, d] of FIXED) d.name = name;

/** [ndarray.dtype.table]: the dtype of a name, or null. */
function dtypeOf(name) {
  const f = FIXED.get(name);
  if (f) return f;
  const m = /^(<U|\|S)([1-9][0-9]{0,8})$/.exec(name);
  if (!m) return null;
  const n = Number(m[2]);
  return m[1] === '<U'
    ? { name, size: 4 * n, width: n, kind: 'str', arrow: { tag: T.Utf8 } }
    : { name, size: n, width: n, kind: 'bytes', arrow: { tag: T.Binary } };
}

/** [ndarray.arrow.type], v0 without dtype: the dtype an Arrow type gives, or null. */
function dtypeOfArrow(t) {
  for (const d of FIXED.values()) if (sameType(t, d.arrow)) return d;
  return null;
}

function sameType(t, a) {
  if (t.tag !== a.tag) return false;
  switch (t.tag) {
    case T.Int: return t.bitWidth === a.bitWidth && t.signed === a.signed;
    case T.FloatingPoint: return t.precision === a.precision;
    case T.Date: return t.unit === a.unit;
    case T.Timestamp: return t.unit === a.unit && (t.timezone === null || t.timezone === '');
    case T.Duration: return t.unit === a.unit;
    default: return true;
  }
}

const jtype = (v) => v === null ? 'null' : v instanceof JNumber ? 'number' : v instanceof JObject ? 'object'
  : Array.isArray(v) ? 'array' : typeof v === 'string' ? 'string' : 'boolean';

/**
 * Decode the input: a frame when its first byte is c1 ([frame.detect]), else
 * JSON text holding an ndarray envelope.
 */
export function decodeEnvelope(bytes) {
  const L = LIMITS;
  // [limits.input-bytes]
  if (bytes.length > L.maxInputBytes) {
    fail('E_LIMIT_EXCEEDED', 'limits.input-bytes', `input of ${bytes.length} bytes passes max_input_bytes ${L.maxInputBytes}`);
  }
  if (bytes.length > 0 && bytes[0] === 0xc1) {
    const { header, buffers, referred } = readFrame(bytes);
    const value = decodeHeader(header, { buffers, referred });
    // [frame.references]: every buffer referred to
    referred.forEach((r, j) => { if (!r) fail('E_FRAME_LAYOUT', 'frame.references', `buffer ${j} is referred to by no member`, '/buffers'); });
    return value;
  }
  return decodeHeader(parseJson(bytes, L.maxDepth), null);
}

/** The envelope checks, for JSON text (frame null) or a frame's header. */
function decodeHeader(env, frame) {
  // [envelope.object]
  if (!(env instanceof JObject) || !env.has('__tywrap__')) {
    fail('E_NOT_ENVELOPE', 'envelope.object', 'the value is not an object with a __tywrap__ member');
  }
  // [envelope.marker]
  const marker = env.get('__tywrap__');
  if (typeof marker !== 'string') fail('E_FIELD_TYPE', 'envelope.marker', '__tywrap__ is not a string', '/__tywrap__');
  if (!MARKERS.has(marker)) fail('E_UNKNOWN_MARKER', 'envelope.marker', `unknown marker ${JSON.stringify(marker)}`, '/__tywrap__');
  // [envelope.codec-version]
  let v0 = true;
  if (env.has('codecVersion')) {
    const cv = env.get('codecVersion');
    if (!(cv instanceof JNumber) || cv.value !== 1) fail('E_CODEC_VERSION', 'envelope.codec-version', 'codecVersion is not the number 1', '/codecVersion');
    v0 = false;
  } else if (frame) {
    fail('E_CODEC_VERSION', 'frame.codec-version', "a frame's header needs codecVersion", '/codecVersion');
  }
  if (marker !== 'ndarray') {
    // This decoder declares the ndarray marker only ([harness.capabilities]);
    // the runner sends it nothing else.
    throw new Error(`this decoder reads ndarray envelopes only, not ${marker}`);
  }
  // [envelope.encoding], [ndarray.encodings]
  if (!env.has('encoding')) fail('E_MISSING_FIELD', 'envelope.encoding', 'encoding is missing', '/encoding');
  const encoding = env.get('encoding');
  if (typeof encoding !== 'string') fail('E_FIELD_TYPE', 'envelope.encoding', 'encoding is not a string', '/encoding');
  if (frame ? encoding !== 'frame' : (encoding !== 'arrow' && encoding !== 'json')) {
    fail('E_ENCODING_UNSUPPORTED', 'ndarray.encodings', `encoding ${JSON.stringify(encoding)} is not ${frame ? 'frame in a frame' : 'arrow or json in JSON text'}`, '/encoding');
  }
  // [envelope.unknown-fields], [ndarray.members]
  const payloadMember = encoding === 'arrow' ? 'b64' : 'data';
  const allowed = new Set(['__tywrap__', 'codecVersion', 'encoding', 'dtype', 'shape', payloadMember]);
  if (frame) allowed.add('buffers'); // [frame.buffers]: the frame's, not the envelope's
  for (const k of env.keys()) {
    if (!allowed.has(k) && !k.startsWith('x-')) {
      fail('E_UNKNOWN_FIELD', 'ndarray.members', `member ${JSON.stringify(k)} is not allowed in an ${encoding} envelope`, '/' + k.replace(/~/g, '~0').replace(/\//g, '~1'));
    }
  }
  // [ndarray.required], [ndarray.legacy-v0]
  for (const k of ['dtype', 'shape', payloadMember]) {
    if (env.has(k)) continue;
    if (v0 && (k === 'shape' || (k === 'dtype' && encoding === 'arrow'))) continue;
    fail('E_MISSING_FIELD', v0 ? 'ndarray.legacy-v0' : 'ndarray.required', `${k} is missing`, '/' + k);
  }
  // [ndarray.dtype.table]
  let dtype = null;
  if (env.has('dtype')) {
    const d = env.get('dtype');
    if (typeof d !== 'string') fail('E_FIELD_TYPE', 'ndarray.dtype.table', 'dtype is not a string', '/dtype');
    dtype = dtypeOf(d);
    if (dtype === null) fail('E_DTYPE_UNSUPPORTED', 'ndarray.dtype.table', `dtype ${JSON.stringify(d)} is not in the dtype table`, '/dtype');
  }
  // [ndarray.shape.items] and the limits on the shape
  let shape = null;
  if (env.has('shape')) {
    const s = env.get('shape');
    if (!Array.isArray(s)) fail('E_FIELD_TYPE', 'ndarray.shape.items', 'shape is not an array', '/shape');
    shape = s.map((x, j) => {
      if (!(x instanceof JNumber) || !Number.isInteger(x.value) || x.value < 0 || x.value > MAX_SAFE) {
        fail('E_SHAPE_INVALID', 'ndarray.shape.items', `shape entry ${j} is not an integer in [0, 2^53-1]`, `/shape/${j}`);
      }
      return x.value === 0 ? 0 : x.value; // -0 is 0
    });
    checkShapeLimits(shape, dtype);
  }
  if (frame) return decodeFramePayload(env, dtype, shape, frame);
  return encoding === 'arrow'
    ? decodeArrow(env, dtype, shape)
    : decodeJsonPayload(env, dtype, shape);
}

/** [limits.ndim], [limits.elements], [limits.decoded-bytes] on a shape; returns the element count. */
function checkShapeLimits(shape, dtype) {
  const L = LIMITS;
  if (shape.length > L.maxNdim) fail('E_LIMIT_EXCEEDED', 'limits.ndim', `shape has ${shape.length} entries, past max_ndim ${L.maxNdim}`, '/shape');
  const count = elementCount(shape);
  if (dtype !== null) checkDecodedBytes(count, dtype);
  return count;
}

function elementCount(shape) {
  if (shape.includes(0)) return 0;
  let p = 1;
  for (const d of shape) {
    p *= d; // both factors are at most 2^53 and p stays at most 2^28 before: no overflow past 2^81
    if (p > LIMITS.maxElements) fail('E_LIMIT_EXCEEDED', 'limits.elements', `shape has more than max_elements ${LIMITS.maxElements} elements`, '/shape');
  }
  return p;
}

function checkDecodedBytes(count, dtype) {
  if (count * dtype.size > LIMITS.maxDecodedBytes) {
    fail('E_LIMIT_EXCEEDED', 'limits.decoded-bytes', `${count} elements of ${dtype.size} bytes pass max_decoded_bytes ${LIMITS.maxDecodedBytes}`);
  }
}

function canonical(dtype, shape, bytes) {
  return { kind: 'ndarray', dtype: dtype.name, shape, hex: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') };
}

// ---------------------------------------------------------------- frame

function decodeFramePayload(env, dtype, shape, frame) {
  // [frame.references]
  const ref = env.get('data');
  if (!(ref instanceof JNumber) || !Number.isInteger(ref.value)) {
    fail('E_FIELD_TYPE', 'frame.references', 'data is not a buffer index (an integer)', '/data');
  }
  const j = ref.value;
  if (j < 0 || j >= frame.buffers.length) fail('E_FRAME_LAYOUT', 'frame.references', `data refers to buffer ${j} of ${frame.buffers.length}`, '/data');
  if (frame.referred[j]) fail('E_FRAME_LAYOUT', 'frame.references', `buffer ${j} is referred to twice`, '/data');
  frame.referred[j] = true;
  // [frame.lengths]
  const count = elementCount(shape);
  const buf = frame.buffers[j];
  if (buf.length !== count * dtype.size) {
    fail('E_SHAPE_MISMATCH', 'frame.lengths', `buffer ${j} holds ${buf.length} bytes; shape and dtype need ${count * dtype.size}`, '/data');
  }
  // [frame.values]
  if (dtype.kind === 'bool') {
    for (let k = 0; k < buf.length; k++) if (buf[k] > 1) fail('E_VALUE_DOMAIN', 'frame.values', `bool element ${k} is ${buf[k].toString(16)}, not 00 or 01`, '/data');
  } else if (dtype.kind === 'str') {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let k = 0; k < buf.length; k += 4) {
      const u = dv.getUint32(k, true);
      if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) fail('E_VALUE_DOMAIN', 'frame.values', `UTF-32 unit ${u.toString(16)} is not a Unicode scalar value`, '/data');
    }
  }
  return canonical(dtype, shape, buf);
}

// ---------------------------------------------------------------- json

function decodeJsonPayload(env, dtype, shape) {
  // [ndarray.json.dtypes]
  if (!['bool', 'int', 'uint', 'float'].includes(dtype.kind)) {
    fail('E_DTYPE_UNSUPPORTED', 'ndarray.json.dtypes', `dtype ${dtype.name} has no json form`, '/dtype');
  }
  const data = env.get('data');
  if (shape === null) {
    // v0: infer the shape by walking first items, then the limits apply to it.
    shape = [];
    let v = data;
    while (Array.isArray(v)) {
      shape.push(v.length);
      if (v.length === 0) break;
      v = v[0];
    }
    checkShapeLimits(shape, dtype);
  }
  // [ndarray.json.nesting]: the whole structure before any leaf's value
  const leaves = [];
  const walk = (v, dim, path) => {
    if (dim === shape.length) {
      if (Array.isArray(v)) fail('E_SHAPE_MISMATCH', 'ndarray.json.nesting', `an array where a leaf belongs at ${path}`, path);
      leaves.push(v);
      return;
    }
    if (!Array.isArray(v)) fail('E_SHAPE_MISMATCH', 'ndarray.json.nesting', `a leaf where an array of ${shape[dim]} belongs at ${path}`, path);
    if (v.length !== shape[dim]) fail('E_SHAPE_MISMATCH', 'ndarray.json.nesting', `an array of ${v.length} where ${shape[dim]} belong at ${path}`, path);
    for (let j = 0; j < v.length; j++) walk(v[j], dim + 1, `${path}/${j}`);
  };
  walk(data, 0, '/data');
  // [ndarray.json.values], [ndarray.json.elements]
  const out = new Uint8Array(leaves.length * dtype.size);
  const dv = new DataView(out.buffer);
  const bad = (j, why) => fail('E_VALUE_DOMAIN', 'ndarray.json.values', `leaf ${j} ${why} for ${dtype.name}`);
  leaves.forEach((leaf, j) => {
    const at = j * dtype.size;
    if (dtype.kind === 'bool') {
      if (leaf !== true && leaf !== false) bad(j, `is ${jtype(leaf)}, not true or false`);
      out[at] = leaf ? 1 : 0;
      return;
    }
    if (!(leaf instanceof JNumber)) bad(j, `is ${jtype(leaf)}, not a number`);
    if (!leaf.hasValue) bad(j, `(${leaf.text}) has no binary64 value`);
    const x = leaf.value;
    if (dtype.kind === 'int' || dtype.kind === 'uint') {
      if (!Number.isInteger(x) || Math.abs(x) > MAX_SAFE) bad(j, `(${leaf.text}) is not an integer in [-(2^53-1), 2^53-1]`);
      const bits = dtype.size * 8;
      const lo = dtype.kind === 'uint' ? 0 : -(2 ** (bits - 1));
      const hi = dtype.kind === 'uint' ? 2 ** bits - 1 : 2 ** (bits - 1) - 1;
      if (x < lo || x > hi) bad(j, `(${leaf.text}) is outside the dtype's range`);
      const b = BigInt(x); // -0 becomes 0n
      for (let k = 0; k < dtype.size; k++) out[at + k] = Number((BigInt.asUintN(bits, b) >> BigInt(8 * k)) & 0xffn);
      return;
    }
    if (dtype.size === 8) { dv.setFloat64(at, x, true); return; }
    if (dtype.size === 4) {
      if (Math.fround(x) !== x) bad(j, `(${leaf.text}) is not exactly a float32`);
      dv.setFloat32(at, x, true);
      return;
    }
    const h = float16Bits(x);
    if (h === null) bad(j, `(${leaf.text}) is not exactly a float16`);
    dv.setUint16(at, h, true);
  });
  return canonical(dtype, shape, out);
}

/** The binary16 bits of a finite double that binary16 holds exactly, else null. */
function float16Bits(x) {
  const sign = (x < 0 || Object.is(x, -0)) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  if (a > 65504) return null;
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  if (e < -14) {
    // subnormal: a multiple of 2^-24
    const m = a * 2 ** 24;
    if (!Number.isInteger(m)) return null;
    return sign | m;
  }
  const m = a * 2 ** (10 - e); // in [1024, 2048)
  if (!Number.isInteger(m)) return null;
  return sign | ((e + 15) << 10) | (m - 1024);
}

// ---------------------------------------------------------------- arrow

const B64_BODY = /^[A-Za-z0-9+/]*$/;
const B64_VAL = (c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(c);

function decodeArrow(env, dtype, shape) {
  // [ndarray.arrow.base64]
  const b64 = env.get('b64');
  if (typeof b64 !== 'string') fail('E_FIELD_TYPE', 'ndarray.arrow.base64', 'b64 is not a string', '/b64');
  let pad = 0;
  if (b64.endsWith('=')) pad = b64.endsWith('==') ? 2 : 1;
  const claimed = Math.floor(3 * b64.length / 4) - pad;
  if (claimed > LIMITS.maxDecodedBytes) {
    fail('E_LIMIT_EXCEEDED', 'limits.decoded-bytes', `b64 claims ${claimed} bytes, past max_decoded_bytes`, '/b64');
  }
  const body = b64.slice(0, b64.length - pad);
  if (b64.length % 4 !== 0 || !B64_BODY.test(body)) {
    fail('E_BASE64', 'ndarray.arrow.base64', 'b64 is not canonical padded standard base64', '/b64');
  }
  if (pad > 0) {
    const last = B64_VAL(body[body.length - 1]);
    if ((pad === 2 && (last & 0x0f)) || (pad === 1 && (last & 0x03))) {
      fail('E_BASE64', 'ndarray.arrow.base64', 'b64 has non-zero unused bits before its padding', '/b64');
    }
  }
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== claimed) throw new Error('base64 decoder disagrees with the checked length');

  // [ndarray.arrow.stream] items 1-3, 5 and [ndarray.arrow.batches]
  const { fields, batch } = readStream(bytes);
  // [ndarray.arrow.schema]
  if (fields.length !== 1) fail('E_ARROW_SCHEMA', 'ndarray.arrow.schema', `the schema has ${fields.length} fields, not one`);
  const f = fields[0];
  if (f.name !== 'value') {
    fail('E_ARROW_SCHEMA', 'ndarray.arrow.schema', 'the field is not named value');
  }
  if (f.dictionary) fail('E_ARROW_SCHEMA', 'ndarray.arrow.schema', 'the field is dictionary-encoded');
  // [ndarray.arrow.type]
  if (dtype === null) {
    dtype = dtypeOfArrow(f.type);
    if (dtype === null) fail('E_MISSING_FIELD', 'ndarray.legacy-v0', 'no dtype, and the Arrow type gives none', '/dtype');
    if (shape !== null) checkDecodedBytes(elementCount(shape), dtype);
  } else if (!sameType(f.type, dtype.arrow)) {
    fail('E_DTYPE_MISMATCH', 'ndarray.arrow.type', `the Arrow column's type (tag ${f.type.tag}) is not the one dtype ${dtype.name} needs`);
  }
  const length = batch === null ? 0 : Number(batch.length);
  // item 4: the column's contents
  const col = batch === null ? null : checkContents(batch, f.type, dtype, length);
  // [ndarray.arrow.length]
  if (shape === null) {
    if (length > LIMITS.maxElements) fail('E_LIMIT_EXCEEDED', 'limits.elements', `${length} elements pass max_elements`);
    checkDecodedBytes(length, dtype);
    shape = [length];
  } else if (elementCount(shape) !== length) {
    fail('E_SHAPE_MISMATCH', 'ndarray.arrow.length', `the column has ${length} rows but shape [${shape}] has ${elementCount(shape)} elements`);
  }
  // [ndarray.arrow.nulls]
  if (col !== null && col.nullCount > 0) fail('E_ARROW_NULLS', 'ndarray.arrow.nulls', `the column has ${col.nullCount} nulls`);
  // [ndarray.arrow.strings] and [ndarray.arrow.elements], reading the column with apache-arrow
  return canonical(dtype, shape, elements(bytes, dtype, length));
}

function popcountUnset(bitmap, len) {
  let unset = 0;
  for (let j = 0; j < len; j++) if (!(bitmap[j >> 3] & (1 << (j & 7)))) unset++;
  return unset;
}

/** [ndarray.arrow.stream] item 4 for a column of a table type. */
function checkContents(batch, type, dtype, length) {
  const bad = (msg) => fail('E_ARROW_PAYLOAD', 'ndarray.arrow.stream', msg);
  // only the view types read variadicBufferCounts, and no table type is one
  if (batch.variadicCounts > 0) bad(`the record batch declares ${batch.variadicCounts} variadic buffer count(s)`);
  const node = batch.nodes[0];
  if (node.length !== batch.length) bad(`field node length ${node.length} is not the batch length ${batch.length}`);
  const varLen = type.tag === T.Utf8 || type.tag === T.Binary;
  const nbuf = varLen ? 3 : 2;
  if (batch.buffers.length < nbuf) bad(`the batch names ${batch.buffers.length} buffers; the type uses ${nbuf}`);
  const [validity, second, third] = batch.buffers;
  const bitmapBytes = Math.ceil(length / 8);
  let nullCount = 0;
  if (validity.length === 0) {
    if (node.nullCount !== 0n) bad(`null_count ${node.nullCount} without a validity bitmap`);
  } else {
    if (validity.length < bitmapBytes) bad('the validity bitmap is too short');
    nullCount = popcountUnset(validity, length);
    if (BigInt(nullCount) !== node.nullCount) bad(`null_count ${node.nullCount} but the bitmap has ${nullCount} unset bits`);
  }
  if (type.tag === T.Bool) {
    if (second.length < bitmapBytes) bad('the values bitmap is too short');
  } else if (!varLen) {
    const item = type.tag === T.Date ? 4 : dtype.size;
    if (second.length % item !== 0) bad(`values buffer of ${second.length} bytes is not whole ${item}-byte values`);
    if (second.length < length * item) bad(`values buffer of ${second.length} bytes is too short for ${length} values`);
  } else {
    if (second.length % 4 !== 0) bad(`offsets buffer of ${second.length} bytes is not whole 4-byte offsets`);
    if (length > 0 || second.length > 0) {
      if (second.length < (length + 1) * 4) bad('offsets buffer too short');
      const dv = new DataView(second.buffer, second.byteOffset, second.byteLength);
      let prev = dv.getInt32(0, true);
      if (prev < 0 || prev > third.length) bad('offset outside the data');
      for (let j = 1; j <= length; j++) {
        const o = dv.getInt32(4 * j, true);
        if (o < prev) bad('offsets decrease');
        if (o > third.length) bad('offset past the data');
        if (type.tag === T.Utf8 && !isUtf8(third.subarray(prev, o))) bad(`element ${j - 1} is not UTF-8`);
        prev = o;
      }
    }
  }
  return { nullCount };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function isUtf8(b) {
  try { strictUtf8.decode(b); return true; } catch { return false; }
}

/** The element bytes ([ndarray.arrow.elements]), read with apache-arrow once every check above passed. */
function elements(bytes, dtype, length) {
  const out = new Uint8Array(length * dtype.size);
  if (length === 0) return out;
  const table = tableFromIPC(bytes);
  const chunks = table.getChild('value').data;
  if (chunks.length !== 1 || chunks[0].length !== length) throw new Error('apache-arrow read another column than the one checked');
  const data = chunks[0];
  const dv = new DataView(out.buffer);
  if (dtype.kind === 'bool') {
    for (let j = 0; j < length; j++) out[j] = (data.values[j >> 3] >> (j & 7)) & 1;
  } else if (dtype.name === 'datetime64[D]') {
    for (let j = 0; j < length; j++) dv.setBigInt64(8 * j, BigInt(data.values[j]), true);
  } else if (dtype.kind === 'str' || dtype.kind === 'bytes') {
    const offs = data.valueOffsets, vals = data.values;
    for (let j = 0; j < length; j++) {
      const el = vals.subarray(offs[j], offs[j + 1]);
      const at = j * dtype.size;
      if (dtype.kind === 'bytes') {
        // [ndarray.arrow.strings]
        if (el.length > dtype.width) fail('E_VALUE_DOMAIN', 'ndarray.arrow.strings', `element ${j} has ${el.length} bytes, more than ${dtype.width}`);
        if (el.length > 0 && el[el.length - 1] === 0) fail('E_VALUE_DOMAIN', 'ndarray.arrow.strings', `element ${j} ends with a zero byte`);
        out.set(el, at);
      } else {
        const s = strictUtf8.decode(el);
        let k = 0, last = -1;
        for (const ch of s) {
          if (k >= dtype.width) fail('E_VALUE_DOMAIN', 'ndarray.arrow.strings', `element ${j} has more than ${dtype.width} code points`);
          last = ch.codePointAt(0);
          dv.setUint32(at + 4 * k, last, true);
          k++;
        }
        if (last === 0) fail('E_VALUE_DOMAIN', 'ndarray.arrow.strings', `element ${j} ends with U+0000`);
      }
    }
  } else {
    const v = data.values;
    out.set(new Uint8Array(v.buffer, v.byteOffset, length * dtype.size));
  }
  return out;
}
