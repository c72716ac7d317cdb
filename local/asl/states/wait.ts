/**
 * Wait: Seconds / Timestamp / SecondsPath / TimestampPath, or their JSONata forms.
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
 */
import { parseTimestamp } from '../choice-rules';
import { QueryEvaluationError, RuntimeError } from '../errors';
import { toJson } from '../json';
import { compileJsonataTemplate, type JsonataTemplate } from '../jsonata';
import { compileRef, type Ref } from '../refs';
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
    let seconds: unknown;
    let timestamp: unknown;
    let field = '';
    if (this.seconds !== undefined) {
      field = 'Seconds';
      seconds = typeof this.seconds === 'number' ? this.seconds : await this.seconds.evaluate(ctx.bindings());
    } else if (this.secondsPath) {
      field = 'SecondsPath';
      const r = this.secondsPath.read(ctx.env(input));
      if (!r.found) throw new RuntimeError(`Invalid path '${this.secondsPath.source}' : No results for path: ${this.secondsPath.source}`);
      seconds = r.value;
    } else if (this.timestamp !== undefined) {
      field = 'Timestamp';
      timestamp = typeof this.timestamp === 'string' ? this.timestamp : await this.timestamp.evaluate(ctx.bindings());
    } else if (this.timestampPath) {
      field = 'TimestampPath';
      const r = this.timestampPath.read(ctx.env(input));
      if (!r.found) throw new RuntimeError(`Invalid path '${this.timestampPath.source}' : No results for path: ${this.timestampPath.source}`);
      timestamp = r.value;
    }
    if (field.startsWith('Seconds')) {
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw bad(`The ${field} field must be a non-negative integer, but got ${toJson(seconds)}`);
      }
      return seconds * 1000;
    }
    const t = parseTimestamp(timestamp);
    if (t === undefined) throw bad(`The ${field} field must be an ISO-8601 timestamp, but got ${toJson(timestamp)}`);
    return Math.max(0, t - ctx.exec.clock.now().getTime());
  }

  async execute(input: unknown, ctx: StateCtx): Promise<StateResult> {
    const ms = await this.waitMs(input, ctx);
    if (ms > 0) await ctx.exec.clock.sleep(ms, ctx.cancel.signal);
    return { result: input };
  }
}
