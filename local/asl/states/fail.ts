/**
 * Fail: stops with an Error and Cause (constants, ErrorPath/CausePath, or JSONata).
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html
 */
import { FailStateError, RuntimeError } from '../errors';
import { compileJsonataTemplate, type JsonataTemplate } from '../jsonata';
import { toJson } from '../json';
import { compileDynamic, type Evaluator } from '../payload';
import type { QueryLanguage } from '../types';
import { BaseState, type Def, type StateCtx, type StateResult } from './base';

export class FailState extends BaseState {
  readonly type = 'Fail' as const;
  readonly shape = 'fail' as const;
  private readonly error?: string | JsonataTemplate;
  private readonly cause?: string | JsonataTemplate;
  private readonly errorPath?: Evaluator;
  private readonly causePath?: Evaluator;

  constructor(name: string, def: Def, ql: QueryLanguage) {
    super(name, def, ql);
    if (ql === 'JSONata') {
      if (def.Error !== undefined) this.error = compileJsonataTemplate(def.Error, 'Error');
      if (def.Cause !== undefined) this.cause = compileJsonataTemplate(def.Cause, 'Cause');
    } else {
      this.error = def.Error as string | undefined;
      this.cause = def.Cause as string | undefined;
      if (typeof def.ErrorPath === 'string') this.errorPath = compileDynamic(def.ErrorPath, 'ErrorPath');
      if (typeof def.CausePath === 'string') this.causePath = compileDynamic(def.CausePath, 'CausePath');
    }
  }

  private async field(ctx: StateCtx, input: unknown, v: string | JsonataTemplate | undefined, path: Evaluator | undefined, field: string) {
    let out: unknown;
    if (path) out = path(ctx.env(input));
    else if (v === undefined || typeof v === 'string') return v;
    else out = v.constant ? v.value : await v.run(ctx.bindings());
    if (typeof out !== 'string') {
      throw new RuntimeError(`The value of the field '${field}' must be a string, but got ${toJson(out)}`);
    }
    return out;
  }

  async execute(input: unknown, ctx: StateCtx): Promise<StateResult> {
    const error = await this.field(ctx, input, this.error, this.errorPath, this.errorPath ? 'ErrorPath' : 'Error');
    const cause = await this.field(ctx, input, this.cause, this.causePath, this.causePath ? 'CausePath' : 'Cause');
    throw new FailStateError(error ?? '', cause);
  }
}
