/**
 * ValidateStateMachineDefinition: the definition's problems as diagnostics {severity, code, message, location}
 * instead of an InvalidDefinition error (API reference ValidateStateMachineDefinition and
 * ValidateStateMachineDefinitionDiagnostic, whose lists of codes are used here).
 *
 * Recorded on AWS (LocalStack's tests/aws/services/stepfunctions/v2/test_sfn_api_validation.snapshot.json, 2025):
 * - " "         → SCHEMA_VALIDATION_FAILED "Definition must be a valid JSON object" (no location);
 * - not JSON    → INVALID_JSON_DESCRIPTION, Jackson's message and "[Source: (String)"…"; line: 1, column: 4]";
 * - {}          → SCHEMA_VALIDATION_FAILED at "/" "These fields are required: [States, StartAt]";
 * - a JSONPath state in a JSONata machine → at "/States/Pass" "'QueryLanguage' can not be 'JSONPath' if set to
 *   'JSONata' for whole state machine";
 * - EXPRESS with .waitForTaskToken → at "/States/SendMessageWithWait/Resource" "Express state machine does not
 *   support '.waitForTaskToken' service integration " (sic, trailing space);
 * - result OK with `diagnostics: []` and `truncated: false`.
 * Transitions as CreateStateMachine words them: "MISSING_TRANSITION_TARGET: Missing 'Next' target: X at
 * /States/A/Next", "MISSING_TRANSITION_TARGET: State "X" is not reachable.". State names are unique "within
 * the scope of the entire state machine" (developer guide, workflow-states). Other problems come from the
 * engine's own validation (local/asl/validate.ts: asl-validator and our checks), worded as the engine words them.
 * AWS says not to rely on the order, count or wording of diagnostics; only `result` is a contract.
 */
import { DefinitionError, compileStateMachine } from '../asl';
import { expressDefinitionProblem } from './express';
import { requireEnum, requireString, validationError } from './validate';

type Def = Record<string, any>;
type Severity = 'ERROR' | 'WARNING';

export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  location?: string;
}

export interface ValidateDefinitionOutput {
  result: 'OK' | 'FAIL';
  diagnostics: Diagnostic[];
  truncated: boolean;
}

export function validateStateMachineDefinition(request: any): ValidateDefinitionOutput {
  const text = requireString(request.definition, 'definition');
  if (text.length === 0) validationError('definition', text, 'Member must have length greater than or equal to 1');
  if (text.length > 1048576) validationError('definition', '***', 'Member must have length less than or equal to 1048576');
  const type = requireEnum(request.type ?? 'STANDARD', 'type', ['STANDARD', 'EXPRESS'] as const);
  const severity = requireEnum(request.severity ?? 'ERROR', 'severity', ['ERROR', 'WARNING'] as const);
  const max = maxResults(request.maxResults);

  const all = diagnose(text, type);
  const shown = all.filter((d) => severity === 'WARNING' || d.severity === 'ERROR');
  return {
    result: all.some((d) => d.severity === 'ERROR') ? 'FAIL' : 'OK',
    diagnostics: shown.slice(0, max),
    truncated: shown.length > max,
  };
}

/** "The default and maximum value is 100. Setting the value to 0 will also use the default of 100." */
function maxResults(value: unknown): number {
  if (value === undefined || value === null) return 100;
  if (!Number.isInteger(value)) validationError('maxResults', value, 'Member must be an integer');
  const n = value as number;
  if (n < 0) validationError('maxResults', n, 'Member must have value greater than or equal to 0');
  if (n > 100) validationError('maxResults', n, 'Member must have value less than or equal to 100');
  return n === 0 ? 100 : n;
}

export function diagnose(text: string, type: 'STANDARD' | 'EXPRESS'): Diagnostic[] {
  const error = (code: string, message: string, location?: string): Diagnostic => (location === undefined ? { severity: 'ERROR', code, message } : { severity: 'ERROR', code, message, location });
  if (text.trim() === '') return [error('SCHEMA_VALIDATION_FAILED', 'Definition must be a valid JSON object')];
  let def: unknown;
  try {
    def = JSON.parse(text);
  } catch (e) {
    const source = jacksonSource(text, (e as Error).message);
    return [error('INVALID_JSON_DESCRIPTION', `${(e as Error).message}\n at ${source}`, source)];
  }
  if (def === null || typeof def !== 'object' || Array.isArray(def)) return [error('SCHEMA_VALIDATION_FAILED', 'Definition must be a valid JSON object')];
  const root = def as Def;
  const missing = ['States', 'StartAt'].filter((f) => root[f] === undefined);
  if (missing.length > 0) return [error('SCHEMA_VALIDATION_FAILED', `These fields are required: [${missing.join(', ')}]`, '/')];

  const out: Diagnostic[] = [];
  const seen = new Map<string, string>();
  const walk = (program: Def, path: string) => {
    const states = program?.States;
    if (!states || typeof states !== 'object' || Array.isArray(states)) return;
    transitions(program, path, out, error);
    for (const [name, state] of Object.entries(states as Record<string, Def>)) {
      const at = `${path}/States/${name}`;
      if (seen.has(name)) out.push(error('DUPLICATE_STATE_NAME', `Duplicate State name: ${name}`, at));
      else seen.set(name, at);
      if ([...name].length > 80) out.push(error('INVALID_STATE_NAME', `The state name must be at most 80 characters: ${name}`, at));
      if (root.QueryLanguage === 'JSONata' && state?.QueryLanguage === 'JSONPath') {
        out.push(error('SCHEMA_VALIDATION_FAILED', "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", at));
      }
      if ((state?.QueryLanguage ?? root.QueryLanguage ?? 'JSONPath') === 'JSONPath') out.push(...warnings(state, at));
      for (const [i, branch] of (Array.isArray(state?.Branches) ? state.Branches : []).entries()) walk(branch, `${at}/Branches/${i}`);
      const processor = state?.ItemProcessor ? 'ItemProcessor' : state?.Iterator ? 'Iterator' : undefined;
      if (processor) walk(state[processor], `${at}/${processor}`);
    }
  };
  walk(root, '');
  if (type === 'EXPRESS') {
    // "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: <message> at <location>'" (./express.ts).
    const m = /^Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: (.*) at (\/[^']*)'$/s.exec(expressDefinitionProblem(root) ?? '');
    if (m) out.push(error('SCHEMA_VALIDATION_FAILED', m[1], m[2]));
  }
  out.push(...engineProblems(root, error));
  return out;
}

/** MISSING_TRANSITION_TARGET: targets that are not states of the program, and states nothing reaches. */
function transitions(program: Def, path: string, out: Diagnostic[], error: (code: string, message: string, location?: string) => Diagnostic): void {
  const states = program.States as Record<string, Def>;
  const has = (n: unknown) => typeof n === 'string' && Object.prototype.hasOwnProperty.call(states, n);
  const missing = (kind: string, target: unknown, at: string) => out.push(error('MISSING_TRANSITION_TARGET', `Missing '${kind}' target: ${String(target)}`, at));
  if (!has(program.StartAt)) missing('StartAt', program.StartAt, `${path}/StartAt`);
  const edges = new Map<string, string[]>();
  let terminal = false;
  for (const [name, s] of Object.entries(states)) {
    if (!s || typeof s !== 'object') continue;
    const at = `${path}/States/${name}`;
    const next: string[] = [];
    const follow = (kind: string, target: unknown, where: string) => (has(target) ? next.push(target as string) : missing(kind, target, where));
    if (s.Next !== undefined) follow('Next', s.Next, `${at}/Next`);
    if (s.Default !== undefined) follow('Default', s.Default, `${at}/Default`);
    (Array.isArray(s.Choices) ? s.Choices : []).forEach((r: Def, i: number) => r?.Next !== undefined && follow('Next', r.Next, `${at}/Choices/${i}/Next`));
    (Array.isArray(s.Catch) ? s.Catch : []).forEach((c: Def, i: number) => c?.Next !== undefined && follow('Next', c.Next, `${at}/Catch/${i}/Next`));
    if (s.End === true || s.Type === 'Succeed' || s.Type === 'Fail') terminal = true;
    edges.set(name, next);
  }
  if (!terminal) out.push(error('MISSING_END_STATE', 'The workflow does not have a terminal state', path || '/'));
  if (!has(program.StartAt)) return;
  const reached = new Set<string>([program.StartAt]);
  const queue = [program.StartAt as string];
  while (queue.length) {
    for (const n of edges.get(queue.shift()!) ?? []) {
      if (reached.has(n)) continue;
      reached.add(n);
      queue.push(n);
    }
  }
  for (const name of Object.keys(states)) {
    if (!reached.has(name)) out.push(error('MISSING_TRANSITION_TARGET', `State "${name}" is not reachable.`, `${path}/States/${name}`));
  }
}

/** What the engine's validation finds that the checks above do not (those it words too are left out). */
function engineProblems(root: Def, error: (code: string, message: string, location?: string) => Diagnostic): Diagnostic[] {
  try {
    compileStateMachine(root);
    return [];
  } catch (e) {
    if (!(e instanceof DefinitionError)) throw e;
    const covered =
      /^Missing '.*' target|is missing a terminal state|is not reachable|already exists|is not a state$|MUST contain exactly one of|cannot use JSONPath when the state machine QueryLanguage is JSONata|must have required property '(StartAt|States)'/;
    return e.problems
      // The local engine's own limits (Activities, distributed Map over S3) are not AWS's: AWS accepts them.
      .filter((p) => !covered.test(p.message) && !/not supported by the local engine/.test(p.message))
      .map((p) => {
        const location = p.path || '/';
        if (/\/Resource$/.test(location)) return error('INVALID_RESOURCE', `The value of the field 'Resource' is not a valid resource: ${JSON.stringify(valueAt(root, location))}`, location);
        return error('SCHEMA_VALIDATION_FAILED', p.message.replace(/^\S* is invalid\. /, ''), location);
      });
  }
}

/** The value at a location such as /States/A/Resource. */
function valueAt(root: Def, location: string): unknown {
  let cur: unknown = root;
  for (const part of location.split('/').slice(1)) cur = cur && typeof cur === 'object' ? (cur as Def)[part] : undefined;
  return cur;
}

const LOOKS_DYNAMIC = /^(\$\$?(\.|\[|$)|States\.[A-Za-z]+\()/;
const LOOKS_LIKE_PATH = /^\$\$?(\.|\[|$)/;
const CHOICE_OPERATORS =
  /^(String|Numeric|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals)$|^StringMatches$|^BooleanEquals$/;

/** WARNING diagnostics (JSONPath states): NO_DOLLAR, NO_PATH, PASS_RESULT_IS_STATIC. */
function warnings(state: Def, at: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const warn = (code: string, message: string, location: string) => out.push({ severity: 'WARNING', code, message, location });
  const payload = (value: unknown, path: string) => {
    if (Array.isArray(value)) value.forEach((v, i) => payload(v, `${path}/${i}`));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (!k.endsWith('.$') && typeof v === 'string' && LOOKS_DYNAMIC.test(v)) {
          warn('NO_DOLLAR', `The value of the field '${k}' looks like a JSONPath or an intrinsic function, but the field name does not end with '.$'`, `${path}/${k}`);
        } else if (!k.endsWith('.$')) payload(v, `${path}/${k}`);
      }
    }
  };
  for (const field of ['Parameters', 'ResultSelector', 'ItemSelector']) if (state?.[field] !== undefined) payload(state[field], `${at}/${field}`);
  const rule = (r: Def, path: string) => {
    if (!r || typeof r !== 'object') return;
    for (const [k, v] of Object.entries(r)) {
      if (CHOICE_OPERATORS.test(k) && typeof v === 'string' && LOOKS_LIKE_PATH.test(v)) {
        warn('NO_PATH', `The value of the field '${k}' looks like a path, but the field name does not end with 'Path'`, `${path}/${k}`);
      }
    }
    for (const [i, sub] of (Array.isArray(r.And) ? r.And : Array.isArray(r.Or) ? r.Or : []).entries()) rule(sub, `${path}/${Array.isArray(r.And) ? 'And' : 'Or'}/${i}`);
    if (r.Not) rule(r.Not, `${path}/Not`);
  };
  (Array.isArray(state?.Choices) ? state.Choices : []).forEach((r: Def, i: number) => rule(r, `${at}/Choices/${i}`));
  if (state?.Type === 'Pass' && state.Result !== undefined && looksStatic(state.Result)) {
    warn('PASS_RESULT_IS_STATIC', "A Pass state's Result is used as is: its paths and '.$' fields are not evaluated (use Parameters)", `${at}/Result`);
  }
  return out;
}

/** A Pass Result with a `.$` field or a string that looks like a path. */
function looksStatic(value: unknown): boolean {
  if (typeof value === 'string') return LOOKS_DYNAMIC.test(value);
  if (Array.isArray(value)) return value.some(looksStatic);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.endsWith('.$') || looksStatic(v));
  return false;
}

/** Jackson's "[Source: (String)"…"; line: L, column: C]" for the position Node's parser reports. */
function jacksonSource(text: string, message: string): string {
  let line = 1;
  let column = 1;
  const lc = /\(line (\d+) column (\d+)\)/.exec(message);
  const pos = /at position (\d+)/.exec(message);
  if (lc) {
    line = Number(lc[1]);
    column = Number(lc[2]);
  } else if (pos) {
    const before = text.slice(0, Number(pos[1]));
    line = before.split('\n').length;
    column = before.length - before.lastIndexOf('\n');
  } else {
    // "Unexpected token 'o', "not a definition" is not valid JSON": Jackson reads the whole token first.
    const start = text.length - text.trimStart().length;
    const token = /^[^\s{}[\],:"]+/.exec(text.slice(start));
    column = start + (token ? token[0].length : 0) + 1;
  }
  const shown = text.length > 500 ? `"${text.slice(0, 500)}"[truncated ${text.length - 500} chars]` : `"${text}"`;
  return `[Source: (String)${shown}; line: ${line}, column: ${column}]`;
}
