/**
 * Wait: Seconds / Timestamp / SecondsPath / TimestampPath, or their JSONata forms.
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
 */
import { parseTimestamp } from '../choice-rules';
import { QueryEvaluationError, RuntimeError } from '../errors';
import { toJson } from '../json';
import { compileJsonataTemplate, type JsonataTemplate } from '../jsonata';
import { compileRef, type EvalEnv, type Ref } from '../refs';
import type { QueryLanguage } from '../types';
import { BaseState, type Def, type StateCtx, type StateResult } from './base';

export class WaitState extends BaseState {
  readonly type = 'Wait' as const;
  readonly shape = 'flow' as const;
  private readonly seconds?: number | JsonataTemplate;
  private readonly timestamp?: string | JsonataTemplate;
  private readonly secondsPath?: Ref;
  private readonly timestampPath?: Ref;

  constructor(name: string, def: Def, ql: QueryLanguage) {
    super(name, def, ql);
    if (ql === 'JSONata') {
      if ('Seconds' in def) this.seconds = typeof def.Seconds === 'number' ? def.Seconds : compileJsonataTemplate(def.Seconds, 'Seconds');
      if ('Timestamp' in def) this.timestamp = compileJsonataTemplate(def.Timestamp, 'Timestamp');
    } else {
      if (typeof def.Seconds === 'number') this.seconds = def.Seconds;
      if (typeof def.Timestamp === 'string') this.timestamp = def.Timestamp;
      if (typeof def.SecondsPath === 'string') this.secondsPath = compileRef(def.SecondsPath);
      if (typeof def.TimestampPath === 'string') this.timestampPath = compileRef(def.TimestampPath);
    }
  }

  private async waitMs(input: unknown, ctx: StateCtx): Promise<number> {
    const jsonata = this.isJsonata;
    const bad = (msg: string) => (jsonata ? new QueryEvaluationError(msg) : new RuntimeError(msg));
    if (this.secondsPath) return secondsPathMs(this.secondsPath, ctx.env(input));
    if (this.timestampPath) return this.untilMs(timestampPathMs(this.timestampPath, ctx.env(input)), ctx);
    if (this.seconds !== undefined) {
      const seconds = typeof this.seconds === 'number' ? this.seconds : await this.seconds.evaluate(ctx.bindings());
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw bad(`The Seconds field must be a non-negative integer, but got ${toJson(seconds)}`);
      }
      return seconds * 1000;
    }
    if (this.timestamp === undefined) return 0;
    const timestamp = typeof this.timestamp === 'string' ? this.timestamp : await this.timestamp.evaluate(ctx.bindings());
    const t = parseTimestamp(timestamp);
    if (t === undefined) throw bad(`The Timestamp field must be an ISO-8601 timestamp, but got ${toJson(timestamp)}`);
    return this.untilMs(t, ctx);
  }

  /**
   * The wait until a timestamp, from now. "Step Functions considers the time value up to seconds and truncates
   * milliseconds" (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html). A timestamp in the past
   * does not wait; one far in the future waits (recorded on AWS 800 days ahead: the state is entered and the
   * execution keeps running, LocalStack tests/aws/services/stepfunctions/v2/base/test_wait.snapshot.json,
   * test_timestamp_too_far_in_future_fails).
   */
  private untilMs(t: number, ctx: StateCtx): number {
    return Math.max(0, Math.floor(t / 1000) * 1000 - ctx.exec.clock.now().getTime());
  }

  async execute(input: unknown, ctx: StateCtx): Promise<StateResult> {
    const ms = await this.waitMs(input, ctx);
    if (ms > 0) await ctx.exec.clock.sleep(ms, ctx.cancel.signal);
    return { result: input };
  }
}

/** A string as is, any other value as JSON, after " == " in the causes below. */
function shown(v: unknown): string {
  return typeof v === 'string' ? v : toJson(v);
}

/**
 * SecondsPath's value in ms. The causes are AWS's, as LocalStack reproduces them
 * (localstack-core/.../state_wait/wait_function/seconds_path.py): "The SecondsPath parameter does not reference
 * an input value: $.x", "... cannot be parsed as a long value: $.x == abc", "... references a negative value:
 * $.x == -1".
 */
function secondsPathMs(ref: Ref, env: EvalEnv): number {
  const r = ref.read(env);
  if (!r.found) throw new RuntimeError(`The SecondsPath parameter does not reference an input value: ${ref.source}`);
  const v = r.value;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new RuntimeError(`The SecondsPath parameter cannot be parsed as a long value: ${ref.source} == ${shown(v)}`);
  }
  if (v < 0) throw new RuntimeError(`The SecondsPath parameter references a negative value: ${ref.source} == ${v}`);
  return v * 1000;
}

/**
 * TimestampPath's instant. Recorded on AWS for a timestamp without its Z or offset (LocalStack
 * tests/aws/services/stepfunctions/v2/base/test_wait.snapshot.json, test_wait_timestamppath[.000000]):
 * "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string:
 * $.start_at == 2023-12-11T22:06:14.000000"; any number of fraction digits before the Z is accepted.
 * A path that selects nothing: "The TimestampPath parameter does not reference an input value: $.x".
 */
function timestampPathMs(ref: Ref, env: EvalEnv): number {
  const r = ref.read(env);
  if (!r.found) throw new RuntimeError(`The TimestampPath parameter does not reference an input value: ${ref.source}`);
  const t = parseTimestamp(r.value);
  if (t === undefined) {
    throw new RuntimeError(
      `The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${ref.source} == ${shown(r.value)}`,
    );
  }
  return t;
}
