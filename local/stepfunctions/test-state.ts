/**
 * TestState: one state run on its own (API reference TestState; developer guide "Testing state machines with
 * TestState API", test-state-isolation.html). The state runs in the engine (local/asl/test-state.ts) with the
 * local integrations, or with `mock.result` / `mock.errorOutput` in their place.
 *
 * Request checks, with the codes and texts recorded on AWS (LocalStack's
 * tests/aws/services/stepfunctions/v2/test_state/*.snapshot.json, recorded against AWS in 2025):
 * - Map or Parallel without a mock: InvalidDefinition "TestState API does not support Map or Parallel states. ...";
 * - a mock for a Pass, Fail, Succeed (Choice, Wait): "State type 'Pass' is not supported when a mock is specified";
 * - both mock fields: "A test mock should have only one of the following fields: [result, errorOutput].";
 * - revealSecrets with a mock: "TestState does not support RevealSecrets when a mock is specified.";
 * - a Map's mocked result not an array: "Mocked result must be an array." (a JSON object with a ResultWriter);
 *   a Parallel's: an array with one item per branch;
 * - a Task without roleArn and without a mock: "RoleArn must be specified when testing a Task state";
 * - context: "Invalid Context object provided: Field 'X' is not allowed", "... 'Map' field is not supported when
 *   mocking a Context object", "... Execution.Id must be a string", "... Context object contains 'Task' when state
 *   is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern".
 * - context without a mock: refused, as the API reference says ("may only be specified if a mock is specified").
 * Texts that are ours (no recording found) say so where they are made.
 */
import { randomUUID } from 'node:crypto';
import { DefinitionError, TaskError, compileStateMachine } from '../asl';
import { expectsTaskContext, runTestState, type TestStateRunResult } from '../asl/test-state';
import type { Clock, QueryLanguage, TaskHandler, TaskHandlerTable } from '../asl/types';
import { validateMockResult, type FieldValidationMode } from './mock-validation';
import { fail, parseInput, requireEnum, requireString, validationError } from './validate';

type Def = Record<string, any>;

export interface TestStateDeps {
  region: string;
  account: string;
  taskHandlers: TaskHandlerTable;
  clock: Clock;
}

const INSPECTION_LEVELS = ['INFO', 'DEBUG', 'TRACE'] as const;
const VALIDATION_MODES = ['STRICT', 'PRESENT', 'NONE'] as const;
/** AWS names the state "StateName" in the context object when the definition is a single state (recorded). */
const SINGLE_STATE_NAME = 'StateName';

interface Mock {
  result?: unknown;
  errorOutput?: { error: string; cause?: string };
  mode: FieldValidationMode;
}

export async function testState(request: any, deps: TestStateDeps): Promise<Record<string, unknown>> {
  const definitionText = requireString(request.definition, 'definition');
  const level = requireEnum(request.inspectionLevel ?? 'INFO', 'inspectionLevel', INSPECTION_LEVELS);
  const roleArn = request.roleArn === undefined || request.roleArn === null ? undefined : requireString(request.roleArn, 'roleArn');
  const { text: input } = parseInput(request.input);
  const mock = parseMock(request.mock);
  if (mock && request.revealSecrets === true) fail('ValidationException', 'TestState does not support RevealSecrets when a mock is specified.');

  const definition = parseDefinition(definitionText);
  const { name, state, queryLanguage } = typeof request.stateName === 'string' ? stateOf(definition, request.stateName) : singleState(definition, !!mock, request.context);
  checkStateAndMock(state, mock, roleArn);

  const variables = parseObject(request.variables, 'variables');
  const config = parseConfiguration(request.stateConfiguration);
  const context = parseContext(request.context, state);
  // "This field may only be specified if a mock is specified in the same request" (TestState, API reference;
  // the text is ours). Mocks are for Task, Map and Parallel states only, so a Choice's context is AWS's own.
  if (context && !mock) fail('ValidationException', 'The context field may only be specified if a mock is specified in the same request');

  const smName = `TestStateMachine-${randomUUID().slice(0, 8)}`;
  const prefix = `arn:aws:states:${deps.region}:${deps.account}`;
  const executionName = randomUUID();
  // A given context object is the whole of $$.Execution and $$.StateMachine (recorded: `{}` stays `{}`).
  const execution = context ? context.Execution : {
    Id: `${prefix}:express:${smName}:${executionName}`,
    Input: JSON.parse(input) as unknown,
    Name: executionName,
    RoleArn: roleArn ?? null,
    StartTime: deps.clock.now().toISOString(),
  };
  const stateMachine = context ? context.StateMachine : { Id: `${prefix}:stateMachine:${smName}`, Name: smName };
  const entered = typeof context?.State?.EnteredTime === 'string' ? new Date(context.State.EnteredTime) : undefined;

  const result = await runTestState({
    name,
    state,
    queryLanguage,
    input,
    variables,
    context: { Execution: execution, StateMachine: stateMachine },
    enteredTime: entered && !Number.isNaN(entered.getTime()) ? entered : undefined,
    region: deps.region,
    taskHandlers: mock ? mockHandlers(mock) : deps.taskHandlers,
    clock: deps.clock,
    retrierRetryCount: config.retrierRetryCount,
    mapIterationFailureCount: config.mapIterationFailureCount,
  });
  return response(result, level);
}

function response(r: TestStateRunResult, level: (typeof INSPECTION_LEVELS)[number]): Record<string, unknown> {
  const out: Record<string, unknown> = { status: r.status };
  if (r.output !== undefined) out.output = r.output;
  if (r.error !== undefined) out.error = r.error;
  if (r.cause !== undefined) out.cause = r.cause;
  if (r.nextState !== undefined) out.nextState = r.nextState;
  // INFO shows the status, output and next state; DEBUG and TRACE add the data processing (TRACE's HTTP request
  // and response are for HTTP Tasks, which the local cloud does not run).
  if (level !== 'INFO') out.inspectionData = r.inspectionData;
  return out;
}

function invalidDefinition(problems: DefinitionError['problems']): never {
  fail('InvalidDefinition', new DefinitionError(problems).message);
}

function parseDefinition(text: string): Def {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Def;
  } catch (e) {
    invalidDefinition([{ path: '/', message: `the definition is not valid JSON: ${(e as Error).message}` }]);
  }
  invalidDefinition([{ path: '/', message: 'the definition must be a JSON object' }]);
}

/**
 * Validates a definition as CreateStateMachine would. With a mock, what the local engine cannot run (an Activity,
 * a distributed Map's ItemReader...) is accepted: a mocked state is not run. In a whole definition, only the
 * tested state runs, so the other states' unsupported features are accepted too.
 */
function validate(definition: Def, lenient: boolean): void {
  try {
    compileStateMachine(definition);
  } catch (e) {
    if (!(e instanceof DefinitionError)) throw e;
    const problems = lenient ? e.problems.filter((p) => !/not supported by the local engine/.test(p.message)) : e.problems;
    if (problems.length > 0) invalidDefinition(problems);
  }
}

/** Every state a state can transition to. */
function targets(state: Def): string[] {
  const out = new Set<string>();
  if (typeof state.Next === 'string') out.add(state.Next);
  if (typeof state.Default === 'string') out.add(state.Default);
  for (const r of Array.isArray(state.Choices) ? state.Choices : []) if (typeof r?.Next === 'string') out.add(r.Next);
  for (const c of Array.isArray(state.Catch) ? state.Catch : []) if (typeof c?.Next === 'string') out.add(c.Next);
  return [...out];
}

/** A single state as the definition: checked as a state machine of that state and the states it goes to. */
function singleState(definition: Def, mocked: boolean, contextText: unknown): { name: string; state: Def; queryLanguage: QueryLanguage } {
  if (definition.Type === undefined && definition.States !== undefined) {
    // Ours: AWS's text for a whole definition without stateName was not found recorded.
    fail('ValidationException', 'The definition is a state machine: give stateName, the state to test');
  }
  // The context object's State.Name, when one is given, names the state.
  let name = SINGLE_STATE_NAME;
  try {
    const given = typeof contextText === 'string' ? (JSON.parse(contextText) as Def)?.State?.Name : undefined;
    if (typeof given === 'string' && given !== '') name = given;
  } catch {
    // parseContext reports it.
  }
  const stubs = Object.fromEntries(targets(definition).map((t) => [t, { Type: 'Succeed' }]));
  validate({ StartAt: name, States: { ...stubs, [name]: definition } }, mocked);
  return { name, state: definition, queryLanguage: 'JSONPath' };
}

/** `stateName` in a whole definition (searched in Parallel branches and Map processors too). */
function stateOf(definition: Def, stateName: string): { name: string; state: Def; queryLanguage: QueryLanguage } {
  validate(definition, true);
  const queryLanguage = (definition.QueryLanguage ?? 'JSONPath') as QueryLanguage;
  const find = (program: Def | undefined): Def | undefined => {
    const states = (program?.States ?? {}) as Record<string, Def>;
    if (Object.prototype.hasOwnProperty.call(states, stateName)) return states[stateName];
    for (const s of Object.values(states)) {
      for (const nested of [...(Array.isArray(s?.Branches) ? s.Branches : []), s?.ItemProcessor ?? s?.Iterator]) {
        const found = nested && find(nested);
        if (found) return found;
      }
    }
    return undefined;
  };
  const state = find(definition);
  // As LocalStack answers (AWS's text not found recorded).
  if (!state) fail('ValidationException', 'State not found in definition');
  return { name: stateName, state, queryLanguage };
}

function checkStateAndMock(state: Def, mock: Mock | undefined, roleArn: string | undefined): void {
  const type = String(state.Type);
  const container = type === 'Map' || type === 'Parallel';
  if (container && !mock) {
    fail('InvalidDefinition', 'TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]');
  }
  if (mock && type !== 'Task' && !container) fail('ValidationException', `State type '${type}' is not supported when a mock is specified`);
  if (type === 'Task' && !mock) {
    const resource = String(state.Resource ?? '');
    if (/^arn:[^:]+:states:[^:]*:[^:]*:activity:/.test(resource) || /\.(waitForTaskToken|sync(:\d+)?)$/.test(resource)) {
      // Ours: "TestState only supports the following when a mock is specified: Activity tasks, .sync or
      // .waitForTaskToken service integration patterns, Parallel, or Map states" (API reference).
      fail('ValidationException', 'TestState supports Activity tasks and the .sync and .waitForTaskToken integration patterns only when a mock is specified');
    }
    if (roleArn === undefined) fail('ValidationException', 'RoleArn must be specified when testing a Task state');
  }
  if (!mock || mock.result === undefined) return;
  if (type === 'Map') {
    const writer = state.ResultWriter !== undefined;
    if (writer && (mock.result === null || typeof mock.result !== 'object' || Array.isArray(mock.result))) fail('ValidationException', 'Mocked result must be a JSON object.');
    if (!writer && !Array.isArray(mock.result)) fail('ValidationException', 'Mocked result must be an array.');
  } else if (type === 'Parallel') {
    if (!Array.isArray(mock.result)) fail('ValidationException', 'Mocked result must be an array.');
    if (mock.result.length !== (Array.isArray(state.Branches) ? state.Branches.length : 0)) {
      fail('ValidationException', 'Mocked result must contain the same number of items as number of Parallel branches.');
    }
  } else {
    validateMockResult(String(state.Resource ?? ''), mock.result, mock.mode);
  }
}

function parseMock(mock: any): Mock | undefined {
  if (mock === undefined || mock === null) return undefined;
  const mode = requireEnum(mock.fieldValidationMode ?? 'STRICT', 'mock.fieldValidationMode', VALIDATION_MODES);
  const hasResult = mock.result !== undefined && mock.result !== null;
  const hasError = mock.errorOutput !== undefined && mock.errorOutput !== null;
  if (hasResult && hasError) fail('ValidationException', 'A test mock should have only one of the following fields: [result, errorOutput].');
  // Ours: a mock with neither field (no recording found).
  if (!hasResult && !hasError) fail('ValidationException', 'A test mock should have one of the following fields: [result, errorOutput].');
  if (hasError) {
    // "This field is required if mock.errorOutput is specified" (MockErrorOutput, API reference); the text is ours.
    const error = requireString(mock.errorOutput.error, 'mock.errorOutput.error');
    const cause = mock.errorOutput.cause === undefined || mock.errorOutput.cause === null ? undefined : requireString(mock.errorOutput.cause, 'mock.errorOutput.cause');
    return { errorOutput: { error, cause }, mode };
  }
  const text = requireString(mock.result, 'mock.result');
  if (text.length > 262144) validationError('mock.result', '***', 'Member must have length less than or equal to 262144');
  try {
    return { result: JSON.parse(text) as unknown, mode };
  } catch {
    // As LocalStack answers (AWS's text not found recorded).
    fail('ValidationException', 'Mocked result must be valid JSON');
  }
}

/** The mock stands in for whatever the state calls. */
function mockHandlers(mock: Mock): TaskHandlerTable {
  const handler: TaskHandler = async () => {
    if (mock.errorOutput) throw new TaskError(mock.errorOutput.error, mock.errorOutput.cause);
    return structuredClone(mock.result);
  };
  return { resolve: () => handler };
}

/** `variables` (and similar fields): a JSON object literal in a string. */
function parseObject(text: unknown, field: string): Record<string, unknown> | undefined {
  if (text === undefined || text === null) return undefined;
  const raw = requireString(text, field);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    fail('ValidationException', `The ${field} are not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('ValidationException', `The ${field} must be a JSON object`);
  for (const name of Object.keys(value)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail('ValidationException', `Invalid variable name '${name}'`);
  }
  return value as Record<string, unknown>;
}

function parseConfiguration(config: any): { retrierRetryCount?: number; mapIterationFailureCount?: number } {
  if (config === undefined || config === null) return {};
  const count = (field: string): number | undefined => {
    const v = config[field];
    if (v === undefined || v === null) return undefined;
    if (!Number.isInteger(v)) validationError(`stateConfiguration.${field}`, v, 'Member must be an integer');
    if (v < 0) validationError(`stateConfiguration.${field}`, v, 'Member must have value greater than or equal to 0');
    return v as number;
  };
  if (config.errorCausedByState !== undefined && config.errorCausedByState !== null) requireString(config.errorCausedByState, 'stateConfiguration.errorCausedByState');
  if (config.mapItemReaderData !== undefined && config.mapItemReaderData !== null) requireString(config.mapItemReaderData, 'stateConfiguration.mapItemReaderData');
  return { retrierRetryCount: count('retrierRetryCount'), mapIterationFailureCount: count('mapIterationFailureCount') };
}

const CONTEXT_FIELDS: Record<string, Record<string, 'string' | 'number' | 'any'>> = {
  Execution: { Id: 'string', Input: 'any', Name: 'string', RoleArn: 'string', StartTime: 'string', RedriveCount: 'number', RedriveTime: 'string' },
  State: { EnteredTime: 'string', Name: 'string', RetryCount: 'number' },
  StateMachine: { Id: 'string', Name: 'string' },
  Task: { Token: 'string' },
};

interface GivenContext {
  Execution?: Record<string, unknown>;
  State?: Record<string, unknown>;
  StateMachine?: Record<string, unknown>;
  Task?: Record<string, unknown>;
}

/** The context object given for the state: its fields and their types, as AWS checks them (recorded texts). */
function parseContext(text: unknown, state: Def): GivenContext | undefined {
  if (text === undefined || text === null) return undefined;
  const raw = requireString(text, 'context');
  const invalid = (why: string): never => fail('ValidationException', `Invalid Context object provided: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    invalid(`the context is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid('the context must be a JSON object');
  const context = value as Record<string, unknown>;
  for (const [key, section] of Object.entries(context)) {
    if (key === 'Map') invalid("'Map' field is not supported when mocking a Context object");
    const fields = CONTEXT_FIELDS[key];
    if (!fields) invalid(`Field '${key}' is not allowed`);
    if (section === null || typeof section !== 'object' || Array.isArray(section)) invalid(`${key} must be an object`);
    for (const [field, v] of Object.entries(section as Record<string, unknown>)) {
      const type = fields[field];
      if (!type) invalid(`Field '${field}' is not allowed`);
      if (type !== 'any' && typeof v !== type) invalid(`${key}.${field} must be a ${type}`);
    }
  }
  if (context.Task !== undefined && !expectsTaskContext(state)) {
    invalid("Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern");
  }
  return context as GivenContext;
}
