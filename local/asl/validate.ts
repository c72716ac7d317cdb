/**
 * Definition validation: asl-validator (JSON schema, transitions, paths) plus the checks it lacks:
 * query-language field mixing, States.ALL placement, variable names, unsupported Map features.
 * Every problem is collected; compileStateMachine throws them together.
 */
import type { DefinitionProblem } from './errors';
import { compileJsonata, isJsonataString } from './jsonata';
import type { Def } from './states/base';

// asl-validator ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (
  definition: unknown,
  opts?: { checkPaths?: boolean; checkArn?: boolean },
) => {
  isValid: boolean;
  errors: Array<{ 'Error code'?: string; Message?: string; message?: string; instancePath?: string; schemaError?: { instancePath?: string } }>;
};

/**
 * asl-validator builds a new Ajv (and recompiles every schema, ~150 ms) on each call. While it runs
 * (synchronously) we hand it one cached Ajv instead, which makes validation ~1 ms after the first.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ajvModule = require('ajv') as { default: new (opts: unknown) => unknown };
let cachedAjv: object | undefined;
let reusableAjv: object | undefined;
function withCachedAjv<T>(fn: () => T): T {
  const Original = ajvModule.default;
  const Caching = function (opts: unknown) {
    if (reusableAjv) return reusableAjv;
    cachedAjv = new Original(opts) as object;
    return cachedAjv;
  } as unknown as new (opts: unknown) => unknown;
  ajvModule.default = Caching;
  try {
    const out = fn();
    if (!reusableAjv && cachedAjv) {
      // Formats and keywords are registered: later calls get the same instance, with re-registration ignored.
      const target = cachedAjv;
      reusableAjv = new Proxy(target, {
        get(t, prop, receiver) {
          if (prop === 'addKeyword' || prop === 'addFormat' || prop === 'addVocabulary') return () => receiver;
          const v = Reflect.get(t, prop, t);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
    }
    return out;
  } finally {
    ajvModule.default = Original;
  }
}

const JSONPATH_ONLY = [
  'InputPath',
  'Parameters',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'ItemsPath',
  'SecondsPath',
  'TimestampPath',
  'ErrorPath',
  'CausePath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
  'MaxConcurrencyPath',
  'ToleratedFailureCountPath',
  'ToleratedFailurePercentagePath',
];
const JSONATA_ONLY = ['Arguments', 'Output', 'Items'];
const UNSUPPORTED_MAP = ['ItemReader', 'ItemBatcher', 'ResultWriter'];
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkErrorEquals(list: unknown, path: string, kind: 'Retry' | 'Catch', problems: DefinitionProblem[]): void {
  if (!Array.isArray(list)) return;
  list.forEach((entry: Def, i) => {
    const ee = entry?.ErrorEquals;
    if (!Array.isArray(ee) || ee.length === 0) {
      problems.push({ path: `${path}/${kind}/${i}`, message: 'ErrorEquals must be a non-empty array' });
      return;
    }
    if (ee.includes('States.ALL')) {
      if (ee.length > 1) problems.push({ path: `${path}/${kind}/${i}`, message: 'States.ALL must appear alone in ErrorEquals' });
      if (i !== list.length - 1) problems.push({ path: `${path}/${kind}/${i}`, message: `States.ALL must appear in the last ${kind === 'Retry' ? 'Retrier' : 'Catcher'}` });
    }
    if (kind === 'Retry') {
      if (entry.MaxAttempts !== undefined && (!Number.isInteger(entry.MaxAttempts) || (entry.MaxAttempts as number) < 0)) {
        problems.push({ path: `${path}/Retry/${i}`, message: 'MaxAttempts must be a non-negative integer' });
      }
      if (entry.BackoffRate !== undefined && (typeof entry.BackoffRate !== 'number' || entry.BackoffRate < 1)) {
        problems.push({ path: `${path}/Retry/${i}`, message: 'BackoffRate must be a number >= 1.0' });
      }
      if (entry.IntervalSeconds !== undefined && (!Number.isInteger(entry.IntervalSeconds) || (entry.IntervalSeconds as number) < 1)) {
        problems.push({ path: `${path}/Retry/${i}`, message: 'IntervalSeconds must be a positive integer' });
      }
    }
  });
}

function checkAssign(assign: unknown, path: string, jsonata: boolean, problems: DefinitionProblem[]): void {
  if (assign === undefined) return;
  if (assign === null || typeof assign !== 'object' || Array.isArray(assign)) {
    problems.push({ path, message: 'Assign must be a JSON object' });
    return;
  }
  for (const key of Object.keys(assign)) {
    const name = !jsonata && key.endsWith('.$') ? key.slice(0, -2) : key;
    if (!VAR_NAME.test(name)) problems.push({ path, message: `invalid variable name '${name}'` });
    if (name === 'states') problems.push({ path, message: "'states' is a reserved variable name" });
  }
}

/** Compiles every `{% %}` string of a JSONata state (not descending into nested state machines). */
function checkJsonataStrings(v: unknown, path: string, field: string, problems: DefinitionProblem[]): void {
  if (isJsonataString(v)) {
    try {
      compileJsonata(v, field);
    } catch (e) {
      problems.push({ path, message: (e as Error).message });
    }
  } else if (Array.isArray(v)) v.forEach((x, i) => checkJsonataStrings(x, `${path}/${i}`, `${field}[${i}]`, problems));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'ItemProcessor' || k === 'Iterator' || k === 'Branches') continue;
      checkJsonataStrings(x, `${path}/${k}`, field ? `${field}.${k}` : k, problems);
    }
  }
}

function checkTargets(container: Def, path: string, problems: DefinitionProblem[]): void {
  const states = container?.States as Record<string, Def> | undefined;
  if (!states || typeof states !== 'object') return;
  const has = (n: unknown) => typeof n === 'string' && Object.prototype.hasOwnProperty.call(states, n);
  if (!has(container.StartAt)) problems.push({ path: `${path}/StartAt`, message: `StartAt '${String(container.StartAt)}' is not a state` });
  for (const [name, s] of Object.entries(states)) {
    if (!s || typeof s !== 'object') continue;
    const sp = `${path}/States/${name}`;
    if (s.Next !== undefined && !has(s.Next)) problems.push({ path: `${sp}/Next`, message: `Next '${String(s.Next)}' is not a state` });
    if (s.Default !== undefined && !has(s.Default)) problems.push({ path: `${sp}/Default`, message: `Default '${String(s.Default)}' is not a state` });
    for (const [i, r] of ((Array.isArray(s.Choices) ? s.Choices : []) as Def[]).entries()) {
      if (r && !has(r.Next)) problems.push({ path: `${sp}/Choices/${i}/Next`, message: `Next '${String(r.Next)}' is not a state` });
    }
    for (const [i, c] of ((Array.isArray(s.Catch) ? s.Catch : []) as Def[]).entries()) {
      if (c && !has(c.Next)) problems.push({ path: `${sp}/Catch/${i}/Next`, message: `Next '${String(c.Next)}' is not a state` });
    }
    if (s.Type !== 'Choice' && s.Type !== 'Succeed' && s.Type !== 'Fail' && s.Next === undefined && s.End !== true) {
      problems.push({ path: sp, message: 'a state needs Next or End' });
    }
  }
}

function walkStates(container: Def, path: string, topQl: string, problems: DefinitionProblem[]): void {
  const states = container?.States;
  if (!states || typeof states !== 'object') return;
  checkTargets(container, path, problems);
  for (const [name, s] of Object.entries(states as Record<string, Def>)) {
    if (!s || typeof s !== 'object') continue;
    const sp = `${path}/States/${name}`;
    const ql = (s.QueryLanguage as string | undefined) ?? topQl;
    if (topQl === 'JSONata' && s.QueryLanguage === 'JSONPath') {
      problems.push({ path: sp, message: 'a state cannot use JSONPath when the state machine QueryLanguage is JSONata' });
    }
    const jsonata = ql === 'JSONata';
    const forbidden = jsonata ? JSONPATH_ONLY : JSONATA_ONLY;
    for (const f of forbidden) {
      if (f in s) problems.push({ path: sp, message: `the field '${f}' is not supported in ${ql} states` });
    }
    if (Array.isArray(s.Choices)) {
      (s.Choices as Def[]).forEach((r, i) => {
        if (jsonata && r && 'Variable' in r) problems.push({ path: `${sp}/Choices/${i}`, message: "the field 'Variable' is not supported in JSONata states; use Condition" });
        if (jsonata && r && !('Condition' in r)) problems.push({ path: `${sp}/Choices/${i}`, message: 'a JSONata Choice rule needs a Condition' });
        if (!jsonata && r && 'Condition' in r) problems.push({ path: `${sp}/Choices/${i}`, message: "the field 'Condition' is only supported in JSONata states" });
        checkAssign(r?.Assign, `${sp}/Choices/${i}/Assign`, jsonata, problems);
      });
    }
    if (jsonata) checkJsonataStrings(s, sp, '', problems);
    checkErrorEquals(s.Retry, sp, 'Retry', problems);
    checkErrorEquals(s.Catch, sp, 'Catch', problems);
    checkAssign(s.Assign, `${sp}/Assign`, jsonata, problems);
    if (Array.isArray(s.Catch)) (s.Catch as Def[]).forEach((c, i) => checkAssign(c?.Assign, `${sp}/Catch/${i}/Assign`, jsonata, problems));
    if (s.Type === 'Map') {
      for (const f of UNSUPPORTED_MAP) {
        if (f in s) problems.push({ path: sp, message: `the Map field '${f}' (distributed Map over S3) is not supported by the local engine` });
      }
      const proc = (s.ItemProcessor ?? s.Iterator) as Def | undefined;
      if (proc) walkStates(proc, `${sp}/${s.ItemProcessor ? 'ItemProcessor' : 'Iterator'}`, topQl, problems);
    }
    if (s.Type === 'Parallel' && Array.isArray(s.Branches)) {
      (s.Branches as Def[]).forEach((b, i) => walkStates(b, `${sp}/Branches/${i}`, topQl, problems));
    }
    if (s.Type === 'Task' && typeof s.Resource === 'string' && /^arn:[^:]+:states:[^:]+:[^:]+:activity:/.test(s.Resource)) {
      problems.push({ path: sp, message: 'Activity tasks are not supported by the local engine' });
    }
  }
}

const STATE_TYPES = new Set(['Pass', 'Task', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map']);

function valueAt(def: unknown, pointer: string): unknown {
  let cur: unknown = def;
  for (const part of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/**
 * asl-validator 4 is stricter than AWS in two places: JSONata `Output`/`Arguments` must be a `{% %}`
 * string or an object there, while AWS accepts any JSON value; and a oneOf mismatch elsewhere in a state
 * is also reported as "Type is invalid" even when the Type is fine.
 */
function isFalsePositive(def: unknown, at: string, message: string): boolean {
  // A JSONPath payload template (Parameters, ResultSelector, ItemSelector, Assign...) may hold null in an array,
  // as anywhere else in JSON: asl-validator's template schema has no null branch inside arrays.
  if (/\/\d+$/.test(at) && message.includes('oneOf') && valueAt(def, at) === null) return true;
  if (/\/(Output|Arguments)$/.test(at) && message.includes('oneOf')) {
    const v = valueAt(def, at);
    return v === null || typeof v !== 'object' || Array.isArray(v);
  }
  // Inside a JSONata Output/Arguments/Assign value any JSON is accepted (nested arrays of expressions...).
  if (/\/(Output|Arguments|Assign)\/./.test(at) && /must be (object|string|array)|oneOf|anyOf/.test(message)) {
    const m = /^(.*)\/(Output|Arguments|Assign)\//.exec(at);
    const state = m ? valueAt(def, m[1]) : undefined;
    const ql = state && typeof state === 'object' ? (state as Record<string, unknown>).QueryLanguage ?? (def as Record<string, unknown>).QueryLanguage : undefined;
    return ql === 'JSONata';
  }
  if (/\/Type$/.test(at) && message.includes('must be equal to one of the allowed values')) {
    return STATE_TYPES.has(valueAt(def, at) as string);
  }
  // A state is a oneOf of its JSONPath and JSONata shapes: an error in one reports the other's QueryLanguage
  // enum too. A state without its own QueryLanguage cannot be wrong there (our walk checks the languages).
  if (/\/QueryLanguage$/.test(at) && message.includes('must be equal to one of the allowed values')) {
    return valueAt(def, at) === undefined;
  }
  // A literal ToleratedFailurePercentage is a number from 0 to 100, not only an integer: recorded on AWS with
  // a fractional value (LocalStack tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json,
  // test_map_state_tolerated_failure_values[percentage_literal]); DescribeMapRun reports it as a float.
  if (/\/ToleratedFailurePercentage$/.test(at) && /must be integer|oneOf/.test(message)) {
    const v = valueAt(def, at);
    return typeof v === 'number' && v >= 0 && v <= 100;
  }
  return false;
}

export function validateDefinition(def: Def): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  if (!def || typeof def !== 'object' || Array.isArray(def)) return [{ path: '/', message: 'the definition must be a JSON object' }];
  try {
    // asl-validator mutates its input (it fills in QueryLanguage): give it a copy.
    const copy = JSON.parse(JSON.stringify(def)) as unknown;
    const r = withCachedAjv(() => aslValidator(copy, { checkPaths: true, checkArn: true }));
    for (const e of r.errors) {
      const message = e.Message ?? e.message ?? JSON.stringify(e);
      const at = e.schemaError?.instancePath || e.instancePath || '';
      if (isFalsePositive(def, at, message)) continue;
      problems.push({ path: e.schemaError?.instancePath || e.instancePath || '/', message: message.replace(/ \[object Object\]$/, '') });
    }
  } catch (e) {
    problems.push({ path: '/', message: `validation failed: ${(e as Error).message}` });
  }
  const topQl = (def.QueryLanguage as string | undefined) ?? 'JSONPath';
  walkStates(def, '', topQl, problems);
  return problems;
}

/** Drops repeated messages (asl-validator and our checks can report the same thing). */
export function dedupeProblems(problems: DefinitionProblem[]): DefinitionProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = p.message;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
