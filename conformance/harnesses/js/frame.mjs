// Frames (spec/src/frame.md): the prefix, the header, the buffers' layout and
// the padding ([frame.signature] to [frame.padding]). The header's envelope
// is decoded by ndarray.mjs.
import { fail } from './errors.mjs';
import { parseJson, JObject, JNumber } from './json.mjs';
import { LIMITS } from './limits.mjs';

const SIGNATURE = [0xc1, 0x53, 0x57, 0x52, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const align64 = (n) => Math.ceil(n / 64) * 64;
const layout = (clause, msg, path) => fail('E_FRAME_LAYOUT', clause, msg, path);

/** Check a frame's layout; returns its header (parsed JSON object) and its buffers as views of the input. */
export function readFrame(input) {
  const n = input.length;
  // [frame.signature]
  for (let k = 0; k < 8; k++) {
    if (k >= n || input[k] !== SIGNATURE[k]) fail('E_FRAME_SIGNATURE', 'frame.signature', k >= n ? `input of ${n} bytes ends inside the signature` : `signature byte ${k} is ${input[k].toString(16)}`);
  }
  const dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
  // [frame.version] (an input without them has no version: [frame.header-length])
  if (n < 12) layout('frame.header-length', `input of ${n} bytes ends inside the version`);
  const version = dv.getUint32(8, true);
  if (version !== 1) fail('E_FRAME_VERSION', 'frame.version', `frame version ${version} is not 1`);
  // [frame.header-length]
  if (n < 16) layout('frame.header-length', `input of ${n} bytes ends inside the header length`);
  const h = dv.getUint32(12, true);
  if (h > n - 16) layout('frame.header-length', `header length ${h} passes the ${n - 16} bytes after the prefix`);
  const headerEnd = 16 + h;
  // [frame.header]
  const header = parseJson(input.subarray(16, headerEnd), LIMITS.maxDepth);
  if (!(header instanceof JObject)) fail('E_NOT_ENVELOPE', 'envelope.object', "the frame's header is not an object");
  // [frame.buffers]: every item read first
  if (!header.has('buffers')) fail('E_MISSING_FIELD', 'frame.buffers', "the frame's header has no buffers member", '/buffers');
  const items = header.get('buffers');
  if (!Array.isArray(items)) fail('E_FIELD_TYPE', 'frame.buffers', 'buffers is not an array', '/buffers');
  const isIndex = (x) => x instanceof JNumber && Number.isInteger(x.value) && x.value >= 0 && x.value <= MAX_SAFE;
  const pairs = items.map((it, j) => {
    if (!Array.isArray(it) || it.length !== 2 || !isIndex(it[0]) || !isIndex(it[1])) {
      layout('frame.buffers', `buffers item ${j} is not two integers [offset, length] in [0, 2^53-1]`, `/buffers/${j}`);
    }
    return [it[0].value, it[1].value];
  });
  // [frame.limits]: the claimed total, before the layout meets the input
  let sum = 0;
  for (const [, len] of pairs) {
    sum += len; // each at most 2^53-1; stops as soon as it passes the limit
    if (sum > LIMITS.maxDecodedBytes) fail('E_LIMIT_EXCEEDED', 'frame.limits', `the buffers' lengths add up to more than max_decoded_bytes ${LIMITS.maxDecodedBytes}`, '/buffers');
  }
  // the layout: one spelling
  const d = align64(headerEnd);
  let expect = 0, end = 0;
  pairs.forEach(([off, len], j) => {
    if (off !== expect) layout('frame.buffers', `buffer ${j} is at offset ${off}, not ${expect}`, `/buffers/${j}`);
    end = off + len;
    expect = align64(end);
  });
  if (d + end !== n) layout('frame.buffers', `the frame's layout ends at byte ${d + end}, the input at ${n}`);
  // [frame.padding]
  const zero = (a, b, what) => { for (let k = a; k < b; k++) if (input[k] !== 0) layout('frame.padding', `byte ${k} of the ${what} is not zero`); };
  zero(headerEnd, d, 'padding after the header');
  let prevEnd = 0;
  for (const [off, len] of pairs) { zero(d + prevEnd, d + off, 'padding between buffers'); prevEnd = off + len; }
  return {
    header,
    buffers: pairs.map(([off, len]) => input.subarray(d + off, d + off + len)),
    referred: pairs.map(() => false),
  };
}
