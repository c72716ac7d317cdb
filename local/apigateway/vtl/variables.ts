/**
 * API Gateway's template variables: $input and $util (host objects), plus the JDK/Commons
 * helpers behind them (StringEscapeUtils.escapeJavaScript, URLEncoder, Base64).
 */
import { parseJavaJson, JsonSyntaxError } from './java-json';
import { evaluateJsonPath } from './jsonpath';
import { JavaMethodError } from './java-methods';
import {
  HostObject,
  JavaMap,
  MethodResult,
  NO_METHOD,
  javaToString,
  toJsonText,
} from './java-values';

/** The payload could not be read as JSON by $input.json / $input.path. */
export class InvalidPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPayloadError';
  }
}

/**
 * Reads a payload the way API Gateway's json-smart parser (permissive mode) does for the cases
 * seen on AWS: valid JSON is parsed; text that does not start like a JSON object, array or string
 * (`a=b`, `hello`) is taken as one string; broken objects/arrays (`{a`) are an error.
 */
export function parsePayload(text: string): unknown {
  try {
    return parseJavaJson(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    const start = text.trimStart()[0];
    if (start === '{' || start === '[' || start === '"') {
      throw new InvalidPayloadError(`Could not process payload: ${e.message}`);
    }
    return text;
  }
}

// ---------------------------------------------------------------------------------------------
// $util helpers

/**
 * Apache Commons Lang 2.x StringEscapeUtils.escapeJavaScript: `"` `'` `\` `/` get a backslash;
 * \b \t \n \f \r their short escapes; other control characters and every char above U+007F
 * become \uXXXX (uppercase hex, per UTF-16 unit, so an emoji is two escapes).
 */
/** Characters escapeJavaScript changes. */
const JS_ESCAPED = /[\u0000-\u001f"'\\/\u0080-\uffff]/;

export function escapeJavaScript(s: string): string {
  if (!JS_ESCAPED.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch > 0x7f) {
      out += `\\u${ch.toString(16).toUpperCase().padStart(4, '0')}`;
    } else if (ch < 32) {
      switch (ch) {
        case 0x08: out += '\\b'; break;
        case 0x0a: out += '\\n'; break;
        case 0x09: out += '\\t'; break;
        case 0x0c: out += '\\f'; break;
        case 0x0d: out += '\\r'; break;
        default: out += `\\u${ch.toString(16).toUpperCase().padStart(4, '0')}`;
      }
    } else {
      switch (s[i]) {
        case "'": out += "\\'"; break;
        case '"': out += '\\"'; break;
        case '\\': out += '\\\\'; break;
        case '/': out += '\\/'; break;
        default: out += s[i];
      }
    }
  }
  return out;
}

/** java.net.URLEncoder.encode(s, "UTF-8"): keeps [A-Za-z0-9.*_-], space → '+', rest %XX (uppercase). */
export function javaUrlEncode(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9.*_-]/.test(c)) out += c;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** java.net.URLDecoder.decode(s, "UTF-8"): '+' → space, %XX as UTF-8 bytes; bad escapes throw. */
export function javaUrlDecode(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '+') {
      out += ' ';
      i++;
    } else if (c === '%') {
      const bytes: number[] = [];
      while (i < s.length && s[i] === '%') {
        const hex = s.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
          throw new JavaMethodError('java.lang.IllegalArgumentException', `URLDecoder: Illegal hex characters in escape (%) pattern`);
        }
        bytes.push(parseInt(hex, 16));
        i += 3;
      }
      out += Buffer.from(bytes).toString('utf8');
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** java.util.Base64.getDecoder() (basic alphabet, padding optional) then UTF-8. */
export function javaBase64Decode(s: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) {
    throw new JavaMethodError('java.lang.IllegalArgumentException', 'Illegal base64 character or length');
  }
  return Buffer.from(s, 'base64').toString('utf8');
}

export function javaBase64Encode(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

// ---------------------------------------------------------------------------------------------
// $util

export class UtilVariable implements HostObject {
  readonly javaClass = 'UtilVariable';

  invoke(name: string, args: unknown[]): MethodResult {
    if (args.length !== 1) return NO_METHOD;
    const arg = args[0];
    if (arg === null || arg === undefined) {
      // The Java helpers (StringEscapeUtils and friends) answer null for null.
      return ['escapeJavaScript', 'parseJson', 'urlEncode', 'urlDecode', 'base64Encode', 'base64Decode'].includes(name)
        ? null
        : NO_METHOD;
    }
    const s = javaToString(arg);
    switch (name) {
      case 'escapeJavaScript':
        return escapeJavaScript(s);
      case 'parseJson':
        try {
          return parsePayload(s);
        } catch (e) {
          if (e instanceof InvalidPayloadError) throw new JavaMethodError('net.minidev.json.parser.ParseException', e.message);
          throw e;
        }
      case 'urlEncode':
        return javaUrlEncode(s);
      case 'urlDecode':
        return javaUrlDecode(s);
      case 'base64Encode':
        return javaBase64Encode(s);
      case 'base64Decode':
        return javaBase64Decode(s);
      default:
        return NO_METHOD;
    }
  }

  toJavaString(): string {
    return 'UtilVariable';
  }
}

// ---------------------------------------------------------------------------------------------
// $input

export interface InputParams {
  path: Record<string, string>;
  querystring: Record<string, string>;
  header: Record<string, string>;
}

/**
 * The last payload parsed by a reader that does not change what it gets (ResponseParameters' JSONPath),
 * handed to the next template reading the same payload instead of parsing it again. Taken at most once:
 * each `$input.path`/`$input.json` of a template still gets its own document.
 */
let parsedForTemplate: { text: string; value: unknown } | undefined;

/** parsePayload for a reader that leaves the result unchanged; the next template reading `text` reuses it. */
export function parsePayloadReadOnly(text: string): unknown {
  const value = parsePayload(text);
  parsedForTemplate = { text, value };
  return value;
}

export class InputVariable implements HostObject {
  readonly javaClass = 'InputVariable';
  private paramsMap?: JavaMap;

  constructor(
    /** The raw payload (request body, or integration response body). */
    private readonly rawBody: string,
    private readonly params: InputParams,
  ) {}

  /** $input.params(): made on first use. */
  private paramsJava(): JavaMap {
    return (this.paramsMap ??= new JavaMap([
      ['path', new JavaMap(Object.entries(this.params.path))],
      ['querystring', new JavaMap(Object.entries(this.params.querystring))],
      ['header', new JavaMap(Object.entries(this.params.header))],
    ]));
  }

  /** $input.body: the raw payload; API Gateway gives `{}` for an empty one. */
  get body(): string {
    return this.rawBody === '' ? '{}' : this.rawBody;
  }

  private document(): unknown {
    const text = this.body;
    const shared = parsedForTemplate;
    if (shared !== undefined && shared.text === text) {
      parsedForTemplate = undefined;
      return shared.value;
    }
    return parsePayload(text);
  }

  /** $input.path(x): the JSONPath result as an object (map, JSONArray, String, number...). */
  path(path: string): unknown {
    return evaluateJsonPath(this.document(), path).value;
  }

  /** $input.json(x): the JSONPath result as JSON text. */
  json(path: string): string {
    return toJsonText(evaluateJsonPath(this.document(), path).value);
  }

  /** $input.params(x): path, then querystring, then header (case-insensitive); '' when absent. */
  param(name: string): string {
    const { path, querystring, header } = this.params;
    if (Object.prototype.hasOwnProperty.call(path, name)) return path[name];
    if (Object.prototype.hasOwnProperty.call(querystring, name)) return querystring[name];
    if (Object.prototype.hasOwnProperty.call(header, name)) return header[name];
    const lower = name.toLowerCase();
    const key = Object.keys(header).find((k) => k.toLowerCase() === lower);
    return key === undefined ? '' : header[key];
  }

  invoke(name: string, args: unknown[]): MethodResult {
    const [a] = args;
    switch (name) {
      case 'getBody':
        return args.length === 0 ? this.body : NO_METHOD;
      case 'json':
      case 'path':
        if (args.length !== 1) return NO_METHOD;
        if (a === null || a === undefined) return null;
        if (typeof a !== 'string') return NO_METHOD;
        return name === 'json' ? this.json(a) : this.path(a);
      case 'params':
        if (args.length === 0) return this.paramsJava();
        if (args.length === 1) return typeof a === 'string' ? this.param(a) : '';
        return NO_METHOD;
      default:
        return NO_METHOD;
    }
  }

  toJavaString(): string {
    return 'InputVariable';
  }
}

// ---------------------------------------------------------------------------------------------
// $foreach

/** Velocity 1.7's ForeachScope: $foreach.index / count / hasNext / first / last / parent. */
export class ForeachScope implements HostObject {
  readonly javaClass = 'ForeachScope';
  constructor(
    readonly index: number,
    readonly total: number,
    readonly parent: unknown,
  ) {}

  invoke(name: string, args: unknown[]): MethodResult {
    if (args.length !== 0) return NO_METHOD;
    switch (name) {
      case 'getIndex':
        return this.index;
      case 'getCount':
        return this.index + 1;
      case 'hasNext':
      case 'getHasNext':
        return this.index + 1 < this.total;
      case 'isFirst':
      case 'getFirst':
        return this.index === 0;
      case 'isLast':
      case 'getLast':
        return this.index + 1 === this.total;
      case 'getParent':
        return this.parent ?? null;
      default:
        return NO_METHOD;
    }
  }

  toJavaString(): string {
    return `org.apache.velocity.runtime.directive.ForeachScope@${this.index}`;
  }
}
