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

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const MAX_DEPTH = 1000;

/** Parses strict JSON (RFC 8259) into the Java model. Throws {@link JsonSyntaxError}. */
export function parseJavaJson(text: string): unknown {
  let pos = 0;

  const ws = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(pos >= text.length ? 'Unexpected end of JSON' : `${what} '${text[pos]}'`, pos);
  };

  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('Unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('Unescaped control character');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      pos++;
      const e = text[pos];
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
          const hex = text.slice(pos + 1, pos + 5);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Bad unicode escape');
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          fail('Bad escape');
      }
      pos++;
      start = pos;
    }
  };

  const parseValue = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail('Nesting too deep');
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const map = new JavaMap();
      ws();
      if (text[pos] === '}') {
        pos++;
        return map;
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('Expected string key, got');
        const key = parseString();
        ws();
        if (text[pos] !== ':') fail("Expected ':', got");
        pos++;
        map.put(key, parseValue(depth + 1));
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return map;
        }
        fail("Expected ',' or '}', got");
      }
    }
    if (c === '[') {
      pos++;
      const items: unknown[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return new JsonArray(items);
      }
      for (;;) {
        items.push(parseValue(depth + 1));
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return new JsonArray(items);
        }
        fail("Expected ',' or ']', got");
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m) {
      pos += m[0].length;
      if (m[1] === undefined && m[2] === undefined) {
        const n = Number(m[0]);
        return Number.isSafeInteger(n) ? n : BigInt(m[0]);
      }
      return new JavaDouble(Number(m[0]));
    }
    return fail('Unexpected character');
  };

  const value = parseValue(0);
  ws();
  if (pos < text.length) fail('Unexpected trailing character');
  return value;
}
