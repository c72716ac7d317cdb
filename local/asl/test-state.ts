/**
 * One state on its own, as the TestState API runs it (local/stepfunctions/test-state.ts serves the API).
 *
 * The state is built with the engine's own state classes and run by the engine's Executor, so its data flow,
 * Catch, Assign and errors are exactly an execution's. What TestState adds:
 *
 * - One attempt. The state's Retry is taken out of the run and decided here: an error its first matching
 *   retrier may still retry (fewer than MaxAttempts retries so far, `retrierRetryCount`) is RETRIABLE, with the
 *   retrier's index and the backoff it would wait; otherwise a Catch that matches makes it CAUGHT_ERROR.
 * - The transition is reported, not taken: the state it goes to (Next, a Choice rule, a Catch) is recorded as
 *   `nextState` and replaced by a stand-in that ends the run with the state's output.
 * - Map and Parallel run only mocked: the state becomes a Task whose result is the mocked array, keeping its
 *   InputPath, Parameters/Arguments (Parallel), ResultSelector, ResultPath, OutputPath, Output, Assign and
 *   Catch (`mapIterationFailureCount` over the tolerated count or percentage is States.ExceedToleratedFailureThreshold).
 * - A Wait state does not wait.
 * - Inspection data: the compiled steps of this one state instance (Parameters, ResultSelector, ResultPath,
 *   execute) are wrapped to record what each produced, so DEBUG/TRACE show the values of the real run.
 *
 * Which inspection fields appear for which state follows AWS recordings (LocalStack's
 * tests/aws/services/stepfunctions/v2/test_state/*.snapshot.json, recorded against AWS in 2025).
 */
import { CancelToken } from './cancel';
import { startTimer, systemClock } from './clock';
import { AslError, ExceedToleratedFailureThresholdError, TimeoutError, toAslError } from './errors';
import { EventRecorder, Thread } from './events';
import { Executor, type Program } from './executor';
import { toJson } from './json';
import { compileJsonataTemplate, JsonataScope } from './jsonata';
import { compilePath } from './jsonpath';
import type { EvalEnv } from './refs';
import { Retrier } from './retry';
import type { BaseState, Def, ExecutionRuntime, StateCtx, StateResult } from './states/base';
import { ChoiceState } from './states/choice';
import { FailState } from './states/fail';
import { PassState } from './states/pass';
import { SucceedState } from './states/succeed';
import { TaskState } from './states/task';
import { WaitState } from './states/wait';
import type { Clock, ContextObject, QueryLanguage, TaskHandlerTable } from './types';
import { VarScope } from './variables';

export type TestStateStatus = 'SUCCEEDED' | 'FAILED' | 'RETRIABLE' | 'CAUGHT_ERROR';

export interface TestStateRunOptions {
  /** The state's name ($$.State.Name). */
  name: string;
  /** The state's definition, as written. */
  state: Def;
  /** The state machine's QueryLanguage (the state's own field wins). */
  queryLanguage: QueryLanguage;
  /** The input as JSON text (already checked to parse). */
  input: string;
  /** Variables the state sees. */
  variables?: Record<string, unknown>;
  /**
   * `$$.Execution` and `$$.StateMachine`. `$$.State` is the engine's (Name, EnteredTime, and RetryCount 0 for a
   * Task); `$$.Task.Token` is a fresh token for a `.waitForTaskToken` Task.
   */
  context: { Execution?: Record<string, unknown>; StateMachine?: Record<string, unknown> };
  /** `$$.State.EnteredTime` (default: now). */
  enteredTime?: Date;
  region: string;
  /** The integrations, or a mock's table. Map and Parallel need one (they run mocked). */
  taskHandlers: TaskHandlerTable;
  clock?: Clock;
  random?: () => number;
  /** Retries already made by the retrier that matches the error (stateConfiguration.retrierRetryCount). */
  retrierRetryCount?: number;
  /** Failed iterations of a mocked Map (stateConfiguration.mapIterationFailureCount). */
  mapIterationFailureCount?: number;
  /** TestState "can run for up to five minutes" (API reference), then fails with States.Timeout. */
  timeoutSeconds?: number;
}

export interface InspectionErrorDetails {
  catchIndex?: number;
  retryIndex?: number;
  retryBackoffIntervalSeconds?: number;
}

/** The API's InspectionData: data values are JSON text. */
export interface InspectionData {
  input?: string;
  afterInputPath?: string;
  afterParameters?: string;
  afterArguments?: string;
  result?: string;
  afterResultSelector?: string;
  afterResultPath?: string;
  afterItemsPath?: string;
  variables?: string;
  errorDetails?: InspectionErrorDetails;
  maxConcurrency?: number;
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
}

export interface TestStateRunResult {
  status: TestStateStatus;
  /** JSON text: SUCCEEDED and CAUGHT_ERROR. */
  output?: string;
  error?: string;
  cause?: string;
  nextState?: string;
  inspectionData: InspectionData;
}

/** The stand-in resource a mocked Map or Parallel runs as. */
export const CONTAINER_MOCK_RESOURCE = 'arn:aws:states:::testState:mockedResult';

const TIMED_OUT = Symbol('timedOut');

/** What the wrapped steps of the state saw and produced. */
interface Trace {
  executed: boolean;
  /** What execute() got: the effective input (flow states) or the input after Parameters/Arguments. */
  payload?: unknown;
  parametersRan: boolean;
  parametersInput?: unknown;
  afterParameters?: unknown;
  hasResult: boolean;
  result?: unknown;
  selected: boolean;
  afterResultSelector?: unknown;
  pathApplied: boolean;
  afterResultPath?: unknown;
  caught?: { index: number; error: AslError };
}

/**
 * The state's program: the state itself, then a Succeed stand-in named after whatever state it transitions to
 * (recorded as the next state). A Map, so that the Executor can run it as it runs any program.
 */
class OneStateProgram extends Map<string, BaseState> {
  next?: string;
  private served = false;
  constructor(
    private readonly state: BaseState,
    private readonly ql: QueryLanguage,
  ) {
    super();
  }
  override get(name: string): BaseState | undefined {
    if (!this.served) {
      this.served = true;
      return this.state;
    }
    this.next = name;
    return new SucceedState(name, { Type: 'Succeed' }, this.ql);
  }
}

/** A Map or Parallel that runs mocked: a Task with the same data flow, whose result is the mock's. */
export function containerAsTask(def: Def): Def {
  const keep = ['Comment', 'QueryLanguage', 'InputPath', 'OutputPath', 'ResultPath', 'ResultSelector', 'Assign', 'Output', 'Catch', 'Next', 'End'];
  // A Parallel's Parameters/Arguments are its branches' input; a Map's Parameters are its legacy ItemSelector.
  if (def.Type === 'Parallel') keep.push('Parameters', 'Arguments');
  const task: Def = { Type: 'Task', Resource: CONTAINER_MOCK_RESOURCE };
  for (const k of keep) if (k in def) task[k] = def[k];
  return task;
}

function buildState(name: string, def: Def, ql: QueryLanguage): BaseState {
  switch (def.Type) {
    case 'Pass':
      return new PassState(name, def, ql);
    case 'Task':
      return new TaskState(name, def, ql);
    case 'Choice':
      return new ChoiceState(name, def, ql);
    case 'Wait':
      return new WaitState(name, def, ql);
    case 'Succeed':
      return new SucceedState(name, def, ql);
    case 'Fail':
      return new FailState(name, def, ql);
    case 'Map':
    case 'Parallel':
      return new TaskState(name, containerAsTask(def), ql);
    default:
      throw new Error(`unknown state type ${String(def.Type)}`);
  }
}

type Mutable = Record<string, any>;

/** Wraps the compiled steps of this one state instance to record their values (see the file comment). */
function traceSteps(state: BaseState, trace: Trace, before?: (payload: unknown) => void): void {
  const s = state as unknown as Mutable;
  if (typeof s.parameters === 'function') {
    const f = s.parameters as (env: EvalEnv) => unknown;
    s.parameters = (env: EvalEnv) => {
      trace.parametersRan = true;
      trace.parametersInput = env.input;
      return (trace.afterParameters = f(env));
    };
  }
  if (typeof s.resultSelector === 'function') {
    const f = s.resultSelector as (env: EvalEnv) => unknown;
    s.resultSelector = (env: EvalEnv) => {
      trace.selected = true;
      return (trace.afterResultSelector = f(env));
    };
  }
  if (s.resultPath) {
    const rp = s.resultPath as { source: string; apply(input: unknown, result: unknown): unknown };
    s.resultPath = {
      source: rp.source,
      apply: (input: unknown, result: unknown) => {
        trace.pathApplied = true;
        return (trace.afterResultPath = rp.apply(input, result));
      },
    };
  }
  const execute = state.execute.bind(state);
  s.execute = (payload: unknown, ctx: StateCtx) => {
    trace.executed = true;
    trace.payload = payload;
    before?.(payload);
    const done = (r: StateResult) => {
      trace.hasResult = true;
      trace.result = r.result;
      return r;
    };
    const r = execute(payload, ctx);
    return r instanceof Promise ? r.then(done) : done(r);
  };
  state.catchers.forEach((catcher, index) => {
    const matches = catcher.matches.bind(catcher);
    (catcher as unknown as Mutable).matches = (err: AslError) => {
      const m = matches(err);
      if (m && !trace.caught) trace.caught = { index, error: err };
      return m;
    };
  });
}

/** A Map's MaxConcurrency / ToleratedFailureCount / ToleratedFailurePercentage: a number, a Path or JSONata. */
async function mapNumber(def: Def, field: string, jsonata: boolean, input: unknown, scope: () => JsonataScope): Promise<number | undefined> {
  const v = def[field];
  if (typeof v === 'number') return v;
  if (jsonata && typeof v === 'string') {
    const r = await compileJsonataTemplate(v, field).evaluate(scope());
    return typeof r === 'number' ? r : undefined;
  }
  const p = def[`${field}Path`];
  if (!jsonata && typeof p === 'string') {
    const r = compilePath(p).read(input);
    return r.found && typeof r.value === 'number' ? r.value : undefined;
  }
  return undefined;
}

const ms = (seconds: number) => seconds * 1000;

export async function runTestState(options: TestStateRunOptions): Promise<TestStateRunResult> {
  const def = options.state;
  const ql = ((def.QueryLanguage as QueryLanguage | undefined) ?? options.queryLanguage) as QueryLanguage;
  const jsonata = ql === 'JSONata';
  const type = def.Type as string;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const retriers = (Array.isArray(def.Retry) ? (def.Retry as Def[]) : []).map((r) => new Retrier(r));
  const { Retry: _retry, ...withoutRetry } = def;

  const state = buildState(options.name, withoutRetry, ql);
  const trace: Trace = { executed: false, parametersRan: false, hasResult: false, selected: false, pathApplied: false };
  const input = JSON.parse(options.input) as unknown;
  const vars = new VarScope();
  if (options.variables && Object.keys(options.variables).length > 0) vars.assign(structuredClone(options.variables));
  const initialVariables = vars.all();

  const context = (): ContextObject => ({
    Execution: options.context.Execution,
    StateMachine: options.context.StateMachine,
    State: { Name: options.name, EnteredTime: (options.enteredTime ?? clock.now()).toISOString() },
  }) as unknown as ContextObject;

  // A mocked Map: its settings are reported, and failed iterations over the tolerated threshold fail it.
  const map: InspectionData = {};
  let afterItemsPath: unknown;
  const mapSettings = async (payload: unknown) => {
    const scope = () => new JsonataScope({ input, context: context() }, vars.all());
    map.maxConcurrency = (await mapNumber(def, 'MaxConcurrency', jsonata, payload, scope)) ?? 0;
    const count = await mapNumber(def, 'ToleratedFailureCount', jsonata, payload, scope);
    const percentage = await mapNumber(def, 'ToleratedFailurePercentage', jsonata, payload, scope);
    if (count !== undefined) map.toleratedFailureCount = count;
    if (percentage !== undefined) map.toleratedFailurePercentage = percentage;
    let items: unknown;
    if (!jsonata) {
      const read = compilePath((def.ItemsPath as string | undefined) ?? '$').read(payload);
      if (read.found) items = afterItemsPath = read.value;
    } else items = 'Items' in def ? await compileJsonataTemplate(def.Items, 'Items').evaluate(scope()) : input;
    const failed = options.mapIterationFailureCount ?? 0;
    const n = Array.isArray(items) ? items.length : 0;
    const overCount = count !== undefined && failed > count;
    const overPercentage = percentage !== undefined && n > 0 && (failed * 100) / n > percentage;
    // Recorded on AWS: without a tolerance, a failure count alone does not fail the mocked Map.
    if (failed > 0 && (overCount || overPercentage) && (count === undefined || overCount) && (percentage === undefined || overPercentage)) {
      throw new ExceedToleratedFailureThresholdError('The specified tolerated failure threshold was exceeded');
    }
  };
  const isMap = type === 'Map';
  let pendingMapCheck: Promise<void> | undefined;
  traceSteps(
    state,
    trace,
    isMap
      ? (payload) => {
          pendingMapCheck = mapSettings(payload);
          // Awaited by the mocked handler; a failure before the handler runs is the state's own.
          pendingMapCheck.catch(() => undefined);
        }
      : undefined,
  );
  // A mocked Map's tolerance check runs before the mocked result is handed back.
  const handlers: TaskHandlerTable = !isMap
    ? options.taskHandlers
    : {
        resolve: (resource) => {
          const h = options.taskHandlers.resolve(resource);
          return h && (async (inv) => (await pendingMapCheck, h(inv)));
        },
      };

  const recorder = new EventRecorder(options.enteredTime ? { now: () => options.enteredTime!, sleep: clock.sleep } : clock);
  const exec: ExecutionRuntime = {
    recorder,
    // A Wait state does not wait under TestState.
    clock: type === 'Wait' ? { now: () => clock.now(), sleep: () => Promise.resolve() } : clock,
    handlers,
    region: options.region,
    random,
    execution: options.context.Execution as unknown as ContextObject['Execution'],
    stateMachine: options.context.StateMachine as unknown as ContextObject['StateMachine'],
    executor: new Executor(),
  };
  const program: Program = { startAt: options.name, states: new OneStateProgram(state, options.queryLanguage) };
  const cancel = new CancelToken();

  let exit: { json: string } | undefined;
  let thrown: AslError | undefined;
  let cancelTimer: (() => void) | undefined;
  try {
    const run = exec.executor.runProgramJson(program, input, { exec, thread: new Thread(recorder, 0), vars, cancel }, options.input);
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => (cancelTimer = startTimer(clock, ms(options.timeoutSeconds ?? 300), () => resolve(TIMED_OUT))));
    const first = await Promise.race([run, timeout]);
    if (first === TIMED_OUT) {
      cancel.abort(new Error('TestState timed out'));
      run.catch(() => undefined);
      thrown = new TimeoutError();
    } else exit = first;
  } catch (e) {
    thrown = toAslError(e);
  } finally {
    cancelTimer?.();
  }
  const nextState = (program.states as OneStateProgram).next;

  const details: InspectionErrorDetails = {};
  let status: TestStateStatus;
  const error: AslError | undefined = thrown ?? trace.caught?.error;
  const result: TestStateRunResult = { status: 'SUCCEEDED', inspectionData: {} };
  if (error) {
    status = thrown ? 'FAILED' : 'CAUGHT_ERROR';
    if (error.retryable) {
      const i = retriers.findIndex((r) => r.matches(error!));
      if (i >= 0) {
        details.retryIndex = i;
        const count = options.retrierRetryCount ?? 0;
        if (count < retriers[i].maxAttempts) {
          status = 'RETRIABLE';
          details.retryBackoffIntervalSeconds = Math.round(retriers[i].delayMs(count, random) / 1000);
        }
      }
    }
    if (status === 'CAUGHT_ERROR') {
      details.catchIndex = trace.caught!.index;
      result.output = exit!.json;
      result.nextState = nextState;
    }
    result.error = error.name;
    if (error.aslCause !== undefined) result.cause = error.aslCause;
  } else {
    status = 'SUCCEEDED';
    result.output = exit!.json;
    if (nextState !== undefined) result.nextState = nextState;
  }
  result.status = status;

  // Inspection data, with the fields AWS shows for each kind of state.
  const d: InspectionData = { input: options.input };
  const succeeded = status === 'SUCCEEDED';
  const afterInputPath = trace.parametersRan ? trace.parametersInput : trace.payload;
  const afterSelector = trace.selected ? trace.afterResultSelector : trace.result;
  const resultPath = def.ResultPath;
  const afterResultPath = resultPath === undefined ? afterSelector : resultPath === null ? input : trace.afterResultPath;
  const withResult = type === 'Task' || type === 'Parallel';
  if (!jsonata) {
    // Recorded: a Pass with a Result shows result, afterResultSelector and afterResultPath only; one without,
    // everything but result. A mocked Map shows no afterParameters and no result.
    const passWithResult = type === 'Pass' && 'Result' in def;
    if (trace.executed && !passWithResult) d.afterInputPath = toJson(afterInputPath);
    if (trace.executed && (withResult || (type === 'Pass' && !passWithResult))) d.afterParameters = toJson(trace.payload);
    if (isMap && trace.executed && afterItemsPath !== undefined) d.afterItemsPath = toJson(afterItemsPath);
    if (trace.hasResult && (withResult || passWithResult)) d.result = toJson(trace.result);
    if (trace.hasResult && (withResult || isMap || type === 'Pass') && (succeeded || trace.selected)) {
      d.afterResultSelector = toJson(afterSelector);
      if (succeeded && (trace.pathApplied || resultPath === undefined || resultPath === null)) d.afterResultPath = toJson(afterResultPath);
    }
  } else {
    if (trace.executed && 'Arguments' in def && withResult) d.afterArguments = toJson(trace.payload);
    if (trace.hasResult && withResult) d.result = toJson(trace.result);
  }
  if (isMap) Object.assign(d, map);
  const variables = status === 'RETRIABLE' || status === 'FAILED' ? initialVariables : vars.all();
  if (Object.keys(variables).length > 0) d.variables = toJson(variables);
  if (Object.keys(details).length > 0) d.errorDetails = details;
  result.inspectionData = d;
  return result;
}

/** `$$.Task.Token` given in a TestState context is only allowed for a Task that waits for a token or a job. */
export function expectsTaskContext(state: Def): boolean {
  return state.Type === 'Task' && typeof state.Resource === 'string' && /\.(waitForTaskToken|sync)(:\d+)?$/.test(state.Resource);
}
