/**
 * JSONata for Step Functions: `{% %}` templates, compiled once per definition. AWS runs JSONata (jsonata-js)
 * without `$eval`, plus $partition, $range, $hash, $random, $uuid and $parse.
 * https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
 *
 * Speed: most expressions in real machines are paths ($states.input.a, $var.b), literals, object/array
 * constructors, comparisons and a few pure functions ($merge, $string, $exists...). Those are evaluated
 * here synchronously, with jsonata's exact semantics, and anything else (or any value the fast evaluator
 * is unsure about) falls back to jsonata itself. Templates evaluate synchronously when they can
 * (`run()` returns a value, not a Promise), so the executor awaits only when jsonata really ran.
 *
 * Fidelity (recorded on AWS, see test/local/asl/jsonata-errors.test.ts):
 * - a field is named by its path in the state, with `/` before each object key and `[i]` per array index:
 *   `Output/v`, `Arguments/Input/id`, `Assign/x`, `Choices[1]/Condition`, `Catch[0]/Output/a`;
 * - an expression that throws fails with "The JSONata expression '<expr>' specified for the field
 *   '<field>' threw an error during evaluation. <CODE>: <message>" (": <message>" when jsonata gives no code);
 * - one that returns nothing: "... specified for the field '<field>' returned nothing (undefined).".
 */
import jsonata from 'jsonata';
import { createHash, randomUUID } from 'node:crypto';
import { QueryEvaluationError } from './errors';
import { javaRandomDouble } from './intrinsics';
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

/**
 * What an expression sees: `$states` and the workflow variables. The flat object jsonata wants
 * (variables + `states`) is only built when an expression falls back to jsonata.
 */
export class JsonataScope {
  private merged?: Record<string, unknown>;
  constructor(
    readonly states: StatesBinding,
    readonly vars: Record<string, unknown>,
  ) {}

  /** The bindings object for jsonata (own keys only): the variables plus `states`. */
  bindings(): Record<string, unknown> {
    if (this.merged) return this.merged;
    const b: Record<string, unknown> = {};
    for (const k in this.vars) b[k] = this.vars[k];
    b.states = plainStates(this.states);
    return (this.merged = b);
  }
}

/** `$states` as a plain object (its `context` may be a lazy getter on the binding). */
function plainStates(s: StatesBinding): Record<string, unknown> {
  const o: Record<string, unknown> = { input: s.input, context: s.context };
  if (s.result !== undefined) o.result = s.result;
  if (s.errorOutput !== undefined) o.errorOutput = s.errorOutput;
  return o;
}

export type JsonataBindings = JsonataScope;

export function makeBindings(states: StatesBinding, vars: Record<string, unknown>): JsonataScope {
  return new JsonataScope(states, vars);
}

/** An error raised by a Step Functions function, shaped like jsonata's own ({code, message}). */
function sfnError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

const HASH_ALGOS: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** AWS rounds a non-integer argument towards zero ($range(-1.7, 2, 1) starts at -1). */
function towardsZero(n: number): number {
  return Math.trunc(n);
}

/**
 * The Step Functions additions to JSONata. Edge cases as measured on AWS (reported by the Floci project,
 * which compares against real Step Functions): several arguments make the function return nothing
 * rather than fail (an empty array or a zero chunk size for $partition; a missing or wrong-signed step for
 * $range; a missing algorithm for $hash), $range collapses a one-element range to the number, an unknown
 * hash algorithm or invalid JSON raises D3137, and $random(seed) draws from java.util.Random(seed).
 */
const SFN_FUNCTIONS: [string, (...args: any[]) => unknown, string][] = [
  [
    'partition',
    (arr: unknown[] | undefined, size?: number) => {
      if (arr === undefined) return undefined;
      if (arr.length === 0) return undefined;
      if (size === undefined) return [arr];
      const n = towardsZero(size);
      if (n < 0) throw sfnError('D3137', 'Second argument must be zero or greater');
      if (n === 0) return undefined;
      const out: unknown[][] = [];
      for (let k = 0; k < arr.length; k += n) out.push(arr.slice(k, k + n));
      return out;
    },
    '<a?n?:a>',
  ],
  [
    'range',
    (start: number, end: number, step?: number) => {
      const a = towardsZero(start);
      const b = towardsZero(end);
      if (step === undefined) return undefined;
      const s = towardsZero(step);
      if (s === 0 || (s > 0 && a > b) || (s < 0 && a < b)) return undefined;
      const count = Math.floor((b - a) / s) + 1;
      // A one-element range is the number itself, not an array ($range(0, 3, 5) is 0, as $range(1, 1, 1) is 1).
      if (count === 1) return a;
      if (count > 360145) throw sfnError('D3137', 'Expression evaluation memory limit exceeded');
      const out = new Array<number>(count);
      for (let k = 0; k < count; k++) out[k] = a + k * s;
      return out;
    },
    '<nnn?:a<n>>',
  ],
  [
    'hash',
    (data: string, algorithm?: string) => {
      if (algorithm === undefined) return undefined;
      if (!(algorithm in HASH_ALGOS)) {
        throw sfnError('D3137', `Hash algorithm '${algorithm}' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5`);
      }
      return createHash(HASH_ALGOS[algorithm]).update(data, 'utf8').digest('hex');
    },
    '<ss?:s>',
  ],
  ['random', (seed?: number) => (seed === undefined ? Math.random() : javaRandomDouble(towardsZero(seed))), '<n?:n>'],
  ['uuid', () => randomUUID(), '<:s>'],
  [
    'parse',
    (s: string | undefined) => {
      if (s === undefined) return undefined;
      try {
        return JSON.parse(s);
      } catch {
        throw sfnError('D3137', 'Invalid JSON');
      }
    },
    '<s?:j>',
  ],
];

// ------------------------------------------------------------------------------------------ fast path

/** Returned by a fast evaluator when it cannot decide: the expression then runs through jsonata. */
const FALLBACK = Symbol('fallback');
type Fast = (s: JsonataScope) => unknown;

const SIMPLE_KEYS = new Set(['value', 'type', 'position']);
// jsonata's AST nodes inherit enumerable parser fields (id, lbp, nud): own keys only.
function isSimpleNode(n: any): boolean {
  return Object.keys(n).every((k) => SIMPLE_KEYS.has(k));
}
function hasOnly(n: any, keys: string[]): boolean {
  return Object.keys(n).every((k) => keys.includes(k) || n[k] === undefined);
}

const hasOwn = Object.prototype.hasOwnProperty;

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function lookupVar(s: JsonataScope, name: string): unknown {
  if (name === 'states') return s.states;
  return hasOwn.call(s.vars, name) ? s.vars[name] : FALLBACK;
}

/** `$states.<name>` ($states' context may be a lazy getter, not an own property). */
function statesGet(st: StatesBinding, name: string): unknown {
  switch (name) {
    case 'input':
      return st.input;
    case 'context':
      return st.context;
    case 'result':
      return st.result;
    case 'errorOutput':
      return st.errorOutput;
    default:
      return undefined;
  }
}

/** A JSON-ish value the fast path may hand on unchanged (no functions, no non-finite numbers at the top). */
function isPrim(v: unknown): boolean {
  return v === undefined || v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** An object or array holding data (not a jsonata function). */
function isJsonContainer(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return true;
  const o = v as Record<string, unknown>;
  return !o._jsonata_lambda && !o._jsonata_function;
}

/** Stands for a subexpression outside the subset where it is evaluated lazily (a branch, the right side of and/or). */
const alwaysFallback: Fast = () => FALLBACK;

/** jsonata's $string for values it can render exactly (JSON with integer-or-15-digit numbers). */
function fastString(v: unknown): unknown {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return FALLBACK;
    return JSON.stringify(Number.isInteger(v) ? v : Number(v.toPrecision(15)));
  }
  if (typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'object') {
    const kind = plainJson(v, 0);
    if (kind === NOT_PLAIN) return FALLBACK;
    // jsonata's replacer only changes non-integer numbers: without any, plain JSON.stringify gives the same text.
    if (kind === PLAIN_INTEGERS) return JSON.stringify(v);
    return JSON.stringify(v, (_k, val) => (typeof val === 'number' && !Number.isInteger(val) ? Number(val.toPrecision(15)) : val));
  }
  return FALLBACK;
}

const NOT_PLAIN = 0;
/** A plain JSON tree whose numbers are all integers. */
const PLAIN_INTEGERS = 1;
/** A plain JSON tree with at least one non-integer number. */
const PLAIN_FRACTIONS = 2;

/**
 * Whether `v` is a plain JSON tree (objects, arrays, strings, finite numbers, booleans, null), not too deep:
 * NOT_PLAIN, PLAIN_INTEGERS or PLAIN_FRACTIONS.
 */
function plainJson(v: unknown, depth: number): number {
  if (v === null) return PLAIN_INTEGERS;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return PLAIN_INTEGERS;
    case 'number':
      return Number.isFinite(v) ? (Number.isInteger(v) ? PLAIN_INTEGERS : PLAIN_FRACTIONS) : NOT_PLAIN;
    case 'object': {
      if (depth > 64) return NOT_PLAIN;
      let kind = PLAIN_INTEGERS;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const k = plainJson(v[i], depth + 1);
          if (k === NOT_PLAIN) return NOT_PLAIN;
          if (k > kind) kind = k;
        }
        return kind;
      }
      for (const key in v as Record<string, unknown>) {
        const x = (v as Record<string, unknown>)[key];
        if (x === undefined) continue;
        const k = plainJson(x, depth + 1);
        if (k === NOT_PLAIN) return NOT_PLAIN;
        if (k > kind) kind = k;
      }
      return kind;
    }
    default:
      return NOT_PLAIN;
  }
}

/**
 * Where `$now()` and `$millis()` take the time (epoch ms). The local cloud points it at its controllable clock,
 * so a workflow's own timestamps and time checks follow an advance like its Retry waits do.
 */
let timeSource: () => number = Date.now;
export function setJsonataTimeSource(source: () => number): void {
  timeSource = source;
}
/** Binding that carries one slow evaluation's fixed time to the `$now`/`$millis` below. */
const TIME_BINDING = '__sfnEvaluationTimeMs';

/** The timestamp `$now()` returns during one fast evaluation (jsonata fixes it per evaluation too). */
let fastNow: string | undefined;
/** `$` during one fast evaluation: the input (undefined in Step Functions), or the item a filter is testing. */
let fastContext: unknown;

const COMPARE_OPS = new Set(['=', '!=', '<', '>', '<=', '>=']);
const ARITH_OPS = new Set(['+', '-', '*', '/', '%']);

/** Functions evaluated without jsonata (each checks its argument types and falls back otherwise). */
/** `sequence`: jsonata returns a sequence, which a function call with one item unwraps (none: undefined). */
const FAST_FUNCTIONS: Record<string, { arity: number; sequence?: boolean; fn: (args: unknown[]) => unknown }> = {
  keys: {
    arity: 1,
    sequence: true,
    fn: ([v]) => (isPlain(v) && isJsonContainer(v) ? Object.keys(v) : FALLBACK),
  },
  not: {
    arity: 1,
    fn: ([v]) => (typeof v === 'boolean' ? !v : FALLBACK),
  },
  exists: {
    arity: 1,
    fn: ([v]) => v !== undefined,
  },
  string: {
    arity: 1,
    fn: ([v]) => fastString(v),
  },
  merge: {
    arity: 1,
    fn: ([v]) => {
      if (v === undefined) return undefined;
      const list = Array.isArray(v) ? v : [v];
      const out: Record<string, unknown> = {};
      for (const o of list) {
        if (!isPlain(o)) return FALLBACK;
        for (const k in o) out[k] = o[k];
      }
      return out;
    },
  },
  count: {
    arity: 1,
    fn: ([v]) => (v === undefined ? 0 : Array.isArray(v) ? v.length : 1),
  },
  length: {
    arity: 1,
    fn: ([v]) => {
      if (v === undefined) return undefined;
      if (typeof v !== 'string') return FALLBACK;
      let n = 0;
      // eslint-disable-next-line @typescript-eslint/no-unused-vars
      for (const _ of v) n++;
      return n;
    },
  },
  uppercase: {
    arity: 1,
    fn: ([v]) => (v === undefined ? undefined : typeof v === 'string' ? v.toUpperCase() : FALLBACK),
  },
  lowercase: {
    arity: 1,
    fn: ([v]) => (v === undefined ? undefined : typeof v === 'string' ? v.toLowerCase() : FALLBACK),
  },
  type: {
    arity: 1,
    fn: ([v]) => {
      if (v === undefined) return undefined;
      if (v === null) return 'null';
      switch (typeof v) {
        case 'number':
          return Number.isFinite(v) ? 'number' : FALLBACK;
        case 'string':
          return 'string';
        case 'boolean':
          return 'boolean';
        case 'object':
          if (Array.isArray(v)) return 'array';
          return isPlain(v) && !(v as Record<string, unknown>)._jsonata_lambda && !(v as Record<string, unknown>)._jsonata_function ? 'object' : FALLBACK;
        default:
          return FALLBACK;
      }
    },
  },
  parse: {
    // The Step Functions $parse (see SFN_FUNCTIONS): JSON text to a value; anything unusual goes to jsonata.
    arity: 1,
    fn: ([v]) => {
      if (v === undefined) return undefined;
      if (typeof v !== 'string') return FALLBACK;
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch {
        return FALLBACK; // jsonata raises D3137
      }
      // JSON.parse turns 1e400 into Infinity, which the slow path renders by name.
      return plainJson(parsed, 0) === NOT_PLAIN ? FALLBACK : parsed;
    },
  },
  now: {
    arity: 0,
    fn: () => {
      if (fastNow === undefined) {
        const iso = new Date(timeSource()).toISOString();
        // jsonata's default picture is ISO 8601 with milliseconds and 'Z' for years 0-9999.
        if (iso.length !== 24) return FALLBACK;
        fastNow = iso;
      }
      return fastNow;
    },
  },
  encodeUrlComponent: {
    arity: 1,
    fn: ([v]) => {
      if (v === undefined) return undefined;
      if (typeof v !== 'string') return FALLBACK;
      try {
        return encodeURIComponent(v);
      } catch {
        return FALLBACK; // a lone surrogate: jsonata raises D3140
      }
    },
  },
  lookup: {
    arity: 2,
    fn: ([o, k]) => {
      if (typeof k !== 'string' || Array.isArray(o)) return FALLBACK;
      if (o === undefined) return undefined;
      if (!isPlain(o)) return o === null || typeof o !== 'object' ? undefined : FALLBACK;
      return hasOwn.call(o, k) ? o[k] : undefined;
    },
  },
};

/**
 * Compiles the subset of JSONata evaluated without jsonata: `$states.input.a.b` / `$var.x` paths through
 * objects, literals, `{...}` / `[...]` constructors, `= != < > <= >=`, `and`/`or`, `+ - * / %`, `&`,
 * `?:`, unary `-`, and the functions above. Returns null when the expression is outside the subset.
 */
function compileFast(n: any): Fast | null {
  if (!n || typeof n !== 'object') return null;
  switch (n.type) {
    case 'string':
    case 'number':
    case 'value': {
      if (!isSimpleNode(n)) return null;
      const v = n.value;
      return () => v;
    }
    case 'variable': {
      if (isSimpleNode(n) && n.value === '') return () => fastContext;
      if (!isSimpleNode(n) || n.value === '' || n.value === 'states') return null;
      const name = n.value as string;
      return (s) => lookupVar(s, name);
    }
    case 'path': {
      const steps = n.steps as any[];
      if (!hasOnly(n, ['type', 'steps', 'position']) || !steps || steps.length < 2) return null;
      if (steps[0].type !== 'variable' || !isSimpleNode(steps[0]) || steps[0].value === '') return null;
      for (let i = 1; i < steps.length; i++) if (steps[i].type !== 'name' || !isSimpleNode(steps[i])) return null;
      const root = steps[0].value as string;
      const names = steps.slice(1).map((st) => st.value as string);
      const len = names.length;
      const fromStates = root === 'states';
      return (s) => {
        let cur: unknown;
        let i = 0;
        if (fromStates) {
          cur = statesGet(s.states, names[0]);
          i = 1;
        } else {
          cur = lookupVar(s, root);
          if (cur === FALLBACK) return FALLBACK;
        }
        for (; i < len; i++) {
          if (cur === undefined) return undefined;
          if (cur === null || typeof cur !== 'object') return undefined;
          if (Array.isArray(cur)) return FALLBACK;
          const o = cur as Record<string, unknown>;
          cur = hasOwn.call(o, names[i]) ? o[names[i]] : undefined;
        }
        if (typeof cur === 'function') return FALLBACK;
        return cur;
      };
    }
    case 'unary': {
      if (n.value === '-') {
        if (!hasOnly(n, ['type', 'value', 'position', 'expression'])) return null;
        const e = compileFast(n.expression);
        if (!e) return null;
        return (s) => {
          const v = e(s);
          if (v === undefined) return undefined;
          return typeof v === 'number' ? -v : FALLBACK;
        };
      }
      if (n.value === '[') {
        if (!hasOnly(n, ['type', 'value', 'position', 'expressions', 'consarray'])) return null;
        const items = (n.expressions as any[]).map(compileFast);
        if (items.some((f) => !f)) return null;
        const nested = (n.expressions as any[]).map((x) => x.type === 'unary' && x.value === '[');
        const k = items.length;
        return (s) => {
          const out: unknown[] = [];
          for (let i = 0; i < k; i++) {
            const v = items[i]!(s);
            if (v === FALLBACK) return FALLBACK;
            if (v === undefined) continue;
            // jsonata appends (flattens) the value of any item that is not itself an array constructor
            if (!nested[i] && Array.isArray(v)) {
              for (let j = 0; j < v.length; j++) out.push(v[j]);
            } else out.push(v);
          }
          return out;
        };
      }
      if (n.value === '{') {
        if (!hasOnly(n, ['type', 'value', 'position', 'lhs'])) return null;
        const pairs = n.lhs as any[][];
        const keys: string[] = [];
        const vals: Fast[] = [];
        for (const [kn, vn] of pairs) {
          if (kn.type !== 'string' || !isSimpleNode(kn)) return null;
          if (keys.includes(kn.value)) return null; // D1009 in jsonata
          if (kn.value === '_jsonata_lambda' || kn.value === '_jsonata_function') return null;
          const f = compileFast(vn);
          if (!f) return null;
          keys.push(kn.value);
          vals.push(f);
        }
        const k = keys.length;
        return (s) => {
          const out: Record<string, unknown> = {};
          for (let i = 0; i < k; i++) {
            const v = vals[i](s);
            if (v === FALLBACK) return FALLBACK;
            if (v !== undefined) out[keys[i]] = v;
          }
          return out;
        };
      }
      return null;
    }
    case 'block': {
      // `(expr)`: one expression without bindings evaluates to that expression's value.
      if (!hasOnly(n, ['type', 'position', 'expressions']) || !Array.isArray(n.expressions) || n.expressions.length !== 1) return null;
      return compileFast(n.expressions[0]);
    }
    case 'condition': {
      if (!hasOnly(n, ['type', 'position', 'condition', 'then', 'else'])) return null;
      const c = compileFast(n.condition);
      // A branch outside the subset only sends the expression to jsonata when it is the one taken.
      const t = compileFast(n.then) ?? alwaysFallback;
      const e = n.else !== undefined ? compileFast(n.else) ?? alwaysFallback : () => undefined;
      if (!c || (t === alwaysFallback && e === alwaysFallback)) return null;
      return (s) => {
        const v = c(s);
        if (v === FALLBACK || (v !== undefined && typeof v !== 'boolean')) return FALLBACK;
        return v ? t(s) : e(s);
      };
    }
    case 'binary': {
      if (!hasOnly(n, ['type', 'value', 'position', 'lhs', 'rhs'])) return null;
      const op = n.value as string;
      const l = compileFast(n.lhs);
      if (!l) return null;
      // The right side of and/or outside the subset only sends the expression to jsonata when it is evaluated.
      const r = compileFast(n.rhs) ?? (op === 'and' || op === 'or' ? alwaysFallback : null);
      if (!r) return null;
      if (op === 'and' || op === 'or') {
        return (s) => {
          const a = l(s);
          if (a === FALLBACK || (a !== undefined && typeof a !== 'boolean')) return FALLBACK;
          if (op === 'and' && !a) return false;
          if (op === 'or' && a) return true;
          const c = r(s);
          if (c === FALLBACK || (c !== undefined && typeof c !== 'boolean')) return FALLBACK;
          return !!c;
        };
      }
      if (op === '&') {
        return (s) => {
          const a = l(s);
          const c = r(s);
          if (a === FALLBACK || c === FALLBACK) return FALLBACK;
          // jsonata casts each side with $string (undefined is '')
          const x = a === undefined ? '' : fastString(a);
          const y = c === undefined ? '' : fastString(c);
          if (x === FALLBACK || y === FALLBACK) return FALLBACK;
          return (x as string) + (y as string);
        };
      }
      if (ARITH_OPS.has(op)) {
        return (s) => {
          const a = l(s);
          const c = r(s);
          if (a === FALLBACK || c === FALLBACK) return FALLBACK;
          if ((a !== undefined && typeof a !== 'number') || (c !== undefined && typeof c !== 'number')) return FALLBACK;
          if (a === undefined || c === undefined) return undefined;
          const x = a as number;
          const y = c as number;
          const v = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : x % y;
          return Number.isFinite(v) ? v : FALLBACK;
        };
      }
      if (op === 'in') {
        // jsonata: false when either side is undefined; a non-array right side is a one-item list; items compare with ===.
        return (s) => {
          const a = l(s);
          const c = r(s);
          if (a === FALLBACK || c === FALLBACK) return FALLBACK;
          if (!isPrim(a)) return FALLBACK;
          if (a === undefined || c === undefined) return false;
          if (!Array.isArray(c)) return isPrim(c) ? a === c : FALLBACK;
          for (let i = 0; i < c.length; i++) if (c[i] === a) return true;
          return false;
        };
      }
      if (!COMPARE_OPS.has(op)) return null;
      return (s) => {
        const a = l(s);
        const c = r(s);
        if (a === FALLBACK || c === FALLBACK) return FALLBACK;
        if (op === '=' || op === '!=') {
          if (a === undefined || c === undefined) return false;
          const pa = isPrim(a);
          const pc = isPrim(c);
          // jsonata's deep equality: a value (null included) never equals an object or an array.
          if (pa !== pc) return pa ? (isJsonContainer(c) ? op === '!=' : FALLBACK) : isJsonContainer(a) ? op === '!=' : FALLBACK;
          if (!pa) return FALLBACK;
          return op === '=' ? a === c : a !== c;
        }
        if (!isPrim(a) || !isPrim(c)) return FALLBACK;
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
      if (!hasOnly(n, ['type', 'value', 'position', 'arguments', 'procedure', 'predicate'])) return null;
      const proc = n.procedure;
      if (!proc || proc.type !== 'variable' || !isSimpleNode(proc) || !Array.isArray(n.arguments)) return null;
      const name = proc.value as string;
      const def = hasOwn.call(FAST_FUNCTIONS, name) ? FAST_FUNCTIONS[name] : undefined;
      if (!def || n.arguments.length !== def.arity) return null;
      const args = (n.arguments as any[]).map(compileFast);
      if (args.some((a) => !a)) return null;
      // `$f(...)[predicate]`: filters whose predicate is true/false per item ($ = the item); not index ones.
      const stages: Fast[] = [];
      if (n.predicate !== undefined) {
        if (!Array.isArray(n.predicate)) return null;
        for (const p of n.predicate as any[]) {
          if (!p || p.type !== 'filter' || !hasOnly(p, ['type', 'expr', 'position']) || !p.expr || p.expr.type === 'number') return null;
          const f = compileFast(p.expr);
          if (!f) return null;
          stages.push(f);
        }
      }
      const unwrap = def.sequence === true || stages.length > 0;
      const k = args.length;
      return (s) => {
        if (hasOwn.call(s.vars, name)) return FALLBACK; // a variable shadows the function
        const vals = new Array<unknown>(k);
        for (let i = 0; i < k; i++) {
          const v = args[i]!(s);
          if (v === FALLBACK) return FALLBACK;
          vals[i] = v;
        }
        let result = def.fn(vals);
        if (result === FALLBACK || !unwrap) return result;
        for (const stage of stages) {
          if (result === undefined) return FALLBACK;
          const items = Array.isArray(result) ? result : [result];
          const kept: unknown[] = [];
          const saved = fastContext;
          for (const item of items) {
            fastContext = item;
            const keep = stage(s);
            fastContext = saved;
            if (keep === true) kept.push(item);
            else if (keep !== false && keep !== undefined) return FALLBACK; // numbers (indexes), truthy values...
          }
          result = kept;
        }
        // A sequence: none is undefined, one is that item, more stay a sequence (marked as jsonata marks it).
        const list = result as unknown[] & { sequence?: boolean };
        if (list.length === 0) return undefined;
        if (list.length === 1) return list[0];
        list.sequence = true;
        return list;
      };
    }
    default:
      return null;
  }
}

// ------------------------------------------------------------------------------------------ compile

export interface CompiledJsonata {
  readonly source: string;
  readonly field: string;
  /** The value, or a Promise when jsonata itself had to run. Throws/rejects with QueryEvaluationError. */
  run(s: JsonataScope): unknown;
  evaluate(s: JsonataScope): Promise<unknown>;
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

/** The cause AWS gives for an expression that threw: jsonata's code and message after a sentence. */
export function thrownCause(source: string, field: string, e: unknown): string {
  const err = e as { message?: unknown; code?: unknown };
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const head = `The JSONata expression '${source}' specified for the field '${field}' threw an error during evaluation`;
  return typeof err?.code === 'string' && err.code ? `${head}. ${err.code}: ${message}` : `${head}: ${message}`;
}

/** JSON has no non-finite numbers: AWS writes them as the strings JavaScript names them by. */
function finiteOrName(v: unknown, depth = 0): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v === null || typeof v !== 'object' || depth > 200) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = finiteOrName(v[i], depth + 1);
      if (x !== v[i]) (out ??= v.slice())[i] = x;
    }
    return out ?? v;
  }
  let out: Record<string, unknown> | undefined;
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const x = finiteOrName(o[k], depth + 1);
    if (x !== o[k]) (out ??= { ...o })[k] = x;
  }
  return out ?? v;
}

/** Registers the Step Functions additions ($partition, $range, $hash, $random, $uuid, $parse) on a jsonata expression. */
export function withStepFunctionsFunctions(expr: jsonata.Expression): jsonata.Expression {
  for (const [name, fn, sig] of SFN_FUNCTIONS) expr.registerFunction(name, fn, sig);
  // $now/$millis as jsonata defines them (one fixed time per evaluation), but from timeSource.
  type Env = { environment: { lookup(name: string): any } };
  const evaluationTime = (self: Env): number => self.environment.lookup(TIME_BINDING) ?? timeSource();
  expr.registerFunction(
    'now',
    function (this: Env, picture?: string, timezone?: string) {
      return this.environment.lookup('fromMillis').implementation.call(this, evaluationTime(this), picture, timezone);
    },
    '<s?s?:s>',
  );
  expr.registerFunction('millis', function (this: Env) {
    return evaluationTime(this);
  }, '<:n>');
  return expr;
}

const compiledCache = new Map<string, { expr: jsonata.Expression; fast: Fast | null }>();

function parseOnce(source: string, field: string): { expr: jsonata.Expression; fast: Fast | null } {
  const hit = compiledCache.get(source);
  if (hit) return hit;
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
  withStepFunctionsFunctions(expr);
  const entry = { expr, fast: compileFast(expr.ast()) };
  if (compiledCache.size > 5000) compiledCache.clear();
  compiledCache.set(source, entry);
  return entry;
}

/** Compiles one `{% %}` string (with the braces). Throws Error with a message on a syntax error or on `$eval`. */
export function compileJsonata(text: string, field: string): CompiledJsonata {
  const source = text.slice(2, -2).trim();
  if (source === '') throw new Error(`empty JSONata expression in ${field}`);
  const { expr, fast } = parseOnce(source, field);

  const check = (result: unknown, fromJsonata: boolean): unknown => {
    if (result === undefined) {
      throw new QueryEvaluationError(`The JSONata expression '${source}' specified for the field '${field}' returned nothing (undefined).`, field);
    }
    if (typeof result === 'function' || (typeof result === 'object' && result !== null && ((result as Record<string, unknown>)._jsonata_lambda || (result as Record<string, unknown>)._jsonata_function))) {
      throw new QueryEvaluationError(`The JSONata expression '${source}' specified for the field '${field}' returned an unsupported result type.`, field);
    }
    return fromJsonata ? finiteOrName(result) : result;
  };
  const slow = async (s: JsonataScope): Promise<unknown> => {
    let result: unknown;
    try {
      result = await expr.evaluate(undefined, { ...s.bindings(), [TIME_BINDING]: timeSource() });
    } catch (e) {
      throw new QueryEvaluationError(thrownCause(source, field, e), field);
    }
    return check(result, true);
  };
  const run = (s: JsonataScope): unknown => {
    if (fast) {
      fastNow = undefined;
      fastContext = undefined;
      const v = fast(s);
      if (v !== FALLBACK) return check(v, false);
    }
    return slow(s);
  };
  return {
    source,
    field,
    run,
    evaluate: (s) => {
      try {
        return Promise.resolve(run(s));
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}

/** A JSON value whose strings may be `{% %}` expressions (Arguments, Output, Assign values...). */
export interface JsonataTemplate {
  /** True when the value holds no expression: `value` is then the result. */
  readonly constant: boolean;
  readonly value: unknown;
  /** The value, or a Promise when some expression needed jsonata itself. */
  run(s: JsonataScope): unknown;
  evaluate(s: JsonataScope): Promise<unknown>;
}

function asPromise(run: (s: JsonataScope) => unknown): (s: JsonataScope) => Promise<unknown> {
  return (s) => {
    try {
      return Promise.resolve(run(s));
    } catch (e) {
      return Promise.reject(e);
    }
  };
}

/** `field` is the template's name in the state ('Output', 'Arguments', 'Assign/x', 'Catch[0]/Output'...). */
export function compileJsonataTemplate(value: unknown, field: string): JsonataTemplate {
  if (isJsonataString(value)) {
    const c = compileJsonata(value, field);
    return { constant: false, value: undefined, run: c.run, evaluate: c.evaluate };
  }
  if (Array.isArray(value)) {
    const items = value.map((v, i) => compileJsonataTemplate(v, `${field}[${i}]`));
    if (items.every((t) => t.constant)) return constantTemplate(value);
    const n = items.length;
    const run = (s: JsonataScope): unknown => {
      const out = new Array(n);
      for (let i = 0; i < n; i++) {
        const t = items[i];
        const v = t.constant ? t.value : t.run(s);
        if (v instanceof Promise) return finishArray(out, i, v, items, s);
        out[i] = v;
      }
      return out;
    };
    return { constant: false, value: undefined, run, evaluate: asPromise(run) };
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    const items = keys.map((k) => compileJsonataTemplate(value[k], `${field}/${k}`));
    if (items.every((t) => t.constant)) return constantTemplate(value);
    const n = keys.length;
    const run = (s: JsonataScope): unknown => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const t = items[i];
        const v = t.constant ? t.value : t.run(s);
        if (v instanceof Promise) return finishObject(out, i, v, keys, items, s);
        out[keys[i]] = v;
      }
      return out;
    };
    return { constant: false, value: undefined, run, evaluate: asPromise(run) };
  }
  return constantTemplate(value);
}

async function finishArray(out: unknown[], from: number, pending: Promise<unknown>, items: JsonataTemplate[], s: JsonataScope): Promise<unknown> {
  out[from] = await pending;
  for (let i = from + 1; i < items.length; i++) {
    const t = items[i];
    out[i] = t.constant ? t.value : await t.run(s);
  }
  return out;
}

async function finishObject(
  out: Record<string, unknown>,
  from: number,
  pending: Promise<unknown>,
  keys: string[],
  items: JsonataTemplate[],
  s: JsonataScope,
): Promise<unknown> {
  out[keys[from]] = await pending;
  for (let i = from + 1; i < items.length; i++) {
    const t = items[i];
    out[keys[i]] = t.constant ? t.value : await t.run(s);
  }
  return out;
}

function constantTemplate(value: unknown): JsonataTemplate {
  deepFreeze(value);
  const p = Promise.resolve(value);
  return { constant: true, value, run: () => value, evaluate: () => p };
}

/** Runs a template (constant or not) and awaits only when jsonata itself ran. */
export function runTemplate(t: JsonataTemplate, s: JsonataScope): unknown {
  return t.constant ? t.value : t.run(s);
}
