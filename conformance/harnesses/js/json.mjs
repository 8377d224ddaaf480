// Strict JSON text (spec/src/json.md): UTF-8 without BOM, one value, depth
// limit, no duplicate names, numbers kept as their exact token.
//
// JSON.parse cannot be used: it accepts duplicate names (last wins), reads
// numbers before we can see their token, and recurses without a depth limit.
//
// Values: null, true, false, JS strings, arrays (JS arrays), objects (JObject:
// a Map of name -> value, in document order), numbers (JNumber: the token and
// its binary64 value, [json.numbers]).
import { fail } from './errors.mjs';

export class JNumber {
  constructor(text) {
    this.text = text;
    // [json.numbers]: the binary64 nearest the decimal value, ties to even,
    // which is what Number() does for a JSON number token. Infinity means
    // "no value" (the magnitude rounds past the largest finite binary64).
    this.value = Number(text);
  }
  /** true when the number denotes a value (finite). */
  get hasValue() { return Number.isFinite(this.value); }
}

export class JObject {
  constructor() { this.members = new Map(); }
  has(k) { return this.members.has(k); }
  get(k) { return this.members.get(k); }
  keys() { return this.members.keys(); }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode the bytes as strict UTF-8 ([json.utf8]); a BOM is an error. */
export function decodeUtf8Text(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    fail('E_JSON_SYNTAX', 'json.utf8', 'the text starts with a UTF-8 byte order mark');
  }
  try {
    // The WHATWG decoder in fatal mode rejects overlong forms, surrogates,
    // code points past U+10FFFF and stray bytes: exactly RFC 3629.
    return utf8.decode(bytes);
  } catch {
    fail('E_JSON_SYNTAX', 'json.utf8', 'the text is not UTF-8');
  }
}

/** Parse the bytes as one JSON value under the rules of json.md. */
export function parseJson(bytes, maxDepth) {
  const text = decodeUtf8Text(bytes);
  return parseJsonText(text, maxDepth);
}

export function parseJsonText(s, maxDepth) {
  let i = 0;
  const n = s.length;
  const syntax = (msg) => fail('E_JSON_SYNTAX', 'json.syntax', `${msg} at character ${i}`);

  const ws = () => {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };

  const hex4 = () => {
    if (i + 4 > n) syntax('truncated \\u escape');
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i + k);
      let d;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else syntax('bad \\u escape');
      v = v * 16 + d;
    }
    i += 4;
    return v;
  };

  const str = () => {
    // at the opening quote
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) syntax('unterminated string');
      const c = s.charCodeAt(i);
      if (c === 0x22) { out += s.slice(start, i); i++; return out; }
      if (c < 0x20) syntax('control character in a string');
      if (c === 0x5c) {
        out += s.slice(start, i);
        i++;
        if (i >= n) syntax('unterminated escape');
        const e = s[i++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const u = hex4();
            if (u >= 0xd800 && u <= 0xdbff) {
              // [json.syntax]: a high surrogate escape needs a low one next.
              if (s[i] !== '\\' || s[i + 1] !== 'u') syntax('lone high surrogate escape');
              i += 2;
              const lo = hex4();
              if (lo < 0xdc00 || lo > 0xdfff) syntax('high surrogate escape without a low one');
              out += String.fromCharCode(u, lo);
            } else if (u >= 0xdc00 && u <= 0xdfff) {
              syntax('lone low surrogate escape');
            } else {
              out += String.fromCharCode(u);
            }
            break;
          }
          default: i--; syntax('bad escape');
        }
        start = i;
        continue;
      }
      i++;
    }
  };

  const isDigit = (c) => c >= 0x30 && c <= 0x39;
  const num = () => {
    const start = i;
    if (s.charCodeAt(i) === 0x2d) i++;
    if (i >= n) syntax('truncated number');
    if (s.charCodeAt(i) === 0x30) i++;
    else if (isDigit(s.charCodeAt(i))) { while (i < n && isDigit(s.charCodeAt(i))) i++; }
    else syntax('bad number');
    if (s.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(s.charCodeAt(i))) syntax('bad fraction');
      while (i < n && isDigit(s.charCodeAt(i))) i++;
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sg = s.charCodeAt(i);
      if (sg === 0x2b || sg === 0x2d) i++;
      if (!isDigit(s.charCodeAt(i))) syntax('bad exponent');
      while (i < n && isDigit(s.charCodeAt(i))) i++;
    }
    return new JNumber(s.slice(start, i));
  };

  const lit = (word, v) => {
    if (s.startsWith(word, i)) { i += word.length; return v; }
    syntax('unexpected character');
  };

  // Recursion is bounded by maxDepth (at most 10000 by [limits.depth]; 128 by
  // default): the depth is checked before descending ([json.depth]).
  const value = (depth) => {
    if (i >= n) syntax('unexpected end of text');
    const c = s[i];
    if (c === '{' || c === '[') {
      if (depth + 1 > maxDepth) {
        fail('E_LIMIT_EXCEEDED', 'json.depth', `nesting deeper than max_depth ${maxDepth} at character ${i}`);
      }
      if (c === '[') {
        i++;
        const arr = [];
        ws();
        if (s[i] === ']') { i++; return arr; }
        for (;;) {
          ws();
          arr.push(value(depth + 1));
          ws();
          if (s[i] === ',') { i++; continue; }
          if (s[i] === ']') { i++; return arr; }
          syntax('expected , or ]');
        }
      }
      i++;
      const obj = new JObject();
      ws();
      if (s[i] === '}') { i++; return obj; }
      for (;;) {
        ws();
        if (s[i] !== '"') syntax('expected a member name');
        const at = i;
        const k = str();
        if (obj.members.has(k)) {
          fail('E_JSON_DUPLICATE_KEY', 'json.duplicate-keys', `duplicate member name ${JSON.stringify(k)} at character ${at}`);
        }
        ws();
        if (s[i] !== ':') syntax('expected :');
        i++;
        ws();
        obj.members.set(k, value(depth + 1));
        ws();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === '}') { i++; return obj; }
        syntax('expected , or }');
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c >= '0' && c <= '9')) return num();
    if (c === 't') return lit('true', true);
    if (c === 'f') return lit('false', false);
    if (c === 'n') return lit('null', null);
    syntax('unexpected character');
  };

  ws();
  const v = value(0);
  ws();
  if (i !== n) syntax('text after the value');
  return v;
}
