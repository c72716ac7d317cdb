/** Pass: passes its input (or Result / Parameters) through. https://docs.aws.amazon.com/step-functions/latest/dg/state-pass.html */
import { deepFreeze } from '../json';
import type { QueryLanguage } from '../types';
import { BaseState, type Def, type StateResult } from './base';

export class PassState extends BaseState {
  readonly type = 'Pass' as const;
  readonly shape = 'result' as const;
  private readonly hasResult: boolean;
  private readonly resultValue: unknown;

  constructor(name: string, def: Def, ql: QueryLanguage) {
    super(name, def, ql);
    this.hasResult = 'Result' in def;
    this.resultValue = deepFreeze(def.Result);
  }

  execute(payload: unknown): StateResult {
    return { result: this.hasResult ? this.resultValue : payload };
  }
}
