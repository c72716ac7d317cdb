/** Succeed: ends the execution (or branch/iteration) successfully. https://docs.aws.amazon.com/step-functions/latest/dg/state-succeed.html */
import { BaseState, type StateResult } from './base';

export class SucceedState extends BaseState {
  readonly type = 'Succeed' as const;
  readonly shape = 'flow' as const;

  execute(): StateResult {
    return { result: undefined, end: true };
  }
}
