/**
 * Intrinsic functions (JSONPath states), parsed once into closures.
 * https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
 */
import { createHash, randomUUID } from 'node:crypto';
import { IntrinsicFailureError, RuntimeError } from './errors';
import { compileRef, type EvalEnv, type Ref } from './refs';
import { deepEqual, toJson } from './json';

type Arg =
  | { kind: 'literal'; value: unknown; raw?: string }
  | { kind: 'ref'; ref: Ref }
  | { kind: 'call'; fn: CompiledIntrinsic };

export interface CompiledIntrinsic {
  readonly source: string;
  readonly name: string;
  evaluate(env: EvalEnv, field: string): unknown;
}

export const INTRINSIC_NAMES = [
  'States.Format',
  'States.StringToJson',
  'States.JsonToString',
  'States.Array',
  'States.ArrayPartition',
  'States.ArrayContains',
  'States.ArrayRange',
  'States.ArrayGetItem',
  'States.ArrayLength',
  'States.ArrayUnique',
  'States.Base64Encode',
  'States.Base64Decode',
  'States.Hash',
  'States.JsonMerge',
  'States.MathRandom',
  'States.MathAdd',
  'States.StringSplit',
  'States.UUID',
] as const;

const ARITY: Record<string, [number, number]> = {
  'States.Format': [1, Infinity],
  'States.StringToJson': [1, 1],
  'States.JsonToString': [1, 1],
  'States.Array': [0, Infinity],
  'States.ArrayPartition': [2, 2],
  'States.ArrayContains': [2, 2],
  'States.ArrayRange': [3, 3],
  'States.ArrayGetItem': [2, 2],
  'States.ArrayLength': [1, 1],
  'States.ArrayUnique': [1, 1],
  'States.Base64Encode': [1, 1],
  'States.Base64Decode': [1, 1],
  'States.Hash': [2, 2],
  'States.JsonMerge': [3, 3],
  'States.MathRandom': [2, 3],
  'States.MathAdd': [2, 2],
  'States.StringSplit': [2, 2],
  'States.UUID': [0, 0],
};

export function looksLikeIntrinsic(s: string): boolean {
  return /^\s*States\.[A-Za-z0-9]+\s*\(/.test(s);
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(msg: string): never {
    throw new Error(`${msg} at position ${this.i} in ${this.s}`);
  }
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  call(): CompiledIntrinsic {
    this.ws();
    const m = /^States\.[A-Za-z0-9]+/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected an intrinsic function name');
    const name = m[0];
    if (!(name in ARITY)) this.fail(`unknown intrinsic function ${name}`);
    const start = this.i;
    this.i += name.length;
    this.ws();
    if (this.s[this.i] !== '(') this.fail("expected '('");
    this.i++;
    const args: Arg[] = [];
    this.ws();
    if (this.s[this.i] === ')') this.i++;
    else {
      for (;;) {
        args.push(this.arg());
        this.ws();
        const c = this.s[this.i];
        if (c === ',') {
          this.i++;
          continue;
        }
        if (c === ')') {
          this.i++;
          break;
        }
        this.fail("expected ',' or ')'");
      }
    }
    const [min, max] = ARITY[name];
    if (args.length < min || args.length > max) {
      this.fail(`${name} takes ${min === max ? min : `${min} to ${max === Infinity ? 'any number of' : max}`} arguments, got ${args.length}`);
    }
    return makeCall(name, args, this.s.slice(start, this.i));
  }
  arg(): Arg {
    this.ws();
    const c = this.s[this.i];
    if (c === "'") return this.str();
    if (c === '$') return { kind: 'ref', ref: compileRef(this.pathText()) };
    if (this.s.startsWith('States.', this.i)) return { kind: 'call', fn: this.call() };
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.i));
    if (!m) this.fail('invalid argument');
    this.i += m[0].length;
    return { kind: 'literal', value: JSON.parse(m[0]) };
  }
  str(): Arg {
    this.i++; // opening quote
    let value = '';
    let raw = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\') {
        const n = this.s[this.i + 1];
        if (n === undefined) this.fail('dangling escape');
        value += n;
        raw += c + n;
        this.i += 2;
        continue;
      }
      if (c === "'") {
        this.i++;
        return { kind: 'literal', value, raw };
      }
      value += c;
      raw += c;
      this.i++;
    }
    this.fail('unterminated string');
  }
  pathText(): string {
    const start = this.i;
    let depth = 0;
    let quote: string | null = null;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (quote) {
        if (c === '\\') this.i++;
        else if (c === quote) quote = null;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '[' || c === '(') depth++;
      else if (c === ']' || c === ')') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
      this.i++;
    }
    return this.s.slice(start, this.i).trim();
  }
}

/** Parses an intrinsic function call. Throws (with a message) on syntax or arity errors. */
export function compileIntrinsic(source: string): CompiledIntrinsic {
  const p = new Parser(source);
  const fn = p.call();
  p.ws();
  if (p.i !== source.length) p.fail('unexpected trailing characters');
  return fn;
}

function fail(name: string, msg: string): never {
  throw new IntrinsicFailureError(`Invalid arguments in ${name}: ${msg}`);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function evalArgs(args: Arg[], env: EvalEnv, field: string, source: string): unknown[] {
  const out = new Array(args.length);
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (a.kind === 'literal') out[k] = a.value;
    else if (a.kind === 'call') out[k] = a.fn.evaluate(env, field);
    else {
      const r = a.ref.read(env);
      if (!r.found) {
        // Recorded on AWS: "The function 'States.Array($.x)' had the following error: The JsonPath
        // argument for the field '$.x' could not be found in the input '{...}'".
        throw new RuntimeError(
          `The function '${source}' had the following error: The JsonPath argument for the field '${a.ref.source}' could not be found in the input '${toJson(a.ref.kind === 'context' ? env.context() : a.ref.kind === 'variable' ? env.vars.all() : env.input)}'`,
        );
      }
      out[k] = r.value;
    }
  }
  return out;
}

function hashOf(name: string, data: unknown, algorithm: unknown): string {
  if (typeof data !== 'string') fail(name, `the first argument must be a string, got ${typeName(data)}`);
  const algos: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
  if (typeof algorithm !== 'string' || !(algorithm in algos)) {
    fail(name, `the hashing algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, got ${toJson(algorithm)}`);
  }
  if (data.length > 10000) fail(name, 'the input string must be at most 10000 characters');
  return createHash(algos[algorithm]).update(data, 'utf8').digest('hex');
}

/**
 * java.util.Random, which AWS uses for seeded randomness: `$random(42)` is 0.7275636800328681 on AWS
 * (as recorded by the Floci project), which is `new java.util.Random(42).nextDouble()`.
 */
class JavaRandom {
  private seed: bigint;
  constructor(seed: number) {
    this.seed = (BigInt.asIntN(64, BigInt(Math.trunc(seed))) ^ 0x5deece66dn) & ((1n << 48n) - 1n);
  }
  next(bits: number): number {
    this.seed = (this.seed * 0x5deece66dn + 0xbn) & ((1n << 48n) - 1n);
    return Number(BigInt.asIntN(32, this.seed >> BigInt(48 - bits)));
  }
  nextDouble(): number {
    return (this.next(26) * 2 ** 27 + this.next(27)) * 2 ** -53;
  }
  /** nextInt(bound) for 0 < bound <= 2^31-1. */
  nextInt(bound: number): number {
    if ((bound & -bound) === bound) return Number((BigInt(bound) * BigInt(this.next(31))) >> 31n);
    let bits: number;
    let val: number;
    do {
      bits = this.next(31);
      val = bits % bound;
    } while (bits - val + (bound - 1) > 0x7fffffff);
    return val;
  }
}

/** `new java.util.Random(seed).nextDouble()`. */
export function javaRandomDouble(seed: number): number {
  return new JavaRandom(seed).nextDouble();
}

/** A seeded draw in [0, 1) (kept for callers of the old helper). */
export function seededRandom(seed: number): number {
  return javaRandomDouble(seed);
}

export function arrayRange(name: string, start: unknown, end: unknown, step: unknown): number[] {
  if (!isInt(start) || !isInt(end) || !isInt(step)) fail(name, 'start, end and step must be integers');
  if (step === 0) fail(name, 'step must not be 0');
  const out: number[] = [];
  if (step > 0) for (let v = start; v <= end; v += step) out.push(v);
  else for (let v = start; v >= end; v += step) out.push(v);
  if (out.length > 1000) fail(name, 'the range must contain at most 1000 items');
  return out;
}

export function arrayPartition(name: string, arr: unknown, size: unknown): unknown[][] {
  if (!Array.isArray(arr)) fail(name, `the first argument must be an array, got ${typeName(arr)}`);
  if (!isInt(size) || size <= 0) fail(name, 'the chunk size must be a positive integer');
  const out: unknown[][] = [];
  for (let k = 0; k < arr.length; k += size) out.push(arr.slice(k, k + size));
  return out;
}

/**
 * How States.Format renders an argument: strings as they are, arrays and objects in Java's toString
 * style — `[a, 1, {k=v}]`, `{Arg1=1, Arg2=[]}` — and other values as JSON (as LocalStack reproduces AWS).
 */
function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .map((k) => `${k}=${formatValue((v as Record<string, unknown>)[k])}`)
      .join(', ')}}`;
  }
  return toJson(v);
}

function formatTemplate(name: string, raw: string, args: unknown[]): string {
  let out = '';
  let next = 0;
  for (let k = 0; k < raw.length; k++) {
    const c = raw[k];
    if (c === '\\') {
      out += raw[k + 1] ?? '';
      k++;
    } else if (c === '{' && raw[k + 1] === '}') {
      if (next >= args.length) fail(name, 'the number of arguments does not match the number of {} placeholders');
      out += formatValue(args[next++]);
      k++;
    } else out += c;
  }
  if (next !== args.length) fail(name, 'the number of arguments does not match the number of {} placeholders');
  return out;
}

/** Numbers given to ArrayPartition/ArrayRange/ArrayGetItem are rounded to integers first (as LocalStack reproduces AWS). */
function rounded(v: unknown): unknown {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : v;
}

function makeCall(name: string, args: Arg[], source: string): CompiledIntrinsic {
  const impl = (env: EvalEnv, field: string): unknown => {
    const v = evalArgs(args, env, field, source);
    switch (name) {
      case 'States.Format': {
        const first = args[0];
        let raw: string;
        if (first.kind === 'literal' && typeof first.value === 'string') raw = first.raw ?? first.value;
        else if (typeof v[0] === 'string') raw = (v[0] as string).replace(/\\/g, '\\\\');
        else fail(name, 'the first argument must be a string');
        return formatTemplate(name, raw, v.slice(1));
      }
      case 'States.StringToJson': {
        if (typeof v[0] !== 'string') fail(name, `the argument must be a string, got ${typeName(v[0])}`);
        // Recorded on AWS: an empty or blank string gives null, as "null" does (LocalStack
        // tests/aws/services/stepfunctions/v2/intrinsic_functions/test_json_manipulation.snapshot.json,
        // test_string_to_json: "" → null, " " → null, "null" → null, "-0" → 0, "1.1" → 1.1).
        if ((v[0] as string).trim() === '') return null;
        try {
          return JSON.parse(v[0] as string);
        } catch {
          fail(name, `the string is not valid JSON: ${v[0]}`);
        }
        break;
      }
      case 'States.JsonToString':
        return toJson(v[0]);
      case 'States.Array':
        return v;
      case 'States.ArrayPartition':
        return arrayPartition(name, v[0], rounded(v[1]));
      case 'States.ArrayContains':
        if (!Array.isArray(v[0])) fail(name, `the first argument must be an array, got ${typeName(v[0])}`);
        return (v[0] as unknown[]).some((x) => deepEqual(x, v[1]));
      case 'States.ArrayRange':
        return arrayRange(name, rounded(v[0]), rounded(v[1]), rounded(v[2]));
      case 'States.ArrayGetItem': {
        if (!Array.isArray(v[0])) fail(name, `the first argument must be an array, got ${typeName(v[0])}`);
        const idx = rounded(v[1]);
        if (!isInt(idx) || idx < 0) fail(name, 'the index must be a non-negative integer');
        const arr = v[0] as unknown[];
        if (idx >= arr.length) fail(name, `the index ${idx} is out of bounds for an array of length ${arr.length}`);
        return arr[idx];
      }
      case 'States.ArrayLength':
        if (!Array.isArray(v[0])) fail(name, `the argument must be an array, got ${typeName(v[0])}`);
        return (v[0] as unknown[]).length;
      case 'States.ArrayUnique': {
        if (!Array.isArray(v[0])) fail(name, `the argument must be an array, got ${typeName(v[0])}`);
        const out: unknown[] = [];
        for (const x of v[0] as unknown[]) if (!out.some((y) => deepEqual(x, y))) out.push(x);
        return out;
      }
      case 'States.Base64Encode':
        if (typeof v[0] !== 'string') fail(name, `the argument must be a string, got ${typeName(v[0])}`);
        if ((v[0] as string).length > 10000) fail(name, 'the input string must be at most 10000 characters');
        return Buffer.from(v[0] as string, 'utf8').toString('base64');
      case 'States.Base64Decode':
        if (typeof v[0] !== 'string') fail(name, `the argument must be a string, got ${typeName(v[0])}`);
        if ((v[0] as string).length > 10000) fail(name, 'the input string must be at most 10000 characters');
        return Buffer.from(v[0] as string, 'base64').toString('utf8');
      case 'States.Hash':
        return hashOf(name, v[0], v[1]);
      case 'States.JsonMerge': {
        const [a, b, deep] = v;
        if (a === null || typeof a !== 'object' || Array.isArray(a) || b === null || typeof b !== 'object' || Array.isArray(b)) {
          fail(name, 'the first two arguments must be JSON objects');
        }
        if (deep !== false) fail(name, 'deep merging is not supported: the third argument must be false');
        return { ...(a as object), ...(b as object) };
      }
      case 'States.MathRandom': {
        // Numbers are rounded to integers first, as AWS does (recorded: MathRandom(12.5, 44.51) works).
        // The end is exclusive; with a seed the draw is java.util.Random(seed).nextInt(end - start).
        const [a, b, seed] = v;
        if (typeof a !== 'number' || typeof b !== 'number') fail(name, 'start and end must be numbers');
        if (v.length === 3 && typeof seed !== 'number') fail(name, 'the seed must be a number');
        const start = Math.round(a);
        const end = Math.round(b);
        if (end <= start) fail(name, 'the end must be greater than the start');
        if (v.length === 3 && end - start <= 0x7fffffff) return start + new JavaRandom(Math.round(seed as number)).nextInt(end - start);
        return Math.floor(start + Math.random() * (end - start));
      }
      case 'States.MathAdd': {
        // Each argument is rounded (half up, like Java's Math.round) before adding, as recorded on AWS:
        // MathAdd(1.49, 1.5) = 3, MathAdd(-1.5, -1.51) = -3.
        const [a, b] = v;
        if (typeof a !== 'number' || typeof b !== 'number') fail(name, 'both arguments must be numbers');
        return Math.round(a) + Math.round(b);
      }
      case 'States.StringSplit': {
        const [s, d] = v;
        if (typeof s !== 'string' || typeof d !== 'string') fail(name, 'both arguments must be strings');
        if (d === '') return [s];
        const parts: string[] = [];
        let cur = '';
        for (const ch of s) {
          if (d.includes(ch)) {
            if (cur !== '') parts.push(cur);
            cur = '';
          } else cur += ch;
        }
        if (cur !== '') parts.push(cur);
        return parts;
      }
      case 'States.UUID':
        return randomUUID();
    }
    fail(name, 'unknown function');
  };
  return { source, name, evaluate: impl };
}
