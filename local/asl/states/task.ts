/**
 * Task: calls the handler registered for its Resource, with TimeoutSeconds/HeartbeatSeconds, and emits
 * TaskScheduled/Started/Succeeded/Failed/TimedOut (or the LambdaFunction* events for a plain Lambda ARN).
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html
 */
import {
  AslError,
  dataLimitCause,
  DataLimitExceededError,
  ExecutionAbortedError,
  HeartbeatTimeoutError,
  TerminalDataLimitExceededError,
  TimeoutError,
  UnsupportedResourceError,
  toAslError,
} from '../errors';
import { NOT_TRUNCATED } from '../events';
import { exceedsBytes, MAX_PAYLOAD_BYTES, toJson } from '../json';
import { compileJsonataTemplate, type JsonataTemplate } from '../jsonata';
import { compileRef, type Ref } from '../refs';
import type { QueryLanguage, TaskInvocation } from '../types';
import { CancelToken } from '../cancel';
import { startTimer } from '../clock';
import { BaseState, resolveNumber, type Def, type StateCtx, type StateResult } from './base';

export { MAX_PAYLOAD_BYTES } from '../json';

const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:/;

/** 'arn:aws:states:::aws-sdk:dynamodb:getItem' → { resourceType: 'aws-sdk:dynamodb', resource: 'getItem' }. */
export function splitResource(arn: string): { resourceType: string; resource: string } {
  const m = /^arn:[^:]+:states:[^:]*:[^:]*:(.+)$/.exec(arn);
  if (m) {
    const rest = m[1];
    const i = rest.lastIndexOf(':');
    if (i > 0) return { resourceType: rest.slice(0, i), resource: rest.slice(i + 1) };
  }
  return { resourceType: 'unknown', resource: arn };
}

/**
 * What a handler receives. A class (not an object literal with getters, which makes V8 build a new
 * hidden class per task and slowed the hot path ~5x); context and signal are made on first use.
 */
class Invocation implements TaskInvocation {
  beat = false;
  taskToken?: string;
  /** The task's own token (a child of the execution's), made on first use when the task can time out. */
  private own?: CancelToken;
  private settled = false;
  constructor(
    readonly resource: string,
    readonly input: unknown,
    readonly stateName: string,
    private readonly ctx: StateCtx,
    private readonly outer: CancelToken,
    private readonly timed: boolean,
  ) {}
  get context() {
    return this.ctx.context();
  }
  get signal(): AbortSignal {
    if (!this.timed) return this.outer.signal;
    if (!this.own) {
      this.own = this.outer.child();
      // Asked for after the task settled: nothing detaches it any more.
      if (this.settled) this.own.detach();
    }
    return this.own.signal;
  }
  /** Aborts the handler's signal (the task timed out), not the execution's. */
  abortOwn(reason: unknown): void {
    if (this.own) this.own.abort(reason);
    else if (this.timed) {
      this.own = new CancelToken();
      this.own.abort(reason);
    }
  }
  /** The task settled: its token no longer follows the execution's. */
  detach(): void {
    this.settled = true;
    this.own?.detach();
  }
  private hb?: () => void;
  /** Resets the HeartbeatSeconds timer (made on first use: most handlers never heartbeat). */
  get heartbeat(): () => void {
    return (this.hb ??= () => {
      this.beat = true;
    });
  }
  /** Set by the task: records TaskSubmitted (a `.waitForTaskToken` / `.sync` request was accepted). */
  submitted?: (output: unknown) => void;
}

/** Rejects as soon as the token is aborted (a sibling branch/iteration failed), whatever the handler does. */
function raceAbort<T>(p: Promise<T>, token: CancelToken): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const off = token.onAbort(() => reject(new ExecutionAbortedError()));
    p.then(
      (v) => {
        off();
        resolve(v);
      },
      (e) => {
        off();
        reject(e);
      },
    );
  });
}

const TIMED_OUT = Symbol('timeout');
const SETTLED = Symbol('settled');
const HEARTBEAT = Symbol('heartbeat');

export class TaskState extends BaseState {
  readonly type = 'Task' as const;
  readonly shape = 'result' as const;
  readonly resource: string;
  private readonly isLambdaArn: boolean;
  private readonly resourceType: string;
  private readonly resourceName: string;
  override readonly needsTaskToken: boolean;
  private readonly recordsSubmitted: boolean;
  private readonly timeoutSeconds?: number;
  private readonly timeoutPath?: Ref;
  private readonly timeoutTmpl?: JsonataTemplate;
  private readonly heartbeatSeconds?: number;
  private readonly heartbeatPath?: Ref;
  private readonly heartbeatTmpl?: JsonataTemplate;

  constructor(name: string, def: Def, ql: QueryLanguage) {
    super(name, def, ql);
    this.resource = def.Resource as string;
    this.isLambdaArn = LAMBDA_ARN.test(this.resource);
    const split = splitResource(this.resource);
    this.resourceType = split.resourceType;
    this.resourceName = split.resource;
    this.needsTaskToken = this.resource.endsWith('.waitForTaskToken');
    this.recordsSubmitted = !this.isLambdaArn && (this.needsTaskToken || this.resource.endsWith('.sync') || this.resource.includes('.sync:'));
    if (typeof def.TimeoutSeconds === 'number') this.timeoutSeconds = def.TimeoutSeconds;
    else if (typeof def.TimeoutSeconds === 'string') this.timeoutTmpl = compileJsonataTemplate(def.TimeoutSeconds, 'TimeoutSeconds');
    if (typeof def.TimeoutSecondsPath === 'string') this.timeoutPath = compileRef(def.TimeoutSecondsPath);
    if (typeof def.HeartbeatSeconds === 'number') this.heartbeatSeconds = def.HeartbeatSeconds;
    else if (typeof def.HeartbeatSeconds === 'string') this.heartbeatTmpl = compileJsonataTemplate(def.HeartbeatSeconds, 'HeartbeatSeconds');
    if (typeof def.HeartbeatSecondsPath === 'string') this.heartbeatPath = compileRef(def.HeartbeatSecondsPath);
  }

  private failEvent(ctx: StateCtx, err: AslError): void {
    const details: Record<string, unknown> = {};
    if (err.aslCause !== undefined) details.cause = err.aslCause;
    details.error = err.name;
    if (this.isLambdaArn) {
      ctx.thread.emit('LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', details);
    } else {
      details.resource = this.resourceName;
      details.resourceType = this.resourceType;
      ctx.thread.emit('TaskFailed', 'taskFailedEventDetails', details);
    }
  }

  async execute(payload: unknown, ctx: StateCtx): Promise<StateResult> {
    const exec = ctx.exec;
    const handler = exec.handlers.resolve(this.resource);
    if (!handler) throw new UnsupportedResourceError(this.resource);
    const timeout =
      this.timeoutPath || this.timeoutTmpl
        ? await resolveNumber(ctx, ctx.rawInput, undefined, this.timeoutPath, this.timeoutTmpl)
        : this.timeoutSeconds;
    const heartbeat =
      this.heartbeatPath || this.heartbeatTmpl
        ? await resolveNumber(ctx, ctx.rawInput, undefined, this.heartbeatPath, this.heartbeatTmpl)
        : this.heartbeatSeconds;
    const params = toJson(payload);
    // "After Parameters processing, the input of a state is larger than the payload size quota"
    // (concepts-error-handling, States.DataLimitExceeded): the task is not scheduled. Terminal, like a state's
    // output. The cause is the one AWS gives for an output: none was found recorded for an input.
    if (exceedsBytes(params, MAX_PAYLOAD_BYTES)) throw new TerminalDataLimitExceededError(dataLimitCause(this.name));

    if (this.isLambdaArn) {
      const d: Record<string, unknown> = { input: params, inputDetails: NOT_TRUNCATED, resource: this.resource };
      if (timeout !== undefined) d.timeoutInSeconds = timeout;
      ctx.thread.emit('LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', d);
      ctx.thread.emit('LambdaFunctionStarted');
    } else {
      const d: Record<string, unknown> = { parameters: params, region: exec.region, resource: this.resourceName, resourceType: this.resourceType };
      if (timeout !== undefined) d.timeoutInSeconds = timeout;
      if (heartbeat !== undefined) d.heartbeatInSeconds = heartbeat;
      ctx.thread.emit('TaskScheduled', 'taskScheduledEventDetails', d);
      ctx.thread.emit('TaskStarted', 'taskStartedEventDetails', { resource: this.resourceName, resourceType: this.resourceType });
    }

    const outer = ctx.cancel;
    const timed = timeout !== undefined || heartbeat !== undefined;
    // The handler's signal: the execution's own token, or (made when the handler asks for it) a child one
    // when the task can time out.
    const invocation = new Invocation(this.resource, payload, this.name, ctx, outer, timed);
    if (ctx.taskToken) invocation.taskToken = ctx.taskToken;
    if (this.recordsSubmitted) {
      invocation.submitted = (output: unknown) => {
        ctx.thread.emit('TaskSubmitted', 'taskSubmittedEventDetails', {
          output: toJson(output),
          outputDetails: NOT_TRUNCATED,
          resource: this.resourceName,
          resourceType: this.resourceType,
        });
      };
    }

    let result: unknown;
    // Heartbeats loop on sleep() with an AbortController; a timeout alone is a cancellable timer (much cheaper).
    const timers = heartbeat !== undefined ? new AbortController() : undefined;
    let cancelTimeout: (() => void) | undefined;
    try {
      if (!timed) {
        result = ctx.run.nested ? await raceAbort(Promise.resolve().then(() => handler(invocation)), outer) : await handler(invocation);
      } else if (!timers) {
        const raced = new Promise<unknown>((resolve, reject) => {
          cancelTimeout = startTimer(exec.clock, timeout! * 1000, () => resolve(TIMED_OUT));
          Promise.resolve()
            .then(() => handler(invocation))
            .then(resolve, reject);
        });
        result = ctx.run.nested ? await raceAbort(raced, outer) : await raced;
      } else {
        const racers: Promise<unknown>[] = [Promise.resolve().then(() => handler(invocation))];
        if (timeout !== undefined) {
          racers.push(new Promise((resolve) => (cancelTimeout = startTimer(exec.clock, timeout * 1000, () => resolve(TIMED_OUT)))));
        }
        if (heartbeat !== undefined) {
          const loop = async (): Promise<symbol> => {
            for (;;) {
              await exec.clock.sleep(heartbeat * 1000, timers.signal);
              if (!invocation.beat) return HEARTBEAT;
              invocation.beat = false;
            }
          };
          racers.push(loop().catch(() => new Promise(() => undefined)));
        }
        result = ctx.run.nested ? await raceAbort(Promise.race(racers), outer) : await Promise.race(racers);
      }
    } catch (e) {
      if (outer.aborted) throw new ExecutionAbortedError();
      const err = toAslError(e);
      this.failEvent(ctx, err);
      throw err;
    } finally {
      if (timed) {
        cancelTimeout?.();
        timers?.abort(SETTLED); // a reason avoids building a DOMException per task
        invocation.detach();
      }
    }

    if (result === TIMED_OUT || result === HEARTBEAT) {
      invocation.abortOwn(new Error('task timed out'));
      const err = result === TIMED_OUT ? new TimeoutError() : new HeartbeatTimeoutError();
      const details: Record<string, unknown> = { error: err.name };
      if (this.isLambdaArn) {
        ctx.thread.emit('LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails', details);
      } else {
        details.resource = this.resourceName;
        details.resourceType = this.resourceType;
        ctx.thread.emit('TaskTimedOut', 'taskTimedOutEventDetails', details);
      }
      throw err;
    }

    const output = toJson(result);
    ctx.resultValue = result;
    ctx.resultJson = output;
    if (exceedsBytes(output, MAX_PAYLOAD_BYTES)) {
      // Recorded on AWS: the resource type ('lambda', 'aws-sdk:cloudformation') or the Lambda ARN is named.
      const err = new DataLimitExceededError(dataLimitCause(this.isLambdaArn ? this.resource : this.resourceType));
      this.failEvent(ctx, err);
      throw err;
    }
    if (this.isLambdaArn) {
      ctx.thread.emit('LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', { output, outputDetails: NOT_TRUNCATED });
    } else {
      ctx.thread.emit('TaskSucceeded', 'taskSucceededEventDetails', {
        output,
        outputDetails: NOT_TRUNCATED,
        resource: this.resourceName,
        resourceType: this.resourceType,
      });
    }
    return { result };
  }
}
