/**
 * EventBridge event patterns, compiled once into a predicate over the event envelope
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html).
 *
 *   {"source": ["app"], "detail-type": ["a", "b"]}          exact values; an array is an OR
 *   {"detail": {"order": {"total": [{"numeric": [">", 10, "<=", 100]}]}}}   nested fields
 *   [{"prefix": "ord"}] [{"suffix": ".png"}] [{"equals-ignore-case": "x"}] [{"wildcard": "a*b"}]
 *   [{"anything-but": "x"}] [{"anything-but": ["x", 1]}] [{"anything-but": {"prefix": "x"}}]
 *   [{"exists": true}] [{"exists": false}]   {"$or": [{...}, {...}]}
 *
 * As on AWS, a field matches when its value (or, for an array in the event, any of its elements) matches any
 * entry of the pattern's array; strings match strings and numbers match numbers (5 matches 5.0, never "5");
 * every operator but `exists: false` needs the field to be there. `cidr` is not supported: compiling a
 * pattern that uses it (or anything unknown) throws an {@link EventPatternError} saying so.
 */

export class EventPatternError extends Error {
  override name = 'EventPatternError';
}

/** Tests an event envelope (`source`, `detail-type`, `detail`, ...), as AWS delivers it to targets. */
export type EventPredicate = (event: Record<string, unknown>) => boolean;

type ObjectMatcher = (value: unknown) => boolean;
/** Tests one leaf value of the event (a string, number, boolean or null). */
type LeafTest = (value: unknown) => boolean;
/** One entry of a pattern array: tests the field (present or not) as a whole. */
type FieldTest = (present: boolean, values: unknown[]) => boolean;

/** Compiles a pattern (object or JSON text); throws {@link EventPatternError} for what EventBridge would reject or we do not support. */
export function compileEventPattern(pattern: unknown): EventPredicate {
  const parsed = typeof pattern === 'string' ? parseJson(pattern) : pattern;
  if (!isObject(parsed) || Object.keys(parsed).length === 0) throw new EventPatternError('Event pattern must be a non-empty JSON object');
  return compileObject(parsed, '');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EventPatternError('Event pattern is not valid JSON');
  }
}

function compileObject(pattern: Record<string, unknown>, at: string): ObjectMatcher {
  const tests: ObjectMatcher[] = [];
  for (const [key, sub] of Object.entries(pattern)) {
    const where = at ? `${at}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2 || !sub.every(isObject)) throw new EventPatternError(`${where}: $or takes an array of at least two patterns`);
      const alternatives = sub.map((p) => compileObject(p as Record<string, unknown>, where));
      tests.push((value) => alternatives.some((alt) => alt(value)));
      continue;
    }
    if (Array.isArray(sub)) {
      const entries = sub.map((entry) => compileEntry(entry, where));
      tests.push((value) => {
        const present = isObject(value) && Object.prototype.hasOwnProperty.call(value, key);
        const field = present ? (value as Record<string, unknown>)[key] : undefined;
        const values = present ? (Array.isArray(field) ? field : [field]) : [];
        return entries.some((entry) => entry(present, values));
      });
    } else if (isObject(sub)) {
      const nested = compileObject(sub, where);
      tests.push((value) => {
        const field = isObject(value) ? value[key] : undefined;
        // A nested object in an array: any element may match. A missing object leaves every field missing.
        if (Array.isArray(field)) return field.some((element) => isObject(element) && nested(element));
        return nested(isObject(field) ? field : undefined);
      });
    } else {
      throw new EventPatternError(`${where}: a pattern value must be an array or an object, got ${JSON.stringify(sub)}`);
    }
  }
  return (value) => tests.every((test) => test(value));
}

function compileEntry(entry: unknown, where: string): FieldTest {
  if (!isObject(entry)) {
    const leaf = literal(entry, where);
    return (_present, values) => values.some(leaf);
  }
  const keys = Object.keys(entry);
  if (keys.length !== 1) throw new EventPatternError(`${where}: a matcher object has exactly one operator, got ${JSON.stringify(entry)}`);
  const [op] = keys;
  const arg = entry[op];
  switch (op) {
    case 'exists':
      if (typeof arg !== 'boolean') throw new EventPatternError(`${where}: exists takes true or false`);
      return arg ? (present, values) => present && values.some((v) => !isObject(v)) : (present) => !present;
    case 'anything-but': {
      const excluded = anythingBut(arg, where);
      return (present, values) => present && values.some((v) => isLeaf(v) && !excluded(v));
    }
    default: {
      const leaf = operator(op, arg, where);
      return (_present, values) => values.some(leaf);
    }
  }
}

/** A literal: string, number, boolean or null, compared by type and value. */
function literal(value: unknown, where: string): LeafTest {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return (v) => v === value;
  if (typeof value === 'number') return (v) => typeof v === 'number' && v === value;
  throw new EventPatternError(`${where}: unsupported value ${JSON.stringify(value)}`);
}

function operator(op: string, arg: unknown, where: string): LeafTest {
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const { text, ignoreCase } = stringArgument(arg, op, where);
      const ends = op === 'prefix' ? (s: string) => s.startsWith(text) : (s: string) => s.endsWith(text);
      return (v) => typeof v === 'string' && ends(ignoreCase ? v.toLowerCase() : v);
    }
    case 'equals-ignore-case': {
      if (typeof arg !== 'string') throw new EventPatternError(`${where}: equals-ignore-case takes a string`);
      const lower = arg.toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === lower;
    }
    case 'wildcard': {
      if (typeof arg !== 'string') throw new EventPatternError(`${where}: wildcard takes a string`);
      const re = new RegExp(`^${arg.split('*').map(escapeRegExp).join('.*')}$`, 's');
      return (v) => typeof v === 'string' && re.test(v);
    }
    case 'numeric':
      return numeric(arg, where);
    default:
      throw new EventPatternError(`${where}: the ${op} operator is not supported by the local EventBridge`);
  }
}

/** `prefix`/`suffix` take a string or `{"equals-ignore-case": string}`. */
function stringArgument(arg: unknown, op: string, where: string): { text: string; ignoreCase: boolean } {
  if (typeof arg === 'string') return { text: arg, ignoreCase: false };
  if (isObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string') {
    return { text: (arg['equals-ignore-case'] as string).toLowerCase(), ignoreCase: true };
  }
  throw new EventPatternError(`${where}: ${op} takes a string or {"equals-ignore-case": string}`);
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `numeric: [">", 0, "<=", 5]`: every comparison holds. */
function numeric(arg: unknown, where: string): LeafTest {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) {
    throw new EventPatternError(`${where}: numeric takes one or two [operator, number] pairs`);
  }
  const checks: ((v: number) => boolean)[] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const compare = COMPARISONS[arg[i] as string];
    const bound = arg[i + 1];
    if (!compare || typeof bound !== 'number') throw new EventPatternError(`${where}: numeric: ${JSON.stringify(arg[i])} ${JSON.stringify(bound)} is not an operator and a number`);
    checks.push((v) => compare(v, bound));
  }
  return (v) => typeof v === 'number' && checks.every((check) => check(v));
}

/** What `anything-but` excludes: a value, a list of values, or one prefix/suffix/equals-ignore-case/wildcard matcher. */
function anythingBut(arg: unknown, where: string): LeafTest {
  if (Array.isArray(arg)) {
    const tests = arg.map((v) => literal(v, where));
    return (v) => tests.some((test) => test(v));
  }
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1) throw new EventPatternError(`${where}: anything-but takes one matcher`);
    const [op] = keys;
    if (op === 'equals-ignore-case' && Array.isArray(arg[op])) {
      const lowered = (arg[op] as unknown[]).map((s) => String(s).toLowerCase());
      return (v) => typeof v === 'string' && lowered.includes(v.toLowerCase());
    }
    if (op === 'numeric') throw new EventPatternError(`${where}: anything-but does not take numeric`);
    return operator(op, arg[op], where);
  }
  return literal(arg, where);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLeaf(value: unknown): boolean {
  return !isObject(value) && !Array.isArray(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
