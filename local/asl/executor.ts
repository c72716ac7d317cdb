/**
 * The executor: runs a program (the state machine, a Parallel branch, a Map's ItemProcessor) state by
 * state, and owns the pipeline every state shares:
 *   JSONPath: InputPath → Parameters → execute → ResultSelector → Assign → ResultPath → OutputPath
 *   JSONata:  Arguments → execute → Assign + Output (both see the variables as they were before the state)
 * plus Retry and Catch, the StateEntered/StateExited events and error decoration.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html
 */
import {
  AslError,
  dataLimitCause,
  ExecutionAbortedError,
  QueryEvaluationError,
  RuntimeError,
  TerminalDataLimitExceededError,
  toAslError,
} from './errors';
import { NOT_TRUNCATED } from './events';
import { exceedsBytes, MAX_PAYLOAD_BYTES, MAX_VARIABLES_BYTES, toJson, utf8Bytes } from './json';
import type { JsonataBindings, JsonataTemplate } from './jsonata';
import type { Evaluator } from './payload';
import type { Catcher } from './retry';
import type { EvalEnv, Ref } from './refs';
import type { CompiledPath, Segment } from './jsonpath';
import { StateCtx, type BaseState, type RunCtx, type StateResult } from './states/base';

/** A compiled list of states with a start: the machine, a branch or an item processor. */
export interface Program {
  startAt: string;
  states: Map<string, BaseState>;
}

/** How a state ended: its output (and JSON text) and where to go next (undefined: the end). */
export interface Exit {
  output: unknown;
  json: string;
  next?: string;
}

const TYPES = ['Pass', 'Task', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map'] as const;
const STATE_ENTERED = Object.fromEntries(TYPES.map((t) => [t, `${t}StateEntered`])) as Record<string, string>;
const STATE_EXITED = Object.fromEntries(TYPES.map((t) => [t, `${t}StateExited`])) as Record<string, string>;
const FAILED_EVENT: Record<string, string> = { Parallel: 'ParallelStateFailed', Map: 'MapStateFailed' };

const DECORATED = Symbol('decorated');
const REPORTED = Symbol('reported');
/** Set on an error leaving a state of a branch/iteration that AWS records as `<Type>StateAborted`. */
export const ABORTED_STATE = Symbol('abortedState');

type Marked = AslError & { [DECORATED]?: boolean; [REPORTED]?: boolean; [ABORTED_STATE]?: string };

function decorate(err: AslError, state: BaseState, enteredId: number): AslError {
  const e = err as Marked;
  if (e[DECORATED]) return err;
  if (err.name === 'States.Runtime' || err.name === 'States.QueryEvaluationError') {
    const cause = `An error occurred while executing the state '${state.name}' (entered at the event id #${enteredId}). ${err.aslCause ?? ''}`.trimEnd();
    const copy = err instanceof QueryEvaluationError ? new QueryEvaluationError(cause, err.location, err.beforeEntered) : new RuntimeError(cause);
    (copy as Marked)[DECORATED] = true;
    return copy;
  }
  e[DECORATED] = true;
  return err;
}

/** Takes the `<Type>StateAborted` mark off an error (the branch/iteration that sees it first records it). */
export function takeAbortedState(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const m = e as Marked;
  const t = m[ABORTED_STATE];
  if (t !== undefined) delete m[ABORTED_STATE];
  return t;
}

/**
 * The cause AWS gives for an InputPath/OutputPath that selects nothing: Jayway's message after the path.
 * A missing leaf gives "No results for path: $['a']['b']"; a missing intermediate property gives
 * "Missing property in path $['a']".
 */
export function invalidPathError(path: CompiledPath, root: unknown): RuntimeError {
  const fmt = (segs: Segment[]) => '$' + segs.map((s) => (typeof s === 'number' ? `[${s}]` : `['${s}']`)).join('');
  const segs = path.segments;
  let cur = root;
  let failedAt = segs.length - 1;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const ok =
      typeof s === 'number'
        ? Array.isArray(cur) && (s < 0 ? cur.length + s : s) < cur.length && (s < 0 ? cur.length + s : s) >= 0
        : cur !== null && typeof cur === 'object' && !Array.isArray(cur) && Object.prototype.hasOwnProperty.call(cur, s);
    if (!ok) {
      failedAt = i;
      break;
    }
    cur = typeof s === 'number' ? (cur as unknown[])[s < 0 ? (cur as unknown[]).length + s : s] : (cur as Record<string, unknown>)[s];
  }
  const detail =
    failedAt < segs.length - 1 && typeof segs[failedAt] === 'string'
      ? `Missing property in path ${fmt(segs.slice(0, failedAt + 1))}`
      : `No results for path: ${fmt(segs)}`;
  return new RuntimeError(`Invalid path '${path.source}' : ${detail}`);
}

/**
 * The variables one state assigns are at most 256 KiB together, and all the variables of an execution at most
 * 10 MiB ("The size of the Assign field in a single state must not exceed 256 KiB ... the total size of all
 * stored variables cannot exceed 10 MiB per execution", workflow-variables docs:
 * https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html). Sizes are of each value's
 * JSON text in UTF-8; the Assign's is its values as one JSON object. Both fail the execution like an output
 * over the quota (terminal). The causes are ours: no recording of them was found.
 */
function checkAssignSize(state: BaseState, ctx: StateCtx, assignBytes: number, sizes: Record<string, number>): void {
  if (assignBytes > MAX_PAYLOAD_BYTES) {
    throw new TerminalDataLimitExceededError(
      `The variables assigned by the state '${state.name}' have a size of ${assignBytes} bytes, exceeding the maximum number of bytes service limit (${MAX_PAYLOAD_BYTES}).`,
    );
  }
  const held = ctx.vars.heldBytesAfter(sizes);
  if (held > MAX_VARIABLES_BYTES) {
    throw new TerminalDataLimitExceededError(
      `The variables of the execution would have a total size of ${held} bytes after the state '${state.name}', exceeding the maximum number of bytes service limit (${MAX_VARIABLES_BYTES}).`,
    );
  }
}

export class Executor {
  /** Runs a program to its end; returns its output or throws the AslError that ended it. */
  async runProgram(program: Program, input: unknown, rc: RunCtx, inputJson?: string): Promise<unknown> {
    return (await this.runProgramJson(program, input, rc, inputJson)).output;
  }

  /** Like runProgram, also returning the output's JSON text (already made for the last StateExited). */
  async runProgramJson(program: Program, input: unknown, rc: RunCtx, inputJson?: string): Promise<Exit> {
    let name = program.startAt;
    let data = input;
    let json = inputJson;
    for (;;) {
      if (rc.cancel.aborted) throw new ExecutionAbortedError();
      const state = program.states.get(name)!;
      const r = await this.runState(state, data, rc, json);
      if (r.next === undefined) return r;
      name = r.next;
      data = r.output;
      json = r.json;
    }
  }

  /**
   * Decorates an error with the state's prefix and, for a JSONata failure, records its EvaluationFailed
   * event (once per attempt, as AWS does: a retried expression failure leaves one event per attempt).
   */
  private report(e: unknown, state: BaseState, ctx: StateCtx, previousEventId?: number): AslError {
    const err = decorate(toAslError(e), state, ctx.enteredId) as Marked;
    if (err instanceof QueryEvaluationError && !(err as Marked)[REPORTED]) {
      (err as Marked)[REPORTED] = true;
      const details: Record<string, unknown> = { cause: err.aslCause, error: err.name };
      if (err.location) details.location = err.location;
      details.state = state.name;
      // A Map's Items failure chains from the event before MapStateEntered, as recorded on AWS.
      if (previousEventId === undefined && err.beforeEntered) previousEventId = ctx.enteredPrev;
      if (previousEventId === undefined) ctx.thread.emit('EvaluationFailed', 'evaluationFailedEventDetails', details);
      else {
        const id = ctx.exec.recorder.add('EvaluationFailed', previousEventId, 'evaluationFailedEventDetails', details);
        if (id) ctx.thread.last = id;
      }
    }
    return err;
  }

  private async runState(state: BaseState, raw: unknown, rc: RunCtx, rawJson: string | undefined): Promise<Exit> {
    const inputJson = rawJson ?? toJson(raw);
    const enteredPrev = rc.thread.last;
    const enteredId = rc.thread.emit(STATE_ENTERED[state.type], 'stateEnteredEventDetails', {
      input: inputJson,
      inputDetails: NOT_TRUNCATED,
      name: state.name,
    });
    const ctx = new StateCtx(rc, state, raw, enteredId, rc.exec.recorder.latestTime);
    ctx.enteredPrev = enteredPrev;
    // A state's input is never changed in place (ResultPath copies; the integrations copy what they get, as
    // AWS serializes it): its JSON text can be reused for an output or a variable that is the input itself.
    ctx.rawJson = inputJson;
    try {
      return state.isJsonata ? await this.pipelineJsonata(state, raw, ctx) : await this.pipelineJsonPath(state, raw, ctx);
    } catch (e) {
      if (rc.cancel.aborted && !(e instanceof AslError && e.name !== 'States.Aborted')) {
        // Stopped from outside (execution stopped, or a sibling branch/iteration failed) mid-state.
        const stopped = new ExecutionAbortedError() as Marked;
        stopped[ABORTED_STATE] = state.type;
        throw stopped;
      }
      // A failure after a Parallel/Map succeeded (its ResultSelector, Output...) follows its *StateSucceeded.
      if (ctx.containerSucceeded) ctx.thread.last = ctx.containerSucceeded;
      const err = this.report(e, state, ctx) as Marked;
      if (!err.catchable) throw err;
      // Parallel/Map record their failure once, when it is final (after retries), before any Catch.
      const container = (state.type === 'Parallel' || state.type === 'Map') && !ctx.containerSucceeded;
      const beforeFailed = ctx.thread.last;
      if (container) ctx.thread.emit(FAILED_EVENT[state.type]);
      if (state.catchers.length > 0) {
        const catcher = state.catchers.find((c) => c.matches(err));
        if (catcher) {
          try {
            return await this.applyCatch(state, catcher, err, raw, ctx);
          } catch (e2) {
            // The catcher's own Output/Assign failed: recorded from where the state stood before it failed.
            const err2 = this.report(e2, state, ctx, container ? beforeFailed : undefined);
            if (container && err2.catchable) ctx.thread.emit(FAILED_EVENT[state.type]);
            throw err2;
          }
        }
      }
      if (rc.nested && state.type === 'Task') err[ABORTED_STATE] = 'Task';
      throw err;
    }
  }

  // ---------------------------------------------------------------- JSONPath

  private readRef(ref: Ref, data: unknown, ctx: StateCtx): unknown {
    const r = ref.read(ctx.env(data));
    if (!r.found) throw new RuntimeError(`Invalid path '${ref.source}' : No results for path: ${ref.source}`);
    return r.value;
  }

  private inputPath(state: BaseState, raw: unknown, ctx: StateCtx): unknown {
    if (state.inputRef) return this.readRef(state.inputRef, raw, ctx);
    if (state.inputPath === undefined) return raw;
    if (state.inputPath === null) return {};
    if (raw === null && state.inputPath.segments.length > 0) throw new RuntimeError('Unable to apply Path transformation to null or empty input.');
    const r = state.inputPath.read(raw);
    if (!r.found) throw invalidPathError(state.inputPath, raw);
    return r.value;
  }

  private outputPath(state: BaseState, out: unknown, ctx: StateCtx): unknown {
    if (state.outputRef) return this.readRef(state.outputRef, out, ctx);
    if (state.outputPath === undefined) return out;
    if (state.outputPath === null) return {};
    const r = state.outputPath.read(out);
    if (!r.found) throw invalidPathError(state.outputPath, out);
    return r.value;
  }

  private evalAssignPath(spec: { names: string[]; fns: Evaluator[] }, env: EvalEnv): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < spec.names.length; i++) out[spec.names[i]] = spec.fns[i](env);
    return out;
  }

  private async pipelineJsonPath(state: BaseState, raw: unknown, ctx: StateCtx): Promise<Exit> {
    const eff = this.inputPath(state, raw, ctx);
    if (state.shape === 'fail') {
      await state.execute(eff, ctx);
      throw new RuntimeError('Fail state did not fail');
    }
    if (state.shape === 'flow') {
      let r = state.execute(eff, ctx);
      if (r instanceof Promise) r = await r;
      const assignSpec = r.assignPath === undefined ? state.assignPath : r.assignPath ?? undefined;
      const assigned = assignSpec ? this.evalAssignPath(assignSpec, ctx.env(eff)) : undefined;
      const output = this.outputPath(state, eff, ctx);
      return this.exit(state, ctx, output, assigned, r.end ? undefined : r.next ?? state.next);
    }
    const result =
      state.retriers.length === 0
        ? await this.attemptJsonPath(state, eff, ctx)
        : await this.withRetry(state, ctx, () => this.attemptJsonPath(state, eff, ctx));
    const assigned = state.assignPath ? this.evalAssignPath(state.assignPath, ctx.env(result)) : undefined;
    let out: unknown;
    if (state.resultPath === undefined) out = result;
    else if (state.resultPath === null) out = raw;
    else out = state.resultPath.apply(raw, result);
    out = this.outputPath(state, out, ctx);
    return this.exit(state, ctx, out, assigned, state.next);
  }

  private async attemptJsonPath(state: BaseState, eff: unknown, ctx: StateCtx): Promise<unknown> {
    const payload = state.parameters && state.usesParameters ? state.parameters(ctx.env(eff)) : eff;
    let r = state.execute(payload, ctx);
    if (r instanceof Promise) r = await r;
    return state.resultSelector ? state.resultSelector(ctx.env(r.result)) : r.result;
  }

  // ---------------------------------------------------------------- JSONata

  /** Evaluates an Assign; returns the values, or a Promise when some expression needed jsonata itself. */
  private evalAssignJsonata(
    spec: { names: string[]; templates: JsonataTemplate[] },
    b: JsonataBindings,
  ): Record<string, unknown> | Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const n = spec.names.length;
    for (let i = 0; i < n; i++) {
      const t = spec.templates[i];
      const v = t.constant ? t.value : t.run(b);
      if (v instanceof Promise) return this.finishAssign(spec, b, out, i, v);
      out[spec.names[i]] = v;
    }
    return out;
  }

  private async finishAssign(
    spec: { names: string[]; templates: JsonataTemplate[] },
    b: JsonataBindings,
    out: Record<string, unknown>,
    from: number,
    pending: Promise<unknown>,
  ): Promise<Record<string, unknown>> {
    out[spec.names[from]] = await pending;
    for (let i = from + 1; i < spec.names.length; i++) {
      const t = spec.templates[i];
      out[spec.names[i]] = t.constant ? t.value : await t.run(b);
    }
    return out;
  }

  private async attemptJsonata(state: BaseState, raw: unknown, ctx: StateCtx): Promise<unknown> {
    let payload: unknown = raw;
    if (state.arguments && state.usesParameters) {
      const a = state.arguments;
      payload = a.constant ? a.value : a.run(ctx.bindings());
      if (payload instanceof Promise) payload = await payload;
    }
    let r = state.execute(payload, ctx);
    if (r instanceof Promise) r = await r;
    return r.result;
  }

  private async pipelineJsonata(state: BaseState, raw: unknown, ctx: StateCtx): Promise<Exit> {
    if (state.shape === 'fail') {
      await state.execute(raw, ctx);
      throw new RuntimeError('Fail state did not fail');
    }
    if (state.shape === 'flow') {
      let r = state.execute(raw, ctx);
      if (r instanceof Promise) r = await r;
      const assignSpec = r.assignJsonata === undefined ? state.assignJsonata : r.assignJsonata ?? undefined;
      const outputT = r.output === undefined ? state.output : r.output ?? undefined;
      let assigned: Record<string, unknown> | Promise<Record<string, unknown>> | undefined;
      let output: unknown = raw;
      if (assignSpec || (outputT && !outputT.constant)) {
        const b = ctx.bindings();
        if (assignSpec) {
          assigned = this.evalAssignJsonata(assignSpec, b);
          if (assigned instanceof Promise) assigned = await assigned;
        }
        if (outputT) {
          output = outputT.constant ? outputT.value : outputT.run(b);
          if (output instanceof Promise) output = await output;
        }
      } else if (outputT) output = outputT.value;
      return this.exit(state, ctx, output, assigned as Record<string, unknown> | undefined, r.end ? undefined : r.next ?? state.next);
    }
    const result =
      state.retriers.length === 0 ? await this.attemptJsonata(state, raw, ctx) : await this.withRetry(state, ctx, () => this.attemptJsonata(state, raw, ctx));
    let assigned: Record<string, unknown> | Promise<Record<string, unknown>> | undefined;
    let output: unknown = result;
    if (state.assignJsonata || (state.output && !state.output.constant)) {
      const b = ctx.bindings({ result });
      if (state.assignJsonata) {
        assigned = this.evalAssignJsonata(state.assignJsonata, b);
        if (assigned instanceof Promise) assigned = await assigned;
      }
      if (state.output) {
        output = state.output.constant ? state.output.value : state.output.run(b);
        if (output instanceof Promise) output = await output;
      }
    } else if (state.output) output = state.output.value;
    else if (state.type === 'Pass') output = raw;
    return this.exit(state, ctx, output, assigned as Record<string, unknown> | undefined, state.next);
  }

  // ---------------------------------------------------------------- shared

  private exit(
    state: BaseState,
    ctx: StateCtx,
    output: unknown,
    assigned: Record<string, unknown> | undefined,
    next: string | undefined,
  ): Exit {
    const json = ctx.jsonOf(output);
    // The state's output (after OutputPath / Output; the execution's output for a last state) is at most
    // 256 KiB of UTF-8, or the execution fails at once (terminal: no Catch, no StateExited).
    if (exceedsBytes(json, MAX_PAYLOAD_BYTES)) throw new TerminalDataLimitExceededError(dataLimitCause(state.name));
    let details: Record<string, unknown>;
    if (assigned) {
      const av: Record<string, string> = {};
      const sizes: Record<string, number> = {};
      let total = 1; // the Assign's values as one JSON object: {"name":value,...} = 1 + Σ (name + 4 + value)
      for (const k in assigned) {
        const text = (av[k] = ctx.jsonOf(assigned[k]));
        const size = (sizes[k] = utf8Bytes(text));
        total += utf8Bytes(k) + 4 + size;
      }
      checkAssignSize(state, ctx, total, sizes);
      ctx.vars.assign(assigned, sizes);
      details = { assignedVariables: av, assignedVariablesDetails: NOT_TRUNCATED, name: state.name, output: json, outputDetails: NOT_TRUNCATED };
    } else {
      details = { name: state.name, output: json, outputDetails: NOT_TRUNCATED };
    }
    ctx.thread.emit(STATE_EXITED[state.type], 'stateExitedEventDetails', details);
    return { output, next, json };
  }

  private async withRetry(state: BaseState, ctx: StateCtx, attempt: () => Promise<unknown>): Promise<unknown> {
    if (state.retriers.length === 0) return attempt();
    const counts = new Array<number>(state.retriers.length).fill(0);
    for (;;) {
      try {
        return await attempt();
      } catch (e) {
        if (ctx.cancel.aborted) throw e;
        const err = this.report(e, state, ctx);
        if (!err.retryable) throw err;
        const i = state.retriers.findIndex((r) => r.matches(err));
        if (i < 0) throw err;
        const retrier = state.retriers[i];
        if (counts[i] >= retrier.maxAttempts) throw err;
        const delay = retrier.delayMs(counts[i], ctx.exec.random);
        counts[i]++;
        ctx.retryCount++;
        await ctx.exec.clock.sleep(delay, ctx.cancel.signal);
      }
    }
  }

  private async applyCatch(
    state: BaseState,
    catcher: Catcher,
    err: AslError,
    raw: unknown,
    ctx: StateCtx,
  ): Promise<Exit> {
    const errorOutput = err.toErrorOutput();
    let assigned: Record<string, unknown> | undefined;
    let output: unknown;
    if (state.isJsonata) {
      const b = ctx.bindings({ errorOutput });
      if (catcher.assignJsonata) assigned = await this.evalAssignJsonata(catcher.assignJsonata, b);
      output = catcher.output ? await (catcher.output.constant ? catcher.output.value : catcher.output.run(b)) : errorOutput;
    } else {
      if (catcher.assignPath) assigned = this.evalAssignPath(catcher.assignPath, ctx.env(errorOutput));
      output = catcher.resultPath === null ? raw : catcher.resultPath.apply(raw, errorOutput);
    }
    return this.exit(state, ctx, output, assigned, catcher.next);
  }
}

export type { StateResult };
