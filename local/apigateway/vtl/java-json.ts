/**
 * JSON text → the Java model, the way API Gateway's JSONPath provider (json-smart with an ordered
 * mapper) builds it: objects become LinkedHashMaps ({@link JavaMap}, insertion order kept), arrays
 * become JSONArrays ({@link JsonArray}), integers Integer/Long (JS number, or bigint beyond 2^53),
 * numbers with a fraction or exponent Double ({@link JavaDouble}).
 */
import { JavaDouble, JavaMap, JsonArray } from './java-values';

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

const MAX_DEPTH = 1000;

// The parser's state: module-level (parsing is synchronous and not reentrant), so that no closures are made
// per call.
let text = '';
let pos = 0;
let len = 0;

function fail(what: string): never {
  throw new JsonSyntaxError(pos >= len ? 'Unexpected end of JSON' : `${what} '${text[pos]}'`, pos);
}

function ws(): void {
  while (pos < len) {
    const c = text.charCodeAt(pos);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
    else break;
  }
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** What a string's text cannot hold without the careful loop: an escape or a control character. */
const SPECIAL_IN_STRING = /[\u0000-\u001f\\]/;

function parseString(): string {
  pos++; // opening quote
  // Most strings hold neither escapes nor control characters: up to the next quote, in one slice.
  let quote = text.indexOf('"', pos);
  if (quote !== -1) {
    const plain = text.slice(pos, quote);
    if (!SPECIAL_IN_STRING.test(plain)) {
      pos = quote + 1;
      return plain;
    }
    // With escapes: the closing quote is the first one not escaped, and the literal is what JSON.parse
    // reads (same escapes, same refusals); the loop below names any error.
    quote = -1;
    for (let i = pos; i < len; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) i++;
      else if (c === 0x22) {
        quote = i;
        break;
      }
    }
    if (quote !== -1) {
      try {
        const value = JSON.parse(text.slice(pos - 1, quote + 1)) as string;
        pos = quote + 1;
        return value;
      } catch {
        // an invalid escape or a control character: reported by the loop
      }
    }
  }
  let out = '';
  let start = pos;
  for (;;) {
    if (pos >= len) fail('Unterminated string');
    const c = text.charCodeAt(pos);
    if (c === 0x22) {
      out += text.slice(start, pos);
      pos++;
      return out;
    }
    if (c === 0x5c) {
      out += text.slice(start, pos);
      pos++;
      switch (pos < len ? text.charCodeAt(pos) : -1) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          if (!(isHex(text.charCodeAt(pos + 1)) && isHex(text.charCodeAt(pos + 2)) && isHex(text.charCodeAt(pos + 3)) && isHex(text.charCodeAt(pos + 4)))) {
            fail('Bad unicode escape');
          }
          out += String.fromCharCode(parseInt(text.slice(pos + 1, pos + 5), 16));
          pos += 4;
          break;
        }
        default:
          fail('Bad escape');
      }
      pos++;
      start = pos;
      continue;
    }
    if (c < 0x20) fail('Unescaped control character');
    pos++;
  }
}

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` at pos: an Integer/Long (number, bigint) or a Double. */
function parseNumber(): unknown {
  const start = pos;
  let p = pos;
  if (text.charCodeAt(p) === 0x2d) p++;
  const first = text.charCodeAt(p);
  if (first === 0x30) p++;
  else if (first >= 0x31 && first <= 0x39) {
    p++;
    while (p < len && isDigit(text.charCodeAt(p))) p++;
  } else return fail('Unexpected character');
  let double = false;
  if (text.charCodeAt(p) === 0x2e && isDigit(text.charCodeAt(p + 1))) {
    p += 2;
    while (p < len && isDigit(text.charCodeAt(p))) p++;
    double = true;
  }
  const e = text.charCodeAt(p);
  if (e === 0x65 || e === 0x45) {
    let q = p + 1;
    const sign = text.charCodeAt(q);
    if (sign === 0x2b || sign === 0x2d) q++;
    if (isDigit(text.charCodeAt(q))) {
      q++;
      while (q < len && isDigit(text.charCodeAt(q))) q++;
      p = q;
      double = true;
    }
  }
  const token = text.slice(start, p);
  pos = p;
  if (double) return new JavaDouble(Number(token));
  const n = Number(token);
  return Number.isSafeInteger(n) ? n : BigInt(token);
}

function parseValue(depth: number): unknown {
  if (depth > MAX_DEPTH) fail('Nesting too deep');
  ws();
  const c = pos < len ? text.charCodeAt(pos) : -1;
  if (c === 0x7b) {
    pos++;
    const map = new JavaMap();
    const entries = map.entries;
    ws();
    if (text.charCodeAt(pos) === 0x7d) {
      pos++;
      return map;
    }
    for (;;) {
      ws();
      if (text.charCodeAt(pos) !== 0x22) fail('Expected string key, got');
      const key = parseString();
      ws();
      if (text.charCodeAt(pos) !== 0x3a) fail("Expected ':', got");
      pos++;
      entries.set(key, parseValue(depth + 1));
      ws();
      const d = text.charCodeAt(pos);
      if (d === 0x2c) {
        pos++;
        continue;
      }
      if (d === 0x7d) {
        pos++;
        return map;
      }
      fail("Expected ',' or '}', got");
    }
  }
  if (c === 0x5b) {
    pos++;
    const items: unknown[] = [];
    ws();
    if (text.charCodeAt(pos) === 0x5d) {
      pos++;
      return new JsonArray(items);
    }
    for (;;) {
      items.push(parseValue(depth + 1));
      ws();
      const d = text.charCodeAt(pos);
      if (d === 0x2c) {
        pos++;
        continue;
      }
      if (d === 0x5d) {
        pos++;
        return new JsonArray(items);
      }
      fail("Expected ',' or ']', got");
    }
  }
  if (c === 0x22) return parseString();
  if (c === 0x74 && text.startsWith('true', pos)) {
    pos += 4;
    return true;
  }
  if (c === 0x66 && text.startsWith('false', pos)) {
    pos += 5;
    return false;
  }
  if (c === 0x6e && text.startsWith('null', pos)) {
    pos += 4;
    return null;
  }
  return parseNumber();
}

/** Parses strict JSON (RFC 8259) into the Java model. Throws {@link JsonSyntaxError}. */
export function parseJavaJson(source: string): unknown {
  text = source;
  pos = 0;
  len = source.length;
  try {
    const value = parseValue(0);
    ws();
    if (pos < len) fail('Unexpected trailing character');
    return value;
  } finally {
    text = '';
  }
}
