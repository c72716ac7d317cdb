/**
 * Metric data queries (GetMetricData's MetricDataQueries, and the `Metrics` of a metric-math alarm): each query
 * is a metric with a statistic (`MetricStat`) or a metric math `Expression` over the other queries' ids.
 *
 * The math supported is a subset, compiled once per query:
 *
 *   numbers, ids (m1, e1), + - * / ^ (usual precedence), unary minus, parentheses, [a, b] arrays
 *   SUM, AVG, MIN, MAX     of an array: a time series, per timestamp (AVG and SUM count a missing value as 0,
 *                          MIN and MAX use the series that have one); of one time series: a single value
 *   FILL(x, value|REPEAT)  gives every period of the query range a value (a number, or the last one before it)
 *   METRICS() METRICS('p') every MetricStat query (whose id starts with 'p')
 *   ABS(x)
 *
 * As the CloudWatch user guide says of arithmetic, "Missing values in a time series are treated as 0" (the result
 * has a value wherever either side has one) and "If the value of a data point causes a function to attempt to
 * divide by zero, the data point is dropped". Arrays combine element by element with a number or a series.
 * Anything else (IF, RATE, DIFF, SEARCH, Metrics Insights, anomaly bands...) throws a {@link MetricMathError}
 * naming it.
 */
import { MetricId, MetricStore, validateStatistic } from './metrics';

export interface MetricStatQuery {
  metric: MetricId;
  /** Seconds. */
  period: number;
  stat: string;
  unit?: string;
}

export interface MetricDataQuery {
  id: string;
  metricStat?: MetricStatQuery;
  expression?: string;
  label?: string;
  /** Default true. */
  returnData?: boolean;
  /** Seconds (expressions; MetricStat carries its own). */
  period?: number;
}

/** timestamp (epoch ms, period start) → value, in ascending timestamp order. */
export type TimeSeries = Map<number, number>;

export interface QueryResult {
  id: string;
  label: string;
  series: TimeSeries;
  returnData: boolean;
}

export class MetricMathError extends Error {
  override name = 'MetricMathError';
}

type Value = { kind: 'scalar'; value: number } | { kind: 'series'; series: TimeSeries } | { kind: 'array'; items: TimeSeries[] };

interface Context {
  /** Results of the queries evaluated so far, by id. */
  resolve(id: string): TimeSeries;
  /** MetricStat query ids, in order. */
  metricIds: string[];
  /** Period starts of the query range (FILL). */
  grid: number[];
}

type Node = (ctx: Context) => Value;

const ID = /^[a-z][A-Za-z0-9_]*$/;

/** Validates ids and compiles the expressions; throws {@link MetricMathError} listing the first problem. */
export function compileQueries(queries: MetricDataQuery[]): { query: MetricDataQuery; node?: Node; refs: string[] }[] {
  const ids = new Set<string>();
  for (const q of queries) {
    if (!ID.test(q.id)) throw new MetricMathError(`The value ${q.id} for parameter MetricDataQueries.member.Id is invalid: it must start with a lowercase letter and hold only letters, digits and underscores.`);
    if (ids.has(q.id)) throw new MetricMathError(`The value ${q.id} for parameter MetricDataQueries.member.Id is not unique.`);
    ids.add(q.id);
    if (!!q.metricStat === !!q.expression) throw new MetricMathError(`The query ${q.id} must have exactly one of MetricStat and Expression.`);
    if (q.metricStat) validateStatistic(q.metricStat.stat);
  }
  return queries.map((query) => {
    if (!query.expression) return { query, refs: [] };
    const refs: string[] = [];
    const node = parse(query.expression, (id) => {
      if (!ids.has(id)) throw new MetricMathError(`Error in expression ${query.id}: Unrecognized token ${id}`);
      if (id === query.id) throw new MetricMathError(`Error in expression ${query.id}: it refers to itself`);
      refs.push(id);
    });
    return { query, node, refs };
  });
}

/**
 * Runs the queries over [start, end) (epoch ms) with their periods; returns every query's series (ReturnData
 * false included, flagged), in request order.
 */
export function runQueries(store: MetricStore, queries: MetricDataQuery[], start: number, end: number): QueryResult[] {
  const compiled = compileQueries(queries);
  const byId = new Map(compiled.map((c) => [c.query.id, c]));
  const results = new Map<string, TimeSeries>();
  const visiting = new Set<string>();
  const metricIds = compiled.filter((c) => c.query.metricStat).map((c) => c.query.id);

  const periodOf = (id: string): number => {
    const c = byId.get(id)!;
    if (c.query.metricStat) return c.query.metricStat.period;
    if (c.query.period) return c.query.period;
    const periods = c.refs.map(periodOf);
    return periods.length ? Math.max(...periods) : 60;
  };
  const evaluate = (id: string): TimeSeries => {
    const done = results.get(id);
    if (done) return done;
    if (visiting.has(id)) throw new MetricMathError(`Circular reference in expression ${id}`);
    visiting.add(id);
    const c = byId.get(id)!;
    let series: TimeSeries;
    if (c.query.metricStat) {
      const { metric, period, stat } = c.query.metricStat;
      series = new Map(store.datapoints(metric, start, end, period * 1000, stat).map((d) => [d.timestamp, d.value]));
    } else {
      const periodMs = periodOf(id) * 1000;
      const grid: number[] = [];
      for (let t = Math.ceil(start / periodMs) * periodMs; t < end; t += periodMs) grid.push(t);
      const value = c.node!({ resolve: evaluate, metricIds, grid });
      series = toSeries(value, grid, id);
    }
    visiting.delete(id);
    results.set(id, series);
    return series;
  };
  return compiled.map((c) => ({
    id: c.query.id,
    label: c.query.label ?? (c.query.metricStat ? c.query.metricStat.metric.name : c.query.id),
    series: evaluate(c.query.id),
    returnData: c.query.returnData !== false,
  }));
}

function toSeries(value: Value, grid: number[], id: string): TimeSeries {
  if (value.kind === 'series') return value.series;
  if (value.kind === 'scalar') return new Map(Number.isFinite(value.value) ? grid.map((t) => [t, value.value]) : []);
  throw new MetricMathError(`Error in expression ${id}: an expression must return one time series, not an array`);
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

type Token = { type: 'num'; value: number } | { type: 'name'; value: string } | { type: 'str'; value: string } | { type: 'op'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i))!;
      tokens.push({ type: 'num', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      tokens.push({ type: 'name', value: m[0] });
      i += m[0].length;
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new MetricMathError(`Unterminated string in expression: ${text}`);
      tokens.push({ type: 'str', value: text.slice(i + 1, end) });
      i = end + 1;
    } else if ('+-*/^()[],'.includes(c)) {
      tokens.push({ type: 'op', value: c });
      i++;
    } else {
      throw new MetricMathError(`Unexpected character ${JSON.stringify(c)} in expression: ${text}`);
    }
  }
  return tokens;
}

function parse(text: string, onId: (id: string) => void): Node {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isOp = (v: string) => peek()?.type === 'op' && peek()!.value === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new MetricMathError(`Expected ${v} in expression: ${text}`);
    pos++;
  };

  const expr = (): Node => {
    let left = term();
    while (isOp('+') || isOp('-')) {
      const op = String(tokens[pos++].value);
      const right = term();
      const l = left;
      left = (ctx) => arithmetic(op, l(ctx), right(ctx));
    }
    return left;
  };
  const term = (): Node => {
    let left = unary();
    while (isOp('*') || isOp('/')) {
      const op = String(tokens[pos++].value);
      const right = unary();
      const l = left;
      left = (ctx) => arithmetic(op, l(ctx), right(ctx));
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp('-')) {
      pos++;
      const operand = unary();
      return (ctx) => arithmetic('*', { kind: 'scalar', value: -1 }, operand(ctx));
    }
    return power();
  };
  const power = (): Node => {
    const base = primary();
    if (!isOp('^')) return base;
    pos++;
    const exponent = unary();
    return (ctx) => arithmetic('^', base(ctx), exponent(ctx));
  };
  const primary = (): Node => {
    const t = peek();
    if (!t) throw new MetricMathError(`Unexpected end of expression: ${text}`);
    pos++;
    if (t.type === 'num') return () => ({ kind: 'scalar', value: t.value });
    if (t.type === 'op' && t.value === '(') {
      const inner = expr();
      expect(')');
      return inner;
    }
    if (t.type === 'op' && t.value === '[') {
      const items: Node[] = [];
      if (!isOp(']')) {
        items.push(expr());
        while (isOp(',')) {
          pos++;
          items.push(expr());
        }
      }
      expect(']');
      return (ctx) => ({ kind: 'array', items: items.flatMap((n) => asArray(n(ctx))) });
    }
    if (t.type === 'name') {
      if (isOp('(')) {
        pos++;
        const args: (Node | string)[] = [];
        if (!isOp(')')) {
          args.push(argument());
          while (isOp(',')) {
            pos++;
            args.push(argument());
          }
        }
        expect(')');
        return call(t.value, args, text);
      }
      if (!ID.test(t.value)) throw new MetricMathError(`Unrecognized token ${t.value} in expression: ${text}`);
      onId(t.value);
      const id = t.value;
      return (ctx) => ({ kind: 'series', series: ctx.resolve(id) });
    }
    throw new MetricMathError(`Unexpected ${t.value} in expression: ${text}`);
  };
  /** A function argument: an expression, or a bare word/string (FILL's REPEAT, METRICS' prefix). */
  const argument = (): Node | string => {
    const t = peek();
    if (t?.type === 'str') {
      pos++;
      return t.value;
    }
    if (t?.type === 'name' && /^[A-Z]+$/.test(t.value) && !(tokens[pos + 1]?.type === 'op' && tokens[pos + 1].value === '(')) {
      pos++;
      return t.value;
    }
    return expr();
  };

  const node = expr();
  if (pos < tokens.length) throw new MetricMathError(`Unexpected ${String(tokens[pos].value)} in expression: ${text}`);
  return node;
}

function asArray(v: Value): TimeSeries[] {
  if (v.kind === 'array') return v.items;
  if (v.kind === 'series') return [v.series];
  throw new MetricMathError('An array holds time series, not numbers');
}

function call(name: string, args: (Node | string)[], text: string): Node {
  const node = (i: number): Node => {
    const a = args[i];
    if (typeof a !== 'function') throw new MetricMathError(`${name}: argument ${i + 1} must be an expression in: ${text}`);
    return a;
  };
  switch (name) {
    case 'SUM':
    case 'AVG':
    case 'MIN':
    case 'MAX': {
      if (args.length !== 1) throw new MetricMathError(`${name} takes one argument in: ${text}`);
      const reduce = REDUCERS[name];
      const arg = node(0);
      return (ctx) => {
        const v = arg(ctx);
        if (v.kind === 'scalar') return v;
        if (v.kind === 'series') return { kind: 'scalar', value: v.series.size ? reduce([...v.series.values()]) : NaN };
        const out: TimeSeries = new Map();
        const timestamps = [...new Set(v.items.flatMap((s) => [...s.keys()]))].sort((a, b) => a - b);
        for (const t of timestamps) {
          const values = name === 'SUM' || name === 'AVG' ? v.items.map((s) => s.get(t) ?? 0) : v.items.map((s) => s.get(t)).filter((x): x is number => x !== undefined);
          if (values.length) out.set(t, reduce(values));
        }
        return { kind: 'series', series: out };
      };
    }
    case 'ABS': {
      const arg = node(0);
      return (ctx) => map(arg(ctx), Math.abs);
    }
    case 'FILL': {
      if (args.length !== 2) throw new MetricMathError(`FILL takes two arguments in: ${text}`);
      const arg = node(0);
      const how = args[1];
      if (typeof how === 'string' && how !== 'REPEAT') throw new MetricMathError(`FILL: ${how} is not supported by the local CloudWatch (a number or REPEAT) in: ${text}`);
      return (ctx) => {
        const fill = (s: TimeSeries): TimeSeries => {
          const out: TimeSeries = new Map();
          let last: number | undefined;
          for (const t of ctx.grid) {
            const v = s.get(t);
            if (v !== undefined) last = v;
            const value = v ?? (how === 'REPEAT' ? last : scalarOf((how as Node)(ctx)));
            if (value !== undefined && Number.isFinite(value)) out.set(t, value);
          }
          return out;
        };
        const v = arg(ctx);
        if (v.kind === 'array') return { kind: 'array', items: v.items.map(fill) };
        if (v.kind === 'series') return { kind: 'series', series: fill(v.series) };
        return v;
      };
    }
    case 'METRICS': {
      const prefix = args[0];
      if (prefix !== undefined && typeof prefix !== 'string') throw new MetricMathError(`METRICS takes an optional string in: ${text}`);
      return (ctx) => ({ kind: 'array', items: ctx.metricIds.filter((id) => !prefix || id.startsWith(prefix)).map((id) => ctx.resolve(id)) });
    }
    default:
      throw new MetricMathError(`The function ${name} is not supported by the local CloudWatch (SUM, AVG, MIN, MAX, FILL, METRICS, ABS) in: ${text}`);
  }
}

const REDUCERS: Record<string, (values: number[]) => number> = {
  SUM: (v) => v.reduce((a, b) => a + b, 0),
  AVG: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  MIN: (v) => Math.min(...v),
  MAX: (v) => Math.max(...v),
};

function scalarOf(v: Value): number | undefined {
  return v.kind === 'scalar' ? v.value : undefined;
}

function map(v: Value, fn: (x: number) => number): Value {
  if (v.kind === 'scalar') return { kind: 'scalar', value: fn(v.value) };
  if (v.kind === 'series') return { kind: 'series', series: mapSeries(v.series, fn) };
  return { kind: 'array', items: v.items.map((s) => mapSeries(s, fn)) };
}

function mapSeries(s: TimeSeries, fn: (x: number) => number): TimeSeries {
  const out: TimeSeries = new Map();
  for (const [t, x] of s) {
    const y = fn(x);
    if (Number.isFinite(y)) out.set(t, y);
  }
  return out;
}

const OPS: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '^': (a, b) => a ** b,
};

function arithmetic(op: string, a: Value, b: Value): Value {
  const f = OPS[op];
  if (a.kind === 'scalar' && b.kind === 'scalar') return { kind: 'scalar', value: f(a.value, b.value) };
  if (a.kind === 'scalar') return map(b, (x) => f(a.value, x));
  if (b.kind === 'scalar') return map(a, (x) => f(x, b.value));
  if (a.kind === 'array' && b.kind === 'array') throw new MetricMathError(`The operator ${op} does not take two arrays`);
  if (a.kind === 'array') return { kind: 'array', items: a.items.map((s) => combine(f, s, (b as { series: TimeSeries }).series)) };
  if (b.kind === 'array') return { kind: 'array', items: b.items.map((s) => combine(f, a.series, s)) };
  return { kind: 'series', series: combine(f, a.series, b.series) };
}

/** Two series, timestamp by timestamp: a value missing on one side is 0; a non-finite result (x/0) is dropped. */
function combine(f: (a: number, b: number) => number, a: TimeSeries, b: TimeSeries): TimeSeries {
  const out: TimeSeries = new Map();
  for (const t of [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y)) {
    const r = f(a.get(t) ?? 0, b.get(t) ?? 0);
    if (Number.isFinite(r)) out.set(t, r);
  }
  return out;
}
