/**
 * compileStateMachine: validates the whole definition (asl-validator + our own checks, every problem
 * reported at once, like CreateStateMachine's InvalidDefinition), compiles every path/expression once,
 * and returns a machine that can run many executions.
 */
import { startTimer, systemClock } from './clock';
import { AslError, DefinitionError, ExecutionAbortedError, toAslError, type DefinitionProblem } from './errors';
import { CancelToken } from './cancel';
import { EventRecorder, NOT_TRUNCATED, Thread } from './events';
import { Executor, type Exit, type Program } from './executor';
import { toJson } from './json';
import { dedupeProblems, validateDefinition } from './validate';
import type { BaseState, Def, ExecutionRuntime } from './states/base';
import { ChoiceState } from './states/choice';
import { FailState } from './states/fail';
import { MapState } from './states/map';
import { ParallelState } from './states/parallel';
import { PassState } from './states/pass';
import { SucceedState } from './states/succeed';
import { TaskState } from './states/task';
import { WaitState } from './states/wait';
import type { CompiledStateMachine, ContextObject, ExecuteOptions, ExecutionResult, QueryLanguage } from './types';
import { VarScope } from './variables';

/**
 * `ql` is the state machine's QueryLanguage: a state without its own QueryLanguage uses it, including
 * the states of a Map's ItemProcessor or a Parallel's branches, which do not inherit the enclosing
 * state's language (as measured on AWS by the Floci project).
 */
function buildProgram(def: Def, ql: QueryLanguage, path: string, problems: DefinitionProblem[]): Program {
  const states = new Map<string, BaseState>();
  const defs = (def.States ?? {}) as Record<string, Def>;
  for (const name of Object.keys(defs)) {
    const sd = defs[name];
    const spath = `${path}/States/${name}`;
    const sql = ((sd.QueryLanguage as QueryLanguage | undefined) ?? ql) as QueryLanguage;
    try {
      states.set(name, buildState(name, sd, sql, ql, spath, problems));
    } catch (e) {
      problems.push({ path: spath, message: (e as Error).message });
    }
  }
  return { startAt: def.StartAt as string, states };
}

function buildState(name: string, sd: Def, ql: QueryLanguage, rootQl: QueryLanguage, path: string, problems: DefinitionProblem[]): BaseState {
  switch (sd.Type) {
    case 'Pass':
      return new PassState(name, sd, ql);
    case 'Task':
      return new TaskState(name, sd, ql);
    case 'Choice':
      return new ChoiceState(name, sd, ql);
    case 'Wait':
      return new WaitState(name, sd, ql);
    case 'Succeed':
      return new SucceedState(name, sd, ql);
    case 'Fail':
      return new FailState(name, sd, ql);
    case 'Parallel': {
      const branches = ((sd.Branches as Def[]) ?? []).map((b, i) => buildProgram(b, rootQl, `${path}/Branches/${i}`, problems));
      return new ParallelState(name, sd, ql, branches);
    }
    case 'Map': {
      const proc = (sd.ItemProcessor ?? sd.Iterator) as Def;
      const field = sd.ItemProcessor ? 'ItemProcessor' : 'Iterator';
      const processor = buildProgram(proc ?? { States: {} }, rootQl, `${path}/${field}`, problems);
      return new MapState(name, sd, ql, processor);
    }
    default:
      throw new Error(`unknown state type ${String(sd.Type)}`);
  }
}

/** Whether an execution ARN is an Express execution's (`arn:<partition>:states:<region>:<account>:express:...`). */
export function isExpressArn(arn: string): boolean {
  let colons = 0;
  for (let i = 0; i < arn.length; i++) {
    if (arn.charCodeAt(i) === 58 && ++colons === 5) return arn.startsWith('express:', i + 1);
  }
  return false;
}

function arnPart(arn: string, index: number, fallback: string): string {
  const parts = arn.split(':');
  return parts[index] || fallback;
}

class Machine implements CompiledStateMachine {
  private readonly executor = new Executor();
  private arnCache?: { arn: string; region: string; defaultRole: string; stateMachine: ContextObject['StateMachine'] };

  /** What the state machine ARN gives (region, account's default role, $$.StateMachine), parsed once. */
  private arnInfo(smArn: string) {
    const c = this.arnCache;
    if (c && c.arn === smArn) return c;
    const parts = smArn.split(':');
    const account = arnPart(smArn, 4, '123456789012');
    const info = {
      arn: smArn,
      region: arnPart(smArn, 3, 'us-east-1'),
      defaultRole: `arn:aws:iam::${account}:role/service-role/StepFunctions-local`,
      stateMachine: Object.freeze({ Id: smArn, Name: parts[6] ?? parts[parts.length - 1] }),
    };
    this.arnCache = info;
    return info;
  }

  constructor(
    readonly definition: unknown,
    private readonly root: Program,
    private readonly timeoutSeconds: number | undefined,
  ) {}

  async execute(options: ExecuteOptions): Promise<ExecutionResult> {
    const clock = options.clock ?? systemClock;
    const recorder = new EventRecorder(clock, options.onEvent);
    const inputText = options.input === undefined || options.input === '' ? '{}' : options.input;
    const input = 'inputValue' in options ? options.inputValue : (JSON.parse(inputText) as unknown);
    const startDate = clock.now();
    const arn = this.arnInfo(options.stateMachineArn);
    const roleArn = options.roleArn ?? arn.defaultRole;
    const execution: ContextObject['Execution'] = {
      Id: options.executionArn,
      Input: input,
      StartTime: startDate.toISOString(),
      Name: options.name,
      RoleArn: roleArn,
    };
    // Express executions cannot be redriven, and their context object has no RedriveCount (an Express execution
    // ARN is `arn:...:express:<machine>:<name>:<id>`).
    if (!isExpressArn(options.executionArn)) execution.RedriveCount = options.redriveCount ?? 0;
    const stateMachine = arn.stateMachine;
    const exec: ExecutionRuntime = {
      recorder,
      clock,
      handlers: options.taskHandlers,
      region: arn.region,
      random: options.random ?? Math.random,
      execution,
      stateMachine,
      executor: this.executor,
    };
    recorder.add('ExecutionStarted', 0, 'executionStartedEventDetails', {
      input: inputText,
      inputDetails: NOT_TRUNCATED,
      roleArn,
    });
    const root = new Thread(recorder, 0);

    const ac = new CancelToken();
    let stopReason: 'aborted' | 'timeout' | undefined;
    let stopPromise: Promise<undefined> | undefined;
    let onUserAbort: (() => void) | undefined;
    const timed = this.timeoutSeconds !== undefined;
    let cancelTimer: (() => void) | undefined;
    if (options.signal || timed) {
      let stopped!: () => void;
      stopPromise = new Promise<undefined>((resolve) => (stopped = () => resolve(undefined)));
      const stop = (why: 'aborted' | 'timeout') => {
        if (stopReason) return;
        stopReason = why;
        ac.abort(new ExecutionAbortedError(why));
        stopped();
      };
      if (options.signal) {
        onUserAbort = () => stop('aborted');
        if (options.signal.aborted) stop('aborted');
        else options.signal.addEventListener('abort', onUserAbort, { once: true });
      }
      if (timed) cancelTimer = startTimer(clock, this.timeoutSeconds! * 1000, () => stop('timeout'));
    }

    let status: ExecutionResult['status'];
    let output: string | undefined;
    let error: string | undefined;
    let cause: string | undefined;
    try {
      const run = this.executor.runProgramJson(this.root, input, { exec, thread: root, vars: new VarScope(), cancel: ac }, toJson(input));
      let exit: Exit | undefined;
      if (!stopPromise) exit = await run;
      else {
        run.catch(() => undefined);
        exit = await Promise.race([run, stopPromise]);
      }
      if (stopReason || !exit) throw new ExecutionAbortedError();
      output = exit.json;
      status = 'SUCCEEDED';
      root.emit('ExecutionSucceeded', 'executionSucceededEventDetails', { output, outputDetails: NOT_TRUNCATED });
    } catch (e) {
      if (stopReason === 'timeout') {
        // Recorded on AWS: DescribeExecution of a TIMED_OUT execution has no error and no cause; only the
        // ExecutionTimedOut event names States.Timeout, and its previousEventId is 0.
        status = 'TIMED_OUT';
        recorder.add('ExecutionTimedOut', 0, 'executionTimedOutEventDetails', { error: 'States.Timeout' });
      } else if (stopReason === 'aborted' || e instanceof ExecutionAbortedError) {
        status = 'ABORTED';
        // StopExecution may give an error and a cause (the AbortSignal's reason {error, cause}).
        const reason = options.signal?.reason as { error?: unknown; cause?: unknown } | undefined;
        const details: Record<string, unknown> = {};
        if (reason && typeof reason === 'object') {
          if (typeof reason.cause === 'string') details.cause = cause = reason.cause;
          if (typeof reason.error === 'string') details.error = error = reason.error;
        }
        if (details.error !== undefined || details.cause !== undefined) root.emit('ExecutionAborted', 'executionAbortedEventDetails', details);
        else root.emit('ExecutionAborted');
      } else {
        const err: AslError = toAslError(e);
        status = 'FAILED';
        error = err.name || undefined;
        cause = err.aslCause;
        const details: Record<string, unknown> = {};
        if (cause !== undefined) details.cause = cause;
        if (error !== undefined) details.error = error;
        root.emit('ExecutionFailed', 'executionFailedEventDetails', details);
      }
    } finally {
      cancelTimer?.();
      if (onUserAbort) options.signal?.removeEventListener('abort', onUserAbort);
      recorder.closed = true;
    }
    const result: ExecutionResult = { status, startDate, stopDate: clock.now(), events: recorder.events };
    if (output !== undefined) result.output = output;
    if (error !== undefined) result.error = error;
    if (cause !== undefined) result.cause = cause;
    return result;
  }
}

/**
 * Validates and compiles a definition (JSON text or object). Throws DefinitionError listing every
 * problem found.
 */
export function compileStateMachine(definition: string | object): CompiledStateMachine {
  let def: Def;
  if (typeof definition === 'string') {
    try {
      def = JSON.parse(definition) as Def;
    } catch (e) {
      throw new DefinitionError([{ path: '/', message: `the definition is not valid JSON: ${(e as Error).message}` }]);
    }
  } else def = definition as Def;
  const problems = validateDefinition(def);
  const ql = ((def.QueryLanguage as QueryLanguage | undefined) ?? 'JSONPath') as QueryLanguage;
  const root = buildProgram(def, ql, '', problems);
  if (problems.length > 0) throw new DefinitionError(dedupeProblems(problems));
  return new Machine(def, root, typeof def.TimeoutSeconds === 'number' ? def.TimeoutSeconds : undefined);
}
