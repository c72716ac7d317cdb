/**
 * The values a mapping template works with, modelled on the Java objects API Gateway hands to
 * Velocity 1.7: java.lang.String, Integer/Long (JS number or bigint), Double ({@link JavaDouble}),
 * Boolean, LinkedHashMap ({@link JavaMap}), ArrayList ({@link JavaList}), json-smart's JSONArray
 * ({@link JsonArray}) and String[] ({@link JavaArray}).
 *
 * Why not plain JS values: Java prints a map as `{a=b, c=d}`, a JSONArray as JSON and an ArrayList
 * as `[a, b]`; `10.0` stays a Double (`10.0`), not `10`; a LinkedHashMap keeps insertion order even
 * for integer-like keys. Those differences show in the rendered body, so the model keeps them.
 */

/** A java.lang.Double (JSON numbers with a fraction or exponent, VTL decimal literals). */
export class JavaDouble {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return javaDoubleToString(this.value);
  }
}

/** A java.util.LinkedHashMap<String, Object>. */
export class JavaMap {
  readonly entries: Map<string, unknown>;
  constructor(entries?: Iterable<[string, unknown]>) {
    this.entries = new Map(entries);
  }
  get(key: string): unknown {
    const v = this.entries.get(key);
    return v !== undefined || this.entries.has(key) ? v : null;
  }
  has(key: string): boolean {
    return this.entries.has(key);
  }
  put(key: string, value: unknown): unknown {
    const previous = this.get(key);
    this.entries.set(key, value);
    return previous;
  }
  get size(): number {
    return this.entries.size;
  }
  toString(): string {
    return javaToString(this);
  }
}

/** A java.util.ArrayList (VTL list literals, keySet(), values(), entrySet() snapshots). */
export class JavaList {
  constructor(readonly items: unknown[] = []) {}
  toString(): string {
    return javaToString(this);
  }
}

/** net.minidev.json.JSONArray: what JSONPath returns for arrays; its toString() is compact JSON. */
export class JsonArray extends JavaList {}

/** A Java array (String[] from String.split); Velocity 1.7 lets templates use it like a list. */
export class JavaArray extends JavaList {
  readonly identityHash: string;
  constructor(items: unknown[], readonly elementClass = 'java.lang.String') {
    super(items);
    this.identityHash = nextIdentityHash();
  }
}

/** A java.util.Map.Entry from entrySet(). */
export class MapEntry {
  constructor(
    readonly map: JavaMap,
    readonly key: string,
  ) {}
  get value(): unknown {
    return this.map.get(this.key);
  }
  toString(): string {
    return javaToString(this);
  }
}

/** Sentinel: the target has no such Java method (Velocity then yields null). */
export const NO_METHOD: unique symbol = Symbol('NO_METHOD');
export type MethodResult = unknown | typeof NO_METHOD;

/** An object exposed to templates with hand-written Java methods ($input, $util, $foreach). */
export interface HostObject {
  readonly javaClass: string;
  /** Calls the Java method `name`; returns NO_METHOD when there is none for these arguments. */
  invoke(name: string, args: unknown[]): MethodResult;
  toJavaString(): string;
}

export function isHostObject(value: unknown): value is HostObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as HostObject).invoke === 'function' &&
    typeof (value as HostObject).javaClass === 'string'
  );
}

let identityCounter = 0x1b6d3586;
function nextIdentityHash(): string {
  identityCounter = (identityCounter * 1103515245 + 12345) >>> 0;
  return identityCounter.toString(16);
}

// ---------------------------------------------------------------------------------------------
// Numbers

export type JavaNumber = number | bigint | JavaDouble;

/** True for Integer/Long (JS integer number or bigint) and Double. */
export function isJavaNumber(value: unknown): value is JavaNumber {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof JavaDouble;
}

/** True for Integer/Long/BigInteger, i.e. what a Java method taking an `int` accepts. */
export function isJavaIntegral(value: unknown): value is number | bigint {
  return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint';
}

export function toNumber(value: JavaNumber): number {
  return value instanceof JavaDouble ? value.value : Number(value);
}

/** java.lang.Double.toString: `1.0`, `249.99`, `1.0E7`, `1.0E-4`. */
export function javaDoubleToString(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Infinity) return 'Infinity';
  if (d === -Infinity) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  if (abs >= 1e-3 && abs < 1e7) {
    const plain = String(d);
    return plain.includes('.') ? plain : `${plain}.0`;
  }
  const [mantissa, exponent] = d.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

// ---------------------------------------------------------------------------------------------
// Conversions

/** Converts plain JS data (request parameters, $context) into the Java model. */
export function fromJs(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    typeof value === 'bigint' ||
    value instanceof JavaDouble ||
    value instanceof JavaMap ||
    value instanceof JavaList ||
    value instanceof MapEntry ||
    isHostObject(value)
  ) {
    return value;
  }
  if (typeof value === 'number') return Number.isInteger(value) ? value : new JavaDouble(value);
  if (Array.isArray(value)) return new JavaList(value.map(fromJs));
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const map = new JavaMap();
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) map.entries.set(k, fromJs(o[k]));
    return map;
  }
  return String(value);
}

/** Converts a Java-model value back to plain JS data (JavaDouble → number, maps → objects). */
export function toJs(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof JavaDouble) return value.value;
  if (value instanceof JavaMap) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value.entries) out[k] = toJs(v);
    return out;
  }
  if (value instanceof JavaList) return value.items.map(toJs);
  if (value instanceof MapEntry) return { [value.key]: toJs(value.value) };
  if (isHostObject(value)) return value.toJavaString();
  return value;
}

// ---------------------------------------------------------------------------------------------
// toString, as Java prints each type

/** Object.toString() of the Java value (AbstractMap/AbstractCollection formats, JSONArray as JSON). */
export function javaToString(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    return Number.isInteger(value) ? BigInt(value).toString() : javaDoubleToString(value);
  }
  if (value instanceof JavaDouble) return javaDoubleToString(value.value);
  if (value instanceof JavaArray) return `[L${value.elementClass};@${value.identityHash}`;
  if (value instanceof JsonArray) return toJsonText(value);
  if (value instanceof JavaList) {
    return `[${value.items.map((item) => (item === value ? '(this Collection)' : javaToString(item))).join(', ')}]`;
  }
  if (value instanceof JavaMap) {
    const parts: string[] = [];
    for (const [k, v] of value.entries) parts.push(`${k}=${v === value ? '(this Map)' : javaToString(v)}`);
    return `{${parts.join(', ')}}`;
  }
  if (value instanceof MapEntry) return `${value.key}=${javaToString(value.value)}`;
  if (isHostObject(value)) return value.toJavaString();
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// JSON text, as json-smart writes it (JSONValue.toJSONString / JSONArray.toString)

/**
 * Compact JSON in json-smart's default style (JSONStyle.NO_COMPRESS): no whitespace, `/` written
 * as `\/`, control characters and U+007F–U+009F, U+2000–U+20FF as `\uXXXX`, other non-ASCII raw.
 */
export function toJsonText(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return quoteJsonString(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? javaToString(value) : 'null';
  if (value instanceof JavaDouble) return Number.isFinite(value.value) ? javaDoubleToString(value.value) : 'null';
  if (value instanceof JavaList) return `[${value.items.map(toJsonText).join(',')}]`;
  if (value instanceof JavaMap) {
    const parts: string[] = [];
    for (const [k, v] of value.entries) parts.push(`${quoteJsonString(k)}:${toJsonText(v)}`);
    return `{${parts.join(',')}}`;
  }
  if (value instanceof MapEntry) return `{${quoteJsonString(value.key)}:${toJsonText(value.value)}}`;
  return quoteJsonString(javaToString(value));
}

export function quoteJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    switch (ch) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x08: out += '\\b'; break;
      case 0x0c: out += '\\f'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x2f: out += '\\/'; break;
      default:
        if (ch <= 0x1f || (ch >= 0x7f && ch <= 0x9f) || (ch >= 0x2000 && ch <= 0x20ff)) {
          out += `\\u${ch.toString(16).toUpperCase().padStart(4, '0')}`;
        } else {
          out += s[i];
        }
    }
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------
// Equality and truth, as Velocity 1.7 decides them

/** Velocity 1.7 #if truth: only null and Boolean.FALSE are false ("" and 0 are true). */
export function javaTruthy(value: unknown): boolean {
  return value !== null && value !== undefined && value !== false;
}

/** Compares two numbers like Velocity's MathUtils.compare. */
export function compareNumbers(a: JavaNumber, b: JavaNumber): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    if (a instanceof JavaDouble || b instanceof JavaDouble) {
      const x = toNumber(a);
      const y = toNumber(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    const x = BigInt(a as number | bigint);
    const y = BigInt(b as number | bigint);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toNumber(a);
  const y = toNumber(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function javaClassOf(value: unknown): string {
  if (typeof value === 'string') return 'String';
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'number' || typeof value === 'bigint') return 'Integer';
  if (value instanceof JavaDouble) return 'Double';
  if (value instanceof JavaArray) return 'Array';
  if (value instanceof JavaList) return 'List';
  if (value instanceof JavaMap) return 'Map';
  if (value instanceof MapEntry) return 'Entry';
  if (isHostObject(value)) return value.javaClass;
  return 'Object';
}

/** Object.equals(): same class and same content (Integer 1 does not equal Double 1.0). */
export function javaObjectEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return false;
  const ca = javaClassOf(a);
  if (ca !== javaClassOf(b)) return false;
  switch (ca) {
    case 'Integer':
    case 'Double':
      return compareNumbers(a as JavaNumber, b as JavaNumber) === 0;
    case 'List': {
      const x = (a as JavaList).items;
      const y = (b as JavaList).items;
      return x.length === y.length && x.every((item, i) => javaObjectEquals(item, y[i]));
    }
    case 'Map': {
      const x = a as JavaMap;
      const y = b as JavaMap;
      if (x.size !== y.size) return false;
      for (const [k, v] of x.entries) {
        if (!y.has(k) || !javaObjectEquals(v, y.get(k))) return false;
      }
      return true;
    }
    case 'Entry':
      return (a as MapEntry).key === (b as MapEntry).key && javaObjectEquals((a as MapEntry).value, (b as MapEntry).value);
    default:
      return false;
  }
}

/**
 * Velocity 1.7 `==` (ASTEQNode): numbers compare by value whatever their class; objects of the
 * same class use equals(); otherwise both sides are compared as strings; null equals only null.
 */
export function velocityEquals(a: unknown, b: unknown): boolean {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull && bNull;
  if (isJavaNumber(a) && isJavaNumber(b)) return compareNumbers(a, b) === 0;
  if (javaClassOf(a) === javaClassOf(b)) return javaObjectEquals(a, b);
  return javaToString(a) === javaToString(b);
}
