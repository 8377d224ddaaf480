// The framing of an Arrow IPC stream, and a flatbuffer verifier for its
// messages ([ndarray.arrow.stream] items 1-3 and 5, [ndarray.arrow.batches]),
// written from the Arrow format's Message.fbs / Schema.fbs and the
// flatbuffers wire format. Nothing here trusts a length before checking it
// against the bytes present, and nothing allocates in proportion to a length
// read from the input.
import { fail } from './errors.mjs';

const payload = (msg) => fail('E_ARROW_PAYLOAD', 'ndarray.arrow.stream', msg);

// Message.fbs MessageHeader union
const HDR_SCHEMA = 1, HDR_DICTIONARY_BATCH = 2, HDR_RECORD_BATCH = 3, HDR_TENSOR = 4, HDR_SPARSE_TENSOR = 5;
const METADATA_V5 = 4;
// Schema.fbs Type union tags
export const T = {
  Null: 1, Int: 2, FloatingPoint: 3, Binary: 4, Utf8: 5, Bool: 6, Decimal: 7, Date: 8, Time: 9,
  Timestamp: 10, Interval: 11, List: 12, Struct_: 13, Union: 14, FixedSizeBinary: 15,
  FixedSizeList: 16, Map: 17, Duration: 18, LargeBinary: 19, LargeUtf8: 20, LargeList: 21,
  RunEndEncoded: 22, BinaryView: 23, Utf8View: 24, ListView: 25, LargeListView: 26,
};
const ONE_CHILD = new Set([T.List, T.LargeList, T.FixedSizeList, T.Map, T.ListView, T.LargeListView]);

// Flatbuffer verifier limits: tables nested at most 64 deep (the Message
// table is at depth 1; the vectors' ndarray-invalid-arrow-fb-depth-* say 64,
// where Arrow C++ allows 128), and at most 8 tables per byte of metadata
// (which bounds the work on a metadata whose offsets share subtrees).
const MAX_DEPTH = 64;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A verifying reader over one message's metadata flatbuffer. */
class Fb {
  constructor(buf) {
    this.b = buf;
    this.n = buf.length;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.tables = 0;
    this.maxTables = 8 * buf.length;
  }
  /** Scalars are aligned to their size, relative to the metadata's start. */
  aligned(p, size) {
    if (p % size !== 0) payload(`flatbuffer ${size}-byte scalar at ${p} is not aligned to ${size}`);
  }
  inside(pos, len) {
    if (!(pos >= 0 && len >= 0 && pos + len <= this.n)) payload(`flatbuffer read of ${len} bytes at ${pos} is outside the ${this.n}-byte metadata`);
  }
  u8(p) { this.inside(p, 1); return this.b[p]; }
  u16(p) { this.inside(p, 2); this.aligned(p, 2); return this.dv.getUint16(p, true); }
  i16(p) { this.inside(p, 2); this.aligned(p, 2); return this.dv.getInt16(p, true); }
  i32(p) { this.inside(p, 4); this.aligned(p, 4); return this.dv.getInt32(p, true); }
  u32(p) { this.inside(p, 4); this.aligned(p, 4); return this.dv.getUint32(p, true); }
  i64(p) { this.inside(p, 8); this.aligned(p, 8); return this.dv.getBigInt64(p, true); }
  /** An int64 inside a struct, which need not be aligned. */
  i64s(p) { this.inside(p, 8); return this.dv.getBigInt64(p, true); }
  /** Follow a uoffset stored at p: not 0, not negative as signed, target inside. */
  offset(p) {
    const o = this.u32(p);
    if (o === 0) payload(`flatbuffer offset at ${p} is 0 (points at itself)`);
    if (o >= 0x80000000) payload(`flatbuffer offset at ${p} is negative`);
    const t = p + o;
    this.inside(t, 1);
    return t;
  }
  /** Start a table at t: returns an accessor of its fields. */
  table(t, depth) {
    if (++this.tables > this.maxTables) payload('flatbuffer has too many tables');
    if (depth > MAX_DEPTH) payload(`flatbuffer tables nested ${depth} deep, past ${MAX_DEPTH}`);
    const so = this.i32(t);
    const vt = t - so;
    const vsize = this.u16(vt);
    if (vsize & 1) payload(`flatbuffer vtable at ${vt} has an odd size`);
    this.inside(vt, vsize);
    return new Table(this, t, vt, vsize, depth);
  }
  /** A vector at v: its element count, after checking it fits. */
  vector(v, elemSize) {
    const len = this.u32(v);
    this.inside(v + 4, len * elemSize);
    return len;
  }
  string(v) {
    const len = this.u32(v);
    this.inside(v + 4, len + 1);
    if (this.b[v + 4 + len] !== 0) payload(`flatbuffer string at ${v} is not zero-terminated`);
    const bytes = this.b.subarray(v + 4, v + 4 + len);
    try { return utf8.decode(bytes); } catch { payload(`flatbuffer string at ${v} is not UTF-8`); }
  }
}

class Table {
  constructor(fb, t, vt, vsize, depth) { this.fb = fb; this.t = t; this.vt = vt; this.vsize = vsize; this.depth = depth; }
  /** The position of field k (0-based), checked for `size` bytes, or -1 when absent. */
  pos(k, size, align = size) {
    const e = 4 + 2 * k;
    if (e >= this.vsize) return -1;
    const fo = this.fb.u16(this.vt + e);
    if (fo === 0) return -1;
    const p = this.t + fo;
    this.fb.inside(p, size);
    this.fb.aligned(p, align);
    return p;
  }
  u8(k, d) { const p = this.pos(k, 1); return p < 0 ? d : this.fb.u8(p); }
  bool(k) { return this.u8(k, 0) !== 0; }
  i16(k, d) { const p = this.pos(k, 2); return p < 0 ? d : this.fb.i16(p); }
  i32(k, d) { const p = this.pos(k, 4); return p < 0 ? d : this.fb.i32(p); }
  i64(k, d) { const p = this.pos(k, 8); return p < 0 ? d : this.fb.i64(p); }
  /** The target of an offset field, or -1. */
  ref(k) { const p = this.pos(k, 4); return p < 0 ? -1 : this.fb.offset(p); }
  sub(k) { const r = this.ref(k); return r < 0 ? null : this.fb.table(r, this.depth + 1); }
  string(k) { const r = this.ref(k); return r < 0 ? null : this.fb.string(r); }
  /** Tables of a vector-of-tables field, each verified by fn. */
  tables(k, fn) {
    const v = this.ref(k);
    if (v < 0) return null;
    const len = this.fb.vector(v, 4);
    const out = [];
    for (let j = 0; j < len; j++) {
      out.push(fn(this.fb.table(this.fb.offset(v + 4 + 4 * j), this.depth + 1)));
    }
    return out;
  }
  /**
   * A vector of structs or scalars: [position of element 0, count]. Scalar
   * elements are aligned to their size (elemAlign); a vector of structs
   * (FieldNode, Buffer) only has its length aligned.
   */
  vec(k, elemSize, elemAlign = 1) {
    const v = this.ref(k);
    if (v < 0) return null;
    const len = this.fb.vector(v, elemSize);
    if (len > 0) this.fb.aligned(v + 4, elemAlign);
    return [v + 4, len];
  }
}

function keyValues(tab, k) {
  tab.tables(k, (kv) => { kv.string(0); kv.string(1); return null; });
}

function intType(t, what) {
  const bitWidth = t.i32(0, 0);
  const signed = t.bool(1);
  if (![8, 16, 32, 64].includes(bitWidth)) payload(`${what} bitWidth ${bitWidth} is not 8, 16, 32 or 64`);
  return { bitWidth, signed };
}

const DECIMAL_MAX_PRECISION = { 32: 9, 64: 18, 128: 38, 256: 76 };

/** Verify a Type union member and return its parameters. */
function typeOf(tag, t) {
  if (!(tag >= 1 && tag <= 26)) payload(`Type union tag ${tag} is not one Schema.fbs defines`);
  if (t === null) payload(`field of Type tag ${tag} has no type table`);
  const unit = (k, d, max, what) => {
    const u = t.i16(k, d);
    if (u < 0 || u > max) payload(`${what} ${u} is not one Schema.fbs defines`);
    return u;
  };
  switch (tag) {
    case T.Int: return { tag, ...intType(t, 'Int') };
    case T.FloatingPoint: return { tag, precision: unit(0, 0, 2, 'FloatingPoint precision') };
    case T.Decimal: {
      const precision = t.i32(0, 0), scale = t.i32(1, 0), bitWidth = t.i32(2, 128);
      const max = DECIMAL_MAX_PRECISION[bitWidth];
      if (max === undefined) payload(`Decimal bitWidth ${bitWidth} is not 32, 64, 128 or 256`);
      if (precision < 1 || precision > max) payload(`Decimal${bitWidth} precision ${precision} is outside 1..${max}`);
      if (scale < -128 || scale > 127) payload(`Decimal scale ${scale} is outside -128..127`);
      return { tag, precision, scale, bitWidth };
    }
    case T.Date: return { tag, unit: unit(0, 1, 1, 'Date unit') };
    case T.Time: {
      const u = unit(0, 1, 3, 'Time unit');
      const bw = t.i32(1, 32);
      if (bw !== (u <= 1 ? 32 : 64)) payload(`Time bitWidth ${bw} does not fit its unit`);
      return { tag, unit: u, bitWidth: bw };
    }
    case T.Timestamp: {
      const u = unit(0, 0, 3, 'Timestamp unit');
      const tz = t.string(1);
      return { tag, unit: u, timezone: tz };
    }
    case T.Interval: return { tag, unit: unit(0, 0, 2, 'Interval unit') };
    case T.Duration: return { tag, unit: unit(0, 1, 3, 'Duration unit') };
    case T.Union: {
      const mode = unit(0, 0, 1, 'Union mode');
      const ids = t.vec(1, 4, 4);
      return { tag, mode, typeIds: ids ? ids[1] : null };
    }
    // byteWidth and listSize are read, not judged (ndarray-invalid-arrow-param-fixed-size-binary-width-minus-1)
    case T.FixedSizeBinary: return { tag, byteWidth: t.i32(0, 0) };
    case T.FixedSizeList: return { tag, listSize: t.i32(0, 0) };
    case T.Map: t.bool(0); return { tag };
    default: return { tag };
  }
}

function field(f) {
  const name = f.string(0);
  const nullable = f.bool(1);
  const tag = f.u8(2, 0);
  const type = typeOf(tag, f.sub(3));
  let dictionary = null;
  const d = f.sub(4);
  if (d !== null) {
    d.i64(0, 0n);
    const it = d.sub(1);
    if (it !== null) intType(it, 'dictionary indexType');
    d.bool(2);
    d.i16(3, 0); // dictionaryKind: read, not judged (ndarray-invalid-arrow-param-dictionary-kind-1)
    dictionary = true;
  }
  const children = f.tables(5, field) ?? [];
  keyValues(f, 6);
  if (ONE_CHILD.has(tag) && children.length !== 1) payload(`a field of Type tag ${tag} needs exactly one child, has ${children.length}`);
  if (tag === T.RunEndEncoded && children.length !== 2) payload(`a RunEndEncoded field needs two children, has ${children.length}`);
  if (tag === T.Union && type.typeIds !== null && type.typeIds !== children.length) payload(`a Union of ${children.length} children has ${type.typeIds} typeIds`);
  return { name, nullable, type, dictionary, children };
}

function countFields(fields) {
  let c = 0;
  for (const f of fields) c += 1 + countFields(f.children);
  return c;
}

function schema(s) {
  const endianness = s.i16(0, 0);
  if (endianness !== 0 && endianness !== 1) payload(`endianness ${endianness} is not one Schema.fbs defines`);
  const fields = s.tables(1, field) ?? [];
  keyValues(s, 2);
  const feats = s.vec(3, 8, 8);
  if (feats) {
    for (let j = 0; j < feats[1]; j++) {
      const v = s.fb.i64(feats[0] + 8 * j);
      if (v < 0n || v > 2n) payload(`schema feature ${v} is not one Schema.fbs defines`);
    }
  }
  return { endianness, fields };
}

function recordBatch(r) {
  const length = r.i64(0, 0n);
  const nodesV = r.vec(1, 16);
  const buffersV = r.vec(2, 16);
  const nodes = [], buffers = [];
  if (nodesV) for (let j = 0; j < nodesV[1]; j++) {
    const p = nodesV[0] + 16 * j;
    nodes.push({ length: r.fb.i64s(p), nullCount: r.fb.i64s(p + 8) });
  }
  if (buffersV) for (let j = 0; j < buffersV[1]; j++) {
    const p = buffersV[0] + 16 * j;
    buffers.push({ offset: r.fb.i64s(p), length: r.fb.i64s(p + 8) });
  }
  const c = r.sub(3);
  let compressed = false;
  if (c !== null) {
    const codec = c.u8(0, 0), method = c.u8(1, 0);
    if (codec > 1) payload(`compression codec ${codec} is not one Message.fbs defines`);
    if (method !== 0) payload(`compression method ${method} is not one Message.fbs defines`);
    compressed = true;
  }
  const variadic = r.vec(4, 8, 8);
  return { length, nodes, buffers, compressed, variadicCounts: variadic ? variadic[1] : 0 };
}

/** Verify one message's metadata flatbuffer; return its header. */
function message(meta) {
  const fb = new Fb(meta);
  const root = fb.offset(0);
  const m = fb.table(root, 1);
  const version = m.i16(0, 0);
  if (version < 0 || version > 4) payload(`metadata version ${version} is not one Message.fbs defines`);
  const htype = m.u8(1, 0);
  if (!(htype >= 1 && htype <= 5)) payload(`message header type ${htype} is not one Message.fbs defines`);
  const h = m.sub(2);
  if (h === null) payload('message has no header');
  let header = null;
  if (htype === HDR_SCHEMA) header = schema(h);
  else if (htype === HDR_RECORD_BATCH) header = recordBatch(h);
  else if (htype === HDR_DICTIONARY_BATCH) { h.i64(0, 0n); const rb = h.sub(1); if (rb) recordBatch(rb); h.bool(2); }
  // Tensor and SparseTensor headers are refused below (item 2) whatever they hold.
  const bodyLength = m.i64(3, 0n);
  keyValues(m, 4);
  if (version !== METADATA_V5) payload(`metadata version V${version + 1}, not V5`);
  return { htype, header, bodyLength };
}

/**
 * Read the bytes as one Arrow IPC stream (items 1-3 and 5 of
 * [ndarray.arrow.stream], and [ndarray.arrow.batches]). Returns the schema's
 * fields and the record batch (or null), with each buffer as a subarray of
 * the body, already checked to lie inside it.
 */
export function readStream(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  let pos = 0;
  let schemaHeader = null;
  const batches = [];
  for (;;) {
    if (pos + 4 > n) payload(pos === n ? 'stream ends without the end-of-stream marker' : 'stream cut inside a continuation marker');
    if (dv.getUint32(pos, true) !== 0xffffffff) payload(`no continuation marker at byte ${pos}`);
    if (pos + 8 > n) payload('stream cut inside a metadata length');
    const m = dv.getInt32(pos + 4, true);
    pos += 8;
    if (m === 0) {
      if (pos !== n) payload(`${n - pos} bytes follow the end-of-stream marker`);
      break;
    }
    if (m < 0) payload(`metadata length ${m} is negative`);
    if (m > n - pos) payload(`metadata length ${m} passes the ${n - pos} bytes left`);
    const msg = message(bytes.subarray(pos, pos + m));
    pos += m;
    if (msg.bodyLength < 0n) payload(`bodyLength ${msg.bodyLength} is negative`);
    if (msg.bodyLength > BigInt(n - pos)) payload(`bodyLength ${msg.bodyLength} passes the ${n - pos} bytes left`);
    const bodyLen = Number(msg.bodyLength);
    const body = bytes.subarray(pos, pos + bodyLen);
    pos += bodyLen;
    // item 2: a Schema first, then only RecordBatch messages
    if (schemaHeader === null) {
      if (msg.htype !== HDR_SCHEMA) payload('the first message is not a Schema');
      if (msg.header.endianness !== 0) payload('the schema is big-endian');
      schemaHeader = msg.header;
      continue;
    }
    if (msg.htype === HDR_SCHEMA) payload('a second Schema message');
    if (msg.htype === HDR_DICTIONARY_BATCH) payload('a DictionaryBatch message');
    if (msg.htype === HDR_TENSOR || msg.htype === HDR_SPARSE_TENSOR) payload('a Tensor or SparseTensor message');
    // item 3
    const rb = msg.header;
    if (rb.compressed) payload('the record batch uses body compression');
    if (rb.length < 0n) payload(`record batch length ${rb.length} is negative`);
    const want = countFields(schemaHeader.fields);
    if (rb.nodes.length !== want) payload(`record batch has ${rb.nodes.length} field nodes for ${want} fields`);
    const bufs = rb.buffers.map((b, j) => {
      if (b.offset < 0n || b.length < 0n || b.offset + b.length > msg.bodyLength) {
        payload(`buffer ${j} (offset ${b.offset}, length ${b.length}) is not inside the ${bodyLen}-byte body`);
      }
      if (b.offset % 8n !== 0n) payload(`buffer ${j} offset ${b.offset} is not a multiple of 8`);
      return body.subarray(Number(b.offset), Number(b.offset + b.length));
    });
    batches.push({ length: rb.length, nodes: rb.nodes, buffers: bufs, variadicCounts: rb.variadicCounts });
    if (batches.length > 1) fail('E_ARROW_PAYLOAD', 'ndarray.arrow.batches', 'the stream holds more than one record batch');
  }
  if (schemaHeader === null) payload('the stream has no Schema message');
  return { fields: schemaHeader.fields, batch: batches[0] ?? null, streamEnd: pos };
}
