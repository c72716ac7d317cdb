/**
 * JSONata for Step Functions: `{% expr %}` strings, compiled once. AWS runs JSONata 2.0.6 without `$eval`,
 * plus $partition, $range, $hash, $random, $uuid and $parse.
 * https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
 */
import jsonata from 'jsonata';
import { createHash, randomUUID } from 'node:crypto';
import { QueryEvaluationError } from './errors';
import { arrayPartition, arrayRange, seededRandom } from './intrinsics';
import { deepFreeze, isPlainObject } from './json';

export function isJsonataString(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith('{%') && v.endsWith('%}') && v.length >= 4;
}

/** What `$states` holds during one evaluation. */
export interface StatesBinding {
  input: unknown;
  context: unknown;
  result?: unknown;
  errorOutput?: unknown;
}

/** The variables plus `states`, as one flat object (jsonata binds own keys only). */
export type JsonataBindings = Record<string, unknown> & { states: StatesBinding };

export function makeBindings(states: StatesBinding, vars: Record<string, unknown>): JsonataBindings {
  const b = { ...vars } as JsonataBindings;
  b.states = states;
  return b;
}

class SfnFunctionError extends Error {}

const HASH_ALGOS: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

function wrapIntrinsic<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new SfnFunctionError((e as Error).message);
  }
}

/** The Step Functions additions to JSONata. */
const SFN_FUNCTIONS: [string, (...args: any[]) => unknown, string][] = [
  ['partition', (arr: unknown[], size: number) => wrapIntrinsic(() => arrayPartition('$partition', arr, size)), '<an:a>'],
  ['range', (start: number, end: number, step: number) => wrapIntrinsic(() => arrayRange('$range', start, end, step)), '<nnn:a<n>>'],
  [
    'hash',
    (data: string, algorithm: string) => {
      if (!(algorithm in HASH_ALGOS)) throw new SfnFunctionError(`Unsupported hash algorithm: ${algorithm}`);
      return createHash(HASH_ALGOS[algorithm]).update(data, 'utf8').digest('hex');
    },
    '<ss:s>',
  ],
  ['random', (seed?: number) => (seed === undefined ? Math.random() : seededRandom(seed)), '<n?:n>'],
  ['uuid', () => randomUUID(), '<:s>'],
  [
    'parse',
    (s: string) => {
      try {
        return JSON.parse(s);
      } catch {
        throw new SfnFunctionError(`Unable to parse the JSON string: ${s}`);
      }
    },
    '<s:j>',
  ],
];

/** Returned by a fast evaluator when it cannot decide: the expression then runs through jsonata. */
const FALLBACK = Symbol('fallback');
type Fast = (b: JsonataBindings) => unknown;

const SIMPLE_KEYS = new Set(['value', 'type', 'position']);
function isSimpleNode(n: any): boolean {
  return Object.keys(n).every((k) => SIMPLE_KEYS.has(k));
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function lookupVar(b: JsonataBindings, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(b, name) ? b[name] : FALLBACK;
}

/**
 * A fast path for the expressions most states use ($states.input.a.b, $var, literals, = != < > <= >=,
 * and/or, $not, $exists), evaluated directly with jsonata's semantics; anything else, or any value it
 * is unsure about (arrays along a path, objects compared...), falls back to jsonata itself.
 */
function compileFast(n: any): Fast | null {
  if (!n || typeof n !== 'object') return null;
  switch (n.type) {
    case 'string':
    case 'number':
    case 'value':
      if (!isSimpleNode(n)) return null;
      return () => n.value;
    case 'variable': {
      if (!isSimpleNode(n) || n.value === '') return null;
      const name = n.value as string;
      return (b) => lookupVar(b, name);
    }
    case 'path': {
      const steps = n.steps as any[];
      if (n.keepSingletonArray || !steps || steps.length < 2 || steps[0].type !== 'variable' || !isSimpleNode(steps[0]) || steps[0].value === '') return null;
      if (!steps.slice(1).every((st) => st.type === 'name' && isSimpleNode(st))) return null;
      const root = steps[0].value as string;
      const names = steps.slice(1).map((st) => st.value as string);
      return (b) => {
        let cur = lookupVar(b, root);
        if (cur === FALLBACK) return FALLBACK;
        for (let i = 0; i < names.length; i++) {
          if (cur === undefined) return undefined;
          if (Array.isArray(cur)) return FALLBACK;
          if (!isPlain(cur)) return cur === null || typeof cur !== 'object' ? undefined : FALLBACK;
          cur = cur[names[i]];
        }
        return cur;
      };
    }
    case 'binary': {
      const op = n.value as string;
      if (!['=', '!=', '<', '>', '<=', '>=', 'and', 'or'].includes(op)) return null;
      const l = compileFast(n.lhs);
      const r = compileFast(n.rhs);
      if (!l || !r) return null;
      if (op === 'and' || op === 'or') {
        return (b) => {
          const a = l(b);
          if (a === FALLBACK || (a !== undefined && typeof a !== 'boolean')) return FALLBACK;
          if (op === 'and' && !a) return false;
          if (op === 'or' && a) return true;
          const c = r(b);
          if (c === FALLBACK || (c !== undefined && typeof c !== 'boolean')) return FALLBACK;
          return !!c;
        };
      }
      return (b) => {
        const a = l(b);
        const c = r(b);
        if (a === FALLBACK || c === FALLBACK) return FALLBACK;
        const prim = (v: unknown) => v === undefined || v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
        if (!prim(a) || !prim(c)) return FALLBACK;
        if (op === '=' || op === '!=') {
          if (a === undefined || c === undefined) return false;
          return op === '=' ? a === c : a !== c;
        }
        if (a === undefined || c === undefined) {
          const ok = (v: unknown) => v === undefined || typeof v === 'string' || typeof v === 'number';
          return ok(a) && ok(c) ? undefined : FALLBACK;
        }
        if (typeof a !== typeof c || (typeof a !== 'number' && typeof a !== 'string')) return FALLBACK;
        const x = a as number | string;
        const y = c as number | string;
        return op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
      };
    }
    case 'function': {
      const proc = n.procedure;
      if (!proc || proc.type !== 'variable' || !Array.isArray(n.arguments) || n.arguments.length !== 1) return null;
      const arg = compileFast(n.arguments[0]);
      if (!arg) return null;
      if (proc.value === 'not') {
        return (b) => {
          if (Object.prototype.hasOwnProperty.call(b, 'not')) return FALLBACK;
          const v = arg(b);
          return typeof v === 'boolean' ? !v : FALLBACK;
        };
      }
      if (proc.value === 'exists') {
        return (b) => {
          if (Object.prototype.hasOwnProperty.call(b, 'exists')) return FALLBACK;
          const v = arg(b);
          return v === FALLBACK ? FALLBACK : v !== undefined;
        };
      }
      return null;
    }
    default:
      return null;
  }
}

export interface CompiledJsonata {
  readonly source: string;
  readonly field: string;
  evaluate(b: JsonataBindings): Promise<unknown>;
}

function walk(node: any, visit: (n: any) => void): void {
  if (!node || typeof node !== 'object') return;
  visit(node);
  for (const k of Object.keys(node)) {
    const v = node[k];
    if (Array.isArray(v)) v.forEach((x) => walk(x, visit));
    else if (v && typeof v === 'object') walk(v, visit);
  }
}

/** Compiles one `{% %}` string (with the braces). Throws Error with a message on a syntax error or on `$eval`. */
export function compileJsonata(text: string, field: string): CompiledJsonata {
  const source = text.slice(2, -2).trim();
  if (source === '') throw new Error(`empty JSONata expression in ${field}`);
  let expr: jsonata.Expression;
  try {
    expr = jsonata(source);
  } catch (e) {
    throw new Error(`invalid JSONata expression '${source}' in ${field}: ${(e as Error).message}`);
  }
  walk(expr.ast(), (n) => {
    if (n.type === 'function' && n.procedure?.type === 'variable' && n.procedure.value === 'eval') {
      throw new Error(`the JSONata function $eval is not supported (in ${field})`);
    }
  });
  for (const [name, fn, sig] of SFN_FUNCTIONS) expr.registerFunction(name, fn, sig);
  const fast = compileFast(expr.ast());
  return {
    source,
    field,
    async evaluate(b) {
      let result: unknown = fast ? fast(b) : FALLBACK;
      try {
        if (result === FALLBACK) result = await expr.evaluate(undefined, b);
      } catch (e) {
        const err = e as { message?: string; code?: string };
        throw new QueryEvaluationError(
          `The JSONata expression '${source}' specified for the field '${field}' threw an error during evaluation: ${err.message ?? String(e)}`,
          field,
        );
      }
      if (result === undefined) {
        throw new QueryEvaluationError(`The JSONata expression '${source}' specified for the field '${field}' returned nothing (undefined).`, field);
      }
      if (
        typeof result === 'function' ||
        (typeof result === 'number' && !Number.isFinite(result)) ||
        (typeof result === 'object' && result !== null && ((result as Record<string, unknown>)._jsonata_lambda || (result as Record<string, unknown>)._jsonata_function))
      ) {
        throw new QueryEvaluationError(`The JSONata expression '${source}' specified for the field '${field}' returned an unsupported result type.`, field);
      }
      return result;
    },
  };
}

/** A JSON value whose strings may be `{% %}` expressions (Arguments, Output, Assign values...). */
export interface JsonataTemplate {
  /** True when the value holds no expression: `value` is then the result. */
  readonly constant: boolean;
  readonly value: unknown;
  evaluate(b: JsonataBindings): Promise<unknown>;
}

export function compileJsonataTemplate(value: unknown, field: string): JsonataTemplate {
  if (isJsonataString(value)) {
    const c = compileJsonata(value, field);
    return { constant: false, value: undefined, evaluate: (b) => c.evaluate(b) };
  }
  if (Array.isArray(value)) {
    const items = value.map((v, i) => compileJsonataTemplate(v, `${field}[${i}]`));
    if (items.every((t) => t.constant)) return constantTemplate(value);
    return {
      constant: false,
      value: undefined,
      async evaluate(b) {
        const out = new Array(items.length);
        for (let i = 0; i < items.length; i++) out[i] = items[i].constant ? items[i].value : await items[i].evaluate(b);
        return out;
      },
    };
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    const items = keys.map((k) => compileJsonataTemplate(value[k], `${field}.${k}`));
    if (items.every((t) => t.constant)) return constantTemplate(value);
    return {
      constant: false,
      value: undefined,
      async evaluate(b) {
        const out: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) out[keys[i]] = items[i].constant ? items[i].value : await items[i].evaluate(b);
        return out;
      },
    };
  }
  return constantTemplate(value);
}

function constantTemplate(value: unknown): JsonataTemplate {
  deepFreeze(value);
  return { constant: true, value, evaluate: () => Promise.resolve(value) };
}
