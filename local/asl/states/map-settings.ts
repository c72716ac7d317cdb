/**
 * A Map's numeric settings: MaxConcurrency, ToleratedFailureCount and ToleratedFailurePercentage, each a literal,
 * a JSONPath `...Path` (on the state's input, `$$` or a `$variable`) or a JSONata expression.
 *
 * A `...Path` value that is not a valid number fails the execution with States.Runtime. The causes were recorded
 * on AWS (LocalStack tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json,
 * test_max_concurrency_path[*], test_map_state_tolerated_failure_count_path[*],
 * test_map_state_tolerated_failure_percentage_path[*]):
 *   The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: $.MaxConcurrencyValue
 *   The ToleratedFailureCountPath field refers to value "{}" which is not a valid integer: $.ToleratedFailureCount
 *   ToleratedFailureCount cannot be negative.
 *   The ToleratedFailurePercentagePath field refers to value "NoNumber" which is not a valid float: $.ToleratedFailurePercentage
 *   ToleratedFailurePercentage must be between 0 and 100.        (for -1, -1.1; 0, 1, 1.1 and 100 are accepted)
 * A string is shown as is, any other value as JSON ("{}"), as a non-integer number is for MaxItemsPath ("1.5").
 * Unsure (not recorded: AWS's history of that run stops at ExecutionStarted): a negative MaxConcurrencyPath; we give
 * LocalStack's "Expected non-negative integer for MaxConcurrency, got '-1' instead.". Integer-valued strings ("5")
 * are accepted, as LocalStack does; a path that selects nothing gets the usual "Invalid path" cause.
 */
import { RuntimeError } from '../errors';
import { invalidPathError } from '../executor';
import { toJson } from '../json';
import { compileJsonataTemplate, type JsonataTemplate } from '../jsonata';
import { compileRef, type Ref } from '../refs';
import type { Def, StateCtx } from './base';

export interface MapSetting {
  readonly n?: number;
  readonly ref?: Ref;
  readonly tmpl?: JsonataTemplate;
  readonly check: (value: unknown, path: string) => number;
}

function shown(v: unknown): string {
  return typeof v === 'string' ? v : toJson(v);
}

/** An integer, or an integer-valued string (" 5"); undefined for anything else. */
function integerOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  return undefined;
}

function notValid(field: string, v: unknown, kind: 'integer' | 'float', path: string): RuntimeError {
  return new RuntimeError(`The ${field}Path field refers to value "${shown(v)}" which is not a valid ${kind}: ${path}`);
}

function setting(field: string, check: MapSetting['check']) {
  return {
    compile(def: Def): MapSetting {
      const v = def[field];
      const p = def[`${field}Path`];
      return {
        n: typeof v === 'number' ? v : undefined,
        ref: typeof p === 'string' ? compileRef(p) : undefined,
        tmpl: typeof v === 'string' ? compileJsonataTemplate(v, field) : undefined,
        check,
      };
    },
  };
}

export const MAP_SETTINGS = {
  maxConcurrency: setting('MaxConcurrency', (v, path) => {
    const n = integerOf(v);
    if (n === undefined) throw notValid('MaxConcurrency', v, 'integer', path);
    if (n < 0) throw new RuntimeError(`Expected non-negative integer for MaxConcurrency, got '${n}' instead.`);
    return n;
  }),
  toleratedCount: setting('ToleratedFailureCount', (v, path) => {
    const n = integerOf(v);
    if (n === undefined) throw notValid('ToleratedFailureCount', v, 'integer', path);
    if (n < 0) throw new RuntimeError('ToleratedFailureCount cannot be negative.');
    return n;
  }),
  toleratedPercent: setting('ToleratedFailurePercentage', (v, path) => {
    const n = typeof v === 'number' ? v : integerOf(v);
    if (n === undefined) throw notValid('ToleratedFailurePercentage', v, 'float', path);
    if (!(n >= 0 && n <= 100)) throw new RuntimeError('ToleratedFailurePercentage must be between 0 and 100.');
    return n;
  }),
};

/** The setting's value for this run; undefined when the state does not set it. */
export async function readSetting(s: MapSetting, ctx: StateCtx, input: unknown): Promise<number | undefined> {
  if (s.n !== undefined) return s.n;
  if (s.ref) {
    const r = s.ref.read(ctx.env(input));
    if (!r.found) {
      if (s.ref.path) throw invalidPathError(s.ref.path, input);
      throw new RuntimeError(`Invalid path '${s.ref.source}' : No results for path: ${s.ref.source}`);
    }
    return s.check(r.value, s.ref.source);
  }
  if (s.tmpl) return (await s.tmpl.run(ctx.bindings())) as number;
  return undefined;
}
