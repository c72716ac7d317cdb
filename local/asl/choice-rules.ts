/**
 * Choice rules (JSONPath) compiled into predicates.
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
 */
import { RuntimeError } from './errors';
import { toJson } from './json';
import { compileRef, type EvalEnv } from './refs';

export type Predicate = (env: EvalEnv) => boolean;

// RFC3339 with an uppercase T and Z, as the ASL spec requires ("an uppercase T character MUST be used to
// separate date and time, and an uppercase Z character MUST be present in the absence of a numeric time
// zone offset"). https://states-language.net/spec.html#timestamps
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function parseTimestamp(v: unknown): number | undefined {
  if (typeof v !== 'string' || !RFC3339.test(v)) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  // Date.parse rolls an impossible date over (2024-02-30 → March 1) where AWS's parser (java.time's ISO offset
  // date-time) refuses it: the date and time fields must be a real calendar date and a 24-hour time.
  const y = Number(v.slice(0, 4));
  const mo = Number(v.slice(5, 7));
  const d = Number(v.slice(8, 10));
  const day = new Date(Date.UTC(2000, mo - 1, d));
  day.setUTCFullYear(y);
  if (mo < 1 || mo > 12 || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return undefined;
  if (Number(v.slice(11, 13)) > 23 || Number(v.slice(14, 16)) > 59 || Number(v.slice(17, 19)) > 59) return undefined;
  return t;
}

/** `*` matches any run of characters; `\*` a literal star; `\\` a literal backslash. */
export function compileStringMatches(pattern: string): RegExp {
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      src += pattern[i + 1].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    } else if (c === '*') src += '[\\s\\S]*';
    else src += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

type Kind = 'String' | 'Numeric' | 'Boolean' | 'Timestamp';
type Cmp = 'Equals' | 'LessThan' | 'GreaterThan' | 'LessThanEquals' | 'GreaterThanEquals';

const COMPARATORS: string[] = [];
for (const k of ['String', 'Numeric', 'Boolean', 'Timestamp'])
  for (const c of ['Equals', 'LessThan', 'GreaterThan', 'LessThanEquals', 'GreaterThanEquals']) {
    if (k === 'Boolean' && c !== 'Equals') continue;
    COMPARATORS.push(k + c, k + c + 'Path');
  }
export const CHOICE_OPERATORS = [...COMPARATORS, 'StringMatches', 'IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'];

function coerce(kind: Kind, v: unknown): number | string | boolean | undefined {
  switch (kind) {
    case 'String':
      return typeof v === 'string' ? v : undefined;
    case 'Numeric':
      return typeof v === 'number' ? v : undefined;
    case 'Boolean':
      return typeof v === 'boolean' ? v : undefined;
    case 'Timestamp':
      return parseTimestamp(v);
  }
}

function compare(cmp: Cmp, a: number | string | boolean, b: number | string | boolean): boolean {
  switch (cmp) {
    case 'Equals':
      return a === b;
    case 'LessThan':
      return a < b;
    case 'GreaterThan':
      return a > b;
    case 'LessThanEquals':
      return a <= b;
    case 'GreaterThanEquals':
      return a >= b;
  }
}

function invalidPath(path: string): RuntimeError {
  return new RuntimeError(`Invalid path '${path}': The choice state's condition path references an invalid value.`);
}

/** Compiles one rule (top-level or nested). Throws Error on a malformed rule. */
export function compileRule(rule: Record<string, unknown>): Predicate {
  if (Array.isArray(rule.And)) {
    const subs = (rule.And as Record<string, unknown>[]).map(compileRule);
    return (env) => subs.every((p) => p(env));
  }
  if (Array.isArray(rule.Or)) {
    const subs = (rule.Or as Record<string, unknown>[]).map(compileRule);
    return (env) => subs.some((p) => p(env));
  }
  if (rule.Not && typeof rule.Not === 'object') {
    const sub = compileRule(rule.Not as Record<string, unknown>);
    return (env) => !sub(env);
  }
  if (typeof rule.Variable !== 'string') throw new Error('a Choice rule needs Variable, And, Or or Not');
  const variable = compileRef(rule.Variable);
  const op = CHOICE_OPERATORS.find((o) => o in rule);
  if (!op) throw new Error(`the Choice rule on ${rule.Variable} has no comparison operator`);
  const operand = rule[op];
  const readVar = (env: EvalEnv) => variable.read(env);

  if (op === 'IsPresent') {
    const want = operand === true;
    return (env) => readVar(env).found === want;
  }
  if (op.startsWith('Is')) {
    const want = operand === true;
    const test: (v: unknown) => boolean =
      op === 'IsNull'
        ? (v) => v === null
        : op === 'IsNumeric'
          ? (v) => typeof v === 'number'
          : op === 'IsString'
            ? (v) => typeof v === 'string'
            : op === 'IsBoolean'
              ? (v) => typeof v === 'boolean'
              : (v) => parseTimestamp(v) !== undefined;
    return (env) => {
      const r = readVar(env);
      if (!r.found) return false === want ? true : false;
      return test(r.value) === want;
    };
  }
  if (op === 'StringMatches') {
    if (typeof operand !== 'string') throw new Error('StringMatches needs a string');
    const re = compileStringMatches(operand);
    return (env) => {
      const r = readVar(env);
      if (!r.found) throw invalidPath(variable.source);
      return typeof r.value === 'string' && re.test(r.value);
    };
  }
  const isPath = op.endsWith('Path');
  const base = isPath ? op.slice(0, -4) : op;
  const kind = (['String', 'Numeric', 'Boolean', 'Timestamp'] as Kind[]).find((k) => base.startsWith(k))!;
  const cmp = base.slice(kind.length) as Cmp;
  if (isPath) {
    if (typeof operand !== 'string') throw new Error(`${op} needs a path`);
    const other = compileRef(operand);
    return (env) => {
      const r = readVar(env);
      if (!r.found) throw invalidPath(variable.source);
      const o = other.read(env);
      if (!o.found) throw invalidPath(other.source);
      const a = coerce(kind, r.value);
      const b = coerce(kind, o.value);
      if (a === undefined || b === undefined) return false;
      return compare(cmp, a, b);
    };
  }
  const b = coerce(kind, operand);
  if (b === undefined) throw new Error(`${op} needs a ${kind.toLowerCase()} operand, got ${toJson(operand)}`);
  return (env) => {
    const r = readVar(env);
    if (!r.found) throw invalidPath(variable.source);
    const a = coerce(kind, r.value);
    if (a === undefined) return false;
    return compare(cmp, a, b);
  };
}
