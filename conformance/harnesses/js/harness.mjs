#!/usr/bin/env node
// The sciwire-js conformance harness (spec/src/harness.md): JSON lines on
// standard input and output. Decodes ndarray envelopes: JSON text with the
// arrow and json encodings (codec versions 0 and 1) and frames; declares
// exactly that. Encoding is not implemented.
import { decodeEnvelope, LIMITS } from './ndarray.mjs';
import { SciwireError } from './errors.mjs';

const PROTOCOL = 1;
const IMPLEMENTATION = { name: 'sciwire-js', version: '0.1.0', language: 'javascript' };
const CAPABILITIES = {
  ndarray: { directions: ['decode'], encodings: ['arrow', 'json', 'frame'], codecVersions: [0, 1] },
};

const out = (obj) => { process.stdout.write(JSON.stringify(obj) + '\n'); };

function decode(id, input) {
  try {
    return { id, value: decodeEnvelope(input) };
  } catch (e) {
    if (e instanceof SciwireError) return { id, error: e.toObject() };
    return { id, errored: true, context: { message: String(e && e.message || e), traceback: String(e && e.stack || '') } };
  }
}

// [limits.input-bytes] before the input is even decoded from base64: the
// length the base64 text claims is the input's length.
function claimedLength(b64len, tail) {
  const pad = tail.endsWith('==') ? 2 : tail.endsWith('=') ? 1 : 0;
  return Math.floor(3 * b64len / 4) - pad;
}

function handle(req, bigInput) {
  const id = Number.isInteger(req?.id) && req.id >= 0 ? req.id : 0;
  switch (req?.cmd) {
    case 'start':
      return { id, protocol: PROTOCOL, implementation: IMPLEMENTATION, capabilities: CAPABILITIES };
    case 'decode': {
      if (req.profile !== undefined) return { id, errored: true, context: { message: `no profile ${req.profile} here` } };
      if (bigInput) {
        const n = claimedLength(bigInput.length, bigInput.tail);
        if (n > LIMITS.maxInputBytes) {
          return { id, error: { code: 'E_LIMIT_EXCEEDED', message: `input of ${n} bytes passes max_input_bytes ${LIMITS.maxInputBytes}`, clause: 'limits.input-bytes' } };
        }
        return decode(id, bigInput.decode(n));
      }
      if (typeof req.input !== 'string') return { id, errored: true, context: { message: 'decode without an input' } };
      const n = claimedLength(req.input.length, req.input.slice(-2));
      if (n > LIMITS.maxInputBytes) {
        return { id, error: { code: 'E_LIMIT_EXCEEDED', message: `input of ${n} bytes passes max_input_bytes`, clause: 'limits.input-bytes' } };
      }
      return decode(id, Buffer.from(req.input, 'base64'));
    }
    case 'encode':
      return { id, skipped: true, message: 'sciwire-js decodes only' };
    case 'stop':
      process.exit(0);
    default:
      return { id, errored: true, context: { message: `unknown command ${JSON.stringify(req?.cmd)}` } };
  }
}

// Lines are read as raw chunks. A line longer than BIG is not turned into one
// string: the base64 of its "input" member is located in the chunks, its
// length alone decides [limits.input-bytes], and only an input within the
// limit is joined and decoded. (The runner sends hostile inputs of about
// 358 MB on one line.)
const BIG = 1 << 20;
const KEY = Buffer.from('"input":"');

/** The bytes [a, b) of a line held as chunks, copied into one Buffer. */
function slice(chunks, a, b) {
  const parts = [];
  for (let c = 0, base = 0; c < chunks.length && base < b; base += chunks[c].length, c++) {
    const lo = Math.max(a - base, 0), hi = Math.min(b - base, chunks[c].length);
    if (lo < hi) parts.push(chunks[c].subarray(lo, hi));
  }
  return Buffer.concat(parts);
}

/** Decode the base64 text at [a, b) of the chunks into n bytes, a piece at a time (no copy of the text). */
function decodeBase64Chunks(chunks, a, b, n) {
  const out = Buffer.alloc(n);
  let w = 0, carry = Buffer.alloc(0);
  for (let c = 0, base = 0; c < chunks.length && base < b; base += chunks[c].length, c++) {
    const lo = Math.max(a - base, 0), hi = Math.min(b - base, chunks[c].length);
    if (lo >= hi) continue;
    let piece = chunks[c].subarray(lo, hi);
    if (carry.length) piece = Buffer.concat([carry, piece]);
    const whole = piece.length - (piece.length % 4);
    w += Buffer.from(piece.subarray(0, whole).toString('latin1'), 'base64').copy(out, w);
    carry = Buffer.from(piece.subarray(whole));
  }
  if (carry.length) w += Buffer.from(carry.toString('latin1'), 'base64').copy(out, w);
  return out.subarray(0, w);
}

function processLine(chunks, total) {
  let req, bigInput = null;
  if (total <= BIG) {
    req = JSON.parse(Buffer.concat(chunks, total).toString('utf8'));
  } else {
    const head = Buffer.concat(chunks.slice(0, 64)).subarray(0, BIG);
    const k = head.indexOf(KEY);
    if (k < 0) {
      req = JSON.parse(Buffer.concat(chunks, total).toString('utf8'));
    } else {
      const start = k + KEY.length;
      // base64 holds no quote: the input runs to the first quote after start
      let end = -1;
      for (let c = 0, base = 0; c < chunks.length; base += chunks[c].length, c++) {
        if (base + chunks[c].length <= start) continue;
        const q = chunks[c].indexOf(0x22, Math.max(0, start - base));
        if (q >= 0) { end = base + q; break; }
      }
      if (end < 0) throw new Error('unterminated input string');
      // the request without its input is small: parse it with "input":""
      req = JSON.parse(head.subarray(0, start).toString('utf8') + slice(chunks, end, total).toString('utf8'));
      const tail = slice(chunks, Math.max(start, end - 2), end).toString('latin1');
      bigInput = { length: end - start, tail, decode: (n) => decodeBase64Chunks(chunks, start, end, n) };
    }
  }
  return handle(req, bigInput);
}

let chunks = [], total = 0;
process.stdin.on('data', (buf) => {
  let from = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, from);
    if (nl < 0) {
      if (from < buf.length) { chunks.push(buf.subarray(from)); total += buf.length - from; }
      return;
    }
    chunks.push(buf.subarray(from, nl)); total += nl - from;
    const c = chunks, t = total;
    chunks = []; total = 0;
    from = nl + 1;
    if (t === 0) continue;
    let resp;
    try {
      resp = processLine(c, t);
    } catch (e) {
      resp = { id: 0, errored: true, context: { message: `bad request: ${e.message}` } };
    }
    out(resp);
  }
});
process.stdin.on('end', () => process.exit(0));
